/* The virtual CPU and memory: -cpu with its features, memory backends (huge pages, memfd,
 * shared memory, preallocation), -m, -smp, IOThreads and NUMA cells. */
#include "config.h"
#include "domain/parse.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

static const char *cpu_feature_value(enum dom_cpu_feature_policy p)
{
    return (p == DOM_CPU_FEAT_DISABLE || p == DOM_CPU_FEAT_FORBID) ? "off" : "on";
}

int qb_add_cpu(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_cpu *cpu = &d->cpu;
    struct strbuf sb = STRBUF_INIT;
    const struct dom_src fsrc = {(char *)"features", d->features.line};
    const struct dom_src *src = cpu->src.path ? &cpu->src : &fsrc;
    const char *model = NULL;

    if (cpu->present && cpu->has_mode) {
        switch (cpu->mode) {
        case DOM_CPU_MODE_HOST_PASSTHROUGH:
            if (!c->kvm) {
                sb_free(&sb);
                return qb_fail(c, src, "cpu mode='host-passthrough' needs KVM; with TCG use "
                               "mode='maximum'");
            }
            model = "host";
            break;
        case DOM_CPU_MODE_HOST_MODEL:
            model = c->kvm ? "host" : "max";
            qb_note(c, "cpu mode='host-model' is run as -cpu %s (qlaunch does not expand "
                    "host models)", model);
            break;
        case DOM_CPU_MODE_MAXIMUM:
            model = "max";
            break;
        default:
            break;
        }
    }
    if (!model && cpu->model) {
        if (strspn(cpu->model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                   "_.-") != strlen(cpu->model)) {
            sb_free(&sb);
            return qb_fail(c, src, "CPU model '%s' is not a valid QEMU CPU name", cpu->model);
        }
        model = cpu->model;
    }
    struct strbuf props = STRBUF_INIT;
    if (cpu->vendor) {
        /* libvirt's <vendor> names the CPU vendor as its cpu_map does; QEMU's vendor=
         * property wants the 12-character CPUID vendor string. */
        static const struct {
            const char *name, *cpuid;
        } vendors[] = {{"Intel", "GenuineIntel"}, {"AMD", "AuthenticAMD"},
                       {"Hygon", "HygonGenuine"}};
        const char *v = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(vendors) && !v; i++)
            if (STREQ(cpu->vendor, vendors[i].name) || STREQ(cpu->vendor, vendors[i].cpuid))
                v = vendors[i].cpuid;
        if (!v) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, src, "CPU vendor '%s' is not supported; use Intel, AMD or Hygon",
                           cpu->vendor);
        }
        sb_addf(&props, ",vendor=%s", v);
        qb_prop(c, "vendor", QB_ATTR(&cpu->src, "<vendor>"));
    }
    for (size_t i = 0; i < cpu->n_features; i++) {
        const struct dom_cpu_feature *f = &cpu->features[i];
        if (!f->name || strspn(f->name, "abcdefghijklmnopqrstuvwxyz0123456789_.-")
                            != strlen(f->name)) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, src, "CPU feature '%s' is not a valid QEMU feature name",
                           f->name ? f->name : "");
        }
        sb_addf(&props, ",%s=%s", f->name, cpu_feature_value(f->policy));
        qb_prop(c, f->name, QB_ATTR(&cpu->src, "feature@policy"));
    }
    const enum dom_tristate *ft = d->features.f;
    if (ft[DOM_FEAT_PMU] != DOM_TRI_DEFAULT) {
        sb_addf(&props, ",pmu=%s", ft[DOM_FEAT_PMU] == DOM_TRI_ON ? "on" : "off");
        qb_prop(c, "pmu", qb_feature(c, DOM_FEAT_PMU, NULL));
    }
    if (ft[DOM_FEAT_PVSPINLOCK] != DOM_TRI_DEFAULT) {
        sb_addf(&props, ",kvm-pv-unhalt=%s", ft[DOM_FEAT_PVSPINLOCK] == DOM_TRI_ON ? "on" : "off");
        qb_prop(c, "kvm-pv-unhalt", qb_feature(c, DOM_FEAT_PVSPINLOCK, NULL));
    }
    if (ft[DOM_FEAT_KVM_HIDDEN] == DOM_TRI_ON) {
        sb_add(&props, ",kvm=off");
        qb_prop(c, "kvm", qb_feature(c, DOM_FEAT_KVM_HIDDEN, NULL));
    }
    /* libvirt (qemuBuildCpuCommandLine) writes only the non-default state of each: the
     * hints are off and PV IPIs on by default. They are KVM paravirtual interfaces, which
     * TCG does not provide, so under TCG they are refused rather than dropped. */
    static const struct {
        enum dom_feature f;
        enum dom_tristate emit;
        const char *prop, *elem;
    } kvmf[] = {{DOM_FEAT_KVM_DEDICATED, DOM_TRI_ON, "kvm-hint-dedicated=on", "hint-dedicated"},
                {DOM_FEAT_KVM_POLL_CONTROL, DOM_TRI_ON, "kvm-poll-control=on", "poll-control"},
                {DOM_FEAT_KVM_PV_IPI, DOM_TRI_OFF, "kvm-pv-ipi=off", "pv-ipi"}};
    for (size_t i = 0; i < ARRAY_SIZE(kvmf); i++) {
        if (ft[kvmf[i].f] != kvmf[i].emit)
            continue;
        if (!c->kvm) {
            sb_free(&sb);
            sb_free(&props);
            return qb_fail(c, &fsrc, "<kvm><%s state='%s'/> is a KVM paravirtual feature "
                           "and needs KVM; it has no effect with TCG, remove it or run with "
                           "--accel kvm", kvmf[i].elem, kvmf[i].emit == DOM_TRI_ON ? "on"
                                                                                  : "off");
        }
        sb_addf(&props, ",%s", kvmf[i].prop);
        qb_prop(c, kvmf[i].prop, qb_feature(c, kvmf[i].f, NULL));
    }
    if (d->features.apic_eoi != DOM_TRI_DEFAULT) {
        sb_addf(&props, ",kvm-pv-eoi=%s", d->features.apic_eoi == DOM_TRI_ON ? "on" : "off");
        qb_prop(c, "kvm-pv-eoi", QB_AT("features/apic", d->features.lines[DOM_FEAT_APIC],
                                       "eoi"));
    }
    for (size_t i = 0; i < d->clock.n_timers; i++) {
        const struct dom_timer *t = &d->clock.timers[i];
        const char *prop = NULL;
        if (t->name == DOM_TIMER_KVMCLOCK && t->present != DOM_TRI_DEFAULT)
            sb_addf(&props, ",%s=%s", prop = "kvmclock", t->present == DOM_TRI_ON ? "on" : "off");
        else if (t->name == DOM_TIMER_HYPERVCLOCK && t->present != DOM_TRI_DEFAULT)
            sb_addf(&props, ",%s=%s", prop = "hv-time", t->present == DOM_TRI_ON ? "on" : "off");
        else if (t->name == DOM_TIMER_TSC && t->frequency)
            sb_addf(&props, ",%s=%llu", prop = "tsc-frequency", t->frequency);
        if (prop)
            qb_prop(c, prop, QB_AT("clock/timer", t->line, t->frequency ? "frequency"
                                                                        : "present"));
    }
    struct qb_from hvf = QB_AT("features/hyperv", d->features.line, NULL);
    /* libvirt's qemuBuildCpuCommandLine: features that are on, as NAME=on (retries in
     * hex), then their sub-features; passthrough last */
    for (size_t i = 0; i < d->features.n_hyperv; i++) {
        const struct dom_hyperv_feature *h = &d->features.hyperv[i];
        if (!h->on)
            continue;
        if (h->name == DOM_HV_SPINLOCKS && h->value) {
            sb_addf(&props, ",hv-spinlocks=0x%llx", strtoull(h->value, NULL, 10));
        } else if (h->name == DOM_HV_VENDOR_ID && h->value) {
            sb_add(&props, ",hv-vendor-id=");
            sb_add_comma_escaped(&props, h->value);
        } else {
            /* QEMU's property is the element's name with '-' for '_' */
            sb_add(&props, ",hv-");
            for (const char *p = dom_hyperv_feat_to_string(h->name); *p; p++)
                sb_addc(&props, *p == '_' ? '-' : *p);
            sb_add(&props, "=on");
        }
        qb_prop(c, dom_hyperv_feat_to_string(h->name), hvf);
        const char *base = h->name == DOM_HV_STIMER ? "stimer" : "tlbflush";
        if (h->direct == DOM_TRI_ON)
            sb_addf(&props, ",hv-%s-direct=on", base);
        if (h->extended == DOM_TRI_ON)
            sb_add(&props, ",hv-tlbflush-ext=on");
    }
    for (size_t i = 0; i < d->dev.n_panics; i++)
        if (d->dev.panics[i].model == DOM_PANIC_HYPERV) {
            sb_add(&props, ",hv-crash");    /* <panic model='hyperv'>, libvirt's spelling */
            qb_prop(c, "hv-crash", QB_SRC(&d->dev.panics[i].src));
        }
    if (d->features.hyperv_passthrough) {
        sb_add(&props, ",hv-passthrough=on");
        qb_prop(c, "hv-passthrough", hvf);
    }
    /* <cache mode>, as libvirt: QEMU's l3-cache (an emulated L3 in CPUID) and
     * host-cache-info (the host's cache topology), each turned off where the mode excludes
     * it; host-cache-info only exists on the host and max CPUs */
    enum dom_cpu_cache_mode cm = cpu->cache_mode;
    if (cm)
        qb_prop(c, "cache", QB_ATTR(&cpu->src, "cache@mode"));
    bool host_cpu = cpu->mode == DOM_CPU_MODE_HOST_PASSTHROUGH || cpu->mode == DOM_CPU_MODE_MAXIMUM;
    if (cm == DOM_CPU_CACHE_EMULATE)
        sb_add(&props, ",l3-cache=on");
    else if (cm == DOM_CPU_CACHE_PASSTHROUGH)
        sb_add(&props, ",host-cache-info=on");
    if ((cm == DOM_CPU_CACHE_EMULATE || cm == DOM_CPU_CACHE_DISABLE) && host_cpu)
        sb_add(&props, ",host-cache-info=off");
    if (cm == DOM_CPU_CACHE_PASSTHROUGH || cm == DOM_CPU_CACHE_DISABLE)
        sb_add(&props, ",l3-cache=off");
    if (!model && props.len == 0) {
        sb_free(&sb);
        sb_free(&props);
        return 0;
    }
    sb_add(&sb, model ? model : "qemu64");
    if (props.len)
        sb_add(&sb, sb_str(&props));
    sb_free(&props);
    qb_opt(c, model ? QB_SRC(&cpu->src) : QB_WHY("QEMU's default model, for the features the "
                                                "XML turns on or off"), "-cpu", sb_steal(&sb));
    return 0;
}

