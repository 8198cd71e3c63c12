/* Internals shared by the build-*.c files: the build context, the JSON property writer,
 * and the PCI/USB address allocators. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "qemu/build.h"
#include "util/strbuf.h"

#define QB_MAX_PCI_BUS 32

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
 * SCSI, SATA). Implicit ones point into static storage. */
struct qb_ctrl {
    struct dom_controller c;    /* shallow copy: strings belong to the domain */
    bool implicit;
    struct qb_pci pci;
    char id[32];                /* QEMU id: "usb", "usb1", "scsi0", "virtio-serial0", "pci.1" */
    unsigned usb_ports;         /* USB root ports this controller provides */
};

struct qb_ctx {
    const struct domain *d;
    const struct qb_options *o;
    struct qb_result *r;
    struct ql_error *err;
    char *run_dir;
    char *gfx_socket[2];        /* generated VNC [0] / SPICE [1] socket paths */
    bool q35, kvm;
    const char *root_bus;       /* "pci.0" or "pcie.0" */
    int next_fd;

    /* libvirt's PCI address set (domain_addr.c): one entry per bus (controller index),
     * what it accepts, and the functions in use per slot. */
    struct qb_bus {
        const char *model;      /* "pci-root", "pcie-root", "pcie-root-port", ... */
        unsigned flags, min_slot, max_slot;
        uint8_t fn[32];
        uint32_t aggregate;     /* slots that pack several root ports (multifunction) */
    } buses[QB_MAX_PCI_BUS];
    unsigned nbuses;
    bool dry_run;               /* first pass: grow buses instead of failing */

    struct qb_ctrl *ctrls;
    size_t n_ctrls, ctrls_cap;

    struct qb_pci *disk_pci, *net_pci, *sound_pci, *video_pci, *input_pci, *chr_pci, *rng_pci,
        *wd_pci, *panic_pci, balloon_pci;
    struct qb_usb *disk_usb, *input_usb, *sound_usb, *chr_usb, *redir_usb;
    /* libvirt's USB address set (virDomainUSBAddressSet): per controller index a tree of
     * hubs, each with the ports in use and the hubs plugged into them. */
    struct qb_usb_hub *usb_root[16];
    struct qb_usb *hub_usb;     /* per hub (XML ones, then those added as libvirt does) */
    size_t n_hubs;              /* XML hubs + added ones */

    unsigned *disk_boot, *net_boot; /* bootindex from <os><boot dev>, 0 none */
    int primary_video;          /* index into videos, -1 none */
    bool implicit_cirrus;       /* graphics without <video>: cirrus as libvirt does */
    bool balloon;               /* a virtio balloon is emitted (explicit or libvirt default) */
    bool has_spice, has_vnc;
    bool need_audiodev;
    char audiodev_id[32];
    bool implicit_panic;
};

