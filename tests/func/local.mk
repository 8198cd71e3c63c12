# Functional tests: real QEMU (TCG) and the test guest (tests/guest). NAME.sh passes or
# fails as a whole; NAME.tap prints TAP, one result per case. Single-guest tests source
# lib.sh. Add a test with one line below (and nothing else: EXTRA_DIST follows func_tests).
func_tests =
func_tests += tests/func/guest-smoke.sh
func_tests += tests/func/affinity.sh
func_tests += tests/func/post-start.sh
func_tests += tests/func/console.sh
func_tests += tests/func/notify.sh
func_tests += tests/func/stale.sh
func_tests += tests/func/secrets.sh
func_tests += tests/func/graphics-autoport.sh
func_tests += tests/func/unprivileged.sh
func_tests += tests/func/destroy-graceful.sh
func_tests += tests/func/nvram.sh
func_tests += tests/func/cli-options.sh
func_tests += tests/func/explain.sh
func_tests += tests/func/monitor-loss.tap
func_tests += tests/func/dump-control.tap
func_tests += tests/func/sup-death.sh
func_tests += tests/func/host-ovs.sh
func_tests += tests/func/host-macvtap.sh
func_tests += tests/func/qemu-accept.tap
func_tests += tests/func/realworld.tap
func_tests += tests/func/lifecycle.tap
func_tests += tests/func/lifecycle-qemu10.tap
func_tests += tests/func/dac.sh
func_tests += tests/func/reattach-state.sh
func_tests += tests/func/full-rundir.sh
func_tests += tests/func/private-dirs.sh
func_tests += tests/func/tpm.sh
func_tests += tests/func/fs.sh
func_tests += tests/func/day2.sh
func_tests += tests/func/hotplug.sh
func_tests += tests/func/hotplug-bridge.sh
func_tests += tests/func/detach-refuse.sh
func_tests += tests/func/persistent.sh
func_tests += tests/func/install.sh
func_tests += tests/func/fleet.sh
func_tests += tests/func/init-scripts.sh
func_tests += tests/func/hostdev.sh
func_tests += tests/func/net-multiqueue.sh
func_tests += tests/func/snapshot.sh
func_tests += tests/func/snapshot-qemu10.sh
func_tests += tests/func/import-libvirt.sh
func_tests += tests/func/snapshot-offline.sh
func_tests += tests/func/save-kill.sh
TESTS += $(func_tests)
EXTRA_DIST += $(func_tests) tests/func/lib.sh tests/func/access.sh tests/func/qmp-fault.py \
	tests/func/fleet-check.py

# Built for host-ovs.sh only; exits 77 (skip) when run without arguments. Needs root and
# openvswitch-switch (a private ovsdb-server/ovs-vswitchd in a namespace).
check_PROGRAMS += tests/func/host-ovs-helper
func_tests += tests/func/agent.sh

# Built for hostdev.sh: a fake sysfs PCI tree and the kernel acting on it (tests/fakepci.h).
check_PROGRAMS += tests/func/fake-pci-kernel
