libqlaunch_a_SOURCES += \
	src/domain/domain.h src/domain/domain.c \
	src/domain/parse.h src/domain/parse.c \
	src/domain/xml.h src/domain/xml.c \
	src/domain/parse-general.c \
	src/domain/parse-qemu.c \
	src/domain/network.h src/domain/parse-network.c \
	src/domain/validate.c
