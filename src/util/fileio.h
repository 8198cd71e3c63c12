/* Small file helpers with explicit limits. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "util/error.h"

/* Reads a whole file, refusing files larger than max bytes. */
int ql_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
                 struct ql_error *err);
/* Writes data to path via a temporary file and rename(), with the given mode; the data
 * reach the disk (fsync) before the rename: for files that must outlive the machine
 * (definitions, NVRAM, snapshot metadata, caches). */
int ql_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct ql_error *err);
/* The same without fsync, for the run directory (state.json, the running domain.xml):
 * atomic against a crash of the process, which is all that a directory that does not
 * outlive a reboot (a tmpfs such as /run) can use; an fsync there only delays the start
 * (about a millisecond on a disk). */
int ql_write_file_runtime(const char *path, const void *data, size_t len, mode_t mode,
                          struct ql_error *err);
