/* Host NIC setup for real, inside a private network (and mount) namespace: taps, a Linux
 * bridge made with `ip link add`, MAC/MTU/up, macvtaps on a veth, teardown, and the failure
 * paths leaving nothing behind; graphics listen addresses of networks. Needs root
 * (CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "domain/domain.h"
#include "domain/network.h"
#include "domain/parse.h"
#include "host/net.h"
#include "qemu/build.h"
#include "tests/testutil.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static char tmpdir[] = "/tmp/test-host-net.XXXXXX";

/* ---- helpers ---- */

static int run(const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define IP(...) run((const char *const[]){"ip", __VA_ARGS__, NULL})

/* err is about the first interface, at line (0: none), and its text is exactly msg. */
static void assert_iface_error(const struct ql_error *err, int line, const char *msg)
{
    assert_string_equal(err->where, "devices/interface[1]");
    assert_int_equal(err->line, line);
    assert_string_equal(err->msg, msg);
}

static char *sysfs_read(const char *dev, const char *attr)
{
    _cleanup_free_ char *path = xasprintf("/sys/class/net/%s/%s", dev, attr);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char buf[256] = "";
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return xstrdup(buf);
}

static char *master_of(const char *dev)
{
    _cleanup_free_ char *path = xasprintf("/sys/class/net/%s/master", dev);
    char buf[256];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    const char *slash = strrchr(buf, '/');
    return xstrdup(slash ? slash + 1 : buf);
}

static bool dev_exists(const char *dev)
{
    return if_nametoindex(dev) != 0;
}

/* Device removal after the last close is synchronous, but don't make the test flaky. */
static bool dev_gone(const char *dev)
{
    for (int i = 0; i < 200 && dev_exists(dev); i++)
        usleep(5000);
    return !dev_exists(dev);
}

/* Number of devices whose name starts with prefix (to spot leaked taps). */
static int count_prefix(const char *prefix)
{
    int n = 0;
    struct if_nameindex *ni = if_nameindex();
    assert_non_null(ni);
    for (struct if_nameindex *p = ni; p->if_index; p++)
        if (strncmp(p->if_name, prefix, strlen(prefix)) == 0)
            n++;
    if_freenameindex(ni);
    return n;
}

static unsigned tun_flags(int fd)
{
    struct ifreq ifr = {0};
    assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
    return (unsigned short)ifr.ifr_flags;
}

static struct domain *make_domain(enum dom_net_type type, const char *bridge, const char *mac,
                                  const char *target)
{
    struct domain *d = xcalloc(1, sizeof(*d));
    d->name = xstrdup("t");
    d->dev.interfaces = xcalloc(1, sizeof(struct dom_interface));
    d->dev.n_interfaces = 1;
    struct dom_interface *x = &d->dev.interfaces[0];
    x->type = type;
    x->bridge = bridge ? xstrdup(bridge) : NULL;
    x->mac = mac ? xstrdup(mac) : NULL;
    x->target_dev = target ? xstrdup(target) : NULL;
    x->src.path = xstrdup("devices/interface[1]");
    x->src.line = 33;
    return d;
}

/* ---- setup of the namespace, once ---- */

static int setup_netns(void)
{
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
        fprintf(stderr, "test-host-net: unshare(CLONE_NEWNET|CLONE_NEWNS) failed: %s "
                "(this test needs root)\n", strerror(errno));
        return -1;
    }
    /* A private /sys so /sys/class/net shows this namespace; nothing leaks to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("sysfs", "/sys", "sysfs", 0, NULL) < 0) {
        fprintf(stderr, "test-host-net: cannot remount /sys: %s\n", strerror(errno));
        return -1;
    }
    if (IP("link", "set", "lo", "up") != 0 || IP("link", "add", "br0", "type", "bridge") != 0 ||
        IP("link", "set", "br0", "mtu", "1400") != 0 || IP("link", "set", "br0", "up") != 0) {
        fprintf(stderr, "test-host-net: cannot create bridge br0 with ip(8)\n");
        return -1;
    }
    /* Something that is not a bridge (this kernel has veth but no dummy driver). */
    if (IP("link", "add", "dummy0", "type", "veth", "peer", "name", "dummy0p") != 0) {
        fprintf(stderr, "test-host-net: cannot create dummy0 with ip(8)\n");
        return -1;
    }
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "test-host-net: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- host_tap_open ---- */

static void test_tap_auto_name(void **state)
{
    (void)state;
    char *name = NULL;
    int fd = -1;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_tap_open(NULL, false, 1, &name, &fd, &err), 0);
    assert_non_null(name);
    assert_int_equal(strncmp(name, "qltap", 5), 0);
    assert_true(dev_exists(name));
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    unsigned f = tun_flags(fd);
    assert_true(f & IFF_TAP);
    assert_true(f & IFF_NO_PI);
    assert_false(f & IFF_VNET_HDR);
    assert_false(f & IFF_MULTI_QUEUE);

    /* libvirt-generated names are regenerated too */
    char *name2 = NULL;
    int fd2 = -1;
    assert_int_equal(host_tap_open("vnet7", false, 0, &name2, &fd2, &err), 0);
    assert_int_equal(strncmp(name2, "qltap", 5), 0);
    assert_string_not_equal(name, name2);
    assert_false(dev_exists("vnet7"));

    close(fd);
    close(fd2);
    assert_true(dev_gone(name));
    assert_true(dev_gone(name2));
    free(name);
    free(name2);
    assert_null(err.msg);
}

static void test_tap_vnet_hdr_multiqueue(void **state)
{
    (void)state;
    char *name = NULL;
    int fds[4];
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_tap_open("qlmq0", true, 4, &name, fds, &err), 0);
    assert_string_equal(name, "qlmq0");
    for (int i = 0; i < 4; i++) {
        assert_true(fds[i] >= 0);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(fds[i], fds[j]);
        unsigned f = tun_flags(fds[i]);
        assert_true(f & IFF_VNET_HDR);
        assert_true(f & IFF_MULTI_QUEUE);
        assert_true(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
    }
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    assert_true(dev_gone("qlmq0"));
    free(name);
}

static void test_tap_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"a/b", "has space", "tab\tx", "x%d", "a:1",
                                      "sixteen-chars-xx", ".", ""};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        char *name = NULL;
        int fd = -1;
        struct ql_error err = QL_ERROR_INIT;
        assert_int_equal(host_tap_open(bad[i], false, 1, &name, &fd, &err), -EINVAL);
        assert_null(name);
        assert_non_null(err.msg);
        assert_non_null(strstr(ql_error_msg(&err), "tap name"));
        ql_error_clear(&err);
    }
    char *name = NULL;
    int fd = -1;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_tap_open("ok", false, 257, &name, &fd, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "at most 256"));
    ql_error_clear(&err);
}

