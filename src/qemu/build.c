/* qb_build: the machine-level options (-machine, -accel, -cpu, -m, -smp, -rtc, -boot,
 * firmware, lifecycle, monitor), the address allocators, and the order in which device
 * families are emitted (libvirt's order, so argv reads like theirs). */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <uuid/uuid.h>

static const char *const fd_kind_names[QB_FD_KIND_MAX] = {
    "qmp", "tap", "macvtap", "vhost-net", "nvram-file",
};

const char *qb_fd_kind_to_string(int v)
{
    return (v >= 0 && v < QB_FD_KIND_MAX) ? fd_kind_names[v] : "?";
}

/* ------------------------------------------------------------------ helpers */

int qb_fail(struct qb_ctx *c, const struct dom_src *src, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    sb_add(&sb, src && src->path ? src->path : "domain");
    sb_add(&sb, ": ");
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    if (src && src->line > 0)
        sb_addf(&sb, " (line %d)", src->line);
    ql_error_set(c->err, EINVAL, "%s", sb_str(&sb));
    sb_free(&sb);
    return -EINVAL;
}

int qb_run_socket(struct qb_ctx *c, const struct dom_src *src, const char *what,
                  const char *file, const char *hint, char **ret_path)
{
    *ret_path = NULL;
    const char *why = dom_path_component_error(file);
    if (why) {
        bool show = !dom_has_control_char(file);
        return qb_fail(c, src, "%s%s%s%s %s, so it cannot name a socket in the run directory; "
                       "give %s", what, show ? " '" : "", show ? file : "", show ? "'" : "", why,
                       hint);
    }
    char *path = xasprintf("%s/%s", c->run_dir, file);
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        int r = qb_fail(c, src, "the socket path '%s' is %zu bytes, more than the %zu a unix "
                        "socket path can have; give %s", path, strlen(path),
                        sizeof(sa.sun_path) - 1, hint);
        free(path);
        return r;
    }
    *ret_path = path;
    return 0;
}

void qb_note(struct qb_ctx *c, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    c->r->notes = xrealloc(c->r->notes, (c->r->n_notes + 1) * sizeof(char *));
    c->r->notes[c->r->n_notes++] = sb_steal(&sb);
}

void qb_opt(struct qb_ctx *c, const char *opt, char *value_taken)
{
    argv_add(&c->r->argv, opt);
    if (value_taken)
        argv_take(&c->r->argv, value_taken);
}

int qb_add_fd(struct qb_ctx *c, enum qb_fd_kind kind, size_t dev_index, char *what_taken)
{
    int fd = kind == QB_FILE_NVRAM ? -1 : c->next_fd++;
    c->r->fds = xrealloc(c->r->fds, (c->r->n_fds + 1) * sizeof(*c->r->fds));
    c->r->fds[c->r->n_fds++] = (struct qb_fd){fd, kind, dev_index, what_taken};
    return fd;
}

const struct qb_ctrl *qb_ctrl_find(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index)
{
    for (size_t i = 0; i < c->n_ctrls; i++)
        if (c->ctrls[i].c.type == t && c->ctrls[i].c.index == index
            && !(t == DOM_CTRL_USB && c->ctrls[i].c.has_master))
            return &c->ctrls[i];
    return NULL;
}

const char *qb_bus_name(const struct qb_ctx *c, unsigned bus, char *buf, size_t len)
{
    if (bus == 0)
        return c->root_bus;
    snprintf(buf, len, "pci.%u", bus);
    return buf;
}

/* ------------------------------------------------------------------ JSON */

void qj_begin(struct qj *j)
{
    j->sb = (struct strbuf)STRBUF_INIT;
    sb_addc(&j->sb, '{');
}

static void qj_key(struct qj *j, const char *k)
{
    if (j->sb.len > 1)
        sb_addc(&j->sb, ',');
    sb_add_json_string(&j->sb, k);
    sb_addc(&j->sb, ':');
}

void qj_str(struct qj *j, const char *k, const char *v)
{
    qj_key(j, k);
    sb_add_json_string(&j->sb, v);
}

void qj_int(struct qj *j, const char *k, long long v)
{
    qj_key(j, k);
    sb_addf(&j->sb, "%lld", v);
}

void qj_uint(struct qj *j, const char *k, unsigned long long v)
{
    qj_key(j, k);
    sb_addf(&j->sb, "%llu", v);
}

void qj_bool(struct qj *j, const char *k, bool v)
{
    qj_key(j, k);
    sb_add(&j->sb, v ? "true" : "false");
}

void qj_raw(struct qj *j, const char *k, const char *json)
{
    qj_key(j, k);
    sb_add(&j->sb, json);
}

char *qj_end(struct qj *j)
{
    sb_addc(&j->sb, '}');
    return sb_steal(&j->sb);
}

void qj_pci(struct qb_ctx *c, struct qj *j, const struct qb_pci *p)
{
    char buf[32], addr[32];
    if (!p->set)
        return;
    qj_str(j, "bus", qb_bus_name(c, p->bus, buf, sizeof(buf)));
    if (p->mf != DOM_TRI_DEFAULT)
        qj_bool(j, "multifunction", p->mf == DOM_TRI_ON);
    if (p->fn)
        snprintf(addr, sizeof(addr), "0x%x.0x%x", p->slot, p->fn);
    else
        snprintf(addr, sizeof(addr), "0x%x", p->slot);
    qj_str(j, "addr", addr);
}

void qj_usb(struct qb_ctx *c, struct qj *j, const struct qb_usb *u)
{
    const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_USB, u->bus);
    char bus[48];
    snprintf(bus, sizeof(bus), "%s.0", ct ? ct->id : "usb");
    qj_str(j, "bus", bus);
    qj_str(j, "port", u->port);
}

/* ------------------------------------------------------------------ PCI */

/* libvirt's address set (src/conf/domain_addr.c), reduced to what qlaunch's devices need:
 * buses accept connect types, auto-assigned devices only go where a bus allows
 * auto-assignment (so PCIe endpoints land behind root ports, not on pcie.0), and a first
 * "dry run" pass grows the bus list with the controllers libvirt would add. */
static void bus_set_model(struct qb_bus *b, const char *model)
{
    memset(b, 0, sizeof(*b));
    b->model = model;
    b->min_slot = 1;
    b->max_slot = 31;
    if (STREQ(model, "pci-root") || STREQ(model, "pci-bridge")
        || STREQ(model, "pcie-to-pci-bridge")) {
        b->flags = QB_PCI_AUTO | QB_PCI_DEV | QB_PCI_BRIDGE;
    } else if (STREQ(model, "pcie-root")) {
        b->flags = QB_PCIE_DEV | QB_PCI_ROOT_PORT | QB_PCI_DMI;
    } else if (STREQ(model, "dmi-to-pci-bridge")) {
        b->flags = QB_PCI_DEV | QB_PCI_BRIDGE;
        b->min_slot = 0;
    } else if (STREQ(model, "pcie-root-port") || STREQ(model, "pcie-switch-downstream-port")) {
        b->flags = QB_PCI_AUTO | QB_PCIE_DEV | QB_PCI_UPSTREAM | QB_PCIE_TO_PCI;
        b->min_slot = b->max_slot = 0;
    } else if (STREQ(model, "pcie-switch-upstream-port")) {
        b->flags = QB_PCI_DOWNSTREAM;
        b->min_slot = 0;
    }
}

/* virDomainPCIAddressFlagsCompatible. An address from the XML may put a PCI device in a
 * PCIe slot and vice versa; an automatic one needs a bus that allows auto-assignment. */
static bool pci_compatible(unsigned bus, unsigned busf, unsigned devf, bool from_config)
{
    if (devf & QB_PCI_INTEGRATED)
        return bus == 0;        /* libvirt: integrated endpoints (pvpanic-pci) on the root */
    if (from_config) {
        if (busf & (QB_PCI_DEV | QB_PCIE_DEV))
            busf |= QB_PCI_DEV | QB_PCIE_DEV;
        if (devf & QB_PCI_BRIDGE)
            devf |= QB_PCI_DEV;
    } else if ((devf & QB_PCI_AUTO) && !(busf & QB_PCI_AUTO)) {
        return false;
    }
    return (devf & busf & QB_PCI_TYPES) != 0;
}

/* virDomainPCIAddressSetGrow: add the buses a device needs, of the model that gives it a
 * slot (a pcie-root-port for PCIe devices, a pci-bridge for PCI ones, behind a
 * pcie-root-port + pcie-to-pci-bridge when nothing takes a pci-bridge yet). */
static int pci_grow(struct qb_ctx *c, const struct dom_src *src, unsigned *bus, unsigned flags)
{
    if (*bus < c->nbuses)
        return 0;
    unsigned add = *bus - c->nbuses + 1;
    const char *model;
    bool need_bridge = false;
    if (flags & QB_PCI_DEV) {
        model = "pci-bridge";
        need_bridge = true;
        for (unsigned i = 0; i < c->nbuses; i++)
            if (c->buses[i].flags & QB_PCI_BRIDGE)
                need_bridge = false;
        if (need_bridge && add == 1) {
            add++;
            (*bus)++;
        }
    } else if (flags & (QB_PCIE_DEV | QB_PCI_UPSTREAM | QB_PCIE_TO_PCI)) {
        /* (libvirt refuses to add a root port for a pcie-to-pci-bridge; qlaunch adds one
         * rather than fail) */
        model = "pcie-root-port";
    } else {
        return qb_fail(c, src, "no PCI slot is free for this controller, and none can be "
                       "added automatically; give it an explicit <address>");
    }
    if (c->nbuses + add > QB_MAX_PCI_BUS)
        return qb_fail(c, src, "no free PCI slot left: more than %d PCI buses would be "
                       "needed", QB_MAX_PCI_BUS);
    unsigned i = c->nbuses;
    c->nbuses += add;
    if (need_bridge) {
        /* This root port only takes the bridge (libvirt keeps it out of the spare
         * root port reservation). */
        bus_set_model(&c->buses[i], "pcie-root-port");
        c->buses[i++].flags = QB_PCIE_TO_PCI;
        bus_set_model(&c->buses[i++], "pcie-to-pci-bridge");
    }
    for (; i < c->nbuses; i++)
        bus_set_model(&c->buses[i], model);
    return 0;
}

static void pci_mark(struct qb_ctx *c, unsigned bus, unsigned slot, unsigned fn, unsigned flags)
{
    struct qb_bus *b = &c->buses[bus];
    if (!b->fn[slot] && (flags & QB_PCI_AGGREGATE))
        b->aggregate |= 1u << slot;
    b->fn[slot] |= (uint8_t)(1u << fn);
}

int qb_pci_reserve(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                   unsigned flags, struct qb_pci *ret)
{
    if (a->domain != 0)
        return qb_fail(c, src, "PCI domain %u is not supported; only domain 0 exists",
                       a->domain);
    if (a->bus >= QB_MAX_PCI_BUS || a->slot > 31 || a->function > 7)
        return qb_fail(c, src, "PCI address %02x:%02x.%x is out of range", a->bus, a->slot,
                       a->function);
    unsigned busno = a->bus;
    int r;
    if (c->dry_run && busno >= c->nbuses && (r = pci_grow(c, src, &busno, flags)) < 0)
        return r;
    if (a->bus >= c->nbuses || !c->buses[a->bus].model)
        return qb_fail(c, src, "PCI bus %u does not exist; add a PCI controller with index %u",
                       a->bus, a->bus);
    const struct qb_bus *b = &c->buses[a->bus];
    if (!pci_compatible(a->bus, b->flags, flags, true))
        return qb_fail(c, src, "PCI address %02x:%02x.%x is on a %s, which cannot take this "
                       "device", a->bus, a->slot, a->function, b->model);
    if (a->bus == 0 && a->slot == 0)
        return qb_fail(c, src, "PCI slot 0 on bus 0 is the host bridge");
    if (a->slot < b->min_slot || a->slot > b->max_slot) {
        if (b->max_slot == 0)
            return qb_fail(c, src, "PCIe port pci.%u has only slot 0", a->bus);
        return qb_fail(c, src, "PCI slot %u does not exist on bus %u (%s: slots %u-%u)",
                       a->slot, a->bus, b->model, b->min_slot, b->max_slot);
    }
    if (b->fn[a->slot] & (1u << a->function))
        return qb_fail(c, src, "PCI address %02x:%02x.%x is already in use", a->bus, a->slot,
                       a->function);
    pci_mark(c, a->bus, a->slot, a->function, flags);
    *ret = (struct qb_pci){true, a->bus, a->slot, a->function, a->multifunction};
    return 0;
}

