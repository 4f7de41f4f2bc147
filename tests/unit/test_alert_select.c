/* alert_select: which samples are reported (top_n a window above the
 * threshold), the rule of the daemon's alerts and of detect's report. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "alerting/alert_select.h"

/* Three windows interleaved, the threshold between the scores: at most
 * top_n a window above it, all of them sorted by score, ties by row. */
static void test_select_top_n_a_window(void **state)
{
	const int64_t window[] = { 60, 0, 60, 0, 120, 0, 60, 0, 120, 60 };
	const float score[] = { 5, 9, 7, 1, 4, 8, 7, -INFINITY, 2, NAN };
	struct alert_pick *picks;
	(void)state;
	long n = alert_select(window, score, 10, 2, 3, &picks);
	/* window 0: 9 (row 1), 8 (row 5); window 60: 7 (rows 2 and 6; 5 is third);
	 * window 120: 4 (row 4; 2 is below the threshold) */
	assert_int_equal(n, 5);
	const size_t rows[] = { 1, 5, 2, 6, 4 };
	for (long i = 0; i < n; i++)
		assert_int_equal(picks[i].row, rows[i]);
	assert_float_equal(picks[0].score, 9, 0);
	free(picks);
	/* no windows: one; nothing above the threshold: none */
	assert_int_equal(alert_select(NULL, score, 10, 3, 3, &picks), 3);
	assert_int_equal(picks[0].row, 1);
	assert_int_equal(picks[2].row, 2); /* 7 twice: the lower row first */
	free(picks);
	assert_int_equal(alert_select(window, score, 10, 5, 100, &picks), 0);
	free(picks);
	/* a score at the threshold but for the last digits of a float is at it */
	const float tie[] = { 9, 9.00001f, 9.01f };
	assert_int_equal(alert_select(NULL, tie, 3, 5, 9, &picks), 1);
	assert_int_equal(picks[0].row, 2);
	free(picks);
	assert_false(alert_above(NAN, 9));
	assert_true(alert_above(-99.9, -100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_top_n_a_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
