/* <os firmware='efi'> auto-selection from firmware descriptors (private directories via
 * QLAUNCH_FIRMWARE_DIRS, and Debian's real ones when installed), VARS templates of
 * explicit loaders, the builder with a resolved firmware, and NVRAM file creation. */
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
#include "host/firmware.h"
#include "qemu/build.h"
#include "tests/testutil.h"
#include "util/strbuf.h"

static char tdir[] = "/tmp/ql-fw-XXXXXX";

static void put(const char *rel, const char *text)
{
    char *p = xasprintf("%s/%s", tdir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

static char *desc(const char *iface, const char *code, const char *vars, const char *machines,
                  const char *features)
{
    return xasprintf("{\"interface-types\":[\"%s\"],\"mapping\":{\"device\":\"flash\","
                     "\"executable\":{\"filename\":\"%s\",\"format\":\"raw\"},"
                     "\"nvram-template\":{\"filename\":\"%s\",\"format\":\"raw\"}},"
                     "\"targets\":[{\"architecture\":\"x86_64\",\"machines\":[%s]}],"
                     "\"features\":[%s],\"tags\":[]}",
                     iface, code, vars, machines, features);
}

static void put_desc(const char *rel, const char *iface, const char *code, const char *vars,
                     const char *machines, const char *features)
{
    char *d = desc(iface, code, vars, machines, features);
    put(rel, d);
    free(d);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tdir));
    char *a = xasprintf("%s/a", tdir), *b = xasprintf("%s/b", tdir);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0755), 0);
    /* b: the distribution's directory; a: the admin's, searched first. */
    put_desc("b/05-masked.json", "uefi", "/fw/MASKED_CODE.fd", "/fw/MASKED_VARS.fd",
             "\"pc-*\",\"q35\",\"pc-q35-*\"", "");
    put("a/05-masked.json", "");
    put_desc("b/10-secure.json", "uefi", "/fw/SEC_CODE.fd", "/fw/SEC_VARS.fd",
             "\"pc-q35-*\"", "\"acpi-s3\",\"enrolled-keys\",\"requires-smm\",\"secure-boot\"");
    put_desc("b/15-other.json", "uefi", "/fw/B_OTHER.fd", "/fw/B_OTHER_VARS.fd",
             "\"pc-i440fx-*\",\"pc-q35-*\"", "");
    put_desc("a/15-other.json", "uefi", "/fw/A_OTHER.fd", "/fw/A_OTHER_VARS.fd",
             "\"microvm\"", "");
    put_desc("b/20-plain.json", "uefi", "/fw/PLAIN_CODE.fd", "/fw/PLAIN_VARS.fd",
             "\"pc-i440fx-*\",\"pc-q35-*\"", "\"acpi-s3\"");
    put_desc("b/30-bios.json", "bios", "/fw/BIOS.fd", "/fw/BIOS_VARS.fd", "\"pc-*\"", "");
    put("b/README", "not a descriptor");
    char *env = xasprintf("%s:%s", a, b);
    setenv("QLAUNCH_FIRMWARE_DIRS", env, 1);
    free(env);
    free(a);
    free(b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tdir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    return 0;
}

/* A domain with the given <os> contents (and extra top-level elements). */
static struct domain *dom(const char *os_attrs, const char *machine, const char *os_body,
                          const char *extra)
{
    return tu_domainf("<domain type='qemu'><name>fw</name><memory unit='MiB'>64</memory>"
                      "<os%s><type arch='x86_64' machine='%s'>hvm</type>%s</os>%s"
                      "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                      "<memballoon model='none'/></devices></domain>",
                      os_attrs, machine, os_body, extra);
}

static void expect(struct domain *d, const char *loader, const char *vars, bool smm)
{
    struct host_firmware f;
    struct ql_error err = QL_ERROR_INIT;
    int r = host_firmware_resolve(d, &f, &err);
    if (r < 0)
        fprintf(stderr, "%s\n", ql_error_msg(&err));
    assert_int_equal(r, 0);
    assert_true(f.resolved);
    assert_string_equal(f.loader, loader);
    assert_string_equal(f.nvram_template, vars);
    assert_int_equal(f.requires_smm, smm);
    host_firmware_free(&f);
    domain_free(d);
}

