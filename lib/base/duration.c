#include "base/duration.h"

#include <errno.h>
#include <stdio.h>

static int unit_seconds(char unit, uint64_t *mult)
{
	switch (unit) {
	case 's': *mult = 1; return 0;
	case 'm': *mult = 60; return 0;
	case 'h': *mult = 3600; return 0;
	case 'd': *mult = 86400; return 0;
	default: return -EINVAL;
	}
}

int duration_parse(const char *text, uint32_t *seconds)
{
	const char *p = text;
	uint64_t total = 0;

	if (!p || !*p)
		return -EINVAL;
	while (*p) {
		uint64_t n = 0, mult = 1;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (uint64_t)(*p++ - '0');
			if (n > DURATION_MAX_SECONDS)
				return -ERANGE;
		}
		if (*p) {
			if (unit_seconds(*p++, &mult) < 0)
				return -EINVAL;
		} else if (total > 0) {
			return -EINVAL; /* "1h30": a unit-less term after others */
		}
		total += n * mult;
		if (total > DURATION_MAX_SECONDS)
			return -ERANGE;
	}
	*seconds = (uint32_t)total;
	return 0;
}

int duration_format(uint32_t seconds, char *buf, size_t len)
{
	static const struct { char unit; uint32_t size; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	size_t used = 0;

	if (seconds == 0)
		return snprintf(buf, len, "0s");
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		uint32_t n = seconds / units[i].size;
		if (!n)
			continue;
		seconds -= n * units[i].size;
		int w = snprintf(buf + (used < len ? used : len), used < len ? len - used : 0,
				 "%u%c", n, units[i].unit);
		used += (size_t)w;
	}
	return (int)used;
}

double duration_monotonic(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

long long duration_wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

double duration_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}
