/* The supervisor's side of QEMU's process: host preparation before the spawn, the spawn
 * itself (QEMU's identity is recorded before it may exec), signals and its exit. */
#include "config.h"
#include "host/firmware.h"
#include "host/ports.h"
#include "supervise/helpers.h"
#include "supervise/probe.h"
#include "domain/parse.h"
#include "supervise/sup-priv.h"
#include "util/cleanup.h"
#include "host/numa.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool sup_qemu_alive(struct sup *s)
{
    return s->qemu_pid > 0 && kill(s->qemu_pid, 0) == 0 &&
           (!s->st.qemu_start_time || sup_proc_matches(s->qemu_pid, s->st.qemu_start_time));
}

void sup_qemu_signal(struct sup *s, int sig)
{
    if (!sup_qemu_alive(s))
        return;
    sup_log(s, "sending %s to QEMU pid %ld", sig == SIGKILL ? "SIGKILL" : "SIGTERM",
            (long)s->qemu_pid);
    kill(s->qemu_pid, sig);
}

/* A QEMU stopped with SIGSTOP holds SIGTERM until it is continued: a destroy (but not
 * destroy --graceful, which must not force anything) continues it so it exits now. */
void sup_qemu_terminate(struct sup *s)
{
    sup_qemu_signal(s, SIGTERM);
    if (sup_qemu_alive(s))
        kill(s->qemu_pid, SIGCONT);
}

int sup_bind_unix(const char *path, int backlog, struct ql_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return ql_error_set(err, ENAMETOOLONG, "socket path '%s' is too long", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ql_error_set(err, errno, "cannot create a socket: %s", strerror(errno));
    unlink(path);
    mode_t old = umask(0077);
    int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return ql_error_set(err, e, "cannot listen on '%s': %s", path, strerror(e));
    }
    return fd;
}

/* ---- graphics ports ---- */

void sup_release_ports_lock(struct sup *s)
{
    if (s->ports_lock_fd >= 0)
        close(s->ports_lock_fd);     /* drops the flock */
    s->ports_lock_fd = -1;
}

/* Ports the other running domains under the same base recorded in their state files. */
static void ports_of_others(struct sup *s, int **ret, size_t *ret_n)
{
    char **names = NULL;
    size_t n = 0;
    *ret = NULL;
    *ret_n = 0;
    if (sup_list_names(s->cfg->base, &names, &n, NULL) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], s->dom->name) == 0)
            continue;
        struct sup_paths p;
        struct sup_status st;
        if (sup_paths_init(&p, s->cfg->base, names[i], NULL) < 0)
            continue;
        if (sup_status_read(p.state, &st, NULL) == 0) {
            for (size_t k = 0; k < st.n_displays; k++) {
                int ports[2] = {st.displays[k].port, st.displays[k].tls_port};
                for (int j = 0; j < 2; j++) {
                    if (ports[j] <= 0)
                        continue;
                    *ret = xrealloc(*ret, (*ret_n + 1) * sizeof(**ret));
                    (*ret)[(*ret_n)++] = ports[j];
                }
            }
            sup_status_clear(&st);
        }
        sup_paths_free(&p);
    }
    sup_free_names(names, n);
}

/* SPICE autoport: QEMU cannot choose a SPICE port, so the supervisor picks the first free
 * one from 5900 on the listen address (libvirt: qemuProcessSPICEAllocatePorts) and hands it
 * to the builder. qlaunch's own domains must not pick the same port twice: every start
 * with an autoport display (SPICE, or VNC whose to=99 search QEMU does itself) holds
 * BASE/.graphics-ports.lock until QEMU is up (its listeners are bound before the QMP
 * greeting), and ports recorded in the other domains' state files are skipped. A process
 * outside qlaunch can still take the port between the test and QEMU's bind: QEMU then
 * fails with "Address already in use" and the start fails.
 * Which displays need this is known before the build (qb_graphics_autoport): one build. */
