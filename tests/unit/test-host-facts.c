/* What the pure builder takes from the host (sup_build_prepare) and the XML it serves:
 * <sysinfo> and <os><smbios mode> (the parser's checks, libvirt's; the host's SMBIOS read
 * from a fake /sys/class/dmi/id; the builder with the host's tables), and disks with
 * <source startupPolicy> whose file is missing. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "domain/parse.h"
#include "qemu/build.h"
#include "supervise/prepare.h"
#include "tests/testutil.h"
#include "util/strbuf.h"

#define HEAD "<domain type='qemu'>\n<name>si</name>\n" \
             "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n" \
             "<memory unit='MiB'>64</memory>\n"
#define OS(mode) "<os><type>hvm</type><smbios mode='" mode "'/></os>\n"
#define TAIL "</domain>\n"

static void expect_error(const char *xml, const char *text)
{
    struct dom_diags g = {0};
    struct domain *d = NULL;
    assert_int_equal(tu_parse(xml, &d, &g), -EINVAL);
    if (!tu_find_diag(&g, DOM_DIAG_ERROR, text)) {
        tu_print_diags(&g);
        fail_msg("expected error: %s", text);
    }
    dom_diags_free(&g);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error(HEAD "<sysinfo type='smbios'><bios><entry name='date'>2023-01-02</entry>"
                 "</bios></sysinfo>\n" OS("sysinfo") TAIL,
                 "sysinfo/bios: invalid BIOS date '2023-01-02' (expected mm/dd/yy or "
                 "mm/dd/yyyy) (line 5)");
    expect_error(HEAD "<sysinfo type='smbios'><bios><entry name='release'>1.x</entry>"
                 "</bios></sysinfo>\n" OS("sysinfo") TAIL,
                 "sysinfo/bios: invalid BIOS release '1.x' (expected MAJOR.MINOR, each 0 to "
                 "255) (line 5)");
    expect_error(HEAD "<sysinfo type='smbios'>\n<system><entry name='uuid'>"
                 "00000000-0000-0000-0000-000000000001</entry></system></sysinfo>\n"
                 OS("sysinfo") TAIL,
                 "sysinfo/system: UUID mismatch between <uuid> and <sysinfo> system uuid "
                 "'00000000-0000-0000-0000-000000000001' (line 6)");
    expect_error(HEAD "<sysinfo type='smbios'><chassis><entry name='product'>x</entry>"
                 "</chassis></sysinfo>\n" OS("sysinfo") TAIL,
                 "sysinfo/chassis/entry@name: unknown <chassis> entry 'product' (libvirt "
                 "knows: manufacturer, version, serial, asset, sku) (line 5)");
    expect_error(HEAD "<sysinfo type='fwcfg'><entry name='etc/x'>v</entry></sysinfo>\n"
                 OS("emulate") TAIL,
                 "sysinfo/entry@name: invalid fw_cfg name 'etc/x' (it must start with "
                 "'opt/') (line 5)");
    expect_error(HEAD "<sysinfo type='fwcfg'><entry name='opt/org.qemu/x'>v</entry>"
                 "</sysinfo>\n" OS("emulate") TAIL,
                 "sysinfo/entry@name: fw_cfg name 'opt/org.qemu/x' is reserved (opt/ovmf/ "
                 "and opt/org.qemu/ belong to the firmware and QEMU) (line 5)");
    expect_error(HEAD "<sysinfo type='fwcfg'><entry name='opt/a' file='/f'>v</entry>"
                 "</sysinfo>\n" OS("emulate") TAIL,
                 "sysinfo/entry: a fw_cfg <entry> needs either a value or a file "
                 "attribute, not both (line 5)");
    expect_error(HEAD "<sysinfo type='x86'/>\n" OS("emulate") TAIL,
                 "sysinfo@type: unsupported sysinfo type 'x86' (qlaunch supports: smbios, "
                 "fwcfg) (line 5)");
}

/* A domain without <uuid> takes the one of <sysinfo> (libvirt), in canonical form. */
static void test_uuid_from_sysinfo(void **state)
{
    (void)state;
    struct domain *d = tu_domain("<domain type='qemu'>\n<name>si</name>\n"
                                 "<memory unit='MiB'>64</memory>\n<sysinfo type='smbios'>"
                                 "<system><entry name='uuid'>C7A5FDBDEDAF9455926AD65C16DB1809"
                                 "</entry></system></sysinfo>\n" OS("sysinfo") TAIL);
    assert_true(d->has_uuid);
    assert_string_equal(d->sysinfo.f[DOM_SMBIOS_SYSTEM][DOM_SMBIOS_UUID_FIELD],
                        "c7a5fdbd-edaf-9455-926a-d65c16db1809");
    assert_int_equal(d->uuid[0], 0xc7);
    domain_free(d);
}

static char tdir[] = "/tmp/ql-dmi-XXXXXX";

