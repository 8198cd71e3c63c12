/* Internals of the builder, shared by the build-*.c files. Each file is one concern, and
 * calls only files below it in this list (build.c calls them all, nothing calls it):
 *
 *   build.c          qb_build: checks, then the order of the whole command line
 *   build-machine.c  -name, firmware, -machine, -accel, -uuid, monitor, -rtc, lifecycle,
 *                    -boot and boot indexes, host bridge globals
 *   build-cpu.c      -cpu, memory backends, -m, -smp, IOThreads, NUMA
 *   build-disk.c, build-net.c, build-chr.c, build-gfx.c, build-misc.c
 *                    device families (misc: balloon, rng, watchdog, panic, usb-hub): each
 *                    adds its devices (and the controllers they need) to the device list,
 *                    checks what QEMU cannot do, emits its options; chardev backends
 *                    (build-chr.c) serve the other families too
 *   build-addr.c     the device list and the one address pass (PCI, then USB)
 *   build-usb.c      libvirt's USB address set: root hubs, hubs, ports
 *   build-ctrl.c     controllers: the XML's and the implicit ones, checks, ids, options
 *   build-pci.c      libvirt's PCI address set: buses, slots, connect flags
 *   build-util.c     helpers of the context: errors, notes, options, fds, JSON writer */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include "qemu/build.h"
#include "qemu/caps.h"
#include "util/strbuf.h"

#define QB_MAX_PCI_BUS 32
#define QB_MAX_USB_BUS 16

struct qb_ctx;

/* Where an option or property comes from, as the builder passes it (by value, pointing at
 * the domain's strings and static text; qb_opt copies it only when o->explain asks):
 *   QB_SRC(&dev->src)            the element (every parsed device has its dom_src)
 *   QB_ATTR(&dev->src, "bus")    one attribute of it ("target@bus": of a child)
 *   QB_AT("features/smm", line, NULL)   an element known by path and line only
 *   QB_WHY("libvirt default")    qlaunch adds it on its own, for this reason
 *   QB_FOR(&in->src, "implicit USB controller for <input bus='usb'>")
 *                                qlaunch adds it on its own because of that element
 * A new option passes one of these as the argument after c: qb_opt(c, QB_SRC(&x->src),
 * "-chardev", v), qb_device(c, QB_SRC(&x->src), &j). tests/unit/test-explain fails for an
 * option of any golden case without an origin. */
struct qb_from {
    const char *path;
    int line;
    const char *attr;
    const char *why;
};
#define QB_SRC(s) ((struct qb_from){(s)->path, (s)->line, NULL, NULL})
#define QB_ATTR(s, a) ((struct qb_from){(s)->path, (s)->line, (a), NULL})
#define QB_AT(p, l, a) ((struct qb_from){(p), (l), (a), NULL})
#define QB_WHY(w) ((struct qb_from){NULL, 0, NULL, (w)})
#define QB_FOR(s, w) ((struct qb_from){(s)->path, (s)->line, NULL, (w)})

/* A PCI address as it will be emitted. */
struct qb_pci {
    bool set;
    unsigned bus, slot, fn;
    enum dom_tristate mf;       /* emitted only when the XML gave it */
};

/* A USB address: controller index and port path ("1", "1.2"). */
struct qb_usb {
    bool set;
    unsigned bus;
    char port[32];
};

/* A USB hub in the address tree: the root hub of a controller or a usb-hub device. */
struct qb_usb_hub {
    unsigned nports;
    uint64_t used;              /* bit p-1: port p is taken */
    struct qb_usb_hub **child;  /* [nports]: the hub on port p+1, or NULL */
};

/* A controller: the XML's, or one qlaunch adds as libvirt would (USB, virtio-serial,
 * SCSI, SATA, PCI). The copy's strings belong to the domain. */
