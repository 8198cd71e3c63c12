/* libvirt network definitions (<network>, the files libvirt keeps in
 * /etc/libvirt/qemu/networks/NAME.xml), read for <interface type='network'>. qlaunch has
 * no network driver: it only needs to know which bridge a network's ports go on and what
 * the network says about those ports (Open vSwitch virtualport, VLAN, MTU, portgroups).
 * The first <ip address> and <forward><interface dev> are kept for graphics that listen on
 * a network. Everything else in the file (<dhcp>, <dns>, <nat>, <bandwidth> of the bridge...)
 * is the business of whoever brings the network up (libvirt's dnsmasq and firewall rules)
 * and is ignored. Parsed with the same untrusted-XML rules as domain XML. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "domain/domain.h"
#include "domain/parse.h"

struct dom_net_port_cfg {
    char *vport_type;           /* <virtualport type>, NULL: none */
    bool has_vport;             /* a <virtualport> element was there (maybe without type) */
    struct dom_vport_params vport;
    unsigned *vlan_tags;
    size_t n_vlan_tags;
    bool vlan_trunk;
};

struct dom_network_portgroup {
    char *name;
    bool is_default;
    struct dom_net_port_cfg port;
    bool has_bandwidth;         /* <bandwidth>: qlaunch cannot apply it (rejected at use) */
    struct dom_src src;
};

struct dom_network {
    char *name;
    char *bridge;               /* <bridge name>, NULL: none */
    char *forward_mode;         /* <forward mode>; "nat" when <forward> has no mode; NULL:
                                 * no <forward> (isolated) */
    bool forward_has_devs;      /* <forward> lists <interface dev>/<pf>/<address>: a macvtap
                                 * or hostdev pool */
    char *forward_dev;          /* the first <forward><interface dev>, NULL: none */
    char *ip_address;           /* the first <ip address> (IPv4 or IPv6), NULL: none */
    unsigned mtu;               /* <mtu size>, 0: unset */
    struct dom_net_port_cfg port;
    struct dom_network_portgroup *portgroups;
    size_t n_portgroups;
};

/* Parses a network definition. 0 and *ret, or -EINVAL with every problem in diags. */
int dom_network_parse_memory(const char *xml, size_t len, struct dom_network **ret,
                             struct dom_diags *diags);
void dom_network_free(struct dom_network *n);
/* The portgroup called name, or with name NULL the one with default='yes'; NULL if none. */
const struct dom_network_portgroup *dom_network_portgroup(const struct dom_network *n,
                                                          const char *name);
/* A network name that can be used as a file name: 1..DOM_MAX_NAME bytes, no '/', not
 * starting with '.', no control characters. */
bool dom_network_name_ok(const char *name);
