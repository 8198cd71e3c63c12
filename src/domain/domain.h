/* struct domain: the parsed libvirt domain XML as plain C data.
 *
 * No QEMU knowledge lives here: values are what the XML says, normalised (memory in KiB,
 * enums instead of strings). "unset" is 0 / NULL / DOM_TRI_DEFAULT; where 0 is a valid
 * value a separate has_* flag says whether the XML gave it.
 *
 * Every closed set is an enum with a _MAX sentinel and a name table (QL_ENUM_DECL, see
 * util/enum.h). Value 0 is "not given" (a NULL name, spelled *_DEFAULT) unless the parser
 * always fills the field in. The names are libvirt's spellings, in the order the parser
 * lists them in its messages; the parser checks them, the builder switches on them. Strings
 * are left for what is open: paths, names, free text, numbers libvirt keeps as text. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/enum.h"

/* Where an item came from, for error messages: "devices/disk[2]" and its line. */
struct dom_src {
    char *path;
    int line;
};

/* Also the type of on/off attributes that do not take yes/no (apic@eoi, ...). */
enum dom_tristate { DOM_TRI_DEFAULT, DOM_TRI_ON, DOM_TRI_OFF, DOM_TRI_MAX };
QL_ENUM_DECL(dom_tristate);

enum dom_virt { DOM_VIRT_KVM, DOM_VIRT_QEMU, DOM_VIRT_MAX };
QL_ENUM_DECL(dom_virt);

enum dom_lifecycle {
    DOM_LC_DEFAULT,
    DOM_LC_DESTROY,
    DOM_LC_RESTART,
    DOM_LC_RENAME_RESTART,
    DOM_LC_PRESERVE,
    DOM_LC_COREDUMP_DESTROY,
    DOM_LC_COREDUMP_RESTART,
    DOM_LC_MAX
};
QL_ENUM_DECL(dom_lifecycle);

/* <seclabel type>: only the DAC model is honoured (qlaunch has no SELinux/AppArmor driver). */
enum dom_seclabel_type {
    DOM_SECLABEL_DEFAULT,
    DOM_SECLABEL_DYNAMIC,
    DOM_SECLABEL_STATIC,
    DOM_SECLABEL_NONE,
    DOM_SECLABEL_MAX
};
QL_ENUM_DECL(dom_seclabel_type);

/* The domain's <seclabel model='dac'> (or a model-less <seclabel type='none'/>, which
 * turns every driver off): who QEMU runs as and whether files are made accessible to it. */
struct dom_dac {
    enum dom_seclabel_type type;    /* DEFAULT: no DAC seclabel */
    enum dom_tristate relabel;      /* relabel='yes|no'; DEFAULT: libvirt's default per type */
    char *label;                    /* type='static': "USER:GROUP", names or +UID:+GID */
    int line;
};

/* ---- addresses ---- */
enum dom_addr_type {
    DOM_ADDR_NONE,
    DOM_ADDR_PCI,
    DOM_ADDR_DRIVE,
    DOM_ADDR_VIRTIO_SERIAL,
    DOM_ADDR_USB,
    DOM_ADDR_ISA,
    DOM_ADDR_CCID,
    DOM_ADDR_MAX
};
QL_ENUM_DECL(dom_addr_type);

struct dom_addr {
    enum dom_addr_type type;
    /* pci */
    unsigned domain, bus, slot, function;
    enum dom_tristate multifunction;
    /* drive, virtio-serial, ccid */
    unsigned controller, target, unit, port;
    bool has_port;
    /* usb: bus + port path like "1.2" */
    char *usb_port;
    /* isa */
    unsigned iobase, irq;
    bool has_iobase, has_irq;
    int line;
};

/* ---- cpu / memory ---- */
enum dom_cpu_mode {
    DOM_CPU_MODE_CUSTOM,
    DOM_CPU_MODE_HOST_MODEL,
    DOM_CPU_MODE_HOST_PASSTHROUGH,
    DOM_CPU_MODE_MAXIMUM,
    DOM_CPU_MODE_MAX
};
QL_ENUM_DECL(dom_cpu_mode);

enum dom_cpu_feature_policy {
    DOM_CPU_FEAT_REQUIRE,
    DOM_CPU_FEAT_FORCE,
    DOM_CPU_FEAT_OPTIONAL,
    DOM_CPU_FEAT_DISABLE,
    DOM_CPU_FEAT_FORBID,
    DOM_CPU_FEAT_MAX
};
QL_ENUM_DECL(dom_cpu_feature_policy);

struct dom_cpu_feature {
    char *name;
    enum dom_cpu_feature_policy policy;
};

enum dom_cpu_fallback { DOM_CPU_FALLBACK_DEFAULT, DOM_CPU_FALLBACK_ALLOW,
                        DOM_CPU_FALLBACK_FORBID, DOM_CPU_FALLBACK_MAX };
QL_ENUM_DECL(dom_cpu_fallback);
enum dom_cpu_match { DOM_CPU_MATCH_DEFAULT, DOM_CPU_MATCH_MINIMUM, DOM_CPU_MATCH_EXACT,
                     DOM_CPU_MATCH_STRICT, DOM_CPU_MATCH_MAX };
QL_ENUM_DECL(dom_cpu_match);
enum dom_cpu_check { DOM_CPU_CHECK_DEFAULT, DOM_CPU_CHECK_NONE, DOM_CPU_CHECK_PARTIAL,
                     DOM_CPU_CHECK_FULL, DOM_CPU_CHECK_MAX };
QL_ENUM_DECL(dom_cpu_check);
/* <memoryBacking><access mode>, <numa><cell memAccess> */
enum dom_mem_access { DOM_MEM_ACCESS_DEFAULT, DOM_MEM_ACCESS_SHARED, DOM_MEM_ACCESS_PRIVATE,
                      DOM_MEM_ACCESS_MAX };
QL_ENUM_DECL(dom_mem_access);

struct dom_numa_cell {
    unsigned id;
    char *cpus;                 /* cpuset syntax */
    unsigned long long memory_kib;
    enum dom_mem_access mem_access;     /* DEFAULT: <memoryBacking><access> */
};

/* <cpu><cache mode> */
enum dom_cpu_cache_mode { DOM_CPU_CACHE_DEFAULT, DOM_CPU_CACHE_EMULATE,
                          DOM_CPU_CACHE_PASSTHROUGH, DOM_CPU_CACHE_DISABLE,
                          DOM_CPU_CACHE_MAX };
QL_ENUM_DECL(dom_cpu_cache_mode);

struct dom_cpu {
    bool present;               /* <cpu> was given */
    enum dom_cpu_cache_mode cache_mode;     /* DEFAULT: no <cache> */
    unsigned cache_level;       /* <cache level>, 0: not given */
    enum dom_cpu_mode mode;
    bool has_mode;
    char *model;
    enum dom_cpu_fallback model_fallback;
    enum dom_cpu_match match;
    enum dom_cpu_check check;
    char *vendor;               /* libvirt's vendor name (Intel) or the CPUID string */
    unsigned sockets, dies, clusters, cores, threads;   /* 0: topology not given */
    struct dom_cpu_feature *features;
    size_t n_features;
    struct dom_numa_cell *cells;
    size_t n_cells;
    struct dom_src src;
    struct dom_src topo_src, numa_src;
};

/* <numatune>: <memory mode nodeset> and per guest cell <memnode cellid mode nodeset> */
enum dom_numa_mode { DOM_NUMA_MODE_DEFAULT, DOM_NUMA_STRICT, DOM_NUMA_PREFERRED,
                     DOM_NUMA_INTERLEAVE, DOM_NUMA_RESTRICTIVE, DOM_NUMA_MODE_MAX };
QL_ENUM_DECL(dom_numa_mode);
struct dom_memnode {
    unsigned cellid;
    enum dom_numa_mode mode;    /* DEFAULT: strict */
    char *nodeset;              /* host NUMA nodes, cpuset syntax */
    struct dom_src src;
};
struct dom_numatune {
    bool present;               /* <numatune><memory> given */
    enum dom_numa_mode mode;    /* DEFAULT: strict */
    char *nodeset;
    struct dom_src src;         /* the <memory> element */
    struct dom_memnode *memnodes;
    size_t n_memnodes;
};

