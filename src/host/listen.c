/* Graphics <listen type='network'>: the address a SPICE/VNC server listens on, from the
 * network definition or the IPv4 address of its bridge (libvirt's
 * networkGetNetworkAddress). */
#include "config.h"
#include "host/net-priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "domain/network.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
/* The IPv4 address of a network device (libvirt's virNetDevIPAddrGet: SIOCGIFADDR). */
static int netdev_ipv4(const char *dev, char **ret, struct ql_error *err)
{
    _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return ql_error_errno(err, errno, "cannot create a socket");
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, dev);
    if (ioctl(sock, SIOCGIFADDR, &ifr) < 0) {
        int e = errno;
        if (e == ENODEV)
            return ql_error_set(err, e, "device '%s' does not exist on this host", dev);
        if (e == EADDRNOTAVAIL)
            return ql_error_set(err, e, "device '%s' has no IPv4 address", dev);
        return ql_error_errno(err, e, "cannot read the IPv4 address of '%s'", dev);
    }
    char buf[INET_ADDRSTRLEN];
    const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)&ifr.ifr_addr;
    if (!inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)))
        return ql_error_set(err, errno, "cannot format the address of '%s'", dev);
    *ret = xstrdup(buf);
    return 0;
}

int host_network_listen_address(const char *name, char **ret_addr, struct ql_error *err)
{
    *ret_addr = NULL;
    struct dom_network *n = NULL;
    _cleanup_free_ char *path = NULL;
    int r = host_network_lookup(name, &n, &path, err);
    if (r < 0)
        return r;
    const char *fm = n->forward_mode;
    struct ql_error e = QL_ERROR_INIT;
    if (!fm || STREQ(fm, "nat") || STREQ(fm, "route") || STREQ(fm, "open")) {
        unsigned char bin[sizeof(struct in6_addr)];
        if (!n->ip_address)
            r = ql_error_set(err, EINVAL, "network '%s' (%s) has no <ip address>, which a "
                             "graphics <listen type='network'> listens on", name, path);
        else if (inet_pton(AF_INET, n->ip_address, bin) != 1 &&
                 inet_pton(AF_INET6, n->ip_address, bin) != 1)
            r = ql_error_set(err, EINVAL, "network '%s' (%s): <ip address='%s'> is not an IP "
                             "address", name, path, n->ip_address);
        else
            *ret_addr = xstrdup(n->ip_address);
    } else {
        /* mode bridge uses its bridge; without one it is a macvtap pool, like the others */
        const char *dev = STREQ(fm, "bridge") && n->bridge ? n->bridge : n->forward_dev;
        if (!dev)
            r = ql_error_set(err, EINVAL, "network '%s' (%s) has no bridge or forward "
                             "interface whose address a graphics <listen type='network'> "
                             "could use", name, path);
        else if (host_ifname_check(dev, "device name", &e) < 0 || netdev_ipv4(dev, ret_addr,
                                                                             &e) < 0)
            r = ql_error_set(err, e.code, "network '%s' (%s): %s", name, path,
                             ql_error_msg(&e));
    }
    ql_error_clear(&e);
    dom_network_free(n);
    return r;
}

void host_listen_addrs_free(struct host_listen_addrs *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

int host_gfx_listen_resolve(const struct domain *d, struct host_listen_addrs *ret,
                            struct ql_error *err)
{
    *ret = (struct host_listen_addrs){0};
    const struct dom_devices *dv = &d->dev;
    struct host_listen_addrs a = {0};
    for (size_t i = 0; i < dv->n_graphics; i++) {
        const struct dom_graphics *g = &dv->graphics[i];
        if (!g->n_listens || g->listens[0].type != DOM_LISTEN_NETWORK)
            continue;
        if (!a.v) {
            a.v = xcalloc(dv->n_graphics, sizeof(char *));
            a.n = dv->n_graphics;
        }
        int r = host_network_listen_address(g->listens[0].network, &a.v[i], err);
        if (r < 0) {
            _cleanup_free_ char *where = g->src.path ? xasprintf("%s/listen", g->src.path)
                                                     : xasprintf("devices/graphics[%zu]/listen",
                                                                 i + 1);
            ql_error_locate(err, where, g->src.line);
            host_listen_addrs_free(&a);
            return r;
        }
    }
    *ret = a;
    return 0;
}
