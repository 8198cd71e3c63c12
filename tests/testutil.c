#include "config.h"
#include "tests/testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/fileio.h"
#include "util/strbuf.h"

/* Test inputs are small; the parser's own limit is the one that matters. */
#define TU_FILE_MAX (64u * 1024 * 1024)

int tu_parse(const char *xml, struct domain **ret, struct dom_diags *diags)
{
    dom_diags_free(diags);
    return dom_parse_memory(xml, strlen(xml), "test.xml", ret, diags);
}

struct domain *tu_domain(const char *xml)
{
    struct domain *d = NULL;
    struct dom_diags g = {0};
    if (tu_parse(xml, &d, &g) != 0) {
        tu_print_diags(&g);
        dom_diags_free(&g);
        fail_msg("expected the XML to parse:\n%s", xml);
    }
    dom_diags_free(&g);
    return d;
}

struct domain *tu_domainf(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    struct domain *d = tu_domain(sb_str(&sb));
    sb_free(&sb);
    return d;
}

void tu_print_diags(const struct dom_diags *g)
{
    print_message("%zu diagnostic(s):\n", g->n);
    for (size_t i = 0; i < g->n; i++) {
        char *s = dom_diag_format(&g->v[i]);
        print_message("  %s: %s\n", dom_diag_level_to_string(g->v[i].level), s);
        free(s);
    }
}

/* The first diagnostic at level (-1: any) whose formatted text equals text, or contains it. */
static const struct dom_diag *find(const struct dom_diags *g, int level, const char *text,
                                   bool contains)
{
    for (size_t i = 0; i < g->n; i++) {
        if (level >= 0 && (int)g->v[i].level != level)
            continue;
        char *s = dom_diag_format(&g->v[i]);
        bool hit = contains ? strstr(s, text) != NULL : strcmp(s, text) == 0;
        free(s);
        if (hit)
            return &g->v[i];
    }
    return NULL;
}

const struct dom_diag *tu_find_diag(const struct dom_diags *g, int level, const char *text)
{
    return find(g, level, text, false);
}

const struct dom_diag *tu_find_diag_containing(const struct dom_diags *g, const char *needle)
{
    return find(g, -1, needle, true);
}

char *tu_srcdir_path(const char *rel)
{
    const char *src = getenv("QLAUNCH_TEST_SRCDIR");
    return xasprintf("%s/%s", src && *src ? src : ".", rel);
}

char *tu_read_file(const char *path, size_t *ret_len)
{
    char *data = NULL;
    return ql_read_file(path, TU_FILE_MAX, &data, ret_len, NULL) < 0 ? NULL : data;
}

char *tu_qlaunch_path(void)
{
    const char *env = getenv("QLAUNCH");
    if (env && *env)
        return xstrdup(env);
    /* this program is BUILDDIR/tests/DIR/NAME */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(exe, '/');
        assert_non_null(slash);
        *slash = '\0';
    }
    return xasprintf("%s/qlaunch", exe);
}
