/* Character devices: serial, console, parallel and channel devices with their -chardev
 * backends, virtio-serial ports, and USB redirection. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <string.h>

/* The device of a serial port (or of a serial console): <target><model name>, else the
 * target type, else isa-serial. DEFAULT: one QEMU has no device for (isa-debug). */
static enum dom_chr_target_model serial_model(const struct dom_chr *ch)
{
    if (ch->target_model)
        return ch->target_model;
    switch (ch->target_type) {
    case DOM_CHR_TARGET_USB_SERIAL:
        return DOM_CHR_MODEL_USB_SERIAL;
    case DOM_CHR_TARGET_PCI_SERIAL:
        return DOM_CHR_MODEL_PCI_SERIAL;
    case DOM_CHR_TARGET_ISA_DEBUG:
        return DOM_CHR_MODEL_DEFAULT;
    default:
        return DOM_CHR_MODEL_ISA_SERIAL;
    }
}

/* serial_model's name as the XML spells it, for messages */
static const char *serial_name(const struct dom_chr *ch)
{
    if (!ch->target_model && ch->target_type == DOM_CHR_TARGET_ISA_DEBUG)
        return dom_chr_target_to_string(ch->target_type);
    return dom_chr_target_model_to_string(serial_model(ch));
}

static bool needs_virtio_serial(const struct dom_chr *ch)
{
    if (ch->kind == DOM_CHR_CHANNEL)
        return !ch->target_type || ch->target_type == DOM_CHR_TARGET_VIRTIO;
    if (ch->kind == DOM_CHR_CONSOLE)
        return ch->target_type == DOM_CHR_TARGET_VIRTIO;
    return false;
}

/* virtio channels and consoles need a virtio-serial controller: libvirt adds the first. */
int qb_chr_controllers(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_chrs; i++) {
        const struct dom_chr *ch = &dv->chrs[i];
        if (!needs_virtio_serial(ch))
            continue;
        unsigned idx = ch->addr.type == DOM_ADDR_VIRTIO_SERIAL ? ch->addr.controller : 0;
        if (qb_ctrl_exists(c, DOM_CTRL_VIRTIO_SERIAL, idx))
            continue;
        if (idx != 0)
            return qb_fail(c, &ch->src, "virtio-serial controller %u does not exist", idx);
        qb_ctrl_need(c, DOM_CTRL_VIRTIO_SERIAL, 0,
                     QB_FOR(&ch->src, "implicit virtio-serial controller for a virtio "
                            "channel or console, as libvirt adds"));
    }
    return 0;
}

/* pci-serial and usb-serial ports are PCI and USB devices; the others take ISA or
 * virtio-serial addresses, which the ports check themselves. Redirected USB devices
 * take USB ports. */
void qb_chr_devices(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    for (size_t i = 0; i < dv->n_chrs; i++) {
        const struct dom_chr *ch = &dv->chrs[i];
        struct qb_dev *x = qb_dev_add(c, QB_DEV_CHR, &ch->addr, &ch->src, QB_ADDR_OWN);
        enum dom_chr_target_model m = ch->kind == DOM_CHR_SERIAL ? serial_model(ch) : 0;
        if (m == DOM_CHR_MODEL_PCI_SERIAL) {
            x->pci_flags = QB_FL_PCI;
            x->pci_rank = QB_RANK_SERIAL;
        } else if (m == DOM_CHR_MODEL_USB_SERIAL) {
            x->usb_rank = QB_USB_SERIAL;
        }
    }
    for (size_t i = 0; i < dv->n_redirdevs; i++) {
        const struct dom_redirdev *rd = &dv->redirdevs[i];
        qb_dev_add(c, QB_DEV_REDIRDEV, &rd->addr, &rd->src, DOM_ADDR_USB)->usb_rank =
            QB_USB_REDIRDEV;
    }
}

static void add_path(struct strbuf *sb, const char *key, const char *v)
{
    sb_addf(sb, ",%s=", key);
    sb_add_comma_escaped(sb, v);
}

