/* Semantic validation across the whole domain, with libvirt's rules as the default. Every
 * problem is reported (not only the first), each naming the element and its line. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

static void lifecycle_rules(struct domain *d, struct dom_diags *g)
{
    const struct dom_src where_poweroff = {(char *)"on_poweroff", d->lc_line[0]};
    const struct dom_src where_reboot = {(char *)"on_reboot", d->lc_line[1]};
    const struct dom_src where_crash = {(char *)"on_crash", d->lc_line[2]};
    const struct {
        enum dom_lifecycle v;
        const struct dom_src *src;
        bool crash;
    } ev[] = {{d->on_poweroff, &where_poweroff, false},
              {d->on_reboot, &where_reboot, false},
              {d->on_crash, &where_crash, true}};
    for (size_t i = 0; i < ARRAY_SIZE(ev); i++) {
        enum dom_lifecycle v = ev[i].v;
        if (v == DOM_LC_RENAME_RESTART)
            px_err_src(g, ev[i].src, NULL, "action 'rename-restart' is not supported for QEMU "
                       "domains (libvirt rejects it too); use 'restart'");
        else if (!ev[i].crash && v == DOM_LC_PRESERVE)
            px_err_src(g, ev[i].src, NULL, "action 'preserve' is only supported for on_crash "
                       "(libvirt rejects it too); use 'destroy' or 'restart'");
        else if (!ev[i].crash && (v == DOM_LC_COREDUMP_DESTROY || v == DOM_LC_COREDUMP_RESTART))
            px_err_src(g, ev[i].src, NULL, "action '%s' is only allowed for on_crash",
                       dom_lifecycle_to_string(v));
    }
    if (dom_on_poweroff(d) == DOM_LC_RESTART && dom_on_reboot(d) == DOM_LC_DESTROY)
        px_err_src(g, &where_reboot, NULL, "on_reboot 'destroy' together with on_poweroff "
                   "'restart' is not supported for QEMU domains (libvirt rejects it too)");
}

static void vcpu_rules(struct domain *d, struct dom_diags *g)
{
    const struct dom_src where_vcpu = {(char *)"vcpu", d->vcpu_line};
    if (d->vcpus_current && d->vcpus_current > d->vcpus)
        px_err_src(g, &where_vcpu, "@current", "current vCPUs (%u) exceed the maximum (%u)",
                   d->vcpus_current, d->vcpus);
    struct dom_cpu *c = &d->cpu;
    if (c->sockets && c->cores && c->threads) {
        unsigned long long prod = (unsigned long long)c->sockets * c->dies * c->clusters *
                                  c->cores * c->threads;
        if (prod != d->vcpus) {
            struct strbuf fix = STRBUF_INIT, formula = STRBUF_INIT;
            if (prod <= 4096)
                sb_addf(&fix, "set <vcpu> to %llu (add current='%u' to start with %u online) or ",
                        prod, dom_vcpus_online(d), dom_vcpus_online(d));
            sb_addf(&fix, "change the topology to sockets='1'%s%s cores='%u' threads='1'",
                    c->dies > 1 ? " dies='1'" : "", c->clusters > 1 ? " clusters='1'" : "",
                    d->vcpus);
            sb_addf(&formula, "%u", c->sockets);
            if (c->dies > 1)
                sb_addf(&formula, "×%u", c->dies);
            if (c->clusters > 1)
                sb_addf(&formula, "×%u", c->clusters);
            sb_addf(&formula, "×%u×%u", c->cores, c->threads);
            px_err_src(g, &c->topo_src, NULL,
                       "the CPU topology gives %s = %llu vCPUs but <vcpu> is %u; libvirt "
                       "and QEMU both reject this: %s",
                       sb_str(&formula), prod, d->vcpus, sb_str(&fix));
            sb_free(&fix);
            sb_free(&formula);
        }
    }
    for (size_t i = 0; i < d->cputune.n_vcpupins; i++)
        if (d->cputune.vcpupins[i].vcpu >= d->vcpus)
            px_err_src(g, &d->cputune.vcpupins[i].src, "@vcpu",
                       "vCPU %u does not exist (the domain has %u)",
                       d->cputune.vcpupins[i].vcpu, d->vcpus);
    for (size_t i = 0; i < d->cputune.n_iothreadpins; i++) {
        const struct dom_vcpupin *ip = &d->cputune.iothreadpins[i];
        bool found = false;
        for (size_t k = 0; k < d->n_iothreads; k++)
            found = found || d->iothreads[k].id == ip->vcpu;
        if (!found)
            px_err_src(g, &ip->src, "@iothread", "IOThread %u does not exist (see <iothreads> "
                       "and <iothreadids>)", ip->vcpu);
    }
    if (d->cputune.has_period || d->cputune.has_quota) {
        px_err_src(g, &d->cputune.src, NULL, "CPU period and quota need cgroups, which qlaunch "
                   "does not manage; remove them, or set CPUQuota= on the systemd unit that "
                   "runs 'qlaunch create --foreground'");
    }
    if (c->n_cells) {
        unsigned long long total = 0;
        for (size_t i = 0; i < c->n_cells; i++)
            total += c->cells[i].memory_kib;
        if (total != d->memory_kib)
            px_err_src(g, &c->numa_src, NULL, "NUMA cells add up to %llu KiB but <memory> is "
                       "%llu KiB", total, d->memory_kib);
    }
    /* libvirt (virDomainNumatuneParseXML): a memnode names a guest cell */
    for (size_t i = 0; i < d->numatune.n_memnodes; i++) {
        const struct dom_memnode *m = &d->numatune.memnodes[i];
        bool found = false;
        for (size_t k = 0; k < c->n_cells && !found; k++)
            found = c->cells[k].id == m->cellid;
        if (!found)
            px_err_src(g, &m->src, "@cellid", "<memnode cellid='%u'> names no guest NUMA cell "
                       "(<cpu><numa><cell id>)", m->cellid);
    }
}

