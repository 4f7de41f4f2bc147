#include "ingest/zeek_conn.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/isotime.h"

#define MAX_COLUMNS 64

static const char *const field_names[ZEEK_N_FIELDS] = {
	"ts",	    "id.orig_h", "id.orig_p", "id.resp_h",     "id.resp_p", "proto",
	"duration", "history",	 "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
	"conn_state",
};

void zeek_conn_init(struct zeek_conn *z, flow_record_fn emit, void *ctx)
{
	memset(z, 0, sizeof *z);
	z->separator = '\t';
	z->emit = emit;
	z->ctx = ctx;
	for (int i = 0; i < ZEEK_N_FIELDS; i++)
		z->col[i] = -1;
}

int zeek_conn_sniff(const char *head)
{
	return strncmp(head, "#separator", 10) == 0 ||
	       (head[0] == '{' && strstr(head, "\"id.orig_h\"") != NULL);
}

/* "#separator \x09": the separator as an escape or a character. */
static int read_separator(struct zeek_conn *z, const char *text)
{
	unsigned v;
	text += strspn(text, " \t");
	if (sscanf(text, "\\x%2x", &v) == 1 && v > 0 && v < 128)
		z->separator = (char)v;
	else if (text[0] && text[0] != '\\')
		z->separator = text[0];
	else
		return -1;
	return 0;
}

/* Splits line at the separator; returns the field count (at most max). */
static int split(char *line, char sep, char **fields, int max)
{
	int n = 0;
	for (char *p = line; n < max;) {
		fields[n++] = p;
		if (!(p = strchr(p, sep)))
			break;
		*p++ = '\0';
	}
	return n;
}

/* "#fields ts uid id.orig_h ...": where each field we read is. */
static int read_fields(struct zeek_conn *z, char *text)
{
	char *name[MAX_COLUMNS];
	int n = split(text, z->separator, name, MAX_COLUMNS);

	for (int i = 0; i < ZEEK_N_FIELDS; i++) {
		z->col[i] = -1;
		for (int c = 1; c < n; c++) /* name[0] is "#fields" */
			if (strcmp(name[c], field_names[i]) == 0)
				z->col[i] = c - 1;
	}
	for (int i = 0; i <= ZEEK_PROTO; i++)
		if (z->col[i] < 0) {
			snprintf(z->why, sizeof z->why, "#fields has no '%s'", field_names[i]);
			return -1;
		}
	z->have_fields = 1;
	return 0;
}

static int is_unset(const char *v)
{
	return !v || !*v || strcmp(v, "-") == 0 || strcmp(v, "(empty)") == 0;
}

static int parse_count(const char *v, uint64_t *out)
{
	char *end;
	if (is_unset(v))
		return 0;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (end == v || *end || errno || *v == '-')
		return -1;
	*out = x;
	return 0;
}

/* The flags each side sent, from the history, else the conn_state; and
 * whether Zeek saw the opening. */
static void tcp_flags(const char *const *v, struct biflow *b)
{
	uint8_t orig, resp;
	int state = is_unset(v[ZEEK_CONN_STATE])
			    ? -1
			    : flow_record_state_flags(v[ZEEK_CONN_STATE], &orig, &resp);

	if (!is_unset(v[ZEEK_HISTORY])) {
		flow_record_history_flags(v[ZEEK_HISTORY], &b->orig_flags, &b->resp_flags);
	} else if (state >= 0) {
		b->orig_flags = orig;
		b->resp_flags = resp;
	}
	b->opener_unknown = state == 1;
}

