#include "base/isotime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* "+HHMM", "+HH:MM", "-..." or "Z" at the end of a time: its offset from
 * UTC in seconds. Returns 0, or -EINVAL when text holds anything else. */
static int zone_offset(const char *text, long *offset)
{
	int hours, minutes;
	*offset = 0;
	if (!*text || strcmp(text, "Z") == 0)
		return 0;
	if ((*text != '+' && *text != '-') ||
	    (sscanf(text + 1, "%2d%2d", &hours, &minutes) != 2 &&
	     sscanf(text + 1, "%2d:%2d", &hours, &minutes) != 2) ||
	    strlen(text) > 6 || hours > 23 || minutes > 59)
		return -EINVAL;
	*offset = (*text == '-' ? -1 : 1) * (hours * 3600L + minutes * 60L);
	return 0;
}

int isotime_parse_ms(const char *text, int64_t *ms)
{
	struct tm tm = { 0 };
	char *end;
	long offset;
	double epoch = strtod(text, &end);

	if (end != text && *end == '\0' && (text[0] >= '0' && text[0] <= '9')) {
		if (!(epoch >= 0 && epoch < 253402300800.0)) /* before the year 10000 */
			return -EINVAL;
		*ms = (int64_t)(epoch * 1000.0 + 0.5);
		return 0;
	}
	end = strptime(text, "%Y-%m-%d", &tm);
	if (!end || (*end != 'T' && *end != ' '))
		return -EINVAL;
	end = strptime(end + 1, "%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	int64_t frac = 0, scale = 1000;
	if (*end == '.') /* fractions of a second, to the millisecond */
		for (end++; *end >= '0' && *end <= '9'; end++)
			if (scale > 1)
				frac += (*end - '0') * (scale /= 10);
	if (zone_offset(end, &offset) < 0)
		return -EINVAL;
	*ms = ((int64_t)timegm(&tm) - offset) * 1000 + frac;
	return 0;
}

int isotime_parse(const char *text, int64_t *epoch)
{
	int64_t ms;
	char *end;
	long long n = strtoll(text, &end, 10);

	if (end != text && *end == '\0') { /* epoch seconds, negative ones too */
		*epoch = n;
		return 0;
	}
	if (!strchr(text, '-') || isotime_parse_ms(text, &ms) < 0)
		return -EINVAL;
	*epoch = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	return 0;
}
