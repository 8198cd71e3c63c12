/* libFuzzer harness: one line of the control protocol (newline-delimited JSON on
 * RUNDIR/ctl.sock), as the supervisor parses what a client sends.
 *
 * TODO(ctl): not built yet (not in FUZZ_TARGETS of tests/fuzz/local.mk). When
 * src/supervise/ctl-proto.c provides
 *     int ctl_request_parse(const char *line, size_t len, struct ctl_request *ret,
 *                           struct ql_error *err);
 * check the header name and the function that releases a parsed request below, add "ctl"
 * to FUZZ_TARGETS and put a few request lines (one per verb) in tests/fuzz/seeds/ctl/. */
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
        ctl_request_clear(&req);    /* TODO(ctl): the real name of the release function */
    else if (!err.msg)
        abort();    /* a refused request always says why */
    ql_error_clear(&err);
    return 0;
}
