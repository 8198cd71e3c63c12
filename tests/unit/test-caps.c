/* QEMU capabilities: the golden files of QEMU 7.2 and 10.0 (tests/caps), the strict JSON
 * form, the builder's checks against them, and (with a real QEMU) the probe and the cache. */
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

#include "host/qemucaps.h"
#include "qemu/build.h"
#include "qemu/caps.h"
#include "tests/testutil.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#define QEMU72 "/usr/bin/qemu-system-x86_64"

static struct qemu_caps *golden(const char *ver)
{
    _cleanup_free_ char *rel = xasprintf("tests/caps/qemu-%s.json", ver);
    _cleanup_free_ char *path = tu_srcdir_path(rel);
    size_t len = 0;
    _cleanup_free_ char *text = tu_read_file(path, &len);
    assert_non_null(text);
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    int r = qemu_caps_from_json(text, len, &c, &err);
    if (r < 0)
        print_message("%s: %s\n", path, ql_error_msg(&err));
    assert_int_equal(r, 0);
    return c;
}

static void test_golden_lookups(void **state)
{
    (void)state;
    _cleanup_(qemu_caps_freep) struct qemu_caps *c7 = golden("7.2");
    _cleanup_(qemu_caps_freep) struct qemu_caps *c10 = golden("10.0");
    assert_int_equal(c7->major, 7);
    assert_int_equal(c7->minor, 2);
    assert_int_equal(c10->major, 10);
    assert_int_equal(c10->minor, 0);
    assert_true(qemu_caps_version_ge(c10, 8, 0, 4));
    assert_false(qemu_caps_version_ge(c7, 8, 0, 4));
    assert_string_equal(qemu_caps_machine(c7, "pc")->name, "pc-i440fx-7.2");
    assert_true(qemu_caps_machine(c7, "pc")->is_default);
    assert_string_equal(qemu_caps_machine(c7, "q35")->name, "pc-q35-7.2");
    assert_string_equal(qemu_caps_machine(c10, "pc")->name, "pc-i440fx-10.0");
    assert_string_equal(qemu_caps_machine(c10, "q35")->name, "pc-q35-10.0");
    assert_null(qemu_caps_machine(c7, "pc-i440fx-8.2"));
    assert_non_null(qemu_caps_machine(c10, "pc-i440fx-8.2"));
    assert_null(qemu_caps_machine(c10, "pc-q35-rhel7.6.0"));
    assert_true(qemu_caps_has_type(c7, "qxl-vga"));
    assert_true(qemu_caps_has_type(c7, "ahci"));    /* an alias of ich9-ahci */
    assert_false(qemu_caps_has_type(c7, "no-such-device"));
    assert_int_equal(qemu_caps_device_has_prop(c10, "virtio-net-pci", "tx_queue_size"), 1);
    assert_int_equal(qemu_caps_device_has_prop(c10, "virtio-net-pci", "no_such_prop"), 0);
    assert_int_equal(qemu_caps_device_has_prop(c10, "lsi", "addr"), 1);
    assert_int_equal(qemu_caps_device_has_prop(c10, "virtio-9p-pci", "addr"), -1);
    /* The written form reads back to the same bytes. */
    _cleanup_free_ char *j = qemu_caps_to_json(c10);
    struct qemu_caps *back = NULL;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qemu_caps_from_json(j, strlen(j), &back, &err), 0);
    _cleanup_free_ char *j2 = qemu_caps_to_json(back);
    assert_string_equal(j, j2);
    qemu_caps_free(back);
    /* The cache's line form carries the same record (compared through the JSON form). */
    for (int k = 0; k < 2; k++) {
        const struct qemu_caps *src = k ? c7 : c10;
        _cleanup_free_ char *t = qemu_caps_to_text(src);
        assert_non_null(t);
        assert_int_equal(qemu_caps_from_text(t, strlen(t), &back, &err), 0);
        _cleanup_free_ char *ja = qemu_caps_to_json(src), *jb = qemu_caps_to_json(back);
        assert_string_equal(ja, jb);
        qemu_caps_free(back);
    }
}

