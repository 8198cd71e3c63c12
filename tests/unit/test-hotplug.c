/* Hot-plug: one device's XML (dom_parse_device), the builder's hot-plug mode (options,
 * names and the address of the new device, refusals), and the state's record of
 * hot-plugged devices and vCPUs. */
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

#include "domain/parse.h"
#include "qemu/build.h"
#include "supervise/state.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/strbuf.h"

static struct domain *parse_dom(const char *machine, const char *devices)
{
    _cleanup_free_ char *xml = xasprintf(
        "<domain type='qemu'><name>hp</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1830</uuid>"
        "<memory unit='MiB'>256</memory><os><type arch='x86_64' machine='%s'>hvm</type></os>"
        "<devices>%s</devices></domain>", machine, devices);
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_memory(xml, strlen(xml), "hp.xml", &d, &g) != 0)
        fail_msg("the domain does not parse");
    dom_diags_free(&g);
    return d;
}

/* One device's XML; NULL with the first error in *ret_msg. */
static struct domain *parse_dev(const char *xml, char **ret_msg)
{
    struct dom_diags g = {0};
    struct domain *d = NULL;
    *ret_msg = NULL;
    if (dom_parse_device(xml, strlen(xml), "dev.xml", &d, &g) != 0) {
        assert_true(g.n > 0);
        *ret_msg = dom_diag_format(&g.v[0]);
    }
    dom_diags_free(&g);
    return d;
}

static void test_parse_device(void **state)
{
    (void)state;
    char *msg;
    struct domain *d = parse_dev("<?xml version='1.0'?>\n<disk type='file' device='disk'>"
                                 "<source file='/a b.img'/><target dev='vdb' bus='virtio'/>"
                                 "</disk>", &msg);
    assert_non_null(d);
    assert_int_equal(d->dev.n_disks, 1);
    assert_int_equal(d->dev.n_interfaces, 0);
    assert_string_equal(d->dev.disks[0].source, "/a b.img");
    assert_string_equal(d->dev.disks[0].dev, "vdb");
    domain_free(d);

    d = parse_dev("<interface type='bridge'><source bridge='br0'/>"
                  "<mac address='52:54:00:AA:00:01'/></interface>", &msg);
    assert_non_null(d);
    assert_int_equal(d->dev.n_interfaces, 1);
    assert_string_equal(d->dev.interfaces[0].mac, "52:54:00:aa:00:01");
    domain_free(d);

    /* the parser's own checks, located in the device */
    assert_null(parse_dev("<disk type='file'><source file='/x'/>\n"
                             "<target dev='vdb' bus='nosuch'/></disk>", &msg));
    assert_non_null(strstr(msg, "disk/target@bus"));
    assert_non_null(strstr(msg, "line 2"));
    free(msg);
    assert_null(parse_dev("<disk type='file'><source file='/x'/><target dev='vdb'/>"
                             "<bogus/></disk>", &msg));
    assert_non_null(strstr(msg, "bogus"));
    free(msg);
    /* not a device; not XML; a DTD */
    assert_null(parse_dev("<domain/>", &msg));
    free(msg);
    assert_null(parse_dev("<disk", &msg));
    free(msg);
    assert_null(parse_dev("<!DOCTYPE x [<!ENTITY e 'x'>]><disk/>", &msg));
    free(msg);
}

/* How many devices of each kind the domains below were started with. */
static size_t n_start[QB_HOT_KIND_MAX];

static void started(const struct domain *d)
{
    n_start[QB_HOT_DISK] = d->dev.n_disks;
    n_start[QB_HOT_NET] = d->dev.n_interfaces;
    n_start[QB_HOT_INPUT] = d->dev.n_inputs;
}

/* Adds the device of xml to d (moved) and builds it as hot-plug number num. */
static int hot_build(struct domain *d, const char *xml, unsigned num, struct qb_result *r,
                     struct ql_error *err)
{
    char *msg;
    struct domain *x = parse_dev(xml, &msg);
    if (!x)
        fail_msg("%s", msg);
    struct qb_hotplug hp = {.num = num};
    memcpy(hp.n_start, n_start, sizeof(n_start));
    if (x->dev.n_disks) {
        hp.kind = QB_HOT_DISK;
        d->dev.disks = realloc(d->dev.disks, (d->dev.n_disks + 1) * sizeof(*d->dev.disks));
        d->dev.disks[d->dev.n_disks++] = x->dev.disks[0];
        x->dev.n_disks = 0;
    } else if (x->dev.n_interfaces) {
        hp.kind = QB_HOT_NET;
        d->dev.interfaces = realloc(d->dev.interfaces,
                                    (d->dev.n_interfaces + 1) * sizeof(*d->dev.interfaces));
        d->dev.interfaces[d->dev.n_interfaces++] = x->dev.interfaces[0];
        x->dev.n_interfaces = 0;
    } else {
        hp.kind = QB_HOT_INPUT;
        d->dev.inputs = realloc(d->dev.inputs, (d->dev.n_inputs + 1) * sizeof(*d->dev.inputs));
        d->dev.inputs[d->dev.n_inputs++] = x->dev.inputs[0];
        x->dev.n_inputs = 0;
    }
    domain_free(x);
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .emulator = "/usr/bin/qemu",
                           .hotplug = &hp};
    return qb_build(d, &o, r, err);
}

