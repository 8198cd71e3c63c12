/* libFuzzer harness: the QMP stream reader, fed QEMU's side of the socket. QEMU is not
 * trusted more than the guest it runs: what it sends must never crash the supervisor.
 *
 * Input: 4 bytes that choose how the stream is cut, then the bytes QEMU sends. A writer
 * thread sends the stream in chunks over a SOCK_SEQPACKET socketpair (one read() returns
 * exactly one chunk, so the cut points are those the input chose) and closes its end; the
 * client runs what the supervisor runs: handshake, query-status, query-chardev, query-pci,
 * a raw command, cont, set-action, then reads events until EOF. Command ids are 1
 * (qmp_capabilities), then 2, 3, ... in that order; seeds are written for them
 * (tests/fuzz/make-seeds.sh). */
#include "config.h"
#include "qmp/qmp.h"
#include "util/cleanup.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every exchange needs its bytes already sent or the EOF: a stall can only be a bug. */
#define TIMEOUT_MS 5000

struct feed {
    int fd;
    const uint8_t *data;
    size_t size;
    uint32_t seed;
};

static void *writer(void *arg)
{
    struct feed *f = arg;
    /* Chunk sizes: 1..max from a small LCG; max from the seed's low bits. Unless bit 3 is
     * set, a chunk never goes past a newline: the client reads one chunk at a time, so a
     * reply is not read before the command it answers was sent, as with a real QEMU. After
     * MAX_CUTS chunks the rest goes line by line: the cuts fit in the socket buffer, so the
     * writer never waits for the client (thousands of 1-byte chunks, each a wakeup of the
     * other thread, made the harness a hundred times slower). */
    static const size_t maxes[] = {1, 3, 16, 100, 1000, 4096, 65536, 65536};
    enum { MAX_CUTS = 200 };
    size_t max = maxes[f->seed & 7];
    bool whole_lines = !(f->seed & 8);
    uint32_t x = f->seed | 1;
    for (size_t off = 0, cuts = 0; off < f->size; cuts++) {
        x = x * 1103515245u + 12345u;
        size_t n = cuts < MAX_CUTS ? 1 + (x >> 8) % max : 65536;
        if (n > f->size - off)
            n = f->size - off;
        const uint8_t *nl = whole_lines ? memchr(f->data + off, '\n', n) : NULL;
        if (nl)
            n = (size_t)(nl - (f->data + off)) + 1;
        if (send(f->fd, f->data + off, n, MSG_NOSIGNAL) < 0)
            break;      /* the client closed its end */
        off += n;
    }
    shutdown(f->fd, SHUT_WR);
    return NULL;
}

static void on_event(struct qmp_conn *conn, const struct qmp_event *ev, void *opaque)
{
    if (!ev->name)
        abort();
    (void)qmp_event_type_to_string(ev->type);
    if (ev->type == QMP_EVENT_SHUTDOWN)
        (void)qmp_shutdown_cause_to_string(ev->u.shutdown.reason);
    if (ev->type == QMP_EVENT_GUEST_PANICKED)
        (void)qmp_guest_panic_action_to_string(ev->u.guest_panicked.action);
}

static void on_reply(struct qmp_conn *conn, const struct qmp_reply *reply, void *opaque)
{
    if (reply->error && !reply->message)
        abort();
}

static void run_client(struct qmp_conn *conn)
{
    struct ql_error err = QL_ERROR_INIT;
    /* An async command queued before the greeting is held until negotiation ends. */
    (void)qmp_send(conn, "query-name", NULL, on_reply, NULL, NULL, NULL);
    if (qmp_handshake_sync(conn, TIMEOUT_MS, &err) < 0)
        goto out;
    (void)qmp_conn_version(conn);
    (void)qmp_conn_has_capability(conn, "oob");
    bool running;
    enum qmp_run_state st;
    if (qmp_query_status_sync(conn, TIMEOUT_MS, &running, &st, &err) == 0)
        (void)qmp_run_state_to_string(st);
    ql_error_clear(&err);
    struct qmp_chardev *chr = NULL;
    size_t n_chr = 0;
    if (qmp_query_chardev_sync(conn, TIMEOUT_MS, &chr, &n_chr, &err) == 0) {
        (void)qmp_chardev_pty(chr, n_chr, "charserial0");
        qmp_chardev_list_free(chr, n_chr);
    }
    ql_error_clear(&err);
    struct qmp_pci_device *pci = NULL;
    size_t n_pci = 0;
    if (qmp_query_pci_sync(conn, TIMEOUT_MS, &pci, &n_pci, &err) == 0)
        qmp_pci_list_free(pci, n_pci);
    ql_error_clear(&err);
    json_object *reply = NULL;
    if (qmp_execute_raw_sync(conn, "{\"execute\":\"human-monitor-command\",\"arguments\":"
                             "{\"command-line\":\"info version\"}}", TIMEOUT_MS, &reply,
                             &err) == 0)
        json_object_put(reply);
    ql_error_clear(&err);
    (void)qmp_cont_sync(conn, TIMEOUT_MS, &err);
    ql_error_clear(&err);
    struct qmp_actions a = {.set_reboot = true, .set_panic = true,
                            .reboot = QMP_REBOOT_ACTION_SHUTDOWN,
                            .panic = QMP_PANIC_ACTION_PAUSE};
    (void)qmp_set_action_sync(conn, TIMEOUT_MS, &a, &err);
    ql_error_clear(&err);
    /* Events until EOF or a protocol error. */
    while (qmp_conn_get_state(conn) == QMP_CONN_READY) {
        struct pollfd pfd = {.fd = qmp_conn_fd(conn), .events = POLLIN};
        if (poll(&pfd, 1, TIMEOUT_MS) != 1 || qmp_conn_on_readable(conn, &err) < 0)
            break;
    }
out:
    ql_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    struct feed f = {.fd = sv[1], .data = data + 4, .size = size - 4};
    memcpy(&f.seed, data, 4);
    pthread_t t;
    if (pthread_create(&t, NULL, writer, &f) != 0)
        abort();
    struct qmp_callbacks cb = {.event = on_event};
    struct qmp_conn *conn = qmp_conn_new_fd(sv[0], &cb, NULL);
    run_client(conn);
    /* Closing the client's end ends a writer blocked on a full socket. */
    qmp_conn_free(conn);
    pthread_join(t, NULL);
    close(sv[1]);
    return 0;
}
