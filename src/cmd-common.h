/* What the verbs share: an option table per verb that drives getopt_long, --help and the
 * usage errors (exit 2), the common --run-dir/--log-dir, and how failures are printed. */
#pragma once
#include <getopt.h>
#include <stdbool.h>
#include "supervise/ctl-client.h"
#include "util/error.h"

#define CLI_EXIT_FAILURE 1      /* the request failed */
#define CLI_EXIT_USAGE 2        /* the command line is wrong, as getopt users expect */

/* One option of a verb. Ids are the verb's own, from CLI_OPT_FIRST up. */
#define CLI_OPT_FIRST 0x100
struct cli_opt {
    const char *name;           /* long name, without "--"; NULL ends a table */
    const char *arg;            /* the argument's placeholder ("S", "DIR"); NULL: a flag */
    int id;
    const char *help;
};

/* Options only the verbs that use them take: the run directories (every verb on domains)
 * and the log directory (where a started or re-attaching supervisor logs). Every verb takes
 * --quiet, --verbose (the process's verbosity, util/log.h) and --help. */
enum { CLI_RUN_DIR = 1 << 0, CLI_LOG_DIR = 1 << 1 };

struct cli_verb {
    const char *operands;       /* "NAME", "NAME JSON", "FILE...", "" */
    int min_operands, max_operands;     /* max < 0: no limit */
    unsigned common;            /* CLI_RUN_DIR | CLI_LOG_DIR */
    const struct cli_opt *opts; /* the verb's own; NULL or a NULL-name terminated table */
};

/* The verbs on one domain: NAME, and the common options. */
#define CLI_DOMAIN_VERB(opts) {"NAME", 1, 1, CLI_RUN_DIR | CLI_LOG_DIR, (opts)}

#define CLI_MAX_OPTS 24
#define CLI_COMMON_OPTS 5       /* --run-dir, --log-dir, --quiet, --verbose, --help */
struct cli {
    const struct cli_verb *verb;
    const char *name;           /* the verb as typed: "create" or "start" */
    int argc;
    char **argv;
    const char *run_dir, *log_dir;
    char **operands;            /* after cli_next returned 0 */
    int n_operands;
    int status;                 /* the exit status after cli_next returned -1 */
    struct option lo[CLI_MAX_OPTS + CLI_COMMON_OPTS + 1];
};

void cli_init(struct cli *c, const struct cli_verb *v, int argc, char **argv);
/* The next option of the verb: its id (> 0) with its argument in *ret_arg; 0 when all are
 * read and the operands counted right (c->operands); -1 when the verb must end with
 * c->status: --help was printed (0) or a usage error (2). */
int cli_next(struct cli *c, const char **ret_arg);
/* cli_init and cli_next for a verb whose own options are all flags: 0 with the flags given
 * in *ret_flags (CLI_FLAG(id) bits; ret_flags may be NULL), or -1 as cli_next. */
#define CLI_FLAG(id) (1u << ((id) - CLI_OPT_FIRST))
int cli_parse(struct cli *c, const struct cli_verb *v, int argc, char **argv,
              unsigned *ret_flags);
/* Prints "qlaunch VERB: MESSAGE" and the verb's usage on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A whole number in [0, max] as the argument of option opt; -1 after a usage error. */
int cli_number(struct cli *c, const char *opt, const char *arg, long max, long *ret);
/* The domain addressed by the verb's NAME operand, with the verb's directories. */
struct ctl_target cli_target(const struct cli *c, const char *name);

/* Does domain name run (under the verb's run directory)? A run directory whose supervisor
 * and QEMU are both gone (both SIGKILLed, say) is stale: this removes it. */
bool cli_domain_runs(const struct cli *c, const char *name);

/* A confirmation ("Domain 'x' destroyed"): one line on stdout, none under --quiet. */
void cli_done(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A run-time failure: prints "qlaunch: MESSAGE"; returns CLI_EXIT_FAILURE. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with a library error, which is cleared. */
int cli_fail_err(struct ql_error *err);
