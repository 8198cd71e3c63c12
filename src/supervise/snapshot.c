/* Snapshot metadata files and save-file headers; see snapshot.h. */
#include "config.h"
#include "supervise/snapshot.h"
#include "domain/parse.h"
#include "supervise/rundir.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- names ---- */

char *snap_name_error(const char *name)
{
    if (!name || !*name)
        return xstrdup("a snapshot name must not be empty");
    size_t n = strlen(name);
    if (n > SNAP_NAME_MAX)
        return xasprintf("the snapshot name '%.*s...' is longer than %d characters", 16, name,
                         SNAP_NAME_MAX);
    /* It is a file name and a QEMU tag: letters, digits and a few marks, never a path, an
     * option or a hidden file. */
    if (name[0] == '.' || name[0] == '-')
        return xasprintf("the snapshot name '%s' must not begin with '%c'", name, name[0]);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._+-:@", c)))
            return xasprintf("the snapshot name '%s' has the character '%c' (letters, digits "
                             "and . _ + - : @ are allowed)", name, c);
    }
    return NULL;
}

/* ---- metadata ---- */

void snap_meta_clear(struct snap_meta *m)
{
    free(m->name);
    free(m->domain);
    free(m->description);
    free(m->parent);
    free(m->vmstate);
    for (size_t i = 0; i < m->n_disks; i++)
        free(m->disks[i]);
    free(m->disks);
    free(m->qemu_version);
    memset(m, 0, sizeof(*m));
}

static void add_str(json_object *o, const char *k, const char *v)
{
    if (v)
        json_object_object_add(o, k, json_object_new_string(v));
}

