/* The control client against a scripted supervisor (a child process on the real socket
 * path): request on the wire, reply parsing, refusals, timeouts, the event stream, and the
 * run directories nobody listens on (missing, starting, stale). */
#include "config.h"
#include <sys/file.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise/ctl-client.h"
#include "supervise/rundir.h"
#include "util/strbuf.h"

#define NAME "vm1"

struct fixture {
    char base[64];
    struct sup_paths p;
    struct ctl_target t;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    snprintf(f->base, sizeof(f->base), "/tmp/ql-ctl-XXXXXX");
    if (!mkdtemp(f->base))
        return -1;
    if (sup_paths_init(&f->p, f->base, NAME, NULL) < 0)
        return -1;
    f->t = (struct ctl_target){.name = NAME, .run_dir = f->base};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sup_rundir_remove(&f->p);
    unlink(f->p.last);
    rmdir(f->base);
    sup_paths_free(&f->p);
    free(f);
    return 0;
}

/* A supervisor that answers one connection: it reads one request, which must parse as
 * want_cmd, then writes each chunk (NULL ends them; "" means: pause 50 ms), then closes
 * (or, with hang, keeps the connection open until killed). Returns its pid. */
static pid_t serve(struct fixture *f, enum ctl_cmd want_cmd, const char *const *chunks,
                   bool hang)
{
    mkdir(f->p.dir, 0700);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->p.ctl);
    unlink(f->p.ctl);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 4), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0) {
        close(ls);
        return pid;
    }
    int c = accept(ls, NULL, NULL);
    struct ctl_conn conn = {c, STRBUF_INIT};
    char *line = NULL;
    struct ctl_request req;
    if (ctl_conn_read_line(&conn, CTL_MAX_LINE, 5000, &line, NULL) < 0 ||
        ctl_request_parse(line, strlen(line), &req, NULL) < 0 || req.cmd != want_cmd)
        _exit(3);
    for (size_t i = 0; chunks[i]; i++) {
        if (!*chunks[i])
            usleep(50000);
        else if (write(c, chunks[i], strlen(chunks[i])) < 0)
            _exit(4);
    }
    if (hang)
        pause();
    _exit(0);
}

static void reaped(pid_t pid, bool killed)
{
    int st;
    if (killed)
        kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!killed)
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_not_running(void **state)
{
    struct fixture *f = *state;
    struct ctl_conn c;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(ctl_open(&f->t, &c, &err), -ENOENT);
    assert_string_equal(ql_error_msg(&err), "domain 'vm1' is not running");
    ql_error_clear(&err);
    struct ctl_target bad = {.name = "../x", .run_dir = f->base};
    assert_int_equal(ctl_open(&bad, &c, &err), -EINVAL);
    ql_error_clear(&err);
    /* a directory that a starting supervisor holds (its lock) is left alone */
    assert_int_equal(mkdir(f->p.dir, 0700), 0);
    int lk = open(f->p.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    assert_true(lk >= 0);
    assert_int_equal(flock(lk, LOCK_EX), 0);
    assert_int_equal(ctl_open(&f->t, &c, &err), -ENOTCONN);
    assert_non_null(strstr(ql_error_msg(&err), "its supervisor is starting or stopping it"));
    ql_error_clear(&err);
    assert_int_equal(ctl_wait_gone(&f->t, 100, &err), -ETIMEDOUT);
    ql_error_clear(&err);
    close(lk);
    /* nobody holds it (no supervisor, no QEMU, no state): a leftover, recorded and removed */
    assert_int_equal(ctl_open(&f->t, &c, &err), -ENOENT);
    ql_error_clear(&err);
    assert_int_equal(access(f->p.dir, F_OK), -1);
    assert_int_equal(access(f->p.last, F_OK), 0);
}

/* Supervisor and QEMU both gone: the run is recorded as crashed and the directory goes. */
static void test_stale(void **state)
{
    struct fixture *f = *state;
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    assert_int_equal(mkdir(f->p.dir, 0700), 0);
    struct sup_status s = {.name = xstrdup(NAME), .state = SUP_STATE_RUNNING,
                           .reason = SUP_REASON_BOOTED, .qemu_pid = dead,
                           .qemu_start_time = 12345, .boots = 3};
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_status_write(f->p.state, &s, &err), 0);
    sup_status_clear(&s);
    struct ctl_conn c;
    assert_int_equal(ctl_open(&f->t, &c, &err), -ENOENT);
    ql_error_clear(&err);
    struct stat st;
    assert_int_equal(stat(f->p.dir, &st), -1);
    assert_int_equal(ctl_wait_gone(&f->t, 0, &err), 0);
    assert_int_equal(sup_status_read(f->p.last, &s, &err), 0);
    assert_int_equal(s.state, SUP_STATE_SHUTOFF);
    assert_int_equal(s.reason, SUP_REASON_CRASHED);
    assert_int_equal(s.qemu_pid, 0);
    assert_int_equal(s.boots, 3);
    sup_status_clear(&s);
}

