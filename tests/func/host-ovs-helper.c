/* Test helper for tests/func/host-ovs.sh: sets up one <interface type='bridge'> with
 * <virtualport type='openvswitch'/> through host_nic_setup(), prints "READY <tap>" on
 * stdout, waits until stdin reaches EOF, tears down and exits 0. On a setup failure it
 * prints "ERROR <message>" on stdout and exits 1.
 *
 *   host-ovs-helper BRIDGE TARGET-DEV|- MAC INTERFACEID|- VLAN|-
 *
 * ovs-vsctl is found on PATH and talks to $OVS_RUNDIR/db.sock (the script's private ovsdb).
 * Without arguments it exits 77: it is in check_PROGRAMS only to be built, not a test. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain/domain.h"
#include "domain/parse.h"
#include "host/net.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static const char VM_UUID[] = "c7a5fdbd-edaf-9455-926a-d65c16db1809";

static char *opt(const char *s)
{
    return STREQ(s, "-") ? NULL : xstrdup(s);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s BRIDGE TARGET-DEV|- MAC INTERFACEID|- VLAN|-\n"
                "(a helper of tests/func/host-ovs.sh, not a test on its own)\n", argv[0]);
        return 77;
    }
    struct domain *d = xcalloc(1, sizeof(*d));
    d->name = xstrdup("ovs-test");
    if (dom_parse_uuid(VM_UUID, d->uuid) < 0)
        return 1;
    d->has_uuid = true;
    d->dev.interfaces = xcalloc(1, sizeof(struct dom_interface));
    d->dev.n_interfaces = 1;
    struct dom_interface *x = &d->dev.interfaces[0];
    x->type = DOM_NET_BRIDGE;
    x->bridge = xstrdup(argv[1]);
    x->target_dev = opt(argv[2]);
    x->mac = xstrdup(argv[3]);
    x->model = DOM_NIC_VIRTIO;
    x->vport_type = DOM_VPORT_OPENVSWITCH;
    x->vport.interfaceid = opt(argv[4]);
    if (!STREQ(argv[5], "-")) {
        x->vlan_tags = xcalloc(1, sizeof(unsigned));
        x->vlan_tags[0] = (unsigned)strtoul(argv[5], NULL, 10);
        x->n_vlan_tags = 1;
    }
    x->src.path = xstrdup("devices/interface[1]");
    x->src.line = 12;

    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    if (host_nic_setup(d, 0, &nic, &err) < 0) {
        printf("ERROR %s\n", ql_error_msg(&err));
        ql_error_clear(&err);
        domain_free(d);
        return 1;
    }
    printf("READY %s\n", nic.tap_name);
    fflush(stdout);

    char buf[256];
    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
        ;
    int r = host_ovs_del_port(nic.tap_name, &err);
    if (r < 0)
        printf("ERROR %s\n", ql_error_msg(&err));
    host_nic_teardown(&nic);
    ql_error_clear(&err);
    domain_free(d);
    return r < 0 ? 1 : 0;
}
