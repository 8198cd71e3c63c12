/* A NULL-terminated argument vector under construction. */
#pragma once
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
