/* Journal detection: JOURNAL_STREAM must name this very stderr; priorities from the
 * message's first word. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "util/log.h"

static void test_journal_stream(void **state)
{
    (void)state;
    struct stat st;
    assert_int_equal(fstat(2, &st), 0);
    char v[64];
    unsetenv("JOURNAL_STREAM");
    assert_false(ql_log_journal());
    snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
    assert_true(ql_log_journal());
    /* another stream (stderr redirected by a child of the service) */
    snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    setenv("JOURNAL_STREAM", v, 1);
    assert_false(ql_log_journal());
    setenv("JOURNAL_STREAM", "garbage", 1);
    assert_false(ql_log_journal());
    snprintf(v, sizeof(v), "%llu:%llux", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", v, 1);
    assert_false(ql_log_journal());
    unsetenv("JOURNAL_STREAM");
}

static void test_priority(void **state)
{
    (void)state;
    assert_int_equal(ql_log_priority("error: QEMU failed"), QL_LOG_ERR);
    assert_int_equal(ql_log_priority("warning: slow"), QL_LOG_WARNING);
    assert_int_equal(ql_log_priority("state running (booted)"), QL_LOG_INFO);
    assert_int_equal(ql_log_priority(""), QL_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_stream),
        cmocka_unit_test(test_priority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
