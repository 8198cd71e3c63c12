/* QEMU capabilities: the pure part (see caps.h). */
#include "config.h"
#include "qemu/caps.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

/* Nesting of the JSON form: top object, "devices" object, property array. */
#define CAPS_JSON_DEPTH 4

const char *const qemu_caps_probed_devices[] = {
    "AC97", "ES1370", "VGA", "ich9-ahci", "lsi53c895a", "bochs-display", "cirrus-vga", "e1000",
    "e1000e", "floppy", "hda-duplex", "hda-micro", "hda-output", "i6300esb", "i82801b11-bridge",
    "ib700", "ich9-intel-hda", "ich9-usb-ehci1", "ich9-usb-uhci1", "ide-cd", "ide-hd",
    "intel-hda", "ioh3420", "isa-fdc", "isa-parallel", "isa-serial", "pci-bridge", "pci-serial",
    "pcie-pci-bridge", "pcie-root-port", "piix3-usb-uhci", "pvpanic", "pvpanic-pci",
    "qemu-xhci", "qxl", "qxl-vga", "ramfb", "rtl8139", "sb16", "scsi-cd", "scsi-hd",
    "usb-audio", "usb-hub", "usb-kbd", "usb-mouse", "usb-redir", "usb-serial", "usb-storage",
    "usb-tablet", "virtconsole", "virtio-balloon-pci", "virtio-blk-pci", "virtio-gpu-pci",
    "virtio-input-host-pci", "virtio-keyboard-pci", "virtio-mouse-pci", "virtio-net-pci",
    "virtio-rng-pci", "virtio-scsi-pci", "virtio-serial-pci", "virtio-tablet-pci", "virtio-vga",
    "virtserialport", "vmcoreinfo", "vmgenid", "x3130-upstream", "xio3130-downstream", NULL,
};

static void key_clear(struct qemu_caps_key *k)
{
    free(k->path);
    memset(k, 0, sizeof(*k));
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void qemu_caps_free(struct qemu_caps *c)
{
    if (!c)
        return;
    key_clear(&c->key);
    free(c->package);
    /* Read from the line form, the names point into c->arena. */
    bool own = !c->arena;
    for (size_t i = 0; own && i < c->n_machines; i++) {
        free(c->machines[i].name);
        free(c->machines[i].alias);
    }
    free(c->machines);
    strv_free(c->types, own ? c->n_types : 0);
    for (size_t i = 0; i < c->n_devices; i++) {
        if (own)
            free(c->devices[i].type);
        strv_free(c->devices[i].props, own ? c->devices[i].n_props : 0);
    }
    free(c->devices);
    free(c->arena);
    free(c);
}

/* QOM type, machine and property names: what QEMU's own names use, nothing a terminal, a
 * shell or a file name could take specially: letters, digits and _.,:+-[] (a bitmap). */
static bool name_ok(const char *s)
{
    static const uint64_t ok[4] = {0x7ff780000000000ull, 0x7fffffeaffffffeull, 0, 0};
    const unsigned char *p = (const unsigned char *)s;
    while ((ok[*p >> 6] >> (*p & 63)) & 1)
        p++;
    size_t n = (size_t)(p - (const unsigned char *)s);
    return !*p && n > 0 && n <= QEMU_CAPS_NAME_MAX;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_machine(const void *a, const void *b)
{
    return strcmp(((const struct qemu_machine *)a)->name, ((const struct qemu_machine *)b)->name);
}

static int cmp_device(const void *a, const void *b)
{
    return strcmp(((const struct qemu_device_props *)a)->type,
                  ((const struct qemu_device_props *)b)->type);
}

/* Sorts v and refuses bad or repeated names. */
/* Strictly ascending already (what qlaunch writes): no sort needed on a read. */
static bool sorted(const void *base, size_t n, size_t size,
                   int (*cmp)(const void *, const void *))
{
    for (size_t i = 1; i < n; i++)
        if (cmp((const char *)base + (i - 1) * size, (const char *)base + i * size) >= 0)
            return false;
    return true;
}

static int sort_names(char **v, size_t n, const char *what, struct ql_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!name_ok(v[i]))
            return ql_error_set(err, EINVAL, "invalid %s name '%.*s'", what,
                                QEMU_CAPS_NAME_MAX, v[i]);
    if (!sorted(v, n, sizeof(*v), cmp_str))
        qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp(v[i - 1], v[i]) == 0)
            return ql_error_set(err, EINVAL, "%s '%s' is listed twice", what, v[i]);
    return 0;
}

