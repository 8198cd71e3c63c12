/* Domain states and reasons, named as libvirt names them (virsh domstate --reason). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <sys/types.h>
#include "host/dac.h"
#include "host/vfio.h"
#include "util/error.h"

enum sup_state {
    SUP_STATE_SHUTOFF,
    SUP_STATE_RUNNING,
    SUP_STATE_PAUSED,
    SUP_STATE_SHUTDOWN,         /* being shut down */
    SUP_STATE_CRASHED,
    SUP_STATE_PMSUSPENDED,
    SUP_STATE_MAX
};
const char *sup_state_to_string(int v);     /* "shut off", "running", ... as virsh prints */
const char *sup_state_to_id(int v);         /* "shutoff", "running", ... for JSON */
int sup_state_from_id(const char *s);

enum sup_reason {
    SUP_REASON_UNKNOWN,
    SUP_REASON_BOOTED,          /* running */
    SUP_REASON_UNPAUSED,        /* running */
    SUP_REASON_RESTARTED,       /* running: restarted by on_poweroff/on_reboot policy */
    SUP_REASON_CRASH_RESTARTED, /* running: restarted after a crash (libvirt "crashed") */
    SUP_REASON_USER,            /* paused */
    SUP_REASON_STARTING_UP,     /* paused */
    SUP_REASON_PANICKED,        /* crashed / paused */
    SUP_REASON_SHUTDOWN,        /* shutoff */
    SUP_REASON_DESTROYED,       /* shutoff */
    SUP_REASON_CRASHED,         /* shutoff: QEMU died or the guest crashed with destroy */
    SUP_REASON_FAILED,          /* shutoff: QEMU could not be started */
    SUP_REASON_RESTART_LIMIT,   /* crashed: too many restarts */
    SUP_REASON_IOERROR,         /* paused */
    SUP_REASON_SAVED,           /* shutoff: save wrote its state to a file */
    SUP_REASON_RESTORED,        /* running: restore started it from a save file */
    SUP_REASON_FROM_SNAPSHOT,   /* running / paused: snapshot-revert */
    SUP_REASON_MAX
};
const char *sup_reason_to_string(int v);
int sup_reason_from_string(const char *s);

/* A graphics server as QEMU reports it after start (query-spice / query-vnc). */
struct sup_display {
    char type[8];               /* "spice" | "vnc" */
    char *host;                 /* listen address, or the socket path when unix_socket */
    int port;                   /* 0: none (unix socket, or listen type='none') */
    int tls_port;               /* 0: none */
    bool unix_socket;
};
#define SUP_MAX_DISPLAYS 2      /* QEMU: one SPICE and one VNC server */

/* A helper process the domain needs beside QEMU (swtpm; virtiofsd), started by the
 * supervisor before QEMU and recorded here before it may run: whoever finds the domain
 * ended (its supervisor, a re-attached one, the CLI's recovery) stops it and removes what
 * it leaves (supervise/helpers.h). */
struct sup_helper {
    char *name;                 /* "swtpm" */
    pid_t pid;
    unsigned long long start_time;  /* /proc/PID/stat field 22: never signal a reused pid */
    char *socket;               /* removed once it is gone; NULL: none */
    char *remove_dir;           /* transient state removed once it is gone; NULL: none */
};
#define SUP_MAX_HELPERS 16
/* A removable drive's medium after change-media: its file (NULL: ejected) and the number
 * N of its block nodes libvirt-N-storage/-format. */
struct sup_media {
    char *target;
    char *source;
    unsigned node;
};

/* A device hot-plugged into the running domain (attach-device): its XML with the address
 * (and for a NIC the MAC) it got, what QEMU calls it and the number its names use
 * (qb_hotplug.num). Its host side (tap, OVS port, files given to QEMU) is in nics and
 * grants like the start's. A re-attached supervisor adds these to the domain it reads. */
struct sup_hotdev {
    char *kind;                 /* "disk", "interface", "input" (qb_hot_kind names) */
    char *xml;
    char *qemu_id;
    unsigned num;
};
#define SUP_MAX_HOTDEVS 256
/* A device QEMU was started with that detach-device removed: its kind, its index among the
 * start's devices of that kind (the XML's order) and what QEMU called it. A re-attached
 * supervisor takes it out of the domain it reads. */
