/* libvirt's QEMU namespace: <qemu:commandline> arguments go at the very end of the command
 * line and <qemu:env> into QEMU's environment, <qemu:override> changes the properties of a
 * -device by its id (libvirt's alias), as libvirt does; a domain that uses them runs with
 * a warning that nothing checked them. <qemu:capabilities> changes libvirt's probed flags:
 * qlaunch has none, so only those naming a choice it makes can be honoured. */
#include "config.h"
#include "qemu/build-priv.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* libvirt capability flags that name what qlaunch always does: adding one changes
 * nothing, removing one asks for something qlaunch does not build. */
static const struct {
    const char *name, *what;
} always[] = {
    {"blockdev", "-blockdev for disks"},
    {"device.json", "JSON -device"},
    {"device.json+hotplug", "JSON -device"},
    {"object.qapified", "JSON -object"},
    {"netdev.json", "JSON -netdev"},
    {"audiodev", "-audiodev for sound"},
    {"set-action", "-action for the lifecycle policy"},
    {"memory-backend-memfd", "memory-backend-memfd for <source type='memfd'/>"},
    {"vhost-user-fs", "vhost-user-fs-pci for virtiofs"},
};

/* The one flag whose removal maps to a choice: without seccomp-sandbox libvirt leaves
 * -sandbox out, and so does qlaunch. */
#define CAP_SANDBOX "seccomp-sandbox"

int qb_check_passthrough(struct qb_ctx *c)
{
    const struct dom_qemu_ns *q = &c->d->qemu;
    for (size_t i = 0; i < q->n_caps; i++) {
        const struct dom_qemu_cap *cap = &q->caps[i];
        const char *op = cap->add ? "add" : "del";
        if (STREQ(cap->name, CAP_SANDBOX)) {
            c->no_sandbox = !cap->add;
            qb_note(c, "<qemu:%s capability='%s'/> (line %d): QEMU runs %s -sandbox", op,
                    cap->name, cap->src.line, cap->add ? "with" : "without");
            continue;
        }
        size_t k = 0;
        while (k < sizeof(always) / sizeof(always[0]) && !STREQ(always[k].name, cap->name))
            k++;
        if (k == sizeof(always) / sizeof(always[0]))
            return qb_fail(c, &cap->src, "capability '%s' has no counterpart in qlaunch, which "
                           "builds from QEMU's version and device models, not from libvirt's "
                           "capability flags; remove <qemu:%s capability='%s'/>", cap->name,
                           op, cap->name);
        if (!cap->add)
            return qb_fail(c, &cap->src, "qlaunch always uses %s, so <qemu:del "
                           "capability='%s'/> cannot be honoured; remove it", always[k].what,
                           cap->name);
        qb_note(c, "<qemu:add capability='%s'/> (line %d): qlaunch always uses %s",
                cap->name, cap->src.line, always[k].what);
    }
    if (q->n_overrides)
        c->override_used = xcalloc(q->n_overrides, sizeof(*c->override_used));
    return 0;
}

static void set_prop(json_object *dev, const struct dom_qemu_prop *p)
{
    json_object *v = NULL;
    switch (p->type) {
    case DOM_QPROP_REMOVE:
        json_object_object_del(dev, p->name);
        return;
    case DOM_QPROP_SIGNED:
        v = json_object_new_int64(strtoll(p->value, NULL, 10));
        break;
    case DOM_QPROP_UNSIGNED:
        v = json_object_new_uint64(strtoull(p->value, NULL, 10));
        break;
    case DOM_QPROP_BOOL:
        v = json_object_new_boolean(STREQ(p->value, "true"));
        break;
    default:
        v = json_object_new_string(p->value);
        break;
    }
    json_object_object_add(dev, p->name, v);
}

int qb_override_device(struct qb_ctx *c, json_object *dev)
{
    const struct dom_qemu_ns *q = &c->d->qemu;
    const char *id = ql_json_str(dev, "id", NULL);
    int hit = 0;
    for (size_t i = 0; id && i < q->n_overrides; i++) {
        const struct dom_qemu_override *o = &q->overrides[i];
        if (!o->alias || !STREQ(o->alias, id))
            continue;
        c->override_used[i] = true;
        hit = 1;
        for (size_t k = 0; k < o->n_props; k++) {
            set_prop(dev, &o->props[k]);
            qb_prop(c, o->props[k].name, QB_SRC(&o->props[k].src));
        }
    }
    return hit;
}

int qb_add_passthrough(struct qb_ctx *c)
{
    const struct dom_qemu_ns *q = &c->d->qemu;
    for (size_t i = 0; i < q->n_overrides; i++)
        if (!c->override_used[i])
            return qb_fail(c, &q->overrides[i].src, "no device of this domain has the alias "
                           "'%s' (the -device ids `qlaunch argv` prints are the aliases)",
                           q->overrides[i].alias);
    for (size_t i = 0; i < q->n_args; i++)
        qb_arg(c, QB_AT("qemu:commandline", q->args_line, NULL), q->args[i]);
    struct qb_result *r = c->r;
    r->env = xcalloc(q->n_envs ? q->n_envs : 1, sizeof(*r->env));
    for (size_t i = 0; i < q->n_envs; i++)
        r->env[r->n_env++] = xasprintf("%s=%s", q->envs[i].name,
                                       q->envs[i].value ? q->envs[i].value : "");
    if (!q->n_args && !q->n_envs && !q->n_overrides)
        return 0;
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, "the domain uses unchecked QEMU pass-through:");
    if (q->n_args)
        sb_addf(&sb, " %zu <qemu:arg> (line %d) appended to the command line%s", q->n_args,
                q->args_line, q->n_envs || q->n_overrides ? "," : "");
    if (q->n_envs)
        sb_addf(&sb, " %zu <qemu:env> set for QEMU%s", q->n_envs, q->n_overrides ? "," : "");
    if (q->n_overrides)
        sb_addf(&sb, " %zu <qemu:override> device%s changed", q->n_overrides,
                q->n_overrides == 1 ? "" : "s");
    sb_add(&sb, "; qlaunch does not check what they do");
    r->passthrough = sb_steal(&sb);
    qb_note(c, "%s", r->passthrough);
    return 0;
}
