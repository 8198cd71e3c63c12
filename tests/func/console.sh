#!/bin/sh
# qlaunch console: relays the guest's serial pty, ends when QEMU goes away, and Ctrl-]
# leaves at once. Real QEMU, real guest.
set -u
QL_TAG=con
. "$top_srcdir/tests/func/lib.sh"
mkxml() { # action
    ql_domain_xml "$T/dom.xml" "$1" "<serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>"
}

# 1. create --console shows the guest booting and returns when the guest powers off.
mkxml "guest.action=poweroff guest.delay=3"
timeout 60 "$QLAUNCH" create --console "$T/dom.xml" < /dev/null > "$T/out1" 2> "$T/err1"
rc=$?
[ $rc = 0 ] || fail "create --console exited $rc: $(cat "$T/err1")"
grep -q "GUEST-ACTION poweroff" "$T/out1" || fail "console output lacks the guest's markers: $(cat "$T/out1")"
grep -q "Escape character is ^]" "$T/err1" || fail "no console banner"
for i in $(seq 1 50); do [ -d "$T/run/$NAME" ] || break; sleep 0.1; done
[ ! -d "$T/run/$NAME" ] || fail "run directory left behind"

# 2. Ctrl-] (0x1d) leaves the console; the domain keeps running.
mkxml "guest.action=sleep"
"$QLAUNCH" create "$T/dom.xml" > /dev/null || fail "create"
start=$(date +%s)
(sleep 2; printf '\035') | timeout 20 "$QLAUNCH" console "$NAME" > "$T/out2" 2>&1
rc=$?
[ $rc = 0 ] || fail "console exited $rc after Ctrl-]"
[ $(( $(date +%s) - start )) -lt 15 ] || fail "console did not leave on Ctrl-]"
st=$("$QLAUNCH" domstate "$NAME")
[ "$st" = running ] || fail "domain should still run after leaving the console, state '$st'"
"$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy"
echo "PASS: console"
exit 0
