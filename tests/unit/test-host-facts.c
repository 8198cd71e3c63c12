/* What the pure builder takes from the host (sup_build_prepare) and the XML it serves:
 * <sysinfo> and <os><smbios mode> (the parser's checks, libvirt's; the host's SMBIOS read
 * from a fake sysfs tree, the raw table's OEM strings; the builder with the host's tables), and disks with
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
#include "host/dmi.h"
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

static char tdir[] = "/tmp/ql-dmi-XXXXXX";     /* a fake sysfs root */
#define DMI_ID "class/dmi/id"
#define DMI_TABLE "firmware/dmi/tables/DMI"

static void put_bytes(const char *name, const void *data, size_t len, mode_t mode)
{
    char *p = xasprintf("%s/%s", tdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    chmod(p, mode);
    free(p);
}

static void put(const char *name, const char *text, mode_t mode)
{
    char *p = xasprintf(DMI_ID "/%s", name);
    put_bytes(p, text, strlen(text), mode);
    free(p);
}

static void mkdirs(const char *rel)
{
    char *p = xasprintf("%s/%s", tdir, rel);
    for (char *s = p + strlen(tdir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

static void rmdirs(const char *rel)
{
    char *p = xasprintf("%s/%s", tdir, rel);
    for (char *s; strlen(p) > strlen(tdir); *s = '\0') {
        assert_int_equal(rmdir(p), 0);
        s = strrchr(p, '/');
    }
    free(p);
}

/* A raw SMBIOS table as the firmware writes it: a type 0 without strings, a type 11 with
 * two OEM strings (the second with a comma), a type 1 with one string, a second type 11,
 * the end structure, then bytes past the end that are never read. */
static const uint8_t table[] = {
    0, 4, 0x00, 0x00, 0, 0,
    11, 5, 0x01, 0x00, 2, 'o', 'e', 'm', '-', '1', 0, 'a', ',', 'b', 0, 0,
    1, 5, 0x02, 0x00, 1, 'x', 0, 0,
    11, 5, 0x03, 0x00, 1, 'l', 'a', 's', 't', 0, 0,
    127, 4, 0xff, 0xff, 0, 0,
    11, 5, 0x04, 0x00, 1, 'n', 'o', 0, 0,
};

/* Parses tbl, expecting the error text want (NULL: success with n strings). */
static void expect_oem(const uint8_t *tbl, size_t len, const char *want, size_t n)
{
    char **oem = NULL;
    size_t got = 0;
    struct ql_error err = QL_ERROR_INIT;
    int r = host_dmi_oem_strings(tbl, len, &oem, &got, &err);
    if (want) {
        assert_int_equal(r, -EINVAL);
        assert_string_equal(ql_error_msg(&err), want);
        ql_error_clear(&err);
    } else {
        assert_int_equal(r, 0);
        assert_int_equal(got, n);
    }
    for (size_t i = 0; i < got; i++)
        free(oem[i]);
    free(oem);
}

/* The raw table parser: strings in order, and a precise refusal of each malformed table. */
static void test_dmi_table(void **state)
{
    (void)state;
    char **oem = NULL;
    size_t n = 0;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_dmi_oem_strings(table, sizeof(table), &oem, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(oem[0], "oem-1");
    assert_string_equal(oem[1], "a,b");
    assert_string_equal(oem[2], "last");
    for (size_t i = 0; i < n; i++)
        free(oem[i]);
    free(oem);

    expect_oem(table, 0, NULL, 0);
    expect_oem(table, 3, NULL, 0);      /* less than a header: nothing */
    expect_oem(table, 5, "host SMBIOS table: the strings of the structure at byte 0 do not "
               "end before the table does", 0);
    expect_oem(table, 20, "host SMBIOS table: the strings of the structure at byte 6 do not "
               "end before the table does", 0);
    static const uint8_t short_len[] = {11, 3, 0, 0, 0, 0};
    expect_oem(short_len, sizeof(short_len), "host SMBIOS table: the structure at byte 0 has "
               "a formatted length of 3, outside the table of 6 bytes", 0);
    static const uint8_t long_len[] = {11, 9, 0, 0, 1, 0, 0};
    expect_oem(long_len, sizeof(long_len), "host SMBIOS table: the structure at byte 0 has "
               "a formatted length of 9, outside the table of 7 bytes", 0);
    static const uint8_t past[] = {0, 4, 0, 0, 0, 0, 11, 5, 0, 0, 2, 'a', 0, 0};
    expect_oem(past, sizeof(past), "host SMBIOS table: the structure at byte 6 names OEM "
               "string 2, past its strings", 0);
    static const uint8_t none[] = {11, 5, 0, 0, 1, 0, 0};
    expect_oem(none, sizeof(none), "host SMBIOS table: the structure at byte 0 names OEM "
               "string 1, past its strings", 0);
    static const uint8_t ctl[] = {11, 5, 0, 0, 1, 'a', '\n', 0, 0};
    expect_oem(ctl, sizeof(ctl), "host SMBIOS table: OEM string 1 of the structure at byte 0 "
               "has a control character", 0);
    static const uint8_t zero[] = {11, 5, 0, 0, 0, 'a', 0, 0, 11, 4, 0, 0, 0, 0};
    expect_oem(zero, sizeof(zero), NULL, 0);    /* a count of 0; a type 11 without one */
    /* More strings than qlaunch keeps */
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%c%c%c%c%c", 11, 5, 0, 0, 255);
    for (int i = 0; i < 255; i++)
        sb_addf(&sb, "s%d%c", i, 0);
    sb_addf(&sb, "%c", 0);
    uint8_t *big = (uint8_t *)sb_steal(&sb);
    size_t blen = 5 + 1;
    for (int i = 0; i < 255; i++)
        blen += (size_t)snprintf(NULL, 0, "s%d", i) + 1;
    expect_oem(big, blen, NULL, 255);
    uint8_t *two = xmalloc(2 * blen);
    memcpy(two, big, blen);
    memcpy(two + blen, big, blen);
    expect_oem(two, 2 * blen, "host SMBIOS table: over 256 OEM strings", 0);
    free(two);
    free(big);
}

/* The host's tables from a fake sysfs tree, then built without the host's UUID. */
static void test_host(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tdir));
    struct dom_smbios s;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_read_host_smbios(tdir, &s, &err), -ENOENT);
    char *want = xasprintf("<smbios mode='host'> needs the host's SMBIOS tables, but "
                           "%s/class/dmi/id has none readable (a host without DMI, or a "
                           "container)", tdir);
    assert_string_equal(ql_error_msg(&err), want);
    free(want);
    ql_error_clear(&err);

    mkdirs(DMI_ID);
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
    assert_int_equal(s.n_oem, 0);       /* no raw table */
    dom_smbios_clear(&s);

    /* The raw table's OEM strings, as type 11 */
    mkdirs("firmware/dmi/tables");
    put_bytes(DMI_TABLE, table, sizeof(table), 0400);
    assert_int_equal(sup_read_host_smbios(tdir, &s, &err), 0);
    assert_int_equal(s.n_oem, 3);

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
                              "-smbios type=3,asset=A1 \\\n"
                              "-smbios type=11,value=oem-1,value=a,,b,value=last \\\n"));
    assert_null(strstr(a, "00000000-0000-0000-0000-000000000001"));
    assert_null(strstr(a, "type=2"));
    sb_free(&sb);
    qb_result_free(&r);
    domain_free(d);
    dom_smbios_clear(&s);

    /* A malformed table refuses the start; only the table, no sysfs fields: enough */
    static const uint8_t bad[] = {11, 5, 0, 0, 2, 'a', 0, 0};
    put_bytes(DMI_TABLE, bad, sizeof(bad), 0400);
    assert_int_equal(sup_read_host_smbios(tdir, &s, &err), -EINVAL);
    assert_string_equal(ql_error_msg(&err), "host SMBIOS table: the structure at byte 0 names "
                        "OEM string 2, past its strings");
    ql_error_clear(&err);
    static const char *const files[] = {"bios_vendor", "bios_date", "sys_vendor",
                                        "product_uuid", "board_name", "chassis_asset_tag"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = xasprintf("%s/" DMI_ID "/%s", tdir, files[i]);
        unlink(p);
        free(p);
    }
    put_bytes(DMI_TABLE, table, sizeof(table), 0400);
    assert_int_equal(sup_read_host_smbios(tdir, &s, &err), 0);
    assert_int_equal(s.n_oem, 3);
    assert_null(s.f[DOM_SMBIOS_BIOS][0]);
    dom_smbios_clear(&s);

    /* mode='sysinfo' without <sysinfo type='smbios'>: refused at <smbios> */
    d = tu_domain(HEAD OS("sysinfo") TAIL);
    assert_int_equal(qb_build(d, &o, &r, &err), -EINVAL);
    assert_string_equal(ql_error_msg(&err), "os/smbios@mode: <smbios mode='sysinfo'> needs a "
                        "<sysinfo type='smbios'> (line 5)");
    ql_error_clear(&err);
    domain_free(d);

    char *p = xasprintf("%s/" DMI_TABLE, tdir);
    assert_int_equal(unlink(p), 0);
    free(p);
    rmdirs("firmware/dmi/tables");
    rmdirs(DMI_ID);
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
        cmocka_unit_test(test_dmi_table),
        cmocka_unit_test(test_host),
        cmocka_unit_test(test_optional_disks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
