# src/host: tap/bridge/OVS setup and teardown, libvirt network lookup, free TCP ports.
libqlaunch_a_SOURCES += src/host/net.h src/host/net-priv.h \
	src/host/netdev.c src/host/tap.c src/host/bridge.c src/host/ovs.c src/host/macvtap.c \
	src/host/netlink.c src/host/program.c src/host/network.c src/host/listen.c \
	src/host/nic.c \
	src/host/ports.c src/host/ports.h \
	src/host/firmware.c src/host/firmware.h \
	src/host/interop.c src/host/interop.h \
	src/host/dac.c src/host/dac.h \
	src/host/vfio.c src/host/vfio.h \
	src/host/dmi.c src/host/dmi.h \
	src/host/pool.c src/host/pool.h src/host/numa.c src/host/numa.h \
	src/host/qemucaps.c src/host/qemucaps.h
