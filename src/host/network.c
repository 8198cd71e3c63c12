/* libvirt network definitions read from files (host_network_lookup), and type='network'
 * turned into a port of the network's bridge as libvirt's network driver does it. */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain/network.h"
#include "domain/parse.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

int host_network_lookup(const char *name, struct dom_network **ret, char **ret_path,
                        struct ql_error *err)
{
    *ret = NULL;
    if (ret_path)
        *ret_path = NULL;
    if (!dom_network_name_ok(name))
        return ql_error_set(err, EINVAL, "network name '%s' cannot name a file (no '/', no "
                            "leading '.', at most %d bytes)", name ? name : "", DOM_MAX_NAME);
    const char *env = getenv("QLAUNCH_NETWORK_DIR");
    const char *dirs[] = {env && *env ? env : NULL, HOST_NETWORK_DIR_QLAUNCH,
                          HOST_NETWORK_DIR_LIBVIRT};
    struct strbuf tried = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        if (!dirs[i])
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s.xml", dirs[i], name);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct ql_error e = QL_ERROR_INIT;
        int r = ql_read_file(path, HOST_NETWORK_XML_MAX, &data, &len, &e);
        if (r == -ENOENT) {
            ql_error_clear(&e);
            sb_addf(&tried, "%s%s", tried.len ? ", " : "", path);
            continue;
        }
        if (r < 0) {
            sb_free(&tried);
            r = ql_error_set(err, e.code, "network '%s': %s", name, ql_error_msg(&e));
            ql_error_clear(&e);
            return r;
        }
        sb_free(&tried);
        struct dom_diags g = {0};
        struct dom_network *n = NULL;
        if (dom_network_parse_memory(data, len, &n, &g) < 0) {
            const struct dom_diag *first = NULL;
            for (size_t k = 0; k < g.n && !first; k++)
                if (g.v[k].level == DOM_DIAG_ERROR)
                    first = &g.v[k];
            _cleanup_free_ char *msg = first ? dom_diag_format(first) : xstrdup("invalid");
            dom_diags_free(&g);
            return ql_error_set(err, EINVAL, "network '%s': %s: %s", name, path, msg);
        }
        dom_diags_free(&g);
        if (strcmp(n->name, name) != 0) {
            r = ql_error_set(err, EINVAL, "network '%s': %s defines network '%s', not '%s'",
                             name, path, n->name, name);
            dom_network_free(n);
            return r;
        }
        *ret = n;
        if (ret_path)
            *ret_path = steal_pointer(&path);
        return 0;
    }
    int r = ql_error_set(err, ENOENT, "network '%s' is not defined: no %s (qlaunch reads "
                         "libvirt's network definitions from files; set QLAUNCH_NETWORK_DIR or "
                         "copy the output of `virsh net-dumpxml %s` there)", name,
                         sb_str(&tried), name);
    sb_free(&tried);
    return r;
}

static const char *first_nonnull(const char *a, const char *b, const char *c)
{
    return a ? a : b ? b : c;
}

/* What libvirt does when it turns a network port into the "actual" interface
 * (networkAllocatePort, virNetDevVPortProfileMerge3): the bridge is the network's; the
 * virtualport type is the network's (an interface or portgroup may only repeat it) and
 * each parameter comes from the interface, else the portgroup, else the network; the VLAN
 * from the interface, else the portgroup, else the network; the MTU from the interface,
 * else the network. ret is a shallow copy of ifc with borrowed strings: free nothing. */