/* ---- memory backends (libvirt's qemuBuildMemoryBackendProps) ---- */

/* The huge page size (KiB, 0 = the host's default) for NUMA cell `cell` (0 without NUMA),
 * or -1 when this memory is not backed by huge pages. */
static long long hugepage_kib(const struct qb_ctx *c, unsigned cell)
{
    const struct dom_mem_backing *mb = &c->d->mem_backing;
    if (!mb->hugepages)
        return -1;
    if (mb->n_pages == 0)
        return 0;
    long long dflt = -1;
    for (size_t i = 0; i < mb->n_pages; i++) {
        const struct dom_hugepage *h = &mb->pages[i];
        if (!h->nodeset) {
            dflt = (long long)h->size_kib;
            continue;
        }
        cpu_set_t set;
        if (dom_cpuset_to_mask(h->nodeset, &set) == 0 && cell < CPU_SETSIZE
            && CPU_ISSET(cell, &set))
            return (long long)h->size_kib;
    }
    return dflt;
}

bool qb_main_ram_backend(const struct qb_ctx *c)
{
    const struct dom_mem_backing *mb = &c->d->mem_backing;
    if (c->d->cpu.n_cells > 0)
        return false;       /* each cell has its own backend */
    return mb->hugepages || (mb->source && mb->source != DOM_MEM_SOURCE_ANONYMOUS) || mb->access
           || mb->allocation == DOM_MEM_ALLOC_IMMEDIATE;
}

