/* libvirt's USB address set (virDomainUSBAddressSet): per controller a root hub with the
 * controller's ports, usb-hub devices plugged into ports, and the ports in use. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <stdlib.h>
#include <string.h>

#define USB_MAX_DEPTH 4         /* libvirt's VIR_DOMAIN_DEVICE_USB_MAX_PORT_DEPTH */

static struct qb_usb_hub *usb_hub_new(unsigned nports)
{
    struct qb_usb_hub *h = xcalloc(1, sizeof(*h));
    h->nports = nports > 63 ? 63 : nports;
    h->child = xcalloc(h->nports ? h->nports : 1, sizeof(*h->child));
    return h;
}

static void usb_hub_free(struct qb_usb_hub *h)
{
    if (!h)
        return;
    for (unsigned i = 0; i < h->nports; i++)
        usb_hub_free(h->child[i]);
    free(h->child);
    free(h);
}

/* The root hub of USB controller index bus, or NULL if it has no ports. */
static struct qb_usb_hub *usb_root(struct qb_ctx *c, unsigned bus)
{
    const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_USB, bus);
    if (!ct || ct->usb_ports == 0 || bus >= QB_MAX_USB_BUS)
        return NULL;
    if (!c->usb_root[bus])
        c->usb_root[bus] = usb_hub_new(ct->usb_ports);
    return c->usb_root[bus];
}

/* virDomainUSBAddressFindPort: the hub and port (1-based) a port path names. Every step
 * but the last must be a hub. */
static int usb_find_port(struct qb_ctx *c, unsigned bus, const char *path,
                         const struct dom_src *src, struct qb_usb_hub **ret_hub,
                         unsigned *ret_port)
{
    struct qb_usb_hub *h = usb_root(c, bus);
    const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_USB, bus);
    if (!h)
        return qb_fail(c, src, "USB bus %u has no USB controller", bus);
    if (strlen(path) >= sizeof(((struct qb_usb *)0)->port)
        || strspn(path, "0123456789.") != strlen(path))
        return qb_fail(c, src, "USB port '%s' is not a port path like '1' or '1.2'", path);
    const char *p = path;
    for (unsigned level = 0;; level++) {
        char *end;
        if (level >= USB_MAX_DEPTH)
            return qb_fail(c, src, "USB port '%s' is nested deeper than %d levels", path,
                           USB_MAX_DEPTH);
        if (*p < '0' || *p > '9')
            return qb_fail(c, src, "USB port '%s' is not a port path like '1' or '1.2'", path);
        unsigned long port = strtoul(p, &end, 10);
        if (port < 1 || port > h->nports) {
            if (level == 0)
                return qb_fail(c, src, "USB port '%s' does not exist on controller %s (%u "
                               "ports)", path, ct->id, ct->usb_ports);
            return qb_fail(c, src, "USB port '%s' does not exist: a hub has ports 1-%u",
                           path, h->nports);
        }
        if (*end == '\0') {
            *ret_hub = h;
            *ret_port = (unsigned)port;
            return 0;
        }
        if (*end != '.')
            return qb_fail(c, src, "USB port '%s' is not a port path like '1' or '1.2'", path);
        if (!h->child[port - 1])
            return qb_fail(c, src, "there is no USB hub at port '%.*s' of bus %u for port "
                           "'%s'", (int)(end - path), path, bus, path);
        h = h->child[port - 1];
        p = end + 1;
    }
}

int qb_usb_reserve(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                   struct qb_usb *ret)
{
    const char *port = a->usb_port;
    if (!port || !*port)
        return qb_usb_auto_on(c, a->bus, src, ret);
    struct qb_usb_hub *h;
    unsigned p;
    int r;
    if ((r = usb_find_port(c, a->bus, port, src, &h, &p)) < 0)
        return r;
    if (h->used & (1ull << (p - 1)))
        return qb_fail(c, src, "USB port '%s' on bus %u is already in use", port, a->bus);
    h->used |= 1ull << (p - 1);
    ret->set = true;
    ret->bus = a->bus;
    snprintf(ret->port, sizeof(ret->port), "%s", port);
    return 0;
}

/* virDomainUSBAddressFindFreePort: the first free port of this hub, else (depth first, in
 * port order) of the hubs plugged into it. Fills path[level..]. */
static bool usb_free_port(struct qb_usb_hub *h, unsigned *path, unsigned level,
                          unsigned *ret_depth)
{
    for (unsigned p = 1; p <= h->nports; p++)
        if (!(h->used & (1ull << (p - 1)))) {
            h->used |= 1ull << (p - 1);
            path[level] = p;
            *ret_depth = level + 1;
            return true;
        }
    if (level >= USB_MAX_DEPTH - 1)
        return false;
    for (unsigned p = 1; p <= h->nports; p++)
        if (h->child[p - 1] && usb_free_port(h->child[p - 1], path, level + 1, ret_depth)) {
            path[level] = p;
            return true;
        }
    return false;
}

static bool usb_assign_from(struct qb_ctx *c, unsigned bus, struct qb_usb *u)
{
    struct qb_usb_hub *h = usb_root(c, bus);
    unsigned path[USB_MAX_DEPTH], depth = 0;
    if (!h || !usb_free_port(h, path, 0, &depth))
        return false;
    u->set = true;
    u->bus = bus;
    int n = 0;
    for (unsigned i = 0; i < depth; i++)
        n += snprintf(u->port + n, sizeof(u->port) - (size_t)n, i ? ".%u" : "%u", path[i]);
    return true;
}

int qb_usb_auto_on(struct qb_ctx *c, unsigned bus, const struct dom_src *src,
                   struct qb_usb *u)
{
    const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_USB, bus);
    if (!ct || ct->usb_ports == 0)
        return qb_fail(c, src, "a USB device needs a USB controller, and there is none "
                       "(controller model='none'?)");
    if (usb_assign_from(c, bus, u))
        return 0;
    return qb_fail(c, src, "no free port on USB controller %s (%u ports); add a USB "
                   "controller or give <address type='usb'>", ct->id, ct->usb_ports);
}

/* virDomainUSBAddressAssign: the first controller (by index) with a free port. */
int qb_usb_auto(struct qb_ctx *c, const struct dom_src *src, struct qb_usb *u)
{
    if (u->set)
        return 0;
    if (usb_assign_from(c, 0, u))
        return 0;
    for (unsigned bus = 1; bus < QB_MAX_USB_BUS; bus++)
        if (usb_assign_from(c, bus, u))
            return 0;
    return qb_usb_auto_on(c, 0, src, u);
}

int qb_usb_add_hub(struct qb_ctx *c, const struct qb_usb *u, const struct dom_src *src)
{
    struct qb_usb_hub *h;
    unsigned p;
    int r;
    if ((r = usb_find_port(c, u->bus, u->port, src, &h, &p)) < 0)
        return r;
    if (h->child[p - 1])
        return qb_fail(c, src, "there is already a USB hub on bus %u port '%s'", u->bus,
                       u->port);
    h->child[p - 1] = usb_hub_new(QB_USB_HUB_PORTS);
    return 0;
}

/* ------------------------------------------------------------------ machine level */

void qj_usb(struct qb_ctx *c, struct qj *j, const struct qb_usb *u)
{
    const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_USB, u->bus);
    char bus[48];
    snprintf(bus, sizeof(bus), "%s.0", ct ? ct->id : "usb");
    qj_str(j, "bus", bus);
    qj_str(j, "port", u->port);
}

void qb_usb_free(struct qb_ctx *c)
{
    for (size_t i = 0; i < QB_MAX_USB_BUS; i++)
        usb_hub_free(c->usb_root[i]);
}
