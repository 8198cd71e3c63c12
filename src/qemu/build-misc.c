/* memballoon, rng, watchdog, panic, TPM and USB hub devices. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The balloon's virtio flavour (it has one model more: none). */
static enum dom_virtio_model balloon_virtio_model(const struct dom_memballoon *b)
{
    switch (b->model) {
    case DOM_BALLOON_VIRTIO_TRANSITIONAL:
        return DOM_VIRTIO_TRANSITIONAL;
    case DOM_BALLOON_VIRTIO_NON_TRANSITIONAL:
        return DOM_VIRTIO_NON_TRANSITIONAL;
    default:
        return DOM_VIRTIO;
    }
}

/* rng and balloon are virtio PCI devices, the i6300esb watchdog and pvpanic PCI ones; the
 * isa panic device takes an ISA address, the other watchdogs none. */
void qb_misc_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_rngs; i++) {
        const struct dom_rng *rn = &dv->rngs[i];
        struct qb_dev *x = qb_dev_add(c, QB_DEV_RNG, &rn->addr, &rn->src, DOM_ADDR_PCI);
        x->pci_flags = qb_fl_virtio(c, rn->model);
        x->pci_rank = QB_RANK_RNG;
    }
    for (size_t i = 0; i < dv->n_watchdogs; i++) {
        const struct dom_watchdog *w = &dv->watchdogs[i];
        bool pci = w->model == DOM_WATCHDOG_I6300ESB;
        struct qb_dev *x = qb_dev_add(c, QB_DEV_WATCHDOG, &w->addr, &w->src,
                                      pci ? DOM_ADDR_PCI : DOM_ADDR_NONE);
        x->pci_flags = pci ? QB_FL_PCI : 0;
        x->pci_rank = QB_RANK_WATCHDOG;
    }
    for (size_t i = 0; i < dv->n_panics; i++) {
        const struct dom_panic *p = &dv->panics[i];
        bool pci = p->model == DOM_PANIC_PVPANIC;
        struct qb_dev *x = qb_dev_add(c, QB_DEV_PANIC, &p->addr, &p->src,
                                      pci ? DOM_ADDR_PCI : DOM_ADDR_ISA);
        /* libvirt: an integrated endpoint, on the root bus */
        x->pci_flags = pci ? QB_FL_PCI | QB_PCI_INTEGRATED : 0;
        x->pci_rank = QB_RANK_PANIC;
    }
    if (c->balloon) {
        const struct dom_memballoon *b = &dv->memballoon;
        struct qb_dev *x = qb_dev_add(c, QB_DEV_BALLOON, &b->addr, &b->src, DOM_ADDR_PCI);
        x->pci_flags = qb_fl_virtio(c, balloon_virtio_model(b));
        x->pci_rank = QB_RANK_BALLOON;
    }
}

/* One TPM, as libvirt (which allows a second only as a proxy on ppc64). */
static int check_tpms(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    if (dv->n_tpms > 1)
        return qb_fail(c, &dv->tpms[1].src, "only one TPM is supported");
    for (size_t i = 0; i < dv->n_tpms; i++) {
        const struct dom_tpm *t = &dv->tpms[i];
        if (t->addr.type != DOM_ADDR_NONE)
            return qb_fail(c, &t->src, "a TPM takes no <address> (tpm-tis sits at a fixed "
                           "ISA location, tpm-crb in fixed memory)");
        if (t->model == DOM_TPM_CRB && t->backend == DOM_TPM_EMULATOR &&
            t->version == DOM_TPM_VERSION_1_2)
            return qb_fail(c, &t->src, "the tpm-crb interface needs a TPM 2.0; use version "
                           "'2.0' or model 'tpm-tis'");
    }
    return 0;
}

