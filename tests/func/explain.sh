#!/bin/sh
# validate --explain and argv --explain --json from the binary (no QEMU is started):
# the seed domain element by element against tests/explain/seed-domain-fixed.validate,
# every option of the JSON form with an element or a reason, an element ignored by design
# and a refused one named as such.
set -u
: "${QLAUNCH:?}" "${top_srcdir:?}"
T=$(mktemp -d /tmp/ql-explain.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
export QLAUNCH_RUN_DIR="$T/run"
fail() { echo "FAIL: $*"; exit 1; }
seed="$top_srcdir/examples/seed-domain-fixed.xml"
golden="$top_srcdir/tests/explain/seed-domain-fixed.validate"

"$QLAUNCH" validate --no-emulator --explain "$seed" > "$T/out" 2>/dev/null \
    || fail "validate --explain of the seed failed"
# the file name in the first and last lines depends on where the tree is
sed "s|$seed|SEED|" "$T/out" > "$T/got"
if [ "${QLAUNCH_REGENERATE:-0}" = 1 ]; then cp "$T/got" "$golden"; fi
diff -u "$golden" "$T/got" || fail "validate --explain differs from $golden"

"$QLAUNCH" argv --explain --json "$seed" > "$T/argv.json" 2>/dev/null \
    || fail "argv --explain --json failed"
python3 - "$T/argv.json" <<'PY' || fail "argv --explain --json: entries without an origin"
import json, sys
a = json.load(open(sys.argv[1]))
assert a and a[0]["from"]["path"] == "devices/emulator", a[0]
for e in a:
    assert e["from"] or e["reason"], e
    assert set(e) == {"option", "value", "from", "reason", "properties"}, e
    if e["from"]:
        assert set(e["from"]) == {"path", "line", "attribute"}, e
    for p in e["properties"]:
        assert p["from"] or p["reason"], (e["option"], p)
m = [e for e in a if e["option"] == "-machine"][0]
assert m["from"]["path"] == "os/type" and m["from"]["attribute"] == "machine", m
PY

cat > "$T/dom.xml" <<'XML'
<domain type='qemu'>
  <name>explain</name>
  <memory unit='MiB'>64</memory>
  <metadata><app:x xmlns:app='urn:x'/></metadata>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/nonexistent.img'/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-disk'/>
    </disk>
  </devices>
</domain>
XML
"$QLAUNCH" validate --no-emulator --explain "$T/dom.xml" > "$T/ok" 2>&1 || fail "small domain"
grep -A1 '^metadata (line 4)$' "$T/ok" | grep -q 'ignored by design' \
    || fail "metadata is not 'ignored by design': $(cat "$T/ok")"
grep -A1 '^devices/disk/alias (line 10)$' "$T/ok" | grep -q 'ignored by design' \
    || fail "alias is not 'ignored by design'"
grep -A1 '^devices/disk/source (line 8)$' "$T/ok" | grep -q -- '-blockdev' \
    || fail "the disk's source did not become a -blockdev"
sed -i "s/bus='virtio'/bus='floppy9'/" "$T/dom.xml"
if "$QLAUNCH" validate --no-emulator --explain "$T/dom.xml" > "$T/bad" 2>/dev/null; then
    fail "a refused domain validated"
fi
grep -A1 '^devices/disk/target (line 9)$' "$T/bad" | grep -q "refused: unsupported disk bus" \
    || fail "the refusal is not at the target: $(cat "$T/bad")"
echo "PASS: explain"
exit 0
