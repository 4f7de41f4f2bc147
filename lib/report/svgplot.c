#include "report/svgplot.h"

#include <math.h>
#include <stdlib.h>

#include "base/isotime.h"
#include "report/html.h"

enum { WIDTH = SVGPLOT_WIDTH, HEIGHT = 480, LEFT = 80, TOP = 40, BOTTOM = 60 };
enum { LEGEND = 200, NO_LEGEND = 40 }; /* the margins on the right */
enum { MAX_TICKS = 12 };
/* bars: labels on the left, values after the bars, a row each */
enum { BAR_LABELS = 260, BAR_VALUES = 80, BAR_TOP = 34, BAR_ROW = 22, BAR_BOTTOM = 8 };

#define RED "#d62728"
#define BLUE "#1f77b4"

/* The plotting area in axis units (asinh(v) on a logarithmic axis). */
struct frame {
	double x0, x1, y0, y1;
	enum svg_scale xs, ys;
	int right; /* the margin on the right: room for a legend or none */
};

void svgplot_declaration(FILE *f)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
}

static void open_svg(FILE *f, int width, int height)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		width, height, width, height);
}

static double axis_value(enum svg_scale s, double v)
{
	return s == SVG_LOG ? asinh(v) : v;
}

static double px(const struct frame *fr, double x)
{
	return LEFT + (axis_value(fr->xs, x) - fr->x0) / (fr->x1 - fr->x0) *
			      (WIDTH - LEFT - fr->right);
}

static double py(const struct frame *fr, double y)
{
	return HEIGHT - BOTTOM -
	       (axis_value(fr->ys, y) - fr->y0) / (fr->y1 - fr->y0) * (HEIGHT - TOP - BOTTOM);
}

/* A span of at least a little around a single value, and a margin so that
 * no point sits on the frame. */
static void pad(double *lo, double *hi)
{
	if (!isfinite(*lo))
		*lo = 0, *hi = 1;
	if (*hi - *lo < 1e-12)
		*lo -= 0.5, *hi += 0.5;
	double m = 0.04 * (*hi - *lo);
	*lo -= m, *hi += m;
}

static void widen(double *lo, double *hi, double v)
{
	if (isfinite(v)) {
		*lo = fmin(*lo, v);
		*hi = fmax(*hi, v);
	}
}

/* A round step giving about five ticks over span. */
static double round_step(double span)
{
	double raw = span / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;
	return mag * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
}

/* A step of seconds between times of day, at most eight over span. */
static double time_step(double span)
{
	static const double steps[] = { 1,    2,    5,     10,    15,    30,    60,
					120,  300,  600,   900,   1800,  3600,  7200,
					10800, 21600, 43200, 86400, 604800 };
	size_t i = 0;
	while (i + 1 < sizeof steps / sizeof steps[0] && span / steps[i] > 8)
		i++;
	return steps[i];
}

/* The ticks of axis units t0..t1 as values (not axis units), at most
 * MAX_TICKS, with the text of each; returns their count. */
static int ticks(enum svg_scale s, double t0, double t1, double *v, char text[][24])
{
	int n = 0;
	if (s == SVG_LOG) { /* 0, then the powers of ten of both signs */
		for (int e = -1; e <= 15; e++)
			for (int sign = e < 0 ? 1 : -1; sign <= 1; sign += 2) {
				double x = e < 0 ? 0 : sign * pow(10, e);
				if (asinh(x) >= t0 && asinh(x) <= t1 && n < MAX_TICKS)
					snprintf(text[n], 24, "%g", x), v[n++] = x;
			}
		return n;
	}
	double step = s == SVG_TIME ? time_step(t1 - t0) : round_step(t1 - t0);
	for (double x = ceil(t0 / step) * step; x <= t1 + 1e-9 * step && n < MAX_TICKS; x += step) {
		if (s == SVG_TIME) {
			unsigned t = (unsigned)fmod(fmod(x, 86400) + 86400, 86400);
			char day[ISOTIME_LEN];
			if (step >= 86400) /* days: their date, MM-DD */
				snprintf(text[n], 24, "%.5s", isotime_format((int64_t)x, day) + 5);
			else if (step < 60)
				snprintf(text[n], 24, "%02u:%02u:%02u", t / 3600, t / 60 % 60,
					 t % 60);
			else
				snprintf(text[n], 24, "%02u:%02u", t / 3600, t / 60 % 60);
		} else {
			snprintf(text[n], 24, "%g", fabs(x) < 1e-9 * step ? 0.0 : x);
		}
		v[n++] = x;
	}
	return n;
}

