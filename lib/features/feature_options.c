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

/* One option text into the filter; the option named in err when bad. */
static int add_option(struct filter *f, const char *option, const char *text, char *err,
		      size_t errlen)
{
	int rc, ports = strstr(option, "ports") != NULL, sids = strcmp(option, "exclude-sids") == 0;

	if (strcmp(option, "monitor") == 0)
		rc = filter_add_nets(&f->monitor, text);
	else if (strcmp(option, "exclude-src") == 0)
		rc = filter_add_nets(&f->exclude_src, text);
	else if (strcmp(option, "exclude-dst") == 0)
		rc = filter_add_nets(&f->exclude_dst, text);
	else if (strcmp(option, "include-ports") == 0)
		f->has_include = 1, rc = filter_add_ports(f->include_port, text);
	else if (ports)
		f->has_exclude = 1, rc = filter_add_ports(f->exclude_port, text);
	else
		rc = filter_add_sids(f, text);
	if (rc < 0)
		snprintf(err, errlen, "%s: expected %s, got '%s'", option,
			 ports  ? "ports and ranges such as 22,80,8000-8100"
			 : sids ? "signature ids such as 2013028,2001219"
				: "networks such as 10.0.0.0/8,2001:db8::/32", text);
	return rc;
}

int feature_options_filter(const struct feature_options *o, struct filter **out, char *err,
			   size_t errlen)
{
	const char *names[] = { "monitor", "exclude-src", "exclude-dst", "include-ports",
				"exclude-ports", "exclude-sids" };
	const char *texts[] = { o->monitor, o->exclude_src, o->exclude_dst, o->include_ports,
				o->exclude_ports, o->exclude_sids };
	struct filter *f = malloc(sizeof *f);
	int rc = 0;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	filter_init(f);
	for (size_t i = 0; i < sizeof names / sizeof names[0] && rc == 0; i++)
		if (texts[i])
			rc = add_option(f, names[i], texts[i], err, errlen);
	if (rc == 0 && filter_active(f))
		*out = f;
	else
		free(f);
	return rc;
}

int feature_options_locations(const struct feature_options *o, struct location_table *loc,
			      char *err, size_t errlen)
{
	const char *path = o->locations;

	location_init(loc);
	if (!path)
		return 0;
	int rc;
	FILE *f = csv_open(path, &rc, err, errlen);
	if (!f)
		return rc;
	rc = location_read(loc, f, path, err, errlen);
	fclose(f);
	return rc;
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
