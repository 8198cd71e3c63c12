/* argv --explain: the origins the builder records.
 * - Every golden case of tests/xml2argv builds the same argv with and without explain, and
 *   with it every argument belongs to exactly one recorded option, each with an element or a
 *   reason (an option added without an origin fails here).
 * - Recording: the origins of a small domain are the elements, attributes and lines they
 *   came from; implicit devices name the element that needed them.
 * - tests/explain/NAME.explain: `qlaunch argv --explain` of a few domains, byte for byte
 *   (QLAUNCH_REGENERATE=1 rewrites them). */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build.h"
#include "tests/testutil.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static struct domain *parse(const char *xml)
{
    struct dom_diags g = {0};
    struct domain *d = NULL;
    int r = dom_parse_memory(xml, strlen(xml), "test.xml", &d, &g);
    for (size_t i = 0; r < 0 && i < g.n; i++)
        fprintf(stderr, "%s: %s\n", g.v[i].where, g.v[i].msg);
    dom_diags_free(&g);
    assert_int_equal(r, 0);
    return d;
}

static int build(const struct domain *d, bool explain, struct qb_result *r)
{
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .explain = explain};
    if (!d->dev.emulator)
        o.emulator = "/usr/bin/qemu-system-x86_64";
    struct ql_error err = QL_ERROR_INIT;
    int ret = qb_build(d, &o, r, &err);
    ql_error_clear(&err);
    return ret;
}

static bool has_origin(const struct qb_origin *o)
{
    return o->why || (o->path && *o->path);
}

/* Checks one built domain; returns a description of the first problem, or NULL. */
static char *check_result(const struct qb_result *plain, const struct qb_result *r)
{
    if (plain->argv.n != r->argv.n)
        return xasprintf("explain changes the argv length (%zu, %zu)", plain->argv.n,
                         r->argv.n);
    for (size_t i = 0; i < r->argv.n; i++)
        if (strcmp(plain->argv.v[i], r->argv.v[i]) != 0)
            return xasprintf("explain changes argument %zu", i);
    size_t next = 0;
    for (size_t i = 0; i < r->n_explain; i++) {
        const struct qb_explain *e = &r->explain[i];
        if (e->arg != next || e->n_args < 1 || e->n_args > 2)
            return xasprintf("entry %zu covers arguments %zu+%zu, expected %zu", i, e->arg,
                             e->n_args, next);
        if (!has_origin(&e->from))
            return xasprintf("'%s' has no origin", r->argv.v[e->arg]);
        for (size_t k = 0; k < e->n_props; k++)
            if (!has_origin(&e->props[k].from))
                return xasprintf("property '%s' of '%s' has no origin", e->props[k].name,
                                 r->argv.v[e->arg]);
        next += e->n_args;
    }
    if (next != r->argv.n)
        return xasprintf("the entries cover %zu of %zu arguments", next, r->argv.n);
    return NULL;
}

static int filter_xml(const struct dirent *e)
{
    size_t l = strlen(e->d_name);
    return l > 4 && strcmp(e->d_name + l - 4, ".xml") == 0;
}

static void test_every_golden_case(void **state)
{
    (void)state;
    _cleanup_free_ char *dir = tu_srcdir_path("tests/xml2argv");
    struct dirent **list;
    int n = scandir(dir, &list, filter_xml, alphasort);
    assert_true(n > 50);
    int built = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, list[i]->d_name);
        struct dom_diags g = {0};
        struct domain *d = NULL;
        int pr = dom_parse_file(path, &d, &g);
        dom_diags_free(&g);
        struct qb_result plain, r;
        if (pr == 0 && build(d, false, &plain) == 0) {
            assert_int_equal(build(d, true, &r), 0);
            _cleanup_free_ char *why = check_result(&plain, &r);
            if (why) {
                fprintf(stderr, "%s: %s\n", list[i]->d_name, why);
                failed++;
            }
            assert_int_equal(plain.n_explain, 0);   /* nothing recorded unless asked */
            qb_result_free(&plain);
            qb_result_free(&r);
            built++;
        }
        domain_free(d);
        free(list[i]);
    }
    free(list);
    assert_true(built > 50);
    assert_int_equal(failed, 0);
}

