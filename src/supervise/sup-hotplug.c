/* Hot-plug on a running domain (issue 10): attach-device and detach-device for disks,
 * interfaces and input devices, and setvcpus --live. A device's XML is read by the domain
 * parser (dom_parse_device) and built by the builder in its hot-plug mode (qb_hotplug), so
 * it gets the options and the address the start would give it; its -blockdev, -netdev
 * and -device options become blockdev-add, netdev_add (the tap passed with getfd) and
 * device_add. Host objects (taps, OVS ports, files given to QEMU's user) are made as at
 * start and recorded in the state before QEMU uses them; the device itself is recorded
 * (struct sup_hotdev) so that a re-attached supervisor knows it.
 *
 * Devices QEMU was started with can be detached too, where QEMU can unplug them: one
 * removed is recorded in the state (struct sup_removed) and kept aside for the builder
 * (struct sup_gone), which must see what QEMU was started with.
 *
 * Detaching waits for the guest: device_del is answered at once, the device goes when
 * QEMU sends DEVICE_DELETED. The wait is a timer on the poll loop; meanwhile every other
 * request is served. A device the guest does not release in time stays attached (and is
 * removed should the guest release it later), and the verb says so. */
#include "config.h"
#include "domain/parse.h"
#include "supervise/ctl-proto.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "host/pool.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define HP_MAX_STEPS 10
#define HP_DETACH_WAIT_S 10     /* the guest's time to release a device, by default */

struct hp_op;
typedef json_object *(*hp_done_fn)(struct hp_op *op);

/* A short sequence of QMP commands sent one after the other; a failed step ends it. */
struct hp_op {
    struct sup *s;
    unsigned client;
    struct {
        const char *cmd;
        json_object *args;
        int fd;                 /* passed with the command (getfd), -1: none */
        json_object *ret;
    } steps[HP_MAX_STEPS];
    size_t n, next;
    hp_done_fn done;            /* all answered: the reply, or NULL to answer later */
    void (*undo)(struct hp_op *op);     /* a step failed: take back what was done */
    enum qb_hot_kind kind;
    size_t index;               /* the device in s->dom */
    unsigned want;              /* setvcpus: the count asked for */
    unsigned wait_s;            /* detach: the guest's time to release the device */
    char *id;                   /* detach: QEMU's name of the device */
};


/* An operation for client (id), who has a reply outstanding already when chained. */
static struct hp_op *op_chain(struct sup *s, unsigned client, hp_done_fn done)
{
    struct hp_op *op = xcalloc(1, sizeof(*op));
    op->s = s;
    op->client = client;
    op->done = done;
    s->hot_busy = true;
    return op;
}

static struct hp_op *op_new(struct sup *s, struct sup_client *c, hp_done_fn done)
{
    c->busy++;
    return op_chain(s, c->id, done);
}

static void op_add(struct hp_op *op, const char *cmd, json_object *args, int fd)
{
    if (op->n == HP_MAX_STEPS)
        abort();
    op->steps[op->n].cmd = cmd;
    op->steps[op->n].args = args;
    op->steps[op->n].fd = fd;
    op->n++;
}

static void op_free(struct hp_op *op)
{
    for (size_t i = 0; i < op->n; i++) {
        json_object_put(op->steps[i].args);
        json_object_put(op->steps[i].ret);
    }
    free(op->id);
    free(op);
}

/* Answers (reply NULL: the answer comes later, from the detach wait) and frees. */
static void op_end(struct hp_op *op, json_object *reply)
{
    struct sup *s = op->s;
    if (reply) {
        s->hot_busy = false;
        sup_client_reply(s, op->client, reply);
    }
    op_free(op);
}

static void op_run(struct hp_op *op);

static void op_fail(struct hp_op *op, const char *msg)
{
    if (op->undo)
        op->undo(op);
    op_end(op, ctl_reply_error("%s", msg));
}

static void on_step(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    (void)conn;
    struct hp_op *op = opaque;
    size_t i = op->next++;
    if (r->error) {
        op_fail(op, r->message);
        return;
    }
    op->steps[i].ret = json_object_get(r->ret);
    op_run(op);
}