/* Everything but the type and property lists: version, package, path and machine types
 * (sorted here when they are not). */
static int check_header(struct qemu_caps *c, struct ql_error *err)
{
    if (c->major < 0 || c->minor < 0 || c->micro < 0 || c->major > 999 || c->minor > 999 ||
        c->micro > 999)
        return ql_error_set(err, EINVAL, "invalid QEMU version %d.%d.%d", c->major, c->minor,
                            c->micro);
    /* The same limits whichever form the record was read from. */
    if (c->package && strlen(c->package) > 256)
        return ql_error_set(err, EINVAL, "version: 'package' is too long");
    for (const char *s = c->package; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return ql_error_set(err, EINVAL, "version: 'package' has a control character");
    if (c->key.path && (c->key.path[0] != '/' || strlen(c->key.path) > 4096))
        return ql_error_set(err, EINVAL, "binary: 'path' is not an absolute path");
    size_t defaults = 0;
    for (size_t i = 0; i < c->n_machines; i++) {
        const struct qemu_machine *m = &c->machines[i];
        if (!name_ok(m->name) || (m->alias && !name_ok(m->alias)))
            return ql_error_set(err, EINVAL, "invalid machine type name '%.*s'",
                                QEMU_CAPS_NAME_MAX, m->name);
        defaults += m->is_default;
    }
    if (defaults > 1)
        return ql_error_set(err, EINVAL, "more than one default machine type");
    if (!sorted(c->machines, c->n_machines, sizeof(*c->machines), cmp_machine))
        qsort(c->machines, c->n_machines, sizeof(*c->machines), cmp_machine);
    for (size_t i = 1; i < c->n_machines; i++)
        if (strcmp(c->machines[i - 1].name, c->machines[i].name) == 0)
            return ql_error_set(err, EINVAL, "machine type '%s' is listed twice",
                                c->machines[i].name);
    /* An alias must not shadow another machine's name or alias: lookups would be ambiguous.
     * Few machines have one; names are looked up in the sorted list. */
    for (size_t i = 0; i < c->n_machines; i++) {
        const char *a = c->machines[i].alias;
        if (!a)
            continue;
        struct qemu_machine k = {.name = (char *)a};
        if (bsearch(&k, c->machines, c->n_machines, sizeof(k), cmp_machine))
            return ql_error_set(err, EINVAL, "machine alias '%s' is ambiguous", a);
        for (size_t j = i + 1; j < c->n_machines; j++)
            if (STREQ_NULLABLE(c->machines[j].alias, a))
                return ql_error_set(err, EINVAL, "machine alias '%s' is ambiguous", a);
    }
    return 0;
}

/* Device types strictly ascending once sorted (no type listed twice). */
static int check_devices_order(struct qemu_caps *c, struct ql_error *err)
{
    if (!sorted(c->devices, c->n_devices, sizeof(*c->devices), cmp_device))
        qsort(c->devices, c->n_devices, sizeof(*c->devices), cmp_device);
    for (size_t i = 1; i < c->n_devices; i++)
        if (strcmp(c->devices[i - 1].type, c->devices[i].type) == 0)
            return ql_error_set(err, EINVAL, "device '%s' is listed twice", c->devices[i].type);
    return 0;
}

int qemu_caps_normalize(struct qemu_caps *c, struct ql_error *err)
{
    int r = check_header(c, err);
    if (r < 0)
        return r;
    if ((r = sort_names(c->types, c->n_types, "QOM type", err)) < 0)
        return r;
    for (size_t i = 0; i < c->n_devices; i++) {
        if (!name_ok(c->devices[i].type))
            return ql_error_set(err, EINVAL, "invalid device type name '%.*s'",
                                QEMU_CAPS_NAME_MAX, c->devices[i].type);
        r = sort_names(c->devices[i].props, c->devices[i].n_props, "property", err);
        if (r < 0) {
            ql_error_prefix(err, "device '%s'", c->devices[i].type);
            return r;
        }
        const char *t = c->devices[i].type;
        if (!bsearch(&t, c->types, c->n_types, sizeof(char *), cmp_str))
            return ql_error_set(err, EINVAL, "device '%s' is not one of the types", t);
    }
    return check_devices_order(c, err);
}

/* ---- strict JSON reading ---- */

/* Every member of o is one of keys (NULL-terminated). */
static int only_keys(json_object *o, const char *what, const char *const keys[],
                     struct ql_error *err)
{
    json_object_object_foreach(o, k, v) {
        (void)v;
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], k) != 0)
            i++;
        if (!keys[i])
            return ql_error_set(err, EINVAL, "%s: unknown member '%.*s'", what,
                                QEMU_CAPS_NAME_MAX, k);
    }
    return 0;
}

