/* libFuzzer harness: one line of the control protocol (newline-delimited JSON on
 * RUNDIR/ctl.sock), as the supervisor parses what a client sends.
 * ctl_request_parse() is strict; a refused line must always say why. */
#include "config.h"
#include "supervise/ctl-proto.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctl_request req;
    struct ql_error err = QL_ERROR_INIT;
    if (ctl_request_parse((const char *)data, size, &req, &err) == 0)
        ctl_request_clear(&req);
    else if (!err.msg)
        abort();    /* a refused request always says why */
    ql_error_clear(&err);
    return 0;
}
