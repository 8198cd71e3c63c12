/* Helper processes (supervise/helpers.h): the record callback runs before the child may
 * exec (the state names it first), a stop ends a helper that obeys SIGTERM and one that
 * ignores it, removes its socket and directory, and leaves a process that reuses a
 * recorded pid alone. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervise/helpers.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

struct rec {
    struct sup_status *st;
    size_t seen;            /* helpers recorded when the callback ran */
    bool alive_in_record;   /* the child exists, but has not exec'd (its start time is set) */
};

static void on_record(void *ctx)
{
    struct rec *r = ctx;
    r->seen = r->st->n_helpers;
    const struct sup_helper *h = &r->st->helpers[r->st->n_helpers - 1];
    r->alive_in_record = h->start_time && sup_proc_matches(h->pid, h->start_time);
}

static void spawn(struct sup_status *st, char *const *argv, const char *sock, const char *dir)
{
    struct rec r = {st, 0, false};
    struct sup_helper_spec spec = {.name = "test", .argv = argv, .out_fd = 2,
                                   .socket = sock, .remove_dir = dir};
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_helper_spawn(st, &spec, on_record, &r, &err), 0);
    assert_int_equal(r.seen, st->n_helpers);
    assert_true(r.alive_in_record);
}

static void test_stop(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/ql-helpers.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    _cleanup_free_ char *sock = xasprintf("%s/h.sock", tmpl);
    _cleanup_free_ char *dir = xasprintf("%s/state", tmpl);
    _cleanup_free_ char *file = xasprintf("%s/state/f", tmpl);
    assert_int_equal(mkdir(dir, 0700), 0);
    close(open(sock, O_CREAT | O_WRONLY, 0600));
    close(open(file, O_CREAT | O_WRONLY, 0600));

    struct sup_status st = {0};
    char *const sleeper[] = {"/bin/sleep", "60", NULL};
    _cleanup_free_ char *ready = xasprintf("%s/ready", tmpl);
    _cleanup_free_ char *script = xasprintf("trap '' TERM; : > %s; while :; do sleep 1; done",
                                            ready);
    char *const stubborn[] = {"/bin/sh", "-c", script, NULL};
    spawn(&st, sleeper, sock, dir);
    spawn(&st, stubborn, NULL, NULL);
    /* SIGTERM must reach it once it ignores SIGTERM: wait for it to say so (bounded). */
    for (int i = 0; i < 1000 && access(ready, F_OK) < 0; i++)
        usleep(10000);
    assert_int_equal(access(ready, F_OK), 0);
    unlink(ready);
    pid_t p0 = st.helpers[0].pid, p1 = st.helpers[1].pid;
    unsigned long long t0 = st.helpers[0].start_time, t1 = st.helpers[1].start_time;
    /* A recorded pid whose start time is another process's: never signalled. */
    pid_t other = fork();
    if (other == 0) {
        pause();
        _exit(0);
    }
    st.helpers[st.n_helpers++] = (struct sup_helper){xstrdup("reused"), other, 1, NULL, NULL};

    sup_helpers_stop(&st, NULL, NULL);
    assert_int_equal(st.n_helpers, 0);
    assert_false(sup_proc_matches(p0, t0));
    assert_false(sup_proc_matches(p1, t1));
    assert_int_equal(kill(other, 0), 0);
    assert_int_equal(access(sock, F_OK), -1);
    assert_int_equal(access(dir, F_OK), -1);
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
    rmdir(tmpl);
    sup_status_clear(&st);
}

static void test_run(void **state)
{
    (void)state;
    char *const ok[] = {"/bin/true", NULL};
    char *const bad[] = {"/bin/false", NULL};
    struct sup_helper_spec spec = {.name = "tool", .argv = ok, .out_fd = 2};
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_helper_run(&spec, &err), 0);
    spec.argv = bad;
    assert_int_equal(sup_helper_run(&spec, &err), -EIO);
    assert_non_null(strstr(ql_error_msg(&err), "tool failed with status 1"));
    ql_error_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