struct dom_vcpupin {
    unsigned vcpu;
    char *cpuset;
    struct dom_src src;
};

struct dom_cputune {
    unsigned long long shares, period, quota;
    bool has_shares, has_period, has_quota;
    char *emulatorpin;          /* cpuset */
    struct dom_vcpupin *vcpupins;
    size_t n_vcpupins;
    struct dom_vcpupin *iothreadpins;   /* .vcpu holds the IOThread id */
    size_t n_iothreadpins;
    struct dom_src src;
};

/* <memoryBacking> */
struct dom_hugepage {
    unsigned long long size_kib;    /* 0: the host's default huge page size */
    char *nodeset;                  /* NUMA cells the size applies to, NULL: all */
    struct dom_src src;
};

enum dom_mem_source { DOM_MEM_SOURCE_DEFAULT, DOM_MEM_SOURCE_ANONYMOUS, DOM_MEM_SOURCE_FILE,
                      DOM_MEM_SOURCE_MEMFD, DOM_MEM_SOURCE_MAX };
QL_ENUM_DECL(dom_mem_source);
enum dom_mem_allocation { DOM_MEM_ALLOC_DEFAULT, DOM_MEM_ALLOC_IMMEDIATE, DOM_MEM_ALLOC_ONDEMAND,
                          DOM_MEM_ALLOC_MAX };
QL_ENUM_DECL(dom_mem_allocation);

struct dom_mem_backing {
    bool present;
    bool hugepages;             /* <hugepages> given */
    struct dom_hugepage *pages;
    size_t n_pages;
    bool nosharepages, locked;
    enum dom_mem_source source;
    enum dom_mem_access access;
    enum dom_mem_allocation allocation;
    unsigned allocation_threads;
    struct dom_src src;
};

/* <iothreadids><iothread id>: after parsing, the complete list of IOThread ids (those
 * <iothreads> counts but <iothreadids> does not name get the lowest free ids, as libvirt). */
struct dom_iothread {
    unsigned id;
    struct dom_src src;
};

/* ---- os / features / clock ---- */
enum dom_boot_dev { DOM_BOOT_HD, DOM_BOOT_CDROM, DOM_BOOT_FD, DOM_BOOT_NETWORK, DOM_BOOT_MAX };
QL_ENUM_DECL(dom_boot_dev);

/* The parser accepts only hvm guests on x86_64: these name what it checked. */
enum dom_os_type { DOM_OS_TYPE_DEFAULT, DOM_OS_TYPE_HVM, DOM_OS_TYPE_MAX };
QL_ENUM_DECL(dom_os_type);
enum dom_arch { DOM_ARCH_DEFAULT, DOM_ARCH_X86_64, DOM_ARCH_MAX };
QL_ENUM_DECL(dom_arch);
enum dom_firmware { DOM_FW_DEFAULT, DOM_FW_BIOS, DOM_FW_EFI, DOM_FW_MAX };
QL_ENUM_DECL(dom_firmware);
enum dom_loader_type { DOM_LOADER_DEFAULT, DOM_LOADER_ROM, DOM_LOADER_PFLASH, DOM_LOADER_MAX };
QL_ENUM_DECL(dom_loader_type);
enum dom_smbios_mode { DOM_SMBIOS_DEFAULT, DOM_SMBIOS_EMULATE, DOM_SMBIOS_HOST,
                       DOM_SMBIOS_SYSINFO, DOM_SMBIOS_MAX };
QL_ENUM_DECL(dom_smbios_mode);

/* SMBIOS tables as <sysinfo type='smbios'> gives them, and as the host's are read for
 * <smbios mode='host'> (sup_build_prepare). Fields in libvirt's order, which is QEMU's
 * -smbios order too (dom_smbios_fields); NULL: not given. */
enum dom_smbios_table { DOM_SMBIOS_BIOS, DOM_SMBIOS_SYSTEM, DOM_SMBIOS_BASEBOARD,
                        DOM_SMBIOS_CHASSIS, DOM_SMBIOS_TABLE_MAX };
QL_ENUM_DECL(dom_smbios_table);     /* the element names: bios, system, baseBoard, chassis */
#define DOM_SMBIOS_MAX_FIELDS 7
/* Per table, its entry names (NULL-terminated); the SMBIOS type is the table's value
 * (0..3), OEM strings are type 11. */
extern const char *const dom_smbios_fields[DOM_SMBIOS_TABLE_MAX][DOM_SMBIOS_MAX_FIELDS + 1];
#define DOM_SMBIOS_UUID_FIELD 4         /* system: the entry the guest UUID must match */

struct dom_smbios {
    char *f[DOM_SMBIOS_TABLE_MAX][DOM_SMBIOS_MAX_FIELDS];
    char **oem;                 /* <oemStrings><entry> */
    size_t n_oem;
    struct dom_src src;
};
void dom_smbios_clear(struct dom_smbios *s);

/* <sysinfo type='fwcfg'><entry name file>value</entry>: -fw_cfg */
struct dom_fwcfg {
    char *name;
    char *value;                /* the text, NULL: from file */
    char *file;
    struct dom_src src;
};

struct dom_os {
    struct dom_src src;         /* <os>, for messages about its children */
    /* Lines of children, for messages after parsing (0: absent) */
    int smbios_line, machine_line, kernel_line, initrd_line, cmdline_line, dtb_line;
    int loader_line, boot_line, nvram_line, bios_line;
    enum dom_os_type type;
    enum dom_arch arch;         /* DEFAULT: not given (the host's, x86_64) */
    char *machine;              /* NULL when absent or empty */
    enum dom_firmware firmware; /* os@firmware */
    char *loader;
    enum dom_tristate loader_readonly;
    enum dom_loader_type loader_type;
    enum dom_tristate loader_secure;
    char *nvram;
    char *nvram_template;
    /* <firmware><feature enabled name>: criteria for firmware='efi' auto-selection */
    enum dom_tristate fw_secure_boot, fw_enrolled_keys;
    char *kernel, *initrd, *cmdline, *dtb;
    enum dom_boot_dev boot[DOM_BOOT_MAX];
    size_t n_boot;
    enum dom_tristate bootmenu;
    int bootmenu_timeout;       /* ms, -1 unset */
    int bios_reboot_timeout;    /* ms, -1 unset */
    enum dom_tristate bios_useserial;   /* SeaBIOS output on the serial port */
    enum dom_smbios_mode smbios_mode;
};

enum dom_feature {
    DOM_FEAT_ACPI,
    DOM_FEAT_APIC,
    DOM_FEAT_PAE,
    DOM_FEAT_HAP,
    DOM_FEAT_PMU,
    DOM_FEAT_VMPORT,
    DOM_FEAT_SMM,
    DOM_FEAT_PVSPINLOCK,
    DOM_FEAT_VMCOREINFO,
    DOM_FEAT_PS2,               /* <ps2 state>: the i8042 controller */
    /* <kvm> children from here on (the parser's generic loop stops at KVM_HIDDEN) */
    DOM_FEAT_KVM_HIDDEN,
    DOM_FEAT_KVM_DEDICATED,     /* <hint-dedicated> */
    DOM_FEAT_KVM_POLL_CONTROL,  /* <poll-control> */
    DOM_FEAT_KVM_PV_IPI,        /* <pv-ipi> */
    DOM_FEAT_KVM_DIRTY_RING,    /* <dirty-ring size> */
    DOM_FEAT_MAX
};
QL_ENUM_DECL(dom_feature);

/* <hyperv> children, spelled as their elements */
enum dom_hyperv_feat {
    DOM_HV_RELAXED, DOM_HV_VAPIC, DOM_HV_SPINLOCKS, DOM_HV_VPINDEX, DOM_HV_RUNTIME,
    DOM_HV_SYNIC, DOM_HV_STIMER, DOM_HV_RESET, DOM_HV_VENDOR_ID, DOM_HV_FREQUENCIES,
    DOM_HV_REENLIGHTENMENT, DOM_HV_TLBFLUSH, DOM_HV_IPI, DOM_HV_EVMCS, DOM_HV_AVIC,
    DOM_HV_EMSR_BITMAP, DOM_HV_XMM_INPUT, DOM_HV_MAX
};
QL_ENUM_DECL(dom_hyperv_feat);

