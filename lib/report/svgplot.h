/* svgplot: the SVG charts of `flowsad detect`: series as lines or dots over
 * axes with round ticks, a histogram, and horizontal bars. Each writes one
 * <svg> element to f and nothing before it, so that it can make a file
 * (after svgplot_declaration) or stand inline in an HTML page. Axes are
 * linear, times (Unix seconds; ticks at UTC times of day, or at dates,
 * MM-DD, when they are days apart) or logarithmic; the
 * logarithmic axis is asinh(v), linear near 0 and logarithmic beyond 1 in
 * magnitude, so that the zero and negative scores of a score axis have a
 * place on it. */
#ifndef FLOWSAD_SVGPLOT_H
#define FLOWSAD_SVGPLOT_H

#include <stddef.h>
#include <stdio.h>

/* The width of every chart, in pixels. */
#define SVGPLOT_WIDTH 760

enum svg_scale { SVG_LINEAR, SVG_LOG, SVG_TIME };

struct svg_axis {
	const char *label;
	enum svg_scale scale;
};

struct svg_chart {
	const char *title;
	struct svg_axis x, y;
	/* A dashed line with its label at this value (NAN: none): across the x
	 * axis in a histogram, across the y axis in a chart of series. */
	double mark;
	const char *mark_label;
};

struct svg_series {
	const char *label;
	const char *color;  /* any SVG colour */
	const double *x, *y;
	size_t n;
	int line;           /* 1: a polyline with dots; 0: dots only */
};

/* The XML declaration that starts an SVG file. */
void svgplot_declaration(FILE *f);

/* Whether values v [n] need a logarithmic axis: when the largest magnitude
 * is over 100 times the median one (and over 100), a linear axis would
 * crowd nearly all of them into its first hundredth. */
int svgplot_needs_log(const double *v, size_t n);

/* A chart 480 high of the series, a legend on the right. Returns 0, or -1
 * when f reports an error. */
int svgplot_write(FILE *f, const struct svg_chart *c, const struct svg_series *s, int n_series);

/* A histogram 480 high of v [n] (non-finite values left out) in bins of equal
 * width on c's x axis, one of their edges on the mark; the bars over the
 * mark are drawn in red. The y axis
 * counts samples (c->y: its label and scale). Returns 0, or -1 when f
 * reports an error. */
int svgplot_histogram(FILE *f, const struct svg_chart *c, const double *v, size_t n, int bins);

/* Height of the chart svgplot_bars draws for n bars. */
int svgplot_bars_height(int n);
/* Horizontal bars of values [n], each with its label on the left and its
 * value at its end, from a zero line; svgplot_bars_height(n) high. Returns
 * 0, or -1 when f reports an error. */
int svgplot_bars(FILE *f, const char *title, const char *const *labels, const double *values,
		 int n);

#endif
