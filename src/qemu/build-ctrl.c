/* Controllers: the XML's, and those libvirt adds (a USB controller always, the
 * virtio-serial, SCSI, SATA and IDE controllers devices need, PCI controllers for the
 * addresses); their checks, QEMU ids, PCI connect flags, and their -device options. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <stdlib.h>
#include <string.h>

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

const struct qb_ctrl *qb_ctrl_find(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index)
{
    for (size_t i = 0; i < c->n_ctrls; i++)
        if (c->ctrls[i].c.type == t && c->ctrls[i].c.index == index
            && !(t == DOM_CTRL_USB && c->ctrls[i].c.has_master))
            return &c->ctrls[i];
    return NULL;
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

bool qb_ctrl_exists(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index)
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

void qb_ctrls_from_xml(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_controllers; i++) {
        struct qb_ctrl *ct = ctrl_push(c);
        ct->c = dv->controllers[i];
        ct->from = QB_SRC(&dv->controllers[i].src);
    }
    /* libvirt adds USB controller 0 to every pc and q35 domain; name what uses it */
    struct qb_from why = QB_WHY("libvirt's default: every pc and q35 domain has a USB "
                                "controller");
    for (size_t i = dv->n_inputs; i-- > 0;)
        if (dv->inputs[i].bus == DOM_INPUT_BUS_USB)
            why = QB_FOR(&dv->inputs[i].src, "implicit USB controller for <input bus='usb'> "
                         "(libvirt adds one to every pc and q35 domain)");
    qb_ctrl_need(c, DOM_CTRL_USB, 0, why);
}

void qb_ctrl_need(struct qb_ctx *c, enum dom_ctrl_type t, unsigned index, struct qb_from why)
{
    if (qb_ctrl_exists(c, t, index))
        return;
    struct qb_ctrl *ct = ctrl_push(c);
    ct->c.type = t;
    ct->c.index = index;
    ct->implicit = true;
    ct->from = why;
}

int qb_ctrls_check(struct qb_ctx *c)
{
    int r;
    for (size_t i = 0; i < c->n_ctrls; i++) {
        if ((r = check_controller(c, &c->ctrls[i])) < 0)
            return r;
        ctrl_set_id(c, &c->ctrls[i]);
    }
    return 0;
}

unsigned qb_ctrl_pci_flags(const struct qb_ctx *c, const struct qb_ctrl *ct)
{
    const union dom_ctrl_model *m = &ct->c.model;
    switch (ct->c.type) {
    case DOM_CTRL_PCI:
        return ct->c.index == 0 ? 0 : qb_pci_ctrl_flags(m->pci);
    case DOM_CTRL_USB:
        if (m->usb == DOM_USB_NONE)
            return 0;
        return usb_is_xhci(m->usb) ? qb_fl_pcie(c) : QB_FL_PCI;
    case DOM_CTRL_SCSI:
        return m->scsi == DOM_SCSI_VIRTIO_SCSI || m->scsi == DOM_SCSI_VIRTIO_NON_TRANSITIONAL
               ? qb_fl_pcie(c) : QB_FL_PCI;
    case DOM_CTRL_VIRTIO_SERIAL:
        return qb_fl_virtio(c, m->vserial);
    case DOM_CTRL_SATA:
        return QB_FL_PCI;
    default:
        return 0;
    }
}

/* virDomainControllerInsertPreAlloced: grouped by type in order of first appearance, by
 * index within a type, a controller without <master> before the companions of the same
 * index. */
size_t *qb_ctrl_order(const struct qb_ctx *c)
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

/* A PCI controller libvirt would add implicitly (address assignment's first pass). */
void qb_ctrl_add_pci(struct qb_ctx *c, unsigned index, enum dom_pci_model model)
{
    struct qb_ctrl *ct = ctrl_push(c);
    ct->c.type = DOM_CTRL_PCI;
    ct->c.index = index;
    ct->c.model.pci = model;
    ct->implicit = true;
    ct->from = QB_WHY("implicit PCI controller: libvirt adds the buses the devices' addresses "
                      "need");
    ctrl_set_id(c, ct);
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
        qb_device(c, ct->from, &j);
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
                qb_prop(c, "p2", QB_ATTR(&k->src, "ports"));
                qb_prop(c, "p3", QB_ATTR(&k->src, "ports"));
            }
            qj_str(&j, "id", ct->id);
        }
        qj_pci(c, &j, &ct->pci);
        qb_device(c, ct->from, &j);
        return 0;
    }
    case DOM_CTRL_SCSI:
        qj_begin(&j);
        qj_str(&j, "driver", scsi_drivers[k->model.scsi]);
        if (k->iothread) {  /* validate: virtio-scsi models only */
            qj_str(&j, "iothread", qb_iothread_id(buf, sizeof(buf), k->iothread));
            qb_prop(c, "iothread", QB_ATTR(&k->src, "driver@iothread"));
        }
        if (k->queues) {    /* check_controller: virtio-scsi models only */
            qj_uint(&j, "num_queues", k->queues);
            qb_prop(c, "num_queues", QB_ATTR(&k->src, "driver@queues"));
        }
        qj_str(&j, "id", ct->id);
        qj_pci(c, &j, &ct->pci);
        qb_device(c, ct->from, &j);
        return 0;
    case DOM_CTRL_SATA:
        if (c->q35 && k->index == 0)
            return 0;
        qj_begin(&j);
        qj_str(&j, "driver", "ahci");
        qj_str(&j, "id", ct->id);
        qj_pci(c, &j, &ct->pci);
        qb_device(c, ct->from, &j);
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
        qb_device(c, ct->from, &j);
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
