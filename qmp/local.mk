# qmp: QMP client library ("libqmp"), linked into libqlaunch.a. See docs/qmp.md.
libqlaunch_a_SOURCES += \
	qmp/qmp.c qmp/qmp.h qmp/qmp-internal.h \
	qmp/qmp-enums.c \
	qmp/qmp-cmds.c
