/* The snapshot verbs and save/restore, virsh's names and output: snapshot-create-as,
 * snapshot-list, snapshot-info, snapshot-revert, snapshot-delete, save, restore. Changes go
 * through the domain's supervisor (QEMU jobs); the reporting verbs read the snapshot
 * metadata (supervise/snapshot.h), so they work on a domain that is not running too. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "supervise/ctl-client.h"
#include "supervise/snapshot.h"
#include "supervise/spawn.h"
#include "supervise/supervisor.h"
#include "host/net-priv.h"      /* host_run_checked */
#include "store/store.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A snapshot or a save moves the guest's memory: far longer than a control request. */
#define SNAP_CTL_TIMEOUT_MS (30 * 60 * 1000)

enum { OPT_JSON = CLI_OPT_FIRST, OPT_CURRENT, OPT_PAUSED, OPT_RUNNING, OPT_NAME,
       OPT_DESCRIPTION };

static int offline(struct cli *cli, struct ctl_request *req, struct ql_error *err);

/* Sends req to cli's NAME's supervisor (a snapshot of a shut-off domain is made with
 * qemu-img instead); prints done (if any) on success. */
static int call(struct cli *cli, struct ctl_request *req, const char *done)
{
    struct ctl_target t = cli_target(cli, cli->operands[0]);
    struct ql_error err = QL_ERROR_INIT;
    json_object *rep = NULL;
    bool off = req->cmd != CTL_SAVE && !cli_domain_runs(cli, cli->operands[0]);
    int r = off ? offline(cli, req, &err) : ctl_call(&t, req, SNAP_CTL_TIMEOUT_MS, &rep, &err);
    ctl_request_clear(req);
    if (r < 0)
        return cli_fail_err(&err);
    json_object_put(rep);
    if (done)
        cli_done("%s", done);
    return 0;
}

static int check_domain_name(const char *name)
{
    _cleanup_free_ char *why = dom_name_error("domain", name);
    return why ? cli_fail("%s", why) : 0;
}

/* The snapshots of cli's NAME: 0, or the exit status after saying why not. */
static int load_snapshots(const struct cli *cli, struct snap_meta **ret, size_t *ret_n)
{
    if (check_domain_name(cli->operands[0]))
        return CLI_EXIT_FAILURE;
    struct ql_error err = QL_ERROR_INIT;
    return snap_meta_list(cli->operands[0], ret, ret_n, &err) < 0 ? cli_fail_err(&err) : 0;
}

/* The snapshot a verb is about: SNAP, or the current one with --current. */
static int pick_snapshot(struct cli *cli, bool current, char **ret)
{
    *ret = NULL;
    if (current == (cli->n_operands > 1))
        return cli_usage_error(cli, "give either SNAP or --current");
    if (!current) {
        _cleanup_free_ char *why = snap_name_error(cli->operands[1]);
        if (why)
            return cli_fail("%s", why);
        *ret = xstrdup(cli->operands[1]);
        return 0;
    }
    struct snap_meta *v;
    size_t n;
    int r = load_snapshots(cli, &v, &n);
    if (r)
        return r;
    for (size_t i = 0; i < n; i++)
        if (v[i].current)
            *ret = xstrdup(v[i].name);
    snap_meta_list_free(v, n);
    return *ret ? 0 : cli_fail("the domain '%s' has no current snapshot", cli->operands[0]);
}

/* ---- snapshot-create-as ---- */

