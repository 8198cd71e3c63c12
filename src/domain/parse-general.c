/* Domain-level sections: identity, memory, vcpus, cputune, cpu, os, features, clock,
 * lifecycle, pm. Anything not consumed here is reported by the final walk. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

/* Closed sets the parser reads but struct domain does not keep as such. */
enum hyperv_mode { HYPERV_MODE_CUSTOM, HYPERV_MODE_PASSTHROUGH, HYPERV_MODE_MAX };
QL_ENUM_DECL(hyperv_mode);
QL_ENUM_IMPL(hyperv_mode, HYPERV_MODE_MAX, "custom", "passthrough")
enum fw_feature { FW_SECURE_BOOT, FW_ENROLLED_KEYS, FW_FEATURE_MAX };
QL_ENUM_DECL(fw_feature);
QL_ENUM_IMPL(fw_feature, FW_FEATURE_MAX, "secure-boot", "enrolled-keys")

/* ---- shared value parsers (also used by tests) ---- */

int dom_parse_memory_unit(const char *value, const char *unit, unsigned long long *ret_kib,
                          const char **ret_why)
{
    static const struct {
        const char *name;
        unsigned long long bytes;
    } units[] = {
        {"b", 1ULL}, {"bytes", 1ULL},
        {"KB", 1000ULL}, {"k", 1024ULL}, {"K", 1024ULL}, {"KiB", 1024ULL},
        {"MB", 1000000ULL}, {"M", 1ULL << 20}, {"MiB", 1ULL << 20},
        {"GB", 1000000000ULL}, {"G", 1ULL << 30}, {"GiB", 1ULL << 30},
        {"TB", 1000000000000ULL}, {"T", 1ULL << 40}, {"TiB", 1ULL << 40},
        {"PB", 1000000000000000ULL}, {"P", 1ULL << 50}, {"PiB", 1ULL << 50},
        {"EB", 1000000000000000000ULL}, {"E", 1ULL << 60}, {"EiB", 1ULL << 60},
    };
    unsigned long long mult = 0;
    if (!unit)
        unit = "KiB";
    for (size_t i = 0; i < ARRAY_SIZE(units); i++)
        if (STREQ(units[i].name, unit))
            mult = units[i].bytes;
    if (!mult) {
        *ret_why = "unknown unit";
        return -EINVAL;
    }
    if (!value || !*value || !isdigit((unsigned char)*value)) {
        *ret_why = "not a non-negative integer";
        return -EINVAL;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || *end) {
        *ret_why = errno == ERANGE ? "too large" : "not a non-negative integer";
        return -EINVAL;
    }
    unsigned long long bytes;
    if (__builtin_mul_overflow(v, mult, &bytes)) {
        *ret_why = "too large: it overflows 64 bits in bytes";
        return -ERANGE;
    }
    /* Round up to whole KiB as libvirt does. */
    *ret_kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
    return 0;
}

static int cpuset_walk(const char *s, unsigned *ret_max, const char **ret_why, cpu_set_t *set);

int dom_parse_cpuset(const char *s, unsigned *ret_max, const char **ret_why)
{
    return cpuset_walk(s, ret_max, ret_why, NULL);
}

int dom_cpuset_to_mask(const char *s, cpu_set_t *set)
{
    const char *why;
    CPU_ZERO(set);
    return cpuset_walk(s, NULL, &why, set);
}

/* Parses "0-3,^2,8"; fills set (when given): ranges added first, exclusions applied after. */
static int cpuset_walk(const char *s, unsigned *ret_max, const char **ret_why, cpu_set_t *set)
{
    cpu_set_t excl;
    CPU_ZERO(&excl);
    unsigned max = 0;
    bool any_positive = false;
    const char *p = s;
    if (!s || !*s) {
        *ret_why = "empty cpuset";
        return -EINVAL;
    }
    while (*p) {
        bool neg = false;
        if (*p == '^') {
            neg = true;
            p++;
        }
        if (!isdigit((unsigned char)*p)) {
            *ret_why = "expected a CPU number";
            return -EINVAL;
        }
        char *end;
        unsigned long a = strtoul(p, &end, 10), b = a;
        if (a > 4095) {
            *ret_why = "CPU number over 4095";
            return -EINVAL;
        }
        p = end;
        if (*p == '-') {
            if (neg) {
                *ret_why = "a range cannot be excluded with '^'";
                return -EINVAL;
            }
            p++;
            if (!isdigit((unsigned char)*p)) {
                *ret_why = "expected a CPU number after '-'";
                return -EINVAL;
            }
            b = strtoul(p, &end, 10);
            p = end;
            if (b < a || b > 4095) {
                *ret_why = "invalid range";
                return -EINVAL;
            }
        }
        if (!neg) {
            any_positive = true;
            if (b > max)
                max = (unsigned)b;
        }
        for (unsigned long cpu = a; set && cpu <= b && cpu < CPU_SETSIZE; cpu++) {
            if (neg)
                CPU_SET(cpu, &excl);
            else
                CPU_SET(cpu, set);
        }
        if (*p == ',') {
            p++;
            if (!*p) {
                *ret_why = "trailing ','";
                return -EINVAL;
            }
        } else if (*p) {
            *ret_why = "unexpected character";
            return -EINVAL;
        }
    }
    if (!any_positive) {
        *ret_why = "no CPU is included";
        return -EINVAL;
    }
    if (ret_max)
        *ret_max = max;
    for (unsigned cpu = 0; set && cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &excl))
            CPU_CLR(cpu, set);
    return 0;
}

int dom_parse_uuid(const char *s, unsigned char ret[16])
{
    size_t n = 0;
    while (*s == ' ')
        s++;
    for (; *s && n < 32; s++) {
        if (*s == '-' && n % 2 == 0)
            continue;
        if (!isxdigit((unsigned char)*s))
            return -EINVAL;
        int v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
        if (n % 2 == 0)
            ret[n / 2] = (unsigned char)(v << 4);
        else
            ret[n / 2] |= (unsigned char)v;
        n++;
    }
    while (*s == ' ')
        s++;
    return (n == 32 && !*s) ? 0 : -EINVAL;
}

