/* The lifecycle policy table, row by row (DESIGN.md "Lifecycle"). */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervise/policy.h"

#define D DOM_LC_DESTROY
#define R DOM_LC_RESTART
#define P DOM_LC_PRESERVE
#define CD DOM_LC_COREDUMP_DESTROY
#define CR DOM_LC_COREDUMP_RESTART

struct row {
    enum sup_event ev;
    enum dom_lifecycle poweroff, reboot, crash;
    bool destroy_req, reboot_req, shutdown_seen, crashed;
    unsigned recent;
    enum sup_action want_action;
    enum sup_state want_state;
    enum sup_reason want_reason;
};

static const struct row rows[] = {
    /* guest poweroff follows on_poweroff */
    {SUP_EV_GUEST_POWEROFF, D, R, D, 0, 0, 0, 0, 0, SUP_ACT_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_SHUTDOWN},
    {SUP_EV_GUEST_POWEROFF, R, R, D, 0, 0, 0, 0, 0, SUP_ACT_RESTART, SUP_STATE_RUNNING,
     SUP_REASON_RESTARTED},
    /* qlaunch reboot turns the next poweroff into a restart when on_reboot=restart */
    {SUP_EV_GUEST_POWEROFF, D, R, D, 0, 1, 0, 0, 0, SUP_ACT_RESTART, SUP_STATE_RUNNING,
     SUP_REASON_RESTARTED},
    {SUP_EV_GUEST_POWEROFF, D, D, D, 0, 1, 0, 0, 0, SUP_ACT_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_SHUTDOWN},
    /* guest reboot: in-place reset needs nothing; reboot=shutdown follows on_reboot */
    {SUP_EV_GUEST_RESET, D, R, D, 0, 0, 0, 0, 0, SUP_ACT_NONE, SUP_STATE_RUNNING,
     SUP_REASON_BOOTED},
    {SUP_EV_GUEST_REBOOT, D, D, D, 0, 0, 0, 0, 0, SUP_ACT_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_SHUTDOWN},
    {SUP_EV_GUEST_REBOOT, D, R, D, 0, 0, 0, 0, 0, SUP_ACT_RESTART, SUP_STATE_RUNNING,
     SUP_REASON_RESTARTED},
    /* guest panic follows on_crash */
    {SUP_EV_GUEST_PANIC, D, R, D, 0, 0, 0, 0, 0, SUP_ACT_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_CRASHED},
    {SUP_EV_GUEST_PANIC, D, R, R, 0, 0, 0, 0, 0, SUP_ACT_RESTART, SUP_STATE_RUNNING,
     SUP_REASON_CRASH_RESTARTED},
    {SUP_EV_GUEST_PANIC, D, R, P, 0, 0, 0, 0, 0, SUP_ACT_PRESERVE, SUP_STATE_CRASHED,
     SUP_REASON_PANICKED},
    {SUP_EV_GUEST_PANIC, D, R, CD, 0, 0, 0, 0, 0, SUP_ACT_COREDUMP_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_CRASHED},
    {SUP_EV_GUEST_PANIC, D, R, CR, 0, 0, 0, 0, 0, SUP_ACT_COREDUMP_RESTART, SUP_STATE_RUNNING,
     SUP_REASON_CRASH_RESTARTED},
    /* an explicit destroy always wins over a restart policy */
    {SUP_EV_GUEST_POWEROFF, R, R, R, 1, 0, 0, 0, 0, SUP_ACT_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_DESTROYED},
    {SUP_EV_GUEST_PANIC, R, R, R, 1, 0, 0, 0, 0, SUP_ACT_DESTROY, SUP_STATE_SHUTOFF,
     SUP_REASON_DESTROYED},
    /* restart limit reached: stop, state crashed/restart-limit */
    {SUP_EV_GUEST_POWEROFF, R, R, D, 0, 0, 0, 0, 5, SUP_ACT_DESTROY, SUP_STATE_CRASHED,
     SUP_REASON_RESTART_LIMIT},
    {SUP_EV_GUEST_PANIC, D, R, R, 0, 0, 0, 0, 5, SUP_ACT_DESTROY, SUP_STATE_CRASHED,
     SUP_REASON_RESTART_LIMIT},
    {SUP_EV_GUEST_POWEROFF, R, R, D, 0, 0, 0, 0, 4, SUP_ACT_RESTART, SUP_STATE_RUNNING,
     SUP_REASON_RESTARTED},
    /* host-initiated shutdown: QEMU exits by itself */
    {SUP_EV_HOST_SHUTDOWN, R, R, R, 0, 0, 0, 0, 0, SUP_ACT_NONE, SUP_STATE_SHUTDOWN,
     SUP_REASON_SHUTDOWN},
    /* QEMU gone: why decides the reason */
    {SUP_EV_QEMU_EXIT, D, R, D, 0, 0, 1, 0, 0, SUP_ACT_FINISHED, SUP_STATE_SHUTOFF,
     SUP_REASON_SHUTDOWN},
    {SUP_EV_QEMU_EXIT, D, R, D, 0, 0, 0, 0, 0, SUP_ACT_FINISHED, SUP_STATE_SHUTOFF,
     SUP_REASON_CRASHED},
    {SUP_EV_QEMU_EXIT, D, R, D, 1, 0, 1, 0, 0, SUP_ACT_FINISHED, SUP_STATE_SHUTOFF,
     SUP_REASON_DESTROYED},
    {SUP_EV_QEMU_EXIT, D, R, D, 0, 0, 1, 1, 0, SUP_ACT_FINISHED, SUP_STATE_SHUTOFF,
     SUP_REASON_CRASHED},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        struct sup_policy_input in = {
            .event = r->ev, .on_poweroff = r->poweroff, .on_reboot = r->reboot,
            .on_crash = r->crash, .destroy_requested = r->destroy_req,
            .reboot_requested = r->reboot_req, .shutdown_seen = r->shutdown_seen,
            .guest_crashed = r->crashed, .recent_restarts = r->recent, .restart_cap = 5,
        };
        struct sup_decision d = sup_policy_decide(&in);
        if (d.action != r->want_action || d.state != r->want_state ||
            d.reason != r->want_reason) {
            print_error("row %zu (%s): got %s/%s/%s, want %s/%s/%s\n", i,
                        sup_event_to_string(r->ev), sup_action_to_string(d.action),
                        sup_state_to_id(d.state), sup_reason_to_string(d.reason),
                        sup_action_to_string(r->want_action), sup_state_to_id(r->want_state),
                        sup_reason_to_string(r->want_reason));
            fail();
        }
    }
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(sup_restart_backoff_ms(1), 0);
    assert_int_equal(sup_restart_backoff_ms(2), 0);
    assert_int_equal(sup_restart_backoff_ms(3), 500);
    assert_int_equal(sup_restart_backoff_ms(4), 1000);
    assert_int_equal(sup_restart_backoff_ms(5), 2000);
    assert_int_equal(sup_restart_backoff_ms(20), 8000);
    struct sup_policy_input in = {.event = SUP_EV_GUEST_POWEROFF, .on_poweroff = R,
                                  .on_reboot = R, .on_crash = D, .recent_restarts = 3,
                                  .restart_cap = 5};
    assert_int_equal(sup_policy_decide(&in).backoff_ms, 1000);
    in.restart_cap = 0;   /* unlimited */
    in.recent_restarts = 100;
    assert_int_equal(sup_policy_decide(&in).action, SUP_ACT_RESTART);
}

