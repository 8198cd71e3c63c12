/* Snapshot metadata files and save-file headers: round trips, the checks on what is read
 * back (both are files a root process reads), the directory they live in. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervise/snapshot.h"
#include "util/strbuf.h"

static void meta_fill(struct snap_meta *m, const char *name, int64_t t)
{
    memset(m, 0, sizeof(*m));
    m->name = xstrdup(name);
    m->domain = xstrdup("vm1");
    m->description = xstrdup("before the \"upgrade\"\nline two");
    m->creation_time = t;
    m->running = true;
    m->vmstate = xstrdup("vda");
    m->disks = xcalloc(2, sizeof(char *));
    m->disks[0] = xstrdup("vda");
    m->disks[1] = xstrdup("vdb");
    m->n_disks = 2;
    m->qemu_version = xstrdup("7.2.0");
}

static void test_meta_roundtrip(void **state)
{
    (void)state;
    struct snap_meta m, back;
    meta_fill(&m, "s1", 1700000000);
    m.parent = xstrdup("s0");
    m.current = true;
    char *text = snap_meta_format(&m);
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(snap_meta_parse(text, "s1.json", &back, &err), 0);
    assert_string_equal(back.name, "s1");
    assert_string_equal(back.domain, "vm1");
    assert_string_equal(back.description, m.description);
    assert_string_equal(back.parent, "s0");
    assert_int_equal(back.creation_time, 1700000000);
    assert_true(back.running && back.current);
    assert_string_equal(back.vmstate, "vda");
    assert_int_equal(back.n_disks, 2);
    assert_string_equal(back.disks[1], "vdb");
    assert_string_equal(back.qemu_version, "7.2.0");
    snap_meta_clear(&back);
    /* paused, no parent, no description */
    m.running = false;
    free(m.parent);
    free(m.description);
    m.parent = m.description = NULL;
    free(text);
    text = snap_meta_format(&m);
    assert_int_equal(snap_meta_parse(text, "s1.json", &back, &err), 0);
    assert_false(back.running);
    assert_null(back.parent);
    assert_null(back.description);
    snap_meta_clear(&back);
    free(text);
    snap_meta_clear(&m);
    /* A disk-only snapshot of a shut-off domain has no VM state and reads back as written
     * (the input fuzz-snapshot's old invariant wrongly called a crash: seeds/snapshot). */
    const char *off = "{\"name\":\"s\",\"domain\":\"x\",\"state\":\"shutoff\","
                      "\"disks\":[\"vdvdb\"],\"qemu_version\":\"7.2.0\"}";
    assert_int_equal(snap_meta_parse(off, "s.json", &back, &err), 0);
    assert_true(back.shutoff);
    assert_null(back.vmstate);
    text = snap_meta_format(&back);
    struct snap_meta again;
    assert_int_equal(snap_meta_parse(text, "s.json", &again, &err), 0);
    assert_true(again.shutoff);
    assert_null(again.vmstate);
    assert_string_equal(again.disks[0], "vdvdb");
    snap_meta_clear(&again);
    snap_meta_clear(&back);
    free(text);
}

/* Each of these is refused with a message naming the file. */
static void test_meta_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"name\":\"s1\"}",                                                  /* incomplete */
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"],\"extra\":1}",                                   /* unknown */
        "{\"name\":\"../x\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"]}",                                               /* a path */
        "{\"name\":\"s1\",\"domain\":\"a/b\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"]}",
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"off\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"]}",
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vdb\","
        "\"disks\":[\"vda\"]}",                                               /* not a disk */
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\",\"v d\"]}",
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[]}",
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"],\"creation_time\":-1}",
        "{\"name\":\"s\\u0000x\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"]}",
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[[\"vda\"]]}",                                             /* too deep */
        "{\"name\":\"s1\",\"domain\":\"vm\",\"state\":\"running\",\"vmstate\":\"vda\","
        "\"disks\":[\"vda\"]} {}",                                            /* two texts */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct snap_meta m;
        struct ql_error err = QL_ERROR_INIT;
        assert_true(snap_meta_parse(bad[i], "x.json", &m, &err) < 0);
        assert_non_null(err.msg);
        assert_non_null(strstr(err.msg, "x.json"));
        assert_null(m.name);
        ql_error_clear(&err);
    }
}

