/* QMP connection: framing, negotiation, id matching, dispatch. See qmp.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp/qmp-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/time.h"

#define QMP_READ_CHUNK 65536
/* QMP replies are shallow (query-pci is ~8 levels); json-c's default is 32. */
#define QMP_JSON_DEPTH 64

struct qmp_pending {
    struct qmp_pending *next;
    uint64_t id;
    char *command;
    qmp_reply_cb cb;        /* NULL: reply is discarded (abandoned or not wanted) */
    void *opaque;
};

/* A light scan of every message next to json-c's tokener: it knows where a message ends
 * and what its first top-level key says (event or reply) without building it, so that a
 * message over the size limit can be skipped instead of breaking the connection. */
enum qmp_scan_kind { SCAN_UNKNOWN, SCAN_EVENT, SCAN_REPLY };

struct qmp_scan {
    unsigned depth;
    bool in_str, esc, expect_key, capturing, started;
    char key[8];
    size_t key_len;
    enum qmp_scan_kind kind;
};

struct qmp_conn {
    int fd;
    enum qmp_conn_state state;
    struct qmp_callbacks cb;
    void *opaque;

    struct json_tokener *tok;
    size_t max_msg;
    size_t cur_len;             /* bytes of the message being parsed (0: between messages) */
    struct qmp_scan scan;       /* of the message being parsed or skipped */
    bool skipping;              /* discarding a message over max_msg */
    size_t skipped;             /* its size so far */
    unsigned u8_need;           /* UTF-8 continuation bytes still expected */
    unsigned char u8_lo, u8_hi; /* allowed range of the next continuation byte */
    char *rbuf;
    size_t rpos, rlen;

    struct strbuf wbuf;         /* bytes to write, from woff */
    size_t woff;
    struct strbuf held;         /* user commands queued until negotiation is done */
    bool write_failed;
    int pass_fd;                /* qmp_send_fd: sent with the byte at wbuf offset pass_at */
    size_t pass_at;

    struct qmp_pending *pending, **pending_tail;
    size_t npending;
    uint64_t next_id;

    bool have_version;
    struct qmp_version version;
    char **caps;
    size_t ncaps;

    FILE *transcript;
    struct ql_error end_err;    /* why the connection is closed or broken */
    unsigned refs;
    bool freeing, freed;
};

static void conn_ref(struct qmp_conn *conn)
{
    conn->refs++;
}

static void pending_free(struct qmp_pending *p)
{
    if (!p)
        return;
    free(p->command);
    free(p);
}

static void conn_destroy(struct qmp_conn *conn)
{
    if (conn->fd >= 0)
        close(conn->fd);
    if (conn->pass_fd >= 0)
        close(conn->pass_fd);
    json_tokener_free(conn->tok);
    free(conn->rbuf);
    sb_free(&conn->wbuf);
    sb_free(&conn->held);
    qmp_version_clear(&conn->version);
    for (size_t i = 0; i < conn->ncaps; i++)
        free(conn->caps[i]);
    free(conn->caps);
    ql_error_clear(&conn->end_err);
    free(conn);
}

static void conn_unref(struct qmp_conn *conn)
{
    if (--conn->refs == 0)
        conn_destroy(conn);
}

void qmp_version_clear(struct qmp_version *v)
{
    if (!v)
        return;
    free(v->package);
    memset(v, 0, sizeof(*v));
}

struct qmp_conn *qmp_conn_new_fd(int fd, const struct qmp_callbacks *cb, void *opaque)
{
    struct qmp_conn *conn = xcalloc(1, sizeof(*conn));
    conn->fd = fd;
    conn->pass_fd = -1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    if (cb)
        conn->cb = *cb;
    conn->opaque = opaque;
    conn->tok = json_tokener_new_ex(QMP_JSON_DEPTH);
    if (!conn->tok)
        abort();
    /* Not JSON_TOKENER_VALIDATE_UTF8: json-c 0.16 loses its UTF-8 state between calls, so a
     * character split across two reads would be refused. utf8_check() does it instead. */
    json_tokener_set_flags(conn->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    conn->max_msg = QMP_DEFAULT_MAX_MESSAGE;
    conn->rbuf = xmalloc(QMP_READ_CHUNK);
    conn->pending_tail = &conn->pending;
    conn->next_id = 1;
    conn->refs = 1;
    conn->state = QMP_CONN_GREETING;
    return conn;
}

int qmp_connect_unix(const char *path, const struct qmp_callbacks *cb, void *opaque,
                     struct qmp_conn **ret_conn, struct ql_error *err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sun.sun_path))
        return ql_error_set(err, ENAMETOOLONG, "QMP socket path '%s' is too long", path);
    memcpy(sun.sun_path, path, strlen(path) + 1);
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot create a socket for QMP");
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        return ql_error_errno(err, errno, "cannot connect to QMP socket '%s'", path);
    *ret_conn = qmp_conn_new_fd(steal_fd(&fd), cb, opaque);
    return 0;
}

