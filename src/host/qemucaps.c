/* QEMU capabilities: probing a binary over QMP and the per-binary cache (qemucaps.h). */
#include "config.h"
#include "host/qemucaps.h"
#include "domain/domain.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qmp/qmp.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/time.h"

/* QEMU's stderr kept for the error message of a failed probe. */
#define PROBE_STDERR_MAX 2048

/* ---- probing ---- */

static int key_from_stat(const char *path, struct qemu_caps_key *k, struct ql_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return ql_error_errno(err, errno, "cannot stat the emulator '%s'", path);
    if (!S_ISREG(st.st_mode))
        return ql_error_set(err, EINVAL, "the emulator '%s' is not a regular file", path);
    k->path = xstrdup(path);
    k->size = st.st_size;
    k->ino = (int64_t)st.st_ino;
    k->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    k->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
    return 0;
}

static bool key_equal(const struct qemu_caps_key *a, const struct qemu_caps_key *b)
{
    return STREQ_NULLABLE(a->path, b->path) && a->size == b->size && a->ino == b->ino &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* Starts QEMU with its QMP monitor on *ret_sock and its stderr on *ret_errfd. */
static int probe_spawn(const char *emulator, pid_t *ret_pid, int *ret_sock, int *ret_errfd,
                       struct ql_error *err)
{
    char *const argv[] = {(char *)emulator, "-S", "-no-user-config", "-nodefaults",
                          "-display", "none", "-machine", "none",
                          "-chardev", "socket,id=qmp,fd=3", "-mon", "chardev=qmp,mode=control",
                          NULL};
    int sv[2], ep[2];
    _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        return ql_error_errno(err, errno, "cannot open /dev/null");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return ql_error_errno(err, errno, "cannot create a socket pair");
    if (pipe2(ep, O_CLOEXEC) < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return ql_error_errno(err, e, "cannot create a pipe");
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* Async-signal-safe calls only. The caller may block or ignore signals. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        /* fd 3 is QMP: move the pipe's write end out of the way first. */
        int efd = fcntl(ep[1], F_DUPFD_CLOEXEC, 10);
        if (efd < 0 || dup2(sv[1], 3) < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
            dup2(efd, STDOUT_FILENO) < 0 || dup2(efd, STDERR_FILENO) < 0)
            _exit(126);
        execv(emulator, argv);
        _exit(127);
    }
    int e = errno;
    close(sv[1]);
    close(ep[1]);
    if (pid < 0) {
        close(sv[0]);
        close(ep[0]);
        return ql_error_errno(err, e, "cannot fork to probe '%s'", emulator);
    }
    fcntl(ep[0], F_SETFL, O_NONBLOCK);
    *ret_pid = pid;
    *ret_sock = sv[0];
    *ret_errfd = ep[0];
    return 0;
}

/* Waits for pid until the deadline, then kills it. Returns its wait status. */
static int probe_reap(pid_t pid, int64_t deadline)
{
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            return status;
        if (ql_deadline_left_ms(deadline) == 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return status;
        }
        poll(NULL, 0, 5);
    }
}

static void add_stderr(struct ql_error *err, int fd)
{
    char buf[PROBE_STDERR_MAX];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if ((unsigned char)buf[i] < 0x20)
            buf[i] = ' ';
    if (n > 0)
        ql_error_prefix(err, "QEMU said '%s'", buf);
}

/* Runs a query whose answer is an array of at most max entries. */
static int query_array(struct qmp_conn *q, int64_t deadline, const char *cmd, json_object *args,
                       size_t max, json_object **ret, size_t *ret_n, struct ql_error *err)
{
    int r = qmp_execute_sync(q, cmd, args, ql_deadline_left_ms(deadline), ret, err);
    if (r < 0)
        return r;
    *ret_n = json_object_is_type(*ret, json_type_array) ? json_object_array_length(*ret) : 0;
    if (*ret_n > max)
        return ql_error_set(err, EPROTO, "%s: more than %zu entries", cmd, max);
    return 0;
}

/* The "name" members of an array's objects, in a new array of n + 1 entries. */
static char **names_of(json_object *a, size_t n, size_t *ret_count)
{
    char **v = xcalloc(n + 1, sizeof(char *));
    *ret_count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = ql_json_str(json_object_array_get_idx(a, i), "name", NULL);
        if (name)
            v[(*ret_count)++] = xstrdup(name);
    }
    return v;
}

