/* alert_select: which samples are reported, the rule shared by the daemon's
 * alerts and detect's report: at most top_n per window, above a score
 * threshold (alert_above). */
#ifndef FLOWSAD_ALERT_SELECT_H
#define FLOWSAD_ALERT_SELECT_H

#include <stddef.h>
#include <stdint.h>

struct alert_pick {
	size_t row;
	double score; /* scaled */
};

/* Scores within this share of a threshold are at it, not above it: the
 * calibrated threshold is a training sample's score, and many benign samples
 * share it (the same first update check of a dozen hosts scores the same to
 * six digits); one more of them, scored on another path, is not above it. */
#define ALERT_SCORE_PRECISION 1e-4

/* Whether score is above threshold by more than ALERT_SCORE_PRECISION of it
 * (NAN is above nothing). */
int alert_above(double score, double threshold);

/* Selects, in every window (rows with equal window_start; all rows form one
 * window when window_start is NULL), the top_n rows by scaled score whose
 * score is above min_score (alert_above). *picks (caller frees) is sorted by score,
 * highest first, ties by row. Returns the count, or -1 without memory. */
long alert_select(const int64_t *window_start, const float *scaled, size_t n, int top_n,
		  double min_score, struct alert_pick **picks);

#endif
