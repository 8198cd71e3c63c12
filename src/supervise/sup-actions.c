/* Carrying out the policy's decisions (policy.c decides, this file acts): destroy, the
 * in-place restart (reset + cont), guest memory dumps as QEMU jobs, the final state.
 * Every QMP exchange is asynchronous; a destroy never needs QMP. */
#include "config.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CONT_RETRY_MS 25
#define CONT_RETRY_MAX 80

/* Stops QEMU: quit over QMP when it is there, SIGTERM otherwise, SIGKILL after the grace
 * period (not for --graceful). */
void sup_begin_destroy(struct sup *s, bool graceful)
{
    struct ql_error err = QL_ERROR_INIT;
    s->timers[TM_RESTART] = 0;
    s->timers[TM_CONT_RETRY] = 0;
    s->timers[TM_RECONNECT] = 0;
    if (sup_qmp_ready(s) && qmp_send(s->qmp, "quit", NULL, NULL, NULL, NULL, &err) == 0) {
        s->timers[TM_TERM] = ql_mono_ms() + 3000;
    } else {
        ql_error_clear(&err);
        if (graceful)
            sup_qemu_signal(s, SIGTERM);
        else
            sup_qemu_terminate(s);
    }
    if (!graceful && !s->timers[TM_KILL])
        s->timers[TM_KILL] = ql_mono_ms() + SUP_DESTROY_GRACE_MS;
}

void sup_finish(struct sup *s, enum sup_state st, enum sup_reason r)
{
    if (s->final_set) {
        st = s->final_state;
        r = s->final_reason;
    }
    s->st.state = st;
    s->st.reason = r;
    s->st.qemu_pid = 0;
    sup_log(s, "domain ended: %s (%s)", sup_state_to_id(st), sup_reason_to_string(r));
    sup_broadcast(s, "stopped", sup_reason_to_string(r));
    s->exit_code = r == SUP_REASON_RESTART_LIMIT ? SUP_EXIT_RESTART_LIMIT
                   : r == SUP_REASON_CRASHED      ? SUP_EXIT_CRASHED
                                                  : SUP_EXIT_SHUTOFF;
    s->done = true;
}

static void set_final(struct sup *s, const struct sup_decision *d)
{
    s->final_set = true;
    s->final_state = d->state;
    s->final_reason = d->reason;
}

/* ---- restart: [set-action reboot=reset] -> system_reset -> cont ---- */

static bool reboot_wrapped(struct sup *s)
{
    return dom_on_reboot(s->dom) == DOM_LC_DESTROY;   /* -action reboot=shutdown */
}

static void restart_failed(struct sup *s, const char *why)
{
    s->restarting = false;
    sup_log(s, "restart failed: %s; destroying the domain", why);
    s->final_set = true;
    s->final_state = SUP_STATE_SHUTOFF;
    s->final_reason = SUP_REASON_CRASHED;
    sup_begin_destroy(s, false);
}

static void restart_done(struct sup *s)
{
    s->restarting = false;
    if (reboot_wrapped(s))
        s->timers[TM_REBOOT_ACTION] = ql_mono_ms() + 3000;
    s->shutdown_seen = s->guest_crashed = s->in_shutdown = s->reboot_requested = false;
    s->st.reboot_pending = false;
    s->st.restarts++;
    s->st.boots++;
    s->st.state = SUP_STATE_SHUTOFF;   /* force the write below */
    sup_set_state(s, SUP_STATE_RUNNING, s->pending_restart.reason);
    sup_broadcast(s, "restarted", NULL);
}

static void on_restart_cont(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (!s->restarting || s->destroy_requested || s->done)
        return;
    /* The reset is carried out by QEMU's main loop after system_reset's reply; cont before
     * that fails with "Resetting the Virtual Machine is required": try again shortly. */
    if (r->error == -EREMOTEIO && s->cont_tries < CONT_RETRY_MAX) {
        s->cont_tries++;
        s->timers[TM_CONT_RETRY] = ql_mono_ms() + CONT_RETRY_MS;
        return;
    }
    if (r->error)
        restart_failed(s, r->message);
    else
        restart_done(s);
}

void sup_cont_retry(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    if (!s->restarting)
        return;
    if (!sup_qmp_ready(s) || qmp_send(s->qmp, "cont", NULL, on_restart_cont, s, NULL, &err) < 0) {
        restart_failed(s, s->qmp ? ql_error_msg(&err) : "no QMP connection");
        ql_error_clear(&err);
    }
}

