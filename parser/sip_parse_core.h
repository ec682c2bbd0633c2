/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parser proper, compiled three times: sip_parse_scalar.c, sip_parse_sse42.c and
 * sip_parse_avx2.c each define SIP_VARIANT_* and SIP_TARGET (the target attribute every function
 * here carries) and include this file, which defines sip_parse_<variant>() and
 * sip_via_parse_<variant>(). sip_parse.c picks one at run time. Everything is static but those
 * two, so the three builds live side by side.
 *
 * How it works: the line loop (at the end) finds each line end with sip_scan_eol(), joins folded
 * lines and hands each header to header(), which looks at the name and parses only the headers
 * a stateless balancer reads. Character runs (tokens, hosts, Call-ID words, the Request-URI,
 * list separators) are found with the class scanners of sip_scan.h, 16 or 32 bytes at a time.
 * Unknown headers cost one line scan and one look at their name. sip_parse_fast.h holds a fast
 * path for the common message shapes that runs first and hands anything else to this general
 * parser.
 */
#include <limits.h>
#include <string.h>

#include "sip.h"
#include "sip_internal.h"
#include "sip_scan.h"

#define SIP_CAT2(a, b)  a##_##b
#define SIP_CAT(a, b)   SIP_CAT2(a, b)
#define SIP_ENTRY(name) SIP_CAT(name, SIP_VARIANT_NAME)
#define SIP_FN          static SIP_TARGET

struct parse_state {
	const char *buf;
	size_t len;
	struct sip_msg *msg;
	enum sip_err err; /* first defect found, in message order */
	bool has_call_id, has_from, has_to, has_cseq;
};
/* finish_fast() reads the four flags as one 32-bit word */
_Static_assert(sizeof(bool) == 1 && offsetof(struct parse_state, has_cseq) ==
                                        offsetof(struct parse_state, has_call_id) + 3,
               "the four header flags are adjacent bytes");

static inline SIP_TARGET struct sip_str view(size_t from, size_t to)
{
	return (struct sip_str){.off = (uint32_t)from, .len = (uint32_t)(to - from)};
}

static inline SIP_TARGET void fail(struct parse_state *st, enum sip_err e)
{
	if (st->err == SIP_OK)
		st->err = e;
}

static inline SIP_TARGET bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Trailing LWS off buf[s..e). */
static inline SIP_TARGET size_t trim_end(const char *buf, size_t s, size_t e)
{
	while (e > s && sip_cc_is(buf[e - 1], SIP_CC_LWS))
		e--;
	return e;
}