static json_object *need(json_object *o, const char *what, const char *key, enum json_type t,
                         struct ql_error *err)
{
    json_object *v = ql_json_get(o, key, t);
    if (!v)
        ql_error_set(err, EINVAL, "%s: member '%s' is missing or not a %s", what, key,
                     json_type_to_name(t));
    return v;
}

/* A JSON string without an embedded NUL, copied. */
static int get_string(json_object *v, const char *what, char **ret, struct ql_error *err)
{
    if (!json_object_is_type(v, json_type_string))
        return ql_error_set(err, EINVAL, "%s: not a string", what);
    const char *s = json_object_get_string(v);
    if (strlen(s) != (size_t)json_object_get_string_len(v))
        return ql_error_set(err, EINVAL, "%s: contains a NUL character", what);
    *ret = xstrdup(s);
    return 0;
}

static int get_int(json_object *o, const char *what, const char *key, int64_t min, int64_t max,
                   int64_t *ret, struct ql_error *err)
{
    json_object *v = need(o, what, key, json_type_int, err);
    if (!v)
        return -EINVAL;
    int64_t x = json_object_get_int64(v);
    if (x < min || x > max)
        return ql_error_set(err, EINVAL, "%s: '%s' is out of range", what, key);
    *ret = x;
    return 0;
}

static int get_strv(json_object *a, const char *what, size_t max, char ***ret, size_t *ret_n,
                    struct ql_error *err)
{
    if (!json_object_is_type(a, json_type_array))
        return ql_error_set(err, EINVAL, "%s: not an array", what);
    size_t n = json_object_array_length(a);
    if (n > max)
        return ql_error_set(err, EINVAL, "%s: more than %zu entries", what, max);
    *ret = xcalloc(n ? n : 1, sizeof(char *));
    *ret_n = 0;
    for (size_t i = 0; i < n; i++) {
        int r = get_string(json_object_array_get_idx(a, i), what, &(*ret)[i], err);
        if (r < 0)
            return r;
        (*ret_n)++;
    }
    return 0;
}

static int parse_key(json_object *b, struct qemu_caps_key *k, struct ql_error *err)
{
    static const char *const keys[] = {"path", "size", "ino", "mtime", "ctime", NULL};
    json_object *p = need(b, "binary", "path", json_type_string, err);
    int r = only_keys(b, "binary", keys, err);
    if (r < 0 || !p)
        return -EINVAL;
    r = get_string(p, "binary path", &k->path, err);
    if (r == 0)
        r = get_int(b, "binary", "size", 0, INT64_MAX, &k->size, err);
    if (r == 0)
        r = get_int(b, "binary", "ino", 0, INT64_MAX, &k->ino, err);
    if (r == 0)
        r = get_int(b, "binary", "mtime", INT64_MIN, INT64_MAX, &k->mtime_ns, err);
    if (r == 0)
        r = get_int(b, "binary", "ctime", INT64_MIN, INT64_MAX, &k->ctime_ns, err);
    return r;
}