static void op_run(struct hp_op *op)
{
    struct sup *s = op->s;
    if (op->next == op->n) {
        op_end(op, op->done(op));
        return;
    }
    struct ql_error err = QL_ERROR_INIT;
    const char *cmd = op->steps[op->next].cmd;
    json_object *args = op->steps[op->next].args;
    int fd = op->steps[op->next].fd;
    int r = !s->qmp ? ql_error_set(&err, ENOTCONN, "the QEMU monitor is not connected")
            : fd >= 0 ? qmp_send_fd(s->qmp, cmd, args, fd, on_step, op, NULL, &err)
                      : qmp_send(s->qmp, cmd, args, on_step, op, NULL, &err);
    if (r < 0) {
        op_fail(op, ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

static json_object *args_id(const char *k, const char *v)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k, json_object_new_string(v));
    return o;
}

/* ---- the running domain's device lists ---- */

static size_t n_of(const struct sup *s, enum qb_hot_kind k)
{
    const struct dom_devices *v = &s->dom->dev;
    return k == QB_HOT_DISK ? v->n_disks : k == QB_HOT_NET ? v->n_interfaces : v->n_inputs;
}

static size_t n_gone_of(const struct sup *s, enum qb_hot_kind k)
{
    size_t n = 0;
    for (size_t g = 0; g < s->n_gone; g++)
        n += s->gone[g].kind == k;
    return n;
}

/* How many of the running domain's devices of kind k QEMU was started with (its first). */
static size_t n_live_start(const struct sup *s, enum qb_hot_kind k)
{
    return s->n_start[k] - n_gone_of(s, k);
}

static const struct sup_gone *gone_at(const struct sup *s, enum qb_hot_kind k, size_t index)
{
    for (size_t g = 0; g < s->n_gone; g++)
        if (s->gone[g].kind == k && s->gone[g].index == index)
            return &s->gone[g];
    return NULL;
}

/* The index among the start's devices of kind k of the running domain's device i. */
static size_t start_index(const struct sup *s, enum qb_hot_kind k, size_t i)
{
    size_t o = 0;
    for (;; o++)
        if (!gone_at(s, k, o) && i-- == 0)
            return o;
}

/* Moves device 0 of kind k from src's lists to the end of the running domain's. */
static size_t device_append(struct sup *s, struct domain *src, enum qb_hot_kind k)
{
    struct dom_devices *v = &s->dom->dev, *f = &src->dev;
    switch (k) {
    case QB_HOT_DISK:
        v->disks = xrealloc(v->disks, (v->n_disks + 1) * sizeof(*v->disks));
        v->disks[v->n_disks] = f->disks[0];
        f->n_disks = 0;
        return v->n_disks++;
    case QB_HOT_NET:
        v->interfaces = xrealloc(v->interfaces, (v->n_interfaces + 1) * sizeof(*v->interfaces));
        v->interfaces[v->n_interfaces] = f->interfaces[0];
        f->n_interfaces = 0;
        return v->n_interfaces++;
    default:
        v->inputs = xrealloc(v->inputs, (v->n_inputs + 1) * sizeof(*v->inputs));
        v->inputs[v->n_inputs] = f->inputs[0];
        f->n_inputs = 0;
        return v->n_inputs++;
    }
}

#define VEC_REMOVE(vec, n, i) memmove(&(vec)[i], &(vec)[(i) + 1], (--(n) - (i)) * sizeof(*(vec)))

/* Takes QEMU's names of device i of kind k out of the builder's result the supervisor
 * keeps (in the running domain's order). */
static void names_remove(struct qb_result *b, enum qb_hot_kind k, size_t i)
{
    if (k == QB_HOT_DISK && i < b->n_disk_ids) {
        size_t n = b->n_disk_ids;
        free(b->disk_ids[i]);
        VEC_REMOVE(b->disk_ids, b->n_disk_ids, i);
        if (b->disk_nodes)
            VEC_REMOVE(b->disk_nodes, n, i);
    } else if (k == QB_HOT_NET && i < b->n_nics) {
        free(b->nics[i].netdev_id);
        free(b->nics[i].device_id);
        VEC_REMOVE(b->nics, b->n_nics, i);
    } else if (k == QB_HOT_INPUT && i < b->n_input_ids) {
        free(b->input_ids[i]);
        VEC_REMOVE(b->input_ids, b->n_input_ids, i);
    }
}

/* Removes device i of kind k from the running domain, with what the supervisor keeps per
 * device (QEMU's names, the NIC's host side, which must have been torn down). The device
 * itself goes to keep when given (a start device, for the builder), else it is freed. */
static void device_remove(struct sup *s, enum qb_hot_kind k, size_t i, struct sup_gone *keep)
{
    struct dom_devices *v = &s->dom->dev;
    names_remove(&s->build, k, i);
    switch (k) {
    case QB_HOT_DISK:
        if (keep)
            keep->u.disk = v->disks[i];
        else
            dom_disk_clear(&v->disks[i]);
        VEC_REMOVE(v->disks, v->n_disks, i);
        break;
    case QB_HOT_NET:
        if (keep)
            keep->u.nic = v->interfaces[i];
        else
            dom_interface_clear(&v->interfaces[i]);
        VEC_REMOVE(v->interfaces, v->n_interfaces, i);
        if (i < s->n_nics) {
            host_nic_teardown(&s->nics[i]);
            VEC_REMOVE(s->nics, s->n_nics, i);
        }
        if (i < s->st.n_nics) {
            free(s->st.nic_taps[i]);
            free(s->st.nic_ovs[i]);
            size_t n = s->st.n_nics;
            VEC_REMOVE(s->st.nic_taps, n, i);
            VEC_REMOVE(s->st.nic_ovs, s->st.n_nics, i);
        }
        break;
    default:
        if (keep)
            keep->u.input = v->inputs[i];
        else
            dom_input_clear(&v->inputs[i]);
        VEC_REMOVE(v->inputs, v->n_inputs, i);
        break;
    }
}

/* The QEMU names of device i of kind k (hot-plugged devices: from their record). */
static const char *device_id(const struct sup *s, enum qb_hot_kind k, size_t i)
{
    size_t n_start = n_live_start(s, k);
    if (i >= n_start) {
        size_t nth = i - n_start;
        for (size_t h = 0; h < s->st.n_hotdevs; h++)
            if (qb_hot_kind_from_string(s->st.hotdevs[h].kind) == (int)k && nth-- == 0)
                return s->st.hotdevs[h].qemu_id;
        return NULL;
    }
    if (k == QB_HOT_DISK)
        return i < s->build.n_disk_ids ? s->build.disk_ids[i] : NULL;
    if (k == QB_HOT_NET)
        return i < s->build.n_nics ? s->build.nics[i].device_id : NULL;
    return i < s->build.n_input_ids ? s->build.input_ids[i] : NULL;
}

static struct sup_hotdev *hotdev_by_id(struct sup *s, const char *id)
{
    for (size_t h = 0; id && h < s->st.n_hotdevs; h++)
        if (strcmp(s->st.hotdevs[h].qemu_id, id) == 0)
            return &s->st.hotdevs[h];
    return NULL;
}

/* Kind and index in the running domain of the hot-plugged device QEMU calls id. */
static bool hotdev_place(const struct sup *s, const struct sup_hotdev *hd, enum qb_hot_kind *k,
                         size_t *ret_i)
{
    int kv = qb_hot_kind_from_string(hd->kind);
    if (kv < 0)
        return false;
    size_t nth = 0;
    for (const struct sup_hotdev *h = s->st.hotdevs; h < hd; h++)
        nth += qb_hot_kind_from_string(h->kind) == kv;
    *k = (enum qb_hot_kind)kv;
    *ret_i = n_live_start(s, *k) + nth;
    return *ret_i < n_of(s, *k);
}

static void hotdev_forget(struct sup *s, struct sup_hotdev *hd)
{
    size_t h = (size_t)(hd - s->st.hotdevs);
    free(hd->kind);
    free(hd->xml);
    free(hd->qemu_id);
    VEC_REMOVE(s->st.hotdevs, s->st.n_hotdevs, h);
}

/* The device's XML as the running domain has it: with its address and MAC. */
static char *device_xml_fill(const char *xml, const char *mac, const struct dom_addr *a)
{
    xmlDoc *doc = xmlReadMemory(xml, (int)strlen(xml), "device.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOBLANKS);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        xmlFreeDoc(doc);
        return xstrdup(xml);
    }
    xmlNode *c = root->children;
    bool has_mac = false, has_addr = false;
    for (; c; c = c->next) {
        has_mac |= c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST "mac") == 0;
        has_addr |= c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST "address") == 0;
    }
    if (mac && !has_mac)
        xmlSetProp(xmlNewChild(root, NULL, BAD_CAST "mac", NULL), BAD_CAST "address",
                   BAD_CAST mac);
    char buf[32];
    if (!has_addr && a->type == DOM_ADDR_PCI) {
        xmlNode *n = xmlNewChild(root, NULL, BAD_CAST "address", NULL);
        xmlSetProp(n, BAD_CAST "type", BAD_CAST "pci");
        xmlSetProp(n, BAD_CAST "domain", BAD_CAST "0x0000");
        snprintf(buf, sizeof(buf), "0x%02x", a->bus);
        xmlSetProp(n, BAD_CAST "bus", BAD_CAST buf);
        snprintf(buf, sizeof(buf), "0x%02x", a->slot);
        xmlSetProp(n, BAD_CAST "slot", BAD_CAST buf);
        snprintf(buf, sizeof(buf), "0x%x", a->function);
        xmlSetProp(n, BAD_CAST "function", BAD_CAST buf);
    } else if (!has_addr && a->type == DOM_ADDR_USB) {
        xmlNode *n = xmlNewChild(root, NULL, BAD_CAST "address", NULL);
        xmlSetProp(n, BAD_CAST "type", BAD_CAST "usb");
        snprintf(buf, sizeof(buf), "%u", a->bus);
        xmlSetProp(n, BAD_CAST "bus", BAD_CAST buf);
        xmlSetProp(n, BAD_CAST "port", BAD_CAST a->usb_port);
    }
    xmlBuffer *b = xmlBufferCreate();
    xmlNodeDump(b, doc, root, 0, 0);
    char *ret = xstrdup((const char *)xmlBufferContent(b));
    xmlBufferFree(b);
    xmlFreeDoc(doc);
    return ret;
}

