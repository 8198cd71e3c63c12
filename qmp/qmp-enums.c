/* String tables for the QAPI enums in qmp.h, and event decoding. */
#include "config.h"

#include <string.h>

#include "qmp/qmp-internal.h"
#include "util/strbuf.h"
#include "util/cleanup.h"

int qmp_enum_lookup(const char *const *table, size_t n, const char *s)
{
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (table[i] && STREQ(table[i], s))
            return (int)i;
    return -1;
}

#define QMP_ENUM_IMPL(name, max, ...)                                                  \
    static const char *const name##_table[] = {__VA_ARGS__};                          \
    _Static_assert(ARRAY_SIZE(name##_table) == max, #name " table is incomplete");    \
    const char *name##_to_string(enum name v)                                          \
    {                                                                                  \
        return (unsigned)v < (unsigned)(max) ? name##_table[v] : NULL;                 \
    }                                                                                  \
    int name##_from_string(const char *s)                                              \
    {                                                                                  \
        return qmp_enum_lookup(name##_table, max, s);                                  \
    }

QMP_ENUM_IMPL(qmp_shutdown_cause, QMP_SHUTDOWN_CAUSE_MAX,
              "none", "host-error", "host-qmp-quit", "host-qmp-system-reset", "host-signal",
              "host-ui", "guest-shutdown", "guest-reset", "guest-panic", "subsystem-reset",
              "snapshot-load")
QMP_ENUM_IMPL(qmp_run_state, QMP_RUN_STATE_MAX,
              "debug", "inmigrate", "internal-error", "io-error", "paused", "postmigrate",
              "prelaunch", "finish-migrate", "restore-vm", "running", "save-vm", "shutdown",
              "suspended", "watchdog", "guest-panicked", "colo")
QMP_ENUM_IMPL(qmp_guest_panic_action, QMP_GUEST_PANIC_ACTION_MAX, "pause", "poweroff", "run")
QMP_ENUM_IMPL(qmp_io_operation, QMP_IO_OPERATION_MAX, "read", "write")
QMP_ENUM_IMPL(qmp_block_error_action, QMP_BLOCK_ERROR_ACTION_MAX, "ignore", "report", "stop")
QMP_ENUM_IMPL(qmp_reboot_action, QMP_REBOOT_ACTION_MAX, "reset", "shutdown")
QMP_ENUM_IMPL(qmp_shutdown_action, QMP_SHUTDOWN_ACTION_MAX, "poweroff", "pause")
QMP_ENUM_IMPL(qmp_panic_action, QMP_PANIC_ACTION_MAX, "pause", "shutdown", "exit-failure", "none")
QMP_ENUM_IMPL(qmp_watchdog_action, QMP_WATCHDOG_ACTION_MAX,
              "reset", "shutdown", "poweroff", "pause", "debug", "none", "inject-nmi")
QMP_ENUM_IMPL(qmp_event_type, QMP_EVENT_MAX,
              NULL, "SHUTDOWN", "RESET", "STOP", "RESUME", "POWERDOWN", "GUEST_PANICKED",
              "BALLOON_CHANGE", "DEVICE_DELETED", "BLOCK_IO_ERROR")

static const char *const conn_state_table[] = {
    "greeting", "negotiating", "ready", "closed", "broken",
};
_Static_assert(ARRAY_SIZE(conn_state_table) == QMP_CONN_STATE_MAX, "conn state table");

const char *qmp_conn_state_to_string(enum qmp_conn_state v)
{
    return (unsigned)v < QMP_CONN_STATE_MAX ? conn_state_table[v] : NULL;
}

bool qmp_shutdown_cause_is_guest(enum qmp_shutdown_cause v)
{
    return v >= QMP_SHUTDOWN_CAUSE_GUEST_SHUTDOWN && v < QMP_SHUTDOWN_CAUSE_MAX &&
           v != QMP_SHUTDOWN_CAUSE_SUBSYSTEM_RESET;
}

bool qmp_version_decode(json_object *info, struct qmp_version *ret)
{
    json_object *q = ql_json_get(info, "qemu", json_type_object);
    ret->major = ql_json_int(q, "major", -1);
    ret->minor = ql_json_int(q, "minor", -1);
    ret->micro = ql_json_int(q, "micro", -1);
    ret->package = xstrdup(ql_json_str(info, "package", ""));
    bool complete = ret->major >= 0 && ret->minor >= 0 && ret->micro >= 0;
    /* what is missing reads as 0, as before any version was known */
    ret->major = ret->major < 0 ? 0 : ret->major;
    ret->minor = ret->minor < 0 ? 0 : ret->minor;
    ret->micro = ret->micro < 0 ? 0 : ret->micro;
    return complete;
}

/* Unknown or missing enum strings become max, as documented in qmp.h. */
static int enum_or_max(int v, int max)
{
    return v < 0 ? max : v;
}

void qmp_event_decode(json_object *msg, struct qmp_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->name = ql_json_str(msg, "event", NULL);
    int t = qmp_event_type_from_string(ev->name);
    ev->type = t < 0 ? QMP_EVENT_UNKNOWN : (enum qmp_event_type)t;

    json_object *data = ql_json_get(msg, "data", json_type_object);
    ev->data = data;

    json_object *ts = ql_json_get(msg, "timestamp", json_type_object);
    ev->seconds = ql_json_int64(ts, "seconds", -1);
    ev->microseconds = ql_json_int64(ts, "microseconds", -1);

    switch (ev->type) {
    case QMP_EVENT_SHUTDOWN:
    case QMP_EVENT_RESET: {
        struct qmp_event_shutdown *s = ev->type == QMP_EVENT_SHUTDOWN ? &ev->u.shutdown
                                                                       : &ev->u.reset;
        s->guest = ql_json_bool(data, "guest", false);
        s->reason_str = ql_json_str(data, "reason", NULL);
        s->reason = enum_or_max(qmp_shutdown_cause_from_string(s->reason_str),
                                QMP_SHUTDOWN_CAUSE_MAX);
        break;
    }
    case QMP_EVENT_GUEST_PANICKED: {
        ev->u.guest_panicked.action =
            enum_or_max(qmp_guest_panic_action_from_string(ql_json_str(data, "action", NULL)),
                        QMP_GUEST_PANIC_ACTION_MAX);
        ev->u.guest_panicked.info = ql_json_get(data, "info", json_type_object);
        break;
    }
    case QMP_EVENT_BALLOON_CHANGE:
        ev->u.balloon_change.actual = ql_json_int64(data, "actual", -1);
        break;
    case QMP_EVENT_DEVICE_DELETED:
        ev->u.device_deleted.device = ql_json_str(data, "device", NULL);
        ev->u.device_deleted.path = ql_json_str(data, "path", NULL);
        break;
    case QMP_EVENT_BLOCK_IO_ERROR: {
        __typeof__(ev->u.block_io_error) *b = &ev->u.block_io_error;
        b->device = ql_json_str(data, "device", NULL);
        b->node_name = ql_json_str(data, "node-name", NULL);
        const char *op = ql_json_str(data, "operation", NULL);
        const char *action = ql_json_str(data, "action", NULL);
        b->operation = enum_or_max(qmp_io_operation_from_string(op), QMP_IO_OPERATION_MAX);
        b->action = enum_or_max(qmp_block_error_action_from_string(action),
                                QMP_BLOCK_ERROR_ACTION_MAX);
        b->has_nospace = ql_json_get(data, "nospace", json_type_boolean) != NULL;
        b->nospace = ql_json_bool(data, "nospace", false);
        b->reason = ql_json_str(data, "reason", NULL);
        break;
    }
    case QMP_EVENT_UNKNOWN:
    case QMP_EVENT_STOP:
    case QMP_EVENT_RESUME:
    case QMP_EVENT_POWERDOWN:
    case QMP_EVENT_MAX:
        break;
    }
}
