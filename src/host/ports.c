/* Picking a free TCP port by bind test; see ports.h. */
#include "config.h"
#include "host/ports.h"
#include "util/cleanup.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* 1: free, 0: in use, -errno: the address itself cannot be bound. */
static int try_bind(const struct addrinfo *ai, int port)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -errno;
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (ai->ai_family == AF_INET6) {
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
        /* "::" in QEMU (and spice-server) takes IPv4 as well: test the same way. */
        int off = 0;
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    } else {
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    }
    /* No SO_REUSEADDR: a port with connections in TIME_WAIT counts as taken, which only
     * makes the pick more careful. */
    int r = bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) == 0 ? 1 : -errno;
    close(fd);
    if (r == -EADDRINUSE || r == -EACCES)
        return 0;
    return r;
}

int host_tcp_port_pick(const char *addr, int min, int max, const int *avoid, size_t n_avoid,
                       struct ql_error *err)
{
    if (min < 1 || max > 65535 || min > max)
        return ql_error_set(err, EINVAL, "port range %d-%d is not valid", min, max);
    const char *host = addr && *addr ? addr : NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int g = getaddrinfo(host, "0", &hints, &res);
    if (g != 0 || !res)
        return ql_error_set(err, EADDRNOTAVAIL, "listen address '%s' cannot be resolved: %s",
                            host ? host : "*", g ? gai_strerror(g) : "no address");
    int ret = -EADDRINUSE;
    for (int port = min; port <= max; port++) {
        bool skip = false;
        for (size_t i = 0; i < n_avoid && !skip; i++)
            skip = avoid[i] == port;
        if (skip)
            continue;
        bool free_all = true;
        for (const struct addrinfo *ai = res; ai && free_all; ai = ai->ai_next) {
            int r = try_bind(ai, port);
            if (r < 0 && !host && (r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL))
                continue;   /* e.g. no IPv6 on this host: "every address" is IPv4 only */
            if (r < 0) {
                ret = ql_error_errno(err, r, "cannot bind a TCP socket on '%s'%s",
                                     host ? host : "*",
                                     -r == EADDRNOTAVAIL ? " (not an address of this host)" : "");
                goto out;
            }
            free_all = r == 1;
        }
        if (free_all) {
            ret = port;
            goto out;
        }
    }
    ret = ql_error_set(err, EADDRINUSE, "no free TCP port in %d-%d on '%s'", min, max,
                       host ? host : "*");
out:
    freeaddrinfo(res);
    return ret;
}
