/* qb_build: the order of the whole command line (libvirt's, so argv reads like theirs):
 * checks, controllers and the device list, addresses, then the machine and the device
 * families. Everything it calls lives in the build-*.c files (see build-priv.h). */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

QL_ENUM_IMPL(qb_fd_kind, QB_FD_KIND_MAX, "qmp", "tap", "macvtap", "vhost-net", "nvram-file")
QL_ENUM_IMPL(qb_hot_kind, QB_HOT_KIND_MAX, "disk", "interface", "input")

static const enum qb_dev_kind hot_dev_kind[QB_HOT_KIND_MAX] = {QB_DEV_DISK, QB_DEV_NET,
                                                               QB_DEV_INPUT};

bool qb_is_hot(const struct qb_ctx *c, enum qb_hot_kind kind, size_t index)
{
    return c->hot && index >= c->hot->n_start[kind];
}

static int check_domain(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_src asrc = {(char *)"features/apic", d->features.lines[DOM_FEAT_APIC]};
    const struct dom_src psrc = {(char *)"features/pae", d->features.lines[DOM_FEAT_PAE]};
    if (d->features.f[DOM_FEAT_APIC] == DOM_TRI_OFF)
        return qb_fail(c, &asrc, "<apic state='off'> is not supported on x86_64");
    if (d->features.f[DOM_FEAT_PAE] == DOM_TRI_OFF)
        return qb_fail(c, &psrc, "<pae state='off'> is not supported on x86_64");
    if (d->current_memory_kib && d->current_memory_kib < d->memory_kib) {
        if (d->dev.memballoon.model == DOM_BALLOON_NONE) {
            const struct dom_src csrc = {(char *)"currentMemory", d->mem_line[1]};
            return qb_fail(c, &csrc, "currentMemory below memory needs a memballoon; "
                           "model='none' cannot shrink the guest");
        }
        qb_note(c, "currentMemory %llu KiB is set with QMP 'balloon' after start",
                d->current_memory_kib);
    }
    if (d->has_cputune || d->vcpu_cpuset)
        qb_note(c, "vCPU placement/cputune is applied to QEMU's threads by the supervisor, "
                "not on the command line");
    return 0;
}

static void ctx_free(struct qb_ctx *c)
{
    free(c->run_dir);
    free(c->gfx_socket[0]);
    free(c->gfx_socket[1]);
    free(c->ctrls);
    free(c->devs);
    free(c->override_used);
    qb_explain_props_free(c->props, c->n_props);
    qb_usb_free(c);
}

/* What every device needs before it is emitted: its controller, its boot index and its
 * address. The devices are added in the order libvirt reserves the XML's addresses. */
static int prepare_devices(struct qb_ctx *c)
{
    int r;
    qb_ctrls_from_xml(c);
    if ((r = qb_chr_controllers(c)) < 0 || (r = qb_disk_controllers(c)) < 0
        || (r = qb_ctrls_check(c)) < 0 || (r = qb_disk_devices(c)) < 0)
        return r;
    qb_net_devices(c);
    qb_fs_devices(c);
    qb_gfx_devices(c);
    qb_chr_devices(c);
    qb_misc_devices(c);
    qb_hub_devices(c);
    qb_hostdev_devices(c);
    if ((r = qb_assign_boot_order(c)) < 0)
        return r;
    for (enum qb_hot_kind k = 0; c->hot && k < QB_HOT_KIND_MAX; k++)
        for (size_t i = c->hot->n_start[k]; i < c->dev_count[hot_dev_kind[k]]; i++) {
            struct qb_dev *x = qb_dev(c, hot_dev_kind[k], i);
            x->hot = true;
            /* <os><boot dev> orders what the guest started with, not what came later */
            x->bootindex = k == QB_HOT_DISK ? c->d->dev.disks[i].boot_order
                           : k == QB_HOT_NET ? c->d->dev.interfaces[i].boot_order : 0;
        }
    return qb_assign_addresses(c);
}

