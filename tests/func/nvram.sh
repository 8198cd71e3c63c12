#!/bin/sh
# UEFI NVRAM with a real OVMF boot under TCG: <os firmware='efi'> picks the firmware from
# the host's descriptors (Debian's ovmf package), the supervisor creates
# QLAUNCH_NVRAM_DIR/NAME_VARS.fd from the descriptor's VARS template (mode 0600) before
# QEMU starts, OVMF runs (3 s without exiting), the file outlives destroy and the run
# directory, and the next start reuses it as it is (a marker byte written between the runs
# survives, same inode, no second "created"). qlaunch argv shows the resolved path.
set -u
[ -r /usr/share/qemu/firmware/60-edk2-x86_64.json ] && [ -x /usr/bin/qemu-system-x86_64 ] \
    || { echo "SKIP: needs Debian's ovmf and qemu-system-x86"; exit 77; }
T=$(mktemp -d /tmp/ql-nvram.XXXXXX)
chmod 711 "$T"   # QEMU (qlaunch-qemu) must reach the NVRAM directory below
export QLAUNCH_RUN_DIR="$T/run" QLAUNCH_LOG_DIR="$T/log" QLAUNCH_NVRAM_DIR="$T/state/nvram"
unset QLAUNCH_FIRMWARE_DIRS
NAME="ql-nvram-$$"
trap '"$QLAUNCH" destroy "$NAME" >/dev/null 2>&1; "$QLAUNCH" destroy "$NAME-bare" >/dev/null 2>&1; rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; tail -20 "$T/log/$NAME.log" 2>/dev/null; exit 1; }
cat > "$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>256</memory>
  <os firmware='efi'>
    <type arch='x86_64' machine='q35'>hvm</type>
    <firmware><feature enabled='no' name='secure-boot'/></firmware>
  </os>
  <features><acpi/></features>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
</domain>
XML
V="$QLAUNCH_NVRAM_DIR/${NAME}_VARS.fd"
TMPL=/usr/share/OVMF/OVMF_VARS_4M.fd
out=$("$QLAUNCH" argv "$T/dom.xml") || fail "argv"
echo "$out" | grep -q "\"filename\":\"$V\"" || fail "argv does not show the NVRAM path $V: $out"
echo "$out" | grep -q "OVMF_CODE_4M.fd" || fail "argv did not pick OVMF_CODE_4M.fd: $out"
echo "$out" | grep -q "# file (nvram-file): NVRAM $V, copied from $TMPL" \
    || fail "argv does not name the template: $out"
[ ! -e "$V" ] || fail "argv created the NVRAM file"

"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "create"
[ -f "$V" ] || fail "no NVRAM file $V"
[ "$(stat -c %a "$V")" = 600 ] || fail "NVRAM mode $(stat -c %a "$V"), want 600"
[ "$(stat -c %s "$V")" = "$(stat -c %s "$TMPL")" ] || fail "NVRAM size differs from the template"
sleep 3
[ "$("$QLAUNCH" domstate "$NAME")" = running ] || fail "OVMF did not keep running for 3 s"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "destroy"
[ ! -d "$T/run/$NAME" ] || fail "the run directory is still there"
[ -f "$V" ] || fail "the NVRAM file did not survive destroy"
grep -q "NVRAM $V created from $TMPL" "$T/log/$NAME.log" || fail "no 'created' in the log"

# A marker in the last byte (OVMF's spare area, untouched during a short boot).
size=$(stat -c %s "$V")
printf 'Q' | dd of="$V" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null || fail "marker"
ino=$(stat -c %i "$V")
"$QLAUNCH" create "$T/dom.xml" >/dev/null || fail "second create"
sleep 1
[ "$("$QLAUNCH" domstate "$NAME")" = running ] || fail "second run not running"
"$QLAUNCH" destroy "$NAME" >/dev/null || fail "second destroy"
[ "$(tail -c 1 "$V")" = Q ] || fail "the NVRAM file was overwritten (marker lost)"
[ "$(stat -c %i "$V")" = "$ino" ] || fail "the NVRAM file was replaced (inode changed)"
[ "$(grep -c "NVRAM $V created" "$T/log/$NAME.log")" = 1 ] || fail "created twice"

# No template known and no file: a clear error naming <nvram template>.
cat > "$T/bare.xml" <<XML
<domain type='qemu'>
  <name>$NAME-bare</name>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>$T/CODE.fd</loader></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
</domain>
XML
cp /usr/share/OVMF/OVMF_CODE_4M.fd "$T/CODE.fd"
if "$QLAUNCH" create "$T/bare.xml" > "$T/err" 2>&1; then fail "create without a template"; fi
grep -q "nvram template" "$T/err" || fail "the error does not ask for <nvram template>: $(cat "$T/err")"
[ ! -e "$QLAUNCH_NVRAM_DIR/$NAME-bare_VARS.fd" ] || fail "an NVRAM file was made without a template"
echo "PASS: UEFI NVRAM created from the template, kept and reused"
exit 0
