/* See log.h. */
#include "config.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
