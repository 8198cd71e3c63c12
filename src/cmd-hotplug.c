/* Hot-plug verbs, virsh's names and meanings: attach-device, detach-device, attach-disk,
 * detach-disk, attach-interface, detach-interface, setvcpus. The attach-disk and
 * attach-interface verbs write the device XML virsh would write and send it like
 * attach-device; every verb is one request to the domain's supervisor, which changes the
 * running domain only (--config has no meaning without libvirt's persistent copy: `qlaunch
 * edit` changes the definition). */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "supervise/ctl-client.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPT_LIVE = CLI_OPT_FIRST, OPT_CURRENT, OPT_CONFIG, OPT_PERSISTENT, OPT_TIMEOUT,
       OPT_TARGETBUS, OPT_SUBDRIVER, OPT_MODE, OPT_CACHE, OPT_MODEL, OPT_MAC, OPT_TARGET,
       OPT_TYPE, OPT_END };
#define N_VALUES (OPT_END - OPT_TARGETBUS)
#define VALUE(v, id) ((v)[(id) - OPT_TARGETBUS])

#define LIVE_OPTS                                                                          \
    {"live", NULL, OPT_LIVE, "change the running domain (what qlaunch always does)"},       \
    {"current", NULL, OPT_CURRENT, "the same as --live"},                                   \
    {"config", NULL, OPT_CONFIG, "refused: use 'qlaunch edit' for the definition"},         \
    {"persistent", NULL, OPT_PERSISTENT, "refused: use 'qlaunch edit' for the definition"}
#define TIMEOUT_OPT {"timeout", "S", OPT_TIMEOUT, "wait S seconds for the guest to release it "\
                     "(default 10)"}

/* The options every verb here takes; 1 when opt was one of them, -1 after an error. */
static int common_opt(struct cli *cli, int opt, const char *arg, struct ctl_request *req)
{
    long n;
    switch (opt) {
    case OPT_LIVE:
    case OPT_CURRENT:
        return 1;
    case OPT_CONFIG:
    case OPT_PERSISTENT:
        cli->status = cli_fail("qlaunch changes the running domain only; change the "
                               "definition with 'qlaunch edit'");
        return -1;
    case OPT_TIMEOUT:
        if (cli_number(cli, "timeout", arg, 3600, &n) < 0)
            return -1;
        req->wait_s = n ? n : 1;
        return 1;
    default:
        return 0;
    }
}

/* The verb's options: the common ones into req, the others' arguments into values (by
 * VALUE). 0, or -1 with cli->status. */
static int parse_opts(struct cli *cli, const struct cli_verb *verb, int argc, char **argv,
                      struct ctl_request *req, const char **values)
{
    const char *arg;
    int c, r;
    cli_init(cli, verb, argc, argv);
    while ((c = cli_next(cli, &arg)) > 0) {
        if ((r = common_opt(cli, c, arg, req)) < 0)
            return -1;
        if (!r && values && c >= OPT_TARGETBUS && c < OPT_END)
            VALUE(values, c) = arg;
    }
    return c < 0 ? -1 : 0;
}

/* attach-device / detach-device NAME FILE */
static int device_file(int argc, char **argv, enum ctl_cmd cmd, const char *done)
{
    static const struct cli_opt opts[] = {LIVE_OPTS, TIMEOUT_OPT, {NULL, NULL, 0, NULL}};
    static const struct cli_opt attach_opts[] = {LIVE_OPTS, {NULL, NULL, 0, NULL}};
    const struct cli_verb verb = {"NAME FILE", 2, 2, CLI_RUN_DIR | CLI_LOG_DIR,
                                  cmd == CTL_ATTACH_DEVICE ? attach_opts : opts};
    struct cli cli;
    struct ctl_request req = CTL_REQUEST_INIT(cmd);
    if (parse_opts(&cli, &verb, argc, argv, &req, NULL) < 0)
        return cli.status;
    struct ql_error err = QL_ERROR_INIT;
    size_t len = 0;
    if (ql_read_file(cli.operands[1], CTL_MAX_LINE / 2, &req.xml, &len, &err) < 0)
        return cli_fail_err(&err);
    if (!len || memchr(req.xml, '\0', len)) {
        ctl_request_clear(&req);
        return cli_fail("'%s' holds no device XML", cli.operands[1]);
    }
    return day2_simple(&cli, &req, done);
}

