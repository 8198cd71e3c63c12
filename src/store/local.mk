# Persistent domain definitions (define, autostart).
libqlaunch_a_SOURCES += src/store/store.c src/store/store.h