static void on_restart_reset(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (!s->restarting || s->destroy_requested || s->done)
        return;
    if (r->error) {
        restart_failed(s, r->message);
        return;
    }
    s->cont_tries = 0;
    sup_cont_retry(s);
}

static void send_reset(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    if (!sup_qmp_ready(s) ||
        qmp_send(s->qmp, "system_reset", NULL, on_restart_reset, s, NULL, &err) < 0) {
        restart_failed(s, s->qmp ? ql_error_msg(&err) : "no QMP connection");
        ql_error_clear(&err);
    }
}

static void on_restart_action(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (!s->restarting || s->destroy_requested || s->done)
        return;
    if (r->error)
        restart_failed(s, r->message);
    else
        send_reset(s);
}

static json_object *reboot_action_args(const char *action)
{
    json_object *a = json_object_new_object();
    json_object_object_add(a, "reboot", json_object_new_string(action));
    return a;
}

/* In-place restart (libvirt's "fake reboot"); a coredump, if any, was taken before. */
void sup_restart_now(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    s->restarting = true;
    if (!reboot_wrapped(s)) {
        send_reset(s);
        return;
    }
    json_object *a = reboot_action_args("reset");
    int r = sup_qmp_ready(s) ? qmp_send(s->qmp, "set-action", a, on_restart_action, s, NULL, &err)
                             : -ENOTCONN;
    json_object_put(a);
    if (r < 0) {
        restart_failed(s, s->qmp ? ql_error_msg(&err) : "no QMP connection");
        ql_error_clear(&err);
    }
}

void sup_reboot_action_restore(struct sup *s)
{
    if (sup_qmp_ready(s))
        sup_qmp_fire(s, "set-action", reboot_action_args("shutdown"));
}

/* ---- restart rate limit ---- */

static unsigned recent(const struct sup *s, const struct sup_times *t)
{
    int64_t horizon = ql_mono_ms() - (int64_t)s->restart_window * 1000;
    unsigned n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i] >= horizon)
            n++;
    return n;
}

static void note(struct sup_times *t)
{
    if (t->n == ARRAY_SIZE(t->v)) {
        memmove(t->v, t->v + 1, sizeof(t->v) - sizeof(t->v[0]));
        t->n--;
    }
    t->v[t->n++] = ql_mono_ms();
}

static void note_restart(struct sup *s)
{
    note(&s->restarts);
}

static void schedule_restart(struct sup *s, const struct sup_decision *d)
{
    note_restart(s);
    s->pending_restart = *d;
    s->timers[TM_RESTART] = ql_mono_ms() + d->backoff_ms;
}

/* ---- guest memory dumps: a QEMU job, finished by DUMP_COMPLETED ---- */

static void dump_then(struct sup *s)
{
    enum sup_after_dump then = s->after_dump;
    s->after_dump = AFTER_DUMP_NONE;
    switch (then) {
    case AFTER_DUMP_DESTROY:
        sup_begin_destroy(s, false);
        break;
    case AFTER_DUMP_RESTART:
        if (!s->destroy_requested)
            schedule_restart(s, &s->pending_restart);
        break;
    case AFTER_DUMP_CONT:
        if (!s->destroy_requested)
            sup_qmp_fire(s, "cont", NULL);
        break;
    case AFTER_DUMP_NONE:
        break;
    }
}

void sup_dump_completed(struct sup *s, const char *error)
{
    if (!s->dumping)
        return;
    s->dumping = false;
    if (error) {
        sup_log(s, "guest memory dump failed: %s", error);
    } else {
        sup_log(s, "guest memory dump complete: %s", s->dump_path);
        if (s->st.qemu_uid && lchown(s->dump_path, geteuid(), getegid()) < 0)
            sup_log(s, "cannot give '%s' back to root: %s", s->dump_path, strerror(errno));
        sup_broadcast(s, "coredump", s->dump_path);
    }
    dump_then(s);
}

static void on_dump_reply(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (r->error)
        sup_dump_completed(s, r->message);
    /* Success: the job runs; DUMP_COMPLETED ends it. */
}

