/* Taps: non-persistent /dev/net/tun devices (host_tap_open), the tap of a NIC (MAC, MTU),
 * and type='ethernet' with its <script>. */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/argv.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

int host_tap_open(const char *want_name, bool vnet_hdr, unsigned queues, char **ret_name,
                  int *ret_fds, struct ql_error *err)
{
    if (queues == 0)
        queues = 1;
    if (queues > HOST_TAP_MAX_QUEUES)
        return ql_error_set(err, EINVAL, "%u tap queues requested; Linux allows at most %u",
                            queues, HOST_TAP_MAX_QUEUES);
    bool automatic = !want_name || host_is_generated_name(want_name);
    char name[IFNAMSIZ];
    if (automatic) {
        snprintf(name, sizeof(name), "%s%%d", HOST_TAP_AUTO_PREFIX);
    } else {
        int r = host_ifname_check(want_name, "tap name", err);
        if (r < 0)
            return r;
        snprintf(name, sizeof(name), "%s", want_name);
        /* libvirt refuses an existing device too; IFF_TUN_EXCL below closes the race. */
        if (host_netdev_exists(name))
            return ql_error_set(err, EBUSY, "tap name '%s' is already taken by another network "
                                "device on this host", name);
    }

    for (unsigned q = 0; q < queues; q++)
        ret_fds[q] = -1;
    int r = 0;
    for (unsigned q = 0; q < queues; q++) {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            r = ql_error_errno(err, errno, "cannot open /dev/net/tun");
            goto fail;
        }
        ret_fds[q] = fd;
        struct ifreq ifr = {0};
        host_ifr_set_name(&ifr, name);
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
                r = ql_error_errno(err, e, "cannot create tap '%s'", name);
            else
                r = ql_error_errno(err, e, "cannot open queue %u of tap '%s'", q + 1, name);
            goto fail;
        }
        if (q == 0)
            snprintf(name, sizeof(name), "%.*s", IFNAMSIZ - 1, ifr.ifr_name);
    }
    *ret_name = xstrdup(name);
    return 0;
fail:
    host_close_fds(ret_fds, queues);
    return r;
}

#define VHOST_NET "/dev/vhost-net"

