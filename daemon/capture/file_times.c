#include "capture/file_times.h"

#include <time.h>

#include "common/log.h"

void file_times_init(struct file_times *ft, const char *path)
{
	*ft = (struct file_times){ .path = path, .now = (int64_t)time(NULL) };
}

void file_times_warn(struct file_times *ft, int64_t t)
{
	char when[ISOTIME_LEN];
	ft->warned = 1;
	log_warn("%s: a time of %s (%s): the recorder's clock was wrong, or the field is no "
		 "time; said once for this file",
		 ft->path, isotime_format(t, when),
		 t < ft->now ? "before 2000" : "more than a day after now");
}