int qb_chr_backend(struct qb_ctx *c, const struct dom_chr_source *s, const char *id,
                   const char *spice_name, const struct dom_src *src, char **ret)
{
    struct strbuf sb = STRBUF_INIT;
    bool bind = s->mode == DOM_CHR_MODE_BIND;
    switch (s->type) {
    case DOM_CHR_PTY:
        sb_addf(&sb, "pty,id=%s", id);
        break;
    case DOM_CHR_FILE:
        if (!s->path)
            goto need_path;
        sb_addf(&sb, "file,id=%s", id);
        add_path(&sb, "path", s->path);
        if (s->append != DOM_TRI_DEFAULT)
            sb_add(&sb, s->append == DOM_TRI_ON ? ",append=on" : ",append=off");
        break;
    case DOM_CHR_PIPE:
        if (!s->path)
            goto need_path;
        sb_addf(&sb, "pipe,id=%s", id);
        add_path(&sb, "path", s->path);
        break;
    case DOM_CHR_DEV:
        if (!s->path)
            goto need_path;
        sb_addf(&sb, "%s,id=%s", spice_name && STREQ(spice_name, "parallel") ? "parallel"
                                                                             : "serial", id);
        add_path(&sb, "path", s->path);
        break;
    case DOM_CHR_UNIX:
        if (!s->path)
            goto need_path;
        sb_addf(&sb, "socket,id=%s", id);
        add_path(&sb, "path", s->path);
        if (bind)
            sb_add(&sb, ",server=on,wait=off");
        else if (s->reconnect == DOM_TRI_ON)
            sb_addf(&sb, ",reconnect=%u", s->reconnect_timeout ? s->reconnect_timeout : 1);
        break;
    case DOM_CHR_TCP: {
        if (s->protocol == DOM_CHR_PROTO_TELNETS || s->protocol == DOM_CHR_PROTO_TLS) {
            sb_free(&sb);
            return qb_fail(c, src, "chardev protocol '%s' is not supported; use raw or telnet",
                           dom_chr_protocol_to_string(s->protocol));
        }
        if (!s->service) {
            sb_free(&sb);
            return qb_fail(c, src, "a tcp chardev needs service= (the port)");
        }
        sb_addf(&sb, "socket,id=%s", id);
        add_path(&sb, "host", s->host ? s->host : (bind ? "0.0.0.0" : "localhost"));
        add_path(&sb, "port", s->service);
        if (s->protocol == DOM_CHR_PROTO_TELNET)
            sb_add(&sb, ",telnet=on");
        if (bind)
            sb_add(&sb, ",server=on,wait=off");
        else if (s->reconnect == DOM_TRI_ON)
            sb_addf(&sb, ",reconnect=%u", s->reconnect_timeout ? s->reconnect_timeout : 1);
        break;
    }
    case DOM_CHR_UDP:
        if (!s->service) {
            sb_free(&sb);
            return qb_fail(c, src, "a udp chardev needs a connect-mode service= (the port)");
        }
        sb_addf(&sb, "udp,id=%s", id);
        add_path(&sb, "host", s->host ? s->host : "localhost");
        add_path(&sb, "port", s->service);
        if (s->bind_host)
            add_path(&sb, "localaddr", s->bind_host);
        if (s->bind_service)
            add_path(&sb, "localport", s->bind_service);
        break;
    case DOM_CHR_NULL:
        sb_addf(&sb, "null,id=%s", id);
        break;
    case DOM_CHR_STDIO:
        sb_addf(&sb, "stdio,id=%s", id);
        break;
    case DOM_CHR_VC:
        sb_addf(&sb, "vc,id=%s", id);
        break;
    case DOM_CHR_SPICEVMC:
        sb_addf(&sb, "spicevmc,id=%s,name=%s", id, spice_name ? spice_name : "vdagent");
        break;
    case DOM_CHR_SPICEPORT:
        if (!s->channel) {
            sb_free(&sb);
            return qb_fail(c, src, "a spiceport chardev needs <source channel=...>");
        }
        sb_addf(&sb, "spiceport,id=%s", id);
        add_path(&sb, "name", s->channel);
        break;
    case DOM_CHR_QEMU_VDAGENT:
        sb_addf(&sb, "qemu-vdagent,id=%s,name=vdagent", id);
        break;
    default:
        sb_free(&sb);
        return qb_fail(c, src, "character device type '%s' is not supported",
                       dom_chr_type_to_string(s->type));
    }
    if (s->log_file) {
        add_path(&sb, "logfile", s->log_file);
        if (s->log_append != DOM_TRI_DEFAULT)
            sb_add(&sb, s->log_append == DOM_TRI_ON ? ",logappend=on" : ",logappend=off");
    }
    *ret = sb_steal(&sb);
    return 0;
need_path:
    sb_free(&sb);
    return qb_fail(c, src, "a '%s' character device needs a path",
                   dom_chr_type_to_string(s->type));
}

