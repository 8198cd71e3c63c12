#!/bin/sh
# The main job on a built tree: show what qlaunch says about the user's seed domain, then
# boot the bundled example guest (examples/demo.xml.in: the tiny test guest built from
# Debian packages) on its serial console and let it power off under its on_poweroff policy.
set -eu
cd "$(dirname "$0")/.."
Q=./qlaunch
GUEST=${QLAUNCH_GUEST_DIR:-$PWD/tests/guest/out}

echo "== qlaunch validate examples/seed-domain.xml (the seed domain, as the user wrote it)"
$Q validate examples/seed-domain.xml || true
echo
echo "== qlaunch validate examples/seed-domain-fixed.xml (the same, corrected to run here)"
$Q validate examples/seed-domain-fixed.xml
echo
echo "== qlaunch argv --accel tcg examples/seed-domain-fixed.xml"
$Q argv --accel tcg examples/seed-domain-fixed.xml
echo
echo "== building the tiny test guest (Debian's cloud kernel + busybox) into $GUEST"
sh tests/guest/build-guest.sh "$GUEST"
# Started by root, QEMU runs as qlaunch-qemu, which may not reach a checkout under /root:
# the guest goes where VM images live (as /var/lib/libvirt/images for libvirt).
if [ "$(id -u)" = 0 ] && [ -z "${QLAUNCH_GUEST_DIR:-}" ]; then
    IMG=/var/lib/qlaunch/images/qlaunch-demo
    install -d -m 755 /var/lib/qlaunch /var/lib/qlaunch/images "$IMG"
    install -m 644 "$GUEST/vmlinuz" "$GUEST/initramfs.gz" "$IMG/"
    GUEST=$IMG
    echo "   (copied to $GUEST, readable by QEMU's user qlaunch-qemu)"
fi
sed "s|@GUESTDIR@|$GUEST|g" examples/demo.xml.in > examples/demo.xml
echo
echo "== qlaunch create --console examples/demo.xml (TCG; the guest powers off after 2 s)"
# Leftovers of an earlier demo run must not block this one.
$Q destroy qlaunch-demo >/dev/null 2>&1 || true
$Q create --console --accel tcg examples/demo.xml
sleep 1
echo "== qlaunch list --all"
$Q list --all
$Q domstate --reason qlaunch-demo
