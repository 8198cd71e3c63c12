# tests/explain: golden `argv --explain` outputs (tests/unit/test-explain).
# xml2argv golden cases: NAME.xml and the NAME.args tests/unit/test-xml2argv expects (one
# TAP result per case), also started in a real QEMU by tests/func/qemu-accept.tap. A new
# case needs no change here: the whole directory is distributed.
EXTRA_DIST += tests/xml2argv
# Rewrites tests/xml2argv/*.args from the current builder.
xml2argv-regenerate: tests/unit/test-xml2argv
	QLAUNCH_TEST_SRCDIR='$(abs_top_srcdir)' QLAUNCH_REGENERATE=1 tests/unit/test-xml2argv
.PHONY: xml2argv-regenerate
EXTRA_DIST += tests/explain
