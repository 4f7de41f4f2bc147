/* The alert gates of a closed window's samples (gates.h). */
#include "windows/gates.h"

#include <math.h>
#include <stdlib.h>

#include "alerting/alert_select.h"
#include "features/location.h"

/* Served anomalies provoked by a source alerted for what it opened (a flood
 * answered, an exfiltration received) are that source's: a served sample
 * whose clients' sketch holds a source passing on its opened side is held
 * back (counted as answering). Not a young service told for its users (its
 * score theirs): its other clients' alerts are their own stories. */
static void attribute_served(const struct sample_set *set, float *gated,
			     const struct gate_pass *v, struct gate_counts *n)
{
	for (size_t i = 0; i < set->n; i++) {
		if (gated[i] == -INFINITY || v[i].side != BASELINE_SERVED || v[i].of != i)
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

/* A host of the network that serves something it began serving in the
 * last minutes, to two or more clients it first answered then
 * (baseline_serves_young, baseline_young_clients), is a new service with its
 * first users, who could not have used it before: those of them that pass
 * on what they opened, with nothing else young for them in the window
 * (baseline_young_besides), tell its story, not theirs. The news is the
 * server's: it passes on its served side with the highest of its users'
 * scores (unless it passes already), and they are held back as its users.
 * Its old clients (the monitor that checks it, everyone its resolver
 * answers) stay their own; so does a user that reaches anything else young
 * for it (a share it pulls from meanwhile, a scanner's sweep that the new
 * service answered), the only new client of the window, and the clients of
 * a host out on the internet: one serving a port for the first time here is
 * no news of the network's, and what hosts fetch from it is their own doing
 * (a pool that two miners join). */
#define YOUNG_SERVICE_USERS 2

/* Holds back as server's users the m samples of opened (passing on their
 * opened side) still passing that server first answered lately (its
 * clients' sketch, then its memory) with nothing else young for them.
 * Returns how many; into *top the one of them with the highest score. */
static size_t hold_users(const struct sample_set *set, float *gated, struct gate_pass *v,
			 const size_t *opened, size_t m, size_t server, const struct baseline *b,
			 size_t *top)
{
	const struct net_sample *x = set->s[server];
	size_t users = 0;
	for (size_t k = 0; k < m; k++) {
		size_t j = opened[k];
		if (j == server || gated[j] == -INFINITY ||
		    !window_sketch_has(x->c.clients, &set->s[j]->src) ||
		    !baseline_young_client(b, &x->src, &set->s[j]->src) ||
		    baseline_young_besides(b, &set->s[j]->src, &set->s[j]->c, &x->src))
			continue;
		if (!users++ || v[j].score > v[*top].score)
			*top = j;
		gated[j] = -INFINITY;
		v[j].user_of = (long)server;
	}
	return users;
}

static void attribute_to_young_service(const struct sample_set *set, float *gated,
				       struct gate_pass *v, double threshold,
				       const struct baseline *b, struct gate_counts *n)
{
	size_t m = 0, top, users, *opened;
	for (size_t j = 0; j < set->n; j++)
		m += gated[j] != -INFINITY && v[j].side == BASELINE_OPENED;
	/* most windows: none passing */
	if (!b || !m || !(opened = malloc(m * sizeof *opened)))
		return;
	m = 0;
	for (size_t j = 0; j < set->n; j++)
		if (gated[j] != -INFINITY && v[j].side == BASELINE_OPENED)
			opened[m++] = j;
	for (size_t i = 0; i < set->n; i++) {
		const struct net_sample *x = set->s[i];
		if (!x->c.served_packets || x->c.src_location == LOCATION_GLOBAL ||
		    !baseline_serves_young(b, &x->src, x->c.served) ||
		    baseline_young_clients(b, &x->src, x->c.clients) < YOUNG_SERVICE_USERS ||
		    !(users = hold_users(set, gated, v, opened, m, i, b, &top)))
			continue;
		n->users += users;
		if (gated[i] == -INFINITY) {
			gated[i] = v[top].score;
			v[i] = (struct gate_pass){ BASELINE_SERVED, v[top].score, 0, threshold, NAN,
						   top, -1 };
		}
	}
	free(opened);
}

void gates_apply(const struct sample_set *set, const float *open, const float *served,
		 double threshold, int host_features, const struct baseline *b, float *gated,
		 struct gate_pass *v, struct gate_counts *n)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct net_sample *x = set->s[i];
		gated[i] = -INFINITY;
		v[i].user_of = -1;
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
			v[i] = (struct gate_pass){ side, score, 0, threshold, usual, i, -1 };
			break;
		}
	}
	attribute_to_young_service(set, gated, v, threshold, b, n);
	attribute_served(set, gated, v, n);
}
