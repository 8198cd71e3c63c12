/* Log lines that fit the host: under systemd, whose journal reads a service's stderr
 * (JOURNAL_STREAM names that stream), a line starts with its syslog priority "<N>" and
 * carries no timestamp of their own (the journal adds one); elsewhere lines carry one.
 * How much goes to stderr is main's choice: --quiet, --verbose on every verb. */
#pragma once
#include <stdbool.h>

/* syslog(3) priorities, as sd-daemon(3) prefixes write them. */
enum { QL_LOG_ERR = 3, QL_LOG_WARNING = 4, QL_LOG_NOTICE = 5, QL_LOG_INFO = 6,
       QL_LOG_DEBUG = 7 };

/* The verbosity of this process: QL_LOG_QUIET shows warnings and errors only,
 * QL_LOG_NORMAL adds information (the default), QL_LOG_VERBOSE adds debug lines. */
enum ql_verbosity { QL_LOG_QUIET = -1, QL_LOG_NORMAL = 0, QL_LOG_VERBOSE = 1 };
void ql_log_set_verbosity(enum ql_verbosity v);
enum ql_verbosity ql_log_verbosity(void);
/* Is a line of priority prio shown at this verbosity? */
bool ql_log_shown(int prio);

/* Is stderr the journal's stream: JOURNAL_STREAM is "DEV:INODE" of this stderr (a stderr
 * redirected elsewhere by a child of the service is not)? */
bool ql_log_journal(void);
/* The priority of a message from its first word: "error:" QL_LOG_ERR, "warning:"
 * QL_LOG_WARNING, else QL_LOG_INFO. */
int ql_log_priority(const char *msg);

/* Writes msg as one line on stderr when prio is shown: "<N>msg" to the journal (which
 * names the process itself), "YYYY-MM-DD HH:MM:SS qlaunch[PID]: msg" elsewhere. */
void ql_log_line(int prio, const char *msg);
/* The timestamped form without the priority, for a log file: "TIME qlaunch[PID]: msg\n"
 * (malloc'd). */
char *ql_log_stamped(const char *msg);
/* A debug line (ql_log_line at QL_LOG_DEBUG), formatted only under --verbose. Library code
 * may call it, as it calls ql_trace: it says what a verb does, never decides anything. */
void ql_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
