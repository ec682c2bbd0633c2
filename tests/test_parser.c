/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser unit tests: one table of messages, each with the expected verdict and, where it
 * matters, a field-by-field check. Every case runs through every scanner this CPU has (scalar,
 * SSE4.2, AVX2), which must agree byte for byte, with the message copied to the end of a heap
 * block of exactly its size so ASan sees any read past it.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip.h"
#include "sip_internal.h"
#include "sip_scan.h"

typedef int (*parse_fn)(const char *, size_t, struct sip_msg *);
static const parse_fn parsers[SIP_SCANNER_COUNT] = {
    [SIP_SCANNER_SCALAR] = sip_parse_scalar,
    [SIP_SCANNER_SSE42] = sip_parse_sse42,
    [SIP_SCANNER_AVX2] = sip_parse_avx2,
};

static bool view_is(const char *buf, struct sip_str s, const char *text)
{
	return s.len == strlen(text) && memcmp(buf + s.off, text, s.len) == 0;
}

#define assert_view(buf, s, text)                                                                  \
	do {                                                                                       \
		if (!view_is(buf, s, text))                                                        \
			fail_msg("%s is \"%.*s\", expected \"%s\"", #s, (int)(s).len,              \
			         (buf) + (s).off, text);                                           \
	} while (0)

static void assert_bounds(struct sip_str s, size_t len)
{
	assert_true((uint64_t)s.off + s.len <= len);
}

/* Parse buf[0..len) with every scanner; they must agree; returns sip_parse()'s result. */
static int parse(const char *buf, size_t len, struct sip_msg *msg)
{
	int rc = sip_parse(buf, len, msg);
	for (int s = 0; s < SIP_SCANNER_COUNT; s++) {
		if (!sip_cpu_has((enum sip_scanner)s))
			continue;
		struct sip_msg other;
		assert_int_equal(parsers[s](buf, len, &other), rc);
		assert_memory_equal(msg, &other, offsetof(struct sip_msg, vias));
		assert_memory_equal(&msg->top_via, &other.top_via,
		                    sizeof(*msg) - offsetof(struct sip_msg, top_via));
		for (size_t i = 0; i < msg->via_count && i < SIP_MAX_VIAS; i++)
			assert_memory_equal(&msg->vias[i], &other.vias[i], sizeof(msg->vias[i]));
	}
	assert_bounds(msg->start_line, len);
	assert_bounds(msg->call_id, len);
	assert_bounds(msg->body, len);
	assert_bounds(msg->top_via_line, len);
	assert_bounds(msg->route_line, len);
	for (size_t i = 0; i < msg->via_count && i < SIP_MAX_VIAS; i++)
		assert_bounds(msg->vias[i], len);
	return rc;
}

/* Building blocks of a valid request. */
#define RL       "INVITE sip:bob@example.com SIP/2.0\r\n"
#define VIA      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc\r\n"
#define MF       "Max-Forwards: 70\r\n"
#define FROM     "From: Alice <sip:alice@example.com>;tag=f1\r\n"
#define TO       "To: <sip:bob@example.com>\r\n"
#define CID      "Call-ID: cid1@example.com\r\n"
#define CSEQ     "CSeq: 1 INVITE\r\n"
#define CL0      "Content-Length: 0\r\n"
#define HDRS     VIA MF FROM TO CID CSEQ
#define REQ(...) RL HDRS __VA_ARGS__ CL0 "\r\n"
#define SL       "SIP/2.0 200 OK\r\n"
#define RVIAS    "Via: SIP/2.0/UDP 198.18.0.10;branch=z9hG4bKlb\r\nVia: SIP/2.0/UDP 192.0.2.1\r\n"
#define RHDRS    "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\n" CID "CSeq: 1 INVITE\r\n"

struct parse_case {
	const char *name;
	const char *text;
	enum sip_err err; /* SIP_OK: must parse */
	void (*check)(const char *buf, size_t len, const struct sip_msg *m, int rc);
};

static void check_basic(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(rc, (int)len);
	assert_true(m->is_request);
	assert_int_equal(m->method, SIP_METHOD_INVITE);
	assert_view(b, m->method_name, "INVITE");
	assert_view(b, m->request_uri, "sip:bob@example.com");
	assert_view(b, m->start_line, "INVITE sip:bob@example.com SIP/2.0");
	assert_view(b, m->call_id, "cid1@example.com");
	assert_int_equal(m->via_count, 1);
	assert_view(b, m->vias[0], "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc");
	assert_view(b, m->top_via_line, VIA);
	assert_view(b, m->top_via.protocol, "SIP/2.0/UDP");
	assert_int_equal(m->top_via.transport, SIP_TRANSPORT_UDP);
	assert_view(b, m->top_via.transport_name, "UDP");
	assert_int_equal(m->top_via.host_kind, SIP_HOST_IPV4);
	assert_view(b, m->top_via.host, "192.0.2.1");
	assert_int_equal(m->top_via.port, 5060);
	assert_true(m->top_via.has_branch);
	assert_view(b, m->top_via.branch, "z9hG4bKabc");
	assert_view(b, m->top_via.params, ";branch=z9hG4bKabc");
	assert_false(m->top_via.has_received);
	assert_false(m->top_via.has_rport);
	assert_true(m->has_max_forwards);
	assert_int_equal(m->max_forwards, 70);
	assert_int_equal(m->cseq, 1);
	assert_int_equal(m->cseq_method, SIP_METHOD_INVITE);
	assert_view(b, m->cseq_value, "1 INVITE");
	assert_view(b, m->from, "Alice <sip:alice@example.com>;tag=f1");
	assert_view(b, m->from_tag, "f1");
	assert_view(b, m->to, "<sip:bob@example.com>");
	assert_int_equal(m->to_tag.len, 0);
	assert_view(b, m->to_uri, "sip:bob@example.com");
	assert_false(m->has_route);
	assert_false(m->has_record_route);
	assert_true(m->has_content_length);
	assert_int_equal(m->content_length, 0);
	assert_int_equal(m->headers_end, len - 2);
	assert_int_equal(m->body.off, len);
	assert_int_equal(m->body.len, 0);
}

static void check_folding(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->call_id, "folded@example.com");
	assert_view(b, m->top_via.host, "host.example.com");
	assert_view(b, m->top_via.branch, "z9hG4bKf");
	assert_int_equal(m->cseq, 7);
	assert_view(b, m->from_tag, "ft");
}