/* The text values of one connection to a biflow. */
static const char *make_biflow(const char *const *v, struct biflow *b)
{
	uint64_t orig_p, resp_p;
	int64_t ms, dur_ms = 0;
	uint8_t family;

	memset(b, 0, sizeof *b);
	b->orig_packets = 1;
	if (!v[ZEEK_TS] || isotime_parse_ms(v[ZEEK_TS], &ms) < 0)
		return "ts: expected epoch seconds or an ISO 8601 time";
	if (!v[ZEEK_ORIG_H] || ip_addr_parse(v[ZEEK_ORIG_H], &b->orig, &family) < 0 ||
	    !v[ZEEK_RESP_H] || ip_addr_parse(v[ZEEK_RESP_H], &b->resp, NULL) < 0)
		return "id.orig_h/id.resp_h: expected addresses";
	if (!v[ZEEK_ORIG_P] || !v[ZEEK_RESP_P] || parse_count(v[ZEEK_ORIG_P], &orig_p) < 0 ||
	    parse_count(v[ZEEK_RESP_P], &resp_p) < 0 || orig_p > 65535 || resp_p > 65535 ||
	    is_unset(v[ZEEK_ORIG_P]) || is_unset(v[ZEEK_RESP_P]))
		return "id.orig_p/id.resp_p: expected ports";
	if (!v[ZEEK_PROTO] || ip_proto_parse(v[ZEEK_PROTO], &b->proto) < 0)
		return "proto: expected tcp, udp or icmp";
	if (!is_unset(v[ZEEK_DURATION])) {
		char *end;
		double d = strtod(v[ZEEK_DURATION], &end);
		if (end == v[ZEEK_DURATION] || *end || !(d >= 0 && d < 1e9))
			return "duration: expected seconds";
		dur_ms = (int64_t)(d * 1000.0);
	}
	if (parse_count(v[ZEEK_ORIG_PKTS], &b->orig_packets) < 0 ||
	    parse_count(v[ZEEK_ORIG_IP_BYTES], &b->orig_bytes) < 0 ||
	    parse_count(v[ZEEK_RESP_PKTS], &b->resp_packets) < 0 ||
	    parse_count(v[ZEEK_RESP_IP_BYTES], &b->resp_bytes) < 0)
		return "orig_pkts/orig_ip_bytes/resp_pkts/resp_ip_bytes: expected counts";
	if (b->proto == IP_PROTO_ICMP && family == 6)
		b->proto = IP_PROTO_ICMPV6; /* Zeek says "icmp" for both */
	b->family = family;
	b->sport = (uint16_t)orig_p;
	b->dport = (uint16_t)resp_p;
	b->start_ms = ms;
	b->end_ms = ms + dur_ms;
	if (b->proto == IP_PROTO_TCP)
		tcp_flags(v, b);
	return NULL;
}

/* A JSON record's value as text (numbers printed), NULL when absent. */
static const char *json_text(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.6f", json_real_value(v));
	else
		return NULL;
	return buf;
}

static int json_line(struct zeek_conn *z, const char *line, const char **why)
{
	char num[ZEEK_N_FIELDS][32];
	const char *v[ZEEK_N_FIELDS];
	struct biflow b;
	json_t *o = json_loads(line, 0, NULL);

	if (!json_is_object(o)) {
		json_decref(o);
		return *why = "expected a JSON object", CSV_MALFORMED;
	}
	for (int i = 0; i < ZEEK_N_FIELDS; i++)
		v[i] = json_text(o, field_names[i], num[i], sizeof num[i]);
	*why = make_biflow(v, &b);
	if (!*why && z->emit)
		flow_record_split(&b, z->emit, z->ctx);
	json_decref(o);
	return *why ? CSV_MALFORMED : CSV_RECORD;
}

int zeek_conn_line(void *ctx, char *line, const char **why)
{
	struct zeek_conn *z = ctx;
	char *f[MAX_COLUMNS];
	const char *v[ZEEK_N_FIELDS];
	struct biflow b;

	if (line[0] == '{')
		return json_line(z, line, why);
	if (strncmp(line, "#separator", 10) == 0)
		return read_separator(z, line + 10) < 0
			       ? (*why = "#separator: expected \\xHH or a character", CSV_FATAL)
			       : CSV_SKIPPED;
	if (strncmp(line, "#fields", 7) == 0)
		return read_fields(z, line) < 0 ? (*why = z->why, CSV_FATAL) : CSV_SKIPPED;
	if (line[0] == '#')
		return CSV_SKIPPED; /* #path, #open, #types, #close, ... */
	if (!z->have_fields)
		return *why = "a record before the #fields line", CSV_MALFORMED;
	int n = split(line, z->separator, f, MAX_COLUMNS);
	for (int i = 0; i < ZEEK_N_FIELDS; i++)
		v[i] = z->col[i] >= 0 && z->col[i] < n ? f[z->col[i]] : NULL;
	if ((*why = make_biflow(v, &b)))
		return CSV_MALFORMED;
	if (z->emit)
		flow_record_split(&b, z->emit, z->ctx);
	return CSV_RECORD;
}

int zeek_conn_read(FILE *f, const char *name, flow_record_fn emit, void *ctx,
		   struct csv_stats *st)
{
	struct zeek_conn z;
	zeek_conn_init(&z, emit, ctx);
	return csv_read_lines(f, name, zeek_conn_line, &z, st);
}
