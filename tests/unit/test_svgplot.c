/* svgplot: when a score axis turns logarithmic, what a histogram counts and
 * colours, and the bars of an explanation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/svgplot.h"

/* The SVG a chart function wrote, as a string (caller frees). */
struct drawn {
	FILE *f;
	char *text;
	size_t len;
};

static void draw_begin(struct drawn *d)
{
	d->f = open_memstream(&d->text, &d->len);
	assert_non_null(d->f);
}

static char *draw_end(struct drawn *d)
{
	assert_int_equal(fclose(d->f), 0);
	return d->text;
}

/* The sum of the counts in the titles of the bars filled with colour. */
static long counted(const char *svg, const char *colour)
{
	char fill[32];
	long sum = 0;
	snprintf(fill, sizeof fill, "fill=\"%s\"><title>", colour);
	for (const char *p = strstr(svg, fill); p; p = strstr(p + 1, fill))
		sum += strtol(p + strlen(fill), NULL, 10);
	return sum;
}

static void test_log_when_a_few_values_dwarf_the_rest(void **state)
{
	double v[200];
	(void)state;
	for (int i = 0; i < 200; i++)
		v[i] = 1 + i % 7;
	assert_false(svgplot_needs_log(v, 200));
	v[17] = 20000; /* one outlier sets the axis */
	assert_true(svgplot_needs_log(v, 200));
	v[17] = NAN;
	assert_false(svgplot_needs_log(v, 200));
	/* small values never need it, whatever their ratio */
	const double small[] = { 0.001, 0.001, 0.001, 50 };
	assert_false(svgplot_needs_log(small, 4));
	assert_false(svgplot_needs_log(NULL, 0));
}

static void test_histogram_counts_every_value_once(void **state)
{
	const double v[] = { -1, 0, 1, 1, 2, 3, 5, 8, 29, 31, 40, 900, 25000, NAN };
	struct svg_chart c = { "t", { "score", SVG_LOG }, { "samples", SVG_LOG }, 30, "threshold" };
	struct drawn d;
	(void)state;
	draw_begin(&d);
	assert_int_equal(svgplot_histogram(d.f, &c, v, 14, 40), 0);
	char *svg = draw_end(&d);
	/* 13 finite values; the four above the threshold in red, 31 too,
	 * though a bin of the plain grid would hold it with 29 */
	assert_int_equal(counted(svg, "#d62728") + counted(svg, "#8c9fb5"), 13);
	assert_int_equal(counted(svg, "#d62728"), 4);
	assert_non_null(strstr(svg, "stroke-dasharray"));
	assert_non_null(strstr(svg, ">threshold</text>"));
	/* a logarithmic axis: ticks at the powers of ten */
	assert_non_null(strstr(svg, ">1000</text>"));
	assert_non_null(strstr(svg, ">10000</text>"));
	assert_null(strstr(svg, ">5000</text>"));
	free(svg);
}

static void test_timeline_ticks_are_times_of_day(void **state)
{
	const double x[] = { 1764414420, 1764414480, 1764414780 }; /* 11:07, 11:08, 11:13 UTC */
	const double y[] = { 1, 2, 3 };
	struct svg_series s = { "top", "#000", x, y, 3, 0 };
	struct svg_chart c = { "t", { "time", SVG_TIME }, { "score", SVG_LINEAR }, NAN, NULL };
	struct drawn d;
	(void)state;
	draw_begin(&d);
	assert_int_equal(svgplot_write(d.f, &c, &s, 1), 0);
	char *svg = draw_end(&d);
	assert_non_null(strstr(svg, ">11:08</text>"));
	assert_non_null(strstr(svg, ">11:12</text>"));
	assert_null(strstr(svg, "stroke-dasharray")); /* no mark */
	free(svg);
	/* over a week: dates */
	const double days[] = { 1764414420, 1764414420 + 7 * 86400.0 };
	s = (struct svg_series){ "top", "#000", days, y, 2, 0 };
	draw_begin(&d);
	assert_int_equal(svgplot_write(d.f, &c, &s, 1), 0);
	svg = draw_end(&d);
	assert_non_null(strstr(svg, ">12-01</text>"));
	assert_null(strstr(svg, ">00:00</text>"));
	free(svg);
}

static void test_bars_with_their_labels(void **state)
{
	const char *const labels[] = { "fanout dst_ports", "a<b", "tcp rst" };
	const double values[] = { 120, 3.5, -2 };
	struct drawn d;
	(void)state;
	draw_begin(&d);
	assert_int_equal(svgplot_bars(d.f, "#1 10.0.0.1", labels, values, 3), 0);
	char *svg = draw_end(&d);
	char height[32];
	snprintf(height, sizeof height, "height=\"%d\"", svgplot_bars_height(3));
	assert_non_null(strstr(svg, height));
	assert_non_null(strstr(svg, ">fanout dst_ports</text>"));
	assert_non_null(strstr(svg, ">a&lt;b</text>")); /* escaped */
	assert_non_null(strstr(svg, ">120</text>"));
	/* positive values in red, negative ones in blue */
	assert_non_null(strstr(svg, "fill=\"#d62728\"/><text"));
	assert_non_null(strstr(svg, "fill=\"#1f77b4\"/><text"));
	free(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_when_a_few_values_dwarf_the_rest),
		cmocka_unit_test(test_histogram_counts_every_value_once),
		cmocka_unit_test(test_timeline_ticks_are_times_of_day),
		cmocka_unit_test(test_bars_with_their_labels),
	};
	return cmocka_run_group_tests_name("svgplot", tests, NULL, NULL);
}
