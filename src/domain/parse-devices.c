/* <devices>: one parser per element family, dispatched from a table. Elements and attributes
 * not handled here are deliberately left unconsumed, so the final walk reports them as
 * unsupported instead of dropping them. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers ---- */

static void *vec_grow(void *vec, size_t *n, size_t size)
{
    vec = xrealloc(vec, (*n + 1) * size);
    memset((char *)vec + *n * size, 0, size);
    (*n)++;
    return vec;
}

/* Appends a zeroed element and returns a pointer to it. */
#define VEC_PUSH(vec, n) ((vec) = vec_grow((vec), &(n), sizeof(*(vec))), &(vec)[(n) - 1])

/* What every device shares: its location for later messages, <alias> (libvirt's runtime
 * naming, ignored by design) and <address>. */
static void dev_common(struct px *p, xmlNode *n, struct dom_src *src, struct dom_addr *addr)
{
    px_src(src, n);
    px_ignore(px_child(p, n, "alias"));
    if (addr)
        px_parse_address(p, n, addr);
}

/* The attribute that selects what a device is (its type, bus...): the value, def when
 * absent (an error if def < 0, i.e. required), -1 after an error. */
static int enum_attr(struct px *p, xmlNode *n, const char *attr, const struct ql_enum *e,
                     int def, const char *what)
{
    int v = def, r = px_attr_enum(p, n, attr, e, 0, what, &v);
    if (r == 0 && def < 0)
        px_err(p, n, NULL, "<%s> needs a %s attribute", (const char *)n->name, attr);
    return r < 0 ? -1 : v;
}

/* A required enum attribute of a child element: "<elem> needs a ATTR attribute". */
#define ENUM_REQ(p, n, attr, e, lvalue)                                                  \
    do {                                                                                \
        if (PX_ENUM((p), (n), (attr), (e), "value", (lvalue)) == 0)                     \
            px_err((p), (n), NULL, "<%s> needs a %s attribute", (const char *)(n)->name, \
                   (attr));                                                             \
    } while (0)

/* A required string attribute. */
static char *attr_req(struct px *p, xmlNode *n, const char *attr)
{
    char *v = px_attr_dup(n, attr);
    if (!v)
        px_err(p, n, NULL, "<%s> needs a %s attribute", (const char *)n->name, attr);
    return v;
}

/* A non-negative attribute into an int field that uses -1 for "unset". */
static void attr_int_unset(struct px *p, xmlNode *n, const char *attr, int *ret)
{
    unsigned v;
    if (px_attr_uint(p, n, attr, &v) <= 0)
        return;
    if (v > INT_MAX)
        px_err(p, n, attr, "value '%u' is too large", v);
    else
        *ret = (int)v;
}

static void parse_boot(struct px *p, xmlNode *dev, unsigned *order)
{
    xmlNode *b = px_child(p, dev, "boot");
    if (!b)
        return;
    int r = px_attr_uint(p, b, "order", order);
    if (r == 0)
        px_err(p, b, NULL, "<boot> needs an order attribute");
    else if (r > 0 && *order == 0)
        px_err(p, b, "order", "boot order '0' is invalid; orders start at 1");
}

/* <rom bar file enabled> of a PCI device (NIC, host device). */
static void parse_rom(struct px *p, xmlNode *dev, char **file, enum dom_tristate *bar,
                      enum dom_tristate *enabled)
{
    xmlNode *rom = px_child(p, dev, "rom");
    if (!rom)
        return;
    px_attr_tristate(p, rom, "bar", bar);
    px_attr_tristate(p, rom, "enabled", enabled);
    *file = px_attr_dup(rom, "file");
}

/* Text of a child element parsed as an unsigned 64-bit number. */
static void child_ull(struct px *p, xmlNode *parent, const char *name, unsigned long long *ret)
{
    xmlNode *c = px_child(p, parent, name);
    if (!c)
        return;
    _cleanup_free_ char *t = px_text(c);
    char *end = NULL;
    if (!*t || !isdigit((unsigned char)*t) ||
        (*ret = strtoull(t, &end, 10), *end) || *ret == ULLONG_MAX)
        px_err(p, c, NULL, "'%s' is not a valid non-negative integer", t);
}

static bool is_pow2(unsigned v)
{
    return v && !(v & (v - 1));
}

/* <seclabel> below a disk or its source is host bookkeeping: ignored by design. */
static void ignore_children(xmlNode *n, const char *name)
{
    for (xmlNode *c = NULL; (c = px_next(n, c, name));)
        px_ignore(c);
}

/* Children that may repeat are capped like devices are. */
static bool too_many(struct px *p, xmlNode *parent, const char *name)
{
    size_t n = px_count(parent, name);
    if (n <= DOM_MAX_DEVICES)
        return false;
    px_err(p, parent, NULL, "%zu <%s> elements exceed the limit of %d", n, name,
           DOM_MAX_DEVICES);
    return true;
}

/* ---- disk ---- */

/* libvirt derives a missing bus from the target name prefix. */
static enum dom_disk_bus bus_from_dev(const char *dev, enum dom_disk_device device)
{
    static const struct { const char *prefix; enum dom_disk_bus bus; } map[] = {
        {"hd", DOM_BUS_IDE}, {"sd", DOM_BUS_SCSI}, {"vd", DOM_BUS_VIRTIO},
        {"fd", DOM_BUS_FDC}, {"ub", DOM_BUS_USB},
    };
    if (device == DOM_DISKDEV_FLOPPY)
        return DOM_BUS_FDC;
    for (size_t i = 0; dev && i < ARRAY_SIZE(map); i++)
        if (strncmp(dev, map[i].prefix, 2) == 0)
            return map[i].bus;
    return DOM_BUS_DEFAULT;
}

static bool wwn_ok(const char *s)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    size_t n = strspn(s, "0123456789abcdefABCDEF");
    return n == 16 && !s[n];
}

static void parse_disk_source(struct px *p, xmlNode *src, struct dom_disk *x)
{
    ignore_children(src, "seclabel");
    /* The block-node index in live XML is libvirt's bookkeeping. */
    px_attr(src, "index");
    /* libvirt (virDomainDiskDefParseValidate): not on network disks; requisite only on
     * cdrom and floppy. Whether the file exists is the host's to say at start. */
    if (PX_ENUM(p, src, "startupPolicy", &dom_startup_policy_enum, "value",
                x->startup_policy) > 0) {
        if (x->type == DOM_DISK_NETWORK)
            px_err(p, src, "startupPolicy", "setting disk %s is not allowed for a disk of "
                   "network type", dom_startup_policy_to_string(x->startup_policy));
        else if (x->startup_policy == DOM_STARTUP_REQUISITE && x->device != DOM_DISKDEV_CDROM
                 && x->device != DOM_DISKDEV_FLOPPY)
            px_err(p, src, "startupPolicy", "setting disk 'requisite' is allowed only for "
                   "cdrom or floppy");
    }
    switch (x->type) {
    case DOM_DISK_FILE:
        x->source = px_attr_dup(src, "file");
        break;
    case DOM_DISK_BLOCK:
        x->source = px_attr_dup(src, "dev");
        break;
    case DOM_DISK_NETWORK:
        if (PX_ENUM(p, src, "protocol", &dom_disk_protocol_enum, "value", x->protocol) == 0)
            px_err(p, src, NULL, "a network disk needs <source protocol=...>");
        x->source = px_attr_dup(src, "name");
        if (too_many(p, src, "host"))
            break;
        for (xmlNode *h = NULL; (h = px_next(src, h, "host"));) {
            struct dom_net_host *nh = VEC_PUSH(x->hosts, x->n_hosts);
            nh->name = px_attr_dup(h, "name");
            if (px_attr_uint(p, h, "port", &nh->port) > 0 && nh->port > 65535)
                px_err(p, h, "port", "port '%u' is out of range", nh->port);
            PX_ENUM(p, h, "transport", &dom_transport_enum, "value", nh->transport);
            nh->socket = px_attr_dup(h, "socket");
            if (!nh->name && !nh->socket)
                px_err(p, h, NULL, "<host> needs a name or socket attribute");
        }
        break;
    case DOM_DISK_VOLUME:
        /* resolved through the pool's definition when the domain is built for this host
         * (host_pool_resolve_disks); mode= only matters for iSCSI pools, refused there */
        x->pool = px_attr_dup(src, "pool");
        x->source = px_attr_dup(src, "volume");
        px_attr(src, "mode");
        if (!x->pool || !x->source)
            px_err(p, src, NULL, "a volume disk needs <source pool=... volume=...>");
        break;
    case DOM_DISK_MAX:
        break;
    }
}

