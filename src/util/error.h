/* The project's error object: library code fills it with one whole sentence and
 * returns -errno; only main and the supervisor print it. */
#pragma once
#include <stdarg.h>

struct ql_error {
    int code;       /* positive errno value, 0 when unset */
    char *msg;      /* one sentence, no trailing newline; NULL when unset */
};

#define QL_ERROR_INIT {0, NULL}

/* Sets err (if non-NULL and not already set) and returns -code. */
int ql_error_set(struct ql_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ql_error_setv(struct ql_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Prefixes an existing message with "prefix: ". */
void ql_error_prefix(struct ql_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ql_error_clear(struct ql_error *err);
/* "unknown error" style fallback that is never NULL. */
const char *ql_error_msg(const struct ql_error *err);
