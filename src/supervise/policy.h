/* The lifecycle policy: a pure function from (event, policies, state) to an action.
 * This is DESIGN.md's lifecycle table as code; tests/unit/test-policy.c checks it row by row. */
#pragma once
#include <stdbool.h>
#include "domain/domain.h"
#include "supervise/state.h"

enum sup_event {
    SUP_EV_GUEST_POWEROFF,      /* SHUTDOWN guest=true reason=guest-shutdown (+STOP) */
    SUP_EV_GUEST_REBOOT,        /* SHUTDOWN reason=guest-reset (with -action reboot=shutdown) */
    SUP_EV_GUEST_RESET,         /* RESET guest=true: QEMU reset in place (reboot=reset) */
    SUP_EV_GUEST_PANIC,         /* GUEST_PANICKED (pvpanic; paused by -no-shutdown) */
    SUP_EV_HOST_SHUTDOWN,       /* SHUTDOWN host-* (quit, signal, ui): QEMU is exiting */
    SUP_EV_QEMU_EXIT,           /* QEMU exited / monitor EOF */
    SUP_EV_MAX
};
const char *sup_event_to_string(int v);

enum sup_action {
    SUP_ACT_NONE,               /* nothing to do (state may still change) */
    SUP_ACT_DESTROY,            /* stop QEMU (quit, then SIGTERM/SIGKILL) */
    SUP_ACT_RESTART,            /* system_reset + cont in the same QEMU */
    SUP_ACT_PRESERVE,           /* leave QEMU paused for inspection */
    SUP_ACT_COREDUMP_DESTROY,   /* dump-guest-memory, then destroy */
    SUP_ACT_COREDUMP_RESTART,   /* dump-guest-memory, then restart */
    SUP_ACT_FINISHED,           /* QEMU is gone: clean up and exit */
    SUP_ACT_MAX
};
const char *sup_action_to_string(int v);

struct sup_policy_input {
    enum sup_event event;
    enum dom_lifecycle on_poweroff, on_reboot, on_crash;   /* effective (no DEFAULT) */
    bool destroy_requested;     /* qlaunch destroy/shutdown --timeout expired: always wins */
    bool reboot_requested;      /* qlaunch reboot: the next guest poweroff is a reboot */
    bool shutdown_seen;         /* a SHUTDOWN event came before QEMU_EXIT */
    bool guest_crashed;         /* a panic was handled before QEMU_EXIT */
    unsigned recent_restarts;   /* restarts inside the rate-limit window */
    unsigned restart_cap;       /* max restarts inside the window (0: unlimited) */
    unsigned recent_resets;     /* in-place guest resets inside the window */
    unsigned reset_cap;         /* max guest resets inside the window (0: unlimited) */
    bool stop_requested;        /* the supervisor was signalled to stop: a guest power-off
                                 * ends the domain whatever on_poweroff/on_reboot say */
};
/* Guest reboots are cheap and normal; a reset loop is not: resets get this many times the
 * restart budget before the domain is stopped as crashed (restart-limit). */
#define SUP_RESET_LOOP_FACTOR 4

struct sup_decision {
    enum sup_action action;
    enum sup_state state;       /* the state to record once the action is done */
    enum sup_reason reason;
    unsigned backoff_ms;        /* wait before a restart */
};

struct sup_decision sup_policy_decide(const struct sup_policy_input *in);
/* Backoff before the n-th restart inside the window (n from 1): 0, 0, 500, 1000, 2000... ms,
 * capped at 8 s. */
unsigned sup_restart_backoff_ms(unsigned n);
