/* qlaunch import-libvirt [--root DIR] [--dry-run] [--print-xml] [--autostart] NAME
 *
 * Takes a domain over from libvirt's system instance: its persistent XML
 * (/etc/libvirt/qemu/NAME.xml) becomes a qlaunch definition (as `define` stores one), its UEFI
 * NVRAM and swtpm state are copied to qlaunch's directories, and what pointed into libvirt's
 * tree is rewritten or named. libvirt's files are only read: the domain stays defined there
 * until the user removes it. --root DIR reads a copy of libvirt's /etc/libvirt and
 * /var/lib/libvirt (and /run/libvirt) under DIR instead.
 *
 * <interface type='network'> stays type='network': the network's definition is copied to
 * qlaunch's network directory, where qlaunch reads it at start as it reads libvirt's (the
 * bridge, and the portgroup, VLAN, Open vSwitch and MTU settings libvirt merges into the port).
 * Rewriting each interface to type='bridge' would freeze that merge into every domain and
 * lose the portgroup, while <graphics><listen type='network'> needs the network file anyway;
 * the domain XML keeps meaning what it meant under libvirt (and can go back to it). */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/network.h"
#include "domain/parse.h"
#include "domain/xml.h"
#include "host/net.h"
#include "host/pool.h"
#include "store/store.h"
#include "supervise/rundir.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlsave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#define LV_QEMU_CONF "/etc/libvirt/qemu"
#define LV_QEMU_STATE "/var/lib/libvirt/qemu"
#define IMPORT_FILE_MAX (64u * 1024 * 1024)     /* an NVRAM or a TPM state file */
#define IMPORT_TPM_FILES_MAX 64

/* libvirt's own directories: a path under one of them belongs to libvirt's tree. */
static const char *const lv_dirs[] = {"/etc/libvirt/", "/var/lib/libvirt/", "/run/libvirt/",
                                      "/var/run/libvirt/", "/var/log/libvirt/",
                                      "/var/cache/libvirt/"};

struct copy {
    char *src, *dst;
    mode_t mode, dir_mode;      /* of the copy, of directories made for it */
};

struct imp {
    const char *root;           /* prefix of libvirt's tree: "" for this host's */
    const char *name;
    struct argv actions;        /* what is done (or would be, with --dry-run) */
    struct argv lost;           /* what is not carried over */
    struct argv warnings;
    struct copy *copies;
    size_t n_copies;
    struct argv created;        /* files and directories made, for undo (in order) */
    bool nvram, tpm;            /* copies into qlaunch's NVRAM, TPM state directories */
    bool unrunnable;            /* a pool volume it cannot name */
};

static void imp_free(struct imp *im)
{
    argv_free(&im->actions);
    argv_free(&im->lost);
    argv_free(&im->warnings);
    for (size_t i = 0; i < im->n_copies; i++) {
        free(im->copies[i].src);
        free(im->copies[i].dst);
    }
    free(im->copies);
    argv_free(&im->created);
}

static void add_copy(struct imp *im, const char *src, const char *dst, mode_t mode,
                     mode_t dir_mode)
{
    im->copies = xrealloc(im->copies, (im->n_copies + 1) * sizeof(*im->copies));
    im->copies[im->n_copies++] = (struct copy){xstrdup(src), xstrdup(dst), mode, dir_mode};
}

static bool in_libvirt_tree(const char *path)
{
    for (size_t i = 0; i < ARRAY_SIZE(lv_dirs); i++)
        if (strncmp(path, lv_dirs[i], strlen(lv_dirs[i])) == 0)
            return true;
    return false;
}

/* Where a path of libvirt's tree is read from: under --root for libvirt's directories. */
static char *lv_path(const struct imp *im, const char *path)
{
    return in_libvirt_tree(path) ? xasprintf("%s%s", im->root, path) : xstrdup(path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static xmlNode *child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && STREQ((const char *)c->name, name))
            return c;
    return NULL;
}

static xmlNode *next_child(xmlNode *parent, xmlNode *prev, const char *name)
{
    for (xmlNode *c = prev ? prev->next : parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && STREQ((const char *)c->name, name))
            return c;
    return NULL;
}

static const char *attr(xmlNode *n, const char *name)
{
    xmlAttr *a = n ? xmlHasProp(n, BAD_CAST name) : NULL;
    return a && a->children && a->children->content ? (const char *)a->children->content : NULL;
}

/* "devices/disk[2]/source@file (line 41)" */
static char *where(xmlNode *n, const char *at)
{
    _cleanup_free_ char *p = px_path(n);
    return xasprintf("%s%s%s (line %ld)", p, at ? "@" : "", at ? at : "", xmlGetLineNo(n));
}

