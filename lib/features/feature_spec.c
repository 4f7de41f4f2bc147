#include "features/feature_spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fixed_names[FEATURES_N_FIXED] = {
	"volume packets",	 "volume bytes",  "volume flows",	"fanout dst_ips",
	"fanout dst_ports",	 "tcp syn_sent",  "tcp syn_unanswered", "tcp rst_received",
	"icmp unreach_received", "proto tcp",	  "proto udp",		"proto icmp",
	"proto other",		 "serve packets", "serve bytes",	"serve clients",
	"serve services",
};

/* A term with its source location: keys use 48 bits. */
static uint64_t term_id(int src_loc, uint64_t key)
{
	return (uint64_t)(uint32_t)src_loc << 48 | key;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_term(const void *a, const void *b)
{
	const struct feature_term *x = a, *y = b;
	if (x->idf != y->idf)
		return x->idf < y->idf ? 1 : -1;
	uint64_t i = term_id(x->src_loc, x->key), j = term_id(y->src_loc, y->key);
	return (i > j) - (i < j);
}

/* The vocabulary only: a refit keeps locations and filter. */
static void free_terms(struct feature_spec *spec)
{
	free(spec->terms);
	spec->terms = NULL;
	spec->n_terms = 0;
}

int feature_spec_fit(struct feature_spec *spec, const struct sample_set *set, int vocab_size,
		     int min_df)
{
	size_t total = 0, k = 0, n_cand = 0;
	for (size_t i = 0; i < set->n; i++)
		total += set->s[i]->c.n_terms;
	uint64_t *ids = malloc(total * sizeof *ids + 1);
	struct feature_term *cand = malloc(total * sizeof *cand + 1);
	if (!ids || !cand) {
		free(ids), free(cand);
		return -ENOMEM;
	}
	for (size_t i = 0; i < set->n; i++) /* a sample holds each term once */
		for (uint32_t j = 0; j < set->s[i]->c.n_terms; j++)
			ids[k++] = term_id(set->s[i]->c.src_location, set->s[i]->terms[j].key);
	qsort(ids, total, sizeof *ids, cmp_u64);
	for (size_t i = 0; i < total;) {
		size_t j = i;
		while (j < total && ids[j] == ids[i])
			j++;
		if ((int)(j - i) >= min_df)
			cand[n_cand++] = (struct feature_term){
				(int)(ids[i] >> 48), ids[i] & ((1ull << 48) - 1),
				log(1.0 + (double)set->n / (double)(j - i))
			};
		i = j;
	}
	qsort(cand, n_cand, sizeof *cand, cmp_term);
	free_terms(spec); /* a refit replaces the vocabulary */
	spec->n_terms = (int)(n_cand < (size_t)vocab_size ? n_cand : (size_t)vocab_size);
	free(ids);
	spec->terms = realloc(cand, (size_t)spec->n_terms * sizeof *cand + 1);
	if (!spec->terms) {
		free(cand);
		return -ENOMEM;
	}
	return 0;
}

void feature_spec_free(struct feature_spec *spec)
{
	free_terms(spec);
	free(spec->filter);
	spec->filter = NULL;
}

static void term_name(const struct feature_spec *spec, const struct feature_term *t, char *buf,
		      size_t len)
{
	int proto = WINDOW_TERM_PROTO(t->key);
	uint32_t port = WINDOW_TERM_VALUE(t->key);
	char service[32];

	if (proto == WINDOW_PROTO_SID) {
		snprintf(service, sizeof service, "sid/%u", port);
	} else if (proto == WINDOW_PROTO_ANY) {
		if (port == WINDOW_EPHEMERAL)
			snprintf(service, sizeof service, "port/ephemeral");
		else
			snprintf(service, sizeof service, "port/%u", port);
	} else if (ip_proto_has_ports((uint8_t)proto)) {
		const char *p = proto == IP_PROTO_TCP	? "tcp"
				: proto == IP_PROTO_UDP ? "udp"
							: "sctp";
		if (port == WINDOW_EPHEMERAL)
			snprintf(service, sizeof service, "%s/ephemeral", p);
		else
			snprintf(service, sizeof service, "%s/%u", p, port);
	} else if (proto == IP_PROTO_ICMP || proto == IP_PROTO_ICMPV6) {
		snprintf(service, sizeof service, proto == IP_PROTO_ICMP ? "icmp" : "icmpv6");
	} else {
		snprintf(service, sizeof service, "proto%d", proto);
	}
	snprintf(buf, len, "svc %s->%s %s", spec->loc.names[t->src_loc],
		 spec->loc.names[WINDOW_TERM_LOC(t->key)], service);
}

static double log_count(uint64_t x)
{
	return log1p((double)x);
}

const char *feature_family(const char *name)
{
	static const struct { const char *name, *family; } families[] = {
		{ "volume ", "volume" }, { "host rise packets", "volume" },
		{ "host rise bytes", "volume" }, { "host rise flows", "volume" },
		{ "host rise received", "volume" },
		{ "fanout ", "fan-out" }, { "host new_peers", "fan-out" },
		{ "host rise peers", "fan-out" },
		{ "tcp syn_unanswered", "failures" },
		{ "tcp rst_received", "failures" },
		{ "icmp unreach_received", "failures" },
		{ "host rise failures", "failures" },
		{ "tcp ", "tcp" },
		{ "proto ", "protocol-mix" },
		{ "host first_seen", "new-source" },
		{ "host new_services", "services" }, { "host slow flows", "volume" },
		{ "host slow new_peers", "fan-out" }, { "host slow new_services", "services" },
		{ "host slow failures", "failures" },
		{ "serve ", "serving" },
		{ "host new_served", "serving" },
	};
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strncmp(name, families[i].name, strlen(families[i].name)) == 0)
			return families[i].family;
	return name;
}

