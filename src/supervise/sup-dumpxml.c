/* dumpxml: the XML a domain was started from (the run directory's copy), with the values
 * only the running domain knows filled in, as libvirt's live XML has them: graphics ports,
 * the console's pty, tap names, current media, the balloon's current memory, the vCPUs
 * online and the devices attached and detached since the start. */
#include "config.h"
#include "domain/parse.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/fileio.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

static xmlNode *next_elem(xmlNode *n, const char *name)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && (!name || xmlStrcmp(n->name, BAD_CAST name) == 0))
            return n;
    return NULL;
}

static xmlNode *child(xmlNode *parent, const char *name, bool create)
{
    xmlNode *c = next_elem(parent->children, name);
    if (!c && create)
        c = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    return c;
}

static bool attr_is(xmlNode *n, const char *name, const char *value)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    bool r = v && xmlStrcmp(v, BAD_CAST value) == 0;
    xmlFree(v);
    return r;
}

static void set_int(xmlNode *n, const char *name, long long v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", v);
    xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

static void fill_devices(struct sup *s, xmlNode *devs)
{
    size_t disk = 0, nic = 0;
    bool pty_done = false;
    for (xmlNode *n = next_elem(devs->children, NULL); n; n = next_elem(n->next, NULL)) {
        const char *name = (const char *)n->name;
        if (strcmp(name, "disk") == 0 && disk < s->dom->dev.n_disks) {
            const struct dom_disk *dk = &s->dom->dev.disks[disk++];
            if (dk->pool || (dk->type != DOM_DISK_FILE && dk->type != DOM_DISK_BLOCK))
                continue;       /* a pool volume stays <source pool volume>, as libvirt's */
            const char *src = sup_disk_source(s, disk - 1);
            xmlNode *sn = child(n, "source", src != NULL);
            if (sn && src)
                xmlSetProp(sn, BAD_CAST(dk->type == DOM_DISK_FILE ? "file" : "dev"),
                           BAD_CAST src);
            else if (sn) {
                xmlUnlinkNode(sn);
                xmlFreeNode(sn);
            }
        } else if (strcmp(name, "interface") == 0) {
            const char *tap = nic < s->st.n_nics ? s->st.nic_taps[nic] : NULL;
            nic++;
            if (tap)
                xmlSetProp(child(n, "target", true), BAD_CAST "dev", BAD_CAST tap);
        } else if ((strcmp(name, "serial") == 0 || strcmp(name, "console") == 0) &&
                   attr_is(n, "type", "pty") && s->st.console_pty &&
                   (!pty_done || strcmp(name, "console") == 0)) {
            /* The console libvirt makes of the first serial port shares its pty. */
            xmlSetProp(child(n, "source", true), BAD_CAST "path", BAD_CAST s->st.console_pty);
            if (strcmp(name, "console") == 0)
                xmlSetProp(n, BAD_CAST "tty", BAD_CAST s->st.console_pty);
            pty_done = true;
        } else if (strcmp(name, "graphics") == 0) {
            for (size_t k = 0; k < s->st.n_displays; k++) {
                const struct sup_display *d = &s->st.displays[k];
                if (!attr_is(n, "type", d->type) || d->unix_socket || d->port <= 0)
                    continue;
                set_int(n, "port", d->port);
                if (d->tls_port > 0)
                    set_int(n, "tlsPort", d->tls_port);
                if (d->host)
                    xmlSetProp(n, BAD_CAST "listen", BAD_CAST d->host);
            }
        }
    }
}

/* The devices QEMU was started with that were detached since are not in it any more. */
static void drop_removed(struct sup *s, xmlNode *devs)
{
    size_t seen[QB_HOT_KIND_MAX] = {0};
    xmlNode *next;
    for (xmlNode *n = next_elem(devs->children, NULL); n; n = next) {
        next = next_elem(n->next, NULL);
        int k = qb_hot_kind_from_string((const char *)n->name);
        if (k >= 0 && sup_hotplug_gone(s, (enum qb_hot_kind)k, seen[k]++)) {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
        }
    }
}

/* <vcpu current>: the vCPUs QEMU started with and those setvcpus added since. */
static void set_vcpus(struct sup *s, xmlNode *root)
{
    xmlNode *v = child(root, "vcpu", false);
    if (!v || !s->st.n_hot_vcpus)
        return;
    unsigned live = dom_vcpus_online(s->dom) + (unsigned)s->st.n_hot_vcpus;
    if (live < s->dom->vcpus)
        set_int(v, "current", live);
    else
        xmlUnsetProp(v, BAD_CAST "current");
}

/* The hot-plugged devices, with the address they got, after the start's: fill_devices
 * meets them in the running domain's order (each kind's start devices, then these). */
static void add_hotplugged(struct sup *s, xmlDoc *doc, xmlNode *devs)
{
    for (size_t i = 0; devs && i < s->st.n_hotdevs; i++) {
        const char *x = s->st.hotdevs[i].xml;
        xmlDoc *d = xmlReadMemory(x, (int)strlen(x), "device.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        xmlNode *r = d ? xmlDocGetRootElement(d) : NULL;
        if (r)
            xmlAddChild(devs, xmlDocCopyNode(r, doc, 1));
        xmlFreeDoc(d);
    }
}

char *sup_running_xml(struct sup *s, long long current_kib, struct ql_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/domain.xml", s->paths.dir);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = ql_read_file(path, DOM_XML_MAX_BYTES, &text, &len, err);
    if (r < 0)
        return NULL;
    xmlDoc *doc = xmlReadMemory(text, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                            XML_PARSE_NOWARNING);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        xmlFreeDoc(doc);
        ql_error_set(err, EINVAL, "cannot parse '%s' again", path);
        return NULL;
    }
    if (current_kib > 0) {
        xmlNode *cm = child(root, "currentMemory", false);
        if (!cm)
            cm = xmlAddNextSibling(child(root, "memory", true),
                                   xmlNewNode(NULL, BAD_CAST "currentMemory"));
        xmlNodeSetContent(cm, NULL);
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", current_kib);
        xmlNodeSetContent(cm, BAD_CAST buf);
        xmlSetProp(cm, BAD_CAST "unit", BAD_CAST "KiB");
    }
    set_vcpus(s, root);
    xmlNode *devs = child(root, "devices", !!s->st.n_hotdevs);
    if (devs)
        drop_removed(s, devs);
    add_hotplugged(s, doc, devs);
    if (devs)
        fill_devices(s, devs);
    xmlChar *out = NULL;
    int out_len = 0;
    xmlDocDumpMemory(doc, &out, &out_len);
    xmlFreeDoc(doc);
    char *ret = xstrdup(out ? (const char *)out : "");
    xmlFree(out);
    return ret;
}
