/* The per-VM supervisor; see supervisor.h and DESIGN.md "Lifecycle" / "Running VMs".
 *
 * One single-threaded poll loop over: a signalfd, QEMU's pidfd, the QMP connection, the
 * control socket and its clients; timers are deadlines checked by the loop. Decisions come
 * from the pure policy table (policy.c); this file only carries them out. */
#include "config.h"
#include "supervise/supervisor.h"
#include "domain/parse.h"
#include "host/firmware.h"
#include "host/net.h"
#include "host/ports.h"
#include "qemu/build.h"
#include "qmp/qmp.h"
#include "supervise/policy.h"
#include "supervise/rundir.h"
#include "supervise/state.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#define MAX_CLIENTS 32
#define CTL_MAX_LINE 65536
#define QMP_FD_NUM 3

enum timer_kind {
    TM_RESTART,             /* backoff elapsed: reset + cont */
    TM_TERM,                /* QEMU did not exit after quit: SIGTERM */
    TM_KILL,                /* still alive after SIGTERM: SIGKILL */
    TM_REBOOT_ACTION,       /* restore set-action reboot=shutdown after an in-place restart */
    TM_GRACEFUL,            /* destroy --graceful: QEMU ignored SIGTERM, give up */
    TM_MAX
};

struct client {
    int fd;
    unsigned id;
    bool events;            /* subscribed to the event stream */
    bool wait_exit;         /* destroy: answer once QEMU is gone */
    struct strbuf in;
};

struct sup {
    const struct sup_config *cfg;
    struct domain *dom;
    struct sup_paths paths;
    struct sup_status st;
    struct qb_result build;
    struct host_nic *nics;
    size_t n_nics;
    char *log_path;
    int log_fd;
    FILE *transcript;

    pid_t qemu_pid;
    bool qemu_is_child;
    int pidfd;
    struct qmp_conn *qmp;
    int sigfd, ctl_fd, lock_fd;
    int ports_lock_fd;      /* BASE/.graphics-ports.lock, held from port pick to QMP ready */
    struct client clients[MAX_CLIENTS];
    unsigned next_client_id;

    int64_t timers[TM_MAX]; /* monotonic ms deadlines, 0 = off */
    struct sup_decision pending_restart;

    bool shutdown_seen, guest_crashed, destroy_requested, reboot_requested;
    bool in_shutdown;       /* SHUTDOWN seen: the STOP that follows is not a user pause */
    bool final_set;
    enum sup_state final_state;
    enum sup_reason final_reason;
    int64_t restart_times[64];
    size_t n_restart_times;
    bool done;
    int exit_code;
    unsigned restart_cap, restart_window;   /* from create, kept across re-attach */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *sup_log_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *e = getenv("QLAUNCH_LOG_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_LOG);
}

static const char *dump_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *e = getenv("QLAUNCH_DUMP_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_DUMP);
}

static void slog(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void slog(struct sup *s, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    time_t t = time(NULL);
    struct tm tm;
    char ts[32];
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
    sb_addf(&sb, "%s qlaunch[%ld]: ", ts, (long)getpid());
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    sb_addc(&sb, '\n');
    if (s->log_fd >= 0 && write(s->log_fd, sb.s, sb.len) < 0) {
        /* nothing better to do: the log is the place errors go */
    }
    if (s->cfg->foreground)
        fputs(sb.s, stderr);
    sb_free(&sb);
}

static void write_state(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    if (sup_status_write(s->paths.state, &s->st, &err) < 0) {
        slog(s, "cannot write state: %s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

/* ---- control clients ---- */

static void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    sb_free(&c->in);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

static void client_send(struct client *c, json_object *o)
{
    if (c->fd < 0)
        return;
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, t);
    sb_addc(&sb, '\n');
    size_t off = 0;
    while (off < sb.len) {
        ssize_t w = send(c->fd, sb.s + off, sb.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            client_close(c);   /* a client that does not read is dropped */
            break;
        }
        off += (size_t)w;
    }
    sb_free(&sb);
}

static struct client *client_by_id(struct sup *s, unsigned id)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].id == id)
            return &s->clients[i];
    return NULL;
}

static json_object *status_json(struct sup *s)
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
    return o;
}

/* Sends a lifecycle event line to every subscriber. */
static void broadcast(struct sup *s, const char *event, const char *detail)
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
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (s->clients[i].fd >= 0 && s->clients[i].events)
            client_send(&s->clients[i], o);
    json_object_put(o);
}

static void set_state(struct sup *s, enum sup_state st, enum sup_reason r)
{
    if (s->st.state == st && s->st.reason == r)
        return;
    s->st.state = st;
    s->st.reason = r;
    write_state(s);
    slog(s, "state %s (%s)", sup_state_to_id(st), sup_reason_to_string(r));
    broadcast(s, "state", NULL);
}

/* ---- QEMU process ---- */

static bool qemu_alive(struct sup *s)
{
    return s->qemu_pid > 0 && kill(s->qemu_pid, 0) == 0 &&
           (!s->st.qemu_start_time || sup_proc_matches(s->qemu_pid, s->st.qemu_start_time));
}

static void qemu_signal(struct sup *s, int sig)
{
    if (qemu_alive(s)) {
        slog(s, "sending %s to QEMU pid %ld", sig == SIGKILL ? "SIGKILL" : "SIGTERM",
             (long)s->qemu_pid);
        kill(s->qemu_pid, sig);
    }
}

static void qmp_ignore_reply(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (r->error && r->error != -ECONNRESET && r->error != -ECANCELED)
        slog(s, "%s", r->message ? r->message : "QMP command failed");
}

/* Stops QEMU: quit over QMP, then SIGTERM, then SIGKILL. */
static void begin_destroy(struct sup *s, bool graceful)
{
    struct ql_error err = QL_ERROR_INIT;
    if (s->qmp && qmp_conn_get_state(s->qmp) == QMP_CONN_READY &&
        qmp_send(s->qmp, "quit", NULL, qmp_ignore_reply, s, NULL, &err) == 0) {
        s->timers[TM_TERM] = now_ms() + 3000;
    } else {
        ql_error_clear(&err);
        qemu_signal(s, SIGTERM);
    }
    if (!graceful)
        s->timers[TM_KILL] = now_ms() + SUP_DESTROY_GRACE_MS;
}

/* Moves fds into place in the child: every map[i].src ends up as map[i].dst, inheritable;
 * everything else above the highest dst is closed. Async-signal-safe. */
struct fdmap {
    int src, dst;
};

