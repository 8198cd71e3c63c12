/* Open vSwitch ports through `ovs-vsctl --timeout=5` (fork + exec, no shell), with the
 * external-ids libvirt sets. ovs-vsctl inherits the environment: OVS_RUNDIR selects another
 * database socket, as the tests do. */
#include "config.h"
#include "host/net-priv.h"

#include <errno.h>
#include <sys/wait.h>
#include <uuid/uuid.h>

#include "domain/parse.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define OVS_ID_MAX 256

int host_ovs_br_exists(const char *bridge, struct ql_error *err)
{
    char *argv[] = {(char *)"ovs-vsctl", (char *)"--timeout=5", (char *)"br-exists",
                    (char *)bridge, NULL};
    int status;
    _cleanup_free_ char *out = NULL;
    int r = host_run_program(argv, NULL, HOST_OVS_VSCTL_TIMEOUT_MS, &status, &out, err);
    if (r < 0)
        return r;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
        return ql_error_set(err, ENODEV, "Open vSwitch bridge '%s' does not exist", bridge);
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "cannot query Open vSwitch for bridge '%s': ovs-vsctl ", bridge);
    host_run_describe(&sb, status, out);
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

int host_ovs_port_check(const struct dom_interface *ifc, struct ql_error *err)
{
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
    return 0;
}

static void ovs_set_iface(struct argv *a, const char *tap, const char *key, const char *val)
{
    argv_add(a, "--");
    argv_add(a, "set");
    argv_add(a, "Interface");
    argv_add(a, tap);
    /* ovs-vsctl parses the value as a (quoted) string; ids were checked for odd characters */
    argv_take(a, xasprintf("external-ids:%s=\"%s\"", key, val));
}

int host_ovs_add_port(const struct domain *d, const struct dom_interface *ifc,
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
    struct argv a = ARGV_INIT;
    argv_add(&a, "ovs-vsctl");
    argv_add(&a, "--timeout=5");
    argv_add(&a, "--");
    argv_add(&a, "--may-exist");
    argv_add(&a, "add-port");
    argv_add(&a, bridge);
    argv_add(&a, tap);
    if (ifc->n_vlan_tags) {
        struct strbuf sb = STRBUF_INIT;
        if (ifc->vlan_trunk) {
            sb_add(&sb, "trunk=");
            for (size_t i = 0; i < ifc->n_vlan_tags; i++)
                sb_addf(&sb, "%s%u", i ? "," : "", ifc->vlan_tags[i]);
        } else {
            sb_addf(&sb, "tag=%u", ifc->vlan_tags[0]);
        }
        argv_take(&a, sb_steal(&sb));
    }
    argv_add(&a, "--");
    argv_add(&a, "set");
    argv_add(&a, "Port");
    argv_add(&a, tap);
    argv_add(&a, "other_config:transient=true");
    ovs_set_iface(&a, tap, "attached-mac", ifc->mac);
    ovs_set_iface(&a, tap, "iface-id", iface_id);
    if (d->has_uuid) {
        char uuid[37];
        uuid_unparse_lower(d->uuid, uuid);
        ovs_set_iface(&a, tap, "vm-id", uuid);
    }
    if (ifc->vport.profileid) {
        ovs_set_iface(&a, tap, "port-profile", ifc->vport.profileid);
        ovs_set_iface(&a, tap, "ifname", tap);
    }
    ovs_set_iface(&a, tap, "iface-status", "active");

    _cleanup_free_ char *desc = xasprintf("adding tap '%s' to Open vSwitch bridge '%s' failed: "
                                          "ovs-vsctl", tap, bridge);
    int r = host_run_checked(a.v, NULL, HOST_OVS_VSCTL_TIMEOUT_MS, desc, err);
    argv_free(&a);
    return r;
}

int host_ovs_del_port(const char *tap_name, struct ql_error *err)
{
    char *argv[] = {(char *)"ovs-vsctl", (char *)"--timeout=5", (char *)"--",
                    (char *)"--if-exists", (char *)"del-port", (char *)tap_name, NULL};
    _cleanup_free_ char *desc = xasprintf("removing port '%s' from Open vSwitch failed: "
                                          "ovs-vsctl", tap_name);
    return host_run_checked(argv, NULL, HOST_OVS_VSCTL_TIMEOUT_MS, desc, err);
}
