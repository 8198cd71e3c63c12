/* The running-side verbs, virsh names and meanings: create, list, dominfo, domstate,
 * shutdown, reboot, destroy, suspend, resume, console, qmp, events. Every verb but create
 * is a thin client of the supervisor's control socket (newline-delimited JSON). */
#include "config.h"
#include "cmds.h"
#include "domain/parse.h"
#include "supervise/rundir.h"
#include "supervise/state.h"
#include "supervise/supervisor.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char *opt_base;
static const char *opt_log_dir;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qlaunch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* Common options of the client verbs. Returns the index of the first operand or -1. */
enum { OPT_RUN_DIR = 1000, OPT_LOG_DIR, OPT_JSON, OPT_ALL, OPT_REASON, OPT_TIMEOUT,
       OPT_GRACEFUL, OPT_COUNT, OPT_FOREGROUND, OPT_CONSOLE, OPT_ACCEL, OPT_EMULATOR,
       OPT_RESTART_CAP, OPT_RESTART_WINDOW, OPT_DUMP_DIR, OPT_QMP_LOG, OPT_HELP };

struct opts {
    bool json, all, reason, graceful, foreground, console, qmp_log;
    int timeout_s;
    long count;
    const char *accel, *emulator, *dump_dir;
    unsigned restart_cap, restart_window;
};

static int parse_opts(int argc, char **argv, struct opts *o, const char *usage)
{
    static const struct option lo[] = {
        {"run-dir", required_argument, NULL, OPT_RUN_DIR},
        {"log-dir", required_argument, NULL, OPT_LOG_DIR},
        {"json", no_argument, NULL, OPT_JSON},
        {"all", no_argument, NULL, OPT_ALL},
        {"reason", no_argument, NULL, OPT_REASON},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"graceful", no_argument, NULL, OPT_GRACEFUL},
        {"count", required_argument, NULL, OPT_COUNT},
        {"foreground", no_argument, NULL, OPT_FOREGROUND},
        {"console", no_argument, NULL, OPT_CONSOLE},
        {"accel", required_argument, NULL, OPT_ACCEL},
        {"emulator", required_argument, NULL, OPT_EMULATOR},
        {"restart-cap", required_argument, NULL, OPT_RESTART_CAP},
        {"restart-window", required_argument, NULL, OPT_RESTART_WINDOW},
        {"dump-dir", required_argument, NULL, OPT_DUMP_DIR},
        {"qmp-log", no_argument, NULL, OPT_QMP_LOG},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->timeout_s = -1;
    o->count = -1;
    o->restart_cap = SUP_DEFAULT_RESTART_CAP;
    o->restart_window = SUP_DEFAULT_RESTART_WINDOW;
    optind = 1;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
        switch (c) {
        case OPT_RUN_DIR: opt_base = optarg; break;
        case OPT_LOG_DIR: opt_log_dir = optarg; break;
        case OPT_JSON: o->json = true; break;
        case OPT_ALL: o->all = true; break;
        case OPT_REASON: o->reason = true; break;
        case OPT_GRACEFUL: o->graceful = true; break;
        case OPT_FOREGROUND: o->foreground = true; break;
        case OPT_CONSOLE: o->console = true; break;
        case OPT_QMP_LOG: o->qmp_log = true; break;
        case OPT_ACCEL:
            if (strcmp(optarg, "tcg") != 0 && strcmp(optarg, "kvm") != 0) {
                fail("--accel takes 'tcg' or 'kvm', not '%s'", optarg);
                return -1;
            }
            o->accel = optarg;
            break;
        case OPT_EMULATOR: o->emulator = optarg; break;
        case OPT_DUMP_DIR: o->dump_dir = optarg; break;
        case OPT_TIMEOUT:
        case OPT_COUNT:
        case OPT_RESTART_CAP:
        case OPT_RESTART_WINDOW: {
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || v < 0 || v > INT_MAX) {
                fail("'%s' is not a valid number for --%s", optarg,
                     lo[c - OPT_RUN_DIR].name);
                return -1;
            }
            if (c == OPT_TIMEOUT)
                o->timeout_s = (int)v;
            else if (c == OPT_COUNT)
                o->count = v;
            else if (c == OPT_RESTART_CAP)
                o->restart_cap = (unsigned)v;
            else
                o->restart_window = (unsigned)v;
            break;
        }
        case OPT_HELP:
            printf("Usage: qlaunch %s\n", usage);
            exit(0);
        default:
            fprintf(stderr, "Usage: qlaunch %s\n", usage);
            return -1;
        }
    }
    return optind;
}