/* A reset loop (a triple fault at every boot) ends as crashed (restart-limit) once the
 * guest resets exceed their own budget; restarts do not use that budget up. */
static void test_reset_loop(void **state)
{
    (void)state;
    struct sup_policy_input in = {.event = SUP_EV_GUEST_RESET, .on_poweroff = D,
                                  .on_reboot = R, .on_crash = D, .recent_restarts = 5,
                                  .restart_cap = 5, .recent_resets = 19, .reset_cap = 20};
    struct sup_decision d = sup_policy_decide(&in);
    assert_int_equal(d.action, SUP_ACT_NONE);
    assert_int_equal(d.state, SUP_STATE_RUNNING);
    in.recent_resets = 20;
    d = sup_policy_decide(&in);
    assert_int_equal(d.action, SUP_ACT_DESTROY);
    assert_int_equal(d.state, SUP_STATE_CRASHED);
    assert_int_equal(d.reason, SUP_REASON_RESTART_LIMIT);
    in.reset_cap = 0;   /* unlimited */
    assert_int_equal(sup_policy_decide(&in).action, SUP_ACT_NONE);
}

/* A stop signal (a scheduler's SIGTERM) powers the guest off for good: neither
 * on_poweroff=restart nor qlaunch reboot brings it back, and a reboot=shutdown ends it too;
 * a panic still follows on_crash. */
static void test_stop_requested(void **state)
{
    (void)state;
    struct sup_policy_input in = {.event = SUP_EV_GUEST_POWEROFF, .on_poweroff = R,
                                  .on_reboot = R, .on_crash = R, .reboot_requested = true,
                                  .stop_requested = true};
    struct sup_decision d = sup_policy_decide(&in);
    assert_int_equal(d.action, SUP_ACT_DESTROY);
    assert_int_equal(d.state, SUP_STATE_SHUTOFF);
    assert_int_equal(d.reason, SUP_REASON_SHUTDOWN);
    in.event = SUP_EV_GUEST_REBOOT;
    assert_int_equal(sup_policy_decide(&in).action, SUP_ACT_DESTROY);
    in.event = SUP_EV_GUEST_PANIC;
    assert_int_equal(sup_policy_decide(&in).action, SUP_ACT_RESTART);
    in.stop_requested = false;
    in.event = SUP_EV_GUEST_POWEROFF;
    assert_int_equal(sup_policy_decide(&in).action, SUP_ACT_RESTART);
}

static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < SUP_STATE_MAX; i++)
        assert_int_equal(sup_state_from_id(sup_state_to_id(i)), i);
    for (int i = 0; i < SUP_REASON_MAX; i++)
        assert_int_equal(sup_reason_from_string(sup_reason_to_string(i)), i);
    assert_string_equal(sup_state_to_string(SUP_STATE_SHUTOFF), "shut off");
    assert_int_equal(sup_state_from_id("bogus"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_reset_loop),
        cmocka_unit_test(test_stop_requested),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