struct qb_ctrl {
    struct dom_controller c;
    bool implicit;
    struct qb_from from;        /* the XML's, or why qlaunch adds it (argv --explain) */
    struct qb_pci pci;          /* assigned by the address pass */
    char id[32];                /* QEMU id: "usb", "usb1", "scsi0", "virtio-serial0", "pci.1" */
    unsigned usb_ports;         /* USB root ports this controller provides */
};

/* ---- the device list (build-addr.c) ----
 * Every device that can carry an <address> is one entry: what it is (kind and index in the
 * domain's list of that kind), what the XML asks for and what the device can take, filled
 * in by its family; the addresses the pass assigns. Controllers are the buses themselves
 * and keep their address in struct qb_ctrl. */
enum qb_dev_kind {
    QB_DEV_DISK, QB_DEV_NET, QB_DEV_SOUND, QB_DEV_VIDEO, QB_DEV_INPUT, QB_DEV_CHR, QB_DEV_RNG,
    QB_DEV_WATCHDOG, QB_DEV_PANIC, QB_DEV_BALLOON, QB_DEV_REDIRDEV, QB_DEV_HUB, QB_DEV_HOSTDEV,
    QB_DEV_FS,
    QB_DEV_KIND_MAX
};

/* libvirt's order for devices without a PCI address (qemuDomainAssignDevicePCISlots):
 * PCI controllers by index, filesystems, NICs, sound, the other controllers, then the rest. */
enum qb_pci_rank {
    QB_RANK_PCI_CTRL, QB_RANK_FS, QB_RANK_NET, QB_RANK_SOUND, QB_RANK_CTRL, QB_RANK_DISK,
    QB_RANK_HOSTDEV, QB_RANK_BALLOON,
    QB_RANK_RNG, QB_RANK_WATCHDOG, QB_RANK_VIDEO, QB_RANK_INPUT, QB_RANK_SERIAL, QB_RANK_PANIC,
    QB_RANK_MAX
};

/* libvirt's order for USB ports (qemuDomainAssignUSBAddresses). LATE: a tablet without
 * bus, which qlaunch has always placed after the other USB devices. */
enum qb_usb_rank {
    QB_USB_NONE, QB_USB_HUB, QB_USB_INPUT, QB_USB_HOSTDEV, QB_USB_DISK, QB_USB_SERIAL, QB_USB_SOUND,
    QB_USB_REDIRDEV, QB_USB_LATE, QB_USB_RANK_MAX
};

/* The <address> type a device takes. OWN: its family checks the type when it emits the
 * device (disks, serial ports); the pass only honours PCI and USB addresses. */
#define QB_ADDR_OWN DOM_ADDR_MAX

struct qb_dev {
    enum qb_dev_kind kind;
    size_t index;
    const struct dom_addr *addr;    /* the XML's <address>, type NONE when absent */
    const struct dom_src *src;      /* for messages; may be NULL (added devices) */
    enum dom_addr_type takes;       /* the type it takes (NONE: no address), or QB_ADDR_OWN */
    unsigned pci_flags;             /* PCI connect flags (QB_PCI_*), 0: not a PCI device */
    enum qb_pci_rank pci_rank;
    unsigned chipset_slot;          /* 0, or the slot on bus 0 the chipset has it in */
    bool chipset_or_auto;           /* that slot is taken: assign one right away */
    enum qb_usb_rank usb_rank;      /* QB_USB_NONE: not a USB device */
    unsigned bootindex;             /* 0: none */
    bool hot;                       /* hot-plugged (qb_hotplug): addressed after the rest */
    struct qb_pci pci;              /* assigned */
    struct qb_usb usb;              /* assigned */
};

/* Adds a device of kind (its families add theirs in index order, one kind after the
 * other) and returns it zeroed but for kind, index, addr, src and takes. */
struct qb_dev *qb_dev_add(struct qb_ctx *c, enum qb_dev_kind kind, const struct dom_addr *addr,
                          const struct dom_src *src, enum dom_addr_type takes);