static const struct qb_explain *find(const struct qb_result *r, const char *opt,
                                     const char *value_part)
{
    for (size_t i = 0; i < r->n_explain; i++) {
        const struct qb_explain *e = &r->explain[i];
        if (strcmp(r->argv.v[e->arg], opt) == 0
            && (!value_part || (e->n_args == 2 && strstr(r->argv.v[e->arg + 1], value_part))))
            return e;
    }
    fail_msg("no %s with '%s'", opt, value_part ? value_part : "");
    return NULL;
}

static const struct qb_origin *prop(const struct qb_explain *e, const char *name)
{
    for (size_t k = 0; k < e->n_props; k++)
        if (strcmp(e->props[k].name, name) == 0)
            return &e->props[k].from;
    fail_msg("no property %s", name);
    return NULL;
}

static void assert_from(const struct qb_origin *o, const char *path, int line,
                        const char *attr)
{
    assert_non_null(o->path);
    assert_string_equal(o->path, path);
    assert_int_equal(o->line, line);
    if (attr) {
        assert_non_null(o->attr);
        assert_string_equal(o->attr, attr);
    } else {
        assert_null(o->attr);
    }
}

static const char recording_xml[] =
    "<domain type='kvm'>\n"                                         /* 1 */
    "  <name>rec</name>\n"                                          /* 2 */
    "  <memory unit='MiB'>256</memory>\n"                           /* 3 */
    "  <os><type machine='q35'>hvm</type><boot dev='hd'/></os>\n"  /* 4 */
    "  <features><acpi/></features>\n"                              /* 5 */
    "  <on_crash>restart</on_crash>\n"                              /* 6 */
    "  <devices>\n"                                                 /* 7 */
    "    <disk type='file' device='disk'>\n"                        /* 8 */
    "      <driver name='qemu' type='qcow2'/>\n"                    /* 9 */
    "      <source file='/var/lib/rec.qcow2'/>\n"                   /* 10 */
    "      <target dev='sda' bus='sata'/>\n"                        /* 11 */
    "      <serial>S1</serial>\n"                                   /* 12 */
    "    </disk>\n"                                                 /* 13 */
    "    <input type='tablet' bus='usb'/>\n"                        /* 14 */
    "    <channel type='pty'><target type='virtio' name='x.y'/></channel>\n"    /* 15 */
    "  </devices>\n"
    "</domain>\n";

