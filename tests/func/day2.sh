#!/bin/sh
# The day-2 verbs (issue 10) on a booted test guest: domblklist/domiflist output, a CD
# change seen by QEMU (query-block) and the guest, and kept across a supervisor SIGKILL + re-attach,
# setmem moving the balloon and the guest's MemTotal, a screenshot that is a PNG of the
# display's size, send-key keystrokes the guest reads from its keyboard, the stats verbs, dumpxml with the actual values.
set -u
QL_TAG=day2
. "$top_srcdir/tests/func/lib.sh"
dd if=/dev/zero of="$T/disk.img" bs=1M count=4 2>/dev/null
dd if=/dev/zero of="$T/cd1.iso" bs=1M count=1 2>/dev/null
dd if=/dev/zero of="$T/cd2.iso" bs=1M count=2 2>/dev/null
chmod 600 "$T/cd2.iso"    # QEMU's user cannot read it: change-media must give it over
dd if=/dev/zero of="$T/fd1.img" bs=1k count=1440 2>/dev/null
dd if=/dev/zero of="$T/fd2.img" bs=1k count=1440 2>/dev/null
TAP="qlday2$$"
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.watch=1 guest.keys=1" "
    <disk type='file' device='disk'><source file='$T/disk.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='$T/cd1.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <disk type='file' device='floppy'><source file='$T/fd1.img'/><target dev='fda' bus='fdc'/></disk>
    <interface type='ethernet'><mac address='52:54:00:d2:00:01'/><target dev='$TAP'/><model type='virtio'/></interface>
    <serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <memballoon model='virtio'/>"
ql() { timeout 60 "$QLAUNCH" "$@"; }
ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
ql_wait_for GUEST-READY
ql_wait_watch "sr0:2048"     # the 1 MiB CD in 512-byte sectors

# qemu_medium QDEV FILE RO: QEMU's drive QDEV holds FILE (read-only RO), its tray closed.
qemu_medium() {
    ql qmp "$NAME" '{"execute":"query-block"}' >"$T/qb" 2>&1 || fail "query-block: $(cat "$T/qb")"
    python3 - "$T/qb" "$@" <<'PY' || fail "query-block: $1 should hold $2: $(cat "$T/qb")"
import json, sys
blocks = json.load(open(sys.argv[1]))
blocks = blocks.get("return", blocks)
d = [b for b in blocks if sys.argv[2] in b.get("qdev", "")][0]
assert d["inserted"]["file"] == sys.argv[3] and d["inserted"]["ro"] == (sys.argv[4] == "True"), d
assert not d.get("tray_open"), d
PY
}

# --- domblklist, domiflist -------------------------------------------------------
ql domblklist "$NAME" >"$T/out" 2>&1 || fail "domblklist: $(cat "$T/out")"
grep -q "^ vda  *$T/disk.img$" "$T/out" && grep -q "^ hdc  *$T/cd1.iso$" "$T/out" ||
    fail "domblklist: $(cat "$T/out")"
head -1 "$T/out" | grep -q "^ Target  *Source$" || fail "domblklist header: $(cat "$T/out")"
ql domblklist --details "$NAME" >"$T/out" 2>&1 || fail "domblklist --details: $(cat "$T/out")"
grep -q "^ file  *cdrom  *hdc  *$T/cd1.iso$" "$T/out" || fail "domblklist --details: $(cat "$T/out")"
ql domblklist --json "$NAME" >"$T/out" 2>&1 || fail "domblklist --json: $(cat "$T/out")"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[0]['target']=='vda' and d[1]['device']=='cdrom', d" "$T/out" ||
    fail "domblklist --json: $(cat "$T/out")"
ql domiflist "$NAME" >"$T/out" 2>&1 || fail "domiflist: $(cat "$T/out")"
grep -q "^ $TAP  *ethernet  *-  *virtio  *52:54:00:d2:00:01$" "$T/out" || fail "domiflist: $(cat "$T/out")"
echo "ok domblklist domiflist"

# --- stats ------------------------------------------------------------------------
ql domblkstat "$NAME" vda >"$T/out" 2>&1 || fail "domblkstat: $(cat "$T/out")"
grep -q "^vda rd_req [1-9]" "$T/out" || fail "domblkstat vda (the guest read its disk): $(cat "$T/out")"
ql domblkstat "$NAME" --json >"$T/out" 2>&1 || fail "domblkstat --json: $(cat "$T/out")"
grep -q '"wr_bytes"' "$T/out" || fail "domblkstat --json: $(cat "$T/out")"
ql domblkstat "$NAME" vdz >"$T/out" 2>&1 && fail "domblkstat of a missing disk succeeded"
ql domifstat "$NAME" "$TAP" >"$T/out" 2>&1 || fail "domifstat: $(cat "$T/out")"
grep -q "^$TAP rx_bytes [0-9]" "$T/out" && grep -q "^$TAP tx_drop [0-9]" "$T/out" ||
    fail "domifstat: $(cat "$T/out")"