/* virDomainPCIAddressGetNextAddr + ReserveNextAddr: the first free slot on the first bus
 * that takes the device; root ports (AGGREGATE) share a slot as functions 0-7. fn < 0:
 * any function. */
static int pci_next(struct qb_ctx *c, const struct dom_src *src, unsigned flags, int fn,
                    struct qb_pci *p)
{
    unsigned want = fn < 0 ? 0 : (unsigned)fn;
    for (unsigned bus = 0; bus < c->nbuses; bus++) {
        const struct qb_bus *b = &c->buses[bus];
        if (!b->model || !pci_compatible(bus, b->flags, flags, false))
            continue;
        for (unsigned slot = b->min_slot; slot <= b->max_slot; slot++) {
            unsigned used = b->fn[slot], f = want;
            if (used && (flags & QB_PCI_AGGREGATE) && (b->aggregate & (1u << slot))) {
                if (fn < 0)
                    while (f < 8 && (used & (1u << f)))
                        f++;
                if (f < 8 && !(used & (1u << f)))
                    used = 0;
            }
            if (used)
                continue;
            pci_mark(c, bus, slot, f, flags);
            *p = (struct qb_pci){true, bus, slot, f, DOM_TRI_DEFAULT};
            return 0;
        }
    }
    if (c->dry_run) {
        unsigned bus = c->nbuses;
        int r = pci_grow(c, src, &bus, flags);
        if (r < 0)
            return r;
        unsigned slot = c->buses[bus].min_slot;
        pci_mark(c, bus, slot, want, flags);
        *p = (struct qb_pci){true, bus, slot, want, DOM_TRI_DEFAULT};
        return 0;
    }
    return qb_fail(c, src, "no free PCI slot left for this device; give it an explicit "
                   "<address> on a PCI controller");
}

int qb_pci_auto(struct qb_ctx *c, const struct dom_src *src, unsigned flags, struct qb_pci *p)
{
    if (p->set)
        return 0;
    return pci_next(c, src, flags, -1, p);
}

/* ------------------------------------------------------------------ USB */

#define ALLOC_N(p, n) ((p) = xcalloc((n) ? (n) : 1, sizeof(*(p))))

#define USB_HUB_PORTS 8         /* QEMU's usb-hub, libvirt's VIR_DOMAIN_USB_HUB_PORTS */
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
    if (!ct || ct->usb_ports == 0 || bus >= 16)
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
        return qb_auto_usb_on(c, a->bus, src, ret);
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

int qb_auto_usb_on(struct qb_ctx *c, unsigned bus, const struct dom_src *src,
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
    for (unsigned bus = 1; bus < 16; bus++)
        if (usb_assign_from(c, bus, u))
            return 0;
    return qb_auto_usb_on(c, 0, src, u);
}

int qb_build_hubs(struct qb_ctx *c)
{
    for (size_t i = 0; i < c->n_hubs; i++) {
        struct qj j;
        char id[32];
        snprintf(id, sizeof(id), "hub%zu", i);
        qj_begin(&j);
        qj_str(&j, "driver", "usb-hub");
        qj_str(&j, "id", id);
        qj_usb(c, &j, &c->hub_usb[i]);
        qb_opt(c, "-device", qj_end(&j));
    }
    return 0;
}

/* A usb-hub at u: its 8 ports become addressable. */
static int usb_add_hub(struct qb_ctx *c, const struct qb_usb *u, const struct dom_src *src)
{
    struct qb_usb_hub *h;
    unsigned p;
    int r;
    if ((r = usb_find_port(c, u->bus, u->port, src, &h, &p)) < 0)
        return r;
    if (h->child[p - 1])
        return qb_fail(c, src, "there is already a USB hub on bus %u port '%s'", u->bus,
                       u->port);
    h->child[p - 1] = usb_hub_new(USB_HUB_PORTS);
    return 0;
}

/* ------------------------------------------------------------------ machine level */

static int check_lifecycle(struct qb_ctx *c)
{
    static const struct dom_src src = {"domain", 0};
    enum dom_lifecycle po = dom_on_poweroff(c->d), rb = dom_on_reboot(c->d);
    enum dom_lifecycle cr = dom_on_crash(c->d);
    if (po != DOM_LC_DESTROY && po != DOM_LC_RESTART)
        return qb_fail(c, &src, "on_poweroff '%s' is not supported with QEMU; use destroy "
                       "or restart", dom_lifecycle_to_string(po));
    if (rb != DOM_LC_DESTROY && rb != DOM_LC_RESTART)
        return qb_fail(c, &src, "on_reboot '%s' is not supported with QEMU; use destroy "
                       "or restart", dom_lifecycle_to_string(rb));
    if (cr == DOM_LC_RENAME_RESTART)
        return qb_fail(c, &src, "on_crash 'rename-restart' is not supported with QEMU");
    return 0;
}

static void add_name_uuid(struct qb_ctx *c)
{
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "guest=");
    sb_add_comma_escaped(&sb, c->d->name);
    sb_add(&sb, ",debug-threads=on");
    qb_opt(c, "-name", sb_steal(&sb));
}

static bool main_ram_backend(const struct qb_ctx *c);

/* The firmware as QEMU will run it: the XML's <loader>, or what <os firmware='efi'> was
 * resolved to on the host (qb_options.firmware), whose requires-smm turns on SMM and
 * SMM-only flash writes as libvirt's qemuFirmwareEnableFeatures does. */
#define QB_DEFAULT_NVRAM_DIR "/var/lib/qlaunch/nvram"
struct fw_eff {
    const char *loader;
    bool pflash, secure;
    const char *tmpl;           /* the NVRAM template, NULL: unknown */
    bool efi_unresolved;        /* firmware='efi' without a loader, not resolved */
};

static void fw_effective(const struct qb_ctx *c, struct fw_eff *e)
{
    const struct dom_os *os = &c->d->os;
    const struct qb_firmware *fw = c->o->firmware;
    bool efi = os->firmware && STREQ(os->firmware, "efi");
    memset(e, 0, sizeof(*e));
    e->loader = os->loader;
    e->pflash = os->loader && os->loader_type && STREQ(os->loader_type, "pflash");
    e->secure = os->loader_secure == DOM_TRI_ON;
    e->tmpl = os->nvram_template ? os->nvram_template : fw ? fw->nvram_template : NULL;
    if (!efi)
        return;
    if (fw && fw->loader) {
        e->loader = fw->loader;
        e->pflash = true;
        e->secure = e->secure || fw->requires_smm;
    } else if (!os->loader) {
        e->efi_unresolved = true;
    } else if (!os->loader_type) {
        e->pflash = true;       /* UEFI firmware is pflash, as libvirt fills in */
    }
}

static int add_machine(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    struct strbuf sb = STRBUF_INIT;
    static const struct dom_src osrc = {"os/type@machine", 0};
    const char *m = d->os.machine && *d->os.machine ? d->os.machine : "pc";
    if (strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        != strlen(m)) {
        sb_free(&sb);
        return qb_fail(c, &osrc, "machine type '%s' has characters QEMU does not accept", m);
    }
    if (!STREQ(m, "pc") && !STREQ(m, "q35") && strncmp(m, "pc-i440fx-", 10) != 0
        && strncmp(m, "pc-q35-", 7) != 0) {
        sb_free(&sb);
        return qb_fail(c, &osrc, "machine type '%s' is not supported; use pc, q35, "
                       "pc-i440fx-* or pc-q35-*", m);
    }
    sb_add(&sb, m);
    sb_add(&sb, ",usb=off");
    const enum dom_tristate *f = d->features.f;
    /* <ps2 state>: the i8042 PS/2 controller (QEMU 7.0+ machine property, as libvirt) */
    if (f[DOM_FEAT_PS2] != DOM_TRI_DEFAULT)
        sb_add(&sb, f[DOM_FEAT_PS2] == DOM_TRI_ON ? ",i8042=on" : ",i8042=off");
    bool dump = d->mem_dump_core_set && d->mem_dump_core;
    sb_add(&sb, dump ? ",dump-guest-core=on" : ",dump-guest-core=off");
    sb_add(&sb, f[DOM_FEAT_ACPI] == DOM_TRI_ON ? ",acpi=on" : ",acpi=off");
    if (f[DOM_FEAT_VMPORT] != DOM_TRI_DEFAULT)
        sb_add(&sb, f[DOM_FEAT_VMPORT] == DOM_TRI_ON ? ",vmport=on" : ",vmport=off");
    struct fw_eff fe;
    fw_effective(c, &fe);
    bool secure = fe.secure;
    if (f[DOM_FEAT_SMM] != DOM_TRI_DEFAULT || secure)
        sb_add(&sb, f[DOM_FEAT_SMM] == DOM_TRI_OFF && !secure ? ",smm=off" : ",smm=on");
    for (size_t i = 0; i < d->clock.n_timers; i++) {
        const struct dom_timer *t = &d->clock.timers[i];
        if (t->name && STREQ(t->name, "hpet") && t->present != DOM_TRI_DEFAULT)
            sb_add(&sb, t->present == DOM_TRI_ON ? ",hpet=on" : ",hpet=off");
    }
    if (fe.loader && fe.pflash) {
        sb_add(&sb, ",pflash0=libvirt-pflash0-format");
        sb_add(&sb, ",pflash1=libvirt-pflash1-format");
    }
    if (d->mem_backing.nosharepages)
        sb_add(&sb, ",mem-merge=off");
    if (main_ram_backend(c))
        sb_add(&sb, ",memory-backend=pc.ram");
    for (size_t i = 0; i < d->dev.n_sounds; i++)
        if (d->dev.sounds[i].model && STREQ(d->dev.sounds[i].model, "pcspk"))
            sb_addf(&sb, ",pcspk-audiodev=%s", c->audiodev_id);
    qb_opt(c, "-machine", sb_steal(&sb));
    /* Secure boot: only SMM code may write the flash (libvirt's spelling). */
    if (secure && fe.loader && fe.pflash)
        qb_opt(c, "-global", xstrdup("driver=cfi.pflash01,property=secure,value=on"));
    return 0;
}

