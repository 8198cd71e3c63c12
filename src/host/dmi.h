/* The host's raw SMBIOS structure table (/sys/firmware/dmi/tables/DMI), for what
 * /sys/class/dmi/id does not show: the OEM strings (type 11) that <smbios mode='host'>
 * copies as libvirt does (its dmidecode read takes types 0-4, 11 and 17). The bytes come
 * from the firmware: every offset is checked against the buffer. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define HOST_DMI_TABLE_MAX (1024 * 1024)  /* read limit: real tables are a few KiB */
#define HOST_DMI_OEM_MAX 256                /* OEM strings kept, as <oemStrings> entries */

/* The strings of every type 11 structure of table, in order, appended to *oem (n: its
 * count). -EINVAL with a sentence naming the byte offset for a table that is cut short,
 * a string number past the structure's strings, a control character in a string or more
 * than HOST_DMI_OEM_MAX strings; *oem then holds what came before (the caller frees). */
int host_dmi_oem_strings(const uint8_t *table, size_t len, char ***oem, size_t *n,
                         struct ql_error *err);
