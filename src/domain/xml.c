/* XML helpers that mark consumption; see xml.h. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libxml2 leaves _private to the application; it holds bits, not a pointer. PX_USED: the
 * node was consumed. For elements, once px_path() needed it: the 1-based index among the
 * element siblings of the same name (from PX_IDX_SHIFT up) and PX_REPEATED when there are
 * several. Caching the index keeps paths linear: counting siblings for each of 100,000
 * <vcpupin> or unknown elements is quadratic. */
#define PX_USED 1u
#define PX_REPEATED 2u
#define PX_IGNORED 4u           /* the top of a subtree px_ignore() consumed */
#define PX_IDX_SHIFT 3

static uintptr_t priv(const xmlNode *n)
{
    return (uintptr_t)n->_private;
}

static void set_priv(xmlNode *n, uintptr_t v)
{
    n->_private = (void *)v;
}

void px_use(xmlNode *n)
{
    if (n)
        set_priv(n, priv(n) | PX_USED);
}

bool px_used(const xmlNode *n)
{
    return n && (priv(n) & PX_USED);
}

static void ignore_tree(xmlNode *n)
{
    px_use(n);
    if (n->type == XML_ELEMENT_NODE) {
        for (xmlAttr *a = n->properties; a; a = a->next)
            px_use((xmlNode *)a);
    }
    for (xmlNode *c = n->children; c; c = c->next)
        ignore_tree(c);
}

void px_ignore(xmlNode *n)
{
    if (!n)
        return;
    ignore_tree(n);
    set_priv(n, priv(n) | PX_IGNORED);
}

static void collect(xmlNode *n, int depth, bool ignored, struct dom_elems *out)
{
    for (xmlNode *c = n->children; c && depth <= DOM_XML_MAX_DEPTH; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        bool ign = ignored || (priv(c) & PX_IGNORED);
        out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = (struct dom_elem){px_path(c), (int)xmlGetLineNo(c), depth, ign};
        collect(c, depth + 1, ign, out);
    }
}

void px_collect_elems(xmlNode *root, struct dom_elems *out)
{
    out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
    out->v[out->n++] = (struct dom_elem){xstrdup("domain"), (int)xmlGetLineNo(root), 0, false};
    collect(root, 1, false, out);
}

static bool is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns == NULL &&
           (!name || strcmp((const char *)n->name, name) == 0);
}

static const char *elem_name(const xmlNode *n)
{
    return (const char *)n->name;
}

static bool same_name(const xmlNode *a, const xmlNode *b)
{
    return a->type == XML_ELEMENT_NODE && strcmp(elem_name(a), elem_name(b)) == 0;
}

/* Numbers all the element siblings named like c, the first time one of them needs it. */
static void index_siblings(xmlNode *c)
{
    if (priv(c) >> PX_IDX_SHIFT)
        return;
    uintptr_t total = 0;
    for (xmlNode *s = c->parent->children; s; s = s->next)
        if (same_name(s, c))
            set_priv(s, (priv(s) & (PX_USED | PX_IGNORED)) | (++total << PX_IDX_SHIFT));
    for (xmlNode *s = c->parent->children; s && total > 1; s = s->next)
        if (same_name(s, c))
            set_priv(s, priv(s) | PX_REPEATED);
}

char *px_path(const xmlNode *n)
{
    const xmlNode *chain[DOM_XML_MAX_DEPTH + 2];
    size_t depth = 0;
    for (const xmlNode *c = n; c && c->type == XML_ELEMENT_NODE && c->parent &&
                               c->parent->type == XML_ELEMENT_NODE;
         c = c->parent) {
        if (depth == ARRAY_SIZE(chain))
            break;
        index_siblings((xmlNode *)c);   /* a cache in the node, not a change of the tree */
        chain[depth++] = c;
    }
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = depth; i-- > 0;) {
        const xmlNode *c = chain[i];
        if (sb.len)
            sb_addc(&sb, '/');
        if (c->ns && c->ns->prefix)
            sb_addf(&sb, "%s:", (const char *)c->ns->prefix);
        sb_add(&sb, elem_name(c));
        if (priv(c) & PX_REPEATED)
            sb_addf(&sb, "[%zu]", (size_t)(priv(c) >> PX_IDX_SHIFT));
    }
    if (!sb.len)
        sb_add(&sb, n && n->type == XML_ELEMENT_NODE ? elem_name(n) : "domain");
    return sb_steal(&sb);
}

