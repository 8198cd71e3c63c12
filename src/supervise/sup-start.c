/* The asynchronous start: spawn QEMU paused (-S), then, once QMP is negotiated, every setup
 * command libvirt sends before `cont` (passwords, link state, balloon, displays, console,
 * pinning) is queued at once; `cont` follows when all have succeeded. Nothing waits: the
 * poll loop keeps serving control clients throughout. Also the re-attach to a QEMU whose
 * supervisor died. */
#include "config.h"
#include "supervise/probe.h"
#include "domain/parse.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/fileio.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void start_finalize_failure(struct sup *s)
{
    if (s->done)
        return;
    s->phase = PH_FAILED;
    s->done = true;
    s->exit_code = SUP_EXIT_FAILED;
}

/* The start (or re-attach) failed: QEMU goes, then the supervisor reports and exits. */
void sup_start_failed(struct sup *s, struct ql_error *err)
{
    if (s->phase == PH_FAILED || s->phase == PH_RUNNING)
        return;
    if (!s->start_err.msg)
        ql_error_set(&s->start_err, err && err->code ? err->code : EIO, "%s",
                     ql_error_msg(err));
    s->phase = PH_FAILED;
    s->timers[TM_START] = 0;
    if (sup_qemu_alive(s)) {
        sup_qemu_signal(s, SIGKILL);
        s->timers[TM_START_EXIT] = ql_mono_ms() + 5000;   /* in case its exit goes unseen */
    } else {
        start_finalize_failure(s);
    }
}

/* QEMU is gone before the domain ran: say why in QEMU's own words when it left some. */
void sup_start_qemu_gone(struct sup *s)
{
    s->timers[TM_START_EXIT] = 0;
    if (s->phase == PH_STARTING && !s->start_err.msg) {
        _cleanup_free_ char *qmsg = sup_qemu_log_error(s, s->log_start);
        if (s->destroy_requested)
            ql_error_set(&s->start_err, ECANCELED, "the domain was destroyed while starting");
        else
            ql_error_set(&s->start_err, EIO, "QEMU failed to start: %s (log: %s)",
                         qmsg ? qmsg : "it closed the monitor", s->log_path);
    } else if (s->phase == PH_REATTACHING && !s->start_err.msg) {
        ql_error_set(&s->start_err, ESRCH, "QEMU (pid %ld) exited during the re-attach",
                     (long)s->st.qemu_pid);
    }
    start_finalize_failure(s);
}

static void setup_failed(struct sup *s, const char *what, const struct qmp_reply *r)
{
    struct ql_error e = QL_ERROR_INIT;
    ql_error_set(&e, r->error < 0 ? -r->error : EIO, "%s%s%s", what ? what : "",
                 what ? ": " : "", r->message ? r->message : "QMP command failed");
    sup_start_failed(s, &e);
    ql_error_clear(&e);
}

/* The domain runs (or, restored from a paused save, stays paused): the start is over. */
static void start_done(struct sup *s, bool running)
{
    s->phase = PH_RUNNING;
    s->timers[TM_START] = 0;
    s->st.boots = 1;
    s->st.state = running ? SUP_STATE_RUNNING : SUP_STATE_PAUSED;
    s->st.reason = s->restoring ? (running ? SUP_REASON_RESTORED : SUP_REASON_USER)
                                : SUP_REASON_BOOTED;
    sup_write_state(s);
    sup_trace(s, "state-running");
    sup_log(s, "domain '%s' is running (QEMU pid %ld)", s->dom->name, (long)s->qemu_pid);
    char ok[64];
    snprintf(ok, sizeof(ok), "OK %ld", (long)s->qemu_pid);
    sup_ready(s, ok);
    sup_trace(s, "released");
    sup_broadcast(s, "started", NULL);
}

static void on_start_cont(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (s->phase != PH_STARTING)
        return;
    if (r->error) {
        setup_failed(s, NULL, r);
        return;
    }
    sup_trace(s, "cont");
    start_done(s, true);
}

