/* The verbs that act on a running domain's devices, virsh names and meanings: change-media,
 * send-key, screenshot, setmem. Each is one request to the domain's supervisor. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { OPT_EJECT = CLI_OPT_FIRST, OPT_INSERT, OPT_UPDATE, OPT_FORCE, OPT_CODESET, OPT_HOLDTIME,
       OPT_LIVE, OPT_CURRENT };

int day2_simple(struct cli *cli, struct ctl_request *req, const char *done)
{
    int status;
    json_object *rep = day2_call(cli, req, NULL, &status);
    if (!rep)
        return status;
    json_object_put(rep);
    if (done)
        cli_done("%s", done);
    return 0;
}

static const struct cli_opt media_opts[] = {
    {"eject", NULL, OPT_EJECT, "eject the medium"},
    {"insert", NULL, OPT_INSERT, "insert SOURCE into an empty drive"},
    {"update", NULL, OPT_UPDATE, "replace the medium with SOURCE, or eject it without "
     "(the default)"},
    {"force", NULL, OPT_FORCE, "open the tray even when the guest locked it"},
    {"live", NULL, OPT_LIVE, "change the running domain (what qlaunch always does)"},
    {"current", NULL, OPT_CURRENT, "the same as --live"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb media_verb = {"NAME TARGET|PATH [SOURCE]", 2, 3,
                                           CLI_RUN_DIR | CLI_LOG_DIR, media_opts};

int cmd_change_media(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &media_verb, argc, argv, &flags) < 0)
        return cli.status;
    unsigned acts = flags & (CLI_FLAG(OPT_EJECT) | CLI_FLAG(OPT_INSERT) | CLI_FLAG(OPT_UPDATE));
    if (acts & (acts - 1))
        return cli_usage_error(&cli, "--eject, --insert and --update exclude each other");
    const char *source = cli.n_operands > 2 ? cli.operands[2] : NULL;
    /* As virsh: without an action, or with --update, no SOURCE means eject. */
    const char *action = acts & CLI_FLAG(OPT_EJECT) ? "eject"
                         : acts & CLI_FLAG(OPT_INSERT) ? "insert"
                         : source ? "update" : "eject";
    if (strcmp(action, "eject") == 0 && source)
        return cli_usage_error(&cli, "--eject takes no SOURCE");
    if (strcmp(action, "insert") == 0 && !source)
        return cli_usage_error(&cli, "--insert needs a SOURCE");
    struct ctl_request req = CTL_REQUEST_INIT(CTL_CHANGE_MEDIA);
    req.target = xstrdup(cli.operands[1]);
    req.action = xstrdup(action);
    req.force = flags & CLI_FLAG(OPT_FORCE);
    if (source) {
        /* The supervisor does not share the caller's working directory. */
        req.source = realpath(source, NULL);
        if (!req.source) {
            ctl_request_clear(&req);
            return cli_fail("cannot use '%s': %s", source, strerror(errno));
        }
    }
    const char *done = strcmp(action, "eject") == 0 ? "Successfully ejected media."
                       : strcmp(action, "insert") == 0 ? "Successfully inserted media."
                                                       : "Successfully updated media.";
    return day2_simple(&cli, &req, done);
}

