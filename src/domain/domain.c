/* Enum tables and lifetime of struct domain. */
#include "config.h"
#include "domain/domain.h"

#include <stdlib.h>
#include <string.h>

QL_ENUM_IMPL(dom_tristate, DOM_TRI_MAX, NULL, "on", "off")
QL_ENUM_IMPL(dom_virt, DOM_VIRT_MAX, "kvm", "qemu")
QL_ENUM_IMPL(dom_vcpu_placement, DOM_PLACEMENT_MAX, NULL, "static")
QL_ENUM_IMPL(dom_seclabel_type, DOM_SECLABEL_MAX, NULL, "dynamic", "static", "none");
QL_ENUM_IMPL(dom_lifecycle, DOM_LC_MAX, NULL, "destroy", "restart", "rename-restart",
             "preserve", "coredump-destroy", "coredump-restart")
QL_ENUM_IMPL(dom_addr_type, DOM_ADDR_MAX, "none", "pci", "drive", "virtio-serial", "usb", "isa",
             "ccid")
QL_ENUM_IMPL(dom_cpu_mode, DOM_CPU_MODE_MAX, "custom", "host-model", "host-passthrough",
             "maximum")
QL_ENUM_IMPL(dom_cpu_feature_policy, DOM_CPU_FEAT_MAX, "require", "force", "optional",
             "disable", "forbid")
QL_ENUM_IMPL(dom_cpu_fallback, DOM_CPU_FALLBACK_MAX, NULL, "allow", "forbid")
QL_ENUM_IMPL(dom_cpu_match, DOM_CPU_MATCH_MAX, NULL, "minimum", "exact", "strict")
QL_ENUM_IMPL(dom_cpu_check, DOM_CPU_CHECK_MAX, NULL, "none", "partial", "full")
QL_ENUM_IMPL(dom_mem_access, DOM_MEM_ACCESS_MAX, NULL, "shared", "private")
QL_ENUM_IMPL(dom_numa_mode, DOM_NUMA_MODE_MAX, NULL, "strict", "preferred", "interleave",
             "restrictive")
QL_ENUM_IMPL(dom_mem_source, DOM_MEM_SOURCE_MAX, NULL, "anonymous", "file", "memfd")
QL_ENUM_IMPL(dom_mem_allocation, DOM_MEM_ALLOC_MAX, NULL, "immediate", "ondemand")
QL_ENUM_IMPL(dom_os_type, DOM_OS_TYPE_MAX, NULL, "hvm")
QL_ENUM_IMPL(dom_arch, DOM_ARCH_MAX, NULL, "x86_64")
QL_ENUM_IMPL(dom_firmware, DOM_FW_MAX, NULL, "bios", "efi")
QL_ENUM_IMPL(dom_loader_type, DOM_LOADER_MAX, NULL, "rom", "pflash")
QL_ENUM_IMPL(dom_smbios_mode, DOM_SMBIOS_MAX, NULL, "emulate", "host", "sysinfo")
QL_ENUM_IMPL(dom_startup_policy, DOM_STARTUP_MAX, NULL, "mandatory", "requisite", "optional")
QL_ENUM_IMPL(dom_disk_snapshot, DOM_DISK_SNAPSHOT_MAX, NULL, "no", "internal", "external",
             "manual")
QL_ENUM_IMPL(dom_geometry_trans, DOM_TRANS_MAX, NULL, "none", "lba", "auto")
QL_ENUM_IMPL(dom_cpu_cache_mode, DOM_CPU_CACHE_MAX, NULL, "emulate", "passthrough", "disable")
QL_ENUM_IMPL(dom_smbios_table, DOM_SMBIOS_TABLE_MAX, "bios", "system", "baseBoard", "chassis")
const char *const dom_smbios_fields[DOM_SMBIOS_TABLE_MAX][DOM_SMBIOS_MAX_FIELDS + 1] = {
    [DOM_SMBIOS_BIOS] = {"vendor", "version", "date", "release"},
    [DOM_SMBIOS_SYSTEM] = {"manufacturer", "product", "version", "serial", "uuid", "sku",
                           "family"},
    [DOM_SMBIOS_BASEBOARD] = {"manufacturer", "product", "version", "serial", "asset",
                              "location"},
    [DOM_SMBIOS_CHASSIS] = {"manufacturer", "version", "serial", "asset", "sku"},
};
QL_ENUM_IMPL(dom_boot_dev, DOM_BOOT_MAX, "hd", "cdrom", "fd", "network")
QL_ENUM_IMPL(dom_feature, DOM_FEAT_MAX, "acpi", "apic", "pae", "hap", "pmu", "vmport", "smm",
             "pvspinlock", "vmcoreinfo", "ps2", "kvm-hidden", "kvm-hint-dedicated",
             "kvm-poll-control", "kvm-pv-ipi", "kvm-dirty-ring")