int qb_check_misc(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    if (dv->n_watchdogs > 1)
        return qb_fail(c, &dv->watchdogs[1].src, "only one watchdog is supported");
    for (size_t i = 0; i < dv->n_watchdogs; i++) {
        const struct dom_watchdog *w = &dv->watchdogs[i];
        if (w->model == DOM_WATCHDOG_ITCO && !c->q35)
            return qb_fail(c, &w->src, "the itco watchdog is part of q35 only");
        if (w->action == DOM_WDACT_DUMP)
            qb_note(c, "watchdog action 'dump' pauses the guest; the supervisor dumps it");
    }
    for (size_t i = 0; i < dv->n_panics; i++) {
        const struct dom_panic *p = &dv->panics[i];
        enum dom_panic_model m = p->model ? p->model : DOM_PANIC_ISA;   /* x86 */
        if (m == DOM_PANIC_ISA && p->addr.type != DOM_ADDR_NONE && p->addr.type != DOM_ADDR_ISA)
            return qb_fail(c, &p->src, "an isa panic device takes an ISA address");
        if (p->addr.type == DOM_ADDR_ISA && p->addr.has_irq)
            return qb_fail(c, &p->src, "the isa panic device has no IRQ; give only iobase");
    }
    /* libvirt: one panic device per model; the hyperv one is a CPU property (hv-crash),
     * so it may come with one device */
    size_t n_dev = 0, n_hv = 0;
    for (size_t i = 0; i < dv->n_panics; i++) {
        bool hv = dv->panics[i].model == DOM_PANIC_HYPERV;
        if ((hv ? ++n_hv : ++n_dev) > 1)
            return qb_fail(c, &dv->panics[i].src, "only one %spanic device is supported",
                           hv ? "hyperv " : "");
    }
    return check_tpms(c);
}

int qb_build_watchdogs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    bool itco = false;
    for (size_t i = 0; i < dv->n_watchdogs; i++) {
        const struct dom_watchdog *w = &dv->watchdogs[i];
        if (w->model == DOM_WATCHDOG_ITCO) {
            /* built into ICH9: let its second timeout reset the guest (QEMU's default
             * noreboot=on only logs), so the action applies */
            qb_opt(c, QB_SRC(&w->src), "-global", xstrdup("ICH9-LPC.noreboot=off"));
            itco = true;
            continue;
        }
        char id[32];
        snprintf(id, sizeof(id), "watchdog%zu", i);
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", dom_watchdog_model_to_string(w->model));   /* QEMU's names */
        qj_str(&j, "id", id);
        if (w->model == DOM_WATCHDOG_I6300ESB)
            qj_pci(c, &j, &qb_dev(c, QB_DEV_WATCHDOG, i)->pci);
        qb_device(c, QB_SRC(&w->src), &j);
    }
    /* libvirt adds <watchdog model='itco'/> to every q35 domain: the iTCO is always there */
    if (c->q35 && !itco)
        qb_opt(c, QB_WHY("libvirt adds <watchdog model='itco'/> to every q35 domain"),
               "-global", xstrdup("ICH9-LPC.noreboot=off"));
    return 0;
}

int qb_build_balloon(struct qb_ctx *c)
{
    const struct dom_memballoon *b = &c->d->dev.memballoon;
    if (!c->balloon)
        return 0;
    struct qj j;
    char drv[64];
    qj_begin(&j);
    qj_str(&j, "driver", qb_virtio_driver(drv, sizeof(drv), "virtio-balloon-pci",
                                          balloon_virtio_model(b)));
    qj_str(&j, "id", "balloon0");
    c->r->balloon_path = xstrdup("/machine/peripheral/balloon0");  /* QOM: peripheral/ID */
    if (b->autodeflate != DOM_TRI_DEFAULT) {
        qj_bool(&j, "deflate-on-oom", b->autodeflate == DOM_TRI_ON);
        qb_prop(c, "deflate-on-oom", QB_ATTR(&b->src, "autodeflate"));
    }
    if (b->free_page_reporting != DOM_TRI_DEFAULT) {
        qj_bool(&j, "free-page-reporting", b->free_page_reporting == DOM_TRI_ON);
        qb_prop(c, "free-page-reporting", QB_ATTR(&b->src, "freePageReporting"));
    }
    qj_pci(c, &j, &qb_dev(c, QB_DEV_BALLOON, 0)->pci);
    qb_device(c, b->present ? QB_SRC(&b->src)
                            : QB_WHY("libvirt's default: a virtio memballoon when the XML has "
                                     "no <memballoon>"), &j);
    if (b->stats_period > 0)
        qb_note(c, "memballoon stats period %d s is set with QMP qom-set after start",
                b->stats_period);
    return 0;
}

