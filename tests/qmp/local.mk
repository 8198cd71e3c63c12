# QMP client tests (cmocka, TAP): test-qmp against a fake QEMU replaying NAME.replies
# transcripts (tests/qmp/README), test-qmp-real against the real QEMU.
check_PROGRAMS += tests/qmp/test-qmp tests/qmp/test-qmp-real
TESTS += tests/qmp/test-qmp tests/qmp/test-qmp-real
tests_qmp_test_qmp_SOURCES = tests/qmp/test-qmp.c tests/qmp/fake-qemu.c tests/qmp/fake-qemu.h
EXTRA_DIST += \
	tests/qmp/README tests/qmp/record.sh \
	tests/qmp/balloon-change.replies \
	tests/qmp/block-io-error.replies \
	tests/qmp/chardev.replies \
	tests/qmp/cont-error.replies \
	tests/qmp/device-deleted.replies \
	tests/qmp/dump.replies \
	tests/qmp/eof-mid-command.replies \
	tests/qmp/guest-reset.replies \
	tests/qmp/handshake.replies \
	tests/qmp/lifecycle.replies \
	tests/qmp/out-of-order.replies \
	tests/qmp/panic-poweroff.replies \
	tests/qmp/panic.replies \
	tests/qmp/pci.replies \
	tests/qmp/query-status.replies \
	tests/qmp/query-version.replies \
	tests/qmp/set-action.replies \
	tests/qmp/set-password.replies \
	tests/qmp/unanswered.replies \
	tests/qmp/unknown-command.replies