static void vdiag(struct dom_diags *d, enum dom_diag_level lvl, const xmlNode *n,
                  const char *attr, const char *fmt, va_list ap)
{
    if (dom_diags_omit(d, lvl))
        return;     /* px_path() walks the siblings: not for thousands of dropped ones */
    _cleanup_free_ char *path = px_path(n);
    _cleanup_free_ char *where = attr ? xasprintf("%s@%s", path, attr) : xstrdup(path);
    struct strbuf sb = STRBUF_INIT;
    sb_vaddf(&sb, fmt, ap);
    dom_diags_add(d, lvl, where, n ? (int)xmlGetLineNo((xmlNode *)n) : 0, "%s", sb_str(&sb));
    sb_free(&sb);
}

void px_err(struct px *p, const xmlNode *n, const char *attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(p->diags, DOM_DIAG_ERROR, n, attr, fmt, ap);
    va_end(ap);
}

void px_warn(struct px *p, const xmlNode *n, const char *attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(p->diags, DOM_DIAG_WARNING, n, attr, fmt, ap);
    va_end(ap);
}

void px_note(struct px *p, const xmlNode *n, const char *attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(p->diags, DOM_DIAG_NOTE, n, attr, fmt, ap);
    va_end(ap);
}

void px_err_src(struct dom_diags *d, const struct dom_src *s, const char *sub, const char *fmt,
                ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    const char *path = s && s->path ? s->path : "domain";
    _cleanup_free_ char *where = sub ? xasprintf("%s%s", path, sub) : xstrdup(path);
    dom_diags_add(d, DOM_DIAG_ERROR, where, s ? s->line : 0, "%s", sb_str(&sb));
    sb_free(&sb);
}

void px_attr_uuid(struct px *p, xmlNode *n, const char *name, char **ret)
{
    const char *s = px_attr(n, name);
    unsigned char u[16];
    if (!s)
        return;
    if (dom_parse_uuid(s, u) < 0)
        px_err(p, n, name, "'%s' is not a valid UUID", s);
    else
        *ret = xstrdup(s);
}

void px_src(struct dom_src *s, const xmlNode *n)
{
    free(s->path);
    s->path = px_path(n);
    s->line = (int)xmlGetLineNo((xmlNode *)n);
}

xmlNode *px_next(xmlNode *parent, xmlNode *prev, const char *name)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = prev ? prev->next : parent->children; c; c = c->next) {
        if (is_elem(c, name)) {
            px_use(c);
            return c;
        }
    }
    return NULL;
}

xmlNode *px_next_elem(xmlNode *parent, xmlNode *prev)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = prev ? prev->next : parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

size_t px_count(xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (is_elem(c, name))
            n++;
    return n;
}

xmlNode *px_child(struct px *p, xmlNode *parent, const char *name)
{
    xmlNode *first = px_next(parent, NULL, name);
    if (!first)
        return NULL;
    for (xmlNode *dup = first; (dup = px_next(parent, dup, name));) {
        px_err(p, dup, NULL, "element <%s> may appear only once here", name);
        px_ignore(dup);   /* one message for the duplicate, not one per attribute */
    }
    return first;
}

const char *px_attr(xmlNode *n, const char *name)
{
    if (!n)
        return NULL;
    xmlAttr *a = xmlHasNsProp(n, (const xmlChar *)name, NULL);
    if (!a)
        return NULL;
    px_use((xmlNode *)a);
    if (!a->children || !a->children->content || !*a->children->content)
        return NULL;
    return (const char *)a->children->content;
}

char *px_attr_dup(xmlNode *n, const char *name)
{
    return xstrdup(px_attr(n, name));
}

char *px_text(xmlNode *n)
{
    if (!n)
        return NULL;
    px_use(n);
    struct strbuf sb = STRBUF_INIT;
    for (xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            px_use(c);
            if (c->content)
                sb_add(&sb, (const char *)c->content);
        }
    }
    char *s = sb_steal(&sb);
    char *b = s;
    while (*b && isspace((unsigned char)*b))
        b++;
    size_t l = strlen(b);
    while (l && isspace((unsigned char)b[l - 1]))
        l--;
    char *r = xstrndup(b, l);
    free(s);
    return r;
}

char *px_child_text(struct px *p, xmlNode *parent, const char *name)
{
    xmlNode *c = px_child(p, parent, name);
    if (!c)
        return NULL;
    char *t = px_text(c);
    if (!*t) {
        free(t);
        return NULL;
    }
    return t;
}

static int parse_ull(const char *s, unsigned long long *ret)
{
    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end)
        return -1;
    *ret = v;
    return 0;
}

