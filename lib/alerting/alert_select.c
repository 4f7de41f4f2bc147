/* The live alert-selection rule (alert_select.h). */
#include "alerting/alert_select.h"

#include <math.h>
#include <stdlib.h>

static int cmp_pick(const void *a, const void *b)
{
	const struct alert_pick *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->row > y->row) - (x->row < y->row);
}

struct windowed {
	int64_t window;
	float score;
	size_t row;
};

static int cmp_windowed(const void *a, const void *b)
{
	const struct windowed *x = a, *y = b;
	if (x->window != y->window)
		return x->window < y->window ? -1 : 1;
	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return (x->row > y->row) - (x->row < y->row);
}

long alert_select(const int64_t *window_start, const float *scaled, size_t n, int top_n,
		   double min_score, struct alert_pick **picks)
{
	struct windowed *w = malloc(n * sizeof *w + 1);
	long count = 0;

	*picks = malloc(n * sizeof **picks + 1);
	if (!w || !*picks) {
		free(w);
		free(*picks);
		*picks = NULL;
		return -1;
	}
	/* only the samples above min_score can be picked, and in their window's
	 * order by score they come before all the others: the rest need no sort */
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (alert_above(scaled[i], min_score))
			w[m++] = (struct windowed){ window_start ? window_start[i] : 0, scaled[i],
						    i };
	qsort(w, m, sizeof *w, cmp_windowed);
	for (size_t i = 0, rank = 0; i < m; i++) {
		rank = i > 0 && w[i].window == w[i - 1].window ? rank + 1 : 0;
		if ((int)rank < top_n)
			(*picks)[count++] = (struct alert_pick){ w[i].row, w[i].score };
	}
	free(w);
	qsort(*picks, (size_t)count, sizeof **picks, cmp_pick);
	return count;
}

int alert_above(double score, double threshold)
{
	return score > threshold + fabs(threshold) * ALERT_SCORE_PRECISION;
}
