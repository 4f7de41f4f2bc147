/* The side a sample is told by (lib/detector/sides.h): what it opened,
 * unless it opened nothing, or serves something new and scores higher
 * there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "detector/sides.h"

/* Three columns, z-scored so that a scaled 0 is not 0: opened packets,
 * served bytes, host new_served. */
static char *names[] = { "volume packets", "serve bytes", "host new_served" };
static float offset[] = { 2, 5, 0.25f }, mult[] = { 0.5f, 0.1f, 4 };

static void model_of_three(struct model *m)
{
	*m = (struct model){ .n_features = 3, .features = names };
	m->scaler = (struct scaler){ SCALER_ZSCORE, 3, offset, mult };
}

/* A row of the raw counts given, scaled as the model's inputs are. */
static void scaled(const struct model *m, float packets, float bytes, float new_served,
		   float *row)
{
	row[0] = packets, row[1] = bytes, row[2] = new_served;
	scaler_apply(&m->scaler, row, 1);
}

/* The sides of the three-column model, for a test (setup and teardown). */
static int sides_up(void **state)
{
	static struct model m;
	static struct sides s;
	model_of_three(&m);
	assert_int_equal(sides_init(&s, &m), 0);
	*state = &s;
	return 0;
}

static int sides_down(void **state)
{
	sides_free(*state);
	return 0;
}

static void test_opened_unless_nothing_opened(void **state)
{
	const struct sides *s = *state;
	struct model m;
	float row[3];
	model_of_three(&m);
	scaled(&m, 10, 900, 0, row);
	assert_int_equal(sides_pick(s, row, 1.0f, NAN), BASELINE_OPENED);
	assert_int_equal(sides_pick(s, row, NAN, 4.0f), BASELINE_SERVED);
	/* a higher served score of a service it long served tells nothing */
	assert_int_equal(sides_pick(s, row, 1.0f, 40.0f), BASELINE_OPENED);
}

static void test_serving_something_new_ranks_by_it(void **state)
{
	const struct sides *s = *state;
	struct model m;
	float row[3];
	model_of_three(&m);
	scaled(&m, 10, 900, (float)log1p(1), row);
	assert_int_equal(sides_pick(s, row, 1.0f, 40.0f), BASELINE_SERVED);
	assert_int_equal(sides_pick(s, row, 50.0f, 40.0f), BASELINE_OPENED);
	assert_int_equal(sides_pick(s, row, 1.0f, NAN), BASELINE_OPENED);
}

/* A model without the host features (a matrix, or no memory): as before. */
static void test_no_host_features(void **state)
{
	(void)state;
	struct model m;
	struct sides s;
	float row[3] = { 1, 2, 3 };
	model_of_three(&m);
	m.n_features = 2;
	m.scaler.dim = 2;
	assert_int_equal(sides_init(&s, &m), 0);
	assert_int_equal(s.new_served, -1);
	assert_int_equal(sides_pick(&s, row, 1.0f, 40.0f), BASELINE_OPENED);
	sides_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_opened_unless_nothing_opened, sides_up,
						sides_down),
		cmocka_unit_test_setup_teardown(test_serving_something_new_ranks_by_it, sides_up,
						sides_down),
		cmocka_unit_test(test_no_host_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
