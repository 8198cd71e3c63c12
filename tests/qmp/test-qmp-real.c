/* The QMP client against the real qemu-system-x86_64 (TCG, no guest): connect through a
 * socket the test pre-binds and passes as a fd (as the launcher does), query-status, cont,
 * stop, query-pci, quit, and the SHUTDOWN event with reason host-qmp-quit.
 * Never skipped; a watchdog kills QEMU and fails the test if anything hangs. */
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "qmp/qmp.h"

#define T 20000             /* ms per command: TCG under load can be slow */
#define WATCHDOG_SECONDS 90

static pid_t qemu_pid = -1;
static char tmpdir[] = "/tmp/qlaunch-qmp-real.XXXXXX";
static char sock_path[256];
static bool have_tmpdir;

static void cleanup_files(void)
{
    if (sock_path[0])
        unlink(sock_path);
    if (have_tmpdir)
        rmdir(tmpdir);
}

static void kill_qemu(void)
{
    if (qemu_pid > 0) {
        kill(qemu_pid, SIGKILL);
        waitpid(qemu_pid, NULL, 0);
        qemu_pid = -1;
    }
}

static void on_alarm(int sig)
{
    static const char msg[] = "test-qmp-real: watchdog expired, killing QEMU\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    if (qemu_pid > 0)
        kill(qemu_pid, SIGKILL);
    if (sock_path[0])
        unlink(sock_path);
    rmdir(tmpdir);
    _exit(1);
}

struct seen {
    int shutdowns, resumes, stops, other;
    bool shutdown_guest;
    enum qmp_shutdown_cause shutdown_reason;
    int closed;
};

static void on_event(struct qmp_conn *conn, const struct qmp_event *ev, void *opaque)
{
    struct seen *s = opaque;
    switch (ev->type) {
    case QMP_EVENT_SHUTDOWN:
        s->shutdowns++;
        s->shutdown_guest = ev->u.shutdown.guest;
        s->shutdown_reason = ev->u.shutdown.reason;
        break;
    case QMP_EVENT_RESUME:
        s->resumes++;
        break;
    case QMP_EVENT_STOP:
        s->stops++;
        break;
    default:
        s->other++;
        break;
    }
}

static void on_closed(struct qmp_conn *conn, const struct ql_error *why, void *opaque)
{
    ((struct seen *)opaque)->closed++;
}

static const struct qmp_callbacks cbs = {.event = on_event, .closed = on_closed};

