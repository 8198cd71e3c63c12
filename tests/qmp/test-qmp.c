/* QMP client tests against a fake QEMU replaying transcripts recorded from QEMU 7.2
 * (tests/qmp/NAME.replies), plus in-process framing tests on a socketpair. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "qmp/qmp.h"
#include "tests/qmp/fake-qemu.h"
#include "util/strbuf.h"

#define T 5000  /* ms; the fake answers at once */
#define MAX_EV 32

struct ev_copy {
    enum qmp_event_type type;
    char *name;
    char *data;         /* JSON text or NULL */
    struct qmp_event ev;    /* scalar fields only; pointers are dangling after the callback */
    char *s1, *s2;      /* copies of the event's main strings */
};

struct ctx {
    struct ev_copy ev[MAX_EV];
    size_t nev;
    int ready, closed;
    int closed_code;
    char *closed_msg;
};

static void on_event(struct qmp_conn *conn, const struct qmp_event *ev, void *opaque)
{
    struct ctx *c = opaque;
    assert_true(c->nev < MAX_EV);
    struct ev_copy *e = &c->ev[c->nev++];
    e->type = ev->type;
    e->name = strdup(ev->name);
    e->data = ev->data ? strdup(json_object_to_json_string_ext(ev->data, JSON_C_TO_STRING_PLAIN))
                       : NULL;
    e->ev = *ev;
    switch (ev->type) {
    case QMP_EVENT_SHUTDOWN:
        e->s1 = ev->u.shutdown.reason_str ? strdup(ev->u.shutdown.reason_str) : NULL;
        break;
    case QMP_EVENT_DEVICE_DELETED:
        e->s1 = ev->u.device_deleted.device ? strdup(ev->u.device_deleted.device) : NULL;
        e->s2 = strdup(ev->u.device_deleted.path);
        break;
    case QMP_EVENT_BLOCK_IO_ERROR:
        e->s1 = strdup(ev->u.block_io_error.node_name);
        e->s2 = strdup(ev->u.block_io_error.reason);
        break;
    default:
        break;
    }
}

static void on_ready(struct qmp_conn *conn, void *opaque)
{
    ((struct ctx *)opaque)->ready++;
}

static void on_closed(struct qmp_conn *conn, const struct ql_error *why, void *opaque)
{
    struct ctx *c = opaque;
    c->closed++;
    c->closed_code = why->code;
    free(c->closed_msg);
    c->closed_msg = strdup(ql_error_msg(why));
}

static const struct qmp_callbacks cbs = {
    .ready = on_ready, .event = on_event, .closed = on_closed,
};

static void ctx_clear(struct ctx *c)
{
    for (size_t i = 0; i < c->nev; i++) {
        free(c->ev[i].name);
        free(c->ev[i].data);
        free(c->ev[i].s1);
        free(c->ev[i].s2);
    }
    free(c->closed_msg);
    memset(c, 0, sizeof(*c));
}

/* One fake-QEMU session: connect, handshake. */
struct session {
    pid_t pid;
    struct qmp_conn *conn;
    struct ctx ctx;
};

static void session_start(struct session *s, const char *name)
{
    memset(s, 0, sizeof(*s));
    int fd;
    s->pid = fake_qemu_start(name, &fd);
    s->conn = qmp_conn_new_fd(fd, &cbs, &s->ctx);
    struct ql_error err = QL_ERROR_INIT;
    int r = qmp_handshake_sync(s->conn, T, &err);
    if (r < 0)
        fail_msg("handshake: %s", ql_error_msg(&err));
    assert_int_equal(s->ctx.ready, 1);
    assert_int_equal(qmp_conn_get_state(s->conn), QMP_CONN_READY);
}

/* Frees the connection and checks that the fake saw exactly the transcript. */
static void session_end(struct session *s)
{
    qmp_conn_free(s->conn);
    assert_int_equal(fake_qemu_wait(s->pid), 0);
    ctx_clear(&s->ctx);
}

/* Reads until the fake closes the connection. */
static void drain_to_eof(struct session *s)
{
    struct ql_error err = QL_ERROR_INIT;
    for (int i = 0; i < 1000 && qmp_conn_get_state(s->conn) == QMP_CONN_READY; i++) {
        struct pollfd p = {.fd = qmp_conn_fd(s->conn), .events = POLLIN};
        assert_int_equal(poll(&p, 1, T), 1);
        (void)qmp_conn_on_readable(s->conn, &err);
    }
    assert_int_equal(qmp_conn_get_state(s->conn), QMP_CONN_CLOSED);
    assert_int_equal(err.code, ECONNRESET);
    assert_string_equal(err.msg, "QEMU closed the QMP connection");
    ql_error_clear(&err);
}

/* ---- transcripts replayed ---- */

static void test_handshake(void **state)
{
    struct session s;
    session_start(&s, "handshake");
    const struct qmp_version *v = qmp_conn_version(s.conn);
    assert_non_null(v);
    assert_int_equal(v->major, 7);
    assert_int_equal(v->minor, 2);
    assert_int_equal(v->micro, 22);
    assert_non_null(strstr(v->package, "Debian"));
    assert_true(qmp_conn_has_capability(s.conn, "oob"));
    assert_false(qmp_conn_has_capability(s.conn, "nope"));
    assert_int_equal(qmp_conn_pending(s.conn), 0);
    session_end(&s);
}

static void test_query_status(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    bool running = true;
    enum qmp_run_state st;
    session_start(&s, "query-status");
    assert_int_equal(qmp_query_status_sync(s.conn, T, &running, &st, &err), 0);
    assert_false(running);
    assert_int_equal(st, QMP_RUN_STATE_PRELAUNCH);
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(s.ctx.nev, 1);
    assert_int_equal(s.ctx.ev[0].type, QMP_EVENT_RESUME);
    assert_null(s.ctx.ev[0].data);
    assert_int_equal(s.ctx.ev[0].ev.seconds, 1795650343);
    assert_int_equal(qmp_query_status_sync(s.conn, T, &running, &st, &err), 0);
    assert_true(running);
    assert_int_equal(st, QMP_RUN_STATE_RUNNING);
    assert_int_equal(qmp_stop_sync(s.conn, T, &err), 0);
    assert_int_equal(s.ctx.ev[1].type, QMP_EVENT_STOP);
    assert_int_equal(qmp_query_status_sync(s.conn, T, &running, &st, &err), 0);
    assert_false(running);
    assert_int_equal(st, QMP_RUN_STATE_PAUSED);
    assert_null(err.msg);
    session_end(&s);
}