/* All of buf[s..e) is decimal digits (at least one); the value saturates above UINT32_MAX. */
SIP_FN bool digits_u32(const char *buf, size_t s, size_t e, uint64_t *value)
{
	uint64_t v = 0;
	if (s == e)
		return false;
	for (size_t i = s; i < e; i++) {
		unsigned d = (unsigned char)buf[i] - (unsigned)'0';
		if (d > 9)
			return false;
		v = v * 10 + d;
		if (v > UINT32_MAX)
			v = (uint64_t)UINT32_MAX + 1;
	}
	*value = v;
	return true;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; only 2.0 is spoken (RFC 3261 7.1, 21.5.20). */
SIP_FN enum sip_err version_check(const char *buf, size_t s, size_t e)
{
	if (e - s == 7 && SIP_IEQ(buf + s, "sip/2.0"))
		return SIP_OK;
	if (e - s < 4 || !SIP_IEQ(buf + s, "sip/"))
		return SIP_ERR_START_LINE;
	size_t p = s + 4, d = sip_skip_class(buf, p, e, SIP_CC_DIGIT);
	if (d == p || d == e || buf[d] != '.')
		return SIP_ERR_START_LINE;
	p = d + 1;
	d = sip_skip_class(buf, p, e, SIP_CC_DIGIT);
	if (d == p || d != e)
		return SIP_ERR_START_LINE;
	return SIP_ERR_VERSION;
}

/*
 * Request-URI checks for what the balancer relays without rewriting (RFC 4475 3.1.2.7, 3.1.2.8,
 * 3.1.2.11): an absoluteURI with a scheme, no LWS or control bytes, no <> around it, and for
 * sip:/sips: no headers part (RFC 3261 19.1.1: headers are not allowed in a Request-URI).
 */
SIP_FN enum sip_err request_uri_check(const char *buf, size_t s, size_t e)
{
	if (buf[s] == '<' || sip_skip_cls(buf, s, e, &sip_class_visible) != e)
		return SIP_ERR_REQUEST_URI;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":": the first byte outside the
	 * scheme's characters must be the first ':' of the URI */
	size_t colon = s;
	if (e - s >= 4 && SIP_IEQ(buf + s, "sip:"))
		colon = s + 3; /* the usual scheme: the loop below would stop at the same ':' */
	else
		while (colon < e && (sip_cc_is(buf[colon], SIP_CC_HOST) || buf[colon] == '+'))
			colon++;
	if (colon == e || buf[colon] != ':' || colon == s ||
	    !((buf[s] | 0x20) >= 'a' && (buf[s] | 0x20) <= 'z'))
		return SIP_ERR_REQUEST_URI;
	size_t scheme = colon - s;
	if ((scheme == 3 && SIP_IEQ(buf + s, "sip")) || (scheme == 4 && SIP_IEQ(buf + s, "sips"))) {
		/* userinfo may hold '?' (RFC 4475 3.1.1.2); headers start after the host */
		size_t at = sip_rfind_byte(buf, colon, e, '@');
		size_t host = at != SIZE_MAX ? at : colon;
		if (sip_find_byte(buf, host, e, '?') != e)
			return SIP_ERR_REQUEST_URI;
	}
	return SIP_OK;
}

/*
 * Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces. Doubled or
 * trailing spaces (RFC 4475 3.1.2.9, 3.1.2.10) would have to be repaired before forwarding, so
 * they are refused rather than relayed.
 */
SIP_FN void request_line(struct parse_state *st, size_t s, size_t e)
{
	const char *buf = st->buf;
	struct sip_msg *msg = st->msg;

	msg->is_request = true;
	size_t sp1 = sip_skip_cls(buf, s, e, &sip_class_token);
	if (sp1 == e || (sp1 == s && buf[s] == ' ')) {
		fail(st, SIP_ERR_START_LINE);
		return;
	}
	if (sp1 == s || buf[sp1] != ' ') {
		fail(st, SIP_ERR_METHOD);
		return;
	}
	msg->method_name = view(s, sp1);
	msg->method = sip_method_lookup(buf + s, sp1 - s);

	/* the last space: sp1 when the line has only two tokens */
	size_t ver = sip_rfind_byte(buf, sp1, e, ' ') + 1;
	if (ver - 1 == sp1 || ver == e) {
		fail(st, SIP_ERR_START_LINE);
		return;
	}
	size_t us = sp1 + 1, ue = ver - 1;
	msg->request_uri = view(us, ue);
	if (buf[us] == ' ' || buf[ue - 1] == ' ') {
		fail(st, SIP_ERR_START_LINE);
		return;
	}
	enum sip_err err = version_check(buf, ver, e);
	if (err == SIP_OK)
		err = request_uri_check(buf, us, ue);
	if (err != SIP_OK)
		fail(st, err);
}

/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; the reason may be empty. */
SIP_FN void status_line(struct parse_state *st, size_t s, size_t e)
{
	const char *buf = st->buf;
	struct sip_msg *msg = st->msg;

	msg->is_request = false;
	size_t sp = s;
	while (sp < e && buf[sp] != ' ')
		sp++;
	enum sip_err err = version_check(buf, s, sp);
	if (sp == e) {
		fail(st, SIP_ERR_START_LINE);
		return;
	}
	if (err != SIP_OK) {
		fail(st, err);
		return;
	}
	size_t cs = sp + 1, ce = sip_skip_class(buf, cs, e, SIP_CC_DIGIT);
	if (ce == cs || (ce < e && buf[ce] != ' ')) {
		fail(st, SIP_ERR_START_LINE);
		return;
	}
	msg->reason = ce < e ? view(ce + 1, e) : view(e, e);
	uint64_t code = 0;
	digits_u32(buf, cs, ce, &code);
	if (ce - cs != 3 || code < 100 || code > 699) {
		fail(st, SIP_ERR_STATUS_CODE);
		return;
	}
	msg->status_code = (uint16_t)code;
}

SIP_FN void start_line(struct parse_state *st, size_t s, size_t e)
{
	st->msg->start_line = view(s, e);
	/* A method cannot contain '/', so "SIP/" opens a Status-Line. */
	if (e - s >= 4 && SIP_IEQ(st->buf + s, "sip/"))
		status_line(st, s, e);
	else
		request_line(st, s, e);
}

/*
 * End of one element of a comma-separated header value: the first ',' outside a quoted string
 * and outside <...> (RFC 3261 7.3.1), or end.
 */
SIP_FN size_t list_element_end(const char *buf, size_t p, size_t end)
{
	/* Usually no quote or bracket comes before the comma: one vector scan finds it. */
	p = sip_find_cls(buf, p, end, &sip_class_via_sep);
	if (p == end || buf[p] == ',')
		return p;
	unsigned angle = 0;
	for (; p < end; p++) {
		char c = buf[p];
		if (c == '"') {
			for (p++; p < end && buf[p] != '"'; p++)
				if (buf[p] == '\\' && p + 1 < end)
					p++;
			if (p == end)
				return end;
		} else if (c == '<') {
			angle++;
		} else if (c == '>') {
			if (angle > 0)
				angle--;
		} else if (c == ',' && angle == 0) {
			return p;
		}
	}
	return end;
}

/* Each element of a Via header; the first Via of the message is parsed in place. */
SIP_FN void via_header(struct parse_state *st, size_t vs, size_t ve, struct sip_str line)
{
	const char *buf = st->buf;
	struct sip_msg *msg = st->msg;

	for (size_t p = vs;;) {
		size_t end = list_element_end(buf, p, ve);
		size_t s = sip_skip_lws(buf, p, end), e = trim_end(buf, s, end);
		if (s < e) {
			uint16_t i = msg->via_count;
			struct sip_str v = view(s, e);
			if (i < SIP_MAX_VIAS)
				msg->vias[i] = v;
			if (i == 0) {
				msg->top_via_line = line;
				if (SIP_ENTRY(sip_via_parse)(buf, v, &msg->top_via) != 0)
					fail(st, SIP_ERR_BAD_VIA);
			}
			if (i < UINT16_MAX)
				msg->via_count = (uint16_t)(i + 1);
		}
		if (end == ve)
			return;
		p = end + 1;
	}
}

/* Value of the first ";tag=" among the header params in buf[p..end). */
SIP_FN struct sip_str find_tag(const char *buf, size_t p, size_t end)
{
	for (;;) {
		p = sip_skip_lws(buf, p, end);
		if (p >= end || buf[p] != ';')
			return view(end, end);
		/* the usual ";tag=value", no LWS or quotes: straight to the value */
		if (end - p > 5 && SIP_IEQ(buf + p, ";tag=") &&
		    !sip_cc_is(buf[p + 5], SIP_CC_LWS) && buf[p + 5] != '"')
			return view(p + 5, sip_skip_cls(buf, p + 5, end, &sip_class_pvalue));
		p = sip_skip_lws(buf, p + 1, end);
		size_t name = p;
		p = sip_skip_cls(buf, p, end, &sip_class_token);
		size_t name_len = p - name;
		p = sip_skip_lws(buf, p, end);
		size_t vs = p, ve = p;
		if (p < end && buf[p] == '=') {
			p = sip_skip_lws(buf, p + 1, end);
			vs = p;
			if (p < end && buf[p] == '"') {
				for (p++; p < end && buf[p] != '"'; p++)
					if (buf[p] == '\\' && p + 1 < end)
						p++;
				p = p < end ? p + 1 : end;
			} else {
				p = sip_skip_cls(buf, p, end, &sip_class_pvalue);
			}
			ve = p;
		}
		if (name_len == 3 && SIP_IEQ(buf + name, "tag"))
			return view(vs, ve);
	}
}

/*
 * From / To = ( name-addr / addr-spec ) *( SEMI param ). Fills the URI (inside <>, else up to
 * the first ';') and the tag. Returns false when the value is empty or '<' has no '>'.
 */
SIP_FN bool name_addr(const char *buf, size_t vs, size_t ve, struct sip_str *uri,
                      struct sip_str *tag)
{
	size_t lt = ve, semi = ve;
	if (vs == ve)
		return false;
	for (size_t p = vs; (p = sip_find_cls(buf, p, ve, &sip_class_name_sep)) < ve; p++) {
		if (buf[p] == '"') {
			for (p++; p < ve && buf[p] != '"'; p++)
				if (buf[p] == '\\' && p + 1 < ve)
					p++;
			if (p == ve) {
				/* RFC 4475 3.1.2.6: infer that the unclosed quote ends before '<'.
				 */
				lt = sip_find_byte(buf, vs, ve, '<');
				break;
			}
		} else if (buf[p] == '<') {
			lt = p;
			break;
		} else if (buf[p] == ';') {
			semi = p;
			break;
		}
	}
	size_t params;
	if (lt < ve) {
		size_t gt = sip_find_byte(buf, lt + 1, ve, '>');
		if (gt == ve)
			return false;
		size_t us = sip_skip_lws(buf, lt + 1, gt);
		*uri = view(us, trim_end(buf, us, gt));
		params = gt + 1;
	} else {
		*uri = view(vs, trim_end(buf, vs, semi));
		params = semi;
	}
	*tag = find_tag(buf, params, ve);
	return true;
}

SIP_FN void cseq_header(struct parse_state *st, size_t vs, size_t ve)
{
	const char *buf = st->buf;
	struct sip_msg *msg = st->msg;

	if (st->has_cseq) {
		fail(st, SIP_ERR_DUP_CSEQ);
		return;
	}
	st->has_cseq = true;
	msg->cseq_value = view(vs, ve);
	/* CSeq = 1*DIGIT LWS Method; leading zeros are legal (RFC 4475 3.1.1.1) */
	size_t de = sip_skip_class(buf, vs, ve, SIP_CC_DIGIT);
	size_t ms = sip_skip_lws(buf, de, ve);
	size_t me = sip_skip_cls(buf, ms, ve, &sip_class_token);
	uint64_t number;
	if (de == vs || ms == de || me == ms || me != ve || !digits_u32(buf, vs, de, &number)) {
		fail(st, SIP_ERR_BAD_CSEQ);
		return;
	}
	msg->cseq_method_name = view(ms, me);
	msg->cseq_method = sip_method_lookup(buf + ms, me - ms);
	if (number > UINT32_MAX) {
		fail(st, SIP_ERR_CSEQ_RANGE); /* RFC 3261 8.1.1.5: 32-bit unsigned */
		return;
	}
	msg->cseq = (uint32_t)number;
	/* RFC 3261 8.1.1.5: the method matches the request's, ACK and CANCEL included. */
	/* sip_method_lookup() is exact: two known methods match when their enums do */
	struct sip_str m = msg->method_name;
	bool same = msg->method != SIP_METHOD_OTHER || msg->cseq_method != SIP_METHOD_OTHER
	                ? msg->method == msg->cseq_method
	                : m.len == me - ms && memcmp(buf + m.off, buf + ms, m.len) == 0;
	if (msg->is_request && m.len > 0 && !same)
		fail(st, SIP_ERR_CSEQ_METHOD);
}

SIP_FN void max_forwards_header(struct parse_state *st, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;
	uint64_t v;

	if (msg->has_max_forwards) {
		fail(st, SIP_ERR_DUP_MAX_FORWARDS);
		return;
	}
	msg->has_max_forwards = true;
	msg->max_forwards_value = view(vs, ve);
	if (!digits_u32(st->buf, vs, ve, &v) || v > UINT32_MAX) {
		fail(st, SIP_ERR_BAD_MAX_FORWARDS);
		return;
	}
	msg->max_forwards = (uint32_t)v;
}

SIP_FN void content_length_header(struct parse_state *st, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;
	uint64_t v;

	/* "-999" (RFC 4475 3.1.2.3) and anything else not 1*DIGIT never becomes a length. */
	if (!digits_u32(st->buf, vs, ve, &v) || v > UINT32_MAX) {
		fail(st, SIP_ERR_BAD_CONTENT_LENGTH);
		return;
	}
	if (msg->has_content_length) {
		/* Repeating the same value frames the same body; two values frame nothing. */
		if (msg->content_length != v)
			fail(st, SIP_ERR_DUP_CONTENT_LENGTH);
		return;
	}
	msg->has_content_length = true;
	msg->content_length = (uint32_t)v;
}

SIP_FN void call_id_header(struct parse_state *st, size_t vs, size_t ve)
{
	if (st->has_call_id) {
		fail(st, SIP_ERR_DUP_CALL_ID);
		return;
	}
	st->has_call_id = true;
	st->msg->call_id = view(vs, ve);
	/* callid = word [ "@" word ] */
	if (vs == ve || sip_skip_cls(st->buf, vs, ve, &sip_class_word) != ve)
		fail(st, SIP_ERR_BAD_CALL_ID);
}

SIP_FN void from_header(struct parse_state *st, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;
	struct sip_str uri;

	if (st->has_from) {
		fail(st, SIP_ERR_DUP_FROM);
		return;
	}
	st->has_from = true;
	msg->from = view(vs, ve);
	if (!name_addr(st->buf, vs, ve, &uri, &msg->from_tag))
		fail(st, SIP_ERR_BAD_FROM);
}

SIP_FN void to_header(struct parse_state *st, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;

	if (st->has_to) {
		fail(st, SIP_ERR_DUP_TO);
		return;
	}
	st->has_to = true;
	msg->to = view(vs, ve);
	if (!name_addr(st->buf, vs, ve, &msg->to_uri, &msg->to_tag))
		fail(st, SIP_ERR_BAD_TO);
}

SIP_FN void route_header(struct parse_state *st, size_t vs, size_t ve, struct sip_str line)
{
	struct sip_msg *msg = st->msg;

	if (msg->has_route)
		return;
	msg->has_route = true;
	size_t end = list_element_end(st->buf, vs, ve);
	msg->route = view(vs, trim_end(st->buf, vs, end));
	msg->route_line = line;
}

/* The headers the balancer reads; HDR_OTHER for all the rest. */
enum hdr {
	HDR_OTHER = 0,
	HDR_CALL_ID,
	HDR_VIA,
	HDR_FROM,
	HDR_TO,
	HDR_CONTENT_LENGTH,
	HDR_CSEQ,
	HDR_ROUTE,
	HDR_MAX_FORWARDS,
	HDR_RECORD_ROUTE,
};

/* Which header the n-byte token at name names (case-insensitive; compact forms per 7.3.3). */
static inline SIP_TARGET enum hdr header_kind(const char *name, size_t n)
{
	char c = (char)(name[0] | 0x20);

	switch (n) {
	case 1:
		switch (c) {
		case 'i':
			return HDR_CALL_ID;
		case 'v':
			return HDR_VIA;
		case 'f':
			return HDR_FROM;
		case 't':
			return HDR_TO;
		case 'l':
			return HDR_CONTENT_LENGTH;
		}
		break;
	case 2:
		if (SIP_IEQ(name, "to"))
			return HDR_TO;
		break;
	case 3:
		if (SIP_IEQ(name, "via"))
			return HDR_VIA;
		break;
	case 4:
		if (SIP_IEQ(name, "from"))
			return HDR_FROM;
		if (SIP_IEQ(name, "cseq"))
			return HDR_CSEQ;
		break;
	case 5:
		if (SIP_IEQ(name, "route"))
			return HDR_ROUTE;
		break;
	case 7:
		if (SIP_IEQ(name, "call-id"))
			return HDR_CALL_ID;
		break;
	case 12:
		if (c == 'm' && SIP_IEQ(name, "max-forwards"))
			return HDR_MAX_FORWARDS;
		if (c == 'r' && SIP_IEQ(name, "record-route"))
			return HDR_RECORD_ROUTE;
		break;
	case 14:
		if (SIP_IEQ(name, "content-length"))
			return HDR_CONTENT_LENGTH;
		break;
	}
	return HDR_OTHER;
}

/*
 * The full names of the headers read most, spelt out and followed at once by ':', recognised
 * without a token scan: sets *n to the name's length, or returns HDR_OTHER for the general path.
 * Reads only name[0..avail).
 */
static inline SIP_TARGET enum hdr header_kind_colon(const char *name, size_t avail, size_t *n)
{
#define SIP_NAME_COLON(lit, kind)                                                                  \
	do {                                                                                       \
		if (avail >= sizeof(lit) - 1 && SIP_IEQ(name, lit)) {                              \
			*n = sizeof(lit) - 2;                                                      \
			return kind;                                                               \
		}                                                                                  \
	} while (0)
	switch (name[0] | 0x20) {
	case 'v':
		SIP_NAME_COLON("via:", HDR_VIA);
		break;
	case 'f':
		SIP_NAME_COLON("from:", HDR_FROM);
		break;
	case 't':
		SIP_NAME_COLON("to:", HDR_TO);
		break;
	case 'c':
		SIP_NAME_COLON("call-id:", HDR_CALL_ID);
		SIP_NAME_COLON("cseq:", HDR_CSEQ);
		SIP_NAME_COLON("content-length:", HDR_CONTENT_LENGTH);
		break;
	case 'm':
		SIP_NAME_COLON("max-forwards:", HDR_MAX_FORWARDS);
		break;
	case 'r':
		SIP_NAME_COLON("route:", HDR_ROUTE);
		SIP_NAME_COLON("record-route:", HDR_RECORD_ROUTE);
		break;
	}
#undef SIP_NAME_COLON
	return HDR_OTHER;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * SIP_WEQ(w, "lit"): the first sizeof(lit) - 1 (at most 8) bytes of the little-endian word w
 * equal the lowercase literal, ASCII case-insensitively (the SIP_IEQ() rule on a loaded word).
 */
#define SIP_LIT_MASK(lit)                                                                          \
	(sizeof(lit) - 1 >= 8 ? ~0ull : (1ull << (8 * (sizeof(lit) - 1) % 64)) - 1)
#define SIP_WEQ(w, lit)                                                                            \
	((((w)&SIP_LIT_MASK(lit)) | SIP_LIT_WORD(SIP_LIT_CASE, lit, 0)) ==                         \
	 SIP_LIT_WORD(SIP_LIT_BYTE, lit, 0))

/*
 * header_kind_colon() on 16 readable bytes at name, loaded as two words once: the first byte
 * picks the candidates, each a masked compare of a word or two.
 */
static inline SIP_TARGET enum hdr header_kind_words(const char *name, size_t *n)
{
	uint64_t w0, w1;
	memcpy(&w0, name, 8);
	memcpy(&w1, name + 8, 8);
	switch ((w0 | 0x20) & 0xff) {
	case 'v':
		if (SIP_WEQ(w0, "via:")) {
			*n = 3;
			return HDR_VIA;
		}
		break;
	case 'f':
		if (SIP_WEQ(w0, "from:")) {
			*n = 4;
			return HDR_FROM;
		}
		break;
	case 't':
		if (SIP_WEQ(w0, "to:")) {
			*n = 2;
			return HDR_TO;
		}
		break;
	case 'c':
		if (SIP_WEQ(w0, "call-id:")) {
			*n = 7;
			return HDR_CALL_ID;
		}
		if (SIP_WEQ(w0, "cseq:")) {
			*n = 4;
			return HDR_CSEQ;
		}
		if (SIP_WEQ(w0, "content-") && SIP_WEQ(w1, "length:")) {
			*n = 14;
			return HDR_CONTENT_LENGTH;
		}
		break;
	case 'm':
		if (SIP_WEQ(w0, "max-forw") && SIP_WEQ(w1, "ards:")) {
			*n = 12;
			return HDR_MAX_FORWARDS;
		}
		break;
	case 'r':
		if (SIP_WEQ(w0, "route:")) {
			*n = 5;
			return HDR_ROUTE;
		}
		if (SIP_WEQ(w0, "record-r") && SIP_WEQ(w1, "oute:")) {
			*n = 12;
			return HDR_RECORD_ROUTE;
		}
		break;
	}
	return HDR_OTHER;
}
#endif

/*
 * One header: buf[line..eol) is the whole logical line (folds included) and its final CRLF
 * sits at eol. header-name HCOLON value, HCOLON = *( SP / HTAB ) ":" SWS (RFC 3261 7.3.1).
 * The value of a header the balancer does not read is never looked at.
 */
static inline SIP_TARGET void header(struct parse_state *st, size_t line, size_t eol)
{
	const char *buf = st->buf;
	size_t n, p;
	enum hdr kind;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (st->len - line >= 16)
		kind = header_kind_words(buf + line, &n);
	else
#endif
		kind = header_kind_colon(buf + line, eol - line, &n);
	if (kind != HDR_OTHER) {
		p = line + n;
	} else {
		size_t name_end = sip_skip_cls(buf, line, eol, &sip_class_token);
		n = name_end - line;
		p = name_end;
		while (p < eol && is_wsp(buf[p]))
			p++;
		if (n == 0 || p == eol || buf[p] != ':') {
			fail(st, SIP_ERR_HEADER_LINE);
			return;
		}
		kind = header_kind(buf + line, n);
		if (kind == HDR_OTHER)
			return;
	}
	if (kind == HDR_RECORD_ROUTE) {
		st->msg->has_record_route = true;
		return;
	}
	/* ": value" with one space and no trailing LWS, else the general skip and trim; buf[eol]
	 * is CR, so the byte after the space is readable */
	size_t vs = p + 1, ve = eol;
	if (buf[vs] == ' ')
		vs++;
	if (sip_cc_is(buf[vs], SIP_CC_LWS))
		vs = sip_skip_lws(buf, vs, eol);
	if (vs < ve && sip_cc_is(buf[ve - 1], SIP_CC_LWS))
		ve = trim_end(buf, vs, ve);

	switch (kind) {
	case HDR_CALL_ID:
		call_id_header(st, vs, ve);
		break;
	case HDR_VIA:
		via_header(st, vs, ve, view(line, eol + 2));
		break;
	case HDR_FROM:
		from_header(st, vs, ve);
		break;
	case HDR_TO:
		to_header(st, vs, ve);
		break;
	case HDR_CONTENT_LENGTH:
		content_length_header(st, vs, ve);
		break;
	case HDR_CSEQ:
		cseq_header(st, vs, ve);
		break;
	case HDR_ROUTE:
		route_header(st, vs, ve, view(line, eol + 2));
		break;
	case HDR_MAX_FORWARDS:
		max_forwards_header(st, vs, ve);
		break;
	case HDR_OTHER:
	case HDR_RECORD_ROUTE:
		break;
	}
}

/* memset() of a few hundred bytes; rep stos costs more than the stores themselves here. */
static inline SIP_TARGET void zero(void *p, size_t n)
{
#if defined(SIP_VARIANT_AVX2)
	char *c = p;
	size_t i = 0;
	if (n < 32) {
		memset(p, 0, n);
		return;
	}
	if (n <= 256) {
		/* parse_init()'s sizes are constants: this folds to straight-line stores, the
		 * full vectors then one that ends at n over bytes already zero */
		__m256i z = _mm256_setzero_si256();
		_mm256_storeu_si256((__m256i *)(void *)c, z);
		for (i = 1; i < 8; i++)
			if (n >= 32 * (i + 1))
				_mm256_storeu_si256((__m256i *)(void *)(c + 32 * i), z);
		if (n % 32)
			_mm256_storeu_si256((__m256i *)(void *)(c + n - 32), z);
		return;
	}
	for (; i + 64 <= n; i += 64) {
		_mm256_storeu_si256((__m256i *)(void *)(c + i), _mm256_setzero_si256());
		_mm256_storeu_si256((__m256i *)(void *)(c + i + 32), _mm256_setzero_si256());
		/* keeps the compiler from turning the loop back into memset (rep stos) */
		__asm__("" : "+r"(i));
	}
	if (i + 32 <= n) {
		_mm256_storeu_si256((__m256i *)(void *)(c + i), _mm256_setzero_si256());
		i += 32;
	}
	/* the last partial vector: one store that ends at n, over bytes already zero */
	if (i < n)
		_mm256_storeu_si256((__m256i *)(void *)(c + n - 32), _mm256_setzero_si256());
#else
	memset(p, 0, n);
#endif
}

static inline SIP_TARGET void parse_init(struct parse_state *st, const char *buf, size_t len,
                                         struct sip_msg *msg)
{
	st->buf = buf;
	st->len = len;
	st->msg = msg;
	st->err = SIP_OK;
	st->has_call_id = st->has_from = st->has_to = st->has_cseq = false;
	/* Everything but the Via array, which is written up to via_count only. */
	zero(msg, offsetof(struct sip_msg, vias));
	zero(&msg->top_via, sizeof(*msg) - offsetof(struct sip_msg, top_via));
}

/* A bare CR or LF ends the scan: return the first defect found so far, else this one. */
static inline SIP_TARGET int stop(struct parse_state *st, enum sip_err e)
{
	fail(st, e);
	return -(int)st->err;
}

/*
 * After the header block: presence checks, framing (RFC 3261 18.3), Max-Forwards 0
 * (16.3 step 2). body_off is where the body starts (len when there is no blank line).
 */
SIP_FN int finish(struct parse_state *st, size_t headers_end, size_t body_off)
{
	struct sip_msg *msg = st->msg;
	size_t avail = st->len - body_off;

	msg->headers_end = (uint32_t)headers_end;
	if (msg->via_count == 0)
		fail(st, SIP_ERR_NO_VIA);
	if (!st->has_call_id)
		fail(st, SIP_ERR_NO_CALL_ID);
	if (!st->has_from)
		fail(st, SIP_ERR_NO_FROM);
	if (!st->has_to)
		fail(st, SIP_ERR_NO_TO);
	if (!st->has_cseq)
		fail(st, SIP_ERR_NO_CSEQ);
	if (msg->has_content_length && msg->content_length > avail) {
		fail(st, SIP_ERR_CONTENT_LENGTH_BEYOND);
		msg->body = view(body_off, st->len);
	} else if (msg->has_content_length) {
		/* Bytes after the body are noise not to relay (RFC 4475 3.1.1.8). */
		msg->body = view(body_off, body_off + msg->content_length);
	} else {
		msg->body = view(body_off, st->len);
	}
	if (msg->is_request && msg->has_max_forwards && msg->max_forwards == 0 &&
	    msg->max_forwards_value.len > 0)
		fail(st, SIP_ERR_TOO_MANY_HOPS);
	if (st->err != SIP_OK)
		return -(int)st->err;
	return (int)(msg->body.off + msg->body.len);
}

/* ---- Via (RFC 3261 20.42, 25.1 via-parm) ---- */

SIP_FN enum sip_transport transport_lookup(const char *s, size_t n)
{
	switch (n) {
	case 2:
		if (SIP_IEQ(s, "ws"))
			return SIP_TRANSPORT_WS;
		break;
	case 3:
		if (SIP_IEQ(s, "udp"))
			return SIP_TRANSPORT_UDP;
		if (SIP_IEQ(s, "tcp"))
			return SIP_TRANSPORT_TCP;
		if (SIP_IEQ(s, "tls"))
			return SIP_TRANSPORT_TLS;
		if (SIP_IEQ(s, "wss"))
			return SIP_TRANSPORT_WSS;
		break;
	case 4:
		if (SIP_IEQ(s, "sctp"))
			return SIP_TRANSPORT_SCTP;
		break;
	}
	return SIP_TRANSPORT_OTHER;
}

/* A decimal port 1-65535 in s[0..n), leading zeros allowed. */
SIP_FN bool port_parse(const char *s, size_t n, uint16_t *port)
{
	uint32_t v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - (unsigned)'0';
		if (d > 9)
			return false;
		v = v * 10 + d;
		if (v > 65535)
			return false;
	}
	if (v == 0)
		return false;
	*port = (uint16_t)v;
	return true;
}

/*
 * An IPv4 literal at buf[p..end) that the host run ends right after (end, or a byte outside the
 * host class): returns its end, or 0 when the bytes are anything else (the general path then
 * decides). Four parts of 1 to 3 digits at most 255, as sip_ipv4_parse() takes them.
 */
static inline __attribute__((always_inline)) SIP_TARGET size_t ipv4_run(const char *buf, size_t p,
                                                                        size_t end)
{
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (p >= end || buf[p] != '.')
				return 0;
			p++;
		}
		unsigned v, d;
		if (p >= end || (v = (unsigned char)buf[p] - (unsigned)'0') > 9)
			return 0;
		p++;
		if (p < end && (d = (unsigned char)buf[p] - (unsigned)'0') <= 9) {
			v = v * 10 + d;
			p++;
			if (p < end && (d = (unsigned char)buf[p] - (unsigned)'0') <= 9) {
				v = v * 10 + d;
				p++;
			}
		}
		if (v > 255)
			return 0;
	}
	if (p < end && sip_cc_is(buf[p], SIP_CC_HOST))
		return 0;
	return p;
}

