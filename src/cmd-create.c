/* qlaunch create FILE, start NAME|FILE, start --all-autostart: parse the domain, start its
 * supervisor in the background (or run it in the foreground) and report when QEMU runs.
 * create is transient, as in virsh; start NAME runs a defined domain (src/store/store.h). */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "supervise/ctl-client.h"
#include "supervise/rundir.h"
#include "supervise/spawn.h"
#include "supervise/supervisor.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/trace.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    OPT_FOREGROUND = CLI_OPT_FIRST, OPT_CONSOLE, OPT_ACCEL, OPT_EMULATOR, OPT_DUMP_DIR,
    OPT_RESTART_CAP, OPT_RESTART_WINDOW, OPT_QMP_LOG, OPT_ALL_AUTOSTART,
    OPT_STOP_TIMEOUT,
};

/* create's options; start takes them too, and --all-autostart. */
#define CREATE_OPTS \
    {"foreground", NULL, OPT_FOREGROUND, "stay attached: supervise in this process until the " \
     "domain ends (for systemd or a job scheduler); the exit status says how it ended"}, \
    {"console", NULL, OPT_CONSOLE, "attach to the serial console once the domain runs"}, \
    {"accel", "tcg|kvm", OPT_ACCEL, "use this accelerator whatever the XML says"}, \
    {"emulator", "PATH", OPT_EMULATOR, "run this QEMU instead of the XML's <emulator>"}, \
    {"dump-dir", "DIR", OPT_DUMP_DIR, "where on_crash='coredump-*' writes guest memory dumps"}, \
    {"restart-cap", "N", OPT_RESTART_CAP, "restarts allowed within the window (0: no limit; " \
     "default 5)"}, \
    {"restart-window", "S", OPT_RESTART_WINDOW, "the window of --restart-cap, in seconds " \
     "(default 60)"}, \
    {"stop-timeout", "S", OPT_STOP_TIMEOUT, "on SIGTERM, SIGINT or SIGHUP the supervisor powers " \
     "the guest off and destroys it after S seconds (default 30; 0: destroy at once)"}, \
    {"qmp-log", NULL, OPT_QMP_LOG, "write the QMP transcript (secrets redacted) to the log"},

static const struct cli_opt create_opts[] = {
    CREATE_OPTS
    {NULL, NULL, 0, NULL},
};
static const struct cli_opt start_opts[] = {
    CREATE_OPTS
    {"all-autostart", NULL, OPT_ALL_AUTOSTART, "start every domain marked with 'qlaunch "
     "autostart' that does not run (for init systems without systemd); returns once they run"},
    {NULL, NULL, 0, NULL},
};

static const struct cli_verb create_verb = {"FILE", 1, 1, CLI_RUN_DIR | CLI_LOG_DIR,
                                            create_opts};
/* start: one NAME or FILE, or none with --all-autostart (counted below). */
static const struct cli_verb start_verb = {"NAME|FILE", 0, 1, CLI_RUN_DIR | CLI_LOG_DIR,
                                           start_opts};

static void domain_freep_(struct domain **d)
{
    domain_free(*d);
}

/* Starts the domain of file. defined: the name of the stored definition file is, which
 * the XML must keep; NULL for create. */
static int start_file(struct cli *cli, struct sup_config cfg, const char *file, bool console,
                      const char *defined);

/* start --all-autostart: every autostart domain that does not run, one after the other;
 * each is running when the next starts. Exit status 1 when one failed. */
static int start_autostart(struct cli *cli, const struct sup_config *cfg)
{
    char **names;
    size_t n;
    struct ql_error err = QL_ERROR_INIT;
    if (store_list(NULL, &names, &n, &err) < 0)
        return cli_fail_err(&err);
    int ret = 0;
    for (size_t i = 0; i < n; i++) {
        if (!store_autostart(NULL, names[i]))
            continue;
        if (cli_domain_runs(cli, names[i])) {
            cli_done("Domain '%s' is already running", names[i]);
            continue;
        }
        _cleanup_free_ char *path = store_path(NULL, names[i], &err);
        if (!path || start_file(cli, *cfg, path, false, names[i]) != 0)
            ret = CLI_EXIT_FAILURE;
        ql_error_clear(&err);
    }
    sup_free_names(names, n);
    return ret;
}