static void put(const char *name, const char *text, mode_t mode)
{
    char *p = xasprintf("%s/%s", tdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
    free(p);
}

/* The host's tables from a fake sysfs directory, then built without the host's UUID. */
static void test_host(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tdir));
    struct dom_smbios s;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_read_host_smbios(tdir, &s, &err), -ENOENT);
    char *want = xasprintf("<smbios mode='host'> needs the host's SMBIOS tables, but %s has "
                           "none readable (a host without DMI, or a container)", tdir);
    assert_string_equal(ql_error_msg(&err), want);
    free(want);
    ql_error_clear(&err);

    put("bios_vendor", "SeaBIOS\n", 0444);
    put("bios_date", "04/01/2014\n", 0444);
    put("sys_vendor", "ACME, Inc.\n", 0444);
    put("product_uuid", "00000000-0000-0000-0000-000000000001\n", 0444);
    put("board_name", "\n", 0444);     /* empty: absent */
    put("chassis_asset_tag", "A1\n", 0444);
    assert_int_equal(sup_read_host_smbios(tdir, &s, &err), 0);
    assert_string_equal(s.f[DOM_SMBIOS_BIOS][0], "SeaBIOS");
    assert_null(s.f[DOM_SMBIOS_BASEBOARD][1]);
    assert_null(s.f[DOM_SMBIOS_SYSTEM][DOM_SMBIOS_UUID_FIELD]);     /* never read */

    struct domain *d = tu_domain(HEAD OS("host") TAIL);
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .emulator = "/usr/bin/qemu-system-x86_64",
                           .host_smbios = &s};
    struct qb_result r;
    assert_int_equal(qb_build(d, &o, &r, &err), 0);
    struct strbuf sb = STRBUF_INIT;
    qb_result_render(&sb, &r);
    const char *a = sb_str(&sb);
    assert_non_null(strstr(a, "-smbios type=0,vendor=SeaBIOS,date=04/01/2014 \\\n"
                              "-smbios 'type=1,manufacturer=ACME,, Inc.' \\\n"
                              "-smbios type=3,asset=A1 \\\n"));
    assert_null(strstr(a, "00000000-0000-0000-0000-000000000001"));
    assert_null(strstr(a, "type=2"));
    sb_free(&sb);
    qb_result_free(&r);
    domain_free(d);
    dom_smbios_clear(&s);

    /* mode='sysinfo' without <sysinfo type='smbios'>: refused at <smbios> */
    d = tu_domain(HEAD OS("sysinfo") TAIL);
    assert_int_equal(qb_build(d, &o, &r, &err), -EINVAL);
    assert_string_equal(ql_error_msg(&err), "os/smbios@mode: <smbios mode='sysinfo'> needs a "
                        "<sysinfo type='smbios'> (line 5)");
    ql_error_clear(&err);
    domain_free(d);

    static const char *const files[] = {"bios_vendor", "bios_date", "sys_vendor",
                                        "product_uuid", "board_name", "chassis_asset_tag"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = xasprintf("%s/%s", tdir, files[i]);
        unlink(p);
        free(p);
    }
    assert_int_equal(rmdir(tdir), 0);
}

/* startupPolicy='optional' with a missing file: a cdrom starts empty, a disk is left out
 * (libvirt's qemuDomainCheckRemoveOptionalDisk); without host facts both are used. */
static void test_optional_disks(void **state)
{
    (void)state;
    struct domain *d = tu_domain(
        HEAD "<os><type>hvm</type></os>\n<devices>\n"
        "<disk type='file' device='disk' snapshot='external'>"
        "<source file='/nonexistent/a.qcow2' startupPolicy='optional'/>"
        "<target dev='vda' bus='virtio'/></disk>\n"
        "<disk type='file' device='cdrom'><source file='/nonexistent/b.iso' "
        "startupPolicy='optional'/><target dev='hdc' bus='ide'/><readonly/></disk>\n"
        "<disk type='file' device='disk'><source file='/nonexistent/c.img'/>"
        "<target dev='vdb' bus='virtio'/></disk>\n</devices>\n" TAIL);
    assert_int_equal(d->dev.disks[0].snapshot, DOM_DISK_SNAPSHOT_EXTERNAL);
    assert_int_equal(d->dev.disks[1].startup_policy, DOM_STARTUP_OPTIONAL);
    const bool absent[3] = {true, true, true};  /* the third is not optional: used */
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .emulator = "/usr/bin/qemu-system-x86_64",
                           .disk_absent = absent};
    struct qb_result r;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qb_build(d, &o, &r, &err), 0);
    struct strbuf sb = STRBUF_INIT;
    qb_result_render(&sb, &r);
    const char *a = sb_str(&sb);
    assert_null(strstr(a, "a.qcow2\""));
    assert_null(strstr(a, "b.iso\""));
    assert_non_null(strstr(a, "/nonexistent/c.img"));
    assert_non_null(strstr(a, "{\"driver\":\"ide-cd\",\"bus\":\"ide.1\",\"unit\":0,"
                              "\"id\":\"ide0-1-0\"}"));
    assert_non_null(strstr(a, "# note: devices/disk[1] (line 7): '/nonexistent/a.qcow2' does "
                              "not exist and startupPolicy='optional': the disk is left out"));
    assert_non_null(strstr(a, "# note: devices/disk[2] (line 8): '/nonexistent/b.iso' does "
                              "not exist and startupPolicy='optional': the drive starts empty"));
    sb_free(&sb);
    qb_result_free(&r);

    o.disk_absent = NULL;
    assert_int_equal(qb_build(d, &o, &r, &err), 0);
    qb_result_render(&sb, &r);
    assert_non_null(strstr(sb_str(&sb), "/nonexistent/a.qcow2"));
    assert_non_null(strstr(sb_str(&sb), "/nonexistent/b.iso"));
    sb_free(&sb);
    qb_result_free(&r);
    domain_free(d);

    expect_error(HEAD "<os><type>hvm</type></os>\n<devices>\n<disk type='file' device='disk'>"
                 "<source file='/a' startupPolicy='requisite'/><target dev='vda'/></disk>\n"
                 "</devices>\n" TAIL,
                 "devices/disk/source@startupPolicy: setting disk 'requisite' is allowed only "
                 "for cdrom or floppy (line 7)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_uuid_from_sysinfo),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_optional_disks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