/* Parses one device's XML; NULL with the first problem in *ret_msg. */
static struct domain *parse_device(const char *xml, enum qb_hot_kind *ret_kind, char **ret_msg)
{
    struct dom_diags diags = {0};
    struct domain *d = NULL;
    *ret_msg = NULL;
    if (dom_parse_device(xml, strlen(xml), "device XML", &d, &diags) < 0) {
        for (size_t i = 0; i < diags.n && !*ret_msg; i++)
            if (diags.v[i].level == DOM_DIAG_ERROR)
                *ret_msg = dom_diag_format(&diags.v[i]);
        if (!*ret_msg)
            *ret_msg = xstrdup("the device XML is not valid");
        dom_diags_free(&diags);
        return NULL;
    }
    dom_diags_free(&diags);
    struct ql_error err = QL_ERROR_INIT;
    if (host_pool_resolve_disks(d, &err) < 0) {
        *ret_msg = xstrdup(ql_error_msg(&err));
        ql_error_clear(&err);
        domain_free(d);
        return NULL;
    }
    const struct dom_devices *v = &d->dev;
    if (v->n_disks)
        *ret_kind = QB_HOT_DISK;
    else if (v->n_interfaces)
        *ret_kind = QB_HOT_NET;
    else if (v->n_inputs)
        *ret_kind = QB_HOT_INPUT;
    else {
        *ret_msg = xstrdup("qlaunch hot-plugs <disk>, <interface> and <input> devices only");
        domain_free(d);
        return NULL;
    }
    return d;
}

/* ---- attach ---- */

/* QEMU's names of the running domain's device i of kind k, the last one, in s->build. */
static void names_add(struct sup *s, enum qb_hot_kind k, size_t i, const char *netdev_id,
                      const char *id, unsigned num)
{
    struct qb_result *b = &s->build;
    if (k == QB_HOT_DISK && i == b->n_disk_ids) {
        b->disk_ids = xrealloc(b->disk_ids, (i + 2) * sizeof(char *));
        b->disk_ids[i] = xstrdup(id);
        b->disk_ids[i + 1] = NULL;
        b->disk_nodes = xrealloc(b->disk_nodes, (i + 1) * sizeof(unsigned));
        b->disk_nodes[i] = num;
        b->n_disk_ids = i + 1;
    } else if (k == QB_HOT_NET && i == b->n_nics) {
        b->nics = xrealloc(b->nics, (i + 1) * sizeof(*b->nics));
        b->nics[i] = (struct qb_nic){netdev_id ? xstrdup(netdev_id)
                                               : xasprintf("hostnet%u", num), xstrdup(id), false};
        b->n_nics = i + 1;
    }
}

static unsigned next_num(struct sup *s, enum qb_hot_kind k)
{
    /* One counter for block nodes and device names made after the start (change-media's
     * too): each number is used once in a QEMU's life. */
    unsigned n = (unsigned)s->n_start[k] + ++s->st.media_seq;
    sup_write_state(s);
    return n;
}

/* A MAC for a NIC without one: libvirt's random 52:54:00 address, not in use yet. */
static char *new_mac(const struct sup *s)
{
    for (int tries = 0; tries < 64; tries++) {
        unsigned char b[3];
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            continue;
        char *m = xasprintf("52:54:00:%02x:%02x:%02x", b[0], b[1], b[2]);
        bool used = false;
        for (size_t i = 0; i < s->dom->dev.n_interfaces; i++)
            used |= s->dom->dev.interfaces[i].mac && strcmp(s->dom->dev.interfaces[i].mac, m) == 0;
        if (!used)
            return m;
        free(m);
    }
    return NULL;
}

/* What cannot be: a target or MAC in use, a relative path. NULL: none. */
static char *attach_conflict(struct sup *s, struct domain *d, enum qb_hot_kind k)
{
    const struct dom_devices *v = &s->dom->dev;
    if (k == QB_HOT_DISK) {
        const struct dom_disk *dk = &d->dev.disks[0];
        for (size_t i = 0; dk->dev && i < v->n_disks; i++)
            if (v->disks[i].dev && strcmp(v->disks[i].dev, dk->dev) == 0)
                return xasprintf("target %s already exists", dk->dev);
        if (dk->source && dk->type != DOM_DISK_NETWORK && dk->source[0] != '/')
            return xasprintf("the disk source must be an absolute path: '%s'", dk->source);
        return NULL;
    }
    if (k == QB_HOT_NET) {
        struct dom_interface *n = &d->dev.interfaces[0];
        if (!n->mac && !(n->mac = new_mac(s)))
            return xstrdup("cannot make a MAC address for the interface");
        for (size_t i = 0; i < v->n_interfaces; i++)
            if (v->interfaces[i].mac && strcmp(v->interfaces[i].mac, n->mac) == 0)
                return xasprintf("MAC address %s is already in use by interface %zu", n->mac, i);
    }
    return NULL;
}

static void disk_ungrant(struct sup *s, size_t i);

static void attach_undo(struct hp_op *op)
{
    struct sup *s = op->s;
    /* What QEMU has of it already goes too; errors only mean it was not there. */
    for (size_t i = 0; i < op->next && i < op->n; i++) {
        const char *cmd = op->steps[i].cmd;
        json_object *a = op->steps[i].args;
        if (strcmp(cmd, "blockdev-add") == 0)
            sup_qmp_fire(s, "blockdev-del", args_id("node-name", ql_json_str(a, "node-name", "")));
        else if (strcmp(cmd, "netdev_add") == 0)
            sup_qmp_fire(s, "netdev_del", args_id("id", ql_json_str(a, "id", "")));
        else if (strcmp(cmd, "getfd") == 0)
            sup_qmp_fire(s, "closefd", args_id("fdname", ql_json_str(a, "fdname", "")));
    }
    const char *id = device_id(s, op->kind, op->index);
    struct sup_hotdev *hd = hotdev_by_id(s, id);
    if (op->kind == QB_HOT_DISK)
        disk_ungrant(s, op->index);
    device_remove(s, op->kind, op->index, NULL);
    if (hd)
        hotdev_forget(s, hd);
    sup_write_state(s);
}

