#!/bin/sh
# guest-smoke.sh: build the test guest (tests/guest) and boot it with bare QEMU
# (TCG) for three scenarios: guest poweroff, panic seen through pvpanic + QMP,
# and QMP system_powerdown handled by the guest's ACPI power button.
# Automake shell test: exit 0 = pass, 1 = fail (never skip).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
QEMU=${QEMU_SYSTEM:-qemu-system-x86_64}
TMO=60
GUEST=$top_builddir/tests/guest/out
PY=$(command -v python3 || true)

fails=0
pid=
# /tmp, not $TMPDIR: unix socket paths are limited to 108 bytes, no commas.
T=$(mktemp -d /tmp/guest-smoke.XXXXXX) || exit 1
cleanup() {
    if [ -n "$qpid" ]; then kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; fi
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

msg() { echo "guest-smoke: $*"; }
fail() {
    msg "FAIL $scen: $*"
    fails=$((fails + 1))
    for f in "$T/serial.log" "$T/qmp.log" "$T/qemu.err"; do
        [ -s "$f" ] || continue
        echo "--- tail of $(basename "$f") ---"; tail -n 20 "$f"
    done
    echo "---"
}
seen() { grep -q "$1" "$T/serial.log" 2>/dev/null; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

command -v "$QEMU" >/dev/null || { msg "FAIL: $QEMU not found"; exit 1; }
[ -n "$PY" ] || { msg "FAIL: python3 not found (needed for QMP)"; exit 1; }

# QMP client: qmp.py SOCK SERIALLOG WAIT_MARKER COMMAND EVENT [REASON]
# Connects, negotiates, waits for WAIT_MARKER in the serial log (if not "-"),
# sends COMMAND (if not "-"), then waits for EVENT (with data.reason == REASON
# if given) and sends "quit" unless QEMU is going away anyway. rc 0 = seen.
cat > "$T/qmp.py" <<'EOF'
import json, os, socket, sys, time
sock, serial, marker, cmd, want = sys.argv[1:6]
reason = sys.argv[6] if len(sys.argv) > 6 else None
deadline = time.time() + float(os.environ.get("QMP_TIMEOUT", "55"))
def log(s): print(s, flush=True)
s = socket.socket(socket.AF_UNIX)
while True:
    try: s.connect(sock); break
    except OSError:
        if time.time() > deadline: log("connect timeout"); sys.exit(1)
        time.sleep(0.02)
f = s.makefile("rwb", buffering=0)
def send(c, args=None):
    m = {"execute": c}
    if args: m["arguments"] = args
    log(">> " + json.dumps(m)); f.write(json.dumps(m).encode() + b"\n")
def read():
    s.settimeout(max(0.1, deadline - time.time()))
    line = f.readline()
    if not line: log("EOF from QEMU"); sys.exit(1)
    log("<< " + line.decode().strip()); return json.loads(line)
read()
send("qmp_capabilities")
while "return" not in read(): pass
if marker != "-":
    while marker not in open(serial, errors="replace").read():
        if time.time() > deadline: log("timeout waiting for " + marker); sys.exit(1)
        time.sleep(0.05)
if cmd != "-": send(cmd)
try:
    while True:
        m = read()
        if m.get("event") == want and (reason is None or
                m.get("data", {}).get("reason") == reason):
            break
except socket.timeout:
    log("timeout waiting for event " + want); sys.exit(1)
if want != "SHUTDOWN": send("quit")
EOF

# boot NAME ACTION [QEMU ARGS...]: start QEMU in the background ($pid).
boot() {
    scen=$1 act=$2; shift 2
    rm -f "$T/serial.log" "$T/qmp.log" "$T/qemu.err" "$T/qmp.sock"
    start=$(now)
    timeout -k 5 $TMO "$QEMU" -accel tcg -m 256 -nodefaults -display none \
        -serial "file:$T/serial.log" \
        -kernel "$GUEST/vmlinuz" -initrd "$GUEST/initramfs.gz" \
        -append "console=ttyS0 quiet guest.action=$act" "$@" \
        </dev/null 2>"$T/qemu.err" &
    pid=$!
}
# finish [kill]: wait for QEMU (or stop it first); sets $rc (124 = timeout).
finish() {
    [ $# -eq 0 ] || kill "$pid" 2>/dev/null
    wait "$pid"; rc=$?; pid=
}
# qmp ARGS...: run qmp.py (in the background so signals to us act at once).
qmp() {
    "$PY" "$T/qmp.py" "$T/qmp.sock" "$T/serial.log" "$@" >"$T/qmp.log" 2>&1 &
    qpid=$!
    wait "$qpid"; qrc=$?; qpid=
}
QMPDEV="socket,id=m,path=$T/qmp.sock,server=on,wait=off"

# --- build -------------------------------------------------------------------
scen=build start=$(now)
if ! sh "$top_srcdir/tests/guest/build-guest.sh" "$GUEST" >"$T/build.log" 2>&1; then
    msg "FAIL build: tests/guest/build-guest.sh $GUEST"; tail -n 30 "$T/build.log"
    exit 1
fi
msg "guest ready in $(secs "$start") s ($GUEST)"

# --- 1. guest poweroff: QEMU exits by itself ------------------------------------
boot poweroff poweroff -no-reboot
finish
if [ $rc -ne 0 ]; then fail "QEMU rc=$rc (124 = timeout ${TMO}s)"
elif ! seen "^GUEST-BOOTED action=poweroff"; then fail "no GUEST-BOOTED marker"
elif ! seen "^GUEST-ACTION poweroff"; then fail "no GUEST-ACTION poweroff marker"
else msg "ok   poweroff: QEMU exited rc 0 after $(secs "$start") s"
fi

# --- 2. panic through pvpanic: GUEST_PANICKED on QMP ----------------------------
boot panic panic -device pvpanic -no-shutdown \
    -chardev "$QMPDEV" -mon chardev=m,mode=control
qmp - - GUEST_PANICKED
t=$(secs "$start")
if [ $qrc -ne 0 ]; then finish kill; else finish; fi
if [ $qrc -ne 0 ]; then fail "no GUEST_PANICKED event (qmp rc=$qrc)"
elif [ $rc -ne 0 ]; then fail "QEMU rc=$rc after quit"
elif ! seen "^GUEST-ACTION panic"; then fail "no GUEST-ACTION panic marker"
elif ! seen "pvpanic=pvpanic_mmio"; then fail "guest did not load pvpanic-mmio"
else msg "ok   panic: GUEST_PANICKED after $t s"
fi

# --- 3. system_powerdown after GUEST-READY: ACPI power button -------------------
boot powerdown sleep -chardev "$QMPDEV" -mon chardev=m,mode=control
qmp GUEST-READY system_powerdown SHUTDOWN guest-shutdown
if [ $qrc -ne 0 ]; then finish kill; else finish; fi
if [ $qrc -ne 0 ]; then fail "no SHUTDOWN guest-shutdown event (qmp rc=$qrc)"
elif [ $rc -ne 0 ]; then fail "QEMU rc=$rc (124 = timeout ${TMO}s)"
elif ! seen "^GUEST-EVENT power-button"; then fail "no GUEST-EVENT power-button"
else msg "ok   powerdown: SHUTDOWN guest-shutdown, QEMU exited after $(secs "$start") s"
fi

[ $fails -eq 0 ] || { msg "$fails scenario(s) failed"; exit 1; }
exit 0
