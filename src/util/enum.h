/* Enums with a _MAX sentinel and a name table, the one way the project spells a closed set.
 *
 *   enum dom_disk_cache { DOM_DISK_CACHE_DEFAULT, DOM_DISK_CACHE_NONE, ..., DOM_DISK_CACHE_MAX };
 *   QL_ENUM_DECL(dom_disk_cache);                            (in the header)
 *   QL_ENUM_IMPL(dom_disk_cache, DOM_DISK_CACHE_MAX, NULL, "none", ...)   (in one .c file)
 *
 * gives dom_disk_cache_to_string(v), dom_disk_cache_from_string(s) and the table
 * dom_disk_cache_enum, which the XML parser uses to check a value and list the supported
 * ones. A NULL name is a value without a spelling (a DEFAULT meaning "not given"): it is
 * never found by from_string. The table must name every value (checked at compile time). */
#pragma once
#include <string.h>

struct ql_enum {
    const char *const *names;   /* [max] */
    int max;
};

/* names[v], or NULL when v is out of range or has no name. */
static inline const char *ql_enum_name(const struct ql_enum *e, int v)
{
    return v >= 0 && v < e->max ? e->names[v] : NULL;
}

/* The value named s, or -1. */
static inline int ql_enum_value(const struct ql_enum *e, const char *s)
{
    for (int i = 0; s && i < e->max; i++)
        if (e->names[i] && strcmp(e->names[i], s) == 0)
            return i;
    return -1;
}

#define QL_ENUM_DECL(prefix)                                                    \
    extern const struct ql_enum prefix##_enum;                                  \
    const char *prefix##_to_string(int v);                                      \
    int prefix##_from_string(const char *s)

#define QL_ENUM_IMPL(prefix, max, ...)                                          \
    static const char *const prefix##_names[] = {__VA_ARGS__};                  \
    _Static_assert(sizeof(prefix##_names) / sizeof(prefix##_names[0]) == (max), \
                   #prefix ": the name table must name every value");           \
    const struct ql_enum prefix##_enum = {prefix##_names, (max)};               \
    const char *prefix##_to_string(int v)                                       \
    {                                                                           \
        return ql_enum_name(&prefix##_enum, v);                                 \
    }                                                                           \
    int prefix##_from_string(const char *s)                                     \
    {                                                                           \
        return ql_enum_value(&prefix##_enum, s);                                \
    }
