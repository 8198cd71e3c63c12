#!/bin/sh
# PCI <hostdev> host side (issue 8, item 9) against a fake sysfs tree ($QLAUNCH_SYSFS_ROOT)
# whose fake kernel (tests/func/fake-pci-kernel) binds and unbinds as Linux does. This host
# has no IOMMU, so the domain's emulator is a wrapper that leaves the vfio-pci devices out
# of QEMU's argv (everything else is qlaunch's real start). managed='yes' moves the function
# to vfio-pci before QEMU and back to its driver after destroy, after QEMU is killed, after
# the supervisor is killed (re-attach, then destroy), after both die (the CLI's recovery),
# and after a start QEMU refuses (the real QEMU: no such host device); /dev/vfio/N goes to
# QEMU's user and back. What the host lacks is refused before anything changes.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (fake sysfs writes run as the supervisor)"; exit 77; }
QL_TAG=hostdev
. "$top_srcdir/tests/func/lib.sh"
SYS="$T/sys"
export QLAUNCH_SYSFS_ROOT="$SYS" QLAUNCH_VFIO_DEV_DIR="$T/vfio"
DEV=0000:06:12.5
mkdir -p "$T/vfio" && : > "$T/vfio/7" && chmod 600 "$T/vfio/7"
"$top_builddir/tests/func/fake-pci-kernel" "$SYS" "$DEV:7:e1000e" "0000:06:12.7:0:e1000e" \
    > "$T/kernel.out" 2>&1 &
KPID=$!
ql_extra_cleanup() { kill "$KPID" 2>/dev/null; wait "$KPID" 2>/dev/null; }
wait_for() {
    _end=$(($(date +%s) + $1)); shift
    while ! "$@"; do [ "$(date +%s)" -lt "$_end" ] || return 1; sleep 0.1; done
}
wait_for 10 grep -q ready "$T/kernel.out" || fail "the fake kernel did not start: $(cat "$T/kernel.out")"
# The test's emulator: the real QEMU without vfio-pci devices (no IOMMU here).
cat > "$T/qemu" <<'SH'
#!/bin/sh
prev=
for a do
    shift
    if [ "$prev" = -device ]; then
        prev=
        case $a in *'"vfio-pci"'*) continue ;; esac
        set -- "$@" -device "$a"
        continue
    fi
    [ "$a" = -device ] && { prev=-device; continue; }
    set -- "$@" "$a"
done
exec /usr/bin/qemu-system-x86_64 "$@"
SH
chmod 755 "$T/qemu"
mkxml() {  # mkxml ADDR MANAGED [EMULATOR]
    set -- "$1" "$2" "${3:-$T/qemu}"
    ql_domain_xml "$T/dom.xml" "" "<emulator>$3</emulator>
    <hostdev mode='subsystem' type='pci' managed='$2'>
      <source><address domain='0x${1%%:*}' bus='0x06' slot='0x12' function='0x${1##*.}'/></source>
    </hostdev>
    <memballoon model='none'/>"
}
driver() { basename "$(readlink "$SYS/bus/pci/devices/$DEV/driver")"; }
state_val() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$T/run/$NAME/state.json" | head -n 1; }
qemu_user=root
[ -z "${QLAUNCH_QEMU_USER:-}" ] && qemu_user=qlaunch-qemu
bound() {  # bound WHAT: the function is on vfio-pci and /dev/vfio/7 is QEMU's user's
    [ "$(driver)" = vfio-pci ] || fail "$1: $DEV is on '$(driver)', not vfio-pci"
    [ "$(cat "$SYS/bus/pci/devices/$DEV/driver_override")" = vfio-pci ] || fail "$1: no driver_override"
    grep -q '"addr": *"'$DEV'"' "$T/run/$NAME/state.json" || fail "$1: the binding is not in state.json"
    [ "$(stat -c %U "$T/vfio/7")" = "$qemu_user" ] || fail "$1: $T/vfio/7 is $(stat -c %U "$T/vfio/7")'s"
}
restored() {  # restored WHAT: back on e1000e, override cleared, /dev/vfio/7 root's again
    wait_for 30 test "$(driver)" = e1000e || fail "$1: $DEV left on '$(driver)'"
    [ -z "$(tr -d '\n' < "$SYS/bus/pci/devices/$DEV/driver_override")" ] || fail "$1: driver_override left"
    [ "$(stat -c %U "$T/vfio/7")" = root ] || fail "$1: $T/vfio/7 still $(stat -c %U "$T/vfio/7")'s"
}
start() {
    timeout 120 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 || fail "$1: create: $(cat "$T/out")"
    bound "$1"
}

# Refusals: nothing changes.
mkxml 0000:06:12.7 yes
timeout 60 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 && fail "a function without IOMMU group started"
grep -q "devices/hostdev: PCI device 0000:06:12.7 has no IOMMU group: the host runs without an IOMMU" "$T/out" \
    || fail "no-IOMMU refusal: $(cat "$T/out")"
grep -q "line" "$T/out" || fail "the refusal names no line: $(cat "$T/out")"
mkxml "$DEV" no
timeout 60 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 && fail "managed='no' started on e1000e"
grep -q "is bound to driver 'e1000e', and managed='no' leaves binding it to 'vfio-pci'" "$T/out" \
    || fail "managed='no' refusal: $(cat "$T/out")"
[ ! -s "$SYS/.kernel.log" ] || fail "a refusal changed bindings: $(cat "$SYS/.kernel.log")"
echo "ok refusals change nothing"

mkxml "$DEV" yes
start "destroy"
grep -q '"changed": *true' "$T/run/$NAME/state.json" || fail "state.json: $(cat "$T/run/$NAME/state.json")"
"$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy"
restored "destroy"
echo "ok destroy gives the function back"

start "QEMU killed"
kill -9 "$(state_val qemu_pid)"
wait_for 30 test ! -e "$T/run/$NAME" || fail "the domain did not end after QEMU was killed"
restored "QEMU killed"
echo "ok QEMU killed"

start "supervisor killed"
kill -9 "$(state_val supervisor_pid)"
[ "$(timeout 60 "$QLAUNCH" domstate "$NAME")" = running ] || fail "no re-attach"
bound "re-attached"
timeout 60 "$QLAUNCH" destroy "$NAME" > /dev/null || fail "destroy after re-attach"
restored "supervisor killed, re-attach, destroy"
echo "ok supervisor killed, re-attached, destroyed"

start "all dead"
qpid=$(state_val qemu_pid)
kill -9 "$(state_val supervisor_pid)" "$qpid"
wait_for 30 sh -c "! kill -0 $qpid 2>/dev/null" || fail "QEMU $qpid survived SIGKILL"
st=$(timeout 60 "$QLAUNCH" domstate "$NAME" 2>&1)
case $st in "shut off"*|*"not running"*|*"not found"*) ;; *) fail "domstate after all died: $st" ;; esac
restored "recovery of a dead domain"
echo "ok recovery gives the function back"

# The real QEMU refuses vfio-pci here (no such host device): the failed start undoes it.
mkxml "$DEV" yes /usr/bin/qemu-system-x86_64
timeout 120 "$QLAUNCH" create "$T/dom.xml" > "$T/out" 2>&1 && fail "QEMU started vfio-pci without an IOMMU"
grep -q "bind $DEV to vfio-pci" "$SYS/.kernel.log" || fail "the failed start never bound the function"
restored "failed start"
echo "ok a failed start gives the function back"
echo "PASS: hostdev"
exit 0
