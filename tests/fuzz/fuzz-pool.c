/* libFuzzer harness: libvirt storage pool definitions (POOL.xml in /etc/libvirt/storage or
 * $QLAUNCH_POOL_DIR), which <disk type='volume'> and import-libvirt read. */
#include "config.h"
#include "host/pool.h"

#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    xmlInitParser();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct host_pool_volume v;
    memset(&v, 0, sizeof(v));
    struct ql_error err = QL_ERROR_INIT;
    int r = host_pool_volume_parse((const char *)data, size, "p.xml", "p", "a.img", &v, &err);
    if (r == 0) {
        /* a volume is a path in the pool: absolute, ending in the volume's name */
        size_t n = v.path ? strlen(v.path) : 0;
        if (!v.path || v.path[0] != '/' || n < 6 || strcmp(v.path + n - 6, "/a.img") != 0)
            abort();
    } else if (!err.msg) {
        abort();
    }
    ql_error_clear(&err);
    host_pool_volume_free(&v);
    return 0;
}