/* ---- control socket client ---- */

static int ctl_connect(const struct sup_paths *p)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(p->ctl) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, p->ctl, strlen(p->ctl) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Reads one line (up to 1 MiB); NULL on EOF or timeout. */
static char *read_line(int fd, int timeout_ms)
{
    struct strbuf sb = STRBUF_INIT;
    int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    for (;;) {
        int left = deadline < 0 ? -1 : (int)(deadline - mono_ms());
        if (deadline >= 0 && left <= 0)
            break;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n <= 0)
            break;
        if (c == '\n')
            return sb_steal(&sb);
        sb_addc(&sb, c);
        if (sb.len > (1 << 20))
            break;
    }
    sb_free(&sb);
    return NULL;
}

static bool dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int spawn_supervisor(const struct sup_config *cfg, char **ret_line);

/* Connects to NAME's supervisor. If the supervisor died but QEMU lives on, a new one is
 * started in re-attach mode first (DESIGN.md: the VM survives its supervisor). */
static int ctl_open(const char *name, struct sup_paths *p, bool quiet)
{
    struct ql_error err = QL_ERROR_INIT;
    if (sup_paths_init(p, opt_base, name, &err) < 0) {
        if (!quiet)
            fail("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return -EINVAL;
    }
    if (!dir_exists(p->dir)) {
        if (!quiet)
            fail("domain '%s' is not running", name);
        return -ENOENT;
    }
    int fd = ctl_connect(p);
    if (fd >= 0)
        return fd;
    struct sup_status st;
    if (sup_status_read(p->state, &st, &err) < 0) {
        ql_error_clear(&err);
        /* Still starting (no state yet) or a leftover directory. */
        if (!quiet)
            fail("domain '%s' is not reachable: its supervisor is not running and no "
                 "state was saved", name);
        return -ENOENT;
    }
    bool alive = sup_proc_matches(st.qemu_pid, st.qemu_start_time);
    if (!alive) {
        /* Both gone, nobody saw QEMU end: record it as libvirt would (shut off, crashed)
         * and clean the leftover directory. */
        st.state = SUP_STATE_SHUTOFF;
        st.reason = SUP_REASON_CRASHED;
        st.qemu_pid = 0;
        sup_status_write(p->last, &st, NULL);
    }
    sup_status_clear(&st);
    if (!alive) {
        sup_rundir_remove(p);
        if (!quiet)
            fail("domain '%s' is not running", name);
        return -ENOENT;
    }
    _cleanup_free_ char *xml = xasprintf("%s/domain.xml", p->dir);
    struct sup_config cfg = {.xml_path = xml, .base = opt_base, .log_dir = opt_log_dir,
                             .restart_cap = SUP_DEFAULT_RESTART_CAP,
                             .restart_window_s = SUP_DEFAULT_RESTART_WINDOW,
                             .reattach_name = name};
    _cleanup_free_ char *line = NULL;
    if (spawn_supervisor(&cfg, &line) < 0 || !line || strncmp(line, "OK", 2) != 0) {
        if (!quiet)
            fail("cannot re-attach to domain '%s': %s", name,
                 line && strlen(line) > 4 ? line + 4 : "the supervisor did not start");
        return -EIO;
    }
    fd = ctl_connect(p);
    if (fd < 0 && !quiet)
        fail("cannot reach the supervisor of '%s': %s", name, strerror(-fd));
    return fd;
}

/* One request/reply exchange. Returns the reply object or NULL (message printed). */
static json_object *ctl_call(const char *name, json_object *req, int timeout_ms)
{
    struct sup_paths p;
    int fd = ctl_open(name, &p, false);
    sup_paths_free(&p);
    if (fd < 0) {
        json_object_put(req);
        return NULL;
    }
    const char *t = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, t);
    sb_addc(&sb, '\n');
    ssize_t w = send(fd, sb.s, sb.len, MSG_NOSIGNAL);
    sb_free(&sb);
    json_object_put(req);
    if (w < 0) {
        close(fd);
        fail("cannot talk to the supervisor of '%s': %s", name, strerror(errno));
        return NULL;
    }
    _cleanup_free_ char *line = read_line(fd, timeout_ms);
    close(fd);
    if (!line) {
        fail("no answer from the supervisor of '%s'", name);
        return NULL;
    }
    json_object *rep = json_tokener_parse(line);
    if (!rep) {
        fail("invalid answer from the supervisor of '%s'", name);
        return NULL;
    }
    json_object *ok;
    if (!json_object_object_get_ex(rep, "ok", &ok) || !json_object_get_boolean(ok)) {
        json_object *e;
        fail("%s", json_object_object_get_ex(rep, "error", &e) ? json_object_get_string(e)
                                                               : "request failed");
        json_object_put(rep);
        return NULL;
    }
    return rep;
}

