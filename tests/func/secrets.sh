#!/bin/sh
# A VNC and a SPICE password reach QEMU over QMP only: never in QEMU's argv (/proc/PID/cmdline),
# the run directory, the log (even with the QMP transcript on) or qlaunch's output; and the
# password really is in force (VNC asks for authentication).
set -u
QL_TAG=sec
. "$top_srcdir/tests/func/lib.sh"
PW="Pw-$$-zq7Xk"
SPW="Sp-$$-k2Lmn"
ql_domain_xml "$T/dom.xml" "guest.action=sleep" "
    <graphics type='vnc' autoport='yes' listen='127.0.0.1' passwd='$PW'/>
    <graphics type='spice' port='$((20000 + $$ % 10000))' autoport='no' listen='127.0.0.1' passwd='$SPW'/>"
"$QLAUNCH" argv "$T/dom.xml" > "$T/argv.out" 2>&1 || fail "argv: $(cat "$T/argv.out")"
"$QLAUNCH" create --qmp-log "$T/dom.xml" > "$T/create.out" 2>&1 || fail "create: $(cat "$T/create.out")"
pid=$(sed -n 's/.*"qemu_pid":\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json")
[ -n "$pid" ] || fail "no QEMU pid"
tr '\0' ' ' < "/proc/$pid/cmdline" > "$T/cmdline"
"$QLAUNCH" dominfo --json "$NAME" > "$T/dominfo.out" 2>&1
grep -q '"execute":"set_password"' "$T/log/$NAME.log" || fail "no QMP transcript in the log"
grep -q '"password":"\*\*\*"' "$T/log/$NAME.log" || fail "transcript does not show the redaction"
for f in "$T/argv.out" "$T/create.out" "$T/cmdline" "$T/dominfo.out" "$T/log/$NAME.log" \
         "$T/run/$NAME/state.json"; do
    if grep -q -e "$PW" -e "$SPW" "$f"; then fail "a password appears in $f"; fi
done
grep -q "password=on" "$T/cmdline" || fail "VNC should require a password: $(cat "$T/cmdline")"
# The VNC server must demand authentication: RFB security type 2 (VNC auth), not 1 (none).
port=$(python3 - "$NAME" <<'PY'
import json, subprocess, sys, os
out = subprocess.run([os.environ["QLAUNCH"], "qmp", sys.argv[1], '{"execute":"query-vnc"}'],
                     capture_output=True, text=True).stdout
print(json.loads(out)["return"]["service"])
PY
) || fail "query-vnc"
auth=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.recv(12)                         # "RFB 003.008\n"
s.sendall(b"RFB 003.008\n")
n = s.recv(1)[0]
print(list(s.recv(n)))
PY
) || fail "RFB handshake"
[ "$auth" = "[2]" ] || fail "VNC offers security types $auth, want [2] (password)"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy"
echo "PASS: secrets"
exit 0
