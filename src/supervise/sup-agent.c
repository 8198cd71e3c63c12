/* The guest agent (<channel> org.qemu.guest_agent.0): the supervisor owns the connection to
 * the socket QEMU listens on (the builder names it: qb_result.agent_socket) and serialises
 * the verbs that use it: one exchange at a time, the others queued in order. Each exchange
 * is libvirt's: guest-sync with a random id (what the agent says before that answer is
 * stale, from an earlier exchange that timed out, and is dropped), then the command. Every
 * step has a deadline on the supervisor's timer; nothing waits for the guest, so the other
 * control requests are answered meanwhile. What the agent sends is untrusted (agent-proto.h). */
#include "config.h"
#include "supervise/agent-proto.h"
#include "supervise/ctl-proto.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define AGENT_SYNC_TIMEOUT_MS 5000      /* libvirt's QEMU_AGENT_WAIT_TIME */
#define AGENT_DEFAULT_TIMEOUT_S 5
#define AGENT_NO_REPLY_MS 3000          /* a silent guest-shutdown succeeded after this */
#define AGENT_MAX_QUEUE 16

struct agent_req;
/* Builds the client's reply from the agent's answer: value (the "return" value) or err. */
typedef json_object *(*agent_done_fn)(struct sup *s, struct agent_req *q, json_object *value,
                                      const char *err);

struct agent_req {
    struct agent_req *next;
    unsigned client;
    char *name;                 /* the agent command */
    char *text;                 /* the command as sent */
    int timeout_ms;
    bool no_reply;              /* success is silence (guest-shutdown) */
    agent_done_fn done;
    enum ctl_cmd cmd;
    int shutdown_timeout_s;     /* shutdown: destroy after this many seconds; -1: never */
    bool acpi_fallback;         /* shutdown/reboot --mode agent,acpi */
};

enum agent_phase { AG_IDLE, AG_SYNC, AG_COMMAND };

struct sup_agent {
    int fd;
    struct strbuf out;
    size_t out_off;
    struct qga_stream in;
    struct agent_req *cur, *head;
    size_t n_queued;
    enum agent_phase phase;
    int64_t sync_id;
    unsigned skipped;           /* bad lines since the last one logged */
    bool closing;               /* QEMU is gone: what is queued fails */
};

static struct sup_agent *agent_of(struct sup *s)
{
    if (!s->agent) {
        s->agent = xcalloc(1, sizeof(*s->agent));
        s->agent->fd = -1;
    }
    return s->agent;
}

static void req_free(struct agent_req *q)
{
    free(q->name);
    free(q->text);
    free(q);
}

static json_object *reply_result(json_object *result)
{
    json_object *o = ctl_reply_ok();
    json_object_object_add(o, CTL_RESULT, result);
    return o;
}


static void disconnect(struct sup_agent *a)
{
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    sb_free(&a->out);
    a->out_off = 0;
    qga_stream_clear(&a->in);
}

static void start_next(struct sup *s);

/* Ends the current exchange with the agent's answer (value) or an error. */
static void finish(struct sup *s, json_object *value, const char *err)
{
    struct sup_agent *a = s->agent;
    struct agent_req *q = a->cur;
    a->cur = NULL;
    a->phase = AG_IDLE;
    s->timers[TM_AGENT] = 0;
    if (err && q->acpi_fallback && sup_qemu_alive(s) && sup_qmp_ready(s)) {
        struct sup_client *c = sup_client_done(s, q->client);
        sup_log(s, "the guest agent could not %s the guest (%s): using ACPI",
                q->cmd == CTL_REBOOT ? "reboot" : "shut down", err);
        if (c)
            sup_ctl_power(s, c, q->cmd, q->shutdown_timeout_s);
    } else {
        sup_client_reply(s, q->client, q->done(s, q, value, err));
    }
    req_free(q);
    start_next(s);
}

static void queue_out(struct sup_agent *a, const char *text)
{
    sb_add(&a->out, text);
}