static void expect_none(struct domain *d, const char *in_msg)
{
    struct host_firmware f;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_firmware_resolve(d, &f, &err), -ENOENT);
    assert_non_null(strstr(ql_error_msg(&err), in_msg));
    assert_string_equal(err.where, "os@firmware");
    assert_string_equal(ql_error_msg(&err) + strlen("os@firmware: "), err.msg);
    ql_error_clear(&err);
    domain_free(d);
}

#define EFI " firmware='efi'"
#define FW(x) "<firmware>" x "</firmware>"
#define FEAT(n, e) "<feature enabled='" e "' name='" n "'/>"

static void test_select(void **state)
{
    (void)state;
    /* First match in file-name order; the empty a/05 masks b/05. */
    expect(dom(EFI, "q35", "", ""), "/fw/SEC_CODE.fd", "/fw/SEC_VARS.fd", true);
    expect(dom(EFI, "pc-q35-7.2", "", ""), "/fw/SEC_CODE.fd", "/fw/SEC_VARS.fd", true);
    /* a/15 (microvm only) hides b/15, which would match. */
    expect(dom(EFI, "q35", FW(FEAT("secure-boot", "no")), ""), "/fw/PLAIN_CODE.fd",
           "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "pc", "", ""), "/fw/PLAIN_CODE.fd", "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "pc-i440fx-7.2", "", ""), "/fw/PLAIN_CODE.fd", "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "q35", FW(FEAT("enrolled-keys", "yes")), ""), "/fw/SEC_CODE.fd",
           "/fw/SEC_VARS.fd", true);
    expect(dom(EFI, "q35", FW(FEAT("enrolled-keys", "no")), ""), "/fw/PLAIN_CODE.fd",
           "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "q35", "<loader secure='no'/>", ""), "/fw/PLAIN_CODE.fd",
           "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "q35", "<loader secure='yes'/>", ""), "/fw/SEC_CODE.fd",
           "/fw/SEC_VARS.fd", true);
    expect(dom(EFI, "q35", "", "<features><smm state='off'/></features>"),
           "/fw/PLAIN_CODE.fd", "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "q35", "<loader type='pflash'>/fw/PLAIN_CODE.fd</loader>", ""),
           "/fw/PLAIN_CODE.fd", "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "q35", "<nvram template='/fw/PLAIN_VARS.fd'/>", ""),
           "/fw/PLAIN_CODE.fd", "/fw/PLAIN_VARS.fd", false);
    expect(dom(EFI, "q35", "", "<pm><suspend-to-mem enabled='yes'/></pm>"),
           "/fw/SEC_CODE.fd", "/fw/SEC_VARS.fd", true);

    expect_none(dom(EFI, "pc", FW(FEAT("secure-boot", "yes")), ""), "'pc', secure-boot on");
    expect_none(dom(EFI, "q35", "", "<pm><suspend-to-disk enabled='yes'/></pm>"),
                "suspend-to-disk");
    expect_none(dom(EFI, "q35", "<loader type='pflash'>/fw/NOPE.fd</loader>", ""),
                "/fw/NOPE.fd");
    expect_none(dom(EFI, "q35", "<loader secure='yes'/>", "<features><smm state='off'/>"
                    "</features>"), "SMM off");
    /* BIOS: nothing to resolve. */
    struct domain *d = dom(" firmware='bios'", "pc", "", "");
    struct host_firmware f;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_firmware_resolve(d, &f, &err), 0);
    assert_false(f.resolved);
    domain_free(d);
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "<os><type arch='x86_64' machine='q35'>hvm</type>" FW(FEAT("secure-boot", "yes"))
        "</os>",
        "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
        FW(FEAT("secure-boot", "no") FEAT("enrolled-keys", "yes")) "</os>",
        "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
        FW(FEAT("amd-sev", "yes")) "</os>",
        "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
        FW("<feature name='secure-boot'/>") "</os>",
        "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type>"
        FW(FEAT("secure-boot", "no") FEAT("secure-boot", "yes")) "</os>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *xml = xasprintf("<domain type='qemu'><name>fw</name><memory unit='MiB'>64"
                              "</memory>%s<devices/></domain>", bad[i]);
        struct domain *d = NULL;
        struct dom_diags g = {0};
        assert_int_equal(tu_parse(xml, &d, &g), -EINVAL);
        assert_null(d);
        dom_diags_free(&g);
        free(xml);
    }
}

