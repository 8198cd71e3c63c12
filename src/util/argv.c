#include "config.h"
#include "util/argv.h"
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void argv_take(struct argv *a, char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

void argv_add(struct argv *a, const char *s)
{
    argv_take(a, xstrdup(s));
}

void argv_addf(struct argv *a, const char *fmt, ...)
{
    char *s;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        abort();
    argv_take(a, s);
}

void argv_free(struct argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

void argv_render_shell(struct strbuf *sb, const struct argv *a, bool one_option_a_line)
{
    for (size_t i = 0; i < a->n; i++) {
        if (i > 0) {
            bool option = a->v[i][0] == '-' && a->v[i][1] != '\0';
            sb_add(sb, one_option_a_line && option ? " \\\n" : " ");
        }
        sb_add_shell_quoted(sb, a->v[i]);
    }
}
