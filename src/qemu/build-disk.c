/* Controllers (PCI bridges, USB, SCSI, SATA, virtio-serial) and disks (-blockdev nodes
 * plus the guest device). */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ controllers */

/* QEMU's device and root ports per USB controller model (none: no controller). */
static const struct {
    const char *driver;
    unsigned ports;
} usb_models[DOM_USB_MODEL_MAX] = {
    [DOM_USB_PIIX3_UHCI] = {"piix3-usb-uhci", 2},
    [DOM_USB_PIIX4_UHCI] = {"piix4-usb-uhci", 2},
    [DOM_USB_EHCI] = {"usb-ehci", 6},
    [DOM_USB_ICH9_EHCI1] = {"ich9-usb-ehci1", 6},
    [DOM_USB_ICH9_UHCI1] = {"ich9-usb-uhci1", 2},
    [DOM_USB_ICH9_UHCI2] = {"ich9-usb-uhci2", 2},
    [DOM_USB_ICH9_UHCI3] = {"ich9-usb-uhci3", 2},
    [DOM_USB_VT82C686B_UHCI] = {"vt82c686b-usb-uhci", 2},
    [DOM_USB_PCI_OHCI] = {"pci-ohci", 3},
    [DOM_USB_NEC_XHCI] = {"nec-usb-xhci", 4},
    [DOM_USB_QEMU_XHCI] = {"qemu-xhci", 4},
};

static bool usb_is_xhci(enum dom_usb_model m)
{
    return m == DOM_USB_NEC_XHCI || m == DOM_USB_QEMU_XHCI;
}

/* QEMU's device per SCSI controller model (auto is resolved to lsilogic before). */
static const char *const scsi_drivers[DOM_SCSI_MODEL_MAX] = {
    [DOM_SCSI_LSILOGIC] = "lsi",
    [DOM_SCSI_VIRTIO_SCSI] = "virtio-scsi-pci",
    [DOM_SCSI_VIRTIO_TRANSITIONAL] = "virtio-scsi-pci-transitional",
    [DOM_SCSI_VIRTIO_NON_TRANSITIONAL] = "virtio-scsi-pci-non-transitional",
    [DOM_SCSI_LSISAS1068] = "mptsas1068",
    [DOM_SCSI_LSISAS1078] = "megasas",
    [DOM_SCSI_VMPVSCSI] = "pvscsi",
    [DOM_SCSI_AM53C974] = "am53c974",
    [DOM_SCSI_DC390] = "dc390",
};

/* libvirt's PCI controller models (but the roots, which are the machine's): their default
 * QEMU driver (<model name>), another driver <model name> may choose, and the <target>
 * attributes QEMU has for them. */
enum { PCI_T_CHASSIS_NR = 1, PCI_T_CHASSIS_PORT = 2 };

static const struct {
    enum dom_pci_model_name driver, alt_driver;
    unsigned target;
} pci_models[DOM_PCI_MODEL_MAX] = {
    [DOM_PCI_BRIDGE] = {DOM_PCI_NAME_PCI_BRIDGE, 0, PCI_T_CHASSIS_NR},
    [DOM_PCIE_ROOT_PORT] = {DOM_PCI_NAME_PCIE_ROOT_PORT, DOM_PCI_NAME_IOH3420,
                            PCI_T_CHASSIS_PORT},
    [DOM_PCI_DMI_TO_PCI_BRIDGE] = {DOM_PCI_NAME_I82801B11_BRIDGE, 0, 0},
    [DOM_PCIE_TO_PCI_BRIDGE] = {DOM_PCI_NAME_PCIE_PCI_BRIDGE, 0, 0},
    [DOM_PCIE_SWITCH_UPSTREAM_PORT] = {DOM_PCI_NAME_X3130_UPSTREAM, 0, 0},
    [DOM_PCIE_SWITCH_DOWNSTREAM_PORT] = {DOM_PCI_NAME_XIO3130_DOWNSTREAM, 0,
                                         PCI_T_CHASSIS_PORT},
};

/* The QEMU driver of a PCI controller: <model name> when given (checked against the
 * model by check_controller), else the model's default. */
static const char *pci_ctrl_driver(const struct dom_controller *k)
{
    return dom_pci_model_name_to_string(k->model_name ? k->model_name
                                                      : pci_models[k->model.pci].driver);
}

unsigned qb_disk_name_index(const char *dev)
{
    static const char *const prefixes[] = {"xvd", "ubd", "vd", "hd", "sd", "fd"};
    const char *p = dev ? dev : "";
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
        if (!strncmp(p, prefixes[i], strlen(prefixes[i]))) {
            p += strlen(prefixes[i]);
            break;
        }
    unsigned idx = 0;
    for (int i = 0; *p >= 'a' && *p <= 'z' && i < 4; i++, p++)
        idx = (idx + (i < 1 ? 0 : 1)) * 26 + (unsigned)(*p - 'a');
    return idx;
}

int qb_disk_bus(const struct dom_disk *dk)
{
    if (dk->bus != DOM_BUS_DEFAULT)
        return dk->bus;
    const char *dev = dk->dev ? dk->dev : "";
    if (!strncmp(dev, "vd", 2))
        return DOM_BUS_VIRTIO;
    if (!strncmp(dev, "hd", 2))
        return DOM_BUS_IDE;
    if (!strncmp(dev, "sd", 2))
        return DOM_BUS_SCSI;
    if (!strncmp(dev, "fd", 2))
        return DOM_BUS_FDC;
    return DOM_BUS_IDE;
}

/* libvirt keeps <disk>s in the order virDomainDiskInsert gives them: a disk goes after the
 * last disk on the same bus, or before the first disk on that bus whose target name sorts
 * after its own; a bus not seen yet goes at the end. So disks are grouped by bus (groups in
 * order of first appearance) and sorted by target name within a group. Boot indexes from
 * <os><boot dev>, PCI addresses and node numbers follow this order. Fills order[n]. */
