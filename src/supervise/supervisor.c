/* The per-VM supervisor; see supervisor.h, sup-priv.h and DESIGN.md "Lifecycle" / "Running
 * VMs". This file holds sup_main and the one poll loop over: a signalfd, QEMU's pidfd, the
 * QMP connection, the control socket and its clients, and the timers. Nothing blocks: the
 * start, restarts, dumps and client requests are all asynchronous steps on this loop. */
#include "config.h"
#include "domain/parse.h"
#include "supervise/helpers.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"
#include "util/trace.h"
#include "host/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

const char *sup_log_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *e = getenv("QLAUNCH_LOG_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_LOG);
}

#define SUP_UNRECORDED "the outcome of this run could not be recorded"

char *sup_outcome_unrecorded(const char *log_dir_opt, const char *name)
{
    _cleanup_free_ char *path = xasprintf("%s/%s.log", sup_log_dir(log_dir_opt), name);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return NULL;
    char buf[4096];
    off_t off = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, off);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    line = line ? line + 1 : buf;
    return strstr(line, SUP_UNRECORDED) ? xstrdup(line) : NULL;
}

const char *sup_dump_dir(const char *opt)
{
    if (opt && *opt)
        return opt;
    const char *e = getenv("QLAUNCH_DUMP_DIR");
    return e && *e ? e : sup_default_dir(SUP_DIR_DUMP);
}

void sup_log(struct sup *s, const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&msg, fmt, ap);
    va_end(ap);
    _cleanup_free_ char *line = ql_log_stamped(sb_str(&msg));
    if (s->log_fd >= 0 && write(s->log_fd, line, strlen(line)) < 0) {
        /* nothing better to do: the log is the place errors go */
    }
    if (s->cfg->foreground)
        ql_log_line(ql_log_priority(sb_str(&msg)), sb_str(&msg));
    sb_free(&msg);
}

void sup_trace(struct sup *s, const char *what)
{
    (void)s;
    ql_trace(what);
}

void sup_write_state(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    if (sup_status_write(s->paths.state, &s->st, &err) < 0) {
        sup_log(s, "cannot write state: %s", ql_error_msg(&err));
        ql_error_clear(&err);
    }
}

void sup_set_state(struct sup *s, enum sup_state st, enum sup_reason r)
{
    if (s->st.state == st && s->st.reason == r)
        return;
    s->st.state = st;
    s->st.reason = r;
    sup_write_state(s);
    sup_log(s, "state %s (%s)", sup_state_to_id(st), sup_reason_to_string(r));
    sup_broadcast(s, "state", NULL);
}

void sup_ready(struct sup *s, const char *line)
{
    if (s->cfg->ready_fd >= 0 && !s->readied) {
        dprintf(s->cfg->ready_fd, "%s\n", line);
        close(s->cfg->ready_fd);
    }
    s->readied = true;
    const char *ns = getenv("NOTIFY_SOCKET");
    if (ns && *ns && strncmp(line, "OK", 2) == 0) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t l = strlen(ns);
        if (l < sizeof(sa.sun_path)) {
            memcpy(sa.sun_path, ns, l);
            if (sa.sun_path[0] == '@')
                sa.sun_path[0] = '\0';
            int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd >= 0) {
                const char msg[] = "READY=1";
                sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l));
                close(fd);
            }
        }
    }
}

static int open_log(struct sup *s, struct ql_error *err)
{
    const char *dir = sup_log_dir(s->cfg->log_dir);
    int r = sup_private_dir(dir, "log", "--log-dir or QLAUNCH_LOG_DIR", err);
    if (r < 0)
        return r;
    s->log_path = xasprintf("%s/%s.log", dir, s->dom->name);
    /* The log directory may be shared (QLAUNCH_LOG_DIR): a planted NAME.log that is a
     * symlink, a FIFO (O_NONBLOCK: no hang) or a hard link is refused, never written. */
    int fd = open(s->log_path,
                  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0)
        return ql_error_set(err, errno, "cannot open the log '%s': %s%s", s->log_path,
                            strerror(errno), errno == ELOOP || errno == ENXIO
                                                 ? " (it is not a regular file of this user "
                                                   "but a symbolic link or FIFO; remove it)"
                                                 : "");
    if ((r = sup_private_file(fd, s->log_path, err)) < 0) {
        close(fd);
        return r;
    }
    fcntl(fd, F_SETFL, O_APPEND);
    s->log_fd = fd;
    return 0;
}

