/* rtnetlink link requests (RTM_NEWLINK/GETLINK/DELLINK) over a NETLINK_ROUTE socket: what
 * ioctls cannot do (macvtap links, a link's kind). */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void host_nl_init(struct host_nl_req *req, unsigned short type, unsigned short flags)
{
    memset(req, 0, sizeof(*req));
    req->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    req->h.nlmsg_type = type;
    req->h.nlmsg_flags = flags;
    req->i.ifi_family = AF_UNSPEC;
}

struct rtattr *host_nl_attr(struct host_nl_req *req, unsigned short type, const void *data,
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

void host_nl_nest_end(struct host_nl_req *req, struct rtattr *nest)
{
    nest->rta_len = (unsigned short)((char *)req + req->h.nlmsg_len - (char *)nest);
}

int host_nl_talk(struct nlmsghdr *req, void *ret_buf, size_t buf_len)
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

int host_link_kind(const char *name, char *buf, size_t len)
{
    struct host_nl_req req;
    host_nl_init(&req, RTM_GETLINK, 0);
    host_nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
    char reply[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    memset(reply, 0, sizeof(struct nlmsghdr));
    int r = host_nl_talk(&req.h, reply, sizeof(reply));
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

int host_link_delete(const char *name)
{
    struct host_nl_req req;
    host_nl_init(&req, RTM_DELLINK, 0);
    host_nl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
    return host_nl_talk(&req.h, NULL, 0);
}