static int agent_connect(struct sup *s, struct ql_error *err)
{
    struct sup_agent *a = s->agent;
    const char *path = s->build.agent_socket;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return ql_error_set(err, ENAMETOOLONG, "the guest agent socket path '%s' is too long",
                            path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return ql_error_set(err, errno, "cannot create a socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return ql_error_set(err, e, "cannot connect to the guest agent socket '%s': %s", path,
                            strerror(e));
    }
    a->fd = fd;
    return 0;
}

static int64_t random_id(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (uint64_t)ql_mono_ms() * 2654435761u;
    return (int64_t)(v & 0x7fffffffffffULL);
}

/* Begins the next queued exchange: connect if needed, guest-sync. */
static void start_next(struct sup *s)
{
    struct sup_agent *a = s->agent;
    while (!a->cur && a->head) {
        a->cur = a->head;
        a->head = a->cur->next;
        a->n_queued--;
        struct ql_error err = QL_ERROR_INIT;
        if (a->closing) {
            finish(s, NULL, "the guest agent's channel closed: QEMU is gone");
            return;
        }
        if (a->fd < 0 && agent_connect(s, &err) < 0) {
            _cleanup_free_ char *msg = xstrdup(ql_error_msg(&err));
            ql_error_clear(&err);
            finish(s, NULL, msg);
            return;
        }
        a->sync_id = random_id();
        _cleanup_free_ char *sync = qga_sync_text(a->sync_id);
        queue_out(a, sync);
        a->phase = AG_SYNC;
        s->timers[TM_AGENT] = ql_mono_ms() + AGENT_SYNC_TIMEOUT_MS;
    }
}

/* Queues an exchange for client c (busy until it is answered). */
static void enqueue(struct sup *s, struct sup_client *c, struct agent_req *q)
{
    struct sup_agent *a = agent_of(s);
    if (a->n_queued >= AGENT_MAX_QUEUE) {
        json_object *o = ctl_reply_error("%zu guest agent commands are already waiting; try "
                                         "again", a->n_queued);
        sup_client_send(c, o);
        json_object_put(o);
        req_free(q);
        return;
    }
    q->client = c->id;
    c->busy++;
    struct agent_req **p = &a->head;
    while (*p)
        p = &(*p)->next;
    *p = q;
    a->n_queued++;
    start_next(s);
}

/* An exchange for command name, whose text (taken) is sent as it is. */
static struct agent_req *req_new(const char *name, char *text, int timeout_s,
                                 agent_done_fn done)
{
    struct agent_req *q = xcalloc(1, sizeof(*q));
    q->name = xstrdup(name);
    q->text = text;
    q->timeout_ms = (timeout_s > 0 ? timeout_s : AGENT_DEFAULT_TIMEOUT_S) * 1000;
    q->no_reply = qga_command_no_reply(name);
    q->done = done;
    q->shutdown_timeout_s = -1;
    return q;
}

/* ---- the loop's side ---- */

int sup_agent_fd(struct sup *s, short *ret_events)
{
    struct sup_agent *a = s->agent;
    if (!a || a->fd < 0)
        return -1;
    *ret_events = POLLIN | (a->out_off < a->out.len ? POLLOUT : 0);
    return a->fd;
}

/* The connection failed or ended: the exchange in progress fails (a silent command that
 * was sent has done its work: the guest went down), the queue is tried on a new one. */
static void lost(struct sup *s, const char *why)
{
    struct sup_agent *a = s->agent;
    disconnect(a);
    if (!a->cur)
        return;
    if (a->phase == AG_COMMAND && a->cur->no_reply) {
        finish(s, NULL, NULL);
        return;
    }
    _cleanup_free_ char *msg = xasprintf("the guest agent's channel closed: %s", why);
    finish(s, NULL, msg);
}

