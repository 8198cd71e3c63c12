#include "config.h"
#include "host/dac.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* "+123": a numeric id, as libvirt's labels write them. */
static int plus_id(const char *s, unsigned long *ret)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s + 1, &end, 10);
    if (!isdigit((unsigned char)s[1]) || errno || *end || v >= (unsigned long)INT_MAX)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* The local user and group databases, read whole and cut in place: fgetpwent/fgetgrent
 * make an lseek for every line (about a hundred system calls on a small host). */
#define ETC_DB_MAX (4 * 1024 * 1024)

/* The next line of *p split at ':' into at most n fields (the rest of the line stays in the
 * last one); the number of fields, 0 at the end. */
static int etc_next(char **p, char **f, int n)
{
    while (**p == '\n')
        (*p)++;
    if (!**p)
        return 0;
    char *line = *p, *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = line + strlen(line);
    }
    int k = 0;
    f[k++] = line;
    for (char *c = line; k < n && (c = strchr(c, ':')); c++) {
        *c = '\0';
        f[k++] = c + 1;
    }
    return k;
}

static bool etc_id(const char *s, unsigned long *ret)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > UINT32_MAX - 1 || !isdigit((unsigned char)s[0]))
        return false;
    *ret = v;
    return true;
}

/* user's uid and primary gid from /etc/passwd: 0, or -1 when it has no such line. */
static int local_passwd(const char *user, uid_t *uid, gid_t *gid)
{
    _cleanup_free_ char *db = NULL;
    struct ql_error err = QL_ERROR_INIT;
    int r = ql_read_file("/etc/passwd", ETC_DB_MAX, &db, NULL, &err);
    ql_error_clear(&err);
    if (r < 0)
        return -1;
    char *f[5], *p = db;
    for (int n; (n = etc_next(&p, f, 5));) {
        unsigned long u, g;
        if (n >= 4 && STREQ(f[0], user) && etc_id(f[2], &u) && etc_id(f[3], &g)) {
            *uid = (uid_t)u;
            *gid = (gid_t)g;
            return 0;
        }
    }
    return -1;
}

/* "+UID" or a user name; gid: the user's primary group. */
static int lookup_user(const char *s, uid_t *uid, gid_t *gid, bool *named)
{
    if (s[0] == '+') {
        unsigned long v;
        if (plus_id(s, &v) < 0)
            return -EINVAL;
        *uid = (uid_t)v;
        struct passwd *pw = getpwuid(*uid);
        *gid = pw ? pw->pw_gid : (gid_t)v;
        *named = false;
        return 0;
    }
    /* A local user from /etc/passwd directly, as its groups (local_groups): the first
     * getpwnam of a process reads nsswitch.conf and sets up the name services, which costs
     * `argv` more than the lookup. Other users through the name services. */
    *named = true;
    if (local_passwd(s, uid, gid) == 0)
        return 0;
    struct passwd *pw = getpwnam(s);
    if (!pw)
        return -ENOENT;
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    return 0;
}

static int lookup_group(const char *s, gid_t *gid)
{
    if (s[0] == '+') {
        unsigned long v;
        if (plus_id(s, &v) < 0)
            return -EINVAL;
        *gid = (gid_t)v;
        return 0;
    }
    struct group *gr = getgrnam(s);
    if (!gr)
        return -ENOENT;
    *gid = gr->gr_gid;
    return 0;
}