void qb_disk_order(const struct dom_disk *disks, size_t n, size_t *order)
{
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        int bus = qb_disk_bus(&disks[k]);
        unsigned idx = qb_disk_name_index(disks[k].dev);
        long at = -1;
        for (long i = (long)len - 1; i >= 0; i--) {
            const struct dom_disk *o = &disks[order[i]];
            if (qb_disk_bus(o) != bus)
                continue;
            if (qb_disk_name_index(o->dev) > idx)
                at = i;
            else if (at == -1)
                at = i + 1;
        }
        if (at < 0)
            at = (long)len;
        memmove(&order[at + 1], &order[at], (len - (size_t)at) * sizeof(*order));
        order[at] = k;
        len++;
    }
}

struct drive_addr {
    unsigned controller, bus, target, unit;
};

static void disk_drive_addr(const struct dom_disk *dk, struct drive_addr *a)
{
    if (dk->addr.type == DOM_ADDR_DRIVE) {
        *a = (struct drive_addr){dk->addr.controller, dk->addr.bus, dk->addr.target,
                                 dk->addr.unit};
        return;
    }
    unsigned idx = qb_disk_name_index(dk->dev);
    switch (qb_disk_bus(dk)) {
    case DOM_BUS_IDE:
        *a = (struct drive_addr){idx / 4, (idx % 4) / 2, 0, idx % 2};
        break;
    case DOM_BUS_SATA:
        *a = (struct drive_addr){idx / 6, 0, 0, idx % 6};
        break;
    case DOM_BUS_SCSI:
        *a = (struct drive_addr){idx / 7, 0, 0, idx % 7};
        break;
    case DOM_BUS_FDC:
        *a = (struct drive_addr){idx / 2, 0, 0, idx % 2};
        break;
    default:
        *a = (struct drive_addr){0, 0, 0, idx};
        break;
    }
}

static struct qb_ctrl *ctrl_push(struct qb_ctx *c)
{
    if (c->n_ctrls == c->ctrls_cap) {
        c->ctrls_cap = c->ctrls_cap ? c->ctrls_cap * 2 : 8;
        c->ctrls = xrealloc(c->ctrls, c->ctrls_cap * sizeof(*c->ctrls));
    }
    struct qb_ctrl *ct = &c->ctrls[c->n_ctrls++];
    memset(ct, 0, sizeof(*ct));
    ct->c.ports = ct->c.vectors = ct->c.max_ports = -1;
    ct->c.chassis = ct->c.target_port = ct->c.chassis_nr = ct->c.busnr = -1;
    return ct;
}

static bool has_ctrl(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index)
{
    for (size_t i = 0; i < c->n_ctrls; i++)
        if (c->ctrls[i].c.type == t && c->ctrls[i].c.index == index)
            return true;
    return false;
}

static void ctrl_set_id(struct qb_ctx *c, struct qb_ctrl *ct)
{
    unsigned i = ct->c.index;
    switch (ct->c.type) {
    case DOM_CTRL_USB:
        if (i == 0)
            snprintf(ct->id, sizeof(ct->id), "usb");
        else
            snprintf(ct->id, sizeof(ct->id), "usb%u", i);
        break;
    case DOM_CTRL_SCSI:
        snprintf(ct->id, sizeof(ct->id), "scsi%u", i);
        break;
    case DOM_CTRL_SATA:
        if (c->q35 && i == 0)
            snprintf(ct->id, sizeof(ct->id), "ide");
        else
            snprintf(ct->id, sizeof(ct->id), "sata%u", i);
        break;
    case DOM_CTRL_VIRTIO_SERIAL:
        snprintf(ct->id, sizeof(ct->id), "virtio-serial%u", i);
        break;
    case DOM_CTRL_PCI:
        snprintf(ct->id, sizeof(ct->id), "pci.%u", i);
        break;
    case DOM_CTRL_IDE:
        snprintf(ct->id, sizeof(ct->id), "ide");
        break;
    default:
        snprintf(ct->id, sizeof(ct->id), "ctrl%u", i);
        break;
    }
}

/* The parser checked each model against its type's list; what is left is what QEMU or the
 * machine cannot do. Fills in the model of a controller that has none, as libvirt. */
