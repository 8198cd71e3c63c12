# qmp: QMP client library ("libqmp"), linked into libqlaunch.a. See docs/qmp.md.
# Its tests are in tests/qmp (tests/qmp/local.mk).
libqlaunch_a_SOURCES += \
	qmp/qmp.c qmp/qmp.h qmp/qmp-internal.h \
	qmp/qmp-enums.c \
	qmp/qmp-cmds.c
EXTRA_DIST += docs/qmp.md
