#include "config.h"
#include "util/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ql_error_setv(struct ql_error *err, int code, const char *fmt, va_list ap)
{
    if (code <= 0)
        code = EINVAL;
    if (!err || err->msg)
        return -code;
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    err->code = code;
    err->msg = s;
    return -code;
}

int ql_error_set(struct ql_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = ql_error_setv(err, code, fmt, ap);
    va_end(ap);
    return r;
}

void ql_error_prefix(struct ql_error *err, const char *fmt, ...)
{
    if (!err || !err->msg)
        return;
    char *p = NULL, *n = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    if (asprintf(&n, "%s: %s", p, err->msg) >= 0) {
        free(err->msg);
        err->msg = n;
    }
    free(p);
}

void ql_error_clear(struct ql_error *err)
{
    if (!err)
        return;
    free(err->msg);
    err->msg = NULL;
    err->code = 0;
}

const char *ql_error_msg(const struct ql_error *err)
{
    if (err && err->msg)
        return err->msg;
    if (err && err->code)
        return strerror(err->code);
    return "unknown error";
}
