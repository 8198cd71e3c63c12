#!/bin/sh
# Snapshots of a shut-off domain (issue 10), no guest needed: snapshot-create-as makes a
# disk-only internal snapshot with qemu-img (state "shutoff" in the metadata),
# snapshot-revert brings the disk's earlier content back, snapshot-delete removes it from
# the image and the metadata; a disk that cannot hold one is refused as for a running domain.
set -u
QL_TAG=snapoff
. "$top_srcdir/tests/func/lib.sh"
export QLAUNCH_SNAPSHOT_DIR="$T/snapshots" QLAUNCH_DOMAIN_DIR="$T/defs"
qemu-img create -q -f qcow2 "$T/a.qcow2" 4M || fail "qemu-img create"
dd if=/dev/zero of="$T/raw.img" bs=1M count=1 2>/dev/null
cat >"$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='$T/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/>
      <source file='$T/raw.img'/><target dev='vdb' bus='virtio'/></disk>
  </devices>
</domain>
XML
ql() { timeout 60 "$QLAUNCH" "$@"; }
ql define "$T/dom.xml" >"$T/out" 2>&1 || fail "define: $(cat "$T/out")"
pattern() { qemu-io -f qcow2 -c "read -P $1 0 64k" "$T/a.qcow2" 2>&1 | grep -q "read 65536/65536"; }

ql snapshot-create-as "$NAME" s1 >"$T/out" 2>&1 && fail "a raw disk was accepted"
grep -q "internal snapshot for disk vdb unsupported for storage type raw" "$T/out" ||
    fail "raw disk: $(cat "$T/out")"
sed -i "s|<source file='$T/raw.img'/><target dev='vdb' bus='virtio'/>|&<readonly/>|" "$T/dom.xml"
ql define "$T/dom.xml" >/dev/null 2>&1 || fail "define again"

qemu-io -f qcow2 -c "write -P 0x11 0 64k" "$T/a.qcow2" >/dev/null || fail "qemu-io write"
ql snapshot-create-as "$NAME" s1 "first" >"$T/out" 2>&1 || fail "snapshot-create-as: $(cat "$T/out")"
grep -q "^Domain snapshot s1 created$" "$T/out" || fail "create: $(cat "$T/out")"
qemu-img snapshot -l "$T/a.qcow2" | grep -q " s1 " || fail "no s1 in the image: $(qemu-img snapshot -l "$T/a.qcow2")"
ql snapshot-list "$NAME" | grep -q "^ s1  .*shutoff$" || fail "snapshot-list: $(ql snapshot-list "$NAME")"
ql snapshot-info "$NAME" s1 | grep -q "^State: *shutoff$" || fail "snapshot-info: $(ql snapshot-info "$NAME" s1)"
grep -q '"state": *"shutoff"' "$QLAUNCH_SNAPSHOT_DIR/$NAME/s1.json" || fail "metadata: $(cat "$QLAUNCH_SNAPSHOT_DIR/$NAME/s1.json")"
ql snapshot-create-as "$NAME" s1 >"$T/out" 2>&1 && fail "s1 was made twice"
qemu-io -f qcow2 -c "write -P 0x22 0 64k" "$T/a.qcow2" >/dev/null || fail "qemu-io write"
ql snapshot-create-as "$NAME" s2 >"$T/out" 2>&1 || fail "snapshot-create-as s2: $(cat "$T/out")"
ql snapshot-info "$NAME" --current | grep -q "^Name: *s2$" || fail "s2 is not current"
ql snapshot-info "$NAME" s2 | grep -q "^Parent: *s1$" || fail "s2's parent: $(ql snapshot-info "$NAME" s2)"
echo "ok snapshot-create-as"

ql snapshot-revert "$NAME" s1 >"$T/out" 2>&1 || fail "snapshot-revert: $(cat "$T/out")"
pattern 0x11 || fail "the disk is not back to s1's content"
ql snapshot-info "$NAME" --current | grep -q "^Name: *s1$" || fail "s1 is not current after the revert"
ql domstate "$NAME" 2>/dev/null | grep -q "shut off" || fail "the revert started the domain"
echo "ok snapshot-revert"

ql snapshot-delete "$NAME" s1 >"$T/out" 2>&1 || fail "snapshot-delete: $(cat "$T/out")"
grep -q "^Domain snapshot s1 deleted$" "$T/out" || fail "delete: $(cat "$T/out")"
qemu-img snapshot -l "$T/a.qcow2" | grep -q " s1 " && fail "s1 is still in the image"
[ -e "$QLAUNCH_SNAPSHOT_DIR/$NAME/s1.json" ] && fail "s1's metadata is left"
ql snapshot-info "$NAME" s2 | grep -q "^Parent: *-$" || fail "s2's parent after deleting s1: $(ql snapshot-info "$NAME" s2)"
ql snapshot-revert "$NAME" s2 >"$T/out" 2>&1 || fail "snapshot-revert s2: $(cat "$T/out")"
pattern 0x22 || fail "the disk is not back to s2's content"
ql snapshot-delete "$NAME" nosuch >"$T/out" 2>&1 && fail "deleting a missing snapshot succeeded"
echo "ok snapshot-delete"
ql undefine "$NAME" >/dev/null 2>&1
echo "PASS: snapshot-offline"
exit 0
