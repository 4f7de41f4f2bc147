/* spool: order, persistence across reopening, a torn tail after a crash,
 * the size bound, and corruption. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/crc32.h"
#include "store/spool.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/flowsad-spool-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char path[128];
	(void)state;
	snprintf(path, sizeof path, "%s/%s", dir, SPOOL_FILE);
	unlink(path);
	return rmdir(dir);
}

static struct spool *open_spool(uint64_t max)
{
	char err[256];
	struct spool *s = spool_open(dir, max, err, sizeof err);
	if (!s)
		fail_msg("%s", err);
	return s;
}

static void expect_next(struct spool *s, const char *want)
{
	char *got;
	uint32_t len;
	assert_int_equal(spool_peek(s, &got, &len), 1);
	assert_int_equal(len, strlen(want));
	assert_string_equal(got, want);
	free(got);
	assert_int_equal(spool_pop(s), 0);
}

static void test_order_and_reopen(void **state)
{
	char rec[32];
	char *none;
	uint32_t len;
	(void)state;
	struct spool *s = open_spool(1 << 20);
	for (int i = 0; i < 10; i++) {
		snprintf(rec, sizeof rec, "alert %d", i);
		assert_int_equal(spool_append(s, rec, (uint32_t)strlen(rec)), 0);
	}
	expect_next(s, "alert 0");
	expect_next(s, "alert 1");
	spool_close(s);
	s = open_spool(1 << 20); /* what was delivered stays delivered */
	assert_int_equal(spool_stats(s)->pending, 8);
	for (int i = 2; i < 10; i++) {
		snprintf(rec, sizeof rec, "alert %d", i);
		expect_next(s, rec);
	}
	assert_int_equal(spool_peek(s, &none, &len), 0);
	assert_int_equal(spool_stats(s)->file_bytes, SPOOL_HEADER); /* emptied: starts afresh */
	spool_close(s);
}

/* A spool file holding records a and b, closed; its path in path. */
static void two_records(const char *a, const char *b, char *path, size_t len)
{
	struct spool *s = open_spool(1 << 20);
	assert_int_equal(spool_append(s, a, (uint32_t)strlen(a)), 0);
	assert_int_equal(spool_append(s, b, (uint32_t)strlen(b)), 0);
	spool_close(s);
	snprintf(path, len, "%s/%s", dir, SPOOL_FILE);
}

static void test_torn_tail_is_cut(void **state)
{
	char path[128];
	(void)state;
	two_records("first", "second", path, sizeof path);
	struct spool *s;
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 3), 0); /* a crash mid-write */
	s = open_spool(1 << 20);
	assert_int_equal(spool_stats(s)->pending, 1);
	assert_int_equal(spool_stats(s)->cut_bytes, SPOOL_RECORD_HEADER + 6 - 3);
	assert_int_equal(spool_append(s, "third", 5), 0); /* appends after the cut */
	expect_next(s, "first");
	expect_next(s, "third");
	spool_close(s);
}

static void test_corrupt_record_is_cut(void **state)
{
	char path[128];
	struct spool *s;
	(void)state;
	two_records("good", "flipped", path, sizeof path);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(
		pwrite(fd, "F", 1, SPOOL_HEADER + SPOOL_RECORD_HEADER + 4 + SPOOL_RECORD_HEADER),
		1);
	close(fd);
	s = open_spool(1 << 20);
	assert_int_equal(spool_stats(s)->pending, 1); /* the checksum caught it */
	expect_next(s, "good");
	spool_close(s);
}

static void test_bound_drops_oldest(void **state)
{
	char rec[100];
	(void)state;
	uint64_t max = 4096;
	struct spool *s = open_spool(max);
	for (int i = 0; i < 100; i++) {
		snprintf(rec, sizeof rec, "%-90d", i); /* 98 bytes a record with its header */
		assert_int_equal(spool_append(s, rec, 90), 0);
		assert_true(spool_stats(s)->file_bytes <= max);
	}
	const struct spool_stats *st = spool_stats(s);
	assert_int_equal(st->pending + st->dropped, 100);
	assert_true(st->dropped > 50);
	snprintf(rec, sizeof rec, "%-90d", (int)st->dropped); /* the oldest kept */
	expect_next(s, rec);
	char big[5000] = { 0 };
	assert_int_equal(spool_append(s, big, sizeof big), -1); /* larger than the bound */
	spool_close(s);
}