static void test_tap_name_clash(void **state)
{
    (void)state;
    char *name = NULL;
    int fd = -1;
    struct ql_error err = QL_ERROR_INIT;
    /* br0 is a bridge: never reuse, never attach */
    assert_int_equal(host_tap_open("br0", false, 1, &name, &fd, &err), -EBUSY);
    assert_string_equal(ql_error_msg(&err), "tap name 'br0' is already taken by another "
                        "network device on this host");
    assert_null(err.where);
    ql_error_clear(&err);

    /* an existing (persistent) tap is not reused either */
    assert_int_equal(IP("tuntap", "add", "dev", "qlpers0", "mode", "tap"), 0);
    assert_int_equal(host_tap_open("qlpers0", false, 1, &name, &fd, &err), -EBUSY);
    ql_error_clear(&err);
    assert_int_equal(IP("link", "del", "qlpers0"), 0);

    /* the same via host_nic_setup, with the interface located */
    struct domain *d = make_domain(DOM_NET_BRIDGE, "br0", "52:54:00:00:00:01", "dummy0");
    struct host_nic nic;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EBUSY);
    assert_iface_error(&err, 33, "tap name 'dummy0' is already taken by another network "
                       "device on this host");
    assert_null(nic.tap_name);
    assert_null(master_of("dummy0"));
    ql_error_clear(&err);
    domain_free(d);
}

/* ---- host_nic_setup ---- */

static void test_bridge_full(void **state)
{
    (void)state;
    struct domain *d = make_domain(DOM_NET_BRIDGE, "br0", "52:54:00:12:34:56", "qlt0");
    d->dev.interfaces[0].model = DOM_NIC_VIRTIO;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_null(err.msg);
    assert_string_equal(nic.tap_name, "qlt0");
    assert_int_equal(nic.n_tap_fds, 1);
    assert_true(nic.vnet_hdr);
    assert_true(tun_flags(nic.tap_fds[0]) & IFF_VNET_HDR);
    assert_string_equal(nic.bridge, "br0");
    assert_null(nic.ovs_bridge);

    _cleanup_free_ char *mac = sysfs_read("qlt0", "address");
    assert_string_equal(mac, "fe:54:00:12:34:56");
    _cleanup_free_ char *master = master_of("qlt0");
    assert_string_equal(master, "br0");
    _cleanup_free_ char *mtu = sysfs_read("qlt0", "mtu");
    assert_string_equal(mtu, "1400");     /* from the bridge */
    assert_int_equal(nic.mtu, 1400);
    _cleanup_free_ char *flags = sysfs_read("qlt0", "flags");
    assert_true(strtoul(flags, NULL, 16) & IFF_UP);

    host_nic_teardown(&nic);
    assert_null(nic.tap_name);
    assert_true(dev_gone("qlt0"));
    host_nic_teardown(&nic);    /* idempotent */
    domain_free(d);
}

static void test_bridge_mtu_mac_fe_multiqueue(void **state)
{
    (void)state;
    /* no target dev: generated name; explicit <mtu>; guest MAC already fe: -> fa: */
    struct domain *d = make_domain(DOM_NET_BRIDGE, "br0", "fe:54:00:ab:cd:ef", NULL);
    d->dev.interfaces[0].mtu = 1300;
    d->dev.interfaces[0].queues = 3;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_int_equal(strncmp(nic.tap_name, "qltap", 5), 0);
    assert_int_equal(nic.n_tap_fds, 3);
    assert_false(nic.vnet_hdr);     /* default model is not virtio */
    for (unsigned i = 0; i < 3; i++)
        assert_true(tun_flags(nic.tap_fds[i]) & IFF_MULTI_QUEUE);
    _cleanup_free_ char *mac = sysfs_read(nic.tap_name, "address");
    assert_string_equal(mac, "fa:54:00:ab:cd:ef");
    _cleanup_free_ char *mtu = sysfs_read(nic.tap_name, "mtu");
    assert_string_equal(mtu, "1300");
    _cleanup_free_ char *master = master_of(nic.tap_name);
    assert_string_equal(master, "br0");
    char *name = xstrdup(nic.tap_name);
    host_nic_teardown(&nic);
    assert_true(dev_gone(name));
    free(name);
    domain_free(d);
}

static void test_missing_bridge(void **state)
{
    (void)state;
    int before = count_prefix("qltap");
    struct domain *d = make_domain(DOM_NET_BRIDGE, "nobr0", "52:54:00:00:00:02", "qlt1");
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENODEV);
    assert_iface_error(&err, 33, "bridge 'nobr0' does not exist on this host");
    assert_string_equal(ql_error_msg(&err), "devices/interface[1]: bridge 'nobr0' does not "
                        "exist on this host (line 33)");
    assert_false(dev_exists("qlt1"));
    assert_int_equal(count_prefix("qltap"), before);
    assert_null(nic.tap_name);
    assert_null(nic.tap_fds);
    ql_error_clear(&err);

    /* without a src.path the location is made up from the index */
    free(d->dev.interfaces[0].src.path);
    d->dev.interfaces[0].src.path = NULL;
    d->dev.interfaces[0].src.line = 0;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENODEV);
    assert_iface_error(&err, 0, "bridge 'nobr0' does not exist on this host");
    assert_string_equal(ql_error_msg(&err), "devices/interface[1]: bridge 'nobr0' does not "
                        "exist on this host");
    ql_error_clear(&err);
    domain_free(d);
}

static void test_not_a_bridge(void **state)
{
    (void)state;
    struct domain *d = make_domain(DOM_NET_BRIDGE, "dummy0", "52:54:00:00:00:03", "qlt2");
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    assert_iface_error(&err, 33, "network device 'dummy0' is not a Linux bridge (driver "
                       "'veth'); for an Open vSwitch bridge add <virtualport "
                       "type='openvswitch'/>");
    assert_false(dev_exists("qlt2"));
    ql_error_clear(&err);
    domain_free(d);
}

static void test_unwind_after_tap(void **state)
{
    (void)state;
    /* The MTU is refused by the kernel after the tap exists: it must go away again. */
    struct domain *d = make_domain(DOM_NET_BRIDGE, "br0", "52:54:00:00:00:04", "qlt3");
    d->dev.interfaces[0].mtu = 70000;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    assert_string_equal(err.where, "devices/interface[1]");
    assert_string_equal(err.msg, "cannot set MTU 70000 on tap 'qlt3': Invalid argument");
    assert_true(dev_gone("qlt3"));
    assert_null(nic.tap_name);
    ql_error_clear(&err);

    /* invalid guest MAC: detected after the tap was opened, unwound as well */
    free(d->dev.interfaces[0].mac);
    d->dev.interfaces[0].mac = xstrdup("52:54:00:zz:00:04");
    d->dev.interfaces[0].mtu = 0;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EINVAL);
    assert_true(dev_gone("qlt3"));
    ql_error_clear(&err);
    domain_free(d);
}

