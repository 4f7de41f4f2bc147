#include "detector/calibrate.h"

#include <math.h>
#include <string.h>

#define BIN_SCALE 20.0  /* bins per unit of asinh(score) */
#define BIN_OFFSET 5.0  /* asinh(score) of the lowest bin: scores down to -74 */

void calibrate_init(struct calibrator *c, double quantile, double halflife_seconds)
{
	memset(c, 0, sizeof *c);
	c->quantile = quantile;
	c->halflife = halflife_seconds;
	c->last = INT64_MIN;
}

static int bin_of(double score)
{
	double b = (asinh(score) + BIN_OFFSET) * BIN_SCALE;
	if (!(b > 0))
		return 0;
	return b >= CALIBRATE_BINS - 1 ? CALIBRATE_BINS - 1 : (int)b;
}

void calibrate_add(struct calibrator *c, int64_t t, const float *scaled, size_t n)
{
	if (c->last != INT64_MIN && t > c->last) {
		double keep = exp2(-(double)(t - c->last) / c->halflife);
		for (int i = 0; i < CALIBRATE_BINS; i++)
			c->bins[i] *= keep;
		c->weight *= keep;
	}
	if (t > c->last)
		c->last = t;
	for (size_t i = 0; i < n; i++)
		c->bins[bin_of(scaled[i])] += 1;
	c->weight += (double)n;
}

double calibrate_threshold(const struct calibrator *c)
{
	if (c->weight < 10 / (1 - c->quantile))
		return NAN;
	double want = c->quantile * c->weight, sum = 0;
	int i = 0;
	while (i < CALIBRATE_BINS - 1 && sum + c->bins[i] < want)
		sum += c->bins[i++];
	/* the upper edge of the bin that holds the quantile */
	return sinh((i + 1) / BIN_SCALE - BIN_OFFSET);
}
