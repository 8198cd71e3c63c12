/* The machine: -name, firmware, -machine, -accel, -uuid, the monitor, -rtc and timers,
 * lifecycle actions, -boot and boot indexes, and the host bridge's globals. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

void qb_add_name(struct qb_ctx *c)
{
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "guest=");
    sb_add_comma_escaped(&sb, c->d->name);
    sb_add(&sb, ",debug-threads=on");
    qb_opt(c, QB_AT("name", c->d->name_line, NULL), "-name", sb_steal(&sb));
}

/* The firmware as QEMU will run it: the XML's <loader>, or what <os firmware='efi'> was
 * resolved to on the host (qb_options.firmware), whose requires-smm turns on SMM and
 * SMM-only flash writes as libvirt's qemuFirmwareEnableFeatures does. */
#define QB_DEFAULT_NVRAM_DIR "/var/lib/qlaunch/nvram"
struct fw_eff {
    const char *loader;
    bool pflash, secure;
    const char *tmpl;           /* the NVRAM template, NULL: unknown */
    bool efi_unresolved;        /* firmware='efi' without a loader, not resolved */
};

static void fw_effective(const struct qb_ctx *c, struct fw_eff *e)
{
    const struct dom_os *os = &c->d->os;
    const struct qb_firmware *fw = c->o->firmware;
    bool efi = os->firmware == DOM_FW_EFI;
    memset(e, 0, sizeof(*e));
    e->loader = os->loader;
    e->pflash = os->loader && os->loader_type == DOM_LOADER_PFLASH;
    e->secure = os->loader_secure == DOM_TRI_ON;
    e->tmpl = os->nvram_template ? os->nvram_template : fw ? fw->nvram_template : NULL;
    if (!efi)
        return;
    if (fw && fw->loader) {
        e->loader = fw->loader;
        e->pflash = true;
        e->secure = e->secure || fw->requires_smm;
    } else if (!os->loader) {
        e->efi_unresolved = true;
    } else if (!os->loader_type) {
        e->pflash = true;       /* UEFI firmware is pflash, as libvirt fills in */
    }
}

/* The firmware: <loader>, or <os firmware='efi'> resolved on the host. */
static struct qb_from loader_from(const struct qb_ctx *c)
{
    const struct dom_os *os = &c->d->os;
    return os->loader ? QB_AT("os/loader", os->loader_line, NULL) : QB_ATTR(&os->src, "firmware");
}

