/* <devices> parsing: field values for every device family, and the messages (with element
 * path and line) for inputs that must be rejected. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/domain.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "tests/testutil.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/strbuf.h"

/* The wrapper ends line 1 with <devices>; snippets start with "\n", so the first device
 * element is on line 2. */
#define HEAD "<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory>" \
             "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
#define TAIL "</devices></domain>\n"

static struct dom_diags diags;

static void dump_diags(void)
{
    tu_print_diags(&diags);
}

static int parse(const char *devs, struct domain **ret)
{
    char *xml = xasprintf("%s%s%s", HEAD, devs, TAIL);
    int r = tu_parse(xml, ret, &diags);
    free(xml);
    return r;
}

static struct domain *ok(const char *devs)
{
    return tu_domainf("%s%s%s", HEAD, devs, TAIL);
}

static bool has_diag(const char *want)
{
    return tu_find_diag(&diags, -1, want) != NULL;
}

static bool any_diag_contains(const char *needle)
{
    return tu_find_diag_containing(&diags, needle) != NULL;
}

/* Parsing must fail and one of the messages must be exactly want. */
static void fails_with(const char *devs, const char *want)
{
    struct domain *d = NULL;
    int r = parse(devs, &d);
    if (r == 0 || !has_diag(want)) {
        print_message("wanted: %s\ngot:\n", want);
        dump_diags();
        domain_free(d);
        fail_msg("expected message not found");
    }
}

/* A whole document (not only <devices>): parsing and validation must fail with want. */
static void doc_fails_with(const char *xml, const char *want)
{
    struct domain *d = NULL;
    int r = tu_parse(xml, &d, &diags);
    if (r == 0 || !has_diag(want)) {
        print_message("wanted: %s\ngot:\n", want);
        dump_diags();
        domain_free(d);
        fail_msg("expected message not found");
    }
}

/* Parsing succeeds; the builder must refuse with a message containing needle (nothing that
 * was parsed may be dropped silently). With want_ok, the builder must succeed and the argv
 * must contain needle instead. */
static void build_check(const char *xml, const char *needle, bool want_ok)
{
    struct domain *d = tu_domain(xml);
    struct qb_options o = {.accel = "tcg", .emulator = "/bin/true", .qmp_fd = 3,
                           .first_fd = 4};
    struct qb_result res = {0};
    struct ql_error err = QL_ERROR_INIT;
    int r = qb_build(d, &o, &res, &err);
    bool found = false;
    if (r == 0) {
        for (size_t i = 0; i < res.argv.n && !found; i++)
            found = strstr(res.argv.v[i], needle) != NULL;
    } else {
        found = strstr(ql_error_msg(&err), needle);
    }
    if ((r == 0) != want_ok || !found) {
        print_message("wanted %s with: %s\ngot: %s\n", want_ok ? "argv" : "error", needle,
                      r == 0 ? "success" : ql_error_msg(&err));
        fail_msg("builder result not as expected");
    }
    ql_error_clear(&err);
    qb_result_free(&res);
    domain_free(d);
}

#define DOC(extra, devs) \
    "<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory>" \
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>" extra "<devices>" devs \
    "</devices></domain>\n"
#define DOC_Q35(devs) \
    "<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory>" \
    "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>" devs \
    "</devices></domain>\n"

/* Floppies (fdc), USB hubs and IOThreads on devices. */
#define DOC_BOOT(boot, machine, devs) \
    "<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory>" \
    "<os><type arch='x86_64' machine='" machine "'>hvm</type>" boot "</os><devices>" devs \
    "</devices></domain>\n"
#define FLOPPY(dev, extra) \
    "<disk type='file' device='floppy'><source file='/f" dev ".img'/>" \
    "<target dev='" dev "' bus='fdc'/>" extra "</disk>"

static void test_floppy_hub_iothread(void **state)
{
    (void)state;
    /* valid: fields */
    struct domain *d = ok("\n<controller type='fdc' index='0'/>"
                          "\n<disk type='file' device='floppy'><source file='/f.img'/>"
                          "<target dev='fdb' bus='fdc'/><readonly/></disk>"
                          "\n<hub type='usb'><address type='usb' bus='0' port='1'/></hub>"
                          "\n<hub type='usb'/>");
    assert_int_equal(d->dev.n_controllers, 1);
    assert_int_equal(d->dev.controllers[0].type, DOM_CTRL_FDC);
    assert_int_equal(d->dev.disks[0].device, DOM_DISKDEV_FLOPPY);
    assert_int_equal(d->dev.disks[0].bus, DOM_BUS_FDC);
    assert_true(d->dev.disks[0].readonly);
    assert_int_equal(d->dev.n_hubs, 2);
    assert_string_equal(dom_usb_bus_to_string(d->dev.hubs[0].type), "usb");
    assert_int_equal(d->dev.hubs[0].addr.type, DOM_ADDR_USB);
    assert_string_equal(d->dev.hubs[0].addr.usb_port, "1");
    assert_int_equal(d->dev.hubs[1].addr.type, DOM_ADDR_NONE);
    domain_free(d);

    /* valid: floppies as libvirt 10 builds them */
    build_check(DOC_BOOT("<boot dev='fd'/>", "pc", FLOPPY("fda", "")),
                "isa-fdc.bootindexA=1", true);
    build_check(DOC_BOOT("", "pc", FLOPPY("fdb", "<boot order='2'/>")),
                "isa-fdc.bootindexB=2", true);
    build_check(DOC_BOOT("<boot dev='fd'/>", "q35", FLOPPY("fda", "")),
                "{\"driver\":\"isa-fdc\",\"bootindexA\":1}", true);
    build_check(DOC_BOOT("", "pc", FLOPPY("fdb", "<readonly/>")),
                "{\"driver\":\"floppy\",\"unit\":1,\"drive\":\"libvirt-1-storage\","
                "\"id\":\"fdc0-0-1\"}", true);
    build_check(DOC_BOOT("", "pc", "<disk type='file' device='floppy'>"
                         "<target dev='fda' bus='fdc'/></disk>"),
                "{\"driver\":\"floppy\",\"unit\":0,\"id\":\"fdc0-0-0\"}", true);
    /* valid: hubs, explicit and on hub ports */
    build_check(DOC_BOOT("", "pc", "<hub type='usb'><address type='usb' bus='0' port='1'/>"
                         "</hub><input type='mouse' bus='usb'><address type='usb' bus='0' "
                         "port='1.2'/></input>"),
                "{\"driver\":\"usb-mouse\",\"id\":\"input0\",\"bus\":\"usb.0\",\"port\":\"1.2\"}",
                true);
    build_check(DOC_BOOT("", "pc", "<input type='mouse' bus='usb'/><input type='mouse' "
                         "bus='usb'/><input type='tablet' bus='usb'/>"),
                "{\"driver\":\"usb-hub\",\"id\":\"hub0\",\"bus\":\"usb.0\",\"port\":\"1\"}",
                true);
    /* valid: IOThreads on a virtio disk and a virtio-scsi controller */
    const char *xml = DOC("<iothreads>2</iothreads>",
                          "<disk type='file'><driver name='qemu' iothread='2'/>"
                          "<source file='/a'/><target dev='vda' bus='virtio'/></disk>"
                          "<controller type='scsi' model='virtio-scsi'>"
                          "<driver iothread='1'/></controller>");
    d = tu_domain(xml);
    assert_int_equal(d->dev.disks[0].iothread, 2);
    assert_int_equal(d->dev.controllers[0].iothread, 1);
    domain_free(d);
    build_check(xml, "{\"driver\":\"virtio-blk-pci\",\"iothread\":\"iothread2\"", true);
    build_check(xml, "{\"driver\":\"virtio-scsi-pci\",\"iothread\":\"iothread1\"", true);
    build_check(xml, "{\"qom-type\":\"iothread\",\"id\":\"iothread2\"}", true);

    /* invalid: parser and validate */
    fails_with("\n<hub/>", "devices/hub: <hub> needs a type attribute (line 2)");
    fails_with("\n<hub type='pci'/>",
               "devices/hub@type: unsupported value 'pci' (qlaunch supports: usb) (line 2)");
    fails_with("\n<disk type='file'><driver iothread='0'/><source file='/a'/>"
               "<target dev='vda'/></disk>",
               "devices/disk/driver@iothread: invalid iothread id '0' (ids start at 1) "
               "(line 2)");
    doc_fails_with(DOC("<iothreads>1</iothreads>",
                       "\n<disk type='file'><driver iothread='1'/><source file='/a'/>"
                       "<target dev='sda' bus='scsi'/></disk>"),
                   "devices/disk/driver@iothread: IOThreads are only available for virtio "
                   "pci and virtio ccw disk (line 2)");
    doc_fails_with(DOC("<iothreads>1</iothreads>",
                       "\n<controller type='scsi' model='virtio-scsi'>"
                       "<driver iothread='3'/></controller>"),
                   "devices/controller/driver@iothread: controller iothread '3' not defined "
                   "in iothreadid (line 2)");
    doc_fails_with(DOC("<iothreads>1</iothreads>",
                       "\n<controller type='scsi' model='lsilogic'>"
                       "<driver iothread='1'/></controller>"),
                   "devices/controller/driver@iothread: 'iothread' attribute only available "
                   "for virtio scsi controller model (line 2)");
    /* iothread-vq-mapping needs QEMU 9.0: the per-queue mapping stays unsupported */
    fails_with("\n<disk type='file'><driver><iothreads><iothread id='1'/></iothreads>"
               "</driver><source file='/a'/><target dev='vda'/></disk>",
               "devices/disk/driver/iothreads: unsupported element <iothreads> (line 2)");

    /* invalid: builder */
    build_check(DOC_BOOT("", "pc", "<disk type='file' device='floppy'><source file='/a'/>"
                         "<target dev='fda' bus='ide'/></disk>"),
                "a floppy disk needs bus='fdc' (bus 'ide' given)", false);
    build_check(DOC_BOOT("", "pc", "<disk type='file' device='disk'><source file='/a'/>"
                         "<target dev='fda' bus='fdc'/></disk>"),
                "bus 'fdc' only takes device='floppy' disks", false);
    build_check(DOC_BOOT("", "pc", FLOPPY("fda", "<serial>x</serial>")),
                "QEMU's floppy device has no serial", false);
    build_check(DOC_BOOT("", "pc", FLOPPY("fda", "<address type='drive' controller='0' "
                                              "bus='0' target='0' unit='2'/>")),
                "floppy address controller 0 bus 0 target 0 unit 2 does not exist", false);
    build_check(DOC_BOOT("", "pc", FLOPPY("fda", "") FLOPPY("fdb", "<address type='drive' "
                         "controller='0' bus='0' target='0' unit='0'/>")),
                "floppy unit 0 is already used by fda", false);
    build_check(DOC_BOOT("", "pc", "<controller type='fdc' index='1'/>"),
                "only one floppy controller (index 0) is supported", false);
    build_check(DOC_BOOT("", "pc", "<input type='mouse' bus='usb'><address type='usb' "
                         "bus='0' port='1.2'/></input>"),
                "there is no USB hub at port '1' of bus 0 for port '1.2'", false);
    build_check(DOC_BOOT("", "pc", "<hub type='usb'><address type='usb' bus='0' port='1'/>"
                         "</hub><input type='mouse' bus='usb'><address type='usb' bus='0' "
                         "port='1.9'/></input>"),
                "USB port '1.9' does not exist: a hub has ports 1-8", false);
    build_check(DOC_BOOT("", "pc", "<hub type='usb'><address type='usb' bus='0' port='1'/>"
                         "</hub><hub type='usb'><address type='usb' bus='0' port='1'/></hub>"),
                "USB port '1' on bus 0 is already in use", false);
    build_check(DOC_BOOT("", "pc", "<hub type='usb'><address type='pci' bus='0' slot='5'/>"
                         "</hub>"),
                "address type 'pci' does not fit this device; it takes type 'usb'", false);
}

