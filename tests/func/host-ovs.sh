#!/bin/sh
# host_nic_setup() with <virtualport type='openvswitch'/> against a real Open vSwitch:
# a private ovsdb-server + ovs-vswitchd (userspace datapath; this kernel has no openvswitch
# module) in a temporary directory, inside a private network namespace. Needs root and
# ovs-vsctl/ovsdb-server/ovs-vswitchd (Debian package openvswitch-switch, installed by
# scripts/install-deps.sh). Exits 0 or 1; never skips. Leaves nothing behind: the daemons
# are killed and the directory removed by a trap, and the namespace dies with us.
#
# ovs-vsctl (run by the helper through host_nic_setup) finds the private database through
# OVS_RUNDIR, which it reads itself: $OVS_RUNDIR/db.sock.
set -u

say() { printf 'host-ovs: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# Re-run ourselves in a fresh network namespace first.
if [ -z "${QL_HOST_OVS_IN_NETNS:-}" ]; then
    command -v unshare >/dev/null 2>&1 || fail "unshare(1) not found (util-linux)"
    QL_HOST_OVS_IN_NETNS=1 exec unshare --net -- /bin/sh "$0" "$@"
    fail "cannot exec unshare --net"
fi

for p in ovs-vsctl ovsdb-tool ovsdb-server ovs-vswitchd ip; do
    command -v "$p" >/dev/null 2>&1 ||
        fail "'$p' not found: install openvswitch-switch and iproute2 (scripts/install-deps.sh)"
done
schema=
for s in /usr/share/openvswitch/vswitch.ovsschema /usr/local/share/openvswitch/vswitch.ovsschema
do
    [ -r "$s" ] && { schema=$s; break; }
done
[ -n "$schema" ] || fail "vswitch.ovsschema not found (is openvswitch-switch installed?)"

builddir=${top_builddir:-.}
helper=$builddir/tests/func/host-ovs-helper
[ -x "$helper" ] || fail "helper '$helper' not built (make check builds it)"

T=$(mktemp -d /tmp/qlaunch-ovs.XXXXXX) || fail "mktemp failed"
hpid=
cleanup() {
    [ -n "$hpid" ] && kill "$hpid" 2>/dev/null
    for d in ovs-vswitchd ovsdb-server; do
        if [ -r "$T/$d.pid" ]; then
            pid=$(cat "$T/$d.pid")
            kill "$pid" 2>/dev/null
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
            kill -9 "$pid" 2>/dev/null
        fi
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

export OVS_RUNDIR=$T OVS_DBDIR=$T OVS_LOGDIR=$T OVS_PKGDATADIR=${schema%/*} OVS_SYSCONFDIR=$T
DB=unix:$T/db.sock

ip link set lo up || fail "ip link set lo up"
ovsdb-tool create "$T/conf.db" "$schema" || fail "ovsdb-tool create"
ovsdb-server "$T/conf.db" --remote="punix:$T/db.sock" --pidfile="$T/ovsdb-server.pid" \
    --unixctl="$T/ovsdb-server.ctl" --log-file="$T/ovsdb-server.log" -vconsole:off \
    --detach 2>>"$T/daemons.err" ||
    fail "ovsdb-server did not start: $(tail -5 "$T/daemons.err" "$T/ovsdb-server.log")"
ovs-vsctl --db="$DB" --no-wait init || fail "ovs-vsctl init"
ovs-vswitchd "$DB" --pidfile="$T/ovs-vswitchd.pid" --unixctl="$T/ovs-vswitchd.ctl" \
    --log-file="$T/ovs-vswitchd.log" -vconsole:off --detach 2>>"$T/daemons.err" ||
    fail "ovs-vswitchd did not start: $(tail -5 "$T/daemons.err" "$T/ovs-vswitchd.log")"
# No --db from here on: everything (the helper too) must find the db through OVS_RUNDIR.
ovs-vsctl --timeout=10 add-br ovsbr -- set bridge ovsbr datapath_type=netdev ||
    fail "cannot create the userspace bridge: $(tail -5 "$T/ovs-vswitchd.log")"

# Runs the helper in the background with a fifo as stdin; sets $hpid, waits for READY/ERROR.
start_helper() {
    rm -f "$T/ctl" "$T/out"
    mkfifo "$T/ctl" || fail "mkfifo"
    "$helper" "$@" <"$T/ctl" >"$T/out" 2>&1 &
    hpid=$!
    exec 3>"$T/ctl"
    i=0
    while ! grep -q '^READY \|^ERROR ' "$T/out" 2>/dev/null; do
        kill -0 "$hpid" 2>/dev/null || break
        [ $i -lt 300 ] || fail "helper did not report within 30 s: $(cat "$T/out")"
        sleep 0.1
        i=$((i + 1))
    done
}

stop_helper() {
    exec 3>&-
    wait "$hpid"
    rc=$?
    hpid=
    return $rc
}

get() { ovs-vsctl --timeout=5 get "$@" 2>&1; }

# True once network device $1 does not exist (waits up to 5 s).
gone() {
    i=0
    while ip link show "$1" >/dev/null 2>&1; do
        [ $i -lt 50 ] || return 1
        sleep 0.1
        i=$((i + 1))
    done
}

# ---- 1. named tap, given interfaceid, VLAN tag ----
IFID=5d3b7cf8-1e0f-4a5e-9a68-3f0e6f0f4a11
start_helper ovsbr qlovs0 52:54:00:aa:bb:cc "$IFID" 42
grep -q '^READY qlovs0$' "$T/out" || fail "setup failed: $(cat "$T/out")"
[ "$(ovs-vsctl port-to-br qlovs0 2>&1)" = ovsbr ] || fail "port qlovs0 is not on ovsbr"
[ "$(get Interface qlovs0 external-ids:attached-mac)" = '"52:54:00:aa:bb:cc"' ] ||
    fail "attached-mac is $(get Interface qlovs0 external-ids:attached-mac)"
[ "$(get Interface qlovs0 external-ids:iface-id)" = "\"$IFID\"" ] ||
    fail "iface-id is $(get Interface qlovs0 external-ids:iface-id)"
[ "$(get Interface qlovs0 external-ids:vm-id)" = '"c7a5fdbd-edaf-9455-926a-d65c16db1809"' ] ||
    fail "vm-id is $(get Interface qlovs0 external-ids:vm-id)"
[ "$(get Interface qlovs0 external-ids:iface-status)" = active ] ||
    fail "iface-status is $(get Interface qlovs0 external-ids:iface-status)"
[ "$(get Port qlovs0 tag)" = 42 ] || fail "VLAN tag is $(get Port qlovs0 tag)"
[ "$(get Port qlovs0 other_config:transient)" = '"true"' ] ||
    fail "transient is $(get Port qlovs0 other_config:transient)"
link=$(ip -o link show qlovs0) || fail "tap qlovs0 does not exist"
case $link in *"link/ether fe:54:00:aa:bb:cc"*) ;; *) fail "tap MAC wrong: $link" ;; esac
case $link in *"<"*UP*">"*) ;; *) fail "tap not up: $link" ;; esac
stop_helper || fail "teardown failed: $(cat "$T/out")"
ovs-vsctl list-ports ovsbr | grep -qx qlovs0 && fail "port qlovs0 still on ovsbr after teardown"
ovs-vsctl --timeout=5 get Interface qlovs0 name >/dev/null 2>&1 &&
    fail "interface record qlovs0 still exists after teardown"
gone qlovs0 || fail "tap qlovs0 still exists after teardown"
say "ok 1 - named tap, external-ids, VLAN tag, teardown"

# ---- 2. generated tap name (vnet*), generated interfaceid, no VLAN ----
start_helper ovsbr vnet3 52:54:00:00:00:11 - -
tap=$(sed -n 's/^READY //p' "$T/out")
case $tap in qltap*) ;; *) fail "expected a generated qltapN name, got: $(cat "$T/out")" ;; esac
ovs-vsctl list-ports ovsbr | grep -qx "$tap" || fail "port $tap not on ovsbr"
id=$(get Interface "$tap" external-ids:iface-id | tr -d '"')
echo "$id" | grep -Eqx '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' ||
    fail "generated iface-id is not a UUID: $id"
[ "$(get Port "$tap" tag)" = '[]' ] || fail "unexpected VLAN tag $(get Port "$tap" tag)"
stop_helper || fail "teardown failed: $(cat "$T/out")"
ovs-vsctl list-ports ovsbr | grep -qx "$tap" && fail "port $tap still on ovsbr after teardown"
say "ok 2 - generated tap name and interfaceid"

# ---- 3. a missing OVS bridge: clear error, no tap, no port ----
"$helper" nosuchbr qlovs1 52:54:00:00:00:12 - - </dev/null >"$T/out" 2>&1 &&
    fail "setup on a missing bridge succeeded"
want="ERROR devices/interface[1]: Open vSwitch bridge 'nosuchbr' does not exist (line 12)"
[ "$(cat "$T/out")" = "$want" ] || fail "unexpected message: $(cat "$T/out")"
gone qlovs1 || fail "tap qlovs1 was left behind"
[ -z "$(ovs-vsctl list-ports ovsbr)" ] || fail "stale ports: $(ovs-vsctl list-ports ovsbr)"
say "ok 3 - missing OVS bridge"

# ---- 4. ovs-vsctl fails after the tap exists (port name taken on another bridge): unwound ----
ovs-vsctl --timeout=10 add-br ovsbr2 -- set bridge ovsbr2 datapath_type=netdev ||
    fail "cannot create ovsbr2"
# a port record named qlovs3 on ovsbr2 (no such kernel device yet): add-port on ovsbr fails
ovs-vsctl --no-wait add-port ovsbr2 qlovs3 || fail "cannot add the decoy port"
"$helper" ovsbr qlovs3 52:54:00:00:00:13 - - </dev/null >"$T/out" 2>&1 &&
    fail "setup with a port name taken on another bridge succeeded"
grep -q "^ERROR devices/interface\[1\]: adding tap 'qlovs3' to Open vSwitch bridge 'ovsbr' \
failed: ovs-vsctl exited with status 1: ovs-vsctl: .*qlovs3.*(line 12)$" "$T/out" ||
    fail "unexpected message: $(cat "$T/out")"
gone qlovs3 || fail "tap qlovs3 was left behind"
ovs-vsctl list-ports ovsbr | grep -qx qlovs3 && fail "stale port qlovs3 on ovsbr"
ovs-vsctl list-ports ovsbr2 | grep -qx qlovs3 || fail "the other bridge's port was removed"
say "ok 4 - ovs-vsctl failure unwinds the tap ($(cat "$T/out"))"

say "PASS"
exit 0
