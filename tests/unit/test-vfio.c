/* The host side of PCI <hostdev> (src/host/vfio.c) against a fake sysfs tree whose fake
 * kernel (tests/fakepci.h) binds and unbinds as Linux does: managed='yes' moves a function
 * to vfio-pci and back to its driver, managed='no' must find it there, and what the host
 * lacks (the device, an IOMMU, the driver, a viable group) is refused before anything
 * changes. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/vfio.h"
#include "tests/fakepci.h"
#include "tests/testutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static char root[64];
static pid_t kernel;

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/test-vfio.XXXXXX");
    if (!mkdtemp(root))
        return -1;
    tu_fakepci_driver(root, HOST_VFIO_DRIVER);
    tu_fakepci_device(root, "0000:06:12.5", 7, "e1000e", "e1000e");
    tu_fakepci_device(root, "0000:06:12.6", 8, "vfio-pci", "igb");
    tu_fakepci_device(root, "0000:06:12.7", 0, "e1000e", "e1000e");
    tu_fakepci_device(root, "0000:07:00.0", 9, "e1000e", "e1000e");
    tu_fakepci_device(root, "0000:07:00.1", 9, "snd_hda_intel", "snd_hda_intel");
    tu_fakepci_device(root, "0000:07:00.2", 9, "pcieport", "pcieport");
    tu_fakepci_device(root, "0000:08:00.0", 10, NULL, NULL);
    setenv(HOST_SYSFS_ENV, root, 1);
    setenv(HOST_VFIO_DEV_ENV, "/dev/vfio-test", 1);
    kernel = tu_fakepci_kernel_start(root);
    return kernel > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_fakepci_kernel_stop(kernel);
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static struct dom_hostdev pci(unsigned bus, unsigned slot, unsigned fn, bool managed)
{
    static char where[] = "devices/hostdev";
    return (struct dom_hostdev){.type = DOM_HOSTDEV_PCI, .managed = managed, .pci_bus = bus,
                                .pci_slot = slot, .pci_function = fn,
                                .src = {where, 12}};
}

static char *override_of(const char *addr)
{
    _cleanup_free_ char *path = xasprintf("%s/bus/pci/devices/%s/driver_override", root, addr);
    return tu_read_file(path, NULL);
}

static void expect_error(const struct dom_hostdev *h, const char *want)
{
    struct host_pci_binding b;
    struct ql_error err = QL_ERROR_INIT;
    assert_true(host_vfio_inspect(h, &b, &err) < 0);
    assert_string_equal(ql_error_msg(&err), want);
    ql_error_clear(&err);
}

static void test_managed_round_trip(void **state)
{
    (void)state;
    struct dom_hostdev h = pci(6, 0x12, 5, true);
    struct host_pci_binding b;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_vfio_inspect(&h, &b, &err), 0);
    assert_string_equal(b.addr, "0000:06:12.5");
    assert_string_equal(b.driver, "e1000e");
    assert_string_equal(b.vfio_driver, "vfio-pci");
    assert_true(b.changed);
    /* inspecting changes nothing */
    _cleanup_free_ char *before = tu_fakepci_driver_of(root, b.addr);
    assert_string_equal(before, "e1000e");

    assert_int_equal(host_vfio_bind(&b, &err), 0);
    _cleanup_free_ char *bound = tu_fakepci_driver_of(root, b.addr);
    assert_string_equal(bound, "vfio-pci");
    _cleanup_free_ char *ovr = override_of(b.addr);
    assert_string_equal(ovr, "vfio-pci");
    char *dev = NULL;
    assert_int_equal(host_vfio_group(&b, &dev, &err), 0);
    assert_string_equal(dev, "/dev/vfio-test/7");
    free(dev);

    assert_int_equal(host_vfio_restore(&b, &err), 0);
    _cleanup_free_ char *back = tu_fakepci_driver_of(root, b.addr);
    assert_string_equal(back, "e1000e");
    _cleanup_free_ char *cleared = override_of(b.addr);
    assert_string_equal(cleared, "\n");
    /* a second restore (a re-attached supervisor after the first) changes nothing */
    assert_int_equal(host_vfio_restore(&b, &err), 0);
    _cleanup_free_ char *still = tu_fakepci_driver_of(root, b.addr);
    assert_string_equal(still, "e1000e");
    host_pci_binding_clear(&b);
}

