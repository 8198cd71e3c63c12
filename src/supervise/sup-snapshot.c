/* Internal snapshots (snapshot-create, -revert, -delete) and save, on the running domain.
 * Each is one operation at a time: a short chain of QMP commands sent one after the other,
 * then a QEMU job (snapshot-save/-load/-delete with a job-id, ended by JOB_STATUS_CHANGE
 * "concluded") or an outgoing migration into the save file (ended by a MIGRATION event).
 * Nothing waits: other control requests are served meanwhile. Restore (the incoming side)
 * is part of the start (sup-start.c) with the helpers at the end of this file.
 *
 * Which disks a snapshot holds follows libvirt (qemuSnapshotPrepare): empty and read-only
 * drives and <disk snapshot='no'> are left out; every other disk must be a local qcow2
 * image; a pflash NVRAM (always raw here) refuses the snapshot as libvirt does for a raw
 * NVRAM. The VM state goes into the first disk of the snapshot. */
#include "config.h"
#include "supervise/ctl-proto.h"
#include "supervise/snapshot.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#define OP_MAX_STEPS 6
#define SAVE_FDNAME "qlaunch-save"

struct sup_snapop;
typedef void (*op_then_fn)(struct sup_snapop *op);

struct sup_snapop {
    struct sup *s;
    enum ctl_cmd cmd;
    unsigned client;
    bool has_client;
    struct snap_meta meta;
    char job_id[48];
    bool was_running;
    /* a chain of QMP commands; then runs once all succeeded */
    struct {
        const char *cmd;
        json_object *args;
        bool pass_fd;
    } steps[OP_MAX_STEPS];
    size_t n, next;
    json_object *last;          /* the answer to the last step */
    op_then_fn then;
    /* save */
    int fd;
    char *tmp, *file;
    bool migrating;
};

/* The temporary save file is recorded in the state before it exists, so that whoever finds
 * the save interrupted (a re-attached supervisor, the CLI's recovery) removes it. */
static void save_tmp_forget(struct sup *s)
{
    if (!s->st.save_tmp)
        return;
    free(s->st.save_tmp);
    s->st.save_tmp = NULL;
    sup_write_state(s);
}

/* Creates op->file's temporary FILE.XXXXXX (private), recorded first. */
static int save_tmp_create(struct sup *s, struct sup_snapop *op)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    int e = EEXIST;
    for (int tries = 0; tries < 16 && e == EEXIST; tries++) {
        unsigned char b[6];
        char suffix[sizeof(b) + 1];
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
            continue;
        for (size_t i = 0; i < sizeof(b); i++)
            suffix[i] = set[b[i] % (sizeof(set) - 1)];
        suffix[sizeof(b)] = '\0';
        free(s->st.save_tmp);
        s->st.save_tmp = xasprintf("%s.%s", op->file, suffix);
        sup_write_state(s);
        op->fd = open(s->st.save_tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (op->fd >= 0) {
            op->tmp = xstrdup(s->st.save_tmp);
            return 0;
        }
        e = errno;
    }
    save_tmp_forget(s);
    return -e;
}

static void op_free(struct sup_snapop *op)
{
    for (size_t i = 0; i < op->n; i++)
        json_object_put(op->steps[i].args);
    json_object_put(op->last);
    snap_meta_clear(&op->meta);
    if (op->fd >= 0)
        close(op->fd);
    if (op->tmp)
        unlink(op->tmp);
    free(op->tmp);
    if (op->file)
        save_tmp_forget(op->s);
    free(op->file);
    free(op);
}

/* Answers the client (if it is still there), ends the operation. reply NULL: the client
 * waits for the domain's end (save). */
static void op_end(struct sup_snapop *op, json_object *reply)
{
    struct sup *s = op->s;
    struct sup_client *c = op->has_client ? sup_client_done(s, op->client) : NULL;
    if (c) {
        if (reply)
            sup_client_send(c, reply);
        else
            c->wait_exit = true;
    }
    json_object_put(reply);
    if (s->snap == op)
        s->snap = NULL;
    op_free(op);
}

