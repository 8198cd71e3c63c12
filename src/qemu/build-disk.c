/* Disks: the controllers they need, their place among the devices, -blockdev nodes and
 * the guest device. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static unsigned qb_disk_name_index(const char *dev)
{
    static const char *const prefixes[] = {"xvd", "ubd", "vd", "hd", "sd", "fd"};
    const char *p = dev ? dev : "";
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
        if (!strncmp(p, prefixes[i], strlen(prefixes[i]))) {
            p += strlen(prefixes[i]);
            break;
        }
    unsigned idx = 0;
    for (int i = 0; *p >= 'a' && *p <= 'z' && i < 4; i++, p++)
        idx = (idx + (i < 1 ? 0 : 1)) * 26 + (unsigned)(*p - 'a');
    return idx;
}

int qb_disk_bus(const struct dom_disk *dk)
{
    if (dk->bus != DOM_BUS_DEFAULT)
        return dk->bus;
    const char *dev = dk->dev ? dk->dev : "";
    if (!strncmp(dev, "vd", 2))
        return DOM_BUS_VIRTIO;
    if (!strncmp(dev, "hd", 2))
        return DOM_BUS_IDE;
    if (!strncmp(dev, "sd", 2))
        return DOM_BUS_SCSI;
    if (!strncmp(dev, "fd", 2))
        return DOM_BUS_FDC;
    return DOM_BUS_IDE;
}

/* libvirt keeps <disk>s in the order virDomainDiskInsert gives them: a disk goes after the
 * last disk on the same bus, or before the first disk on that bus whose target name sorts
 * after its own; a bus not seen yet goes at the end. So disks are grouped by bus (groups in
 * order of first appearance) and sorted by target name within a group. Boot indexes from
 * <os><boot dev>, PCI addresses and node numbers follow this order. Fills order[n]. */
void qb_disk_order(const struct dom_disk *disks, size_t n, size_t *order)
{
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        int bus = qb_disk_bus(&disks[k]);
        unsigned idx = qb_disk_name_index(disks[k].dev);
        long at = -1;
        for (long i = (long)len - 1; i >= 0; i--) {
            const struct dom_disk *o = &disks[order[i]];
            if (qb_disk_bus(o) != bus)
                continue;
            if (qb_disk_name_index(o->dev) > idx)
                at = i;
            else if (at == -1)
                at = i + 1;
        }
        if (at < 0)
            at = (long)len;
        memmove(&order[at + 1], &order[at], (len - (size_t)at) * sizeof(*order));
        order[at] = k;
        len++;
    }
}

struct drive_addr {
    unsigned controller, bus, target, unit;
};

static void disk_drive_addr(const struct dom_disk *dk, struct drive_addr *a)
{
    if (dk->addr.type == DOM_ADDR_DRIVE) {
        *a = (struct drive_addr){dk->addr.controller, dk->addr.bus, dk->addr.target,
                                 dk->addr.unit};
        return;
    }
    unsigned idx = qb_disk_name_index(dk->dev);
    switch (qb_disk_bus(dk)) {
    case DOM_BUS_IDE:
        *a = (struct drive_addr){idx / 4, (idx % 4) / 2, 0, idx % 2};
        break;
    case DOM_BUS_SATA:
        *a = (struct drive_addr){idx / 6, 0, 0, idx % 6};
        break;
    case DOM_BUS_SCSI:
        *a = (struct drive_addr){idx / 7, 0, 0, idx % 7};
        break;
    case DOM_BUS_FDC:
        *a = (struct drive_addr){idx / 2, 0, 0, idx % 2};
        break;
    default:
        *a = (struct drive_addr){0, 0, 0, idx};
        break;
    }
}

/* The controller a disk on an IDE, SATA or SCSI bus sits on: added as libvirt does when
 * the XML has none. */
