/* The build context's helpers, used by every build-*.c file: errors that name the XML
 * element, notes, options, the fds the launcher passes, and the JSON property writer. */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"
#include "util/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

int qb_fail(struct qb_ctx *c, const struct dom_src *src, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = ql_error_set_atv(c->err, EINVAL, src && src->path ? src->path : "domain",
                             src ? src->line : 0, fmt, ap);
    va_end(ap);
    return r;
}

int qb_run_socket(struct qb_ctx *c, const struct dom_src *src, const char *what,
                  const char *file, const char *hint, char **ret_path)
{
    *ret_path = NULL;
    const char *why = dom_path_component_error(file);
    if (why) {
        bool show = !dom_has_control_char(file);
        return qb_fail(c, src, "%s%s%s%s %s, so it cannot name a socket in the run directory; "
                       "give %s", what, show ? " '" : "", show ? file : "", show ? "'" : "", why,
                       hint);
    }
    char *path = xasprintf("%s/%s", c->qemu_dir, file);
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        int r = qb_fail(c, src, "the socket path '%s' is %zu bytes, more than the %zu a unix "
                        "socket path can have; give %s", path, strlen(path),
                        sizeof(sa.sun_path) - 1, hint);
        free(path);
        return r;
    }
    *ret_path = path;
    return 0;
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

struct qb_from qb_feature(const struct qb_ctx *c, enum dom_feature f, const char *why_absent)
{
    static const char *const paths[DOM_FEAT_MAX] = {
        "features/acpi", "features/apic", "features/pae", "features/hap", "features/pmu",
        "features/vmport", "features/smm", "features/pvspinlock", "features/vmcoreinfo",
        "features/ps2", "features/kvm/hidden", "features/kvm/hint-dedicated",
        "features/kvm/poll-control", "features/kvm/pv-ipi", "features/kvm/dirty-ring"};
    int line = c->d->features.lines[f];
    if (!line && why_absent)
        return QB_WHY(why_absent);
    return QB_AT(paths[f], line, NULL);
}

static struct qb_origin origin_dup(struct qb_from f)
{
    return (struct qb_origin){f.path ? xstrdup(f.path) : NULL, f.line,
                              f.attr ? xstrdup(f.attr) : NULL, f.why ? xstrdup(f.why) : NULL};
}

/* The option about to be added at argv index arg takes the pending properties. */
static void explain_add(struct qb_ctx *c, struct qb_from from, size_t n_args)
{
    struct qb_result *r = c->r;
    r->explain = xrealloc(r->explain, (r->n_explain + 1) * sizeof(*r->explain));
    r->explain[r->n_explain++] = (struct qb_explain){
        .arg = r->argv.n, .n_args = n_args, .from = origin_dup(from),
        .props = c->props, .n_props = c->n_props};
    c->props = NULL;
    c->n_props = 0;
}

void qb_prop_record(struct qb_ctx *c, const char *name, struct qb_from from)
{
    c->props = xrealloc(c->props, (c->n_props + 1) * sizeof(*c->props));
    c->props[c->n_props++] = (struct qb_explain_prop){xstrdup(name), origin_dup(from)};
}

void qb_opt(struct qb_ctx *c, struct qb_from from, const char *opt, char *value_taken)
{
    if (c->o->explain)
        explain_add(c, from, value_taken ? 2 : 1);
    argv_add(&c->r->argv, opt);
    if (value_taken)
        argv_take(&c->r->argv, value_taken);
}

void qb_arg(struct qb_ctx *c, struct qb_from from, const char *arg)
{
    if (c->o->explain)
        explain_add(c, from, 1);
    argv_add(&c->r->argv, arg);
}

void qb_origin_free(struct qb_origin *o)
{
    free(o->path);
    free(o->attr);
    free(o->why);
}

void qb_explain_props_free(struct qb_explain_prop *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        qb_origin_free(&p[i].from);
    }
    free(p);
}

/* Members of a -device object that are not qdev properties of the driver. */
static bool not_a_property(const char *k)
{
    return STREQ(k, "driver") || STREQ(k, "id") || STREQ(k, "bus");
}

int qb_device(struct qb_ctx *c, struct qb_from from, struct qj *j)
{
    const struct qemu_caps *caps = c->o->caps;
    const struct dom_src at = {(char *)from.path, from.line}, *src = from.path ? &at : NULL;
    int r = 0;
    if (caps) {
        /* Checked on the object being written: no second parse of the text. */
        const char *drv = ql_json_str(j->o, "driver", "");
        const struct qemu_device_props *dp = qemu_caps_device(caps, drv);
        if (!dp && !qemu_caps_has_type(caps, drv)) {
            _cleanup_free_ char *qemu = qemu_caps_describe(caps);
            r = qb_fail(c, src, "%s (%s) has no device model '%s'", qemu, c->r->argv.v[0], drv);
        } else if (dp) {
            json_object_object_foreach(j->o, k, v) {
                (void)v;
                if (!not_a_property(k) && !qemu_caps_props_have(dp, k)) {
                    _cleanup_free_ char *qemu = qemu_caps_describe(caps);
                    r = qb_fail(c, src, "%s (%s) has no property '%s' for device model '%s'",
                                qemu, c->r->argv.v[0], k, drv);
                    break;
                }
            }
        }
        if (r < 0)
            c->caps_failed = true;
    }
    /* after the check: what <qemu:override> sets is the user's, unchecked */
    if (c->override_used)
        qb_override_device(c, j->o);
    qb_opt(c, from, "-device", qj_end(j));
    return r;
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

/* The -device/-blockdev/-object values are built with json-c (members in the order added);
 * plain output without slash escaping, as QEMU's own JSON syntax reads. */
void qj_begin(struct qj *j)
{
    j->o = json_object_new_object();
}

void qj_str(struct qj *j, const char *k, const char *v)
{
    json_object_object_add(j->o, k, json_object_new_string(v));
}

void qj_int(struct qj *j, const char *k, long long v)
{
    json_object_object_add(j->o, k, json_object_new_int64(v));
}

void qj_uint(struct qj *j, const char *k, unsigned long long v)
{
    json_object_object_add(j->o, k, json_object_new_uint64(v));
}

void qj_bool(struct qj *j, const char *k, bool v)
{
    json_object_object_add(j->o, k, json_object_new_boolean(v));
}

void qj_obj(struct qj *j, const char *k, struct qj *member)
{
    json_object_object_add(j->o, k, member->o);
    member->o = NULL;
}

char *qj_end(struct qj *j)
{
    char *s = xstrdup(json_object_to_json_string_ext(j->o, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j->o);
    j->o = NULL;
    return s;
}

void qj_rom(struct qj *j, const char *file, enum dom_tristate bar, enum dom_tristate enabled)
{
    if (bar != DOM_TRI_DEFAULT)
        qj_uint(j, "rombar", bar == DOM_TRI_ON);
    if (enabled == DOM_TRI_OFF)
        qj_str(j, "romfile", "");
    else if (file)
        qj_str(j, "romfile", file);
}
