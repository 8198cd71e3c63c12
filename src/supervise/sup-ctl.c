/* The supervisor's control socket: newline-delimited JSON requests from the CLI verbs, the
 * event stream. Answers come from the loop at once; requests that need QEMU are forwarded
 * as asynchronous QMP commands and answered when QEMU replies. `status` and `destroy` never
 * need QMP. Idle clients are dropped after a while or as soon as a new client needs their
 * slot; only a table full of clients waiting for QEMU answers "busy". So no number of idle
 * connections locks the verbs out. */
#include "config.h"
#include "supervise/ctl-proto.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void sup_client_close(struct sup_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    sb_free(&c->in);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

static void send_line(int fd, json_object *o, bool *failed)
{
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, t);
    sb_addc(&sb, '\n');
    size_t off = 0;
    *failed = false;
    while (off < sb.len) {
        ssize_t w = send(fd, sb.s + off, sb.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            *failed = true;
            break;
        }
        off += (size_t)w;
    }
    sb_free(&sb);
}

void sup_client_send(struct sup_client *c, json_object *o)
{
    bool failed;
    if (c->fd < 0)
        return;
    send_line(c->fd, o, &failed);
    if (failed)
        sup_client_close(c);   /* a client that does not read is dropped */
}

struct sup_client *sup_client_by_id(struct sup *s, unsigned id)
{
    for (int i = 0; i < SUP_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].id == id)
            return &s->clients[i];
    return NULL;
}

struct sup_client *sup_client_done(struct sup *s, unsigned id)
{
    struct sup_client *c = sup_client_by_id(s, id);
    if (c) {
        if (c->busy)
            c->busy--;
        c->last_active = ql_mono_ms();
    }
    return c;
}

void sup_client_reply(struct sup *s, unsigned id, json_object *reply)
{
    struct sup_client *c = sup_client_done(s, id);
    if (c)
        sup_client_send(c, reply);
    json_object_put(reply);
}

json_object *sup_status_json(struct sup *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    json_object_object_add(o, "name", json_object_new_string(s->st.name));
    json_object_object_add(o, "uuid", json_object_new_string(s->st.uuid));
    json_object_object_add(o, "state", json_object_new_string(sup_state_to_id(s->st.state)));
    json_object_object_add(o, "reason",
                           json_object_new_string(sup_reason_to_string(s->st.reason)));
    json_object_object_add(o, "qemu_pid", json_object_new_int64(s->qemu_pid));
    json_object_object_add(o, "boots", json_object_new_int64(s->st.boots));
    json_object_object_add(o, "restarts", json_object_new_int64(s->st.restarts));
    json_object_object_add(o, "monitor", json_object_new_string(sup_qmp_ready(s) ? "connected"
                                                                : "disconnected"));
    json_object_object_add(o, "status", sup_status_to_json(&s->st));
    return o;
}

/* Sends a lifecycle event line to every subscriber. */
void sup_broadcast(struct sup *s, const char *event, const char *detail)
{
    json_object *o = json_object_new_object();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_object_object_add(o, "timestamp",
                           json_object_new_double((double)ts.tv_sec + ts.tv_nsec / 1e9));
    json_object_object_add(o, "event", json_object_new_string(event));
    if (detail)
        json_object_object_add(o, "detail", json_object_new_string(detail));
    json_object_object_add(o, "state", json_object_new_string(sup_state_to_id(s->st.state)));
    json_object_object_add(o, "reason",
                           json_object_new_string(sup_reason_to_string(s->st.reason)));
    json_object_object_add(o, "boots", json_object_new_int64(s->st.boots));
    for (int i = 0; i < SUP_MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].events)
            sup_client_send(&s->clients[i], o);
    json_object_put(o);
}

