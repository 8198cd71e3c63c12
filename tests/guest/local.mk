# The test guest (a kernel and a busybox initramfs, built and cached by build-guest.sh) that
# the functional tests boot. Its own check is tests/func/guest-smoke.sh.
EXTRA_DIST += tests/guest/build-guest.sh tests/guest/init tests/guest/README.md