static void test_query_version(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    struct qmp_version v;
    session_start(&s, "query-version");
    assert_int_equal(qmp_query_version_sync(s.conn, T, &v, &err), 0);
    assert_int_equal(v.major, 7);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.micro, 22);
    assert_string_equal(v.package, "Debian 1:7.2+dfsg-7+deb12u18+b3");
    qmp_version_clear(&v);
    session_end(&s);
}

static void test_lifecycle(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "lifecycle");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_system_reset_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_system_powerdown_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_stop_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_quit_sync(s.conn, T, &err), 0);
    assert_null(err.msg);
    drain_to_eof(&s);
    struct ctx *c = &s.ctx;
    assert_int_equal(c->nev, 5);
    assert_int_equal(c->ev[0].type, QMP_EVENT_RESUME);
    assert_int_equal(c->ev[1].type, QMP_EVENT_RESET);
    assert_false(c->ev[1].ev.u.reset.guest);
    assert_int_equal(c->ev[1].ev.u.reset.reason, QMP_SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    assert_int_equal(c->ev[2].type, QMP_EVENT_POWERDOWN);
    assert_int_equal(c->ev[3].type, QMP_EVENT_STOP);
    assert_int_equal(c->ev[4].type, QMP_EVENT_SHUTDOWN);
    assert_false(c->ev[4].ev.u.shutdown.guest);
    assert_int_equal(c->ev[4].ev.u.shutdown.reason, QMP_SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    assert_string_equal(c->ev[4].s1, "host-qmp-quit");
    assert_int_equal(c->ev[4].ev.microseconds, 372061);
    assert_int_equal(c->closed, 1);
    assert_int_equal(c->closed_code, ECONNRESET);
    /* A closed connection refuses new commands at once. */
    assert_int_equal(qmp_stop_sync(s.conn, T, &err), -ECONNRESET);
    assert_string_equal(err.msg, "cannot send QMP command 'stop': QEMU closed the QMP connection");
    ql_error_clear(&err);
    session_end(&s);
}

static void test_set_action(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "set-action");
    struct qmp_actions a = {
        .set_reboot = true, .reboot = QMP_REBOOT_ACTION_SHUTDOWN,
        .set_shutdown = true, .shutdown = QMP_SHUTDOWN_ACTION_PAUSE,
        .set_panic = true, .panic = QMP_PANIC_ACTION_PAUSE,
        .set_watchdog = true, .watchdog = QMP_WATCHDOG_ACTION_DEBUG,
    };
    assert_int_equal(qmp_set_action_sync(s.conn, T, &a, &err), 0);
    struct qmp_actions b = {.set_reboot = true, .reboot = QMP_REBOOT_ACTION_RESET};
    assert_int_equal(qmp_set_action_sync(s.conn, T, &b, &err), 0);
    json_object *args = json_tokener_parse("{\"panic\": \"bogus\"}");
    json_object *ret = NULL;
    assert_int_equal(qmp_execute_sync(s.conn, "set-action", args, T, &ret, &err), -EREMOTEIO);
    assert_null(ret);
    assert_string_equal(err.msg, "QMP command 'set-action' failed: GenericError: "
                                 "Parameter 'panic' does not accept value 'bogus'");
    ql_error_clear(&err);
    json_object_put(args);
    struct qmp_actions bad = {.set_panic = true, .panic = QMP_PANIC_ACTION_MAX};
    assert_int_equal(qmp_set_action_sync(s.conn, T, &bad, &err), -EINVAL);
    ql_error_clear(&err);
    session_end(&s);
}

static void test_cont_error(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    enum qmp_run_state st;
    session_start(&s, "cont-error");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_system_reset_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_query_status_sync(s.conn, T, NULL, &st, &err), 0);
    assert_int_equal(st, QMP_RUN_STATE_SHUTDOWN);
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), -EREMOTEIO);
    assert_int_equal(err.code, EREMOTEIO);
    assert_string_equal(err.msg, "QMP command 'cont' failed: GenericError: "
                                 "Resetting the Virtual Machine is required");
    ql_error_clear(&err);
    assert_int_equal(s.ctx.nev, 3);
    assert_int_equal(s.ctx.ev[1].type, QMP_EVENT_SHUTDOWN);
    assert_int_equal(s.ctx.ev[1].ev.u.shutdown.reason, QMP_SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    assert_int_equal(s.ctx.ev[2].type, QMP_EVENT_STOP);
    assert_int_equal(qmp_conn_get_state(s.conn), QMP_CONN_READY);
    session_end(&s);
}

static void test_raw_and_unknown_command(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    json_object *reply = NULL;
    session_start(&s, "unknown-command");
    assert_int_equal(qmp_execute_raw_sync(s.conn, "{\"execute\": \"no-such-command\", \"id\": "
                                          "\"mine\"}", T, &reply, &err), 0);
    json_object *e = json_object_object_get(reply, "error");
    assert_non_null(e);
    assert_string_equal(json_object_get_string(json_object_object_get(e, "class")),
                        "CommandNotFound");
    assert_string_equal(json_object_get_string(json_object_object_get(e, "desc")),
                        "The command no-such-command has not been found");
    json_object_put(reply);
    assert_int_equal(qmp_execute_raw_sync(s.conn, "{\"execute\": \"query-status\"}", T, &reply,
                                          &err), 0);
    json_object *ret = json_object_object_get(reply, "return");
    assert_string_equal(json_object_get_string(json_object_object_get(ret, "status")),
                        "prelaunch");
    json_object_put(reply);
    /* Malformed raw input is refused before anything is sent. */
    assert_int_equal(qmp_execute_raw_sync(s.conn, "[1]", T, &reply, &err), -EINVAL);
    ql_error_clear(&err);
    assert_int_equal(qmp_execute_raw_sync(s.conn, "{\"arguments\": {}}", T, &reply, &err),
                     -EINVAL);
    assert_string_equal(err.msg, "raw QMP command has no string member 'execute'");
    ql_error_clear(&err);
    assert_int_equal(qmp_execute_raw_sync(s.conn, "{\"execute\": ", T, &reply, &err), -EINVAL);
    ql_error_clear(&err);
    session_end(&s);
}

