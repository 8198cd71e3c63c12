/* Shared between the files of the host networking code (src/host, behind net.h); not part
 * of the public API. One file per concern:
 *   netdev.c   names and netdevice ioctls (MAC, MTU, link up, driver), MAC parsing
 *   tap.c      taps (/dev/net/tun) and type='ethernet' with its <script>
 *   bridge.c   type='bridge': Linux bridge ports, or an Open vSwitch port via ovs.c
 *   ovs.c      Open vSwitch ports (ovs-vsctl)
 *   macvtap.c  type='direct': macvtap links and their character devices
 *   netlink.c  rtnetlink requests (link create/delete/kind)
 *   program.c  helper programs: fork + exec, captured output, hard deadline
 *   network.c  libvirt network definitions (files) and type='network' as a bridge port
 *   listen.c   graphics <listen type='network'> addresses
 *   nic.c      host_nic_setup/teardown: dispatch by interface type, undo on failure */
#pragma once
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include "host/net.h"

struct strbuf;

/* ---- netdev.c: names and netdevice ioctls. ioctls work in the caller's network namespace,
 * unlike /sys, which belongs to whoever mounted it. */

/* libvirt regenerates names it generated itself (vnetN, macvtapN, macvlanN) on every start. */
bool host_is_generated_name(const char *name);
void host_ifr_set_name(struct ifreq *ifr, const char *name);
/* A socket for netdevice ioctls (close-on-exec). */
int host_ctl_socket(struct ql_error *err);
bool host_netdev_exists(const char *name);
/* Driver name from ETHTOOL_GDRVINFO ("bridge", "tun", "openvswitch", ...), "" if unknown. */
void host_netdev_driver(int sock, const char *name, char *buf, size_t len);
int host_netdev_set_mac(int sock, const char *name, const unsigned char mac[6],
                        struct ql_error *err);
int host_netdev_get_mtu(int sock, const char *name, unsigned *ret);   /* -errno, no message */
int host_netdev_set_mtu(int sock, const char *name, unsigned mtu, struct ql_error *err);
int host_netdev_set_up(int sock, const char *name, struct ql_error *err);
/* "52:54:00:aa:bb:cc" (either case) into 6 bytes; -EINVAL otherwise. */
int host_parse_mac(const char *s, unsigned char ret[6]);
/* A virtio NIC model wants the vnet header on its tap/macvtap queues. */
bool host_model_is_virtio(const char *model);
/* Closes the fds that are open and sets them to -1. */
void host_close_fds(int *fds, unsigned n);
/* The number of queues <driver queues> asks for (0 counts as 1), at most
 * HOST_TAP_MAX_QUEUES; what names the device in the message ("a tap"). */
int host_nic_queues(const struct dom_interface *ifc, const char *what, unsigned *ret,
                    struct ql_error *err);

/* ---- tap.c */

/* Opens the tap for ifc and records it in nic; sets the tap MAC (guest MAC with its first
 * byte replaced, see net.h). */
int host_nic_open_tap(int sock, const struct dom_interface *ifc, struct host_nic *nic,
                      struct ql_error *err);
/* The MTU of <mtu size>, else the bridge's (when bridge is given and has one). */
int host_nic_set_mtu(int sock, const struct dom_interface *ifc, const char *bridge,
                     struct host_nic *nic, struct ql_error *err);
int host_setup_ethernet(const struct dom_interface *ifc, struct host_nic *nic,
                        struct ql_error *err);

/* ---- bridge.c */
int host_setup_bridge(const struct domain *d, const struct dom_interface *ifc,
                      struct host_nic *nic, struct ql_error *err);

/* ---- ovs.c */

/* Checks what an OVS port takes from the interface (bridge name, interfaceid, profileid)
 * before anything is created. */
int host_ovs_port_check(const struct dom_interface *ifc, struct ql_error *err);
/* 0 when the OVS bridge exists, -ENODEV when not, another -errno when OVS cannot say. */
int host_ovs_br_exists(const char *bridge, struct ql_error *err);
/* `ovs-vsctl add-port` with libvirt's external-ids and the VLAN of ifc. */
int host_ovs_add_port(const struct domain *d, const struct dom_interface *ifc,
                      const char *bridge, const char *tap, struct ql_error *err);

/* ---- macvtap.c */
int host_setup_direct(const struct dom_interface *ifc, struct host_nic *nic,
                      struct ql_error *err);

/* ---- netlink.c: rtnetlink requests built from short, fixed attributes */

#define HOST_NL_BUF 1024

struct host_nl_req {
    struct nlmsghdr h;
    struct ifinfomsg i;
    char attrs[HOST_NL_BUF];
};

/* A link request of type (RTM_NEWLINK, ...) with flags, for family AF_UNSPEC. */
void host_nl_init(struct host_nl_req *req, unsigned short type, unsigned short flags);
/* Appends an attribute (len 0: a nest to close with host_nl_nest_end). Running over the
 * buffer is a bug and aborts. */
struct rtattr *host_nl_attr(struct host_nl_req *req, unsigned short type, const void *data,
                            size_t len);
void host_nl_nest_end(struct host_nl_req *req, struct rtattr *nest);
/* Sends one request and waits for its answer: 0 (ACK), or -errno from the kernel. With
 * ret_buf the first non-error reply is copied there (RTM_GETLINK). */
int host_nl_talk(struct nlmsghdr *req, void *ret_buf, size_t buf_len);
/* The rtnetlink kind of a link ("macvtap", "veth", ...) into buf; -errno if unknown. */
int host_link_kind(const char *name, char *buf, size_t len);
int host_link_delete(const char *name);

/* ---- program.c */

/* Runs argv (PATH lookup; envp NULL inherits the environment) with stdin on /dev/null and
 * stdout+stderr captured. Returns 0 with the wait status and output (both set) once it
 * exited; -errno with err set when it could not be run or was killed at the deadline. */
int host_run_program(char *const argv[], char *const envp[], int timeout_ms, int *ret_status,
                     char **ret_output, struct ql_error *err);
/* Appends how a program ended and its output on one line: "exited with status 1: ovs-vsctl:
 * no bridge named x". */
void host_run_describe(struct strbuf *sb, int status, const char *output);
/* Runs a command that must exit 0; otherwise err says what (desc) failed and its output. */
int host_run_checked(char *const argv[], char *const envp[], int timeout_ms, const char *desc,
                     struct ql_error *err);

/* ---- network.c */

/* type='network': the interface as a port of the network's bridge (see net.h). */
int host_setup_network(const struct domain *d, const struct dom_interface *ifc,
                       struct host_nic *nic, struct ql_error *err);
