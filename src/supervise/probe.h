/* Who holds a run directory: its supervisor, its QEMU, or nobody (a stale leftover).
 * Answered from locks and /proc, never from the state file alone: a state file can be
 * missing, empty or garbled while QEMU runs (the supervisor was killed while writing it),
 * and a verb must never remove the run directory of a live QEMU. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "supervise/rundir.h"

/* RUNDIR/qemu.lock: flocked by the supervisor before QEMU's fork and inherited by QEMU,
 * so it is held for exactly as long as that QEMU lives. */
char *sup_qemu_lock_path(const struct sup_paths *p);

struct sup_probe {
    bool supervisor;                    /* a supervisor holds RUNDIR/lock */
    pid_t qemu_pid;                     /* the live QEMU of this run directory, 0: none */
    unsigned long long qemu_start_time;
    bool state_ok;                      /* state.json is readable and names that QEMU */
};

/* Fills *ret; never fails (what cannot be read counts as absent). */
void sup_probe(const struct sup_paths *p, struct sup_probe *ret);
/* The process holding an open file description of path (found through /proc/PID/fd),
 * other than the caller; 0 when none. */
pid_t sup_find_file_holder(const char *path);