char *dom_parse_mac(const char *s)
{
    unsigned char b[6];
    size_t n = 0;
    const char *p = s;
    while (n < 6) {
        if (!isxdigit((unsigned char)p[0]))
            return NULL;
        unsigned v = 0;
        int digits = 0;
        while (isxdigit((unsigned char)*p) && digits < 2) {
            v = v * 16 + (unsigned)(isdigit((unsigned char)*p) ? *p - '0'
                                                                : tolower((unsigned char)*p) - 'a' + 10);
            p++;
            digits++;
        }
        b[n++] = (unsigned char)v;
        if (n < 6) {
            if (*p != ':' && *p != '-')
                return NULL;
            p++;
        }
    }
    if (*p)
        return NULL;
    if (b[0] & 1)
        return NULL;   /* multicast addresses cannot be a NIC's own */
    return xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* ---- helpers ---- */

static int memory_elem(struct px *p, xmlNode *n, const char *name,
                       unsigned long long *ret_kib)
{
    if (!n)
        return 0;
    _cleanup_free_ char *text = px_text(n);
    const char *unit = px_attr(n, "unit");
    const char *why = NULL;
    if (dom_parse_memory_unit(text, unit, ret_kib, &why) < 0) {
        if (why && STREQ(why, "unknown unit"))
            px_err(p, n, "unit", "unknown memory unit '%s'", unit);
        else
            px_err(p, n, NULL, "invalid <%s> value '%s': %s", name, text, why);
        return -1;
    }
    return 1;
}

static enum dom_lifecycle lifecycle_elem(struct px *p, xmlNode *root, const char *name,
                                         int *ret_line)
{
    xmlNode *n = px_child(p, root, name);
    if (!n)
        return DOM_LC_DEFAULT;
    *ret_line = (int)xmlGetLineNo(n);
    _cleanup_free_ char *t = px_text(n);
    int v = dom_lifecycle_from_string(t);
    if (v <= 0) {
        px_err(p, n, NULL, "unknown action '%s' (expected destroy, restart, preserve, "
               "rename-restart, coredump-destroy or coredump-restart)", t);
        return DOM_LC_DEFAULT;
    }
    return (enum dom_lifecycle)v;
}

static void name_ok(struct px *p, xmlNode *n, const char *name)
{
    _cleanup_free_ char *why = dom_name_error("domain", name);
    if (why)
        px_err(p, n, NULL, "%s", why);
}

/* ---- numatune ---- */

static char *numa_nodeset(struct px *p, xmlNode *n)
{
    char *s = px_attr_dup(n, "nodeset");
    const char *why;
    if (s && dom_parse_cpuset(s, NULL, &why) < 0)
        px_err(p, n, "nodeset", "invalid host NUMA nodeset '%s': %s", s, why);
    return s;
}

/* Host NUMA placement of guest memory (libvirt's qemuBuildMemoryBackendProps and
 * qemuProcessSetupEmulator): checked against the host's nodes and applied at start. */
static void parse_numatune(struct px *p, xmlNode *root)
{
    xmlNode *nt = px_child(p, root, "numatune");
    if (!nt)
        return;
    struct dom_numatune *t = &p->dom->numatune;
    xmlNode *m = px_child(p, nt, "memory");
    if (m) {
        t->present = true;
        px_src(&t->src, m);
        PX_ENUM(p, m, "mode", &dom_numa_mode_enum, "value", t->mode);
        t->nodeset = numa_nodeset(p, m);
        const char *pl = px_attr(m, "placement");
        if (pl && STREQ(pl, "auto"))
            px_err(p, m, "placement", "placement='auto' asks numad for a nodeset, which "
                   "qlaunch does not run; give nodeset='...' (placement='static')");
        else if (pl && !STREQ(pl, "static"))
            px_err(p, m, "placement", "unknown placement '%s' (static or auto)", pl);
        else if (!t->nodeset)
            px_err(p, m, NULL, "<memory> needs a nodeset (placement='static')");
    }
    size_t n = px_count(nt, "memnode");
    if (n > DOM_MAX_DEVICES) {
        px_err(p, nt, NULL, "%zu <memnode> elements exceed the limit of %d", n,
               DOM_MAX_DEVICES);
        return;
    }
    t->memnodes = xcalloc(n ? n : 1, sizeof(*t->memnodes));
    for (xmlNode *e = NULL; (e = px_next(nt, e, "memnode"));) {
        struct dom_memnode *x = &t->memnodes[t->n_memnodes++];
        px_src(&x->src, e);
        if (px_attr_uint(p, e, "cellid", &x->cellid) == 0)
            px_err(p, e, NULL, "<memnode> needs a cellid");
        PX_ENUM(p, e, "mode", &dom_numa_mode_enum, "value", x->mode);
        x->nodeset = numa_nodeset(p, e);
        if (!x->nodeset)
            px_err(p, e, NULL, "<memnode> needs a nodeset");
        for (size_t k = 0; k + 1 < t->n_memnodes; k++)
            if (t->memnodes[k].cellid == x->cellid)
                px_err(p, e, "cellid", "a second <memnode> for cell %u", x->cellid);
    }
}

static void parse_cputune(struct px *p, xmlNode *root)
{
    xmlNode *ct = px_child(p, root, "cputune");
    if (!ct)
        return;
    struct domain *d = p->dom;
    d->has_cputune = true;
    struct dom_cputune *t = &d->cputune;
    px_src(&t->src, ct);
    xmlNode *n;
    const char *why;
    if ((n = px_child(p, ct, "shares"))) {
        _cleanup_free_ char *s = px_text(n);
        char *end;
        errno = 0;
        t->shares = strtoull(s, &end, 10);
        t->has_shares = !errno && isdigit((unsigned char)*s) && !*end;
        if (!t->has_shares)
            px_err(p, n, NULL, "invalid value '%s'", s);
        else    /* a relative weight: it changes nothing while the host's CPUs are not busy */
            px_note(p, n, NULL, "CPU weight %llu is not applied: qlaunch does not manage "
                    "cgroups; set CPUWeight= on the systemd unit that runs 'qlaunch create "
                    "--foreground' to weigh this guest against others", t->shares);
    }
    if ((n = px_child(p, ct, "period"))) {
        _cleanup_free_ char *s = px_text(n);
        char *end;
        errno = 0;
        t->period = strtoull(s, &end, 10);
        t->has_period = !errno && isdigit((unsigned char)*s) && !*end && t->period >= 1000 &&
                        t->period <= 1000000;
        if (!t->has_period)
            px_err(p, n, NULL, "invalid period '%s' (1000 to 1000000 microseconds)", s);
    }
    if ((n = px_child(p, ct, "quota"))) {
        _cleanup_free_ char *s = px_text(n);
        char *end;
        errno = 0;
        long long q = strtoll(s, &end, 10);
        t->has_quota = !errno && *s && !*end && (q == -1 || q >= 1000);
        t->quota = (unsigned long long)q;
        if (!t->has_quota)
            px_err(p, n, NULL, "invalid quota '%s'", s);
    }
    if ((n = px_child(p, ct, "emulatorpin"))) {
        t->emulatorpin = px_attr_dup(n, "cpuset");
        if (!t->emulatorpin)
            px_err(p, n, NULL, "missing cpuset attribute");
        else if (dom_parse_cpuset(t->emulatorpin, NULL, &why) < 0)
            px_err(p, n, "cpuset", "invalid cpuset '%s': %s", t->emulatorpin, why);
    }
    size_t cnt = px_count(ct, "vcpupin");
    t->vcpupins = xcalloc(cnt, sizeof(*t->vcpupins));
    for (n = NULL; (n = px_next(ct, n, "vcpupin"));) {
        struct dom_vcpupin *v = &t->vcpupins[t->n_vcpupins++];
        px_src(&v->src, n);
        if (px_attr_uint(p, n, "vcpu", &v->vcpu) == 0)
            px_err(p, n, NULL, "missing vcpu attribute");
        v->cpuset = px_attr_dup(n, "cpuset");
        if (!v->cpuset)
            px_err(p, n, NULL, "missing cpuset attribute");
        else if (dom_parse_cpuset(v->cpuset, NULL, &why) < 0)
            px_err(p, n, "cpuset", "invalid cpuset '%s': %s", v->cpuset, why);
    }
    cnt = px_count(ct, "iothreadpin");
    t->iothreadpins = xcalloc(cnt, sizeof(*t->iothreadpins));
    for (n = NULL; (n = px_next(ct, n, "iothreadpin"));) {
        struct dom_vcpupin *v = &t->iothreadpins[t->n_iothreadpins++];
        px_src(&v->src, n);
        if (px_attr_uint(p, n, "iothread", &v->vcpu) == 0)
            px_err(p, n, NULL, "missing iothread attribute");
        v->cpuset = px_attr_dup(n, "cpuset");
        if (!v->cpuset)
            px_err(p, n, NULL, "missing cpuset attribute");
        else if (dom_parse_cpuset(v->cpuset, NULL, &why) < 0)
            px_err(p, n, "cpuset", "invalid cpuset '%s': %s", v->cpuset, why);
    }
}

/* <memoryBacking>: what QEMU's memory backend is made of (see qemu/build.c). */
static void parse_memory_backing(struct px *p, xmlNode *root)
{
    xmlNode *mb = px_child(p, root, "memoryBacking");
    if (!mb)
        return;
    struct dom_mem_backing *m = &p->dom->mem_backing;
    m->present = true;
    px_src(&m->src, mb);
    xmlNode *hp = px_child(p, mb, "hugepages");
    if (hp) {
        m->hugepages = true;
        size_t cnt = px_count(hp, "page");
        if (cnt > DOM_MAX_DEVICES) {
            px_err(p, hp, NULL, "%zu <page> elements exceed the limit of %d", cnt,
                   DOM_MAX_DEVICES);
            px_ignore(hp);
            cnt = 0;
        }
        m->pages = xcalloc(cnt ? cnt : 1, sizeof(*m->pages));
        for (xmlNode *pg = NULL; cnt && (pg = px_next(hp, pg, "page"));) {
            struct dom_hugepage *h = &m->pages[m->n_pages++];
            px_src(&h->src, pg);
            const char *size = px_attr(pg, "size");
            const char *why = NULL;
            if (!size)
                px_err(p, pg, NULL, "<page> needs a size attribute");
            else if (dom_parse_memory_unit(size, px_attr(pg, "unit"), &h->size_kib, &why) < 0
                     || h->size_kib == 0)
                px_err(p, pg, "size", "invalid huge page size '%s'%s%s", size,
                       why ? ": " : "", why ? why : "");
            h->nodeset = px_attr_dup(pg, "nodeset");
            unsigned max;
            if (h->nodeset && dom_parse_cpuset(h->nodeset, &max, &why) < 0)
                px_err(p, pg, "nodeset", "invalid nodeset '%s': %s", h->nodeset, why);
            for (size_t i = 0; i + 1 < m->n_pages; i++)
                if (!h->nodeset && !m->pages[i].nodeset)
                    px_err(p, pg, NULL, "more than one <page> without a nodeset (the "
                           "default huge page size can be given only once)");
        }
    }
    m->nosharepages = px_child(p, mb, "nosharepages") != NULL;
    m->locked = px_child(p, mb, "locked") != NULL;
    xmlNode *n;
    if ((n = px_child(p, mb, "source")) &&
        PX_ENUM(p, n, "type", &dom_mem_source_enum, "value", m->source) == 0)
        px_err(p, n, NULL, "<source> needs a type attribute");
    if ((n = px_child(p, mb, "access")) &&
        PX_ENUM(p, n, "mode", &dom_mem_access_enum, "value", m->access) == 0)
        px_err(p, n, NULL, "<access> needs a mode attribute");
    if ((n = px_child(p, mb, "allocation"))) {
        PX_ENUM(p, n, "mode", &dom_mem_allocation_enum, "value", m->allocation);
        if (px_attr_uint(p, n, "threads", &m->allocation_threads) > 0
            && (m->allocation_threads == 0 || m->allocation_threads > 4096))
            px_err(p, n, "threads", "must be 1 to 4096");
    }
    /* libvirt (virDomainDefPostParseMemory... qemuValidateDomainDef): anonymous memory
     * cannot be backed by huge pages. */
    if (m->hugepages && m->source == DOM_MEM_SOURCE_ANONYMOUS)
        px_err(p, hp, NULL, "hugepages are not allowed with anonymous memory source");
}

/* <iothreads> and <iothreadids>: the list of IOThreads as libvirt builds it
 * (virDomainIOThreadIDDefArrayInit): the ids the XML names, in its order, then the lowest
 * free ids until <iothreads> are there. */
static void parse_iothreads(struct px *p, xmlNode *root)
{
    struct domain *d = p->dom;
    unsigned count = 0;
    xmlNode *n = px_child(p, root, "iothreads");
    if (n) {
        _cleanup_free_ char *t = px_text(n);
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(t, &end, 10);
        if (errno || !isdigit((unsigned char)*t) || *end || v > 4096)
            px_err(p, n, NULL, "invalid IOThread count '%s' (0 to 4096)", t);
        else
            count = (unsigned)v;
    }
    xmlNode *ids = px_child(p, root, "iothreadids");
    size_t nids = ids ? px_count(ids, "iothread") : 0;
    if (nids > 4096) {
        px_err(p, ids, NULL, "%zu <iothread> elements exceed the limit of 4096", nids);
        px_ignore(ids);
        return;
    }
    size_t total = nids > count ? nids : count;
    d->iothreads = xcalloc(total ? total : 1, sizeof(*d->iothreads));
    for (xmlNode *e = NULL; ids && (e = px_next(ids, e, "iothread"));) {
        unsigned id = 0;
        int r = px_attr_uint(p, e, "id", &id);
        if (r == 0)
            px_err(p, e, NULL, "<iothread> needs an id attribute");
        else if (r > 0 && id == 0)
            px_err(p, e, "id", "invalid iothread id '0' (ids start at 1)");
        if (r <= 0 || id == 0)
            continue;
        bool dup = false;
        for (size_t i = 0; i < d->n_iothreads; i++)
            dup |= d->iothreads[i].id == id;
        if (dup) {
            px_err(p, e, "id", "duplicate iothread id '%u'", id);
            continue;
        }
        struct dom_iothread *it = &d->iothreads[d->n_iothreads++];
        it->id = id;
        px_src(&it->src, e);
    }
    for (unsigned id = 1; d->n_iothreads < total; id++) {
        bool used = false;
        for (size_t i = 0; i < d->n_iothreads; i++)
            used |= d->iothreads[i].id == id;
        if (used)
            continue;
        struct dom_iothread *it = &d->iothreads[d->n_iothreads++];
        it->id = id;
        px_src(&it->src, n ? n : ids);
    }
}

/* ---- vcpus ---- */

/* <vcpus>: the state of each vCPU, which `virsh dumpxml` prints for a guest with fewer
 * vCPUs online than its maximum. qlaunch starts the online ones with -smp and hot-plugs
 * none at start, so it runs exactly the layouts -smp CURRENT,maxcpus=MAX gives: vCPUs 0 to
 * CURRENT-1 online. Others would need libvirt's hotplug at start and are refused. */
static void parse_vcpus(struct px *p, xmlNode *root)
{
    struct domain *d = p->dom;
    xmlNode *vs = px_child(p, root, "vcpus");
    if (!vs)
        return;
    unsigned max = d->vcpus, online = 0, first_offline = 0;
    bool any_offline = false, bad = false;
    unsigned char *seen = xcalloc(max ? max : 1, 1);
    for (xmlNode *e = NULL; (e = px_next(vs, e, "vcpu"));) {
        unsigned id = 0;
        unsigned order;
        enum dom_tristate en = DOM_TRI_DEFAULT, hp = DOM_TRI_DEFAULT;
        px_attr_uint(p, e, "order", &order);    /* the hotplug order: informational */
        int r = px_attr_uint(p, e, "id", &id);
        px_attr_tristate(p, e, "hotpluggable", &hp);
        if (px_attr_tristate(p, e, "enabled", &en) == 0)
            px_err(p, e, NULL, "<vcpu> needs an enabled attribute ('yes' or 'no')");
        if (r == 0) {
            px_err(p, e, NULL, "<vcpu> needs an id attribute");
            continue;
        }
        if (r < 0 || id >= max) {
            if (r > 0)
                px_err(p, e, "id", "vCPU id '%u' is out of range of the maximum vCPU count %u",
                       id, max);
            continue;
        }
        if (seen[id]++) {
            px_err(p, e, "id", "vCPU id '%u' is listed twice", id);
            continue;
        }
        if (en == DOM_TRI_OFF && hp == DOM_TRI_OFF)   /* libvirt's rule */
            px_err(p, e, NULL, "vCPU '%u' is both offline and not hotpluggable", id);
        if (en == DOM_TRI_OFF && (!any_offline || id < first_offline)) {
            any_offline = true;
            first_offline = id;
        }
        if (en == DOM_TRI_ON)
            online++;
        if (id == 0 && en == DOM_TRI_OFF)
            px_err(p, e, NULL, "vCPU 0 must be online");
    }
    for (unsigned id = 0; id < max && !bad; id++) {
        bad = !seen[id];
        if (bad)
            px_err(p, vs, NULL, "<vcpus> does not list vCPU %u (it lists each of the %u)", id,
                   max);
    }
    if (!bad && any_offline && online > first_offline)
        px_err(p, vs, NULL, "vCPU %u is offline but a higher one is online: qlaunch starts "
               "vCPUs 0 to N-1 (-smp N,maxcpus=%u) and does not hot-plug vCPUs at start",
               first_offline, max);
    else if (!bad && d->vcpus_current && d->vcpus_current != online)
        px_err(p, vs, NULL, "<vcpus> has %u vCPUs online but <vcpu current='%u'>", online,
               d->vcpus_current);
    else if (!bad)
        d->vcpus_current = online;
    free(seen);
}

/* ---- sysinfo ---- */

/* libvirt's virSysinfoBIOSParseXML: mm/dd/yy or mm/dd/yyyy (yyyy from 1900). */
static bool bios_date_ok(const char *s)
{
    int m, dd, y, n = -1;
    if (strspn(s, "0123456789/") != strlen(s)
        || sscanf(s, "%2d/%2d/%4d%n", &m, &dd, &y, &n) != 3 || n < 0 || s[n])
        return false;
    return m >= 1 && m <= 12 && dd >= 1 && dd <= 31 && (y < 100 || y >= 1900);
}

/* QEMU's type 0 release: "MAJOR.MINOR", each 0..255. */
static bool bios_release_ok(const char *s)
{
    unsigned a, b;
    int n = -1;
    return strspn(s, "0123456789.") == strlen(s) && sscanf(s, "%3u.%3u%n", &a, &b, &n) == 2
           && !s[n] && a <= 255 && b <= 255;
}

static void sysinfo_smbios_checks(struct px *p, xmlNode *si, struct dom_smbios *s)
{
    struct domain *d = p->dom;
    xmlNode *bios = px_next(si, NULL, "bios");
    const char *date = s->f[DOM_SMBIOS_BIOS][2], *rel = s->f[DOM_SMBIOS_BIOS][3];
    if (date && !bios_date_ok(date))
        px_err(p, bios, NULL, "invalid BIOS date '%s' (expected mm/dd/yy or mm/dd/yyyy)",
               date);
    if (rel && !bios_release_ok(rel))
        px_err(p, bios, NULL, "invalid BIOS release '%s' (expected MAJOR.MINOR, each 0 to "
               "255)", rel);
    char **uuid = &s->f[DOM_SMBIOS_SYSTEM][DOM_SMBIOS_UUID_FIELD];
    if (!*uuid)
        return;
    unsigned char u[16];
    xmlNode *sys = px_next(si, NULL, "system");
    if (dom_parse_uuid(*uuid, u) < 0) {
        px_err(p, sys, NULL, "invalid <sysinfo> system uuid '%s'", *uuid);
        return;
    }
    /* libvirt (virSysinfoSystemParseXML): a domain without <uuid> takes this one; one with
     * a <uuid> must say the same. */
    if (!d->has_uuid) {
        memcpy(d->uuid, u, sizeof(u));
        d->has_uuid = true;
    } else if (memcmp(d->uuid, u, sizeof(u)) != 0) {
        px_err(p, sys, NULL, "UUID mismatch between <uuid> and <sysinfo> system uuid '%s'",
               *uuid);
        return;
    }
    char canon[37];
    uuid_unparse_lower(u, canon);
    free(*uuid);
    *uuid = xstrdup(canon);
}

static void parse_sysinfo_smbios(struct px *p, xmlNode *si)
{
    struct domain *d = p->dom;
    if (d->has_sysinfo) {
        px_err(p, si, NULL, "more than one <sysinfo type='smbios'>");
        px_ignore(si);
        return;
    }
    d->has_sysinfo = true;
    struct dom_smbios *s = &d->sysinfo;
    px_src(&s->src, si);
    for (int t = 0; t < DOM_SMBIOS_TABLE_MAX; t++) {
        const char *const *names = dom_smbios_fields[t];
        xmlNode *tb = px_child(p, si, dom_smbios_table_to_string(t));
        for (xmlNode *e = NULL; tb && (e = px_next(tb, e, "entry"));) {
            const char *name = px_attr(e, "name");
            int k = -1;
            for (int i = 0; name && names[i]; i++)
                if (STREQ(name, names[i]))
                    k = i;
            if (k < 0) {
                struct strbuf sb = STRBUF_INIT;
                for (int i = 0; names[i]; i++)
                    sb_addf(&sb, "%s%s", i ? ", " : "", names[i]);
                if (name)
                    px_err(p, e, "name", "unknown <%s> entry '%s' (libvirt knows: %s)",
                           dom_smbios_table_to_string(t), name, sb_str(&sb));
                else
                    px_err(p, e, NULL, "<entry> needs a name attribute (one of: %s)",
                           sb_str(&sb));
                sb_free(&sb);
                px_ignore(e);
                continue;
            }
            char *v = px_text(e);
            if (s->f[t][k])
                px_err(p, e, "name", "entry '%s' is given twice", name);
            if (s->f[t][k] || !*v)
                free(v);        /* an empty entry is an absent one, as in libvirt */
            else
                s->f[t][k] = v;
        }
    }
    xmlNode *oem = px_child(p, si, "oemStrings");
    size_t n = oem ? px_count(oem, "entry") : 0;
    if (n > DOM_MAX_DEVICES) {
        px_err(p, oem, NULL, "%zu OEM strings exceed the limit of %d", n, DOM_MAX_DEVICES);
        px_ignore(oem);
        n = 0;
    }
    s->oem = xcalloc(n ? n : 1, sizeof(*s->oem));
    for (xmlNode *e = NULL; n && (e = px_next(oem, e, "entry"));)
        s->oem[s->n_oem++] = px_text(e);
    sysinfo_smbios_checks(p, si, s);
}

/* <sysinfo type='fwcfg'>: QEMU's -fw_cfg, under libvirt's rules (qemuValidateDomainDef
 * Sysinfo): names under opt/, but not QEMU's or OVMF's own; QEMU takes up to 55 bytes. */
static void parse_sysinfo_fwcfg(struct px *p, xmlNode *si)
{
    struct domain *d = p->dom;
    size_t n = px_count(si, "entry");
    if (d->n_fwcfgs + n > DOM_MAX_DEVICES) {
        px_err(p, si, NULL, "more than %d fw_cfg entries", DOM_MAX_DEVICES);
        px_ignore(si);
        return;
    }
    d->fwcfgs = xrealloc(d->fwcfgs, (d->n_fwcfgs + n + 1) * sizeof(*d->fwcfgs));
    for (xmlNode *e = NULL; (e = px_next(si, e, "entry"));) {
        struct dom_fwcfg *f = &d->fwcfgs[d->n_fwcfgs++];
        memset(f, 0, sizeof(*f));
        px_src(&f->src, e);
        f->name = px_attr_dup(e, "name");
        f->file = px_attr_dup(e, "file");
        f->value = px_text(e);
        if (!*f->value) {
            free(f->value);
            f->value = NULL;
        }
        if (!f->name)
            px_err(p, e, NULL, "a fw_cfg <entry> needs a name attribute");
        else if (strncmp(f->name, "opt/", 4) != 0)
            px_err(p, e, "name", "invalid fw_cfg name '%s' (it must start with 'opt/')",
                   f->name);
        else if (strncmp(f->name, "opt/ovmf/", 9) == 0
                 || strncmp(f->name, "opt/org.qemu/", 13) == 0)
            px_err(p, e, "name", "fw_cfg name '%s' is reserved (opt/ovmf/ and opt/org.qemu/ "
                   "belong to the firmware and QEMU)", f->name);
        else if (strlen(f->name) > 55)
            px_err(p, e, "name", "fw_cfg name '%s' is longer than QEMU's 55 bytes", f->name);
        if (!f->value == !f->file)
            px_err(p, e, NULL, "a fw_cfg <entry> needs either a value or a file attribute%s",
                   f->value ? ", not both" : "");
    }
}

static void parse_sysinfo(struct px *p, xmlNode *root)
{
    for (xmlNode *si = NULL; (si = px_next(root, si, "sysinfo"));) {
        const char *type = px_attr(si, "type");
        if (type && STREQ(type, "smbios")) {
            parse_sysinfo_smbios(p, si);
            continue;
        }
        if (type && STREQ(type, "fwcfg")) {
            parse_sysinfo_fwcfg(p, si);
            continue;
        }
        if (type)
            px_err(p, si, "type", "unsupported sysinfo type '%s' (qlaunch supports: smbios, "
                   "fwcfg)", type);
        else
            px_err(p, si, NULL, "<sysinfo> needs a type attribute ('smbios' or 'fwcfg')");
        px_ignore(si);
    }
}

/* ---- general ---- */

/* <seclabel>: the DAC model decides who QEMU runs as (<label>USER:GROUP</label>, as
 * libvirt's static DAC labels) and whether files are made accessible to it (relabel).
 * Other models (selinux, apparmor) are libvirt host bookkeeping without a driver here:
 * ignored by design; a dynamic DAC label is the one a running libvirt domain was given,
 * which libvirt itself drops when it reads an inactive definition. */
static void parse_seclabel(struct px *p, struct domain *d, xmlNode *n)
{
    const char *model = px_attr(n, "model");
    int type = DOM_SECLABEL_DYNAMIC;
    PX_ENUM(p, n, "type", &dom_seclabel_type_enum, "seclabel type", type);
    if (model ? !STREQ(model, "dac") : type != DOM_SECLABEL_NONE) {
        px_ignore(n);
        return;
    }
    px_use(n);
    if (d->dac.type) {
        px_err(p, n, NULL, "more than one DAC <seclabel>");
        return;
    }
    d->dac.type = type;
    d->dac.line = (int)xmlGetLineNo(n);
    px_attr_tristate(p, n, "relabel", &d->dac.relabel);
    xmlNode *l = px_child(p, n, "label");
    for (xmlNode *c = NULL; (c = px_next(n, c, "imagelabel"));)
        px_ignore(c);    /* the label files get; qlaunch gives them QEMU's */
    for (xmlNode *c = NULL; (c = px_next(n, c, "baselabel"));)
        px_ignore(c);
    if (type == DOM_SECLABEL_STATIC) {
        if (!l) {
            px_err(p, n, NULL, "a static DAC <seclabel> needs <label>USER:GROUP</label>");
            return;
        }
        d->dac.label = px_text(l);
        const char *colon = strchr(d->dac.label, ':');
        if (!colon || colon == d->dac.label || !colon[1] || strchr(colon + 1, ':'))
            px_err(p, l, NULL, "DAC label '%s' is not USER:GROUP (names, or +UID:+GID)",
                   d->dac.label);
    } else if (l) {
        px_ignore(l);    /* a dynamic label is output of the run that wrote it */
    }
}

void px_parse_general(struct px *p, xmlNode *root)
{
    struct domain *d = p->dom;
    xmlNode *n;

    d->id = -1;
    int virt = DOM_VIRT_KVM;
    const char *type = px_attr(root, "type");
    if (!type)
        px_err(p, root, "type", "missing domain type (expected 'kvm' or 'qemu')");
    else if ((virt = dom_virt_from_string(type)) < 0)
        px_err(p, root, "type", "unsupported domain type '%s' (qlaunch runs 'kvm' and 'qemu')",
               type);
    d->virt = virt < 0 ? DOM_VIRT_KVM : (enum dom_virt)virt;
    px_attr_int(p, root, "id", &d->id);   /* informational, as in virsh dumpxml */

    if ((n = px_child(p, root, "name"))) {
        d->name_line = (int)xmlGetLineNo(n);
        d->name = px_text(n);
        name_ok(p, n, d->name);
    } else {
        px_err(p, root, NULL, "missing <name>");
    }

    if ((n = px_child(p, root, "uuid"))) {
        d->uuid_line = (int)xmlGetLineNo(n);
        _cleanup_free_ char *u = px_text(n);
        /* An empty <uuid/> (vagrant-libvirt writes one) asks for a generated UUID, as a
         * missing <uuid> does in libvirt (virDomainDefParseIDs). */
        if (*u && dom_parse_uuid(u, d->uuid) < 0)
            px_err(p, n, NULL, "invalid UUID '%s'", u);
        else if (*u)
            d->has_uuid = true;
    }
    if (!d->has_uuid && d->name) {
        /* libvirt picks a random UUID; a name-based one keeps argv deterministic. */
        static const unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                             0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
        uuid_generate_sha1(d->uuid, ns, d->name, strlen(d->name));
    }
    /* <genid>: the VM generation ID (-device vmgenid). Empty means "generate one", which
     * validate derives from the UUID (libvirt picks a random one and stores it). */
    if ((n = px_child(p, root, "genid"))) {
        d->genid_line = (int)xmlGetLineNo(n);
        _cleanup_free_ char *g = px_text(n);
        d->has_genid = true;
        if (!*g)
            d->genid_auto = true;
        else if (dom_parse_uuid(g, d->genid) < 0)
            px_err(p, n, NULL, "invalid genid '%s' (expected a UUID)", g);
    }

    /* Ignored by design: human-facing text and tool metadata, libvirt host bookkeeping. */
    d->title = px_child_text(p, root, "title");
    d->description = px_child_text(p, root, "description");
    for (n = NULL; (n = px_next(root, n, "metadata"));)
        px_ignore(n);
    for (n = NULL; (n = px_next(root, n, "seclabel"));)
        parse_seclabel(p, d, n);
    for (n = NULL; (n = px_next(root, n, "resource"));)
        px_ignore(n);

    n = px_child(p, root, "memory");
    d->mem_line[0] = n ? (int)xmlGetLineNo(n) : 0;
    if (memory_elem(p, n, "memory", &d->memory_kib) == 0)
        px_err(p, root, NULL, "missing <memory>");
    if (n) {
        enum dom_tristate dc = DOM_TRI_DEFAULT;
        if (px_attr_tristate(p, n, "dumpCore", &dc) > 0) {
            d->mem_dump_core_set = true;
            d->mem_dump_core = dc == DOM_TRI_ON;
        }
    }
    n = px_child(p, root, "currentMemory");
    d->mem_line[1] = n ? (int)xmlGetLineNo(n) : 0;
    memory_elem(p, n, "currentMemory", &d->current_memory_kib);
    n = px_child(p, root, "maxMemory");
    d->mem_line[2] = n ? (int)xmlGetLineNo(n) : 0;
    if (memory_elem(p, n, "maxMemory", &d->max_memory_kib) > 0) {
        if (px_attr_uint(p, n, "slots", &d->max_memory_slots) == 0)
            px_err(p, n, NULL, "missing slots attribute");
    }

    if ((n = px_child(p, root, "vcpu"))) {
        d->vcpu_line = (int)xmlGetLineNo(n);
        _cleanup_free_ char *t = px_text(n);
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(t, &end, 10);
        if (errno || !*t || *end || v == 0 || v > 4096)
            px_err(p, n, NULL, "invalid vCPU count '%s' (1 to 4096)", t);
        else
            d->vcpus = (unsigned)v;
        PX_ENUM(p, n, "placement", &dom_vcpu_placement_enum, "value", d->vcpu_placement);
        px_attr_uint(p, n, "current", &d->vcpus_current);
        d->vcpu_cpuset = px_attr_dup(n, "cpuset");
        const char *why;
        if (d->vcpu_cpuset && dom_parse_cpuset(d->vcpu_cpuset, NULL, &why) < 0)
            px_err(p, n, "cpuset", "invalid cpuset '%s': %s", d->vcpu_cpuset, why);
    } else {
        d->vcpus = 1;
    }
    parse_vcpus(p, root);
    parse_sysinfo(p, root);
    /* Memory encryption (AMD SEV/SEV-SNP, Intel TDX, s390 PV) needs host firmware and
     * attestation support qlaunch does not have. */
    if ((n = px_child(p, root, "launchSecurity"))) {
        static const char *const kinds[][2] = {
            {"sev", "AMD SEV memory encryption"},
            {"sev-snp", "AMD SEV-SNP memory encryption"},
            {"tdx", "Intel TDX trust domains"},
            {"s390-pv", "s390 protected virtualization, an s390x feature"},
        };
        const char *t = px_attr(n, "type"), *what = NULL;
        for (size_t i = 0; t && i < ARRAY_SIZE(kinds); i++)
            if (STREQ(t, kinds[i][0]))
                what = kinds[i][1];
        if (!t)
            px_err(p, n, NULL, "<launchSecurity> needs a type attribute, and no type is "
                   "supported: qlaunch does not start confidential guests; remove it");
        else if (!what)
            px_err(p, n, "type", "unknown launch security type '%s' (libvirt knows sev, "
                   "sev-snp, tdx and s390-pv; qlaunch supports none of them)", t);
        else
            px_err(p, n, NULL, "<launchSecurity type='%s'> (%s) is not supported: qlaunch "
                   "does not create the confidential-guest object, measure the launch or pass "
                   "attestation secrets; remove <launchSecurity> to run the guest unencrypted, "
                   "or start it with libvirt", t, what);
        px_ignore(n);
    }
    parse_cputune(p, root);
    parse_numatune(p, root);
    parse_memory_backing(p, root);
    parse_iothreads(p, root);

    d->on_poweroff = lifecycle_elem(p, root, "on_poweroff", &d->lc_line[0]);
    d->on_reboot = lifecycle_elem(p, root, "on_reboot", &d->lc_line[1]);
    d->on_crash = lifecycle_elem(p, root, "on_crash", &d->lc_line[2]);

    if ((n = px_child(p, root, "pm"))) {
        d->pm_line = (int)xmlGetLineNo(n);
        px_attr_tristate(p, px_child(p, n, "suspend-to-mem"), "enabled", &d->pm_suspend_to_mem);
        px_attr_tristate(p, px_child(p, n, "suspend-to-disk"), "enabled",
                         &d->pm_suspend_to_disk);
    }

    /* features */
    xmlNode *f = px_child(p, root, "features");
    if (f) {
        struct dom_features *ft = &d->features;
        ft->line = (int)xmlGetLineNo(f);
        for (int i = 0; i < DOM_FEAT_MAX; i++) {
            if (i >= DOM_FEAT_KVM_HIDDEN)
                continue;   /* <kvm> children, below */
            xmlNode *e = px_child(p, f, dom_feature_to_string(i));
            if (!e)
                continue;
            ft->lines[i] = (int)xmlGetLineNo(e);
            ft->f[i] = DOM_TRI_ON;
            px_attr_tristate(p, e, "state", &ft->f[i]);
            if (i == DOM_FEAT_APIC)
                PX_ENUM(p, e, "eoi", &dom_tristate_enum, "value", ft->apic_eoi);
        }
        xmlNode *kvm = px_child(p, f, "kvm");
        if (kvm) {
            static const struct {
                const char *elem;
                enum dom_feature f;
            } kf[] = {{"hidden", DOM_FEAT_KVM_HIDDEN},
                      {"hint-dedicated", DOM_FEAT_KVM_DEDICATED},
                      {"poll-control", DOM_FEAT_KVM_POLL_CONTROL},
                      {"pv-ipi", DOM_FEAT_KVM_PV_IPI},
                      {"dirty-ring", DOM_FEAT_KVM_DIRTY_RING}};
            for (size_t k = 0; k < ARRAY_SIZE(kf); k++) {
                xmlNode *h = px_child(p, kvm, kf[k].elem);
                if (!h)
                    continue;
                ft->lines[kf[k].f] = (int)xmlGetLineNo(h);
                /* libvirt requires state (virDomainFeaturesKVMDefParse); qlaunch has
                 * always read a bare <hidden/> as on, and keeps doing so. */
                if (kf[k].f == DOM_FEAT_KVM_HIDDEN)
                    ft->f[kf[k].f] = DOM_TRI_ON;
                if (px_attr_tristate(p, h, "state", &ft->f[kf[k].f]) == 0
                    && kf[k].f != DOM_FEAT_KVM_HIDDEN)
                    px_err(p, h, NULL, "<%s> needs a state attribute ('on' or 'off')",
                           kf[k].elem);
                if (kf[k].f != DOM_FEAT_KVM_DIRTY_RING)
                    continue;
                int r = px_attr_uint(p, h, "size", &ft->kvm_dirty_ring_size);
                if (ft->f[kf[k].f] == DOM_TRI_ON && r == 0)
                    px_err(p, h, NULL, "<dirty-ring state='on'> needs a size attribute");
                else if (r > 0 && (!ft->kvm_dirty_ring_size
                                   || (ft->kvm_dirty_ring_size
                                       & (ft->kvm_dirty_ring_size - 1))
                                   || ft->kvm_dirty_ring_size < 1024
                                   || ft->kvm_dirty_ring_size > 65536))
                    /* libvirt's wording */
                    px_err(p, h, "size", "dirty ring must be power of 2 and ranges "
                           "[1024, 65536]");
            }
        }
        xmlNode *hv = px_child(p, f, "hyperv");
        if (hv) {
            ft->hyperv_present = true;
            /* mode='custom': the features listed are the ones enabled; 'passthrough':
             * the host's, plus those listed */
            int mode = HYPERV_MODE_CUSTOM;
            px_attr_enum(p, hv, "mode", &hyperv_mode_enum, 0, "value", &mode);
            ft->hyperv_passthrough = mode == HYPERV_MODE_PASSTHROUGH;
            ft->hyperv = xcalloc(DOM_HV_MAX, sizeof(*ft->hyperv));
            for (int k = 0; k < DOM_HV_MAX; k++) {
                xmlNode *e = px_child(p, hv, dom_hyperv_feat_to_string(k));
                if (!e)
                    continue;
                struct dom_hyperv_feature *h = &ft->hyperv[ft->n_hyperv++];
                h->name = k;
                enum dom_tristate st = DOM_TRI_ON;
                px_attr_tristate(p, e, "state", &st);
                h->on = st != DOM_TRI_OFF;
                if (k == DOM_HV_SPINLOCKS) {
                    /* libvirt: retries is required with state='on', and at least 4095. */
                    unsigned retries = 0;
                    int rr = px_attr_uint(p, e, "retries", &retries);
                    if (h->on && rr == 0)
                        px_err(p, e, NULL, "missing HyperV spinlock retry count (<spinlocks "
                               "state='on'> needs retries='N', N >= 4095)");
                    else if (h->on && rr > 0 && retries < 4095)
                        px_err(p, e, "retries", "HyperV spinlock retry count must be at "
                               "least 4095");
                    h->value = px_attr_dup(e, "retries");
                }
                else if (k == DOM_HV_VENDOR_ID) {
                    /* libvirt's schema: up to 12 characters, no comma (QEMU's -cpu has
                     * no escaping for one) */
                    h->value = px_attr_dup(e, "value");
                    if (h->on && !h->value)
                        px_err(p, e, NULL, "missing 'value' attribute for HyperV feature "
                               "'vendor_id'");
                    else if (h->value && (strlen(h->value) > 12 || strchr(h->value, ',')))
                        px_err(p, e, "value", "HyperV vendor_id '%s' must be at most 12 "
                               "characters without a comma", h->value);
                }
                /* libvirt's sub-features: <stimer><direct>, <tlbflush><direct><extended> */
                static const char *const subs[] = {"direct", "extended"};
                for (size_t j = 0; j < ARRAY_SIZE(subs); j++) {
                    if (k != DOM_HV_TLBFLUSH && (k != DOM_HV_STIMER || j > 0))
                        break;
                    xmlNode *sub = px_child(p, e, subs[j]);
                    enum dom_tristate *sst = j ? &h->extended : &h->direct;
                    if (sub && px_attr_tristate(p, sub, "state", sst) == 0)
                        px_err(p, sub, NULL, "<%s> needs a state attribute ('on' or 'off')",
                               subs[j]);
                    if (*sst == DOM_TRI_ON && !h->on)
                        px_err(p, sub, NULL, "<%s state='on'> needs <%s state='on'>",
                               subs[j], dom_hyperv_feat_to_string(k));
                }
            }
        }
    }

    /* clock */
    xmlNode *c = px_child(p, root, "clock");
    if (c) {
        struct dom_clock *cl = &d->clock;
        cl->line = (int)xmlGetLineNo(c);
        PX_ENUM(p, c, "offset", &dom_clock_offset_enum, NULL, cl->offset);
        cl->timezone = px_attr_dup(c, "timezone");
        if (cl->offset == DOM_CLOCK_TIMEZONE && !cl->timezone)
            px_err(p, c, NULL, "offset 'timezone' needs a timezone attribute");
        if (cl->timezone && cl->offset != DOM_CLOCK_TIMEZONE)
            px_err(p, c, "timezone", "only valid with offset='timezone'");
        const char *adj = px_attr(c, "adjustment");
        if (adj) {
            char *end;
            errno = 0;
            cl->adjustment = STREQ(adj, "reset") ? 0 : strtoll(adj, &end, 10);
            if (!STREQ(adj, "reset") && (errno || *end))
                px_err(p, c, "adjustment", "invalid adjustment '%s'", adj);
        }
        PX_ENUM(p, c, "basis", &dom_clock_basis_enum, "value", cl->basis);
        if (cl->basis && cl->offset != DOM_CLOCK_VARIABLE)
            px_err(p, c, "basis", "only valid with offset='variable'");
        if (adj && (cl->offset == DOM_CLOCK_ABSOLUTE || cl->offset == DOM_CLOCK_TIMEZONE))
            px_err(p, c, "adjustment", "only valid with offset='utc', 'localtime' or "
                   "'variable'");
        const char *start = px_attr(c, "start");
        if (start && cl->offset != DOM_CLOCK_ABSOLUTE)
            px_err(p, c, "start", "only valid with offset='absolute'");
        if (start) {
            char *end;
            errno = 0;
            cl->start = strtoll(start, &end, 10);
            if (errno || *end)
                px_err(p, c, "start", "invalid start '%s'", start);
        }
        size_t nt = px_count(c, "timer");
        cl->timers = xcalloc(nt, sizeof(*cl->timers));
        for (xmlNode *t = NULL; (t = px_next(c, t, "timer"));) {
            struct dom_timer *tm = &cl->timers[cl->n_timers++];
            tm->line = (int)xmlGetLineNo(t);
            if (PX_ENUM(p, t, "name", &dom_timer_name_enum, "value", tm->name) == 0)
                px_err(p, t, NULL, "missing timer name");
            px_attr_tristate(p, t, "present", &tm->present);
            PX_ENUM(p, t, "tickpolicy", &dom_tickpolicy_enum, "value", tm->tickpolicy);
            PX_ENUM(p, t, "track", &dom_timer_track_enum, "value", tm->track);
            px_attr_ull(p, t, "frequency", &tm->frequency);
        }
    }
}

/* ---- cpu ---- */

void px_parse_cpu(struct px *p, xmlNode *root)
{
    xmlNode *n = px_child(p, root, "cpu");
    if (!n)
        return;
    struct dom_cpu *c = &p->dom->cpu;
    c->present = true;
    px_src(&c->src, n);
    c->mode = DOM_CPU_MODE_CUSTOM;
    if (PX_ENUM(p, n, "mode", &dom_cpu_mode_enum, NULL, c->mode) > 0)
        c->has_mode = true;
    PX_ENUM(p, n, "match", &dom_cpu_match_enum, "value", c->match);
    PX_ENUM(p, n, "check", &dom_cpu_check_enum, "value", c->check);
    enum dom_tristate migratable = DOM_TRI_DEFAULT;
    px_attr_tristate(p, n, "migratable", &migratable);   /* migration only: no effect */
    xmlNode *m = px_child(p, n, "model");
    if (m) {
        c->model = px_text(m);
        if (!*c->model) {
            free(c->model);
            c->model = NULL;
        }
        PX_ENUM(p, m, "fallback", &dom_cpu_fallback_enum, "value", c->model_fallback);
    }
    c->vendor = px_child_text(p, n, "vendor");
    if (c->vendor && !c->model)     /* libvirt: virCPUDefParseXML */
        px_err(p, px_next(n, NULL, "vendor"), NULL, "CPU vendor specified without CPU model");
    xmlNode *t = px_child(p, n, "topology");
    if (t) {
        px_src(&c->topo_src, t);
        struct {
            const char *name;
            unsigned *v;
        } parts[] = {{"sockets", &c->sockets}, {"dies", &c->dies}, {"clusters", &c->clusters},
                     {"cores", &c->cores}, {"threads", &c->threads}};
        for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
            int r = px_attr_uint(p, t, parts[i].name, parts[i].v);
            if (r > 0 && *parts[i].v == 0)
                px_err(p, t, parts[i].name, "must be at least 1");
        }
        if (!c->sockets || !c->cores || !c->threads)
            px_err(p, t, NULL, "topology needs sockets, cores and threads");
        if (!c->dies)
            c->dies = 1;
        if (!c->clusters)
            c->clusters = 1;
    }
    size_t nf = px_count(n, "feature");
    c->features = xcalloc(nf, sizeof(*c->features));
    for (xmlNode *f = NULL; (f = px_next(n, f, "feature"));) {
        struct dom_cpu_feature *cf = &c->features[c->n_features++];
        cf->name = px_attr_dup(f, "name");
        if (!cf->name)
            px_err(p, f, NULL, "missing feature name");
        cf->policy = DOM_CPU_FEAT_REQUIRE;
        PX_ENUM(p, f, "policy", &dom_cpu_feature_policy_enum, NULL, cf->policy);
    }
    /* libvirt's qemuValidateDomainDefCpu: emulate takes level 3 only, the other modes no
     * level; passthrough needs the host's CPU */
    xmlNode *cache = px_child(p, n, "cache");
    if (cache) {
        if (PX_ENUM(p, cache, "mode", &dom_cpu_cache_mode_enum, "value", c->cache_mode) == 0)
            px_err(p, cache, NULL, "<cache> needs a mode attribute (emulate, passthrough or "
                   "disable)");
        int r = px_attr_uint(p, cache, "level", &c->cache_level);
        const char *mode = dom_cpu_cache_mode_to_string(c->cache_mode);
        if (r > 0 && (c->cache_level < 1 || c->cache_level > 3))
            px_err(p, cache, "level", "CPU cache level must be 1 to 3");
        else if (c->cache_mode == DOM_CPU_CACHE_EMULATE && c->cache_level != 3)
            px_err(p, cache, NULL, "CPU cache mode 'emulate' can only be used with level='3'");
        else if (c->cache_mode > DOM_CPU_CACHE_EMULATE && r > 0)
            px_err(p, cache, "level", "unsupported CPU cache level for mode '%s'", mode);
        if (c->cache_mode == DOM_CPU_CACHE_PASSTHROUGH && c->mode != DOM_CPU_MODE_HOST_PASSTHROUGH
            && c->mode != DOM_CPU_MODE_MAXIMUM)
            px_err(p, cache, "mode", "CPU cache mode 'passthrough' can only be used with "
                   "'host-passthrough' / 'maximum' CPUs");
    }
    xmlNode *numa = px_child(p, n, "numa");
    if (numa) {
        px_src(&c->numa_src, numa);
        size_t nc = px_count(numa, "cell");
        c->cells = xcalloc(nc, sizeof(*c->cells));
        for (xmlNode *e = NULL; (e = px_next(numa, e, "cell"));) {
            struct dom_numa_cell *cell = &c->cells[c->n_cells];
            if (px_attr_uint(p, e, "id", &cell->id) == 0)
                cell->id = (unsigned)c->n_cells;
            c->n_cells++;
            cell->cpus = px_attr_dup(e, "cpus");
            const char *why;
            if (!cell->cpus)
                px_err(p, e, NULL, "missing cpus attribute");
            else if (dom_parse_cpuset(cell->cpus, NULL, &why) < 0)
                px_err(p, e, "cpus", "invalid cpuset '%s': %s", cell->cpus, why);
            const char *mem = px_attr(e, "memory");
            if (!mem || dom_parse_memory_unit(mem, px_attr(e, "unit"), &cell->memory_kib,
                                              &why) < 0)
                px_err(p, e, "memory", "missing or invalid NUMA cell memory");
            PX_ENUM(p, e, "memAccess", &dom_mem_access_enum, "value", cell->mem_access);
        }
    }
}