/* Firmware blockdevs go before -machine, which names them. */
static int add_firmware(struct qb_ctx *c)
{
    const struct dom_os *os = &c->d->os;
    static const struct dom_src src = {"os/loader", 0};
    struct fw_eff e;
    fw_effective(c, &e);
    if (e.efi_unresolved) {
        if (os->nvram)
            qb_note(c, "firmware='efi': the loader and the NVRAM template are chosen from the "
                    "firmware descriptors at start (qlaunch argv shows them)");
        else
            qb_note(c, "firmware='efi': the loader and the NVRAM template are chosen from the "
                    "firmware descriptors at start (qlaunch argv shows them); the NVRAM file "
                    "is %s/%s_VARS.fd",
                    c->o->nvram_dir ? c->o->nvram_dir : QB_DEFAULT_NVRAM_DIR, c->d->name);
        return 0;
    }
    if (!e.loader) {
        if (os->nvram)
            return qb_fail(c, &src, "<nvram> needs a pflash <loader>");
        return 0;
    }
    if (!e.pflash) {
        if (os->nvram)
            return qb_fail(c, &src, "<nvram> needs <loader type='pflash'>");
        qb_opt(c, "-bios", xstrdup(e.loader));
        return 0;
    }
    if (os->loader_readonly == DOM_TRI_OFF)
        return qb_fail(c, &src, "a writable pflash loader is not supported; use "
                       "readonly='yes' and an <nvram> file");
    if (e.secure && !c->q35)
        return qb_fail(c, &src, "secure boot needs a q35 machine type");
    const struct qb_firmware *fw = c->o->firmware;
    if (fw && fw->loader)
        qb_note(c, "firmware='efi': loader %s, NVRAM template %s%s%s%s", fw->loader,
                fw->nvram_template ? fw->nvram_template : "none",
                fw->requires_smm ? ", requires SMM (smm=on, SMM-only flash writes)" : "",
                fw->descriptor ? ", from " : "", fw->descriptor ? fw->descriptor : "");
    /* libvirt keeps NVRAM files in its nvram_dir (/var/lib/libvirt/qemu/nvram): they hold
     * the guest's boot entries and keys and must outlive the run directory. */
    char *nvram = os->nvram ? xstrdup(os->nvram)
                            : xasprintf("%s/%s_VARS.fd",
                                        c->o->nvram_dir ? c->o->nvram_dir : QB_DEFAULT_NVRAM_DIR,
                                        c->d->name);
    free(c->r->nvram_path);
    free(c->r->nvram_template);
    c->r->nvram_path = nvram;
    c->r->nvram_template = e.tmpl ? xstrdup(e.tmpl) : NULL;
    if (e.tmpl)
        qb_add_fd(c, QB_FILE_NVRAM, 0,
                  xasprintf("NVRAM %s, copied from %s when it does not exist", nvram, e.tmpl));
    else if (fw)
        qb_add_fd(c, QB_FILE_NVRAM, 0,
                  xasprintf("NVRAM %s; no VARS template is known for the loader, so the file "
                            "must exist (or give <nvram template>)", nvram));
    else
        qb_add_fd(c, QB_FILE_NVRAM, 0,
                  xasprintf("NVRAM %s, copied from the loader's VARS template when it does not "
                            "exist", nvram));
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "driver", "file");
    qj_str(&j, "filename", e.loader);
    qj_str(&j, "node-name", "libvirt-pflash0-storage");
    qj_bool(&j, "auto-read-only", true);
    qj_str(&j, "discard", "unmap");
    qb_opt(c, "-blockdev", qj_end(&j));
    qj_begin(&j);
    qj_str(&j, "node-name", "libvirt-pflash0-format");
    qj_bool(&j, "read-only", true);
    qj_str(&j, "driver", "raw");
    qj_str(&j, "file", "libvirt-pflash0-storage");
    qb_opt(c, "-blockdev", qj_end(&j));
    qj_begin(&j);
    qj_str(&j, "driver", "file");
    qj_str(&j, "filename", nvram);
    qj_str(&j, "node-name", "libvirt-pflash1-storage");
    qj_bool(&j, "auto-read-only", true);
    qj_str(&j, "discard", "unmap");
    qb_opt(c, "-blockdev", qj_end(&j));
    qj_begin(&j);
    qj_str(&j, "node-name", "libvirt-pflash1-format");
    qj_bool(&j, "read-only", false);
    qj_str(&j, "driver", "raw");
    qj_str(&j, "file", "libvirt-pflash1-storage");
    qb_opt(c, "-blockdev", qj_end(&j));
    return 0;
}

static const char *cpu_feature_value(enum dom_cpu_feature_policy p)
{
    return (p == DOM_CPU_FEAT_DISABLE || p == DOM_CPU_FEAT_FORBID) ? "off" : "on";
}

static int add_cpu(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_cpu *cpu = &d->cpu;
    struct strbuf sb = STRBUF_INIT;
    static const struct dom_src fsrc = {"features", 0};
    const struct dom_src *src = cpu->src.path ? &cpu->src : &fsrc;
    const char *model = NULL;

    if (cpu->present && cpu->has_mode) {
        switch (cpu->mode) {
        case DOM_CPU_MODE_HOST_PASSTHROUGH:
            if (!c->kvm) {
                sb_free(&sb);
                return qb_fail(c, src, "cpu mode='host-passthrough' needs KVM; with TCG use "
                               "mode='maximum'");
            }
            model = "host";
            break;
        case DOM_CPU_MODE_HOST_MODEL:
            model = c->kvm ? "host" : "max";
            qb_note(c, "cpu mode='host-model' is run as -cpu %s (qlaunch does not expand "
                    "host models)", model);
            break;
        case DOM_CPU_MODE_MAXIMUM:
            model = "max";
            break;
        default:
            break;
        }
    }
    if (!model && cpu->model) {
        if (strspn(cpu->model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                   "_.-") != strlen(cpu->model)) {
            sb_free(&sb);
            return qb_fail(c, src, "CPU model '%s' is not a valid QEMU CPU name", cpu->model);
        }
        model = cpu->model;
    }
    struct strbuf props = STRBUF_INIT;
    if (cpu->vendor) {
        /* libvirt's <vendor> names the CPU vendor as its cpu_map does; QEMU's vendor=
         * property wants the 12-character CPUID vendor string. */
        static const struct {
            const char *name, *cpuid;
        } vendors[] = {{"Intel", "GenuineIntel"}, {"AMD", "AuthenticAMD"},
                       {"Hygon", "HygonGenuine"}};
        const char *v = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(vendors) && !v; i++)
            if (STREQ(cpu->vendor, vendors[i].name) || STREQ(cpu->vendor, vendors[i].cpuid))
                v = vendors[i].cpuid;
        if (!v) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, src, "CPU vendor '%s' is not supported; use Intel, AMD or Hygon",
                           cpu->vendor);
        }
        sb_addf(&props, ",vendor=%s", v);
    }
    for (size_t i = 0; i < cpu->n_features; i++) {
        const struct dom_cpu_feature *f = &cpu->features[i];
        if (!f->name || strspn(f->name, "abcdefghijklmnopqrstuvwxyz0123456789_.-")
                            != strlen(f->name)) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, src, "CPU feature '%s' is not a valid QEMU feature name",
                           f->name ? f->name : "");
        }
        sb_addf(&props, ",%s=%s", f->name, cpu_feature_value(f->policy));
    }
    const enum dom_tristate *ft = d->features.f;
    if (ft[DOM_FEAT_PMU] != DOM_TRI_DEFAULT)
        sb_addf(&props, ",pmu=%s", ft[DOM_FEAT_PMU] == DOM_TRI_ON ? "on" : "off");
    if (ft[DOM_FEAT_PVSPINLOCK] != DOM_TRI_DEFAULT)
        sb_addf(&props, ",kvm-pv-unhalt=%s", ft[DOM_FEAT_PVSPINLOCK] == DOM_TRI_ON ? "on" : "off");
    if (ft[DOM_FEAT_KVM_HIDDEN] == DOM_TRI_ON)
        sb_add(&props, ",kvm=off");
    /* libvirt (qemuBuildCpuCommandLine) writes only the non-default state of each: the
     * hints are off and PV IPIs on by default. They are KVM paravirtual interfaces, which
     * TCG does not provide, so under TCG they are refused rather than dropped. */
    static const struct {
        enum dom_feature f;
        enum dom_tristate emit;
        const char *prop, *elem;
    } kvmf[] = {{DOM_FEAT_KVM_DEDICATED, DOM_TRI_ON, "kvm-hint-dedicated=on", "hint-dedicated"},
                {DOM_FEAT_KVM_POLL_CONTROL, DOM_TRI_ON, "kvm-poll-control=on", "poll-control"},
                {DOM_FEAT_KVM_PV_IPI, DOM_TRI_OFF, "kvm-pv-ipi=off", "pv-ipi"}};
    for (size_t i = 0; i < ARRAY_SIZE(kvmf); i++) {
        if (ft[kvmf[i].f] != kvmf[i].emit)
            continue;
        if (!c->kvm) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, &fsrc, "<kvm><%s state='%s'/> is a KVM paravirtual feature "
                           "and needs KVM; it has no effect with TCG, remove it or run with "
                           "--accel kvm", kvmf[i].elem, kvmf[i].emit == DOM_TRI_ON ? "on"
                                                                                  : "off");
        }
        sb_addf(&props, ",%s", kvmf[i].prop);
    }
    if (d->features.apic_eoi)
        sb_addf(&props, ",kvm-pv-eoi=%s", STREQ(d->features.apic_eoi, "on") ? "on" : "off");
    for (size_t i = 0; i < d->clock.n_timers; i++) {
        const struct dom_timer *t = &d->clock.timers[i];
        if (!t->name)
            continue;
        if (STREQ(t->name, "kvmclock") && t->present != DOM_TRI_DEFAULT)
            sb_addf(&props, ",kvmclock=%s", t->present == DOM_TRI_ON ? "on" : "off");
        else if (STREQ(t->name, "hypervclock") && t->present != DOM_TRI_DEFAULT)
            sb_addf(&props, ",hv-time=%s", t->present == DOM_TRI_ON ? "on" : "off");
        else if (STREQ(t->name, "tsc") && t->frequency)
            sb_addf(&props, ",tsc-frequency=%llu", t->frequency);
    }
    for (size_t i = 0; i < d->features.n_hyperv; i++) {
        const struct dom_hyperv_feature *h = &d->features.hyperv[i];
        if (!h->name || strspn(h->name, "abcdefghijklmnopqrstuvwxyz_") != strlen(h->name)) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, &fsrc, "hyperv feature '%s' is not known", h->name ? h->name : "");
        }
        if (!h->on)
            continue;
        if (STREQ(h->name, "spinlocks") && h->value)
            sb_addf(&props, ",hv-spinlocks=%s", h->value);
        else if (STREQ(h->name, "vendor_id") && h->value) {
            sb_add(&props, ",hv-vendor-id=");
            sb_add_comma_escaped(&props, h->value);
        } else {
            sb_add(&props, ",hv-");
            for (const char *p = h->name; *p; p++)
                sb_addc(&props, *p == '_' ? '-' : *p);
        }
    }
    if (!model && props.len == 0) {
        sb_free(&sb);
        sb_free(&props);
        return 0;
    }
    sb_add(&sb, model ? model : "qemu64");
    if (props.len)
        sb_add(&sb, sb_str(&props));
    sb_free(&props);
    qb_opt(c, "-cpu", sb_steal(&sb));
    return 0;
}

/* ---- memory backends (libvirt's qemuBuildMemoryBackendProps) ---- */

/* The huge page size (KiB, 0 = the host's default) for NUMA cell `cell` (0 without NUMA),
 * or -1 when this memory is not backed by huge pages. */
static long long hugepage_kib(const struct qb_ctx *c, unsigned cell)
{
    const struct dom_mem_backing *mb = &c->d->mem_backing;
    if (!mb->hugepages)
        return -1;
    if (mb->n_pages == 0)
        return 0;
    long long dflt = -1;
    for (size_t i = 0; i < mb->n_pages; i++) {
        const struct dom_hugepage *h = &mb->pages[i];
        if (!h->nodeset) {
            dflt = (long long)h->size_kib;
            continue;
        }
        cpu_set_t set;
        if (dom_cpuset_to_mask(h->nodeset, &set) == 0 && cell < CPU_SETSIZE
            && CPU_ISSET(cell, &set))
            return (long long)h->size_kib;
    }
    return dflt;
}

static bool main_ram_backend(const struct qb_ctx *c)
{
    const struct dom_mem_backing *mb = &c->d->mem_backing;
    if (c->d->cpu.n_cells > 0)
        return false;       /* each cell has its own backend */
    return mb->hugepages || (mb->source && !STREQ(mb->source, "anonymous")) || mb->access
           || (mb->allocation && STREQ(mb->allocation, "immediate"));
}

/* One memory backend object: memory-backend-memfd for source memfd, -file for huge pages,
 * source file or an explicit access mode (as libvirt), else -ram. */
