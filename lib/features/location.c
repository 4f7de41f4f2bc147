#include "features/location.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"

/* Addresses that never leave the organisation: RFC 1918, RFC 6598,
 * loopback, link-local, ULA, and the multicast and broadcast scopes that
 * stay on the link or in the site (RFC 5771 local control block, RFC 2365
 * administratively scoped, IPv6 interface-, link-, site- and
 * organisation-local: RFC 4291), so that a router solicitation to ff02::2
 * is no flow to the internet. */
static const char *const private_nets[] = {
	"10.0.0.0/8",  "172.16.0.0/12",  "192.168.0.0/16", "100.64.0.0/10",
	"127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/24",   "239.0.0.0/8",
	"255.255.255.255/32", "fc00::/7", "fe80::/10",	   "::1/128",
	"ff01::/16",   "ff02::/16",	 "ff05::/16",	   "ff08::/16",
};
_Static_assert(sizeof private_nets / sizeof private_nets[0] <=
		       sizeof ((struct location_table *)0)->private_entry /
			       sizeof ((struct location_table *)0)->private_entry[0],
	       "room for every private net");

void location_init(struct location_table *t)
{
	memset(t, 0, sizeof *t);
	strcpy(t->names[0], "private");
	strcpy(t->names[1], "global");
	t->n_names = 2;
	for (size_t i = 0; i < sizeof private_nets / sizeof private_nets[0]; i++) {
		struct location_entry *e = &t->private_entry[t->n_private];
		if (ip_parse_cidr(private_nets[i], &e->net, &e->prefix) == 0)
			t->n_private++;
	}
}

static int name_index(struct location_table *t, const char *name)
{
	for (int i = 0; i < t->n_names; i++)
		if (strcmp(t->names[i], name) == 0)
			return i;
	if (t->n_names == LOCATION_MAX + 2 || strlen(name) >= LOCATION_NAME_LEN || !*name)
		return -1;
	strcpy(t->names[t->n_names], name);
	return t->n_names++;
}

int location_add(struct location_table *t, const char *cidr, const char *name)
{
	struct location_entry e;
	if (t->n == LOCATION_MAX || ip_parse_cidr(cidr, &e.net, &e.prefix) < 0)
		return -EINVAL;
	for (const char *p = name; *p; p++) /* names appear in feature names */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.' || *p == ' '))
			return -EINVAL;
	if ((e.name = name_index(t, name)) < 0)
		return -EINVAL;
	t->entry[t->n++] = e;
	return 0;
}

int location_read(struct location_table *t, FILE *f, const char *name, char *err, size_t errlen)
{
	char line[512];
	int lineno = 0;

	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line + strspn(line, " \t"), *comma;
		p[strcspn(p, "\r\n#")] = '\0';
		if (!*p || (lineno == 1 && csv_is_header(p)))
			continue;
		if (!(comma = strchr(p, ','))) {
			snprintf(err, errlen, "%s:%d: expected CIDR,name", name, lineno);
			return -EINVAL;
		}
		*comma = '\0';
		char *loc = csv_trim(comma + 1);
		loc[strcspn(loc, ",")] = '\0'; /* columns after the name: comments */
		loc = csv_trim(loc);
		p[strcspn(p, " \t")] = '\0';
		if (location_add(t, p, loc) < 0) {
			snprintf(err, errlen,
				 "%s:%d: expected CIDR,name (a name of letters, digits, "
				 "spaces, '_', '-', '.'; at most %d entries), got '%s,%s'",
				 name, lineno, LOCATION_MAX, p, loc);
			return -EINVAL;
		}
	}
	return 0;
}

int location_of(const struct location_table *t, const ip_addr *a)
{
	int best = -1, best_len = -1;
	for (int i = 0; i < t->n; i++)
		if (t->entry[i].prefix > best_len &&
		    ip_in_net(a, &t->entry[i].net, t->entry[i].prefix)) {
			best = t->entry[i].name;
			best_len = t->entry[i].prefix;
		}
	if (best >= 0)
		return best;
	for (int i = 0; i < t->n_private; i++)
		if (ip_in_net(a, &t->private_entry[i].net, t->private_entry[i].prefix))
			return 0;
	return 1;
}
