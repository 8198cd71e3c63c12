/* libFuzzer harness: a QEMU capabilities cache file (/var/cache/qlaunch/caps/, the user's
 * ~/.cache/qlaunch/caps/), which qlaunch re-reads before every argv/create: qemu_caps_from_json,
 * then the lookups the builder makes and the written form, which must read back the same. */
#include "config.h"
#include "qemu/caps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qemu_caps *c = NULL;
    struct ql_error err = QL_ERROR_INIT;
    if (qemu_caps_from_json((const char *)data, size, &c, &err) == 0) {
        (void)qemu_caps_machine(c, "pc");
        (void)qemu_caps_machine(c, "pc-q35-7.2");
        (void)qemu_caps_has_type(c, "ahci");
        (void)qemu_caps_device_has_prop(c, "virtio-net-pci", "tx_queue_size");
        (void)qemu_caps_version_ge(c, 8, 0, 4);
        char *j = qemu_caps_to_json(c);
        struct qemu_caps *back = NULL;
        if (qemu_caps_from_json(j, strlen(j), &back, &err) < 0)
            abort();    /* what qlaunch writes, it reads */
        char *j2 = qemu_caps_to_json(back);
        if (strcmp(j, j2) != 0)
            abort();
        free(j);
        free(j2);
        qemu_caps_free(back);
        qemu_caps_free(c);
    } else if (!err.msg || c) {
        abort();
    }
    ql_error_clear(&err);
    return 0;
}
