/* The supervisor's QMP connection: events become policy decisions; a lost connection with
 * QEMU still alive is re-established (QEMU's monitor socket accepts again) and what
 * happened meanwhile is reconciled from query-status; if it cannot be, QEMU is ended and
 * that is recorded. The domain never stays unmanageable. */
#include "config.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool sup_qmp_ready(struct sup *s)
{
    return s->qmp && qmp_conn_get_state(s->qmp) == QMP_CONN_READY;
}

static void on_fire_reply(struct qmp_conn *c, const struct qmp_reply *r, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    if (r->error && r->error != -ECONNRESET && r->error != -ECANCELED)
        sup_log(s, "%s", r->message ? r->message : "QMP command failed");
}

void sup_qmp_fire(struct sup *s, const char *cmd, json_object *args)
{
    struct ql_error err = QL_ERROR_INIT;
    if (!s->qmp || qmp_send(s->qmp, cmd, args, on_fire_reply, s, NULL, &err) < 0) {
        sup_log(s, "cannot send '%s' to QEMU: %s", cmd, s->qmp ? ql_error_msg(&err)
                                                            : "no QMP connection");
        ql_error_clear(&err);
    }
    json_object_put(args);
}

/* <watchdog action='dump'> runs QEMU with the watchdog action pause (see the builder); as
 * libvirt does, the supervisor dumps guest memory and lets the guest continue. */
static void on_watchdog(struct sup *s, const struct qmp_event *ev)
{
    const char *action = ql_json_str(ev->data, "action", NULL);
    if (!action)
        action = "?";
    sup_log(s, "QMP event WATCHDOG action=%s", action);
    sup_broadcast(s, "watchdog", action);
    if (!s->dom->dev.n_watchdogs || s->dom->dev.watchdogs[0].action != DOM_WDACT_DUMP ||
        strcmp(action, "pause") != 0)
        return;
    sup_coredump(s, AFTER_DUMP_CONT);
}

static void on_unknown_event(struct sup *s, const struct qmp_event *ev)
{
    if (!ev->name)
        return;
    if (strcmp(ev->name, "WATCHDOG") == 0) {
        on_watchdog(s, ev);
    } else if (strcmp(ev->name, "DUMP_COMPLETED") == 0) {
        json_object *v;
        const char *error = NULL;
        if (ev->data && json_object_object_get_ex(ev->data, "error", &v))
            error = json_object_get_string(v);
        sup_dump_completed(s, error);
    } else if (strcmp(ev->name, "JOB_STATUS_CHANGE") == 0 || strcmp(ev->name, "MIGRATION") == 0) {
        sup_snapshot_event(s, ev);
    }
}

