#!/bin/sh
# Internal snapshots and save/restore (issue 10) on a booted test guest that prints its
# uptime every second (guest.uptime=1): a revert brings an earlier guest back (its uptime
# and line count go back), snapshot-delete removes the snapshot from the qcow2 image, a
# raw disk is refused precisely while one with snapshot='no' is left out; save writes a
# private file and stops QEMU, restore continues the same guest (its count goes on).
# QEMU_SYSTEM: the emulator to use (snapshot-qemu10.sh), else the XML's default.
set -u
QL_TAG=snap
. "$top_srcdir/tests/func/lib.sh"
export QLAUNCH_SNAPSHOT_DIR="$T/snapshots"
qemu-img create -q -f qcow2 "$T/disk.qcow2" 16M || fail "qemu-img create"
dd if=/dev/zero of="$T/raw.img" bs=1M count=1 2>/dev/null
EMU=${QEMU_SYSTEM:+<emulator>$QEMU_SYSTEM</emulator>}
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.uptime=1" "$EMU
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$T/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk' snapshot='no'><driver name='qemu' type='raw'/><source file='$T/raw.img'/><target dev='vdb' bus='virtio'/></disk>
    <serial type='file'><source path='$T/serial.log' append='on'/><target port='0'/></serial>"
ql() { timeout 120 "$QLAUNCH" "$@"; }
# uptime: the guest's latest uptime in whole seconds.
uptime() {
    grep -a "GUEST-UPTIME" "$T/serial.log" | tail -1 | sed -n 's/GUEST-UPTIME \([0-9]*\).*/\1/p'
}
# count: the guest's latest GUEST-UPTIME line count (0: none yet).
count() {
    c=$(grep -a "GUEST-UPTIME" "$T/serial.log" 2>/dev/null | tail -1 | sed -n 's/.* n=\([0-9]*\).*/\1/p')
    echo "${c:-0}"
}
# wait_count TEST: until the latest count passes the test (e.g. "-ge 5").
wait_count() {
    end=$(($(date +%s) + 90))
    until [ "$(count)" $1 ]; do
        [ "$(date +%s)" -lt "$end" ] || fail "the guest's count is $(count), not $1"
        sleep 0.2
    done
}

ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
wait_count "-ge 3"

# --- create, list, info ------------------------------------------------------------
ql snapshot-create-as "$NAME" s1 "the first one" >"$T/out" 2>&1 || fail "create s1: $(cat "$T/out")"
n1=$(count)
grep -qx "Domain snapshot s1 created" "$T/out" || fail "create s1 output: $(cat "$T/out")"
ql domstate "$NAME" | grep -qx running || fail "not running after the snapshot: $(ql domstate "$NAME")"
qemu-img snapshot -l -U "$T/disk.qcow2" >"$T/img" 2>&1 || fail "qemu-img: $(cat "$T/img")"
grep -q " s1 " "$T/img" || fail "s1 is not in the image: $(cat "$T/img")"
ql snapshot-list "$NAME" >"$T/out" 2>&1 || fail "snapshot-list: $(cat "$T/out")"
head -1 "$T/out" | grep -q "^ Name  *Creation Time  *State$" || fail "list header: $(cat "$T/out")"
grep -q "^ s1  *[0-9-]* [0-9:]* [+-][0-9]*  *running$" "$T/out" || fail "list: $(cat "$T/out")"
ql snapshot-info "$NAME" s1 >"$T/out" 2>&1 || fail "snapshot-info: $(cat "$T/out")"
grep -q "^Current: *yes$" "$T/out" && grep -q "^State: *running$" "$T/out" &&
    grep -q "^Location: *internal$" "$T/out" || fail "info: $(cat "$T/out")"
ql snapshot-info "$NAME" s1 --json >"$T/out" 2>&1 || fail "snapshot-info --json: $(cat "$T/out")"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['disks']==['vda'] and d['description']=='the first one', d" "$T/out" ||
    fail "info --json (vdb has snapshot='no'): $(cat "$T/out")"
[ "$(stat -c %a "$QLAUNCH_SNAPSHOT_DIR/$NAME/s1.json")" = 600 ] || fail "metadata mode"
ql snapshot-create-as "$NAME" s1 >"$T/out" 2>&1 && fail "a second s1 was made"
grep -q "already exists" "$T/out" || fail "duplicate: $(cat "$T/out")"
ql snapshot-create-as "$NAME" "a/b" >"$T/out" 2>&1 && fail "a snapshot named a/b was made"
echo "ok create list info"

# --- revert: the guest's count goes back ---------------------------------------------
wait_count "-ge $((n1 + 8))"
ql snapshot-revert "$NAME" s1 >"$T/out" 2>&1 || fail "revert: $(cat "$T/out")"
lines=$(grep -ac GUEST-UPTIME "$T/serial.log")
end=$(($(date +%s) + 60))
until [ "$(grep -ac GUEST-UPTIME "$T/serial.log")" -gt "$lines" ]; do
    [ "$(date +%s)" -lt "$end" ] || fail "no uptime line after the revert"
    sleep 0.2
