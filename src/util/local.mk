libqlaunch_a_SOURCES += \
	src/util/error.c src/util/error.h \
	src/util/cleanup.h \
	src/util/enum.h \
	src/util/strbuf.c src/util/strbuf.h \
	src/util/argv.c src/util/argv.h \
	src/util/fileio.c src/util/fileio.h \
	src/util/json.c src/util/json.h \
	src/util/time.c src/util/time.h
libqlaunch_a_SOURCES += src/util/trace.c src/util/trace.h
libqlaunch_a_SOURCES += src/util/log.c src/util/log.h