static void check_lws_colon(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->call_id, "lws@example.com");
	assert_int_equal(m->max_forwards, 12);
	assert_int_equal(m->content_length, 4);
	assert_view(b, m->body, "abcd");
}

static void check_case(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->call_id, "case@example.com");
	assert_int_equal(m->via_count, 1);
	assert_int_equal(m->max_forwards, 5);
	assert_view(b, m->to_tag, "tt");
	assert_true(m->has_record_route);
	assert_true(m->has_route);
}

static void check_compact(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->call_id, "compact@example.com");
	assert_int_equal(m->via_count, 2);
	assert_view(b, m->from_tag, "cf");
	assert_view(b, m->to_tag, "ct");
	assert_int_equal(m->content_length, 3);
	assert_view(b, m->body, "x=1");
	assert_int_equal(rc, (int)len);
}

static void check_comma_vias(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->via_count, 4);
	assert_view(b, m->vias[0], "SIP/2.0/UDP a.example.com;x=\"1,2\";branch=z9hG4bK1");
	assert_view(b, m->vias[1], "SIP/2.0/TCP b.example.com;y=<c,d>");
	assert_view(b, m->vias[2], "SIP/2.0/TLS c.example.com");
	assert_view(b, m->vias[3], "SIP/2.0/UDP d.example.com");
	assert_view(b, m->top_via.host, "a.example.com");
	assert_view(b, m->top_via.branch, "z9hG4bK1");
	assert_view(b, m->top_via_line,
	            "Via: SIP/2.0/UDP a.example.com;x=\"1,2\";branch=z9hG4bK1, SIP/2.0/TCP "
	            "b.example.com;y=<c,d>,, SIP/2.0/TLS c.example.com\r\n");
}

static void check_odd_headers(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(rc, (int)len);
	assert_view(b, m->call_id, "cid1@example.com");
}

static void check_utf8(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_false(m->is_request);
	assert_int_equal(m->status_code, 200);
	assert_view(b, m->reason, "\xd0\x9e\xd0\x9a \xe2\x9c\x93");
}

static void check_zeros(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->max_forwards, 68);
	assert_view(b, m->max_forwards_value, "0068");
	assert_int_equal(m->cseq, 9);
	assert_int_equal(m->content_length, 2);
}

static void check_body_cl(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->body, "v=0\r\n");
	assert_int_equal(rc, (int)len);
}

static void check_body_no_cl(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_false(m->has_content_length);
	assert_view(b, m->body, "v=0\r\nrest of the datagram");
	assert_int_equal(rc, (int)len);
}

static void check_no_blank(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(rc, (int)len);
	assert_int_equal(m->headers_end, len);
	assert_int_equal(m->body.off, len);
	assert_int_equal(m->body.len, 0);
}

static void check_noise(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(rc, (int)(strstr(b, "\r\n\r\n") - b) + 4);
	assert_int_equal(m->body.len, 0);
}

static void check_keepalive(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->start_line.off, 4);
	assert_int_equal(rc, (int)len);
}

static void check_ipv6(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->top_via.host_kind, SIP_HOST_IPV6);
	assert_view(b, m->top_via.host, "2001:db8::1");
	assert_int_equal(m->top_via.port, 5070);
	assert_int_equal(m->top_via.transport, SIP_TRANSPORT_TCP);
	assert_true(m->top_via.has_rport);
	assert_int_equal(m->top_via.rport, 0);
	assert_true(m->top_via.has_received);
	assert_view(b, m->top_via.received, "2001:db8::2");
}

static void check_name(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->top_via.host_kind, SIP_HOST_NAME);
	assert_view(b, m->top_via.host, "pc33.atlanta.example.com");
	assert_int_equal(m->top_via.port, 0);
	assert_int_equal(m->top_via.transport, SIP_TRANSPORT_SCTP);
	assert_true(m->top_via.has_rport);
	assert_int_equal(m->top_via.rport, 5062);
	assert_true(m->top_via.has_received);
	assert_view(b, m->top_via.received, "192.0.2.7");
	assert_view(b, m->top_via.branch, "z9hG4bKn");
}

static void check_other_transports(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	static const enum sip_transport want[] = {SIP_TRANSPORT_WS, SIP_TRANSPORT_WSS,
	                                          SIP_TRANSPORT_TLS, SIP_TRANSPORT_OTHER};
	assert_int_equal(m->via_count, 4);
	for (int i = 0; i < 4; i++) {
		struct sip_via v;
		assert_int_equal(sip_via_parse(b, m->vias[i], &v), 0);
		assert_int_equal(v.transport, want[i]);
	}
	assert_false(m->top_via.has_branch);
}

static void check_tags(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->from_tag, "a1");
	assert_view(b, m->to_tag, "b2");
	assert_view(b, m->to_uri, "sip:bob@example.com;transport=udp");
	assert_view(b, m->to,
	            "\"Bob <the>, Jr\" <sip:bob@example.com;transport=udp> ; x=1 ;TAG=b2");
}

static void check_addr_spec(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_view(b, m->to_uri, "sip:bob@example.com");
	assert_view(b, m->to_tag, "t9");
	assert_view(b, m->from_tag, "");
}

static void check_routes(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_true(m->has_route);
	assert_view(b, m->route, "<sip:lb.example.com;lr>");
	assert_view(b, m->route_line,
	            "Route: <sip:lb.example.com;lr>, <sip:p2.example.com;lr>\r\n");
	assert_true(m->has_record_route);
}

static void check_many_vias(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(rc, (int)len);
	assert_int_equal(m->via_count, 70);
	assert_view(b, m->vias[0], "SIP/2.0/UDP h0.example.com");
	assert_view(b, m->vias[SIP_MAX_VIAS - 1], "SIP/2.0/UDP h63.example.com");
}

static void check_methods(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->method, SIP_METHOD_OTHER);
	assert_view(b, m->method_name, "FOO-BAR");
	assert_int_equal(m->cseq_method, SIP_METHOD_OTHER);
	assert_view(b, m->cseq_method_name, "FOO-BAR");
}

static void check_response(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_false(m->is_request);
	assert_int_equal(m->status_code, 180);
	assert_view(b, m->reason, "Ringing");
	assert_int_equal(m->via_count, 2);
	assert_false(m->has_max_forwards);
	struct sip_via next;
	assert_int_equal(sip_response_next_hop(b, m, &next), 0);
	assert_view(b, next.host, "192.0.2.1");
}

static void check_response_mf0(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_true(m->has_max_forwards);
	assert_int_equal(m->max_forwards, 0);
}

