#!/bin/sh
# Hot-plug (issue 10) on a booted test guest: a disk attached appears in the guest and goes
# on detach, a NIC attached gets its tap (removed on detach), setvcpus is seen by the guest,
# hot-plugged devices survive a supervisor SIGKILL + re-attach, devices the domain started
# with are detached too (and stay gone after a re-attach), and destroy leaves no tap.
set -u
QL_TAG=hotplug
. "$top_srcdir/tests/func/lib.sh"
dd if=/dev/zero of="$T/disk.img" bs=1M count=4 2>/dev/null
dd if=/dev/zero of="$T/hot.img" bs=1M count=2 2>/dev/null
chmod 600 "$T/hot.img"    # QEMU's user cannot read it: attach-disk must give it over
dd if=/dev/zero of="$T/hot2.img" bs=1M count=3 2>/dev/null
dd if=/dev/zero of="$T/start.img" bs=1M count=5 2>/dev/null
TAP="qlhp$$" TAP2="qlhq$$" TAP3="qlhr$$"
ql_extra_cleanup() { for t in "$TAP" "$TAP2" "$TAP3"; do ip link del "$t" 2>/dev/null; done; }
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.watch=1" "
    <disk type='file' device='disk'><source file='$T/disk.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='$T/start.img'/><target dev='vdd' bus='virtio'/></disk>
    <input type='tablet' bus='usb'/>
    <interface type='ethernet'><mac address='52:54:00:d3:00:01'/><target dev='$TAP'/><model type='virtio'/></interface>
    <serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>" \
    "<vcpu current='1'>3</vcpu><cputune><vcpupin vcpu='1' cpuset='0'/></cputune>"
ql() { timeout 60 "$QLAUNCH" "$@"; }
ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
ql_wait_for GUEST-READY
ql_wait_watch "cpus=1"
ql_wait_watch "net=eth0 "

# --- disk ---------------------------------------------------------------------------
ql attach-disk "$NAME" "$T/hot.img" vdb --targetbus virtio >"$T/out" 2>&1 || fail "attach-disk: $(cat "$T/out")"
grep -q "^Disk attached successfully$" "$T/out" || fail "attach-disk: $(cat "$T/out")"
ql_wait_watch "blk=vda:8192,vdb:10240,vdc:4096 "   # the guest names disks in PCI order
[ "$(stat -c %U "$T/hot.img")" = qlaunch-qemu ] || fail "hot.img was not given to QEMU's user"
ql domblklist "$NAME" | grep -q "^ vdb  *$T/hot.img$" || fail "domblklist: $(ql domblklist "$NAME")"
ql attach-disk "$NAME" "$T/hot2.img" vdb >"$T/out" 2>&1 && fail "a second vdb was attached"
grep -q "target vdb already exists" "$T/out" || fail "attach-disk vdb twice: $(cat "$T/out")"
ql attach-disk "$NAME" "$T/hot2.img" vdc --config >"$T/out" 2>&1 && fail "--config was accepted"
echo "ok attach-disk"

# --- interface ----------------------------------------------------------------------
ql attach-interface "$NAME" ethernet --target "$TAP2" --model virtio --mac 52:54:00:d3:00:02 \
    >"$T/out" 2>&1 || fail "attach-interface: $(cat "$T/out")"
grep -q "^Interface attached successfully$" "$T/out" || fail "attach-interface: $(cat "$T/out")"
ip link show "$TAP2" >/dev/null 2>&1 || fail "no tap $TAP2 after attach-interface"
ql_wait_watch "net=eth0,eth1 "
ql domiflist "$NAME" | grep -q "^ $TAP2  *ethernet  *-  *virtio  *52:54:00:d3:00:02$" ||
    fail "domiflist: $(ql domiflist "$NAME")"
echo "ok attach-interface"

# --- vCPUs --------------------------------------------------------------------------
ql setvcpus "$NAME" 2 --live >"$T/out" 2>&1 || fail "setvcpus 2: $(cat "$T/out")"
ql_wait_watch "cpus=2"
ql setvcpus "$NAME" 4 --live >"$T/out" 2>&1 && fail "setvcpus above <vcpu> succeeded"
grep -q "greater than max allowable vcpus" "$T/out" || fail "setvcpus 4: $(cat "$T/out")"
ql dumpxml "$NAME" | grep -q "<vcpu current=\"2\">3</vcpu>" ||
    fail "dumpxml after setvcpus 2: $(ql dumpxml "$NAME" | grep vcpu)"
grep -q "vCPU 1 (thread [0-9]*) pinned to CPUs 0" "$T/log/$NAME.log" ||
    fail "the hot-plugged vCPU 1 was not pinned: $(grep -i vcpu "$T/log/$NAME.log")"
echo "ok setvcpus"

# --- a supervisor SIGKILL: the re-attached one knows the hot-plugged devices -------------
sf="$T/run/$NAME/state.json"
spid=$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$sf")
[ -n "$spid" ] || fail "no supervisor pid in $(cat "$sf")"
kill -9 "$spid"
ql domblklist "$NAME" >"$T/out" 2>&1 || fail "domblklist after the re-attach: $(cat "$T/out")"
grep -q "^ vdb  *$T/hot.img$" "$T/out" || fail "after the re-attach: $(cat "$T/out")"
ql domiflist "$NAME" | grep -q "^ $TAP2 " || fail "domiflist after the re-attach: $(ql domiflist "$NAME")"
ql dumpxml "$NAME" >"$T/live.xml" 2>&1 || fail "dumpxml: $(cat "$T/live.xml")"
grep -q "<target dev=\"vdb\"" "$T/live.xml" && grep -q "<target dev=\"$TAP2\"/>" "$T/live.xml" &&
    grep -q "<address type=\"pci\"" "$T/live.xml" || fail "dumpxml: $(cat "$T/live.xml")"
