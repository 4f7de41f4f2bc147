/* svgplot: a small SVG chart writer (axes with round ticks, series as lines
 * or dots, a legend) for the pictures of `flowsad detect`. */
#ifndef FLOWSAD_SVGPLOT_H
#define FLOWSAD_SVGPLOT_H

#include <stddef.h>
#include <stdio.h>

struct svg_series {
	const char *label;
	const char *color;  /* any SVG colour */
	const double *x, *y;
	size_t n;
	int line;           /* 1: a polyline with dots; 0: dots only */
};

/* Writes a 720x480 chart to f. Returns 0, or -1 when f reports an error. */
int svgplot_write(FILE *f, const char *title, const char *xlabel, const char *ylabel,
		  const struct svg_series *series, int n_series);

#endif
