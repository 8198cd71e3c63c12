/* qlaunch validate [--json] [--explain] FILE... */
#include "config.h"
#include "cmd-common.h"
#include "cmd-explain.h"
#include "host/qemucaps.h"
#include "cmds.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "supervise/rundir.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

void print_diags(FILE *f, const char *file, const struct dom_diags *g)
{
    for (size_t i = 0; i < g->n; i++) {
        char *s = dom_diag_format(&g->v[i]);
        fprintf(f, "%s: %s: %s\n", file, dom_diag_level_to_string(g->v[i].level), s);
        free(s);
    }
    if (g->n_omitted)
        fprintf(f, "%s: ... and %zu more problem%s\n", file, g->n_omitted,
                g->n_omitted == 1 ? "" : "s");
}

/* The run directory `create` would use for the domain (QLAUNCH_RUN_DIR or the default
 * base): its checks (the name, socket paths that fit) are create's. NULL after an error. */
static char *run_dir_check(const struct domain *d, struct dom_diags *g)
{
    struct sup_paths p;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_paths_init(&p, NULL, d->name, &err) < 0) {
        dom_diags_add(g, DOM_DIAG_ERROR, "name", 0, "%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return NULL;
    }
    char *dir = steal_pointer(&p.dir);
    sup_paths_free(&p);
    return dir;
}

/* What the parser accepts but the command-line builder cannot map is an error too: validate
 * answers "can qlaunch run this?". The builder's error carries the place it is about. */
static void builder_check(const struct domain *d, const char *run_dir, bool use_emulator,
                          struct dom_diags *g, struct qb_result *keep)
{
    /* keep: the result with every option's origin (validate --explain) */
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .run_dir = run_dir, .explain = !!keep};
    struct qb_result res = {0};
    struct ql_error err = QL_ERROR_INIT;
    /* The emulator the domain names (or the default), when it is on this host: what it
     * lacks (a machine type, a device, a property) is an error here, before any start. */
    _cleanup_(qemu_caps_freep) struct qemu_caps *caps = NULL;
    if (use_emulator) {
        if (qemu_caps_of_domain(d, NULL, &caps, &err) < 0) {
            dom_diags_add(g, DOM_DIAG_ERROR, "devices/emulator", d->dev.emulator_line, "%s",
                          ql_error_msg(&err));
            ql_error_clear(&err);
            return;
        }
        o.caps = caps;
    }
    if (qb_build(d, &o, &res, &err) == 0) {
        if (keep)
            *keep = res;
        else
            qb_result_free(&res);
        return;
    }
    dom_diags_add_error(g, DOM_DIAG_ERROR, &err);
    ql_error_clear(&err);
}

/* validate_file; with els and res (validate --explain), also the document's elements and
 * the build with every option's origin (res is zeroed when the build fails). */
static int validate_explained(const char *file, bool use_emulator, struct domain **ret,
                              struct dom_diags *g, struct dom_elems *els,
                              struct qb_result *res)
{
    struct domain *d = NULL;
    *ret = NULL;
    int r = dom_parse_file_elems(file, &d, g, els);
    if (r < 0)
        return r;
    _cleanup_free_ char *run_dir = run_dir_check(d, g);
    if (run_dir)
        builder_check(d, run_dir, use_emulator, g, res);
    if (g->n_errors) {
        domain_free(d);
        return -EINVAL;
    }
    *ret = d;
    return 0;
}

int validate_file(const char *file, bool use_emulator, struct domain **ret,
                  struct dom_diags *g)
{
    return validate_explained(file, use_emulator, ret, g, NULL, NULL);
}

enum { OPT_JSON = CLI_OPT_FIRST, OPT_NO_EMULATOR, OPT_EXPLAIN };
static const struct cli_opt validate_opts[] = {
    {"json", NULL, OPT_JSON, "print the diagnostics as JSON"},
    {"no-emulator", NULL, OPT_NO_EMULATOR, "check the XML alone, not against the emulator's "
     "capabilities"},
    {"explain", NULL, OPT_EXPLAIN, "list each element with the options it became, or why it "
     "has none (ignored by design, refused, honoured by the supervisor)"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb validate_verb = {"FILE...", 1, -1, 0, validate_opts};

int cmd_validate(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &validate_verb, argc, argv, &flags) < 0)
        return cli.status;
    bool json = flags & CLI_FLAG(OPT_JSON);
    bool use_emulator = !(flags & CLI_FLAG(OPT_NO_EMULATOR));
    bool explain = flags & CLI_FLAG(OPT_EXPLAIN);
    bool all_ok = true;
    json_object *jfiles = json_object_new_array();
    for (int i = 0; i < cli.n_operands; i++) {
        const char *file = cli.operands[i];
        struct dom_diags g = {0};
        struct domain *d = NULL;
        struct dom_elems els = {0};
        struct qb_result res = {0};
        bool ok = validate_explained(file, use_emulator, &d, &g, explain ? &els : NULL,
                                     explain ? &res : NULL) == 0;
        all_ok = all_ok && ok;
        json_object *jels = explain ? explain_elements(&els, ok ? &res : NULL, &g) : NULL;
        dom_elems_free(&els);
        qb_result_free(&res);
        if (json) {
            json_object *jf = json_object_new_object();
            json_object_object_add(jf, "file", json_object_new_string(file));
            json_object_object_add(jf, "valid", json_object_new_boolean(ok));
            json_object *jd = json_object_new_array();
            for (size_t k = 0; k < g.n; k++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "level",
                                       json_object_new_string(dom_diag_level_to_string(g.v[k].level)));
                json_object_object_add(e, "where", json_object_new_string(g.v[k].where));
                json_object_object_add(e, "line", json_object_new_int(g.v[k].line));
                json_object_object_add(e, "message", json_object_new_string(g.v[k].msg));
                json_object_array_add(jd, e);
            }
            json_object_object_add(jf, "diagnostics", jd);
            if (g.n_omitted)
                json_object_object_add(jf, "omitted", json_object_new_uint64(g.n_omitted));
            if (jels)
                json_object_object_add(jf, "elements", jels);
            json_object_array_add(jfiles, jf);
        } else {
            print_diags(ok ? stdout : stderr, file, &g);
            if (jels) {
                explain_elements_print(stdout, jels);
                json_object_put(jels);
            }
            if (ok)
                printf("%s: ok\n", file);
            else
                fprintf(stderr, "%s: invalid (%zu error%s)\n", file, g.n_errors,
                        g.n_errors == 1 ? "" : "s");
        }
        domain_free(d);
        dom_diags_free(&g);
    }
    if (json) {
        json_object *root = json_object_new_object();
        json_object_object_add(root, "valid", json_object_new_boolean(all_ok));
        json_object_object_add(root, "files", jfiles);
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    } else {
        json_object_put(jfiles);
    }
    return all_ok ? 0 : 1;
}
