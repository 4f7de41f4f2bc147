#include "cmd/detection.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/isotime.h"
#include "common/log.h"
#include "report/html.h"
#include "report/svgplot.h"

#define EXPLAINED_PICTURES 5 /* top anomalies whose Shapley values are drawn */
#define HISTOGRAM_BINS 50

FILE *detect_open_output(const char *dir, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		log_err("%s: %s", path, strerror(errno));
	return f;
}

int detect_close_output(FILE *f, const char *path)
{
	if (ferror(f) | (fclose(f) != 0)) {
		log_err("%s: write error", path);
		return EX_IOERR;
	}
	return EX_OK;
}

/* A picture of d to f; returns 0, or -1 when it could not be drawn. */
typedef int (*chart_fn)(FILE *f, const struct detection *d);

/* A histogram of every sample's score, the alert threshold marked. */
static int chart_scores(FILE *f, const struct detection *d)
{
	double *v = malloc(d->ds.n * sizeof *v + 1);
	char title[96], mark[64];

	if (!v)
		return -1;
	for (size_t i = 0; i < d->ds.n; i++)
		v[i] = d->scaled[i];
	int log = svgplot_needs_log(v, d->ds.n);
	snprintf(title, sizeof title, "scores of the %zu samples", d->ds.n);
	snprintf(mark, sizeof mark, "alert threshold %.4g", d->threshold);
	struct svg_chart c = { title,
			       { log ? "score (logarithmic axis)" : "score",
				 log ? SVG_LOG : SVG_LINEAR },
			       { "samples (logarithmic axis)", SVG_LOG },
			       d->threshold,
			       mark };
	int rc = svgplot_histogram(f, &c, v, d->ds.n, HISTOGRAM_BINS);
	free(v);
	return rc;
}

/* Each window's top_n scores against time; those over the alert threshold
 * (the samples run would alert but for its gates) in red. */
static int chart_timeline(FILE *f, const struct detection *d)
{
	struct alert_pick *top;
	long n = alert_select(d->ds.window_start, d->scaled, d->ds.n, (int)d->top_n, -INFINITY,
			      &top);
	size_t cap = (size_t)(n > 0 ? n : 0) + (size_t)(d->n_over > 0 ? d->n_over : 0);
	double *x = malloc(2 * cap * sizeof *x + 1), *y = x ? x + cap : NULL;
	size_t under = 0, all;
	char title[96], xlabel[96], mark[64], first[ISOTIME_LEN];

	if (n < 0 || !x) {
		free(top);
		free(x);
		return -1;
	}
	/* the samples under the threshold first, then the ones over it */
	for (long i = 0; i < n; i++)
		if (!d->over[top[i].row]) {
			x[under] = d->ds.window_start ? (double)d->ds.window_start[top[i].row] : 0;
			y[under++] = top[i].score;
		}
	all = under;
	for (size_t i = 0; i < d->ds.n; i++)
		if (d->over[i]) {
			x[all] = d->ds.window_start ? (double)d->ds.window_start[i] : 0;
			y[all++] = d->scaled[i];
		}
	int log = svgplot_needs_log(y, all);
	snprintf(title, sizeof title, "the %ld highest scores of each window", d->top_n);
	snprintf(xlabel, sizeof xlabel, "window start, UTC (the first %s)",
		 d->ds.window_start && d->ds.n ? isotime_format(d->ds.window_start[0], first)
					       : "none: no windows in the input");
	snprintf(mark, sizeof mark, "alert threshold %.4g", d->threshold);
	struct svg_series s[2] = {
		{ "under the threshold", "#8c9fb5", x, y, under, 0 },
		{ "over the threshold", "#d62728", x + under, y + under, all - under, 0 },
	};
	struct svg_chart c = { title,
			       { xlabel, d->ds.window_start ? SVG_TIME : SVG_LINEAR },
			       { log ? "score (logarithmic axis)" : "score",
				 log ? SVG_LOG : SVG_LINEAR },
			       d->threshold,
			       mark };
	int rc = svgplot_write(f, &c, s, 2);
	free(top);
	free(x);
	return rc;
}

static void sample_name(const struct detection *d, long pick, char *text, size_t len)
{
	char window[ISOTIME_LEN];
	const char *src;
	size_t row = d->picks[pick].row;
	detect_sample_ids(&d->ds, row, window, &src);
	snprintf(text, len, "#%ld  %s  %s  score %.6g%s", pick + 1, window, src,
		 d->picks[pick].score, d->over[row] ? ", over the alert threshold" : "");
}

