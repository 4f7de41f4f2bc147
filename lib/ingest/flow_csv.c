#include "ingest/flow_csv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/isotime.h"

enum { C_TS, C_TE, C_SA, C_DA, C_SP, C_DP, C_PR, C_FLG, C_IPKT, C_IBYT, C_N };
static const char *const col_names[C_N] = { "ts", "te", "sa", "da", "sp", "dp", "pr", "flg",
					    "ipkt", "ibyt" };

int flow_csv_sniff(const char *first_line)
{
	return strncmp(first_line, "ts,te,td,sa,da,", 15) == 0;
}

/* "CEUAPRSF" positions, '.' unset: FIN is the last letter, as in the TCP header. */
static uint8_t parse_flags(const char *s)
{
	uint8_t flags = 0;
	size_t n = strlen(s);
	for (size_t i = 0; i < n && i < 8; i++)
		if (s[n - 1 - i] != '.')
			flags |= (uint8_t)(1u << i);
	return flags;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (*s == '-' || !*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end == ' ' && end[1] == 'M') /* nfdump may scale big numbers: "1.2 M" */
		return -1;
	return errno || *end ? -1 : 0;
}

static int parse_row(char **fld, int n, const int *col, struct flow_record *r, const char **why)
{
	uint64_t sp, dp;
	uint8_t fam_d;
	for (int c = 0; c < C_N; c++)
		if (col[c] >= n) {
			*why = "fewer fields than the header";
			return -1;
		}
	memset(r, 0, sizeof *r);
	/* "YYYY-MM-DD HH:MM:SS.mmm", bounded: no arithmetic on it overflows */
	if (isotime_parse_ms(fld[col[C_TS]], &r->start_ms) < 0 ||
	    isotime_parse_ms(fld[col[C_TE]], &r->end_ms) < 0)
		return *why = "ts/te: expected YYYY-MM-DD HH:MM:SS", -1;
	if (ip_addr_parse(fld[col[C_SA]], &r->src, &r->family) < 0 ||
	    ip_addr_parse(fld[col[C_DA]], &r->dst, &fam_d) < 0)
		return *why = "sa/da: expected IPv4 or IPv6 addresses", -1;
	if (parse_u64(fld[col[C_SP]], &sp) < 0 || parse_u64(fld[col[C_DP]], &dp) < 0 ||
	    sp > 65535 || dp > 65535)
		return *why = "sp/dp: expected ports", -1;
	if (ip_proto_parse(fld[col[C_PR]], &r->proto) < 0)
		return *why = "pr: expected a protocol name or number", -1;
	if (parse_u64(fld[col[C_IPKT]], &r->packets) < 0 ||
	    parse_u64(fld[col[C_IBYT]], &r->bytes) < 0)
		return *why = "ipkt/ibyt: expected counts (run nfdump with -N for plain numbers)",
		       -1;
	r->sport = (uint16_t)sp;
	r->dport = (uint16_t)dp;
	r->tcp_flags = parse_flags(fld[col[C_FLG]]);
	return 0;
}

struct flow_reader {
	flow_record_fn emit;
	void *ctx;
};

/* nfdump's trailing "Summary" block ends the records. */
static int flow_row(void *ctx, char **fld, int n, const int *col, const char **why)
{
	struct flow_reader *fr = ctx;
	struct flow_record r;

	if (strcmp(fld[0], "Summary") == 0)
		return 1;
	if (parse_row(fld, n, col, &r, why) < 0)
		return -1;
	if (fr->emit)
		fr->emit(fr->ctx, &r);
	return 0;
}

int flow_csv_read(FILE *f, const char *name, flow_record_fn emit, void *ctx, struct csv_stats *st)
{
	struct flow_reader fr = { emit, ctx };
	return csv_read_records(f, name, col_names, C_N, flow_row, &fr, st);
}
