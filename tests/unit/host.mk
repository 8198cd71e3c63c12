# Host side of NICs (src/host/net.c). Both need root: the unit test makes its own network
# namespace; the OVS test starts a private ovsdb-server/ovs-vswitchd (package
# openvswitch-switch) in one.
check_PROGRAMS += tests/unit/test-host-net
TESTS += tests/unit/test-host-net
tests_unit_test_host_net_SOURCES = tests/unit/test-host-net.c
tests_unit_test_host_net_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_host_net_LDADD = $(TESTS_LDADD)

# Built for tests/func/host-ovs.sh only; exits 77 (skip) when run without arguments.
check_PROGRAMS += tests/func/host-ovs-helper
tests_func_host_ovs_helper_SOURCES = tests/func/host-ovs-helper.c
tests_func_host_ovs_helper_CFLAGS = $(TESTS_CFLAGS)
tests_func_host_ovs_helper_LDADD = $(TESTS_LDADD)

TESTS += tests/func/host-ovs.sh
EXTRA_DIST += tests/func/host-ovs.sh

# type='direct' (macvtap) and <listen type='network'> with a real QEMU, in a namespace.
TESTS += tests/func/host-macvtap.sh
EXTRA_DIST += tests/func/host-macvtap.sh