int cmd_attach_device(int argc, char **argv)
{
    return device_file(argc, argv, CTL_ATTACH_DEVICE, "Device attached successfully");
}

int cmd_detach_device(int argc, char **argv)
{
    return device_file(argc, argv, CTL_DETACH_DEVICE, "Device detached successfully");
}

/* An XML attribute value between single quotes. */
static void xml_attr(struct strbuf *sb, const char *name, const char *v)
{
    sb_addf(sb, " %s='", name);
    for (const char *p = v; *p; p++) {
        switch (*p) {
        case '&': sb_add(sb, "&amp;"); break;
        case '<': sb_add(sb, "&lt;"); break;
        case '\'': sb_add(sb, "&apos;"); break;
        case '"': sb_add(sb, "&quot;"); break;
        default: sb_addc(sb, *p); break;
        }
    }
    sb_addc(sb, '\'');
}

int cmd_attach_disk(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        LIVE_OPTS,
        {"targetbus", "BUS", OPT_TARGETBUS, "virtio, scsi or usb (default: from TARGET)"},
        {"subdriver", "FORMAT", OPT_SUBDRIVER, "the image format: raw (default), qcow2, ..."},
        {"mode", "MODE", OPT_MODE, "readonly or shareable"},
        {"cache", "CACHE", OPT_CACHE, "none, writethrough, writeback, directsync, unsafe"},
        {"type", "TYPE", OPT_TYPE, "disk (default) or cdrom"},
        {NULL, NULL, 0, NULL},
    };
    static const struct cli_verb verb = {"NAME SOURCE TARGET", 3, 3, CLI_RUN_DIR | CLI_LOG_DIR,
                                         opts};
    struct cli cli;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_ATTACH_DEVICE);
    const char *v[N_VALUES] = {NULL};
    if (parse_opts(&cli, &verb, argc, argv, &req, v) < 0)
        return cli.status;
    const char *bus = VALUE(v, OPT_TARGETBUS), *fmt = VALUE(v, OPT_SUBDRIVER),
               *mode = VALUE(v, OPT_MODE), *cache = VALUE(v, OPT_CACHE),
               *type = VALUE(v, OPT_TYPE) ? VALUE(v, OPT_TYPE) : "disk";
    if (mode && strcmp(mode, "readonly") != 0 && strcmp(mode, "shareable") != 0)
        return cli_usage_error(&cli, "no support for %s in command 'attach-disk'", mode);
    /* The supervisor does not share the caller's working directory; a block device is
     * type='block', as virsh decides. */
    _cleanup_free_ char *src = realpath(cli.operands[1], NULL);
    if (!src)
        return cli_fail("cannot use '%s': %s", cli.operands[1], strerror(errno));
    struct stat st;
    bool block = stat(src, &st) == 0 && S_ISBLK(st.st_mode);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "<disk");
    xml_attr(&sb, "type", block ? "block" : "file");
    xml_attr(&sb, "device", type);
    sb_add(&sb, ">");
    if (fmt || cache) {
        sb_add(&sb, "<driver name='qemu'");
        if (fmt)
            xml_attr(&sb, "type", fmt);
        if (cache)
            xml_attr(&sb, "cache", cache);
        sb_add(&sb, "/>");
    }
    sb_add(&sb, "<source");
    xml_attr(&sb, block ? "dev" : "file", src);
    sb_add(&sb, "/><target");
    xml_attr(&sb, "dev", cli.operands[2]);
    if (bus)
        xml_attr(&sb, "bus", bus);
    sb_add(&sb, "/>");
    if (mode)
        sb_addf(&sb, "<%s/>", mode);
    sb_add(&sb, "</disk>");
    req.xml = sb_steal(&sb);
    return day2_simple(&cli, &req, "Disk attached successfully");
}