struct dom_hyperv_feature {
    enum dom_hyperv_feat name;
    bool on;
    char *value;                /* spinlocks retries / vendor_id value */
    /* <stimer><direct>, <tlbflush><direct>, <tlbflush><extended> */
    enum dom_tristate direct, extended;
};

struct dom_features {
    enum dom_tristate f[DOM_FEAT_MAX];  /* DEFAULT = element absent */
    int line;                   /* <features>, 0: absent */
    int lines[DOM_FEAT_MAX];    /* each feature's element, 0: absent */
    enum dom_tristate apic_eoi; /* <apic eoi> */
    unsigned kvm_dirty_ring_size;   /* <kvm><dirty-ring size>, 0 unset */
    struct dom_hyperv_feature *hyperv;
    size_t n_hyperv;
    bool hyperv_present;
    bool hyperv_passthrough;    /* <hyperv mode='passthrough'>: every feature the host has */
};

enum dom_clock_offset {
    DOM_CLOCK_UTC,
    DOM_CLOCK_LOCALTIME,
    DOM_CLOCK_TIMEZONE,
    DOM_CLOCK_VARIABLE,
    DOM_CLOCK_ABSOLUTE,
    DOM_CLOCK_MAX
};
QL_ENUM_DECL(dom_clock_offset);

enum dom_timer_name { DOM_TIMER_DEFAULT, DOM_TIMER_PLATFORM, DOM_TIMER_PIT, DOM_TIMER_RTC,
                      DOM_TIMER_HPET, DOM_TIMER_KVMCLOCK, DOM_TIMER_TSC, DOM_TIMER_HYPERVCLOCK,
                      DOM_TIMER_MAX };
QL_ENUM_DECL(dom_timer_name);
enum dom_tickpolicy { DOM_TICK_DEFAULT, DOM_TICK_DELAY, DOM_TICK_CATCHUP, DOM_TICK_MERGE,
                      DOM_TICK_DISCARD, DOM_TICK_MAX };
QL_ENUM_DECL(dom_tickpolicy);
enum dom_timer_track { DOM_TRACK_DEFAULT, DOM_TRACK_BOOT, DOM_TRACK_GUEST, DOM_TRACK_WALL,
                       DOM_TRACK_REALTIME, DOM_TRACK_MAX };
QL_ENUM_DECL(dom_timer_track);
enum dom_clock_basis { DOM_BASIS_DEFAULT, DOM_BASIS_UTC, DOM_BASIS_LOCALTIME, DOM_BASIS_MAX };
QL_ENUM_DECL(dom_clock_basis);

struct dom_timer {
    enum dom_timer_name name;   /* DEFAULT only in a rejected domain */
    enum dom_tristate present;
    enum dom_tickpolicy tickpolicy;
    enum dom_timer_track track;
    unsigned long long frequency;
    int line;
};

struct dom_clock {
    enum dom_clock_offset offset;
    char *timezone;
    long long adjustment;       /* seconds, for variable */
    enum dom_clock_basis basis;
    long long start;            /* for absolute */
    struct dom_timer *timers;
    size_t n_timers;
    int line;                   /* <clock>, 0: absent */
};

/* ---- devices ---- */
/* VOLUME: a storage pool's volume, made FILE or BLOCK by host_pool_resolve_disks */
enum dom_disk_type { DOM_DISK_FILE, DOM_DISK_BLOCK, DOM_DISK_NETWORK, DOM_DISK_VOLUME,
                     DOM_DISK_MAX };
QL_ENUM_DECL(dom_disk_type);
enum dom_disk_device { DOM_DISKDEV_DISK, DOM_DISKDEV_CDROM, DOM_DISKDEV_FLOPPY, DOM_DISKDEV_LUN,
                       DOM_DISKDEV_MAX };
QL_ENUM_DECL(dom_disk_device);
enum dom_disk_bus { DOM_BUS_DEFAULT, DOM_BUS_VIRTIO, DOM_BUS_IDE, DOM_BUS_SATA, DOM_BUS_SCSI,
                    DOM_BUS_USB, DOM_BUS_FDC, DOM_BUS_MAX };
QL_ENUM_DECL(dom_disk_bus);

enum dom_disk_driver { DOM_DISK_DRIVER_DEFAULT, DOM_DISK_DRIVER_QEMU, DOM_DISK_DRIVER_MAX };
QL_ENUM_DECL(dom_disk_driver);
/* <driver type>; "iso" is read as raw, as libvirt does, and never stored. */
enum dom_disk_format { DOM_FMT_DEFAULT, DOM_FMT_RAW, DOM_FMT_QCOW2, DOM_FMT_QCOW, DOM_FMT_QED,
                       DOM_FMT_VMDK, DOM_FMT_VDI, DOM_FMT_VPC, DOM_FMT_VHDX, DOM_FMT_LUKS,
                       DOM_FMT_BOCHS, DOM_FMT_CLOOP, DOM_FMT_DMG, DOM_FMT_PARALLELS,
                       DOM_FMT_ISO, DOM_FMT_MAX };
QL_ENUM_DECL(dom_disk_format);
/* "default" (0) is also what an absent cache attribute means, as in libvirt. */
enum dom_disk_cache { DOM_CACHE_DEFAULT, DOM_CACHE_NONE, DOM_CACHE_WRITETHROUGH,
                      DOM_CACHE_WRITEBACK, DOM_CACHE_DIRECTSYNC, DOM_CACHE_UNSAFE,
                      DOM_CACHE_MAX };
QL_ENUM_DECL(dom_disk_cache);
enum dom_disk_io { DOM_IO_DEFAULT, DOM_IO_THREADS, DOM_IO_NATIVE, DOM_IO_IO_URING, DOM_IO_MAX };
QL_ENUM_DECL(dom_disk_io);
enum dom_disk_discard { DOM_DISCARD_DEFAULT, DOM_DISCARD_UNMAP, DOM_DISCARD_IGNORE,
                        DOM_DISCARD_MAX };
QL_ENUM_DECL(dom_disk_discard);
enum dom_detect_zeroes { DOM_DZ_DEFAULT, DOM_DZ_OFF, DOM_DZ_ON, DOM_DZ_UNMAP, DOM_DZ_MAX };
QL_ENUM_DECL(dom_detect_zeroes);
/* error_policy; rerror_policy takes the same values but enospace (write errors only). */
enum dom_error_policy { DOM_ERRPOL_DEFAULT, DOM_ERRPOL_STOP, DOM_ERRPOL_REPORT,
                        DOM_ERRPOL_IGNORE, DOM_ERRPOL_ENOSPACE, DOM_ERRPOL_MAX };
QL_ENUM_DECL(dom_error_policy);
enum dom_disk_protocol { DOM_PROTO_DEFAULT, DOM_PROTO_NBD, DOM_PROTO_ISCSI, DOM_PROTO_RBD,
                         DOM_PROTO_GLUSTER, DOM_PROTO_HTTP, DOM_PROTO_HTTPS, DOM_PROTO_FTP,
                         DOM_PROTO_FTPS, DOM_PROTO_TFTP, DOM_PROTO_SSH, DOM_PROTO_NFS,
                         DOM_PROTO_MAX };
QL_ENUM_DECL(dom_disk_protocol);
enum dom_transport { DOM_TRANSPORT_DEFAULT, DOM_TRANSPORT_TCP, DOM_TRANSPORT_UNIX,
                     DOM_TRANSPORT_RDMA, DOM_TRANSPORT_MAX };
QL_ENUM_DECL(dom_transport);
enum dom_tray { DOM_TRAY_DEFAULT, DOM_TRAY_OPEN, DOM_TRAY_CLOSED, DOM_TRAY_MAX };
QL_ENUM_DECL(dom_tray);