static int pick_graphics_ports(struct sup *s, struct qb_options *o, struct ql_error *err)
{
    const char *spice_host;
    size_t gi;
    if (!qb_graphics_autoport(s->dom, o, &spice_host, &gi))
        return 0;
    _cleanup_free_ char *lock = xasprintf("%s/.graphics-ports.lock", sup_base_dir(s->cfg->base));
    s->ports_lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->ports_lock_fd < 0)
        return ql_error_errno(err, errno, "cannot open '%s'", lock);
    while (flock(s->ports_lock_fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return ql_error_errno(err, errno, "cannot lock '%s'", lock);
    if (!spice_host)
        return 0;
    _cleanup_free_ int *avoid = NULL;
    size_t n_avoid = 0;
    ports_of_others(s, &avoid, &n_avoid);
    const char *path = s->dom->dev.graphics[gi].src.path;
    int port = host_tcp_port_pick(spice_host, HOST_GFX_PORT_MIN, HOST_GFX_PORT_MAX, avoid,
                                  n_avoid, err);
    if (port < 0) {
        ql_error_prefix(err, "%s: SPICE autoport", path ? path : "devices/graphics");
        return port;
    }
    o->spice_port = port;
    sup_log(s, "SPICE autoport: port %d on %s", port, spice_host);
    return 0;
}

/* A directory QEMU must reach (NVRAM, dumps) that qlaunch made 0700: root's, searchable
 * by QEMU's user now (0711: it may open files it is given, not list the others). */
void sup_dir_searchable(const struct sup *s, const char *dir)
{
    struct stat st;
    if (s->st.qemu_uid && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_mode & 0777) == 0700)
        chmod(dir, 0711);
}

/* The NVRAM file of a pflash loader must exist before QEMU opens it: created from its
 * template once, then kept (it holds the guest's boot entries and keys) across runs. */
static int prepare_nvram(struct sup *s, const char *nvram_dir, struct ql_error *err)
{
    const char *path = s->build.nvram_path;
    if (!path)
        return 0;
    size_t dl = strlen(nvram_dir);
    if (strncmp(path, nvram_dir, dl) == 0 && path[dl] == '/' && !strchr(path + dl + 1, '/')) {
        int r = sup_private_dir(nvram_dir, "NVRAM", "QLAUNCH_NVRAM_DIR", err);
        if (r < 0)
            return r;
        sup_dir_searchable(s, nvram_dir);
        /* QEMU opens it and follows links: in our directory it is a file of ours. */
        struct stat st;
        if (lstat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_uid != geteuid()))
            return ql_error_set(err, EPERM, "the NVRAM file '%s' is not a regular file of "
                                "this user; remove it", path);
    }
    bool created = false;
    int r = host_nvram_prepare(path, s->build.nvram_template, &created, err);
    if (r < 0)
        return r;
    if (created)
        sup_log(s, "NVRAM %s created from %s", path, s->build.nvram_template);
    return 0;
}

/* QEMU runs as another user: its own directory for what it creates (RUNDIR/qemu, the run
 * directory itself becomes searchable, 0711, its files stay private), and every file the
 * domain names checked with QEMU's credentials; the ones QEMU cannot open are recorded in
 * the state, then given to its user (host/dac.h). */
