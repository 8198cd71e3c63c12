/* The action verbs, virsh names and meanings: shutdown, reboot, destroy, suspend, resume.
 * Each is one request to the domain's supervisor. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"
#include "supervise/rundir.h"
#include "supervise/state.h"
#include "supervise/supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

enum { OPT_TIMEOUT = CLI_OPT_FIRST, OPT_GRACEFUL, OPT_MODE };

#define MODE_OPT {"mode", "MODE", OPT_MODE, "acpi (the power button, the default), agent (the " \
                  "guest agent) or agent,acpi (the agent, else ACPI)"}

/* Sends req and says so; destroy waits until the domain is gone. */
static int control(struct cli *cli, const struct ctl_request *req, const char *done)
{
    const char *name = cli->operands[0];
    struct ctl_target t = cli_target(cli, name);
    struct ql_error err = QL_ERROR_INIT;
    bool destroy = req->cmd == CTL_DESTROY;
    json_object *rep;
    if (ctl_call(&t, req, destroy ? SUP_DESTROY_GRACE_MS + 30000 : CTL_TIMEOUT_MS, &rep,
                 &err) < 0)
        return cli_fail_err(&err);
    json_object_put(rep);
    if (destroy)
        ctl_wait_gone(&t, 10000, NULL);
    cli_done("Domain '%s' %s", name, done);
    return 0;
}

static const struct cli_verb plain_verb = CLI_DOMAIN_VERB(NULL);

static int plain(int argc, char **argv, enum ctl_cmd cmd, const char *done)
{
    struct cli cli;
    if (cli_parse(&cli, &plain_verb, argc, argv, NULL) < 0)
        return cli.status;
    struct ctl_request req = CTL_REQUEST_INIT(cmd);
    return control(&cli, &req, done);
}

static const struct cli_opt reboot_opts[] = {MODE_OPT, {NULL, NULL, 0, NULL}};
static const struct cli_verb reboot_verb = CLI_DOMAIN_VERB(reboot_opts);

int cmd_reboot(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &reboot_verb, argc, argv);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_REBOOT);
    const char *arg;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        free(req.mode);
        req.mode = xstrdup(arg);
    }
    int r = c < 0 ? cli.status : control(&cli, &req, "is being rebooted");
    ctl_request_clear(&req);
    return r;
}

int cmd_suspend(int argc, char **argv)
{
    return plain(argc, argv, CTL_SUSPEND, "suspended");
}

int cmd_resume(int argc, char **argv)
{
    return plain(argc, argv, CTL_RESUME, "resumed");
}

static const struct cli_opt destroy_opts[] = {
    {"graceful", NULL, OPT_GRACEFUL, "send SIGTERM only; fail rather than kill QEMU when it "
     "does not exit within the grace period"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb destroy_verb = CLI_DOMAIN_VERB(destroy_opts);

int cmd_destroy(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &destroy_verb, argc, argv, &flags) < 0)
        return cli.status;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_DESTROY);
    req.graceful = flags & CLI_FLAG(OPT_GRACEFUL);
    return control(&cli, &req, "destroyed");
}

static const struct cli_opt shutdown_opts[] = {
    {"timeout", "S", OPT_TIMEOUT, "destroy the domain when the guest has not powered off "
     "after S seconds"},
    MODE_OPT,
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb shutdown_verb = CLI_DOMAIN_VERB(shutdown_opts);

int cmd_shutdown(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &shutdown_verb, argc, argv);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SHUTDOWN);
    const char *arg;
    long n;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (c == OPT_MODE) {
            free(req.mode);
            req.mode = xstrdup(arg);
        } else if (cli_number(&cli, "timeout", arg, CTL_MAX_TIMEOUT_S, &n) < 0) {
            ctl_request_clear(&req);
            return cli.status;
        } else {
            req.timeout_s = (int)n;
        }
    }
    if (c < 0 || req.timeout_s < 0) {
        int r = c < 0 ? cli.status : control(&cli, &req, "is being shutdown");
        ctl_request_clear(&req);
        return r;
    }
    /* ACPI shutdown with a deadline. The request carries it, so that a supervisor which
     * keeps deadlines itself destroys the domain on time even if this client goes away;
     * the client enforces it too. */
    const char *name = cli.operands[0];
    struct ctl_target t = cli_target(&cli, name);
    struct ql_error err = QL_ERROR_INIT;
    json_object *rep;
    int timeout_s = req.timeout_s;
    int r = ctl_call(&t, &req, CTL_TIMEOUT_MS, &rep, &err);
    ctl_request_clear(&req);
    if (r < 0)
        return cli_fail_err(&err);
    json_object_put(rep);
    if (ctl_wait_gone(&t, timeout_s * 1000, NULL) == 0) {
        /* The supervisor keeps the same deadline: it may have destroyed it first. */
        struct sup_status st;
        struct sup_paths p;
        bool destroyed = false;
        if (sup_paths_init(&p, t.run_dir, name, NULL) == 0) {
            if (sup_status_read(p.last, &st, NULL) == 0) {
                destroyed = st.reason == SUP_REASON_DESTROYED;
                sup_status_clear(&st);
            }
            sup_paths_free(&p);
        }
        if (destroyed)
            cli_done("Domain '%s' destroyed", name);
        else
            cli_done("Domain '%s' is shut off", name);
        return 0;
    }
    fprintf(stderr, "qlaunch: domain '%s' did not shut down within %d s; destroying it\n",
            name, timeout_s);
    struct ctl_request destroy = CTL_REQUEST_INIT(CTL_DESTROY);
    if (ctl_call(&t, &destroy, SUP_DESTROY_GRACE_MS + 30000, &rep, &err) < 0) {
        /* It may have ended meanwhile, on its own or by its supervisor's deadline. */
        if (ctl_wait_gone(&t, SUP_DESTROY_GRACE_MS + 5000, NULL) == 0) {
            ql_error_clear(&err);
            cli_done("Domain '%s' destroyed", name);
            return 0;
        }
        return cli_fail_err(&err);
    }
    json_object_put(rep);
    ctl_wait_gone(&t, 10000, NULL);
    cli_done("Domain '%s' destroyed", name);
    return 0;
}
