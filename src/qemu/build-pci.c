/* libvirt's PCI address set (src/conf/domain_addr.c), reduced to what qlaunch's devices
 * need: buses accept connect types, auto-assigned devices only go where a bus allows
 * auto-assignment (so PCIe endpoints land behind root ports, not on pcie.0), and a first
 * "dry run" pass grows the bus list with the controllers libvirt would add. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <string.h>

unsigned qb_fl_pcie(const struct qb_ctx *c)
{
    return (c->q35 ? QB_PCIE_DEV : QB_PCI_DEV) | QB_PCI_AUTO;
}

unsigned qb_fl_virtio(const struct qb_ctx *c, enum dom_virtio_model m)
{
    return m == DOM_VIRTIO_TRANSITIONAL ? QB_FL_PCI : qb_fl_pcie(c);
}

unsigned qb_pci_ctrl_flags(enum dom_pci_model model)
{
    switch (model) {
    case DOM_PCI_BRIDGE:
        return QB_PCI_BRIDGE;
    case DOM_PCI_DMI_TO_PCI_BRIDGE:
        return QB_PCI_DMI;
    case DOM_PCIE_TO_PCI_BRIDGE:
        return QB_PCIE_TO_PCI;
    case DOM_PCIE_ROOT_PORT:
        return QB_PCI_ROOT_PORT | QB_PCI_AGGREGATE;
    case DOM_PCIE_SWITCH_UPSTREAM_PORT:
        return QB_PCI_UPSTREAM;
    case DOM_PCIE_SWITCH_DOWNSTREAM_PORT:
        return QB_PCI_DOWNSTREAM;
    default:
        return 0;
    }
}

static void bus_set_model(struct qb_bus *b, enum dom_pci_model model)
{
    memset(b, 0, sizeof(*b));
    b->model = model;
    b->min_slot = 1;
    b->max_slot = 31;
    switch (model) {
    case DOM_PCI_ROOT:
    case DOM_PCI_BRIDGE:
    case DOM_PCIE_TO_PCI_BRIDGE:
        b->flags = QB_PCI_AUTO | QB_PCI_DEV | QB_PCI_BRIDGE | QB_PCI_HOTPLUG;
        break;
    case DOM_PCIE_ROOT:
        b->flags = QB_PCIE_DEV | QB_PCI_ROOT_PORT | QB_PCI_DMI;
        break;
    case DOM_PCI_DMI_TO_PCI_BRIDGE:
        b->flags = QB_PCI_DEV | QB_PCI_BRIDGE;
        b->min_slot = 0;
        break;
    case DOM_PCIE_ROOT_PORT:
    case DOM_PCIE_SWITCH_DOWNSTREAM_PORT:
        b->flags = QB_PCI_AUTO | QB_PCIE_DEV | QB_PCI_UPSTREAM | QB_PCIE_TO_PCI |
                   QB_PCI_HOTPLUG;
        b->min_slot = b->max_slot = 0;
        break;
    case DOM_PCIE_SWITCH_UPSTREAM_PORT:
        b->flags = QB_PCI_DOWNSTREAM;
        b->min_slot = 0;
        break;
    default:
        break;
    }
}

/* virDomainPCIAddressFlagsCompatible. An address from the XML may put a PCI device in a
 * PCIe slot and vice versa; an automatic one needs a bus that allows auto-assignment. */
static bool pci_compatible(unsigned bus, unsigned busf, unsigned devf, bool from_config)
{
    if ((devf & QB_PCI_HOTPLUG) && !(busf & QB_PCI_HOTPLUG))
        return false;           /* pcie.0 and the DMI bridge take no hot-plugged device */
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
    enum dom_pci_model model;
    bool need_bridge = false;
    if (flags & QB_PCI_DEV) {
        model = DOM_PCI_BRIDGE;
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
        model = DOM_PCIE_ROOT_PORT;
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
        bus_set_model(&c->buses[i], DOM_PCIE_ROOT_PORT);
        c->buses[i++].flags = QB_PCIE_TO_PCI;
        bus_set_model(&c->buses[i++], DOM_PCIE_TO_PCI_BRIDGE);
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
                       "device", a->bus, a->slot, a->function, dom_pci_model_to_string(b->model));
    if (a->bus == 0 && a->slot == 0)
        return qb_fail(c, src, "PCI slot 0 on bus 0 is the host bridge");
    if (a->slot < b->min_slot || a->slot > b->max_slot) {
        if (b->max_slot == 0)
            return qb_fail(c, src, "PCIe port pci.%u has only slot 0", a->bus);
        return qb_fail(c, src, "PCI slot %u does not exist on bus %u (%s: slots %u-%u)",
                       a->slot, a->bus, dom_pci_model_to_string(b->model), b->min_slot,
                       b->max_slot);
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
int qb_pci_next(struct qb_ctx *c, const struct dom_src *src, unsigned flags, int fn,
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
    return qb_pci_next(c, src, flags, -1, p);
}

void qb_pci_set_buses(struct qb_ctx *c, unsigned nbuses, const enum dom_pci_model *models)
{
    memset(c->buses, 0, sizeof(c->buses));
    c->nbuses = nbuses;
    for (unsigned i = 0; i < nbuses; i++)
        bus_set_model(&c->buses[i], models[i]);
}

bool qb_pci_slot_free(const struct qb_ctx *c, unsigned slot)
{
    return c->buses[0].fn[slot] == 0;
}

void qb_pci_fixed(struct qb_ctx *c, unsigned slot, unsigned fn, enum dom_tristate mf,
                  struct qb_pci *p)
{
    pci_mark(c, 0, slot, fn, 0);
    *p = (struct qb_pci){true, 0, slot, fn, mf};
}

void qj_pci(struct qb_ctx *c, struct qj *j, const struct qb_pci *p)
{
    char bus[32], addr[32];
    if (!p->set)
        return;
    if (p->bus == 0)
        snprintf(bus, sizeof(bus), "%s", c->root_bus);
    else
        snprintf(bus, sizeof(bus), "pci.%u", p->bus);
    qj_str(j, "bus", bus);
    if (p->mf != DOM_TRI_DEFAULT)
        qj_bool(j, "multifunction", p->mf == DOM_TRI_ON);
    if (p->fn)
        snprintf(addr, sizeof(addr), "0x%x.0x%x", p->slot, p->fn);
    else
        snprintf(addr, sizeof(addr), "0x%x", p->slot);
    qj_str(j, "addr", addr);
}
