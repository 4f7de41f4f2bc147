/* gates: which of a closed window's samples above the alert threshold are
 * news, side by side (lib/detector/sides.h), before the top_n of them are
 * picked (lib/alerting/alert_select.h). Pure: no I/O, no state of its own;
 * the scorer (scorer.h) applies them to every window.
 *
 * What each sample must exceed, side by side: the global threshold (alert_above,
 * lib/alerting/alert_select.h: a score that the calibration's own training
 * samples share is not above it), and its own source's usual
 * score of that side (lib/features/baseline.h), so that a busy server's
 * ordinary noise is not news and what it serves does not shelter what it
 * opens; a sample that reaches somewhere new for its source
 * (new peers or services, in the window or over its minutes) is never within
 * its usual score. What a source opened is its own doing. What it
 * served is news about it only where it serves something new (host
 * new_served); otherwise an anomaly of its answers is its clients' doing,
 * and they have samples of their own. The side and score that pass go to
 * v[i]; samples that pass on no side get -INFINITY in gated.
 *
 * Then two attributions, by the clients' sketches. Sources passing on their
 * opened side that a host of the network first answered lately, while it
 * serves what it began serving then to two or more new clients, and with
 * nothing else young for them, are that service's first users: the host
 * passes on its served side with their highest score, and they are held
 * back (user_of). And a served sample that passes is held back when a source
 * that passes on its opened side is among its clients: served anomalies
 * provoked by a source alerted for what it opened (a flood answered, an
 * exfiltration received) are that source's. */
#ifndef FLOWSAD_GATES_H
#define FLOWSAD_GATES_H

#include <stdint.h>

#include "features/baseline.h"
#include "features/sample.h"

/* A sample's score on the side that passed its gates. */
struct gate_pass {
	int side;    /* BASELINE_OPENED or BASELINE_SERVED */
	float score; /* scaled */
	float raw;   /* (the scorer's: left 0 here) */
	double threshold, usual; /* the window's threshold, its source's usual score of the side */
	size_t of;    /* the sample whose score it is: itself, or a user of its young service */
	long user_of; /* a sample held back as a young service's user: the service's (else -1) */
};

/* Samples above the threshold held back, by reason (added to). */
struct gate_counts {
	uint64_t usual;     /* within their source's usual score of the side */
	uint64_t answering; /* served, but provoked by others */
	uint64_t users;     /* opened, but the first users of a young service, told as its */
};

/* Gates the samples of set: open and served [set->n] are their scaled
 * scores of each side (NAN: nothing on that side); host_features says
 * whether the model has the host features (without them, no served sample
 * is news); b (NULL: none) is the sources' memory. Into gated [set->n] the
 * score that passed, or -INFINITY; into v [set->n], where one passed, its
 * side and scores, and for every sample user_of. */
void gates_apply(const struct sample_set *set, const float *open, const float *served,
		 double threshold, int host_features, const struct baseline *b, float *gated,
		 struct gate_pass *v, struct gate_counts *n);

#endif
