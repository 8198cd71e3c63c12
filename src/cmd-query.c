/* The reporting verbs, virsh names and meanings: list, dominfo, domstate, domdisplay. A
 * running domain's status comes from its supervisor; a stopped one's from NAME.last, the
 * outcome its supervisor saved (there is nobody left to ask); a defined domain never run
 * (here) is "shut off". */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "supervise/ctl-client.h"
#include "supervise/rundir.h"
#include "supervise/state.h"
#include "supervise/supervisor.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

enum {
    OPT_ALL = CLI_OPT_FIRST, OPT_JSON, OPT_REASON, OPT_NAME, OPT_PERSISTENT, OPT_TRANSIENT,
    OPT_AUTOSTART,
};

/* A domain's status and whether it is live (from its supervisor) or saved (NAME.last). */
struct dom_status {
    struct sup_status st;
    bool live;
};

static void domain_freep_(struct domain **d)
{
    domain_free(*d);
}

/* The stored definition of name, parsed; NULL when it is not defined or does not parse. */
static struct domain *stored_definition(const char *name)
{
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *path = store_path(NULL, name, &err);
    ql_error_clear(&err);
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (path && store_defined(NULL, name) && dom_parse_file(path, &d, &g) < 0) {
        domain_free(d);
        d = NULL;
    }
    dom_diags_free(&g);
    return d;
}

/* A defined domain that has not run: shut off, for no known reason (as virsh says). One
 * whose definition no longer parses is listed too (without a UUID), to be fixed by edit. */
static int defined_status(const char *name, struct sup_status *ret)
{
    if (!store_defined(NULL, name))
        return -ENOENT;
    _cleanup_(domain_freep_) struct domain *d = stored_definition(name);
    memset(ret, 0, sizeof(*ret));
    ret->name = xstrdup(name);
    if (d)
        uuid_unparse_lower(d->uuid, ret->uuid);
    ret->state = SUP_STATE_SHUTOFF;
    ret->reason = SUP_REASON_UNKNOWN;
    return 0;
}

/* Asks the supervisor; with allow_last, a domain that does not run is shown from NAME.last.
 * -ENOENT: neither. */
static int query(const struct cli *cli, const char *name, bool allow_last,
                 struct dom_status *ret, struct ql_error *err)
{
    struct ctl_target t = cli_target(cli, name);
    ret->live = true;
    int r = ctl_status(&t, &ret->st, err);
    if (r == 0 || !allow_last || (r != -ENOENT && r != -ENOTCONN))
        return r;
    ret->live = false;
    _cleanup_(sup_paths_free) struct sup_paths p = {0};
    _cleanup_free_ char *unrecorded = NULL;
    struct ql_error e2 = QL_ERROR_INIT;
    if (sup_paths_init(&p, cli->run_dir, name, &e2) == 0) {
        /* A run whose outcome could not be written (a full file system) must not read as
         * "not found", nor as the outcome of an earlier run. */
        unrecorded = sup_outcome_unrecorded(cli->log_dir, name);
        if (unrecorded) {
            ql_error_clear(err);
            return ql_error_set(err, EIO, "the outcome of the last run of domain '%s' could "
                                "not be recorded; its log ends: %s", name, unrecorded);
        }
        if (sup_status_read(p.last, &ret->st, &e2) == 0) {
            ql_error_clear(err);
            return 0;
        }
    }
    ql_error_clear(&e2);
    if (r == -ENOENT && defined_status(name, &ret->st) == 0) {
        ql_error_clear(err);
        return 0;
    }
    if (r == -ENOENT) {
        ql_error_clear(err);
        r = ql_error_set(err, ENOENT, "domain '%s' not found", name);
    }
    return r;
}

/* The JSON of list --json and domstate --json. A saved run reads "shutoff" with the state it
 * ended in as final_state (a restart-limit run ends "crashed", as virsh shows it). */
static json_object *status_json(const struct dom_status *d)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(d->st.name));
    json_object_object_add(o, "uuid", json_object_new_string(d->st.uuid));
    json_object_object_add(o, "state", json_object_new_string(
                                           d->live ? sup_state_to_id(d->st.state) : "shutoff"));
    json_object_object_add(o, "reason",
                           json_object_new_string(sup_reason_to_string(d->st.reason)));
    if (!d->live)
        json_object_object_add(o, "final_state",
                               json_object_new_string(sup_state_to_id(d->st.state)));
    json_object_object_add(o, "qemu_pid", json_object_new_int64(d->live ? d->st.qemu_pid : 0));
    json_object_object_add(o, "boots", json_object_new_int64(d->st.boots));
    json_object_object_add(o, "restarts", json_object_new_int64(d->st.restarts));
    json_object_object_add(o, "persistent",
                           json_object_new_boolean(store_defined(NULL, d->st.name)));
    json_object_object_add(o, "autostart",
                           json_object_new_boolean(store_autostart(NULL, d->st.name)));
    return o;
}