static void test_set_password_redacted(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    char *log = NULL;
    size_t loglen = 0;
    FILE *f = open_memstream(&log, &loglen);
    session_start(&s, "set-password");
    qmp_conn_set_transcript(s.conn, f);
    assert_int_equal(qmp_set_password_sync(s.conn, T, "vnc", "s3cret-pw", NULL, &err), 0);
    assert_int_equal(qmp_set_password_sync(s.conn, T, "vnc", "other-pw", "keep", &err), 0);
    assert_int_equal(qmp_expire_password_sync(s.conn, T, "vnc", "never", &err), 0);
    assert_int_equal(qmp_expire_password_sync(s.conn, T, "vnc", "+60", &err), 0);
    assert_int_equal(qmp_set_password_sync(s.conn, T, "spice", "x", NULL, &err), -EREMOTEIO);
    assert_string_equal(err.msg, "QMP command 'set_password' failed: DeviceNotActive: "
                                 "SPICE is not in use");
    ql_error_clear(&err);
    qmp_conn_set_transcript(s.conn, NULL);
    fclose(f);
    assert_null(strstr(log, "s3cret-pw"));
    assert_null(strstr(log, "other-pw"));
    assert_non_null(strstr(log, "-> {\"execute\":\"set_password\",\"arguments\":{\"protocol\":"
                                "\"vnc\",\"password\":\"***\"},\"id\":2}\n"));
    assert_non_null(strstr(log, "<- {\"return\":{},\"id\":2}\n"));
    assert_non_null(strstr(log, "\"time\":\"never\""));
    free(log);
    session_end(&s);
}

static void test_dump_and_unknown_event(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "dump");
    assert_int_equal(qmp_dump_guest_memory_sync(s.conn, T,
                                                "file:/tmp/qlaunch-qmp-record/guest.dump",
                                                false, NULL, false, &err), 0);
    assert_int_equal(qmp_dump_guest_memory_sync(s.conn, T,
                                                "file:/tmp/qlaunch-qmp-record/guest.dump2",
                                                false, "elf", true, &err), 0);
    assert_int_equal(s.ctx.nev, 1);
    assert_int_equal(s.ctx.ev[0].type, QMP_EVENT_UNKNOWN);
    assert_string_equal(s.ctx.ev[0].name, "DUMP_COMPLETED");
    assert_string_equal(s.ctx.ev[0].data, "{\"result\":{\"total\":17039360,\"status\":"
                                          "\"completed\",\"completed\":17039360}}");
    session_end(&s);
}

static void test_query_chardev(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    struct qmp_chardev *list = NULL;
    size_t n = 0;
    session_start(&s, "chardev");
    assert_int_equal(qmp_query_chardev_sync(s.conn, T, &list, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(qmp_chardev_pty(list, n, "charserial0"), "/dev/pts/0");
    assert_null(qmp_chardev_pty(list, n, "null0"));
    assert_null(qmp_chardev_pty(list, n, "qmp"));
    assert_null(qmp_chardev_pty(list, n, "missing"));
    assert_string_equal(list[0].label, "qmp");
    assert_true(list[0].frontend_open);
    assert_string_equal(list[1].filename,
                        "disconnected:unix:/tmp/qlaunch-qmp-record/ch.sock,server=on");
    assert_false(list[1].frontend_open);
    qmp_chardev_list_free(list, n);
    session_end(&s);
}

static void test_query_pci(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    struct qmp_pci_device *d = NULL;
    size_t n = 0;
    session_start(&s, "pci");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_stop_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_query_pci_sync(s.conn, T, &d, &n, &err), 0);
    assert_int_equal(n, 8);
    /* host bridge, PIIX3 ISA/IDE/PM, e1000, pci-bridge, rng behind the bridge, balloon */
    assert_int_equal(d[0].vendor, 0x8086);
    assert_int_equal(d[0].device, 0x1237);
    assert_string_equal(d[0].qdev_id, "");
    assert_int_equal(d[3].slot, 1);
    assert_int_equal(d[3].function, 3);
    assert_string_equal(d[4].qdev_id, "net0");
    assert_int_equal(d[4].device, 0x100e);
    assert_int_equal(d[4].class_code, 0x200);
    assert_string_equal(d[5].qdev_id, "pci.1");
    assert_int_equal(d[5].vendor, 0x1b36);
    assert_int_equal(d[5].slot, 5);
    assert_string_equal(d[6].qdev_id, "rng0");
    assert_int_equal(d[6].bus, 1);
    assert_int_equal(d[6].slot, 3);
    assert_int_equal(d[6].device, 0x1005);
    assert_string_equal(d[7].qdev_id, "balloon0");
    assert_int_equal(d[7].bus, 0);
    assert_int_equal(d[7].slot, 6);
    qmp_pci_list_free(d, n);
    session_end(&s);
}

static void test_event_panic_pause(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    enum qmp_run_state st;
    session_start(&s, "panic");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_query_status_sync(s.conn, T, NULL, &st, &err), 0);
    assert_int_equal(st, QMP_RUN_STATE_GUEST_PANICKED);
    assert_int_equal(s.ctx.ev[1].type, QMP_EVENT_GUEST_PANICKED);
    assert_int_equal(s.ctx.ev[1].ev.u.guest_panicked.action, QMP_GUEST_PANIC_ACTION_PAUSE);
    assert_int_equal(s.ctx.ev[2].type, QMP_EVENT_STOP);
    assert_int_equal(qmp_quit_sync(s.conn, T, &err), 0);
    drain_to_eof(&s);
    assert_int_equal(s.ctx.ev[3].type, QMP_EVENT_SHUTDOWN);
    session_end(&s);
}

static void test_event_panic_poweroff(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "panic-poweroff");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    drain_to_eof(&s);
    assert_int_equal(s.ctx.nev, 3);
    assert_int_equal(s.ctx.ev[1].type, QMP_EVENT_GUEST_PANICKED);
    assert_int_equal(s.ctx.ev[1].ev.u.guest_panicked.action, QMP_GUEST_PANIC_ACTION_POWEROFF);
    assert_int_equal(s.ctx.ev[2].type, QMP_EVENT_SHUTDOWN);
    assert_true(s.ctx.ev[2].ev.u.shutdown.guest);
    assert_int_equal(s.ctx.ev[2].ev.u.shutdown.reason, QMP_SHUTDOWN_CAUSE_GUEST_PANIC);
    session_end(&s);
}

static void test_event_guest_reset(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "guest-reset");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    drain_to_eof(&s);
    assert_int_equal(s.ctx.nev, 2);
    assert_int_equal(s.ctx.ev[1].type, QMP_EVENT_SHUTDOWN);
    assert_true(s.ctx.ev[1].ev.u.shutdown.guest);
    assert_int_equal(s.ctx.ev[1].ev.u.shutdown.reason, QMP_SHUTDOWN_CAUSE_GUEST_RESET);
    assert_true(qmp_shutdown_cause_is_guest(s.ctx.ev[1].ev.u.shutdown.reason));
    session_end(&s);
}