int qmp_conn_fd(const struct qmp_conn *conn)
{
    return conn->fd;
}

enum qmp_conn_state qmp_conn_get_state(const struct qmp_conn *conn)
{
    return conn->state;
}

void qmp_conn_set_max_message(struct qmp_conn *conn, size_t max)
{
    conn->max_msg = max ? max : QMP_DEFAULT_MAX_MESSAGE;
}

void qmp_conn_set_transcript(struct qmp_conn *conn, FILE *f)
{
    conn->transcript = f;
}

const struct qmp_version *qmp_conn_version(const struct qmp_conn *conn)
{
    return conn->have_version ? &conn->version : NULL;
}

bool qmp_conn_has_capability(const struct qmp_conn *conn, const char *cap)
{
    for (size_t i = 0; i < conn->ncaps; i++)
        if (STREQ(conn->caps[i], cap))
            return true;
    return false;
}

size_t qmp_conn_pending(const struct qmp_conn *conn)
{
    return conn->npending;
}

static bool conn_alive(const struct qmp_conn *conn)
{
    return conn->state != QMP_CONN_CLOSED && conn->state != QMP_CONN_BROKEN && !conn->freed;
}

bool qmp_conn_wants_write(const struct qmp_conn *conn)
{
    return conn_alive(conn) && !conn->write_failed && conn->wbuf.len > conn->woff;
}

short qmp_conn_poll_events(const struct qmp_conn *conn)
{
    if (!conn_alive(conn))
        return 0;
    return POLLIN | (qmp_conn_wants_write(conn) ? POLLOUT : 0);
}

/* ---- transcript ---- */

/* Which argument of which command is a secret. */
static const struct {
    const char *command, *arg;
} secret_args[] = {
    {"set_password", "password"},
    {"change-vnc-password", "password"},
    {"object-add", "data"},     /* secret objects given inline */
};

static void transcript_line(struct qmp_conn *conn, const char *dir, json_object *msg)
{
    if (!conn->transcript)
        return;
    json_object *copy = NULL;
    const char *cmd = ql_json_str(msg, "execute", NULL);
    json_object *args = NULL;
    if (cmd && json_object_object_get_ex(msg, "arguments", &args) &&
        json_object_is_type(args, json_type_object)) {
        for (size_t i = 0; i < ARRAY_SIZE(secret_args); i++) {
            if (!STREQ(cmd, secret_args[i].command) ||
                !json_object_object_get_ex(args, secret_args[i].arg, NULL))
                continue;
            if (!copy && json_object_deep_copy(msg, &copy, NULL) < 0)
                return;
            json_object *cargs = json_object_object_get(copy, "arguments");
            json_object_object_add(cargs, secret_args[i].arg, json_object_new_string("***"));
        }
    }
    /* HMP's password commands carry the secret inside the command line. */
    const char *hmp = cmd && STREQ(cmd, "human-monitor-command") && args
                          ? ql_json_str(args, "command-line", NULL) : NULL;
    if (hmp) {
        while (*hmp == ' ')
            hmp++;
        static const char *const hmp_secret[] = {"set_password", "change vnc password",
                                                 "change vnc"};
        for (size_t i = 0; i < ARRAY_SIZE(hmp_secret); i++) {
            size_t l = strlen(hmp_secret[i]);
            if (strncmp(hmp, hmp_secret[i], l) != 0 || (hmp[l] && hmp[l] != ' '))
                continue;
            if (!copy && json_object_deep_copy(msg, &copy, NULL) < 0)
                return;
            json_object *cargs = json_object_object_get(copy, "arguments");
            _cleanup_free_ char *red = xasprintf("%s ***", hmp_secret[i]);
            json_object_object_add(cargs, "command-line", json_object_new_string(red));
            break;
        }
    }
    const int flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
    fprintf(conn->transcript, "%s %s\n", dir,
            json_object_to_json_string_ext(copy ? copy : msg, flags));
    fflush(conn->transcript);
    json_object_put(copy);
}

/* ---- ending the connection ---- */

static void reply_fail(struct qmp_conn *conn, struct qmp_pending *p, int code, const char *why)
{
    if (!p->cb)
        return;
    _cleanup_free_ char *msg = xasprintf("QMP command '%s' failed: %s", p->command, why);
    struct qmp_reply r = {
        .id = p->id, .command = p->command, .error = -code, .message = msg,
    };
    p->cb(conn, &r, p->opaque);
}

