/* Top level of the domain XML parser: safe loading, section dispatch, the final
 * "nothing left unconsumed" walk, and semantic validation. */
#include "config.h"
#include "domain/parse.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

QL_ENUM_IMPL(dom_diag_level, DOM_DIAG_MAX, "error", "warning", "note")

bool dom_diags_omit(struct dom_diags *d, enum dom_diag_level level)
{
    if (d->n < DOM_MAX_DIAGS || (level == DOM_DIAG_ERROR && d->n_errors == 0))
        return false;
    d->n_omitted++;
    if (level == DOM_DIAG_ERROR)
        d->n_errors++;
    return true;
}

void dom_diags_add(struct dom_diags *d, enum dom_diag_level level, const char *where, int line,
                   const char *fmt, ...)
{
    if (dom_diags_omit(d, level))
        return;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
    }
    struct dom_diag *g = &d->v[d->n++];
    g->level = level;
    g->where = xstrdup(where ? where : "domain");
    g->line = line;
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    g->msg = sb_steal(&sb);
    if (level == DOM_DIAG_ERROR)
        d->n_errors++;
}

void dom_diags_add_error(struct dom_diags *d, enum dom_diag_level level,
                         const struct ql_error *err)
{
    dom_diags_add(d, level, err->where, err->line, "%s",
                  err->msg ? err->msg : ql_error_msg(err));
}

void dom_diags_free(struct dom_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].where);
        free(d->v[i].msg);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}

char *dom_diag_format(const struct dom_diag *g)
{
    if (g->line > 0)
        return xasprintf("%s: %s (line %d)", g->where, g->msg, g->line);
    return xasprintf("%s: %s", g->where, g->msg);
}

bool dom_has_control_char(const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return true;
    return false;
}

const char *dom_path_component_error(const char *s)
{
    if (!s || !*s)
        return "is empty";
    if (STREQ(s, ".") || STREQ(s, ".."))
        return "is '.' or '..'";
    if (strchr(s, '/'))
        return "contains '/'";
    if (dom_has_control_char(s))
        return "contains a control character";
    return NULL;
}

bool dom_listen_address_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 253)
        return false;
    unsigned char bin[16];
    if (inet_pton(AF_INET, s, bin) == 1)
        return true;
    if (strchr(s, ':')) {
        const char *pct = strchr(s, '%');
        char addr[INET6_ADDRSTRLEN];
        size_t al = pct ? (size_t)(pct - s) : len;
        if (al >= sizeof(addr))
            return false;
        memcpy(addr, s, al);
        addr[al] = '\0';
        if (inet_pton(AF_INET6, addr, bin) != 1)
            return false;
        if (!pct)
            return true;
        s = pct + 1;    /* the scope: an interface name or number */
        if (!*s || strlen(s) >= 16)
            return false;
    }
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
           strlen(s);
}

char *dom_name_error(const char *what, const char *name)
{
    if (!name || !*name)
        return xasprintf("the %s name is empty", what);
    if (strlen(name) > DOM_MAX_NAME)
        return xasprintf("the %s name is longer than %d bytes", what, DOM_MAX_NAME);
    if (dom_has_control_char(name))
        return xasprintf("the %s name contains a control character (such as a newline), which "
                         "libvirt and qlaunch reject", what);
    if (strchr(name, '/'))
        return xasprintf("the %s name '%s' contains '/', which libvirt and qlaunch reject", what,
                         name);
    if (STREQ(name, ".") || STREQ(name, ".."))
        return xasprintf("the %s name '%s' is reserved", what, name);
    if (name[0] == '.')
        return xasprintf("the %s name '%s' starts with '.', which qlaunch rejects (its files "
                         "would be hidden)", what, name);
    return NULL;
}

/* libxml2 reports through a callback; keep the first message, not a raw dump on stderr. */
struct xml_errs {
    char *msg;
    int line;
    bool too_deep;
};