/* What QEMU (or qlaunch) cannot hot-plug, before anything is assigned. */
static int check_hot(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    size_t i = c->hot_index;
    switch (c->hot->kind) {
    case QB_HOT_DISK: {
        const struct dom_disk *dk = &dv->disks[i];
        int bus = qb_disk_bus(dk);
        if (bus != DOM_BUS_VIRTIO && bus != DOM_BUS_SCSI && bus != DOM_BUS_USB)
            return qb_fail(c, &dk->src, "a disk on bus '%s' cannot be hot-plugged (QEMU "
                           "hot-plugs virtio, scsi and usb disks)",
                           dom_disk_bus_to_string(bus));
        return 0;
    }
    case QB_HOT_NET:
        if (dv->interfaces[i].driver_name == DOM_NET_DRIVER_VHOST)
            return qb_fail(c, &dv->interfaces[i].src, "driver name='vhost' cannot be "
                           "hot-plugged: qlaunch does not pass /dev/vhost-net to QEMU");
        if (dv->interfaces[i].queues > 1)
            return qb_fail(c, &dv->interfaces[i].src, "driver queues='%u' cannot be "
                           "hot-plugged: qlaunch passes a hot-plugged NIC one tap queue",
                           dv->interfaces[i].queues);
        return 0;
    case QB_HOT_INPUT: {
        const struct dom_input *in = &dv->inputs[i];
        if ((in->bus != DOM_INPUT_BUS_USB && in->bus != DOM_INPUT_BUS_VIRTIO) ||
            in->type == DOM_INPUT_PASSTHROUGH || in->type == DOM_INPUT_EVDEV)
            return qb_fail(c, &in->src, "only tablets, mice and keyboards on bus='usb' or "
                           "'virtio' can be hot-plugged");
        return 0;
    }
    default:
        return qb_fail(c, NULL, "unknown hot-plug device kind");
    }
}

/* Hot-plug: the new device's options, id and address. */
static int build_hot(struct qb_ctx *c)
{
    size_t i = c->hot_index;
    int r;
    switch (c->hot->kind) {
    case QB_HOT_DISK:
        r = qb_build_disk(c, i);
        break;
    case QB_HOT_NET:
        r = qb_build_net(c, i);
        break;
    default:
        r = qb_build_input(c, i);
        break;
    }
    if (r < 0)
        return r;
    const struct qb_dev *x = qb_dev(c, hot_dev_kind[c->hot->kind], i);
    struct dom_addr *a = &c->r->hot_addr;
    if (x->pci.set)
        *a = (struct dom_addr){.type = DOM_ADDR_PCI, .bus = x->pci.bus, .slot = x->pci.slot,
                               .function = x->pci.fn};
    else if (x->usb.set)
        *a = (struct dom_addr){.type = DOM_ADDR_USB, .bus = x->usb.bus,
                               .usb_port = xstrdup(x->usb.port)};
    return 0;
}

static int build(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_devices *dv = &d->dev;
    int r;

    c->balloon = dv->memballoon.model != DOM_BALLOON_NONE;
    c->implicit_panic = dom_on_crash(d) != DOM_LC_DESTROY && dv->n_panics == 0;
    if ((r = check_domain(c)) < 0 || (r = qb_check_gfx(c)) < 0 || (r = qb_check_nets(c)) < 0
        || (r = qb_check_misc(c)) < 0 || (r = qb_check_hostdevs(c)) < 0
        || (r = qb_check_fs(c)) < 0 || (r = qb_check_passthrough(c)) < 0
        || (c->hot && (r = check_hot(c)) < 0)
        || (r = prepare_devices(c)) < 0)
        return r;
    if (c->hot)
        return build_hot(c);

    if (c->o->emulator)
        qb_arg(c, QB_WHY("the emulator the command line names (--emulator)"), c->o->emulator);
    else if (dv->emulator)
        qb_arg(c, QB_AT("devices/emulator", dv->emulator_line, NULL), dv->emulator);
    else
        qb_arg(c, QB_WHY("default emulator: the XML has no <emulator>"), QEMU_DEFAULT_EMULATOR);
    qb_add_name(c);
    qb_opt(c, QB_WHY("start paused: the supervisor sets up the guest over QMP, then 'cont'"),
           "-S", NULL);
    if ((r = qb_add_firmware(c)) < 0 || (r = qb_add_machine(c)) < 0
        || (r = qb_add_accel(c)) < 0 || (r = qb_add_cpu(c)) < 0
        || (r = qb_add_memory_smp(c)) < 0)
        return r;
    qb_add_uuid(c);
    if (d->has_genid) {
        /* libvirt's vmgenid0, right after -uuid; an empty <genid/> was filled in (and
         * noted) by validate */
        char g[37];
        uuid_unparse_lower(d->genid, g);
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", "vmgenid");
        qj_str(&j, "guid", g);
        qj_str(&j, "id", "vmgenid0");
        qb_device(c, QB_AT("genid", d->genid_line, NULL), &j);
    }
    if ((r = qb_add_sysinfo(c)) < 0)
        return r;
    if (dv->n_graphics == 0)
        qb_opt(c, QB_WHY("no <graphics>: no display (libvirt's default)"), "-display",
               xstrdup("none"));
    qb_opt(c, QB_WHY("no QEMU configuration files of the host (libvirt's default)"),
           "-no-user-config", NULL);
    qb_opt(c, QB_WHY("no default devices: every device is one the XML gives or libvirt adds"),
           "-nodefaults", NULL);
    qb_add_monitor(c);
    if ((r = qb_add_clock(c)) < 0)
        return r;
    qb_add_lifecycle(c);
    if ((r = qb_add_boot(c)) < 0 || (r = qb_add_pcihole64(c)) < 0)
        return r;
    if ((r = qb_build_controllers(c)) < 0 || (r = qb_build_hubs(c)) < 0
        || (r = qb_build_disks(c)) < 0 || (r = qb_build_fs(c)) < 0
        || (r = qb_build_nets(c)) < 0 || (r = qb_build_chrs(c)) < 0
        || (r = qb_build_tpms(c)) < 0 || (r = qb_build_inputs(c)) < 0 || (r = qb_build_audio(c)) < 0
        || (r = qb_build_graphics(c)) < 0 || (r = qb_build_videos(c)) < 0
        || (r = qb_build_sounds(c)) < 0 || (r = qb_build_watchdogs(c)) < 0
        || (r = qb_build_redirdevs(c)) < 0 || (r = qb_build_hostdevs(c)) < 0
        || (r = qb_build_balloon(c)) < 0
        || (r = qb_build_rngs(c)) < 0 || (r = qb_build_panics(c)) < 0)
        return r;
    if (d->features.f[DOM_FEAT_VMCOREINFO] == DOM_TRI_ON) {
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", "vmcoreinfo");
        qb_device(c, QB_AT("features/vmcoreinfo", d->features.lines[DOM_FEAT_VMCOREINFO], NULL),
                  &j);
    }
    /* libvirt's default hardening (qemu.conf seccomp_sandbox=1): QEMU may not run
     * obsolete syscalls, change its privileges, fork/exec, or change scheduling and
     * affinity itself (the supervisor pins threads from outside). */
    if (!c->no_sandbox)
        qb_opt(c, QB_WHY("libvirt's default hardening (qemu.conf seccomp_sandbox=1)"),
               "-sandbox", xstrdup("on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
                                      "resourcecontrol=deny"));
    return qb_add_passthrough(c);
}

