# QEMU capabilities: the pure part (caps.c) against the golden capabilities files of QEMU 7.2
# and 10.0, the probe and the cache (skipped without QEMU), and caps-dump, which writes the
# golden files from real binaries (docs/qemu-versions.md).
check_PROGRAMS += tests/unit/test-caps
# Built with the program (not a test): it writes the golden files.
noinst_PROGRAMS = tests/caps/caps-dump
TESTS += tests/unit/test-caps
tests_unit_test_caps_SOURCES = tests/unit/test-caps.c
tests_unit_test_caps_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_caps_LDADD = $(TESTS_LDADD)
tests_caps_caps_dump_SOURCES = tests/caps/caps-dump.c
tests_caps_caps_dump_CFLAGS = $(TESTS_CFLAGS)
tests_caps_caps_dump_LDADD = $(TESTS_LDADD)
EXTRA_DIST += tests/caps/qemu-7.2.json tests/caps/qemu-10.0.json scripts/qemu10.sh \
	docs/qemu-versions.md
EXTRA_DIST += tests/xml2argv/net-user-models.qemu-10.0.args