static void test_event_device_deleted(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    json_object *args = json_tokener_parse("{\"id\": \"kbd0\"}");
    session_start(&s, "device-deleted");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_execute_sync(s.conn, "device_del", args, T, NULL, &err), 0);
    json_object_put(args);
    args = json_tokener_parse("{\"id\": \"/machine/peripheral-anon/device[0]\"}");
    assert_int_equal(qmp_execute_sync(s.conn, "device_del", args, T, NULL, &err), 0);
    json_object_put(args);
    /* The second event follows its reply: read until it is there. */
    while (s.ctx.nev < 3) {
        struct pollfd p = {.fd = qmp_conn_fd(s.conn), .events = POLLIN};
        assert_int_equal(poll(&p, 1, T), 1);
        assert_int_equal(qmp_conn_on_readable(s.conn, &err), 0);
    }
    assert_int_equal(s.ctx.ev[1].type, QMP_EVENT_DEVICE_DELETED);
    assert_string_equal(s.ctx.ev[1].s1, "kbd0");
    assert_string_equal(s.ctx.ev[1].s2, "/machine/peripheral/kbd0");
    assert_int_equal(s.ctx.ev[2].type, QMP_EVENT_DEVICE_DELETED);
    assert_null(s.ctx.ev[2].s1);
    assert_string_equal(s.ctx.ev[2].s2, "/machine/peripheral-anon/device[0]");
    session_end(&s);
}

static void test_event_block_io_error(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "block-io-error");
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), 0);
    assert_int_equal(qmp_quit_sync(s.conn, T, &err), 0);
    drain_to_eof(&s);
    assert_int_equal(s.ctx.nev, 3);
    struct ev_copy *e = &s.ctx.ev[1];
    assert_int_equal(e->type, QMP_EVENT_BLOCK_IO_ERROR);
    assert_string_equal(e->s1, "disk0-fmt");
    assert_string_equal(e->s2, "Input/output error");
    assert_int_equal(e->ev.u.block_io_error.operation, QMP_IO_OPERATION_READ);
    assert_int_equal(e->ev.u.block_io_error.action, QMP_BLOCK_ERROR_ACTION_REPORT);
    assert_true(e->ev.u.block_io_error.has_nospace);
    assert_false(e->ev.u.block_io_error.nospace);
    session_end(&s);
}

static void test_event_balloon_change(void **state)
{
    struct session s;
    struct ql_error err = QL_ERROR_INIT;
    json_object *args = json_tokener_parse("{\"value\": 201326592}");
    session_start(&s, "balloon-change");
    assert_int_equal(qmp_execute_sync(s.conn, "balloon", args, T, NULL, &err), 0);
    json_object_put(args);
    assert_int_equal(qmp_query_status_sync(s.conn, T, NULL, NULL, &err), 0);
    assert_int_equal(s.ctx.nev, 1);
    assert_int_equal(s.ctx.ev[0].type, QMP_EVENT_BALLOON_CHANGE);
    assert_int_equal(s.ctx.ev[0].ev.u.balloon_change.actual, 201326592);
    session_end(&s);
}

/* ---- async API ---- */

struct reply_copy {
    int calls;
    uint64_t id;
    int error;
    char *ret;
    char *message;
    int order;
};
static int reply_seq;

static void on_reply(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    struct reply_copy *c = opaque;
    c->calls++;
    c->id = r->id;
    c->error = r->error;
    c->ret = r->ret ? strdup(json_object_to_json_string_ext(r->ret, JSON_C_TO_STRING_PLAIN)) : NULL;
    c->message = r->message ? strdup(r->message) : NULL;
    c->order = ++reply_seq;
}

static void reply_clear(struct reply_copy *c)
{
    free(c->ret);
    free(c->message);
    memset(c, 0, sizeof(*c));
}

static void run_until(struct qmp_conn *conn, const int *flag, int want)
{
    struct ql_error err = QL_ERROR_INIT;
    for (int i = 0; i < 1000 && *flag < want; i++) {
        struct pollfd p = {.fd = qmp_conn_fd(conn), .events = qmp_conn_poll_events(conn)};
        if (!p.events)
            break;
        assert_int_equal(poll(&p, 1, T), 1);
        if (p.revents & POLLOUT)
            assert_int_equal(qmp_conn_on_writable(conn, &err), 0);
        if (p.revents & (POLLIN | POLLHUP))
            (void)qmp_conn_on_readable(conn, &err);
    }
    ql_error_clear(&err);
    assert_true(*flag >= want);
}

static void test_out_of_order(void **state)
{
    struct ctx ctx = {0};
    struct reply_copy a = {0}, b = {0};
    struct ql_error err = QL_ERROR_INIT;
    uint64_t ida, idb;
    int fd;
    pid_t pid = fake_qemu_start("out-of-order", &fd);
    struct qmp_conn *conn = qmp_conn_new_fd(fd, &cbs, &ctx);
    /* Queued before the greeting: held until negotiation is done. */
    assert_int_equal(qmp_send(conn, "query-status", NULL, on_reply, &a, &ida, &err), 0);
    assert_int_equal(qmp_send(conn, "query-version", NULL, on_reply, &b, &idb, &err), 0);
    assert_int_equal(qmp_conn_pending(conn), 2);
    assert_int_not_equal(ida, idb);
    reply_seq = 0;
    run_until(conn, &a.calls, 1);
    assert_int_equal(ctx.ready, 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.order, 1);
    assert_int_equal(a.order, 2);
    assert_int_equal(a.id, ida);
    assert_int_equal(b.id, idb);
    assert_int_equal(a.error, 0);
    assert_string_equal(a.ret, "{\"status\":\"paused\",\"singlestep\":false,\"running\":false}");
    assert_non_null(strstr(b.ret, "\"major\":7"));
    assert_int_equal(ctx.nev, 1);
    assert_int_equal(ctx.ev[0].type, QMP_EVENT_STOP);
    assert_int_equal(qmp_conn_pending(conn), 0);
    qmp_conn_free(conn);
    assert_int_equal(fake_qemu_wait(pid), 0);
    reply_clear(&a);
    reply_clear(&b);
    ctx_clear(&ctx);
}

static void test_eof_mid_command(void **state)
{
    struct session s;
    struct reply_copy a = {0}, b = {0};
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "eof-mid-command");
    assert_int_equal(qmp_send(s.conn, "query-status", NULL, on_reply, &a, NULL, &err), 0);
    assert_int_equal(qmp_cont_sync(s.conn, T, &err), -ECONNRESET);
    assert_string_equal(err.msg, "QMP command 'cont' failed: QEMU closed the QMP connection");
    ql_error_clear(&err);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.error, -ECONNRESET);
    assert_string_equal(a.message,
                        "QMP command 'query-status' failed: QEMU closed the QMP connection");
    assert_int_equal(s.ctx.closed, 1);
    assert_int_equal(qmp_conn_get_state(s.conn), QMP_CONN_CLOSED);
    assert_int_equal(qmp_conn_pending(s.conn), 0);
    assert_int_equal(qmp_conn_poll_events(s.conn), 0);
    assert_int_equal(qmp_send(s.conn, "stop", NULL, on_reply, &b, NULL, &err), -ECONNRESET);
    assert_int_equal(b.calls, 0);
    ql_error_clear(&err);
    reply_clear(&a);
    session_end(&s);
}