/* libvirt's names and rules the parser, validate and the builder must agree on. */
static void test_libvirt_agreement(void **state)
{
    (void)state;
    /* readonly IDE/SATA hard disks: libvirt's wording, at validate time */
    doc_fails_with(DOC("", "\n<disk type='file' device='disk'><source file='/a'/>"
                           "<target dev='hda' bus='ide'/><readonly/></disk>"),
                   "devices/disk/readonly: readonly ide disks are not supported (line 2)");
    doc_fails_with(DOC("", "\n<disk type='file' device='disk'><source file='/a'/>"
                           "<target dev='sda' bus='sata'/><readonly/></disk>"),
                   "devices/disk/readonly: readonly sata disks are not supported (line 2)");
    /* hyperv spinlocks need retries; vendor needs a model */
    doc_fails_with(DOC("<features><hyperv>\n<spinlocks state='on'/></hyperv></features>", ""),
                   "features/hyperv/spinlocks: missing HyperV spinlock retry count "
                   "(<spinlocks state='on'> needs retries='N', N >= 4095) (line 2)");
    doc_fails_with(DOC("<cpu>\n<vendor>Intel</vendor></cpu>", ""),
                   "cpu/vendor: CPU vendor specified without CPU model (line 2)");
    doc_fails_with(DOC("\n<clock offset='utc' basis='utc'/>", ""),
                   "clock@basis: only valid with offset='variable' (line 2)");
    doc_fails_with("<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory><os>"
                   "<type arch='x86_64' machine='pc'>hvm</type>\n<bios rebootTimeout='70000'/>"
                   "</os></domain>\n",
                   "os/bios@rebootTimeout: must be -1 (no reboot) or 0 to 65535 ms (line 2)");
    fails_with("\n<controller type='ide' model='ich6'/>",
               "devices/controller@model: unsupported value 'ich6' (qlaunch supports: piix3) "
               "(line 2)");

    /* honoured */
    build_check(DOC("", "<disk type='file' device='disk'><driver name='qemu' "
                        "error_policy='enospace'/><source file='/a'/><target dev='vda'/></disk>"),
                "\"werror\":\"enospc\"", true);
    build_check(DOC("", "<controller type='usb' index='0'/><controller type='ide' index='0'>"
                        "<address type='pci' bus='0' slot='1' function='1'/></controller>"),
                "\"addr\":\"0x1.0x2\"", true);
    build_check(DOC("<cpu><model>qemu64</model><vendor>AMD</vendor></cpu>", ""),
                "qemu64,vendor=AuthenticAMD", true);
    build_check("<domain type='qemu'><name>t</name><memory unit='MiB'>64</memory><os>"
                "<type arch='x86_64' machine='pc'>hvm</type><bios rebootTimeout='0'/></os>"
                "</domain>\n", "reboot-timeout=0", true);
    build_check(DOC("", "<disk type='file' device='disk'><source file='/a'/><target dev='sda' "
                        "bus='usb' removable='on'/></disk>"), "\"removable\":true", true);
    build_check(DOC("", "<serial type='null'><address type='isa' iobase='0x2f8' irq='3'/>"
                        "<target port='1'/></serial>"), "\"iobase\":760,\"irq\":3", true);
    build_check(DOC_Q35("<controller type='pci' index='1' model='pcie-to-pci-bridge'/>"),
                "\"driver\":\"pcie-pci-bridge\"", true);
    build_check(DOC_Q35("<controller type='pci' index='1' model='pcie-root-port'>"
                        "<address type='pci' bus='0' slot='3' function='0'/></controller>"),
                "\"port\":24", true);

    /* refused, not dropped */
    build_check(DOC("", "<controller type='ide' index='0'>"
                        "<address type='pci' bus='0' slot='2' function='0'/></controller>"),
                "Primary IDE controller must have PCI address 0:0:1.1", false);
    build_check(DOC("", "<disk type='file' device='disk'><source file='/a'/><target dev='hda' "
                        "removable='on'/></disk>"),
                "removable= is only supported on USB and SCSI", false);
    build_check(DOC("<clock offset='utc' adjustment='3600'/>", ""),
                "clock offset='utc' with a non-zero adjustment is not supported", false);
    build_check(DOC("<clock offset='utc'><timer name='pit' tickpolicy='merge'/></clock>", ""),
                "pit timer tickpolicy 'merge' is not supported", false);
    build_check(DOC("<clock offset='utc'><timer name='hpet' tickpolicy='delay'/></clock>", ""),
                "timer 'hpet' does not support tickpolicy=", false);
    build_check(DOC("<cpu><model>qemu64</model><vendor>Acme</vendor></cpu>", ""),
                "CPU vendor 'Acme' is not supported", false);
    build_check(DOC_Q35("<controller type='pci' index='1' model='pcie-root-port'>"
                        "<model name='pci-bridge'/></controller>"),
                "<model name='pci-bridge'> does not fit model 'pcie-root-port'", false);
    build_check(DOC("", "<controller type='pci' index='1' model='pci-bridge'>"
                        "<target busNr='4'/></controller>"), "busNr", false);
    build_check(DOC("", "<controller type='pci' index='1' model='pci-bridge'>"
                        "<target chassis='4'/></controller>"), "chassis/port", false);
    build_check(DOC("", "<controller type='virtio-serial'><driver queues='2'/></controller>"),
                "<driver queues> is only supported on virtio-scsi", false);
    build_check(DOC("", "<input type='mouse' bus='ps2'><address type='usb' bus='0' port='1'/>"
                        "</input>"), "takes no address", false);
    build_check(DOC("", "<watchdog model='ib700'><address type='usb' bus='0' port='1'/>"
                        "</watchdog>"), "takes no <address>", false);
    build_check(DOC("", "<graphics type='spice' port='5999'><gl rendernode='/dev/dri/x'/>"
                        "</graphics>"), "rendernode", false);
}

static void teardown_all(void)
{
    dom_diags_free(&diags);
}

/* ---- disks ---- */

static void test_disk_file(void **state)
{
    (void)state;
    struct domain *d = ok("\n<emulator>/usr/bin/qemu-system-x86_64</emulator>"
                          "<disk type='file' device='disk'>"
                          "<driver name='qemu' type='qcow2' cache='none' io='native' "
                          "discard='unmap' detect_zeroes='unmap' error_policy='stop' "
                          "rerror_policy='report' queues='4'/>"
                          "<source file='/img/a.qcow2'><seclabel model='dac' relabel='no'/>"
                          "</source>"
                          "<backingStore type='file'><format type='raw'/>"
                          "<source file='/img/base.raw'/><backingStore/></backingStore>"
                          "<target dev='vda' bus='virtio'/>"
                          "<readonly/><shareable/><transient/>"
                          "<serial>S123</serial><wwn>0x5000c50015ea71ac</wwn>"
                          "<boot order='2'/>"
                          "<iotune><total_iops_sec>1000</total_iops_sec>"
                          "<total_bytes_sec>2000000</total_bytes_sec></iotune>"
                          "<alias name='virtio-disk0'/>"
                          "<address type='pci' domain='0x0000' bus='0x00' slot='0x0c' "
                          "function='0x0'/>"
                          "</disk>");
    assert_string_equal(d->dev.emulator, "/usr/bin/qemu-system-x86_64");
    assert_int_equal(d->dev.n_disks, 1);
    struct dom_disk *x = &d->dev.disks[0];
    assert_int_equal(x->type, DOM_DISK_FILE);
    assert_int_equal(x->device, DOM_DISKDEV_DISK);
    assert_string_equal(dom_disk_driver_to_string(x->driver_name), "qemu");
    assert_string_equal(dom_disk_format_to_string(x->format), "qcow2");
    assert_string_equal(dom_disk_cache_to_string(x->cache), "none");
    assert_string_equal(dom_disk_io_to_string(x->io), "native");
    assert_string_equal(dom_disk_discard_to_string(x->discard), "unmap");
    assert_string_equal(dom_detect_zeroes_to_string(x->detect_zeroes), "unmap");
    assert_string_equal(dom_error_policy_to_string(x->error_policy), "stop");
    assert_string_equal(dom_error_policy_to_string(x->rerror_policy), "report");
    assert_int_equal(x->queues, 4);
    assert_string_equal(x->source, "/img/a.qcow2");
    assert_string_equal(x->dev, "vda");
    assert_int_equal(x->bus, DOM_BUS_VIRTIO);
    assert_true(x->readonly && x->shareable && x->transient);
    assert_string_equal(x->serial, "S123");
    assert_string_equal(x->wwn, "0x5000c50015ea71ac");
    assert_int_equal(x->boot_order, 2);
    assert_int_equal(x->total_iops_sec, 1000);
    assert_int_equal(x->total_bytes_sec, 2000000);
    assert_int_equal(x->addr.type, DOM_ADDR_PCI);
    assert_int_equal(x->addr.slot, 0x0c);
    assert_string_equal(x->src.path, "devices/disk");
    assert_int_equal(x->src.line, 2);
    domain_free(d);
}

static void test_disk_network_and_cdrom(void **state)
{
    (void)state;
    struct domain *d = ok("\n<disk type='network' device='disk'>"
                          "<driver name='qemu' type='raw'/>"
                          "<source protocol='rbd' name='pool/image'>"
                          "<host name='mon1.example.org' port='6789'/>"
                          "<host name='mon2.example.org' port='6322'/></source>"
                          "<target dev='sda' bus='scsi'/>"
                          "<vendor>QEMU</vendor><product>DISK</product></disk>\n"
                          "<disk type='network'><source protocol='nbd'>"
                          "<host transport='unix' socket='/run/nbd.sock'/></source>"
                          "<target dev='vdb'/></disk>\n"
                          "<disk type='file' device='cdrom'><target dev='hdc' tray='open' "
                          "removable='on'/>"
                          "<address type='drive' controller='0' bus='1' target='0' unit='0'/>"
                          "</disk>\n"
                          "<disk type='block' device='floppy'><source dev='/dev/fd0'/>"
                          "<target dev='fda'/></disk>");
    assert_int_equal(d->dev.n_disks, 4);
    struct dom_disk *x = &d->dev.disks[0];
    assert_int_equal(x->type, DOM_DISK_NETWORK);
    assert_string_equal(dom_disk_protocol_to_string(x->protocol), "rbd");
    assert_string_equal(x->source, "pool/image");
    assert_int_equal(x->n_hosts, 2);
    assert_string_equal(x->hosts[1].name, "mon2.example.org");
    assert_int_equal(x->hosts[1].port, 6322);
    assert_string_equal(x->vendor, "QEMU");
    assert_string_equal(x->product, "DISK");
    x = &d->dev.disks[1];
    assert_string_equal(dom_disk_protocol_to_string(x->protocol), "nbd");
    assert_string_equal(dom_transport_to_string(x->hosts[0].transport), "unix");
    assert_string_equal(x->hosts[0].socket, "/run/nbd.sock");
    assert_int_equal(x->bus, DOM_BUS_VIRTIO);   /* derived from "vd" */
    x = &d->dev.disks[2];
    assert_int_equal(x->device, DOM_DISKDEV_CDROM);
    assert_null(x->source);
    assert_int_equal(x->bus, DOM_BUS_IDE);      /* derived from "hd" */
    assert_string_equal(dom_tray_to_string(x->tray), "open");
    assert_int_equal(x->removable, DOM_TRI_ON);
    assert_int_equal(x->addr.type, DOM_ADDR_DRIVE);
    assert_int_equal(x->addr.bus, 1);
    x = &d->dev.disks[3];
    assert_int_equal(x->type, DOM_DISK_BLOCK);
    assert_string_equal(x->source, "/dev/fd0");
    assert_int_equal(x->bus, DOM_BUS_FDC);
    domain_free(d);
}