void sup_coredump(struct sup *s, enum sup_after_dump then)
{
    const char *dir = sup_dump_dir(s->st.dump_dir);
    s->after_dump = then;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_private_dir(dir, "dump", "--dump-dir or QLAUNCH_DUMP_DIR", &err) < 0) {
        sup_log(s, "guest memory dump failed: %s", ql_error_msg(&err));
        ql_error_clear(&err);
        dump_then(s);
        return;
    }
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d-%H:%M:%S", &tm);
    _cleanup_free_ char *proto = xasprintf("file:%s/%s-%s.core", dir, s->dom->name, ts);
    sup_log(s, "dumping guest memory to %s", proto + 5);
    free(s->dump_path);
    s->dump_path = xstrdup(proto + 5);
    /* QEMU opens the path and follows links: it must find a new file of ours there, never
     * something planted in its place. A QEMU that is not root gets the file (in root's
     * directory, 0711) and gives it back when the dump is complete. */
    if (s->st.qemu_uid)
        sup_dir_searchable(s, dir);
    int fd = open(s->dump_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || (s->st.qemu_uid && fchown(fd, s->st.qemu_uid, s->st.qemu_gid) < 0)) {
        sup_log(s, "guest memory dump failed: cannot create '%s'%s: %s", s->dump_path,
                s->st.qemu_uid ? " for QEMU" : "", strerror(errno));
        if (fd >= 0)
            close(fd);
        dump_then(s);
        return;
    }
    close(fd);
    json_object *a = json_object_new_object();
    json_object_object_add(a, "paging", json_object_new_boolean(0));
    json_object_object_add(a, "protocol", json_object_new_string(proto));
    json_object_object_add(a, "detach", json_object_new_boolean(1));
    s->dumping = true;
    int r = sup_qmp_ready(s) ? qmp_send(s->qmp, "dump-guest-memory", a, on_dump_reply, s, NULL,
                                        &err)
                             : -ENOTCONN;
    json_object_put(a);
    if (r < 0) {
        sup_dump_completed(s, s->qmp ? ql_error_msg(&err) : "no QMP connection");
        ql_error_clear(&err);
    }
}

/* ---- policy ---- */

void sup_apply_policy(struct sup *s, enum sup_event ev)
{
    struct sup_policy_input in = {
        .event = ev,
        .on_poweroff = dom_on_poweroff(s->dom),
        .on_reboot = dom_on_reboot(s->dom),
        .on_crash = dom_on_crash(s->dom),
        .destroy_requested = s->destroy_requested,
        .reboot_requested = s->reboot_requested,
        .shutdown_seen = s->shutdown_seen,
        .guest_crashed = s->guest_crashed,
        .recent_restarts = recent(s, &s->restarts),
        .restart_cap = s->restart_cap,
        .recent_resets = recent(s, &s->resets),
        .reset_cap = s->restart_cap * SUP_RESET_LOOP_FACTOR,
        .stop_requested = s->stop_requested,
    };
    struct sup_decision d = sup_policy_decide(&in);
    sup_log(s, "policy: %s -> %s", sup_event_to_string(ev), sup_action_to_string(d.action));
    if (d.state == SUP_STATE_CRASHED && d.reason == SUP_REASON_RESTART_LIMIT)
        sup_log(s, "restart limit reached (%u restarts, %u guest resets in %u s): giving up",
                in.recent_restarts, in.recent_resets, s->restart_window);
    switch (d.action) {
    case SUP_ACT_NONE:
        if (ev == SUP_EV_HOST_SHUTDOWN && s->st.state != SUP_STATE_SHUTOFF)
            sup_set_state(s, d.state, d.reason);
        if (ev == SUP_EV_GUEST_RESET)
            note(&s->resets);   /* counts toward the reset-loop limit */
        break;
    case SUP_ACT_COREDUMP_DESTROY:
        /* While the dump runs the guest is crashed (panicked), as libvirt shows it. */
        if (ev == SUP_EV_GUEST_PANIC)
            sup_set_state(s, SUP_STATE_CRASHED, SUP_REASON_PANICKED);
        set_final(s, &d);
        sup_coredump(s, AFTER_DUMP_DESTROY);
        break;
    case SUP_ACT_DESTROY:
        set_final(s, &d);
        sup_begin_destroy(s, false);
        break;
    case SUP_ACT_COREDUMP_RESTART:
        if (ev == SUP_EV_GUEST_PANIC)
            sup_set_state(s, SUP_STATE_CRASHED, SUP_REASON_PANICKED);
        s->pending_restart = d;
        sup_coredump(s, AFTER_DUMP_RESTART);
        break;
    case SUP_ACT_RESTART:
        schedule_restart(s, &d);
        break;
    case SUP_ACT_PRESERVE:
        sup_set_state(s, d.state, d.reason);
        break;
    case SUP_ACT_FINISHED:
        sup_finish(s, d.state, d.reason);
        break;
    default:
        break;
    }
}
