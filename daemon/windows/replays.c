/* Windows read again and the alerts delivered for them (replays.h). */
#include "windows/replays.h"

#include <stdlib.h>

struct replays {
	int64_t start;
	struct alerted *done;
	struct replays *next;
};

void replays_add(struct replays **list, int64_t start, struct alerted *done)
{
	struct replays *r = malloc(sizeof *r);
	if (!r) {
		alerted_free(done);
		return;
	}
	*r = (struct replays){ start, done, *list };
	*list = r;
}

struct alerted *replays_take(struct replays **list, int64_t start)
{
	for (struct replays **at = list; *at; at = &(*at)->next)
		if ((*at)->start == start) {
			struct replays *r = *at;
			struct alerted *done = r->done;
			*at = r->next;
			free(r);
			return done;
		}
	return NULL;
}

void replays_free(struct replays **list)
{
	while (*list)
		alerted_free(replays_take(list, (*list)->start));
}

size_t replays_filter(const struct alert_record *a, size_t n, const struct alerted *done,
		      struct alert_record **send)
{
	size_t kept = 0;
	/* the records are the score thread's (it frees what they point to): the
	 * ones to send are copied, the array left as it is */
	*send = malloc((n + 1) * sizeof **send);
	for (size_t i = 0; *send && i < n; i++)
		if (!alerted_holds(done, a[i].src_ip))
			(*send)[kept++] = a[i];
	return kept;
}
