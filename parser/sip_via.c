/* SPDX-License-Identifier: BSD-3-Clause */
/* One Via value (RFC 3261 20.42, 25.1 via-parm) and the response relay target (18.2.2). */
#include <string.h>

#include "sip.h"
#include "sip_internal.h"

bool sip_ipv4_parse(const char *s, size_t n, uint32_t *addr)
{
	uint32_t a = 0;
	size_t p = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (p >= n || s[p] != '.')
				return false;
			p++;
		}
		size_t start = p;
		uint32_t v = 0;
		while (p < n && p - start < 3 && sip_cc_is(s[p], SIP_CC_DIGIT))
			v = v * 10 + (uint32_t)(s[p++] - '0');
		if (p == start || v > 255)
			return false;
		a = a << 8 | v;
	}
	if (p != n)
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

static enum sip_transport transport_lookup(const char *s, size_t n)
{
	switch (n) {
	case 2:
		if (sip_ieq(s, "ws", 2))
			return SIP_TRANSPORT_WS;
		break;
	case 3:
		if (sip_ieq(s, "udp", 3))
			return SIP_TRANSPORT_UDP;
		if (sip_ieq(s, "tcp", 3))
			return SIP_TRANSPORT_TCP;
		if (sip_ieq(s, "tls", 3))
			return SIP_TRANSPORT_TLS;
		if (sip_ieq(s, "wss", 3))
			return SIP_TRANSPORT_WSS;
		break;
	case 4:
		if (sip_ieq(s, "sctp", 4))
			return SIP_TRANSPORT_SCTP;
		break;
	}
	return SIP_TRANSPORT_OTHER;
}

