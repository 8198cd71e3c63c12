/* Growable NUL-terminated string. Allocation failure aborts (as glib does). */
#pragma once
#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *s;
    size_t len, cap;
};

#define STRBUF_INIT {NULL, 0, 0}

void sb_add(struct strbuf *sb, const char *s);
void sb_addn(struct strbuf *sb, const char *s, size_t n);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s with every ',' doubled, for QEMU key=value option strings. */
void sb_add_comma_escaped(struct strbuf *sb, const char *s);
/* Appends s quoted for a POSIX shell when it needs quoting. */
void sb_add_shell_quoted(struct strbuf *sb, const char *s);
void sb_reset(struct strbuf *sb);
/* Returns the string (never NULL) and leaves sb empty. */
char *sb_steal(struct strbuf *sb);
void sb_free(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
