/* struct domain: the parsed libvirt domain XML as plain C data.
 *
 * No QEMU knowledge lives here: values are what the XML says, normalised (memory in KiB,
 * enums instead of strings). "unset" is 0 / NULL / DOM_TRI_DEFAULT; where 0 is a valid
 * value a separate has_* flag says whether the XML gave it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where an item came from, for error messages: "devices/disk[2]" and its line. */
struct dom_src {
    char *path;
    int line;
};

enum dom_tristate { DOM_TRI_DEFAULT, DOM_TRI_ON, DOM_TRI_OFF, DOM_TRI_MAX };

#define DOM_ENUM_DECL(prefix)                                                   \
    const char *prefix##_to_string(int v);                                      \
    int prefix##_from_string(const char *s)

enum dom_virt { DOM_VIRT_KVM, DOM_VIRT_QEMU, DOM_VIRT_MAX };
DOM_ENUM_DECL(dom_virt);

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
DOM_ENUM_DECL(dom_lifecycle);

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
DOM_ENUM_DECL(dom_addr_type);

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
DOM_ENUM_DECL(dom_cpu_mode);

enum dom_cpu_feature_policy {
    DOM_CPU_FEAT_REQUIRE,
    DOM_CPU_FEAT_FORCE,
    DOM_CPU_FEAT_OPTIONAL,
    DOM_CPU_FEAT_DISABLE,
    DOM_CPU_FEAT_FORBID,
    DOM_CPU_FEAT_MAX
};
DOM_ENUM_DECL(dom_cpu_feature_policy);

struct dom_cpu_feature {
    char *name;
    enum dom_cpu_feature_policy policy;
};

struct dom_numa_cell {
    unsigned id;
    char *cpus;                 /* cpuset syntax */
    unsigned long long memory_kib;
    char *mem_access;           /* shared|private, NULL: <memoryBacking><access> */
};

