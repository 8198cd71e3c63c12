/* Host side of guest NICs: tap devices, Linux bridge ports, Open vSwitch ports, and the
 * <script> of type='ethernet'. Every setup records what it did in a struct host_nic so
 * that host_nic_teardown() (or a failure half-way) can undo it in reverse order.
 *
 * Follows libvirt (notes/libvirt-semantics.md §2c "Bridge + OVS virtualport"):
 *  - taps are opened through /dev/net/tun and are NOT persistent: the device disappears
 *    when the last fd closes (in qlaunch and in QEMU), so a crash of both leaks nothing
 *    but an OVS port record;
 *  - the tap MAC is the guest MAC with its first byte replaced by 0xFE (0xFA when it
 *    already was 0xFE), so the bridge never learns the guest's own address from the host;
 *  - the MTU comes from <mtu size>, else from the bridge;
 *  - Open vSwitch ports are added with `ovs-vsctl --timeout=5` (fork + execvp, no shell).
 *    ovs-vsctl inherits the environment, so OVS_RUNDIR selects a non-default
 *    database socket ($OVS_RUNDIR/db.sock), which the tests use for a private ovsdb.
 *
 *  - type='direct' (macvtap, libvirt's virNetDevMacVLanCreateWithVPortProfile): a macvtap
 *    link on the source device is created with rtnetlink (RTM_NEWLINK, kind "macvtap",
 *    the <source mode>), with the guest MAC itself (not 0xFE: the macvtap *is* the guest's
 *    address on the wire), brought up, and /dev/tapIFINDEX is opened once per queue; the
 *    link is deleted (RTM_DELLINK) on teardown.
 *
 * Requires CAP_NET_ADMIN. Taps, bridges and OVS use ioctls only (no sysfs), so they work
 * in whatever network namespace the caller is in, even when /sys was mounted for another
 * one. A macvtap's character device number is only published in sysfs
 * (/sys/class/net/NAME/macvtap/tapN/dev): with a /sys of another namespace, /dev/tapN is
 * opened as it is and checked with TUNGETIFF to belong to the macvtap just created.
 *
 * The implementation is one file per concern (tap.c, bridge.c, ovs.c, macvtap.c, netlink.c,
 * network.c, listen.c, ...); src/host/net-priv.h lists them and what they share. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "domain/domain.h"
#include "util/error.h"

/* Linux allows at most 256 queues per tap (MAX_TAP_QUEUES). */
#define HOST_TAP_MAX_QUEUES 256u
/* Prefix of generated tap names; the kernel picks the number ("qltap0", "qltap1", ...). */
#define HOST_TAP_AUTO_PREFIX "qltap"
/* Prefix of generated macvtap names ("qlmvt0", ...): the first free number is taken. */
#define HOST_MACVTAP_AUTO_PREFIX "qlmvt"
#define HOST_MACVTAP_MAX_NUMBER 8192u   /* as libvirt's MACVTAP_MAX_ID */
/* Hard limits on helper programs, on top of ovs-vsctl's own --timeout=5. */
#define HOST_OVS_VSCTL_TIMEOUT_MS 10000
#define HOST_SCRIPT_TIMEOUT_MS 30000

/* Creates a non-persistent tap device (IFF_TAP|IFF_NO_PI, plus IFF_VNET_HDR when vnet_hdr,
 * plus IFF_MULTI_QUEUE when queues > 1) and returns its name and one fd per queue.
 *
 * want_name NULL, or a name starting with "vnet", "macvtap" or "macvlan" (libvirt's
 * generated names), gives a kernel-numbered "qltapN". Otherwise want_name must be a plain
 * interface name (at most IFNAMSIZ-1 bytes, no '/', ':', '%' or whitespace) that is not yet
 * taken by any network device: an existing device is never reused (-EBUSY).
 *
 * queues 0 counts as 1. ret_fds must have room for max(queues, 1) entries.
 * The fds are close-on-exec: the launcher clears FD_CLOEXEC on the copies it hands to
 * QEMU right before exec (in the child), so no other program inherits them. */
int host_tap_open(const char *want_name, bool vnet_hdr, unsigned queues, char **ret_name,
                  int *ret_fds, struct ql_error *err);

/* What host_nic_setup() did, for undo. A zeroed struct (or HOST_NIC_INIT) is empty and may
 * be torn down. A supervisor that re-attaches to a running QEMU can rebuild one from its
 * state file with only tap_name and ovs_bridge set (no fds) and tear that down. */
struct host_nic {
    enum dom_net_type type;
    char *tap_name;             /* NULL: no tap (type='user') */
    int *tap_fds;               /* n_tap_fds fds, close-on-exec; an entry is -1 once closed */
    unsigned n_tap_fds;
    bool vnet_hdr;              /* the tap was opened with IFF_VNET_HDR (virtio model) */
    char *bridge;               /* Linux bridge or OVS bridge the tap is attached to, or NULL */
    char *ovs_bridge;           /* set while an OVS port exists: teardown deletes the port */
    unsigned char tap_mac[6];   /* MAC set on the tap (guest MAC with first byte 0xFE/0xFA) */
    unsigned mtu;               /* MTU set on the tap, 0 when left as the kernel made it */
    bool macvtap;               /* tap_name is a macvtap link qlaunch created on lower_dev:
                                 * teardown deletes it (RTM_DELLINK) */
    char *lower_dev;            /* type='direct': the <source dev> */
    int *vhost_fds;             /* /dev/vhost-net, one per queue QEMU runs with vhost-net */
    unsigned n_vhost_fds;
};

#define HOST_NIC_INIT {.type = DOM_NET_USER}

