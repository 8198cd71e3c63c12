/* qlaunch argv [--accel tcg|kvm] [--emulator PATH] [--run-dir DIR] [--json] [--explain] FILE
 * Prints the QEMU command line for a domain, one option per line, shell-quoted; with
 * --explain, each option with the XML element (or qlaunch's reason) it comes from. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "supervise/prepare.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "host/pool.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void print_shell(const struct qb_result *r)
{
    struct strbuf sb = STRBUF_INIT;
    qb_result_render(&sb, r);
    fwrite(sb.s, 1, sb.len, stdout);
    sb_free(&sb);
}

static void print_json(const struct qb_result *r)
{
    _cleanup_json_ json_object *a = json_object_new_array();
    for (size_t i = 0; i < r->argv.n; i++)
        json_object_array_add(a, json_object_new_string(r->argv.v[i]));
    puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    for (size_t i = 0; i < r->n_env; i++)
        fprintf(stderr, "# env %s\n", r->env[i]);
    for (size_t i = 0; i < r->n_fds; i++) {
        const struct qb_fd *f = &r->fds[i];
        if (f->fd >= 0)
            fprintf(stderr, "# fd %d (%s): %s\n", f->fd, qb_fd_kind_to_string(f->kind),
                    f->what);
        else
            fprintf(stderr, "# file (%s): %s\n", qb_fd_kind_to_string(f->kind), f->what);
    }
    for (size_t i = 0; i < r->n_notes; i++)
        fprintf(stderr, "# note: %s\n", r->notes[i]);
}

enum { OPT_ACCEL = CLI_OPT_FIRST, OPT_EMULATOR, OPT_JSON, OPT_EXPLAIN };
static const struct cli_opt argv_opts[] = {
    {"accel", "tcg|kvm", OPT_ACCEL, "build for this accelerator whatever the XML says"},
    {"emulator", "PATH", OPT_EMULATOR, "name this QEMU instead of the XML's <emulator>"},
    {"json", NULL, OPT_JSON, "print a JSON array (the descriptors go to stderr)"},
    {"explain", NULL, OPT_EXPLAIN, "show where each option comes from: the XML element and "
     "line, or why qlaunch adds it"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb argv_verb = {"FILE", 1, 1, CLI_RUN_DIR, argv_opts};

/* Prints the QEMU command line for FILE, one option per line (shell-quoted), followed by
 * the file descriptors the launcher passes. */
int cmd_argv(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &argv_verb, argc, argv);
    const char *accel = NULL, *emulator = NULL;
    bool json = false, explain = false;
    const char *arg;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        switch (c) {
        case OPT_ACCEL:
            if (strcmp(arg, "tcg") != 0 && strcmp(arg, "kvm") != 0)
                return cli_usage_error(&cli, "--accel takes 'tcg' or 'kvm', not '%s'", arg);
            accel = arg;
            break;
        case OPT_EMULATOR: emulator = arg; break;
        case OPT_JSON: json = true; break;
        case OPT_EXPLAIN: explain = true; break;
        }
    }
    if (c < 0)
        return cli.status;
    const char *file = cli.operands[0];
    struct dom_diags g = {0};
    struct domain *d = NULL;
    int r = dom_parse_file(file, &d, &g);
    if (g.n)
        print_diags(stderr, file, &g);
    dom_diags_free(&g);
    if (r < 0)
        return 1;
    struct ql_error perr = QL_ERROR_INIT;
    if (host_pool_resolve_disks(d, &perr) < 0) {
        fprintf(stderr, "%s: error: %s\n", file, ql_error_msg(&perr));
        ql_error_clear(&perr);
        domain_free(d);
        return 1;
    }

    /* The host facts exactly as a start prepares them: run directory, NVRAM directory,
     * network listen addresses, firmware. */
    struct qb_result res;
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_(sup_build_prep_free) struct sup_build_prep prep = {0};
    int pr = sup_build_prepare(d, cli.run_dir, accel, emulator, SUP_PREP_SHOW, &prep, &err);
    prep.o.explain = explain;
    if (pr < 0 || qb_build(d, &prep.o, &res, &err) < 0) {
        fprintf(stderr, "%s: error: %s\n", file, ql_error_msg(&err));
        ql_error_clear(&err);
        domain_free(d);
        return 1;
    }
    const char *emu = res.argv.v[0];
    if (access(emu, X_OK) != 0) {
        _cleanup_free_ char *at = !emulator && d->dev.emulator_line
                                  ? xasprintf(" (line %d)", d->dev.emulator_line) : NULL;
        fprintf(stderr, "%s: error: %s: the emulator '%s' does not exist or is not executable%s;"
                " fix <emulator> or pass --emulator PATH%s\n", file,
                emulator ? "--emulator" : "devices/emulator", emu,
                strcmp(emu, "/usr/bin/qemu-system-x86_64") != 0
                    ? " (Debian installs /usr/bin/qemu-system-x86_64)" : "", at ? at : "");
        qb_result_free(&res);
        domain_free(d);
        return 1;
    }
    if (prep.dac_problem) {
        res.notes = xrealloc(res.notes, (res.n_notes + 1) * sizeof(*res.notes));
        res.notes[res.n_notes++] = xasprintf("a start would fail: %s", prep.dac_problem);
    }
    if (explain && json) {
        _cleanup_json_ json_object *a = qb_explain_json(&res);
        puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    } else if (explain) {
        struct strbuf sb = STRBUF_INIT;
        qb_explain_render(&sb, &res);
        fwrite(sb.s, 1, sb.len, stdout);
        sb_free(&sb);
    } else if (json) {
        print_json(&res);
    } else {
        print_shell(&res);
    }
    qb_result_free(&res);
    domain_free(d);
    return 0;
}