static void parse_disk(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    int type = enum_attr(p, n, "type", &dom_disk_type_enum, DOM_DISK_FILE, "disk type");
    int device = enum_attr(p, n, "device", &dom_disk_device_enum, DOM_DISKDEV_DISK,
                           "disk device");
    if (type < 0 || device < 0) {
        px_ignore(n);   /* reported; the rest would only add noise */
        return;
    }
    struct dom_disk *x = VEC_PUSH(v->disks, v->n_disks);
    dev_common(p, n, &x->src, &x->addr);
    x->type = type;
    x->device = device;
    PX_ENUM(p, n, "snapshot", &dom_disk_snapshot_enum, "value", x->snapshot);
    PX_ENUM(p, n, "model", &dom_virtio_model_enum, "value", x->model);
    ignore_children(n, "seclabel");
    /* QEMU follows the backing chain recorded in the image itself, so libvirt's
     * <backingStore> (empty, or the chain it probed) is ignored by design. */
    px_ignore(px_child(p, n, "backingStore"));

    xmlNode *drv = px_child(p, n, "driver");
    if (drv) {
        PX_ENUM(p, drv, "name", &dom_disk_driver_enum, "value", x->driver_name);
        if (PX_ENUM(p, drv, "type", &dom_disk_format_enum, "value", x->format) > 0
            && x->format == DOM_FMT_ISO)
            x->format = DOM_FMT_RAW;    /* libvirt treats iso as raw */
        PX_ENUM(p, drv, "cache", &dom_disk_cache_enum, "value", x->cache);
        PX_ENUM(p, drv, "io", &dom_disk_io_enum, "value", x->io);
        PX_ENUM(p, drv, "discard", &dom_disk_discard_enum, "value", x->discard);
        PX_ENUM(p, drv, "detect_zeroes", &dom_detect_zeroes_enum, "value", x->detect_zeroes);
        PX_ENUM(p, drv, "error_policy", &dom_error_policy_enum, "value", x->error_policy);
        PX_ENUM_IN(p, drv, "rerror_policy", &dom_error_policy_enum,
                   PX_BIT(DOM_ERRPOL_STOP) | PX_BIT(DOM_ERRPOL_REPORT) | PX_BIT(DOM_ERRPOL_IGNORE),
                   "value", x->rerror_policy);
        px_attr_uint(p, drv, "queues", &x->queues);
        if (px_attr_uint(p, drv, "iothread", &x->iothread) > 0 && x->iothread == 0)
            px_err(p, drv, "iothread", "invalid iothread id '0' (ids start at 1)");
        px_attr_tristate(p, drv, "event_idx", &x->event_idx);
        px_attr_tristate(p, drv, "copy_on_read", &x->copy_on_read);
        if (px_attr_uint(p, drv, "queue_size", &x->queue_size) > 0
            && (x->queue_size < 2 || x->queue_size > 1024
                || (x->queue_size & (x->queue_size - 1))))
            px_err(p, drv, "queue_size", "must be a power of 2 from 2 to 1024");
        px_attr_tristate(p, drv, "ioeventfd", &x->ioeventfd);
    }

    xmlNode *src = px_child(p, n, "source");
    if (src)
        parse_disk_source(p, src, x);
    if (!x->source && x->type != DOM_DISK_NETWORK && x->type != DOM_DISK_VOLUME &&
        (x->device == DOM_DISKDEV_DISK || x->device == DOM_DISKDEV_LUN))
        px_err(p, n, NULL, "a %s needs a <source %s=...>; only cdrom and floppy may be empty",
               dom_disk_device_to_string(x->device), x->type == DOM_DISK_FILE ? "file" : "dev");

    xmlNode *t = px_child(p, n, "target");
    if (!t) {
        px_err(p, n, NULL, "a disk needs a <target dev=...>");
    } else {
        x->dev = attr_req(p, t, "dev");
        int bus = enum_attr(p, t, "bus", &dom_disk_bus_enum, DOM_BUS_DEFAULT, "disk bus");
        x->bus = bus > 0 ? (enum dom_disk_bus)bus : bus_from_dev(x->dev, x->device);
        PX_ENUM(p, t, "tray", &dom_tray_enum, "value", x->tray);
        px_attr_tristate(p, t, "removable", &x->removable);
        if (px_attr_uint(p, t, "rotation_rate", &x->rotation_rate) > 0
            && x->rotation_rate != 1 && (x->rotation_rate < 1025 || x->rotation_rate > 65534))
            px_err(p, t, "rotation_rate", "must be 1 (solid state) or 1025 to 65534 rpm");
    }

    x->readonly = px_child(p, n, "readonly") != NULL;
    x->shareable = px_child(p, n, "shareable") != NULL;
    x->transient = px_child(p, n, "transient") != NULL;
    x->serial = px_child_text(p, n, "serial");
    x->wwn = px_child_text(p, n, "wwn");
    if (x->wwn && !wwn_ok(x->wwn))
        px_err(p, n, NULL, "invalid <wwn> '%s' (expected 16 hex digits)", x->wwn);
    x->vendor = px_child_text(p, n, "vendor");
    if (x->vendor && strlen(x->vendor) > 8)
        px_err(p, n, NULL, "<vendor> '%s' is longer than 8 characters", x->vendor);
    x->product = px_child_text(p, n, "product");
    if (x->product && strlen(x->product) > 16)
        px_err(p, n, NULL, "<product> '%s' is longer than 16 characters", x->product);
    parse_boot(p, n, &x->boot_order);
    /* <blockio> and <geometry>: what the guest is told about the disk */
    xmlNode *bio = px_child(p, n, "blockio");
    if (bio) {
        px_attr_uint(p, bio, "logical_block_size", &x->logical_block_size);
        px_attr_uint(p, bio, "physical_block_size", &x->physical_block_size);
        x->has_discard_granularity = px_attr_uint(p, bio, "discard_granularity",
                                                  &x->discard_granularity) > 0;
    }
    xmlNode *geo = px_child(p, n, "geometry");
    if (geo) {
        int rc = px_attr_uint(p, geo, "cyls", &x->cyls);
        int rh = px_attr_uint(p, geo, "heads", &x->heads);
        int rs = px_attr_uint(p, geo, "secs", &x->secs);
        if (rc == 0 || rh == 0 || rs == 0)
            px_err(p, geo, NULL, "<geometry> needs cyls, heads and secs");
        PX_ENUM(p, geo, "trans", &dom_geometry_trans_enum, "value", x->trans);
    }
    xmlNode *io = px_child(p, n, "iotune");
    if (io) {
        child_ull(p, io, "total_iops_sec", &x->total_iops_sec);
        child_ull(p, io, "total_bytes_sec", &x->total_bytes_sec);
    }
}

/* ---- controller ---- */

/* Controllers without index get the lowest free one of their type after parsing. */
#define CTRL_INDEX_UNSET UINT_MAX

