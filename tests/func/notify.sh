#!/bin/sh
# create --foreground under a service manager: READY=1 reaches $NOTIFY_SOCKET once the guest
# runs (Type=notify), and SIGTERM to the supervisor destroys the domain (systemctl stop).
set -u
QL_TAG=ntf
. "$top_srcdir/tests/func/lib.sh"
LISTENER=
SUP=
ql_extra_cleanup() {
    [ -n "$SUP" ] && kill -9 "$SUP" 2>/dev/null
    [ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null
}
ql_domain_xml "$T/dom.xml"
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
NOTIFY_SOCKET="$T/notify.sock" "$QLAUNCH" create --foreground "$T/dom.xml" 2> "$T/fg.err" &
SUP=$!
for i in $(seq 1 300); do [ -s "$T/notify.out" ] && break; sleep 0.1; done
grep -qx "READY=1" "$T/notify.out" || fail "no READY=1 on NOTIFY_SOCKET: '$(cat "$T/notify.out")'"
st=$("$QLAUNCH" domstate "$NAME")
[ "$st" = running ] || fail "state after READY=1 is '$st', want running"
kill -TERM "$SUP"
rc=0
for i in $(seq 1 300); do kill -0 "$SUP" 2>/dev/null || break; sleep 0.1; done
wait "$SUP"; rc=$?
SUP=
[ $rc = 0 ] || fail "supervisor exited $rc after SIGTERM, want 0 (destroyed)"
grep -q '"reason":"destroyed"' "$T/run/$NAME.last" || fail "last state: $(cat "$T/run/$NAME.last")"
[ ! -d "$T/run/$NAME" ] || fail "run directory left behind"
echo "PASS: notify"
exit 0
