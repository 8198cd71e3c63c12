/* libFuzzer harness: what a guest sends on the guest agent's channel, as the supervisor reads
 * it. The first input byte chooses the size of the reads the rest is cut into; every message
 * is classified as the supervisor does (sync answer, reply, error), and each "return" value
 * goes through the interface conversion of domifaddr. A skipped line always says why. */
#include "config.h"
#include "supervise/agent-proto.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] * 37 + 1;
    data++;
    size--;
    struct qga_stream st = QGA_STREAM_INIT;
    for (size_t off = 0; off < size; off += step) {
        qga_stream_feed(&st, (const char *)data + off, size - off < step ? size - off : step);
        for (;;) {
            json_object *msg, *value, *list;
            const char *desc;
            struct ql_error err = QL_ERROR_INIT;
            int r = qga_stream_next(&st, &msg, &err);
            if (r == 0)
                break;
            if (r < 0) {
                if (!err.msg || msg)
                    abort();    /* a skipped line says why and yields nothing */
                ql_error_clear(&err);
                continue;
            }
            (void)qga_reply_is_sync(msg, 42);
            if (qga_reply_kind(msg, &value, &desc) == QGA_REPLY_RETURN) {
                if (qga_interfaces(value, &list, &err) == 0)
                    json_object_put(list);
                ql_error_clear(&err);
            }
            json_object_put(msg);
        }
    }
    qga_stream_clear(&st);
    return 0;
}