static void test_user_network_direct(void **state)
{
    (void)state;
    struct domain *d = make_domain(DOM_NET_USER, NULL, NULL, NULL);
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_null(nic.tap_name);
    assert_null(nic.tap_fds);
    assert_int_equal(nic.n_tap_fds, 0);
    host_nic_teardown(&nic);

    d->dev.interfaces[0].type = DOM_NET_NETWORK;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EINVAL);
    assert_string_equal(err.where, "devices/interface[1]");
    assert_non_null(strstr(err.msg, "the interface has no MAC address"));
    ql_error_clear(&err);
    d->dev.interfaces[0].type = DOM_NET_DIRECT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EINVAL);
    assert_string_equal(err.where, "devices/interface[1]");
    assert_non_null(strstr(err.msg, "the interface has no MAC address"));
    ql_error_clear(&err);

    assert_int_equal(host_nic_setup(d, 1, &nic, &err), -EINVAL);
    ql_error_clear(&err);
    domain_free(d);
}

static char *write_script(const char *name, const char *body)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
    return path;
}

static void test_ethernet_script(void **state)
{
    (void)state;
    _cleanup_free_ char *out = xasprintf("%s/script.out", tmpdir);
    _cleanup_free_ char *body = xasprintf("#!/bin/sh\necho \"$1 $(cat /sys/class/net/$1/mtu) "
                                          "${QLTEST_SECRET:-clean}\" > %s\n", out);
    _cleanup_free_ char *ok = write_script("ifup-ok", body);
    setenv("QLTEST_SECRET", "leaked", 1);

    struct domain *d = make_domain(DOM_NET_ETHERNET, NULL, "52:54:00:00:00:05", "qleth0");
    d->dev.interfaces[0].script = xstrdup(ok);
    d->dev.interfaces[0].mtu = 1280;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_null(err.msg);
    assert_string_equal(nic.tap_name, "qleth0");
    assert_null(nic.bridge);
    assert_null(master_of("qleth0"));
    _cleanup_free_ char *mac = sysfs_read("qleth0", "address");
    assert_string_equal(mac, "fe:54:00:00:00:05");
    _cleanup_free_ char *mtu = sysfs_read("qleth0", "mtu");
    assert_string_equal(mtu, "1280");
    _cleanup_free_ char *flags = sysfs_read("qleth0", "flags");
    assert_true(strtoul(flags, NULL, 16) & IFF_UP);
    FILE *f = fopen(out, "re");
    assert_non_null(f);
    char line[128] = "";
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    /* the tap name as argument, run after the MTU was set, with a cleared environment */
    assert_string_equal(line, "qleth0 1280 clean\n");
    host_nic_teardown(&nic);
    assert_true(dev_gone("qleth0"));

    /* a failing script: its output in the message, the tap gone */
    _cleanup_free_ char *bad = write_script("ifup-bad", "#!/bin/sh\necho \"no way for $1\" >&2\n"
                                            "exit 3\n");
    free(d->dev.interfaces[0].script);
    d->dev.interfaces[0].script = xstrdup(bad);
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EIO);
    _cleanup_free_ char *want = xasprintf("devices/interface[1]: script '%s' for tap 'qleth0' "
                                          "exited with status 3: no way for qleth0 (line 33)",
                                          bad);
    assert_string_equal(ql_error_msg(&err), want);
    assert_true(dev_gone("qleth0"));
    ql_error_clear(&err);

    /* a script leaving a background process that holds its stdout: no waiting for it */
    _cleanup_free_ char *pidfile = xasprintf("%s/bg.pid", tmpdir);
    _cleanup_free_ char *bgbody = xasprintf("#!/bin/sh\nsleep 30 &\necho $! > %s\n", pidfile);
    _cleanup_free_ char *bg = write_script("ifup-bg", bgbody);
    free(d->dev.interfaces[0].script);
    d->dev.interfaces[0].script = xstrdup(bg);
    time_t t0 = time(NULL);
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_true(time(NULL) - t0 < 5);
    f = fopen(pidfile, "re");
    assert_non_null(f);
    long bgpid = 0;
    assert_int_equal(fscanf(f, "%ld", &bgpid), 1);
    fclose(f);
    assert_true(bgpid > 1);
    kill((pid_t)bgpid, SIGKILL);
    host_nic_teardown(&nic);
    assert_true(dev_gone("qleth0"));

    /* a script that cannot be run */
    free(d->dev.interfaces[0].script);
    d->dev.interfaces[0].script = xasprintf("%s/does-not-exist", tmpdir);
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOENT);
    assert_non_null(strstr(ql_error_msg(&err), "cannot run"));
    assert_true(dev_gone("qleth0"));
    ql_error_clear(&err);
    unsetenv("QLTEST_SECRET");
    domain_free(d);
}

static void test_ethernet_unmanaged(void **state)
{
    (void)state;
    assert_int_equal(IP("tuntap", "add", "dev", "qlpre0", "mode", "tap"), 0);
    assert_int_equal(IP("link", "set", "qlpre0", "address", "02:00:00:00:00:09"), 0);
    struct domain *d = make_domain(DOM_NET_ETHERNET, NULL, "52:54:00:00:00:06", "qlpre0");
    d->dev.interfaces[0].target_managed_no = true;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_string_equal(nic.tap_name, "qlpre0");
    assert_int_equal(nic.n_tap_fds, 1);
    _cleanup_free_ char *mac = sysfs_read("qlpre0", "address");
    assert_string_equal(mac, "02:00:00:00:00:09");   /* left alone */
    host_nic_teardown(&nic);
    assert_true(dev_exists("qlpre0"));                /* persistent: the admin's */
    assert_int_equal(IP("link", "del", "qlpre0"), 0);

    /* managed='no' for a tap that does not exist */
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    assert_non_null(strstr(ql_error_msg(&err), "tap 'qlpre0' does not exist"));
    ql_error_clear(&err);
    domain_free(d);
}