static void child_setup_fds(const struct fdmap *map, size_t n, int log_fd)
{
    int tmp[64];
    int maxdst = 2;
    for (size_t i = 0; i < n && i < 64; i++) {
        tmp[i] = fcntl(map[i].src, F_DUPFD, 200);
        if (map[i].dst > maxdst)
            maxdst = map[i].dst;
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    for (size_t i = 0; i < n && i < 64; i++)
        dup2(tmp[i], map[i].dst);
    syscall(SYS_close_range, (unsigned)maxdst + 1, ~0U, 0);
}

/* The CPUs QEMU's process (and so every thread it creates) may use: <cputune><emulatorpin>,
 * else <vcpu cpuset>. vCPU threads are then pinned one by one (pin_vcpus). */
static bool process_mask(const struct domain *d, cpu_set_t *set)
{
    const char *cs = d->cputune.emulatorpin ? d->cputune.emulatorpin : d->vcpu_cpuset;
    return cs && dom_cpuset_to_mask(cs, set) == 0;
}

static int pin_vcpus(struct sup *s, struct ql_error *err)
{
    const struct domain *d = s->dom;
    if (!d->cputune.n_vcpupins && !d->vcpu_cpuset && !d->cputune.emulatorpin &&
        !d->cputune.n_iothreadpins)
        return 0;
    json_object *cpus = NULL;
    int r = qmp_execute_sync(s->qmp, "query-cpus-fast", NULL, SUP_QMP_TIMEOUT_MS, &cpus, err);
    if (r < 0)
        return r;
    cpu_set_t all;
    CPU_ZERO(&all);
    if (sched_getaffinity(getpid(), sizeof(all), &all) < 0)
        CPU_ZERO(&all);
    size_t n = json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus) : 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        json_object *c = json_object_array_get_idx(cpus, i), *v;
        if (!json_object_object_get_ex(c, "cpu-index", &v))
            continue;
        unsigned idx = (unsigned)json_object_get_int(v);
        if (!json_object_object_get_ex(c, "thread-id", &v))
            continue;
        pid_t tid = (pid_t)json_object_get_int(v);
        const char *cs = d->vcpu_cpuset;
        for (size_t k = 0; k < d->cputune.n_vcpupins; k++)
            if (d->cputune.vcpupins[k].vcpu == idx)
                cs = d->cputune.vcpupins[k].cpuset;
        cpu_set_t set = all;
        if (cs && dom_cpuset_to_mask(cs, &set) < 0)
            continue;
        if (!cs && !d->cputune.emulatorpin)
            continue;   /* inherits the process mask already */
        if (sched_setaffinity(tid, sizeof(set), &set) < 0)
            r = ql_error_set(err, errno, "cannot pin vCPU %u (thread %ld) to CPUs '%s': %s", idx,
                             (long)tid, cs ? cs : "all", strerror(errno));
        else
            slog(s, "vCPU %u (thread %ld) pinned to CPUs %s", idx, (long)tid, cs ? cs : "all");
    }
    json_object_put(cpus);
    if (r < 0 || !d->cputune.n_iothreadpins)
        return r;
    json_object *iot = NULL;
    if ((r = qmp_execute_sync(s->qmp, "query-iothreads", NULL, SUP_QMP_TIMEOUT_MS, &iot,
                              err)) < 0)
        return r;
    n = json_object_is_type(iot, json_type_array) ? json_object_array_length(iot) : 0;
    for (size_t k = 0; k < d->cputune.n_iothreadpins && r == 0; k++) {
        const struct dom_vcpupin *ip = &d->cputune.iothreadpins[k];
        char want[32];
        snprintf(want, sizeof(want), "iothread%u", ip->vcpu);
        pid_t tid = 0;
        for (size_t i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(iot, i), *v;
            if (json_object_object_get_ex(t, "id", &v) &&
                strcmp(json_object_get_string(v), want) == 0 &&
                json_object_object_get_ex(t, "thread-id", &v))
                tid = (pid_t)json_object_get_int(v);
        }
        cpu_set_t set;
        if (!tid)
            r = ql_error_set(err, ENOENT, "%s: QEMU has no IOThread '%s' to pin", ip->src.path,
                             want);
        else if (dom_cpuset_to_mask(ip->cpuset, &set) < 0 ||
                 sched_setaffinity(tid, sizeof(set), &set) < 0)
            r = ql_error_set(err, errno ? errno : EINVAL, "cannot pin IOThread %u (thread %ld) "
                             "to CPUs '%s': %s", ip->vcpu, (long)tid, ip->cpuset,
                             strerror(errno ? errno : EINVAL));
        else
            slog(s, "IOThread %u (thread %ld) pinned to CPUs %s", ip->vcpu, (long)tid,
                 ip->cpuset);
    }
    json_object_put(iot);
    return r;
}

static int spawn_qemu(struct sup *s, int qmp_listen_fd, struct ql_error *err)
{
    struct fdmap map[64];
    size_t n = 0;
    size_t used[64] = {0};
    for (size_t i = 0; i < s->build.n_fds && n < 64; i++) {
        const struct qb_fd *f = &s->build.fds[i];
        switch (f->kind) {
        case QB_FD_QMP:
            map[n++] = (struct fdmap){qmp_listen_fd, f->fd};
            break;
        case QB_FD_TAP:
        case QB_FD_MACVTAP: {   /* host_nic_setup opened the macvtap's /dev/tapN fds */
            size_t k = f->dev_index;
            if (k >= s->n_nics || used[k % 64] >= s->nics[k].n_tap_fds)
                return ql_error_set(err, EINVAL, "internal error: no tap fd for %s", f->what);
            map[n++] = (struct fdmap){s->nics[k].tap_fds[used[k % 64]++], f->fd};
            break;
        }
        case QB_FILE_NVRAM:     /* a file, created by prepare_nvram() before the spawn */
            break;
        default:
            return ql_error_set(err, ENOTSUP, "qlaunch cannot provide %s (%s) yet", f->what,
                                qb_fd_kind_to_string(f->kind));
        }
    }
    cpu_set_t pmask;
    bool pin = process_mask(s->dom, &pmask);
    pid_t pid = fork();
    if (pid < 0)
        return ql_error_set(err, errno, "cannot fork: %s", strerror(errno));
    if (pid == 0) {
        setsid();
        /* <memoryBacking><locked/>: QEMU mlocks all guest memory (libvirt lifts the limit). */
        struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
        if (s->dom->mem_backing.locked && setrlimit(RLIMIT_MEMLOCK, &unlimited) < 0) {
            dprintf(s->log_fd, "qlaunch: cannot lift RLIMIT_MEMLOCK for <locked/>: %s\n",
                    strerror(errno));
            _exit(127);
        }
        if (pin && sched_setaffinity(0, sizeof(pmask), &pmask) < 0) {
            dprintf(s->log_fd, "qlaunch: cannot set the CPU affinity of QEMU: %s\n",
                    strerror(errno));
            _exit(127);
        }
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        child_setup_fds(map, n, s->log_fd);
        execv(s->build.argv.v[0], s->build.argv.v);
        dprintf(2, "qlaunch: cannot execute '%s': %s\n", s->build.argv.v[0], strerror(errno));
        _exit(127);
    }
    s->qemu_pid = pid;
    s->qemu_is_child = true;
    s->st.qemu_pid = pid;
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Start time identifies this QEMU even if the pid is reused later. */
    for (int i = 0; i < 50 && !(s->st.qemu_start_time = sup_proc_start_time(pid)); i++)
        usleep(1000);
    s->st.started_at = time(NULL);
    return 0;
}

/* Last "qemu-system-x86_64: ..." lines of the log since offset, as one sentence. */
static char *qemu_log_error(struct sup *s, off_t since)
{
    _cleanup_close_ int fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end - since > 65536)
        since = end - 65536;
    if (lseek(fd, since, SEEK_SET) < 0)
        return NULL;
    char buf[65537];
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    if (r <= 0)
        return NULL;
    buf[r] = '\0';
    struct strbuf sb = STRBUF_INIT;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, " qlaunch[") || !*line || strncmp(line, "char device redirected", 22) == 0)
            continue;
        if (strstr(line, "warning:") && !strstr(line, "error"))
            continue;
        if (sb.len)
            sb_add(&sb, "; ");
        sb_add(&sb, line);
    }
    return sb.len ? sb_steal(&sb) : (sb_free(&sb), NULL);
}

static int bind_unix(const char *path, int backlog, struct ql_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return ql_error_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ql_error_set(err, errno, "cannot create a socket: %s", strerror(errno));
    unlink(path);
    mode_t old = umask(0077);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return ql_error_set(err, e, "cannot listen on '%s': %s", path, strerror(e));
    }
    return fd;
}

/* ---- QMP events ---- */

static void apply_policy(struct sup *s, enum sup_event ev);

static void coredump(struct sup *s);

/* <watchdog action='dump'> runs QEMU with the watchdog action pause (see the builder); as
 * libvirt does, the supervisor dumps guest memory and lets the guest continue. */