static void fail_all_pending(struct qmp_conn *conn, int code, const char *why)
{
    while (conn->pending) {
        struct qmp_pending *p = conn->pending;
        conn->pending = p->next;
        if (!conn->pending)
            conn->pending_tail = &conn->pending;
        conn->npending--;
        reply_fail(conn, p, code, why);
        pending_free(p);
    }
}

/* Moves the connection to CLOSED or BROKEN, fails pending commands and tells the owner.
 * Returns -code. The first reason wins. */
static int conn_end(struct qmp_conn *conn, enum qmp_conn_state state, int code,
                    const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int conn_end(struct qmp_conn *conn, enum qmp_conn_state state, int code,
                    const char *fmt, ...)
{
    if (!conn_alive(conn))
        return -(conn->end_err.code ? conn->end_err.code : code);
    va_list ap;
    va_start(ap, fmt);
    ql_error_setv(&conn->end_err, code, fmt, ap);
    va_end(ap);
    conn->state = state;
    sb_reset(&conn->wbuf);
    sb_reset(&conn->held);
    conn->woff = 0;
    conn_ref(conn);
    fail_all_pending(conn, code, ql_error_msg(&conn->end_err));
    if (conn->cb.closed)
        conn->cb.closed(conn, &conn->end_err, conn->opaque);
    conn_unref(conn);
    return -code;
}

static int conn_end_error(struct qmp_conn *conn, struct ql_error *err)
{
    return ql_error_set(err, conn->end_err.code, "%s", ql_error_msg(&conn->end_err));
}

void qmp_conn_free(struct qmp_conn *conn)
{
    if (!conn || conn->freeing)
        return;     /* a closed callback run by this very call freed it again */
    conn->freeing = true;
    if (conn_alive(conn))
        conn_end(conn, QMP_CONN_CLOSED, ECANCELED, "the QMP connection was closed by its owner");
    conn->freed = true;
    conn_unref(conn);
}

/* ---- output ---- */

/* Writes from woff, the fd to pass (if any) with the first byte of its command: the bytes
 * before it go in a write of their own. */
static ssize_t write_some(struct qmp_conn *conn)
{
    size_t len = conn->wbuf.len - conn->woff;
    if (conn->pass_fd < 0 || conn->woff > conn->pass_at)
        return send(conn->fd, conn->wbuf.s + conn->woff, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (conn->woff < conn->pass_at)
        return send(conn->fd, conn->wbuf.s + conn->woff, conn->pass_at - conn->woff,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct iovec iov = {conn->wbuf.s + conn->woff, len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &conn->pass_fd, sizeof(int));
    ssize_t n = sendmsg(conn->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
        close(conn->pass_fd);
        conn->pass_fd = -1;
    }
    return n;
}

static int flush_output(struct qmp_conn *conn, struct ql_error *err)
{
    while (conn->wbuf.len > conn->woff && !conn->write_failed) {
        ssize_t n = write_some(conn);
        if (n < 0 && errno == ENOTSOCK)
            n = write(conn->fd, conn->wbuf.s + conn->woff, conn->wbuf.len - conn->woff);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            /* Let the read side report the EOF, so that callbacks never run from
             * within qmp_send. */
            conn->write_failed = true;
            return ql_error_errno(err, errno, "cannot write to the QMP socket");
        }
        conn->woff += (size_t)n;
    }
    if (conn->woff == conn->wbuf.len) {
        sb_reset(&conn->wbuf);
        conn->woff = 0;
    }
    return 0;
}

int qmp_conn_on_writable(struct qmp_conn *conn, struct ql_error *err)
{
    if (!conn_alive(conn))
        return conn_end_error(conn, err);
    return flush_output(conn, err);
}

static int queue_message(struct qmp_conn *conn, json_object *msg, bool hold, struct ql_error *err)
{
    const char *text = json_object_to_json_string_ext(
        msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = strlen(text);
    if (conn->wbuf.len - conn->woff + conn->held.len + len + 2 > QMP_MAX_OUTPUT)
        return ql_error_set(err, ENOBUFS,
                            "cannot queue QMP command: more than %d bytes are waiting to be sent",
                            QMP_MAX_OUTPUT);
    transcript_line(conn, "->", msg);
    struct strbuf *sb = hold ? &conn->held : &conn->wbuf;
    sb_addn(sb, text, len);
    sb_add(sb, "\r\n");
    if (!hold)
        (void)flush_output(conn, NULL);
    return 0;
}

static int send_message(struct qmp_conn *conn, json_object *msg, const char *command,
                        bool internal, qmp_reply_cb cb, void *opaque, uint64_t *ret_id,
                        struct ql_error *err)
{
    if (!conn_alive(conn)) {
        int r = ql_error_set(err, conn->end_err.code ? conn->end_err.code : ECONNRESET,
                             "cannot send QMP command '%s': %s", command,
                             ql_error_msg(&conn->end_err));
        return r;
    }
    uint64_t id = conn->next_id++;
    json_object_object_add(msg, "id", json_object_new_uint64(id));
    bool hold = !internal && conn->state != QMP_CONN_READY;
    int r = queue_message(conn, msg, hold, err);
    if (r < 0)
        return r;
    struct qmp_pending *p = xcalloc(1, sizeof(*p));
    p->id = id;
    p->command = xstrdup(command);
    p->cb = cb;
    p->opaque = opaque;
    *conn->pending_tail = p;
    conn->pending_tail = &p->next;
    conn->npending++;
    if (ret_id)
        *ret_id = id;
    return 0;
}

int qmp_send(struct qmp_conn *conn, const char *command, json_object *args, qmp_reply_cb cb,
             void *opaque, uint64_t *ret_id, struct ql_error *err)
{
    json_object *msg = json_object_new_object();
    json_object_object_add(msg, "execute", json_object_new_string(command));
    if (args)
        json_object_object_add(msg, "arguments", json_object_get(args));
    int r = send_message(conn, msg, command, false, cb, opaque, ret_id, err);
    json_object_put(msg);
    return r;
}

int qmp_send_fd(struct qmp_conn *conn, const char *command, json_object *args, int fd,
                qmp_reply_cb cb, void *opaque, uint64_t *ret_id, struct ql_error *err)
{
    if (conn_alive(conn) && conn->state != QMP_CONN_READY)
        return ql_error_set(err, EAGAIN, "cannot pass a file to QEMU before QMP is ready");
    if (conn->pass_fd >= 0)
        return ql_error_set(err, EBUSY, "another file is being passed to QEMU");
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0)
        return ql_error_errno(err, errno, "cannot pass a file to QEMU");
    /* Set before the command is queued: queueing writes at once. */
    conn->pass_fd = dup;
    conn->pass_at = conn->wbuf.len;
    int r = qmp_send(conn, command, args, cb, opaque, ret_id, err);
    if (r < 0 && conn->pass_fd >= 0) {
        close(conn->pass_fd);
        conn->pass_fd = -1;
    }
    return r;
}

int qmp_send_raw(struct qmp_conn *conn, const char *json_text, qmp_reply_cb cb, void *opaque,
                 uint64_t *ret_id, struct ql_error *err)
{
    enum json_tokener_error jerr;
    json_object *msg = json_tokener_parse_verbose(json_text, &jerr);
    if (!msg || !json_object_is_type(msg, json_type_object)) {
        json_object_put(msg);
        return ql_error_set(err, EINVAL, "raw QMP command is not a JSON object: %s",
                            msg ? "wrong type" : json_tokener_error_desc(jerr));
    }
    const char *cmd = ql_json_str(msg, "execute", NULL);
    json_object *args = NULL;
    int r;
    if (!cmd)
        r = ql_error_set(err, EINVAL, "raw QMP command has no string member 'execute'");
    else if (json_object_object_get_ex(msg, "arguments", &args) &&
             !json_object_is_type(args, json_type_object))
        r = ql_error_set(err, EINVAL, "raw QMP command '%s' has 'arguments' that is not an object",
                         cmd);
    else {
        _cleanup_free_ char *name = xstrdup(cmd);
        json_object_object_del(msg, "id");
        r = send_message(conn, msg, name, false, cb, opaque, ret_id, err);
    }
    json_object_put(msg);
    return r;
}

/* ---- input ---- */

static void negotiated(struct qmp_conn *conn, const struct qmp_reply *reply, void *opaque)
{
    if (reply->error == -EREMOTEIO) {
        conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QMP capabilities negotiation failed: %s: %s",
                 reply->error_class, reply->error_desc);
        return;
    }
    if (reply->error)
        return;     /* the connection already ended */
    conn->state = QMP_CONN_READY;
    if (conn->held.len) {
        sb_addn(&conn->wbuf, conn->held.s, conn->held.len);
        sb_reset(&conn->held);
        (void)flush_output(conn, NULL);
    }
    if (conn->cb.ready)
        conn->cb.ready(conn, conn->opaque);
}

static int handle_greeting(struct qmp_conn *conn, json_object *msg)
{
    if (conn->state != QMP_CONN_GREETING)
        return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QEMU sent a second QMP greeting");
    json_object *qmp = json_object_object_get(msg, "QMP");
    if (!json_object_is_type(qmp, json_type_object))
        return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QMP greeting is not an object");
    json_object *caps = NULL;
    conn->have_version = true;
    (void)qmp_version_decode(ql_json_get(qmp, "version", json_type_object), &conn->version);
    if (json_object_object_get_ex(qmp, "capabilities", &caps) &&
        json_object_is_type(caps, json_type_array)) {
        size_t n = json_object_array_length(caps);
        conn->caps = xcalloc(n ? n : 1, sizeof(*conn->caps));
        for (size_t i = 0; i < n; i++) {
            json_object *c = json_object_array_get_idx(caps, i);
            if (json_object_is_type(c, json_type_string))
                conn->caps[conn->ncaps++] = xstrdup(json_object_get_string(c));
        }
    }
    conn->state = QMP_CONN_NEGOTIATING;
    json_object *cmd = json_object_new_object();
    json_object_object_add(cmd, "execute", json_object_new_string("qmp_capabilities"));
    struct ql_error e = QL_ERROR_INIT;
    int r = send_message(conn, cmd, "qmp_capabilities", true, negotiated, NULL, NULL, &e);
    json_object_put(cmd);
    if (r < 0) {
        r = conn_end(conn, QMP_CONN_BROKEN, -r, "%s", ql_error_msg(&e));
        ql_error_clear(&e);
    }
    return r;
}

static int handle_reply(struct qmp_conn *conn, json_object *msg, json_object *ret,
                        json_object *error)
{
    if (conn->state == QMP_CONN_GREETING)
        return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QEMU sent a QMP reply before the greeting");
    json_object *idobj = NULL;
    json_object_object_get_ex(msg, "id", &idobj);
    if (!json_object_is_type(idobj, json_type_int))
        return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QMP reply has %s id: %s",
                        idobj ? "an unexpected" : "no",
                        json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
    uint64_t id = json_object_get_uint64(idobj);
    struct qmp_pending **pp = &conn->pending;
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    struct qmp_pending *p = *pp;
    if (!p)
        return conn_end(conn, QMP_CONN_BROKEN, EPROTO,
                        "QMP reply has id %" PRIu64 ", which matches no command sent", id);
    *pp = p->next;
    if (conn->pending_tail == &p->next)
        conn->pending_tail = pp;
    conn->npending--;

    struct qmp_reply r = {.id = id, .command = p->command};
    _cleanup_free_ char *msgtext = NULL;
    if (error) {
        r.error = -EREMOTEIO;
        r.error_class = ql_json_str(error, "class", NULL);
        r.error_desc = ql_json_str(error, "desc", NULL);
        if (!r.error_class)
            r.error_class = "GenericError";
        if (!r.error_desc)
            r.error_desc = "(no description)";
        msgtext = xasprintf("QMP command '%s' failed: %s: %s", p->command, r.error_class,
                            r.error_desc);
        r.message = msgtext;
    } else {
        r.ret = ret;
    }
    if (p->cb)
        p->cb(conn, &r, p->opaque);
    pending_free(p);
    return 0;
}

static int dispatch(struct qmp_conn *conn, json_object *msg)
{
    transcript_line(conn, "<-", msg);
    if (!json_object_is_type(msg, json_type_object))
        return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QMP message is not a JSON object");
    json_object *ret = NULL, *error = NULL;
    if (json_object_object_get_ex(msg, "QMP", NULL))
        return handle_greeting(conn, msg);
    if (json_object_object_get_ex(msg, "event", NULL)) {
        if (!ql_json_str(msg, "event", NULL))
            return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QMP event name is not a string");
        struct qmp_event ev;
        qmp_event_decode(msg, &ev);
        if (conn->cb.event)
            conn->cb.event(conn, &ev, conn->opaque);
        return 0;
    }
    if (json_object_object_get_ex(msg, "return", &ret) ||
        json_object_object_get_ex(msg, "error", &error))
        return handle_reply(conn, msg, ret, error);
    return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "unexpected QMP message: %.200s",
                    json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN));
}