/* The line form is untrusted input too: every broken record is refused. */
static void test_text_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "qlaunch-caps-text 2\nversion 7 2 0 x\n",
        "qlaunch-caps-text 1\n",                                  /* no version */
        "qlaunch-caps-text 1\nversion 7 2 0 x",                   /* unterminated */
        "qlaunch-caps-text 1\nversion 7 2 x\n",
        "qlaunch-caps-text 1\nversion 1000 2 0\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nversion 7 2 0\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nmachine pc\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nmachine pc - 2\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nmachine pc - 1 x\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nmachine a - 1\nmachine b - 1\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nmachine a - 0\nmachine a - 0\n",
        "qlaunch-caps-text 1\nversion 7 2 0\ntypes a\ntypes b\n",
        "qlaunch-caps-text 1\nversion 7 2 0\ndevice\n",
        "qlaunch-caps-text 1\nversion 7 2 0\ndevice d\ndevice d\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nbinary 1 2 3 4 relative\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nbinary -1 2 3 4 /q\n",
        "qlaunch-caps-text 1\nversion 7 2 0\nfrobnicate\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct qemu_caps *c = NULL;
        struct ql_error err = QL_ERROR_INIT;
        if (qemu_caps_from_text(bad[i], strlen(bad[i]), &c, &err) >= 0)
            fail_msg("accepted: %s", bad[i]);
        assert_null(c);
        ql_error_clear(&err);
    }
    const char nul[] = "qlaunch-caps-text 1\nversion 7 2 0 a\0b\n";
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    assert_true(qemu_caps_from_text(nul, sizeof(nul) - 1, &c, &err) < 0);
    ql_error_clear(&err);
    const char *ok = "qlaunch-caps-text 1\nbinary 1 2 -3 4 /usr/bin/q emu\nversion 7 2 0 \n"
                     "machine pc-i440fx-7.2 pc 1\ntypes a b c2 d e\ndevice d p xp-y\n";
    assert_int_equal(qemu_caps_from_text(ok, strlen(ok), &c, &err), 0);
    assert_string_equal(c->key.path, "/usr/bin/q emu");
    assert_string_equal(c->package, "");
    /* The type and property lists are looked up in place: whole words only. */
    assert_true(qemu_caps_has_type(c, "a"));
    assert_true(qemu_caps_has_type(c, "b"));
    for (const char *const *t = (const char *const[]){"a", "b", "c2", "d", "e", NULL}; *t; t++)
        assert_true(qemu_caps_has_type(c, *t));
    for (const char *const *t = (const char *const[]){"", "0", "c", "c22", "f", " ", NULL}; *t;
         t++)
        assert_false(qemu_caps_has_type(c, *t));
    assert_int_equal(qemu_caps_device_has_prop(c, "d", "p"), 1);
    assert_int_equal(qemu_caps_device_has_prop(c, "d", "xp-y"), 1);
    assert_int_equal(qemu_caps_device_has_prop(c, "d", "xp"), 0);
    assert_int_equal(qemu_caps_device_has_prop(c, "d", "y"), 0);
    assert_int_equal(qemu_caps_device_has_prop(c, "e", "p"), -1);
    assert_string_equal(qemu_caps_machine(c, "pc")->name, "pc-i440fx-7.2");
    qemu_caps_free(c);
}

#define CAPS(extra, version, machines, types, devices)                                       \
    "{\"qlaunch-caps\": 1" extra ", \"version\": " version ", \"machines\": " machines       \
    ", \"types\": " types ", \"devices\": " devices "}"
#define V "{\"major\": 7, \"minor\": 2, \"micro\": 0, \"package\": \"\"}"
#define M "[{\"name\": \"pc-i440fx-7.2\", \"alias\": \"pc\", \"default\": true}]"

static void expect_bad(const char *text, const char *needle)
{
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    int r = qemu_caps_from_json(text, strlen(text), &c, &err);
    if (r == 0 || !strstr(ql_error_msg(&err), needle))
        print_message("input %s\n  gave %d '%s', want '%s'\n", text, r,
                      r ? ql_error_msg(&err) : "", needle);
    assert_true(r < 0);
    assert_null(c);
    assert_non_null(strstr(ql_error_msg(&err), needle));
    ql_error_clear(&err);
}

