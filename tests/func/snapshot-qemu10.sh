#!/bin/sh
# snapshot.sh (snapshots, save, restore) on QEMU 10.0 from scripts/qemu10.sh, as on Debian
# 12's 7.2 (issue 9). Skipped when QEMU 10.0 is not installed.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
q=${QEMU10:-/opt/qlaunch-qemu10/bin/qemu-system-x86_64}
if [ ! -x "$q" ]; then
    echo "SKIP: QEMU 10.0 is not installed (scripts/qemu10.sh)"
    exit 77
fi
QEMU_SYSTEM=$q exec sh "$top_srcdir/tests/func/snapshot.sh"