static void setup_step_done(struct sup *s)
{
    if (s->setup_outstanding)
        s->setup_outstanding--;
    if (s->setup_outstanding || s->phase != PH_STARTING)
        return;
    if (s->restoring && !s->restore_running) {
        start_done(s, false);
        return;
    }
    struct ql_error err = QL_ERROR_INIT;
    if (qmp_send(s->qmp, "cont", NULL, on_start_cont, s, NULL, &err) < 0) {
        sup_start_failed(s, &err);
        ql_error_clear(&err);
    }
}

static void on_setup_reply(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (r->error && s->phase == PH_STARTING)
        setup_failed(s, NULL, r);
    setup_step_done(s);
}

static void setup_send(struct sup *s, const char *cmd, json_object *args, qmp_reply_cb cb)
{
    struct ql_error err = QL_ERROR_INIT;
    s->setup_outstanding++;
    if (qmp_send(s->qmp, cmd, args, cb ? cb : on_setup_reply, s, NULL, &err) < 0) {
        s->setup_outstanding--;
        sup_start_failed(s, &err);
        ql_error_clear(&err);
    }
    json_object_put(args);
}

static void on_chardevs(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    /* A console is a convenience: a failed query is logged, not fatal. */
    if (r->error == 0 && json_object_is_type(r->ret, json_type_array)) {
        const char *pty = NULL, *first = NULL;
        for (size_t i = 0; i < json_object_array_length(r->ret); i++) {
            json_object *e = json_object_array_get_idx(r->ret, i);
            const char *fn = ql_json_str(e, "filename", NULL);
            if (!fn || strncmp(fn, "pty:", 4) != 0)
                continue;
            if (!first)
                first = fn + 4;
            const char *label = ql_json_str(e, "label", NULL);
            if (label && s->build.console_chardev && strcmp(label, s->build.console_chardev) == 0)
                pty = fn + 4;
        }
        free(s->st.console_pty);
        s->st.console_pty = xstrdup(pty ? pty : first);
    } else if (r->error && s->phase == PH_STARTING) {
        sup_log(s, "cannot ask QEMU for its consoles: %s", r->message);
    }
    setup_step_done(s);
}

/* Where a graphics server really listens, from QEMU (query-spice / query-vnc), for
 * dominfo and domdisplay. A failed query is logged and leaves what the XML says. */
static void on_display(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    bool spice = strcmp(r->command, "query-spice") == 0;
    struct sup_display *d = NULL;
    for (size_t i = 0; i < s->st.n_displays && !d; i++)
        if (strcmp(s->st.displays[i].type, spice ? "spice" : "vnc") == 0)
            d = &s->st.displays[i];
    if (d && r->error) {
        sup_log(s, "cannot ask QEMU where %s listens: %s", d->type, r->message);
    } else if (d) {
        const char *host = ql_json_str(r->ret, "host", NULL);
        /* query-spice reports the port as a number, query-vnc as a string ("service"). */
        const char *svc = spice ? NULL : ql_json_str(r->ret, "service", NULL);
        int port = spice ? ql_json_int(r->ret, "port", 0) : svc ? (int)strtol(svc, NULL, 10) : 0;
        if (host) {
            free(d->host);
            d->host = xstrdup(host);
        }
        if (port > 0 && port <= 65535)
            d->port = port;
        if (spice && ql_json_int(r->ret, "tls-port", 0) > 0)
            d->tls_port = ql_json_int(r->ret, "tls-port", 0);
        sup_log(s, "%s listens on %s port %d", d->type, d->host, d->port);
    }
    setup_step_done(s);
}

static void queue_displays(struct sup *s)
{
    for (size_t i = 0; i < s->st.n_displays; i++)
        sup_display_clear(&s->st.displays[i]);
    s->st.n_displays = 0;
    for (size_t i = 0; i < s->build.n_displays && s->st.n_displays < SUP_MAX_DISPLAYS; i++) {
        const struct qb_display *b = &s->build.displays[i];
        bool spice = b->type == DOM_GFX_SPICE;
        struct sup_display *d = &s->st.displays[s->st.n_displays++];
        snprintf(d->type, sizeof(d->type), "%s", spice ? "spice" : "vnc");
        if (b->socket) {
            d->unix_socket = true;
            d->host = xstrdup(b->socket);
            continue;
        }
        d->host = xstrdup(b->host);
        d->port = b->port;
        setup_send(s, spice ? "query-spice" : "query-vnc", NULL, on_display);
    }
}

