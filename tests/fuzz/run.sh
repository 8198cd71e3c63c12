#!/bin/sh
# Runs one libFuzzer harness built by `make fuzz`:
#   tests/fuzz/run.sh FUZZDIR SRCDIR NAME SECONDS [libFuzzer options...]
# The growing corpus is FUZZDIR/corpus/NAME (kept between runs); the generated seeds
# (FUZZDIR/seeds/NAME) and the committed ones (SRCDIR/tests/fuzz/seeds/NAME) are read too.
# A finding (crash, sanitizer report, leak, timeout of 10 s, over 2 GiB) is written to
# FUZZDIR/findings/NAME-* and makes this script fail. SECONDS 0 only runs the seeds.
set -eu
if [ $# -lt 4 ]; then
    echo "usage: $0 FUZZDIR SRCDIR NAME SECONDS [libFuzzer options...]" >&2
    exit 2
fi
fuzzdir=$1 srcdir=$2 name=$3 seconds=$4
shift 4
bin=$fuzzdir/fuzz-$name
[ -x "$bin" ] || { echo "$0: $bin is not built (make fuzz)" >&2; exit 2; }

case $name in
domain)   dict=xml.dict  max_len=65536 ;;
network)  dict=xml.dict  max_len=16384 ;;
pool)     dict=xml.dict  max_len=16384 ;;
qmp)      dict=json.dict max_len=65536 ;;
caps)     dict=json.dict max_len=65536 ;;
*)        dict=json.dict max_len=16384 ;;
esac

corpus=$fuzzdir/corpus/$name
mkdir -p "$corpus" "$fuzzdir/findings"
# libFuzzer writes new inputs into the first directory and only reads the others.
set -- -max_len=$max_len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$fuzzdir/findings/$name-" -dict="$fuzzdir/$dict" "$@" "$corpus"
for d in "$fuzzdir/seeds/$name" "$srcdir/tests/fuzz/seeds/$name"; do
    [ -d "$d" ] && set -- "$@" "$d"
done
if [ "$seconds" -gt 0 ]; then
    set -- -max_total_time="$seconds" "$@"
else
    set -- -runs=0 "$@"
fi
# ASan: leaks are findings too; UBSan: stop at the first report (the build makes it fatal).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
echo "fuzz-$name: ${seconds}s, corpus $corpus"
"$bin" "$@"
