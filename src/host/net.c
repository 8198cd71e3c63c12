/* Host side of guest NICs: see net.h for the contract and libvirt's behaviour we follow. */
#include "config.h"
#include "host/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "domain/network.h"
#include "domain/parse.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

/* Captured output of a helper program kept for the error message. */
#define RUN_OUTPUT_MAX 4096
#define MSG_OUTPUT_MAX 600
#define OVS_ID_MAX 256

/* ---------------------------------------------------------------------------------------- */
/* names */

int host_ifname_check(const char *name, const char *what, struct ql_error *err)
{
    if (!name || !*name)
        return ql_error_set(err, EINVAL, "%s is empty", what);
    size_t len = strlen(name);
    if (len > IFNAMSIZ - 1)
        return ql_error_set(err, EINVAL, "%s '%s' is longer than %d characters", what, name,
                            IFNAMSIZ - 1);
    if (STREQ(name, ".") || STREQ(name, ".."))
        return ql_error_set(err, EINVAL, "%s '%s' is not a valid interface name", what, name);
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == ':' || c == '%' || c <= ' ' || c == 0x7f)
            return ql_error_set(err, EINVAL, "%s '%s' contains a character not allowed in an "
                                "interface name ('/', ':', '%%', space or control)", what, name);
    }
    return 0;
}

/* libvirt regenerates names it generated itself (vnetN, macvtapN, macvlanN) on every start. */
static bool is_generated_name(const char *name)
{
    static const char *const prefixes[] = {"vnet", "macvtap", "macvlan"};
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static void ifr_set_name(struct ifreq *ifr, const char *name)
{
    size_t n = strlen(name);
    if (n > IFNAMSIZ - 1)
        n = IFNAMSIZ - 1;
    memcpy(ifr->ifr_name, name, n);
    ifr->ifr_name[n] = '\0';
}

/* ---------------------------------------------------------------------------------------- */
/* netdevice ioctls (namespace-correct, unlike /sys which belongs to whoever mounted it) */

static int ctl_socket(struct ql_error *err)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ql_error_set(err, errno, "cannot create a control socket: %s", strerror(errno));
    return fd;
}

static bool netdev_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

/* Driver name from ETHTOOL_GDRVINFO ("bridge", "tun", "openvswitch", ...), "" if unknown. */
static void netdev_driver(int sock, const char *name, char *buf, size_t len)
{
    struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, name);
    ifr.ifr_data = (void *)&info;
    buf[0] = '\0';
    if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
        return;
    snprintf(buf, len, "%.*s", (int)sizeof(info.driver), info.driver);
}

static int netdev_set_mac(int sock, const char *name, const unsigned char mac[6],
                          struct ql_error *err)
{
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, name);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
    if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
        return ql_error_set(err, errno, "cannot set MAC address "
                            "%02x:%02x:%02x:%02x:%02x:%02x on tap '%s': %s", mac[0], mac[1],
                            mac[2], mac[3], mac[4], mac[5], name, strerror(errno));
    return 0;
}

static int netdev_get_mtu(int sock, const char *name, unsigned *ret)
{
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, name);
    if (ioctl(sock, SIOCGIFMTU, &ifr) < 0)
        return -errno;
    *ret = (unsigned)ifr.ifr_mtu;
    return 0;
}

static int netdev_set_mtu(int sock, const char *name, unsigned mtu, struct ql_error *err)
{
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, name);
    if (mtu > INT32_MAX)
        return ql_error_set(err, EINVAL, "MTU %u is out of range", mtu);
    ifr.ifr_mtu = (int)mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
        return ql_error_set(err, errno, "cannot set MTU %u on tap '%s': %s", mtu, name,
                            strerror(errno));
    return 0;
}

static int netdev_set_up(int sock, const char *name, struct ql_error *err)
{
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return ql_error_set(err, errno, "cannot read the flags of '%s': %s", name,
                            strerror(errno));
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return ql_error_set(err, errno, "cannot bring tap '%s' up: %s", name, strerror(errno));
    return 0;
}

static int bridge_add_if(int sock, const char *bridge, const char *tap, struct ql_error *err)
{
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, bridge);
    ifr.ifr_ifindex = (int)if_nametoindex(tap);
    if (ifr.ifr_ifindex == 0)
        return ql_error_set(err, errno ? errno : ENODEV, "tap '%s' vanished before it could "
                            "be added to bridge '%s'", tap, bridge);
    if (ioctl(sock, SIOCBRADDIF, &ifr) < 0)
        return ql_error_set(err, errno, "cannot add tap '%s' to bridge '%s': %s", tap, bridge,
                            strerror(errno));
    return 0;
}

static int linux_bridge_check(int sock, const char *bridge, struct ql_error *err)
{
    if (!netdev_exists(bridge))
        return ql_error_set(err, ENODEV, "bridge '%s' does not exist on this host", bridge);
    char drv[64];
    netdev_driver(sock, bridge, drv, sizeof(drv));
    if (STREQ(drv, "bridge"))
        return 0;
    if (STREQ(drv, "openvswitch"))
        return ql_error_set(err, ENOTSUP, "bridge '%s' is an Open vSwitch bridge; add "
                            "<virtualport type='openvswitch'/> to the interface", bridge);
    return ql_error_set(err, ENOTSUP, "network device '%s' is not a Linux bridge (driver "
                        "'%s'); for an Open vSwitch bridge add <virtualport "
                        "type='openvswitch'/>", bridge, *drv ? drv : "unknown");
}

/* ---------------------------------------------------------------------------------------- */
/* taps */

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

int host_tap_open(const char *want_name, bool vnet_hdr, unsigned queues, char **ret_name,
                  int *ret_fds, struct ql_error *err)
{
    if (queues == 0)
        queues = 1;
    if (queues > HOST_TAP_MAX_QUEUES)
        return ql_error_set(err, EINVAL, "%u tap queues requested; Linux allows at most %u",
                            queues, HOST_TAP_MAX_QUEUES);
    bool automatic = !want_name || is_generated_name(want_name);
    char name[IFNAMSIZ];
    if (automatic) {
        snprintf(name, sizeof(name), "%s%%d", HOST_TAP_AUTO_PREFIX);
    } else {
        int r = host_ifname_check(want_name, "tap name", err);
        if (r < 0)
            return r;
        snprintf(name, sizeof(name), "%s", want_name);
        /* libvirt refuses an existing device too; IFF_TUN_EXCL below closes the race. */
        if (netdev_exists(name))
            return ql_error_set(err, EBUSY, "tap name '%s' is already taken by another network "
                                "device on this host", name);
    }

    for (unsigned q = 0; q < queues; q++)
        ret_fds[q] = -1;
    int r = 0;
    for (unsigned q = 0; q < queues; q++) {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            r = ql_error_set(err, errno, "cannot open /dev/net/tun: %s", strerror(errno));
            goto fail;
        }
        ret_fds[q] = fd;
        struct ifreq ifr = {0};
        ifr_set_name(&ifr, name);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (vnet_hdr)
            ifr.ifr_flags |= IFF_VNET_HDR;
        if (queues > 1)
            ifr.ifr_flags |= IFF_MULTI_QUEUE;
        if (q == 0)
            ifr.ifr_flags |= IFF_TUN_EXCL; /* never attach to someone else's device */
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
            int e = errno;
            if (q == 0 && (e == EBUSY || e == EEXIST))
                r = ql_error_set(err, EBUSY, "tap name '%s' is already taken by another network "
                                 "device on this host", name);
            else if (q == 0)
                r = ql_error_set(err, e, "cannot create tap '%s': %s", name, strerror(e));
            else
                r = ql_error_set(err, e, "cannot open queue %u of tap '%s': %s", q + 1, name,
                                 strerror(e));
            goto fail;
        }
        if (q == 0)
            snprintf(name, sizeof(name), "%.*s", IFNAMSIZ - 1, ifr.ifr_name);
    }
    *ret_name = xstrdup(name);
    return 0;