static json_object *attach_done(struct hp_op *op)
{
    struct sup *s = op->s;
    if (op->kind == QB_HOT_NET && op->index < s->n_nics)
        host_nic_close_fds(&s->nics[op->index]);    /* QEMU holds the tap now */
    sup_log(s, "attached %s %s", qb_hot_kind_to_string(op->kind),
            device_id(s, op->kind, op->index));
    sup_broadcast(s, "device-added", device_id(s, op->kind, op->index));
    return ctl_reply_ok();
}

/* The builder's options of the new device as QMP commands. */
static int attach_steps(struct hp_op *op, const struct qb_result *b, struct ql_error *err)
{
    struct sup *s = op->s;
    const struct argv *av = &b->argv;
    for (size_t i = 0; i + 1 < av->n; i += 2) {
        const char *opt = av->v[i];
        json_object *a = json_tokener_parse(av->v[i + 1]);
        if (!a)
            return ql_error_set(err, EINVAL, "internal error: %s is not JSON", opt);
        if (strcmp(opt, "-blockdev") == 0) {
            op_add(op, "blockdev-add", a, -1);
        } else if (strcmp(opt, "-device") == 0) {
            op_add(op, "device_add", a, -1);
        } else if (strcmp(opt, "-netdev") == 0) {
            const char *id = ql_json_str(a, "id", NULL);
            if (ql_json_str(a, "fd", NULL)) {
                const struct host_nic *n = op->index < s->n_nics ? &s->nics[op->index] : NULL;
                if (!id || !n || !n->n_tap_fds || n->tap_fds[0] < 0) {
                    json_object_put(a);
                    return ql_error_set(err, EINVAL, "internal error: no tap for the interface");
                }
                /* QEMU takes the tap under a name, as the netdev names it */
                op_add(op, "getfd", args_id("fdname", id), n->tap_fds[0]);
                json_object_object_add(a, "fd", json_object_new_string(id));
            }
            op_add(op, "netdev_add", a, -1);
        } else {
            json_object_put(a);
            return ql_error_set(err, ENOTSUP, "qlaunch cannot hot-plug a device that needs %s",
                                opt);
        }
    }
    return 0;
}

/* The host side of the new device, as the start makes it (recorded before it exists). */
static int attach_host(struct sup *s, enum qb_hot_kind k, size_t i, struct ql_error *err)
{
    if (k == QB_HOT_DISK) {
        const struct dom_disk *dk = &s->dom->dev.disks[i];
        if (!dk->source || dk->type == DOM_DISK_NETWORK)
            return 0;
        bool write = !dk->readonly && dk->device != DOM_DISKDEV_CDROM;
        return sup_grant_file(s, dk->source, write, err);
    }
    if (k != QB_HOT_NET)
        return 0;
    s->nics = xrealloc(s->nics, (s->n_nics + 1) * sizeof(*s->nics));
    s->st.nic_taps = xrealloc(s->st.nic_taps, (s->st.n_nics + 1) * sizeof(char *));
    s->st.nic_ovs = xrealloc(s->st.nic_ovs, (s->st.n_nics + 1) * sizeof(char *));
    s->nics[s->n_nics++] = (struct host_nic)HOST_NIC_INIT;
    s->st.nic_taps[s->st.n_nics] = NULL;
    s->st.nic_ovs[s->st.n_nics++] = NULL;
    int r = host_nic_setup(s->dom, i, &s->nics[i], err);
    if (r < 0)
        return r;
    s->st.nic_taps[i] = s->nics[i].tap_name ? xstrdup(s->nics[i].tap_name) : NULL;
    s->st.nic_ovs[i] = s->nics[i].ovs_bridge ? xstrdup(s->nics[i].ovs_bridge) : NULL;
    if (s->nics[i].tap_name)
        sup_log(s, "interface %zu: tap '%s'%s%s", i, s->nics[i].tap_name,
                s->nics[i].bridge ? " on bridge " : "", s->nics[i].bridge ? s->nics[i].bridge : "");
    return 0;
}

/* A device array of kind k as the builder sees it: the start's (those detached since back
 * in their places), then with_hot the hot-plugged ones. The devices are shallow copies. */
static void *view_merge(const struct sup *s, enum qb_hot_kind k, const void *live,
                        size_t n_live, size_t size, bool with_hot, size_t *ret_n)
{
    size_t n_start = s->n_start[k];
    size_t n = n_start + (with_hot ? n_live - n_live_start(s, k) : 0);
    char *out = xcalloc(n ? n : 1, size);
    size_t next = 0;
    for (size_t o = 0; o < n; o++) {
        const struct sup_gone *g = o < n_start ? gone_at(s, k, o) : NULL;
        memcpy(out + o * size, g ? (const void *)&g->u : (const char *)live + size * next++,
               size);
    }
    *ret_n = n;
    return out;
}

static void build_view(const struct sup *s, bool with_hot, struct domain *ret)
{
    const struct dom_devices *v = &s->dom->dev;
    *ret = *s->dom;
    ret->dev.disks = view_merge(s, QB_HOT_DISK, v->disks, v->n_disks, sizeof(*v->disks),
                                with_hot, &ret->dev.n_disks);
    ret->dev.interfaces = view_merge(s, QB_HOT_NET, v->interfaces, v->n_interfaces,
                                     sizeof(*v->interfaces), with_hot, &ret->dev.n_interfaces);
    ret->dev.inputs = view_merge(s, QB_HOT_INPUT, v->inputs, v->n_inputs, sizeof(*v->inputs),
                                 with_hot, &ret->dev.n_inputs);
}

void sup_hotplug_start_view(const struct sup *s, struct domain *ret)
{
    build_view(s, false, ret);
}

void sup_hotplug_view_free(struct domain *v)
{
    free(v->dev.disks);
    free(v->dev.interfaces);
    free(v->dev.inputs);
}

/* The builder's view: the running domain with the new device last of its kind. */
static int attach_build(struct sup *s, enum qb_hot_kind k, unsigned num, struct qb_result *b,
                        struct ql_error *err)
{
    _cleanup_(sup_build_prep_free) struct sup_build_prep prep = {0};
    struct domain view;
    build_view(s, true, &view);
    int r = sup_build_prepare(&view, s->cfg->base, s->cfg->accel, s->cfg->emulator, 0, &prep,
                              err);
    if (r == 0) {
        struct qb_hotplug hp = {.kind = k, .num = num};
        memcpy(hp.n_start, s->n_start, sizeof(hp.n_start));
        prep.o.hotplug = &hp;
        r = qb_build(&view, &prep.o, b, err);
    }
    sup_hotplug_view_free(&view);
    return r;
}

