/* libvirt's QEMU namespace (xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'):
 * <qemu:commandline> (<qemu:arg value>, <qemu:env name value>), <qemu:override> (device
 * property overrides) and <qemu:capabilities> (<qemu:add|del capability>). Parsed here as
 * libvirt's schema has them; the builder applies them and says the domain uses unchecked
 * pass-through. Elements of the namespace qlaunch does not know stay unconsumed and are
 * reported by the final walk. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
/* Per domain: each entry is one element of the input, but counted for the arrays. */
#define QEMU_NS_MAX 4096

/* The next child of parent in the QEMU namespace called name (consumed), or NULL. */
static xmlNode *qns_next(xmlNode *parent, xmlNode *prev, const char *name)
{
    for (xmlNode *c = prev ? prev->next : parent->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href
            && STREQ((const char *)c->ns->href, QEMU_NS) && STREQ((const char *)c->name, name)) {
            px_use(c);
            return c;
        }
    }
    return NULL;
}

/* An attribute whose empty value still counts (an empty argument is an argument). */
static char *attr_raw(xmlNode *n, const char *name)
{
    xmlAttr *a = xmlHasNsProp(n, (const xmlChar *)name, NULL);
    if (!a)
        return NULL;
    px_use((xmlNode *)a);
    return xstrdup(a->children && a->children->content ? (const char *)a->children->content
                                                       : "");
}

static bool too_many(struct px *p, xmlNode *n, size_t count)
{
    if (count < QEMU_NS_MAX)
        return false;
    px_err(p, n, NULL, "more than %d QEMU pass-through entries", QEMU_NS_MAX);
    px_ignore(n);
    return true;
}

/* libvirt (qemuParseCommandLineEnv... virDomainDefNamespaceParse): a name of letters,
 * digits and '_' that does not start with a digit. */
static bool env_name_ok(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static void parse_commandline(struct px *p, xmlNode *cl)
{
    struct dom_qemu_ns *q = &p->dom->qemu;
    if (!q->args_line)
        q->args_line = (int)xmlGetLineNo(cl);
    for (xmlNode *a = NULL; (a = qns_next(cl, a, "arg"));) {
        if (too_many(p, a, q->n_args))
            continue;
        char *v = attr_raw(a, "value");
        if (!v) {
            px_err(p, a, NULL, "<qemu:arg> needs a value attribute");
            continue;
        }
        q->args = xrealloc(q->args, (q->n_args + 1) * sizeof(*q->args));
        q->args[q->n_args++] = v;
    }
    for (xmlNode *e = NULL; (e = qns_next(cl, e, "env"));) {
        if (too_many(p, e, q->n_envs))
            continue;
        _cleanup_free_ char *name = attr_raw(e, "name");
        if (!name) {
            px_err(p, e, NULL, "<qemu:env> needs a name attribute");
            continue;
        }
        if (!env_name_ok(name)) {
            px_err(p, e, "name", "invalid environment name '%s': it must begin with a letter "
                   "or underscore and contain only letters, digits and underscores", name);
            continue;
        }
        q->envs = xrealloc(q->envs, (q->n_envs + 1) * sizeof(*q->envs));
        struct dom_qemu_env *x = &q->envs[q->n_envs++];
        *x = (struct dom_qemu_env){.name = steal_pointer(&name), .value = attr_raw(e, "value")};
        px_src(&x->src, e);
    }
}

static void parse_override_device(struct px *p, xmlNode *dev)
{
    struct dom_qemu_ns *q = &p->dom->qemu;
    if (too_many(p, dev, q->n_overrides))
        return;
    q->overrides = xrealloc(q->overrides, (q->n_overrides + 1) * sizeof(*q->overrides));
    struct dom_qemu_override *o = &q->overrides[q->n_overrides++];
    *o = (struct dom_qemu_override){.alias = px_attr_dup(dev, "alias")};
    px_src(&o->src, dev);
    if (!o->alias)
        px_err(p, dev, NULL, "<qemu:device> needs an alias attribute");
    for (xmlNode *fe = NULL; (fe = qns_next(dev, fe, "frontend"));) {
        for (xmlNode *pr = NULL; (pr = qns_next(fe, pr, "property"));) {
            if (too_many(p, pr, o->n_props))
                continue;
            o->props = xrealloc(o->props, (o->n_props + 1) * sizeof(*o->props));
            struct dom_qemu_prop *x = &o->props[o->n_props++];
            *x = (struct dom_qemu_prop){.name = px_attr_dup(pr, "name")};
            px_src(&x->src, pr);
            if (!x->name)
                px_err(p, pr, NULL, "<qemu:property> needs a name attribute");
            if (PX_ENUM(p, pr, "type", &dom_qemu_prop_type_enum, "property type", x->type) == 0)
                px_err(p, pr, NULL, "<qemu:property> needs a type attribute");
            if (x->type == DOM_QPROP_REMOVE)
                continue;
            x->value = attr_raw(pr, "value");
            if (!x->value) {
                px_err(p, pr, NULL, "<qemu:property type='%s'> needs a value attribute",
                       dom_qemu_prop_type_to_string(x->type));
                continue;
            }
            char *end;
            bool bad = false;
            switch (x->type) {
            case DOM_QPROP_SIGNED:
                (void)strtoll(x->value, &end, 10);
                bad = !*x->value || *end;
                break;
            case DOM_QPROP_UNSIGNED:
                (void)strtoull(x->value, &end, 10);
                bad = !*x->value || *end || x->value[0] == '-';
                break;
            case DOM_QPROP_BOOL:
                bad = !STREQ(x->value, "true") && !STREQ(x->value, "false");
                break;
            default:
                break;
            }
            if (bad)
                px_err(p, pr, "value", "'%s' is not a %s value", x->value,
                       x->type == DOM_QPROP_BOOL ? "bool ('true' or 'false')"
                       : dom_qemu_prop_type_to_string(x->type));
        }
    }
}

static void parse_capabilities(struct px *p, xmlNode *caps)
{
    struct dom_qemu_ns *q = &p->dom->qemu;
    static const char *const kinds[] = {"add", "del"};
    for (size_t k = 0; k < 2; k++) {
        for (xmlNode *c = NULL; (c = qns_next(caps, c, kinds[k]));) {
            if (too_many(p, c, q->n_caps))
                continue;
            char *name = px_attr_dup(c, "capability");
            if (!name) {
                px_err(p, c, NULL, "<qemu:%s> needs a capability attribute", kinds[k]);
                continue;
            }
            q->caps = xrealloc(q->caps, (q->n_caps + 1) * sizeof(*q->caps));
            struct dom_qemu_cap *x = &q->caps[q->n_caps++];
            *x = (struct dom_qemu_cap){.name = name, .add = k == 0};
            px_src(&x->src, c);
        }
    }
}

void px_parse_qemu_ns(struct px *p, xmlNode *root)
{
    for (xmlNode *cl = NULL; (cl = qns_next(root, cl, "commandline"));)
        parse_commandline(p, cl);
    for (xmlNode *ov = NULL; (ov = qns_next(root, ov, "override"));)
        for (xmlNode *dev = NULL; (dev = qns_next(ov, dev, "device"));)
            parse_override_device(p, dev);
    for (xmlNode *c = NULL; (c = qns_next(root, c, "capabilities"));)
        parse_capabilities(p, c);
}