/* An <address type='isa'> as libvirt writes it: iobase/irq device properties. */
static void qb_isa_addr(struct qj *j, const struct dom_addr *a)
{
    if (a->type != DOM_ADDR_ISA)
        return;
    if (a->has_iobase)
        qj_uint(j, "iobase", a->iobase);
    if (a->has_irq)
        qj_uint(j, "irq", a->irq);
}

/* The console the supervisor attaches to: the first serial port or console on a pty,
 * serial ports first (they are emitted first). */
static void note_console(struct qb_ctx *c, const struct dom_chr *ch, const char *chr_id)
{
    if (!c->r->console_chardev && ch->source.type == DOM_CHR_PTY)
        c->r->console_chardev = xstrdup(chr_id);
}

/* The first guest agent channel QEMU listens on: the supervisor connects to it. */
static void note_agent(struct qb_ctx *c, const struct dom_chr_source *s, const char *name,
                       const char *chr_id)
{
    if (c->r->agent_socket || !name || !STREQ(name, "org.qemu.guest_agent.0") ||
        s->type != DOM_CHR_UNIX || s->mode != DOM_CHR_MODE_BIND || !s->path)
        return;
    c->r->agent_chardev = xstrdup(chr_id);
    c->r->agent_socket = xstrdup(s->path);
}

/* virtio-serial port numbers in use, per controller index. */
struct vs_ports {
    uint32_t used[8];
};

static int build_serial(struct qb_ctx *c, size_t i, unsigned n, const struct dom_chr *ch,
                        const char *chr_id, const char *dev_id)
{
    enum dom_chr_target_model m = serial_model(ch);
    struct qj j;
    enum dom_addr_type want = m == DOM_CHR_MODEL_USB_SERIAL ? DOM_ADDR_USB
                              : m == DOM_CHR_MODEL_PCI_SERIAL ? DOM_ADDR_PCI : DOM_ADDR_ISA;
    if (ch->addr.type != DOM_ADDR_NONE && ch->addr.type != want)
        return qb_fail(c, &ch->src, "a %s cannot take an address of type '%s'",
                       serial_name(ch), dom_addr_type_to_string(ch->addr.type));
    qj_begin(&j);
    switch (m) {
    case DOM_CHR_MODEL_ISA_SERIAL: {
        int port = ch->target_port >= 0 ? ch->target_port : (int)n;
        if (port > 3) {
            free(qj_end(&j));
            return qb_fail(c, &ch->src, "isa-serial port %d does not exist (0-3)", port);
        }
        qj_str(&j, "driver", "isa-serial");
        qj_str(&j, "chardev", chr_id);
        qj_str(&j, "id", dev_id);
        qj_int(&j, "index", port);
        qb_isa_addr(&j, &ch->addr);
        break;
    }
    case DOM_CHR_MODEL_USB_SERIAL:
        qj_str(&j, "driver", "usb-serial");
        qj_str(&j, "chardev", chr_id);
        qj_str(&j, "id", dev_id);
        qj_usb(c, &j, &qb_dev(c, QB_DEV_CHR, i)->usb);
        break;
    case DOM_CHR_MODEL_PCI_SERIAL:
        qj_str(&j, "driver", "pci-serial");
        qj_str(&j, "chardev", chr_id);
        qj_str(&j, "id", dev_id);
        qj_pci(c, &j, &qb_dev(c, QB_DEV_CHR, i)->pci);
        break;
    default:
        free(qj_end(&j));
        return qb_fail(c, &ch->src, "serial target '%s' is not supported", serial_name(ch));
    }
    qb_device(c, QB_SRC(&ch->src), &j);
    return 0;
}

