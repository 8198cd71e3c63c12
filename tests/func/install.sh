#!/bin/sh
# make install DESTDIR=...: the installed tree, file by file (binary, man page, systemd
# template unit with configure's paths, tmpfiles.d entry, bash completion, definition
# directories); the unit passes systemd-analyze verify; the tmpfiles entry creates the run
# directory; the completion completes verbs, options and domain names; autostart enables
# the installed unit without a running systemd (QLAUNCH_SYSTEMD_ROOT, as an image build does)
# with the very link `systemctl --root` makes, logging its step under --verbose with a
# timestamp, or a <7> priority and none under JOURNAL_STREAM; make uninstall leaves no file
# behind.
set -u
: "${QLAUNCH:?}" "${top_builddir:?}" "${top_srcdir:?}"
T=$(mktemp -d /tmp/ql-install.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
MAKE=${MAKE:-make}
# A make of our own: under `make -jN check` the parent's MAKEFLAGS would add "Entering
# directory" lines to the output read below, and a jobserver this make cannot use.
unset MAKEFLAGS MFLAGS MAKELEVEL
D="$T/root"
# The configured directories, from the Makefile itself.
dirs=$(printf 'print-dirs:\n\t@echo $(bindir) $(man1dir) $(systemdsystemunitdir) $(tmpfilesdir) $(bashcompletiondir) $(sysconfdir)\n' |
       $MAKE -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-dirs) || fail "cannot read the directories"
set -- $dirs
bindir=$1 man1dir=$2 unitdir=$3 tmpfilesdir=$4 compdir=$5 sysconfdir=$6
$MAKE -s -C "$top_builddir" install DESTDIR="$D" > "$T/log" 2>&1 || { cat "$T/log"; fail "make install"; }

# file by file (and the empty directories)
(cd "$D" && find . \( -type f -o -type l -o -type d -empty \) | sed 's|^\.||' | sort) > "$T/got"
sort > "$T/want" <<LIST
$bindir/qlaunch
$man1dir/qlaunch.1
$unitdir/qlaunch@.service
$tmpfilesdir/qlaunch.conf
$compdir/qlaunch
$sysconfdir/qlaunch/domains/autostart
LIST
diff -u "$T/want" "$T/got" || fail "the installed tree differs (- expected, + installed)"
"$D$bindir/qlaunch" --version | grep -q "^qlaunch " || fail "the installed binary does not run"
[ -x "$D$bindir/qlaunch" ] || fail "the binary is not executable"

# the unit: configure's paths, Type=notify, a graceful ExecStop, and systemd's own check
unit="$D$unitdir/qlaunch@.service"
grep -qx "ExecStart=$bindir/qlaunch start --foreground %i" "$unit" || fail "ExecStart: $(grep Exec "$unit")"
grep -qx "ExecStop=$bindir/qlaunch shutdown --timeout 60 %i" "$unit" || fail "ExecStop: $(grep Exec "$unit")"
grep -qx "Type=notify" "$unit" || fail "not Type=notify"
grep -qx "ConditionPathExists=$sysconfdir/qlaunch/domains/%i.xml" "$unit" || fail "the unit's definition path"
grep -q "@[a-z]*@" "$unit" && fail "unsubstituted variables in the unit"
if command -v systemd-analyze > /dev/null; then
    mkdir "$T/units"
    sed "s|$bindir/qlaunch|$D$bindir/qlaunch|" "$unit" > "$T/units/qlaunch@demo.service"
    out=$(cd "$T/units" && systemd-analyze verify --man=no ./qlaunch@demo.service 2>&1) ||
        fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify warns: $out"
else
    echo "systemd-analyze not installed: the unit's fields were checked only"
fi
grep -qx "d /run/qlaunch 0755 root root -" "$D$tmpfilesdir/qlaunch.conf" || fail "tmpfiles entry"
if command -v systemd-tmpfiles > /dev/null && [ "$(id -u)" = 0 ]; then
    mkdir "$T/tmproot"
    systemd-tmpfiles --create --root="$T/tmproot" "$D$tmpfilesdir/qlaunch.conf" ||
        fail "systemd-tmpfiles --create"
    [ "$(stat -c %a "$T/tmproot/run/qlaunch")" = 755 ] || fail "tmpfiles did not create /run/qlaunch"
fi

# bash completion, with the installed binary first in PATH and a defined domain
if command -v bash > /dev/null; then
    export QLAUNCH_DOMAIN_DIR="$T/defs" QLAUNCH_RUN_DIR="$T/run"
    mkdir -p "$T/defs" && echo "<domain/>" > "$T/defs/vm-one.xml"
    comp() {
        PATH="$D$bindir:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            _qlaunch; printf "%s\n" "${COMPREPLY[@]}"' sh "$D$compdir/qlaunch" "$@" | sort | tr '\n' ' '
    }
    [ "$(comp qlaunch und)" = "undefine " ] || fail "verb completion: '$(comp qlaunch und)'"
    case " $(comp qlaunch "") " in *" define "*" start "*) ;; *) fail "verbs: $(comp qlaunch "")" ;; esac
    [ "$(comp qlaunch undefine --n)" = "--nvram " ] || fail "option completion: '$(comp qlaunch undefine --n)'"
    [ "$(comp qlaunch start vm)" = "vm-one " ] || fail "name completion: '$(comp qlaunch start vm)'"
    [ "$(comp qlaunch --run-dir /x autostart --disable v)" = "vm-one " ] ||
        fail "name after options: '$(comp qlaunch --run-dir /x autostart --disable v)'"
