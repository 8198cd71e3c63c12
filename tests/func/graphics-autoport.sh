#!/bin/sh
# SPICE autoport: two domains started at the same time get different free ports (the
# supervisor picks them under BASE/.graphics-ports.lock); VNC autoport (QEMU's to=99) reports
# its real port; dominfo and domdisplay show what QEMU listens on, and a TCP client can
# connect to every port shown. The argv shows 5900 with a note when nothing runs.
set -u
QL_TAG=gport
. "$top_srcdir/tests/func/lib.sh"
NAME2="$NAME-b"
ql_extra_cleanup() { "$QLAUNCH" destroy "$NAME2" >/dev/null 2>&1; }
mkdom() {   # NAME GRAPHICS...
    n=$1
    shift
    cat <<XML
<domain type='qemu'>
  <name>$n</name>
  <memory unit='MiB'>128</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel><initrd>$GUEST/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet guest.action=sleep</cmdline></os>
  <devices>
    $*
  </devices>
</domain>
XML
}
mkdom "$NAME" "<graphics type='spice' autoport='yes' listen='127.0.0.1'/>" > "$T/a.xml"
# what virsh dumpxml prints for a running domain: stale ports, autoport='yes'
mkdom "$NAME2" "<graphics type='spice' port='5999' tlsPort='5998' autoport='yes'>
      <listen type='address' address='127.0.0.1'/></graphics>
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>" > "$T/b.xml"

"$QLAUNCH" argv "$T/a.xml" > "$T/argv.out" 2>&1 || fail "argv: $(cat "$T/argv.out")"
grep -q -- "-spice port=5900,addr=127.0.0.1," "$T/argv.out" || fail "argv: $(cat "$T/argv.out")"
grep -q "# note: SPICE autoport: the port is chosen at start" "$T/argv.out" || fail "no note"

"$QLAUNCH" create "$T/a.xml" > "$T/a.out" 2>&1 &
pa=$!
"$QLAUNCH" create "$T/b.xml" > "$T/b.out" 2>&1 &
pb=$!
wait $pa || fail "create a: $(cat "$T/a.out")"
wait $pb || fail "create b: $(cat "$T/b.out")"

# domdisplay: VNC first, as virsh; --all lists both
ua=$("$QLAUNCH" domdisplay "$NAME") || fail "domdisplay a"
ub=$("$QLAUNCH" domdisplay "$NAME2") || fail "domdisplay b"
"$QLAUNCH" domdisplay --all "$NAME2" > "$T/all.out" || fail "domdisplay --all"
echo "a: $ua; b: $ub; b --all: $(tr '\n' ' ' < "$T/all.out")"
case $ua in spice://127.0.0.1:[0-9]*) ;; *) fail "domdisplay a: '$ua'" ;; esac
case $ub in vnc://127.0.0.1:[0-9]*) ;; *) fail "domdisplay b: '$ub'" ;; esac
sa=${ua##*:}
sb=$(sed -n 's|^spice://127.0.0.1:\([0-9]*\)$|\1|p' "$T/all.out")
vb=${ub##*:}
[ -n "$sb" ] || fail "no SPICE URI for b: $(cat "$T/all.out")"
[ "$sa" != "$sb" ] || fail "both domains got SPICE port $sa"
[ "$vb" != "$sa" ] && [ "$vb" != "$sb" ] || fail "VNC port $vb clashes with a SPICE port"

# QEMU's own view agrees, and the argv QEMU runs with has the chosen port
for d in "$NAME:$sa" "$NAME2:$sb"; do
    n=${d%%:*} p=${d##*:}
    got=$("$QLAUNCH" qmp "$n" '{"execute":"query-spice"}' | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["return"]["port"])') || fail "query-spice $n"
    [ "$got" = "$p" ] || fail "$n: query-spice says port $got, domdisplay $p"
    pid=$(sed -n 's/.*"qemu_pid":\([0-9]*\).*/\1/p' "$T/run/$n/state.json")
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "-spice port=$p,addr=127.0.0.1," ||
        fail "$n: QEMU's argv has no -spice port=$p"
done
grep -q '"tls_port"' "$T/run/$NAME2/state.json" && fail "a TLS port was recorded without TLS"

# dominfo (text and JSON)
"$QLAUNCH" dominfo "$NAME2" > "$T/dominfo.out" || fail "dominfo"
grep -q "^SPICE: *127.0.0.1 port $sb\$" "$T/dominfo.out" || fail "dominfo: $(cat "$T/dominfo.out")"
grep -q "^VNC: *127.0.0.1 port $vb\$" "$T/dominfo.out" || fail "dominfo: $(cat "$T/dominfo.out")"
"$QLAUNCH" dominfo --json "$NAME" | grep -q "\"uri\": *\"spice://127.0.0.1:$sa\"" ||
    fail "dominfo --json has no SPICE URI"

# a client can connect to every port shown
python3 - "$sa" "$sb" "$vb" <<'PY' || fail "TCP connect"
import socket, sys
for p in sys.argv[1:]:
    s = socket.create_connection(("127.0.0.1", int(p)), timeout=10)
    s.close()
PY

# no graphics: domdisplay says so
"$QLAUNCH" destroy "$NAME2" >/dev/null || fail "destroy b"
mkdom "$NAME2" "" > "$T/c.xml"
"$QLAUNCH" create "$T/c.xml" > "$T/c.out" 2>&1 || fail "create c: $(cat "$T/c.out")"
if "$QLAUNCH" domdisplay "$NAME2" > "$T/none.out" 2>&1; then fail "domdisplay without graphics"; fi
grep -q "has no graphical display" "$T/none.out" || fail "domdisplay: $(cat "$T/none.out")"
"$QLAUNCH" destroy "$NAME2" >/dev/null || fail "destroy c"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy a"
echo "PASS: graphics-autoport"
exit 0
