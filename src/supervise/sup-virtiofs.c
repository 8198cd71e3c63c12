/* <filesystem><driver type='virtiofs'>: the host side. One virtiofsd per share, a helper
 * process (helpers.h) found as libvirt finds it (host/interop.h) or named by <binary path>,
 * serving the share on a vhost-user socket in QEMU's directory that the supervisor binds
 * and passes as --fd (QEMU can connect as soon as it starts).
 *
 * virtiofsd runs as QEMU's user, like everything else of the domain. The C virtiofsd of
 * QEMU 7.2 must be root for its sandbox (unshare of mount/pid/net namespaces, or chroot),
 * so it gets a user namespace of its own in which it is root: its capabilities count only
 * there, and on the host it reads and writes the share as QEMU's user (without its
 * supplementary groups: virtiofsd drops them itself, which its namespace, where groups
 * cannot be changed, only allows when there are none). What the guest
 * creates belongs to that user; files of other host users look like nobody's to the
 * guest, and changing their owner fails, as with 9p's accessmode='squash'. */
#include "config.h"
#include "host/interop.h"
#include "supervise/helpers.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why this host cannot give an unprivileged process a user namespace, or NULL. */
static char *userns_problem(void)
{
    static const struct {
        const char *file, *why;
    } knobs[] = {
        {"/proc/sys/user/max_user_namespaces", "user.max_user_namespaces is 0"},
        {"/proc/sys/kernel/unprivileged_userns_clone",
         "kernel.unprivileged_userns_clone is 0"},
        {"/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
         NULL},     /* 1 restricts: see below */
    };
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
        _cleanup_free_ char *v = NULL;
        size_t len = 0;
        struct ql_error e = QL_ERROR_INIT;
        if (ql_read_file(knobs[i].file, 64, &v, &len, &e) < 0) {
            ql_error_clear(&e);
            continue;   /* not this kernel's knob */
        }
        bool zero = len > 0 && v[0] == '0' && (len == 1 || v[1] == '\n');
        if (knobs[i].why && zero)
            return xasprintf("%s on this host", knobs[i].why);
        if (!knobs[i].why && !zero && len > 0)
            return xstrdup("AppArmor restricts unprivileged user namespaces on this host "
                           "(kernel.apparmor_restrict_unprivileged_userns=1)");
    }
    return NULL;
}

/* virtiofsd's -o list: fuse options, separated by ',' (a ',' or '\' in the path is
 * escaped with '\'). */
static void add_opt_path(struct strbuf *sb, const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == ',' || *p == '\\')
            sb_addc(sb, '\\');
        sb_addc(sb, *p);
    }
}

static void add_tristate(struct strbuf *sb, enum dom_tristate t, const char *name)
{
    if (t)
        sb_addf(sb, ",%s%s", t == DOM_TRI_ON ? "" : "no_", name);
}

/* libvirt's qemuVirtioFSBuildCommandLine, with the listening socket as fd 3. */
static char **virtiofsd_argv(const char *binary, const struct dom_fs *f)
{
    struct strbuf o = STRBUF_INIT;
    sb_add(&o, "source=");
    add_opt_path(&o, f->source);
    if (f->cache)
        sb_addf(&o, ",cache=%s", dom_fs_cache_to_string(f->cache));
    if (f->sandbox)
        sb_addf(&o, ",sandbox=%s", dom_fs_sandbox_to_string(f->sandbox));
    add_tristate(&o, f->xattr, "xattr");
    add_tristate(&o, f->flock, "flock");
    add_tristate(&o, f->posix_lock, "posix_lock");
    char **v = xcalloc(8, sizeof(*v));
    size_t n = 0;
    v[n++] = xstrdup(binary);
    v[n++] = xstrdup("--fd=3");
    v[n++] = xstrdup("-o");
    v[n++] = sb_steal(&o);
    if (f->thread_pool >= 0)
        v[n++] = xasprintf("--thread-pool-size=%d", f->thread_pool);
    if (f->openfiles)
        v[n++] = xasprintf("--rlimit-nofile=%llu", f->openfiles);
    return v;
}

