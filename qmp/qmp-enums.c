/* String tables for the QAPI enums in qmp.h, and event decoding. */
#include "config.h"

#include <string.h>

#include "qmp/qmp-internal.h"
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

const char *qmp_json_str(json_object *obj, const char *key)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool get_bool(json_object *obj, const char *key, bool *ret)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_boolean))
        return false;
    *ret = json_object_get_boolean(v);
    return true;
}

static int64_t json_int(json_object *obj, const char *key, int64_t dflt)
{
    json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return dflt;
    return json_object_get_int64(v);
}

/* Unknown or missing enum strings become max, as documented in qmp.h. */
static int enum_or_max(int v, int max)
{
    return v < 0 ? max : v;
}

void qmp_event_decode(json_object *msg, struct qmp_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->name = qmp_json_str(msg, "event");
    int t = qmp_event_type_from_string(ev->name);
    ev->type = t < 0 ? QMP_EVENT_UNKNOWN : (enum qmp_event_type)t;

    json_object *data = NULL;
    if (json_object_object_get_ex(msg, "data", &data) &&
        !json_object_is_type(data, json_type_object))
        data = NULL;
    ev->data = data;

    json_object *ts = NULL;
    ev->seconds = -1;
    ev->microseconds = -1;
    if (json_object_object_get_ex(msg, "timestamp", &ts)) {
        ev->seconds = json_int(ts, "seconds", -1);
        ev->microseconds = json_int(ts, "microseconds", -1);
    }

    switch (ev->type) {
    case QMP_EVENT_SHUTDOWN:
    case QMP_EVENT_RESET: {
        struct qmp_event_shutdown *s = ev->type == QMP_EVENT_SHUTDOWN ? &ev->u.shutdown
                                                                       : &ev->u.reset;
        get_bool(data, "guest", &s->guest);
        s->reason_str = qmp_json_str(data, "reason");
        s->reason = enum_or_max(qmp_shutdown_cause_from_string(s->reason_str),
                                QMP_SHUTDOWN_CAUSE_MAX);
        break;
    }
    case QMP_EVENT_GUEST_PANICKED: {
        ev->u.guest_panicked.action =
            enum_or_max(qmp_guest_panic_action_from_string(qmp_json_str(data, "action")),
                        QMP_GUEST_PANIC_ACTION_MAX);
        json_object *info = NULL;
        if (data && json_object_object_get_ex(data, "info", &info) &&
            json_object_is_type(info, json_type_object))
            ev->u.guest_panicked.info = info;
        break;
    }
    case QMP_EVENT_BALLOON_CHANGE:
        ev->u.balloon_change.actual = json_int(data, "actual", -1);
        break;
    case QMP_EVENT_DEVICE_DELETED:
        ev->u.device_deleted.device = qmp_json_str(data, "device");
        ev->u.device_deleted.path = qmp_json_str(data, "path");
        break;
    case QMP_EVENT_BLOCK_IO_ERROR: {
        __typeof__(ev->u.block_io_error) *b = &ev->u.block_io_error;
        b->device = qmp_json_str(data, "device");
        b->node_name = qmp_json_str(data, "node-name");
        b->operation = enum_or_max(qmp_io_operation_from_string(qmp_json_str(data, "operation")),
                                   QMP_IO_OPERATION_MAX);
        b->action = enum_or_max(qmp_block_error_action_from_string(qmp_json_str(data, "action")),
                                QMP_BLOCK_ERROR_ACTION_MAX);
        b->has_nospace = get_bool(data, "nospace", &b->nospace);
        b->reason = qmp_json_str(data, "reason");
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
