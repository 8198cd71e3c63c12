/* qlaunch qmp NAME JSON: one QMP command through the supervisor (it owns the monitor);
 * qlaunch events NAME: the supervisor's lifecycle events as JSON lines. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"
#include "util/cleanup.h"
#include "util/time.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { OPT_TIMEOUT = CLI_OPT_FIRST, OPT_COUNT };

static const struct cli_verb qmp_verb = {"NAME JSON", 2, 2, CLI_RUN_DIR | CLI_LOG_DIR, NULL};

int cmd_qmp(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &qmp_verb, argc, argv, NULL) < 0)
        return cli.status;
    struct ctl_target t = cli_target(&cli, cli.operands[0]);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_QMP);
    req.json = cli.operands[1];
    json_object *rep, *r, *e;
    struct ql_error err = QL_ERROR_INIT;
    if (ctl_call(&t, &req, CTL_QMP_TIMEOUT_MS, &rep, &err) < 0)
        return cli_fail_err(&err);
    int ret = 0;
    if (json_object_object_get_ex(rep, "reply", &r)) {
        puts(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        /* QEMU refused the command: the answer is printed, the status says so. */
        if (json_object_object_get_ex(r, "error", &e))
            ret = CLI_EXIT_FAILURE;
    }
    json_object_put(rep);
    return ret;
}

static const struct cli_opt events_opts[] = {
    {"timeout", "S", OPT_TIMEOUT, "stop after S seconds"},
    {"count", "N", OPT_COUNT, "stop after N events"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb events_verb = CLI_DOMAIN_VERB(events_opts);

int cmd_events(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &events_verb, argc, argv);
    long timeout_s = -1, count = -1;
    const char *arg;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (cli_number(&cli, c == OPT_TIMEOUT ? "timeout" : "count", arg,
                       c == OPT_TIMEOUT ? INT_MAX / 1000 : LONG_MAX,
                       c == OPT_TIMEOUT ? &timeout_s : &count) < 0)
            return cli.status;
    }
    if (c < 0)
        return cli.status;
    struct ctl_target t = cli_target(&cli, cli.operands[0]);
    struct ctl_conn conn;
    struct ql_error err = QL_ERROR_INIT;
    if (ctl_subscribe(&t, &conn, &err) < 0)
        return cli_fail_err(&err);
    int64_t deadline = timeout_s >= 0 ? ql_mono_ms() + timeout_s * 1000 : -1;
    int ret = 0;
    for (long seen = 0; count < 0 || seen < count; seen++) {
        int left = deadline < 0 ? -1 : (int)(deadline - ql_mono_ms());
        if (deadline >= 0 && left <= 0)
            break;
        _cleanup_free_ char *line = NULL;
        int r = ctl_conn_read_line(&conn, CTL_MAX_REPLY, left, &line, &err);
        if (r == -ETIMEDOUT || r == -EPIPE) {
            /* the time is up, or the domain ended and its supervisor with it */
            ql_error_clear(&err);
            break;
        }
        if (r < 0) {
            ret = cli_fail_err(&err);
            break;
        }
        puts(line);
        fflush(stdout);
    }
    ctl_conn_close(&conn);
    return ret;
}