static int setup(void **state)
{
    if (!mkdtemp(tmpdir))
        return -1;
    have_tmpdir = true;
    snprintf(sock_path, sizeof(sock_path), "%s/qmp.sock", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    kill_qemu();
    cleanup_files();
    return 0;
}

/* Binds and listens on sock_path, then starts QEMU with that socket as fd 3. */
static void start_qemu(void)
{
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(lfd >= 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    assert_true(strlen(sock_path) < sizeof(sun.sun_path));
    memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    const char *qemu = getenv("QLAUNCH_TEST_QEMU");
    if (!qemu)
        qemu = QEMU_DEFAULT_EMULATOR;
    fflush(NULL);
    pid_t parent = getpid();
    qemu_pid = fork();
    assert_true(qemu_pid >= 0);
    if (qemu_pid == 0) {
        /* Die with the test, whatever happens to it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        /* dup2 onto itself would keep close-on-exec */
        if (lfd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(lfd, 3) < 0)
            _exit(127);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        execl(qemu, qemu, "-S", "-nodefaults", "-no-user-config", "-display", "none",
              "-accel", "tcg", "-m", "32", "-machine", "pc",
              "-chardev", "socket,id=qmp,fd=3,server=on,wait=off",
              "-mon", "chardev=qmp,mode=control", (char *)NULL);
        _exit(127);
    }
    close(lfd);
}

static void test_real_qemu(void **state)
{
    struct seen seen = {0};
    struct ql_error err = QL_ERROR_INIT;
    struct qmp_conn *conn = NULL;
    char *log = NULL;
    size_t loglen = 0;
    FILE *transcript = open_memstream(&log, &loglen);

    start_qemu();
    int r = qmp_connect_unix(sock_path, &cbs, &seen, &conn, &err);
    if (r < 0)
        fail_msg("%s", ql_error_msg(&err));
    qmp_conn_set_transcript(conn, transcript);
#define CHECK(expr)                                                         \
    do {                                                                    \
        if ((expr) < 0)                                                     \
            fail_msg("%s: %s", #expr, ql_error_msg(&err));                  \
    } while (0)
    CHECK(qmp_handshake_sync(conn, T, &err));
    const struct qmp_version *v = qmp_conn_version(conn);
    assert_non_null(v);
    assert_true(v->major > 7 || (v->major == 7 && v->minor >= 2));

    struct qmp_version qv;
    CHECK(qmp_query_version_sync(conn, T, &qv, &err));
    assert_int_equal(qv.major, v->major);
    assert_int_equal(qv.minor, v->minor);
    assert_int_equal(qv.micro, v->micro);
    qmp_version_clear(&qv);

    bool running = true;
    enum qmp_run_state st;
    CHECK(qmp_query_status_sync(conn, T, &running, &st, &err));
    assert_false(running);
    assert_int_equal(st, QMP_RUN_STATE_PRELAUNCH);

    CHECK(qmp_cont_sync(conn, T, &err));
    CHECK(qmp_query_status_sync(conn, T, &running, &st, &err));
    assert_true(running);
    assert_int_equal(st, QMP_RUN_STATE_RUNNING);
    assert_int_equal(seen.resumes, 1);

    CHECK(qmp_stop_sync(conn, T, &err));
    CHECK(qmp_query_status_sync(conn, T, &running, &st, &err));
    assert_false(running);
    assert_int_equal(st, QMP_RUN_STATE_PAUSED);
    assert_int_equal(seen.stops, 1);

    struct qmp_pci_device *pci = NULL;
    size_t npci = 0;
    CHECK(qmp_query_pci_sync(conn, T, &pci, &npci, &err));
    /* i440FX host bridge at 00:00.0 and the PIIX3 ISA bridge at 00:01.0 */
    assert_true(npci >= 2);
    assert_int_equal(pci[0].bus, 0);
    assert_int_equal(pci[0].slot, 0);
    assert_int_equal(pci[0].vendor, 0x8086);
    assert_int_equal(pci[0].device, 0x1237);
    assert_int_equal(pci[1].slot, 1);
    assert_int_equal(pci[1].device, 0x7000);
    qmp_pci_list_free(pci, npci);

    /* An error reply from the real QEMU keeps the connection usable. */
    assert_int_equal(qmp_execute_sync(conn, "no-such-command", NULL, T, NULL, &err), -EREMOTEIO);
    assert_string_equal(err.msg, "QMP command 'no-such-command' failed: CommandNotFound: "
                                 "The command no-such-command has not been found");
    ql_error_clear(&err);

    CHECK(qmp_quit_sync(conn, T, &err));
    /* QEMU exits: read to EOF, collecting the SHUTDOWN event if it came after the reply. */
    for (int i = 0; i < 1000 && qmp_conn_get_state(conn) == QMP_CONN_READY; i++) {
        struct pollfd p = {.fd = qmp_conn_fd(conn), .events = POLLIN};
        assert_int_equal(poll(&p, 1, T), 1);
        (void)qmp_conn_on_readable(conn, &err);
    }
    assert_int_equal(qmp_conn_get_state(conn), QMP_CONN_CLOSED);
    assert_int_equal(err.code, ECONNRESET);
    ql_error_clear(&err);
    assert_int_equal(seen.closed, 1);
    assert_int_equal(seen.shutdowns, 1);
    assert_false(seen.shutdown_guest);
    assert_int_equal(seen.shutdown_reason, QMP_SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    qmp_conn_free(conn);

    int status;
    assert_int_equal(waitpid(qemu_pid, &status, 0), qemu_pid);
    qemu_pid = -1;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    fclose(transcript);
    assert_non_null(strstr(log, "-> {\"execute\":\"qmp_capabilities\",\"id\":1}\n"));
    assert_non_null(strstr(log, "\"reason\":\"host-qmp-quit\""));
    free(log);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm(WATCHDOG_SECONDS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_qemu, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
