/* Host side of PCI device assignment (<hostdev type='pci'>): the function is bound to
 * vfio-pci (or the variant driver <driver model> names) for QEMU, and given back to the
 * driver it had when the domain ends, as libvirt's virPCIDeviceDetach/ReAttach do:
 *
 *   bind:    driver_override := vfio-pci; driver/unbind := ADDR; drivers_probe := ADDR
 *   restore: vfio-pci/unbind := ADDR; driver_override := "\n"; drivers_probe := ADDR
 *
 * Everything is read and written below a sysfs root, $QLAUNCH_SYSFS_ROOT (default /sys),
 * and the group devices are looked for in $QLAUNCH_VFIO_DEV_DIR (default /dev/vfio), so
 * that tests can run against a fake tree in which they play the kernel. A binding is
 * recorded (struct host_pci_binding, in the state file) before anything changes, so that
 * whoever finds the domain ended restores it: its supervisor, a re-attached one, or the
 * CLI's recovery when both are gone. */
#pragma once
#include <stdbool.h>
#include "domain/domain.h"
#include "util/error.h"

#define HOST_SYSFS_ENV "QLAUNCH_SYSFS_ROOT"
#define HOST_VFIO_DEV_ENV "QLAUNCH_VFIO_DEV_DIR"
#define HOST_VFIO_DRIVER "vfio-pci"
/* $QLAUNCH_SYSFS_ROOT, or /sys: where every sysfs read starts (also the host's SMBIOS). */
const char *host_sysfs_root(void);
/* How long a probe may take to show the new driver (a deferred probe). */
#define HOST_VFIO_PROBE_WAIT_MS 2000

/* A PCI function as qlaunch found it. */
struct host_pci_binding {
    char *addr;         /* "0000:06:12.5" */
    char *driver;       /* the driver it had before ("e1000e"), NULL: none */
    char *vfio_driver;  /* the driver QEMU needs: vfio-pci or <driver model> */
    bool changed;       /* qlaunch rebinds it (managed='yes' and not on vfio_driver yet):
                         * restored at the end */
};
void host_pci_binding_clear(struct host_pci_binding *b);

/* "0000:06:12.5" of a PCI <hostdev> (buf of at least 16 bytes). */
const char *host_pci_addr(const struct dom_hostdev *h, char *buf, size_t len);

/* Looks at the function without changing anything: it exists, has an IOMMU group, the
 * driver it is bound to; for managed='no' that driver must already be the VFIO one, for
 * managed='yes' that driver must be loaded. Fills *ret (changed: a bind is needed). Errors
 * name the hostdev element and say what the host lacks. */
int host_vfio_inspect(const struct dom_hostdev *h, struct host_pci_binding *ret,
                      struct ql_error *err);
/* Binds a function host_vfio_inspect found needing it (b->changed) to b->vfio_driver. */
int host_vfio_bind(const struct host_pci_binding *b, struct ql_error *err);
/* Every device of the function's IOMMU group must be bound to a VFIO driver, pci-stub,
 * pcieport (bridges) or nothing, or QEMU cannot open the group; ret_dev: /dev/vfio/N. */
int host_vfio_group(const struct host_pci_binding *b, char **ret_dev, struct ql_error *err);
/* Gives a function qlaunch bound (b->changed) back to b->driver (or to no driver).
 * Idempotent: a function no longer on b->vfio_driver is only probed again if it has no
 * driver. */
int host_vfio_restore(const struct host_pci_binding *b, struct ql_error *err);