static void test_disk_errors(void **state)
{
    (void)state;
    fails_with("\n<disk type='file'><source file='/a'/><target dev='sda' bus='scsi' "
               "rotation_rate='500'/></disk>",
               "devices/disk/target@rotation_rate: must be 1 (solid state) or 1025 to 65534 rpm "
               "(line 2)");
    fails_with("\n<disk type='file'><driver name='qemu' queue_size='100'/><source file='/a'/>"
               "<target dev='vda'/></disk>",
               "devices/disk/driver@queue_size: must be a power of 2 from 2 to 1024 (line 2)");
    fails_with("\n<disk type='file'><source file='/a'/><target dev='hda'/>\n"
               "<geometry cyls='10' heads='2'/></disk>",
               "devices/disk/geometry: <geometry> needs cyls, heads and secs (line 3)");
    fails_with("\n<disk type='network' device='cdrom'><source protocol='http' name='x' "
               "startupPolicy='optional'><host name='h'/></source><target dev='hdc'/></disk>",
               "devices/disk/source@startupPolicy: setting disk optional is not allowed for a "
               "disk of network type (line 2)");
    fails_with("\n<disk type='file'><source file='/a'/>\n<target dev='vda' bus='foo'/></disk>",
               "devices/disk/target@bus: unsupported disk bus 'foo' (qlaunch supports: virtio, "
               "ide, sata, scsi, usb, fdc) (line 3)");
    fails_with("\n<disk type='file'>\n<driver name='qemu' iothread='1'/>"
               "<source file='/a'/><target dev='vda'/></disk>",
               "devices/disk/driver@iothread: Disk iothread '1' not defined in iothreadid "
               "(line 2)");
    fails_with("\n<disk type='volume'><source volume='v'/><target dev='vda'/></disk>",
               "devices/disk/source: a volume disk needs <source pool=... volume=...> (line 2)");
    fails_with("\n<disk type='dir'><source dir='/x'/><target dev='vda'/></disk>",
               "devices/disk@type: unsupported disk type 'dir' (qlaunch supports: file, "
               "block, network, volume) (line 2)");
    fails_with("\n<disk type='file' device='disk'><target dev='vda'/></disk>",
               "devices/disk: a disk needs a <source file=...>; only cdrom and floppy may be "
               "empty (line 2)");
    fails_with("\n<disk type='file'><source file='/a'/></disk>",
               "devices/disk: a disk needs a <target dev=...> (line 2)");
    fails_with("\n<disk type='file'><driver cache='sometimes'/><source file='/a'/>"
               "<target dev='vda'/></disk>",
               "devices/disk/driver@cache: unsupported value 'sometimes' (qlaunch supports: "
               "default, none, writethrough, writeback, directsync, unsafe) (line 2)");
    fails_with("\n<disk type='file'><source file='/a'/><target dev='vda'/>"
               "<boot order='0'/></disk>",
               "devices/disk/boot@order: boot order '0' is invalid; orders start at 1 (line 2)");
    fails_with("\n<disk type='network'><source protocol='gopher' name='x'/>"
               "<target dev='vda'/></disk>",
               "devices/disk/source@protocol: unsupported value 'gopher' (qlaunch supports: "
               "nbd, iscsi, rbd, gluster, http, https, ftp, ftps, tftp, ssh, nfs) (line 2)");
    /* Unsupported children stay unconsumed and are reported. */
    fails_with("\n<disk type='file'><source file='/a'/><target dev='vda'/>\n"
               "<encryption format='luks'/></disk>",
               "devices/disk/encryption: unsupported element <encryption> (line 3)");
}

/* ---- controllers ---- */

static void test_controllers(void **state)
{
    (void)state;
    struct domain *d = ok("\n<controller type='usb' index='0' model='ich9-ehci1'>"
                          "<address type='pci' domain='0x0000' bus='0x00' slot='0x0c' "
                          "function='0x7'/></controller>"
                          "<controller type='usb' index='0' model='ich9-uhci1'>"
                          "<master startport='0'/><address type='pci' domain='0x0000' "
                          "bus='0x00' slot='0x0c' function='0x0' multifunction='on'/>"
                          "</controller>"
                          "<controller type='usb' index='0' model='ich9-uhci3'/>"
                          "<controller type='virtio-serial' index='0' ports='16' vectors='4'/>"
                          "<controller type='scsi' model='virtio-scsi'><driver queues='8'/>"
                          "</controller>"
                          "<controller type='scsi' model='lsilogic'/>"
                          "<controller type='pci' index='0' model='pci-root'/>"
                          "<controller type='pci' index='1' model='pcie-root-port'>"
                          "<model name='pcie-root-port'/>"
                          "<target chassis='1' port='0x10'/></controller>"
                          "<controller type='pci' index='2' model='pci-bridge'>"
                          "<model name='pci-bridge'/><target chassisNr='2'/></controller>"
                          "<controller type='sata' index='0'/>"
                          "<controller type='ide' index='0'/>");
    struct dom_controller *c = d->dev.controllers;
    assert_int_equal(d->dev.n_controllers, 11);
    assert_string_equal(dom_usb_model_to_string(c[0].model.usb), "ich9-ehci1");
    assert_int_equal(c[0].addr.function, 7);
    assert_true(c[1].has_master);
    assert_int_equal(c[1].master_startport, 0);
    assert_int_equal(c[1].addr.multifunction, DOM_TRI_ON);
    /* a companion without <master> gets libvirt's startport */
    assert_true(c[2].has_master);
    assert_int_equal(c[2].master_startport, 4);
    assert_int_equal(c[3].type, DOM_CTRL_VIRTIO_SERIAL);
    assert_int_equal(c[3].ports, 16);
    assert_int_equal(c[3].max_ports, 16);
    assert_int_equal(c[3].vectors, 4);
    assert_string_equal(dom_scsi_model_to_string(c[4].model.scsi), "virtio-scsi");
    assert_int_equal(c[4].queues, 8);
    /* indexes assigned like libvirt: lowest free per type */
    assert_int_equal(c[4].index, 0);
    assert_int_equal(c[5].index, 1);
    assert_string_equal(dom_pci_model_to_string(c[7].model.pci), "pcie-root-port");
    assert_string_equal(dom_pci_model_name_to_string(c[7].model_name), "pcie-root-port");
    assert_int_equal(c[7].chassis, 1);
    assert_int_equal(c[7].target_port, 0x10);
    assert_int_equal(c[7].chassis_nr, -1);
    assert_int_equal(c[8].chassis_nr, 2);
    assert_int_equal(c[9].type, DOM_CTRL_SATA);
    assert_int_equal(c[0].ports, -1);
    domain_free(d);

    /* 1024 controllers without index: indexes 0..1023, assigned in linear time */
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "\n<controller type='scsi' index='1' model='lsilogic'/>");
    for (int i = 0; i < DOM_MAX_DEVICES - 1; i++)
        sb_add(&sb, "<controller type='scsi' model='lsilogic'/>");
    d = ok(sb_str(&sb));
    sb_free(&sb);
    assert_int_equal(d->dev.controllers[1].index, 0);
    assert_int_equal(d->dev.controllers[2].index, 2);
    assert_int_equal(d->dev.controllers[DOM_MAX_DEVICES - 1].index, DOM_MAX_DEVICES - 1);
    domain_free(d);

    fails_with("\n<controller type='usb' model='ohci-deluxe'/>",
               "devices/controller@model: unsupported value 'ohci-deluxe' (qlaunch supports: "
               "piix3-uhci, piix4-uhci, ehci, ich9-ehci1, ich9-uhci1, ich9-uhci2, ich9-uhci3, "
               "vt82c686b-uhci, pci-ohci, nec-xhci, qemu-xhci, none) (line 2)");
    fails_with("\n<controller type='floppy-ish'/>",
               "devices/controller@type: unsupported controller type 'floppy-ish' (qlaunch "
               "supports: usb, ide, sata, scsi, fdc, virtio-serial, pci, ccid) (line 2)");
    fails_with("\n<controller type='sata' model='ahci'/>",
               "devices/controller@model: unsupported attribute (line 2)");
}

/* ---- interfaces ---- */

static void test_interface_bridge_ovs(void **state)
{
    (void)state;
    struct domain *d = ok("\n<interface type='bridge'>"
                          "<mac address='0A:EE:EE:6F:61:D5'/>"
                          "<source bridge='br0'/><target dev='tap-vm0' managed='no'/>"
                          "<virtualport type='openvswitch'><parameters "
                          "interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f' "
                          "profileid='menial'/></virtualport>"
                          "<model type='virtio'/><mtu size='9000'/>"
                          "<driver name='vhost' queues='4' txmode='iothread' "
                          "rx_queue_size='512' tx_queue_size='256'/>"
                          "<script path='/etc/qemu-ifup'/>"
                          "<vlan trunk='yes'><tag id='42'/><tag id='47'/></vlan>"
                          "<link state='down'/><boot order='1'/>"
                          "<rom bar='off' enabled='yes' file='/rom.bin'/>"
                          "<alias name='net0'/>"
                          "<address type='pci' domain='0' bus='0' slot='3' function='0'/>"
                          "</interface>");
    struct dom_interface *x = &d->dev.interfaces[0];
    assert_int_equal(x->type, DOM_NET_BRIDGE);
    assert_string_equal(x->mac, "0a:ee:ee:6f:61:d5");
    assert_string_equal(x->bridge, "br0");
    assert_string_equal(x->target_dev, "tap-vm0");
    assert_true(x->target_managed_no);
    assert_string_equal(dom_vport_type_to_string(x->vport_type), "openvswitch");
    assert_string_equal(x->vport.interfaceid, "09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f");
    assert_string_equal(x->vport.profileid, "menial");
    assert_string_equal(dom_nic_model_to_string(x->model), "virtio");
    assert_int_equal(x->mtu, 9000);
    assert_string_equal(dom_net_driver_to_string(x->driver_name), "vhost");
    assert_int_equal(x->queues, 4);
    assert_string_equal(dom_txmode_to_string(x->txmode), "iothread");
    assert_int_equal(x->rx_queue_size, 512);
    assert_int_equal(x->tx_queue_size, 256);
    assert_string_equal(x->script, "/etc/qemu-ifup");
    assert_int_equal(x->n_vlan_tags, 2);
    assert_int_equal(x->vlan_tags[1], 47);
    assert_true(x->vlan_trunk);
    assert_string_equal(dom_link_state_to_string(x->link_state), "down");
    assert_int_equal(x->boot_order, 1);
    assert_int_equal(x->rom_bar, DOM_TRI_OFF);
    assert_int_equal(x->rom_enabled, DOM_TRI_ON);
    assert_string_equal(x->rom_file, "/rom.bin");
    assert_int_equal(x->addr.slot, 3);
    domain_free(d);
}

static void test_interface_other_types(void **state)
{
    (void)state;
    struct domain *d = ok("\n<interface type='network'><source network='default' "
                          "portgroup='engineering'/><model type='E1000'/></interface>"
                          "<interface type='direct'><source dev='eth0' mode='bridge'/>"
                          "</interface>"
                          "<interface type='direct'><source dev='eth1'/></interface>"
                          "<interface type='user'/>"
                          "<interface type='ethernet'><target dev='tap7'/></interface>"
                          "<interface type='bridge'><source bridge='br1'/>"
                          "<virtualport type='802.1Qbg'><parameters managerid='11' typeid='1193047'"
                          " typeidversion='2' instanceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/>"
                          "</virtualport></interface>");
    struct dom_interface *x = d->dev.interfaces;
    assert_int_equal(d->dev.n_interfaces, 6);
    assert_string_equal(x[0].network, "default");
    assert_string_equal(x[0].portgroup, "engineering");
    /* models match case-insensitively */
    assert_string_equal(dom_nic_model_to_string(x[0].model), "e1000");
    /* No <mac>: validation derives a stable 52:54:00 address from the UUID. */
    assert_non_null(x[0].mac);
    assert_int_equal(strncmp(x[0].mac, "52:54:00:", 9), 0);
    assert_string_not_equal(x[0].mac, x[1].mac);
    assert_string_equal(x[1].source_dev, "eth0");
    assert_string_equal(dom_net_source_mode_to_string(x[1].source_mode), "bridge");
    assert_string_equal(dom_net_source_mode_to_string(x[2].source_mode), "vepa");
    assert_int_equal(x[3].type, DOM_NET_USER);
    assert_string_equal(x[4].target_dev, "tap7");
    assert_string_equal(x[5].vport.managerid, "11");
    assert_string_equal(x[5].vport.typeidversion, "2");
    domain_free(d);
}

