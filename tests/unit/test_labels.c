/* labels: the list formats and how they match samples. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "features/labels.h"

static int read_text(struct label_list *l, const char *text, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = labels_read(l, f, "l.csv", err, errlen);
	fclose(f);
	return rc;
}

static void test_formats_and_matching(void **state)
{
	struct label_list l = { 0 };
	struct dataset ds;
	char err[256], *names[1] = { "x" };
	(void)state;
	assert_int_equal(read_text(&l, "window_start,src_ip\n"
					"2026-03-01T14:00:00Z, 10.0.0.1   # one sample\n"
					"\n"
					"192.168.0.0/16\n"
					"1772377200,2001:db8::1\n", err, sizeof err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(dataset_init(&ds, 1, names, 1, 1), 0);
	static const struct { int64_t w; const char *ip; int8_t want; } rows[] = {
		{ 1772373600, "10.0.0.1", 1 },    /* the named sample */
		{ 1772377200, "10.0.0.1", 0 },    /* same source, other window */
		{ 1772377200, "192.168.7.9", 1 }, /* in the CIDR, any window */
		{ 1772377200, "2001:db8::1", 1 },
		{ 1772373600, "2001:db8::1", 0 },
		{ 1772373600, "10.0.0.2", 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		long r = dataset_add_row(&ds);
		ds.window_start[r] = rows[i].w;
		strcpy(ds.src_ip[r], rows[i].ip);
	}
	assert_int_equal(labels_apply(&l, &ds, 1), 3);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		assert_int_equal(ds.y[i], rows[i].want);
	dataset_free(&ds);
	labels_free(&l);
}

/* psykoda's list: a header of names, a space in the time, a comment column. */
static void test_header_and_comments(void **state)
{
	struct label_list l = { 0 };
	char err[256];
	ip_addr a;
	int prefix;
	(void)state;
	assert_int_equal(read_text(&l, "datetime_rounded,src_ip,comments\n"
					"2026-03-01 14:00:00,10.0.0.1, a backup job\n"
					"2026-03-01 15:00:00,10.0.0.2,\n"
					"10.9.0.0/16,the lab\n", err, sizeof err), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(ip_parse_cidr("10.0.0.1", &a, &prefix), 0);
	assert_true(labels_match(&l, 1772373600, &a));
	assert_false(labels_match(&l, 1772377200, &a));
	assert_int_equal(ip_parse_cidr("10.9.3.3", &a, &prefix), 0);
	assert_true(labels_match(&l, 1772377200, &a)); /* an address and a comment */
	labels_free(&l);
	/* a first line with digits is data, and must be good */
	assert_int_equal(read_text(&l, "when 2026,10.0.0.1\n", err, sizeof err), -EINVAL);
	labels_free(&l);
}

static void test_errors_name_the_line(void **state)
{
	struct label_list l = { 0 };
	char err[256];
	(void)state;
	assert_int_equal(read_text(&l, "10.0.0.1\nnot-an-address\n", err, sizeof err), -EINVAL);
	assert_string_equal(err, "l.csv:2: expected an address or CIDR, got 'not-an-address'");
	labels_free(&l);
	assert_int_equal(read_text(&l, "yesterday,10.0.0.1\n", err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "l.csv:1: expected window_start"));
	labels_free(&l);
	assert_int_equal(read_text(&l, "10.0.0.0/33\n", err, sizeof err), -EINVAL);
	labels_free(&l);
}

/* One entry from its fields, as the feedback stream gives them: a damaged
 * one is refused with its reason and leaves the list as it was. */
static void test_add_one_entry(void **state)
{
	struct label_list l = { 0 };
	char err[256];
	ip_addr a;
	int prefix;
	(void)state;
	assert_int_equal(labels_add(&l, "2026-03-01T14:00:00Z", "10.0.0.1", err, sizeof err), 0);
	assert_int_equal(labels_add(&l, "", "10.0.0.2", err, sizeof err), 0); /* any window */
	assert_int_equal(labels_add(&l, NULL, "not-an-address", err, sizeof err), -EINVAL);
	assert_string_equal(err, "expected an address or CIDR, got 'not-an-address'");
	assert_int_equal(labels_add(&l, "soon", "10.0.0.3", err, sizeof err), -EINVAL);
	assert_int_equal(labels_add(&l, NULL, NULL, err, sizeof err), -EINVAL);
	assert_int_equal(l.n, 2);
	assert_int_equal(ip_parse_cidr("10.0.0.1", &a, &prefix), 0);
	assert_true(labels_match(&l, 1772373600, &a));
	assert_false(labels_match(&l, 1772377200, &a));
	assert_int_equal(ip_parse_cidr("10.0.0.2", &a, &prefix), 0);
	assert_true(labels_match(&l, 1772377200, &a));
	labels_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_and_matching),
		cmocka_unit_test(test_header_and_comments),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_add_one_entry),
	};
	return cmocka_run_group_tests_name("labels", tests, NULL, NULL);
}