static void print_json(json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
}

static const struct cli_opt list_opts[] = {
    {"all", NULL, OPT_ALL, "also list domains that do not run: defined ones, and the outcome "
     "of the last run of stopped ones"},
    {"persistent", NULL, OPT_PERSISTENT, "only defined domains"},
    {"transient", NULL, OPT_TRANSIENT, "only domains without a definition (create FILE)"},
    {"autostart", NULL, OPT_AUTOSTART, "only domains marked with 'qlaunch autostart'"},
    {"name", NULL, OPT_NAME, "print only the names, one a line"},
    {"json", NULL, OPT_JSON, "print a JSON array"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb list_verb = {"", 0, 0, CLI_RUN_DIR | CLI_LOG_DIR, list_opts};

/* The union of two sorted name lists, sorted; takes both. */
static char **merge_names(char **a, size_t na, char **b, size_t nb, size_t *ret_n)
{
    char **m = xcalloc(na + nb + 1, sizeof(*m));
    size_t i = 0, j = 0, n = 0;
    while (i < na || j < nb) {
        int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);
        if (c <= 0) {
            m[n++] = a[i++];
            if (c == 0)
                free(b[j++]);
        } else {
            m[n++] = b[j++];
        }
    }
    free(a);
    free(b);
    *ret_n = n;
    return m;
}

int cmd_list(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &list_verb, argc, argv, &flags) < 0)
        return cli.status;
    bool all = flags & CLI_FLAG(OPT_ALL), json = flags & CLI_FLAG(OPT_JSON);
    bool names_only = flags & CLI_FLAG(OPT_NAME);
    if ((flags & CLI_FLAG(OPT_PERSISTENT)) && (flags & CLI_FLAG(OPT_TRANSIENT)))
        return cli_usage_error(&cli, "--persistent and --transient exclude each other");
    if (json && names_only)
        return cli_usage_error(&cli, "--name and --json exclude each other");
    char **run_names, **defined;
    size_t n_run, n_defined;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_list_names(cli.run_dir, &run_names, &n_run, &err) < 0)
        return cli_fail_err(&err);
    if (store_list(NULL, &defined, &n_defined, &err) < 0) {
        sup_free_names(run_names, n_run);
        return cli_fail_err(&err);
    }
    size_t n;
    char **names = merge_names(run_names, n_run, defined, n_defined, &n);
    int ret = 0;
    json_object *arr = json_object_new_array();
    if (!json && !names_only) {
        printf(" %-8s %-24s %s\n", "Pid", "Name", "State");
        puts("----------------------------------------------------");
    }
    for (size_t k = 0; k < n; k++) {
        bool persistent = store_defined(NULL, names[k]);
        if (((flags & CLI_FLAG(OPT_PERSISTENT)) && !persistent) ||
            ((flags & CLI_FLAG(OPT_TRANSIENT)) && persistent) ||
            ((flags & CLI_FLAG(OPT_AUTOSTART)) && !store_autostart(NULL, names[k])))
            continue;
        struct dom_status d;
        int r = query(&cli, names[k], all, &d, &err);
        if (r == -ENOENT || r == -ENOTCONN) {
            /* stopped (without --all), or still starting: not listed */
            ql_error_clear(&err);
            continue;
        }
        if (r < 0) {
            ret = cli_fail_err(&err);
            continue;
        }
        if (json)
            json_object_array_add(arr, status_json(&d));
        else if (names_only)
            puts(names[k]);
        else if (d.live)
            printf(" %-8ld %-24s %s\n", (long)d.st.qemu_pid, names[k],
                   sup_state_to_string(d.st.state));
        else
            printf(" %-8s %-24s %s\n", "-", names[k], sup_state_to_string(d.st.state));
        sup_status_clear(&d.st);
    }
    if (json)
        puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
    json_object_put(arr);
    sup_free_names(names, n);
    return ret;
}

