/* QMP client library ("libqmp"): talks to one QEMU monitor over a unix stream socket.
 *
 * Model: one struct qmp_conn per socket. The connection is non-blocking and driven by the
 * caller's poll loop (qmp_conn_fd, qmp_conn_poll_events, qmp_conn_on_readable,
 * qmp_conn_on_writable); replies and events arrive through callbacks. The *_sync helpers
 * run their own poll loop on the same connection with a timeout, dispatching events that
 * arrive meanwhile to the event callback, so both styles can be mixed.
 *
 * On the wire: the greeting is read first, then the library sends qmp_capabilities (no OOB)
 * by itself; commands queued before that are held and sent once negotiation succeeded.
 * Every command carries a numeric "id" and replies are matched by id, so any number of
 * commands may be in flight. Every callback given to qmp_send is called exactly once: with
 * the reply, or with an error when the connection ends first.
 *
 * Callbacks must not free the connection, except the closed callback, which may unless a
 * *_sync call is running on it.
 * Errors are 0 / -errno plus a struct ql_error holding one sentence. Codes used:
 *   -EREMOTEIO  QEMU answered with an error reply (class and desc in the message)
 *   -ECONNRESET QEMU closed the connection (EOF) or the socket failed
 *   -EPROTO     the peer sent invalid JSON, invalid UTF-8 or something that is not QMP
 *   -EMSGSIZE   a message exceeded the size limit (the connection is then broken)
 *   -ETIMEDOUT  a *_sync call ran out of time (the command's late reply is discarded)
 *   -ECANCELED  the connection was freed with the command still pending
 */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define QMP_DEFAULT_MAX_MESSAGE (1024 * 1024)
/* Cap on queued, not yet written output. */
#define QMP_MAX_OUTPUT (8 * 1024 * 1024)

struct qmp_conn;

/* ---- enums (QEMU 7.2 QAPI); each has to/from-string, from_string returns -1 if unknown ---- */

/* qapi/run-state.json ShutdownCause, in QEMU's order. */
enum qmp_shutdown_cause {
    QMP_SHUTDOWN_CAUSE_NONE,
    QMP_SHUTDOWN_CAUSE_HOST_ERROR,
    QMP_SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    QMP_SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    QMP_SHUTDOWN_CAUSE_HOST_SIGNAL,
    QMP_SHUTDOWN_CAUSE_HOST_UI,
    QMP_SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    QMP_SHUTDOWN_CAUSE_GUEST_RESET,
    QMP_SHUTDOWN_CAUSE_GUEST_PANIC,
    QMP_SHUTDOWN_CAUSE_SUBSYSTEM_RESET,
    QMP_SHUTDOWN_CAUSE_SNAPSHOT_LOAD,
    QMP_SHUTDOWN_CAUSE_MAX
};
const char *qmp_shutdown_cause_to_string(enum qmp_shutdown_cause v);
int qmp_shutdown_cause_from_string(const char *s);
/* QEMU's shutdown_caused_by_guest(): guest-shutdown and later, except subsystem-reset. */
bool qmp_shutdown_cause_is_guest(enum qmp_shutdown_cause v);

/* RunState, as returned by query-status. */
enum qmp_run_state {
    QMP_RUN_STATE_DEBUG,
    QMP_RUN_STATE_INMIGRATE,
    QMP_RUN_STATE_INTERNAL_ERROR,
    QMP_RUN_STATE_IO_ERROR,
    QMP_RUN_STATE_PAUSED,
    QMP_RUN_STATE_POSTMIGRATE,
    QMP_RUN_STATE_PRELAUNCH,
    QMP_RUN_STATE_FINISH_MIGRATE,
    QMP_RUN_STATE_RESTORE_VM,
    QMP_RUN_STATE_RUNNING,
    QMP_RUN_STATE_SAVE_VM,
    QMP_RUN_STATE_SHUTDOWN,
    QMP_RUN_STATE_SUSPENDED,
    QMP_RUN_STATE_WATCHDOG,
    QMP_RUN_STATE_GUEST_PANICKED,
    QMP_RUN_STATE_COLO,
    QMP_RUN_STATE_MAX
};
const char *qmp_run_state_to_string(enum qmp_run_state v);
int qmp_run_state_from_string(const char *s);

/* GUEST_PANICKED "action" (GuestPanicAction). */
enum qmp_guest_panic_action {
    QMP_GUEST_PANIC_ACTION_PAUSE,
    QMP_GUEST_PANIC_ACTION_POWEROFF,
    QMP_GUEST_PANIC_ACTION_RUN,
    QMP_GUEST_PANIC_ACTION_MAX
};
const char *qmp_guest_panic_action_to_string(enum qmp_guest_panic_action v);
int qmp_guest_panic_action_from_string(const char *s);

