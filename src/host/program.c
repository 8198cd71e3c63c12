/* Helper programs (ovs-vsctl, <script>): fork + exec without a shell, output captured for
 * the error message, a hard deadline. */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/time.h"

/* Captured output of a helper program kept for the error message. */
#define RUN_OUTPUT_MAX 4096
#define MSG_OUTPUT_MAX 600

int host_run_program(char *const argv[], char *const envp[], int timeout_ms, int *ret_status,
                     char **ret_output, struct ql_error *err)
{
    int out[2] = {-1, -1}, ex[2] = {-1, -1};
    _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        return ql_error_errno(err, errno, "cannot open /dev/null");
    if (pipe2(out, O_CLOEXEC) < 0)
        return ql_error_errno(err, errno, "cannot create a pipe");
    if (pipe2(ex, O_CLOEXEC) < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        return ql_error_errno(err, e, "cannot create a pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        close(ex[0]);
        close(ex[1]);
        return ql_error_errno(err, e, "cannot fork to run '%s'", argv[0]);
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here on. The supervisor may block signals for
         * signalfd and ignore SIGPIPE; the helper must start with neither. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
            dup2(out[1], STDERR_FILENO) < 0)
            _exit(126);
        if (envp)
            execvpe(argv[0], argv, envp);
        else
            execvp(argv[0], argv);
        int e = errno;
        ssize_t unused = write(ex[1], &e, sizeof(e));
        (void)unused;
        _exit(127);
    }
    close(out[1]);
    close(ex[1]);

    int exec_errno = 0;
    ssize_t n;
    do
        n = read(ex[0], &exec_errno, sizeof(exec_errno));
    while (n < 0 && errno == EINTR);
    close(ex[0]);
    if (n == (ssize_t)sizeof(exec_errno)) {
        close(out[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return ql_error_errno(err, exec_errno, "cannot run '%s'", argv[0]);
    }

    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "");
    int64_t deadline = ql_deadline_ms(timeout_ms);
    bool eof = false, exited = false;
    int status = 0;
    for (;;) {
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                exited = true;
            else if (w < 0 && errno != EINTR) {
                /* SIGCHLD ignored by the caller: the child was reaped for us. */
                exited = true;
                status = 0;
            }
        }
        if (!eof) {
            char buf[1024];
            n = read(out[0], buf, sizeof(buf));
            if (n > 0) {
                if (sb.len < RUN_OUTPUT_MAX)
                    sb_addn(&sb, buf, (size_t)n < RUN_OUTPUT_MAX - sb.len
                                          ? (size_t)n : RUN_OUTPUT_MAX - sb.len);
                continue;
            }
            if (n == 0)
                eof = true;
            else if (errno != EAGAIN && errno != EINTR)
                eof = true;
            else if (exited)
                break; /* a background grandchild may keep the pipe open: don't wait for it */
        }
        if (eof && exited)
            break;
        int left = ql_deadline_left_ms(deadline);
        if (left == 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            close(out[0]);
            sb_free(&sb);
            return ql_error_set(err, ETIMEDOUT, "'%s' did not finish within %d seconds and was "
                                "killed", argv[0], timeout_ms / 1000);
        }
        struct pollfd pfd = {.fd = out[0], .events = POLLIN};
        poll(eof ? NULL : &pfd, eof ? 0 : 1, left < 10 ? left : 10);
    }
    close(out[0]);
    *ret_status = status;
    *ret_output = sb_steal(&sb);
    return 0;
}

/* Appends the captured output as one line: "ovs-vsctl: no bridge named x". */
static void add_output(struct strbuf *sb, const char *out)
{
    size_t len = strlen(out);
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' ' || out[len - 1] == '\r'))
        len--;
    if (!len) {
        sb_add(sb, " (no output)");
        return;
    }
    sb_add(sb, ": ");
    bool cut = len > MSG_OUTPUT_MAX;
    if (cut)
        len = MSG_OUTPUT_MAX;
    for (size_t i = 0; i < len; i++) {
        char c = out[i];
        if (c == '\n')
            sb_add(sb, "; ");
        else if ((unsigned char)c < ' ' || c == 0x7f)
            sb_addc(sb, ' ');
        else
            sb_addc(sb, c);
    }
    if (cut)
        sb_add(sb, "...");
}

static void describe_status(struct strbuf *sb, int status)
{
    if (WIFEXITED(status))
        sb_addf(sb, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        sb_addf(sb, "was killed by signal %d", WTERMSIG(status));
    else
        sb_add(sb, "failed");
}

void host_run_describe(struct strbuf *sb, int status, const char *output)
{
    describe_status(sb, status);
    add_output(sb, output);
}

int host_run_checked(char *const argv[], char *const envp[], int timeout_ms, const char *desc,
                     struct ql_error *err)
{
    int status;
    _cleanup_free_ char *out = NULL;
    int r = host_run_program(argv, envp, timeout_ms, &status, &out, err);
    if (r < 0)
        return r;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%s ", desc);
    host_run_describe(&sb, status, out);
    r = ql_error_set(err, EIO, "%s", sb_str(&sb));
    sb_free(&sb);
    return r;
}
