#!/bin/sh
# build-guest.sh OUTDIR: build the tiny qlaunch test guest from Debian packages.
#
# Produces OUTDIR/vmlinuz (Debian cloud kernel) and OUTDIR/initramfs.gz
# (static busybox + tests/guest/init + a few virtio/pvpanic/button/virtiofs modules), and
# OUTDIR/initramfs-agent.gz: the same plus Debian's qemu-guest-agent with its
# shared libraries (a second cpio archive appended, which the kernel unpacks
# over the first), for guest.agent=1.
# QL_GUEST_FLAVOUR=generic builds it from Debian's generic kernel instead (larger; the
# cloud kernel has no 9p), with the 9p modules too.
# Cached: nothing is done while both outputs are newer than this script and
# the init file. Everything is built in OUTDIR/.build.XXXXXX and renamed into
# place at the end, so an interrupted build never leaves half-written outputs.
# See tests/guest/README.md.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUTDIR=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SELF=$HERE/build-guest.sh
INIT=$HERE/init

# Modules copied into the initramfs, in load (dependency) order.
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
virtio_blk failover net_failover virtio_net virtio_balloon virtio_console
pvpanic pvpanic-mmio pvpanic-pci button evdev
scsi_common scsi_mod libata ata_piix cdrom sr_mod fuse virtiofs"
FLAVOUR=${QL_GUEST_FLAVOUR:-cloud}
case $FLAVOUR in
cloud)   KMETA=linux-image-cloud-amd64 ;;
generic) KMETA=linux-image-amd64
         MODULES="$MODULES netfs fscache 9pnet 9pnet_virtio 9p" ;;
*)       echo "build-guest: unknown QL_GUEST_FLAVOUR '$FLAVOUR' (cloud, generic)" >&2; exit 2 ;;
esac

log() { echo "build-guest: $*" >&2; }
die() { log "error: $*"; exit 1; }

# test -nt is not POSIX but dash, bash and busybox sh all have it.
# shellcheck disable=SC3013
up_to_date() {
    for f in "$OUTDIR/vmlinuz" "$OUTDIR/initramfs.gz" "$OUTDIR/initramfs-agent.gz"; do
        [ -s "$f" ] && [ "$f" -nt "$SELF" ] && [ "$f" -nt "$INIT" ] || return 1
    done
}

[ -f "$INIT" ] || die "missing $INIT"
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
up_to_date && exit 0

# Serialise concurrent builds into the same OUTDIR, then re-check.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUTDIR/.lock"
    flock 9
    up_to_date && exit 0
fi

TMP=$(mktemp -d "$OUTDIR/.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
cd "$TMP"

# Resolve the versioned kernel package from the metapackage, download both.
fetch() {
    kpkg=$(apt-cache depends "$KMETA" 2>/dev/null |
           sed -n 's/^ *Depends: *\(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
    [ -n "$kpkg" ] || return 1
    rm -f ./*.deb
    # Sandbox user root: the temp dir is not readable by _apt (no warning).
    apt-get -q -o APT::Sandbox::User=root download "$kpkg" busybox-static \
        qemu-guest-agent >&2
}
if ! fetch; then
    log "download failed; running apt-get update and retrying"
    apt-get -q update >&2 || die "apt-get update failed"
    fetch || die "cannot download $KMETA's kernel / busybox-static / qemu-guest-agent"
fi
log "using $kpkg"

dpkg-deb -x linux-image-*.deb x-kernel
dpkg-deb -x busybox-static_*.deb x-busybox
BB=$TMP/x-busybox/bin/busybox
[ -x "$BB" ] || die "no bin/busybox in busybox-static"
set -- x-kernel/boot/vmlinuz-*
[ -f "$1" ] || die "no boot/vmlinuz-* in $kpkg"
cp "$1" vmlinuz

# initramfs tree: /bin/busybox + applet links, /init, /lib/modules/*.ko
mkdir -p root/bin root/dev root/proc root/sys root/tmp root/lib/modules
cp "$BB" root/bin/busybox
for a in $("$BB" --list); do
    [ "$a" = busybox ] || ln -s busybox "root/bin/$a"
done
cp "$INIT" root/init
chmod 755 root/init
for m in $MODULES; do
    ko=$(find x-kernel/lib/modules -name "$m.ko" | head -n 1)
    [ -n "$ko" ] || die "module $m.ko not found in $kpkg"
    cp "$ko" root/lib/modules/
done
# Initial console for the kernel; /init copes if this fails (not root).
mknod -m 600 root/dev/console c 5 1 2>/dev/null || true

(cd root && find . | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0) \
    2>/dev/null | gzip -9 -n > initramfs.gz
[ -s initramfs.gz ] || die "initramfs creation failed"

# The agent's archive: qemu-ga, the shared libraries it needs as the host resolves them
# (Debian 12, like the package; the guest has no other dynamic binary), and the
# /sbin/shutdown its guest-shutdown runs ("shutdown -h -P|-H|-r +0 MESSAGE").
dpkg-deb -x qemu-guest-agent_*.deb x-agent
QGA=x-agent/usr/sbin/qemu-ga
[ -x "$QGA" ] || die "no usr/sbin/qemu-ga in qemu-guest-agent"
mkdir -p agent/sbin agent/lib64 agent/lib/x86_64-linux-gnu agent/var/run
cp "$QGA" agent/sbin/qemu-ga
libs=$(ldd "$QGA") || die "ldd $QGA failed"
if echo "$libs" | grep -q 'not found'; then
    die "qemu-ga needs libraries this host lacks: $(echo "$libs" | grep 'not found' | tr -d '\t')"
fi
for lib in $(echo "$libs" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
    cp -L "$lib" agent/lib/x86_64-linux-gnu/
done
cp -L /lib64/ld-linux-x86-64.so.2 agent/lib64/
cat > agent/sbin/shutdown <<'EOF'
#!/bin/sh
# qemu-ga's guest-shutdown: shutdown -h -P (power off), -H (halt) or -r (reboot) +0 MESSAGE
act=poweroff
for a; do case $a in -r) act=reboot ;; -H) act=halt ;; esac; done
echo "GUEST-EVENT agent-$act" >/dev/console
exec "$act" -f
EOF
chmod 755 agent/sbin/shutdown
(cd agent && find . | LC_ALL=C sort | "$BB" cpio -o -H newc -R 0:0) \
    2>/dev/null | gzip -9 -n > agent.cpio.gz
[ -s agent.cpio.gz ] || die "agent archive creation failed"
cat initramfs.gz agent.cpio.gz > initramfs-agent.gz

# vmlinuz last: if interrupted in between, the cache check fails next time.
mv -f initramfs-agent.gz "$OUTDIR/initramfs-agent.gz"
mv -f initramfs.gz "$OUTDIR/initramfs.gz"
mv -f vmlinuz "$OUTDIR/vmlinuz"
log "built $OUTDIR/vmlinuz ($(wc -c < "$OUTDIR/vmlinuz") B)," \
    "$OUTDIR/initramfs.gz ($(wc -c < "$OUTDIR/initramfs.gz") B)," \
    "$OUTDIR/initramfs-agent.gz ($(wc -c < "$OUTDIR/initramfs-agent.gz") B)"