fail:
    close_fds(ret_fds, queues);
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* helper programs: fork + exec, output captured, hard deadline */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv (PATH lookup; envp NULL inherits the environment) with stdin on /dev/null and
 * stdout+stderr captured. Returns 0 with the wait status and output (both set) once it
 * exited; -errno with err set when it could not be run or was killed at the deadline. */
static int run_program(char *const argv[], char *const envp[], int timeout_ms, int *ret_status,
                       char **ret_output, struct ql_error *err)
{
    int out[2] = {-1, -1}, ex[2] = {-1, -1};
    _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        return ql_error_set(err, errno, "cannot open /dev/null: %s", strerror(errno));
    if (pipe2(out, O_CLOEXEC) < 0)
        return ql_error_set(err, errno, "cannot create a pipe: %s", strerror(errno));
    if (pipe2(ex, O_CLOEXEC) < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        return ql_error_set(err, e, "cannot create a pipe: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        close(ex[0]);
        close(ex[1]);
        return ql_error_set(err, e, "cannot fork to run '%s': %s", argv[0], strerror(e));
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here on. The supervisor may block signals for
         * signalfd and ignore SIGPIPE; the helper must start with neither. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
            dup2(out[1], STDERR_FILENO) < 0)
            _exit(126);
        if (envp)
            execvpe(argv[0], argv, envp);
        else
            execvp(argv[0], argv);
        int e = errno;
        ssize_t unused = write(ex[1], &e, sizeof(e));
        (void)unused;
        _exit(127);
    }
    close(out[1]);
    close(ex[1]);

    int exec_errno = 0;
    ssize_t n;
    do
        n = read(ex[0], &exec_errno, sizeof(exec_errno));
    while (n < 0 && errno == EINTR);
    close(ex[0]);
    if (n == (ssize_t)sizeof(exec_errno)) {
        close(out[0]);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        return ql_error_set(err, exec_errno, "cannot run '%s': %s", argv[0],
                            strerror(exec_errno));
    }

    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "");
    long long deadline = now_ms() + timeout_ms;
    bool eof = false, exited = false;
    int status = 0;
    for (;;) {
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                exited = true;
            else if (w < 0 && errno != EINTR) {
                /* SIGCHLD ignored by the caller: the child was reaped for us. */
                exited = true;
                status = 0;
            }
        }
        if (!eof) {
            char buf[1024];
            n = read(out[0], buf, sizeof(buf));
            if (n > 0) {
                if (sb.len < RUN_OUTPUT_MAX)
                    sb_addn(&sb, buf, (size_t)n < RUN_OUTPUT_MAX - sb.len
                                          ? (size_t)n : RUN_OUTPUT_MAX - sb.len);
                continue;
            }
            if (n == 0)
                eof = true;
            else if (errno != EAGAIN && errno != EINTR)
                eof = true;
            else if (exited)
                break; /* a background grandchild may keep the pipe open: don't wait for it */
        }
        if (eof && exited)
            break;
        long long left = deadline - now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            close(out[0]);
            sb_free(&sb);
            return ql_error_set(err, ETIMEDOUT, "'%s' did not finish within %d seconds and was "
                                "killed", argv[0], timeout_ms / 1000);
        }
        struct pollfd pfd = {.fd = out[0], .events = POLLIN};
        poll(eof ? NULL : &pfd, eof ? 0 : 1, left < 10 ? (int)left : 10);
    }
    close(out[0]);
    *ret_status = status;
    *ret_output = sb_steal(&sb);
    return 0;
}

/* Appends the captured output as one line: "ovs-vsctl: no bridge named x". */
static void add_output(struct strbuf *sb, const char *out)
{
    size_t len = strlen(out);
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' ' || out[len - 1] == '\r'))
        len--;
    if (!len) {
        sb_add(sb, " (no output)");
        return;
    }
    sb_add(sb, ": ");
    bool cut = len > MSG_OUTPUT_MAX;
    if (cut)
        len = MSG_OUTPUT_MAX;
    for (size_t i = 0; i < len; i++) {
        char c = out[i];
        if (c == '\n')
            sb_add(sb, "; ");
        else if ((unsigned char)c < ' ' || c == 0x7f)
            sb_addc(sb, ' ');
        else
            sb_addc(sb, c);
    }
    if (cut)
        sb_add(sb, "...");
}

static void describe_status(struct strbuf *sb, int status)
{
    if (WIFEXITED(status))
        sb_addf(sb, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        sb_addf(sb, "was killed by signal %d", WTERMSIG(status));
    else
        sb_add(sb, "failed");
}

/* Runs a command that must exit 0; otherwise err says what (desc) failed and its output. */
static int run_checked(char *const argv[], char *const envp[], int timeout_ms, const char *desc,
                       struct ql_error *err)
{
    int status;
    _cleanup_free_ char *out = NULL;
    int r = run_program(argv, envp, timeout_ms, &status, &out, err);
    if (r < 0)
        return r;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "%s ", desc);
    describe_status(&sb, status);
    add_output(&sb, out);
    r = ql_error_set(err, EIO, "%s", sb_str(&sb));
    sb_free(&sb);
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* Open vSwitch */

static int ovs_br_exists(const char *bridge, struct ql_error *err)
{
    char *argv[] = {(char *)"ovs-vsctl", (char *)"--timeout=5", (char *)"br-exists",
                    (char *)bridge, NULL};
    int status;
    _cleanup_free_ char *out = NULL;
    int r = run_program(argv, NULL, HOST_OVS_VSCTL_TIMEOUT_MS, &status, &out, err);
    if (r < 0)
        return r;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return ql_error_set(err, ENODEV, "Open vSwitch bridge '%s' does not exist", bridge);
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "cannot query Open vSwitch for bridge '%s': ovs-vsctl ", bridge);
    describe_status(&sb, status);
    add_output(&sb, out);
    r = ql_error_set(err, EIO, "%s", sb_str(&sb));
    sb_free(&sb);
    return r;
}

static bool ovs_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return n > 0 && n <= OVS_ID_MAX;
}

struct argvec {
    char **v;
    size_t n, cap;
};

