/* The QEMU command-line builder: struct domain + options -> argv and the fds/files the
 * launcher must provide. Pure: no I/O, no environment, no clock; the same input gives the
 * same argv byte for byte. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "domain/domain.h"
#include "qemu/caps.h"
#include "util/argv.h"
#include "util/error.h"

/* Firmware facts only the host knows (host_firmware_resolve), for the pure builder. */
struct qb_firmware {
    const char *loader;         /* <os firmware='efi'>: the executable chosen; NULL: none */
    const char *nvram_template; /* VARS template of the loader; NULL: none known */
    bool requires_smm;          /* the descriptor says requires-smm: SMM and secure pflash */
    const char *descriptor;     /* the descriptor file, for a note; may be NULL */
};

/* Hot-plug (attach-device): the kinds of device qlaunch can add to a running domain. */
enum qb_hot_kind { QB_HOT_DISK, QB_HOT_NET, QB_HOT_INPUT, QB_HOT_KIND_MAX };
QL_ENUM_DECL(qb_hot_kind);     /* "disk", "interface", "input": their elements */

/* With qb_options.hotplug, qb_build builds one device of a running domain instead of a
 * command line. The domain holds, per kind, the devices QEMU was started with (its first
 * n_start[kind]), then the ones hot-plugged since (each with the <address> it got), and
 * last the new one. Everything QEMU was started with gets the addresses the start gave it
 * (hot-plugged devices never take part in the start's passes, nor add controllers); the
 * new device goes where its XML says or into the first free hot-pluggable slot (i440fx:
 * pci.0 and bridges; q35: free pcie-root-ports, switch ports, pcie-to-pci bridges) or USB
 * port. */
struct qb_hotplug {
    size_t n_start[QB_HOT_KIND_MAX];
    enum qb_hot_kind kind;      /* the new device: the last of this kind */
    /* Its number, chosen by the caller to be unique in the running QEMU: disk: its block
     * nodes libvirt-NUM-storage/-format; interface: hostnetNUM/netNUM; input: inputNUM. */
    unsigned num;
};

struct qb_options {
    const char *accel;      /* NULL: from <domain type>; "tcg" | "kvm" */
    const char *emulator;   /* NULL: <emulator>, else QEMU_DEFAULT_EMULATOR */
    const char *run_dir;    /* per-VM runtime dir; NULL: /run/qlaunch/NAME */
    /* Where QEMU creates its own files (automatic sockets, memory files): a directory of
     * QEMU's user when it does not run as the launcher's (host/dac.h). NULL: run_dir. */
    const char *qemu_dir;
    int qmp_fd;             /* fd number of the pre-bound QMP listening socket */
    int first_fd;           /* first fd number for taps and the like */
    /* SPICE autoport: the port the launcher chose (a free TCP port on the listen address,
     * picked right before the build). 0 (or less): not chosen, as for `qlaunch argv` without
     * a running domain; the argv then shows 5900 with a note. Ignored without autoport. */
    int spice_port;
    /* <listen type='network'>: per graphics index (d->dev.n_graphics entries), the address
     * the launcher resolved on the host (host_gfx_listen_resolve: the network's <ip> or
     * its bridge's IPv4 address). NULL: not resolved, as for `qlaunch validate`; the argv
     * then shows 127.0.0.1 with a note. */
    const char *const *gfx_listen_addr;
    /* Where NVRAM files go when <nvram> has no path: NVRAM_DIR/NAME_VARS.fd, as libvirt's
     * nvram_dir. NULL: /var/lib/qlaunch/nvram (root's default). */
    const char *nvram_dir;
    /* The firmware the launcher resolved on the host. NULL: not resolved, as for `qlaunch
     * validate`: firmware='efi' then adds no firmware options, with a note. */
    const struct qb_firmware *firmware;
    /* What the emulator offers (src/qemu/caps.h; host: qemu_caps_get). NULL: not known, as
     * for `qlaunch validate --no-emulator`: QEMU 7.2 is assumed and nothing is checked.
     * Given: the machine type, device models and their properties are checked (an error
     * naming the element), and what differs between QEMU versions follows its version. */
    const struct qemu_caps *caps;
    /* <smbios mode='host'>: the host's SMBIOS tables as the launcher read them
     * (sup_build_prepare). NULL: not read, as for `qlaunch validate`: no -smbios, a note. */
    const struct dom_smbios *host_smbios;
    /* Per disk in the XML's order (d->dev.n_disks entries): the source of a disk with
     * startupPolicy='optional' does not exist (sup_build_prepare). A cdrom or floppy then
     * starts empty, another disk is left out, each with a note, as libvirt. NULL: not
     * checked (every source is used). */
    const bool *disk_absent;
    /* Whether the host's /dev/vhost-net can be opened (host_vhost_net_usable). UNKNOWN, as
     * for `qlaunch validate`: only <driver name='vhost'> gets vhost-net. */
    enum qb_vhost { QB_VHOST_UNKNOWN, QB_VHOST_ABSENT, QB_VHOST_USABLE } vhost_net;
    /* Not NULL: build one hot-plugged device (struct qb_hotplug); disk_absent is ignored. */
    const struct qb_hotplug *hotplug;
    /* Record where every option comes from (qb_result.explain), for `argv --explain` and
     * `validate --explain`. Off, the build records nothing and costs nothing more. */
    bool explain;
};

