/* <filesystem>: host directories shared with the guest, as libvirt's
 * qemuBuildFilesystemCommandLine: virtio-9p is QEMU's own (-fsdev local + virtio-9p-pci);
 * virtio-fs is a vhost-user device whose backend, virtiofsd, the launcher starts on a
 * socket in QEMU's directory (-chardev socket + vhost-user-fs-pci), with guest memory
 * virtiofsd can map (shared). */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* vhost-user-fs-pci refuses longer tags (VIRTIO_FS tag field). */
#define QB_VIRTIOFS_TAG_MAX 36

static bool is_virtiofs(const struct dom_fs *f)
{
    return f->driver == DOM_FS_VIRTIOFS;
}

/* virtiofs shares guest memory with virtiofsd: libvirt's
 * qemuValidateDomainDefVhostUserRequireSharedMemory. */
static int check_shared_memory(struct qb_ctx *c, const struct dom_fs *f)
{
    const struct domain *d = c->d;
    const struct dom_mem_backing *mb = &d->mem_backing;
    if (d->cpu.n_cells == 0) {
        if (mb->access == DOM_MEM_ACCESS_SHARED)
            return 0;
        if (mb->present)
            return qb_fail(c, &f->src, "virtiofs needs guest memory that virtiofsd can map: "
                           "add <access mode='shared'/> (and <source type='memfd'/>) to "
                           "<memoryBacking> (line %d)", mb->src.line);
        return qb_fail(c, &f->src, "virtiofs needs guest memory that virtiofsd can map: add "
                       "<memoryBacking><source type='memfd'/><access mode='shared'/>"
                       "</memoryBacking> to <domain>");
    }
    for (size_t i = 0; i < d->cpu.n_cells; i++) {
        enum dom_mem_access a = d->cpu.cells[i].mem_access ? d->cpu.cells[i].mem_access
                                                           : mb->access;
        if (a != DOM_MEM_ACCESS_SHARED)
            return qb_fail(c, &f->src, "virtiofs needs guest memory that virtiofsd can map: "
                           "NUMA cell %u (<numa>, line %d) is not shared; give it "
                           "memAccess='shared', or add <access mode='shared'/> to "
                           "<memoryBacking>", d->cpu.cells[i].id, d->cpu.numa_src.line);
    }
    return 0;
}

static int check_virtiofs(struct qb_ctx *c, const struct dom_fs *f)
{
    if (f->access && f->access != DOM_FS_PASSTHROUGH)
        return qb_fail(c, &f->src, "virtiofs supports only accessmode='passthrough', not '%s'",
                       dom_fs_access_to_string(f->access));
    if (f->readonly)
        return qb_fail(c, &f->src, "virtiofs cannot share read-only (virtiofsd 7.2 has no "
                       "read-only mode); use 9p (<driver type='path'/>) for <readonly/>, or "
                       "mount the tag read-only in the guest");
    if (f->wrpolicy || f->fmode || f->dmode || f->multidevs)
        return qb_fail(c, &f->src, "wrpolicy, fmode, dmode and multidevs are 9p settings; "
                       "virtiofs has none of them");
    if (f->model == DOM_VIRTIO_TRANSITIONAL || f->model == DOM_VIRTIO_NON_TRANSITIONAL)
        return qb_fail(c, &f->src, "virtiofs has no %s model (vhost-user-fs-pci is a "
                       "modern virtio device)", dom_virtio_model_to_string(f->model));
    if (strlen(f->target) > QB_VIRTIOFS_TAG_MAX)
        return qb_fail(c, &f->src, "the virtiofs mount tag '%s' is longer than %d bytes",
                       f->target, QB_VIRTIOFS_TAG_MAX);
    bool daemon_opts = f->binary || f->xattr || f->posix_lock || f->flock || f->cache
                       || f->sandbox || f->thread_pool >= 0 || f->openfiles;
    if (f->socket && daemon_opts)
        return qb_fail(c, &f->src, "<binary> and <openfiles> configure the virtiofsd qlaunch "
                       "starts; with <source socket> another program runs it");
    return check_shared_memory(c, f);
}

static int check_9p(struct qb_ctx *c, const struct dom_fs *f)
{
    if (f->socket)
        return qb_fail(c, &f->src, "<source socket> is for virtiofs (<driver "
                       "type='virtiofs'/>); 9p shares a <source dir>");
    if (f->queue || f->binary || f->xattr || f->posix_lock || f->flock || f->cache
        || f->sandbox || f->thread_pool >= 0 || f->openfiles)
        return qb_fail(c, &f->src, "<driver queue>, <binary> and <openfiles> are virtiofs "
                       "settings; add <driver type='virtiofs'/> or remove them");
    if ((f->fmode || f->dmode) && f->access != DOM_FS_MAPPED)
        return qb_fail(c, &f->src, "fmode and dmode need accessmode='mapped'");
    return 0;
}

