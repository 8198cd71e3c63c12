/* Helpers shared by the cmocka tests (tests/libtestutil.a, linked into every test program):
 * domain XML to struct domain, diagnostics, files of the source tree, the qlaunch binary.
 * Helpers that take no result fail the running cmocka test themselves. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "domain/parse.h"

/* dom_parse_memory on a whole document; diags (which may not be NULL) is reset first. */
int tu_parse(const char *xml, struct domain **ret, struct dom_diags *diags);
/* A document that must parse: otherwise the diagnostics are printed and the test fails. */
struct domain *tu_domain(const char *xml);
struct domain *tu_domainf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints every diagnostic ("  error: WHERE: MSG (line N)") with cmocka's print_message. */
void tu_print_diags(const struct dom_diags *g);
/* The diagnostic whose dom_diag_format() text is exactly text (level -1: any level). */
const struct dom_diag *tu_find_diag(const struct dom_diags *g, int level, const char *text);
/* The first diagnostic whose formatted text contains needle. */
const struct dom_diag *tu_find_diag_containing(const struct dom_diags *g, const char *needle);

/* SRCDIR/rel, SRCDIR being $QLAUNCH_TEST_SRCDIR (set by `make check`), else ".". */
char *tu_srcdir_path(const char *rel);
/* The whole file (NUL-terminated); NULL when it cannot be read, with ret_len untouched. */
char *tu_read_file(const char *path, size_t *ret_len);
/* The qlaunch binary: $QLAUNCH (set by `make check`), else the one of the build tree this
 * test program was built in. */
char *tu_qlaunch_path(void);