static void test_strict_parse(void **state)
{
    (void)state;
    const char *ok = CAPS("", V, M, "[\"b\", \"a\"]", "{\"a\": [\"x\"]}");
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(qemu_caps_from_json(ok, strlen(ok), &c, &err), 0);
    assert_string_equal(c->types[0], "a");      /* sorted */
    qemu_caps_free(c);

    expect_bad("[]", "not one JSON object");
    expect_bad("{} x", "not one JSON object");
    expect_bad(CAPS(", \"extra\": 1", V, M, "[]", "{}"), "unknown member 'extra'");
    expect_bad("{\"qlaunch-caps\": 2}", "'qlaunch-caps' is out of range");
    expect_bad("{\"qlaunch-caps\": 1, \"machines\": [], \"types\": [], \"devices\": {}}",
               "'version' is missing");
    expect_bad(CAPS("", "{\"major\": 7, \"minor\": 2, \"micro\": \"0\", \"package\": \"\"}",
                    M, "[]", "{}"), "'micro' is missing or not a int");
    expect_bad(CAPS("", "{\"major\": 7000, \"minor\": 2, \"micro\": 0, \"package\": \"\"}",
                    M, "[]", "{}"), "'major' is out of range");
    expect_bad(CAPS("", "{\"major\": 7, \"minor\": 2, \"micro\": 0, \"package\": \"a\\nb\"}",
                    M, "[]", "{}"), "control character");
    expect_bad(CAPS("", V, M, "[\"a b\"]", "{}"), "invalid QOM type name 'a b'");
    expect_bad(CAPS("", V, M, "[\"../x\"]", "{}"), "invalid QOM type name");
    expect_bad(CAPS("", V, M, "[\"a\\u0000b\"]", "{}"), "NUL");
    expect_bad(CAPS("", V, M, "[\"a\", \"a\"]", "{}"), "listed twice");
    expect_bad(CAPS("", V, M, "[1]", "{}"), "not a string");
    expect_bad(CAPS("", V, M, "[[[[[\"deep\"]]]]]", "{}"), "not one JSON object");
    expect_bad(CAPS("", V, "[{\"name\": \"a\", \"alias\": \"pc\"}, {\"name\": \"b\", "
                    "\"alias\": \"pc\"}]", "[]", "{}"), "ambiguous");
    expect_bad(CAPS("", V, "[{\"name\": \"a\", \"default\": true}, {\"name\": \"b\", "
                    "\"default\": true}]", "[]", "{}"), "more than one default");
    expect_bad(CAPS("", V, "[{\"name\": \"a\", \"cpus\": 1}]", "[]", "{}"), "unknown member");
    expect_bad(CAPS(", \"binary\": {\"path\": \"rel\", \"size\": 1, \"ino\": 1, \"mtime\": 1, "
                    "\"ctime\": 1}", V, M, "[]", "{}"), "absolute path");
    expect_bad(CAPS(", \"binary\": {\"path\": \"/x\", \"size\": -1, \"ino\": 1, \"mtime\": 1, "
                    "\"ctime\": 1}", V, M, "[]", "{}"), "'size' is out of range");
    expect_bad(CAPS("", V, M, "[]", "{\"a\": [\"p\", \"p\"]}"), "listed twice");
    expect_bad(CAPS("", V, M, "[]", "{\"a b\": []}"), "invalid device type name");
    char nul[] = "{\"qlaunch-caps\": 1}";
    nul[5] = '\0';
    c = NULL;
    assert_true(qemu_caps_from_json(nul, sizeof(nul) - 1, &c, &err) < 0);
    assert_non_null(strstr(ql_error_msg(&err), "NUL"));
    ql_error_clear(&err);
}

/* Builds xml with caps; returns the error text ("" on success) and the rendered argv. */
static char *build(const char *xml, const struct qemu_caps *caps, char **ret_args)
{
    struct domain *d = tu_domain(xml);
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .caps = caps,
                           .emulator = "/usr/bin/qemu-system-x86_64"};
    struct qb_result r;
    struct ql_error err = QL_ERROR_INIT;
    char *out;
    if (qb_build(d, &o, &r, &err) < 0) {
        out = xstrdup(ql_error_msg(&err));
        ql_error_clear(&err);
        if (ret_args)
            *ret_args = NULL;
    } else {
        out = xstrdup("");
        if (ret_args) {
            struct strbuf sb = STRBUF_INIT;
            qb_result_render(&sb, &r);
            *ret_args = sb_steal(&sb);
        }
        qb_result_free(&r);
    }
    domain_free(d);
    return out;
}

#define DOMAIN(machine, devices)                                                              \
    "<domain type='qemu'>\n<name>c</name>\n<memory unit='MiB'>64</memory>\n"                   \
    "<os><type arch='x86_64' machine='" machine "'>hvm</type></os>\n<devices>\n" devices       \
    "<memballoon model='none'/>\n</devices>\n</domain>\n"

