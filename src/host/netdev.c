/* Interface names and netdevice ioctls (MAC, MTU, link up, driver): these work in the
 * caller's network namespace, unlike /sys, which belongs to whoever mounted it. */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if_arp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

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

bool host_is_generated_name(const char *name)
{
    static const char *const prefixes[] = {"vnet", "macvtap", "macvlan"};
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

void host_ifr_set_name(struct ifreq *ifr, const char *name)
{
    size_t n = strlen(name);
    if (n > IFNAMSIZ - 1)
        n = IFNAMSIZ - 1;
    memcpy(ifr->ifr_name, name, n);
    ifr->ifr_name[n] = '\0';
}

int host_ctl_socket(struct ql_error *err)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ql_error_errno(err, errno, "cannot create a control socket");
    return fd;
}

bool host_netdev_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

void host_netdev_driver(int sock, const char *name, char *buf, size_t len)
{
    struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, name);
    ifr.ifr_data = (void *)&info;
    buf[0] = '\0';
    if (ioctl(sock, SIOCETHTOOL, &ifr) < 0)
        return;
    snprintf(buf, len, "%.*s", (int)sizeof(info.driver), info.driver);
}

int host_netdev_set_mac(int sock, const char *name, const unsigned char mac[6],
                          struct ql_error *err)
{
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, name);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
    if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
        return ql_error_errno(err, errno, "cannot set MAC address "
                              "%02x:%02x:%02x:%02x:%02x:%02x on tap '%s'", mac[0], mac[1],
                              mac[2], mac[3], mac[4], mac[5], name);
    return 0;
}

int host_netdev_get_mtu(int sock, const char *name, unsigned *ret)
{
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, name);
    if (ioctl(sock, SIOCGIFMTU, &ifr) < 0)
        return -errno;
    *ret = (unsigned)ifr.ifr_mtu;
    return 0;
}

int host_netdev_set_mtu(int sock, const char *name, unsigned mtu, struct ql_error *err)
{
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, name);
    if (mtu > INT32_MAX)
        return ql_error_set(err, EINVAL, "MTU %u is out of range", mtu);
    ifr.ifr_mtu = (int)mtu;
    if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
        return ql_error_errno(err, errno, "cannot set MTU %u on tap '%s'", mtu, name);
    return 0;
}

int host_netdev_set_up(int sock, const char *name, struct ql_error *err)
{
    struct ifreq ifr = {0};
    host_ifr_set_name(&ifr, name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return ql_error_errno(err, errno, "cannot read the flags of '%s'", name);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return ql_error_errno(err, errno, "cannot bring tap '%s' up", name);
    return 0;
}

int host_parse_mac(const char *s, unsigned char ret[6])
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

bool host_model_is_virtio(const char *model)
{
    return model && strncmp(model, "virtio", 6) == 0;
}

void host_close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

int host_nic_queues(const struct dom_interface *ifc, const char *what, unsigned *ret,
                    struct ql_error *err)
{
    unsigned queues = ifc->queues ? ifc->queues : 1;
    if (queues > HOST_TAP_MAX_QUEUES)
        return ql_error_set(err, EINVAL, "%u queues requested; %s allows at most %u", queues,
                            what, HOST_TAP_MAX_QUEUES);
    *ret = queues;
    return 0;
}
