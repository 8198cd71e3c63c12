/* Golden test: every tests/xml2argv/NAME.xml is parsed and built, and the result (the argv
 * as `qlaunch argv` prints it, fds, notes, or the error) must equal NAME.args byte for byte.
 * QLAUNCH_REGENERATE=1 rewrites the .args files instead. The build runs twice per case to
 * check that it is deterministic. */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "tests/testutil.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_file(path, &d, &g) < 0) {
        for (size_t i = 0; i < g.n; i++) {
            if (g.v[i].level != DOM_DIAG_ERROR)
                continue;
            char *s = dom_diag_format(&g.v[i]);
            sb_addf(&sb, "parse error: %s\n", s);
            free(s);
        }
        dom_diags_free(&g);
        return sb_steal(&sb);
    }
    dom_diags_free(&g);
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4};
    if (!d->dev.emulator)
        o.emulator = "/usr/bin/qemu-system-x86_64";
    struct qb_result r;
    struct ql_error err = QL_ERROR_INIT;
    if (qb_build(d, &o, &r, &err) < 0) {
        sb_addf(&sb, "build error: %s\n", ql_error_msg(&err));
        ql_error_clear(&err);
        domain_free(d);
        return sb_steal(&sb);
    }
    qb_result_render(&sb, &r);
    qb_result_free(&r);
    domain_free(d);
    return sb_steal(&sb);
}

static int filter_xml(const struct dirent *e)
{
    size_t l = strlen(e->d_name);
    return l > 4 && strcmp(e->d_name + l - 4, ".xml") == 0;
}

int main(void)
{
    bool regen = getenv("QLAUNCH_REGENERATE") && *getenv("QLAUNCH_REGENERATE") == '1';
    _cleanup_free_ char *dir = tu_srcdir_path("tests/xml2argv");
    struct dirent **list;
    int n = scandir(dir, &list, filter_xml, alphasort);
    if (n < 0) {
        fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
        return 99;
    }
    int failed = 0;
    printf("1..%d\n", n);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        _cleanup_free_ char *xml = xasprintf("%s/%s", dir, name);
        _cleanup_free_ char *args = xasprintf("%s/%.*s.args", dir, (int)(strlen(name) - 4), name);
        _cleanup_free_ char *got = render(xml);
        _cleanup_free_ char *again = render(xml);
        if (strcmp(got, again) != 0) {
            printf("not ok %d - %s: two builds differ\n", i + 1, name);
            failed++;
        } else if (regen) {
            FILE *f = fopen(args, "wb");
            if (!f || fputs(got, f) < 0 || fclose(f) != 0) {
                printf("not ok %d - %s: cannot write %s\n", i + 1, name, args);
                failed++;
            } else {
                printf("ok %d - %s (regenerated)\n", i + 1, name);
            }
        } else {
            _cleanup_free_ char *want = tu_read_file(args, NULL);
            if (!want) {
                printf("not ok %d - %s: %s is missing (run with QLAUNCH_REGENERATE=1)\n", i + 1,
                       name, args);
                failed++;
            } else if (strcmp(want, got) != 0) {
                printf("not ok %d - %s: argv differs from %s\n", i + 1, name, args);
                printf("# --- expected\n%s# --- got\n%s", want, got);
                failed++;
            } else {
                printf("ok %d - %s\n", i + 1, name);
            }
        }
        free(list[i]);
    }
    free(list);
    return failed ? 1 : 0;
}
