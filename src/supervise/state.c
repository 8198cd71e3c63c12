/* Domain state names and the atomically written state file. */
#include "config.h"
#include "supervise/state.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[SUP_STATE_MAX] = {
    "shut off", "running", "paused", "in shutdown", "crashed", "pmsuspended",
};
static const char *const state_ids[SUP_STATE_MAX] = {
    "shutoff", "running", "paused", "shutdown", "crashed", "pmsuspended",
};
static const char *const reason_names[SUP_REASON_MAX] = {
    "unknown", "booted", "unpaused", "restarted", "crash-restarted", "user", "starting up",
    "panicked", "shutdown", "destroyed", "crashed", "failed", "restart-limit", "ioerror",
    "saved", "restored", "from snapshot",
};

const char *sup_state_to_string(int v)
{
    return v >= 0 && v < SUP_STATE_MAX ? state_names[v] : "unknown";
}

const char *sup_state_to_id(int v)
{
    return v >= 0 && v < SUP_STATE_MAX ? state_ids[v] : "unknown";
}

int sup_state_from_id(const char *s)
{
    for (int i = 0; s && i < SUP_STATE_MAX; i++)
        if (strcmp(state_ids[i], s) == 0)
            return i;
    return -1;
}

const char *sup_reason_to_string(int v)
{
    return v >= 0 && v < SUP_REASON_MAX ? reason_names[v] : "unknown";
}

int sup_reason_from_string(const char *s)
{
    for (int i = 0; s && i < SUP_REASON_MAX; i++)
        if (strcmp(reason_names[i], s) == 0)
            return i;
    return -1;
}

void sup_display_clear(struct sup_display *d)
{
    free(d->host);
    memset(d, 0, sizeof(*d));
}

char *sup_display_uri(const struct sup_display *d)
{
    if (d->unix_socket)
        return d->host ? xasprintf("%s+unix://%s", d->type, d->host) : NULL;
    if (d->port <= 0)
        return NULL;
    const char *h = d->host;
    if (!h || !*h || strcmp(h, "*") == 0 || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0
        || strcmp(h, "[::]") == 0)
        h = "localhost";
    bool v6 = strchr(h, ':') && h[0] != '[';
    return xasprintf("%s://%s%s%s:%d", d->type, v6 ? "[" : "", h, v6 ? "]" : "", d->port);
}

void sup_status_clear(struct sup_status *s)
{
    for (size_t i = 0; i < s->n_displays && i < SUP_MAX_DISPLAYS; i++)
        sup_display_clear(&s->displays[i]);
    for (size_t i = 0; i < s->n_nics; i++) {
        free(s->nic_taps[i]);
        free(s->nic_ovs[i]);
    }
    free(s->nic_taps);
    free(s->nic_ovs);
    for (size_t i = 0; i < s->n_grants; i++)
        host_dac_grant_clear(&s->grants[i]);
    free(s->grants);
    for (size_t i = 0; i < s->n_helpers && i < SUP_MAX_HELPERS; i++) {
        free(s->helpers[i].name);
        free(s->helpers[i].socket);
        free(s->helpers[i].remove_dir);
    }
    for (size_t i = 0; i < s->n_media; i++) {
        free(s->media[i].target);
        free(s->media[i].source);
    }
    free(s->media);
    for (size_t i = 0; i < s->n_pci; i++)
        host_pci_binding_clear(&s->pci[i]);
    free(s->pci);
    for (size_t i = 0; i < s->n_hotdevs; i++) {
        free(s->hotdevs[i].kind);
        free(s->hotdevs[i].xml);
        free(s->hotdevs[i].qemu_id);
    }
    free(s->hotdevs);
    for (size_t i = 0; i < s->n_hot_vcpus; i++)
        free(s->hot_vcpus[i]);
    free(s->hot_vcpus);
    for (size_t i = 0; i < s->n_removed; i++) {
        free(s->removed[i].kind);
        free(s->removed[i].qemu_id);
    }
    free(s->removed);
    free(s->save_tmp);
    free(s->name);
    free(s->xml_path);
    free(s->qemu_version);
    free(s->console_pty);
    free(s->last_error);
    free(s->dump_dir);
    memset(s, 0, sizeof(*s));
}

static void add_str(json_object *o, const char *k, const char *v)
{
    if (v)
        json_object_object_add(o, k, json_object_new_string(v));
}

