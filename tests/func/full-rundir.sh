#!/bin/sh
# A run directory on a full file system (issue 13, item 12): the outcome (NAME.last) of a
# domain destroyed then is still recorded (the run directory makes room), and one that cannot
# be written at all is reported by domstate and list, never as "not found" nor as an earlier
# run's outcome, which stays whole. Needs root (mounts a small tmpfs).
set -u
QL_TAG=full
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
. "$top_srcdir/tests/func/lib.sh"
mkdir -p "$T/run"
mount -t tmpfs -o size=256k,mode=0755 ql-full "$T/run" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
ql_extra_cleanup() { "$QLAUNCH" destroy "$NAME" >/dev/null 2>&1; umount "$T/run"; }
ql_domain_xml "$T/dom.xml"
fill() { dd if=/dev/zero of="$T/run/fill" bs=4k >/dev/null 2>&1; [ "$(df --output=avail "$T/run" | tail -1)" -eq 0 ] || fail "tmpfs not full"; }

timeout 120 "$QLAUNCH" create "$T/dom.xml" >"$T/out" 2>&1 || fail "create: $(cat "$T/out")"
fill
timeout 60 "$QLAUNCH" destroy "$NAME" >"$T/out" 2>&1 || fail "destroy: $(cat "$T/out")"
st=$(timeout 60 "$QLAUNCH" domstate --reason "$NAME" 2>&1)
[ "$st" = "shut off (destroyed)" ] || fail "domstate after a destroy on a full run fs: '$st'"
cp "$T/run/$NAME.last" "$T/last.before"
rm -f "$T/run/fill"
echo "ok outcome recorded on a full file system"

# An outcome that cannot be written at all: its temporary file is a directory.
timeout 120 "$QLAUNCH" create "$T/dom.xml" >"$T/out" 2>&1 || fail "create 2: $(cat "$T/out")"
spid=$(sed -n 's/.*"supervisor_pid": *\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json")
mkdir "$T/run/$NAME.last.tmp.$spid"
fill
timeout 60 "$QLAUNCH" destroy "$NAME" >"$T/out" 2>&1 || fail "destroy 2: $(cat "$T/out")"
i=0
while kill -0 "$spid" 2>/dev/null; do [ $i -lt 100 ] || fail "supervisor left"; i=$((i + 1)); sleep 0.1; done
grep -q "outcome of this run could not be recorded" "$T/log/$NAME.log" || fail "not in the log"
st=$(timeout 60 "$QLAUNCH" domstate "$NAME" 2>&1) && fail "domstate succeeded: '$st'"
echo "$st" | grep -q "could not be recorded" || fail "domstate says '$st'"
out=$(timeout 60 "$QLAUNCH" list --all 2>&1) && fail "list --all succeeded: $out"
echo "$out" | grep -q "could not be recorded" || fail "list --all says '$out'"
cmp -s "$T/last.before" "$T/run/$NAME.last" || fail "the earlier outcome was changed"
echo "ok unrecorded outcome reported"
rmdir "$T/run/$NAME.last.tmp.$spid"
echo "PASS: full-rundir"
exit 0