int feature_side(const char *name)
{
	return strncmp(name, "serve ", 6) == 0 || strcmp(name, "host new_served") == 0;
}

int feature_spec_dim(const struct feature_spec *spec)
{
	return FEATURES_N_FIXED + (spec->host_features ? BASELINE_N_FEATURES : 0) + spec->n_terms;
}

void feature_spec_vectorize(const struct feature_spec *spec, const struct net_sample *s, float *row)
{
	const struct window_counters *c = &s->c;
	uint64_t other = c->opened_packets - c->opened_tcp - c->opened_udp - c->opened_icmp;
	/* what the source opened, then what it served; its refusals are its
	 * probers' doing and count in their samples (as failures). Protocols as
	 * counts, not shares: a share of one packet says nothing. */
	const double fixed[FEATURES_N_FIXED] = {
		log_count(c->opened_packets),
		log_count(c->opened_bytes),
		log_count(c->opened),
		log1p(window_sketch_count(c->peers)),
		log1p(window_sketch_count(c->services)),
		log_count(c->syn_sent),
		log_count(c->syn_unanswered),
		log_count(window_refusals(c)),
		log_count(c->unreach_received),
		log_count(c->opened_tcp),
		log_count(c->opened_udp),
		log_count(c->opened_icmp),
		log_count(other),
		log_count(c->served_packets),
		log_count(c->served_bytes),
		log1p(window_sketch_count(c->clients)),
		log1p(window_sketch_count(c->served)),
	};
	for (int j = 0; j < FEATURES_N_FIXED; j++)
		row[j] = (float)fixed[j];
	row += FEATURES_N_FIXED;
	if (spec->host_features) {
		memcpy(row, s->host, sizeof s->host);
		row += BASELINE_N_FEATURES;
	}
	for (int j = 0; j < spec->n_terms; j++) {
		const struct feature_term *t = &spec->terms[j];
		uint32_t count = 0;
		if (t->src_loc == c->src_location) { /* terms are sorted by key: binary search */
			size_t lo = 0, hi = c->n_terms;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (s->terms[mid].key < t->key)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < c->n_terms && s->terms[lo].key == t->key)
				count = s->terms[lo].count;
		}
		row[j] = (float)((count < FEATURES_COUNT_CLIP ? count : FEATURES_COUNT_CLIP) *
				 t->idf);
	}
}

int feature_spec_dataset(const struct feature_spec *spec, const struct sample_set *set,
		     struct dataset *ds)
{
	int dim = feature_spec_dim(spec), first_term = dim - spec->n_terms;
	char **names = calloc((size_t)dim, sizeof *names);
	int rc = names ? 0 : -ENOMEM;

	for (int j = 0; rc == 0 && j < dim; j++) {
		char buf[128];
		if (j < FEATURES_N_FIXED)
			snprintf(buf, sizeof buf, "%s", fixed_names[j]);
		else if (j < first_term)
			snprintf(buf, sizeof buf, "%s",
				 baseline_feature_names[j - FEATURES_N_FIXED]);
		else
			term_name(spec, &spec->terms[j - first_term], buf, sizeof buf);
		if (!(names[j] = strdup(buf)))
			rc = -ENOMEM;
	}
	if (rc == 0)
		rc = dataset_init(ds, dim, names, 1, 1);
	for (size_t i = 0; rc == 0 && i < set->n; i++) {
		long row = dataset_add_row(ds);
		if (row < 0) {
			rc = (int)row;
			dataset_free(ds);
			break;
		}
		feature_spec_vectorize(spec, set->s[i], ds->x + (size_t)row * (size_t)dim);
		ds->window_start[row] = set->s[i]->window_start;
		ip_addr_str(&set->s[i]->src, ds->src_ip[row]);
	}
	for (int j = 0; names && j < dim; j++)
		free(names[j]);
	free(names);
	return rc;
}