static json_object *simple_req(const char *cmd)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cmd", json_object_new_string(cmd));
    return o;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

/* The state file of a running domain, after making sure its supervisor is there (a dead one
 * is replaced first, see ctl_open). Prints why on failure. */
static int live_status(const char *name, struct sup_status *ret)
{
    struct sup_paths p;
    struct ql_error err = QL_ERROR_INIT;
    int cfd = ctl_open(name, &p, false);
    if (cfd < 0) {
        sup_paths_free(&p);
        return -1;
    }
    close(cfd);
    int r = sup_status_read(p.state, ret, &err);
    sup_paths_free(&p);
    if (r < 0) {
        fail("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return -1;
    }
    return 0;
}

/* ---- create ---- */

/* Double fork: the supervisor ends up in its own session, reparented to init; the
 * caller reads its readiness line from a pipe. */
static int spawn_supervisor(const struct sup_config *cfg_in, char **ret_line)
{
    int pfd[2];
    *ret_line = NULL;
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -errno;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -errno;
    }
    if (pid == 0) {
        close(pfd[0]);
        setsid();
        pid_t p2 = fork();
        if (p2 != 0)
            _exit(p2 < 0 ? 1 : 0);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
            if (devnull > 2)
                close(devnull);
        }
        if (chdir("/") < 0)
            _exit(1);
        struct sup_config cfg = *cfg_in;
        cfg.ready_fd = pfd[1];
        cfg.foreground = false;
        _exit(sup_main(&cfg));
    }
    close(pfd[1]);
    waitpid(pid, NULL, 0);
    /* Starting includes QEMU's own start and QMP negotiation: allow plenty under load. */
    *ret_line = read_line(pfd[0], 120000);
    close(pfd[0]);
    return 0;
}

static int console_attach(const char *name);

