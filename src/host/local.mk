# src/host: tap/bridge/OVS setup and teardown.
libqlaunch_a_SOURCES += src/host/net.c src/host/net.h