static int memory_backend(struct qb_ctx *c, const char *id, unsigned long long bytes,
                          unsigned cell, const char *cell_access, bool main_ram)
{
    const struct dom_mem_backing *mb = &c->d->mem_backing;
    static const struct dom_src src = {"memoryBacking", 0};
    const char *access = cell_access ? cell_access : mb->access;
    long long page = hugepage_kib(c, cell);
    bool hp = page >= 0;
    bool memfd = mb->source && STREQ(mb->source, "memfd");
    bool file = !memfd && (hp || (mb->source && STREQ(mb->source, "file")) || access);
    bool prealloc = hp || (mb->allocation && STREQ(mb->allocation, "immediate"));
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "qom-type", memfd ? "memory-backend-memfd" : file ? "memory-backend-file"
                                 : "memory-backend-ram");
    qj_str(&j, "id", id);
    if (memfd && hp) {
        qj_bool(&j, "hugetlb", true);
        if (page > 0)
            qj_uint(&j, "hugetlbsize", (unsigned long long)page * 1024);
    }
    if (file && hp) {
        /* qlaunch does not look at the host's hugetlbfs mounts (the builder is pure):
         * /dev/hugepages is systemd's mount of the default size, 2 MiB on x86. The
         * trailing '/' makes QEMU refuse a missing directory instead of creating a
         * plain file of that name. */
        if (page != 0 && page != 2048) {
            free(qj_end(&j));
            return qb_fail(c, &src, "huge pages of %lld KiB need their own hugetlbfs mount; "
                           "qlaunch backs guest memory with /dev/hugepages (the default "
                           "2 MiB pages), or use <source type='memfd'/>", page);
        }
        qj_str(&j, "mem-path", "/dev/hugepages/");
    } else if (file) {
        /* libvirt's memory_backing_dir: QEMU makes an unlinked file in the run dir */
        char *dir = xasprintf("%s/", c->run_dir);
        qj_str(&j, "mem-path", dir);
        free(dir);
    }
    if (access)
        qj_bool(&j, "share", STREQ(access, "shared"));
    if (file && main_ram)       /* as libvirt: RAM block ids stay those of -mem-path */
        qj_bool(&j, "x-use-canonical-path-for-ramblock-id", false);
    if (prealloc) {
        qj_bool(&j, "prealloc", true);
        if (mb->allocation_threads)
            qj_uint(&j, "prealloc-threads", mb->allocation_threads);
    } else if (mb->allocation_threads) {
        free(qj_end(&j));
        return qb_fail(c, &src, "<allocation threads> needs mode='immediate' or huge pages "
                       "(QEMU only uses them to preallocate)");
    }
    qj_uint(&j, "size", bytes);
    qb_opt(c, "-object", qj_end(&j));
    return 0;
}

static int add_memory_smp(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    static const struct dom_src msrc = {"memory", 0};
    static const struct dom_src vsrc = {"vcpu", 0};
    unsigned long long kib = (d->memory_kib + 1023) / 1024 * 1024;
    /* libvirt (qemuDomainAlignMemorySizes): with NUMA cells, each cell is rounded up to
     * 1 MiB and the initial memory is their sum; QEMU refuses cells that do not add up
     * to -m. */
    if (d->cpu.n_cells > 0) {
        kib = 0;
        for (size_t i = 0; i < d->cpu.n_cells; i++)
            kib += (d->cpu.cells[i].memory_kib + 1023) / 1024 * 1024;
    }
    if (kib == 0)
        return qb_fail(c, &msrc, "memory size is 0");
    if (d->max_memory_kib) {
        unsigned long long mx = (d->max_memory_kib + 1023) / 1024 * 1024;
        qb_opt(c, "-m", xasprintf("size=%lluk,slots=%u,maxmem=%lluk", kib, d->max_memory_slots,
                                  mx));
    } else {
        qb_opt(c, "-m", xasprintf("size=%lluk", kib));
    }
    int r;
    if (main_ram_backend(c) && (r = memory_backend(c, "pc.ram", kib * 1024, 0, NULL, true)) < 0)
        return r;
    if (d->mem_backing.locked)
        qb_opt(c, "-overcommit", xstrdup("mem-lock=on"));

    unsigned max = d->vcpus ? d->vcpus : 1;
    unsigned cur = dom_vcpus_online(d);
    if (cur == 0 || cur > max)
        return qb_fail(c, &vsrc, "current vCPU count %u is not between 1 and %u", cur, max);
    const struct dom_cpu *cpu = &d->cpu;
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%u", cur);
    if (cur < max)
        sb_addf(&sb, ",maxcpus=%u", max);
    if (cpu->sockets || cpu->cores || cpu->threads || cpu->dies) {
        if (cpu->clusters > 1) {
            sb_free(&sb);
            return qb_fail(c, &cpu->src, "clusters > 1 are not supported by x86 machines in "
                           "QEMU 7.2");
        }
        unsigned s = cpu->sockets ? cpu->sockets : 1, di = cpu->dies ? cpu->dies : 1;
        unsigned co = cpu->cores ? cpu->cores : 1, th = cpu->threads ? cpu->threads : 1;
        if ((unsigned long long)s * di * co * th != max) {
            sb_free(&sb);
            return qb_fail(c, &cpu->src, "CPU topology %u sockets x %u dies x %u cores x %u "
                           "threads = %llu does not match the maximum vCPU count %u", s, di,
                           co, th, (unsigned long long)s * di * co * th, max);
        }
        sb_addf(&sb, ",sockets=%u,dies=%u,cores=%u,threads=%u", s, di, co, th);
    } else {
        sb_addf(&sb, ",sockets=%u,cores=1,threads=1", max);
    }
    qb_opt(c, "-smp", sb_steal(&sb));

    /* IOThreads, in libvirt's order and naming */
    for (size_t i = 0; i < d->n_iothreads; i++)
        qb_opt(c, "-object", xasprintf("{\"qom-type\":\"iothread\",\"id\":\"iothread%u\"}",
                                       d->iothreads[i].id));

    for (size_t i = 0; i < cpu->n_cells; i++) {
        const struct dom_numa_cell *cell = &cpu->cells[i];
        char id[32];
        snprintf(id, sizeof(id), "ram-node%u", cell->id);
        if ((r = memory_backend(c, id, (cell->memory_kib + 1023) / 1024 * 1024 * 1024ull,
                                cell->id, cell->mem_access, false)) < 0) {
            sb_free(&sb);
            return r;
        }
        sb_addf(&sb, "node,nodeid=%u", cell->id);
        if (cell->cpus) {
            if (strspn(cell->cpus, "0123456789-,") != strlen(cell->cpus)) {
                sb_free(&sb);
                return qb_fail(c, &cpu->src, "NUMA cell %u cpus '%s' must be a plain list "
                               "of CPUs and ranges", cell->id, cell->cpus);
            }
            const char *p = cell->cpus;
            while (*p) {
                size_t n = strcspn(p, ",");
                if (n) {
                    sb_add(&sb, ",cpus=");
                    sb_addn(&sb, p, n);
                }
                p += n;
                if (*p)
                    p++;
            }
        }
        sb_addf(&sb, ",memdev=%s", id);
        qb_opt(c, "-numa", sb_steal(&sb));
    }
    return 0;
}

static void add_uuid(struct qb_ctx *c)
{
    const unsigned char *u = c->d->uuid;
    if (!c->d->has_uuid)
        return;
    qb_opt(c, "-uuid", xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                                 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4],
                                 u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
                                 u[14], u[15]));
}

static void add_monitor(struct qb_ctx *c)
{
    int fd = c->o->qmp_fd;
    c->r->fds = xrealloc(c->r->fds, (c->r->n_fds + 1) * sizeof(*c->r->fds));
    c->r->fds[c->r->n_fds++] = (struct qb_fd){fd, QB_FD_QMP, 0,
        xasprintf("QMP monitor: listening unix socket %s/qmp.sock", c->run_dir)};
    qb_opt(c, "-chardev", xasprintf("socket,id=charmonitor,fd=%d,server=on,wait=off", fd));
    qb_opt(c, "-mon", xstrdup("chardev=charmonitor,id=monitor,mode=control"));
}

static int add_clock(struct qb_ctx *c)
{
    const struct dom_clock *ck = &c->d->clock;
    static const struct dom_src src = {"clock", 0};
    struct strbuf sb = STRBUF_INIT;
    switch (ck->offset) {
    case DOM_CLOCK_UTC:
    case DOM_CLOCK_LOCALTIME:
        /* libvirt turns an adjustment into base=<now + adjustment>: that needs the clock,
         * and the builder is pure. */
        if (ck->adjustment != 0) {
            sb_free(&sb);
            return qb_fail(c, &src, "clock offset='%s' with a non-zero adjustment is not "
                           "supported (it depends on the start time)",
                           ck->offset == DOM_CLOCK_UTC ? "utc" : "localtime");
        }
        sb_add(&sb, ck->offset == DOM_CLOCK_UTC ? "base=utc" : "base=localtime");
        break;
    case DOM_CLOCK_VARIABLE:
        if (ck->adjustment != 0) {
            sb_free(&sb);
            return qb_fail(c, &src, "clock offset='variable' with a non-zero adjustment is "
                           "not supported (it depends on the start time)");
        }
        sb_add(&sb, ck->basis && STREQ(ck->basis, "localtime") ? "base=localtime"
                                                                : "base=utc");
        break;
    case DOM_CLOCK_ABSOLUTE: {
        time_t t = (time_t)ck->start;
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
            sb_free(&sb);
            return qb_fail(c, &src, "clock start %lld is out of range", ck->start);
        }
        sb_addf(&sb, "base=%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        break;
    }
    case DOM_CLOCK_TIMEZONE:
    default:
        sb_free(&sb);
        return qb_fail(c, &src, "clock offset='timezone' is not supported (QEMU would need "
                       "TZ in its environment); use localtime or utc");
    }
    const char *pit_policy = NULL;
    for (size_t i = 0; i < ck->n_timers; i++) {
        const struct dom_timer *t = &ck->timers[i];
        const char *n = t->name ? t->name : "";
        /* Attributes QEMU has no knob for on this timer are refused, not dropped. */
        const char *bad = t->track && !STREQ(n, "rtc") ? "track"
                        : t->tickpolicy && !STREQ(n, "rtc") && !STREQ(n, "pit") ? "tickpolicy"
                        : t->frequency && !STREQ(n, "tsc") ? "frequency" : NULL;
        if (bad) {
            sb_free(&sb);
            return qb_fail(c, &src, "timer '%s' does not support %s= in QEMU", n, bad);
        }
        if (STREQ(n, "rtc")) {
            if (t->track) {
                const char *v = STREQ(t->track, "guest") ? "vm"
                              : STREQ(t->track, "wall") ? "host"
                              : STREQ(t->track, "realtime") ? "rt" : NULL;
                if (!v) {
                    sb_free(&sb);
                    return qb_fail(c, &src, "rtc timer track '%s' is not known", t->track);
                }
                sb_addf(&sb, ",clock=%s", v);
            }
            if (t->tickpolicy) {
                if (STREQ(t->tickpolicy, "catchup")) {
                    sb_add(&sb, ",driftfix=slew");
                } else if (!STREQ(t->tickpolicy, "delay")) {
                    sb_free(&sb);
                    return qb_fail(c, &src, "rtc timer tickpolicy '%s' is not supported; use "
                                   "catchup or delay", t->tickpolicy);
                }
            }
            if (t->present == DOM_TRI_OFF) {
                sb_free(&sb);
                return qb_fail(c, &src, "the rtc timer cannot be removed on x86");
            }
        } else if (STREQ(n, "pit")) {
            /* As libvirt: delay and discard are kvm-pit's lost_tick_policy, catchup is
             * what the in-kernel PIT does anyway, merge has no QEMU equivalent. */
            if (t->tickpolicy && STREQ(t->tickpolicy, "merge")) {
                sb_free(&sb);
                return qb_fail(c, &src, "pit timer tickpolicy 'merge' is not supported by "
                               "QEMU; use delay, catchup or discard");
            }
            if (t->tickpolicy && !STREQ(t->tickpolicy, "catchup"))
                pit_policy = t->tickpolicy;
            if (t->present == DOM_TRI_OFF) {
                sb_free(&sb);
                return qb_fail(c, &src, "the pit timer cannot be removed on x86");
            }
        } else if (STREQ(n, "hpet") || STREQ(n, "kvmclock") || STREQ(n, "hypervclock")) {
            /* -machine hpet= / -cpu kvmclock=, hv-time= */
        } else if (STREQ(n, "tsc")) {
            if (t->present == DOM_TRI_OFF) {
                sb_free(&sb);
                return qb_fail(c, &src, "the tsc timer cannot be removed");
            }
        } else {
            sb_free(&sb);
            return qb_fail(c, &src, "timer '%s' is not supported on x86 QEMU", n);
        }
    }
    qb_opt(c, "-rtc", sb_steal(&sb));
    if (pit_policy) {
        if (c->kvm)
            qb_opt(c, "-global", xasprintf("kvm-pit.lost_tick_policy=%s", pit_policy));
        else
            qb_note(c, "pit tickpolicy='%s' only applies to the KVM in-kernel PIT; the "
                    "TCG PIT always delays", pit_policy);
    }
    return 0;
}