/* create and start: the options, then the domain(s) to start. */
static int create_or_start(int argc, char **argv, bool start)
{
    ql_trace("start");
    struct cli cli;
    cli_init(&cli, start ? &start_verb : &create_verb, argc, argv);
    struct sup_config cfg = {.restart_cap = SUP_DEFAULT_RESTART_CAP,
                             .restart_window_s = SUP_DEFAULT_RESTART_WINDOW, .ready_fd = -1,
                             .stop_timeout_s = SUP_DEFAULT_STOP_TIMEOUT};
    bool console = false, all_autostart = false;
    const char *arg;
    long n;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        switch (c) {
        case OPT_FOREGROUND: cfg.foreground = true; break;
        case OPT_CONSOLE: console = true; break;
        case OPT_ALL_AUTOSTART: all_autostart = true; break;
        case OPT_QMP_LOG: cfg.qmp_log = true; break;
        case OPT_EMULATOR: cfg.emulator = arg; break;
        case OPT_DUMP_DIR: cfg.dump_dir = arg; break;
        case OPT_ACCEL:
            if (strcmp(arg, "tcg") != 0 && strcmp(arg, "kvm") != 0)
                return cli_usage_error(&cli, "--accel takes 'tcg' or 'kvm', not '%s'", arg);
            cfg.accel = arg;
            break;
        case OPT_STOP_TIMEOUT:
            if (cli_number(&cli, "stop-timeout", arg, CTL_MAX_TIMEOUT_S, &n) < 0)
                return cli.status;
            cfg.stop_timeout_s = (unsigned)n;
            break;
        case OPT_RESTART_CAP:
        case OPT_RESTART_WINDOW:
            if (cli_number(&cli, c == OPT_RESTART_CAP ? "restart-cap" : "restart-window", arg,
                           INT_MAX, &n) < 0)
                return cli.status;
            if (c == OPT_RESTART_CAP)
                cfg.restart_cap = (unsigned)n;
            else
                cfg.restart_window_s = (unsigned)n;
            break;
        }
    }
    if (c < 0)
        return cli.status;
    if (cfg.foreground && console)
        return cli_usage_error(&cli, "--console cannot be combined with --foreground; run "
                               "'qlaunch console NAME' from another terminal");
    if (all_autostart && (cfg.foreground || console))
        return cli_usage_error(&cli, "--all-autostart starts domains in the background: it "
                               "takes neither --foreground nor --console");
    if (all_autostart && cli.n_operands)
        return cli_usage_error(&cli, "--all-autostart takes no NAME");
    if (all_autostart)
        return start_autostart(&cli, &cfg);
    if (cli.n_operands != 1)
        return cli_usage_error(&cli, "missing NAME|FILE");
    /* start NAME|FILE: a file there is started as create does (start FILE predates
     * definitions); otherwise NAME must be defined. */
    const char *op = cli.operands[0];
    struct stat st;
    if (start && !(stat(op, &st) == 0 && S_ISREG(st.st_mode))) {
        struct ql_error err = QL_ERROR_INIT;
        _cleanup_free_ char *path = store_path(NULL, op, &err);
        if (!path)
            return cli_fail_err(&err);
        if (!store_defined(NULL, op))
            return cli_fail("domain '%s' is not defined (in %s) and there is no file '%s'", op,
                            store_dir(NULL), op);
        return start_file(&cli, cfg, path, console, op);
    }
    return start_file(&cli, cfg, op, console, NULL);
}

int cmd_create(int argc, char **argv)
{
    return create_or_start(argc, argv, false);
}

int cmd_start(int argc, char **argv)
{
    return create_or_start(argc, argv, true);
}

static int start_file(struct cli *cli, struct sup_config cfg, const char *file, bool console,
                      const char *defined)
{
    char xml[PATH_MAX];
    if (!realpath(file, xml))
        return cli_fail("cannot open '%s': %s", file, strerror(errno));
    /* Parse here too, so that bad XML is reported with every problem, not just one. */
    struct dom_diags g = {0};
    struct domain *d = NULL;
    _cleanup_free_ char *text = NULL;
    size_t text_len = 0;
    struct ql_error rerr = QL_ERROR_INIT;
    /* Read here, not through dom_parse_file: the supervisor keeps these bytes as the run
     * directory's domain.xml rather than read a file that may have changed meanwhile. */
    if (ql_read_file(xml, DOM_XML_MAX_BYTES, &text, &text_len, &rerr) < 0) {
        dom_diags_add_error(&g, DOM_DIAG_ERROR, &rerr);
        ql_error_clear(&rerr);
    }
    if (g.n_errors || dom_parse_memory(text, text_len, xml, &d, &g) < 0) {
        print_diags(stderr, file, &g);
        dom_diags_free(&g);
        return CLI_EXIT_FAILURE;
    }
    ql_trace("parsed");
    /* Parsed once: the supervisor (forked from this process) takes this domain. */
    _cleanup_(domain_freep_) struct domain *dom = d;
    _cleanup_free_ char *name = xstrdup(d->name);
    dom_diags_free(&g);
    if (defined && strcmp(name, defined) != 0)
        return cli_fail("the definition '%s' names the domain '%s', not '%s'", file, name,
                        defined);
    struct ctl_target t = cli_target(cli, name);
    if (cli_domain_runs(cli, name))
        return cli_fail("domain '%s' is already running", name);
    struct ql_error err = QL_ERROR_INIT;
    int r;
    cfg.xml_path = xml;
    cfg.dom = dom;
    cfg.xml_text = text;
    cfg.xml_len = text_len;
    cfg.base = cli->run_dir;
    cfg.log_dir = cli->log_dir;
    ql_debug("starting '%s' from %s (log %s/%s.log)%s", name, xml, sup_log_dir(cli->log_dir),
             name, cfg.foreground ? " in the foreground" : "");
    if (cfg.foreground)
        return sup_main(&cfg);
    pid_t qemu_pid;
    r = sup_spawn(&cfg, &qemu_pid, &err);
    if (r == -ECHILD) {
        ql_error_clear(&err);
        return cli_fail("the supervisor of '%s' exited without reporting (see %s/%s.log)", name,
                        sup_log_dir(cli->log_dir), name);
    }
    if (r < 0)
        return cli_fail_err(&err);
    ql_trace("client-released");
    if (defined)
        cli_done("Domain '%s' started (QEMU pid %ld)", name, (long)qemu_pid);
    else
        cli_done("Domain '%s' created from %s (QEMU pid %ld)", name, file, (long)qemu_pid);
    fflush(stdout);
    if (console)
        return console_attach(&t);
    return 0;
}
