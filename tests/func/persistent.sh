#!/bin/sh
# Persistent domains, as virsh: define (validated, stored), list --all and its filters,
# domstate/dominfo of a defined domain that is off, dumpxml --inactive, edit (a refused edit
# keeps the definition), autostart and start --all-autostart, start NAME with a real guest,
# create of the same name refused while it runs, undefine (a running domain goes on as a
# transient one; NVRAM removed only with --nvram).
set -u
QL_TAG=persist
. "$top_srcdir/tests/func/lib.sh"
export QLAUNCH_DOMAIN_DIR="$T/defs" QLAUNCH_NVRAM_DIR="$T/nvram"
ql_domain_xml "$T/dom.xml"
q() { "$QLAUNCH" "$@"; }
names() { q list "$@" --name | tr '\n' ' '; }

# define validates first: nothing is stored from a refused file
sed 's|<memory unit=.MiB.>[0-9]*</memory>|<memory unit="MiB">x</memory>|' "$T/dom.xml" > "$T/bad.xml"
q define "$T/bad.xml" > "$T/out" 2>&1 && fail "define of invalid XML succeeded"
grep -q "nothing was stored" "$T/out" || fail "define refusal: $(cat "$T/out")"
[ ! -e "$T/defs/$NAME.xml" ] || fail "a refused definition was stored"
q define "$T/dom.xml" > "$T/out" || fail "define: $(cat "$T/out")"
grep -q "Domain '$NAME' defined from" "$T/out" || fail "define said: $(cat "$T/out")"
cmp -s "$T/dom.xml" "$T/defs/$NAME.xml" || fail "stored definition differs from the file"
[ "$(stat -c %a "$T/defs/$NAME.xml")" = 600 ] || fail "definition mode $(stat -c %a "$T/defs/$NAME.xml")"

# defined and off
[ -z "$(names)" ] || fail "list without --all shows a domain that is off: $(names)"
q list --all | grep -q " -  *$NAME  *shut off$" || fail "list --all: $(q list --all)"
[ "$(names --all --persistent)" = "$NAME " ] || fail "list --persistent: $(names --all --persistent)"
[ -z "$(names --all --transient)" ] || fail "list --transient: $(names --all --transient)"
q list --all --json | grep -q '"persistent":true' || fail "list --json: $(q list --all --json)"
[ "$(q domstate --reason "$NAME")" = "shut off (unknown)" ] || fail "domstate: $(q domstate --reason "$NAME")"
q dominfo "$NAME" > "$T/info" || fail "dominfo of a defined domain"
grep -q "^Persistent: *yes" "$T/info" && grep -q "^Autostart: *disable" "$T/info" &&
    grep -q "^Max memory: *131072 KiB" "$T/info" || fail "dominfo: $(cat "$T/info")"
q dumpxml --inactive "$NAME" | cmp -s - "$T/dom.xml" || fail "dumpxml --inactive"

# edit: an unchanged copy, a valid change, a refused change
EDITOR=true q edit "$NAME" | grep -q "not changed" || fail "edit without a change"
printf '#!/bin/sh\nsed -i "s|>128</memory>|>96</memory>|" "$1"\n' > "$T/ed-ok"
printf '#!/bin/sh\nsed -i "s|</domain>|<bogus|" "$1"\n' > "$T/ed-bad"
chmod +x "$T/ed-ok" "$T/ed-bad"
EDITOR="$T/ed-ok" q edit "$NAME" | grep -q "configuration edited" || fail "edit"
grep -q ">96</memory>" "$T/defs/$NAME.xml" || fail "the edit was not stored"
TMPDIR="$T" EDITOR="$T/ed-bad" q edit "$NAME" > "$T/out" 2>&1 && fail "an invalid edit was accepted"
grep -q "is unchanged; the edited copy is kept in $T/qlaunch-edit-" "$T/out" || fail "edit refusal: $(cat "$T/out")"
grep -q "<bogus" "$T"/qlaunch-edit-*.xml || fail "the refused copy was not kept"
grep -q ">96</memory>" "$T/defs/$NAME.xml" && grep -q "</domain>" "$T/defs/$NAME.xml" ||
    fail "a refused edit changed the definition"

# autostart marks
q autostart "$NAME" | grep -q "marked as autostarted" || fail "autostart"
[ "$(names --all --autostart)" = "$NAME " ] || fail "list --autostart: $(names --all --autostart)"
q dominfo "$NAME" | grep -q "^Autostart: *enable" || fail "dominfo after autostart"
q autostart --disable "$NAME" >/dev/null || fail "autostart --disable"
[ -z "$(names --all --autostart)" ] || fail "still autostart after --disable"

# start NAME boots the stored definition; create of the same name is refused
q start "$NAME" > "$T/out" || fail "start NAME: $(cat "$T/out")"
grep -q "Domain '$NAME' started" "$T/out" || fail "start said: $(cat "$T/out")"
[ "$(q domstate "$NAME")" = running ] || fail "not running after start NAME"
q create "$T/dom.xml" > "$T/out" 2>&1 && fail "create of a running defined domain succeeded"
grep -q "is already running" "$T/out" || fail "second create said: $(cat "$T/out")"
q dumpxml "$NAME" | grep -q ">96</memory>" || fail "dumpxml of the running domain"
q destroy "$NAME" >/dev/null || fail "destroy"

