#include "ingest/eve.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/isotime.h"

int eve_sniff(const char *head)
{
	return head[0] == '{' && strstr(head, "\"event_type\"") != NULL &&
	       strstr(head, "\"id.orig_h\"") == NULL;
}

static uint64_t count(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
							      : 0;
}

/* TCP flags as Suricata writes them: a hex string ("1b"). */
static uint8_t flags(json_t *tcp, const char *key)
{
	const char *s = json_string_value(json_object_get(tcp, key));
	return s ? (uint8_t)strtoul(s, NULL, 16) : 0;
}

/* A string member, or "" when there is none. */
static const char *text(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int time_of(json_t *o, const char *key, int64_t *ms)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? isotime_parse_ms(s, ms) : -1;
}

/* The event's addresses, ports and protocol into b (ICMP: type and code
 * where the ports go). */
static const char *endpoints(json_t *e, struct biflow *b)
{
	json_t *proto = json_object_get(e, "proto");
	uint8_t family;

	if (ip_addr_parse(text(e, "src_ip"), &b->orig, &family) < 0 ||
	    ip_addr_parse(text(e, "dest_ip"), &b->resp, NULL) < 0)
		return "src_ip/dest_ip: expected addresses";
	b->family = family;
	if (json_is_integer(proto) && json_integer_value(proto) >= 0 &&
	    json_integer_value(proto) <= 255)
		b->proto = (uint8_t)json_integer_value(proto);
	else if (!json_is_string(proto) || ip_proto_parse(json_string_value(proto), &b->proto) < 0)
		return "proto: expected a protocol name or number";
	int icmp = b->proto == IP_PROTO_ICMP || b->proto == IP_PROTO_ICMPV6;
	uint64_t sport = count(e, icmp ? "icmp_type" : "src_port");
	uint64_t dport = count(e, icmp ? "icmp_code" : "dest_port");
	if (sport > 65535 || dport > 65535)
		return "src_port/dest_port: expected ports";
	b->sport = (uint16_t)sport;
	b->dport = (uint16_t)dport;
	return NULL;
}

/* The counts of a flow or netflow event (one side, or both) into b. */
static void flow_counts(json_t *e, int two_way, struct biflow *b)
{
	json_t *tcp = json_object_get(e, "tcp");
	json_t *o = json_object_get(e, two_way ? "flow" : "netflow");

	b->orig_packets = count(o, two_way ? "pkts_toserver" : "pkts");
	b->orig_bytes = count(o, two_way ? "bytes_toserver" : "bytes");
	b->orig_flags = flags(tcp, two_way ? "tcp_flags_ts" : "tcp_flags");
	if (two_way) { /* netflow events have no answer: one record */
		b->resp_packets = count(o, "pkts_toclient");
		b->resp_bytes = count(o, "bytes_toclient");
		b->resp_flags = flags(tcp, "tcp_flags_tc");
	}
}

/* A flow event (both directions) or a netflow event (one) to records. */
static const char *flow_event(json_t *e, int two_way, const struct eve_reader *r)
{
	json_t *o = json_object_get(e, two_way ? "flow" : "netflow");
	struct biflow b = { 0 };
	const char *why = endpoints(e, &b);

	if (why)
		return why;
	if (!json_is_object(o) || time_of(o, "start", &b.start_ms) < 0)
		return two_way ? "flow.start: expected an ISO 8601 time"
			       : "netflow.start: expected an ISO 8601 time";
	if (time_of(o, "end", &b.end_ms) < 0)
		b.end_ms = b.start_ms;
	flow_counts(e, two_way, &b);
	b.opener_unknown = !two_way; /* a netflow event is either side's */
	if (r->emit)
		flow_record_split(&b, r->emit, r->ctx);
	return NULL;
}

/* An alert event: its time, endpoints and signature id. */
static const char *alert_event(json_t *e, const struct eve_reader *r)
{
	struct biflow b = { 0 };
	int64_t ms;
	json_t *sid = json_object_get(json_object_get(e, "alert"), "signature_id");
	const char *why = endpoints(e, &b);

	if (why)
		return why;
	if (time_of(e, "timestamp", &ms) < 0)
		return "timestamp: expected an ISO 8601 time";
	if (!json_is_integer(sid) || json_integer_value(sid) < 0 ||
	    json_integer_value(sid) > UINT32_MAX)
		return "alert.signature_id: expected a signature id";
	struct ids_alert a = { ms / 1000, b.orig, b.resp, b.sport, b.dport,
			       (uint32_t)json_integer_value(sid) };
	r->alert(r->ctx, &a);
	return NULL;
}

int eve_line(void *reader, char *line, const char **why)
{
	const struct eve_reader *r = reader;
	json_t *e = json_loads(line, 0, NULL);
	const char *type = json_string_value(json_object_get(e, "event_type"));
	int rc = CSV_SKIPPED;

	if (!json_is_object(e))
		rc = (*why = "expected a JSON object", CSV_MALFORMED);
	else if (!type)
		rc = (*why = "no event_type", CSV_MALFORMED);
	else if (r->alert)
		rc = strcmp(type, "alert") != 0 ? CSV_SKIPPED
		     : (*why = alert_event(e, r)) ? CSV_MALFORMED
						  : CSV_RECORD;
	else if (strcmp(type, "flow") == 0 || strcmp(type, "netflow") == 0)
		rc = (*why = flow_event(e, strcmp(type, "flow") == 0, reader)) ? CSV_MALFORMED
									      : CSV_RECORD;
	json_decref(e);
	return rc;
}

int eve_read(FILE *f, const char *name, flow_record_fn emit, void *ctx, struct csv_stats *st)
{
	struct eve_reader r = { emit, ctx, NULL };
	return csv_read_lines(f, name, eve_line, &r, st);
}

int eve_read_alerts(FILE *f, const char *name, ids_alert_fn alert, void *ctx,
		    struct csv_stats *st)
{
	struct eve_reader r = { NULL, ctx, alert };
	return csv_read_lines(f, name, eve_line, &r, st);
}
