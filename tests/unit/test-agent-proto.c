/* The guest agent's protocol (agent-proto.h): the reply stream is untrusted bytes cut into
 * lines whatever the reads look like; garbage, oversized and partial lines are skipped with
 * a reason; replies are classified; user commands are checked; interface lists converted. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supervise/agent-proto.h"
#include "util/json.h"

/* Feeds text in pieces of step bytes and collects what qga_stream_next says: "M<json>" per
 * message, "E<code>" per skipped line. */
static char *run_stream(const char *text, size_t len, size_t step)
{
    struct qga_stream st = QGA_STREAM_INIT;
    struct strbuf out = STRBUF_INIT;
    for (size_t off = 0; off < len; off += step) {
        qga_stream_feed(&st, text + off, len - off < step ? len - off : step);
        for (;;) {
            json_object *o;
            struct ql_error err = QL_ERROR_INIT;
            int r = qga_stream_next(&st, &o, &err);
            if (r == 0)
                break;
            if (r < 0) {
                assert_non_null(err.msg);
                sb_addf(&out, "E%d ", -r);
            } else {
                sb_addf(&out, "M%s ", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
                json_object_put(o);
            }
            ql_error_clear(&err);
        }
    }
    qga_stream_clear(&st);
    return sb_steal(&out);
}

static void test_stream(void **state)
{
    (void)state;
    static const char text[] = "{\"return\": {}}\n\xff{\"return\":42}\r\n\n  \n"
                               "garbage{\n[1,2]\n{\"return\": \"no\"\n\"x\"\n{\"a\":1} {\"b\":2}\n"
                               "{\"return\": 7}\n{\"partial\":";
    const char *want = "M{\"return\":{}} M{\"return\":42} E74 E74 E74 E74 E74 M{\"return\":7} ";
    for (size_t step = 1; step <= sizeof(text); step++) {
        char *got = run_stream(text, sizeof(text) - 1, step);
        if (strcmp(got, want) != 0)
            fail_msg("step %zu: got '%s', want '%s'", step, got, want);
        free(got);
    }
    /* A NUL byte in a line, invalid UTF-8 */
    char *got = run_stream("{\"return\":\"a\0b\"}\n{\"return\":1}\n", 30, 7);
    assert_string_equal(got, "E74 M{\"return\":1} ");
    free(got);
}

static void test_oversize(void **state)
{
    (void)state;
    size_t n = QGA_MAX_MESSAGE + 100;
    char *big = malloc(n + 64);
    memset(big, ' ', n);
    big[0] = '[';
    memcpy(big + n, "]\n{\"return\":3}\n", 16);
    /* the long line is skipped (once) however it arrives, the next one is read */
    for (size_t step = 4096;; step *= 8) {
        char *got = run_stream(big, n + 15, step);
        assert_string_equal(got, "E90 M{\"return\":3} ");
        free(got);
        if (step > n)
            break;
    }
    free(big);
}

static void test_replies(void **state)
{
    (void)state;
    json_object *v;
    const char *desc;
    json_object *o = json_tokener_parse("{\"return\": 5}");
    assert_int_equal(qga_reply_kind(o, &v, &desc), QGA_REPLY_RETURN);
    assert_int_equal(json_object_get_int(v), 5);
    assert_true(qga_reply_is_sync(o, 5));
    assert_false(qga_reply_is_sync(o, 6));
    json_object_put(o);
    o = json_tokener_parse("{\"return\": \"5\"}");
    assert_false(qga_reply_is_sync(o, 5));
    json_object_put(o);
    o = json_tokener_parse("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}");
    assert_int_equal(qga_reply_kind(o, &v, &desc), QGA_REPLY_ERROR);
    assert_string_equal(desc, "no");
    json_object_put(o);
    o = json_tokener_parse("{\"error\": 3}");
    assert_int_equal(qga_reply_kind(o, &v, &desc), QGA_REPLY_OTHER);
    json_object_put(o);
    char *t = qga_sync_text(123456789012LL);
    assert_string_equal(t, "\xff{\"execute\":\"guest-sync\",\"arguments\":{\"id\":123456789012}}\n");
    free(t);
}

static void test_commands(void **state)
{
    (void)state;
    char *name, *text;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qga_command_parse(" {\"execute\": \"guest-ping\"} ", &name, &text, &err), 0);
    assert_string_equal(name, "guest-ping");
    assert_string_equal(text, "{\"execute\":\"guest-ping\"}\n");
    free(name);
    free(text);
    assert_int_equal(qga_command_parse("{\"arguments\":{\"mode\":\"reboot\"},"
                                       "\"execute\":\"guest-shutdown\"}", &name, &text, &err), 0);
    assert_string_equal(text, "{\"execute\":\"guest-shutdown\",\"arguments\":{\"mode\":"
                              "\"reboot\"}}\n");
    assert_true(qga_command_no_reply(name));
    free(name);
    free(text);
    static const char *const bad[] = {"", "guest-ping", "{\"execute\":1}", "{\"execute\":\"\"}",
                                      "{\"execute\":\"x\",\"id\":1}", "{\"execute\":\"x\"} {}",
                                      "{\"execute\":\"x\",\"arguments\":[]}", "[]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(qga_command_parse(bad[i], &name, &text, &err), -EINVAL);
        assert_null(name);
        assert_non_null(err.msg);
        ql_error_clear(&err);
    }
    assert_false(qga_command_no_reply("guest-ping"));
}

static void test_interfaces(void **state)
{
    (void)state;
    json_object *in = json_tokener_parse(
        "[{\"name\":\"eth0\",\"hardware-address\":\"52:54:00:a9:00:01\",\"ip-addresses\":["
        "{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.0.2.15\",\"prefix\":24},"
        "{\"ip-address-type\":\"ipv4\",\"ip-address\":\"10.0.2.300\",\"prefix\":24},"
        "{\"ip-address-type\":\"ipv6\",\"ip-address\":\"fe80::1\",\"prefix\":129},"
        "{\"ip-address-type\":\"ipv6\",\"ip-address\":\"fe80::1\",\"prefix\":64},"
        "{\"ip-address-type\":\"ipx\",\"ip-address\":\"1\",\"prefix\":1}]},"
        "{\"name\":\"\"}, 7, {\"name\":\"lo\",\"ip-addresses\":{}}]");
    json_object *out;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qga_interfaces(in, &out, &err), 0);
    assert_string_equal(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN),
                        "[{\"name\":\"eth0\",\"hwaddr\":\"52:54:00:a9:00:01\",\"addrs\":["
                        "{\"type\":\"ipv4\",\"addr\":\"10.0.2.15\",\"prefix\":24},"
                        "{\"type\":\"ipv6\",\"addr\":\"fe80::1\",\"prefix\":64}]},"
                        "{\"name\":\"lo\",\"hwaddr\":null,\"addrs\":[]}]");
    json_object_put(out);
    json_object_put(in);
    in = json_object_new_object();
    assert_int_equal(qga_interfaces(in, &out, &err), -EBADMSG);
    assert_null(out);
    ql_error_clear(&err);
    json_object_put(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_interfaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