int host_dac_resolve(const struct domain *d, struct host_dac *dac, struct ql_error *err)
{
    memset(dac, 0, sizeof(*dac));
    const struct dom_dac *sl = &d->dac;
    const char *where = "seclabel";
    /* libvirt: a static label is not relabelled unless asked; dynamic and none as named. */
    bool relabel = sl->type == DOM_SECLABEL_NONE ? false
                   : sl->relabel ? sl->relabel == DOM_TRI_ON
                   : sl->type != DOM_SECLABEL_STATIC;
    _cleanup_free_ char *spec = NULL;
    if (sl->type == DOM_SECLABEL_STATIC && sl->label) {
        spec = xstrdup(sl->label);
    } else {
        const char *e = getenv("QLAUNCH_QEMU_USER");
        spec = xstrdup(e && *e ? e : HOST_DAC_DEFAULT_USER);
        where = e && *e ? "QLAUNCH_QEMU_USER" : NULL;
    }
    if (geteuid() != 0) {
        /* An ordinary user's QEMU runs as that user: nothing to drop, nothing to give. */
        if (sl->type == DOM_SECLABEL_STATIC)
            return ql_error_set_at(err, EPERM, "seclabel", sl->line, "only root can run QEMU "
                                   "as another user ('%s'); remove the DAC <seclabel>", spec);
        return 0;
    }
    char *colon = strchr(spec, ':');
    if (colon)
        *colon = '\0';
    if (!sl->label && (STREQ(spec, "root") || STREQ(spec, "+0")))
        return 0;   /* QLAUNCH_QEMU_USER=root: QEMU stays root, as before */
    bool named = false;
    int r = lookup_user(spec, &dac->uid, &dac->gid, &named);
    if (r == -ENOENT)
        return ql_error_set_at(err, ENOENT, where ? where : "QLAUNCH_QEMU_USER",
                               where && sl->label ? sl->line : 0,
                               "QEMU is to run as user '%s', which does not exist on this host; "
                               "create it (useradd --system --user-group --no-create-home "
                               "--shell /usr/sbin/nologin %s, as scripts/install-deps.sh does) or "
                               "name another with QLAUNCH_QEMU_USER", spec, spec);
    if (r < 0)
        return ql_error_set_at(err, EINVAL, where ? where : "QLAUNCH_QEMU_USER",
                               sl->label ? sl->line : 0, "'%s' is not a user name or +UID", spec);
    if (colon && (r = lookup_group(colon + 1, &dac->gid)) < 0)
        return ql_error_set_at(err, -r, where ? where : "QLAUNCH_QEMU_USER",
                               sl->label ? sl->line : 0, "'%s' is not a group name or +GID "
                               "on this host", colon + 1);
    if (dac->uid == 0)
        return 0;   /* a label of root: QEMU stays root */
    dac->drop = true;
    dac->relabel = relabel;
    dac->user = xstrdup(spec);
    dac->named = named;
    return 0;
}

/* The groups of a user of /etc/passwd from /etc/group, read directly: getgrouplist asks
 * every name service in nsswitch.conf, and loading systemd's module (which then looks for
 * userdb directories) costs a start about a millisecond. Returns -1 when the user is not a
 * local one (the name services then decide). */
static int local_groups(const char *user, gid_t gid, gid_t **ret)
{
    uid_t u;
    gid_t g;
    _cleanup_free_ char *db = NULL;
    struct ql_error err = QL_ERROR_INIT;
    if (local_passwd(user, &u, &g) < 0 ||
        ql_read_file("/etc/group", ETC_DB_MAX, &db, NULL, &err) < 0) {
        ql_error_clear(&err);
        return -1;
    }
    gid_t *v = xcalloc(1, sizeof(gid_t));
    int n = 0;
    v[n++] = gid;
    char *f[4], *p = db;
    for (int k; (k = etc_next(&p, f, 4));) {
        unsigned long id;
        if (k < 4 || !etc_id(f[2], &id) || (gid_t)id == gid)
            continue;
        char *save = NULL;
        for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save))
            if (STREQ(m, user)) {
                v = xrealloc(v, (size_t)(n + 1) * sizeof(gid_t));
                v[n++] = (gid_t)id;
                break;
            }
    }
    *ret = v;
    return n;
}

