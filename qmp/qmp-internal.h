/* Shared between the files of qmp/; not part of the public API. */
#pragma once
#include "qmp/qmp.h"

/* Returns the index of s in table[0..n), or -1. NULL entries never match. */
int qmp_enum_lookup(const char *const *table, size_t n, const char *s);
/* Fills ev from a message holding "event"; pointers borrow from msg. */
void qmp_event_decode(json_object *msg, struct qmp_event *ev);
/* Returns the string member key of obj, or NULL when absent or not a string. */
const char *qmp_json_str(json_object *obj, const char *key);