static void queue_passwords(struct sup *s)
{
    for (size_t i = 0; i < s->dom->dev.n_graphics; i++) {
        const struct dom_graphics *g = &s->dom->dev.graphics[i];
        if (!g->passwd)
            continue;
        const char *proto = g->type == DOM_GFX_SPICE ? "spice" : "vnc";
        json_object *a = json_object_new_object();
        json_object_object_add(a, "protocol", json_object_new_string(proto));
        json_object_object_add(a, "password", json_object_new_string(g->passwd));
        const char *connected = dom_gfx_connected_to_string(g->connected);
        if (g->type == DOM_GFX_SPICE && g->connected)
            json_object_object_add(a, "connected", json_object_new_string(connected));
        setup_send(s, "set_password", a, NULL);
        a = json_object_new_object();
        json_object_object_add(a, "protocol", json_object_new_string(proto));
        /* The parser checked passwdValidTo and gives it in seconds. */
        _cleanup_free_ char *when = g->passwd_valid_to
                                    ? xasprintf("%lld", (long long)g->passwd_valid_to_epoch)
                                    : xstrdup("never");
        json_object_object_add(a, "time", json_object_new_string(when));
        setup_send(s, "expire_password", a, NULL);
    }
}

/* What the command line cannot say and libvirt sets over QMP before `cont`: NIC link
 * state, the balloon statistics period and its target. */
static void queue_devices(struct sup *s)
{
    for (size_t i = 0; i < s->build.n_nics; i++) {
        if (!s->build.nics[i].link_down)
            continue;
        const char *id = s->build.nics[i].device_id;
        json_object *a = json_object_new_object();
        json_object_object_add(a, "name", json_object_new_string(id));
        json_object_object_add(a, "up", json_object_new_boolean(0));
        setup_send(s, "set_link", a, NULL);
        sup_log(s, "interface %s: link set down", id);
    }
    const struct dom_memballoon *b = &s->dom->dev.memballoon;
    if (s->build.balloon_path && b->present && b->stats_period >= 0) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "path", json_object_new_string(s->build.balloon_path));
        json_object_object_add(a, "property",
                               json_object_new_string("guest-stats-polling-interval"));
        json_object_object_add(a, "value", json_object_new_int(b->stats_period));
        setup_send(s, "qom-set", a, NULL);
    }
    if (s->build.balloon_path && s->dom->current_memory_kib &&
        s->dom->current_memory_kib < s->dom->memory_kib) {
        json_object *a = json_object_new_object();
        json_object_object_add(a, "value",
                               json_object_new_int64((int64_t)s->dom->current_memory_kib * 1024));
        setup_send(s, "balloon", a, NULL);
    }
}

static void pin_failed(struct sup *s, int e, const char *what, unsigned idx, long tid,
                       const char *cs)
{
    struct ql_error err = QL_ERROR_INIT;
    ql_error_errno(&err, e, "cannot pin %s %u (thread %ld) to CPUs '%s'", what, idx, tid,
                   cs ? cs : "all");
    sup_start_failed(s, &err);
    ql_error_clear(&err);
}

/* A setup step's reply that is an error: the start fails, and the step is counted done. */
static bool step_failed(struct sup *s, const struct qmp_reply *r)
{
    if (!r->error)
        return false;
    setup_failed(s, NULL, r);
    setup_step_done(s);
    return true;
}

