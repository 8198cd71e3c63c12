#include "config.h"
#include "util/error.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ql_error_msg() returns a const string, so the located form is built whenever the parts
 * change rather than on demand. */
static void error_format(struct ql_error *err)
{
    free(err->text);
    err->text = NULL;
    if (!err->msg || (!err->where && err->line <= 0))
        return;
    struct strbuf sb = STRBUF_INIT;
    if (err->where)
        sb_addf(&sb, "%s: ", err->where);
    sb_add(&sb, err->msg);
    if (err->line > 0)
        sb_addf(&sb, " (line %d)", err->line);
    err->text = sb_steal(&sb);
}

/* The one setter every other one ends in. errnum > 0 appends its strerror. */
static int error_setv(struct ql_error *err, int code, const char *where, int line, int errnum,
                      const char *fmt, va_list ap)
{
    if (code <= 0)
        code = EINVAL;
    if (!err || err->msg)
        return -code;
    struct strbuf sb = STRBUF_INIT;
    sb_vaddf(&sb, fmt, ap);
    if (errnum > 0)
        sb_addf(&sb, ": %s", strerror(errnum));
    err->code = code;
    err->msg = sb_steal(&sb);
    err->where = where ? xstrdup(where) : NULL;
    err->line = line > 0 ? line : 0;
    error_format(err);
    return -code;
}

int ql_error_setv(struct ql_error *err, int code, const char *fmt, va_list ap)
{
    return error_setv(err, code, NULL, 0, 0, fmt, ap);
}

int ql_error_set(struct ql_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = error_setv(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return r;
}

int ql_error_set_atv(struct ql_error *err, int code, const char *where, int line,
                     const char *fmt, va_list ap)
{
    return error_setv(err, code, where, line, 0, fmt, ap);
}

int ql_error_set_at(struct ql_error *err, int code, const char *where, int line,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = error_setv(err, code, where, line, 0, fmt, ap);
    va_end(ap);
    return r;
}

static int errno_code(int errnum)
{
    if (errnum < 0)
        errnum = -errnum;
    return errnum ? errnum : EINVAL;
}

int ql_error_errno(struct ql_error *err, int errnum, const char *fmt, ...)
{
    int code = errno_code(errnum);
    va_list ap;
    va_start(ap, fmt);
    int r = error_setv(err, code, NULL, 0, code, fmt, ap);
    va_end(ap);
    return r;
}

int ql_error_errno_at(struct ql_error *err, int errnum, const char *where, int line,
                      const char *fmt, ...)
{
    int code = errno_code(errnum);
    va_list ap;
    va_start(ap, fmt);
    int r = error_setv(err, code, where, line, code, fmt, ap);
    va_end(ap);
    return r;
}

void ql_error_locate(struct ql_error *err, const char *where, int line)
{
    if (!err || !err->msg || err->where || err->line > 0 || !where)
        return;
    err->where = xstrdup(where);
    err->line = line > 0 ? line : 0;
    error_format(err);
}

void ql_error_prefix(struct ql_error *err, const char *fmt, ...)
{
    if (!err || !err->msg)
        return;
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    sb_addf(&sb, ": %s", err->msg);
    free(err->msg);
    err->msg = sb_steal(&sb);
    error_format(err);
}

void ql_error_clear(struct ql_error *err)
{
    if (!err)
        return;
    free(err->msg);
    free(err->where);
    free(err->text);
    *err = (struct ql_error)QL_ERROR_INIT;
}

const char *ql_error_msg(const struct ql_error *err)
{
    if (err && err->text)
        return err->text;
    if (err && err->msg)
        return err->msg;
    if (err && err->code)
        return strerror(err->code);
    return "unknown error";
}