/* ---- os ---- */

void px_parse_os(struct px *p, xmlNode *root)
{
    struct dom_os *o = &p->dom->os;
    o->bootmenu_timeout = -1;
    o->bios_reboot_timeout = -1;
    xmlNode *os = px_child(p, root, "os");
    if (!os) {
        px_err(p, root, NULL, "missing <os>");
        return;
    }
    px_src(&o->src, os);
    PX_ENUM(p, os, "firmware", &dom_firmware_enum, "value", o->firmware);
    xmlNode *t = px_child(p, os, "type");
    if (!t) {
        px_err(p, os, NULL, "missing <type>");
    } else {
        _cleanup_free_ char *type = px_text(t);
        int v = dom_os_type_from_string(type);
        if (v < 0)
            px_err(p, t, NULL, "unsupported OS type '%s' (qlaunch runs 'hvm' guests)", type);
        else
            o->type = v;
        const char *arch = px_attr(t, "arch");
        if (arch && (v = dom_arch_from_string(arch)) < 0)
            px_err(p, t, "arch", "unsupported architecture '%s' (qlaunch runs "
                   "qemu-system-x86_64 only)", arch);
        else if (arch)
            o->arch = v;
        xmlAttr *ma = xmlHasNsProp(t, (const xmlChar *)"machine", NULL);
        o->machine_line = (int)xmlGetLineNo(t);
        o->machine = px_attr_dup(t, "machine");
        if (ma && !o->machine)
            px_note(p, t, "machine", "empty machine type: using the default 'pc' as libvirt "
                    "does");
        if (o->machine) {
            for (const char *c = o->machine; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("_.-", *c)) {
                    px_err(p, t, "machine", "invalid machine type '%s'", o->machine);
                    break;
                }
        }
    }
    /* <firmware><feature>: what firmware='efi' auto-selection must (not) pick. */
    xmlNode *fw = px_child(p, os, "firmware");
    if (fw) {
        for (xmlNode *f = NULL; (f = px_next(fw, f, "feature"));) {
            int name;
            enum dom_tristate en = DOM_TRI_DEFAULT;
            if (px_attr_enum(p, f, "name", &fw_feature_enum, 0, "value", &name) <= 0) {
                if (!px_attr(f, "name"))
                    px_err(p, f, NULL, "missing name attribute");
                continue;
            }
            int r = px_attr_tristate(p, f, "enabled", &en);
            if (r <= 0) {
                if (r == 0)
                    px_err(p, f, NULL, "missing enabled attribute (yes or no)");
                continue;
            }
            enum dom_tristate *slot = name == FW_SECURE_BOOT ? &o->fw_secure_boot
                                                             : &o->fw_enrolled_keys;
            if (*slot != DOM_TRI_DEFAULT)
                px_err(p, f, "name", "firmware feature '%s' is listed twice",
                       fw_feature_to_string(name));
            *slot = en;
        }
        /* virsh dumpxml of a BIOS domain lists both features disabled: that is fine; an
         * enabled one asks for UEFI. */
        bool efi = o->firmware == DOM_FW_EFI;
        if (!efi && (o->fw_secure_boot == DOM_TRI_ON || o->fw_enrolled_keys == DOM_TRI_ON))
            px_err(p, fw, NULL, "enabled <firmware> features need <os firmware='efi'>");
        /* libvirt's virDomainDefOSValidate: keys only make sense with Secure Boot. */
        if (o->fw_enrolled_keys == DOM_TRI_ON && o->fw_secure_boot == DOM_TRI_OFF)
            px_err(p, fw, NULL, "firmware feature 'enrolled-keys' cannot be enabled when "
                   "firmware feature 'secure-boot' is disabled");
    }
    xmlNode *l = px_child(p, os, "loader");
    if (l) {
        o->loader_line = (int)xmlGetLineNo(l);
        o->loader = px_text(l);
        if (!*o->loader) {
            free(o->loader);
            o->loader = NULL;
        }
        px_attr_tristate(p, l, "readonly", &o->loader_readonly);
        px_attr_tristate(p, l, "secure", &o->loader_secure);
        PX_ENUM(p, l, "type", &dom_loader_type_enum, "value", o->loader_type);
    }
    xmlNode *nv = px_child(p, os, "nvram");
    if (nv) {
        o->nvram_line = (int)xmlGetLineNo(nv);
        o->nvram = px_text(nv);
        if (!*o->nvram) {
            free(o->nvram);
            o->nvram = NULL;
        }
        o->nvram_template = px_attr_dup(nv, "template");
    }
    struct {
        const char *elem;
        char **text;
        int *line;
    } files[] = {{"kernel", &o->kernel, &o->kernel_line}, {"initrd", &o->initrd, &o->initrd_line},
                 {"cmdline", &o->cmdline, &o->cmdline_line}, {"dtb", &o->dtb, &o->dtb_line}};
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        xmlNode *e = px_child(p, os, files[i].elem);
        char *text = px_text(e);
        if (text && !*text) {     /* empty: absent, as px_child_text */
            free(text);
            text = NULL;
        }
        *files[i].text = text;
        *files[i].line = e ? (int)xmlGetLineNo(e) : 0;
    }
    for (xmlNode *b = NULL; (b = px_next(os, b, "boot"));) {
        int dev;
        if (!o->boot_line)
            o->boot_line = (int)xmlGetLineNo(b);
        if (px_attr_enum(p, b, "dev", &dom_boot_dev_enum, 0, NULL, &dev) <= 0) {
            if (!px_attr(b, "dev"))
                px_err(p, b, NULL, "missing dev attribute");
            continue;
        }
        if (o->n_boot == DOM_BOOT_MAX) {
            px_err(p, b, NULL, "too many <boot> elements");
            continue;
        }
        for (size_t i = 0; i < o->n_boot; i++)
            if ((int)o->boot[i] == dev)
                px_err(p, b, "dev", "boot device '%s' is listed twice",
                       dom_boot_dev_to_string(dev));
        o->boot[o->n_boot++] = (enum dom_boot_dev)dev;
    }
    xmlNode *bm = px_child(p, os, "bootmenu");
    if (bm) {
        px_attr_tristate(p, bm, "enable", &o->bootmenu);
        unsigned to;
        if (px_attr_uint(p, bm, "timeout", &to) > 0) {
            if (to > 65535)
                px_err(p, bm, "timeout", "must be 0 to 65535 ms");
            o->bootmenu_timeout = (int)to;
        }
    }
    xmlNode *bios = px_child(p, os, "bios");
    if (bios) {
        o->bios_line = (int)xmlGetLineNo(bios);
        if (px_attr_int(p, bios, "rebootTimeout", &o->bios_reboot_timeout) > 0
            && (o->bios_reboot_timeout < -1 || o->bios_reboot_timeout > 65535))
            px_err(p, bios, "rebootTimeout", "must be -1 (no reboot) or 0 to 65535 ms");
        px_attr_tristate(p, bios, "useserial", &o->bios_useserial);
    }
    xmlNode *sm = px_child(p, os, "smbios");
    if (sm) {
        o->smbios_line = (int)xmlGetLineNo(sm);
        PX_ENUM(p, sm, "mode", &dom_smbios_mode_enum, "value", o->smbios_mode);
    }
}