/* The leading Shapley values of pick, as bars. */
static int chart_pick(FILE *f, const struct detection *d, long pick)
{
	int dim = d->m->n_features;
	const char **names = malloc((size_t)d->k * sizeof *names + 1);
	double *phi = malloc((size_t)d->k * sizeof *phi + 1);
	char title[160];
	int rc = -1;

	if (names && phi) {
		for (int j = 0; j < d->k; j++) {
			int feature = d->top[pick * d->k + j];
			names[j] = d->m->features[feature];
			phi[j] = d->phi[pick * dim + feature];
		}
		sample_name(d, pick, title, sizeof title);
		rc = svgplot_bars(f, title, names, phi, d->k);
	}
	free(names);
	free(phi);
	return rc;
}

static long explained(const struct detection *d)
{
	return d->n_picks < EXPLAINED_PICTURES ? d->n_picks : EXPLAINED_PICTURES;
}

/* The top anomalies' bars, one above the other. */
static int chart_explanations(FILE *f, const struct detection *d)
{
	int h = svgplot_bars_height(d->k), rc = 0;
	long n = explained(d);

	if (n == 0)
		return svgplot_bars(f, "no anomaly was reported", NULL, NULL, 0);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%ld\">\n",
		SVGPLOT_WIDTH, h * n);
	for (long i = 0; i < n && rc == 0; i++) {
		fprintf(f, "<g transform=\"translate(0 %ld)\">\n", h * i);
		rc = chart_pick(f, d, i);
		fputs("</g>\n", f);
	}
	fputs("</svg>\n", f);
	return rc;
}

static int chart_loss(FILE *f, const struct detection *d)
{
	const struct deepsad *det = &d->m->det;
	int np = det->n_loss_pretrain, nt = det->n_loss_train, most = np > nt ? np : nt;
	double *epoch = malloc(sizeof(double) * (size_t)(most + 1));

	if (!epoch)
		return -1;
	for (int i = 0; i <= most; i++)
		epoch[i] = i + 1;
	struct svg_series s[2] = {
		{ "pre-training (MSE)", "#1f77b4", epoch, det->loss_pretrain, (size_t)np, 1 },
		{ "Deep SAD training", "#d62728", epoch, det->loss_train, (size_t)nt, 1 },
	};
	struct svg_chart c = { "detector training loss per epoch",
			       { "epoch", SVG_LINEAR },
			       { "mean loss", SVG_LINEAR },
			       NAN,
			       NULL };
	int rc = svgplot_write(f, &c, np ? s : s + 1, np ? 2 : 1);
	free(epoch);
	return rc;
}

static int write_svg_file(const char *dir, const char *name, chart_fn chart,
			  const struct detection *d)
{
	char path[4096];
	FILE *f = detect_open_output(dir, name, path, sizeof path);
	if (!f)
		return EX_CANTCREAT;
	svgplot_declaration(f);
	if (chart(f, d) < 0) {
		log_err("%s: out of memory", path);
		fclose(f);
		return EX_OSERR;
	}
	return detect_close_output(f, path);
}

int detect_write_pictures(const char *dir, const struct detection *d)
{
	static const struct {
		const char *name;
		chart_fn chart;
	} pictures[] = {
		{ "scores.svg", chart_scores },
		{ "timeline.svg", chart_timeline },
		{ "explanations.svg", chart_explanations },
		{ "loss.svg", chart_loss },
	};
	int rc = EX_OK;
	for (size_t i = 0; i < sizeof pictures / sizeof pictures[0] && rc == EX_OK; i++)
		rc = write_svg_file(dir, pictures[i].name, pictures[i].chart, d);
	return rc;
}