/* BLOCK_IO_ERROR "operation" (IoOperationType). */
enum qmp_io_operation { QMP_IO_OPERATION_READ, QMP_IO_OPERATION_WRITE, QMP_IO_OPERATION_MAX };
const char *qmp_io_operation_to_string(enum qmp_io_operation v);
int qmp_io_operation_from_string(const char *s);

/* BLOCK_IO_ERROR "action" (BlockErrorAction). */
enum qmp_block_error_action {
    QMP_BLOCK_ERROR_ACTION_IGNORE,
    QMP_BLOCK_ERROR_ACTION_REPORT,
    QMP_BLOCK_ERROR_ACTION_STOP,
    QMP_BLOCK_ERROR_ACTION_MAX
};
const char *qmp_block_error_action_to_string(enum qmp_block_error_action v);
int qmp_block_error_action_from_string(const char *s);

/* set-action arguments. */
enum qmp_reboot_action {
    QMP_REBOOT_ACTION_RESET,
    QMP_REBOOT_ACTION_SHUTDOWN,
    QMP_REBOOT_ACTION_MAX
};
const char *qmp_reboot_action_to_string(enum qmp_reboot_action v);
int qmp_reboot_action_from_string(const char *s);

enum qmp_shutdown_action {
    QMP_SHUTDOWN_ACTION_POWEROFF,
    QMP_SHUTDOWN_ACTION_PAUSE,
    QMP_SHUTDOWN_ACTION_MAX
};
const char *qmp_shutdown_action_to_string(enum qmp_shutdown_action v);
int qmp_shutdown_action_from_string(const char *s);

enum qmp_panic_action {
    QMP_PANIC_ACTION_PAUSE,
    QMP_PANIC_ACTION_SHUTDOWN,
    QMP_PANIC_ACTION_EXIT_FAILURE,
    QMP_PANIC_ACTION_NONE,
    QMP_PANIC_ACTION_MAX
};
const char *qmp_panic_action_to_string(enum qmp_panic_action v);
int qmp_panic_action_from_string(const char *s);

enum qmp_watchdog_action {
    QMP_WATCHDOG_ACTION_RESET,
    QMP_WATCHDOG_ACTION_SHUTDOWN,
    QMP_WATCHDOG_ACTION_POWEROFF,
    QMP_WATCHDOG_ACTION_PAUSE,
    QMP_WATCHDOG_ACTION_DEBUG,
    QMP_WATCHDOG_ACTION_NONE,
    QMP_WATCHDOG_ACTION_INJECT_NMI,
    QMP_WATCHDOG_ACTION_MAX
};
const char *qmp_watchdog_action_to_string(enum qmp_watchdog_action v);
int qmp_watchdog_action_from_string(const char *s);

/* ---- events ---- */

enum qmp_event_type {
    QMP_EVENT_UNKNOWN,          /* any other event: use name and data */
    QMP_EVENT_SHUTDOWN,
    QMP_EVENT_RESET,
    QMP_EVENT_STOP,
    QMP_EVENT_RESUME,
    QMP_EVENT_POWERDOWN,
    QMP_EVENT_GUEST_PANICKED,
    QMP_EVENT_BALLOON_CHANGE,
    QMP_EVENT_DEVICE_DELETED,
    QMP_EVENT_BLOCK_IO_ERROR,
    QMP_EVENT_MAX
};
/* Names are QEMU's ("SHUTDOWN", ...); QMP_EVENT_UNKNOWN maps to NULL / from any other name. */
const char *qmp_event_type_to_string(enum qmp_event_type v);
int qmp_event_type_from_string(const char *s);

/* SHUTDOWN and RESET. A reason QEMU did not send or this library does not know is
 * QMP_SHUTDOWN_CAUSE_MAX (reason_str then holds QEMU's string, or NULL). */
struct qmp_event_shutdown {
    bool guest;
    enum qmp_shutdown_cause reason;
    const char *reason_str;
};

/* Decoded event. Every pointer is borrowed and valid only during the callback.
 * Unknown enum strings decode to the enum's _MAX value; the raw data stays in data. */
struct qmp_event {
    enum qmp_event_type type;
    const char *name;
    json_object *data;          /* NULL when the event has no "data" */
    int64_t seconds;            /* timestamp; -1/-1 when QEMU had no host time */
    int64_t microseconds;
    union {
        struct qmp_event_shutdown shutdown;     /* QMP_EVENT_SHUTDOWN */
        struct qmp_event_shutdown reset;        /* QMP_EVENT_RESET */
        struct {
            enum qmp_guest_panic_action action;
            json_object *info;                  /* optional GuestPanicInformation, or NULL */
        } guest_panicked;
        struct {
            int64_t actual;                     /* bytes */
        } balloon_change;
        struct {
            const char *device;                 /* qdev id, NULL when the device had none */
            const char *path;                   /* QOM path */
        } device_deleted;
        struct {
            const char *device;                 /* "" for devices without a BlockBackend name */
            const char *node_name;              /* NULL when absent */
            enum qmp_io_operation operation;
            enum qmp_block_error_action action;
            bool has_nospace;
            bool nospace;
            const char *reason;
        } block_io_error;
    } u;
};