static void test_interface_errors(void **state)
{
    (void)state;
    fails_with("\n<interface type='user'>\n<mac address='52:54:00:zz:00:01'/></interface>",
               "devices/interface/mac@address: invalid MAC address '52:54:00:zz:00:01' "
               "(expected six unicast hex bytes like '52:54:00:12:34:56') (line 3)");
    fails_with("\n<interface type='user'><mac address='01:00:5e:00:00:01'/></interface>",
               "devices/interface/mac@address: invalid MAC address '01:00:5e:00:00:01' "
               "(expected six unicast hex bytes like '52:54:00:12:34:56') (line 2)");
    fails_with("\n<interface type='mcast'/>",
               "devices/interface@type: unsupported interface type 'mcast' (qlaunch supports: "
               "bridge, network, user, ethernet, direct) (line 2)");
    fails_with("\n<interface type='bridge'><source network='x'/></interface>",
               "devices/interface/source: an interface of type 'bridge' needs <source "
               "bridge=...> (line 2)");
    fails_with("\n<interface type='user'><model type='idontexist'/></interface>",
               "devices/interface/model@type: unsupported NIC model 'idontexist' (line 2)");
    fails_with("\n<interface type='user'><driver rx_queue_size='300'/></interface>",
               "devices/interface/driver@rx_queue_size: '300' is not a power of two (line 2)");
    fails_with("\n<interface type='ethernet'><target dev='a-name-longer-than-15'/></interface>",
               "devices/interface/target@dev: invalid interface name 'a-name-longer-than-15' "
               "(at most 15 characters, no '/' or '%') (line 2)");
    fails_with("\n<interface type='bridge'><source bridge='br0'/><vlan><tag id='5000'/></vlan>"
               "</interface>",
               "devices/interface/vlan/tag@id: VLAN id '5000' is out of range 0-4095 (line 2)");
    fails_with("\n<interface type='bridge'><source bridge='br0'/><virtualport "
               "type='openvswitch'><parameters interfaceid='not-a-uuid'/></virtualport>"
               "</interface>",
               "devices/interface/virtualport/parameters@interfaceid: 'not-a-uuid' is not a "
               "valid UUID (line 2)");
    /* managerid belongs to 802.1Qbg only */
    fails_with("\n<interface type='bridge'><source bridge='br0'/><virtualport "
               "type='openvswitch'><parameters managerid='1'/></virtualport></interface>",
               "devices/interface/virtualport/parameters@managerid: unsupported attribute "
               "(line 2)");
}

/* ---- hostdev ---- */

#define PCI_SRC "<source><address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>" \
                "</source>"

static void test_hostdev(void **state)
{
    (void)state;
    struct domain *d = ok("\n<hostdev mode='subsystem' type='pci' managed='yes'>"
                          "<driver name='vfio' model='vfio-pci-igb'/>" PCI_SRC
                          "<rom bar='off' file='/r.bin'/><boot order='2'/></hostdev>"
                          "\n<hostdev mode='subsystem' type='usb'><source guestReset='on'>"
                          "<vendor id='0x1d6b'/><product id='0x0104'/></source></hostdev>"
                          "\n<hostdev type='usb' managed='no'><source><address bus='014' "
                          "device='6'/></source></hostdev>");
    assert_int_equal(d->dev.n_hostdevs, 3);
    const struct dom_hostdev *h = &d->dev.hostdevs[0];
    assert_int_equal(h->type, DOM_HOSTDEV_PCI);
    assert_true(h->managed);
    assert_int_equal(h->pci_bus, 6);
    assert_int_equal(h->pci_slot, 0x12);
    assert_int_equal(h->pci_function, 5);
    assert_string_equal(h->driver_model, "vfio-pci-igb");
    assert_string_equal(h->rom_file, "/r.bin");
    assert_int_equal(h->rom_bar, DOM_TRI_OFF);
    assert_int_equal(h->boot_order, 2);
    h = &d->dev.hostdevs[1];
    assert_true(h->has_vendor && !h->has_usb_addr);
    assert_int_equal(h->usb_vendor, 0x1d6b);
    assert_int_equal(h->usb_product, 0x0104);
    assert_int_equal(h->guest_reset, DOM_USB_RESET_ON);
    h = &d->dev.hostdevs[2];
    assert_true(h->has_usb_addr && !h->managed);
    assert_int_equal(h->usb_bus, 12);   /* a leading 0 is octal, as libvirt reads it */
    assert_int_equal(h->usb_device, 6);
    domain_free(d);

    fails_with("\n<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
               "<address bus='0' target='0' unit='0'/></source></hostdev>",
               "devices/hostdev@type: <hostdev type='scsi'> is a host SCSI LUN (scsi-generic): "
               "give the guest the block device as <disk type='block' device='lun'> instead; "
               "qlaunch passes through PCI functions (type='pci', VFIO) and USB devices "
               "(type='usb') (line 2)");
    fails_with("\n<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
               "<address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev>",
               "devices/hostdev@type: <hostdev type='mdev'> is a mediated device (vGPU, "
               "vfio-ap/ccw): not supported; qlaunch passes through PCI functions "
               "(type='pci', VFIO) and USB devices (type='usb') (line 2)");
    fails_with("\n<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block>"
               "</source></hostdev>",
               "devices/hostdev@mode: <hostdev mode='capabilities'> passes host resources "
               "into containers (libvirt's LXC driver); a QEMU guest takes mode='subsystem' "
               "(line 2)");
    fails_with("\n<hostdev type='pci'><driver name='kvm'/>" PCI_SRC "</hostdev>",
               "devices/hostdev/driver@name: PCI device assignment with driver 'kvm' is not "
               "supported: only VFIO is (legacy KVM and Xen assignment are gone from QEMU); "
               "write name='vfio' or leave <driver> out (line 2)");
    fails_with("\n<hostdev type='pci'><source><address bus='0x06' slot='0x20' function='0'/>"
               "</source></hostdev>",
               "devices/hostdev/source/address@slot: value '0x20' is out of range (maximum "
               "0x1f) (line 2)");
    fails_with("\n<hostdev type='pci'><source/></hostdev>",
               "devices/hostdev/source: a PCI <hostdev> needs <source><address domain bus slot "
               "function/> (line 2)");
    fails_with("\n<hostdev type='usb'><source><vendor id='0x1234'/></source></hostdev>",
               "devices/hostdev/source: a USB <hostdev> needs both <vendor id> and <product "
               "id> (or only <address bus device>) (line 2)");
    fails_with("\n<hostdev type='usb'><source startupPolicy='optional'><vendor id='1'/>"
               "<product id='2'/></source></hostdev>",
               "devices/hostdev/source@startupPolicy: unsupported attribute (line 2)");
    /* the builder: the guest side, and one host device given twice */
    build_check(DOC("", "<hostdev type='pci'>" PCI_SRC "<address type='usb' bus='0' "
                    "port='1'/></hostdev>"), "takes", false);
    build_check(DOC("", "<hostdev type='pci'>" PCI_SRC "</hostdev><hostdev type='pci' "
                    "managed='yes'>" PCI_SRC "</hostdev>"),
                "the host device is already given to the guest by devices/hostdev[1]", false);
    build_check(DOC("", "<hostdev type='pci'>" PCI_SRC "<rom enabled='no'/></hostdev>"),
                "\"romfile\":\"\"", true);
    build_check(DOC_BOOT("<boot dev='hd'/>", "pc", "<hostdev type='pci'>" PCI_SRC
                         "<boot order='1'/></hostdev>"), "per-device <boot order>", false);
}

/* <driver queues> and vhost-net: which NIC gets which fds, and what is refused. */
static char *build_nets(const char *devs, enum qb_vhost vhost)
{
    _cleanup_free_ char *xml = xasprintf(DOC("", "%s"), devs);
    struct domain *d = tu_domain(xml);
    struct qb_options o = {.accel = "tcg", .emulator = "/bin/true", .qmp_fd = 3,
                           .first_fd = 4, .vhost_net = vhost};
    struct qb_result res = {0};
    struct ql_error err = QL_ERROR_INIT;
    struct strbuf sb = STRBUF_INIT;
    if (qb_build(d, &o, &res, &err) < 0)
        sb_add(&sb, ql_error_msg(&err));
    for (size_t i = 0; i < res.argv.n; i++)
        if (strstr(res.argv.v[i], "\"tap\""))
            sb_addf(&sb, "%s\n", res.argv.v[i]);
    ql_error_clear(&err);
    qb_result_free(&res);
    domain_free(d);
    return sb_steal(&sb);
}

static void test_nic_queues_vhost(void **state)
{
    (void)state;
    const char *eth = "<interface type='ethernet'><model type='virtio'/>"
                      "<driver queues='3'/></interface>";
    _cleanup_free_ char *a = build_nets(eth, QB_VHOST_USABLE);
    assert_string_equal(a, "{\"type\":\"tap\",\"fds\":\"4:5:6\",\"vhost\":true,"
                        "\"vhostfds\":\"7:8:9\",\"id\":\"hostnet0\"}\n");
    _cleanup_free_ char *b = build_nets(eth, QB_VHOST_ABSENT);
    assert_string_equal(b, "{\"type\":\"tap\",\"fds\":\"4:5:6\",\"id\":\"hostnet0\"}\n");
    _cleanup_free_ char *c = build_nets("<interface type='ethernet'><model type='virtio'/>"
                                        "<driver name='qemu'/></interface>", QB_VHOST_USABLE);
    assert_string_equal(c, "{\"type\":\"tap\",\"fd\":\"4\",\"id\":\"hostnet0\"}\n");
    _cleanup_free_ char *e1000 = build_nets("<interface type='ethernet'><model type='e1000'/>"
                                            "</interface>", QB_VHOST_USABLE);
    assert_string_equal(e1000, "{\"type\":\"tap\",\"fd\":\"4\",\"id\":\"hostnet0\"}\n");
    _cleanup_free_ char *no = build_nets("<interface type='ethernet'><model type='virtio'/>"
                                         "<driver name='vhost'/></interface>", QB_VHOST_ABSENT);
    assert_string_equal(no, "devices/interface: driver name='vhost' needs /dev/vhost-net, "
                        "which this host lacks or QEMU's launcher may not open (modprobe "
                        "vhost_net); without name='vhost' the NIC uses QEMU's own data path "
                        "(line 1)");
    build_check(DOC("", "<interface type='user'><model type='virtio'/><driver queues='2'/>"
                    "</interface>"), "type='user' has one queue", false);
    build_check(DOC("", "<interface type='ethernet'><model type='e1000'/><driver queues='2'/>"
                    "</interface>"), "(multiqueue) needs a virtio NIC model", false);
    build_check(DOC("", "<interface type='user'><model type='virtio'/><driver "
                    "rx_queue_size='128'/></interface>"), "rx_queue_size '128' is outside "
                "256-1024, the sizes QEMU's virtio-net takes", false);
    build_check(DOC("", "<interface type='ethernet'><model type='virtio'/><driver queues='2'/>"
                    "</interface>"), "\"mq\":true,\"vectors\":6", true);
}