static void set_text(xmlNode *n, const char *text)
{
    xmlNodeSetContent(n, NULL);
    xmlNodeAddContent(n, BAD_CAST text);
}

/* ---- libvirt's running domain ---- */

/* Whether pid is the QEMU libvirt started for name: its command line has
 * "-name guest=NAME,..." (commas in the name doubled, as libvirt escapes them). */
static bool is_domain_qemu(long pid, const char *name)
{
    _cleanup_free_ char *path = xasprintf("/proc/%ld/cmdline", pid), *data = NULL;
    size_t len = 0;
    struct ql_error err = QL_ERROR_INIT;
    if (ql_read_file(path, 1024 * 1024, &data, &len, &err) < 0) {
        ql_error_clear(&err);
        return false;
    }
    struct strbuf want = STRBUF_INIT;
    sb_add(&want, "guest=");
    for (const char *c = name; *c; c++)
        sb_add(&want, *c == ',' ? ",," : (char[]){*c, 0});
    bool found = false;
    for (size_t off = 0; off < len && !found; off += strlen(data + off) + 1) {
        const char *a = data + off;
        found = strncmp(a, want.s, want.len) == 0 && (a[want.len] == ',' || !a[want.len]);
    }
    sb_free(&want);
    return found;
}

/* libvirt's pid file of a running domain: refuses while that QEMU runs (its NVRAM and TPM
 * state are in use and would be copied half-written); a stale file is only a warning. */
static int check_running(struct imp *im)
{
    _cleanup_free_ char *pidfile = xasprintf("%s/run/libvirt/qemu/%s.pid", im->root, im->name);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct ql_error err = QL_ERROR_INIT;
    int r = ql_read_file(pidfile, 64, &data, &len, &err);
    if (r == -ENOENT) {
        ql_error_clear(&err);
        return 0;
    }
    if (r < 0)
        return cli_fail_err(&err);
    char *end;
    errno = 0;
    long pid = strtol(data, &end, 10);
    if (errno || end == data || pid <= 0 || (*end && *end != '\n')) {
        argv_addf(&im->warnings, "libvirt's pid file %s does not hold a process id: ignored",
                  pidfile);
        return 0;
    }
    if (is_domain_qemu(pid, im->name))
        return cli_fail("domain '%s' is running under libvirt (QEMU pid %ld, %s): its NVRAM "
                        "and TPM state are in use; shut it down first ('virsh shutdown %s'), "
                        "then import it", im->name, pid, pidfile, im->name);
    argv_addf(&im->warnings, "libvirt's pid file %s names pid %ld, which is not the domain's "
              "QEMU on this host: a stale file%s", pidfile, pid, *im->root ? ", or the tree was "
              "copied while the domain ran elsewhere (then its NVRAM and TPM state may be "
              "inconsistent: copy them again with the domain shut off)" : "");
    return 0;
}

/* ---- XML rewrites ---- */

/* <os><nvram>: a file in libvirt's tree is copied to qlaunch's NVRAM directory and the
 * element names the copy; a file elsewhere stays where it is. Without <nvram>, libvirt's
 * default file (NAME_VARS.fd) goes to qlaunch's default place, which needs no element. */
static void import_nvram(struct imp *im, xmlNode *root)
{
    xmlNode *os = child(root, "os"), *nv = child(os, "nvram");
    _cleanup_free_ char *dst = xasprintf("%s/%s_VARS.fd", sup_nvram_dir(), im->name);
    _cleanup_free_ char *text = nv ? (char *)xmlNodeGetContent(nv) : NULL;
    _cleanup_free_ char *w = nv ? where(nv, NULL) : NULL;
    if (nv && attr(nv, "type")) {
        argv_addf(&im->warnings, "%s: an NVRAM of type '%s' is kept as it is", w,
                  attr(nv, "type"));
        return;
    }
    bool named = text && *text;
    _cleanup_free_ char *path = named ? xstrdup(text)
                                      : xasprintf(LV_QEMU_STATE "/nvram/%s_VARS.fd", im->name);
    if (named && !in_libvirt_tree(path)) {
        argv_addf(&im->warnings, "%s: NVRAM '%s' is outside libvirt's directories: the "
                  "definition keeps using it where it is%s", w, path, *im->root ? " (a file "
                  "of this host, not of --root)" : "");
        return;
    }
    _cleanup_free_ char *src = lv_path(im, path);
    if (named) {
        argv_addf(&im->actions, "rewrite %s: '%s' -> '%s'", w, path, dst);
        set_text(nv, dst);
    }
    if (exists(src)) {
        add_copy(im, src, dst, 0600, 0700);
        im->nvram = true;
        argv_addf(&im->actions, "copy NVRAM %s -> %s (mode 0600)", src, dst);
    } else if (nv && exists(dst)) {
        argv_addf(&im->warnings, "NVRAM: libvirt has not created %s, and qlaunch already has "
                  "%s: the domain will start with that file's UEFI variables", src, dst);
    } else if (nv) {
        argv_addf(&im->lost, "NVRAM: libvirt has not created %s (the domain never ran with "
                  "it): qlaunch creates %s from the template at the first start", src, dst);
    }
}