int cmd_create(int argc, char **argv)
{
    struct opts o;
    const char *usage = "create [--foreground] [--console] [--accel tcg|kvm] [--emulator PATH] "
                        "[--run-dir DIR] [--log-dir DIR] [--dump-dir DIR] [--restart-cap N] "
                        "[--restart-window S] [--qmp-log] FILE";
    int i = parse_opts(argc, argv, &o, usage);
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("create needs exactly one domain XML file (see 'qlaunch create --help')");
    char xml[PATH_MAX];
    if (!realpath(argv[i], xml))
        return fail("cannot open '%s': %s", argv[i], strerror(errno));
    /* Parse here too, so that bad XML is reported with every problem, not just one. */
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_file(xml, &d, &g) < 0) {
        print_diags(stderr, argv[i], &g);
        dom_diags_free(&g);
        return 1;
    }
    _cleanup_free_ char *name = xstrdup(d->name);
    domain_free(d);
    dom_diags_free(&g);
    /* A run directory whose supervisor and QEMU are both gone (both SIGKILLed, say) is
     * stale: ctl_open removes it. A live one means the domain runs already. */
    struct sup_paths sp;
    int live = ctl_open(name, &sp, true);
    sup_paths_free(&sp);
    if (live >= 0) {
        close(live);
        return fail("domain '%s' is already running", name);
    }
    struct sup_config cfg = {.xml_path = xml, .base = opt_base, .log_dir = opt_log_dir,
                             .dump_dir = o.dump_dir, .accel = o.accel, .emulator = o.emulator,
                             .restart_cap = o.restart_cap, .restart_window_s = o.restart_window,
                             .ready_fd = -1, .foreground = o.foreground, .qmp_log = o.qmp_log};
    if (o.foreground) {
        if (o.console)
            return fail("--console cannot be combined with --foreground; run 'qlaunch console "
                        "%s' from another terminal", name);
        return sup_main(&cfg);
    }
    _cleanup_free_ char *line = NULL;
    int r = spawn_supervisor(&cfg, &line);
    if (r < 0)
        return fail("cannot start the supervisor: %s", strerror(-r));
    if (!line)
        return fail("the supervisor of '%s' exited without reporting (see %s/%s.log)", name,
                    sup_log_dir(opt_log_dir), name);
    if (strncmp(line, "ERR ", 4) == 0)
        return fail("%s", line + 4);
    printf("Domain '%s' created from %s (QEMU pid %s)\n", name, argv[i], line + 3);
    fflush(stdout);
    if (o.console)
        return console_attach(name);
    return 0;
}

/* ---- reporting verbs ---- */

/* Status of one domain: live from its supervisor, or the saved outcome of its last run. */
static json_object *domain_status(const char *name, bool allow_last)
{
    struct sup_paths p;
    int fd = ctl_open(name, &p, true);
    json_object *st = NULL;
    if (fd >= 0) {
        const char req[] = "{\"cmd\":\"status\"}\n";
        if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0) {
            _cleanup_free_ char *line = read_line(fd, 10000);
            if (line)
                st = json_tokener_parse(line);
        }
        close(fd);
    }
    if (!st && allow_last && p.last) {
        struct sup_status s;
        struct ql_error err = QL_ERROR_INIT;
        if (sup_status_read(p.last, &s, &err) == 0) {
            st = json_object_new_object();
            json_object_object_add(st, "name", json_object_new_string(s.name));
            json_object_object_add(st, "uuid", json_object_new_string(s.uuid));
            json_object_object_add(st, "state", json_object_new_string("shutoff"));
            json_object_object_add(st, "reason",
                                   json_object_new_string(sup_reason_to_string(s.reason)));
            json_object_object_add(st, "final_state",
                                   json_object_new_string(sup_state_to_id(s.state)));
            json_object_object_add(st, "qemu_pid", json_object_new_int(0));
            json_object_object_add(st, "boots", json_object_new_int64(s.boots));
            json_object_object_add(st, "restarts", json_object_new_int64(s.restarts));
            sup_status_clear(&s);
        }
        ql_error_clear(&err);
    }
    sup_paths_free(&p);
    return st;
}

/* virsh prints the state of a domain whose last run ended badly as "crashed" only while
 * it is kept; for a finished run the final state recorded by the supervisor is shown. */