/* ---- the loop ---- */

static void run_timers(struct sup *s)
{
    int64_t t = ql_mono_ms();
    for (int k = 0; k < TM_MAX && !s->done; k++) {
        if (!s->timers[k] || s->timers[k] > t)
            continue;
        s->timers[k] = 0;
        switch ((enum sup_timer)k) {
        case TM_RESTART:
            if (!s->destroy_requested)
                sup_restart_now(s);
            break;
        case TM_TERM:
            sup_qemu_signal(s, SIGTERM);
            break;
        case TM_GRACEFUL:
            if (!sup_qemu_alive(s))
                break;
            s->destroy_requested = false;
            sup_ctl_graceful_failed(s);
            break;
        case TM_KILL:
            sup_qemu_signal(s, SIGKILL);
            break;
        case TM_REBOOT_ACTION:
            sup_reboot_action_restore(s);
            break;
        case TM_START: {
            struct ql_error e = QL_ERROR_INIT;
            ql_error_set(&e, ETIMEDOUT, "QEMU did not finish starting within %d s (log: %s)",
                         (s->phase == PH_REATTACHING ? SUP_QMP_TIMEOUT_MS
                                                     : SUP_START_TIMEOUT_MS) / 1000,
                         s->log_path);
            sup_start_failed(s, &e);
            ql_error_clear(&e);
            break;
        }
        case TM_START_EXIT:
            /* QEMU closed the monitor but did not exit, or its exit went unseen. */
            if (s->phase == PH_STARTING && !s->start_err.msg) {
                _cleanup_free_ char *qmsg = sup_qemu_log_error(s, s->log_start);
                ql_error_set(&s->start_err, EIO, "QEMU failed to start: %s (log: %s)",
                             qmsg ? qmsg : "it closed the monitor", s->log_path);
            }
            sup_qemu_signal(s, SIGKILL);
            sup_start_qemu_gone(s);
            break;
        case TM_CONT_RETRY:
            sup_cont_retry(s);
            break;
        case TM_RECONNECT:
            sup_qmp_reconnect(s);
            break;
        case TM_SHUTDOWN:
            if (!sup_qemu_alive(s))
                break;
            sup_log(s, "the guest did not power off in time: destroying the domain");
            s->destroy_requested = true;
            sup_begin_destroy(s, false);
            break;
        case TM_CLIENTS:
            sup_ctl_idle_check(s);
            break;
        case TM_AGENT:
            sup_agent_timeout(s);
            break;
        case TM_HOTPLUG:
            sup_hotplug_timeout(s);
            break;
        case TM_MAX:
            break;
        }
    }
}

static int next_timeout(struct sup *s)
{
    int64_t t = ql_mono_ms(), best = -1;
    for (int k = 0; k < TM_MAX; k++) {
        if (!s->timers[k])
            continue;
        int64_t d = s->timers[k] - t;
        if (d < 0)
            d = 0;
        if (best < 0 || d < best)
            best = d;
    }
    if (!s->qemu_is_child && s->pidfd < 0 && s->qemu_pid > 0 && (best < 0 || best > 500))
        best = 500;   /* no pidfd for a re-attached QEMU: poll its pid */
    return (int)best;
}

static void on_signal(struct sup *s)
{
    struct signalfd_siginfo si;
    while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
            sup_helpers_reap(&s->st);   /* swtpm ends with QEMU's connection */
            sup_qemu_exited(s);
        } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT ||
                   si.ssi_signo == SIGHUP) {
            /* Stopping the supervisor stops the domain, as `systemctl stop`, a job
             * scheduler or a container runtime expect: gracefully when the guest can
             * still power itself off, else (or at a second signal) at once. */
            unsigned t = s->cfg->stop_timeout_s;
            if (t && !s->stop_requested && !s->destroy_requested && s->phase == PH_RUNNING &&
                s->qmp && sup_qemu_alive(s) && s->st.state == SUP_STATE_RUNNING) {
                sup_log(s, "received signal %u: powering the guest off", si.ssi_signo);
                s->stop_requested = true;
                s->timers[TM_RESTART] = 0;
                sup_shutdown_deadline(s, (int)t);
                continue;
            }
            sup_log(s, "received signal %u: destroying the domain", si.ssi_signo);
            s->destroy_requested = true;
            sup_begin_destroy(s, false);
        }
    }
}