int qb_add_machine(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    struct strbuf sb = STRBUF_INIT;
    const struct dom_src osrc = {(char *)"os/type@machine", d->os.machine_line};
    const char *m = d->os.machine && *d->os.machine ? d->os.machine : "pc";
    if (strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        != strlen(m)) {
        sb_free(&sb);
        return qb_fail(c, &osrc, "machine type '%s' has characters QEMU does not accept", m);
    }
    if (!STREQ(m, "pc") && !STREQ(m, "q35") && strncmp(m, "pc-i440fx-", 10) != 0
        && strncmp(m, "pc-q35-", 7) != 0) {
        sb_free(&sb);
        return qb_fail(c, &osrc, "machine type '%s' is not supported; use pc, q35, "
                       "pc-i440fx-* or pc-q35-*", m);
    }
    if (c->o->caps && !qemu_caps_machine(c->o->caps, m)) {
        sb_free(&sb);
        _cleanup_free_ char *qemu = qemu_caps_describe(c->o->caps);
        return qb_fail(c, &osrc, "machine type '%s' is not known to %s (%s)", m, qemu,
                       c->r->argv.v[0]);
    }
    sb_add(&sb, m);
    sb_add(&sb, ",usb=off");
    qb_prop(c, "usb", QB_WHY("libvirt's default: USB controllers are -device options"));
    const enum dom_tristate *f = d->features.f;
    /* <ps2 state>: the i8042 PS/2 controller (QEMU 7.0+ machine property, as libvirt) */
    if (f[DOM_FEAT_PS2] != DOM_TRI_DEFAULT) {
        sb_add(&sb, f[DOM_FEAT_PS2] == DOM_TRI_ON ? ",i8042=on" : ",i8042=off");
        qb_prop(c, "i8042", qb_feature(c, DOM_FEAT_PS2, NULL));
    }
    bool dump = d->mem_dump_core_set && d->mem_dump_core;
    sb_add(&sb, dump ? ",dump-guest-core=on" : ",dump-guest-core=off");
    /* <bios useserial='yes'>: SeaBIOS prints on the first serial port. QEMU 7.2 deprecates
     * the sga option ROM for this and 10.0 no longer has it. */
    if (c->d->os.bios_useserial == DOM_TRI_ON) {
        sb_add(&sb, ",graphics=off");
        qb_prop(c, "graphics", QB_AT("os/bios", c->d->os.bios_line, "useserial"));
    }
    qb_prop(c, "dump-guest-core", d->mem_dump_core_set
            ? QB_AT("memory", d->mem_line[0], "dumpCore")
            : QB_WHY("libvirt's default (qemu.conf dump_guest_core=0)"));
    sb_add(&sb, f[DOM_FEAT_ACPI] == DOM_TRI_ON ? ",acpi=on" : ",acpi=off");
    qb_prop(c, "acpi", qb_feature(c, DOM_FEAT_ACPI, "no <acpi/> in <features>"));
    if (f[DOM_FEAT_VMPORT] != DOM_TRI_DEFAULT) {
        sb_add(&sb, f[DOM_FEAT_VMPORT] == DOM_TRI_ON ? ",vmport=on" : ",vmport=off");
        qb_prop(c, "vmport", qb_feature(c, DOM_FEAT_VMPORT, NULL));
    }
    struct fw_eff fe;
    fw_effective(c, &fe);
    bool secure = fe.secure;
    if (f[DOM_FEAT_SMM] != DOM_TRI_DEFAULT || secure) {
        sb_add(&sb, f[DOM_FEAT_SMM] == DOM_TRI_OFF && !secure ? ",smm=off" : ",smm=on");
        qb_prop(c, "smm", f[DOM_FEAT_SMM] == DOM_TRI_ON || !secure
                ? qb_feature(c, DOM_FEAT_SMM, NULL)
                : QB_WHY("secure boot: only SMM code may write the firmware's flash"));
    }
    for (size_t i = 0; i < d->clock.n_timers; i++) {
        const struct dom_timer *t = &d->clock.timers[i];
        if (t->name == DOM_TIMER_HPET && t->present != DOM_TRI_DEFAULT) {
            sb_add(&sb, t->present == DOM_TRI_ON ? ",hpet=on" : ",hpet=off");
            qb_prop(c, "hpet", QB_AT("clock/timer", t->line, "present"));
        }
    }
    if (fe.loader && fe.pflash) {
        sb_add(&sb, ",pflash0=libvirt-pflash0-format");
        sb_add(&sb, ",pflash1=libvirt-pflash1-format");
        struct qb_from fw = loader_from(c);
        qb_prop(c, "pflash0", fw);
        qb_prop(c, "pflash1", fw);
    }
    if (d->mem_backing.nosharepages) {
        sb_add(&sb, ",mem-merge=off");
        qb_prop(c, "mem-merge", QB_ATTR(&d->mem_backing.src, "<nosharepages>"));
    }
    if (qb_main_ram_backend(c)) {
        sb_add(&sb, ",memory-backend=pc.ram");
        qb_prop(c, "memory-backend", d->mem_backing.present
                ? QB_FOR(&d->mem_backing.src, "the guest RAM is a memory backend of its own")
                : QB_WHY("the guest RAM is a memory backend of its own (NUMA, hugepages)"));
    }
    for (size_t i = 0; i < d->dev.n_sounds; i++)
        if (d->dev.sounds[i].model == DOM_SOUND_PCSPK) {
            sb_addf(&sb, ",pcspk-audiodev=%s", c->audiodev_id);
            qb_prop(c, "pcspk-audiodev", QB_SRC(&d->dev.sounds[i].src));
        }
    qb_opt(c, d->os.machine ? QB_AT("os/type", d->os.machine_line, "machine")
                            : QB_WHY("libvirt's default machine type: the XML names none"),
           "-machine", sb_steal(&sb));
    /* Secure boot: only SMM code may write the flash (libvirt's spelling). */
    if (secure && fe.loader && fe.pflash)
        qb_opt(c, QB_WHY("secure boot: only SMM code may write the firmware's flash"),
               "-global", xstrdup("driver=cfi.pflash01,property=secure,value=on"));
    return 0;
}