static void parse_controller(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    int type = enum_attr(p, n, "type", &dom_ctrl_type_enum, -1, "controller type");
    if (type < 0) {
        px_ignore(n);
        return;
    }
    struct dom_controller *x = VEC_PUSH(v->controllers, v->n_controllers);
    dev_common(p, n, &x->src, &x->addr);
    x->type = type;
    x->ports = x->vectors = x->max_ports = -1;
    x->chassis = x->target_port = x->chassis_nr = x->busnr = -1;
    x->index = CTRL_INDEX_UNSET;
    if (px_attr_uint(p, n, "index", &x->index) > 0 && x->index >= CTRL_INDEX_UNSET)
        px_err(p, n, "index", "controller index '%u' is too large", x->index);
    const struct ql_enum *models = dom_ctrl_model_enum(x->type);
    if (models)     /* sata, fdc and ccid have none: model= is reported as unsupported */
        PX_ENUM(p, n, "model", models, "value", x->model.any);

    switch (x->type) {
    case DOM_CTRL_USB: {
        attr_int_unset(p, n, "ports", &x->ports);
        xmlNode *m = px_child(p, n, "master");
        if (m) {
            x->has_master = true;
            if (px_attr_uint(p, m, "startport", &x->master_startport) == 0)
                px_err(p, m, NULL, "<master> needs a startport attribute");
        }
        /* libvirt makes ich9-uhciN a companion of the EHCI with the same index, on ports
         * 0, 2 and 4, when <master> is not given. */
        if (!m && x->model.usb >= DOM_USB_ICH9_UHCI1 && x->model.usb <= DOM_USB_ICH9_UHCI3) {
            x->has_master = true;
            x->master_startport = 2 * (unsigned)(x->model.usb - DOM_USB_ICH9_UHCI1);
        }
        break;
    }
    case DOM_CTRL_VIRTIO_SERIAL:
        /* libvirt's ports is QEMU's max_ports; both are filled so either name works. */
        attr_int_unset(p, n, "ports", &x->ports);
        x->max_ports = x->ports;
        attr_int_unset(p, n, "vectors", &x->vectors);
        break;
    case DOM_CTRL_PCI: {
        xmlNode *m = px_child(p, n, "model");
        if (m)
            PX_ENUM(p, m, "name", &dom_pci_model_name_enum, "value", x->model_name);
        xmlNode *h = px_child(p, n, "pcihole64");
        if (h) {
            _cleanup_free_ char *text = px_text(h);
            const char *why = NULL;
            x->has_pcihole64 = true;
            if (dom_parse_memory_unit(text, px_attr(h, "unit"), &x->pcihole64_kib, &why) < 0)
                px_err(p, h, NULL, "invalid <pcihole64> size '%s': %s", text, why);
            else if (x->pcihole64_kib > (1ULL << 42))
                px_err(p, h, NULL, "<pcihole64> size '%s' is larger than 4 PiB (x86's 52-bit "
                       "physical address space)", text);
        }
        xmlNode *t = px_child(p, n, "target");
        if (t) {
            attr_int_unset(p, t, "chassis", &x->chassis);
            attr_int_unset(p, t, "port", &x->target_port);
            attr_int_unset(p, t, "chassisNr", &x->chassis_nr);
            attr_int_unset(p, t, "busNr", &x->busnr);
        }
        break;
    }
    default:
        break;
    }
    xmlNode *drv = px_child(p, n, "driver");
    if (drv) {
        px_attr_uint(p, drv, "queues", &x->queues);
        if (px_attr_uint(p, drv, "iothread", &x->iothread) > 0 && x->iothread == 0)
            px_err(p, drv, "iothread", "invalid iothread id '0' (ids start at 1)");
    }
}

/* Linear per type: the lowest free index is never above the number of controllers. */
static void assign_controller_indexes(struct dom_devices *v)
{
    size_t n = v->n_controllers;
    bool *used = xcalloc(n + 1, sizeof(*used));
    for (int t = 0; t < DOM_CTRL_MAX; t++) {
        memset(used, 0, (n + 1) * sizeof(*used));
        for (size_t i = 0; i < n; i++)
            if (v->controllers[i].type == (enum dom_ctrl_type)t &&
                v->controllers[i].index <= n)
                used[v->controllers[i].index] = true;
        size_t next = 0;
        for (size_t i = 0; i < n; i++) {
            struct dom_controller *c = &v->controllers[i];
            if (c->type != (enum dom_ctrl_type)t || c->index != CTRL_INDEX_UNSET)
                continue;
            while (used[next])
                next++;
            used[next] = true;
            c->index = (unsigned)next;
        }
    }
    free(used);
}

/* ---- interface ---- */