static void av_add(struct argvec *a, char *s /* takes ownership */)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void av_free(struct argvec *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

static void av_set_iface(struct argvec *a, const char *tap, const char *key, const char *val)
{
    av_add(a, xstrdup("--"));
    av_add(a, xstrdup("set"));
    av_add(a, xstrdup("Interface"));
    av_add(a, xstrdup(tap));
    /* ovs-vsctl parses the value as a (quoted) string; ids were checked for odd characters */
    av_add(a, xasprintf("external-ids:%s=\"%s\"", key, val));
}

static int ovs_add_port(const struct domain *d, const struct dom_interface *ifc,
                        const char *bridge, const char *tap, struct ql_error *err)
{
    char iface_id[37];
    uuid_t u;
    if (ifc->vport.interfaceid && dom_parse_uuid(ifc->vport.interfaceid, u) == 0) {
        uuid_unparse_lower(u, iface_id);    /* canonical form, as libvirt stores it */
    } else {
        /* libvirt generates a random interfaceid when the XML has none */
        uuid_generate_random(u);
        uuid_unparse_lower(u, iface_id);
    }
    struct argvec a = {0};
    av_add(&a, xstrdup("ovs-vsctl"));
    av_add(&a, xstrdup("--timeout=5"));
    av_add(&a, xstrdup("--"));
    av_add(&a, xstrdup("--may-exist"));
    av_add(&a, xstrdup("add-port"));
    av_add(&a, xstrdup(bridge));
    av_add(&a, xstrdup(tap));
    if (ifc->n_vlan_tags) {
        struct strbuf sb = STRBUF_INIT;
        if (ifc->vlan_trunk) {
            sb_add(&sb, "trunk=");
            for (size_t i = 0; i < ifc->n_vlan_tags; i++)
                sb_addf(&sb, "%s%u", i ? "," : "", ifc->vlan_tags[i]);
        } else {
            sb_addf(&sb, "tag=%u", ifc->vlan_tags[0]);
        }
        av_add(&a, sb_steal(&sb));
    }
    av_add(&a, xstrdup("--"));
    av_add(&a, xstrdup("set"));
    av_add(&a, xstrdup("Port"));
    av_add(&a, xstrdup(tap));
    av_add(&a, xstrdup("other_config:transient=true"));
    av_set_iface(&a, tap, "attached-mac", ifc->mac);
    av_set_iface(&a, tap, "iface-id", iface_id);
    if (d->has_uuid) {
        char uuid[37];
        uuid_unparse_lower(d->uuid, uuid);
        av_set_iface(&a, tap, "vm-id", uuid);
    }
    if (ifc->vport.profileid) {
        av_set_iface(&a, tap, "port-profile", ifc->vport.profileid);
        av_set_iface(&a, tap, "ifname", tap);
    }
    av_set_iface(&a, tap, "iface-status", "active");

    _cleanup_free_ char *desc = xasprintf("adding tap '%s' to Open vSwitch bridge '%s' failed: "
                                          "ovs-vsctl", tap, bridge);
    int r = run_checked(a.v, NULL, HOST_OVS_VSCTL_TIMEOUT_MS, desc, err);
    av_free(&a);
    return r;
}

int host_ovs_del_port(const char *tap_name, struct ql_error *err)
{
    char *argv[] = {(char *)"ovs-vsctl", (char *)"--timeout=5", (char *)"--",
                    (char *)"--if-exists", (char *)"del-port", (char *)tap_name, NULL};
    _cleanup_free_ char *desc = xasprintf("removing port '%s' from Open vSwitch failed: "
                                          "ovs-vsctl", tap_name);
    return run_checked(argv, NULL, HOST_OVS_VSCTL_TIMEOUT_MS, desc, err);
}

/* ---------------------------------------------------------------------------------------- */
/* <script> of type='ethernet' */

static int run_script(const char *script, const char *tap, struct ql_error *err)
{
    /* libvirt runs it with a cleared environment apart from the common variables */
    static const char *const pass[] = {"HOME", "USER", "LOGNAME", "TMPDIR"};
    struct argvec env = {0};
    const char *path = getenv("PATH");
    av_add(&env, xasprintf("PATH=%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"));
    av_add(&env, xstrdup("LC_ALL=C"));
    for (size_t i = 0; i < ARRAY_SIZE(pass); i++) {
        const char *v = getenv(pass[i]);
        if (v)
            av_add(&env, xasprintf("%s=%s", pass[i], v));
    }
    char *argv[] = {(char *)script, (char *)tap, NULL};
    _cleanup_free_ char *desc = xasprintf("script '%s' for tap '%s'", script, tap);
    int r = run_checked(argv, env.v, HOST_SCRIPT_TIMEOUT_MS, desc, err);
    av_free(&env);
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* type='network': libvirt network definitions read from files */

int host_network_lookup(const char *name, struct dom_network **ret, char **ret_path,
                        struct ql_error *err)
{
    *ret = NULL;
    if (ret_path)
        *ret_path = NULL;
    if (!dom_network_name_ok(name))
        return ql_error_set(err, EINVAL, "network name '%s' cannot name a file (no '/', no "
                            "leading '.', at most %d bytes)", name ? name : "", DOM_MAX_NAME);
    const char *env = getenv("QLAUNCH_NETWORK_DIR");
    const char *dirs[] = {env && *env ? env : NULL, HOST_NETWORK_DIR_QLAUNCH,
                          HOST_NETWORK_DIR_LIBVIRT};
    struct strbuf tried = STRBUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        if (!dirs[i])
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s.xml", dirs[i], name);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        struct ql_error e = QL_ERROR_INIT;
        int r = ql_read_file(path, HOST_NETWORK_XML_MAX, &data, &len, &e);
        if (r == -ENOENT) {
            ql_error_clear(&e);
            sb_addf(&tried, "%s%s", tried.len ? ", " : "", path);
            continue;
        }
        if (r < 0) {
            sb_free(&tried);
            r = ql_error_set(err, e.code, "network '%s': %s", name, ql_error_msg(&e));
            ql_error_clear(&e);
            return r;
        }
        sb_free(&tried);
        struct dom_diags g = {0};
        struct dom_network *n = NULL;
        if (dom_network_parse_memory(data, len, &n, &g) < 0) {
            const struct dom_diag *first = NULL;
            for (size_t k = 0; k < g.n && !first; k++)
                if (g.v[k].level == DOM_DIAG_ERROR)
                    first = &g.v[k];
            _cleanup_free_ char *msg = first ? dom_diag_format(first) : xstrdup("invalid");
            dom_diags_free(&g);
            return ql_error_set(err, EINVAL, "network '%s': %s: %s", name, path, msg);
        }
        dom_diags_free(&g);
        if (strcmp(n->name, name) != 0) {
            r = ql_error_set(err, EINVAL, "network '%s': %s defines network '%s', not '%s'",
                             name, path, n->name, name);
            dom_network_free(n);
            return r;
        }
        *ret = n;
        if (ret_path)
            *ret_path = steal_pointer(&path);
        return 0;
    }
    int r = ql_error_set(err, ENOENT, "network '%s' is not defined: no %s (qlaunch reads "
                         "libvirt's network definitions from files; set QLAUNCH_NETWORK_DIR or "
                         "copy the output of `virsh net-dumpxml %s` there)", name,
                         sb_str(&tried), name);
    sb_free(&tried);
    return r;
}

static const char *first_nonnull(const char *a, const char *b, const char *c)
{
    return a ? a : b ? b : c;
}

/* What libvirt does when it turns a network port into the "actual" interface
 * (networkAllocatePort, virNetDevVPortProfileMerge3): the bridge is the network's; the
 * virtualport type is the network's (an interface or portgroup may only repeat it) and
 * each parameter comes from the interface, else the portgroup, else the network; the VLAN
 * from the interface, else the portgroup, else the network; the MTU from the interface,
 * else the network. ret is a shallow copy of ifc with borrowed strings: free nothing. */
static int network_to_bridge(const struct dom_interface *ifc, const struct dom_network *n,
                             const char *path, struct dom_interface *ret, struct ql_error *err)
{
    const char *fm = n->forward_mode;
    if (fm && strcmp(fm, "nat") != 0 && strcmp(fm, "route") != 0 && strcmp(fm, "open") != 0
        && strcmp(fm, "bridge") != 0)
        return ql_error_set(err, ENOTSUP, "network '%s' (%s) has forward mode '%s' (a pool of "
                            "host devices); qlaunch supports networks whose ports go on a "
                            "bridge", n->name, path, fm);
    if (!n->bridge)
        return ql_error_set(err, ENOTSUP, "network '%s' (%s) names no <bridge name=...>%s; "
                            "qlaunch supports networks whose ports go on a bridge", n->name,
                            path, n->forward_has_devs ? " (its <forward> lists host devices: a "
                            "macvtap pool)" : "");
    const struct dom_network_portgroup *pg = dom_network_portgroup(n, ifc->portgroup);
    if (ifc->portgroup && !pg)
        return ql_error_set(err, ENOENT, "network '%s' (%s) has no portgroup '%s'", n->name,
                            path, ifc->portgroup);
    if (pg && pg->has_bandwidth)
        return ql_error_set(err, ENOTSUP, "portgroup '%s' of network '%s' (%s) sets "
                            "<bandwidth>, which qlaunch cannot apply; only <vlan> and "
                            "<virtualport> are supported in a portgroup",
                            pg->name ? pg->name : "", n->name, path);
    const char *vtype = n->port.vport_type;
    if (vtype && strcmp(vtype, "openvswitch") != 0)
        return ql_error_set(err, ENOTSUP, "network '%s' (%s) uses virtualport type '%s'; only "
                            "'openvswitch' is supported", n->name, path, vtype);
    const char *others[2] = {pg ? pg->port.vport_type : NULL,
                             dom_vport_type_to_string(ifc->vport_type)};
    for (int i = 0; i < 2; i++)
        if (others[i] && (!vtype || strcmp(others[i], vtype) != 0))
            return ql_error_set(err, EINVAL, "virtualport type '%s' of the %s does not match "
                                "network '%s' (%s), which has %s%s%s", others[i],
                                i ? "interface" : "portgroup", n->name, path,
                                vtype ? "'" : "no virtualport type", vtype ? vtype : "",
                                vtype ? "'" : "");
    *ret = *ifc;
    ret->type = DOM_NET_BRIDGE;
    ret->bridge = n->bridge;
    ret->vport_type = vtype ? DOM_VPORT_OPENVSWITCH : DOM_VPORT_DEFAULT;   /* checked above */
    const struct dom_vport_params *a = &ifc->vport, *b = pg ? &pg->port.vport : NULL,
                                   *c = &n->port.vport;
#define MERGE(f) ret->vport.f = (char *)first_nonnull(a->f, b ? b->f : NULL, c->f)
    MERGE(interfaceid);
    MERGE(profileid);
    MERGE(instanceid);
    MERGE(managerid);
    MERGE(typeid_);
    MERGE(typeidversion);
#undef MERGE
    const struct dom_net_port_cfg *vsrc = pg && pg->port.n_vlan_tags ? &pg->port
                                        : n->port.n_vlan_tags ? &n->port : NULL;
    if (!ifc->n_vlan_tags && vsrc) {
        ret->vlan_tags = vsrc->vlan_tags;
        ret->n_vlan_tags = vsrc->n_vlan_tags;
        ret->vlan_trunk = vsrc->vlan_trunk;
    }
    if (!ret->mtu)
        ret->mtu = n->mtu;
    return 0;
}

static int setup_bridge(const struct domain *d, const struct dom_interface *ifc,
                        struct host_nic *nic, struct ql_error *err);

static int setup_network(const struct domain *d, const struct dom_interface *ifc,
                         struct host_nic *nic, struct ql_error *err)
{
    struct dom_network *n = NULL;
    _cleanup_free_ char *path = NULL;
    int r = host_network_lookup(ifc->network, &n, &path, err);
    if (r < 0)
        return r;
    struct dom_interface br;
    r = network_to_bridge(ifc, n, path, &br, err);
    if (r == 0) {
        struct ql_error e = QL_ERROR_INIT;
        r = setup_bridge(d, &br, nic, &e);
        if (r == -ENODEV) {
            bool routed = n->forward_mode && strcmp(n->forward_mode, "bridge") != 0;
            ql_error_set(err, ENODEV, "network '%s' (read from %s) uses bridge '%s', which "
                         "does not exist on this host; %s", n->name, path, n->bridge,
                         routed ? "qlaunch does not start libvirt networks (forward mode "
                         "'nat'/'route' also needs libvirt's dnsmasq and firewall rules): "
                         "start it with `virsh net-start` or set the bridge up by hand"
                         : "create the bridge first");
        } else if (r < 0) {
            ql_error_set(err, e.code, "network '%s' (%s): %s", n->name, path,
                         ql_error_msg(&e));
        }
        ql_error_clear(&e);
    }
    dom_network_free(n);
    return r;
}

/* ---------------------------------------------------------------------------------------- */
/* setup / teardown */

static int parse_mac(const char *s, unsigned char ret[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = *s++;
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= (unsigned)(c - 'A' + 10);
            else
                return -EINVAL;
        }
        ret[i] = (unsigned char)v;
        if (*s != (i == 5 ? '\0' : ':'))
            return -EINVAL;
        if (i < 5)
            s++;
    }
    return 0;
}