static void write_frame(FILE *f, const struct frame *fr, const struct svg_chart *c)
{
	double v[MAX_TICKS];
	char text[MAX_TICKS][24];
	int cx = (WIDTH - fr->right + LEFT) / 2, cy = (HEIGHT - BOTTOM + TOP) / 2;

	fprintf(f, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">", cx);
	html_text(f, c->title);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", cx, HEIGHT - 15);
	html_text(f, c->x.label);
	fprintf(f, "</text>\n<text x=\"18\" y=\"%d\" text-anchor=\"middle\" "
		   "transform=\"rotate(-90 18 %d)\">", cy, cy);
	html_text(f, c->y.label);
	fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		   "stroke=\"#444\"/>\n",
		LEFT, TOP, WIDTH - LEFT - fr->right, HEIGHT - TOP - BOTTOM);
	for (int i = 0, n = ticks(fr->xs, fr->x0, fr->x1, v, text); i < n; i++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			px(fr, v[i]), HEIGHT - BOTTOM, px(fr, v[i]), HEIGHT - BOTTOM + 5,
			px(fr, v[i]), HEIGHT - BOTTOM + 20, text[i]);
	for (int i = 0, n = ticks(fr->ys, fr->y0, fr->y1, v, text); i < n; i++)
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			LEFT - 5, py(fr, v[i]), LEFT, py(fr, v[i]), LEFT - 8, py(fr, v[i]) + 4,
			text[i]);
}

/* The mark: a dashed line across the x axis (vertical) or the y axis. */
static void write_mark(FILE *f, const struct frame *fr, const struct svg_chart *c, int vertical)
{
	double x1, y1, x2, y2;
	if (!isfinite(c->mark))
		return;
	if (vertical)
		x1 = x2 = px(fr, c->mark), y1 = TOP, y2 = HEIGHT - BOTTOM;
	else
		x1 = LEFT, x2 = WIDTH - fr->right, y1 = y2 = py(fr, c->mark);
	fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" RED "\" "
		   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		   "text-anchor=\"end\" fill=\"" RED "\">",
		x1, y1, x2, y2, x2 - 4, vertical ? y1 + 14 : y1 - 5);
	html_text(f, c->mark_label ? c->mark_label : "");
	fputs("</text>\n", f);
}

static void write_series(FILE *f, const struct frame *fr, const struct svg_series *s, int index)
{
	if (s->line && s->n > 1) {
		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			s->color);
		for (size_t j = 0; j < s->n; j++)
			if (isfinite(s->x[j]) && isfinite(s->y[j]))
				fprintf(f, "%.1f,%.1f ", px(fr, s->x[j]), py(fr, s->y[j]));
		fputs("\"/>\n", f);
	}
	for (size_t j = 0; j < s->n; j++)
		if (isfinite(s->x[j]) && isfinite(s->y[j]))
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\" fill=\"%s\"/>\n",
				px(fr, s->x[j]), py(fr, s->y[j]), s->line ? 3 : 4, s->color);
	int ly = TOP + 10 + 22 * index;
	fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
		WIDTH - LEGEND + 20, ly, s->color, WIDTH - LEGEND + 32, ly + 5);
	html_text(f, s->label);
	fprintf(f, " (%zu)</text>\n", s->n);
}

int svgplot_write(FILE *f, const struct svg_chart *c, const struct svg_series *s, int n_series)
{
	struct frame fr = { INFINITY, -INFINITY, INFINITY, -INFINITY, c->x.scale, c->y.scale,
			    LEGEND };

	for (int i = 0; i < n_series; i++)
		for (size_t j = 0; j < s[i].n; j++)
			if (isfinite(s[i].x[j]) && isfinite(s[i].y[j])) {
				widen(&fr.x0, &fr.x1, axis_value(fr.xs, s[i].x[j]));
				widen(&fr.y0, &fr.y1, axis_value(fr.ys, s[i].y[j]));
			}
	widen(&fr.y0, &fr.y1, axis_value(fr.ys, c->mark));
	pad(&fr.x0, &fr.x1);
	pad(&fr.y0, &fr.y1);
	open_svg(f, WIDTH, HEIGHT);
	write_frame(f, &fr, c);
	write_mark(f, &fr, c, 0);
	for (int i = 0; i < n_series; i++)
		write_series(f, &fr, &s[i], i);
	fputs("</svg>\n", f);
	return ferror(f) ? -1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int svgplot_needs_log(const double *v, size_t n)
{
	double *m = malloc(n * sizeof *m + 1), top = 0;
	size_t k = 0;

	if (!m)
		return 0; /* a linear axis is still a picture */
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i])) {
			m[k] = fabs(v[i]);
			top = fmax(top, m[k++]);
		}
	qsort(m, k, sizeof *m, cmp_double);
	int log = k > 0 && top > 100 && top > 100 * m[k / 2];
	free(m);
	return log;
}

