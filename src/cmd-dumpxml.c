/* dumpxml NAME: the running domain's definition, as its supervisor fills it in. */
#include "config.h"
#include "cmd-common.h"
#include "cmds.h"
#include "supervise/ctl-client.h"
#include "util/json.h"

#include <stdio.h>

static const struct cli_verb dumpxml_verb = CLI_DOMAIN_VERB(NULL);

int cmd_dumpxml(int argc, char **argv)
{
    struct cli cli;
    if (cli_parse(&cli, &dumpxml_verb, argc, argv, NULL) < 0)
        return cli.status;
    struct ctl_request req = CTL_REQUEST_INIT(CTL_DUMPXML);
    int status;
    json_object *res, *rep = day2_call(&cli, &req, &res, &status);
    if (!rep)
        return status;
    fputs(ql_json_str(res, "xml", ""), stdout);
    json_object_put(rep);
    return 0;
}