int sup_pin_vcpu(struct sup *s, json_object *e, struct ql_error *err)
{
    const struct domain *d = s->dom;
    unsigned idx = (unsigned)ql_json_int(e, "cpu-index", 0);
    pid_t tid = (pid_t)ql_json_int(e, "thread-id", 0);
    const char *cs = d->vcpu_cpuset;
    for (size_t k = 0; k < d->cputune.n_vcpupins; k++)
        if (d->cputune.vcpupins[k].vcpu == idx)
            cs = d->cputune.vcpupins[k].cpuset;
    if (!tid || (!cs && !d->cputune.emulatorpin))
        return 0;   /* inherits the process mask already */
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(getpid(), sizeof(set), &set) < 0)
        CPU_ZERO(&set);
    if (cs && dom_cpuset_to_mask(cs, &set) < 0)
        return 0;
    if (sched_setaffinity(tid, sizeof(set), &set) < 0)
        return ql_error_errno(err, errno, "cannot pin vCPU %u (thread %ld) to CPUs '%s'", idx,
                              (long)tid, cs ? cs : "all");
    sup_log(s, "vCPU %u (thread %ld) pinned to CPUs %s", idx, (long)tid, cs ? cs : "all");
    return 0;
}

static void on_vcpus(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (step_failed(s, r))
        return;
    size_t n = json_object_is_type(r->ret, json_type_array) ? json_object_array_length(r->ret) : 0;
    for (size_t i = 0; i < n && s->phase == PH_STARTING; i++) {
        struct ql_error err = QL_ERROR_INIT;
        if (sup_pin_vcpu(s, json_object_array_get_idx(r->ret, i), &err) < 0)
            sup_start_failed(s, &err);
        ql_error_clear(&err);
    }
    setup_step_done(s);
}

static void on_iothreads(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    const struct domain *d = s->dom;
    if (step_failed(s, r))
        return;
    size_t n = json_object_is_type(r->ret, json_type_array) ? json_object_array_length(r->ret) : 0;
    for (size_t k = 0; k < d->cputune.n_iothreadpins && k < s->build.n_iothreadpin_ids &&
                       s->phase == PH_STARTING; k++) {
        const struct dom_vcpupin *ip = &d->cputune.iothreadpins[k];
        const char *want = s->build.iothreadpin_ids[k];
        pid_t tid = 0;
        for (size_t i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(r->ret, i);
            const char *id = ql_json_str(t, "id", NULL);
            if (id && strcmp(id, want) == 0)
                tid = (pid_t)ql_json_int(t, "thread-id", 0);
        }
        cpu_set_t set;
        if (!tid) {
            struct ql_error err = QL_ERROR_INIT;
            ql_error_set(&err, ENOENT, "%s: QEMU has no IOThread '%s' to pin", ip->src.path,
                         want);
            sup_start_failed(s, &err);
            ql_error_clear(&err);
        } else if (dom_cpuset_to_mask(ip->cpuset, &set) < 0) {
            pin_failed(s, EINVAL, "IOThread", ip->vcpu, (long)tid, ip->cpuset);
        } else if (sched_setaffinity(tid, sizeof(set), &set) < 0) {
            pin_failed(s, errno, "IOThread", ip->vcpu, (long)tid, ip->cpuset);
        } else {
            sup_log(s, "IOThread %u (thread %ld) pinned to CPUs %s", ip->vcpu, (long)tid,
                    ip->cpuset);
        }
    }
    setup_step_done(s);
}

/* QMP is negotiated: everything before `cont` goes out at once (QEMU answers in order). */
static void start_setup(struct sup *s)
{
    sup_trace(s, "qmp-ready");
    /* QEMU's SPICE and VNC listeners are bound now: other starts may pick ports again. */
    sup_release_ports_lock(s);
    const struct qmp_version *ver = qmp_conn_version(s->qmp);
    if (ver && !s->st.qemu_version)
        s->st.qemu_version = xasprintf("%d.%d.%d", ver->major, ver->minor, ver->micro);
    if (s->restoring && !s->incoming_done) {
        sup_restore_begin(s);   /* then sup_restore_loaded */
        return;
    }
    s->setup_outstanding = 1;   /* held until everything is queued */
    setup_send(s, "query-chardev", NULL, on_chardevs);
    queue_displays(s);
    queue_passwords(s);
    queue_devices(s);
    const struct domain *d = s->dom;
    if (d->cputune.n_vcpupins || d->vcpu_cpuset || d->cputune.emulatorpin)
        setup_send(s, "query-cpus-fast", NULL, on_vcpus);
    if (d->cputune.n_iothreadpins)
        setup_send(s, "query-iothreads", NULL, on_iothreads);
    setup_step_done(s);
}

