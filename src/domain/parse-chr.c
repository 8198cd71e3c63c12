/* Character device backends: <source> (one, or two for udp), <protocol>, <log>. Shared by
 * serial/console/parallel/channel, redirdev and the rng egd backend. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <string.h>

/* <seclabel> below a source is libvirt's host bookkeeping: ignored by design. */
static void ignore_seclabels(xmlNode *src)
{
    for (xmlNode *c = NULL; (c = px_next(src, c, "seclabel"));)
        px_ignore(c);
}

static void parse_reconnect(struct px *p, xmlNode *src, struct dom_chr_source *s)
{
    xmlNode *r = px_child(p, src, "reconnect");
    if (!r)
        return;
    if (px_attr_tristate(p, r, "enabled", &s->reconnect) == 0)
        px_err(p, r, NULL, "<reconnect> needs an enabled attribute");
    int has_timeout = px_attr_uint(p, r, "timeout", &s->reconnect_timeout);
    if (s->reconnect == DOM_TRI_ON && has_timeout == 0)
        px_err(p, r, NULL, "<reconnect enabled='yes'> needs a timeout attribute");
    if (s->reconnect == DOM_TRI_ON && s->mode == DOM_CHR_MODE_BIND)
        px_err(p, r, NULL, "reconnect is only possible for a socket in connect mode");
}

/* The two sides of a udp backend: <source mode='connect'> (the default) and
 * <source mode='bind'>. */
static void parse_udp_source(struct px *p, xmlNode *src, struct dom_chr_source *s)
{
    enum dom_chr_mode mode = DOM_CHR_MODE_DEFAULT;
    PX_ENUM(p, src, "mode", &dom_chr_mode_enum, "value", mode);
    bool bind = mode == DOM_CHR_MODE_BIND;
    char **host = bind ? &s->bind_host : &s->host;
    char **service = bind ? &s->bind_service : &s->service;
    if (*host || *service) {
        px_err(p, src, NULL, "a udp character device has only one <source mode='%s'>",
               bind ? "bind" : "connect");
        return;
    }
    *host = px_attr_dup(src, "host");
    *service = px_attr_dup(src, "service");
}

void px_parse_chr_source(struct px *p, xmlNode *dev, enum dom_chr_type type,
                         struct dom_chr_source *s)
{
    s->type = type;
    const char *tname = dom_chr_type_to_string(type);
    if (type == DOM_CHR_NMDM) {
        px_err(p, dev, "type", "character device type 'nmdm' exists only for bhyve, not QEMU");
        return;
    }
    size_t nsrc = 0;
    for (xmlNode *src = NULL; (src = px_next(dev, src, "source"));) {
        ignore_seclabels(src);
        if (type == DOM_CHR_UDP) {
            parse_udp_source(p, src, s);
            continue;
        }
        if (++nsrc > 1) {
            px_err(p, src, NULL, "element <source> may appear only once here");
            continue;
        }
        switch (type) {
        case DOM_CHR_PTY:
            /* Live XML shows the allocated /dev/pts/N here; it is informational only. */
        case DOM_CHR_DEV:
        case DOM_CHR_PIPE:
            s->path = px_attr_dup(src, "path");
            break;
        case DOM_CHR_FILE:
            s->path = px_attr_dup(src, "path");
            px_attr_tristate(p, src, "append", &s->append);
            break;
        case DOM_CHR_UNIX:
            s->path = px_attr_dup(src, "path");
            if (PX_ENUM(p, src, "mode", &dom_chr_mode_enum, "value", s->mode) <= 0)
                s->mode = DOM_CHR_MODE_BIND;
            parse_reconnect(p, src, s);
            break;
        case DOM_CHR_TCP:
            s->host = px_attr_dup(src, "host");
            s->service = px_attr_dup(src, "service");
            if (PX_ENUM(p, src, "mode", &dom_chr_mode_enum, "value", s->mode) <= 0)
                s->mode = DOM_CHR_MODE_CONNECT;
            parse_reconnect(p, src, s);
            break;
        case DOM_CHR_SPICEPORT:
        case DOM_CHR_DBUS:
            s->channel = px_attr_dup(src, "channel");
            break;
        default:
            break;  /* no source attributes for null, stdio, vc, spicevmc, qemu-vdagent */
        }
    }

    /* libvirt's defaults (also applied above, before <reconnect> is checked): a unix socket
     * listens, a tcp socket connects. */
    if (type == DOM_CHR_UNIX && !s->mode)
        s->mode = DOM_CHR_MODE_BIND;
    if (type == DOM_CHR_TCP && !s->mode)
        s->mode = DOM_CHR_MODE_CONNECT;

    switch (type) {
    case DOM_CHR_FILE:
    case DOM_CHR_DEV:
    case DOM_CHR_PIPE:
        if (!s->path)
            px_err(p, dev, NULL, "a '%s' character device needs <source path=...>", tname);
        break;
    case DOM_CHR_TCP:
        if (!s->host || !s->service)
            px_err(p, dev, NULL, "a 'tcp' character device needs <source host=... service=...>");
        break;
    case DOM_CHR_UDP:
        if (!s->service)
            px_err(p, dev, NULL, "a 'udp' character device needs <source mode='connect' "
                   "service=...>");
        break;
    case DOM_CHR_SPICEPORT:
        if (!s->channel)
            px_err(p, dev, NULL, "a 'spiceport' character device needs <source channel=...>");
        break;
    default:
        break;
    }

    /* libvirt also accepts <protocol type='raw'> on unix sockets, where it changes nothing. */
    if (type == DOM_CHR_TCP || type == DOM_CHR_UNIX) {
        xmlNode *proto = px_child(p, dev, "protocol");
        if (proto)
            PX_ENUM_IN(p, proto, "type", &dom_chr_protocol_enum,
                       type == DOM_CHR_TCP ? 0 : PX_BIT(DOM_CHR_PROTO_RAW), "value",
                       s->protocol);
    }

    xmlNode *log = px_child(p, dev, "log");
    if (log) {
        s->log_file = px_attr_dup(log, "file");
        if (!s->log_file)
            px_err(p, log, NULL, "<log> needs a file attribute");
        px_attr_tristate(p, log, "append", &s->log_append);
    }
}