static int check_controller(struct qb_ctx *c, struct qb_ctrl *ct)
{
    struct dom_controller *k = &ct->c;
    switch (k->type) {
    case DOM_CTRL_USB: {
        /* libvirt: only the USB controller it adds itself is qemu-xhci on q35; one the
         * XML gives without a model is piix3-uhci "for historical reasons". */
        if (!k->model.usb)
            k->model.usb = c->q35 && ct->implicit ? DOM_USB_QEMU_XHCI : DOM_USB_PIIX3_UHCI;
        enum dom_usb_model m = k->model.usb;
        ct->usb_ports = usb_models[m].ports;
        if (k->ports > 0 && usb_is_xhci(m))
            ct->usb_ports = (unsigned)k->ports;
        else if (k->ports > 0)
            return qb_fail(c, &k->src, "ports= is only supported on xhci USB controllers");
        if (k->has_master && (m < DOM_USB_ICH9_UHCI1 || m > DOM_USB_ICH9_UHCI3))
            return qb_fail(c, &k->src, "<master> is only valid on ich9-uhci companions");
        if (k->index >= 16)
            return qb_fail(c, &k->src, "USB controller index %u is too large", k->index);
        break;
    }
    case DOM_CTRL_IDE:
        if (c->q35)
            return qb_fail(c, &k->src, "q35 has no IDE controller; use bus='sata'");
        if (k->index != 0)
            return qb_fail(c, &k->src, "only the built-in IDE controller (index 0) exists "
                           "on pc machines");
        break;
    case DOM_CTRL_SCSI:
        if (!k->model.scsi || k->model.scsi == DOM_SCSI_AUTO)
            k->model.scsi = DOM_SCSI_LSILOGIC;  /* libvirt's default on x86 */
        break;
    case DOM_CTRL_PCI:
        if (k->index == 0) {
            enum dom_pci_model want = c->q35 ? DOM_PCIE_ROOT : DOM_PCI_ROOT;
            if (k->model.pci && k->model.pci != want)
                return qb_fail(c, &k->src, "PCI controller index 0 must be model '%s' on "
                               "this machine", dom_pci_model_to_string(want));
        } else {
            enum dom_pci_model m = k->model.pci;
            if (!m)
                return qb_fail(c, &k->src, "PCI controller index %u needs a model",
                               k->index);
            if (!pci_models[m].driver)      /* a root anywhere but index 0 */
                return qb_fail(c, &k->src, "PCI controller model '%s' is not supported",
                               dom_pci_model_to_string(m));
            enum dom_pci_model_name drv = pci_models[m].driver, alt = pci_models[m].alt_driver;
            if (k->model_name && k->model_name != drv && (!alt || k->model_name != alt))
                return qb_fail(c, &k->src, "PCI controller <model name='%s'> does not fit "
                               "model '%s' (use '%s'%s%s)",
                               dom_pci_model_name_to_string(k->model_name),
                               dom_pci_model_to_string(m), dom_pci_model_name_to_string(drv),
                               alt ? " or '" : "", alt ? dom_pci_model_name_to_string(alt)
                                                       : "");
            unsigned target = pci_models[m].target;
            if (k->busnr >= 0)
                return qb_fail(c, &k->src, "<target busNr> is only valid on "
                               "pci-expander-bus controllers, which are not supported");
            if (k->chassis_nr >= 0 && !(target & PCI_T_CHASSIS_NR))
                return qb_fail(c, &k->src, "<target chassisNr> is only valid on pci-bridge "
                               "controllers");
            if ((k->chassis >= 0 || k->target_port >= 0) && !(target & PCI_T_CHASSIS_PORT))
                return qb_fail(c, &k->src, "<target chassis/port> are only valid on "
                               "pcie-root-port and pcie-switch-downstream-port controllers");
            if (k->chassis_nr > 255 || k->chassis > 255 || k->target_port > 255)
                return qb_fail(c, &k->src, "<target> chassis, chassisNr and port must be "
                               "0..255");
            if (k->index >= QB_MAX_PCI_BUS)
                return qb_fail(c, &k->src, "PCI controller index %u is too large", k->index);
            if (m != DOM_PCI_BRIDGE && !c->q35)     /* PCIe, or a PCIe-to-PCI bridge */
                return qb_fail(c, &k->src, "%s needs a q35 machine type",
                               dom_pci_model_to_string(m));
        }
        break;
    case DOM_CTRL_FDC:
        /* pc has one built-in isa-fdc; on q35 the builder adds it for floppy disks */
        if (k->index != 0)
            return qb_fail(c, &k->src, "only one floppy controller (index 0) is supported");
        break;
    case DOM_CTRL_CCID:
        return qb_fail(c, &k->src, "CCID (smartcard) controllers are not supported");
    default:
        break;      /* sata, virtio-serial */
    }
    if (k->queues && !(k->type == DOM_CTRL_SCSI && dom_scsi_model_is_virtio(k->model.scsi)))
        return qb_fail(c, &k->src, "<driver queues> is only supported on virtio-scsi "
                       "controllers");
    for (size_t i = 0; i < c->n_ctrls; i++) {
        const struct qb_ctrl *o = &c->ctrls[i];
        if (o != ct && o->c.type == k->type && o->c.index == k->index && !o->c.has_master
            && !k->has_master && !o->implicit && !ct->implicit)
            return qb_fail(c, &k->src, "there is already a %s controller with index %u",
                           dom_ctrl_type_to_string(k->type), k->index);
    }
    return 0;
}

/* virDomainPCIControllerModelToConnectType: how a PCI controller plugs in upstream. */
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

/* A PCI controller libvirt would add implicitly (address assignment's first pass). */
void qb_ctrl_add_pci(struct qb_ctx *c, unsigned index, enum dom_pci_model model)
{
    struct qb_ctrl *ct = ctrl_push(c);
    ct->c.type = DOM_CTRL_PCI;
    ct->c.index = index;
    ct->c.model.pci = model;
    ct->implicit = true;
    ctrl_set_id(c, ct);
}