static void on_reattach_status(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (s->phase != PH_REATTACHING && s->phase != PH_RUNNING)
        return;
    if (r->error) {
        if (s->phase == PH_REATTACHING)
            setup_failed(s, "cannot query QEMU's status", r);
        return;
    }
    bool first = s->phase == PH_REATTACHING;
    s->phase = PH_RUNNING;
    s->timers[TM_START] = 0;
    if (first)
        sup_log(s, "re-attached to QEMU pid %ld (status %s)", (long)s->qemu_pid,
                ql_json_str(r->ret, "status", "?"));
    /* Reconciled before anyone hears of the re-attach: the verb that caused it must get
     * the state QEMU has now, not the one the dead supervisor last wrote. */
    sup_reconcile(s, r->ret);
    if (!first)
        return;
    sup_snapshot_reattached(s);
    sup_write_state(s);
    /* A domain that ended while nobody watched (a guest power-off with on_poweroff
     * destroy) is being stopped now: the verb waits for its outcome (NAME.last) instead of
     * reading a "running" that is no longer true (sup_main reports "GONE" at the end). */
    if ((s->final_set && !s->dumping) || s->destroy_requested)
        return;
    char ok[64];
    snprintf(ok, sizeof(ok), "OK %ld", (long)s->qemu_pid);
    sup_ready(s, ok);
    sup_broadcast(s, "started", NULL);
}

void sup_restore_loaded(struct sup *s)
{
    if (s->incoming_done)
        return;
    s->incoming_done = true;
    close(s->incoming_fd);
    s->incoming_fd = -1;
    sup_trace(s, "restored");
    sup_log(s, "the saved state is loaded");
    start_setup(s);
}

/* QMP is (again) in command mode. */
void sup_on_qmp_ready(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    s->reconnect_tries = 0;
    switch (s->phase) {
    case PH_STARTING:
        start_setup(s);
        break;
    case PH_REATTACHING:
    case PH_RUNNING:
        if (s->phase == PH_RUNNING)
            sup_log(s, "QMP connection to QEMU pid %ld re-established", (long)s->qemu_pid);
        if (qmp_send(s->qmp, "query-status", NULL, on_reattach_status, s, NULL, &err) < 0) {
            sup_log(s, "cannot query QEMU's status: %s", ql_error_msg(&err));
            ql_error_clear(&err);
        }
        break;
    case PH_FAILED:
        break;
    }
}

int sup_start(struct sup *s, struct ql_error *err)
{
    int r;
    sup_hotplug_restore(s);     /* nothing hot-plugged yet: counts the start's devices */
    if ((r = sup_prepare_host(s, err)) < 0)
        return r;
    if (s->cfg->restore_path && (r = sup_restore_prepare(s, err)) < 0)
        return r;
    _cleanup_close_ int lfd = sup_bind_unix(s->paths.qmp, 1, err);
    if (lfd < 0)
        return lfd;
    struct strbuf cmdline = STRBUF_INIT;
    argv_render_shell(&cmdline, &s->build.argv, false);
    sup_log(s, "starting QEMU: %s", sb_str(&cmdline));
    sb_free(&cmdline);
    s->log_start = lseek(s->log_fd, 0, SEEK_END);
    s->phase = PH_STARTING;
    r = sup_spawn_qemu(s, lfd, err);
    /* Only QEMU may hold the listener: if it dies, our pending connection must see EOF
     * instead of waiting for a greeting that never comes. */
    close(steal_fd(&lfd));
    if (r < 0)
        return r;
    s->timers[TM_START] = ql_mono_ms() + SUP_START_TIMEOUT_MS;
    /* QEMU holds the listening socket now; connect() succeeds at once (no polling); the
     * greeting and everything after it arrive through the loop. */
    return sup_qmp_open(s, err);
}

