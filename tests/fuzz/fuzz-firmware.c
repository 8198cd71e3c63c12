/* libFuzzer harness: QEMU firmware descriptors (docs/interop/firmware.json), which
 * <os firmware='efi'> and a pflash <loader> make qlaunch read from /usr/share/qemu/firmware,
 * /etc/qemu/firmware and the user's ~/.config/qemu/firmware. The input becomes the only
 * descriptor in a private directory ($QLAUNCH_FIRMWARE_DIRS), resolved for a few domains
 * that ask for different things. */
#include "config.h"
#include "domain/parse.h"
#include "host/firmware.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <fcntl.h>
#include <libxml/parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the domains ask for: efi on pc; secure boot without enrolled keys, SMM, q35; an
 * explicit loader and template with S3/S4; a pflash loader without efi (VARS lookup). */
#define DOM(os, extra)                                                                    \
    "<domain type='qemu'><name>fw</name><memory unit='MiB'>64</memory>" os extra           \
    "<devices><memballoon model='none'/></devices></domain>"
static const char *const dom_xml[] = {
    DOM("<os firmware='efi'><type arch='x86_64' machine='pc'>hvm</type></os>", ""),
    DOM("<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type><firmware>"
        "<feature enabled='yes' name='secure-boot'/><feature enabled='no' name='enrolled-keys'/>"
        "</firmware><loader secure='yes'/></os>", "<features><smm state='on'/></features>"),
    DOM("<os firmware='efi'><type arch='x86_64' machine='pc-q35-7.2'>hvm</type>"
        "<loader type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
        "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'/></os>",
        "<pm><suspend-to-mem enabled='yes'/><suspend-to-disk enabled='yes'/></pm>"),
    DOM("<os><type arch='x86_64' machine='q35'>hvm</type>"
        "<loader readonly='yes' type='pflash'>/fw/CODE.fd</loader></os>", ""),
};

static char *desc_dir, *desc_path;
static struct domain *doms[ARRAY_SIZE(dom_xml)];

static void cleanup(void)
{
    unlink(desc_path);
    rmdir(desc_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    xmlInitParser();
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    desc_dir = xasprintf("%s/qlaunch-fuzz-fw.XXXXXX", tmp);
    if (!mkdtemp(desc_dir))
        abort();
    setenv("QLAUNCH_FIRMWARE_DIRS", desc_dir, 1);
    desc_path = xasprintf("%s/50-fuzz.json", desc_dir);
    atexit(cleanup);
    for (size_t i = 0; i < ARRAY_SIZE(doms); i++) {
        struct dom_diags g = {0};
        if (dom_parse_memory(dom_xml[i], strlen(dom_xml[i]), "fw.xml", &doms[i], &g) < 0)
            abort();
        dom_diags_free(&g);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = open(desc_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) < 0)
        abort();
    for (size_t i = 0; i < ARRAY_SIZE(doms); i++) {
        struct host_firmware f;
        struct ql_error err = QL_ERROR_INIT;
        if (host_firmware_resolve(doms[i], &f, &err) == 0) {
            if (f.resolved && doms[i]->os.firmware && !f.loader)
                abort();    /* a resolved firmware='efi' has a loader */
            host_firmware_free(&f);
        } else if (!err.msg) {
            abort();
        }
        ql_error_clear(&err);
    }
    return 0;
}
