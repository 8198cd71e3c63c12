/* The state file round-trips everything a re-attaching supervisor relies on. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise/state.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/time.h"

static void test_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/ql-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/state.json", dir);
    struct sup_status s = {0};
    s.name = xstrdup("vm,1 \"q\"");
    snprintf(s.uuid, sizeof(s.uuid), "%s", "b3c40c40-d5c6-11e3-b22d-008cfa0c6caa");
    s.state = SUP_STATE_CRASHED;
    s.reason = SUP_REASON_PANICKED;
    s.qemu_pid = 4242;
    s.qemu_start_time = 123456789012ULL;
    s.restarts = 3;
    s.boots = 4;
    s.reboot_pending = true;
    s.restart_cap = 7;
    s.restart_window = 30;
    s.dump_dir = xstrdup("/var/tmp/d");
    s.console_pty = xstrdup("/dev/pts/9");
    s.n_nics = 2;
    s.nic_taps = xcalloc(2, sizeof(char *));
    s.nic_ovs = xcalloc(2, sizeof(char *));
    s.nic_taps[0] = xstrdup("qltap0");
    s.nic_ovs[0] = xstrdup("ovsbr0");
    s.nic_taps[1] = xstrdup("qltap1");   /* Linux bridge: no OVS port */
    s.qemu_uid = 999;
    s.qemu_gid = 995;
    s.n_grants = 2;
    s.grants = xcalloc(2, sizeof(*s.grants));
    s.grants[0] = (struct host_dac_grant){xstrdup("/var/lib/img/a.qcow2"), 0, 6};
    s.grants[1] = (struct host_dac_grant){xstrdup("/tmp/serial,log"), 1000, 1000};
    s.n_helpers = 3;
    s.helpers[0] = (struct sup_helper){xstrdup("swtpm"), 4343, 987654321098ULL,
                                       xstrdup("/run/qlaunch/x/qemu/swtpm.sock"),
                                       xstrdup("/run/qlaunch/x/swtpm")};
    s.helpers[1] = (struct sup_helper){xstrdup("virtiofsd"), 4344, 5, NULL, NULL};
    /* Never acted on: a relative socket path. */
    s.helpers[2] = (struct sup_helper){xstrdup("bad"), 4345, 5, xstrdup("rel.sock"), NULL};
    s.n_media = 2;
    s.media = xcalloc(2, sizeof(*s.media));
    s.media[0] = (struct sup_media){xstrdup("hdc"), xstrdup("/iso/b.iso"), 5};
    s.media[1] = (struct sup_media){xstrdup("fda"), NULL, 0};     /* ejected */
    s.media_seq = 3;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_status_write(path, &s, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    struct sup_status r;
    assert_int_equal(sup_status_read(path, &r, &err), 0);
    assert_string_equal(r.name, s.name);
    assert_string_equal(r.uuid, s.uuid);
    assert_int_equal(r.state, SUP_STATE_CRASHED);
    assert_int_equal(r.reason, SUP_REASON_PANICKED);
    assert_int_equal(r.qemu_pid, 4242);
    assert_true(r.qemu_start_time == 123456789012ULL);
    assert_int_equal(r.restarts, 3);
    assert_int_equal(r.boots, 4);
    assert_true(r.reboot_pending);
    assert_int_equal(r.restart_cap, 7);
    assert_int_equal(r.restart_window, 30);
    assert_string_equal(r.dump_dir, "/var/tmp/d");
    assert_string_equal(r.console_pty, "/dev/pts/9");
    assert_int_equal(r.n_nics, 2);
    assert_string_equal(r.nic_taps[0], "qltap0");
    assert_string_equal(r.nic_ovs[0], "ovsbr0");
    assert_string_equal(r.nic_taps[1], "qltap1");
    assert_null(r.nic_ovs[1]);
    assert_int_equal(r.qemu_uid, 999);
    assert_int_equal(r.qemu_gid, 995);
    assert_int_equal(r.n_grants, 2);
    assert_string_equal(r.grants[0].path, "/var/lib/img/a.qcow2");
    assert_int_equal(r.grants[0].uid, 0);
    assert_int_equal(r.grants[0].gid, 6);
    assert_string_equal(r.grants[1].path, "/tmp/serial,log");
    assert_int_equal(r.grants[1].uid, 1000);
    assert_int_equal(r.n_helpers, 2);
    assert_string_equal(r.helpers[0].name, "swtpm");
    assert_int_equal(r.helpers[0].pid, 4343);
    assert_true(r.helpers[0].start_time == 987654321098ULL);
    assert_string_equal(r.helpers[0].socket, "/run/qlaunch/x/qemu/swtpm.sock");
    assert_string_equal(r.helpers[0].remove_dir, "/run/qlaunch/x/swtpm");
    assert_string_equal(r.helpers[1].name, "virtiofsd");
    assert_null(r.helpers[1].socket);
    assert_null(r.helpers[1].remove_dir);
    assert_int_equal(r.n_media, 2);
    assert_string_equal(r.media[0].target, "hdc");
    assert_string_equal(r.media[0].source, "/iso/b.iso");
    assert_int_equal(r.media[0].node, 5);
    assert_string_equal(r.media[1].target, "fda");
    assert_null(r.media[1].source);
    assert_int_equal(r.media_seq, 3);
    sup_status_clear(&r);
    sup_status_clear(&s);

    /* A corrupt file is an error, not a crash. */
    FILE *f = fopen(path, "w");
    fputs("{\"name\": ", f);
    fclose(f);
    assert_int_equal(sup_status_read(path, &r, &err), -EBADMSG);
    assert_non_null(strstr(ql_error_msg(&err), "is not valid JSON"));
    ql_error_clear(&err);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* The text parser the file reader uses (and the fuzzer drives): wrong types are ignored,
 * not trusted; no name is an error. */
static void test_parse(void **state)
{
    (void)state;
    struct sup_status r;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(sup_status_parse("{\"name\":\"x\",\"state\":7,\"qemu_pid\":\"12\","
                                      "\"nics\":[1,null,{\"tap\":[]}],\"displays\":[{\"type\":"
                                      "\"vnc\",\"port\":99999},{\"type\":\"rdp\"}]}",
                                      "t.json", &r, &err), 0);
    assert_string_equal(r.name, "x");
    assert_int_equal(r.state, SUP_STATE_SHUTOFF);
    assert_int_equal(r.n_nics, 3);
    assert_null(r.nic_taps[0]);
    assert_null(r.nic_taps[2]);
    assert_int_equal(r.n_displays, 1);
    assert_int_equal(r.displays[0].port, 0);
    sup_status_clear(&r);
    /* Files to give back: relative paths, ids out of range, grants without a QEMU user are
     * dropped (never chown on garbage). */
    assert_int_equal(sup_status_parse("{\"name\":\"x\",\"qemu_uid\":999,\"qemu_gid\":9,"
                                      "\"grants\":[{\"path\":\"rel\",\"uid\":0,\"gid\":0},"
                                      "{\"path\":\"/a\",\"uid\":-1,\"gid\":0},"
                                      "{\"path\":\"/b\",\"uid\":5,\"gid\":99999999999},"
                                      "{\"path\":\"/ok\",\"uid\":5,\"gid\":6},7]}",
                                      "t.json", &r, &err), 0);
    assert_int_equal(r.n_grants, 1);
    assert_string_equal(r.grants[0].path, "/ok");
    sup_status_clear(&r);
    assert_int_equal(sup_status_parse("{\"name\":\"x\",\"grants\":[{\"path\":\"/ok\","
                                      "\"uid\":5,\"gid\":6}]}", "t.json", &r, &err), 0);
    assert_int_equal(r.n_grants, 0);
    sup_status_clear(&r);
    /* PCI bindings become sysfs paths: only well-formed addresses and driver names. */
    assert_int_equal(sup_status_parse("{\"name\":\"x\",\"pci\":["
                                      "{\"addr\":\"0000:06:12.5\",\"driver\":\"e1000e\","
                                      "\"vfio_driver\":\"vfio-pci\",\"changed\":true},"
                                      "{\"addr\":\"../../x\",\"vfio_driver\":\"vfio-pci\"},"
                                      "{\"addr\":\"0000:06:12.6\",\"driver\":\"../e\","
                                      "\"vfio_driver\":\"vfio-pci\"},"
                                      "{\"addr\":\"0000:06:12.7\"},3]}", "t.json", &r, &err), 0);
    assert_int_equal(r.n_pci, 1);
    assert_string_equal(r.pci[0].addr, "0000:06:12.5");
    assert_string_equal(r.pci[0].driver, "e1000e");
    assert_true(r.pci[0].changed);
    json_object *o = sup_status_to_json(&r);
    sup_status_clear(&r);
    assert_int_equal(sup_status_from_json(o, &r, &err), 0);
    json_object_put(o);
    assert_int_equal(r.n_pci, 1);
    assert_string_equal(r.pci[0].vfio_driver, "vfio-pci");
    sup_status_clear(&r);
    assert_int_equal(sup_status_parse("[]", "t.json", &r, &err), -EBADMSG);
    assert_string_equal(ql_error_msg(&err), "state file 't.json' is not valid JSON");
    ql_error_clear(&err);
    assert_int_equal(sup_status_parse("{\"name\":1}", "t.json", &r, &err), -EBADMSG);
    assert_string_equal(ql_error_msg(&err),
                        "state file 't.json': the domain status has no domain name");
    ql_error_clear(&err);
}

static void test_proc(void **state)
{
    (void)state;
    unsigned long long me = sup_proc_start_time(getpid());
    assert_true(me > 0);
    assert_true(sup_proc_matches(getpid(), me));
    assert_false(sup_proc_matches(getpid(), me + 1));   /* a reused pid */
    assert_false(sup_proc_matches(0, 0));
}

/* The shared json-c getters the state file reader is built on. */
static void test_json_getters(void **state)
{
    (void)state;
    _cleanup_json_ json_object *o = json_tokener_parse(
        "{\"s\": \"x\", \"i\": 7, \"big\": 5000000000, \"b\": true, \"d\": 1.5, "
        "\"a\": [\"p\", 3, \"q\"], \"o\": {\"n\": -2}}");
    assert_non_null(o);
    assert_string_equal(ql_json_str(o, "s", NULL), "x");
    assert_null(ql_json_str(o, "i", NULL));             /* wrong type: the default */
    assert_string_equal(ql_json_str(o, "none", "dflt"), "dflt");
    assert_int_equal(ql_json_int(o, "i", -1), 7);
    assert_int_equal(ql_json_int(o, "big", -1), -1);    /* does not fit an int */
    assert_true(ql_json_int64(o, "big", -1) == 5000000000LL);
    assert_int_equal(ql_json_int(o, "d", -1), -1);      /* a double is not an integer */
    assert_int_equal(ql_json_int(o, "s", -1), -1);
    assert_true(ql_json_bool(o, "b", false));
    assert_false(ql_json_bool(o, "i", false));
    assert_int_equal(ql_json_int(ql_json_get(o, "o", json_type_object), "n", 0), -2);
    assert_null(ql_json_get(o, "o", json_type_array));
    json_object *a = ql_json_get(o, "a", json_type_array);
    assert_true(ql_json_array_has_str(a, "q"));
    assert_false(ql_json_array_has_str(a, "3"));
    assert_false(ql_json_array_has_str(o, "x"));        /* not an array */
    /* NULL and non-objects have no members */
    assert_null(ql_json_get(NULL, "s", json_type_string));
    assert_int_equal(ql_json_int(a, "s", 4), 4);
}

static void test_deadline(void **state)
{
    (void)state;
    assert_int_equal(ql_deadline_ms(-1), -1);
    assert_int_equal(ql_deadline_left_ms(-1), -1);
    int64_t now = ql_mono_ms();
    assert_true(ql_mono_us() / 1000 >= now);
    assert_int_equal(ql_deadline_left_ms(now - 5), 0);
    int left = ql_deadline_left_ms(ql_deadline_ms(60000));
    assert_true(left > 59000 && left <= 60000);
    assert_int_equal(ql_deadline_left_ms(now + ((int64_t)1 << 40)), INT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_json_getters),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_proc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
