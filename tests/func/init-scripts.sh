#!/bin/sh
# The boot scripts for init systems without systemd, run directly: the sysvinit/busybox
# script and the OpenRC service (its functions, with OpenRC's ebegin/eend stubbed) start the
# autostart domains (a real guest) and return once they run; stop powers them off.
set -u
QL_TAG=initsc
. "$top_srcdir/tests/func/lib.sh"
export QLAUNCH_DOMAIN_DIR="$T/defs" QLAUNCH_SHUTDOWN_TIMEOUT=60 QLAUNCH
ql_domain_xml "$T/dom.xml" "" "<serial type='file'><source path='$T/serial.log'/><target port='0'/></serial>"
# The guest must be up to see the power button of stop.
ready() {
    for i in $(seq 1 300); do
        grep -q "GUEST-READY" "$T/serial.log" 2>/dev/null && return 0
        sleep 0.2
    done
    fail "the guest did not get ready: $(tail -3 "$T/serial.log" 2>/dev/null)"
}
"$QLAUNCH" define "$T/dom.xml" >/dev/null && "$QLAUNCH" autostart "$NAME" >/dev/null ||
    fail "define/autostart"
state() { "$QLAUNCH" domstate "$NAME"; }

sysv="$top_srcdir/examples/qlaunch.init"
sh "$sysv" start > "$T/out" 2>&1 || fail "qlaunch.init start: $(cat "$T/out")"
[ "$(state)" = running ] || fail "not running after qlaunch.init start: $(cat "$T/out")"
ready
sh "$sysv" status | grep -q " $NAME  *running" || fail "qlaunch.init status: $(sh "$sysv" status)"
sh "$sysv" stop > "$T/out" 2>&1 || fail "qlaunch.init stop: $(cat "$T/out")"
[ "$(state)" = "shut off" ] || fail "qlaunch.init stop left it $(state)"
"$QLAUNCH" domstate --reason "$NAME" | grep -q "(shutdown)" || fail "not a guest shutdown: $("$QLAUNCH" domstate --reason "$NAME")"
sh "$sysv" frobnicate > /dev/null 2>&1; [ $? = 3 ] || fail "qlaunch.init with a bad action"

rm -f "$T/serial.log"
openrc() {
    sh -c 'ebegin() { echo "* $*"; }; eend() { echo "eend $1"; return "$1"; }
           . "$1"; depend() { :; }; "$2"' sh "$top_srcdir/examples/qlaunch.openrc" "$1"
}
openrc start > "$T/out" 2>&1 || fail "openrc start: $(cat "$T/out")"
grep -q "^eend 0" "$T/out" || fail "openrc start: $(cat "$T/out")"
[ "$(state)" = running ] || fail "not running after the OpenRC start"
ready
openrc stop > "$T/out" 2>&1 || fail "openrc stop: $(cat "$T/out")"
[ "$(state)" = "shut off" ] || fail "the OpenRC stop left it $(state)"
echo "PASS: init scripts"
exit 0
