libqlaunch_a_SOURCES += \
	src/supervise/state.c src/supervise/state.h \
	src/supervise/policy.c src/supervise/policy.h
libqlaunch_a_SOURCES += \
	src/supervise/rundir.c src/supervise/rundir.h \
	src/supervise/supervisor.c src/supervise/supervisor.h
