#include "config.h"
#include "supervise/prepare.h"
#include "host/dmi.h"
#include "host/vfio.h"
#include "supervise/rundir.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/strbuf.h"
#include "host/numa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The OEM strings of the host's raw table, when it is there and readable (root's only). */
static int read_host_oem(const char *sysfs, struct dom_smbios *ret, struct ql_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/firmware/dmi/tables/DMI", sysfs);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct ql_error e = QL_ERROR_INIT;
    if (ql_read_file(path, HOST_DMI_TABLE_MAX, &data, &len, &e) < 0) {
        int r = e.code == ENOENT || e.code == EACCES
                    ? 0 : ql_error_set(err, e.code, "%s", ql_error_msg(&e));
        ql_error_clear(&e);
        return r;
    }
    return host_dmi_oem_strings((const uint8_t *)data, len, &ret->oem, &ret->n_oem, err);
}

int sup_read_host_smbios(const char *sysfs, struct dom_smbios *ret, struct ql_error *err)
{
    /* The sysfs file of each field of dom_smbios_fields, "" where the kernel has none or
     * it is not wanted (the host's UUID is never the guest's). */
    static const char *const files[DOM_SMBIOS_TABLE_MAX][DOM_SMBIOS_MAX_FIELDS] = {
        [DOM_SMBIOS_BIOS] = {"bios_vendor", "bios_version", "bios_date", "bios_release"},
        [DOM_SMBIOS_SYSTEM] = {"sys_vendor", "product_name", "product_version",
                               "product_serial", "", "product_sku",
                               "product_family"},
        [DOM_SMBIOS_BASEBOARD] = {"board_vendor", "board_name", "board_version",
                                  "board_serial", "board_asset_tag", ""},
        [DOM_SMBIOS_CHASSIS] = {"chassis_vendor", "chassis_version", "chassis_serial",
                                "chassis_asset_tag", ""},
    };
    memset(ret, 0, sizeof(*ret));
    size_t found = 0;
    for (int t = 0; t < DOM_SMBIOS_TABLE_MAX; t++) {
        for (int k = 0; k < DOM_SMBIOS_MAX_FIELDS && files[t][k]; k++) {
            if (!*files[t][k])
                continue;
            _cleanup_free_ char *path = xasprintf("%s/class/dmi/id/%s", sysfs, files[t][k]);
            char *data = NULL;
            size_t len = 0;
            struct ql_error e = QL_ERROR_INIT;
            if (ql_read_file(path, 4096, &data, &len, &e) < 0) {
                ql_error_clear(&e);     /* absent, or root's only: not there */
                continue;
            }
            while (len && (data[len - 1] == '\n' || data[len - 1] == ' '))
                data[--len] = '\0';
            if (!len || memchr(data, '\0', len)) {
                free(data);
                continue;
            }
            ret->f[t][k] = data;
            found++;
        }
    }
    int r = read_host_oem(sysfs, ret, err);
    if (r < 0) {
        dom_smbios_clear(ret);
        return r;
    }
    if (!found && !ret->n_oem)
        return ql_error_set(err, ENOENT, "<smbios mode='host'> needs the host's SMBIOS "
                            "tables, but %s/class/dmi/id has none readable (a host without "
                            "DMI, or a container)", sysfs);
    return 0;
}

int sup_build_prepare(const struct domain *d, const char *base, const char *accel,
                      const char *emulator, unsigned flags, struct sup_build_prep *p,
                      struct ql_error *err)
{
    memset(p, 0, sizeof(*p));
    struct sup_paths paths;
    int r = sup_paths_init(&paths, base, d->name, err);
    if (r < 0)
        return r;
    p->run_dir = paths.dir;
    paths.dir = NULL;
    sup_paths_free(&paths);
    p->o = (struct qb_options){.accel = accel, .emulator = emulator, .run_dir = p->run_dir,
                               .qmp_fd = SUP_QMP_FD_NUM, .first_fd = SUP_QMP_FD_NUM + 1,
                               .nvram_dir = sup_nvram_dir()};
    /* What the emulator offers, probed once per binary and cached (host/qemucaps.h): the
     * build refuses what it lacks and picks what differs between versions. An emulator that
     * is not there is reported by the caller, in its own words. */
    if ((r = qemu_caps_of_domain(d, emulator, &p->caps, err)) < 0)
        goto fail;
    p->o.caps = p->caps;
    /* Who QEMU runs as: a QEMU that is not root gets a directory of its own for the
     * sockets and files it creates (the run directory stays root's). */
    if ((r = host_dac_resolve(d, &p->dac, err)) < 0) {
        if (!(flags & SUP_PREP_SHOW))
            goto fail;
        p->dac_problem = xstrdup(ql_error_msg(err));
        ql_error_clear(err);
        p->dac.drop = true;     /* shown as the start would run it, had the user existed */
    }
    if (p->dac.drop) {
        p->qemu_dir = xasprintf("%s/qemu", p->run_dir);
        p->o.qemu_dir = p->qemu_dir;
    }
    /* virtio NICs on taps take vhost-net when the host offers it, as libvirt. */
    p->o.vhost_net = host_vhost_net_usable() ? QB_VHOST_USABLE : QB_VHOST_ABSENT;
    /* <listen type='network'>: the builder is pure, the address is host knowledge. */
    if ((r = host_gfx_listen_resolve(d, &p->listen_addrs, err)) < 0)
        goto fail;
    p->o.gfx_listen_addr = (const char *const *)p->listen_addrs.v;
    /* <os firmware='efi'> and NVRAM templates come from the host's firmware descriptors. */
    if ((r = host_firmware_resolve(d, &p->fw, err)) < 0)
        goto fail;
    if (p->fw.resolved) {
        p->qfw = (struct qb_firmware){p->fw.loader, p->fw.nvram_template, p->fw.requires_smm,
                                      p->fw.descriptor};
        p->o.firmware = &p->qfw;
    }
    /* <source startupPolicy='optional'>: whether the file is there is the host's to say
     * (the pure builder then empties or leaves out the drive) */
    p->disk_absent = xcalloc(d->dev.n_disks ? d->dev.n_disks : 1, sizeof(*p->disk_absent));
    for (size_t i = 0; i < d->dev.n_disks; i++) {
        const struct dom_disk *k = &d->dev.disks[i];
        p->disk_absent[i] = k->startup_policy == DOM_STARTUP_OPTIONAL && k->source
                            && k->type != DOM_DISK_NETWORK && access(k->source, F_OK) < 0
                            && errno == ENOENT;
    }
    p->o.disk_absent = p->disk_absent;
    /* <numatune> nodesets name nodes this host has */
    if ((r = host_numa_check(d, HOST_NUMA_NODE_DIR, err)) < 0)
        goto fail;
    if (d->os.smbios_mode == DOM_SMBIOS_HOST) {
        if ((r = sup_read_host_smbios(host_sysfs_root(), &p->host_smbios, err)) < 0) {
            ql_error_locate(err, "os/smbios@mode", d->os.smbios_line);
            goto fail;
        }
        p->o.host_smbios = &p->host_smbios;
    }
    return 0;
fail:
    sup_build_prep_free(p);
    return r;
}

void sup_build_prep_free(struct sup_build_prep *p)
{
    free(p->run_dir);
    free(p->qemu_dir);
    free(p->dac_problem);
    qemu_caps_free(p->caps);
    host_dac_free(&p->dac);
    host_listen_addrs_free(&p->listen_addrs);
    host_firmware_free(&p->fw);
    dom_smbios_clear(&p->host_smbios);
    free(p->disk_absent);
    memset(p, 0, sizeof(*p));
}