static void on_watchdog(struct sup *s, const struct qmp_event *ev)
{
    json_object *v = NULL;
    const char *action = ev->data && json_object_object_get_ex(ev->data, "action", &v)
                             ? json_object_get_string(v)
                             : "?";
    slog(s, "QMP event WATCHDOG action=%s", action);
    broadcast(s, "watchdog", action);
    if (!s->dom->dev.n_watchdogs || s->dom->dev.watchdogs[0].action != DOM_WDACT_DUMP ||
        strcmp(action, "pause") != 0)
        return;
    coredump(s);
    struct ql_error err = QL_ERROR_INIT;
    if (qmp_cont_sync(s->qmp, SUP_QMP_TIMEOUT_MS, &err) < 0) {
        slog(s, "cannot continue after the watchdog dump: %s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

static void on_qmp_event(struct qmp_conn *c, const struct qmp_event *ev, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    switch (ev->type) {
    case QMP_EVENT_SHUTDOWN: {
        const struct qmp_event_shutdown *sd = &ev->u.shutdown;
        const char *why = sd->reason_str ? sd->reason_str : "unknown";
        slog(s, "QMP event SHUTDOWN guest=%s reason=%s", sd->guest ? "true" : "false", why);
        s->shutdown_seen = true;
        s->in_shutdown = true;
        broadcast(s, "shutdown", why);
        if (sd->reason == QMP_SHUTDOWN_CAUSE_GUEST_SHUTDOWN)
            apply_policy(s, SUP_EV_GUEST_POWEROFF);
        else if (sd->reason == QMP_SHUTDOWN_CAUSE_GUEST_RESET)
            apply_policy(s, SUP_EV_GUEST_REBOOT);
        else if (sd->reason == QMP_SHUTDOWN_CAUSE_GUEST_PANIC)
            apply_policy(s, SUP_EV_GUEST_PANIC);
        else
            apply_policy(s, SUP_EV_HOST_SHUTDOWN);
        break;
    }
    case QMP_EVENT_RESET:
        slog(s, "QMP event RESET guest=%s reason=%s", ev->u.reset.guest ? "true" : "false",
             ev->u.reset.reason_str ? ev->u.reset.reason_str : "unknown");
        if (ev->u.reset.guest && ev->u.reset.reason == QMP_SHUTDOWN_CAUSE_GUEST_RESET) {
            broadcast(s, "reset", "guest-reset");
            apply_policy(s, SUP_EV_GUEST_RESET);
        }
        break;
    case QMP_EVENT_GUEST_PANICKED:
        slog(s, "QMP event GUEST_PANICKED action=%s",
             qmp_guest_panic_action_to_string(ev->u.guest_panicked.action));
        s->guest_crashed = true;
        broadcast(s, "panic", NULL);
        apply_policy(s, SUP_EV_GUEST_PANIC);
        break;
    case QMP_EVENT_STOP:
        if (!s->in_shutdown && !s->guest_crashed && s->st.state == SUP_STATE_RUNNING)
            set_state(s, SUP_STATE_PAUSED, SUP_REASON_UNKNOWN);
        break;
    case QMP_EVENT_RESUME:
        if (s->st.state == SUP_STATE_PAUSED && s->st.reason != SUP_REASON_STARTING_UP)
            set_state(s, SUP_STATE_RUNNING, SUP_REASON_UNPAUSED);
        break;
    case QMP_EVENT_POWERDOWN:
        broadcast(s, "powerdown", NULL);
        break;
    case QMP_EVENT_UNKNOWN:
        if (ev->name && strcmp(ev->name, "WATCHDOG") == 0)
            on_watchdog(s, ev);
        break;
    case QMP_EVENT_BLOCK_IO_ERROR:
        slog(s, "QMP event BLOCK_IO_ERROR device=%s", ev->u.block_io_error.device);
        broadcast(s, "block-io-error", ev->u.block_io_error.device);
        break;
    default:
        break;
    }
}

static void on_qmp_closed(struct qmp_conn *c, const struct ql_error *why, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    slog(s, "QMP connection closed: %s", ql_error_msg(why));
}

static const struct qmp_callbacks qmp_cbs = {
    .event = on_qmp_event,
    .closed = on_qmp_closed,
};

static int qmp_open(struct sup *s, struct ql_error *err)
{
    int r = qmp_connect_unix(s->paths.qmp, &qmp_cbs, s, &s->qmp, err);
    if (r < 0)
        return r;
    if (s->cfg->qmp_log || (getenv("QLAUNCH_QMP_LOG") && *getenv("QLAUNCH_QMP_LOG"))) {
        int fd = dup(s->log_fd);
        s->transcript = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (s->transcript) {
            setvbuf(s->transcript, NULL, _IOLBF, 0);
            qmp_conn_set_transcript(s->qmp, s->transcript);
        }
    }
    return 0;
}

/* ---- actions ---- */

static void finish(struct sup *s, enum sup_state st, enum sup_reason r)
{
    if (s->final_set) {
        st = s->final_state;
        r = s->final_reason;
    }
    s->st.state = st;
    s->st.reason = r;
    s->st.qemu_pid = 0;
    slog(s, "domain ended: %s (%s)", sup_state_to_id(st), sup_reason_to_string(r));
    broadcast(s, "stopped", sup_reason_to_string(r));
    s->exit_code = r == SUP_REASON_RESTART_LIMIT ? SUP_EXIT_RESTART_LIMIT
                   : r == SUP_REASON_CRASHED      ? SUP_EXIT_CRASHED
                                                  : SUP_EXIT_SHUTOFF;
    s->done = true;
}

/* In-place restart (libvirt's "fake reboot"); a coredump, if any, was taken before. */
static int do_restart(struct sup *s, struct ql_error *err)
{
    int r;
    bool wrap = dom_on_reboot(s->dom) == DOM_LC_DESTROY;   /* -action reboot=shutdown */
    struct qmp_actions reset = {.set_reboot = true, .reboot = QMP_REBOOT_ACTION_RESET};
    if (wrap && (r = qmp_set_action_sync(s->qmp, SUP_QMP_TIMEOUT_MS, &reset, err)) < 0)
        return r;
    if ((r = qmp_system_reset_sync(s->qmp, SUP_QMP_TIMEOUT_MS, err)) < 0)
        return r;
    /* The reset is carried out by QEMU's main loop after the reply; cont before that
     * fails with "Resetting the Virtual Machine is required": retry briefly. */
    for (int i = 0; i < 40; i++) {
        ql_error_clear(err);
        r = qmp_cont_sync(s->qmp, SUP_QMP_TIMEOUT_MS, err);
        if (r != -EREMOTEIO)
            break;
        usleep(25000);
    }
    if (r < 0)
        return r;
    if (wrap)
        s->timers[TM_REBOOT_ACTION] = now_ms() + 3000;
    return 0;
}

static void restart_now(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    enum sup_reason reason = s->pending_restart.reason;
    if (do_restart(s, &err) < 0) {
        slog(s, "restart failed: %s; destroying the domain", ql_error_msg(&err));
        ql_error_clear(&err);
        s->final_set = true;
        s->final_state = SUP_STATE_SHUTOFF;
        s->final_reason = SUP_REASON_CRASHED;
        begin_destroy(s, false);
        return;
    }
    s->shutdown_seen = s->guest_crashed = s->in_shutdown = s->reboot_requested = false;
    s->st.reboot_pending = false;
    s->st.restarts++;
    s->st.boots++;
    s->st.state = SUP_STATE_SHUTOFF;   /* force the write below */
    set_state(s, SUP_STATE_RUNNING, reason);
    broadcast(s, "restarted", NULL);
}

static unsigned recent_restarts(struct sup *s)
{
    int64_t horizon = now_ms() - (int64_t)s->restart_window * 1000;
    unsigned n = 0;
    for (size_t i = 0; i < s->n_restart_times; i++)
        if (s->restart_times[i] >= horizon)
            n++;
    return n;
}

static void note_restart(struct sup *s)
{
    if (s->n_restart_times == ARRAY_SIZE(s->restart_times)) {
        memmove(s->restart_times, s->restart_times + 1,
                sizeof(s->restart_times) - sizeof(s->restart_times[0]));
        s->n_restart_times--;
    }
    s->restart_times[s->n_restart_times++] = now_ms();
}

static void coredump(struct sup *s)
{
    const char *dir = dump_dir(s->st.dump_dir);
    sup_mkdir_p(dir, 0700);
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d-%H:%M:%S", &tm);
    _cleanup_free_ char *proto = xasprintf("file:%s/%s-%s.core", dir, s->dom->name, ts);
    struct ql_error err = QL_ERROR_INIT;
    slog(s, "dumping guest memory to %s", proto + 5);
    if (qmp_dump_guest_memory_sync(s->qmp, 600000, proto, false, NULL, false, &err) < 0) {
        slog(s, "guest memory dump failed: %s", ql_error_msg(&err));
        ql_error_clear(&err);
    } else {
        broadcast(s, "coredump", proto + 5);
    }
}

static void apply_policy(struct sup *s, enum sup_event ev)
{
    struct sup_policy_input in = {
        .event = ev,
        .on_poweroff = dom_on_poweroff(s->dom),
        .on_reboot = dom_on_reboot(s->dom),
        .on_crash = dom_on_crash(s->dom),
        .destroy_requested = s->destroy_requested,
        .reboot_requested = s->reboot_requested,
        .shutdown_seen = s->shutdown_seen,
        .guest_crashed = s->guest_crashed,
        .recent_restarts = recent_restarts(s),
        .restart_cap = s->restart_cap,
    };
    struct sup_decision d = sup_policy_decide(&in);
    slog(s, "policy: %s -> %s", sup_event_to_string(ev), sup_action_to_string(d.action));
    switch (d.action) {
    case SUP_ACT_NONE:
        if (ev == SUP_EV_HOST_SHUTDOWN && s->st.state != SUP_STATE_SHUTOFF)
            set_state(s, d.state, d.reason);
        break;
    case SUP_ACT_COREDUMP_DESTROY:
        coredump(s);
        /* fall through */
    case SUP_ACT_DESTROY:
        s->final_set = true;
        s->final_state = d.state;
        s->final_reason = d.reason;
        if (d.state == SUP_STATE_CRASHED && d.reason == SUP_REASON_RESTART_LIMIT)
            slog(s, "restart limit reached (%u restarts in %u s): giving up",
                 in.recent_restarts, s->restart_window);
        begin_destroy(s, false);
        break;
    case SUP_ACT_COREDUMP_RESTART:
        coredump(s);
        /* fall through */
    case SUP_ACT_RESTART:
        note_restart(s);
        s->pending_restart = d;
        s->timers[TM_RESTART] = now_ms() + d.backoff_ms;
        break;
    case SUP_ACT_PRESERVE:
        set_state(s, d.state, d.reason);
        break;
    case SUP_ACT_FINISHED:
        finish(s, d.state, d.reason);
        break;
    default:
        break;
    }
}

/* ---- control socket ---- */

static void reply_err(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_err(struct client *c, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(0));
    json_object_object_add(o, "error", json_object_new_string(sb_str(&sb)));
    client_send(c, o);
    json_object_put(o);
    sb_free(&sb);
}

static void reply_ok(struct client *c)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    client_send(c, o);
    json_object_put(o);
}

static void on_qmp_cmd_reply(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    (void)conn;
    struct sup *s = *(struct sup **)opaque;
    unsigned id = (unsigned)(uintptr_t)((void **)opaque)[1];
    free(opaque);
    struct client *c = client_by_id(s, id);
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
    client_send(c, o);
    json_object_put(o);
}

/* Sends a QMP command on behalf of client c; the reply (or error) goes back to c. */
static void qmp_for_client(struct sup *s, struct client *c, const char *cmd, json_object *args,
                           const char *raw)
{
    struct ql_error err = QL_ERROR_INIT;
    void **ctx = xcalloc(2, sizeof(void *));
    ctx[0] = s;
    ctx[1] = (void *)(uintptr_t)c->id;
    int r = raw ? qmp_send_raw(s->qmp, raw, on_qmp_cmd_reply, ctx, NULL, &err)
                : qmp_send(s->qmp, cmd, args, on_qmp_cmd_reply, ctx, NULL, &err);
    if (r < 0) {
        free(ctx);
        reply_err(c, "%s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

static void handle_command(struct sup *s, struct client *c, const char *line)
{
    json_object *req = json_tokener_parse(line);
    json_object *v;
    if (!req || !json_object_is_type(req, json_type_object) ||
        !json_object_object_get_ex(req, "cmd", &v) || !json_object_is_type(v, json_type_string)) {
        reply_err(c, "invalid request: expected a JSON object with a string \"cmd\"");
        json_object_put(req);
        return;
    }
    const char *cmd = json_object_get_string(v);
    bool live = s->qmp && qmp_conn_get_state(s->qmp) == QMP_CONN_READY && !s->done;
    if (strcmp(cmd, "status") == 0) {
        json_object *o = status_json(s);
        client_send(c, o);
        json_object_put(o);
    } else if (strcmp(cmd, "events") == 0) {
        c->events = true;
        reply_ok(c);
    } else if (!live) {
        reply_err(c, "domain '%s' is not running (state %s)", s->st.name,
                  sup_state_to_id(s->st.state));
    } else if (strcmp(cmd, "shutdown") == 0) {
        s->st.shutdown_pending = true;
        write_state(s);
        qmp_for_client(s, c, "system_powerdown", NULL, NULL);
    } else if (strcmp(cmd, "reboot") == 0) {
        /* libvirt's fake reboot: power the guest off, then reset + cont it. */
        s->reboot_requested = true;
        s->st.reboot_pending = true;
        write_state(s);
        qmp_for_client(s, c, "system_powerdown", NULL, NULL);
    } else if (strcmp(cmd, "destroy") == 0) {
        bool graceful = json_object_object_get_ex(req, "graceful", &v) &&
                        json_object_get_boolean(v);
        s->destroy_requested = true;
        c->wait_exit = true;
        s->timers[TM_RESTART] = 0;
        qemu_signal(s, SIGTERM);
        s->timers[graceful ? TM_GRACEFUL : TM_KILL] = now_ms() + SUP_DESTROY_GRACE_MS;
    } else if (strcmp(cmd, "suspend") == 0) {
        qmp_for_client(s, c, "stop", NULL, NULL);
        s->st.state = SUP_STATE_RUNNING;
        set_state(s, SUP_STATE_PAUSED, SUP_REASON_USER);
    } else if (strcmp(cmd, "resume") == 0) {
        if (s->st.state == SUP_STATE_CRASHED) {
            reply_err(c, "domain '%s' has crashed; it cannot be resumed", s->st.name);
        } else {
            qmp_for_client(s, c, "cont", NULL, NULL);
        }
    } else if (strcmp(cmd, "qmp") == 0) {
        if (!json_object_object_get_ex(req, "json", &v) ||
            !json_object_is_type(v, json_type_string))
            reply_err(c, "the qmp request needs a \"json\" string");
        else
            qmp_for_client(s, c, NULL, NULL, json_object_get_string(v));
    } else {
        reply_err(c, "unknown command '%s'", cmd);
    }
    json_object_put(req);
}

static void client_readable(struct sup *s, struct client *c)
{
    char buf[4096];
    ssize_t r = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (r <= 0) {
        client_close(c);
        return;
    }
    sb_addn(&c->in, buf, (size_t)r);
    if (c->in.len > CTL_MAX_LINE) {
        reply_err(c, "request longer than %d bytes", CTL_MAX_LINE);
        client_close(c);
        return;
    }
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
}

static void accept_client(struct sup *s)
{
    int fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (s->clients[i].fd < 0) {
            s->clients[i].fd = fd;
            s->clients[i].id = ++s->next_client_id;
            return;
        }
    }
    close(fd);
}

/* ---- startup ---- */

static void ready(struct sup *s, const char *line)
{
    if (s->cfg->ready_fd >= 0) {
        dprintf(s->cfg->ready_fd, "%s\n", line);
        close(s->cfg->ready_fd);
    }
    const char *ns = getenv("NOTIFY_SOCKET");
    if (ns && *ns && strncmp(line, "OK", 2) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t l = strlen(ns);
        if (l < sizeof(sa.sun_path)) {
            memcpy(sa.sun_path, ns, l);
            if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
            int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd >= 0) {
                const char msg[] = "READY=1";
                sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l));
                close(fd);
            }
        }
    }
}

static int open_log(struct sup *s, struct ql_error *err)
{
    const char *dir = sup_log_dir(s->cfg->log_dir);
    int mr = sup_mkdir_p(dir, 0700);
    errno = -mr;
    if (mr < 0)
        return ql_error_set(err, errno, "cannot create the log directory '%s': %s", dir,
                            strerror(errno));
    s->log_path = xasprintf("%s/%s.log", dir, s->dom->name);
    s->log_fd = open(s->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (s->log_fd < 0)
        return ql_error_set(err, errno, "cannot open the log '%s': %s", s->log_path,
                            strerror(errno));
    return 0;
}

/* What the command line cannot say and libvirt sets over QMP before `cont`: NIC link
 * state and the balloon statistics period. */
static int post_start_setup(struct sup *s, struct ql_error *err)
{
    int r;
    for (size_t i = 0; i < s->dom->dev.n_interfaces; i++) {
        if (s->dom->dev.interfaces[i].link_state != DOM_LINK_DOWN)
            continue;
        char id[32];
        snprintf(id, sizeof(id), "net%zu", i);
        json_object *a = json_object_new_object();
        json_object_object_add(a, "name", json_object_new_string(id));
        json_object_object_add(a, "up", json_object_new_boolean(0));
        r = qmp_execute_sync(s->qmp, "set_link", a, SUP_QMP_TIMEOUT_MS, NULL, err);
        json_object_put(a);
        if (r < 0)
            return r;
        slog(s, "interface %s: link set down", id);
    }
    const struct dom_memballoon *b = &s->dom->dev.memballoon;
    if (b->present && b->stats_period >= 0 && b->model != DOM_BALLOON_NONE) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "path", json_object_new_string("/machine/peripheral/balloon0"));
        json_object_object_add(a, "property",
                               json_object_new_string("guest-stats-polling-interval"));
        json_object_object_add(a, "value", json_object_new_int(b->stats_period));
        r = qmp_execute_sync(s->qmp, "qom-set", a, SUP_QMP_TIMEOUT_MS, NULL, err);
        json_object_put(a);
        if (r < 0)
            return r;
    }
    return 0;
}

