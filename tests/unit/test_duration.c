/* duration and isotime: the text forms of windows and timestamps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/duration.h"
#include "base/isotime.h"

static void test_duration_accepts_units(void **state)
{
	static const struct { const char *text; uint32_t seconds; } cases[] = {
		{ "90s", 90 }, { "5m", 300 }, { "1h", 3600 }, { "1h30m", 5400 },
		{ "300", 300 }, { "2d", 172800 }, { "1m30s", 90 }, { "0", 0 }, { "0s", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t s = 42;
		assert_int_equal(duration_parse(cases[i].text, &s), 0);
		assert_int_equal(s, cases[i].seconds);
	}
}

static void test_duration_rejects_malformed(void **state)
{
	static const char *bad[] = { "", "m", "5x", "-5m", "1h30", "5 m", "1.5h" };
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t s = 42;
		assert_int_equal(duration_parse(bad[i], &s), -EINVAL);
		assert_int_equal(s, 42);
	}
	uint32_t s;
	assert_int_equal(duration_parse("400d", &s), -ERANGE);
	assert_int_equal(duration_parse("99999999999999999999s", &s), -ERANGE);
}

static void test_duration_format_round_trips(void **state)
{
	static const uint32_t values[] = { 1, 59, 60, 90, 3600, 5400, 86400, 90061 };
	char buf[32];
	(void)state;
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		uint32_t back = 0;
		duration_format(values[i], buf, sizeof buf);
		assert_int_equal(duration_parse(buf, &back), 0);
		assert_int_equal(back, values[i]);
	}
	duration_format(5400, buf, sizeof buf);
	assert_string_equal(buf, "1h30m");
}

static void test_isotime_format_and_parse(void **state)
{
	char buf[ISOTIME_LEN];
	int64_t t = 0;
	(void)state;
	assert_string_equal(isotime_format(1772373600, buf), "2026-03-01T14:00:00Z");
	assert_int_equal(isotime_parse("2026-03-01T14:00:00Z", &t), 0);
	assert_int_equal(t, 1772373600);
	assert_int_equal(isotime_parse("2026-03-01 14:00:00", &t), 0);
	assert_int_equal(t, 1772373600);
	assert_int_equal(isotime_parse("1772373600", &t), 0);
	assert_int_equal(t, 1772373600);
	assert_int_equal(isotime_parse("2026-03-01T14:00", &t), -EINVAL);
	assert_int_equal(isotime_parse("yesterday", &t), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_accepts_units),
		cmocka_unit_test(test_duration_rejects_malformed),
		cmocka_unit_test(test_duration_format_round_trips),
		cmocka_unit_test(test_isotime_format_and_parse),
	};
	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