/* <filterref>: libvirt's nwfilter rules are applied by libvirt's daemon; qlaunch refuses the
 * element, so it is removed and said. */
static void import_filterrefs(struct imp *im, xmlNode *devices)
{
    for (xmlNode *i = NULL; (i = next_child(devices, i, "interface"));) {
        xmlNode *fr = child(i, "filterref");
        if (!fr)
            continue;
        _cleanup_free_ char *w = where(fr, NULL);
        const char *f = attr(fr, "filter");
        argv_addf(&im->actions, "remove %s", w);
        argv_addf(&im->lost, "%s: libvirt's network filter%s%s%s (nwfilter): qlaunch does not "
                  "filter the guest's traffic; filter it on the host (nftables on its tap or "
                  "bridge)", w, f ? " '" : "", f ? f : "", f ? "'" : "");
        xmlUnlinkNode(fr);
        xmlFreeNode(fr);
    }
}

/* <disk type='volume'><source pool volume>: qlaunch reads the pool from libvirt's tree at
 * start (host/pool.c), but the import names the volume's file or device directly so that the
 * definition does not depend on libvirt's pool; a volume it cannot name refuses the import. */
static void import_volumes(struct imp *im, xmlNode *devices)
{
    _cleanup_free_ char *dir = xasprintf("%s/etc/libvirt/storage", im->root);
    for (xmlNode *d = NULL; (d = next_child(devices, d, "disk"));) {
        xmlNode *src = child(d, "source");
        const char *pool = attr(src, "pool"), *vol = attr(src, "volume");
        if (!STREQ_NULLABLE(attr(d, "type"), "volume") || !pool || !vol)
            continue;
        _cleanup_free_ char *w = where(src, NULL);
        struct ql_error err = QL_ERROR_INIT;
        struct host_pool_volume v;
        if (host_pool_volume_in(dir, pool, vol, &v, &err) < 0) {
            argv_addf(&im->lost, "%s: %s", w, ql_error_msg(&err));
            im->unrunnable = true;
            ql_error_clear(&err);
            host_pool_volume_free(&v);
            continue;
        }
        const char *what = v.block ? "block device" : "file";
        argv_addf(&im->actions, "rewrite %s: volume '%s' of storage pool '%s' -> %s '%s'",
                  w, vol, pool, what, v.path);
        argv_addf(&im->lost, "storage pool '%s' (%s, type '%s'): the disk names the volume's "
                  "%s directly", pool, v.pool_file, v.pool_type, what);
        xmlSetProp(d, BAD_CAST "type", BAD_CAST(v.block ? "block" : "file"));
        xmlUnsetProp(src, BAD_CAST "pool");
        xmlUnsetProp(src, BAD_CAST "volume");
        xmlUnsetProp(src, BAD_CAST "mode");
        xmlSetProp(src, BAD_CAST(v.block ? "dev" : "file"), BAD_CAST v.path);
        host_pool_volume_free(&v);
    }
}

/* A channel socket in libvirt's directory (older libvirt wrote the path it generated into
 * the definition): qlaunch picks its own in the run directory when the path is left out. */
static void import_channels(struct imp *im, xmlNode *devices)
{
    for (xmlNode *c = NULL; (c = next_child(devices, c, "channel"));) {
        xmlNode *src = child(c, "source");
        const char *path = attr(src, "path");
        if (!STREQ_NULLABLE(attr(c, "type"), "unix") || !path || !in_libvirt_tree(path))
            continue;
        _cleanup_free_ char *w = where(src, "path");
        argv_addf(&im->actions, "rewrite %s: drop '%s' (libvirt's socket directory; qlaunch "
                  "puts the socket in the domain's run directory)", w, path);
        xmlUnsetProp(src, BAD_CAST "path");
    }
}

/* What still points into libvirt's tree after the rewrites (disk images in its default pool
 * directory, kernels, log files): used where it is, and said. */