/* ---- graphics ports ---- */

static void release_ports_lock(struct sup *s)
{
    if (s->ports_lock_fd >= 0)
        close(s->ports_lock_fd);     /* drops the flock */
    s->ports_lock_fd = -1;
}

/* Ports the other running domains under the same base recorded in their state files. */
static void ports_of_others(struct sup *s, int **ret, size_t *ret_n)
{
    char **names = NULL;
    size_t n = 0;
    *ret = NULL;
    *ret_n = 0;
    if (sup_list_names(s->cfg->base, &names, &n, NULL) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], s->dom->name) == 0)
            continue;
        struct sup_paths p;
        struct sup_status st;
        if (sup_paths_init(&p, s->cfg->base, names[i], NULL) < 0)
            continue;
        if (sup_status_read(p.state, &st, NULL) == 0) {
            for (size_t k = 0; k < st.n_displays; k++) {
                int ports[2] = {st.displays[k].port, st.displays[k].tls_port};
                for (int j = 0; j < 2; j++) {
                    if (ports[j] <= 0)
                        continue;
                    *ret = xrealloc(*ret, (*ret_n + 1) * sizeof(**ret));
                    (*ret)[(*ret_n)++] = ports[j];
                }
            }
            sup_status_clear(&st);
        }
        sup_paths_free(&p);
    }
    sup_free_names(names, n);
}

