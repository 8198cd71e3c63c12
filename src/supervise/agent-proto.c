/* The guest agent's protocol: framing, replies, commands (agent-proto.h). */
#include "config.h"
#include "supervise/agent-proto.h"
#include "util/cleanup.h"
#include "util/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void qga_stream_feed(struct qga_stream *st, const char *p, size_t n)
{
    sb_addn(&st->buf, p, n);
}

void qga_stream_clear(struct qga_stream *st)
{
    sb_free(&st->buf);
    st->skipping = false;
}

/* Drops the first n bytes of the buffer. */
static void consume(struct qga_stream *st, size_t n)
{
    memmove(st->buf.s, st->buf.s + n, st->buf.len - n);
    st->buf.len -= n;
    st->buf.s[st->buf.len] = '\0';
}

/* One line as a JSON object, strictly: -EBADMSG otherwise. */
static int parse_line(const char *line, size_t len, json_object **ret, struct ql_error *err)
{
    *ret = NULL;
    if (memchr(line, '\0', len))
        return ql_error_set(err, EBADMSG, "the guest agent sent a line with a NUL byte");
    int flags = 0;
#ifdef JSON_TOKENER_VALIDATE_UTF8
    flags = JSON_TOKENER_VALIDATE_UTF8;
#endif
    enum json_tokener_error je;
    json_object *o = ql_json_parse_text(line, len, QGA_JSON_DEPTH, flags, &je);
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return ql_error_set(err, EBADMSG, "the guest agent sent something that is not a JSON "
                            "object%s%s", je != json_tokener_success ? ": " : "",
                            je != json_tokener_success ? json_tokener_error_desc(je) : "");
    }
    *ret = o;
    return 0;
}

int qga_stream_next(struct qga_stream *st, json_object **ret, struct ql_error *err)
{
    *ret = NULL;
    for (;;) {
        char *nl = st->buf.len ? memchr(st->buf.s, '\n', st->buf.len) : NULL;
        if (st->skipping) {
            if (!nl) {
                consume(st, st->buf.len);
                return 0;
            }
            consume(st, (size_t)(nl - st->buf.s) + 1);
            st->skipping = false;
            continue;
        }
        if (!nl) {
            if (st->buf.len <= QGA_MAX_MESSAGE)
                return 0;
            consume(st, st->buf.len);
            st->skipping = true;
            return ql_error_set(err, EMSGSIZE, "the guest agent sent a line longer than %d "
                                "bytes; it was skipped", QGA_MAX_MESSAGE);
        }
        size_t len = (size_t)(nl - st->buf.s);
        /* 0xFF is the agent's delimiter (guest-sync-delimited): never part of a message. */
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)st->buf.s[i] != 0xff)
                st->buf.s[k++] = st->buf.s[i];
        size_t start = 0;
        while (start < k && strchr(" \t\r", st->buf.s[start]))
            start++;
        if (start == k) {
            consume(st, len + 1);
            continue;
        }
        if (len > QGA_MAX_MESSAGE) {
            consume(st, len + 1);
            return ql_error_set(err, EMSGSIZE, "the guest agent sent a line longer than %d "
                                "bytes; it was skipped", QGA_MAX_MESSAGE);
        }
        int r = parse_line(st->buf.s + start, k - start, ret, err);
        consume(st, len + 1);
        return r < 0 ? r : 1;
    }
}

enum qga_reply_kind qga_reply_kind(json_object *msg, json_object **ret_value,
                                   const char **ret_desc)
{
    json_object *v, *e;
    *ret_value = NULL;
    *ret_desc = NULL;
    if (json_object_object_get_ex(msg, "return", &v)) {
        *ret_value = v;
        return QGA_REPLY_RETURN;
    }
    if ((e = ql_json_get(msg, "error", json_type_object))) {
        *ret_desc = ql_json_str(e, "desc", ql_json_str(e, "class", NULL));
        return QGA_REPLY_ERROR;
    }
    return QGA_REPLY_OTHER;
}

bool qga_reply_is_sync(json_object *msg, int64_t id)
{
    json_object *v;
    return json_object_object_get_ex(msg, "return", &v) &&
           json_object_is_type(v, json_type_int) && json_object_get_int64(v) == id;
}

