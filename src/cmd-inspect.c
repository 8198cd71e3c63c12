/* The inspection verbs, virsh names and output: domblklist, domiflist, domblkstat,
 * domifstat, dommemstat, vcpuinfo. Each is one request to the domain's supervisor, which
 * asks QEMU; --json prints the supervisor's result as it is. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

enum { OPT_JSON = CLI_OPT_FIRST, OPT_DETAILS };

#define JSON_OPT {"json", NULL, OPT_JSON, "print the result as JSON"}
static const struct cli_opt json_opts[] = {JSON_OPT, {NULL, NULL, 0, NULL}};

json_object *day2_call(struct cli *cli, struct ctl_request *req, json_object **ret_result,
                       int *ret_status)
{
    return day2_call_wait(cli, req, CTL_TIMEOUT_MS, ret_result, ret_status);
}

json_object *day2_call_wait(struct cli *cli, struct ctl_request *req, int timeout_ms,
                            json_object **ret_result, int *ret_status)
{
    if (ret_result)
        *ret_result = NULL;
    struct ctl_target t = cli_target(cli, cli->operands[0]);
    struct ql_error err = QL_ERROR_INIT;
    json_object *rep;
    int r = ctl_call(&t, req, timeout_ms, &rep, &err);
    ctl_request_clear(req);
    if (r < 0) {
        *ret_status = cli_fail_err(&err);
        return NULL;
    }
    *ret_status = 0;
    if (ret_result)
        json_object_object_get_ex(rep, CTL_RESULT, ret_result);
    return rep;
}

void day2_print_json(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Prints rows (each n strings, NULL as "-") as virsh's tables: a header, a rule, columns
 * as wide as their widest cell, three spaces apart. */
static void print_table(const char *const *head, size_t n, json_object *rows,
                        const char *const *keys)
{
    size_t w[8] = {0};
    size_t nr = json_object_array_length(rows);
    for (size_t k = 0; k < n; k++) {
        w[k] = strlen(head[k]);
        for (size_t i = 0; i < nr; i++) {
            const char *v = ql_json_str(json_object_array_get_idx(rows, i), keys[k], "-");
            if (strlen(v) > w[k])
                w[k] = strlen(v);
        }
    }
    size_t total = 1;
    for (size_t k = 0; k < n; k++)
        total += w[k] + 3;
    for (size_t k = 0; k < n; k++)
        printf("%s%-*s", k ? "   " : " ", k + 1 < n ? (int)w[k] : 0, head[k]);
    putchar('\n');
    for (size_t k = 0; k < total; k++)
        putchar('-');
    putchar('\n');
    for (size_t i = 0; i < nr; i++) {
        json_object *row = json_object_array_get_idx(rows, i);
        for (size_t k = 0; k < n; k++)
            printf("%s%-*s", k ? "   " : " ", k + 1 < n ? (int)w[k] : 0,
                   ql_json_str(row, keys[k], "-"));
        putchar('\n');
    }
    putchar('\n');
}

/* The verbs NAME [OPERAND] whose only options are --json (and --details): a request,
 * and the result printed by print (or as JSON). */
static int report(int argc, char **argv, const struct cli_verb *v, enum ctl_cmd cmd,
                  void (*print)(json_object *result, const struct ctl_request *req))
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, v, argc, argv, &flags) < 0)
        return cli.status;
    struct ctl_request req = CTL_REQUEST_INIT(cmd);
    req.details = flags & CLI_FLAG(OPT_DETAILS);
    if (cli.n_operands > 1)
        req.target = xstrdup(cli.operands[1]);
    struct ctl_request shown = req;     /* what print may look at */
    shown.target = cli.n_operands > 1 ? cli.operands[1] : NULL;
    int status;
    json_object *res, *rep = day2_call(&cli, &req, &res, &status);
    if (!rep)
        return status;
    if (flags & CLI_FLAG(OPT_JSON))
        day2_print_json(res);
    else
        print(res, &shown);
    json_object_put(rep);
    return 0;
}

static void print_blklist(json_object *res, const struct ctl_request *req)
{
    static const char *const head[] = {"Type", "Device", "Target", "Source"};
    static const char *const keys[] = {"type", "device", "target", "source"};
    if (req->details)
        print_table(head, 4, res, keys);
    else
        print_table(head + 2, 2, res, keys + 2);
}

static const struct cli_opt blklist_opts[] = {
    {"details", NULL, OPT_DETAILS, "also show the disk type and device"},
    JSON_OPT,
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb blklist_verb = CLI_DOMAIN_VERB(blklist_opts);

int cmd_domblklist(int argc, char **argv)
{
    return report(argc, argv, &blklist_verb, CTL_DOMBLKLIST, print_blklist);
}

static void print_iflist(json_object *res, const struct ctl_request *req)
{
    (void)req;
    static const char *const head[] = {"Interface", "Type", "Source", "Model", "MAC"};
    static const char *const keys[] = {"interface", "type", "source", "model", "mac"};
    print_table(head, 5, res, keys);
}

static const struct cli_verb json_verb = CLI_DOMAIN_VERB(json_opts);

int cmd_domiflist(int argc, char **argv)
{
    return report(argc, argv, &json_verb, CTL_DOMIFLIST, print_iflist);
}

/* "DEV name value" lines, as virsh domblkstat and domifstat (DEV empty: all disks). */
static void print_stats(json_object *res, const struct ctl_request *req)
{
    json_object_object_foreach(res, key, val) {
        printf("%s%s%s %lld\n", req->target ? req->target : "", req->target ? " " : "",
               key, (long long)json_object_get_int64(val));
    }
    if (req->cmd != CTL_DOMMEMSTAT)
        putchar('\n');
}

static const struct cli_verb blkstat_verb = {"NAME [TARGET]", 1, 2, CLI_RUN_DIR | CLI_LOG_DIR,
                                             json_opts};
static const struct cli_verb ifstat_verb = {"NAME IFACE", 2, 2, CLI_RUN_DIR | CLI_LOG_DIR,
                                            json_opts};

int cmd_domblkstat(int argc, char **argv)
{
    return report(argc, argv, &blkstat_verb, CTL_DOMBLKSTAT, print_stats);
}

int cmd_domifstat(int argc, char **argv)
{
    return report(argc, argv, &ifstat_verb, CTL_DOMIFSTAT, print_stats);
}

int cmd_dommemstat(int argc, char **argv)
{
    return report(argc, argv, &json_verb, CTL_DOMMEMSTAT, print_stats);
}

static void print_vcpus(json_object *res, const struct ctl_request *req)
{
    (void)req;
    for (size_t i = 0; i < json_object_array_length(res); i++) {
        json_object *v = json_object_array_get_idx(res, i);
        printf("%-15s %lld\n", "VCPU:", (long long)ql_json_int64(v, "vcpu", 0));
        printf("%-15s %lld\n", "CPU:", (long long)ql_json_int64(v, "cpu", -1));
        printf("%-15s %s\n", "State:", ql_json_str(v, "state", "-"));
        json_object *t;
        if (json_object_object_get_ex(v, "cpu_time", &t) && json_object_get_double(t) >= 0)
            printf("%-15s %.1fs\n", "CPU time:", json_object_get_double(t));
        printf("%-15s %s\n\n", "CPU Affinity:", ql_json_str(v, "affinity", "-"));
    }
}

int cmd_vcpuinfo(int argc, char **argv)
{
    return report(argc, argv, &json_verb, CTL_VCPUINFO, print_vcpus);
}