static bool model_is_virtio(const char *model)
{
    return model && strncmp(model, "virtio", 6) == 0;
}

/* Opens the tap for ifc and records it in nic; sets MAC (unless existing_ok). */
static int nic_open_tap(int sock, const struct dom_interface *ifc, struct host_nic *nic,
                        struct ql_error *err)
{
    unsigned queues = ifc->queues ? ifc->queues : 1;
    if (queues > HOST_TAP_MAX_QUEUES)
        return ql_error_set(err, EINVAL, "%u queues requested; a tap allows at most %u",
                            queues, HOST_TAP_MAX_QUEUES);
    nic->vnet_hdr = model_is_virtio(dom_nic_model_to_string(ifc->model));
    int *fds = xcalloc(queues, sizeof(int));
    int r = host_tap_open(ifc->target_dev, nic->vnet_hdr, queues, &nic->tap_name, fds, err);
    if (r < 0) {
        free(fds);
        return r;
    }
    nic->tap_fds = fds;
    nic->n_tap_fds = queues;

    unsigned char guest[6];
    if (parse_mac(ifc->mac, guest) < 0)
        return ql_error_set(err, EINVAL, "MAC address '%s' is not valid", ifc->mac);
    memcpy(nic->tap_mac, guest, 6);
    nic->tap_mac[0] = guest[0] == 0xFE ? 0xFA : 0xFE;
    return netdev_set_mac(sock, nic->tap_name, nic->tap_mac, err);
}

