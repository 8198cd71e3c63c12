/* The control protocol's request parser accepts exactly the requests the CLI formats and
 * refuses every other line with a reason; replies and statuses round-trip. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervise/ctl-proto.h"
#include "supervise/state.h"
#include "util/strbuf.h"

static int parse(const char *line, struct ctl_request *r, struct ql_error *err)
{
    return ctl_request_parse(line, strlen(line), r, err);
}

/* The line is refused with errno code and a message containing phrase. */
static void refused(const char *line, size_t len, int code, const char *phrase)
{
    struct ctl_request r;
    struct ql_error err = QL_ERROR_INIT;
    int rc = ctl_request_parse(line, len, &r, &err);
    if (rc != -code || !strstr(ql_error_msg(&err), phrase))
        fail_msg("'%.*s': got %d '%s', want %d with '%s'", (int)(len > 80 ? 80 : len), line,
                 rc, ql_error_msg(&err), -code, phrase);
    /* nothing is left to free on failure */
    assert_null(r.json);
    ql_error_clear(&err);
}

static void refused_str(const char *line, const char *phrase)
{
    refused(line, strlen(line), EBADMSG, phrase);
}

static void test_cmd_names(void **state)
{
    (void)state;
    for (int c = 0; c < CTL_CMD_MAX; c++) {
        const char *s = ctl_cmd_to_string(c);
        assert_non_null(s);
        assert_int_equal(ctl_cmd_from_string(s), c);
    }
    assert_null(ctl_cmd_to_string(CTL_CMD_MAX));
    assert_int_equal(ctl_cmd_from_string("Status"), -1);
    assert_int_equal(ctl_cmd_from_string(""), -1);
    assert_int_equal(ctl_cmd_from_string(NULL), -1);
}

static void test_good_requests(void **state)
{
    (void)state;
    struct ctl_request r;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(parse("{\"cmd\":\"status\"}", &r, &err), 0);
    assert_int_equal(r.cmd, CTL_STATUS);
    assert_false(r.graceful);
    assert_int_equal(r.timeout_s, -1);
    assert_null(r.json);

    assert_int_equal(parse("  { \"cmd\" : \"destroy\", \"graceful\": true }\r\n", &r, &err), 0);
    assert_int_equal(r.cmd, CTL_DESTROY);
    assert_true(r.graceful);
    assert_int_equal(parse("{\"graceful\":false,\"cmd\":\"destroy\"}", &r, &err), 0);
    assert_false(r.graceful);

    assert_int_equal(parse("{\"cmd\":\"shutdown\",\"timeout\":0}", &r, &err), 0);
    assert_int_equal(r.cmd, CTL_SHUTDOWN);
    assert_int_equal(r.timeout_s, 0);
    assert_int_equal(parse("{\"cmd\":\"shutdown\",\"timeout\":31536000}", &r, &err), 0);
    assert_int_equal(r.timeout_s, CTL_MAX_TIMEOUT_S);

    assert_int_equal(parse("{\"cmd\":\"qmp\",\"json\":\"{\\\"execute\\\":\\\"stop\\\"}\"}", &r,
                           &err), 0);
    assert_int_equal(r.cmd, CTL_QMP);
    assert_string_equal(r.json, "{\"execute\":\"stop\"}");
    ctl_request_clear(&r);
    assert_null(r.json);

    static const char *const plain[] = {"events", "reboot", "suspend", "resume"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char *line = xasprintf("{\"cmd\":\"%s\"}", plain[i]);
        assert_int_equal(parse(line, &r, &err), 0);
        assert_string_equal(ctl_cmd_to_string(r.cmd), plain[i]);
        free(line);
    }
    assert_null(err.msg);
}