/* ---- input, graphics ---- */

static void test_input(void **state)
{
    (void)state;
    struct domain *d = ok("\n<input type='tablet' bus='usb'><address type='usb' bus='0' "
                          "port='1.2'/></input>"
                          "<input type='mouse' bus='ps2'/><input type='keyboard' bus='virtio'/>"
                          "<input type='keyboard'/>");
    struct dom_input *x = d->dev.inputs;
    assert_int_equal(d->dev.n_inputs, 4);
    assert_int_equal(x[0].type, DOM_INPUT_TABLET);
    assert_int_equal(x[0].bus, DOM_INPUT_BUS_USB);
    assert_int_equal(x[0].addr.type, DOM_ADDR_USB);
    assert_string_equal(x[0].addr.usb_port, "1.2");
    assert_int_equal(x[1].bus, DOM_INPUT_BUS_PS2);
    assert_int_equal(x[2].bus, DOM_INPUT_BUS_VIRTIO);
    assert_int_equal(x[3].bus, DOM_INPUT_BUS_DEFAULT);
    domain_free(d);
    fails_with("\n<input type='mouse' bus='xen'/>",
               "devices/input@bus: unsupported input bus 'xen' (qlaunch supports: ps2, usb, "
               "virtio) (line 2)");
    fails_with("\n<input type='tablet' bus='usb'><address type='usb' bus='0' port='1..2'/>"
               "</input>",
               "devices/input/address@port: invalid USB port '1..2' (expected up to four "
               "dot-separated numbers from 1 to 255, like '1.2') (line 2)");
}

/* Host input devices: evdev (-object input-linux) and passthrough
 * (virtio-input-host-pci). */
static void test_input_host(void **state)
{
    (void)state;
    struct domain *d = ok("\n<input type='evdev'><source dev='/dev/input/event3' grab='all' "
                          "grabToggle='ctrl-scrolllock' repeat='on'/></input>"
                          "<input type='evdev'><source dev='/dev/input/event4'/></input>"
                          "<input type='passthrough' bus='virtio'><source "
                          "evdev='/dev/input/event5'/><address type='pci' domain='0' bus='0' "
                          "slot='9' function='0'/></input>"
                          "<input type='passthrough'><source evdev='/dev/input/event6'/>"
                          "</input>");
    struct dom_input *x = d->dev.inputs;
    assert_int_equal(d->dev.n_inputs, 4);
    assert_int_equal(x[0].type, DOM_INPUT_EVDEV);
    assert_int_equal(x[0].bus, DOM_INPUT_BUS_DEFAULT);
    assert_string_equal(x[0].evdev, "/dev/input/event3");
    assert_string_equal(dom_input_grab_to_string(x[0].grab), "all");
    assert_string_equal(dom_grab_toggle_to_string(x[0].grab_toggle), "ctrl-scrolllock");
    assert_int_equal(x[0].repeat, DOM_TRI_ON);
    assert_int_equal(x[1].grab, 0);
    assert_int_equal(x[1].grab_toggle, 0);
    assert_int_equal(x[1].repeat, DOM_TRI_DEFAULT);
    assert_int_equal(x[2].type, DOM_INPUT_PASSTHROUGH);
    assert_int_equal(x[2].bus, DOM_INPUT_BUS_VIRTIO);
    assert_string_equal(x[2].evdev, "/dev/input/event5");
    assert_int_equal(x[2].addr.slot, 9);
    assert_int_equal(x[3].bus, DOM_INPUT_BUS_VIRTIO);    /* the only bus it has */
    domain_free(d);

    fails_with("\n<input type='evdev'/>",
               "devices/input: an evdev input device needs <source dev=...> (line 2)");
    fails_with("\n<input type='evdev' bus='usb'><source dev='/dev/input/event3'/></input>",
               "devices/input@bus: an evdev input device takes no bus (it is not a guest "
               "device) (line 2)");
    fails_with("\n<input type='evdev'><source dev='/dev/input/event3' grab='some'/></input>",
               "devices/input/source@grab: unsupported value 'some' (qlaunch supports: all) "
               "(line 2)");
    fails_with("\n<input type='evdev'><source dev='/dev/input/event3' grabToggle='f12'/>"
               "</input>",
               "devices/input/source@grabToggle: unsupported value 'f12' (qlaunch supports: "
               "ctrl-ctrl, alt-alt, shift-shift, meta-meta, scrolllock, ctrl-scrolllock) "
               "(line 2)");
    fails_with("\n<input type='evdev'><source dev='/dev/input/event3' repeat='often'/>"
               "</input>",
               "devices/input/source@repeat: 'often' is not one of on, off, yes, no (line 2)");
    fails_with("\n<input type='passthrough' bus='virtio'>\n<source/></input>",
               "devices/input/source: a passthrough input device needs <source evdev=...> "
               "(line 3)");
    fails_with("\n<input type='passthrough' bus='usb'><source evdev='/dev/input/event5'/>"
               "</input>",
               "devices/input@bus: a passthrough input device needs bus='virtio' (line 2)");
    fails_with("\n<input type='mouse' bus='usb'><source evdev='/dev/input/event5'/></input>",
               "devices/input/source: unsupported element <source> (line 2)");

    build_check(DOC("", "<input type='evdev'><source dev='/dev/input/event3' grab='all' "
                        "repeat='on' grabToggle='alt-alt'/></input>"),
                "{\"qom-type\":\"input-linux\",\"id\":\"input0\",\"evdev\":"
                "\"/dev/input/event3\",\"repeat\":true,\"grab_all\":true,\"grab-toggle\":"
                "\"alt-alt\"}", true);
    build_check(DOC("", "<input type='evdev'><source dev='/dev/input/event3' repeat='off'/>"
                        "</input>"),
                "{\"qom-type\":\"input-linux\",\"id\":\"input0\",\"evdev\":"
                "\"/dev/input/event3\"}", true);
    build_check(DOC("", "<input type='passthrough' bus='virtio'><source "
                        "evdev='/dev/input/event5'/></input>"),
                "{\"driver\":\"virtio-input-host-pci\",\"id\":\"input0\",\"evdev\":"
                "\"/dev/input/event5\",\"bus\":\"pci.0\",\"addr\":", true);
    build_check(DOC("", "<input type='evdev'><source dev='/dev/input/event3'/><address "
                        "type='pci' domain='0' bus='0' slot='9' function='0'/></input>"),
                "takes no", false);
}

/* <features><ps2 state='off'/> removes the i8042: PS/2 devices cannot exist then. */
static void test_ps2_feature(void **state)
{
    (void)state;
    build_check(DOC("<features><ps2 state='off'/></features>", ""), ",i8042=off", true);
    build_check(DOC("<features><ps2 state='on'/></features>", ""), ",i8042=on", true);
    build_check(DOC("<features><ps2 state='off'/></features>",
                    "<input type='keyboard' bus='usb'/>"), ",i8042=off", true);
    build_check(DOC("<features><ps2 state='off'/></features>",
                    "<input type='mouse' bus='ps2'/>"),
                "a PS/2 mouse needs the i8042 controller, which <features><ps2 state='off'/> "
                "removes; use bus='usb' or 'virtio'", false);
    build_check(DOC("<features><ps2 state='off'/></features>", "<input type='keyboard'/>"),
                "a PS/2 keyboard needs the i8042 controller", false);
}

/* <kvm> hints: KVM paravirtual interfaces, refused under TCG. */
static void test_kvm_features_build(void **state)
{
    (void)state;
    build_check(DOC("<features><kvm><poll-control state='on'/></kvm></features>", ""),
                "<kvm><poll-control state='on'/> is a KVM paravirtual feature and needs KVM; "
                "it has no effect with TCG, remove it or run with --accel kvm", false);
    build_check(DOC("<features><kvm><pv-ipi state='off'/></kvm></features>", ""),
                "<kvm><pv-ipi state='off'/> is a KVM paravirtual feature", false);
    build_check(DOC("<features><kvm><dirty-ring state='on' size='1024'/></kvm></features>",
                    ""),
                "<kvm><dirty-ring state='on'/> is a KVM feature and needs KVM", false);
    /* the default states add nothing and need nothing */
    build_check(DOC("<features><kvm><pv-ipi state='on'/><poll-control state='off'/>"
                    "<dirty-ring state='off'/></kvm></features>", ""), "-accel", true);
}

/* <driver event_idx ioeventfd> on virtio disks and NICs; <pcihole64> on the root bus;
 * virtio channels without a name. */
static void test_virtio_driver_options(void **state)
{
    (void)state;
    struct domain *d = ok("\n<disk type='file'><driver name='qemu' event_idx='on' "
                          "ioeventfd='off'/><source file='/a.img'/><target dev='vda' "
                          "bus='virtio'/></disk>"
                          "<interface type='user'><model type='virtio'/><driver "
                          "event_idx='off' ioeventfd='on'/></interface>"
                          "<controller type='pci' model='pci-root'><pcihole64 "
                          "unit='GiB'>2</pcihole64></controller>");
    assert_int_equal(d->dev.disks[0].event_idx, DOM_TRI_ON);
    assert_int_equal(d->dev.disks[0].ioeventfd, DOM_TRI_OFF);
    assert_int_equal(d->dev.interfaces[0].event_idx, DOM_TRI_OFF);
    assert_int_equal(d->dev.interfaces[0].ioeventfd, DOM_TRI_ON);
    assert_true(d->dev.controllers[0].has_pcihole64);
    assert_int_equal(d->dev.controllers[0].pcihole64_kib, 2 * 1024 * 1024);
    domain_free(d);
    d = ok("\n<controller type='pci' model='pci-root'><pcihole64>0</pcihole64></controller>");
    assert_true(d->dev.controllers[0].has_pcihole64);
    assert_int_equal(d->dev.controllers[0].pcihole64_kib, 0);
    domain_free(d);

    fails_with("\n<disk type='file'><driver name='qemu' event_idx='maybe'/><source "
               "file='/a.img'/><target dev='vda' bus='virtio'/></disk>",
               "devices/disk/driver@event_idx: 'maybe' is not one of on, off, yes, no "
               "(line 2)");
    fails_with("\n<controller type='pci' model='pci-root'>\n<pcihole64 unit='KiB'>lots"
               "</pcihole64></controller>",
               "devices/controller/pcihole64: invalid <pcihole64> size 'lots': not a "
               "non-negative integer (line 3)");
    fails_with("\n<controller type='pci' model='pci-root'>\n<pcihole64 unit='PiB'>5"
               "</pcihole64></controller>",
               "devices/controller/pcihole64: <pcihole64> size '5' is larger than 4 PiB "
               "(x86's 52-bit physical address space) (line 3)");
    fails_with("\n<controller type='usb'>\n<pcihole64>1</pcihole64></controller>",
               "devices/controller/pcihole64: unsupported element <pcihole64> (line 3)");

    build_check(DOC("", "<disk type='file'><driver name='qemu' event_idx='on' "
                        "ioeventfd='off'/><source file='/a.img'/><target dev='vda' "
                        "bus='virtio'/></disk>"),
                "{\"driver\":\"virtio-blk-pci\",\"ioeventfd\":false,\"event_idx\":true,",
                true);
    build_check(DOC("", "<disk type='file'><driver name='qemu' event_idx='on'/><source "
                        "file='/a.img'/><target dev='sda' bus='sata'/></disk>"),
                "<driver event_idx> is only valid on virtio disks", false);
    build_check(DOC("", "<interface type='user'><model type='virtio'/><driver "
                        "ioeventfd='on' event_idx='off'/></interface>"),
                "\"ioeventfd\":true,\"event_idx\":false,", true);
    build_check(DOC("", "<interface type='user'><model type='e1000'/><driver "
                        "ioeventfd='on'/></interface>"),
                "<driver ioeventfd> needs a virtio NIC", false);
    /* libvirt skips vhost-net for user networking; so does qlaunch (with a note) */
    build_check(DOC("", "<interface type='user'><model type='virtio'/><driver "
                        "name='vhost'/></interface>"), "{\"type\":\"user\"", true);
    build_check(DOC("", "<controller type='pci' model='pci-root'><pcihole64 unit='KiB'>"
                        "1048576</pcihole64></controller>"),
                "i440FX-pcihost.pci-hole64-size=1048576K", true);
    build_check(DOC_Q35("<controller type='pci' index='0' model='pcie-root'><pcihole64>"
                        "0</pcihole64></controller>"),
                "q35-pcihost.pci-hole64-size=0K", true);
    build_check(DOC_Q35("<controller type='pci' index='0' model='pcie-root'/>"
                        "<controller type='pci' index='1' model='pcie-root-port'><pcihole64>"
                        "1024</pcihole64></controller>"),
                "<pcihole64> is only for the root PCI controller (pci-root on pc, pcie-root "
                "on q35)", false);
    build_check(DOC("", "<channel type='pty'><target type='virtio'/></channel>"),
                "{\"driver\":\"virtserialport\",\"bus\":\"virtio-serial0.0\",\"nr\":1,"
                "\"chardev\":\"charchannel0\",\"id\":\"channel0\"}", true);
    build_check(DOC("", "<channel type='unix'><source mode='bind'/><target type='virtio'/>"
                        "</channel>"),
                "vioser-00-00-01.sock", true);
}

