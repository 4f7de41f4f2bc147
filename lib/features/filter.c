#include "features/filter.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "features/location.h"

void filter_init(struct filter *f)
{
	memset(f, 0, sizeof *f);
}

/* Calls add(token) for each comma-separated token of text. */
static int each_token(const char *text, int (*add)(void *, const char *), void *ctx)
{
	char *copy = strdup(text), *save = NULL;
	int rc = copy ? 0 : -ENOMEM;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && rc == 0;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		rc = add(ctx, t);
	}
	free(copy);
	return rc;
}

static int add_net(void *ctx, const char *t)
{
	struct filter_nets *n = ctx;
	if (n->n == FILTER_MAX_NETS ||
	    ip_parse_cidr(t, &n->e[n->n].net, &n->e[n->n].prefix) < 0)
		return -EINVAL;
	n->n++;
	return 0;
}

int filter_add_nets(struct filter_nets *n, const char *text)
{
	return each_token(text, add_net, n);
}

static int add_port(void *ctx, const char *t)
{
	uint8_t *bits = ctx;
	char *end;
	long lo = strtol(t, &end, 10), hi = lo;
	if (end == t)
		return -EINVAL;
	if (*end == '-') {
		const char *h = end + 1;
		hi = strtol(h, &end, 10);
		if (end == h)
			return -EINVAL;
	}
	if (*end || lo < 0 || hi > 65535 || lo > hi)
		return -EINVAL;
	for (long p = lo; p <= hi; p++)
		bits[p / 8] |= (uint8_t)(1u << (p % 8));
	return 0;
}

int filter_add_ports(uint8_t *bits, const char *text)
{
	return each_token(text, add_port, bits);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int add_sid(void *ctx, const char *t)
{
	struct filter *f = ctx;
	char *end;
	unsigned long v = strtoul(t, &end, 10);
	if (end == t || *end || v > UINT32_MAX || f->n_sids == FILTER_MAX_SIDS)
		return -EINVAL;
	f->exclude_sid[f->n_sids++] = (uint32_t)v;
	return 0;
}

int filter_add_sids(struct filter *f, const char *text)
{
	int rc = each_token(text, add_sid, f);
	qsort(f->exclude_sid, (size_t)f->n_sids, sizeof f->exclude_sid[0], cmp_u32);
	return rc;
}

int filter_active(const struct filter *f)
{
	return f->monitor.n || f->exclude_src.n || f->exclude_dst.n || f->has_include ||
	       f->has_exclude || f->n_sids;
}

int filter_nets_match(const struct filter_nets *n, const ip_addr *a)
{
	for (int i = 0; i < n->n; i++)
		if (ip_in_net(a, &n->e[i].net, n->e[i].prefix))
			return 1;
	return 0;
}

static int bit(const uint8_t *bits, uint16_t p)
{
	return bits[p / 8] >> (p % 8) & 1;
}

int filter_counts(const struct filter *f, const ip_addr *src, const ip_addr *dst,
		  int has_port, uint16_t dport, uint32_t sid)
{
	if (filter_nets_match(&f->exclude_src, src) || filter_nets_match(&f->exclude_dst, dst))
		return 0;
	if (has_port && ((f->has_include && !bit(f->include_port, dport)) ||
			 (f->has_exclude && bit(f->exclude_port, dport))))
		return 0;
	return !(sid && f->n_sids &&
		 bsearch(&sid, f->exclude_sid, (size_t)f->n_sids, sizeof sid, cmp_u32));
}

int filter_monitored(const struct filter *f, const ip_addr *src)
{
	return f->monitor.n == 0 || filter_nets_match(&f->monitor, src);
}

/* --- JSON: nets as CIDR text, ports as ranges, sids as numbers --- */

static json_t *nets_json(const struct filter_nets *n)
{
	json_t *a = json_array();
	for (int i = 0; i < n->n; i++) {
		char addr[48], text[64];
		ip_addr_str(&n->e[i].net, addr);
		int v4 = !strchr(addr, ':');
		snprintf(text, sizeof text, "%s/%d", addr,
			 v4 ? n->e[i].prefix - 96 : n->e[i].prefix);
		json_array_append_new(a, json_string(text));
	}
	return a;
}

static json_t *ports_json(const uint8_t *bits)
{
	json_t *a = json_array();
	for (long p = 0; p <= 65535; p++) {
		if (!bit(bits, (uint16_t)p))
			continue;
		long q = p;
		while (q < 65535 && bit(bits, (uint16_t)(q + 1)))
			q++;
		char text[16];
		snprintf(text, sizeof text, q > p ? "%ld-%ld" : "%ld", p, q);
		json_array_append_new(a, json_string(text));
		p = q;
	}
	return a;
}

char *filter_to_json(const struct filter *f)
{
	if (!filter_active(f))
		return NULL;
	json_t *sids = json_array();
	for (int i = 0; i < f->n_sids; i++)
		json_array_append_new(sids, json_integer(f->exclude_sid[i]));
	json_t *o = json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:o}", "monitor", nets_json(&f->monitor), "exclude_src",
		nets_json(&f->exclude_src), "exclude_dst", nets_json(&f->exclude_dst),
		"include_ports", f->has_include ? ports_json(f->include_port) : json_null(),
		"exclude_ports", f->has_exclude ? ports_json(f->exclude_port) : json_null(),
		"exclude_sids", sids);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* Joins a JSON array of strings or numbers into "a,b,c" for the parsers. */