static void check_empty_reason(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	assert_int_equal(m->status_code, 100);
	assert_int_equal(m->reason.len, 0);
}

static void check_fields_on_error(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	/* Fields after the defect are still filled for the stateless reply. */
	assert_view(b, m->call_id, "cid1@example.com");
	assert_view(b, m->from_tag, "f1");
	assert_view(b, m->top_via.host, "192.0.2.1");
	assert_int_equal(m->cseq, 1);
}

static void check_hops(const char *b, size_t len, const struct sip_msg *m, int rc)
{
	check_fields_on_error(b, len, m, rc);
	assert_true(m->has_max_forwards);
	assert_int_equal(m->max_forwards, 0);
	assert_true(m->has_content_length);
}

/* 70 Via lines: more than SIP_MAX_VIAS are counted, the first 64 stored. */
#define V10(d)                                                                                     \
	"v: SIP/2.0/UDP h" d "0.example.com\r\nv: SIP/2.0/UDP h" d "1.example.com\r\n"             \
	"v: SIP/2.0/UDP h" d "2.example.com\r\nv: SIP/2.0/UDP h" d "3.example.com\r\n"             \
	"v: SIP/2.0/UDP h" d "4.example.com\r\nv: SIP/2.0/UDP h" d "5.example.com\r\n"             \
	"v: SIP/2.0/UDP h" d "6.example.com\r\nv: SIP/2.0/UDP h" d "7.example.com\r\n"             \
	"v: SIP/2.0/UDP h" d "8.example.com\r\nv: SIP/2.0/UDP h" d "9.example.com\r\n"
#define V70                                                                                        \
	"v: SIP/2.0/UDP h0.example.com\r\nv: SIP/2.0/UDP h1.example.com\r\n"                       \
	"v: SIP/2.0/UDP h2.example.com\r\nv: SIP/2.0/UDP h3.example.com\r\n"                       \
	"v: SIP/2.0/UDP h4.example.com\r\nv: SIP/2.0/UDP h5.example.com\r\n"                       \
	"v: SIP/2.0/UDP h6.example.com\r\nv: SIP/2.0/UDP h7.example.com\r\n"                       \
	"v: SIP/2.0/UDP h8.example.com\r\nv: SIP/2.0/UDP h9.example.com\r\n" V10("1") V10("2")     \
	    V10("3") V10("4") V10("5") V10("6")

