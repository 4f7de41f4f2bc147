/* detection: what one `flowsad detect` found (cmd_detect.c), and the
 * pictures and the page that show it (detect_page.c). */
#ifndef FLOWSAD_DETECTION_H
#define FLOWSAD_DETECTION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/dataset.h"
#include "detector/model.h"
#include "alerting/alert_select.h"
#include "report/report.h"

struct detection {
	struct model *m;
	struct dataset ds;
	float *values, *x, *raw, *scaled;
	uint8_t *side; /* [n] the side each row is told by (lib/detector/sides.h) */
	uint8_t *over; /* [n] 1: among run's top_n of its window above threshold */
	double threshold, floor; /* run's alert threshold; the min_score under it */
	double report_above;     /* the threshold, or --min-score */
	long top_n;              /* rows of the report a window at most (-n) */
	struct alert_pick *picks;
	long n_picks, n_over;
	size_t n_windows;
	/* the explanations of the picks: phi [n_picks, features] as the report
	 * gives them, top [n_picks, k] their k leading features */
	float *phi;
	int *top, k;
	int seed_presentation; /* phi zero-corrected or shifted (not run's values) */
};

/* The window (ISO 8601 into window [ISOTIME_LEN]; "" without windows) and
 * source (borrowed from ds; "" without sources) of row. */
void detect_sample_ids(const struct dataset *ds, size_t row, char *window, const char **src);

/* Opens name in folder dir for writing (its path into path [len]); logs
 * and returns NULL when it cannot. */
FILE *detect_open_output(const char *dir, const char *name, char *path, size_t len);
/* Closes f; returns EX_OK, or EX_IOERR after logging a write error. */
int detect_close_output(FILE *f, const char *path);

/* The pictures of d into dir: scores.svg (a histogram of every sample's
 * score, the threshold marked), timeline.svg (each window's top scores, the
 * samples over the threshold marked), explanations.svg (the leading Shapley
 * values of the top anomalies) and loss.svg (training). Returns a sysexits
 * code. */
int detect_write_pictures(const char *dir, const struct detection *d);

/* report.html in dir: the same pictures and the report's rows on one page
 * that needs nothing else. Returns a sysexits code. */
int detect_write_page(const char *dir, const struct detection *d);

#endif