static int probe_machines(struct qmp_conn *q, int64_t deadline, struct qemu_caps *c,
                          struct ql_error *err)
{
    _cleanup_json_ json_object *ret = NULL;
    size_t n;
    int r = query_array(q, deadline, "query-machines", NULL, QEMU_CAPS_MAX_MACHINES, &ret, &n,
                        err);
    if (r < 0)
        return r;
    c->machines = xcalloc(n ? n : 1, sizeof(*c->machines));
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(ret, i);
        const char *name = ql_json_str(m, "name", NULL), *alias = ql_json_str(m, "alias", NULL);
        if (!name)
            continue;
        struct qemu_machine *out = &c->machines[c->n_machines++];
        out->name = xstrdup(name);
        out->alias = alias ? xstrdup(alias) : NULL;
        out->is_default = ql_json_bool(m, "is-default", false);
    }
    return 0;
}

static int probe_types(struct qmp_conn *q, int64_t deadline, struct qemu_caps *c,
                       struct ql_error *err)
{
    _cleanup_json_ json_object *ret = NULL;
    size_t n;
    int r = query_array(q, deadline, "qom-list-types", NULL, QEMU_CAPS_MAX_TYPES, &ret, &n, err);
    if (r == 0)
        c->types = names_of(ret, n, &c->n_types);
    return r;
}

static int probe_devices(struct qmp_conn *q, int64_t deadline, struct qemu_caps *c,
                         struct ql_error *err)
{
    size_t n = 0;
    while (qemu_caps_probed_devices[n])
        n++;
    c->devices = xcalloc(n, sizeof(*c->devices));
    for (size_t i = 0; i < n; i++) {
        const char *type = qemu_caps_probed_devices[i];
        if (!qemu_caps_has_type(c, type))
            continue;
        _cleanup_json_ json_object *args = json_object_new_object();
        json_object_object_add(args, "typename", json_object_new_string(type));
        _cleanup_json_ json_object *ret = NULL;
        size_t np;
        int r = query_array(q, deadline, "device-list-properties", args, QEMU_CAPS_MAX_PROPS,
                            &ret, &np, err);
        if (r < 0)
            return r;
        struct qemu_device_props *d = &c->devices[c->n_devices++];
        d->type = xstrdup(type);
        d->props = names_of(ret, np, &d->n_props);
    }
    return 0;
}

static int probe_qmp(int sock, int64_t deadline, struct qemu_caps *c, struct ql_error *err)
{
    struct qmp_conn *q = qmp_conn_new_fd(sock, NULL, NULL);
    int r = qmp_handshake_sync(q, ql_deadline_left_ms(deadline), err);
    if (r == 0) {
        const struct qmp_version *v = qmp_conn_version(q);
        c->major = v->major;
        c->minor = v->minor;
        c->micro = v->micro;
        c->package = xstrdup(v->package ? v->package : "");
        r = probe_machines(q, deadline, c, err);
    }
    if (r == 0)
        r = probe_types(q, deadline, c, err);
    /* Sorted before the device lookups (qemu_caps_has_type). */
    if (r == 0)
        r = qemu_caps_normalize(c, err);
    if (r == 0)
        r = probe_devices(q, deadline, c, err);
    if (r == 0)
        r = qemu_caps_normalize(c, err);
    if (r == 0)
        qmp_quit_sync(q, ql_deadline_left_ms(deadline), NULL);
    qmp_conn_free(q);
    return r;
}

int qemu_caps_probe(const char *emulator, struct qemu_caps **ret, struct ql_error *err)
{
    *ret = NULL;
    _cleanup_(qemu_caps_freep) struct qemu_caps *c = xcalloc(1, sizeof(*c));
    int r = key_from_stat(emulator, &c->key, err);
    if (r < 0)
        return r;
    pid_t pid;
    int sock;
    _cleanup_close_ int errfd = -1;
    r = probe_spawn(emulator, &pid, &sock, &errfd, err);
    if (r < 0)
        return r;
    int64_t deadline = ql_deadline_ms(QEMU_CAPS_PROBE_TIMEOUT_MS);
    r = probe_qmp(sock, deadline, c, err);
    /* After quit QEMU exits at once; on failure it gets a moment before SIGKILL. */
    int status = probe_reap(pid, r == 0 ? deadline : ql_deadline_ms(200));
    if (r < 0) {
        add_stderr(err, errfd);
        ql_error_prefix(err, "cannot probe the capabilities of '%s'", emulator);
        return r;
    }
    (void)status;
    *ret = steal_pointer(&c);
    return 0;
}

