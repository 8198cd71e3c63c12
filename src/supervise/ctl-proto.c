/* The control protocol's messages: parsed and formatted in one place for both ends. */
#include "config.h"
#include "supervise/ctl-proto.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmd_names[CTL_CMD_MAX] = {
    "status", "events", "shutdown", "reboot", "destroy", "suspend", "resume", "qmp",
    "domblklist", "domiflist", "domblkstat", "domifstat", "dommemstat", "vcpuinfo",
    "change-media", "send-key", "screenshot", "setmem", "dumpxml",
    "agent-command", "domifaddr", "domfsfreeze", "domfsthaw",
    "attach-device", "detach-device", "setvcpus",
    "snapshot-create", "snapshot-revert", "snapshot-delete", "save",
};

/* The day-2 verbs' members: which commands take each, and which need it. */
enum field_type { FIELD_STR, FIELD_BOOL, FIELD_INT };
#define CMD_BIT(c) (1u << (c))
#define SNAPSHOT_CMDS (CMD_BIT(CTL_SNAPSHOT_CREATE) | CMD_BIT(CTL_SNAPSHOT_REVERT) | \
                       CMD_BIT(CTL_SNAPSHOT_DELETE))
static const struct field {
    const char *key;
    enum field_type type;
    size_t off;
    unsigned takes, needs;
    long long max;              /* FIELD_INT: 0..max */
} fields[] = {
    {"target", FIELD_STR, offsetof(struct ctl_request, target),
     CMD_BIT(CTL_DOMBLKSTAT) | CMD_BIT(CTL_DOMIFSTAT) | CMD_BIT(CTL_CHANGE_MEDIA) |
     CMD_BIT(CTL_DETACH_DEVICE),
     CMD_BIT(CTL_DOMIFSTAT) | CMD_BIT(CTL_CHANGE_MEDIA), 0},
    {"source", FIELD_STR, offsetof(struct ctl_request, source),
     CMD_BIT(CTL_CHANGE_MEDIA) | CMD_BIT(CTL_DOMIFADDR), 0, 0},
    {"action", FIELD_STR, offsetof(struct ctl_request, action), CMD_BIT(CTL_CHANGE_MEDIA),
     CMD_BIT(CTL_CHANGE_MEDIA), 0},
    {"force", FIELD_BOOL, offsetof(struct ctl_request, force), CMD_BIT(CTL_CHANGE_MEDIA), 0, 0},
    {"details", FIELD_BOOL, offsetof(struct ctl_request, details), CMD_BIT(CTL_DOMBLKLIST), 0,
     0},
    {"keys", FIELD_STR, offsetof(struct ctl_request, keys), CMD_BIT(CTL_SEND_KEY),
     CMD_BIT(CTL_SEND_KEY), 0},
    {"codeset", FIELD_STR, offsetof(struct ctl_request, codeset), CMD_BIT(CTL_SEND_KEY), 0, 0},
    {"holdtime", FIELD_INT, offsetof(struct ctl_request, holdtime_ms), CMD_BIT(CTL_SEND_KEY), 0,
     60000},
    {"size", FIELD_INT, offsetof(struct ctl_request, size_kib), CMD_BIT(CTL_SETMEM),
     CMD_BIT(CTL_SETMEM), 1LL << 50},
    {"mode", FIELD_STR, offsetof(struct ctl_request, mode),
     CMD_BIT(CTL_SHUTDOWN) | CMD_BIT(CTL_REBOOT), 0, 0},
    {"mountpoints", FIELD_STR, offsetof(struct ctl_request, mountpoints),
     CMD_BIT(CTL_DOMFSFREEZE), 0, 0},
    {"xml", FIELD_STR, offsetof(struct ctl_request, xml),
     CMD_BIT(CTL_ATTACH_DEVICE) | CMD_BIT(CTL_DETACH_DEVICE), CMD_BIT(CTL_ATTACH_DEVICE), 0},
    {"type", FIELD_STR, offsetof(struct ctl_request, net_type), CMD_BIT(CTL_DETACH_DEVICE), 0,
     0},
    {"mac", FIELD_STR, offsetof(struct ctl_request, mac), CMD_BIT(CTL_DETACH_DEVICE), 0, 0},
    {"wait", FIELD_INT, offsetof(struct ctl_request, wait_s), CMD_BIT(CTL_DETACH_DEVICE), 0,
     3600},
    {"count", FIELD_INT, offsetof(struct ctl_request, count), CMD_BIT(CTL_SETVCPUS),
     CMD_BIT(CTL_SETVCPUS), 4096},
    {"snapshot", FIELD_STR, offsetof(struct ctl_request, snapshot), SNAPSHOT_CMDS,
     SNAPSHOT_CMDS, 0},
    {"description", FIELD_STR, offsetof(struct ctl_request, description),
     CMD_BIT(CTL_SNAPSHOT_CREATE), 0, 0},
    {"file", FIELD_STR, offsetof(struct ctl_request, file), CMD_BIT(CTL_SAVE), CMD_BIT(CTL_SAVE),
     0},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

const char *ctl_cmd_to_string(enum ctl_cmd c)
{
    return (unsigned)c < CTL_CMD_MAX ? cmd_names[c] : NULL;
}

int ctl_cmd_from_string(const char *s)
{
    for (int i = 0; s && i < CTL_CMD_MAX; i++)
        if (strcmp(cmd_names[i], s) == 0)
            return i;
    return -1;
}

void ctl_request_clear(struct ctl_request *r)
{
    free(r->json);
    for (size_t i = 0; i < N_FIELDS; i++)
        if (fields[i].type == FIELD_STR)
            free(*(char **)((char *)r + fields[i].off));
    *r = (struct ctl_request)CTL_REQUEST_INIT(CTL_STATUS);
}

/* A request is flat: the object and its scalar members (json-c counts the top level too
 * and needs one more, so a misplaced array or object is still parsed and then refused by
 * type). */
#define REQUEST_DEPTH 3
/* A reply carries QEMU's answer, which nests (backing chains, QOM trees). */
#define REPLY_DEPTH 128

/* Exactly one JSON object in line[0..len), whitespace around it allowed. Never NULL on 0. */
static int parse_object(const char *line, size_t len, size_t max, int depth, const char *what,
                        json_object **ret, struct ql_error *err)
{
    *ret = NULL;
    if (len > max)
        return ql_error_set(err, EMSGSIZE, "invalid %s: longer than %zu bytes", what, max);
    if (memchr(line, '\0', len))
        return ql_error_set(err, EBADMSG, "invalid %s: it contains a NUL byte", what);
    enum json_tokener_error je;
    json_object *o = ql_json_parse_text(line, len, depth, 0, &je);
    if (je != json_tokener_success)
        return ql_error_set(err, EBADMSG, "invalid %s: not a JSON text: %s", what,
                            json_tokener_error_desc(je));
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return ql_error_set(err, EBADMSG, "invalid %s: not a JSON object", what);
    }
    *ret = o;
    return 0;
}