static const struct cli_opt domstate_opts[] = {
    {"reason", NULL, OPT_REASON, "also say why the domain is in that state"},
    {"json", NULL, OPT_JSON, "print a JSON object"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb domstate_verb = CLI_DOMAIN_VERB(domstate_opts);

int cmd_domstate(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &domstate_verb, argc, argv, &flags) < 0)
        return cli.status;
    struct dom_status d;
    struct ql_error err = QL_ERROR_INIT;
    if (query(&cli, cli.operands[0], true, &d, &err) < 0)
        return cli_fail_err(&err);
    if (flags & CLI_FLAG(OPT_JSON)) {
        json_object *o = status_json(&d);
        print_json(o);
        json_object_put(o);
    } else if (flags & CLI_FLAG(OPT_REASON)) {
        printf("%s (%s)\n", sup_state_to_string(d.st.state), sup_reason_to_string(d.st.reason));
    } else {
        printf("%s\n", sup_state_to_string(d.st.state));
    }
    sup_status_clear(&d.st);
    return 0;
}

/* The XML the running domain was started from: its memory, vCPUs and lifecycle actions
 * (NULL when it cannot be read). */
static struct domain *definition(const char *run_dir)
{
    _cleanup_free_ char *xml = xasprintf("%s/domain.xml", run_dir);
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_file(xml, &d, &g) < 0) {
        domain_free(d);
        d = NULL;
    }
    dom_diags_free(&g);
    return d;
}

static unsigned long long used_memory_kib(const struct domain *def)
{
    return def->current_memory_kib ? def->current_memory_kib : def->memory_kib;
}

static void add_definition(json_object *o, const struct domain *def)
{
    json_object_object_add(o, "max_memory_kib", json_object_new_int64((int64_t)def->memory_kib));
    json_object_object_add(o, "used_memory_kib",
                           json_object_new_int64((int64_t)used_memory_kib(def)));
    json_object_object_add(o, "vcpus", json_object_new_int64(dom_vcpus_online(def)));
    json_object_object_add(o, "on_poweroff",
                           json_object_new_string(dom_lifecycle_to_string(dom_on_poweroff(def))));
    json_object_object_add(o, "on_reboot",
                           json_object_new_string(dom_lifecycle_to_string(dom_on_reboot(def))));
    json_object_object_add(o, "on_crash",
                           json_object_new_string(dom_lifecycle_to_string(dom_on_crash(def))));
}

static json_object *displays_json(const struct sup_status *s)
{
    json_object *a = json_object_new_array();
    for (size_t k = 0; k < s->n_displays; k++) {
        const struct sup_display *dp = &s->displays[k];
        json_object *gr = json_object_new_object();
        json_object_object_add(gr, "type", json_object_new_string(dp->type));
        if (dp->host)
            json_object_object_add(gr, dp->unix_socket ? "socket" : "host",
                                   json_object_new_string(dp->host));
        if (!dp->unix_socket)
            json_object_object_add(gr, "port", json_object_new_int(dp->port));
        if (dp->tls_port > 0)
            json_object_object_add(gr, "tls_port", json_object_new_int(dp->tls_port));
        _cleanup_free_ char *uri = sup_display_uri(dp);
        if (uri)
            json_object_object_add(gr, "uri", json_object_new_string(uri));
        json_object_array_add(a, gr);
    }
    return a;
}

