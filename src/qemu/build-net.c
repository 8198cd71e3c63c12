/* Network interfaces: -netdev (a tap/macvtap fd the launcher opens, or user-mode) and the
 * guest NIC. The host side (tap creation, bridge/OVS ports, vlan, MTU) is host/'s job. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <string.h>

/* Linux's MAX_TAP_QUEUES (host/net.h says the same for the host side). */
#define QB_NET_MAX_QUEUES 256u

static bool nic_is_virtio(enum dom_nic_model m)
{
    return m == DOM_NIC_VIRTIO || m == DOM_NIC_VIRTIO_TRANSITIONAL
           || m == DOM_NIC_VIRTIO_NON_TRANSITIONAL;
}

/* The NIC model's QEMU device: the model's name but for virtio; DEFAULT is the machine's
 * default NIC, rtl8139. */
static const char *nic_driver(char *buf, size_t len, enum dom_nic_model m)
{
    switch (m) {
    case DOM_NIC_DEFAULT:
        return "rtl8139";
    case DOM_NIC_VIRTIO:
        return qb_virtio_driver(buf, len, "virtio-net-pci", DOM_VIRTIO);
    case DOM_NIC_VIRTIO_TRANSITIONAL:
        return qb_virtio_driver(buf, len, "virtio-net-pci", DOM_VIRTIO_TRANSITIONAL);
    case DOM_NIC_VIRTIO_NON_TRANSITIONAL:
        return qb_virtio_driver(buf, len, "virtio-net-pci", DOM_VIRTIO_NON_TRANSITIONAL);
    default:
        return dom_nic_model_to_string(m);
    }
}

/* NICs are PCI devices: PCIe on q35 for virtio and e1000e. */
void qb_net_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_interfaces; i++) {
        const struct dom_interface *n = &dv->interfaces[i];
        struct qb_dev *x = qb_dev_add(c, QB_DEV_NET, &n->addr, &n->src, DOM_ADDR_PCI);
        bool pcie = n->model == DOM_NIC_VIRTIO || n->model == DOM_NIC_VIRTIO_NON_TRANSITIONAL
                    || n->model == DOM_NIC_E1000E;
        x->pci_flags = pcie ? qb_fl_pcie(c) : QB_FL_PCI;
        x->pci_rank = QB_RANK_NET;
    }
}

