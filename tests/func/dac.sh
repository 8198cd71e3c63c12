#!/bin/sh
# QEMU does not run as root (issue 13): a domain root starts runs QEMU as qlaunch-qemu with
# no capabilities and no new privileges; files it cannot open are given to it and given back
# when the domain ends (also after the supervisor was killed); files it can open are left
# alone; a directory it cannot search refuses the start with the directory named and leaves
# nothing behind; QEMU's sockets live in RUNDIR/qemu, the supervisor's files stay root's;
# <seclabel model='dac'> picks the user, relabel='no' forbids the chown; the control socket
# refuses other users.
set -u
QL_TAG=dac
. "$top_srcdir/tests/func/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
id qlaunch-qemu >/dev/null 2>&1 || fail "no user qlaunch-qemu (scripts/install-deps.sh creates it)"
QU=$(id -u qlaunch-qemu)
asqemu() { setpriv --reuid=qlaunch-qemu --regid=qlaunch-qemu --clear-groups "$@"; }
owner() { stat -c %u:%g "$1"; }
qemu_pid() { sed -n 's/.*"qemu_pid":\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json"; }
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# A disk only root may write, a serial file QEMU creates, an automatic channel socket.
head -c 1048576 /dev/zero > "$T/disk.img"
chmod 600 "$T/disk.img"
ql_domain_xml "$T/dom.xml" "guest.action=sleep" "
  <disk type='file' device='disk'><driver name='qemu' type='raw'/>
    <source file='$T/disk.img'/><target dev='vda' bus='virtio'/></disk>
  <serial type='file'><source path='$T/serial.log'/></serial>
  <channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
"$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 || fail "create: $(cat "$T/out")"
pid=$(qemu_pid)
[ -n "$pid" ] || fail "no qemu_pid in state.json"
[ "$(field "$pid" Uid)" = "$QU	$QU	$QU	$QU" ] || fail "QEMU uids: $(field "$pid" Uid), want $QU"
[ "$(field "$pid" CapEff)" = 0000000000000000 ] || fail "QEMU has capabilities: $(field "$pid" CapEff)"
[ "$(field "$pid" CapPrm)" = 0000000000000000 ] || fail "QEMU has permitted capabilities"
[ "$(field "$pid" NoNewPrivs)" = 1 ] || fail "QEMU may gain privileges (NoNewPrivs $(field "$pid" NoNewPrivs))"
[ "$(owner "$T/disk.img")" = "$QU:$(id -g qlaunch-qemu)" ] || fail "disk not given to QEMU: $(owner "$T/disk.img")"
[ "$(owner "$T/serial.log")" = "$QU:$(id -g qlaunch-qemu)" ] || fail "serial file not QEMU's"
[ "$(owner "$GUEST/vmlinuz")" = "$(owner "$GUEST/initramfs.gz")" ] &&
    [ "$(stat -c %u "$GUEST/vmlinuz")" != "$QU" ] || fail "the readable kernel was chowned"
sock="$T/run/$NAME/qemu/org.qemu.guest_agent.0"
[ -S "$sock" ] && [ "$(stat -c %u "$sock")" = "$QU" ] || fail "channel socket not in QEMU's directory: $(ls -la "$T/run/$NAME" "$T/run/$NAME/qemu" 2>&1)"
"$QLAUNCH" argv "$T/dom.xml" | grep -q "path=$sock," || fail "argv does not show the socket in RUNDIR/qemu"
# QEMU's user can reach its directory, never the supervisor's files.
asqemu test -w "$T/run/$NAME/qemu" || fail "QEMU cannot write its directory"
for f in state.json domain.xml qemu.lock; do
    asqemu cat "$T/run/$NAME/$f" > /dev/null 2>&1 && fail "QEMU's user can read $f"
done
asqemu ls "$T/run/$NAME" > /dev/null 2>&1 && fail "QEMU's user can list the run directory"
# The control socket: other users are refused even when the socket mode would let them in.
chmod 777 "$T/run/$NAME/ctl.sock"
got=$(asqemu /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
try:
    s.sendall(b"{\"cmd\":\"status\"}\n")
    print(s.recv(4096).decode() or "EOF")
except (BrokenPipeError, ConnectionResetError):
    print("EOF")
' "$T/run/$NAME/ctl.sock" 2>&1)
[ "$got" = EOF ] || fail "control socket answered another user: $got"
grep -q "control connection from uid $QU refused" "$T/log/$NAME.log" || fail "refusal not logged"
chmod 700 "$T/run/$NAME/ctl.sock"
[ "$("$QLAUNCH" domstate "$NAME")" = running ] || fail "domstate as root"

# QEMU writes the file it was given: the guest boots on it.
i=0
until grep -q GUEST-BOOTED "$T/serial.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 600 ] || fail "no GUEST-BOOTED in the serial file QEMU was given"
    sleep 0.1
done

# Supervisor killed: the re-attached one gives the files back when the domain ends.
spid=$(sed -n 's/.*"supervisor_pid":\([0-9]*\).*/\1/p' "$T/run/$NAME/state.json")
kill -9 "$spid"
"$QLAUNCH" destroy "$NAME" > "$T/out" 2>&1 || fail "destroy after supervisor death: $(cat "$T/out")"
[ "$(owner "$T/disk.img")" = 0:0 ] || fail "disk owner not restored: $(owner "$T/disk.img")"
[ "$(stat -c %a "$T/disk.img")" = 600 ] || fail "disk mode changed"
[ "$(owner "$T/serial.log")" = 0:0 ] || fail "serial file owner not restored"
[ ! -e "$T/run/$NAME" ] || fail "run directory left: $(ls -la "$T/run/$NAME")"

# A directory QEMU cannot search: refused before QEMU starts, nothing left, nothing changed.
mkdir -m 700 "$T/private"
cp "$T/disk.img" "$T/private/disk.img"
sed "s|$T/disk.img|$T/private/disk.img|" "$T/dom.xml" > "$T/priv.xml"
"$QLAUNCH" create "$T/priv.xml" > "$T/out" 2>&1 && fail "create with an unreachable disk succeeded"
grep -q "cannot reach '$T/private/disk.img'.*search the directory '$T/private'" "$T/out" ||
    fail "unclear refusal: $(cat "$T/out")"
grep -q "devices/disk.*line" "$T/out" || fail "refusal does not name the element and line: $(cat "$T/out")"
[ ! -e "$T/run/$NAME" ] || fail "refused start left its run directory"
[ "$(owner "$T/private/disk.img")" = 0:0 ] || fail "refused start changed the disk"
pgrep -f "guest=$NAME," > /dev/null && fail "refused start left a QEMU"

# <seclabel model='dac'>: relabel='no' refuses instead of chowning; a static label picks
# the user (nobody), and +0:+0 keeps root.
sl() { sed "s|<devices>|<seclabel type='static' model='dac'$1><label>$2</label></seclabel><devices>|" "$T/dom.xml" > "$T/sl.xml"; }
sl " relabel='no'" "qlaunch-qemu:qlaunch-qemu"
"$QLAUNCH" create "$T/sl.xml" > "$T/out" 2>&1 && fail "relabel='no' with a root-only disk started"
grep -q "relabel='no'" "$T/out" || fail "relabel='no' refusal unclear: $(cat "$T/out")"
[ "$(owner "$T/disk.img")" = 0:0 ] || fail "relabel='no' changed the disk owner"
rm -f "$T/serial.log"
mkdir -m 777 "$T/open" && sed -i "s|$T/serial.log|$T/open/serial.log|" "$T/sl.xml" "$T/dom.xml"
chmod 666 "$T/disk.img"     # a static label does not relabel: the file must be open to it
sl "" "nobody:nogroup"
"$QLAUNCH" create "$T/sl.xml" > "$T/out" 2>&1 || fail "create as nobody: $(cat "$T/out")"
pid=$(qemu_pid)
[ "$(field "$pid" Uid | cut -f1)" = 65534 ] || fail "static label: QEMU uid $(field "$pid" Uid)"
[ "$(owner "$T/disk.img")" = 0:0 ] || fail "static label (relabel default no) chowned the disk"
[ "$(stat -c %u "$T/open/serial.log")" = 65534 ] || fail "QEMU (nobody) did not create its serial file"
"$QLAUNCH" destroy "$NAME" > /dev/null
# A local user's supplementary groups come with it (read from /etc/group: no name-service
# modules loaded at start).
tu=qlt$$ tg=qltg$$
ql_extra_cleanup() { userdel "$tu" 2>/dev/null; groupdel "$tg" 2>/dev/null; groupdel "$tu" 2>/dev/null; }
groupadd --system "$tg" && useradd --system --no-create-home --shell /usr/sbin/nologin \
    --user-group -G "$tg" "$tu" || fail "cannot make the test user $tu"
sl "" "$tu:$tu"
rm -f "$T/open/serial.log"
"$QLAUNCH" create "$T/sl.xml" > "$T/out" 2>&1 || fail "create as $tu: $(cat "$T/out")"
pid=$(qemu_pid)
[ "$(field "$pid" Uid | cut -f1)" = "$(id -u "$tu")" ] || fail "QEMU is not $tu: $(field "$pid" Uid)"
case " $(field "$pid" Groups) " in
*" $(getent group "$tg" | cut -d: -f3) "*) ;;
*) fail "QEMU lacks the supplementary group $tg: Groups $(field "$pid" Groups)" ;;
esac
"$QLAUNCH" destroy "$NAME" > /dev/null
chmod 600 "$T/disk.img"
sl "" "+0:+0"
"$QLAUNCH" create "$T/sl.xml" > "$T/out" 2>&1 || fail "create as root by label: $(cat "$T/out")"
[ "$(field "$(qemu_pid)" Uid | cut -f1)" = 0 ] || fail "label +0:+0: QEMU not root"
"$QLAUNCH" destroy "$NAME" > /dev/null

# An unknown user is refused in one sentence, and nothing is left.
QLAUNCH_QEMU_USER=no-such-user "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 &&
    fail "create as a missing user succeeded"
grep -q "user 'no-such-user', which does not exist" "$T/out" || fail "missing user: $(cat "$T/out")"
[ ! -e "$T/run/$NAME" ] || fail "missing user left a run directory"
# argv still shows the command line (as a start would build it), with the reason as a note.
QLAUNCH_QEMU_USER=no-such-user "$QLAUNCH" argv "$T/dom.xml" > "$T/out" 2>&1 ||
    fail "argv with a missing QEMU user: $(cat "$T/out")"
grep -q "^# note: a start would fail: .*no-such-user" "$T/out" || fail "argv note: $(tail -2 "$T/out")"
grep -q "/qemu/org.qemu.guest_agent.0" "$T/out" || fail "argv does not show QEMU's directory"
echo "PASS: dac"