static json_object *attach(struct sup *s, struct sup_client *c, const char *xml)
{
    enum qb_hot_kind k;
    _cleanup_free_ char *msg = NULL;
    struct domain *d = parse_device(xml, &k, &msg);
    if (!d)
        return ctl_reply_error("%s", msg);
    if ((msg = attach_conflict(s, d, k))) {
        domain_free(d);
        return ctl_reply_error("%s", msg);
    }
    _cleanup_free_ char *mac = k == QB_HOT_NET ? xstrdup(d->dev.interfaces[0].mac) : NULL;
    size_t i = device_append(s, d, k);
    domain_free(d);
    unsigned num = next_num(s, k);
    struct qb_result b = {0};
    struct ql_error err = QL_ERROR_INIT;
    struct hp_op *op = op_new(s, c, attach_done);
    op->kind = k;
    op->index = i;
    op->undo = attach_undo;
    if (attach_build(s, k, num, &b, &err) < 0) {
        device_remove(s, k, i, NULL);
        goto fail;
    }
    /* Recorded before anything exists on the host or in QEMU: a supervisor killed now
     * leaves a state that names what may need undoing. */
    struct sup_hotdev hd = {xstrdup(qb_hot_kind_to_string(k)),
                            device_xml_fill(xml, mac, &b.hot_addr), xstrdup(b.hot_id), num};
    s->st.hotdevs = xrealloc(s->st.hotdevs, (s->st.n_hotdevs + 1) * sizeof(*s->st.hotdevs));
    s->st.hotdevs[s->st.n_hotdevs++] = hd;
    if (k == QB_HOT_NET && b.n_nics)
        names_add(s, k, i, b.nics[b.n_nics - 1].netdev_id, b.hot_id, num);
    else
        names_add(s, k, i, NULL, b.hot_id, num);
    sup_write_state(s);
    if (attach_host(s, k, i, &err) < 0 || attach_steps(op, &b, &err) < 0) {
        attach_undo(op);
        goto fail;
    }
    sup_write_state(s);
    qb_result_free(&b);
    op_run(op);
    return NULL;
fail:
    qb_result_free(&b);
    op->undo = NULL;
    op_end(op, ctl_reply_error("%s", ql_error_msg(&err)));
    ql_error_clear(&err);
    return NULL;
}

/* ---- detach ---- */

static bool disk_matches(const struct dom_disk *dk, const char *target)
{
    return dk->dev && target && strcmp(dk->dev, target) == 0;
}

static json_object *find_in(struct sup *s, struct ctl_request *req, struct domain *d,
                            enum qb_hot_kind *k, size_t *ret_i);

/* The device a detach request names: kind and index, or an error reply. */
static json_object *detach_find(struct sup *s, struct ctl_request *req, enum qb_hot_kind *k,
                                size_t *ret_i)
{
    struct domain *d = NULL;
    if (req->xml) {
        _cleanup_free_ char *msg = NULL;
        if (!(d = parse_device(req->xml, k, &msg)))
            return ctl_reply_error("%s", msg);
    }
    json_object *o = find_in(s, req, d, k, ret_i);
    domain_free(d);
    return o;
}

static json_object *find_in(struct sup *s, struct ctl_request *req, struct domain *d,
                            enum qb_hot_kind *k, size_t *ret_i)
{
    const struct dom_devices *v = &s->dom->dev;
    const char *target = req->target, *type = req->net_type, *mac = req->mac;
    if (d) {
        if (*k == QB_HOT_DISK)
            target = d->dev.disks[0].dev;
        else if (*k == QB_HOT_NET) {
            type = dom_net_type_to_string(d->dev.interfaces[0].type);
            mac = d->dev.interfaces[0].mac;
        }
    } else {
        *k = target ? QB_HOT_DISK : QB_HOT_NET;
    }
    size_t found = SIZE_MAX, matches = 0;
    for (size_t i = 0; i < n_of(s, *k); i++) {
        bool m;
        if (*k == QB_HOT_DISK) {
            m = disk_matches(&v->disks[i], target);
        } else if (*k == QB_HOT_NET) {
            const struct dom_interface *n = &v->interfaces[i];
            m = (!type || strcmp(dom_net_type_to_string(n->type), type) == 0) &&
                (!mac || (n->mac && strcasecmp(n->mac, mac) == 0));
        } else {
            m = v->inputs[i].type == d->dev.inputs[0].type &&
                v->inputs[i].bus == d->dev.inputs[0].bus;
        }
        if (m && matches++ == 0)
            found = i;
    }
    if (!matches)
        return *k == QB_HOT_DISK ? ctl_reply_error("No disk found whose source path or target "
                                                   "is %s", target ? target : "(none)")
                                 : ctl_reply_error("No %s found in the domain%s%s",
                                                   *k == QB_HOT_NET ? "interface" : "such device",
                                                   mac ? " with MAC " : "", mac ? mac : "");
    if (matches > 1)
        return ctl_reply_error("Domain has %zu %ss%s; say which one to detach%s", matches,
                               qb_hot_kind_to_string(*k), type ? " of that type" : "",
                               *k == QB_HOT_NET ? " with --mac" : "");
    *ret_i = found;
    return NULL;
}

/* The files given to QEMU's user for disk i go back to their owners, unless another disk
 * uses them. */
static void disk_ungrant(struct sup *s, size_t i)
{
    const char *src = s->dom->dev.disks[i].source;
    _cleanup_free_ char *real = src ? realpath(src, NULL) : NULL;
    for (size_t d = 0; real && d < s->dom->dev.n_disks; d++) {
        const char *o = sup_disk_source(s, d);
        _cleanup_free_ char *or = d != i && o ? realpath(o, NULL) : NULL;
        if (or && strcmp(or, real) == 0)
            return;
    }
    for (size_t g = 0; real && g < s->st.n_grants; g++)
        if (strcmp(s->st.grants[g].path, real) == 0) {
            host_dac_restore(&s->st.grants[g], s->st.qemu_uid);
            host_dac_grant_clear(&s->st.grants[g]);
            VEC_REMOVE(s->st.grants, s->st.n_grants, g);
            return;
        }
}

/* What QEMU has of device i of kind k beside the device (block nodes, the netdev) goes,
 * and the files given to QEMU's user for it go back. */
