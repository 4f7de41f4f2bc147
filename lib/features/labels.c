#include "features/labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/isotime.h"
#include "base/ip.h"
#include "base/grow.h"

int labels_read(struct label_list *l, FILE *f, const char *name, char *err, size_t errlen)
{
	char line[512];
	long lineno = 0;

	while (fgets(line, sizeof line, f)) {
		struct label_entry e = { .window_start = INT64_MIN };
		lineno++;
		line[strcspn(line, "#")] = '\0';
		char *fld[3] = { NULL }, *p = csv_trim(line);
		if (!*p || (lineno == 1 && csv_is_header(p)))
			continue;
		/* src, or window_start,src; further columns are comments */
		int n = csv_split(p, fld, 3);
		if (n >= 2 && ip_parse_cidr(fld[0], &e.net, &e.prefix) < 0) {
			if (isotime_parse(fld[0], &e.window_start) < 0) {
				snprintf(err, errlen,
					 "%s:%ld: expected window_start (ISO 8601 UTC or epoch "
					 "seconds) or an address, got '%s'",
					 name, lineno, fld[0]);
				return -EINVAL;
			}
			fld[0] = fld[1];
		}
		if (ip_parse_cidr(fld[0], &e.net, &e.prefix) < 0) {
			snprintf(err, errlen, "%s:%ld: expected an address or CIDR, got '%s'", name,
				 lineno, fld[0]);
			return -EINVAL;
		}
		if (grow_for_one(&l->e, &l->cap, l->n, sizeof *l->e, 64) < 0)
			return -ENOMEM;
		l->e[l->n++] = e;
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
