#include "config.h"
#include "util/json.h"

#include <limits.h>
#include <string.h>

json_object *ql_json_parse_text(const char *s, size_t len, int depth, int flags,
                                enum json_tokener_error *ret_err)
{
    json_tokener *tok = json_tokener_new_ex(depth);
    if (!tok) {
        *ret_err = json_tokener_error_size;     /* out of memory */
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | flags);
    json_object *o = json_tokener_parse_ex(tok, s, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    if (je == json_tokener_continue) {
        /* All read, and a literal or number at the end may be complete: say the text ends. */
        o = json_tokener_parse_ex(tok, "", 1);
        je = json_tokener_get_error(tok);
        end = len;
    }
    json_tokener_free(tok);
    while (end < len && strchr(" \t\r\n", s[end]))
        end++;
    if (je == json_tokener_success && end != len)
        je = json_tokener_error_parse_unexpected;
    *ret_err = je;
    if (je != json_tokener_success) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *ql_json_get(json_object *o, const char *key, enum json_type t)
{
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
        return NULL;
    return v;
}

const char *ql_json_str(json_object *o, const char *key, const char *dflt)
{
    json_object *v = ql_json_get(o, key, json_type_string);
    return v ? json_object_get_string(v) : dflt;
}

int64_t ql_json_int64(json_object *o, const char *key, int64_t dflt)
{
    json_object *v = ql_json_get(o, key, json_type_int);
    return v ? json_object_get_int64(v) : dflt;
}

int ql_json_int(json_object *o, const char *key, int dflt)
{
    json_object *v = ql_json_get(o, key, json_type_int);
    if (!v)
        return dflt;
    int64_t x = json_object_get_int64(v);
    return x < INT_MIN || x > INT_MAX ? dflt : (int)x;
}

bool ql_json_bool(json_object *o, const char *key, bool dflt)
{
    json_object *v = ql_json_get(o, key, json_type_boolean);
    return v ? json_object_get_boolean(v) : dflt;
}

bool ql_json_array_has_str(json_object *a, const char *s)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *e = json_object_array_get_idx(a, i);
        if (json_object_is_type(e, json_type_string) && strcmp(json_object_get_string(e), s) == 0)
            return true;
    }
    return false;
}
