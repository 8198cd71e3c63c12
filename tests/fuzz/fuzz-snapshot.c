/* libFuzzer harness: the files the snapshot and save/restore verbs read back. Snapshot
 * metadata (SNAPSHOT_DIR/DOMAIN/SNAP.json) is re-read by a root supervisor; a save file is
 * whatever the user hands to `restore`. The first input byte picks the parser. */
#include "config.h"
#include "supervise/snapshot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool save = data[0] & 1;
    data++;
    size--;
    struct ql_error err = QL_ERROR_INIT;
    if (save) {
        struct save_header h;
        size_t need;
        int r = save_header_parse((const char *)data, size, &h, &need, &err);
        if (r == 0) {
            if (!h.name || !h.xml || h.data_offset % SAVE_ALIGN || h.data_offset < need)
                abort();
            save_header_clear(&h);
        } else if (r == -EAGAIN ? need <= size : !err.msg) {
            abort();
        }
    } else {
        /* The file reader NUL-terminates what it read. */
        char *text = malloc(size + 1);
        if (!text)
            abort();
        memcpy(text, data, size);
        text[size] = '\0';
        struct snap_meta m;
        if (snap_meta_parse(text, "s.json", &m, &err) == 0) {
            /* a disk-only snapshot of a shut-off domain has no VM state, any other has */
            if (!m.name || !m.domain || !m.vmstate == !m.shutoff || !m.n_disks ||
                m.n_disks > SNAP_MAX_DISKS)
                abort();
            char *again = snap_meta_format(&m);
            struct snap_meta m2;
            struct ql_error err2 = QL_ERROR_INIT;
            if (snap_meta_parse(again, "s.json", &m2, &err2) < 0)
                abort();    /* what is written must read back */
            snap_meta_clear(&m2);
            free(again);
            snap_meta_clear(&m);
        } else if (!err.msg) {
            abort();
        }
        free(text);
    }
    ql_error_clear(&err);
    return 0;
}