json_object *sup_status_to_json(const struct sup_status *s)
{
    json_object *o = json_object_new_object();
    add_str(o, "name", s->name);
    add_str(o, "uuid", s->uuid);
    add_str(o, "state", sup_state_to_id(s->state));
    add_str(o, "reason", sup_reason_to_string(s->reason));
    json_object_object_add(o, "qemu_pid", json_object_new_int64(s->qemu_pid));
    json_object_object_add(o, "qemu_start_time",
                           json_object_new_uint64(s->qemu_start_time));
    json_object_object_add(o, "supervisor_pid", json_object_new_int64(s->supervisor_pid));
    json_object_object_add(o, "restarts", json_object_new_int64(s->restarts));
    json_object_object_add(o, "boots", json_object_new_int64(s->boots));
    json_object_object_add(o, "started_at", json_object_new_int64(s->started_at));
    add_str(o, "xml_path", s->xml_path);
    add_str(o, "qemu_version", s->qemu_version);
    add_str(o, "console_pty", s->console_pty);
    json_object_object_add(o, "reboot_pending", json_object_new_boolean(s->reboot_pending));
    json_object_object_add(o, "shutdown_pending",
                           json_object_new_boolean(s->shutdown_pending));
    add_str(o, "last_error", s->last_error);
    json_object_object_add(o, "restart_cap", json_object_new_int64(s->restart_cap));
    json_object_object_add(o, "restart_window", json_object_new_int64(s->restart_window));
    add_str(o, "dump_dir", s->dump_dir);
    if (s->n_displays) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_displays && i < SUP_MAX_DISPLAYS; i++) {
            const struct sup_display *d = &s->displays[i];
            json_object *g = json_object_new_object();
            add_str(g, "type", d->type);
            add_str(g, d->unix_socket ? "socket" : "host", d->host);
            if (!d->unix_socket)
                json_object_object_add(g, "port", json_object_new_int(d->port));
            if (d->tls_port > 0)
                json_object_object_add(g, "tls_port", json_object_new_int(d->tls_port));
            json_object_array_add(a, g);
        }
        json_object_object_add(o, "displays", a);
    }
    if (s->n_nics) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_nics; i++) {
            json_object *n = json_object_new_object();
            add_str(n, "tap", s->nic_taps[i]);
            add_str(n, "ovs_bridge", s->nic_ovs[i]);
            json_object_array_add(a, n);
        }
        json_object_object_add(o, "nics", a);
    }
    if (s->qemu_uid) {
        json_object_object_add(o, "qemu_uid", json_object_new_int64(s->qemu_uid));
        json_object_object_add(o, "qemu_gid", json_object_new_int64(s->qemu_gid));
    }
    if (s->n_grants) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_grants; i++) {
            json_object *g = json_object_new_object();
            add_str(g, "path", s->grants[i].path);
            json_object_object_add(g, "uid", json_object_new_int64(s->grants[i].uid));
            json_object_object_add(g, "gid", json_object_new_int64(s->grants[i].gid));
            json_object_array_add(a, g);
        }
        json_object_object_add(o, "grants", a);
    }
    if (s->n_helpers) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_helpers; i++) {
            const struct sup_helper *h = &s->helpers[i];
            json_object *g = json_object_new_object();
            add_str(g, "name", h->name);
            json_object_object_add(g, "pid", json_object_new_int64(h->pid));
            json_object_object_add(g, "start_time", json_object_new_uint64(h->start_time));
            add_str(g, "socket", h->socket);
            add_str(g, "remove_dir", h->remove_dir);
            json_object_array_add(a, g);
        }
        json_object_object_add(o, "helpers", a);
    }
    if (s->n_pci) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_pci; i++) {
            json_object *g = json_object_new_object();
            add_str(g, "addr", s->pci[i].addr);
            add_str(g, "driver", s->pci[i].driver);
            add_str(g, "vfio_driver", s->pci[i].vfio_driver);
            json_object_object_add(g, "changed", json_object_new_boolean(s->pci[i].changed));
            json_object_array_add(a, g);
        }
        json_object_object_add(o, "pci", a);
    }
    if (s->n_media || s->media_seq) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_media; i++) {
            json_object *m = json_object_new_object();
            add_str(m, "target", s->media[i].target);
            add_str(m, "source", s->media[i].source);
            json_object_object_add(m, "node", json_object_new_int64(s->media[i].node));
            json_object_array_add(a, m);
        }
        json_object_object_add(o, "media", a);
        json_object_object_add(o, "media_seq", json_object_new_int64(s->media_seq));
    }
    if (s->n_hotdevs) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_hotdevs; i++) {
            json_object *h = json_object_new_object();
            add_str(h, "kind", s->hotdevs[i].kind);
            add_str(h, "xml", s->hotdevs[i].xml);
            add_str(h, "qemu_id", s->hotdevs[i].qemu_id);
            json_object_object_add(h, "num", json_object_new_int64(s->hotdevs[i].num));
            json_object_array_add(a, h);
        }
        json_object_object_add(o, "hotplugged", a);
    }
    if (s->n_hot_vcpus) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_hot_vcpus; i++)
            json_object_array_add(a, json_object_new_string(s->hot_vcpus[i]));
        json_object_object_add(o, "hot_vcpus", a);
    }
    if (s->n_removed) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_removed; i++) {
            json_object *h = json_object_new_object();
            add_str(h, "kind", s->removed[i].kind);
            json_object_object_add(h, "index", json_object_new_int64(s->removed[i].index));
            add_str(h, "qemu_id", s->removed[i].qemu_id);
            json_object_array_add(a, h);
        }
        json_object_object_add(o, "removed_devices", a);
    }
    add_str(o, "save_tmp", s->save_tmp);
    return o;
}

