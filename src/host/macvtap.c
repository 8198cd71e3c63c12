/* type='direct': a macvtap link on the source device, created over rtnetlink in the
 * <source mode>, with the guest MAC, and its character device /dev/tapIFINDEX opened once
 * per queue (libvirt's virNetDevMacVLanCreateWithVPortProfile). */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

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
    struct host_nl_req req;
    host_nl_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    host_nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
    uint32_t link = lower_ifindex;
    host_nl_attr(&req, IFLA_LINK, &link, sizeof(link));
    /* In passthrough mode the kernel gives the macvtap the lower device's address and
     * ignores this one; the caller sets it afterwards. */
    host_nl_attr(&req, IFLA_ADDRESS, mac, 6);
    if (mtu) {
        uint32_t m = mtu;
        host_nl_attr(&req, IFLA_MTU, &m, sizeof(m));
    }
    struct rtattr *info = host_nl_attr(&req, IFLA_LINKINFO, NULL, 0);
    host_nl_attr(&req, IFLA_INFO_KIND, "macvtap", strlen("macvtap"));
    struct rtattr *data = host_nl_attr(&req, IFLA_INFO_DATA, NULL, 0);
    host_nl_attr(&req, IFLA_MACVLAN_MODE, &mode, sizeof(mode));
    host_nl_nest_end(&req, data);
    host_nl_nest_end(&req, info);
    return host_nl_talk(&req.h, NULL, 0);
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
        return ql_error_errno(err, errno, "cannot stat '%s'", path);
    if (!S_ISCHR(st.st_mode) || (have_want && st.st_rdev != want))
        return ql_error_set(err, ENODEV, "'%s' is not the character device of macvtap '%s'",
                            path, name);
    struct ifreq ifr = {0};
    if (ioctl(fd, TUNGETIFF, &ifr) < 0)
        return ql_error_errno(err, errno, "'%s' is not a macvtap device", path);
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
            return ql_error_errno(err, errno, "cannot create the character device %u:%u of "
                                  "macvtap '%s' at '%s' (%s is missing or not it)",
                                  major(want), minor(want), name, made, devpath);
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
            r = ql_error_errno(err, errno, "cannot open '%s' (queue %u of macvtap '%s'%s)",
                               path, q + 1, name, have_want ? "" :
                               "; its device number is not in /sys/class/net: is /sys mounted "
                               "for this network namespace?");
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
            r = ql_error_errno(err, errno, "cannot set the flags of macvtap '%s' (queue %u)",
                               name, q + 1);
            goto fail;
        }
    }
    if (made)
        (void)unlink(made);
    return 0;
fail:
    if (made)
        (void)unlink(made);
    host_close_fds(fds, queues);
    return r;
}

int host_setup_direct(const struct dom_interface *ifc, struct host_nic *nic,
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
    unsigned queues;
    if ((r = host_nic_queues(ifc, "a macvtap", &queues, err)) < 0)
        return r;
    unsigned char mac[6];
    if (host_parse_mac(ifc->mac, mac) < 0)
        return ql_error_set(err, EINVAL, "MAC address '%s' is not valid", ifc->mac);
    unsigned lower = if_nametoindex(ifc->source_dev);
    if (!lower)
        return ql_error_set(err, ENODEV, "source device '%s' does not exist on this host",
                            ifc->source_dev);
    bool automatic = !ifc->target_dev || host_is_generated_name(ifc->target_dev);
    if (!automatic) {
        if ((r = host_ifname_check(ifc->target_dev, "macvtap name", err)) < 0)
            return r;
        if (host_netdev_exists(ifc->target_dev))
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
            if (host_netdev_exists(name))
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
        return ql_error_errno(err, EINVAL, "cannot create macvtap '%s' on '%s' in mode '%s' "
                              "(a passthrough macvtap must be the only macvlan/macvtap link of "
                              "its device%s)", name, ifc->source_dev,
                              source_mode ? source_mode : "vepa",
                              ifc->mtu ? ", and <mtu> must not exceed the device's MTU" : "");
    if (r < 0)
        return ql_error_errno(err, -r, "cannot create macvtap '%s' on '%s' in mode '%s'",
                              name, ifc->source_dev, source_mode ? source_mode : "vepa");
    nic->tap_name = xstrdup(name);
    nic->macvtap = true;
    nic->lower_dev = xstrdup(ifc->source_dev);
    memcpy(nic->tap_mac, mac, 6);
    if (ifc->mtu)
        nic->mtu = ifc->mtu;
    _cleanup_close_ int sock = host_ctl_socket(err);
    if (sock < 0)
        return sock;
    if (mode == MACVLAN_MODE_PASSTHRU &&
        (r = host_netdev_set_mac(sock, name, mac, err)) < 0)
        return r;
    nic->vnet_hdr = host_model_is_virtio(dom_nic_model_to_string(ifc->model));
    nic->tap_fds = xcalloc(queues, sizeof(int));
    nic->n_tap_fds = queues;
    if ((r = macvtap_open(name, nic->vnet_hdr, queues, nic->tap_fds, err)) < 0)
        return r;
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) == 0)
            return 0;
    }
    if (errno == EADDRINUSE)
        return ql_error_set(err, EADDRINUSE, "cannot bring macvtap '%s' up: MAC address %s "
                            "is already used on '%s' (by another macvlan/macvtap or the "
                            "device itself)", name, ifc->mac, ifc->source_dev);
    return ql_error_errno(err, errno, "cannot bring macvtap '%s' up", name);
}
