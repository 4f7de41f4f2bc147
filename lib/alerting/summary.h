/* summary: an alert told in one line of words, for an analyst scanning a
 * list ("10.77.3.15 opened 150 flows to 15 hosts on 10 ports; it got no
 * answer to 140 of 150 SYNs").
 *
 * The line names the source and says, for each of the (at most two)
 * feature families of its behaviour (feature_family: "fan-out+failures"),
 * what the sample's counters hold about that family, leading family first.
 * Every number is the sample's own; host and port counts come from its
 * 512-bit sketches (exact to a few percent up to a few hundred). A family
 * that is not a fixed one is a service term's name ("svc private->private
 * tcp/22") and is told as the flows to that service. Pure: no I/O. */
#ifndef FLOWSAD_SUMMARY_H
#define FLOWSAD_SUMMARY_H

#include <stddef.h>

#include "alerting/alert.h"
#include "features/window.h"

#define SUMMARY_LEN 320 /* room for the longest line; longer ones are cut */

/* The behaviour an explanation speaks of: the families (feature_family)
 * of the two leading features of f[0..k) (by Shapley value, highest first)
 * with a positive value that the sample has (a service it did not use can
 * raise a score by its absence, but it is not what the source did), as a
 * name ("fan-out+failures"), the leading one first; "none" without any. */
void summary_behaviour(const struct alert_feature *f, int k, char *name, size_t len);

/* Writes the line for source src (text), behaviour (as above; NULL or ""
 * or "none": told by what it opened) and the sample's counters c (NULL:
 * the behaviour is named alone) into buf[len] (NUL-terminated, cut to
 * fit). Returns buf. */
char *summary_write(char *buf, size_t len, const char *src, const char *behaviour,
		    const struct window_counters *c);

#endif