int qb_prepare_controllers(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    for (size_t i = 0; i < dv->n_controllers; i++) {
        struct qb_ctrl *ct = ctrl_push(c);
        ct->c = dv->controllers[i];
    }
    if (!has_ctrl(c, DOM_CTRL_USB, 0)) {
        struct qb_ctrl *ct = ctrl_push(c);
        ct->c.type = DOM_CTRL_USB;
        ct->implicit = true;
    }
    for (size_t i = 0; i < dv->n_chrs; i++) {
        const struct dom_chr *ch = &dv->chrs[i];
        if (!qb_chr_needs_virtio_serial(ch))
            continue;
        unsigned idx = ch->addr.type == DOM_ADDR_VIRTIO_SERIAL ? ch->addr.controller : 0;
        if (has_ctrl(c, DOM_CTRL_VIRTIO_SERIAL, idx))
            continue;
        if (idx != 0)
            return qb_fail(c, &ch->src, "virtio-serial controller %u does not exist", idx);
        struct qb_ctrl *ct = ctrl_push(c);
        ct->c.type = DOM_CTRL_VIRTIO_SERIAL;
        ct->implicit = true;
    }
    for (size_t i = 0; i < dv->n_disks; i++) {
        const struct dom_disk *dk = &dv->disks[i];
        int bus = qb_disk_bus(dk);
        struct drive_addr a;
        disk_drive_addr(dk, &a);
        enum dom_ctrl_type t;
        if (bus == DOM_BUS_SCSI)
            t = DOM_CTRL_SCSI;
        else if (bus == DOM_BUS_SATA)
            t = DOM_CTRL_SATA;
        else if (bus == DOM_BUS_IDE)
            t = DOM_CTRL_IDE;
        else
            continue;
        if (has_ctrl(c, t, a.controller))
            continue;
        if (t == DOM_CTRL_IDE && (c->q35 || a.controller != 0))
            return qb_fail(c, &dk->src, c->q35 ? "q35 has no IDE bus; use bus='sata'"
                           : "IDE disks can only use the built-in controller 0 (hda-hdd)");
        struct qb_ctrl *ct = ctrl_push(c);
        ct->c.type = t;
        ct->c.index = a.controller;
        ct->implicit = true;
    }
    for (size_t i = 0; i < c->n_ctrls; i++) {
        if ((r = check_controller(c, &c->ctrls[i])) < 0)
            return r;
        ctrl_set_id(c, &c->ctrls[i]);
    }
    return 0;
}

static int build_controller(struct qb_ctx *c, const struct qb_ctrl *ct)
{
    const struct dom_controller *k = &ct->c;
    struct qj j;
    char buf[48];
    switch (k->type) {
    case DOM_CTRL_PCI:
        if (k->index == 0)
            return 0;
        qj_begin(&j);
        qj_str(&j, "driver", pci_ctrl_driver(k));
        /* Defaults as libvirt's qemuDomainAssignPCIAddresses: chassisNr and chassis are
         * the index, port is (slot << 3) + function of the controller's own address. */
        unsigned tgt = pci_models[k->model.pci].target;
        if (tgt & PCI_T_CHASSIS_NR) {
            qj_int(&j, "chassis_nr", k->chassis_nr >= 0 ? k->chassis_nr : (int)k->index);
        } else if (tgt & PCI_T_CHASSIS_PORT) {
            /* root ports: (slot << 3) + function; downstream ports: their slot */
            bool down = k->model.pci == DOM_PCIE_SWITCH_DOWNSTREAM_PORT;
            qj_int(&j, "port", k->target_port >= 0 ? k->target_port
                               : down ? (int)ct->pci.slot
                               : (int)((ct->pci.slot << 3) + ct->pci.fn));
            qj_int(&j, "chassis", k->chassis >= 0 ? k->chassis : (int)k->index);
        }
        qj_str(&j, "id", ct->id);
        qj_pci(c, &j, &ct->pci);
        qb_opt(c, "-device", qj_end(&j));
        return 0;
    case DOM_CTRL_USB: {
        const char *driver = usb_models[k->model.usb].driver;
        if (!driver)
            return 0;       /* model='none' */
        qj_begin(&j);
        qj_str(&j, "driver", driver);
        if (k->has_master) {
            const struct qb_ctrl *master = qb_ctrl_find(c, DOM_CTRL_USB, k->index);
            snprintf(buf, sizeof(buf), "%s.0", master ? master->id : "usb");
            qj_str(&j, "masterbus", buf);
            qj_uint(&j, "firstport", k->master_startport);
        } else {
            if (k->ports > 0) {
                qj_int(&j, "p2", k->ports);
                qj_int(&j, "p3", k->ports);
            }
            qj_str(&j, "id", ct->id);
        }
        qj_pci(c, &j, &ct->pci);
        qb_opt(c, "-device", qj_end(&j));
        return 0;
    }
    case DOM_CTRL_SCSI:
        qj_begin(&j);
        qj_str(&j, "driver", scsi_drivers[k->model.scsi]);
        if (k->iothread) {  /* validate: virtio-scsi models only */
            snprintf(buf, sizeof(buf), "iothread%u", k->iothread);
            qj_str(&j, "iothread", buf);
        }
        if (k->queues)      /* check_controller: virtio-scsi models only */
            qj_uint(&j, "num_queues", k->queues);
        qj_str(&j, "id", ct->id);
        qj_pci(c, &j, &ct->pci);
        qb_opt(c, "-device", qj_end(&j));
        return 0;
    case DOM_CTRL_SATA:
        if (c->q35 && k->index == 0)
            return 0;
        qj_begin(&j);
        qj_str(&j, "driver", "ahci");
        qj_str(&j, "id", ct->id);
        qj_pci(c, &j, &ct->pci);
        qb_opt(c, "-device", qj_end(&j));
        return 0;
    case DOM_CTRL_VIRTIO_SERIAL:
        qj_begin(&j);
        qj_str(&j, "driver", qb_virtio_driver(buf, sizeof(buf), "virtio-serial-pci",
                                              k->model.vserial));
        qj_str(&j, "id", ct->id);
        if (k->ports > 0)
            qj_int(&j, "max_ports", k->ports);
        if (k->vectors >= 0)
            qj_int(&j, "vectors", k->vectors);
        qj_pci(c, &j, &ct->pci);
        qb_opt(c, "-device", qj_end(&j));
        return 0;
    default:
        return 0;
    }
}