done
n=$(count)
[ "$n" -le "$((n1 + 2))" ] || fail "after the revert the count is $n, the snapshot was taken at $n1"
ql domstate --reason "$NAME" | grep -q "running (from snapshot)" || fail "state after revert: $(ql domstate --reason "$NAME")"
echo "ok revert ($n1 -> $n)"

# --- a second snapshot, delete the first --------------------------------------------
ql snapshot-create-as "$NAME" s2 >"$T/out" 2>&1 || fail "create s2: $(cat "$T/out")"
ql snapshot-info "$NAME" s2 | grep -q "^Parent: *s1$" || fail "s2's parent: $(ql snapshot-info "$NAME" s2)"
ql snapshot-info "$NAME" s1 | grep -q "^Current: *no$" || fail "s1 still current"
ql snapshot-delete "$NAME" s1 >"$T/out" 2>&1 || fail "delete s1: $(cat "$T/out")"
grep -qx "Domain snapshot s1 deleted" "$T/out" || fail "delete output: $(cat "$T/out")"
qemu-img snapshot -l -U "$T/disk.qcow2" >"$T/img" 2>&1 || fail "qemu-img: $(cat "$T/img")"
grep -q " s1 " "$T/img" && fail "s1 is still in the image: $(cat "$T/img")"
grep -q " s2 " "$T/img" || fail "s2 is not in the image: $(cat "$T/img")"
ql snapshot-info "$NAME" s2 | grep -q "^Parent: *-$" || fail "s2's parent after the delete"
ql snapshot-info "$NAME" --current | grep -q "^Name: *s2$" || fail "current is not s2"
ql snapshot-revert "$NAME" s1 >"$T/out" 2>&1 && fail "revert to a deleted snapshot succeeded"
grep -q "has no snapshot 's1'" "$T/out" || fail "revert to s1: $(cat "$T/out")"
echo "ok delete"

# --- save, restore -------------------------------------------------------------------
wait_count "-ge 3"
ql save "$NAME" "$T/saved.img" >"$T/out" 2>&1 || fail "save: $(cat "$T/out")"
ns=$(count) us=$(uptime)
grep -q "Domain '$NAME' saved to $T/saved.img" "$T/out" || fail "save output: $(cat "$T/out")"
[ "$(stat -c %a "$T/saved.img")" = 600 ] || fail "the save file is mode $(stat -c %a "$T/saved.img")"
head -c 16 "$T/saved.img" | grep -q "QLAUNCH-SAVE-V1" || fail "save file header"
ql domstate --reason "$NAME" >"$T/out" 2>&1
grep -q "shut off (saved)" "$T/out" || fail "state after save: $(cat "$T/out")"
ls "$T/saved.img".* 2>/dev/null && fail "a temporary file was left"
ql restore "$T/saved.img" >"$T/out" 2>&1 || fail "restore: $(cat "$T/out")"
grep -qx "Domain restored from $T/saved.img" "$T/out" || fail "restore output: $(cat "$T/out")"
ql domstate --reason "$NAME" | grep -q "running (restored)" || fail "state after restore: $(ql domstate --reason "$NAME")"
wait_count "-gt $ns"
n=$(count)
[ "$n" -le "$((ns + 15))" ] || fail "after the restore the count is $n (saved at $ns): a new boot?"
[ "$(uptime)" -ge "$us" ] || fail "the guest's uptime went from $us s to $(uptime) s"
[ "$(grep -ac GUEST-BOOTED "$T/serial.log")" = 1 ] || fail "the guest booted again: $(grep -a GUEST-BOOTED "$T/serial.log")"
ql snapshot-list "$NAME" | grep -q "^ s2 " || fail "snapshots after restore: $(ql snapshot-list "$NAME")"
echo "ok save restore ($ns -> $n)"
# restore --paused: the guest stays where it was until resume
ql save "$NAME" "$T/saved.img" >"$T/out" 2>&1 || fail "second save (over the first file): $(cat "$T/out")"
ql restore --paused "$T/saved.img" >"$T/out" 2>&1 || fail "restore --paused: $(cat "$T/out")"
ql domstate "$NAME" | grep -qx paused || fail "state after restore --paused: $(ql domstate "$NAME")"
ql resume "$NAME" >/dev/null 2>&1 || fail "resume after restore --paused"
ql domstate "$NAME" | grep -qx running || fail "state after resume: $(ql domstate "$NAME")"
echo "ok restore --paused"
ql destroy "$NAME" >/dev/null 2>&1

# --- a raw disk cannot hold a snapshot ------------------------------------------------
ql_domain_xml "$T/raw.xml" "guest.action=sleep" "$EMU
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$T/raw.img'/><target dev='vda' bus='virtio'/></disk>"
ql create "$T/raw.xml" >"$T/out" 2>&1 || fail "create (raw): $(cat "$T/out")"
ql snapshot-create-as "$NAME" r1 >"$T/out" 2>&1 && fail "a snapshot of a raw disk was made"
grep -q "internal snapshot for disk vda unsupported for storage type raw" "$T/out" ||
    fail "raw refusal: $(cat "$T/out")"
[ -e "$QLAUNCH_SNAPSHOT_DIR/$NAME/r1.json" ] && fail "metadata for a refused snapshot"
echo "ok raw refused"