static bool ifname_ok(const char *s)
{
    return strlen(s) <= 15 && !strchr(s, '/') && !strchr(s, '%') && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

static void parse_virtualport(struct px *p, xmlNode *n, struct dom_interface *x)
{
    xmlNode *vp = px_child(p, n, "virtualport");
    if (!vp)
        return;
    PX_ENUM(p, vp, "type", &dom_vport_type_enum, "value", x->vport_type);
    xmlNode *pr = px_child(p, vp, "parameters");
    if (!pr)
        return;
    /* Only the parameters a given type defines are consumed; others are reported. */
    enum dom_vport_type t = x->vport_type;
    bool any = t == DOM_VPORT_DEFAULT, ovs = t == DOM_VPORT_OPENVSWITCH;
    bool qbg = t == DOM_VPORT_8021QBG;
    if (any || ovs || t == DOM_VPORT_MIDONET)
        px_attr_uuid(p, pr, "interfaceid", &x->vport.interfaceid);
    if (any || ovs || t == DOM_VPORT_8021QBH)
        x->vport.profileid = px_attr_dup(pr, "profileid");
    if (any || qbg) {
        px_attr_uuid(p, pr, "instanceid", &x->vport.instanceid);
        x->vport.managerid = px_attr_dup(pr, "managerid");
        x->vport.typeid_ = px_attr_dup(pr, "typeid");
        x->vport.typeidversion = px_attr_dup(pr, "typeidversion");
    }
}

static void parse_interface_source(struct px *p, xmlNode *n, struct dom_interface *x)
{
    if (x->type != DOM_NET_BRIDGE && x->type != DOM_NET_NETWORK && x->type != DOM_NET_DIRECT) {
        /* KubeVirt writes an empty <source/> on its ethernet taps: nothing to honour. A
         * <source> with content (addresses, routes) is left for the unsupported report. */
        xmlNode *s = px_next(n, NULL, "source");
        if (s && !s->properties && !xmlFirstElementChild(s))
            px_child(p, n, "source");
        return;
    }
    xmlNode *src = px_child(p, n, "source");
    const char *tname = dom_net_type_to_string(x->type);
    /* The running form (virsh dumpxml of a started <interface type='network'>) shows the
     * network's actual connection: type='bridge' or 'direct' with the bridge or device it
     * resolved to, plus the network, port group and port it came from. The bridge/device
     * is what QEMU's tap needs; the rest is libvirt's bookkeeping, ignored by design (the
     * port group's settings are already written out on the interface). */
    if (x->type != DOM_NET_NETWORK && src && px_attr(src, "network")) {
        px_attr(src, "portid");
        px_attr(src, "portgroup");
    }
    switch (x->type) {
    case DOM_NET_BRIDGE:
        x->bridge = px_attr_dup(src, "bridge");
        if (!x->bridge)
            px_err(p, src ? src : n, NULL, "an interface of type '%s' needs <source bridge=...>",
                   tname);
        break;
    case DOM_NET_NETWORK:
        x->network = px_attr_dup(src, "network");
        if (!x->network)
            px_err(p, src ? src : n, NULL,
                   "an interface of type '%s' needs <source network=...>", tname);
        x->portgroup = px_attr_dup(src, "portgroup");
        /* Live XML names the bridge the network resolved to; keep it, it is what we need. */
        x->bridge = px_attr_dup(src, "bridge");
        px_attr(src, "portid");   /* libvirt's port bookkeeping, ignored by design */
        break;
    case DOM_NET_DIRECT:
        x->source_dev = px_attr_dup(src, "dev");
        if (!x->source_dev)
            px_err(p, src ? src : n, NULL, "an interface of type '%s' needs <source dev=...>",
                   tname);
        if (PX_ENUM(p, src, "mode", &dom_net_source_mode_enum, "value", x->source_mode) == 0)
            x->source_mode = DOM_MACVTAP_VEPA;      /* libvirt's default */
        break;
    default:
        break;
    }
}

static void parse_interface(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    int type = enum_attr(p, n, "type", &dom_net_type_enum, -1, "interface type");
    if (type < 0) {
        px_ignore(n);
        return;
    }
    struct dom_interface *x = VEC_PUSH(v->interfaces, v->n_interfaces);
    dev_common(p, n, &x->src, &x->addr);
    x->type = type;

    xmlNode *mac = px_child(p, n, "mac");
    const char *ms = mac ? px_attr(mac, "address") : NULL;
    if (ms) {
        x->mac = dom_parse_mac(ms);
        if (!x->mac)
            px_err(p, mac, "address", "invalid MAC address '%s' (expected six unicast hex "
                   "bytes like '52:54:00:12:34:56')", ms);
    } else if (mac) {
        px_err(p, mac, NULL, "<mac> needs an address attribute");
    }

    parse_interface_source(p, n, x);

    xmlNode *t = px_child(p, n, "target");
    if (t) {
        x->target_dev = px_attr_dup(t, "dev");
        if (x->target_dev && !ifname_ok(x->target_dev))
            px_err(p, t, "dev", "invalid interface name '%s' (at most 15 characters, no '/' "
                   "or '%%')", x->target_dev);
        enum dom_tristate managed = DOM_TRI_DEFAULT;
        px_attr_tristate(p, t, "managed", &managed);
        x->target_managed_no = managed == DOM_TRI_OFF;
    }

    xmlNode *m = px_child(p, n, "model");
    const char *model = m ? px_attr(m, "type") : NULL;
    if (model) {
        /* libvirt compares NIC models without case ("VIRTIO" is virtio) */
        for (int k = 1; k < DOM_NIC_MAX && !x->model; k++)
            if (strcasecmp(dom_nic_model_to_string(k), model) == 0)
                x->model = k;
        if (!x->model)
            px_err(p, m, "type", "unsupported NIC model '%s'", model);
    }

    parse_virtualport(p, n, x);

    xmlNode *mtu = px_child(p, n, "mtu");
    if (mtu && px_attr_uint(p, mtu, "size", &x->mtu) == 0)
        px_err(p, mtu, NULL, "<mtu> needs a size attribute");

    xmlNode *drv = px_child(p, n, "driver");
    if (drv) {
        PX_ENUM(p, drv, "name", &dom_net_driver_enum, "value", x->driver_name);
        px_attr_uint(p, drv, "queues", &x->queues);
        PX_ENUM(p, drv, "txmode", &dom_txmode_enum, "value", x->txmode);
        if (px_attr_uint(p, drv, "rx_queue_size", &x->rx_queue_size) > 0 &&
            !is_pow2(x->rx_queue_size))
            px_err(p, drv, "rx_queue_size", "'%u' is not a power of two", x->rx_queue_size);
        if (px_attr_uint(p, drv, "tx_queue_size", &x->tx_queue_size) > 0 &&
            !is_pow2(x->tx_queue_size))
            px_err(p, drv, "tx_queue_size", "'%u' is not a power of two", x->tx_queue_size);
        px_attr_tristate(p, drv, "event_idx", &x->event_idx);
        px_attr_tristate(p, drv, "ioeventfd", &x->ioeventfd);
    }

    xmlNode *script = px_child(p, n, "script");
    if (script)
        x->script = attr_req(p, script, "path");

    xmlNode *vlan = px_child(p, n, "vlan");
    if (vlan && !too_many(p, vlan, "tag")) {
        enum dom_tristate trunk = DOM_TRI_DEFAULT;
        px_attr_tristate(p, vlan, "trunk", &trunk);
        x->vlan_trunk = trunk == DOM_TRI_ON;
        for (xmlNode *tag = NULL; (tag = px_next(vlan, tag, "tag"));) {
            unsigned id = 0;
            int r = px_attr_uint(p, tag, "id", &id);
            if (r == 0)
                px_err(p, tag, NULL, "<tag> needs an id attribute");
            else if (r > 0 && id > 4095)
                px_err(p, tag, "id", "VLAN id '%u' is out of range 0-4095", id);
            if (r <= 0 || id > 4095)
                continue;
            *VEC_PUSH(x->vlan_tags, x->n_vlan_tags) = id;
        }
        if (!x->n_vlan_tags)
            px_err(p, vlan, NULL, "<vlan> needs at least one <tag id=...>");
        else if (x->n_vlan_tags > 1 && trunk == DOM_TRI_OFF)
            px_err(p, vlan, "trunk", "several VLAN tags need trunk='yes'");
        else if (x->n_vlan_tags > 1)
            x->vlan_trunk = true;
    }

    /* libvirt's nwfilter: rules libvirt's daemon keeps and applies on the host */
    xmlNode *fr = px_child(p, n, "filterref");
    if (fr) {
        const char *filter = px_attr(fr, "filter");
        px_err(p, fr, NULL, "network filter%s%s%s (libvirt's nwfilter) is not supported by "
               "qlaunch; filter the guest's traffic on the host (nftables on its tap or "
               "bridge) and remove <filterref>", filter ? " '" : "", filter ? filter : "",
               filter ? "'" : "");
        px_ignore(fr);
    }
    xmlNode *link = px_child(p, n, "link");
    if (link)
        PX_ENUM(p, link, "state", &dom_link_state_enum, "value", x->link_state);
    /* oVirt writes an empty <bandwidth/> on every NIC: no limit, nothing to do. Limits are
     * traffic shaping on the host, which qlaunch does not set up. */
    xmlNode *bw = px_child(p, n, "bandwidth");
    if (bw && xmlFirstElementChild(bw)) {
        px_err(p, bw, NULL, "bandwidth limits (<inbound>/<outbound>) are not supported by "
               "qlaunch; shape the guest's tap on the host (tc) and remove them");
        px_ignore(bw);
    }

    parse_boot(p, n, &x->boot_order);
    parse_rom(p, n, &x->rom_file, &x->rom_bar, &x->rom_enabled);
}

/* ---- input ---- */

static void parse_input(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    int type = enum_attr(p, n, "type", &dom_input_type_enum, -1, "input type");
    int bus = enum_attr(p, n, "bus", &dom_input_bus_enum, DOM_INPUT_BUS_DEFAULT, "input bus");
    if (type < 0 || bus < 0) {
        px_ignore(n);
        return;
    }
    struct dom_input *x = VEC_PUSH(v->inputs, v->n_inputs);
    dev_common(p, n, &x->src, &x->addr);
    x->type = type;
    x->bus = bus;
    if (type == DOM_INPUT_PASSTHROUGH) {
        /* virtio-input-host: a host evdev device handed to the guest as virtio input */
        if (bus == DOM_INPUT_BUS_DEFAULT)
            x->bus = DOM_INPUT_BUS_VIRTIO;
        else if (bus != DOM_INPUT_BUS_VIRTIO)
            px_err(p, n, "bus", "a passthrough input device needs bus='virtio'");
        xmlNode *s = px_child(p, n, "source");
        x->evdev = s ? px_attr_dup(s, "evdev") : NULL;
        if (!x->evdev)
            px_err(p, s ? s : n, NULL, "a passthrough input device needs <source evdev=...>");
    } else if (type == DOM_INPUT_EVDEV) {
        /* input-linux: QEMU reads the host device and feeds the guest's devices */
        if (bus != DOM_INPUT_BUS_DEFAULT)
            px_err(p, n, "bus", "an evdev input device takes no bus (it is not a guest "
                   "device)");
        xmlNode *s = px_child(p, n, "source");
        x->evdev = s ? px_attr_dup(s, "dev") : NULL;
        if (!x->evdev) {
            px_err(p, s ? s : n, NULL, "an evdev input device needs <source dev=...>");
            return;
        }
        PX_ENUM(p, s, "grab", &dom_input_grab_enum, "value", x->grab);
        PX_ENUM(p, s, "grabToggle", &dom_grab_toggle_enum, "value", x->grab_toggle);
        px_attr_tristate(p, s, "repeat", &x->repeat);
    }
}

/* ---- graphics ---- */

static void spice_children(struct px *p, xmlNode *n, struct dom_graphics *x)
{
    xmlNode *c;
    if ((c = px_child(p, n, "image")))
        ENUM_REQ(p, c, "compression", &dom_spice_image_enum, x->image_compression);
    if ((c = px_child(p, n, "jpeg")))
        ENUM_REQ(p, c, "compression", &dom_spice_wan_enum, x->jpeg_compression);
    if ((c = px_child(p, n, "zlib")))
        ENUM_REQ(p, c, "compression", &dom_spice_wan_enum, x->zlib_compression);
    if ((c = px_child(p, n, "playback")))
        ENUM_REQ(p, c, "compression", &dom_tristate_enum, x->playback_compression);
    if ((c = px_child(p, n, "streaming")))
        ENUM_REQ(p, c, "mode", &dom_spice_streaming_enum, x->streaming_mode);
    if ((c = px_child(p, n, "mouse")))
        ENUM_REQ(p, c, "mode", &dom_spice_mouse_enum, x->mouse_mode);
    if ((c = px_child(p, n, "clipboard")))
        px_attr_tristate(p, c, "copypaste", &x->copypaste);
    if ((c = px_child(p, n, "filetransfer")))
        px_attr_tristate(p, c, "enable", &x->filetransfer);
    if ((c = px_child(p, n, "gl"))) {
        px_attr_tristate(p, c, "enable", &x->gl);
        x->gl_rendernode = px_attr_dup(c, "rendernode");
    }
    if (too_many(p, n, "channel"))
        return;
    for (c = NULL; (c = px_next(n, c, "channel"));) {
        struct dom_spice_channel *ch = VEC_PUSH(x->channels, x->n_channels);
        ENUM_REQ(p, c, "name", &dom_spice_channel_name_enum, ch->name);
        ENUM_REQ(p, c, "mode", &dom_spice_mode_enum, ch->mode);
    }
}

/* The address goes into -vnc/-spice and is where the launcher looks for a free port: a
 * host name or an IP address, never option syntax ('websocket=0.0.0.0', ',to=99'). */
static char *listen_address(struct px *p, xmlNode *n, const char *attr)
{
    char *a = px_attr_dup(n, attr);
    if (a && !dom_listen_address_ok(a)) {
        px_err(p, n, attr, "listen address '%s' is not an IPv4 or IPv6 address or a host name",
               a);
        free(a);
        return NULL;
    }
    return a;
}

static void parse_listens(struct px *p, xmlNode *n, struct dom_graphics *x)
{
    if (too_many(p, n, "listen"))
        return;
    for (xmlNode *l = NULL; (l = px_next(n, l, "listen"));) {
        int t = enum_attr(p, l, "type", &dom_listen_type_enum, -1, "listen type");
        if (t < 0)
            continue;
        struct dom_listen *li = VEC_PUSH(x->listens, x->n_listens);
        li->type = t;
        switch (li->type) {
        case DOM_LISTEN_ADDRESS:
            li->address = listen_address(p, l, "address");
            break;
        case DOM_LISTEN_NETWORK:
            li->network = attr_req(p, l, "network");
            li->address = listen_address(p, l, "address"); /* the resolved one, live XML */
            break;
        case DOM_LISTEN_SOCKET:
            li->socket = px_attr_dup(l, "socket");
            break;
        default:
            break;
        }
    }
    /* libvirt requires the legacy listen attribute to agree with the first <listen>. */
    if (x->listen && x->n_listens && x->listens[0].type == DOM_LISTEN_ADDRESS &&
        x->listens[0].address && !STREQ(x->listen, x->listens[0].address))
        px_err(p, n, "listen", "listen address '%s' does not match the first <listen "
               "address='%s'>", x->listen, x->listens[0].address);
}

/* n digits at s as a number, or -1. */
static int fixed_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* libvirt's passwdValidTo: YYYY-MM-DDTHH:MM:SS in UTC, as `virsh dumpxml` prints it. libvirt
 * lets timegm() fold an impossible date into the next month; qlaunch rejects it instead,
 * since a password would then expire at a time nobody wrote. Computed without timegm (no
 * time zone, no clock): days since 1970 by the civil-calendar formula. */
static int parse_utc_datetime(const char *s, int64_t *ret)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (strlen(s) != sizeof(shape) - 1)
        return -EINVAL;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] != 'd' && s[i] != shape[i])
            return -EINVAL;
    int y = fixed_digits(s, 4), mo = fixed_digits(s + 5, 2), d = fixed_digits(s + 8, 2);
    int h = fixed_digits(s + 11, 2), mi = fixed_digits(s + 14, 2), sec = fixed_digits(s + 17, 2);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
        sec > 59)
        return -EINVAL;
    /* Howard Hinnant's days_from_civil, for years from 1970 on. */
    int64_t yy = mo <= 2 ? y - 1 : y;
    int64_t era = yy / 400, yoe = yy - era * 400;
    int64_t doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    *ret = days * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