/* SPICE autoport: QEMU cannot choose a SPICE port, so the supervisor picks the first free
 * one from 5900 on the listen address (libvirt: qemuProcessSPICEAllocatePorts) and hands it
 * to the builder. qlaunch's own domains must not pick the same port twice: every start
 * with an autoport display (SPICE, or VNC whose to=99 search QEMU does itself) holds
 * BASE/.graphics-ports.lock until QEMU is up (its listeners are bound before the QMP
 * greeting), and ports recorded in the other domains' state files are skipped. A process
 * outside qlaunch can still take the port between the test and QEMU's bind: QEMU then
 * fails with "Address already in use" and the start fails. */
static int pick_graphics_ports(struct sup *s, struct qb_options *o, struct ql_error *err)
{
    /* The builder says where each display listens; build once to learn it (it is pure and
     * cheap), then again with the port chosen. */
    int r = qb_build(s->dom, o, &s->build, err);
    if (r < 0)
        return r;
    const struct qb_display *spice = NULL;
    bool any = false;
    for (size_t i = 0; i < s->build.n_displays; i++) {
        const struct qb_display *d = &s->build.displays[i];
        if (!d->autoport)
            continue;
        any = true;
        if (d->type == DOM_GFX_SPICE)
            spice = d;
    }
    if (!any)
        return 0;
    _cleanup_free_ char *lock = xasprintf("%s/.graphics-ports.lock", sup_base_dir(s->cfg->base));
    s->ports_lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->ports_lock_fd < 0)
        return ql_error_set(err, errno, "cannot open '%s': %s", lock, strerror(errno));
    while (flock(s->ports_lock_fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return ql_error_set(err, errno, "cannot lock '%s': %s", lock, strerror(errno));
    if (!spice)
        return 0;
    _cleanup_free_ int *avoid = NULL;
    size_t n_avoid = 0;
    ports_of_others(s, &avoid, &n_avoid);
    _cleanup_free_ char *host = xstrdup(spice->host);
    const char *path = s->dom->dev.graphics[spice->dev_index].src.path;
    int port = host_tcp_port_pick(host, HOST_GFX_PORT_MIN, HOST_GFX_PORT_MAX, avoid, n_avoid,
                                  err);
    if (port < 0) {
        ql_error_prefix(err, "%s: SPICE autoport", path ? path : "devices/graphics");
        return port;
    }
    o->spice_port = port;
    slog(s, "SPICE autoport: port %d on %s", port, host);
    qb_result_free(&s->build);
    return qb_build(s->dom, o, &s->build, err);
}

static int json_int(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v))
        return 0;
    if (json_object_is_type(v, json_type_string))
        return (int)strtol(json_object_get_string(v), NULL, 10);
    return json_object_get_int(v);
}

