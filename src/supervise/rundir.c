#include "config.h"
#include "supervise/rundir.h"
#include "domain/parse.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

const char *sup_default_dir(enum sup_dir which)
{
    static char *dirs[SUP_DIR_MAX];
    static const char *const root_dirs[SUP_DIR_MAX] = {SUP_DEFAULT_BASE, "/var/log/qlaunch",
                                                       "/var/lib/qlaunch/dump",
                                                       "/var/lib/qlaunch/nvram",
                                                       "/var/lib/qlaunch/swtpm",
                                                       "/var/lib/qlaunch/snapshot"};
    static const char *const user_sub[SUP_DIR_MAX] = {NULL, "log", "dump", "nvram", "swtpm",
                                                      "snapshot"};
    if (which < 0 || which >= SUP_DIR_MAX)
        return NULL;
    if (geteuid() == 0)
        return root_dirs[which];
    if (!dirs[which]) {
        const char *rt = getenv("XDG_RUNTIME_DIR"), *st = getenv("XDG_STATE_HOME");
        const char *home = getenv("HOME");
        /* Without a home, a private base of this uid in /tmp (checked like the run base by
         * sup_private_dir), never a path under /tmp that another user could create first. */
        _cleanup_free_ char *state = st && *st       ? xasprintf("%s/qlaunch", st)
                                     : home && *home ? xasprintf("%s/.local/state/qlaunch", home)
                                     : xasprintf("/tmp/qlaunch-%ld-state", (long)geteuid());
        if (which == SUP_DIR_RUN)
            dirs[which] = rt && *rt ? xasprintf("%s/qlaunch", rt)
                                    : xasprintf("/tmp/qlaunch-%ld", (long)geteuid());
        else
            dirs[which] = xasprintf("%s/%s", state, user_sub[which]);
    }
    return dirs[which];
}

