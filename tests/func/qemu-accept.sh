#!/bin/sh
# Starts real QEMU (TCG, paused) with the argv of every xml2argv golden case and checks over
# QMP that QEMU accepted it and put the devices where the XML says. Runs once per QEMU:
# $QEMU (default Debian's /usr/bin/qemu-system-x86_64) and, when installed, QEMU 10.0 from
# scripts/qemu10.sh ($QEMU10, default /opt/qlaunch-qemu10/bin/qemu-system-x86_64); `qlaunch
# argv --emulator` builds for each from its capabilities. Skips (77) without QEMU or python3.
# Each case has a hard timeout; temp dirs and processes are cleaned up.
set -u
srcdir=${QLAUNCH_TEST_SRCDIR:-${top_srcdir:-.}}
qlaunch=${QLAUNCH:-./qlaunch}
qemu=${QEMU:-/usr/bin/qemu-system-x86_64}
qemu10=${QEMU10:-/opt/qlaunch-qemu10/bin/qemu-system-x86_64}
py=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if [ -z "$py" ] || [ ! -x "$qemu" ] || ! command -v qemu-img >/dev/null; then
    echo "SKIP: needs python3, qemu-img and $qemu"
    exit 77
fi
# A private capabilities cache: the test must not depend on (or fill) the user's.
cache=$(mktemp -d /tmp/qemu-accept-caps.XXXXXX) || exit 1
trap 'rm -rf "$cache"' EXIT
rc=0
for q in "$qemu" "$qemu10"; do
    [ -x "$q" ] || { echo "# $q is not installed (scripts/qemu10.sh): not tested"; continue; }
    echo "# $("$q" -version | head -1) ($q)"
    out=$(QLAUNCH_CACHE_DIR=$cache QEMU="$q" timeout 900 "$py" \
          "$srcdir/tests/xml2argv/qemu-accept.py" "$qlaunch" "$srcdir"/tests/xml2argv/*.xml)
    r=$?
    printf '%s\n' "$out"
    [ $r -ne 0 ] && rc=$r
done
exit $rc