static void op_fail(struct sup_snapop *op, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void op_fail(struct sup_snapop *op, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    sup_log(op->s, "%s failed: %s", ctl_cmd_to_string(op->cmd), sb_str(&sb));
    /* A guest the operation paused runs again (snapshot-save and -load resume it
     * themselves; a failed save does not). */
    if (op->cmd == CTL_SAVE && op->was_running && sup_qmp_ready(op->s))
        sup_qmp_fire(op->s, "cont", NULL);
    op_end(op, ctl_reply_error("%s", sb_str(&sb)));
    sb_free(&sb);
}

static void op_step(struct sup_snapop *op);

static void on_step(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    (void)conn;
    struct sup_snapop *op = opaque;
    if (op->s->snap != op)
        return;     /* ended meanwhile (the monitor went away) */
    if (r->error) {
        op_fail(op, "%s", r->message ? r->message : "QMP command failed");
        return;
    }
    json_object_put(op->last);
    op->last = json_object_get(r->ret);
    op->next++;
    op_step(op);
}

static void op_add(struct sup_snapop *op, const char *cmd, json_object *args, bool pass_fd)
{
    if (op->n == OP_MAX_STEPS)
        abort();
    op->steps[op->n].cmd = cmd;
    op->steps[op->n].args = args;
    op->steps[op->n].pass_fd = pass_fd;
    op->n++;
}

/* Sends the next step of the chain, or runs then. */
static void op_step(struct sup_snapop *op)
{
    struct sup *s = op->s;
    if (op->next == op->n) {
        for (size_t i = 0; i < op->n; i++)
            json_object_put(op->steps[i].args);
        op->n = op->next = 0;
        op_then_fn then = op->then;
        op->then = NULL;
        if (then)
            then(op);
        return;
    }
    struct ql_error err = QL_ERROR_INIT;
    const char *cmd = op->steps[op->next].cmd;
    json_object *args = op->steps[op->next].args;
    int r = !sup_qmp_ready(s) ? ql_error_set(&err, ENOTCONN, "the QEMU monitor is not connected")
            : op->steps[op->next].pass_fd
                ? qmp_send_fd(s->qmp, cmd, args, op->fd, on_step, op, NULL, &err)
                : qmp_send(s->qmp, cmd, args, on_step, op, NULL, &err);
    if (r < 0) {
        op_fail(op, "%s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

static void op_run(struct sup_snapop *op, op_then_fn then)
{
    op->then = then;
    op->next = 0;
    op_step(op);
}

static json_object *args_new(const char *k, json_object *v)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k, v);
    return o;
}

/* ---- which disks ---- */

static int disk_by_target(const struct sup *s, const char *dev)
{
    for (size_t i = 0; i < s->dom->dev.n_disks; i++)
        if (s->dom->dev.disks[i].dev && strcmp(s->dom->dev.disks[i].dev, dev) == 0)
            return (int)i;
    return -1;
}

/* The disks a new snapshot holds (into m), or why it cannot be made. */
static int snapshot_disks(struct sup *s, struct snap_meta *m, struct ql_error *err)
{
    const char **src = xcalloc(s->dom->dev.n_disks + 1, sizeof(*src));
    for (size_t i = 0; i < s->dom->dev.n_disks; i++)
        src[i] = sup_disk_source(s, i);
    int r = snap_select_disks(s->dom, src, s->build.nvram_path, m, err);
    free(src);
    return r;
}

/* The node name QEMU has for each of the snapshot's disks now (query-block's answer). */
static json_object *snapshot_nodes(struct sup_snapop *op, const char **ret_vmstate)
{
    struct sup *s = op->s;
    json_object *a = json_object_new_array();
    *ret_vmstate = NULL;
    for (size_t k = 0; k < op->meta.n_disks; k++) {
        int i = disk_by_target(s, op->meta.disks[k]);
        json_object *e = i >= 0 ? sup_block_entry(s, op->last, (size_t)i) : NULL;
        json_object *ins = e ? ql_json_get(e, "inserted", json_type_object) : NULL;
        const char *node = ins ? ql_json_str(ins, "node-name", NULL) : NULL;
        if (!node) {
            json_object_put(a);
            op_fail(op, "QEMU has no image in disk '%s' of the snapshot", op->meta.disks[k]);
            return NULL;
        }
        json_object_array_add(a, json_object_new_string(node));
        if (op->meta.vmstate && strcmp(op->meta.disks[k], op->meta.vmstate) == 0)
            *ret_vmstate = json_object_get_string(json_object_array_get_idx(a, k));
    }
    return a;
}

/* ---- the QEMU job ---- */

static void job_started(struct sup_snapop *op)
{
    (void)op;   /* the job runs: JOB_STATUS_CHANGE "concluded" continues (on_job_event) */
}

/* query-block answered: start snapshot-save, -load or -delete on the snapshot's disks. */
static void start_job(struct sup_snapop *op)
{
    const char *vmstate;
    json_object *devices = snapshot_nodes(op, &vmstate);
    if (!devices)
        return;
    static unsigned seq;
    snprintf(op->job_id, sizeof(op->job_id), "qlaunch-snapshot-%ld-%u", (long)getpid(), ++seq);
    json_object *a = args_new("job-id", json_object_new_string(op->job_id));
    json_object_object_add(a, "tag", json_object_new_string(op->meta.name));
    if (op->cmd != CTL_SNAPSHOT_DELETE)
        json_object_object_add(a, "vmstate", json_object_new_string(vmstate));
    json_object_object_add(a, "devices", devices);
    const char *cmd = op->cmd == CTL_SNAPSHOT_CREATE ? "snapshot-save"
                      : op->cmd == CTL_SNAPSHOT_REVERT ? "snapshot-load" : "snapshot-delete";
    sup_log(op->s, "%s '%s' (job %s)", cmd, op->meta.name, op->job_id);
    op_add(op, cmd, a, false);
    op_run(op, job_started);
}

static void set_current(struct sup *s, bool change, const char *name, const char *deleted)
{
    struct ql_error err = QL_ERROR_INIT;
    if (snap_meta_set_current(s->st.name, change, name, deleted, &err) < 0)
        sup_log(s, "snapshot metadata: %s", ql_error_msg(&err));
    ql_error_clear(&err);
}

static void revert_state_done(struct sup_snapop *op)
{
    struct sup *s = op->s;
    s->st.state = SUP_STATE_SHUTOFF;    /* force the write */
    sup_set_state(s, op->meta.running ? SUP_STATE_RUNNING : SUP_STATE_PAUSED,
                  SUP_REASON_FROM_SNAPSHOT);
    sup_broadcast(s, "snapshot-reverted", op->meta.name);
    op_end(op, ctl_reply_ok());
}

static void job_succeeded(struct sup_snapop *op)
{
    struct sup *s = op->s;
    struct ql_error err = QL_ERROR_INIT;
    switch (op->cmd) {
    case CTL_SNAPSHOT_CREATE:
        op->meta.current = true;
        if (snap_meta_write(&op->meta, &err) < 0) {
            op_fail(op, "the snapshot '%s' was made, but its metadata cannot be written: %s",
                    op->meta.name, ql_error_msg(&err));
            ql_error_clear(&err);
            return;
        }
        set_current(s, true, op->meta.name, NULL);
        sup_broadcast(s, "snapshot-created", op->meta.name);
        op_end(op, ctl_reply_ok());
        return;
    case CTL_SNAPSHOT_REVERT:
        set_current(s, true, op->meta.name, NULL);
        /* snapshot-load leaves the guest running only if it ran before: the snapshot's own
         * state decides, as virsh snapshot-revert does. */
        if (op->meta.running != op->was_running)
            op_add(op, op->meta.running ? "cont" : "stop", NULL, false);
        op_run(op, revert_state_done);
        return;
    case CTL_SNAPSHOT_DELETE:
        if (snap_meta_remove(s->st.name, op->meta.name, &err) < 0) {
            op_fail(op, "%s", ql_error_msg(&err));
            ql_error_clear(&err);
            return;
        }
        set_current(s, op->meta.current, op->meta.parent, op->meta.name);
        sup_broadcast(s, "snapshot-deleted", op->meta.name);
        op_end(op, ctl_reply_ok());
        return;
    default:
        op_fail(op, "internal error: not a snapshot job");
    }
}

/* query-jobs answered after "concluded": the job's error, if any; then it is dismissed. */
static void job_concluded(struct sup_snapop *op)
{
    const char *error = NULL;
    size_t n = json_object_is_type(op->last, json_type_array) ? json_object_array_length(op->last)
                                                               : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *j = json_object_array_get_idx(op->last, i);
        if (strcmp(ql_json_str(j, "id", ""), op->job_id) == 0)
            error = ql_json_str(j, "error", NULL);
    }
    sup_qmp_fire(op->s, "job-dismiss", args_new("id", json_object_new_string(op->job_id)));
    if (error) {
        _cleanup_free_ char *msg = xstrdup(error);
        op_fail(op, "%s", msg);
        return;
    }
    sup_log(op->s, "job %s concluded", op->job_id);
    job_succeeded(op);
}

/* ---- save ---- */

/* The migration into the file is complete: the file takes its name, QEMU goes; the client
 * hears back once the domain is gone (shut off, reason saved). */
static void save_completed(struct sup_snapop *op)
{
    struct sup *s = op->s;
    if (fsync(op->fd) < 0 || rename(op->tmp, op->file) < 0) {
        op_fail(op, "cannot write '%s': %s", op->file, strerror(errno));
        return;
    }
    free(op->tmp);
    op->tmp = NULL;
    sup_log(s, "domain state saved to %s", op->file);
    sup_broadcast(s, "saved", op->file);
    /* Not destroy_requested: the policy would record "destroyed" over "saved". */
    s->final_set = true;
    s->final_state = SUP_STATE_SHUTOFF;
    s->final_reason = SUP_REASON_SAVED;
    s->timers[TM_RESTART] = s->timers[TM_SHUTDOWN] = 0;
    sup_begin_destroy(s, false);
    op_end(op, NULL);
}

static void save_failed(struct sup_snapop *op)
{
    op_fail(op, "QEMU could not save the domain's state: %s",
            ql_json_str(op->last, "error-desc", "the migration failed"));
}

static void save_migrating(struct sup_snapop *op)
{
    op->migrating = true;   /* MIGRATION "completed" (or "failed") continues */
}

static json_object *migrate_events_args(void)
{
    json_object *cap = args_new("capability", json_object_new_string("events"));
    json_object_object_add(cap, "state", json_object_new_boolean(1));
    json_object *caps = json_object_new_array();
    json_object_array_add(caps, cap);
    return args_new("capabilities", caps);
}

static json_object *start_save(struct sup *s, struct sup_snapop *op, const char *file)
{
    struct ql_error err = QL_ERROR_INIT;
    if (file[0] != '/')
        return ctl_reply_error("the save file must be an absolute path: '%s'", file);
    _cleanup_free_ char *xml = sup_running_xml(s, 0, &err);
    if (!xml) {
        json_object *o = ctl_reply_error("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return o;
    }
    /* Made beside the file, private, and renamed into place only once complete: a failed
     * save leaves nothing, never a half-written image under the name. */
    op->file = xstrdup(file);
    int r = save_tmp_create(s, op);
    if (r < 0)
        return ctl_reply_error("cannot create '%s': %s", file, strerror(-r));
    struct save_header h = {.name = s->st.name, .uuid = s->st.uuid, .xml = xml,
                            .running = op->was_running, .saved_at = time(NULL),
                            .qemu_version = s->st.qemu_version};
    size_t len;
    _cleanup_free_ char *head = save_header_format(&h, &len);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(op->fd, head + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return ctl_reply_error("cannot write '%s': %s", op->tmp, strerror(errno));
        off += (size_t)w;
    }
    if (fchmod(op->fd, 0600) < 0)
        return ctl_reply_error("cannot make '%s' private: %s", op->tmp, strerror(errno));
    sup_log(s, "saving the domain's state to %s", file);
    if (op->was_running)
        op_add(op, "stop", NULL, false);
    op_add(op, "migrate-set-capabilities", migrate_events_args(), false);
    /* As libvirt for a file: no bandwidth limit (QEMU's default is for networks). */
    op_add(op, "migrate-set-parameters",
           args_new("max-bandwidth", json_object_new_int64(INT64_MAX)), false);
    op_add(op, "getfd", args_new("fdname", json_object_new_string(SAVE_FDNAME)), true);
    op_add(op, "migrate", args_new("uri", json_object_new_string("fd:" SAVE_FDNAME)), false);
    op_run(op, save_migrating);
    return NULL;
}

/* ---- requests, events ---- */

static json_object *start_op(struct sup *s, struct sup_snapop *op, struct ctl_request *req)
{
    struct ql_error err = QL_ERROR_INIT;
    int r = 0;
    if (req->cmd == CTL_SAVE)
        return start_save(s, op, req->file);
    if (req->cmd == CTL_SNAPSHOT_CREATE) {
        _cleanup_free_ char *why = snap_name_error(req->snapshot);
        if (why)
            return ctl_reply_error("%s", why);
        struct snap_meta old;
        if (snap_meta_read(s->st.name, req->snapshot, &old, NULL) == 0) {
            snap_meta_clear(&old);
            return ctl_reply_error("domain snapshot '%s' already exists", req->snapshot);
        }
        struct snap_meta *m = &op->meta;
        m->name = xstrdup(req->snapshot);
        m->domain = xstrdup(s->st.name);
        m->description = req->description ? xstrdup(req->description) : NULL;
        m->creation_time = time(NULL);
        m->running = op->was_running;
        m->qemu_version = s->st.qemu_version ? xstrdup(s->st.qemu_version) : NULL;
        struct snap_meta *v;
        size_t n;
        if ((r = snap_meta_list(s->st.name, &v, &n, &err)) == 0) {
            for (size_t i = 0; i < n; i++)
                if (v[i].current)
                    m->parent = xstrdup(v[i].name);
            snap_meta_list_free(v, n);
            r = snapshot_disks(s, m, &err);
        }
    } else {
        r = snap_meta_read(s->st.name, req->snapshot, &op->meta, &err);
        if (r == 0 && op->meta.shutoff && req->cmd == CTL_SNAPSHOT_REVERT)
            r = ql_error_set(&err, ENOTSUP, "snapshot '%s' was made of the shut-off domain and "
                             "holds no VM state: revert it while the domain is shut off",
                             op->meta.name);
        for (size_t k = 0; r == 0 && k < op->meta.n_disks; k++)
            if (disk_by_target(s, op->meta.disks[k]) < 0)
                r = ql_error_set(&err, ENOENT, "the snapshot '%s' holds disk '%s', which the "
                                 "domain no longer has", op->meta.name, op->meta.disks[k]);
    }
    if (r < 0) {
        json_object *o = ctl_reply_error("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return o;
    }
    op_add(op, "query-block", NULL, false);
    op_run(op, start_job);
    return NULL;
}

void sup_snapshot_request(struct sup *s, struct sup_client *c, struct ctl_request *req)
{
    json_object *o = NULL;
    if (s->snap) {
        o = ctl_reply_error("another %s is in progress on domain '%s'; try again",
                            s->snap->cmd == CTL_SAVE ? "save" : "snapshot operation", s->st.name);
    } else if (s->dumping || s->restarting || s->destroy_requested || s->final_set) {
        o = ctl_reply_error("domain '%s' is being %s", s->st.name,
                            s->dumping ? "dumped" : s->restarting ? "restarted" : "stopped");
    } else if (s->st.state != SUP_STATE_RUNNING && s->st.state != SUP_STATE_PAUSED) {
        o = ctl_reply_error("domain '%s' is %s", s->st.name, sup_state_to_string(s->st.state));
    }
    if (o) {
        sup_client_send(c, o);
        json_object_put(o);
        return;
    }
    struct sup_snapop *op = xcalloc(1, sizeof(*op));
    op->s = s;
    op->cmd = req->cmd;
    op->client = c->id;
    op->has_client = true;
    op->fd = -1;
    op->was_running = s->st.state == SUP_STATE_RUNNING;
    s->snap = op;
    c->busy++;
    if ((o = start_op(s, op, req))) {
        op_end(op, o);
        return;
    }
}

bool sup_snapshot_busy(const struct sup *s)
{
    return s->snap != NULL;
}

static void on_migration(struct sup *s, const char *status)
{
    struct sup_snapop *op = s->snap;
    if (s->restoring && s->phase == PH_STARTING) {
        if (strcmp(status, "completed") == 0)
            sup_restore_loaded(s);
        return;     /* a failed load ends QEMU, and so the start */
    }
    if (!op || op->cmd != CTL_SAVE || !op->migrating)
        return;
    if (strcmp(status, "completed") == 0) {
        save_completed(op);
    } else if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
        op->migrating = false;
        op_add(op, "query-migrate", NULL, false);
        op_run(op, save_failed);
    }
}

void sup_snapshot_event(struct sup *s, const struct qmp_event *ev)
{
    const char *status = ql_json_str(ev->data, "status", "");
    if (strcmp(ev->name, "MIGRATION") == 0) {
        sup_log(s, "QMP event MIGRATION status=%s", status);
        on_migration(s, status);
        return;
    }
    struct sup_snapop *op = s->snap;
    if (!op || !op->job_id[0] || strcmp(ql_json_str(ev->data, "id", ""), op->job_id) != 0 ||
        strcmp(status, "concluded") != 0)
        return;
    op_add(op, "query-jobs", NULL, false);
    op_run(op, job_concluded);
}

void sup_snapshot_monitor_lost(struct sup *s)
{
    /* Commands in flight fail by themselves; an operation waiting for QEMU's event would
     * wait forever (the event went with the connection). */
    if (s->snap && s->snap->n == 0)
        op_fail(s->snap, "the connection to QEMU's monitor was lost during the %s; its outcome "
                "is unknown (see snapshot-list and the log)", ctl_cmd_to_string(s->snap->cmd));
}

void sup_snapshot_cleanup(struct sup *s)
{
    if (!s->snap)
        return;
    struct sup_snapop *op = s->snap;
    s->snap = NULL;
    op->has_client = false;
    /* the end of the supervisor: the file goes (op_free), the state is not written again */
    free(s->st.save_tmp);
    s->st.save_tmp = NULL;
    op_free(op);
}

/* ---- restore: QEMU started with -incoming defer loads the save file ---- */

int sup_restore_prepare(struct sup *s, struct ql_error *err)
{
    const char *path = s->cfg->restore_path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot open '%s'", path);
    struct save_header h;
    int r = save_header_read(fd, path, &h, err);
    if (r < 0) {
        close(fd);
        return r;
    }
    if (strcmp(h.name, s->dom->name) != 0) {
        save_header_clear(&h);
        close(fd);
        return ql_error_set(err, EINVAL, "'%s' changed: it now holds domain '%s'", path,
                            h.name);
    }
    s->restoring = true;
    s->restore_running = s->cfg->restore_state ? s->cfg->restore_state > 0 : h.running;
    if (lseek(fd, (off_t)h.data_offset, SEEK_SET) < 0) {
        r = ql_error_errno(err, errno, "cannot read '%s'", path);
        close(fd);
        save_header_clear(&h);
        return r;
    }
    save_header_clear(&h);
    s->incoming_fd = fd;
    argv_add(&s->build.argv, "-incoming");
    argv_add(&s->build.argv, "defer");
    return 0;
}

static void on_incoming(struct qmp_conn *conn, const struct qmp_reply *r, void *opaque)
{
    (void)conn;
    struct sup *s = opaque;
    if (!r->error)
        return;     /* loading: MIGRATION "completed" continues (sup_restore_loaded) */
    struct ql_error err = QL_ERROR_INIT;
    ql_error_set(&err, EIO, "QEMU cannot load '%s': %s", s->cfg->restore_path, r->message);
    sup_start_failed(s, &err);
    ql_error_clear(&err);
}

/* QMP is ready: the state is loaded before anything else is set up. */
void sup_restore_begin(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    sup_log(s, "restoring the domain's state from %s", s->cfg->restore_path);
    sup_qmp_fire(s, "migrate-set-capabilities", migrate_events_args());
    _cleanup_free_ char *uri = xasprintf("fd:%d", s->incoming_num);
    json_object *a = args_new("uri", json_object_new_string(uri));
    if (qmp_send(s->qmp, "migrate-incoming", a, on_incoming, s, NULL, &err) < 0) {
        sup_start_failed(s, &err);
        ql_error_clear(&err);
    }
    json_object_put(a);
}

/* Re-attach: a save whose supervisor was killed leaves QEMU migrating into a file that is
 * gone (sup_reattach removed it): the migration is cancelled. QEMU jobs that concluded
 * while nobody watched are dismissed (their outcome had nobody to hear it). */
static void on_reattach_jobs(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    size_t n = !r->error && json_object_is_type(r->ret, json_type_array)
                   ? json_object_array_length(r->ret) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *j = json_object_array_get_idx(r->ret, i);
        const char *id = ql_json_str(j, "id", "");
        if (strcmp(ql_json_str(j, "status", ""), "concluded") != 0)
            continue;
        sup_log(s, "QEMU job %s concluded while no supervisor watched: dismissed", id);
        sup_qmp_fire(s, "job-dismiss", args_new("id", json_object_new_string(id)));
    }
}

void sup_snapshot_reattached(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    if (s->save_interrupted) {
        sup_log(s, "a save was interrupted: its migration is cancelled (the guest stays "
                "paused)");
        sup_qmp_fire(s, "migrate_cancel", NULL);
        s->save_interrupted = false;
    }
    if (s->qmp && qmp_send(s->qmp, "query-jobs", NULL, on_reattach_jobs, s, NULL, &err) < 0)
        sup_log(s, "query-jobs: %s", ql_error_msg(&err));
    ql_error_clear(&err);
}