static void test_ovs_unreachable(void **state)
{
    (void)state;
    /* No ovsdb behind this OVS_RUNDIR: a clear error from ovs-vsctl (or "cannot run"),
     * and no tap. */
    _cleanup_free_ char *old = getenv("OVS_RUNDIR") ? xstrdup(getenv("OVS_RUNDIR")) : NULL;
    setenv("OVS_RUNDIR", tmpdir, 1);
    struct domain *d = make_domain(DOM_NET_BRIDGE, "ovsbr", "52:54:00:00:00:07", "qlovs9");
    d->dev.interfaces[0].vport_type = DOM_VPORT_OPENVSWITCH;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    print_message("ovs unreachable: %s\n", ql_error_msg(&err));
    assert_non_null(strstr(ql_error_msg(&err), "devices/interface[1]: "));
    assert_false(dev_exists("qlovs9"));
    ql_error_clear(&err);

    /* a bad interfaceid is refused before anything runs */
    d->dev.interfaces[0].vport.interfaceid = xstrdup("not-a-uuid\"");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "is not a UUID"));
    ql_error_clear(&err);

    /* vlan on a Linux bridge */
    d->dev.interfaces[0].vport_type = DOM_VPORT_DEFAULT;
    d->dev.interfaces[0].vlan_tags = xcalloc(1, sizeof(unsigned));
    d->dev.interfaces[0].vlan_tags[0] = 42;
    d->dev.interfaces[0].n_vlan_tags = 1;
    free(d->dev.interfaces[0].bridge);
    d->dev.interfaces[0].bridge = xstrdup("br0");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOTSUP);
    assert_non_null(strstr(ql_error_msg(&err), "<vlan>"));
    ql_error_clear(&err);
    if (old)
        setenv("OVS_RUNDIR", old, 1);
    else
        unsetenv("OVS_RUNDIR");
    domain_free(d);
}


/* ---- type='network': libvirt network definitions from files ---- */

static char *netdir;

static void write_network(const char *name, const char *body)
{
    _cleanup_free_ char *path = xasprintf("%s/%s.xml", netdir, name);
    FILE *f = fopen(path, "we");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
}

static struct domain *net_domain(const char *network, const char *portgroup, const char *tap)
{
    struct domain *d = make_domain(DOM_NET_NETWORK, NULL, "52:54:00:00:01:01", tap);
    d->dev.interfaces[0].network = xstrdup(network);
    d->dev.interfaces[0].portgroup = portgroup ? xstrdup(portgroup) : NULL;
    return d;
}

static int net_setup(void **state)
{
    (void)state;
    netdir = xasprintf("%s/networks", tmpdir);
    assert_int_equal(mkdir(netdir, 0700), 0);
    setenv("QLAUNCH_NETWORK_DIR", netdir, 1);
    /* what `virsh net-dumpxml default` prints on a stock libvirt host, bridge renamed */
    write_network("qlnat",
                  "<network>\n"
                  "  <name>qlnat</name>\n"
                  "  <uuid>0cb3b4b2-7a1b-4b3e-9a52-3d3f4d3c8e0a</uuid>\n"
                  "  <forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>\n"
                  "  <bridge name='br0' stp='on' delay='0'/>\n"
                  "  <mac address='52:54:00:0a:0b:0c'/>\n"
                  "  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
                  "    <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>\n"
                  "  </ip>\n"
                  "</network>\n");
    write_network("qlgone",
                  "<network><name>qlgone</name><forward/>"
                  "<bridge name='virbr7'/></network>");
    write_network("qlpg",
                  "<network><name>qlpg</name><forward mode='bridge'/><bridge name='br0'/>"
                  "<mtu size='1280'/>"
                  "<portgroup name='plain' default='yes'/>"
                  "<portgroup name='tagged'><vlan><tag id='42'/></vlan></portgroup>"
                  "<portgroup name='shaped'><bandwidth><inbound average='1000'/></bandwidth>"
                  "</portgroup></network>");
    write_network("qlovs",
                  "<network><name>qlovs</name><forward mode='bridge'/><bridge name='ovsbr'/>"
                  "<virtualport type='openvswitch'/>"
                  "<portgroup name='v42'><vlan><tag id='42'/></vlan></portgroup></network>");
    write_network("qlpool",
                  "<network><name>qlpool</name><forward mode='passthrough'>"
                  "<interface dev='eth9'/></forward></network>");
    write_network("qlwrong", "<network><name>other</name><bridge name='br0'/></network>");
    write_network("qldtd", "<!DOCTYPE network [<!ENTITY x 'br0'>]>"
                  "<network><name>qldtd</name><bridge name='&x;'/></network>");
    return 0;
}

static void test_network_nat_on_bridge(void **state)
{
    (void)state;
    struct domain *d = net_domain("qlnat", NULL, "qlnet0");
    d->dev.interfaces[0].model = DOM_NIC_VIRTIO;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    assert_null(err.msg);
    assert_int_equal(nic.type, DOM_NET_NETWORK);
    assert_string_equal(nic.tap_name, "qlnet0");
    assert_string_equal(nic.bridge, "br0");
    assert_null(nic.ovs_bridge);
    _cleanup_free_ char *master = master_of("qlnet0");
    assert_string_equal(master, "br0");
    _cleanup_free_ char *mac = sysfs_read("qlnet0", "address");
    assert_string_equal(mac, "fe:54:00:00:01:01");
    _cleanup_free_ char *mtu = sysfs_read("qlnet0", "mtu");
    assert_string_equal(mtu, "1400");     /* from the bridge */
    host_nic_teardown(&nic);
    assert_true(dev_gone("qlnet0"));
    domain_free(d);
}

static void test_network_portgroups(void **state)
{
    (void)state;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    /* the default portgroup (no parameters) and the network's MTU */
    struct domain *d = net_domain("qlpg", NULL, "qlnet1");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), 0);
    _cleanup_free_ char *mtu = sysfs_read("qlnet1", "mtu");
    assert_string_equal(mtu, "1280");
    assert_string_equal(nic.bridge, "br0");
    host_nic_teardown(&nic);
    assert_true(dev_gone("qlnet1"));
    domain_free(d);

    /* a VLAN from the portgroup cannot go on a Linux bridge port */
    d = net_domain("qlpg", "tagged", "qlnet1");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOTSUP);
    assert_non_null(strstr(ql_error_msg(&err), "devices/interface[1]: network 'qlpg' ("));
    assert_non_null(strstr(ql_error_msg(&err), "<vlan> needs an Open vSwitch bridge"));
    assert_false(dev_exists("qlnet1"));
    ql_error_clear(&err);
    domain_free(d);

    d = net_domain("qlpg", "shaped", "qlnet1");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOTSUP);
    assert_non_null(strstr(ql_error_msg(&err), "portgroup 'shaped' of network 'qlpg'"));
    assert_non_null(strstr(ql_error_msg(&err), "<bandwidth>"));
    ql_error_clear(&err);
    domain_free(d);

    d = net_domain("qlpg", "nosuch", "qlnet1");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOENT);
    assert_non_null(strstr(ql_error_msg(&err), "has no portgroup 'nosuch'"));
    ql_error_clear(&err);
    domain_free(d);
}