int qb_build(const struct domain *d, const struct qb_options *o, struct qb_result *ret,
             struct ql_error *err)
{
    struct qb_ctx c = {0};
    memset(ret, 0, sizeof(*ret));
    /* The builder works on a shallow copy whose disks are in libvirt's order (see
     * qb_disk_order); the disks' contents stay d's. */
    struct domain dd = *d;
    struct dom_disk *disks = NULL;
    size_t *xml_of = NULL, n_xml = d->dev.n_disks;     /* built disk -> XML disk */
    c.r = ret;
    const struct qb_hotplug *hp = o->hotplug;
    if (d->dev.n_disks) {
        size_t *order = xcalloc(d->dev.n_disks, sizeof(*order));
        disks = xcalloc(d->dev.n_disks, sizeof(*disks));
        /* hot-plugged disks stay after the ones QEMU was started with, in their order */
        size_t n_order = hp && hp->n_start[QB_HOT_DISK] < d->dev.n_disks
                         ? hp->n_start[QB_HOT_DISK] : d->dev.n_disks;
        qb_disk_order(d->dev.disks, n_order, order);
        for (size_t i = n_order; i < d->dev.n_disks; i++)
            order[i] = i;
        dd.dev.n_disks = 0;
        xml_of = xcalloc(d->dev.n_disks, sizeof(*xml_of));
        for (size_t i = 0; i < d->dev.n_disks; i++) {
            struct dom_disk *k = &disks[dd.dev.n_disks];
            *k = d->dev.disks[order[i]];
            xml_of[dd.dev.n_disks++] = order[i];
            if (hp || !o->disk_absent || !o->disk_absent[order[i]]
                || k->startup_policy != DOM_STARTUP_OPTIONAL)
                continue;
            /* libvirt's qemuDomainCheckRemoveOptionalDisk */
            bool removable = k->device == DOM_DISKDEV_CDROM || k->device == DOM_DISKDEV_FLOPPY;
            qb_note(&c, "%s (line %d): '%s' does not exist and startupPolicy='optional': %s",
                    k->src.path, k->src.line, k->source,
                    removable ? "the drive starts empty" : "the disk is left out");
            if (removable)
                k->source = NULL;   /* the copy's strings stay d's */
            else
                dd.dev.n_disks--;
        }
        free(order);
        dd.dev.disks = disks;
    }
    d = &dd;
    c.d = d;
    c.o = o;
    c.err = err;
    c.next_fd = o->first_fd > o->qmp_fd ? o->first_fd : o->qmp_fd + 1;
    c.primary_video = -1;
    c.run_dir = o->run_dir ? xstrdup(o->run_dir)
                           : xasprintf("/run/qlaunch/%s", d->name ? d->name : "");
    c.qemu_dir = o->qemu_dir ? o->qemu_dir : c.run_dir;
    if (o->accel) {
        if (!STREQ(o->accel, "kvm") && !STREQ(o->accel, "tcg")) {
            free(c.run_dir);
            free(disks);
            free(xml_of);
            return ql_error_set(err, EINVAL, "accelerator '%s' is not known; use kvm or tcg",
                                o->accel);
        }
        c.kvm = STREQ(o->accel, "kvm");
    } else {
        c.kvm = d->virt == DOM_VIRT_KVM;
    }
    const char *m = d->os.machine;
    c.q35 = m && (strncmp(m, "q35", 3) == 0 || strncmp(m, "pc-q35", 6) == 0);
    c.root_bus = c.q35 ? "pcie.0" : "pci.0";
    int r = 0;
    if (hp) {
        size_t n = hp->kind == QB_HOT_DISK ? d->dev.n_disks
                   : hp->kind == QB_HOT_NET ? d->dev.n_interfaces
                   : hp->kind == QB_HOT_INPUT ? d->dev.n_inputs : 0;
        if ((unsigned)hp->kind >= QB_HOT_KIND_MAX || n == 0 || n <= hp->n_start[hp->kind])
            r = ql_error_set(err, EINVAL, "internal error: no %s to hot-plug",
                             qb_hot_kind_to_string(hp->kind) ? qb_hot_kind_to_string(hp->kind)
                                                             : "device");
        c.hot = hp;
        c.hot_index = n - 1;
    }
    if (r == 0)
        r = build(&c);
    if (r == 0 && c.caps_failed)
        r = -EINVAL;
    if (r == 0 && ret->disk_ids) {
        /* the supervisor names disks in the XML's order */
        char **ids = xcalloc(n_xml + 1, sizeof(*ids));
        unsigned *nodes = xcalloc(n_xml + 1, sizeof(*nodes));
        for (size_t i = 0; i < ret->n_disk_ids; i++) {
            ids[xml_of[i]] = ret->disk_ids[i];
            nodes[xml_of[i]] = ret->disk_nodes[i];
        }
        free(ret->disk_ids);
        free(ret->disk_nodes);
        ret->disk_ids = ids;
        ret->disk_nodes = nodes;
        ret->n_disk_ids = n_xml;
    }
    ctx_free(&c);
    free(disks);
    free(xml_of);
    if (r < 0)
        qb_result_free(ret);
    return r;
}