int cmd_attach_interface(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        LIVE_OPTS,
        {"model", "MODEL", OPT_MODEL, "the NIC model: virtio, e1000, rtl8139, ..."},
        {"mac", "MAC", OPT_MAC, "the guest's MAC address (default: a random 52:54:00 one)"},
        {"target", "DEV", OPT_TARGET, "the tap's name"},
        {NULL, NULL, 0, NULL},
    };
    static const struct cli_verb verb = {"NAME TYPE [SOURCE]", 2, 3,
                                         CLI_RUN_DIR | CLI_LOG_DIR, opts};
    struct cli cli;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_ATTACH_DEVICE);
    const char *v[N_VALUES] = {NULL};
    if (parse_opts(&cli, &verb, argc, argv, &req, v) < 0)
        return cli.status;
    const char *model = VALUE(v, OPT_MODEL), *mac = VALUE(v, OPT_MAC),
               *target = VALUE(v, OPT_TARGET);
    const char *type = cli.operands[1], *source = cli.n_operands > 2 ? cli.operands[2] : NULL;
    /* virsh's SOURCE: the bridge, network or host device the NIC is connected to */
    const char *src_attr = strcmp(type, "bridge") == 0 ? "bridge"
                           : strcmp(type, "network") == 0 ? "network"
                           : strcmp(type, "direct") == 0 ? "dev" : NULL;
    if (!src_attr && strcmp(type, "ethernet") != 0 && strcmp(type, "user") != 0)
        return cli_usage_error(&cli, "No support for %s in command 'attach-interface'", type);
    if (src_attr && !source)
        return cli_usage_error(&cli, "type '%s' needs a SOURCE", type);
    if (!src_attr && source)
        return cli_usage_error(&cli, "type '%s' takes no SOURCE", type);
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "<interface");
    xml_attr(&sb, "type", type);
    sb_add(&sb, ">");
    if (source) {
        sb_add(&sb, "<source");
        xml_attr(&sb, src_attr, source);
        sb_add(&sb, "/>");
    }
    if (mac) {
        sb_add(&sb, "<mac");
        xml_attr(&sb, "address", mac);
        sb_add(&sb, "/>");
    }
    if (target) {
        sb_add(&sb, "<target");
        xml_attr(&sb, "dev", target);
        sb_add(&sb, "/>");
    }
    if (model) {
        sb_add(&sb, "<model");
        xml_attr(&sb, "type", model);
        sb_add(&sb, "/>");
    }
    sb_add(&sb, "</interface>");
    req.xml = sb_steal(&sb);
    return day2_simple(&cli, &req, "Interface attached successfully");
}

/* detach-disk NAME TARGET, detach-interface NAME TYPE [--mac MAC] */
static int detach_named(int argc, char **argv, bool disk)
{
    static const struct cli_opt disk_opts[] = {LIVE_OPTS, TIMEOUT_OPT, {NULL, NULL, 0, NULL}};
    static const struct cli_opt if_opts[] = {
        LIVE_OPTS, TIMEOUT_OPT,
        {"mac", "MAC", OPT_MAC, "the interface's MAC address"},
        {NULL, NULL, 0, NULL},
    };
    const struct cli_verb verb = {disk ? "NAME TARGET" : "NAME TYPE", 2, 2,
                                  CLI_RUN_DIR | CLI_LOG_DIR, disk ? disk_opts : if_opts};
    struct cli cli;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_DETACH_DEVICE);
    const char *v[N_VALUES] = {NULL};
    if (parse_opts(&cli, &verb, argc, argv, &req, v) < 0)
        return cli.status;
    if (VALUE(v, OPT_MAC))
        req.mac = xstrdup(VALUE(v, OPT_MAC));
    if (disk)
        req.target = xstrdup(cli.operands[1]);
    else
        req.net_type = xstrdup(cli.operands[1]);
    return day2_simple(&cli, &req, disk ? "Disk detached successfully"
                                         : "Interface detached successfully");
}

int cmd_detach_disk(int argc, char **argv)
{
    return detach_named(argc, argv, true);
}

int cmd_detach_interface(int argc, char **argv)
{
    return detach_named(argc, argv, false);
}

int cmd_setvcpus(int argc, char **argv)
{
    static const struct cli_opt opts[] = {
        LIVE_OPTS,
        {NULL, NULL, 0, NULL},
    };
    static const struct cli_verb verb = {"NAME COUNT", 2, 2, CLI_RUN_DIR | CLI_LOG_DIR, opts};
    struct cli cli;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SETVCPUS);
    long n;
    if (parse_opts(&cli, &verb, argc, argv, &req, NULL) < 0)
        return cli.status;
    if (cli_number(&cli, "COUNT", cli.operands[1], 4096, &n) < 0)
        return cli.status;
    if (n < 1)
        return cli_usage_error(&cli, "the vCPU count must be at least 1");
    req.count = n;
    return day2_simple(&cli, &req, NULL);
}