struct sup_removed {
    char *kind;                 /* qb_hot_kind names */
    unsigned index;
    char *qemu_id;
};
#define SUP_MAX_HOTVCPUS 1024

/* What is persisted in RUNDIR/state.json (written atomically). */
struct sup_status {
    char *name;
    char uuid[37];
    enum sup_state state;
    enum sup_reason reason;
    pid_t qemu_pid;
    unsigned long long qemu_start_time;   /* /proc/PID/stat field 22, to detect pid reuse */
    pid_t supervisor_pid;
    unsigned restarts;          /* policy restarts so far */
    unsigned boots;             /* times the guest was started (1 + restarts) */
    int64_t started_at;         /* unix seconds of the last QEMU start */
    char *xml_path;             /* the domain XML it was started from (absolute) */
    char *qemu_version;
    char *console_pty;          /* serial0's pty, when it has one */
    bool reboot_pending;        /* qlaunch reboot: next guest poweroff restarts */
    bool shutdown_pending;
    char *last_error;
    unsigned restart_cap, restart_window;   /* create's settings, for a re-attach */
    char *dump_dir;
    struct sup_display displays[SUP_MAX_DISPLAYS];
    size_t n_displays;
    /* Host-side NIC state a re-attached supervisor must undo when QEMU ends: the tap of
     * each interface and the OVS bridge it was added to (NULL entries allowed). */
    char **nic_taps, **nic_ovs;
    size_t n_nics;
    /* Who QEMU runs as (0: root or the caller) and the files given to it, whose owners
     * are restored when the domain ends (host/dac.h); recorded before they change. */
    uid_t qemu_uid;
    gid_t qemu_gid;
    struct host_dac_grant *grants;
    size_t n_grants;
    struct sup_helper helpers[SUP_MAX_HELPERS];
    size_t n_helpers;
    /* change-media: the drives whose medium changed since the start, and how many block
     * nodes were made for new media (their names count on from the disks'). */
    struct sup_media *media;
    size_t n_media;
    unsigned media_seq;
    /* PCI functions of <hostdev> as found before the start (recorded before any is
     * rebound): the ones qlaunch bound to vfio-pci (changed) go back to their driver when
     * the domain ends (supervise/helpers.h: sup_pci_restore). */
    struct host_pci_binding *pci;
    size_t n_pci;
    /* attach-device: hot-plugged devices, in the order they were added (each kind after
     * the start's devices of that kind); setvcpus: the vCPUs added with device_add (their
     * ids "vcpuN"), which are the ones that can be taken away again. */
    struct sup_hotdev *hotdevs;
    size_t n_hotdevs;
    char **hot_vcpus;
    size_t n_hot_vcpus;
    /* detach-device of devices QEMU was started with (struct sup_removed) */
    struct sup_removed *removed;
    size_t n_removed;
    /* save: the temporary file QEMU writes the state to (FILE.XXXXXX), recorded before it
     * exists so that whoever finds the save interrupted removes it; NULL: none */
    char *save_tmp;
};

void sup_status_clear(struct sup_status *s);
void sup_display_clear(struct sup_display *d);
/* "spice://127.0.0.1:5901", "vnc://[::1]:5900", "spice+unix:///path" as virsh domdisplay
 * prints them (a wildcard listen address becomes "localhost"); NULL when there is nothing
 * to connect to. Never contains a password. */
char *sup_display_uri(const struct sup_display *d);
/* The one serialisation of a status, used by the state file and by the supervisor's "status"
 * reply. from_json fails on a non-object or a status without a name; unknown state or
 * reason names read as shutoff/unknown (an older or newer writer). */
json_object *sup_status_to_json(const struct sup_status *s);
int sup_status_from_json(json_object *o, struct sup_status *ret, struct ql_error *err);
int sup_status_write(const char *path, const struct sup_status *s, struct ql_error *err);
int sup_status_read(const char *path, struct sup_status *ret, struct ql_error *err);
/* Parses the text of a state file (NUL-terminated; path names it in messages): what
 * sup_status_read does after reading the file. */
int sup_status_parse(const char *text, const char *path, struct sup_status *ret,
                     struct ql_error *err);
/* Reads field 22 (starttime) of /proc/PID/stat; 0 when the process does not exist. */
unsigned long long sup_proc_start_time(pid_t pid);
/* True when pid is alive (not a zombie) and started at start_time (not a reused pid). */
bool sup_proc_matches(pid_t pid, unsigned long long start_time);