int qb_build_controllers(struct qb_ctx *c)
{
    static const enum dom_ctrl_type order[] = {DOM_CTRL_PCI, DOM_CTRL_USB, DOM_CTRL_SCSI,
                                               DOM_CTRL_IDE, DOM_CTRL_SATA,
                                               DOM_CTRL_VIRTIO_SERIAL};
    int r;
    /* PCI controllers by index (libvirt keeps them sorted; implicit ones come last in
     * c->ctrls), each after the controller it plugs into: QEMU needs the bus to exist. */
    uint32_t done = 1;          /* bus 0 */
    for (bool progress = true; progress;) {
        progress = false;
        for (unsigned idx = 1; idx < QB_MAX_PCI_BUS; idx++) {
            const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_PCI, idx);
            if (!ct || (done & (1u << idx)) || !(done & (1u << ct->pci.bus)))
                continue;
            if ((r = build_controller(c, ct)) < 0)
                return r;
            done |= 1u << idx;
            progress = true;
            break;      /* restart: keep index order among those now placeable */
        }
    }
    for (unsigned idx = 1; idx < QB_MAX_PCI_BUS; idx++)
        if (qb_ctrl_find(c, DOM_CTRL_PCI, idx) && !(done & (1u << idx))) {
            const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_PCI, idx);
            return qb_fail(c, &ct->c.src, "PCI controller %u sits on bus %u, which is "
                           "behind it (a loop of PCI controllers)", idx, ct->pci.bus);
        }
    for (size_t o = 1; o < ARRAY_SIZE(order); o++)
        for (size_t i = 0; i < c->n_ctrls; i++)
            if (c->ctrls[i].c.type == order[o] && (r = build_controller(c, &c->ctrls[i])) < 0)
                return r;
    return 0;
}

/* ------------------------------------------------------------------ disks */

/* What a cache mode sets in QEMU (libvirt's qemuDomainDiskGetCacheModes); set: not
 * QEMU's default, which "default" (no cache attribute) leaves alone. */
struct cache_mode {
    bool set, direct, no_flush, write_cache;
};

static const struct cache_mode cache_modes[DOM_CACHE_MAX] = {
    [DOM_CACHE_WRITEBACK] = {true, false, false, true},
    [DOM_CACHE_NONE] = {true, true, false, true},
    [DOM_CACHE_WRITETHROUGH] = {true, false, false, false},
    [DOM_CACHE_DIRECTSYNC] = {true, true, false, false},
    [DOM_CACHE_UNSAFE] = {true, false, true, true},
};

/* The parser checked the <driver> values against libvirt's lists; what is left is what
 * QEMU cannot do, or cannot do on this bus. */
static int check_disk(struct qb_ctx *c, const struct dom_disk *dk, int bus)
{
    const struct dom_src *s = &dk->src;
    bool floppy = dk->device == DOM_DISKDEV_FLOPPY;
    if (floppy && bus != DOM_BUS_FDC)
        return qb_fail(c, s, "a floppy disk needs bus='fdc' (bus '%s' given)",
                       dom_disk_bus_to_string(bus));
    if (!floppy && bus == DOM_BUS_FDC)
        return qb_fail(c, s, "bus 'fdc' only takes device='floppy' disks");
    if (floppy && (dk->serial || dk->wwn || dk->error_policy || dk->rerror_policy))
        return qb_fail(c, s, "QEMU's floppy device has no serial, wwn, error_policy or "
                       "rerror_policy");
    if (floppy && dk->type == DOM_DISK_NETWORK)
        return qb_fail(c, s, "network floppy disks are not supported");
    /* QEMU's luks driver needs a key secret, which qlaunch does not pass */
    if (dk->format == DOM_FMT_LUKS)
        return qb_fail(c, s, "disk format 'luks' is not supported");
    if (dk->io == DOM_IO_NATIVE && dk->cache != DOM_CACHE_NONE
        && dk->cache != DOM_CACHE_DIRECTSYNC)
        return qb_fail(c, s, "io='native' needs cache='none' or 'directsync' (QEMU refuses "
                       "aio=native without O_DIRECT)");
    if (dk->transient)
        return qb_fail(c, s, "<transient/> disks are not supported");
    if (dk->total_iops_sec || dk->total_bytes_sec)
        return qb_fail(c, s, "<iotune> limits are not supported yet");
    if (dk->tray == DOM_TRAY_OPEN)
        return qb_fail(c, s, "tray='open' is not supported at start");
    if ((dk->vendor || dk->product) && bus != DOM_BUS_SCSI)
        return qb_fail(c, s, "vendor/product are only valid on SCSI disks");
    if (dk->wwn && bus != DOM_BUS_SCSI && bus != DOM_BUS_IDE && bus != DOM_BUS_SATA)
        return qb_fail(c, s, "wwn is only valid on SCSI, IDE and SATA disks");
    if (dk->removable != DOM_TRI_DEFAULT
        && !(bus == DOM_BUS_USB || (bus == DOM_BUS_SCSI && dk->device == DOM_DISKDEV_DISK)))
        return qb_fail(c, s, "target removable= is only supported on USB and SCSI hard "
                       "disks");
    if (dk->queues && bus != DOM_BUS_VIRTIO)
        return qb_fail(c, s, "driver queues are only valid on virtio disks");
    /* libvirt: "disk ioeventfd/event_idx mode supported only for virtio bus" */
    if ((dk->event_idx || dk->ioeventfd) && bus != DOM_BUS_VIRTIO)
        return qb_fail(c, s, "<driver %s> is only valid on virtio disks",
                       dk->ioeventfd ? "ioeventfd" : "event_idx");
    if (dk->device == DOM_DISKDEV_LUN && (bus != DOM_BUS_SCSI || dk->type != DOM_DISK_BLOCK))
        return qb_fail(c, s, "device='lun' needs a block source on a SCSI bus");
    if (dk->device == DOM_DISKDEV_CDROM && bus == DOM_BUS_VIRTIO)
        return qb_fail(c, s, "a cdrom cannot be on the virtio bus; use sata, ide or scsi");
    bool media = dk->source || dk->type == DOM_DISK_NETWORK;
    if (!media && dk->device != DOM_DISKDEV_CDROM && !floppy)
        return qb_fail(c, s, "the disk has no <source>");
    if (!media && bus == DOM_BUS_USB)
        return qb_fail(c, s, "a USB cdrom needs media (<source>)");
    if (dk->addr.type != DOM_ADDR_NONE && dk->addr.type != DOM_ADDR_DRIVE
        && !(bus == DOM_BUS_VIRTIO && dk->addr.type == DOM_ADDR_PCI)
        && !(bus == DOM_BUS_USB && dk->addr.type == DOM_ADDR_USB))
        return qb_fail(c, s, "address type '%s' does not fit a disk on this bus",
                       dom_addr_type_to_string(dk->addr.type));
    if (dk->addr.type == DOM_ADDR_DRIVE && (bus == DOM_BUS_VIRTIO || bus == DOM_BUS_USB))
        return qb_fail(c, s, "a drive address does not fit a %s disk",
                       dom_disk_bus_to_string(bus));
    if (!dk->dev || !*dk->dev)
        return qb_fail(c, s, "the disk has no target dev");
    return 0;
}