static void on_qmp_event(struct qmp_conn *c, const struct qmp_event *ev, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    switch (ev->type) {
    case QMP_EVENT_SHUTDOWN: {
        const struct qmp_event_shutdown *sd = &ev->u.shutdown;
        const char *why = sd->reason_str ? sd->reason_str : "unknown";
        sup_log(s, "QMP event SHUTDOWN guest=%s reason=%s", sd->guest ? "true" : "false", why);
        s->shutdown_seen = true;
        s->in_shutdown = true;
        sup_broadcast(s, "shutdown", why);
        if (sd->reason == QMP_SHUTDOWN_CAUSE_GUEST_SHUTDOWN)
            sup_apply_policy(s, SUP_EV_GUEST_POWEROFF);
        else if (sd->reason == QMP_SHUTDOWN_CAUSE_GUEST_RESET)
            sup_apply_policy(s, SUP_EV_GUEST_REBOOT);
        else if (sd->reason == QMP_SHUTDOWN_CAUSE_GUEST_PANIC)
            sup_apply_policy(s, SUP_EV_GUEST_PANIC);
        else
            sup_apply_policy(s, SUP_EV_HOST_SHUTDOWN);
        break;
    }
    case QMP_EVENT_RESET:
        sup_log(s, "QMP event RESET guest=%s reason=%s", ev->u.reset.guest ? "true" : "false",
                ev->u.reset.reason_str ? ev->u.reset.reason_str : "unknown");
        if (ev->u.reset.guest && ev->u.reset.reason == QMP_SHUTDOWN_CAUSE_GUEST_RESET) {
            sup_broadcast(s, "reset", "guest-reset");
            sup_apply_policy(s, SUP_EV_GUEST_RESET);
        }
        break;
    case QMP_EVENT_GUEST_PANICKED:
        sup_log(s, "QMP event GUEST_PANICKED action=%s",
                qmp_guest_panic_action_to_string(ev->u.guest_panicked.action));
        s->guest_crashed = true;
        sup_broadcast(s, "panic", NULL);
        sup_apply_policy(s, SUP_EV_GUEST_PANIC);
        break;
    case QMP_EVENT_STOP:
        /* A snapshot or save pauses the guest for a while; it sets the state itself. */
        if (!sup_snapshot_busy(s) && !s->in_shutdown && !s->guest_crashed &&
            s->st.state == SUP_STATE_RUNNING)
            sup_set_state(s, SUP_STATE_PAUSED, SUP_REASON_UNKNOWN);
        break;
    case QMP_EVENT_RESUME:
        if (!sup_snapshot_busy(s) && s->st.state == SUP_STATE_PAUSED &&
            s->st.reason != SUP_REASON_STARTING_UP)
            sup_set_state(s, SUP_STATE_RUNNING, SUP_REASON_UNPAUSED);
        break;
    case QMP_EVENT_POWERDOWN:
        sup_broadcast(s, "powerdown", NULL);
        break;
    case QMP_EVENT_BLOCK_IO_ERROR:
        sup_log(s, "QMP event BLOCK_IO_ERROR device=%s", ev->u.block_io_error.device);
        sup_broadcast(s, "block-io-error", ev->u.block_io_error.device);
        break;
    case QMP_EVENT_DEVICE_DELETED:
        sup_hotplug_device_deleted(s, ev->u.device_deleted.device);
        break;
    case QMP_EVENT_UNKNOWN:
        on_unknown_event(s, ev);
        break;
    default:
        break;
    }
}

static void on_qmp_ready(struct qmp_conn *c, void *opaque)
{
    (void)c;
    sup_on_qmp_ready(opaque);
}

/* Freeing the connection inside its own callback is not allowed: the loop handles it. */
static void on_qmp_closed(struct qmp_conn *c, const struct ql_error *why, void *opaque)
{
    (void)c;
    struct sup *s = opaque;
    sup_log(s, "QMP connection closed: %s", ql_error_msg(why));
    s->qmp_lost = true;
}

static const struct qmp_callbacks qmp_cbs = {
    .ready = on_qmp_ready,
    .event = on_qmp_event,
    .closed = on_qmp_closed,
};

int sup_qmp_open(struct sup *s, struct ql_error *err)
{
    int r = qmp_connect_unix(s->paths.qmp, &qmp_cbs, s, &s->qmp, err);
    if (r < 0)
        return r;
    if (s->cfg->qmp_log || (getenv("QLAUNCH_QMP_LOG") && *getenv("QLAUNCH_QMP_LOG"))) {
        if (!s->transcript) {
            int fd = dup(s->log_fd);
            s->transcript = fd >= 0 ? fdopen(fd, "a") : NULL;
            if (s->transcript)
                setvbuf(s->transcript, NULL, _IOLBF, 0);
        }
        if (s->transcript)
            qmp_conn_set_transcript(s->qmp, s->transcript);
    }
    return 0;
}

static void give_up_monitor(struct sup *s, const char *why)
{
    sup_log(s, "cannot reconnect to QEMU's monitor (%s): ending QEMU pid %ld", why,
            (long)s->qemu_pid);
    s->final_set = true;
    s->final_state = SUP_STATE_SHUTOFF;
    s->final_reason = SUP_REASON_CRASHED;
    sup_begin_destroy(s, false);
}