static int nic_set_mtu(int sock, const struct dom_interface *ifc, const char *bridge,
                       struct host_nic *nic, struct ql_error *err)
{
    unsigned mtu = ifc->mtu;
    if (!mtu && bridge && netdev_get_mtu(sock, bridge, &mtu) < 0)
        mtu = 0;    /* an OVS bridge need not have a kernel device: keep the default */
    if (!mtu)
        return 0;
    int r = netdev_set_mtu(sock, nic->tap_name, mtu, err);
    if (r == 0)
        nic->mtu = mtu;
    return r;
}

static int setup_bridge(const struct domain *d, const struct dom_interface *ifc,
                        struct host_nic *nic, struct ql_error *err)
{
    if (!ifc->bridge)
        return ql_error_set(err, EINVAL, "type 'bridge' needs <source bridge='...'/>");
    int r = host_ifname_check(ifc->bridge, "bridge name", err);
    if (r < 0)
        return r;
    if (ifc->target_managed_no)
        return ql_error_set(err, ENOTSUP, "<target managed='no'> is only supported for "
                            "type='ethernet'");
    bool ovs = ifc->vport_type == DOM_VPORT_OPENVSWITCH;
    if (ifc->vport_type && !ovs)
        return ql_error_set(err, ENOTSUP, "virtualport type '%s' is not supported; only "
                            "'openvswitch' is", dom_vport_type_to_string(ifc->vport_type));
    if (!ovs && ifc->n_vlan_tags)
        return ql_error_set(err, ENOTSUP, "<vlan> needs an Open vSwitch bridge (<virtualport "
                            "type='openvswitch'/>); a Linux bridge port cannot be tagged");
    if (ovs) {
        if (ifc->bridge[0] == '-')
            return ql_error_set(err, EINVAL, "bridge name '%s' is not valid", ifc->bridge);
        unsigned char u[16];
        if (ifc->vport.interfaceid && dom_parse_uuid(ifc->vport.interfaceid, u) < 0)
            return ql_error_set(err, EINVAL, "virtualport interfaceid '%s' is not a UUID",
                                ifc->vport.interfaceid);
        if (ifc->vport.profileid && !ovs_id_ok(ifc->vport.profileid))
            return ql_error_set(err, EINVAL, "virtualport profileid '%s' is not valid (letters, "
                                "digits, '-', '_', '.', ':'; at most %d)", ifc->vport.profileid,
                                OVS_ID_MAX);
    }
    _cleanup_close_ int sock = ctl_socket(err);
    if (sock < 0)
        return sock;

    /* Check the bridge first so a typo costs no tap at all. */
    r = ovs ? ovs_br_exists(ifc->bridge, err) : linux_bridge_check(sock, ifc->bridge, err);
    if (r < 0)
        return r;
    r = nic_open_tap(sock, ifc, nic, err);
    if (r < 0)
        return r;
    r = nic_set_mtu(sock, ifc, ifc->bridge, nic, err);
    if (r < 0)
        return r;
    if (ovs) {
        r = ovs_add_port(d, ifc, ifc->bridge, nic->tap_name, err);
        if (r < 0)
            return r;
        nic->ovs_bridge = xstrdup(ifc->bridge);
    } else {
        r = bridge_add_if(sock, ifc->bridge, nic->tap_name, err);
        if (r < 0)
            return r;
    }
    nic->bridge = xstrdup(ifc->bridge);
    return netdev_set_up(sock, nic->tap_name, err);
}

static int setup_ethernet(const struct dom_interface *ifc, struct host_nic *nic,
                          struct ql_error *err)
{
    if (ifc->vport_type)
        return ql_error_set(err, ENOTSUP, "<virtualport> is not supported with type='ethernet'");
    if (ifc->n_vlan_tags)
        return ql_error_set(err, ENOTSUP, "<vlan> is not supported with type='ethernet'");
    if (ifc->script && !*ifc->script)
        return ql_error_set(err, EINVAL, "<script path> is empty");
    _cleanup_close_ int sock = ctl_socket(err);
    if (sock < 0)
        return sock;
    int r;
    if (ifc->target_managed_no) {
        /* A tap the admin created and configured: open it, change nothing (libvirt). */
        if (!ifc->target_dev)
            return ql_error_set(err, EINVAL, "<target managed='no'> needs <target dev>");
        r = host_ifname_check(ifc->target_dev, "tap name", err);
        if (r < 0)
            return r;
        if (!netdev_exists(ifc->target_dev))
            return ql_error_set(err, ENODEV, "tap '%s' does not exist on this host "
                                "(<target managed='no'> uses an existing tap)", ifc->target_dev);
        unsigned queues = ifc->queues ? ifc->queues : 1;
        if (queues > HOST_TAP_MAX_QUEUES)
            return ql_error_set(err, EINVAL, "%u queues requested; a tap allows at most %u",
                                queues, HOST_TAP_MAX_QUEUES);
        nic->vnet_hdr = model_is_virtio(dom_nic_model_to_string(ifc->model));
        nic->tap_fds = xcalloc(queues, sizeof(int));
        for (unsigned q = 0; q < queues; q++)
            nic->tap_fds[q] = -1;
        nic->n_tap_fds = queues;
        nic->tap_name = xstrdup(ifc->target_dev);
        for (unsigned q = 0; q < queues; q++) {
            int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
            if (fd < 0)
                return ql_error_set(err, errno, "cannot open /dev/net/tun: %s",
                                    strerror(errno));
            nic->tap_fds[q] = fd;
            struct ifreq ifr = {0};
            ifr_set_name(&ifr, ifc->target_dev);
            ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (nic->vnet_hdr ? IFF_VNET_HDR : 0) |
                            (queues > 1 ? IFF_MULTI_QUEUE : 0);
            if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return ql_error_set(err, errno, "cannot open existing tap '%s': %s",
                                    ifc->target_dev, strerror(errno));
        }
    } else {
        r = nic_open_tap(sock, ifc, nic, err);
        if (r < 0)
            return r;
        r = nic_set_mtu(sock, ifc, NULL, nic, err);
        if (r < 0)
            return r;
        r = netdev_set_up(sock, nic->tap_name, err);
        if (r < 0)
            return r;
    }
    if (ifc->script)
        return run_script(ifc->script, nic->tap_name, err);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* macvtap (type='direct') over rtnetlink */

#define NL_BUF 1024

struct nl_req {
    struct nlmsghdr h;
    struct ifinfomsg i;
    char attrs[NL_BUF];
};

static struct rtattr *nl_attr(struct nl_req *req, unsigned short type, const void *data,
                              size_t len)
{
    struct nlmsghdr *h = &req->h;
    /* Requests are built from fixed, short attributes; running over is a bug. */
    if (NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len) > sizeof(*req))
        abort();
    struct rtattr *a = (struct rtattr *)((char *)req + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
    return a;
}

static void nl_nest_end(struct nl_req *req, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((char *)req + req->h.nlmsg_len - (char *)nest);
}

/* Sends one request and waits for its answer: 0 (ACK), or -errno from the kernel. With
 * ret_buf the first non-error reply is copied there (RTM_GETLINK). */
static int nl_talk(struct nlmsghdr *req, void *ret_buf, size_t buf_len)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    static unsigned seq;
    req->nlmsg_seq = ++seq;
    req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    int r;
    if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        bool done = false;
        r = 0;
        size_t left = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != req->nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                r = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ? e->error : -EIO;
                done = true;
                break;
            }
            if (ret_buf && h->nlmsg_len <= buf_len) {
                memcpy(ret_buf, h, h->nlmsg_len);
                ret_buf = NULL;
            }
        }
        if (done)
            break;
    }
    close(fd);
    return r;
}