/* sent-by host at buf[p..end): fills host and host_kind, returns the end or 0 when malformed. */
SIP_FN size_t host_parse(const char *buf, size_t p, size_t end, struct sip_via *via)
{
	size_t v4 = ipv4_run(buf, p, end);
	if (v4 != 0) {
		via->host = view(p, v4);
		via->host_kind = SIP_HOST_IPV4;
		return v4;
	}
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
	p = sip_skip_cls(buf, p, end, &sip_class_host);
	if (p == start || buf[start] == '.' || buf[start] == '-')
		return 0;
	via->host = view(start, p);
	via->host_kind = SIP_HOST_NAME;
	uint32_t a4;
	if (!sip_cc_is(buf[start], SIP_CC_DIGIT))
		return p;
	if (sip_ipv4_parse(buf + start, p - start, &a4)) {
		via->host_kind = SIP_HOST_IPV4;
		return p;
	}
	for (size_t i = start; i < p; i++)
		if (!sip_cc_is(buf[i], SIP_CC_DIGIT) && buf[i] != '.')
			return p;
	return 0; /* "192.0.2" or "1.2.3.4.5": neither an address nor a name */
}

/*
 * One via-param read (name, its length, whether "=" followed, the value's bounds): records
 * branch, received and rport (the first of each wins). Returns false for an empty received or
 * a bad rport value, which make the Via malformed.
 */