/* Incremental UTF-8 validation of the byte stream (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Returns the number of valid bytes at the start of s. */
static size_t utf8_check(struct qmp_conn *conn, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (conn->u8_need) {
            if (c < conn->u8_lo || c > conn->u8_hi)
                return i;
            conn->u8_need--;
            conn->u8_lo = 0x80;
            conn->u8_hi = 0xbf;
            continue;
        }
        if (c < 0x80)
            continue;
        conn->u8_lo = 0x80;
        conn->u8_hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            conn->u8_need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            conn->u8_need = 2;
            if (c == 0xe0)
                conn->u8_lo = 0xa0;
            else if (c == 0xed)
                conn->u8_hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            conn->u8_need = 3;
            if (c == 0xf0)
                conn->u8_lo = 0x90;
            else if (c == 0xf4)
                conn->u8_hi = 0x8f;
        } else {
            return i;
        }
    }
    return n;
}

static void scan_classify(struct qmp_scan *sc)
{
    if (sc->kind != SCAN_UNKNOWN || sc->key_len >= sizeof(sc->key))
        return;
    if (sc->key_len == 5 && memcmp(sc->key, "event", 5) == 0)
        sc->kind = SCAN_EVENT;
    else if ((sc->key_len == 6 && memcmp(sc->key, "return", 6) == 0) ||
             (sc->key_len == 5 && memcmp(sc->key, "error", 5) == 0))
        sc->kind = SCAN_REPLY;
}

