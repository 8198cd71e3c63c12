/* Helper processes a domain needs beside QEMU (swtpm; virtiofsd), as DESIGN.md says: started
 * by the supervisor before QEMU, recorded in the state file (pid and start time) before they
 * may run, stopped and their sockets removed on every exit path, by whoever finds the domain
 * ended: its supervisor, a re-attached one, or the CLI's recovery of a dead domain. */
#pragma once
#include <stddef.h>
#include "host/dac.h"
#include "supervise/state.h"
#include "util/error.h"

/* How long a helper has after SIGTERM before SIGKILL. */
#define SUP_HELPER_TERM_MS 3000

struct sup_helper_spec {
    const char *name;           /* for messages and the state: "swtpm" */
    char *const *argv;          /* argv[0] is an absolute path */
    const int *fds;             /* inherited as 3, 4, ... in this order */
    size_t n_fds;
    int out_fd;                 /* its stdout and stderr; stdin is /dev/null */
    const struct host_dac *dac; /* run as QEMU's user when dac->drop */
    const char *socket;         /* removed when it is stopped (may be NULL) */
    const char *remove_dir;     /* removed with its files when it is stopped (may be NULL) */
    /* Runs in a user namespace of its own, as its root mapped to the user it runs as: a
     * helper that must be root for its sandbox (virtiofsd) gets capabilities that only
     * count inside, and on the host stays that user. */
    bool userns;
};

/* Forks the helper and records it in st->helpers; record(ctx) must then write the state
 * file, and only after it returned does the child exec (a supervisor killed in between
 * leaves a child that exits without running anything). 0 or -errno. */
int sup_helper_spawn(struct sup_status *st, const struct sup_helper_spec *spec,
                     void (*record)(void *ctx), void *ctx, struct ql_error *err);
/* Writes the go byte a forked child waits for before it execs, and closes fd: 0, or -1
 * with errno set (the child then exits without running anything). */
int sup_gate_release(int fd);
/* Runs a command to completion as spec says (fds, user): setup tools like swtpm_setup.
 * 0 when it exited with status 0, else -errno with the error naming spec->name. */
int sup_helper_run(const struct sup_helper_spec *spec, struct ql_error *err);
/* Stops every helper recorded in st (SIGTERM, SIGKILL after SUP_HELPER_TERM_MS; a pid
 * whose start time differs is another process and left alone), reaps those that are our
 * children, removes their sockets and directories, and empties the list. log(ctx, msg)
 * says what was done (may be NULL). */
void sup_helpers_stop(struct sup_status *st, void (*log)(void *ctx, const char *msg), void *ctx);
/* Reaps helper children that exited (on SIGCHLD) and returns how many of those recorded in
 * st are no longer alive. */
size_t sup_helpers_reap(const struct sup_status *st);
/* Gives every PCI function recorded in st->pci that qlaunch bound to vfio-pci back to its
 * driver (host_vfio_restore; QEMU must be gone), logs what it did or could not do, and
 * empties the list. Like sup_helpers_stop, for every exit path: the supervisor's end, a
 * failed start, a re-attached supervisor, the CLI's recovery when both are gone. */
void sup_pci_restore(struct sup_status *st, void (*log)(void *ctx, const char *msg), void *ctx);
