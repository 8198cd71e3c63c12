/* Pure lifecycle policy; see policy.h and DESIGN.md's lifecycle table. */
#include "config.h"
#include "supervise/policy.h"
#include "util/cleanup.h"

#include <string.h>

static const char *const event_names[SUP_EV_MAX] = {
    "guest-poweroff", "guest-reboot", "guest-reset", "guest-panic", "host-shutdown",
    "qemu-exit",
};
static const char *const action_names[SUP_ACT_MAX] = {
    "none", "destroy", "restart", "preserve", "coredump-destroy", "coredump-restart",
    "finished",
};

const char *sup_event_to_string(int v)
{
    return v >= 0 && v < SUP_EV_MAX ? event_names[v] : NULL;
}

const char *sup_action_to_string(int v)
{
    return v >= 0 && v < SUP_ACT_MAX ? action_names[v] : NULL;
}

unsigned sup_restart_backoff_ms(unsigned n)
{
    if (n <= 2)
        return 0;
    unsigned ms = 500;
    for (unsigned i = 3; i < n && ms < 8000; i++)
        ms *= 2;
    return ms > 8000 ? 8000 : ms;
}

static struct sup_decision mk(enum sup_action a, enum sup_state s, enum sup_reason r)
{
    return (struct sup_decision){a, s, r, 0};
}

/* A restart that the rate limit allows, or the crashed/restart-limit stop. */
static struct sup_decision restart(const struct sup_policy_input *in, enum sup_action a,
                                   enum sup_reason running_reason)
{
    if (in->restart_cap && in->recent_restarts >= in->restart_cap)
        return mk(SUP_ACT_DESTROY, SUP_STATE_CRASHED, SUP_REASON_RESTART_LIMIT);
    struct sup_decision d = mk(a, SUP_STATE_RUNNING, running_reason);
    d.backoff_ms = sup_restart_backoff_ms(in->recent_restarts + 1);
    return d;
}

struct sup_decision sup_policy_decide(const struct sup_policy_input *in)
{
    if (in->event == SUP_EV_QEMU_EXIT) {
        if (in->destroy_requested)
            return mk(SUP_ACT_FINISHED, SUP_STATE_SHUTOFF, SUP_REASON_DESTROYED);
        if (in->guest_crashed)
            return mk(SUP_ACT_FINISHED, SUP_STATE_SHUTOFF, SUP_REASON_CRASHED);
        /* libvirt: monitor EOF without a SHUTDOWN event means QEMU crashed. */
        return mk(SUP_ACT_FINISHED, SUP_STATE_SHUTOFF,
                  in->shutdown_seen ? SUP_REASON_SHUTDOWN : SUP_REASON_CRASHED);
    }
    if (in->destroy_requested)
        return mk(SUP_ACT_DESTROY, SUP_STATE_SHUTOFF, SUP_REASON_DESTROYED);

    if (in->stop_requested &&
        (in->event == SUP_EV_GUEST_POWEROFF || in->event == SUP_EV_GUEST_REBOOT))
        return mk(SUP_ACT_DESTROY, SUP_STATE_SHUTOFF, SUP_REASON_SHUTDOWN);

    switch (in->event) {
    case SUP_EV_GUEST_POWEROFF:
        /* qlaunch reboot is a fake reboot, as in libvirt: power off, then reset + cont. */
        if (in->reboot_requested && in->on_reboot == DOM_LC_RESTART)
            return restart(in, SUP_ACT_RESTART, SUP_REASON_RESTARTED);
        if (in->on_poweroff == DOM_LC_RESTART)
            return restart(in, SUP_ACT_RESTART, SUP_REASON_RESTARTED);
        return mk(SUP_ACT_DESTROY, SUP_STATE_SHUTOFF, SUP_REASON_SHUTDOWN);
    case SUP_EV_GUEST_REBOOT:
        /* Only seen with -action reboot=shutdown, i.e. on_reboot=destroy. */
        if (in->on_reboot == DOM_LC_RESTART)
            return restart(in, SUP_ACT_RESTART, SUP_REASON_RESTARTED);
        return mk(SUP_ACT_DESTROY, SUP_STATE_SHUTOFF, SUP_REASON_SHUTDOWN);
    case SUP_EV_GUEST_RESET:
        /* QEMU already reset the guest in place (on_reboot=restart). A guest in a reset
         * loop (a triple fault at every boot) is held to the same rate limit as restarts,
         * with its own, larger budget
         * (SUP_RESET_LOOP_FACTOR times the restart cap), so that it ends as crashed (restart-limit) instead of resetting forever. */
        if (in->reset_cap && in->recent_resets >= in->reset_cap)
            return mk(SUP_ACT_DESTROY, SUP_STATE_CRASHED, SUP_REASON_RESTART_LIMIT);
        return mk(SUP_ACT_NONE, SUP_STATE_RUNNING, SUP_REASON_BOOTED);
    case SUP_EV_GUEST_PANIC:
        switch (in->on_crash) {
        case DOM_LC_RESTART:
            return restart(in, SUP_ACT_RESTART, SUP_REASON_CRASH_RESTARTED);
        case DOM_LC_COREDUMP_RESTART:
            return restart(in, SUP_ACT_COREDUMP_RESTART, SUP_REASON_CRASH_RESTARTED);
        case DOM_LC_PRESERVE:
            return mk(SUP_ACT_PRESERVE, SUP_STATE_CRASHED, SUP_REASON_PANICKED);
        case DOM_LC_COREDUMP_DESTROY:
            return mk(SUP_ACT_COREDUMP_DESTROY, SUP_STATE_SHUTOFF, SUP_REASON_CRASHED);
        default:
            return mk(SUP_ACT_DESTROY, SUP_STATE_SHUTOFF, SUP_REASON_CRASHED);
        }
    case SUP_EV_HOST_SHUTDOWN:
        /* QEMU was told to quit (signal, quit): it exits by itself. */
        return mk(SUP_ACT_NONE, SUP_STATE_SHUTDOWN, SUP_REASON_SHUTDOWN);
    default:
        return mk(SUP_ACT_NONE, SUP_STATE_RUNNING, SUP_REASON_UNKNOWN);
    }
}
