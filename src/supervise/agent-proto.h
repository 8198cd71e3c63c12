/* The QEMU guest agent's protocol, as the supervisor speaks it on the agent's channel (pure:
 * no I/O). The guest sends newline-terminated JSON objects; what it sends is untrusted bytes
 * (any guest process that opens the port may write there), so the stream is cut into lines
 * of bounded size, each parsed strictly, and a bad line is skipped with a reason, never
 * fatal. Commands go out as libvirt sends them: a 0xFF byte (which resets the agent's JSON
 * parser after a command cut short by a timeout), guest-sync with a random id, and the
 * command once the agent has answered that id. */
#pragma once
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"
#include "util/strbuf.h"

/* Longest line (one reply) read from the agent; longer ones are skipped. */
#define QGA_MAX_MESSAGE (1024 * 1024)
/* Nesting accepted in a reply (guest-get-fsinfo nests disks in filesystems). */
#define QGA_JSON_DEPTH 32
/* guest-network-get-interfaces: at most so many interfaces and addresses per interface. */
#define QGA_MAX_IFACES 256
#define QGA_MAX_ADDRS 256

struct qga_stream {
    struct strbuf buf;          /* bytes of the line being read */
    bool skipping;              /* the current line is too long: drop it up to its newline */
};
#define QGA_STREAM_INIT {STRBUF_INIT, false}

/* Takes n bytes from the agent. Nothing is parsed yet: call qga_stream_next. */
void qga_stream_feed(struct qga_stream *st, const char *p, size_t n);
/* The next message: 1 with *ret (a JSON object, the caller puts it); 0 when no complete line
 * is left; -EBADMSG or -EMSGSIZE when a line was skipped (err says why; call again). */
int qga_stream_next(struct qga_stream *st, json_object **ret, struct ql_error *err);
void qga_stream_clear(struct qga_stream *st);

enum qga_reply_kind {
    QGA_REPLY_RETURN,           /* {"return": VALUE} */
    QGA_REPLY_ERROR,            /* {"error": {"class": ..., "desc": ...}} */
    QGA_REPLY_OTHER,            /* anything else: not an answer */
};
/* What msg is; *ret_value is its "return" value, *ret_desc the error's description (both
 * borrowed from msg, may be NULL). */
enum qga_reply_kind qga_reply_kind(json_object *msg, json_object **ret_value,
                                   const char **ret_desc);
/* Whether msg answers guest-sync with id. */
bool qga_reply_is_sync(json_object *msg, int64_t id);

/* The bytes that begin an exchange: 0xFF, then guest-sync with id, newline-terminated. */
char *qga_sync_text(int64_t id);
/* A command's text (newline-terminated) from its name and arguments (may be NULL). */
char *qga_command_text(const char *execute, json_object *args);
/* A command given as JSON text by the user (qemu-agent-command): one object with a string
 * "execute" and optionally an object "arguments", nothing else. Returns 0 with the command
 * name (malloc'd) and its canonical text, or -EINVAL. */
int qga_command_parse(const char *text, char **ret_name, char **ret_text,
                      struct ql_error *err);
/* Commands the agent does not answer when they succeed (the guest goes down instead). */
bool qga_command_no_reply(const char *name);

/* guest-network-get-interfaces' return as domifaddr reports it: an array of {"name",
 * "hwaddr" (or null), "addrs": [{"type": "ipv4"|"ipv6", "addr", "prefix"}]}. Entries and
 * addresses that are not well formed are left out; -EBADMSG when ret is not an array. */
int qga_interfaces(json_object *ret, json_object **ret_list, struct ql_error *err);