QL_ENUM_IMPL(dom_hyperv_feat, DOM_HV_MAX, "relaxed", "vapic", "spinlocks", "vpindex", "runtime",
             "synic", "stimer", "reset", "vendor_id", "frequencies", "reenlightenment",
             "tlbflush", "ipi", "evmcs", "avic", "emsr_bitmap", "xmm_input")
QL_ENUM_IMPL(dom_clock_offset, DOM_CLOCK_MAX, "utc", "localtime", "timezone", "variable",
             "absolute")
QL_ENUM_IMPL(dom_timer_name, DOM_TIMER_MAX, NULL, "platform", "pit", "rtc", "hpet", "kvmclock",
             "tsc", "hypervclock")
QL_ENUM_IMPL(dom_tickpolicy, DOM_TICK_MAX, NULL, "delay", "catchup", "merge", "discard")
QL_ENUM_IMPL(dom_timer_track, DOM_TRACK_MAX, NULL, "boot", "guest", "wall", "realtime")
QL_ENUM_IMPL(dom_clock_basis, DOM_BASIS_MAX, NULL, "utc", "localtime")
QL_ENUM_IMPL(dom_disk_type, DOM_DISK_MAX, "file", "block", "network", "volume")
QL_ENUM_IMPL(dom_disk_device, DOM_DISKDEV_MAX, "disk", "cdrom", "floppy", "lun")
QL_ENUM_IMPL(dom_disk_bus, DOM_BUS_MAX, NULL, "virtio", "ide", "sata", "scsi", "usb", "fdc")
QL_ENUM_IMPL(dom_disk_driver, DOM_DISK_DRIVER_MAX, NULL, "qemu")
QL_ENUM_IMPL(dom_disk_format, DOM_FMT_MAX, NULL, "raw", "qcow2", "qcow", "qed", "vmdk", "vdi",
             "vpc", "vhdx", "luks", "bochs", "cloop", "dmg", "parallels", "iso")
QL_ENUM_IMPL(dom_disk_cache, DOM_CACHE_MAX, "default", "none", "writethrough", "writeback",
             "directsync", "unsafe")
QL_ENUM_IMPL(dom_disk_io, DOM_IO_MAX, NULL, "threads", "native", "io_uring")
QL_ENUM_IMPL(dom_disk_discard, DOM_DISCARD_MAX, NULL, "unmap", "ignore")
QL_ENUM_IMPL(dom_detect_zeroes, DOM_DZ_MAX, NULL, "off", "on", "unmap")
QL_ENUM_IMPL(dom_error_policy, DOM_ERRPOL_MAX, NULL, "stop", "report", "ignore", "enospace")
QL_ENUM_IMPL(dom_disk_protocol, DOM_PROTO_MAX, NULL, "nbd", "iscsi", "rbd", "gluster", "http",
             "https", "ftp", "ftps", "tftp", "ssh", "nfs")
QL_ENUM_IMPL(dom_transport, DOM_TRANSPORT_MAX, NULL, "tcp", "unix", "rdma")
QL_ENUM_IMPL(dom_tray, DOM_TRAY_MAX, NULL, "open", "closed")
QL_ENUM_IMPL(dom_ctrl_type, DOM_CTRL_MAX, "usb", "ide", "sata", "scsi", "fdc", "virtio-serial",
             "pci", "ccid")
QL_ENUM_IMPL(dom_usb_model, DOM_USB_MODEL_MAX, NULL, "piix3-uhci", "piix4-uhci", "ehci",
             "ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3", "vt82c686b-uhci",
             "pci-ohci", "nec-xhci", "qemu-xhci", "none")
