/* Starting a supervisor in the background: what `qlaunch create` and the re-attach of a
 * domain whose supervisor died do. */
#pragma once
#include <sys/types.h>
#include "supervise/supervisor.h"
#include "util/error.h"

/* How long the caller waits for the supervisor's readiness line: it includes QEMU's own
 * start and the QMP negotiation, so allow plenty under load. */
#define SUP_SPAWN_TIMEOUT_MS 120000

/* Runs sup_main(cfg) in a new session, reparented to init (double fork; stdio on /dev/null)
 * and waits for its readiness line (cfg->ready_fd and cfg->foreground are set here). Returns
 * 0 once the supervisor says the domain runs, with QEMU's pid in *ret_qemu_pid (may be
 * NULL); -errno otherwise: the supervisor's own message (-EIO), -ECHILD when it exited
 * without a word (its log says why), -ETIMEDOUT. */
int sup_spawn(const struct sup_config *cfg, pid_t *ret_qemu_pid, struct ql_error *err);