static void backends_del(struct sup *s, enum qb_hot_kind k, size_t i)
{
    char name[64];
    if (k == QB_HOT_DISK) {
        const struct dom_disk *dk = &s->dom->dev.disks[i];
        unsigned node = sup_disk_node(s, i);
        if (node && dk->format && dk->format != DOM_FMT_RAW) {
            snprintf(name, sizeof(name), "libvirt-%u-format", node);
            sup_qmp_fire(s, "blockdev-del", args_id("node-name", name));
        }
        snprintf(name, sizeof(name), "libvirt-%u-storage", node);
        if (node && (sup_disk_source(s, i) || dk->type == DOM_DISK_NETWORK))
            sup_qmp_fire(s, "blockdev-del", args_id("node-name", name));
        disk_ungrant(s, i);
    } else if (k == QB_HOT_NET && i < s->build.n_nics) {
        sup_qmp_fire(s, "netdev_del", args_id("id", s->build.nics[i].netdev_id));
    }
}

/* QEMU removed a hot-plugged device (DEVICE_DELETED): its backend, host side and record
 * go too. Returns whether id was one. */
static bool hot_removed(struct sup *s, const char *id)
{
    struct sup_hotdev *hd = hotdev_by_id(s, id);
    enum qb_hot_kind k;
    size_t i;
    if (!hd || !hotdev_place(s, hd, &k, &i))
        return false;
    backends_del(s, k, i);
    sup_log(s, "detached %s %s", hd->kind, id);
    sup_broadcast(s, "device-removed", id);
    device_remove(s, k, i, NULL);
    hotdev_forget(s, hd);
    sup_write_state(s);
    return true;
}

/* Takes the running domain's start device i of kind k out, keeping it for the builder. */
static void gone_add(struct sup *s, enum qb_hot_kind k, size_t i)
{
    size_t index = start_index(s, k, i);
    s->gone = xrealloc(s->gone, (s->n_gone + 1) * sizeof(*s->gone));
    struct sup_gone *g = &s->gone[s->n_gone++];
    memset(g, 0, sizeof(*g));
    g->kind = k;
    g->index = index;
    device_remove(s, k, i, g);
}

/* QEMU removed a device it was started with (DEVICE_DELETED): its backend and host side
 * go, the state records it. Returns whether id was one. */
static bool start_removed(struct sup *s, const char *id)
{
    for (enum qb_hot_kind k = 0; k < QB_HOT_KIND_MAX; k++)
        for (size_t i = 0; i < n_live_start(s, k); i++) {
            const char *d = device_id(s, k, i);
            if (!d || strcmp(d, id) != 0)
                continue;
            if (s->st.n_removed >= SUP_MAX_HOTDEVS)
                return false;
            backends_del(s, k, i);
            sup_log(s, "detached %s %s (a device QEMU was started with)",
                    qb_hot_kind_to_string(k), id);
            sup_broadcast(s, "device-removed", id);
            s->st.removed = xrealloc(s->st.removed,
                                     (s->st.n_removed + 1) * sizeof(*s->st.removed));
            s->st.removed[s->st.n_removed++] = (struct sup_removed){
                xstrdup(qb_hot_kind_to_string(k)), (unsigned)start_index(s, k, i), xstrdup(id)};
            gone_add(s, k, i);
            sup_write_state(s);
            return true;
        }
    return false;
}

/* The answer waits for DEVICE_DELETED or the timer (sup_hotplug_*). */
static json_object *detach_sent(struct hp_op *op)
{
    (void)op;
    return NULL;
}

static void detach_undo(struct hp_op *op)
{
    op->s->timers[TM_HOTPLUG] = 0;
    op->s->detach_left = 0;
    op->s->detach_client = 0;
}

/* Waits for count DEVICE_DELETED (of id; NULL: of hot-plugged vCPUs) for client. */
static void detach_wait(struct sup *s, unsigned client, const char *id, unsigned count,
                        unsigned wait_s)
{
    free(s->detach_id);
    s->detach_id = id ? xstrdup(id) : NULL;
    s->detach_left = count;
    s->detach_client = client;
    s->detach_wait_s = wait_s;
    s->timers[TM_HOTPLUG] = ql_mono_ms() + (int64_t)wait_s * 1000;
}

/* Why QEMU cannot unplug device i of kind k, whatever its address; NULL: it can. */
static char *not_unpluggable(const struct sup *s, enum qb_hot_kind k, size_t i)
{
    if (k == QB_HOT_DISK) {
        const struct dom_disk *dk = &s->dom->dev.disks[i];
        int bus = qb_disk_bus(dk);
        if (bus != DOM_BUS_VIRTIO && bus != DOM_BUS_SCSI && bus != DOM_BUS_USB)
            return xasprintf("disk %s is on bus '%s', which QEMU cannot unplug (it unplugs "
                             "virtio, scsi and usb disks)", dk->dev ? dk->dev : "",
                             dom_disk_bus_to_string(bus));
    }
    if (k == QB_HOT_INPUT && !device_id(s, k, i))
        return xstrdup("this input device is part of the machine (PS/2) or no -device "
                       "(evdev): QEMU cannot unplug it");
    return NULL;
}

/* device_del, the answer waiting for DEVICE_DELETED (client's reply outstanding). */
static void detach_send(struct sup *s, unsigned client, const char *id, unsigned wait_s)
{
    struct hp_op *op = op_chain(s, client, detach_sent);
    op->undo = detach_undo;
    detach_wait(s, client, id, 1, wait_s);
    op_add(op, "device_del", args_id("id", id), -1);
    op_run(op);
}

/* query-pci's entry of the device QEMU calls id when it sits on the root bus (bus 0's own
 * devices, not those behind bridges and ports), else NULL. */
static json_object *on_root_bus(json_object *buses, const char *id)
{
    size_t n = json_object_is_type(buses, json_type_array) ? json_object_array_length(buses) : 0;
    for (size_t b = 0; b < n; b++) {
        json_object *bus = json_object_array_get_idx(buses, b);
        json_object *devs = ql_json_get(bus, "devices", json_type_array);
        if (ql_json_int64(bus, "bus", -1) != 0 || !devs)
            continue;
        for (size_t d = 0; d < json_object_array_length(devs); d++) {
            json_object *e = json_object_array_get_idx(devs, d);
            if (strcmp(ql_json_str(e, "qdev_id", ""), id) == 0)
                return e;
        }
    }
    return NULL;
}

/* q35: the device's place is known; one on pcie.0 itself cannot be unplugged. */
static json_object *detach_pci_checked(struct hp_op *op)
{
    struct sup *s = op->s;
    const char *id = op->id;
    json_object *e = on_root_bus(op->steps[0].ret, id);
    if (e)
        return ctl_reply_error("%s is on pcie.0 (slot %lld): a q35 machine cannot unplug a "
                               "device on its root bus, only one behind a pcie-root-port or "
                               "a bridge (give it such an <address> in the domain XML)", id,
                               (long long)ql_json_int64(e, "slot", -1));
    detach_send(s, op->client, id, op->wait_s);
    return NULL;
}