static int prepare_dac(struct sup *s, const char *qemu_dir, struct ql_error *err)
{
    if (!s->dac.drop)
        return 0;
    if (mkdir(qemu_dir, 0700) < 0 && errno != EEXIST)
        return ql_error_errno(err, errno, "cannot create '%s'", qemu_dir);
    if (chown(qemu_dir, s->dac.uid, s->dac.gid) < 0 || chmod(s->paths.dir, 0711) < 0)
        return ql_error_errno(err, errno, "cannot give '%s' to user '%s'", qemu_dir,
                              s->dac.user);
    _cleanup_free_ struct host_dac_file *files = NULL;
    size_t n = host_dac_files(s->dom, s->build.nvram_path, &files);
    _cleanup_free_ size_t *which = xcalloc(n ? n : 1, sizeof(size_t));
    s->st.grants = xcalloc(n ? n : 1, sizeof(*s->st.grants));
    for (size_t i = 0; i < n; i++) {
        struct host_dac_grant g;
        int r = host_dac_check_file(&s->dac, &files[i], &g, err);
        if (r < 0)
            return r;
        if (!g.path)
            continue;
        bool dup = false;
        for (size_t k = 0; k < s->st.n_grants; k++)
            dup = dup || STREQ(s->st.grants[k].path, g.path);
        if (dup) {
            host_dac_grant_clear(&g);
            continue;
        }
        which[s->st.n_grants] = i;
        s->st.grants[s->st.n_grants++] = g;
    }
    if (!s->st.n_grants)
        return 0;
    sup_write_state(s);     /* what is about to change, before it does */
    for (size_t k = 0; k < s->st.n_grants; k++) {
        int r = host_dac_grant_apply(&s->dac, &files[which[k]], &s->st.grants[k], err);
        if (r < 0)
            return r;
        sup_log(s, "gave '%s' to user '%s' (owner %ld:%ld restored at the end)",
                s->st.grants[k].path, s->dac.user, (long)s->st.grants[k].uid,
                (long)s->st.grants[k].gid);
    }
    return 0;
}

int sup_dac_grant(struct sup *s, const struct host_dac_file *f, struct ql_error *err)
{
    struct host_dac_grant g = {0};
    int r = host_dac_check_file(&s->dac, f, &g, err);
    if (r < 0 || !g.path)
        return r;
    for (size_t k = 0; k < s->st.n_grants; k++)
        if (strcmp(s->st.grants[k].path, g.path) == 0) {
            host_dac_grant_clear(&g);
            return host_dac_grant_apply(&s->dac, f, &s->st.grants[k], err);
        }
    s->st.grants = xrealloc(s->st.grants, (s->st.n_grants + 1) * sizeof(*s->st.grants));
    s->st.grants[s->st.n_grants++] = g;
    sup_write_state(s);
    return host_dac_grant_apply(&s->dac, f, &g, err);
}

void sup_dac_restore(struct sup *s)
{
    for (size_t k = 0; k < s->st.n_grants; k++)
        host_dac_restore(&s->st.grants[k], s->st.qemu_uid);
}

/* Everything the host must provide before QEMU can start: the build with the host's facts
 * (listen addresses, firmware, autoport), NVRAM, huge pages, the emulator, NICs. */