static void test_builder_checks(void **state)
{
    (void)state;
    _cleanup_(qemu_caps_freep) struct qemu_caps *c7 = golden("7.2");
    _cleanup_(qemu_caps_freep) struct qemu_caps *c10 = golden("10.0");
    const char *xml82 = DOMAIN("pc-i440fx-8.2", "");
    _cleanup_free_ char *e = build(xml82, c7, NULL);
    assert_string_equal(e, "os/type@machine: machine type 'pc-i440fx-8.2' is not known to "
                        "QEMU 7.2.22 (/usr/bin/qemu-system-x86_64) (line 4)");
    free(e);
    e = build(xml82, c10, NULL);
    assert_string_equal(e, "");
    free(e);
    e = build(xml82, NULL, NULL);       /* no caps: nothing is checked */
    assert_string_equal(e, "");
    free(e);
    e = build(DOMAIN("pc-q35-rhel7.6.0", ""), c10, NULL);
    assert_non_null(strstr(e, "machine type 'pc-q35-rhel7.6.0' is not known to QEMU 10.0"));

    /* A device model the binary lacks: qxl-vga taken out of 7.2's types; recorded
     * properties of a type the binary lacks are refused, so out of its devices too. */
    for (size_t i = 0; i < c7->n_types; i++)
        if (STREQ(c7->types[i], "qxl-vga")) {
            free(c7->types[i]);
            c7->types[i] = xstrdup("zz-removed");
        }
    struct ql_error err = QL_ERROR_INIT;
    assert_int_not_equal(qemu_caps_normalize(c7, &err), 0);
    assert_non_null(strstr(err.msg, "device 'qxl-vga' is not one of the types"));
    ql_error_clear(&err);
    for (size_t i = 0; i < c7->n_devices; i++)
        if (STREQ(c7->devices[i].type, "qxl-vga")) {
            struct qemu_device_props *d = &c7->devices[i];
            free(d->type);
            for (size_t k = 0; k < d->n_props; k++)
                free(d->props[k]);
            free(d->props);
            memmove(d, d + 1, (c7->n_devices - i - 1) * sizeof(*d));
            c7->n_devices--;
            break;
        }
    assert_int_equal(qemu_caps_normalize(c7, &err), 0);
    const char *qxl = DOMAIN("pc", "<video><model type='qxl'/></video>\n");
    free(e);
    e = build(qxl, c7, NULL);
    assert_string_equal(e, "devices/video: QEMU 7.2.22 (/usr/bin/qemu-system-x86_64) has no "
                        "device model 'qxl-vga' (line 6)");
    free(e);
    e = build(qxl, c10, NULL);
    assert_string_equal(e, "");

    /* A property the binary lacks: tx_queue_size removed from 10.0's virtio-net-pci. */
    const char *net = DOMAIN("pc", "<interface type='user'><model type='virtio'/>"
                             "<driver rx_queue_size='512' tx_queue_size='1024'/></interface>\n");
    _cleanup_free_ char *args = NULL;
    free(e);
    e = build(net, c10, &args);
    assert_string_equal(e, "");
    assert_non_null(strstr(args, "\"tx_queue_size\":256"));
    assert_non_null(strstr(args, "tx_queue_size 1024 becomes 256"));
    free(args);
    free(e);
    e = build(net, NULL, &args);        /* 7.2 behaviour: passed as given */
    assert_non_null(strstr(args, "\"tx_queue_size\":1024"));
    free(args);
    args = NULL;
    for (size_t i = 0; i < c10->n_devices; i++)
        if (STREQ(c10->devices[i].type, "virtio-net-pci"))
            for (size_t j = 0; j < c10->devices[i].n_props; j++)
                if (STREQ(c10->devices[i].props[j], "rx_queue_size")) {
                    free(c10->devices[i].props[j]);
                    c10->devices[i].props[j] = xstrdup("zz-removed");
                }
    assert_int_equal(qemu_caps_normalize(c10, &err), 0);
    free(e);
    e = build(net, c10, NULL);
    assert_string_equal(e, "devices/interface: QEMU 10.0.2 (/usr/bin/qemu-system-x86_64) has "
                        "no property 'rx_queue_size' for device model 'virtio-net-pci' (line 6)");
}

/* ---- probe and cache (need QEMU) ---- */

