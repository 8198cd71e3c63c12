#!/bin/sh
# make check-conformance: run qlaunch over the libvirt corpus and print counts.
# Usage: conformance.sh QLAUNCH CORPUS_DIR
set -eu
here=$(dirname "$0")
exec python3 "$here/conformance.py" "$@"
