/* file_times: a file's times checked as they are read, and a warning,
 * once a file, with the first time that cannot be its traffic's
 * (base/isotime.h: before 2000, or more than a day after now): windows of
 * 1970 or of next year are a clock's mistake, not a quiet network. */
#ifndef FLOWSAD_FILE_TIMES_H
#define FLOWSAD_FILE_TIMES_H

#include <stdint.h>

#include "base/isotime.h"

struct file_times {
	const char *path; /* borrowed: lives as long as the checks */
	int64_t now;      /* the clock when the file was opened */
	int warned;
};

void file_times_init(struct file_times *ft, const char *path);
void file_times_warn(struct file_times *ft, int64_t t);

/* Notes one time (epoch seconds) of the file: cheap enough for every frame. */
static inline void file_times_note(struct file_times *ft, int64_t t)
{
	if (!ft->warned && !isotime_plausible(t, ft->now))
		file_times_warn(ft, t);
}

#endif