static void test_graphics_spice(void **state)
{
    (void)state;
    struct domain *d = ok("\n<graphics type='spice' port='5903' tlsPort='5904' autoport='no' "
                          "listen='127.0.0.1' passwd='S3cretPW' passwdValidTo='2030-01-01T00:00:00'"
                          " connected='disconnect' keymap='en-us' defaultMode='secure'>"
                          "<listen type='address' address='127.0.0.1'/>"
                          "<image compression='auto_glz'/><jpeg compression='never'/>"
                          "<zlib compression='always'/><playback compression='off'/>"
                          "<streaming mode='filter'/><clipboard copypaste='no'/>"
                          "<filetransfer enable='no'/><mouse mode='client'/>"
                          "<gl enable='yes' rendernode='/dev/dri/renderD128'/>"
                          "<channel name='main' mode='secure'/>"
                          "<channel name='inputs' mode='insecure'/></graphics>");
    struct dom_graphics *g = &d->dev.graphics[0];
    assert_int_equal(g->type, DOM_GFX_SPICE);
    assert_int_equal(g->port, 5903);
    assert_int_equal(g->tls_port, 5904);
    assert_int_equal(g->websocket, -1);
    assert_int_equal(g->autoport, DOM_TRI_OFF);
    assert_string_equal(g->listen, "127.0.0.1");
    assert_int_equal(g->n_listens, 1);
    assert_int_equal(g->listens[0].type, DOM_LISTEN_ADDRESS);
    assert_string_equal(g->listens[0].address, "127.0.0.1");
    assert_string_equal(g->passwd, "S3cretPW");
    assert_string_equal(g->passwd_valid_to, "2030-01-01T00:00:00");
    assert_int_equal(g->passwd_valid_to_epoch, 1893456000);
    assert_string_equal(dom_gfx_connected_to_string(g->connected), "disconnect");
    assert_string_equal(g->keymap, "en-us");
    assert_string_equal(dom_spice_mode_to_string(g->default_mode), "secure");
    assert_string_equal(dom_spice_image_to_string(g->image_compression), "auto_glz");
    assert_string_equal(dom_spice_wan_to_string(g->jpeg_compression), "never");
    assert_string_equal(dom_spice_wan_to_string(g->zlib_compression), "always");
    assert_string_equal(dom_tristate_to_string(g->playback_compression), "off");
    assert_string_equal(dom_spice_streaming_to_string(g->streaming_mode), "filter");
    assert_int_equal(g->copypaste, DOM_TRI_OFF);
    assert_int_equal(g->filetransfer, DOM_TRI_OFF);
    assert_string_equal(dom_spice_mouse_to_string(g->mouse_mode), "client");
    assert_int_equal(g->gl, DOM_TRI_ON);
    assert_string_equal(g->gl_rendernode, "/dev/dri/renderD128");
    assert_int_equal(g->n_channels, 2);
    assert_string_equal(dom_spice_channel_name_to_string(g->channels[1].name), "inputs");
    assert_string_equal(dom_spice_mode_to_string(g->channels[1].mode), "insecure");
    domain_free(d);

    /* A bad value next to a password: the message must not carry the secret. */
    fails_with("\n<graphics type='spice' passwd='S3cretPW' connected='maybe'/>",
               "devices/graphics@connected: unsupported value 'maybe' (qlaunch supports: keep, "
               "disconnect, fail) (line 2)");
    assert_false(any_diag_contains("S3cretPW"));
    fails_with("\n<graphics type='spice' listen='0.0.0.0'><listen type='address' "
               "address='127.0.0.1'/></graphics>",
               "devices/graphics@listen: listen address '0.0.0.0' does not match the first "
               "<listen address='127.0.0.1'> (line 2)");
    fails_with("\n<graphics type='sdl'/>",
               "devices/graphics@type: unsupported graphics type 'sdl' (qlaunch supports: "
               "spice, vnc) (line 2)");
    fails_with("\n<graphics type='spice'><image compression='fancy'/></graphics>",
               "devices/graphics/image@compression: unsupported value 'fancy' (qlaunch "
               "supports: auto_glz, auto_lz, quic, glz, lz, off) (line 2)");
}

/* passwdValidTo is parsed by the parser, in UTC, and a bad one is an error that names it. */
static void test_graphics_passwd_valid_to(void **state)
{
    (void)state;
    static const struct {
        const char *when;
        int64_t epoch;
    } good[] = {
        {"1970-01-01T00:00:00", 0},
        {"2024-02-29T23:59:59", 1709251199},
        {"2000-03-01T12:34:56", 951914096},
        {"2100-03-01T00:00:00", 4107542400},
        {"9999-12-31T23:59:59", 253402300799},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char *devs = xasprintf("\n<graphics type='vnc' passwd='pw' passwdValidTo='%s'/>",
                               good[i].when);
        struct domain *d = ok(devs);
        assert_string_equal(d->dev.graphics[0].passwd_valid_to, good[i].when);
        assert_int_equal(d->dev.graphics[0].passwd_valid_to_epoch, good[i].epoch);
        domain_free(d);
        free(devs);
    }
    static const char *const bad[] = {
        "not-a-date",
        "2024-02-30T00:00:00",      /* libvirt would fold it into March */
        "2023-02-29T00:00:00",      /* not a leap year */
        "2100-02-29T00:00:00",
        "2024-13-01T00:00:00",
        "2024-00-10T00:00:00",
        "2024-04-31T00:00:00",
        "2024-01-01T24:00:00",
        "2024-01-01T23:60:00",
        "2024-01-01T23:59:60",
        "2024-01-01T00:00:00Z",     /* UTC is implied, no zone designator */
        "2024-01-01 00:00:00",
        "2024-1-01T00:00:00",
        "+024-01-01T00:00:00",
        "1969-12-31T23:59:59",
        "2024-01-01T00:00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *devs = xasprintf("\n<graphics type='spice' passwd='S3cretPW' passwdValidTo='%s'/>",
                               bad[i]);
        char *want = xasprintf("devices/graphics@passwdValidTo: passwdValidTo='%s' is not a "
                               "date and time YYYY-MM-DDTHH:MM:SS (UTC) (line 2)", bad[i]);
        fails_with(devs, want);
        assert_false(any_diag_contains("S3cretPW"));
        free(want);
        free(devs);
    }
}

static void test_graphics_vnc(void **state)
{
    (void)state;
    struct domain *d = ok("\n<graphics type='vnc' port='5900' websocket='5700' "
                          "sharePolicy='allow-exclusive' autoport='yes'>"
                          "<listen type='socket' socket='/run/vnc.sock'/></graphics>"
                          "<graphics type='vnc' socket='/run/legacy.sock'/>"
                          "<graphics type='vnc'><listen type='none'/></graphics>"
                          "<graphics type='vnc'><listen type='network' network='default'/>"
                          "</graphics>");
    struct dom_graphics *g = d->dev.graphics;
    assert_int_equal(g[0].type, DOM_GFX_VNC);
    assert_int_equal(g[0].websocket, 5700);
    assert_int_equal(g[0].tls_port, -1);
    assert_string_equal(dom_vnc_share_to_string(g[0].share_policy), "allow-exclusive");
    assert_int_equal(g[0].autoport, DOM_TRI_ON);
    assert_string_equal(g[0].listens[0].socket, "/run/vnc.sock");
    assert_int_equal(g[1].n_listens, 1);
    assert_int_equal(g[1].listens[0].type, DOM_LISTEN_SOCKET);
    assert_string_equal(g[1].listens[0].socket, "/run/legacy.sock");
    assert_int_equal(g[2].listens[0].type, DOM_LISTEN_NONE);
    assert_string_equal(g[3].listens[0].network, "default");
    domain_free(d);
    /* spice-only children are not consumed on vnc */
    fails_with("\n<graphics type='vnc'><image compression='off'/></graphics>",
               "devices/graphics/image: unsupported element <image> (line 2)");
}

/* Names from the XML that the builder turns into socket paths in the run directory must
 * stay one component of it, and the paths must fit a unix socket address. */
static void test_run_dir_sockets(void **state)
{
    (void)state;
#define CHANNEL(name) "<channel type='unix'><source mode='bind'/>" \
        "<target type='virtio' name='" name "'/></channel>"
    build_check(DOC("", CHANNEL("../../../tmp/x")), "devices/channel: channel target name "
                "'../../../tmp/x' contains '/', so it cannot name a socket in the run directory; "
                "give <source mode='bind' path='...'/>", false);
    build_check(DOC("", CHANNEL("..")), "channel target name '..' is '.' or '..'", false);
    build_check(DOC("", CHANNEL(".")), "channel target name '.' is '.' or '..'", false);
    build_check(DOC("", CHANNEL("a&#10;b")), "channel target name contains a control "
                "character", false);
    build_check(DOC("", CHANNEL("org.qemu.guest_agent.0")),
                "path=/run/qlaunch/t/org.qemu.guest_agent.0", true);
    /* A name with '/' is fine where it names only the port (the socket has a path). */
    build_check(DOC("", "<channel type='unix'><source mode='bind' path='/s.sock'/>"
                    "<target type='virtio' name='a/b'/></channel>"), "\"name\":\"a/b\"", true);
#undef CHANNEL
    /* /run/qlaunch/NAME/vnc.sock with a 90-byte name is 112 bytes */
#define NAME90 "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
    build_check("<domain type='qemu'><name>" NAME90 "</name><memory unit='MiB'>64</memory>"
                "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
                "<graphics type='vnc'><listen type='socket'/></graphics></devices></domain>",
                "the socket path '/run/qlaunch/" NAME90 "/vnc.sock' is 112 bytes, more than the "
                "107 a unix socket path can have; give <listen type='socket' socket='...'/>",
                false);
#undef NAME90
}

