/* Network interfaces: -netdev (a tap/macvtap fd the launcher opens, or user-mode) and the
 * guest NIC. The host side (tap creation, bridge/OVS ports, vlan, MTU) is host/'s job. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <string.h>

struct nic_model {
    const char *model, *driver;
    bool virtio;
};

static const struct nic_model nic_models[] = {
    {"virtio", "virtio-net-pci", true},
    {"virtio-transitional", "virtio-net-pci-transitional", true},
    {"virtio-non-transitional", "virtio-net-pci-non-transitional", true},
    {"e1000", "e1000", false},
    {"e1000e", "e1000e", false},
    {"rtl8139", "rtl8139", false},
    {"vmxnet3", "vmxnet3", false},
    {"ne2k_pci", "ne2k_pci", false},
    {"pcnet", "pcnet", false},
    {"i82559er", "i82559er", false},
};

static const struct nic_model *nic_model(const struct dom_interface *n)
{
    const char *m = n->model ? n->model : "rtl8139";
    for (size_t i = 0; i < sizeof(nic_models) / sizeof(nic_models[0]); i++)
        if (STREQ(nic_models[i].model, m))
            return &nic_models[i];
    return NULL;
}

int qb_check_nets(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_interfaces; i++) {
        const struct dom_interface *n = &dv->interfaces[i];
        const struct dom_src *s = &n->src;
        const struct nic_model *m = nic_model(n);
        if (!m)
            return qb_fail(c, s, "NIC model '%s' is not supported", n->model);
        if (n->driver_name && !STREQ(n->driver_name, "qemu") && !STREQ(n->driver_name, "vhost"))
            return qb_fail(c, s, "interface driver '%s' is not supported", n->driver_name);
        if (n->driver_name && STREQ(n->driver_name, "vhost") && !m->virtio)
            return qb_fail(c, s, "driver name='vhost' needs a virtio model");
        if (n->driver_name && STREQ(n->driver_name, "vhost") && n->type == DOM_NET_USER)
            /* libvirt (qemuInterfaceOpenVhostNet) uses vhost-net only for tap-based types
             * and skips it for user networking, which has no tap to accelerate. */
            qb_note(c, "interface %zu: driver name='vhost' has no effect with type='user' "
                    "(no tap device); ignored, as libvirt does", i);
        if (n->queues > 1)
            return qb_fail(c, s, "multiqueue (queues=%u) is not supported yet", n->queues);
        if (!m->virtio && (n->mtu || n->rx_queue_size || n->tx_queue_size || n->txmode))
            return qb_fail(c, s, "mtu, queue sizes and txmode need a virtio NIC");
        if (!m->virtio && (n->event_idx || n->ioeventfd))
            return qb_fail(c, s, "<driver %s> needs a virtio NIC",
                           n->ioeventfd ? "ioeventfd" : "event_idx");
        if (n->txmode && !STREQ(n->txmode, "iothread") && !STREQ(n->txmode, "timer"))
            return qb_fail(c, s, "txmode '%s' is not known", n->txmode);
        if (n->type == DOM_NET_USER && (n->bridge || n->vport_type || n->n_vlan_tags))
            return qb_fail(c, s, "type='user' takes no bridge, virtualport or vlan");
        if (n->type == DOM_NET_BRIDGE && !n->bridge)
            return qb_fail(c, s, "type='bridge' needs <source bridge=...>");
        if (n->type == DOM_NET_DIRECT && !n->source_dev)
            return qb_fail(c, s, "type='direct' needs <source dev=...>");
        if (n->type == DOM_NET_NETWORK && !n->network)
            return qb_fail(c, s, "type='network' needs <source network=...>");
        if (n->link_state && !STREQ(n->link_state, "up") && !STREQ(n->link_state, "down"))
            return qb_fail(c, s, "link state '%s' is not known", n->link_state);
        if (n->addr.type != DOM_ADDR_NONE && n->addr.type != DOM_ADDR_PCI)
            return qb_fail(c, s, "a NIC needs a PCI address");
        if (n->script && n->type != DOM_NET_ETHERNET)
            return qb_fail(c, s, "<script> is only run for type='ethernet' interfaces; a "
                           "type='%s' interface is connected by qlaunch itself",
                           dom_net_type_to_string(n->type));
        const struct dom_vport_params *vp = &n->vport;
        if (n->type == DOM_NET_BRIDGE && !n->vport_type
            && (vp->interfaceid || vp->profileid || vp->instanceid || vp->managerid
                || vp->typeid_ || vp->typeidversion))
            return qb_fail(c, s, "<virtualport> without a type has <parameters>, which a "
                           "Linux bridge port cannot use; write type='openvswitch' for an "
                           "Open vSwitch bridge");
    }
    return 0;
}

