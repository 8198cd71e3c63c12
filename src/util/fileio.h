/* Small file helpers with explicit limits. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "util/error.h"

/* Reads a whole file, refusing files larger than max bytes. */
int ql_read_file(const char *path, size_t max, char **ret_data, size_t *ret_len,
                 struct ql_error *err);
/* Writes data to path via a temporary file and rename(), with the given mode. */
int ql_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct ql_error *err);