static char *to_line(json_object *o)
{
    return xasprintf("%s\n", json_object_to_json_string_ext(
                                 o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

char *qga_sync_text(int64_t id)
{
    return xasprintf("\xff{\"execute\":\"guest-sync\",\"arguments\":{\"id\":%" PRId64 "}}\n", id);
}

char *qga_command_text(const char *execute, json_object *args)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "execute", json_object_new_string(execute));
    if (args)
        json_object_object_add(o, "arguments", json_object_get(args));
    char *t = to_line(o);
    json_object_put(o);
    return t;
}

int qga_command_parse(const char *text, char **ret_name, char **ret_text,
                      struct ql_error *err)
{
    *ret_name = *ret_text = NULL;
    json_object *o;
    int r = parse_line(text, strlen(text), &o, err);
    if (r < 0) {
        ql_error_clear(err);
        return ql_error_set(err, EINVAL, "the agent command is not a JSON object");
    }
    const char *name = ql_json_str(o, "execute", NULL);
    json_object *args = NULL;
    r = 0;
    if (!name || !*name)
        r = ql_error_set(err, EINVAL, "the agent command needs a string \"execute\"");
    json_object_object_foreach(o, key, val) {
        if (r < 0)
            break;
        if (strcmp(key, "execute") == 0)
            continue;
        if (strcmp(key, "arguments") == 0 && json_object_is_type(val, json_type_object))
            args = val;
        else
            r = ql_error_set(err, EINVAL, "the agent command may only have \"execute\" and "
                             "an object \"arguments\", not \"%s\"", key);
    }
    if (r == 0) {
        *ret_name = xstrdup(name);
        *ret_text = qga_command_text(name, args);
    }
    json_object_put(o);
    return r;
}

bool qga_command_no_reply(const char *name)
{
    static const char *const names[] = {"guest-shutdown", "guest-suspend-disk",
                                        "guest-suspend-ram", "guest-suspend-hybrid"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* One address of an interface, or NULL when it is not well formed. */
static json_object *iface_addr(json_object *a)
{
    const char *type = ql_json_str(a, "ip-address-type", "");
    const char *addr = ql_json_str(a, "ip-address", NULL);
    int64_t prefix = ql_json_int64(a, "prefix", -1);
    bool v6 = strcmp(type, "ipv6") == 0;
    unsigned char bin[16];
    if ((!v6 && strcmp(type, "ipv4") != 0) || !addr ||
        inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1 || prefix < 0 ||
        prefix > (v6 ? 128 : 32))
        return NULL;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "addr", json_object_new_string(addr));
    json_object_object_add(o, "prefix", json_object_new_int(prefix));
    return o;
}

int qga_interfaces(json_object *ret, json_object **ret_list, struct ql_error *err)
{
    *ret_list = NULL;
    if (!json_object_is_type(ret, json_type_array))
        return ql_error_set(err, EBADMSG, "the guest agent's list of interfaces is not a list");
    json_object *list = json_object_new_array();
    size_t n = json_object_array_length(ret);
    for (size_t i = 0; i < n && json_object_array_length(list) < QGA_MAX_IFACES; i++) {
        json_object *e = json_object_array_get_idx(ret, i);
        const char *name = ql_json_str(e, "name", NULL);
        if (!name || !*name || strlen(name) > 255)
            continue;
        const char *hw = ql_json_str(e, "hardware-address", NULL);
        json_object *addrs = json_object_new_array();
        json_object *in = ql_json_get(e, "ip-addresses", json_type_array);
        size_t na = in ? json_object_array_length(in) : 0;
        for (size_t k = 0; k < na && json_object_array_length(addrs) < QGA_MAX_ADDRS; k++) {
            json_object *a = iface_addr(json_object_array_get_idx(in, k));
            if (a)
                json_object_array_add(addrs, a);
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "hwaddr", hw && strlen(hw) <= 64 ? json_object_new_string(hw)
                                                                 : NULL);
        json_object_object_add(o, "addrs", addrs);
        json_object_array_add(list, o);
    }
    *ret_list = list;
    return 0;
}
