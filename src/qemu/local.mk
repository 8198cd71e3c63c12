# src/qemu: the pure QEMU command-line builder, and the `qlaunch argv` verb.
libqlaunch_a_SOURCES += \
	src/qemu/build.h src/qemu/build-priv.h \
	src/qemu/caps.c src/qemu/caps.h \
	src/qemu/build.c \
	src/qemu/build-util.c \
	src/qemu/build-pci.c \
	src/qemu/build-ctrl.c \
	src/qemu/build-usb.c \
	src/qemu/build-addr.c \
	src/qemu/build-machine.c \
	src/qemu/build-cpu.c \
	src/qemu/build-disk.c \
	src/qemu/build-net.c \
	src/qemu/build-chr.c \
	src/qemu/build-gfx.c \
	src/qemu/build-misc.c \
	src/qemu/build-hostdev.c \
	src/qemu/build-fs.c \
	src/qemu/build-passthrough.c \
	src/qemu/render.c
qlaunch_SOURCES += src/cmd-argv.c