static void on_message(struct sup *s, json_object *msg)
{
    struct sup_agent *a = s->agent;
    json_object *value;
    const char *desc;
    if (a->phase == AG_SYNC) {
        if (!qga_reply_is_sync(msg, a->sync_id))
            return;     /* stale: the answer to an exchange that timed out */
        queue_out(a, a->cur->text);
        a->phase = AG_COMMAND;
        int t = a->cur->timeout_ms;
        if (a->cur->no_reply && t > AGENT_NO_REPLY_MS)
            t = AGENT_NO_REPLY_MS;
        s->timers[TM_AGENT] = ql_mono_ms() + t;
        return;
    }
    if (a->phase != AG_COMMAND)
        return;
    switch (qga_reply_kind(msg, &value, &desc)) {
    case QGA_REPLY_RETURN:
        finish(s, value, NULL);
        break;
    case QGA_REPLY_ERROR: {
        _cleanup_free_ char *e = xasprintf("unable to execute QEMU agent command '%s': %s",
                                           a->cur->name, desc ? desc : "unknown error");
        finish(s, NULL, e);
        break;
    }
    case QGA_REPLY_OTHER:
        break;
    }
}

void sup_agent_io(struct sup *s, short revents)
{
    struct sup_agent *a = s->agent;
    if (!a || a->fd < 0)
        return;
    if ((revents & POLLOUT) && a->out_off < a->out.len) {
        ssize_t w = send(a->fd, a->out.s + a->out_off, a->out.len - a->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            lost(s, strerror(errno));
            return;
        }
        if (w > 0 && (a->out_off += (size_t)w) == a->out.len) {
            sb_reset(&a->out);
            a->out_off = 0;
        }
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    char buf[16384];
    ssize_t n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        lost(s, n == 0 ? "end of file" : strerror(errno));
        return;
    }
    qga_stream_feed(&a->in, buf, (size_t)n);
    for (;;) {
        json_object *msg;
        struct ql_error err = QL_ERROR_INIT;
        int r = qga_stream_next(&a->in, &msg, &err);
        if (r == 0)
            break;
        if (r < 0) {
            if (a->skipped++ % 100 == 0)
                sup_log(s, "warning: %s", ql_error_msg(&err));
            ql_error_clear(&err);
            continue;
        }
        on_message(s, msg);
        json_object_put(msg);
        if (!s->agent || s->agent->fd < 0)
            break;
    }
}

void sup_agent_timeout(struct sup *s)
{
    struct sup_agent *a = s->agent;
    if (!a || !a->cur)
        return;
    /* What was not written is dropped; a command cut short in the agent's parser is reset
     * by the 0xFF that begins the next exchange. */
    sb_reset(&a->out);
    a->out_off = 0;
    if (a->phase == AG_COMMAND && a->cur->no_reply) {
        finish(s, NULL, NULL);
        return;
    }
    _cleanup_free_ char *msg =
        a->phase == AG_SYNC
            ? xasprintf("the guest agent is not responding: no answer to guest-sync within "
                        "%d s (is qemu-guest-agent running in the guest?)",
                        AGENT_SYNC_TIMEOUT_MS / 1000)
            : xasprintf("the guest agent did not answer '%s' within %d s", a->cur->name,
                        a->cur->timeout_ms / 1000);
    finish(s, NULL, msg);
}

void sup_agent_close(struct sup *s)
{
    struct sup_agent *a = s->agent;
    if (!a)
        return;
    a->closing = true;
    lost(s, "QEMU is gone");
    start_next(s);
    disconnect(a);
    free(a);
    s->agent = NULL;
}

/* ---- the verbs ---- */

static json_object *done_ok(struct sup *s, struct agent_req *q, json_object *value,
                            const char *err)
{
    (void)value;
    if (err)
        return ctl_reply_error("%s", err);
    if (q->cmd == CTL_SHUTDOWN && q->shutdown_timeout_s >= 0) {
        s->timers[TM_SHUTDOWN] = ql_mono_ms() + (int64_t)q->shutdown_timeout_s * 1000;
        sup_log(s, "agent shutdown requested, destroying in %d s unless the guest powers off",
                q->shutdown_timeout_s);
    }
    return ctl_reply_ok();
}

