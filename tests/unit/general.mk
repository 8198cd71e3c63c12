check_PROGRAMS += tests/unit/test-parse-general
TESTS += tests/unit/test-parse-general tests/hostile/hostile.sh
tests_unit_test_parse_general_SOURCES = tests/unit/test-parse-general.c
tests_unit_test_parse_general_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_parse_general_LDADD = $(TESTS_LDADD)
EXTRA_DIST += tests/hostile/make-inputs.sh tests/hostile/hostile.sh examples/seed-domain.xml