/* A window's alerts in one batch: in order, after what was there; a crash
 * in the batch's write keeps a whole prefix of it; a batch beyond the bound
 * goes record by record, the oldest dropped. */
static void test_batch(void **state)
{
	char path[128], rec[100];
	struct spool_item items[3] = { { "b1", 2 }, { "b2", 2 }, { "b3", 2 } };
	struct stat st;
	(void)state;
	struct spool *s = open_spool(1 << 20);
	assert_int_equal(spool_append(s, "single", 6), 0);
	assert_int_equal(spool_append_batch(s, items, 3), 0);
	assert_int_equal(spool_stats(s)->pending, 4);
	spool_close(s);
	snprintf(path, sizeof path, "%s/alerts.spool", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 1), 0); /* the batch torn in its last record */
	s = open_spool(1 << 20);
	assert_int_equal(spool_stats(s)->pending, 3);
	expect_next(s, "single");
	expect_next(s, "b1");
	expect_next(s, "b2");
	spool_close(s);

	struct spool_item many[60];
	s = open_spool(4096);
	for (int i = 0; i < 60; i++) {
		snprintf(rec, sizeof rec, "%-90d", i);
		many[i] = (struct spool_item){ strdup(rec), 90 };
	}
	assert_int_equal(spool_append_batch(s, many, 60), 0); /* 60 x 98 bytes > 4096 */
	assert_true(spool_stats(s)->file_bytes <= 4096);
	assert_int_equal(spool_stats(s)->pending + spool_stats(s)->dropped, 60);
	snprintf(rec, sizeof rec, "%-90d", 59);
	for (uint64_t i = spool_stats(s)->pending; i > 1; i--)
		assert_int_equal(spool_pop(s), 0);
	expect_next(s, rec); /* the newest is kept */
	for (int i = 0; i < 60; i++)
		free((void *)many[i].data);
	spool_close(s);
}

static void test_bad_file_is_refused(void **state)
{
	char path[128], err[256];
	(void)state;
	snprintf(path, sizeof path, "%s/%s", dir, SPOOL_FILE);
	FILE *f = fopen(path, "w");
	fputs("this is not a spool file at all", f);
	fclose(f);
	assert_null(spool_open(dir, 1 << 20, err, sizeof err));
	assert_non_null(strstr(err, "bad magic"));
}

/* A file whose header never landed (extended to its size, then the write
 * refused by a full disk) is a new spool, not a damaged one. */
static void test_unwritten_header_is_new(void **state)
{
	char path[128], err[256];
	static const char zeros[SPOOL_HEADER];
	(void)state;
	snprintf(path, sizeof path, "%s/%s", dir, SPOOL_FILE);
	FILE *f = fopen(path, "w");
	fwrite(zeros, 1, sizeof zeros, f);
	fclose(f);
	struct spool *s = spool_open(dir, 1 << 20, err, sizeof err);
	assert_non_null(s);
	assert_true(spool_is_open(s));
	assert_int_equal(spool_stats(s)->pending, 0);
	assert_int_equal(spool_append(s, "x", 1), 0);
	spool_close(s);
	assert_non_null(s = spool_open(dir, 1 << 20, err, sizeof err));
	assert_int_equal(spool_stats(s)->pending, 1);
	spool_close(s);
}

/* A spool in a folder that cannot be made for a reason that will not pass
 * (its parent is a file) is refused at the open. */
static void test_impossible_folder_is_refused(void **state)
{
	char file[128], sub[160], err[256];
	(void)state;
	snprintf(file, sizeof file, "%s/%s", dir, SPOOL_FILE);
	fclose(fopen(file, "w"));
	snprintf(sub, sizeof sub, "%s/inside", file);
	assert_null(spool_open(sub, 1 << 20, err, sizeof err));
	assert_non_null(strstr(err, "Not a directory"));
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(crc32_ieee("123456789", 9), 0xcbf43926u); /* the standard check value */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_reopen, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_corrupt_record_is_cut, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_bound_drops_oldest, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_batch, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_bad_file_is_refused, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_unwritten_header_is_new, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_impossible_folder_is_refused, make_dir,
						remove_dir),
		cmocka_unit_test(test_crc32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
