/* libFuzzer harness: libvirt network definitions (NAME.xml in /etc/libvirt/qemu/networks or
 * $QLAUNCH_NETWORK_DIR), which <interface type='network'> and <listen type='network'> read. */
#include "config.h"
#include "domain/network.h"

#include <libxml/parser.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    xmlInitParser();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dom_diags g = {0};
    struct dom_network *n = NULL;
    int r = dom_network_parse_memory((const char *)data, size, &n, &g);
    if (r == 0) {
        if (!n || !n->name)
            abort();
        (void)dom_network_name_ok(n->name);
        (void)dom_network_portgroup(n, NULL);
        for (size_t i = 0; i < n->n_portgroups; i++)
            if (n->portgroups[i].name && !dom_network_portgroup(n, n->portgroups[i].name))
                abort();    /* every named portgroup can be found by its name */
    } else if (n || g.n_errors == 0) {
        abort();
    }
    for (size_t i = 0; i < g.n; i++)
        free(dom_diag_format(&g.v[i]));
    dom_network_free(n);
    dom_diags_free(&g);
    return 0;
}