static void page_summary(FILE *f, const struct detection *d)
{
	char first[ISOTIME_LEN], last[ISOTIME_LEN] = "";
	int64_t lo = 0, hi = 0;

	for (size_t i = 0; d->ds.window_start && i < d->ds.n; i++) {
		lo = i == 0 || d->ds.window_start[i] < lo ? d->ds.window_start[i] : lo;
		hi = i == 0 || d->ds.window_start[i] > hi ? d->ds.window_start[i] : hi;
	}
	fprintf(f, "<p>Model <code>%s</code>; %zu samples in %zu window(s)", d->m->id, d->ds.n,
		d->n_windows);
	if (d->ds.window_start && d->ds.n)
		fprintf(f, ", from %s to %s", isotime_format(lo, first), isotime_format(hi, last));
	fprintf(f, ".</p>\n<p>Alert threshold <b>%.6g</b>, as <code>flowsad run</code> takes it: "
		   "the largest of [alerts] min_score (%g) and the model's calibrated threshold "
		   "(",
		d->threshold, d->floor);
	if (d->m->calib_quantile > 0)
		fprintf(f, "%.6g, the %g quantile of its training scores", d->m->calib_threshold,
			d->m->calib_quantile);
	else
		fputs("none: the model has no calibration", f);
	fprintf(f, "). <b>%ld</b> sample(s) are over it, at most [alerts] top_n of a window: "
		   "<code>flowsad run</code> alerts these unless one of its gates holds one back "
		   "(the source's usual score, a served side that is not new or that answered a "
		   "source alerted for what it opened, a repeat of an open incident, the quantile "
		   "of recent windows' scores). It may also alert a sample by what it served, "
		   "which this report scores by what it opened.</p>\n"
		   "<p>The report lists <b>%ld</b> sample(s) above %.6g, at most %ld a window; "
		   "the rows over the alert threshold are shaded. Each feature is given with its "
		   "Shapley value and its own value.",
		d->n_over, d->n_picks, d->report_above, d->top_n);
	fputs(d->seed_presentation
		      ? " The Shapley values are in the seed's presentation (0 for a feature whose "
			"value is 0, the others shifted so that the least is 1): they rank the "
			"features; <code>--no-zero-correction --no-shift</code> gives each one's "
			"share of the score, as the alerts of <code>flowsad run</code> do.</p>\n"
		      : " A Shapley value is the feature's share of the score, as in the alerts "
			"of <code>flowsad run</code>.</p>\n",
	      f);
}

static void page_table(FILE *f, const struct detection *d)
{
	int dim = d->m->n_features;
	char window[ISOTIME_LEN];
	const char *src;

	fputs("<table>\n<tr><th>#</th><th>window start</th><th>source</th><th>score</th>"
	      "<th>over threshold</th>",
	      f);
	for (int j = 1; j <= d->k; j++)
		fprintf(f, "<th>feature %d: Shapley value; value</th>", j);
	fputs("</tr>\n", f);
	for (long i = 0; i < d->n_picks; i++) {
		size_t row = d->picks[i].row;
		detect_sample_ids(&d->ds, row, window, &src);
		fprintf(f, "<tr%s><td class=\"num\">%ld</td><td>%s</td><td>",
			d->over[row] ? " class=\"over\"" : "", i + 1, window);
		html_text(f, src);
		fprintf(f, "</td><td class=\"num\">%.6g</td><td>%s</td>", d->picks[i].score,
			d->over[row] ? "yes" : "no");
		for (int j = 0; j < d->k; j++) {
			int feature = d->top[i * d->k + j];
			fputs("<td>", f);
			html_text(f, d->m->features[feature]);
			fprintf(f, "<br>%.4g; %.4g</td>", d->phi[i * dim + feature],
				d->values[row * (size_t)dim + (size_t)feature]);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static int page_figure(FILE *f, const char *heading, chart_fn chart, const struct detection *d)
{
	fprintf(f, "<h2>%s</h2>\n<figure>\n", heading);
	int rc = chart(f, d);
	fputs("</figure>\n", f);
	return rc;
}

int detect_write_page(const char *dir, const struct detection *d)
{
	char path[4096], title[128];
	FILE *f = detect_open_output(dir, "report.html", path, sizeof path);
	int rc = 0;

	if (!f)
		return EX_CANTCREAT;
	snprintf(title, sizeof title, "flowsad detect: %ld anomal%s, %ld over the alert threshold",
		 d->n_picks, d->n_picks == 1 ? "y" : "ies", d->n_over);
	html_begin(f, title);
	page_summary(f, d);
	rc |= page_figure(f, "Scores", chart_scores, d);
	rc |= page_figure(f, "Timeline", chart_timeline, d);
	fputs("<h2>Anomalies</h2>\n", f);
	page_table(f, d);
	fputs("<h2>What explains the top anomalies</h2>\n", f);
	if (d->n_picks == 0)
		fputs("<p>No anomaly was reported.</p>\n", f);
	for (long i = 0; i < explained(d); i++) {
		fputs("<figure>\n", f);
		rc |= chart_pick(f, d, i);
		fputs("</figure>\n", f);
	}
	rc |= page_figure(f, "Training", chart_loss, d);
	if (rc < 0) {
		log_err("%s: out of memory", path);
		fclose(f);
		return EX_OSERR;
	}
	html_end(f);
	return detect_close_output(f, path);
}