/* ---- connection ---- */

enum qmp_conn_state {
    QMP_CONN_GREETING,      /* waiting for the greeting */
    QMP_CONN_NEGOTIATING,   /* qmp_capabilities sent */
    QMP_CONN_READY,         /* command mode */
    QMP_CONN_CLOSED,        /* EOF or socket error */
    QMP_CONN_BROKEN,        /* protocol error: nothing more is read or sent */
    QMP_CONN_STATE_MAX
};
const char *qmp_conn_state_to_string(enum qmp_conn_state v);

struct qmp_version {
    int major, minor, micro;
    char *package;          /* owned */
};
void qmp_version_clear(struct qmp_version *v);

/* A command's outcome. error is 0 with ret set (borrowed, the "return" value), or -EREMOTEIO
 * with error_class/error_desc from QEMU, or another -errno when no reply came (see top).
 * message is one sentence naming the command whenever error != 0. */
struct qmp_reply {
    uint64_t id;
    const char *command;
    int error;
    json_object *ret;
    const char *error_class;
    const char *error_desc;
    const char *message;
};

typedef void (*qmp_reply_cb)(struct qmp_conn *conn, const struct qmp_reply *reply, void *opaque);

struct qmp_callbacks {
    /* Negotiation finished, the connection is in command mode. */
    void (*ready)(struct qmp_conn *conn, void *opaque);
    /* Any event, typed when known. */
    void (*event)(struct qmp_conn *conn, const struct qmp_event *ev, void *opaque);
    /* The connection ended (EOF, socket error or protocol error); called once, after the
     * pending commands' callbacks. The fd stays open until qmp_conn_free. */
    void (*closed)(struct qmp_conn *conn, const struct ql_error *why, void *opaque);
};

/* Takes ownership of fd (a connected stream socket) and makes it non-blocking and
 * close-on-exec. cb may be NULL. Never fails except on allocation (which aborts). */
struct qmp_conn *qmp_conn_new_fd(int fd, const struct qmp_callbacks *cb, void *opaque);
/* Connects to a unix socket path (no retry: the launcher pre-binds the socket). */
int qmp_connect_unix(const char *path, const struct qmp_callbacks *cb, void *opaque,
                     struct qmp_conn **ret_conn, struct ql_error *err);
/* Fails pending commands with -ECANCELED (callbacks run), closes the fd, frees. NULL-safe. */
void qmp_conn_free(struct qmp_conn *conn);

int qmp_conn_fd(const struct qmp_conn *conn);
enum qmp_conn_state qmp_conn_get_state(const struct qmp_conn *conn);
/* Largest accepted message in bytes (default QMP_DEFAULT_MAX_MESSAGE). */
void qmp_conn_set_max_message(struct qmp_conn *conn, size_t max);
/* Writes "-> JSON" / "<- JSON" lines to f (NULL stops); secrets are replaced by "***". */
void qmp_conn_set_transcript(struct qmp_conn *conn, FILE *f);
/* The greeting's QEMU version, or NULL before the greeting. */
const struct qmp_version *qmp_conn_version(const struct qmp_conn *conn);
/* Whether the greeting listed a capability such as "oob". */
bool qmp_conn_has_capability(const struct qmp_conn *conn, const char *cap);
/* Commands sent and not yet answered. */
size_t qmp_conn_pending(const struct qmp_conn *conn);

/* POLLIN, plus POLLOUT while output is queued; 0 once closed or broken. */
short qmp_conn_poll_events(const struct qmp_conn *conn);
bool qmp_conn_wants_write(const struct qmp_conn *conn);
/* Reads once and dispatches every complete message. Returns 0, or -errno once the
 * connection is closed or broken (err says why; the closed callback has run). */
int qmp_conn_on_readable(struct qmp_conn *conn, struct ql_error *err);
/* Writes queued output. Returns 0 or -errno (EOF is reported by the read side). */
int qmp_conn_on_writable(struct qmp_conn *conn, struct ql_error *err);

/* Queues a command; args (may be NULL) is borrowed. cb may be NULL to ignore the reply.
 * Fails only when the connection is already closed or broken, or output is over the cap. */
int qmp_send(struct qmp_conn *conn, const char *command, json_object *args, qmp_reply_cb cb,
             void *opaque, uint64_t *ret_id, struct ql_error *err);
