/* The guest agent's verbs, virsh names, output and exit codes: qemu-agent-command,
 * domifaddr, domfsfreeze, domfsthaw (shutdown/reboot --mode agent are in cmd-control.c).
 * Each is one request to the domain's supervisor, which owns the agent's channel. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_TIMEOUT = CLI_OPT_FIRST, OPT_PRETTY, OPT_JSON, OPT_SOURCE, OPT_INTERFACE, OPT_FULL,
       OPT_MOUNTPOINT };

/* The supervisor may first wait for earlier agent commands (each up to its deadline) and
 * for guest-sync (5 s): the client waits this much longer than the command's own time. */
#define AGENT_CLIENT_MARGIN_MS (CTL_TIMEOUT_MS + 5000)
#define AGENT_DEFAULT_TIMEOUT_S 5

static const struct cli_opt command_opts[] = {
    {"timeout", "S", OPT_TIMEOUT, "wait up to S seconds for the agent's answer (default 5)"},
    {"pretty", NULL, OPT_PRETTY, "pretty-print the reply"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb command_verb = {"NAME JSON...", 2, -1, CLI_RUN_DIR | CLI_LOG_DIR,
                                             command_opts};

int cmd_qemu_agent_command(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &command_verb, argc, argv);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_AGENT_COMMAND);
    bool pretty = false;
    const char *arg;
    long n;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (c == OPT_PRETTY) {
            pretty = true;
            continue;
        }
        if (cli_number(&cli, "timeout", arg, CTL_MAX_TIMEOUT_S, &n) < 0)
            return cli.status;
        if (n == 0)
            return cli_usage_error(&cli, "--timeout must be at least 1 second");
        req.timeout_s = (int)n;
    }
    if (c < 0)
        return cli.status;
    /* As virsh, the command may come in several words. */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 1; i < cli.n_operands; i++)
        sb_addf(&sb, "%s%s", i > 1 ? " " : "", cli.operands[i]);
    req.json = sb_steal(&sb);
    int wait_s = req.timeout_s > 0 ? req.timeout_s : AGENT_DEFAULT_TIMEOUT_S;
    int status;
    json_object *res, *rep = day2_call_wait(&cli, &req, wait_s * 1000 + AGENT_CLIENT_MARGIN_MS,
                                            &res, &status);
    if (!rep)
        return status;
    /* A command the agent does not answer when it works (guest-shutdown) prints nothing. */
    if (res)
        puts(json_object_to_json_string_ext(res, (pretty ? JSON_C_TO_STRING_PRETTY
                                                          : JSON_C_TO_STRING_PLAIN) |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(rep);
    return 0;
}

static const struct cli_opt ifaddr_opts[] = {
    {"source", "SOURCE", OPT_SOURCE, "agent (the guest agent; the default when the domain has "
     "one), arp (the host's ARP table; the default otherwise) or lease (not supported)"},
    {"interface", "IFACE", OPT_INTERFACE, "only the guest interface IFACE"},
    {"full", NULL, OPT_FULL, "repeat the interface's name and MAC on each address line"},
    {"json", NULL, OPT_JSON, "print the result as JSON"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb ifaddr_verb = CLI_DOMAIN_VERB(ifaddr_opts);

struct show {
    bool json;
    const char *only;           /* domifaddr --interface */
    bool full;                  /* domifaddr --full */
    enum ctl_cmd cmd;
};

/* Sends req (an agent verb's) and prints its result with print, or as JSON. */
static int report(struct cli *cli, struct ctl_request *req, const struct show *sh,
                  void (*print)(json_object *result, const struct show *sh))
{
    int status;
    json_object *res, *rep = day2_call_wait(cli, req, AGENT_DEFAULT_TIMEOUT_S * 1000 +
                                            AGENT_CLIENT_MARGIN_MS, &res, &status);
    if (!rep)
        return status;
    if (sh->json)
        day2_print_json(res);
    else
        print(res, sh);
    json_object_put(rep);
    return 0;
}

/* virsh domifaddr's table. */
static void print_ifaddr(json_object *list, const struct show *sh)
{
    const char *only = sh->only;
    bool full = sh->full;
    printf(" %-10s %-20s %-8s     %s\n%s%s\n", "Name", "MAC address", "Protocol", "Address",
           "-------------------------------------------------",
           "------------------------------");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *e = json_object_array_get_idx(list, i);
        const char *name = ql_json_str(e, "name", "");
        const char *hw = ql_json_str(e, "hwaddr", "");
        json_object *addrs = ql_json_get(e, "addrs", json_type_array);
        size_t na = addrs ? json_object_array_length(addrs) : 0;
        if (only && strcmp(only, name) != 0)
            continue;
        if (!na) {
            printf(" %-10s %-17s    %-12s %s\n", name, *hw ? hw : "N/A", "N/A", "N/A");
            continue;
        }
        for (size_t k = 0; k < na; k++) {
            json_object *a = json_object_array_get_idx(addrs, k);
            bool first = full || k == 0;
            printf(" %-10s %-17s    %-12s %s/%d\n", first ? name : "-", first ? hw : "-",
                   ql_json_str(a, "type", ""), ql_json_str(a, "addr", ""),
                   ql_json_int(a, "prefix", 0));
        }
    }
}

int cmd_domifaddr(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &ifaddr_verb, argc, argv);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_DOMIFADDR);
    struct show sh = {.cmd = CTL_DOMIFADDR};
    const char *arg;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (c == OPT_SOURCE) {
            free(req.source);
            req.source = xstrdup(arg);
        } else if (c == OPT_INTERFACE) {
            sh.only = arg;
        } else if (c == OPT_FULL) {
            sh.full = true;
        } else {
            sh.json = true;
        }
    }
    if (c < 0) {
        ctl_request_clear(&req);
        return cli.status;
    }
    return report(&cli, &req, &sh, print_ifaddr);
}

