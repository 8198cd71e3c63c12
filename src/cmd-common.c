/* Per-verb option parsing, --help and usage errors; how the verbs report failures. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_RUN_DIR = 1, OPT_LOG_DIR, OPT_QUIET, OPT_VERBOSE, OPT_HELP = 'h' };

static const struct cli_opt common_opts[] = {
    {"run-dir", "DIR", OPT_RUN_DIR, "the directory of the domains' run directories "
     "(default: $QLAUNCH_RUN_DIR, else /run/qlaunch as root, $XDG_RUNTIME_DIR/qlaunch)"},
    {"log-dir", "DIR", OPT_LOG_DIR, "where a supervisor this command starts (or re-attaches) "
     "writes NAME.log (default: $QLAUNCH_LOG_DIR, else /var/log/qlaunch as root, "
     "$XDG_STATE_HOME/qlaunch/log)"},
    {"quiet", NULL, OPT_QUIET, "print no confirmation; on standard error only warnings and "
     "errors (a foreground supervisor's log file keeps every line)"},
    {"verbose", NULL, OPT_VERBOSE, "also say on standard error what the command does (debug "
     "lines: directories, requests to the supervisor)"},
    {"help", NULL, OPT_HELP, "show this help and exit"},
};

/* The options verb v takes, in the order its help lists them. */
static size_t verb_opts(const struct cli_verb *v, const struct cli_opt **ret)
{
    size_t n = 0;
    for (size_t i = 0; v->opts && v->opts[i].name && n < CLI_MAX_OPTS; i++)
        ret[n++] = &v->opts[i];
    if (v->common & CLI_RUN_DIR)
        ret[n++] = &common_opts[0];
    if (v->common & CLI_LOG_DIR)
        ret[n++] = &common_opts[1];
    for (size_t i = 2; i < sizeof(common_opts) / sizeof(common_opts[0]); i++)
        ret[n++] = &common_opts[i];
    return n;
}

#define WIDTH 79
#define HELP_COLUMN 27

/* Appends a word, first breaking the line when it would pass WIDTH. */
static void add_word(struct strbuf *sb, size_t *col, size_t indent, const char *w, size_t len)
{
    if (*col > indent && *col + 1 + len > WIDTH) {
        sb_addf(sb, "\n%*s", (int)indent, "");
        *col = indent;
    } else if (*col != indent) {
        sb_addc(sb, ' ');
        (*col)++;
    }
    sb_addn(sb, w, len);
    *col += len;
}

static void add_wrapped(struct strbuf *sb, size_t *col, size_t indent, const char *text)
{
    for (text += strspn(text, " "); *text; text += strspn(text, " ")) {
        size_t len = strcspn(text, " ");
        add_word(sb, col, indent, text, len);
        text += len;
    }
}

static void print_usage(FILE *f, const struct cli *c, bool full)
{
    const struct cli_opt *o[CLI_MAX_OPTS + CLI_COMMON_OPTS];
    size_t n = verb_opts(c->verb, o);
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "Usage: qlaunch %s", c->name);
    size_t indent = sb.len + 1, col = sb.len;
    for (size_t i = 0; i < n; i++) {
        if (o[i]->id == OPT_HELP)
            continue;
        _cleanup_free_ char *w = o[i]->arg ? xasprintf("[--%s %s]", o[i]->name, o[i]->arg)
                                           : xasprintf("[--%s]", o[i]->name);
        add_word(&sb, &col, indent, w, strlen(w));
    }
    if (*c->verb->operands)
        add_wrapped(&sb, &col, indent, c->verb->operands);
    sb_addc(&sb, '\n');
    if (full) {
        const char *summary = qlaunch_verb_summary(c->name);
        if (summary)
            sb_addf(&sb, "%c%s.\n", summary[0] >= 'a' && summary[0] <= 'z'
                                        ? summary[0] - 'a' + 'A' : summary[0], summary + 1);
        sb_add(&sb, "\nOptions:\n");
        for (size_t i = 0; i < n; i++) {
            size_t start = sb.len;
            sb_addf(&sb, "  %s--%s%s%s", o[i]->id == OPT_HELP ? "-h, " : "    ", o[i]->name,
                    o[i]->arg ? " " : "", o[i]->arg ? o[i]->arg : "");
            col = sb.len - start;
            if (col + 1 >= HELP_COLUMN) {
                sb_addc(&sb, '\n');
                col = 0;
            }
            sb_addf(&sb, "%*s", (int)(HELP_COLUMN - 1 - col), "");
            col = HELP_COLUMN - 1;
            add_wrapped(&sb, &col, HELP_COLUMN, o[i]->help);
            sb_addc(&sb, '\n');
        }
        sb_add(&sb, "\nSee qlaunch(1) for details.\n");
    } else {
        sb_addf(&sb, "See 'qlaunch %s --help'.\n", c->name);
    }
    fputs(sb_str(&sb), f);
    sb_free(&sb);
}

