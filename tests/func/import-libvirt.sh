#!/bin/sh
# import-libvirt against a fake libvirt tree (--root) made from real libvirt output: the
# domain XML is libvirt's own (tests' expanded x86_64-q35-default-models from the conformance
# corpus, with libvirt's header comment, Debian's OVMF loader/NVRAM lines, a type='network'
# NIC with a <filterref>, a <source pool volume> disk and an old-style channel socket path),
# the NVRAM is a copy of OVMF_VARS, the TPM state is made by the real swtpm_setup, and there
# are a NAT network, a dir storage pool, an autostart link, a snapshot, a managed save image,
# a hook and a stale pid file. Checked: --dry-run and --print-xml write nothing; a domain
# libvirt runs is refused; the import stores a valid definition (rewritten NVRAM path, the
# filter and pool gone, type='network' kept), copies NVRAM, TPM state and network (content
# and modes), names everything it did not carry over, marks autostart, leaves libvirt's tree
# byte for byte as it was, and `qlaunch argv` of the stored definition uses the copied NVRAM;
# a domain qlaunch cannot run is refused with nothing written.
set -u
CORPUS=${CONFORMANCE_DIR:-$top_srcdir/../shared/conformance/libvirt}
SRC="$CORPUS/expanded/x86_64-q35-default-models.x86_64-latest.xml"
VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -r "$SRC" ] || { echo "SKIP: no libvirt corpus at $CORPUS"; exit 77; }
[ -r "$VARS" ] && [ -x /usr/bin/swtpm_setup ] && [ -x /usr/bin/qemu-system-x86_64 ] ||
    { echo "SKIP: needs ovmf, swtpm-tools and qemu-system-x86"; exit 77; }
T=$(mktemp -d /tmp/ql-import.XXXXXX)
NAME="ql-import-$$"
sleeper=
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
q() { "$QLAUNCH" "$@"; }
export QLAUNCH_DOMAIN_DIR="$T/q/defs" QLAUNCH_NVRAM_DIR="$T/q/nvram" QLAUNCH_SWTPM_DIR="$T/q/swtpm" \
    QLAUNCH_NETWORK_DIR="$T/q/networks" QLAUNCH_RUN_DIR="$T/q/run" QLAUNCH_LOG_DIR="$T/q/log"
L="$T/lv"
UUID=1ccfd97d-5eb4-478a-bbe6-88d254c16db7   # the corpus domain's
mkdir -p "$L/etc/libvirt/qemu/networks" "$L/etc/libvirt/qemu/autostart" "$L/etc/libvirt/storage" \
    "$L/etc/libvirt/hooks" "$L/var/lib/libvirt/qemu/nvram" "$L/var/lib/libvirt/qemu/save" \
    "$L/var/lib/libvirt/qemu/snapshot/$NAME" "$L/var/lib/libvirt/swtpm/$UUID/tpm1.2" \
    "$L/run/libvirt/qemu"