/* <source startupPolicy>: what a start does when the source file is missing */
enum dom_startup_policy { DOM_STARTUP_DEFAULT, DOM_STARTUP_MANDATORY, DOM_STARTUP_REQUISITE,
                          DOM_STARTUP_OPTIONAL, DOM_STARTUP_MAX };
QL_ENUM_DECL(dom_startup_policy);
/* <disk snapshot>: the disk's default in snapshots (kept for the snapshot verbs) */
enum dom_disk_snapshot { DOM_DISK_SNAPSHOT_DEFAULT, DOM_DISK_SNAPSHOT_NO,
                         DOM_DISK_SNAPSHOT_INTERNAL, DOM_DISK_SNAPSHOT_EXTERNAL,
                         DOM_DISK_SNAPSHOT_MANUAL, DOM_DISK_SNAPSHOT_MAX };
QL_ENUM_DECL(dom_disk_snapshot);

/* The models of virtio devices that have no others: virtio-serial controllers,
 * rng, virtio disks. */
enum dom_virtio_model { DOM_VIRTIO_DEFAULT, DOM_VIRTIO, DOM_VIRTIO_TRANSITIONAL,
                        DOM_VIRTIO_NON_TRANSITIONAL, DOM_VIRTIO_MODEL_MAX };
QL_ENUM_DECL(dom_virtio_model);
/* <geometry trans>: the BIOS translation of an IDE disk */
enum dom_geometry_trans { DOM_TRANS_DEFAULT, DOM_TRANS_NONE, DOM_TRANS_LBA, DOM_TRANS_AUTO,
                          DOM_TRANS_MAX };
QL_ENUM_DECL(dom_geometry_trans);

struct dom_net_host {
    char *name;
    unsigned port;
    enum dom_transport transport;
    char *socket;
};

struct dom_disk {
    enum dom_disk_type type;
    enum dom_disk_device device;
    enum dom_disk_driver driver_name;
    enum dom_disk_format format;        /* DEFAULT: raw for file/block */
    enum dom_disk_cache cache;
    enum dom_disk_io io;
    enum dom_disk_discard discard;
    enum dom_detect_zeroes detect_zeroes;
    enum dom_error_policy error_policy, rerror_policy;
    unsigned queues;
    char *source;               /* file path / block dev path / network or pool volume name */
    char *pool;                 /* type='volume': <source pool> */
    enum dom_startup_policy startup_policy;
    enum dom_disk_snapshot snapshot;
    enum dom_disk_protocol protocol;    /* network disks */
    struct dom_net_host *hosts;
    size_t n_hosts;
    char *dev;                  /* target dev: vda, hdc, sda ... */
    enum dom_disk_bus bus;
    enum dom_tray tray;
    bool readonly, shareable, transient;
    char *serial, *wwn, *vendor, *product;
    unsigned boot_order;        /* 0 none */
    unsigned long long total_iops_sec, total_bytes_sec;
    struct dom_addr addr;
    struct dom_src src;
    enum dom_tristate removable;        /* target@removable (usb/scsi disks) */
    unsigned iothread;          /* driver@iothread, 0 none */
    unsigned queue_size;        /* driver@queue_size (virtio), 0 unset */
    enum dom_virtio_model model;    /* disk@model (virtio disks) */
    enum dom_tristate copy_on_read; /* driver@copy_on_read */
    unsigned rotation_rate;     /* target@rotation_rate, 0 unset */
    /* <blockio>, 0 unset */
    unsigned logical_block_size, physical_block_size, discard_granularity;
    bool has_discard_granularity;   /* 0 is a value (no discard) */
    unsigned cyls, heads, secs;     /* <geometry>, 0 unset */
    enum dom_geometry_trans trans;
    enum dom_tristate event_idx, ioeventfd;     /* driver@event_idx, @ioeventfd (virtio) */
};

enum dom_ctrl_type { DOM_CTRL_USB, DOM_CTRL_IDE, DOM_CTRL_SATA, DOM_CTRL_SCSI, DOM_CTRL_FDC,
                     DOM_CTRL_VIRTIO_SERIAL, DOM_CTRL_PCI, DOM_CTRL_CCID, DOM_CTRL_MAX };
QL_ENUM_DECL(dom_ctrl_type);

/* Controller models, one set per type (sata, fdc and ccid have no model attribute). */
enum dom_usb_model { DOM_USB_MODEL_DEFAULT, DOM_USB_PIIX3_UHCI, DOM_USB_PIIX4_UHCI,
                     DOM_USB_EHCI, DOM_USB_ICH9_EHCI1, DOM_USB_ICH9_UHCI1, DOM_USB_ICH9_UHCI2,
                     DOM_USB_ICH9_UHCI3, DOM_USB_VT82C686B_UHCI, DOM_USB_PCI_OHCI,
                     DOM_USB_NEC_XHCI, DOM_USB_QEMU_XHCI, DOM_USB_NONE, DOM_USB_MODEL_MAX };
QL_ENUM_DECL(dom_usb_model);
/* The pc machine's IDE is PIIX3's; QEMU has no other built-in IDE function. */
enum dom_ide_model { DOM_IDE_MODEL_DEFAULT, DOM_IDE_PIIX3, DOM_IDE_MODEL_MAX };
QL_ENUM_DECL(dom_ide_model);
enum dom_scsi_model { DOM_SCSI_MODEL_DEFAULT, DOM_SCSI_AUTO, DOM_SCSI_VIRTIO_SCSI,
                      DOM_SCSI_LSILOGIC, DOM_SCSI_LSISAS1068, DOM_SCSI_LSISAS1078,
                      DOM_SCSI_VMPVSCSI, DOM_SCSI_VIRTIO_TRANSITIONAL,
                      DOM_SCSI_VIRTIO_NON_TRANSITIONAL, DOM_SCSI_AM53C974, DOM_SCSI_DC390,
                      DOM_SCSI_MODEL_MAX };
QL_ENUM_DECL(dom_scsi_model);
/* virtio-scsi, virtio-transitional, virtio-non-transitional */
bool dom_scsi_model_is_virtio(enum dom_scsi_model m);
enum dom_pci_model { DOM_PCI_MODEL_DEFAULT, DOM_PCI_ROOT, DOM_PCIE_ROOT, DOM_PCI_BRIDGE,
                     DOM_PCI_DMI_TO_PCI_BRIDGE, DOM_PCIE_ROOT_PORT,
                     DOM_PCIE_SWITCH_UPSTREAM_PORT, DOM_PCIE_SWITCH_DOWNSTREAM_PORT,
                     DOM_PCIE_TO_PCI_BRIDGE, DOM_PCI_MODEL_MAX };
QL_ENUM_DECL(dom_pci_model);
/* <controller type='pci'><model name>: the QEMU device of a PCI controller */
enum dom_pci_model_name { DOM_PCI_NAME_DEFAULT, DOM_PCI_NAME_PCI_BRIDGE,
                          DOM_PCI_NAME_I82801B11_BRIDGE, DOM_PCI_NAME_IOH3420,
                          DOM_PCI_NAME_PCIE_ROOT_PORT, DOM_PCI_NAME_X3130_UPSTREAM,
                          DOM_PCI_NAME_XIO3130_DOWNSTREAM, DOM_PCI_NAME_PCIE_PCI_BRIDGE,
                          DOM_PCI_NAME_MAX };
QL_ENUM_DECL(dom_pci_model_name);

/* The model of a controller, by type; 0 (DEFAULT) in every member: not given. any is
 * the value whatever the type (the storage all members share). */
union dom_ctrl_model {
    int any;
    enum dom_usb_model usb;
    enum dom_ide_model ide;
    enum dom_scsi_model scsi;
    enum dom_virtio_model vserial;
    enum dom_pci_model pci;
};

/* The model table of a controller type; NULL: the type has no model attribute. */
const struct ql_enum *dom_ctrl_model_enum(enum dom_ctrl_type t);