/* libxml2's own nesting limit (256 levels) is reported as an internal error (a resource
 * limit from 2.12 on) whose number is that limit: told apart by code, not by its text. */
static bool is_depth_error(const xmlError *e)
{
#if LIBXML_VERSION >= 21200
    if (e->code == XML_ERR_RESOURCE_LIMIT && e->int1 > DOM_XML_MAX_DEPTH)
        return true;
#endif
    return e->domain == XML_FROM_PARSER && e->code == XML_ERR_INTERNAL_ERROR &&
           e->int1 > DOM_XML_MAX_DEPTH;
}

static void xml_error_cb(void *ctx, xmlErrorPtr e)
{
    struct xml_errs *x = ctx;
    if (!e || x->msg || e->level < XML_ERR_ERROR)
        return;
    const char *m = e->message ? e->message : "malformed XML";
    size_t l = strlen(m);
    while (l && (m[l - 1] == '\n' || m[l - 1] == ' '))
        l--;
    x->msg = xstrndup(m, l);
    /* libxml2 sometimes adds a second line (the offending bytes): keep one line. */
    for (char *c = x->msg; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    x->line = e->line;
    x->too_deep = is_depth_error(e);
}

static bool has_token(const char *xml, size_t len, const char *tok)
{
    return memmem(xml, len, tok, strlen(tok)) != NULL;
}

static size_t line_at(const char *xml, const char *pos)
{
    size_t line = 1;
    for (const char *c = xml; (c = memchr(c, '\n', (size_t)(pos - c))); c++)
        line++;
    return line;
}

/* Where the document ends or the text "end" starts at or after pos. */
static const char *skip_past(const char *pos, const char *end, const char *tok)
{
    const char *t = memmem(pos, (size_t)(end - pos), tok, strlen(tok));
    return t ? t + strlen(tok) : end;
}

/* Counts elements and the attributes of each start tag before libxml2 sees the document:
 * libxml2 2.9 compares every attribute of an element with every other (300,000 take
 * minutes), and a document of 4 MiB can hold a million empty elements. Comments, CDATA
 * and processing instructions are skipped; DOCTYPE was refused before. A malformed
 * document may be miscounted here, libxml2 then refuses it. */
static int count_nodes(const char *xml, size_t len, const char *root_name, struct dom_diags *diags)
{
    const char *end = xml + len, *c = xml;
    size_t elements = 0;
    while ((c = memchr(c, '<', (size_t)(end - c)))) {
        const char *tag = c++;
        if (c < end && *c == '!') {
            if (end - c >= 3 && memcmp(c, "!--", 3) == 0)
                c = skip_past(c + 3, end, "-->");
            else if (end - c >= 8 && memcmp(c, "![CDATA[", 8) == 0)
                c = skip_past(c + 8, end, "]]>");
            else
                c = skip_past(c, end, ">");
            continue;
        }
        if (c < end && *c == '?') {
            c = skip_past(c, end, "?>");
            continue;
        }
        if (c < end && *c == '/')
            continue;
        if (++elements > DOM_XML_MAX_ELEMENTS) {
            dom_diags_add(diags, DOM_DIAG_ERROR, root_name, (int)line_at(xml, tag),
                          "the document has more than %d elements", DOM_XML_MAX_ELEMENTS);
            return -EINVAL;
        }
        /* A start tag: every '=' outside quoted values starts an attribute. */
        size_t attrs = 0;
        while (c < end && *c != '>' && *c != '<') {
            if (*c == '"' || *c == '\'') {
                const char *q = memchr(c + 1, *c, (size_t)(end - c - 1));
                c = q ? q + 1 : end;
                continue;
            }
            if (*c == '=' && ++attrs > DOM_XML_MAX_ATTRS) {
                /* the buffer need not be NUL-terminated: the name ends at c at the latest */
                const char *name = tag + 1, *ne = name;
                while (ne < c && ne - name < 64 && !strchr(" \t\r\n/>=", *ne))
                    ne++;
                dom_diags_add(diags, DOM_DIAG_ERROR, root_name, (int)line_at(xml, tag),
                              "element <%.*s> has more than %d attributes", (int)(ne - name),
                              name, DOM_XML_MAX_ATTRS);
                return -EINVAL;
            }
            c++;
        }
    }
    return 0;
}

static int depth_ok(xmlNode *n, int depth)
{
    if (depth > DOM_XML_MAX_DEPTH)
        return 0;
    for (xmlNode *c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !depth_ok(c, depth + 1))
            return 0;
    return 1;
}

int px_load_xml(const char *xml, size_t len, const char *root_name, const char *what,
                struct dom_diags *diags, xmlDocPtr *ret_doc)
{
    *ret_doc = NULL;
    const char *want = root_name;       /* NULL: any element (one device) */
    if (!root_name)
        root_name = "device";
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", xml[blank]) && xml[blank])
        blank++;
    if (len == 0 || blank == len) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, 0, "the file is empty");
        return -EINVAL;
    }
    if (len > DOM_XML_MAX_BYTES) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, 0,
                      "the document is %zu bytes, over the %u byte limit for %s", len,
                      DOM_XML_MAX_BYTES, what);
        return -EINVAL;
    }
    if (memchr(xml, '\0', len)) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, 0,
                      "the document contains a NUL byte, so it is not XML text");
        return -EINVAL;
    }
    /* Untrusted input: no DTD means no entities, no external subsets, no billion laughs. */
    if (has_token(xml, len, "<!DOCTYPE") || has_token(xml, len, "<!ENTITY")) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, 0,
                      "document type declarations (DOCTYPE/ENTITY) are not allowed in %s", what);
        return -EINVAL;
    }

    if (count_nodes(xml, len, root_name, diags) < 0)
        return -EINVAL;

    struct xml_errs xe = {NULL, 0, false};
    xmlSetStructuredErrorFunc(&xe, xml_error_cb);
    _cleanup_free_ char *docname = xasprintf("%s.xml", root_name);
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, docname, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                      XML_PARSE_NOBLANKS | XML_PARSE_COMPACT);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (xe.too_deep) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, xe.line,
                      "the document nests elements deeper than %d levels", DOM_XML_MAX_DEPTH);
        free(xe.msg);
        xmlFreeDoc(doc);
        return -EINVAL;
    }
    if (!doc || xe.msg) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, xe.line, "malformed XML: %s",
                      xe.msg ? xe.msg : "cannot parse");
        free(xe.msg);
        xmlFreeDoc(doc);
        return -EINVAL;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, 0, "the document has no root element");
        goto fail;
    }
    if (root->ns || (want && strcmp((const char *)root->name, want) != 0)) {
        const char *pfx = root->ns && root->ns->prefix ? (const char *)root->ns->prefix : "";
        dom_diags_add(diags, DOM_DIAG_ERROR, (const char *)root->name, xmlGetLineNo(root),
                      "the root element must be <%s>%s, not <%s%s%s>", want ? want : "a device",
                      root->ns ? " without a namespace" : "", pfx, *pfx ? ":" : "",
                      (const char *)root->name);
        goto fail;
    }
    if (!depth_ok(root, 1)) {
        dom_diags_add(diags, DOM_DIAG_ERROR, root_name, 0,
                      "the document nests elements deeper than %d levels", DOM_XML_MAX_DEPTH);
        goto fail;
    }
    *ret_doc = doc;
    return 0;