void cli_init(struct cli *c, const struct cli_verb *v, int argc, char **argv)
{
    memset(c, 0, sizeof(*c));
    c->verb = v;
    c->name = argv[0];
    c->argc = argc;
    c->argv = argv;
    const struct cli_opt *o[CLI_MAX_OPTS + CLI_COMMON_OPTS];
    size_t n = verb_opts(v, o);
    for (size_t i = 0; i < n; i++)
        c->lo[i] = (struct option){o[i]->name, o[i]->arg ? required_argument : no_argument,
                                   NULL, o[i]->id};
    c->lo[n] = (struct option){NULL, 0, NULL, 0};
    optind = 0;     /* glibc: start over, as if for a new argv */
    opterr = 0;     /* the messages below name the verb */
}

int cli_usage_error(struct cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "qlaunch %s: ", c->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    print_usage(stderr, c, false);
    c->status = CLI_EXIT_USAGE;
    return CLI_EXIT_USAGE;
}

/* Says what getopt_long found wrong with arg: unknown, ambiguous, or an argument given to a
 * flag. */
static void bad_option(struct cli *c, const char *arg)
{
    if (strncmp(arg, "--", 2) != 0) {
        cli_usage_error(c, "'-%c' is not an option of %s", optopt > 0 && optopt < 128 ? optopt
                        : '?', c->name);
        return;
    }
    size_t len = strcspn(arg + 2, "=");
    const struct option *match = NULL;
    int n = 0;
    for (const struct option *o = c->lo; o->name; o++) {
        if (strncmp(o->name, arg + 2, len) != 0)
            continue;
        match = o;
        n++;
        if (o->name[len] == '\0') {    /* exact, whatever else it abbreviates */
            n = 1;
            break;
        }
    }
    if (n > 1)
        cli_usage_error(c, "option '%.*s' is ambiguous", (int)len + 2, arg);
    else if (n == 1 && arg[2 + len] == '=' && match->has_arg == no_argument)
        cli_usage_error(c, "option '--%s' takes no argument", match->name);
    else
        cli_usage_error(c, "'%.*s' is not an option of %s", (int)len + 2, arg, c->name);
}

int cli_next(struct cli *c, const char **ret_arg)
{
    *ret_arg = NULL;
    int opt = getopt_long(c->argc, c->argv, ":h", c->lo, NULL);
    switch (opt) {
    case -1:
        break;
    case OPT_RUN_DIR:
        c->run_dir = optarg;
        return cli_next(c, ret_arg);
    case OPT_LOG_DIR:
        c->log_dir = optarg;
        return cli_next(c, ret_arg);
    case OPT_QUIET:
    case OPT_VERBOSE:
        ql_log_set_verbosity(opt == OPT_QUIET ? QL_LOG_QUIET : QL_LOG_VERBOSE);
        return cli_next(c, ret_arg);
    case OPT_HELP:
        print_usage(stdout, c, true);
        c->status = 0;
        return -1;
    case ':':
        cli_usage_error(c, "option '%s' needs an argument", c->argv[optind - 1]);
        return -1;
    case '?':
        bad_option(c, c->argv[optind - 1]);
        return -1;
    default:
        *ret_arg = optarg;
        return opt;
    }
    c->operands = c->argv + optind;
    c->n_operands = c->argc - optind;
    const struct cli_verb *v = c->verb;
    if (c->n_operands < v->min_operands) {
        cli_usage_error(c, c->n_operands ? "missing operand (expected %s)" : "missing %s",
                        v->operands);
        return -1;
    }
    if (v->max_operands >= 0 && c->n_operands > v->max_operands) {
        cli_usage_error(c, "unexpected operand '%s'", c->operands[v->max_operands]);
        return -1;
    }
    return 0;
}

int cli_parse(struct cli *c, const struct cli_verb *v, int argc, char **argv,
              unsigned *ret_flags)
{
    const char *arg;
    unsigned flags = 0;
    int r;
    cli_init(c, v, argc, argv);
    while ((r = cli_next(c, &arg)) > 0)
        flags |= CLI_FLAG(r);
    if (ret_flags)
        *ret_flags = flags;
    return r;
}

int cli_number(struct cli *c, const char *opt, const char *arg, long max, long *ret)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < 0 || v > max) {
        cli_usage_error(c, "--%s takes a whole number from 0 to %ld, not '%s'", opt, max, arg);
        return -1;
    }
    *ret = v;
    return 0;
}

struct ctl_target cli_target(const struct cli *c, const char *name)
{
    return (struct ctl_target){.name = name, .run_dir = c->run_dir, .log_dir = c->log_dir};
}

bool cli_domain_runs(const struct cli *c, const char *name)
{
    struct ctl_target t = cli_target(c, name);
    struct ctl_conn live;
    struct ql_error err = QL_ERROR_INIT;
    int r = ctl_open(&t, &live, &err);
    ql_error_clear(&err);
    if (r == 0)
        ctl_conn_close(&live);
    return r == 0;
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ql_log_journal() ? "<3>qlaunch: " : "qlaunch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_EXIT_FAILURE;
}

void cli_done(const char *fmt, ...)
{
    if (ql_log_verbosity() == QL_LOG_QUIET)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

int cli_fail_err(struct ql_error *err)
{
    cli_fail("%s", ql_error_msg(err));
    ql_error_clear(err);
    return CLI_EXIT_FAILURE;
}