static void add_cache(struct qj *j, const struct cache_mode *cm)
{
    if (!cm)
        return;
    char buf[64];
    snprintf(buf, sizeof(buf), "{\"direct\":%s,\"no-flush\":%s}", cm->direct ? "true" : "false",
             cm->no_flush ? "true" : "false");
    qj_raw(j, "cache", buf);
}

static int storage_node(struct qb_ctx *c, const struct dom_disk *dk, struct qj *j)
{
    bool cd = dk->device == DOM_DISKDEV_CDROM;
    switch (dk->type) {
    case DOM_DISK_FILE:
        qj_str(j, "driver", "file");
        qj_str(j, "filename", dk->source);
        return 0;
    case DOM_DISK_BLOCK:
        qj_str(j, "driver", cd ? "host_cdrom" : "host_device");
        qj_str(j, "filename", dk->source);
        return 0;
    case DOM_DISK_NETWORK: {
        const char *proto = dom_disk_protocol_to_string(dk->protocol);
        bool nbd = dk->protocol == DOM_PROTO_NBD;
        if (dk->n_hosts > 1)
            return qb_fail(c, &dk->src, "network disks with more than one host are not "
                           "supported");
        const struct dom_net_host *h = dk->n_hosts ? &dk->hosts[0] : NULL;
        enum dom_transport tr = h ? h->transport : DOM_TRANSPORT_DEFAULT;
        if (tr && tr != DOM_TRANSPORT_TCP && !(tr == DOM_TRANSPORT_UNIX && nbd))
            return qb_fail(c, &dk->src, "%s transport '%s' is not supported; use tcp%s",
                           proto, dom_transport_to_string(tr), nbd ? " or unix" : "");
        switch (dk->protocol) {
        case DOM_PROTO_NBD: {
            struct strbuf srv = STRBUF_INIT;
            qj_str(j, "driver", "nbd");
            if (tr == DOM_TRANSPORT_UNIX) {
                if (!h->socket) {
                    sb_free(&srv);
                    return qb_fail(c, &dk->src, "an NBD unix transport needs socket=");
                }
                sb_add(&srv, "{\"type\":\"unix\",\"path\":");
                sb_add_json_string(&srv, h->socket);
            } else {
                if (!h || !h->name) {
                    sb_free(&srv);
                    return qb_fail(c, &dk->src, "an NBD disk needs <host name=...>");
                }
                sb_add(&srv, "{\"type\":\"inet\",\"host\":");
                sb_add_json_string(&srv, h->name);
                sb_addf(&srv, ",\"port\":\"%u\"", h->port ? h->port : 10809);
            }
            sb_addc(&srv, '}');
            qj_raw(j, "server", sb_str(&srv));
            sb_free(&srv);
            if (dk->source && *dk->source)
                qj_str(j, "export", dk->source);
            return 0;
        }
        case DOM_PROTO_HTTP:
        case DOM_PROTO_HTTPS:
        case DOM_PROTO_FTP:
        case DOM_PROTO_FTPS: {
            if (!h || !h->name)
                return qb_fail(c, &dk->src, "a %s disk needs <host name=...>", proto);
            struct strbuf url = STRBUF_INIT;
            sb_addf(&url, "%s://%s", proto, h->name);
            if (h->port)
                sb_addf(&url, ":%u", h->port);
            if (dk->source && dk->source[0] != '/')
                sb_addc(&url, '/');
            sb_add(&url, dk->source ? dk->source : "");
            qj_str(j, "driver", proto);
            qj_str(j, "url", sb_str(&url));
            sb_free(&url);
            return 0;
        }
        default:
            return qb_fail(c, &dk->src, "network disk protocol '%s' is not supported; use "
                           "nbd, http or https", proto);
        }
    }
    default:
        return qb_fail(c, &dk->src, "disk type is not supported");
    }
}