int qb_build_rngs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    for (size_t i = 0; i < dv->n_rngs; i++) {
        const struct dom_rng *rn = &dv->rngs[i];
        char obj[32], id[32], drv[64];
        snprintf(obj, sizeof(obj), "objrng%zu", i);
        snprintf(id, sizeof(id), "rng%zu", i);
        struct qj j;
        switch (rn->backend_model) {
        case DOM_RNG_EGD: {
            char chr[32];
            char *backend = NULL;
            snprintf(chr, sizeof(chr), "charrng%zu", i);
            if ((r = qb_chr_backend(c, &rn->egd, chr, NULL, &rn->src, &backend)) < 0)
                return r;
            qb_opt(c, QB_SRC(&rn->src), "-chardev", backend);
            qj_begin(&j);
            qj_str(&j, "qom-type", "rng-egd");
            qj_str(&j, "id", obj);
            qj_str(&j, "chardev", chr);
            break;
        }
        case DOM_RNG_BUILTIN:
            qj_begin(&j);
            qj_str(&j, "qom-type", "rng-builtin");
            qj_str(&j, "id", obj);
            break;
        default:        /* random */
            qj_begin(&j);
            qj_str(&j, "qom-type", "rng-random");
            qj_str(&j, "id", obj);
            /* libvirt's default for <backend model='random'/> without a path
             * (virtio-rng-default in its test corpus). */
            qj_str(&j, "filename", rn->backend_path ? rn->backend_path : "/dev/random");
            break;
        }
        qb_opt(c, QB_ATTR(&rn->src, "<backend>"), "-object", qj_end(&j));
        qj_begin(&j);
        qj_str(&j, "driver", qb_virtio_driver(drv, sizeof(drv), "virtio-rng-pci", rn->model));
        qj_str(&j, "rng", obj);
        qj_str(&j, "id", id);
        if (rn->rate_bytes) {
            qj_uint(&j, "max-bytes", rn->rate_bytes);
            qj_uint(&j, "period", rn->rate_period ? rn->rate_period : 1000);
            qb_prop(c, "max-bytes", QB_ATTR(&rn->src, "rate@bytes"));
        }
        qj_pci(c, &j, &qb_dev(c, QB_DEV_RNG, i)->pci);
        qb_device(c, QB_SRC(&rn->src), &j);
    }
    return 0;
}

/* A panic device qlaunch adds so that on_crash sees guest panics. */
static struct qb_from panic_from(const struct qb_ctx *c)
{
    return (struct qb_from){"on_crash", c->d->lc_line[2], NULL,
                            "a panic device, so that on_crash can see guest panics"};
}

