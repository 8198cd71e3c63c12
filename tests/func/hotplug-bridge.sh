#!/bin/sh
# A NIC attached with attach-interface to a Linux bridge passes traffic (issue 10): a bridge
# with a veth whose other end is in a network namespace holding the peer's address; the
# guest (guest.hotnet) configures the hot-plugged NIC and pings the peer, the namespace
# pings the guest; after detach-interface the tap is gone and the guest unreachable.
set -u
QL_TAG=hpbridge
. "$top_srcdir/tests/func/lib.sh"
BR="qlhb$$" NS="qlhn$$" VH="qlhv$$" VN="qlhw$$" TAP0="qlht$$"
ql_extra_cleanup() {
    ip netns del "$NS" 2>/dev/null
    for l in "$VH" "$BR" "$TAP0"; do ip link del "$l" 2>/dev/null; done
}
ip link add "$BR" type bridge && ip link set "$BR" up &&
ip netns add "$NS" &&
ip link add "$VH" type veth peer name "$VN" && ip link set "$VN" netns "$NS" &&
ip link set "$VH" master "$BR" && ip link set "$VH" up &&
ip netns exec "$NS" ip link set lo up &&
ip netns exec "$NS" ip addr add 10.88.0.1/24 dev "$VN" &&
ip netns exec "$NS" ip link set "$VN" up || fail "cannot set up the bridge and the namespace"

# ns_ping ADDR: an ICMP echo from the namespace answered within 3 tries (ping(8) need not be
# installed on the host).
ns_ping() {
    ip netns exec "$NS" python3 - "$1" <<'PY'
import os, select, socket, struct, sys
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
for seq in range(3):
    body = struct.pack('!BBHHH', 8, 0, 0, ident, seq) + b'qlaunch-hotplug!'
    s.sendto(body[:2] + struct.pack('!H', csum(body)) + body[4:], (sys.argv[1], 0))
    while select.select([s], [], [], 2)[0]:
        pkt, addr = s.recvfrom(2048)
        icmp = pkt[(pkt[0] & 15) * 4:]
        if addr[0] == sys.argv[1] and icmp[0] == 0 and struct.unpack('!H', icmp[4:6])[0] == ident:
            sys.exit(0)
sys.exit(1)
PY
}

# eth0 exists from the start, so the attached NIC is eth1 (guest.hotnet configures it)
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.watch=1 guest.hotnet=10.88.0.2/24,10.88.0.1" "
    <interface type='ethernet'><target dev='$TAP0'/><model type='virtio'/></interface>
    <serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>"
ql() { timeout 60 "$QLAUNCH" "$@"; }
ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
ql_wait_for GUEST-READY
ql_wait_watch "net=eth0 "

ql attach-interface "$NAME" bridge "$BR" --model virtio --mac 52:54:00:d8:00:02 \
    >"$T/out" 2>&1 || fail "attach-interface: $(cat "$T/out")"
tap=$(ql domiflist "$NAME" | awk '$2 == "bridge" { print $1 }')
[ -n "$tap" ] || fail "domiflist has no bridge interface: $(ql domiflist "$NAME")"
ip -o link show master "$BR" | grep -q ": $tap[:@]" ||
    fail "tap $tap is not on $BR: $(ip -o link show master "$BR")"
ql_wait_watch "net=eth0,eth1 "
ql_wait_for "GUEST-HOTNET eth1 "
grep -q "GUEST-HOTNET eth1 ok" "$T/serial.log" ||
    fail "the guest could not ping the namespace: $(grep GUEST-HOTNET "$T/serial.log")"
ns_ping 10.88.0.2 || fail "the namespace cannot ping the guest"
echo "ok traffic through $BR"

ql detach-interface "$NAME" bridge >"$T/out" 2>&1 || fail "detach-interface: $(cat "$T/out")"
ql_wait_watch "net=eth0 "
ip link show "$tap" >/dev/null 2>&1 && fail "tap $tap still exists after detach-interface"
ns_ping 10.88.0.2 && fail "the guest still answers after detach-interface"
echo "ok detach"
ql destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
echo "PASS: hotplug-bridge"
exit 0
