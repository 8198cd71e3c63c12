#include "config.h"
#include "host/numa.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "domain/parse.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* linux/mempolicy.h, without needing libnuma's headers */
#define QL_MPOL_PREFERRED 1
#define QL_MPOL_BIND 2
#define QL_MPOL_INTERLEAVE 3

static int check_nodeset(const char *nodeset, const struct dom_src *src, const char *dir,
                         struct ql_error *err)
{
    cpu_set_t set;
    if (!nodeset || dom_cpuset_to_mask(nodeset, &set) < 0)
        return 0;       /* reported by the parser */
    for (int n = 0; n < CPU_SETSIZE; n++) {
        if (!CPU_ISSET(n, &set))
            continue;
        _cleanup_free_ char *path = xasprintf("%s/node%d", dir, n);
        if (access(path, F_OK) < 0)
            return ql_error_set_at(err, ENODEV, src->path, src->line, "nodeset '%s' names "
                                   "host NUMA node %d, which this host does not have (no %s)",
                                   nodeset, n, path);
    }
    return 0;
}

int host_numa_check(const struct domain *d, const char *dir, struct ql_error *err)
{
    const struct dom_numatune *t = &d->numatune;
    int r = t->present ? check_nodeset(t->nodeset, &t->src, dir, err) : 0;
    for (size_t i = 0; r == 0 && i < t->n_memnodes; i++)
        r = check_nodeset(t->memnodes[i].nodeset, &t->memnodes[i].src, dir, err);
    return r;
}

bool host_numa_process_policy(const struct domain *d, int *ret_mode,
                              unsigned long mask[HOST_NUMA_MAX_NODES / (8 * sizeof(long))])
{
    const struct dom_numatune *t = &d->numatune;
    cpu_set_t set;
    if (!t->present || d->cpu.n_cells || !t->nodeset || dom_cpuset_to_mask(t->nodeset, &set) < 0)
        return false;
    memset(mask, 0, HOST_NUMA_MAX_NODES / 8);
    for (int n = 0; n < CPU_SETSIZE && n < HOST_NUMA_MAX_NODES; n++)
        if (CPU_ISSET(n, &set))
            mask[n / (8 * sizeof(long))] |= 1UL << (n % (8 * sizeof(long)));
    /* restrictive is libvirt's cpuset.mems: allocations only from those nodes, as bind */
    *ret_mode = t->mode == DOM_NUMA_PREFERRED ? QL_MPOL_PREFERRED
              : t->mode == DOM_NUMA_INTERLEAVE ? QL_MPOL_INTERLEAVE : QL_MPOL_BIND;
    return true;
}