int qb_disk_controllers(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_disks; i++) {
        const struct dom_disk *dk = &dv->disks[i];
        int bus = qb_disk_bus(dk);
        struct drive_addr a;
        disk_drive_addr(dk, &a);
        enum dom_ctrl_type t;
        if (bus == DOM_BUS_SCSI)
            t = DOM_CTRL_SCSI;
        else if (bus == DOM_BUS_SATA)
            t = DOM_CTRL_SATA;
        else if (bus == DOM_BUS_IDE)
            t = DOM_CTRL_IDE;
        else
            continue;
        if (qb_ctrl_exists(c, t, a.controller))
            continue;
        if (qb_is_hot(c, QB_HOT_DISK, i))
            return qb_fail(c, &dk->src, "the domain has no %s controller %u for this disk, "
                           "and qlaunch does not hot-plug controllers",
                           dom_ctrl_type_to_string(t), a.controller);
        if (t == DOM_CTRL_IDE && (c->q35 || a.controller != 0))
            return qb_fail(c, &dk->src, c->q35 ? "q35 has no IDE bus; use bus='sata'"
                           : "IDE disks can only use the built-in controller 0 (hda-hdd)");
        qb_ctrl_need(c, t, a.controller,
                     QB_FOR(&dk->src, "implicit controller for the disk's bus, as libvirt adds"));
    }
    return 0;
}

/* virtio disks are PCI devices, usb disks USB ones; the others sit on a controller and
 * take a drive address (check_disk looks at those when it emits the disk). */
int qb_disk_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_disks; i++) {
        const struct dom_disk *dk = &dv->disks[i];
        struct qb_dev *x = qb_dev_add(c, QB_DEV_DISK, &dk->addr, &dk->src, QB_ADDR_OWN);
        int bus = qb_disk_bus(dk);
        if (bus == DOM_BUS_VIRTIO && dk->addr.type != DOM_ADDR_NONE
            && dk->addr.type != DOM_ADDR_PCI)
            return qb_fail(c, &dk->src, "address type '%s' does not fit a PCI device",
                           dom_addr_type_to_string(dk->addr.type));
        if (dk->model && bus != DOM_BUS_VIRTIO)
            return qb_fail(c, &dk->src, "disk model '%s' is only for virtio disks",
                           dom_virtio_model_to_string(dk->model));
        if (bus == DOM_BUS_VIRTIO) {
            x->pci_flags = qb_fl_virtio(c, dk->model);
            x->pci_rank = QB_RANK_DISK;
        } else if (bus == DOM_BUS_USB) {
            x->usb_rank = QB_USB_DISK;
        }
    }
    return 0;
}

/* What a cache mode sets in QEMU (libvirt's qemuDomainDiskGetCacheModes); set: not
 * QEMU's default, which "default" (no cache attribute) leaves alone. */
struct cache_mode {
    bool set, direct, no_flush, write_cache;
};

static const struct cache_mode cache_modes[DOM_CACHE_MAX] = {
    [DOM_CACHE_WRITEBACK] = {true, false, false, true},
    [DOM_CACHE_NONE] = {true, true, false, true},
    [DOM_CACHE_WRITETHROUGH] = {true, false, false, false},
    [DOM_CACHE_DIRECTSYNC] = {true, true, false, false},
    [DOM_CACHE_UNSAFE] = {true, false, true, true},
};

/* The parser checked the <driver> values against libvirt's lists; what is left is what
 * QEMU cannot do, or cannot do on this bus. */
