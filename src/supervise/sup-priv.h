/* The supervisor's private state, shared by its files (one concern each):
 *   supervisor.c   sup_main, the poll loop, timers, teardown
 *   sup-qemu.c     QEMU's process: prepare the host, spawn, identity, signals, exit
 *   sup-start.c    the asynchronous start and re-attach sequences up to `cont`
 *   sup-monitor.c  the QMP connection: events, loss and reconnection, reconciliation
 *   sup-actions.c  carrying out policy decisions: restart, coredump, destroy
 *   sup-ctl.c      the control socket: clients, requests, event stream
 *   sup-swtpm.c    <tpm> on the host: swtpm as a helper process (helpers.h)
 *   sup-virtiofs.c <filesystem> virtiofs on the host: virtiofsd per share (helpers.h)
 *   sup-day2.c     the day-2 verbs (inspection, media, keys, screenshots, balloon)
 *   sup-dumpxml.c  the running domain's XML
 *   sup-agent.c    the guest agent's channel and the verbs that use it
 *   sup-snapshot.c internal snapshots and save (QEMU jobs, migration to a file), restore
 * Everything runs on one thread and one poll loop; nothing in here may block. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include "domain/domain.h"
#include "host/net.h"
#include "qemu/build.h"
#include "qmp/qmp.h"
#include "supervise/ctl-proto.h"
#include "supervise/policy.h"
#include "supervise/prepare.h"
#include "supervise/rundir.h"
#include "supervise/state.h"
#include "supervise/supervisor.h"
#include "util/strbuf.h"
#include "util/time.h"

#define SUP_MAX_CLIENTS 64
#define SUP_CLIENT_IDLE_MS 10000    /* an idle client that asked nothing is dropped */
#define SUP_START_TIMEOUT_MS 120000  /* spawn to `cont`, including QEMU's own start */
#define SUP_RECONNECT_TRIES 50
#define SUP_RECONNECT_DELAY_MS 100

enum sup_timer {
    TM_RESTART,             /* backoff elapsed: reset + cont */
    TM_TERM,                /* QEMU did not exit after quit: SIGTERM */
    TM_KILL,                /* still alive after SIGTERM: SIGKILL */
    TM_REBOOT_ACTION,       /* restore set-action reboot=shutdown after an in-place restart */
    TM_GRACEFUL,            /* destroy --graceful: QEMU ignored SIGTERM, give up */
    TM_START,               /* the start did not reach `cont` in time */
    TM_START_EXIT,          /* the start failed: give QEMU time to exit and say why */
    TM_CONT_RETRY,          /* cont after system_reset: QEMU has not carried the reset out */
    TM_RECONNECT,           /* QMP connection lost with QEMU alive: connect again */
    TM_SHUTDOWN,            /* shutdown --timeout: destroy when the guest ignored it */
    TM_CLIENTS,             /* idle control clients */
    TM_AGENT,               /* the guest agent did not answer in time */
    TM_HOTPLUG,             /* detach: the guest did not release the device in time */
    TM_MAX
};

enum sup_phase {
    PH_STARTING,            /* QEMU spawned, QMP setup before `cont` in flight */
    PH_REATTACHING,         /* connecting to a QEMU whose supervisor died */
    PH_RUNNING,             /* the domain runs (or is paused, or being stopped) */
    PH_FAILED,              /* the start failed: waiting for QEMU to go */
};

/* What follows a guest memory dump (dump-guest-memory runs as a QEMU job). */
enum sup_after_dump { AFTER_DUMP_NONE, AFTER_DUMP_DESTROY, AFTER_DUMP_RESTART, AFTER_DUMP_CONT };

/* Monotonic times of recent restarts (or guest resets), oldest first. */
struct sup_times {
    int64_t v[128];
    size_t n;
};

struct sup_client {
    int fd;
    unsigned id;
    bool events;            /* subscribed to the event stream */
    bool wait_exit;         /* destroy: answer once QEMU is gone */
    unsigned busy;          /* requests being worked on (QMP replies outstanding) */
    int64_t last_active;
    struct strbuf in;
};

/* A device QEMU was started with that detach-device removed (state: sup_removed): out of
 * the running domain, kept for the builder, which must see everything QEMU started with
 * to give the others (and new devices) the names and addresses they have. */