/* Where an option (or one property of it) comes from: an element of the XML (its path as
 * in error messages, its line, and the attribute or "child@attribute" when one attribute
 * gave it), or a reason qlaunch adds it on its own (why; path then names the element that
 * made it necessary, when one did). Owned copies: the result outlives nothing. */
struct qb_origin {
    char *path;                 /* "devices/disk[1]"; NULL: no element */
    int line;                   /* 0: unknown */
    char *attr;                 /* "bus", "target@bus"; NULL: the element as a whole */
    char *why;                  /* NULL: the XML asks for it */
};

/* One option of the argv and where it came from. */
struct qb_explain {
    size_t arg;                 /* its index in argv */
    size_t n_args;              /* 1: a flag (-S) or a <qemu:arg>; 2: option and value */
    struct qb_origin from;
    /* properties (-device members, -machine/-cpu suboptions) with their own origin */
    struct qb_explain_prop {
        char *name;
        struct qb_origin from;
    } *props;
    size_t n_props;
};

enum qb_fd_kind {
    QB_FD_QMP,              /* listening unix socket for the QMP monitor */
    QB_FD_TAP,              /* tap (bridge, network, ethernet) for interfaces[dev_index] */
    QB_FD_MACVTAP,          /* macvtap (type='direct') for interfaces[dev_index] */
    QB_FD_VHOST,            /* /dev/vhost-net for interfaces[dev_index] */
    QB_FILE_NVRAM,          /* fd -1: NVRAM file to create from the template before start */
    QB_FD_KIND_MAX
};
QL_ENUM_DECL(qb_fd_kind);

struct qb_fd {
    int fd;                 /* -1 for files */
    enum qb_fd_kind kind;
    size_t dev_index;
    char *what;             /* human description */
};

/* Where a SPICE or VNC server listens, as the argv says: for the launcher (SPICE autoport
 * needs a free port on that address) and for dominfo/domdisplay. */
struct qb_display {
    enum dom_gfx_type type;
    size_t dev_index;       /* index into dom->dev.graphics */
    char *host;             /* TCP listen address, NULL for a socket or no listener */
    int port;               /* TCP port; 0: chosen at start (autoport) or none */
    bool autoport;          /* SPICE: the launcher picks the port; VNC: QEMU does (to=99) */
    char *socket;           /* unix socket path, or NULL */
};

/* A NIC as QEMU knows it, for QMP commands about it. */
struct qb_nic {
    char *netdev_id;        /* -netdev id ("hostnet0"): the host side */
    char *device_id;        /* -device id ("net0"): the guest NIC; set_link names it */
    bool link_down;         /* <link state='down'>: set down with set_link before 'cont' */
};

struct qb_result {
    struct argv argv;       /* argv[0] is the emulator path */
    struct qb_fd *fds;
    size_t n_fds;
    char **notes;
    size_t n_notes;
    struct qb_display *displays;
    size_t n_displays;
    /* A pflash loader's NVRAM file, which the launcher creates from nvram_template (NULL:
     * none known) before starting QEMU when it does not exist; NULL without pflash. */
    char *nvram_path;
    char *nvram_template;
    /* <tpm><backend type='emulator'>: the socket QEMU connects to, on which the launcher
     * starts swtpm before QEMU (NULL: none). Passthrough: the host's TPM device. */
    char *tpm_socket;
    char *tpm_device;
    /* <filesystem><driver type='virtiofs'> with a <source dir>: per share, the socket QEMU
     * connects to, on which the launcher starts virtiofsd (fs_index: the filesystem's
     * index in the XML) before QEMU. */
    struct qb_virtiofs {
        size_t fs_index;
        char *socket;
    } *virtiofs;
    size_t n_virtiofs;
    /* <qemu:env>: "NAME=value" for QEMU's environment, in the XML's order. */
    char **env;
    size_t n_env;
    /* The domain uses <qemu:commandline>/<qemu:override>: a warning the launcher logs
     * (also among the notes); NULL: it does not. */
    char *passthrough;

