/* A fake sysfs PCI tree and a fake kernel acting on it, for the VFIO host code
 * (src/host/vfio.h reads and writes below $QLAUNCH_SYSFS_ROOT). The tree has what the
 * kernel shows: bus/pci/devices/ADDR/{driver_override, driver -> drivers/NAME, iommu_group
 * -> kernel/iommu_groups/N}, kernel/iommu_groups/N/devices/ADDR, bus/pci/drivers/NAME/
 * {bind,unbind}, bus/pci/drivers_probe, as regular files. The fake kernel (a child process
 * watching those files with inotify) does what Linux does when one is written: unbind
 * removes the driver link, bind and drivers_probe create it (drivers_probe: the
 * driver_override if set, else the driver the device matches natively). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

/* A driver directory (drivers/NAME with bind and unbind). */
void tu_fakepci_driver(const char *root, const char *name);
/* A function in IOMMU group group (0: none), bound to driver (NULL: none); native is the
 * driver a probe without override binds (NULL: none). Drivers are created as needed. */
void tu_fakepci_device(const char *root, const char *addr, unsigned group, const char *driver,
                       const char *native);
/* The driver the function is bound to now (malloc'd), NULL: none. */
char *tu_fakepci_driver_of(const char *root, const char *addr);
/* Starts the fake kernel on root (watching the drivers that exist now); it runs until
 * tu_fakepci_kernel_stop. Appends one line per action to root/.kernel.log. */
pid_t tu_fakepci_kernel_start(const char *root);
void tu_fakepci_kernel_stop(pid_t pid);