QL_ENUM_IMPL(dom_ide_model, DOM_IDE_MODEL_MAX, NULL, "piix3")
QL_ENUM_IMPL(dom_scsi_model, DOM_SCSI_MODEL_MAX, NULL, "auto", "virtio-scsi", "lsilogic",
             "lsisas1068", "lsisas1078", "vmpvscsi", "virtio-transitional",
             "virtio-non-transitional", "am53c974", "dc390")
QL_ENUM_IMPL(dom_virtio_model, DOM_VIRTIO_MODEL_MAX, NULL, "virtio", "virtio-transitional",
             "virtio-non-transitional")
QL_ENUM_IMPL(dom_pci_model, DOM_PCI_MODEL_MAX, NULL, "pci-root", "pcie-root", "pci-bridge",
             "dmi-to-pci-bridge", "pcie-root-port", "pcie-switch-upstream-port",
             "pcie-switch-downstream-port", "pcie-to-pci-bridge")
QL_ENUM_IMPL(dom_pci_model_name, DOM_PCI_NAME_MAX, NULL, "pci-bridge", "i82801b11-bridge",
             "ioh3420", "pcie-root-port", "x3130-upstream", "xio3130-downstream",
             "pcie-pci-bridge")
QL_ENUM_IMPL(dom_net_type, DOM_NET_MAX, "bridge", "network", "user", "ethernet", "direct")
QL_ENUM_IMPL(dom_net_source_mode, DOM_MACVTAP_MAX, NULL, "vepa", "bridge", "private",
             "passthrough")
QL_ENUM_IMPL(dom_nic_model, DOM_NIC_MAX, NULL, "virtio", "virtio-transitional",
             "virtio-non-transitional", "e1000", "e1000e", "rtl8139", "vmxnet3", "ne2k_pci",
             "pcnet", "i82559er")
QL_ENUM_IMPL(dom_vport_type, DOM_VPORT_MAX, NULL, "openvswitch", "802.1Qbg", "802.1Qbh",
             "midonet")
QL_ENUM_IMPL(dom_net_driver, DOM_NET_DRIVER_MAX, NULL, "qemu", "vhost")
QL_ENUM_IMPL(dom_txmode, DOM_TXMODE_MAX, NULL, "iothread", "timer")
QL_ENUM_IMPL(dom_link_state, DOM_LINK_MAX, NULL, "up", "down")
QL_ENUM_IMPL(dom_input_type, DOM_INPUT_MAX, "tablet", "mouse", "keyboard", "passthrough",
             "evdev")
QL_ENUM_IMPL(dom_input_bus, DOM_INPUT_BUS_MAX, NULL, "ps2", "usb", "virtio")
QL_ENUM_IMPL(dom_input_grab, DOM_GRAB_MAX, NULL, "all")
QL_ENUM_IMPL(dom_grab_toggle, DOM_GRAB_TOGGLE_MAX, NULL, "ctrl-ctrl", "alt-alt", "shift-shift",
             "meta-meta", "scrolllock", "ctrl-scrolllock")
QL_ENUM_IMPL(dom_gfx_type, DOM_GFX_MAX, "spice", "vnc")
QL_ENUM_IMPL(dom_listen_type, DOM_LISTEN_MAX, "address", "network", "socket", "none")
QL_ENUM_IMPL(dom_gfx_connected, DOM_CONNECTED_MAX, NULL, "keep", "disconnect", "fail")
QL_ENUM_IMPL(dom_vnc_share, DOM_VNC_SHARE_MAX, NULL, "allow-exclusive", "force-shared",
             "ignore")
QL_ENUM_IMPL(dom_spice_mode, DOM_SPICE_MODE_MAX, NULL, "secure", "insecure", "any")
QL_ENUM_IMPL(dom_spice_channel_name, DOM_SPICE_CH_MAX, NULL, "main", "display", "inputs",
             "cursor", "playback", "record", "smartcard", "usbredir")
QL_ENUM_IMPL(dom_spice_image, DOM_SPICE_IMAGE_MAX, NULL, "auto_glz", "auto_lz", "quic", "glz",
             "lz", "off")