/* Feeds n bytes; returns how many belong to the current message (all of them unless its
 * top-level object closes inside, then *ret_done is set). */
static size_t scan_feed(struct qmp_scan *sc, const char *p, size_t n, bool *ret_done)
{
    *ret_done = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (sc->in_str) {
            if (sc->esc) {
                sc->esc = false;
            } else if (c == '\\') {
                sc->esc = true;
            } else if (c == '"') {
                sc->in_str = false;
                if (sc->capturing)
                    scan_classify(sc);
                sc->capturing = false;
            } else if (sc->capturing && sc->key_len < sizeof(sc->key)) {
                sc->key[sc->key_len++] = c;
            }
            continue;
        }
        switch (c) {
        case '"':
            sc->in_str = true;
            if (sc->depth == 1 && sc->expect_key) {
                sc->capturing = true;
                sc->key_len = 0;
                sc->expect_key = false;
            }
            break;
        case '{':
        case '[':
            sc->depth++;
            sc->started = true;
            sc->expect_key = sc->depth == 1 && c == '{';
            break;
        case '}':
        case ']':
            if (sc->depth)
                sc->depth--;
            if (sc->depth == 0 && sc->started) {
                *ret_done = true;
                return i + 1;
            }
            break;
        case ',':
            if (sc->depth == 1)
                sc->expect_key = true;
            break;
        default:
            break;
        }
    }
    return n;
}