int sup_status_write(const char *path, const struct sup_status *s, struct ql_error *err)
{
    json_object *o = sup_status_to_json(s);
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, text);
    sb_addc(&sb, '\n');
    int r = ql_write_file_runtime(path, sb.s, sb.len, 0600, err);
    sb_free(&sb);
    json_object_put(o);
    return r;
}

static char *get_str(json_object *o, const char *k)
{
    const char *v = ql_json_str(o, k, NULL);
    return v ? xstrdup(v) : NULL;
}

/* "0000:06:12.5": what host_pci_addr writes, nothing else. */
static bool pci_addr_ok(const char *s)
{
    static const char shape[] = "xxxx:xx:xx.x";
    if (!s || strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    return true;
}

/* A kernel driver name: one path component. */
static bool driver_name_ok(const char *s, bool may_be_null)
{
    if (!s)
        return may_be_null;
    return *s && *s != '.' && !strchr(s, '/') && strlen(s) <= 64;
}

int sup_status_from_json(json_object *o, struct sup_status *ret, struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    if (!json_object_is_type(o, json_type_object))
        return ql_error_set(err, EBADMSG, "the domain status is not a JSON object");
    ret->name = get_str(o, "name");
    _cleanup_free_ char *uuid = get_str(o, "uuid");
    if (uuid)
        snprintf(ret->uuid, sizeof(ret->uuid), "%s", uuid);
    _cleanup_free_ char *st = get_str(o, "state");
    _cleanup_free_ char *rs = get_str(o, "reason");
    int sv = sup_state_from_id(st), rv = sup_reason_from_string(rs);
    ret->state = sv < 0 ? SUP_STATE_SHUTOFF : (enum sup_state)sv;
    ret->reason = rv < 0 ? SUP_REASON_UNKNOWN : (enum sup_reason)rv;
    ret->qemu_pid = (pid_t)ql_json_int64(o, "qemu_pid", 0);
    json_object *v = ql_json_get(o, "qemu_start_time", json_type_int);
    if (v)
        ret->qemu_start_time = json_object_get_uint64(v);
    ret->supervisor_pid = (pid_t)ql_json_int64(o, "supervisor_pid", 0);
    ret->restarts = (unsigned)ql_json_int64(o, "restarts", 0);
    ret->boots = (unsigned)ql_json_int64(o, "boots", 0);
    ret->started_at = ql_json_int64(o, "started_at", 0);
    ret->xml_path = get_str(o, "xml_path");
    ret->qemu_version = get_str(o, "qemu_version");
    ret->console_pty = get_str(o, "console_pty");
    ret->reboot_pending = ql_json_bool(o, "reboot_pending", false);
    ret->shutdown_pending = ql_json_bool(o, "shutdown_pending", false);
    ret->last_error = get_str(o, "last_error");
    ret->restart_cap = (unsigned)ql_json_int64(o, "restart_cap", 0);
    ret->restart_window = (unsigned)ql_json_int64(o, "restart_window", 0);
    ret->dump_dir = get_str(o, "dump_dir");
    json_object *a = ql_json_get(o, "nics", json_type_array);
    if (a) {
        size_t n = json_object_array_length(a);
        ret->nic_taps = xcalloc(n ? n : 1, sizeof(char *));
        ret->nic_ovs = xcalloc(n ? n : 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(a, i);
            ret->nic_taps[i] = get_str(e, "tap");
            ret->nic_ovs[i] = get_str(e, "ovs_bridge");
        }
        ret->n_nics = n;
    }
    /* Ids and owners to restore: in range, absolute paths only (never act on garbage). */
    int64_t qu = ql_json_int64(o, "qemu_uid", 0), qg = ql_json_int64(o, "qemu_gid", 0);
    if (qu > 0 && qu < INT32_MAX && qg >= 0 && qg < INT32_MAX) {
        ret->qemu_uid = (uid_t)qu;
        ret->qemu_gid = (gid_t)qg;
    }
    a = ql_json_get(o, "grants", json_type_array);
    if (a && ret->qemu_uid) {
        size_t n = json_object_array_length(a);
        ret->grants = xcalloc(n ? n : 1, sizeof(*ret->grants));
        for (size_t i = 0; i < n; i++) {
            json_object *g = json_object_array_get_idx(a, i);
            _cleanup_free_ char *path = get_str(g, "path");
            int64_t u = ql_json_int64(g, "uid", -1), gi = ql_json_int64(g, "gid", -1);
            if (!path || path[0] != '/' || u < 0 || u >= INT32_MAX || gi < 0 || gi >= INT32_MAX)
                continue;
            ret->grants[ret->n_grants++] = (struct host_dac_grant){
                .path = path, .uid = (uid_t)u, .gid = (gid_t)gi};
            path = NULL;
        }
    }
    /* Helpers: only entries a stop can act on safely (a pid, its start time, absolute
     * paths). */
    a = ql_json_get(o, "helpers", json_type_array);
    for (size_t i = 0, n = a ? json_object_array_length(a) : 0;
         i < n && ret->n_helpers < SUP_MAX_HELPERS; i++) {
        json_object *g = json_object_array_get_idx(a, i);
        int64_t pid = ql_json_int64(g, "pid", 0);
        json_object *t = ql_json_get(g, "start_time", json_type_int);
        struct sup_helper h = {.name = get_str(g, "name"), .socket = get_str(g, "socket"),
                               .remove_dir = get_str(g, "remove_dir")};
        if (pid > 1 && pid < INT32_MAX && t && h.name && (!h.socket || h.socket[0] == '/') &&
            (!h.remove_dir || h.remove_dir[0] == '/')) {
            h.pid = (pid_t)pid;
            h.start_time = json_object_get_uint64(t);
            ret->helpers[ret->n_helpers++] = h;
        } else {
            free(h.name);
            free(h.socket);
            free(h.remove_dir);
        }
    }
    /* PCI bindings: the names become sysfs paths, so only well-formed ones are kept. */
    a = ql_json_get(o, "pci", json_type_array);
    if (a) {
        size_t n = json_object_array_length(a);
        ret->pci = xcalloc(n ? n : 1, sizeof(*ret->pci));
        for (size_t i = 0; i < n; i++) {
            json_object *g = json_object_array_get_idx(a, i);
            json_object *ch = ql_json_get(g, "changed", json_type_boolean);
            struct host_pci_binding b = {.addr = get_str(g, "addr"),
                                         .driver = get_str(g, "driver"),
                                         .vfio_driver = get_str(g, "vfio_driver"),
                                         .changed = ch && json_object_get_boolean(ch)};
            if (pci_addr_ok(b.addr) && driver_name_ok(b.driver, true)
                && driver_name_ok(b.vfio_driver, false))
                ret->pci[ret->n_pci++] = b;
            else
                host_pci_binding_clear(&b);
        }
    }
    a = ql_json_get(o, "media", json_type_array);
    if (a) {
        size_t n = json_object_array_length(a);
        ret->media = xcalloc(n ? n : 1, sizeof(*ret->media));
        for (size_t i = 0; i < n; i++) {
            json_object *m = json_object_array_get_idx(a, i);
            int64_t node = ql_json_int64(m, "node", -1);
            char *target = get_str(m, "target");
            if (!target || node < 0 || node > 1000000) {
                free(target);
                continue;
            }
            ret->media[ret->n_media++] = (struct sup_media){target, get_str(m, "source"),
                                                            (unsigned)node};
        }
    }
    a = ql_json_get(o, "hotplugged", json_type_array);
    for (size_t i = 0, n = a ? json_object_array_length(a) : 0; i < n && i < SUP_MAX_HOTDEVS;
         i++) {
        json_object *h = json_object_array_get_idx(a, i);
        int64_t num = ql_json_int64(h, "num", -1);
        struct sup_hotdev d = {get_str(h, "kind"), get_str(h, "xml"), get_str(h, "qemu_id"),
                               0};
        if (!d.kind || !d.xml || !d.qemu_id || num < 0 || num > 1000000) {
            free(d.kind);
            free(d.xml);
            free(d.qemu_id);
            continue;
        }
        d.num = (unsigned)num;
        if (!ret->hotdevs)
            ret->hotdevs = xcalloc(n, sizeof(*ret->hotdevs));
        ret->hotdevs[ret->n_hotdevs++] = d;
    }
    a = ql_json_get(o, "hot_vcpus", json_type_array);
    for (size_t i = 0, n = a ? json_object_array_length(a) : 0; i < n && i < SUP_MAX_HOTVCPUS;
         i++) {
        json_object *e = json_object_array_get_idx(a, i);
        const char *id = json_object_is_type(e, json_type_string) ? json_object_get_string(e)
                                                                  : NULL;
        if (!id)
            continue;
        if (!ret->hot_vcpus)
            ret->hot_vcpus = xcalloc(n, sizeof(char *));
        ret->hot_vcpus[ret->n_hot_vcpus++] = xstrdup(id);
    }
    a = ql_json_get(o, "removed_devices", json_type_array);
    for (size_t i = 0, n = a ? json_object_array_length(a) : 0; i < n && i < SUP_MAX_HOTDEVS;
         i++) {
        json_object *h = json_object_array_get_idx(a, i);
        int64_t index = ql_json_int64(h, "index", -1);
        struct sup_removed d = {get_str(h, "kind"), 0, get_str(h, "qemu_id")};
        if (!d.kind || !d.qemu_id || index < 0 || index > 1000000) {
            free(d.kind);
            free(d.qemu_id);
            continue;
        }
        d.index = (unsigned)index;
        if (!ret->removed)
            ret->removed = xcalloc(n, sizeof(*ret->removed));
        ret->removed[ret->n_removed++] = d;
    }
    ret->save_tmp = get_str(o, "save_tmp");
    int64_t seq = ql_json_int64(o, "media_seq", 0);
    ret->media_seq = seq > 0 && seq < 1000000 ? (unsigned)seq : 0;
    a = ql_json_get(o, "displays", json_type_array);
    if (a) {
        size_t n = json_object_array_length(a);
        for (size_t i = 0; i < n && ret->n_displays < SUP_MAX_DISPLAYS; i++) {
            json_object *g = json_object_array_get_idx(a, i);
            _cleanup_free_ char *type = get_str(g, "type");
            if (!type || (strcmp(type, "spice") != 0 && strcmp(type, "vnc") != 0))
                continue;
            struct sup_display *d = &ret->displays[ret->n_displays++];
            snprintf(d->type, sizeof(d->type), "%s", type);
            d->host = get_str(g, "socket");
            d->unix_socket = d->host != NULL;
            if (!d->host)
                d->host = get_str(g, "host");
            int64_t port = ql_json_int64(g, "port", 0), tls = ql_json_int64(g, "tls_port", 0);
            d->port = port > 0 && port <= 65535 ? (int)port : 0;
            d->tls_port = tls > 0 && tls <= 65535 ? (int)tls : 0;
        }
    }
    if (!ret->name) {
        sup_status_clear(ret);
        return ql_error_set(err, EBADMSG, "the domain status has no domain name");
    }
    return 0;
}

int sup_status_read(const char *path, struct sup_status *ret, struct ql_error *err)
{
    _cleanup_free_ char *data = NULL;
    memset(ret, 0, sizeof(*ret));
    int r = ql_read_file(path, 1 << 20, &data, NULL, err);
    if (r < 0)
        return r;
    return sup_status_parse(data, path, ret, err);
}

int sup_status_parse(const char *text, const char *path, struct sup_status *ret,
                     struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    json_object *o = json_tokener_parse(text);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return ql_error_set(err, EBADMSG, "state file '%s' is not valid JSON", path);
    }
    int r = sup_status_from_json(o, ret, err);
    json_object_put(o);
    if (r < 0)
        ql_error_prefix(err, "state file '%s'", path);
    return r;
}

unsigned long long sup_proc_start_time(pid_t pid)
{
    if (pid <= 0)
        return 0;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    /* comm may contain spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    /* field 3 is the state: a zombie has exited, whoever has yet to reap it */
    if (p[0] == ' ' && p[1] == 'Z')
        return 0;
    /* starttime is field 22, i.e. the 20th after ')' */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    if (!p)
        return 0;
    return strtoull(p + 1, NULL, 10);
}

bool sup_proc_matches(pid_t pid, unsigned long long start_time)
{
    unsigned long long st = sup_proc_start_time(pid);
    return st != 0 && st == start_time;
}