static void test_pc_disk_and_nic(void **state)
{
    (void)state;
    struct domain *d = parse_dom("pc", "<disk type='file' device='disk'><source file='/a.img'/>"
                                       "<target dev='vda' bus='virtio'/></disk>"
                                       "<interface type='user'><model type='virtio'/></interface>");
    /* the start: vda and the NIC take the first free slots of pci.0 */
    struct qb_result start = {0};
    struct qb_options so = {.qmp_fd = 3, .first_fd = 4, .emulator = "/usr/bin/qemu"};
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qb_build(d, &so, &start, &err), 0);
    started(d);

    struct qb_result r = {0};
    assert_int_equal(hot_build(d, "<disk type='file' device='disk'><driver name='qemu' "
                                  "type='qcow2'/><source file='/b.img'/><target dev='vdb'/>"
                                  "</disk>", 7, &r, &err), 0);
    /* only the new device's options: its nodes (numbered 7) and the device */
    assert_int_equal(r.argv.n, 6);
    assert_string_equal(r.argv.v[0], "-blockdev");
    assert_non_null(strstr(r.argv.v[1], "\"node-name\":\"libvirt-7-storage\""));
    assert_non_null(strstr(r.argv.v[3], "\"node-name\":\"libvirt-7-format\""));
    assert_string_equal(r.argv.v[4], "-device");
    assert_non_null(strstr(r.argv.v[5], "\"id\":\"virtio-disk1\""));
    assert_string_equal(r.hot_id, "virtio-disk1");
    assert_int_equal(r.hot_addr.type, DOM_ADDR_PCI);
    assert_int_equal(r.hot_addr.bus, 0);
    /* a slot the start left free */
    char addr[32];
    snprintf(addr, sizeof(addr), "\"addr\":\"0x%x\"", r.hot_addr.slot);
    for (size_t i = 0; i < start.argv.n; i++)
        assert_null(strstr(start.argv.v[i], addr));
    assert_non_null(strstr(r.argv.v[5], addr));
    unsigned disk_slot = r.hot_addr.slot;
    qb_result_free(&r);

    /* the disk keeps its place (as its recorded address); a NIC goes into the next slot,
     * its tap passed as an fd */
    d->dev.disks[1].addr = (struct dom_addr){.type = DOM_ADDR_PCI, .slot = disk_slot};
    assert_int_equal(hot_build(d, "<interface type='ethernet'><mac address='52:54:00:00:00:09'/>"
                                  "<model type='virtio'/></interface>", 9, &r, &err), 0);
    assert_string_equal(r.hot_id, "net9");
    assert_string_equal(r.argv.v[0], "-netdev");
    assert_non_null(strstr(r.argv.v[1], "\"id\":\"hostnet9\""));
    assert_int_equal(r.n_fds, 1);
    assert_int_equal(r.fds[0].kind, QB_FD_TAP);
    assert_int_equal(r.hot_addr.type, DOM_ADDR_PCI);
    assert_int_not_equal(r.hot_addr.slot, disk_slot);
    qb_result_free(&r);
    /* with /dev/vhost-net usable the start's NICs get vhost; a hot one never does */
    struct qb_hotplug hp = {.kind = QB_HOT_NET, .num = 9};
    memcpy(hp.n_start, n_start, sizeof(n_start));
    struct qb_options vo = {.qmp_fd = 3, .first_fd = 4, .emulator = "/usr/bin/qemu",
                            .hotplug = &hp, .vhost_net = QB_VHOST_USABLE};
    assert_int_equal(qb_build(d, &vo, &r, &err), 0);
    assert_int_equal(r.n_fds, 1);
    assert_null(strstr(r.argv.v[1], "vhost"));
    qb_result_free(&r);

    /* what QEMU cannot hot-plug */
    assert_int_equal(hot_build(d, "<disk type='file' device='disk'><source file='/c.img'/>"
                                  "<target dev='hdb' bus='ide'/></disk>", 10, &r, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "cannot be hot-plugged"));
    ql_error_clear(&err);
    assert_int_equal(hot_build(d, "<disk type='file' device='disk'><source file='/c.img'/>"
                                  "<target dev='sdb' bus='scsi'/></disk>", 10, &r, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "does not hot-plug controllers"));
    ql_error_clear(&err);
    assert_int_equal(hot_build(d, "<interface type='ethernet'><model type='virtio'/>"
                                  "<driver queues='2'/></interface>", 10, &r, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "queues='2' cannot be hot-plugged"));
    ql_error_clear(&err);
    qb_result_free(&start);
    domain_free(d);
}

