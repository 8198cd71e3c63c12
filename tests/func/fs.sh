#!/bin/sh
# <filesystem> shared folders (issue 8, item 6): the guest mounts a 9p share and a virtiofs
# share and reads a file from each; virtiofsd runs as QEMU's user, and neither it nor its
# socket is left after destroy, after QEMU is killed, or after the supervisor is killed
# (re-attach, then destroy). Boots the test guest on Debian's generic kernel (the cloud
# kernel has no 9p).
set -u
[ -x /usr/lib/qemu/virtiofsd ] || ls /usr/share/qemu/vhost-user/*.json >/dev/null 2>&1 \
    || { echo "SKIP: needs virtiofsd (qemu-system-common)"; exit 77; }
QL_TAG=fs
QL_GUEST_FLAVOUR=generic
. "$top_srcdir/tests/func/lib.sh"
S="$T/serial.log"
SHARE="$T/share"
mkdir -p "$SHARE/9p" "$SHARE/vfs"
chmod 755 "$SHARE" "$SHARE/9p" "$SHARE/vfs"
echo "hello through 9p" > "$SHARE/9p/hello.txt"
echo "hello through virtiofs" > "$SHARE/vfs/hello.txt"
chmod 644 "$SHARE/9p/hello.txt" "$SHARE/vfs/hello.txt"
ql_domain_xml "$T/dom.xml" "guest.action=sleep guest.mount=9p:share9p,virtiofs:sharevfs" "
    <serial type='file'><source path='$S'/><target port='0'/></serial>
    <filesystem type='mount' accessmode='squash'>
      <source dir='$SHARE/9p'/><target dir='share9p'/><readonly/>
    </filesystem>
    <filesystem type='mount'>
      <driver type='virtiofs'/>
      <source dir='$SHARE/vfs'/><target dir='sharevfs'/>
    </filesystem>
    <memballoon model='none'/>" "
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"
wait_for() {
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 0.1; done
}
# Live (not zombie) virtiofsd processes serving this test's share.
vfsds() { ps -eo pid=,stat=,args= | awk -v t="$SHARE/" '$2 !~ /^Z/ && $3 ~ /virtiofsd$/ && index($0, t) { print $1 }'; }
no_vfsd() { [ -z "$(vfsds)" ]; }
no_socket() { [ -z "$(find "$T/run" -name '*-fs.sock' 2>/dev/null)" ]; }
state_val() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$T/run/$NAME/state.json" | head -n 1; }
boot() {  # boot WHAT: create, wait for both mounts, check what the guest read
    : > "$S"
    timeout 180 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 || fail "$1: create: $(cat "$T/out")"
    wait_for 180 grep -q "GUEST-MOUNT sharevfs" "$S" || fail "$1: no GUEST-MOUNT: $(tail -5 "$S")"
    grep -q "GUEST-MOUNT share9p 9p ok hello through 9p" "$S" \
        || fail "$1: 9p: $(grep GUEST-MOUNT "$S")"
    grep -q "GUEST-MOUNT sharevfs virtiofs ok hello through virtiofs" "$S" \
        || fail "$1: virtiofs: $(grep GUEST-MOUNT "$S")"
    [ -n "$(vfsds)" ] || fail "$1: no virtiofsd runs"
}
gone() {  # gone WHAT: nothing of virtiofsd is left
    wait_for 30 no_vfsd || fail "$1: virtiofsd left running: $(vfsds)"
    wait_for 30 no_socket || fail "$1: virtiofsd socket left: $(find "$T/run" -name '*-fs.sock')"
}

boot "first run"
qpid=$(state_val qemu_pid)
vpid=$(vfsds | head -n 1)
[ "$(ps -o user= -p "$vpid")" = "$(ps -o user= -p "$qpid")" ] \
    || fail "virtiofsd runs as $(ps -o user= -p "$vpid"), QEMU as $(ps -o user= -p "$qpid")"
if [ "$(id -u)" = 0 ] && [ -z "${QLAUNCH_QEMU_USER:-}" ]; then
    [ "$(ps -o user= -p "$vpid")" = qlaunch-qemu ] || fail "virtiofsd does not run as qlaunch-qemu"
fi
grep -Eq '"name": *"virtiofsd"' "$T/run/$NAME/state.json" || fail "virtiofsd is not in the state file"
"$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy"
gone "destroy"
echo "ok destroy"

boot "QEMU killed"
kill -9 "$(state_val qemu_pid)"
wait_for 30 test ! -e "$T/run/$NAME" || fail "the domain did not end after QEMU was killed"
gone "QEMU killed"
echo "ok QEMU killed"

boot "supervisor killed"
vpid=$(vfsds)
kill -9 "$(state_val supervisor_pid)"
[ "$(timeout 60 "$QLAUNCH" domstate "$NAME")" = running ] || fail "no re-attach"
[ "$(vfsds)" = "$vpid" ] || fail "the re-attach did not keep virtiofsd $vpid: $(vfsds)"
timeout 60 "$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy after re-attach"
gone "supervisor killed, re-attach, destroy"
echo "ok supervisor killed, re-attached, destroyed"

# A share QEMU's user cannot reach is refused before anything starts, naming it.
if [ "$(id -u)" = 0 ] && [ -z "${QLAUNCH_QEMU_USER:-}" ]; then
    chmod 700 "$SHARE/vfs"
    timeout 60 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 && fail "an unreachable share started"
    grep -q "shared directory '$SHARE/vfs' is out of reach of user 'qlaunch-qemu'" "$T/out" \
        || fail "unreachable share: $(cat "$T/out")"
    gone "refused start"
    chmod 755 "$SHARE/vfs"
    echo "ok unreachable share refused"
fi
echo "PASS: fs"
exit 0