static int check_one(struct qb_ctx *c, const struct dom_fs *f)
{
    if (f->type && f->type != DOM_FS_MOUNT)
        return qb_fail(c, &f->src, "filesystem type '%s' is not supported: QEMU shares host "
                       "directories (type='mount')", dom_fs_type_to_string(f->type));
    switch (f->driver) {
    case DOM_FS_HANDLE:
        return qb_fail(c, &f->src, "the 'handle' filesystem driver was removed from QEMU "
                       "(6.0); use <driver type='path'/> (9p) or 'virtiofs'");
    case DOM_FS_LOOP:
    case DOM_FS_NBD:
    case DOM_FS_PLOOP:
        return qb_fail(c, &f->src, "filesystem driver '%s' is for container drivers; QEMU "
                       "shares directories with <driver type='path'/> (9p) or 'virtiofs'",
                       dom_fs_driver_to_string(f->driver));
    default:
        break;
    }
    if (!f->source && !f->socket)
        return qb_fail(c, &f->src, "a <filesystem> needs a <source dir>");
    if (!f->target)
        return qb_fail(c, &f->src, "a <filesystem> needs a <target dir>");
    return is_virtiofs(f) ? check_virtiofs(c, f) : check_9p(c, f);
}

int qb_check_fs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    for (size_t i = 0; i < dv->n_fss; i++) {
        const struct dom_fs *f = &dv->fss[i];
        if ((r = check_one(c, f)) < 0)
            return r;
        for (size_t k = 0; k < i; k++)
            if (STREQ(dv->fss[k].target, f->target))
                return qb_fail(c, &f->src, "filesystem target '%s' specified twice (also "
                               "line %d)", f->target, dv->fss[k].src.line);
    }
    return 0;
}

void qb_fs_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_fss; i++) {
        const struct dom_fs *f = &dv->fss[i];
        struct qb_dev *x = qb_dev_add(c, QB_DEV_FS, &f->addr, &f->src, DOM_ADDR_PCI);
        x->pci_flags = qb_fl_virtio(c, f->model);
        x->pci_rank = QB_RANK_FS;
    }
}

/* libvirt's qemuBuildFSStr: "local,security_model=...,id=fsdev-fsN,path=DIR". */
static char *fsdev_opts(const struct dom_fs *f, const char *id)
{
    static const char *const model[DOM_FS_ACCESS_MAX] = {
        [DOM_FS_ACCESS_DEFAULT] = "passthrough", [DOM_FS_PASSTHROUGH] = "passthrough",
        [DOM_FS_MAPPED] = "mapped", [DOM_FS_SQUASH] = "none"};
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "local,security_model=%s", model[f->access]);
    if (f->multidevs)
        sb_addf(&sb, ",multidevs=%s", dom_fs_multidevs_to_string(f->multidevs));
    if (f->fmode)
        sb_addf(&sb, ",fmode=%04o", f->fmode);
    if (f->dmode)
        sb_addf(&sb, ",dmode=%04o", f->dmode);
    if (f->wrpolicy)
        sb_addf(&sb, ",writeout=%s", dom_fs_wrpolicy_to_string(f->wrpolicy));
    sb_addf(&sb, ",id=fsdev-%s,path=", id);
    sb_add_comma_escaped(&sb, f->source);
    if (f->readonly)
        sb_add(&sb, ",readonly=on");
    return sb_steal(&sb);
}

/* The vhost-user socket: one the launcher binds for its virtiofsd (recorded for it), or
 * the XML's <source socket>. */
static int virtiofs_socket(struct qb_ctx *c, const struct dom_fs *f, size_t i, const char *id,
                           char **ret)
{
    if (f->socket) {
        *ret = xstrdup(f->socket);
        return 0;
    }
    _cleanup_free_ char *file = xasprintf("%s-fs.sock", id);
    int r = qb_run_socket(c, &f->src, "the virtiofsd socket", file,
                          "a shorter run directory (--run-dir)", ret);
    if (r < 0)
        return r;
    struct qb_result *res = c->r;
    res->virtiofs = xrealloc(res->virtiofs, (res->n_virtiofs + 1) * sizeof(*res->virtiofs));
    res->virtiofs[res->n_virtiofs++] = (struct qb_virtiofs){i, xstrdup(*ret)};
    return 0;
}

int qb_build_fs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_fss; i++) {
        const struct dom_fs *f = &dv->fss[i];
        char id[32], drv[64];
        snprintf(id, sizeof(id), "fs%zu", i);
        struct qj j;
        if (is_virtiofs(f)) {
            _cleanup_free_ char *sock = NULL;
            int r = virtiofs_socket(c, f, i, id, &sock);
            if (r < 0)
                return r;
            struct strbuf sb = STRBUF_INIT;
            sb_addf(&sb, "socket,id=chr-vu-%s,path=", id);
            sb_add_comma_escaped(&sb, sock);
            qb_opt(c, QB_SRC(&f->src), "-chardev", sb_steal(&sb));
            qj_begin(&j);
            qj_str(&j, "driver", "vhost-user-fs-pci");
            qj_str(&j, "id", id);
            char chr[40];
            snprintf(chr, sizeof(chr), "chr-vu-%s", id);
            qj_str(&j, "chardev", chr);
            if (f->queue)
                qj_uint(&j, "queue-size", f->queue);
            qj_str(&j, "tag", f->target);
        } else {
            qb_opt(c, QB_SRC(&f->src), "-fsdev", fsdev_opts(f, id));
            char fsdev[40];
            snprintf(fsdev, sizeof(fsdev), "fsdev-%s", id);
            qj_begin(&j);
            qj_str(&j, "driver", qb_virtio_driver(drv, sizeof(drv), "virtio-9p-pci", f->model));
            qj_str(&j, "id", id);
            qj_str(&j, "fsdev", fsdev);
            qj_str(&j, "mount_tag", f->target);
        }
        qj_pci(c, &j, &qb_dev(c, QB_DEV_FS, i)->pci);
        qb_device(c, QB_SRC(&f->src), &j);
    }
    return 0;
}