int sup_prepare_host(struct sup *s, struct ql_error *err)
{
    _cleanup_(sup_build_prep_free) struct sup_build_prep prep;
    int r = sup_build_prepare(s->dom, s->cfg->base, s->cfg->accel, s->cfg->emulator, 0, &prep,
                              err);
    if (r < 0)
        return r;
    sup_trace(s, "prepared");
    if (prep.fw.resolved && prep.fw.descriptor)
        sup_log(s, "firmware='efi': %s from %s", prep.fw.loader, prep.fw.descriptor);
    s->dac = prep.dac;      /* moved: prep no longer owns it */
    memset(&prep.dac, 0, sizeof(prep.dac));
    if (s->dac.drop) {
        host_dac_load_groups(&s->dac);
        s->st.qemu_uid = s->dac.uid;
        s->st.qemu_gid = s->dac.gid;
    }
    if ((r = pick_graphics_ports(s, &prep.o, err)) < 0)
        return r;
    if ((r = qb_build(s->dom, &prep.o, &s->build, err)) < 0)
        return r;
    sup_trace(s, "build");
    if (s->build.passthrough)
        sup_log(s, "warning: %s", s->build.passthrough);
    if ((r = prepare_nvram(s, prep.o.nvram_dir, err)) < 0)
        return r;
    if ((r = prepare_dac(s, prep.qemu_dir, err)) < 0)
        return r;
    const struct dom_mem_backing *mb = &s->dom->mem_backing;
    struct statfs sfs;
    /* Huge pages from a file need a hugetlbfs mount; say so rather than let QEMU fail. */
    if (mb->hugepages && mb->source != DOM_MEM_SOURCE_MEMFD &&
        (statfs("/dev/hugepages", &sfs) < 0 || sfs.f_type != 0x958458f6 /* HUGETLBFS_MAGIC */))
        return ql_error_set_at(err, ENOENT, "memoryBacking/hugepages",
                               s->dom->mem_backing.src.line,
                               "/dev/hugepages is not a hugetlbfs mount on this host (mount -t "
                               "hugetlbfs hugetlbfs /dev/hugepages, and reserve pages with "
                               "sysctl vm.nr_hugepages), or use <source type='memfd'/>");
    const char *emu = s->build.argv.v[0];
    if (access(emu, X_OK) < 0)
        return ql_error_set_at(err, ENOENT, "devices/emulator",
                               s->dom->dev.emulator && STREQ(emu, s->dom->dev.emulator)
                               ? s->dom->dev.emulator_line : 0,
                               "'%s' does not exist or is not executable on this host; install "
                               "QEMU (qemu-system-x86) or pass --emulator "
                               "/usr/bin/qemu-system-x86_64", emu);
    s->n_nics = s->dom->dev.n_interfaces;
    s->nics = xcalloc(s->n_nics ? s->n_nics : 1, sizeof(*s->nics));
    /* Recorded before any is set up: a supervisor killed half-way leaves a state that
     * names what may need undoing. */
    s->st.n_nics = s->n_nics;
    s->st.nic_taps = xcalloc(s->n_nics ? s->n_nics : 1, sizeof(char *));
    s->st.nic_ovs = xcalloc(s->n_nics ? s->n_nics : 1, sizeof(char *));
    for (size_t i = 0; i < s->n_nics; i++) {
        if ((r = host_nic_setup(s->dom, i, &s->nics[i], err)) < 0)
            return r;
        if (s->nics[i].tap_name)
            sup_log(s, "interface %zu: tap '%s'%s%s", i, s->nics[i].tap_name,
                    s->nics[i].bridge ? " on bridge " : "",
                    s->nics[i].bridge ? s->nics[i].bridge : "");
        s->st.nic_taps[i] = xstrdup(s->nics[i].tap_name);
        s->st.nic_ovs[i] = xstrdup(s->nics[i].ovs_bridge);
    }
    if ((r = sup_prepare_tpm(s, err)) < 0 || (r = sup_prepare_hostdevs(s, err)) < 0 ||
        (r = sup_prepare_virtiofs(s, err)) < 0)
        return r;
    sup_trace(s, "host-ready");
    return 0;
}

/* ---- spawn ---- */

/* Moves fds into place in the child: every map[i].src ends up as map[i].dst, inheritable;
 * everything else above the highest dst is closed. Async-signal-safe. */
struct fdmap {
    int src, dst;
};

#define MAX_FDMAP 64

