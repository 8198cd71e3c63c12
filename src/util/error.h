/* The project's error object: library code fills it and returns -errno; only main and the
 * supervisor print it. An error has a text and, when it is about a place in the input, that
 * place (an XPath-like path and a line) as separate fields, so that a caller such as
 * `qlaunch validate` can report them without parsing the sentence. */
#pragma once
#include <stdarg.h>

struct ql_error {
    int code;       /* positive errno value, 0 when unset */
    char *msg;      /* the sentence without its place, no trailing newline; NULL when unset */
    char *where;    /* the place: "devices/disk[2]/target@bus"; NULL when none */
    int line;       /* line of the place in the input file; 0 when unknown */
    char *text;     /* private: ql_error_msg()'s "WHERE: MSG (line N)", NULL when unlocated */
};

#define QL_ERROR_INIT {0, NULL, NULL, 0, NULL}

/* Each setter sets err (if non-NULL and not already set: the first error wins) and returns
 * -code; a code <= 0 counts as EINVAL. */
int ql_error_set(struct ql_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ql_error_setv(struct ql_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* With a place: where NULL and line 0 mean "none", as with ql_error_set. */
int ql_error_set_at(struct ql_error *err, int code, const char *where, int line,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int ql_error_set_atv(struct ql_error *err, int code, const char *where, int line,
                     const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* A failed system call: the message gets ": <strerror(errnum)>" appended and the code is
 * errnum (a negative errnum, as library functions return, counts as -errnum). */
int ql_error_errno(struct ql_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ql_error_errno_at(struct ql_error *err, int errnum, const char *where, int line,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Gives a set error the place it is about (where NULL: none) unless it already has a where
 * or a line: the inner, more precise place wins. No-op on an unset error. */
void ql_error_locate(struct ql_error *err, const char *where, int line);
/* Prefixes the text with "prefix: ". A located error keeps its place in front:
 * "WHERE: PREFIX: MSG (line N)". */
void ql_error_prefix(struct ql_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ql_error_clear(struct ql_error *err);
/* The whole sentence for display, never NULL: "WHERE: MSG (line N)" when located (either
 * part may be absent), MSG otherwise, strerror(code) or "unknown error" as fallbacks.
 * Valid until err changes. */
const char *ql_error_msg(const struct ql_error *err);