int qb_build_nets(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_interfaces; i++) {
        const struct dom_interface *n = &dv->interfaces[i];
        const struct nic_model *m = nic_model(n);
        char hostid[32], id[32], mac[32];
        snprintf(hostid, sizeof(hostid), "hostnet%zu", i);
        snprintf(id, sizeof(id), "net%zu", i);
        struct qj j;
        qj_begin(&j);
        if (n->type == DOM_NET_USER) {
            qj_str(&j, "type", "user");
        } else {
            enum qb_fd_kind kind = n->type == DOM_NET_DIRECT ? QB_FD_MACVTAP : QB_FD_TAP;
            char *what;
            switch (n->type) {
            case DOM_NET_BRIDGE:
                what = xasprintf("tap for interface %zu on bridge '%s'%s", i, n->bridge,
                                 n->vport_type ? " (virtualport)" : "");
                break;
            case DOM_NET_NETWORK:
                what = xasprintf("tap for interface %zu on network '%s'", i, n->network);
                break;
            case DOM_NET_DIRECT:
                what = xasprintf("macvtap for interface %zu on '%s'", i, n->source_dev);
                break;
            default:
                what = xasprintf("tap for interface %zu (ethernet%s%s)", i,
                                 n->target_dev ? " " : "", n->target_dev ? n->target_dev : "");
                break;
            }
            int fd = qb_add_fd(c, kind, i, what);
            char fdstr[16];
            snprintf(fdstr, sizeof(fdstr), "%d", fd);
            qj_str(&j, "type", "tap");
            qj_str(&j, "fd", fdstr);
            if (n->driver_name && STREQ(n->driver_name, "vhost")) {
                int vfd = qb_add_fd(c, QB_FD_VHOST, i,
                                    xasprintf("/dev/vhost-net for interface %zu", i));
                snprintf(fdstr, sizeof(fdstr), "%d", vfd);
                qj_bool(&j, "vhost", true);
                qj_str(&j, "vhostfd", fdstr);
            }
        }
        qj_str(&j, "id", hostid);
        qb_opt(c, "-netdev", qj_end(&j));

        if (n->mac) {
            snprintf(mac, sizeof(mac), "%s", n->mac);
        } else {
            /* Deterministic, unlike libvirt's random one: derived from the UUID. */
            const unsigned char *u = c->d->uuid;
            snprintf(mac, sizeof(mac), "52:54:00:%02x:%02x:%02x", u[13],
                     u[14], (unsigned)(u[15] + i) & 0xff);
            qb_note(c, "interface %zu has no <mac>; using %s (derived from the UUID)", i, mac);
        }
        qj_begin(&j);
        qj_str(&j, "driver", m->driver);
        if (m->virtio) {
            if (n->txmode)
                qj_str(&j, "tx", STREQ(n->txmode, "iothread") ? "bh" : "timer");
            if (n->ioeventfd)
                qj_bool(&j, "ioeventfd", n->ioeventfd == DOM_TRI_ON);
            if (n->event_idx)
                qj_bool(&j, "event_idx", n->event_idx == DOM_TRI_ON);
            if (n->rx_queue_size)
                qj_uint(&j, "rx_queue_size", n->rx_queue_size);
            if (n->tx_queue_size)
                qj_uint(&j, "tx_queue_size", n->tx_queue_size);
            if (n->mtu)
                qj_uint(&j, "host_mtu", n->mtu);
        }
        qj_str(&j, "netdev", hostid);
        qj_str(&j, "id", id);
        qj_str(&j, "mac", mac);
        qj_pci(c, &j, &c->net_pci[i]);
        if (c->net_boot[i])
            qj_uint(&j, "bootindex", c->net_boot[i]);
        if (n->rom_bar != DOM_TRI_DEFAULT)
            qj_uint(&j, "rombar", n->rom_bar == DOM_TRI_ON);
        if (n->rom_enabled == DOM_TRI_OFF)
            qj_str(&j, "romfile", "");
        else if (n->rom_file)
            qj_str(&j, "romfile", n->rom_file);
        qb_opt(c, "-device", qj_end(&j));
        if (n->link_state && STREQ(n->link_state, "down"))
            qb_note(c, "interface %zu: link is set down with QMP set_link before start", i);
    }
    return 0;
}