static int check_disk(struct qb_ctx *c, const struct dom_disk *dk, int bus)
{
    const struct dom_src *s = &dk->src;
    bool floppy = dk->device == DOM_DISKDEV_FLOPPY;
    if (floppy && bus != DOM_BUS_FDC)
        return qb_fail(c, s, "a floppy disk needs bus='fdc' (bus '%s' given)",
                       dom_disk_bus_to_string(bus));
    if (!floppy && bus == DOM_BUS_FDC)
        return qb_fail(c, s, "bus 'fdc' only takes device='floppy' disks");
    if (floppy && (dk->serial || dk->wwn || dk->error_policy || dk->rerror_policy))
        return qb_fail(c, s, "QEMU's floppy device has no serial, wwn, error_policy or "
                       "rerror_policy");
    if (floppy && dk->type == DOM_DISK_NETWORK)
        return qb_fail(c, s, "network floppy disks are not supported");
    /* QEMU's luks driver needs a key secret, which qlaunch does not pass */
    if (dk->format == DOM_FMT_LUKS)
        return qb_fail(c, s, "disk format 'luks' is not supported");
    if (dk->io == DOM_IO_NATIVE && dk->cache != DOM_CACHE_NONE
        && dk->cache != DOM_CACHE_DIRECTSYNC)
        return qb_fail(c, s, "io='native' needs cache='none' or 'directsync' (QEMU refuses "
                       "aio=native without O_DIRECT)");
    if (dk->transient)
        return qb_fail(c, s, "<transient/> disks are not supported");
    if (dk->total_iops_sec || dk->total_bytes_sec)
        return qb_fail(c, s, "<iotune> limits are not supported yet");
    if (dk->tray == DOM_TRAY_OPEN)
        return qb_fail(c, s, "tray='open' is not supported at start");
    if ((dk->vendor || dk->product) && bus != DOM_BUS_SCSI)
        return qb_fail(c, s, "vendor/product are only valid on SCSI disks");
    if (dk->wwn && bus != DOM_BUS_SCSI && bus != DOM_BUS_IDE && bus != DOM_BUS_SATA)
        return qb_fail(c, s, "wwn is only valid on SCSI, IDE and SATA disks");
    if (dk->removable != DOM_TRI_DEFAULT
        && !(bus == DOM_BUS_USB || (bus == DOM_BUS_SCSI && dk->device == DOM_DISKDEV_DISK)))
        return qb_fail(c, s, "target removable= is only supported on USB and SCSI hard "
                       "disks");
    if (dk->queues && bus != DOM_BUS_VIRTIO)
        return qb_fail(c, s, "driver queues are only valid on virtio disks");
    /* libvirt: "disk ioeventfd/event_idx mode supported only for virtio bus" */
    if ((dk->event_idx || dk->ioeventfd) && bus != DOM_BUS_VIRTIO)
        return qb_fail(c, s, "<driver %s> is only valid on virtio disks",
                       dk->ioeventfd ? "ioeventfd" : "event_idx");
    if (dk->device == DOM_DISKDEV_LUN && (bus != DOM_BUS_SCSI || dk->type != DOM_DISK_BLOCK))
        return qb_fail(c, s, "device='lun' needs a block source on a SCSI bus");
    if (dk->device == DOM_DISKDEV_CDROM && bus == DOM_BUS_VIRTIO)
        return qb_fail(c, s, "a cdrom cannot be on the virtio bus; use sata, ide or scsi");
    bool media = dk->source || dk->type == DOM_DISK_NETWORK;
    if (!media && dk->device != DOM_DISKDEV_CDROM && !floppy)
        return qb_fail(c, s, "the disk has no <source>");
    if (!media && bus == DOM_BUS_USB)
        return qb_fail(c, s, "a USB cdrom needs media (<source>)");
    if (dk->addr.type != DOM_ADDR_NONE && dk->addr.type != DOM_ADDR_DRIVE
        && !(bus == DOM_BUS_VIRTIO && dk->addr.type == DOM_ADDR_PCI)
        && !(bus == DOM_BUS_USB && dk->addr.type == DOM_ADDR_USB))
        return qb_fail(c, s, "address type '%s' does not fit a disk on this bus",
                       dom_addr_type_to_string(dk->addr.type));
    if (dk->addr.type == DOM_ADDR_DRIVE && (bus == DOM_BUS_VIRTIO || bus == DOM_BUS_USB))
        return qb_fail(c, s, "a drive address does not fit a %s disk",
                       dom_disk_bus_to_string(bus));
    if (!dk->dev || !*dk->dev)
        return qb_fail(c, s, "the disk has no target dev");
    return 0;
}

static void add_cache(struct qj *j, const struct cache_mode *cm)
{
    if (!cm)
        return;
    struct qj cache;
    qj_begin(&cache);
    qj_bool(&cache, "direct", cm->direct);
    qj_bool(&cache, "no-flush", cm->no_flush);
    qj_obj(j, "cache", &cache);
}

