/* Host devices (<hostdev mode='subsystem'>): a PCI function through VFIO (vfio-pci) and a
 * USB device through usb-host, as libvirt's qemuBuildHostdevCommandLine writes them. What
 * the host must do first (bind the function to vfio-pci, give /dev/vfio/N and
 * /dev/bus/usb/BBB/DDD to QEMU's user) is the supervisor's (host/vfio.h). */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* PCI functions are endpoints: PCIe ones on q35 (libvirt assumes so when it cannot look at
 * the host device); USB devices take a USB port. */
void qb_hostdev_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_hostdevs; i++) {
        const struct dom_hostdev *h = &dv->hostdevs[i];
        bool pci = h->type == DOM_HOSTDEV_PCI;
        struct qb_dev *x = qb_dev_add(c, QB_DEV_HOSTDEV, &h->addr, &h->src,
                                      pci ? DOM_ADDR_PCI : DOM_ADDR_USB);
        if (pci) {
            x->pci_flags = qb_fl_pcie(c);
            x->pci_rank = QB_RANK_HOSTDEV;
        } else {
            x->usb_rank = QB_USB_HOSTDEV;
        }
    }
}

static bool same_source(const struct dom_hostdev *a, const struct dom_hostdev *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == DOM_HOSTDEV_PCI)
        return a->pci_domain == b->pci_domain && a->pci_bus == b->pci_bus
               && a->pci_slot == b->pci_slot && a->pci_function == b->pci_function;
    if (a->has_usb_addr && b->has_usb_addr)
        return a->usb_bus == b->usb_bus && a->usb_device == b->usb_device;
    return !a->has_usb_addr && !b->has_usb_addr && a->usb_vendor == b->usb_vendor
           && a->usb_product == b->usb_product;
}

int qb_check_hostdevs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_hostdevs; i++) {
        const struct dom_hostdev *h = &dv->hostdevs[i];
        for (size_t k = 0; k < i; k++)
            if (same_source(h, &dv->hostdevs[k]))
                return qb_fail(c, &h->src, "the host device is already given to the guest by "
                               "%s (line %d)", dv->hostdevs[k].src.path,
                               dv->hostdevs[k].src.line);
        if (h->type == DOM_HOSTDEV_USB && h->has_vendor && h->has_usb_addr)
            qb_note(c, "hostdev %zu: QEMU opens USB device %03u/%03u by its address; the "
                    "<vendor>/<product> given with it are not checked", i, h->usb_bus,
                    h->usb_device);
        if (h->type == DOM_HOSTDEV_USB && !h->has_usb_addr)
            qb_note(c, "hostdev %zu: QEMU attaches USB device %04x:%04x when it is plugged "
                    "in (libvirt instead requires it at start)", i, h->usb_vendor,
                    h->usb_product);
    }
    return 0;
}

static void build_pci(struct qb_ctx *c, const struct dom_hostdev *h, const struct qb_dev *x,
                      const char *id)
{
    char host[32];
    snprintf(host, sizeof(host), "%04x:%02x:%02x.%x", h->pci_domain, h->pci_bus, h->pci_slot,
             h->pci_function);
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "driver", "vfio-pci");
    qj_str(&j, "host", host);
    qj_str(&j, "id", id);
    if (h->boot_order)
        qj_uint(&j, "bootindex", h->boot_order);
    qj_pci(c, &j, &x->pci);
    qj_rom(&j, h->rom_file, h->rom_bar, h->rom_enabled);
    qb_device(c, QB_SRC(&h->src), &j);
}

static void build_usb(struct qb_ctx *c, const struct dom_hostdev *h, const struct qb_dev *x,
                      const char *id)
{
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "driver", "usb-host");
    if (h->has_usb_addr) {
        char path[64];
        snprintf(path, sizeof(path), "/dev/bus/usb/%03u/%03u", h->usb_bus, h->usb_device);
        qj_str(&j, "hostdevice", path);
    } else {
        qj_uint(&j, "vendorid", h->usb_vendor);
        qj_uint(&j, "productid", h->usb_product);
    }
    qj_str(&j, "id", id);
    if (h->guest_reset != DOM_USB_RESET_DEFAULT)
        qj_bool(&j, "guest-reset", h->guest_reset != DOM_USB_RESET_OFF);
    if (h->guest_reset == DOM_USB_RESET_UNINITIALIZED || h->guest_reset == DOM_USB_RESET_ON)
        qj_bool(&j, "guest-resets-all", h->guest_reset == DOM_USB_RESET_ON);
    if (h->boot_order)
        qj_uint(&j, "bootindex", h->boot_order);
    qj_usb(c, &j, &x->usb);
    qb_device(c, QB_SRC(&h->src), &j);
}

int qb_build_hostdevs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_hostdevs; i++) {
        const struct dom_hostdev *h = &dv->hostdevs[i];
        char id[32];
        snprintf(id, sizeof(id), "hostdev%zu", i);
        if (h->type == DOM_HOSTDEV_PCI)
            build_pci(c, h, qb_dev(c, QB_DEV_HOSTDEV, i), id);
        else
            build_usb(c, h, qb_dev(c, QB_DEV_HOSTDEV, i), id);
    }
    return 0;
}