static int vs_address(struct qb_ctx *c, struct vs_ports *vs, const struct dom_chr *ch,
                      unsigned *ret_ctrl, unsigned *ret_bus, unsigned *ret_port, bool console)
{
    unsigned ctrl = 0, bus = 0, port = 0;
    if (ch->addr.type == DOM_ADDR_VIRTIO_SERIAL) {
        ctrl = ch->addr.controller;
        bus = ch->addr.bus;
        if (ch->addr.has_port)
            port = ch->addr.port;
    } else if (ch->addr.type != DOM_ADDR_NONE) {
        return qb_fail(c, &ch->src, "a virtio channel needs a virtio-serial address");
    }
    if (ctrl >= 8 || bus != 0)
        return qb_fail(c, &ch->src, "virtio-serial controller %u bus %u does not exist", ctrl,
                       bus);
    const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_VIRTIO_SERIAL, ctrl);
    unsigned max = ct && ct->c.ports > 0 ? (unsigned)ct->c.ports : 31;
    if (max > 31)
        max = 31;
    if (port) {
        if (port > max)
            return qb_fail(c, &ch->src, "virtio-serial port %u is out of range (max %u)", port,
                           max);
        /* explicit ports were reserved (and checked for clashes) up front */
    } else {
        for (port = console ? 0 : 1; port <= max; port++)
            if (!(vs[0].used[ctrl] & (1u << port)))
                break;
        if (port > max)
            return qb_fail(c, &ch->src, "no free port on virtio-serial controller %u", ctrl);
    }
    vs[0].used[ctrl] |= 1u << port;
    *ret_ctrl = ctrl;
    *ret_bus = bus;
    *ret_port = port;
    return 0;
}

