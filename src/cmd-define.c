/* Persistent domains, virsh names and meanings: define, undefine, autostart, edit. Definitions
 * live in the store (src/store/store.h); `start NAME` (cmd-create.c) runs one, `dumpxml
 * --inactive` (cmd-dumpxml.c) prints one. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "store/store.h"
#include "supervise/ctl-client.h"
#include "supervise/rundir.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uuid/uuid.h>

enum { OPT_NVRAM = CLI_OPT_FIRST, OPT_TPM, OPT_DISABLE };

static void domain_freep_(struct domain **d)
{
    domain_free(*d);
}

int define_file(const char *file, const char *label, const char *expect_name, char **ret_name)
{
    struct dom_diags g = {0};
    struct domain *d0 = NULL;
    int r = validate_file(file, true, &d0, &g);
    if (!label)
        label = file;
    print_diags(stderr, label, &g);
    dom_diags_free(&g);
    if (r < 0)
        return cli_fail("'%s' is not a valid domain definition; nothing was stored", label);
    _cleanup_(domain_freep_) struct domain *d = d0;
    if (expect_name && strcmp(d->name, expect_name) != 0)
        return cli_fail("the edited XML names the domain '%s', not '%s'; rename by defining "
                        "the new XML with 'qlaunch define' and undefining the old name",
                        d->name, expect_name);
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *old_path = store_path(NULL, d->name, &err);
    if (!old_path)
        return cli_fail_err(&err);
    if (store_defined(NULL, d->name)) {
        struct domain *old = NULL;
        if (dom_parse_file(old_path, &old, &g) == 0 && memcmp(old->uuid, d->uuid, 16) != 0) {
            char u[37];
            uuid_unparse_lower(old->uuid, u);
            domain_free(old);
            dom_diags_free(&g);
            return cli_fail("domain '%s' is already defined with UUID %s", d->name, u);
        }
        domain_free(old);
        dom_diags_free(&g);
    }
    _cleanup_free_ char *xml = NULL;
    size_t len = 0;
    if (ql_read_file(file, DOM_XML_MAX_BYTES, &xml, &len, &err) < 0 ||
        store_define(NULL, d->name, xml, len, &err) < 0)
        return cli_fail_err(&err);
    *ret_name = xstrdup(d->name);
    return 0;
}

static const struct cli_verb define_verb = {"FILE", 1, 1, 0, NULL};

int cmd_define(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &define_verb, argc, argv, NULL) < 0)
        return cli.status;
    _cleanup_free_ char *name = NULL;
    int r = define_file(cli.operands[0], NULL, NULL, &name);
    if (r == 0)
        cli_done("Domain '%s' defined from %s", name, cli.operands[0]);
    return r;
}

/* The stored definition of a defined domain; NULL after printing why not. */
static char *defined_path(const char *name)
{
    struct ql_error err = QL_ERROR_INIT;
    char *path = store_path(NULL, name, &err);
    if (!path) {
        cli_fail_err(&err);
        return NULL;
    }
    if (!store_defined(NULL, name)) {
        cli_fail("domain '%s' is not defined (in %s)", name, store_dir(NULL));
        free(path);
        return NULL;
    }
    return path;
}

static const struct cli_opt undefine_opts[] = {
    {"nvram", NULL, OPT_NVRAM, "also remove the domain's persistent NVRAM file (UEFI "
     "variables); it is kept otherwise"},
    {"tpm", NULL, OPT_TPM, "also remove the domain's persistent TPM state; it is kept "
     "otherwise"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb undefine_verb = CLI_DOMAIN_VERB(undefine_opts);

/* The NVRAM file a start of d uses: <nvram> of the XML, else NAME_VARS.fd in the NVRAM
 * directory (the builder's choice). */
static char *nvram_path(const struct domain *d)
{
    return d->os.nvram ? xstrdup(d->os.nvram) : xasprintf("%s/%s_VARS.fd", sup_nvram_dir(),
                                                          d->name);
}

/* The persistent TPM state directory of d: SWTPM_DIR/UUID (tpm2 and tpm1.2 in it), as the
 * supervisor keeps it (sup-swtpm.c). */
static char *tpm_path(const struct domain *d)
{
    char uuid[37];
    uuid_unparse_lower(d->uuid, uuid);
    return xasprintf("%s/%s", sup_swtpm_dir(), uuid);
}

int cmd_undefine(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &undefine_verb, argc, argv, &flags) < 0)
        return cli.status;
    const char *name = cli.operands[0];
    _cleanup_free_ char *path = defined_path(name);
    if (!path)
        return CLI_EXIT_FAILURE;
    bool running = cli_domain_runs(&cli, name);
    bool rm_nvram = flags & CLI_FLAG(OPT_NVRAM), rm_tpm = flags & CLI_FLAG(OPT_TPM);
    _cleanup_free_ char *nvram = NULL, *tpm = NULL;
    if (rm_nvram || rm_tpm) {
        if (running)
            return cli_fail("domain '%s' is running and uses its %s: undefine it without "
                            "--%s, or stop it first", name, rm_nvram ? "NVRAM" : "TPM state",
                            rm_nvram ? "nvram" : "tpm");
        struct dom_diags g = {0};
        struct domain *d = NULL;
        if (dom_parse_file(path, &d, &g) == 0) {
            nvram = rm_nvram ? nvram_path(d) : NULL;
            tpm = rm_tpm ? tpm_path(d) : NULL;
        }
        domain_free(d);
        dom_diags_free(&g);
        if (!nvram && !tpm)
            return cli_fail("the definition of '%s' does not parse: its NVRAM and TPM state "
                            "are not known; fix it with 'qlaunch edit', or undefine it without "
                            "--nvram and --tpm", name);
    }
    struct ql_error err = QL_ERROR_INIT;
    if (store_undefine(NULL, name, &err) < 0)
        return cli_fail_err(&err);
    if (nvram && unlink(nvram) < 0 && errno != ENOENT)
        return cli_fail("domain '%s' has been undefined, but its NVRAM '%s' could not be "
                        "removed: %s", name, nvram, strerror(errno));
    if (tpm)
        sup_remove_tree(tpm, 3);    /* UUID/tpm2/ and swtpm's files in it */
    if (tpm && access(tpm, F_OK) == 0)
        return cli_fail("domain '%s' has been undefined, but its TPM state '%s' could not be "
                        "removed", name, tpm);
    cli_done("Domain '%s' has been undefined%s", name,
           running ? " (it keeps running as a transient domain)" : "");
    return 0;
}

