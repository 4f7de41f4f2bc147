/* calibrate: the alert threshold that recent traffic implies. A decayed
 * histogram of the scaled scores of every sample scored (half-life in event
 * time), whose high quantile rises when the network's normal gets noisier,
 * so that a threshold fitted once at training does not turn into a stream
 * of alerts. Bins are 5 % wide in asinh(score): enough to place a quantile,
 * small enough (400 doubles) to need no bound. */
#ifndef FLOWSAD_CALIBRATE_H
#define FLOWSAD_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>

#define CALIBRATE_BINS 400

struct calibrator {
	double quantile;            /* in (0, 1) */
	double halflife;            /* seconds of event time */
	int64_t last;               /* the last window added (INT64_MIN: none) */
	double weight;              /* decayed number of samples */
	double bins[CALIBRATE_BINS];
};

void calibrate_init(struct calibrator *c, double quantile, double halflife_seconds);
/* Adds the scaled scores of the window that starts at t (older counts
 * decay by the time since the last window). */
void calibrate_add(struct calibrator *c, int64_t t, const float *scaled, size_t n);
/* The quantile of the recent scores, once they weigh at least 10 / (1 -
 * quantile) samples (fewer cannot place it); NAN before. */
double calibrate_threshold(const struct calibrator *c);

#endif
