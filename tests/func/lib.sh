# Shared setup of the single-guest functional tests. Set QL_TAG, then source this file:
# it builds (or reuses) the test guest, makes a private run/log directory, names the
# domain, and cleans everything up on exit. Tests may define ql_extra_cleanup.
: "${QLAUNCH:?}" "${top_builddir:?}" "${top_srcdir:?}" "${QL_TAG:?}"
# QL_GUEST_FLAVOUR=generic: the guest on Debian's generic kernel (9p), in its own directory.
GUEST="$top_builddir/tests/guest/out${QL_GUEST_FLAVOUR:+-$QL_GUEST_FLAVOUR}"
QL_GUEST_FLAVOUR=${QL_GUEST_FLAVOUR:-} sh "$top_srcdir/tests/guest/build-guest.sh" "$GUEST" >/dev/null || { echo "guest build failed"; exit 1; }
T=$(mktemp -d "/tmp/ql-$QL_TAG.XXXXXX")
. "$top_srcdir/tests/func/access.sh"
export QLAUNCH_RUN_DIR="$T/run" QLAUNCH_LOG_DIR="$T/log"
NAME="ql-$QL_TAG-$$"
ql_extra_cleanup() { :; }
ql_cleanup() {
    ql_extra_cleanup
    "$QLAUNCH" destroy "$NAME" >/dev/null 2>&1
    rm -rf "$T"
}
trap ql_cleanup EXIT INT TERM
fail() {
    if [ -n "$tap_desc" ]; then
        echo "not ok $tap_n - $tap_desc"; echo "# $*"
        tail -20 "$T/log/$NAME.log" 2>/dev/null | sed 's/^/# /'
    else
        echo "FAIL: $*"; tail -20 "$T/log/$NAME.log" 2>/dev/null
    fi
    exit 1
}
# TAP tests (NAME.tap) print their plan (echo 1..N), then per case: tap_case "what it
# checks", the checks, tap_ok. A fail() inside a case prints it as 'not ok' (the log tail
# as diagnostics) and stops the test: the driver names that case and counts the rest missing.
tap_n=0 tap_desc=
tap_case() { tap_n=$((tap_n + 1)); tap_desc=$*; }
tap_ok() { echo "ok $tap_n - $tap_desc"; tap_desc=; }
# ql_domain_xml FILE [CMDLINE [DEVICES [ELEMENTS]]]: a TCG domain with ACPI booting the test
# guest (default: guest.action=sleep, no devices); ELEMENTS go in <domain> (on_crash...).
# Memory: QL_MEMORY_MIB, default 128. QL_INITRD: another initramfs (initramfs-agent.gz).
ql_domain_xml() {
    cat > "$1" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>${QL_MEMORY_MIB:-128}</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel><initrd>${QL_INITRD:-$GUEST/initramfs.gz}</initrd>
    <cmdline>console=ttyS0 quiet ${2:-guest.action=sleep}</cmdline></os>
  <features><acpi/></features>
  <devices>${3:-}</devices>
  ${4:-}
</domain>
XML
}
# ql_wait_for PATTERN [FILE] [SECONDS]: until FILE (the serial log) has a line matching PATTERN.
ql_wait_for() {
    end=$(($(date +%s) + ${3:-90}))
    until grep -q -- "$1" "${2:-$T/serial.log}" 2>/dev/null; do
        [ "$(date +%s)" -lt "$end" ] || fail "no '$1' within ${3:-90} s"
        sleep 0.2
    done
}
# ql_wait_watch PATTERN: until the guest's latest GUEST-WATCH report (guest.watch=1) matches.
ql_wait_watch() {
    end=$(($(date +%s) + 90))
    until grep "GUEST-WATCH" "$T/serial.log" | tail -1 | grep -q -- "$1"; do
        [ "$(date +%s)" -lt "$end" ] ||
            fail "the guest did not report '$1': $(grep GUEST-WATCH "$T/serial.log" | tail -3)"
        sleep 0.2
    done
}