static void test_names(void **state)
{
    (void)state;
    static const char *const good[] = {"s1", "before-upgrade", "2024.05.01_12:00", "a+b@c"};
    static const char *const bad[] = {"", ".hidden", "-opt", "a/b", "a b", "x\n", "é"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_null(snap_name_error(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *why = snap_name_error(bad[i]);
        assert_non_null(why);
        free(why);
    }
    char longname[SNAP_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char *why = snap_name_error(longname);
    assert_non_null(why);
    free(why);
}

/* Written into QLAUNCH_SNAPSHOT_DIR/DOMAIN/ (private), listed oldest first, removed. */
static void test_meta_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ql-snap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *base = xasprintf("%s/snapshots", dir);
    setenv("QLAUNCH_SNAPSHOT_DIR", base, 1);
    struct ql_error err = QL_ERROR_INIT;
    struct snap_meta a, b, back, *v;
    size_t n;
    assert_int_equal(snap_meta_list("vm1", &v, &n, &err), 0);    /* none yet */
    assert_int_equal(n, 0);
    meta_fill(&a, "late", 200);
    meta_fill(&b, "early", 100);
    assert_int_equal(snap_meta_write(&a, &err), 0);
    assert_int_equal(snap_meta_write(&b, &err), 0);
    char *path = xasprintf("%s/vm1/late.json", base);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *ddir = snap_domain_dir("vm1");
    assert_int_equal(stat(ddir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(snap_meta_list("vm1", &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].name, "early");
    assert_string_equal(v[1].name, "late");
    snap_meta_list_free(v, n);
    assert_int_equal(snap_meta_read("vm1", "late", &back, &err), 0);
    snap_meta_clear(&back);
    assert_int_equal(snap_meta_read("vm1", "nope", &back, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "has no snapshot 'nope'"));
    ql_error_clear(&err);
    assert_true(snap_meta_read("vm1", "../x", &back, &err) < 0);
    ql_error_clear(&err);
    /* a file under another snapshot's name is not taken for it */
    char *other = xasprintf("%s/vm1/other.json", base);
    assert_int_equal(rename(path, other), 0);
    assert_int_equal(snap_meta_read("vm1", "other", &back, &err), -EBADMSG);
    ql_error_clear(&err);
    assert_int_equal(snap_meta_list("vm1", &v, &n, &err), -EBADMSG);
    ql_error_clear(&err);
    assert_int_equal(rename(other, path), 0);
    assert_int_equal(snap_meta_remove("vm1", "late", &err), 0);
    assert_int_equal(snap_meta_remove("vm1", "early", &err), 0);
    assert_int_equal(stat(ddir, &st), -1);      /* the last one takes the directory along */
    rmdir(base);
    rmdir(dir);
    unsetenv("QLAUNCH_SNAPSHOT_DIR");
    snap_meta_clear(&a);
    snap_meta_clear(&b);
    free(other);
    free(ddir);
    free(path);
    free(base);
}

static void test_save_header(void **state)
{
    (void)state;
    struct save_header h = {.name = "vm1", .uuid = "b3c40c40-d5c6-11e3-b22d-008cfa0c6caa",
                            .xml = "<domain><name>vm1</name></domain>", .running = true,
                            .saved_at = 1700000000, .qemu_version = "10.0.2"};
    size_t len, need;
    char *buf = save_header_format(&h, &len);
    assert_int_equal(len % SAVE_ALIGN, 0);
    assert_memory_equal(buf, SAVE_MAGIC, 16);
    struct save_header back;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(save_header_parse(buf, len, &back, &need, &err), 0);
    assert_string_equal(back.name, "vm1");
    assert_string_equal(back.xml, h.xml);
    assert_string_equal(back.uuid, h.uuid);
    assert_true(back.running);
    assert_int_equal(back.data_offset, len);
    save_header_clear(&back);
    /* the preamble alone says how much more is needed */
    assert_int_equal(save_header_parse(buf, SAVE_PREAMBLE, &back, &need, &err), -EAGAIN);
    assert_true(need > SAVE_PREAMBLE && need <= len);
    /* read from a file, with the stream after it */
    char path[] = "/tmp/ql-save-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(write(fd, "QEVM", 4), 4);
    assert_int_equal(save_header_read(fd, path, &back, &err), 0);
    assert_int_equal(back.data_offset, len);
    save_header_clear(&back);
    /* damaged: magic, length digits, length past the end, NUL inside */
    buf[0] = 'X';
    assert_int_equal(save_header_parse(buf, len, &back, &need, &err), -EBADMSG);
    ql_error_clear(&err);
    buf[0] = 'Q';
    buf[20] = 'g';
    assert_int_equal(save_header_parse(buf, len, &back, &need, &err), -EBADMSG);
    ql_error_clear(&err);
    buf[20] = '0';
    memcpy(buf + 16, "7fffffff", 8);
    assert_int_equal(save_header_parse(buf, len, &back, &need, &err), -EBADMSG);
    ql_error_clear(&err);
    assert_int_equal(ftruncate(fd, 100), 0);
    assert_int_equal(save_header_read(fd, path, &back, &err), -EBADMSG);
    assert_non_null(strstr(err.msg, path));
    ql_error_clear(&err);
    close(fd);
    unlink(path);
    free(buf);
    /* a header without the XML, or with a version to come, is refused */
    static const char *const bad[] = {
        "{\"version\":1,\"name\":\"vm1\",\"state\":\"running\"}",
        "{\"version\":2,\"name\":\"vm1\",\"state\":\"running\",\"xml\":\"<domain/>\"}",
        "{\"version\":1,\"name\":\"../vm\",\"state\":\"running\",\"xml\":\"<domain/>\"}",
        "{\"version\":1,\"name\":\"vm1\",\"state\":\"running\",\"xml\":\"<domain/>\",\"x\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *raw = xasprintf("%s%08zx\n%s", SAVE_MAGIC, strlen(bad[i]), bad[i]);
        assert_true(save_header_parse(raw, strlen(raw), &back, &need, &err) < 0);
        assert_non_null(err.msg);
        assert_null(back.name);
        ql_error_clear(&err);
        free(raw);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_roundtrip),
        cmocka_unit_test(test_meta_refused),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_meta_files),
        cmocka_unit_test(test_save_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
