#!/bin/sh
# The guest agent verbs (issue 10) end to end: Debian's qemu-guest-agent runs in the booted
# test guest (initramfs-agent.gz, guest.agent=1) behind the supervisor's connection to the
# channel's socket. qemu-agent-command guest-ping, domifaddr showing the guest's address,
# domfsfreeze/domfsthaw of an ext2 file system the guest mounted, reboot --mode agent, and
# shutdown --mode agent powering the guest off (on_poweroff destroy: the domain ends shut off).
# Then a guest whose "agent" answers garbage (guest.agent=garbage): commands fail with a
# timeout while list and domstate still answer at once, the supervisor logs the bad lines,
# and shutdown --mode agent,acpi falls back to the power button (on_poweroff restart applies).
set -u
QL_TAG=agent
. "$top_srcdir/tests/func/lib.sh"
QL_INITRD=$GUEST/initramfs-agent.gz
[ -s "$QL_INITRD" ] || fail "the guest build made no $QL_INITRD"
dd if=/dev/zero of="$T/disk.img" bs=1M count=8 2>/dev/null
AGENT_CHANNEL="<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.agent=1 guest.mkfs=vda guest.ip=10.0.2.15/24" "
    <disk type='file' device='disk'><source file='$T/disk.img'/><target dev='vda' bus='virtio'/></disk>
    <interface type='user'><mac address='52:54:00:a9:00:01'/><model type='virtio'/></interface>
    $AGENT_CHANNEL
    <serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>"
ql() { timeout 60 "$QLAUNCH" "$@"; }
# wait_for PATTERN [COUNT]: until the serial log has COUNT (default 1) lines matching PATTERN.
wait_for() {
    end=$(($(date +%s) + 90))
    until [ "$(grep -c -- "$1" "$T/serial.log" 2>/dev/null)" -ge "${2:-1}" ]; do
        [ "$(date +%s)" -lt "$end" ] || fail "no '$1' (x${2:-1}) within 90 s: $(tail -5 "$T/serial.log")"
        sleep 0.2
    done
}
# now_ms: a clock in milliseconds (for "answers at once").
now_ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }

ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
wait_for GUEST-READY
grep -q "GUEST-AGENT qemu-ga" "$T/serial.log" || fail "qemu-ga did not start: $(cat "$T/serial.log")"
grep -q "GUEST-FS /mnt vda" "$T/serial.log" || fail "no file system in the guest: $(cat "$T/serial.log")"

# --- qemu-agent-command ---------------------------------------------------------------
ql qemu-agent-command "$NAME" '{"execute":"guest-ping"}' >"$T/out" 2>&1 ||
    fail "guest-ping: $(cat "$T/out")"
[ "$(cat "$T/out")" = '{"return":{}}' ] || fail "guest-ping printed: $(cat "$T/out")"
ql qemu-agent-command "$NAME" --timeout 10 '{"execute":"guest-info"}' >"$T/out" 2>&1 ||
    fail "guest-info: $(cat "$T/out")"
grep -q '"version":"7.2' "$T/out" || fail "guest-info: $(cat "$T/out")"
ql qemu-agent-command "$NAME" '{"execute":' '"guest-get-host-name"}' --pretty >"$T/out" 2>&1 ||
    fail "guest-get-host-name (in two words): $(cat "$T/out")"
grep -q '^ *"host-name"' "$T/out" || fail "--pretty: $(cat "$T/out")"
ql qemu-agent-command "$NAME" '{"execute":"guest-nosuch"}' >"$T/out" 2>&1
[ $? = 1 ] || fail "an unknown agent command did not exit 1: $(cat "$T/out")"
grep -q "unable to execute QEMU agent command 'guest-nosuch'" "$T/out" || fail "unknown: $(cat "$T/out")"
ql qemu-agent-command "$NAME" '{"execute":"guest-ping","id":1}' >"$T/out" 2>&1 &&
    fail "a command with an extra member was sent"
echo "ok qemu-agent-command"

# --- domifaddr --------------------------------------------------------------------------
ql domifaddr "$NAME" >"$T/out" 2>&1 || fail "domifaddr: $(cat "$T/out")"
head -1 "$T/out" | grep -q '^ Name  *MAC address  *Protocol  *Address$' || fail "domifaddr header: $(cat "$T/out")"
grep -q '^ eth0  *52:54:00:a9:00:01  *ipv4  *10.0.2.15/24$' "$T/out" || fail "domifaddr: $(cat "$T/out")"
ql domifaddr "$NAME" --source agent --interface eth0 --json >"$T/out" 2>&1 || fail "domifaddr --json: $(cat "$T/out")"
python3 - "$T/out" <<'PY' || fail "domifaddr --json: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
eth0 = [i for i in d if i["name"] == "eth0"][0]
assert eth0["hwaddr"] == "52:54:00:a9:00:01", eth0
assert {"type": "ipv4", "addr": "10.0.2.15", "prefix": 24} in eth0["addrs"], eth0
PY
ql domifaddr "$NAME" --source lease >"$T/out" 2>&1 && fail "domifaddr --source lease succeeded"
echo "ok domifaddr"

# --- domfsfreeze / domfsthaw ----------------------------------------------------------
ql domfsfreeze "$NAME" >"$T/out" 2>&1 || fail "domfsfreeze: $(cat "$T/out")"
[ "$(cat "$T/out")" = "Froze 1 filesystem(s)" ] || fail "domfsfreeze: $(cat "$T/out")"
ql qemu-agent-command "$NAME" '{"execute":"guest-fsfreeze-status"}' | grep -q '"frozen"' ||
    fail "not frozen after domfsfreeze"
