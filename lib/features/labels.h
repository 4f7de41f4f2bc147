/* labels: known-normal and known-anomaly lists (--known-normal,
 * --known-anomaly) applied to samples.
 *
 * One entry per line: "window_start,src_ip" (that one sample), "src_ip" or
 * "CIDR" (every sample of those sources); '#' comments and blank lines are
 * skipped; a header line "window_start,src_ip" or "src_ip" is allowed.
 * window_start is ISO 8601 UTC or epoch seconds and must be a window start
 * of the model's length to match. */
#ifndef FLOWSAD_LABELS_H
#define FLOWSAD_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/dataset.h"
#include "base/ip.h"

struct label_entry {
	int64_t window_start; /* INT64_MIN: any window */
	ip_addr net;
	int prefix;           /* of the 128-bit form */
};

struct label_list {
	size_t n, cap;
	struct label_entry *e;
};

/* Adds the entries of the file at path: as labels_read, and -errno with
 * "path: reason" in err when it cannot be opened. */
int labels_read_file(struct label_list *l, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Adds the entries of f. Returns 0, -EINVAL with "name:line: reason" in
 * err, or -ENOMEM. */
int labels_read(struct label_list *l, FILE *f, const char *name, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Adds one entry: src (an address or CIDR) in the window starting at
 * window_start (ISO 8601 UTC or epoch seconds; NULL or empty: any window).
 * Returns 0, -EINVAL with the reason in err, or -ENOMEM. */
int labels_add(struct label_list *l, const char *window_start, const char *src, char *err,
	       size_t errlen) __attribute__((warn_unused_result));
void labels_free(struct label_list *l);

/* Sets ds->y[i] = value for every row the list matches (rows need a src_ip
 * column; window_start entries need a window_start column). Returns the
 * number of rows labelled. */
size_t labels_apply(const struct label_list *l, struct dataset *ds, int8_t value);
/* Whether an entry of l matches the sample (window_start, src). */
int labels_match(const struct label_list *l, int64_t window_start, const ip_addr *src);

#endif