static int storage_node(struct qb_ctx *c, const struct dom_disk *dk, struct qj *j)
{
    bool cd = dk->device == DOM_DISKDEV_CDROM;
    switch (dk->type) {
    case DOM_DISK_FILE:
        qj_str(j, "driver", "file");
        qj_str(j, "filename", dk->source);
        return 0;
    case DOM_DISK_BLOCK:
        qj_str(j, "driver", cd ? "host_cdrom" : "host_device");
        qj_str(j, "filename", dk->source);
        return 0;
    case DOM_DISK_NETWORK: {
        const char *proto = dom_disk_protocol_to_string(dk->protocol);
        bool nbd = dk->protocol == DOM_PROTO_NBD;
        if (dk->n_hosts > 1)
            return qb_fail(c, &dk->src, "network disks with more than one host are not "
                           "supported");
        const struct dom_net_host *h = dk->n_hosts ? &dk->hosts[0] : NULL;
        enum dom_transport tr = h ? h->transport : DOM_TRANSPORT_DEFAULT;
        if (tr && tr != DOM_TRANSPORT_TCP && !(tr == DOM_TRANSPORT_UNIX && nbd))
            return qb_fail(c, &dk->src, "%s transport '%s' is not supported; use tcp%s",
                           proto, dom_transport_to_string(tr), nbd ? " or unix" : "");
        switch (dk->protocol) {
        case DOM_PROTO_NBD: {
            bool unix_socket = tr == DOM_TRANSPORT_UNIX;
            if (unix_socket && !h->socket)
                return qb_fail(c, &dk->src, "an NBD unix transport needs socket=");
            if (!unix_socket && (!h || !h->name))
                return qb_fail(c, &dk->src, "an NBD disk needs <host name=...>");
            qj_str(j, "driver", "nbd");
            struct qj srv;
            qj_begin(&srv);
            if (unix_socket) {
                qj_str(&srv, "type", "unix");
                qj_str(&srv, "path", h->socket);
            } else {
                char port[16];
                snprintf(port, sizeof(port), "%u", h->port ? h->port : 10809);
                qj_str(&srv, "type", "inet");
                qj_str(&srv, "host", h->name);
                qj_str(&srv, "port", port);
            }
            qj_obj(j, "server", &srv);
            if (dk->source && *dk->source)
                qj_str(j, "export", dk->source);
            return 0;
        }
        case DOM_PROTO_HTTP:
        case DOM_PROTO_HTTPS:
        case DOM_PROTO_FTP:
        case DOM_PROTO_FTPS: {
            if (!h || !h->name)
                return qb_fail(c, &dk->src, "a %s disk needs <host name=...>", proto);
            struct strbuf url = STRBUF_INIT;
            sb_addf(&url, "%s://%s", proto, h->name);
            if (h->port)
                sb_addf(&url, ":%u", h->port);
            if (dk->source && dk->source[0] != '/')
                sb_addc(&url, '/');
            sb_add(&url, dk->source ? dk->source : "");
            qj_str(j, "driver", proto);
            qj_str(j, "url", sb_str(&url));
            sb_free(&url);
            return 0;
        }
        default:
            return qb_fail(c, &dk->src, "network disk protocol '%s' is not supported; use "
                           "nbd, http or https", proto);
        }
    }
    default:
        return qb_fail(c, &dk->src, "disk type is not supported");
    }
}


/* What the guest is told about the disk, as libvirt (qemuBuildDiskDeviceProps):
 * <blockio> block sizes, target@rotation_rate, <geometry>. */
static int disk_guest_view(struct qb_ctx *c, const struct dom_disk *dk, int bus, bool cd,
                           struct qj *j)
{
    bool ata_scsi = bus == DOM_BUS_IDE || bus == DOM_BUS_SATA || bus == DOM_BUS_SCSI;
    if (dk->queue_size && bus != DOM_BUS_VIRTIO)
        return qb_fail(c, &dk->src, "driver queue_size is only for virtio disks");
    if (dk->rotation_rate && (!ata_scsi || cd || dk->device == DOM_DISKDEV_LUN))
        return qb_fail(c, &dk->src, "rotation_rate is only for IDE, SATA and SCSI hard disks");
    if ((dk->cyls || dk->trans) && (bus == DOM_BUS_USB || bus == DOM_BUS_FDC || cd))
        return qb_fail(c, &dk->src, "<geometry> is only for IDE, SATA, SCSI and virtio hard "
                       "disks");
    if (dk->trans && bus != DOM_BUS_IDE && bus != DOM_BUS_SATA)
        return qb_fail(c, &dk->src, "<geometry trans> is only for IDE and SATA disks");
    if (dk->logical_block_size)
        qj_uint(j, "logical_block_size", dk->logical_block_size);
    if (dk->physical_block_size)
        qj_uint(j, "physical_block_size", dk->physical_block_size);
    if (dk->has_discard_granularity)
        qj_uint(j, "discard_granularity", dk->discard_granularity);
    if (dk->rotation_rate)
        qj_uint(j, "rotation_rate", dk->rotation_rate);
    if (dk->cyls) {
        qj_uint(j, "cyls", dk->cyls);
        qj_uint(j, "heads", dk->heads);
        qj_uint(j, "secs", dk->secs);
    }
    if (dk->trans)
        qj_str(j, "bios-chs-trans", dom_geometry_trans_to_string(dk->trans));
    return 0;
}