static int build_disk(struct qb_ctx *c, size_t i)
{
    const struct dom_disk *dk = &c->d->dev.disks[i];
    int bus = qb_disk_bus(dk);
    int r;
    if ((r = check_disk(c, dk, bus)) < 0)
        return r;
    struct drive_addr a;
    disk_drive_addr(dk, &a);
    unsigned n = (unsigned)(c->d->dev.n_disks - i);
    bool cd = dk->device == DOM_DISKDEV_CDROM;
    bool ro = dk->readonly || cd;
    enum dom_disk_format fmt = dk->format ? dk->format : DOM_FMT_RAW;
    bool fmt_layer = fmt != DOM_FMT_RAW;
    const struct cache_mode *cm = cache_modes[dk->cache].set ? &cache_modes[dk->cache] : NULL;
    /* As libvirt (qemuDomainPrepareDiskCachemode): a writable shareable disk without a
     * cache mode gets cache='none', so no host page cache sits between the sharers. */
    if (!cm && dk->shareable && !ro)
        cm = &cache_modes[DOM_CACHE_NONE];
    /* As libvirt: detect_zeroes='unmap' needs discard='unmap'; otherwise it is 'on'. */
    enum dom_detect_zeroes dz = dk->detect_zeroes;
    if (dz == DOM_DZ_UNMAP && dk->discard != DOM_DISCARD_UNMAP) {
        dz = DOM_DZ_ON;
        qb_note(c, "%s: detect_zeroes='unmap' without discard='unmap' is 'on', as libvirt "
                "does", dk->dev);
    }
    char storage[48], format[48], id[48], buf[48];
    snprintf(storage, sizeof(storage), "libvirt-%u-storage", n);
    snprintf(format, sizeof(format), "libvirt-%u-format", n);
    const char *top = fmt_layer ? format : storage;
    struct qj j;

    bool media = dk->source || dk->type == DOM_DISK_NETWORK;
    if (media) {
        qj_begin(&j);
        if ((r = storage_node(c, dk, &j)) < 0) {
            free(qj_end(&j));
            return r;
        }
        qj_str(&j, "node-name", storage);
        if (fmt_layer) {
            qj_bool(&j, "auto-read-only", true);
            qj_str(&j, "discard", "unmap");
        } else {
            qj_bool(&j, "read-only", ro);
            if (dk->discard)
                qj_str(&j, "discard", dom_disk_discard_to_string(dk->discard));
            if (dz)
                qj_str(&j, "detect-zeroes", dom_detect_zeroes_to_string(dz));
        }
        if (dk->io && dk->type != DOM_DISK_NETWORK)
            qj_str(&j, "aio", dom_disk_io_to_string(dk->io));
        add_cache(&j, cm);
        qb_opt(c, "-blockdev", qj_end(&j));
        if (fmt_layer) {
            qj_begin(&j);
            qj_str(&j, "node-name", format);
            qj_bool(&j, "read-only", ro);
            if (dk->discard)
                qj_str(&j, "discard", dom_disk_discard_to_string(dk->discard));
            if (dz)
                qj_str(&j, "detect-zeroes", dom_detect_zeroes_to_string(dz));
            add_cache(&j, cm);
            qj_str(&j, "driver", dom_disk_format_to_string(fmt));   /* QEMU's names */
            qj_str(&j, "file", storage);
            qb_opt(c, "-blockdev", qj_end(&j));
        }
    }

    qj_begin(&j);
    switch (bus) {
    case DOM_BUS_VIRTIO:
        snprintf(id, sizeof(id), "virtio-disk%u", qb_disk_name_index(dk->dev));
        qj_str(&j, "driver", "virtio-blk-pci");
        if (dk->ioeventfd)
            qj_bool(&j, "ioeventfd", dk->ioeventfd == DOM_TRI_ON);
        if (dk->event_idx)
            qj_bool(&j, "event_idx", dk->event_idx == DOM_TRI_ON);
        if (dk->iothread) {     /* validate: virtio disks only */
            snprintf(buf, sizeof(buf), "iothread%u", dk->iothread);
            qj_str(&j, "iothread", buf);
        }
        qj_pci(c, &j, &c->disk_pci[i]);
        if (dk->queues)
            qj_uint(&j, "num-queues", dk->queues);
        break;
    case DOM_BUS_IDE:
        if (a.bus > 1 || a.unit > 1 || a.target != 0) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "IDE address bus %u unit %u does not exist (bus 0-1, "
                           "unit 0-1)", a.bus, a.unit);
        }
        snprintf(id, sizeof(id), "ide%u-%u-%u", a.controller, a.bus, a.unit);
        qj_str(&j, "driver", cd ? "ide-cd" : "ide-hd");
        snprintf(buf, sizeof(buf), "ide.%u", a.bus);
        qj_str(&j, "bus", buf);
        qj_uint(&j, "unit", a.unit);
        break;
    case DOM_BUS_SATA: {
        const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_SATA, a.controller);
        if (a.bus != 0 || a.target != 0 || a.unit > 5) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "SATA address unit %u does not exist (bus 0, unit "
                           "0-5)", a.unit);
        }
        snprintf(id, sizeof(id), "sata%u-%u-%u", a.controller, a.bus, a.unit);
        qj_str(&j, "driver", cd ? "ide-cd" : "ide-hd");
        snprintf(buf, sizeof(buf), "%s.%u", ct ? ct->id : "ide", a.unit);
        qj_str(&j, "bus", buf);
        break;
    }
    case DOM_BUS_SCSI: {
        const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_SCSI, a.controller);
        bool lsi = ct && ct->c.model.scsi == DOM_SCSI_LSILOGIC;
        /* libvirt's alias: lsilogic has no targets, so its disks are scsiC-B-U */
        if (lsi)
            snprintf(id, sizeof(id), "scsi%u-%u-%u", a.controller, a.bus, a.unit);
        else
            snprintf(id, sizeof(id), "scsi%u-%u-%u-%u", a.controller, a.bus, a.target,
                     a.unit);
        if (lsi && (a.unit > 6 || a.bus != 0 || a.target != 0)) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "lsilogic supports bus 0, target 0, units 0-6 only");
        }
        qj_str(&j, "driver", dk->device == DOM_DISKDEV_LUN ? "scsi-block"
                             : cd ? "scsi-cd" : "scsi-hd");
        snprintf(buf, sizeof(buf), "%s.0", ct ? ct->id : "scsi0");
        qj_str(&j, "bus", buf);
        if (lsi) {
            qj_uint(&j, "scsi-id", a.unit);
        } else {
            qj_uint(&j, "channel", a.bus);
            qj_uint(&j, "scsi-id", a.target);
            qj_uint(&j, "lun", a.unit);
        }
        if (dk->device != DOM_DISKDEV_LUN) {
            /* the SCSI device identification page (VPD 0x83) names the drive as libvirt
             * does, so guests see the same disk ids */
            char devid[96];
            snprintf(devid, sizeof(devid), "drive-%s", id);
            qj_str(&j, "device_id", devid);
        }
        break;
    }
    case DOM_BUS_USB:
        snprintf(id, sizeof(id), "usb-disk%u", qb_disk_name_index(dk->dev));
        qj_str(&j, "driver", "usb-storage");
        qj_usb(c, &j, &c->disk_usb[i]);
        break;
    case DOM_BUS_FDC:
        if (a.controller != 0 || a.bus != 0 || a.target != 0 || a.unit > 1) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "floppy address controller %u bus %u target %u unit "
                           "%u does not exist (controller 0, bus 0, target 0, unit 0-1)",
                           a.controller, a.bus, a.target, a.unit);
        }
        /* libvirt's alias; the boot index is the controller's (bootindexA/B) */
        snprintf(id, sizeof(id), "fdc0-0-%u", a.unit);
        qj_str(&j, "driver", "floppy");
        qj_uint(&j, "unit", a.unit);
        break;
    default:
        free(qj_end(&j));
        return qb_fail(c, &dk->src, "disk bus '%s' is not supported",
                       dom_disk_bus_to_string(bus));
    }
    if (media)
        qj_str(&j, "drive", top);
    qj_str(&j, "id", id);
    if (c->disk_boot[i] && bus != DOM_BUS_FDC)
        qj_uint(&j, "bootindex", c->disk_boot[i]);
    /* libvirt sets write-cache from the cache mode even on an empty drive (QEMU applies
     * it to the empty block backend, and to media inserted later) */
    if (cm && dk->device != DOM_DISKDEV_LUN)
        qj_str(&j, "write-cache", cm->write_cache ? "on" : "off");
    if (dk->removable != DOM_TRI_DEFAULT)   /* check_disk: usb-storage or scsi-hd only */
        qj_bool(&j, "removable", dk->removable == DOM_TRI_ON);
    if (dk->shareable)
        qj_bool(&j, "share-rw", true);
    if (dk->serial)
        qj_str(&j, "serial", dk->serial);
    if (dk->wwn) {
        char *end;
        errno = 0;
        unsigned long long wwn = strtoull(dk->wwn, &end, 16);
        if (errno || *end || strlen(dk->wwn) != 16) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "wwn '%s' is not 16 hex digits", dk->wwn);
        }
        qj_uint(&j, "wwn", wwn);
    }
    if (dk->vendor)
        qj_str(&j, "vendor", dk->vendor);
    if (dk->product)
        qj_str(&j, "product", dk->product);
    /* QEMU's names are libvirt's but enospace, which is enospc and for writes only */
    enum dom_error_policy ep = dk->error_policy;
    if (ep)
        qj_str(&j, "werror", ep == DOM_ERRPOL_ENOSPACE ? "enospc"
                             : dom_error_policy_to_string(ep));
    if (dk->rerror_policy)
        qj_str(&j, "rerror", dom_error_policy_to_string(dk->rerror_policy));
    else if (ep && ep != DOM_ERRPOL_ENOSPACE)
        qj_str(&j, "rerror", dom_error_policy_to_string(ep));
    qb_opt(c, "-device", qj_end(&j));
    return 0;
}

