#include "features/labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/isotime.h"
#include "base/ip.h"
#include "base/grow.h"

int labels_add(struct label_list *l, const char *window_start, const char *src, char *err,
	       size_t errlen)
{
	struct label_entry e = { .window_start = INT64_MIN };
	if (window_start && *window_start && isotime_parse(window_start, &e.window_start) < 0) {
		snprintf(err, errlen,
			 "expected window_start (ISO 8601 UTC or epoch seconds) or an address, "
			 "got '%s'",
			 window_start);
		return -EINVAL;
	}
	if (!src || ip_parse_cidr(src, &e.net, &e.prefix) < 0) {
		snprintf(err, errlen, "expected an address or CIDR, got '%s'", src ? src : "");
		return -EINVAL;
	}
	if (grow_for_one(&l->e, &l->cap, l->n, sizeof *l->e, 64) < 0)
		return -ENOMEM;
	l->e[l->n++] = e;
	return 0;
}

int labels_read(struct label_list *l, FILE *f, const char *name, char *err, size_t errlen)
{
	char line[512], why[384];
	long lineno = 0;

	while (fgets(line, sizeof line, f)) {
		ip_addr net;
		int prefix;
		lineno++;
		line[strcspn(line, "#")] = '\0';
		char *fld[3] = { NULL }, *p = csv_trim(line);
		if (!*p || (lineno == 1 && csv_is_header(p)))
			continue;
		/* src, or window_start,src; further columns are comments */
		int n = csv_split(p, fld, 3),
		    first_is_time = n >= 2 && ip_parse_cidr(fld[0], &net, &prefix) < 0;
		int rc = labels_add(l, first_is_time ? fld[0] : NULL, fld[first_is_time], why,
				    sizeof why);
		if (rc == -EINVAL)
			snprintf(err, errlen, "%s:%ld: %s", name, lineno, why);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void labels_free(struct label_list *l)
{
	free(l->e);
	memset(l, 0, sizeof *l);
}

int labels_match(const struct label_list *l, int64_t window_start, const ip_addr *src)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct label_entry *e = &l->e[k];
		if ((e->window_start == INT64_MIN || e->window_start == window_start) &&
		    ip_in_net(src, &e->net, e->prefix))
			return 1;
	}
	return 0;
}

size_t labels_apply(const struct label_list *l, struct dataset *ds, int8_t value)
{
	size_t count = 0;

	if (!ds->src_ip)
		return 0;
	for (size_t i = 0; i < ds->n; i++) {
		ip_addr a;
		int prefix;
		/* an entry with a window never matches a dataset without windows */
		int64_t w = ds->window_start ? ds->window_start[i] : INT64_MIN + 1;
		if (ip_parse_cidr(ds->src_ip[i], &a, &prefix) == 0 && labels_match(l, w, &a)) {
			ds->y[i] = value;
			count++;
		}
	}
	return count;
}

static int read_list(void *l, FILE *f, const char *name, char *err, size_t errlen)
{
	return labels_read(l, f, name, err, errlen);
}

int labels_read_file(struct label_list *l, const char *path, char *err, size_t errlen)
{
	return csv_read_file(path, read_list, l, err, errlen);
}
