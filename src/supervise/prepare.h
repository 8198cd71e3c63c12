/* The host facts a build needs, prepared in one place for `qlaunch argv` and for a start,
 * so that the command line argv prints is the one a start runs: the run directory
 * (--run-dir / QLAUNCH_RUN_DIR), who QEMU runs as (and so where it creates its sockets),
 * what the emulator offers (its capabilities), the NVRAM directory, graphics addresses of
 * <listen type='network'>, the firmware chosen for firmware='efi'. */
#pragma once
#include "domain/domain.h"
#include "host/dac.h"
#include "host/firmware.h"
#include "host/qemucaps.h"
#include "host/net.h"
#include "qemu/build.h"
#include "util/error.h"

/* fd number of the QMP listening socket in QEMU; taps and the like follow it. */
#define SUP_QMP_FD_NUM 3

struct sup_build_prep {
    struct qb_options o;            /* what qb_build takes; points into the members below */
    char *run_dir;
    char *qemu_dir;                 /* RUNDIR/qemu, QEMU's own, when it runs as dac's user */
    struct host_dac dac;            /* who QEMU runs as */
    char *dac_problem;              /* SUP_PREP_SHOW: why a start would fail on dac */
    struct qemu_caps *caps;         /* the emulator's, or NULL when it is not there */
    struct host_listen_addrs listen_addrs;
    struct host_firmware fw;
    struct qb_firmware qfw;
    struct dom_smbios host_smbios;  /* <smbios mode='host'>: the host's tables */
    bool *disk_absent;              /* per disk: startupPolicy='optional' and no file */
};

/* base: --run-dir or NULL (QLAUNCH_RUN_DIR or the default); accel, emulator: overrides or
 * NULL. Fails with a located error when a host fact cannot be found; with SUP_PREP_SHOW
 * (`qlaunch argv`), a missing QEMU user is not fatal: the argv is built as if it existed
 * and dac_problem says why a start would fail. */
#define SUP_PREP_SHOW 1u
int sup_build_prepare(const struct domain *d, const char *base, const char *accel,
                      const char *emulator, unsigned flags, struct sup_build_prep *p,
                      struct ql_error *err);
void sup_build_prep_free(struct sup_build_prep *p);

/* The host's SMBIOS fields for <smbios mode='host'>, as the kernel shows them below sysfs
 * (host_sysfs_root(): $QLAUNCH_SYSFS_ROOT or /sys): class/dmi/id, what is readable (serial
 * numbers only by root), as libvirt's dmidecode read, but the UUID; and the OEM strings of
 * the raw table firmware/dmi/tables/DMI (root's only). -ENOENT with a sentence (no place)
 * when nothing is readable, -EINVAL for a malformed table. */
int sup_read_host_smbios(const char *sysfs, struct dom_smbios *ret, struct ql_error *err);