/* -accel: KVM or TCG, and KVM's dirty page ring (libvirt: -accel kvm,dirty-ring-size=N) */
int qb_add_accel(struct qb_ctx *c)
{
    const struct dom_features *f = &c->d->features;
    if (f->f[DOM_FEAT_KVM_DIRTY_RING] != DOM_TRI_ON) {
        qb_opt(c, c->o->accel ? QB_WHY("the accelerator the command line names (--accel)")
                  : QB_AT("domain", 0, "type"), "-accel", xstrdup(c->kvm ? "kvm" : "tcg"));
        return 0;
    }
    if (!c->kvm) {
        const struct dom_src fsrc = {(char *)"features/kvm/dirty-ring",
                                     f->lines[DOM_FEAT_KVM_DIRTY_RING]};
        return qb_fail(c, &fsrc, "<kvm><dirty-ring state='on'/> is a KVM feature and needs "
                       "KVM; it has no effect with TCG, remove it or run with --accel kvm");
    }
    qb_opt(c, qb_feature(c, DOM_FEAT_KVM_DIRTY_RING, NULL), "-accel",
           xasprintf("kvm,dirty-ring-size=%u", f->kvm_dirty_ring_size));
    return 0;
}

/* Firmware blockdevs go before -machine, which names them. */
int qb_add_firmware(struct qb_ctx *c)
{
    const struct dom_os *os = &c->d->os;
    const struct dom_src src = {(char *)"os/loader", os->loader_line};
    struct fw_eff e;
    fw_effective(c, &e);
    if (e.efi_unresolved) {
        if (os->nvram)
            qb_note(c, "firmware='efi': the loader and the NVRAM template are chosen from the "
                    "firmware descriptors at start (qlaunch argv shows them)");
        else
            qb_note(c, "firmware='efi': the loader and the NVRAM template are chosen from the "
                    "firmware descriptors at start (qlaunch argv shows them); the NVRAM file "
                    "is %s/%s_VARS.fd",
                    c->o->nvram_dir ? c->o->nvram_dir : QB_DEFAULT_NVRAM_DIR, c->d->name);
        return 0;
    }
    if (!e.loader) {
        if (os->nvram)
            return qb_fail(c, &src, "<nvram> needs a pflash <loader>");
        return 0;
    }
    if (!e.pflash) {
        if (os->nvram)
            return qb_fail(c, &src, "<nvram> needs <loader type='pflash'>");
        qb_opt(c, loader_from(c), "-bios", xstrdup(e.loader));
        return 0;
    }
    if (os->loader_readonly == DOM_TRI_OFF)
        return qb_fail(c, &src, "a writable pflash loader is not supported; use "
                       "readonly='yes' and an <nvram> file");
    if (e.secure && !c->q35)
        return qb_fail(c, &src, "secure boot needs a q35 machine type");
    const struct qb_firmware *fw = c->o->firmware;
    if (fw && fw->loader)
        qb_note(c, "firmware='efi': loader %s, NVRAM template %s%s%s%s", fw->loader,
                fw->nvram_template ? fw->nvram_template : "none",
                fw->requires_smm ? ", requires SMM (smm=on, SMM-only flash writes)" : "",
                fw->descriptor ? ", from " : "", fw->descriptor ? fw->descriptor : "");
    /* libvirt keeps NVRAM files in its nvram_dir (/var/lib/libvirt/qemu/nvram): they hold
     * the guest's boot entries and keys and must outlive the run directory. */
    char *nvram = os->nvram ? xstrdup(os->nvram)
                            : xasprintf("%s/%s_VARS.fd",
                                        c->o->nvram_dir ? c->o->nvram_dir : QB_DEFAULT_NVRAM_DIR,
                                        c->d->name);
    free(c->r->nvram_path);
    free(c->r->nvram_template);
    c->r->nvram_path = nvram;
    c->r->nvram_template = e.tmpl ? xstrdup(e.tmpl) : NULL;
    if (e.tmpl)
        qb_add_fd(c, QB_FILE_NVRAM, 0,
                  xasprintf("NVRAM %s, copied from %s when it does not exist", nvram, e.tmpl));
    else if (fw)
        qb_add_fd(c, QB_FILE_NVRAM, 0,
                  xasprintf("NVRAM %s; no VARS template is known for the loader, so the file "
                            "must exist (or give <nvram template>)", nvram));
    else
        qb_add_fd(c, QB_FILE_NVRAM, 0,
                  xasprintf("NVRAM %s, copied from the loader's VARS template when it does not "
                            "exist", nvram));
    struct qb_from lf = loader_from(c);
    struct qb_from nf = os->nvram ? QB_AT("os/nvram", os->nvram_line, NULL)
                        : QB_FOR(&os->src, "the NVRAM file of a pflash loader (libvirt's "
                                 "nvram_dir/NAME_VARS.fd)");
    struct qj j;
    qj_begin(&j);
    qj_str(&j, "driver", "file");
    qj_str(&j, "filename", e.loader);
    qj_str(&j, "node-name", "libvirt-pflash0-storage");
    qj_bool(&j, "auto-read-only", true);
    qj_str(&j, "discard", "unmap");
    qb_opt(c, lf, "-blockdev", qj_end(&j));
    qj_begin(&j);
    qj_str(&j, "node-name", "libvirt-pflash0-format");
    qj_bool(&j, "read-only", true);
    qj_str(&j, "driver", "raw");
    qj_str(&j, "file", "libvirt-pflash0-storage");
    qb_opt(c, lf, "-blockdev", qj_end(&j));
    qj_begin(&j);
    qj_str(&j, "driver", "file");
    qj_str(&j, "filename", nvram);
    qj_str(&j, "node-name", "libvirt-pflash1-storage");
    qj_bool(&j, "auto-read-only", true);
    qj_str(&j, "discard", "unmap");
    qb_opt(c, nf, "-blockdev", qj_end(&j));
    qj_begin(&j);
    qj_str(&j, "node-name", "libvirt-pflash1-format");
    qj_bool(&j, "read-only", false);
    qj_str(&j, "driver", "raw");
    qj_str(&j, "file", "libvirt-pflash1-storage");
    qb_opt(c, nf, "-blockdev", qj_end(&j));
    return 0;
}