static void reply_err(struct sup_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_err(struct sup_client *c, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    json_object *o = ctl_reply_error("%s", sb_str(&sb));
    sup_client_send(c, o);
    json_object_put(o);
    sb_free(&sb);
}

static void reply_ok(struct sup_client *c)
{
    json_object *o = ctl_reply_ok();
    sup_client_send(c, o);
    json_object_put(o);
}

struct client_ref {
    struct sup *s;
    unsigned id;
    bool pause_on_success;      /* suspend: paused (user) once QEMU confirms the stop */
};

static void on_qmp_cmd_reply(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    (void)conn;
    struct client_ref *ref = opaque;
    struct sup *s = ref->s;
    struct sup_client *c = sup_client_done(s, ref->id);
    if (r->error == 0 && ref->pause_on_success && s->st.state != SUP_STATE_SHUTOFF) {
        s->st.state = SUP_STATE_RUNNING;     /* the STOP event may have said "unknown" */
        sup_set_state(s, SUP_STATE_PAUSED, SUP_REASON_USER);
    }
    free(ref);
    if (!c)
        return;
    json_object *o = json_object_new_object();
    if (r->error == 0 || r->error == -EREMOTEIO) {
        json_object_object_add(o, "ok", json_object_new_boolean(1));
        json_object *rep = json_object_new_object();
        if (r->error == 0) {
            json_object_object_add(rep, "return", json_object_get(r->ret));
        } else {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "class", json_object_new_string(r->error_class));
            json_object_object_add(e, "desc", json_object_new_string(r->error_desc));
            json_object_object_add(rep, "error", e);
        }
        json_object_object_add(o, "reply", rep);
    } else {
        json_object_object_add(o, "ok", json_object_new_boolean(0));
        json_object_object_add(o, "error", json_object_new_string(r->message));
    }
    sup_client_send(c, o);
    json_object_put(o);
}