static json_object *done_raw(struct sup *s, struct agent_req *q, json_object *value,
                             const char *err)
{
    (void)s;
    if (err)
        return ctl_reply_error("%s", err);
    if (!value && q->no_reply)
        return reply_result(NULL);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "return", json_object_get(value));
    return reply_result(o);
}

static json_object *done_count(struct sup *s, struct agent_req *q, json_object *value,
                               const char *err)
{
    (void)s;
    if (err)
        return ctl_reply_error("%s", err);
    if (!json_object_is_type(value, json_type_int))
        return ctl_reply_error("the guest agent's answer to '%s' is not a number", q->name);
    const char *key = q->cmd == CTL_DOMFSTHAW ? "thawed" : "frozen";
    json_object *o = json_object_new_object();
    json_object_object_add(o, key, json_object_new_int64(json_object_get_int64(value)));
    return reply_result(o);
}

static json_object *done_ifaces(struct sup *s, struct agent_req *q, json_object *value,
                                const char *err)
{
    (void)s;
    (void)q;
    if (err)
        return ctl_reply_error("%s", err);
    json_object *list;
    struct ql_error e = QL_ERROR_INIT;
    if (qga_interfaces(value, &list, &e) < 0) {
        json_object *o = ctl_reply_error("%s", ql_error_msg(&e));
        ql_error_clear(&e);
        return o;
    }
    return reply_result(list);
}

/* domifaddr --source arp: the host's neighbour table for the domain's MAC addresses, named
 * by their host device (libvirt's arp source). */
static json_object *ifaddr_arp(struct sup *s)
{
    _cleanup_free_ char *text = NULL;
    struct ql_error err = QL_ERROR_INIT;
    if (ql_read_file("/proc/net/arp", 1 << 20, &text, NULL, &err) < 0) {
        json_object *o = ctl_reply_error("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return o;
    }
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < s->dom->dev.n_interfaces; i++) {
        const char *mac = s->dom->dev.interfaces[i].mac;
        if (!mac)
            continue;
        json_object *addrs = json_object_new_array();
        char *save = NULL;
        _cleanup_free_ char *copy = xstrdup(text);
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            char ip[64], hw[64];
            if (sscanf(l, "%63s %*s %*s %63s", ip, hw) != 2 || strcasecmp(hw, mac) != 0)
                continue;
            json_object *a = json_object_new_object();
            json_object_object_add(a, "type", json_object_new_string("ipv4"));
            json_object_object_add(a, "addr", json_object_new_string(ip));
            json_object_object_add(a, "prefix", json_object_new_int(0));
            json_object_array_add(addrs, a);
        }
        if (!json_object_array_length(addrs)) {
            json_object_put(addrs);
            continue;
        }
        const char *tap = i < s->st.n_nics && s->st.nic_taps[i] ? s->st.nic_taps[i] : "-";
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(tap));
        json_object_object_add(o, "hwaddr", json_object_new_string(mac));
        json_object_object_add(o, "addrs", addrs);
        json_object_array_add(list, o);
    }
    return reply_result(list);
}

/* The modes of shutdown/reboot --mode: bit 1 acpi, bit 2 agent; -1 for another. */
static int power_modes(const char *mode)
{
    int m = 0;
    _cleanup_free_ char *copy = xstrdup(mode);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "acpi") == 0)
            m |= 1;
        else if (strcmp(t, "agent") == 0)
            m |= 2;
        else
            return -1;
    }
    return m ? m : -1;
}

static json_object *no_agent(struct sup *s)
{
    return ctl_reply_error("domain '%s' has no guest agent channel the supervisor can use "
                           "(<channel type='unix'> with <source mode='bind'/> and <target "
                           "type='virtio' name='org.qemu.guest_agent.0'/>)", s->st.name);
}

