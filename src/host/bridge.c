/* type='bridge': a tap on a Linux bridge (SIOCBRADDIF), or on an Open vSwitch bridge with
 * <virtualport type='openvswitch'> (ovs.c). */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

static int bridge_add_if(int sock, const char *bridge, const char *tap, struct ql_error *err)
{
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, bridge);
    ifr.ifr_ifindex = (int)if_nametoindex(tap);
    if (ifr.ifr_ifindex == 0)
        return ql_error_set(err, errno ? errno : ENODEV, "tap '%s' vanished before it could "
                            "be added to bridge '%s'", tap, bridge);
    if (ioctl(sock, SIOCBRADDIF, &ifr) < 0)
        return ql_error_errno(err, errno, "cannot add tap '%s' to bridge '%s'", tap, bridge);
    return 0;
}

static int linux_bridge_check(int sock, const char *bridge, struct ql_error *err)
{
    if (!host_netdev_exists(bridge))
        return ql_error_set(err, ENODEV, "bridge '%s' does not exist on this host", bridge);
    char drv[64];
    host_netdev_driver(sock, bridge, drv, sizeof(drv));
    if (STREQ(drv, "bridge"))
        return 0;
    if (STREQ(drv, "openvswitch"))
        return ql_error_set(err, ENOTSUP, "bridge '%s' is an Open vSwitch bridge; add "
                            "<virtualport type='openvswitch'/> to the interface", bridge);
    return ql_error_set(err, ENOTSUP, "network device '%s' is not a Linux bridge (driver "
                        "'%s'); for an Open vSwitch bridge add <virtualport "
                        "type='openvswitch'/>", bridge, *drv ? drv : "unknown");
}

int host_setup_bridge(const struct domain *d, const struct dom_interface *ifc,
                      struct host_nic *nic, struct ql_error *err)
{
    if (!ifc->bridge)
        return ql_error_set(err, EINVAL, "type 'bridge' needs <source bridge='...'/>");
    int r = host_ifname_check(ifc->bridge, "bridge name", err);
    if (r < 0)
        return r;
    if (ifc->target_managed_no)
        return ql_error_set(err, ENOTSUP, "<target managed='no'> is only supported for "
                            "type='ethernet'");
    bool ovs = ifc->vport_type == DOM_VPORT_OPENVSWITCH;
    if (ifc->vport_type && !ovs)
        return ql_error_set(err, ENOTSUP, "virtualport type '%s' is not supported; only "
                            "'openvswitch' is", dom_vport_type_to_string(ifc->vport_type));
    if (!ovs && ifc->n_vlan_tags)
        return ql_error_set(err, ENOTSUP, "<vlan> needs an Open vSwitch bridge (<virtualport "
                            "type='openvswitch'/>); a Linux bridge port cannot be tagged");
    if (ovs && (r = host_ovs_port_check(ifc, err)) < 0)
        return r;
    _cleanup_close_ int sock = host_ctl_socket(err);
    if (sock < 0)
        return sock;

    /* Check the bridge first so a typo costs no tap at all. */
    r = ovs ? host_ovs_br_exists(ifc->bridge, err)
            : linux_bridge_check(sock, ifc->bridge, err);
    if (r < 0)
        return r;
    r = host_nic_open_tap(sock, ifc, nic, err);
    if (r < 0)
        return r;
    r = host_nic_set_mtu(sock, ifc, ifc->bridge, nic, err);
    if (r < 0)
        return r;
    if (ovs) {
        r = host_ovs_add_port(d, ifc, ifc->bridge, nic->tap_name, err);
        if (r < 0)
            return r;
        nic->ovs_bridge = xstrdup(ifc->bridge);
    } else {
        r = bridge_add_if(sock, ifc->bridge, nic->tap_name, err);
        if (r < 0)
            return r;
    }
    nic->bridge = xstrdup(ifc->bridge);
    return host_netdev_set_up(sock, nic->tap_name, err);
}