static void child_setup_fds(const struct fdmap *map, size_t n, int log_fd)
{
    int tmp[MAX_FDMAP];
    int maxdst = 2;
    for (size_t i = 0; i < n; i++) {
        tmp[i] = fcntl(map[i].src, F_DUPFD, 200);
        if (map[i].dst > maxdst)
            maxdst = map[i].dst;
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    for (size_t i = 0; i < n; i++)
        dup2(tmp[i], map[i].dst);
    syscall(SYS_close_range, (unsigned)maxdst + 1, ~0U, 0);
}

/* The CPUs QEMU's process (and so every thread it creates) may use: <cputune><emulatorpin>,
 * else <vcpu cpuset>. vCPU threads are then pinned one by one once QEMU reports them. */
static bool process_mask(const struct domain *d, cpu_set_t *set)
{
    const char *cs = d->cputune.emulatorpin ? d->cputune.emulatorpin : d->vcpu_cpuset;
    return cs && dom_cpuset_to_mask(cs, set) == 0;
}

/* VFIO pins all guest memory for DMA: libvirt's limit (qemuDomainGetMemLockLimitBytes) is
 * the guest's memory plus 1 GiB for QEMU's own mappings. 0: no PCI <hostdev>. */
static struct rlimit vfio_memlock(const struct domain *d)
{
    struct rlimit l = {0, 0};
    for (size_t i = 0; i < d->dev.n_hostdevs; i++)
        if (d->dev.hostdevs[i].type == DOM_HOSTDEV_PCI) {
            unsigned long long kib = d->max_memory_kib > d->memory_kib ? d->max_memory_kib
                                                                      : d->memory_kib;
            l.rlim_cur = l.rlim_max = (rlim_t)(kib * 1024 + (1ULL << 30));
        }
    return l;
}

static int fill_fdmap(struct sup *s, int qmp_listen_fd, struct fdmap *map, size_t *ret_n,
                      struct ql_error *err)
{
    size_t n = 0;
    size_t used[MAX_FDMAP] = {0};
    for (size_t i = 0; i < s->build.n_fds; i++) {
        const struct qb_fd *f = &s->build.fds[i];
        if (n + 1 >= MAX_FDMAP)
            return ql_error_set(err, EMFILE, "too many file descriptors for QEMU (%zu)",
                                s->build.n_fds);
        switch (f->kind) {
        case QB_FD_QMP:
            map[n++] = (struct fdmap){qmp_listen_fd, f->fd};
            break;
        case QB_FD_TAP:
        case QB_FD_MACVTAP: {   /* host_nic_setup opened the macvtap's /dev/tapN fds */
            size_t k = f->dev_index;
            if (k >= s->n_nics || k >= MAX_FDMAP || used[k] >= s->nics[k].n_tap_fds)
                return ql_error_set(err, EINVAL, "internal error: no tap fd for %s", f->what);
            map[n++] = (struct fdmap){s->nics[k].tap_fds[used[k]++], f->fd};
            break;
        }
        case QB_FD_VHOST: {     /* one /dev/vhost-net per queue, opened here */
            size_t k = f->dev_index;
            if (k >= s->n_nics)
                return ql_error_set(err, EINVAL, "internal error: no NIC for %s", f->what);
            int fd = host_vhost_net_open(&s->nics[k], err);
            if (fd < 0)
                return fd;
            map[n++] = (struct fdmap){fd, f->fd};
            break;
        }
        case QB_FILE_NVRAM:     /* a file, created by prepare_nvram() before the spawn */
            break;
        default:
            return ql_error_set(err, ENOTSUP, "qlaunch cannot provide %s (%s) yet", f->what,
                                qb_fd_kind_to_string(f->kind));
        }
    }
    *ret_n = n;
    return 0;
}

/* QEMU's identity lock: RUNDIR/qemu.lock is flocked before the fork and the open file
 * description is inherited by QEMU, so the lock is held exactly as long as a QEMU started
 * for this run directory lives, whatever happens to the supervisor or the state file
 * (sup_probe finds it again). */
static int open_identity_lock(struct sup *s, struct ql_error *err)
{
    _cleanup_free_ char *path = sup_qemu_lock_path(&s->paths);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ql_error_set(err, errno, "cannot create '%s': %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        return ql_error_set(err, e == EWOULDBLOCK ? EBUSY : e,
                            "a QEMU of domain '%s' still holds '%s'", s->dom->name, path);
    }
    return fd;
}

/* QEMU's environment: the supervisor's with <qemu:env> set over it (built before the fork:
 * the child only execs). */
