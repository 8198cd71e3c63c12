/* Persistent domain definitions; see store.h. */
#include "config.h"
#include "store/store.h"
#include "domain/parse.h"
#include "supervise/rundir.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *store_dir(const char *dir)
{
    static char *user_dir;
    if (dir && *dir)
        return dir;
    const char *e = getenv("QLAUNCH_DOMAIN_DIR");
    if (e && *e)
        return e;
    if (geteuid() == 0)
        return QLAUNCH_SYSCONFDIR "/qlaunch/domains";
    if (!user_dir) {
        const char *cfg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        user_dir = cfg && *cfg     ? xasprintf("%s/qlaunch/domains", cfg)
                   : home && *home ? xasprintf("%s/.config/qlaunch/domains", home)
                   : xasprintf("/tmp/qlaunch-%ld-config/domains", (long)geteuid());
    }
    return user_dir;
}

char *store_path(const char *dir, const char *name, struct ql_error *err)
{
    _cleanup_free_ char *why = dom_name_error("domain", name);
    if (why) {
        ql_error_set(err, EINVAL, "%s", why);
        return NULL;
    }
    return xasprintf("%s/%s.xml", store_dir(dir), name);
}

static char *autostart_path(const char *dir, const char *name)
{
    return xasprintf("%s/autostart/%s.xml", store_dir(dir), name);
}

bool store_defined(const char *dir, const char *name)
{
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *path = store_path(dir, name, &err);
    ql_error_clear(&err);
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Definitions may hold secrets (display passwords): a user's directory is private. */
static int make_dir(const char *path, struct ql_error *err)
{
    int r = sup_mkdir_p(path, geteuid() == 0 ? 0755 : 0700);
    if (r < 0)
        return ql_error_errno(err, -r, "cannot create the domain directory '%s'", path);
    return 0;
}

int store_define(const char *dir, const char *name, const char *xml, size_t len,
                 struct ql_error *err)
{
    _cleanup_free_ char *path = store_path(dir, name, err);
    if (!path)
        return -err->code;
    int r = make_dir(store_dir(dir), err);
    if (r < 0)
        return r;
    return ql_write_file_atomic(path, xml, len, 0600, err);
}

int store_undefine(const char *dir, const char *name, struct ql_error *err)
{
    _cleanup_free_ char *path = store_path(dir, name, err);
    if (!path)
        return -err->code;
    _cleanup_free_ char *link = autostart_path(dir, name);
    if (unlink(link) < 0 && errno != ENOENT)
        return ql_error_errno(err, errno, "cannot remove '%s'", link);
    if (unlink(path) < 0) {
        if (errno == ENOENT)
            return ql_error_set(err, ENOENT, "domain '%s' is not defined", name);
        return ql_error_errno(err, errno, "cannot remove '%s'", path);
    }
    return 0;
}

int store_set_autostart(const char *dir, const char *name, bool on, struct ql_error *err)
{
    _cleanup_free_ char *path = store_path(dir, name, err);
    if (!path)
        return -err->code;
    if (!store_defined(dir, name))
        return ql_error_set(err, ENOENT, "domain '%s' is not defined", name);
    _cleanup_free_ char *link = autostart_path(dir, name);
    if (!on) {
        if (unlink(link) < 0 && errno != ENOENT)
            return ql_error_errno(err, errno, "cannot remove '%s'", link);
        return 0;
    }
    _cleanup_free_ char *adir = xasprintf("%s/autostart", store_dir(dir));
    int r = make_dir(adir, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *target = xasprintf("../%s.xml", name);
    if (symlink(target, link) < 0 && errno != EEXIST)
        return ql_error_errno(err, errno, "cannot create '%s'", link);
    return 0;
}

bool store_autostart(const char *dir, const char *name)
{
    if (!store_defined(dir, name))
        return false;
    _cleanup_free_ char *link = autostart_path(dir, name);
    struct stat st;
    return lstat(link, &st) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_list(const char *dir, char ***ret_names, size_t *ret_n, struct ql_error *err)
{
    *ret_names = NULL;
    *ret_n = 0;
    const char *d = store_dir(dir);
    DIR *dh = opendir(d);
    if (!dh) {
        if (errno == ENOENT)
            return 0;
        return ql_error_errno(err, errno, "cannot read the domain directory '%s'", d);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        size_t len = strlen(e->d_name);
        if (len <= 4 || strcmp(e->d_name + len - 4, ".xml") != 0 || e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *name = xstrndup(e->d_name, len - 4);
        if (!store_defined(dir, name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = steal_pointer(&name);
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    *ret_names = names;
    *ret_n = n;
    return 0;
}