const char *sup_nvram_dir(void)
{
    const char *e = getenv("QLAUNCH_NVRAM_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_NVRAM);
}

const char *sup_swtpm_dir(void)
{
    const char *e = getenv("QLAUNCH_SWTPM_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_SWTPM);
}

const char *sup_base_dir(const char *base_opt)
{
    if (base_opt && *base_opt)
        return base_opt;
    const char *e = getenv("QLAUNCH_RUN_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_RUN);
}

int sup_paths_init(struct sup_paths *p, const char *base, const char *name, struct ql_error *err)
{
    memset(p, 0, sizeof(*p));
    base = sup_base_dir(base);
    _cleanup_free_ char *why = dom_name_error("domain", name);
    if (why)
        return ql_error_set(err, EINVAL, "%s", why);
    /* BASE/X.last keeps the outcome of domain X: a domain named X.last would share it. */
    size_t nl = strlen(name);
    if (nl > 5 && strcmp(name + nl - 5, ".last") == 0)
        return ql_error_set(err, EINVAL, "the domain name '%s' ends in '.last', which qlaunch "
                            "uses for the outcome file of the domain '%.*s'", name,
                            (int)(nl - 5), name);
    p->base = xstrdup(base);
    p->dir = xasprintf("%s/%s", base, name);
    p->state = xasprintf("%s/state.json", p->dir);
    p->last = xasprintf("%s/%s.last", base, name);
    p->qmp = xasprintf("%s/qmp.sock", p->dir);
    p->ctl = xasprintf("%s/ctl.sock", p->dir);
    p->qemu_log = xasprintf("%s/qemu.log", p->dir);
    p->sup_log = xasprintf("%s/supervisor.log", p->dir);
    p->lock = xasprintf("%s/lock", p->dir);
    struct sockaddr_un sa;
    if (strlen(p->qmp) >= sizeof(sa.sun_path)) {
        int r = ql_error_set(err, ENAMETOOLONG, "the run directory '%s' is too long for unix "
                             "socket paths (at most %zu bytes); use a shorter domain name or "
                             "--run-dir", p->dir, sizeof(sa.sun_path) - 10);
        sup_paths_free(p);
        return r;
    }
    return 0;
}

void sup_paths_free(struct sup_paths *p)
{
    free(p->base);
    free(p->dir);
    free(p->state);
    free(p->last);
    free(p->qmp);
    free(p->ctl);
    free(p->qemu_log);
    free(p->sup_log);
    free(p->lock);
    memset(p, 0, sizeof(*p));
}

int sup_mkdir_p(const char *path, mode_t mode)
{
    _cleanup_free_ char *copy = xstrdup(path);
    for (char *s = copy + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(copy, geteuid() == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* May path (an ancestor of a private directory) be trusted: nobody but root and this user
 * can replace it or what it holds (a writable directory must be sticky, as /tmp is)? */
static bool trusted_ancestor(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return false;
    if (st.st_uid != 0 && st.st_uid != geteuid())
        return false;
    if (S_ISLNK(st.st_mode))
        return stat(path, &st) == 0 && (st.st_uid == 0 || st.st_uid == geteuid());
    return S_ISDIR(st.st_mode) && (!(st.st_mode & 022) || (st.st_mode & S_ISVTX));
}

int sup_private_dir(const char *path, const char *what, const char *how, struct ql_error *err)
{
    bool root = geteuid() == 0;
    int r = sup_mkdir_p(path, 0700);
    if (r < 0)
        return ql_error_errno(err, -r, "cannot create the %s directory '%s'", what, path);
    if (root)
        return 0;   /* system directories: only root can write where they are */
    struct stat st;
    const char *why = NULL;
    if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
        why = "it is a symbolic link";
    else if (!S_ISDIR(st.st_mode))
        why = "it is not a directory";
    else if (st.st_uid != geteuid())
        why = "it belongs to another user";
    else if (st.st_mode & 077)
        why = "other users have access to it (it must be mode 0700)";
    _cleanup_free_ char *up = xstrdup(path);
    for (char *slash; !why && (slash = strrchr(up, '/')) && slash != up;) {
        *slash = '\0';
        if (!trusted_ancestor(up))
            why = "a directory above it belongs to another user or can be changed by others";
    }
    if (why)
        return ql_error_set(err, EPERM, "the %s directory '%s' is not private to this user: %s;"
                            " remove it, or choose another with %s", what, path, why, how);
    return 0;
}

int sup_private_file(int fd, const char *path, struct ql_error *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ql_error_errno(err, errno, "cannot check '%s'", path);
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1)
        return ql_error_set(err, EPERM, "'%s' is not a regular file of this user with a single "
                            "link (something was put there in its place); remove it", path);
    return 0;
}

int sup_rundir_create(const struct sup_paths *p, struct ql_error *err)
{
    int r;
    /* A base in a shared place (/tmp/qlaunch-UID) must be ours, or someone else could
     * watch or replace our sockets. */
    if (geteuid() != 0) {
        if ((r = sup_private_dir(p->base, "run", "--run-dir or QLAUNCH_RUN_DIR", err)) < 0)
            return r;
    } else if ((r = sup_mkdir_p(p->base, 0755)) < 0) {
        return ql_error_errno(err, -r, "cannot create the run directory '%s'", p->base);
    }
    struct stat st;
    if (lstat(p->base, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return ql_error_set(err, EPERM, "the run directory '%s' is not a directory owned by "
                            "this user; remove it or choose another with --run-dir", p->base);
    if (mkdir(p->dir, 0700) < 0)
        return ql_error_errno(err, errno, "cannot create '%s'", p->dir);
    return 0;
}

void sup_remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (STREQ(e->d_name, ".") || STREQ(e->d_name, ".."))
                continue;
            _cleanup_free_ char *f = xasprintf("%s/%s", dir, e->d_name);
            if (unlink(f) < 0 && (errno == EISDIR || errno == EPERM) && depth > 0)
                sup_remove_tree(f, depth - 1);
        }
        closedir(d);
    }
    rmdir(dir);
}

void sup_rundir_remove(const struct sup_paths *p)
{
    const char *files[] = {p->state, p->qmp, p->ctl, p->qemu_log, p->sup_log, p->lock};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++)
        unlink(files[i]);
    /* Anything else a run left (temporary state files, QEMU's own directory and the
     * sockets it made there) goes too. */
    sup_remove_tree(p->dir, 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sup_list_names(const char *base, char ***ret_names, size_t *ret_n, struct ql_error *err)
{
    base = sup_base_dir(base);
    *ret_names = NULL;
    *ret_n = 0;
    DIR *d = opendir(base);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return ql_error_errno(err, errno, "cannot read '%s'", base);
    }
    char **v = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *name;
        size_t l = strlen(e->d_name);
        if (l > 5 && STREQ(e->d_name + l - 5, ".last"))
            name = xstrndup(e->d_name, l - 5);
        else
            name = xstrdup(e->d_name);
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            if (STREQ(v[i], name))
                dup = true;
        if (dup) {
            free(name);
            continue;
        }
        v = xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = name;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *ret_names = v;
    *ret_n = n;
    return 0;
}

void sup_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
