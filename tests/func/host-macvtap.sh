#!/bin/sh
# <interface type='direct'> and <listen type='network'> end to end: in a private network
# and mount namespace (a /sys of its own), a veth is the macvtap's lower device and holds
# the network's address; `qlaunch start` must create the macvtap (mode, guest MAC, up),
# QEMU must have its fd as the NIC's tap netdev and VNC must listen on the network's
# address; `destroy` must delete the macvtap. Needs root and QEMU; exits 0 or 1, never
# skips (a kernel without CONFIG_MACVTAP fails with that reason).
set -u

say() { printf 'host-macvtap: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; [ -n "${T:-}" ] && tail -5 "$T/log/"*.log >&2 2>/dev/null; exit 1; }

: "${QLAUNCH:?}"
if [ -z "${QL_HOST_MACVTAP_IN_NETNS:-}" ]; then
    command -v unshare >/dev/null 2>&1 || fail "unshare(1) not found (util-linux)"
    QL_HOST_MACVTAP_IN_NETNS=1 exec unshare --net --mount -- /bin/sh "$0" "$@"
    fail "cannot exec unshare"
fi
mount --make-rprivate / && mount -t sysfs sysfs /sys || fail "cannot remount /sys"
command -v ip >/dev/null 2>&1 || fail "ip(8) not found (iproute2)"

T=$(mktemp -d /tmp/ql-macvtap.XXXXXX)
NAME="ql-macvtap-$$"
export QLAUNCH_RUN_DIR="$T/run" QLAUNCH_LOG_DIR="$T/log" QLAUNCH_NETWORK_DIR="$T/networks"
trap '"$QLAUNCH" destroy "$NAME" >/dev/null 2>&1; rm -rf "$T"' EXIT INT TERM

ip link set lo up &&
ip link add qlv0 type veth peer name qlv1 && ip link set qlv0 up && ip link set qlv1 up &&
ip addr add 10.77.0.1/24 dev qlv1 || fail "cannot set up the veth pair"
mkdir "$T/networks"
cat > "$T/networks/qlnet.xml" <<XML
<network><name>qlnet</name><forward mode='nat'/><bridge name='qlbr9'/>
  <ip address='10.77.0.1' netmask='255.255.255.0'/></network>
XML
cat > "$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='direct'>
      <mac address='52:54:00:77:00:02'/>
      <source dev='qlv0' mode='bridge'/>
      <target dev='macvtap0'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' autoport='yes'><listen type='network' network='qlnet'/></graphics>
    <memballoon model='none'/>
  </devices>
</domain>
XML

"$QLAUNCH" argv "$T/dom.xml" | grep -q -- "^-vnc 10.77.0.1:0,to=99" ||
    fail "qlaunch argv does not listen on the network's address"
"$QLAUNCH" start "$T/dom.xml" >/dev/null || fail "qlaunch start failed"
line=$(ip -d -o link show qlmvt0 2>/dev/null) || fail "no macvtap qlmvt0 after start"
case $line in *"qlmvt0@qlv0:"*"UP"*"link/ether 52:54:00:77:00:02 "*"macvtap mode bridge"*) ;;
    *) fail "macvtap not as expected: $line" ;; esac
net=$("$QLAUNCH" qmp "$NAME" \
    '{"execute":"human-monitor-command","arguments":{"command-line":"info network"}}')
case $net in *"model=virtio-net-pci,macaddr=52:54:00:77:00:02"*"hostnet0: index=0,type=tap,fd="*) ;;
    *) fail "QEMU's network is not the macvtap fd: $net" ;; esac
vnc=$("$QLAUNCH" qmp "$NAME" '{"execute":"query-vnc"}')
case $vnc in *'"host":"10.77.0.1"'*) ;; *) fail "VNC does not listen on 10.77.0.1: $vnc" ;; esac
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy failed"
i=0
while ip link show qlmvt0 >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 50 ] && fail "macvtap qlmvt0 still exists after destroy"; sleep 0.1
done
say "ok: macvtap created, used by QEMU and deleted; VNC on the network's address"
