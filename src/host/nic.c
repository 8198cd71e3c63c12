/* host_nic_setup/teardown: the host side of one interface by its type, undone in reverse
 * order on failure; errors carry the interface's place. */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

int host_nic_setup(const struct domain *d, size_t iface_index, struct host_nic *ret,
                   struct ql_error *err)
{
    *ret = (struct host_nic)HOST_NIC_INIT;
    if (!d || iface_index >= d->dev.n_interfaces)
        return ql_error_set(err, EINVAL, "interface index %zu is out of range (the domain has "
                            "%zu)", iface_index, d ? d->dev.n_interfaces : 0);
    const struct dom_interface *ifc = &d->dev.interfaces[iface_index];
    struct host_nic nic = HOST_NIC_INIT;
    nic.type = ifc->type;
    if (ifc->type == DOM_NET_USER) {
        *ret = nic;
        return 0;
    }
    int r;
    if (!ifc->mac) {
        r = ql_error_set(err, EINVAL, "the interface has no MAC address (the launcher assigns "
                         "one before setting up the host side)");
    } else {
        switch (ifc->type) {
        case DOM_NET_NETWORK: r = host_setup_network(d, ifc, &nic, err); break;
        case DOM_NET_BRIDGE: r = host_setup_bridge(d, ifc, &nic, err); break;
        case DOM_NET_ETHERNET: r = host_setup_ethernet(ifc, &nic, err); break;
        case DOM_NET_DIRECT: r = host_setup_direct(ifc, &nic, err); break;
        default:
            r = ql_error_set(err, ENOTSUP, "interface type %d is not supported", (int)ifc->type);
            break;
        }
    }
    if (r == 0) {
        *ret = nic;
        return 0;
    }
    /* Undo in reverse order whatever got done. */
    host_nic_teardown(&nic);
    _cleanup_free_ char *where = ifc->src.path ? xstrdup(ifc->src.path)
                                               : xasprintf("devices/interface[%zu]",
                                                           iface_index + 1);
    ql_error_locate(err, where, ifc->src.line);
    return r;
}

void host_nic_close_fds(struct host_nic *nic)
{
    if (nic->tap_fds)
        host_close_fds(nic->tap_fds, nic->n_tap_fds);
    if (nic->vhost_fds)
        host_close_fds(nic->vhost_fds, nic->n_vhost_fds);
}

void host_nic_teardown(struct host_nic *nic)
{
    if (!nic)
        return;
    if (nic->ovs_bridge && nic->tap_name)
        (void)host_ovs_del_port(nic->tap_name, NULL);
    host_nic_close_fds(nic);
    /* Only a link that still is a macvtap: the name could have been reused since. */
    char kind[32];
    if (nic->macvtap && nic->tap_name && host_link_kind(nic->tap_name, kind, sizeof(kind)) == 0 &&
        STREQ(kind, "macvtap"))
        (void)host_link_delete(nic->tap_name);
    free(nic->tap_fds);
    free(nic->vhost_fds);
    free(nic->lower_dev);
    free(nic->tap_name);
    free(nic->bridge);
    free(nic->ovs_bridge);
    *nic = (struct host_nic)HOST_NIC_INIT;
}