/* A state file that cannot be trusted is never acted on: QEMU is identified by the lock it
 * inherited (sup_probe) and the rest of what the state held is rebuilt from the domain. */
static int reattach_identity(struct sup *s, struct sup_status *old, struct ql_error *err)
{
    struct ql_error rerr = QL_ERROR_INIT;
    int r = sup_status_read(s->paths.state, old, &rerr);
    if (r == 0 && old->qemu_pid > 0 && old->qemu_start_time &&
        sup_proc_matches(old->qemu_pid, old->qemu_start_time))
        return 0;
    if (r == 0)
        sup_status_clear(old);
    memset(old, 0, sizeof(*old));
    struct sup_probe pr;
    sup_probe(&s->paths, &pr);
    if (!pr.qemu_pid) {
        r = ql_error_set(err, ESRCH, "no QEMU of domain '%s' is running%s%s", s->dom->name,
                         rerr.msg ? " (" : "", rerr.msg ? rerr.msg : "");
        if (rerr.msg)
            ql_error_prefix(err, "%s", "");
        ql_error_clear(&rerr);
        return r;
    }
    sup_log(s, "state file unusable (%s): QEMU pid %ld found by its run-directory lock; host "
            "objects recorded there (taps, OVS ports) are not known to this supervisor",
            rerr.msg ? rerr.msg : "no QEMU pid", (long)pr.qemu_pid);
    ql_error_clear(&rerr);
    old->qemu_pid = pr.qemu_pid;
    old->qemu_start_time = pr.qemu_start_time;
    old->state = SUP_STATE_RUNNING;
    old->reason = SUP_REASON_UNKNOWN;
    old->boots = 1;
    old->restart_cap = s->cfg->restart_cap;
    old->restart_window = s->cfg->restart_window_s;
    return 0;
}

/* Re-attaches to a QEMU whose supervisor died, reconciling what happened meanwhile. */
/* The ids the builder gave QEMU's devices (disks, NICs, balloon) and who QEMU runs as,
 * for the verbs about devices: a build without the host's facts names them the same. */
