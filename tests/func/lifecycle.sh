#!/bin/sh
# lifecycle.sh: end-to-end lifecycle matrix (event x policy) with the real QEMU (TCG) and
# the real test guest (tests/guest). Each case starts a domain with `qlaunch create`,
# provokes one event (guest poweroff/reboot/panic, a verb, a SIGKILL) and checks:
#   * the final state and reason (BASE/NAME.last and `qlaunch domstate --reason`),
#   * the number of guest boots (GUEST-BOOTED markers in the serial file),
#   * that no QEMU / supervisor process of the domain and no run directory is left.
# At most two guests run at once (two queues of cases); every wait has a timeout.
# Automake shell test: exit 0 = pass, 1 = fail (never skip).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${QLAUNCH:=$top_builddir/qlaunch}"
EMU=${QEMU_SYSTEM:-$(command -v qemu-system-x86_64 || echo /usr/bin/qemu-system-x86_64)}
GUEST=$top_builddir/tests/guest/out
TMO=60                        # upper bound of every single wait, seconds
P=ql-e2e-$$                   # unique prefix of every domain name of this run

msg() { echo "lifecycle: $*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# /tmp, not $TMPDIR: unix socket paths (BASE/NAME/qmp.sock) must stay short.
T=$(mktemp -d /tmp/qle2e.XXXXXX) || exit 1
RUN=$T/run LOG=$T/log DUMP=$T/dump
export QLAUNCH_RUN_DIR=$RUN QLAUNCH_LOG_DIR=$LOG QLAUNCH_DUMP_DIR=$DUMP
mkdir -p "$RUN" "$LOG" "$T/c"
. "$top_srcdir/tests/func/access.sh"
jobs_bg=

# Pids of processes belonging to domain $1 (or to any domain of this run without $1).
our_pids() {
    pgrep -f -- "${1:-$P-}" 2>/dev/null | while read -r p; do
        [ "$p" = $$ ] || echo "$p"
    done
}

cleanup() {
    trap - EXIT INT TERM HUP
    for j in $jobs_bg; do kill "$j" 2>/dev/null; done
    for d in "$RUN"/*/; do
        [ -d "$d" ] || continue
        timeout 15 "$QLAUNCH" destroy "$(basename "$d")" >/dev/null 2>&1
    done
    # Anything still alive (supervisors, QEMUs, clients): by pid, only ours.
    for p in $(our_pids); do kill -9 "$p" 2>/dev/null; done
    for j in $jobs_bg; do wait "$j" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- helpers used inside a case (N, D, X, S set by run_case) ------------------------

fail() { echo "FAIL $case: $*"; bad=1; }
note() { echo "     $case: $*"; }

# wait_until SECONDS CMD...: poll CMD every 0.2 s; 1 on timeout.
wait_until() {
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do
        [ "$(date +%s)" -lt "$_end" ] || return 1
        sleep 0.2
    done
}
boots() { _c=$(grep -c 'GUEST-BOOTED' "$S" 2>/dev/null); echo "${_c:-0}"; }
booted() { [ "$(boots)" -ge "$1" ]; }
seen() { grep -q -- "$1" "$S" 2>/dev/null; }
gone() { [ ! -e "$RUN/$N" ] && [ -e "$RUN/$N.last" ]; }
# jfield FILE KEY: a scalar from the supervisor's JSON (one key per line).
jfield() { sed -n 's/^ *"'"$2"'": *"\{0,1\}\([^",]*\)"\{0,1\},\{0,1\} *$/\1/p' "$1" 2>/dev/null; }
statef() { jfield "$RUN/$N/state.json" "$1"; }
lastf() { jfield "$RUN/$N.last" "$1"; }
domstate() { timeout 20 "$QLAUNCH" domstate --reason "$N" 2>&1 | tr -d '\r'; }
domstate_is() { [ "$(domstate)" = "$1" ]; }
# ours PID: PID is alive (not a zombie) and its command line names this domain.
ours() {
    [ -n "$1" ] && [ "$1" != 0 ] && [ -r "/proc/$1/cmdline" ] || return 1
    case $(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null) in
    Z|X|'') return 1 ;;
    esac
    tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "$N"
}
no_procs() { [ -z "$(our_pids "$N")" ]; }

# mkxml ON_POWEROFF ON_REBOOT ON_CRASH GUEST_CMDLINE [EXTRA_DEVICES]
mkxml() {
    cat >"$X" <<EOF
<domain type='qemu'>
  <name>$N</name>
  <memory unit='MiB'>256</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel>
    <initrd>$GUEST/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet $4</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>$1</on_poweroff>
  <on_reboot>$2</on_reboot>
  <on_crash>$3</on_crash>
  <devices>
    <emulator>$EMU</emulator>
    <serial type='file'><source path='$S'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
    ${5:-}
  </devices>
</domain>
EOF
}
PANIC="<panic model='isa'/>"

# create [OPTIONS]: start the domain in the background, record its pids.
create() {
    if ! timeout $TMO "$QLAUNCH" create "$@" "$X" >"$D/create.out" 2>"$D/create.err"; then
        fail "qlaunch create failed: $(cat "$D/create.err")"
        return 1
    fi
    grep -q "QEMU pid" "$D/create.out" || fail "create printed: $(cat "$D/create.out")"
    pids
}
# create_fg [OPTIONS]: start `create --foreground` as a background job ($fg). Not under
# `timeout`: a restart loop may take longer than one wait; every wait on it is bounded
# (wait_fg), and run_case kills what is left.
create_fg() {
    "$QLAUNCH" create --foreground "$@" "$X" >"$D/create.out" 2>"$D/create.err" &
    fg=$!
    if ! wait_until 30 test -s "$RUN/$N/state.json"; then
        fail "no state.json 30 s after create --foreground"
        return 1
    fi
    pids
}
# wait_fg: wait (bounded) for the foreground create to exit; its status in $rc.
wait_fg() {
    if ! wait_until $TMO eval "! kill -0 $fg 2>/dev/null"; then
        fail "create --foreground still running after ${TMO}s"
        kill "$fg" 2>/dev/null
    fi
    wait "$fg"; rc=$?
}
pids() {
    qpid=$(statef qemu_pid) spid=$(statef supervisor_pid)
    ours "$qpid" || fail "QEMU pid '$qpid' from state.json is not running"
    ours "$spid" || fail "supervisor pid '$spid' from state.json is not running"
}
# verb VERB [ARGS]: a client verb that must succeed.
verb() {
    _v=$1; shift
    timeout $TMO "$QLAUNCH" "$_v" "$@" "$N" >"$D/$_v.out" 2>&1 ||
        { fail "qlaunch $_v $* failed: $(cat "$D/$_v.out")"; return 1; }
}
wait_boots() {
    wait_until $TMO booted "$1" || { fail "only $(boots) GUEST-BOOTED marker(s) after ${TMO}s, want $1"; return 1; }
}
wait_marker() {
    wait_until $TMO seen "$1" || { fail "no '$1' on the serial console after ${TMO}s"; return 1; }
}

# check_end STATE REASON BOOTS_MIN [BOOTS_MAX]: the domain is gone, ended as expected,
# booted that often, and left no process or run directory behind.
check_end() {
    if ! wait_until $TMO gone; then
        fail "domain still present after ${TMO}s (run dir: $(ls "$RUN/$N" 2>&1 | tr '\n' ' '))"
        return 1
    fi
    _st=$(lastf state) _re=$(lastf reason)
    [ "$_st/$_re" = "$1/$2" ] || fail "$N.last says $_st/$_re, want $1/$2"
    _h=$1; [ "$1" = shutoff ] && _h="shut off"
    _d=$(domstate)
    [ "$_d" = "$_h ($2)" ] || fail "domstate --reason says '$_d', want '$_h ($2)'"
    _b=$(boots)
    if [ "$_b" -lt "$3" ] || [ "$_b" -gt "${4:-$3}" ]; then
        fail "$_b GUEST-BOOTED marker(s), want $3${4:+..$4}"
    fi
    for _p in $qpid $spid ${spid2:-}; do
        wait_until 10 eval "! ours $_p" || fail "process $_p ($(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null)) is still running"
    done
    wait_until 10 no_procs || fail "processes left: $(our_pids "$N" | tr '\n' ' ')"
    [ ! -e "$RUN/$N" ] || fail "run directory $RUN/$N left over"
    return 0
}

# ---- the cases -----------------------------------------------------------------------

case_poweroff_destroy() {
    mkxml destroy restart destroy "guest.action=poweroff"
    create || return
    wait_marker GUEST-BOOTED || return
    check_end shutoff shutdown 1
    seen "GUEST-ACTION poweroff" || fail "no GUEST-ACTION poweroff"
}

case_poweroff_restart() {
    mkxml restart restart destroy "guest.action=poweroff guest.delay=4"
    create || return
    wait_boots 2 || return
    _d=$(domstate); [ "$_d" = "running (restarted)" ] || fail "domstate after restart: '$_d'"
    [ "$(statef qemu_pid)" = "$qpid" ] || fail "QEMU pid changed: restart was not in place"
    [ "$(statef restarts)" = 1 ] || fail "state.json restarts=$(statef restarts), want 1"
    verb destroy
    check_end shutoff destroyed 2
}

case_reboot_restart() {
    mkxml destroy restart destroy "guest.action=reboot guest.delay=4"
    create || return
    wait_boots 2 || return
    _d=$(domstate)
    case $_d in running*) ;; *) fail "domstate after guest reboot: '$_d', want running" ;; esac
    ours "$qpid" || fail "QEMU is gone after a guest reboot"
    verb destroy
    check_end shutoff destroyed 2
}

case_reboot_destroy() {
    mkxml destroy destroy destroy "guest.action=reboot"
    create || return
    wait_marker GUEST-BOOTED || return
    check_end shutoff shutdown 1
    seen "GUEST-ACTION reboot" || fail "no GUEST-ACTION reboot"
}

case_panic_destroy() {
    mkxml destroy restart destroy "guest.action=panic" "$PANIC"
    create_fg || return
    wait_marker GUEST-BOOTED || return
    wait_fg
    [ $rc -eq 2 ] || fail "create --foreground exited $rc, want 2 (crashed)"
    check_end shutoff crashed 1
    seen "GUEST-ACTION panic" || fail "no GUEST-ACTION panic"
}

case_panic_restart() {
    mkxml destroy restart restart "guest.action=panic guest.delay=4" "$PANIC"
    create || return
    wait_boots 2 || return
    _d=$(domstate)
    [ "$_d" = "running (crash-restarted)" ] || fail "domstate after crash restart: '$_d'"
    verb destroy
    check_end shutoff destroyed 2
}

case_panic_preserve() {
    mkxml destroy restart preserve "guest.action=panic" "$PANIC"
    create || return
    wait_until $TMO domstate_is "crashed (panicked)" ||
        { fail "domstate is '$(domstate)', want 'crashed (panicked)'"; return; }
    ours "$qpid" || fail "QEMU is not alive after a preserved crash"
    timeout 20 "$QLAUNCH" qmp "$N" '{"execute":"query-status"}' >"$D/qmp.out" 2>&1
    grep -q '"guest-panicked"' "$D/qmp.out" || fail "query-status: $(tr -d '\n' <"$D/qmp.out")"
    grep -q '"running": *false' "$D/qmp.out" || fail "QEMU is not paused: $(tr -d '\n' <"$D/qmp.out")"
    if timeout 20 "$QLAUNCH" resume "$N" >"$D/resume.out" 2>&1; then
        fail "resume of a crashed domain succeeded"
    fi
    verb destroy
    check_end shutoff destroyed 1
}

case_panic_coredump() {
    mkxml destroy restart coredump-destroy "guest.action=panic" "$PANIC"
    create || return
    wait_marker GUEST-BOOTED || return
    check_end shutoff crashed 1
    _f=$(ls "$DUMP/$N"-* 2>/dev/null | head -n 1)
    if [ -z "$_f" ]; then fail "no dump file $DUMP/$N-* (dump dir: $(ls "$DUMP" 2>&1))"
    elif [ "$(wc -c <"$_f")" -lt 1048576 ]; then fail "dump $_f is only $(wc -c <"$_f") bytes"
    elif [ "$(stat -c %u:%a "$_f")" != "$(id -u):600" ]; then
        fail "dump $_f is $(stat -c %U:%a "$_f"), want the launcher's and 0600 (QEMU's user gives it back)"
    fi
}

case_shutdown_acpi() {
    mkxml destroy restart destroy "guest.action=sleep"
    create || return
    wait_marker GUEST-READY || return
    verb shutdown
    check_end shutoff shutdown 1
    seen "GUEST-EVENT power-button" || fail "the guest did not see the power button"
}

case_shutdown_timeout() {
    mkxml destroy restart destroy "guest.action=sleep guest.mods=none"
    create || return
    wait_marker GUEST-READY || return
    _t=$(now)
    verb shutdown --timeout 3
    _e=$(secs "$_t")
    grep -q destroyed "$D/shutdown.out" || fail "shutdown --timeout printed: $(cat "$D/shutdown.out")"
    awk -v e="$_e" 'BEGIN { exit !(e >= 3 && e < 20) }' ||
        fail "shutdown --timeout 3 took $_e s, want 3..20"
    check_end shutoff destroyed 1
}

case_reboot_verb() {
    mkxml destroy restart destroy "guest.action=sleep"
    create || return
    wait_marker GUEST-READY || return
    verb reboot
    wait_boots 2 || return
    _d=$(domstate)
    case $_d in running*) ;; *) fail "domstate after qlaunch reboot: '$_d', want running" ;; esac
    [ "$(statef qemu_pid)" = "$qpid" ] || fail "QEMU pid changed across qlaunch reboot"
    verb destroy
    check_end shutoff destroyed 2
}

case_destroy_verb() {
    mkxml destroy restart destroy "guest.action=sleep"
    create || return
    wait_marker GUEST-BOOTED || return
    _t=$(now)
    verb destroy
    _e=$(secs "$_t")
    awk -v e="$_e" 'BEGIN { exit !(e < 15) }' || fail "destroy took $_e s"
    check_end shutoff destroyed 1
}

case_qemu_sigkill() {
    mkxml destroy restart destroy "guest.action=sleep"
    create || return
    wait_marker GUEST-BOOTED || return
    kill -9 "$qpid"
    check_end shutoff crashed 1
}

case_sup_sigkill() {
    mkxml destroy restart destroy "guest.action=poweroff guest.delay=8"
    create || return
    wait_marker GUEST-READY || return
    kill -9 "$spid"
    wait_until 10 eval "! ours $spid" || { fail "supervisor survived SIGKILL"; return; }
    ours "$qpid" || { fail "QEMU died with its supervisor"; return; }
    [ -d "$RUN/$N" ] || fail "run directory vanished with the supervisor"
    _d=$(domstate)
    case $_d in running*) ;; *) fail "domstate after re-attach: '$_d', want running" ;; esac
    spid2=$(statef supervisor_pid)
    if [ -z "$spid2" ] || [ "$spid2" = "$spid" ]; then
        fail "state.json supervisor_pid '$spid2' did not change after re-attach"
    elif ! ours "$spid2"; then
        fail "re-attached supervisor $spid2 is not running"
    fi
    [ "$(statef qemu_pid)" = "$qpid" ] || fail "QEMU pid changed: $(statef qemu_pid) != $qpid"
    # The guest powers off by itself: the new supervisor applies on_poweroff=destroy.
    check_end shutoff shutdown 1
    seen "GUEST-ACTION poweroff" || fail "no GUEST-ACTION poweroff"
}

case_restart_limit() {
    mkxml restart restart destroy "guest.action=poweroff"
    create_fg --restart-cap 2 --restart-window 60 || return
    wait_boots 2 && wait_boots 3 || return
    wait_fg
    [ $rc -eq 3 ] || fail "create --foreground exited $rc, want 3 (restart limit)"
    check_end crashed restart-limit 3
    [ "$(lastf restarts)" = 2 ] || fail "$N.last restarts=$(lastf restarts), want 2"
}

# After a failed create: no run directory, no process. The supervisor reports the failure
# before it removes the run directory, so a check right after create can race with that
# removal (a few ms): note it, and fail only if the directory stays.
nothing_left() {
    if [ -e "$RUN/$N" ]; then
        note "run directory still present when create returned (removal races the report)"
        wait_until 5 test ! -e "$RUN/$N" || fail "run directory $RUN/$N left over"
    fi
    wait_until 10 no_procs || fail "processes left: $(our_pids "$N" | tr '\n' ' ')"
}

# QEMU refuses to start: create fails at once with QEMU's own words and the log path,
# leaving nothing behind. Also a bogus emulator path. Runs no guest.
case_start_fail() {
    mkxml destroy restart destroy "guest.action=poweroff" \
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$D/missing.img'/><target dev='vda' bus='virtio'/></disk>"
    _t=$(now)
    timeout $TMO "$QLAUNCH" create "$X" >"$D/create.out" 2>"$D/create.err"; rc=$?
    _e=$(secs "$_t")
    [ $rc -eq 1 ] || fail "create exited $rc, want 1"
    grep -q "Could not open '$D/missing.img'" "$D/create.err" ||
        fail "stderr lacks QEMU's message: $(cat "$D/create.err")"
    grep -q "$LOG/$N.log" "$D/create.err" || fail "stderr does not name the log $LOG/$N.log"
    awk -v e="$_e" 'BEGIN { exit !(e < 10) }' ||
        fail "create took $_e s to report that QEMU failed to start (want < 10 s)"
    nothing_left
    # The same with --foreground: exit status 1.
    timeout $TMO "$QLAUNCH" create --foreground "$X" >"$D/fg.out" 2>&1; rc=$?
    [ $rc -eq 1 ] || fail "create --foreground exited $rc, want 1"
    [ ! -e "$RUN/$N" ] || fail "run directory $RUN/$N left over (--foreground)"
    # A bogus emulator.
    timeout $TMO "$QLAUNCH" create --emulator "$D/no-such-qemu" "$X" >"$D/emu.out" 2>&1; rc=$?
    [ $rc -eq 1 ] || fail "create --emulator BOGUS exited $rc, want 1"
    grep -q "$D/no-such-qemu" "$D/emu.out" || fail "bogus emulator not named: $(cat "$D/emu.out")"
    nothing_left
}

# run_case NAME: runs case_NAME (dashes for underscores in NAME), then removes whatever
# it left and prints one line (plus diagnostics on failure).
run_case() {
    case=$1
    N=$P-$case D=$T/c/$case
    X=$D/$N.xml S=$D/serial.log
    bad=0 qpid= spid= spid2=
    mkdir -p "$D"
    _start=$(now)
    {
        "case_$(echo "$case" | tr - _)"
        if [ -e "$RUN/$N" ]; then
            timeout 20 "$QLAUNCH" destroy "$N" >/dev/null 2>&1
        fi
        for _p in $(our_pids "$N"); do kill -9 "$_p" 2>/dev/null; done
        if [ $bad -eq 0 ]; then
            echo "ok   $case ($(secs "$_start") s)"
        else
            echo "--- $case: tail of $LOG/$N.log ---"; tail -n 25 "$LOG/$N.log" 2>/dev/null
            echo "--- $case: tail of the serial console ---"; tail -n 8 "$S" 2>/dev/null | tr -d '\r'
            echo "--- $case: create stderr ---"; cat "$D/create.err" 2>/dev/null
            echo "---"
            echo "$case" >>"$T/failed"
        fi
    } >"$D/out" 2>&1
    cat "$D/out"
}

run_queue() {
    for c in "$@"; do run_case "$c"; done
}

# ---- main ----------------------------------------------------------------------------

[ -x "$QLAUNCH" ] || { msg "FAIL: $QLAUNCH is not executable"; exit 1; }
[ -x "$EMU" ] || { msg "FAIL: $EMU not found"; exit 1; }
command -v pgrep >/dev/null || { msg "FAIL: pgrep not found"; exit 1; }
t0=$(now)
if ! sh "$top_srcdir/tests/guest/build-guest.sh" "$GUEST" >"$T/build.log" 2>&1; then
    msg "FAIL build: tests/guest/build-guest.sh $GUEST"; tail -n 30 "$T/build.log"
    exit 1
fi
msg "guest ready in $(secs "$t0") s; QEMU $EMU; run dir $RUN"

# Two queues of about equal length (two guests at a time on a 2-core box); start_fail
# boots no guest and runs alongside.
run_queue restart-limit poweroff-restart panic-restart panic-coredump shutdown-timeout \
    destroy-verb qemu-sigkill &
jobs_bg="$jobs_bg $!"
run_queue sup-sigkill reboot-restart reboot-verb panic-preserve shutdown-acpi \
    poweroff-destroy reboot-destroy panic-destroy &
jobs_bg="$jobs_bg $!"
run_queue start-fail &
jobs_bg="$jobs_bg $!"
for j in $jobs_bg; do wait "$j"; done
jobs_bg=

leftover=$(ls -A "$RUN" | grep -v '\.last$')
[ -z "$leftover" ] || { msg "FAIL: left in $RUN: $leftover"; echo leftovers >>"$T/failed"; }
n=$(cat "$T/failed" 2>/dev/null | wc -l)
msg "$n failed; total $(secs "$t0") s"
[ "$n" -eq 0 ] || { msg "failed: $(tr '\n' ' ' <"$T/failed")"; exit 1; }
exit 0