void qb_add_uuid(struct qb_ctx *c)
{
    const unsigned char *u = c->d->uuid;
    if (!c->d->has_uuid)
        return;     /* qlaunch's name-based UUID is not passed, as libvirt's random one is */
    qb_opt(c, QB_AT("uuid", c->d->uuid_line, NULL), "-uuid",
           xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                     u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                     u[12], u[13], u[14], u[15]));
}

void qb_add_monitor(struct qb_ctx *c)
{
    int fd = c->o->qmp_fd;
    c->r->fds = xrealloc(c->r->fds, (c->r->n_fds + 1) * sizeof(*c->r->fds));
    c->r->fds[c->r->n_fds++] = (struct qb_fd){fd, QB_FD_QMP, 0,
        xasprintf("QMP monitor: listening unix socket %s/qmp.sock", c->run_dir)};
    struct qb_from mon = QB_WHY("the QMP monitor the supervisor drives QEMU with");
    qb_opt(c, mon, "-chardev", xasprintf("socket,id=charmonitor,fd=%d,server=on,wait=off", fd));
    qb_opt(c, mon, "-mon", xstrdup("chardev=charmonitor,id=monitor,mode=control"));
}

int qb_add_clock(struct qb_ctx *c)
{
    const struct dom_clock *ck = &c->d->clock;
    const struct dom_src src = {(char *)"clock", ck->line};
    struct strbuf sb = STRBUF_INIT;
    switch (ck->offset) {
    case DOM_CLOCK_UTC:
    case DOM_CLOCK_LOCALTIME:
        /* libvirt turns an adjustment into base=<now + adjustment>: that needs the clock,
         * and the builder is pure. */
        if (ck->adjustment != 0) {
            sb_free(&sb);
            return qb_fail(c, &src, "clock offset='%s' with a non-zero adjustment is not "
                           "supported (it depends on the start time)",
                           ck->offset == DOM_CLOCK_UTC ? "utc" : "localtime");
        }
        sb_add(&sb, ck->offset == DOM_CLOCK_UTC ? "base=utc" : "base=localtime");
        break;
    case DOM_CLOCK_VARIABLE:
        if (ck->adjustment != 0) {
            sb_free(&sb);
            return qb_fail(c, &src, "clock offset='variable' with a non-zero adjustment is "
                           "not supported (it depends on the start time)");
        }
        sb_add(&sb, ck->basis == DOM_BASIS_LOCALTIME ? "base=localtime" : "base=utc");
        break;
    case DOM_CLOCK_ABSOLUTE: {
        time_t t = (time_t)ck->start;
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
            sb_free(&sb);
            return qb_fail(c, &src, "clock start %lld is out of range", ck->start);
        }
        sb_addf(&sb, "base=%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        break;
    }
    case DOM_CLOCK_TIMEZONE:
    default:
        sb_free(&sb);
        return qb_fail(c, &src, "clock offset='timezone' is not supported (QEMU would need "
                       "TZ in its environment); use localtime or utc");
    }
    const char *pit_policy = NULL;
    int pit_line = 0;
    for (size_t i = 0; i < ck->n_timers; i++) {
        const struct dom_timer *t = &ck->timers[i];
        const char *n = dom_timer_name_to_string(t->name);
        /* Attributes QEMU has no knob for on this timer are refused, not dropped. */
        const char *bad = t->track && t->name != DOM_TIMER_RTC ? "track"
                        : t->tickpolicy && t->name != DOM_TIMER_RTC && t->name != DOM_TIMER_PIT
                        ? "tickpolicy"
                        : t->frequency && t->name != DOM_TIMER_TSC ? "frequency" : NULL;
        if (bad) {
            sb_free(&sb);
            return qb_fail(c, &src, "timer '%s' does not support %s= in QEMU", n, bad);
        }
        /* what QEMU cannot do with this timer, refused rather than dropped */
        const char *refuse = NULL;
        switch (t->name) {
        case DOM_TIMER_RTC:
            if (t->track == DOM_TRACK_BOOT)
                refuse = "rtc timer track 'boot' is not known";
            else if (t->tickpolicy == DOM_TICK_MERGE)
                refuse = "rtc timer tickpolicy 'merge' is not supported; use catchup or delay";
            else if (t->tickpolicy == DOM_TICK_DISCARD)
                refuse = "rtc timer tickpolicy 'discard' is not supported; use catchup or "
                         "delay";
            else if (t->present == DOM_TRI_OFF)
                refuse = "the rtc timer cannot be removed on x86";
            if (t->track == DOM_TRACK_GUEST || t->track == DOM_TRACK_WALL
                || t->track == DOM_TRACK_REALTIME) {
                sb_addf(&sb, ",clock=%s", t->track == DOM_TRACK_GUEST ? "vm"
                                          : t->track == DOM_TRACK_WALL ? "host" : "rt");
                qb_prop(c, "clock", QB_AT("clock/timer", t->line, "track"));
            }
            if (t->tickpolicy == DOM_TICK_CATCHUP) {
                sb_add(&sb, ",driftfix=slew");
                qb_prop(c, "driftfix", QB_AT("clock/timer", t->line, "tickpolicy"));
            }
            break;
        case DOM_TIMER_PIT:
            /* As libvirt: delay and discard are kvm-pit's lost_tick_policy, catchup is
             * what the in-kernel PIT does anyway, merge has no QEMU equivalent. */
            if (t->tickpolicy == DOM_TICK_MERGE)
                refuse = "pit timer tickpolicy 'merge' is not supported by QEMU; use delay, "
                         "catchup or discard";
            else if (t->present == DOM_TRI_OFF)
                refuse = "the pit timer cannot be removed on x86";
            else if (t->tickpolicy && t->tickpolicy != DOM_TICK_CATCHUP) {
                pit_policy = dom_tickpolicy_to_string(t->tickpolicy);
                pit_line = t->line;
            }
            break;
        case DOM_TIMER_HPET:
        case DOM_TIMER_KVMCLOCK:
        case DOM_TIMER_HYPERVCLOCK:
            break;      /* -machine hpet= / -cpu kvmclock=, hv-time= */
        case DOM_TIMER_TSC:
            if (t->present == DOM_TRI_OFF)
                refuse = "the tsc timer cannot be removed";
            break;
        default:
            sb_free(&sb);
            return qb_fail(c, &src, "timer '%s' is not supported on x86 QEMU", n);
        }
        if (refuse) {
            sb_free(&sb);
            return qb_fail(c, &src, "%s", refuse);
        }
    }
    qb_opt(c, ck->line ? QB_AT("clock", ck->line, "offset")
                       : QB_WHY("libvirt's default clock: offset='utc'"), "-rtc", sb_steal(&sb));
    if (pit_policy) {
        if (c->kvm)
            qb_opt(c, QB_AT("clock/timer", pit_line, "tickpolicy"), "-global",
                   xasprintf("kvm-pit.lost_tick_policy=%s", pit_policy));
        else
            qb_note(c, "pit tickpolicy='%s' only applies to the KVM in-kernel PIT; the "
                    "TCG PIT always delays", pit_policy);
    }
    return 0;
}

