/* The client end of the control protocol (ctl-proto.h): connecting to a domain's supervisor,
 * with the recovery DESIGN.md asks for (the VM survives its supervisor), one request and its
 * reply, and the event stream. Returns 0 or -errno with err set; never prints. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include "supervise/ctl-proto.h"
#include "supervise/state.h"
#include "util/error.h"
#include "util/strbuf.h"

/* How long a client waits for an answer, by kind of request. */
#define CTL_TIMEOUT_MS 30000            /* shutdown, reboot, suspend, resume */
#define CTL_STATUS_TIMEOUT_MS 10000     /* status, and the events acknowledgement */
#define CTL_QMP_TIMEOUT_MS 60000

struct ctl_target {
    const char *name;
    const char *run_dir;        /* NULL: QLAUNCH_RUN_DIR or the default */
    const char *log_dir;        /* for a re-attaching supervisor; NULL: QLAUNCH_LOG_DIR... */
};

/* A connection with its unread input (lines may arrive in pieces or several at once). */
struct ctl_conn {
    int fd;
    struct strbuf in;
};
#define CTL_CONN_INIT {-1, STRBUF_INIT}
void ctl_conn_close(struct ctl_conn *c);
/* Reads one line (without its newline) of at most max bytes. -EPIPE at end of file,
 * -ETIMEDOUT after timeout_ms (< 0: wait for ever), -EMSGSIZE for a longer line. */
int ctl_conn_read_line(struct ctl_conn *c, size_t max, int timeout_ms, char **ret_line,
                       struct ql_error *err);

/* Connects to the domain's supervisor. When the run directory is there but nobody listens:
 * if QEMU is gone too, the run is recorded in NAME.last as shut off (crashed) and the
 * directory removed (-ENOENT); if QEMU lives, a supervisor is started to re-attach to it
 * and the connection goes to that one. Errors: -ENOENT the domain is not running;
 * -ENOTCONN a run directory without supervisor or saved state (starting, or a leftover);
 * -EINVAL a name that cannot be a domain's; others from connect or the re-attach. */
int ctl_open(const struct ctl_target *t, struct ctl_conn *ret, struct ql_error *err);
/* Sends req and waits up to timeout_ms for the reply. On 0, *ret_reply is a reply that
 * says ok (the caller puts it); -EREMOTEIO carries the supervisor's refusal in err. */
int ctl_call(const struct ctl_target *t, const struct ctl_request *req, int timeout_ms,
             json_object **ret_reply, struct ql_error *err);
/* The domain's status as its supervisor sees it now (the "status" request). */
int ctl_status(const struct ctl_target *t, struct sup_status *ret, struct ql_error *err);
/* Subscribes to the domain's events: on 0, ret is a connection whose next lines are event
 * objects (read them with ctl_conn_read_line, at most CTL_MAX_REPLY bytes each). */
int ctl_subscribe(const struct ctl_target *t, struct ctl_conn *ret, struct ql_error *err);
/* Waits up to timeout_ms for the domain's run directory to go away (its supervisor removes
 * it last). 0 when gone, -ETIMEDOUT, or -EINVAL for a bad name. */
int ctl_wait_gone(const struct ctl_target *t, int timeout_ms, struct ql_error *err);
