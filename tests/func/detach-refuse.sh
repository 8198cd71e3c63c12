#!/bin/sh
# detach-device refuses precisely what QEMU cannot unplug (issue 10), without a guest: a
# SATA disk, a PS/2 keyboard, and on q35 a device on pcie.0 itself (found with query-pci),
# while a device behind a pcie-root-port is sent device_del (and, no guest OS answering the
# unplug request, reported as not released).
set -u
QL_TAG=detach-refuse
. "$top_srcdir/tests/func/lib.sh"
dd if=/dev/zero of="$T/a.img" bs=1M count=1 2>/dev/null
dd if=/dev/zero of="$T/b.img" bs=1M count=1 2>/dev/null
dd if=/dev/zero of="$T/c.img" bs=1M count=1 2>/dev/null
cat >"$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$T/a.img'/><target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></disk>
    <disk type='file' device='disk'><source file='$T/b.img'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='$T/c.img'/><target dev='sda' bus='sata'/></disk>
    <input type='keyboard' bus='ps2'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
ql() { timeout 60 "$QLAUNCH" "$@"; }
ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"

ql detach-disk "$NAME" sda >"$T/out" 2>&1 && fail "detach-disk of a SATA disk succeeded"
grep -q "disk sda is on bus 'sata', which QEMU cannot unplug" "$T/out" || fail "sda: $(cat "$T/out")"
ql detach-disk "$NAME" vda >"$T/out" 2>&1 && fail "detach-disk of a disk on pcie.0 succeeded"
grep -q "virtio-disk0 is on pcie.0 (slot 5): a q35 machine cannot unplug" "$T/out" ||
    fail "vda: $(cat "$T/out")"
printf "<input type='keyboard' bus='ps2'/>\n" >"$T/kbd.xml"
ql detach-device "$NAME" "$T/kbd.xml" >"$T/out" 2>&1 && fail "detach of the PS/2 keyboard succeeded"
grep -q "part of the machine (PS/2)" "$T/out" || fail "ps2: $(cat "$T/out")"
# behind a root port: device_del is sent; without a guest OS nobody releases it
ql detach-disk "$NAME" vdb --timeout 2 >"$T/out" 2>&1 && fail "detach of vdb without a guest succeeded"
grep -q "the guest did not release virtio-disk1 within 2 s" "$T/out" || fail "vdb: $(cat "$T/out")"
ql domblklist "$NAME" | grep -q "^ vdb " || fail "vdb is gone: $(ql domblklist "$NAME")"
ql destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
echo "PASS: detach-refuse"
exit 0
