/* feature_spec: one feature vector per sample from its window counters, with
 * names an analyst reads in an alert.
 *
 * Fixed features (counts as log(1 + x), so that one busy host does not
 * flatten every other into 0 after scaling), in two sides. What the source
 * opened (flows of its own initiative):
 *   volume packets / bytes / flows; fanout dst_ips / dst_ports (distinct
 *   destinations and services, from the window's sketches); tcp syn_sent /
 *   syn_unanswered / rst_received (up to the SYNs sent); icmp
 *   unreach_received; proto tcp / udp / icmp / other (the packets it opened
 *   with, by protocol).
 * What it served (answers that are not refusals: SYN-ACKs, replies from its
 * service ports, echo replies):
 *   serve packets / bytes / clients / services.
 * Refusals (RSTs, ICMP errors) are no feature of the refusing host: its
 * prober's sample has them as failures.
 * Service profile, psykoda-style: "svc SRC->DST PROTO/PORT" for each term
 * of the vocabulary, valued min(flows, 100) * IDF. A term is (source
 * location, destination location, protocol, destination port; ports >= 49152
 * are "ephemeral"). IDF = log(1 + N / df) over the training samples; the
 * vocabulary is the vocab_size terms with the highest IDF among those in at
 * least min_df samples. The spec (window length, locations, filter,
 * vocabulary) is fitted at training and stored in the model. */
#ifndef FLOWSAD_FEATURE_SPEC_H
#define FLOWSAD_FEATURE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/dataset.h"
#include "features/filter.h"
#include "features/location.h"
#include "features/sample.h"

#define FEATURES_N_FIXED    17
#define FEATURES_COUNT_CLIP 100

struct feature_term {
	int src_loc;
	uint64_t key; /* WINDOW_TERM(dst location, proto, port or sid) */
	double idf;
};

struct feature_spec {
	uint32_t window_seconds;
	int host_features;         /* the baseline's "host ..." features follow the fixed ones */
	struct location_table loc;
	struct filter *filter;     /* owned; NULL: everything is counted */
	int n_terms;
	struct feature_term *terms;
};

/* The behaviour a feature's name speaks of, for telling an alert that
 * repeats from news: "volume", "fan-out", "failures", "tcp", "protocol-mix",
 * "new-source", "services", a service feature's own name (each service is
 * a behaviour of its own), or the name itself for names of other inputs. */
const char *feature_family(const char *name);

/* The side a feature's name speaks of: 0 what the source opened (the
 * default), 1 what it served ("serve ...", "host new_served"). The alert
 * decision scores each side on its own (daemon/windows/gates.c). */
int feature_side(const char *name);

/* The number of features of the spec's vectors. */
int feature_spec_dim(const struct feature_spec *spec);

/* Fits the vocabulary on set, replacing any previous one. spec->window_seconds
 * and spec->loc must be set. Returns 0 or -ENOMEM. */
int feature_spec_fit(struct feature_spec *spec, const struct sample_set *set, int vocab_size,
		     int min_df) __attribute__((warn_unused_result));
void feature_spec_free(struct feature_spec *spec);

/* One sample's vector into row [feature_spec_dim(spec)], in the order of
 * the names feature_spec_dataset gives (a model's feature order). */
void feature_spec_vectorize(const struct feature_spec *spec, const struct net_sample *s,
			    float *row);

/* The set as a dataset with the spec's feature names, window_start and
 * src_ip columns (labels 0). Returns 0 or -ENOMEM. */
int feature_spec_dataset(const struct feature_spec *spec, const struct sample_set *set,
		     struct dataset *ds) __attribute__((warn_unused_result));

/* The spec as JSON text (caller frees), and back. from_json returns 0 or
 * -EINVAL with the reason in err. */
char *feature_spec_to_json(const struct feature_spec *spec);
int feature_spec_from_json(struct feature_spec *spec, const char *json, char *err, size_t errlen)
	__attribute__((warn_unused_result));

#endif
