/* report: which features explain a reported sample (which samples are
 * reported: test_alert_select.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "report/report.h"

static void test_top_features(void **state)
{
	const float phi[] = { 0.1f, 3, -2, 3, 0.5f };
	int top[3];
	(void)state;
	report_top_features(phi, 5, 3, top);
	assert_int_equal(top[0], 1); /* a tie goes to the lower index */
	assert_int_equal(top[1], 3);
	assert_int_equal(top[2], 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_features),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
