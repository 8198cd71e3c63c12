/* Persistent definitions: define replaces atomically, autostart is a link that goes with
 * the definition, the list is sorted and holds only definitions, names are checked. */
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

#include "store/store.h"
#include "supervise/rundir.h"
#include "util/fileio.h"
#include "util/strbuf.h"

static char *make_dir(void)
{
    char tmpl[] = "/tmp/ql-store-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    /* a directory below that does not exist yet: define creates it */
    return xasprintf("%s/domains", tmpl);
}

static void remove_dir(char *dir)
{
    *strrchr(dir, '/') = '\0';     /* the mkdtemp directory above */
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static void test_define_replace_undefine(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct ql_error err = QL_ERROR_INIT;
    assert_false(store_defined(dir, "vm1"));
    assert_int_equal(store_define(dir, "vm1", "<a/>", 4, &err), 0);
    assert_true(store_defined(dir, "vm1"));
    assert_int_equal(store_define(dir, "vm1", "<b/>\n", 5, &err), 0);
    char *path = store_path(dir, "vm1", &err);
    char *data;
    size_t len;
    assert_int_equal(ql_read_file(path, 100, &data, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "<b/>\n", 5);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(data);
    assert_int_equal(store_undefine(dir, "vm1", &err), 0);
    assert_false(store_defined(dir, "vm1"));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(store_undefine(dir, "vm1", &err), -ENOENT);
    assert_non_null(strstr(ql_error_msg(&err), "'vm1' is not defined"));
    ql_error_clear(&err);
    free(path);
    remove_dir(dir);
}

static void test_autostart(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(store_set_autostart(dir, "vm", true, &err), -ENOENT);
    ql_error_clear(&err);
    assert_int_equal(store_define(dir, "vm", "<a/>", 4, &err), 0);
    assert_false(store_autostart(dir, "vm"));
    assert_int_equal(store_set_autostart(dir, "vm", true, &err), 0);
    assert_int_equal(store_set_autostart(dir, "vm", true, &err), 0);   /* twice: no error */
    assert_true(store_autostart(dir, "vm"));
    char *link = xasprintf("%s/autostart/vm.xml", dir);
    char target[64] = {0};
    assert_true(readlink(link, target, sizeof(target) - 1) > 0);
    assert_string_equal(target, "../vm.xml");
    assert_int_equal(store_set_autostart(dir, "vm", false, &err), 0);
    assert_false(store_autostart(dir, "vm"));
    /* undefine takes the autostart link with it */
    assert_int_equal(store_set_autostart(dir, "vm", true, &err), 0);
    assert_int_equal(store_undefine(dir, "vm", &err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), -1);
    free(link);
    remove_dir(dir);
}

static void test_list(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct ql_error err = QL_ERROR_INIT;
    char **names;
    size_t n;
    assert_int_equal(store_list(dir, &names, &n, &err), 0);   /* no directory: none */
    assert_int_equal(n, 0);
    assert_int_equal(store_define(dir, "zeta", "<a/>", 4, &err), 0);
    assert_int_equal(store_define(dir, "alpha", "<a/>", 4, &err), 0);
    assert_int_equal(store_set_autostart(dir, "alpha", true, &err), 0);
    /* neither a hidden file, another suffix nor a directory is a definition */
    char *junk = xasprintf("%s/notes.txt", dir), *hidden = xasprintf("%s/.x.xml", dir);
    char *sub = xasprintf("%s/sub.xml", dir);
    assert_int_equal(ql_write_file_atomic(junk, "x", 1, 0600, &err), 0);
    assert_int_equal(ql_write_file_atomic(hidden, "x", 1, 0600, &err), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(store_list(dir, &names, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "alpha");
    assert_string_equal(names[1], "zeta");
    sup_free_names(names, n);
    free(junk);
    free(hidden);
    free(sub);
    remove_dir(dir);
}

static void test_names_and_dirs(void **state)
{
    (void)state;
    struct ql_error err = QL_ERROR_INIT;
    assert_null(store_path("/x", "../etc", &err));
    assert_int_equal(err.code, EINVAL);
    ql_error_clear(&err);
    assert_int_equal(store_define("/x", ".hidden", "<a/>", 4, &err), -EINVAL);
    ql_error_clear(&err);
    setenv("QLAUNCH_DOMAIN_DIR", "/srv/defs", 1);
    assert_string_equal(store_dir(NULL), "/srv/defs");
    assert_string_equal(store_dir("/opt/d"), "/opt/d");
    char *p = store_path(NULL, "vm", &err);
    assert_string_equal(p, "/srv/defs/vm.xml");
    free(p);
    unsetenv("QLAUNCH_DOMAIN_DIR");
    if (geteuid() == 0) {
        assert_string_equal(store_dir(NULL), QLAUNCH_SYSCONFDIR "/qlaunch/domains");
    } else {
        setenv("XDG_CONFIG_HOME", "/home/u/.cfg", 1);
        assert_string_equal(store_dir(NULL), "/home/u/.cfg/qlaunch/domains");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_define_replace_undefine),
        cmocka_unit_test(test_autostart),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_names_and_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