static void test_recording(void **state)
{
    (void)state;
    struct domain *d = parse(recording_xml);
    struct qb_result r;
    assert_int_equal(build(d, true, &r), 0);
    const struct qb_explain *m = find(&r, "-machine", NULL);
    assert_from(&m->from, "os/type", 4, "machine");
    assert_from(prop(m, "acpi"), "features/acpi", 5, NULL);
    assert_non_null(prop(m, "usb")->why);
    assert_null(prop(m, "usb")->path);
    assert_from(&find(&r, "-name", NULL)->from, "name", 2, NULL);
    assert_from(&find(&r, "-m", NULL)->from, "memory", 3, NULL);
    /* the disk: storage from <source>, format from <driver type>, the device with its
     * serial and the boot index <os><boot> gave it */
    assert_from(&find(&r, "-blockdev", "rec.qcow2")->from, "devices/disk", 8, "<source>");
    assert_from(&find(&r, "-blockdev", "\"driver\":\"qcow2\"")->from, "devices/disk", 8,
                "driver@type");
    const struct qb_explain *dk = find(&r, "-device", "ide-hd");
    assert_from(&dk->from, "devices/disk", 8, NULL);
    assert_null(dk->from.why);
    assert_from(prop(dk, "serial"), "devices/disk", 8, "<serial>");
    assert_from(prop(dk, "bootindex"), "os/boot", 4, "dev");
    /* implicit: the USB controller for the tablet, the virtio-serial controller for the
     * channel, pvpanic for on_crash; each names the element and says why */
    const struct qb_explain *usb = find(&r, "-device", "qemu-xhci");
    assert_from(&usb->from, "devices/input", 14, NULL);
    assert_non_null(strstr(usb->from.why, "implicit USB controller for <input bus='usb'>"));
    const struct qb_explain *vs = find(&r, "-device", "virtio-serial-pci");
    assert_from(&vs->from, "devices/channel", 15, NULL);
    assert_non_null(strstr(vs->from.why, "virtio-serial"));
    const struct qb_explain *pp = find(&r, "-device", "pvpanic");
    assert_from(&pp->from, "on_crash", 6, NULL);
    assert_non_null(pp->from.why);
    /* qlaunch's own options: a reason, no element */
    const struct qb_explain *sb = find(&r, "-sandbox", NULL);
    assert_null(sb->from.path);
    assert_non_null(strstr(sb->from.why, "seccomp_sandbox"));
    assert_null(find(&r, "-mon", NULL)->from.path);

    /* the JSON form carries the same */
    _cleanup_json_ json_object *a = qb_explain_json(&r);
    assert_int_equal(json_object_array_length(a), r.n_explain);
    bool seen = false;
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *e = json_object_array_get_idx(a, i), *v, *from, *reason;
        json_object_object_get_ex(e, "value", &v);
        if (!v || !strstr(json_object_get_string(v), "qemu-xhci"))
            continue;
        assert_true(json_object_object_get_ex(e, "from", &from));
        assert_true(json_object_object_get_ex(e, "reason", &reason));
        json_object *p, *l;
        assert_true(json_object_object_get_ex(from, "path", &p));
        assert_true(json_object_object_get_ex(from, "line", &l));
        assert_string_equal(json_object_get_string(p), "devices/input");
        assert_int_equal(json_object_get_int(l), 14);
        assert_non_null(strstr(json_object_get_string(reason), "implicit USB controller"));
        seen = true;
    }
    assert_true(seen);
    qb_result_free(&r);
    domain_free(d);
}

/* The golden explain outputs: NAME.explain from the XML the list names. */
static const char *const golden[][2] = {
    {"seed-domain-fixed", "examples/seed-domain-fixed.xml"},
    {"firmware-ovmf-secboot", "tests/xml2argv/firmware-ovmf-secboot.xml"},
    {"q35-auto-topology", "tests/xml2argv/q35-auto-topology.xml"},
    {"channels", "tests/xml2argv/channels.xml"},
};

static void test_golden(void **state)
{
    (void)state;
    bool regen = getenv("QLAUNCH_REGENERATE") && *getenv("QLAUNCH_REGENERATE") == '1';
    for (size_t i = 0; i < ARRAY_SIZE(golden); i++) {
        _cleanup_free_ char *xml = tu_srcdir_path(golden[i][1]);
        _cleanup_free_ char *rel = xasprintf("tests/explain/%s.explain", golden[i][0]);
        _cleanup_free_ char *want_path = tu_srcdir_path(rel);
        struct dom_diags g = {0};
        struct domain *d = NULL;
        assert_int_equal(dom_parse_file(xml, &d, &g), 0);
        dom_diags_free(&g);
        struct qb_result r;
        assert_int_equal(build(d, true, &r), 0);
        struct strbuf sb = STRBUF_INIT;
        qb_explain_render(&sb, &r);
        if (regen) {
            FILE *f = fopen(want_path, "wb");
            assert_non_null(f);
            assert_true(fputs(sb_str(&sb), f) >= 0);
            assert_int_equal(fclose(f), 0);
        } else {
            _cleanup_free_ char *want = tu_read_file(want_path, NULL);
            if (!want)
                fail_msg("%s is missing (QLAUNCH_REGENERATE=1 writes it)", want_path);
            if (strcmp(want, sb_str(&sb)) != 0)
                fprintf(stderr, "# --- expected %s\n%s# --- got\n%s", rel, want, sb_str(&sb));
            assert_string_equal(want, sb_str(&sb));
        }
        sb_free(&sb);
        qb_result_free(&r);
        domain_free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_golden_case),
        cmocka_unit_test(test_recording),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
