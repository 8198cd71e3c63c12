/* libvirt network XML; see network.h. */
#include "config.h"
#include "domain/network.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#define NET_MAX_PORTGROUPS 256
#define NET_MAX_VLAN_TAGS 4096

static void free_port_cfg(struct dom_net_port_cfg *c)
{
    free(c->vport_type);
    free(c->vport.interfaceid);
    free(c->vport.profileid);
    free(c->vport.instanceid);
    free(c->vport.managerid);
    free(c->vport.typeid_);
    free(c->vport.typeidversion);
    free(c->vlan_tags);
}

void dom_network_free(struct dom_network *n)
{
    if (!n)
        return;
    free(n->name);
    free(n->bridge);
    free(n->forward_mode);
    free(n->forward_dev);
    free(n->ip_address);
    free_port_cfg(&n->port);
    for (size_t i = 0; i < n->n_portgroups; i++) {
        free(n->portgroups[i].name);
        free_port_cfg(&n->portgroups[i].port);
        free(n->portgroups[i].src.path);
    }
    free(n->portgroups);
    free(n);
}

bool dom_network_name_ok(const char *name)
{
    _cleanup_free_ char *why = dom_name_error("network", name);
    return !why;
}

const struct dom_network_portgroup *dom_network_portgroup(const struct dom_network *n,
                                                          const char *name)
{
    for (size_t i = 0; i < n->n_portgroups; i++) {
        const struct dom_network_portgroup *g = &n->portgroups[i];
        if (name ? g->name && strcmp(g->name, name) == 0 : g->is_default)
            return g;
    }
    return NULL;
}

/* <virtualport> and <vlan> of the network itself or of a portgroup. */
static void parse_port_cfg(struct px *p, xmlNode *parent, struct dom_net_port_cfg *c)
{
    xmlNode *vp = px_child(p, parent, "virtualport");
    if (vp) {
        c->has_vport = true;
        c->vport_type = px_attr_dup(vp, "type");
        xmlNode *pr = px_child(p, vp, "parameters");
        if (pr) {
            px_attr_uuid(p, pr, "interfaceid", &c->vport.interfaceid);
            c->vport.profileid = px_attr_dup(pr, "profileid");
            px_attr_uuid(p, pr, "instanceid", &c->vport.instanceid);
            c->vport.managerid = px_attr_dup(pr, "managerid");
            c->vport.typeid_ = px_attr_dup(pr, "typeid");
            c->vport.typeidversion = px_attr_dup(pr, "typeidversion");
        }
    }
    xmlNode *vlan = px_child(p, parent, "vlan");
    if (!vlan)
        return;
    enum dom_tristate trunk = DOM_TRI_DEFAULT;
    px_attr_tristate(p, vlan, "trunk", &trunk);
    c->vlan_trunk = trunk == DOM_TRI_ON;
    for (xmlNode *tag = NULL; (tag = px_next(vlan, tag, "tag"));) {
        unsigned id = 0;
        if (px_attr_uint(p, tag, "id", &id) <= 0 || id > 4095) {
            px_err(p, tag, "id", "a VLAN tag needs an id from 0 to 4095");
            continue;
        }
        if (px_attr(tag, "nativeMode")) {
            px_err(p, tag, "nativeMode", "native VLAN modes are not supported");
            continue;
        }
        if (c->n_vlan_tags >= NET_MAX_VLAN_TAGS) {
            px_err(p, tag, NULL, "more than %d VLAN tags", NET_MAX_VLAN_TAGS);
            break;
        }
        c->vlan_tags = xrealloc(c->vlan_tags, (c->n_vlan_tags + 1) * sizeof(unsigned));
        c->vlan_tags[c->n_vlan_tags++] = id;
    }
    if (!c->n_vlan_tags)
        px_err(p, vlan, NULL, "<vlan> needs at least one <tag id=...>");
    else if (c->n_vlan_tags > 1 && !c->vlan_trunk && trunk == DOM_TRI_OFF)
        px_err(p, vlan, "trunk", "several VLAN tags need trunk='yes'");
    else if (c->n_vlan_tags > 1)
        c->vlan_trunk = true;   /* libvirt: several tags mean a trunk */
}

int dom_network_parse_memory(const char *xml, size_t len, struct dom_network **ret,
                             struct dom_diags *diags)
{
    *ret = NULL;
    xmlDocPtr doc;
    if (px_load_xml(xml, len, "network", "network XML", diags, &doc) < 0)
        return -EINVAL;
    xmlNode *root = xmlDocGetRootElement(doc);
    size_t errors_before = diags->n_errors;
    struct dom_network *n = xcalloc(1, sizeof(*n));
    struct px p = {diags, NULL};
    px_use(root);

    n->name = px_child_text(&p, root, "name");
    if (!n->name)
        px_err(&p, root, NULL, "a network needs a <name>");
    xmlNode *br = px_child(&p, root, "bridge");
    if (br)
        n->bridge = px_attr_dup(br, "name");
    xmlNode *fw = px_child(&p, root, "forward");
    if (fw) {
        n->forward_mode = px_attr_dup(fw, "mode");
        if (!n->forward_mode)
            n->forward_mode = xstrdup("nat");   /* libvirt's default forward mode */
        n->forward_has_devs = px_count(fw, "interface") || px_count(fw, "pf") ||
                              px_count(fw, "address");
        xmlNode *fi = px_next(fw, NULL, "interface");
        if (fi)
            n->forward_dev = px_attr_dup(fi, "dev");
    }
    /* The first <ip address>, of either family (libvirt's virNetworkDefGetIPByIndex(def,
     * AF_UNSPEC, 0)): where a graphics <listen type='network'> listens. */
    xmlNode *ip = px_next(root, NULL, "ip");
    if (ip)
        n->ip_address = px_attr_dup(ip, "address");
    xmlNode *mtu = px_child(&p, root, "mtu");
    if (mtu)
        px_attr_uint(&p, mtu, "size", &n->mtu);
    parse_port_cfg(&p, root, &n->port);
    if (px_count(root, "portgroup") > NET_MAX_PORTGROUPS) {
        px_err(&p, root, NULL, "more than %d portgroups", NET_MAX_PORTGROUPS);
    } else {
        for (xmlNode *pg = NULL; (pg = px_next(root, pg, "portgroup"));) {
            n->portgroups = xrealloc(n->portgroups,
                                     (n->n_portgroups + 1) * sizeof(*n->portgroups));
            struct dom_network_portgroup *g = &n->portgroups[n->n_portgroups++];
            memset(g, 0, sizeof(*g));
            px_src(&g->src, pg);
            g->name = px_attr_dup(pg, "name");
            if (!g->name)
                px_err(&p, pg, "name", "a portgroup needs a name");
            enum dom_tristate def = DOM_TRI_DEFAULT;
            px_attr_tristate(&p, pg, "default", &def);
            g->is_default = def == DOM_TRI_ON;
            parse_port_cfg(&p, pg, &g->port);
            g->has_bandwidth = px_count(pg, "bandwidth") > 0;
        }
    }
    /* No unconsumed-element walk: the rest is the network driver's (see network.h). */
    xmlFreeDoc(doc);
    if (diags->n_errors != errors_before) {
        dom_network_free(n);
        return -EINVAL;
    }
    *ret = n;
    return 0;
}
