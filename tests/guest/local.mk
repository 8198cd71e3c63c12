TESTS += tests/func/guest-smoke.sh
EXTRA_DIST += tests/func/guest-smoke.sh tests/guest/build-guest.sh tests/guest/init tests/guest/README.md examples/demo.xml.in
