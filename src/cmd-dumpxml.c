/* dumpxml [--inactive] NAME: the running domain's definition, as its supervisor fills it in;
 * with --inactive, or for a domain that does not run, its stored definition (define). */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "domain/parse.h"
#include "store/store.h"
#include "supervise/ctl-client.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/json.h"

#include <stdio.h>

enum { OPT_INACTIVE = CLI_OPT_FIRST };
static const struct cli_opt dumpxml_opts[] = {
    {"inactive", NULL, OPT_INACTIVE, "the stored definition (the next start's), not the "
     "running domain's XML"},
    {NULL, NULL, 0, NULL},
};
static const struct cli_verb dumpxml_verb = CLI_DOMAIN_VERB(dumpxml_opts);

/* Prints the stored definition of name. */
static int dump_stored(const char *name, bool inactive)
{
    struct ql_error err = QL_ERROR_INIT;
    _cleanup_free_ char *path = store_path(NULL, name, &err);
    if (!path)
        return cli_fail_err(&err);
    if (!store_defined(NULL, name))
        return cli_fail(inactive ? "domain '%s' is not defined (in %s)"
                                 : "domain '%s' is not running and not defined (in %s)",
                        name, store_dir(NULL));
    _cleanup_free_ char *xml = NULL;
    size_t len = 0;
    if (ql_read_file(path, DOM_XML_MAX_BYTES, &xml, &len, &err) < 0)
        return cli_fail_err(&err);
    fwrite(xml, 1, len, stdout);
    if (len && xml[len - 1] != '\n')
        putchar('\n');
    return 0;
}

int cmd_dumpxml(int argc, char **argv)
{
    struct cli cli;
    unsigned flags;
    if (cli_parse(&cli, &dumpxml_verb, argc, argv, &flags) < 0)
        return cli.status;
    const char *name = cli.operands[0];
    bool inactive = flags & CLI_FLAG(OPT_INACTIVE);
    if (inactive || !cli_domain_runs(&cli, name))
        return dump_stored(name, inactive);
    struct ctl_request req = CTL_REQUEST_INIT(CTL_DUMPXML);
    int status;
    json_object *res, *rep = day2_call(&cli, &req, &res, &status);
    if (!rep)
        return status;
    fputs(ql_json_str(res, "xml", ""), stdout);
    json_object_put(rep);
    return 0;
}
