/* alert_select: which samples are reported, the rule shared by the daemon's
 * alerts and detect's report: at most top_n per window, above a score
 * threshold. */
#ifndef FLOWSAD_ALERT_SELECT_H
#define FLOWSAD_ALERT_SELECT_H

#include <stddef.h>
#include <stdint.h>

struct alert_pick {
	size_t row;
	double score; /* scaled */
};

/* Selects, in every window (rows with equal window_start; all rows form one
 * window when window_start is NULL), the top_n rows by scaled score whose
 * score exceeds min_score. *picks (caller frees) is sorted by score,
 * highest first, ties by row. Returns the count, or -1 without memory. */
long alert_select(const int64_t *window_start, const float *scaled, size_t n, int top_n,
		  double min_score, struct alert_pick **picks);

#endif