static int macvtap_mode(const char *mode)
{
    if (!mode || STREQ(mode, "vepa"))
        return MACVLAN_MODE_VEPA;   /* libvirt's default */
    if (STREQ(mode, "bridge"))
        return MACVLAN_MODE_BRIDGE;
    if (STREQ(mode, "private"))
        return MACVLAN_MODE_PRIVATE;
    if (STREQ(mode, "passthrough"))
        return MACVLAN_MODE_PASSTHRU;
    return -EINVAL;
}

/* RTM_NEWLINK with NLM_F_EXCL: never takes over an existing device. -errno on failure. */
static int macvtap_create(const char *name, unsigned lower_ifindex, uint32_t mode,
                          const unsigned char mac[6], unsigned mtu)
{
    struct nl_req req = {0};
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    req.h.nlmsg_type = RTM_NEWLINK;
    req.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
    req.i.ifi_family = AF_UNSPEC;
    nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
    uint32_t link = lower_ifindex;
    nl_attr(&req, IFLA_LINK, &link, sizeof(link));
    /* In passthrough mode the kernel gives the macvtap the lower device's address and
     * ignores this one; the caller sets it afterwards. */
    nl_attr(&req, IFLA_ADDRESS, mac, 6);
    if (mtu) {
        uint32_t m = mtu;
        nl_attr(&req, IFLA_MTU, &m, sizeof(m));
    }
    struct rtattr *info = nl_attr(&req, IFLA_LINKINFO, NULL, 0);
    nl_attr(&req, IFLA_INFO_KIND, "macvtap", strlen("macvtap"));
    struct rtattr *data = nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
    nl_attr(&req, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
    nl_nest_end(&req, data);
    nl_nest_end(&req, info);
    return nl_talk(&req.h, NULL, 0);
}

/* The rtnetlink kind of a link ("macvtap", "veth", ...) into buf; -errno if unknown. */
static int link_kind(const char *name, char *buf, size_t len)
{
    struct nl_req req = {0};
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    req.h.nlmsg_type = RTM_GETLINK;
    req.i.ifi_family = AF_UNSPEC;
    nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
    char reply[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    memset(reply, 0, sizeof(struct nlmsghdr));
    int r = nl_talk(&req.h, reply, sizeof(reply));
    if (r < 0)
        return r;
    struct nlmsghdr *h = (struct nlmsghdr *)reply;
    if (h->nlmsg_type != RTM_NEWLINK)
        return -ENOENT;
    int alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(struct ifinfomsg));
    for (struct rtattr *a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type != IFLA_LINKINFO)
            continue;
        int ilen = (int)RTA_PAYLOAD(a);
        for (struct rtattr *b = RTA_DATA(a); RTA_OK(b, ilen); b = RTA_NEXT(b, ilen))
            if (b->rta_type == IFLA_INFO_KIND) {
                snprintf(buf, len, "%.*s", (int)RTA_PAYLOAD(b), (const char *)RTA_DATA(b));
                return 0;
            }
    }
    return -ENOENT;
}

static int link_delete(const char *name)
{
    struct nl_req req = {0};
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    req.h.nlmsg_type = RTM_DELLINK;
    req.i.ifi_family = AF_UNSPEC;
    nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
    return nl_talk(&req.h, NULL, 0);
}

/* major:minor of the macvtap's character device from sysfs; -errno when sysfs does not
 * show it (e.g. /sys mounted for another network namespace). */
static int macvtap_devnum(const char *name, unsigned ifindex, dev_t *ret)
{
    _cleanup_free_ char *path = xasprintf("/sys/class/net/%s/macvtap/tap%u/dev", name,
                                          ifindex);
    /* sysfs files claim a size of 4096: read them directly, not with ql_read_file */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char data[32];
    ssize_t n = read(fd, data, sizeof(data) - 1);
    if (n <= 0)
        return n < 0 ? -errno : -EINVAL;
    data[n] = '\0';
    unsigned maj, min;
    if (sscanf(data, "%u:%u", &maj, &min) != 2)
        return -EINVAL;
    *ret = makedev(maj, min);
    return 0;
}

/* The interface a tap/macvtap fd belongs to must be ours (a /dev/tapN of another network
 * namespace has the same name when the ifindex clashes). */
static int tap_fd_check(int fd, const char *name, dev_t want, bool have_want, const char *path,
                        struct ql_error *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return ql_error_set(err, errno, "cannot stat '%s': %s", path, strerror(errno));
    if (!S_ISCHR(st.st_mode) || (have_want && st.st_rdev != want))
        return ql_error_set(err, ENODEV, "'%s' is not the character device of macvtap '%s'",
                            path, name);
    struct ifreq ifr = {0};
    if (ioctl(fd, TUNGETIFF, &ifr) < 0)
        return ql_error_set(err, errno, "'%s' is not a macvtap device: %s", path,
                            strerror(errno));
    if (strncmp(ifr.ifr_name, name, IFNAMSIZ) != 0)
        return ql_error_set(err, ENODEV, "'%s' belongs to network device '%.*s', not to "
                            "macvtap '%s'", path, IFNAMSIZ, ifr.ifr_name, name);
    return 0;
}

/* Opens the macvtap's character device once per queue (each open is one queue), as
 * libvirt's virNetDevMacVLanTapOpen, and sets the vnet header flag for each queue. */
static int macvtap_open(const char *name, bool vnet_hdr, unsigned queues, int *fds,
                        struct ql_error *err)
{
    unsigned ifindex = if_nametoindex(name);
    if (!ifindex)
        return ql_error_set(err, ENODEV, "macvtap '%s' vanished after it was created", name);
    dev_t want = 0;
    bool have_want = macvtap_devnum(name, ifindex, &want) == 0;
    _cleanup_free_ char *devpath = xasprintf("/dev/tap%u", ifindex);
    _cleanup_free_ char *made = NULL;
    const char *path = devpath;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    bool ours = fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
                (!have_want || st.st_rdev == want);
    if (!ours && have_want) {
        /* No devtmpfs/udev node (yet), or one of another namespace's macvtap with the same
         * ifindex: make a private node, open it, and remove it again right away. */
        if (fd >= 0)
            close(fd);
        made = xasprintf("/dev/.qlaunch-tap%u-%ld", ifindex, (long)getpid());
        (void)unlink(made);
        if (mknod(made, S_IFCHR | 0600, want) < 0)
            return ql_error_set(err, errno, "cannot create the character device %u:%u of "
                                "macvtap '%s' at '%s' (%s is missing or not it): %s",
                                major(want), minor(want), name, made, devpath, strerror(errno));
        path = made;
        fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    }
    int r = 0;
    for (unsigned q = 0; q < queues; q++)
        fds[q] = -1;
    for (unsigned q = 0; q < queues; q++) {
        if (q > 0)
            fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            r = ql_error_set(err, errno, "cannot open '%s' (queue %u of macvtap '%s'): %s%s",
                             path, q + 1, name, strerror(errno), have_want ? "" :
                             " (its device number is not in /sys/class/net: is /sys mounted "
                             "for this network namespace?)");
            goto fail;
        }
        fds[q] = fd;
        fd = -1;
        if ((r = tap_fd_check(fds[q], name, want, have_want, path, err)) < 0)
            goto fail;
        /* A macvtap queue starts with IFF_VNET_HDR set; QEMU must agree with the NIC. */
        struct ifreq ifr = {0};
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) |
                        (queues > 1 ? IFF_MULTI_QUEUE : 0);
        if (ioctl(fds[q], TUNSETIFF, &ifr) < 0) {
            r = ql_error_set(err, errno, "cannot set the flags of macvtap '%s' (queue %u): %s",
                             name, q + 1, strerror(errno));
            goto fail;
        }
    }
    if (made)
        (void)unlink(made);
    return 0;