static void test_vars_template(void **state)
{
    (void)state;
    /* The descriptor whose executable is the loader. */
    char *t = host_firmware_vars_template("/fw/SEC_CODE.fd");
    assert_string_equal(t, "/fw/SEC_VARS.fd");
    free(t);
    /* Debian's naming, when the file exists. */
    put("OVMF_CODE_4M.ms.fd", "c");
    put("OVMF_VARS_4M.ms.fd", "v");
    put("OVMF_CODE_4M.secboot.fd", "c");
    put("OVMF_VARS_4M.fd", "v");
    put("OVMF_CODE_X.fd", "c");
    char *l = xasprintf("%s/OVMF_CODE_4M.ms.fd", tdir), *w = xasprintf("%s/OVMF_VARS_4M.ms.fd",
                                                                         tdir);
    t = host_firmware_vars_template(l);
    assert_string_equal(t, w);
    free(t);
    free(l);
    free(w);
    l = xasprintf("%s/OVMF_CODE_4M.secboot.fd", tdir);
    w = xasprintf("%s/OVMF_VARS_4M.fd", tdir);
    t = host_firmware_vars_template(l);
    assert_string_equal(t, w);
    free(t);
    free(l);
    free(w);
    l = xasprintf("%s/OVMF_CODE_X.fd", tdir);
    assert_null(host_firmware_vars_template(l));
    free(l);
    assert_null(host_firmware_vars_template("/fw/other.bin"));

    /* An explicit pflash loader without template: resolved to its template only. */
    struct domain *d = dom("", "q35", "<loader readonly='yes' type='pflash'>/fw/SEC_CODE.fd"
                           "</loader>", "");
    struct host_firmware f;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_firmware_resolve(d, &f, &err), 0);
    assert_true(f.resolved);
    assert_null(f.loader);
    assert_string_equal(f.nvram_template, "/fw/SEC_VARS.fd");
    assert_false(f.requires_smm);
    host_firmware_free(&f);
    domain_free(d);
}

static char *build_text(const struct domain *d, const struct qb_options *o)
{
    struct qb_result r;
    struct ql_error err = QL_ERROR_INIT;
    int rc = qb_build(d, o, &r, &err);
    if (rc < 0)
        fprintf(stderr, "%s\n", ql_error_msg(&err));
    assert_int_equal(rc, 0);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < r.argv.n; i++)
        sb_addf(&sb, "%s\n", r.argv.v[i]);
    for (size_t i = 0; i < r.n_fds; i++)
        sb_addf(&sb, "# %s\n", r.fds[i].what);
    for (size_t i = 0; i < r.n_notes; i++)
        sb_addf(&sb, "# note: %s\n", r.notes[i]);
    qb_result_free(&r);
    return sb_steal(&sb);
}