# libvirt's persistent XML: its header comment, then the domain as libvirt formats it
lv_header() {
    printf '<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n'
    printf 'OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n'
    printf '  virsh %s %s\nor other application using the libvirt API.\n-->\n\n' "$1" "$2"
}
{
    lv_header edit "$NAME"
    python3 - "$SRC" "$NAME" <<'PY'
import sys
s = open(sys.argv[1]).read()
n = sys.argv[2]
def sub(old, new):
    global s
    assert old in s, old
    s = s.replace(old, new)
sub("<name>guest</name>", "<name>%s</name>" % n)
sub("    <boot dev='hd'/>\n  </os>",
    "    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>\n"
    "    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/var/lib/libvirt/qemu/nvram/%s_VARS.fd</nvram>\n"
    "    <boot dev='hd'/>\n  </os>" % n)
sub("    <interface type='user'>\n      <mac address='52:54:00:09:a4:37'/>\n      <model type='rtl8139'/>",
    "    <disk type='volume' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n"
    "      <source pool='default' volume='%s.qcow2'/>\n      <target dev='sda' bus='sata'/>\n"
    "      <address type='drive' controller='0' bus='0' target='0' unit='0'/>\n    </disk>\n"
    "    <interface type='network'>\n      <mac address='52:54:00:09:a4:37'/>\n"
    "      <source network='default'/>\n      <model type='rtl8139'/>\n"
    "      <filterref filter='clean-traffic'/>" % n)
sub("    <input type='mouse'",
    "    <channel type='unix'>\n"
    "      <source mode='bind' path='/var/lib/libvirt/qemu/channel/target/%s.org.qemu.guest_agent.0'/>\n"
    "      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
    "      <address type='virtio-serial' controller='0' bus='0' port='1'/>\n    </channel>\n"
    "    <input type='mouse'" % n)
sys.stdout.write(s)
PY
} > "$L/etc/libvirt/qemu/$NAME.xml" || fail "making the domain XML"
chmod 600 "$L/etc/libvirt/qemu/$NAME.xml"    # as libvirt writes it
{
    lv_header net-edit default
    cat <<'XML'
<network>
  <name>default</name>
  <uuid>3b1f4a4e-8d2c-4d2e-9a39-3c9a6d7f3c21</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:5a:1e:3c'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>
XML
} > "$L/etc/libvirt/qemu/networks/default.xml"
pool() {
    { lv_header pool-edit "$1"; cat <<XML
<pool type='$2'>
  <name>$1</name>
  <capacity unit='bytes'>0</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>0</available>
  <source>
  </source>
  <target>
    <path>$3</path>
  </target>
</pool>
XML
    } > "$L/etc/libvirt/storage/$1.xml"
}
pool default dir /var/lib/libvirt/images
pool san iscsi /dev/disk/by-path
ln -s "/etc/libvirt/qemu/$NAME.xml" "$L/etc/libvirt/qemu/autostart/$NAME.xml"
printf '<domainsnapshot>\n  <name>before-upgrade</name>\n</domainsnapshot>\n' \
    > "$L/var/lib/libvirt/qemu/snapshot/$NAME/before-upgrade.xml"
printf 'LibvirtQemudSave' > "$L/var/lib/libvirt/qemu/save/$NAME.save"
printf '#!/bin/sh\nexit 0\n' > "$L/etc/libvirt/hooks/qemu"
cp "$VARS" "$L/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd"
printf 'libvirt-was-here' | dd of="$L/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd" bs=1 seek=4096 \
    conv=notrunc 2>/dev/null
chmod 600 "$L/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd"
TPMSRC="$L/var/lib/libvirt/swtpm/$UUID/tpm1.2"
swtpm_setup --tpmstate "$TPMSRC" --createek --lock-nvram --not-overwrite > "$T/setup.log" 2>&1 ||
    fail "swtpm_setup: $(cat "$T/setup.log")"
[ -s "$TPMSRC/tpm-00.permall" ] || fail "swtpm_setup made no state"

# --print-xml and --dry-run write nothing
q import-libvirt --root "$L" --print-xml "$NAME" > "$T/printed.xml" || fail "--print-xml"
grep -q "<nvram template=\"/usr/share/OVMF/OVMF_VARS_4M.fd\">$T/q/nvram/${NAME}_VARS.fd</nvram>" \
    "$T/printed.xml" || fail "--print-xml: $(cat "$T/printed.xml")"
q import-libvirt --root "$L" --dry-run "$NAME" > "$T/dry" 2>&1 || fail "--dry-run: $(cat "$T/dry")"
grep -q "^Would import domain '$NAME'" "$T/dry" && grep -q "^Dry run: nothing was written" "$T/dry" &&
    grep -q "copy NVRAM $L/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd -> $T/q/nvram/${NAME}_VARS.fd" \
    "$T/dry" || fail "--dry-run said: $(cat "$T/dry")"
[ ! -e "$T/q" ] || fail "--dry-run wrote: $(find "$T/q")"

# a domain libvirt runs: its QEMU's command line has -name guest=NAME,...
sh -c 'sleep 60; :' qemu-system-x86_64 -name "guest=$NAME,debug-threads=on" &
sleeper=$!
echo "$sleeper" > "$L/run/libvirt/qemu/$NAME.pid"
q import-libvirt --root "$L" "$NAME" > "$T/out" 2>&1 && fail "import of a running domain succeeded"
grep -q "domain '$NAME' is running under libvirt (QEMU pid $sleeper, $L/run/libvirt/qemu/$NAME.pid): its NVRAM and TPM state are in use" \
    "$T/out" || fail "running refusal: $(cat "$T/out")"
