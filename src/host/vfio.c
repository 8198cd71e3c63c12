/* PCI functions for VFIO: sysfs reads and writes, below a root tests can move (vfio.h). */
#include "config.h"
#include "host/vfio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

const char *host_sysfs_root(void)
{
    return env_or(HOST_SYSFS_ENV, "/sys");
}

static char *dev_path(const char *addr, const char *file)
{
    return xasprintf("%s/bus/pci/devices/%s%s%s", host_sysfs_root(), addr,
                     file ? "/" : "", file ? file : "");
}

void host_pci_binding_clear(struct host_pci_binding *b)
{
    free(b->addr);
    free(b->driver);
    free(b->vfio_driver);
    memset(b, 0, sizeof(*b));
}

const char *host_pci_addr(const struct dom_hostdev *h, char *buf, size_t len)
{
    snprintf(buf, len, "%04x:%02x:%02x.%x", h->pci_domain, h->pci_bus, h->pci_slot,
             h->pci_function);
    return buf;
}

/* The last component of the symlink dir/link points to, NULL when there is none. */
static char *link_name(const char *addr, const char *link)
{
    _cleanup_free_ char *path = dev_path(addr, link);
    char target[PATH_MAX];
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    return xstrdup(basename(target));
}

static int sysfs_write(const char *path, const char *value, struct ql_error *err)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot open '%s'", path);
    size_t len = strlen(value);
    ssize_t n = write(fd, value, len);
    int e = errno;
    close(fd);
    if (n != (ssize_t)len)
        return ql_error_errno(err, n < 0 ? e : EIO, "cannot write '%s' to '%s'",
                              value[0] == '\n' ? "\\n" : value, path);
    return 0;
}