QL_ENUM_IMPL(dom_spice_wan, DOM_SPICE_WAN_MAX, NULL, "auto", "never", "always")
QL_ENUM_IMPL(dom_spice_streaming, DOM_SPICE_STREAM_MAX, NULL, "filter", "all", "off")
QL_ENUM_IMPL(dom_spice_mouse, DOM_SPICE_MOUSE_MAX, NULL, "server", "client")
QL_ENUM_IMPL(dom_video_model, DOM_VIDEO_MAX, NULL, "vga", "cirrus", "vmvga", "qxl", "virtio",
             "bochs", "ramfb", "none")
QL_ENUM_IMPL(dom_sound_model, DOM_SOUND_MAX, NULL, "ich6", "ich9", "ac97", "es1370", "sb16",
             "pcspk", "usb")
QL_ENUM_IMPL(dom_sound_codec, DOM_CODEC_MAX, NULL, "duplex", "micro", "output")
QL_ENUM_IMPL(dom_audio_type, DOM_AUDIO_MAX, NULL, "none", "spice", "alsa", "oss")
QL_ENUM_IMPL(dom_chr_kind, DOM_CHR_KIND_MAX, "serial", "console", "parallel", "channel")
QL_ENUM_IMPL(dom_chr_type, DOM_CHR_TYPE_MAX, "pty", "file", "unix", "tcp", "udp", "null",
             "stdio", "vc", "dev", "pipe", "spicevmc", "spiceport", "qemu-vdagent", "dbus",
             "nmdm")
QL_ENUM_IMPL(dom_chr_mode, DOM_CHR_MODE_MAX, NULL, "bind", "connect")
QL_ENUM_IMPL(dom_chr_protocol, DOM_CHR_PROTO_MAX, NULL, "raw", "telnet", "telnets", "tls")
QL_ENUM_IMPL(dom_chr_target, DOM_CHR_TARGET_MAX, NULL, "isa-serial", "usb-serial", "pci-serial",
             "isa-debug", "serial", "virtio", "guestfwd")
QL_ENUM_IMPL(dom_chr_target_model, DOM_CHR_MODEL_MAX, NULL, "isa-serial", "usb-serial",
             "pci-serial", "isa-debugcon")
QL_ENUM_IMPL(dom_chr_state, DOM_CHR_STATE_MAX, NULL, "connected", "disconnected")
QL_ENUM_IMPL(dom_usb_bus, DOM_USB_BUS_MAX, "usb")
QL_ENUM_IMPL(dom_balloon_model, DOM_BALLOON_MAX, NULL, "virtio", "virtio-transitional",
             "virtio-non-transitional", "none")
QL_ENUM_IMPL(dom_rng_backend, DOM_RNG_BACKEND_MAX, NULL, "random", "egd", "builtin")
QL_ENUM_IMPL(dom_tpm_model, DOM_TPM_MODEL_MAX, NULL, "tpm-tis", "tpm-crb")
QL_ENUM_IMPL(dom_tpm_backend, DOM_TPM_BACKEND_MAX, NULL, "passthrough", "emulator")
QL_ENUM_IMPL(dom_tpm_version, DOM_TPM_VERSION_MAX, NULL, "1.2", "2.0")
QL_ENUM_IMPL(dom_hostdev_type, DOM_HOSTDEV_MAX, "pci", "usb")
QL_ENUM_IMPL(dom_usb_guest_reset, DOM_USB_RESET_MAX, NULL, "off", "uninitialized", "on")
QL_ENUM_IMPL(dom_tpm_pcr_bank, DOM_TPM_PCR_MAX, "sha1", "sha256", "sha384", "sha512")
QL_ENUM_IMPL(dom_fs_type, DOM_FS_TYPE_MAX, NULL, "mount", "block", "file", "template", "ram",
             "bind", "volume")
QL_ENUM_IMPL(dom_fs_driver, DOM_FS_DRIVER_MAX, "default", "path", "handle", "loop", "nbd",
             "ploop", "virtiofs")