static void cidr_text(const struct location_entry *e, char *buf, size_t len)
{
	char a[48];
	ip_addr_str(&e->net, a);
	int v4 = strchr(a, ':') == NULL;
	snprintf(buf, len, "%s/%d", a, v4 ? e->prefix - 96 : e->prefix);
}

char *feature_spec_to_json(const struct feature_spec *spec)
{
	json_t *locs = json_array(), *terms = json_array();
	char cidr[64];

	for (int i = 0; i < spec->loc.n; i++) {
		cidr_text(&spec->loc.entry[i], cidr, sizeof cidr);
		json_array_append_new(locs, json_pack("{s:s, s:s}", "cidr", cidr, "name",
						      spec->loc.names[spec->loc.entry[i].name]));
	}
	for (int j = 0; j < spec->n_terms; j++) {
		const struct feature_term *t = &spec->terms[j];
		json_array_append_new(terms, json_pack("{s:s, s:s, s:i, s:I, s:f}", "src",
						       spec->loc.names[t->src_loc], "dst",
						       spec->loc.names[WINDOW_TERM_LOC(t->key)],
						       "proto", WINDOW_TERM_PROTO(t->key), "port",
						       (json_int_t)WINDOW_TERM_VALUE(t->key), "idf",
						       t->idf));
	}
	json_t *o = json_pack("{s:s, s:i, s:b, s:o, s:o}", "kind", "network", "window_seconds",
			      (int)spec->window_seconds, "host_features", spec->host_features,
			      "locations", locs, "vocabulary", terms);
	char *filter = spec->filter ? filter_to_json(spec->filter) : NULL;
	if (filter)
		json_object_set_new(o, "filter", json_loads(filter, 0, NULL));
	free(filter);
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(o);
	return text;
}

static int loc_index(const struct location_table *loc, const char *name)
{
	for (int i = 0; i < loc->n_names; i++)
		if (strcmp(loc->names[i], name) == 0)
			return i;
	return -1;
}

int feature_spec_from_json(struct feature_spec *spec, const char *text, char *err, size_t errlen)
{
	json_t *o = json_loads(text, 0, NULL), *locs, *terms;
	int window = 0, rc = 0;

	memset(spec, 0, sizeof *spec);
	location_init(&spec->loc);
	if (json_unpack(o, "{s:i, s:o, s:o}", "window_seconds", &window, "locations", &locs,
			"vocabulary", &terms) < 0 || window < 1 || !json_is_array(locs) ||
	    !json_is_array(terms) || json_array_size(terms) > 100000) {
		json_decref(o);
		snprintf(err, errlen,
			 "feature_spec: expected window_seconds, locations, vocabulary");
		return -EINVAL;
	}
	spec->window_seconds = (uint32_t)window;
	spec->host_features = json_is_true(json_object_get(o, "host_features"));
	for (size_t i = 0; rc == 0 && i < json_array_size(locs); i++) {
		const char *cidr, *name;
		if (json_unpack(json_array_get(locs, i), "{s:s, s:s}", "cidr", &cidr, "name",
				&name) < 0 ||
		    location_add(&spec->loc, cidr, name) < 0)
			rc = -EINVAL;
	}
	spec->n_terms = (int)json_array_size(terms);
	spec->terms = calloc((size_t)spec->n_terms + 1, sizeof *spec->terms);
	for (int j = 0; rc == 0 && spec->terms && j < spec->n_terms; j++) {
		const char *src, *dst;
		int proto, s, d;
		json_int_t port;
		double idf;
		if (json_unpack(json_array_get(terms, (size_t)j), "{s:s, s:s, s:i, s:I, s:F}",
				"src", &src, "dst", &dst, "proto", &proto, "port", &port, "idf",
				&idf) < 0 ||
		    (s = loc_index(&spec->loc, src)) < 0 || (d = loc_index(&spec->loc, dst)) < 0 ||
		    proto < 0 || proto > 255 || port < 0 || port > UINT32_MAX || !isfinite(idf))
			rc = -EINVAL;
		else
			spec->terms[j] =
				(struct feature_term){ s, WINDOW_TERM(d, proto, port), idf };
	}
	json_t *jf = json_object_get(o, "filter");
	if (rc == 0 && spec->terms && jf) {
		char *ftext = json_dumps(jf, JSON_COMPACT);
		spec->filter = malloc(sizeof *spec->filter);
		if (!ftext || !spec->filter || filter_from_json(spec->filter, ftext) < 0)
			rc = -EINVAL;
		free(ftext);
	}
	json_decref(o);
	if (rc < 0 || !spec->terms) {
		snprintf(err, errlen, "feature_spec: a location or vocabulary entry is malformed");
		feature_spec_free(spec);
		return -EINVAL;
	}
	return 0;
}