static void loop(struct sup *s)
{
    while (!s->done) {
        struct pollfd pfd[5 + SUP_MAX_CLIENTS];
        int n = 0, i_pid = -1, i_qmp = -1, i_agent = -1;
        short agent_events = 0;
        pfd[n++] = (struct pollfd){s->sigfd, POLLIN, 0};
        if (s->pidfd >= 0)
            pfd[i_pid = n++] = (struct pollfd){s->pidfd, POLLIN, 0};
        if (s->qmp && qmp_conn_poll_events(s->qmp))
            pfd[i_qmp = n++] = (struct pollfd){qmp_conn_fd(s->qmp),
                                               qmp_conn_poll_events(s->qmp), 0};
        int agent_fd = sup_agent_fd(s, &agent_events);
        if (agent_fd >= 0)
            pfd[i_agent = n++] = (struct pollfd){agent_fd, agent_events, 0};
        int i_ctl = n++;
        pfd[i_ctl] = (struct pollfd){s->ctl_fd, POLLIN, 0};
        int first_client = n;
        int map[SUP_MAX_CLIENTS];
        for (int i = 0; i < SUP_MAX_CLIENTS; i++) {
            if (s->clients[i].fd >= 0) {
                map[n - first_client] = i;
                pfd[n++] = (struct pollfd){s->clients[i].fd, POLLIN, 0};
            }
        }
        int r = poll(pfd, (nfds_t)n, next_timeout(s));
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && (pfd[0].revents & POLLIN))
            on_signal(s);
        if (i_qmp >= 0 && pfd[i_qmp].revents && s->qmp) {
            struct ql_error err = QL_ERROR_INIT;
            if (pfd[i_qmp].revents & POLLOUT)
                qmp_conn_on_writable(s->qmp, &err);
            ql_error_clear(&err);
            if (s->qmp && (pfd[i_qmp].revents & (POLLIN | POLLHUP | POLLERR)))
                qmp_conn_on_readable(s->qmp, &err);
            ql_error_clear(&err);
        }
        if (s->qmp_lost)
            sup_qmp_handle_loss(s);
        if (i_pid >= 0 && (pfd[i_pid].revents & POLLIN))
            sup_qemu_exited(s);
        if (!s->qemu_is_child && s->pidfd < 0 && s->qemu_pid > 0 && !sup_qemu_alive(s))
            sup_qemu_exited(s);
        if (i_agent >= 0 && pfd[i_agent].revents)
            sup_agent_io(s, pfd[i_agent].revents);
        if (pfd[i_ctl].revents & POLLIN)
            sup_ctl_accept(s);
        for (int k = first_client; k < n; k++)
            if (pfd[k].revents && s->clients[map[k - first_client]].fd == pfd[k].fd)
                sup_ctl_readable(s, &s->clients[map[k - first_client]]);
        run_timers(s);
    }
}

static void teardown(struct sup *s)
{
    sup_release_ports_lock(s);
    if (s->qemu_pid > 0 && sup_qemu_alive(s)) {
        kill(s->qemu_pid, SIGKILL);
        if (s->qemu_is_child)
            waitpid(s->qemu_pid, NULL, 0);
    }
    sup_stop_helpers(s);    /* after QEMU: it may still talk to them until it is gone */
    sup_agent_close(s);
    sup_snapshot_cleanup(s);
    if (s->incoming_fd >= 0)
        close(s->incoming_fd);
    s->incoming_fd = -1;
    qmp_conn_free(s->qmp);
    s->qmp = NULL;
    if (s->transcript)
        fclose(s->transcript);
    s->transcript = NULL;
    for (size_t i = s->n_nics; i-- > 0;)
        host_nic_teardown(&s->nics[i]);
    sup_pci_restore(&s->st, sup_log_cb, s);     /* QEMU is gone: its functions go back */
    sup_dac_restore(s);
}

