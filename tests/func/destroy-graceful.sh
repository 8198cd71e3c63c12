#!/bin/sh
# destroy --graceful sends SIGTERM only: when QEMU does not exit (here: it is stopped with
# SIGSTOP, so the signal stays pending) the command fails after the grace period and the
# domain is left alone, as virsh does; plain destroy then ends it with SIGKILL.
set -u
QL_TAG=grace
. "$top_srcdir/tests/func/lib.sh"
ql_extra_cleanup() { [ -n "${pid:-}" ] && kill -CONT "$pid" 2>/dev/null; }
ql_domain_xml "$T/dom.xml"
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create"
pid=$(sed -n 's/.*"qemu_pid":\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json")
kill -STOP "$pid"
start=$(date +%s)
if timeout 60 "$QLAUNCH" destroy --graceful "$NAME" > "$T/out" 2>&1; then
    fail "destroy --graceful succeeded although QEMU could not exit"
fi
el=$(( $(date +%s) - start ))
grep -q "did not exit within 10 s of SIGTERM; --graceful does not kill it" "$T/out" ||
    fail "unexpected message: $(cat "$T/out")"
[ $el -ge 9 ] && [ $el -le 30 ] || fail "graceful destroy gave up after $el s, want ~10"
kill -0 "$pid" 2>/dev/null || fail "QEMU was killed by a graceful destroy"
[ -d "$T/run/$NAME" ] || fail "the domain's run directory vanished"
# The plain destroy kills it for sure (SIGKILL after the grace period).
timeout 60 "$QLAUNCH" destroy "$NAME" > "$T/out2" 2>&1 || fail "destroy: $(cat "$T/out2")"
kill -0 "$pid" 2>/dev/null && fail "QEMU survived destroy"
[ ! -d "$T/run/$NAME" ] || fail "run directory left behind"
st=$("$QLAUNCH" domstate --reason "$NAME")
[ "$st" = "shut off (destroyed)" ] || fail "state after destroy: '$st'"
pid=
echo "PASS: destroy --graceful"
exit 0