static char *joined(json_t *a)
{
	size_t len = 1, i;
	json_t *v;
	json_array_foreach(a, i, v)
		len += (json_is_string(v) ? strlen(json_string_value(v)) : 24) + 1;
	char *s = calloc(len, 1);
	if (!s)
		return NULL;
	json_array_foreach(a, i, v) {
		char num[24];
		if (json_is_integer(v))
			snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		strcat(s, i ? "," : "");
		strcat(s, json_is_string(v)    ? json_string_value(v)
			  : json_is_integer(v) ? num
					       : "?");
	}
	return s;
}

const char *const filter_part_names[FILTER_N_PARTS] = {
	"monitor", "exclude_src", "exclude_dst", "include_ports", "exclude_ports", "exclude_sids",
};

int filter_add_part(struct filter *f, enum filter_part part, const char *text)
{
	switch (part) {
	case FILTER_MONITOR: return filter_add_nets(&f->monitor, text);
	case FILTER_EXCLUDE_SRC: return filter_add_nets(&f->exclude_src, text);
	case FILTER_EXCLUDE_DST: return filter_add_nets(&f->exclude_dst, text);
	case FILTER_INCLUDE_PORTS:
		f->has_include = 1;
		return filter_add_ports(f->include_port, text);
	case FILTER_EXCLUDE_PORTS:
		f->has_exclude = 1;
		return filter_add_ports(f->exclude_port, text);
	case FILTER_EXCLUDE_SIDS: return filter_add_sids(f, text);
	default: return -EINVAL;
	}
}

/* The part's array in the JSON object, if any, through filter_add_part. */
static int from_array(json_t *o, enum filter_part part, struct filter *f)
{
	json_t *a = json_object_get(o, filter_part_names[part]);
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return -EINVAL;
	if (json_array_size(a) == 0)
		return 0;
	char *s = joined(a);
	int rc = s ? filter_add_part(f, part, s) : -ENOMEM;
	free(s);
	return rc;
}

int filter_from_json(struct filter *f, const char *text)
{
	json_t *o = json_loads(text, 0, NULL);
	int rc = json_is_object(o) ? 0 : -EINVAL;

	filter_init(f);
	for (enum filter_part part = 0; rc == 0 && part < FILTER_N_PARTS; part++)
		rc = from_array(o, part, f);
	json_decref(o);
	return rc;
}