/* The entry of device index of kind. */
struct qb_dev *qb_dev(const struct qb_ctx *c, enum qb_dev_kind kind, size_t index);
/* Checks the <address> types, then assigns PCI and USB addresses: the XML's, the
 * chipset's, then libvirt's order. */
int qb_assign_addresses(struct qb_ctx *c);

struct qb_ctx {
    const struct domain *d;
    const struct qb_options *o;
    struct qb_result *r;
    struct ql_error *err;
    char *run_dir;
    const char *qemu_dir;   /* o->qemu_dir, else run_dir */
    char *gfx_socket[2];        /* generated VNC [0] / SPICE [1] socket paths */
    bool q35, kvm;
    const char *root_bus;       /* "pci.0" or "pcie.0" */
    int next_fd;

    /* libvirt's PCI address set (domain_addr.c): one entry per bus (controller index),
     * what it accepts, and the functions in use per slot. */
    struct qb_bus {
        enum dom_pci_model model;   /* DEFAULT: no such bus */
        unsigned flags, min_slot, max_slot;
        uint8_t fn[32];
        uint32_t aggregate;     /* slots that pack several root ports (multifunction) */
    } buses[QB_MAX_PCI_BUS];
    unsigned nbuses;
    bool dry_run;               /* first pass: grow buses instead of failing */

    struct qb_ctrl *ctrls;
    size_t n_ctrls, ctrls_cap;

    struct qb_dev *devs;
    size_t n_devs, devs_cap;
    size_t dev_first[QB_DEV_KIND_MAX], dev_count[QB_DEV_KIND_MAX];

    /* libvirt's USB address set (virDomainUSBAddressSet): per controller index a tree of
     * hubs, each with the ports in use and the hubs plugged into them. */
    struct qb_usb_hub *usb_root[QB_MAX_USB_BUS];

    int primary_video;          /* index into videos, -1 none */
    bool implicit_cirrus;       /* graphics without <video>: cirrus as libvirt does */
    bool balloon;               /* a virtio balloon is emitted (explicit or libvirt default) */
    bool has_spice, has_vnc;
    bool need_audiodev;
    char audiodev_id[32];
    bool implicit_panic;
    bool caps_failed;           /* qb_device refused a device (c->err says which) */
    const struct qb_hotplug *hot;   /* o->hotplug: one device of a running domain */
    size_t hot_index;           /* the new device's index among its kind */
    bool *override_used;        /* per <qemu:override> device: an id matched its alias */
    bool no_sandbox;            /* <qemu:del capability='seccomp-sandbox'/> */
    /* o->explain: properties recorded by qb_prop for the next option */
    struct qb_explain_prop *props;
    size_t n_props;
};

