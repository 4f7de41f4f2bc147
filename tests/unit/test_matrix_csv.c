/* matrix_csv: the feature-matrix reader, its optional columns and its errors. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/matrix_csv.h"

static int read_text(const char *text, struct dataset *ds, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc = matrix_csv_read(ds, f, "m.csv", err, errlen);
	fclose(f);
	return rc;
}

static void test_plain_matrix(void **state)
{
	struct dataset ds;
	char err[256];
	(void)state;
	assert_int_equal(read_text("a,b,c\n1,2,3\n4.5,-1e3,0\n", &ds, err, sizeof err), 0);
	assert_int_equal(ds.n, 2);
	assert_int_equal(ds.dim, 3);
	assert_string_equal(ds.names[1], "b");
	assert_float_equal(ds.x[3], 4.5, 1e-6);
	assert_float_equal(ds.x[4], -1000, 1e-3);
	assert_null(ds.window_start);
	assert_null(ds.src_ip);
	assert_int_equal(ds.y[0], 0);
	dataset_free(&ds);
}

static void test_id_and_label_columns_anywhere(void **state)
{
	struct dataset ds;
	char err[256];
	(void)state;
	assert_int_equal(read_text("x,src_ip,label,window_start,y\r\n"
				   "1,10.0.0.1,1,2026-03-01T14:00:00Z,2\r\n"
				   "\r\n"
				   "3,10.0.0.2,-1,1772377200,4\r\n"
				   "5,\"10.0.0.3\",,1772377200,6\r\n",
				   &ds, err, sizeof err), 0);
	assert_int_equal(ds.n, 3);
	assert_int_equal(ds.dim, 2);
	assert_string_equal(ds.names[0], "x");
	assert_string_equal(ds.names[1], "y");
	assert_float_equal(ds.x[1], 2, 0);
	assert_int_equal(ds.window_start[0], 1772373600);
	assert_int_equal(ds.window_start[1], 1772377200);
	assert_string_equal(ds.src_ip[2], "10.0.0.3");
	assert_int_equal(ds.y[0], 1);
	assert_int_equal(ds.y[1], -1);
	assert_int_equal(ds.y[2], 0);
	size_t normal, anomaly;
	dataset_label_counts(&ds, &normal, &anomaly);
	assert_int_equal(normal, 1);
	assert_int_equal(anomaly, 1);
	dataset_free(&ds);
}

static void expect_error(const char *text, const char *expect)
{
	struct dataset ds;
	char err[256] = "";
	assert_int_equal(read_text(text, &ds, err, sizeof err), -EINVAL);
	if (!strstr(err, expect))
		fail_msg("error '%s' does not contain '%s'", err, expect);
	assert_null(ds.x);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("", "m.csv:0: empty file");
	expect_error("a,b\n1,2\n3\n", "m.csv:3: expected 2 fields as in the header, got 1");
	expect_error("a,b\n1,zz\n", "m.csv:2: column 'b': expected a finite number, got 'zz'");
	expect_error("a,b\n1,nan\n", "column 'b': expected a finite number");
	expect_error("a,b\n1,\n", "column 'b': expected a finite number, got ''");
	expect_error("a,label\n1,2\n", "m.csv:2: label: expected 1, -1, 0 or empty, got '2'");
	expect_error("a,window_start\n1,yesterday\n", "window_start: expected ISO 8601");
	expect_error("a,,b\n1,2,3\n", "m.csv:1: column 2 has an empty name");
	expect_error("a,label,label\n1,0,0\n", "column 'label' appears twice");
	expect_error("label,src_ip\n1,10.0.0.1\n", "no feature columns");
	expect_error("a,b\n", "no data rows");
}

static void test_sniff(void **state)
{
	(void)state;
	assert_true(matrix_csv_sniff("x1,x2,label\n"));
	assert_false(matrix_csv_sniff("1,2,3\n"));
	assert_false(matrix_csv_sniff("date_year,date_month,date_mday\n"));
	assert_false(matrix_csv_sniff("ts,te,td,sa,da\n"));
	assert_false(matrix_csv_sniff("single\n"));
	assert_false(matrix_csv_sniff("\x8f\x01,\x02binary\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_matrix),
		cmocka_unit_test(test_id_and_label_columns_anywhere),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_sniff),
	};
	return cmocka_run_group_tests_name("matrix_csv", tests, NULL, NULL);
}
