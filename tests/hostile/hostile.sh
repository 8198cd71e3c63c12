#!/bin/sh
# Hostile inputs for "qlaunch validate": each must end within 5 s, without a crash, with exit
# status 1 (0 for the comma case) and exactly one clear error line naming the problem; no
# content of /etc/passwd may ever appear in the output. Automake shell test: 0 pass, 1 fail
# (it never skips). Runs the same under the ASan+UBSan build, where a sanitizer report fails it.
#
# Environment: QLAUNCH (absolute path of the built binary), top_srcdir (absolute).
set -u

fail=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; fail=1; }

if [ -z "${QLAUNCH:-}" ] || [ ! -x "$QLAUNCH" ]; then
    say "FAIL: QLAUNCH='${QLAUNCH:-}' is not an executable qlaunch binary"
    exit 1
fi
srcdir=${top_srcdir:-${QLAUNCH_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}}
if ! command -v timeout >/dev/null 2>&1; then
    say "FAIL: timeout(1) is needed"
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/qlaunch-hostile.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
in=$work/in
if ! sh "$srcdir/tests/hostile/make-inputs.sh" "$in"; then
    say "FAIL: make-inputs.sh failed"
    exit 1
fi

# The run directory `validate` measures socket paths against (it never creates it).
QLAUNCH_RUN_DIR=/run/qlaunch
export QLAUNCH_RUN_DIR

# Every non-empty line of /etc/passwd, as fixed strings: none may be echoed back.
grep -v '^$' /etc/passwd >"$work/passwd.pat" 2>/dev/null || :
printf 'root:x:0:0\n' >>"$work/passwd.pat"

# Sanitizers: report to stderr and fail the process (leaks included).
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

# check NAME WANT_STATUS PHRASE [STDIN_FILE]
# Runs "$QLAUNCH validate $in/NAME" (or "validate /dev/stdin" fed from a pipe).
check() {
    name=$1 want=$2 phrase=$3 pipe_from=${4:-}
    out=$work/$name.out err=$work/$name.err
    if [ -n "$pipe_from" ]; then
        file=/dev/stdin
        cat "$pipe_from" | timeout -k 2 5 "$QLAUNCH" validate "$file" >"$out" 2>"$err"
        st=$?
    else
        file=$in/$name
        timeout -k 2 5 "$QLAUNCH" validate "$file" >"$out" 2>"$err"
        st=$?
    fi
    ok=1
    if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
        bad "$name: did not finish within 5 s"; ok=0
    elif [ "$st" -ge 128 ]; then
        bad "$name: crashed (exit status $st)"; ok=0
    elif [ "$st" -ne "$want" ]; then
        bad "$name: exit status $st, expected $want"; ok=0
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$err"; then
        bad "$name: sanitizer report"; ok=0
    fi
    if [ -s "$work/passwd.pat" ] && cat "$out" "$err" | grep -q -F -f "$work/passwd.pat"; then
        bad "$name: /etc/passwd content in the output"; ok=0
    fi
    if [ "$want" -eq 0 ]; then
        if [ -s "$err" ]; then
            bad "$name: unexpected stderr"; ok=0
        fi
        if [ "$(cat "$out")" != "$file: ok" ]; then
            bad "$name: stdout is not '$file: ok'"; ok=0
        fi
    else
        nerr=$(grep -c ': error: ' "$err")
        if [ "$nerr" -ne 1 ]; then
            bad "$name: $nerr error lines, expected exactly 1"; ok=0
        fi
        if ! grep ': error: ' "$err" | grep -q -F -e "$file: error: $phrase"; then
            bad "$name: the error line does not say: $file: error: $phrase"; ok=0
        fi
        # The error line and the "invalid (1 error)" summary; nothing else, nothing on stdout.
        if [ "$(wc -l <"$err")" -ne 2 ] || ! tail -n 1 "$err" | grep -q -F "$file: invalid (1 error)"; then
            bad "$name: stderr is not one error line plus the summary"; ok=0
        fi
        if [ -s "$out" ]; then
            bad "$name: unexpected stdout"; ok=0
        fi
    fi
    if [ "$ok" -eq 1 ]; then
        say "PASS: $name"
    else
        say "--- stdout:"; head -c 2000 "$out"
        say "--- stderr:"; head -c 2000 "$err"
        say "---"
    fi
}