struct sup_gone {
    enum qb_hot_kind kind;
    size_t index;               /* among the start's devices of its kind */
    union {
        struct dom_disk disk;
        struct dom_interface nic;
        struct dom_input input;
    } u;
};

struct sup {
    const struct sup_config *cfg;
    struct domain *dom;
    struct sup_paths paths;
    struct sup_status st;
    struct qb_result build;
    struct host_dac dac;    /* who QEMU runs as (host/dac.h) */
    struct host_nic *nics;
    size_t n_nics;
    char *log_path;
    int log_fd;
    FILE *transcript;
    enum sup_phase phase;
    bool readied;           /* the readiness line was sent */

    pid_t qemu_pid;
    bool qemu_is_child;
    int pidfd;
    int gate_fd;            /* write end of the pipe QEMU's child waits on before exec */
    struct qmp_conn *qmp;
    bool qmp_lost;          /* the connection ended; handled by the loop, not the callback */
    unsigned reconnect_tries;
    int sigfd, ctl_fd, lock_fd;
    int ports_lock_fd;      /* BASE/.graphics-ports.lock, held from port pick to QMP ready */
    struct sup_client clients[SUP_MAX_CLIENTS];
    unsigned next_client_id;

    int64_t timers[TM_MAX]; /* monotonic ms deadlines, 0 = off */
    struct sup_decision pending_restart;
    unsigned cont_tries;
    bool restarting;        /* reset + cont in flight */

    /* start */
    unsigned setup_outstanding;
    struct ql_error start_err;
    off_t log_start;

    enum sup_after_dump after_dump;
    bool dumping;
    char *dump_path;

    bool shutdown_seen, guest_crashed, destroy_requested, reboot_requested;
    bool stop_requested;    /* signalled: powering the guest off, then destroy (stop_timeout) */
    bool in_shutdown;       /* SHUTDOWN seen: the STOP that follows is not a user pause */
    bool final_set;
    enum sup_state final_state;
    enum sup_reason final_reason;
    struct sup_times restarts, resets;  /* for the rate limits */
    bool done;
    int exit_code;
    unsigned restart_cap, restart_window;   /* from create, kept across re-attach */
    bool media_busy;        /* a change-media is being carried out */
    struct sup_agent *agent;    /* the guest agent's connection and queue (sup-agent.c) */
    /* hot-plug (sup-hotplug.c): the devices of each kind QEMU was started with (the
     * domain's first ones; the rest were hot-plugged), one operation at a time, and the
     * detach waiting for DEVICE_DELETED */
    size_t n_start[QB_HOT_KIND_MAX];
    bool hot_busy;
    char *detach_id;        /* the device; NULL: hot-plugged vCPUs */
    unsigned detach_left, detach_wait_s, detach_client;
    struct sup_gone *gone;  /* start devices detached since */
    size_t n_gone;
    struct sup_snapop *snap;    /* the snapshot operation or save in progress */
    bool restoring;         /* restore: QEMU loads the save file before the setup */
    bool restore_running;   /* and then runs (else it stays paused) */
    bool incoming_done;
    int incoming_fd;        /* the save file, for QEMU (-incoming defer, fd:N) */
    int incoming_num;
    bool save_interrupted;  /* re-attach: the dead supervisor's save file was removed */
};