void host_dac_load_groups(struct host_dac *dac)
{
    if (!dac->drop || dac->groups)
        return;
    int n = 0;
    if (dac->named && (n = local_groups(dac->user, dac->gid, &dac->groups)) > 0) {
        dac->n_groups = (size_t)n;
        return;
    }
    n = 0;
    if (dac->named) {
        getgrouplist(dac->user, dac->gid, NULL, &n);
        dac->groups = xcalloc((size_t)n + 1, sizeof(gid_t));
        if (getgrouplist(dac->user, dac->gid, dac->groups, &n) < 0)
            n = 0;
    }
    if (n <= 0) {
        free(dac->groups);
        dac->groups = xcalloc(1, sizeof(gid_t));
        dac->groups[0] = dac->gid;
        n = 1;
    }
    dac->n_groups = (size_t)n;
}

void host_dac_free(struct host_dac *dac)
{
    free(dac->groups);
    free(dac->user);
    memset(dac, 0, sizeof(*dac));
}

static void add_file_at(struct host_dac_file **v, size_t *n, const char *path, bool write,
                        bool create, bool dir, const char *where, int line)
{
    if (!path || !*path)
        return;
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = (struct host_dac_file){path, write, create, dir, where, line, HOST_DAC_NO_SHARE};
}

static void add_file(struct host_dac_file **v, size_t *n, const char *path, bool write,
                     bool create, bool dir, const struct dom_src *src)
{
    add_file_at(v, n, path, write, create, dir, src->path, src->line);
}

size_t host_dac_files(const struct domain *d, const char *nvram_path,
                      struct host_dac_file **ret)
{
    const struct dom_os *o = &d->os;
    struct host_dac_file *v = NULL;
    size_t n = 0;
    add_file_at(&v, &n, o->kernel, false, false, false, "os/kernel", o->kernel_line);
    add_file_at(&v, &n, o->initrd, false, false, false, "os/initrd", o->initrd_line);
    add_file_at(&v, &n, o->dtb, false, false, false, "os/dtb", o->dtb_line);
    add_file_at(&v, &n, o->loader, false, false, false, "os/loader", o->loader_line);
    /* Without <nvram> the path is derived from the loader's. */
    add_file_at(&v, &n, nvram_path, true, false, false, o->nvram_line ? "os/nvram" : "os/loader",
                o->nvram_line ? o->nvram_line : o->loader_line);
    for (size_t i = 0; i < d->dev.n_disks; i++) {
        const struct dom_disk *k = &d->dev.disks[i];
        if (k->type == DOM_DISK_NETWORK)
            continue;
        bool ro = k->readonly || k->device == DOM_DISKDEV_CDROM;
        add_file(&v, &n, k->source, !ro, false, false, &k->src);
    }
    for (size_t i = 0; i < d->dev.n_chrs; i++) {
        const struct dom_chr *c = &d->dev.chrs[i];
        const struct dom_chr_source *s = &c->source;
        switch (s->type) {
        case DOM_CHR_FILE:
            add_file(&v, &n, s->path, true, true, false, &c->src);
            break;
        case DOM_CHR_PIPE:
        case DOM_CHR_DEV:
            add_file(&v, &n, s->path, true, false, false, &c->src);
            break;
        case DOM_CHR_UNIX:
            /* A socket QEMU binds needs its directory; one it connects to needs the socket.
             * Without a path it is in QEMU's own directory. */
            add_file(&v, &n, s->path, true, false, s->mode == DOM_CHR_MODE_BIND, &c->src);
            break;
        default:
            break;
        }
        add_file(&v, &n, s->log_file, true, true, false, &c->src);
    }
    for (size_t i = 0; i < d->dev.n_fss; i++) {
        const struct dom_fs *f = &d->dev.fss[i];
        /* a virtiofsd run by others: QEMU connects to its socket */
        add_file(&v, &n, f->socket, true, false, false, &f->src);
        add_file(&v, &n, f->source, false, false, false, &f->src);
        if (f->source && *f->source)
            v[n - 1].share = f->driver == DOM_FS_VIRTIOFS ? HOST_DAC_SHARE_VIRTIOFS
                                                          : HOST_DAC_SHARE_9P;
    }
    *ret = v;
    return n;
}

/* Runs access checks with QEMU's credentials: the filesystem ids (which also drop root's
 * DAC capabilities for the check) and supplementary groups; the supervisor is one thread. */
struct as_qemu {
    gid_t *saved;
    int n_saved;
};