int qb_build_chrs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    unsigned n_serial = 0, n_par = 0, n_chan = 0, n_cons = 0;
    struct vs_ports vs = {{0}};
    int r;
    bool has_serial = false;
    const struct dom_chr *first_cons = NULL;
    for (size_t i = 0; i < dv->n_chrs; i++) {
        has_serial |= dv->chrs[i].kind == DOM_CHR_SERIAL;
        if (dv->chrs[i].kind == DOM_CHR_CONSOLE && !first_cons)
            first_cons = &dv->chrs[i];
    }
    /* libvirt (virDomainDefAddConsoleCompat): with a <serial> and a first <console> that is
     * not a serial console, a stub console mirroring serial0 is inserted at position 0, so
     * the XML's consoles are numbered from 1 (charconsole1/console1). */
    unsigned cons_base = has_serial && first_cons
                         && first_cons->target_type == DOM_CHR_TARGET_VIRTIO ? 1 : 0;

    /* Reserve the explicitly given virtio-serial ports first. */
    for (size_t i = 0; i < dv->n_chrs; i++) {
        const struct dom_chr *ch = &dv->chrs[i];
        if (needs_virtio_serial(ch) && ch->addr.type == DOM_ADDR_VIRTIO_SERIAL
            && ch->addr.has_port && ch->addr.port) {
            if (ch->addr.controller >= 8 || ch->addr.port > 31)
                return qb_fail(c, &ch->src, "virtio-serial address is out of range");
            if (vs.used[ch->addr.controller] & (1u << ch->addr.port))
                return qb_fail(c, &ch->src, "virtio-serial port %u is already in use",
                               ch->addr.port);
            vs.used[ch->addr.controller] |= 1u << ch->addr.port;
        }
    }

    /* libvirt's order: serials, parallels, channels, consoles. */
    for (int pass = 0; pass < 4; pass++) {
        static const enum dom_chr_kind kinds[4] = {DOM_CHR_SERIAL, DOM_CHR_PARALLEL,
                                                   DOM_CHR_CHANNEL, DOM_CHR_CONSOLE};
        for (size_t i = 0; i < dv->n_chrs; i++) {
            const struct dom_chr *ch = &dv->chrs[i];
            if (ch->kind != kinds[pass])
                continue;
            char chr_id[48], dev_id[48];
            _cleanup_free_ char *backend = NULL;
            struct qj j;
            switch (ch->kind) {
            case DOM_CHR_SERIAL: {
                unsigned n = n_serial++;
                snprintf(chr_id, sizeof(chr_id), "charserial%u", n);
                snprintf(dev_id, sizeof(dev_id), "serial%u", n);
                if ((r = qb_chr_backend(c, &ch->source, chr_id, NULL, &ch->src, &backend)) < 0)
                    return r;
                qb_opt(c, QB_SRC(&ch->src), "-chardev", steal_pointer(&backend));
                note_console(c, ch, chr_id);
                if ((r = build_serial(c, i, n, ch, chr_id, dev_id)) < 0)
                    return r;
                break;
            }
            case DOM_CHR_PARALLEL: {
                unsigned n = n_par++;
                snprintf(chr_id, sizeof(chr_id), "charparallel%u", n);
                snprintf(dev_id, sizeof(dev_id), "parallel%u", n);
                if (ch->addr.type != DOM_ADDR_NONE && ch->addr.type != DOM_ADDR_ISA)
                    return qb_fail(c, &ch->src, "a parallel port takes no such address");
                if (ch->target_port > 2)
                    return qb_fail(c, &ch->src, "isa-parallel port %d does not exist (0-2)",
                                   ch->target_port);
                if ((r = qb_chr_backend(c, &ch->source, chr_id, "parallel", &ch->src,
                                        &backend)) < 0)
                    return r;
                qb_opt(c, QB_SRC(&ch->src), "-chardev", steal_pointer(&backend));
                qj_begin(&j);
                qj_str(&j, "driver", "isa-parallel");
                qj_str(&j, "chardev", chr_id);
                qj_str(&j, "id", dev_id);
                /* QEMU numbers parallel ports in creation order; the target port is
                 * given only where it differs (libvirt never sets it). */
                if (ch->target_port >= 0 && (unsigned)ch->target_port != n) {
                    qj_int(&j, "index", ch->target_port);
                    qb_prop(c, "index", QB_ATTR(&ch->src, "target@port"));
                }
                qb_isa_addr(&j, &ch->addr);
                qb_device(c, QB_SRC(&ch->src), &j);
                break;
            }
            case DOM_CHR_CHANNEL: {
                unsigned n = n_chan++;
                if (ch->target_type == DOM_CHR_TARGET_GUESTFWD)
                    return qb_fail(c, &ch->src, "channel target type 'guestfwd' is not "
                                   "supported; only virtio");
                snprintf(chr_id, sizeof(chr_id), "charchannel%u", n);
                snprintf(dev_id, sizeof(dev_id), "channel%u", n);
                const char *name = ch->target_name;
                if (!name && ch->source.type == DOM_CHR_SPICEVMC)
                    name = "com.redhat.spice.0";
                if (!name && ch->source.type == DOM_CHR_QEMU_VDAGENT)
                    name = "com.redhat.spice.0";
                /* Without a name the port gets no name= (libvirt allows it). */
                unsigned vc, vb, vp;
                if ((r = vs_address(c, &vs, ch, &vc, &vb, &vp, false)) < 0)
                    return r;
                struct dom_chr_source s = ch->source;
                _cleanup_free_ char *auto_path = NULL;
                if (s.type == DOM_CHR_UNIX && !s.path) {
                    /* libvirt's qemuDomainPrepareChannel: the target name, or a name
                     * from the port's address when there is none */
                    char port_name[32];
                    snprintf(port_name, sizeof(port_name), "vioser-%02u-%02u-%02u.sock", vc, vb,
                             vp);
                    if ((r = qb_run_socket(c, &ch->src, "channel target name",
                                           name ? name : port_name,
                                           "<source mode='bind' path='...'/>", &auto_path)) < 0)
                        return r;
                    s.path = auto_path;
                    s.mode = DOM_CHR_MODE_BIND;
                }
                if ((r = qb_chr_backend(c, &s, chr_id, "vdagent", &ch->src, &backend)) < 0)
                    return r;
                qb_opt(c, QB_SRC(&ch->src), "-chardev", steal_pointer(&backend));
                note_agent(c, &s, name, chr_id);
                char bus[48];
                const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_VIRTIO_SERIAL, vc);
                snprintf(bus, sizeof(bus), "%s.%u", ct ? ct->id : "virtio-serial0", vb);
                qj_begin(&j);
                qj_str(&j, "driver", "virtserialport");
                qj_str(&j, "bus", bus);
                qj_uint(&j, "nr", vp);
                qj_str(&j, "chardev", chr_id);
                qj_str(&j, "id", dev_id);
                if (name)
                    qj_str(&j, "name", name);
                qb_device(c, QB_SRC(&ch->src), &j);
                break;
            }
            case DOM_CHR_CONSOLE: {
                unsigned n = n_cons++;
                if (ch->target_type != DOM_CHR_TARGET_VIRTIO) {   /* serial */
                    if (n == 0 && has_serial)
                        break;  /* the first console is serial0 itself (libvirt) */
                    if (n == 0) {
                        /* libvirt turns a lone serial console into serial0. */
                        snprintf(chr_id, sizeof(chr_id), "charserial%u", n_serial);
                        snprintf(dev_id, sizeof(dev_id), "serial%u", n_serial);
                        n_serial++;
                        if ((r = qb_chr_backend(c, &ch->source, chr_id, NULL, &ch->src,
                                                &backend)) < 0)
                            return r;
                        qb_opt(c, QB_SRC(&ch->src), "-chardev", steal_pointer(&backend));
                        note_console(c, ch, chr_id);
                        if ((r = build_serial(c, i, 0, ch, chr_id, dev_id)) < 0)
                            return r;
                        break;
                    }
                    return qb_fail(c, &ch->src, "only the first console can be a serial "
                                   "console; use <serial> for more");
                }
                snprintf(chr_id, sizeof(chr_id), "charconsole%u", n + cons_base);
                snprintf(dev_id, sizeof(dev_id), "console%u", n + cons_base);
                if ((r = qb_chr_backend(c, &ch->source, chr_id, "vdagent", &ch->src,
                                        &backend)) < 0)
                    return r;
                qb_opt(c, QB_SRC(&ch->src), "-chardev", steal_pointer(&backend));
                note_console(c, ch, chr_id);
                unsigned vc, vb, vp;
                if ((r = vs_address(c, &vs, ch, &vc, &vb, &vp, true)) < 0)
                    return r;
                char bus[48];
                const struct qb_ctrl *ct = qb_ctrl_find(c, DOM_CTRL_VIRTIO_SERIAL, vc);
                snprintf(bus, sizeof(bus), "%s.%u", ct ? ct->id : "virtio-serial0", vb);
                qj_begin(&j);
                qj_str(&j, "driver", "virtconsole");
                qj_str(&j, "bus", bus);
                qj_uint(&j, "nr", vp);
                qj_str(&j, "chardev", chr_id);
                qj_str(&j, "id", dev_id);
                qb_device(c, QB_SRC(&ch->src), &j);
                break;
            }
            default:
                break;
            }
        }
    }
    return 0;
}