ql domfsthaw "$NAME" >"$T/out" 2>&1 || fail "domfsthaw: $(cat "$T/out")"
[ "$(cat "$T/out")" = "Thawed 1 filesystem(s)" ] || fail "domfsthaw: $(cat "$T/out")"
ql domfsfreeze "$NAME" --mountpoint /mnt --json >"$T/out" 2>&1 || fail "domfsfreeze --mountpoint: $(cat "$T/out")"
grep -q '"frozen":1' "$T/out" || fail "domfsfreeze --json: $(cat "$T/out")"
ql domfsthaw "$NAME" >/dev/null 2>&1 || fail "domfsthaw after --mountpoint"
ql qemu-agent-command "$NAME" '{"execute":"guest-fsfreeze-status"}' | grep -q '"thawed"' ||
    fail "not thawed after domfsthaw"
echo "ok domfsfreeze domfsthaw"

# --- reboot --mode agent: the guest reboots itself; the agent answers again after it ----
ql reboot "$NAME" --mode agent >"$T/out" 2>&1 || fail "reboot --mode agent: $(cat "$T/out")"
grep -q "Domain '$NAME' is being rebooted" "$T/out" || fail "reboot --mode agent: $(cat "$T/out")"
wait_for "GUEST-EVENT agent-reboot"
wait_for GUEST-READY 2
[ "$(ql domstate "$NAME")" = running ] || fail "not running after the agent's reboot"
ql qemu-agent-command "$NAME" '{"execute":"guest-ping"}' >"$T/out" 2>&1 ||
    fail "guest-ping after the reboot: $(cat "$T/out")"
echo "ok reboot --mode agent"

# --- shutdown --mode agent: powers the guest off; on_poweroff (destroy) ends the domain ----
ql shutdown "$NAME" --mode agent >"$T/out" 2>&1 || fail "shutdown --mode agent: $(cat "$T/out")"
grep -q "Domain '$NAME' is being shutdown" "$T/out" || fail "shutdown --mode agent: $(cat "$T/out")"
wait_for "GUEST-EVENT agent-poweroff"
end=$(($(date +%s) + 30))
until [ ! -d "$T/run/$NAME" ]; do
    [ "$(date +%s)" -lt "$end" ] || fail "the domain did not end after the agent's shutdown"
    sleep 0.2
done
[ "$(ql domstate "$NAME" --reason)" = "shut off (shutdown)" ] ||
    fail "after the agent's shutdown: $(ql domstate "$NAME" --reason)"
echo "ok shutdown --mode agent"

# --- an agent that answers garbage: timeouts, nothing else waits ------------------------
rm -f "$T/serial.log"
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.agent=garbage" "
    $AGENT_CHANNEL
    <serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>" \
    "<on_poweroff>restart</on_poweroff>"
ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create (garbage agent): $(cat "$T/out")"
wait_for GUEST-READY
grep -q "GUEST-AGENT garbage" "$T/serial.log" || fail "no garbage agent: $(cat "$T/serial.log")"
start=$(now_ms)
ql qemu-agent-command "$NAME" '{"execute":"guest-ping"}' >"$T/ping1" 2>&1 &
p1=$!
ql domifaddr "$NAME" >"$T/ping2" 2>&1 &    # queued behind the first: one exchange at a time
p2=$!
sleep 1
t0=$(now_ms)
[ "$(ql domstate "$NAME")" = running ] || fail "domstate while the agent hangs"
ql list >"$T/out" 2>&1 || fail "list while the agent hangs: $(cat "$T/out")"
t1=$(now_ms)
# The exchange waits 5 s for guest-sync: anything well under that did not wait for it.
[ $((t1 - t0)) -lt 4000 ] || fail "domstate + list took $((t1 - t0)) ms while the agent hung"
grep -q " $NAME  *running" "$T/out" || fail "list: $(cat "$T/out")"
wait $p1 && fail "guest-ping to a garbage agent succeeded: $(cat "$T/ping1")"
grep -q "the guest agent is not responding" "$T/ping1" || fail "garbage agent: $(cat "$T/ping1")"
wait $p2 && fail "domifaddr from a garbage agent succeeded: $(cat "$T/ping2")"
grep -q "the guest agent is not responding" "$T/ping2" || fail "garbage agent: $(cat "$T/ping2")"
took=$(($(now_ms) - start))
[ "$took" -ge 9000 ] || fail "two queued exchanges ended after $took ms, not one after the other"
grep -q "warning: the guest agent sent something that is not a JSON object" "$T/log/$NAME.log" ||
    fail "the garbage was not logged: $(tail -5 "$T/log/$NAME.log")"
echo "ok hung agent ($took ms for two timeouts; domstate + list $((t1 - t0)) ms)"

ql shutdown "$NAME" --mode agent >"$T/out" 2>&1 && fail "shutdown --mode agent with a garbage agent succeeded"
ql shutdown "$NAME" --mode agent,acpi >"$T/out" 2>&1 || fail "shutdown --mode agent,acpi: $(cat "$T/out")"
wait_for "GUEST-EVENT power-button"
wait_for GUEST-READY 2      # on_poweroff restart: the guest boots again
[ "$(ql domstate "$NAME")" = running ] || fail "not running after the restart"
ql destroy "$NAME" >/dev/null 2>&1 || fail "destroy"
echo "PASS: agent"
exit 0
