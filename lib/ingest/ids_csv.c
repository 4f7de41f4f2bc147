#include "ingest/ids_csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/csv.h"
#include "base/ip.h"

enum { I_YEAR, I_MONTH, I_MDAY, I_HOUR, I_MIN, I_SEC, I_SRC, I_SPORT, I_DST, I_DPORT, I_SID, I_N };
static const char *const col_names[I_N] = {
	"date_year", "date_month", "date_mday", "date_hour", "date_minute", "date_second",
	"src_ip", "src_port", "dest_ip", "dest_port", "sid",
};

int ids_csv_sniff(const char *first_line)
{
	return strncmp(first_line, "date_year,", 10) == 0;
}

static int parse_int(const char *s, long lo, long hi, long *v)
{
	char *end;
	while (*s == ' ')
		s++;
	errno = 0;
	*v = strtol(s, &end, 10);
	while (*end == ' ')
		end++;
	return end == s || *end || errno || *v < lo || *v > hi ? -1 : 0;
}

/* A month as a number (1-12) or an English name, whole or in three
 * letters, in any case ("april", "Apr"), as psykoda's logs write it. */
static int parse_month(const char *s, long *v)
{
	static const char *const names[12] = {
		"january", "february", "march",     "april",   "may",	   "june",
		"july",	   "august",   "september", "october", "november", "december",
	};
	size_t len = strlen(s);
	if (parse_int(s, 1, 12, v) == 0)
		return 0;
	for (int m = 0; m < 12 && len >= 3; m++)
		if (strncasecmp(s, names[m], len) == 0) {
			*v = m + 1;
			return 0;
		}
	return -1;
}

static int parse_row(char **f, int n, const int *col, struct ids_alert *a, const char **why)
{
	long v[I_N];
	static const long lo[] = { 1970, 1, 1, 0, 0, 0 }, hi[] = { 9999, 12, 31, 23, 59, 60 };
	for (int c = 0; c < I_N; c++)
		if (col[c] >= n)
			return *why = "fewer fields than the header", -1;
	for (int c = I_YEAR; c <= I_SEC; c++)
		if (c == I_MONTH ? parse_month(f[col[c]], &v[c]) < 0
				 : parse_int(f[col[c]], lo[c], hi[c], &v[c]) < 0)
			return *why = "date fields: expected year, month (a number or a name), "
				      "day, hour, minute, second",
			       -1;
	int prefix;
	if (ip_parse_cidr(f[col[I_SRC]], &a->src, &prefix) < 0 || prefix != 128 ||
	    ip_parse_cidr(f[col[I_DST]], &a->dst, &prefix) < 0 || prefix != 128)
		return *why = "src_ip/dest_ip: expected addresses", -1;
	if (parse_int(f[col[I_SPORT]], 0, 65535, &v[I_SPORT]) < 0 ||
	    parse_int(f[col[I_DPORT]], 0, 65535, &v[I_DPORT]) < 0)
		return *why = "src_port/dest_port: expected ports", -1;
	if (parse_int(f[col[I_SID]], 0, UINT32_MAX, &v[I_SID]) < 0)
		return *why = "sid: expected a signature id", -1;
	struct tm tm = { .tm_year = (int)v[I_YEAR] - 1900,
			 .tm_mon = (int)v[I_MONTH] - 1,
			 .tm_mday = (int)v[I_MDAY],
			 .tm_hour = (int)v[I_HOUR],
			 .tm_min = (int)v[I_MIN],
			 .tm_sec = (int)v[I_SEC] };
	a->ts = (int64_t)timegm(&tm);
	a->sport = (uint16_t)v[I_SPORT];
	a->dport = (uint16_t)v[I_DPORT];
	a->sid = (uint32_t)v[I_SID];
	return 0;
}

struct ids_reader {
	ids_alert_fn emit;
	void *ctx;
};

static int ids_row(void *ctx, char **fld, int n, const int *col, const char **why)
{
	struct ids_reader *ir = ctx;
	struct ids_alert a;

	if (parse_row(fld, n, col, &a, why) < 0)
		return -1;
	if (ir->emit)
		ir->emit(ir->ctx, &a);
	return 0;
}

int ids_csv_read(FILE *f, const char *name, ids_alert_fn emit, void *ctx, struct csv_stats *st)
{
	struct ids_reader ir = { emit, ctx };
	return csv_read_records(f, name, col_names, I_N, ids_row, &ir, st);
}