static void test_q35_root_ports(void **state)
{
    (void)state;
    /* libvirt leaves one pcie-root-port free when it adds them: the hot-plug goes there */
    struct domain *d = parse_dom("q35", "<disk type='file' device='disk'><source file='/a.img'/>"
                                        "<target dev='vda' bus='virtio'/></disk>");
    started(d);
    struct qb_result r = {0};
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(hot_build(d, "<interface type='user'><model type='virtio'/></interface>",
                               3, &r, &err), 0);
    assert_int_equal(r.hot_addr.type, DOM_ADDR_PCI);
    assert_true(r.hot_addr.bus > 0);            /* a root port, never pcie.0 */
    assert_int_equal(r.hot_addr.slot, 0);
    unsigned bus = r.hot_addr.bus;
    qb_result_free(&r);
    /* a second device: no free root port is left */
    d->dev.interfaces[0].addr = (struct dom_addr){.type = DOM_ADDR_PCI, .bus = bus};
    assert_int_equal(hot_build(d, "<interface type='user'><model type='virtio'/></interface>",
                               4, &r, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "pcie-root-port"));
    ql_error_clear(&err);
    domain_free(d);

    /* USB: the next free port */
    d = parse_dom("q35", "<input type='tablet' bus='usb'/>");
    started(d);
    assert_int_equal(hot_build(d, "<input type='keyboard' bus='usb'/>", 2, &r, &err), 0);
    assert_string_equal(r.hot_id, "input2");
    assert_int_equal(r.hot_addr.type, DOM_ADDR_USB);
    assert_string_equal(r.hot_addr.usb_port, "2");
    qb_result_free(&r);
    domain_free(d);
}

static void test_state_roundtrip(void **state)
{
    (void)state;
    struct sup_status st = {.name = xstrdup("hp")};
    st.hotdevs = xcalloc(2, sizeof(*st.hotdevs));
    st.hotdevs[st.n_hotdevs++] = (struct sup_hotdev){xstrdup("disk"), xstrdup("<disk/>"),
                                                     xstrdup("virtio-disk1"), 4};
    st.hotdevs[st.n_hotdevs++] = (struct sup_hotdev){xstrdup("interface"),
                                                     xstrdup("<interface/>"), xstrdup("net5"), 5};
    st.hot_vcpus = xcalloc(1, sizeof(char *));
    st.hot_vcpus[st.n_hot_vcpus++] = xstrdup("vcpu1");
    st.removed = xcalloc(1, sizeof(*st.removed));
    st.removed[st.n_removed++] = (struct sup_removed){xstrdup("input"), 2, xstrdup("input2")};
    st.save_tmp = xstrdup("/var/tmp/x.sav.Ab12Cd");
    json_object *o = sup_status_to_json(&st);
    struct sup_status back;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_status_from_json(o, &back, &err), 0);
    assert_int_equal(back.n_hotdevs, 2);
    assert_string_equal(back.hotdevs[1].kind, "interface");
    assert_string_equal(back.hotdevs[1].xml, "<interface/>");
    assert_string_equal(back.hotdevs[1].qemu_id, "net5");
    assert_int_equal(back.hotdevs[1].num, 5);
    assert_int_equal(back.n_hot_vcpus, 1);
    assert_string_equal(back.hot_vcpus[0], "vcpu1");
    assert_int_equal(back.n_removed, 1);
    assert_string_equal(back.removed[0].kind, "input");
    assert_int_equal(back.removed[0].index, 2);
    assert_string_equal(back.removed[0].qemu_id, "input2");
    assert_string_equal(back.save_tmp, "/var/tmp/x.sav.Ab12Cd");
    json_object_put(o);
    sup_status_clear(&back);
    /* an entry that cannot be acted on is dropped, not half-read */
    o = json_tokener_parse("{\"name\":\"hp\",\"hotplugged\":[{\"kind\":\"disk\",\"num\":1},"
                           "{\"kind\":\"disk\",\"xml\":\"<disk/>\",\"qemu_id\":\"x\",\"num\":2}],"
                           "\"hot_vcpus\":[3,\"vcpu2\"],\"removed_devices\":[{\"kind\":\"disk\","
                           "\"index\":-1,\"qemu_id\":\"a\"},{\"kind\":\"disk\",\"index\":0}]}");
    assert_int_equal(sup_status_from_json(o, &back, &err), 0);
    assert_int_equal(back.n_removed, 0);
    assert_int_equal(back.n_hotdevs, 1);
    assert_string_equal(back.hotdevs[0].qemu_id, "x");
    assert_int_equal(back.n_hot_vcpus, 1);
    json_object_put(o);
    sup_status_clear(&back);
    sup_status_clear(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_device),
        cmocka_unit_test(test_pc_disk_and_nic),
        cmocka_unit_test(test_q35_root_ports),
        cmocka_unit_test(test_state_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
