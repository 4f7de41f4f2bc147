/* The alert gates of a closed window's samples (gates.h). */
#include "windows/gates.h"

#include <math.h>

#include "alerting/alert_select.h"

/* Served anomalies provoked by a source alerted for what it opened (a flood
 * answered, an exfiltration received) are that source's: a served sample
 * whose clients' sketch holds a source passing on its opened side is held
 * back (counted as answering). */
static void attribute_served(const struct sample_set *set, float *gated,
			     const struct gate_pass *v, struct gate_counts *n)
{
	for (size_t i = 0; i < set->n; i++) {
		if (gated[i] == -INFINITY || v[i].side != BASELINE_SERVED)
			continue;
		for (size_t j = 0; j < set->n; j++)
			if (gated[j] != -INFINITY && v[j].side == BASELINE_OPENED &&
			    window_sketch_has(set->s[i]->c.clients, &set->s[j]->src)) {
				gated[i] = -INFINITY;
				n->answering++;
				break;
			}
	}
}

void gates_apply(const struct sample_set *set, const float *open, const float *served,
		 double threshold, int host_features, const struct baseline *b, float *gated,
		 struct gate_pass *v, struct gate_counts *n)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct net_sample *x = set->s[i];
		gated[i] = -INFINITY;
		if (!alert_above(open[i], threshold) && !alert_above(served[i], threshold))
			continue; /* most samples: no lookup of their source */
		int news = host_features && x->host[BASELINE_NEW_SERVED] > 0;
		/* somewhere new for its source: no usual score of it covers that */
		int novel = host_features && baseline_reaches_new(x->host);
		for (int side = BASELINE_OPENED; side < BASELINE_SIDES; side++) {
			float score = side == BASELINE_OPENED ? open[i] : served[i];
			if (!alert_above(score, threshold))
				continue;
			if (side == BASELINE_SERVED && !news) {
				n->answering++;
				continue;
			}
			double usual = b && !novel ? baseline_usual_score(b, &x->src, side) : NAN;
			if (score <= usual) { /* NAN: no usual yet */
				n->usual++;
				continue;
			}
			gated[i] = score;
			v[i] = (struct gate_pass){ side, score, 0, threshold, usual };
			break;
		}
	}
	attribute_served(set, gated, v, n);
}