/* A message over the limit was skipped whole. A reply fails the command it answers (QEMU
 * answers in order: without OOB that is the oldest one pending); an event is dropped. The
 * connection itself stays usable. */
static void skipped_message(struct qmp_conn *conn)
{
    size_t len = conn->skipped;
    enum qmp_scan_kind kind = conn->scan.kind;
    conn->skipping = false;
    conn->skipped = 0;
    memset(&conn->scan, 0, sizeof(conn->scan));
    if (conn->transcript)
        fprintf(conn->transcript, "<- (%s of %zu bytes over the limit of %zu bytes: dropped)\n",
                kind == SCAN_EVENT ? "event" : "message", len, conn->max_msg);
    if (kind == SCAN_EVENT || !conn->pending)
        return;
    struct qmp_pending *p = conn->pending;
    conn->pending = p->next;
    if (!conn->pending)
        conn->pending_tail = &conn->pending;
    conn->npending--;
    _cleanup_free_ char *why = xasprintf("its reply exceeds the limit of %zu bytes and was "
                                         "discarded", conn->max_msg);
    reply_fail(conn, p, EMSGSIZE, why);
    pending_free(p);
}

/* Switches to skipping the message being parsed: only in command mode (a greeting or
 * negotiation reply that large is not QMP). */
static bool start_skip(struct qmp_conn *conn)
{
    if (conn->state != QMP_CONN_READY)
        return false;
    json_tokener_reset(conn->tok);
    conn->skipping = true;
    conn->skipped = conn->cur_len;
    conn->cur_len = 0;
    conn->u8_need = 0;
    return true;
}