QL_ENUM_IMPL(dom_fs_access, DOM_FS_ACCESS_MAX, NULL, "passthrough", "mapped", "squash")
QL_ENUM_IMPL(dom_fs_wrpolicy, DOM_FS_WRPOLICY_MAX, NULL, "immediate")
QL_ENUM_IMPL(dom_fs_multidevs, DOM_FS_MULTIDEVS_MAX, "default", "remap", "forbid", "warn")
QL_ENUM_IMPL(dom_fs_cache, DOM_FS_CACHE_MAX, "default", "none", "always")
QL_ENUM_IMPL(dom_fs_sandbox, DOM_FS_SANDBOX_MAX, NULL, "namespace", "chroot")
QL_ENUM_IMPL(dom_qemu_prop_type, DOM_QPROP_MAX, "string", "signed", "unsigned", "bool",
             "remove")
QL_ENUM_IMPL(dom_watchdog_model, DOM_WATCHDOG_MAX, NULL, "i6300esb", "ib700", "itco")
QL_ENUM_IMPL(dom_watchdog_action, DOM_WDACT_MAX, NULL, "reset", "shutdown", "poweroff", "pause",
             "none", "dump", "inject-nmi")
QL_ENUM_IMPL(dom_panic_model, DOM_PANIC_MAX, NULL, "isa", "pvpanic", "hyperv")

const struct ql_enum *dom_ctrl_model_enum(enum dom_ctrl_type t)
{
    switch (t) {
    case DOM_CTRL_USB:
        return &dom_usb_model_enum;
    case DOM_CTRL_IDE:
        return &dom_ide_model_enum;
    case DOM_CTRL_SCSI:
        return &dom_scsi_model_enum;
    case DOM_CTRL_VIRTIO_SERIAL:
        return &dom_virtio_model_enum;
    case DOM_CTRL_PCI:
        return &dom_pci_model_enum;
    default:
        return NULL;
    }
}

bool dom_scsi_model_is_virtio(enum dom_scsi_model m)
{
    return m == DOM_SCSI_VIRTIO_SCSI || m == DOM_SCSI_VIRTIO_TRANSITIONAL
           || m == DOM_SCSI_VIRTIO_NON_TRANSITIONAL;
}

enum dom_lifecycle dom_on_poweroff(const struct domain *d)
{
    return d->on_poweroff ? d->on_poweroff : DOM_LC_DESTROY;
}

enum dom_lifecycle dom_on_reboot(const struct domain *d)
{
    return d->on_reboot ? d->on_reboot : DOM_LC_RESTART;
}

enum dom_lifecycle dom_on_crash(const struct domain *d)
{
    return d->on_crash ? d->on_crash : DOM_LC_DESTROY;
}

unsigned dom_vcpus_online(const struct domain *d)
{
    return d->vcpus_current ? d->vcpus_current : d->vcpus;
}

static void free_src(struct dom_src *s)
{
    free(s->path);
}

static void free_addr(struct dom_addr *a)
{
    free(a->usb_port);
}

static void free_chr_source(struct dom_chr_source *s)
{
    free(s->path);
    free(s->host);
    free(s->service);
    free(s->bind_host);
    free(s->bind_service);
    free(s->channel);
    free(s->log_file);
}

void dom_disk_clear(struct dom_disk *x)
{
    free(x->source);
    free(x->pool);
    for (size_t i = 0; i < x->n_hosts; i++) {
        free(x->hosts[i].name);
        free(x->hosts[i].socket);
    }
    free(x->hosts);
    free(x->dev);
    free(x->serial);
    free(x->wwn);
    free(x->vendor);
    free(x->product);
    free_addr(&x->addr);
    free_src(&x->src);
}

void dom_interface_clear(struct dom_interface *x)
{
    free(x->mac);
    free(x->bridge);
    free(x->network);
    free(x->portgroup);
    free(x->source_dev);
    free(x->target_dev);
    free(x->vport.interfaceid);
    free(x->vport.profileid);
    free(x->vport.instanceid);
    free(x->vport.managerid);
    free(x->vport.typeid_);
    free(x->vport.typeidversion);
    free(x->script);
    free(x->vlan_tags);
    free(x->rom_file);
    free_addr(&x->addr);
    free_src(&x->src);
}

