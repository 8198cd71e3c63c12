/* validate --explain: the builder's recorded origins, element by element. */
#include "config.h"
#include "cmd-explain.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The path without "[N]" indices: origins of elements the builder knows only by line
 * ("clock/timer") match the parser's "clock/timer[2]" on the same line. */
static char *strip_indices(const char *p)
{
    struct strbuf sb = STRBUF_INIT;
    for (; *p; p++) {
        if (*p == '[') {
            while (*p && *p != ']')
                p++;
            if (!*p)
                break;
            continue;
        }
        sb_addc(&sb, *p);
    }
    return sb_steal(&sb);
}

static bool same_element(const char *a, int la, const char *b, int lb)
{
    if (strcmp(a, b) == 0)
        return true;
    if (la <= 0 || la != lb)
        return false;
    _cleanup_free_ char *sa = strip_indices(a), *sb = strip_indices(b);
    return strcmp(sa, sb) == 0;
}

/* The child element an origin's attribute names ("<serial>", "target@bus"), or NULL for
 * an attribute of the element itself; its length in *len. */
static const char *attr_child(const char *attr, size_t *len)
{
    if (!attr)
        return NULL;
    if (attr[0] == '<') {
        *len = strcspn(attr + 1, ">");
        return attr + 1;
    }
    const char *at = strchr(attr, '@');
    if (!at)
        return NULL;
    *len = (size_t)(at - attr);
    return attr;
}

/* Whether origin o is about element (path, line): the element itself (or one of its
 * attributes), or one of its children that an attribute names. */
static bool origin_is(const struct qb_origin *o, const char *path, int line)
{
    if (!o->path)
        return false;
    size_t clen = 0;
    const char *child = attr_child(o->attr, &clen);
    if (!child)
        return same_element(o->path, o->line, path, line);
    /* path must be o->path + "/" + child (with or without an index) */
    size_t plen = strlen(o->path);
    if (strncmp(path, o->path, plen) != 0 || path[plen] != '/')
        return false;
    const char *rest = path + plen + 1;
    return strncmp(rest, child, clen) == 0 && (rest[clen] == '\0' || rest[clen] == '[')
           && !strchr(rest, '/');
}

static void add_became(json_object *became, const struct qb_result *r,
                       const struct qb_explain *e, const char *prop, const char *why)
{
    json_object *b = json_object_new_object();
    json_object_object_add(b, "option", json_object_new_string(r->argv.v[e->arg]));
    json_object_object_add(b, "value", e->n_args > 1
                                       ? json_object_new_string(r->argv.v[e->arg + 1]) : NULL);
    json_object_object_add(b, "property", prop ? json_object_new_string(prop) : NULL);
    json_object_object_add(b, "reason", why ? json_object_new_string(why) : NULL);
    json_object_array_add(became, b);
}