static bool machine_q35(const struct domain *d)
{
    const char *m = d->os.machine;
    return m && (strncmp(m, "q35", 3) == 0 || strncmp(m, "pc-q35", 6) == 0);
}

static json_object *detach(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    enum qb_hot_kind k = QB_HOT_DISK;
    size_t i = 0;
    json_object *o = detach_find(s, req, &k, &i);
    if (o)
        return o;
    _cleanup_free_ char *why = not_unpluggable(s, k, i);
    if (why)
        return ctl_reply_error("%s", why);
    const char *id = device_id(s, k, i);
    if (!id)
        return ctl_reply_error("the supervisor does not know QEMU's name of this device");
    unsigned wait_s = req->wait_s ? (unsigned)req->wait_s : HP_DETACH_WAIT_S;
    if (!machine_q35(s->dom)) {     /* i440fx: pci.0 and its bridges hot-plug (ACPI) */
        c->busy++;
        detach_send(s, c->id, id, wait_s);
        return NULL;
    }
    struct hp_op *op = op_new(s, c, detach_pci_checked);
    op->wait_s = wait_s;
    op->id = xstrdup(id);
    op_add(op, "query-pci", NULL, -1);
    op_run(op);
    return NULL;
}

/* ---- vCPUs ---- */

static void vcpu_forget(struct sup *s, const char *id)
{
    for (size_t i = 0; i < s->st.n_hot_vcpus; i++)
        if (strcmp(s->st.hot_vcpus[i], id) == 0) {
            free(s->st.hot_vcpus[i]);
            VEC_REMOVE(s->st.hot_vcpus, s->st.n_hot_vcpus, i);
            sup_write_state(s);
            return;
        }
}

static int64_t prop(json_object *e, const char *k)
{
    json_object *p = ql_json_get(e, "props", json_type_object);
    return p ? ql_json_int64(p, k, -1) : -1;
}

/* The vCPU's number in libvirt's order (socket, die, core, thread). */
static int64_t vcpu_order(const struct domain *d, json_object *e)
{
    int64_t dies = d->cpu.dies ? d->cpu.dies : 1, cores = d->cpu.cores ? d->cpu.cores : 1,
            threads = d->cpu.threads ? d->cpu.threads : 1;
    int64_t die = prop(e, "die-id") < 0 ? 0 : prop(e, "die-id");
    return ((prop(e, "socket-id") * dies + die) * cores + prop(e, "core-id")) * threads +
           (prop(e, "thread-id") < 0 ? 0 : prop(e, "thread-id"));
}

/* The new vCPUs' threads get the domain's <vcpupin>/<vcpu cpuset>, as the start's do. */
static void vcpus_pin(struct sup *s, json_object *cpus, const struct hp_op *op)
{
    size_t n = json_object_is_type(cpus, json_type_array) ? json_object_array_length(cpus) : 0;
    for (size_t c = 0; c < n; c++) {
        json_object *e = json_object_array_get_idx(cpus, c);
        const char *path = ql_json_str(e, "qom-path", "");
        const char *last = strrchr(path, '/');
        bool added = false;
        for (size_t i = 1; last && i + 1 < op->n; i++)
            added |= strcmp(last + 1, ql_json_str(op->steps[i].args, "id", "")) == 0;
        struct ql_error err = QL_ERROR_INIT;
        if (added && sup_pin_vcpu(s, e, &err) < 0)
            sup_log(s, "%s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

static json_object *vcpus_added(struct hp_op *op)
{
    struct sup *s = op->s;
    vcpus_pin(s, op->steps[op->n - 1].ret, op);
    for (size_t i = 1; i + 1 < op->n; i++) {
        const char *id = ql_json_str(op->steps[i].args, "id", NULL);
        bool known = false;
        for (size_t k = 0; k < s->st.n_hot_vcpus; k++)
            known |= strcmp(s->st.hot_vcpus[k], id) == 0;
        if (!known && s->st.n_hot_vcpus < SUP_MAX_HOTVCPUS) {
            s->st.hot_vcpus = xrealloc(s->st.hot_vcpus,
                                       (s->st.n_hot_vcpus + 1) * sizeof(char *));
            s->st.hot_vcpus[s->st.n_hot_vcpus++] = xstrdup(id);
        }
    }
    sup_write_state(s);
    sup_log(s, "vCPUs: %u live", op->want);
    return ctl_reply_ok();
}

static json_object *vcpus_listed(struct hp_op *op)
{
    struct sup *s = op->s;
    json_object *list = op->steps[0].ret;
    size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    json_object *absent[SUP_MAX_HOTVCPUS];
    size_t present = 0, n_absent = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(list, i);
        if (ql_json_str(e, "qom-path", NULL))
            present++;
        else if (n_absent < SUP_MAX_HOTVCPUS)
            absent[n_absent++] = e;
    }
    if (op->want == present)
        return ctl_reply_ok();
    if (op->want < present) {
        size_t drop = present - op->want;
        if (drop > s->st.n_hot_vcpus)
            return ctl_reply_error("cannot go below %zu live vCPUs: the others were present "
                                   "when QEMU started, and QEMU cannot unplug those (only vCPUs "
                                   "added with setvcpus can be taken away)",
                                   present - s->st.n_hot_vcpus);
        if (drop > HP_MAX_STEPS)
            return ctl_reply_error("at most %d vCPUs can be taken away at once", HP_MAX_STEPS);
        /* the last added go first; the answer waits for their DEVICE_DELETED */
        struct hp_op *del = op_chain(s, op->client, detach_sent);
        del->undo = detach_undo;
        detach_wait(s, op->client, NULL, (unsigned)drop, HP_DETACH_WAIT_S);
        for (size_t k = 0; k < drop; k++)
            op_add(del, "device_del",
                   args_id("id", s->st.hot_vcpus[s->st.n_hot_vcpus - 1 - k]), -1);
        op_run(del);
        return NULL;
    }
    size_t add = op->want - present;
    if (add > n_absent)
        return ctl_reply_error("QEMU offers %zu more vCPUs, not %zu", n_absent, add);
    if (add + 2 > HP_MAX_STEPS)
        return ctl_reply_error("at most %d vCPUs can be added at once", HP_MAX_STEPS - 2);
    /* lowest first, as libvirt adds them */
    for (size_t a = 0; a < n_absent; a++)
        for (size_t b = a + 1; b < n_absent; b++)
            if (vcpu_order(s->dom, absent[b]) < vcpu_order(s->dom, absent[a])) {
                json_object *t = absent[a];
                absent[a] = absent[b];
                absent[b] = t;
            }
    struct hp_op *addop = op_chain(s, op->client, vcpus_added);
    addop->want = op->want;
    op_add(addop, "query-hotpluggable-cpus", NULL, -1);     /* step 0: nothing to add */
    for (size_t a = 0; a < add; a++) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "driver",
                               json_object_new_string(ql_json_str(absent[a], "type", "")));
        char id[32];
        snprintf(id, sizeof(id), "vcpu%lld", (long long)vcpu_order(s->dom, absent[a]));
        json_object_object_add(args, "id", json_object_new_string(id));
        json_object *p = ql_json_get(absent[a], "props", json_type_object);
        json_object_object_foreach(p, key, val) {
            if (strcmp(key, "node-id") != 0 || json_object_get_int64(val) >= 0)
                json_object_object_add(args, key, json_object_get(val));
        }
        op_add(addop, "device_add", args, -1);
    }
    op_add(addop, "query-cpus-fast", NULL, -1);     /* last: the new vCPUs' threads */
    op_run(addop);
    return NULL;
}

