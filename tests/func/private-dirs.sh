#!/bin/sh
# Files qlaunch writes outside the run directory never go where someone else can plant
# things (issue 13, items 5 and 8). A user without HOME gets a private per-uid base in /tmp
# (0700, checked), and a planted one is refused; root's shared log directory with a planted
# NAME.log (symlink, hard link, FIFO) is refused and the planted target stays unchanged.
set -u
QL_TAG=priv
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
. "$top_srcdir/tests/func/lib.sh"
U=65534
# (lib.sh's fail tails NAME.log, which may be a FIFO here)
fail() { echo "FAIL: $*"; exit 1; }
chmod 755 "$T"
cp "$GUEST/vmlinuz" "$GUEST/initramfs.gz" "$T/" && chmod 644 "$T/vmlinuz" "$T/initramfs.gz"
cat > "$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>128</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$T/vmlinuz</kernel><initrd>$T/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet guest.action=sleep</cmdline></os>
</domain>
XML
chmod 644 "$T/dom.xml"
RT="$T/xdg"
mkdir -p "$RT" && chown $U "$RT" && chmod 700 "$RT"
# No HOME, no XDG_STATE_HOME: the log, dump and NVRAM directories' fallback.
asuser() {
    env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$RT" \
        setpriv --reuid=$U --regid=$U --clear-groups "$QLAUNCH" "$@"
}
BASE="/tmp/qlaunch-$U-state"
ql_extra_cleanup() { asuser destroy "$NAME" >/dev/null 2>&1; rm -rf "$BASE"; }
[ -e "$BASE" ] && { [ "$(stat -c %u "$BASE")" = $U ] || fail "$BASE exists, not ours"; rm -rf "$BASE"; }
had_local=no; [ -e /tmp/.local ] && had_local=yes
echo precious > "$T/victim"; chmod 666 "$T/victim"

# 1. Fresh: a private base of the uid, nothing under the shared /tmp/.local.
asuser create "$T/dom.xml" >"$T/out" 2>&1 || fail "create without HOME: $(cat "$T/out")"
[ -s "$BASE/log/$NAME.log" ] || fail "no log in $BASE/log"
for d in "$BASE" "$BASE/log"; do
    [ "$(stat -c %u:%a "$d")" = "$U:700" ] || fail "$d is $(stat -c %u:%a "$d"), not $U:700"
done
[ $had_local = yes ] || [ ! -e /tmp/.local ] || fail "qlaunch created /tmp/.local"
asuser destroy "$NAME" >/dev/null || fail "destroy"
rm -rf "$BASE"
echo "ok private base without HOME"

# 2. Planted by someone else: a base that is a symlink, or a directory others can write.
mkdir "$T/attacker" && chmod 777 "$T/attacker" && mkdir -m 777 "$T/attacker/log"
ln -s "$T/victim" "$T/attacker/log/$NAME.log"
for plant in symlink foreign; do
    case $plant in
    symlink) ln -s "$T/attacker" "$BASE" ;;
    foreign) mkdir -m 777 "$BASE" && mkdir -m 777 "$BASE/log" ;;
    esac
    out=$(asuser create "$T/dom.xml" 2>&1) && fail "$plant base: create succeeded"
    echo "$out" | grep -q "is not private to this user" || fail "$plant base: '$out'"
    [ "$(cat "$T/victim")" = precious ] || fail "$plant base: the victim was written"
    rm -rf "$BASE"
    echo "ok planted $plant base refused"
done

# 3. Root, shared log directory: NAME.log planted as a symlink, hard link or FIFO.
mkdir -p "$T/log" && chmod 1777 "$T/log"
for plant in symlink hardlink fifo foreign; do
    rm -f "$T/log/$NAME.log"
    case $plant in
    symlink) ln -s "$T/victim" "$T/log/$NAME.log" ;;
    hardlink) ln "$T/victim" "$T/log/$NAME.log" ;;
    fifo) mkfifo -m 666 "$T/log/$NAME.log" ;;
    foreign) touch "$T/log/$NAME.log" && chown $U "$T/log/$NAME.log" ;;
    esac
    out=$(timeout 30 "$QLAUNCH" create "$T/dom.xml" 2>&1) && fail "$plant NAME.log: create succeeded"
    echo "$out" | grep -q "not a regular file of this user" ||
        fail "$plant NAME.log: '$out'"
    [ "$(cat "$T/victim")" = precious ] || fail "$plant NAME.log: the victim was written"
    [ ! -e "$T/run/$NAME" ] || fail "$plant NAME.log: run directory left"
    echo "ok planted $plant NAME.log refused"
done
rm -f "$T/log/$NAME.log"
echo "PASS: private-dirs"
exit 0