fail:
    if (made)
        (void)unlink(made);
    close_fds(fds, queues);
    return r;
}

static int setup_direct(const struct dom_interface *ifc, struct host_nic *nic,
                        struct ql_error *err)
{
    if (!ifc->source_dev)
        return ql_error_set(err, EINVAL, "type 'direct' needs <source dev='...'/>");
    int r = host_ifname_check(ifc->source_dev, "source device name", err);
    if (r < 0)
        return r;
    const char *source_mode = dom_net_source_mode_to_string(ifc->source_mode);
    int mode = macvtap_mode(source_mode);
    if (mode < 0)
        return ql_error_set(err, EINVAL, "source mode '%s' is not one of vepa, bridge, private, "
                            "passthrough", source_mode);
    if (ifc->vport_type)
        return ql_error_set(err, ENOTSUP, "virtualport type '%s' on a macvtap (802.1Qbg/"
                            "802.1Qbh port profiles) is not supported",
                            dom_vport_type_to_string(ifc->vport_type));
    if (ifc->n_vlan_tags)
        return ql_error_set(err, ENOTSUP, "<vlan> is not supported with type='direct'");
    if (ifc->target_managed_no)
        return ql_error_set(err, ENOTSUP, "<target managed='no'> is only supported for "
                            "type='ethernet'");
    unsigned queues = ifc->queues ? ifc->queues : 1;
    if (queues > HOST_TAP_MAX_QUEUES)
        return ql_error_set(err, EINVAL, "%u queues requested; a macvtap allows at most %u",
                            queues, HOST_TAP_MAX_QUEUES);
    unsigned char mac[6];
    if (parse_mac(ifc->mac, mac) < 0)
        return ql_error_set(err, EINVAL, "MAC address '%s' is not valid", ifc->mac);
    unsigned lower = if_nametoindex(ifc->source_dev);
    if (!lower)
        return ql_error_set(err, ENODEV, "source device '%s' does not exist on this host",
                            ifc->source_dev);
    bool automatic = !ifc->target_dev || is_generated_name(ifc->target_dev);
    if (!automatic) {
        if ((r = host_ifname_check(ifc->target_dev, "macvtap name", err)) < 0)
            return r;
        if (netdev_exists(ifc->target_dev))
            return ql_error_set(err, EBUSY, "macvtap name '%s' is already taken by another "
                                "network device on this host", ifc->target_dev);
    }
    char name[IFNAMSIZ];
    for (unsigned n = 0;; n++) {
        if (automatic) {
            if (n >= HOST_MACVTAP_MAX_NUMBER)
                return ql_error_set(err, EBUSY, "no free macvtap name %s0..%s%u",
                                    HOST_MACVTAP_AUTO_PREFIX, HOST_MACVTAP_AUTO_PREFIX,
                                    HOST_MACVTAP_MAX_NUMBER - 1);
            snprintf(name, sizeof(name), "%s%u", HOST_MACVTAP_AUTO_PREFIX, n);
            if (netdev_exists(name))
                continue;
        } else {
            snprintf(name, sizeof(name), "%s", ifc->target_dev);
        }
        r = macvtap_create(name, lower, (uint32_t)mode, mac, ifc->mtu);
        if (r == -EEXIST && automatic)
            continue;   /* lost a race for that name: take the next one */
        break;
    }
    if (r == -EEXIST)
        return ql_error_set(err, EBUSY, "macvtap name '%s' is already taken by another network "
                            "device on this host", name);
    if (r == -EOPNOTSUPP)
        return ql_error_set(err, EOPNOTSUPP, "cannot create macvtap '%s' on '%s': this kernel "
                            "has no macvtap support (CONFIG_MACVTAP; try `modprobe macvtap`)",
                            name, ifc->source_dev);
    if (r == -EINVAL)
        return ql_error_set(err, EINVAL, "cannot create macvtap '%s' on '%s' in mode '%s': %s "
                            "(a passthrough macvtap must be the only macvlan/macvtap link of "
                            "its device%s)", name, ifc->source_dev,
                            source_mode ? source_mode : "vepa", strerror(-r),
                            ifc->mtu ? ", and <mtu> must not exceed the device's MTU" : "");
    if (r < 0)
        return ql_error_set(err, -r, "cannot create macvtap '%s' on '%s' in mode '%s': %s",
                            name, ifc->source_dev, source_mode ? source_mode : "vepa",
                            strerror(-r));
    nic->tap_name = xstrdup(name);
    nic->macvtap = true;
    nic->lower_dev = xstrdup(ifc->source_dev);
    memcpy(nic->tap_mac, mac, 6);
    if (ifc->mtu)
        nic->mtu = ifc->mtu;
    _cleanup_close_ int sock = ctl_socket(err);
    if (sock < 0)
        return sock;
    if (mode == MACVLAN_MODE_PASSTHRU &&
        (r = netdev_set_mac(sock, name, mac, err)) < 0)
        return r;
    nic->vnet_hdr = model_is_virtio(dom_nic_model_to_string(ifc->model));
    nic->tap_fds = xcalloc(queues, sizeof(int));
    nic->n_tap_fds = queues;
    if ((r = macvtap_open(name, nic->vnet_hdr, queues, nic->tap_fds, err)) < 0)
        return r;
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) == 0)
            return 0;
    }
    if (errno == EADDRINUSE)
        return ql_error_set(err, EADDRINUSE, "cannot bring macvtap '%s' up: MAC address %s "
                            "is already used on '%s' (by another macvlan/macvtap or the "
                            "device itself)", name, ifc->mac, ifc->source_dev);
    return ql_error_set(err, errno, "cannot bring macvtap '%s' up: %s", name, strerror(errno));
}

