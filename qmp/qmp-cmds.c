/* Typed synchronous helpers for the commands the supervisor needs. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "qmp/qmp-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static int bad_reply(const char *command, const char *what, struct ql_error *err)
{
    return ql_error_set(err, EPROTO, "QMP command '%s' returned an unexpected reply: %s",
                        command, what);
}

static int simple(struct qmp_conn *conn, const char *command, json_object *args, int timeout_ms,
                  struct ql_error *err)
{
    return qmp_execute_sync(conn, command, args, timeout_ms, NULL, err);
}

int qmp_query_status_sync(struct qmp_conn *conn, int timeout_ms, bool *ret_running,
                          enum qmp_run_state *ret_state, struct ql_error *err)
{
    _cleanup_json_ json_object *ret = NULL;
    int r = qmp_execute_sync(conn, "query-status", NULL, timeout_ms, &ret, err);
    if (r < 0)
        return r;
    json_object *running = ql_json_get(ret, "running", json_type_boolean);
    if (!running)
        return bad_reply("query-status", "no boolean 'running'", err);
    const char *status = ql_json_str(ret, "status", NULL);
    int st = qmp_run_state_from_string(status);
    if (st < 0)
        return ql_error_set(err, EPROTO, "QMP command 'query-status' returned unknown status '%s'",
                            status ? status : "(none)");
    if (ret_running)
        *ret_running = json_object_get_boolean(running);
    if (ret_state)
        *ret_state = (enum qmp_run_state)st;
    return 0;
}

int qmp_query_version_sync(struct qmp_conn *conn, int timeout_ms, struct qmp_version *ret_version,
                           struct ql_error *err)
{
    _cleanup_json_ json_object *ret = NULL;
    int r = qmp_execute_sync(conn, "query-version", NULL, timeout_ms, &ret, err);
    if (r < 0)
        return r;
    struct qmp_version v = {0};
    if (!qmp_version_decode(ret, &v)) {
        qmp_version_clear(&v);
        return bad_reply("query-version", "no 'qemu' major/minor/micro", err);
    }
    *ret_version = v;
    return 0;
}

int qmp_cont_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err)
{
    return simple(conn, "cont", NULL, timeout_ms, err);
}

int qmp_stop_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err)
{
    return simple(conn, "stop", NULL, timeout_ms, err);
}

int qmp_system_powerdown_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err)
{
    return simple(conn, "system_powerdown", NULL, timeout_ms, err);
}

int qmp_system_reset_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err)
{
    return simple(conn, "system_reset", NULL, timeout_ms, err);
}

int qmp_quit_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err)
{
    struct ql_error e = QL_ERROR_INIT;
    int r = simple(conn, "quit", NULL, timeout_ms, &e);
    /* QEMU may exit before it answers: EOF is the expected outcome, not a failure. */
    if (r == -ECONNRESET && qmp_conn_get_state(conn) == QMP_CONN_CLOSED)
        r = 0;
    else if (r < 0)
        ql_error_set(err, e.code, "%s", ql_error_msg(&e));
    ql_error_clear(&e);
    return r;
}

int qmp_set_action_sync(struct qmp_conn *conn, int timeout_ms, const struct qmp_actions *a,
                        struct ql_error *err)
{
    _cleanup_json_ json_object *args = json_object_new_object();
    const char *v;
#define ADD(flag, key, fn, val)                                                            \
    if (a->flag) {                                                                         \
        if (!(v = fn(val)))                                                                \
            return ql_error_set(err, EINVAL, "set-action: invalid %s action %d", key,      \
                                (int)(val));                                              \
        json_object_object_add(args, key, json_object_new_string(v));                      \
    }
    ADD(set_reboot, "reboot", qmp_reboot_action_to_string, a->reboot)
    ADD(set_shutdown, "shutdown", qmp_shutdown_action_to_string, a->shutdown)
    ADD(set_panic, "panic", qmp_panic_action_to_string, a->panic)
    ADD(set_watchdog, "watchdog", qmp_watchdog_action_to_string, a->watchdog)
#undef ADD
    return simple(conn, "set-action", args, timeout_ms, err);
}

int qmp_set_password_sync(struct qmp_conn *conn, int timeout_ms, const char *protocol,
                          const char *password, const char *connected, struct ql_error *err)
{
    _cleanup_json_ json_object *args = json_object_new_object();
    json_object_object_add(args, "protocol", json_object_new_string(protocol));
    json_object_object_add(args, "password", json_object_new_string(password));
    if (connected)
        json_object_object_add(args, "connected", json_object_new_string(connected));
    return simple(conn, "set_password", args, timeout_ms, err);
}

int qmp_expire_password_sync(struct qmp_conn *conn, int timeout_ms, const char *protocol,
                             const char *time, struct ql_error *err)
{
    _cleanup_json_ json_object *args = json_object_new_object();
    json_object_object_add(args, "protocol", json_object_new_string(protocol));
    json_object_object_add(args, "time", json_object_new_string(time));
    return simple(conn, "expire_password", args, timeout_ms, err);
}