bool host_vhost_net_usable(void)
{
    int fd = open(VHOST_NET, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

int host_vhost_net_open(struct host_nic *nic, struct ql_error *err)
{
    int fd = open(VHOST_NET, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot open %s (modprobe vhost_net)", VHOST_NET);
    nic->vhost_fds = xrealloc(nic->vhost_fds, (nic->n_vhost_fds + 1) * sizeof(int));
    nic->vhost_fds[nic->n_vhost_fds++] = fd;
    return fd;
}

int host_nic_open_tap(int sock, const struct dom_interface *ifc, struct host_nic *nic,
                      struct ql_error *err)
{
    unsigned queues;
    int r = host_nic_queues(ifc, "a tap", &queues, err);
    if (r < 0)
        return r;
    nic->vnet_hdr = host_model_is_virtio(dom_nic_model_to_string(ifc->model));
    int *fds = xcalloc(queues, sizeof(int));
    r = host_tap_open(ifc->target_dev, nic->vnet_hdr, queues, &nic->tap_name, fds, err);
    if (r < 0) {
        free(fds);
        return r;
    }
    nic->tap_fds = fds;
    nic->n_tap_fds = queues;

    unsigned char guest[6];
    if (host_parse_mac(ifc->mac, guest) < 0)
        return ql_error_set(err, EINVAL, "MAC address '%s' is not valid", ifc->mac);
    memcpy(nic->tap_mac, guest, 6);
    nic->tap_mac[0] = guest[0] == 0xFE ? 0xFA : 0xFE;
    return host_netdev_set_mac(sock, nic->tap_name, nic->tap_mac, err);
}

int host_nic_set_mtu(int sock, const struct dom_interface *ifc, const char *bridge,
                     struct host_nic *nic, struct ql_error *err)
{
    unsigned mtu = ifc->mtu;
    if (!mtu && bridge && host_netdev_get_mtu(sock, bridge, &mtu) < 0)
        mtu = 0;    /* an OVS bridge need not have a kernel device: keep the default */
    if (!mtu)
        return 0;
    int r = host_netdev_set_mtu(sock, nic->tap_name, mtu, err);
    if (r == 0)
        nic->mtu = mtu;
    return r;
}

static int run_script(const char *script, const char *tap, struct ql_error *err)
{
    /* libvirt runs it with a cleared environment apart from the common variables */
    static const char *const pass[] = {"HOME", "USER", "LOGNAME", "TMPDIR"};
    struct argv env = ARGV_INIT;
    const char *path = getenv("PATH");
    argv_take(&env, xasprintf("PATH=%s", path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"));
    argv_add(&env, "LC_ALL=C");
    for (size_t i = 0; i < ARRAY_SIZE(pass); i++) {
        const char *v = getenv(pass[i]);
        if (v)
            argv_take(&env, xasprintf("%s=%s", pass[i], v));
    }
    char *argv[] = {(char *)script, (char *)tap, NULL};
    _cleanup_free_ char *desc = xasprintf("script '%s' for tap '%s'", script, tap);
    int r = host_run_checked(argv, env.v, HOST_SCRIPT_TIMEOUT_MS, desc, err);
    argv_free(&env);
    return r;
}

/* <target managed='no'>: a tap the admin created and configured; it is opened and nothing
 * about it changed (libvirt). */
static int open_existing_tap(const struct dom_interface *ifc, struct host_nic *nic,
                             struct ql_error *err)
{
    if (!ifc->target_dev)
        return ql_error_set(err, EINVAL, "<target managed='no'> needs <target dev>");
    int r = host_ifname_check(ifc->target_dev, "tap name", err);
    if (r < 0)
        return r;
    if (!host_netdev_exists(ifc->target_dev))
        return ql_error_set(err, ENODEV, "tap '%s' does not exist on this host "
                            "(<target managed='no'> uses an existing tap)", ifc->target_dev);
    unsigned queues;
    if ((r = host_nic_queues(ifc, "a tap", &queues, err)) < 0)
        return r;
    nic->vnet_hdr = host_model_is_virtio(dom_nic_model_to_string(ifc->model));
    nic->tap_fds = xcalloc(queues, sizeof(int));
    for (unsigned q = 0; q < queues; q++)
        nic->tap_fds[q] = -1;
    nic->n_tap_fds = queues;
    nic->tap_name = xstrdup(ifc->target_dev);
    for (unsigned q = 0; q < queues; q++) {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
            return ql_error_errno(err, errno, "cannot open /dev/net/tun");
        nic->tap_fds[q] = fd;
        struct ifreq ifr = {0};
        host_ifr_set_name(&ifr, ifc->target_dev);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (nic->vnet_hdr ? IFF_VNET_HDR : 0) |
                        (queues > 1 ? IFF_MULTI_QUEUE : 0);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
            return ql_error_errno(err, errno, "cannot open existing tap '%s'", ifc->target_dev);
    }
    return 0;
}

int host_setup_ethernet(const struct dom_interface *ifc, struct host_nic *nic,
                        struct ql_error *err)
{
    if (ifc->vport_type)
        return ql_error_set(err, ENOTSUP, "<virtualport> is not supported with type='ethernet'");
    if (ifc->n_vlan_tags)
        return ql_error_set(err, ENOTSUP, "<vlan> is not supported with type='ethernet'");
    if (ifc->script && !*ifc->script)
        return ql_error_set(err, EINVAL, "<script path> is empty");
    int r;
    if (ifc->target_managed_no) {
        r = open_existing_tap(ifc, nic, err);
    } else {
        _cleanup_close_ int sock = host_ctl_socket(err);
        if (sock < 0)
            return sock;
        if ((r = host_nic_open_tap(sock, ifc, nic, err)) == 0 &&
            (r = host_nic_set_mtu(sock, ifc, NULL, nic, err)) == 0)
            r = host_netdev_set_up(sock, nic->tap_name, err);
    }
    if (r < 0)
        return r;
    if (ifc->script)
        return run_script(ifc->script, nic->tap_name, err);
    return 0;
}