int px_attr_ull(struct px *p, xmlNode *n, const char *name, unsigned long long *ret)
{
    const char *v = px_attr(n, name);
    if (!v)
        return 0;
    if (parse_ull(v, ret) < 0) {
        px_err(p, n, name, "'%s' is not a valid non-negative integer", v);
        return -1;
    }
    return 1;
}

int px_attr_uint(struct px *p, xmlNode *n, const char *name, unsigned *ret)
{
    const char *v = px_attr(n, name);
    unsigned long long u;
    if (!v)
        return 0;
    if (parse_ull(v, &u) < 0 || u > UINT_MAX) {
        px_err(p, n, name, "'%s' is not a valid non-negative integer", v);
        return -1;
    }
    *ret = (unsigned)u;
    return 1;
}

int px_attr_int(struct px *p, xmlNode *n, const char *name, int *ret)
{
    const char *v = px_attr(n, name);
    if (!v)
        return 0;
    errno = 0;
    char *end = NULL;
    long l = strtol(v, &end, 10);
    if (errno || !end || *end || end == v || l < INT_MIN || l > INT_MAX) {
        px_err(p, n, name, "'%s' is not a valid integer", v);
        return -1;
    }
    *ret = (int)l;
    return 1;
}

int px_attr_tristate(struct px *p, xmlNode *n, const char *name, enum dom_tristate *ret)
{
    const char *v = px_attr(n, name);
    if (!v)
        return 0;
    if (STREQ(v, "on") || STREQ(v, "yes")) {
        *ret = DOM_TRI_ON;
    } else if (STREQ(v, "off") || STREQ(v, "no")) {
        *ret = DOM_TRI_OFF;
    } else {
        px_err(p, n, name, "'%s' is not one of on, off, yes, no", v);
        return -1;
    }
    return 1;
}

int px_attr_enum(struct px *p, xmlNode *n, const char *name, const struct ql_enum *e,
                 uint64_t only, const char *what, int *ret)
{
    const char *v = px_attr(n, name);
    if (!v)
        return 0;
    int x = ql_enum_value(e, v);
    if (x >= 0 && (!only || (only & PX_BIT(x)))) {
        *ret = x;
        return 1;
    }
    if (!what) {
        px_err(p, n, name, "unsupported value '%s'", v);
        return -1;
    }
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < e->max; i++)
        if (e->names[i] && (!only || (only & PX_BIT(i))))
            sb_addf(&sb, "%s%s", sb.len ? ", " : "", e->names[i]);
    px_err(p, n, name, "unsupported %s '%s' (qlaunch supports: %s)", what, v, sb_str(&sb));
    sb_free(&sb);
    return -1;
}

static bool blank(const xmlChar *s)
{
    for (; s && *s; s++)
        if (!isspace(*s))
            return false;
    return true;
}

static void walk_unconsumed(struct px *p, xmlNode *n, int depth)
{
    if (depth > DOM_XML_MAX_DEPTH)
        return;
    for (xmlNode *c = n->children; c; c = c->next) {
        switch (c->type) {
        case XML_ELEMENT_NODE:
            if (!px_used(c)) {
                px_err(p, c, NULL, "unsupported element <%s%s%s>",
                       c->ns && c->ns->prefix ? (const char *)c->ns->prefix : "",
                       c->ns && c->ns->prefix ? ":" : "", elem_name(c));
                continue;   /* one message for the whole subtree */
            }
            for (xmlAttr *a = c->properties; a; a = a->next) {
                if (px_used((xmlNode *)a))
                    continue;
                if (a->ns && a->ns->prefix) {
                    _cleanup_free_ char *qn = xasprintf("%s:%s", (const char *)a->ns->prefix,
                                                        (const char *)a->name);
                    px_err(p, c, qn, "unsupported attribute");
                } else {
                    px_err(p, c, (const char *)a->name, "unsupported attribute");
                }
            }
            walk_unconsumed(p, c, depth + 1);
            break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (!px_used(c) && !blank(c->content))
                px_err(p, n, NULL, "unexpected text in <%s>", elem_name(n));
            break;
        case XML_ENTITY_REF_NODE:
            px_err(p, n, NULL, "entity references are not allowed");
            break;
        default:
            break;   /* comments, processing instructions */
        }
    }
}

void px_report_unconsumed(struct px *p, xmlNode *root)
{
    for (xmlAttr *a = root->properties; a; a = a->next)
        if (!px_used((xmlNode *)a))
            px_err(p, root, (const char *)a->name, "unsupported attribute");
    walk_unconsumed(p, root, 1);
}
