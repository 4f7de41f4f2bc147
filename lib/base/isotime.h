/* isotime: UTC timestamps as ISO 8601 text ("2026-03-01T14:00:00Z"). */
#ifndef FLOWSAD_ISOTIME_H
#define FLOWSAD_ISOTIME_H

#include <stdint.h>

#define ISOTIME_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" and NUL */

/* Formats epoch seconds as UTC; buf holds ISOTIME_LEN bytes. Returns buf. */
char *isotime_format(int64_t epoch, char buf[ISOTIME_LEN]);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (a space for T is accepted, Z optional,
 * fractions of a second dropped, a "+HHMM" or "+HH:MM" offset applied) or a
 * plain integer of epoch seconds. Returns 0, or -EINVAL. */
int isotime_parse(const char *text, int64_t *epoch)
	__attribute__((warn_unused_result));

/* The same to the millisecond: ISO 8601 with fractions and an offset
 * ("2021-06-01T09:12:05.123456+0000", Suricata's), or epoch seconds with a
 * fraction ("1622538725.123456", Zeek's). Returns 0, or -EINVAL. */
int isotime_parse_ms(const char *text, int64_t *ms) __attribute__((warn_unused_result));

/* Whether epoch seconds t can be the time of traffic recorded by now: not
 * before 2000 (a clock never set counts from 1970) nor more than a day
 * after now (a clock run ahead, a time misread). Inline: asked of every
 * frame read. */
static inline int isotime_plausible(int64_t t, int64_t now)
{
	return t >= 946684800 /* 2000-01-01 */ && t <= now + 86400;
}

#endif