static void memory_rules(struct domain *d, struct dom_diags *g)
{
    const struct dom_src wm = {(char *)"memory", d->mem_line[0]};
    const struct dom_src wc = {(char *)"currentMemory", d->mem_line[1]};
    const struct dom_src wx = {(char *)"maxMemory", d->mem_line[2]};
    if (d->memory_kib == 0) {
        px_err_src(g, &wm, NULL, "memory size must be greater than zero");
        return;
    }
    if (d->memory_kib > (16ULL << 30)) /* 16 TiB, far above anything QEMU on x86 will map */
        px_err_src(g, &wm, NULL, "memory size %llu KiB is larger than qlaunch's 16 TiB limit",
                   d->memory_kib);
    if (d->current_memory_kib > d->memory_kib)
        px_err_src(g, &wc, NULL, "currentMemory (%llu KiB) is larger than memory (%llu KiB)",
                   d->current_memory_kib, d->memory_kib);
    if (d->max_memory_kib && d->max_memory_kib < d->memory_kib)
        px_err_src(g, &wx, NULL, "maxMemory (%llu KiB) is smaller than memory (%llu KiB)",
                   d->max_memory_kib, d->memory_kib);
}

/* Every device that can carry an <address>, visited in one place. */
struct addr_ref {
    const struct dom_addr *a;
    const struct dom_src *s;
};

