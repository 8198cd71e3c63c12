/* The ids qb_build exports for the supervisor (struct qb_result: NICs, balloon, console,
 * IOThread pins): their values, and that they are the ids the command line really uses. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/parse.h"
#include "qemu/build.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/strbuf.h"

#define HEAD "<domain type='qemu'><name>ids</name>" \
             "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1830</uuid>" \
             "<memory unit='MiB'>256</memory>"
#define OS "<os><type arch='x86_64' machine='pc'>hvm</type></os>"

struct built {
    struct domain *d;
    struct qb_result r;
};

static void build_from(const char *xml, const char *name, struct built *b)
{
    struct dom_diags g = {0};
    if (dom_parse_memory(xml, strlen(xml), name, &b->d, &g) != 0) {
        for (size_t i = 0; i < g.n; i++) {
            char *s = dom_diag_format(&g.v[i]);
            print_message("  %s\n", s);
            free(s);
        }
        fail_msg("%s does not parse", name);
    }
    dom_diags_free(&g);
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4, .emulator = "/usr/bin/qemu"};
    struct ql_error err = QL_ERROR_INIT;
    if (qb_build(b->d, &o, &b->r, &err) != 0)
        fail_msg("%s does not build: %s", name, ql_error_msg(&err));
}

static void build_xml(const char *body, struct built *b)
{
    _cleanup_free_ char *xml = xasprintf("%s%s</domain>", HEAD, body);
    build_from(xml, "ids.xml", b);
}

static void build_golden(const char *file, struct built *b)
{
    const char *src = getenv("QLAUNCH_TEST_SRCDIR");
    _cleanup_free_ char *path = xasprintf("%s/tests/xml2argv/%s", src ? src : ".", file);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    build_from(buf, file, b);
}

static void built_free(struct built *b)
{
    qb_result_free(&b->r);
    domain_free(b->d);
}

/* The value of option opt whose text contains needle, or NULL. */
static const char *option_with(const struct built *b, const char *opt, const char *needle)
{
    for (size_t i = 0; i + 1 < b->r.argv.n; i++)
        if (strcmp(b->r.argv.v[i], opt) == 0 && strstr(b->r.argv.v[i + 1], needle))
            return b->r.argv.v[i + 1];
    return NULL;
}

/* The command line has a -netdev and a -device for NIC i with the exported ids. */
static void assert_nic_in_argv(const struct built *b, size_t i)
{
    _cleanup_free_ char *netdev = xasprintf("\"id\":\"%s\"", b->r.nics[i].netdev_id);
    _cleanup_free_ char *dev = xasprintf("\"netdev\":\"%s\",\"id\":\"%s\"",
                                         b->r.nics[i].netdev_id, b->r.nics[i].device_id);
    assert_non_null(option_with(b, "-netdev", netdev));
    assert_non_null(option_with(b, "-device", dev));
}

/* Two NICs, the second one down; no balloon; the console is a virtio one. */
static void test_two_nics_no_balloon_virtio_console(void **state)
{
    (void)state;
    struct built b;
    build_xml(OS "<devices>"
              "<interface type='user'><mac address='52:54:00:00:00:01'/>"
              "<model type='virtio'/></interface>"
              "<interface type='user'><mac address='52:54:00:00:00:02'/>"
              "<model type='e1000'/><link state='down'/></interface>"
              "<console type='pty'><target type='virtio'/></console>"
              "<memballoon model='none'/></devices>", &b);
    assert_int_equal(b.r.n_nics, 2);
    assert_string_equal(b.r.nics[0].netdev_id, "hostnet0");
    assert_string_equal(b.r.nics[0].device_id, "net0");
    assert_false(b.r.nics[0].link_down);
    assert_string_equal(b.r.nics[1].netdev_id, "hostnet1");
    assert_string_equal(b.r.nics[1].device_id, "net1");
    assert_true(b.r.nics[1].link_down);
    assert_nic_in_argv(&b, 0);
    assert_nic_in_argv(&b, 1);
    assert_null(b.r.balloon_path);
    assert_null(option_with(&b, "-device", "balloon"));
    assert_string_equal(b.r.console_chardev, "charconsole0");
    assert_non_null(option_with(&b, "-chardev", "pty,id=charconsole0"));
    assert_non_null(option_with(&b, "-device", "\"driver\":\"virtconsole\""));
    assert_int_equal(b.r.n_iothreadpin_ids, 0);
    built_free(&b);
}