static void test_timeout_and_free_pending(void **state)
{
    struct session s;
    struct reply_copy a = {0};
    struct ql_error err = QL_ERROR_INIT;
    session_start(&s, "unanswered");
    assert_int_equal(qmp_query_status_sync(s.conn, 100, NULL, NULL, &err), -ETIMEDOUT);
    assert_string_equal(err.msg, "QMP command 'query-status' timed out after 100 ms");
    ql_error_clear(&err);
    /* The abandoned command stays pending (its late reply would be discarded). */
    assert_int_equal(qmp_conn_pending(s.conn), 1);
    assert_int_equal(qmp_conn_get_state(s.conn), QMP_CONN_READY);
    /* Freeing with commands pending calls their callbacks with -ECANCELED. The fake then
     * sees EOF where it expected nothing more: its transcript is complete. */
    assert_int_equal(qmp_send(s.conn, "stop", NULL, on_reply, &a, NULL, &err), 0);
    struct qmp_conn *conn = s.conn;
    s.conn = NULL;
    qmp_conn_free(conn);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.error, -ECANCELED);
    assert_string_equal(a.message,
                        "QMP command 'stop' failed: the QMP connection was closed by its owner");
    reply_clear(&a);
    assert_int_equal(fake_qemu_wait(s.pid), 6);     /* it got 'stop' after its transcript */
    ctx_clear(&s.ctx);
}

/* ---- framing, in process: the test plays QEMU on the other end of a socketpair ---- */

struct pair {
    int srv;
    struct qmp_conn *conn;
    struct ctx ctx;
    char buf[4096];
};

static const char greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
    "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n";

static void srv_write(struct pair *p, const char *s, size_t n)
{
    assert_int_equal(write(p->srv, s, n), (ssize_t)n);
}

/* Writes s one byte at a time, letting the client read after each byte. */
static void srv_write_bytewise(struct pair *p, const char *s)
{
    struct ql_error err = QL_ERROR_INIT;
    for (size_t i = 0; s[i]; i++) {
        srv_write(p, s + i, 1);
        assert_int_equal(qmp_conn_on_readable(p->conn, &err), 0);
    }
}

/* Reads what the client sent (one message expected) and returns it. */
static const char *srv_read(struct pair *p)
{
    struct pollfd pfd = {.fd = p->srv, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, T), 1);
    ssize_t n = read(p->srv, p->buf, sizeof(p->buf) - 1);
    assert_true(n > 0);
    p->buf[n] = '\0';
    return p->buf;
}

/* Writes s without blocking while the client reads, until all is written and read, or the
 * client fails; returns the client's last result. */
static int srv_pump(struct pair *p, const char *s, size_t len, struct ql_error *err)
{
    assert_int_equal(fcntl(p->srv, F_SETFL, O_NONBLOCK), 0);
    size_t off = 0;
    int r = 0;
    while (r == 0) {
        if (off < len) {
            ssize_t n = write(p->srv, s + off, len - off);
            if (n > 0)
                off += (size_t)n;
        }
        struct pollfd pfd = {.fd = qmp_conn_fd(p->conn), .events = POLLIN};
        if (poll(&pfd, 1, off < len ? 0 : 100) != 1) {
            if (off >= len)
                break;
            continue;
        }
        r = qmp_conn_on_readable(p->conn, err);
    }
    return r;
}

static void pair_open(struct pair *p, bool bytewise)
{
    memset(p, 0, sizeof(*p));
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    p->srv = sv[1];
    p->conn = qmp_conn_new_fd(sv[0], &cbs, &p->ctx);
    assert_int_equal(qmp_conn_get_state(p->conn), QMP_CONN_GREETING);
    if (bytewise)
        srv_write_bytewise(p, greeting);
    else {
        struct ql_error err = QL_ERROR_INIT;
        srv_write(p, greeting, strlen(greeting));
        assert_int_equal(qmp_conn_on_readable(p->conn, &err), 0);
    }
    assert_int_equal(qmp_conn_get_state(p->conn), QMP_CONN_NEGOTIATING);
    assert_string_equal(srv_read(p), "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n");
    const char *ret = "{\"return\": {}, \"id\": 1}\r\n";
    if (bytewise)
        srv_write_bytewise(p, ret);
    else {
        struct ql_error err = QL_ERROR_INIT;
        srv_write(p, ret, strlen(ret));
        assert_int_equal(qmp_conn_on_readable(p->conn, &err), 0);
    }
    assert_int_equal(p->ctx.ready, 1);
    assert_int_equal(qmp_conn_get_state(p->conn), QMP_CONN_READY);
}

static void pair_close(struct pair *p)
{
    qmp_conn_free(p->conn);
    close(p->srv);
    ctx_clear(&p->ctx);
}