static void parse_graphics(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    int type = enum_attr(p, n, "type", &dom_gfx_type_enum, -1, "graphics type");
    if (type < 0) {
        px_ignore(n);
        return;
    }
    struct dom_graphics *x = VEC_PUSH(v->graphics, v->n_graphics);
    dev_common(p, n, &x->src, NULL);
    x->type = type;
    x->port = x->tls_port = x->websocket = -1;
    bool spice = x->type == DOM_GFX_SPICE;

    /* port='-1' is libvirt's legacy spelling of autoport. */
    px_attr_int(p, n, "port", &x->port);
    if (x->port < -1 || x->port > 65535)
        px_err(p, n, "port", "port '%d' is out of range", x->port);
    if (spice) {
        px_attr_int(p, n, "tlsPort", &x->tls_port);
        if (x->tls_port < -1 || x->tls_port > 65535)
            px_err(p, n, "tlsPort", "port '%d' is out of range", x->tls_port);
    } else {
        px_attr_int(p, n, "websocket", &x->websocket);
        if (x->websocket < -1 || x->websocket > 65535)
            px_err(p, n, "websocket", "port '%d' is out of range", x->websocket);
        PX_ENUM(p, n, "sharePolicy", &dom_vnc_share_enum, "value", x->share_policy);
    }
    px_attr_tristate(p, n, "autoport", &x->autoport);
    x->listen = listen_address(p, n, "listen");
    /* The secret is copied and never put in a message. */
    x->passwd = px_attr_dup(n, "passwd");
    x->passwd_valid_to = px_attr_dup(n, "passwdValidTo");
    if (x->passwd_valid_to && parse_utc_datetime(x->passwd_valid_to,
                                                 &x->passwd_valid_to_epoch) < 0)
        px_err(p, n, "passwdValidTo", "passwdValidTo='%s' is not a date and time "
               "YYYY-MM-DDTHH:MM:SS (UTC)", x->passwd_valid_to);
    PX_ENUM(p, n, "connected", &dom_gfx_connected_enum, "value", x->connected);
    x->keymap = px_attr_dup(n, "keymap");
    if (spice)
        PX_ENUM(p, n, "defaultMode", &dom_spice_mode_enum, "value", x->default_mode);

    parse_listens(p, n, x);
    /* An empty address is no address (it would make QEMU listen on every interface). */
    if (x->listen && !*x->listen) {
        free(x->listen);
        x->listen = NULL;
    }
    for (size_t i = 0; i < x->n_listens; i++)
        if (x->listens[i].address && !*x->listens[i].address) {
            free(x->listens[i].address);
            x->listens[i].address = NULL;
        }
    if (!spice) {
        /* Legacy <graphics type='vnc' socket=...> is a socket listen. */
        const char *sock = px_attr(n, "socket");
        bool have = false;
        for (size_t i = 0; i < x->n_listens; i++)
            have |= x->listens[i].type == DOM_LISTEN_SOCKET;
        if (sock && !have) {
            struct dom_listen *li = VEC_PUSH(x->listens, x->n_listens);
            li->type = DOM_LISTEN_SOCKET;
            li->socket = xstrdup(sock);
        }
        /* As libvirt (qemuDomainRecheckInternalPaths): a VNC socket in libvirt's own
         * per-domain directory was generated by libvirt for an earlier run (a live XML);
         * it is dropped and the display listens on the default address with autoport. */
        for (size_t i = 0; i < x->n_listens; i++) {
            struct dom_listen *li = &x->listens[i];
            if (li->type == DOM_LISTEN_SOCKET && li->socket
                && !strncmp(li->socket, "/var/lib/libvirt/qemu/domain-",
                            strlen("/var/lib/libvirt/qemu/domain-"))) {
                px_note(p, n, NULL, "VNC socket '%s' was generated by libvirt for an earlier "
                        "run: it is dropped and the display listens on 127.0.0.1 with "
                        "autoport, as libvirt does", li->socket);
                free(li->socket);
                li->socket = NULL;
                li->type = DOM_LISTEN_ADDRESS;
            }
        }
    } else if (!px_attr(n, "port") && x->tls_port <= 0 && x->autoport != DOM_TRI_ON
               && !x->listen && !x->n_listens) {
        /* As libvirt's parser: SPICE without a port, tlsPort, autoport='yes' or any listen
         * gets <listen type='none'/>: QEMU's SPICE server then listens nowhere (port=0)
         * and clients connect through the management socket only. */
        px_note(p, n, NULL, "SPICE without port, tlsPort, autoport='yes' or <listen> does "
                "not listen on the network (libvirt's <listen type='none'/>); use "
                "autoport='yes' for a port on 127.0.0.1");
        struct dom_listen *li = VEC_PUSH(x->listens, x->n_listens);
        li->type = DOM_LISTEN_NONE;
    }
    if (spice)
        spice_children(p, n, x);
}