/* Floppies sit on the ISA floppy controller: built into pc (its boot indexes are set
 * with -global), added with -device on q35 (which has none since QEMU 4.0), as libvirt
 * (qemuBuildFloppyCommandLineControllerOptions). Unit 0 is drive A, unit 1 drive B. */
static int build_fdc(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    bool any = false;
    unsigned boot[2] = {0, 0};
    for (size_t i = 0; i < dv->n_disks; i++) {
        const struct dom_disk *dk = &dv->disks[i];
        if (dk->device != DOM_DISKDEV_FLOPPY || qb_disk_bus(dk) != DOM_BUS_FDC)
            continue;
        struct drive_addr a;
        disk_drive_addr(dk, &a);
        if (a.unit > 1 || a.controller != 0)
            continue;       /* reported by build_disk */
        for (size_t k = 0; k < i; k++) {
            struct drive_addr b;
            if (dv->disks[k].device != DOM_DISKDEV_FLOPPY)
                continue;
            disk_drive_addr(&dv->disks[k], &b);
            if (b.unit == a.unit && b.controller == a.controller)
                return qb_fail(c, &dk->src, "floppy unit %u is already used by %s", a.unit,
                               dv->disks[k].dev ? dv->disks[k].dev : "another floppy");
        }
        any = true;
        boot[a.unit] = c->disk_boot[i];
    }
    if (!any)
        return 0;
    if (c->q35) {
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", "isa-fdc");
        if (boot[0])
            qj_uint(&j, "bootindexA", boot[0]);
        if (boot[1])
            qj_uint(&j, "bootindexB", boot[1]);
        qb_opt(c, "-device", qj_end(&j));
        return 0;
    }
    for (unsigned u = 0; u < 2; u++)
        if (boot[u])
            qb_opt(c, "-global", xasprintf("isa-fdc.bootindex%c=%u", 'A' + u, boot[u]));
    return 0;
}

int qb_build_disks(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    if ((r = build_fdc(c)) < 0)
        return r;
    for (size_t i = 0; i < dv->n_disks; i++) {
        for (size_t k = 0; k < i; k++) {
            if (dv->disks[k].dev && dv->disks[i].dev && STREQ(dv->disks[k].dev, dv->disks[i].dev))
                return qb_fail(c, &dv->disks[i].src, "target dev '%s' is used twice",
                               dv->disks[i].dev);
        }
        if ((r = build_disk(c, i)) < 0)
            return r;
    }
    return 0;
}