static void report_paths(struct imp *im, xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (xmlAttr *a = n->properties; a; a = a->next) {
            const char *v = a->children ? (const char *)a->children->content : NULL;
            if (v && in_libvirt_tree(v)) {
                _cleanup_free_ char *w = where(n, (const char *)a->name);
                argv_addf(&im->warnings, "%s: '%s' is in libvirt's directories and is used "
                          "where it is: keep it when libvirt goes, or move it and 'qlaunch edit "
                          "%s'", w, v, im->name);
            }
        }
        xmlNode *t = n->children;
        if (t && t->type == XML_TEXT_NODE && !t->next && t->content &&
            in_libvirt_tree((const char *)t->content)) {
            _cleanup_free_ char *w = where(n, NULL);
            argv_addf(&im->warnings, "%s: '%s' is in libvirt's directories and is used where it "
                      "is: keep it when libvirt goes, or move it and 'qlaunch edit %s'", w,
                      (const char *)t->content, im->name);
        }
        report_paths(im, n->children);
    }
}

/* libvirt's "WARNING: THIS IS AN AUTO-GENERATED FILE" comment names virsh edit; the stored
 * definition says where it came from instead. */
static void replace_header(xmlDocPtr doc, const char *from)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    for (xmlNode *c = doc->children, *next; c; c = next) {
        next = c->next;
        if (c->type == XML_COMMENT_NODE && c->content &&
            strstr((const char *)c->content, "THIS IS AN AUTO-GENERATED FILE")) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    _cleanup_free_ char *text = xasprintf(" imported from libvirt's %s by 'qlaunch "
                                          "import-libvirt' ", from);
    xmlAddPrevSibling(root, xmlNewDocComment(doc, BAD_CAST text));
}

static char *doc_to_string(xmlDocPtr doc, size_t *ret_len)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr ctx = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
    xmlSaveDoc(ctx, doc);
    xmlSaveClose(ctx);
    *ret_len = (size_t)xmlBufferLength(buf);
    char *s = xstrdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return s;
}

/* ---- state next to the definition ---- */

