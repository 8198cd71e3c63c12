#!/bin/sh
# The first verb after a re-attach answers with the state QEMU has, not the one the dead
# supervisor last wrote (issue 13, item 17): the guest powers off while no supervisor runs;
# the domstate that re-attaches must say "shut off (shutdown)" (on_poweroff=destroy), never
# the stale "running".
set -u
QL_TAG=reatt
. "$top_srcdir/tests/func/lib.sh"
ql_domain_xml "$T/dom.xml" "guest.action=poweroff guest.delay=3" \
    "<serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>"
# Without the fix the stale answer races with QEMU's exit: three rounds make it show.
for round in 1 2 3; do
    timeout 120 "$QLAUNCH" create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
    sf="$T/run/$NAME/state.json"
    spid=$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$sf")
    qpid=$(sed -n 's/.*"qemu_pid": *\([0-9]*\).*/\1/p' "$sf")
    [ -n "$spid" ] && [ -n "$qpid" ] || fail "no pids in $(cat "$sf")"
    kill -9 "$spid"
    # -no-shutdown keeps QEMU after the guest's power-off; wait until the guest has said so.
    end=$(($(date +%s) + 60))
    until grep -q "GUEST-ACTION poweroff" "$T/serial.log" 2>/dev/null; do
        [ "$(date +%s)" -lt "$end" ] || fail "the guest did not power off"
        sleep 0.2
    done
    sleep 2
    kill -0 "$qpid" 2>/dev/null || fail "QEMU exited without its supervisor (-no-shutdown?)"
    st=$(timeout 60 "$QLAUNCH" domstate --reason "$NAME" 2>&1)
    [ "$st" = "shut off (shutdown)" ] || fail "round $round: first domstate after the re-attach says '$st'"
    i=0
    while pgrep -f -- "guest=$NAME," >/dev/null; do
        [ $i -lt 100 ] || fail "QEMU still runs after its on_poweroff=destroy"
        i=$((i + 1)); sleep 0.1
    done
    timeout 60 "$QLAUNCH" list --all >"$T/list" 2>&1 || fail "list: $(cat "$T/list")"
    grep -q "$NAME  *shut off" "$T/list" || fail "list --all: $(cat "$T/list")"
    rm -f "$T/serial.log"
    echo "ok round $round"
done
echo "PASS: reattach-state"
exit 0