int qb_build_disk(struct qb_ctx *c, size_t i)
{
    const struct dom_disk *dk = &c->d->dev.disks[i];
    const struct qb_dev *x = qb_dev(c, QB_DEV_DISK, i);
    int bus = qb_disk_bus(dk);
    int r;
    if ((r = check_disk(c, dk, bus)) < 0)
        return r;
    struct drive_addr a;
    disk_drive_addr(dk, &a);
    /* libvirt numbers the start's nodes down to 1; later ones count on (hot-plug) */
    unsigned n = qb_is_hot(c, QB_HOT_DISK, i) ? c->hot->num
                 : (unsigned)((c->hot ? c->hot->n_start[QB_HOT_DISK] : c->d->dev.n_disks) - i);
    bool cd = dk->device == DOM_DISKDEV_CDROM;
    bool ro = dk->readonly || cd;
    enum dom_disk_format fmt = dk->format ? dk->format : DOM_FMT_RAW;
    bool fmt_layer = fmt != DOM_FMT_RAW;
    const struct cache_mode *cm = cache_modes[dk->cache].set ? &cache_modes[dk->cache] : NULL;
    /* As libvirt (qemuDomainPrepareDiskCachemode): a writable shareable disk without a
     * cache mode gets cache='none', so no host page cache sits between the sharers. */
    if (!cm && dk->shareable && !ro)
        cm = &cache_modes[DOM_CACHE_NONE];
    /* As libvirt: detect_zeroes='unmap' needs discard='unmap'; otherwise it is 'on'. */
    enum dom_detect_zeroes dz = dk->detect_zeroes;
    if (dz == DOM_DZ_UNMAP && dk->discard != DOM_DISCARD_UNMAP) {
        dz = DOM_DZ_ON;
        qb_note(c, "%s: detect_zeroes='unmap' without discard='unmap' is 'on', as libvirt "
                "does", dk->dev);
    }
    char storage[48], format[48], id[48], buf[48];
    snprintf(storage, sizeof(storage), "libvirt-%u-storage", n);
    snprintf(format, sizeof(format), "libvirt-%u-format", n);
    const char *top = fmt_layer ? format : storage;
    char cor[64];
    struct qj j;

    bool media = dk->source || dk->type == DOM_DISK_NETWORK;
    if (media) {
        qj_begin(&j);
        if ((r = storage_node(c, dk, &j)) < 0) {
            free(qj_end(&j));
            return r;
        }
        qj_str(&j, "node-name", storage);
        if (fmt_layer) {
            qj_bool(&j, "auto-read-only", true);
            qj_str(&j, "discard", "unmap");
        } else {
            qj_bool(&j, "read-only", ro);
            if (dk->discard)
                qj_str(&j, "discard", dom_disk_discard_to_string(dk->discard));
            if (dz)
                qj_str(&j, "detect-zeroes", dom_detect_zeroes_to_string(dz));
        }
        if (dk->io && dk->type != DOM_DISK_NETWORK)
            qj_str(&j, "aio", dom_disk_io_to_string(dk->io));
        add_cache(&j, cm);
        qb_opt(c, QB_ATTR(&dk->src, "<source>"), "-blockdev", qj_end(&j));
        if (fmt_layer) {
            qj_begin(&j);
            qj_str(&j, "node-name", format);
            qj_bool(&j, "read-only", ro);
            if (dk->discard)
                qj_str(&j, "discard", dom_disk_discard_to_string(dk->discard));
            if (dz)
                qj_str(&j, "detect-zeroes", dom_detect_zeroes_to_string(dz));
            add_cache(&j, cm);
            qj_str(&j, "driver", dom_disk_format_to_string(fmt));   /* QEMU's names */
            qj_str(&j, "file", storage);
            qb_opt(c, QB_ATTR(&dk->src, "driver@type"), "-blockdev", qj_end(&j));
        }
        /* driver@copy_on_read: libvirt's filter node on top, named after the target */
        if (dk->copy_on_read == DOM_TRI_ON) {
            snprintf(cor, sizeof(cor), "libvirt-CoR-%s", dk->dev);
            if (strlen(cor) > 31)   /* QEMU's limit on node names */
                return qb_fail(c, &dk->src, "copy_on_read: the target name '%s' is too long "
                               "for QEMU's node name", dk->dev);
            qj_begin(&j);
            qj_str(&j, "driver", "copy-on-read");
            qj_str(&j, "node-name", cor);
            qj_str(&j, "file", top);
            qj_str(&j, "discard", "unmap");
            qb_opt(c, QB_ATTR(&dk->src, "driver@copy_on_read"), "-blockdev", qj_end(&j));
            top = cor;
        }
    }

    qj_begin(&j);
    switch (bus) {
    case DOM_BUS_VIRTIO:
        snprintf(id, sizeof(id), "virtio-disk%u", qb_disk_name_index(dk->dev));
        qj_str(&j, "driver", qb_virtio_driver(buf, sizeof(buf), "virtio-blk-pci", dk->model));
        if (dk->ioeventfd)
            qj_bool(&j, "ioeventfd", dk->ioeventfd == DOM_TRI_ON);
        if (dk->event_idx)
            qj_bool(&j, "event_idx", dk->event_idx == DOM_TRI_ON);
        if (dk->iothread) {     /* validate: virtio disks only */
            qj_str(&j, "iothread", qb_iothread_id(buf, sizeof(buf), dk->iothread));
        }
        qj_pci(c, &j, &x->pci);
        if (dk->queues)
            qj_uint(&j, "num-queues", dk->queues);
        if (dk->queue_size)
            qj_uint(&j, "queue-size", dk->queue_size);
        break;
    case DOM_BUS_IDE:
        if (a.bus > 1 || a.unit > 1 || a.target != 0) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "IDE address bus %u unit %u does not exist (bus 0-1, "
                           "unit 0-1)", a.bus, a.unit);
        }
        snprintf(id, sizeof(id), "ide%u-%u-%u", a.controller, a.bus, a.unit);
        qj_str(&j, "driver", cd ? "ide-cd" : "ide-hd");
        snprintf(buf, sizeof(buf), "ide.%u", a.bus);
        qj_str(&j, "bus", buf);
        qj_uint(&j, "unit", a.unit);
        break;
    case DOM_BUS_SATA: {
        const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_SATA, a.controller);
        if (a.bus != 0 || a.target != 0 || a.unit > 5) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "SATA address unit %u does not exist (bus 0, unit "
                           "0-5)", a.unit);
        }
        snprintf(id, sizeof(id), "sata%u-%u-%u", a.controller, a.bus, a.unit);
        qj_str(&j, "driver", cd ? "ide-cd" : "ide-hd");
        snprintf(buf, sizeof(buf), "%s.%u", ct ? ct->id : "ide", a.unit);
        qj_str(&j, "bus", buf);
        break;
    }
    case DOM_BUS_SCSI: {
        const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_SCSI, a.controller);
        bool lsi = ct && ct->c.model.scsi == DOM_SCSI_LSILOGIC;
        /* libvirt's alias: lsilogic has no targets, so its disks are scsiC-B-U */
        if (lsi)
            snprintf(id, sizeof(id), "scsi%u-%u-%u", a.controller, a.bus, a.unit);
        else
            snprintf(id, sizeof(id), "scsi%u-%u-%u-%u", a.controller, a.bus, a.target,
                     a.unit);
        if (lsi && (a.unit > 6 || a.bus != 0 || a.target != 0)) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "lsilogic supports bus 0, target 0, units 0-6 only");
        }
        qj_str(&j, "driver", dk->device == DOM_DISKDEV_LUN ? "scsi-block"
                             : cd ? "scsi-cd" : "scsi-hd");
        snprintf(buf, sizeof(buf), "%s.0", ct ? ct->id : "scsi0");
        qj_str(&j, "bus", buf);
        if (lsi) {
            qj_uint(&j, "scsi-id", a.unit);
        } else {
            qj_uint(&j, "channel", a.bus);
            qj_uint(&j, "scsi-id", a.target);
            qj_uint(&j, "lun", a.unit);
        }
        if (dk->device != DOM_DISKDEV_LUN) {
            /* the SCSI device identification page (VPD 0x83) names the drive as libvirt
             * does, so guests see the same disk ids */
            char devid[96];
            snprintf(devid, sizeof(devid), "drive-%s", id);
            qj_str(&j, "device_id", devid);
        }
        break;
    }
    case DOM_BUS_USB:
        snprintf(id, sizeof(id), "usb-disk%u", qb_disk_name_index(dk->dev));
        qj_str(&j, "driver", "usb-storage");
        qj_usb(c, &j, &x->usb);
        break;
    case DOM_BUS_FDC:
        if (a.controller != 0 || a.bus != 0 || a.target != 0 || a.unit > 1) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "floppy address controller %u bus %u target %u unit "
                           "%u does not exist (controller 0, bus 0, target 0, unit 0-1)",
                           a.controller, a.bus, a.target, a.unit);
        }
        /* libvirt's alias; the boot index is the controller's (bootindexA/B) */
        snprintf(id, sizeof(id), "fdc0-0-%u", a.unit);
        qj_str(&j, "driver", "floppy");
        qj_uint(&j, "unit", a.unit);
        break;
    default:
        free(qj_end(&j));
        return qb_fail(c, &dk->src, "disk bus '%s' is not supported",
                       dom_disk_bus_to_string(bus));
    }
    if (media)
        qj_str(&j, "drive", top);
    qj_str(&j, "id", id);
    if (!c->r->disk_ids) {
        c->r->disk_ids = xcalloc(c->d->dev.n_disks + 1, sizeof(char *));
        c->r->disk_nodes = xcalloc(c->d->dev.n_disks + 1, sizeof(unsigned));
        c->r->n_disk_ids = c->d->dev.n_disks;
    }
    free(c->r->disk_ids[i]);    /* a first (dry) pass named it already */
    c->r->disk_ids[i] = xstrdup(id);
    c->r->disk_nodes[i] = n;
    if (qb_is_hot(c, QB_HOT_DISK, i))
        c->r->hot_id = xstrdup(id);
    if (x->bootindex && bus != DOM_BUS_FDC) {
        qj_uint(&j, "bootindex", x->bootindex);
        qb_prop(c, "bootindex", qb_boot_from(c, &dk->src, dk->boot_order));
    }
    if ((r = disk_guest_view(c, dk, bus, cd, &j)) < 0) {
        free(qj_end(&j));
        return r;
    }
    /* libvirt sets write-cache from the cache mode even on an empty drive (QEMU applies
     * it to the empty block backend, and to media inserted later) */
    if (cm && dk->device != DOM_DISKDEV_LUN) {
        qj_str(&j, "write-cache", cm->write_cache ? "on" : "off");
        qb_prop(c, "write-cache", dk->cache ? QB_ATTR(&dk->src, "driver@cache")
                : QB_FOR(&dk->src, "a writable shareable disk gets cache='none', as libvirt"));
    }
    if (dk->removable != DOM_TRI_DEFAULT) { /* check_disk: usb-storage or scsi-hd only */
        qj_bool(&j, "removable", dk->removable == DOM_TRI_ON);
        qb_prop(c, "removable", QB_ATTR(&dk->src, "target@removable"));
    }
    if (dk->shareable) {
        qj_bool(&j, "share-rw", true);
        qb_prop(c, "share-rw", QB_ATTR(&dk->src, "<shareable>"));
    }
    if (dk->serial) {
        qj_str(&j, "serial", dk->serial);
        qb_prop(c, "serial", QB_ATTR(&dk->src, "<serial>"));
    }
    if (dk->wwn) {
        char *end;
        errno = 0;
        unsigned long long wwn = strtoull(dk->wwn, &end, 16);
        if (errno || *end || strlen(dk->wwn) != 16) {
            free(qj_end(&j));
            return qb_fail(c, &dk->src, "wwn '%s' is not 16 hex digits", dk->wwn);
        }
        qj_uint(&j, "wwn", wwn);
        qb_prop(c, "wwn", QB_ATTR(&dk->src, "<wwn>"));
    }
    if (dk->vendor) {
        qj_str(&j, "vendor", dk->vendor);
        qb_prop(c, "vendor", QB_ATTR(&dk->src, "<vendor>"));
    }
    if (dk->product) {
        qj_str(&j, "product", dk->product);
        qb_prop(c, "product", QB_ATTR(&dk->src, "<product>"));
    }
    /* QEMU's names are libvirt's but enospace, which is enospc and for writes only */
    enum dom_error_policy ep = dk->error_policy;
    if (ep) {
        qj_str(&j, "werror", ep == DOM_ERRPOL_ENOSPACE ? "enospc"
                             : dom_error_policy_to_string(ep));
        qb_prop(c, "werror", QB_ATTR(&dk->src, "driver@error_policy"));
    }
    if (dk->rerror_policy) {
        qj_str(&j, "rerror", dom_error_policy_to_string(dk->rerror_policy));
        qb_prop(c, "rerror", QB_ATTR(&dk->src, "driver@rerror_policy"));
    } else if (ep && ep != DOM_ERRPOL_ENOSPACE) {
        qj_str(&j, "rerror", dom_error_policy_to_string(ep));
        qb_prop(c, "rerror", QB_ATTR(&dk->src, "driver@error_policy"));
    }
    qb_device(c, QB_SRC(&dk->src), &j);
    return 0;
}