fail:
    xmlFreeDoc(doc);
    return -EINVAL;
}

static int parse_memory(const char *xml, size_t len, const char *filename,
                        struct domain **ret, struct dom_diags *diags, struct dom_elems *elems)
{
    *ret = NULL;
    xmlDocPtr doc;
    if (px_load_xml(xml, len, "domain", "domain XML", diags, &doc) < 0)
        return -EINVAL;
    xmlNode *root = xmlDocGetRootElement(doc);
    int r = -EINVAL;

    size_t errors_before = diags->n_errors;
    struct domain *d = xcalloc(1, sizeof(*d));
    d->source_file = xstrdup(filename);
    struct px p = {diags, d};
    px_use(root);
    px_parse_general(&p, root);
    px_parse_cpu(&p, root);
    px_parse_os(&p, root);
    xmlNode *devices = px_child(&p, root, "devices");
    if (devices)
        px_parse_devices(&p, devices);
    px_parse_qemu_ns(&p, root);
    px_report_unconsumed(&p, root);
    if (diags->n_errors == errors_before)
        dom_validate(d, diags);
    if (elems)
        px_collect_elems(root, elems);
    if (diags->n_errors != errors_before) {
        domain_free(d);
        goto out;
    }
    *ret = d;
    r = 0;
out:
    xmlFreeDoc(doc);
    return r;
}