/* What the client formats, the supervisor parses back to the same request. */
static void test_format_roundtrip(void **state)
{
    (void)state;
    struct ctl_request in[] = {
        CTL_REQUEST_INIT(CTL_STATUS), CTL_REQUEST_INIT(CTL_DESTROY),
        CTL_REQUEST_INIT(CTL_DESTROY), CTL_REQUEST_INIT(CTL_SHUTDOWN),
        CTL_REQUEST_INIT(CTL_SHUTDOWN), CTL_REQUEST_INIT(CTL_QMP), CTL_REQUEST_INIT(CTL_EVENTS),
    };
    in[2].graceful = true;
    in[4].timeout_s = 42;
    in[5].json = "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":"
                 "\"info\\nblock /\"}}";
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char *line = ctl_request_format(&in[i]);
        size_t len = strlen(line);
        assert_true(len > 0 && line[len - 1] == '\n');
        assert_null(memchr(line, '\n', len - 1));   /* one line, whatever json holds */
        struct ctl_request out;
        struct ql_error err = QL_ERROR_INIT;
        assert_int_equal(ctl_request_parse(line, len - 1, &out, &err), 0);
        assert_int_equal(out.cmd, in[i].cmd);
        assert_int_equal(out.graceful, in[i].graceful);
        assert_int_equal(out.timeout_s, in[i].timeout_s);
        if (in[i].json)
            assert_string_equal(out.json, in[i].json);
        else
            assert_null(out.json);
        ctl_request_clear(&out);
        free(line);
    }
}

/* The day-2 verbs' members: formatted and parsed back; each belongs to its commands only,
 * the required ones are required, and types and ranges are checked. */
static void test_day2_requests(void **state)
{
    (void)state;
    struct ctl_request in = CTL_REQUEST_INIT(CTL_CHANGE_MEDIA);
    in.target = "hdc";
    in.source = "/iso/a b.iso";
    in.action = "update";
    in.force = true;
    char *line = ctl_request_format(&in);
    struct ctl_request out;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(parse(line, &out, &err), 0);
    assert_int_equal(out.cmd, CTL_CHANGE_MEDIA);
    assert_string_equal(out.target, "hdc");
    assert_string_equal(out.source, "/iso/a b.iso");
    assert_string_equal(out.action, "update");
    assert_true(out.force);
    ctl_request_clear(&out);
    free(line);

    struct ctl_request k = CTL_REQUEST_INIT(CTL_SEND_KEY);
    k.keys = "KEY_A KEY_B";
    k.codeset = "linux";
    k.holdtime_ms = 50;
    line = ctl_request_format(&k);
    assert_int_equal(parse(line, &out, &err), 0);
    assert_string_equal(out.keys, "KEY_A KEY_B");
    assert_string_equal(out.codeset, "linux");
    assert_int_equal(out.holdtime_ms, 50);
    ctl_request_clear(&out);
    free(line);

    assert_int_equal(parse("{\"cmd\":\"setmem\",\"size\":1048576}", &out, &err), 0);
    assert_int_equal(out.size_kib, 1048576);
    ctl_request_clear(&out);
    assert_int_equal(parse("{\"cmd\":\"domblklist\",\"details\":true}", &out, &err), 0);
    assert_true(out.details);
    ctl_request_clear(&out);
    assert_int_equal(parse("{\"cmd\":\"domblkstat\"}", &out, &err), 0);
    assert_null(out.target);
    ctl_request_clear(&out);

    /* snapshots and save: their members, required and refused where they do not belong */
    struct ctl_request sn = CTL_REQUEST_INIT(CTL_SNAPSHOT_CREATE);
    sn.snapshot = "s1";
    sn.description = "before \"it\"";
    line = ctl_request_format(&sn);
    assert_int_equal(parse(line, &out, &err), 0);
    assert_int_equal(out.cmd, CTL_SNAPSHOT_CREATE);
    assert_string_equal(out.snapshot, "s1");
    assert_string_equal(out.description, "before \"it\"");
    ctl_request_clear(&out);
    free(line);
    assert_int_equal(parse("{\"cmd\":\"save\",\"file\":\"/x/y\"}", &out, &err), 0);
    assert_string_equal(out.file, "/x/y");
    ctl_request_clear(&out);
    assert_true(parse("{\"cmd\":\"snapshot-revert\"}", &out, &err) < 0);
    ql_error_clear(&err);
    assert_true(parse("{\"cmd\":\"save\"}", &out, &err) < 0);
    ql_error_clear(&err);
    assert_true(parse("{\"cmd\":\"snapshot-delete\",\"snapshot\":\"s\",\"description\":\"d\"}",
                      &out, &err) < 0);
    ql_error_clear(&err);

    refused_str("{\"cmd\":\"domifstat\"}", "needs \"target\"");
    refused_str("{\"cmd\":\"change-media\",\"target\":\"hdc\"}", "needs \"action\"");
    refused_str("{\"cmd\":\"setmem\"}", "needs \"size\"");
    refused_str("{\"cmd\":\"send-key\"}", "needs \"keys\"");
    refused_str("{\"cmd\":\"setmem\",\"size\":-1}", "\"size\" must be a number");
    refused_str("{\"cmd\":\"setmem\",\"size\":\"1G\"}", "\"size\" must be a number");
    refused_str("{\"cmd\":\"send-key\",\"keys\":\"a\",\"holdtime\":60001}", "\"holdtime\"");
    refused_str("{\"cmd\":\"domblklist\",\"target\":\"vda\"}", "takes no \"target\"");
    refused_str("{\"cmd\":\"status\",\"force\":true}", "takes no \"force\"");
    refused_str("{\"cmd\":\"domblklist\",\"details\":1}", "must be true or false");
    refused_str("{\"cmd\":\"domifstat\",\"target\":\"\"}", "non-empty string");
}