void qb_add_lifecycle(struct qb_ctx *c)
{
    struct strbuf sb = STRBUF_INIT;
    const struct domain *d = c->d;
    qb_opt(c, QB_WHY("a guest shutdown stops QEMU, which stays for the supervisor's "
                     "on_poweroff policy"), "-no-shutdown", NULL);
    struct qb_from from = QB_WHY("the supervisor applies the lifecycle policies");
    if (dom_on_reboot(c->d) == DOM_LC_DESTROY) {
        sb_add(&sb, "reboot=shutdown");
        from = QB_AT("on_reboot", d->lc_line[1], NULL);
        qb_prop(c, "reboot", d->lc_line[1] ? from : QB_WHY("libvirt's default on_reboot"));
    }
    if (c->d->dev.n_panics || c->implicit_panic) {
        sb_addf(&sb, "%spanic=pause", sb.len ? "," : "");
        qb_prop(c, "panic", d->lc_line[2] ? QB_AT("on_crash", d->lc_line[2], NULL)
                : QB_WHY("the supervisor applies on_crash when the guest panics"));
    }
    for (size_t i = 0; i < c->d->dev.n_watchdogs; i++) {
        enum dom_watchdog_action a = c->d->dev.watchdogs[i].action;
        if (a == DOM_WDACT_DEFAULT || a == DOM_WDACT_RESET)
            continue;
        /* QEMU's names are libvirt's, but dump: QEMU pauses and the supervisor dumps */
        sb_addf(&sb, "%swatchdog=%s", sb.len ? "," : "",
                dom_watchdog_action_to_string(a == DOM_WDACT_DUMP ? DOM_WDACT_PAUSE : a));
        qb_prop(c, "watchdog", QB_ATTR(&c->d->dev.watchdogs[i].src, "action"));
        break;
    }
    if (sb.len)
        qb_opt(c, from, "-action", sb_steal(&sb));
    sb_free(&sb);
    enum dom_tristate s3 = c->d->pm_suspend_to_mem, s4 = c->d->pm_suspend_to_disk;
    const char *pm = c->q35 ? "ICH9-LPC" : "PIIX4_PM";
    if (s3 != DOM_TRI_DEFAULT)
        qb_opt(c, QB_AT("pm", d->pm_line, "suspend-to-mem@enabled"), "-global",
               xasprintf("%s.disable_s3=%d", pm, s3 == DOM_TRI_OFF));
    if (s4 != DOM_TRI_DEFAULT)
        qb_opt(c, QB_AT("pm", d->pm_line, "suspend-to-disk@enabled"), "-global",
               xasprintf("%s.disable_s4=%d", pm, s4 == DOM_TRI_OFF));
}