static void test_bytewise(void **state)
{
    struct pair p;
    struct reply_copy a = {0};
    struct ql_error err = QL_ERROR_INIT;
    pair_open(&p, true);
    assert_int_equal(qmp_send(p.conn, "query-status", NULL, on_reply, &a, NULL, &err), 0);
    assert_string_equal(srv_read(&p), "{\"execute\":\"query-status\",\"id\":2}\r\n");
    srv_write_bytewise(&p, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
                           "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
                           "\"reason\": \"guest-shutdown\"}}\r\n");
    assert_int_equal(p.ctx.nev, 1);
    assert_int_equal(a.calls, 0);
    /* Multi-byte UTF-8 split across reads, and a bare LF line ending. */
    srv_write_bytewise(&p, "{\"return\": {\"status\": \"running\", "
                           "\"x\": \"caf\xc3\xa9 \xe2\x82\xac\", "
                           "\"running\": true}, \"id\": 2}\n");
    assert_int_equal(a.calls, 1);
    assert_string_equal(a.ret, "{\"status\":\"running\",\"x\":\"caf\xc3\xa9 \xe2\x82\xac\","
                               "\"running\":true}");
    assert_int_equal(p.ctx.ev[0].ev.u.shutdown.reason, QMP_SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    assert_true(p.ctx.ev[0].ev.u.shutdown.guest);
    assert_int_equal(p.ctx.ev[0].ev.seconds, 1);
    assert_int_equal(p.ctx.ev[0].ev.microseconds, 2);
    reply_clear(&a);
    pair_close(&p);
}

static void test_merged_reads(void **state)
{
    struct pair p;
    struct reply_copy a = {0}, b = {0};
    struct ql_error err = QL_ERROR_INIT;
    pair_open(&p, false);
    assert_int_equal(qmp_send(p.conn, "stop", NULL, on_reply, &a, NULL, &err), 0);
    assert_int_equal(qmp_send(p.conn, "cont", NULL, on_reply, &b, NULL, &err), 0);
    srv_read(&p);
    const char *all = "{\"event\": \"STOP\", "
                      "\"timestamp\": {\"seconds\": -1, \"microseconds\": -1}}\r\n"
                      "{\"return\": {}, \"id\": 2}\r\n"
                      "{\"event\": \"RESUME\", "
                      "\"timestamp\": {\"seconds\": 5, \"microseconds\": 6}}"
                      "{\"id\": 3, "
                      "\"error\": {\"class\": \"GenericError\", \"desc\": \"nope\"}}\r\n"
                      "{\"event\": \"NEW_IN_QEMU_42\", \"data\": {\"x\": [1, 2]}, "
                      "\"timestamp\": {\"seconds\": 7, \"microseconds\": 8}}\r\n";
    srv_write(&p, all, strlen(all));
    assert_int_equal(qmp_conn_on_readable(p.conn, &err), 0);
    assert_int_equal(p.ctx.nev, 3);
    assert_int_equal(p.ctx.ev[0].type, QMP_EVENT_STOP);
    assert_int_equal(p.ctx.ev[0].ev.seconds, -1);
    assert_int_equal(p.ctx.ev[1].type, QMP_EVENT_RESUME);
    assert_int_equal(p.ctx.ev[2].type, QMP_EVENT_UNKNOWN);
    assert_string_equal(p.ctx.ev[2].name, "NEW_IN_QEMU_42");
    assert_string_equal(p.ctx.ev[2].data, "{\"x\":[1,2]}");
    assert_int_equal(a.error, 0);
    assert_int_equal(b.error, -EREMOTEIO);
    assert_string_equal(b.message, "QMP command 'cont' failed: GenericError: nope");
    reply_clear(&a);
    reply_clear(&b);
    pair_close(&p);
}

static void test_held_until_ready(void **state)
{
    struct ctx ctx = {0};
    struct reply_copy a = {0};
    struct ql_error err = QL_ERROR_INIT;
    char buf[512];
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct qmp_conn *conn = qmp_conn_new_fd(sv[0], &cbs, &ctx);
    assert_null(qmp_conn_version(conn));
    assert_int_equal(qmp_send(conn, "query-status", NULL, on_reply, &a, NULL, &err), 0);
    struct pollfd pfd = {.fd = sv[1], .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 50), 0);     /* nothing before the greeting */
    assert_int_equal(write(sv[1], greeting, strlen(greeting)), (ssize_t)strlen(greeting));
    assert_int_equal(qmp_conn_on_readable(conn, &err), 0);
    ssize_t n = read(sv[1], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    assert_string_equal(buf, "{\"execute\":\"qmp_capabilities\",\"id\":2}\r\n");
    const char *ret = "{\"return\": {}, \"id\": 2}\r\n";
    assert_int_equal(write(sv[1], ret, strlen(ret)), (ssize_t)strlen(ret));
    assert_int_equal(qmp_conn_on_readable(conn, &err), 0);
    n = read(sv[1], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    assert_string_equal(buf, "{\"execute\":\"query-status\",\"id\":1}\r\n");
    qmp_conn_free(conn);
    assert_int_equal(a.error, -ECANCELED);
    close(sv[1]);
    reply_clear(&a);
    ctx_clear(&ctx);
}

/* Writes bad input after a pending command; the connection must break with code. */
static void expect_broken(const char *input, size_t len, size_t max, int code, const char *msg)
{
    struct pair p;
    struct reply_copy a = {0}, b = {0};
    struct ql_error err = QL_ERROR_INIT;
    pair_open(&p, false);
    if (max)
        qmp_conn_set_max_message(p.conn, max);
    assert_int_equal(qmp_send(p.conn, "query-status", NULL, on_reply, &a, NULL, &err), 0);
    srv_read(&p);
    int r = srv_pump(&p, input, len, &err);
    assert_int_equal(r, -code);
    assert_int_equal(err.code, code);
    if (msg)
        assert_string_equal(err.msg, msg);
    ql_error_clear(&err);
    assert_int_equal(qmp_conn_get_state(p.conn), QMP_CONN_BROKEN);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.error, -code);
    assert_int_equal(p.ctx.closed, 1);
    /* Broken stays broken: no more reads or sends. */
    assert_int_equal(qmp_conn_on_readable(p.conn, &err), -code);
    ql_error_clear(&err);
    assert_int_equal(qmp_send(p.conn, "cont", NULL, on_reply, &b, NULL, &err), -code);
    ql_error_clear(&err);
    assert_int_equal(b.calls, 0);
    reply_clear(&a);
    pair_close(&p);
}

/* An oversized message in command mode fails the command it answers (the oldest pending)
 * and is skipped whole; the connection stays usable for the next command. */
static void expect_skipped(const char *input, size_t len, size_t max, bool bytewise)
{
    struct pair p;
    struct reply_copy a = {0}, b = {0};
    struct ql_error err = QL_ERROR_INIT;
    pair_open(&p, false);
    if (max)
        qmp_conn_set_max_message(p.conn, max);
    assert_int_equal(qmp_send(p.conn, "human-monitor-command", NULL, on_reply, &a, NULL, &err), 0);
    srv_read(&p);
    assert_int_equal(qmp_send(p.conn, "query-status", NULL, on_reply, &b, NULL, &err), 0);
    srv_read(&p);
    if (bytewise) {
        for (size_t i = 0; i < len; i += 997)
            assert_int_equal(srv_pump(&p, input + i, len - i < 997 ? len - i : 997, &err), 0);
    } else {
        assert_int_equal(srv_pump(&p, input, len, &err), 0);
    }
    assert_int_equal(qmp_conn_get_state(p.conn), QMP_CONN_READY);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.error, -EMSGSIZE);
    assert_non_null(strstr(a.message, "exceeds the limit"));
    assert_int_equal(b.calls, 0);
    /* The next reply is matched to the next command as usual. */
    const char ok[] = "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": 3}\r\n";
    assert_int_equal(srv_pump(&p, ok, strlen(ok), &err), 0);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.error, 0);
    assert_int_equal(p.ctx.closed, 0);
    reply_clear(&a);
    reply_clear(&b);
    pair_close(&p);
}

