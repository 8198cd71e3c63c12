#!/bin/sh
# Installs QEMU 10.0 (bookworm-backports' qemu-system-x86) next to Debian 12's QEMU 7.2,
# without touching dpkg's database or /usr: the .debs are fetched with `apt-get download`
# through a private package list and unpacked with `dpkg -x` into PREFIX (default
# /opt/qlaunch-qemu10, or $QLAUNCH_QEMU10_PREFIX, or the first argument). PREFIX/bin/
# qemu-system-x86_64 is a wrapper that behaves like the binary: it points QEMU at the
# prefix's data files (-L), firmware (SeaBIOS from backports, 10.0 wants >= 1.16.3),
# modules (QEMU_MODULE_DIR) and the libraries Debian 12's 7.2 does not pull in
# (LD_LIBRARY_PATH: virglrenderer for the opengl module and what it needs).
#
# Cached: when PREFIX/bin/qemu-system-x86_64 exists and reports the wanted version, nothing
# is downloaded. Remove PREFIX to reinstall. Needs root only for a PREFIX root owns.
# Environment: QLAUNCH_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -eu
prefix=${1:-${QLAUNCH_QEMU10_PREFIX:-/opt/qlaunch-qemu10}}
mirror=${QLAUNCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
want="QEMU emulator version 10.0."
wrapper=$prefix/bin/qemu-system-x86_64
# From backports (the versions must match each other), then Debian 12's own libraries that
# 7.2's packages do not depend on.
BPO_PKGS="qemu-system-x86 qemu-system-common qemu-system-data qemu-system-modules-spice
          qemu-system-modules-opengl seabios"
MAIN_PKGS="libvirglrenderer1 libvulkan1 libva2 libva-drm2"

if [ -x "$wrapper" ] && "$wrapper" -version 2>/dev/null | grep -q "^$want"; then
    echo "qemu10: $("$wrapper" -version | head -1) in $prefix (cached)"
    exit 0
fi
case $prefix in /*) ;; *) echo "qemu10: PREFIX must be absolute: $prefix" >&2; exit 1;; esac

mkdir -p "$prefix"
work=$(mktemp -d "$prefix/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
printf 'deb %s bookworm main\ndeb %s bookworm-backports main\n' "$mirror" "$mirror" \
    > "$work/sources.list"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
# Private lists and cache: the system's apt state (and its pkgcache.bin) stays as it was.
set -- -q -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" \
    -o APT::Sandbox::User="$(id -un)"
apt-get "$@" update >/dev/null
pkgs=""
for p in $BPO_PKGS; do pkgs="$pkgs $p/bookworm-backports"; done
# shellcheck disable=SC2086
(cd "$work/debs" && apt-get "$@" download $pkgs $MAIN_PKGS >/dev/null)

root=$work/root
mkdir -p "$root"
for d in "$work"/debs/*.deb; do dpkg -x "$d" "$root"; done
libdir=/usr/lib/x86_64-linux-gnu
# Every shared object must resolve with the prefix's libraries first, as the wrapper runs it.
missing=$(for f in "$root/usr/bin/qemu-system-x86_64" "$root$libdir"/qemu/*.so; do
              LD_LIBRARY_PATH=$root$libdir ldd "$f" | sed -n "s|^.*\(lib[^ ]*\) => not found|\1|p"
          done | sort -u)
if [ -n "$missing" ]; then
    echo "qemu10: libraries missing on this host: $missing" >&2
    exit 1
fi

mkdir -p "$root/bin"
cat > "$root/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
# QEMU 10.0 from bookworm-backports unpacked in $prefix (scripts/qemu10.sh).
export QEMU_MODULE_DIR=$prefix$libdir/qemu
export LD_LIBRARY_PATH=$prefix$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
exec $prefix/usr/bin/qemu-system-x86_64 -L $prefix/usr/share/qemu -L $prefix/usr/share/seabios "\$@"
EOF
chmod 755 "$root/bin/qemu-system-x86_64"
# Replace the old tree only now that the new one is complete.
for d in bin usr etc; do
    rm -rf "$prefix/$d"
    mv "$root/$d" "$prefix/$d"
done
if ! "$wrapper" -version | grep -q "^$want"; then
    echo "qemu10: $wrapper does not report $want" >&2
    exit 1
fi
echo "qemu10: $("$wrapper" -version | head -1) in $prefix"
