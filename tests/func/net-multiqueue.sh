#!/bin/sh
# NIC multiqueue (issue 8, item 7): <driver queues='4'> on a virtio NIC of type='ethernet'
# gives QEMU a 4-queue tap (IFF_MULTI_QUEUE, fds=a:b:c:d, mq=on,vectors=10) and the guest
# (4 vCPUs) sees 4 rx and 4 tx queues on eth0; the tap is gone after destroy.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (taps)"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
QL_TAG=netmq
. "$top_srcdir/tests/func/lib.sh"
S="$T/serial.log"
TAP="qlmq$$"
TAP=$(printf '%.15s' "$TAP")
ql_domain_xml "$T/dom.xml" "" "
    <serial type='file'><source path='$S'/><target port='0'/></serial>
    <interface type='ethernet'><mac address='52:54:00:4d:51:01'/><target dev='$TAP'/>
      <model type='virtio'/><driver queues='4'/></interface>
    <memballoon model='none'/>" "<vcpu>4</vcpu>"
wait_for() {
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 0.1; done
}
timeout 120 "$QLAUNCH" argv "$T/dom.xml" > "$T/argv" 2>&1 || fail "argv: $(cat "$T/argv")"
grep -q '"fds":"[0-9]*:[0-9]*:[0-9]*:[0-9]*"' "$T/argv" || fail "no 4 tap fds: $(grep netdev "$T/argv")"
grep -q '"mq":true,"vectors":10' "$T/argv" || fail "no mq/vectors: $(grep virtio-net "$T/argv")"
timeout 120 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 || fail "create: $(cat "$T/out")"
[ -e "/sys/class/net/$TAP" ] || fail "tap $TAP does not exist while the domain runs"
grep -q multi_queue "/sys/class/net/$TAP/tun_flags" 2>/dev/null \
    || [ "$(( $(cat "/sys/class/net/$TAP/tun_flags") & 0x100 ))" != 0 ] \
    || fail "tap $TAP is not multi-queue (tun_flags $(cat "/sys/class/net/$TAP/tun_flags"))"
wait_for 180 grep -q GUEST-NETQ "$S" || fail "no GUEST-NETQ: $(tail -5 "$S")"
grep -q "GUEST-NETQ eth0 rx=4 tx=4" "$S" || fail "the guest sees $(grep GUEST-NETQ "$S")"
echo "ok the guest sees 4 queues: $(grep GUEST-NETQ "$S" | tr -d '\r')"
"$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy"
wait_for 30 test ! -e "/sys/class/net/$TAP" || fail "tap $TAP left after destroy"
echo "ok the tap is gone after destroy"
echo "PASS: net-multiqueue"
exit 0
