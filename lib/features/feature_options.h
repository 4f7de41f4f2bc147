/* feature_options: what a user says about the features (the command line's
 * --window, --locations, the detection-unit filter, --vocabulary, --min-df,
 * or the configuration's [window] and [features]) turned into a feature
 * spec. Offline commands and the retraining thread share it; it neither
 * logs nor exits: errors come back as -errno with the reason in err. */
#ifndef FLOWSAD_FEATURE_OPTIONS_H
#define FLOWSAD_FEATURE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "features/feature_spec.h"
#include "features/sample.h"

struct feature_options {
	uint32_t window;           /* seconds; 0: the default */
	const char *locations;     /* CIDR,name file, or NULL */
	/* the detection unit's filter, as option texts (NULL: not given) */
	const char *monitor, *include_ports, *exclude_ports, *exclude_src, *exclude_dst,
		*exclude_sids;
	long vocabulary, min_df;   /* 0: the defaults */
};

/* Whether any filter option is given. */
int feature_options_filter_given(const struct feature_options *o);

/* The location table of the options (empty without --locations). Returns 0,
 * -EINVAL with "file:line: reason" in err, -errno when the file cannot be
 * opened (err names it). */
int feature_options_locations(const struct feature_options *o, struct location_table *loc,
			      char *err, size_t errlen) __attribute__((warn_unused_result));
/* The filter of the options, or NULL in *out when they filter nothing.
 * Returns 0, -EINVAL with "option: expected ..., got '...'" in err, or
 * -ENOMEM. */
int feature_options_filter(const struct feature_options *o, struct filter **out, char *err,
			   size_t errlen) __attribute__((warn_unused_result));

/* The counting part of a spec (window length, location table, filter) into
 * a zeroed spec: the two above. Returns their errors. */
int feature_options_counting_spec(const struct feature_options *o, struct feature_spec *spec,
				  char *err, size_t errlen) __attribute__((warn_unused_result));

/* Fits the vocabulary of spec on set and returns the whole spec as JSON
 * in *json (caller frees). Returns 0 or -ENOMEM. */
int feature_options_fit(const struct feature_options *o, struct feature_spec *spec,
			const struct sample_set *set, char **json)
	__attribute__((warn_unused_result));

#endif