/* Top-level elements honoured outside the command line, and how. */
static const char *supervisor_role(const char *path)
{
    static const char *const roles[][2] = {
        {"on_poweroff", "the supervisor's policy when the guest powers off (docs/lifecycle.md)"},
        {"on_reboot", "the supervisor's policy when the guest reboots (docs/lifecycle.md)"},
        {"on_crash", "the supervisor's policy when the guest panics (docs/lifecycle.md)"},
        {"cputune", "the supervisor pins QEMU's threads after start"},
        {"seclabel", "the user QEMU runs as and the files made accessible to it "
                     "(docs/security.md)"},
        {"currentMemory", "the supervisor sets it with QMP 'balloon' after start"},
        {"title", "ignored by design"},
        {"description", "ignored by design"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
        if (strcmp(path, roles[i][0]) == 0)
            return roles[i][1];
    return NULL;
}

/* The error of diags about (path, line): where is the path, maybe with "@attr". */
static const struct dom_diag *refusal(const struct dom_diags *g, const char *path, int line)
{
    for (size_t i = 0; g && i < g->n; i++) {
        const struct dom_diag *d = &g->v[i];
        if (d->level != DOM_DIAG_ERROR || !d->where)
            continue;
        _cleanup_free_ char *w = strndup(d->where, strcspn(d->where, "@"));
        if (w && same_element(w, d->line, path, line))
            return d;
    }
    return NULL;
}

json_object *explain_elements(const struct dom_elems *els, const struct qb_result *r,
                              const struct dom_diags *g)
{
    json_object *a = json_object_new_array();
    const char *part_of = NULL;     /* the nearest ancestor with options */
    int part_depth = -1, part_line = 0;
    for (size_t i = 0; i < els->n; i++) {
        const struct dom_elem *el = &els->v[i];
        if (el->depth <= part_depth)
            part_of = NULL, part_depth = -1;
        json_object *e = json_object_new_object(), *became = json_object_new_array();
        json_object_object_add(e, "path", json_object_new_string(el->path));
        json_object_object_add(e, "line", json_object_new_int(el->line));
        for (size_t k = 0; r && k < r->n_explain; k++) {
            const struct qb_explain *x = &r->explain[k];
            if (origin_is(&x->from, el->path, el->line))
                add_became(became, r, x, NULL, x->from.why);
            for (size_t p = 0; p < x->n_props; p++)
                if (origin_is(&x->props[p].from, el->path, el->line))
                    add_became(became, r, x, x->props[p].name, x->props[p].from.why);
        }
        const char *outcome, *msg = NULL;
        _cleanup_free_ char *part_msg = NULL;
        const struct dom_diag *ref = refusal(g, el->path, el->line);
        const char *role = el->depth == 1 ? supervisor_role(el->path) : NULL;
        if (ref) {
            outcome = "refused";
            msg = ref->msg;
        } else if (json_object_array_length(became) > 0) {
            outcome = "options";
            msg = role;
        } else if (el->ignored || (role && strcmp(role, "ignored by design") == 0)) {
            outcome = "ignored";
            msg = "ignored by design (docs/xml-support.md)";
        } else if (role) {
            outcome = "supervisor";
            msg = role;
        } else if (i + 1 < els->n && els->v[i + 1].depth > el->depth && !part_of) {
            outcome = "accepted";
            msg = "read with the elements it contains (below)";
        } else if (part_of) {
            outcome = "part";
            msg = part_msg = xasprintf("part of %s (line %d)", part_of, part_line);
        } else if (!r) {
            outcome = "unbuilt";
            msg = "read; no command line was built, as the domain is refused";
        } else {
            outcome = "accepted";
            msg = "accepted; no option of its own";
        }
        json_object_object_add(e, "became", became);
        json_object_object_add(e, "outcome", json_object_new_string(outcome));
        json_object_object_add(e, "message", msg ? json_object_new_string(msg) : NULL);
        json_object_array_add(a, e);
        if (!part_of && json_object_array_length(became) > 0 && el->depth > 0) {
            part_of = el->path;
            part_depth = el->depth;
            part_line = el->line;
        }
    }
    return a;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

void explain_elements_print(FILE *f, json_object *elements)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < json_object_array_length(elements); i++) {
        json_object *e = json_object_array_get_idx(elements, i), *became, *line;
        json_object_object_get_ex(e, "became", &became);
        json_object_object_get_ex(e, "line", &line);
        sb_addf(&sb, "%s (line %d)\n", jstr(e, "path"), json_object_get_int(line));
        for (size_t k = 0; k < json_object_array_length(became); k++) {
            json_object *b = json_object_array_get_idx(became, k);
            const char *val = jstr(b, "value"), *prop = jstr(b, "property");
            const char *why = jstr(b, "reason");
            sb_add(&sb, "    \u2192 ");
            if (why)
                sb_add(&sb, "qlaunch adds ");
            if (prop)
                sb_addf(&sb, "%s of ", prop);
            sb_add(&sb, jstr(b, "option"));
            if (val) {
                sb_addc(&sb, ' ');
                sb_add_shell_quoted(&sb, val);
            }
            if (why)
                sb_addf(&sb, ": %s", why);
            sb_addc(&sb, '\n');
        }
        const char *outcome = jstr(e, "outcome"), *msg = jstr(e, "message");
        if (strcmp(outcome, "refused") == 0)
            sb_addf(&sb, "    refused: %s\n", msg);
        else if (msg)
            sb_addf(&sb, "    %s\n", msg);
    }
    fwrite(sb.s, 1, sb.len, f);
    sb_free(&sb);
}