static bool driver_loaded(const char *driver)
{
    _cleanup_free_ char *dir = xasprintf("%s/bus/pci/drivers/%s", host_sysfs_root(),
                                         driver);
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int host_vfio_inspect(const struct dom_hostdev *h, struct host_pci_binding *ret,
                      struct ql_error *err)
{
    char addr[32];
    host_pci_addr(h, addr, sizeof(addr));
    memset(ret, 0, sizeof(*ret));
    const char *want = h->driver_model ? h->driver_model : HOST_VFIO_DRIVER;
    _cleanup_free_ char *dir = dev_path(addr, NULL);
    struct stat st;
    if (stat(dir, &st) < 0)
        return ql_error_set_at(err, ENODEV, h->src.path, h->src.line, "PCI device %s does not "
                               "exist on this host (no %s)", addr, dir);
    _cleanup_free_ char *group = link_name(addr, "iommu_group");
    if (!group)
        return ql_error_set_at(err, ENODEV, h->src.path, h->src.line, "PCI device %s has no "
                               "IOMMU group: the host runs without an IOMMU (enable VT-d or "
                               "AMD-Vi in the firmware and boot Linux with intel_iommu=on or "
                               "amd_iommu=on)", addr);
    char *driver = link_name(addr, "driver");
    bool on_vfio = driver && STREQ(driver, want);
    if (!h->managed && !on_vfio) {
        int r = ql_error_set_at(err, EBUSY, h->src.path, h->src.line, "PCI device %s is "
                                "bound to %s%s%s, and managed='no' leaves binding it to '%s' "
                                "to the administrator (driverctl set-override %s %s), or "
                                "write managed='yes'", addr, driver ? "driver '" : "no driver",
                                driver ? driver : "", driver ? "'" : "", want, addr, want);
        free(driver);
        return r;
    }
    if (!on_vfio && !driver_loaded(want)) {
        free(driver);
        return ql_error_set_at(err, ENOENT, h->src.path, h->src.line, "the '%s' driver is "
                               "not loaded on this host (modprobe %s)", want, want);
    }
    ret->addr = xstrdup(addr);
    ret->driver = driver;
    ret->vfio_driver = xstrdup(want);
    ret->changed = !on_vfio;
    return 0;
}

/* Waits for the function's driver to become want (NULL: any) after a probe; the kernel
 * probes synchronously, but a driver may defer its probe. */
static bool wait_driver(const char *addr, const char *want)
{
    for (int waited = 0;; waited += 10) {
        _cleanup_free_ char *now = link_name(addr, "driver");
        if (want ? now && STREQ(now, want) : now != NULL)
            return true;
        if (waited >= HOST_VFIO_PROBE_WAIT_MS)
            return false;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
}

static char *probe_path(void)
{
    return xasprintf("%s/bus/pci/drivers_probe", host_sysfs_root());
}

int host_vfio_bind(const struct host_pci_binding *b, struct ql_error *err)
{
    if (!b->changed)
        return 0;
    _cleanup_free_ char *override = dev_path(b->addr, "driver_override");
    _cleanup_free_ char *unbind = dev_path(b->addr, "driver/unbind");
    _cleanup_free_ char *probe = probe_path();
    int r = sysfs_write(override, b->vfio_driver, err);
    if (r == 0 && b->driver)
        r = sysfs_write(unbind, b->addr, err);
    if (r == 0)
        r = sysfs_write(probe, b->addr, err);
    if (r < 0)
        return r;
    if (!wait_driver(b->addr, b->vfio_driver))
        return ql_error_set(err, EIO, "PCI device %s did not bind to '%s' (see the kernel "
                            "log)", b->addr, b->vfio_driver);
    return 0;
}

int host_vfio_group(const struct host_pci_binding *b, char **ret_dev, struct ql_error *err)
{
    static const char *const fine[] = {"pci-stub", "pcieport"};
    _cleanup_free_ char *group = link_name(b->addr, "iommu_group");
    if (!group)
        return ql_error_set(err, ENODEV, "PCI device %s has no IOMMU group", b->addr);
    _cleanup_free_ char *devs = dev_path(b->addr, "iommu_group/devices");
    _cleanup_(closedirp) DIR *dir = opendir(devs);
    if (!dir)
        return ql_error_errno(err, errno, "cannot list '%s'", devs);
    for (struct dirent *e; (e = readdir(dir));) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *drv = link_name(e->d_name, "driver");
        bool ok = !drv || STREQ(drv, b->vfio_driver) || STREQ(drv, HOST_VFIO_DRIVER);
        for (size_t i = 0; !ok && i < ARRAY_SIZE(fine); i++)
            ok = STREQ(drv, fine[i]);
        if (!ok)
            return ql_error_set(err, EBUSY, "IOMMU group %s of PCI device %s also holds %s, "
                                "bound to '%s': QEMU can only use a group whose devices are "
                                "all bound to vfio-pci (give %s to the guest too, or unbind "
                                "it)", group, b->addr, e->d_name, drv, e->d_name);
    }
    *ret_dev = xasprintf("%s/%s", env_or(HOST_VFIO_DEV_ENV, "/dev/vfio"), group);
    return 0;
}

int host_vfio_restore(const struct host_pci_binding *b, struct ql_error *err)
{
    if (!b->changed || !b->addr)
        return 0;
    _cleanup_free_ char *override = dev_path(b->addr, "driver_override");
    _cleanup_free_ char *probe = probe_path();
    _cleanup_free_ char *now = link_name(b->addr, "driver");
    int r = 0;
    if (now && b->vfio_driver && STREQ(now, b->vfio_driver)) {
        _cleanup_free_ char *unbind = dev_path(b->addr, "driver/unbind");
        r = sysfs_write(unbind, b->addr, err);
    } else if (now) {
        return 0;   /* already given back (an earlier restore, or the administrator) */
    }
    if (r == 0)
        r = sysfs_write(override, "\n", err);
    if (r == 0 && b->driver)
        r = sysfs_write(probe, b->addr, err);
    if (r < 0)
        return r;
    if (b->driver && !wait_driver(b->addr, b->driver))
        return ql_error_set(err, EIO, "PCI device %s did not bind back to '%s' (see the "
                            "kernel log)", b->addr, b->driver);
    return 0;
}