static char tdir[] = "/tmp/ql-caps-XXXXXX";

static char *write_script(const char *name, const char *body)
{
    char *p = xasprintf("%s/%s", tdir, name);
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *text = xasprintf("#!/bin/sh\n%s\n", body);
    assert_int_equal(ql_write_file_atomic(p, text, strlen(text), 0755, &err), 0);
    return p;
}

static void test_probe_and_cache(void **state)
{
    (void)state;
    if (access(QEMU72, X_OK) != 0)
        skip();
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *wrapper = write_script("qemu", "exec " QEMU72 " \"$@\"");
    _cleanup_(qemu_caps_freep) struct qemu_caps *c = NULL;
    assert_int_equal(qemu_caps_get(wrapper, &c, &err), 0);
    assert_int_equal(c->major, 7);
    assert_string_equal(qemu_caps_machine(c, "pc")->name, "pc-i440fx-7.2");
    assert_int_equal(qemu_caps_device_has_prop(c, "virtio-net-pci", "tx_queue_size"), 1);
    /* The probe gives what the golden file pins (the golden file is of this QEMU when it is
     * Debian 12's: compare the version only, the host may have another build). */
    _cleanup_free_ char *dir = xstrdup(qemu_caps_cache_dir());
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* The cache file: mode 0600; a marked copy of it is what the next get returns. */
    _cleanup_free_ char *cmd = xasprintf("ls %s/qemu-*.caps", dir);
    FILE *ls = popen(cmd, "r");
    char file[512] = "";
    assert_non_null(fgets(file, sizeof(file), ls));
    pclose(ls);
    file[strcspn(file, "\n")] = '\0';
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(c->package);
    c->package = xstrdup("cached-marker");
    _cleanup_free_ char *marked = qemu_caps_to_text(c);
    assert_int_equal(ql_write_file_atomic(file, marked, strlen(marked), 0600, &err), 0);
    qemu_caps_free(c);
    c = NULL;
    assert_int_equal(qemu_caps_get(wrapper, &c, &err), 0);
    assert_string_equal(c->package, "cached-marker");
    qemu_caps_free(c);
    c = NULL;

    /* A group-writable cache file is not trusted: probed again (and rewritten). */
    assert_int_equal(chmod(file, 0620), 0);
    assert_int_equal(qemu_caps_get(wrapper, &c, &err), 0);
    assert_string_not_equal(c->package, "cached-marker");
    qemu_caps_free(c);
    c = NULL;

    /* A symlink in place of the cache file is not followed. */
    assert_int_equal(ql_write_file_atomic(file, marked, strlen(marked), 0600, &err), 0);
    _cleanup_free_ char *other = xasprintf("%s/other.json", tdir);
    assert_int_equal(rename(file, other), 0);
    assert_int_equal(symlink(other, file), 0);
    assert_int_equal(qemu_caps_get(wrapper, &c, &err), 0);
    assert_string_not_equal(c->package, "cached-marker");
    qemu_caps_free(c);
    c = NULL;

    /* The binary changes (the wrapper is rewritten): the cached record is stale. */
    assert_int_equal(ql_write_file_atomic(file, marked, strlen(marked), 0600, &err), 0);
    free(write_script("qemu", "exec " QEMU72 " \"$@\" # changed"));
    assert_int_equal(qemu_caps_get(wrapper, &c, &err), 0);
    assert_string_not_equal(c->package, "cached-marker");

    /* A broken binary: an error with what it said, no hang. */
    _cleanup_free_ char *broken = write_script("broken", "echo 'no such module' >&2; exit 1");
    struct qemu_caps *b = NULL;
    assert_true(qemu_caps_get(broken, &b, &err) < 0);
    assert_null(b);
    assert_non_null(strstr(ql_error_msg(&err), "no such module"));
    assert_non_null(strstr(ql_error_msg(&err), "cannot probe the capabilities of"));
    ql_error_clear(&err);
    assert_true(qemu_caps_get("relative/qemu", &b, &err) < 0);
    ql_error_clear(&err);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tdir));
    _cleanup_free_ char *cache = xasprintf("%s/cache", tdir);
    setenv("QLAUNCH_CACHE_DIR", cache, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", tdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_strict),
        cmocka_unit_test(test_golden_lookups),
        cmocka_unit_test(test_strict_parse),
        cmocka_unit_test(test_builder_checks),
        cmocka_unit_test(test_probe_and_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