struct dom_controller {
    enum dom_ctrl_type type;
    unsigned index;
    union dom_ctrl_model model;
    bool has_master;
    unsigned master_startport;
    int ports, vectors;         /* -1 unset */
    int max_ports;              /* virtio-serial, -1 unset */
    unsigned queues;
    int chassis, target_port, chassis_nr, busnr;   /* pci, -1 unset */
    enum dom_pci_model_name model_name;
    unsigned iothread;          /* <driver iothread> (virtio-scsi), 0 none */
    bool has_pcihole64;         /* <pcihole64> (pci-root/pcie-root) */
    unsigned long long pcihole64_kib;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_net_type { DOM_NET_BRIDGE, DOM_NET_NETWORK, DOM_NET_USER, DOM_NET_ETHERNET,
                    DOM_NET_DIRECT, DOM_NET_MAX };
QL_ENUM_DECL(dom_net_type);

enum dom_net_source_mode { DOM_MACVTAP_DEFAULT, DOM_MACVTAP_VEPA, DOM_MACVTAP_BRIDGE,
                            DOM_MACVTAP_PRIVATE, DOM_MACVTAP_PASSTHROUGH, DOM_MACVTAP_MAX };
QL_ENUM_DECL(dom_net_source_mode);
enum dom_nic_model { DOM_NIC_DEFAULT, DOM_NIC_VIRTIO, DOM_NIC_VIRTIO_TRANSITIONAL,
                     DOM_NIC_VIRTIO_NON_TRANSITIONAL, DOM_NIC_E1000, DOM_NIC_E1000E,
                     DOM_NIC_RTL8139, DOM_NIC_VMXNET3, DOM_NIC_NE2K_PCI, DOM_NIC_PCNET,
                     DOM_NIC_I82559ER, DOM_NIC_MAX };
QL_ENUM_DECL(dom_nic_model);
enum dom_vport_type { DOM_VPORT_DEFAULT, DOM_VPORT_OPENVSWITCH, DOM_VPORT_8021QBG,
                      DOM_VPORT_8021QBH, DOM_VPORT_MIDONET, DOM_VPORT_MAX };
QL_ENUM_DECL(dom_vport_type);
enum dom_net_driver { DOM_NET_DRIVER_DEFAULT, DOM_NET_DRIVER_QEMU, DOM_NET_DRIVER_VHOST,
                      DOM_NET_DRIVER_MAX };
QL_ENUM_DECL(dom_net_driver);
enum dom_txmode { DOM_TXMODE_DEFAULT, DOM_TXMODE_IOTHREAD, DOM_TXMODE_TIMER, DOM_TXMODE_MAX };
QL_ENUM_DECL(dom_txmode);
enum dom_link_state { DOM_LINK_DEFAULT, DOM_LINK_UP, DOM_LINK_DOWN, DOM_LINK_MAX };
QL_ENUM_DECL(dom_link_state);

struct dom_vport_params {
    char *interfaceid, *profileid, *instanceid, *managerid, *typeid_, *typeidversion;
};

struct dom_interface {
    enum dom_net_type type;
    char *mac;                  /* normalised lower case aa:bb:cc:dd:ee:ff, NULL: generate */
    char *bridge;               /* bridge */
    char *network, *portgroup;  /* network */
    char *source_dev;           /* direct */
    enum dom_net_source_mode source_mode;   /* direct: VEPA when not given, as libvirt */
    char *target_dev;
    bool target_managed_no;
    enum dom_nic_model model;   /* DEFAULT: the machine's default (rtl8139) */
    enum dom_vport_type vport_type;
    struct dom_vport_params vport;
    unsigned mtu;
    enum dom_net_driver driver_name;
    unsigned queues;
    enum dom_txmode txmode;
    unsigned rx_queue_size, tx_queue_size;
    char *script;
    unsigned *vlan_tags;
    size_t n_vlan_tags;
    bool vlan_trunk;
    enum dom_link_state link_state;
    unsigned boot_order;
    char *rom_file;
    enum dom_tristate rom_bar, rom_enabled;
    enum dom_tristate event_idx, ioeventfd;     /* <driver> (virtio) */
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_input_type { DOM_INPUT_TABLET, DOM_INPUT_MOUSE, DOM_INPUT_KEYBOARD,
                      DOM_INPUT_PASSTHROUGH, DOM_INPUT_EVDEV, DOM_INPUT_MAX };
QL_ENUM_DECL(dom_input_type);
enum dom_input_bus { DOM_INPUT_BUS_DEFAULT, DOM_INPUT_BUS_PS2, DOM_INPUT_BUS_USB,
                     DOM_INPUT_BUS_VIRTIO, DOM_INPUT_BUS_MAX };
QL_ENUM_DECL(dom_input_bus);

enum dom_input_grab { DOM_GRAB_DEFAULT, DOM_GRAB_ALL, DOM_GRAB_MAX };
QL_ENUM_DECL(dom_input_grab);
enum dom_grab_toggle { DOM_GRAB_TOGGLE_DEFAULT, DOM_GRAB_TOGGLE_CTRL_CTRL,
                       DOM_GRAB_TOGGLE_ALT_ALT, DOM_GRAB_TOGGLE_SHIFT_SHIFT,
                       DOM_GRAB_TOGGLE_META_META, DOM_GRAB_TOGGLE_SCROLLLOCK,
                       DOM_GRAB_TOGGLE_CTRL_SCROLLLOCK, DOM_GRAB_TOGGLE_MAX };
QL_ENUM_DECL(dom_grab_toggle);

struct dom_input {
    enum dom_input_type type;
    enum dom_input_bus bus;
    char *evdev;                /* passthrough <source evdev>, evdev <source dev> */
    enum dom_input_grab grab;   /* evdev <source grab> */
    enum dom_grab_toggle grab_toggle;   /* evdev <source grabToggle> */
    enum dom_tristate repeat;   /* evdev <source repeat> */
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_gfx_type { DOM_GFX_SPICE, DOM_GFX_VNC, DOM_GFX_MAX };
QL_ENUM_DECL(dom_gfx_type);
enum dom_listen_type { DOM_LISTEN_ADDRESS, DOM_LISTEN_NETWORK, DOM_LISTEN_SOCKET,
                       DOM_LISTEN_NONE, DOM_LISTEN_MAX };
QL_ENUM_DECL(dom_listen_type);

struct dom_listen {
    enum dom_listen_type type;
    char *address;
    char *network;
    char *socket;
};

/* <graphics connected> (what a password change does to connected clients) */
enum dom_gfx_connected { DOM_CONNECTED_DEFAULT, DOM_CONNECTED_KEEP, DOM_CONNECTED_DISCONNECT,
                         DOM_CONNECTED_FAIL, DOM_CONNECTED_MAX };
QL_ENUM_DECL(dom_gfx_connected);
enum dom_vnc_share { DOM_VNC_SHARE_DEFAULT, DOM_VNC_SHARE_ALLOW_EXCLUSIVE,
                     DOM_VNC_SHARE_FORCE_SHARED, DOM_VNC_SHARE_IGNORE, DOM_VNC_SHARE_MAX };
QL_ENUM_DECL(dom_vnc_share);
/* SPICE defaultMode and <channel mode> */
enum dom_spice_mode { DOM_SPICE_MODE_DEFAULT, DOM_SPICE_SECURE, DOM_SPICE_INSECURE,
                      DOM_SPICE_ANY, DOM_SPICE_MODE_MAX };
QL_ENUM_DECL(dom_spice_mode);
enum dom_spice_channel_name { DOM_SPICE_CH_DEFAULT, DOM_SPICE_CH_MAIN, DOM_SPICE_CH_DISPLAY,
                              DOM_SPICE_CH_INPUTS, DOM_SPICE_CH_CURSOR, DOM_SPICE_CH_PLAYBACK,
                              DOM_SPICE_CH_RECORD, DOM_SPICE_CH_SMARTCARD,
                              DOM_SPICE_CH_USBREDIR, DOM_SPICE_CH_MAX };
QL_ENUM_DECL(dom_spice_channel_name);
enum dom_spice_image { DOM_SPICE_IMAGE_DEFAULT, DOM_SPICE_IMAGE_AUTO_GLZ,
                       DOM_SPICE_IMAGE_AUTO_LZ, DOM_SPICE_IMAGE_QUIC, DOM_SPICE_IMAGE_GLZ,
                       DOM_SPICE_IMAGE_LZ, DOM_SPICE_IMAGE_OFF, DOM_SPICE_IMAGE_MAX };
QL_ENUM_DECL(dom_spice_image);
/* <jpeg compression>, <zlib compression> */
enum dom_spice_wan { DOM_SPICE_WAN_DEFAULT, DOM_SPICE_WAN_AUTO, DOM_SPICE_WAN_NEVER,
                     DOM_SPICE_WAN_ALWAYS, DOM_SPICE_WAN_MAX };
QL_ENUM_DECL(dom_spice_wan);
enum dom_spice_streaming { DOM_SPICE_STREAM_DEFAULT, DOM_SPICE_STREAM_FILTER,
                           DOM_SPICE_STREAM_ALL, DOM_SPICE_STREAM_OFF, DOM_SPICE_STREAM_MAX };
QL_ENUM_DECL(dom_spice_streaming);
enum dom_spice_mouse { DOM_SPICE_MOUSE_DEFAULT, DOM_SPICE_MOUSE_SERVER, DOM_SPICE_MOUSE_CLIENT,
                       DOM_SPICE_MOUSE_MAX };
QL_ENUM_DECL(dom_spice_mouse);

struct dom_spice_channel {
    enum dom_spice_channel_name name;
    enum dom_spice_mode mode;
};

struct dom_graphics {
    enum dom_gfx_type type;
    int port, tls_port, websocket;      /* -1 unset */
    enum dom_tristate autoport;
    char *listen;               /* graphics@listen */
    struct dom_listen *listens;
    size_t n_listens;
    char *passwd;               /* secret: never printed */
    char *passwd_valid_to;      /* as written: YYYY-MM-DDTHH:MM:SS, UTC */
    int64_t passwd_valid_to_epoch;  /* the same in seconds since 1970 (only with the string) */
    enum dom_gfx_connected connected;
    char *keymap;
    enum dom_vnc_share share_policy;
    enum dom_spice_mode default_mode;
    /* spice children */
    enum dom_spice_image image_compression;
    enum dom_spice_wan jpeg_compression, zlib_compression;
    enum dom_tristate playback_compression;
    enum dom_spice_streaming streaming_mode;
    enum dom_tristate copypaste, filetransfer;
    enum dom_spice_mouse mouse_mode;
    enum dom_tristate gl;
    char *gl_rendernode;
    struct dom_spice_channel *channels;
    size_t n_channels;
    struct dom_src src;
};

enum dom_video_model { DOM_VIDEO_DEFAULT, DOM_VIDEO_VGA, DOM_VIDEO_CIRRUS, DOM_VIDEO_VMVGA,
                       DOM_VIDEO_QXL, DOM_VIDEO_VIRTIO, DOM_VIDEO_BOCHS, DOM_VIDEO_RAMFB,
                       DOM_VIDEO_NONE, DOM_VIDEO_MAX };
QL_ENUM_DECL(dom_video_model);

struct dom_video {
    enum dom_video_model model; /* DEFAULT: cirrus, as libvirt on x86 */
    unsigned long long ram, vram, vram64, vgamem;  /* KiB, 0 unset */
    unsigned heads;
    enum dom_tristate primary;
    enum dom_tristate accel3d;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_sound_model { DOM_SOUND_DEFAULT, DOM_SOUND_ICH6, DOM_SOUND_ICH9, DOM_SOUND_AC97,
                       DOM_SOUND_ES1370, DOM_SOUND_SB16, DOM_SOUND_PCSPK, DOM_SOUND_USB,
                       DOM_SOUND_MAX };
QL_ENUM_DECL(dom_sound_model);
enum dom_sound_codec { DOM_CODEC_DEFAULT, DOM_CODEC_DUPLEX, DOM_CODEC_MICRO, DOM_CODEC_OUTPUT,
                       DOM_CODEC_MAX };
QL_ENUM_DECL(dom_sound_codec);
enum dom_audio_type { DOM_AUDIO_DEFAULT, DOM_AUDIO_NONE, DOM_AUDIO_SPICE, DOM_AUDIO_ALSA,
                      DOM_AUDIO_OSS, DOM_AUDIO_MAX };
QL_ENUM_DECL(dom_audio_type);

struct dom_sound {
    enum dom_sound_model model; /* DEFAULT only in a rejected domain */
    enum dom_sound_codec *codecs;
    size_t n_codecs;
    unsigned audio_id;          /* <audio id=...> reference, 0 none */
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_audio {
    unsigned id;
    enum dom_audio_type type;   /* DEFAULT only in a rejected domain */
    struct dom_src src;
};

enum dom_chr_kind { DOM_CHR_SERIAL, DOM_CHR_CONSOLE, DOM_CHR_PARALLEL, DOM_CHR_CHANNEL,
                    DOM_CHR_KIND_MAX };
QL_ENUM_DECL(dom_chr_kind);
enum dom_chr_type { DOM_CHR_PTY, DOM_CHR_FILE, DOM_CHR_UNIX, DOM_CHR_TCP, DOM_CHR_UDP,
                    DOM_CHR_NULL, DOM_CHR_STDIO, DOM_CHR_VC, DOM_CHR_DEV, DOM_CHR_PIPE,
                    DOM_CHR_SPICEVMC, DOM_CHR_SPICEPORT, DOM_CHR_QEMU_VDAGENT, DOM_CHR_DBUS,
                    DOM_CHR_NMDM, DOM_CHR_TYPE_MAX };
QL_ENUM_DECL(dom_chr_type);

enum dom_chr_mode { DOM_CHR_MODE_DEFAULT, DOM_CHR_MODE_BIND, DOM_CHR_MODE_CONNECT,
                   DOM_CHR_MODE_MAX };
QL_ENUM_DECL(dom_chr_mode);
enum dom_chr_protocol { DOM_CHR_PROTO_DEFAULT, DOM_CHR_PROTO_RAW, DOM_CHR_PROTO_TELNET,
                        DOM_CHR_PROTO_TELNETS, DOM_CHR_PROTO_TLS, DOM_CHR_PROTO_MAX };
QL_ENUM_DECL(dom_chr_protocol);
/* <target type> of every kind: serial takes isa-serial..isa-debug, console serial and
 * virtio, channel virtio and guestfwd (the parser checks which kind takes which). */
enum dom_chr_target { DOM_CHR_TARGET_DEFAULT, DOM_CHR_TARGET_ISA_SERIAL,
                      DOM_CHR_TARGET_USB_SERIAL, DOM_CHR_TARGET_PCI_SERIAL,
                      DOM_CHR_TARGET_ISA_DEBUG, DOM_CHR_TARGET_SERIAL, DOM_CHR_TARGET_VIRTIO,
                      DOM_CHR_TARGET_GUESTFWD, DOM_CHR_TARGET_MAX };
QL_ENUM_DECL(dom_chr_target);
/* serial <target><model name> */
enum dom_chr_target_model { DOM_CHR_MODEL_DEFAULT, DOM_CHR_MODEL_ISA_SERIAL,
                            DOM_CHR_MODEL_USB_SERIAL, DOM_CHR_MODEL_PCI_SERIAL,
                            DOM_CHR_MODEL_ISA_DEBUGCON, DOM_CHR_MODEL_MAX };
QL_ENUM_DECL(dom_chr_target_model);
enum dom_chr_state { DOM_CHR_STATE_DEFAULT, DOM_CHR_STATE_CONNECTED,
                     DOM_CHR_STATE_DISCONNECTED, DOM_CHR_STATE_MAX };
QL_ENUM_DECL(dom_chr_state);

/* A character device backend: <source>, <protocol>, <log>. */
struct dom_chr_source {
    enum dom_chr_type type;
    char *path;
    enum dom_chr_mode mode;     /* unix/tcp (the parser fills in libvirt's default) */
    char *host, *service;       /* tcp/udp: connect side or listen side */
    char *bind_host, *bind_service;   /* udp local side */
    enum dom_chr_protocol protocol;
    char *channel;              /* spiceport channel name */
    enum dom_tristate append;
    char *log_file;
    enum dom_tristate log_append;
    enum dom_tristate reconnect;
    unsigned reconnect_timeout;
};

struct dom_chr {
    enum dom_chr_kind kind;
    struct dom_chr_source source;
    enum dom_chr_target target_type;
    enum dom_chr_target_model target_model;
    int target_port;            /* -1 unset */
    char *target_name;          /* channel virtio name */
    char *target_address;       /* guestfwd */
    enum dom_chr_state target_state;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_usb_bus { DOM_USB_BUS_USB, DOM_USB_BUS_MAX };
QL_ENUM_DECL(dom_usb_bus);

struct dom_redirdev {
    enum dom_usb_bus bus;       /* usb, also when not given */
    struct dom_chr_source source;
    unsigned boot_order;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_balloon_model { DOM_BALLOON_DEFAULT, DOM_BALLOON_VIRTIO,
                         DOM_BALLOON_VIRTIO_TRANSITIONAL, DOM_BALLOON_VIRTIO_NON_TRANSITIONAL,
                         DOM_BALLOON_NONE, DOM_BALLOON_MAX };
QL_ENUM_DECL(dom_balloon_model);

struct dom_memballoon {
    bool present;
    enum dom_balloon_model model;   /* DEFAULT: no <memballoon> (a virtio one, as libvirt) */
    enum dom_tristate autodeflate, free_page_reporting;
    int stats_period;           /* -1 unset */
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_rng_backend { DOM_RNG_BACKEND_DEFAULT, DOM_RNG_RANDOM, DOM_RNG_EGD, DOM_RNG_BUILTIN,
                       DOM_RNG_BACKEND_MAX };
QL_ENUM_DECL(dom_rng_backend);

struct dom_rng {
    enum dom_virtio_model model;
    enum dom_rng_backend backend_model;
    char *backend_path;         /* random: NULL = /dev/random (libvirt default) */
    struct dom_chr_source egd;
    unsigned rate_bytes, rate_period;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_watchdog_model { DOM_WATCHDOG_DEFAULT, DOM_WATCHDOG_I6300ESB, DOM_WATCHDOG_IB700,
                          DOM_WATCHDOG_ITCO, DOM_WATCHDOG_MAX };
QL_ENUM_DECL(dom_watchdog_model);
enum dom_watchdog_action { DOM_WDACT_DEFAULT, DOM_WDACT_RESET, DOM_WDACT_SHUTDOWN,
                           DOM_WDACT_POWEROFF, DOM_WDACT_PAUSE, DOM_WDACT_NONE, DOM_WDACT_DUMP,
                           DOM_WDACT_INJECT_NMI, DOM_WDACT_MAX };
QL_ENUM_DECL(dom_watchdog_action);

struct dom_watchdog {
    enum dom_watchdog_model model;      /* DEFAULT only in a rejected domain */
    enum dom_watchdog_action action;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_panic_model { DOM_PANIC_DEFAULT, DOM_PANIC_ISA, DOM_PANIC_PVPANIC, DOM_PANIC_HYPERV,
                       DOM_PANIC_MAX };
QL_ENUM_DECL(dom_panic_model);

struct dom_panic {
    enum dom_panic_model model; /* DEFAULT: isa on x86 */
    bool implicit;              /* added by qlaunch for on_crash, not in the XML */
    struct dom_addr addr;
    struct dom_src src;
};

/* <tpm>: an emulated TPM (swtpm, started by the supervisor) or the host's (passthrough). */
enum dom_tpm_model { DOM_TPM_MODEL_DEFAULT, DOM_TPM_TIS, DOM_TPM_CRB, DOM_TPM_MODEL_MAX };
QL_ENUM_DECL(dom_tpm_model);
enum dom_tpm_backend { DOM_TPM_BACKEND_DEFAULT, DOM_TPM_PASSTHROUGH, DOM_TPM_EMULATOR,
                       DOM_TPM_BACKEND_MAX };
QL_ENUM_DECL(dom_tpm_backend);
enum dom_tpm_version { DOM_TPM_VERSION_DEFAULT, DOM_TPM_VERSION_1_2, DOM_TPM_VERSION_2_0,
                       DOM_TPM_VERSION_MAX };
QL_ENUM_DECL(dom_tpm_version);
/* <active_pcr_banks> children, as swtpm_setup --pcr-banks names them. */
enum dom_tpm_pcr_bank { DOM_TPM_PCR_SHA1, DOM_TPM_PCR_SHA256, DOM_TPM_PCR_SHA384,
                        DOM_TPM_PCR_SHA512, DOM_TPM_PCR_MAX };
QL_ENUM_DECL(dom_tpm_pcr_bank);

struct dom_tpm {
    enum dom_tpm_model model;           /* DEFAULT: tpm-tis, as libvirt on x86 */
    enum dom_tpm_backend backend;       /* DEFAULT only in a rejected domain */
    enum dom_tpm_version version;       /* emulator; DEFAULT: 2.0 */
    enum dom_tristate persistent_state; /* emulator; DEFAULT: yes */
    unsigned pcr_banks;                 /* bit dom_tpm_pcr_bank; 0: swtpm_setup's default */
    char *device_path;                  /* passthrough; NULL: /dev/tpm0 */
    struct dom_addr addr;
    struct dom_src src;
};

/* <hostdev mode='subsystem'>: a host PCI function given to the guest through VFIO (vfio-pci),
 * or a host USB device through QEMU's usb-host. */
enum dom_hostdev_type { DOM_HOSTDEV_PCI, DOM_HOSTDEV_USB, DOM_HOSTDEV_MAX };
QL_ENUM_DECL(dom_hostdev_type);
/* usb <source guestReset>: which guest USB resets reach the host device */
enum dom_usb_guest_reset { DOM_USB_RESET_DEFAULT, DOM_USB_RESET_OFF,
                           DOM_USB_RESET_UNINITIALIZED, DOM_USB_RESET_ON, DOM_USB_RESET_MAX };
QL_ENUM_DECL(dom_usb_guest_reset);

struct dom_hostdev {
    enum dom_hostdev_type type;
    bool managed;               /* pci managed='yes': qlaunch binds it to vfio-pci and back */
    /* pci: <source><address domain bus slot function> */
    unsigned pci_domain, pci_bus, pci_slot, pci_function;
    char *driver_model;         /* pci <driver model>: a vfio-pci variant driver, NULL: vfio-pci */
    /* usb: <source><vendor id><product id> and/or <address bus device> */
    unsigned usb_vendor, usb_product;
    bool has_vendor;
    unsigned usb_bus, usb_device;
    bool has_usb_addr;
    enum dom_usb_guest_reset guest_reset;
    unsigned boot_order;        /* 0 none */
    char *rom_file;             /* pci <rom> */
    enum dom_tristate rom_bar, rom_enabled;
    struct dom_addr addr;       /* the guest side */
    struct dom_src src;
};

/* <filesystem>: a host directory shared with the guest, over virtio-9p (QEMU's own fsdev)
 * or virtio-fs (one virtiofsd per share, started by the supervisor). */
enum dom_fs_type { DOM_FS_TYPE_DEFAULT, DOM_FS_MOUNT, DOM_FS_BLOCK, DOM_FS_FILE,
                   DOM_FS_TEMPLATE, DOM_FS_RAM, DOM_FS_BIND, DOM_FS_VOLUME, DOM_FS_TYPE_MAX };
QL_ENUM_DECL(dom_fs_type);
enum dom_fs_driver { DOM_FS_DRIVER_DEFAULT, DOM_FS_PATH, DOM_FS_HANDLE, DOM_FS_LOOP,
                     DOM_FS_NBD, DOM_FS_PLOOP, DOM_FS_VIRTIOFS, DOM_FS_DRIVER_MAX };
QL_ENUM_DECL(dom_fs_driver);
enum dom_fs_access { DOM_FS_ACCESS_DEFAULT, DOM_FS_PASSTHROUGH, DOM_FS_MAPPED, DOM_FS_SQUASH,
                     DOM_FS_ACCESS_MAX };
QL_ENUM_DECL(dom_fs_access);
enum dom_fs_wrpolicy { DOM_FS_WRPOLICY_DEFAULT, DOM_FS_WRPOLICY_IMMEDIATE, DOM_FS_WRPOLICY_MAX };
QL_ENUM_DECL(dom_fs_wrpolicy);
enum dom_fs_multidevs { DOM_FS_MULTIDEVS_DEFAULT, DOM_FS_MULTIDEVS_REMAP,
                        DOM_FS_MULTIDEVS_FORBID, DOM_FS_MULTIDEVS_WARN, DOM_FS_MULTIDEVS_MAX };
QL_ENUM_DECL(dom_fs_multidevs);
/* virtiofs <binary><cache mode>, <sandbox mode> */
enum dom_fs_cache { DOM_FS_CACHE_DEFAULT, DOM_FS_CACHE_NONE, DOM_FS_CACHE_ALWAYS,
                    DOM_FS_CACHE_MAX };
QL_ENUM_DECL(dom_fs_cache);
enum dom_fs_sandbox { DOM_FS_SANDBOX_DEFAULT, DOM_FS_SANDBOX_NAMESPACE, DOM_FS_SANDBOX_CHROOT,
                      DOM_FS_SANDBOX_MAX };
QL_ENUM_DECL(dom_fs_sandbox);

struct dom_fs {
    enum dom_fs_type type;              /* DEFAULT: mount */
    enum dom_fs_driver driver;          /* DEFAULT: path (9p) */
    enum dom_fs_access access;          /* DEFAULT: passthrough */
    enum dom_virtio_model model;
    enum dom_fs_wrpolicy wrpolicy;
    enum dom_fs_multidevs multidevs;
    unsigned fmode, dmode;              /* 9p mapped: modes of created files; 0: not given */
    char *source;                       /* <source dir> */
    char *socket;                       /* virtiofs <source socket>: a virtiofsd run by others */
    char *target;                       /* <target dir>: the mount tag */
    bool readonly;
    unsigned queue;                     /* virtiofs <driver queue>; 0: QEMU's default */
    char *binary;                       /* virtiofs <binary path>; NULL: looked up */
    enum dom_tristate xattr, posix_lock, flock;
    enum dom_fs_cache cache;
    enum dom_fs_sandbox sandbox;
    int thread_pool;                    /* <thread_pool size>; -1: not given */
    unsigned long long openfiles;       /* <openfiles max>; 0: not given */
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_hub {
    enum dom_usb_bus type;
    struct dom_addr addr;
    struct dom_src src;
};

#define DOM_VEC(type, name) type *name; size_t n_##name

struct dom_devices {
    char *emulator;
    int emulator_line;
    DOM_VEC(struct dom_disk, disks);
    DOM_VEC(struct dom_controller, controllers);
    DOM_VEC(struct dom_interface, interfaces);
    DOM_VEC(struct dom_input, inputs);
    DOM_VEC(struct dom_graphics, graphics);
    DOM_VEC(struct dom_video, videos);
    DOM_VEC(struct dom_sound, sounds);
    DOM_VEC(struct dom_audio, audios);
    DOM_VEC(struct dom_chr, chrs);          /* serial, console, parallel, channel in XML order */
    DOM_VEC(struct dom_redirdev, redirdevs);
    DOM_VEC(struct dom_rng, rngs);
    DOM_VEC(struct dom_watchdog, watchdogs);
    DOM_VEC(struct dom_panic, panics);
    DOM_VEC(struct dom_hub, hubs);
    DOM_VEC(struct dom_tpm, tpms);
    DOM_VEC(struct dom_hostdev, hostdevs);
    DOM_VEC(struct dom_fs, fss);
    struct dom_memballoon memballoon;
};

/* libvirt's QEMU namespace (http://libvirt.org/schemas/domain/qemu/1.0): unchecked
 * pass-through of arguments, environment and device properties, and capability changes. */
struct dom_qemu_env {
    char *name, *value;                 /* value NULL: set empty */
    struct dom_src src;
};
enum dom_qemu_prop_type { DOM_QPROP_STRING, DOM_QPROP_SIGNED, DOM_QPROP_UNSIGNED,
                          DOM_QPROP_BOOL, DOM_QPROP_REMOVE, DOM_QPROP_MAX };
QL_ENUM_DECL(dom_qemu_prop_type);
struct dom_qemu_prop {
    char *name, *value;
    enum dom_qemu_prop_type type;
    struct dom_src src;
};
/* <qemu:override><qemu:device alias><qemu:frontend><qemu:property .../> */
struct dom_qemu_override {
    char *alias;
    DOM_VEC(struct dom_qemu_prop, props);
    struct dom_src src;
};
struct dom_qemu_cap {
    char *name;
    bool add;                           /* <qemu:add>, else <qemu:del> */
    struct dom_src src;
};
struct dom_qemu_ns {
    char **args;                        /* <qemu:commandline><qemu:arg value> */
    size_t n_args;
    int args_line;                      /* the first <qemu:commandline>'s line */
    DOM_VEC(struct dom_qemu_env, envs);
    DOM_VEC(struct dom_qemu_override, overrides);
    DOM_VEC(struct dom_qemu_cap, caps);
};

enum dom_vcpu_placement { DOM_PLACEMENT_DEFAULT, DOM_PLACEMENT_STATIC, DOM_PLACEMENT_MAX };
QL_ENUM_DECL(dom_vcpu_placement);

struct domain {
    enum dom_virt virt;
    int id;                     /* domain@id, -1 unset; informational */
    char *name;
    unsigned char uuid[16];
    bool has_uuid;
    bool has_genid;             /* <genid> given */
    bool genid_auto;            /* <genid/> empty: derived from the UUID by validate */
    unsigned char genid[16];
    char *title, *description;
    struct dom_dac dac;