static const char *json_str(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Where the graphics servers really listen, from QEMU (query-spice / query-vnc), for
 * dominfo and domdisplay. A failed query is logged and leaves what the XML says. */
static void record_displays(struct sup *s)
{
    for (size_t i = 0; i < s->st.n_displays; i++)
        sup_display_clear(&s->st.displays[i]);
    s->st.n_displays = 0;
    for (size_t i = 0; i < s->build.n_displays && s->st.n_displays < SUP_MAX_DISPLAYS; i++) {
        const struct qb_display *b = &s->build.displays[i];
        bool spice = b->type == DOM_GFX_SPICE;
        struct sup_display *d = &s->st.displays[s->st.n_displays++];
        snprintf(d->type, sizeof(d->type), "%s", spice ? "spice" : "vnc");
        if (b->socket) {
            d->unix_socket = true;
            d->host = xstrdup(b->socket);
            continue;
        }
        d->host = xstrdup(b->host);
        d->port = b->port;
        json_object *ret = NULL;
        struct ql_error e = QL_ERROR_INIT;
        if (qmp_execute_sync(s->qmp, spice ? "query-spice" : "query-vnc", NULL,
                             SUP_QMP_TIMEOUT_MS, &ret, &e) < 0) {
            slog(s, "cannot ask QEMU where %s listens: %s", d->type, ql_error_msg(&e));
            ql_error_clear(&e);
            continue;
        }
        const char *host = json_str(ret, "host");
        int port = json_int(ret, spice ? "port" : "service");
        if (host) {
            free(d->host);
            d->host = xstrdup(host);
        }
        if (port > 0 && port <= 65535)
            d->port = port;
        if (spice && json_int(ret, "tls-port") > 0)
            d->tls_port = json_int(ret, "tls-port");
        json_object_put(ret);
        slog(s, "%s listens on %s port %d", d->type, d->host, d->port);
    }
}

/* The NVRAM file of a pflash loader must exist before QEMU opens it: created from its
 * template once, then kept (it holds the guest's boot entries and keys) across runs. */
static int prepare_nvram(struct sup *s, const char *nvram_dir, struct ql_error *err)
{
    const char *path = s->build.nvram_path;
    if (!path)
        return 0;
    size_t dl = strlen(nvram_dir);
    if (strncmp(path, nvram_dir, dl) == 0 && path[dl] == '/' && !strchr(path + dl + 1, '/')) {
        int r = sup_mkdir_p(nvram_dir, 0700);
        if (r < 0)
            return ql_error_set(err, -r, "cannot create the NVRAM directory '%s': %s",
                                nvram_dir, strerror(-r));
    }
    bool created = false;
    int r = host_nvram_prepare(path, s->build.nvram_template, &created, err);
    if (r < 0)
        return r;
    if (created)
        slog(s, "NVRAM %s created from %s", path, s->build.nvram_template);
    return 0;
}

static int start_domain(struct sup *s, struct ql_error *err)
{
    int r;
    struct qb_options o = {.accel = s->cfg->accel, .emulator = s->cfg->emulator,
                           .run_dir = s->paths.dir, .qmp_fd = QMP_FD_NUM,
                           .first_fd = QMP_FD_NUM + 1};
    /* <listen type='network'>: the builder is pure, the address is host knowledge. */
    _cleanup_(host_listen_addrs_free) struct host_listen_addrs listen_addrs = {0};
    if ((r = host_gfx_listen_resolve(s->dom, &listen_addrs, err)) < 0)
        return r;
    o.gfx_listen_addr = (const char *const *)listen_addrs.v;
    /* <os firmware='efi'> and NVRAM templates come from the host's firmware descriptors. */
    _cleanup_(host_firmware_free) struct host_firmware fw = {0};
    struct qb_firmware qfw = {0};
    if ((r = host_firmware_resolve(s->dom, &fw, err)) < 0)
        return r;
    if (fw.resolved) {
        qfw = (struct qb_firmware){fw.loader, fw.nvram_template, fw.requires_smm,
                                   fw.descriptor};
        o.firmware = &qfw;
        if (fw.descriptor)
            slog(s, "firmware='efi': %s from %s", fw.loader, fw.descriptor);
    }
    o.nvram_dir = sup_nvram_dir();
    if ((r = pick_graphics_ports(s, &o, err)) < 0)
        return r;
    if ((r = prepare_nvram(s, o.nvram_dir, err)) < 0)
        return r;
    const struct dom_mem_backing *mb = &s->dom->mem_backing;
    struct statfs sfs;
    /* Huge pages from a file need a hugetlbfs mount; say so rather than let QEMU fail. */
    if (mb->hugepages && mb->source != DOM_MEM_SOURCE_MEMFD &&
        (statfs("/dev/hugepages", &sfs) < 0 || sfs.f_type != 0x958458f6 /* HUGETLBFS_MAGIC */))
        return ql_error_set(err, ENOENT, "memoryBacking/hugepages: /dev/hugepages is not a "
                            "hugetlbfs mount on this host (mount -t hugetlbfs hugetlbfs "
                            "/dev/hugepages, and reserve pages with sysctl vm.nr_hugepages), or "
                            "use <source type='memfd'/>");
    const char *emu = s->build.argv.v[0];
    if (access(emu, X_OK) < 0)
        return ql_error_set(err, ENOENT, "devices/emulator: '%s' does not exist or is not "
                            "executable on this host; install QEMU (qemu-system-x86) or pass "
                            "--emulator /usr/bin/qemu-system-x86_64", emu);
    s->n_nics = s->dom->dev.n_interfaces;
    s->nics = xcalloc(s->n_nics ? s->n_nics : 1, sizeof(*s->nics));
    for (size_t i = 0; i < s->n_nics; i++) {
        if ((r = host_nic_setup(s->dom, i, &s->nics[i], err)) < 0)
            return r;
        if (s->nics[i].tap_name)
            slog(s, "interface %zu: tap '%s'%s%s", i, s->nics[i].tap_name,
                 s->nics[i].bridge ? " on bridge " : "",
                 s->nics[i].bridge ? s->nics[i].bridge : "");
    }
    /* Saved so that a re-attached supervisor can still remove the OVS ports. */
    s->st.n_nics = s->n_nics;
    s->st.nic_taps = xcalloc(s->n_nics ? s->n_nics : 1, sizeof(char *));
    s->st.nic_ovs = xcalloc(s->n_nics ? s->n_nics : 1, sizeof(char *));
    for (size_t i = 0; i < s->n_nics; i++) {
        s->st.nic_taps[i] = xstrdup(s->nics[i].tap_name);
        s->st.nic_ovs[i] = xstrdup(s->nics[i].ovs_bridge);
    }
    _cleanup_close_ int lfd = bind_unix(s->paths.qmp, 1, err);
    if (lfd < 0)
        return lfd;
    struct strbuf cmdline = STRBUF_INIT;
    for (size_t i = 0; i < s->build.argv.n; i++) {
        if (i)
            sb_addc(&cmdline, ' ');
        sb_add_shell_quoted(&cmdline, s->build.argv.v[i]);
    }
    slog(s, "starting QEMU: %s", sb_str(&cmdline));
    sb_free(&cmdline);
    off_t log_start = lseek(s->log_fd, 0, SEEK_END);
    r = spawn_qemu(s, lfd, err);
    /* Only QEMU may hold the listener: if it dies, our pending connection must see EOF
     * instead of waiting out the handshake timeout. */
    close(steal_fd(&lfd));
    if (r < 0)
        return r;
    /* QEMU holds the listening socket now; connect() succeeds at once (no polling). */
    if ((r = qmp_open(s, err)) < 0)
        return r;
    r = qmp_handshake_sync(s->qmp, SUP_QMP_TIMEOUT_MS, err);
    if (r < 0) {
        /* Most likely QEMU refused an option: show its own words. */
        int status = 0;
        for (int i = 0; i < 100 && waitpid(s->qemu_pid, &status, WNOHANG) == 0; i++)
            usleep(10000);
        _cleanup_free_ char *qmsg = qemu_log_error(s, log_start);
        ql_error_clear(err);
        return ql_error_set(err, EIO, "QEMU failed to start: %s (log: %s)",
                            qmsg ? qmsg : "it closed the monitor", s->log_path);
    }
    /* QEMU's SPICE and VNC listeners are bound now: other starts may pick ports again. */
    release_ports_lock(s);
    record_displays(s);
    const struct qmp_version *ver = qmp_conn_version(s->qmp);
    if (ver)
        s->st.qemu_version = xasprintf("%d.%d.%d", ver->major, ver->minor, ver->micro);

    struct qmp_chardev *chr = NULL;
    size_t n_chr = 0;
    if (qmp_query_chardev_sync(s->qmp, SUP_QMP_TIMEOUT_MS, &chr, &n_chr, err) == 0) {
        const char *pty = qmp_chardev_pty(chr, n_chr, "charserial0");
        if (!pty) {
            for (size_t i = 0; i < n_chr && !pty; i++)
                pty = chr[i].pty_path;
        }
        s->st.console_pty = xstrdup(pty);
        qmp_chardev_list_free(chr, n_chr);
    } else {
        ql_error_clear(err);
    }
    for (size_t i = 0; i < s->dom->dev.n_graphics; i++) {
        const struct dom_graphics *g = &s->dom->dev.graphics[i];
        if (!g->passwd)
            continue;
        const char *proto = g->type == DOM_GFX_SPICE ? "spice" : "vnc";
        const char *connected = g->type == DOM_GFX_SPICE
                                ? dom_gfx_connected_to_string(g->connected) : NULL;
        if ((r = qmp_set_password_sync(s->qmp, SUP_QMP_TIMEOUT_MS, proto, g->passwd, connected,
                                       err)) < 0)
            return r;
        _cleanup_free_ char *when = NULL;
        if (g->passwd_valid_to) {
            struct tm tm = {0};
            const char *end = strptime(g->passwd_valid_to, "%Y-%m-%dT%H:%M:%S", &tm);
            if (!end)
                return ql_error_set(err, EINVAL, "%s: invalid passwdValidTo '%s'", g->src.path,
                                    g->passwd_valid_to);
            when = xasprintf("%lld", (long long)timegm(&tm));
        }
        if ((r = qmp_expire_password_sync(s->qmp, SUP_QMP_TIMEOUT_MS, proto,
                                          when ? when : "never", err)) < 0)
            return r;
    }
    if ((r = post_start_setup(s, err)) < 0)
        return r;
    const struct dom_memballoon *b = &s->dom->dev.memballoon;
    /* Without <memballoon> the builder adds the default virtio balloon, as libvirt does. */
    bool balloon = b->model != DOM_BALLOON_NONE;
    if (balloon && s->dom->current_memory_kib &&
        s->dom->current_memory_kib < s->dom->memory_kib) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "value",
                               json_object_new_int64((int64_t)s->dom->current_memory_kib * 1024));
        r = qmp_execute_sync(s->qmp, "balloon", a, SUP_QMP_TIMEOUT_MS, NULL, err);
        json_object_put(a);
        if (r < 0)
            return r;
    }
    if ((r = pin_vcpus(s, err)) < 0)
        return r;
    if ((r = qmp_cont_sync(s->qmp, SUP_QMP_TIMEOUT_MS, err)) < 0)
        return r;
    s->st.boots = 1;
    s->st.state = SUP_STATE_RUNNING;
    s->st.reason = SUP_REASON_BOOTED;
    write_state(s);
    slog(s, "domain '%s' is running (QEMU pid %ld)", s->dom->name, (long)s->qemu_pid);
    return 0;
}

