# <devices> parser (parse-devices.c dispatches; address and chardev backends are shared)
libqlaunch_a_SOURCES += \
	src/domain/parse-devices.c \
	src/domain/parse-address.c \
	src/domain/parse-chr.c
