/* replays: the windows a killed scorer had scored, taken again here
 * (windows_take), each with the sources whose alerts of it that scorer
 * delivered before it died, kept until the window comes back scored, so
 * that those alerts are not sent twice. */
#ifndef FLOWSAD_REPLAYS_H
#define FLOWSAD_REPLAYS_H

#include <stddef.h>
#include <stdint.h>

#include "alerting/alert_record.h"
#include "alerting/alerted.h"

struct replays; /* a list; NULL: empty */

/* Keeps done (taken over) for the window at start. Without memory, done is
 * freed: its alerts may then be sent twice. */
void replays_add(struct replays **list, int64_t start, struct alerted *done);
/* The sources kept for the window at start (the caller frees them), or
 * NULL: none. */
struct alerted *replays_take(struct replays **list, int64_t start);
/* Frees every entry; *list is empty after. */
void replays_free(struct replays **list);

/* Of alerts a [n], those whose source done does not hold, into *send (a
 * new array of the same records, borrowed as a's are; NULL without
 * memory). Returns how many. */
size_t replays_filter(const struct alert_record *a, size_t n, const struct alerted *done,
		      struct alert_record **send);

#endif