static char **qemu_environ(const struct qb_result *b)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **v = xcalloc(n + b->n_env + 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool replaced = false;
        for (size_t e = 0; e < b->n_env && !replaced; e++)
            replaced = strncmp(b->env[e], environ[i], nl) == 0 && b->env[e][nl] == '=';
        if (!replaced)
            v[k++] = environ[i];
    }
    for (size_t e = 0; e < b->n_env; e++)
        v[k++] = b->env[e];
    return v;
}

int sup_spawn_qemu(struct sup *s, int qmp_listen_fd, struct ql_error *err)
{
    struct fdmap map[MAX_FDMAP];
    size_t n = 0;
    int r = fill_fdmap(s, qmp_listen_fd, map, &n, err);
    if (r < 0)
        return r;
    _cleanup_close_ int idlock = open_identity_lock(s, err);
    if (idlock < 0)
        return idlock;
    int maxdst = SUP_QMP_FD_NUM;
    for (size_t i = 0; i < n; i++)
        if (map[i].dst > maxdst)
            maxdst = map[i].dst;
    map[n++] = (struct fdmap){idlock, maxdst + 1};
    if (s->incoming_fd >= 0) {      /* restore: the save file (-incoming defer, fd:N) */
        s->incoming_num = maxdst + 2;
        map[n++] = (struct fdmap){s->incoming_fd, s->incoming_num};
    }
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0)
        return ql_error_set(err, errno, "cannot create a pipe: %s", strerror(errno));
    cpu_set_t pmask;
    bool pin = process_mask(s->dom, &pmask);
    /* <numatune> without guest cells: libvirt restricts QEMU with cgroups' cpuset.mems;
     * qlaunch gives QEMU's process the memory policy before exec (inherited by its threads) */
    unsigned long nmask[HOST_NUMA_MAX_NODES / (8 * sizeof(long))];
    int nmode = 0;
    bool npol = host_numa_process_policy(s->dom, &nmode, nmask);
    struct rlimit vfio_lock = vfio_memlock(s->dom);
    _cleanup_free_ char **envp = qemu_environ(&s->build);
    sup_trace(s, "fork");
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(gate[0]);
        close(gate[1]);
        return ql_error_set(err, e, "cannot fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* Nothing runs before the supervisor has recorded this process: without the go
         * byte (the supervisor died) the child leaves without ever becoming QEMU. */
        char go;
        close(gate[1]);
        if (read(gate[0], &go, 1) != 1)
            _exit(127);
        setsid();
        /* <memoryBacking><locked/>: QEMU mlocks all guest memory (libvirt lifts the limit). */
        struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
        struct rlimit now;
        if (!s->dom->mem_backing.locked && vfio_lock.rlim_cur
            && getrlimit(RLIMIT_MEMLOCK, &now) == 0 && now.rlim_cur != RLIM_INFINITY
            && now.rlim_cur < vfio_lock.rlim_cur && setrlimit(RLIMIT_MEMLOCK, &vfio_lock) < 0) {
            /* No CAP_SYS_RESOURCE (a container): as much as the hard limit allows; QEMU
             * says so if the guest's memory cannot be pinned. */
            dprintf(s->log_fd, "qlaunch: cannot raise RLIMIT_MEMLOCK to %llu bytes for "
                    "VFIO (%s); QEMU keeps %llu\n", (unsigned long long)vfio_lock.rlim_cur,
                    strerror(errno), (unsigned long long)now.rlim_max);
            now.rlim_cur = now.rlim_max;
            setrlimit(RLIMIT_MEMLOCK, &now);
        }
        if (s->dom->mem_backing.locked && setrlimit(RLIMIT_MEMLOCK, &unlimited) < 0) {
            dprintf(s->log_fd, "qlaunch: cannot lift RLIMIT_MEMLOCK for <locked/>: %s\n",
                    strerror(errno));
            _exit(127);
        }
        if (npol && syscall(SYS_set_mempolicy, nmode, nmask, HOST_NUMA_MAX_NODES + 1) < 0) {
            dprintf(s->log_fd, "qlaunch: cannot set QEMU's NUMA memory policy for "
                    "<numatune>: %s\n", strerror(errno));
            _exit(127);
        }
        if (pin && sched_setaffinity(0, sizeof(pmask), &pmask) < 0) {
            dprintf(s->log_fd, "qlaunch: cannot set the CPU affinity of QEMU: %s\n",
                    strerror(errno));
            _exit(127);
        }
        /* Files QEMU creates (serial logs, sockets, dumps) are the owner's alone. */
        umask(0077);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        child_setup_fds(map, n, s->log_fd);
        /* Last: from here on nothing needs root (the fds are open, the taps set up). */
        int dr = host_dac_drop(&s->dac);
        if (dr < 0) {
            dprintf(2, "qlaunch: cannot run QEMU as user '%s': %s\n", s->dac.user,
                    strerror(-dr));
            _exit(127);
        }
        execve(s->build.argv.v[0], s->build.argv.v, envp);
        dprintf(2, "qlaunch: cannot execute '%s': %s\n", s->build.argv.v[0], strerror(errno));
        _exit(127);
    }
    close(gate[0]);
    s->qemu_pid = pid;
    s->qemu_is_child = true;
    s->st.qemu_pid = pid;
    s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* The start time tells this QEMU from a later process that reuses its pid; /proc has
     * it as soon as fork() returned. */
    s->st.qemu_start_time = sup_proc_start_time(pid);
    s->st.started_at = time(NULL);
    sup_write_state(s);
    sup_trace(s, "state-written");
    if (sup_gate_release(gate[1]) < 0)
        return ql_error_set(err, EIO, "cannot release QEMU's process: %s", strerror(errno));
    sup_trace(s, "exec");
    return 0;
}

