#!/bin/sh
# What the supervisor sets over QMP before `cont`, checked on the real QEMU with the test
# guest: NIC link state, balloon target (currentMemory) and balloon stats period.
set -u
QL_TAG=post
. "$top_srcdir/tests/func/lib.sh"
cat > "$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>256</memory>
  <currentMemory unit='MiB'>192</currentMemory>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel><initrd>$GUEST/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet guest.action=sleep</cmdline></os>
  <features><acpi/></features>
  <devices>
    <interface type='user'><mac address='52:54:00:12:34:56'/><model type='virtio'/>
      <link state='down'/></interface>
    <memballoon model='virtio'><stats period='7'/></memballoon>
  </devices>
</domain>
XML
"$QLAUNCH" create "$T/dom.xml" || fail "create"
q() { "$QLAUNCH" qmp "$NAME" "$1"; }
# QEMU has no query for a NIC's link state; set_link fails for an unknown device, so a
# running domain plus the supervisor's log line show it was applied to net0.
grep -q "interface net0: link set down" "$T/log/$NAME.log" || fail "set_link net0 down not sent"
per=$(q '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/balloon0","property":"guest-stats-polling-interval"}}') ||
    fail "qom-get"
echo "$per" | grep -q '"return":7' || fail "stats period should be 7: $per"
# The balloon target is currentMemory; the guest's driver then gives the memory back.
ok=0
for i in $(seq 1 60); do
    bal=$(q '{"execute":"query-balloon"}') || fail "query-balloon"
    if echo "$bal" | grep -q '"actual":201326592'; then ok=1; break; fi
    sleep 0.5
done
[ $ok = 1 ] || fail "balloon should reach 192 MiB (201326592 bytes): $bal"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy"
[ ! -d "$T/run/$NAME" ] || fail "run directory left behind"
echo "PASS: link down, balloon stats period, balloon target"
exit 0
