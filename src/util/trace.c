#include "config.h"
#include "util/trace.h"
#include "util/time.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void ql_trace(const char *phase)
{
    /* Fault injection for tests/func/sup-death.sh: die at a named phase, as a supervisor
     * killed by an operator or the OOM killer would. */
    const char *kill_at = getenv("QLAUNCH_KILL_AT");
    if (kill_at && *kill_at && strcmp(kill_at, phase) == 0)
        raise(SIGKILL);
    static int fd = -2;
    static pid_t owner;
    if (fd == -2 || (fd >= 0 && owner != getpid())) {
        /* A forked child (the supervisor) opens its own descriptor. */
        const char *path = getenv("QLAUNCH_TRACE");
        fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                                  0600)
                           : -1;
        owner = getpid();
    }
    if (fd < 0)
        return;
    char line[160];
    int n = snprintf(line, sizeof(line), "%lld %ld %s\n", (long long)ql_mono_us(),
                     (long)getpid(), phase);
    if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
        /* tracing is best effort */
    }
}