static void print_dominfo(const struct dom_status *d, const struct domain *def,
                          const char *log)
{
    printf("%-16s %s\n", "Name:", d->st.name);
    printf("%-16s %s\n", "UUID:", d->st.uuid);
    printf("%-16s %s\n", "State:", sup_state_to_string(d->st.state));
    printf("%-16s %s\n", "Reason:", sup_reason_to_string(d->st.reason));
    if (d->live && d->st.qemu_pid)
        printf("%-16s %ld\n", "QEMU pid:", (long)d->st.qemu_pid);
    if (def) {
        printf("%-16s %u\n", "CPU(s):", dom_vcpus_online(def));
        printf("%-16s %llu KiB\n", "Max memory:", (unsigned long long)def->memory_kib);
        printf("%-16s %llu KiB\n", "Used memory:", used_memory_kib(def));
    }
    printf("%-16s %s\n", "Persistent:", store_defined(NULL, d->st.name) ? "yes" : "no");
    printf("%-16s %s\n", "Autostart:", store_autostart(NULL, d->st.name) ? "enable" : "disable");
    printf("%-16s %u\n", "Boots:", d->st.boots);
    printf("%-16s %u\n", "Restarts:", d->st.restarts);
    if (def)
        printf("%-16s %s / %s / %s\n", "Lifecycle:",
               dom_lifecycle_to_string(dom_on_poweroff(def)),
               dom_lifecycle_to_string(dom_on_reboot(def)),
               dom_lifecycle_to_string(dom_on_crash(def)));
    if (d->live && d->st.console_pty)
        printf("%-16s %s\n", "Console:", d->st.console_pty);
    if (d->live && d->st.qemu_version)
        printf("%-16s %s\n", "QEMU version:", d->st.qemu_version);
    for (size_t k = 0; d->live && k < d->st.n_displays; k++) {
        const struct sup_display *dp = &d->st.displays[k];
        const char *label = strcmp(dp->type, "spice") == 0 ? "SPICE:" : "VNC:";
        const char *host = dp->host ? dp->host : "";
        if (dp->unix_socket)
            printf("%-16s unix socket %s\n", label, host);
        else if (dp->tls_port > 0)
            printf("%-16s %s port %d, TLS port %d\n", label, host, dp->port, dp->tls_port);
        else
            printf("%-16s %s port %d\n", label, host, dp->port);
    }
    printf("%-16s %s\n", "Log:", log);
}

static const struct cli_opt dominfo_opts[] = {
    {"json", NULL, OPT_JSON, "print a JSON object"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb dominfo_verb = CLI_DOMAIN_VERB(dominfo_opts);

int cmd_dominfo(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &dominfo_verb, argc, argv, &flags) < 0)
        return cli.status;
    const char *name = cli.operands[0];
    struct dom_status d;
    struct ql_error err = QL_ERROR_INIT;
    if (query(&cli, name, true, &d, &err) < 0)
        return cli_fail_err(&err);
    _cleanup_(sup_paths_free) struct sup_paths p = {0};
    if (sup_paths_init(&p, cli.run_dir, name, &err) < 0) {
        sup_status_clear(&d.st);
        return cli_fail_err(&err);
    }
    struct domain *def = d.live ? definition(p.dir) : stored_definition(name);
    _cleanup_free_ char *log = xasprintf("%s/%s.log", sup_log_dir(cli.log_dir), name);
    json_object *o = status_json(&d);
    if (def)
        add_definition(o, def);
    if (d.live && d.st.console_pty)
        json_object_object_add(o, "console", json_object_new_string(d.st.console_pty));
    if (d.live && d.st.qemu_version)
        json_object_object_add(o, "qemu_version", json_object_new_string(d.st.qemu_version));
    if (d.live && d.st.n_displays)
        json_object_object_add(o, "displays", displays_json(&d.st));
    json_object_object_add(o, "run_dir", json_object_new_string(p.dir));
    json_object_object_add(o, "log", json_object_new_string(log));
    if (flags & CLI_FLAG(OPT_JSON))
        print_json(o);
    else
        print_dominfo(&d, def, log);
    domain_free(def);
    json_object_put(o);
    sup_status_clear(&d.st);
    return 0;
}

static const struct cli_opt domdisplay_opts[] = {
    {"all", NULL, OPT_ALL, "print the URI of every graphics server, not only the first"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb domdisplay_verb = CLI_DOMAIN_VERB(domdisplay_opts);

/* virsh domdisplay: the URI of the domain's graphics (VNC first, then SPICE, as virsh
 * looks for them); --all: every one. Passwords are never shown. */
int cmd_domdisplay(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &domdisplay_verb, argc, argv, &flags) < 0)
        return cli.status;
    bool all = flags & CLI_FLAG(OPT_ALL);
    const char *name = cli.operands[0];
    struct ctl_target t = cli_target(&cli, name);
    struct sup_status st;
    struct ql_error err = QL_ERROR_INIT;
    if (ctl_status(&t, &st, &err) < 0)
        return cli_fail_err(&err);
    int printed = 0;
    static const char *const order[] = {"vnc", "spice"};
    for (size_t o = 0; o < 2 && (all || !printed); o++) {
        for (size_t k = 0; k < st.n_displays && (all || !printed); k++) {
            if (strcmp(st.displays[k].type, order[o]) != 0)
                continue;
            _cleanup_free_ char *uri = sup_display_uri(&st.displays[k]);
            if (uri) {
                puts(uri);
                printed++;
            }
        }
    }
    sup_status_clear(&st);
    if (!printed)
        return cli_fail("domain '%s' has no graphical display", name);
    return 0;
}