/* A JSON string without "\u0000" in it, which would cut it short as a C string. */
static const char *get_cstring(json_object *v)
{
    if (!json_object_is_type(v, json_type_string))
        return NULL;
    const char *s = json_object_get_string(v);
    return strlen(s) == (size_t)json_object_get_string_len(v) ? s : NULL;
}

/* One of the day-2 verbs' members (fields[]) into r. */
static int parse_field(struct ctl_request *r, const char *name, const char *key,
                       json_object *val, struct ql_error *err)
{
    const struct field *f = NULL;
    for (size_t i = 0; i < N_FIELDS && !f; i++)
        if (strcmp(fields[i].key, key) == 0 && (fields[i].takes & CMD_BIT(r->cmd)))
            f = &fields[i];
    if (!f)
        return ql_error_set(err, EBADMSG, "invalid request: command '%s' takes no \"%s\"",
                            name, key);
    void *p = (char *)r + f->off;
    const char *s;
    int64_t n;
    switch (f->type) {
    case FIELD_STR:
        if (!(s = get_cstring(val)) || !*s)
            return ql_error_set(err, EBADMSG, "invalid request: \"%s\" must be a non-empty "
                                "string without NUL characters", key);
        free(*(char **)p);
        *(char **)p = xstrdup(s);
        return 0;
    case FIELD_BOOL:
        if (!json_object_is_type(val, json_type_boolean))
            return ql_error_set(err, EBADMSG, "invalid request: \"%s\" must be true or false",
                                key);
        *(bool *)p = json_object_get_boolean(val);
        return 0;
    case FIELD_INT:
        n = json_object_get_int64(val);
        if (!json_object_is_type(val, json_type_int) || n < 0 || n > f->max)
            return ql_error_set(err, EBADMSG, "invalid request: \"%s\" must be a number from "
                                "0 to %lld", key, f->max);
        *(long long *)p = n;
        return 0;
    }
    return -EINVAL;
}