static const struct cli_opt freeze_opts[] = {
    {"mountpoint", "DIR", OPT_MOUNTPOINT, "freeze only the file system mounted on DIR "
     "(repeatable)"},
    {"json", NULL, OPT_JSON, "print the result as JSON"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb freeze_verb = CLI_DOMAIN_VERB(freeze_opts);
static const struct cli_opt thaw_opts[] = {
    {"json", NULL, OPT_JSON, "print the result as JSON"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb thaw_verb = CLI_DOMAIN_VERB(thaw_opts);

static void print_count(json_object *res, const struct show *sh)
{
    if (sh->cmd == CTL_DOMFSTHAW)
        cli_done("Thawed %lld filesystem(s)", (long long)ql_json_int64(res, "thawed", 0));
    else
        cli_done("Froze %lld filesystem(s)", (long long)ql_json_int64(res, "frozen", 0));
}

static int freeze_thaw(int argc, char **argv, enum ctl_cmd cmd)
{
    struct cli cli;
    cli_init(&cli, cmd == CTL_DOMFSTHAW ? &thaw_verb : &freeze_verb, argc, argv);
    struct ctl_request req = CTL_REQUEST_INIT(cmd);
    struct strbuf mounts = STRBUF_INIT;
    struct show sh = {.cmd = cmd};
    const char *arg;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (c == OPT_JSON) {
            sh.json = true;
        } else if (!*arg || strchr(arg, '\n')) {
            sb_free(&mounts);
            return cli_usage_error(&cli, "--mountpoint needs a directory without newlines");
        } else {
            sb_addf(&mounts, "%s%s", mounts.len ? "\n" : "", arg);
        }
    }
    if (c < 0) {
        sb_free(&mounts);
        return cli.status;
    }
    if (mounts.len)
        req.mountpoints = sb_steal(&mounts);
    sb_free(&mounts);
    return report(&cli, &req, &sh, print_count);
}

int cmd_domfsfreeze(int argc, char **argv)
{
    return freeze_thaw(argc, argv, CTL_DOMFSFREEZE);
}

int cmd_domfsthaw(int argc, char **argv)
{
    return freeze_thaw(argc, argv, CTL_DOMFSTHAW);
}