static inline SIP_TARGET bool via_param(const char *buf, struct sip_via *via, size_t name,
                                        size_t name_len, bool has_value, size_t val, size_t val_end)
{
	if (name_len == 6 && SIP_IEQ(buf + name, "branch")) {
		if (!via->has_branch) {
			via->has_branch = true;
			via->branch = view(val, val_end);
		}
	} else if (name_len == 8 && SIP_IEQ(buf + name, "received")) {
		if (val == val_end)
			return false;
		if (!via->has_received) {
			via->has_received = true;
			via->received = view(val, val_end);
		}
	} else if (name_len == 5 && SIP_IEQ(buf + name, "rport")) {
		/* RFC 3581: "rport" alone asks for the value, "rport=N" carries it. */
		uint16_t rport = 0;
		if (has_value && val != val_end && !port_parse(buf + val, val_end - val, &rport))
			return false;
		if (!via->has_rport) {
			via->has_rport = true;
			via->rport = rport;
		}
	}
	return true;
}

/*
 * via-parm = sent-protocol LWS sent-by *( SEMI via-params ), where SLASH, COLON, SEMI and EQUAL
 * allow LWS around them (RFC 3261 25.1), folds included: the value may span several lines.
 * The general parser: via_parse_fast() (sip_parse_fast.h) is tried before it.
 */
