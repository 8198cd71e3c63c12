#!/bin/sh
# Starts real QEMU (TCG, paused) with the argv of every xml2argv golden case and checks over
# QMP that QEMU accepted it and put the devices where the XML says. Skips (77) without QEMU
# or python3. Each case has a hard timeout; temp dirs and processes are cleaned up.
set -u
srcdir=${QLAUNCH_TEST_SRCDIR:-${top_srcdir:-.}}
qlaunch=${QLAUNCH:-./qlaunch}
qemu=${QEMU:-/usr/bin/qemu-system-x86_64}
py=$(command -v python3 || true)
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
if [ -z "$py" ] || [ ! -x "$qemu" ] || ! command -v qemu-img >/dev/null; then
    echo "SKIP: needs python3, qemu-img and $qemu"
    exit 77
fi
out=$(QEMU="$qemu" timeout 900 "$py" "$srcdir/tests/xml2argv/qemu-accept.py" "$qlaunch" \
      "$srcdir"/tests/xml2argv/*.xml)
rc=$?
printf '%s\n' "$out"
exit $rc
