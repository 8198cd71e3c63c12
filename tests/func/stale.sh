#!/bin/sh
# Both the supervisor and QEMU killed with SIGKILL: the run directory they leave is stale.
# qlaunch must say the domain is not running, clean up, and let it be created again; and a
# second create of a running domain must be refused.
set -u
QL_TAG=stale
. "$top_srcdir/tests/func/lib.sh"
ql_domain_xml "$T/dom.xml"
pid_of() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$T/run/$NAME/state.json"; }
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create"
if "$QLAUNCH" create "$T/dom.xml" > "$T/second" 2>&1; then fail "second create succeeded"; fi
grep -q "is already running" "$T/second" || fail "second create said: $(cat "$T/second")"
sup=$(pid_of supervisor_pid); qemu=$(pid_of qemu_pid)
[ -n "$sup" ] && [ -n "$qemu" ] || fail "no pids in state.json"
kill -9 "$sup" "$qemu"
for i in $(seq 1 50); do kill -0 "$qemu" 2>/dev/null || break; sleep 0.1; done
[ -d "$T/run/$NAME" ] || fail "expected the stale run directory to be there"
out=$("$QLAUNCH" list 2>&1)
echo "$out" | grep -q "$NAME" && fail "list shows a domain whose QEMU is dead: $out"
[ ! -d "$T/run/$NAME" ] || fail "the stale run directory was not cleaned"
st=$("$QLAUNCH" domstate --reason "$NAME")
[ "$st" = "shut off (crashed)" ] || fail "domstate after the cleanup: '$st', want 'shut off (crashed)'"
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create after the stale directory"
[ "$("$QLAUNCH" domstate "$NAME")" = running ] || fail "not running after the second create"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy"
echo "PASS: stale run directory"
exit 0