struct dom_cpu {
    bool present;               /* <cpu> was given */
    enum dom_cpu_mode mode;
    bool has_mode;
    char *model;
    char *model_fallback;       /* allow|forbid */
    char *match;                /* minimum|exact|strict */
    char *check;                /* none|partial|full */
    char *vendor;
    unsigned sockets, dies, clusters, cores, threads;   /* 0: topology not given */
    struct dom_cpu_feature *features;
    size_t n_features;
    struct dom_numa_cell *cells;
    size_t n_cells;
    struct dom_src src;
    struct dom_src topo_src, numa_src;
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

struct dom_mem_backing {
    bool present;
    bool hugepages;             /* <hugepages> given */
    struct dom_hugepage *pages;
    size_t n_pages;
    bool nosharepages, locked;
    char *source;               /* anonymous|file|memfd */
    char *access;               /* shared|private */
    char *allocation;           /* immediate|ondemand */
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
DOM_ENUM_DECL(dom_boot_dev);

struct dom_os {
    char *type;                 /* hvm */
    char *arch;
    char *machine;              /* NULL when absent or empty */
    char *firmware;             /* os@firmware: bios|efi */
    char *loader;
    enum dom_tristate loader_readonly;
    char *loader_type;          /* rom|pflash */
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
    char *smbios_mode;
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
DOM_ENUM_DECL(dom_feature);

struct dom_hyperv_feature {
    char *name;
    bool on;
    char *value;                /* spinlocks retries / vendor_id value */
};

struct dom_features {
    enum dom_tristate f[DOM_FEAT_MAX];  /* DEFAULT = element absent */
    char *apic_eoi;             /* on|off or NULL */
    unsigned kvm_dirty_ring_size;   /* <kvm><dirty-ring size>, 0 unset */
    struct dom_hyperv_feature *hyperv;
    size_t n_hyperv;
    bool hyperv_present;
};

enum dom_clock_offset {
    DOM_CLOCK_UTC,
    DOM_CLOCK_LOCALTIME,
    DOM_CLOCK_TIMEZONE,
    DOM_CLOCK_VARIABLE,
    DOM_CLOCK_ABSOLUTE,
    DOM_CLOCK_MAX
};
DOM_ENUM_DECL(dom_clock_offset);

struct dom_timer {
    char *name;                 /* rtc|pit|hpet|kvmclock|tsc|hypervclock|platform|armvtimer */
    enum dom_tristate present;
    char *tickpolicy;           /* delay|catchup|merge|discard */
    char *track;                /* guest|wall|realtime */
    unsigned long long frequency;
};

struct dom_clock {
    enum dom_clock_offset offset;
    char *timezone;
    long long adjustment;       /* seconds, for variable */
    char *basis;                /* utc|localtime */
    long long start;            /* for absolute */
    struct dom_timer *timers;
    size_t n_timers;
};

/* ---- devices ---- */
enum dom_disk_type { DOM_DISK_FILE, DOM_DISK_BLOCK, DOM_DISK_NETWORK, DOM_DISK_MAX };
DOM_ENUM_DECL(dom_disk_type);
enum dom_disk_device { DOM_DISKDEV_DISK, DOM_DISKDEV_CDROM, DOM_DISKDEV_FLOPPY, DOM_DISKDEV_LUN,
                       DOM_DISKDEV_MAX };
DOM_ENUM_DECL(dom_disk_device);
enum dom_disk_bus { DOM_BUS_DEFAULT, DOM_BUS_VIRTIO, DOM_BUS_IDE, DOM_BUS_SATA, DOM_BUS_SCSI,
                    DOM_BUS_USB, DOM_BUS_FDC, DOM_BUS_MAX };
DOM_ENUM_DECL(dom_disk_bus);

struct dom_net_host {
    char *name;
    unsigned port;
    char *transport;
    char *socket;
};

struct dom_disk {
    enum dom_disk_type type;
    enum dom_disk_device device;
    char *driver_name;          /* qemu */
    char *format;               /* raw|qcow2|... NULL: raw for file/block */
    char *cache;                /* default|none|writethrough|writeback|directsync|unsafe */
    char *io;                   /* threads|native|io_uring */
    char *discard;              /* unmap|ignore */
    char *detect_zeroes;
    char *error_policy, *rerror_policy;
    unsigned queues;
    char *source;               /* file path / block dev path / network volume name */
    char *protocol;             /* network: nbd|iscsi|rbd|http|https|... */
    struct dom_net_host *hosts;
    size_t n_hosts;
    char *dev;                  /* target dev: vda, hdc, sda ... */
    enum dom_disk_bus bus;
    char *tray;                 /* open|closed */
    bool readonly, shareable, transient;
    char *serial, *wwn, *vendor, *product;
    unsigned boot_order;        /* 0 none */
    unsigned long long total_iops_sec, total_bytes_sec;
    struct dom_addr addr;
    struct dom_src src;
    enum dom_tristate removable;        /* target@removable (usb/scsi disks) */
    unsigned iothread;          /* driver@iothread, 0 none */
    enum dom_tristate event_idx, ioeventfd;     /* driver@event_idx, @ioeventfd (virtio) */
};

enum dom_ctrl_type { DOM_CTRL_USB, DOM_CTRL_IDE, DOM_CTRL_SATA, DOM_CTRL_SCSI, DOM_CTRL_FDC,
                     DOM_CTRL_VIRTIO_SERIAL, DOM_CTRL_PCI, DOM_CTRL_CCID, DOM_CTRL_MAX };
DOM_ENUM_DECL(dom_ctrl_type);

struct dom_controller {
    enum dom_ctrl_type type;
    unsigned index;
    char *model;                /* NULL: default for the type */
    bool has_master;
    unsigned master_startport;
    int ports, vectors;         /* -1 unset */
    int max_ports;              /* virtio-serial, -1 unset */
    unsigned queues;
    int chassis, target_port, chassis_nr, busnr;   /* pci, -1 unset */
    char *model_name;           /* pci <model name=...> */
    unsigned iothread;          /* <driver iothread> (virtio-scsi), 0 none */
    bool has_pcihole64;         /* <pcihole64> (pci-root/pcie-root) */
    unsigned long long pcihole64_kib;
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_net_type { DOM_NET_BRIDGE, DOM_NET_NETWORK, DOM_NET_USER, DOM_NET_ETHERNET,
                    DOM_NET_DIRECT, DOM_NET_MAX };
DOM_ENUM_DECL(dom_net_type);

struct dom_vport_params {
    char *interfaceid, *profileid, *instanceid, *managerid, *typeid_, *typeidversion;
};

struct dom_interface {
    enum dom_net_type type;
    char *mac;                  /* normalised lower case aa:bb:cc:dd:ee:ff, NULL: generate */
    char *bridge;               /* bridge */
    char *network, *portgroup;  /* network */
    char *source_dev, *source_mode;   /* direct */
    char *target_dev;
    bool target_managed_no;
    char *model;                /* virtio|e1000|rtl8139|... NULL: default */
    char *vport_type;           /* openvswitch|802.1Qbg|802.1Qbh|midonet */
    struct dom_vport_params vport;
    unsigned mtu;
    char *driver_name;          /* qemu|vhost */
    unsigned queues;
    char *txmode;
    unsigned rx_queue_size, tx_queue_size;
    char *script;
    unsigned *vlan_tags;
    size_t n_vlan_tags;
    bool vlan_trunk;
    char *link_state;           /* up|down */
    unsigned boot_order;
    char *rom_file;
    enum dom_tristate rom_bar, rom_enabled;
    enum dom_tristate event_idx, ioeventfd;     /* <driver> (virtio) */
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_input_type { DOM_INPUT_TABLET, DOM_INPUT_MOUSE, DOM_INPUT_KEYBOARD,
                      DOM_INPUT_PASSTHROUGH, DOM_INPUT_EVDEV, DOM_INPUT_MAX };
DOM_ENUM_DECL(dom_input_type);
enum dom_input_bus { DOM_INPUT_BUS_DEFAULT, DOM_INPUT_BUS_PS2, DOM_INPUT_BUS_USB,
                     DOM_INPUT_BUS_VIRTIO, DOM_INPUT_BUS_MAX };
DOM_ENUM_DECL(dom_input_bus);

struct dom_input {
    enum dom_input_type type;
    enum dom_input_bus bus;
    char *evdev;                /* passthrough <source evdev>, evdev <source dev> */
    char *grab;                 /* evdev <source grab>: all */
    char *grab_toggle;          /* evdev <source grabToggle> */
    enum dom_tristate repeat;   /* evdev <source repeat> */
    struct dom_addr addr;
    struct dom_src src;
};

enum dom_gfx_type { DOM_GFX_SPICE, DOM_GFX_VNC, DOM_GFX_MAX };
DOM_ENUM_DECL(dom_gfx_type);
enum dom_listen_type { DOM_LISTEN_ADDRESS, DOM_LISTEN_NETWORK, DOM_LISTEN_SOCKET,
                       DOM_LISTEN_NONE, DOM_LISTEN_MAX };
DOM_ENUM_DECL(dom_listen_type);

struct dom_listen {
    enum dom_listen_type type;
    char *address;
    char *network;
    char *socket;
};

struct dom_spice_channel {
    char *name;
    char *mode;                 /* secure|insecure|any */
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
    char *connected;            /* keep|disconnect|fail */
    char *keymap;
    char *share_policy;
    char *default_mode;
    /* spice children */
    char *image_compression, *jpeg_compression, *zlib_compression, *playback_compression;
    char *streaming_mode;
    enum dom_tristate copypaste, filetransfer;
    char *mouse_mode;
    enum dom_tristate gl;
    char *gl_rendernode;
    struct dom_spice_channel *channels;
    size_t n_channels;
    struct dom_src src;
};

struct dom_video {
    char *model;                /* vga|cirrus|qxl|virtio|bochs|ramfb|none */
    unsigned long long ram, vram, vram64, vgamem;  /* KiB, 0 unset */
    unsigned heads;
    enum dom_tristate primary;
    enum dom_tristate accel3d;
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_sound {
    char *model;                /* ich6|ich9|ac97|es1370|sb16|pcspk|usb|ich7 */
    char **codecs;              /* duplex|micro|output */
    size_t n_codecs;
    unsigned audio_id;          /* <audio id=...> reference, 0 none */
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_audio {
    unsigned id;
    char *type;                 /* none|spice|... */
    struct dom_src src;
};

enum dom_chr_kind { DOM_CHR_SERIAL, DOM_CHR_CONSOLE, DOM_CHR_PARALLEL, DOM_CHR_CHANNEL,
                    DOM_CHR_KIND_MAX };
DOM_ENUM_DECL(dom_chr_kind);
enum dom_chr_type { DOM_CHR_PTY, DOM_CHR_FILE, DOM_CHR_UNIX, DOM_CHR_TCP, DOM_CHR_UDP,
                    DOM_CHR_NULL, DOM_CHR_STDIO, DOM_CHR_VC, DOM_CHR_DEV, DOM_CHR_PIPE,
                    DOM_CHR_SPICEVMC, DOM_CHR_SPICEPORT, DOM_CHR_QEMU_VDAGENT, DOM_CHR_DBUS,
                    DOM_CHR_NMDM, DOM_CHR_TYPE_MAX };
DOM_ENUM_DECL(dom_chr_type);

/* A character device backend: <source>, <protocol>, <log>. */
struct dom_chr_source {
    enum dom_chr_type type;
    char *path;
    char *mode;                 /* bind|connect (unix/tcp/udp) */
    char *host, *service;       /* tcp/udp: connect side or listen side */
    char *bind_host, *bind_service;   /* udp local side */
    char *protocol;             /* raw|telnet|telnets|tls */
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
    char *target_type;          /* serial: isa-serial|usb-serial|pci-serial; console: serial|virtio;
                                   channel: virtio|guestfwd */
    char *target_model;         /* serial target <model name=> */
    int target_port;            /* -1 unset */
    char *target_name;          /* channel virtio name */
    char *target_address;       /* guestfwd */
    char *target_state;
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_redirdev {
    char *bus;                  /* usb */
    struct dom_chr_source source;
    unsigned boot_order;
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_memballoon {
    bool present;
    char *model;                /* virtio|none */
    enum dom_tristate autodeflate, free_page_reporting;
    int stats_period;           /* -1 unset */
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_rng {
    char *model;                /* virtio */
    char *backend_model;        /* random|egd|builtin */
    char *backend_path;         /* random: NULL = /dev/random (libvirt default) */
    struct dom_chr_source egd;
    unsigned rate_bytes, rate_period;
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_watchdog {
    char *model;                /* i6300esb|ib700|itco */
    char *action;               /* reset|shutdown|poweroff|pause|none|dump|inject-nmi */
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_panic {
    char *model;                /* isa|pvpanic|hyperv|pvpanic-pci... NULL: isa on x86 */
    bool implicit;              /* added by qlaunch for on_crash, not in the XML */
    struct dom_addr addr;
    struct dom_src src;
};

struct dom_hub {
    char *type;                 /* usb */
    struct dom_addr addr;
    struct dom_src src;
};

#define DOM_VEC(type, name) type *name; size_t n_##name

struct dom_devices {
    char *emulator;
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
    struct dom_memballoon memballoon;
};

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

    unsigned long long memory_kib, current_memory_kib, max_memory_kib;
    unsigned max_memory_slots;
    bool mem_dump_core_set, mem_dump_core;
    struct dom_mem_backing mem_backing;

    struct dom_iothread *iothreads;     /* every IOThread, in libvirt's order */
    size_t n_iothreads;

    unsigned vcpus;             /* maximum */
    unsigned vcpus_current;     /* 0: same as maximum */
    char *vcpu_placement;       /* static|auto */
    char *vcpu_cpuset;
    struct dom_cputune cputune;
    bool has_cputune;
    struct dom_cpu cpu;

    struct dom_os os;
    struct dom_features features;
    struct dom_clock clock;

    enum dom_lifecycle on_poweroff, on_reboot, on_crash;
    enum dom_tristate pm_suspend_to_mem, pm_suspend_to_disk;

    struct dom_devices dev;

    char *source_file;          /* the file it was read from, for messages */
    /* Lines of domain-level elements, for validation messages (0: absent). */
    int lc_line[3];             /* on_poweroff, on_reboot, on_crash */
    int mem_line[3];            /* memory, currentMemory, maxMemory */
    int vcpu_line;
};

void domain_free(struct domain *d);

/* Effective lifecycle actions after libvirt's defaults. */
enum dom_lifecycle dom_on_poweroff(const struct domain *d);
enum dom_lifecycle dom_on_reboot(const struct domain *d);
enum dom_lifecycle dom_on_crash(const struct domain *d);
/* Online vCPUs at start. */
unsigned dom_vcpus_online(const struct domain *d);