int qb_build_panics(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    struct qj j;
    for (size_t i = 0; i < dv->n_panics; i++) {
        const struct dom_panic *p = &dv->panics[i];
        bool pci = p->model == DOM_PANIC_PVPANIC;
        if (p->model == DOM_PANIC_HYPERV)
            continue;   /* -cpu hv-crash */
        qj_begin(&j);
        if (pci) {
            qj_str(&j, "driver", "pvpanic-pci");
            qj_pci(c, &j, &qb_dev(c, QB_DEV_PANIC, i)->pci);
        } else {
            qj_str(&j, "driver", "pvpanic");
            if (p->addr.type == DOM_ADDR_ISA && p->addr.has_iobase)
                qj_uint(&j, "ioport", p->addr.iobase);
        }
        qb_device(c, p->implicit ? panic_from(c) : QB_SRC(&p->src), &j);
        if (p->implicit)
            qb_note(c, "a %s device is added so that on_crash='%s' can see guest panics",
                    pci ? "pvpanic-pci" : "pvpanic",
                    dom_lifecycle_to_string(dom_on_crash(c->d)));
    }
    if (c->implicit_panic) {
        qj_begin(&j);
        qj_str(&j, "driver", "pvpanic");
        qb_device(c, panic_from(c), &j);
        qb_note(c, "a pvpanic device is added so that on_crash='%s' can see guest panics",
                dom_lifecycle_to_string(dom_on_crash(c->d)));
    }
    return 0;
}

/* prefix, then v with QEMU's ",," escaping (a path may contain commas). */
static char *opt_with_path(const char *prefix, const char *v)
{
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, prefix);
    sb_add_comma_escaped(&sb, v);
    return sb_steal(&sb);
}

/* libvirt's TPM options: the backend (-tpmdev, an emulator reached through a chardev on
 * swtpm's control socket, which the supervisor starts before QEMU), then the device. */
int qb_build_tpms(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_tpms; i++) {
        const struct dom_tpm *t = &dv->tpms[i];
        if (t->backend == DOM_TPM_EMULATOR) {
            char *sock;
            int r = qb_run_socket(c, &t->src, "the swtpm socket", "swtpm.sock",
                                  "a shorter run directory (--run-dir)", &sock);
            if (r < 0)
                return r;
            qb_opt(c, QB_FOR(&t->src, "swtpm's socket: the supervisor starts swtpm before QEMU"),
                   "-chardev", opt_with_path("socket,id=chrtpm,path=", sock));
            qb_opt(c, QB_ATTR(&t->src, "<backend>"), "-tpmdev",
                   xstrdup("emulator,id=tpm-tpm0,chardev=chrtpm"));
            free(c->r->tpm_socket);
            c->r->tpm_socket = sock;
        } else {
            /* QEMU finds the device's cancel file in sysfs itself. */
            const char *path = t->device_path ? t->device_path : "/dev/tpm0";
            qb_opt(c, QB_ATTR(&t->src, "<backend>"), "-tpmdev",
                   opt_with_path("passthrough,id=tpm-tpm0,path=", path));
            free(c->r->tpm_device);
            c->r->tpm_device = xstrdup(path);
        }
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", dom_tpm_model_to_string(t->model ? t->model : DOM_TPM_TIS));
        qj_str(&j, "tpmdev", "tpm-tpm0");
        qj_str(&j, "id", "tpm0");
        qb_device(c, QB_SRC(&t->src), &j);
    }
    return 0;
}

/* The XML's hubs: USB devices that add ports (the address pass adds more as libvirt
 * does when the devices outnumber the ports). */
void qb_hub_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_hubs; i++)
        qb_dev_add(c, QB_DEV_HUB, &dv->hubs[i].addr, &dv->hubs[i].src, DOM_ADDR_USB)->usb_rank =
            QB_USB_HUB;
}

/* The XML's hubs, then those the address pass added. */
int qb_build_hubs(struct qb_ctx *c)
{
    for (size_t i = 0; i < c->dev_count[QB_DEV_HUB]; i++) {
        struct qj j;
        char id[32];
        snprintf(id, sizeof(id), "hub%zu", i);
        qj_begin(&j);
        qj_str(&j, "driver", "usb-hub");
        qj_str(&j, "id", id);
        qj_usb(c, &j, &qb_dev(c, QB_DEV_HUB, i)->usb);
        const struct dom_src *src = qb_dev(c, QB_DEV_HUB, i)->src;
        qb_device(c, src ? QB_SRC(src) : QB_WHY("a USB hub libvirt adds when the USB devices "
                                                "outnumber the controllers' ports"), &j);
    }
    return 0;
}
