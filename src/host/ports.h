/* Free TCP ports for graphics servers whose port the launcher picks (SPICE autoport: QEMU
 * cannot choose a SPICE port itself, libvirt allocates one from 5900..65535 in
 * qemuProcessSPICEAllocatePorts).
 *
 * The check is a bind test: a port counts as free when a socket can be bound to it on the
 * listen address right now. Between the test and QEMU's own bind another process may take
 * the port (a small race, as with any such allocator outside the kernel); QEMU then fails
 * to start with "Address already in use" and the start fails cleanly. The supervisor makes
 * qlaunch's own domains safe against each other by holding a lock in the run-dir base
 * across pick-and-start (see supervisor.c). */
#pragma once
#include <stddef.h>
#include "util/error.h"

#define HOST_GFX_PORT_MIN 5900
#define HOST_GFX_PORT_MAX 65535

/* Returns the first port in [min, max] that is not in avoid[] and that can be bound on
 * addr (a numeric IPv4/IPv6 address or a host name resolved without DNS for local names;
 * NULL or "" means every address, as QEMU listens then), or -errno with err set: -EADDRINUSE
 * when every port is taken, -EADDRNOTAVAIL when addr is not an address of this host. */
int host_tcp_port_pick(const char *addr, int min, int max, const int *avoid, size_t n_avoid,
                       struct ql_error *err);
