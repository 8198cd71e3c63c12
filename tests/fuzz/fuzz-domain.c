/* libFuzzer harness: domain XML through parse, validate and the command-line builder, as
 * `qlaunch validate`, `argv` and `create` take it. Beyond the sanitizers it checks what
 * must hold for any accepted input: the argv is non-empty and has no NULL, and no argument
 * names a path that leaves the run directory ("RUN/../"). */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "util/cleanup.h"

#include <libxml/parser.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Paths under RUN_DIR are the builder's automatic ones unless the input names it itself. */
#define RUN_NAME "fuzz-run"
#define RUN_DIR "/run/qlaunch/" RUN_NAME

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    xmlInitParser();
    return 0;
}

static void check_argv(const struct qb_result *res)
{
    if (res->argv.n == 0 || !res->argv.v[0])
        abort();
    for (size_t i = 0; i < res->argv.n; i++) {
        const char *a = res->argv.v[i];
        if (!a)
            abort();
        for (const char *p = a; (p = strstr(p, RUN_DIR "/")); p++) {
            const char *rest = p + strlen(RUN_DIR "/");
            size_t comp = strcspn(rest, "/,\"");
            if ((comp == 2 && rest[0] == '.' && rest[1] == '.') || rest[comp] == '/')
                abort();    /* an automatic path outside (or below) the run directory */
        }
    }
}

/* Builds twice: as `validate` (nothing resolved on the host) and as `create` (ports,
 * listen addresses and firmware resolved by the launcher). */
static void build(const struct domain *d, bool check_paths)
{
    const char *addrs[DOM_MAX_DEVICES];
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++)
        addrs[i] = "192.0.2.1";
    static const struct qb_firmware fw = {
        .loader = "/usr/share/OVMF/OVMF_CODE_4M.fd",
        .nvram_template = "/usr/share/OVMF/OVMF_VARS_4M.fd",
        .requires_smm = true,
        .descriptor = "/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json",
    };
    const struct qb_options opts[] = {
        {.qmp_fd = 3, .first_fd = 4},
        {.qmp_fd = 3, .first_fd = 4, .run_dir = RUN_DIR, .accel = "kvm", .spice_port = 5901,
         .gfx_listen_addr = addrs, .nvram_dir = "/var/lib/qlaunch/nvram", .firmware = &fw},
    };
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
        struct qb_result res = {0};
        struct ql_error err = QL_ERROR_INIT;
        if (qb_build(d, &opts[i], &res, &err) == 0) {
            if (opts[i].run_dir && check_paths)
                check_argv(&res);
            qb_result_free(&res);
        } else if (!err.msg) {
            abort();    /* a failure must say why */
        }
        ql_error_clear(&err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dom_diags g = {0};
    struct domain *d = NULL;
    int r = dom_parse_memory((const char *)data, size, "fuzz.xml", &d, &g);
    if (r == 0 && d)
        build(d, !memmem(data, size, RUN_NAME, strlen(RUN_NAME)));
    else if (r == 0 || d || g.n_errors == 0)
        abort();    /* a rejection always comes with an error */
    for (size_t i = 0; i < g.n; i++)
        free(dom_diag_format(&g.v[i]));
    domain_free(d);
    dom_diags_free(&g);
    return 0;
}
