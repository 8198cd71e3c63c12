#!/bin/sh
# A supervisor killed (SIGKILL) during a save leaves no temporary FILE.XXXXXX behind
# (issue 10): the file is recorded in the state before it exists, and the re-attached
# supervisor removes it and cancels QEMU's migration. No guest needed: QEMU is held with
# SIGSTOP so that the save is caught after it made its file and before QEMU wrote it.
set -u
QL_TAG=savekill
. "$top_srcdir/tests/func/lib.sh"
mkdir "$T/out.d" && chmod 711 "$T/out.d"
cat >"$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><memballoon model='none'/></devices>
</domain>
XML
ql() { timeout 60 "$QLAUNCH" "$@"; }
ql create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
sf="$T/run/$NAME/state.json"
qpid=$(sed -n 's/.*"qemu_pid": *\([0-9]*\).*/\1/p' "$sf")
spid=$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$sf")
[ -n "$qpid" ] && [ -n "$spid" ] || fail "no pids in $(cat "$sf")"
kill -STOP "$qpid"
ql save "$NAME" "$T/out.d/vm.sav" >"$T/save.out" 2>&1 &
i=0
until ls "$T/out.d/" | grep -q "^vm.sav\.......$"; do
    i=$((i + 1)); [ $i -lt 100 ] || { kill -CONT "$qpid"; fail "no temporary save file"; }
    sleep 0.1
done
tmp=$(ls "$T/out.d/")
grep -q "\"save_tmp\": *\"$T/out.d/$tmp\"" "$sf" || { kill -CONT "$qpid"; fail "not in the state: $(cat "$sf")"; }
kill -9 "$spid"
kill -CONT "$qpid"
wait
ql domstate "$NAME" >"$T/out" 2>&1 || fail "domstate after the re-attach: $(cat "$T/out")"
[ -z "$(ls "$T/out.d/")" ] || fail "left behind: $(ls "$T/out.d/")"
grep -q "the file of an interrupted save" "$T/log/$NAME.log" || fail "not logged"
grep -q '"save_tmp"' "$sf" && fail "the state still names the file: $(cat "$sf")"
# the domain goes on: a save now succeeds
ql resume "$NAME" >/dev/null 2>&1
ql save "$NAME" "$T/out.d/vm.sav" >"$T/out" 2>&1 || fail "save after the re-attach: $(cat "$T/out")"
[ "$(ls "$T/out.d/")" = vm.sav ] || fail "after the save: $(ls "$T/out.d/")"
echo "PASS: save-kill"
exit 0