static void test_unmanaged(void **state)
{
    (void)state;
    struct dom_hostdev h = pci(6, 0x12, 6, false);
    struct host_pci_binding b;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_vfio_inspect(&h, &b, &err), 0);
    assert_false(b.changed);
    assert_int_equal(host_vfio_bind(&b, &err), 0);
    assert_int_equal(host_vfio_restore(&b, &err), 0);
    _cleanup_free_ char *drv = tu_fakepci_driver_of(root, b.addr);
    assert_string_equal(drv, "vfio-pci");   /* left as the administrator bound it */
    host_pci_binding_clear(&b);

    struct dom_hostdev on_host = pci(6, 0x12, 5, false);
    expect_error(&on_host, "devices/hostdev: PCI device 0000:06:12.5 is bound to driver "
                 "'e1000e', and managed='no' leaves binding it to 'vfio-pci' to the "
                 "administrator (driverctl set-override 0000:06:12.5 vfio-pci), or write "
                 "managed='yes' (line 12)");
    struct dom_hostdev none = pci(8, 0, 0, false);
    expect_error(&none, "devices/hostdev: PCI device 0000:08:00.0 is bound to no driver, and "
                 "managed='no' leaves binding it to 'vfio-pci' to the administrator "
                 "(driverctl set-override 0000:08:00.0 vfio-pci), or write managed='yes' "
                 "(line 12)");
}

static void test_host_lacks(void **state)
{
    (void)state;
    struct dom_hostdev absent = pci(0x42, 0, 0, true);
    _cleanup_free_ char *want = xasprintf("devices/hostdev: PCI device 0000:42:00.0 does not "
                                          "exist on this host (no %s/bus/pci/devices/"
                                          "0000:42:00.0) (line 12)", root);
    expect_error(&absent, want);
    struct dom_hostdev no_iommu = pci(6, 0x12, 7, true);
    expect_error(&no_iommu, "devices/hostdev: PCI device 0000:06:12.7 has no IOMMU group: the "
                 "host runs without an IOMMU (enable VT-d or AMD-Vi in the firmware and boot "
                 "Linux with intel_iommu=on or amd_iommu=on) (line 12)");
    struct dom_hostdev variant = pci(6, 0x12, 5, true);
    variant.driver_model = (char *)"mlx5_vfio_pci";
    expect_error(&variant, "devices/hostdev: the 'mlx5_vfio_pci' driver is not loaded on this "
                 "host (modprobe mlx5_vfio_pci) (line 12)");
    _cleanup_free_ char *drv = tu_fakepci_driver_of(root, "0000:06:12.5");
    assert_string_equal(drv, "e1000e");
}

/* QEMU opens a whole IOMMU group: a sound function beside the NIC must go too; bridges
 * (pcieport) may stay. */
static void test_group(void **state)
{
    (void)state;
    struct dom_hostdev nic = pci(7, 0, 0, true), snd = pci(7, 0, 1, true);
    struct host_pci_binding a, b;
    struct ql_error err = QL_ERROR_INIT;
    char *dev = NULL;
    assert_int_equal(host_vfio_inspect(&nic, &a, &err), 0);
    assert_int_equal(host_vfio_bind(&a, &err), 0);
    assert_true(host_vfio_group(&a, &dev, &err) < 0);
    assert_string_equal(ql_error_msg(&err), "IOMMU group 9 of PCI device 0000:07:00.0 also "
                        "holds 0000:07:00.1, bound to 'snd_hda_intel': QEMU can only use a "
                        "group whose devices are all bound to vfio-pci (give 0000:07:00.1 to "
                        "the guest too, or unbind it)");
    ql_error_clear(&err);
    assert_int_equal(host_vfio_inspect(&snd, &b, &err), 0);
    assert_int_equal(host_vfio_bind(&b, &err), 0);
    assert_int_equal(host_vfio_group(&a, &dev, &err), 0);
    assert_string_equal(dev, "/dev/vfio-test/9");
    free(dev);
    assert_int_equal(host_vfio_restore(&b, &err), 0);
    assert_int_equal(host_vfio_restore(&a, &err), 0);
    _cleanup_free_ char *d1 = tu_fakepci_driver_of(root, "0000:07:00.0");
    _cleanup_free_ char *d2 = tu_fakepci_driver_of(root, "0000:07:00.1");
    assert_string_equal(d1, "e1000e");
    assert_string_equal(d2, "snd_hda_intel");
    host_pci_binding_clear(&a);
    host_pci_binding_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_managed_round_trip),
        cmocka_unit_test(test_unmanaged),
        cmocka_unit_test(test_host_lacks),
        cmocka_unit_test(test_group),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