/* swtpm's state: libvirt's SWTPM_DIR/UUID/tpm2 (tpm1.2) is laid out as qlaunch's. */
static int import_tpm(struct imp *im, const struct domain *d)
{
    if (!d->dev.n_tpms)
        return 0;
    const struct dom_tpm *t = &d->dev.tpms[0];
    if (t->backend != DOM_TPM_EMULATOR || t->persistent_state == DOM_TRI_OFF)
        return 0;
    char uuid[37];
    uuid_unparse_lower(d->uuid, uuid);
    const char *sub = t->version == DOM_TPM_VERSION_1_2 ? "tpm1.2" : "tpm2";
    _cleanup_free_ char *src = xasprintf("%s/var/lib/libvirt/swtpm/%s/%s", im->root, uuid, sub);
    _cleanup_free_ char *dst = xasprintf("%s/%s/%s", sup_swtpm_dir(), uuid, sub);
    if (exists(dst))
        return cli_fail("qlaunch already has TPM state for UUID %s (%s); remove it, or "
                        "undefine the domain that uses it with --tpm, then import again",
                        uuid, dst);
    DIR *dir = opendir(src);
    if (!dir) {
        if (errno != ENOENT)
            return cli_fail("cannot read libvirt's TPM state %s: %s", src, strerror(errno));
        _cleanup_free_ char *other = xasprintf("%s/var/lib/libvirt/swtpm/%s/%s", im->root,
                                               uuid, STREQ(sub, "tpm2") ? "tpm1.2" : "tpm2");
        if (exists(other))
            argv_addf(&im->lost, "TPM: libvirt's state is %s, of another TPM version than the "
                      "definition's <backend version> (%s): not copied; the first start under "
                      "qlaunch manufactures a new TPM", other, STREQ(sub, "tpm2") ? "2.0" : "1.2");
        else
            argv_addf(&im->lost, "TPM: libvirt has no state in %s (the domain never ran with "
                      "its TPM): the first start under qlaunch manufactures a new TPM", src);
        return 0;
    }
    struct argv names = ARGV_INIT;
    for (struct dirent *e; (e = readdir(dir));) {
        _cleanup_free_ char *f = xasprintf("%s/%s", src, e->d_name);
        struct stat st;
        if (lstat(f, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        argv_add(&names, e->d_name);
    }
    closedir(dir);
    if (names.n > IMPORT_TPM_FILES_MAX) {
        argv_free(&names);
        return cli_fail("libvirt's TPM state %s holds more than %d files; not swtpm's", src,
                        IMPORT_TPM_FILES_MAX);
    }
    qsort(names.v, names.n, sizeof(*names.v), cmp_str);
    im->tpm = names.n > 0;
    struct strbuf list = STRBUF_INIT;
    for (size_t i = 0; i < names.n; i++) {
        _cleanup_free_ char *f = xasprintf("%s/%s", src, names.v[i]);
        _cleanup_free_ char *g = xasprintf("%s/%s", dst, names.v[i]);
        add_copy(im, f, g, 0600, 0700);
        sb_addf(&list, "%s%s", i ? ", " : "", names.v[i]);
    }
    argv_addf(&im->actions, "copy TPM %s state %s -> %s (%s; mode 0600)",
              t->version == DOM_TPM_VERSION_1_2 ? "1.2" : "2.0", src, dst, sb_str(&list));
    sb_free(&list);
    argv_free(&names);
    return 0;
}

/* The networks of <interface type='network'> and <listen type='network'>: libvirt's
 * definition is copied to qlaunch's network directory (unless one of that name is there).
 * What libvirt's network driver does besides naming a bridge (creating it, DHCP/DNS, NAT)
 * is not carried over, and said. */
static int import_network(struct imp *im, const char *net, struct argv *done)
{
    for (size_t i = 0; i < done->n; i++)
        if (STREQ(done->v[i], net))
            return 0;
    argv_add(done, net);
    const char *env = getenv("QLAUNCH_NETWORK_DIR");
    const char *netdir = env && *env ? env : HOST_NETWORK_DIR_QLAUNCH;
    _cleanup_free_ char *src = xasprintf("%s" LV_QEMU_CONF "/networks/%s.xml", im->root, net);
    _cleanup_free_ char *dst = xasprintf("%s/%s.xml", netdir, net);
    _cleanup_free_ char *xml = NULL, *mine = NULL;
    size_t len = 0, mine_len = 0;
    struct ql_error err = QL_ERROR_INIT;
    int r = ql_read_file(src, HOST_NETWORK_XML_MAX, &xml, &len, &err);
    if (r < 0) {
        argv_addf(&im->lost, "network '%s': %s (define the network in %s before starting)",
                  net, ql_error_msg(&err), dst);
        ql_error_clear(&err);
        return 0;
    }
    struct dom_diags g = {0};
    struct dom_network *n = NULL;
    if (dom_network_parse_memory(xml, len, &n, &g) < 0) {
        _cleanup_free_ char *msg = dom_diag_format(&g.v[0]);
        dom_diags_free(&g);
        argv_addf(&im->lost, "network '%s': %s is not a network qlaunch reads: %s", net, src,
                  msg);
        return 0;
    }
    dom_diags_free(&g);
    if (!n->bridge)
        argv_addf(&im->lost, "network '%s' (%s) has no bridge%s: qlaunch supports networks "
                  "whose ports go on a bridge; its interfaces cannot start", net, src,
                  n->forward_has_devs ? " (a pool of host devices)" : "");
    else if (!STREQ_NULLABLE(n->forward_mode, "bridge"))
        argv_addf(&im->lost, "network '%s' (forward mode '%s'): libvirt's network driver "
                  "creates bridge '%s' and runs its DHCP/DNS and %s; qlaunch only puts the "
                  "guest's tap on an existing bridge: bring '%s' up by other means (or keep "
                  "libvirt's network running) before starting '%s'", net,
                  n->forward_mode ? n->forward_mode : "none", n->bridge,
                  n->forward_mode ? "forwarding/NAT firewall rules" : "nothing else (isolated)",
                  n->bridge, im->name);
    dom_network_free(n);
    r = ql_read_file(dst, HOST_NETWORK_XML_MAX, &mine, &mine_len, &err);
    ql_error_clear(&err);
    if (r == 0) {
        if (mine_len == len && memcmp(mine, xml, len) == 0)
            argv_addf(&im->actions, "keep network '%s': %s is already libvirt's definition",
                      net, dst);
        else
            argv_addf(&im->warnings, "network '%s': %s exists and differs from libvirt's %s; "
                      "qlaunch keeps using its own", net, dst, src);
        return 0;
    }
    add_copy(im, src, dst, 0644, 0755);
    argv_addf(&im->actions, "copy network '%s' %s -> %s (interfaces keep type='network')", net,
              src, dst);
    return 0;
}

static void import_networks(struct imp *im, const struct domain *d)
{
    struct argv done = ARGV_INIT;
    for (size_t i = 0; i < d->dev.n_interfaces; i++)
        if (d->dev.interfaces[i].type == DOM_NET_NETWORK && d->dev.interfaces[i].network)
            import_network(im, d->dev.interfaces[i].network, &done);
    for (size_t i = 0; i < d->dev.n_graphics; i++)
        for (size_t k = 0; k < d->dev.graphics[i].n_listens; k++)
            if (d->dev.graphics[i].listens[k].type == DOM_LISTEN_NETWORK &&
                d->dev.graphics[i].listens[k].network)
                import_network(im, d->dev.graphics[i].listens[k].network, &done);
    argv_free(&done);
}

/* The names of DIR's *.xml files (libvirt's snapshot and checkpoint metadata), sorted. */
static void xml_names(const char *dir, struct argv *ret)
{
    DIR *dh = opendir(dir);
    for (struct dirent *e; dh && (e = readdir(dh));) {
        size_t l = strlen(e->d_name);
        if (l > 4 && e->d_name[0] != '.' && STREQ(e->d_name + l - 4, ".xml"))
            argv_take(ret, xasprintf("%.*s", (int)(l - 4), e->d_name));
    }
    if (dh)
        closedir(dh);
    if (ret->n)
        qsort(ret->v, ret->n, sizeof(*ret->v), cmp_str);
}

/* What libvirt keeps for the domain beside its XML and qlaunch has no place for. */
static void report_leftovers(struct imp *im)
{
    static const struct {
        const char *sub, *what, *why;
    } meta[] = {
        {"snapshot", "snapshot", "internal snapshots stay inside the qcow2 images ('qemu-img "
         "snapshot -l' lists them) and external ones are the overlay files the disks point "
         "to, but qlaunch's snapshot-list does not know them"},
        {"checkpoint", "checkpoint", "the disks' dirty bitmaps stay in the images"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(meta); i++) {
        _cleanup_free_ char *dir = xasprintf("%s" LV_QEMU_STATE "/%s/%s", im->root,
                                             meta[i].sub, im->name);
        struct argv names = ARGV_INIT;
        xml_names(dir, &names);
        if (names.n) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t k = 0; k < names.n; k++)
                sb_addf(&sb, "%s'%s'", k ? ", " : "", names.v[k]);
            argv_addf(&im->lost, "%zu %s%s of libvirt (%s) in %s: their metadata is not "
                      "imported; %s", names.n, meta[i].what, names.n == 1 ? "" : "s",
                      sb_str(&sb), dir, meta[i].why);
            sb_free(&sb);
        }
        argv_free(&names);
    }
    _cleanup_free_ char *save = xasprintf("%s" LV_QEMU_STATE "/save/%s.save", im->root,
                                          im->name);
    if (exists(save))
        argv_addf(&im->lost, "libvirt's managed save image %s (the guest's memory, in "
                  "libvirt's format): qlaunch boots the guest afresh, as after a power loss; "
                  "if that state matters, resume it under libvirt first ('virsh start %s', "
                  "then shut the guest down) and import again", save, im->name);
    _cleanup_free_ char *hook = xasprintf("%s/etc/libvirt/hooks/qemu", im->root);
    _cleanup_free_ char *hookd = xasprintf("%s/etc/libvirt/hooks/qemu.d", im->root);
    if (exists(hook) || exists(hookd))
        argv_addf(&im->lost, "libvirt's hook %s: qlaunch runs no hooks when a domain starts "
                  "or stops", exists(hook) ? hook : hookd);
}

/* ---- doing it ---- */

/* Copies src to dst (which must not exist) through a temporary file in dst's directory:
 * mode, fsync, then link, so that dst is complete or absent and an existing file is never
 * replaced. */
static int copy_file(const char *src, const char *dst, mode_t mode, struct ql_error *err)
{
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    int r = ql_read_file(src, IMPORT_FILE_MAX, &data, &len, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *tmp = xasprintf("%s.import-XXXXXX", dst);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot create a file next to '%s'", dst);
    bool ok = fchmod(fd, mode) == 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(tmp);
        return ql_error_errno(err, e ? e : EIO, "cannot write '%s'", tmp);
    }
    r = link(tmp, dst) < 0 ? -errno : 0;
    unlink(tmp);
    if (r < 0)
        return ql_error_errno(err, -r, "cannot create '%s'", dst);
    return 0;
}

/* mkdir -p of path's directory, recording what it made for undo. */
static int make_parent(struct imp *im, const char *path, mode_t mode, struct ql_error *err)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : ql_error_set(err, ENOTDIR, "'%s' is not a directory",
                                                       dir);
    int r = make_parent(im, dir, mode, err);
    if (r < 0)
        return r;
    if (mkdir(dir, mode) < 0 && errno != EEXIST)
        return ql_error_errno(err, errno, "cannot create the directory '%s'", dir);
    argv_add(&im->created, dir);
    return 0;
}

