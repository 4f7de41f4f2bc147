#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Process-wide logging state: set once at start-up, before any thread. */
static int log_max = LOG_INFO;
static int log_journal;

/* JOURNAL_STREAM is "dev:inode" of the stream systemd connected; it only
 * applies if that is still our stderr (not redirected by a shell). */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(int max_priority)
{
	log_max = max_priority;
	log_journal = stderr_is_journal();
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority > log_max)
		return;
	if (log_journal)
		fprintf(stderr, "<%d>", priority);
	else
		fputs("flowsad: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