int qb_add_boot(struct qb_ctx *c)
{
    const struct dom_os *os = &c->d->os;
    struct strbuf sb = STRBUF_INIT;
    const struct dom_src *osrc = &os->src;
    if (os->bootmenu != DOM_TRI_DEFAULT)
        qb_prop(c, "menu", QB_ATTR(osrc, "bootmenu@enable"));
    if (os->bootmenu == DOM_TRI_ON && os->bootmenu_timeout >= 0)
        qb_prop(c, "splash-time", QB_ATTR(osrc, "bootmenu@timeout"));
    if (os->bios_reboot_timeout >= 0)
        qb_prop(c, "reboot-timeout", QB_ATTR(osrc, "bios@rebootTimeout"));
    if (os->bootmenu == DOM_TRI_ON) {
        sb_add(&sb, "menu=on,");
        if (os->bootmenu_timeout >= 0)
            sb_addf(&sb, "splash-time=%d,", os->bootmenu_timeout);
    } else if (os->bootmenu == DOM_TRI_OFF) {
        sb_add(&sb, "menu=off,");
    }
    if (os->bios_reboot_timeout >= 0)      /* -1 (unset or libvirt's "never") is QEMU's default */
        sb_addf(&sb, "reboot-timeout=%d,", os->bios_reboot_timeout);
    sb_add(&sb, "strict=on");
    qb_opt(c, QB_WHY("libvirt's default: boot order as bootindex properties of the devices"),
           "-boot", sb_steal(&sb));
    if (os->kernel)
        qb_opt(c, QB_AT("os/kernel", os->kernel_line, NULL), "-kernel", xstrdup(os->kernel));
    if (os->initrd) {
        const struct dom_src isrc = {(char *)"os/initrd", os->initrd_line};
        if (!os->kernel)
            return qb_fail(c, &isrc, "<initrd> needs a <kernel>");
        qb_opt(c, QB_SRC(&isrc), "-initrd", xstrdup(os->initrd));
    }
    if (os->cmdline) {
        const struct dom_src csrc = {(char *)"os/cmdline", os->cmdline_line};
        if (!os->kernel)
            return qb_fail(c, &csrc, "<cmdline> needs a <kernel>");
        qb_opt(c, QB_SRC(&csrc), "-append", xstrdup(os->cmdline));
    }
    const struct dom_src dsrc = {(char *)"os/dtb", os->dtb_line};
    if (os->dtb)
        return qb_fail(c, &dsrc, "<dtb> is not used on x86");
    return 0;
}

