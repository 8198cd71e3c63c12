#!/bin/sh
# A supervisor that dies at any point of a start, or a running domain whose state file is
# missing, empty, garbled or has no QEMU pid, never leaves a QEMU that qlaunch cannot see,
# stop or replace (issue 13, item 2). For every kill point (QLAUNCH_KILL_AT, a trace phase of
# the start) and every kind of damaged state: `list` and `domstate` answer, `destroy` ends
# whatever runs, nothing of the domain is left, and `create` works again.
set -u
QL_TAG=death
. "$top_srcdir/tests/func/lib.sh"
ql_domain_xml "$T/dom.xml"
qemu_pids() { pgrep -f -- "guest=$NAME," 2>/dev/null; }
wait_for() {
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 0.1; done
}
no_qemu() { [ -z "$(qemu_pids)" ]; }
# after CASE: the domain must be manageable and end up fully gone.
after() {
    timeout 60 "$QLAUNCH" list --all >"$T/list" 2>&1 || fail "$1: list failed: $(cat "$T/list")"
    st=$(timeout 60 "$QLAUNCH" domstate "$NAME" 2>&1)
    case $st in
    running|paused|"shut off"|*"not found"*) ;;
    *) fail "$1: domstate says '$st'" ;;
    esac
    if [ "$st" = running ] || [ "$st" = paused ]; then
        grep -q "$NAME" "$T/list" || fail "$1: a $st domain missing from list: $(cat "$T/list")"
    fi
    timeout 60 "$QLAUNCH" destroy "$NAME" >"$T/out" 2>&1 ||
        grep -Eq "not running|not found" "$T/out" || fail "$1: destroy: $(cat "$T/out")"
    wait_for 30 no_qemu || fail "$1: QEMU left running: $(qemu_pids)"
    wait_for 30 test ! -e "$T/run/$NAME" || fail "$1: run directory left: $(ls "$T/run/$NAME")"
    timeout 120 "$QLAUNCH" create "$T/dom.xml" >"$T/out" 2>&1 || fail "$1: create again: $(cat "$T/out")"
    timeout 60 "$QLAUNCH" destroy "$NAME" >/dev/null 2>&1 || fail "$1: destroy after create again"
    wait_for 30 no_qemu || fail "$1: QEMU left after the second destroy"
}

for point in supervisor build host-ready fork state-written exec qmp-ready cont state-running released; do
    QLAUNCH_KILL_AT=$point timeout 120 "$QLAUNCH" create "$T/dom.xml" >"$T/create" 2>&1
    after "kill at $point"
    echo "ok kill at $point"
done

for damage in missing empty garbage no-pid; do
    timeout 120 "$QLAUNCH" create "$T/dom.xml" >/dev/null 2>&1 || fail "create ($damage)"
    sf="$T/run/$NAME/state.json"
    spid=$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$sf")
    [ -n "$spid" ] || fail "no supervisor pid in $(cat "$sf")"
    kill -9 "$spid"
    case $damage in
    missing) rm -f "$sf" ;;
    empty) : >"$sf" ;;
    garbage) printf '{"name": "x", \001\377 garbage' >"$sf" ;;
    no-pid) sed -i 's/"qemu_pid": *[0-9]*,//; s/"qemu_start_time": *[0-9]*,//' "$sf" ;;
    esac
    st=$(timeout 60 "$QLAUNCH" domstate "$NAME" 2>&1)
    [ "$st" = running ] || fail "$damage state: domstate says '$st' for a running QEMU"
    [ -n "$(qemu_pids)" ] || fail "$damage state: QEMU was stopped by a status request"
    after "$damage state"
    echo "ok $damage state"
done
echo "PASS: sup-death"
exit 0
