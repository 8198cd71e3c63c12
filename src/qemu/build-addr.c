/* The device list and the one address pass: every device that can carry an <address> is
 * an entry its family adds (what it is, what it takes, where libvirt would put it); the
 * pass checks the XML's addresses, then gives out PCI addresses (qemuDomainAssignPCIAddresses)
 * and USB ports (qemuDomainAssignUSBAddresses) in libvirt's order. A new device family
 * adds its entries and reads its addresses back: nothing here names it. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <stdlib.h>
#include <string.h>

struct qb_dev *qb_dev_add(struct qb_ctx *c, enum qb_dev_kind kind, const struct dom_addr *addr,
                          const struct dom_src *src, enum dom_addr_type takes)
{
    if (c->n_devs == c->devs_cap) {
        c->devs_cap = c->devs_cap ? c->devs_cap * 2 : 16;
        c->devs = xrealloc(c->devs, c->devs_cap * sizeof(*c->devs));
    }
    if (!c->dev_count[kind])
        c->dev_first[kind] = c->n_devs;
    struct qb_dev *x = &c->devs[c->n_devs++];
    *x = (struct qb_dev){.kind = kind, .index = c->dev_count[kind]++, .addr = addr, .src = src,
                         .takes = takes};
    return x;
}

struct qb_dev *qb_dev(const struct qb_ctx *c, enum qb_dev_kind kind, size_t index)
{
    return &c->devs[c->dev_first[kind] + index];
}

/* Refuses an <address> whose type the device cannot take, instead of dropping it. */
static int addr_fits(struct qb_ctx *c, const struct qb_dev *x)
{
    enum dom_addr_type t = x->addr->type, want = x->takes;
    if (want == QB_ADDR_OWN || t == DOM_ADDR_NONE || t == want)
        return 0;
    if (want == DOM_ADDR_NONE)
        return qb_fail(c, x->src, "this device takes no <address> (type '%s' given)",
                       dom_addr_type_to_string(t));
    return qb_fail(c, x->src, "address type '%s' does not fit this device; it takes type '%s'",
                   dom_addr_type_to_string(t), dom_addr_type_to_string(want));
}

static int check_addr_types(struct qb_ctx *c)
{
    int r;
    for (size_t i = 0; i < c->n_devs; i++)
        if ((r = addr_fits(c, &c->devs[i])) < 0)
            return r;
    for (size_t i = 0; i < c->n_ctrls; i++) {
        const struct qb_ctrl *ct = &c->ctrls[i];
        if (ct->implicit || ct->c.type == DOM_CTRL_IDE
            || (ct->c.type == DOM_CTRL_SATA && c->q35 && ct->c.index == 0))
            continue;           /* chipset functions: checked in pci_pass */
        struct qb_dev x = {.addr = &ct->c.addr, .src = &ct->c.src,
                           .takes = qb_ctrl_pci_flags(c, ct) ? DOM_ADDR_PCI : DOM_ADDR_NONE};
        if ((r = addr_fits(c, &x)) < 0)
            return r;
    }
    return 0;
}

/* ------------------------------------------------------------------ PCI */

/* The bus list from the PCI controllers (libvirt's qemuDomainPCIAddressSetCreate); an index
 * without a controller gets the model libvirt would add there. */
static void pci_buses_from_ctrls(struct qb_ctx *c, unsigned nbuses)
{
    enum dom_pci_model models[QB_MAX_PCI_BUS];
    models[0] = c->q35 ? DOM_PCIE_ROOT : DOM_PCI_ROOT;
    for (unsigned i = 1; i < nbuses; i++) {
        const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_PCI, i);
        models[i] = ct && ct->c.model.pci ? ct->c.model.pci
                    : c->q35 ? DOM_PCIE_ROOT_PORT : DOM_PCI_BRIDGE;
    }
    qb_pci_set_buses(c, nbuses, models);
}

/* The XML's PCI addresses, checked against the chipset for its own functions. */
static int pci_reserve_ctrls(struct qb_ctx *c)
{
    int r;
    for (size_t i = 0; i < c->n_ctrls; i++) {
        struct qb_ctrl *ct = &c->ctrls[i];
        const struct dom_addr *a = &ct->c.addr;
        if (ct->implicit || a->type == DOM_ADDR_NONE)
            continue;
        /* Chipset functions built into the machine: their address (as virsh dumpxml
         * prints it) is accepted where the chipset has them, and no device is emitted. */
        bool ide = ct->c.type == DOM_CTRL_IDE;
        if (ide || (ct->c.type == DOM_CTRL_SATA && c->q35 && ct->c.index == 0)) {
            unsigned want = ide ? 1 : 0x1f, fn = ide ? 1 : 2;
            if (a->type != DOM_ADDR_PCI || a->domain != 0 || a->bus != 0 || a->slot != want
                || a->function != fn)
                return qb_fail(c, &ct->c.src, "Primary %s controller must have PCI address "
                               "0:0:%x.%u", ide ? "IDE" : "SATA", want, fn);
            continue;
        }
        if (a->type == DOM_ADDR_PCI
            && (r = qb_pci_reserve(c, a, &ct->c.src, qb_ctrl_pci_flags(c, ct), &ct->pci)) < 0)
            return r;
    }
    return 0;
}