/* One -smbios type=N option of the fields given (none: no option). */
static void smbios_table(struct qb_ctx *c, const struct dom_smbios *s, int t, bool skip_uuid,
                         struct qb_from from)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "type=%d", t);
    bool any = false;
    for (int k = 0; dom_smbios_fields[t][k]; k++) {
        const char *v = s->f[t][k];
        if (!v || (skip_uuid && t == DOM_SMBIOS_SYSTEM && k == DOM_SMBIOS_UUID_FIELD))
            continue;
        sb_addf(&sb, ",%s=", dom_smbios_fields[t][k]);
        sb_add_comma_escaped(&sb, v);
        any = true;
    }
    if (any)
        qb_opt(c, from, "-smbios", sb_steal(&sb));
    sb_free(&sb);
}

/* libvirt's qemuBuildSmbiosCommandLine and qemuBuildSysinfoCommandLine: the tables of
 * <sysinfo type='smbios'> (mode='sysinfo') or of the host (mode='host', without the host's
 * UUID, which cannot be the guest's), OEM strings as type 11; then the fw_cfg entries. */
int qb_add_sysinfo(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    const struct dom_os *os = &d->os;
    const struct dom_src src = {(char *)"os/smbios@mode", os->smbios_line};
    const struct dom_smbios *s = NULL;
    bool host = os->smbios_mode == DOM_SMBIOS_HOST;
    if (os->smbios_mode == DOM_SMBIOS_SYSINFO) {
        if (!d->has_sysinfo)
            return qb_fail(c, &src, "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>");
        s = &d->sysinfo;
    } else if (host) {
        s = c->o->host_smbios;
        if (!s)
            qb_note(c, "<smbios mode='host'>: the host's SMBIOS tables are read at start");
    }
    if (d->has_sysinfo && os->smbios_mode != DOM_SMBIOS_SYSINFO)
        qb_note(c, "<sysinfo type='smbios'> (line %d) is not used: it needs <os><smbios "
                "mode='sysinfo'/>, as in libvirt", d->sysinfo.src.line);
    struct qb_from from = host ? QB_SRC(&src) : QB_SRC(&d->sysinfo.src);
    for (int t = 0; s && t < DOM_SMBIOS_TABLE_MAX; t++)
        smbios_table(c, s, t, host, from);
    if (s && s->n_oem) {
        struct strbuf sb = STRBUF_INIT;
        sb_add(&sb, "type=11");
        for (size_t i = 0; i < s->n_oem; i++) {
            sb_add(&sb, ",value=");
            sb_add_comma_escaped(&sb, s->oem[i]);
        }
        qb_opt(c, from, "-smbios", sb_steal(&sb));
    }
    for (size_t i = 0; i < d->n_fwcfgs; i++) {
        const struct dom_fwcfg *f = &d->fwcfgs[i];
        struct strbuf sb = STRBUF_INIT;
        sb_add(&sb, "name=");
        sb_add_comma_escaped(&sb, f->name);
        sb_add(&sb, f->value ? ",string=" : ",file=");
        sb_add_comma_escaped(&sb, f->value ? f->value : f->file);
        qb_opt(c, QB_SRC(&f->src), "-fw_cfg", sb_steal(&sb));
    }
    return 0;
}

