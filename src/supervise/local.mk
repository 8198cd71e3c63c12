libqlaunch_a_SOURCES += \
	src/supervise/state.c src/supervise/state.h \
	src/supervise/snapshot.c src/supervise/snapshot.h \
	src/supervise/policy.c src/supervise/policy.h
libqlaunch_a_SOURCES += \
	src/supervise/rundir.c src/supervise/rundir.h \
	src/supervise/probe.c src/supervise/probe.h \
	src/supervise/helpers.c src/supervise/helpers.h src/supervise/sup-swtpm.c \
	src/supervise/sup-virtiofs.c \
	src/supervise/prepare.c src/supervise/prepare.h \
	src/supervise/supervisor.c src/supervise/supervisor.h src/supervise/sup-priv.h \
	src/supervise/sup-qemu.c src/supervise/sup-start.c src/supervise/sup-monitor.c \
	src/supervise/sup-actions.c src/supervise/sup-ctl.c \
	src/supervise/sup-day2.c src/supervise/sup-hotplug.c src/supervise/sup-dumpxml.c \
	src/supervise/agent-proto.c src/supervise/agent-proto.h src/supervise/sup-agent.c \
	src/supervise/sup-hostdev.c src/supervise/sup-snapshot.c
# The control protocol, its client and the background start (used by the CLI verbs).
libqlaunch_a_SOURCES += \
	src/supervise/ctl-proto.c src/supervise/ctl-proto.h \
	src/supervise/ctl-client.c src/supervise/ctl-client.h \
	src/supervise/spawn.c src/supervise/spawn.h