static void test_not_json(void **state)
{
    (void)state;
    refused_str("", "not a JSON text");
    refused_str("   ", "not a JSON text");
    refused_str("status", "not a JSON text");
    refused_str("{\"cmd\":\"status\"", "not a JSON text");            /* unfinished */
    refused_str("{\"cmd\":\"status\"} x", "not a JSON text");         /* trailing garbage */
    refused_str("{\"cmd\":\"status\"}{\"cmd\":\"status\"}", "not a JSON text");
    refused_str("{'cmd':'status'}", "not a JSON text");               /* strict JSON only */
    refused_str("{\"cmd\":\"status\",}", "not a JSON text");
    refused_str("{\"cmd\":\"status\" /* c */}", "not a JSON text");
}

static void test_not_object(void **state)
{
    (void)state;
    refused_str("[\"status\"]", "not a JSON object");
    refused_str("\"status\"", "not a JSON object");
    refused_str("42 ", "not a JSON object");
    refused_str("null", "not a JSON object");
    refused_str("true", "not a JSON object");
}

static void test_bad_cmd(void **state)
{
    (void)state;
    refused_str("{}", "no \"cmd\"");
    refused_str("{\"graceful\":true}", "no \"cmd\"");
    refused_str("{\"cmd\":1}", "\"cmd\" must be a string");
    refused_str("{\"cmd\":null}", "\"cmd\" must be a string");
    refused_str("{\"cmd\":[\"status\"]}", "\"cmd\" must be a string");
    refused_str("{\"cmd\":\"reset\"}", "unknown command 'reset'");
    refused_str("{\"cmd\":\"STATUS\"}", "unknown command 'STATUS'");
    refused_str("{\"cmd\":\"\"}", "unknown command ''");
}