void qb_result_free(struct qb_result *r)
{
    argv_free(&r->argv);
    for (size_t i = 0; i < r->n_fds; i++)
        free(r->fds[i].what);
    free(r->fds);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    for (size_t i = 0; i < r->n_displays; i++) {
        free(r->displays[i].host);
        free(r->displays[i].socket);
    }
    free(r->displays);
    free(r->nvram_path);
    free(r->nvram_template);
    free(r->tpm_socket);
    free(r->tpm_device);
    for (size_t i = 0; i < r->n_virtiofs; i++)
        free(r->virtiofs[i].socket);
    free(r->virtiofs);
    for (size_t i = 0; i < r->n_env; i++)
        free(r->env[i]);
    free(r->env);
    free(r->passthrough);
    for (size_t i = 0; i < r->n_nics; i++) {
        free(r->nics[i].netdev_id);
        free(r->nics[i].device_id);
    }
    free(r->nics);
    free(r->balloon_path);
    free(r->console_chardev);
    for (size_t i = 0; i < r->n_iothreadpin_ids; i++)
        free(r->iothreadpin_ids[i]);
    free(r->iothreadpin_ids);
    for (size_t i = 0; i < r->n_disk_ids; i++)
        free(r->disk_ids[i]);
    free(r->disk_ids);
    free(r->disk_nodes);
    for (size_t i = 0; i < r->n_input_ids; i++)
        free(r->input_ids[i]);
    free(r->input_ids);
    free(r->agent_chardev);
    free(r->agent_socket);
    free(r->hot_id);
    free(r->hot_addr.usb_port);
    for (size_t i = 0; i < r->n_explain; i++) {
        qb_origin_free(&r->explain[i].from);
        qb_explain_props_free(r->explain[i].props, r->explain[i].n_props);
    }
    free(r->explain);
    memset(r, 0, sizeof(*r));
}
