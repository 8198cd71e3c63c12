/* <hostdev>: what the host does before QEMU starts (PCI functions to vfio-pci, their group
 * device and USB device nodes to QEMU's user) and its undo (sup_pci_restore). */
#include "config.h"
#include "supervise/sup-priv.h"
#include "supervise/helpers.h"
#include "host/vfio.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sup_pci_restore(struct sup_status *st, void (*log)(void *ctx, const char *msg), void *ctx)
{
    for (size_t i = st->n_pci; i-- > 0;) {
        struct host_pci_binding *b = &st->pci[i];
        struct ql_error err = QL_ERROR_INIT;
        if (b->changed && host_vfio_restore(b, &err) < 0 && log) {
            _cleanup_free_ char *msg = xasprintf("cannot give PCI device %s back to %s: %s",
                                                 b->addr, b->driver ? b->driver : "no driver",
                                                 ql_error_msg(&err));
            log(ctx, msg);
        } else if (b->changed && log) {
            _cleanup_free_ char *msg = xasprintf("PCI device %s given back to %s", b->addr,
                                                 b->driver ? b->driver : "no driver");
            log(ctx, msg);
        }
        ql_error_clear(&err);
        host_pci_binding_clear(b);
    }
    free(st->pci);
    st->pci = NULL;
    st->n_pci = 0;
}

/* The /dev/bus/usb node of the device with vendor:product, from sysfs (bus/usb/devices/
 * N-P/{idVendor,idProduct,busnum,devnum}); NULL when none is plugged in. */
static char *usb_node(unsigned vendor, unsigned product)
{
    const char *root = getenv(HOST_SYSFS_ENV);
    _cleanup_free_ char *dir = xasprintf("%s/bus/usb/devices", root && *root ? root : "/sys");
    DIR *d = opendir(dir);
    char *node = NULL;
    for (struct dirent *e; d && !node && (e = readdir(d));) {
        unsigned v[4];
        static const char *const files[] = {"idVendor", "idProduct", "busnum", "devnum"};
        bool ok = e->d_name[0] != '.';
        for (size_t i = 0; ok && i < ARRAY_SIZE(files); i++) {
            _cleanup_free_ char *path = xasprintf("%s/%s/%s", dir, e->d_name, files[i]);
            FILE *f = fopen(path, "re");
            ok = f && fscanf(f, i < 2 ? "%x" : "%u", &v[i]) == 1;
            if (f)
                fclose(f);
        }
        if (ok && v[0] == vendor && v[1] == product)
            node = xasprintf("/dev/bus/usb/%03u/%03u", v[2], v[3]);
    }
    if (d)
        closedir(d);
    return node;
}

static int grant(struct sup *s, const struct dom_hostdev *h, const char *path,
                 struct ql_error *err)
{
    struct host_dac_file f = {.path = path, .write = true, .where = h->src.path,
                              .line = h->src.line};
    return s->dac.drop ? sup_dac_grant(s, &f, err) : 0;
}

static int prepare_pci(struct sup *s, struct ql_error *err)
{
    const struct dom_devices *dv = &s->dom->dev;
    int r;
    s->st.pci = xcalloc(dv->n_hostdevs ? dv->n_hostdevs : 1, sizeof(*s->st.pci));
    /* Nothing changes until every function is known to be usable and is recorded. */
    for (size_t i = 0; i < dv->n_hostdevs; i++)
        if (dv->hostdevs[i].type == DOM_HOSTDEV_PCI) {
            if ((r = host_vfio_inspect(&dv->hostdevs[i], &s->st.pci[s->st.n_pci], err)) < 0)
                return r;
            s->st.n_pci++;
        }
    if (!s->st.n_pci)
        return 0;
    sup_write_state(s);
    for (size_t i = 0, k = 0; i < dv->n_hostdevs; i++) {
        const struct dom_hostdev *h = &dv->hostdevs[i];
        if (h->type != DOM_HOSTDEV_PCI)
            continue;
        const struct host_pci_binding *b = &s->st.pci[k++];
        if ((r = host_vfio_bind(b, err)) < 0) {
            ql_error_locate(err, h->src.path, h->src.line);
            return r;
        }
        if (b->changed)
            sup_log(s, "PCI device %s: unbound from %s, bound to %s (given back at the end)",
                    b->addr, b->driver ? b->driver : "no driver", b->vfio_driver);
    }
    for (size_t i = 0, k = 0; i < dv->n_hostdevs; i++) {
        const struct dom_hostdev *h = &dv->hostdevs[i];
        if (h->type != DOM_HOSTDEV_PCI)
            continue;
        _cleanup_free_ char *dev = NULL;
        if ((r = host_vfio_group(&s->st.pci[k++], &dev, err)) < 0
            || (r = grant(s, h, dev, err)) < 0) {
            ql_error_locate(err, h->src.path, h->src.line);
            return r;
        }
    }
    return 0;
}

int sup_prepare_hostdevs(struct sup *s, struct ql_error *err)
{
    int r = prepare_pci(s, err);
    if (r < 0)
        return r;
    const struct dom_devices *dv = &s->dom->dev;
    for (size_t i = 0; i < dv->n_hostdevs; i++) {
        const struct dom_hostdev *h = &dv->hostdevs[i];
        if (h->type != DOM_HOSTDEV_USB)
            continue;
        _cleanup_free_ char *node = h->has_usb_addr
            ? xasprintf("/dev/bus/usb/%03u/%03u", h->usb_bus, h->usb_device)
            : usb_node(h->usb_vendor, h->usb_product);
        if (!node) {
            sup_log(s, "USB device %04x:%04x is not plugged in: QEMU attaches it when it "
                    "appears%s", h->usb_vendor, h->usb_product, s->dac.drop
                    ? ", if its user may open the device node (a udev rule)" : "");
            continue;
        }
        if ((r = grant(s, h, node, err)) < 0)
            return r;
    }
    return 0;
}