static void test_bad_arguments(void **state)
{
    (void)state;
    refused_str("{\"cmd\":\"destroy\",\"graceful\":1}", "\"graceful\" must be true or false");
    refused_str("{\"cmd\":\"destroy\",\"graceful\":\"yes\"}", "\"graceful\" must be true");
    refused_str("{\"cmd\":\"destroy\",\"graceful\":null}", "\"graceful\" must be true");
    refused_str("{\"cmd\":\"shutdown\",\"timeout\":-1}", "\"timeout\" must be a number");
    refused_str("{\"cmd\":\"shutdown\",\"timeout\":1.5}", "\"timeout\" must be a number");
    refused_str("{\"cmd\":\"shutdown\",\"timeout\":\"5\"}", "\"timeout\" must be a number");
    refused_str("{\"cmd\":\"shutdown\",\"timeout\":31536001}", "\"timeout\" must be a number");
    refused_str("{\"cmd\":\"qmp\"}", "the qmp request needs a \"json\" string");
    refused_str("{\"cmd\":\"qmp\",\"json\":{\"execute\":\"stop\"}}", "\"json\" must be");
    refused_str("{\"cmd\":\"qmp\",\"json\":\"\"}", "\"json\" must be a non-empty string");
    /* members of another command, or of none */
    refused_str("{\"cmd\":\"status\",\"graceful\":true}", "command 'status' takes no "
                "\"graceful\"");
    refused_str("{\"cmd\":\"shutdown\",\"graceful\":true}", "takes no \"graceful\"");
    refused_str("{\"cmd\":\"destroy\",\"timeout\":3}", "takes no \"timeout\"");
    refused_str("{\"cmd\":\"events\",\"json\":\"{}\"}", "takes no \"json\"");
    refused_str("{\"cmd\":\"destroy\",\"gracefull\":true}", "takes no \"gracefull\"");
    refused_str("{\"cmd\":\"status\",\"cmd2\":\"x\"}", "takes no \"cmd2\"");
    /* nesting is not a request */
    refused_str("{\"cmd\":\"status\",\"x\":{\"y\":{\"z\":1}}}", "not a JSON text");
}

static void test_oversize(void **state)
{
    (void)state;
    /* Exactly the limit is fine, one more byte is not: the check does not depend on the
     * content, so even a valid request is refused when too long. */
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "{\"cmd\":\"qmp\",\"json\":\"");
    while (sb.len < CTL_MAX_LINE - 2)
        sb_addc(&sb, 'x');
    sb_add(&sb, "\"}");
    assert_int_equal(sb.len, CTL_MAX_LINE);
    struct ctl_request r;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(ctl_request_parse(sb.s, sb.len, &r, &err), 0);
    ctl_request_clear(&r);
    sb_reset(&sb);
    sb_add(&sb, "{\"cmd\":\"status\"}");
    while (sb.len <= CTL_MAX_LINE)
        sb_addc(&sb, ' ');
    refused(sb.s, sb.len, EMSGSIZE, "longer than 65536 bytes");
    sb_free(&sb);
}

static void test_nul(void **state)
{
    (void)state;
    static const char raw[] = "{\"cmd\":\"status\"}\0garbage";
    refused(raw, sizeof(raw) - 1, EBADMSG, "NUL byte");
    static const char in_string[] = "{\"cmd\":\"stat\0us\"}";
    refused(in_string, sizeof(in_string) - 1, EBADMSG, "NUL byte");
    /* escaped: a valid JSON string, but as a C string it would read "status" */
    refused_str("{\"cmd\":\"status\\u0000x\"}", "\"cmd\" must be a string");
    refused_str("{\"cmd\":\"qmp\",\"json\":\"{}\\u0000{\\\"execute\\\":\\\"quit\\\"}\"}",
                "without NUL characters");
}

static void test_replies(void **state)
{
    (void)state;
    json_object *o = ctl_reply_ok(), *rep = NULL, *v;
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(ctl_reply_parse(t, strlen(t), &rep, &err), 0);
    assert_true(json_object_object_get_ex(rep, "ok", &v) && json_object_get_boolean(v));
    json_object_put(rep);
    json_object_put(o);

    o = ctl_reply_error("domain '%s' is not running (state %s)", "vm1", "shutoff");
    t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    assert_int_equal(ctl_reply_parse(t, strlen(t), &rep, &err), -EREMOTEIO);
    assert_null(rep);
    assert_string_equal(ql_error_msg(&err), "domain 'vm1' is not running (state shutoff)");
    ql_error_clear(&err);
    json_object_put(o);

    static const char *const bad[] = {"", "{}", "{\"ok\":1}", "[true]", "{\"ok\":true} x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ctl_reply_parse(bad[i], strlen(bad[i]), &rep, &err), -EBADMSG);
        assert_null(rep);
        ql_error_clear(&err);
    }
}

