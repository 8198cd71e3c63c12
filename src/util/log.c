/* See log.h. */
#include "config.h"
#include "util/log.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum ql_verbosity verbosity = QL_LOG_NORMAL;

void ql_log_set_verbosity(enum ql_verbosity v)
{
    verbosity = v;
}

enum ql_verbosity ql_log_verbosity(void)
{
    return verbosity;
}

bool ql_log_shown(int prio)
{
    if (prio <= QL_LOG_WARNING)
        return true;
    return prio == QL_LOG_DEBUG ? verbosity >= QL_LOG_VERBOSE : verbosity >= QL_LOG_NORMAL;
}

bool ql_log_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    if (!e || !*e)
        return false;
    unsigned long long dev, ino;
    char tail;
    if (sscanf(e, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return false;
    struct stat st;
    return fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

int ql_log_priority(const char *msg)
{
    if (strncmp(msg, "error:", 6) == 0)
        return QL_LOG_ERR;
    if (strncmp(msg, "warning:", 8) == 0)
        return QL_LOG_WARNING;
    return QL_LOG_INFO;
}

char *ql_log_stamped(const char *msg)
{
    time_t t = time(NULL);
    struct tm tm;
    char ts[32];
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
    return xasprintf("%s qlaunch[%ld]: %s\n", ts, (long)getpid(), msg);
}

void ql_log_line(int prio, const char *msg)
{
    if (!ql_log_shown(prio))
        return;
    /* The journal stamps and attributes each line itself; it takes the priority. One
     * write per line, so that lines of several processes interleave whole. */
    _cleanup_free_ char *line = ql_log_journal() ? xasprintf("<%d>%s\n", prio, msg)
                                                 : ql_log_stamped(msg);
    fputs(line, stderr);
    fflush(stderr);
}

void ql_debug(const char *fmt, ...)
{
    if (verbosity < QL_LOG_VERBOSE)
        return;
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;     /* out of memory: a debug line is not worth failing for */
    ql_log_line(QL_LOG_DEBUG, msg);
    free(msg);
}