static void test_network_missing_bridge(void **state)
{
    (void)state;
    int before = count_prefix("qltap");
    struct domain *d = net_domain("qlgone", NULL, NULL);
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENODEV);
    _cleanup_free_ char *want = xasprintf("devices/interface[1]: network 'qlgone' (read from "
                                          "%s/qlgone.xml) uses bridge 'virbr7', which does not "
                                          "exist on this host; qlaunch does not start libvirt "
                                          "networks", netdir);
    print_message("%s\n", ql_error_msg(&err));
    assert_int_equal(strncmp(ql_error_msg(&err), want, strlen(want)), 0);
    assert_non_null(strstr(ql_error_msg(&err), "(line 33)"));
    assert_int_equal(count_prefix("qltap"), before);
    ql_error_clear(&err);
    domain_free(d);
}

static void test_network_lookup_errors(void **state)
{
    (void)state;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    struct domain *d = net_domain("qlnosuch", NULL, NULL);
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOENT);
    _cleanup_free_ char *want = xasprintf("network 'qlnosuch' is not defined: no "
                                          "%s/qlnosuch.xml, /etc/qlaunch/networks/qlnosuch.xml, "
                                          "/etc/libvirt/qemu/networks/qlnosuch.xml", netdir);
    assert_non_null(strstr(ql_error_msg(&err), want));
    ql_error_clear(&err);
    domain_free(d);

    static const struct {
        const char *name, *want;
        int code;
    } cases[] = {
        {"../etc/passwd", "cannot name a file", -EINVAL},
        {"qlwrong", "defines network 'other', not 'qlwrong'", -EINVAL},
        {"qldtd", "document type declarations (DOCTYPE/ENTITY) are not allowed in network XML",
         -EINVAL},
        {"qlpool", "forward mode 'passthrough'", -ENOTSUP},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        d = net_domain(cases[i].name, NULL, NULL);
        assert_int_equal(host_nic_setup(d, 0, &nic, &err), cases[i].code);
        print_message("%s\n", ql_error_msg(&err));
        assert_non_null(strstr(ql_error_msg(&err), cases[i].want));
        ql_error_clear(&err);
        domain_free(d);
    }

    /* a file over the size cap is not parsed */
    _cleanup_free_ char *big = xasprintf("%s/qlbig.xml", netdir);
    FILE *f = fopen(big, "we");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), HOST_NETWORK_XML_MAX + 1), 0);
    fclose(f);
    d = net_domain("qlbig", NULL, NULL);
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EFBIG);
    assert_non_null(strstr(ql_error_msg(&err), "over the"));
    ql_error_clear(&err);
    domain_free(d);
}

static void test_network_ovs(void **state)
{
    (void)state;
    /* The network's virtualport makes it an OVS port; no ovsdb here, so ovs-vsctl fails,
     * which shows the OVS path was taken (the real OVS run is tests/func/host-ovs.sh). */
    _cleanup_free_ char *old = getenv("OVS_RUNDIR") ? xstrdup(getenv("OVS_RUNDIR")) : NULL;
    setenv("OVS_RUNDIR", tmpdir, 1);
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    struct domain *d = net_domain("qlovs", "v42", "qlnet2");
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    print_message("%s\n", ql_error_msg(&err));
    assert_non_null(strstr(ql_error_msg(&err), "network 'qlovs'"));
    assert_non_null(strstr(ql_error_msg(&err), "ovsbr"));
    assert_false(dev_exists("qlnet2"));
    ql_error_clear(&err);
    /* an interface may not change the network's virtualport type */
    d->dev.interfaces[0].vport_type = DOM_VPORT_8021QBH;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "virtualport type '802.1Qbh' of the interface "
                           "does not match network 'qlovs'"));
    ql_error_clear(&err);
    domain_free(d);
    if (old)
        setenv("OVS_RUNDIR", old, 1);
    else
        unsetenv("OVS_RUNDIR");
}

static void test_network_parse(void **state)
{
    (void)state;
    static const char xml[] =
        "<network><name>n</name><bridge name='b'/><virtualport type='openvswitch'>"
        "<parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa3b'/></virtualport>"
        "<portgroup name='a'/><portgroup name='b' default='yes'><vlan trunk='yes'>"
        "<tag id='1'/><tag id='2'/></vlan></portgroup></network>";
    struct dom_network *n = NULL;
    struct dom_diags g = {0};
    assert_int_equal(dom_network_parse_memory(xml, sizeof(xml) - 1, &n, &g), 0);
    assert_string_equal(n->bridge, "b");
    assert_null(n->forward_mode);
    assert_string_equal(n->port.vport_type, "openvswitch");
    assert_string_equal(n->port.vport.interfaceid, "09b11c53-8b5c-4eeb-8f00-d84eaa0aaa3b");
    const struct dom_network_portgroup *pg = dom_network_portgroup(n, NULL);
    assert_non_null(pg);
    assert_string_equal(pg->name, "b");
    assert_int_equal(pg->port.n_vlan_tags, 2);
    assert_true(pg->port.vlan_trunk);
    assert_null(dom_network_portgroup(n, "c"));
    dom_network_free(n);
    dom_diags_free(&g);

    static const char bad[] = "<network><name>n</name><vlan><tag id='5000'/></vlan></network>";
    assert_int_equal(dom_network_parse_memory(bad, sizeof(bad) - 1, &n, &g), -EINVAL);
    assert_null(n);
    _cleanup_free_ char *m = dom_diag_format(&g.v[0]);
    assert_string_equal(m, "vlan/tag@id: a VLAN tag needs an id from 0 to 4095 (line 1)");
    dom_diags_free(&g);
    static const char dom[] = "<domain><name>n</name></domain>";
    assert_int_equal(dom_network_parse_memory(dom, sizeof(dom) - 1, &n, &g), -EINVAL);
    assert_non_null(strstr(g.v[0].msg, "the root element must be <network>"));
    dom_diags_free(&g);
}

/* ---- type='direct': macvtap on a veth as the lower device ---- */

/* The `ip -d -o link show` line of dev ("" if none). */
static char *ip_details(const char *dev)
{
    _cleanup_free_ char *cmd = xasprintf("ip -d -o link show dev %s 2>/dev/null", dev);
    FILE *p = popen(cmd, "re");
    assert_non_null(p);
    char buf[4096] = "";
    if (!fgets(buf, sizeof(buf), p))
        buf[0] = '\0';
    pclose(p);
    return xstrdup(buf);
}

static unsigned macvtap_major(void)
{
    FILE *f = fopen("/proc/devices", "re");
    assert_non_null(f);
    char line[128];
    unsigned maj = 0, m;
    char name[64];
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%u %63s", &m, name) == 2 && STREQ(name, "macvtap"))
            maj = m;
    fclose(f);
    return maj;
}

