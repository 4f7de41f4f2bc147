#include "report/svgplot.h"

#include <math.h>
#include <string.h>

enum { WIDTH = 760, HEIGHT = 480, LEFT = 80, RIGHT = 200, TOP = 40, BOTTOM = 60 };

struct frame {
	double x0, x1, y0, y1;
};

static void write_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void data_range(const struct svg_series *s, int n, struct frame *fr)
{
	fr->x0 = fr->y0 = INFINITY;
	fr->x1 = fr->y1 = -INFINITY;
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < s[i].n; j++) {
			if (!isfinite(s[i].x[j]) || !isfinite(s[i].y[j]))
				continue;
			fr->x0 = fmin(fr->x0, s[i].x[j]);
			fr->x1 = fmax(fr->x1, s[i].x[j]);
			fr->y0 = fmin(fr->y0, s[i].y[j]);
			fr->y1 = fmax(fr->y1, s[i].y[j]);
		}
	if (!isfinite(fr->x0))
		fr->x0 = 0, fr->x1 = 1, fr->y0 = 0, fr->y1 = 1;
	if (fr->x1 - fr->x0 < 1e-12)
		fr->x0 -= 0.5, fr->x1 += 0.5;
	if (fr->y1 - fr->y0 < 1e-12)
		fr->y0 -= 0.5, fr->y1 += 0.5;
	/* a margin so that no point sits on the frame */
	double mx = 0.04 * (fr->x1 - fr->x0), my = 0.04 * (fr->y1 - fr->y0);
	fr->x0 -= mx, fr->x1 += mx, fr->y0 -= my, fr->y1 += my;
}

/* A round tick step giving about five ticks over span. */
static double tick_step(double span)
{
	double raw = span / 5, mag = pow(10, floor(log10(raw))), r = raw / mag;
	return mag * (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10);
}

static double px(const struct frame *fr, double x)
{
	return LEFT + (x - fr->x0) / (fr->x1 - fr->x0) * (WIDTH - LEFT - RIGHT);
}

static double py(const struct frame *fr, double y)
{
	return HEIGHT - BOTTOM - (y - fr->y0) / (fr->y1 - fr->y0) * (HEIGHT - TOP - BOTTOM);
}

static void write_axes(FILE *f, const struct frame *fr)
{
	double sx = tick_step(fr->x1 - fr->x0), sy = tick_step(fr->y1 - fr->y0);

	fprintf(f,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#444\"/>\n",
		LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
	for (double t = ceil(fr->x0 / sx) * sx; t <= fr->x1 + 1e-9 * sx; t += sx)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
			px(fr, t), HEIGHT - BOTTOM, px(fr, t), HEIGHT - BOTTOM + 5, px(fr, t),
			HEIGHT - BOTTOM + 20, fabs(t) < 1e-12 * sx ? 0.0 : t);
	for (double t = ceil(fr->y0 / sy) * sy; t <= fr->y1 + 1e-9 * sy; t += sy)
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			LEFT - 5, py(fr, t), LEFT, py(fr, t), LEFT - 8, py(fr, t) + 4,
			fabs(t) < 1e-12 * sy ? 0.0 : t);
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
				px(fr, s->x[j]), py(fr, s->y[j]), s->line ? 3 : 2, s->color);
	int ly = TOP + 10 + 22 * index;
	fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">",
		WIDTH - RIGHT + 20, ly, s->color, WIDTH - RIGHT + 32, ly + 5);
	write_text(f, s->label);
	fprintf(f, " (%zu)</text>\n", s->n);
}

int svgplot_write(FILE *f, const char *title, const char *xlabel, const char *ylabel,
		  const struct svg_series *series, int n_series)
{
	struct frame fr;

	data_range(series, n_series, &fr);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		WIDTH, HEIGHT, WIDTH, HEIGHT);
	fprintf(f, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">",
		(WIDTH - RIGHT + LEFT) / 2);
	write_text(f, title);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
		(WIDTH - RIGHT + LEFT) / 2, HEIGHT - 15);
	write_text(f, xlabel);
	fprintf(f,
		"</text>\n<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 "
		"%d)\">",
		(HEIGHT - BOTTOM + TOP) / 2, (HEIGHT - BOTTOM + TOP) / 2);
	write_text(f, ylabel);
	fputs("</text>\n", f);
	write_axes(f, &fr);
	for (int i = 0; i < n_series; i++)
		write_series(f, &fr, &series[i], i);
	fputs("</svg>\n", f);
	return ferror(f) ? -1 : 0;
}
