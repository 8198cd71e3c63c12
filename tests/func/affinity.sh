#!/bin/sh
# <vcpu cpuset>, <cputune><vcpupin>/<emulatorpin> are applied to QEMU's real threads
# (read back from /proc) by the supervisor, with the real QEMU and the test guest.
set -u
QL_TAG=aff
. "$top_srcdir/tests/func/lib.sh"
cat > "$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>128</memory>
  <vcpu placement='static' cpuset='1'>2</vcpu>
  <iothreads>1</iothreads>
  <cputune><vcpupin vcpu='0' cpuset='0'/><emulatorpin cpuset='0-1'/>
    <iothreadpin iothread='1' cpuset='1'/></cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel><initrd>$GUEST/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet guest.action=sleep</cmdline></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
XML
fail() { echo "FAIL: $*"; cat "$T/log/$NAME.log" 2>/dev/null | tail -20; exit 1; }
"$QLAUNCH" create "$T/dom.xml" || fail "create"
pid=$(sed -n 's/.*"qemu_pid":\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json")
[ -n "$pid" ] || fail "no qemu pid in state.json"
cpus_of() { # thread name -> allowed list
    for t in /proc/$pid/task/*; do
        [ "$(cat "$t/comm")" = "$1" ] && sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status"
    done | head -1
}
v0=$(cpus_of "CPU 0/TCG"); v1=$(cpus_of "CPU 1/TCG"); io=$(cpus_of "IO iothread1")
main=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$pid/status)
echo "vCPU0=$v0 vCPU1=$v1 iothread1=$io main=$main"
[ "$io" = 1 ] || fail "IOThread 1 should follow <iothreadpin cpuset='1'>, got '$io'"
[ "$v0" = 0 ] || fail "vCPU 0 should follow <vcpupin cpuset='0'>, got '$v0'"
[ "$v1" = 1 ] || fail "vCPU 1 should follow <vcpu cpuset='1'>, got '$v1'"
[ "$main" = 0-1 ] || fail "the emulator threads should follow <emulatorpin cpuset='0-1'>, got '$main'"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy"
[ ! -d "$T/run/$NAME" ] || fail "run directory left behind"
echo "PASS: affinity"
exit 0