static void undo(struct imp *im)
{
    for (size_t i = im->created.n; i-- > 0;)
        if (unlink(im->created.v[i]) < 0)
            rmdir(im->created.v[i]);
}

static int do_copies(struct imp *im)
{
    struct ql_error err = QL_ERROR_INIT;
    /* A user's state directories must be private, as the supervisor checks them. */
    if ((im->nvram && sup_private_dir(sup_nvram_dir(), "NVRAM", "QLAUNCH_NVRAM_DIR", &err) < 0)
        || (im->tpm && sup_private_dir(sup_swtpm_dir(), "TPM state", "QLAUNCH_SWTPM_DIR",
                                       &err) < 0))
        return cli_fail_err(&err);
    for (size_t i = 0; i < im->n_copies; i++) {
        const struct copy *c = &im->copies[i];
        if (make_parent(im, c->dst, c->dir_mode, &err) < 0 || copy_file(c->src, c->dst, c->mode, &err) < 0) {
            undo(im);
            cli_fail_err(&err);
            return cli_fail("nothing was imported");
        }
        argv_add(&im->created, c->dst);
    }
    return 0;
}

static void print_list(const char *title, const struct argv *a)
{
    if (!a->n)
        return;
    printf("%s\n", title);
    for (size_t i = 0; i < a->n; i++)
        printf("  %s\n", a->v[i]);
}