int qb_build_redirdevs(struct qb_ctx *c)
{
    const struct dom_devices *dv = &c->d->dev;
    int r;
    for (size_t i = 0; i < dv->n_redirdevs; i++) {
        const struct dom_redirdev *rd = &dv->redirdevs[i];
        if (rd->source.type != DOM_CHR_SPICEVMC && rd->source.type != DOM_CHR_TCP)
            return qb_fail(c, &rd->src, "redirdev type '%s' is not supported; use spicevmc "
                           "or tcp", dom_chr_type_to_string(rd->source.type));
        char chr_id[32], id[32];
        snprintf(chr_id, sizeof(chr_id), "charredir%zu", i);
        snprintf(id, sizeof(id), "redir%zu", i);
        char *backend = NULL;
        if ((r = qb_chr_backend(c, &rd->source, chr_id, "usbredir", &rd->src, &backend)) < 0)
            return r;
        qb_opt(c, QB_SRC(&rd->src), "-chardev", backend);
        struct qj j;
        qj_begin(&j);
        qj_str(&j, "driver", "usb-redir");
        qj_str(&j, "chardev", chr_id);
        qj_str(&j, "id", id);
        qj_usb(c, &j, &qb_dev(c, QB_DEV_REDIRDEV, i)->usb);
        if (rd->boot_order) {
            qj_uint(&j, "bootindex", rd->boot_order);
            qb_prop(c, "bootindex", QB_ATTR(&rd->src, "boot@order"));
        }
        qb_device(c, QB_SRC(&rd->src), &j);
    }
    return 0;
}