/* ---- video, sound, audio ---- */

static void parse_video(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_video *x = VEC_PUSH(v->videos, v->n_videos);
    dev_common(p, n, &x->src, &x->addr);
    xmlNode *m = px_child(p, n, "model");
    if (!m)
        return;     /* the builder picks the default model */
    PX_ENUM(p, m, "type", &dom_video_model_enum, "value", x->model);
    px_attr_ull(p, m, "ram", &x->ram);
    px_attr_ull(p, m, "vram", &x->vram);
    px_attr_ull(p, m, "vram64", &x->vram64);
    px_attr_ull(p, m, "vgamem", &x->vgamem);
    px_attr_uint(p, m, "heads", &x->heads);
    px_attr_tristate(p, m, "primary", &x->primary);
    xmlNode *acc = px_child(p, m, "acceleration");
    if (acc)
        px_attr_tristate(p, acc, "accel3d", &x->accel3d);
    /* <driver> is not consumed: it is reported as unsupported. */
}

static void parse_sound(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_sound *x = VEC_PUSH(v->sounds, v->n_sounds);
    dev_common(p, n, &x->src, &x->addr);
    ENUM_REQ(p, n, "model", &dom_sound_model_enum, x->model);
    /* Codecs exist only on the HDA controllers; elsewhere they are reported. */
    if ((x->model == DOM_SOUND_ICH6 || x->model == DOM_SOUND_ICH9) && !too_many(p, n, "codec")) {
        for (xmlNode *c = NULL; (c = px_next(n, c, "codec"));) {
            enum dom_sound_codec t = DOM_CODEC_DEFAULT;
            ENUM_REQ(p, c, "type", &dom_sound_codec_enum, t);
            if (t)
                *VEC_PUSH(x->codecs, x->n_codecs) = t;
        }
    }
    xmlNode *a = px_child(p, n, "audio");
    if (a && px_attr_uint(p, a, "id", &x->audio_id) == 0)
        px_err(p, a, NULL, "<audio> needs an id attribute");
}

static void parse_audio(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_audio *x = VEC_PUSH(v->audios, v->n_audios);
    dev_common(p, n, &x->src, NULL);
    int r = px_attr_uint(p, n, "id", &x->id);
    if (r == 0 || (r > 0 && x->id == 0))
        px_err(p, n, "id", "an <audio> needs an id of at least 1");
    for (size_t i = 0; r > 0 && i + 1 < v->n_audios; i++)
        if (v->audios[i].id == x->id)
            px_err(p, n, "id", "audio id '%u' is used twice", x->id);
    /* The host backends Debian 12's QEMU ships as modules (audio-alsa.so, audio-oss.so);
     * pulseaudio, sdl, jack, file and dbus are not honoured. */
    ENUM_REQ(p, n, "type", &dom_audio_type_enum, x->type);
}

/* ---- serial, console, parallel, channel ---- */

static void parse_chr_target(struct px *p, xmlNode *n, struct dom_chr *x)
{
    xmlNode *t = px_child(p, n, "target");
    if (!t) {
        if (x->kind == DOM_CHR_CHANNEL)
            px_err(p, n, NULL, "a <channel> needs a <target type=...>");
        return;
    }
    const struct ql_enum *types = &dom_chr_target_enum;
    switch (x->kind) {
    case DOM_CHR_SERIAL: {
        PX_ENUM_IN(p, t, "type", types, PX_BIT(DOM_CHR_TARGET_ISA_SERIAL)
                   | PX_BIT(DOM_CHR_TARGET_USB_SERIAL) | PX_BIT(DOM_CHR_TARGET_PCI_SERIAL)
                   | PX_BIT(DOM_CHR_TARGET_ISA_DEBUG), "value", x->target_type);
        attr_int_unset(p, t, "port", &x->target_port);
        xmlNode *m = px_child(p, t, "model");
        if (m)
            ENUM_REQ(p, m, "name", &dom_chr_target_model_enum, x->target_model);
        break;
    }
    case DOM_CHR_CONSOLE:
        PX_ENUM_IN(p, t, "type", types, PX_BIT(DOM_CHR_TARGET_SERIAL)
                   | PX_BIT(DOM_CHR_TARGET_VIRTIO), "value", x->target_type);
        attr_int_unset(p, t, "port", &x->target_port);
        break;
    case DOM_CHR_PARALLEL:
        attr_int_unset(p, t, "port", &x->target_port);
        break;
    case DOM_CHR_CHANNEL: {
        int r = PX_ENUM_IN(p, t, "type", types, PX_BIT(DOM_CHR_TARGET_VIRTIO)
                           | PX_BIT(DOM_CHR_TARGET_GUESTFWD), "value", x->target_type);
        if (r == 0) {
            px_err(p, t, NULL, "a channel <target> needs a type attribute");
        } else if (r < 0) {
            px_ignore(t);   /* reported; its other attributes depend on the type */
        } else if (x->target_type == DOM_CHR_TARGET_VIRTIO) {
            x->target_name = px_attr_dup(t, "name");
            PX_ENUM(p, t, "state", &dom_chr_state_enum, "value", x->target_state);
            /* libvirt's default name for the SPICE agent channel */
            if (!x->target_name && (x->source.type == DOM_CHR_SPICEVMC ||
                                    x->source.type == DOM_CHR_QEMU_VDAGENT))
                x->target_name = xstrdup("com.redhat.spice.0");
        } else {
            x->target_address = attr_req(p, t, "address");
            attr_int_unset(p, t, "port", &x->target_port);
            if (x->target_port < 0)
                px_err(p, t, NULL, "a guestfwd channel <target> needs a port attribute");
        }
        break;
    }
    default:
        break;
    }
}

static void parse_chr(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    int type = enum_attr(p, n, "type", &dom_chr_type_enum, DOM_CHR_PTY,
                         "character device type");
    if (type < 0) {
        px_ignore(n);
        return;
    }
    struct dom_chr *x = VEC_PUSH(v->chrs, v->n_chrs);
    dev_common(p, n, &x->src, &x->addr);
    x->kind = dom_chr_kind_from_string((const char *)n->name);
    x->target_port = -1;
    px_attr(n, "tty");   /* live XML's allocated pty, informational */
    px_parse_chr_source(p, n, type, &x->source);
    parse_chr_target(p, n, x);
}

/* ---- redirdev, memballoon, rng, watchdog, panic ---- */

static void parse_redirdev(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    const char *tv = px_attr(n, "type");
    int type = dom_chr_type_from_string(tv);
    if (!tv)
        px_err(p, n, NULL, "<redirdev> needs a type attribute");
    else if (type != DOM_CHR_SPICEVMC && type != DOM_CHR_TCP && type != DOM_CHR_UNIX)
        px_err(p, n, "type", "unsupported redirdev type '%s' (qlaunch supports: spicevmc, tcp, "
               "unix)", tv);
    if (type != DOM_CHR_SPICEVMC && type != DOM_CHR_TCP && type != DOM_CHR_UNIX) {
        px_ignore(n);
        return;
    }
    struct dom_redirdev *x = VEC_PUSH(v->redirdevs, v->n_redirdevs);
    dev_common(p, n, &x->src, &x->addr);
    PX_ENUM(p, n, "bus", &dom_usb_bus_enum, "value", x->bus);  /* usb also when not given */
    px_parse_chr_source(p, n, type, &x->source);
    parse_boot(p, n, &x->boot_order);
}