/* <numatune> of one guest cell, as libvirt (qemuBuildMemoryBackendProps): the cell's
 * <memnode>, else <memory>, as host-nodes and policy. libvirt leaves 'restrictive' to
 * cgroups' cpuset.mems; qlaunch manages no cgroups and binds the cell's memory instead. */
static void numa_policy(struct qb_ctx *c, unsigned cell, struct qj *j)
{
    static const char *const policy[DOM_NUMA_MODE_MAX] = {
        [DOM_NUMA_MODE_DEFAULT] = "bind", [DOM_NUMA_STRICT] = "bind",
        [DOM_NUMA_PREFERRED] = "preferred", [DOM_NUMA_INTERLEAVE] = "interleave",
        [DOM_NUMA_RESTRICTIVE] = "bind"};
    const struct dom_numatune *t = &c->d->numatune;
    const char *nodeset = t->present ? t->nodeset : NULL;
    enum dom_numa_mode mode = t->mode;
    for (size_t i = 0; i < t->n_memnodes; i++)
        if (t->memnodes[i].cellid == cell) {
            nodeset = t->memnodes[i].nodeset;
            mode = t->memnodes[i].mode;
        }
    cpu_set_t set;
    if (!nodeset || dom_cpuset_to_mask(nodeset, &set) < 0)
        return;
    json_object *nodes = json_object_new_array();
    for (int n = 0; n < CPU_SETSIZE; n++)
        if (CPU_ISSET(n, &set))
            json_object_array_add(nodes, json_object_new_int(n));
    json_object_object_add(j->o, "host-nodes", nodes);
    qj_str(j, "policy", policy[mode]);
}

