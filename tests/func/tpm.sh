#!/bin/sh
# <tpm> with swtpm (issue 8, item 2): the guest sees a TPM 2.0 (/sys/class/tpm/tpm0), swtpm
# runs as QEMU's user, its state is created once by swtpm_setup and kept across runs, and no
# swtpm process or socket is left after destroy, after QEMU is killed, after a guest
# poweroff, after the supervisor is killed (re-attach, then destroy), and after both die
# (the CLI's recovery stops it); persistent_state='no' keeps the state in the run directory
# only. Started by root with swtpm's local CA, a new TPM has EK and platform certificates
# (their NV indices, read from a copy of the state by a private swtpm).
set -u
[ -x /usr/bin/swtpm ] && [ -x /usr/bin/swtpm_setup ] \
    || { echo "SKIP: needs Debian's swtpm and swtpm-tools"; exit 77; }
QL_TAG=tpm
. "$top_srcdir/tests/func/lib.sh"
export QLAUNCH_SWTPM_DIR="$T/swtpm"
S="$T/serial.log"
UUID=3d1c7e52-8a40-4f0b-9b8e-5f0f6c2a7d11
STATE="$QLAUNCH_SWTPM_DIR/$UUID/tpm2"
SOCK_GLOB="$T/run/$NAME"
mkxml() {  # mkxml PERSISTENT [GUEST_ACTION]
    ql_domain_xml "$T/dom.xml" "guest.action=${2:-sleep}" "
    <serial type='file'><source path='$S'/><target port='0'/></serial>
    <tpm model='tpm-tis'><backend type='emulator' version='2.0' persistent_state='$1'/></tpm>
    <memballoon model='none'/>" "<uuid>$UUID</uuid>"
}
wait_for() {
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 0.1; done
}
# Live (not zombie) swtpm processes of this test.
swtpms() { ps -eo pid=,stat=,args= | awk -v t="$T/" '$2 !~ /^Z/ && $3 ~ /swtpm$/ && $4 == "socket" && index($0, t) { print $1 }'; }
not_alive() { ! kill -0 "$1" 2>/dev/null; }
no_swtpm() { [ -z "$(swtpms)" ]; }
no_socket() { [ -z "$(find "$T/run" -name swtpm.sock 2>/dev/null)" ]; }
state_val() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$T/run/$NAME/state.json" | head -n 1; }
boot() {  # boot WHAT [ENDS]: create, wait for the guest's device report, check it sees a
          # TPM 2.0 (and, unless ENDS: the guest powers off by itself, that swtpm still runs)
    : > "$S"
    timeout 120 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 || fail "$1: create: $(cat "$T/out")"
    wait_for 120 grep -q GUEST-INFO "$S" || fail "$1: no GUEST-INFO: $(tail -5 "$S")"
    grep -q "GUEST-INFO.* tpm=tpm0:2" "$S" || fail "$1: the guest has no TPM 2.0: $(grep GUEST-INFO "$S")"
    [ -n "${2:-}" ] || [ -n "$(swtpms)" ] || fail "$1: no swtpm runs"
}
# nv_indices DIR INDEX...: "INDEX present|absent" for each NV index of the TPM state in DIR
# (TPM2_NV_ReadPublic to a swtpm of our own on a copy).
nv_indices() {
    rm -rf "$T/nvcopy" && cp -r "$1" "$T/nvcopy" && shift
    swtpm socket --tpm2 --tpmstate dir="$T/nvcopy" --server type=unixio,path="$T/nv.sock" \
        --flags not-need-init,startup-clear 2>/dev/null &
    _p=$!
    wait_for 10 test -S "$T/nv.sock" || { kill "$_p"; return 1; }
    python3 - "$T/nv.sock" "$@" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
for idx in sys.argv[2:]:
    s.sendall(struct.pack(">HIII", 0x8001, 14, 0x169, int(idx, 16)))  # TPM2_NV_ReadPublic
    hdr = b""
    while len(hdr) < 10:
        hdr += s.recv(10 - len(hdr))
    tag, size, rc = struct.unpack(">HII", hdr)
    rest = size - 10
    while rest > 0:
        rest -= len(s.recv(rest))
    print(idx, "present" if rc == 0 else "absent")
EOF
    kill "$_p"; wait "$_p" 2>/dev/null; rm -rf "$T/nvcopy" "$T/nv.sock"
}
gone() {  # gone WHAT: nothing of swtpm is left
    wait_for 30 no_swtpm || fail "$1: swtpm left running: $(swtpms)"
    wait_for 30 no_socket || fail "$1: swtpm socket left: $(find "$T/run" -name swtpm.sock)"
}

mkxml yes
boot "first run"
qpid=$(state_val qemu_pid)
tpid=$(swtpms)
[ "$(ps -o user= -p "$tpid")" = "$(ps -o user= -p "$qpid")" ] \
    || fail "swtpm runs as $(ps -o user= -p "$tpid"), QEMU as $(ps -o user= -p "$qpid")"
