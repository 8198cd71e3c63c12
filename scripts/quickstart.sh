#!/bin/sh
# One command for a fresh Debian 12 machine (as root): install what qlaunch needs,
# build it in this checkout, and run the bundled example.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"
exec ./scripts/demo.sh