bool sup_agent_power(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    if (!req->mode)
        return false;
    int m = power_modes(req->mode);
    json_object *o = NULL;
    if (m < 0)
        o = ctl_reply_error("unsupported %s mode '%s' (acpi and agent are supported)",
                            ctl_cmd_to_string(req->cmd), req->mode);
    else if (!(m & 2))
        return false;
    else if (!s->build.agent_socket && (m & 1))
        return false;   /* as libvirt: the agent is not there, ACPI is allowed */
    else if (!s->build.agent_socket)
        o = no_agent(s);
    if (o) {
        sup_client_send(c, o);
        json_object_put(o);
        return true;
    }
    json_object *args = json_object_new_object();
    json_object_object_add(args, "mode", json_object_new_string(
                                             req->cmd == CTL_REBOOT ? "reboot" : "powerdown"));
    struct agent_req *q = req_new("guest-shutdown", qga_command_text("guest-shutdown", args), 0,
                                  done_ok);
    json_object_put(args);
    q->cmd = req->cmd;
    q->acpi_fallback = m & 1;
    if (req->cmd == CTL_SHUTDOWN) {
        q->shutdown_timeout_s = req->timeout_s;
        s->st.shutdown_pending = true;
        sup_write_state(s);
    }
    enqueue(s, c, q);
    return true;
}

void sup_agent_request(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    json_object *o = NULL;
    struct agent_req *q = NULL;
    const char *source = req->source ? req->source : s->build.agent_socket ? "agent" : "arp";
    if (req->cmd == CTL_DOMIFADDR && strcmp(source, "arp") == 0) {
        o = ifaddr_arp(s);
    } else if (req->cmd == CTL_DOMIFADDR && strcmp(source, "agent") != 0) {
        o = ctl_reply_error(strcmp(source, "lease") == 0
                                ? "domifaddr --source lease is not supported: qlaunch runs no "
                                  "DHCP server; use --source agent or arp"
                                : "unknown domifaddr source '%s' (agent, arp, lease)", source);
    } else if (!s->build.agent_socket) {
        o = no_agent(s);
    } else if (req->cmd == CTL_AGENT_COMMAND) {
        struct ql_error err = QL_ERROR_INIT;
        char *name, *text;
        if (qga_command_parse(req->json, &name, &text, &err) < 0) {
            o = ctl_reply_error("%s", ql_error_msg(&err));
            ql_error_clear(&err);
        } else {
            q = req_new(name, text, req->timeout_s, done_raw);
            free(name);
        }
    } else if (req->cmd == CTL_DOMIFADDR) {
        q = req_new("guest-network-get-interfaces",
                    qga_command_text("guest-network-get-interfaces", NULL), 0, done_ifaces);
    } else if (req->cmd == CTL_DOMFSFREEZE && req->mountpoints) {
        json_object *list = json_object_new_array();
        _cleanup_free_ char *copy = xstrdup(req->mountpoints);
        char *save = NULL;
        for (char *m = strtok_r(copy, "\n", &save); m; m = strtok_r(NULL, "\n", &save))
            json_object_array_add(list, json_object_new_string(m));
        json_object *args = json_object_new_object();
        json_object_object_add(args, "mountpoints", list);
        q = req_new("guest-fsfreeze-freeze-list",
                    qga_command_text("guest-fsfreeze-freeze-list", args), 0, done_count);
        json_object_put(args);
    } else {
        const char *name = req->cmd == CTL_DOMFSTHAW ? "guest-fsfreeze-thaw"
                                                     : "guest-fsfreeze-freeze";
        q = req_new(name, qga_command_text(name, NULL), 0, done_count);
    }
    if (q) {
        q->cmd = req->cmd;
        enqueue(s, c, q);
        return;
    }
    sup_client_send(c, o);
    json_object_put(o);
}