int ctl_request_parse(const char *line, size_t len, struct ctl_request *ret,
                      struct ql_error *err)
{
    *ret = (struct ctl_request)CTL_REQUEST_INIT(CTL_STATUS);
    json_object *o;
    int r = parse_object(line, len, CTL_MAX_LINE, REQUEST_DEPTH, "request", &o, err);
    if (r < 0)
        return r;
    json_object *v;
    const char *name = NULL;
    if (!json_object_object_get_ex(o, "cmd", &v))
        r = ql_error_set(err, EBADMSG, "invalid request: no \"cmd\"");
    else if (!(name = get_cstring(v)))
        r = ql_error_set(err, EBADMSG, "invalid request: \"cmd\" must be a string");
    else if ((r = ctl_cmd_from_string(name)) < 0)
        r = ql_error_set(err, EBADMSG, "unknown command '%s'", name);
    else
        ret->cmd = (enum ctl_cmd)r;
    if (r < 0) {
        json_object_put(o);
        return r;
    }
    r = 0;
    json_object_object_foreach(o, key, val) {
        if (strcmp(key, "cmd") == 0)
            continue;
        if (strcmp(key, "graceful") == 0 && ret->cmd == CTL_DESTROY) {
            if (!json_object_is_type(val, json_type_boolean)) {
                r = ql_error_set(err, EBADMSG, "invalid request: \"graceful\" must be true or "
                                 "false");
                break;
            }
            ret->graceful = json_object_get_boolean(val);
        } else if (strcmp(key, "timeout") == 0 &&
                   (ret->cmd == CTL_SHUTDOWN || ret->cmd == CTL_AGENT_COMMAND)) {
            int64_t t = json_object_get_int64(val);
            if (!json_object_is_type(val, json_type_int) || t < 0 || t > CTL_MAX_TIMEOUT_S) {
                r = ql_error_set(err, EBADMSG, "invalid request: \"timeout\" must be a number "
                                 "of seconds from 0 to %d", CTL_MAX_TIMEOUT_S);
                break;
            }
            ret->timeout_s = (int)t;
        } else if (strcmp(key, "json") == 0 &&
                   (ret->cmd == CTL_QMP || ret->cmd == CTL_AGENT_COMMAND)) {
            const char *s = get_cstring(val);
            if (!s || !*s) {
                r = ql_error_set(err, EBADMSG, "invalid request: \"json\" must be a non-empty "
                                 "string without NUL characters");
                break;
            }
            ret->json = xstrdup(s);
        } else if ((r = parse_field(ret, name, key, val, err)) < 0) {
            break;
        }
    }
    if (r == 0 && (ret->cmd == CTL_QMP || ret->cmd == CTL_AGENT_COMMAND) && !ret->json)
        r = ql_error_set(err, EBADMSG, "the %s request needs a \"json\" string", name);
    for (size_t i = 0; r == 0 && i < N_FIELDS; i++)
        if ((fields[i].needs & CMD_BIT(ret->cmd)) && !json_object_object_get_ex(o, fields[i].key,
                                                                                NULL))
            r = ql_error_set(err, EBADMSG, "the %s request needs \"%s\"", name,
                             fields[i].key);
    json_object_put(o);
    if (r < 0)
        ctl_request_clear(ret);
    return r;
}

char *ctl_request_format(const struct ctl_request *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cmd", json_object_new_string(ctl_cmd_to_string(r->cmd)));
    if (r->cmd == CTL_DESTROY && r->graceful)
        json_object_object_add(o, "graceful", json_object_new_boolean(1));
    bool agent = r->cmd == CTL_AGENT_COMMAND;
    if ((r->cmd == CTL_SHUTDOWN || agent) && r->timeout_s >= 0)
        json_object_object_add(o, "timeout", json_object_new_int(r->timeout_s));
    if ((r->cmd == CTL_QMP || agent) && r->json)
        json_object_object_add(o, "json", json_object_new_string(r->json));
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        const void *p = (const char *)r + f->off;
        if (!(f->takes & CMD_BIT(r->cmd)))
            continue;
        if (f->type == FIELD_STR && *(char *const *)p)
            json_object_object_add(o, f->key, json_object_new_string(*(char *const *)p));
        else if (f->type == FIELD_BOOL && *(const bool *)p)
            json_object_object_add(o, f->key, json_object_new_boolean(1));
        else if (f->type == FIELD_INT && (*(const long long *)p || (f->needs & CMD_BIT(r->cmd))))
            json_object_object_add(o, f->key, json_object_new_int64(*(const long long *)p));
    }
    char *line = xasprintf("%s\n", json_object_to_json_string_ext(
                                       o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return line;
}

json_object *ctl_reply_ok(void)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    return o;
}

json_object *ctl_reply_error(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(&sb, fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(0));
    json_object_object_add(o, "error", json_object_new_string(sb_str(&sb)));
    sb_free(&sb);
    return o;
}

int ctl_reply_parse(const char *line, size_t len, json_object **ret, struct ql_error *err)
{
    json_object *o;
    *ret = NULL;
    int r = parse_object(line, len, CTL_MAX_REPLY, REPLY_DEPTH, "answer from the supervisor",
                         &o, err);
    if (r < 0)
        return r;
    json_object *ok, *e;
    if (!json_object_object_get_ex(o, "ok", &ok) || !json_object_is_type(ok, json_type_boolean)) {
        json_object_put(o);
        return ql_error_set(err, EBADMSG, "invalid answer from the supervisor: no \"ok\"");
    }
    if (!json_object_get_boolean(ok)) {
        r = ql_error_set(err, EREMOTEIO, "%s",
                         json_object_object_get_ex(o, "error", &e) && get_cstring(e)
                             ? json_object_get_string(e) : "the supervisor refused the request");
        json_object_put(o);
        return r;
    }
    *ret = o;
    return 0;
}