/* Called from the loop and from TM_RECONNECT: connect again while QEMU lives. */
void sup_qmp_reconnect(struct sup *s)
{
    if (!sup_qemu_alive(s) || s->done)
        return;
    if (s->qmp) {
        if (qmp_conn_get_state(s->qmp) == QMP_CONN_READY)
            return;
        /* Connected but no greeting in time: drop it and try again. */
        qmp_conn_free(s->qmp);
        s->qmp = NULL;
        s->qmp_lost = false;
    }
    if (s->reconnect_tries++ >= SUP_RECONNECT_TRIES) {
        give_up_monitor(s, "no greeting after repeated attempts");
        return;
    }
    struct ql_error err = QL_ERROR_INIT;
    if (sup_qmp_open(s, &err) < 0) {
        sup_log(s, "reconnecting to QEMU's monitor: %s", ql_error_msg(&err));
        ql_error_clear(&err);
        s->timers[TM_RECONNECT] = ql_mono_ms() + SUP_RECONNECT_DELAY_MS;
        return;
    }
    /* The greeting must come within this time, or the attempt is repeated. */
    s->timers[TM_RECONNECT] = ql_mono_ms() + SUP_RECONNECT_DELAY_MS * 20;
}

void sup_qmp_handle_loss(struct sup *s)
{
    s->qmp_lost = false;
    qmp_conn_free(s->qmp);
    s->qmp = NULL;
    sup_snapshot_monitor_lost(s);
    switch (s->phase) {
    case PH_STARTING:
        /* Most likely QEMU refused an option and is exiting: its exit (pidfd) gives the
         * reason from the log; if it does not exit, the start fails all the same. */
        if (!sup_qemu_alive(s))
            sup_start_qemu_gone(s);
        else if (!s->timers[TM_START_EXIT])
            s->timers[TM_START_EXIT] = ql_mono_ms() + 3000;
        break;
    case PH_REATTACHING: {
        struct ql_error e = QL_ERROR_INIT;
        ql_error_set(&e, ECONNRESET, "QEMU closed its monitor during the re-attach");
        sup_start_failed(s, &e);
        ql_error_clear(&e);
        break;
    }
    case PH_RUNNING:
        if (!sup_qemu_alive(s) || s->done)
            break;      /* its exit is handled through the pidfd */
        if (s->destroy_requested || s->final_set) {
            /* Being stopped anyway: make sure it does not need QMP for that. */
            if (!s->timers[TM_KILL] && !s->timers[TM_GRACEFUL])
                s->timers[TM_KILL] = ql_mono_ms() + SUP_DESTROY_GRACE_MS;
            sup_qemu_signal(s, SIGTERM);
            break;
        }
        s->reconnect_tries = 0;
        sup_qmp_reconnect(s);
        break;
    case PH_FAILED:
        break;
    }
}

/* What QEMU's status says happened while nobody listened, finished as libvirt's reconnect
 * does (a guest that powered off meanwhile gets its on_poweroff policy). */
void sup_reconcile(struct sup *s, json_object *status)
{
    const char *st = ql_json_str(status, "status", NULL);
    int rs = st ? qmp_run_state_from_string(st) : -1;
    json_object *v;
    bool running = status && json_object_object_get_ex(status, "running", &v) &&
                   json_object_get_boolean(v);
    if (rs == QMP_RUN_STATE_SHUTDOWN && !s->shutdown_seen) {
        s->shutdown_seen = s->in_shutdown = true;
        sup_apply_policy(s, SUP_EV_GUEST_POWEROFF);
    } else if (rs == QMP_RUN_STATE_GUEST_PANICKED && !s->guest_crashed &&
               s->st.state != SUP_STATE_CRASHED) {
        s->guest_crashed = true;
        sup_apply_policy(s, SUP_EV_GUEST_PANIC);
    } else if (running && s->st.state != SUP_STATE_RUNNING) {
        sup_set_state(s, SUP_STATE_RUNNING, SUP_REASON_UNPAUSED);
    } else if (rs == QMP_RUN_STATE_PAUSED && s->st.state == SUP_STATE_RUNNING) {
        sup_set_state(s, SUP_STATE_PAUSED, SUP_REASON_UNKNOWN);
    }
}
