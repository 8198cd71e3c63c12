/* Control socket client: what every CLI verb on a running domain goes through. */
#include "config.h"
#include "supervise/ctl-client.h"
#include "supervise/helpers.h"
#include "supervise/probe.h"
#include "supervise/rundir.h"
#include "supervise/spawn.h"
#include "supervise/supervisor.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void ctl_conn_close(struct ctl_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    sb_free(&c->in);
    c->fd = -1;
}

int ctl_conn_read_line(struct ctl_conn *c, size_t max, int timeout_ms, char **ret_line,
                       struct ql_error *err)
{
    *ret_line = NULL;
    int64_t deadline = timeout_ms < 0 ? -1 : ql_mono_ms() + timeout_ms;
    size_t scanned = 0;
    for (;;) {
        char *nl = c->in.len > scanned ? memchr(c->in.s + scanned, '\n', c->in.len - scanned)
                                       : NULL;
        if (nl) {
            size_t n = (size_t)(nl - c->in.s);
            if (n > max)
                break;
            *ret_line = xstrndup(c->in.s, n);
            memmove(c->in.s, nl + 1, c->in.len - n - 1);
            c->in.len -= n + 1;
            c->in.s[c->in.len] = '\0';
            return 0;
        }
        scanned = c->in.len;
        if (c->in.len > max)
            break;
        int left = deadline < 0 ? -1 : (int)(deadline - ql_mono_ms());
        if (deadline >= 0 && left <= 0)
            return ql_error_set(err, ETIMEDOUT, "no answer within %d ms", timeout_ms);
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int r = poll(&pfd, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ql_error_set(err, errno, "poll: %s", strerror(errno));
        if (r == 0)
            continue;
        char buf[4096];
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return ql_error_set(err, errno, "read: %s", strerror(errno));
        if (n == 0)
            return ql_error_set(err, EPIPE, "the connection was closed");
        sb_addn(&c->in, buf, (size_t)n);
    }
    return ql_error_set(err, EMSGSIZE, "a line longer than %zu bytes", max);
}

static int connect_unix(const char *path, struct ql_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof(sa.sun_path))
        return ql_error_set(err, ENAMETOOLONG, "the socket path '%s' is too long", path);
    memcpy(sa.sun_path, path, len + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ql_error_set(err, errno, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return ql_error_set(err, e, "cannot connect to '%s': %s", path, strerror(e));
    }
    return fd;
}

static bool dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Nobody listens on the control socket. Who holds the run directory is asked of the locks
 * and /proc (sup_probe), never of the state file alone: a state that is missing, empty or
 * garbled (a supervisor killed while starting or writing) must not make a live QEMU look
 * gone, and a directory nobody holds is a leftover to record and clean. */
static int recover(const struct ctl_target *t, const struct sup_paths *p, struct ql_error *err)
{
    struct sup_probe pr;
    sup_probe(p, &pr);
    if (pr.supervisor)
        return ql_error_set(err, ENOTCONN, "domain '%s' is not reachable yet: its supervisor "
                            "is starting or stopping it", t->name);
    if (!pr.qemu_pid) {
        if (!dir_exists(p->dir))    /* it ended just now, and its supervisor cleaned up */
            return ql_error_set(err, ENOENT, "domain '%s' is not running", t->name);
        /* Both gone and nobody saw QEMU end: record it as libvirt would (shut off,
         * crashed) and clean the leftover directory. */
        struct sup_status st;
        bool known = sup_status_read(p->state, &st, NULL) == 0;
        /* Without a state, a supervisor that just finished (it writes NAME.last, then
         * removes the directory) may be what we see: its outcome is not overwritten. */
        if (!known && access(p->last, F_OK) < 0) {
            memset(&st, 0, sizeof(st));
            st.name = xstrdup(t->name);
            known = true;
        }
        if (known) {
            /* Files given to QEMU's user go back to their owners (its supervisor could
             * not do it). */
            for (size_t k = 0; k < st.n_grants; k++)
                host_dac_restore(&st.grants[k], st.qemu_uid);
            sup_helpers_stop(&st, NULL, NULL);  /* swtpm and its socket */
            sup_pci_restore(&st, NULL, NULL);   /* functions bound to vfio-pci go back */
            if (st.save_tmp)                    /* an interrupted save's file */
                unlink(st.save_tmp);
            st.state = SUP_STATE_SHUTOFF;
            st.reason = SUP_REASON_CRASHED;
            st.qemu_pid = 0;
            sup_status_write(p->last, &st, NULL);
            sup_status_clear(&st);
        }
        sup_rundir_remove(p);
        return ql_error_set(err, ENOENT, "domain '%s' is not running", t->name);
    }
    _cleanup_free_ char *xml = xasprintf("%s/domain.xml", p->dir);
    struct sup_config cfg = {.xml_path = xml, .base = t->run_dir, .log_dir = t->log_dir,
                             .restart_cap = SUP_DEFAULT_RESTART_CAP,
                             .restart_window_s = SUP_DEFAULT_RESTART_WINDOW,
                             .ready_fd = -1, .reattach_name = t->name};
    int r = sup_spawn(&cfg, NULL, err);
    if (r < 0)
        ql_error_prefix(err, "cannot re-attach to domain '%s'", t->name);
    return r;
}

int ctl_open(const struct ctl_target *t, struct ctl_conn *ret, struct ql_error *err)
{
    *ret = (struct ctl_conn)CTL_CONN_INIT;
    _cleanup_(sup_paths_free) struct sup_paths p = {0};
    int r = sup_paths_init(&p, t->run_dir, t->name, err);
    if (r < 0)
        return r;
    if (!dir_exists(p.dir))
        return ql_error_set(err, ENOENT, "domain '%s' is not running", t->name);
    struct ql_error e2 = QL_ERROR_INIT;
    int fd = connect_unix(p.ctl, &e2);
    if (fd >= 0) {
        ql_debug("connected to the supervisor of '%s' (%s)", t->name, p.ctl);
        ret->fd = fd;
        return 0;
    }
    /* Only "nobody listens" means the supervisor is gone; anything else (a full backlog,
     * permissions) is no reason to start another. */
    if (fd != -ECONNREFUSED && fd != -ENOENT) {
        r = ql_error_set(err, -fd, "cannot reach the supervisor of '%s': %s", t->name,
                         ql_error_msg(&e2));
        ql_error_clear(&e2);
        return r;
    }
    ql_error_clear(&e2);
    r = recover(t, &p, err);
    /* Even when this re-attach failed, another client's may have won the race. */
    fd = connect_unix(p.ctl, &e2);
    if (fd >= 0) {
        ql_error_clear(err);
        ret->fd = fd;
        return 0;
    }
    if (r == 0)
        r = ql_error_set(err, -fd, "cannot reach the supervisor of '%s': %s", t->name,
                         ql_error_msg(&e2));
    ql_error_clear(&e2);
    return r;
}

static int send_all(int fd, const char *s, size_t len, struct ql_error *err)
{
    while (len) {
        ssize_t w = send(fd, s, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ql_error_set(err, errno, "%s", strerror(errno));
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Sends req on c and reads its reply. */
static int request(const struct ctl_target *t, struct ctl_conn *c, const struct ctl_request *req,
                   int timeout_ms, json_object **ret_reply, struct ql_error *err)
{
    int64_t t0 = ql_mono_ms();
    _cleanup_free_ char *line = ctl_request_format(req);
    int r = send_all(c->fd, line, strlen(line), err);
    if (r < 0) {
        ql_error_prefix(err, "cannot talk to the supervisor of '%s'", t->name);
        return r;
    }
    _cleanup_free_ char *rep = NULL;
    r = ctl_conn_read_line(c, CTL_MAX_REPLY, timeout_ms, &rep, err);
    if (r < 0) {
        ql_error_prefix(err, "no answer from the supervisor of '%s'", t->name);
        return r;
    }
    r = ctl_reply_parse(rep, strlen(rep), ret_reply, err);
    if (r < 0 && r != -EREMOTEIO)
        ql_error_prefix(err, "domain '%s'", t->name);
    ql_debug("request '%s' to the supervisor of '%s': %s (%lld ms)", ctl_cmd_to_string(req->cmd),
             t->name, r < 0 ? ql_error_msg(err) : "ok", (long long)(ql_mono_ms() - t0));
    return r;
}

int ctl_call(const struct ctl_target *t, const struct ctl_request *req, int timeout_ms,
             json_object **ret_reply, struct ql_error *err)
{
    *ret_reply = NULL;
    struct ctl_conn c;
    int r = ctl_open(t, &c, err);
    if (r < 0)
        return r;
    r = request(t, &c, req, timeout_ms, ret_reply, err);
    ctl_conn_close(&c);
    return r;
}

int ctl_status(const struct ctl_target *t, struct sup_status *ret, struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    struct ctl_request req = CTL_REQUEST_INIT(CTL_STATUS);
    json_object *rep, *st;
    int r = ctl_call(t, &req, CTL_STATUS_TIMEOUT_MS, &rep, err);
    if (r < 0)
        return r;
    if (!json_object_object_get_ex(rep, "status", &st))
        r = ql_error_set(err, EBADMSG, "the supervisor of '%s' answered \"status\" without "
                         "the domain status", t->name);
    else if ((r = sup_status_from_json(st, ret, err)) < 0)
        ql_error_prefix(err, "the supervisor of '%s'", t->name);
    json_object_put(rep);
    return r;
}

int ctl_subscribe(const struct ctl_target *t, struct ctl_conn *ret, struct ql_error *err)
{
    struct ctl_request req = CTL_REQUEST_INIT(CTL_EVENTS);
    int r = ctl_open(t, ret, err);
    if (r < 0)
        return r;
    json_object *ack;
    r = request(t, ret, &req, CTL_STATUS_TIMEOUT_MS, &ack, err);
    json_object_put(ack);
    if (r < 0)
        ctl_conn_close(ret);
    return r;
}

int ctl_wait_gone(const struct ctl_target *t, int timeout_ms, struct ql_error *err)
{
    _cleanup_(sup_paths_free) struct sup_paths p = {0};
    int r = sup_paths_init(&p, t->run_dir, t->name, err);
    if (r < 0)
        return r;
    /* The supervisor removes the directory as its very last step; nothing to wait on but
     * the directory itself. */
    int64_t deadline = ql_mono_ms() + timeout_ms;
    for (;;) {
        if (!dir_exists(p.dir))
            return 0;
        if (ql_mono_ms() >= deadline)
            return ql_error_set(err, ETIMEDOUT, "domain '%s' is still there after %d ms",
                                t->name, timeout_ms);
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
}
