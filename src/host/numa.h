/* Host NUMA nodes for <numatune>: checked before the start, and the memory policy QEMU's
 * process gets when the guest has no NUMA cells (libvirt: cgroups' cpuset.mems). */
#ifndef QL_HOST_NUMA_H
#define QL_HOST_NUMA_H

#include <stdbool.h>

#include "domain/domain.h"
#include "util/error.h"

#define HOST_NUMA_NODE_DIR "/sys/devices/system/node"
#define HOST_NUMA_MAX_NODES 1024

/* Every node a nodeset of d's <numatune> names exists under dir (nodeN): -ENODEV naming
 * the element and line otherwise. */
int host_numa_check(const struct domain *d, const char *dir, struct ql_error *err);

/* The set_mempolicy(2) arguments for QEMU's process: false when it keeps the default (no
 * <numatune><memory>, or guest cells, whose backends carry their own policy). */
bool host_numa_process_policy(const struct domain *d, int *ret_mode,
                              unsigned long mask[HOST_NUMA_MAX_NODES / (8 * sizeof(long))]);

#endif
