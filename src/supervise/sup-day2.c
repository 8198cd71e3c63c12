/* The day-2 verbs on a running domain (issue 10): inspection, media, keys, screenshots and
 * the balloon. Each request becomes a job: a short list of QMP commands sent one after
 * the other, asynchronously (the next once QEMU answered the previous), then a reply built
 * from their answers. Nothing here waits for QEMU. */
#include "config.h"
#include "supervise/ctl-proto.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOB_MAX_STEPS 8

struct job;
/* Builds the reply from the steps' answers (ret NULL for an optional step that failed). */
typedef json_object *(*job_finish_fn)(struct job *j);

struct job {
    struct sup *s;
    unsigned client;
    struct ctl_request req;
    struct {
        const char *cmd;
        json_object *args;
        bool optional;          /* a failure is recorded (ret NULL), not fatal */
        json_object *ret;
    } steps[JOB_MAX_STEPS];
    size_t n, next;
    int disk;                   /* the disk the request is about, -1: none */
    unsigned node;              /* change-media: the new medium's node number, 0: eject */
    job_finish_fn finish;
};

static struct job *job_new(struct sup *s, struct sup_client *c, struct ctl_request *req,
                           job_finish_fn finish)
{
    struct job *j = xcalloc(1, sizeof(*j));
    j->s = s;
    j->client = c->id;
    j->req = *req;      /* moved: the caller's copy is emptied */
    *req = (struct ctl_request)CTL_REQUEST_INIT(req->cmd);
    j->disk = -1;
    j->finish = finish;
    c->busy++;
    return j;
}

static void job_add(struct job *j, const char *cmd, json_object *args, bool optional)
{
    if (j->n == JOB_MAX_STEPS)
        abort();
    j->steps[j->n].cmd = cmd;
    j->steps[j->n].args = args;
    j->steps[j->n].optional = optional;
    j->n++;
}

static void job_free(struct job *j)
{
    if (j->req.cmd == CTL_CHANGE_MEDIA)
        j->s->media_busy = false;
    for (size_t i = 0; i < j->n; i++) {
        json_object_put(j->steps[i].args);
        json_object_put(j->steps[i].ret);
    }
    ctl_request_clear(&j->req);
    free(j);
}

/* Answers the client (when it is still there) and frees the job. */
static void job_end(struct job *j, json_object *reply)
{
    sup_client_reply(j->s, j->client, reply);
    job_free(j);
}

static json_object *reply_result(json_object *result)
{
    json_object *o = ctl_reply_ok();
    json_object_object_add(o, CTL_RESULT, result);
    return o;
}

static void job_run(struct job *j);

static void on_step_reply(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    (void)conn;
    struct job *j = opaque;
    size_t i = j->next++;
    if (r->error == 0) {
        j->steps[i].ret = json_object_get(r->ret);
    } else if (!j->steps[i].optional) {
        job_end(j, ctl_reply_error("%s", r->message));
        return;
    }
    job_run(j);
}

/* Sends the next step, or finishes. */
static void job_run(struct job *j)
{
    if (j->next == j->n) {
        job_end(j, j->finish(j));
        return;
    }
    struct ql_error err = QL_ERROR_INIT;
    if (!j->s->qmp || qmp_send(j->s->qmp, j->steps[j->next].cmd, j->steps[j->next].args,
                               on_step_reply, j, NULL, &err) < 0) {
        job_end(j, ctl_reply_error("%s", j->s->qmp ? ql_error_msg(&err)
                                                    : "the QEMU monitor is not connected"));
        ql_error_clear(&err);
    }
}

static json_object *args_new(const char *k, json_object *v)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k, v);
    return o;
}

/* ---- disks ---- */

/* The disk whose target is dev, or -1. */
static int disk_by_target(const struct sup *s, const char *dev)
{
    for (size_t i = 0; dev && i < s->dom->dev.n_disks; i++)
        if (s->dom->dev.disks[i].dev && strcmp(s->dom->dev.disks[i].dev, dev) == 0)
            return (int)i;
    return -1;
}

