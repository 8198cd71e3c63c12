/* The capabilities of a QEMU binary (src/qemu/caps.h), probed from QEMU itself over QMP and
 * cached per binary, as libvirt's capabilities cache.
 *
 * Probe: EMULATOR -S -no-user-config -nodefaults -display none -machine none with a QMP
 * monitor on a socketpair (fd 3): query-version, query-machines, qom-list-types,
 * device-list-properties for qemu_caps_probed_devices, quit. The whole probe has a hard
 * deadline (QEMU_CAPS_PROBE_TIMEOUT_MS); QEMU is killed when it passes.
 *
 * Cache: one JSON file per binary in QLAUNCH_CACHE_DIR/caps when that is set, else
 * /var/cache/qlaunch/caps (root) or $XDG_CACHE_HOME/qlaunch/caps (~/.cache/qlaunch/caps),
 * directories created 0700. The file's name is the binary's base name and a hash of its path;
 * the key inside is the path and stat() of the path as given (size, inode, mtime, ctime, in
 * ns): an upgraded binary re-probes. For a wrapper script the key is the script's own stat,
 * so a wrapper must be rewritten (as scripts/qemu10.sh does) when what it runs changes.
 * A cache file is untrusted: opened O_NOFOLLOW, used only when it is a regular file owned
 * by the caller (or root) and not writable by others, parsed strictly; anything else is
 * ignored and replaced by a fresh probe. Failing to write the cache is not an error. */
#pragma once
#include "qemu/caps.h"
#include "util/error.h"

#define QEMU_CAPS_PROBE_TIMEOUT_MS 15000

/* The capabilities of emulator (an absolute path): from the cache when its key matches,
 * else probed and cached. 0 and *ret (free with qemu_caps_free), or -errno. */
int qemu_caps_get(const char *emulator, struct qemu_caps **ret, struct ql_error *err);
/* The capabilities of the emulator that would run d (override, else <emulator>, else the
 * default), via qemu_caps_get; 0 with *ret NULL when that emulator is not on this host
 * (the caller reports a missing emulator in its own words). */
struct domain;
int qemu_caps_of_domain(const struct domain *d, const char *override, struct qemu_caps **ret,
                        struct ql_error *err);
/* Probes emulator without the cache; the result carries emulator's key. */
int qemu_caps_probe(const char *emulator, struct qemu_caps **ret, struct ql_error *err);
/* The cache directory in use (see above); never NULL. */
const char *qemu_caps_cache_dir(void);
