/* libFuzzer target: the address parser (a configuration value or a command
 * line option). What it accepts is a host of 1..HOSTPORT_MAX-1 bytes with
 * a port in 1..65535, or a unix socket path; and it accepts the same text
 * written back in its canonical form the same way. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hostport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1024], again[HOSTPORT_MAX + 16], err[HOSTPORT_MAX + 128];
	struct hostport h, back;

	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (int allow_unix = 0; allow_unix <= 1; allow_unix++) {
		if (hostport_parse(text, allow_unix, &h, err, sizeof err) != 0)
			continue;
		if (h.unix_socket) {
			if (!allow_unix || h.port != 0 || strcmp(h.host, text) != 0)
				abort();
			continue;
		}
		if (!h.host[0] || h.port < 1 || h.port > 65535)
			abort();
		snprintf(again, sizeof again, strchr(h.host, ':') ? "[%s]:%d" : "%s:%d", h.host,
			 h.port);
		if (hostport_parse(again, allow_unix, &back, err, sizeof err) != 0 ||
		    strcmp(back.host, h.host) != 0 || back.port != h.port)
			abort();
	}
	return 0;
}