/* A listen address is a host name or an IP address, never option syntax for -vnc. */
static void test_graphics_listen_address(void **state)
{
    (void)state;
    fails_with("\n<graphics type='vnc' listen='websocket=0.0.0.0'/>",
               "devices/graphics@listen: listen address 'websocket=0.0.0.0' is not an IPv4 or "
               "IPv6 address or a host name (line 2)");
    fails_with("\n<graphics type='spice'><listen type='address' address='1.2.3.4,to=9'/>"
               "</graphics>", "devices/graphics/listen@address: listen address '1.2.3.4,to=9' "
               "is not an IPv4 or IPv6 address or a host name (line 2)");
    fails_with("\n<graphics type='vnc'><listen type='network' network='n' address='::1:x'/>"
               "</graphics>", "devices/graphics/listen@address: listen address '::1:x' is not "
               "an IPv4 or IPv6 address or a host name (line 2)");
    static const char *const good[] = {"127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1%eth0",
                                       "localhost", "vm-host.example.com", "my_host"};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        assert_true(dom_listen_address_ok(good[i]));
    static const char *const bad[] = {"", "websocket=0.0.0.0", "a,b", "1.2.3.4:5900", "[::1]",
                                      "fe80::1%", "fe80::1%eth0/x", "host name", "x\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        assert_false(dom_listen_address_ok(bad[i]));
    build_check(DOC("", "<graphics type='vnc' listen='::1' port='5901'/>"), "[::1]:1", true);
}

/* ---- video, sound, audio ---- */

static void test_video_sound_audio(void **state)
{
    (void)state;
    struct domain *d = ok("\n<video><model type='qxl' ram='65536' vram='32768' vram64='0' "
                          "vgamem='16384' heads='2' primary='yes'>"
                          "<acceleration accel3d='no'/></model>"
                          "<address type='pci' domain='0x0000' bus='0x00' slot='0x02' "
                          "function='0x0'/></video>"
                          "<video/>"
                          "<sound model='ich9'><codec type='duplex'/><codec type='micro'/>"
                          "<audio id='1'/></sound>"
                          "<sound model='ac97'/>"
                          "<audio id='1' type='spice'/><audio id='2' type='none'/>");
    struct dom_video *v = d->dev.videos;
    assert_int_equal(d->dev.n_videos, 2);
    assert_string_equal(dom_video_model_to_string(v[0].model), "qxl");
    assert_int_equal(v[0].ram, 65536);
    assert_int_equal(v[0].vram, 32768);
    assert_int_equal(v[0].vgamem, 16384);
    assert_int_equal(v[0].heads, 2);
    assert_int_equal(v[0].primary, DOM_TRI_ON);
    assert_int_equal(v[0].accel3d, DOM_TRI_OFF);
    assert_int_equal(v[0].addr.slot, 2);
    assert_int_equal(v[1].model, 0);
    struct dom_sound *s = d->dev.sounds;
    assert_string_equal(dom_sound_model_to_string(s[0].model), "ich9");
    assert_int_equal(s[0].n_codecs, 2);
    assert_string_equal(dom_sound_codec_to_string(s[0].codecs[1]), "micro");
    assert_int_equal(s[0].audio_id, 1);
    assert_string_equal(dom_sound_model_to_string(s[1].model), "ac97");
    assert_int_equal(d->dev.n_audios, 2);
    assert_string_equal(dom_audio_type_to_string(d->dev.audios[0].type), "spice");
    assert_int_equal(d->dev.audios[1].id, 2);
    domain_free(d);

    fails_with("\n<video><model type='qxl'/><driver iommu='on'/></video>",
               "devices/video/driver: unsupported element <driver> (line 2)");
    fails_with("\n<video><model type='hologram'/></video>",
               "devices/video/model@type: unsupported value 'hologram' (qlaunch supports: vga, "
               "cirrus, vmvga, qxl, virtio, bochs, ramfb, none) (line 2)");
    fails_with("\n<audio id='1' type='pulseaudio'/>",
               "devices/audio@type: unsupported value 'pulseaudio' (qlaunch supports: none, "
               "spice, alsa, oss) (line 2)");
    fails_with("\n<audio id='1' type='none'/>\n<audio id='1' type='spice'/>",
               "devices/audio[2]@id: audio id '1' is used twice (line 3)");
    fails_with("\n<sound model='ac97'><codec type='duplex'/></sound>",
               "devices/sound/codec: unsupported element <codec> (line 2)");
}

/* ---- character devices ---- */

static void test_chr_sources(void **state)
{
    (void)state;
    struct domain *d = ok(
        "\n<serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/>"
        "</target></serial>"
        "<console type='pty' tty='/dev/pts/3'><source path='/dev/pts/3'/>"
        "<target type='serial' port='0'/></console>"
        "<serial type='file'><source path='/var/log/s.log' append='on'/>"
        "<log file='/var/log/l.log' append='off'/><target port='1'/></serial>"
        "<serial type='unix'><source mode='connect' path='/run/s.sock'>"
        "<reconnect enabled='yes' timeout='10'/></source></serial>"
        "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4444'/>"
        "<protocol type='telnet'/></serial>"
        "<serial type='udp'><source mode='bind' host='0.0.0.0' service='9998'/>"
        "<source mode='connect' host='192.168.1.1' service='9999'/></serial>"
        "<serial type='spiceport'><source channel='org.qemu.console.serial.0'/></serial>"
        "<parallel type='dev'><source path='/dev/parport0'/><target port='0'/></parallel>"
        "<channel type='unix'><source mode='bind' path='/run/ga.sock'/>"
        "<target type='virtio' name='org.qemu.guest_agent.0' state='connected'/>"
        "<address type='virtio-serial' controller='0' bus='0' port='2'/></channel>"
        "<channel type='spicevmc'><target type='virtio'/></channel>"
        "<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='4600'/>"
        "</channel>"
        "<console type='null'><target type='virtio'/></console>"
        "<serial type='unix'><source path='/run/u.sock'/></serial>"
        "<serial type='tcp'><source host='h' service='1'/></serial>");
    struct dom_chr *c = d->dev.chrs;
    assert_int_equal(d->dev.n_chrs, 14);
    assert_int_equal(c[0].kind, DOM_CHR_SERIAL);
    assert_int_equal(c[0].source.type, DOM_CHR_PTY);
    assert_string_equal(dom_chr_target_to_string(c[0].target_type), "isa-serial");
    assert_string_equal(dom_chr_target_model_to_string(c[0].target_model), "isa-serial");
    assert_int_equal(c[0].target_port, 0);
    assert_int_equal(c[1].kind, DOM_CHR_CONSOLE);
    assert_string_equal(dom_chr_target_to_string(c[1].target_type), "serial");
    assert_string_equal(c[2].source.path, "/var/log/s.log");
    assert_int_equal(c[2].source.append, DOM_TRI_ON);
    assert_string_equal(c[2].source.log_file, "/var/log/l.log");
    assert_int_equal(c[2].source.log_append, DOM_TRI_OFF);
    assert_int_equal(c[2].target_port, 1);
    assert_string_equal(dom_chr_mode_to_string(c[3].source.mode), "connect");
    assert_int_equal(c[3].source.reconnect, DOM_TRI_ON);
    assert_int_equal(c[3].source.reconnect_timeout, 10);
    assert_string_equal(dom_chr_mode_to_string(c[4].source.mode), "bind");
    assert_string_equal(c[4].source.host, "127.0.0.1");
    assert_string_equal(c[4].source.service, "4444");
    assert_string_equal(dom_chr_protocol_to_string(c[4].source.protocol), "telnet");
    assert_string_equal(c[5].source.host, "192.168.1.1");
    assert_string_equal(c[5].source.service, "9999");
    assert_string_equal(c[5].source.bind_host, "0.0.0.0");
    assert_string_equal(c[5].source.bind_service, "9998");
    assert_string_equal(c[6].source.channel, "org.qemu.console.serial.0");
    assert_int_equal(c[7].kind, DOM_CHR_PARALLEL);
    assert_string_equal(c[7].source.path, "/dev/parport0");
    assert_int_equal(c[8].kind, DOM_CHR_CHANNEL);
    assert_string_equal(c[8].target_name, "org.qemu.guest_agent.0");
    assert_string_equal(dom_chr_state_to_string(c[8].target_state), "connected");
    assert_int_equal(c[8].addr.type, DOM_ADDR_VIRTIO_SERIAL);
    assert_true(c[8].addr.has_port);
    assert_int_equal(c[8].addr.port, 2);
    assert_string_equal(c[9].target_name, "com.redhat.spice.0");
    assert_string_equal(dom_chr_target_to_string(c[10].target_type), "guestfwd");
    assert_string_equal(c[10].target_address, "10.0.2.1");
    assert_int_equal(c[10].target_port, 4600);
    assert_int_equal(c[11].source.type, DOM_CHR_NULL);
    assert_string_equal(dom_chr_target_to_string(c[11].target_type), "virtio");
    /* libvirt's defaults: unix binds, tcp connects */
    assert_string_equal(dom_chr_mode_to_string(c[12].source.mode), "bind");
    assert_string_equal(dom_chr_mode_to_string(c[13].source.mode), "connect");
    domain_free(d);
    d = ok("\n<channel type='qemu-vdagent'><target type='virtio'/></channel>");
    assert_string_equal(d->dev.chrs[0].target_name, "com.redhat.spice.0");
    domain_free(d);
}

static void test_chr_errors(void **state)
{
    (void)state;
    fails_with("\n<serial type='file'><target port='0'/></serial>",
               "devices/serial: a 'file' character device needs <source path=...> (line 2)");
    fails_with("\n<serial type='nmdm'/>",
               "devices/serial@type: character device type 'nmdm' exists only for bhyve, not "
               "QEMU (line 2)");
    fails_with("\n<serial type='telepathy'/>",
               "devices/serial@type: unsupported character device type 'telepathy' (qlaunch "
               "supports: pty, file, unix, tcp, udp, null, stdio, vc, dev, pipe, spicevmc, "
               "spiceport, qemu-vdagent, dbus, nmdm) (line 2)");
    fails_with("\n<channel type='pty'/>",
               "devices/channel: a <channel> needs a <target type=...> (line 2)");
    fails_with("\n<serial type='unix'><source mode='bind' path='/s'>"
               "<reconnect enabled='yes' timeout='3'/></source></serial>",
               "devices/serial/source/reconnect: reconnect is only possible for a socket in "
               "connect mode (line 2)");
    fails_with("\n<console type='pty'><target type='xen'/></console>",
               "devices/console/target@type: unsupported value 'xen' (qlaunch supports: serial, "
               "virtio) (line 2)");
    fails_with("\n<serial type='tcp'><source mode='sideways' host='h' service='1'/></serial>",
               "devices/serial/source@mode: unsupported value 'sideways' (qlaunch supports: "
               "bind, connect) (line 2)");
    fails_with("\n<serial type='pty'><source path='/dev/pts/1'/><source path='/x'/></serial>",
               "devices/serial/source[2]: element <source> may appear only once here (line 2)");
    /* <protocol> means something only for tcp */
    fails_with("\n<serial type='pty'><protocol type='telnet'/></serial>",
               "devices/serial/protocol: unsupported element <protocol> (line 2)");
}

/* ---- redirdev, memballoon, rng, watchdog, panic ---- */

static void test_misc_devices(void **state)
{
    (void)state;
    struct domain *d = ok(
        "\n<redirdev bus='usb' type='spicevmc'><boot order='3'/>"
        "<address type='usb' bus='0' port='4'/></redirdev>"
        "<redirdev bus='usb' type='tcp'><source mode='connect' host='localhost' "
        "service='4000'/><protocol type='raw'/></redirdev>"
        "<memballoon model='virtio' autodeflate='on' freePageReporting='off'>"
        "<stats period='10'/><address type='pci' domain='0' bus='0' slot='7' function='0'/>"
        "</memballoon>"
        "<rng model='virtio'><rate bytes='1234' period='2000'/>"
        "<backend model='random'>/dev/hwrng</backend></rng>"
        "<rng model='virtio'><backend model='egd' type='tcp'><source mode='connect' "
        "host='1.2.3.4' service='1234'/><protocol type='raw'/></backend></rng>"
        "<rng model='virtio'><backend model='builtin'/></rng>"
        "<rng model='virtio'><backend model='random'/></rng>"
        "<watchdog model='i6300esb' action='poweroff'/>"
        "<panic model='isa'><address type='isa' iobase='0x505'/></panic>");
    struct dom_devices *v = &d->dev;
    assert_int_equal(v->n_redirdevs, 2);
    assert_string_equal(dom_usb_bus_to_string(v->redirdevs[0].bus), "usb");
    assert_int_equal(v->redirdevs[0].source.type, DOM_CHR_SPICEVMC);
    assert_int_equal(v->redirdevs[0].boot_order, 3);
    assert_string_equal(v->redirdevs[0].addr.usb_port, "4");
    assert_string_equal(v->redirdevs[1].source.host, "localhost");
    assert_string_equal(dom_chr_protocol_to_string(v->redirdevs[1].source.protocol), "raw");
    assert_true(v->memballoon.present);
    assert_string_equal(dom_balloon_model_to_string(v->memballoon.model), "virtio");
    assert_int_equal(v->memballoon.autodeflate, DOM_TRI_ON);
    assert_int_equal(v->memballoon.free_page_reporting, DOM_TRI_OFF);
    assert_int_equal(v->memballoon.stats_period, 10);
    assert_int_equal(v->memballoon.addr.slot, 7);
    assert_int_equal(v->n_rngs, 4);
    assert_string_equal(dom_rng_backend_to_string(v->rngs[0].backend_model), "random");
    assert_string_equal(v->rngs[0].backend_path, "/dev/hwrng");
    assert_int_equal(v->rngs[0].rate_bytes, 1234);
    assert_int_equal(v->rngs[0].rate_period, 2000);
    assert_string_equal(dom_rng_backend_to_string(v->rngs[1].backend_model), "egd");
    assert_int_equal(v->rngs[1].egd.type, DOM_CHR_TCP);
    assert_string_equal(v->rngs[1].egd.host, "1.2.3.4");
    assert_string_equal(dom_rng_backend_to_string(v->rngs[2].backend_model), "builtin");
    assert_null(v->rngs[3].backend_path);
    assert_string_equal(dom_watchdog_model_to_string(v->watchdogs[0].model), "i6300esb");
    assert_string_equal(dom_watchdog_action_to_string(v->watchdogs[0].action), "poweroff");
    assert_string_equal(dom_panic_model_to_string(v->panics[0].model), "isa");
    assert_int_equal(v->panics[0].addr.type, DOM_ADDR_ISA);
    assert_true(v->panics[0].addr.has_iobase);
    assert_int_equal(v->panics[0].addr.iobase, 0x505);
    domain_free(d);

    fails_with("\n<memballoon model='virtio'/>\n<memballoon model='none'/>",
               "devices/memballoon[2]: only one <memballoon> is allowed (line 3)");
    fails_with("\n<redirdev bus='usb' type='pty'/>",
               "devices/redirdev@type: unsupported redirdev type 'pty' (qlaunch supports: "
               "spicevmc, tcp, unix) (line 2)");
    fails_with("\n<rng model='virtio'><backend model='hwrng'/></rng>",
               "devices/rng/backend@model: unsupported value 'hwrng' (qlaunch supports: random, "
               "egd, builtin) (line 2)");
    fails_with("\n<watchdog model='diag288' action='reset'/>",
               "devices/watchdog@model: unsupported value 'diag288' (qlaunch supports: "
               "i6300esb, ib700, itco) (line 2)");
    fails_with("\n<watchdog model='ib700' action='explode'/>",
               "devices/watchdog@action: unsupported value 'explode' (qlaunch supports: reset, "
               "shutdown, poweroff, pause, none, dump, inject-nmi) (line 2)");
}

/* ---- addresses, unsupported elements, limits ---- */

static void test_addresses(void **state)
{
    (void)state;
    struct domain *d = ok("\n<disk type='file' device='cdrom'><target dev='sda' bus='sata'/>"
                          "<address type='drive' controller='1' bus='0' target='2' unit='3'/>"
                          "</disk>"
                          "<video><address type='pci' domain='0x0000' bus='0x02' slot='0x1f'"
                          " function='0x7' multifunction='off'/></video>"
                          "<video><address type='pci'/></video>");
    struct dom_addr *a = &d->dev.disks[0].addr;
    assert_int_equal(a->controller, 1);
    assert_int_equal(a->target, 2);
    assert_int_equal(a->unit, 3);
    a = &d->dev.videos[0].addr;
    assert_int_equal(a->domain, 0);
    assert_int_equal(a->bus, 2);
    assert_int_equal(a->slot, 0x1f);
    assert_int_equal(a->function, 7);
    assert_int_equal(a->multifunction, DOM_TRI_OFF);
    assert_true(a->line == 2);
    /* an empty PCI address means "anywhere", as in libvirt */
    assert_int_equal(d->dev.videos[1].addr.type, DOM_ADDR_NONE);
    domain_free(d);

    fails_with("\n<video><address type='pci' slot='0x20'/></video>",
               "devices/video/address@slot: value '0x20' is out of range (maximum 0x1f) "
               "(line 2)");
    fails_with("\n<video><address type='pci' slot='twelve'/></video>",
               "devices/video/address@slot: 'twelve' is not a valid non-negative integer "
               "(line 2)");
    fails_with("\n<video><address type='ccw' cssid='0xfe'/></video>",
               "devices/video/address@type: unsupported address type 'ccw' (qlaunch supports: "
               "pci, drive, virtio-serial, usb, isa, ccid) (line 2)");
    fails_with("\n<video><address bus='0'/></video>",
               "devices/video/address: <address> needs a type attribute (line 2)");
    fails_with("\n<video><address type='pci' slot='1'/>\n<address type='pci' slot='2'/></video>",
               "devices/video/address[2]: element <address> may appear only once here (line 3)");
}

static void test_unsupported_elements(void **state)
{
    (void)state;
    fails_with("\n<hostdev mode='subsystem' type='pci' managed='yes'><source>"
               "<address domain='0' bus='6' slot='7' function='0'/></source><teaming "
               "type='transient' persistent='ua-backup0'/></hostdev>",
               "devices/hostdev/teaming: unsupported element <teaming> (line 2)");
    fails_with("\n<tpm model='tpm-tis'><backend type='emulator'/></tpm>\n<vsock model='virtio'/>",
               "devices/vsock: unsupported element <vsock> (line 3)");
    fails_with("\n<input type='joystick'/>",
               "devices/input@type: unsupported input type 'joystick' (qlaunch supports: "
               "tablet, mouse, keyboard, passthrough, evdev) (line 2)");
    fails_with("\n<input type='mouse' bus='virtio'><driver iommu='on'/></input>",
               "devices/input/driver: unsupported element <driver> (line 2)");
    /* unknown attribute on a known element */
    fails_with("\n<memballoon model='virtio' bogus='1'/>",
               "devices/memballoon@bogus: unsupported attribute (line 2)");
    /* an alias is ignored by design, its siblings are not */
    struct domain *d = ok("\n<memballoon model='none'><alias name='balloon0'/></memballoon>");
    assert_string_equal(dom_balloon_model_to_string(d->dev.memballoon.model), "none");
    domain_free(d);
}

static void test_tpm(void **state)
{
    (void)state;
    struct domain *d = ok("<tpm model='tpm-crb'><backend type='emulator' version='2.0' "
                          "persistent_state='no'><active_pcr_banks><sha256/><sha512/>"
                          "</active_pcr_banks></backend><alias name='tpm0'/></tpm>");
    assert_int_equal(d->dev.n_tpms, 1);
    const struct dom_tpm *t = &d->dev.tpms[0];
    assert_int_equal(t->model, DOM_TPM_CRB);
    assert_int_equal(t->backend, DOM_TPM_EMULATOR);
    assert_int_equal(t->version, DOM_TPM_VERSION_2_0);
    assert_int_equal(t->persistent_state, DOM_TRI_OFF);
    assert_int_equal(t->pcr_banks, (1u << DOM_TPM_PCR_SHA256) | (1u << DOM_TPM_PCR_SHA512));
    domain_free(d);
    d = ok("<tpm><backend type='passthrough'><device path='/dev/tpm1'/></backend></tpm>");
    assert_int_equal(d->dev.tpms[0].model, DOM_TPM_MODEL_DEFAULT);
    assert_string_equal(d->dev.tpms[0].device_path, "/dev/tpm1");
    domain_free(d);
    fails_with("\n<tpm model='tpm-tis'/>", "devices/tpm: a <tpm> needs a <backend> (line 2)");
    fails_with("\n<tpm model='tpm-spapr'><backend type='emulator'/></tpm>",
               "devices/tpm@model: unsupported TPM model 'tpm-spapr' (qlaunch supports: "
               "tpm-tis, tpm-crb) (line 2)");
    fails_with("\n<tpm><backend type='emulator'><active_pcr_banks><md5/></active_pcr_banks>"
               "</backend></tpm>",
               "devices/tpm/backend/active_pcr_banks/md5: unsupported element <md5> (line 2)");
    fails_with("\n<tpm><backend type='emulator'><encryption secret='x'/></backend></tpm>",
               "devices/tpm/backend/encryption: unsupported element <encryption> (line 2)");
    /* What QEMU cannot do, as libvirt refuses it. */
    build_check(DOC("", "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>"),
                "the tpm-crb interface needs a TPM 2.0", false);
    build_check(DOC("", "<tpm><backend type='emulator'/><address type='isa' iobase='0x10'/>"
                        "</tpm>"), "a TPM takes no <address>", false);
    build_check(DOC("", "<tpm><backend type='emulator'/></tpm><tpm><backend "
                        "type='emulator'/></tpm>"), "only one TPM is supported", false);
    build_check(DOC("", "<tpm><backend type='emulator'/></tpm>"),
                "{\"driver\":\"tpm-tis\",\"tpmdev\":\"tpm-tpm0\",\"id\":\"tpm0\"}", true);
}

static void test_device_limit(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "\n");
    for (int i = 0; i < DOM_MAX_DEVICES + 1; i++)
        sb_add(&sb, "<watchdog model='ib700'/>");
    fails_with(sb_str(&sb), "devices: 1025 <watchdog> devices exceed the limit of 1024 (line 1)");
    /* one message for the family, not one per element */
    assert_int_equal(diags.n_errors, 1);
    sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_file),
        cmocka_unit_test(test_disk_network_and_cdrom),
        cmocka_unit_test(test_disk_errors),
        cmocka_unit_test(test_controllers),
        cmocka_unit_test(test_interface_bridge_ovs),
        cmocka_unit_test(test_interface_other_types),
        cmocka_unit_test(test_interface_errors),
        cmocka_unit_test(test_input),
        cmocka_unit_test(test_input_host),
        cmocka_unit_test(test_ps2_feature),
        cmocka_unit_test(test_kvm_features_build),
        cmocka_unit_test(test_virtio_driver_options),
        cmocka_unit_test(test_graphics_spice),
        cmocka_unit_test(test_graphics_passwd_valid_to),
        cmocka_unit_test(test_graphics_vnc),
        cmocka_unit_test(test_run_dir_sockets),
        cmocka_unit_test(test_graphics_listen_address),
        cmocka_unit_test(test_video_sound_audio),
        cmocka_unit_test(test_chr_sources),
        cmocka_unit_test(test_chr_errors),
        cmocka_unit_test(test_misc_devices),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_unsupported_elements),
        cmocka_unit_test(test_tpm),
        cmocka_unit_test(test_device_limit),
        cmocka_unit_test(test_libvirt_agreement),
        cmocka_unit_test(test_floppy_hub_iothread),
        cmocka_unit_test(test_hostdev),
        cmocka_unit_test(test_nic_queues_vhost),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    teardown_all();
    return r;
}
