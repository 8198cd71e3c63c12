/* Who QEMU runs as, and how it gets at the files it opens (libvirt's DAC driver).
 *
 * A domain started by root runs QEMU as an unprivileged user: <seclabel model='dac'
 * type='static'><label>USER:GROUP</label>, else $QLAUNCH_QEMU_USER, else "qlaunch-qemu"
 * (QLAUNCH_QEMU_USER=root keeps QEMU as root). The user's supplementary groups come with it
 * (kvm for /dev/kvm). A domain started by another user runs QEMU as that user.
 *
 * Files: everything the domain names that QEMU opens (disks, kernel, initrd, dtb, loader,
 * NVRAM, chardev files, pipes, devices and sockets) is checked with QEMU's credentials. A
 * file QEMU cannot open is given to it (chown USER:GROUP, as libvirt's dynamic_ownership)
 * unless relabel is off, and its owner is restored when the domain ends; a file QEMU can
 * already open is left alone (libvirt would chown it anyway). A directory QEMU cannot
 * search is never changed: the start is refused with the directory named. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "domain/domain.h"
#include "util/error.h"

struct host_dac {
    bool drop;          /* QEMU runs as uid:gid below; false: as the caller (no change) */
    bool relabel;       /* files QEMU cannot open may be chowned to it */
    uid_t uid;
    gid_t gid;
    gid_t *groups;      /* supplementary groups of the user, gid first */
    size_t n_groups;
    char *user;         /* for messages: "qlaunch-qemu" or "+64055" */
    bool named;         /* user is a name (its groups can be looked up) */
};

/* A file given to QEMU: its owner before, restored by host_dac_restore. */
struct host_dac_grant {
    char *path;         /* resolved, without symlinks */
    uid_t uid;
    gid_t gid;
};

#define HOST_DAC_DEFAULT_USER "qlaunch-qemu"

int host_dac_resolve(const struct domain *d, struct host_dac *dac, struct ql_error *err);
/* The user's supplementary groups (a name service lookup: only a start needs them, not
 * `qlaunch argv`); host_dac_check_file and host_dac_drop need them loaded. */
void host_dac_load_groups(struct host_dac *dac);
void host_dac_free(struct host_dac *dac);

/* The files of d that QEMU opens, with what it needs (write) and whether qlaunch creates
 * them when missing (chardev output files). */
struct host_dac_file {
    const char *path;
    bool write;
    bool create;
    bool dir;           /* QEMU creates a socket here: it needs write on this directory */
    const char *where;  /* the element, for messages ("os/kernel", "devices/disk[1]") */
    int line;           /* its line, 0: not known */
    /* A <filesystem> directory QEMU (9p) or virtiofsd (as QEMU's user, without its
     * supplementary groups) serves: it must read and search it; never given to it,
     * refused instead. */
    enum host_dac_share { HOST_DAC_NO_SHARE, HOST_DAC_SHARE_9P, HOST_DAC_SHARE_VIRTIOFS } share;
};
size_t host_dac_files(const struct domain *d, const char *nvram_path,
                      struct host_dac_file **ret);

/* Checks one file with QEMU's credentials. Returns 0 with need->path NULL when QEMU can
 * open it (or it does not exist and qlaunch does not create it: QEMU reports that), or with
 * need filled (resolved path, current owner) when it must be given to QEMU's user: the
 * caller records need, then calls host_dac_grant_apply. Fails (naming the file's element
 * and line) when a directory on the way cannot be searched by QEMU, or relabel is off. */
int host_dac_check_file(const struct host_dac *dac, const struct host_dac_file *f,
                        struct host_dac_grant *need, struct ql_error *err);
/* chown to QEMU's user:group (creating the file first for f->create). */
int host_dac_grant_apply(const struct host_dac *dac, const struct host_dac_file *f,
                         const struct host_dac_grant *g, struct ql_error *err);

/* Gives a file back to its owner before the start, if it still belongs to QEMU's user. */
void host_dac_restore(const struct host_dac_grant *g, uid_t qemu_uid);
void host_dac_grant_clear(struct host_dac_grant *g);

/* In the child, right before exec: drops to dac (groups, gid, uid; no capabilities are
 * left, no new privileges). Async-signal-safe. Returns 0 or -errno. */
int host_dac_drop(const struct host_dac *dac);
