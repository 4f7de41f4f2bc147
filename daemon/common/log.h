/* log: the process's diagnostics on stderr.
 *
 * Under systemd (JOURNAL_STREAM names our stderr) each line carries an
 * sd-daemon priority prefix ("<3>") so the journal files it at the right
 * level; on a terminal lines read "flowsad: message". */
#ifndef FLOWSAD_LOG_H
#define FLOWSAD_LOG_H

#include <syslog.h>

void log_init(int max_priority);
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