int dom_parse_memory(const char *xml, size_t len, const char *filename,
                     struct domain **ret, struct dom_diags *diags)
{
    return parse_memory(xml, len, filename, ret, diags, NULL);
}

void dom_elems_free(struct dom_elems *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].path);
    free(e->v);
    memset(e, 0, sizeof(*e));
}

int dom_parse_device(const char *xml, size_t len, const char *filename, struct domain **ret,
                     struct dom_diags *diags)
{
    *ret = NULL;
    xmlDocPtr doc;
    if (px_load_xml(xml, len, NULL, "device XML", diags, &doc) < 0)
        return -EINVAL;
    /* The device goes under a <devices> root, so that the parser of <devices> reads it
     * and every location is relative to it ("disk/source@file"). */
    xmlNode *dev = xmlDocGetRootElement(doc);
    xmlNode *devices = xmlNewDocNode(doc, NULL, BAD_CAST "devices", NULL);
    xmlDocSetRootElement(doc, devices);
    xmlAddChild(devices, dev);
    size_t errors_before = diags->n_errors;
    struct domain *d = xcalloc(1, sizeof(*d));
    d->source_file = xstrdup(filename);
    struct px p = {diags, d};
    px_use(devices);
    px_parse_devices(&p, devices);
    px_report_unconsumed(&p, devices);
    const struct dom_devices *v = &d->dev;
    size_t n = v->n_disks + v->n_controllers + v->n_interfaces + v->n_inputs + v->n_graphics +
               v->n_videos + v->n_sounds + v->n_audios + v->n_chrs + v->n_redirdevs +
               v->n_rngs + v->n_watchdogs + v->n_panics + v->n_hubs + v->n_tpms +
               v->memballoon.present + (v->emulator != NULL);
    if (diags->n_errors == errors_before && n != 1)
        dom_diags_add(diags, DOM_DIAG_ERROR, (const char *)dev->name, (int)xmlGetLineNo(dev),
                      "<%s> is not a device element", (const char *)dev->name);
    xmlFreeDoc(doc);
    if (diags->n_errors != errors_before) {
        domain_free(d);
        return -EINVAL;
    }
    *ret = d;
    return 0;
}

int dom_parse_file(const char *path, struct domain **ret, struct dom_diags *diags)
{
    return dom_parse_file_elems(path, ret, diags, NULL);
}

int dom_parse_file_elems(const char *path, struct domain **ret, struct dom_diags *diags,
                         struct dom_elems *elems)
{
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct ql_error err = QL_ERROR_INIT;
    *ret = NULL;
    if (ql_read_file(path, DOM_XML_MAX_BYTES, &data, &len, &err) < 0) {
        dom_diags_add_error(diags, DOM_DIAG_ERROR, &err);
        int code = err.code;
        ql_error_clear(&err);
        return -code;
    }
    return parse_memory(data, len, path, ret, diags, elems);
}