static const struct parse_case cases[] = {
    /* Must survive */
    {"basic INVITE", REQ(), SIP_OK, check_basic},
    {"folding",
     RL "Via: SIP/2.0/UDP\r\n host.example.com\r\n\t;branch=z9hG4bKf\r\n" MF
        "From: <sip:a@x>\r\n ;tag=ft\r\n" TO "Call-ID:\r\n folded@example.com\r\n"
        "CSeq: 7\r\n INVITE\r\nSubject: one\r\n two\r\n\tthree\r\n" CL0 "\r\n",
     SIP_OK, check_folding},
    {"LWS around colons",
     RL VIA "Max-Forwards  :  12\r\n" FROM TO "Call-ID\t:\tlws@example.com  \r\n" CSEQ
            "Content-Length :4\r\n\r\nabcd",
     SIP_OK, check_lws_colon},
    {"header names in any case",
     RL "vIA: SIP/2.0/UDP 192.0.2.1\r\nmAX-fORWARDS: 5\r\nFROM: <sip:a@x>;tag=1\r\n"
        "tO: <sip:b@x>;tag=tt\r\ncall-id: case@example.com\r\ncseq: 1 INVITE\r\n"
        "ROUTE: <sip:r@x;lr>\r\nrecord-ROUTE: <sip:rr@x;lr>\r\ncONTENT-lENGTH: 0\r\n\r\n",
     SIP_OK, check_case},
    {"compact forms",
     RL "v: SIP/2.0/UDP 192.0.2.1\r\nV: SIP/2.0/UDP 192.0.2.2\r\nf: <sip:a@x>;tag=cf\r\n"
        "t: <sip:b@x>;tag=ct\r\ni: compact@example.com\r\nCSeq: 1 INVITE\r\n"
        "m: <sip:c@x>\r\nc: text/plain\r\nk: 100rel\r\ns: hi\r\ne: gzip\r\no: dialog\r\n"
        "r: <sip:r@x>\r\nb: <sip:b@x>\r\nu: dialog\r\nx: 1800\r\ny: abc\r\na: *;x\r\n"
        "j: *;y\r\nd: proxy\r\nn: <http://x>\r\nl: 3\r\n\r\nx=1",
     SIP_OK, check_compact},
    {"comma-joined Vias, commas in quotes and brackets",
     RL "Via: SIP/2.0/UDP a.example.com;x=\"1,2\";branch=z9hG4bK1, SIP/2.0/TCP "
        "b.example.com;y=<c,d>,, SIP/2.0/TLS c.example.com\r\n" MF FROM TO CID CSEQ
        "Via: SIP/2.0/UDP d.example.com\r\n" CL0 "\r\n",
     SIP_OK, check_comma_vias},
    {"unknown headers with odd values",
     REQ("X-Odd: ;;,,;;\"<>\\\r\nX-Empty:\r\nX-Ctl: \x01\x7f\x00 z\r\n"
         "extension-!.%*+_`'~: v\r\n"),
     SIP_OK, check_odd_headers},
    {"UTF-8 reason and values",
     "SIP/2.0 200 \xd0\x9e\xd0\x9a \xe2\x9c\x93\r\n" RVIAS RHDRS
     "Subject: \xef\xbb\xbf\xe4\xb8\xad\xe6\x96\x87\r\nContent-Length: 0\r\n\r\n",
     SIP_OK, check_utf8},
    {"leading zeros",
     RL VIA "Max-Forwards: 0068\r\n" FROM TO CID "CSeq: 0009 INVITE\r\nl: 002\r\n\r\nab", SIP_OK,
     check_zeros},
    {"body with Content-Length", RL HDRS "Content-Length: 5\r\n\r\nv=0\r\n", SIP_OK, check_body_cl},
    {"body without Content-Length", RL HDRS "\r\nv=0\r\nrest of the datagram", SIP_OK,
     check_body_no_cl},
    {"no blank line at the end", RL HDRS CL0, SIP_OK, check_no_blank},
    {"Content-Length 0 with trailing noise", REQ() "garbage\r\nmore", SIP_OK, check_noise},
    {"same Content-Length twice", RL HDRS CL0 "l: 0\r\n\r\n", SIP_OK, NULL},
    {"keep-alive CRLFs before the start line", "\r\n\r\n" REQ(), SIP_OK, check_keepalive},
    {"top Via IPv6, rport without value",
     RL "Via: SIP/2.0/TCP [2001:db8::1]:5070;rport;received=2001:db8::2\r\n" MF FROM TO CID CSEQ CL0
        "\r\n",
     SIP_OK, check_ipv6},
    {"top Via name, rport with value",
     RL "Via: SIP/2.0/SCTP pc33.atlanta.example.com ; received = 192.0.2.7 ; rport = 5062 ;"
        "branch=z9hG4bKn;branch=second\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_OK, check_name},
    {"other transports",
     RL
     "Via: SIP/2.0/WS ws.example.com, SIP/2.0/wss wss.example.com\r\n"
     "Via: SIP/2.0/tls t.example.com\r\nVia: SIP/2.0/QUIC q.example.com\r\n" MF FROM TO CID CSEQ CL0
     "\r\n",
     SIP_OK, check_other_transports},
    {"From/To tags, quoted display name with < and ,",
     RL VIA MF
     "From: sip:alice@example.com;tag=a1\r\n"
     "To: \"Bob <the>, Jr\" <sip:bob@example.com;transport=udp> ; x=1 ;TAG=b2\r\n" CID CSEQ CL0
     "\r\n",
     SIP_OK, check_tags},
    {"addr-spec To with tag, From without",
     RL VIA MF "From: <sip:a@x>;other=1\r\nTo: sip:bob@example.com ;tag=t9\r\n" CID CSEQ CL0 "\r\n",
     SIP_OK, check_addr_spec},
    {"Route and Record-Route",
     REQ("Record-Route: <sip:rr.example.com;lr>\r\n"
         "Route: <sip:lb.example.com;lr>, <sip:p2.example.com;lr>\r\n"
         "Route: <sip:p3.example.com;lr>\r\n"),
     SIP_OK, check_routes},
    {"more Vias than SIP_MAX_VIAS", RL V70 MF FROM TO CID CSEQ CL0 "\r\n", SIP_OK, check_many_vias},
    {"extension method",
     "FOO-BAR sip:x@y SIP/2.0\r\n" VIA MF FROM TO CID "CSeq: 3 FOO-BAR\r\n" CL0 "\r\n", SIP_OK,
     check_methods},
    {"unusual URI schemes and userinfo with ?",
     "OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0\r\n" VIA MF FROM TO CID "CSeq: 1 OPTIONS\r\n" CL0
     "\r\n",
     SIP_OK, NULL},
    {"sip URI with ? in userinfo",
     "OPTIONS sip:a?b@example.com SIP/2.0\r\n" VIA MF FROM TO CID "CSeq: 1 OPTIONS\r\n" CL0 "\r\n",
     SIP_OK, NULL},
    {"response", "SIP/2.0 180 Ringing\r\n" RVIAS RHDRS CL0 "\r\n", SIP_OK, check_response},
    {"response with Max-Forwards 0", SL RVIAS RHDRS "Max-Forwards: 0\r\n" CL0 "\r\n", SIP_OK,
     check_response_mf0},
    {"response with empty reason", "SIP/2.0 100 \r\n" RVIAS RHDRS CL0 "\r\n", SIP_OK,
     check_empty_reason},
    {"response without reason or its space", "SIP/2.0 100\r\n" RVIAS RHDRS CL0 "\r\n", SIP_OK,
     check_empty_reason},
    {"lowercase sip version", "INVITE sip:bob@example.com sip/2.0\r\n" HDRS CL0 "\r\n", SIP_OK,
     NULL},

    /* One or more messages per error */
    {"no CRLF on the last header", RL HDRS "Content-Length: 0", SIP_ERR_INCOMPLETE, NULL},
    {"no CRLF on the start line", "INVITE sip:bob@example.com SIP/2.0", SIP_ERR_INCOMPLETE, NULL},
    {"CR without LF at the end", RL HDRS "Content-Length: 0\r", SIP_ERR_INCOMPLETE, NULL},
    {"CR at the end after headers", RL HDRS CL0 "\r", SIP_ERR_INCOMPLETE, NULL},
    {"truncated message wins over an earlier defect", RL "Call-ID: a b\r\nVia: x",
     SIP_ERR_INCOMPLETE, NULL},
    {"empty datagram", "", SIP_ERR_EMPTY, NULL},
    {"only keep-alive CRLFs", "\r\n\r\n", SIP_ERR_EMPTY, NULL},
    {"truncated start line", "INVITE sip:bob@example.com\r\n" HDRS CL0 "\r\n", SIP_ERR_START_LINE,
     check_fields_on_error},
    {"start line of one token", "INVITE\r\n" HDRS CL0 "\r\n", SIP_ERR_START_LINE, NULL},
    {"start line starting with a space", " INVITE sip:a@b SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_START_LINE, NULL},
    {"doubled spaces in the Request-Line",
     "INVITE  sip:bob@example.com  SIP/2.0\r\n" HDRS CL0 "\r\n", SIP_ERR_START_LINE, NULL},
    {"trailing space on the Request-Line",
     "INVITE sip:bob@example.com SIP/2.0 \r\n" HDRS CL0 "\r\n", SIP_ERR_START_LINE, NULL},
    {"bare LF ending the start line", "INVITE sip:bob@example.com SIP/2.0\n" HDRS CL0 "\r\n",
     SIP_ERR_START_LINE, NULL},
    {"bare CR in the start line", "INVITE sip:bob@example.com\rSIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_START_LINE, NULL},
    {"not a SIP version", "INVITE sip:bob@example.com HTTP/1.1\r\n" HDRS CL0 "\r\n",
     SIP_ERR_START_LINE, NULL},
    {"status code not digits", "SIP/2.0 2x0 OK\r\n" RVIAS RHDRS CL0 "\r\n", SIP_ERR_START_LINE,
     NULL},
    {"status line without code", "SIP/2.0\r\n" RVIAS RHDRS CL0 "\r\n", SIP_ERR_START_LINE, NULL},
    {"method with a non-token byte", "INV@TE sip:bob@example.com SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_METHOD, NULL},
    {"Request-URI in <>", "INVITE <sip:bob@example.com> SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_REQUEST_URI, check_fields_on_error},
    {"space inside the Request-URI", "INVITE sip:bob@example.com; lr SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_REQUEST_URI, NULL},
    {"escaped headers in the Request-URI",
     "INVITE sip:bob@example.com?Route=%3Csip:x%3E SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_REQUEST_URI, NULL},
    {"Request-URI without a scheme", "INVITE bob.example.com SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_REQUEST_URI, NULL},
    {"Request-URI with a control byte", "INVITE sip:bob@exa\tmple.com SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_REQUEST_URI, NULL},
    {"SIP/7.0 request", "INVITE sip:bob@example.com SIP/7.0\r\n" HDRS CL0 "\r\n", SIP_ERR_VERSION,
     check_fields_on_error},
    {"SIP/3.0 response", "SIP/3.0 200 OK\r\n" RVIAS RHDRS CL0 "\r\n", SIP_ERR_VERSION, NULL},
    {"status code 99", "SIP/2.0 099 Low\r\n" RVIAS RHDRS CL0 "\r\n", SIP_ERR_STATUS_CODE, NULL},
    {"status code 700", "SIP/2.0 700 High\r\n" RVIAS RHDRS CL0 "\r\n", SIP_ERR_STATUS_CODE, NULL},
    {"status code 4294967301", "SIP/2.0 4294967301 Big\r\n" RVIAS RHDRS CL0 "\r\n",
     SIP_ERR_STATUS_CODE, NULL},
    {"status code of two digits", "SIP/2.0 20 OK\r\n" RVIAS RHDRS CL0 "\r\n", SIP_ERR_STATUS_CODE,
     NULL},
    {"header without colon", REQ("NoColonHere\r\n"), SIP_ERR_HEADER_LINE, check_fields_on_error},
    {"header name with a space", REQ("Bad Name: x\r\n"), SIP_ERR_HEADER_LINE, NULL},
    {"empty header name", REQ(": x\r\n"), SIP_ERR_HEADER_LINE, NULL},
    {"continuation line first", RL " folded: nothing\r\n" HDRS CL0 "\r\n", SIP_ERR_HEADER_LINE,
     NULL},
    {"bare LF in a header", RL VIA "X: a\nb\r\n" HDRS CL0 "\r\n", SIP_ERR_HEADER_LINE, NULL},
    {"bare CR in a header", RL VIA "X: a\rb\r\n" HDRS CL0 "\r\n", SIP_ERR_HEADER_LINE, NULL},
    {"CR without LF where the blank line goes", RL HDRS CL0 "\rX", SIP_ERR_HEADER_LINE, NULL},
    {"no Call-ID", RL VIA MF FROM TO CSEQ CL0 "\r\n", SIP_ERR_NO_CALL_ID, NULL},
    {"two Call-IDs", REQ("i: other@example.com\r\n"), SIP_ERR_DUP_CALL_ID, check_fields_on_error},
    {"empty Call-ID", RL VIA MF FROM TO "Call-ID:   \r\n" CSEQ CL0 "\r\n", SIP_ERR_BAD_CALL_ID,
     NULL},
    {"Call-ID with a space", RL VIA MF FROM TO "Call-ID: a b\r\n" CSEQ CL0 "\r\n",
     SIP_ERR_BAD_CALL_ID, NULL},
    {"Call-ID list", RL VIA MF FROM TO "Call-ID: a,b\r\n" CSEQ CL0 "\r\n", SIP_ERR_BAD_CALL_ID,
     NULL},
    {"no From", RL VIA MF TO CID CSEQ CL0 "\r\n", SIP_ERR_NO_FROM, NULL},
    {"two Froms", REQ("f: <sip:b@x>;tag=2\r\n"), SIP_ERR_DUP_FROM, NULL},
    {"empty From", RL VIA MF "From:\r\n" TO CID CSEQ CL0 "\r\n", SIP_ERR_BAD_FROM, NULL},
    {"From without >", RL VIA MF "From: <sip:a@x;tag=1\r\n" TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_FROM, NULL},
    {"no To", RL VIA MF FROM CID CSEQ CL0 "\r\n", SIP_ERR_NO_TO, NULL},
    {"two Tos", REQ("t: <sip:c@x>\r\n"), SIP_ERR_DUP_TO, NULL},
    {"empty To", RL VIA MF FROM "To: \r\n" CID CSEQ CL0 "\r\n", SIP_ERR_BAD_TO, NULL},
    {"no CSeq", RL VIA MF FROM TO CID CL0 "\r\n", SIP_ERR_NO_CSEQ, NULL},
    {"two CSeqs", REQ("CSeq: 2 INVITE\r\n"), SIP_ERR_DUP_CSEQ, NULL},
    {"CSeq without number", RL VIA MF FROM TO CID "CSeq: INVITE\r\n" CL0 "\r\n", SIP_ERR_BAD_CSEQ,
     NULL},
    {"CSeq without method", RL VIA MF FROM TO CID "CSeq: 1\r\n" CL0 "\r\n", SIP_ERR_BAD_CSEQ, NULL},
    {"CSeq with trailing junk", RL VIA MF FROM TO CID "CSeq: 1 INVITE x\r\n" CL0 "\r\n",
     SIP_ERR_BAD_CSEQ, NULL},
    {"negative CSeq", RL VIA MF FROM TO CID "CSeq: -1 INVITE\r\n" CL0 "\r\n", SIP_ERR_BAD_CSEQ,
     NULL},
    {"CSeq 2^32", RL VIA MF FROM TO CID "CSeq: 4294967296 INVITE\r\n" CL0 "\r\n",
     SIP_ERR_CSEQ_RANGE, NULL},
    {"CSeq 2^32-1 is fine", RL VIA MF FROM TO CID "CSeq: 4294967295 INVITE\r\n" CL0 "\r\n", SIP_OK,
     NULL},
    {"CSeq method differs", RL VIA MF FROM TO CID "CSeq: 1 OPTIONS\r\n" CL0 "\r\n",
     SIP_ERR_CSEQ_METHOD, NULL},
    {"CSeq method differs in case", RL VIA MF FROM TO CID "CSeq: 1 invite\r\n" CL0 "\r\n",
     SIP_ERR_CSEQ_METHOD, NULL},
    {"ACK with CSeq INVITE", "ACK sip:bob@example.com SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_CSEQ_METHOD, NULL},
    {"CANCEL with CSeq INVITE", "CANCEL sip:bob@example.com SIP/2.0\r\n" HDRS CL0 "\r\n",
     SIP_ERR_CSEQ_METHOD, NULL},
    {"no Via", RL MF FROM TO CID CSEQ CL0 "\r\n", SIP_ERR_NO_VIA, NULL},
    {"Via with only empty elements", RL "Via: , ,\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_NO_VIA, NULL},
    {"top Via with empty params",
     RL "Via: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n" MF FROM TO CID CSEQ CL0 "\r\n", SIP_ERR_BAD_VIA,
     NULL},
    {"top Via without sent-by", RL "Via: SIP/2.0/UDP\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via port above 65535", RL "Via: SIP/2.0/UDP h:65536\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via port 0", RL "Via: SIP/2.0/UDP h:0\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via protocol without slashes", RL "Via: SIP/2.0 UDP h\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via rport not a port", RL "Via: SIP/2.0/UDP h;rport=x\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via empty received", RL "Via: SIP/2.0/UDP h;received=\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via unterminated quoted param",
     RL "Via: SIP/2.0/UDP h;x=\"abc\r\n" MF FROM TO CID CSEQ CL0 "\r\n", SIP_ERR_BAD_VIA, NULL},
    {"top Via bad IPv6", RL "Via: SIP/2.0/UDP [2001:db8:::1]\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"top Via numeric non-address",
     RL "Via: SIP/2.0/UDP 192.0.2\r\n" MF FROM TO CID CSEQ CL0 "\r\n", SIP_ERR_BAD_VIA, NULL},
    {"top Via junk after sent-by", RL "Via: SIP/2.0/UDP h junk\r\n" MF FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_VIA, NULL},
    {"Max-Forwards not digits", RL VIA "Max-Forwards: ten\r\n" FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_MAX_FORWARDS, NULL},
    {"Max-Forwards negative", RL VIA "Max-Forwards: -1\r\n" FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_MAX_FORWARDS, NULL},
    {"Max-Forwards empty", RL VIA "Max-Forwards:\r\n" FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_MAX_FORWARDS, NULL},
    {"Max-Forwards 2^32", RL VIA "Max-Forwards: 4294967296\r\n" FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_BAD_MAX_FORWARDS, NULL},
    {"two Max-Forwards", REQ("Max-Forwards: 70\r\n"), SIP_ERR_DUP_MAX_FORWARDS, NULL},
    {"Max-Forwards 0", RL VIA "Max-Forwards: 0\r\n" FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_TOO_MANY_HOPS, check_hops},
    {"Max-Forwards 000", RL VIA "Max-Forwards: 000\r\n" FROM TO CID CSEQ CL0 "\r\n",
     SIP_ERR_TOO_MANY_HOPS, check_hops},
    {"Content-Length negative", RL HDRS "Content-Length: -999\r\n\r\nabc",
     SIP_ERR_BAD_CONTENT_LENGTH, NULL},
    {"Content-Length not digits", RL HDRS "Content-Length: 1x\r\n\r\nabc",
     SIP_ERR_BAD_CONTENT_LENGTH, NULL},
    {"Content-Length empty", RL HDRS "Content-Length:\r\n\r\n", SIP_ERR_BAD_CONTENT_LENGTH, NULL},
    {"Content-Length 2^32", RL HDRS "Content-Length: 4294967296\r\n\r\n",
     SIP_ERR_BAD_CONTENT_LENGTH, NULL},
    {"conflicting Content-Lengths", RL HDRS "Content-Length: 3\r\nl: 2\r\n\r\nabc",
     SIP_ERR_DUP_CONTENT_LENGTH, NULL},
    {"Content-Length beyond the datagram", RL HDRS "Content-Length: 9999\r\n\r\nabc",
     SIP_ERR_CONTENT_LENGTH_BEYOND, NULL},
    {"Content-Length with no blank line", RL HDRS "Content-Length: 1\r\n",
     SIP_ERR_CONTENT_LENGTH_BEYOND, NULL},
};

static void run_case(const struct parse_case *c)
{
	size_t len = strlen(c->text);
	/* Cases with embedded NULs: the table text ends at the blank line or at len. */
	if (strstr(c->name, "odd values"))
		len = sizeof(REQ("X-Odd: ;;,,;;\"<>\\\r\nX-Empty:\r\nX-Ctl: \x01\x7f\x00 z\r\n"
		                 "extension-!.%*+_`'~: v\r\n")) -
		      1;
	char *buf = malloc(len ? len : 1);
	memcpy(buf, c->text, len);
	struct sip_msg m;
	int rc = parse(buf, len, &m);
	enum sip_err err = rc < 0 ? (enum sip_err) - rc : SIP_OK;
	if (err != c->err)
		fail_msg("%s: got %s, expected %s", c->name, sip_err_name(err),
		         sip_err_name(c->err));
	if (rc >= 0)
		assert_true((size_t)rc <= len);
	if (c->check)
		c->check(buf, len, &m, rc);
	free(buf);
}

static void test_cases(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Every error the parser can return is produced by at least one case above. */
static void test_every_error_covered(void **state)
{
	bool seen[SIP_ERR_COUNT] = {false};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		seen[cases[i].err] = true;
	/* Produced by their own tests below. */
	seen[SIP_ERR_RELAY_TARGET] = seen[SIP_ERR_TOO_LONG] = true;
	for (int e = 0; e < SIP_ERR_COUNT; e++)
		if (!seen[e])
			fail_msg("no case produces %s", sip_err_name((enum sip_err)e));
}

static void test_too_long(void **state)
{
	/* Refused from len alone: nothing is read. */
	static const char one[1] = {'I'};
	struct sip_msg m;
	assert_int_equal(sip_parse(one, (size_t)INT_MAX + 1, &m), -SIP_ERR_TOO_LONG);
	for (int s = 0; s < SIP_SCANNER_COUNT; s++)
		if (sip_cpu_has((enum sip_scanner)s))
			assert_int_equal(parsers[s](one, (size_t)INT_MAX + 1, &m),
			                 -SIP_ERR_TOO_LONG);
}

static int next_hop(const char *text, struct sip_via *next)
{
	struct sip_msg m;
	size_t len = strlen(text);
	int rc = parse(text, len, &m);
	assert_true(rc > 0);
	return sip_response_next_hop(text, &m, next);
}

#define RESP(vias) SL vias RHDRS CL0 "\r\n"
#define TOPV       "Via: SIP/2.0/UDP 198.18.0.10;branch=z9hG4bKlb\r\n"

static void test_relay_target(void **state)
{
	struct sip_via next;
	const char *ok =
	    RESP(TOPV "Via: SIP/2.0/UDP 192.0.2.1:5062;received=192.0.2.9;rport=7\r\n");
	assert_int_equal(next_hop(ok, &next), 0);
	assert_true(view_is(ok, next.received, "192.0.2.9"));
	assert_int_equal(next.rport, 7);
	assert_int_equal(next.port, 5062);

	const char *name = RESP(TOPV "Via: SIP/2.0/UDP client.example.com\r\n");
	assert_int_equal(next_hop(name, &next), 0);
	assert_int_equal(next.host_kind, SIP_HOST_NAME);

	const char *v6 = RESP(TOPV "Via: SIP/2.0/UDP [2001:db8::5]:5060\r\n");
	assert_int_equal(next_hop(v6, &next), 0);
	assert_int_equal(next.host_kind, SIP_HOST_IPV6);

	const char *joined = RESP("Via: SIP/2.0/UDP 198.18.0.10, SIP/2.0/UDP 192.0.2.3\r\n");
	assert_int_equal(next_hop(joined, &next), 0);
	assert_true(view_is(joined, next.host, "192.0.2.3"));

	static const char *const bad[] = {
	    RESP(TOPV),
	    RESP(TOPV "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 224.0.0.1\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 239.255.255.250:1900\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 0.0.0.0\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 192.0.2.1;received=255.255.255.255\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP [ff02::1]\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP [::]\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP [::ffff:224.0.0.5]\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP h;received=[ff05::2]\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 192.0.2.1;;\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 000.1.2.3\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 0.255.255.255:5060\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 239.0.0.1;branch=z9hG4bK1\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 229.10.0.1\r\n"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (next_hop(bad[i], &next) != -SIP_ERR_RELAY_TARGET)
			fail_msg("relayed: %s", bad[i]);

	/* IPv4 hosts next to the unusable ranges, and a received= that overrides an unusable
	 * host */
	static const char *const good[] = {
	    RESP(TOPV "Via: SIP/2.0/UDP 1.0.0.0\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 10.255.255.255:5060\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 223.255.255.255;branch=z9hG4bK1\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 240.0.0.1\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 255.255.255.254\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 254.255.255.255\r\n"),
	    RESP(TOPV "Via: SIP/2.0/UDP 224.0.0.1;received=192.0.2.7\r\n"),
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (next_hop(good[i], &next) != 0)
			fail_msg("not relayed: %s", good[i]);
		assert_true(next.has_received || next.host_kind == SIP_HOST_IPV4);
	}
}

/* sip_ipv4_parse(): exactly four parts of 1 to 3 digits, each at most 255, and nothing else. */
static void test_ipv4_literals(void **state)
{
	static const struct {
		const char *text;
		size_t n; /* 0: strlen(text) */
		bool ok;
		uint32_t addr;
	} quads[] = {
	    {"0.0.0.0", 0, true, 0},
	    {"255.255.255.255", 0, true, 0xffffffffu},
	    {"192.0.2.101", 0, true, 0xc0000265u},
	    {"010.001.1.09", 0, true, 0x0a010109u},
	    {"1.2.3.45", 7, true, 0x01020304u}, /* the bytes after n are not read as part of it */
	    {"198.18.0.1:5060", 10, true, 0xc6120001u},
	    {"", 0, false, 0},
	    {"1.2.3", 0, false, 0},
	    {"1.2.3.", 0, false, 0},
	    {"1.2.3.4.", 0, false, 0},
	    {"1.2.3.4.5", 0, false, 0},
	    {".1.2.3", 0, false, 0},
	    {"1..2.3", 0, false, 0},
	    {"256.1.1.1", 0, false, 0},
	    {"1.2.3.256", 0, false, 0},
	    {"1.2.300.4", 0, false, 0},
	    {"1234.1.1.1", 0, false, 0},
	    {"0001.2.3.4", 0, false, 0},
	    {"1.2.3.4 ", 0, false, 0},
	    {" 1.2.3.4", 0, false, 0},
	    {"1.2.3.a", 0, false, 0},
	    {"1.2.3.-1", 0, false, 0},
	    {"1.2.3.4", 6, false, 0},
	    {"111.222.233.2444", 0, false, 0},
	};
	for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
		size_t n = quads[i].n ? quads[i].n : strlen(quads[i].text);
		/* a copy of exactly n bytes: a read past them is caught in the sanitizer build */
		char *copy = malloc(n ? n : 1);
		uint32_t addr = 0x5a5a5a5au;
		assert_non_null(copy);
		memcpy(copy, quads[i].text, n);
		bool ok = sip_ipv4_parse(copy, n, &addr);
		free(copy);
		if (ok != quads[i].ok || (ok && addr != quads[i].addr))
			fail_msg("\"%.*s\": %s 0x%08x", (int)n, quads[i].text, ok ? "ok" : "no",
			         addr);
	}
}

static void test_via_parse_direct(void **state)
{
	static const struct {
		const char *value;
		int rc;
	} vias[] = {
	    {"SIP/2.0/UDP h", 0},
	    {"  SIP / 2.0 / UDP  h : 5060 ; branch = x  ", 0},
	    {"SIP/2.0/UDP h;x=\"q;\\\"\";branch=b", 0},
	    {"SIP/2.0/UDP h;ttl=1;maddr=224.2.0.1", 0},
	    {"SIP/2.0/UDP h;branch=", 0},
	    {"SIP/2.0/UDP [::1]", 0},
	    {"SIP/2.0/UDP [1:2:3:4:5:6:7:8]", 0},
	    {"SIP/2.0/UDP [::ffff:192.0.2.1]", 0},
	    {"", -SIP_ERR_BAD_VIA},
	    {"SIP", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP h;", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP h:", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP h:x", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [::1", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [1:2:3:4:5:6:7:8:9]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [1:2:3:4:5:6:7]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [1::2::3]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [:1]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [1:]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [12345::]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP [::1.2.3]", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP 256.0.0.1", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP 1.2.3.4.5", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP .h", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP h;rport=70000", -SIP_ERR_BAD_VIA},
	    {"SIP/2.0/UDP h,x", -SIP_ERR_BAD_VIA},
	};
	for (size_t i = 0; i < sizeof(vias) / sizeof(vias[0]); i++) {
		struct sip_via v;
		size_t n = strlen(vias[i].value);
		char *buf = malloc(n + 1);
		memcpy(buf, vias[i].value, n);
		struct sip_str s = {.off = 0, .len = (uint32_t)n};
		int rc = sip_via_parse(buf, s, &v);
		if (rc != vias[i].rc)
			fail_msg("\"%s\": %d, expected %d", vias[i].value, rc, vias[i].rc);
		assert_bounds(v.host, n);
		assert_bounds(v.params, n);
		free(buf);
	}
	/* A view in the middle of a buffer reads only its own bytes. */
	const char *mid =
	    "xxSIP/2.0/TCP [2001:db8::9]:5;branch=z9hG4bKq;rport=5;received=1.2.3.4yy";
	struct sip_via v;
	struct sip_str s = {.off = 2, .len = (uint32_t)strlen(mid) - 4};
	assert_int_equal(sip_via_parse(mid, s, &v), 0);
	assert_true(view_is(mid, v.host, "2001:db8::9"));
	assert_true(view_is(mid, v.received, "1.2.3.4"));
	assert_int_equal(v.port, 5);
	assert_int_equal(v.rport, 5);
}

static void test_methods(void **state)
{
	static const char *const names[] = {"INVITE",   "ACK",   "BYE",       "CANCEL", "OPTIONS",
	                                    "REGISTER", "PRACK", "SUBSCRIBE", "NOTIFY", "PUBLISH",
	                                    "INFO",     "REFER", "MESSAGE",   "UPDATE"};
	assert_int_equal(sizeof(names) / sizeof(names[0]), SIP_METHOD_COUNT - 1);
	for (int i = 0; i < SIP_METHOD_COUNT - 1; i++) {
		char text[512];
		int n = snprintf(text, sizeof(text),
		                 "%s sip:x@y SIP/2.0\r\n" VIA MF FROM TO CID "CSeq: 1 %s\r\n" CL0
		                 "\r\n",
		                 names[i], names[i]);
		struct sip_msg m;
		assert_int_equal(parse(text, (size_t)n, &m), n);
		assert_int_equal(m.method, (enum sip_method)(i + 1));
		assert_int_equal(m.cseq_method, m.method);
		assert_string_equal(sip_method_name(m.method), names[i]);
	}
	assert_string_equal(sip_method_name(SIP_METHOD_OTHER), "");
	assert_string_equal(sip_method_name(SIP_METHOD_COUNT), "");
	assert_string_equal(sip_method_name((enum sip_method) - 1), "");
	/* Methods are case-sensitive: "invite" is an extension method. */
	const char *lower =
	    "invite sip:x@y SIP/2.0\r\n" VIA MF FROM TO CID "CSeq: 1 invite\r\n" CL0 "\r\n";
	struct sip_msg m;
	assert_true(parse(lower, strlen(lower), &m) > 0);
	assert_int_equal(m.method, SIP_METHOD_OTHER);
}

static void test_error_tables(void **state)
{
	assert_string_equal(sip_err_name(SIP_OK), "ok");
	assert_int_equal(sip_err_reply(SIP_OK), 0);
	assert_string_equal(sip_err_name(SIP_ERR_NO_CALL_ID), "no_call_id");
	assert_int_equal(sip_err_reply(SIP_ERR_NO_CALL_ID), 400);
	assert_int_equal(sip_err_reply(SIP_ERR_VERSION), 505);
	assert_int_equal(sip_err_reply(SIP_ERR_TOO_MANY_HOPS), 483);
	assert_int_equal(sip_err_reply(SIP_ERR_INCOMPLETE), 0);
	assert_int_equal(sip_err_reply(SIP_ERR_STATUS_CODE), 0);
	assert_int_equal(sip_err_reply(SIP_ERR_RELAY_TARGET), 0);
	for (int e = 0; e < SIP_ERR_COUNT; e++) {
		const char *name = sip_err_name((enum sip_err)e);
		assert_non_null(name);
		assert_true(strlen(name) > 0);
		assert_true(strlen(sip_err_text((enum sip_err)e)) > 0);
		for (const char *p = name; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_' ||
			            (*p >= '0' && *p <= '9'));
		for (int f = 0; f < e; f++)
			assert_string_not_equal(name, sip_err_name((enum sip_err)f));
		int reply = sip_err_reply((enum sip_err)e);
		assert_true(reply == 0 || reply == 400 || reply == 483 || reply == 505);
	}
	assert_string_equal(sip_err_name(SIP_ERR_COUNT), "unknown");
	assert_string_equal(sip_err_text(SIP_ERR_COUNT), "unknown error");
	assert_int_equal(sip_err_reply(SIP_ERR_COUNT), 0);
}

static void test_impl_name(void **state)
{
	const char *impl = sip_parser_impl();
	assert_true(strcmp(impl, "avx2") == 0 || strcmp(impl, "sse4.2") == 0 ||
	            strcmp(impl, "scalar") == 0);
	assert_true(sip_cpu_has(SIP_SCANNER_SCALAR));
	assert_false(sip_cpu_has(SIP_SCANNER_COUNT));
	print_message("scanner: %s\n", impl);
}

/* The SIMD scanners' nibble tables hold exactly the sets of the scalar byte table. */
static void test_class_tables(void **state)
{
	const struct sip_class *const classes[] = {
	    &sip_class_token,   &sip_class_word,    &sip_class_host,     &sip_class_pvalue,
	    &sip_class_visible, &sip_class_via_sep, &sip_class_name_sep,
	};
	for (size_t k = 0; k < sizeof(classes) / sizeof(classes[0]); k++)
		for (int c = 0; c < 256; c++)
			if (sip_class_has(classes[k], (unsigned char)c) !=
			    ((sip_cc[c] & classes[k]->bit) != 0))
				fail_msg("class %#x disagrees on byte %#x", classes[k]->bit, c);
}

/* Long lines cross every vector width and tail path of the scanners. */
static void test_line_lengths(void **state)
{
	char text[1024];
	for (int pad = 0; pad < 100; pad++) {
		int n =
		    snprintf(text, sizeof(text), RL HDRS "X-Pad: %.*s\r\n" CL0 "\r\n", pad,
		             "0123456789012345678901234567890123456789012345678901234567890123456"
		             "7890123456789012345678901234567890123456789");
		struct sip_msg m;
		assert_int_equal(parse(text, (size_t)n, &m), n);
		/* The same message cut right after each line end and at every byte. */
		for (int cut = 0; cut < n; cut++) {
			int rc = parse(text, (size_t)cut, &m);
			assert_true(rc < 0 || rc <= cut);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),         cmocka_unit_test(test_every_error_covered),
	    cmocka_unit_test(test_too_long),      cmocka_unit_test(test_relay_target),
	    cmocka_unit_test(test_ipv4_literals), cmocka_unit_test(test_via_parse_direct),
	    cmocka_unit_test(test_methods),       cmocka_unit_test(test_error_tables),
	    cmocka_unit_test(test_impl_name),     cmocka_unit_test(test_line_lengths),
	    cmocka_unit_test(test_class_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
