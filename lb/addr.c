/* SPDX-License-Identifier: BSD-3-Clause */
/* Backend addresses: parse, format and compare IPv4/IPv6 + UDP port. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lb.h"

char *lb_addr_format(const struct lb_addr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (!cap)
		return out;
	if (a->family == AF_INET && inet_ntop(AF_INET, a->v4, ip, sizeof(ip)))
		snprintf(out, cap, "%s:%u", ip, (unsigned)a->port);
	else if (a->family == AF_INET6 && inet_ntop(AF_INET6, a->v6, ip, sizeof(ip)))
		snprintf(out, cap, "[%s]:%u", ip, (unsigned)a->port);
	else
		snprintf(out, cap, "(family %u)", (unsigned)a->family);
	return out;
}

/* Decimal 1..65535, nothing else. */
static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -EINVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (i == 0 || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int lb_addr_parse(const char *s, uint16_t default_port, struct lb_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL, *colon;
	size_t len;
	struct lb_addr a;

	memset(&a, 0, sizeof(a));
	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -EINVAL;
		len = (size_t)(close - s - 1);
		if (len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, len);
		host[len] = 0;
		if (inet_pton(AF_INET6, host, a.v6) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else if ((colon = strchr(s, ':')) && strchr(colon + 1, ':')) {
		/* Two colons or more and no brackets: a bare IPv6 literal, no port. */
		if (inet_pton(AF_INET6, s, a.v6) != 1)
			return -EINVAL;
		a.family = AF_INET6;
	} else {
		len = colon ? (size_t)(colon - s) : strlen(s);
		if (len >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, len);
		host[len] = 0;
		if (inet_pton(AF_INET, host, a.v4) != 1)
			return -EINVAL;
		a.family = AF_INET;
		if (colon)
			port = colon + 1;
	}
	a.port = default_port;
	if (port && parse_port(port, &a.port) < 0)
		return -EINVAL;
	*out = a;
	return 0;
}

bool lb_addr_equal(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return !memcmp(a->v4, b->v4, sizeof(a->v4));
	if (a->family == AF_INET6)
		return !memcmp(a->v6, b->v6, sizeof(a->v6));
	return true;
}
