/* Parser internals: XML access helpers that mark what they consume, so that a final walk
 * can report every element and attribute nobody consumed (no silent drops). */
#pragma once
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>
#include "domain/domain.h"
#include "domain/parse.h"

struct px {
    struct dom_diags *diags;
    struct domain *dom;
};

/* Marks a node (element, attribute or text) as consumed. */
void px_use(xmlNode *n);
bool px_used(const xmlNode *n);
/* Marks a whole subtree as consumed (ignored by design). */
void px_ignore(xmlNode *n);

/* "devices/disk[2]/driver" for n, relative to the root element. */
char *px_path(const xmlNode *n);

void px_err(struct px *p, const xmlNode *n, const char *attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void px_warn(struct px *p, const xmlNode *n, const char *attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void px_note(struct px *p, const xmlNode *n, const char *attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Error located at a dom_src (for validation after parsing). */
void px_err_src(struct dom_diags *d, const struct dom_src *s, const char *sub, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/* First child element called name (consumed); a second one is an error. */
xmlNode *px_child(struct px *p, xmlNode *parent, const char *name);
/* Iterates children: for (xmlNode *c = NULL; (c = px_next(parent, c, "disk"));) */
xmlNode *px_next(xmlNode *parent, xmlNode *prev, const char *name);
size_t px_count(xmlNode *parent, const char *name);
/* Any element child (consumed or not): for dispatch loops. */
xmlNode *px_next_elem(xmlNode *parent, xmlNode *prev);

/* Attribute value (consumed), or NULL if absent. Empty values count as absent, as in
 * libvirt's parser. The string belongs to the document. */
const char *px_attr(xmlNode *n, const char *name);
char *px_attr_dup(xmlNode *n, const char *name);
/* Text content of an element (consumed), trimmed; NULL if the element is NULL. */
char *px_text(xmlNode *n);
char *px_child_text(struct px *p, xmlNode *parent, const char *name);

/* Typed attributes: return 0 when absent (ret untouched, *present false if given),
 * 1 when parsed, -1 after reporting an error. */
int px_attr_uint(struct px *p, xmlNode *n, const char *name, unsigned *ret);
int px_attr_ull(struct px *p, xmlNode *n, const char *name, unsigned long long *ret);
int px_attr_int(struct px *p, xmlNode *n, const char *name, int *ret);
/* on/off and yes/no */
int px_attr_tristate(struct px *p, xmlNode *n, const char *name, enum dom_tristate *ret);
/* An attribute whose value must be one of enum e's names; with only != 0, one of the
 * values whose bit (PX_BIT(value)) is set. 0 when absent (*ret untouched), 1 when parsed,
 * -1 after reporting "unsupported WHAT 'v' (qlaunch supports: a, b, ...)", or only
 * "unsupported value 'v'" when what is NULL. */
int px_attr_enum(struct px *p, xmlNode *n, const char *name, const struct ql_enum *e,
                 uint64_t only, const char *what, int *ret);
#define PX_BIT(v) (1ull << (v))
/* px_attr_enum into an enum lvalue; the lvalue is left alone unless the value is valid. */
#define PX_ENUM_IN(p, n, name, e, only, what, lvalue)                                \
    __extension__({                                                                 \
        int px_v_, px_r_ = px_attr_enum((p), (n), (name), (e), (only), (what), &px_v_); \
        if (px_r_ > 0)                                                              \
            (lvalue) = px_v_;                                                       \
        px_r_;                                                                      \
    })
#define PX_ENUM(p, n, name, e, what, lvalue) PX_ENUM_IN(p, n, name, e, 0, what, lvalue)

void px_src(struct dom_src *s, const xmlNode *n);
/* A UUID-valued attribute (libvirt accepts it with or without dashes): stores a copy of the
 * text in *ret, or reports it. */
void px_attr_uuid(struct px *p, xmlNode *n, const char *name, char **ret);

/* Safe loading of untrusted XML (size cap, no NUL, no DTD/entities, no network, depth cap),
 * shared by the domain and network parsers: the root must be <root_name> without a
 * namespace. what names the kind of document in messages ("domain XML"). 0 and *ret_doc,
 * or -EINVAL with the problem added to diags. */
int px_load_xml(const char *xml, size_t len, const char *root_name, const char *what,
                struct dom_diags *diags, xmlDocPtr *ret_doc);

/* Section parsers (parse-*.c). */
void px_parse_general(struct px *p, xmlNode *root);
void px_parse_cpu(struct px *p, xmlNode *root);
void px_parse_os(struct px *p, xmlNode *root);
void px_parse_devices(struct px *p, xmlNode *devices);
void px_parse_qemu_ns(struct px *p, xmlNode *root);
void px_parse_address(struct px *p, xmlNode *parent, struct dom_addr *a);
void px_parse_chr_source(struct px *p, xmlNode *dev, enum dom_chr_type type,
                         struct dom_chr_source *s);
/* Every element below root (root itself first, as "domain"), in document order. */
void px_collect_elems(xmlNode *root, struct dom_elems *out);
/* Final walk: reports every element/attribute/text not consumed. */
void px_report_unconsumed(struct px *p, xmlNode *root);