ql domifstat "$NAME" 52:54:00:d2:00:01 >/dev/null 2>&1 || fail "domifstat by MAC"
ql vcpuinfo "$NAME" >"$T/out" 2>&1 || fail "vcpuinfo: $(cat "$T/out")"
grep -q "^VCPU: *0$" "$T/out" && grep -q "^State: *running$" "$T/out" || fail "vcpuinfo: $(cat "$T/out")"
echo "ok stats"

# --- change-media, kept across a supervisor SIGKILL ---------------------------------------
ql change-media "$NAME" hdc --eject >"$T/out" 2>&1 || fail "eject: $(cat "$T/out")"
grep -q "Successfully ejected media" "$T/out" || fail "eject: $(cat "$T/out")"
ql domblklist "$NAME" | grep -q "^ hdc  *-$" || fail "after eject: $(ql domblklist "$NAME")"
ql change-media "$NAME" hdc --eject >"$T/out" 2>&1 && fail "eject of an empty drive succeeded"
ql change-media "$NAME" vda "$T/cd2.iso" --insert >"$T/out" 2>&1 && fail "change-media on a disk succeeded"
ql change-media "$NAME" hdc "$T/cd2.iso" --insert >"$T/out" 2>&1 || fail "insert: $(cat "$T/out")"
qemu_medium ide0-1-0 "$T/cd2.iso" True
ql_wait_watch "sr0:4096"     # the guest sees the 2 MiB medium
[ "$(stat -c %U "$T/cd2.iso")" = qlaunch-qemu ] || fail "cd2.iso was not given to QEMU's user"
ql change-media "$NAME" hdc "$T/cd1.iso" --insert >"$T/out" 2>&1 && fail "insert into a full drive succeeded"
ql change-media "$NAME" hdc "$T/cd1.iso" --update >"$T/out" 2>&1 || fail "update: $(cat "$T/out")"
# named by its medium, as virsh allows; the action defaults to update
ql change-media "$NAME" "$T/cd1.iso" "$T/cd2.iso" >"$T/out" 2>&1 || fail "update (default): $(cat "$T/out")"
grep -q "Successfully updated media" "$T/out" || fail "update (default): $(cat "$T/out")"
sf="$T/run/$NAME/state.json"
spid=$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$sf")
[ -n "$spid" ] || fail "no supervisor pid in $(cat "$sf")"
kill -9 "$spid"
ql domblklist "$NAME" >"$T/out" 2>&1 || fail "domblklist after the re-attach: $(cat "$T/out")"
grep -q "^ hdc  *$T/cd2.iso$" "$T/out" || fail "after the re-attach: $(cat "$T/out")"
ql dumpxml "$NAME" >"$T/live.xml" 2>&1 || fail "dumpxml: $(cat "$T/live.xml")"
grep -q "source file=\"$T/cd2.iso\"" "$T/live.xml" || fail "dumpxml media: $(cat "$T/live.xml")"
# the re-attached supervisor knows the nodes it made: another change works
ql change-media "$NAME" hdc "$T/cd1.iso" --update >"$T/out" 2>&1 || fail "update after re-attach: $(cat "$T/out")"
ql domblklist "$NAME" | grep -q "^ hdc  *$T/cd1.iso$" || fail "after update: $(ql domblklist "$NAME")"
ql_wait_watch "sr0:2048"
# the replaced media's block nodes are gone, as libvirt removes them
ql qmp "$NAME" '{"execute":"query-named-block-nodes"}' >"$T/nodes" 2>&1 || fail "nodes: $(cat "$T/nodes")"
n=$(grep -o '"node-name": *"libvirt-[0-9]*-storage"' "$T/nodes" | sort -u | wc -l)
[ "$n" = 3 ] || fail "$n storage nodes (vda, fda, hdc) after five media changes: $(grep -o '"node-name": *"[^"]*"' "$T/nodes" | sort -u)"
# a floppy drive, writable
ql change-media "$NAME" fda "$T/fd2.img" --update >"$T/out" 2>&1 || fail "floppy: $(cat "$T/out")"
qemu_medium fdc0-0-0 "$T/fd2.img" False
echo "ok change-media"

# --- dumpxml ----------------------------------------------------------------------
ql dumpxml "$NAME" >"$T/live.xml" 2>&1 || fail "dumpxml: $(cat "$T/live.xml")"
grep -q "<target dev=\"$TAP\"/>" "$T/live.xml" || fail "dumpxml tap: $(cat "$T/live.xml")"
grep -q "<graphics type=\"vnc\".* port=\"59[0-9][0-9]\"" "$T/live.xml" || fail "dumpxml port: $(cat "$T/live.xml")"
grep -q "source file=\"$T/cd1.iso\"" "$T/live.xml" || fail "dumpxml media: $(cat "$T/live.xml")"
"$QLAUNCH" validate "$T/live.xml" >"$T/out" 2>&1 || fail "dumpxml's XML does not validate: $(cat "$T/out")"
echo "ok dumpxml"

# --- setmem -------------------------------------------------------------------------
before=$(sed -n 's/.*GUEST-WATCH mem=\([0-9]*\).*/\1/p' "$T/serial.log" | tail -1)
[ -n "$before" ] || fail "the guest reported no MemTotal"
ql setmem "$NAME" 96M >"$T/out" 2>&1 || fail "setmem: $(cat "$T/out")"
end=$(($(date +%s) + 60))
until ql dommemstat "$NAME" | grep -q "^actual 98304$"; do
    [ "$(date +%s)" -lt "$end" ] || fail "balloon actual: $(ql dommemstat "$NAME")"
    sleep 0.5
done
end=$(($(date +%s) + 60))
while :; do
    now=$(sed -n 's/.*GUEST-WATCH mem=\([0-9]*\).*/\1/p' "$T/serial.log" | tail -1)
    [ "$((before - now))" -ge 30000 ] && break
    [ "$(date +%s)" -lt "$end" ] || fail "guest MemTotal $before -> $now kB after setmem 96M"
    sleep 0.5
done
ql dommemstat --json "$NAME" >"$T/out" 2>&1 || fail "dommemstat --json: $(cat "$T/out")"
grep -q '"rss"' "$T/out" || fail "dommemstat --json: $(cat "$T/out")"
ql setmem "$NAME" 1G >"$T/out" 2>&1 && fail "setmem above the maximum succeeded"
ql dumpxml "$NAME" | grep -q '<currentMemory unit="KiB">98304</currentMemory>' ||
    fail "dumpxml currentMemory: $(ql dumpxml "$NAME")"
echo "ok setmem ($before -> $now kB)"

# --- screenshot, send-key -------------------------------------------------------------
mkdir "$T/shots" && chmod 711 "$T/shots"
(cd "$T/shots" && ql screenshot "$NAME" shot.png) >"$T/out" 2>&1 || fail "screenshot: $(cat "$T/out")"
grep -q "Screenshot saved to shot.png, with type of image/png" "$T/out" || fail "screenshot: $(cat "$T/out")"
python3 - "$T/shots/shot.png" <<'PY' || fail "screenshot is not a PNG of the display's size"
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", d[:8]
length, kind = struct.unpack(">I4s", d[8:16])
assert kind == b"IHDR"
w, h = struct.unpack(">II", d[16:24])
assert zlib.crc32(d[12:16 + length]) == struct.unpack(">I", d[16 + length:20 + length])[0]
# VGA text mode, as the guest leaves its display
assert (w, h) == (720, 400), (w, h)
PY
[ "$(stat -c %u "$T/shots/shot.png")" = "$(id -u)" ] || fail "the screenshot is not the caller's"
[ -z "$(ls "$T/run/$NAME/qemu/" | grep png)" ] || fail "the screenshot was left in QEMU's directory"
# The guest reports its keyboard's events (guest.keys=1): code and press (1) / release (0).
ql send-key "$NAME" KEY_A KEY_LEFTSHIFT >"$T/out" 2>&1 || fail "send-key: $(cat "$T/out")"
ql_wait_for "GUEST-KEY code=30 value=0"     # QEMU releases the keys in reverse order
grep "GUEST-KEY" "$T/serial.log" | tr '\r\n' '  ' |
    grep -q "code=30 value=1 .*code=42 value=1 .*code=42 value=0 .*code=30 value=0" ||
    fail "the guest read other keys: $(grep GUEST-KEY "$T/serial.log")"
ql send-key "$NAME" --codeset xt --holdtime 50 0x30 >"$T/out" 2>&1 || fail "send-key xt: $(cat "$T/out")"
ql_wait_for "GUEST-KEY code=48 value=0"     # xt 0x30 is KEY_B
ql send-key "$NAME" KEY_ENTER >"$T/out" 2>&1 || fail "send-key ENTER: $(cat "$T/out")"
ql_wait_for "GUEST-KEY code=28 value=0"
ql send-key "$NAME" KEY_NOSUCH >"$T/out" 2>&1 && fail "send-key of an unknown key succeeded"
grep -q "invalid keycode" "$T/out" || fail "send-key KEY_NOSUCH: $(cat "$T/out")"
echo "ok screenshot send-key"

ql destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
[ "$(stat -c %u "$T/cd2.iso")" = 0 ] || fail "cd2.iso was not given back to root"
echo "PASS: day2"
exit 0
