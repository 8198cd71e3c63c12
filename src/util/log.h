/* Log lines that fit the host: under systemd, whose journal reads a service's stderr
 * (JOURNAL_STREAM names that stream), a line starts with its syslog priority "<N>" and
 * carries no timestamp of its own (the journal adds one); elsewhere lines carry one. */
#pragma once
#include <stdbool.h>

/* syslog(3) priorities, as sd-daemon(3) prefixes write them. */
enum { QL_LOG_ERR = 3, QL_LOG_WARNING = 4, QL_LOG_NOTICE = 5, QL_LOG_INFO = 6 };

/* Is stderr the journal's stream: JOURNAL_STREAM is "DEV:INODE" of this stderr (a stderr
 * redirected elsewhere by a child of the service is not)? */
bool ql_log_journal(void);
/* The priority of a message from its first word: "error:" QL_LOG_ERR, "warning:"
 * QL_LOG_WARNING, else QL_LOG_INFO. */
int ql_log_priority(const char *msg);
