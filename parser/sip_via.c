/* SPDX-License-Identifier: BSD-3-Clause */
/* Address literals (IPv4, IPv6) and the response relay target (RFC 3261 18.2.2). */
#include <string.h>

#include "sip.h"
#include "sip_internal.h"

bool sip_ipv4_parse(const char *s, size_t n, uint32_t *addr)
{
	/* four parts of 1 to 3 digits, each at most 255, three dots: 7 to 15 bytes */
	const unsigned char *u = (const unsigned char *)s, *e = u + n;
	uint32_t a = 0;
	unsigned v, d;

	if (n - 7 > 8)
		return false;
	for (int part = 0;; part++) {
		/* u < e here: n >= 7 for the first part, the check after each dot for the rest */
		if ((v = *u++ - (unsigned)'0') > 9)
			return false;
		if (u < e && (d = *u - (unsigned)'0') <= 9) {
			v = v * 10 + d;
			if (++u < e && (d = *u - (unsigned)'0') <= 9) {
				v = v * 10 + d;
				u++;
				if (v > 255)
					return false;
			}
		}
		a = a << 8 | v;
		if (part == 3)
			break;
		if (u >= e || *u != '.' || ++u >= e)
			return false;
	}
	if (u != e)
		return false;
	*addr = a;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool sip_ipv6_parse(const char *s, size_t n, uint8_t addr[16])
{
	uint8_t out[16] = {0};
	int words = 0, gap = -1;
	size_t p = 0;

	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		p = 2;
	} else if (n >= 1 && s[0] == ':') {
		return false;
	}
	while (p < n) {
		if (words == 8)
			return false;
		size_t start = p;
		unsigned v = 0;
		while (p < n && p - start < 4 && hex_value(s[p]) >= 0)
			v = v << 4 | (unsigned)hex_value(s[p++]);
		if (p == start)
			return false;
		if (p < n && s[p] == '.') {
			/* Trailing dotted quad (RFC 4291 2.2 form 3): two words. */
			uint32_t v4;
			if (words > 6 || !sip_ipv4_parse(s + start, n - start, &v4))
				return false;
			out[2 * words] = (uint8_t)(v4 >> 24);
			out[2 * words + 1] = (uint8_t)(v4 >> 16);
			out[2 * words + 2] = (uint8_t)(v4 >> 8);
			out[2 * words + 3] = (uint8_t)v4;
			words += 2;
			p = n;
			break;
		}
		out[2 * words] = (uint8_t)(v >> 8);
		out[2 * words + 1] = (uint8_t)v;
		words++;
		if (p == n)
			break;
		if (s[p] != ':' || p + 1 == n)
			return false;
		p++;
		if (s[p] == ':') {
			if (gap >= 0)
				return false;
			gap = words;
			p++;
		}
	}
	if (gap < 0) {
		if (words != 8)
			return false;
	} else {
		if (words > 7)
			return false;
		int tail = words - gap;
		memmove(out + 16 - 2 * tail, out + 2 * gap, (size_t)(2 * tail));
		memset(out + 2 * gap, 0, (size_t)(16 - 2 * words));
	}
	memcpy(addr, out, 16);
	return true;
}

static bool ipv4_unusable(uint32_t a)
{
	return a == 0xffffffffu    /* limited broadcast */
	       || (a >> 28) == 0xe /* 224.0.0.0/4 multicast */
	       || (a >> 24) == 0;  /* 0.0.0.0/8 unspecified, "this network" */
}

/* Whether a relay destination is an address no unicast reply may go to. */
static bool destination_unusable(const char *s, size_t n)
{
	uint32_t a4;
	uint8_t a6[16];
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (sip_ipv4_parse(s, n, &a4))
		return ipv4_unusable(a4);
	if (sip_ipv6_parse(s, n, a6)) {
		static const uint8_t zero[16], mapped[12] = {[10] = 0xff, [11] = 0xff};
		if (a6[0] == 0xff || memcmp(a6, zero, 16) == 0)
			return true;
		if (memcmp(a6, mapped, 12) == 0)
			return ipv4_unusable((uint32_t)a6[12] << 24 | (uint32_t)a6[13] << 16 |
			                     (uint32_t)a6[14] << 8 | a6[15]);
		return false;
	}
	return false; /* a name: the caller resolves it, or refuses to */
}

/*
 * destination_unusable() for a host the Via parser took as SIP_HOST_IPV4: a dotted quad that
 * sip_ipv4_parse() takes (four parts of 1 to 3 digits, each at most 255), so only its first
 * part and whether it is 255.255.255.255 (a part of at most 3 digits is 255 only as "255")
 * decide ipv4_unusable(), without converting the whole address.
 */
static bool quad_unusable(const char *s, size_t n)
{
	/* the first part's 1 to 3 digits end at the first dot: s[1] or s[2] or s[3] (n >= 7) */
	unsigned d0 = (unsigned)(s[0] - '0'), d1 = (unsigned)(s[1] - '0'),
	         d2 = (unsigned)(s[2] - '0');
	unsigned first = s[1] == '.' ? d0 : s[2] == '.' ? d0 * 10 + d1 : d0 * 100 + d1 * 10 + d2;

	return first == 0 || (first >> 4) == 0xe ||
	       (n == 15 && memcmp(s, "255.255.255.255", 15) == 0);
}

int sip_response_next_hop(const char *buf, const struct sip_msg *msg, struct sip_via *next)
{
	if (msg->via_count < 2) {
		memset(next, 0, sizeof(*next));
		return -SIP_ERR_RELAY_TARGET;
	}
	/* sip_via_parse() fills all of *next, whatever it returns */
	if (sip_via_parse(buf, msg->vias[1], next) != 0)
		return -SIP_ERR_RELAY_TARGET;
	/* RFC 4475 3.3.10: never relay a response to a broadcast or multicast address. */
	if (next->has_received) {
		if (destination_unusable(buf + next->received.off, next->received.len))
			return -SIP_ERR_RELAY_TARGET;
	} else if (next->host_kind == SIP_HOST_IPV4) {
		if (quad_unusable(buf + next->host.off, next->host.len))
			return -SIP_ERR_RELAY_TARGET;
	} else if (destination_unusable(buf + next->host.off, next->host.len)) {
		return -SIP_ERR_RELAY_TARGET;
	}
	return 0;
}