/* Reads libvirt's definition and rewrites it; 0 with the rewritten XML in *ret_xml, or the
 * exit status after printing why. */
static int rewrite_xml(struct imp *im, const char *file, char **ret_xml, size_t *ret_len)
{
    _cleanup_free_ char *xml = NULL;
    size_t len = 0;
    struct ql_error err = QL_ERROR_INIT;
    int r = ql_read_file(file, DOM_XML_MAX_BYTES, &xml, &len, &err);
    if (r == -ENOENT) {
        ql_error_clear(&err);
        return cli_fail("libvirt has no persistent domain '%s': %s does not exist (a transient "
                        "domain has no definition to import: 'virsh dumpxml %s > FILE' and "
                        "'qlaunch define FILE')", im->name, file, im->name);
    }
    if (r < 0)
        return cli_fail_err(&err);
    struct dom_diags g = {0};
    xmlDocPtr doc = NULL;
    if (px_load_xml(xml, len, "domain", "domain XML", &g, &doc) < 0) {
        print_diags(stderr, file, &g);
        dom_diags_free(&g);
        return cli_fail("nothing was imported");
    }
    dom_diags_free(&g);
    xmlNode *root = xmlDocGetRootElement(doc), *devices = child(root, "devices");
    replace_header(doc, file);
    import_nvram(im, root);
    import_filterrefs(im, devices);
    import_volumes(im, devices);
    import_channels(im, devices);
    report_paths(im, root);
    *ret_xml = doc_to_string(doc, ret_len);
    xmlFreeDoc(doc);
    return 0;
}

/* A private directory for the rewritten XML (define and validate read a file). */
struct tmpfile {
    char *dir, *file;
};

static void tmpfile_remove(struct tmpfile *t)
{
    if (t->file)
        unlink(t->file);
    if (t->dir)
        rmdir(t->dir);
    free(t->file);
    free(t->dir);
}

static void domain_freep_(struct domain **d)
{
    domain_free(*d);
}