/* The fd is a queue of macvtap dev: its character device, and TUNGETIFF names dev. */
static void assert_macvtap_fd(int fd, const char *dev, bool vnet_hdr, bool mq)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(major(st.st_rdev), macvtap_major());
    _cleanup_free_ char *devnum = xasprintf("macvtap/tap%u/dev", if_nametoindex(dev));
    _cleanup_free_ char *want = sysfs_read(dev, devnum);
    assert_non_null(want);
    _cleanup_free_ char *have = xasprintf("%u:%u", major(st.st_rdev), minor(st.st_rdev));
    assert_string_equal(have, want);
    struct ifreq ifr = {0};
    assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
    assert_string_equal(ifr.ifr_name, dev);
    assert_true(ifr.ifr_flags & IFF_TAP);
    assert_true(ifr.ifr_flags & IFF_NO_PI);
    assert_int_equal(!!(ifr.ifr_flags & IFF_VNET_HDR), vnet_hdr);
    assert_int_equal(!!(ifr.ifr_flags & IFF_MULTI_QUEUE), mq);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static struct domain *direct_domain(const char *lower, const char *mode, const char *target)
{
    struct domain *d = make_domain(DOM_NET_DIRECT, NULL, "52:54:00:aa:bb:01", target);
    d->dev.interfaces[0].source_dev = xstrdup(lower);
    d->dev.interfaces[0].source_mode = mode ? dom_net_source_mode_from_string(mode) : 0;
    return d;
}

/* A kernel without CONFIG_MACVTAP fails here with the reason, on purpose: qlaunch
 * supports macvtap and the test must show when a host cannot. */
#define SETUP_OK(d, nic, err)                                                              \
    do {                                                                                   \
        int r_ = host_nic_setup(d, 0, nic, err);                                           \
        if (r_ != 0)                                                                       \
            fail_msg("host_nic_setup failed (%d): %s", r_, ql_error_msg(err));             \
    } while (0)

static int direct_setup(void **state)
{
    (void)state;
    if (!dev_exists("qlv0")) {
        assert_int_equal(IP("link", "add", "qlv0", "type", "veth", "peer", "name", "qlv0p"), 0);
        assert_int_equal(IP("link", "set", "qlv0", "address", "02:00:00:00:0e:01"), 0);
        assert_int_equal(IP("link", "set", "qlv0", "up"), 0);
    }
    return 0;
}

static void test_direct_modes(void **state)
{
    (void)state;
    static const struct {
        const char *xml, *ip;
    } modes[] = {{"vepa", "vepa"}, {NULL, "vepa"}, {"bridge", "bridge"},
                 {"private", "private"}};
    for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
        struct domain *d = direct_domain("qlv0", modes[i].xml, "qlmv0");
        d->dev.interfaces[0].model = DOM_NIC_VIRTIO;
        struct host_nic nic;
        struct ql_error err = QL_ERROR_INIT;
        SETUP_OK(d, &nic, &err);
        assert_null(err.msg);
        assert_int_equal(nic.type, DOM_NET_DIRECT);
        assert_string_equal(nic.tap_name, "qlmv0");
        assert_string_equal(nic.lower_dev, "qlv0");
        assert_true(nic.macvtap);
        assert_null(nic.bridge);
        assert_int_equal(nic.n_tap_fds, 1);
        assert_true(nic.vnet_hdr);
        assert_macvtap_fd(nic.tap_fds[0], "qlmv0", true, false);

        _cleanup_free_ char *ipd = ip_details("qlmv0");
        print_message("%s", ipd);
        _cleanup_free_ char *want = xasprintf("macvtap mode %s ", modes[i].ip);
        assert_non_null(strstr(ipd, want));
        assert_non_null(strstr(ipd, "qlmv0@qlv0:"));
        /* the guest's own MAC, not the 0xFE tap address */
        _cleanup_free_ char *mac = sysfs_read("qlmv0", "address");
        assert_string_equal(mac, "52:54:00:aa:bb:01");
        _cleanup_free_ char *flags = sysfs_read("qlmv0", "flags");
        assert_true(strtoul(flags, NULL, 16) & IFF_UP);

        host_nic_teardown(&nic);
        assert_null(nic.tap_name);
        assert_false(nic.macvtap);
        assert_true(dev_gone("qlmv0"));
        assert_true(dev_exists("qlv0"));
        host_nic_teardown(&nic);
        domain_free(d);
    }
}

static void test_direct_auto_name_queues(void **state)
{
    (void)state;
    /* a libvirt-generated name is regenerated; a non-virtio NIC gets no vnet header (a
     * macvtap queue starts with one); <mtu>; two queues are two opens */
    struct domain *d = direct_domain("qlv0", "bridge", "macvtap3");
    d->dev.interfaces[0].queues = 2;
    d->dev.interfaces[0].mtu = 1400;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    SETUP_OK(d, &nic, &err);
    assert_string_equal(nic.tap_name, "qlmvt0");
    assert_false(dev_exists("macvtap3"));
    assert_false(nic.vnet_hdr);
    assert_int_equal(nic.n_tap_fds, 2);
    assert_int_not_equal(nic.tap_fds[0], nic.tap_fds[1]);
    for (unsigned q = 0; q < 2; q++)
        assert_macvtap_fd(nic.tap_fds[q], "qlmvt0", false, true);
    _cleanup_free_ char *mtu = sysfs_read("qlmvt0", "mtu");
    assert_string_equal(mtu, "1400");
    assert_int_equal(nic.mtu, 1400);

    /* the same MAC twice on one lower device: the kernel refuses to bring it up */
    struct host_nic nic2;
    assert_int_equal(host_nic_setup(d, 0, &nic2, &err), -EADDRINUSE);
    assert_iface_error(&err, 33, "cannot bring macvtap 'qlmvt1' up: MAC address "
                       "52:54:00:aa:bb:01 is already used on 'qlv0' (by another "
                       "macvlan/macvtap or the device itself)");
    assert_true(dev_gone("qlmvt1"));
    ql_error_clear(&err);
    /* the next one takes the next free number */
    free(d->dev.interfaces[0].mac);
    d->dev.interfaces[0].mac = xstrdup("52:54:00:aa:bb:02");
    SETUP_OK(d, &nic2, &err);
    assert_string_equal(nic2.tap_name, "qlmvt1");
    host_nic_teardown(&nic2);
    host_nic_teardown(&nic);
    assert_true(dev_gone("qlmvt0"));
    assert_true(dev_gone("qlmvt1"));
    domain_free(d);
}

