/* Golden test: every tests/xml2argv/NAME.xml is parsed and built, and the result (the argv
 * as `qlaunch argv` prints it, fds, notes, or the error) must equal NAME.args byte for byte.
 * QLAUNCH_REGENERATE=1 rewrites the .args files instead. The build runs twice per case to
 * check that it is deterministic.
 * Each case is also built with the capabilities of QEMU 7.2 (tests/caps/qemu-7.2.json),
 * which must give NAME.args too, and of QEMU 10.0, which must give NAME.qemu-10.0.args where
 * that file exists (the argv differs between the versions), else NAME.args. */
#include "config.h"
#include "host/numa.h"
#include "host/pool.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "qemu/caps.h"
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
#include <unistd.h>

static char *render(const char *path, const struct qemu_caps *caps)
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
    struct ql_error perr = QL_ERROR_INIT;
    /* a host with NUMA node 0 only, as tests/xml2argv/numa-nodes says */
    _cleanup_free_ char *nodes = tu_srcdir_path("tests/xml2argv/numa-nodes");
    if (host_pool_resolve_disks(d, &perr) < 0 || host_numa_check(d, nodes, &perr) < 0) {
        /* the pools' directory differs between build trees */
        const char *msg = ql_error_msg(&perr), *dir = getenv("QLAUNCH_POOL_DIR"), *at;
        sb_add(&sb, "host error: ");
        while ((at = strstr(msg, dir)) || (at = strstr(msg, nodes))) {
            bool pool = strncmp(at, dir, strlen(dir)) == 0;
            sb_addf(&sb, "%.*s%s", (int)(at - msg), msg, pool ? "$QLAUNCH_POOL_DIR"
                                                              : "/sys/devices/system/node");
            msg = at + strlen(pool ? dir : nodes);
        }
        sb_addf(&sb, "%s\n", msg);
        ql_error_clear(&perr);
        domain_free(d);
        return sb_steal(&sb);
    }
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .caps = caps};
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

static struct qemu_caps *load_caps(const char *rel)
{
    _cleanup_free_ char *path = tu_srcdir_path(rel);
    size_t len = 0;
    _cleanup_free_ char *text = tu_read_file(path, &len);
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    if (!text || qemu_caps_from_json(text, len, &c, &err) < 0) {
        fprintf(stderr, "cannot load %s: %s\n", path, text ? ql_error_msg(&err) : "unreadable");
        exit(99);
    }
    return c;
}

/* One case built with caps against the file want_path (fallback: the plain NAME.args when
 * want_path is missing). Returns whether it passed. */
static bool check_case(int num, const char *name, const char *xml, const struct qemu_caps *caps,
                       const char *label, const char *want_path, const char *fallback,
                       bool regen)
{
    _cleanup_free_ char *got = render(xml, caps);
    _cleanup_free_ char *again = render(xml, caps);
    if (strcmp(got, again) != 0) {
        printf("not ok %d - %s%s: two builds differ\n", num, name, label);
        return false;
    }
    _cleanup_free_ char *base = fallback ? tu_read_file(fallback, NULL) : NULL;
    if (regen) {
        /* A version's own file only when its argv differs from the plain one. */
        if (base && strcmp(base, got) == 0) {
            unlink(want_path);
            printf("ok %d - %s%s (same as %s)\n", num, name, label, fallback);
            return true;
        }
        FILE *f = fopen(want_path, "wb");
        if (!f || fputs(got, f) < 0 || fclose(f) != 0) {
            printf("not ok %d - %s%s: cannot write %s\n", num, name, label, want_path);
            return false;
        }
        printf("ok %d - %s%s (regenerated)\n", num, name, label);
        return true;
    }
    _cleanup_free_ char *want = tu_read_file(want_path, NULL);
    const char *wanted = want_path;
    if (!want && base) {
        want = steal_pointer(&base);
        wanted = fallback;
    }
    if (!want) {
        printf("not ok %d - %s%s: %s is missing (run with QLAUNCH_REGENERATE=1)\n", num, name,
               label, want_path);
        return false;
    }
    if (strcmp(want, got) != 0) {
        printf("not ok %d - %s%s: argv differs from %s\n", num, name, label, wanted);
        printf("# --- expected\n%s# --- got\n%s", want, got);
        return false;
    }
    printf("ok %d - %s%s\n", num, name, label);
    return true;
}

int main(void)
{
    bool regen = getenv("QLAUNCH_REGENERATE") && *getenv("QLAUNCH_REGENERATE") == '1';
    _cleanup_free_ char *dir = tu_srcdir_path("tests/xml2argv");
    /* <disk type='volume'> cases name the pools defined there */
    _cleanup_free_ char *pools = tu_srcdir_path("tests/xml2argv/pools");
    setenv("QLAUNCH_POOL_DIR", pools, 1);
    _cleanup_(qemu_caps_freep) struct qemu_caps *caps72 = load_caps("tests/caps/qemu-7.2.json");
    _cleanup_(qemu_caps_freep) struct qemu_caps *caps10 = load_caps("tests/caps/qemu-10.0.json");
    struct dirent **list;
    int n = scandir(dir, &list, filter_xml, alphasort);
    if (n < 0) {
        fprintf(stderr, "cannot read %s: %s\n", dir, strerror(errno));
        return 99;
    }
    int failed = 0;
    printf("1..%d\n", 3 * n);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        int stem = (int)(strlen(name) - 4);
        _cleanup_free_ char *xml = xasprintf("%s/%s", dir, name);
        _cleanup_free_ char *args = xasprintf("%s/%.*s.args", dir, stem, name);
        _cleanup_free_ char *args10 = xasprintf("%s/%.*s.qemu-10.0.args", dir, stem, name);
        failed += !check_case(3 * i + 1, name, xml, NULL, "", args, NULL, regen);
        /* 7.2's capabilities change nothing: NULL means "assume 7.2". */
        failed += !check_case(3 * i + 2, name, xml, caps72, " (QEMU 7.2 caps)", args, NULL,
                              false);
        failed += !check_case(3 * i + 3, name, xml, caps10, " (QEMU 10.0 caps)", args10, args,
                              regen);
        free(list[i]);
    }
    free(list);
    return failed ? 1 : 0;
}