static const char *shown_state(json_object *st)
{
    json_object *v;
    if (json_object_object_get_ex(st, "final_state", &v))
        return json_object_get_string(v);
    return jstr(st, "state");
}

static const char *human_state(const char *id)
{
    int s = sup_state_from_id(id);
    return s < 0 ? id : sup_state_to_string(s);
}

int cmd_list(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "list [--all] [--json] [--run-dir DIR]");
    if (i < 0)
        return 1;
    char **names;
    size_t n;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_list_names(opt_base, &names, &n, &err) < 0) {
        fail("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return 1;
    }
    json_object *arr = json_object_new_array();
    if (!o.json) {
        printf(" %-8s %-24s %s\n", "Pid", "Name", "State");
        puts("----------------------------------------------------");
    }
    for (size_t k = 0; k < n; k++) {
        json_object *st = domain_status(names[k], o.all);
        if (!st)
            continue;
        bool active = jint(st, "qemu_pid") > 0;
        if (!active && !o.all) {
            json_object_put(st);
            continue;
        }
        if (o.json) {
            json_object_array_add(arr, st);
            continue;
        }
        if (active)
            printf(" %-8lld %-24s %s\n", (long long)jint(st, "qemu_pid"), names[k],
                   human_state(shown_state(st)));
        else
            printf(" %-8s %-24s %s\n", "-", names[k], human_state(shown_state(st)));
        json_object_put(st);
    }
    if (o.json)
        puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
    json_object_put(arr);
    sup_free_names(names, n);
    return 0;
}

int cmd_domstate(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "domstate [--reason] [--json] NAME");
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("domstate needs a domain name");
    json_object *st = domain_status(argv[i], true);
    if (!st)
        return fail("domain '%s' not found", argv[i]);
    if (o.json)
        puts(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY));
    else if (o.reason)
        printf("%s (%s)\n", human_state(shown_state(st)), jstr(st, "reason"));
    else
        printf("%s\n", human_state(shown_state(st)));
    json_object_put(st);
    return 0;
}