/* One memory backend object: memory-backend-memfd for source memfd, -file for huge pages,
 * source file or an explicit access mode (as libvirt), else -ram. */
static int memory_backend(struct qb_ctx *c, const char *id, unsigned long long bytes,
                          unsigned cell, enum dom_mem_access cell_access, bool main_ram,
                          struct qb_from from)
{
    const struct dom_mem_backing *mb = &c->d->mem_backing;
    const struct dom_src *src = &mb->src;
    enum dom_mem_access access = cell_access ? cell_access : mb->access;
    long long page = hugepage_kib(c, cell);
    bool hp = page >= 0;
    bool memfd = mb->source == DOM_MEM_SOURCE_MEMFD;
    bool file = !memfd && (hp || mb->source == DOM_MEM_SOURCE_FILE || access);
    bool prealloc = hp || mb->allocation == DOM_MEM_ALLOC_IMMEDIATE;
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "qom-type", memfd ? "memory-backend-memfd" : file ? "memory-backend-file"
                                 : "memory-backend-ram");
    qj_str(&j, "id", id);
    if (memfd && hp) {
        qj_bool(&j, "hugetlb", true);
        if (page > 0)
            qj_uint(&j, "hugetlbsize", (unsigned long long)page * 1024);
    }
    if (file && hp) {
        /* qlaunch does not look at the host's hugetlbfs mounts (the builder is pure):
         * /dev/hugepages is systemd's mount of the default size, 2 MiB on x86. The
         * trailing '/' makes QEMU refuse a missing directory instead of creating a
         * plain file of that name. */
        if (page != 0 && page != 2048) {
            free(qj_end(&j));
            return qb_fail(c, src, "huge pages of %lld KiB need their own hugetlbfs mount; "
                           "qlaunch backs guest memory with /dev/hugepages (the default "
                           "2 MiB pages), or use <source type='memfd'/>", page);
        }
        qj_str(&j, "mem-path", "/dev/hugepages/");
    } else if (file) {
        /* libvirt's memory_backing_dir: QEMU makes an unlinked file in the run dir */
        char *dir = xasprintf("%s/", c->qemu_dir);
        qj_str(&j, "mem-path", dir);
        free(dir);
    }
    if (access)
        qj_bool(&j, "share", access == DOM_MEM_ACCESS_SHARED);
    if (file && main_ram)       /* as libvirt: RAM block ids stay those of -mem-path */
        qj_bool(&j, "x-use-canonical-path-for-ramblock-id", false);
    if (prealloc) {
        qj_bool(&j, "prealloc", true);
        if (mb->allocation_threads)
            qj_uint(&j, "prealloc-threads", mb->allocation_threads);
    } else if (mb->allocation_threads) {
        free(qj_end(&j));
        return qb_fail(c, src, "<allocation threads> needs mode='immediate' or huge pages "
                       "(QEMU only uses them to preallocate)");
    }
    qj_uint(&j, "size", bytes);
    if (!main_ram)
        numa_policy(c, cell, &j);
    qb_opt(c, from, "-object", qj_end(&j));
    return 0;
}