/* Whether QEMU's "qdev" (an id, or a QOM path /machine/peripheral/ID/...) is device id. */
static bool qdev_is(const char *qdev, const char *id)
{
    static const char pfx[] = "/machine/peripheral/";
    if (!qdev || !id)
        return false;
    if (strcmp(qdev, id) == 0)
        return true;
    size_t n = strlen(id);
    return strncmp(qdev, pfx, sizeof(pfx) - 1) == 0 &&
           strncmp(qdev + sizeof(pfx) - 1, id, n) == 0 &&
           (qdev[sizeof(pfx) - 1 + n] == '/' || qdev[sizeof(pfx) - 1 + n] == '\0');
}

/* The entry of a query-block or query-blockstats answer for disk i, or NULL. */
static json_object *block_entry(const struct sup *s, json_object *list, size_t i)
{
    const char *id = i < s->build.n_disk_ids ? s->build.disk_ids[i] : NULL;
    size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t k = 0; k < n; k++) {
        json_object *e = json_object_array_get_idx(list, k);
        if (qdev_is(ql_json_str(e, "qdev", NULL), id))
            return e;
    }
    return NULL;
}

/* The medium in disk i as QEMU has it: its file, or NULL when the drive is empty. */
static const char *block_source(const struct sup *s, json_object *list, size_t i)
{
    json_object *e = block_entry(s, list, i);
    json_object *ins = e ? ql_json_get(e, "inserted", json_type_object) : NULL;
    return ins ? ql_json_str(ins, "file", NULL) : NULL;
}

static json_object *finish_domblklist(struct job *j)
{
    struct sup *s = j->s;
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < s->dom->dev.n_disks; i++) {
        const struct dom_disk *dk = &s->dom->dev.disks[i];
        const char *src = block_source(s, j->steps[0].ret, i);
        if (!src && dk->type == DOM_DISK_NETWORK)
            src = dk->source;
        json_object *d = json_object_new_object();
        json_object_object_add(d, "type", json_object_new_string(
                                              dom_disk_type_to_string(dk->type)));
        json_object_object_add(d, "device", json_object_new_string(
                                                dom_disk_device_to_string(dk->device)));
        json_object_object_add(d, "target", json_object_new_string(dk->dev ? dk->dev : ""));
        json_object_object_add(d, "source", src ? json_object_new_string(src) : NULL);
        json_object_array_add(a, d);
    }
    return reply_result(a);
}

/* query-blockstats member -> virsh domblkstat field. */
static const char *const blkstat_names[][2] = {
    {"rd_operations", "rd_req"}, {"rd_bytes", "rd_bytes"},
    {"wr_operations", "wr_req"}, {"wr_bytes", "wr_bytes"},
    {"flush_operations", "flush_operations"}, {"rd_total_time_ns", "rd_total_times"},
    {"wr_total_time_ns", "wr_total_times"}, {"flush_total_time_ns", "flush_total_times"},
};
#define N_BLKSTAT (sizeof(blkstat_names) / sizeof(blkstat_names[0]))

static json_object *finish_domblkstat(struct job *j)
{
    struct sup *s = j->s;
    int64_t sum[N_BLKSTAT] = {0};
    bool found = false;
    for (size_t i = 0; i < s->dom->dev.n_disks; i++) {
        if (j->disk >= 0 && (size_t)j->disk != i)
            continue;
        json_object *e = block_entry(s, j->steps[0].ret, i);
        json_object *st = e ? ql_json_get(e, "stats", json_type_object) : NULL;
        if (!st)
            continue;
        found = true;
        for (size_t k = 0; k < N_BLKSTAT; k++)
            sum[k] += ql_json_int64(st, blkstat_names[k][0], 0);
    }
    if (!found)
        return ctl_reply_error("QEMU reports no statistics for %s%s",
                               j->disk >= 0 ? "disk " : "the disks",
                               j->disk >= 0 ? j->req.target : "");
    json_object *o = json_object_new_object();
    for (size_t k = 0; k < N_BLKSTAT; k++)
        json_object_object_add(o, blkstat_names[k][1], json_object_new_int64(sum[k]));
    return reply_result(o);
}

/* ---- interfaces ---- */

static const char *iface_tap(const struct sup *s, size_t i)
{
    return i < s->st.n_nics && s->st.nic_taps[i] ? s->st.nic_taps[i] : NULL;
}