int cmd_dominfo(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "dominfo [--json] NAME");
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("dominfo needs a domain name");
    const char *name = argv[i];
    json_object *st = domain_status(name, true);
    if (!st)
        return fail("domain '%s' not found", name);
    struct sup_paths p;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_paths_init(&p, opt_base, name, &err) < 0) {
        json_object_put(st);
        fail("%s", ql_error_msg(&err));
        ql_error_clear(&err);
        return 1;
    }
    /* Memory and vCPUs come from the XML the domain was started from. */
    _cleanup_free_ char *xml = xasprintf("%s/domain.xml", p.dir);
    struct dom_diags g = {0};
    struct domain *d = NULL;
    if (dom_parse_file(xml, &d, &g) == 0) {
        json_object_object_add(st, "max_memory_kib", json_object_new_int64((int64_t)d->memory_kib));
        json_object_object_add(st, "used_memory_kib",
                               json_object_new_int64((int64_t)(d->current_memory_kib
                                                                   ? d->current_memory_kib
                                                                   : d->memory_kib)));
        json_object_object_add(st, "vcpus", json_object_new_int64(dom_vcpus_online(d)));
        json_object_object_add(st, "on_poweroff",
                               json_object_new_string(dom_lifecycle_to_string(dom_on_poweroff(d))));
        json_object_object_add(st, "on_reboot",
                               json_object_new_string(dom_lifecycle_to_string(dom_on_reboot(d))));
        json_object_object_add(st, "on_crash",
                               json_object_new_string(dom_lifecycle_to_string(dom_on_crash(d))));
    }
    domain_free(d);
    dom_diags_free(&g);
    struct sup_status s;
    if (sup_status_read(p.state, &s, &err) == 0) {
        if (s.console_pty)
            json_object_object_add(st, "console", json_object_new_string(s.console_pty));
        if (s.qemu_version)
            json_object_object_add(st, "qemu_version", json_object_new_string(s.qemu_version));
        if (s.n_displays) {
            json_object *a = json_object_new_array();
            for (size_t k = 0; k < s.n_displays; k++) {
                const struct sup_display *dp = &s.displays[k];
                json_object *gr = json_object_new_object();
                json_object_object_add(gr, "type", json_object_new_string(dp->type));
                if (dp->host)
                    json_object_object_add(gr, dp->unix_socket ? "socket" : "host",
                                           json_object_new_string(dp->host));
                if (!dp->unix_socket)
                    json_object_object_add(gr, "port", json_object_new_int(dp->port));
                if (dp->tls_port > 0)
                    json_object_object_add(gr, "tls_port", json_object_new_int(dp->tls_port));
                _cleanup_free_ char *uri = sup_display_uri(dp);
                if (uri)
                    json_object_object_add(gr, "uri", json_object_new_string(uri));
                json_object_array_add(a, gr);
            }
            json_object_object_add(st, "displays", a);
        }
        sup_status_clear(&s);
    }
    ql_error_clear(&err);
    json_object_object_add(st, "run_dir", json_object_new_string(p.dir));
    _cleanup_free_ char *log = xasprintf("%s/%s.log", sup_log_dir(opt_log_dir), name);
    json_object_object_add(st, "log", json_object_new_string(log));
    sup_paths_free(&p);
    if (o.json) {
        puts(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
    } else {
        printf("%-16s %s\n", "Name:", jstr(st, "name"));
        printf("%-16s %s\n", "UUID:", jstr(st, "uuid"));
        printf("%-16s %s\n", "State:", human_state(shown_state(st)));
        printf("%-16s %s\n", "Reason:", jstr(st, "reason"));
        if (jint(st, "qemu_pid"))
            printf("%-16s %lld\n", "QEMU pid:", (long long)jint(st, "qemu_pid"));
        printf("%-16s %lld\n", "CPU(s):", (long long)jint(st, "vcpus"));
        printf("%-16s %lld KiB\n", "Max memory:", (long long)jint(st, "max_memory_kib"));
        printf("%-16s %lld KiB\n", "Used memory:", (long long)jint(st, "used_memory_kib"));
        printf("%-16s %lld\n", "Boots:", (long long)jint(st, "boots"));
        printf("%-16s %lld\n", "Restarts:", (long long)jint(st, "restarts"));
        printf("%-16s %s / %s / %s\n", "Lifecycle:", jstr(st, "on_poweroff"),
               jstr(st, "on_reboot"), jstr(st, "on_crash"));
        if (*jstr(st, "console"))
            printf("%-16s %s\n", "Console:", jstr(st, "console"));
        if (*jstr(st, "qemu_version"))
            printf("%-16s %s\n", "QEMU version:", jstr(st, "qemu_version"));
        json_object *a;
        if (json_object_object_get_ex(st, "displays", &a)) {
            for (size_t k = 0; k < json_object_array_length(a); k++) {
                json_object *gr = json_object_array_get_idx(a, k);
                _cleanup_free_ char *label = xasprintf("%s:", strcmp(jstr(gr, "type"), "spice")
                                                                  ? "VNC" : "SPICE");
                if (*jstr(gr, "socket"))
                    printf("%-16s unix socket %s\n", label, jstr(gr, "socket"));
                else if (jint(gr, "tls_port") > 0)
                    printf("%-16s %s port %lld, TLS port %lld\n", label, jstr(gr, "host"),
                           (long long)jint(gr, "port"), (long long)jint(gr, "tls_port"));
                else
                    printf("%-16s %s port %lld\n", label, jstr(gr, "host"),
                           (long long)jint(gr, "port"));
            }
        }
        printf("%-16s %s\n", "Log:", jstr(st, "log"));
    }
    json_object_put(st);
    return 0;
}

/* virsh domdisplay: the URI of the domain's graphics (VNC first, then SPICE, as virsh
 * looks for them); --all: every one. Passwords are never shown. */