/* supervisor.c */
void sup_log(struct sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sup_log for callbacks that take (void *ctx, msg): ctx is the struct sup. */
void sup_log_cb(void *ctx, const char *msg);
void sup_trace(struct sup *s, const char *what);
void sup_write_state(struct sup *s);
/* Gives the files granted to QEMU's user back to their owners (state: grants). */
void sup_dac_restore(struct sup *s);
/* Makes f accessible to QEMU's user as the start does: recorded in the state's grants
 * before the owner changes, so the end of the domain gives it back. */
int sup_dac_grant(struct sup *s, const struct host_dac_file *f, struct ql_error *err);
/* sup-hostdev.c: <hostdev>'s host side (PCI functions to vfio-pci, device nodes to QEMU's
 * user); undone by sup_pci_restore (helpers.h) and sup_dac_restore. */
int sup_prepare_hostdevs(struct sup *s, struct ql_error *err);
/* A 0700 directory of root's that QEMU's user must search (NVRAM, dumps) becomes 0711. */
void sup_dir_searchable(const struct sup *s, const char *dir);
void sup_set_state(struct sup *s, enum sup_state st, enum sup_reason r);
void sup_ready(struct sup *s, const char *line);
const char *sup_dump_dir(const char *opt);

/* sup-qemu.c */
int sup_prepare_host(struct sup *s, struct ql_error *err);
int sup_spawn_qemu(struct sup *s, int qmp_listen_fd, struct ql_error *err);
bool sup_qemu_alive(struct sup *s);
void sup_qemu_signal(struct sup *s, int sig);
void sup_qemu_terminate(struct sup *s);
void sup_qemu_exited(struct sup *s);
char *sup_qemu_log_error(struct sup *s, off_t since);
int sup_bind_unix(const char *path, int backlog, struct ql_error *err);
void sup_release_ports_lock(struct sup *s);

/* sup-swtpm.c: <tpm> on the host (swtpm started as a helper process, passthrough checked),
 * and the stop of every helper process (helpers.h) when the domain ends. */
int sup_prepare_tpm(struct sup *s, struct ql_error *err);
void sup_stop_helpers(struct sup *s);
/* sup-virtiofs.c: a virtiofsd per virtiofs share, as QEMU's user (before QEMU starts). */
int sup_prepare_virtiofs(struct sup *s, struct ql_error *err);

/* sup-start.c */
/* Pins the thread of a vCPU (an entry of query-cpus-fast) as <vcpupin>/<vcpu cpuset> say. */
int sup_pin_vcpu(struct sup *s, json_object *cpu, struct ql_error *err);
void sup_on_qmp_ready(struct sup *s);
int sup_start(struct sup *s, struct ql_error *err);
int sup_reattach(struct sup *s, struct ql_error *err);
void sup_start_failed(struct sup *s, struct ql_error *err);
void sup_start_qemu_gone(struct sup *s);

/* sup-monitor.c */
int sup_qmp_open(struct sup *s, struct ql_error *err);
bool sup_qmp_ready(struct sup *s);
void sup_qmp_handle_loss(struct sup *s);
void sup_qmp_reconnect(struct sup *s);
void sup_reconcile(struct sup *s, json_object *status);
/* Sends a command whose reply only matters when it fails (then it is logged). */
void sup_qmp_fire(struct sup *s, const char *cmd, json_object *args);

/* sup-actions.c */
void sup_apply_policy(struct sup *s, enum sup_event ev);
void sup_begin_destroy(struct sup *s, bool graceful);
void sup_restart_now(struct sup *s);
void sup_cont_retry(struct sup *s);
void sup_coredump(struct sup *s, enum sup_after_dump then);
void sup_dump_completed(struct sup *s, const char *error);
void sup_finish(struct sup *s, enum sup_state st, enum sup_reason r);
void sup_reboot_action_restore(struct sup *s);

/* sup-ctl.c */
json_object *sup_status_json(struct sup *s);
void sup_broadcast(struct sup *s, const char *event, const char *detail);
void sup_ctl_accept(struct sup *s);
void sup_ctl_readable(struct sup *s, struct sup_client *c);
void sup_ctl_idle_check(struct sup *s);
void sup_ctl_graceful_failed(struct sup *s);
void sup_ctl_finish(struct sup *s);
/* shutdown (ACPI power button, destroy after timeout_s unless -1) or reboot for client c. */
void sup_ctl_power(struct sup *s, struct sup_client *c, enum ctl_cmd cmd, int timeout_s);
/* ACPI power-off with a deadline the supervisor keeps: destroyed after timeout_s seconds
 * unless the guest has powered off (shutdown --timeout, and a stop signal). */
void sup_shutdown_deadline(struct sup *s, int timeout_s);
void sup_client_close(struct sup_client *c);
void sup_client_send(struct sup_client *c, json_object *o);
struct sup_client *sup_client_by_id(struct sup *s, unsigned id);
/* A deferred request of client id is answered: the client, no longer busy with it (NULL:
 * it went away meanwhile). sup_client_reply sends reply (consumed) to it if it is there. */
struct sup_client *sup_client_done(struct sup *s, unsigned id);
void sup_client_reply(struct sup *s, unsigned id, json_object *reply);

/* sup-day2.c: the day-2 verbs (domblklist ... setmem); req is taken over. */
struct ctl_request;
void sup_day2_request(struct sup *s, struct sup_client *c, struct ctl_request *req);
/* The file in disk i now (change-media's, else the XML's); NULL: empty. */
const char *sup_disk_source(const struct sup *s, size_t i);
/* The number N of disk i's block nodes libvirt-N-storage/-format now (change-media's
 * medium, else the builder's). */
unsigned sup_disk_node(const struct sup *s, size_t i);
/* sup-agent.c: the guest agent. The verbs that use it (agent-command, domifaddr,
 * domfsfreeze, domfsthaw), answered when the agent has; req stays the caller's. */
void sup_agent_request(struct sup *s, struct sup_client *c, struct ctl_request *req);
/* shutdown/reboot with a --mode that asks for the agent: true when handled here. */
bool sup_agent_power(struct sup *s, struct sup_client *c, struct ctl_request *req);
/* The agent's socket for poll (with the events wanted), or -1. */
int sup_agent_fd(struct sup *s, short *ret_events);
void sup_agent_io(struct sup *s, short revents);
void sup_agent_timeout(struct sup *s);
/* QEMU is gone: the exchanges in progress and queued end, the connection is closed. */
void sup_agent_close(struct sup *s);
/* Makes path accessible to QEMU's user as the start does (recorded in the state's grants
 * before the owner changes, so the end of the domain gives it back). */
int sup_grant_file(struct sup *s, const char *path, bool write, struct ql_error *err);

/* sup-hotplug.c: attach-device, detach-device, setvcpus (req is the caller's); the
 * DEVICE_DELETED event and the detach timer; on re-attach, the hot-plugged devices of the
 * state back into the domain (before anything uses its devices) and QEMU's names of them
 * (after the start's); the block node number of a hot-plugged disk i. */
void sup_hotplug_request(struct sup *s, struct sup_client *c, struct ctl_request *req);
void sup_hotplug_device_deleted(struct sup *s, const char *id);
void sup_hotplug_timeout(struct sup *s);
void sup_hotplug_restore(struct sup *s);
void sup_hotplug_names(struct sup *s);
/* The domain QEMU was started with (the running one's start devices with those detached
 * since put back, and without hot-plugged ones), for a build that names them; its arrays
 * are the caller's to free (sup_hotplug_view_free), the devices stay s->dom's. */
void sup_hotplug_start_view(const struct sup *s, struct domain *ret);
void sup_hotplug_view_free(struct domain *v);
void sup_hotplug_free(struct sup *s);
/* Whether the start's device index (of its kind, in the XML) was detached since. */
bool sup_hotplug_gone(const struct sup *s, enum qb_hot_kind k, size_t index);
/* query-block's (or query-blockstats') entry for disk i in list, or NULL. */
json_object *sup_block_entry(const struct sup *s, json_object *list, size_t i);

/* sup-snapshot.c: snapshot-create/-revert/-delete and save (req is read, not taken); the
 * QMP events that end them (JOB_STATUS_CHANGE, MIGRATION); restore's steps of the start. */
void sup_snapshot_request(struct sup *s, struct sup_client *c, struct ctl_request *req);
void sup_snapshot_event(struct sup *s, const struct qmp_event *ev);
bool sup_snapshot_busy(const struct sup *s);
void sup_snapshot_cleanup(struct sup *s);
void sup_snapshot_monitor_lost(struct sup *s);
int sup_restore_prepare(struct sup *s, struct ql_error *err);
void sup_restore_begin(struct sup *s);
/* Re-attach, QMP ready: an interrupted save's migration is cancelled, concluded QEMU jobs
 * are dismissed. */
void sup_snapshot_reattached(struct sup *s);
/* sup-start.c: the saved state is loaded: the setup continues. */
void sup_restore_loaded(struct sup *s);

/* sup-dumpxml.c: the running definition (current_kib > 0: the balloon's current memory). */
char *sup_running_xml(struct sup *s, long long current_kib, struct ql_error *err);