static const struct cli_opt create_opts[] = {
    {"name", "SNAP", OPT_NAME, "the snapshot's name (instead of the SNAP operand)"},
    {"description", "TEXT", OPT_DESCRIPTION, "its description (instead of DESCRIPTION)"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb create_verb = {"NAME [SNAP [DESCRIPTION]]", 1, 3,
                                            CLI_RUN_DIR | CLI_LOG_DIR, create_opts};

int cmd_snapshot_create_as(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &create_verb, argc, argv);
    const char *arg, *name = NULL, *desc = NULL;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (c == OPT_NAME)
            name = arg;
        else
            desc = arg;
    }
    if (c < 0)
        return cli.status;
    if ((name && cli.n_operands > 1) || (desc && cli.n_operands > 2))
        return cli_usage_error(&cli, "the name and description are given twice");
    name = name ? name : cli.n_operands > 1 ? cli.operands[1] : NULL;
    desc = desc ? desc : cli.n_operands > 2 ? cli.operands[2] : NULL;
    /* As virsh: without a name, the time in seconds. */
    char stamp[32];
    snprintf(stamp, sizeof(stamp), "%lld", (long long)time(NULL));
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SNAPSHOT_CREATE);
    req.snapshot = xstrdup(name ? name : stamp);
    req.description = desc && *desc ? xstrdup(desc) : NULL;
    _cleanup_free_ char *done = xasprintf("Domain snapshot %s created", req.snapshot);
    return call(&cli, &req, done);
}

/* ---- a shut-off domain: qemu-img on its disks, as libvirt for an inactive domain ---- */

/* qemu-img beside the domain's emulator, else the one on PATH. */
static char *qemu_img(const struct domain *d)
{
    const char *emu = d->dev.emulator ? d->dev.emulator : QEMU_DEFAULT_EMULATOR;
    const char *slash = strrchr(emu, '/');
    char *p = slash ? xasprintf("%.*s/qemu-img", (int)(slash - emu), emu) : NULL;
    if (p && access(p, X_OK) == 0)
        return p;
    free(p);
    return xstrdup("qemu-img");
}