int cmd_domdisplay(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "domdisplay [--all] [--run-dir DIR] NAME");
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("domdisplay needs a domain name");
    const char *name = argv[i];
    struct sup_status st;
    if (live_status(name, &st) < 0)
        return 1;
    int printed = 0;
    static const char *const order[] = {"vnc", "spice"};
    for (size_t t = 0; t < 2 && (o.all || !printed); t++) {
        for (size_t k = 0; k < st.n_displays && (o.all || !printed); k++) {
            if (strcmp(st.displays[k].type, order[t]) != 0)
                continue;
            _cleanup_free_ char *uri = sup_display_uri(&st.displays[k]);
            if (uri) {
                puts(uri);
                printed++;
            }
        }
    }
    sup_status_clear(&st);
    if (!printed)
        return fail("domain '%s' has no graphical display", name);
    return 0;
}

/* ---- action verbs ---- */

static bool wait_gone(const char *name, int timeout_ms)
{
    struct sup_paths p;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_paths_init(&p, opt_base, name, &err) < 0) {
        ql_error_clear(&err);
        return false;
    }
    int64_t deadline = mono_ms() + timeout_ms;
    bool gone = false;
    while (!(gone = !dir_exists(p.dir)) && mono_ms() < deadline)
        usleep(50000);
    sup_paths_free(&p);
    return gone;
}

static int simple_verb(int argc, char **argv, const char *cmd, const char *usage,
                       const char *done)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, usage);
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("%s needs a domain name", argv[0]);
    const char *name = argv[i];
    json_object *req = simple_req(cmd);
    if (strcmp(cmd, "destroy") == 0 && o.graceful)
        json_object_object_add(req, "graceful", json_object_new_boolean(1));
    int timeout = strcmp(cmd, "destroy") == 0 ? SUP_DESTROY_GRACE_MS + 30000 : 30000;
    json_object *rep = ctl_call(name, req, timeout);
    if (!rep)
        return 1;
    json_object_put(rep);
    if (strcmp(cmd, "destroy") == 0)
        wait_gone(name, 10000);
    if (strcmp(cmd, "shutdown") == 0 && o.timeout_s >= 0) {
        /* ACPI shutdown with a deadline: destroy when the guest ignores the button. */
        if (!wait_gone(name, o.timeout_s * 1000)) {
            fprintf(stderr, "qlaunch: domain '%s' did not shut down within %d s; destroying it\n",
                    name, o.timeout_s);
            json_object *r2 = ctl_call(name, simple_req("destroy"), SUP_DESTROY_GRACE_MS + 30000);
            if (!r2)
                return wait_gone(name, 1000) ? 0 : 1;
            json_object_put(r2);
            wait_gone(name, 10000);
            printf("Domain '%s' destroyed\n", name);
            return 0;
        }
        printf("Domain '%s' is shut off\n", name);
        return 0;
    }
    printf("Domain '%s' %s\n", name, done);
    return 0;
}

int cmd_shutdown(int argc, char **argv)
{
    return simple_verb(argc, argv, "shutdown", "shutdown [--timeout S] NAME",
                       "is being shutdown");
}

int cmd_reboot(int argc, char **argv)
{
    return simple_verb(argc, argv, "reboot", "reboot NAME", "is being rebooted");
}

int cmd_destroy(int argc, char **argv)
{
    return simple_verb(argc, argv, "destroy", "destroy [--graceful] NAME",
                       "destroyed");
}

int cmd_suspend(int argc, char **argv)
{
    return simple_verb(argc, argv, "suspend", "suspend NAME", "suspended");
}

int cmd_resume(int argc, char **argv)
{
    return simple_verb(argc, argv, "resume", "resume NAME", "resumed");
}

