#include "config.h"
#include "util/trace.h"
#include "util/time.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
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
    /* The process's page faults and CPU time so far: in this kind of VM a fault costs
     * microseconds, and CPU time tells the launcher's own work from waiting on a busy host. */
    struct rusage ru = {0};
    getrusage(RUSAGE_SELF, &ru);
    long long cpu_us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
                       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    char line[200];
    int n = snprintf(line, sizeof(line), "%lld %ld %s %ld %lld\n", (long long)ql_mono_us(),
                     (long)getpid(), phase, ru.ru_minflt + ru.ru_majflt, cpu_us);
    if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0) {
        /* tracing is best effort */
    }
}
