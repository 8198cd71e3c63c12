# Sourced once T (the test's directory) and GUEST (the test guest) are set. When root
# starts a domain, QEMU runs as qlaunch-qemu: it must reach the test's files (T searchable,
# not listable) and the guest; a build tree it cannot read (say under /root) gets a copy of
# the guest in T.
chmod 711 "$T"
if [ "$(id -u)" = 0 ] && id qlaunch-qemu >/dev/null 2>&1 &&
   ! setpriv --reuid=qlaunch-qemu --regid=qlaunch-qemu --clear-groups \
       test -r "$GUEST/vmlinuz" -a -r "$GUEST/initramfs.gz"; then
    mkdir -p "$T/guest" && chmod 755 "$T/guest" &&
        cp "$GUEST/vmlinuz" "$GUEST/initramfs.gz" "$T/guest/" &&
        chmod 644 "$T/guest/vmlinuz" "$T/guest/initramfs.gz" && GUEST="$T/guest"
fi
