#include "config.h"
#include "host/dmi.h"
#include "util/strbuf.h"

#include <errno.h>
#include <string.h>

#define DMI_TYPE_OEM_STRINGS 11
#define DMI_TYPE_END 127
#define DMI_HEADER_LEN 4    /* type, length of the formatted area, handle */

/* Appends string number idx (1-based) of the string set [s, end) to *oem. */
static int take_string(const uint8_t *s, const uint8_t *end, unsigned idx, size_t at,
                       char ***oem, size_t *n, struct ql_error *err)
{
    for (unsigned i = 1; s < end; i++) {
        const uint8_t *nul = memchr(s, '\0', (size_t)(end - s));
        if (!nul || nul == s)
            break;      /* an empty string ends the set */
        if (i == idx) {
            for (const uint8_t *c = s; c < nul; c++)
                if (*c < 0x20 || *c == 0x7f)
                    return ql_error_set(err, EINVAL, "host SMBIOS table: OEM string %u of "
                                        "the structure at byte %zu has a control character",
                                        idx, at);
            if (*n >= HOST_DMI_OEM_MAX)
                return ql_error_set(err, EINVAL, "host SMBIOS table: over %d OEM strings",
                                    HOST_DMI_OEM_MAX);
            *oem = xrealloc(*oem, (*n + 1) * sizeof(**oem));
            (*oem)[(*n)++] = xstrndup((const char *)s, (size_t)(nul - s));
            return 0;
        }
        s = nul + 1;
    }
    return ql_error_set(err, EINVAL, "host SMBIOS table: the structure at byte %zu names OEM "
                        "string %u, past its strings", at, idx);
}

int host_dmi_oem_strings(const uint8_t *table, size_t len, char ***oem, size_t *n,
                         struct ql_error *err)
{
    size_t pos = 0;
    while (len - pos >= DMI_HEADER_LEN) {
        uint8_t type = table[pos];
        size_t flen = table[pos + 1];
        if (flen < DMI_HEADER_LEN || flen > len - pos)
            return ql_error_set(err, EINVAL, "host SMBIOS table: the structure at byte %zu "
                                "has a formatted length of %zu, outside the table of %zu "
                                "bytes", pos, flen, len);
        /* The string set follows the formatted area and ends with two NULs (also when
         * it is empty), as the kernel's dmi_scan reads it. */
        size_t s = pos + flen, e = s;
        while (e + 1 < len && (table[e] || table[e + 1]))
            e++;
        if (e + 1 >= len)
            return ql_error_set(err, EINVAL, "host SMBIOS table: the strings of the "
                                "structure at byte %zu do not end before the table does", pos);
        if (type == DMI_TYPE_OEM_STRINGS && flen > DMI_HEADER_LEN) {
            unsigned count = table[pos + DMI_HEADER_LEN];
            for (unsigned i = 1; i <= count; i++) {
                int r = take_string(table + s, table + e + 1, i, pos, oem, n, err);
                if (r < 0)
                    return r;
            }
        }
        if (type == DMI_TYPE_END)
            break;
        pos = e + 2;
    }
    return 0;
}