static size_t collect_addrs(const struct domain *d, struct addr_ref **ret)
{
    const struct dom_devices *v = &d->dev;
    size_t n = v->n_disks + v->n_controllers + v->n_interfaces + v->n_inputs + v->n_videos +
               v->n_sounds + v->n_chrs + v->n_redirdevs + v->n_rngs + v->n_watchdogs +
               v->n_panics + v->n_tpms + v->n_fss + 1;
    struct addr_ref *r = xcalloc(n, sizeof(*r));
    size_t k = 0;
#define ADD(vec, cnt)                                                                        \
    for (size_t i = 0; i < (cnt); i++)                                                        \
        r[k++] = (struct addr_ref){&(vec)[i].addr, &(vec)[i].src};
    ADD(v->disks, v->n_disks)
    ADD(v->controllers, v->n_controllers)
    ADD(v->interfaces, v->n_interfaces)
    ADD(v->inputs, v->n_inputs)
    ADD(v->videos, v->n_videos)
    ADD(v->sounds, v->n_sounds)
    ADD(v->chrs, v->n_chrs)
    ADD(v->redirdevs, v->n_redirdevs)
    ADD(v->rngs, v->n_rngs)
    ADD(v->watchdogs, v->n_watchdogs)
    ADD(v->panics, v->n_panics)
    ADD(v->tpms, v->n_tpms)
    ADD(v->fss, v->n_fss)
#undef ADD
    if (v->memballoon.present)
        r[k++] = (struct addr_ref){&v->memballoon.addr, &v->memballoon.src};
    *ret = r;
    return k;
}

static void address_rules(struct domain *d, struct dom_diags *g)
{
    _cleanup_free_ struct addr_ref *r = NULL;
    size_t n = collect_addrs(d, &r);
    for (size_t i = 0; i < n; i++) {
        const struct dom_addr *a = r[i].a;
        if (a->type != DOM_ADDR_PCI)
            continue;
        if (a->slot > 31 || a->function > 7 || a->bus > 255 || a->domain != 0) {
            px_err_src(g, r[i].s, "/address", "PCI address %04x:%02x:%02x.%x is out of range "
                       "(domain 0, bus 0-255, slot 0-31, function 0-7)", a->domain, a->bus,
                       a->slot, a->function);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            const struct dom_addr *b = r[j].a;
            if (b->type == DOM_ADDR_PCI && b->domain == a->domain && b->bus == a->bus &&
                b->slot == a->slot && b->function == a->function)
                px_err_src(g, r[i].s, "/address", "PCI address %04x:%02x:%02x.%x is already "
                           "used by %s (line %d)", a->domain, a->bus, a->slot, a->function,
                           r[j].s->path ? r[j].s->path : "another device", r[j].s->line);
        }
    }
}

static void duplicate_rules(struct domain *d, struct dom_diags *g)
{
    const struct dom_devices *v = &d->dev;
    for (size_t i = 0; i < v->n_disks; i++)
        for (size_t j = 0; j < i; j++)
            if (v->disks[i].dev && STREQ_NULLABLE(v->disks[i].dev, v->disks[j].dev))
                px_err_src(g, &v->disks[i].src, "/target@dev", "target '%s' is already used by "
                           "%s (line %d)", v->disks[i].dev, v->disks[j].src.path,
                           v->disks[j].src.line);
    for (size_t i = 0; i < v->n_interfaces; i++)
        for (size_t j = 0; j < i; j++)
            if (v->interfaces[i].mac && STREQ_NULLABLE(v->interfaces[i].mac, v->interfaces[j].mac))
                px_err_src(g, &v->interfaces[i].src, "/mac@address", "MAC address '%s' is "
                           "already used by %s (line %d)", v->interfaces[i].mac,
                           v->interfaces[j].src.path, v->interfaces[j].src.line);
    for (size_t i = 0; i < v->n_interfaces; i++)
        for (size_t j = 0; j < i; j++)
            if (v->interfaces[i].target_dev &&
                STREQ_NULLABLE(v->interfaces[i].target_dev, v->interfaces[j].target_dev))
                px_err_src(g, &v->interfaces[i].src, "/target@dev", "tap name '%s' is already "
                           "used by %s (line %d)", v->interfaces[i].target_dev,
                           v->interfaces[j].src.path, v->interfaces[j].src.line);
    for (size_t i = 0; i < v->n_controllers; i++) {
        const struct dom_controller *a = &v->controllers[i];
        for (size_t j = 0; j < i; j++) {
            const struct dom_controller *b = &v->controllers[j];
            /* USB companions (<master>) share the index of their EHCI master. */
            if (a->type == b->type && a->index == b->index && !a->has_master && !b->has_master)
                px_err_src(g, &a->src, "@index", "a %s controller with index %u is already "
                           "defined at %s (line %d)", dom_ctrl_type_to_string(a->type),
                           a->index, b->src.path, b->src.line);
        }
    }
    for (size_t i = 0; i < v->n_chrs; i++) {
        const struct dom_chr *a = &v->chrs[i];
        if (a->kind == DOM_CHR_CONSOLE || a->kind == DOM_CHR_CHANNEL || a->target_port < 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct dom_chr *b = &v->chrs[j];
            if (b->kind == a->kind && b->target_port == a->target_port)
                px_err_src(g, &a->src, "/target@port", "%s port %d is already used by %s "
                           "(line %d)", dom_chr_kind_to_string(a->kind), a->target_port,
                           b->src.path, b->src.line);
        }
    }
    for (size_t i = 0; i < v->n_chrs; i++) {
        const struct dom_chr *a = &v->chrs[i];
        if (a->kind != DOM_CHR_CHANNEL || !a->target_name)
            continue;
        for (size_t j = 0; j < i; j++) {
            const struct dom_chr *b = &v->chrs[j];
            if (b->kind == DOM_CHR_CHANNEL && STREQ_NULLABLE(a->target_name, b->target_name))
                px_err_src(g, &a->src, "/target@name", "channel name '%s' is already used by "
                           "%s (line %d)", a->target_name, b->src.path, b->src.line);
        }
    }
}