/* A decimal port 1-65535 in s[0..n), leading zeros allowed. */
static bool port_parse(const char *s, size_t n, uint16_t *port)
{
	uint32_t v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!sip_cc_is(s[i], SIP_CC_DIGIT))
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
		if (v > 65535)
			return false;
	}
	if (v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

static struct sip_str view(size_t from, size_t to)
{
	return (struct sip_str){.off = (uint32_t)from, .len = (uint32_t)(to - from)};
}

/* sent-by host at buf[p..end): fills host and host_kind, returns the end or 0 when malformed. */
static size_t host_parse(const char *buf, size_t p, size_t end, struct sip_via *via)
{
	if (p < end && buf[p] == '[') {
		size_t close = p + 1;
		while (close < end && buf[close] != ']')
			close++;
		uint8_t a6[16];
		if (close == end || !sip_ipv6_parse(buf + p + 1, close - p - 1, a6))
			return 0;
		via->host = view(p + 1, close);
		via->host_kind = SIP_HOST_IPV6;
		return close + 1;
	}
	size_t start = p;
	bool numeric = true;
	while (p < end && sip_cc_is(buf[p], SIP_CC_HOST)) {
		if (!sip_cc_is(buf[p], SIP_CC_DIGIT) && buf[p] != '.')
			numeric = false;
		p++;
	}
	if (p == start || buf[start] == '.' || buf[start] == '-')
		return 0;
	uint32_t a4;
	via->host = view(start, p);
	if (sip_ipv4_parse(buf + start, p - start, &a4))
		via->host_kind = SIP_HOST_IPV4;
	else if (numeric)
		return 0; /* "192.0.2" or "1.2.3.4.5": neither an address nor a name */
	else
		via->host_kind = SIP_HOST_NAME;
	return p;
}

/*
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params ), where SLASH, COLON, SEMI and EQUAL
 * allow LWS around them (RFC 3261 25.1), folds included: the value may span several lines.
 */
int sip_via_parse(const char *buf, struct sip_str value, struct sip_via *via)
{
	size_t p = value.off, end = (size_t)value.off + value.len;
	size_t start;

	memset(via, 0, sizeof(*via));
	via->value = value;

	/* sent-protocol: protocol-name SLASH protocol-version SLASH transport, all tokens */
	p = sip_skip_lws(buf, p, end);
	size_t proto = p;
	for (int part = 0; part < 3; part++) {
		if (part > 0) {
			p = sip_skip_lws(buf, p, end);
			if (p == end || buf[p] != '/')
				return -SIP_ERR_BAD_VIA;
			p = sip_skip_lws(buf, p + 1, end);
		}
		start = p;
		p = sip_skip_class(buf, p, end, SIP_CC_TOKEN);
		if (p == start)
			return -SIP_ERR_BAD_VIA;
	}
	via->protocol = view(proto, p);
	via->transport_name = view(start, p);
	via->transport = transport_lookup(buf + start, p - start);

	/* LWS then sent-by = host [ COLON port ] */
	start = p;
	p = sip_skip_lws(buf, p, end);
	if (p == start)
		return -SIP_ERR_BAD_VIA;
	p = host_parse(buf, p, end, via);
	if (p == 0)
		return -SIP_ERR_BAD_VIA;
	p = sip_skip_lws(buf, p, end);
	if (p < end && buf[p] == ':') {
		p = sip_skip_lws(buf, p + 1, end);
		start = p;
		p = sip_skip_class(buf, p, end, SIP_CC_DIGIT);
		if (!port_parse(buf + start, p - start, &via->port))
			return -SIP_ERR_BAD_VIA;
		p = sip_skip_lws(buf, p, end);
	}

	/* *( SEMI via-params ); generic-param = token [ EQUAL gen-value ] */
	if (p < end)
		via->params = view(p, end);
	while (p < end) {
		if (buf[p] != ';')
			return -SIP_ERR_BAD_VIA;
		p = sip_skip_lws(buf, p + 1, end);
		size_t name = p;
		p = sip_skip_class(buf, p, end, SIP_CC_TOKEN);
		size_t name_len = p - name;
		if (name_len == 0)
			return -SIP_ERR_BAD_VIA; /* ";;" (RFC 4475 3.1.2.1) */
		p = sip_skip_lws(buf, p, end);
		bool has_value = false;
		size_t val = p, val_end = p;
		if (p < end && buf[p] == '=') {
			has_value = true;
			p = sip_skip_lws(buf, p + 1, end);
			val = p;
			if (p < end && buf[p] == '"') {
				for (p++; p < end && buf[p] != '"'; p++)
					if (buf[p] == '\\' && p + 1 < end)
						p++;
				if (p == end)
					return -SIP_ERR_BAD_VIA;
				p++;
			} else {
				p = sip_skip_class(buf, p, end, SIP_CC_PVALUE);
			}
			val_end = p;
			p = sip_skip_lws(buf, p, end);
		}
		if (name_len == 6 && sip_ieq(buf + name, "branch", 6)) {
			if (!via->has_branch) {
				via->has_branch = true;
				via->branch = view(val, val_end);
			}
		} else if (name_len == 8 && sip_ieq(buf + name, "received", 8)) {
			if (val == val_end)
				return -SIP_ERR_BAD_VIA;
			if (!via->has_received) {
				via->has_received = true;
				via->received = view(val, val_end);
			}
		} else if (name_len == 5 && sip_ieq(buf + name, "rport", 5)) {
			/* RFC 3581: "rport" alone asks for the value, "rport=N" carries it. */
			uint16_t rport = 0;
			if (has_value && val != val_end &&
			    !port_parse(buf + val, val_end - val, &rport))
				return -SIP_ERR_BAD_VIA;
			if (!via->has_rport) {
				via->has_rport = true;
				via->rport = rport;
			}
		}
	}
	return 0;
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

int sip_response_next_hop(const char *buf, const struct sip_msg *msg, struct sip_via *next)
{
	memset(next, 0, sizeof(*next));
	if (msg->via_count < 2)
		return -SIP_ERR_RELAY_TARGET;
	if (sip_via_parse(buf, msg->vias[1], next) != 0)
		return -SIP_ERR_RELAY_TARGET;
	struct sip_str dest = next->has_received ? next->received : next->host;
	/* RFC 4475 3.3.10: never relay a response to a broadcast or multicast address. */
	if (destination_unusable(buf + dest.off, dest.len))
		return -SIP_ERR_RELAY_TARGET;
	return 0;
}