/* Chipset places (qemuDomainValidateDevicePCISlotsPIIX3/Q35) of controllers. */
static void pci_chipset_ctrls(struct qb_ctx *c)
{
    for (size_t i = 0; i < c->n_ctrls; i++) {
        struct qb_ctrl *ct = &c->ctrls[i];
        const union dom_ctrl_model *m = &ct->c.model;
        if (ct->pci.set || ct->c.addr.type != DOM_ADDR_NONE)
            continue;
        if (!c->q35 && ct->c.type == DOM_CTRL_USB && ct->c.index == 0
            && m->usb == DOM_USB_PIIX3_UHCI && !(c->buses[0].fn[1] & 0x04)) {
            /* the first piix3-uhci is PIIX3 function 2 */
            qb_pci_fixed(c, 1, 2, DOM_TRI_DEFAULT, &ct->pci);
        } else if (c->q35 && ct->c.type == DOM_CTRL_USB && m->usb == DOM_USB_ICH9_UHCI1) {
            /* USB2 at 00:1D.0, a second one at 00:1A.0, as on real Q35 hardware */
            unsigned slot = qb_pci_slot_free(c, 0x1d) ? 0x1d
                            : qb_pci_slot_free(c, 0x1a) ? 0x1a : 0;
            if (slot)
                qb_pci_fixed(c, slot, 0, DOM_TRI_ON, &ct->pci);
        } else if (c->q35 && ct->c.type == DOM_CTRL_PCI && m->pci == DOM_PCI_DMI_TO_PCI_BRIDGE
                   && qb_pci_slot_free(c, 0x1e)) {
            qb_pci_fixed(c, 0x1e, 0, DOM_TRI_DEFAULT, &ct->pci);
        }
    }
}

/* EHCI and its UHCI companions: one PCI slot, functions 7, 0, 1, 2 */
static bool is_usb2(const struct qb_ctrl *ct)
{
    enum dom_usb_model m = ct->c.model.usb;
    return ct->c.type == DOM_CTRL_USB && m >= DOM_USB_ICH9_EHCI1 && m <= DOM_USB_ICH9_UHCI3;
}

/* The controllers that are not PCI controllers, in the order libvirt keeps them. */
static int pci_auto_ctrls(struct qb_ctx *c)
{
    int r = 0;
    size_t *order = qb_ctrl_order(c);
    for (size_t oi = 0; oi < c->n_ctrls && r >= 0; oi++) {
        struct qb_ctrl *ct = &c->ctrls[order[oi]];
        unsigned fl = qb_ctrl_pci_flags(c, ct);
        if (ct->pci.set || ct->c.type == DOM_CTRL_PCI || !fl)
            continue;
        if (ct->c.type == DOM_CTRL_SATA && c->q35 && ct->c.index == 0)
            continue;
        if (!is_usb2(ct)) {
            r = qb_pci_auto(c, &ct->c.src, fl, &ct->pci);
            continue;
        }
        /* USB2: EHCI and its UHCI companions share one slot. */
        enum dom_usb_model m = ct->c.model.usb;
        unsigned fn = m == DOM_USB_ICH9_EHCI1 ? 7 : (unsigned)(m - DOM_USB_ICH9_UHCI1);
        enum dom_tristate mf = m == DOM_USB_ICH9_UHCI1 ? DOM_TRI_ON : DOM_TRI_DEFAULT;
        const struct qb_ctrl *sib = NULL;
        for (size_t k = 0; k < c->n_ctrls && !sib; k++)
            if (is_usb2(&c->ctrls[k]) && c->ctrls[k].c.index == ct->c.index
                && c->ctrls[k].pci.set)
                sib = &c->ctrls[k];
        if (sib) {
            struct dom_addr a = {.type = DOM_ADDR_PCI, .bus = sib->pci.bus,
                                 .slot = sib->pci.slot, .function = fn, .multifunction = mf};
            r = qb_pci_reserve(c, &a, &ct->c.src, fl, &ct->pci);
        } else if ((r = qb_pci_next(c, &ct->c.src, fl, (int)fn, &ct->pci)) >= 0) {
            ct->pci.mf = mf;
        }
    }
    free(order);
    return r < 0 ? r : 0;
}

/* A hot-plugged device without an address: the first free slot on a bus that takes
 * hot-plugged devices, after everything QEMU was started with has its place. */