static void free_graphics(struct dom_graphics *g)
{
    free(g->listen);
    for (size_t i = 0; i < g->n_listens; i++) {
        free(g->listens[i].address);
        free(g->listens[i].network);
        free(g->listens[i].socket);
    }
    free(g->listens);
    if (g->passwd) {
        /* Wipe the secret before giving the memory back. */
        explicit_bzero(g->passwd, strlen(g->passwd));
        free(g->passwd);
    }
    free(g->passwd_valid_to);
    free(g->keymap);
    free(g->gl_rendernode);
    free(g->channels);
    free_src(&g->src);
}

void dom_input_clear(struct dom_input *x)
{
    free(x->evdev);
    free_addr(&x->addr);
    free_src(&x->src);
}

void dom_smbios_clear(struct dom_smbios *s)
{
    for (int t = 0; t < DOM_SMBIOS_TABLE_MAX; t++)
        for (int i = 0; i < DOM_SMBIOS_MAX_FIELDS; i++)
            free(s->f[t][i]);
    for (size_t i = 0; i < s->n_oem; i++)
        free(s->oem[i]);
    free(s->oem);
    free_src(&s->src);
    memset(s, 0, sizeof(*s));
}

static void free_qemu_ns(struct dom_qemu_ns *q)
{
    for (size_t i = 0; i < q->n_args; i++)
        free(q->args[i]);
    free(q->args);
    for (size_t i = 0; i < q->n_envs; i++) {
        free(q->envs[i].name);
        free(q->envs[i].value);
        free_src(&q->envs[i].src);
    }
    free(q->envs);
    for (size_t i = 0; i < q->n_overrides; i++) {
        struct dom_qemu_override *o = &q->overrides[i];
        for (size_t k = 0; k < o->n_props; k++) {
            free(o->props[k].name);
            free(o->props[k].value);
            free_src(&o->props[k].src);
        }
        free(o->props);
        free(o->alias);
        free_src(&o->src);
    }
    free(q->overrides);
    for (size_t i = 0; i < q->n_caps; i++) {
        free(q->caps[i].name);
        free_src(&q->caps[i].src);
    }
    free(q->caps);
}