static json_object *setvcpus(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    if (req->count < 1)
        return ctl_reply_error("the vCPU count must be at least 1");
    if ((unsigned long long)req->count > s->dom->vcpus)
        return ctl_reply_error("requested vcpus is greater than max allowable vcpus for the "
                               "live domain: %lld > %u", req->count, s->dom->vcpus);
    struct hp_op *op = op_new(s, c, vcpus_listed);
    op->want = (unsigned)req->count;
    op_add(op, "query-hotpluggable-cpus", NULL, -1);
    op_run(op);
    return NULL;
}

/* ---- entry points ---- */

bool sup_hotplug_gone(const struct sup *s, enum qb_hot_kind k, size_t index)
{
    return gone_at(s, k, index) != NULL;
}

void sup_hotplug_free(struct sup *s)
{
    for (size_t g = 0; g < s->n_gone; g++) {
        struct sup_gone *x = &s->gone[g];
        if (x->kind == QB_HOT_DISK)
            dom_disk_clear(&x->u.disk);
        else if (x->kind == QB_HOT_NET)
            dom_interface_clear(&x->u.nic);
        else
            dom_input_clear(&x->u.input);
    }
    free(s->gone);
    s->gone = NULL;
    s->n_gone = 0;
}

void sup_hotplug_request(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    json_object *o;
    if (s->hot_busy)
        o = ctl_reply_error("another hot-plug operation is in progress; try again");
    else if (s->phase != PH_RUNNING || !s->qmp)
        o = ctl_reply_error("domain '%s' is not running", s->st.name);
    else if (req->cmd == CTL_ATTACH_DEVICE)
        o = attach(s, c, req->xml);
    else if (req->cmd == CTL_DETACH_DEVICE)
        o = detach(s, c, req);
    else
        o = setvcpus(s, c, req);
    if (o) {
        sup_client_send(c, o);
        json_object_put(o);
    }
}

/* A detach (or vCPU removal) ends: the waiting client hears how. */
static void detach_end(struct sup *s, json_object *reply)
{
    s->timers[TM_HOTPLUG] = 0;
    s->detach_left = 0;
    s->hot_busy = false;
    if (s->detach_client)
        sup_client_reply(s, s->detach_client, reply);
    else
        json_object_put(reply);
    s->detach_client = 0;
}

void sup_hotplug_device_deleted(struct sup *s, const char *id)
{
    if (!id)
        return;
    bool vcpu = false;
    for (size_t i = 0; i < s->st.n_hot_vcpus && !vcpu; i++)
        vcpu = strcmp(s->st.hot_vcpus[i], id) == 0;
    if (vcpu)
        vcpu_forget(s, id);
    else if (!hot_removed(s, id) && !start_removed(s, id))
        return;
    bool waited = s->timers[TM_HOTPLUG] && (vcpu ? !s->detach_id
                                                 : s->detach_id && strcmp(s->detach_id, id) == 0);
    if (waited && s->detach_left && --s->detach_left == 0)
        detach_end(s, ctl_reply_ok());
}

void sup_hotplug_timeout(struct sup *s)
{
    if (!s->hot_busy)
        return;
    detach_end(s, ctl_reply_error("the guest did not release %s within %u s: it stays attached "
                                  "(QEMU removes it if the guest releases it later)",
                                  s->detach_id ? s->detach_id : "the vCPUs", s->detach_wait_s));
}

/* Re-attach: the hot-plugged devices of the state go back into the running domain. */
void sup_hotplug_restore(struct sup *s)
{
    for (enum qb_hot_kind k = 0; k < QB_HOT_KIND_MAX; k++)
        s->n_start[k] = n_of(s, k);
    /* the start's devices detached since: out of the domain (in start order, so that
     * each record's index finds its device) */
    for (size_t r = 0; r < s->st.n_removed;) {
        const struct sup_removed *rm = &s->st.removed[r];
        int k = qb_hot_kind_from_string(rm->kind);
        if (k < 0 || rm->index >= s->n_start[k] || gone_at(s, (enum qb_hot_kind)k, rm->index)) {
            sup_log(s, "removed device %s in the state is not one of the domain's: forgotten",
                    rm->qemu_id);
            free(s->st.removed[r].kind);
            free(s->st.removed[r].qemu_id);
            VEC_REMOVE(s->st.removed, s->st.n_removed, r);
            continue;
        }
        size_t i = rm->index;
        for (size_t g = 0; g < s->n_gone; g++)
            i -= s->gone[g].kind == (enum qb_hot_kind)k && s->gone[g].index < rm->index;
        gone_add(s, (enum qb_hot_kind)k, i);
        r++;
    }
    for (size_t h = 0; h < s->st.n_hotdevs;) {
        struct sup_hotdev *hd = &s->st.hotdevs[h];
        enum qb_hot_kind k;
        _cleanup_free_ char *msg = NULL;
        struct domain *d = parse_device(hd->xml, &k, &msg);
        if (!d || qb_hot_kind_from_string(hd->kind) != (int)k) {
            sup_log(s, "hot-plugged device %s in the state is not usable (%s): forgotten",
                    hd->qemu_id, msg ? msg : "wrong kind");
            domain_free(d);
            hotdev_forget(s, hd);
            continue;
        }
        device_append(s, d, k);
        domain_free(d);
        h++;
    }
}

/* Re-attach: QEMU's names of the hot-plugged devices, after the start's (reattach_names). */
void sup_hotplug_names(struct sup *s)
{
    /* the build of what QEMU was started with named the devices detached since, too */
    for (enum qb_hot_kind k = 0; k < QB_HOT_KIND_MAX; k++)
        for (size_t o = s->n_start[k]; o-- > 0;)
            if (gone_at(s, k, o))
                names_remove(&s->build, k, o);
    for (size_t h = 0; h < s->st.n_hotdevs; h++) {
        struct sup_hotdev *hd = &s->st.hotdevs[h];
        enum qb_hot_kind k;
        size_t i;
        if (hotdev_place(s, hd, &k, &i))
            names_add(s, k, i, NULL, hd->qemu_id, hd->num);
    }
}