/* Runs qemu-img snapshot OP TAG on the image of each of m's disks in d. */
static int img_snapshot(const struct domain *d, const struct snap_meta *m, const char *op,
                        struct ql_error *err)
{
    _cleanup_free_ char *img = qemu_img(d);
    for (size_t k = 0; k < m->n_disks; k++) {
        const struct dom_disk *dk = NULL;
        for (size_t i = 0; i < d->dev.n_disks && !dk; i++)
            if (d->dev.disks[i].dev && strcmp(d->dev.disks[i].dev, m->disks[k]) == 0)
                dk = &d->dev.disks[i];
        if (!dk || !dk->source)
            return ql_error_set(err, ENOENT, "the snapshot '%s' holds disk '%s', which the "
                                "domain no longer has", m->name, m->disks[k]);
        char *argv[] = {img, (char *)"snapshot", (char *)op, m->name, dk->source, NULL};
        _cleanup_free_ char *what = xasprintf("qemu-img snapshot %s on '%s'", op, dk->source);
        int r = host_run_checked(argv, NULL, SNAP_CTL_TIMEOUT_MS, what, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* snapshot-create-as (disk-only, state shutoff), -revert, -delete of a shut-off domain: its
 * stored definition names the disks. */
static int offline(struct cli *cli, struct ctl_request *req, struct ql_error *err)
{
    const char *name = cli->operands[0];
    _cleanup_free_ char *path = store_path(NULL, name, err);
    if (!path)
        return -EINVAL;
    if (!store_defined(NULL, name))
        return ql_error_set(err, ENOENT, "domain '%s' is not running and not defined (in %s)",
                            name, store_dir(NULL));
    struct dom_diags g = {0};
    struct domain *d = NULL;
    int r = dom_parse_file(path, &d, &g);
    dom_diags_free(&g);
    if (r < 0)
        return ql_error_set(err, EINVAL, "the definition of '%s' (%s) does not parse", name,
                            path);
    struct snap_meta m = {0};
    if (req->cmd == CTL_SNAPSHOT_CREATE) {
        _cleanup_free_ char *why = snap_name_error(req->snapshot);
        struct snap_meta *v = NULL;
        size_t n = 0;
        r = why ? ql_error_set(err, EINVAL, "%s", why) : snap_meta_list(name, &v, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++) {
            if (strcmp(v[i].name, req->snapshot) == 0)
                r = ql_error_set(err, EEXIST, "domain snapshot '%s' already exists",
                                 req->snapshot);
            if (v[i].current)
                m.parent = xstrdup(v[i].name);
        }
        if (r == 0)
            snap_meta_list_free(v, n);
        const char **src = xcalloc(d->dev.n_disks + 1, sizeof(*src));
        for (size_t i = 0; i < d->dev.n_disks; i++)
            src[i] = d->dev.disks[i].source;
        /* NVRAM: a pflash loader keeps it in a raw file */
        const char *nvram = d->os.loader && d->os.loader_type == DOM_LOADER_PFLASH
                                ? (d->os.nvram ? d->os.nvram : "its NVRAM") : NULL;
        if (r == 0 && (r = snap_select_disks(d, src, nvram, &m, err)) == 0) {
            free(m.vmstate);
            m.vmstate = NULL;
            m.name = xstrdup(req->snapshot);
            m.domain = xstrdup(name);
            m.description = req->description ? xstrdup(req->description) : NULL;
            m.creation_time = time(NULL);
            m.shutoff = m.current = true;
            r = img_snapshot(d, &m, "-c", err);
        }
        free(src);
        if (r == 0 && (r = snap_meta_write(&m, err)) == 0)
            r = snap_meta_set_current(name, true, m.name, NULL, err);
    } else if ((r = snap_meta_read(name, req->snapshot, &m, err)) == 0) {
        bool revert = req->cmd == CTL_SNAPSHOT_REVERT;
        if ((r = img_snapshot(d, &m, revert ? "-a" : "-d", err)) == 0 && revert)
            r = snap_meta_set_current(name, true, m.name, NULL, err);
        else if (r == 0 && (r = snap_meta_remove(name, m.name, err)) == 0)
            r = snap_meta_set_current(name, m.current, m.parent, m.name, err);
        if (r == 0 && revert && !m.shutoff)
            fprintf(stderr, "note: domain '%s' is shut off: its disks are reverted, the "
                    "snapshot's VM state is not loaded\n", name);
    }
    snap_meta_clear(&m);
    domain_free(d);
    return r;
}

/* ---- snapshot-revert, snapshot-delete ---- */

static const struct cli_opt pick_opts[] = {
    {"current", NULL, OPT_CURRENT, "the current snapshot (instead of SNAP)"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb pick_verb = {"NAME [SNAP]", 1, 2, CLI_RUN_DIR | CLI_LOG_DIR,
                                          pick_opts};

static int revert_or_delete(int argc, char **argv, enum ctl_cmd cmd)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &pick_verb, argc, argv, &flags) < 0)
        return cli.status;
    struct ctl_request req = CTL_REQUEST_INIT(cmd);
    int r = pick_snapshot(&cli, flags & CLI_FLAG(OPT_CURRENT), &req.snapshot);
    if (r)
        return r;
    _cleanup_free_ char *done = cmd == CTL_SNAPSHOT_DELETE
                                    ? xasprintf("Domain snapshot %s deleted", req.snapshot)
                                    : NULL;
    return call(&cli, &req, done);
}

int cmd_snapshot_revert(int argc, char **argv)
{
    return revert_or_delete(argc, argv, CTL_SNAPSHOT_REVERT);
}

int cmd_snapshot_delete(int argc, char **argv)
{
    return revert_or_delete(argc, argv, CTL_SNAPSHOT_DELETE);
}

/* ---- snapshot-list, snapshot-info ---- */

/* virsh's creation time: "2024-05-01 12:00:00 +0200". */
static void format_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S %z", &tm))
        snprintf(buf, n, "%lld", (long long)t);
}

static json_object *meta_json(const struct snap_meta *m, const struct snap_meta *all, size_t n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "domain", json_object_new_string(m->domain));
    json_object_object_add(o, "creation_time", json_object_new_int64(m->creation_time));
    json_object_object_add(o, "state", json_object_new_string(snap_meta_state(m)));
    json_object_object_add(o, "current", json_object_new_boolean(m->current));
    json_object_object_add(o, "location", json_object_new_string("internal"));
    json_object_object_add(o, "parent", m->parent ? json_object_new_string(m->parent) : NULL);
    json_object_object_add(o, "description",
                           m->description ? json_object_new_string(m->description) : NULL);
    /* Children, and descendants (the parent links form a tree; depth-bounded by n). */
    int64_t children = 0, desc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = all[i].parent;
        for (size_t depth = 0; p && depth < n; depth++) {
            if (strcmp(p, m->name) == 0) {
                desc++;
                children += depth == 0;
                break;
            }
            const char *next = NULL;
            for (size_t k = 0; k < n && !next; k++)
                if (strcmp(all[k].name, p) == 0)
                    next = all[k].parent ? all[k].parent : "";
            p = next && *next ? next : NULL;
        }
    }
    json_object_object_add(o, "children", json_object_new_int64(children));
    json_object_object_add(o, "descendants", json_object_new_int64(desc));
    json_object *d = json_object_new_array();
    for (size_t i = 0; i < m->n_disks; i++)
        json_object_array_add(d, json_object_new_string(m->disks[i]));
    json_object_object_add(o, "disks", d);
    json_object_object_add(o, "vmstate", m->vmstate ? json_object_new_string(m->vmstate) : NULL);
    return o;
}