/* Keeps the XML it was started from: a re-attaching supervisor reads this copy. */
static int copy_xml(struct sup *s, struct ql_error *err)
{
    _cleanup_free_ char *xml = NULL;
    size_t xml_len = 0;
    _cleanup_free_ char *copy = xasprintf("%s/domain.xml", s->paths.dir);
    if (s->cfg->restore_xml)
        return ql_write_file_runtime(copy, s->cfg->restore_xml, strlen(s->cfg->restore_xml),
                                     0600, err);
    /* The bytes the domain was parsed from: the file may have changed since. */
    if (s->cfg->xml_text)
        return ql_write_file_runtime(copy, s->cfg->xml_text, s->cfg->xml_len, 0600, err);
    int r = ql_read_file(s->cfg->xml_path, DOM_XML_MAX_BYTES, &xml, &xml_len, err);
    if (r < 0)
        return r;
    return ql_write_file_runtime(copy, xml, xml_len, 0600, err);
}

static int load_domain(struct sup *s, struct dom_diags *diags, struct ql_error *err)
{
    /* Parsed by the CLI before it forked this supervisor: parse once. Pool volumes become
     * the files and devices they are on this host. */
    if (s->cfg->dom)
        s->dom = s->cfg->dom;
    if (s->dom || dom_parse_file(s->cfg->xml_path, &s->dom, diags) == 0)
        return host_pool_resolve_disks(s->dom, err);
    const struct dom_diag *first = diags->n ? &diags->v[0] : NULL;
    for (size_t i = 0; i < diags->n; i++)
        if (diags->v[i].level == DOM_DIAG_ERROR) {
            first = &diags->v[i];
            break;
        }
    _cleanup_free_ char *msg = first ? dom_diag_format(first) : xstrdup("invalid domain XML");
    return ql_error_set(err, EINVAL, "%s: %s", s->cfg->xml_path, msg);
}