SIP_FN int via_parse_general(const char *buf, struct sip_str value, struct sip_via *via)
{
	size_t p = value.off, end = (size_t)value.off + value.len;
	size_t start;

	memset(via, 0, sizeof(*via));
	via->value = value;

	/* sent-protocol: protocol-name SLASH protocol-version SLASH transport, all tokens */
	p = sip_skip_lws(buf, p, end);
	size_t proto = p;
	bool fast = false;
	if (end - p > 12 && SIP_IEQ(buf + p, "sip/2.0/udp ")) {
		/* the most usual of all: the transport token ends at the space */
		start = p + 8;
		p = p + 11;
		fast = true;
	} else if (end - p > 8 && SIP_IEQ(buf + p, "sip/2.0/")) {
		/* the usual spelling, no LWS inside: straight to the transport */
		start = p + 8;
		p = sip_skip_cls(buf, start, end, &sip_class_token);
		fast = p > start;
		if (!fast)
			p = proto;
	}
	for (int part = 0; !fast && part < 3; part++) {
		if (part > 0) {
			p = sip_skip_lws(buf, p, end);
			if (p == end || buf[p] != '/')
				return -SIP_ERR_BAD_VIA;
			p = sip_skip_lws(buf, p + 1, end);
		}
		start = p;
		p = sip_skip_cls(buf, p, end, &sip_class_token);
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
		/* port_parse() over the digit run, in the same pass: 1-65535, leading zeros allowed
		 */
		start = p;
		uint32_t port = 0;
		unsigned d;
		while (p < end && (d = (unsigned char)buf[p] - (unsigned)'0') <= 9) {
			port = port * 10 + d;
			if (port > 65535)
				port = 65536;
			p++;
		}
		if (p == start || port == 0 || port > 65535)
			return -SIP_ERR_BAD_VIA;
		via->port = (uint16_t)port;
		p = sip_skip_lws(buf, p, end);
	}

	/* *( SEMI via-params ); generic-param = token [ EQUAL gen-value ] */
	if (p < end)
		via->params = view(p, end);
	while (p < end) {
		if (buf[p] != ';')
			return -SIP_ERR_BAD_VIA;
		size_t name, name_len, val, val_end;
		bool has_value = false;
		if (end - p > 8 && SIP_IEQ(buf + p, ";branch=") &&
		    !sip_cc_is(buf[p + 8], SIP_CC_LWS) && buf[p + 8] != '"') {
			/* the usual ";branch=value", no LWS or quotes: no name scan */
			name = p + 1;
			name_len = 6;
			has_value = true;
			val = p + 8;
			val_end = sip_skip_cls(buf, val, end, &sip_class_pvalue);
			p = sip_skip_lws(buf, val_end, end);
			goto param;
		}
		p = sip_skip_lws(buf, p + 1, end);
		name = p;
		p = sip_skip_cls(buf, p, end, &sip_class_token);
		name_len = p - name;
		if (name_len == 0)
			return -SIP_ERR_BAD_VIA; /* ";;" (RFC 4475 3.1.2.1) */
		p = sip_skip_lws(buf, p, end);
		val = p;
		val_end = p;
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
				p = sip_skip_cls(buf, p, end, &sip_class_pvalue);
			}
			val_end = p;
			p = sip_skip_lws(buf, p, end);
		}
	param:
		if (!via_param(buf, via, name, name_len, has_value, val, val_end))
			return -SIP_ERR_BAD_VIA;
	}
	return 0;
}