int svgplot_histogram(FILE *f, const struct svg_chart *c, const double *v, size_t n, int bins)
{
	struct frame fr = { INFINITY, -INFINITY, 0, 0, c->x.scale, c->y.scale, NO_LEGEND };
	int nb = bins + 1; /* the grid moved to meet the mark needs one more */
	size_t *count = calloc((size_t)nb, sizeof *count), most = 0;

	if (!count || bins < 1) {
		free(count);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		widen(&fr.x0, &fr.x1, axis_value(fr.xs, v[i]));
	widen(&fr.x0, &fr.x1, axis_value(fr.xs, c->mark));
	pad(&fr.x0, &fr.x1);
	double width = (fr.x1 - fr.x0) / bins;
	double mark = isfinite(c->mark) ? axis_value(fr.xs, c->mark) : INFINITY;
	if (isfinite(mark)) /* a bin edge on the mark: each bin is under it or over it */
		fr.x0 -= width - fmod(mark - fr.x0, width);
	fr.x1 = fr.x0 + nb * width;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		int b = (int)floor((axis_value(fr.xs, v[i]) - fr.x0) / width);
		b = b < 0 ? 0 : b >= nb ? nb - 1 : b;
		most = ++count[b] > most ? count[b] : most;
	}
	fr.y1 = 1.05 * axis_value(fr.ys, most > 0 ? (double)most : 1);
	open_svg(f, WIDTH, HEIGHT);
	write_frame(f, &fr, c);
	double scale = (WIDTH - LEFT - fr.right) / (fr.x1 - fr.x0);
	for (int b = 0; b < nb; b++) {
		double lo = fr.x0 + b * width, top = py(&fr, (double)count[b]);
		if (count[b] == 0)
			continue;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			   "fill=\"%s\"><title>%zu</title></rect>\n",
			LEFT + (lo - fr.x0) * scale + 0.5, top, width * scale - 1,
			HEIGHT - BOTTOM - top, lo >= mark - width / 2 ? RED : "#8c9fb5", count[b]);
	}
	write_mark(f, &fr, c, 1);
	fputs("</svg>\n", f);
	free(count);
	return ferror(f) ? -1 : 0;
}

int svgplot_bars_height(int n)
{
	return BAR_TOP + BAR_ROW * n + BAR_BOTTOM;
}

int svgplot_bars(FILE *f, const char *title, const char *const *labels, const double *values,
		 int n)
{
	double lo = 0, hi = 0;
	for (int i = 0; i < n; i++)
		widen(&lo, &hi, values[i]);
	if (hi - lo < 1e-12)
		hi = lo + 1;
	double scale = (WIDTH - BAR_LABELS - BAR_VALUES) / (hi - lo);
	double zero = BAR_LABELS + -lo * scale;

	open_svg(f, WIDTH, svgplot_bars_height(n));
	fputs("<text x=\"10\" y=\"20\" font-size=\"14\">", f);
	html_text(f, title);
	fputs("</text>\n", f);
	for (int i = 0; i < n; i++) {
		double y = BAR_TOP + i * BAR_ROW, end = zero + values[i] * scale;
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", BAR_LABELS - 8,
			y + 13);
		html_text(f, labels[i]);
		fprintf(f, "</text><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
			   "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">%.4g</text>\n",
			fmin(zero, end), y, fabs(end - zero), BAR_ROW - 6,
			values[i] < 0 ? BLUE : RED, fmax(zero, end) + 4, y + 13, values[i]);
	}
	fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>\n", zero,
		BAR_TOP - 4, zero, BAR_TOP + BAR_ROW * n);
	fputs("</svg>\n", f);
	return ferror(f) ? -1 : 0;
}
