# Tests. Each test directory registers its own tests in its local.mk; this file only holds
# what they share. tests/README.md: the kinds of test, the drivers, how to add one.
EXTRA_DIST += tests/realworld
EXTRA_DIST += tests/README.md tests/cmocka-tap.sh tests/conformance.sh tests/conformance.py \
	tests/argvcompare.py

# Helpers shared by the test programs (every one links it through LDADD = TESTS_LDADD).
check_LIBRARIES = tests/libtestutil.a
tests_libtestutil_a_SOURCES = tests/testutil.c tests/testutil.h tests/fakepci.c tests/fakepci.h

include tests/unit/local.mk
include tests/qmp/local.mk
include tests/xml2argv/local.mk
include tests/hostile/local.mk
include tests/caps/local.mk
include tests/guest/local.mk
include tests/func/local.mk
include tests/fuzz/local.mk