#define SIP_PARSE_CORE_BODY 1
#include "sip_parse_fast.h"
#undef SIP_PARSE_CORE_BODY

/* The Via fast path first, reading only the value's bytes; else the general parser. */
SIP_TARGET int SIP_ENTRY(sip_via_parse)(const char *buf, struct sip_str value, struct sip_via *via)
{
	if (via_parse_fast(buf, value, (size_t)value.off + value.len, via, false))
		return 0;
	return via_parse_general(buf, value, via);
}

/* ---- The line loop ---- */

/*
 * Contract (see sip.h): lines end in CRLF; a line whose CRLF is cut off by the end of the
 * datagram is SIP_ERR_INCOMPLETE; a bare CR or LF stops the scan; lines that start with SP or
 * HTAB continue the previous header (RFC 3261 7.3.1); an empty line ends the header block, and
 * so does the end of the datagram right after a CRLF. Reads only buf[0..len). st as
 * parse_init() left it.
 */
SIP_FN int parse_general(struct parse_state *st)
{
	const char *buf = st->buf;
	size_t len = st->len, p = 0, eol;

	/* RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives are only that). */
	while (p + 1 < len && buf[p] == '\r' && buf[p + 1] == '\n')
		p += 2;
	if (p == len)
		return -SIP_ERR_EMPTY;

	eol = sip_scan_eol(buf, p, len);
	if (eol == len || (buf[eol] == '\r' && eol + 1 == len))
		return -SIP_ERR_INCOMPLETE;
	if (buf[eol] != '\r' || buf[eol + 1] != '\n')
		return -SIP_ERR_START_LINE;
	start_line(st, p, eol);
	p = eol + 2;

	for (;;) {
		if (p == len)
			return finish(st, len, len);
		if (buf[p] == '\r') {
			if (p + 1 == len)
				return -SIP_ERR_INCOMPLETE;
			if (buf[p + 1] != '\n')
				return stop(st, SIP_ERR_HEADER_LINE);
			return finish(st, p, p + 2);
		}
		size_t line = p;
		for (;;) {
			eol = sip_scan_eol(buf, p, len);
			if (eol + 2 > len || buf[eol] != '\r' || buf[eol + 1] != '\n') {
				if (eol == len || (buf[eol] == '\r' && eol + 1 == len))
					return -SIP_ERR_INCOMPLETE;
				return stop(st, SIP_ERR_HEADER_LINE);
			}
			p = eol + 2;
			/* a line that starts with a byte above SP is never a fold */
			if (p == len || (unsigned char)buf[p] > ' ' ||
			    (buf[p] != ' ' && buf[p] != '\t'))
				break;
		}
		header(st, line, eol);
	}
}

/* The fast path first; anything it does not take, the general parser from scratch. */
SIP_TARGET int SIP_ENTRY(sip_parse)(const char *buf, size_t len, struct sip_msg *msg)
{
	struct parse_state st;

	parse_init(&st, buf, len, msg);
	if (len > INT_MAX)
		return -SIP_ERR_TOO_LONG;
	int rc = parse_fast(&st);
	if (rc != SIP_FAST_BAIL)
		return rc;
	parse_init(&st, buf, len, msg);
	return parse_general(&st);
}

/* The general parser alone: the reference the tests hold the fast path to (sip_internal.h). */
SIP_TARGET int SIP_ENTRY(sip_parse_general)(const char *buf, size_t len, struct sip_msg *msg)
{
	struct parse_state st;

	parse_init(&st, buf, len, msg);
	if (len > INT_MAX)
		return -SIP_ERR_TOO_LONG;
	return parse_general(&st);
}

SIP_TARGET int SIP_ENTRY(sip_via_parse_general)(const char *buf, struct sip_str value,
                                                struct sip_via *via)
{
	return via_parse_general(buf, value, via);
}