/* ---- helpers (build-util.c) ---- */
/* Sets c->err to "PATH: text (line N)" for src and returns -EINVAL. */
int qb_fail(struct qb_ctx *c, const struct dom_src *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qb_note(struct qb_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds opt (and value, when not NULL) to the argv; from: where it comes from. */
void qb_opt(struct qb_ctx *c, struct qb_from from, const char *opt, char *value_taken);
/* Adds the arguments of <qemu:commandline> and the like: one option of one argument. */
void qb_arg(struct qb_ctx *c, struct qb_from from, const char *arg);
/* Records that property (or suboption) name of the next option comes from from, when it
 * differs from the option's own origin (argv --explain); free otherwise. */
void qb_prop_record(struct qb_ctx *c, const char *name, struct qb_from from);
/* <features><f>, or why_absent when the XML has no such element (and why_absent is set). */
struct qb_from qb_feature(const struct qb_ctx *c, enum dom_feature f, const char *why_absent);
void qb_origin_free(struct qb_origin *o);
void qb_explain_props_free(struct qb_explain_prop *p, size_t n);
static inline void qb_prop(struct qb_ctx *c, const char *name, struct qb_from from)
{
    if (c->o->explain)
        qb_prop_record(c, name, from);
}
/* -device JSON: with capabilities (o->caps), a driver or property the emulator lacks is an
 * error about from's element (c->caps_failed makes qb_build fail even when the caller goes
 * on). */
struct qj;
/* Adds -device from j (begun, filled; qb_device ends it), after checking its driver and
 * properties against the emulator's capabilities. */
int qb_device(struct qb_ctx *c, struct qb_from from, struct qj *j);
int qb_add_fd(struct qb_ctx *c, enum qb_fd_kind kind, size_t dev_index, char *what_taken);
/* The QEMU id of IOThread id ("iothread2", libvirt's naming). */
const char *qb_iothread_id(char *buf, size_t len, unsigned id);
/* QEMU's device name for a virtio model: base, base-transitional, base-non-transitional. */
const char *qb_virtio_driver(char *buf, size_t len, const char *base, enum dom_virtio_model m);
/* A socket the builder names in the run directory (RUN_DIR/file): file must be a single
 * path component (it may come from the XML: what names it in the error, e.g. "channel
 * target name") and the path must fit a unix socket address; hint says how the XML can
 * give a path instead. 0 and *ret_path (malloc'd), or -EINVAL through qb_fail. */
int qb_run_socket(struct qb_ctx *c, const struct dom_src *src, const char *what,
                  const char *file, const char *hint, char **ret_path);

/* JSON object writer: qj_begin, qj_* members, qj_end returns the malloc'd text (and must
 * be called, also to discard one). */
struct qj {
    json_object *o;
};
void qj_begin(struct qj *j);
void qj_str(struct qj *j, const char *k, const char *v);
void qj_int(struct qj *j, const char *k, long long v);
void qj_uint(struct qj *j, const char *k, unsigned long long v);
void qj_bool(struct qj *j, const char *k, bool v);
/* A nested object: member (begun, filled) becomes the value of k and is consumed. */
void qj_obj(struct qj *j, const char *k, struct qj *member);
char *qj_end(struct qj *j);
/* A PCI device's <rom bar file enabled>: rombar, romfile ("" when enabled='no'). */
void qj_rom(struct qj *j, const char *file, enum dom_tristate bar, enum dom_tristate enabled);

/* ---- PCI address set (build-pci.c) ---- */
/* PCI connect flags, as libvirt's VIR_PCI_CONNECT_*: what a device plugs in as, and what a
 * bus accepts. */
enum {
    QB_PCI_DEV = 1u << 0, QB_PCIE_DEV = 1u << 1, QB_PCI_ROOT_PORT = 1u << 2,
    QB_PCI_UPSTREAM = 1u << 3, QB_PCI_DOWNSTREAM = 1u << 4, QB_PCI_DMI = 1u << 5,
    QB_PCI_BRIDGE = 1u << 6, QB_PCIE_TO_PCI = 1u << 7, QB_PCI_TYPES = 0xffu,
    QB_PCI_AUTO = 1u << 8, QB_PCI_AGGREGATE = 1u << 9, QB_PCI_INTEGRATED = 1u << 10,
    /* a bus: takes hot-plugged devices; a device: is hot-plugged (libvirt's
     * VIR_PCI_CONNECT_HOTPLUGGABLE) */
    QB_PCI_HOTPLUG = 1u << 11,
};
/* qemuDomainDeviceCalculatePCIConnectFlags: a conventional PCI device; one that wants a
 * PCIe slot on q35 (virtio, xhci, e1000e, bochs); a virtio device of model m (transitional
 * ones only work in conventional slots). */
#define QB_FL_PCI (QB_PCI_DEV | QB_PCI_AUTO)
unsigned qb_fl_pcie(const struct qb_ctx *c);
unsigned qb_fl_virtio(const struct qb_ctx *c, enum dom_virtio_model m);
/* virDomainPCIControllerModelToConnectType: how a PCI controller plugs in upstream. */
unsigned qb_pci_ctrl_flags(enum dom_pci_model model);

/* The bus list: nbuses buses, bus i of model[i] (bus 0: the root). */
void qb_pci_set_buses(struct qb_ctx *c, unsigned nbuses, const enum dom_pci_model *models);
int qb_pci_reserve(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                   unsigned flags, struct qb_pci *ret);
/* The next free slot for a device with flags (function fn, or any when fn < 0); in a dry
 * run the bus list grows as libvirt's would. */
int qb_pci_next(struct qb_ctx *c, const struct dom_src *src, unsigned flags, int fn,
                struct qb_pci *p);
/* qb_pci_next unless p is set already. */
int qb_pci_auto(struct qb_ctx *c, const struct dom_src *src, unsigned flags, struct qb_pci *p);
/* A place on bus 0 the chipset decides. */
bool qb_pci_slot_free(const struct qb_ctx *c, unsigned slot);
void qb_pci_fixed(struct qb_ctx *c, unsigned slot, unsigned fn, enum dom_tristate mf,
                  struct qb_pci *p);
/* "bus":"pci.0","addr":"0x2"[,"multifunction":true] */
void qj_pci(struct qb_ctx *c, struct qj *j, const struct qb_pci *p);

/* ---- controllers (build-ctrl.c) ---- */
/* The XML's controllers and the USB controller libvirt always adds. */
void qb_ctrls_from_xml(struct qb_ctx *c);
/* A controller a device needs: added (implicit) when the XML has none of type and index;
 * why: the reason, and the element that needs it (argv --explain). */
void qb_ctrl_need(struct qb_ctx *c, enum dom_ctrl_type t, unsigned index, struct qb_from why);
bool qb_ctrl_exists(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index);
/* Checks every controller and names it; fills in libvirt's default models. */
int qb_ctrls_check(struct qb_ctx *c);
/* A PCI controller libvirt would add (address assignment's first pass). */
void qb_ctrl_add_pci(struct qb_ctx *c, unsigned index, enum dom_pci_model model);
/* The controller of type t and index (for USB: the master, not a companion), or NULL. */
const struct qb_ctrl *qb_ctrl_find(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index);
/* PCI connect flags of a controller; 0: not on PCI. */
unsigned qb_ctrl_pci_flags(const struct qb_ctx *c, const struct qb_ctrl *ct);
/* The order libvirt keeps controllers in: indices into c->ctrls (malloc'd). */
size_t *qb_ctrl_order(const struct qb_ctx *c);
int qb_build_controllers(struct qb_ctx *c);

/* ---- USB address set (build-usb.c) ---- */
#define QB_USB_HUB_PORTS 8      /* QEMU's usb-hub, libvirt's VIR_DOMAIN_USB_HUB_PORTS */
int qb_usb_reserve(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                   struct qb_usb *ret);
/* The first free port on any controller (by index) / on controller bus. */
int qb_usb_auto(struct qb_ctx *c, const struct dom_src *src, struct qb_usb *u);
int qb_usb_auto_on(struct qb_ctx *c, unsigned bus, const struct dom_src *src, struct qb_usb *u);
/* A usb-hub at u: its ports become addressable. */
int qb_usb_add_hub(struct qb_ctx *c, const struct qb_usb *u, const struct dom_src *src);
void qb_usb_free(struct qb_ctx *c);
void qj_usb(struct qb_ctx *c, struct qj *j, const struct qb_usb *u);

/* ---- device families ----
 * qb_*_devices: add the family's devices to the device list (and the controllers they
 * need); qb_check_*: what QEMU cannot do, before anything is emitted; qb_build_*: the
 * options. */
void qb_disk_order(const struct dom_disk *disks, size_t n, size_t *order);
int qb_disk_controllers(struct qb_ctx *c);
int qb_disk_devices(struct qb_ctx *c);
int qb_build_disks(struct qb_ctx *c);
/* Hot-plug: whether device index of a kind was hot-plugged (o->hotplug), and the one
 * device's options (disk, interface, input: the families' emitters for index). */
bool qb_is_hot(const struct qb_ctx *c, enum qb_hot_kind kind, size_t index);
int qb_build_disk(struct qb_ctx *c, size_t i);
int qb_build_net(struct qb_ctx *c, size_t i);
int qb_build_input(struct qb_ctx *c, size_t i);
void qb_net_devices(struct qb_ctx *c);              /* build-net.c */
int qb_check_nets(struct qb_ctx *c);
int qb_build_nets(struct qb_ctx *c);
int qb_chr_controllers(struct qb_ctx *c);           /* build-chr.c */
void qb_chr_devices(struct qb_ctx *c);
int qb_build_chrs(struct qb_ctx *c);
int qb_build_redirdevs(struct qb_ctx *c);
int qb_chr_backend(struct qb_ctx *c, const struct dom_chr_source *s, const char *id,
                   const char *spice_name, const struct dom_src *src, char **ret);
int qb_check_gfx(struct qb_ctx *c);                 /* build-gfx.c */
void qb_gfx_devices(struct qb_ctx *c);
int qb_build_inputs(struct qb_ctx *c);
int qb_build_audio(struct qb_ctx *c);
int qb_build_graphics(struct qb_ctx *c);
int qb_build_videos(struct qb_ctx *c);
int qb_build_sounds(struct qb_ctx *c);
int qb_check_misc(struct qb_ctx *c);                /* build-misc.c */
void qb_misc_devices(struct qb_ctx *c);
int qb_build_watchdogs(struct qb_ctx *c);
int qb_build_balloon(struct qb_ctx *c);
int qb_build_rngs(struct qb_ctx *c);
int qb_build_panics(struct qb_ctx *c);
int qb_build_tpms(struct qb_ctx *c);
void qb_hub_devices(struct qb_ctx *c);
int qb_build_hubs(struct qb_ctx *c);
void qb_hostdev_devices(struct qb_ctx *c);          /* build-hostdev.c */
int qb_check_hostdevs(struct qb_ctx *c);
int qb_build_hostdevs(struct qb_ctx *c);
int qb_check_fs(struct qb_ctx *c);                  /* build-fs.c */
void qb_fs_devices(struct qb_ctx *c);
int qb_build_fs(struct qb_ctx *c);
/* build-passthrough.c: <qemu:capabilities> checks; <qemu:override> applied to one -device
 * object (its "id" is the alias); <qemu:commandline> arguments and environment. */
int qb_check_passthrough(struct qb_ctx *c);
int qb_override_device(struct qb_ctx *c, json_object *dev);
int qb_add_passthrough(struct qb_ctx *c);

/* ---- the machine (build-machine.c), the CPU and memory (build-cpu.c) ----
 * Each adds its options; build.c calls them in the order of the command line. */
void qb_add_name(struct qb_ctx *c);
int qb_add_firmware(struct qb_ctx *c);
int qb_add_machine(struct qb_ctx *c);
int qb_add_accel(struct qb_ctx *c);
void qb_add_uuid(struct qb_ctx *c);
void qb_add_monitor(struct qb_ctx *c);
int qb_add_clock(struct qb_ctx *c);
void qb_add_lifecycle(struct qb_ctx *c);
int qb_add_boot(struct qb_ctx *c);
/* -smbios (<os><smbios mode>) and -fw_cfg (<sysinfo type='fwcfg'>). */
int qb_add_sysinfo(struct qb_ctx *c);
int qb_add_pcihole64(struct qb_ctx *c);
/* <os><boot dev> and per-device <boot order> as bootindex on the disks and NICs. */
int qb_assign_boot_order(struct qb_ctx *c);
/* Where a device's boot index comes from: its <boot order> (boot_order), else <os><boot>. */
struct qb_from qb_boot_from(const struct qb_ctx *c, const struct dom_src *src,
                            unsigned boot_order);
int qb_add_cpu(struct qb_ctx *c);
int qb_add_memory_smp(struct qb_ctx *c);
/* The guest RAM needs a memory backend of its own (-machine memory-backend=pc.ram). */
bool qb_main_ram_backend(const struct qb_ctx *c);