/* The supervisor's status reply carries the same serialisation as state.json. */
static void test_status_json(void **state)
{
    (void)state;
    struct sup_status s = {0};
    s.name = xstrdup("vm1");
    snprintf(s.uuid, sizeof(s.uuid), "%s", "b3c40c40-d5c6-11e3-b22d-008cfa0c6caa");
    s.state = SUP_STATE_PAUSED;
    s.reason = SUP_REASON_USER;
    s.qemu_pid = 77;
    s.boots = 2;
    s.console_pty = xstrdup("/dev/pts/3");
    s.n_displays = 1;
    snprintf(s.displays[0].type, sizeof(s.displays[0].type), "vnc");
    s.displays[0].host = xstrdup("127.0.0.1");
    s.displays[0].port = 5901;
    json_object *o = sup_status_to_json(&s);
    /* through the wire, as the client gets it */
    json_object *parsed = json_tokener_parse(json_object_to_json_string(o));
    struct sup_status r;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_status_from_json(parsed, &r, &err), 0);
    assert_string_equal(r.name, "vm1");
    assert_string_equal(r.uuid, s.uuid);
    assert_int_equal(r.state, SUP_STATE_PAUSED);
    assert_int_equal(r.reason, SUP_REASON_USER);
    assert_int_equal(r.qemu_pid, 77);
    assert_int_equal(r.boots, 2);
    assert_string_equal(r.console_pty, "/dev/pts/3");
    assert_int_equal(r.n_displays, 1);
    assert_string_equal(r.displays[0].type, "vnc");
    assert_string_equal(r.displays[0].host, "127.0.0.1");
    assert_int_equal(r.displays[0].port, 5901);
    sup_status_clear(&r);
    json_object_put(parsed);
    json_object_put(o);
    sup_status_clear(&s);

    /* no name, or not an object: refused */
    o = json_tokener_parse("{\"state\":\"running\"}");
    assert_int_equal(sup_status_from_json(o, &r, &err), -EBADMSG);
    assert_non_null(strstr(ql_error_msg(&err), "no domain name"));
    assert_null(r.name);
    ql_error_clear(&err);
    json_object_put(o);
    o = json_object_new_array();
    assert_int_equal(sup_status_from_json(o, &r, &err), -EBADMSG);
    ql_error_clear(&err);
    json_object_put(o);
}

/* The guest agent's requests: agent-command's text and timeout, shutdown/reboot modes,
 * domifaddr's source, domfsfreeze's mount points. */
static void test_agent_requests(void **state)
{
    (void)state;
    struct ctl_request in = CTL_REQUEST_INIT(CTL_AGENT_COMMAND);
    in.json = "{\"execute\":\"guest-ping\"}";
    in.timeout_s = 12;
    char *line = ctl_request_format(&in);
    struct ctl_request out;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(parse(line, &out, &err), 0);
    assert_int_equal(out.cmd, CTL_AGENT_COMMAND);
    assert_string_equal(out.json, in.json);
    assert_int_equal(out.timeout_s, 12);
    ctl_request_clear(&out);
    free(line);
    struct ctl_request sh = CTL_REQUEST_INIT(CTL_REBOOT);
    sh.mode = "agent,acpi";
    line = ctl_request_format(&sh);
    assert_int_equal(parse(line, &out, &err), 0);
    assert_string_equal(out.mode, "agent,acpi");
    ctl_request_clear(&out);
    free(line);
    assert_int_equal(parse("{\"cmd\":\"domfsfreeze\",\"mountpoints\":\"/a\\n/b\"}", &out,
                           &err), 0);
    assert_string_equal(out.mountpoints, "/a\n/b");
    ctl_request_clear(&out);
    assert_int_equal(parse("{\"cmd\":\"domifaddr\",\"source\":\"arp\"}", &out, &err), 0);
    assert_string_equal(out.source, "arp");
    ctl_request_clear(&out);
    refused_str("{\"cmd\":\"agent-command\"}", "the agent-command request needs a \"json\"");
    refused_str("{\"cmd\":\"domfsthaw\",\"mountpoints\":\"/a\"}", "takes no \"mountpoints\"");
    refused_str("{\"cmd\":\"destroy\",\"mode\":\"agent\"}", "takes no \"mode\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_names),
        cmocka_unit_test(test_good_requests),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_day2_requests),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_bad_cmd),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_status_json),
        cmocka_unit_test(test_agent_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
