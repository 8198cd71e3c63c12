/* <address> of every kind a device may carry: pci, drive, virtio-serial, usb, isa, ccid. */
#include "config.h"
#include "domain/xml.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <ctype.h>
#include <string.h>

/* Reads an unsigned attribute and checks it against a maximum (decimal or 0x hex). */
static void addr_uint(struct px *p, xmlNode *n, const char *name, unsigned max, unsigned *ret,
                      bool *present)
{
    unsigned v = 0;
    if (px_attr_uint(p, n, name, &v) <= 0)
        return;
    if (v > max) {
        px_err(p, n, name, "value '%s' is out of range (maximum %#x)", px_attr(n, name), max);
        return;
    }
    *ret = v;
    if (present)
        *present = true;
}

/* A USB port path is up to four dot-separated numbers 1..255, e.g. "1" or "1.2". */
static bool usb_port_ok(const char *s)
{
    int parts = 0;
    while (*s) {
        unsigned v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || v == 0 || v > 255 || ++parts > 4)
            return false;
        if (*s == '.' && s[1])
            s++;
        else if (*s)
            return false;
    }
    return parts > 0;
}

void px_parse_address(struct px *p, xmlNode *parent, struct dom_addr *a)
{
    xmlNode *n = px_child(p, parent, "address");
    if (!n)
        return;
    a->line = (int)xmlGetLineNo(n);
    const char *type = px_attr(n, "type");
    if (!type) {
        px_err(p, n, NULL, "<address> needs a type attribute");
        return;
    }
    int t = dom_addr_type_from_string(type);
    if (t < 0) {
        px_err(p, n, "type", "unsupported address type '%s' (qlaunch supports: pci, drive, "
               "virtio-serial, usb, isa, ccid)", type);
        return;
    }
    a->type = (enum dom_addr_type)t;
    switch (a->type) {
    case DOM_ADDR_PCI:
        addr_uint(p, n, "domain", 0xffff, &a->domain, NULL);
        addr_uint(p, n, "bus", 0xff, &a->bus, NULL);
        addr_uint(p, n, "slot", 0x1f, &a->slot, NULL);
        addr_uint(p, n, "function", 0x7, &a->function, NULL);
        px_attr_tristate(p, n, "multifunction", &a->multifunction);
        /* 0000:00:00.0 is the host bridge; libvirt reads an all-zero PCI address as
         * "put it anywhere on PCI", which on x86 is the same as no address. */
        if (!a->domain && !a->bus && !a->slot && !a->function &&
            a->multifunction == DOM_TRI_DEFAULT)
            a->type = DOM_ADDR_NONE;
        break;
    case DOM_ADDR_DRIVE:
        addr_uint(p, n, "controller", 0xffff, &a->controller, NULL);
        addr_uint(p, n, "bus", 0xffff, &a->bus, NULL);
        addr_uint(p, n, "target", 0xffff, &a->target, NULL);
        addr_uint(p, n, "unit", 0xffff, &a->unit, NULL);
        break;
    case DOM_ADDR_VIRTIO_SERIAL:
        addr_uint(p, n, "controller", 0xffff, &a->controller, NULL);
        addr_uint(p, n, "bus", 0xffff, &a->bus, NULL);
        addr_uint(p, n, "port", 0xffff, &a->port, &a->has_port);
        break;
    case DOM_ADDR_USB: {
        addr_uint(p, n, "bus", 0xffff, &a->bus, NULL);
        const char *port = px_attr(n, "port");
        if (port && !usb_port_ok(port))
            px_err(p, n, "port", "invalid USB port '%s' (expected up to four dot-separated "
                   "numbers from 1 to 255, like '1.2')", port);
        else if (port)
            a->usb_port = xstrdup(port);
        break;
    }
    case DOM_ADDR_ISA:
        addr_uint(p, n, "iobase", 0xffff, &a->iobase, &a->has_iobase);
        addr_uint(p, n, "irq", 0xff, &a->irq, &a->has_irq);
        break;
    case DOM_ADDR_CCID:
        /* The CCID slot is kept in the generic slot field. */
        addr_uint(p, n, "controller", 0xffff, &a->controller, NULL);
        addr_uint(p, n, "slot", 0xffff, &a->slot, NULL);
        break;
    case DOM_ADDR_NONE:
    case DOM_ADDR_MAX:
        break;
    }
}
