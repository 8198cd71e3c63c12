/* Storage pool volumes resolved from libvirt pool definitions, as libvirt's storage driver
 * names them (virStorageTranslateDiskSourcePool): a volume of a dir, fs or netfs pool is the
 * file TARGET/VOL, a volume of a logical pool the block device /dev/VG/VOL (the pool's
 * target path). Shared by the start/argv path and import-libvirt. */
#include "config.h"
#include "host/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain/parse.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

void host_pool_volume_free(struct host_pool_volume *v)
{
    free(v->path);
    free(v->pool_file);
    free(v->pool_type);
    memset(v, 0, sizeof(*v));
}

static int pool_from_doc(xmlDocPtr doc, const char *file, const char *pool, const char *vol,
                         struct host_pool_volume *ret, struct ql_error *err)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    const char *type = px_attr(root, "type");
    ret->pool_type = xstrdup(type ? type : "");
    _cleanup_free_ char *name = px_text(px_next(root, NULL, "name"));
    if (!name)
        return ql_error_set(err, EINVAL, "storage pool '%s': %s has no <name>", pool, file);
    if (!STREQ(name, pool))
        return ql_error_set(err, EINVAL, "storage pool '%s': %s defines pool '%s', not '%s'",
                            pool, file, name, pool);
    bool files = type && (STREQ(type, "dir") || STREQ(type, "fs") || STREQ(type, "netfs"));
    bool blocks = type && STREQ(type, "logical");
    if (!files && !blocks)
        return ql_error_set(err, ENOTSUP, "volume '%s' of storage pool '%s' (%s, type '%s'): "
                            "qlaunch names volumes of dir, fs, netfs and logical pools only; "
                            "give the volume's path or network source instead", vol, pool,
                            file, type ? type : "");
    _cleanup_free_ char *dir = px_text(px_next(px_next(root, NULL, "target"), NULL, "path"));
    if (!dir)
        return ql_error_set(err, EINVAL, "volume '%s' of storage pool '%s' (%s): the pool has "
                            "no <target><path>", vol, pool, file);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    if (dir[0] != '/' || strstr(dir, "/../") || dom_path_component_error(vol))
        return ql_error_set(err, EINVAL, "volume '%s' of storage pool '%s' (%s): %s",
                            vol, pool, file, dir[0] != '/' ? "the pool has no absolute "
                            "<target><path>" : "the names do not make a path in the pool");
    ret->path = xasprintf("%s/%s", STREQ(dir, "/") ? "" : dir, vol);
    ret->block = blocks;
    return 0;
}

int host_pool_volume_in(const char *dir, const char *pool, const char *vol,
                        struct host_pool_volume *ret, struct ql_error *err)
{
    memset(ret, 0, sizeof(*ret));
    const char *bad = dom_path_component_error(pool);
    if (bad)
        return ql_error_set(err, EINVAL, "storage pool name '%s' cannot name a file: %s",
                            pool, bad);
    ret->pool_file = xasprintf("%s/%s.xml", dir, pool);
    _cleanup_free_ char *xml = NULL;
    size_t len = 0;
    int r = ql_read_file(ret->pool_file, DOM_XML_MAX_BYTES, &xml, &len, err);
    if (r < 0)
        return r;
    return host_pool_volume_parse(xml, len, ret->pool_file, pool, vol, ret, err);
}

int host_pool_volume_parse(const char *xml, size_t len, const char *file, const char *pool,
                           const char *vol, struct host_pool_volume *ret, struct ql_error *err)
{
    struct dom_diags g = {0};
    xmlDocPtr doc = NULL;
    if (px_load_xml(xml, len, "pool", "storage pool XML", &g, &doc) < 0) {
        _cleanup_free_ char *msg = g.n ? dom_diag_format(&g.v[0]) : xstrdup("invalid");
        dom_diags_free(&g);
        return ql_error_set(err, EINVAL, "storage pool '%s': %s: %s", pool, file, msg);
    }
    dom_diags_free(&g);
    int r = pool_from_doc(doc, file, pool, vol, ret, err);
    xmlFreeDoc(doc);
    return r;
}

int host_pool_volume(const char *pool, const char *vol, struct host_pool_volume *ret,
                     struct ql_error *err)
{
    const char *env = getenv("QLAUNCH_POOL_DIR");
    const char *dirs[] = {env && *env ? env : NULL, HOST_POOL_DIR_QLAUNCH,
                          HOST_POOL_DIR_LIBVIRT};
    struct strbuf tried = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        if (!dirs[i])
            continue;
        struct ql_error e = QL_ERROR_INIT;
        int r = host_pool_volume_in(dirs[i], pool, vol, ret, &e);
        if (r == -ENOENT && ret->pool_file && !ret->pool_type) {
            sb_addf(&tried, "%s%s", tried.len ? ", " : "", ret->pool_file);
            ql_error_clear(&e);
            host_pool_volume_free(ret);
            continue;
        }
        sb_free(&tried);
        if (r < 0)
            *err = e;
        return r;
    }
    int r = ql_error_set(err, ENOENT, "storage pool '%s' is not defined: no %s (qlaunch reads "
                         "libvirt's pool definitions from files; set QLAUNCH_POOL_DIR or copy "
                         "the output of `virsh pool-dumpxml %s` there)", pool, sb_str(&tried),
                         pool);
    sb_free(&tried);
    return r;
}

int host_pool_resolve_disks(struct domain *d, struct ql_error *err)
{
    for (size_t i = 0; i < d->dev.n_disks; i++) {
        struct dom_disk *k = &d->dev.disks[i];
        if (k->type != DOM_DISK_VOLUME)
            continue;
        struct host_pool_volume v;
        int r = host_pool_volume(k->pool, k->source, &v, err);
        if (r < 0) {
            ql_error_locate(err, k->src.path, k->src.line);
            host_pool_volume_free(&v);
            return r;
        }
        free(k->source);
        k->source = steal_pointer(&v.path);
        k->type = v.block ? DOM_DISK_BLOCK : DOM_DISK_FILE;
        host_pool_volume_free(&v);
    }
    return 0;
}