/* libvirt's default balloon, and a serial console on a pty. */
static void test_default_balloon_serial_console(void **state)
{
    (void)state;
    struct built b;
    build_xml(OS "<devices><serial type='pty'/><console type='pty'/></devices>", &b);
    assert_int_equal(b.r.n_nics, 0);
    assert_string_equal(b.r.balloon_path, "/machine/peripheral/balloon0");
    assert_non_null(option_with(&b, "-device", "\"id\":\"balloon0\""));
    assert_string_equal(b.r.console_chardev, "charserial0");
    assert_non_null(option_with(&b, "-chardev", "pty,id=charserial0"));
    built_free(&b);
}

/* A serial port on a file is no console to attach to; the virtio console after it (which
 * libvirt numbers from 1) is. */
static void test_console_is_first_pty(void **state)
{
    (void)state;
    struct built b;
    build_xml(OS "<devices><serial type='file'><source path='/tmp/s.log'/></serial>"
              "<console type='pty'><target type='virtio'/></console></devices>", &b);
    assert_string_equal(b.r.console_chardev, "charconsole1");
    assert_non_null(option_with(&b, "-chardev", "pty,id=charconsole1"));
    built_free(&b);

    build_xml(OS "<devices><serial type='null'/></devices>", &b);
    assert_null(b.r.console_chardev);
    built_free(&b);
}

/* Each <iothreadpin> names the IOThread object the command line creates for it. */
static void test_iothread_pins(void **state)
{
    (void)state;
    struct built b;
    build_xml("<iothreads>3</iothreads><iothreadids><iothread id='7'/></iothreadids>"
              "<cputune><iothreadpin iothread='1' cpuset='0'/>"
              "<iothreadpin iothread='7' cpuset='0'/></cputune>" OS, &b);
    assert_int_equal(b.r.n_iothreadpin_ids, 2);
    assert_string_equal(b.r.iothreadpin_ids[0], "iothread1");
    assert_string_equal(b.r.iothreadpin_ids[1], "iothread7");
    for (size_t i = 0; i < b.r.n_iothreadpin_ids; i++) {
        _cleanup_free_ char *obj = xasprintf("{\"qom-type\":\"iothread\",\"id\":\"%s\"}",
                                             b.r.iothreadpin_ids[i]);
        assert_non_null(option_with(&b, "-object", obj));
    }
    built_free(&b);
}

/* Golden cases: four NICs; a lone serial <console>, which libvirt makes serial0; a serial
 * and consoles (the serial one is serial0 itself). */
static void test_golden_cases(void **state)
{
    (void)state;
    struct built b;
    build_golden("net-user-models.xml", &b);
    assert_int_equal(b.r.n_nics, b.d->dev.n_interfaces);
    assert_int_equal(b.r.n_nics, 4);
    for (size_t i = 0; i < b.r.n_nics; i++) {
        char want[32];
        snprintf(want, sizeof(want), "net%zu", i);
        assert_string_equal(b.r.nics[i].device_id, want);
        assert_false(b.r.nics[i].link_down);
        assert_nic_in_argv(&b, i);
    }
    built_free(&b);

    build_golden("console-only.xml", &b);
    assert_string_equal(b.r.console_chardev, "charserial0");
    built_free(&b);

    build_golden("console-virtio.xml", &b);
    assert_string_equal(b.r.console_chardev, "charserial0");
    assert_null(b.r.balloon_path);      /* <memballoon model='none'/> */
    built_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_nics_no_balloon_virtio_console),
        cmocka_unit_test(test_default_balloon_serial_console),
        cmocka_unit_test(test_console_is_first_pty),
        cmocka_unit_test(test_iothread_pins),
        cmocka_unit_test(test_golden_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
