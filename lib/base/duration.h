/* duration: window lengths and intervals written as "90s", "5m", "1h30m". */
#ifndef FLOWSAD_DURATION_H
#define FLOWSAD_DURATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Largest accepted duration: 366 days, far beyond any sensible window. */
#define DURATION_MAX_SECONDS (366u * 86400u)

/* Parses one or more <number><unit> terms (units s, m, h, d; a bare number
 * is seconds), e.g. "90s", "5m", "1h30m", "300", "0". Returns 0 and stores
 * the total in *seconds (zero too: callers that need a positive duration
 * say so); -EINVAL for malformed text, -ERANGE above DURATION_MAX_SECONDS.
 * *seconds is untouched on error. */
int duration_parse(const char *text, uint32_t *seconds)
	__attribute__((warn_unused_result));

/* Writes the shortest form of seconds ("1h30m", "90s" is written "1m30s")
 * into buf; returns the length as snprintf does. */
int duration_format(uint32_t seconds, char *buf, size_t len);

/* Seconds elapsed on the monotonic clock since t0 (taken with
 * clock_gettime(CLOCK_MONOTONIC)). */
double duration_since(const struct timespec *t0);
/* Now, in seconds on the monotonic clock (for intervals), and in
 * milliseconds since the epoch (for times other hosts read). */
double duration_monotonic(void);
long long duration_wall_ms(void);

#endif
