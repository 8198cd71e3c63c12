# src/host: tap/bridge/OVS setup and teardown, libvirt network lookup, free TCP ports.
libqlaunch_a_SOURCES += src/host/net.c src/host/net.h src/host/ports.c src/host/ports.h \
	src/host/firmware.c src/host/firmware.h