static void reattach_names(struct sup *s)
{
    /* The same preparation as the start (run and QEMU directories, QEMU's user), so that
     * the names and paths are the ones QEMU was started with. */
    _cleanup_(sup_build_prep_free) struct sup_build_prep prep = {0};
    struct ql_error err = QL_ERROR_INIT;
    /* what QEMU was started with: the devices hot-plugged since are named after it */
    struct domain start;
    sup_hotplug_start_view(s, &start);
    if (sup_build_prepare(&start, s->cfg->base, s->cfg->accel, s->cfg->emulator, 0, &prep,
                          &err) < 0 ||
        qb_build(&start, &prep.o, &s->build, &err) < 0) {
        sup_log(s, "cannot name QEMU's devices again: %s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
    sup_hotplug_view_free(&start);
    sup_hotplug_names(s);
    s->dac = prep.dac;
    memset(&prep.dac, 0, sizeof(prep.dac));
    host_dac_load_groups(&s->dac);
}

int sup_reattach(struct sup *s, struct ql_error *err)
{
    int r;
    struct sup_status old;
    s->phase = PH_REATTACHING;
    if ((r = reattach_identity(s, &old, err)) < 0)
        return r;
    s->st.restarts = old.restarts;
    s->st.boots = old.boots;
    s->st.state = old.state;
    s->st.reason = old.reason;
    s->st.qemu_pid = old.qemu_pid;
    s->st.qemu_start_time = old.qemu_start_time;
    s->st.started_at = old.started_at;
    s->st.console_pty = old.console_pty ? xstrdup(old.console_pty) : NULL;
    s->st.qemu_version = old.qemu_version ? xstrdup(old.qemu_version) : NULL;
    s->reboot_requested = old.reboot_pending;
    /* Hot-plugged devices and vCPUs: back into the domain before its devices are used. */
    s->st.hotdevs = old.hotdevs;
    s->st.n_hotdevs = old.n_hotdevs;
    s->st.hot_vcpus = old.hot_vcpus;
    s->st.n_hot_vcpus = old.n_hot_vcpus;
    old.hotdevs = NULL;
    old.hot_vcpus = NULL;
    old.n_hotdevs = old.n_hot_vcpus = 0;
    if (old.save_tmp) {
        /* its supervisor died during a save: the half-written file goes */
        if (unlink(old.save_tmp) == 0 || errno == ENOENT)
            sup_log(s, "removed '%s', the file of an interrupted save", old.save_tmp);
        s->save_interrupted = true;
    }
    s->st.removed = old.removed;
    s->st.n_removed = old.n_removed;
    old.removed = NULL;
    old.n_removed = 0;
    sup_hotplug_restore(s);
    /* The taps live as long as QEMU holds them; OVS ports need removing when it ends. */
    s->n_nics = s->st.n_nics = old.n_nics;
    s->nics = xcalloc(old.n_nics ? old.n_nics : 1, sizeof(*s->nics));
    s->st.nic_taps = xcalloc(old.n_nics ? old.n_nics : 1, sizeof(char *));
    s->st.nic_ovs = xcalloc(old.n_nics ? old.n_nics : 1, sizeof(char *));
    for (size_t i = 0; i < old.n_nics; i++) {
        s->nics[i].tap_name = xstrdup(old.nic_taps[i]);
        s->nics[i].ovs_bridge = xstrdup(old.nic_ovs[i]);
        /* A macvtap link outlives its fds: teardown deletes it (only if it still is one). */
        s->nics[i].macvtap = i < s->dom->dev.n_interfaces &&
                             s->dom->dev.interfaces[i].type == DOM_NET_DIRECT;
        s->st.nic_taps[i] = xstrdup(old.nic_taps[i]);
        s->st.nic_ovs[i] = xstrdup(old.nic_ovs[i]);
    }
    /* Files given to QEMU's user go back to their owners when it ends. */
    s->st.qemu_uid = old.qemu_uid;
    s->st.qemu_gid = old.qemu_gid;
    s->st.grants = old.grants;
    s->st.n_grants = old.n_grants;
    old.grants = NULL;
    old.n_grants = 0;
    /* Helper processes (swtpm) run on: stopped when the domain ends. */
    memcpy(s->st.helpers, old.helpers, sizeof(old.helpers));
    s->st.n_helpers = old.n_helpers;
    old.n_helpers = 0;
    /* PCI functions bound to vfio-pci stay so until QEMU ends. */
    s->st.pci = old.pci;
    s->st.n_pci = old.n_pci;
    old.pci = NULL;
    old.n_pci = 0;
    /* So are the media change-media put in (and the node names used so far). */
    s->st.media = old.media;
    s->st.n_media = old.n_media;
    s->st.media_seq = old.media_seq;
    old.media = NULL;
    old.n_media = 0;
    /* Settings given to `create` outlive the supervisor that was started with them. */
    s->restart_cap = old.restart_cap;
    s->restart_window = old.restart_window;
    free(s->st.dump_dir);
    s->st.dump_dir = old.dump_dir ? xstrdup(old.dump_dir) : NULL;
    s->st.restart_cap = old.restart_cap;
    s->st.restart_window = old.restart_window;
    s->st.reboot_pending = old.reboot_pending;
    s->qemu_pid = old.qemu_pid;
    /* The displays move over as they are (QEMU keeps its listeners). */
    memcpy(s->st.displays, old.displays, sizeof(old.displays));
    s->st.n_displays = old.n_displays;
    old.n_displays = 0;
    sup_status_clear(&old);
    reattach_names(s);
    if (!sup_qemu_alive(s))
        return ql_error_set(err, ESRCH, "QEMU (pid %ld) is no longer running",
                            (long)s->qemu_pid);
    s->pidfd = (int)syscall(SYS_pidfd_open, s->qemu_pid, 0);
    /* The new supervisor's pid, before anything else can ask. */
    sup_write_state(s);
    s->timers[TM_START] = ql_mono_ms() + SUP_QMP_TIMEOUT_MS;
    return sup_qmp_open(s, err);
}