static json_object *domiflist(struct sup *s)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < s->dom->dev.n_interfaces; i++) {
        const struct dom_interface *n = &s->dom->dev.interfaces[i];
        const char *src = n->bridge ? n->bridge : n->network ? n->network
                          : n->source_dev ? n->source_dev : NULL;
        json_object *d = json_object_new_object();
        const char *tap = iface_tap(s, i);
        json_object_object_add(d, "interface", tap ? json_object_new_string(tap) : NULL);
        json_object_object_add(d, "type", json_object_new_string(
                                              dom_net_type_to_string(n->type)));
        json_object_object_add(d, "source", src ? json_object_new_string(src) : NULL);
        json_object_object_add(d, "model", json_object_new_string(
                                               n->model ? dom_nic_model_to_string(n->model)
                                                        : "rtl8139"));
        json_object_object_add(d, "mac", n->mac ? json_object_new_string(n->mac) : NULL);
        json_object_array_add(a, d);
    }
    return reply_result(a);
}

/* /sys/class/net/IF/statistics/NAME, or -1. */
static int64_t net_stat(const char *ifname, const char *name)
{
    _cleanup_free_ char *path = xasprintf("/sys/class/net/%s/statistics/%s", ifname, name);
    _cleanup_free_ char *text = NULL;
    if (ql_read_file(path, 4096, &text, NULL, NULL) < 0)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    return errno || end == text ? -1 : v;
}

static json_object *domifstat(struct sup *s, const char *want)
{
    for (size_t i = 0; i < s->dom->dev.n_interfaces; i++) {
        const struct dom_interface *n = &s->dom->dev.interfaces[i];
        const char *tap = iface_tap(s, i);
        if (!(tap && strcmp(tap, want) == 0) && !(n->mac && strcasecmp(n->mac, want) == 0))
            continue;
        if (!tap)
            return ctl_reply_error("interface '%s' has no host device to read statistics "
                                   "from", want);
        /* A tap's receive is the guest's transmit (libvirt swaps them too); a macvtap
         * shares the guest's view. */
        bool swap = n->type != DOM_NET_DIRECT;
        static const char *const names[] = {"bytes", "packets", "errors", "dropped"};
        static const char *const keys[] = {"bytes", "packets", "errs", "drop"};
        json_object *o = json_object_new_object();
        for (int dir = 0; dir < 2; dir++)
            for (size_t k = 0; k < 4; k++) {
                char key[32], file[32];
                snprintf(key, sizeof(key), "%s_%s", dir ? "tx" : "rx", keys[k]);
                snprintf(file, sizeof(file), "%s_%s", (dir != swap) ? "tx" : "rx", names[k]);
                json_object_object_add(o, key, json_object_new_int64(net_stat(tap, file)));
            }
        return reply_result(o);
    }
    return ctl_reply_error("domain '%s' has no interface '%s'", s->st.name, want);
}

/* ---- memory, vCPUs ---- */

/* guest-stats member -> virsh dommemstat field; byte values become KiB. */
static const struct { const char *qemu, *virsh; bool bytes; } memstat_names[] = {
    {"stat-swap-in", "swap_in", true}, {"stat-swap-out", "swap_out", true},
    {"stat-major-faults", "major_fault", false}, {"stat-minor-faults", "minor_fault", false},
    {"stat-free-memory", "unused", true}, {"stat-total-memory", "available", true},
    {"stat-available-memory", "usable", true}, {"stat-disk-caches", "disk_caches", true},
    {"stat-htlb-pgalloc", "hugetlb_pgalloc", false},
    {"stat-htlb-pgfail", "hugetlb_pgfail", false},
};