static void test_direct_passthrough(void **state)
{
    (void)state;
    /* passthrough: the guest MAC moves to the lower device while the macvtap exists, and
     * the kernel puts the old one back when it goes */
    struct domain *d = direct_domain("qlv0", "passthrough", "qlmv1");
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    SETUP_OK(d, &nic, &err);
    _cleanup_free_ char *ipd = ip_details("qlmv1");
    assert_non_null(strstr(ipd, "macvtap mode passthru "));
    _cleanup_free_ char *mac = sysfs_read("qlmv1", "address");
    assert_string_equal(mac, "52:54:00:aa:bb:01");
    _cleanup_free_ char *lmac = sysfs_read("qlv0", "address");
    assert_string_equal(lmac, "52:54:00:aa:bb:01");

    /* only one link in passthrough mode: a second fails, names why, leaves nothing */
    struct domain *d2 = direct_domain("qlv0", "bridge", "qlmv2");
    struct host_nic nic2;
    assert_true(host_nic_setup(d2, 0, &nic2, &err) < 0);
    print_message("%s\n", ql_error_msg(&err));
    assert_iface_error(&err, 33, "cannot create macvtap 'qlmv2' on 'qlv0' in mode 'bridge' "
                       "(a passthrough macvtap must be the only macvlan/macvtap link of its "
                       "device): Invalid argument");
    assert_false(dev_exists("qlmv2"));
    ql_error_clear(&err);
    domain_free(d2);

    host_nic_teardown(&nic);
    assert_true(dev_gone("qlmv1"));
    _cleanup_free_ char *back = sysfs_read("qlv0", "address");
    assert_string_equal(back, "02:00:00:00:0e:01");
    domain_free(d);
}

static void test_direct_errors(void **state)
{
    (void)state;
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    struct domain *d = direct_domain("eth9", "vepa", NULL);
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENODEV);
    assert_iface_error(&err, 33, "source device 'eth9' does not exist on this host");
    assert_null(nic.tap_name);
    ql_error_clear(&err);
    domain_free(d);

    /* an existing device is never taken over */
    d = direct_domain("qlv0", "bridge", "dummy0");
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EBUSY);
    assert_iface_error(&err, 33, "macvtap name 'dummy0' is already taken by another network "
                       "device on this host");
    ql_error_clear(&err);
    _cleanup_free_ char *ipd = ip_details("dummy0");
    assert_null(strstr(ipd, "macvtap"));
    domain_free(d);

    /* refused by the kernel at creation: an MTU above the lower device's */
    d = direct_domain("qlv0", "bridge", "qlmv3");
    d->dev.interfaces[0].mtu = 9000;
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    assert_non_null(strstr(ql_error_msg(&err), "cannot create macvtap 'qlmv3' on 'qlv0'"));
    assert_non_null(strstr(ql_error_msg(&err), "<mtu> must not exceed the device's MTU"));
    assert_false(dev_exists("qlmv3"));
    ql_error_clear(&err);
    domain_free(d);

    /* what a macvtap cannot have */
    d = direct_domain("qlv0", "bridge", "qlmv3");
    d->dev.interfaces[0].vport_type = DOM_VPORT_8021QBH;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOTSUP);
    assert_non_null(strstr(ql_error_msg(&err), "virtualport type '802.1Qbh'"));
    ql_error_clear(&err);
    d->dev.interfaces[0].vport_type = DOM_VPORT_DEFAULT;
    d->dev.interfaces[0].target_managed_no = true;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -ENOTSUP);
    ql_error_clear(&err);
    d->dev.interfaces[0].target_managed_no = false;
    free(d->dev.interfaces[0].mac);
    d->dev.interfaces[0].mac = NULL;
    assert_int_equal(host_nic_setup(d, 0, &nic, &err), -EINVAL);
    assert_non_null(strstr(ql_error_msg(&err), "has no MAC address"));
    ql_error_clear(&err);
    assert_false(dev_exists("qlmv3"));
    domain_free(d);

    /* teardown leaves a device that is no macvtap alone, even under the recorded name */
    struct host_nic fake = HOST_NIC_INIT;
    fake.type = DOM_NET_DIRECT;
    fake.macvtap = true;
    fake.tap_name = xstrdup("dummy0");
    host_nic_teardown(&fake);
    assert_true(dev_exists("dummy0"));
}

/* /dev without the tapN node (no devtmpfs, no udev) or with another namespace's node of
 * the same name: a private node is made and removed again. Runs on a tmpfs over /dev in
 * this test's own mount namespace. */
static void test_direct_dev_node(void **state)
{
    (void)state;
    assert_int_equal(mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"), 0);
    struct domain *d = direct_domain("qlv0", "bridge", "qlmv4");
    struct host_nic nic;
    struct ql_error err = QL_ERROR_INIT;
    SETUP_OK(d, &nic, &err);
    assert_macvtap_fd(nic.tap_fds[0], "qlmv4", false, false);
    DIR *dir = opendir("/dev");
    assert_non_null(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(dir));)
        if (!STREQ(e->d_name, ".") && !STREQ(e->d_name, ".."))
            entries++;
    closedir(dir);
    assert_int_equal(entries, 0);     /* nothing left behind */
    host_nic_teardown(&nic);
    assert_true(dev_gone("qlmv4"));

    /* a /dev/tapN that is some other device (here /dev/null's number) is not used: the
     * kernel hands out the next ifindex, so the decoy is put where the next macvtap's
     * node goes */
    SETUP_OK(d, &nic, &err);
    unsigned idx = if_nametoindex("qlmv4");
    host_nic_teardown(&nic);
    assert_true(dev_gone("qlmv4"));
    _cleanup_free_ char *path = xasprintf("/dev/tap%u", idx + 1);
    assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(1, 3)), 0);
    SETUP_OK(d, &nic, &err);
    assert_int_equal(if_nametoindex("qlmv4"), idx + 1);
    assert_macvtap_fd(nic.tap_fds[0], "qlmv4", false, false);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_rdev == makedev(1, 3));     /* the decoy was left alone */
    host_nic_teardown(&nic);
    assert_true(dev_gone("qlmv4"));
    unlink(path);

    /* a read-only /dev: the node cannot be made, after the link was created: unwound */
    assert_int_equal(mount(NULL, "/dev", NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
    assert_true(host_nic_setup(d, 0, &nic, &err) < 0);
    print_message("%s\n", ql_error_msg(&err));
    assert_string_equal(err.where, "devices/interface[1]");
    assert_non_null(strstr(err.msg, "cannot create the character device "));
    assert_non_null(strstr(ql_error_msg(&err), "of macvtap 'qlmv4'"));
    assert_true(dev_gone("qlmv4"));
    assert_null(nic.tap_name);
    ql_error_clear(&err);
    assert_int_equal(umount2("/dev", MNT_DETACH), 0);
    domain_free(d);
}

/* ---- graphics <listen type='network'> ---- */

static void test_listen_network(void **state)
{
    (void)state;
    char *addr = NULL;
    struct ql_error err = QL_ERROR_INIT;
    /* nat: the network's <ip>, whether or not the bridge is up */
    assert_int_equal(host_network_listen_address("qlnat", &addr, &err), 0);
    assert_string_equal(addr, "192.168.122.1");
    free(addr);
    /* bridge mode: the bridge's IPv4 address */
    assert_int_equal(IP("addr", "add", "10.9.8.1/24", "dev", "br0"), 0);
    assert_int_equal(host_network_listen_address("qlpg", &addr, &err), 0);
    assert_string_equal(addr, "10.9.8.1");
    free(addr);
    assert_int_equal(IP("addr", "del", "10.9.8.1/24", "dev", "br0"), 0);

    static const struct {
        const char *name, *want;
    } bad[] = {
        {"qlpg", "network 'qlpg' (%s/qlpg.xml): device 'br0' has no IPv4 address"},
        {"qlgone", "network 'qlgone' (%s/qlgone.xml) has no <ip address>, which a graphics "
                   "<listen type='network'> listens on"},
        {"qlpool", "network 'qlpool' (%s/qlpool.xml): device 'eth9' does not exist on this "
                   "host"},
        {"qlbrgone", "network 'qlbrgone' (%s/qlbrgone.xml): device 'virbr9' does not exist "
                     "on this host"},
        {"qlbadip", "network 'qlbadip' (%s/qlbadip.xml): <ip address='1.2.3'> is not an IP "
                    "address"},
    };
    write_network("qlbrgone", "<network><name>qlbrgone</name><forward mode='bridge'/>"
                  "<bridge name='virbr9'/></network>");
    write_network("qlbadip", "<network><name>qlbadip</name><ip address='1.2.3'/></network>");
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_true(host_network_listen_address(bad[i].name, &addr, &err) < 0);
        assert_null(addr);
        /* the table's %s is the network directory */
        const char *pct = strstr(bad[i].want, "%s");
        assert_non_null(pct);
        _cleanup_free_ char *want = xasprintf("%.*s%s%s", (int)(pct - bad[i].want),
                                              bad[i].want, netdir, pct + 2);
        print_message("%s\n", ql_error_msg(&err));
        assert_int_equal(strncmp(ql_error_msg(&err), want, strlen(want)), 0);
        ql_error_clear(&err);
    }
    assert_int_equal(host_network_listen_address("qlnosuch", &addr, &err), -ENOENT);
    assert_non_null(strstr(ql_error_msg(&err), "network 'qlnosuch' is not defined"));
    ql_error_clear(&err);
}

