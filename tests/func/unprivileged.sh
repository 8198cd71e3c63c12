#!/bin/sh
# An ordinary user runs a guest (user-mode networking, no taps): per-user run and log
# directories ($XDG_RUNTIME_DIR or /tmp/qlaunch-UID, $HOME/.local/state/qlaunch/log), the
# usual verbs, and a shared run base owned by someone else is refused.
set -u
QL_TAG=usr
. "$top_srcdir/tests/func/lib.sh"
U=65534
H="$T/home"
mkdir -p "$H" && chown $U "$H" && chmod 700 "$H"
chmod 755 "$T"
cp "$GUEST/vmlinuz" "$GUEST/initramfs.gz" "$T/" && chmod 644 "$T/vmlinuz" "$T/initramfs.gz"
cat > "$T/dom.xml" <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>128</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$T/vmlinuz</kernel><initrd>$T/initramfs.gz</initrd>
    <cmdline>console=ttyS0 quiet guest.action=sleep</cmdline></os>
  <devices><interface type='user'><model type='virtio'/></interface></devices>
</domain>
XML
chmod 644 "$T/dom.xml"
RT="$T/xdg"
mkdir -p "$RT" && chown $U "$RT" && chmod 700 "$RT"
asuser() {
    env -i PATH=/usr/bin:/bin HOME="$H" XDG_RUNTIME_DIR="$RT" \
        setpriv --reuid=$U --regid=$U --clear-groups "$QLAUNCH" "$@"
}
ql_extra_cleanup() { asuser destroy "$NAME" >/dev/null 2>&1; }
asuser create "$T/dom.xml" > "$T/out" 2>&1 || fail "create as uid $U: $(cat "$T/out")"
[ -S "$RT/qlaunch/$NAME/qmp.sock" ] || fail "no QMP socket under \$XDG_RUNTIME_DIR/qlaunch"
[ "$(stat -c %U "$RT/qlaunch/$NAME")" = nobody ] || fail "run dir not owned by the user"
[ -s "$H/.local/state/qlaunch/log/$NAME.log" ] || fail "no log in ~/.local/state/qlaunch/log"
pid=$(sed -n 's/.*"qemu_pid":\([0-9]*\).*/\1/p' "$RT/qlaunch/$NAME/state.json")
[ "$(stat -c %u "/proc/$pid")" = $U ] || fail "QEMU does not run as uid $U"
[ "$(asuser domstate "$NAME")" = running ] || fail "domstate as the user"
asuser destroy "$NAME" > /dev/null || fail "destroy as the user"
[ ! -d "$RT/qlaunch/$NAME" ] || fail "run directory left behind"
# Without XDG_RUNTIME_DIR the base is /tmp/qlaunch-UID; one owned by another user is refused.
evil="/tmp/qlaunch-$U"
# A leftover of an earlier run of this test (owned by the user) is removed first.
[ -d "$evil" ] && [ "$(stat -c %u "$evil")" = $U ] && rm -rf "$evil"
[ -e "$evil" ] && fail "$evil exists and is not ours to remove; cannot run the check"
mkdir "$evil"   # owned by root: not the user's
out=$(env -i PATH=/usr/bin:/bin HOME="$H" setpriv --reuid=$U --regid=$U --clear-groups \
      "$QLAUNCH" create "$T/dom.xml" 2>&1) && { rmdir "$evil"; fail "create used a foreign $evil"; }
rmdir "$evil"
echo "$out" | grep -q "is not private to this user" || fail "unexpected: $out"
echo "PASS: unprivileged"
exit 0
