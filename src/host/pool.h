/* libvirt storage pool definitions read from files: <disk type='volume'> names a volume of a
 * pool, which qlaunch turns into the file or block device it is. */
#ifndef QL_HOST_POOL_H
#define QL_HOST_POOL_H

#include <stdbool.h>

#include "domain/domain.h"
#include "util/error.h"

#define HOST_POOL_DIR_QLAUNCH "/etc/qlaunch/storage"
#define HOST_POOL_DIR_LIBVIRT "/etc/libvirt/storage"     /* what `virsh pool-define` writes */

struct host_pool_volume {
    char *path;         /* the volume's file or block device */
    bool block;         /* a logical pool's volume: /dev/VG/V */
    char *pool_file;    /* the pool definition it came from */
    char *pool_type;    /* <pool type>, also when the volume cannot be named */
};

/* The volume VOL of pool POOL defined in DIR/POOL.xml (untrusted XML). -ENOENT when there
 * is no such file; -ENOTSUP (ret->pool_type set) for pool types whose volumes are not files
 * or block devices under the pool's <target><path> (dir, fs, netfs, logical). */
int host_pool_volume_in(const char *dir, const char *pool, const char *vol,
                        struct host_pool_volume *ret, struct ql_error *err);
/* The volume VOL of pool POOL from the definition's text (len bytes, untrusted; file names it
 * in messages); ret must be zeroed or filled by host_pool_volume_in. */
int host_pool_volume_parse(const char *xml, size_t len, const char *file, const char *pool,
                           const char *vol, struct host_pool_volume *ret, struct ql_error *err);
/* The same through $QLAUNCH_POOL_DIR, HOST_POOL_DIR_QLAUNCH, HOST_POOL_DIR_LIBVIRT. */
int host_pool_volume(const char *pool, const char *vol, struct host_pool_volume *ret,
                     struct ql_error *err);
void host_pool_volume_free(struct host_pool_volume *v);

/* Every <disk type='volume'> of d becomes the file or block disk it names (the driver's
 * format stays the disk's own). Errors name the disk's source element and line. */
int host_pool_resolve_disks(struct domain *d, struct ql_error *err);

#endif