    /* The names the builder gave, so that nothing outside src/qemu derives QEMU ids by
     * convention. */
    struct qb_nic *nics;    /* one per <interface>, in the XML's order */
    size_t n_nics;
    /* The balloon's QOM path (qom-set guest-stats-polling-interval; the balloon command
     * finds the only balloon itself); NULL: the domain has none (model='none'). */
    char *balloon_path;
    /* The chardev of the console on a pty, what `qlaunch console` attaches to (query-chardev
     * gives its pty): the first serial port on a pty ("charserial0", also the serial port
     * libvirt makes of a lone serial <console>), else the first virtio <console> on a pty
     * ("charconsole0"); NULL: no serial port or console has a pty. */
    char *console_chardev;
    /* Per <cputune><iothreadpin>, in their order: the id of the IOThread object it pins
     * ("iothread2"), as query-iothreads reports it. */
    char **iothreadpin_ids;
    size_t n_iothreadpin_ids;
    /* Per <disk>, in the XML's order: the -device id of its drive ("ide0-0-1",
     * "virtio-disk0"), as query-block's "qdev" names it (alone or in a QOM path); the
     * supervisor maps targets to QEMU's devices with it (domblklist, change-media). */
    char **disk_ids;
    size_t n_disk_ids;
    /* Per <disk>, as disk_ids: the number N of its block nodes libvirt-N-storage and
     * libvirt-N-format (0: not built). */
    unsigned *disk_nodes;
    /* Per <input>, in the XML's order: the -device id ("input0"); NULL for one that is no
     * -device (PS/2, part of the machine; evdev, an -object). */
    char **input_ids;
    size_t n_input_ids;
    /* The guest agent's channel (<channel type='unix'> with <target type='virtio'
     * name='org.qemu.guest_agent.0'/>, QEMU listening): its -chardev id and the socket the
     * supervisor connects to. NULL: no such channel, or one QEMU does not listen on. */
    char *agent_chardev;
    char *agent_socket;
    /* Hot-plug (o->hotplug): the argv holds only the new device's options (-blockdev,
     * -netdev, -device, without argv[0]); its -device id, and the address it got (PCI or
     * USB, else type NONE), which the caller keeps for the builds after it. */
    char *hot_id;
    struct dom_addr hot_addr;
    /* With o->explain: one entry per option, in argv order (argv[0] included). */
    struct qb_explain *explain;
    size_t n_explain;
};

/* Whether a start must hold the graphics-port lock (a SPICE or VNC display with autoport
 * on a TCP listener), and the listen address and graphics index of the first such SPICE
 * display, whose port the launcher picks and passes as spice_port (host NULL: none).
 * Same rules as qb_build, so a start builds once. */
bool qb_graphics_autoport(const struct domain *d, const struct qb_options *o,
                          const char **ret_spice_host, size_t *ret_spice_index);

/* Returns 0 and fills *ret, or -errno with err naming the device ("devices/disk[2]: ...
 * (line 41)"); *ret is left empty on failure. */
int qb_build(const struct domain *d, const struct qb_options *o, struct qb_result *ret,
             struct ql_error *err);
void qb_result_free(struct qb_result *r);
/* The bus a disk is on: its target@bus, else what its target name implies (dom_disk_bus). */
int qb_disk_bus(const struct dom_disk *dk);

struct strbuf;
/* The result as `qlaunch argv` prints it: the command line with one option a line
 * (shell-quoted), then "# fd N (kind): what", "# file (kind): what" and "# note: text"
 * lines. */
void qb_result_render(struct strbuf *sb, const struct qb_result *r);
/* The result of a build with o->explain as `qlaunch argv --explain` prints it: each option
 * (shell-quoted), then an indented "<- PATH (line N)" or "<- qlaunch: WHY", then its
 * properties that have an origin of their own. */
void qb_explain_render(struct strbuf *sb, const struct qb_result *r);
/* The same as data: [{option, value, from:{path,line,attribute}|null, reason, properties}] */
struct json_object;
struct json_object *qb_explain_json(const struct qb_result *r);
/* The JSON of one origin: {path,line,attribute} or null (reason is the caller's). */
struct json_object *qb_origin_json(const struct qb_origin *o);