static void free_argv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void record_state(void *ctx)
{
    sup_write_state(ctx);
}

static int start_one(struct sup *s, const struct qb_virtiofs *vf, const char *found,
                     struct ql_error *err)
{
    const struct dom_fs *f = &s->dom->dev.fss[vf->fs_index];
    const char *where = f->src.path ? f->src.path : "devices/filesystem";
    const char *binary = f->binary ? f->binary : found;
    if (access(binary, X_OK) < 0)
        return ql_error_set_at(err, ENOENT, where, f->src.line, "virtiofsd '%s' (<binary "
                               "path>) does not exist or is not executable", binary);
    struct stat st;
    if (stat(f->source, &st) < 0 || !S_ISDIR(st.st_mode))
        return ql_error_set_at(err, ENOTDIR, where, f->src.line, "the shared directory '%s' "
                               "does not exist or is not a directory", f->source);
    _cleanup_close_ int lfd = sup_bind_unix(vf->socket, 1, err);
    if (lfd < 0)
        return lfd;
    if (s->dac.drop && chown(vf->socket, s->dac.uid, s->dac.gid) < 0)
        return ql_error_errno(err, errno, "cannot give '%s' to user '%s'", vf->socket,
                              s->dac.user);
    char **argv = virtiofsd_argv(binary, f);
    struct host_dac dac = s->dac;
    dac.n_groups = 0;
    struct sup_helper_spec spec = {
        .name = "virtiofsd", .argv = argv, .fds = &lfd, .n_fds = 1, .out_fd = s->log_fd,
        .dac = &dac, .socket = vf->socket, .userns = true};
    int r = sup_helper_spawn(&s->st, &spec, record_state, s, err);
    free_argv(argv);
    if (r < 0)
        return r;
    const struct sup_helper *h = &s->st.helpers[s->st.n_helpers - 1];
    sup_log(s, "virtiofs '%s': %s pid %ld sharing %s on %s%s", f->target, binary, (long)h->pid,
            f->source, vf->socket, s->dac.drop ? " (as QEMU's user, in its own user namespace)"
                                               : " (in its own user namespace)");
    return 0;
}

int sup_prepare_virtiofs(struct sup *s, struct ql_error *err)
{
    const struct qb_result *b = &s->build;
    if (!b->n_virtiofs)
        return 0;
    const struct dom_fs *first = &s->dom->dev.fss[b->virtiofs[0].fs_index];
    const char *where = first->src.path ? first->src.path : "devices/filesystem";
    _cleanup_free_ char *problem = userns_problem();
    if (problem)
        return ql_error_set_at(err, EPERM, where, first->src.line, "virtiofsd runs as QEMU's "
                               "user in a user namespace of its own, and %s; allow it, or "
                               "share the directory over 9p (<driver type='path'/>)", problem);
    if (!s->dac.drop && getgroups(0, NULL) > 0)
        return ql_error_set_at(err, EPERM, where, first->src.line, "virtiofsd drops "
                               "supplementary groups, which a user namespace made by an "
                               "unprivileged user cannot do, and this user has some; start "
                               "the domain as root (virtiofsd then runs as QEMU's user), or "
                               "share the directory over 9p (<driver type='path'/>)");
    _cleanup_free_ char *found = NULL, *searched = NULL;
    for (size_t i = 0; i < b->n_virtiofs; i++) {
        const struct dom_fs *f = &s->dom->dev.fss[b->virtiofs[i].fs_index];
        if (!f->binary && !found && !(found = host_virtiofsd_find(&searched)))
            return ql_error_set_at(err, ENOENT, f->src.path, f->src.line, "virtiofs needs "
                                   "virtiofsd, and none was found (searched %s); install "
                                   "qemu-system-common (Debian 12) or virtiofsd, or give "
                                   "<binary path>", searched);
        int r = start_one(s, &b->virtiofs[i], found, err);
        if (r < 0)
            return r;
    }
    return 0;
}