static const struct cli_opt key_opts[] = {
    {"codeset", "CODESET", OPT_CODESET, "the keys' code set: linux (default; KEY_* names or "
     "numbers), xt, xt_kbd, qnum or rfb (numbers)"},
    {"holdtime", "MS", OPT_HOLDTIME, "hold the keys down for MS milliseconds"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb key_verb = {"NAME KEY...", 2, -1, CLI_RUN_DIR | CLI_LOG_DIR,
                                         key_opts};

int cmd_send_key(int argc, char **argv)
{
    struct cli cli;
    cli_init(&cli, &key_verb, argc, argv);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SEND_KEY);
    const char *arg;
    long n;
    int c;
    while ((c = cli_next(&cli, &arg)) > 0) {
        if (c == OPT_CODESET) {
            free(req.codeset);
            req.codeset = xstrdup(arg);
        } else if (cli_number(&cli, "holdtime", arg, 60000, &n) < 0) {
            ctl_request_clear(&req);
            return cli.status;
        } else {
            req.holdtime_ms = n;
        }
    }
    if (c < 0) {
        ctl_request_clear(&req);
        return cli.status;
    }
    struct strbuf keys = STRBUF_INIT;
    for (int i = 1; i < cli.n_operands; i++) {
        if (!*cli.operands[i] || strchr(cli.operands[i], ' ')) {
            sb_free(&keys);
            ctl_request_clear(&req);
            return cli_usage_error(&cli, "invalid key '%s'", cli.operands[i]);
        }
        sb_addf(&keys, "%s%s", i > 1 ? " " : "", cli.operands[i]);
    }
    req.keys = xstrdup(sb_str(&keys));
    sb_free(&keys);
    return day2_simple(&cli, &req, NULL);
}

/* Copies the screenshot QEMU wrote (a file of its own, never followed through a link) to
 * dest as the caller, and removes it. */
static int copy_out(const char *src, const char *dest)
{
    _cleanup_close_ int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
        return cli_fail("cannot read the screenshot '%s': %s", src,
                        in < 0 ? strerror(errno) : "not a regular file");
    _cleanup_close_ int out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out < 0)
        return cli_fail("cannot create '%s': %s", dest, strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return cli_fail("cannot write '%s': %s", dest, strerror(errno));
            off += w;
        }
    if (n < 0)
        return cli_fail("cannot read the screenshot '%s': %s", src, strerror(errno));
    unlink(src);
    return 0;
}

static const struct cli_verb screenshot_verb = {"NAME [FILE]", 1, 2, CLI_RUN_DIR | CLI_LOG_DIR,
                                                NULL};

int cmd_screenshot(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &screenshot_verb, argc, argv, NULL) < 0)
        return cli.status;
    _cleanup_free_ char *file = cli.n_operands > 1
                                    ? xstrdup(cli.operands[1])
                                    : xasprintf("%s-%lld.png", cli.operands[0],
                                                (long long)time(NULL));
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SCREENSHOT);
    int status;
    json_object *res, *rep = day2_call(&cli, &req, &res, &status);
    if (!rep)
        return status;
    const char *src = ql_json_str(res, "file", NULL);
    status = src ? copy_out(src, file) : cli_fail("the supervisor named no screenshot file");
    if (status == 0)
        cli_done("Screenshot saved to %s, with type of %s", file,
               ql_json_str(res, "mime", "image/png"));
    json_object_put(rep);
    return status;
}

/* virsh's sizes: a number with an optional unit, KiB by default. */
static int parse_size_kib(const char *s, long long *ret)
{
    static const struct { const char *unit; unsigned long long mul; } units[] = {
        {"", 1024}, {"b", 1}, {"bytes", 1}, {"k", 1024}, {"kib", 1024}, {"kb", 1000},
        {"m", 1ULL << 20}, {"mib", 1ULL << 20}, {"mb", 1000000}, {"g", 1ULL << 30},
        {"gib", 1ULL << 30}, {"gb", 1000000000}, {"t", 1ULL << 40}, {"tib", 1ULL << 40},
        {"tb", 1000000000000ULL},
    };
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcasecmp(end, units[i].unit) == 0) {
            if (v > (1ULL << 60) / units[i].mul)
                return -1;
            *ret = (long long)(v * units[i].mul / 1024);
            return 0;
        }
    return -1;
}

static const struct cli_opt setmem_opts[] = {
    {"live", NULL, OPT_LIVE, "change the running domain (what qlaunch always does)"},
    {"current", NULL, OPT_CURRENT, "the same as --live"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb setmem_verb = {"NAME SIZE", 2, 2, CLI_RUN_DIR | CLI_LOG_DIR,
                                            setmem_opts};

int cmd_setmem(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &setmem_verb, argc, argv, NULL) < 0)
        return cli.status;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_SETMEM);
    if (parse_size_kib(cli.operands[1], &req.size_kib) < 0 || req.size_kib <= 0)
        return cli_usage_error(&cli, "invalid memory size '%s' (a number with an optional "
                               "unit: KiB by default, M, MiB, MB, G, ...)", cli.operands[1]);
    return day2_simple(&cli, &req, NULL);
}