int qb_check_nets(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_interfaces; i++) {
        const struct dom_interface *n = &dv->interfaces[i];
        const struct dom_src *s = &n->src;
        bool virtio = nic_is_virtio(n->model);
        bool vhost = n->driver_name == DOM_NET_DRIVER_VHOST;
        if (vhost && !virtio)
            return qb_fail(c, s, "driver name='vhost' needs a virtio model");
        if (vhost && n->type == DOM_NET_USER)
            /* libvirt (qemuInterfaceOpenVhostNet) uses vhost-net only for tap-based types
             * and skips it for user networking, which has no tap to accelerate. */
            qb_note(c, "interface %zu: driver name='vhost' has no effect with type='user' "
                    "(no tap device); ignored, as libvirt does", i);
        if (vhost && n->type != DOM_NET_USER && c->o->vhost_net == QB_VHOST_ABSENT)
            return qb_fail(c, s, "driver name='vhost' needs /dev/vhost-net, which this host "
                           "lacks or QEMU's launcher may not open (modprobe vhost_net); "
                           "without name='vhost' the NIC uses QEMU's own data path");
        if (n->queues > 1 && !virtio)
            return qb_fail(c, s, "driver queues='%u' (multiqueue) needs a virtio NIC model",
                           n->queues);
        if (n->queues > 1 && n->type == DOM_NET_USER)
            return qb_fail(c, s, "driver queues='%u' (multiqueue) needs a tap-based interface "
                           "(bridge, network, ethernet, direct); type='user' has one queue",
                           n->queues);
        if (n->queues > QB_NET_MAX_QUEUES)
            return qb_fail(c, s, "driver queues='%u' is more than the %u queues a tap allows",
                           n->queues, QB_NET_MAX_QUEUES);
        /* QEMU's virtio-net: both rings hold 256 to 1024 descriptors (powers of two, which
         * the parser checked). */
        if (n->rx_queue_size && (n->rx_queue_size < 256 || n->rx_queue_size > 1024))
            return qb_fail(c, s, "rx_queue_size '%u' is outside 256-1024, the sizes QEMU's "
                           "virtio-net takes", n->rx_queue_size);
        if (n->tx_queue_size && (n->tx_queue_size < 256 || n->tx_queue_size > 1024))
            return qb_fail(c, s, "tx_queue_size '%u' is outside 256-1024, the sizes QEMU's "
                           "virtio-net takes", n->tx_queue_size);
        if (!virtio && (n->mtu || n->rx_queue_size || n->tx_queue_size || n->txmode))
            return qb_fail(c, s, "mtu, queue sizes and txmode need a virtio NIC");
        if (!virtio && (n->event_idx || n->ioeventfd))
            return qb_fail(c, s, "<driver %s> needs a virtio NIC",
                           n->ioeventfd ? "ioeventfd" : "event_idx");
        if (n->type == DOM_NET_USER && (n->vport_type || n->n_vlan_tags))
            return qb_fail(c, s, "type='user' takes no bridge, virtualport or vlan");
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

/* QEMU takes tx_queue_size above 256 only with a vhost-user or vDPA backend (which
 * qlaunch does not offer; a tap, with or without vhost-net, is neither). 7.2 clamps a
 * larger value to 256 silently; 8.0.4 and later refuse it ("must be a power of 2 between
 * 256 and 256", QEMU commit 4271f403). For those the argv says 256, what the guest gets
 * either way. */
static unsigned tx_queue_size(struct qb_ctx *c, const struct dom_interface *n, size_t i)
{
    const unsigned qemu_max = 256;
    if (n->tx_queue_size <= qemu_max || !c->o->caps ||
        !qemu_caps_version_ge(c->o->caps, 8, 0, 4))
        return n->tx_queue_size;
    qb_note(c, "interface %zu: tx_queue_size %u becomes %u: QEMU %d.%d takes more only with "
            "a vhost-user or vDPA backend, which qlaunch does not offer (taps, vhost-net and "
            "user networking are not; QEMU 7.2 used %u too, silently)", i, n->tx_queue_size, qemu_max,
            c->o->caps->major, c->o->caps->minor, qemu_max);
    return qemu_max;
}

/* libvirt's choice (qemuInterfaceOpenVhostNet): explicit name='vhost' always (the check
 * refused a host without it), name='qemu' never, else when the host offers vhost-net; only
 * virtio NICs on a tap or macvtap. */
static bool use_vhost(const struct qb_ctx *c, const struct dom_interface *n)
{
    if (!nic_is_virtio(n->model) || n->type == DOM_NET_USER
        || n->driver_name == DOM_NET_DRIVER_QEMU)
        return false;
    /* A hot-plugged NIC gets its one tap fd through getfd, no vhost-net (check_hot). */
    return n->driver_name == DOM_NET_DRIVER_VHOST ||
           (c->o->vhost_net == QB_VHOST_USABLE && !c->hot);
}

/* "fd" or "fds" ("3:4:5", one per queue) for kind, as libvirt writes them. */
static void add_fds(struct qb_ctx *c, struct qj *j, const char *one, const char *many,
                    enum qb_fd_kind kind, size_t i, unsigned queues, const char *what)
{
    struct strbuf sb = STRBUF_INIT;
    for (unsigned q = 0; q < queues; q++) {
        char *w = queues > 1 ? xasprintf("%s, queue %u", what, q + 1) : xstrdup(what);
        sb_addf(&sb, "%s%d", q ? ":" : "", qb_add_fd(c, kind, i, w));
    }
    qj_str(j, queues > 1 ? many : one, sb_str(&sb));
    sb_free(&sb);
}

int qb_build_nets(struct qb_ctx *c)
{
    int r;
    for (size_t i = 0; i < c->d->dev.n_interfaces; i++)
        if ((r = qb_build_net(c, i)) < 0)
            return r;
    return 0;
}

int qb_build_net(struct qb_ctx *c, size_t i)
{
    const struct dom_devices *dv = &c->d->dev;
    if (!c->r->nics)
        c->r->nics = xcalloc(dv->n_interfaces + 1, sizeof(*c->r->nics));
    const struct dom_interface *n = &dv->interfaces[i];
    bool virtio = nic_is_virtio(n->model);
    unsigned queues = n->queues > 1 ? n->queues : 1;
    bool hot = qb_is_hot(c, QB_HOT_NET, i);
    char hostid[32], id[32], mac[32], drv[48];
    size_t num = hot ? c->hot->num : i;
    snprintf(hostid, sizeof(hostid), "hostnet%zu", num);
    snprintf(id, sizeof(id), "net%zu", num);
    c->r->nics[i] = (struct qb_nic){xstrdup(hostid), xstrdup(id),
                                    n->link_state == DOM_LINK_DOWN};
    c->r->n_nics = i + 1;
    if (hot)
        c->r->hot_id = xstrdup(id);
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
        qj_str(&j, "type", "tap");
        add_fds(c, &j, "fd", "fds", kind, i, queues, what);
        free(what);
        if (use_vhost(c, n)) {
            _cleanup_free_ char *vwhat = xasprintf("/dev/vhost-net for interface %zu", i);
            qj_bool(&j, "vhost", true);
            add_fds(c, &j, "vhostfd", "vhostfds", QB_FD_VHOST, i, queues, vwhat);
        }
    }
    qj_str(&j, "id", hostid);
    qb_opt(c, QB_SRC(&n->src), "-netdev", qj_end(&j));

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
    qj_str(&j, "driver", nic_driver(drv, sizeof(drv), n->model));
    if (virtio) {
        if (n->txmode) {
            qj_str(&j, "tx", n->txmode == DOM_TXMODE_IOTHREAD ? "bh" : "timer");
            qb_prop(c, "tx", QB_ATTR(&n->src, "driver@txmode"));
        }
        if (n->ioeventfd)
            qj_bool(&j, "ioeventfd", n->ioeventfd == DOM_TRI_ON);
        if (n->event_idx)
            qj_bool(&j, "event_idx", n->event_idx == DOM_TRI_ON);
        if (queues > 1) {
            /* a vector per queue in each direction, one for config, one for control */
            qj_bool(&j, "mq", true);
            qj_uint(&j, "vectors", 2 * queues + 2);
            qb_prop(c, "mq", QB_ATTR(&n->src, "driver@queues"));
            qb_prop(c, "vectors", QB_ATTR(&n->src, "driver@queues"));
        }
        if (n->rx_queue_size) {
            qj_uint(&j, "rx_queue_size", n->rx_queue_size);
            qb_prop(c, "rx_queue_size", QB_ATTR(&n->src, "driver@rx_queue_size"));
        }
        if (n->tx_queue_size) {
            qj_uint(&j, "tx_queue_size", tx_queue_size(c, n, i));
            qb_prop(c, "tx_queue_size", QB_ATTR(&n->src, "driver@tx_queue_size"));
        }
        if (n->mtu) {
            qj_uint(&j, "host_mtu", n->mtu);
            qb_prop(c, "host_mtu", QB_ATTR(&n->src, "mtu@size"));
        }
    }
    qj_str(&j, "netdev", hostid);
    qj_str(&j, "id", id);
    qj_str(&j, "mac", mac);
    qb_prop(c, "mac", n->mac ? QB_ATTR(&n->src, "mac@address")
                             : QB_WHY("no <mac>: derived from the UUID (libvirt picks a random "
                                      "one)"));
    const struct qb_dev *x = qb_dev(c, QB_DEV_NET, i);
    qj_pci(c, &j, &x->pci);
    if (x->bootindex) {
        qj_uint(&j, "bootindex", x->bootindex);
        qb_prop(c, "bootindex", qb_boot_from(c, &n->src, n->boot_order));
    }
    qj_rom(&j, n->rom_file, n->rom_bar, n->rom_enabled);
    qb_device(c, QB_SRC(&n->src), &j);
    if (n->link_state == DOM_LINK_DOWN)
        qb_note(c, "interface %zu: link is set down with QMP set_link before start", i);
    return 0;
}