static const struct cli_opt list_opts[] = {
    {"json", NULL, OPT_JSON, "print the snapshots as JSON"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb list_verb = {"NAME", 1, 1, 0, list_opts};

int cmd_snapshot_list(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &list_verb, argc, argv, &flags) < 0)
        return cli.status;
    struct snap_meta *v;
    size_t n;
    int r = load_snapshots(&cli, &v, &n);
    if (r)
        return r;
    if (flags & CLI_FLAG(OPT_JSON)) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < n; i++)
            json_object_array_add(a, meta_json(&v[i], v, n));
        day2_print_json(a);
        json_object_put(a);
        snap_meta_list_free(v, n);
        return 0;
    }
    size_t w = strlen("Name");
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i].name) > w)
            w = strlen(v[i].name);
    printf(" %-*s   %-25s   %s\n", (int)w, "Name", "Creation Time", "State");
    for (size_t i = 0; i < w + 40; i++)
        putchar('-');
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        char t[64];
        format_time(v[i].creation_time, t, sizeof(t));
        printf(" %-*s   %-25s   %s\n", (int)w, v[i].name, t, snap_meta_state(&v[i]));
    }
    putchar('\n');
    snap_meta_list_free(v, n);
    return 0;
}

static const struct cli_opt info_opts[] = {
    {"current", NULL, OPT_CURRENT, "the current snapshot (instead of SNAP)"},
    {"json", NULL, OPT_JSON, "print the information as JSON"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb info_verb = {"NAME [SNAP]", 1, 2, 0, info_opts};

int cmd_snapshot_info(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &info_verb, argc, argv, &flags) < 0)
        return cli.status;
    _cleanup_free_ char *snap = NULL;
    struct snap_meta *v;
    size_t n;
    int r = pick_snapshot(&cli, flags & CLI_FLAG(OPT_CURRENT), &snap);
    if (r || (r = load_snapshots(&cli, &v, &n)))
        return r;
    json_object *o = NULL;
    for (size_t i = 0; i < n && !o; i++)
        if (strcmp(v[i].name, snap) == 0)
            o = meta_json(&v[i], v, n);
    snap_meta_list_free(v, n);
    if (!o)
        return cli_fail("domain '%s' has no snapshot '%s'", cli.operands[0], snap);
    if (flags & CLI_FLAG(OPT_JSON)) {
        day2_print_json(o);
    } else {
        printf("%-15s %s\n", "Name:", ql_json_str(o, "name", ""));
        printf("%-15s %s\n", "Domain:", ql_json_str(o, "domain", ""));
        printf("%-15s %s\n", "Current:", ql_json_bool(o, "current", false) ? "yes" : "no");
        printf("%-15s %s\n", "State:", ql_json_str(o, "state", ""));
        printf("%-15s %s\n", "Location:", "internal");
        printf("%-15s %s\n", "Parent:", ql_json_str(o, "parent", "-"));
        printf("%-15s %lld\n", "Children:", (long long)ql_json_int64(o, "children", 0));
        printf("%-15s %lld\n", "Descendants:", (long long)ql_json_int64(o, "descendants", 0));
        printf("%-15s %s\n", "Metadata:", "yes");
    }
    json_object_put(o);
    return 0;
}