"$QLAUNCH" validate "$T/live.xml" >"$T/out" 2>&1 || fail "dumpxml's XML does not validate: $(cat "$T/out")"
echo "ok re-attach"

# --- detach ---------------------------------------------------------------------------
ql detach-disk "$NAME" vdb >"$T/out" 2>&1 || fail "detach-disk: $(cat "$T/out")"
grep -q "^Disk detached successfully$" "$T/out" || fail "detach-disk: $(cat "$T/out")"
ql_wait_watch "blk=vda:8192,vdb:10240 "
ql domblklist "$NAME" | grep -q "vdb" && fail "vdb still listed: $(ql domblklist "$NAME")"
[ "$(stat -c %u "$T/hot.img")" = 0 ] || fail "hot.img was not given back to root"
ql detach-interface "$NAME" ethernet >"$T/out" 2>&1 && fail "detach-interface of two NICs without --mac succeeded"
ql detach-interface "$NAME" ethernet --mac 52:54:00:d3:00:02 >"$T/out" 2>&1 ||
    fail "detach-interface: $(cat "$T/out")"
ql_wait_watch "net=eth0 "
ip link show "$TAP2" >/dev/null 2>&1 && fail "tap $TAP2 still exists after detach-interface"
# a disk and a NIC attached by XML: the same device attached again after its detach
cat >"$T/disk.xml" <<XML
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$T/hot2.img'/><target dev='vdb'/></disk>
XML
ql attach-device "$NAME" "$T/disk.xml" >"$T/out" 2>&1 || fail "attach-device: $(cat "$T/out")"
ql_wait_watch "blk=vda:8192,vdb:10240,vdc:6144 "
cat >"$T/nic.xml" <<XML
<interface type='ethernet'><target dev='$TAP3'/><model type='virtio'/></interface>
XML
ql attach-device "$NAME" "$T/nic.xml" >"$T/out" 2>&1 || fail "attach-device nic: $(cat "$T/out")"
ip link show "$TAP3" >/dev/null 2>&1 || fail "no tap $TAP3"
echo "ok detach"

# --- devices QEMU was started with --------------------------------------------------
ql detach-disk "$NAME" vdd >"$T/out" 2>&1 || fail "detach-disk of a start disk: $(cat "$T/out")"
ql_wait_watch "blk=vda:8192,vdc:6144 "
[ "$(stat -c %u "$T/start.img")" = 0 ] || fail "start.img was not given back to root"
ql detach-interface "$NAME" ethernet --mac 52:54:00:d3:00:01 >"$T/out" 2>&1 ||
    fail "detach-interface of the start NIC: $(cat "$T/out")"
ql_wait_watch "net=eth1 "
ip link show "$TAP" >/dev/null 2>&1 && fail "tap $TAP still exists after its detach"
printf "<input type='tablet' bus='usb'/>\n" >"$T/tablet.xml"
ql detach-device "$NAME" "$T/tablet.xml" >"$T/out" 2>&1 || fail "detach-device tablet: $(cat "$T/out")"
ql qmp "$NAME" '{"execute":"qom-list","arguments":{"path":"/machine/peripheral"}}' >"$T/qom" 2>&1
grep -q '"input0"' "$T/qom" && fail "QEMU still has the tablet: $(cat "$T/qom")"
grep -q '"vdb"\|"virtio-disk' "$T/qom" || fail "qom-list: $(cat "$T/qom")"
kill -9 "$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$sf")"
ql domblklist "$NAME" >"$T/out" 2>&1 || fail "domblklist after the re-attach: $(cat "$T/out")"
grep -q "vdd" "$T/out" && fail "vdd is back after the re-attach: $(cat "$T/out")"
grep -q "^ vdb  *$T/hot2.img$" "$T/out" || fail "vdb after the re-attach: $(cat "$T/out")"
ql domiflist "$NAME" >"$T/out" 2>&1
grep -q "$TAP " "$T/out" && fail "the start NIC is back after the re-attach: $(cat "$T/out")"
grep -q "^ $TAP3 " "$T/out" || fail "domiflist after the re-attach: $(cat "$T/out")"
ql dumpxml "$NAME" >"$T/live.xml" 2>&1 || fail "dumpxml: $(cat "$T/live.xml")"
grep -q "start.img\|tablet\|$TAP\"" "$T/live.xml" && fail "dumpxml has detached devices: $(cat "$T/live.xml")"
grep -q "<vcpu current=\"2\">3</vcpu>" "$T/live.xml" ||
    fail "dumpxml's vcpu after the re-attach: $(grep vcpu "$T/live.xml")"
# the builder still sees what QEMU started with: a disk attached now gets a new name
ql attach-disk "$NAME" "$T/start.img" vdd >"$T/out" 2>&1 || fail "attach-disk vdd again: $(cat "$T/out")"
ql_wait_watch "blk=vda:8192,vdb:10240,vdc:6144 "
ql detach-disk "$NAME" vda >"$T/out" 2>&1 || fail "detach-disk vda after the re-attach: $(cat "$T/out")"
ql_wait_watch "blk=vdb:10240,vdc:6144 "
echo "ok detach of start devices"

ql destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
ip link show "$TAP3" >/dev/null 2>&1 && fail "tap $TAP3 left after destroy"
[ "$(stat -c %u "$T/hot2.img")" = 0 ] || fail "hot2.img was not given back to root"
echo "PASS: hotplug"
exit 0