static void add_lifecycle(struct qb_ctx *c)
{
    struct strbuf sb = STRBUF_INIT;
    qb_opt(c, "-no-shutdown", NULL);
    if (dom_on_reboot(c->d) == DOM_LC_DESTROY)
        sb_add(&sb, "reboot=shutdown");
    if (c->d->dev.n_panics || c->implicit_panic)
        sb_addf(&sb, "%spanic=pause", sb.len ? "," : "");
    for (size_t i = 0; i < c->d->dev.n_watchdogs; i++) {
        const char *a = c->d->dev.watchdogs[i].action;
        if (!a || STREQ(a, "reset"))
            continue;
        sb_addf(&sb, "%swatchdog=%s", sb.len ? "," : "", STREQ(a, "dump") ? "pause" : a);
        break;
    }
    if (sb.len)
        qb_opt(c, "-action", sb_steal(&sb));
    sb_free(&sb);
    enum dom_tristate s3 = c->d->pm_suspend_to_mem, s4 = c->d->pm_suspend_to_disk;
    const char *pm = c->q35 ? "ICH9-LPC" : "PIIX4_PM";
    if (s3 != DOM_TRI_DEFAULT)
        qb_opt(c, "-global", xasprintf("%s.disable_s3=%d", pm, s3 == DOM_TRI_OFF));
    if (s4 != DOM_TRI_DEFAULT)
        qb_opt(c, "-global", xasprintf("%s.disable_s4=%d", pm, s4 == DOM_TRI_OFF));
}

static int add_boot(struct qb_ctx *c)
{
    const struct dom_os *os = &c->d->os;
    static const struct dom_src src = {"os", 0};
    struct strbuf sb = STRBUF_INIT;
    if (os->bootmenu == DOM_TRI_ON) {
        sb_add(&sb, "menu=on,");
        if (os->bootmenu_timeout >= 0)
            sb_addf(&sb, "splash-time=%d,", os->bootmenu_timeout);
    } else if (os->bootmenu == DOM_TRI_OFF) {
        sb_add(&sb, "menu=off,");
    }
    if (os->bios_reboot_timeout >= 0)      /* -1 (unset or libvirt's "never") is QEMU's default */
        sb_addf(&sb, "reboot-timeout=%d,", os->bios_reboot_timeout);
    sb_add(&sb, "strict=on");
    qb_opt(c, "-boot", sb_steal(&sb));
    if (os->kernel)
        qb_opt(c, "-kernel", xstrdup(os->kernel));
    if (os->initrd) {
        if (!os->kernel)
            return qb_fail(c, &src, "<initrd> needs a <kernel>");
        qb_opt(c, "-initrd", xstrdup(os->initrd));
    }
    if (os->cmdline) {
        if (!os->kernel)
            return qb_fail(c, &src, "<cmdline> needs a <kernel>");
        qb_opt(c, "-append", xstrdup(os->cmdline));
    }
    if (os->dtb)
        return qb_fail(c, &src, "<dtb> is not used on x86");
    if (os->smbios_mode && !STREQ(os->smbios_mode, "emulate"))
        return qb_fail(c, &src, "smbios mode '%s' is not supported; only 'emulate'",
                       os->smbios_mode);
    return 0;
}

