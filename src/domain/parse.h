/* Public entry points of the domain XML parser and validator. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "domain/domain.h"

enum dom_diag_level { DOM_DIAG_ERROR, DOM_DIAG_WARNING, DOM_DIAG_NOTE, DOM_DIAG_MAX };

/* One problem found in the input: where (an XPath-like location such as
 * "devices/disk[2]/driver@iothread"), its line (0 when unknown) and one sentence. */
struct dom_diag {
    enum dom_diag_level level;
    char *where;
    int line;
    char *msg;
};

/* At most DOM_MAX_DIAGS are kept (the first error always is); n_omitted counts the rest,
 * which n_errors still includes. */
struct dom_diags {
    struct dom_diag *v;
    size_t n, cap;
    size_t n_errors;
    size_t n_omitted;
};

void dom_diags_add(struct dom_diags *d, enum dom_diag_level level, const char *where, int line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
struct ql_error;
/* Adds a set error from another stage (the builder, the host) at its place: its where
 * ("domain" when it has none), its line and its text without the place. */
void dom_diags_add_error(struct dom_diags *d, enum dom_diag_level level,
                         const struct ql_error *err);
void dom_diags_free(struct dom_diags *d);
/* Whether a diagnostic of that level would be dropped (and counts it if so): lets callers
 * skip the work of formatting one. */
bool dom_diags_omit(struct dom_diags *d, enum dom_diag_level level);
/* "devices/disk[2]/driver@iothread: unsupported attribute (line 41)" */
char *dom_diag_format(const struct dom_diag *g);
QL_ENUM_DECL(dom_diag_level);

/* Limits on untrusted input. */
#define DOM_XML_MAX_BYTES (4u * 1024 * 1024)
#define DOM_XML_MAX_DEPTH 64
#define DOM_MAX_DEVICES 1024
#define DOM_MAX_NAME 200
/* Caps against documents that are cheap to write and expensive to process (libxml2 checks
 * the attributes of an element against each other), and on what one input can print. */
#define DOM_XML_MAX_ELEMENTS 100000
#define DOM_XML_MAX_ATTRS 256           /* per element */
#define DOM_MAX_DIAGS 100               /* then "... and N more problems" */

/* Name rules shared by the parser (`validate`), the run directory (`create`) and network
 * lookup, which all turn a name into a file name: 1..DOM_MAX_NAME bytes, no control
 * character, no '/', not starting with '.'. Returns NULL when name is usable, else one
 * sentence ("the domain name '.x' starts with '.', ...") naming it as "the WHAT name". */
char *dom_name_error(const char *what, const char *name);
bool dom_has_control_char(const char *s);
/* A graphics listen address: an IPv4 or IPv6 address (with an optional %scope) or a host
 * name (letters, digits, '-', '_', '.'; at most 253 bytes). */
bool dom_listen_address_ok(const char *s);
/* Why s cannot be a single path component (empty, ".", "..", '/' or a control character),
 * or NULL when it can. */
const char *dom_path_component_error(const char *s);

/* Parses and validates domain XML. Every problem is added to diags (not only the first).
 * Returns 0 and sets *ret when there is no error (warnings and notes may be present),
 * -EINVAL otherwise (with *ret NULL). filename is only used in messages. */
int dom_parse_memory(const char *xml, size_t len, const char *filename,
                     struct domain **ret, struct dom_diags *diags);
int dom_parse_file(const char *path, struct domain **ret, struct dom_diags *diags);

/* One element of the document as the parser saw it (`validate --explain`). */
struct dom_elem {
    char *path;                 /* as in messages: "devices/disk[2]/target"; "domain" */
    int line;
    int depth;                  /* 0: <domain>, 1: its children, ... */
    bool ignored;               /* ignored by design (it or an ancestor: <metadata>, ...) */
};
struct dom_elems {
    struct dom_elem *v;
    size_t n;
};
void dom_elems_free(struct dom_elems *e);
/* dom_parse_file that also lists the document's elements in *elems (when it could be
 * loaded as XML: also when the domain is refused). */
int dom_parse_file_elems(const char *path, struct domain **ret, struct dom_diags *diags,
                         struct dom_elems *elems);
/* Parses the XML of one device, as attach-device and detach-device take it (<disk>,
 * <interface>, <input>, ... as root): by the parser of <devices>, with the same checks
 * and limits; locations read "disk/target@bus". 0 and *ret, a domain whose dev holds
 * exactly that device and nothing else is set, or -EINVAL with every problem in diags.
 * Domain-wide checks (dom_validate) are the caller's: the device is not in a domain yet. */
int dom_parse_device(const char *xml, size_t len, const char *filename, struct domain **ret,
                     struct dom_diags *diags);

/* Semantic checks run by dom_parse_*; exposed for tests. Adds to diags. */
void dom_validate(struct domain *d, struct dom_diags *diags);

/* Parses a memory size with a libvirt unit into KiB (rounded up). */
int dom_parse_memory_unit(const char *value, const char *unit, unsigned long long *ret_kib,
                          const char **ret_why);
/* Validates a cpuset like "0-3,^2,8"; sets *ret_max to the highest CPU named. */
int dom_parse_cpuset(const char *s, unsigned *ret_max, const char **ret_why);
/* Fills set from a valid cpuset string; -EINVAL when invalid. */
#include <sched.h>
int dom_cpuset_to_mask(const char *s, cpu_set_t *set);
/* Parses a UUID with or without dashes. */
int dom_parse_uuid(const char *s, unsigned char ret[16]);
/* Normalises a MAC address to lower case; returns NULL when invalid. */
char *dom_parse_mac(const char *s);