void domain_free(struct domain *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->title);
    free(d->dac.label);
    free(d->description);
    free(d->vcpu_cpuset);
    free(d->cputune.emulatorpin);
    for (size_t i = 0; i < d->cputune.n_vcpupins; i++) {
        free(d->cputune.vcpupins[i].cpuset);
        free_src(&d->cputune.vcpupins[i].src);
    }
    free(d->cputune.vcpupins);
    for (size_t i = 0; i < d->cputune.n_iothreadpins; i++) {
        free(d->cputune.iothreadpins[i].cpuset);
        free_src(&d->cputune.iothreadpins[i].src);
    }
    free(d->cputune.iothreadpins);
    free_src(&d->cputune.src);
    free(d->numatune.nodeset);
    free_src(&d->numatune.src);
    for (size_t i = 0; i < d->numatune.n_memnodes; i++) {
        free(d->numatune.memnodes[i].nodeset);
        free_src(&d->numatune.memnodes[i].src);
    }
    free(d->numatune.memnodes);

    struct dom_mem_backing *mb = &d->mem_backing;
    for (size_t i = 0; i < mb->n_pages; i++) {
        free(mb->pages[i].nodeset);
        free_src(&mb->pages[i].src);
    }
    free(mb->pages);
    free_src(&mb->src);
    for (size_t i = 0; i < d->n_iothreads; i++)
        free_src(&d->iothreads[i].src);
    free(d->iothreads);

    struct dom_cpu *c = &d->cpu;
    free(c->model);
    free(c->vendor);
    for (size_t i = 0; i < c->n_features; i++)
        free(c->features[i].name);
    free(c->features);
    for (size_t i = 0; i < c->n_cells; i++)
        free(c->cells[i].cpus);
    free(c->cells);
    free_src(&c->src);
    free_src(&c->topo_src);
    free_src(&c->numa_src);

    struct dom_os *o = &d->os;
    free_src(&o->src);
    free(o->machine);
    free(o->loader);
    free(o->nvram);
    free(o->nvram_template);
    free(o->kernel);
    free(o->initrd);
    free(o->cmdline);
    free(o->dtb);

    dom_smbios_clear(&d->sysinfo);
    for (size_t i = 0; i < d->n_fwcfgs; i++) {
        free(d->fwcfgs[i].name);
        free(d->fwcfgs[i].value);
        free(d->fwcfgs[i].file);
        free_src(&d->fwcfgs[i].src);
    }
    free(d->fwcfgs);

    for (size_t i = 0; i < d->features.n_hyperv; i++)
        free(d->features.hyperv[i].value);
    free(d->features.hyperv);

    free(d->clock.timezone);
    free(d->clock.timers);

    struct dom_devices *v = &d->dev;
    free(v->emulator);
    for (size_t i = 0; i < v->n_disks; i++)
        dom_disk_clear(&v->disks[i]);
    free(v->disks);
    for (size_t i = 0; i < v->n_controllers; i++) {
        free_addr(&v->controllers[i].addr);
        free_src(&v->controllers[i].src);
    }
    free(v->controllers);
    for (size_t i = 0; i < v->n_interfaces; i++)
        dom_interface_clear(&v->interfaces[i]);
    free(v->interfaces);
    for (size_t i = 0; i < v->n_inputs; i++)
        dom_input_clear(&v->inputs[i]);
    free(v->inputs);
    for (size_t i = 0; i < v->n_graphics; i++)
        free_graphics(&v->graphics[i]);
    free(v->graphics);
    for (size_t i = 0; i < v->n_videos; i++) {
        free_addr(&v->videos[i].addr);
        free_src(&v->videos[i].src);
    }
    free(v->videos);
    for (size_t i = 0; i < v->n_sounds; i++) {
        struct dom_sound *s = &v->sounds[i];
        free(s->codecs);
        free_addr(&s->addr);
        free_src(&s->src);
    }
    free(v->sounds);
    for (size_t i = 0; i < v->n_audios; i++)
        free_src(&v->audios[i].src);
    free(v->audios);
    for (size_t i = 0; i < v->n_chrs; i++) {
        struct dom_chr *x = &v->chrs[i];
        free_chr_source(&x->source);
        free(x->target_name);
        free(x->target_address);
        free_addr(&x->addr);
        free_src(&x->src);
    }
    free(v->chrs);
    for (size_t i = 0; i < v->n_redirdevs; i++) {
        free_chr_source(&v->redirdevs[i].source);
        free_addr(&v->redirdevs[i].addr);
        free_src(&v->redirdevs[i].src);
    }
    free(v->redirdevs);
    for (size_t i = 0; i < v->n_rngs; i++) {
        struct dom_rng *r = &v->rngs[i];
        free(r->backend_path);
        free_chr_source(&r->egd);
        free_addr(&r->addr);
        free_src(&r->src);
    }
    free(v->rngs);
    for (size_t i = 0; i < v->n_watchdogs; i++) {
        free_addr(&v->watchdogs[i].addr);
        free_src(&v->watchdogs[i].src);
    }
    free(v->watchdogs);
    for (size_t i = 0; i < v->n_panics; i++) {
        free_addr(&v->panics[i].addr);
        free_src(&v->panics[i].src);
    }
    free(v->panics);
    for (size_t i = 0; i < v->n_hubs; i++) {
        free_addr(&v->hubs[i].addr);
        free_src(&v->hubs[i].src);
    }
    free(v->hubs);
    for (size_t i = 0; i < v->n_tpms; i++) {
        free(v->tpms[i].device_path);
        free_addr(&v->tpms[i].addr);
        free_src(&v->tpms[i].src);
    }
    free(v->tpms);
    for (size_t i = 0; i < v->n_hostdevs; i++) {
        free(v->hostdevs[i].driver_model);
        free(v->hostdevs[i].rom_file);
        free_addr(&v->hostdevs[i].addr);
        free_src(&v->hostdevs[i].src);
    }
    free(v->hostdevs);
    for (size_t i = 0; i < v->n_fss; i++) {
        struct dom_fs *f = &v->fss[i];
        free(f->source);
        free(f->socket);
        free(f->target);
        free(f->binary);
        free_addr(&f->addr);
        free_src(&f->src);
    }
    free(v->fss);
    free_addr(&v->memballoon.addr);
    free_src(&v->memballoon.src);
    free_qemu_ns(&d->qemu);

    free(d->source_file);
    free(d);
}