/* Sends a QMP command on behalf of client c; the reply (or error) goes back to c. */
static void qmp_for_client(struct sup *s, struct sup_client *c, const char *cmd,
                           json_object *args, const char *raw)
{
    struct ql_error err = QL_ERROR_INIT;
    struct client_ref *ref = xcalloc(1, sizeof(*ref));
    ref->s = s;
    ref->id = c->id;
    ref->pause_on_success = cmd && strcmp(cmd, "stop") == 0;
    int r = raw ? qmp_send_raw(s->qmp, raw, on_qmp_cmd_reply, ref, NULL, &err)
                : qmp_send(s->qmp, cmd, args, on_qmp_cmd_reply, ref, NULL, &err);
    if (r < 0) {
        free(ref);
        reply_err(c, "%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return;
    }
    c->busy++;
}

static void do_destroy(struct sup *s, struct sup_client *c, bool graceful)
{
    if (!sup_qemu_alive(s)) {
        reply_err(c, "domain '%s' is not running (state %s)", s->st.name,
                  sup_state_to_id(s->st.state));
        return;
    }
    s->destroy_requested = true;
    c->wait_exit = true;
    s->timers[TM_RESTART] = 0;
    s->timers[TM_SHUTDOWN] = 0;
    if (graceful)
        sup_qemu_signal(s, SIGTERM);
    else
        sup_qemu_terminate(s);
    s->timers[graceful ? TM_GRACEFUL : TM_KILL] = ql_mono_ms() + SUP_DESTROY_GRACE_MS;
}

void sup_shutdown_deadline(struct sup *s, int timeout_s)
{
    s->st.shutdown_pending = true;
    sup_write_state(s);
    /* The supervisor owns the deadline: the client may leave, and a QEMU that does not
     * even answer (stopped, hung) is destroyed on time all the same. */
    sup_qmp_fire(s, "system_powerdown", NULL);
    s->timers[TM_SHUTDOWN] = ql_mono_ms() + (int64_t)timeout_s * 1000;
    sup_log(s, "shutdown requested, destroying in %d s unless the guest powers off", timeout_s);
}

static void do_shutdown(struct sup *s, struct sup_client *c, int timeout_s)
{
    if (timeout_s >= 0) {
        sup_shutdown_deadline(s, timeout_s);
        reply_ok(c);
        return;
    }
    s->st.shutdown_pending = true;
    sup_write_state(s);
    qmp_for_client(s, c, "system_powerdown", NULL, NULL);
}

void sup_ctl_power(struct sup *s, struct sup_client *c, enum ctl_cmd cmd, int timeout_s)
{
    if (cmd == CTL_SHUTDOWN) {
        do_shutdown(s, c, timeout_s);
        return;
    }
    /* libvirt's fake reboot: power the guest off, then reset + cont it. */
    s->reboot_requested = true;
    s->st.reboot_pending = true;
    sup_write_state(s);
    qmp_for_client(s, c, "system_powerdown", NULL, NULL);
}

/* Requests are parsed by the protocol's one definition (ctl-proto.c), shared with the
 * client side. */
static void handle_command(struct sup *s, struct sup_client *c, const char *line)
{
    struct ctl_request req = CTL_REQUEST_INIT(CTL_STATUS);
    struct ql_error err = QL_ERROR_INIT;
    if (ctl_request_parse(line, strlen(line), &req, &err) < 0) {
        reply_err(c, "%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return;
    }
    bool running = s->phase == PH_RUNNING && !s->done;
    bool needs_qmp = req.cmd != CTL_STATUS && req.cmd != CTL_EVENTS && req.cmd != CTL_DESTROY;
    if (req.cmd == CTL_STATUS) {
        json_object *o = sup_status_json(s);
        sup_client_send(c, o);
        json_object_put(o);
    } else if (req.cmd == CTL_EVENTS) {
        c->events = true;
        reply_ok(c);
    } else if (req.cmd == CTL_DESTROY) {
        do_destroy(s, c, req.graceful);
    } else if (!running) {
        reply_err(c, "domain '%s' is not running (state %s)", s->st.name,
                  s->phase == PH_STARTING ? "starting" : sup_state_to_id(s->st.state));
    } else if (needs_qmp && !sup_qmp_ready(s)) {
        reply_err(c, "the QEMU monitor of domain '%s' is not connected (the supervisor is "
                  "reconnecting); only destroy works now", s->st.name);
    } else {
        switch (req.cmd) {
        case CTL_SHUTDOWN:
        case CTL_REBOOT:
            if (!sup_agent_power(s, c, &req))
                sup_ctl_power(s, c, req.cmd, req.timeout_s);
            break;
        case CTL_SUSPEND:
            qmp_for_client(s, c, "stop", NULL, NULL);
            break;
        case CTL_RESUME:
            if (s->st.state == SUP_STATE_CRASHED)
                reply_err(c, "domain '%s' has crashed; it cannot be resumed", s->st.name);
            else
                qmp_for_client(s, c, "cont", NULL, NULL);
            break;
        case CTL_QMP:
            qmp_for_client(s, c, NULL, NULL, req.json);
            break;
        case CTL_AGENT_COMMAND:
        case CTL_DOMIFADDR:
        case CTL_DOMFSFREEZE:
        case CTL_DOMFSTHAW:
            sup_agent_request(s, c, &req);
            break;
        case CTL_SNAPSHOT_CREATE:
        case CTL_SNAPSHOT_REVERT:
        case CTL_SNAPSHOT_DELETE:
        case CTL_SAVE:
            sup_snapshot_request(s, c, &req);
            break;
        default:
            sup_day2_request(s, c, &req);
            break;
        }
    }
    ctl_request_clear(&req);
}

void sup_ctl_readable(struct sup *s, struct sup_client *c)
{
    char buf[4096];
    ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        sup_client_close(c);
        return;
    }
    c->last_active = ql_mono_ms();
    sb_addn(&c->in, buf, (size_t)r);
    char *nl;
    while (c->fd >= 0 && (nl = memchr(c->in.s, '\n', c->in.len))) {
        *nl = '\0';
        _cleanup_free_ char *line = xstrdup(c->in.s);
        size_t rest = c->in.len - (size_t)(nl + 1 - c->in.s);
        memmove(c->in.s, nl + 1, rest);
        c->in.len = rest;
        c->in.s[rest] = '\0';
        handle_command(s, c, line);
    }
    if (c->fd >= 0 && c->in.len > CTL_MAX_LINE) {
        reply_err(c, "request longer than %d bytes", CTL_MAX_LINE);
        sup_client_close(c);
    }
}

void sup_ctl_accept(struct sup *s)
{
    for (;;) {
        int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        /* Only the domain's owner and root may control it, whatever the socket's mode
         * (QEMU's user, in particular, never). */
        struct ucred cred;
        socklen_t cl = sizeof(cred);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
            (cred.uid != 0 && cred.uid != geteuid())) {
            sup_log(s, "control connection from uid %ld refused",
                    cl == sizeof(cred) ? (long)cred.uid : -1L);
            close(fd);
            continue;
        }
        struct sup_client *slot = NULL, *idle = NULL;
        for (int i = 0; i < SUP_MAX_CLIENTS && !slot; i++) {
            struct sup_client *c = &s->clients[i];
            if (c->fd < 0)
                slot = c;
            else if (!c->events && !c->wait_exit && !c->busy &&
                     (!idle || c->last_active < idle->last_active))
                idle = c;
        }
        if (!slot && idle) {
            /* A new client beats one that has been sitting idle longest. */
            sup_client_close(idle);
            slot = idle;
        }
        if (!slot) {
            bool failed;
            json_object *o = json_object_new_object();
            json_object_object_add(o, "ok", json_object_new_boolean(0));
            json_object_object_add(o, "error", json_object_new_string(
                "the supervisor is busy: too many control connections; try again"));
            send_line(fd, o, &failed);
            json_object_put(o);
            close(fd);
            continue;
        }
        slot->fd = fd;
        slot->id = ++s->next_client_id;
        slot->last_active = ql_mono_ms();
        if (!s->timers[TM_CLIENTS])
            s->timers[TM_CLIENTS] = ql_mono_ms() + 1000;
    }
}

