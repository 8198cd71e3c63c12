/* Helper processes of a domain: spawn with the state recorded first, stop on every path. */
#include "config.h"
#include "supervise/helpers.h"
#include "supervise/rundir.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Writes "0 ID 1" (root in the namespace is id outside) to a /proc/self map file, or
 * "deny" for setgroups (id ~0u). Async-signal-safe. */
static bool write_map(const char *file, unsigned id)
{
    char buf[32], digits[12];
    size_t n = 0, nd = 0;
    if (id == ~0u) {
        memcpy(buf, "deny", 4);
        n = 4;
    } else {
        do {
            digits[nd++] = (char)('0' + id % 10);
            id /= 10;
        } while (id);
        buf[n++] = '0';
        buf[n++] = ' ';
        while (nd)
            buf[n++] = digits[--nd];
        memcpy(buf + n, " 1", 2);
        n += 2;
    }
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, buf, n) == (ssize_t)n;
    close(fd);
    return ok;
}

/* The child's own user namespace: after the drop it is an unprivileged process, which may
 * map only its own ids (and must give up setgroups first). Async-signal-safe. */
static bool enter_userns(void)
{
    unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
    /* The drop made it non-dumpable, which leaves /proc/self's files to root. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 || unshare(CLONE_NEWUSER) < 0)
        return false;
    return write_map("/proc/self/setgroups", ~0u) && write_map("/proc/self/uid_map", uid)
           && write_map("/proc/self/gid_map", gid);
}

/* In the child: fds in place (3.. from spec->fds, 0 /dev/null, 1 and 2 out_fd), every other
 * fd closed, the user dropped, then exec. Async-signal-safe; never returns. */
static __attribute__((noreturn)) void child_exec(const struct sup_helper_spec *spec)
{
    int tmp[16];
    size_t n = spec->n_fds < 16 ? spec->n_fds : 16;
    for (size_t i = 0; i < n; i++)
        tmp[i] = fcntl(spec->fds[i], F_DUPFD, 200);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(spec->out_fd, 1);
    dup2(spec->out_fd, 2);
    for (size_t i = 0; i < n; i++)
        dup2(tmp[i], 3 + (int)i);
    syscall(SYS_close_range, 3u + (unsigned)n, ~0U, 0);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    umask(0077);
    if (spec->dac && spec->dac->drop) {
        int r = host_dac_drop(spec->dac);
        if (r < 0) {
            dprintf(2, "qlaunch: cannot run %s as user '%s': %s\n", spec->name,
                    spec->dac->user, strerror(-r));
            _exit(127);
        }
    }
    if (spec->userns && !enter_userns()) {
        dprintf(2, "qlaunch: cannot give %s a user namespace: %s\n", spec->name,
                strerror(errno));
        _exit(127);
    }
    execv(spec->argv[0], spec->argv);
    dprintf(2, "qlaunch: cannot execute '%s': %s\n", spec->argv[0], strerror(errno));
    _exit(127);
}

int sup_helper_spawn(struct sup_status *st, const struct sup_helper_spec *spec,
                     void (*record)(void *ctx), void *ctx, struct ql_error *err)
{
    if (st->n_helpers >= SUP_MAX_HELPERS || spec->n_fds > 16)
        return ql_error_set(err, EMFILE, "too many helper processes for one domain");
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0)
        return ql_error_errno(err, errno, "cannot start %s: pipe", spec->name);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(gate[0]);
        close(gate[1]);
        return ql_error_errno(err, e, "cannot start %s: fork", spec->name);
    }
    if (pid == 0) {
        char go;
        close(gate[1]);
        if (read(gate[0], &go, 1) != 1)
            _exit(127);
        setsid();   /* the terminal's signals are the supervisor's to handle */
        child_exec(spec);
    }
    close(gate[0]);
    st->helpers[st->n_helpers++] = (struct sup_helper){
        .name = xstrdup(spec->name), .pid = pid, .start_time = sup_proc_start_time(pid),
        .socket = spec->socket ? xstrdup(spec->socket) : NULL,
        .remove_dir = spec->remove_dir ? xstrdup(spec->remove_dir) : NULL};
    record(ctx);
    if (sup_gate_release(gate[1]) < 0)
        return ql_error_errno(err, errno, "cannot release %s's process", spec->name);
    return 0;
}

int sup_gate_release(int fd)
{
    ssize_t w;
    do {
        w = write(fd, "g", 1);
    } while (w < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    errno = e;
    return w == 1 ? 0 : -1;
}

int sup_helper_run(const struct sup_helper_spec *spec, struct ql_error *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return ql_error_errno(err, errno, "cannot run %s: fork", spec->name);
    if (pid == 0)
        child_exec(spec);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return ql_error_errno(err, errno, "cannot wait for %s", spec->name);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return ql_error_set(err, EIO, "%s was killed by signal %d", spec->name,
                            WTERMSIG(status));
    return ql_error_set(err, EIO, "%s failed with status %d (its output is in the domain's "
                        "log)", spec->name, WEXITSTATUS(status));
}

/* Waits up to ms for pid to end: its pidfd becomes readable when it does (no sleeps). */
static bool wait_gone(pid_t pid, unsigned long long start_time, int ms)
{
    _cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return !sup_proc_matches(pid, start_time);
    struct pollfd p = {pfd, POLLIN, 0};
    int r;
    while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
        ;
    return r > 0 || !sup_proc_matches(pid, start_time);
}

static void helper_log(void (*log)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void helper_log(void (*log)(void *, const char *), void *ctx, const char *fmt, ...)
{
    if (!log)
        return;
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (msg)
        log(ctx, msg);
}

void sup_helpers_stop(struct sup_status *st, void (*log)(void *ctx, const char *msg), void *ctx)
{
    for (size_t i = 0; i < st->n_helpers; i++) {
        struct sup_helper *h = &st->helpers[i];
        if (sup_proc_matches(h->pid, h->start_time)) {
            helper_log(log, ctx, "stopping %s (pid %ld)", h->name, (long)h->pid);
            kill(h->pid, SIGTERM);
            if (!wait_gone(h->pid, h->start_time, SUP_HELPER_TERM_MS)) {
                helper_log(log, ctx, "%s (pid %ld) ignored SIGTERM: SIGKILL", h->name,
                           (long)h->pid);
                kill(h->pid, SIGKILL);
                wait_gone(h->pid, h->start_time, SUP_HELPER_TERM_MS);
            }
        }
        waitpid(h->pid, NULL, WNOHANG);     /* ours: reaped; another's: ECHILD */
        if (h->socket)
            unlink(h->socket);
        if (h->remove_dir)
            sup_remove_tree(h->remove_dir, 0);
        free(h->name);
        free(h->socket);
        free(h->remove_dir);
    }
    st->n_helpers = 0;
}

size_t sup_helpers_reap(const struct sup_status *st)
{
    size_t gone = 0;
    for (size_t i = 0; i < st->n_helpers; i++) {
        waitpid(st->helpers[i].pid, NULL, WNOHANG);
        gone += !sup_proc_matches(st->helpers[i].pid, st->helpers[i].start_time);
    }
    return gone;
}
