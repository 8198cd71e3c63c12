/* The text form of a build result, shared by `qlaunch argv` and the golden tests. */
#include "config.h"
#include "qemu/build.h"
#include "util/strbuf.h"

#include <json-c/json.h>

#include <string.h>

void qb_result_render(struct strbuf *sb, const struct qb_result *r)
{
    /* <qemu:env> first, as libvirt's .args files show the environment */
    for (size_t i = 0; i < r->n_env; i++) {
        const char *eq = strchr(r->env[i], '=');
        sb_addf(sb, "%.*s=", (int)(eq - r->env[i]), r->env[i]);
        sb_add_shell_quoted(sb, eq + 1);
        sb_add(sb, " \\\n");
    }
    argv_render_shell(sb, &r->argv, true);
    sb_addc(sb, '\n');
    for (size_t i = 0; i < r->n_fds; i++) {
        const struct qb_fd *f = &r->fds[i];
        if (f->fd >= 0)
            sb_addf(sb, "# fd %d (%s): %s\n", f->fd, qb_fd_kind_to_string(f->kind), f->what);
        else
            sb_addf(sb, "# file (%s): %s\n", qb_fd_kind_to_string(f->kind), f->what);
    }
    for (size_t i = 0; i < r->n_notes; i++)
        sb_addf(sb, "# note: %s\n", r->notes[i]);
}

/* "devices/disk[1] (line 23): target@bus", "qlaunch: WHY", or "qlaunch: WHY <- devices/input
 * (line 40)" for what qlaunch adds because of an element. */
static void origin_text(struct strbuf *sb, const struct qb_origin *o)
{
    if (o->why)
        sb_addf(sb, "qlaunch: %s", o->why);
    if (o->path) {
        sb_addf(sb, "%s%s", o->why ? " \u2190 " : "", o->path);
        if (o->line > 0)
            sb_addf(sb, " (line %d)", o->line);
        if (o->attr)
            sb_addf(sb, ": %s", o->attr);
    }
    if (!o->why && !o->path)
        sb_add(sb, "(no origin recorded)");
}

void qb_explain_render(struct strbuf *sb, const struct qb_result *r)
{
    for (size_t i = 0; i < r->n_explain; i++) {
        const struct qb_explain *e = &r->explain[i];
        for (size_t k = 0; k < e->n_args && e->arg + k < r->argv.n; k++) {
            if (k)
                sb_addc(sb, ' ');
            sb_add_shell_quoted(sb, r->argv.v[e->arg + k]);
        }
        sb_add(sb, "\n    \u2190 ");
        origin_text(sb, &e->from);
        sb_addc(sb, '\n');
        for (size_t k = 0; k < e->n_props; k++) {
            sb_addf(sb, "    %s \u2190 ", e->props[k].name);
            origin_text(sb, &e->props[k].from);
            sb_addc(sb, '\n');
        }
    }
    for (size_t i = 0; i < r->n_notes; i++)
        sb_addf(sb, "# note: %s\n", r->notes[i]);
}

json_object *qb_origin_json(const struct qb_origin *o)
{
    if (!o->path)
        return NULL;
    json_object *f = json_object_new_object();
    json_object_object_add(f, "path", json_object_new_string(o->path));
    json_object_object_add(f, "line", o->line > 0 ? json_object_new_int(o->line) : NULL);
    json_object_object_add(f, "attribute", o->attr ? json_object_new_string(o->attr) : NULL);
    return f;
}

static void add_origin(json_object *j, const struct qb_origin *o)
{
    json_object_object_add(j, "from", qb_origin_json(o));
    json_object_object_add(j, "reason", o->why ? json_object_new_string(o->why) : NULL);
}

json_object *qb_explain_json(const struct qb_result *r)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < r->n_explain; i++) {
        const struct qb_explain *e = &r->explain[i];
        json_object *j = json_object_new_object();
        const char *opt = e->arg < r->argv.n ? r->argv.v[e->arg] : "";
        const char *val = e->n_args > 1 && e->arg + 1 < r->argv.n ? r->argv.v[e->arg + 1] : NULL;
        json_object_object_add(j, "option", json_object_new_string(opt));
        json_object_object_add(j, "value", val ? json_object_new_string(val) : NULL);
        add_origin(j, &e->from);
        json_object *props = json_object_new_array();
        for (size_t k = 0; k < e->n_props; k++) {
            json_object *p = json_object_new_object();
            json_object_object_add(p, "name", json_object_new_string(e->props[k].name));
            add_origin(p, &e->props[k].from);
            json_object_array_add(props, p);
        }
        json_object_object_add(j, "properties", props);
        json_object_array_add(a, j);
    }
    return a;
}
