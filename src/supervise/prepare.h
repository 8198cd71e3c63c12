/* The host facts a build needs, prepared in one place for `qlaunch argv` and for a start,
 * so that the command line argv prints is the one a start runs: the run directory
 * (--run-dir / QLAUNCH_RUN_DIR), the NVRAM directory, graphics addresses of
 * <listen type='network'>, the firmware chosen for firmware='efi'. */
#pragma once
#include "domain/domain.h"
#include "host/firmware.h"
#include "host/net.h"
#include "qemu/build.h"
#include "util/error.h"

/* fd number of the QMP listening socket in QEMU; taps and the like follow it. */
#define SUP_QMP_FD_NUM 3

struct sup_build_prep {
    struct qb_options o;            /* what qb_build takes; points into the members below */
    char *run_dir;
    struct host_listen_addrs listen_addrs;
    struct host_firmware fw;
    struct qb_firmware qfw;
};

/* base: --run-dir or NULL (QLAUNCH_RUN_DIR or the default); accel, emulator: overrides or
 * NULL. Fails with a located error when a host fact cannot be found. */
int sup_build_prepare(const struct domain *d, const char *base, const char *accel,
                      const char *emulator, struct sup_build_prep *p, struct ql_error *err);
void sup_build_prep_free(struct sup_build_prep *p);