static int pci_hot(struct qb_ctx *c)
{
    for (size_t i = 0; i < c->n_devs; i++) {
        struct qb_dev *x = &c->devs[i];
        if (!x->hot || !x->pci_flags || x->pci.set)
            continue;
        if (qb_pci_next(c, x->src, x->pci_flags | QB_PCI_HOTPLUG, -1, &x->pci) < 0) {
            ql_error_clear(c->err);
            return qb_fail(c, x->src, "no free hot-pluggable PCI slot for this device%s",
                           c->q35 ? " (q35: each device needs a free pcie-root-port; add "
                           "<controller type='pci' model='pcie-root-port'/> elements to the "
                           "domain before it starts, as libvirt needs too)"
                           : "; pci.0 and the PCI bridges are full");
        }
    }
    return 0;
}

/* One pass of qemuDomainAssignPCIAddresses: addresses from the XML, the chipset's fixed
 * places, then libvirt's order. */
static int pci_pass(struct qb_ctx *c)
{
    int r;

    /* Fixed chipset functions. */
    if (c->q35)
        c->buses[0].fn[0x1f] = 0x0d;            /* LPC, SATA (ide), SMBus */
    else
        c->buses[0].fn[1] = 0x0b;               /* PIIX3 ISA, IDE, PM; fn 2 is USB */

    /* What the XML pins. */
    if ((r = pci_reserve_ctrls(c)) < 0)
        return r;
    for (size_t i = 0; i < c->n_devs; i++) {
        struct qb_dev *x = &c->devs[i];
        /* hot-plugged devices take no part in the start's first pass: they never add a bus */
        if (x->addr->type != DOM_ADDR_PCI || (x->hot && c->dry_run))
            continue;
        if (!x->pci_flags)
            return qb_fail(c, x->src, "this device is not a PCI device; its PCI address "
                           "cannot be honoured");
        unsigned fl = x->pci_flags | (x->hot ? QB_PCI_HOTPLUG : 0);
        if ((r = qb_pci_reserve(c, x->addr, x->src, fl, &x->pci)) < 0) {
            if (x->hot)
                ql_error_prefix(c->err, "hot-plug");
            return r;
        }
    }

    /* The chipset's places. */
    pci_chipset_ctrls(c);
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
        if (!full && (r = qb_pci_next(c, NULL, QB_FL_PCI, -1, &dummy)) < 0)
            return r;
    }
    for (size_t i = 0; i < c->n_devs; i++) {
        struct qb_dev *x = &c->devs[i];
        if (!x->chipset_slot || x->pci.set)
            continue;
        if (qb_pci_slot_free(c, x->chipset_slot))
            qb_pci_fixed(c, x->chipset_slot, 0, DOM_TRI_DEFAULT, &x->pci);
        else if (x->chipset_or_auto && (r = qb_pci_auto(c, x->src, x->pci_flags, &x->pci)) < 0)
            return r;
    }

    /* libvirt's order. */
    for (enum qb_pci_rank rank = 0; rank < QB_RANK_MAX; rank++) {
        if (rank == QB_RANK_PCI_CTRL) {
            for (unsigned idx = 1; idx < QB_MAX_PCI_BUS; idx++) {
                struct qb_ctrl *ct = (struct qb_ctrl *)qb_ctrl_find(c, DOM_CTRL_PCI, idx);
                if (ct && (r = qb_pci_auto(c, &ct->c.src, qb_ctrl_pci_flags(c, ct),
                                           &ct->pci)) < 0)
                    return r;
            }
        } else if (rank == QB_RANK_CTRL) {
            if ((r = pci_auto_ctrls(c)) < 0)
                return r;
        }
        for (size_t i = 0; i < c->n_devs; i++) {
            struct qb_dev *x = &c->devs[i];
            if (x->pci_flags && x->pci_rank == rank && !x->hot
                && (r = qb_pci_auto(c, x->src, x->pci_flags, &x->pci)) < 0)
                return r;
        }
    }
    return c->dry_run ? 0 : pci_hot(c);
}

