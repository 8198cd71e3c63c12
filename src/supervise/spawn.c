/* Double fork of a background supervisor and its readiness line ("OK PID" / "ERR MESSAGE"). */
#include "config.h"
#include "supervise/spawn.h"
#include "supervise/ctl-client.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A readiness line is "OK PID" or one error sentence. */
#define READY_MAX_LINE 65536

static __attribute__((noreturn)) void supervisor_child(const struct sup_config *cfg_in, int ready_fd)
{
    setsid();
    pid_t p2 = fork();
    if (p2 != 0)
        _exit(p2 < 0 ? 1 : 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (devnull > 2)
            close(devnull);
    }
    if (chdir("/") < 0)
        _exit(1);
    struct sup_config cfg = *cfg_in;
    cfg.ready_fd = ready_fd;
    cfg.foreground = false;
    _exit(sup_main(&cfg));
}

static int parse_ready(const char *line, pid_t *ret_qemu_pid, struct ql_error *err)
{
    if (strncmp(line, "ERR ", 4) == 0)
        return ql_error_set(err, EIO, "%s", line + 4);
    /* A re-attach found the domain ended meanwhile and finished it. */
    if (strcmp(line, "GONE") == 0)
        return ql_error_set(err, ENOENT, "the domain ended while it had no supervisor");
    char *end;
    errno = 0;
    long pid = strncmp(line, "OK ", 3) == 0 ? strtol(line + 3, &end, 10) : 0;
    if (pid <= 0 || errno || *end)
        return ql_error_set(err, EBADMSG, "the supervisor reported '%s' instead of its QEMU pid",
                            line);
    if (ret_qemu_pid)
        *ret_qemu_pid = (pid_t)pid;
    return 0;
}

int sup_spawn(const struct sup_config *cfg, pid_t *ret_qemu_pid, struct ql_error *err)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return ql_error_set(err, errno, "cannot start the supervisor: pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pfd[0]);
        close(pfd[1]);
        return ql_error_set(err, e, "cannot start the supervisor: fork: %s", strerror(e));
    }
    if (pid == 0) {
        close(pfd[0]);
        supervisor_child(cfg, pfd[1]);
    }
    close(pfd[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    struct ctl_conn c = {pfd[0], STRBUF_INIT};
    _cleanup_free_ char *line = NULL;
    struct ql_error e2 = QL_ERROR_INIT;
    int r = ctl_conn_read_line(&c, READY_MAX_LINE, SUP_SPAWN_TIMEOUT_MS, &line, &e2);
    ctl_conn_close(&c);
    if (r == -EPIPE)
        r = ql_error_set(err, ECHILD, "the supervisor exited without reporting");
    else if (r == -ETIMEDOUT)
        r = ql_error_set(err, ETIMEDOUT, "the supervisor did not report within %d s",
                         SUP_SPAWN_TIMEOUT_MS / 1000);
    else if (r < 0)
        r = ql_error_set(err, -r, "cannot read the supervisor's report: %s",
                         ql_error_msg(&e2));
    else
        r = parse_ready(line, ret_qemu_pid, err);
    ql_error_clear(&e2);
    return r;
}
