/* libFuzzer harness: the host's raw SMBIOS table (/sys/firmware/dmi/tables/DMI), which
 * <smbios mode='host'> reads for the OEM strings (type 11): host_dmi_oem_strings. The input
 * is copied to a buffer of its exact size so that ASan sees any read past the table. */
#include "config.h"
#include "host/dmi.h"
#include "util/strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *table = xmalloc(size ? size : 1);
    memcpy(table, data, size);
    char **oem = NULL;
    size_t n = 0;
    struct ql_error err = QL_ERROR_INIT;
    int r = host_dmi_oem_strings(table, size, &oem, &n, &err);
    /* A failure says why; every string kept is non-empty, printable and within the cap. */
    if ((r < 0 && !err.msg) || (r == 0 && err.msg) || n > HOST_DMI_OEM_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!oem[i][0])
            abort();
        for (const char *c = oem[i]; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                abort();
        free(oem[i]);
    }
    free(oem);
    ql_error_clear(&err);
    free(table);
    return 0;
}