int cmd_qmp(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "qmp NAME JSON");
    if (i < 0)
        return 1;
    if (i != argc - 2)
        return fail("qmp needs a domain name and a JSON command such as "
                    "'{\"execute\":\"query-status\"}'");
    json_object *req = simple_req("qmp");
    json_object_object_add(req, "json", json_object_new_string(argv[i + 1]));
    json_object *rep = ctl_call(argv[i], req, 60000);
    if (!rep)
        return 1;
    json_object *r;
    int ret = 0;
    if (json_object_object_get_ex(rep, "reply", &r)) {
        puts(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object *e;
        if (json_object_object_get_ex(r, "error", &e))
            ret = 1;
    }
    json_object_put(rep);
    return ret;
}

int cmd_events(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "events [--timeout S] [--count N] NAME");
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("events needs a domain name");
    struct sup_paths p;
    int fd = ctl_open(argv[i], &p, false);
    sup_paths_free(&p);
    if (fd < 0)
        return 1;
    const char req[] = "{\"cmd\":\"events\"}\n";
    if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
        close(fd);
        return fail("cannot subscribe to events: %s", strerror(errno));
    }
    _cleanup_free_ char *ack = read_line(fd, 10000);
    if (!ack) {
        close(fd);
        return fail("no answer from the supervisor of '%s'", argv[i]);
    }
    int64_t deadline = o.timeout_s >= 0 ? mono_ms() + o.timeout_s * 1000LL : -1;
    long seen = 0;
    for (;;) {
        int left = deadline < 0 ? -1 : (int)(deadline - mono_ms());
        if (deadline >= 0 && left <= 0)
            break;
        char *line = read_line(fd, left);
        if (!line)
            break;
        puts(line);
        fflush(stdout);
        free(line);
        if (o.count > 0 && ++seen >= o.count)
            break;
    }
    close(fd);
    return 0;
}

/* ---- console ---- */

static int console_attach(const char *name)
{
    struct sup_status st;
    if (live_status(name, &st) < 0)
        return 1;
    if (!st.console_pty) {
        sup_status_clear(&st);
        return fail("domain '%s' has no serial console on a pty (add <serial type='pty'>)",
                    name);
    }
    int fd = open(st.console_pty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        fail("cannot open the console '%s': %s", st.console_pty, strerror(e));
        sup_status_clear(&st);
        return 1;
    }
    struct termios pt;
    if (tcgetattr(fd, &pt) == 0) {
        cfmakeraw(&pt);
        tcsetattr(fd, TCSANOW, &pt);
    }
    fprintf(stderr, "Connected to domain '%s' (%s)\nEscape character is ^]\n", name,
            st.console_pty);
    sup_status_clear(&st);
    bool tty = isatty(0);
    struct termios saved, raw;
    if (tty && tcgetattr(0, &saved) == 0) {
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
    }
    char buf[4096];
    bool in_open = true;
    for (;;) {
        struct pollfd pfd[2] = {{fd, POLLIN, 0}, {0, in_open ? POLLIN : 0, 0}};
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                break;   /* the pty closed: QEMU is gone */
            if (write(1, buf, (size_t)n) < 0)
                break;
        }
        if (pfd[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, buf, sizeof(buf));
            if (n <= 0) {
                in_open = false;
                continue;
            }
            char *esc = memchr(buf, 0x1d, (size_t)n);   /* Ctrl-] */
            if (esc) {
                if (esc > buf && write(fd, buf, (size_t)(esc - buf)) < 0)
                    break;
                break;
            }
            if (write(fd, buf, (size_t)n) < 0)
                break;
        }
    }
    if (tty)
        tcsetattr(0, TCSANOW, &saved);
    close(fd);
    fputc('\n', stderr);
    return 0;
}

int cmd_console(int argc, char **argv)
{
    struct opts o;
    int i = parse_opts(argc, argv, &o, "console NAME");
    if (i < 0)
        return 1;
    if (i != argc - 1)
        return fail("console needs a domain name");
    return console_attach(argv[i]);
}