/* Re-attaches to a QEMU whose supervisor died, reconciling what happened meanwhile. */
static int reattach(struct sup *s, struct ql_error *err)
{
    int r;
    struct sup_status old;
    if ((r = sup_status_read(s->paths.state, &old, err)) < 0)
        return r;
    s->st.restarts = old.restarts;
    s->st.boots = old.boots;
    s->st.state = old.state;
    s->st.reason = old.reason;
    s->st.qemu_pid = old.qemu_pid;
    s->st.qemu_start_time = old.qemu_start_time;
    s->st.started_at = old.started_at;
    s->st.console_pty = old.console_pty ? xstrdup(old.console_pty) : NULL;
    s->st.qemu_version = old.qemu_version ? xstrdup(old.qemu_version) : NULL;
    s->reboot_requested = old.reboot_pending;
    /* The taps live as long as QEMU holds them; OVS ports need removing when it ends. */
    s->n_nics = s->st.n_nics = old.n_nics;
    s->nics = xcalloc(old.n_nics ? old.n_nics : 1, sizeof(*s->nics));
    s->st.nic_taps = xcalloc(old.n_nics ? old.n_nics : 1, sizeof(char *));
    s->st.nic_ovs = xcalloc(old.n_nics ? old.n_nics : 1, sizeof(char *));
    for (size_t i = 0; i < old.n_nics; i++) {
        s->nics[i].tap_name = xstrdup(old.nic_taps[i]);
        s->nics[i].ovs_bridge = xstrdup(old.nic_ovs[i]);
        /* A macvtap link outlives its fds: teardown deletes it (only if it still is one). */
        s->nics[i].macvtap = i < s->dom->dev.n_interfaces &&
                             s->dom->dev.interfaces[i].type == DOM_NET_DIRECT;
        s->st.nic_taps[i] = xstrdup(old.nic_taps[i]);
        s->st.nic_ovs[i] = xstrdup(old.nic_ovs[i]);
    }
    /* Settings given to `create` outlive the supervisor that was started with them. */
    s->restart_cap = old.restart_cap;
    s->restart_window = old.restart_window;
    free(s->st.dump_dir);
    s->st.dump_dir = old.dump_dir ? xstrdup(old.dump_dir) : NULL;
    s->st.restart_cap = old.restart_cap;
    s->st.restart_window = old.restart_window;
    s->st.reboot_pending = old.reboot_pending;
    s->qemu_pid = old.qemu_pid;
    /* The displays move over as they are (QEMU keeps its listeners). */
    memcpy(s->st.displays, old.displays, sizeof(old.displays));
    s->st.n_displays = old.n_displays;
    old.n_displays = 0;
    sup_status_clear(&old);
    if (!qemu_alive(s))
        return ql_error_set(err, ESRCH, "QEMU (pid %ld) is no longer running",
                            (long)s->qemu_pid);
    s->pidfd = (int)syscall(SYS_pidfd_open, s->qemu_pid, 0);
    if ((r = qmp_open(s, err)) < 0)
        return r;
    if ((r = qmp_handshake_sync(s->qmp, SUP_QMP_TIMEOUT_MS, err)) < 0)
        return r;
    bool running;
    enum qmp_run_state rs;
    if ((r = qmp_query_status_sync(s->qmp, SUP_QMP_TIMEOUT_MS, &running, &rs, err)) < 0)
        return r;
    slog(s, "re-attached to QEMU pid %ld (status %s)", (long)s->qemu_pid,
         qmp_run_state_to_string(rs));
    write_state(s);
    /* Finish what happened while nobody was watching, as libvirt's reconnect does. */
    if (rs == QMP_RUN_STATE_SHUTDOWN) {
        s->shutdown_seen = s->in_shutdown = true;
        apply_policy(s, SUP_EV_GUEST_POWEROFF);
    } else if (rs == QMP_RUN_STATE_GUEST_PANICKED && s->st.state != SUP_STATE_CRASHED) {
        s->guest_crashed = true;
        apply_policy(s, SUP_EV_GUEST_PANIC);
    } else if (running && s->st.state != SUP_STATE_RUNNING) {
        set_state(s, SUP_STATE_RUNNING, SUP_REASON_UNPAUSED);
    }
    return 0;
}

/* ---- main loop ---- */

static void qemu_exited(struct sup *s)
{
    if (s->qemu_pid <= 0)
        return;
    if (s->qemu_is_child) {
        int status;
        if (waitpid(s->qemu_pid, &status, WNOHANG) == s->qemu_pid) {
            if (WIFSIGNALED(status))
                slog(s, "QEMU was killed by signal %d", WTERMSIG(status));
            else
                slog(s, "QEMU exited with status %d", WEXITSTATUS(status));
        } else {
            return;   /* not gone yet */
        }
    } else if (qemu_alive(s)) {
        return;
    }
    s->qemu_pid = 0;
    apply_policy(s, SUP_EV_QEMU_EXIT);
}

static void run_timers(struct sup *s)
{
    int64_t t = now_ms();
    for (int k = 0; k < TM_MAX; k++) {
        if (!s->timers[k] || s->timers[k] > t)
            continue;
        s->timers[k] = 0;
        switch (k) {
        case TM_RESTART:
            if (!s->destroy_requested && !s->done)
                restart_now(s);
            break;
        case TM_TERM:
            qemu_signal(s, SIGTERM);
            break;
        case TM_GRACEFUL:
            /* As virsh destroy --graceful: fail and leave the domain as it is. */
            if (!qemu_alive(s))
                break;
            s->destroy_requested = false;
            for (int i = 0; i < MAX_CLIENTS; i++) {
                if (s->clients[i].fd >= 0 && s->clients[i].wait_exit) {
                    s->clients[i].wait_exit = false;
                    reply_err(&s->clients[i], "QEMU (pid %ld) did not exit within %d s of "
                              "SIGTERM; --graceful does not kill it", (long)s->qemu_pid,
                              SUP_DESTROY_GRACE_MS / 1000);
                }
            }
            break;
        case TM_KILL:
            qemu_signal(s, SIGKILL);
            break;
        case TM_REBOOT_ACTION: {
            struct qmp_actions a = {.set_reboot = true, .reboot = QMP_REBOOT_ACTION_SHUTDOWN};
            struct ql_error err = QL_ERROR_INIT;
            if (s->qmp && qmp_set_action_sync(s->qmp, SUP_QMP_TIMEOUT_MS, &a, &err) < 0) {
                slog(s, "cannot restore reboot=shutdown: %s", ql_error_msg(&err));
                ql_error_clear(&err);
            }
            break;
        }
        }
    }
}

static int next_timeout(struct sup *s)
{
    int64_t t = now_ms(), best = -1;
    for (int k = 0; k < TM_MAX; k++) {
        if (!s->timers[k])
            continue;
        int64_t d = s->timers[k] - t;
        if (d < 0)
            d = 0;
        if (best < 0 || d < best)
            best = d;
    }
    if (!s->qemu_is_child && s->pidfd < 0 && (best < 0 || best > 500))
        best = 500;   /* no pidfd for a re-attached QEMU: poll its pid */
    return (int)best;
}