static int parse_version(json_object *v, struct qemu_caps *c, struct ql_error *err)
{
    static const char *const keys[] = {"major", "minor", "micro", "package", NULL};
    int64_t x[3];
    int r = only_keys(v, "version", keys, err);
    for (int i = 0; r == 0 && i < 3; i++)
        r = get_int(v, "version", keys[i], 0, 999, &x[i], err);
    json_object *p = r == 0 ? need(v, "version", "package", json_type_string, err) : NULL;
    if (!p)
        return -EINVAL;
    c->major = (int)x[0];
    c->minor = (int)x[1];
    c->micro = (int)x[2];
    return get_string(p, "version package", &c->package, err);   /* checked by normalize */
}

static int parse_machines(json_object *a, struct qemu_caps *c, struct ql_error *err)
{
    static const char *const keys[] = {"name", "alias", "default", NULL};
    if (!json_object_is_type(a, json_type_array))
        return ql_error_set(err, EINVAL, "'machines' is not an array");
    size_t n = json_object_array_length(a);
    if (n > QEMU_CAPS_MAX_MACHINES)
        return ql_error_set(err, EINVAL, "more than %d machine types", QEMU_CAPS_MAX_MACHINES);
    c->machines = xcalloc(n ? n : 1, sizeof(*c->machines));
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(a, i);
        if (!json_object_is_type(m, json_type_object))
            return ql_error_set(err, EINVAL, "machines[%zu] is not an object", i);
        struct qemu_machine *out = &c->machines[c->n_machines++];
        json_object *name = need(m, "machine", "name", json_type_string, err);
        int r = only_keys(m, "machine", keys, err);
        if (r < 0 || !name)
            return -EINVAL;
        r = get_string(name, "machine name", &out->name, err);
        json_object *v;
        if (r == 0 && json_object_object_get_ex(m, "alias", &v))
            r = get_string(v, "machine alias", &out->alias, err);
        if (r == 0 && json_object_object_get_ex(m, "default", &v)) {
            if (!json_object_is_type(v, json_type_boolean))
                return ql_error_set(err, EINVAL, "machine: 'default' is not a boolean");
            out->is_default = json_object_get_boolean(v);
        }
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_devices(json_object *o, struct qemu_caps *c, struct ql_error *err)
{
    size_t n = (size_t)json_object_object_length(o);
    if (n > QEMU_CAPS_MAX_DEVICES)
        return ql_error_set(err, EINVAL, "more than %d devices", QEMU_CAPS_MAX_DEVICES);
    c->devices = xcalloc(n ? n : 1, sizeof(*c->devices));
    json_object_object_foreach(o, k, v) {
        struct qemu_device_props *d = &c->devices[c->n_devices++];
        d->type = xstrdup(k);
        int r = get_strv(v, "device properties", QEMU_CAPS_MAX_PROPS, &d->props, &d->n_props,
                         err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_caps(json_object *o, struct qemu_caps *c, struct ql_error *err)
{
    static const char *const keys[] = {"qlaunch-caps", "binary", "version", "machines",
                                       "types", "devices", NULL};
    int r = only_keys(o, "capabilities", keys, err);
    if (r < 0)
        return r;
    int64_t format;
    r = get_int(o, "capabilities", "qlaunch-caps", QEMU_CAPS_FORMAT, QEMU_CAPS_FORMAT, &format,
                err);
    if (r < 0)
        return r;
    json_object *b;
    if (json_object_object_get_ex(o, "binary", &b)) {
        if (!json_object_is_type(b, json_type_object))
            return ql_error_set(err, EINVAL, "'binary' is not an object");
        r = parse_key(b, &c->key, err);
        if (r < 0)
            return r;
    }
    json_object *v = need(o, "capabilities", "version", json_type_object, err);
    json_object *m = v ? need(o, "capabilities", "machines", json_type_array, err) : NULL;
    json_object *t = m ? need(o, "capabilities", "types", json_type_array, err) : NULL;
    json_object *d = t ? need(o, "capabilities", "devices", json_type_object, err) : NULL;
    if (!d)
        return -EINVAL;
    r = parse_version(v, c, err);
    if (r == 0)
        r = parse_machines(m, c, err);
    if (r == 0)
        r = get_strv(t, "types", QEMU_CAPS_MAX_TYPES, &c->types, &c->n_types, err);
    if (r == 0)
        r = parse_devices(d, c, err);
    if (r == 0)
        r = qemu_caps_normalize(c, err);
    return r;
}

int qemu_caps_from_json(const char *text, size_t len, struct qemu_caps **ret,
                        struct ql_error *err)
{
    *ret = NULL;
    if (len > QEMU_CAPS_FILE_MAX)
        return ql_error_set(err, EFBIG, "capabilities: longer than %d bytes", QEMU_CAPS_FILE_MAX);
    if (memchr(text, '\0', len))
        return ql_error_set(err, EINVAL, "capabilities: the text contains a NUL byte");
    json_tokener *tok = json_tokener_new_ex(CAPS_JSON_DEPTH);
    if (!tok)
        return ql_error_set(err, ENOMEM, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    _cleanup_json_ json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (je != json_tokener_success || end != len || !json_object_is_type(o, json_type_object))
        return ql_error_set(err, EINVAL, "capabilities: not one JSON object%s%s",
                            je != json_tokener_success ? ": " : "",
                            je != json_tokener_success ? json_tokener_error_desc(je) : "");
    struct qemu_caps *c = xcalloc(1, sizeof(*c));
    int r = parse_caps(o, c, err);
    if (r < 0) {
        qemu_caps_free(c);
        ql_error_prefix(err, "capabilities");
        return r;
    }
    *ret = c;
    return 0;
}

/* ---- writing ---- */

/* The names of v, or of line (a list read from the line form, as written). */
static json_object *strv_json(char *const *v, size_t n, const char *line)
{
    json_object *a = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    if (line) {
        _cleanup_free_ char *copy = xstrdup(line);
        char *save = NULL;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
            json_object_array_add(a, json_object_new_string(w));
    }
    return a;
}

char *qemu_caps_to_json(const struct qemu_caps *c)
{
    _cleanup_json_ json_object *o = json_object_new_object();
    json_object_object_add(o, "qlaunch-caps", json_object_new_int(QEMU_CAPS_FORMAT));
    if (c->key.path) {
        json_object *b = json_object_new_object();
        json_object_object_add(b, "path", json_object_new_string(c->key.path));
        json_object_object_add(b, "size", json_object_new_int64(c->key.size));
        json_object_object_add(b, "ino", json_object_new_int64(c->key.ino));
        json_object_object_add(b, "mtime", json_object_new_int64(c->key.mtime_ns));
        json_object_object_add(b, "ctime", json_object_new_int64(c->key.ctime_ns));
        json_object_object_add(o, "binary", b);
    }
    json_object *v = json_object_new_object();
    json_object_object_add(v, "major", json_object_new_int(c->major));
    json_object_object_add(v, "minor", json_object_new_int(c->minor));
    json_object_object_add(v, "micro", json_object_new_int(c->micro));
    json_object_object_add(v, "package", json_object_new_string(c->package ? c->package : ""));
    json_object_object_add(o, "version", v);
    json_object *ms = json_object_new_array();
    for (size_t i = 0; i < c->n_machines; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "name", json_object_new_string(c->machines[i].name));
        if (c->machines[i].alias)
            json_object_object_add(m, "alias", json_object_new_string(c->machines[i].alias));
        if (c->machines[i].is_default)
            json_object_object_add(m, "default", json_object_new_boolean(true));
        json_object_array_add(ms, m);
    }
    json_object_object_add(o, "machines", ms);
    json_object_object_add(o, "types", strv_json(c->types, c->n_types, c->types_line));
    json_object *ds = json_object_new_object();
    for (size_t i = 0; i < c->n_devices; i++)
        json_object_object_add(ds, c->devices[i].type,
                               strv_json(c->devices[i].props, c->devices[i].n_props,
                                         c->devices[i].line));
    json_object_object_add(o, "devices", ds);
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
    return xasprintf("%s\n", s);
}

/* ---- lookups ---- */

bool qemu_caps_version_ge(const struct qemu_caps *c, int major, int minor, int micro)
{
    if (c->major != major)
        return c->major > major;
    if (c->minor != minor)
        return c->minor > minor;
    return c->micro >= micro;
}

const struct qemu_machine *qemu_caps_machine(const struct qemu_caps *c, const char *name)
{
    struct qemu_machine k = {.name = (char *)name};
    const struct qemu_machine *m =
        c->n_machines ? bsearch(&k, c->machines, c->n_machines, sizeof(k), cmp_machine) : NULL;
    for (size_t i = 0; !m && i < c->n_machines; i++)
        if (STREQ_NULLABLE(c->machines[i].alias, name))
            m = &c->machines[i];
    return m;
}

/* -device aliases (QEMU's qdev_alias_table) the builder uses: qom-list-types and
 * device-list-properties know only the real type. */
static const char *resolve_alias(const char *type)
{
    static const char *const aliases[][2] = {{"ahci", "ich9-ahci"}, {"lsi", "lsi53c895a"}};
    for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
        if (STREQ(type, aliases[i][0]))
            return aliases[i][1];
    return type;
}

/* Whether line (len bytes of names separated by spaces, ascending as qlaunch writes them)
 * has the name w: a binary search in place. A line out of order can only answer no. */
static bool line_has_word(const char *line, size_t len, const char *w)
{
    size_t wl = strlen(w), lo = 0, hi = len;
    while (lo < hi) {
        size_t st = lo + (hi - lo) / 2;
        while (st > lo && line[st - 1] != ' ')
            st--;
        const char *sp = memchr(line + st, ' ', hi - st);
        size_t en = sp ? (size_t)(sp - line) : hi, n = en - st;
        int cmp = memcmp(line + st, w, n < wl ? n : wl);
        if (cmp == 0)
            cmp = (n > wl) - (n < wl);
        if (cmp == 0)
            return wl > 0;
        if (cmp < 0)
            lo = en + 1;
        else
            hi = st;
    }
    return false;
}

bool qemu_caps_has_type(const struct qemu_caps *c, const char *type)
{
    type = resolve_alias(type);
    if (c->types_line)
        return line_has_word(c->types_line, c->types_line_len, type);
    return c->n_types && bsearch(&type, c->types, c->n_types, sizeof(char *), cmp_str);
}

const struct qemu_device_props *qemu_caps_device(const struct qemu_caps *c, const char *type)
{
    struct qemu_device_props k = {.type = (char *)resolve_alias(type)};
    return c->n_devices ? bsearch(&k, c->devices, c->n_devices, sizeof(k), cmp_device) : NULL;
}

bool qemu_caps_props_have(const struct qemu_device_props *d, const char *prop)
{
    if (d->line)
        return line_has_word(d->line, d->line_len, prop);
    return d->n_props && bsearch(&prop, d->props, d->n_props, sizeof(char *), cmp_str);
}

int qemu_caps_device_has_prop(const struct qemu_caps *c, const char *type, const char *prop)
{
    const struct qemu_device_props *d = qemu_caps_device(c, type);
    return d ? qemu_caps_props_have(d, prop) : -1;
}

char *qemu_caps_describe(const struct qemu_caps *c)
{
    return xasprintf("QEMU %d.%d.%d", c->major, c->minor, c->micro);
}

/* ---- the text form (the cache file) ----
 * json-c builds an object per string: reading the JSON form costs a few million
 * instructions, more than the rest of `qlaunch argv`. The cache uses this line form, read
 * in one pass; it carries the same record and the same checks (qemu_caps_normalize). */

#define CAPS_TEXT_MAGIC "qlaunch-caps-text 1"

/* head, then the names of v or of line (a list read from this form, as written). */
static void text_names(struct strbuf *sb, const char *head, char *const *v, size_t n,
                       const char *line)
{
    sb_add(sb, head);
    if (line && *line) {
        sb_addc(sb, ' ');
        sb_add(sb, line);
    }
    for (size_t i = 0; i < n; i++) {
        sb_addc(sb, ' ');
        sb_add(sb, v[i]);
    }
    sb_addc(sb, '\n');
}

char *qemu_caps_to_text(const struct qemu_caps *c)
{
    if (c->key.path && strchr(c->key.path, '\n'))
        return NULL;
    if (c->package && strchr(c->package, '\n'))
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, CAPS_TEXT_MAGIC "\n");
    if (c->key.path)
        sb_addf(&sb, "binary %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %s\n", c->key.size,
                c->key.ino, c->key.mtime_ns, c->key.ctime_ns, c->key.path);
    sb_addf(&sb, "version %d %d %d %s\n", c->major, c->minor, c->micro,
            c->package ? c->package : "");
    for (size_t i = 0; i < c->n_machines; i++)
        sb_addf(&sb, "machine %s %s %d\n", c->machines[i].name,
                c->machines[i].alias ? c->machines[i].alias : "-", c->machines[i].is_default);
    text_names(&sb, "types", c->types, c->n_types, c->types_line);
    for (size_t i = 0; i < c->n_devices; i++) {
        const struct qemu_device_props *d = &c->devices[i];
        _cleanup_free_ char *head = xasprintf("device %s", d->type);
        text_names(&sb, head, d->props, d->n_props, d->line);
    }
    return sb_steal(&sb);
}

/* The next space-separated word of *p (within the line), NUL-terminated in place. */
static char *word(char **p)
{
    char *w = *p;
    if (!*w)
        return NULL;
    char *sp = strchr(w, ' ');
    if (sp) {
        *sp = '\0';
        *p = sp + 1;
    } else {
        *p = w + strlen(w);
    }
    return w;
}

static int text_int64(char **p, int64_t min, int64_t *ret)
{
    char *w = word(p), *end;
    if (!w || !*w)
        return -EINVAL;
    errno = 0;
    long long v = strtoll(w, &end, 10);
    if (errno || *end || v < min)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* One line of the line form, NUL-terminated at end. */
static int text_line(char *line, const char *end, struct qemu_caps *c, bool *seen_version,
                     bool *seen_types)
{
    char *p = line;
    char *kw = word(&p);
    int64_t a, b, d;
    if (!kw)
        return -EINVAL;
    if (STREQ(kw, "binary") && !c->key.path) {
        if (text_int64(&p, 0, &c->key.size) < 0 || text_int64(&p, 0, &c->key.ino) < 0 ||
            text_int64(&p, INT64_MIN, &c->key.mtime_ns) < 0 ||
            text_int64(&p, INT64_MIN, &c->key.ctime_ns) < 0 || p[0] != '/')
            return -EINVAL;
        c->key.path = xstrdup(p);
        return 0;
    }
    if (STREQ(kw, "version") && !*seen_version) {
        if (text_int64(&p, 0, &a) < 0 || text_int64(&p, 0, &b) < 0 || text_int64(&p, 0, &d) < 0
            || a > 999 || b > 999 || d > 999)
            return -EINVAL;
        c->major = (int)a;
        c->minor = (int)b;
        c->micro = (int)d;
        c->package = xstrdup(p);
        *seen_version = true;
        return 0;
    }
    if (STREQ(kw, "machine")) {
        char *name = word(&p), *alias = word(&p), *def = word(&p);
        if (!name || !alias || !def || *p || (!STREQ(def, "0") && !STREQ(def, "1")) ||
            c->n_machines == QEMU_CAPS_MAX_MACHINES)
            return -EINVAL;
        c->machines[c->n_machines++] = (struct qemu_machine){
            .name = name, .alias = STREQ(alias, "-") ? NULL : alias,
            .is_default = def[0] == '1'};
        return 0;
    }
    if (STREQ(kw, "types") && !*seen_types) {
        *seen_types = true;
        c->types_line = p;
        c->types_line_len = (size_t)(end - p);
        return 0;
    }
    if (STREQ(kw, "device")) {
        char *type = word(&p);
        if (!type || !name_ok(type) || c->n_devices == QEMU_CAPS_MAX_DEVICES)
            return -EINVAL;
        struct qemu_device_props dp = {.type = type, .line = p, .line_len = (size_t)(end - p)};
        c->devices[c->n_devices++] = dp;
        return 0;
    }
    return -EINVAL;
}

int qemu_caps_from_text(const char *text, size_t len, struct qemu_caps **ret,
                        struct ql_error *err)
{
    *ret = NULL;
    if (len > QEMU_CAPS_FILE_MAX)
        return ql_error_set(err, EFBIG, "capabilities: longer than %d bytes", QEMU_CAPS_FILE_MAX);
    return qemu_caps_from_text_taken(xstrndup(text, len), len, ret, err);
}

int qemu_caps_from_text_taken(char *text, size_t len, struct qemu_caps **ret,
                              struct ql_error *err)
{
    *ret = NULL;
    /* The names are cut in place: text becomes the record's arena. */
    struct qemu_caps *c = xcalloc(1, sizeof(*c));
    c->arena = text;
    if (len > QEMU_CAPS_FILE_MAX) {
        qemu_caps_free(c);
        return ql_error_set(err, EFBIG, "capabilities: longer than %d bytes", QEMU_CAPS_FILE_MAX);
    }
    if (memchr(text, '\0', len)) {
        qemu_caps_free(c);
        return ql_error_set(err, EINVAL, "capabilities: the text contains a NUL byte");
    }
    text[len] = '\0';
    size_t ml = strlen(CAPS_TEXT_MAGIC);
    if (len < ml + 1 || memcmp(text, CAPS_TEXT_MAGIC "\n", ml + 1) != 0) {
        qemu_caps_free(c);
        return ql_error_set(err, EINVAL, "capabilities: not a qlaunch capabilities text");
    }
    char *copy = text + ml + 1;
    /* Machine and device lines: at most one per line, so one allocation each. */
    size_t lines = 0;
    for (const char *q = copy; (q = memchr(q, '\n', len - (size_t)(q - text))); q++)
        lines++;
    c->machines = xcalloc(lines + 1, sizeof(*c->machines));
    c->devices = xcalloc(lines + 1, sizeof(*c->devices));
    bool seen_version = false, seen_types = false;
    size_t lineno = 1;
    int r = 0;
    for (char *line = copy, *nl; *line; line = nl + 1) {
        lineno++;
        if (!(nl = strchr(line, '\n'))) {
            r = ql_error_set(err, EINVAL, "capabilities: line %zu is not terminated", lineno);
            break;
        }
        *nl = '\0';
        if (text_line(line, nl, c, &seen_version, &seen_types) < 0) {
            r = ql_error_set(err, EINVAL, "capabilities: line %zu is not valid", lineno);
            break;
        }
    }
    if (r == 0 && !seen_version)
        r = ql_error_set(err, EINVAL, "capabilities: no version");
    /* The lists were checked as they were cut. */
    if (r == 0 && ((r = check_header(c, err)) < 0 || (r = check_devices_order(c, err)) < 0))
        ql_error_prefix(err, "capabilities");
    if (r < 0) {
        qemu_caps_free(c);
        return r;
    }
    *ret = c;
    return 0;
}