/* The real Debian descriptors (package ovmf), as `qlaunch argv` and a start use them. */
static void test_debian(void **state)
{
    (void)state;
    if (access("/usr/share/qemu/firmware/40-edk2-x86_64-secure-enrolled.json", R_OK) != 0
        || access("/usr/share/qemu/firmware/60-edk2-x86_64.json", R_OK) != 0) {
        skip();
        return;
    }
    char *saved = xstrdup(getenv("QLAUNCH_FIRMWARE_DIRS"));
    setenv("QLAUNCH_FIRMWARE_DIRS", "/usr/share/qemu/firmware", 1);
    expect(dom(EFI, "q35", "", ""), "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
           "/usr/share/OVMF/OVMF_VARS_4M.ms.fd", true);
    expect(dom(EFI, "q35", FW(FEAT("secure-boot", "yes") FEAT("enrolled-keys", "no")), ""),
           "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", true);
    expect(dom(EFI, "q35", FW(FEAT("secure-boot", "no")), ""),
           "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd", false);
    expect(dom(EFI, "pc", "", ""), "/usr/share/OVMF/OVMF_CODE_4M.fd",
           "/usr/share/OVMF/OVMF_VARS_4M.fd", false);

    /* The builder with what the host resolved. */
    struct domain *d = dom(EFI, "q35", "", "");
    struct host_firmware f;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_firmware_resolve(d, &f, &err), 0);
    struct qb_firmware q = {f.loader, f.nvram_template, f.requires_smm, f.descriptor};
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .nvram_dir = "/srv/nv", .firmware = &q};
    char *txt = build_text(d, &o);
    assert_non_null(strstr(txt, "\"filename\":\"/usr/share/OVMF/OVMF_CODE_4M.ms.fd\""));
    assert_non_null(strstr(txt, "\"filename\":\"/srv/nv/fw_VARS.fd\""));
    assert_non_null(strstr(txt, "\n-machine\nq35,usb=off,dump-guest-core=off,acpi=off,smm=on,"
                                "pflash0=libvirt-pflash0-format,pflash1=libvirt-pflash1-format"
                                "\n"));
    assert_non_null(strstr(txt, "\n-global\ndriver=cfi.pflash01,property=secure,value=on\n"));
    assert_non_null(strstr(txt, "# NVRAM /srv/nv/fw_VARS.fd, copied from "
                                "/usr/share/OVMF/OVMF_VARS_4M.ms.fd when it does not exist\n"));
    assert_non_null(strstr(txt, "40-edk2-x86_64-secure-enrolled.json"));
    free(txt);
    /* Unresolved (validate): no firmware options, a note, no error. */
    struct qb_options o2 = {.qmp_fd = 3, .first_fd = 4};
    txt = build_text(d, &o2);
    assert_null(strstr(txt, "pflash"));
    assert_non_null(strstr(txt, "/var/lib/qlaunch/nvram/fw_VARS.fd"));
    free(txt);
    host_firmware_free(&f);
    domain_free(d);
    setenv("QLAUNCH_FIRMWARE_DIRS", saved, 1);
    free(saved);
}

static void test_nvram_prepare(void **state)
{
    (void)state;
    char *tmpl = xasprintf("%s/VARS.tmpl", tdir), *nv = xasprintf("%s/vm_VARS.fd", tdir);
    put("VARS.tmpl", "template-bytes");
    assert_int_equal(chmod(tmpl, 0644), 0);
    struct ql_error err = QL_ERROR_INIT;
    bool created = false;
    assert_int_equal(host_nvram_prepare(nv, tmpl, &created, &err), 0);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(nv, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    FILE *f = fopen(nv, "r");
    char buf[64] = "";
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "template-bytes");
    /* An existing file is kept as it is. */
    put("vm_VARS.fd", "guest-data");
    assert_int_equal(host_nvram_prepare(nv, tmpl, &created, &err), 0);
    assert_false(created);
    f = fopen(nv, "r");
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "guest-data");
    /* No temporary files left behind. */
    char *cmd = xasprintf("ls '%s' | grep -q 'vm_VARS.fd\\.'", tdir);
    assert_int_not_equal(system(cmd), 0);
    free(cmd);
    /* Missing file without a template; a template that is not there. */
    unlink(nv);
    assert_int_equal(host_nvram_prepare(nv, NULL, &created, &err), -ENOENT);
    assert_non_null(strstr(ql_error_msg(&err), "<nvram template="));
    assert_string_equal(err.where, "os/nvram");
    ql_error_clear(&err);
    assert_int_equal(host_nvram_prepare(nv, "/nonexistent/VARS.fd", &created, &err), -ENOENT);
    assert_string_equal(err.where, "os/nvram@template");
    char *want = xasprintf("cannot open '/nonexistent/VARS.fd': %s", strerror(ENOENT));
    assert_string_equal(err.msg, want);
    free(want);
    ql_error_clear(&err);
    assert_int_equal(access(nv, F_OK), -1);
    free(tmpl);
    free(nv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_vars_template),
        cmocka_unit_test(test_debian),
        cmocka_unit_test(test_nvram_prepare),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