/* Everything up to the loop that cannot be undone by simply exiting. */
static int setup(struct sup *s, bool *created_dir, struct ql_error *err)
{
    const struct sup_config *cfg = s->cfg;
    if (cfg->reattach_name && strcmp(cfg->reattach_name, s->dom->name) != 0)
        return ql_error_set(err, EINVAL, "the domain XML now names '%s', not '%s'",
                            s->dom->name, cfg->reattach_name);
    int r;
    if ((r = sup_paths_init(&s->paths, cfg->base, s->dom->name, err)) < 0)
        return r;
    if ((r = open_log(s, err)) < 0)
        return r;
    s->st.name = xstrdup(s->dom->name);
    uuid_unparse_lower(s->dom->uuid, s->st.uuid);
    s->st.supervisor_pid = getpid();
    s->st.xml_path = xstrdup(cfg->xml_path);
    s->st.restart_cap = cfg->restart_cap;
    s->st.restart_window = cfg->restart_window_s;
    s->st.dump_dir = cfg->dump_dir ? xstrdup(cfg->dump_dir) : NULL;
    if (!cfg->reattach_name) {
        if ((r = sup_rundir_create(&s->paths, err)) < 0) {
            if (err->code == EEXIST) {
                ql_error_clear(err);
                r = ql_error_set(err, EEXIST, "domain '%s' is already running (run directory "
                                 "'%s' exists)", s->dom->name, s->paths.dir);
            }
            return r;
        }
        *created_dir = true;
    }
    /* Locked before anything is written into a new run directory: a client that looks in
     * meanwhile (domstate while a unit starts) must see a supervisor starting, not a
     * leftover directory to clean. */
    s->lock_fd = open(s->paths.lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
        return ql_error_set(err, EBUSY, "another qlaunch supervisor already manages '%s'",
                            s->dom->name);
    if (!cfg->reattach_name && (r = copy_xml(s, err)) < 0)
        return r;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if ((s->ctl_fd = sup_bind_unix(s->paths.ctl, 64, err)) < 0)
        return s->ctl_fd;
    fcntl(s->ctl_fd, F_SETFL, O_NONBLOCK);
    s->st.state = SUP_STATE_PAUSED;
    s->st.reason = SUP_REASON_STARTING_UP;
    return cfg->reattach_name ? sup_reattach(s, err) : sup_start(s, err);
}

/* A start or re-attach that failed, before or inside the loop: nothing may be left. */
static void fail(struct sup *s, struct ql_error *err, bool created_dir)
{
    const struct sup_config *cfg = s->cfg;
    if (s->log_fd >= 0)
        sup_log(s, "error: %s", ql_error_msg(err));
    else if (cfg->foreground)
        ql_log_line(QL_LOG_ERR, ql_error_msg(err));
    for (int i = 0; i < SUP_MAX_CLIENTS; i++)
        sup_client_close(&s->clients[i]);
    if (cfg->reattach_name) {
        /* Like libvirt: a domain we cannot reconnect to must not run unsupervised. */
        if (s->qemu_pid > 0 && sup_qemu_alive(s))
            kill(s->qemu_pid, SIGKILL);
        s->st.state = SUP_STATE_SHUTOFF;
        s->st.reason = SUP_REASON_CRASHED;
        s->st.qemu_pid = 0;
        if (s->paths.last)
            sup_status_write(s->paths.last, &s->st, NULL);
        if (s->paths.dir)
            sup_rundir_remove(&s->paths);
    }
    teardown(s);
    if (created_dir)
        sup_rundir_remove(&s->paths);
    /* Only now: the caller must find nothing left behind once it hears of the failure. */
    _cleanup_free_ char *line = xasprintf("ERR %s", ql_error_msg(err));
    sup_ready(s, line);
}

/* Keeps the outcome for list --all / domstate (NAME.last, replaced atomically: an earlier
 * one stays whole until the new one is complete), then leaves nothing else behind. On a full
 * file system the run directory goes first to make room for a second try; an outcome that
 * still cannot be written is the log's last line, where the verbs look for it. */
static int record_outcome(struct sup *s)
{
    struct ql_error err = QL_ERROR_INIT;
    int r = sup_status_write(s->paths.last, &s->st, &err);
    sup_rundir_remove(&s->paths);
    if (r < 0) {
        ql_error_clear(&err);
        r = sup_status_write(s->paths.last, &s->st, &err);
    }
    if (r < 0) {
        sup_log(s, "error: " SUP_UNRECORDED " (the domain ended %s, %s): %s",
                sup_state_to_id(s->st.state), sup_reason_to_string(s->st.reason),
                ql_error_msg(&err));
        ql_error_clear(&err);
    }
    return r;
}

int sup_main(const struct sup_config *cfg)
{
    struct sup sup = {0}, *s = &sup;
    struct ql_error err = QL_ERROR_INIT;
    struct dom_diags diags = {0};
    s->cfg = cfg;
    s->restart_cap = cfg->restart_cap;
    s->restart_window = cfg->restart_window_s;
    s->log_fd = s->sigfd = s->ctl_fd = s->pidfd = s->lock_fd = s->ports_lock_fd = -1;
    s->incoming_fd = -1;
    for (int i = 0; i < SUP_MAX_CLIENTS; i++)
        s->clients[i].fd = -1;
    int ret = SUP_EXIT_FAILED;
    bool created_dir = false;
    sup_trace(s, "supervisor");

    if (load_domain(s, &diags, &err) < 0 || setup(s, &created_dir, &err) < 0) {
        fail(s, &err, created_dir);
        goto out;
    }
    loop(s);
    sup_agent_close(s);     /* its waiting clients are answered before they are closed */
    if (s->phase == PH_FAILED || s->phase == PH_STARTING || s->phase == PH_REATTACHING) {
        if (!s->start_err.msg)
            ql_error_set(&s->start_err, EIO, "the supervisor's loop ended during the start");
        fail(s, &s->start_err, created_dir);
        goto out;
    }
    ret = s->exit_code;
    sup_ctl_finish(s);
    teardown(s);
    if (record_outcome(s) < 0)
        ret = SUP_EXIT_UNRECORDED;
    /* A re-attach whose reconciliation ended the domain has not reported yet: its verb
     * reads the outcome now (ctl-client). */
    sup_ready(s, "GONE");

out:
    if (s->sigfd >= 0)
        close(s->sigfd);
    if (s->ctl_fd >= 0)
        close(s->ctl_fd);
    if (s->pidfd >= 0)
        close(s->pidfd);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    if (s->log_fd >= 0)
        close(s->log_fd);
    free(s->nics);
    free(s->log_path);
    free(s->dump_path);
    free(s->detach_id);
    sup_hotplug_free(s);
    qb_result_free(&s->build);
    host_dac_free(&s->dac);
    sup_status_clear(&s->st);
    sup_paths_free(&s->paths);
    if (s->dom != cfg->dom)
        domain_free(s->dom);
    dom_diags_free(&diags);
    ql_error_clear(&err);
    ql_error_clear(&s->start_err);
    return ret;
}