static void test_status(void **state)
{
    struct fixture *f = *state;
    struct sup_status s = {.name = xstrdup(NAME), .state = SUP_STATE_PAUSED,
                           .reason = SUP_REASON_USER, .qemu_pid = 4242,
                           .console_pty = xstrdup("/dev/pts/7")};
    json_object *rep = ctl_reply_ok();
    json_object_object_add(rep, "status", sup_status_to_json(&s));
    char *line = xasprintf("%s\n", json_object_to_json_string(rep));
    json_object_put(rep);
    sup_status_clear(&s);
    /* the reply arrives in two pieces */
    size_t half = strlen(line) / 2;
    char *a = xstrndup(line, half);
    const char *const chunks[] = {a, "", line + half, NULL};
    pid_t pid = serve(f, CTL_STATUS, chunks, false);
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(ctl_status(&f->t, &s, &err), 0);
    assert_string_equal(s.name, NAME);
    assert_int_equal(s.state, SUP_STATE_PAUSED);
    assert_int_equal(s.reason, SUP_REASON_USER);
    assert_int_equal(s.qemu_pid, 4242);
    assert_string_equal(s.console_pty, "/dev/pts/7");
    sup_status_clear(&s);
    reaped(pid, false);
    free(a);
    free(line);

    /* an older supervisor's reply without the status object */
    const char *const old[] = {"{\"ok\":true,\"name\":\"vm1\"}\n", NULL};
    pid = serve(f, CTL_STATUS, old, false);
    assert_int_equal(ctl_status(&f->t, &s, &err), -EBADMSG);
    assert_non_null(strstr(ql_error_msg(&err), "without the domain status"));
    ql_error_clear(&err);
    reaped(pid, false);
}

static void test_refused_and_broken(void **state)
{
    struct fixture *f = *state;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_DESTROY);
    req.graceful = true;
    json_object *rep;
    struct ql_error err = QL_ERROR_INIT;
    const char *const no[] = {"{\"ok\":false,\"error\":\"QEMU did not exit\"}\n", NULL};
    pid_t pid = serve(f, CTL_DESTROY, no, false);
    assert_int_equal(ctl_call(&f->t, &req, 2000, &rep, &err), -EREMOTEIO);
    assert_null(rep);
    assert_string_equal(ql_error_msg(&err), "QEMU did not exit");
    ql_error_clear(&err);
    reaped(pid, false);

    const char *const garbage[] = {"Hello\n", NULL};
    pid = serve(f, CTL_DESTROY, garbage, false);
    assert_int_equal(ctl_call(&f->t, &req, 2000, &rep, &err), -EBADMSG);
    assert_non_null(strstr(ql_error_msg(&err), "domain 'vm1'"));
    ql_error_clear(&err);
    reaped(pid, false);

    /* closed without an answer, and no answer at all */
    const char *const none[] = {NULL};
    pid = serve(f, CTL_DESTROY, none, false);
    assert_int_equal(ctl_call(&f->t, &req, 2000, &rep, &err), -EPIPE);
    assert_non_null(strstr(ql_error_msg(&err), "no answer from the supervisor of 'vm1'"));
    ql_error_clear(&err);
    reaped(pid, false);
    pid = serve(f, CTL_DESTROY, none, true);
    assert_int_equal(ctl_call(&f->t, &req, 200, &rep, &err), -ETIMEDOUT);
    ql_error_clear(&err);
    reaped(pid, true);
}

static void test_events(void **state)
{
    struct fixture *f = *state;
    /* acknowledgement and the first events in one write, then one more, then EOF */
    const char *const chunks[] = {"{\"ok\":true}\n{\"event\":\"state\"}\n{\"event\":", "",
                                  "\"stopped\"}\n", NULL};
    pid_t pid = serve(f, CTL_EVENTS, chunks, false);
    struct ctl_conn c;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(ctl_subscribe(&f->t, &c, &err), 0);
    char *line;
    assert_int_equal(ctl_conn_read_line(&c, CTL_MAX_REPLY, 2000, &line, &err), 0);
    assert_string_equal(line, "{\"event\":\"state\"}");
    free(line);
    assert_int_equal(ctl_conn_read_line(&c, CTL_MAX_REPLY, 2000, &line, &err), 0);
    assert_string_equal(line, "{\"event\":\"stopped\"}");
    free(line);
    assert_int_equal(ctl_conn_read_line(&c, CTL_MAX_REPLY, 2000, &line, &err), -EPIPE);
    assert_null(line);
    ql_error_clear(&err);
    ctl_conn_close(&c);
    reaped(pid, false);

    /* a line longer than allowed */
    const char *const big[] = {"{\"ok\":true}\n0123456789", NULL};
    pid = serve(f, CTL_EVENTS, big, true);
    assert_int_equal(ctl_subscribe(&f->t, &c, &err), 0);
    assert_int_equal(ctl_conn_read_line(&c, 8, 2000, &line, &err), -EMSGSIZE);
    ql_error_clear(&err);
    ctl_conn_close(&c);
    reaped(pid, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_broken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