/* Parses buffered input until it is used up, the connection ends or is freed. */
static int process_input(struct qmp_conn *conn)
{
    while (conn->rpos < conn->rlen && conn_alive(conn)) {
        if (conn->skipping) {
            bool done;
            size_t used = scan_feed(&conn->scan, conn->rbuf + conn->rpos,
                                    conn->rlen - conn->rpos, &done);
            conn->rpos += used;
            conn->skipped += used;
            if (done)
                skipped_message(conn);
            continue;
        }
        /* Line endings and other whitespace between messages belong to no message. */
        if (conn->cur_len == 0) {
            char c = conn->rbuf[conn->rpos];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                conn->rpos++;
                continue;
            }
        }
        size_t avail = conn->rlen - conn->rpos;
        size_t room = conn->max_msg - conn->cur_len + 1;    /* feed at most max + 1 */
        size_t n = avail < room ? avail : room;
        json_object *obj = json_tokener_parse_ex(conn->tok, conn->rbuf + conn->rpos, (int)n);
        enum json_tokener_error jerr = json_tokener_get_error(conn->tok);
        size_t used = json_tokener_get_parse_end(conn->tok);
        if (jerr == json_tokener_continue)
            used = n;
        /* Checked on what the tokener consumed, before anything is dispatched; a message
         * ends with '}', so no character straddles two messages. */
        size_t valid = utf8_check(conn, (const unsigned char *)conn->rbuf + conn->rpos, used);
        if (valid < used) {
            json_object_put(obj);
            return conn_end(conn, QMP_CONN_BROKEN, EPROTO,
                            "QMP message is not valid UTF-8 (byte %zu of the message)",
                            conn->cur_len + valid + 1);
        }
        bool scan_done;
        scan_feed(&conn->scan, conn->rbuf + conn->rpos, used, &scan_done);
        conn->rpos += used;
        conn->cur_len += used;
        if (jerr == json_tokener_continue) {
            if (conn->cur_len > conn->max_msg && !start_skip(conn))
                return conn_end(conn, QMP_CONN_BROKEN, EMSGSIZE,
                                "QMP message exceeds the limit of %zu bytes", conn->max_msg);
            continue;
        }
        if (jerr != json_tokener_success) {
            return conn_end(conn, QMP_CONN_BROKEN, EPROTO,
                            "QMP message is not valid JSON: %s (byte %zu of the message)",
                            json_tokener_error_desc(jerr), conn->cur_len);
        }
        size_t len = conn->cur_len;
        json_tokener_reset(conn->tok);
        conn->cur_len = 0;
        if (len > conn->max_msg) {
            json_object_put(obj);
            if (conn->state != QMP_CONN_READY)
                return conn_end(conn, QMP_CONN_BROKEN, EMSGSIZE,
                                "QMP message exceeds the limit of %zu bytes", conn->max_msg);
            conn->skipped = len;
            skipped_message(conn);
            continue;
        }
        memset(&conn->scan, 0, sizeof(conn->scan));
        if (!obj)   /* a bare 'null' */
            return conn_end(conn, QMP_CONN_BROKEN, EPROTO, "QMP message is not a JSON object");
        int r = dispatch(conn, obj);
        json_object_put(obj);
        if (r < 0)
            return r;
    }
    return conn_alive(conn) ? 0 : -conn->end_err.code;
}

int qmp_conn_on_readable(struct qmp_conn *conn, struct ql_error *err)
{
    if (!conn_alive(conn))
        return conn_end_error(conn, err);
    conn_ref(conn);
    int r = 0;
    /* Data left over by an outer call that a callback interrupted is parsed first, so a
     * nested *_sync call never reorders messages. */
    if (conn->rpos >= conn->rlen) {
        conn->rpos = conn->rlen = 0;
        ssize_t n;
        do {
            n = read(conn->fd, conn->rbuf, QMP_READ_CHUNK);
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            bool midway = conn->cur_len > 0;
            r = conn_end(conn, QMP_CONN_CLOSED, ECONNRESET, "QEMU closed the QMP connection%s",
                         midway ? " in the middle of a message" : "");
        } else if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                int e = errno;
                /* conn_end keeps a reason already given: this one, with its strerror. */
                ql_error_errno(&conn->end_err, e, "cannot read from the QMP socket");
                r = conn_end(conn, QMP_CONN_CLOSED, e, "cannot read from the QMP socket");
            }
        } else {
            conn->rlen = (size_t)n;
        }
    }
    if (r == 0)
        r = process_input(conn);
    if (r < 0)
        conn_end_error(conn, err);
    conn_unref(conn);
    return r;
}

/* ---- synchronous helpers ---- */

/* Runs the connection until done(conn, arg), the connection ends, or the deadline passes.
 * Events and other replies are dispatched meanwhile. */
