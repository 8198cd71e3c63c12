/* Prints the capabilities of a QEMU binary as JSON: probed without the cache and without the
 * binary's key (the form of the golden files tests/caps/qemu-*.json), or with --cached
 * through the cache as `qlaunch` uses it (the key included).
 *   tests/caps/caps-dump /usr/bin/qemu-system-x86_64 > tests/caps/qemu-7.2.json */
#include "config.h"
#include <stdio.h>
#include <string.h>

#include "host/qemucaps.h"
#include "util/cleanup.h"

int main(int argc, char **argv)
{
    bool cached = argc == 3 && strcmp(argv[1], "--cached") == 0;
    if (argc != 2 + cached) {
        fprintf(stderr, "usage: %s [--cached] EMULATOR\n", argv[0]);
        return 2;
    }
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_(qemu_caps_freep) struct qemu_caps *c = NULL;
    int r = cached ? qemu_caps_get(argv[2], &c, &err) : qemu_caps_probe(argv[1], &c, &err);
    if (r < 0) {
        fprintf(stderr, "caps-dump: %s\n", ql_error_msg(&err));
        ql_error_clear(&err);
        return 1;
    }
    if (!cached) {
        free(c->key.path);
        c->key.path = NULL;
    }
    _cleanup_free_ char *text = qemu_caps_to_json(c);
    fputs(text, stdout);
    return 0;
}