static void parse_memballoon(struct px *p, xmlNode *n)
{
    struct dom_memballoon *x = &p->dom->dev.memballoon;
    if (x->present) {
        px_err(p, n, NULL, "only one <memballoon> is allowed");
        px_ignore(n);
        return;
    }
    x->present = true;
    x->stats_period = -1;
    dev_common(p, n, &x->src, &x->addr);
    ENUM_REQ(p, n, "model", &dom_balloon_model_enum, x->model);
    px_attr_tristate(p, n, "autodeflate", &x->autodeflate);
    px_attr_tristate(p, n, "freePageReporting", &x->free_page_reporting);
    xmlNode *st = px_child(p, n, "stats");
    if (st)
        attr_int_unset(p, st, "period", &x->stats_period);
}

static void parse_rng(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_rng *x = VEC_PUSH(v->rngs, v->n_rngs);
    dev_common(p, n, &x->src, &x->addr);
    ENUM_REQ(p, n, "model", &dom_virtio_model_enum, x->model);
    xmlNode *rate = px_child(p, n, "rate");
    if (rate) {
        int r = px_attr_uint(p, rate, "bytes", &x->rate_bytes);
        if (r == 0 || (r > 0 && x->rate_bytes == 0))
            px_err(p, rate, "bytes", "<rate> needs bytes of at least 1");
        px_attr_uint(p, rate, "period", &x->rate_period);
    }
    xmlNode *b = px_child(p, n, "backend");
    if (!b) {
        px_err(p, n, NULL, "an <rng> needs a <backend>");
        return;
    }
    int r = PX_ENUM(p, b, "model", &dom_rng_backend_enum, "value", x->backend_model);
    if (r <= 0) {
        if (r == 0)
            px_err(p, b, NULL, "<backend> needs a model attribute");
        px_ignore(b);
        return;
    }
    if (x->backend_model == DOM_RNG_RANDOM) {
        x->backend_path = px_text(b);
        if (!*x->backend_path) {
            free(x->backend_path);
            x->backend_path = NULL;     /* the builder uses /dev/random, as libvirt */
        }
    } else if (x->backend_model == DOM_RNG_EGD) {
        int type = enum_attr(p, b, "type", &dom_chr_type_enum, -1, "egd backend type");
        if (type >= 0)
            px_parse_chr_source(p, b, type, &x->egd);
    }
}

static void parse_watchdog(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_watchdog *x = VEC_PUSH(v->watchdogs, v->n_watchdogs);
    dev_common(p, n, &x->src, &x->addr);
    ENUM_REQ(p, n, "model", &dom_watchdog_model_enum, x->model);
    PX_ENUM(p, n, "action", &dom_watchdog_action_enum, "value", x->action);
}

static void parse_panic(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_panic *x = VEC_PUSH(v->panics, v->n_panics);
    dev_common(p, n, &x->src, &x->addr);
    PX_ENUM(p, n, "model", &dom_panic_model_enum, "value", x->model);
}

static void parse_hub(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_hub *x = VEC_PUSH(v->hubs, v->n_hubs);
    dev_common(p, n, &x->src, &x->addr);
    ENUM_REQ(p, n, "type", &dom_usb_bus_enum, x->type);
}

/* <tpm model><backend type version persistent_state>: <active_pcr_banks> for an emulator,
 * <device path> for passthrough. What else libvirt knows there (<encryption>, <source>,
 * <profile>) stays unconsumed and is reported by the final walk. */
static void parse_tpm(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_tpm *x = VEC_PUSH(v->tpms, v->n_tpms);
    dev_common(p, n, &x->src, &x->addr);
    PX_ENUM(p, n, "model", &dom_tpm_model_enum, "TPM model", x->model);
    xmlNode *b = px_child(p, n, "backend");
    if (!b) {
        px_err(p, n, NULL, "a <tpm> needs a <backend>");
        return;
    }
    ENUM_REQ(p, b, "type", &dom_tpm_backend_enum, x->backend);
    if (x->backend == DOM_TPM_PASSTHROUGH) {
        xmlNode *dev = px_child(p, b, "device");
        if (dev)
            x->device_path = px_attr_dup(dev, "path");
        return;
    }
    if (x->backend != DOM_TPM_EMULATOR)
        return;
    PX_ENUM(p, b, "version", &dom_tpm_version_enum, "TPM version", x->version);
    px_attr_tristate(p, b, "persistent_state", &x->persistent_state);
    xmlNode *banks = px_child(p, b, "active_pcr_banks");
    for (xmlNode *k = NULL; banks && (k = px_next_elem(banks, k));) {
        int bank = k->ns ? -1 : dom_tpm_pcr_bank_from_string((const char *)k->name);
        if (bank < 0)
            continue;   /* left for the final walk to report */
        px_use(k);
        x->pcr_banks |= 1u << bank;
    }
}

/* ---- hostdev ---- */

/* A required unsigned attribute with a maximum (PCI and USB source addresses). */
static void uint_max(struct px *p, xmlNode *n, const char *attr, unsigned max, unsigned *ret)
{
    int r = px_attr_uint(p, n, attr, ret);
    if (r == 0)
        px_err(p, n, NULL, "<%s> needs a %s attribute", (const char *)n->name, attr);
    else if (r > 0 && *ret > max)
        px_err(p, n, attr, "value '%s' is out of range (maximum %#x)", px_attr(n, attr), max);
}

static void parse_hostdev_pci(struct px *p, xmlNode *n, xmlNode *src, struct dom_hostdev *x)
{
    xmlNode *a = px_child(p, src, "address");
    if (!a) {
        px_err(p, src, NULL, "a PCI <hostdev> needs <source><address domain bus slot "
               "function/>");
        return;
    }
    px_attr(a, "type");     /* type='pci' may be written out; it is the only kind here */
    if (px_attr_uint(p, a, "domain", &x->pci_domain) > 0 && x->pci_domain > 0xffff)
        px_err(p, a, "domain", "value '%s' is out of range (maximum 0xffff)",
               px_attr(a, "domain"));
    uint_max(p, a, "bus", 0xff, &x->pci_bus);
    uint_max(p, a, "slot", 0x1f, &x->pci_slot);
    uint_max(p, a, "function", 0x7, &x->pci_function);
    xmlNode *drv = px_child(p, n, "driver");
    if (drv) {
        const char *name = px_attr(drv, "name");
        if (name && !STREQ(name, "vfio"))
            px_err(p, drv, "name", "PCI device assignment with driver '%s' is not supported: "
                   "only VFIO is (legacy KVM and Xen assignment are gone from QEMU); write "
                   "name='vfio' or leave <driver> out", name);
        x->driver_model = px_attr_dup(drv, "model");
        /* it names a directory below /sys/bus/pci/drivers */
        if (x->driver_model && (strchr(x->driver_model, '/') || x->driver_model[0] == '.'
                                || strlen(x->driver_model) > 64))
            px_err(p, drv, "model", "'%s' is not a kernel driver name", x->driver_model);
    }
    parse_rom(p, n, &x->rom_file, &x->rom_bar, &x->rom_enabled);
}

static void parse_hostdev_usb(struct px *p, xmlNode *src, struct dom_hostdev *x)
{
    PX_ENUM(p, src, "guestReset", &dom_usb_guest_reset_enum, "value", x->guest_reset);
    xmlNode *vendor = px_child(p, src, "vendor"), *product = px_child(p, src, "product");
    if (vendor || product) {
        if (!vendor || !product)
            px_err(p, src, NULL, "a USB <hostdev> needs both <vendor id> and <product id> "
                   "(or only <address bus device>)");
        if (vendor)
            uint_max(p, vendor, "id", 0xffff, &x->usb_vendor);
        if (product)
            uint_max(p, product, "id", 0xffff, &x->usb_product);
        x->has_vendor = vendor && product;
    }
    xmlNode *a = px_child(p, src, "address");
    if (a) {
        px_attr(a, "type");
        uint_max(p, a, "bus", 999, &x->usb_bus);
        uint_max(p, a, "device", 999, &x->usb_device);
        x->has_usb_addr = true;
    }
    if (!vendor && !product && !a)
        px_err(p, src, NULL, "a USB <hostdev> needs <vendor id>+<product id> or <address bus "
               "device> in its <source>");
}