# check_many NAME ERRORS FIRST_PHRASE
# For inputs with ERRORS problems: the first 100 are printed (the first one says
# FIRST_PHRASE), then "... and ERRORS-100 more problems" and the summary. A quadratic parser
# takes minutes on these and fails the 5 s limit.
check_many() {
    name=$1 want=$2 phrase=$3
    file=$in/$name out=$work/$name.out err=$work/$name.err
    timeout -k 2 5 "$QLAUNCH" validate "$file" >"$out" 2>"$err"
    st=$?
    ok=1
    if [ "$st" -ne 1 ]; then
        bad "$name: exit status $st, expected 1 (124/137: did not finish within 5 s)"; ok=0
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$err"; then
        bad "$name: sanitizer report"; ok=0
    fi
    if [ "$(grep -c ': error: ' "$err")" -ne 100 ]; then
        bad "$name: $(grep -c ': error: ' "$err") error lines, expected the first 100"; ok=0
    fi
    if ! head -n 1 "$err" | grep -q -F -e "$file: error: $phrase"; then
        bad "$name: the first line does not say: $file: error: $phrase"; ok=0
    fi
    if [ "$(sed -n 101p "$err")" != "$file: ... and $((want - 100)) more problems" ] ||
        [ "$(sed -n 102p "$err")" != "$file: invalid ($want errors)" ] ||
        [ "$(wc -l <"$err")" -ne 102 ] || [ -s "$out" ]; then
        bad "$name: the output does not end with the count of the other problems"; ok=0
    fi
    if [ "$ok" -eq 1 ]; then
        say "PASS: $name"
    else
        say "--- stderr (end):"; tail -n 3 "$err" | head -c 2000
        say "---"
    fi
}

dtd='domain: document type declarations (DOCTYPE/ENTITY) are not allowed in domain XML'
check billion-laughs.xml 1 "$dtd"
check xxe.xml 1 "$dtd"
check external-dtd.xml 1 "$dtd"
check big-100m.xml 1 "domain: '$in/big-100m.xml' is 104857121 bytes, over the 4194304 byte limit"
check big-100m-pipe 1 "domain: '/dev/stdin' is over the 4194304 byte limit" "$in/big-100m.xml"
check deep-10000.xml 1 "domain: the document nests elements deeper than 64 levels"
check invalid-utf8.xml 1 "domain: malformed XML: Input is not proper UTF-8"
check empty.xml 1 "domain: the file is empty"
check whitespace.xml 1 "domain: the file is empty"
check wrong-root.xml 1 "network: the root element must be <domain>, not <network> (line 1)"
check name-newline.xml 1 "name: the domain name contains a control character (such as a newline), which libvirt and qlaunch reject (line 2)"
check name-comma.xml 0 ""
check nul-byte.xml 1 "domain: the document contains a NUL byte, so it is not XML text"
check truncated.xml 1 "domain: malformed XML: "
check xinclude.xml 1 "xi:include: unsupported element <xi:include> (line 5)"
check a-directory 1 "domain: '$in/a-directory' is a directory, not a file"
check missing.xml 1 "domain: cannot open '$in/missing.xml': No such file or directory"
check channel-target-type.xml 1 "devices/channel/target@type: unsupported value 'a' (qlaunch supports: virtio, guestfwd) (line 6)"
check channel-name-traversal.xml 1 "devices/channel: channel target name '../../../tmp/x' contains '/', so it cannot name a socket in the run directory"
check vnc-listen-option.xml 1 "devices/graphics@listen: listen address 'websocket=0.0.0.0' is not an IPv4 or IPv6 address or a host name (line 6)"
check name-leading-dot.xml 1 "name: the domain name '.hidden' starts with '.', which qlaunch rejects"
check name-long-socket.xml 1 "name: the run directory '/run/qlaunch/nnnnnnnnnn"
check many-attributes.xml 1 "domain: element <features> has more than 256 attributes (line 5)"
check many-elements.xml 1 "domain: the document has more than 100000 elements (line 6)"
check_many many-siblings.xml 80000 "x[1]: unsupported element <x> (line 5)"
check_many many-vcpupins.xml 99000 "cputune/vcpupin[1]@vcpu: vCPU 5 does not exist (the domain has 2) (line 7)"

exit $fail