/* <os><boot dev=...> becomes per-device bootindex (libvirt: position in the list + 1). */
static int assign_boot_order(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    bool per_dev = false;
    for (size_t i = 0; i < d->dev.n_disks; i++)
        per_dev |= d->dev.disks[i].boot_order != 0;
    for (size_t i = 0; i < d->dev.n_interfaces; i++)
        per_dev |= d->dev.interfaces[i].boot_order != 0;
    for (size_t i = 0; i < d->dev.n_redirdevs; i++)
        per_dev |= d->dev.redirdevs[i].boot_order != 0;
    if (per_dev && d->os.n_boot) {
        static const struct dom_src src = {"os/boot", 0};
        return qb_fail(c, &src, "<os><boot dev> cannot be combined with per-device <boot order>");
    }
    for (size_t i = 0; i < d->dev.n_disks; i++)
        c->disk_boot[i] = d->dev.disks[i].boot_order;
    for (size_t i = 0; i < d->dev.n_interfaces; i++)
        c->net_boot[i] = d->dev.interfaces[i].boot_order;
    for (size_t b = 0; b < d->os.n_boot; b++) {
        unsigned idx = (unsigned)b + 1;
        switch (d->os.boot[b]) {
        case DOM_BOOT_HD:
        case DOM_BOOT_CDROM:
        case DOM_BOOT_FD: {
            enum dom_disk_device want = d->os.boot[b] == DOM_BOOT_HD ? DOM_DISKDEV_DISK
                                      : d->os.boot[b] == DOM_BOOT_CDROM ? DOM_DISKDEV_CDROM
                                      : DOM_DISKDEV_FLOPPY;
            for (size_t i = 0; i < d->dev.n_disks; i++) {
                enum dom_disk_device dv = d->dev.disks[i].device;
                if (dv == DOM_DISKDEV_LUN)
                    dv = DOM_DISKDEV_DISK;
                if (dv == want && !c->disk_boot[i]) {
                    c->disk_boot[i] = idx;
                    break;
                }
            }
            break;
        }
        case DOM_BOOT_NETWORK:
            for (size_t i = 0; i < d->dev.n_interfaces; i++)
                if (!c->net_boot[i]) {
                    c->net_boot[i] = idx;
                    break;
                }
            break;
        default:
            break;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ addresses */

/* flags: the device's PCI connect flags, 0 for a device that is not PCI. */
static int reserve_pci_if(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                          struct qb_pci *p, unsigned flags)
{
    bool is_pci = flags != 0;
    if (a->type == DOM_ADDR_NONE)
        return 0;
    if (a->type != DOM_ADDR_PCI) {
        if (is_pci)
            return qb_fail(c, src, "address type '%s' does not fit a PCI device",
                           dom_addr_type_to_string(a->type));
        return 0;
    }
    if (!is_pci)
        return qb_fail(c, src, "this device is not a PCI device; its PCI address cannot be "
                       "honoured");
    return qb_pci_reserve(c, a, src, flags, p);
}

/* Refuses an <address> whose type the device cannot take, instead of dropping it. */
static int addr_fits(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                     enum dom_addr_type want)
{
    if (a->type == DOM_ADDR_NONE || a->type == want)
        return 0;
    if (want == DOM_ADDR_NONE)
        return qb_fail(c, src, "this device takes no <address> (type '%s' given)",
                       dom_addr_type_to_string(a->type));
    return qb_fail(c, src, "address type '%s' does not fit this device; it takes type '%s'",
                   dom_addr_type_to_string(a->type), dom_addr_type_to_string(want));
}

static int check_addr_types(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    for (size_t i = 0; i < dv->n_inputs; i++) {
        const struct dom_input *in = &dv->inputs[i];
        enum dom_addr_type w = in->bus == DOM_INPUT_BUS_VIRTIO ? DOM_ADDR_PCI
                               : in->bus == DOM_INPUT_BUS_USB ? DOM_ADDR_USB : DOM_ADDR_NONE;
        if ((r = addr_fits(c, &in->addr, &in->src, w)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_sounds; i++) {
        const struct dom_sound *so = &dv->sounds[i];
        enum dom_addr_type w = qb_sound_is_pci(so) ? DOM_ADDR_PCI
                               : so->model && STREQ(so->model, "usb") ? DOM_ADDR_USB
                               : DOM_ADDR_NONE;
        if ((r = addr_fits(c, &so->addr, &so->src, w)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_videos; i++)
        if ((r = addr_fits(c, &dv->videos[i].addr, &dv->videos[i].src,
                           qb_video_is_pci(&dv->videos[i]) ? DOM_ADDR_PCI : DOM_ADDR_NONE)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_watchdogs; i++) {
        const char *m = dv->watchdogs[i].model;
        if ((r = addr_fits(c, &dv->watchdogs[i].addr, &dv->watchdogs[i].src,
                           m && STREQ(m, "i6300esb") ? DOM_ADDR_PCI : DOM_ADDR_NONE)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_panics; i++) {
        const char *m = dv->panics[i].model ? dv->panics[i].model : "isa";   /* x86 */
        if ((r = addr_fits(c, &dv->panics[i].addr, &dv->panics[i].src,
                           STREQ(m, "pvpanic") ? DOM_ADDR_PCI
                           : STREQ(m, "isa") ? DOM_ADDR_ISA : DOM_ADDR_NONE)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_rngs; i++)
        if ((r = addr_fits(c, &dv->rngs[i].addr, &dv->rngs[i].src, DOM_ADDR_PCI)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_redirdevs; i++)
        if ((r = addr_fits(c, &dv->redirdevs[i].addr, &dv->redirdevs[i].src,
                           DOM_ADDR_USB)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_interfaces; i++)
        if ((r = addr_fits(c, &dv->interfaces[i].addr, &dv->interfaces[i].src,
                           DOM_ADDR_PCI)) < 0)
            return r;
    if (c->balloon && (r = addr_fits(c, &dv->memballoon.addr, &dv->memballoon.src,
                                     DOM_ADDR_PCI)) < 0)
        return r;
    for (size_t i = 0; i < c->n_ctrls; i++) {
        const struct qb_ctrl *ct = &c->ctrls[i];
        if (ct->implicit || ct->c.type == DOM_CTRL_IDE || ct->c.type == DOM_CTRL_SATA)
            continue;           /* chipset functions: checked in assign_addresses */
        bool none = (ct->c.type == DOM_CTRL_PCI && ct->c.index == 0)
                    || (ct->c.type == DOM_CTRL_USB && ct->c.model
                        && STREQ(ct->c.model, "none"));
        if ((r = addr_fits(c, &ct->c.addr, &ct->c.src, none ? DOM_ADDR_NONE
                                                             : DOM_ADDR_PCI)) < 0)
            return r;
    }
    return 0;
}

static int reserve_usb_if(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                          struct qb_usb *u)
{
    if (a->type != DOM_ADDR_USB)
        return 0;
    return qb_usb_reserve(c, a, src, u);
}

/* qemuDomainDeviceCalculatePCIConnectFlags: what each device plugs in as. On q35 a
 * "PCIe-capable" device (virtio, xhci, e1000e, bochs) wants a PCIe slot, i.e. a root port;
 * legacy PCI devices want a PCI bus (pci-bridge, pcie-to-pci-bridge). */
#define FL_PCI (QB_PCI_DEV | QB_PCI_AUTO)

static unsigned fl_pcie(const struct qb_ctx *c)
{
    return (c->q35 ? QB_PCIE_DEV : QB_PCI_DEV) | QB_PCI_AUTO;
}

static unsigned fl_virtio(const struct qb_ctx *c, const char *model)
{
    /* transitional virtio devices only work in conventional PCI slots */
    return model && STREQ(model, "virtio-transitional") ? FL_PCI : fl_pcie(c);
}

static unsigned ctrl_flags(const struct qb_ctx *c, const struct qb_ctrl *ct)
{
    const char *m = ct->c.model ? ct->c.model : "";
    switch (ct->c.type) {
    case DOM_CTRL_PCI:
        return ct->c.index == 0 ? 0 : qb_pci_ctrl_flags(m);
    case DOM_CTRL_USB:
        if (STREQ(m, "none"))
            return 0;
        return strstr(m, "xhci") ? fl_pcie(c) : FL_PCI;
    case DOM_CTRL_SCSI:
        return STREQ(m, "virtio-scsi") || STREQ(m, "virtio-non-transitional") ? fl_pcie(c)
                                                                             : FL_PCI;
    case DOM_CTRL_VIRTIO_SERIAL:
        return fl_virtio(c, ct->c.model);
    case DOM_CTRL_SATA:
        return FL_PCI;
    default:
        return 0;
    }
}

static unsigned net_flags(const struct qb_ctx *c, const struct dom_interface *n)
{
    const char *m = n->model ? n->model : "rtl8139";
    if (STREQ(m, "virtio") || STREQ(m, "virtio-non-transitional") || STREQ(m, "e1000e")
        || STREQ(m, "igb"))
        return fl_pcie(c);
    return FL_PCI;
}

static unsigned video_flags(const struct qb_ctx *c, const struct dom_video *v)
{
    const char *m = v->model ? v->model : "cirrus";
    if (!qb_video_is_pci(v))
        return 0;
    return STREQ(m, "virtio") || STREQ(m, "bochs") ? fl_pcie(c) : FL_PCI;
}

static bool is_usb2(const struct qb_ctrl *ct)
{
    const char *m = ct->c.model ? ct->c.model : "";
    return ct->c.type == DOM_CTRL_USB && (STREQ(m, "ich9-ehci1") || !strncmp(m, "ich9-uhci", 9));
}

/* Every PCI address the builder hands out, for the multifunction pass and the reset
 * between the two passes. */
static size_t pci_list(struct qb_ctx *c, struct qb_pci ***ret)
{
    const struct dom_devices *dv = &c->d->dev;
    size_t n = 0, cap = c->n_ctrls + dv->n_disks + dv->n_interfaces + dv->n_sounds
                        + dv->n_videos + 1 + dv->n_inputs + dv->n_chrs + dv->n_rngs
                        + dv->n_watchdogs + dv->n_panics + 1;
    struct qb_pci **l = xcalloc(cap, sizeof(*l));
    for (size_t i = 0; i < c->n_ctrls; i++)
        l[n++] = &c->ctrls[i].pci;
#define PCI_ADD(arr, cnt) for (size_t i = 0; i < (cnt); i++) l[n++] = &(arr)[i]
    PCI_ADD(c->disk_pci, dv->n_disks);
    PCI_ADD(c->net_pci, dv->n_interfaces);
    PCI_ADD(c->sound_pci, dv->n_sounds);
    PCI_ADD(c->video_pci, dv->n_videos + 1);
    PCI_ADD(c->input_pci, dv->n_inputs);
    PCI_ADD(c->chr_pci, dv->n_chrs);
    PCI_ADD(c->rng_pci, dv->n_rngs);
    PCI_ADD(c->wd_pci, dv->n_watchdogs);
    PCI_ADD(c->panic_pci, dv->n_panics);
#undef PCI_ADD
    l[n++] = &c->balloon_pci;
    *ret = l;
    return n;
}

/* The bus list from the PCI controllers (libvirt's qemuDomainPCIAddressSetCreate); an index
 * without a controller gets the model libvirt would add there. */
static void pci_buses_from_ctrls(struct qb_ctx *c, unsigned nbuses)
{
    memset(c->buses, 0, sizeof(c->buses));
    c->nbuses = nbuses;
    bus_set_model(&c->buses[0], c->q35 ? "pcie-root" : "pci-root");
    for (unsigned i = 1; i < nbuses; i++) {
        const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_PCI, i);
        bus_set_model(&c->buses[i], ct && ct->c.model ? ct->c.model
                                    : c->q35 ? "pcie-root-port" : "pci-bridge");
    }
}

static bool pci_slot_free(const struct qb_ctx *c, unsigned slot)
{
    return c->buses[0].fn[slot] == 0;
}

static void pci_fixed(struct qb_ctx *c, unsigned slot, unsigned fn, enum dom_tristate mf,
                      struct qb_pci *p)
{
    pci_mark(c, 0, slot, fn, 0);
    *p = (struct qb_pci){true, 0, slot, fn, mf};
}

/* The order libvirt keeps controllers in (virDomainControllerInsertPreAlloced): grouped by
 * type in order of first appearance, by index within a type, a controller without
 * <master> before the companions of the same index. Returns indices into c->ctrls. */
static size_t *ctrl_order(const struct qb_ctx *c)
{
    size_t n = c->n_ctrls, *o = xcalloc(n ? n : 1, sizeof(*o));
    size_t *rank = xcalloc(n ? n : 1, sizeof(*rank));
    for (size_t i = 0; i < n; i++) {
        o[i] = i;
        rank[i] = i;
        for (size_t k = 0; k < i; k++)
            if (c->ctrls[k].c.type == c->ctrls[i].c.type) {
                rank[i] = rank[k];
                break;
            }
    }
    /* insertion sort: stable, n is small */
    for (size_t i = 1; i < n; i++) {
        size_t v = o[i], k = i;
        const struct dom_controller *a = &c->ctrls[v].c;
        while (k > 0) {
            const struct dom_controller *b = &c->ctrls[o[k - 1]].c;
            size_t ra = rank[v], rb = rank[o[k - 1]];
            bool before = ra < rb || (ra == rb && (a->index < b->index
                                                   || (a->index == b->index && !a->has_master
                                                       && b->has_master)));
            if (!before)
                break;
            o[k] = o[k - 1];
            k--;
        }
        o[k] = v;
    }
    free(rank);
    return o;
}

/* One pass of qemuDomainAssignPCIAddresses: addresses from the XML, the chipset's fixed
 * places, then libvirt's order. */
static int pci_pass(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;

    /* Fixed chipset functions. */
    if (c->q35)
        c->buses[0].fn[0x1f] = 0x0d;            /* LPC, SATA (ide), SMBus */
    else
        c->buses[0].fn[1] = 0x0b;               /* PIIX3 ISA, IDE, PM; fn 2 is USB */

    /* What the XML pins. */
    for (size_t i = 0; i < c->n_ctrls; i++) {
        struct qb_ctrl *ct = &c->ctrls[i];
        if (ct->implicit)
            continue;
        /* Chipset functions built into the machine: their address (as virsh dumpxml
         * prints it) is accepted where the chipset has them, and no device is emitted. */
        if (ct->c.type == DOM_CTRL_IDE || (ct->c.type == DOM_CTRL_SATA && c->q35
                                           && ct->c.index == 0)) {
            const struct dom_addr *a = &ct->c.addr;
            bool ide = ct->c.type == DOM_CTRL_IDE;
            unsigned want = ide ? 1 : 0x1f, fn = ide ? 1 : 2;
            if (a->type == DOM_ADDR_NONE)
                continue;
            if (a->type != DOM_ADDR_PCI || a->domain != 0 || a->bus != 0 || a->slot != want
                || a->function != fn)
                return qb_fail(c, &ct->c.src, "Primary %s controller must have PCI address "
                               "0:0:%x.%u", ide ? "IDE" : "SATA", want, fn);
            continue;
        }
        unsigned fl = ctrl_flags(c, ct);
        if (fl && ct->c.addr.type == DOM_ADDR_PCI
            && (r = qb_pci_reserve(c, &ct->c.addr, &ct->c.src, fl, &ct->pci)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_disks; i++)
        if ((r = reserve_pci_if(c, &dv->disks[i].addr, &dv->disks[i].src, &c->disk_pci[i],
                                qb_disk_bus(&dv->disks[i]) == DOM_BUS_VIRTIO ? fl_pcie(c)
                                                                            : 0)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_interfaces; i++)
        if ((r = reserve_pci_if(c, &dv->interfaces[i].addr, &dv->interfaces[i].src,
                                &c->net_pci[i], net_flags(c, &dv->interfaces[i]))) < 0)
            return r;
    for (size_t i = 0; i < dv->n_sounds; i++)
        if ((r = reserve_pci_if(c, &dv->sounds[i].addr, &dv->sounds[i].src, &c->sound_pci[i],
                                qb_sound_is_pci(&dv->sounds[i]) ? FL_PCI : 0)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_videos; i++)
        if ((r = reserve_pci_if(c, &dv->videos[i].addr, &dv->videos[i].src, &c->video_pci[i],
                                video_flags(c, &dv->videos[i]))) < 0)
            return r;
    for (size_t i = 0; i < dv->n_inputs; i++)
        if ((r = reserve_pci_if(c, &dv->inputs[i].addr, &dv->inputs[i].src, &c->input_pci[i],
                                dv->inputs[i].bus == DOM_INPUT_BUS_VIRTIO ? fl_pcie(c)
                                                                          : 0)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_chrs; i++)
        if (dv->chrs[i].addr.type == DOM_ADDR_PCI
            && (r = reserve_pci_if(c, &dv->chrs[i].addr, &dv->chrs[i].src, &c->chr_pci[i],
                                   qb_chr_is_pci(&dv->chrs[i]) ? FL_PCI : 0)) < 0)
            return r;
    for (size_t i = 0; i < dv->n_rngs; i++)
        if ((r = reserve_pci_if(c, &dv->rngs[i].addr, &dv->rngs[i].src, &c->rng_pci[i],
                                fl_virtio(c, dv->rngs[i].model))) < 0)
            return r;
    for (size_t i = 0; i < dv->n_watchdogs; i++) {
        const char *m = dv->watchdogs[i].model;
        if ((r = reserve_pci_if(c, &dv->watchdogs[i].addr, &dv->watchdogs[i].src, &c->wd_pci[i],
                                m && STREQ(m, "i6300esb") ? FL_PCI : 0)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_panics; i++) {
        const char *m = dv->panics[i].model;
        if (dv->panics[i].addr.type == DOM_ADDR_PCI
            && (r = reserve_pci_if(c, &dv->panics[i].addr, &dv->panics[i].src,
                                   &c->panic_pci[i], m && STREQ(m, "pvpanic")
                                   ? FL_PCI | QB_PCI_INTEGRATED : 0)) < 0)
            return r;
    }
    if (c->balloon && (r = reserve_pci_if(c, &dv->memballoon.addr, &dv->memballoon.src,
                                          &c->balloon_pci,
                                          fl_virtio(c, dv->memballoon.model))) < 0)
        return r;

    /* Chipset places (qemuDomainValidateDevicePCISlotsPIIX3/Q35). */
    for (size_t i = 0; i < c->n_ctrls; i++) {
        struct qb_ctrl *ct = &c->ctrls[i];
        const char *m = ct->c.model ? ct->c.model : "";
        if (ct->pci.set || ct->c.addr.type != DOM_ADDR_NONE)
            continue;
        if (!c->q35 && ct->c.type == DOM_CTRL_USB && ct->c.index == 0
            && STREQ(m, "piix3-uhci") && !(c->buses[0].fn[1] & 0x04)) {
            /* the first piix3-uhci is PIIX3 function 2 */
            pci_fixed(c, 1, 2, DOM_TRI_DEFAULT, &ct->pci);
        } else if (c->q35 && ct->c.type == DOM_CTRL_USB && STREQ(m, "ich9-uhci1")) {
            /* USB2 at 00:1D.0, a second one at 00:1A.0, as on real Q35 hardware */
            unsigned slot = pci_slot_free(c, 0x1d) ? 0x1d : pci_slot_free(c, 0x1a) ? 0x1a : 0;
            if (slot)
                pci_fixed(c, slot, 0, DOM_TRI_ON, &ct->pci);
        } else if (c->q35 && ct->c.type == DOM_CTRL_PCI && STREQ(m, "dmi-to-pci-bridge")
                   && pci_slot_free(c, 0x1e)) {
            pci_fixed(c, 0x1e, 0, DOM_TRI_DEFAULT, &ct->pci);
        }
    }
    if (c->dry_run && !c->q35) {
        /* libvirt keeps one pci-root slot free for a future pci-bridge: when the buses
         * are not full, a dummy device takes one slot, so a full pci.0 grows a bridge. */
        bool full = true;
        for (unsigned b = 0; b < c->nbuses && full; b++)
            for (unsigned s = c->buses[b].min_slot; s <= c->buses[b].max_slot; s++)
                if (!c->buses[b].fn[s]) {
                    full = false;
                    break;
                }
        struct qb_pci dummy = {0};
        if (!full && (r = pci_next(c, NULL, FL_PCI, -1, &dummy)) < 0)
            return r;
    }
    /* The primary video takes slot 2 (pc) or 1 (q35). */
    struct qb_pci *pv = c->primary_video >= 0 ? &c->video_pci[c->primary_video]
                        : c->implicit_cirrus ? &c->video_pci[0] : NULL;
    if (pv && !pv->set) {
        unsigned want = c->q35 ? 1 : 2;
        const struct dom_src *src = c->primary_video >= 0 ? &dv->videos[c->primary_video].src
                                                          : NULL;
        if (pci_slot_free(c, want))
            pci_fixed(c, want, 0, DOM_TRI_DEFAULT, pv);
        else if ((r = qb_pci_auto(c, src, c->primary_video >= 0
                                  ? video_flags(c, &dv->videos[c->primary_video]) : FL_PCI,
                                  pv)) < 0)
            return r;
    }
    if (c->q35 && pci_slot_free(c, 0x1b)) {
        /* the ICH9 HD audio of real Q35 hardware sits at 00:1B.0 */
        for (size_t i = 0; i < dv->n_sounds; i++)
            if (!c->sound_pci[i].set && dv->sounds[i].model
                && STREQ(dv->sounds[i].model, "ich9")) {
                pci_fixed(c, 0x1b, 0, DOM_TRI_DEFAULT, &c->sound_pci[i]);
                break;
            }
    }

    /* libvirt's order (qemuDomainAssignDevicePCISlots): PCI controllers by index, NICs,
     * sound, other controllers, virtio disks, balloon, rng, watchdog, videos, virtio
     * input, pci-serial, pvpanic. */
    for (unsigned idx = 1; idx < QB_MAX_PCI_BUS; idx++) {
        struct qb_ctrl *ct = (struct qb_ctrl *)qb_ctrl_find(c, DOM_CTRL_PCI, idx);
        if (ct && (r = qb_pci_auto(c, &ct->c.src, ctrl_flags(c, ct), &ct->pci)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_interfaces; i++)
        if ((r = qb_pci_auto(c, &dv->interfaces[i].src, net_flags(c, &dv->interfaces[i]),
                             &c->net_pci[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_sounds; i++)
        if (qb_sound_is_pci(&dv->sounds[i])
            && (r = qb_pci_auto(c, &dv->sounds[i].src, FL_PCI, &c->sound_pci[i])) < 0)
            return r;
    size_t *order = ctrl_order(c);
    for (size_t oi = 0; oi < c->n_ctrls; oi++) {
        struct qb_ctrl *ct = &c->ctrls[order[oi]];
        unsigned fl = ctrl_flags(c, ct);
        if (ct->pci.set || ct->c.type == DOM_CTRL_PCI || !fl)
            continue;
        if (ct->c.type == DOM_CTRL_SATA && c->q35 && ct->c.index == 0)
            continue;
        if (!is_usb2(ct)) {
            if ((r = qb_pci_auto(c, &ct->c.src, fl, &ct->pci)) < 0)
                goto fail;
            continue;
        }
        /* USB2: EHCI and its UHCI companions share one slot (fn 7, 0, 1, 2). */
        const char *m = ct->c.model;
        unsigned fn = STREQ(m, "ich9-ehci1") ? 7 : (unsigned)(m[9] - '1');
        enum dom_tristate mf = STREQ(m, "ich9-uhci1") ? DOM_TRI_ON : DOM_TRI_DEFAULT;
        const struct qb_ctrl *sib = NULL;
        for (size_t k = 0; k < c->n_ctrls && !sib; k++)
            if (is_usb2(&c->ctrls[k]) && c->ctrls[k].c.index == ct->c.index
                && c->ctrls[k].pci.set)
                sib = &c->ctrls[k];
        if (sib) {
            struct dom_addr a = {.type = DOM_ADDR_PCI, .bus = sib->pci.bus,
                                 .slot = sib->pci.slot, .function = fn, .multifunction = mf};
            if ((r = qb_pci_reserve(c, &a, &ct->c.src, fl, &ct->pci)) < 0)
                goto fail;
        } else {
            if ((r = pci_next(c, &ct->c.src, fl, (int)fn, &ct->pci)) < 0)
                goto fail;
            ct->pci.mf = mf;
        }
    }
    free(order);
    for (size_t i = 0; i < dv->n_disks; i++)
        if (qb_disk_bus(&dv->disks[i]) == DOM_BUS_VIRTIO
            && (r = qb_pci_auto(c, &dv->disks[i].src, fl_pcie(c), &c->disk_pci[i])) < 0)
            return r;
    if (c->balloon && (r = qb_pci_auto(c, &dv->memballoon.src,
                                       fl_virtio(c, dv->memballoon.model),
                                       &c->balloon_pci)) < 0)
        return r;
    for (size_t i = 0; i < dv->n_rngs; i++)
        if ((r = qb_pci_auto(c, &dv->rngs[i].src, fl_virtio(c, dv->rngs[i].model),
                             &c->rng_pci[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_watchdogs; i++) {
        const char *m = dv->watchdogs[i].model;
        if (m && STREQ(m, "i6300esb") && (r = qb_pci_auto(c, &dv->watchdogs[i].src, FL_PCI,
                                                         &c->wd_pci[i])) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_videos; i++)
        if ((int)i != c->primary_video && qb_video_is_pci(&dv->videos[i])
            && (r = qb_pci_auto(c, &dv->videos[i].src, video_flags(c, &dv->videos[i]),
                                &c->video_pci[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_inputs; i++)
        if (dv->inputs[i].bus == DOM_INPUT_BUS_VIRTIO
            && (r = qb_pci_auto(c, &dv->inputs[i].src, fl_pcie(c), &c->input_pci[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_chrs; i++)
        if (qb_chr_is_pci(&dv->chrs[i])
            && (r = qb_pci_auto(c, &dv->chrs[i].src, FL_PCI, &c->chr_pci[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_panics; i++) {
        const char *m = dv->panics[i].model;
        if (m && STREQ(m, "pvpanic")
            && (r = qb_pci_auto(c, &dv->panics[i].src, FL_PCI | QB_PCI_INTEGRATED,
                                &c->panic_pci[i])) < 0)
            return r;
    }
    return 0;
fail:
    free(order);
    return r;
}

static int assign_pci(struct qb_ctx *c)
{
    int r;
    unsigned max_idx = 0;
    for (size_t i = 0; i < c->n_ctrls; i++)
        if (c->ctrls[i].c.type == DOM_CTRL_PCI && c->ctrls[i].c.index > max_idx)
            max_idx = c->ctrls[i].c.index;

    /* First pass: which buses are needed. */
    c->dry_run = true;
    pci_buses_from_ctrls(c, max_idx + 1);
    if ((r = pci_pass(c)) < 0)
        return r;
    if (c->q35 && max_idx == 0 && c->nbuses > 1) {
        /* libvirt leaves one empty pcie-root-port for hotplug when it added root ports
         * itself (and the XML has no PCI controllers of its own). */
        struct qb_pci spare = {0};
        if ((r = pci_next(c, NULL, QB_PCIE_DEV | QB_PCI_AUTO, -1, &spare)) < 0)
            return r;
    }
    for (unsigned i = 1; i < c->nbuses; i++) {
        if (qb_ctrl_find(c, DOM_CTRL_PCI, i))
            continue;
        const char *model = c->buses[i].model;
        qb_ctrl_add_pci(c, i, model);
        qb_note(c, "added <controller type='pci' index='%u' model='%s'/> as libvirt does",
                i, model);
        struct qb_pci tmp = {0};
        if ((r = pci_next(c, NULL, qb_pci_ctrl_flags(model), -1, &tmp)) < 0)
            return r;
    }

    /* Second pass, for real. */
    struct qb_pci **all;
    size_t n = pci_list(c, &all);
    for (size_t i = 0; i < n; i++)
        *all[i] = (struct qb_pci){0};
    free(all);
    c->dry_run = false;
    pci_buses_from_ctrls(c, c->nbuses);
    if ((r = pci_pass(c)) < 0)
        return r;

    /* virDomainPCIAddressSetAllMulti: function 0 of a slot with other functions in use
     * gets multifunction=on unless the XML said off. */
    n = pci_list(c, &all);
    for (size_t i = 0; i < n; i++) {
        if (!all[i]->set || all[i]->fn == 0)
            continue;
        for (size_t k = 0; k < n; k++)
            if (all[k]->set && all[k]->fn == 0 && all[k]->bus == all[i]->bus
                && all[k]->slot == all[i]->slot && all[k]->mf == DOM_TRI_DEFAULT)
                all[k]->mf = DOM_TRI_ON;
    }
    free(all);
    return 0;
}

static int assign_addresses(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;

    if ((r = check_addr_types(c)) < 0 || (r = assign_pci(c)) < 0)
        return r;

    /* USB (qemuDomainAssignUSBAddresses): hubs libvirt adds when the devices outnumber
     * the ports, the XML's hubs with a port, the other explicit ports, the remaining hubs,
     * then inputs, disks, serials, sounds, redirdevs. */
    size_t nusb = dv->n_hubs + dv->n_redirdevs, ports = 0;
    for (size_t i = 0; i < dv->n_inputs; i++)
        nusb += dv->inputs[i].bus == DOM_INPUT_BUS_USB
                || (dv->inputs[i].bus == DOM_INPUT_BUS_DEFAULT
                    && dv->inputs[i].type == DOM_INPUT_TABLET);
    for (size_t i = 0; i < dv->n_disks; i++)
        nusb += qb_disk_bus(&dv->disks[i]) == DOM_BUS_USB;
    for (size_t i = 0; i < dv->n_chrs; i++)
        nusb += qb_chr_is_usb(&dv->chrs[i]);
    for (size_t i = 0; i < dv->n_sounds; i++)
        nusb += dv->sounds[i].model && STREQ(dv->sounds[i].model, "usb");
    for (size_t i = 0; i < c->n_ctrls; i++)
        if (c->ctrls[i].c.type == DOM_CTRL_USB)
            ports += c->ctrls[i].usb_ports;
    ports += USB_HUB_PORTS * dv->n_hubs;
    size_t added = nusb > ports && ports ? (nusb - ports + 1 + USB_HUB_PORTS - 2) / (USB_HUB_PORTS - 1)
                                : 0;
    c->n_hubs = dv->n_hubs + added;
    ALLOC_N(c->hub_usb, c->n_hubs);
    if (added)
        qb_note(c, "added %zu USB hub%s as libvirt does: %zu USB devices need more than the "
                "%zu ports of the USB controllers and hubs", added, added > 1 ? "s" : "",
                nusb, ports);
    static const struct dom_src added_src = {"devices/hub", 0};
    for (size_t i = 0; i < dv->n_hubs; i++) {
        const struct dom_hub *h = &dv->hubs[i];
        if ((r = addr_fits(c, &h->addr, &h->src, DOM_ADDR_USB)) < 0)
            return r;
        if (h->addr.type != DOM_ADDR_USB || !h->addr.usb_port || !*h->addr.usb_port)
            continue;
        if ((r = qb_usb_reserve(c, &h->addr, &h->src, &c->hub_usb[i])) < 0
            || (r = usb_add_hub(c, &c->hub_usb[i], &h->src)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_inputs; i++)
        if ((r = reserve_usb_if(c, &dv->inputs[i].addr, &dv->inputs[i].src,
                                &c->input_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_disks; i++)
        if ((r = reserve_usb_if(c, &dv->disks[i].addr, &dv->disks[i].src, &c->disk_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_chrs; i++)
        if ((r = reserve_usb_if(c, &dv->chrs[i].addr, &dv->chrs[i].src, &c->chr_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_sounds; i++)
        if ((r = reserve_usb_if(c, &dv->sounds[i].addr, &dv->sounds[i].src,
                                &c->sound_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_redirdevs; i++)
        if ((r = reserve_usb_if(c, &dv->redirdevs[i].addr, &dv->redirdevs[i].src,
                                &c->redir_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < c->n_hubs; i++) {
        const struct dom_src *src = i < dv->n_hubs ? &dv->hubs[i].src : &added_src;
        if (c->hub_usb[i].set)
            continue;
        if (i < dv->n_hubs && dv->hubs[i].addr.type == DOM_ADDR_USB)
            r = qb_auto_usb_on(c, dv->hubs[i].addr.bus, src, &c->hub_usb[i]);
        else
            r = qb_usb_auto(c, src, &c->hub_usb[i]);
        if (r < 0 || (r = usb_add_hub(c, &c->hub_usb[i], src)) < 0)
            return r;
    }
    for (size_t i = 0; i < dv->n_inputs; i++)
        if (dv->inputs[i].bus == DOM_INPUT_BUS_USB
            && (r = qb_usb_auto(c, &dv->inputs[i].src, &c->input_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_disks; i++)
        if (qb_disk_bus(&dv->disks[i]) == DOM_BUS_USB
            && (r = qb_usb_auto(c, &dv->disks[i].src, &c->disk_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_chrs; i++)
        if (qb_chr_is_usb(&dv->chrs[i])
            && (r = qb_usb_auto(c, &dv->chrs[i].src, &c->chr_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_sounds; i++)
        if (dv->sounds[i].model && STREQ(dv->sounds[i].model, "usb")
            && (r = qb_usb_auto(c, &dv->sounds[i].src, &c->sound_usb[i])) < 0)
            return r;
    for (size_t i = 0; i < dv->n_redirdevs; i++)
        if ((r = qb_usb_auto(c, &dv->redirdevs[i].src, &c->redir_usb[i])) < 0)
            return r;
    return 0;
}

/* ------------------------------------------------------------------ top level */

/* <controller type='pci' model='pci-root|pcie-root'><pcihole64>: the size of the 64-bit
 * PCI MMIO window, a property of the host bridge (libvirt:
 * qemuBuildGlobalControllerCommandLine). */
static int add_pcihole64(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_controllers; i++) {
        const struct dom_controller *k = &dv->controllers[i];
        if (k->type != DOM_CTRL_PCI || !k->has_pcihole64)
            continue;
        const char *host = NULL;
        if (k->model && STREQ(k->model, "pci-root") && !c->q35)
            host = "i440FX-pcihost";
        else if (k->model && STREQ(k->model, "pcie-root") && c->q35)
            host = "q35-pcihost";
        if (!host)
            return qb_fail(c, &k->src, "<pcihole64> is only for the root PCI controller "
                           "(pci-root on pc, pcie-root on q35)");
        qb_opt(c, "-global", xasprintf("%s.pci-hole64-size=%lluK", host, k->pcihole64_kib));
    }
    return 0;
}

static int check_domain(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    static const struct dom_src osrc = {"os/type", 0};
    static const struct dom_src fsrc = {"features", 0};
    if (d->os.type && !STREQ(d->os.type, "hvm"))
        return qb_fail(c, &osrc, "OS type '%s' is not supported; only hvm", d->os.type);
    if (d->os.arch && !STREQ(d->os.arch, "x86_64"))
        return qb_fail(c, &osrc, "architecture '%s' is not supported; only x86_64",
                       d->os.arch);
    if (!d->name || !*d->name) {
        static const struct dom_src nsrc = {"name", 0};
        return qb_fail(c, &nsrc, "the domain has no name");
    }
    if (d->features.f[DOM_FEAT_APIC] == DOM_TRI_OFF)
        return qb_fail(c, &fsrc, "<apic state='off'> is not supported on x86_64");
    if (d->features.f[DOM_FEAT_PAE] == DOM_TRI_OFF)
        return qb_fail(c, &fsrc, "<pae state='off'> is not supported on x86_64");
    if (d->current_memory_kib && d->current_memory_kib < d->memory_kib) {
        bool balloon = !d->dev.memballoon.present || !d->dev.memballoon.model
                       || !STREQ(d->dev.memballoon.model, "none");
        if (!balloon) {
            static const struct dom_src csrc = {"currentMemory", 0};
            return qb_fail(c, &csrc, "currentMemory below memory needs a memballoon; "
                           "model='none' cannot shrink the guest");
        }
        qb_note(c, "currentMemory %llu KiB is set with QMP 'balloon' after start",
                d->current_memory_kib);
    }
    if (d->has_cputune || d->vcpu_cpuset || (d->vcpu_placement
                                             && STREQ(d->vcpu_placement, "auto")))
        qb_note(c, "vCPU placement/cputune is applied to QEMU's threads by the supervisor, "
                "not on the command line");
    return 0;
}

static void ctx_free(struct qb_ctx *c)
{
    free(c->run_dir);
    free(c->gfx_socket[0]);
    free(c->gfx_socket[1]);
    free(c->ctrls);
    free(c->disk_pci);
    free(c->net_pci);
    free(c->sound_pci);
    free(c->video_pci);
    free(c->input_pci);
    free(c->chr_pci);
    free(c->rng_pci);
    free(c->wd_pci);
    free(c->panic_pci);
    free(c->disk_usb);
    free(c->input_usb);
    free(c->sound_usb);
    free(c->chr_usb);
    free(c->redir_usb);
    free(c->disk_boot);
    free(c->net_boot);
    for (size_t i = 0; i < 16; i++)
        usb_hub_free(c->usb_root[i]);
    free(c->hub_usb);
}


static int build(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_devices *dv = &d->dev;
    int r;

    if ((r = check_domain(c)) < 0 || (r = check_lifecycle(c)) < 0)
        return r;
    ALLOC_N(c->disk_pci, dv->n_disks);
    ALLOC_N(c->net_pci, dv->n_interfaces);
    ALLOC_N(c->sound_pci, dv->n_sounds);
    ALLOC_N(c->video_pci, dv->n_videos + 1);
    ALLOC_N(c->input_pci, dv->n_inputs);
    ALLOC_N(c->chr_pci, dv->n_chrs);
    ALLOC_N(c->rng_pci, dv->n_rngs);
    ALLOC_N(c->wd_pci, dv->n_watchdogs);
    ALLOC_N(c->panic_pci, dv->n_panics);
    ALLOC_N(c->disk_usb, dv->n_disks);
    ALLOC_N(c->input_usb, dv->n_inputs);
    ALLOC_N(c->sound_usb, dv->n_sounds);
    ALLOC_N(c->chr_usb, dv->n_chrs);
    ALLOC_N(c->redir_usb, dv->n_redirdevs);
    ALLOC_N(c->disk_boot, dv->n_disks);
    ALLOC_N(c->net_boot, dv->n_interfaces);

    c->balloon = !dv->memballoon.present || !dv->memballoon.model
                 || !STREQ(dv->memballoon.model, "none");
    enum dom_lifecycle cr = dom_on_crash(d);
    c->implicit_panic = cr != DOM_LC_DESTROY && dv->n_panics == 0;

    if ((r = qb_check_gfx(c)) < 0 || (r = qb_check_nets(c)) < 0 || (r = qb_check_misc(c)) < 0)
        return r;
    if ((r = qb_prepare_controllers(c)) < 0 || (r = assign_boot_order(c)) < 0
        || (r = assign_addresses(c)) < 0)
        return r;

    argv_add(&c->r->argv, c->o->emulator ? c->o->emulator
                          : dv->emulator ? dv->emulator : QEMU_DEFAULT_EMULATOR);
    add_name_uuid(c);
    qb_opt(c, "-S", NULL);
    if ((r = add_firmware(c)) < 0 || (r = add_machine(c)) < 0)
        return r;
    if (d->features.f[DOM_FEAT_KVM_DIRTY_RING] == DOM_TRI_ON) {
        /* KVM's dirty page ring (libvirt: -accel kvm,dirty-ring-size=N) */
        if (!c->kvm) {
            static const struct dom_src fsrc = {"features/kvm/dirty-ring", 0};
            return qb_fail(c, &fsrc, "<kvm><dirty-ring state='on'/> is a KVM feature and "
                           "needs KVM; it has no effect with TCG, remove it or run with "
                           "--accel kvm");
        }
        qb_opt(c, "-accel", xasprintf("kvm,dirty-ring-size=%u",
                                      d->features.kvm_dirty_ring_size));
    } else {
        qb_opt(c, "-accel", xstrdup(c->kvm ? "kvm" : "tcg"));
    }
    if ((r = add_cpu(c)) < 0 || (r = add_memory_smp(c)) < 0)
        return r;
    add_uuid(c);
    if (d->has_genid) {
        /* libvirt's vmgenid0, right after -uuid. */
        char g[37];
        uuid_unparse_lower(d->genid, g);
        /* an empty <genid/> was filled in (and noted) by validate */
        qb_opt(c, "-device", xasprintf("{\"driver\":\"vmgenid\",\"guid\":\"%s\","
                                       "\"id\":\"vmgenid0\"}", g));
    }
    if (dv->n_graphics == 0)
        qb_opt(c, "-display", xstrdup("none"));
    qb_opt(c, "-no-user-config", NULL);
    qb_opt(c, "-nodefaults", NULL);
    add_monitor(c);
    if ((r = add_clock(c)) < 0)
        return r;
    add_lifecycle(c);
    if ((r = add_boot(c)) < 0 || (r = add_pcihole64(c)) < 0)
        return r;
    if ((r = qb_build_controllers(c)) < 0 || (r = qb_build_hubs(c)) < 0
        || (r = qb_build_disks(c)) < 0
        || (r = qb_build_nets(c)) < 0 || (r = qb_build_chrs(c)) < 0
        || (r = qb_build_inputs(c)) < 0 || (r = qb_build_audio(c)) < 0
        || (r = qb_build_graphics(c)) < 0 || (r = qb_build_videos(c)) < 0
        || (r = qb_build_sounds(c)) < 0 || (r = qb_build_watchdogs(c)) < 0
        || (r = qb_build_redirdevs(c)) < 0 || (r = qb_build_balloon(c)) < 0
        || (r = qb_build_rngs(c)) < 0 || (r = qb_build_panics(c)) < 0)
        return r;
    if (d->features.f[DOM_FEAT_VMCOREINFO] == DOM_TRI_ON)
        qb_opt(c, "-device", xstrdup("{\"driver\":\"vmcoreinfo\"}"));
    /* libvirt's default hardening (qemu.conf seccomp_sandbox=1): QEMU may not run
     * obsolete syscalls, change its privileges, fork/exec, or change scheduling and
     * affinity itself (the supervisor pins threads from outside). */
    qb_opt(c, "-sandbox", xstrdup("on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
                                  "resourcecontrol=deny"));
    return 0;
}

int qb_build(const struct domain *d, const struct qb_options *o, struct qb_result *ret,
             struct ql_error *err)
{
    struct qb_ctx c = {0};
    memset(ret, 0, sizeof(*ret));
    /* The builder works on a shallow copy whose disks are in libvirt's order (see
     * qb_disk_order); the disks' contents stay d's. */
    struct domain dd = *d;
    struct dom_disk *disks = NULL;
    if (d->dev.n_disks) {
        size_t *order = xcalloc(d->dev.n_disks, sizeof(*order));
        disks = xcalloc(d->dev.n_disks, sizeof(*disks));
        qb_disk_order(d->dev.disks, d->dev.n_disks, order);
        for (size_t i = 0; i < d->dev.n_disks; i++)
            disks[i] = d->dev.disks[order[i]];
        free(order);
        dd.dev.disks = disks;
    }
    d = &dd;
    c.d = d;
    c.o = o;
    c.r = ret;
    c.err = err;
    c.next_fd = o->first_fd > o->qmp_fd ? o->first_fd : o->qmp_fd + 1;
    c.primary_video = -1;
    c.run_dir = o->run_dir ? xstrdup(o->run_dir)
                           : xasprintf("/run/qlaunch/%s", d->name ? d->name : "");
    if (o->accel) {
        if (!STREQ(o->accel, "kvm") && !STREQ(o->accel, "tcg")) {
            free(c.run_dir);
            free(disks);
            return ql_error_set(err, EINVAL, "accelerator '%s' is not known; use kvm or tcg",
                                o->accel);
        }
        c.kvm = STREQ(o->accel, "kvm");
    } else {
        c.kvm = d->virt == DOM_VIRT_KVM;
    }
    const char *m = d->os.machine;
    c.q35 = m && (strncmp(m, "q35", 3) == 0 || strncmp(m, "pc-q35", 6) == 0);
    c.root_bus = c.q35 ? "pcie.0" : "pci.0";
    int r = build(&c);
    ctx_free(&c);
    free(disks);
    if (r < 0)
        qb_result_free(ret);
    return r;
}

void qb_result_free(struct qb_result *r)
{
    argv_free(&r->argv);
    for (size_t i = 0; i < r->n_fds; i++)
        free(r->fds[i].what);
    free(r->fds);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    for (size_t i = 0; i < r->n_displays; i++) {
        free(r->displays[i].host);
        free(r->displays[i].socket);
    }
    free(r->displays);
    free(r->nvram_path);
    free(r->nvram_template);
    memset(r, 0, sizeof(*r));
}
