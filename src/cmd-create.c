/* qlaunch create|start FILE: parse the domain, start its supervisor in the background (or
 * run it in the foreground) and report when QEMU runs. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "supervise/ctl-client.h"
#include "supervise/rundir.h"
#include "supervise/spawn.h"
#include "supervise/supervisor.h"
#include "util/cleanup.h"
#include "util/trace.h"
#include "util/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_FOREGROUND = CLI_OPT_FIRST, OPT_CONSOLE, OPT_ACCEL, OPT_EMULATOR, OPT_DUMP_DIR,
    OPT_RESTART_CAP, OPT_RESTART_WINDOW, OPT_QMP_LOG,
};

static const struct cli_opt create_opts[] = {
    {"foreground", NULL, OPT_FOREGROUND, "stay attached: supervise in this process until the "
     "domain ends (for systemd or a job scheduler); the exit status says how it ended"},
    {"console", NULL, OPT_CONSOLE, "attach to the serial console once the domain runs"},
    {"accel", "tcg|kvm", OPT_ACCEL, "use this accelerator whatever the XML says"},
    {"emulator", "PATH", OPT_EMULATOR, "run this QEMU instead of the XML's <emulator>"},
    {"dump-dir", "DIR", OPT_DUMP_DIR, "where on_crash='coredump-*' writes guest memory dumps"},
    {"restart-cap", "N", OPT_RESTART_CAP, "restarts allowed within the window (0: no limit; "
     "default 5)"},
    {"restart-window", "S", OPT_RESTART_WINDOW, "the window of --restart-cap, in seconds "
     "(default 60)"},
    {"qmp-log", NULL, OPT_QMP_LOG, "write the QMP transcript (secrets redacted) to the log"},
    {NULL, NULL, 0, NULL},
};

static const struct cli_verb create_verb = {"FILE", 1, 1, CLI_RUN_DIR | CLI_LOG_DIR,
                                            create_opts};

static void domain_freep_(struct domain **d)
{
    domain_free(*d);
}

int cmd_create(int argc, char **argv)
{
    ql_trace("start");
    struct cli cli;
    cli_init(&cli, &create_verb, argc, argv);
    struct sup_config cfg = {.restart_cap = SUP_DEFAULT_RESTART_CAP,
                             .restart_window_s = SUP_DEFAULT_RESTART_WINDOW, .ready_fd = -1};
    bool console = false;
    const char *arg;
    long n;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        switch (c) {
        case OPT_FOREGROUND: cfg.foreground = true; break;
        case OPT_CONSOLE: console = true; break;
        case OPT_QMP_LOG: cfg.qmp_log = true; break;
        case OPT_EMULATOR: cfg.emulator = arg; break;
        case OPT_DUMP_DIR: cfg.dump_dir = arg; break;
        case OPT_ACCEL:
            if (strcmp(arg, "tcg") != 0 && strcmp(arg, "kvm") != 0)
                return cli_usage_error(&cli, "--accel takes 'tcg' or 'kvm', not '%s'", arg);
            cfg.accel = arg;
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
    const char *file = cli.operands[0];
    char xml[PATH_MAX];
    if (!realpath(file, xml))
        return cli_fail("cannot open '%s': %s", file, strerror(errno));
    /* Parse here too, so that bad XML is reported with every problem, not just one. */
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_file(xml, &d, &g) < 0) {
        print_diags(stderr, file, &g);
        dom_diags_free(&g);
        return CLI_EXIT_FAILURE;
    }
    ql_trace("parsed");
    /* Parsed once: the supervisor (forked from this process) takes this domain. */
    _cleanup_(domain_freep_) struct domain *dom = d;
    _cleanup_free_ char *name = xstrdup(d->name);
    dom_diags_free(&g);
    /* A run directory whose supervisor and QEMU are both gone (both SIGKILLed, say) is
     * stale: ctl_open removes it. A live one means the domain runs already. */
    struct ctl_target t = cli_target(&cli, name);
    struct ctl_conn live;
    struct ql_error err = QL_ERROR_INIT;
    int r = ctl_open(&t, &live, &err);
    ql_error_clear(&err);
    if (r == 0) {
        ctl_conn_close(&live);
        return cli_fail("domain '%s' is already running", name);
    }
    cfg.xml_path = xml;
    cfg.dom = dom;
    cfg.base = cli.run_dir;
    cfg.log_dir = cli.log_dir;
    if (cfg.foreground)
        return sup_main(&cfg);
    pid_t qemu_pid;
    r = sup_spawn(&cfg, &qemu_pid, &err);
    if (r == -ECHILD) {
        ql_error_clear(&err);
        return cli_fail("the supervisor of '%s' exited without reporting (see %s/%s.log)", name,
                        sup_log_dir(cli.log_dir), name);
    }
    if (r < 0)
        return cli_fail_err(&err);
    ql_trace("client-released");
    printf("Domain '%s' created from %s (QEMU pid %ld)\n", name, file, (long)qemu_pid);
    fflush(stdout);
    if (console)
        return console_attach(&t);
    return 0;
}
