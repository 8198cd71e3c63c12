/* The per-VM supervisor: starts QEMU, speaks QMP to it, applies the lifecycle policy and
 * serves the control socket. One process per VM; it outlives the command that started it. */
#pragma once
#include <stdbool.h>
#include "util/error.h"

struct domain;

struct sup_config {
    const char *xml_path;       /* absolute path of the domain XML */
    struct domain *dom;         /* already parsed from xml_path (the caller frees it), or NULL */
    const char *xml_text;       /* the bytes dom was parsed from (kept as the run directory's
                                 * domain.xml), or NULL: xml_path is read */
    size_t xml_len;
    const char *base;           /* run-dir base, NULL: QLAUNCH_RUN_DIR or /run/qlaunch */
    const char *log_dir;        /* NULL: QLAUNCH_LOG_DIR or /var/log/qlaunch */
    const char *dump_dir;       /* NULL: QLAUNCH_DUMP_DIR or /var/lib/qlaunch/dump */
    const char *accel;          /* accelerator override or NULL */
    const char *emulator;       /* emulator override or NULL */
    unsigned restart_cap;       /* restarts allowed inside the window (0: unlimited) */
    unsigned restart_window_s;
    int ready_fd;               /* readiness pipe ("OK pid\n" / "ERR msg\n"), -1: none */
    const char *reattach_name;  /* re-attach to this running domain instead of starting */
    bool foreground;
    bool qmp_log;               /* write the QMP transcript (secrets redacted) to the log */
    /* SIGTERM, SIGINT, SIGHUP: power the guest off (ACPI) and destroy it when it has not
     * gone after this many seconds; 0: destroy at once. A second signal destroys. */
    unsigned stop_timeout_s;
    /* restore: the save file QEMU loads its state from, the domain XML it holds (what the
     * run directory keeps), and the state after it: 0 the file's, 1 running, -1 paused. */
    const char *restore_path;
    const char *restore_xml;
    int restore_state;
};

#define SUP_DEFAULT_RESTART_CAP 5
#define SUP_DEFAULT_RESTART_WINDOW 60
#define SUP_DESTROY_GRACE_MS 10000
#define SUP_QMP_TIMEOUT_MS 30000
#define SUP_DEFAULT_STOP_TIMEOUT 30

/* Exit statuses of a foreground supervisor: how the domain ended. */
enum sup_exit {
    SUP_EXIT_SHUTOFF = 0,       /* shut down or destroyed */
    SUP_EXIT_FAILED = 1,        /* could not start */
    SUP_EXIT_CRASHED = 2,       /* QEMU died, or the guest crashed with on_crash=destroy */
    SUP_EXIT_RESTART_LIMIT = 3, /* too many restarts */
    SUP_EXIT_UNRECORDED = 4,    /* it ended, but NAME.last could not be written */
};

/* Runs the supervisor until the domain is gone; returns a sup_exit value. */
int sup_main(const struct sup_config *cfg);

/* Log directory used for NAME.log (QEMU's stderr plus the supervisor's own lines). */
const char *sup_log_dir(const char *opt);
/* A supervisor that cannot write NAME.last says so in the last line of NAME.log: that line
 * (malloc'd) when it is the log's last one, else NULL. For verbs that find no outcome. */
char *sup_outcome_unrecorded(const char *log_dir_opt, const char *name);