static void test_listen_network_build(void **state)
{
    (void)state;
    static const char xml[] =
        "<domain type='qemu'>\n"
        "  <name>t</name>\n"
        "  <uuid>b3c40c40-d5c6-11e3-b22d-008cfa0c6caa</uuid>\n"
        "  <memory unit='MiB'>64</memory>\n"
        "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
        "  <devices>\n"
        "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <graphics type='vnc' autoport='yes'>\n"
        "      <listen type='network' network='qlnat' address='10.0.0.99'/>\n"
        "    </graphics>\n"
        "    <graphics type='spice' port='5999'>\n"
        "      <listen type='network' network='qlnosuch'/>\n"
        "    </graphics>\n"
        "  </devices>\n"
        "</domain>\n";
    struct domain *d = tu_domain(xml);
    struct host_listen_addrs la;
    struct ql_error err = QL_ERROR_INIT;
    /* the second one names its element and line */
    assert_int_equal(host_gfx_listen_resolve(d, &la, &err), -ENOENT);
    print_message("%s\n", ql_error_msg(&err));
    static const char want[] = "devices/graphics[2]/listen: network 'qlnosuch' is not defined";
    assert_int_equal(strncmp(ql_error_msg(&err), want, strlen(want)), 0);
    assert_non_null(strstr(ql_error_msg(&err), "(line 11)"));
    assert_string_equal(err.where, "devices/graphics[2]/listen");
    assert_int_equal(err.line, 11);
    assert_null(la.v);
    ql_error_clear(&err);

    free(d->dev.graphics[1].listens[0].network);
    d->dev.graphics[1].listens[0].network = xstrdup("qlnat");
    assert_int_equal(host_gfx_listen_resolve(d, &la, &err), 0);
    assert_int_equal(la.n, 2);
    assert_string_equal(la.v[0], "192.168.122.1");
    struct qb_options o = {.qmp_fd = 3, .first_fd = 4,
                           .gfx_listen_addr = (const char *const *)la.v};
    struct qb_result res;
    assert_int_equal(qb_build(d, &o, &res, &err), 0);
    bool vnc = false, spice = false;
    for (size_t i = 0; i + 1 < res.argv.n; i++) {
        if (STREQ(res.argv.v[i], "-vnc")) {
            assert_int_equal(strncmp(res.argv.v[i + 1], "192.168.122.1:0,to=99,", 22), 0);
            vnc = true;
        }
        if (STREQ(res.argv.v[i], "-spice")) {
            assert_int_equal(strncmp(res.argv.v[i + 1], "port=5999,addr=192.168.122.1,", 29),
                             0);
            spice = true;
        }
    }
    assert_true(vnc && spice);
    assert_string_equal(res.displays[0].host, "192.168.122.1");
    qb_result_free(&res);
    host_listen_addrs_free(&la);
    host_listen_addrs_free(&la);
    domain_free(d);
}

int main(void)
{
    if (setup_netns() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tap_auto_name),
        cmocka_unit_test(test_tap_vnet_hdr_multiqueue),
        cmocka_unit_test(test_tap_bad_names),
        cmocka_unit_test(test_tap_name_clash),
        cmocka_unit_test(test_bridge_full),
        cmocka_unit_test(test_bridge_mtu_mac_fe_multiqueue),
        cmocka_unit_test(test_missing_bridge),
        cmocka_unit_test(test_not_a_bridge),
        cmocka_unit_test(test_unwind_after_tap),
        cmocka_unit_test(test_user_network_direct),
        cmocka_unit_test(test_ethernet_script),
        cmocka_unit_test(test_ethernet_unmanaged),
        cmocka_unit_test(test_ovs_unreachable),
        cmocka_unit_test_setup(test_network_nat_on_bridge, net_setup),
        cmocka_unit_test(test_network_portgroups),
        cmocka_unit_test(test_network_missing_bridge),
        cmocka_unit_test(test_network_lookup_errors),
        cmocka_unit_test(test_network_ovs),
        cmocka_unit_test(test_network_parse),
        cmocka_unit_test(test_listen_network),
        cmocka_unit_test(test_listen_network_build),
        cmocka_unit_test_setup(test_direct_modes, direct_setup),
        cmocka_unit_test_setup(test_direct_auto_name_queues, direct_setup),
        cmocka_unit_test_setup(test_direct_passthrough, direct_setup),
        cmocka_unit_test_setup(test_direct_errors, direct_setup),
        cmocka_unit_test_setup(test_direct_dev_node, direct_setup),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    const char *const rm[] = {"rm", "-rf", tmpdir, NULL};
    run(rm);
    free(netdir);
    /* The namespace and every device in it vanish with this process. */
    return r;
}