struct qb_from qb_boot_from(const struct qb_ctx *c, const struct dom_src *src,
                            unsigned boot_order)
{
    return boot_order ? QB_ATTR(src, "boot@order") : QB_AT("os/boot", c->d->os.boot_line, "dev");
}

/* <os><boot dev=...> becomes per-device bootindex (libvirt: position in the list + 1). */
int qb_assign_boot_order(struct qb_ctx *c)
{
    const struct domain *d = c->d;
    bool per_dev = false;
    for (size_t i = 0; i < d->dev.n_disks; i++)
        per_dev |= d->dev.disks[i].boot_order != 0;
    for (size_t i = 0; i < d->dev.n_interfaces; i++)
        per_dev |= d->dev.interfaces[i].boot_order != 0;
    for (size_t i = 0; i < d->dev.n_redirdevs; i++)
        per_dev |= d->dev.redirdevs[i].boot_order != 0;
    for (size_t i = 0; i < d->dev.n_hostdevs; i++)
        per_dev |= d->dev.hostdevs[i].boot_order != 0;
    if (per_dev && d->os.n_boot) {
        const struct dom_src src = {(char *)"os/boot", d->os.boot_line};
        return qb_fail(c, &src, "<os><boot dev> cannot be combined with per-device <boot order>");
    }
    for (size_t i = 0; i < d->dev.n_disks; i++)
        qb_dev(c, QB_DEV_DISK, i)->bootindex = d->dev.disks[i].boot_order;
    for (size_t i = 0; i < d->dev.n_interfaces; i++)
        qb_dev(c, QB_DEV_NET, i)->bootindex = d->dev.interfaces[i].boot_order;
    for (size_t b = 0; b < d->os.n_boot; b++) {
        unsigned idx = (unsigned)b + 1;
        switch (d->os.boot[b]) {
        case DOM_BOOT_HD:
        case DOM_BOOT_CDROM:
        case DOM_BOOT_FD: {
            enum dom_disk_device want = d->os.boot[b] == DOM_BOOT_HD ? DOM_DISKDEV_DISK
                                      : d->os.boot[b] == DOM_BOOT_CDROM ? DOM_DISKDEV_CDROM
                                      : DOM_DISKDEV_FLOPPY;
            for (size_t i = 0; i < d->dev.n_disks; i++) {
                enum dom_disk_device dv = d->dev.disks[i].device;
                if (dv == DOM_DISKDEV_LUN)
                    dv = DOM_DISKDEV_DISK;
                struct qb_dev *x = qb_dev(c, QB_DEV_DISK, i);
                if (dv == want && !x->bootindex) {
                    x->bootindex = idx;
                    break;
                }
            }
            break;
        }
        case DOM_BOOT_NETWORK:
            for (size_t i = 0; i < d->dev.n_interfaces; i++)
                if (!qb_dev(c, QB_DEV_NET, i)->bootindex) {
                    qb_dev(c, QB_DEV_NET, i)->bootindex = idx;
                    break;
                }
            break;
        default:
            break;
        }
    }
    return 0;
}

/* <controller type='pci' model='pci-root|pcie-root'><pcihole64>: the size of the 64-bit
 * PCI MMIO window, a property of the host bridge (libvirt:
 * qemuBuildGlobalControllerCommandLine). */
int qb_add_pcihole64(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_controllers; i++) {
        const struct dom_controller *k = &dv->controllers[i];
        if (k->type != DOM_CTRL_PCI || !k->has_pcihole64)
            continue;
        const char *host = NULL;
        if (k->model.pci == DOM_PCI_ROOT && !c->q35)
            host = "i440FX-pcihost";
        else if (k->model.pci == DOM_PCIE_ROOT && c->q35)
            host = "q35-pcihost";
        if (!host)
            return qb_fail(c, &k->src, "<pcihole64> is only for the root PCI controller "
                           "(pci-root on pc, pcie-root on q35)");
        qb_opt(c, QB_ATTR(&k->src, "<pcihole64>"), "-global",
               xasprintf("%s.pci-hole64-size=%lluK", host, k->pcihole64_kib));
    }
    return 0;
}