/* Last "qemu-system-x86_64: ..." lines of the log since offset, as one sentence. */
char *sup_qemu_log_error(struct sup *s, off_t since)
{
    _cleanup_close_ int fd = open(s->log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end - since > 65536)
        since = end - 65536;
    if (lseek(fd, since, SEEK_SET) < 0)
        return NULL;
    char buf[65537];
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    if (r <= 0)
        return NULL;
    buf[r] = '\0';
    struct strbuf sb = STRBUF_INIT;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, " qlaunch[") || !*line || strncmp(line, "char device redirected", 22) == 0)
            continue;
        if (strstr(line, "warning:") && !strstr(line, "error"))
            continue;
        if (sb.len)
            sb_add(&sb, "; ");
        sb_add(&sb, line);
    }
    return sb.len ? sb_steal(&sb) : (sb_free(&sb), NULL);
}

/* QEMU's pidfd (or SIGCHLD, or a poll for a re-attached QEMU) says it may be gone. */
void sup_qemu_exited(struct sup *s)
{
    if (s->qemu_pid <= 0)
        return;
    if (s->qemu_is_child) {
        int status;
        if (waitpid(s->qemu_pid, &status, WNOHANG) != s->qemu_pid)
            return;   /* not gone yet */
        if (WIFSIGNALED(status))
            sup_log(s, "QEMU was killed by signal %d", WTERMSIG(status));
        else
            sup_log(s, "QEMU exited with status %d", WEXITSTATUS(status));
    } else if (sup_qemu_alive(s)) {
        return;
    }
    s->qemu_pid = 0;
    if (s->pidfd >= 0)
        close(s->pidfd);
    s->pidfd = -1;
    sup_agent_close(s);
    if (s->phase == PH_STARTING || s->phase == PH_REATTACHING || s->phase == PH_FAILED) {
        sup_start_qemu_gone(s);
        return;
    }
    sup_apply_policy(s, SUP_EV_QEMU_EXIT);
}