/* ---- helpers (build.c) ---- */
int qb_fail(struct qb_ctx *c, const struct dom_src *src, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qb_note(struct qb_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qb_opt(struct qb_ctx *c, const char *opt, char *value_taken);
int qb_add_fd(struct qb_ctx *c, enum qb_fd_kind kind, size_t dev_index, char *what_taken);
/* A socket the builder names in the run directory (RUN_DIR/file): file must be a single
 * path component (it may come from the XML: what names it in the error, e.g. "channel
 * target name") and the path must fit a unix socket address; hint says how the XML can
 * give a path instead. 0 and *ret_path (malloc'd), or -EINVAL through qb_fail. */
int qb_run_socket(struct qb_ctx *c, const struct dom_src *src, const char *what,
                  const char *file, const char *hint, char **ret_path);
const struct qb_ctrl *qb_ctrl_find(const struct qb_ctx *c, enum dom_ctrl_type t, unsigned index);
const char *qb_bus_name(const struct qb_ctx *c, unsigned bus, char *buf, size_t len);

/* JSON object writer: qj_begin, qj_* members, qj_end returns the malloc'd text. */
struct qj {
    struct strbuf sb;
};
void qj_begin(struct qj *j);
void qj_str(struct qj *j, const char *k, const char *v);
void qj_int(struct qj *j, const char *k, long long v);
void qj_uint(struct qj *j, const char *k, unsigned long long v);
void qj_bool(struct qj *j, const char *k, bool v);
void qj_raw(struct qj *j, const char *k, const char *json);
char *qj_end(struct qj *j);
/* "bus":"pci.0","addr":"0x2"[,"multifunction":true] */
void qj_pci(struct qb_ctx *c, struct qj *j, const struct qb_pci *p);
void qj_usb(struct qb_ctx *c, struct qj *j, const struct qb_usb *u);

/* ---- address allocation (build.c) ---- */
/* PCI connect flags, as libvirt's VIR_PCI_CONNECT_*: what a device plugs in as, and what a
 * bus accepts. */
enum {
    QB_PCI_DEV = 1u << 0, QB_PCIE_DEV = 1u << 1, QB_PCI_ROOT_PORT = 1u << 2,
    QB_PCI_UPSTREAM = 1u << 3, QB_PCI_DOWNSTREAM = 1u << 4, QB_PCI_DMI = 1u << 5,
    QB_PCI_BRIDGE = 1u << 6, QB_PCIE_TO_PCI = 1u << 7, QB_PCI_TYPES = 0xffu,
    QB_PCI_AUTO = 1u << 8, QB_PCI_AGGREGATE = 1u << 9, QB_PCI_INTEGRATED = 1u << 10,
};
int qb_pci_reserve(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                   unsigned flags, struct qb_pci *ret);
int qb_pci_auto(struct qb_ctx *c, const struct dom_src *src, unsigned flags, struct qb_pci *p);
unsigned qb_pci_ctrl_flags(const char *model);      /* build-disk.c */
void qb_ctrl_add_pci(struct qb_ctx *c, unsigned index, const char *model);
int qb_usb_reserve(struct qb_ctx *c, const struct dom_addr *a, const struct dom_src *src,
                   struct qb_usb *ret);
int qb_usb_auto(struct qb_ctx *c, const struct dom_src *src, struct qb_usb *u);
int qb_build_hubs(struct qb_ctx *c);
int qb_auto_usb_on(struct qb_ctx *c, unsigned bus, const struct dom_src *src, struct qb_usb *u);

/* ---- device families ---- */
int qb_prepare_controllers(struct qb_ctx *c);       /* build-disk.c: list incl. implicit */
int qb_disk_bus(const struct dom_disk *dk);
unsigned qb_disk_name_index(const char *dev);
void qb_disk_order(const struct dom_disk *disks, size_t n, size_t *order);         /* effective enum dom_disk_bus */
int qb_build_controllers(struct qb_ctx *c);
int qb_build_disks(struct qb_ctx *c);
int qb_build_nets(struct qb_ctx *c);                /* build-net.c */
int qb_check_nets(struct qb_ctx *c);
int qb_build_chrs(struct qb_ctx *c);                /* build-chr.c */
int qb_build_redirdevs(struct qb_ctx *c);
int qb_chr_backend(struct qb_ctx *c, const struct dom_chr_source *s, const char *id,
                   const char *spice_name, const struct dom_src *src, char **ret);
bool qb_chr_is_pci(const struct dom_chr *ch);
bool qb_chr_is_usb(const struct dom_chr *ch);
bool qb_chr_needs_virtio_serial(const struct dom_chr *ch);
int qb_build_inputs(struct qb_ctx *c);              /* build-gfx.c */
int qb_build_audio(struct qb_ctx *c);
int qb_build_graphics(struct qb_ctx *c);
int qb_build_videos(struct qb_ctx *c);
int qb_build_sounds(struct qb_ctx *c);
int qb_check_gfx(struct qb_ctx *c);
bool qb_video_is_pci(const struct dom_video *v);
bool qb_sound_is_pci(const struct dom_sound *s);
int qb_build_watchdogs(struct qb_ctx *c);           /* build-misc.c */
int qb_build_balloon(struct qb_ctx *c);
int qb_build_rngs(struct qb_ctx *c);
int qb_build_panics(struct qb_ctx *c);
int qb_check_misc(struct qb_ctx *c);