static void loop(struct sup *s)
{
    while (!s->done) {
        struct pollfd pfd[5 + MAX_CLIENTS];
        int n = 0, i_sig = -1, i_pid = -1, i_qmp = -1, i_ctl = -1;
        pfd[i_sig = n++] = (struct pollfd){s->sigfd, POLLIN, 0};
        if (s->pidfd >= 0)
            pfd[i_pid = n++] = (struct pollfd){s->pidfd, POLLIN, 0};
        if (s->qmp && qmp_conn_poll_events(s->qmp))
            pfd[i_qmp = n++] = (struct pollfd){qmp_conn_fd(s->qmp), qmp_conn_poll_events(s->qmp),
                                               0};
        pfd[i_ctl = n++] = (struct pollfd){s->ctl_fd, POLLIN, 0};
        int first_client = n;
        int map[MAX_CLIENTS];
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (s->clients[i].fd >= 0) {
                map[n - first_client] = i;
                pfd[n++] = (struct pollfd){s->clients[i].fd, POLLIN, 0};
            }
        }
        int r = poll(pfd, (nfds_t)n, next_timeout(s));
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && (pfd[i_sig].revents & POLLIN)) {
            struct signalfd_siginfo si;
            while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD) {
                    qemu_exited(s);
                } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
                           si.ssi_signo == SIGHUP) {
                    /* Stopping the supervisor stops the domain, as `systemctl stop` expects. */
                    slog(s, "received signal %u: destroying the domain", si.ssi_signo);
                    s->destroy_requested = true;
                    begin_destroy(s, false);
                }
            }
        }
        if (i_qmp >= 0 && pfd[i_qmp].revents) {
            struct ql_error err = QL_ERROR_INIT;
            if (pfd[i_qmp].revents & POLLOUT)
                qmp_conn_on_writable(s->qmp, &err);
            ql_error_clear(&err);
            if (pfd[i_qmp].revents & (POLLIN | POLLHUP | POLLERR))
                qmp_conn_on_readable(s->qmp, &err);
            ql_error_clear(&err);
        }
        if (i_pid >= 0 && (pfd[i_pid].revents & POLLIN))
            qemu_exited(s);
        if (!s->qemu_is_child && s->pidfd < 0 && !qemu_alive(s) && s->qemu_pid)
            qemu_exited(s);
        if (s->qmp && qmp_conn_get_state(s->qmp) >= QMP_CONN_CLOSED && s->qemu_pid &&
            !s->done && !qemu_alive(s))
            qemu_exited(s);
        if (pfd[i_ctl].revents & POLLIN)
            accept_client(s);
        for (int k = first_client; k < n; k++)
            if (pfd[k].revents && s->clients[map[k - first_client]].fd == pfd[k].fd)
                client_readable(s, &s->clients[map[k - first_client]]);
        run_timers(s);
    }
}

static void teardown(struct sup *s)
{
    release_ports_lock(s);
    if (s->qemu_pid > 0 && qemu_alive(s)) {
        kill(s->qemu_pid, SIGKILL);
        if (s->qemu_is_child)
            waitpid(s->qemu_pid, NULL, 0);
    }
    qmp_conn_free(s->qmp);
    s->qmp = NULL;
    if (s->transcript)
        fclose(s->transcript);
    s->transcript = NULL;
    for (size_t i = s->n_nics; i-- > 0;)
        host_nic_teardown(&s->nics[i]);
}

/* Keeps the XML it was started from: a re-attaching supervisor reads this copy. */
static int copy_xml(struct sup *s, struct ql_error *err)
{
    _cleanup_free_ char *xml = NULL;
    size_t xml_len = 0;
    _cleanup_free_ char *copy = xasprintf("%s/domain.xml", s->paths.dir);
    int r = ql_read_file(s->cfg->xml_path, DOM_XML_MAX_BYTES, &xml, &xml_len, err);
    if (r < 0)
        return r;
    return ql_write_file_atomic(copy, xml, xml_len, 0600, err);
}

int sup_main(const struct sup_config *cfg)
{
    struct sup sup = {0}, *s = &sup;
    struct ql_error err = QL_ERROR_INIT;
    struct dom_diags diags = {0};
    s->cfg = cfg;
    s->restart_cap = cfg->restart_cap;
    s->restart_window = cfg->restart_window_s;
    s->log_fd = s->sigfd = s->ctl_fd = s->pidfd = s->lock_fd = s->ports_lock_fd = -1;
    for (int i = 0; i < MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    int ret = SUP_EXIT_FAILED;
    bool created_dir = false;

    if (dom_parse_file(cfg->xml_path, &s->dom, &diags) < 0) {
        char *first = diags.n ? dom_diag_format(&diags.v[0]) : xstrdup("invalid domain XML");
        for (size_t i = 0; i < diags.n; i++)
            if (diags.v[i].level == DOM_DIAG_ERROR) {
                free(first);
                first = dom_diag_format(&diags.v[i]);
                break;
            }
        ql_error_set(&err, EINVAL, "%s: %s", cfg->xml_path, first);
        free(first);
        goto fail;
    }
    if (cfg->reattach_name && strcmp(cfg->reattach_name, s->dom->name) != 0) {
        ql_error_set(&err, EINVAL, "the domain XML now names '%s', not '%s'", s->dom->name,
                     cfg->reattach_name);
        goto fail;
    }
    if (sup_paths_init(&s->paths, cfg->base, s->dom->name, &err) < 0)
        goto fail;
    if (open_log(s, &err) < 0)
        goto fail;
    s->st.name = xstrdup(s->dom->name);
    uuid_unparse_lower(s->dom->uuid, s->st.uuid);
    s->st.supervisor_pid = getpid();
    s->st.xml_path = xstrdup(cfg->xml_path);
    s->st.restart_cap = cfg->restart_cap;
    s->st.restart_window = cfg->restart_window_s;
    s->st.dump_dir = cfg->dump_dir ? xstrdup(cfg->dump_dir) : NULL;

    if (!cfg->reattach_name) {
        if (sup_rundir_create(&s->paths, &err) < 0) {
            if (err.code == EEXIST) {
                ql_error_clear(&err);
                ql_error_set(&err, EEXIST, "domain '%s' is already running (run directory "
                             "'%s' exists)", s->dom->name, s->paths.dir);
            }
            goto fail;
        }
        created_dir = true;
        if (copy_xml(s, &err) < 0)
            goto fail;
    }
    s->lock_fd = open(s->paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        ql_error_set(&err, EBUSY, "another qlaunch supervisor already manages '%s'",
                     s->dom->name);
        goto fail;
    }

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if ((s->ctl_fd = bind_unix(s->paths.ctl, 16, &err)) < 0)
        goto fail;
    fcntl(s->ctl_fd, F_SETFL, O_NONBLOCK);

    s->st.state = SUP_STATE_PAUSED;
    s->st.reason = SUP_REASON_STARTING_UP;
    if (cfg->reattach_name ? reattach(s, &err) < 0 : start_domain(s, &err) < 0)
        goto fail;
    char ok[64];
    snprintf(ok, sizeof(ok), "OK %ld", (long)s->qemu_pid);
    ready(s, ok);
    broadcast(s, "started", NULL);

    loop(s);
    ret = s->exit_code;
    for (int i = 0; i < MAX_CLIENTS; i++) {
        if (s->clients[i].fd >= 0 && s->clients[i].wait_exit) {
            json_object *o = status_json(s);
            client_send(&s->clients[i], o);
            json_object_put(o);
        }
        client_close(&s->clients[i]);
    }
    teardown(s);
    /* Keep the outcome for list --all / domstate, then leave nothing else behind. */
    sup_status_write(s->paths.last, &s->st, NULL);
    sup_rundir_remove(&s->paths);
    goto out;

fail:
    if (s->log_fd >= 0)
        slog(s, "error: %s", ql_error_msg(&err));
    else if (cfg->foreground)
        fprintf(stderr, "qlaunch: %s\n", ql_error_msg(&err));
    if (cfg->reattach_name) {
        /* Like libvirt: a domain we cannot reconnect to must not run unsupervised. */
        if (s->qemu_pid > 0 && qemu_alive(s))
            kill(s->qemu_pid, SIGKILL);
        s->st.state = SUP_STATE_SHUTOFF;
        s->st.reason = SUP_REASON_CRASHED;
        if (s->paths.last)
            sup_status_write(s->paths.last, &s->st, NULL);
        if (s->paths.dir)
            sup_rundir_remove(&s->paths);
    }
    teardown(s);
    if (created_dir)
        sup_rundir_remove(&s->paths);
    {
        /* Only now: the caller must find nothing left behind once it hears of the failure. */
        _cleanup_free_ char *line = xasprintf("ERR %s", ql_error_msg(&err));
        ready(s, line);
    }
    ret = SUP_EXIT_FAILED;
out:
    if (s->sigfd >= 0)
        close(s->sigfd);
    if (s->ctl_fd >= 0)
        close(s->ctl_fd);
    if (s->pidfd >= 0)
        close(s->pidfd);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->log_fd >= 0)
        close(s->log_fd);
    free(s->nics);
    free(s->log_path);
    qb_result_free(&s->build);
    sup_status_clear(&s->st);
    sup_paths_free(&s->paths);
    domain_free(s->dom);
    dom_diags_free(&diags);
    ql_error_clear(&err);
    return ret;
}