/* ---- cache ---- */

const char *qemu_caps_cache_dir(void)
{
    static char *dir;
    if (dir)
        return dir;
    const char *e = getenv("QLAUNCH_CACHE_DIR");
    if (e && *e)
        dir = xasprintf("%s/caps", e);
    else if (geteuid() == 0)
        dir = xstrdup("/var/cache/qlaunch/caps");
    else {
        const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        dir = x && *x && x[0] == '/' ? xasprintf("%s/qlaunch/caps", x)
                                    : xasprintf("%s/.cache/qlaunch/caps",
                                                home && *home ? home : "/nonexistent");
    }
    return dir;
}

/* A directory the caller may trust: its own (or root's), not writable by others. */
static bool dir_private(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
           (st.st_uid == geteuid() || st.st_uid == 0) && !(st.st_mode & 022);
}

/* Creates the cache directory (and its parent) 0700 when missing; false when it is not
 * there, or is not private, afterwards. */
static bool cache_dir_ready(const char *dir)
{
    _cleanup_free_ char *parent = xstrdup(dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        if (mkdir(parent, 0700) < 0 && errno == ENOENT) {
            /* The parent's parent (~/.cache, /var/cache) as the system would make it. */
            _cleanup_free_ char *pp = xstrdup(parent);
            char *s2 = strrchr(pp, '/');
            if (s2 && s2 != pp) {
                *s2 = '\0';
                if (mkdir(pp, 0700) == 0 || errno == EEXIST)
                    mkdir(parent, 0700);
            }
        }
    }
    mkdir(dir, 0700);
    return dir_private(dir);
}

static char *cache_file(const char *dir, const char *emulator)
{
    /* FNV-1a of the path: the file name only spreads binaries; the key inside decides. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = emulator; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    const char *base = strrchr(emulator, '/');
    base = base ? base + 1 : emulator;
    _cleanup_free_ char *safe = xstrndup(base, 64);
    for (char *p = safe; *p; p++)
        if (!((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') && !(*p >= '0' && *p <= '9') &&
            *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    return xasprintf("%s/%s-%016llx.caps", dir, safe[0] == '.' ? "qemu" : safe,
                     (unsigned long long)h);
}

/* The cached record when it is trustworthy and its key is key; NULL otherwise. */
static struct qemu_caps *cache_read(const char *path, const struct qemu_caps_key *key)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 022) ||
        st.st_size > QEMU_CAPS_FILE_MAX)
        return NULL;
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t len = 0;
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return NULL;
        }
        len += (size_t)n;
    }
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    if (qemu_caps_from_text_taken(buf, len, &c, &err) < 0 || !key_equal(&c->key, key)) {
        qemu_caps_free(c);
        c = NULL;
    }
    ql_error_clear(&err);
    return c;
}

int qemu_caps_get(const char *emulator, struct qemu_caps **ret, struct ql_error *err)
{
    *ret = NULL;
    if (emulator[0] != '/')
        return ql_error_set(err, EINVAL, "the emulator '%s' is not an absolute path", emulator);
    struct qemu_caps_key key = {0};
    int r = key_from_stat(emulator, &key, err);
    if (r < 0)
        return r;
    const char *dir = qemu_caps_cache_dir();
    bool usable = cache_dir_ready(dir);
    _cleanup_free_ char *path = cache_file(dir, emulator);
    struct qemu_caps *c = usable ? cache_read(path, &key) : NULL;
    free(key.path);
    if (c) {
        *ret = c;
        return 0;
    }
    r = qemu_caps_probe(emulator, &c, err);
    if (r < 0)
        return r;
    if (usable) {
        /* The line form: a read costs a tenth of the JSON form's (docs/bench.md). */
        _cleanup_free_ char *text = qemu_caps_to_text(c);
        struct ql_error werr = QL_ERROR_INIT;
        if (text)
            ql_write_file_atomic(path, text, strlen(text), 0600, &werr);
        ql_error_clear(&werr);
    }
    *ret = c;
    return 0;
}

int qemu_caps_of_domain(const struct domain *d, const char *override, struct qemu_caps **ret,
                        struct ql_error *err)
{
    *ret = NULL;
    const char *emu = override ? override
                      : d->dev.emulator ? d->dev.emulator : QEMU_DEFAULT_EMULATOR;
    if (emu[0] != '/' || access(emu, X_OK) != 0)
        return 0;
    return qemu_caps_get(emu, ret, err);
}