/* systemd is the init system (sd_booted()'s test): autostart enables the unit too. */
static bool systemd_booted(void)
{
    return access("/run/systemd/system", F_OK) == 0;
}

/* Runs argv[0] (searched in PATH), waiting for it; its exit status, or -1. */
static int run_wait(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const struct cli_opt autostart_opts[] = {
    {"disable", NULL, OPT_DISABLE, "do not start the domain at boot any more"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb autostart_verb = {"NAME", 1, 1, 0, autostart_opts};

int autostart_set(const char *name, bool on)
{
    _cleanup_free_ char *path = defined_path(name);
    if (!path)
        return CLI_EXIT_FAILURE;
    struct ql_error err = QL_ERROR_INIT;
    if (store_set_autostart(NULL, name, on, &err) < 0)
        return cli_fail_err(&err);
    /* Under systemd the boot start is the unit's (it reads the stored definition); the
     * link above serves 'qlaunch start --all-autostart' on other init systems. An image
     * being built (or a test) names its root: systemctl --root works without systemd. */
    const char *root = getenv("QLAUNCH_SYSTEMD_ROOT");
    bool offline = root && *root;
    if (offline || (geteuid() == 0 && systemd_booted())) {
        _cleanup_free_ char *unit = xasprintf("qlaunch@%s.service", name);
        _cleanup_free_ char *root_opt = offline ? xasprintf("--root=%s", root) : NULL;
        char *const sc[] = {"systemctl", "--quiet", on ? "enable" : "disable", unit, root_opt,
                            NULL};
        ql_debug("running systemctl %s %s%s%s", sc[2], unit, offline ? " " : "",
                 offline ? root_opt : "");
        if (run_wait(sc) != 0)
            return cli_fail("'systemctl %s %s' failed; the domain is %s for 'qlaunch start "
                            "--all-autostart' only", sc[2], unit, on ? "marked" : "unmarked");
    }
    cli_done(on ? "Domain '%s' marked as autostarted" : "Domain '%s' unmarked as autostarted",
             name);
    return 0;
}

int cmd_autostart(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &autostart_verb, argc, argv, &flags) < 0)
        return cli.status;
    return autostart_set(cli.operands[0], !(flags & CLI_FLAG(OPT_DISABLE)));
}

static const struct cli_verb edit_verb = {"NAME", 1, 1, 0, NULL};

/* virsh edit: $VISUAL or $EDITOR (else vi) on a copy; the copy is validated and stored as
 * define stores a file; a refused edit keeps the old definition (and the copy, to fix). */
int cmd_edit(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &edit_verb, argc, argv, NULL) < 0)
        return cli.status;
    const char *name = cli.operands[0];
    _cleanup_free_ char *path = defined_path(name);
    if (!path)
        return CLI_EXIT_FAILURE;
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *old = NULL;
    size_t old_len = 0;
    if (ql_read_file(path, DOM_XML_MAX_BYTES, &old, &old_len, &err) < 0)
        return cli_fail_err(&err);
    const char *tmpdir = getenv("TMPDIR");
    _cleanup_free_ char *tmp = xasprintf("%s/qlaunch-edit-XXXXXX.xml",
                                         tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemps(tmp, 4);
    if (fd < 0)
        return cli_fail("cannot create a temporary file in %s: %s", tmpdir ? tmpdir : "/tmp",
                        strerror(errno));
    bool written = write(fd, old, old_len) == (ssize_t)old_len;
    close(fd);
    if (!written) {
        unlink(tmp);
        return cli_fail("cannot write '%s'", tmp);
    }
    char *const ed[] = {"/bin/sh", "-c", "exec ${VISUAL:-${EDITOR:-vi}} \"$1\"", "sh", tmp,
                        NULL};
    int st = run_wait(ed);
    if (st != 0) {
        unlink(tmp);
        return cli_fail("the editor failed (exit status %d); the definition of '%s' is "
                        "unchanged", st, name);
    }
    _cleanup_free_ char *edited = NULL;
    size_t len = 0;
    if (ql_read_file(tmp, DOM_XML_MAX_BYTES, &edited, &len, &err) < 0) {
        unlink(tmp);
        return cli_fail_err(&err);
    }
    if (len == old_len && memcmp(edited, old, len) == 0) {
        unlink(tmp);
        cli_done("Domain '%s' XML configuration not changed.", name);
        return 0;
    }
    _cleanup_free_ char *defined = NULL;
    if (define_file(tmp, NULL, name, &defined) != 0) {
        fprintf(stderr, "qlaunch: the definition of '%s' is unchanged; the edited copy is "
                "kept in %s\n", name, tmp);
        return CLI_EXIT_FAILURE;
    }
    unlink(tmp);
    cli_done("Domain '%s' XML configuration edited.", name);
    return 0;
}
