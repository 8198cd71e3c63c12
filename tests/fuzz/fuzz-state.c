/* libFuzzer harness: the state files a supervisor or a CLI verb re-reads (RUNDIR/state.json,
 * BASE/NAME.last): anyone who could write them could otherwise steer a root process. */
#include "config.h"
#include "supervise/state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The file reader NUL-terminates what it read. */
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    struct sup_status s;
    struct ql_error err = QL_ERROR_INIT;
    if (sup_status_parse(text, "state.json", &s, &err) == 0) {
        if (!s.name || s.n_displays > SUP_MAX_DISPLAYS)
            abort();
        (void)sup_state_to_string(s.state);
        (void)sup_reason_to_string(s.reason);
        for (size_t i = 0; i < s.n_displays; i++)
            free(sup_display_uri(&s.displays[i]));
        sup_status_clear(&s);
    } else if (!err.msg) {
        abort();
    }
    ql_error_clear(&err);
    free(text);
    return 0;
}