/* Does the whole host side of d->dev.interfaces[iface_index]:
 *  - type='bridge' without <virtualport>: a tap enslaved to the Linux bridge (which must
 *    exist and be a Linux bridge), MAC, MTU, link up;
 *  - type='bridge' with <virtualport type='openvswitch'>: a tap added to the OVS bridge
 *    with external-ids attached-mac, iface-id (<parameters interfaceid>, or a random UUID
 *    as libvirt generates), vm-id (the domain UUID), iface-status=active, and the VLAN
 *    (<vlan><tag id>: tag=N, trunk='yes': trunk=a,b,...), MAC, MTU, link up;
 *  - type='ethernet': a tap with MAC, MTU, link up, then `<script path> TAPNAME` is run
 *    (minimal environment, HOST_SCRIPT_TIMEOUT_MS); with <target managed='no'> the existing
 *    tap named by <target dev> is opened and left as configured (the script still runs);
 *  - type='network': the network is looked up with host_network_lookup() and the
 *    interface becomes a type='bridge' one on the network's bridge (Linux bridge, or Open
 *    vSwitch with <virtualport type='openvswitch'/> in the network), with the virtualport
 *    parameters and VLAN of the interface, else its portgroup (the default one when none
 *    is named), else the network; a missing bridge fails with the network, the file and
 *    the bridge named (qlaunch does not start libvirt networks: no dnsmasq, no NAT rules);
 *  - type='direct': a macvtap link on <source dev> in <source mode> (vepa, bridge,
 *    private, passthrough), named by <target dev> unless libvirt generated that name
 *    (then "qlmvtN"; an existing device is never reused: -EBUSY), with the guest MAC
 *    (in passthrough mode the kernel moves it to the source device and puts the old one
 *    back when the link goes), <mtu size>, link up; tap_fds are /dev/tapIFINDEX opened
 *    <driver queues> times, with IFF_VNET_HDR for a virtio model and cleared otherwise
 *    (a macvtap queue starts with it set). A kernel without CONFIG_MACVTAP fails with
 *    -EOPNOTSUPP and says so. <virtualport>, <vlan> and <target managed='no'> are
 *    rejected (-ENOTSUP);
 *  - type='user': nothing, *ret is empty.
 * The guest MAC must be set (the launcher assigns missing ones before calling this).
 * On failure everything done so far is undone, *ret is empty and err names the interface:
 * "devices/interface[1]: bridge 'br0' does not exist on this host (line 33)". */
int host_nic_setup(const struct domain *d, size_t iface_index, struct host_nic *ret,
                   struct ql_error *err);

/* Undoes host_nic_setup() in reverse order: deletes the OVS port (errors are ignored,
 * use host_ovs_del_port() to see them), closes the fds (which destroys the tap once QEMU
 * has closed its copies too), deletes a macvtap link (only if the device of that name
 * still is a macvtap) and frees the strings. Leaves an empty struct; idempotent. */
void host_nic_teardown(struct host_nic *nic);

/* Whether /dev/vhost-net can be opened (the vhost_net module is loaded and the device
 * node accessible): libvirt then gives virtio NICs on taps the in-kernel data path. */
bool host_vhost_net_usable(void);
/* Opens /dev/vhost-net once more for nic (close-on-exec, closed with the tap fds) and
 * returns the fd, or -errno. */
int host_vhost_net_open(struct host_nic *nic, struct ql_error *err);

/* Closes the fds only (e.g. in the supervisor once QEMU holds its own copies), keeping the
 * record for a later host_nic_teardown(). */
void host_nic_close_fds(struct host_nic *nic);

/* Where libvirt network definitions are looked for, in order: $QLAUNCH_NETWORK_DIR, then
 * these (NAME.xml in each; the libvirt one is the file `virsh net-define` writes). */
#define HOST_NETWORK_DIR_QLAUNCH "/etc/qlaunch/networks"
#define HOST_NETWORK_DIR_LIBVIRT "/etc/libvirt/qemu/networks"
#define HOST_NETWORK_XML_MAX (1024u * 1024)

struct dom_network;
/* Reads and parses network NAME from the first directory that has NAME.xml; the file's
 * <name> must be NAME. *ret_path (optional) gets the file read. -ENOENT names every file
 * tried. */
int host_network_lookup(const char *name, struct dom_network **ret, char **ret_path,
                        struct ql_error *err);

/* The address a <listen type='network' network='NAME'> of a SPICE/VNC server listens on,
 * as libvirt's networkGetNetworkAddress: for forward modes none (isolated), nat, route and
 * open the first <ip address> of the network definition (no host access beyond the file);
 * for mode bridge the IPv4 address of the network's bridge; for device pools (macvtap
 * modes) the IPv4 address of the first <forward><interface dev>. *ret_addr is malloc'd. */
int host_network_listen_address(const char *name, char **ret_addr, struct ql_error *err);

/* Per graphics device of a domain: the resolved address of its <listen type='network'>,
 * NULL for every other kind of listen. */
struct host_listen_addrs {
    char **v;                   /* d->dev.n_graphics entries (NULL when there is none) */
    size_t n;
};
/* Resolves every <listen type='network'> of d with host_network_listen_address(); errors
 * name the graphics element: "devices/graphics[1]/listen: network 'x' ... (line 40)". */
int host_gfx_listen_resolve(const struct domain *d, struct host_listen_addrs *ret,
                            struct ql_error *err);
void host_listen_addrs_free(struct host_listen_addrs *a);

/* `ovs-vsctl --timeout=5 -- --if-exists del-port TAP`. */
int host_ovs_del_port(const char *tap_name, struct ql_error *err);

/* Checks a network interface name: 1..IFNAMSIZ-1 bytes, none of '/', ':', '%', whitespace,
 * not "." or "..". what names it in the message ("tap name", "bridge name"). */
int host_ifname_check(const char *name, const char *what, struct ql_error *err);