/* libvirt (qemuValidateDomainDeviceDefDisk) refuses read-only IDE and SATA hard disks:
 * QEMU's ide-hd cannot be read-only and fails at start. */
static void disk_rules(struct domain *d, struct dom_diags *g)
{
    for (size_t i = 0; i < d->dev.n_disks; i++) {
        const struct dom_disk *dk = &d->dev.disks[i];
        enum dom_disk_bus bus = dk->bus;
        if (bus == DOM_BUS_DEFAULT)     /* libvirt's default bus for hdX is ide */
            bus = dk->dev && !strncmp(dk->dev, "hd", 2) ? DOM_BUS_IDE : DOM_BUS_DEFAULT;
        if (!dk->readonly || dk->device != DOM_DISKDEV_DISK
            || (bus != DOM_BUS_IDE && bus != DOM_BUS_SATA))
            continue;
        px_err_src(g, &dk->src, "/readonly", "readonly %s disks are not supported",
                   bus == DOM_BUS_IDE ? "ide" : "sata");
    }
}

/* libvirt (qemuValidateDomainDeviceDefDiskIOThreads, ...ControllerAttributes): an
 * iothread must be one of the domain's IOThreads, on a device that can use one. */
static bool iothread_known(const struct domain *d, unsigned id)
{
    for (size_t i = 0; i < d->n_iothreads; i++)
        if (d->iothreads[i].id == id)
            return true;
    return false;
}

static void iothread_rules(struct domain *d, struct dom_diags *g)
{
    for (size_t i = 0; i < d->dev.n_disks; i++) {
        const struct dom_disk *dk = &d->dev.disks[i];
        if (!dk->iothread)
            continue;
        bool virtio = dk->bus == DOM_BUS_VIRTIO
                      || (dk->bus == DOM_BUS_DEFAULT && dk->dev && !strncmp(dk->dev, "vd", 2));
        if (!virtio)
            px_err_src(g, &dk->src, "/driver@iothread", "IOThreads are only available for "
                       "virtio pci and virtio ccw disk");
        else if (!iothread_known(d, dk->iothread))
            px_err_src(g, &dk->src, "/driver@iothread", "Disk iothread '%u' not defined in "
                       "iothreadid", dk->iothread);
    }
    for (size_t i = 0; i < d->dev.n_controllers; i++) {
        const struct dom_controller *c = &d->dev.controllers[i];
        if (!c->iothread)
            continue;
        if (c->type != DOM_CTRL_SCSI || !dom_scsi_model_is_virtio(c->model.scsi))
            px_err_src(g, &c->src, "/driver@iothread", "'iothread' attribute only available "
                       "for virtio scsi controller model");
        else if (!iothread_known(d, c->iothread))
            px_err_src(g, &c->src, "/driver@iothread", "controller iothread '%u' not defined "
                       "in iothreadid", c->iothread);
    }
}

