# QEMU capabilities: golden capabilities files of QEMU 7.2 and 10.0 (used by
# tests/unit/test-caps and test-xml2argv), and caps-dump, which writes them from real
# binaries (docs/qemu-versions.md).
# Built with the program (not a test): it writes the golden files.
noinst_PROGRAMS = tests/caps/caps-dump
tests_caps_caps_dump_SOURCES = tests/caps/caps-dump.c
tests_caps_caps_dump_LDADD = $(TESTS_LDADD)
EXTRA_DIST += tests/caps/qemu-7.2.json tests/caps/qemu-10.0.json scripts/qemu10.sh \
	docs/qemu-versions.md
EXTRA_DIST += tests/xml2argv/net-user-models.qemu-10.0.args
