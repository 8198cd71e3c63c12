/* Snapshot metadata and save files: the two files the snapshot and save/restore verbs keep
 * outside the run directory, with one parser and one formatter each (fuzzed:
 * tests/fuzz/fuzz-snapshot.c).
 *
 * Snapshot metadata: SNAPSHOT_DIR/DOMAIN/SNAP.json (0600; the directories 0700), one JSON
 * object per internal snapshot, where SNAPSHOT_DIR is QLAUNCH_SNAPSHOT_DIR or
 * /var/lib/qlaunch/snapshot (per user: $XDG_STATE_HOME/qlaunch/snapshot), beside the NVRAM
 * and TPM state directories. The snapshot itself lives in the domain's qcow2 disks (QEMU's
 * snapshot-save); the file records what qlaunch needs to list, revert and delete it.
 *
 * Save file: "QLAUNCH-SAVE-V1\n", the header's length as 8 hex digits and "\n", the header
 * (a JSON object with the domain XML), zeros up to the next multiple of 4096 bytes, then
 * QEMU's migration stream to the end of the file. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

#define SNAP_NAME_MAX 64
#define SNAP_DESC_MAX 4096
#define SNAP_MAX_DISKS 64
#define SNAP_META_MAX_BYTES (64 * 1024)
#define SNAP_MAX_PER_DOMAIN 256

struct snap_meta {
    char *name;
    char *domain;
    char *description;          /* NULL: none */
    char *parent;               /* the current snapshot when this one was made; NULL: none */
    int64_t creation_time;      /* unix seconds */
    bool running;               /* the guest ran (else it was paused or shut off) */
    bool shutoff;               /* made of a shut-off domain: disks only, no VM state */
    bool current;
    char *vmstate;              /* the disk target holding the VM state; NULL: shutoff */
    char **disks;               /* the targets of the disks in the snapshot */
    size_t n_disks;
    char *qemu_version;         /* NULL: unknown */
};

void snap_meta_clear(struct snap_meta *m);
/* NULL when name can be a snapshot's name (a file name too); else why not (malloc'd). */
char *snap_name_error(const char *name);
/* The metadata as the file's text (malloc'd, newline-terminated). */
char *snap_meta_format(const struct snap_meta *m);
/* Parses a metadata file's text (NUL-terminated; path names it in messages). Strict: every
 * member checked for type and limits; unknown members are refused. */
int snap_meta_parse(const char *text, const char *path, struct snap_meta *ret,
                    struct ql_error *err);

/* The snapshot directory (QLAUNCH_SNAPSHOT_DIR or the default) and a domain's part of it. */
const char *snap_base_dir(void);
char *snap_domain_dir(const char *domain);
/* Reads SNAP.json of domain; -ENOENT with "domain 'D' has no snapshot 'S'" when missing. */
int snap_meta_read(const char *domain, const char *name, struct snap_meta *ret,
                   struct ql_error *err);
/* Writes it (creating the directories, private): 0 or -errno. */
int snap_meta_write(const struct snap_meta *m, struct ql_error *err);
int snap_meta_remove(const char *domain, const char *name, struct ql_error *err);
/* Every snapshot of domain, oldest first (then by name); none: 0 with *ret_n 0. Files that
 * do not parse are an error naming them. */
int snap_meta_list(const char *domain, struct snap_meta **ret, size_t *ret_n,
                   struct ql_error *err);
void snap_meta_list_free(struct snap_meta *v, size_t n);
/* "running", "paused" or "shutoff", as virsh names a snapshot's state. */
const char *snap_meta_state(const struct snap_meta *m);
/* Marks name current (change false: the current one stays). After a delete (deleted not
 * NULL), name is the deleted snapshot's parent: its children move up to it, as in libvirt.
 * Every file is tried; err has the last failure. */
int snap_meta_set_current(const char *domain, bool change, const char *name,
                          const char *deleted, struct ql_error *err);

struct domain;
/* The disks a new snapshot of d holds (targets into m->disks, the first one m->vmstate), as
 * libvirt chooses them: source[i] is disk i's image now (NULL: empty); nvram the domain's
 * raw NVRAM file (NULL: none), which refuses internal snapshots. */
int snap_select_disks(const struct domain *d, const char *const *source, const char *nvram,
                      struct snap_meta *m, struct ql_error *err);

/* ---- save files ---- */

#define SAVE_MAGIC "QLAUNCH-SAVE-V1\n"
#define SAVE_PREAMBLE 25                    /* the magic, 8 hex digits, "\n" */
#define SAVE_HEADER_MAX (5u * 1024 * 1024)  /* the domain XML's limit and some */
#define SAVE_ALIGN 4096

struct save_header {
    char *name;
    char *uuid;
    char *xml;                  /* the domain XML the state belongs to */
    bool running;               /* resume after restore (else stay paused) */
    int64_t saved_at;
    char *qemu_version;         /* NULL: unknown */
    uint64_t data_offset;       /* where the migration stream begins */
};

void save_header_clear(struct save_header *h);
/* The bytes up to the migration stream (padding included: data_offset of them). */
char *save_header_format(const struct save_header *h, size_t *ret_len);
/* Parses the first len bytes of a save file, at least the preamble and the header (more
 * may follow). -EAGAIN with *ret_need set when the preamble says more bytes are needed. */
int save_header_parse(const char *data, size_t len, struct save_header *ret, size_t *ret_need,
                      struct ql_error *err);
/* Reads and parses the header of the save file at fd (from its start). */
int save_header_read(int fd, const char *path, struct save_header *ret, struct ql_error *err);
