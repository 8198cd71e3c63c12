/* Public entry points of the domain XML parser and validator. */
#pragma once
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

struct dom_diags {
    struct dom_diag *v;
    size_t n, cap;
    size_t n_errors;
};

void dom_diags_add(struct dom_diags *d, enum dom_diag_level level, const char *where, int line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
struct ql_error;
/* Adds a set error from another stage (the builder, the host) at its place: its where
 * ("domain" when it has none), its line and its text without the place. */
void dom_diags_add_error(struct dom_diags *d, enum dom_diag_level level,
                         const struct ql_error *err);
void dom_diags_free(struct dom_diags *d);
/* "devices/disk[2]/driver@iothread: unsupported attribute (line 41)" */
char *dom_diag_format(const struct dom_diag *g);
QL_ENUM_DECL(dom_diag_level);

/* Limits on untrusted input. */
#define DOM_XML_MAX_BYTES (4u * 1024 * 1024)
#define DOM_XML_MAX_DEPTH 64
#define DOM_MAX_DEVICES 1024
#define DOM_MAX_NAME 200

/* Parses and validates domain XML. Every problem is added to diags (not only the first).
 * Returns 0 and sets *ret when there is no error (warnings and notes may be present),
 * -EINVAL otherwise (with *ret NULL). filename is only used in messages. */
int dom_parse_memory(const char *xml, size_t len, const char *filename,
                     struct domain **ret, struct dom_diags *diags);
int dom_parse_file(const char *path, struct domain **ret, struct dom_diags *diags);

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