int qmp_dump_guest_memory_sync(struct qmp_conn *conn, int timeout_ms, const char *protocol,
                               bool paging, const char *format, bool detach,
                               struct ql_error *err)
{
    _cleanup_json_ json_object *args = json_object_new_object();
    json_object_object_add(args, "paging", json_object_new_boolean(paging));
    json_object_object_add(args, "protocol", json_object_new_string(protocol));
    if (detach)
        json_object_object_add(args, "detach", json_object_new_boolean(true));
    if (format)
        json_object_object_add(args, "format", json_object_new_string(format));
    return simple(conn, "dump-guest-memory", args, timeout_ms, err);
}

void qmp_chardev_list_free(struct qmp_chardev *list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++) {
        free(list[i].label);
        free(list[i].filename);
    }
    free(list);
}

int qmp_query_chardev_sync(struct qmp_conn *conn, int timeout_ms, struct qmp_chardev **ret_list,
                           size_t *ret_count, struct ql_error *err)
{
    _cleanup_json_ json_object *ret = NULL;
    int r = qmp_execute_sync(conn, "query-chardev", NULL, timeout_ms, &ret, err);
    if (r < 0)
        return r;
    if (!json_object_is_type(ret, json_type_array))
        return bad_reply("query-chardev", "not an array", err);
    size_t n = json_object_array_length(ret);
    struct qmp_chardev *list = xcalloc(n ? n : 1, sizeof(*list));
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(ret, i);
        const char *label = ql_json_str(c, "label", NULL);
        const char *filename = ql_json_str(c, "filename", NULL);
        if (!label || !filename) {
            qmp_chardev_list_free(list, n);
            return bad_reply("query-chardev", "entry without 'label' or 'filename'", err);
        }
        list[i].label = xstrdup(label);
        list[i].filename = xstrdup(filename);
        list[i].frontend_open = ql_json_bool(c, "frontend-open", false);
        if (strncmp(filename, "pty:", 4) == 0)
            list[i].pty_path = list[i].filename + 4;
    }
    *ret_list = list;
    *ret_count = n;
    return 0;
}

const char *qmp_chardev_pty(const struct qmp_chardev *list, size_t count, const char *label)
{
    for (size_t i = 0; i < count; i++)
        if (STREQ(list[i].label, label))
            return list[i].pty_path;
    return NULL;
}

void qmp_pci_list_free(struct qmp_pci_device *list, size_t count)
{
    if (!list)
        return;
    for (size_t i = 0; i < count; i++)
        free(list[i].qdev_id);
    free(list);
}

struct pci_acc {
    struct qmp_pci_device *v;
    size_t n, cap;
};

/* Bridges nest their devices; depth is bounded by the JSON parser's depth limit. */
static int pci_collect(json_object *devices, struct pci_acc *acc, struct ql_error *err)
{
    if (!json_object_is_type(devices, json_type_array))
        return bad_reply("query-pci", "'devices' is not an array", err);
    size_t n = json_object_array_length(devices);
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(devices, i);
        json_object *id = ql_json_get(d, "id", json_type_object);
        struct qmp_pci_device dev = {
            .bus = ql_json_int(d, "bus", -1),
            .slot = ql_json_int(d, "slot", -1),
            .function = ql_json_int(d, "function", -1),
            .vendor = ql_json_int(id, "vendor", -1),
            .device = ql_json_int(id, "device", -1),
            .class_code = ql_json_int(ql_json_get(d, "class_info", json_type_object), "class", 0),
        };
        if (dev.bus < 0 || dev.slot < 0 || dev.function < 0 || dev.vendor < 0 || dev.device < 0)
            return bad_reply("query-pci", "device without bus/slot/function/id", err);
        const char *qdev = ql_json_str(d, "qdev_id", NULL);
        dev.qdev_id = xstrdup(qdev ? qdev : "");
        if (acc->n == acc->cap) {
            acc->cap = acc->cap ? acc->cap * 2 : 16;
            acc->v = xrealloc(acc->v, acc->cap * sizeof(*acc->v));
        }
        acc->v[acc->n++] = dev;
        json_object *br = ql_json_get(d, "pci_bridge", json_type_object), *sub;
        if (br && json_object_object_get_ex(br, "devices", &sub)) {
            int r = pci_collect(sub, acc, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int qmp_query_pci_sync(struct qmp_conn *conn, int timeout_ms, struct qmp_pci_device **ret_list,
                       size_t *ret_count, struct ql_error *err)
{
    _cleanup_json_ json_object *ret = NULL;
    int r = qmp_execute_sync(conn, "query-pci", NULL, timeout_ms, &ret, err);
    if (r < 0)
        return r;
    if (!json_object_is_type(ret, json_type_array))
        return bad_reply("query-pci", "not an array", err);
    struct pci_acc acc = {0};
    for (size_t i = 0; i < json_object_array_length(ret); i++) {
        json_object *bus = json_object_array_get_idx(ret, i), *devs;
        if (!json_object_object_get_ex(bus, "devices", &devs)) {
            r = bad_reply("query-pci", "bus without 'devices'", err);
            break;
        }
        r = pci_collect(devs, &acc, err);
        if (r < 0)
            break;
    }
    if (r < 0) {
        qmp_pci_list_free(acc.v, acc.n);
        return r;
    }
    *ret_list = acc.v ? acc.v : xcalloc(1, sizeof(*acc.v));
    *ret_count = acc.n;
    return 0;
}
