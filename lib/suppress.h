/* suppress: an alert per source at most once per interval, as Zeek
 * suppresses repeated notices. Time is the windows' event time, so a
 * replay suppresses exactly as the live run did. Memory is bounded by the
 * sources alerted within one interval (older entries are purged). */
#ifndef FLOWSAD_SUPPRESS_H
#define FLOWSAD_SUPPRESS_H

#include <stdint.h>

struct suppressor;

/* interval 0: nothing is ever suppressed. */
struct suppressor *suppress_new(uint32_t interval);
void suppress_free(struct suppressor *s);
void suppress_set_interval(struct suppressor *s, uint32_t interval);

/* Whether an alert for key (a src_ip) at time t is to be held back because
 * one was let through within the interval before; an alert let through
 * starts a new interval. Returns 1 (suppress), 0 (send), -1 without memory
 * (send). */
int suppress_check(struct suppressor *s, const char *key, int64_t t);

#endif