/* Floppies sit on the ISA floppy controller: built into pc (its boot indexes are set
 * with -global), added with -device on q35 (which has none since QEMU 4.0), as libvirt
 * (qemuBuildFloppyCommandLineControllerOptions). Unit 0 is drive A, unit 1 drive B. */
static int build_fdc(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    const struct dom_disk *any = NULL, *boot_dk[2] = {NULL, NULL};
    unsigned boot[2] = {0, 0};
    for (size_t i = 0; i < dv->n_disks; i++) {
        const struct dom_disk *dk = &dv->disks[i];
        if (dk->device != DOM_DISKDEV_FLOPPY || qb_disk_bus(dk) != DOM_BUS_FDC)
            continue;
        struct drive_addr a;
        disk_drive_addr(dk, &a);
        if (a.unit > 1 || a.controller != 0)
            continue;       /* reported by build_disk */
        for (size_t k = 0; k < i; k++) {
            struct drive_addr b;
            if (dv->disks[k].device != DOM_DISKDEV_FLOPPY)
                continue;
            disk_drive_addr(&dv->disks[k], &b);
            if (b.unit == a.unit && b.controller == a.controller)
                return qb_fail(c, &dk->src, "floppy unit %u is already used by %s", a.unit,
                               dv->disks[k].dev ? dv->disks[k].dev : "another floppy");
        }
        any = dk;
        boot_dk[a.unit] = dk;
        boot[a.unit] = qb_dev(c, QB_DEV_DISK, i)->bootindex;
    }
    if (!any)
        return 0;
    if (c->q35) {
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", "isa-fdc");
        for (unsigned u = 0; u < 2; u++)
            if (boot[u]) {
                qj_uint(&j, u ? "bootindexB" : "bootindexA", boot[u]);
                qb_prop(c, u ? "bootindexB" : "bootindexA",
                        qb_boot_from(c, &boot_dk[u]->src, boot_dk[u]->boot_order));
            }
        qb_device(c, QB_FOR(&any->src, "the floppy controller q35 lacks (libvirt adds it for "
                            "floppy disks)"), &j);
        return 0;
    }
    for (unsigned u = 0; u < 2; u++)
        if (boot[u])
            qb_opt(c, qb_boot_from(c, &boot_dk[u]->src, boot_dk[u]->boot_order), "-global",
                   xasprintf("isa-fdc.bootindex%c=%u", 'A' + u, boot[u]));
    return 0;
}

int qb_build_disks(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    if ((r = build_fdc(c)) < 0)
        return r;
    for (size_t i = 0; i < dv->n_disks; i++) {
        for (size_t k = 0; k < i; k++) {
            if (dv->disks[k].dev && dv->disks[i].dev && STREQ(dv->disks[k].dev, dv->disks[i].dev))
                return qb_fail(c, &dv->disks[i].src, "target dev '%s' is used twice",
                               dv->disks[i].dev);
        }
        if ((r = qb_build_disk(c, i)) < 0)
            return r;
    }
    return 0;
}