[ ! -e "$T/q" ] || fail "a refused import wrote: $(find "$T/q")"
kill "$sleeper"; wait "$sleeper" 2>/dev/null; sleeper=   # the pid file stays: stale now

# libvirt's tree before the import: contents, modes, links
tree_sum() {
    (cd "$L" && find . -printf '%p %y %m %l\n' | sort &&
        find . -type f -exec sha256sum {} + | sort -k2)
}
tree_sum > "$T/before"

q import-libvirt --root "$L" --autostart "$NAME" > "$T/out" 2>&1 || fail "import: $(cat "$T/out")"
tree_sum > "$T/after"
cmp -s "$T/before" "$T/after" || fail "libvirt's tree changed: $(diff "$T/before" "$T/after")"
has() { grep -qF -- "$1" "$T/out" || fail "import did not say '$1': $(cat "$T/out")"; }
has "Domain '$NAME' imported; libvirt's files are unchanged."
has "Domain '$NAME' marked as autostarted"
has "rewrite os/nvram (line 17): '/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd' -> '$T/q/nvram/${NAME}_VARS.fd'"
has "rewrite devices/disk/source (line 55): volume '$NAME.qcow2' of storage pool 'default' -> file '/var/lib/libvirt/images/$NAME.qcow2'"
has "rewrite devices/channel/source@path (line 75): drop '/var/lib/libvirt/qemu/channel/target/$NAME.org.qemu.guest_agent.0'"
has "copy TPM 1.2 state $TPMSRC -> $T/q/swtpm/$UUID/tpm1.2 (.lock, tpm-00.permall; mode 0600)"
has "copy network 'default' $L/etc/libvirt/qemu/networks/default.xml -> $T/q/networks/default.xml (interfaces keep type='network')"
# what was not carried over, each with where it is
has "devices/interface/filterref (line 63): libvirt's network filter 'clean-traffic' (nwfilter): qlaunch does not filter the guest's traffic"
has "storage pool 'default' ($L/etc/libvirt/storage/default.xml, type 'dir'): the disk names the volume's file directly"
has "network 'default' (forward mode 'nat'): libvirt's network driver creates bridge 'virbr0'"
has "1 snapshot of libvirt ('before-upgrade') in $L/var/lib/libvirt/qemu/snapshot/$NAME: their metadata is not imported"
has "libvirt's managed save image $L/var/lib/libvirt/qemu/save/$NAME.save"
has "libvirt's hook $L/etc/libvirt/hooks/qemu: qlaunch runs no hooks"
has "devices/disk/source@file (line 55): '/var/lib/libvirt/images/$NAME.qcow2' is in libvirt's directories and is used where it is"
has "libvirt's autostart link $L/etc/libvirt/qemu/autostart/$NAME.xml is left alone"
has "libvirt's pid file $L/run/libvirt/qemu/$NAME.pid names pid"
sed -n '/^Not carried over:/,/^Warnings:/p' "$T/out" | grep -c '^  ' > "$T/n"
[ "$(cat "$T/n")" = 6 ] || fail "expected 6 things not carried over: $(cat "$T/out")"

# the definition: valid, rewritten, stored as define stores it
D="$T/q/defs/$NAME.xml"
[ "$(stat -c %a "$D")" = 600 ] || fail "definition mode $(stat -c %a "$D")"
q validate "$D" > /dev/null || fail "the stored definition does not validate: $(q validate "$D" 2>&1)"
grep -q "AUTO-GENERATED" "$D" && fail "libvirt's header comment was kept"
grep -qF "<!-- imported from libvirt's $L/etc/libvirt/qemu/$NAME.xml by 'qlaunch import-libvirt' -->" "$D" ||
    fail "no provenance comment: $(head -3 "$D")"
for want in "<nvram template=\"/usr/share/OVMF/OVMF_VARS_4M.fd\">$T/q/nvram/${NAME}_VARS.fd</nvram>" \
    "<disk type=\"file\" device=\"disk\">" "<source file=\"/var/lib/libvirt/images/$NAME.qcow2\"/>" \
    "<interface type=\"network\">" "<source network=\"default\"/>" "<source mode=\"bind\"/>" \
    "<uuid>$UUID</uuid>" "<backend type=\"emulator\" version=\"1.2\"/>"; do
    grep -qF "$want" "$D" || fail "definition lacks $want: $(cat "$D")"