static void test_oversize(void **state)
{
    size_t big = 300000;
    struct strbuf sb = STRBUF_INIT, huge = STRBUF_INIT, ev = STRBUF_INIT;
    /* Braces and quotes inside strings must not confuse the skip. */
    sb_add(&sb, "{\"return\": {\"blob\": \"}}{\\\"[");
    for (size_t i = 0; i < big; i++)
        sb_addc(&sb, 'a');
    sb_add(&sb, "\", \"list\": [1, {\"x\": \"}\"}]}, \"id\": 2}\r\n");
    /* Over a 64 KiB cap: the command fails, the connection survives. */
    expect_skipped(sb.s, sb.len, 65536, false);
    expect_skipped(sb.s, sb.len, 65536, true);
    /* Over the 1 MiB default (xp /200000xb 0 gives about that much). */
    sb_add(&huge, "{\"return\": \"");
    for (size_t i = 0; i < 1100000; i++)
        sb_addc(&huge, 'b');
    sb_add(&huge, "\", \"id\": 2}\r\n");
    expect_skipped(huge.s, huge.len, 0, false);
    /* An oversized event is dropped; the pending command is still answered. */
    {
        struct pair p;
        struct reply_copy a = {0};
        struct ql_error err = QL_ERROR_INIT;
        pair_open(&p, false);
        qmp_conn_set_max_message(p.conn, 4096);
        assert_int_equal(qmp_send(p.conn, "query-status", NULL, on_reply, &a, NULL, &err), 0);
        srv_read(&p);
        sb_add(&ev, "{\"event\": \"BIG\", \"data\": {\"x\": \"");
        for (size_t i = 0; i < 10000; i++)
            sb_addc(&ev, 'e');
        sb_add(&ev, "\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n"
                    "{\"return\": {}, \"id\": 2}\r\n");
        assert_int_equal(srv_pump(&p, ev.s, ev.len, &err), 0);
        assert_int_equal(a.calls, 1);
        assert_int_equal(a.error, 0);
        assert_int_equal(p.ctx.nev, 0);
        assert_int_equal(qmp_conn_get_state(p.conn), QMP_CONN_READY);
        reply_clear(&a);
        pair_close(&p);
    }
    /* Under the cap: accepted. */
    struct pair p;
    struct reply_copy a = {0};
    struct ql_error err = QL_ERROR_INIT;
    pair_open(&p, false);
    qmp_conn_set_max_message(p.conn, sb.len + 100);
    assert_int_equal(qmp_send(p.conn, "query-status", NULL, on_reply, &a, NULL, &err), 0);
    srv_read(&p);
    assert_int_equal(srv_pump(&p, sb.s, sb.len, &err), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.error, 0);
    reply_clear(&a);
    pair_close(&p);
    /* Before command mode an oversized greeting is not QMP: the connection breaks. */
    {
        int sv[2];
        struct ctx c = {0};
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        struct qmp_conn *conn = qmp_conn_new_fd(sv[0], &cbs, &c);
        qmp_conn_set_max_message(conn, 4096);
        struct pair q = {.srv = sv[1], .conn = conn};
        assert_int_equal(srv_pump(&q, huge.s, 100000, &err), -EMSGSIZE);
        ql_error_clear(&err);
        assert_int_equal(qmp_conn_get_state(conn), QMP_CONN_BROKEN);
        qmp_conn_free(conn);
        close(sv[1]);
        ctx_clear(&c);
    }
    sb_free(&sb);
    sb_free(&huge);
    sb_free(&ev);
}

/* HMP's set_password carries the secret inside the command line: redacted too. */
static void test_hmp_password_redacted(void **state)
{
    struct pair p;
    struct reply_copy a = {0};
    struct ql_error err = QL_ERROR_INIT;
    char *log = NULL;
    size_t loglen = 0;
    FILE *f = open_memstream(&log, &loglen);
    pair_open(&p, false);
    qmp_conn_set_transcript(p.conn, f);
    json_object *args = json_object_new_object();
    json_object_object_add(args, "command-line",
                           json_object_new_string("  set_password vnc hunter2-secret keep"));
    assert_int_equal(qmp_send(p.conn, "human-monitor-command", args, on_reply, &a, NULL, &err),
                     0);
    json_object_put(args);
    assert_null(strstr(srv_read(&p), "***"));   /* QEMU gets the real command */
    args = json_object_new_object();
    json_object_object_add(args, "command-line", json_object_new_string("info status"));
    assert_int_equal(qmp_send(p.conn, "human-monitor-command", args, NULL, NULL, NULL, &err), 0);
    json_object_put(args);
    qmp_conn_set_transcript(p.conn, NULL);
    fclose(f);
    assert_null(strstr(log, "hunter2"));
    assert_non_null(strstr(log, "\"command-line\":\"set_password ***\""));
    assert_non_null(strstr(log, "\"command-line\":\"info status\""));
    free(log);
    pair_close(&p);     /* cancels the unanswered command: its callback runs now */
    reply_clear(&a);
}

static void test_garbage(void **state)
{
    const char junk[] = "{\"return\": {}, \"id\": 9x}\r\n";
    expect_broken(junk, strlen(junk), 0, EPROTO, NULL);
    const char utf8[] = "{\"return\": \"\xff\xfe\", \"id\": 2}\r\n";
    expect_broken(utf8, strlen(utf8), 0, EPROTO,
                  "QMP message is not valid UTF-8 (byte 13 of the message)");
    const char surrogate[] = "{\"return\": \"\xed\xa0\x80\", \"id\": 2}\r\n";
    expect_broken(surrogate, strlen(surrogate), 0, EPROTO, NULL);
    const char notobj[] = "[1, 2]\r\n";
    expect_broken(notobj, strlen(notobj), 0, EPROTO, "QMP message is not a JSON object");
    const char unknown_id[] = "{\"return\": {}, \"id\": 77}\r\n";
    expect_broken(unknown_id, strlen(unknown_id), 0, EPROTO,
                  "QMP reply has id 77, which matches no command sent");
    const char no_id[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}\r\n";
    expect_broken(no_id, strlen(no_id), 0, EPROTO, NULL);
    const char weird[] = "{\"hello\": 1}\r\n";
    expect_broken(weird, strlen(weird), 0, EPROTO, "unexpected QMP message: {\"hello\":1}");
    const char greet2[] = "{\"QMP\": {}}\r\n";
    expect_broken(greet2, strlen(greet2), 0, EPROTO, "QEMU sent a second QMP greeting");
    const char nul[] = "{\"return\": {}\0, \"id\": 2}\r\n";
    expect_broken(nul, sizeof(nul) - 1, 0, EPROTO, NULL);
}