static int network_to_bridge(const struct dom_interface *ifc, const struct dom_network *n,
                             const char *path, struct dom_interface *ret, struct ql_error *err)
{
    const char *fm = n->forward_mode;
    if (fm && strcmp(fm, "nat") != 0 && strcmp(fm, "route") != 0 && strcmp(fm, "open") != 0
        && strcmp(fm, "bridge") != 0)
        return ql_error_set(err, ENOTSUP, "network '%s' (%s) has forward mode '%s' (a pool of "
                            "host devices); qlaunch supports networks whose ports go on a "
                            "bridge", n->name, path, fm);
    if (!n->bridge)
        return ql_error_set(err, ENOTSUP, "network '%s' (%s) names no <bridge name=...>%s; "
                            "qlaunch supports networks whose ports go on a bridge", n->name,
                            path, n->forward_has_devs ? " (its <forward> lists host devices: a "
                            "macvtap pool)" : "");
    const struct dom_network_portgroup *pg = dom_network_portgroup(n, ifc->portgroup);
    if (ifc->portgroup && !pg)
        return ql_error_set(err, ENOENT, "network '%s' (%s) has no portgroup '%s'", n->name,
                            path, ifc->portgroup);
    if (pg && pg->has_bandwidth)
        return ql_error_set(err, ENOTSUP, "portgroup '%s' of network '%s' (%s) sets "
                            "<bandwidth>, which qlaunch cannot apply; only <vlan> and "
                            "<virtualport> are supported in a portgroup",
                            pg->name ? pg->name : "", n->name, path);
    const char *vtype = n->port.vport_type;
    if (vtype && strcmp(vtype, "openvswitch") != 0)
        return ql_error_set(err, ENOTSUP, "network '%s' (%s) uses virtualport type '%s'; only "
                            "'openvswitch' is supported", n->name, path, vtype);
    const char *others[2] = {pg ? pg->port.vport_type : NULL,
                             dom_vport_type_to_string(ifc->vport_type)};
    for (int i = 0; i < 2; i++)
        if (others[i] && (!vtype || strcmp(others[i], vtype) != 0))
            return ql_error_set(err, EINVAL, "virtualport type '%s' of the %s does not match "
                                "network '%s' (%s), which has %s%s%s", others[i],
                                i ? "interface" : "portgroup", n->name, path,
                                vtype ? "'" : "no virtualport type", vtype ? vtype : "",
                                vtype ? "'" : "");
    *ret = *ifc;
    ret->type = DOM_NET_BRIDGE;
    ret->bridge = n->bridge;
    ret->vport_type = vtype ? DOM_VPORT_OPENVSWITCH : DOM_VPORT_DEFAULT;   /* checked above */
    const struct dom_vport_params *a = &ifc->vport, *b = pg ? &pg->port.vport : NULL,
                                   *c = &n->port.vport;
#define MERGE(f) ret->vport.f = (char *)first_nonnull(a->f, b ? b->f : NULL, c->f)
    MERGE(interfaceid);
    MERGE(profileid);
    MERGE(instanceid);
    MERGE(managerid);
    MERGE(typeid_);
    MERGE(typeidversion);
#undef MERGE
    const struct dom_net_port_cfg *vsrc = pg && pg->port.n_vlan_tags ? &pg->port
                                        : n->port.n_vlan_tags ? &n->port : NULL;
    if (!ifc->n_vlan_tags && vsrc) {
        ret->vlan_tags = vsrc->vlan_tags;
        ret->n_vlan_tags = vsrc->n_vlan_tags;
        ret->vlan_trunk = vsrc->vlan_trunk;
    }
    if (!ret->mtu)
        ret->mtu = n->mtu;
    return 0;
}

int host_setup_network(const struct domain *d, const struct dom_interface *ifc,
                       struct host_nic *nic, struct ql_error *err)
{
    struct dom_network *n = NULL;
    _cleanup_free_ char *path = NULL;
    int r = host_network_lookup(ifc->network, &n, &path, err);
    if (r < 0)
        return r;
    struct dom_interface br;
    r = network_to_bridge(ifc, n, path, &br, err);
    if (r == 0) {
        struct ql_error e = QL_ERROR_INIT;
        r = host_setup_bridge(d, &br, nic, &e);
        if (r == -ENODEV) {
            bool routed = n->forward_mode && strcmp(n->forward_mode, "bridge") != 0;
            ql_error_set(err, ENODEV, "network '%s' (read from %s) uses bridge '%s', which "
                         "does not exist on this host; %s", n->name, path, n->bridge,
                         routed ? "qlaunch does not start libvirt networks (forward mode "
                         "'nat'/'route' also needs libvirt's dnsmasq and firewall rules): "
                         "start it with `virsh net-start` or set the bridge up by hand"
                         : "create the bridge first");
        } else if (r < 0) {
            ql_error_set(err, e.code, "network '%s' (%s): %s", n->name, path,
                         ql_error_msg(&e));
        }
        ql_error_clear(&e);
    }
    dom_network_free(n);
    return r;
}
