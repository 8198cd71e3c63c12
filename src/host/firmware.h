/* UEFI firmware on the host: <os firmware='efi'> auto-selection from QEMU's firmware
 * descriptors (docs/interop/firmware.json), the VARS template of an explicit pflash loader,
 * and the creation of a domain's NVRAM file from its template.
 *
 * Selection follows libvirt 10 (qemuFirmwareFillDomain/qemuFirmwareMatchDomain): the
 * descriptors of every search directory are merged by file name (a file in an earlier
 * directory hides the same name in later ones; an empty file hides it without replacing
 * it), taken in file-name order, and the first one that matches wins:
 *  - interface-types has "uefi", mapping.device is "flash" in split mode, raw formats;
 *  - a target for x86_64 whose machines glob matches the machine type ("pc" and "q35"
 *    stand for pc-i440fx-* and pc-q35-*, as libvirt expands them to versioned names);
 *  - <firmware><feature name='secure-boot|enrolled-keys' enabled='yes|no'/> require or
 *    refuse the descriptor feature of that name;
 *  - <loader secure='yes'> needs requires-smm (and secure-boot unless refused);
 *    <loader secure='no'> and <smm state='off'/> refuse requires-smm/secure-boot ones;
 *  - <pm><suspend-to-mem|disk enabled='yes'> need acpi-s3/acpi-s4;
 *  - an explicit <loader> path or <nvram template> must be the descriptor's.
 *
 * Search directories: $QLAUNCH_FIRMWARE_DIRS (colon-separated, first wins) when set, else
 * $XDG_CONFIG_HOME/qemu/firmware (unprivileged users only), /etc/qemu/firmware,
 * /usr/share/qemu/firmware. */
#pragma once
#include <stdbool.h>
#include "domain/domain.h"
#include "util/error.h"

#define HOST_FIRMWARE_DESCRIPTOR_MAX (64 * 1024)   /* bytes per descriptor file */

/* What the host says about the domain's firmware; strings are owned. */
struct host_firmware {
    bool resolved;              /* false: nothing to resolve (BIOS, ROM loader, no loader) */
    char *loader;               /* firmware='efi': the executable chosen; else NULL */
    char *nvram_template;       /* the VARS template for the loader, NULL: none known */
    bool requires_smm;          /* the chosen descriptor has requires-smm */
    char *descriptor;           /* the descriptor file that matched, or NULL */
};

/* firmware='efi': picks the descriptor (error naming the machine type and the features
 * asked for when none matches). A pflash <loader> without firmware='efi' and without
 * <nvram template>: looks up its VARS template (the descriptor whose executable is the
 * loader, else Debian's naming OVMF_CODE*.fd -> OVMF_VARS*.fd when that file exists);
 * not finding one is not an error here (only creating a missing NVRAM file needs it).
 * Returns 0 or -errno. */
int host_firmware_resolve(const struct domain *d, struct host_firmware *ret,
                          struct ql_error *err);
void host_firmware_free(struct host_firmware *f);

/* The VARS template of a pflash loader as above, or NULL. */
char *host_firmware_vars_template(const char *loader);

/* Creates the NVRAM file path from template unless path exists (any existing file is
 * kept as it is, never overwritten, even by a concurrent creator): copied to a temporary
 * file in the same directory, mode 0600, fsync'ed, then linked into place. template NULL
 * with a missing file is an error asking for <nvram template>. *ret_created tells whether
 * the file was created. Returns 0 or -errno. */
int host_nvram_prepare(const char *path, const char *template, bool *ret_created,
                       struct ql_error *err);