/* ---- save, restore ---- */

static const struct cli_verb save_verb = {"NAME FILE", 2, 2, CLI_RUN_DIR | CLI_LOG_DIR, NULL};

int cmd_save(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &save_verb, argc, argv, NULL) < 0)
        return cli.status;
    /* The supervisor does not share the caller's working directory: an absolute path, the
     * directory resolved, the file itself replaced (a link there is not followed). */
    _cleanup_free_ char *d = xstrdup(cli.operands[1]), *b = xstrdup(cli.operands[1]);
    char dir[PATH_MAX];
    const char *base = basename(b);
    if (!realpath(dirname(d), dir))
        return cli_fail("cannot use '%s': %s", cli.operands[1], strerror(errno));
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0)
        return cli_fail("'%s' is not a file name", cli.operands[1]);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SAVE);
    req.file = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, base);
    _cleanup_free_ char *done = xasprintf("\nDomain '%s' saved to %s", cli.operands[0],
                                          cli.operands[1]);
    return call(&cli, &req, done);
}

static const struct cli_opt restore_opts[] = {
    {"paused", NULL, OPT_PAUSED, "leave the guest paused, whatever the file says"},
    {"running", NULL, OPT_RUNNING, "run the guest, whatever the file says"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb restore_verb = {"FILE", 1, 1, CLI_RUN_DIR | CLI_LOG_DIR,
                                             restore_opts};

static void domain_freep_(struct domain **d)
{
    domain_free(*d);
}

int cmd_restore(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &restore_verb, argc, argv, &flags) < 0)
        return cli.status;
    if ((flags & CLI_FLAG(OPT_PAUSED)) && (flags & CLI_FLAG(OPT_RUNNING)))
        return cli_usage_error(&cli, "--paused and --running exclude each other");
    const char *file = cli.operands[0];
    char path[PATH_MAX];
    if (!realpath(file, path))
        return cli_fail("cannot open '%s': %s", file, strerror(errno));
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cli_fail("cannot open '%s': %s", file, strerror(errno));
    struct save_header h;
    struct ql_error err = QL_ERROR_INIT;
    if (save_header_read(fd, path, &h, &err) < 0)
        return cli_fail_err(&err);
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_memory(h.xml, strlen(h.xml), path, &d, &g) < 0) {
        print_diags(stderr, file, &g);
        dom_diags_free(&g);
        save_header_clear(&h);
        return CLI_EXIT_FAILURE;
    }
    dom_diags_free(&g);
    _cleanup_(domain_freep_) struct domain *dom = d;
    if (strcmp(dom->name, h.name) != 0) {
        save_header_clear(&h);
        return cli_fail("'%s' is inconsistent: its XML names domain '%s', its header '%s'",
                        file, dom->name, h.name);
    }
    if (cli_domain_runs(&cli, dom->name)) {
        save_header_clear(&h);
        return cli_fail("domain '%s' is already running", dom->name);
    }
    struct sup_config cfg = {.restart_cap = SUP_DEFAULT_RESTART_CAP,
                             .restart_window_s = SUP_DEFAULT_RESTART_WINDOW, .ready_fd = -1,
                             .xml_path = path, .dom = dom, .base = cli.run_dir,
                             .log_dir = cli.log_dir, .restore_path = path,
                             .restore_xml = h.xml,
                             .restore_state = flags & CLI_FLAG(OPT_PAUSED)    ? -1
                                              : flags & CLI_FLAG(OPT_RUNNING) ? 1 : 0};
    _cleanup_free_ char *name = xstrdup(dom->name);
    int r = sup_spawn(&cfg, NULL, &err);
    save_header_clear(&h);
    if (r == -ECHILD) {
        ql_error_clear(&err);
        return cli_fail("the supervisor of '%s' exited without reporting (see %s/%s.log)", name,
                        sup_log_dir(cli.log_dir), name);
    }
    if (r < 0)
        return cli_fail_err(&err);
    cli_done("Domain restored from %s", file);
    return 0;
}