static int wait_for(struct qmp_conn *conn, bool (*done)(struct qmp_conn *, void *), void *arg,
                    int timeout_ms, const char *what, struct ql_error *err)
{
    int64_t deadline = ql_deadline_ms(timeout_ms);
    while (!done(conn, arg)) {
        if (!conn_alive(conn))
            return ql_error_set(err, conn->end_err.code, "%s failed: %s", what,
                                ql_error_msg(&conn->end_err));
        int wait = ql_deadline_left_ms(deadline);
        if (wait == 0)
            return ql_error_set(err, ETIMEDOUT, "%s timed out after %d ms", what, timeout_ms);
        /* Input already buffered by an interrupted outer call needs no poll. */
        bool buffered = conn->rpos < conn->rlen;
        struct pollfd pfd = {.fd = conn->fd, .events = qmp_conn_poll_events(conn)};
        int n = poll(&pfd, 1, buffered ? 0 : wait);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ql_error_errno(err, errno, "poll on the QMP socket failed");
        }
        if (pfd.revents & POLLOUT)
            (void)qmp_conn_on_writable(conn, NULL);
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) || buffered) {
            /* On failure the loop reports conn->end_err, or done() is true already. */
            struct ql_error e = QL_ERROR_INIT;
            (void)qmp_conn_on_readable(conn, &e);
            ql_error_clear(&e);
        }
    }
    return 0;
}

static bool is_ready(struct qmp_conn *conn, void *arg)
{
    return conn->state == QMP_CONN_READY;
}

int qmp_handshake_sync(struct qmp_conn *conn, int timeout_ms, struct ql_error *err)
{
    return wait_for(conn, is_ready, NULL, timeout_ms, "QMP handshake", err);
}

struct sync_wait {
    bool done;
    int error;
    json_object *ret;       /* return value, or for raw calls the whole reply */
    char *msg;
    bool raw;
};

static void sync_cb(struct qmp_conn *conn, const struct qmp_reply *reply, void *opaque)
{
    struct sync_wait *w = opaque;
    w->done = true;
    w->error = reply->error;
    if (w->raw && (reply->error == 0 || reply->error == -EREMOTEIO)) {
        w->error = 0;
        w->ret = json_object_new_object();
        if (reply->error == 0) {
            json_object_object_add(w->ret, "return", json_object_get(reply->ret));
        } else {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "class", json_object_new_string(reply->error_class));
            json_object_object_add(e, "desc", json_object_new_string(reply->error_desc));
            json_object_object_add(w->ret, "error", e);
        }
    } else if (reply->error == 0) {
        w->ret = json_object_get(reply->ret);
    } else {
        w->msg = xstrdup(reply->message);
    }
}

static bool sync_done(struct qmp_conn *conn, void *arg)
{
    return ((struct sync_wait *)arg)->done;
}

static void abandon(struct qmp_conn *conn, uint64_t id)
{
    for (struct qmp_pending *p = conn->pending; p; p = p->next)
        if (p->id == id)
            p->cb = NULL;
}

static int run_sync(struct qmp_conn *conn, struct sync_wait *w, uint64_t id, const char *command,
                    int timeout_ms, json_object **ret, struct ql_error *err)
{
    _cleanup_free_ char *what = xasprintf("QMP command '%s'", command);
    struct ql_error e = QL_ERROR_INIT;
    int r = wait_for(conn, sync_done, w, timeout_ms, what, &e);
    if (!w->done) {
        abandon(conn, id);
        ql_error_set(err, e.code, "%s", ql_error_msg(&e));
        ql_error_clear(&e);
        return r < 0 ? r : -EIO;
    }
    ql_error_clear(&e);
    if (w->error) {
        r = ql_error_set(err, -w->error, "%s", w->msg ? w->msg : "QMP command failed");
        free(w->msg);
        json_object_put(w->ret);
        return r;
    }
    if (ret)
        *ret = w->ret;
    else
        json_object_put(w->ret);
    return 0;
}

int qmp_execute_sync(struct qmp_conn *conn, const char *command, json_object *args,
                     int timeout_ms, json_object **ret_return, struct ql_error *err)
{
    struct sync_wait w = {0};
    uint64_t id;
    int r = qmp_send(conn, command, args, sync_cb, &w, &id, err);
    if (r < 0)
        return r;
    return run_sync(conn, &w, id, command, timeout_ms, ret_return, err);
}

int qmp_execute_raw_sync(struct qmp_conn *conn, const char *json_text, int timeout_ms,
                         json_object **ret_reply, struct ql_error *err)
{
    struct sync_wait w = {.raw = true};
    uint64_t id;
    int r = qmp_send_raw(conn, json_text, sync_cb, &w, &id, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *name = NULL;
    for (struct qmp_pending *p = conn->pending; p; p = p->next)
        if (p->id == id)
            name = xstrdup(p->command);
    return run_sync(conn, &w, id, name ? name : "(raw)", timeout_ms, ret_reply, err);
}
