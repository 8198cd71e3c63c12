/* What one QEMU binary offers: its version, machine types, QOM types and the properties of
 * the device models the builder emits. Probed from QEMU over QMP and cached per binary by
 * src/host/qemucaps.c; this part is pure (no I/O) so that the builder can take it as an
 * input and golden tests can pin one per QEMU version (tests/caps/qemu-*.json).
 *
 * The JSON form (the cache file and the golden files; docs/qemu-versions.md):
 *   {"qlaunch-caps": 1,
 *    "binary": {"path": P, "size": N, "mtime": NS, "ctime": NS, "ino": N},  (optional)
 *    "version": {"major": 10, "minor": 0, "micro": 2, "package": "..."},
 *    "machines": [{"name": "pc-i440fx-10.0", "alias": "pc", "default": true}, ...],
 *    "types": ["virtio-net-pci", ...],
 *    "devices": {"virtio-net-pci": ["tx_queue_size", ...], ...}}
 * Parsing is strict (the cache file is untrusted input): unknown or missing members, wrong
 * types, names outside QOM's character set and counts over the limits below are errors. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define QEMU_CAPS_FORMAT 1
#define QEMU_CAPS_FILE_MAX (4 * 1024 * 1024)
#define QEMU_CAPS_MAX_MACHINES 1024
#define QEMU_CAPS_MAX_TYPES 16384
#define QEMU_CAPS_MAX_DEVICES 512
#define QEMU_CAPS_MAX_PROPS 1024
#define QEMU_CAPS_NAME_MAX 128

/* The binary a capabilities record was probed from: the cache key (stat of the emulator
 * path as given, following symlinks; for a wrapper script that is the script's own). */
struct qemu_caps_key {
    char *path;
    int64_t size, ino;
    int64_t mtime_ns, ctime_ns;
};

struct qemu_machine {
    char *name;                 /* "pc-i440fx-10.0" */
    char *alias;                /* "pc", "q35" or NULL */
    bool is_default;
};

struct qemu_device_props {
    char *type;
    char **props;               /* sorted */
    size_t n_props;
    /* Read from the line form: the properties as written there, space-separated, looked up
     * in place (props is then NULL): splitting and checking every device's list cost more
     * than the rest of a cached `argv`, which looks at a dozen of them. */
    char *line;
    size_t line_len;
};

struct qemu_caps {
    struct qemu_caps_key key;   /* path NULL: none (a golden file) */
    int major, minor, micro;
    char *package;              /* "Debian 1:7.2+dfsg-7+deb12u18", may be "" */
    struct qemu_machine *machines;  /* sorted by name */
    size_t n_machines;
    char **types;               /* sorted */
    size_t n_types;
    char *types_line;           /* read from the line form: as written, looked up in place */
    size_t types_line_len;
    struct qemu_device_props *devices;  /* sorted by type */
    size_t n_devices;
    char *arena;                /* read from the line form: the names point into it */
};

void qemu_caps_free(struct qemu_caps *c);
static inline void qemu_caps_freep(struct qemu_caps **c)
{
    qemu_caps_free(*c);
}

/* Sorts the lists and checks the names, as after a probe; 0 or -EINVAL. */
int qemu_caps_normalize(struct qemu_caps *c, struct ql_error *err);
/* Parses the JSON form (len bytes, need not be NUL-terminated). */
int qemu_caps_from_json(const char *text, size_t len, struct qemu_caps **ret,
                        struct ql_error *err);
/* The JSON form, pretty-printed, lists sorted: the same caps give the same bytes. */
char *qemu_caps_to_json(const struct qemu_caps *c);

/* The line form of the cache file, much cheaper to read than JSON: the same record
 * ("qlaunch-caps-text 1", then binary/version/machine/types/device lines of space-separated
 * words), read as strictly as JSON except for the type and property lists, which are kept
 * as written (types_line, qemu_device_props.line) and searched in place: a damaged list can
 * only make a lookup answer "no such type/property". to_text returns NULL when a path or
 * package has a newline. */
char *qemu_caps_to_text(const struct qemu_caps *c);
int qemu_caps_from_text(const char *text, size_t len, struct qemu_caps **ret,
                        struct ql_error *err);
/* The same on a malloc'd buffer of len + 1 bytes that it takes (and cuts in place). */
int qemu_caps_from_text_taken(char *text, size_t len, struct qemu_caps **ret,
                              struct ql_error *err);

/* Whether the version is at least major.minor.micro. */
bool qemu_caps_version_ge(const struct qemu_caps *c, int major, int minor, int micro);
/* A machine type or alias -> its machine, NULL when the binary has none of that name. */
const struct qemu_machine *qemu_caps_machine(const struct qemu_caps *c, const char *name);
bool qemu_caps_has_type(const struct qemu_caps *c, const char *type);
/* 1: device type has property prop; 0: it has not; -1: its properties were not probed. */
int qemu_caps_device_has_prop(const struct qemu_caps *c, const char *type, const char *prop);
/* The recorded properties of device type (an alias resolved), NULL when they were not
 * probed. A device with recorded properties is a type the binary has (a probe asks only
 * for those; the JSON form is refused otherwise). */
const struct qemu_device_props *qemu_caps_device(const struct qemu_caps *c, const char *type);
bool qemu_caps_props_have(const struct qemu_device_props *d, const char *prop);
/* "QEMU 10.0.2" for messages. */
char *qemu_caps_describe(const struct qemu_caps *c);

/* The device models whose properties a probe records: what the builder emits. */
extern const char *const qemu_caps_probed_devices[];
