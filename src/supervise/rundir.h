/* Per-VM runtime directories: BASE/NAME/ (0700) with state.json, qmp.sock, ctl.sock,
 * qemu.log, supervisor.log; BASE defaults to /run/qlaunch, overridden by --run-dir or the
 * environment variable QLAUNCH_RUN_DIR. BASE/NAME.last keeps the final state of the last run. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "util/error.h"

#define SUP_DEFAULT_BASE "/run/qlaunch"

struct sup_paths {
    char *base;
    char *dir;
    char *state;
    char *last;
    char *qmp;
    char *ctl;
    char *qemu_log;
    char *sup_log;
    char *lock;
};

/* base NULL: QLAUNCH_RUN_DIR or the default. Fails for names that cannot be a path part
 * or would make socket paths longer than sockaddr_un allows. */
int sup_paths_init(struct sup_paths *p, const char *base, const char *name, struct ql_error *err);
void sup_paths_free(struct sup_paths *p);
const char *sup_base_dir(const char *base_opt);

/* Defaults when neither an option nor QLAUNCH_*_DIR says: system paths for root
 * (/run/qlaunch, /var/log/qlaunch, /var/lib/qlaunch/{dump,nvram,swtpm,snapshot}), per-user
 * ones otherwise, as libvirt's session mode ($XDG_RUNTIME_DIR/qlaunch,
 * $XDG_STATE_HOME/qlaunch/{log,dump,nvram,swtpm,snapshot}, HOME/.local/state/qlaunch/..., else
 * /tmp/qlaunch-UID-state/...; callers check them with sup_private_dir). */
enum sup_dir { SUP_DIR_RUN, SUP_DIR_LOG, SUP_DIR_DUMP, SUP_DIR_NVRAM, SUP_DIR_SWTPM,
               SUP_DIR_SNAPSHOT, SUP_DIR_MAX };
const char *sup_default_dir(enum sup_dir which);
/* Where NVRAM files without a path in the XML live (NAME_VARS.fd): QLAUNCH_NVRAM_DIR or
 * the default. Unlike the run directory it outlives the domain. */
const char *sup_nvram_dir(void);
/* Where persistent TPM state lives (UUID/tpm2, UUID/tpm1.2): QLAUNCH_SWTPM_DIR or the
 * default. Kept across runs, like NVRAM. */
const char *sup_swtpm_dir(void);
/* mkdir -p with mode for the last component (parents 0755, 0700 for a user). Returns 0 or
 * -errno. */
int sup_mkdir_p(const char *path, mode_t mode);
/* Creates (mkdir -p, 0700) or reuses a directory for what ("log", "dump", ...). For a user it
 * must be a real directory (not a symlink) of this uid with mode 0700 under directories only
 * root or the user can change, or the error names it and how (an option or variable) to
 * choose another. Root's system directories are created as before, unchecked. */
int sup_private_dir(const char *path, const char *what, const char *how, struct ql_error *err);
/* A log/state file opened with O_NOFOLLOW must be a regular file of this uid with one link
 * (not a planted FIFO, device or hard link to another file). */
int sup_private_file(int fd, const char *path, struct ql_error *err);

/* Creates BASE (0755) and BASE/NAME (0700); fails if NAME's dir is there already. */
int sup_rundir_create(const struct sup_paths *p, struct ql_error *err);
/* Removes the per-VM files and directory (not BASE, not NAME.last). */
void sup_rundir_remove(const struct sup_paths *p);

/* Removes the files of dir, and of its subdirectories down to depth levels, then dir. */
void sup_remove_tree(const char *dir, int depth);

/* Names of domains with a run directory or a .last file under base, sorted. */
int sup_list_names(const char *base, char ***ret_names, size_t *ret_n, struct ql_error *err);
void sup_free_names(char **names, size_t n);
