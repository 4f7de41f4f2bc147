#include "features/feature_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/defaults.h"

int feature_options_filter_given(const struct feature_options *o)
{
	return o->monitor || o->include_ports || o->exclude_ports || o->exclude_src ||
	       o->exclude_dst || o->exclude_sids;
}

/* The option's name as the command line writes it: "exclude-ports". */
static void option_name(enum filter_part part, char *buf, size_t len)
{
	snprintf(buf, len, "%s", filter_part_names[part]);
	for (char *p = buf; *p; p++)
		*p = *p == '_' ? '-' : *p;
}

int feature_options_filter(const struct feature_options *o, struct filter **out, char *err,
			   size_t errlen)
{
	const char *texts[FILTER_N_PARTS] = {
		[FILTER_MONITOR] = o->monitor,
		[FILTER_EXCLUDE_SRC] = o->exclude_src,
		[FILTER_EXCLUDE_DST] = o->exclude_dst,
		[FILTER_INCLUDE_PORTS] = o->include_ports,
		[FILTER_EXCLUDE_PORTS] = o->exclude_ports,
		[FILTER_EXCLUDE_SIDS] = o->exclude_sids,
	};
	const char *nets = "networks such as 10.0.0.0/8,2001:db8::/32",
		   *ports = "ports and ranges such as 22,80,8000-8100";
	const char *expected[FILTER_N_PARTS] = {
		nets, nets, nets, ports, ports, "signature ids such as 2013028,2001219",
	};
	struct filter *f = malloc(sizeof *f);
	char name[32];
	int rc = 0;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	filter_init(f);
	for (enum filter_part part = 0; part < FILTER_N_PARTS && rc == 0; part++) {
		if (!texts[part] || (rc = filter_add_part(f, part, texts[part])) == 0)
			continue;
		option_name(part, name, sizeof name);
		snprintf(err, errlen, "%s: expected %s, got '%s'", name, expected[part],
			 texts[part]);
	}
	if (rc == 0 && filter_active(f))
		*out = f;
	else
		free(f);
	return rc;
}

static int read_table(void *t, FILE *f, const char *name, char *err, size_t errlen)
{
	return location_read(t, f, name, err, errlen);
}

int feature_options_locations(const struct feature_options *o, struct location_table *loc,
			      char *err, size_t errlen)
{
	location_init(loc);
	return o->locations ? csv_read_file(o->locations, read_table, loc, err, errlen) : 0;
}

int feature_options_counting_spec(const struct feature_options *o, struct feature_spec *spec,
				  char *err, size_t errlen)
{
	int rc;

	spec->window_seconds = o->window ? o->window : DEFAULT_WINDOW_SECONDS;
	spec->host_features = 1;
	if ((rc = feature_options_locations(o, &spec->loc, err, errlen)) < 0)
		return rc;
	return feature_options_filter(o, &spec->filter, err, errlen);
}

int feature_options_fit(const struct feature_options *o, struct feature_spec *spec,
			const struct sample_set *set, char **json)
{
	*json = NULL;
	if (feature_spec_fit(spec, set, o->vocabulary ? (int)o->vocabulary : DEFAULT_VOCABULARY,
			     o->min_df ? (int)o->min_df : DEFAULT_MIN_DF) < 0 ||
	    !(*json = feature_spec_to_json(spec)))
		return -ENOMEM;
	return 0;
}