int qb_add_memory_smp(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_src msrc = {(char *)"memory", d->mem_line[0]};
    const struct dom_src vsrc = {(char *)"vcpu", d->vcpu_line};
    unsigned long long kib = (d->memory_kib + 1023) / 1024 * 1024;
    /* libvirt (qemuDomainAlignMemorySizes): with NUMA cells, each cell is rounded up to
     * 1 MiB and the initial memory is their sum; QEMU refuses cells that do not add up
     * to -m. */
    if (d->cpu.n_cells > 0) {
        kib = 0;
        for (size_t i = 0; i < d->cpu.n_cells; i++)
            kib += (d->cpu.cells[i].memory_kib + 1023) / 1024 * 1024;
    }
    if (kib == 0)
        return qb_fail(c, &msrc, "memory size is 0");
    if (d->max_memory_kib) {
        unsigned long long mx = (d->max_memory_kib + 1023) / 1024 * 1024;
        qb_prop(c, "slots", QB_AT("maxMemory", d->mem_line[2], "slots"));
        qb_prop(c, "maxmem", QB_AT("maxMemory", d->mem_line[2], NULL));
        qb_opt(c, QB_SRC(&msrc), "-m", xasprintf("size=%lluk,slots=%u,maxmem=%lluk", kib,
                                                 d->max_memory_slots, mx));
    } else {
        qb_opt(c, d->cpu.n_cells ? QB_FOR(&d->cpu.numa_src, "the sum of the NUMA cells")
                                 : QB_SRC(&msrc), "-m", xasprintf("size=%lluk", kib));
    }
    const struct dom_numatune *nt = &d->numatune;
    if (nt->present && !d->cpu.n_cells)
        qb_note(c, "numatune: QEMU's memory policy is %s on host NUMA nodes %s (set_mempolicy "
                "before exec; libvirt uses cgroups' cpuset.mems)",
                nt->mode == DOM_NUMA_PREFERRED ? "preferred" : nt->mode == DOM_NUMA_INTERLEAVE
                ? "interleave" : "bind", nt->nodeset);
    int r;
    if (qb_main_ram_backend(c)
        && (r = memory_backend(c, "pc.ram", kib * 1024, 0, DOM_MEM_ACCESS_DEFAULT, true,
                               QB_SRC(&d->mem_backing.src))) < 0)
        return r;
    if (d->mem_backing.locked)
        qb_opt(c, QB_ATTR(&d->mem_backing.src, "<locked>"), "-overcommit",
               xstrdup("mem-lock=on"));

    unsigned max = d->vcpus ? d->vcpus : 1;
    unsigned cur = dom_vcpus_online(d);
    if (cur == 0 || cur > max)
        return qb_fail(c, &vsrc, "current vCPU count %u is not between 1 and %u", cur, max);
    const struct dom_cpu *cpu = &d->cpu;
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%u", cur);
    if (cur < max) {
        sb_addf(&sb, ",maxcpus=%u", max);
        qb_prop(c, "maxcpus", QB_SRC(&vsrc));
    }
    if (cpu->sockets || cpu->cores || cpu->threads || cpu->dies) {
        if (cpu->clusters > 1) {
            sb_free(&sb);
            return qb_fail(c, &cpu->src, "clusters > 1 are not supported by x86 machines in "
                           "QEMU 7.2");
        }
        unsigned s = cpu->sockets ? cpu->sockets : 1, di = cpu->dies ? cpu->dies : 1;
        unsigned co = cpu->cores ? cpu->cores : 1, th = cpu->threads ? cpu->threads : 1;
        if ((unsigned long long)s * di * co * th != max) {
            sb_free(&sb);
            return qb_fail(c, &cpu->src, "CPU topology %u sockets x %u dies x %u cores x %u "
                           "threads = %llu does not match the maximum vCPU count %u", s, di,
                           co, th, (unsigned long long)s * di * co * th, max);
        }
        sb_addf(&sb, ",sockets=%u,dies=%u,cores=%u,threads=%u", s, di, co, th);
        qb_prop(c, "sockets", QB_SRC(&cpu->topo_src));
    } else {
        sb_addf(&sb, ",sockets=%u,cores=1,threads=1", max);
        qb_prop(c, "sockets", QB_WHY("libvirt's default topology: one socket per vCPU"));
    }
    qb_opt(c, d->vcpus_current ? QB_ATTR(&vsrc, "current") : QB_SRC(&vsrc), "-smp",
           sb_steal(&sb));

    /* IOThreads, in libvirt's order and naming; the supervisor pins them by these ids */
    char iot[32];
    for (size_t i = 0; i < d->n_iothreads; i++) {
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "qom-type", "iothread");
        qj_str(&j, "id", qb_iothread_id(iot, sizeof(iot), d->iothreads[i].id));
        qb_opt(c, QB_SRC(&d->iothreads[i].src), "-object", qj_end(&j));
    }
    const struct dom_cputune *tune = &d->cputune;
    c->r->iothreadpin_ids = xcalloc(tune->n_iothreadpins + 1, sizeof(char *));
    c->r->n_iothreadpin_ids = tune->n_iothreadpins;
    for (size_t i = 0; i < tune->n_iothreadpins; i++)
        c->r->iothreadpin_ids[i] = xstrdup(qb_iothread_id(iot, sizeof(iot),
                                                          tune->iothreadpins[i].vcpu));

    for (size_t i = 0; i < cpu->n_cells; i++) {
        const struct dom_numa_cell *cell = &cpu->cells[i];
        char id[32];
        snprintf(id, sizeof(id), "ram-node%u", cell->id);
        if ((r = memory_backend(c, id, (cell->memory_kib + 1023) / 1024 * 1024 * 1024ull,
                                cell->id, cell->mem_access, false,
                                QB_FOR(&cpu->numa_src, "the memory of a NUMA cell"))) < 0) {
            sb_free(&sb);
            return r;
        }
        sb_addf(&sb, "node,nodeid=%u", cell->id);
        if (cell->cpus) {
            if (strspn(cell->cpus, "0123456789-,") != strlen(cell->cpus)) {
                sb_free(&sb);
                return qb_fail(c, &cpu->src, "NUMA cell %u cpus '%s' must be a plain list "
                               "of CPUs and ranges", cell->id, cell->cpus);
            }
            const char *p = cell->cpus;
            while (*p) {
                size_t n = strcspn(p, ",");
                if (n) {
                    sb_add(&sb, ",cpus=");
                    sb_addn(&sb, p, n);
                }
                p += n;
                if (*p)
                    p++;
            }
        }
        sb_addf(&sb, ",memdev=%s", id);
        qb_opt(c, QB_SRC(&cpu->numa_src), "-numa", sb_steal(&sb));
    }
    return 0;
}