# the systemd unit's command: start --foreground NAME; with JOURNAL_STREAM naming its
# stderr, lines carry a priority and no timestamp (the journal adds its own)
: > "$T/journal"
JOURNAL_STREAM=$(stat -c %d:%i "$T/journal") q start --foreground "$NAME" 2>> "$T/journal" &
fg=$!
for i in $(seq 1 150); do [ "$(q domstate "$NAME" 2>/dev/null)" = running ] && break; sleep 0.1; done
[ "$(q domstate "$NAME")" = running ] || fail "start --foreground NAME: $(cat "$T/journal")"
q destroy "$NAME" >/dev/null || fail "destroy of the foreground domain"
wait $fg
grep -q "^<6>domain '$NAME' is running (QEMU pid [0-9]*)$" "$T/journal" || fail "no journal line: $(cat "$T/journal")"
grep -v "^<[0-7]>" "$T/journal" && fail "journal lines without a priority"
grep -q "^<[0-7]>[0-9-]* [0-9:]* " "$T/journal" && fail "journal lines with a timestamp"
grep -q "^20[0-9-]* [0-9:]* qlaunch\[[0-9]*\]: domain '$NAME' is running" "$T/log/$NAME.log" ||
    fail "the log file lost its timestamps"
# --quiet: nothing printed by a background start; a foreground one shows only warnings and
# errors (none here), the log keeps every line
[ -z "$(q start --quiet "$NAME")" ] || fail "start --quiet printed something"
q destroy "$NAME" >/dev/null || fail "destroy after start --quiet"
q start --quiet --foreground "$NAME" 2> "$T/quiet" &
fg=$!
for i in $(seq 1 150); do [ "$(q domstate "$NAME" 2>/dev/null)" = running ] && break; sleep 0.1; done
q destroy "$NAME" >/dev/null || fail "destroy of the quiet foreground domain"
wait $fg
[ ! -s "$T/quiet" ] || fail "start --quiet --foreground printed: $(cat "$T/quiet")"
[ "$(grep -c "domain '$NAME' is running" "$T/log/$NAME.log")" -ge 3 ] || fail "the quiet runs were not logged"

# start --all-autostart starts the marked domains and returns once they run
q autostart "$NAME" >/dev/null || fail "autostart again"
q start --all-autostart > "$T/out" || fail "start --all-autostart: $(cat "$T/out")"
[ "$(q domstate "$NAME")" = running ] || fail "not running after start --all-autostart"
q start --all-autostart | grep -q "already running" || fail "second start --all-autostart"
q start --all-autostart "$NAME" >/dev/null 2>&1 && fail "--all-autostart took a NAME"

# undefine of a running domain: it goes on, as a transient domain
q undefine "$NAME" | grep -q "keeps running as a transient domain" || fail "undefine running"
[ ! -e "$T/defs/$NAME.xml" ] && [ ! -e "$T/defs/autostart/$NAME.xml" ] || fail "undefine left files"
[ "$(q domstate "$NAME")" = running ] || fail "undefine stopped the domain"
[ "$(names --transient)" = "$NAME " ] || fail "not transient after undefine: $(names --transient)"
q destroy "$NAME" >/dev/null || fail "destroy after undefine"
q start "$NAME" > "$T/out" 2>&1 && fail "start of an undefined name succeeded"
grep -q "is not defined" "$T/out" || fail "start of an undefined name said: $(cat "$T/out")"

# NVRAM: kept by undefine, removed by undefine --nvram
mkdir -p "$T/nvram" && echo vars > "$T/nvram/${NAME}_VARS.fd"
q define "$T/dom.xml" >/dev/null && q undefine "$NAME" >/dev/null || fail "define/undefine"
[ -e "$T/nvram/${NAME}_VARS.fd" ] || fail "undefine without --nvram removed the NVRAM"
q define "$T/dom.xml" >/dev/null && q undefine --nvram "$NAME" >/dev/null || fail "undefine --nvram"
[ ! -e "$T/nvram/${NAME}_VARS.fd" ] || fail "undefine --nvram kept the NVRAM"
# TPM state (QLAUNCH_SWTPM_DIR/UUID): kept by undefine, removed by undefine --tpm
uuid=$(q define "$T/dom.xml" >/dev/null && q domstate --json "$NAME" | sed -n 's/.*"uuid": *"\([0-9a-f-]*\)".*/\1/p')
[ -n "$uuid" ] || fail "no UUID for the defined domain"
export QLAUNCH_SWTPM_DIR="$T/swtpm"
mkdir -p "$T/swtpm/$uuid/tpm2" && echo state > "$T/swtpm/$uuid/tpm2/tpm2-00.permall"
q undefine "$NAME" >/dev/null && [ -e "$T/swtpm/$uuid/tpm2/tpm2-00.permall" ] ||
    fail "undefine without --tpm removed the TPM state"
q define "$T/dom.xml" >/dev/null && q undefine --tpm --nvram "$NAME" >/dev/null || fail "undefine --tpm"
[ ! -e "$T/swtpm/$uuid" ] || fail "undefine --tpm kept the TPM state: $(ls -R "$T/swtpm")"
[ -d "$T/swtpm" ] || fail "undefine --tpm removed the TPM directory of every domain"
q undefine "$NAME" > "$T/out" 2>&1 && fail "undefine of an undefined domain succeeded"
echo "PASS: persistent domains"
exit 0