static char *to_text(json_object *o)
{
    char *t = xasprintf("%s\n", json_object_to_json_string_ext(
                                    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return t;
}

char *snap_meta_format(const struct snap_meta *m)
{
    json_object *o = json_object_new_object();
    add_str(o, "name", m->name);
    add_str(o, "domain", m->domain);
    add_str(o, "description", m->description);
    add_str(o, "parent", m->parent);
    json_object_object_add(o, "creation_time", json_object_new_int64(m->creation_time));
    add_str(o, "state", snap_meta_state(m));
    json_object_object_add(o, "current", json_object_new_boolean(m->current));
    add_str(o, "vmstate", m->vmstate);
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < m->n_disks; i++)
        json_object_array_add(a, json_object_new_string(m->disks[i]));
    json_object_object_add(o, "disks", a);
    add_str(o, "qemu_version", m->qemu_version);
    return to_text(o);
}

/* One JSON object of at most max bytes, depth 3 (an object of scalars and flat arrays). */
static int parse_json(const char *text, const char *path, size_t max, json_object **ret,
                      struct ql_error *err)
{
    size_t len = strlen(text);
    if (len > max)
        return ql_error_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
    json_tokener *tok = json_tokener_new_ex(3);
    if (!tok)
        return ql_error_set(err, ENOMEM, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (je != json_tokener_success || end != len || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return ql_error_set(err, EBADMSG, "%s: not a JSON object%s%s", path,
                            je != json_tokener_success ? ": " : "",
                            je != json_tokener_success ? json_tokener_error_desc(je) : "");
    }
    *ret = o;
    return 0;
}

/* A string member without NUL bytes, of 1..max bytes. */
static int get_string(json_object *v, const char *path, const char *key, size_t max,
                      char **ret, struct ql_error *err)
{
    if (!json_object_is_type(v, json_type_string))
        return ql_error_set(err, EBADMSG, "%s: \"%s\" must be a string", path, key);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (strlen(s) != n || n == 0 || n > max)
        return ql_error_set(err, EBADMSG, "%s: \"%s\" must be 1 to %zu characters without NUL",
                            path, key, max);
    free(*ret);
    *ret = xstrdup(s);
    return 0;
}

static int get_snap_name(json_object *v, const char *path, const char *key, char **ret,
                         struct ql_error *err)
{
    int r = get_string(v, path, key, SNAP_NAME_MAX, ret, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *why = snap_name_error(*ret);
    return why ? ql_error_set(err, EBADMSG, "%s: \"%s\": %s", path, key, why) : 0;
}

/* "state": "running" or "paused". */
static int get_run_state(json_object *v, const char *path, bool *ret_running,
                         struct ql_error *err)
{
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    if (strcmp(s, "running") != 0 && strcmp(s, "paused") != 0)
        return ql_error_set(err, EBADMSG, "%s: \"state\" must be \"running\" or \"paused\"",
                            path);
    *ret_running = strcmp(s, "running") == 0;
    return 0;
}

/* A disk target: what <target dev> may be, short. */
static int get_target(json_object *v, const char *path, const char *key, char **ret,
                      struct ql_error *err)
{
    int r = get_string(v, path, key, 32, ret, err);
    if (r < 0)
        return r;
    for (const char *p = *ret; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return ql_error_set(err, EBADMSG, "%s: \"%s\": '%s' is not a disk target", path,
                                key, *ret);
    return 0;
}

static int meta_member(struct snap_meta *m, const char *path, const char *key, json_object *v,
                       bool *ret_state, struct ql_error *err)
{
    if (strcmp(key, "name") == 0)
        return get_snap_name(v, path, key, &m->name, err);
    if (strcmp(key, "parent") == 0)
        return get_snap_name(v, path, key, &m->parent, err);
    if (strcmp(key, "domain") == 0) {
        int r = get_string(v, path, key, 256, &m->domain, err);
        _cleanup_free_ char *why = r < 0 ? NULL : dom_name_error("domain", m->domain);
        return r < 0 ? r : why ? ql_error_set(err, EBADMSG, "%s: %s", path, why) : 0;
    }
    if (strcmp(key, "description") == 0)
        return get_string(v, path, key, SNAP_DESC_MAX, &m->description, err);
    if (strcmp(key, "qemu_version") == 0)
        return get_string(v, path, key, 64, &m->qemu_version, err);
    if (strcmp(key, "vmstate") == 0)
        return get_target(v, path, key, &m->vmstate, err);
    if (strcmp(key, "creation_time") == 0) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
            return ql_error_set(err, EBADMSG, "%s: \"creation_time\" must be a number of "
                                "seconds", path);
        m->creation_time = json_object_get_int64(v);
        return 0;
    }
    if (strcmp(key, "current") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return ql_error_set(err, EBADMSG, "%s: \"current\" must be true or false", path);
        m->current = json_object_get_boolean(v);
        return 0;
    }
    if (strcmp(key, "state") == 0) {
        *ret_state = true;
        m->shutoff = json_object_is_type(v, json_type_string) &&
                     strcmp(json_object_get_string(v), "shutoff") == 0;
        return m->shutoff ? 0 : get_run_state(v, path, &m->running, err);
    }
    if (strcmp(key, "disks") == 0) {
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
        if (!n || n > SNAP_MAX_DISKS || m->disks)
            return ql_error_set(err, EBADMSG, "%s: \"disks\" must be a list of 1 to %d disk "
                                "targets", path, SNAP_MAX_DISKS);
        m->disks = xcalloc(n, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            int r = get_target(json_object_array_get_idx(v, i), path, key, &m->disks[i], err);
            m->n_disks = i + 1;
            if (r < 0)
                return r;
        }
        return 0;
    }
    return ql_error_set(err, EBADMSG, "%s: unknown member \"%s\"", path, key);
}

int snap_meta_parse(const char *text, const char *path, struct snap_meta *ret,
                    struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o;
    int r = parse_json(text, path, SNAP_META_MAX_BYTES, &o, err);
    if (r < 0)
        return r;
    bool state = false;
    json_object_object_foreach(o, key, val) {
        if ((r = meta_member(ret, path, key, val, &state, err)) < 0)
            break;
    }
    json_object_put(o);
    if (r == 0 && (!ret->name || !ret->domain || (!ret->vmstate && !ret->shutoff) ||
                   !ret->n_disks || !state))
        r = ql_error_set(err, EBADMSG, "%s: a snapshot needs \"name\", \"domain\", \"state\", "
                         "\"vmstate\" (unless shut off) and \"disks\"", path);
    if (r == 0 && ret->shutoff && ret->vmstate)
        r = ql_error_set(err, EBADMSG, "%s: a snapshot of a shut-off domain has no VM state",
                         path);
    bool found = ret->shutoff;
    for (size_t i = 0; r == 0 && !found && i < ret->n_disks; i++)
        found |= strcmp(ret->disks[i], ret->vmstate) == 0;
    if (r == 0 && !found)
        r = ql_error_set(err, EBADMSG, "%s: the VM state disk '%s' is not one of the "
                         "snapshot's disks", path, ret->vmstate);
    if (r < 0)
        snap_meta_clear(ret);
    return r;
}

/* ---- files ---- */

const char *snap_base_dir(void)
{
    const char *e = getenv("QLAUNCH_SNAPSHOT_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_SNAPSHOT);
}

char *snap_domain_dir(const char *domain)
{
    return xasprintf("%s/%s", snap_base_dir(), domain);
}

static char *meta_path(const char *domain, const char *name)
{
    return xasprintf("%s/%s/%s.json", snap_base_dir(), domain, name);
}

int snap_meta_read(const char *domain, const char *name, struct snap_meta *ret,
                   struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    _cleanup_free_ char *why = snap_name_error(name);
    if (why)
        return ql_error_set(err, EINVAL, "%s", why);
    _cleanup_free_ char *path = meta_path(domain, name);
    _cleanup_free_ char *text = NULL;
    struct ql_error rerr = QL_ERROR_INIT;
    int r = ql_read_file(path, SNAP_META_MAX_BYTES, &text, NULL, &rerr);
    if (r == -ENOENT) {
        ql_error_clear(&rerr);
        return ql_error_set(err, ENOENT, "domain '%s' has no snapshot '%s'", domain, name);
    }
    if (r < 0) {
        *err = rerr;
        return r;
    }
    if ((r = snap_meta_parse(text, path, ret, err)) < 0)
        return r;
    if (strcmp(ret->name, name) != 0 || strcmp(ret->domain, domain) != 0) {
        snap_meta_clear(ret);
        return ql_error_set(err, EBADMSG, "%s: it describes another snapshot", path);
    }
    return 0;
}

int snap_meta_write(const struct snap_meta *m, struct ql_error *err)
{
    int r = sup_private_dir(snap_base_dir(), "snapshot", "QLAUNCH_SNAPSHOT_DIR", err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = snap_domain_dir(m->domain);
    if ((r = sup_private_dir(dir, "snapshot", "QLAUNCH_SNAPSHOT_DIR", err)) < 0)
        return r;
    _cleanup_free_ char *path = meta_path(m->domain, m->name);
    _cleanup_free_ char *text = snap_meta_format(m);
    return ql_write_file_atomic(path, text, strlen(text), 0600, err);
}

int snap_meta_remove(const char *domain, const char *name, struct ql_error *err)
{
    _cleanup_free_ char *path = meta_path(domain, name);
    if (unlink(path) < 0 && errno != ENOENT)
        return ql_error_errno(err, errno, "cannot remove '%s'", path);
    _cleanup_free_ char *dir = snap_domain_dir(domain);
    (void)rmdir(dir);       /* the last snapshot's directory goes with it */
    return 0;
}

void snap_meta_list_free(struct snap_meta *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snap_meta_clear(&v[i]);
    free(v);
}

static int by_time(const void *a, const void *b)
{
    const struct snap_meta *x = a, *y = b;
    if (x->creation_time != y->creation_time)
        return x->creation_time < y->creation_time ? -1 : 1;
    return strcmp(x->name, y->name);
}

int snap_meta_list(const char *domain, struct snap_meta **ret, size_t *ret_n,
                   struct ql_error *err)
{
    *ret = NULL;
    *ret_n = 0;
    _cleanup_free_ char *dir = snap_domain_dir(domain);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : ql_error_errno(err, errno, "cannot read '%s'", dir);
    struct snap_meta *v = NULL;
    size_t n = 0;
    int r = 0;
    struct dirent *e;
    while (r == 0 && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        if (n == SNAP_MAX_PER_DOMAIN) {
            r = ql_error_set(err, EMFILE, "%s: more than %d snapshots", dir,
                             SNAP_MAX_PER_DOMAIN);
            break;
        }
        _cleanup_free_ char *name = xstrndup(e->d_name, l - 5);
        v = xrealloc(v, (n + 1) * sizeof(*v));
        if ((r = snap_meta_read(domain, name, &v[n], err)) == 0)
            n++;
    }
    closedir(d);
    if (r < 0) {
        snap_meta_list_free(v, n);
        return r;
    }
    if (n)
        qsort(v, n, sizeof(*v), by_time);
    *ret = v;
    *ret_n = n;
    return 0;
}

/* ---- save files ---- */

void save_header_clear(struct save_header *h)
{
    free(h->name);
    free(h->uuid);
    free(h->xml);
    free(h->qemu_version);
    memset(h, 0, sizeof(*h));
}

char *save_header_format(const struct save_header *h, size_t *ret_len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "version", json_object_new_int(1));
    add_str(o, "name", h->name);
    add_str(o, "uuid", h->uuid);
    add_str(o, "state", h->running ? "running" : "paused");
    json_object_object_add(o, "saved_at", json_object_new_int64(h->saved_at));
    add_str(o, "qemu_version", h->qemu_version);
    add_str(o, "xml", h->xml);
    _cleanup_free_ char *json = to_text(o);
    size_t jl = strlen(json);
    size_t total = (SAVE_PREAMBLE + jl + SAVE_ALIGN - 1) / SAVE_ALIGN * SAVE_ALIGN;
    char *buf = xcalloc(1, total);
    memcpy(buf, SAVE_MAGIC, 16);
    char hex[32];
    snprintf(hex, sizeof(hex), "%08x\n", (unsigned)jl);     /* jl <= SAVE_HEADER_MAX */
    memcpy(buf + 16, hex, 9);
    memcpy(buf + SAVE_PREAMBLE, json, jl);
    *ret_len = total;
    return buf;
}

static int header_member(struct save_header *h, const char *key, json_object *v,
                         unsigned *seen, struct ql_error *err)
{
    static const char path[] = "save file header";
    if (strcmp(key, "version") == 0) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)
            return ql_error_set(err, ENOTSUP, "the save file has a version this qlaunch does "
                                "not read");
        *seen |= 1;
        return 0;
    }
    if (strcmp(key, "name") == 0) {
        int r = get_string(v, path, key, 256, &h->name, err);
        _cleanup_free_ char *why = r < 0 ? NULL : dom_name_error("domain", h->name);
        *seen |= 2;
        return r < 0 ? r : why ? ql_error_set(err, EBADMSG, "%s: %s", path, why) : 0;
    }
    if (strcmp(key, "uuid") == 0)
        return get_string(v, path, key, 36, &h->uuid, err);
    if (strcmp(key, "xml") == 0) {
        *seen |= 4;
        return get_string(v, path, key, DOM_XML_MAX_BYTES, &h->xml, err);
    }
    if (strcmp(key, "qemu_version") == 0)
        return get_string(v, path, key, 64, &h->qemu_version, err);
    if (strcmp(key, "saved_at") == 0) {
        if (!json_object_is_type(v, json_type_int))
            return ql_error_set(err, EBADMSG, "%s: \"saved_at\" must be a number", path);
        h->saved_at = json_object_get_int64(v);
        return 0;
    }
    if (strcmp(key, "state") == 0) {
        *seen |= 8;
        return get_run_state(v, path, &h->running, err);
    }
    return ql_error_set(err, EBADMSG, "%s: unknown member \"%s\"", path, key);
}

int save_header_parse(const char *data, size_t len, struct save_header *ret, size_t *ret_need,
                      struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    *ret_need = SAVE_PREAMBLE;
    if (len < SAVE_PREAMBLE || memcmp(data, SAVE_MAGIC, 16) != 0)
        return ql_error_set(err, EBADMSG, "not a qlaunch save file (no '%.15s' header)",
                            SAVE_MAGIC);
    size_t jl = 0;
    for (int i = 16; i < 24; i++) {
        char c = data[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return ql_error_set(err, EBADMSG, "invalid save file header: bad length");
        jl = jl * 16 + (size_t)d;
    }
    if (data[24] != '\n' || jl == 0 || jl > SAVE_HEADER_MAX)
        return ql_error_set(err, EBADMSG, "invalid save file header: bad length");
    size_t total = (SAVE_PREAMBLE + jl + SAVE_ALIGN - 1) / SAVE_ALIGN * SAVE_ALIGN;
    *ret_need = SAVE_PREAMBLE + jl;
    if (len < SAVE_PREAMBLE + jl)
        return -EAGAIN;
    _cleanup_free_ char *text = xstrndup(data + SAVE_PREAMBLE, jl);
    if (strlen(text) != jl)
        return ql_error_set(err, EBADMSG, "invalid save file header: it contains a NUL byte");
    json_object *o;
    int r = parse_json(text, "save file header", SAVE_HEADER_MAX, &o, err);
    if (r < 0)
        return r;
    unsigned seen = 0;
    json_object_object_foreach(o, key, val) {
        if ((r = header_member(ret, key, val, &seen, err)) < 0)
            break;
    }
    json_object_put(o);
    if (r == 0 && seen != 15)
        r = ql_error_set(err, EBADMSG, "invalid save file header: it needs \"version\", "
                         "\"name\", \"state\" and \"xml\"");
    if (r < 0) {
        save_header_clear(ret);
        return r;
    }
    ret->data_offset = total;
    return 0;
}

int save_header_read(int fd, const char *path, struct save_header *ret, struct ql_error *err)
{
    size_t need = SAVE_PREAMBLE, have = 0;
    _cleanup_free_ char *buf = NULL;
    for (;;) {
        buf = xrealloc(buf, need);
        while (have < need) {
            ssize_t n = pread(fd, buf + have, need - have, (off_t)have);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return ql_error_errno(err, errno, "cannot read '%s'", path);
            if (n == 0)
                return ql_error_set(err, EBADMSG, "'%s' is not a qlaunch save file (too short)",
                                    path);
            have += (size_t)n;
        }
        int r = save_header_parse(buf, have, ret, &need, err);
        if (r != -EAGAIN) {
            if (r < 0)
                ql_error_prefix(err, "%s: ", path);
            return r;
        }
    }
}

const char *snap_meta_state(const struct snap_meta *m)
{
    return m->shutoff ? "shutoff" : m->running ? "running" : "paused";
}

int snap_meta_set_current(const char *domain, bool change, const char *name,
                          const char *deleted, struct ql_error *err)
{
    struct snap_meta *v;
    size_t n;
    int r = snap_meta_list(domain, &v, &n, err);
    for (size_t i = 0; r == 0 && i < n; i++) {
        bool cur = change ? name && strcmp(v[i].name, name) == 0 : v[i].current;
        bool reparent = deleted && v[i].parent && strcmp(v[i].parent, deleted) == 0;
        if (cur == v[i].current && !reparent)
            continue;
        v[i].current = cur;
        if (reparent) {
            free(v[i].parent);
            v[i].parent = name ? xstrdup(name) : NULL;
        }
        struct ql_error e = QL_ERROR_INIT;
        if (snap_meta_write(&v[i], &e) < 0) {
            ql_error_clear(err);
            *err = e;
        }
    }
    if (r == 0)
        snap_meta_list_free(v, n);
    return r < 0 ? r : err->msg ? -EIO : 0;
}

int snap_select_disks(const struct domain *d, const char *const *source, const char *nvram,
                      struct snap_meta *m, struct ql_error *err)
{
    if (nvram)
        return ql_error_set(err, ENOTSUP, "internal snapshots of a VM with pflash based "
                            "firmware require QCOW2 nvram format (the NVRAM '%s' is raw)",
                            nvram);
    m->disks = xcalloc(d->dev.n_disks + 1, sizeof(char *));
    for (size_t i = 0; i < d->dev.n_disks; i++) {
        const struct dom_disk *dk = &d->dev.disks[i];
        const char *src = source[i];
        /* As libvirt: these are not part of a snapshot unless asked for. */
        if (dk->snapshot == DOM_DISK_SNAPSHOT_NO || !dk->dev ||
            (dk->snapshot != DOM_DISK_SNAPSHOT_INTERNAL &&
             (dk->readonly || dk->device == DOM_DISKDEV_CDROM || !src)))
            continue;
        if (dk->snapshot == DOM_DISK_SNAPSHOT_EXTERNAL || dk->snapshot == DOM_DISK_SNAPSHOT_MANUAL)
            return ql_error_set(err, ENOTSUP, "disk '%s' asks for a %s snapshot "
                                "(snapshot='%s'); qlaunch makes internal snapshots only: "
                                "mixing internal and external targets for a snapshot is not "
                                "supported", dk->dev, dom_disk_snapshot_to_string(dk->snapshot),
                                dom_disk_snapshot_to_string(dk->snapshot));
        if (dk->readonly || dk->device == DOM_DISKDEV_CDROM || !src)
            return ql_error_set(err, ENOTSUP, "disk '%s' cannot hold an internal snapshot: it "
                                "is %s", dk->dev, src ? "read-only" : "empty");
        if (dk->type == DOM_DISK_NETWORK || dk->format != DOM_FMT_QCOW2)
            return ql_error_set(err, ENOTSUP, "internal snapshot for disk %s unsupported for "
                                "storage type %s (only qcow2 images hold internal snapshots; "
                                "<disk snapshot='no'> leaves a disk out)", dk->dev,
                                dk->type == DOM_DISK_NETWORK
                                    ? "network"
                                    : dom_disk_format_to_string(dk->format ? dk->format
                                                                           : DOM_FMT_RAW));
        m->disks[m->n_disks++] = xstrdup(dk->dev);
    }
    if (!m->n_disks)
        return ql_error_set(err, ENOTSUP, "domain '%s' has no writable qcow2 disk to hold an "
                            "internal snapshot", d->name);
    m->vmstate = xstrdup(m->disks[0]);
    return 0;
}
