/* A NULL-terminated argument vector under construction, and its rendering as a shell
 * command line (for logs and `qlaunch argv`). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct argv {
    char **v;       /* always NULL-terminated once anything was added */
    size_t n, cap;
};

#define ARGV_INIT {NULL, 0, 0}

void argv_add(struct argv *a, const char *s);
void argv_addf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_take(struct argv *a, char *s);   /* takes ownership of s */
void argv_free(struct argv *a);

struct strbuf;
/* Appends the vector as a POSIX shell command line, each argument quoted when it needs it.
 * one_option_a_line: every option (an argument starting with '-') after the first argument
 * goes on a line of its own, after " \\", as `qlaunch argv` prints it; else one line. */
void argv_render_shell(struct strbuf *sb, const struct argv *a, bool one_option_a_line);
