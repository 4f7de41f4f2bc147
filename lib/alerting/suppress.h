/* suppress: holds back an alert that only repeats what the analyst was
 * already told. An alert for a source is suppressed while, within the
 * interval since the last one let through for that source, the source
 * repeats the same behaviour (a hash of what explains it: see
 * feature_family) at a score at most SUPPRESS_ESCALATION times that
 * alert's. A new behaviour, or a score far above, alerts again and starts
 * a new interval. The alert let through says how many it stands for: the
 * repeats held back since the previous one of that source and behaviour.
 * Time is the windows' event time, so a replay suppresses exactly as the
 * live run did. Memory is bounded by the (source, behaviour) pairs alerted
 * within one interval (older entries are purged). */
#ifndef FLOWSAD_SUPPRESS_H
#define FLOWSAD_SUPPRESS_H

#include <stdint.h>

#define SUPPRESS_ESCALATION 2.0

struct suppressor;

/* interval 0: nothing is ever suppressed. */
struct suppressor *suppress_new(uint32_t interval);
void suppress_free(struct suppressor *s);
void suppress_set_interval(struct suppressor *s, uint32_t interval);

/* Whether an alert for key (a src_ip) with behaviour at time t and score is
 * to be held back. Returns 1 (suppress: counted as a repeat), 0 (send;
 * *repeats gets the repeats held back since the last one sent for this key
 * and behaviour), -1 without memory (send, *repeats 0). */
int suppress_check(struct suppressor *s, const char *key, uint64_t behaviour, int64_t t,
		   double score, uint64_t *repeats);

#endif
