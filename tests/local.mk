# Test programs. Unit tests are cmocka programs; shell tests run real QEMU.
EXTRA_DIST += tests/conformance.sh tests/conformance.py

# Helpers shared by the test programs (every one links it through TESTS_LDADD).
check_LIBRARIES = tests/libtestutil.a
tests_libtestutil_a_SOURCES = tests/testutil.c tests/testutil.h
tests_libtestutil_a_CFLAGS = $(TESTS_CFLAGS)

check_PROGRAMS += tests/unit/test-policy
TESTS += tests/unit/test-policy
tests_unit_test_policy_SOURCES = tests/unit/test-policy.c
tests_unit_test_policy_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_policy_LDADD = $(TESTS_LDADD)

TESTS += tests/func/affinity.sh
EXTRA_DIST += tests/func/affinity.sh tests/func/lib.sh
EXTRA_DIST += tests/argvcompare.py

TESTS += tests/func/post-start.sh
EXTRA_DIST += tests/func/post-start.sh

TESTS += tests/func/console.sh
EXTRA_DIST += tests/func/console.sh

TESTS += tests/func/notify.sh
EXTRA_DIST += tests/func/notify.sh

TESTS += tests/func/stale.sh
EXTRA_DIST += tests/func/stale.sh

TESTS += tests/func/secrets.sh
EXTRA_DIST += tests/func/secrets.sh

TESTS += tests/func/graphics-autoport.sh
EXTRA_DIST += tests/func/graphics-autoport.sh

TESTS += tests/func/unprivileged.sh
EXTRA_DIST += tests/func/unprivileged.sh

TESTS += tests/func/destroy-graceful.sh
EXTRA_DIST += tests/func/destroy-graceful.sh

check_PROGRAMS += tests/unit/test-state
TESTS += tests/unit/test-state
tests_unit_test_state_SOURCES = tests/unit/test-state.c
tests_unit_test_state_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_state_LDADD = $(TESTS_LDADD)

TESTS += tests/func/nvram.sh
EXTRA_DIST += tests/func/nvram.sh

check_PROGRAMS += tests/unit/test-firmware
TESTS += tests/unit/test-firmware
tests_unit_test_firmware_SOURCES = tests/unit/test-firmware.c
tests_unit_test_firmware_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_firmware_LDADD = $(TESTS_LDADD)

check_PROGRAMS += tests/unit/test-ctl-proto
TESTS += tests/unit/test-ctl-proto
tests_unit_test_ctl_proto_SOURCES = tests/unit/test-ctl-proto.c
tests_unit_test_ctl_proto_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_ctl_proto_LDADD = $(TESTS_LDADD)

TESTS += tests/func/cli-options.sh
EXTRA_DIST += tests/func/cli-options.sh

check_PROGRAMS += tests/unit/test-ctl-client
TESTS += tests/unit/test-ctl-client
tests_unit_test_ctl_client_SOURCES = tests/unit/test-ctl-client.c
tests_unit_test_ctl_client_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_ctl_client_LDADD = $(TESTS_LDADD)

TESTS += tests/func/monitor-loss.sh
EXTRA_DIST += tests/func/monitor-loss.sh tests/func/qmp-fault.py

TESTS += tests/func/sup-death.sh
EXTRA_DIST += tests/func/sup-death.sh

TESTS += tests/func/reattach-state.sh
EXTRA_DIST += tests/func/reattach-state.sh

TESTS += tests/func/full-rundir.sh
EXTRA_DIST += tests/func/full-rundir.sh

TESTS += tests/func/private-dirs.sh
EXTRA_DIST += tests/func/private-dirs.sh