int host_nic_setup(const struct domain *d, size_t iface_index, struct host_nic *ret,
                   struct ql_error *err)
{
    *ret = (struct host_nic)HOST_NIC_INIT;
    if (!d || iface_index >= d->dev.n_interfaces)
        return ql_error_set(err, EINVAL, "interface index %zu is out of range (the domain has "
                            "%zu)", iface_index, d ? d->dev.n_interfaces : 0);
    const struct dom_interface *ifc = &d->dev.interfaces[iface_index];
    struct host_nic nic = HOST_NIC_INIT;
    nic.type = ifc->type;
    struct ql_error e = QL_ERROR_INIT;
    int r;
    switch (ifc->type) {
    case DOM_NET_USER:
        *ret = nic;
        return 0;
    case DOM_NET_NETWORK:
        if (!ifc->mac) {
            r = ql_error_set(&e, EINVAL, "the interface has no MAC address (the launcher assigns "
                             "one before setting up the host side)");
            break;
        }
        r = setup_network(d, ifc, &nic, &e);
        break;
    case DOM_NET_BRIDGE:
    case DOM_NET_ETHERNET:
    case DOM_NET_DIRECT:
        if (!ifc->mac) {
            r = ql_error_set(&e, EINVAL, "the interface has no MAC address (the launcher assigns "
                             "one before setting up the host side)");
            break;
        }
        r = ifc->type == DOM_NET_BRIDGE ? setup_bridge(d, ifc, &nic, &e)
            : ifc->type == DOM_NET_DIRECT ? setup_direct(ifc, &nic, &e)
                                          : setup_ethernet(ifc, &nic, &e);
        break;
    default:
        r = ql_error_set(&e, ENOTSUP, "interface type %d is not supported", (int)ifc->type);
        break;
    }
    if (r == 0) {
        *ret = nic;
        return 0;
    }
    /* Undo in reverse order whatever got done. */
    host_nic_teardown(&nic);
    _cleanup_free_ char *where = ifc->src.path ? xstrdup(ifc->src.path)
                                               : xasprintf("devices/interface[%zu]",
                                                           iface_index + 1);
    if (ifc->src.line > 0)
        r = ql_error_set(err, e.code, "%s: %s (line %d)", where, ql_error_msg(&e),
                         ifc->src.line);
    else
        r = ql_error_set(err, e.code, "%s: %s", where, ql_error_msg(&e));
    ql_error_clear(&e);
    return r;
}

void host_nic_close_fds(struct host_nic *nic)
{
    if (nic->tap_fds)
        close_fds(nic->tap_fds, nic->n_tap_fds);
}

void host_nic_teardown(struct host_nic *nic)
{
    if (!nic)
        return;
    if (nic->ovs_bridge && nic->tap_name)
        (void)host_ovs_del_port(nic->tap_name, NULL);
    host_nic_close_fds(nic);
    /* Only a link that still is a macvtap: the name could have been reused since. */
    char kind[32];
    if (nic->macvtap && nic->tap_name && link_kind(nic->tap_name, kind, sizeof(kind)) == 0 &&
        STREQ(kind, "macvtap"))
        (void)link_delete(nic->tap_name);
    free(nic->tap_fds);
    free(nic->lower_dev);
    free(nic->tap_name);
    free(nic->bridge);
    free(nic->ovs_bridge);
    *nic = (struct host_nic)HOST_NIC_INIT;
}

/* ---------------------------------------------------------------------------------------- */
/* graphics <listen type='network'> */

/* The IPv4 address of a network device (libvirt's virNetDevIPAddrGet: SIOCGIFADDR). */
static int netdev_ipv4(const char *dev, char **ret, struct ql_error *err)
{
    _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return ql_error_set(err, errno, "cannot create a socket: %s", strerror(errno));
    struct ifreq ifr = {0};
    ifr_set_name(&ifr, dev);
    if (ioctl(sock, SIOCGIFADDR, &ifr) < 0) {
        int e = errno;
        if (e == ENODEV)
            return ql_error_set(err, e, "device '%s' does not exist on this host", dev);
        if (e == EADDRNOTAVAIL)
            return ql_error_set(err, e, "device '%s' has no IPv4 address", dev);
        return ql_error_set(err, e, "cannot read the IPv4 address of '%s': %s", dev,
                            strerror(e));
    }
    char buf[INET_ADDRSTRLEN];
    const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)&ifr.ifr_addr;
    if (!inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)))
        return ql_error_set(err, errno, "cannot format the address of '%s'", dev);
    *ret = xstrdup(buf);
    return 0;
}

int host_network_listen_address(const char *name, char **ret_addr, struct ql_error *err)
{
    *ret_addr = NULL;
    struct dom_network *n = NULL;
    _cleanup_free_ char *path = NULL;
    int r = host_network_lookup(name, &n, &path, err);
    if (r < 0)
        return r;
    const char *fm = n->forward_mode;
    struct ql_error e = QL_ERROR_INIT;
    if (!fm || STREQ(fm, "nat") || STREQ(fm, "route") || STREQ(fm, "open")) {
        unsigned char bin[sizeof(struct in6_addr)];
        if (!n->ip_address)
            r = ql_error_set(err, EINVAL, "network '%s' (%s) has no <ip address>, which a "
                             "graphics <listen type='network'> listens on", name, path);
        else if (inet_pton(AF_INET, n->ip_address, bin) != 1 &&
                 inet_pton(AF_INET6, n->ip_address, bin) != 1)
            r = ql_error_set(err, EINVAL, "network '%s' (%s): <ip address='%s'> is not an IP "
                             "address", name, path, n->ip_address);
        else
            *ret_addr = xstrdup(n->ip_address);
    } else {
        /* mode bridge uses its bridge; without one it is a macvtap pool, like the others */
        const char *dev = STREQ(fm, "bridge") && n->bridge ? n->bridge : n->forward_dev;
        if (!dev)
            r = ql_error_set(err, EINVAL, "network '%s' (%s) has no bridge or forward "
                             "interface whose address a graphics <listen type='network'> "
                             "could use", name, path);
        else if (host_ifname_check(dev, "device name", &e) < 0 || netdev_ipv4(dev, ret_addr,
                                                                             &e) < 0)
            r = ql_error_set(err, e.code, "network '%s' (%s): %s", name, path,
                             ql_error_msg(&e));
    }
    ql_error_clear(&e);
    dom_network_free(n);
    return r;
}

void host_listen_addrs_free(struct host_listen_addrs *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

int host_gfx_listen_resolve(const struct domain *d, struct host_listen_addrs *ret,
                            struct ql_error *err)
{
    *ret = (struct host_listen_addrs){0};
    const struct dom_devices *dv = &d->dev;
    struct host_listen_addrs a = {0};
    for (size_t i = 0; i < dv->n_graphics; i++) {
        const struct dom_graphics *g = &dv->graphics[i];
        if (!g->n_listens || g->listens[0].type != DOM_LISTEN_NETWORK)
            continue;
        if (!a.v) {
            a.v = xcalloc(dv->n_graphics, sizeof(char *));
            a.n = dv->n_graphics;
        }
        struct ql_error e = QL_ERROR_INIT;
        if (host_network_listen_address(g->listens[0].network, &a.v[i], &e) < 0) {
            _cleanup_free_ char *where = g->src.path ? xstrdup(g->src.path)
                                                     : xasprintf("devices/graphics[%zu]", i + 1);
            int r;
            if (g->src.line > 0)
                r = ql_error_set(err, e.code, "%s/listen: %s (line %d)", where,
                                 ql_error_msg(&e), g->src.line);
            else
                r = ql_error_set(err, e.code, "%s/listen: %s", where, ql_error_msg(&e));
            ql_error_clear(&e);
            host_listen_addrs_free(&a);
            return r;
        }
    }
    *ret = a;
    return 0;
}