static int as_qemu_enter(const struct host_dac *dac, struct as_qemu *a)
{
    a->n_saved = getgroups(0, NULL);
    a->saved = xcalloc((size_t)(a->n_saved > 0 ? a->n_saved : 1), sizeof(gid_t));
    if (a->n_saved > 0 && getgroups(a->n_saved, a->saved) < 0)
        a->n_saved = 0;
    if (setgroups(dac->n_groups, dac->groups) < 0) {
        int e = errno;
        free(a->saved);
        return -e;
    }
    setfsgid(dac->gid);
    setfsuid(dac->uid);
    return 0;
}

static void as_qemu_leave(struct as_qemu *a)
{
    setfsuid(geteuid());
    setfsgid(getegid());
    setgroups((size_t)(a->n_saved > 0 ? a->n_saved : 0), a->saved);
    free(a->saved);
}

/* The first directory of path (absolute) that QEMU cannot search, or NULL. */
static char *blocked_dir(const char *path)
{
    _cleanup_free_ char *copy = xstrdup(path);
    for (char *s = copy + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        if (faccessat(AT_FDCWD, copy, X_OK, AT_EACCESS) < 0 && errno == EACCES)
            return xstrdup(copy);
        *s = '/';
    }
    return NULL;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash != path ? xstrndup(path, (size_t)(slash - path)) : xstrdup("/");
}

/* A shared directory is the user's data: QEMU's user gets at it through its permissions
 * (other, a group, an ACL) or the start is refused; qlaunch changes nothing there. */
static int check_share(const struct host_dac *dac, const struct host_dac_file *f,
                       struct ql_error *err)
{
    struct host_dac nogroups = *dac;
    if (f->share == HOST_DAC_SHARE_VIRTIOFS)
        nogroups.n_groups = 0;      /* virtiofsd drops them */
    struct as_qemu a;
    int r = as_qemu_enter(&nogroups, &a);
    if (r < 0)
        return ql_error_errno(err, -r, "cannot take the groups of user '%s'", dac->user);
    int ok = faccessat(AT_FDCWD, f->path, R_OK | X_OK, AT_EACCESS);
    int e = errno;
    _cleanup_free_ char *blocked = ok < 0 ? blocked_dir(f->path) : NULL;
    as_qemu_leave(&a);
    if (ok == 0)
        return 0;
    if (blocked)
        return ql_error_set_at(err, EACCES, f->where, f->line,
                               "the shared directory '%s' is out of reach of user '%s', which "
                               "serves it (QEMU for 9p, virtiofsd for virtiofs): it may not "
                               "search '%s'; grant it (chmod o+x, or setfacl -m u:%s:x) or "
                               "name another user in a DAC <seclabel>", f->path, dac->user,
                               blocked, dac->user);
    if (e == ENOENT)
        return ql_error_set_at(err, ENOENT, f->where, f->line,
                               "the shared directory '%s' does not exist", f->path);
    return ql_error_set_at(err, e, f->where, f->line,
                           "the shared directory '%s' is out of reach of user '%s', which "
                           "serves it (QEMU for 9p, virtiofsd for virtiofs): %s; grant it "
                           "read and search (chmod o+rx, or setfacl -m u:%s:rx) or name "
                           "another user in a DAC <seclabel>", f->path, dac->user,
                           strerror(e), dac->user);
}