static int import(struct imp *im, bool dry_run, bool print_xml, bool autostart)
{
    int status = check_running(im);
    if (status != 0)
        return status;
    _cleanup_free_ char *file = xasprintf("%s" LV_QEMU_CONF "/%s.xml", im->root, im->name);
    _cleanup_free_ char *xml = NULL;
    size_t len = 0;
    if ((status = rewrite_xml(im, file, &xml, &len)) != 0)
        return status;
    if (print_xml) {
        fwrite(xml, 1, len, stdout);
        return 0;
    }
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *def = store_path(NULL, im->name, &err);
    if (!def)
        return cli_fail_err(&err);
    if (store_defined(NULL, im->name))
        return cli_fail("domain '%s' is already defined in qlaunch (%s): undefine it first, or "
                        "import into another definition directory (QLAUNCH_DOMAIN_DIR)",
                        im->name, def);
    const char *t = getenv("TMPDIR");
    _cleanup_(tmpfile_remove) struct tmpfile tmp = {
        xasprintf("%s/qlaunch-import-XXXXXX", t && *t ? t : "/tmp"), NULL};
    if (!mkdtemp(tmp.dir)) {
        int e = errno;
        free(steal_pointer(&tmp.dir));
        return cli_fail("cannot create a temporary directory in %s: %s", t && *t ? t : "/tmp",
                        strerror(e));
    }
    tmp.file = xasprintf("%s/%s.xml", tmp.dir, im->name);
    if (ql_write_file_atomic(tmp.file, xml, len, 0600, &err) < 0)
        return cli_fail_err(&err);
    _cleanup_free_ char *label = xasprintf("%s (as rewritten: see --print-xml)", file);
    struct dom_diags g = {0};
    struct domain *d0 = NULL;
    int r = validate_file(tmp.file, true, &d0, &g);
    _cleanup_(domain_freep_) struct domain *d = d0;
    print_diags(stderr, label, &g);
    dom_diags_free(&g);
    if (r < 0 || im->unrunnable) {
        print_list("Not carried over:", &im->lost);
        return cli_fail("%s is not a domain qlaunch can run; nothing was imported", file);
    }
    if (!STREQ(d->name, im->name))
        return cli_fail("%s defines domain '%s', not '%s'; nothing was imported", file, d->name,
                        im->name);
    _cleanup_free_ char *nvram_dst = xasprintf("%s/%s_VARS.fd", sup_nvram_dir(), im->name);
    if (im->nvram && exists(nvram_dst))
        return cli_fail("qlaunch already has an NVRAM file for '%s' (%s); remove it (or "
                        "'qlaunch undefine --nvram' the domain that uses it), then import again",
                        im->name, nvram_dst);
    if ((status = import_tpm(im, d)) != 0)
        return status;
    import_networks(im, d);
    report_leftovers(im);
    _cleanup_free_ char *autolink = xasprintf("%s" LV_QEMU_CONF "/autostart/%s.xml", im->root,
                                              im->name);
    bool lv_autostart = exists(autolink);
    if (lv_autostart && !autostart)
        argv_addf(&im->lost, "autostart: libvirt starts '%s' at boot (%s); qlaunch does not "
                  "until 'qlaunch autostart %s' (or an import with --autostart)", im->name,
                  autolink, im->name);
    argv_addf(&im->actions, "define domain '%s' in %s", im->name, def);
    if (lv_autostart && autostart) {
        argv_addf(&im->actions, "autostart '%s', as libvirt does (%s)", im->name, autolink);
        argv_addf(&im->warnings, "libvirt's autostart link %s is left alone: while libvirt "
                  "stays installed, 'virsh autostart --disable %s' keeps it from starting the "
                  "domain too", autolink, im->name);
    }
    printf("%s domain '%s' from %s\n", dry_run ? "Would import" : "Importing", im->name, file);
    print_list(dry_run ? "Would do:" : "Done:", &im->actions);
    if (!dry_run && (status = do_copies(im)) == 0) {
        _cleanup_free_ char *name = NULL;
        if ((status = define_file(tmp.file, label, NULL, &name)) != 0) {
            undo(im);
            fprintf(stderr, "qlaunch: nothing was imported\n");
        } else if (lv_autostart && autostart) {
            status = autostart_set(im->name, true);
        }
    }
    print_list("Not carried over:", &im->lost);
    print_list("Warnings:", &im->warnings);
    if (status == 0)
        printf(dry_run ? "Dry run: nothing was written.\n"
                       : "Domain '%s' imported; libvirt's files are unchanged.\n", im->name);
    return status;
}

enum { OPT_ROOT = CLI_OPT_FIRST, OPT_DRY_RUN, OPT_PRINT_XML, OPT_AUTOSTART };
static const struct cli_opt import_opts[] = {
    {"root", "DIR", OPT_ROOT, "read a copy of libvirt's /etc/libvirt, /var/lib/libvirt (and "
     "/run/libvirt) under DIR instead of this host's"},
    {"dry-run", NULL, OPT_DRY_RUN, "say what would be done; write nothing"},
    {"print-xml", NULL, OPT_PRINT_XML, "print the definition that would be stored (implies "
     "--dry-run)"},
    {"autostart", NULL, OPT_AUTOSTART, "if libvirt starts the domain at boot, make qlaunch do "
     "so (qlaunch autostart NAME)"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb import_verb = {"NAME", 1, 1, 0, import_opts};

int cmd_import_libvirt(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &import_verb, argc, argv);
    const char *root = "", *arg;
    bool dry_run = false, print_xml = false, autostart = false;
    for (int id; (id = cli_next(&cli, &arg)) != 0;) {
        if (id < 0)
            return cli.status;
        if (id == OPT_ROOT)
            root = arg;
        dry_run |= id == OPT_DRY_RUN || id == OPT_PRINT_XML;
        print_xml |= id == OPT_PRINT_XML;
        autostart |= id == OPT_AUTOSTART;
    }
    _cleanup_free_ char *rootdir = xstrdup(root);
    for (size_t l = strlen(rootdir); l > 0 && rootdir[l - 1] == '/'; l--)
        rootdir[l - 1] = '\0';
    struct stat st;
    if (*root && (stat(*rootdir ? rootdir : "/", &st) < 0 || !S_ISDIR(st.st_mode)))
        return cli_fail("--root '%s' is not a directory", root);
    _cleanup_free_ char *why = dom_name_error("domain", cli.operands[0]);
    if (why)
        return cli_fail("%s", why);
    struct imp im = {.root = rootdir, .name = cli.operands[0]};
    int status = import(&im, dry_run, print_xml, autostart);
    imp_free(&im);
    return status;
}