static void parse_hostdev(struct px *p, xmlNode *n)
{
    const char *mode = px_attr(n, "mode");
    if (mode && !STREQ(mode, "subsystem")) {
        px_err(p, n, "mode", "<hostdev mode='%s'> passes host resources into containers "
               "(libvirt's LXC driver); a QEMU guest takes mode='subsystem'", mode);
        px_ignore(n);
        return;
    }
    const char *type = px_attr(n, "type");
    int t = dom_hostdev_type_from_string(type);
    if (t < 0) {
        static const char *const why[][2] = {
            {"scsi", "a host SCSI LUN (scsi-generic): give the guest the block device as "
                     "<disk type='block' device='lun'> instead"},
            {"scsi_host", "a vhost-scsi target (the kernel's LIO): not supported"},
            {"mdev", "a mediated device (vGPU, vfio-ap/ccw): not supported"},
        };
        const char *reason = NULL;
        for (size_t i = 0; type && i < ARRAY_SIZE(why); i++)
            if (STREQ(type, why[i][0]))
                reason = why[i][1];
        if (!type)
            px_err(p, n, NULL, "<hostdev> needs a type attribute (pci or usb)");
        else if (reason)
            px_err(p, n, "type", "<hostdev type='%s'> is %s; qlaunch passes through PCI "
                   "functions (type='pci', VFIO) and USB devices (type='usb')", type, reason);
        else
            px_err(p, n, "type", "unknown host device type '%s' (qlaunch supports: pci, usb)",
                   type);
        px_ignore(n);
        return;
    }
    struct dom_devices *v = &p->dom->dev;
    struct dom_hostdev *x = VEC_PUSH(v->hostdevs, v->n_hostdevs);
    dev_common(p, n, &x->src, &x->addr);
    x->type = t;
    enum dom_tristate managed = DOM_TRI_DEFAULT;
    px_attr_tristate(p, n, "managed", &managed);
    x->managed = managed == DOM_TRI_ON;
    parse_boot(p, n, &x->boot_order);
    xmlNode *src = px_child(p, n, "source");
    if (!src) {
        px_err(p, n, NULL, "a <hostdev> needs a <source>");
        return;
    }
    if (x->type == DOM_HOSTDEV_PCI)
        parse_hostdev_pci(p, n, src, x);
    else
        parse_hostdev_usb(p, src, x);
}

/* An octal file mode attribute (fmode='0644'): 0 when absent. */
static unsigned attr_mode(struct px *p, xmlNode *n, const char *attr)
{
    const char *v = px_attr(n, attr);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long m = strtoul(v, &end, 8);
    if (errno || *end || end == v || m == 0 || m > 0777) {
        px_err(p, n, attr, "invalid mode '%s' (octal, 1 to 0777)", v);
        return 0;
    }
    return (unsigned)m;
}

/* <filesystem type accessmode model fmode dmode multidevs>: <driver type wrpolicy queue>,
 * <source dir|socket>, <target dir>, <readonly/>, and virtiofsd's settings (<binary path
 * xattr> with <cache mode>, <sandbox mode>, <lock posix flock>, <thread_pool size>;
 * <openfiles max>). What qlaunch cannot do with them is the builder's to refuse. */
static void parse_filesystem(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    struct dom_fs *x = VEC_PUSH(v->fss, v->n_fss);
    x->thread_pool = -1;
    dev_common(p, n, &x->src, &x->addr);
    PX_ENUM(p, n, "type", &dom_fs_type_enum, "filesystem type", x->type);
    PX_ENUM(p, n, "accessmode", &dom_fs_access_enum, "access mode", x->access);
    PX_ENUM(p, n, "model", &dom_virtio_model_enum, "filesystem model", x->model);
    PX_ENUM(p, n, "multidevs", &dom_fs_multidevs_enum, "multidevs", x->multidevs);
    x->fmode = attr_mode(p, n, "fmode");
    x->dmode = attr_mode(p, n, "dmode");
    xmlNode *c;
    if ((c = px_child(p, n, "driver"))) {
        PX_ENUM(p, c, "type", &dom_fs_driver_enum, "filesystem driver", x->driver);
        PX_ENUM(p, c, "wrpolicy", &dom_fs_wrpolicy_enum, "write policy", x->wrpolicy);
        if (px_attr_uint(p, c, "queue", &x->queue) > 0 && (x->queue == 0 || x->queue > 1024))
            px_err(p, c, "queue", "must be 1 to 1024");
    }
    if ((c = px_child(p, n, "source"))) {
        x->source = px_attr_dup(c, "dir");
        x->socket = px_attr_dup(c, "socket");
        if (x->source && x->socket)
            px_err(p, c, NULL, "<source> takes dir or socket, not both");
        if (!x->source && !x->socket)
            px_err(p, c, NULL, "<source> needs a dir attribute (or, for virtiofs, socket)");
    }
    if ((c = px_child(p, n, "target")))
        x->target = attr_req(p, c, "dir");
    else
        px_err(p, n, NULL, "a <filesystem> needs a <target dir> (the guest's mount tag)");
    x->readonly = px_child(p, n, "readonly") != NULL;
    if ((c = px_child(p, n, "binary"))) {
        x->binary = px_attr_dup(c, "path");
        px_attr_tristate(p, c, "xattr", &x->xattr);
        xmlNode *b;
        if ((b = px_child(p, c, "cache")))
            PX_ENUM(p, b, "mode", &dom_fs_cache_enum, "cache mode", x->cache);
        if ((b = px_child(p, c, "sandbox")))
            PX_ENUM(p, b, "mode", &dom_fs_sandbox_enum, "sandbox mode", x->sandbox);
        if ((b = px_child(p, c, "lock"))) {
            px_attr_tristate(p, b, "posix", &x->posix_lock);
            px_attr_tristate(p, b, "flock", &x->flock);
        }
        if ((b = px_child(p, c, "thread_pool")))
            attr_int_unset(p, b, "size", &x->thread_pool);
    }
    if ((c = px_child(p, n, "openfiles")) && px_attr_ull(p, c, "max", &x->openfiles) > 0
        && x->openfiles == 0)
        px_err(p, c, "max", "must be at least 1");
}

static void parse_emulator(struct px *p, xmlNode *n)
{
    struct dom_devices *v = &p->dom->dev;
    if (v->emulator) {
        px_err(p, n, NULL, "element <emulator> may appear only once here");
        px_ignore(n);
        return;
    }
    v->emulator = px_text(n);
    v->emulator_line = (int)xmlGetLineNo(n);
    if (!*v->emulator)
        px_err(p, n, NULL, "<emulator> is empty");
}

/* ---- dispatch ---- */

static const struct {
    const char *name;
    void (*fn)(struct px *p, xmlNode *n);
} handlers[] = {
    {"emulator", parse_emulator},
    {"disk", parse_disk},
    {"controller", parse_controller},
    {"interface", parse_interface},
    {"input", parse_input},
    {"graphics", parse_graphics},
    {"video", parse_video},
    {"sound", parse_sound},
    {"audio", parse_audio},
    {"serial", parse_chr},
    {"console", parse_chr},
    {"parallel", parse_chr},
    {"channel", parse_chr},
    {"redirdev", parse_redirdev},
    {"memballoon", parse_memballoon},
    {"rng", parse_rng},
    {"watchdog", parse_watchdog},
    {"panic", parse_panic},
    {"hub", parse_hub},
    {"tpm", parse_tpm},
    {"hostdev", parse_hostdev},
    {"filesystem", parse_filesystem},
};

void px_parse_devices(struct px *p, xmlNode *devices)
{
    bool skip[ARRAY_SIZE(handlers)] = {false};
    for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
        size_t cnt = px_count(devices, handlers[i].name);
        if (cnt > DOM_MAX_DEVICES) {
            px_err(p, devices, NULL, "%zu <%s> devices exceed the limit of %d", cnt,
                   handlers[i].name, DOM_MAX_DEVICES);
            skip[i] = true;
        }
    }
    for (xmlNode *n = NULL; (n = px_next_elem(devices, n));) {
        if (n->ns)
            continue;   /* foreign namespaces are reported by the final walk */
        for (size_t i = 0; i < ARRAY_SIZE(handlers); i++) {
            if (!STREQ((const char *)n->name, handlers[i].name))
                continue;
            if (skip[i]) {
                px_ignore(n);   /* already reported once for the whole family */
            } else {
                px_use(n);
                handlers[i].fn(p, n);
            }
            break;
        }
    }
    assign_controller_indexes(&p->dom->dev);
}