/* Every PCI address the pass hands out: the controllers' and the devices'. */
static size_t pci_list(struct qb_ctx *c, struct qb_pci ***ret)
{
    size_t n = 0;
    struct qb_pci **l = xcalloc(c->n_ctrls + c->n_devs + 1, sizeof(*l));
    for (size_t i = 0; i < c->n_ctrls; i++)
        l[n++] = &c->ctrls[i].pci;
    for (size_t i = 0; i < c->n_devs; i++)
        l[n++] = &c->devs[i].pci;
    *ret = l;
    return n;
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
        if ((r = qb_pci_next(c, NULL, QB_PCIE_DEV | QB_PCI_AUTO, -1, &spare)) < 0)
            return r;
    }
    for (unsigned i = 1; i < c->nbuses; i++) {
        if (qb_ctrl_find(c, DOM_CTRL_PCI, i))
            continue;
        enum dom_pci_model model = c->buses[i].model;
        qb_ctrl_add_pci(c, i, model);
        qb_note(c, "added <controller type='pci' index='%u' model='%s'/> as libvirt does",
                i, dom_pci_model_to_string(model));
        struct qb_pci tmp = {0};
        if ((r = qb_pci_next(c, NULL, qb_pci_ctrl_flags(model), -1, &tmp)) < 0)
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

/* ------------------------------------------------------------------ USB */

/* libvirt adds hubs when the USB devices outnumber the ports of the controllers and the
 * XML's hubs. */
static void add_usb_hubs(struct qb_ctx *c)
{
    static const struct dom_addr none = {.type = DOM_ADDR_NONE};
    static const struct dom_src added_src = {"devices/hub", 0};
    size_t nusb = 0, ports = 0, xml_hubs = c->dev_count[QB_DEV_HUB];
    for (size_t i = 0; i < c->n_devs; i++)
        nusb += c->devs[i].usb_rank != QB_USB_NONE && !c->devs[i].hot;
    for (size_t i = 0; i < c->n_ctrls; i++)
        if (c->ctrls[i].c.type == DOM_CTRL_USB)
            ports += c->ctrls[i].usb_ports;
    ports += QB_USB_HUB_PORTS * xml_hubs;
    if (nusb <= ports || !ports)
        return;
    size_t added = (nusb - ports + 1 + QB_USB_HUB_PORTS - 2) / (QB_USB_HUB_PORTS - 1);
    qb_note(c, "added %zu USB hub%s as libvirt does: %zu USB devices need more than the "
            "%zu ports of the USB controllers and hubs", added, added > 1 ? "s" : "", nusb,
            ports);
    for (size_t i = 0; i < added; i++)
        qb_dev_add(c, QB_DEV_HUB, &none, &added_src, DOM_ADDR_USB)->usb_rank = QB_USB_HUB;
}

/* qemuDomainAssignUSBAddresses: the XML's hubs with a port, the other ports the XML gives,
 * the remaining hubs, then the devices in libvirt's order. */
static int assign_usb(struct qb_ctx *c)
{
    int r;
    add_usb_hubs(c);
    for (size_t i = 0; i < c->dev_count[QB_DEV_HUB]; i++) {
        struct qb_dev *x = qb_dev(c, QB_DEV_HUB, i);
        if (x->addr->type != DOM_ADDR_USB || !x->addr->usb_port || !*x->addr->usb_port)
            continue;
        if ((r = qb_usb_reserve(c, x->addr, x->src, &x->usb)) < 0
            || (r = qb_usb_add_hub(c, &x->usb, x->src)) < 0)
            return r;
    }
    for (enum qb_usb_rank rank = QB_USB_INPUT; rank < QB_USB_RANK_MAX; rank++)
        for (size_t i = 0; i < c->n_devs; i++) {
            struct qb_dev *x = &c->devs[i];
            if (x->usb_rank == rank && x->addr->type == DOM_ADDR_USB
                && (r = qb_usb_reserve(c, x->addr, x->src, &x->usb)) < 0)
                return r;
        }
    for (size_t i = 0; i < c->dev_count[QB_DEV_HUB]; i++) {
        struct qb_dev *x = qb_dev(c, QB_DEV_HUB, i);
        if (x->usb.set)
            continue;
        if (x->addr->type == DOM_ADDR_USB)
            r = qb_usb_auto_on(c, x->addr->bus, x->src, &x->usb);
        else
            r = qb_usb_auto(c, x->src, &x->usb);
        if (r < 0 || (r = qb_usb_add_hub(c, &x->usb, x->src)) < 0)
            return r;
    }
    for (enum qb_usb_rank rank = QB_USB_INPUT; rank < QB_USB_RANK_MAX; rank++)
        for (size_t i = 0; i < c->n_devs; i++) {
            struct qb_dev *x = &c->devs[i];
            if (x->usb_rank == rank && !x->hot && (r = qb_usb_auto(c, x->src, &x->usb)) < 0)
                return r;
        }
    for (size_t i = 0; i < c->n_devs; i++) {
        struct qb_dev *x = &c->devs[i];
        if (x->hot && x->usb_rank != QB_USB_NONE && !x->usb.set &&
            (r = qb_usb_auto(c, x->src, &x->usb)) < 0)
            return r;
    }
    return 0;
}

int qb_assign_addresses(struct qb_ctx *c)
{
    int r;
    if ((r = check_addr_types(c)) < 0 || (r = assign_pci(c)) < 0)
        return r;
    return assign_usb(c);
}
