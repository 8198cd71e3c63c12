/* Typed reads of json-c object members, with a default for a member that is missing or has
 * another type: one definition for the state file, the control protocol, QMP replies and
 * firmware descriptors. o may be NULL or not an object (then every member is missing). */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include "util/cleanup.h"

/* The member key of o if it has type t, else NULL. */
json_object *ql_json_get(json_object *o, const char *key, enum json_type t);
const char *ql_json_str(json_object *o, const char *key, const char *dflt);
/* An integer member; a double or a string is not one. */
int64_t ql_json_int64(json_object *o, const char *key, int64_t dflt);
/* dflt also when the value does not fit an int. */
int ql_json_int(json_object *o, const char *key, int dflt);
bool ql_json_bool(json_object *o, const char *key, bool dflt);
/* Whether array a has the string s as an element. */
bool ql_json_array_has_str(json_object *a, const char *s);

/* Exactly one JSON text in s[0..len) (whitespace may follow it), parsed with
 * JSON_TOKENER_STRICT plus flags and nesting at most depth, and *ret_err json-c's verdict
 * (text after the value: json_tokener_error_parse_unexpected). NULL for an error, and with
 * json_tokener_success for the text null. */
json_object *ql_json_parse_text(const char *s, size_t len, int depth, int flags,
                                enum json_tokener_error *ret_err);

static inline void ql_json_putp(json_object **p)
{
    json_object_put(*p);
}
#define _cleanup_json_ _cleanup_(ql_json_putp)
