/* isotime: UTC timestamps as ISO 8601 text ("2026-03-01T14:00:00Z"). */
#ifndef FLOWSAD_ISOTIME_H
#define FLOWSAD_ISOTIME_H

#include <stdint.h>

#define ISOTIME_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" and NUL */

/* Formats epoch seconds as UTC; buf holds ISOTIME_LEN bytes. Returns buf. */
char *isotime_format(int64_t epoch, char buf[ISOTIME_LEN]);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" (a space for T is accepted, Z optional) or a
 * plain integer of epoch seconds. Returns 0, or -EINVAL. */
int isotime_parse(const char *text, int64_t *epoch)
	__attribute__((warn_unused_result));

#endif