/* Drops clients that connected and asked nothing (or nothing more) for a while; event
 * subscribers and clients waiting for an answer stay. */
void sup_ctl_idle_check(struct sup *s)
{
    int64_t now = ql_mono_ms();
    bool any = false;
    for (int i = 0; i < SUP_MAX_CLIENTS; i++) {
        struct sup_client *c = &s->clients[i];
        if (c->fd < 0)
            continue;
        if (!c->events && !c->wait_exit && !c->busy &&
            now - c->last_active > SUP_CLIENT_IDLE_MS) {
            sup_client_close(c);
            continue;
        }
        any = true;
    }
    s->timers[TM_CLIENTS] = any ? now + 1000 : 0;
}

/* destroy --graceful: as virsh, fail and leave the domain as it is. */
void sup_ctl_graceful_failed(struct sup *s)
{
    for (int i = 0; i < SUP_MAX_CLIENTS; i++) {
        if (s->clients[i].fd >= 0 && s->clients[i].wait_exit) {
            s->clients[i].wait_exit = false;
            reply_err(&s->clients[i], "QEMU (pid %ld) did not exit within %d s of "
                      "SIGTERM; --graceful does not kill it", (long)s->qemu_pid,
                      SUP_DESTROY_GRACE_MS / 1000);
        }
    }
}

/* The domain is gone: answer the destroy callers with the final status, close everyone. */
void sup_ctl_finish(struct sup *s)
{
    for (int i = 0; i < SUP_MAX_CLIENTS; i++) {
        if (s->clients[i].fd >= 0 && s->clients[i].wait_exit) {
            json_object *o = sup_status_json(s);
            sup_client_send(&s->clients[i], o);
            json_object_put(o);
        }
        sup_client_close(&s->clients[i]);
    }
}
