/* SPDX-License-Identifier: BSD-3-Clause */
/* SIP messages of sipsteer-bench load: client requests, backend responses (see load_sip.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load_sip.h"

static const char sdp_offer[] = "v=0\r\n"
                                "o=bench 1 1 IN IP4 198.18.0.1\r\n"
                                "s=-\r\n"
                                "c=IN IP4 198.18.0.1\r\n"
                                "t=0 0\r\n"
                                "m=audio 6000 RTP/AVP 0 8 101\r\n"
                                "a=rtpmap:0 PCMU/8000\r\n"
                                "a=rtpmap:8 PCMA/8000\r\n"
                                "a=rtpmap:101 telephone-event/8000\r\n"
                                "a=fmtp:101 0-15\r\n"
                                "a=sendrecv\r\n";

static const char sdp_answer[] = "v=0\r\n"
                                 "o=uas 1 1 IN IP4 198.18.0.21\r\n"
                                 "s=-\r\n"
                                 "c=IN IP4 198.18.0.21\r\n"
                                 "t=0 0\r\n"
                                 "m=audio 7000 RTP/AVP 0 101\r\n"
                                 "a=rtpmap:0 PCMU/8000\r\n"
                                 "a=rtpmap:101 telephone-event/8000\r\n"
                                 "a=sendrecv\r\n";

/* An output buffer that remembers whether anything did not fit. */
struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void out_fmt(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

static int out_end(const struct out *o)
{
	return o->full ? -1 : (int)o->len;
}

int load_sip_branch(char *buf, size_t cap, uint32_t tag, uint64_t call, enum load_txn txn)
{
	/* RFC 3261 8.1.1.7: the magic cookie, then unique per transaction */
	int n = snprintf(buf, cap, "z9hG4bK-%08x-%llx-%c", tag, (unsigned long long)call, txn);

	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* The headers every request of the call shares, after the Request-URI. */
static void common_headers(struct out *o, const struct load_uac_id *u, uint64_t call,
                           enum load_txn txn)
{
	char branch[64];

	load_sip_branch(branch, sizeof(branch), u->tag, call, txn);
	out_fmt(o,
	        " SIP/2.0\r\n"
	        "Via: SIP/2.0/UDP %s;branch=%s;rport\r\n"
	        "Max-Forwards: 70\r\n"
	        "From: \"sipsteer-bench\" <sip:load@%s>;tag=%llx-%08x\r\n",
	        u->local, branch, u->local, (unsigned long long)call, u->tag);
}

int load_sip_invite(char *buf, size_t cap, const struct load_uac_id *u, uint64_t call)
{
	struct out o = {buf, 0, cap, false};

	out_fmt(&o, "INVITE sip:bench@%s", u->target);
	common_headers(&o, u, call, LOAD_TXN_INVITE);
	out_fmt(&o,
	        "To: <sip:bench@%s>\r\n"
	        "Call-ID: %llx-%08x@%s\r\n"
	        "CSeq: 1 INVITE\r\n"
	        "Contact: <sip:load@%s>\r\n"
	        "Content-Type: application/sdp\r\n"
	        "Content-Length: %zu\r\n\r\n",
	        u->target, (unsigned long long)call, u->tag, u->local_ip, u->local,
	        sizeof(sdp_offer) - 1);
	out_mem(&o, sdp_offer, sizeof(sdp_offer) - 1);
	return out_end(&o);
}

int load_sip_in_dialog(char *buf, size_t cap, const struct load_uac_id *u, uint64_t call,
                       enum load_txn txn, const char *ruri, size_t ruri_len, const char *to,
                       size_t to_len)
{
	struct out o = {buf, 0, cap, false};
	const char *method = txn == LOAD_TXN_BYE ? "BYE" : "ACK";

	out_fmt(&o, "%s ", method);
	out_mem(&o, ruri, ruri_len);
	common_headers(&o, u, call, txn);
	out_str(&o, "To: ");
	out_mem(&o, to, to_len);
	/* RFC 3261 13.2.2.4: the ACK of a 2xx has the INVITE's CSeq number */
	out_fmt(&o,
	        "\r\nCall-ID: %llx-%08x@%s\r\n"
	        "CSeq: %d %s\r\n"
	        "Content-Length: 0\r\n\r\n",
	        (unsigned long long)call, u->tag, u->local_ip, txn == LOAD_TXN_BYE ? 2 : 1, method);
	return out_end(&o);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int load_sip_call_of(const char *call_id, size_t len, uint32_t tag, uint64_t *call)
{
	uint64_t n = 0;
	size_t i = 0;

	for (; i < len && i < 16 && hex_digit(call_id[i]) >= 0; i++)
		n = n << 4 | (uint64_t)hex_digit(call_id[i]);
	if (i == 0 || i + 10 > len || call_id[i] != '-' || call_id[i + 9] != '@')
		return -1;
	uint32_t t = 0;

	for (size_t j = i + 1; j < i + 9; j++) {
		int d = hex_digit(call_id[j]);

		if (d < 0)
			return -1;
		t = t << 4 | (uint32_t)d;
	}
	if (t != tag)
		return -1;
	*call = n;
	return 0;
}

/* Name of the header line at [line, line + len) if it is `full` or the compact `compact`. */
static bool header_is(const char *line, size_t len, const char *full, char compact)
{
	size_t n = strlen(full), i;

	if (len > n && !strncasecmp(line, full, n))
		i = n;
	else if (len > 1 && (line[0] | 0x20) == compact)
		i = 1;
	else
		return false;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == ':';
}

/*
 * The first header line (name to CRLF included) named `full` or `compact`: true and *line set,
 * or false when the message has none.
 */
static bool find_header(const char *buf, const struct sip_msg *m, const char *full, char compact,
                        struct sip_str *line)
{
	uint32_t pos = m->start_line.off + m->start_line.len + 2;

	while (pos < m->headers_end) {
		const char *eol = memchr(buf + pos, '\n', m->headers_end - pos);
		uint32_t end = eol ? (uint32_t)(eol - buf) + 1 : m->headers_end;

		if (header_is(buf + pos, end - pos, full, compact)) {
			*line = (struct sip_str){pos, end - pos};
			return true;
		}
		pos = end;
	}
	return false;
}

int load_sip_response(char *out, size_t cap, const char *req, const struct sip_msg *m, int code,
                      const char *reason, bool to_tag, const char *contact, bool sdp)
{
	struct out o = {out, 0, cap, false};
	uint32_t pos = m->start_line.off + m->start_line.len + 2;

	out_fmt(&o, "SIP/2.0 %d %s\r\n", code, reason);
	/* RFC 3261 8.2.6.2: every Via of the request, in order */
	while (pos < m->headers_end) {
		const char *eol = memchr(req + pos, '\n', m->headers_end - pos);
		uint32_t end = eol ? (uint32_t)(eol - req) + 1 : m->headers_end;

		if (header_is(req + pos, end - pos, "Via", 'v'))
			out_mem(&o, req + pos, end - pos);
		pos = end;
	}
	out_str(&o, "From: ");
	out_mem(&o, sip_str_ptr(req, m->from), m->from.len);
	out_str(&o, "\r\nTo: ");
	out_mem(&o, sip_str_ptr(req, m->to), m->to.len);
	if (to_tag && sip_str_empty(m->to_tag)) {
		/* the same tag for every response of a call: a hash of its Call-ID */
		uint32_t h = 2166136261u;

		for (uint32_t i = 0; i < m->call_id.len; i++)
			h = (h ^ (uint8_t)req[m->call_id.off + i]) * 16777619u;
		out_fmt(&o, ";tag=uas%08x", h);
	}
	out_str(&o, "\r\nCall-ID: ");
	out_mem(&o, sip_str_ptr(req, m->call_id), m->call_id.len);
	out_str(&o, "\r\nCSeq: ");
	out_mem(&o, sip_str_ptr(req, m->cseq_value), m->cseq_value.len);
	out_str(&o, "\r\n");
	if (contact)
		out_fmt(&o, "Contact: <sip:bench@%s>\r\n", contact);
	if (sdp)
		out_fmt(&o, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		        sizeof(sdp_answer) - 1, sdp_answer);
	else
		out_str(&o, "Content-Length: 0\r\n\r\n");
	return out_end(&o);
}

/* An IPv4 literal held in a view. */
static int view_ipv4(const char *buf, struct sip_str s, struct in_addr *a)
{
	char ip[INET_ADDRSTRLEN];

	if (s.len == 0 || s.len >= sizeof(ip))
		return -1;
	memcpy(ip, buf + s.off, s.len);
	ip[s.len] = '\0';
	return inet_pton(AF_INET, ip, a) == 1 ? 0 : -1;
}

int load_sip_response_dest(const char *req, const struct sip_msg *m, struct sockaddr_in *dst)
{
	const struct sip_via *v = &m->top_via;
	uint16_t port = v->port ? v->port : 5060;

	memset(dst, 0, sizeof(*dst));
	dst->sin_family = AF_INET;
	if (v->has_received) {
		if (view_ipv4(req, v->received, &dst->sin_addr) < 0)
			return -1;
	} else if (v->host_kind != SIP_HOST_IPV4 || view_ipv4(req, v->host, &dst->sin_addr) < 0) {
		return -1;
	}
	if (v->has_rport && v->rport)
		port = v->rport;
	dst->sin_port = htons(port);
	return 0;
}

bool load_sip_contact_uri(const char *buf, const struct sip_msg *m, struct sip_str *uri)
{
	struct sip_str line;

	if (!find_header(buf, m, "Contact", 'm', &line))
		return false;
	const char *p = memchr(buf + line.off, ':', line.len) + 1;
	const char *end = buf + line.off + line.len;
	const char *lt = memchr(p, '<', (size_t)(end - p));

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (lt) {
		const char *gt = memchr(lt, '>', (size_t)(end - lt));

		if (!gt)
			return false;
		p = lt + 1;
		end = gt;
	} else {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *semi = memchr(p, ';', (size_t)(end - p));

		if (semi)
			end = semi;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
	}
	if (end <= p)
		return false;
	*uri = (struct sip_str){(uint32_t)(p - buf), (uint32_t)(end - p)};
	return true;
}

int load_parse_addr(const char *text, bool need_port, uint16_t default_port, struct sockaddr_in *sa)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	unsigned long port = default_port;

	if (n == 0 || n >= sizeof(ip) || (need_port && !colon))
		return -1;
	memcpy(ip, text, n);
	ip[n] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		return -1;
	if (colon) {
		char *end;

		if (colon[1] < '0' || colon[1] > '9')
			return -1;
		port = strtoul(colon + 1, &end, 10);
		if (*end || port > 65535)
			return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}
