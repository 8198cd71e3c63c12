#!/bin/sh
# CI: build the Debian package (dpkg-buildpackage -us -uc -b, lintian without errors),
# install it into a clean Debian 12 root made with debootstrap, and run the installed
# qlaunch there: --version, validate, and the demo guest as a defined domain (define, start,
# the guest powers itself off, domstate says so). Needs root, debootstrap, network.
# Usage: scripts/package-test.sh [WORKDIR]   (default: a new directory under /var/tmp)
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
W=${1:-$(mktemp -d /var/tmp/qlaunch-pkg.XXXXXX)}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT="$W/root"
mounted=
cleanup() {
    for m in $mounted; do umount -l "$ROOT$m" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM
step() { echo "== package-test: $*"; }

step "building the package"
VERSION=$(dpkg-parsechangelog -l debian/changelog -S Version)
rm -rf "$W/src" && mkdir -p "$W/src/qlaunch-$VERSION"
git archive HEAD | tar -x -C "$W/src/qlaunch-$VERSION"
(cd "$W/src/qlaunch-$VERSION" && dpkg-buildpackage -us -uc -b > "$W/build.log" 2>&1) ||
    { tail -30 "$W/build.log"; exit 1; }
DEB=$(ls "$W/src"/qlaunch_"$VERSION"_*.deb)
step "lintian"
lintian --fail-on error "$W/src"/qlaunch_"$VERSION"_*.changes

step "a clean Debian 12 root ($ROOT)"
if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" > "$W/debootstrap.log" 2>&1 ||
        { tail -30 "$W/debootstrap.log"; exit 1; }
fi
for m in /proc /sys /dev; do
    mount --rbind "$m" "$ROOT$m" && mounted="$m $mounted"
done
cp "$DEB" "$ROOT/tmp/"
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
step "installing $(basename "$DEB") and its dependencies"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$DEB")" > "$W/install.log" 2>&1 ||
    { tail -30 "$W/install.log"; exit 1; }
in_root getent passwd qlaunch-qemu > /dev/null || { echo "postinst did not create qlaunch-qemu"; exit 1; }

step "qlaunch --version, validate"
in_root qlaunch --version
cp "$SRC/examples/seed-domain-fixed.xml" "$ROOT/tmp/"
in_root qlaunch validate --no-emulator /tmp/seed-domain-fixed.xml

step "the demo guest as a defined domain"
sh "$SRC/tests/guest/build-guest.sh" "$W/guest" > /dev/null
IMG=/var/lib/qlaunch/images/qlaunch-demo
install -d -m 755 "$ROOT$IMG"
install -m 644 "$W/guest/vmlinuz" "$W/guest/initramfs.gz" "$ROOT$IMG/"
sed "s|@GUESTDIR@|$IMG|g" "$SRC/examples/demo.xml.in" > "$ROOT/tmp/demo.xml"
in_root qlaunch destroy qlaunch-demo > /dev/null 2>&1 || true
in_root qlaunch define /tmp/demo.xml
in_root qlaunch start --accel tcg qlaunch-demo
st=
for i in $(seq 1 120); do
    st=$(in_root qlaunch domstate --reason qlaunch-demo)
    [ "$st" = "shut off (shutdown)" ] && break
    sleep 1
done
in_root qlaunch list --all
[ "$st" = "shut off (shutdown)" ] || { echo "the demo guest ended '$st'"; tail -20 "$ROOT/var/log/qlaunch/qlaunch-demo.log"; exit 1; }
in_root qlaunch undefine qlaunch-demo
step "ok"
