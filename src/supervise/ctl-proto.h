/* The control protocol between the CLI verbs and a domain's supervisor: one definition of
 * its messages for both ends. Newline-delimited JSON on RUNDIR/ctl.sock:
 *
 *   request  {"cmd":"status"|"events"|"shutdown"|"reboot"|"destroy"|"suspend"|"resume"|"qmp",
 *             ["graceful":BOOL (destroy)], ["timeout":SECONDS (shutdown)],
 *             ["json":"QMP COMMAND" (qmp, required)]}
 *            day-2 verbs (virsh's names): "domblklist" ["details":BOOL],
 *            "domiflist", "domblkstat" ["target":DEV], "domifstat" "target":IFACE,
 *            "dommemstat", "vcpuinfo", "dumpxml", "screenshot",
 *            "change-media" "target":DEV, "action":"eject"|"insert"|"update",
 *            ["source":FILE], ["force":BOOL], "send-key" "keys":"K1 K2...",
 *            ["codeset":NAME], ["holdtime":MS], "setmem" "size":KIB
 *            guest agent: "agent-command" "json":"COMMAND" ["timeout":SECONDS],
 *            "domifaddr" ["source":"agent"|"arp"|"lease"], "domfsfreeze" ["mountpoints":
 *            "M1\nM2"], "domfsthaw"; "shutdown" and "reboot" take ["mode":"acpi"|"agent"|
 *            "agent,acpi"];
 *            "attach-device" "xml":DEVICE XML, "detach-device" with "xml":DEVICE XML, or
 *            "target":DISK, or "type":INTERFACE TYPE ["mac":MAC], ["wait":SECONDS],
 *            "setvcpus" "count":N,
 *            "snapshot-create" "snapshot":NAME ["description":TEXT], "snapshot-revert" and
 *            "snapshot-delete" "snapshot":NAME, "save" "file":ABSOLUTE-PATH
 *   reply    {"ok":true, ...} or {"ok":false,"error":"one sentence"}
 *            status: "status" holds the domain status (sup_status_to_json);
 *            qmp: "reply" holds QEMU's answer ({"return":...} or {"error":...});
 *            events: {"ok":true}, then one JSON event line per lifecycle event. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include "util/error.h"

/* Longest request line the supervisor reads (without its newline). */
#define CTL_MAX_LINE 65536
/* Longest reply or event line a client reads: QMP answers can be large. */
#define CTL_MAX_REPLY (1 << 20)
/* Longest shutdown deadline a request may ask for. */
#define CTL_MAX_TIMEOUT_S (86400 * 365)

enum ctl_cmd {
    CTL_STATUS,
    CTL_EVENTS,
    CTL_SHUTDOWN,
    CTL_REBOOT,
    CTL_DESTROY,
    CTL_SUSPEND,
    CTL_RESUME,
    CTL_QMP,
    CTL_DOMBLKLIST,
    CTL_DOMIFLIST,
    CTL_DOMBLKSTAT,
    CTL_DOMIFSTAT,
    CTL_DOMMEMSTAT,
    CTL_VCPUINFO,
    CTL_CHANGE_MEDIA,
    CTL_SEND_KEY,
    CTL_SCREENSHOT,
    CTL_SETMEM,
    CTL_DUMPXML,
    CTL_AGENT_COMMAND,
    CTL_DOMIFADDR,
    CTL_DOMFSFREEZE,
    CTL_DOMFSTHAW,
    CTL_ATTACH_DEVICE,
    CTL_DETACH_DEVICE,
    CTL_SETVCPUS,
    CTL_SNAPSHOT_CREATE,
    CTL_SNAPSHOT_REVERT,
    CTL_SNAPSHOT_DELETE,
    CTL_SAVE,
    CTL_CMD_MAX
};
const char *ctl_cmd_to_string(enum ctl_cmd c);     /* "status", ...; NULL when out of range */
int ctl_cmd_from_string(const char *s);            /* -1 when unknown */

struct ctl_request {
    enum ctl_cmd cmd;
    bool graceful;              /* destroy: SIGTERM only, never SIGKILL */
    int timeout_s;              /* shutdown: destroy after this many seconds; -1: never */
    char *json;                 /* qmp: the QMP command as text (owned) */
    /* The day-2 verbs' arguments (owned strings; NULL, false, 0: not given). */
    char *target;               /* a disk target or interface (tap name or MAC) */
    char *source;               /* change-media: the new medium */
    char *action;               /* change-media: eject, insert, update */
    char *codeset;              /* send-key */
    char *keys;                 /* send-key: key names or numbers, space-separated */
    bool details, force;
    long long holdtime_ms;      /* send-key */
    long long size_kib;         /* setmem */
    /* The guest agent's verbs (json and timeout_s above: agent-command's text, and how long
     * to wait for the agent in seconds, -1: the default). */
    char *mode;                 /* shutdown, reboot: "acpi", "agent" or "agent,acpi" */
    char *mountpoints;          /* domfsfreeze: mount points, newline-separated */
    char *xml;                  /* attach-device, detach-device: one device's XML */
    char *net_type;             /* detach-device: an interface of this type ("type") */
    char *mac;                  /* detach-device: the interface with this MAC */
    long long wait_s;           /* detach-device: how long the guest may take; 0: default */
    long long count;            /* setvcpus */
    char *snapshot;             /* snapshot-*: the snapshot's name */
    char *description;          /* snapshot-create */
    char *file;                 /* save: the file (absolute) */
};
#define CTL_REQUEST_INIT(c) {.cmd = (c), .timeout_s = -1}
void ctl_request_clear(struct ctl_request *r);

/* Parses one request line (len bytes, without the newline; trailing whitespace allowed).
 * Strict: a single JSON object with a known string "cmd" and only the members that command
 * takes, each of the right type. On error ret is left cleared and err says why. */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *ret,
                      struct ql_error *err);
/* The request as one line, newline included, ready to send. */
char *ctl_request_format(const struct ctl_request *r);

/* The reply of a day-2 verb carries what it reports as "result". */
#define CTL_RESULT "result"

/* {"ok":true} and {"ok":false,"error":"..."}: the replies every command may give. */
json_object *ctl_reply_ok(void);
json_object *ctl_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses a reply line. Returns 0 with the reply object when it says ok; -EREMOTEIO with the
 * supervisor's message when it says no; -EBADMSG when it is not a reply at all. */
int ctl_reply_parse(const char *line, size_t len, json_object **ret, struct ql_error *err);
