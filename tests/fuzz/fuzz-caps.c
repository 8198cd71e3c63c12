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

static void check(const struct qemu_caps *c)
{
    (void)qemu_caps_machine(c, "pc");
    (void)qemu_caps_machine(c, "pc-q35-7.2");
    (void)qemu_caps_has_type(c, "ahci");
    (void)qemu_caps_device_has_prop(c, "virtio-net-pci", "tx_queue_size");
    (void)qemu_caps_version_ge(c, 8, 0, 4);
    struct ql_error err = QL_ERROR_INIT;
    char *j = qemu_caps_to_json(c);
    struct qemu_caps *back = NULL;
    if (qemu_caps_from_json(j, strlen(j), &back, &err) < 0)
        abort();    /* what qlaunch writes, it reads */
    char *j2 = qemu_caps_to_json(back);
    if (strcmp(j, j2) != 0)
        abort();
    qemu_caps_free(back);
    free(j2);
    char *t = qemu_caps_to_text(c);
    if (t) {
        if (qemu_caps_from_text(t, strlen(t), &back, &err) < 0)
            abort();
        j2 = qemu_caps_to_json(back);
        if (strcmp(j, j2) != 0)
            abort();
        free(j2);
        qemu_caps_free(back);
        free(t);
    }
    free(j);
    ql_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const caps_reader readers[] = {qemu_caps_from_text, qemu_caps_from_json};
    for (size_t i = 0; i < 2; i++) {
        struct qemu_caps *c = NULL;
        struct ql_error err = QL_ERROR_INIT;
        if (readers[i]((const char *)data, size, &c, &err) == 0) {
            check(c);
            qemu_caps_free(c);
        } else if (!err.msg || c) {
            abort();
        }
        ql_error_clear(&err);
    }
    return 0;
}