if [ "$(id -u)" = 0 ] && [ -z "${QLAUNCH_QEMU_USER:-}" ]; then
    [ "$(ps -o user= -p "$tpid")" = qlaunch-qemu ] || fail "swtpm does not run as qlaunch-qemu"
    [ "$(stat -c %U "$STATE")" = qlaunch-qemu ] || fail "$STATE is not qlaunch-qemu's"
fi
grep -Eq '"name": *"swtpm"' "$T/run/$NAME/state.json" || fail "swtpm is not in the state file"
[ -f "$STATE/tpm2-00.permall" ] || fail "no TPM state in $STATE: $(ls -la "$STATE")"
# EK certificates: RSA 2048 (0x01c00002) or ECC NIST P-384 (0x01c00016), as the profile
# makes them; the platform certificate (0x01c08000).
nv=$(nv_indices "$STATE" 0x01c00002 0x01c00016 0x01c08000) || fail "cannot read the TPM's NV: $nv"
if [ "$(id -u)" = 0 ] && grep -q '^statedir' /etc/swtpm-localca.conf 2>/dev/null; then
    grep -q "with EK and platform certificates, as " "$T/log/$NAME.log" \
        || fail "no EK certificates: $(grep "TPM:" "$T/log/$NAME.log")"
    echo "$nv" | grep -Eq "0x01c000(02|16) present" || fail "no EK certificate in the TPM: $nv"
    echo "$nv" | grep -q "0x01c08000 present" || fail "no platform certificate in the TPM: $nv"
    [ -z "$(find "$STATE" ! -user "$(ps -o user= -p "$qpid")")" ] \
        || fail "TPM state files not QEMU's: $(ls -la "$STATE")"
    echo "ok EK and platform certificates"
else
    grep -q "TPM: no EK certificate: " "$T/log/$NAME.log" || fail "no note on the certificates"
    echo "$nv" | grep -q "0x01c00002 absent" || fail "an EK certificate without the CA: $nv"
fi
"$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy"
gone "destroy"
[ -f "$STATE/tpm2-00.permall" ] || fail "the TPM state did not survive destroy"
echo "ok destroy"

boot "second run"
[ "$(grep -c "TPM: creating the state" "$T/log/$NAME.log")" = 1 ] \
    || fail "the TPM state was created again: $(grep "TPM:" "$T/log/$NAME.log")"
kill -9 "$(state_val qemu_pid)"
wait_for 30 test ! -e "$T/run/$NAME" || fail "the domain did not end after QEMU was killed"
gone "QEMU killed"
echo "ok QEMU killed"

mkxml yes poweroff
boot "guest poweroff" ends
wait_for 60 test ! -e "$T/run/$NAME" || fail "the domain did not end after the guest's poweroff"
gone "guest poweroff"
mkxml yes
echo "ok guest poweroff"

boot "supervisor killed"
tpid=$(swtpms)
kill -9 "$(state_val supervisor_pid)"
[ "$(timeout 60 "$QLAUNCH" domstate "$NAME")" = running ] || fail "no re-attach"
[ "$(swtpms)" = "$tpid" ] || fail "the re-attach did not keep swtpm $tpid: $(swtpms)"
timeout 60 "$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy after re-attach"
gone "supervisor killed, re-attach, destroy"
echo "ok supervisor killed, re-attached, destroyed"

# Both die; swtpm is stopped (SIGSTOP: it cannot end on its own when QEMU goes) and only
# the CLI's recovery of the dead domain can end it.
boot "all dead"
tpid=$(swtpms)
kill -9 "$(state_val supervisor_pid)"
kill -STOP "$tpid"
qpid=$(state_val qemu_pid)
kill -9 "$qpid"
wait_for 30 not_alive "$qpid" || fail "QEMU $qpid survived SIGKILL"
st=$(timeout 60 "$QLAUNCH" domstate "$NAME" 2>&1)
case $st in "shut off"*|*"not running"*|*"not found"*) ;; *) fail "domstate after all died: $st" ;; esac
gone "recovery of a dead domain"
echo "ok recovery stops swtpm"

mkxml no
rm -rf "$STATE"
boot "transient state"
[ -f "$T/run/$NAME/swtpm/tpm2-00.permall" ] || fail "no transient TPM state in the run directory"
grep "TPM: creating the state in $T/run" "$T/log/$NAME.log" | tail -1
[ ! -e "$STATE" ] || fail "persistent_state='no' wrote $STATE"
"$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy (transient)"
gone "transient state"
[ ! -e "$T/run/$NAME" ] || fail "the transient state was left: $(ls -R "$T/run/$NAME")"
echo "ok persistent_state='no'"
echo "PASS: tpm"
exit 0
