check_PROGRAMS += tests/unit/test-parse-devices
TESTS += tests/unit/test-parse-devices
tests_unit_test_parse_devices_SOURCES = tests/unit/test-parse-devices.c
tests_unit_test_parse_devices_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_parse_devices_LDADD = $(TESTS_LDADD)