    unsigned long long memory_kib, current_memory_kib, max_memory_kib;
    unsigned max_memory_slots;
    bool mem_dump_core_set, mem_dump_core;
    struct dom_mem_backing mem_backing;

    struct dom_iothread *iothreads;     /* every IOThread, in libvirt's order */
    size_t n_iothreads;

    unsigned vcpus;             /* maximum */
    unsigned vcpus_current;     /* 0: same as maximum */
    enum dom_vcpu_placement vcpu_placement;
    char *vcpu_cpuset;
    struct dom_cputune cputune;
    bool has_cputune;
    struct dom_numatune numatune;
    struct dom_cpu cpu;

    struct dom_os os;
    bool has_sysinfo;           /* <sysinfo type='smbios'> given */
    struct dom_smbios sysinfo;
    struct dom_fwcfg *fwcfgs;   /* <sysinfo type='fwcfg'> entries, in order */
    size_t n_fwcfgs;
    struct dom_features features;
    struct dom_clock clock;

    enum dom_lifecycle on_poweroff, on_reboot, on_crash;
    enum dom_tristate pm_suspend_to_mem, pm_suspend_to_disk;

    struct dom_devices dev;
    struct dom_qemu_ns qemu;

    char *source_file;          /* the file it was read from, for messages */
    /* Lines of domain-level elements, for validation messages (0: absent). */
    int lc_line[3];             /* on_poweroff, on_reboot, on_crash */
    int mem_line[3];            /* memory, currentMemory, maxMemory */
    int vcpu_line;
    int name_line, uuid_line, genid_line, pm_line;
};

void domain_free(struct domain *d);
/* Frees what one device owns (hot-plug moves devices between domains). */
void dom_disk_clear(struct dom_disk *x);
void dom_interface_clear(struct dom_interface *x);
void dom_input_clear(struct dom_input *x);

/* Effective lifecycle actions after libvirt's defaults. */
enum dom_lifecycle dom_on_poweroff(const struct domain *d);
enum dom_lifecycle dom_on_reboot(const struct domain *d);
enum dom_lifecycle dom_on_crash(const struct domain *d);
/* Online vCPUs at start. */
unsigned dom_vcpus_online(const struct domain *d);