/* qmp_send with fd (duplicated; the caller keeps its own) passed along with the command
 * (SCM_RIGHTS), for getfd and add-fd. Only once QMP is ready; one file at a time. */
int qmp_send_fd(struct qmp_conn *conn, const char *command, json_object *args, int fd,
                qmp_reply_cb cb, void *opaque, uint64_t *ret_id, struct ql_error *err);
/* Queues raw JSON text: an object with a string "execute" (and optional "arguments");
 * any "id" in it is replaced by the library's own. */
int qmp_send_raw(struct qmp_conn *conn, const char *json_text, qmp_reply_cb cb, void *opaque,
                 uint64_t *ret_id, struct ql_error *err);

/* ---- synchronous helpers: timeout_ms < 0 waits forever ---- */

/* Waits for the greeting and the end of negotiation. */
int qmp_handshake_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err);
/* Runs one command. *ret_return (optional) gets a reference the caller must put.
 * A QEMU error gives -EREMOTEIO and "QMP command 'cont' failed: GenericError: ...". */
int qmp_execute_sync(struct qmp_conn *conn, const char *command, json_object *args,
                     int timeout_ms, json_object **ret_return, struct ql_error *err);
/* Runs raw JSON (see qmp_send_raw). A QEMU error reply is not a failure here: *ret_reply
 * gets the whole reply object ({"return": ...} or {"error": ...}, without "id"). */
int qmp_execute_raw_sync(struct qmp_conn *conn, const char *json_text, int timeout_ms,
                         json_object **ret_reply, struct ql_error *err);

int qmp_query_status_sync(struct qmp_conn *conn, int timeout_ms, bool *ret_running,
                          enum qmp_run_state *ret_state, struct ql_error *err);
int qmp_query_version_sync(struct qmp_conn *conn, int timeout_ms, struct qmp_version *ret_version,
                           struct ql_error *err);
int qmp_cont_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err);
int qmp_stop_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err);
int qmp_system_powerdown_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err);
int qmp_system_reset_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err);
/* Succeeds on the reply or on EOF (QEMU may exit before answering). Events that arrive
 * before the reply (SHUTDOWN) are dispatched; later ones need more qmp_conn_on_readable. */
int qmp_quit_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err);

/* set-action: only the members whose set_* flag is true are sent. */
struct qmp_actions {
    bool set_reboot, set_shutdown, set_panic, set_watchdog;
    enum qmp_reboot_action reboot;
    enum qmp_shutdown_action shutdown;
    enum qmp_panic_action panic;
    enum qmp_watchdog_action watchdog;
};
int qmp_set_action_sync(struct qmp_conn *conn, int timeout_ms, const struct qmp_actions *actions,
                        struct ql_error *err);
/* protocol "vnc" or "spice"; connected NULL or "keep"/"fail"/"disconnect". */
int qmp_set_password_sync(struct qmp_conn *conn, int timeout_ms, const char *protocol,
                          const char *password, const char *connected, struct ql_error *err);
/* time: "now", "never", "+SECONDS" or an absolute UNIX time in seconds. */
int qmp_expire_password_sync(struct qmp_conn *conn, int timeout_ms, const char *protocol,
                             const char *time, struct ql_error *err);
/* protocol "file:PATH" or "fd:NAME"; format NULL (elf) or "kdump-zlib", ... */
int qmp_dump_guest_memory_sync(struct qmp_conn *conn, int timeout_ms, const char *protocol,
                               bool paging, const char *format, bool detach,
                               struct ql_error *err);

struct qmp_chardev {
    char *label;
    char *filename;         /* e.g. "pty:/dev/pts/3", "unix:/run/x.sock,server=on" */
    bool frontend_open;
    const char *pty_path;   /* points into filename after "pty:", or NULL */
};
int qmp_query_chardev_sync(struct qmp_conn *conn, int timeout_ms, struct qmp_chardev **ret_list,
                           size_t *ret_count, struct ql_error *err);
/* Returns the pty path of chardev label, or NULL. */
const char *qmp_chardev_pty(const struct qmp_chardev *list, size_t count, const char *label);
void qmp_chardev_list_free(struct qmp_chardev *list, size_t count);

/* One PCI function; devices behind bridges are included (their bus is the bridge's
 * secondary bus number). */
struct qmp_pci_device {
    int bus, slot, function;
    int vendor, device;     /* PCI ids */
    int class_code;         /* class_info.class */
    char *qdev_id;          /* "" when the device has no id */
};
int qmp_query_pci_sync(struct qmp_conn *conn, int timeout_ms, struct qmp_pci_device **ret_list,
                       size_t *ret_count, struct ql_error *err);
void qmp_pci_list_free(struct qmp_pci_device *list, size_t count);
