/* Shared between the files of qmp/; not part of the public API. */
#pragma once
#include "qmp/qmp.h"
#include "util/json.h"

/* Returns the index of s in table[0..n), or -1. NULL entries never match. */
int qmp_enum_lookup(const char *const *table, size_t n, const char *s);
/* Fills ev from a message holding "event"; pointers borrow from msg. */
void qmp_event_decode(json_object *msg, struct qmp_event *ev);
/* Fills *ret from a VersionInfo ({"qemu": {"major", "minor", "micro"}, "package"}), as in
 * the greeting and the reply of query-version. false when a number is missing (the fields
 * found are set all the same, package is always set). */
bool qmp_version_decode(json_object *info, struct qmp_version *ret);
