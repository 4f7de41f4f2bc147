#include "base/isotime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

char *isotime_format(int64_t epoch, char buf[ISOTIME_LEN])
{
	struct tm tm;
	time_t t = (time_t)epoch;

	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, ISOTIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, ISOTIME_LEN, "%lld", (long long)epoch);
	return buf;
}

int isotime_parse(const char *text, int64_t *epoch)
{
	struct tm tm = { 0 };
	char *end;
	long long n = strtoll(text, &end, 10);

	if (end != text && *end == '\0') {
		*epoch = n;
		return 0;
	}
	end = strptime(text, "%Y-%m-%d", &tm);
	if (!end || (*end != 'T' && *end != ' '))
		return -EINVAL;
	end = strptime(end + 1, "%H:%M:%S", &tm);
	if (!end || (*end == 'Z' ? end[1] != '\0' : *end != '\0'))
		return -EINVAL;
	*epoch = (int64_t)timegm(&tm);
	return 0;
}
