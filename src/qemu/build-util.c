/* The build context's helpers, used by every build-*.c file: errors that name the XML
 * element, notes, options, the fds the launcher passes, and the JSON property writer. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int qb_fail(struct qb_ctx *c, const struct dom_src *src, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    sb_add(&sb, src && src->path ? src->path : "domain");
    sb_add(&sb, ": ");
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    if (src && src->line > 0)
        sb_addf(&sb, " (line %d)", src->line);
    ql_error_set(c->err, EINVAL, "%s", sb_str(&sb));
    sb_free(&sb);
    return -EINVAL;
}

void qb_note(struct qb_ctx *c, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    c->r->notes = xrealloc(c->r->notes, (c->r->n_notes + 1) * sizeof(char *));
    c->r->notes[c->r->n_notes++] = sb_steal(&sb);
}

void qb_opt(struct qb_ctx *c, const char *opt, char *value_taken)
{
    argv_add(&c->r->argv, opt);
    if (value_taken)
        argv_take(&c->r->argv, value_taken);
}

int qb_add_fd(struct qb_ctx *c, enum qb_fd_kind kind, size_t dev_index, char *what_taken)
{
    int fd = kind == QB_FILE_NVRAM ? -1 : c->next_fd++;
    c->r->fds = xrealloc(c->r->fds, (c->r->n_fds + 1) * sizeof(*c->r->fds));
    c->r->fds[c->r->n_fds++] = (struct qb_fd){fd, kind, dev_index, what_taken};
    return fd;
}

const char *qb_iothread_id(char *buf, size_t len, unsigned id)
{
    snprintf(buf, len, "iothread%u", id);
    return buf;
}

const char *qb_virtio_driver(char *buf, size_t len, const char *base, enum dom_virtio_model m)
{
    snprintf(buf, len, "%s%s", base, m == DOM_VIRTIO_TRANSITIONAL ? "-transitional"
                                     : m == DOM_VIRTIO_NON_TRANSITIONAL ? "-non-transitional"
                                     : "");
    return buf;
}

void qj_begin(struct qj *j)
{
    j->sb = (struct strbuf)STRBUF_INIT;
    sb_addc(&j->sb, '{');
}

static void qj_key(struct qj *j, const char *k)
{
    if (j->sb.len > 1)
        sb_addc(&j->sb, ',');
    sb_add_json_string(&j->sb, k);
    sb_addc(&j->sb, ':');
}

void qj_str(struct qj *j, const char *k, const char *v)
{
    qj_key(j, k);
    sb_add_json_string(&j->sb, v);
}

void qj_int(struct qj *j, const char *k, long long v)
{
    qj_key(j, k);
    sb_addf(&j->sb, "%lld", v);
}

void qj_uint(struct qj *j, const char *k, unsigned long long v)
{
    qj_key(j, k);
    sb_addf(&j->sb, "%llu", v);
}

void qj_bool(struct qj *j, const char *k, bool v)
{
    qj_key(j, k);
    sb_add(&j->sb, v ? "true" : "false");
}

void qj_raw(struct qj *j, const char *k, const char *json)
{
    qj_key(j, k);
    sb_add(&j->sb, json);
}

char *qj_end(struct qj *j)
{
    sb_addc(&j->sb, '}');
    return sb_steal(&j->sb);
}