/* A guest crash is only visible to the launcher through a panic device. */
static void implicit_panic(struct domain *d, struct dom_diags *g)
{
    enum dom_lifecycle c = dom_on_crash(d);
    if (c == DOM_LC_DESTROY || d->dev.n_panics)
        return;
    struct dom_devices *v = &d->dev;
    v->panics = xrealloc(v->panics, sizeof(*v->panics));
    memset(&v->panics[0], 0, sizeof(v->panics[0]));
    v->panics[0].model = DOM_PANIC_ISA;
    v->panics[0].implicit = true;
    v->panics[0].src.path = xstrdup("devices/panic");
    v->n_panics = 1;
    dom_diags_add(g, DOM_DIAG_NOTE, "on_crash", 0,
                  "added <panic model='isa'/> so that QEMU reports guest crashes; without a "
                  "panic device on_crash='%s' could never trigger", dom_lifecycle_to_string(c));
}

/* libvirt gives a NIC without <mac> a random 52:54:00 address; qlaunch derives it from
 * the UUID so that the same XML always gives the same guest (and the same argv). */
static void assign_macs(struct domain *d, struct dom_diags *g)
{
    for (size_t i = 0; i < d->dev.n_interfaces; i++) {
        struct dom_interface *n = &d->dev.interfaces[i];
        if (n->mac)
            continue;
        const unsigned char *u = d->uuid;
        n->mac = xasprintf("52:54:00:%02x:%02x:%02x", u[13], u[14], (unsigned)(u[15] + i) & 0xff);
        dom_diags_add(g, DOM_DIAG_NOTE, n->src.path, n->src.line,
                      "no <mac> given: using %s (derived from the domain UUID)", n->mac);
    }
}

/* libvirt generates a random genid for an empty <genid/> and stores it in the definition;
 * qlaunch has no stored definition, so it derives one from the UUID: stable across starts
 * of the same XML, as libvirt's stored one is. */
static void assign_genid(struct domain *d, struct dom_diags *g)
{
    if (!d->has_genid || !d->genid_auto)
        return;
    uuid_generate_sha1(d->genid, d->uuid, "vmgenid", 7);
    char s[37];
    uuid_unparse_lower(d->genid, s);
    dom_diags_add(g, DOM_DIAG_NOTE, "genid", 0,
                  "empty <genid/>: using %s (derived from the domain UUID)", s);
}

static void feature_rules(struct domain *d, struct dom_diags *g)
{
    /* libvirt: qemuValidateDomainDefFeatures */
    if (d->features.f[DOM_FEAT_KVM_DEDICATED] == DOM_TRI_ON
        && (!d->cpu.present || d->cpu.mode != DOM_CPU_MODE_HOST_PASSTHROUGH)) {
        const struct dom_src w = {(char *)"features/kvm/hint-dedicated",
                                  d->features.lines[DOM_FEAT_KVM_DEDICATED]};
        px_err_src(g, &w, NULL, "kvm-hint-dedicated=on is only applicable for cpu "
                   "host-passthrough");
    }
}

void dom_validate(struct domain *d, struct dom_diags *g)
{
    assign_macs(d, g);
    assign_genid(d, g);
    feature_rules(d, g);
    memory_rules(d, g);
    vcpu_rules(d, g);
    lifecycle_rules(d, g);
    duplicate_rules(d, g);
    address_rules(d, g);
    disk_rules(d, g);
    iothread_rules(d, g);
    implicit_panic(d, g);
}