int host_dac_check_file(const struct host_dac *dac, const struct host_dac_file *f,
                        struct host_dac_grant *need, struct ql_error *err)
{
    memset(need, 0, sizeof(*need));
    if (!dac->drop || f->path[0] != '/')
        return 0;
    if (f->share)
        return check_share(dac, f, err);
    _cleanup_free_ char *target = f->dir ? dir_of(f->path) : xstrdup(f->path);
    int mode = f->dir ? W_OK | X_OK : f->write ? R_OK | W_OK : R_OK;
    struct as_qemu a;
    int r = as_qemu_enter(dac, &a);
    if (r < 0)
        return ql_error_errno(err, -r, "cannot take the groups of user '%s'", dac->user);
    int ok = faccessat(AT_FDCWD, target, mode, AT_EACCESS);
    int e = errno;
    _cleanup_free_ char *blocked = ok < 0 ? blocked_dir(target) : NULL;
    _cleanup_free_ char *parent = ok < 0 && e == ENOENT && f->create ? dir_of(target) : NULL;
    bool can_create = parent && faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) == 0;
    as_qemu_leave(&a);
    const char *what = f->dir ? "create a socket in" : f->write ? "write" : "read";
    if (ok == 0)
        return 0;
    if (blocked)
        return ql_error_set_at(err, EACCES, f->where, f->line,
                               "QEMU runs as user '%s', which cannot reach '%s': it may not "
                               "search the directory '%s'; grant it (chmod o+x, or setfacl -m "
                               "u:%s:x), move the file, or name another user in a DAC "
                               "<seclabel>", dac->user, f->path, blocked, dac->user);
    if (e == ENOENT && (!f->create || can_create))
        return 0;   /* QEMU says it is missing (or creates it), as without qlaunch */
    if (e != ENOENT && e != EACCES)
        return ql_error_errno_at(err, e, f->where, f->line, "cannot check '%s'",
                                 f->path);
    if (f->dir || !dac->relabel)
        return ql_error_set_at(err, EACCES, f->where, f->line,
                               "QEMU runs as user '%s', which may not %s '%s'%s; grant it "
                               "access (chown, chmod or setfacl)", dac->user, what, target,
                               f->dir ? "" : " and the DAC <seclabel> says relabel='no'");
    if (e == ENOENT) {
        need->path = xstrdup(f->path);
        need->uid = geteuid();
        need->gid = getegid();
        return 0;
    }
    char *real = realpath(f->path, NULL);
    struct stat st;
    if (!real || stat(real, &st) < 0) {
        e = errno;
        free(real);
        return ql_error_errno_at(err, e, f->where, f->line, "cannot resolve '%s'",
                                 f->path);
    }
    need->path = real;
    need->uid = st.st_uid;
    need->gid = st.st_gid;
    return 0;
}

int host_dac_grant_apply(const struct host_dac *dac, const struct host_dac_file *f,
                         const struct host_dac_grant *g, struct ql_error *err)
{
    if (f->create) {
        /* A chardev output QEMU would create where it cannot: qlaunch creates it, private. */
        int fd = open(g->path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return ql_error_errno_at(err, errno, f->where, f->line,
                                     "cannot create '%s'", g->path);
        int r = fchown(fd, dac->uid, dac->gid);
        int e = errno;
        close(fd);
        if (r < 0)
            return ql_error_errno_at(err, e, f->where, f->line,
                                     "cannot give '%s' to user '%s'", g->path, dac->user);
        return 0;
    }
    if (chown(g->path, dac->uid, dac->gid) < 0)
        return ql_error_errno_at(err, errno, f->where, f->line,
                                 "cannot give '%s' to user '%s'", g->path, dac->user);
    return 0;
}

void host_dac_restore(const struct host_dac_grant *g, uid_t qemu_uid)
{
    struct stat st;
    /* Only what still is QEMU's: a file chowned since by someone else stays theirs. */
    if (g->path && lstat(g->path, &st) == 0 && st.st_uid == qemu_uid)
        (void)!lchown(g->path, g->uid, g->gid);
}

void host_dac_grant_clear(struct host_dac_grant *g)
{
    free(g->path);
    memset(g, 0, sizeof(*g));
}

int host_dac_drop(const struct host_dac *dac)
{
    if (!dac->drop)
        return 0;
    if (setgroups(dac->n_groups, dac->groups) < 0 || setresgid(dac->gid, dac->gid, dac->gid) < 0 ||
        setresuid(dac->uid, dac->uid, dac->uid) < 0)
        return -errno;
    /* setresuid from root to another uid clears every capability (no SECBIT_KEEP_CAPS);
     * no setuid program QEMU might run gets them back. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return 0;
}