/* Resident set of pid in KiB, or -1. */
static int64_t proc_rss_kib(pid_t pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%ld/statm", (long)pid);
    _cleanup_free_ char *text = NULL;
    long long size, rss;
    if (ql_read_file(path, 4096, &text, NULL, NULL) < 0 ||
        sscanf(text, "%lld %lld", &size, &rss) != 2)
        return -1;
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static json_object *finish_dommemstat(struct job *j)
{
    json_object *o = json_object_new_object();
    json_object *bal = j->steps[0].ret, *gs = j->n > 1 ? j->steps[1].ret : NULL;
    if (bal)
        json_object_object_add(o, "actual",
                               json_object_new_int64(ql_json_int64(bal, "actual", 0) / 1024));
    json_object *stats = gs ? ql_json_get(gs, "stats", json_type_object) : NULL;
    for (size_t k = 0; stats && k < sizeof(memstat_names) / sizeof(memstat_names[0]); k++) {
        int64_t v = ql_json_int64(stats, memstat_names[k].qemu, -1);
        if (v >= 0)
            json_object_object_add(o, memstat_names[k].virsh,
                                   json_object_new_int64(memstat_names[k].bytes ? v / 1024 : v));
    }
    if (gs && ql_json_int64(gs, "last-update", 0) > 0)
        json_object_object_add(o, "last_update",
                               json_object_new_int64(ql_json_int64(gs, "last-update", 0)));
    int64_t rss = proc_rss_kib(j->s->qemu_pid);
    if (rss >= 0)
        json_object_object_add(o, "rss", json_object_new_int64(rss));
    return reply_result(o);
}

/* Fields of /proc/PID/task/TID/stat after the command: processor (39), CPU time. */
static void thread_info(pid_t pid, int64_t tid, int *ret_cpu, double *ret_seconds)
{
    _cleanup_free_ char *path = xasprintf("/proc/%ld/task/%" PRId64 "/stat", (long)pid, tid);
    _cleanup_free_ char *text = NULL;
    *ret_cpu = -1;
    *ret_seconds = -1;
    if (ql_read_file(path, 4096, &text, NULL, NULL) < 0)
        return;
    char *p = strrchr(text, ')');
    unsigned long long ut = 0, st = 0;
    for (int field = 3; p && *p; field++) {
        p = strchr(p + 1, ' ');
        if (!p)
            break;
        if (field == 14)
            ut = strtoull(p + 1, NULL, 10);
        else if (field == 15)
            st = strtoull(p + 1, NULL, 10);
        else if (field == 39) {
            *ret_cpu = (int)strtol(p + 1, NULL, 10);
            break;
        }
    }
    *ret_seconds = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static json_object *finish_vcpuinfo(struct job *j)
{
    json_object *list = j->steps[0].ret;
    json_object *a = json_object_new_array();
    size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    for (size_t k = 0; k < n; k++) {
        json_object *e = json_object_array_get_idx(list, k);
        int64_t tid = ql_json_int64(e, "thread-id", 0);
        int cpu;
        double secs;
        thread_info(j->s->qemu_pid, tid, &cpu, &secs);
        json_object *v = json_object_new_object();
        json_object_object_add(v, "vcpu", json_object_new_int64(ql_json_int64(e, "cpu-index",
                                                                              (int64_t)k)));
        json_object_object_add(v, "cpu", json_object_new_int(cpu));
        json_object_object_add(v, "state", json_object_new_string(
                                               j->s->st.state == SUP_STATE_PAUSED ? "paused"
                                                                                : "running"));
        json_object_object_add(v, "cpu_time", json_object_new_double(secs));
        json_object_object_add(v, "thread_id", json_object_new_int64(tid));
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity((pid_t)tid, sizeof(set), &set) == 0) {
            long ncpu = sysconf(_SC_NPROCESSORS_CONF);
            struct strbuf sb = STRBUF_INIT;
            for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
                sb_addc(&sb, CPU_ISSET((int)c, &set) ? 'y' : '-');
            json_object_object_add(v, "affinity", json_object_new_string(sb_str(&sb)));
            sb_free(&sb);
        }
        json_object_array_add(a, v);
    }
    return reply_result(a);
}

static json_object *finish_ok(struct job *j)
{
    (void)j;
    return ctl_reply_ok();
}

/* ---- media ---- */

/* The medium disk i holds now: the last change-media's, else the XML's. */
static const struct sup_media *media_of(const struct sup *s, const char *target)
{
    for (size_t k = 0; k < s->st.n_media; k++)
        if (strcmp(s->st.media[k].target, target) == 0)
            return &s->st.media[k];
    return NULL;
}

const char *sup_disk_source(const struct sup *s, size_t i)
{
    const struct dom_disk *dk = &s->dom->dev.disks[i];
    const struct sup_media *m = dk->dev ? media_of(s, dk->dev) : NULL;
    return m ? m->source : dk->source;
}

/* The block node names of disk i's medium ("libvirt-N-storage", "libvirt-N-format"), as
 * the builder names them; media inserted later count on from the disks' numbers. */
unsigned sup_disk_node(const struct sup *s, size_t i)
{
    const struct dom_disk *dk = &s->dom->dev.disks[i];
    const struct sup_media *m = dk->dev ? media_of(s, dk->dev) : NULL;
    return m ? m->node : i < s->build.n_disk_ids && s->build.disk_nodes ? s->build.disk_nodes[i]
                                                                          : 0;
}

static void media_record(struct sup *s, const char *target, const char *source, unsigned node)
{
    struct sup_media *m = (struct sup_media *)media_of(s, target);
    if (!m) {
        s->st.media = xrealloc(s->st.media, (s->st.n_media + 1) * sizeof(*s->st.media));
        m = &s->st.media[s->st.n_media++];
        *m = (struct sup_media){xstrdup(target), NULL, 0};
    }
    free(m->source);
    m->source = source ? xstrdup(source) : NULL;
    m->node = node;
    sup_write_state(s);
}

static json_object *finish_change_media(struct job *j)
{
    struct sup *s = j->s;
    bool eject = strcmp(j->req.action, "eject") == 0;
    media_record(s, j->req.target, eject ? NULL : j->req.source, j->node);
    sup_log(s, "%s: medium %s%s", j->req.target, eject ? "ejected" : "changed to ",
            eject ? "" : j->req.source);
    return ctl_reply_ok();
}

int sup_grant_file(struct sup *s, const char *path, bool write, struct ql_error *err)
{
    struct host_dac_file f = {.path = path, .write = write};
    return sup_dac_grant(s, &f, err);
}

static json_object *change_media(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    int i = disk_by_target(s, req->target);
    /* As virsh, the drive may also be named by the file in it. */
    for (size_t k = 0; i < 0 && k < s->dom->dev.n_disks; k++) {
        const char *src = sup_disk_source(s, k);
        if (src && s->dom->dev.disks[k].dev && strcmp(src, req->target) == 0) {
            i = (int)k;
            free(req->target);
            req->target = xstrdup(s->dom->dev.disks[k].dev);
        }
    }
    if (i < 0)
        return ctl_reply_error("domain '%s' has no disk '%s'", s->st.name, req->target);
    const struct dom_disk *dk = &s->dom->dev.disks[i];
    if (dk->device != DOM_DISKDEV_CDROM && dk->device != DOM_DISKDEV_FLOPPY)
        return ctl_reply_error("the disk device '%s' is not removable (only cdrom and floppy "
                               "drives are)", req->target);
    if (dk->type == DOM_DISK_NETWORK)
        return ctl_reply_error("the medium of network disk '%s' cannot be changed",
                               req->target);
    if ((size_t)i >= s->build.n_disk_ids)
        return ctl_reply_error("the supervisor does not know QEMU's name of disk '%s'",
                               req->target);
    /* One change at a time: the steps of two would interleave on QEMU's drives. */
    if (s->media_busy)
        return ctl_reply_error("another change-media is in progress; try again");
    bool eject = strcmp(req->action, "eject") == 0;
    bool insert = strcmp(req->action, "insert") == 0;
    if (!eject && !insert && strcmp(req->action, "update") != 0)
        return ctl_reply_error("unknown change-media action '%s'", req->action);
    const char *cur = sup_disk_source(s, (size_t)i);
    if (eject && req->source)
        return ctl_reply_error("--eject takes no source");
    if (eject && !cur)
        return ctl_reply_error("the disk device '%s' doesn't have media", req->target);
    if (!eject && !req->source)
        return ctl_reply_error("--%s needs a source", req->action);
    if (insert && cur)
        return ctl_reply_error("the disk device '%s' already has media", req->target);
    if (!eject && req->source[0] != '/')
        return ctl_reply_error("the medium must be an absolute path: '%s'", req->source);
    struct ql_error err = QL_ERROR_INIT;
    if (!eject && sup_grant_file(s, req->source, !dk->readonly && dk->device == DOM_DISKDEV_FLOPPY,
                              &err) < 0) {
        json_object *o = ctl_reply_error("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return o;
    }
    const char *id = s->build.disk_ids[i];
    unsigned old = sup_disk_node(s, (size_t)i);
    struct job *j = job_new(s, c, req, finish_change_media);
    s->media_busy = true;
    char name[64];
    bool ro = dk->readonly || dk->device == DOM_DISKDEV_CDROM;
    bool fmt_layer = dk->format && dk->format != DOM_FMT_RAW;
    if (!eject) {
        unsigned n = j->node = (unsigned)s->n_start[QB_HOT_DISK] + ++s->st.media_seq;
        sup_write_state(s);
        json_object *a = json_object_new_object();
        snprintf(name, sizeof(name), "libvirt-%u-storage", n);
        json_object_object_add(a, "driver", json_object_new_string(
                                                dk->type == DOM_DISK_BLOCK
                                                    ? (dk->device == DOM_DISKDEV_CDROM
                                                           ? "host_cdrom" : "host_device")
                                                    : "file"));
        json_object_object_add(a, "filename", json_object_new_string(j->req.source));
        json_object_object_add(a, "node-name", json_object_new_string(name));
        json_object_object_add(a, fmt_layer ? "auto-read-only" : "read-only",
                               json_object_new_boolean(fmt_layer || ro));
        job_add(j, "blockdev-add", a, false);
        if (fmt_layer) {
            a = json_object_new_object();
            json_object_object_add(a, "driver", json_object_new_string(
                                                    dom_disk_format_to_string(dk->format)));
            json_object_object_add(a, "file", json_object_new_string(name));
            snprintf(name, sizeof(name), "libvirt-%u-format", n);
            json_object_object_add(a, "node-name", json_object_new_string(name));
            json_object_object_add(a, "read-only", json_object_new_boolean(ro));
            job_add(j, "blockdev-add", a, false);
        }
    }
    json_object *a = args_new("id", json_object_new_string(id));
    json_object_object_add(a, "force", json_object_new_boolean(j->req.force || !eject));
    job_add(j, "blockdev-open-tray", a, false);
    job_add(j, "blockdev-remove-medium", args_new("id", json_object_new_string(id)), false);
    if (cur && old) {
        /* The old medium's nodes go, as libvirt removes them; top node first. */
        if (fmt_layer) {
            snprintf(name, sizeof(name), "libvirt-%u-format", old);
            job_add(j, "blockdev-del", args_new("node-name", json_object_new_string(name)),
                    true);
        }
        snprintf(name, sizeof(name), "libvirt-%u-storage", old);
        job_add(j, "blockdev-del", args_new("node-name", json_object_new_string(name)), true);
    }
    if (!eject) {
        snprintf(name, sizeof(name), "libvirt-%u-%s", j->node, fmt_layer ? "format" : "storage");
        a = args_new("id", json_object_new_string(id));
        json_object_object_add(a, "node-name", json_object_new_string(name));
        job_add(j, "blockdev-insert-medium", a, false);
    }
    job_add(j, "blockdev-close-tray", args_new("id", json_object_new_string(id)), true);
    job_run(j);
    return NULL;
}

/* ---- keys ---- */

/* Linux input key names (KEY_*) by code, 1-88, where Linux codes equal XT set 1's. */
static const char *const linux_keys[89] = {
    [1] = "ESC", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "MINUS", "EQUAL",
    "BACKSPACE", "TAB", "Q", "W", "E", "R", "T", "Y", "U", "I", "O", "P", "LEFTBRACE",
    "RIGHTBRACE", "ENTER", "LEFTCTRL", "A", "S", "D", "F", "G", "H", "J", "K", "L",
    "SEMICOLON", "APOSTROPHE", "GRAVE", "LEFTSHIFT", "BACKSLASH", "Z", "X", "C", "V", "B",
    "N", "M", "COMMA", "DOT", "SLASH", "RIGHTSHIFT", "KPASTERISK", "LEFTALT", "SPACE",
    "CAPSLOCK", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "NUMLOCK",
    "SCROLLLOCK", "KP7", "KP8", "KP9", "KPMINUS", "KP4", "KP5", "KP6", "KPPLUS", "KP1", "KP2",
    "KP3", "KP0", "KPDOT", [87] = "F11", "F12",
};
/* Linux keys beyond 88: code, name, QEMU's number (XT E0-prefixed: 0x80 | code). */
static const struct { int code; const char *name; int qnum; } linux_ext[] = {
    {96, "KPENTER", 0x9c}, {97, "RIGHTCTRL", 0x9d}, {98, "KPSLASH", 0xb5},
    {99, "SYSRQ", 0xb7}, {100, "RIGHTALT", 0xb8}, {102, "HOME", 0xc7}, {103, "UP", 0xc8},
    {104, "PAGEUP", 0xc9}, {105, "LEFT", 0xcb}, {106, "RIGHT", 0xcd}, {107, "END", 0xcf},
    {108, "DOWN", 0xd0}, {109, "PAGEDOWN", 0xd1}, {110, "INSERT", 0xd2},
    {111, "DELETE", 0xd3}, {125, "LEFTMETA", 0xdb}, {126, "RIGHTMETA", 0xdc},
};
#define SEND_KEY_MAX 16         /* virsh's VIR_DOMAIN_SEND_KEY_MAX_KEYS */

/* One key of the codeset as QEMU's key number, or -1. */
static int key_number(const char *codeset, const char *key)
{
    char *end;
    errno = 0;
    long v = strtol(key, &end, 0);
    bool num = !errno && end != key && !*end && v > 0 && v < 0x10000;
    bool linux_set = strcmp(codeset, "linux") == 0;
    if (linux_set) {
        const char *name = strncmp(key, "KEY_", 4) == 0 ? key + 4 : NULL;
        for (int k = 1; k <= 88; k++)
            if (linux_keys[k] && ((name && strcmp(name, linux_keys[k]) == 0) || (num && v == k)))
                return k;
        for (size_t k = 0; k < sizeof(linux_ext) / sizeof(linux_ext[0]); k++)
            if ((name && strcmp(name, linux_ext[k].name) == 0) || (num && v == linux_ext[k].code))
                return linux_ext[k].qnum;
        return -1;
    }
    if (!num)
        return -1;
    if (strcmp(codeset, "xt") == 0 || strcmp(codeset, "xt_kbd") == 0)
        return v >= 0xe000 && v <= 0xe07f ? 0x80 | (int)(v & 0x7f) : v < 0x80 ? (int)v : -1;
    if (strcmp(codeset, "qnum") == 0 || strcmp(codeset, "rfb") == 0)
        return v < 0x100 ? (int)v : -1;
    return -1;
}

static json_object *send_key(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    const char *codeset = req->codeset ? req->codeset : "linux";
    if (strcmp(codeset, "linux") && strcmp(codeset, "xt") && strcmp(codeset, "xt_kbd") &&
        strcmp(codeset, "qnum") && strcmp(codeset, "rfb"))
        return ctl_reply_error("unsupported codeset '%s' (linux, xt, xt_kbd, qnum and rfb "
                               "are)", codeset);
    json_object *keys = json_object_new_array();
    _cleanup_free_ char *copy = xstrdup(req->keys);
    char *save = NULL;
    for (char *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
        int n = key_number(codeset, k);
        if (n < 0 || json_object_array_length(keys) == SEND_KEY_MAX) {
            json_object_put(keys);
            return n < 0 ? ctl_reply_error("invalid keycode: '%s' (codeset %s)", k, codeset)
                         : ctl_reply_error("at most %d keys can be sent together",
                                           SEND_KEY_MAX);
        }
        json_object *kv = args_new("type", json_object_new_string("number"));
        json_object_object_add(kv, "data", json_object_new_int(n));
        json_object_array_add(keys, kv);
    }
    json_object *a = args_new("keys", keys);
    if (req->holdtime_ms)
        json_object_object_add(a, "hold-time", json_object_new_int64(req->holdtime_ms));
    struct job *j = job_new(s, c, req, finish_ok);
    job_add(j, "send-key", a, false);
    job_run(j);
    return NULL;
}

/* ---- screen, balloon ---- */

/* Where QEMU writes a screenshot: its own directory (it cannot write the run directory
 * when it runs as another user); the verb copies it out and removes it. */
static char *screenshot_path(const struct sup *s)
{
    _cleanup_free_ char *dir = xasprintf("%s/qemu", s->paths.dir);
    struct stat st;
    bool own = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    return xasprintf("%s/screenshot.png", own ? dir : s->paths.dir);
}

static json_object *finish_screenshot(struct job *j)
{
    _cleanup_free_ char *path = screenshot_path(j->s);
    json_object *o = args_new("file", json_object_new_string(path));
    json_object_object_add(o, "mime", json_object_new_string("image/png"));
    return reply_result(o);
}

static json_object *media_or_screen(struct sup *s, struct sup_client *c,
                                    struct ctl_request *req)
{
    struct job *j;
    switch (req->cmd) {
    case CTL_CHANGE_MEDIA:
        return change_media(s, c, req);
    case CTL_SEND_KEY:
        return send_key(s, c, req);
    case CTL_SCREENSHOT: {
        _cleanup_free_ char *path = screenshot_path(s);
        if (unlink(path) < 0 && errno != ENOENT)
            return ctl_reply_error("cannot remove the old screenshot '%s': %s", path,
                                   strerror(errno));
        json_object *a = args_new("filename", json_object_new_string(path));
        json_object_object_add(a, "format", json_object_new_string("png"));
        j = job_new(s, c, req, finish_screenshot);
        job_add(j, "screendump", a, false);
        break;
    }
    case CTL_SETMEM:
        if (!s->build.balloon_path)
            return ctl_reply_error("domain '%s' has no memory balloon device", s->st.name);
        if (req->size_kib <= 0 || (unsigned long long)req->size_kib > s->dom->memory_kib)
            return ctl_reply_error("cannot set memory to %lld KiB: it must be more than 0 and "
                                   "at most the maximum memory, %llu KiB", req->size_kib,
                                   s->dom->memory_kib);
        j = job_new(s, c, req, finish_ok);
        job_add(j, "balloon", args_new("value", json_object_new_int64(j->req.size_kib * 1024)),
                false);
        break;
    default:
        return ctl_reply_error("unknown command '%s'", ctl_cmd_to_string(req->cmd));
    }
    job_run(j);
    return NULL;
}

static json_object *finish_dumpxml(struct job *j)
{
    struct ql_error err = QL_ERROR_INIT;
    json_object *bal = j->steps[0].ret;
    _cleanup_free_ char *xml = sup_running_xml(j->s, bal ? ql_json_int64(bal, "actual", 0) / 1024
                                                         : 0, &err);
    if (!xml) {
        json_object *o = ctl_reply_error("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return o;
    }
    return reply_result(args_new("xml", json_object_new_string(xml)));
}

/* ---- dispatch ---- */

void sup_day2_request(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    struct job *j;
    json_object *o;
    switch (req->cmd) {
    case CTL_DOMBLKLIST:
        j = job_new(s, c, req, finish_domblklist);
        job_add(j, "query-block", NULL, false);
        break;
    case CTL_DOMBLKSTAT:
        if (req->target && disk_by_target(s, req->target) < 0) {
            o = ctl_reply_error("domain '%s' has no disk '%s'", s->st.name, req->target);
            sup_client_send(c, o);
            json_object_put(o);
            return;
        }
        j = job_new(s, c, req, finish_domblkstat);
        j->disk = disk_by_target(s, j->req.target);
        job_add(j, "query-blockstats", args_new("query-nodes", json_object_new_boolean(0)),
                false);
        break;
    case CTL_DOMMEMSTAT:
        j = job_new(s, c, req, finish_dommemstat);
        job_add(j, "query-balloon", NULL, true);
        if (s->build.balloon_path) {
            o = args_new("path", json_object_new_string(s->build.balloon_path));
            json_object_object_add(o, "property", json_object_new_string("guest-stats"));
            job_add(j, "qom-get", o, true);
        }
        break;
    case CTL_DUMPXML:
        j = job_new(s, c, req, finish_dumpxml);
        job_add(j, "query-balloon", NULL, true);
        break;
    case CTL_VCPUINFO:
        j = job_new(s, c, req, finish_vcpuinfo);
        job_add(j, "query-cpus-fast", NULL, false);
        break;
    case CTL_DOMIFLIST:
    case CTL_DOMIFSTAT:
        o = req->cmd == CTL_DOMIFLIST ? domiflist(s) : domifstat(s, req->target);
        sup_client_send(c, o);
        json_object_put(o);
        return;
    case CTL_ATTACH_DEVICE:
    case CTL_DETACH_DEVICE:
    case CTL_SETVCPUS:
        sup_hotplug_request(s, c, req);
        return;
    default:
        if ((o = media_or_screen(s, c, req))) {
            sup_client_send(c, o);
            json_object_put(o);
        }
        return;
    }
    job_run(j);
}

json_object *sup_block_entry(const struct sup *s, json_object *list, size_t i)
{
    return block_entry(s, list, i);
}