static void test_negotiation_refused(void **state)
{
    struct ctx ctx = {0};
    struct ql_error err = QL_ERROR_INIT;
    char buf[256];
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct qmp_conn *conn = qmp_conn_new_fd(sv[0], &cbs, &ctx);
    const char *refuse = "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                         "\"Capabilities negotiation is already complete, command ignored\"}}\r\n";
    assert_int_equal(write(sv[1], greeting, strlen(greeting)), (ssize_t)strlen(greeting));
    assert_int_equal(write(sv[1], refuse, strlen(refuse)), (ssize_t)strlen(refuse));
    assert_int_equal(qmp_handshake_sync(conn, T, &err), -EPROTO);
    assert_string_equal(err.msg, "QMP handshake failed: QMP capabilities negotiation failed: "
                                 "CommandNotFound: Capabilities negotiation is already "
                                 "complete, command ignored");
    assert_true(read(sv[1], buf, sizeof(buf)) > 0);
    ql_error_clear(&err);
    qmp_conn_free(conn);
    close(sv[1]);
    /* Silence, then EOF, before the greeting. */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    conn = qmp_conn_new_fd(sv[0], &cbs, &ctx);
    assert_int_equal(qmp_handshake_sync(conn, 50, &err), -ETIMEDOUT);
    assert_string_equal(err.msg, "QMP handshake timed out after 50 ms");
    ql_error_clear(&err);
    close(sv[1]);
    assert_int_equal(qmp_handshake_sync(conn, T, &err), -ECONNRESET);
    assert_string_equal(err.msg, "QMP handshake failed: QEMU closed the QMP connection");
    ql_error_clear(&err);
    qmp_conn_free(conn);
    ctx_clear(&ctx);
}

static void free_on_close(struct qmp_conn *conn, const struct ql_error *why, void *opaque)
{
    (*(int *)opaque)++;
    qmp_conn_free(conn);
}

/* The closed callback may free the connection, also when the end came from qmp_conn_free. */
static void test_free_from_closed_callback(void **state)
{
    const struct qmp_callbacks fcbs = {.closed = free_on_close};
    struct ql_error err = QL_ERROR_INIT;
    int calls = 0;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct qmp_conn *conn = qmp_conn_new_fd(sv[0], &fcbs, &calls);
    close(sv[1]);
    assert_int_equal(qmp_conn_on_readable(conn, &err), -ECONNRESET);
    assert_int_equal(calls, 1);
    ql_error_clear(&err);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    conn = qmp_conn_new_fd(sv[0], &fcbs, &calls);
    qmp_conn_free(conn);
    assert_int_equal(calls, 2);
    close(sv[1]);
}

static void test_connect_unix_errors(void **state)
{
    struct ql_error err = QL_ERROR_INIT;
    struct qmp_conn *conn = NULL;
    assert_int_equal(qmp_connect_unix("/nonexistent/qmp.sock", NULL, NULL, &conn, &err),
                     -ENOENT);
    assert_string_equal(err.msg, "cannot connect to QMP socket '/nonexistent/qmp.sock': "
                                 "No such file or directory");
    ql_error_clear(&err);
    char longpath[200];
    memset(longpath, 'x', sizeof(longpath) - 1);
    longpath[sizeof(longpath) - 1] = '\0';
    assert_int_equal(qmp_connect_unix(longpath, NULL, NULL, &conn, &err), -ENAMETOOLONG);
    ql_error_clear(&err);
    assert_null(conn);
}

static void test_enums(void **state)
{
    for (int i = 0; i < QMP_SHUTDOWN_CAUSE_MAX; i++)
        assert_int_equal(qmp_shutdown_cause_from_string(qmp_shutdown_cause_to_string(i)), i);
    for (int i = 0; i < QMP_RUN_STATE_MAX; i++)
        assert_int_equal(qmp_run_state_from_string(qmp_run_state_to_string(i)), i);
    assert_string_equal(qmp_shutdown_cause_to_string(QMP_SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET),
                        "host-qmp-system-reset");
    assert_string_equal(qmp_run_state_to_string(QMP_RUN_STATE_GUEST_PANICKED), "guest-panicked");
    assert_null(qmp_shutdown_cause_to_string(QMP_SHUTDOWN_CAUSE_MAX));
    assert_int_equal(qmp_shutdown_cause_from_string("bogus"), -1);
    assert_int_equal(qmp_shutdown_cause_from_string(NULL), -1);
    assert_false(qmp_shutdown_cause_is_guest(QMP_SHUTDOWN_CAUSE_HOST_SIGNAL));
    assert_true(qmp_shutdown_cause_is_guest(QMP_SHUTDOWN_CAUSE_GUEST_SHUTDOWN));
    assert_true(qmp_shutdown_cause_is_guest(QMP_SHUTDOWN_CAUSE_GUEST_PANIC));
    assert_false(qmp_shutdown_cause_is_guest(QMP_SHUTDOWN_CAUSE_SUBSYSTEM_RESET));
    assert_true(qmp_shutdown_cause_is_guest(QMP_SHUTDOWN_CAUSE_SNAPSHOT_LOAD));
    assert_int_equal(qmp_event_type_from_string("GUEST_PANICKED"), QMP_EVENT_GUEST_PANICKED);
    assert_int_equal(qmp_event_type_from_string("WHATEVER"), -1);
    assert_null(qmp_event_type_to_string(QMP_EVENT_UNKNOWN));
    assert_string_equal(qmp_panic_action_to_string(QMP_PANIC_ACTION_EXIT_FAILURE), "exit-failure");
    assert_string_equal(qmp_watchdog_action_to_string(QMP_WATCHDOG_ACTION_INJECT_NMI),
                        "inject-nmi");
    assert_int_equal(qmp_block_error_action_from_string("stop"), QMP_BLOCK_ERROR_ACTION_STOP);
    assert_int_equal(qmp_guest_panic_action_from_string("run"), QMP_GUEST_PANIC_ACTION_RUN);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_query_status),
        cmocka_unit_test(test_query_version),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_set_action),
        cmocka_unit_test(test_cont_error),
        cmocka_unit_test(test_raw_and_unknown_command),
        cmocka_unit_test(test_set_password_redacted),
        cmocka_unit_test(test_dump_and_unknown_event),
        cmocka_unit_test(test_query_chardev),
        cmocka_unit_test(test_query_pci),
        cmocka_unit_test(test_event_panic_pause),
        cmocka_unit_test(test_event_panic_poweroff),
        cmocka_unit_test(test_event_guest_reset),
        cmocka_unit_test(test_event_device_deleted),
        cmocka_unit_test(test_event_block_io_error),
        cmocka_unit_test(test_event_balloon_change),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_eof_mid_command),
        cmocka_unit_test(test_timeout_and_free_pending),
        cmocka_unit_test(test_bytewise),
        cmocka_unit_test(test_merged_reads),
        cmocka_unit_test(test_held_until_ready),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_hmp_password_redacted),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_negotiation_refused),
        cmocka_unit_test(test_free_from_closed_callback),
        cmocka_unit_test(test_connect_unix_errors),
        cmocka_unit_test(test_enums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