fi

# autostart in an image being built: QLAUNCH_SYSTEMD_ROOT=$D enables qlaunch@NAME.service
# in the installed tree with systemctl --root, exactly as systemctl itself would.
if command -v systemctl > /dev/null; then
    export QLAUNCH_DOMAIN_DIR="$T/defs-auto"
    ql="$D$bindir/qlaunch"
    # systemd looks for units only in its own directories: a build with another prefix
    # (make distcheck's) is enabled from a copy in /etc/systemd/system, as an admin would.
    sunit=$unitdir
    case $unitdir in
    /etc/systemd/system|/usr/lib/systemd/system|/lib/systemd/system|/usr/local/lib/systemd/system) ;;
    *) sunit=/etc/systemd/system
       mkdir -p "$D$sunit" && cp "$unit" "$D$sunit/" ;;
    esac
    printf "<domain type='qemu'><name>vm-auto</name><memory unit='MiB'>64</memory>%s</domain>\n" \
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>" > "$T/vm-auto.xml"
    "$ql" define --quiet "$T/vm-auto.xml" > "$T/out" 2>&1 || fail "define: $(cat "$T/out")"
    [ -s "$T/out" ] && fail "define --quiet printed: $(cat "$T/out")"
    QLAUNCH_SYSTEMD_ROOT="$D" "$ql" autostart --verbose vm-auto > "$T/out" 2> "$T/err" ||
        fail "autostart with QLAUNCH_SYSTEMD_ROOT: $(cat "$T/err")"
    grep -qx "Domain 'vm-auto' marked as autostarted" "$T/out" || fail "autostart said: $(cat "$T/out")"
    wants=etc/systemd/system/multi-user.target.wants
    [ "$(readlink "$D/$wants/qlaunch@vm-auto.service")" = "$sunit/qlaunch@.service" ] ||
        fail "autostart made no link to the unit: $(find "$D/etc" -type l -exec ls -l {} +)"
    # what systemctl --root makes of the same unit in a tree of its own
    mkdir -p "$T/ref$sunit" && cp "$unit" "$T/ref$sunit/"
    systemctl --root="$T/ref" --quiet enable qlaunch@vm-auto.service || fail "systemctl --root enable"
    links() { (cd "$1" && find . -type l -printf '%p -> %l\n' | sort); }
    [ "$(links "$D/etc/systemd/system/multi-user.target.wants")" = \
      "$(links "$T/ref/etc/systemd/system/multi-user.target.wants")" ] ||
        fail "autostart's links differ from systemctl's: $(links "$D/etc") / $(links "$T/ref/etc")"
    [ "$(systemctl --root="$D" is-enabled qlaunch@vm-auto.service)" = enabled ] ||
        fail "systemctl --root does not see the unit enabled"
    # --verbose: the step, with a timestamp outside the journal
    grep -q "^20[0-9-]* [0-9:]* qlaunch\[[0-9]*\]: running systemctl enable qlaunch@vm-auto.service --root=$D\$" "$T/err" ||
        fail "autostart --verbose: $(cat "$T/err")"
    # --disable, under the journal: <7> and no timestamp; --quiet prints nothing
    : > "$T/journal"
    QLAUNCH_SYSTEMD_ROOT="$D" JOURNAL_STREAM=$(stat -c %d:%i "$T/journal") \
        "$ql" autostart --disable --verbose vm-auto 2>> "$T/journal" > "$T/out" ||
        fail "autostart --disable: $(cat "$T/journal")"
    grep -qx "<7>running systemctl disable qlaunch@vm-auto.service --root=$D" "$T/journal" ||
        fail "the journal's debug line: $(cat "$T/journal")"
    [ -e "$D/$wants/qlaunch@vm-auto.service" ] && fail "autostart --disable left the link"
    QLAUNCH_SYSTEMD_ROOT="$D" "$ql" autostart --quiet vm-auto > "$T/out" 2>&1 || fail "autostart --quiet"
    [ -s "$T/out" ] && fail "autostart --quiet printed: $(cat "$T/out")"
    # without --verbose no debug line; an error under the journal is <3>
    QLAUNCH_SYSTEMD_ROOT="$D" "$ql" autostart --disable vm-auto > /dev/null 2> "$T/err"
    [ -s "$T/err" ] && fail "autostart without --verbose logged: $(cat "$T/err")"
    JOURNAL_STREAM=$(stat -c %d:%i "$T/journal") "$ql" autostart --verbose no-such-vm 2>> "$T/journal" &&
        fail "autostart of an undefined domain succeeded"
    grep -q "^<3>qlaunch: .*no-such-vm" "$T/journal" || fail "the journal's error line: $(cat "$T/journal")"
    rm -rf "$D/etc/systemd"
    unset QLAUNCH_DOMAIN_DIR
fi

$MAKE -s -C "$top_builddir" uninstall DESTDIR="$D" > "$T/log" 2>&1 || { cat "$T/log"; fail "make uninstall"; }
left=$(find "$D" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "PASS: install"
exit 0
