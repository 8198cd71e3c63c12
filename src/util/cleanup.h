/* Scope-bound cleanup helpers (GCC/Clang cleanup attribute). */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void ql_freep(void *p) { free(*(void **)p); }
static inline void ql_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void ql_fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(ql_freep)
#define _cleanup_close_ _cleanup_(ql_closep)
#define _cleanup_fclose_ _cleanup_(ql_fclosep)

/* Returns *pp and sets it to NULL so the cleanup handler leaves it alone. */
#define steal_pointer(pp) __extension__({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) __extension__({ int _f = *(fdp); *(fdp) = -1; _f; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STREQ(a, b) (strcmp((a), (b)) == 0)
#define STREQ_NULLABLE(a, b) ((a) == (b) || ((a) && (b) && strcmp((a), (b)) == 0))
