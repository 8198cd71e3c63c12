# cmocka unit tests (TAP, one result per test function). tests/unit/test-NAME is built from
# test-NAME.c alone (with tests/libtestutil.a and the library): add one line below.
# test-host-net needs root (it makes its own network namespace).
unit_tests =
unit_tests += tests/unit/test-agent-proto
unit_tests += tests/unit/test-build-ids
unit_tests += tests/unit/test-caps
unit_tests += tests/unit/test-ctl-client
unit_tests += tests/unit/test-ctl-proto
unit_tests += tests/unit/test-explain
unit_tests += tests/unit/test-firmware
unit_tests += tests/unit/test-helpers
unit_tests += tests/unit/test-host-net
unit_tests += tests/unit/test-hotplug
unit_tests += tests/unit/test-log
unit_tests += tests/unit/test-parse-devices
unit_tests += tests/unit/test-parse-general
unit_tests += tests/unit/test-policy
unit_tests += tests/unit/test-snapshot
unit_tests += tests/unit/test-state
unit_tests += tests/unit/test-host-facts
unit_tests += tests/unit/test-store
unit_tests += tests/unit/test-xml2argv
unit_tests += tests/unit/test-vfio
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)
