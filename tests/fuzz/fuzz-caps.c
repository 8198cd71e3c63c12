/* libFuzzer harness: a QEMU capabilities cache file (/var/cache/qlaunch/caps/, the user's
 * ~/.cache/qlaunch/caps/), which qlaunch re-reads before every argv/create. The input is
 * read as the line form the cache uses (qemu_caps_from_text) and as the JSON form of the
 * golden files (qemu_caps_from_json); what parses is looked up as the builder does, written
 * in both forms, and must read back the same. */
#include "config.h"
#include "qemu/caps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*caps_reader)(const char *text, size_t len, struct qemu_caps **ret,
                           struct ql_error *err);

/* written = write(c); read(written) must succeed and write back the same bytes. */
static void round_trip(const struct qemu_caps *c, char *(*write)(const struct qemu_caps *),
                       caps_reader read)
{
    struct ql_error err = QL_ERROR_INIT;
    char *a = write(c);
    if (!a)
        return;     /* to_text: a newline in a path or package, not cacheable */
    struct qemu_caps *back = NULL;
    if (read(a, strlen(a), &back, &err) < 0)
        abort();    /* what qlaunch writes, it reads */
    char *b = write(back);
    if (!b || strcmp(a, b) != 0)
        abort();
    free(a);
    free(b);
    qemu_caps_free(back);
    ql_error_clear(&err);
}

/* The lookups the builder makes, and the round trips. A record read from the line form
 * may hold bytes JSON cannot (the path and package are bytes there): JSON round trips are
 * only asked of records read from JSON. */
static void check(const struct qemu_caps *c, bool from_json)
{
    (void)qemu_caps_machine(c, "pc");
    (void)qemu_caps_machine(c, "pc-q35-7.2");
    (void)qemu_caps_has_type(c, "ahci");
    (void)qemu_caps_device_has_prop(c, "virtio-net-pci", "tx_queue_size");
    (void)qemu_caps_version_ge(c, 8, 0, 4);
    round_trip(c, qemu_caps_to_text, qemu_caps_from_text);
    if (from_json)
        round_trip(c, qemu_caps_to_json, qemu_caps_from_json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const caps_reader readers[] = {qemu_caps_from_text, qemu_caps_from_json};
    for (size_t i = 0; i < 2; i++) {
        struct qemu_caps *c = NULL;
        struct ql_error err = QL_ERROR_INIT;
        if (readers[i]((const char *)data, size, &c, &err) == 0) {
            check(c, i == 1);
            qemu_caps_free(c);
        } else if (!err.msg || c) {
            abort();
        }
        ql_error_clear(&err);
    }
    return 0;
}
