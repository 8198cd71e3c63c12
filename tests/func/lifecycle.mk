# End-to-end lifecycle matrix with the real QEMU and the test guest; the start benchmark.
TESTS += tests/func/lifecycle.sh
EXTRA_DIST += tests/func/lifecycle.sh bench/start
