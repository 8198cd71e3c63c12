#!/bin/sh
# The domain stays manageable through QMP faults and a stuck QEMU (issue 13, items 1, 7, 10):
#  1. a QMP reply over the 1 MiB cap fails that command only; the connection lives on;
#  2. the supervisor's QMP connection is cut (as a QEMU closing its monitor would): it
#     reconnects, and verbs that need QEMU work again;
#  3. the connection is cut while the supervisor is stopped and the guest powers off
#     meanwhile: after the reconnect the supervisor finds QEMU in 'shutdown' and applies
#     on_poweroff (here destroy) instead of leaving QEMU paused forever;
#  4. with QEMU stopped (SIGSTOP): status requests are answered, a QMP verb fails on its
#     own timeout without blocking others, and destroy ends QEMU without QMP;
#  5. a hundred idle control connections do not lock the verbs out.
set -u
QL_TAG=mon
. "$top_srcdir/tests/func/lib.sh"
FAULT="python3 $top_srcdir/tests/func/qmp-fault.py"
ql_extra_cleanup() {
    [ -n "${spid:-}" ] && kill -CONT "$spid" 2>/dev/null
    [ -n "${qpid:-}" ] && kill -CONT "$qpid" 2>/dev/null
    [ -n "${idle:-}" ] && kill "$idle" 2>/dev/null
    true
}
LOG="$T/log/$NAME.log"
wait_for() {  # wait_for SECONDS CMD...: poll every 0.1 s
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 0.1; done
}
in_log() { grep -q -- "$1" "$LOG"; }
field() { sed -n 's/.*"'"$1"'":\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json"; }
domstate() { timeout 10 "$QLAUNCH" domstate --reason "$NAME" 2>&1; }

ql_domain_xml "$T/dom.xml" guest.action=sleep \
    "<serial type='file'><source path='$T/serial'/><target port='0'/></serial>"
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create"
qpid=$(field qemu_pid) spid=$(field supervisor_pid)

# 1. oversized reply
if "$QLAUNCH" qmp "$NAME" '{"execute":"human-monitor-command","arguments":{"command-line":"xp /200000xb 0"}}' \
        >"$T/out" 2>&1; then
    fail "a reply over the size cap was accepted: $(head -c 200 "$T/out")"
fi
grep -q "exceeds the limit of 1048576 bytes" "$T/out" || fail "oversized reply: $(cat "$T/out")"
"$QLAUNCH" qmp "$NAME" '{"execute":"query-status"}' >"$T/out" 2>&1 ||
    fail "QMP unusable after an oversized reply: $(cat "$T/out")"
grep -q '"running"' "$T/out" || fail "query-status: $(cat "$T/out")"
in_log "QMP connection closed" && fail "the oversized reply closed the QMP connection"
echo "ok 1 oversized reply fails only its command"
# QEMU runs with umask 077: the serial log it created is the owner's alone.
[ "$(stat -c %a "$T/serial")" = 600 ] || fail "serial log mode $(stat -c %a "$T/serial"), want 600"

# 2. connection cut, reconnect
$FAULT cut "$spid" || fail "cannot cut the QMP connection"
wait_for 20 in_log "re-established" || fail "no QMP reconnect"
"$QLAUNCH" suspend "$NAME" >/dev/null || fail "suspend after reconnect"
[ "$(domstate)" = "paused (user)" ] || fail "state after suspend: $(domstate)"
"$QLAUNCH" resume "$NAME" >/dev/null || fail "resume after reconnect"
wait_for 10 sh -c "[ \"\$(timeout 10 '$QLAUNCH' domstate '$NAME')\" = running ]" ||
    fail "state after resume: $(domstate)"
echo "ok 2 QMP connection cut: reconnected"

# 3. guest power-off while nobody listens (the guest listens to its power button once ready)
wait_for 120 grep -q GUEST-READY "$T/serial" || fail "the guest did not get ready"
kill -STOP "$spid"
$FAULT cut "$spid" || fail "cannot cut the QMP connection (2)"
$FAULT hmp "$T/run/$NAME/qmp.sock" system_powerdown >"$T/out" 2>&1 ||
    fail "direct monitor connection: $(cat "$T/out")"
sleep 1
kill -CONT "$spid"
wait_for 60 test ! -e "$T/run/$NAME" || fail "domain still there after a power-off while the monitor was cut"
kill -0 "$qpid" 2>/dev/null && fail "QEMU $qpid still alive"
[ "$(domstate)" = "shut off (shutdown)" ] || fail "final state: $(domstate)"
echo "ok 3 power-off while disconnected: on_poweroff applied"

# 4. QEMU stopped
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create (2)"
qpid=$(field qemu_pid) spid=$(field supervisor_pid)
kill -STOP "$qpid"
timeout 120 "$QLAUNCH" suspend "$NAME" >"$T/susp" 2>&1 &
susp=$!
t0=$(date +%s%N)
[ "$(domstate)" = "running (booted)" ] || fail "domstate with QEMU stopped: $(domstate)"
t1=$(date +%s%N)
echo "# domstate answered in $(( (t1 - t0) / 1000000 )) ms with QEMU stopped and a QMP request pending"
timeout 60 "$QLAUNCH" destroy "$NAME" >"$T/out" 2>&1 || fail "destroy of a stopped QEMU: $(cat "$T/out")"
kill -0 "$qpid" 2>/dev/null && fail "QEMU survived destroy"
# The pending suspend ends with the destroy (QEMU may still have answered it on its way out).
wait "$susp"
[ $? -ne 124 ] || fail "suspend of a stopped QEMU still hung after destroy"
[ "$(domstate)" = "shut off (destroyed)" ] || fail "state after destroy: $(domstate)"
qpid=
echo "ok 4 QEMU stopped: status answered, destroy needs no QMP"

# 5. idle control connections
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create (3)"
qpid=$(field qemu_pid)
$FAULT idle "$T/run/$NAME/ctl.sock" 100 60 >"$T/idle" 2>&1 &
idle=$!
wait_for 20 grep -q holding "$T/idle" || fail "idle clients: $(cat "$T/idle")"
[ "$(domstate)" = "running (booted)" ] || fail "domstate with 100 idle clients: $(domstate)"
timeout 60 "$QLAUNCH" destroy "$NAME" >"$T/out" 2>&1 || fail "destroy with idle clients: $(cat "$T/out")"
kill "$idle" 2>/dev/null; idle=
kill -0 "$qpid" 2>/dev/null && fail "QEMU survived destroy"
qpid=
echo "ok 5 idle control connections do not lock the verbs out"
echo "PASS: monitor-loss"
exit 0
