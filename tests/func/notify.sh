#!/bin/sh
# create --foreground under a service manager, a job scheduler (Nomad) or a container
# runtime (docs/fleet.md): READY=1 reaches $NOTIFY_SOCKET once the guest runs (Type=notify);
# SIGTERM to the supervisor powers the guest off (ACPI), even with on_poweroff=restart, and
# the exit status is the domain's outcome (0, reason shutdown); a guest that ignores the
# power button is destroyed after --stop-timeout; a second signal destroys at once; with
# --stop-timeout 0 the first one does.
set -u
QL_TAG=ntf
. "$top_srcdir/tests/func/lib.sh"
LISTENER=
SUP=
ql_extra_cleanup() {
    [ -n "$SUP" ] && kill -9 "$SUP" 2>/dev/null
    [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
}
SERIAL="<serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>"
ql_domain_xml "$T/dom.xml" "" "$SERIAL" "<on_poweroff>restart</on_poweroff>"
# The same guest without ACPI: no power button, so it ignores an ACPI power-off.
sed 's|<features><acpi/></features>||' "$T/dom.xml" > "$T/noacpi.xml"
grep -q acpi "$T/noacpi.xml" && fail "the no-ACPI domain still has ACPI"

# A stand-in for systemd: receive one datagram on the notify socket, print it.
python3 - "$T/notify.sock" > "$T/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
print(s.recv(4096).decode(), flush=True)
PY
LISTENER=$!
for i in $(seq 1 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done

# fg_start XML [OPTIONS]: create --foreground in the background ($SUP), until the guest is
# up (GUEST-READY on its serial log).
fg_start() {
    x=$1; shift
    rm -f "$T/serial.log"
    NOTIFY_SOCKET="$T/notify.sock" "$QLAUNCH" create --foreground "$@" "$x" 2> "$T/fg.err" &
    SUP=$!
    ql_wait_for GUEST-READY
}
# fg_wait SECONDS: wait for the supervisor to exit within SECONDS; its status in $rc, the
# time it took in $took.
fg_wait() {
    t0=$(date +%s) end=$(($(date +%s) + $1))
    while kill -0 "$SUP" 2>/dev/null; do
        [ "$(date +%s)" -lt "$end" ] || fail "the supervisor still runs $1 s after the signal"
        sleep 0.1
    done
    wait "$SUP"; rc=$?
    took=$(($(date +%s) - t0))
    SUP=
}
last_reason() { sed -n 's/.*"reason":"\([a-z-]*\)".*/\1/p' "$T/run/$NAME.last"; }

# 1. READY=1, then SIGTERM: the guest sees the power button and powers off; on_poweroff
# restart does not bring it back; exit 0.
fg_start "$T/dom.xml"
for i in $(seq 1 300); do [ -s "$T/notify.out" ] && break; sleep 0.1; done
grep -qx "READY=1" "$T/notify.out" || fail "no READY=1 on NOTIFY_SOCKET: '$(cat "$T/notify.out")'"
st=$("$QLAUNCH" domstate "$NAME")
[ "$st" = running ] || fail "state after READY=1 is '$st', want running"
kill -TERM "$SUP"
fg_wait 60
[ $rc = 0 ] || fail "supervisor exited $rc after SIGTERM, want 0: $(cat "$T/fg.err")"
grep -q "GUEST-EVENT power-button" "$T/serial.log" || fail "the guest saw no power button"
[ "$(last_reason)" = shutdown ] || fail "last state: $(cat "$T/run/$NAME.last")"
grep -q "received signal 15: powering the guest off" "$T/fg.err" ||
    fail "stderr does not say what SIGTERM did: $(cat "$T/fg.err")"
[ ! -d "$T/run/$NAME" ] || fail "run directory left behind"
echo "ok SIGTERM powers the guest off"

# 2. A guest that ignores the power button: destroyed when --stop-timeout runs out.
fg_start "$T/noacpi.xml" --stop-timeout 3
kill -TERM "$SUP"
fg_wait 30
[ $rc = 0 ] || fail "exit $rc after the stop timeout, want 0: $(cat "$T/fg.err")"
[ "$took" -ge 2 ] || fail "destroyed after $took s, before the 3 s stop timeout"
[ "$(last_reason)" = destroyed ] || fail "last state: $(cat "$T/run/$NAME.last")"
grep -q "did not power off in time" "$T/fg.err" || fail "no timeout message: $(cat "$T/fg.err")"
echo "ok the stop timeout destroys a guest that ignores the power button"

# 3. A second signal does not wait for the timeout. On the way: --verbose says which
# request went to the supervisor (timestamped outside the journal), --quiet confirms nothing.
fg_start "$T/noacpi.xml" --stop-timeout 300
"$QLAUNCH" suspend --verbose "$NAME" > "$T/v.out" 2> "$T/v.err" || fail "suspend: $(cat "$T/v.err")"
grep -q "^20[0-9-]* [0-9:]* qlaunch\[[0-9]*\]: request 'suspend' to the supervisor of '$NAME': ok ([0-9]* ms)$" \
    "$T/v.err" || fail "suspend --verbose logged: $(cat "$T/v.err")"
grep -qx "Domain '$NAME' suspended" "$T/v.out" || fail "suspend --verbose said: $(cat "$T/v.out")"
[ -z "$("$QLAUNCH" resume --quiet "$NAME" 2>&1)" ] || fail "resume --quiet printed something"
[ "$("$QLAUNCH" domstate "$NAME")" = running ] || fail "not running after resume --quiet"
kill -TERM "$SUP"
sleep 1
[ "$("$QLAUNCH" domstate "$NAME")" = running ] || fail "the domain ended at once on SIGTERM"
kill -INT "$SUP"
fg_wait 30
[ $rc = 0 ] && [ "$(last_reason)" = destroyed ] ||
    fail "second signal: exit $rc, $(cat "$T/run/$NAME.last")"
echo "ok a second signal destroys"

# 4. --stop-timeout 0: the first signal destroys (the old behaviour).
fg_start "$T/dom.xml" --stop-timeout 0
kill -HUP "$SUP"
fg_wait 30
[ $rc = 0 ] && [ "$(last_reason)" = destroyed ] ||
    fail "--stop-timeout 0: exit $rc, $(cat "$T/run/$NAME.last")"
grep -q "GUEST-EVENT power-button" "$T/serial.log" && fail "--stop-timeout 0 pressed the power button"
echo "ok --stop-timeout 0 destroys at once"
echo "PASS: notify"
exit 0