done
grep -q "filterref\|pool=\|/var/lib/libvirt/qemu" "$D" && fail "libvirt-only parts kept: $(cat "$D")"
q list --all --autostart --name | grep -qx "$NAME" || fail "not marked autostart: $(q list --all --autostart)"

# copied files: content and modes; directories private
V="$T/q/nvram/${NAME}_VARS.fd"
cmp -s "$V" "$L/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd" || fail "NVRAM content differs"
[ "$(stat -c %a "$V")" = 600 ] || fail "NVRAM mode $(stat -c %a "$V")"
for f in tpm-00.permall .lock; do
    cmp -s "$TPMSRC/$f" "$T/q/swtpm/$UUID/tpm1.2/$f" || fail "TPM file $f differs"
    [ "$(stat -c %a "$T/q/swtpm/$UUID/tpm1.2/$f")" = 600 ] || fail "TPM file $f mode"
done
for d in "$T/q/nvram" "$T/q/swtpm" "$T/q/swtpm/$UUID" "$T/q/swtpm/$UUID/tpm1.2"; do
    [ "$(stat -c %a "$d")" = 700 ] || fail "$d mode $(stat -c %a "$d"), want 700"
done
cmp -s "$T/q/networks/default.xml" "$L/etc/libvirt/qemu/networks/default.xml" || fail "network differs"
[ "$(stat -c %a "$T/q/networks/default.xml")" = 644 ] || fail "network file mode"

# the start's command line uses the copied NVRAM (and the TPM, the network's tap)
q argv "$D" > "$T/argv" 2>&1 || fail "argv of the stored definition: $(cat "$T/argv")"
grep -qF "\"filename\":\"$V\"" "$T/argv" || fail "argv does not use the copied NVRAM: $(cat "$T/argv")"
grep -qF -- "-tpmdev emulator" "$T/argv" && grep -qF "tap for interface 0 on network 'default'" "$T/argv" ||
    fail "argv: $(cat "$T/argv")"

# a second import is refused, and changes nothing
q import-libvirt --root "$L" "$NAME" > "$T/out" 2>&1 && fail "second import succeeded"
grep -q "domain '$NAME' is already defined in qlaunch" "$T/out" || fail "second import: $(cat "$T/out")"
cmp -s "$V" "$L/var/lib/libvirt/qemu/nvram/${NAME}_VARS.fd" || fail "second import touched the NVRAM"

# a domain qlaunch cannot run (a volume of an iSCSI pool): refused, nothing written
B="$NAME-b"
{ lv_header edit "$B"; sed -e "s|<name>$NAME</name>|<name>$B</name>|" -e "s/$UUID/2ccfd97d-5eb4-478a-bbe6-88d254c16db7/" \
      -e "s|pool='default' volume='$NAME.qcow2'|pool='san' volume='lun-1'|" \
      -e "s|/nvram/${NAME}_VARS.fd|/nvram/${B}_VARS.fd|" -e "/<tpm /,/<\/tpm>/d" \
      "$L/etc/libvirt/qemu/$NAME.xml" | sed '1,/^$/d'; } > "$L/etc/libvirt/qemu/$B.xml"
cp "$VARS" "$L/var/lib/libvirt/qemu/nvram/${B}_VARS.fd"
q import-libvirt --root "$L" "$B" > "$T/out" 2>&1 && fail "import of an iSCSI volume succeeded"
grep -qF "devices/disk/source (line 55): volume 'lun-1' of storage pool 'san' ($L/etc/libvirt/storage/san.xml, type 'iscsi'): qlaunch names volumes of dir, fs, netfs and logical pools only" "$T/out" &&
    grep -q "is not a domain qlaunch can run; nothing was imported" "$T/out" || fail "refusal: $(cat "$T/out")"
[ ! -e "$T/q/defs/$B.xml" ] && [ ! -e "$T/q/nvram/${B}_VARS.fd" ] || fail "a refused import wrote files"
echo "PASS"
