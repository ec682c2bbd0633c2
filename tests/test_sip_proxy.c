/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy edits: real messages go through sip_parse(), the edit, and sip_parse() again.
 * Expected outputs are written out whole, so every byte outside the documented edits is checked.
 */
#include <setjmp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sip.h"
#include "cksum.h"
#include "sip_proxy.h"
#include "siphash.h"

#define PKT_CAP   16384
#define HEADROOM  128
#define TAILROOM  512
#define SELF_PORT 5060

static const uint8_t secret[16] = {0x5e, 0xc2, 0x37, 0x11, 0x08, 0x9a, 0xfe, 0x42,
                                   0x00, 0x13, 0x77, 0xc0, 0xde, 0x21, 0x6b, 0x99};
static const uint8_t other_secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* ---------------------------------------------------------------------------------------------
 * Helpers
 */

static struct lb_addr addr(const char *ip, uint16_t port)
{
	struct lb_addr a;

	memset(&a, 0, sizeof(a));
	a.port = port;
	if (inet_pton(AF_INET, ip, a.v4) == 1) {
		a.family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, a.v6), 1);
		a.family = AF_INET6;
	}
	return a;
}

static struct dp_sip_peer peer(const char *ip, uint16_t port)
{
	struct dp_sip_peer p = {.addr = addr(ip, port)};
	return p;
}

static void cfg_make(struct dp_sip_cfg *cfg, const char *self_ip, uint16_t port,
                     const uint8_t key[16])
{
	struct lb_addr self = addr(self_ip, port);

	dp_sip_cfg_init(cfg, &self, key, 30, 70);
}

/* A packet buffer with room on both sides; the bytes around the message are a known pattern. */
struct pkt {
	char mem[PKT_CAP];
	struct dp_sip_buf b;
};

static void pkt_load(struct pkt *p, const char *msg, size_t len, uint32_t headroom,
                     uint32_t tailroom)
{
	assert_true(headroom + len + tailroom <= PKT_CAP);
	memset(p->mem, 0xa5, sizeof(p->mem));
	memcpy(p->mem + headroom, msg, len);
	p->b.data = p->mem + headroom;
	p->b.len = (uint32_t)len;
	p->b.headroom = headroom;
	p->b.tailroom = tailroom;
	/* Every edit keeps the checksum sum up to date: assert_msg_equal checks it. */
	p->b.sum = dp_sum16(p->b.data, len);
	p->b.sum_valid = true;
}

/* The sum an edit kept equals the sum of what is there now (0x0000 and 0xffff are both zero). */
static void assert_sum_kept(const struct dp_sip_buf *b)
{
	uint16_t want = dp_sum16(b->data, b->len);

	if (!b->sum_valid)
		fail_msg("the checksum sum is no longer valid");
	if (b->sum != want && !((b->sum == 0 || b->sum == 0xffff) && (want == 0 || want == 0xffff)))
		fail_msg("sum kept 0x%04x, message sums to 0x%04x:\n%.*s", b->sum, want,
		         (int)b->len, b->data);
}

static void pkt_load_str(struct pkt *p, const char *msg)
{
	pkt_load(p, msg, strlen(msg), HEADROOM, TAILROOM);
}

/* The buffer geometry is consistent: the message still lies in the same memory. */
static void pkt_check_bounds(const struct pkt *p, uint32_t headroom, uint32_t tailroom,
                             size_t orig_len)
{
	assert_ptr_equal(p->b.data - p->b.headroom, p->mem);
	assert_int_equal((size_t)p->b.headroom + p->b.len + p->b.tailroom,
	                 headroom + orig_len + tailroom);
}

static void parse_ok(const char *buf, size_t len, struct sip_msg *msg)
{
	int rc = sip_parse(buf, len, msg);
	if (rc <= 0)
		fail_msg("sip_parse: %d (%s) on:\n%.*s", rc, rc < 0 ? sip_err_name(-rc) : "",
		         (int)len, buf);
}

static void assert_msg_equal(const struct dp_sip_buf *b, const char *expected)
{
	size_t n = strlen(expected);

	if (b->len != n || memcmp(b->data, expected, n) != 0)
		fail_msg("message differs\n--- got (%u)\n%.*s\n--- expected (%zu)\n%s", b->len,
		         (int)b->len, b->data, n, expected);
	assert_sum_kept(b);
}

static bool str_eq(const char *buf, struct sip_str s, const char *text)
{
	return s.len == strlen(text) && memcmp(buf + s.off, text, s.len) == 0;
}

static void assert_str(const char *buf, struct sip_str s, const char *text)
{
	if (!str_eq(buf, s, text))
		fail_msg("got \"%.*s\", expected \"%s\"", (int)s.len, buf + s.off, text);
}

/* Our branch for a request from src, as the forward will write it, NUL-terminated. */
static void branch_from(const struct dp_sip_cfg *cfg, const char *text,
                        const struct dp_sip_peer *src, char out[DP_BRANCH_LEN + 1])
{
	struct sip_msg msg;
	struct lb_addr dest;

	parse_ok(text, strlen(text), &msg);
	dp_sip_response_dest(&msg.top_via, src, &dest);
	assert_int_equal(dp_sip_branch(cfg, text, &msg, &msg.top_via, &dest, out), DP_BRANCH_LEN);
	out[DP_BRANCH_LEN] = '\0';
	assert_memory_equal(out, DP_BRANCH_PREFIX, sizeof(DP_BRANCH_PREFIX) - 1);
	for (size_t i = sizeof(DP_BRANCH_PREFIX) - 1; i < DP_BRANCH_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", out[i]));
}

/* As branch_from, from 192.0.2.1:5060 (the client of most messages here). */
static void branch_of(const struct dp_sip_cfg *cfg, const char *text, char out[DP_BRANCH_LEN + 1])
{
	struct dp_sip_peer src = peer("192.0.2.1", 5060);

	branch_from(cfg, text, &src, out);
}

/* Our branch as a relay recomputes it for a response, client being the Via below ours: over
 * the next hop that Via names. */
static void sign_for(const struct dp_sip_cfg *cfg, const char *text, const struct sip_msg *m,
                     const struct sip_via *client, char *out)
{
	struct lb_addr dest;

	/* no usable next hop: the relay refuses it before the MAC, any will do */
	if (dp_sip_via_next_hop(text, client, &dest) != DP_SIP_OK)
		memset(&dest, 0, sizeof(dest));
	dp_sip_branch(cfg, text, m, client, &dest, out);
}

/*
 * Forward text from src with cfg; the result must be exactly `expected`, where the first "%s"
 * stands for our branch. Checks that the result parses and the buffer bounds hold.
 */
static void forward_expect(const struct dp_sip_cfg *cfg, const char *text,
                           const struct dp_sip_peer *src, const char *expected_fmt)
{
	static struct pkt p;
	struct sip_msg msg;
	char branch[DP_BRANCH_LEN + 1], expected[PKT_CAP];

	branch_from(cfg, text, src, branch);
	snprintf(expected, sizeof(expected), expected_fmt, branch);
	pkt_load_str(&p, text);
	parse_ok(p.b.data, p.b.len, &msg);
	assert_int_equal(dp_sip_forward_request(cfg, &p.b, &msg, src), DP_SIP_OK);
	assert_msg_equal(&p.b, expected);
	pkt_check_bounds(&p, HEADROOM, TAILROOM, strlen(text));
	/* Max-Forwards 1 leaves 0: the next hop may not forward it, but it is whole. */
	int rc = sip_parse(p.b.data, p.b.len, &msg);
	if (rc != -SIP_ERR_TOO_MANY_HOPS)
		parse_ok(p.b.data, p.b.len, &msg);
	assert_true(msg.top_via.has_branch);
	assert_str(p.b.data, msg.top_via.branch, branch);
}

static struct dp_sip_cfg cfg4, cfg6, cfg4_other;
/* cfg4 with sip.aliases [lb.example.com, sip] (as the policy stores them: lowercase, no dot) */
static struct dp_sip_cfg cfg4_alias;
/* cfg4 of a daemon that also has the IPv6 VIP 2001:db8::10, and the same from the IPv6 side */
static struct dp_sip_cfg cfg4_dual, cfg6_dual;
static const struct dp_sip_aliases aliases = {
    .n = 2, .len = {14, 3}, .name = {"lb.example.com", "sip"}};

/* Pins name backends by id and name: in these tests backend id N is named "beN", as in every_id
 * (what dp_sip_route_pin reads of a set: by_id, n_backends, backends[].cfg). */
static struct lb_backend every_backend[LB_MAX_BACKENDS];
static struct lb_set every_id;

static const char *be_name(uint32_t id)
{
	return id < LB_MAX_BACKENDS ? every_backend[id].cfg.name : "";
}

/* A set holding only backend `id`, named `name`: what a reload may leave behind. */
static const struct lb_set *set_of(uint32_t id, const char *name)
{
	static struct lb_backend be;
	static struct lb_set set;

	memset(&set, 0, sizeof(set));
	memset(set.by_id, 0xff, sizeof(set.by_id));
	memset(&be, 0, sizeof(be));
	be.cfg.id = id;
	snprintf(be.cfg.name, sizeof(be.cfg.name), "%s", name);
	set.backends = &be;
	set.n_backends = 1;
	set.by_id[id] = 0;
	return &set;
}

static int setup(void **state)
{
	cfg_make(&cfg4, "198.18.0.10", SELF_PORT, secret);
	cfg_make(&cfg6, "2001:db8::10", SELF_PORT, secret);
	cfg_make(&cfg4_other, "198.18.0.10", SELF_PORT, other_secret);
	cfg_make(&cfg4_alias, "198.18.0.10", SELF_PORT, secret);
	cfg4_alias.aliases = &aliases;
	cfg_make(&cfg4_dual, "198.18.0.10", SELF_PORT, secret);
	cfg4_dual.other_vip = addr("2001:db8::10", 0);
	cfg_make(&cfg6_dual, "2001:db8::10", SELF_PORT, secret);
	cfg6_dual.other_vip = addr("198.18.0.10", 0);
	for (uint32_t id = 0; id < LB_MAX_BACKENDS; id++) {
		every_backend[id].cfg.id = id;
		snprintf(every_backend[id].cfg.name, LB_NAME_MAX, "be%u", id);
		every_id.by_id[id] = (uint16_t)id;
	}
	every_id.backends = every_backend;
	every_id.n_backends = LB_MAX_BACKENDS;
	return 0;
}

/* ---------------------------------------------------------------------------------------------
 * SipHash-2-4
 */

/* Reference vectors of the SipHash paper (appendix A), key 00..0f, message 00..(i-1). */
static const char *const siphash_vectors[64] = {
    "310e0edd47db6f72", "fd67dc93c539f874", "5a4fa9d909806c0d", "2d7efbd796666785",
    "b7877127e09427cf", "8da699cd64557618", "cee3fe586e46c9cb", "37d1018bf50002ab",
    "6224939a79f5f593", "b0e4a90bdf82009e", "f3b9dd94c5bb5d7a", "a7ad6b22462fb3f4",
    "fbe50e86bc8f1e75", "903d84c02756ea14", "eef27a8e90ca23f7", "e545be4961ca29a1",
    "db9bc2577fcc2a3f", "9447be2cf5e99a69", "9cd38d96f0b3c14b", "bd6179a71dc96dbb",
    "98eea21af25cd6be", "c7673b2eb0cbf2d0", "883ea3e395675393", "c8ce5ccd8c030ca8",
    "94af49f6c650adb8", "eab8858ade92e1bc", "f315bb5bb835d817", "adcf6b0763612e2f",
    "a5c91da7acaa4dde", "716595876650a2a6", "28ef495c53a387ad", "42c341d8fa92d832",
    "ce7cf2722f512771", "e37859f94623f3a7", "381205bb1ab0e012", "ae97a10fd434e015",
    "b4a31508beff4d31", "81396229f0907902", "4d0cf49ee5d4dcca", "5c73336a76d8bf9a",
    "d0a704536ba93e0e", "925958fcd6420cad", "a915c29bc8067318", "952b79f3bc0aa6d4",
    "f21df2e41d4535f9", "87577519048f53a9", "10a56cf5dfcd9adb", "eb75095ccd986cd0",
    "51a9cb9ecba312e6", "96afadfc2ce666c7", "72fe52975a4364ee", "5a1645b276d592a1",
    "b274cb8ebf87870a", "6f9bb4203de7b381", "eaecb2a30b22a87f", "9924a43cc1315724",
    "bd838d3aafbf8db7", "0b1a2a3265d51aea", "135079a3231ce660", "932b2846e4d70666",
    "e1915f5cb1eca46c", "f325965ca16d629f", "575ff28e60381be5", "724506eb4c328a95",
};

/* The vectors list the MAC's bytes in output (little-endian) order. */
static uint64_t vector_value(const char *hex)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--) {
		unsigned byte;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &byte), 1);
		v = v << 8 | byte;
	}
	return v;
}

static void test_siphash_vectors(void **state)
{
	uint8_t key_bytes[16], msg[64];
	uint64_t key[2];

	for (int i = 0; i < 16; i++)
		key_bytes[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	dp_siphash_key(key, key_bytes);
	assert_true(key[0] == UINT64_C(0x0706050403020100));
	assert_true(key[1] == UINT64_C(0x0f0e0d0c0b0a0908));
	for (size_t len = 0; len < 64; len++) {
		uint64_t want = vector_value(siphash_vectors[len]);
		assert_true(dp_siphash24(key, msg, len) == want);
		/* Streaming: every split point, and one byte at a time. */
		for (size_t cut = 0; cut <= len; cut++) {
			struct dp_siphash s;
			dp_siphash_init(&s, key);
			dp_siphash_update(&s, msg, cut);
			dp_siphash_update(&s, msg + cut, len - cut);
			assert_true(dp_siphash_final(&s) == want);
		}
		struct dp_siphash s;
		dp_siphash_init(&s, key);
		for (size_t i = 0; i < len; i++)
			dp_siphash_update(&s, msg + i, 1);
		assert_true(dp_siphash_final(&s) == want);
		assert_true(dp_siphash_final(&s) == want); /* final leaves the state alone */
	}
	/* The paper's worked example: 15 bytes 00..0e give a129ca6149be45e5. */
	assert_true(dp_siphash24(key, msg, 15) == UINT64_C(0xa129ca6149be45e5));
}

/* ---------------------------------------------------------------------------------------------
 * Names, reasons, configuration
 */

static void test_err_names(void **state)
{
	assert_string_equal(dp_sip_err_name(DP_SIP_OK), "ok");
	assert_string_equal(dp_sip_err_name(DP_SIP_ERR_NOT_OUR_VIA), "not_our_via");
	assert_string_equal(dp_sip_err_name(DP_SIP_ERR_NO_ROOM), "no_room");
	assert_string_equal(dp_sip_err_text(DP_SIP_ERR_BAD_BRANCH_MAC),
	                    "response top Via branch was not made with our secret");
	for (int e = 0; e < DP_SIP_ERR_COUNT; e++) {
		assert_true(strlen(dp_sip_err_name(e)) > 0);
		assert_true(strlen(dp_sip_err_text(e)) > 0);
	}
	assert_string_equal(dp_sip_err_name(DP_SIP_ERR_COUNT), "unknown");
	assert_string_equal(dp_sip_err_text(DP_SIP_ERR_COUNT), "unknown error");
}

static void test_reasons(void **state)
{
	static const struct {
		int code;
		const char *reason;
	} cases[] = {
	    {100, "Trying"},
	    {180, "Ringing"},
	    {183, "Session Progress"},
	    {200, "OK"},
	    {400, "Bad Request"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {408, "Request Timeout"},
	    {415, "Unsupported Media Type"},
	    {416, "Unsupported URI Scheme"},
	    {420, "Bad Extension"},
	    {480, "Temporarily Unavailable"},
	    {481, "Call/Transaction Does Not Exist"},
	    {482, "Loop Detected"},
	    {483, "Too Many Hops"},
	    {486, "Busy Here"},
	    {487, "Request Terminated"},
	    {488, "Not Acceptable Here"},
	    {491, "Request Pending"},
	    {500, "Server Internal Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Server Time-out"},
	    {505, "Version Not Supported"},
	    {513, "Message Too Large"},
	    {0, ""},
	    {299, ""},
	    {-1, ""},
	    {1000, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(dp_sip_reason(cases[i].code), cases[i].reason);
}

static void test_cfg_init(void **state)
{
	assert_string_equal(cfg4.self_host, "198.18.0.10");
	assert_int_equal(cfg4.self_host_len, strlen("198.18.0.10"));
	assert_string_equal(cfg6.self_host, "[2001:db8::10]");
	assert_int_equal(cfg6.self_host_len, strlen("[2001:db8::10]"));
	assert_int_equal(cfg4.self.port, SELF_PORT);
	assert_int_equal(cfg4.retry_after, 30);
	assert_int_equal(cfg4.max_forwards, 70);
	assert_true(cfg4.key[0] == UINT64_C(0x42fe9a081137c25e));
	assert_true(cfg4.key[1] == UINT64_C(0x996b21dec0771300));
}

/* ---------------------------------------------------------------------------------------------
 * Request forwarding
 */

#define INVITE_HEAD                                                                                \
	"INVITE sip:bob@example.com SIP/2.0\r\n"                                                   \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n"
#define INVITE_TAIL                                                                                \
	"To: Bob <sip:bob@example.com>\r\n"                                                        \
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"                                   \
	"Call-ID: a84b4c76e66710@pc33.example.com\r\n"                                             \
	"CSeq: 314159 INVITE\r\n"                                                                  \
	"Contact: <sip:alice@192.0.2.1>\r\n"                                                       \
	"Content-Type: application/sdp\r\n"                                                        \
	"Content-Length: 4\r\n"                                                                    \
	"\r\n"                                                                                     \
	"v=0\n"
/* 198.18.0.10:5060 makes "Via: " an odd line: it is written "Via:" (even, see via_space). */
#define OUR_VIA "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%s\r\n"

static void test_forward_basic(void **state)
{
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	static const char in[] = INVITE_HEAD "Max-Forwards: 70\r\n" INVITE_TAIL;

	forward_expect(&cfg4, in, &src,
	               "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA
	               "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n"
	               "Max-Forwards: 69\r\n" INVITE_TAIL);

	/* Only the start line moved into the headroom: the client's Via onwards stayed put. */
	static struct pkt p;
	struct sip_msg msg;
	pkt_load_str(&p, in);
	const char *client_via = p.b.data + strlen("INVITE sip:bob@example.com SIP/2.0\r\n");
	parse_ok(p.b.data, p.b.len, &msg);
	assert_int_equal(dp_sip_forward_request(&cfg4, &p.b, &msg, &src), DP_SIP_OK);
	assert_memory_equal(client_via, "Via: SIP/2.0/UDP 192.0.2.1", 26);
	assert_int_equal(p.b.headroom, HEADROOM - (strlen(OUR_VIA) - 2 + DP_BRANCH_LEN));
	assert_int_equal(p.b.tailroom, TAILROOM);
	parse_ok(p.b.data, p.b.len, &msg);
	assert_int_equal(msg.via_count, 2);
	assert_str(p.b.data, msg.top_via.host, "198.18.0.10");
	assert_int_equal(msg.top_via.port, 5060);
	assert_int_equal(msg.max_forwards, 69);
	assert_str(p.b.data, msg.call_id, "a84b4c76e66710@pc33.example.com");
	assert_str(p.b.data, msg.body, "v=0\n");
}

static void test_forward_ipv6_self(void **state)
{
	struct dp_sip_peer src = peer("192.0.2.1", 5060);

	forward_expect(&cfg6, INVITE_HEAD "Max-Forwards: 70\r\n" INVITE_TAIL, &src,
	               "INVITE sip:bob@example.com SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=%s\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n"
	               "Max-Forwards: 69\r\n" INVITE_TAIL);
}

static void test_forward_max_forwards_width(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"70", "69"},   {"10", "09"}, {"0068", "0067"}, {"1", "0"},       {"100", "099"},
	    {"255", "254"}, {"01", "00"}, {"2", "1"},       {"1000", "0999"}, {"20", "19"},
	};
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	char in[2048], out[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(in, sizeof(in), INVITE_HEAD "Max-Forwards: %s\r\n" INVITE_TAIL,
		         cases[i].in);
		snprintf(out, sizeof(out),
		         "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n"
		         "Max-Forwards: %s\r\n" INVITE_TAIL,
		         "%s", cases[i].out);
		forward_expect(&cfg4, in, &src, out);
	}
}

static void test_forward_max_forwards_absent(void **state)
{
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	struct dp_sip_cfg cfg = cfg4;

	forward_expect(&cfg4, INVITE_HEAD INVITE_TAIL, &src,
	               "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA "Max-Forwards: 70\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n" INVITE_TAIL);
	cfg.max_forwards = 16;
	forward_expect(&cfg, INVITE_HEAD INVITE_TAIL, &src,
	               "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA "Max-Forwards: 16\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n" INVITE_TAIL);
}

/* The client's top Via before and after, for a given source address. */
static void test_forward_received_rport(void **state)
{
	static const struct {
		const char *via, *src_ip;
		uint16_t src_port;
		const char *out;
	} cases[] = {
	    /* sent-by matches the source: untouched */
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa", "192.0.2.1", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa"},
	    /* NAT: another source address (RFC 3261 18.2.1) */
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa", "203.0.113.7", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=203.0.113.7"},
	    /* octets of every width, and the ends of each */
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa", "0.9.10.99", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=0.9.10.99"},
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa", "100.199.200.255", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=100.199.200.255"},
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa", "1.20.255.0", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=1.20.255.0"},
	    /* the sent-by names the source as it is written: nothing added */
	    {"SIP/2.0/UDP 100.199.200.255:5060;branch=z9hG4bKa", "100.199.200.255", 5060,
	     "SIP/2.0/UDP 100.199.200.255:5060;branch=z9hG4bKa"},
	    /* bare rport: filled, and received added even for the same address (RFC 3581 4) */
	    {"SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKa", "192.0.2.1", 7000,
	     "SIP/2.0/UDP 192.0.2.1:5060;rport=7000;branch=z9hG4bKa;received=192.0.2.1"},
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport", "203.0.113.7", 41000,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;rport=41000;received=203.0.113.7"},
	    {"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;RPORT", "192.0.2.1", 5060,
	     "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;RPORT=5060;received=192.0.2.1"},
	    /* rport that already has a value: left alone */
	    {"SIP/2.0/UDP 192.0.2.1:5060;rport=5000;branch=z9hG4bKa", "192.0.2.1", 7000,
	     "SIP/2.0/UDP 192.0.2.1:5060;rport=5000;branch=z9hG4bKa;received=192.0.2.1"},
	    /* host name: always differs from the source address */
	    {"SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKa", "192.0.2.1", 5060,
	     "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bKa;received=192.0.2.1"},
	    {"SIP/2.0/UDP client.example.com;branch=z9hG4bKa;rport", "192.0.2.1", 5062,
	     "SIP/2.0/UDP client.example.com;branch=z9hG4bKa;rport=5062;received=192.0.2.1"},
	    /* a stale received is replaced, a right one kept */
	    {"SIP/2.0/UDP 192.0.2.1;received=192.0.2.9;branch=z9hG4bKa", "203.0.113.7", 5060,
	     "SIP/2.0/UDP 192.0.2.1;received=203.0.113.7;branch=z9hG4bKa"},
	    {"SIP/2.0/UDP 192.0.2.1;received=203.0.113.7;branch=z9hG4bKa", "203.0.113.7", 5060,
	     "SIP/2.0/UDP 192.0.2.1;received=203.0.113.7;branch=z9hG4bKa"},
	    /* a received the client wrote itself, its sent-by the source: replaced too (the
	     * responses go to received: kept, it would send them to a third party) */
	    {"SIP/2.0/UDP 192.0.2.1:5060;received=198.18.9.9;branch=z9hG4bKa", "192.0.2.1", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;received=192.0.2.1;branch=z9hG4bKa"},
	    {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=192.0.2.1", "192.0.2.1", 5060,
	     "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=192.0.2.1"},
	    {"SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKa;received=2001:db8::9", "2001:db8::1", 5060,
	     "SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKa;received=2001:db8::1"},
	    /* IPv6: same address written differently counts as the same */
	    {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa", "2001:db8::1", 5060,
	     "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa"},
	    {"SIP/2.0/UDP [2001:db8:0::0:1];branch=z9hG4bKa", "2001:db8::1", 5060,
	     "SIP/2.0/UDP [2001:db8:0::0:1];branch=z9hG4bKa"},
	    {"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa", "2001:db8::2", 5060,
	     "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa;received=2001:db8::2"},
	    {"SIP/2.0/UDP [2001:db8::1];rport;branch=z9hG4bKa", "2001:db8::1", 6000,
	     "SIP/2.0/UDP [2001:db8::1];rport=6000;branch=z9hG4bKa;received=2001:db8::1"},
	    /* IPv4 sent-by, IPv6 source */
	    {"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa", "2001:db8::7", 5060,
	     "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;received=2001:db8::7"},
	};
	char in[2048], out[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_sip_peer src = peer(cases[i].src_ip, cases[i].src_port);
		snprintf(in, sizeof(in),
		         "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: %s\r\nMax-Forwards: 70\r\n"
		         "To: <sip:bob@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n"
		         "Call-ID: rr%zu\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		         cases[i].via, i);
		snprintf(out, sizeof(out),
		         "OPTIONS sip:bob@example.com SIP/2.0\r\n" OUR_VIA
		         "Via: %s\r\nMax-Forwards: 69\r\n"
		         "To: <sip:bob@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n"
		         "Call-ID: rr%zu\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		         "%s", cases[i].out, i);
		forward_expect(&cfg4, in, &src, out);
	}
}

/* Route: the request's Route header lines before, and after the forward. */
static void test_forward_route(void **state)
{
	static const struct {
		const struct dp_sip_cfg *cfg;
		const char *before, *after;
	} cases[] = {
	    {&cfg4, "Route: <sip:198.18.0.10;lr>\r\n", ""},
	    {&cfg4, "Route: <sip:198.18.0.10:5060;lr>\r\n", ""},
	    {&cfg4, "Route: \"lb\" <sip:sst@198.18.0.10;lr;sst=1.abc>\r\n", ""},
	    {&cfg4, "Route: <SIP:198.18.0.10>\r\n", ""},
	    {&cfg4, "Route: <sip:198.18.0.10;lr>, <sip:192.0.2.50;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10;lr>,<sip:192.0.2.50;lr>,<sip:192.0.2.51;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>,<sip:192.0.2.51;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10;lr>\r\nRoute: <sip:192.0.2.50;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>\r\n"},
	    /* not ours: other host, other port, a host name, another scheme, a bad port */
	    {&cfg4, "Route: <sip:192.0.2.50;lr>\r\n", "Route: <sip:192.0.2.50;lr>\r\n"},
	    {&cfg4, "Route: <sip:192.0.2.50;lr>, <sip:198.18.0.10;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>, <sip:198.18.0.10;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10:5070;lr>\r\n", "Route: <sip:198.18.0.10:5070;lr>\r\n"},
	    {&cfg4, "Route: <sip:lb.example.com;lr>\r\n", "Route: <sip:lb.example.com;lr>\r\n"},
	    {&cfg4, "Route: <sips:198.18.0.10;lr>\r\n", "Route: <sips:198.18.0.10;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10:99999;lr>\r\n",
	     "Route: <sip:198.18.0.10:99999;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.100;lr>\r\n", "Route: <sip:198.18.0.100;lr>\r\n"},
	    {&cfg4, "Route: <sip:[2001:db8::10];lr>\r\n", "Route: <sip:[2001:db8::10];lr>\r\n"},
	    /* empty list elements go with ours; nothing left means the whole line goes */
	    {&cfg4, "Route: <sip:198.18.0.10;lr> , ,<sip:192.0.2.50;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10;lr>, \r\n", ""},
	    {&cfg4, "Route: <sip:198.18.0.10;lr>,,\r\nRoute: <sip:192.0.2.50;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>\r\n"},
	    /* malformed Route values are never ours */
	    {&cfg4, "Route: sip:198.18.0.10;lr\r\n", "Route: sip:198.18.0.10;lr\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10\r\n", "Route: <sip:198.18.0.10\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10:;lr>\r\n", "Route: <sip:198.18.0.10:;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.10:50x;lr>\r\n", "Route: <sip:198.18.0.10:50x;lr>\r\n"},
	    {&cfg4, "Route: <sip:198.18.0.010;lr>\r\n", "Route: <sip:198.18.0.010;lr>\r\n"},
	    {&cfg4, "Route: <sip:>\r\n", "Route: <sip:>\r\n"},
	    {&cfg4, "Route: <sip>\r\n", "Route: <sip>\r\n"},
	    {&cfg6, "Route: <sip:[2001:db8::10;lr>\r\n", "Route: <sip:[2001:db8::10;lr>\r\n"},
	    {&cfg6, "Route: <sip:2001:db8::10;lr>\r\n", "Route: <sip:2001:db8::10;lr>\r\n"},
	    /* sip.aliases: a Route by one of our host names is ours too (case and a trailing
	     * dot aside); no port means any, a port written must be the one it came to */
	    {&cfg4_alias, "Route: <sip:lb.example.com;lr>\r\n", ""},
	    {&cfg4_alias, "Route: <sip:LB.Example.COM.:5060;lr>, <sip:192.0.2.50;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>\r\n"},
	    {&cfg4_alias, "Route: <sip:sst@sip;lr>\r\n", ""},
	    {&cfg4_alias, "Route: <sip:198.18.0.10;lr>\r\n", ""},
	    {&cfg4_alias, "Route: <sip:lb.example.com:5070;lr>\r\n",
	     "Route: <sip:lb.example.com:5070;lr>\r\n"},
	    {&cfg4_alias, "Route: <sip:lb.example.co;lr>\r\n", "Route: <sip:lb.example.co;lr>\r\n"},
	    {&cfg4_alias, "Route: <sip:xlb.example.com;lr>\r\n",
	     "Route: <sip:xlb.example.com;lr>\r\n"},
	    {&cfg4_alias, "Route: <sip:lb.example.com..;lr>\r\n",
	     "Route: <sip:lb.example.com..;lr>\r\n"},
	    {&cfg4_alias, "Route: <sip:si;lr>\r\n", "Route: <sip:si;lr>\r\n"},
	    {&cfg4_alias, "Route: <sips:lb.example.com;lr>\r\n",
	     "Route: <sips:lb.example.com;lr>\r\n"},
	    /* either VIP names us, on either leg (a request may reach us over IPv6 and leave for
	     * an IPv4 backend); the port is still the one it came to */
	    {&cfg4_dual, "Route: <sip:[2001:db8::10];lr>\r\n", ""},
	    {&cfg4_dual, "Route: <sip:198.18.0.10;lr>, <sip:192.0.2.50;lr>\r\n",
	     "Route: <sip:192.0.2.50;lr>\r\n"},
	    {&cfg6_dual, "Route: <sip:198.18.0.10:5060;lr>\r\n", ""},
	    {&cfg4_dual, "Route: <sip:[2001:db8::10]:5070;lr>\r\n",
	     "Route: <sip:[2001:db8::10]:5070;lr>\r\n"},
	    {&cfg4_dual, "Route: <sip:[2001:db8::11];lr>\r\n",
	     "Route: <sip:[2001:db8::11];lr>\r\n"},
	    /* a quoted display name is not the URI, whatever it holds (RFC 3261 25.1) */
	    {&cfg4, "Route: \"<sip:198.18.0.10;lr>\" <sip:198.18.0.99;lr>\r\n",
	     "Route: \"<sip:198.18.0.10;lr>\" <sip:198.18.0.99;lr>\r\n"},
	    {&cfg4, "Route: \"a\\\"<b\" <sip:198.18.0.10;lr>\r\n", ""},
	    {&cfg4, "Route: \"lb, <x>\" <sip:198.18.0.10;lr>, \"a,b\" <sip:192.0.2.50;lr>\r\n",
	     "Route: \"a,b\" <sip:192.0.2.50;lr>\r\n"},
	    {&cfg4, "Route: \"unterminated <sip:198.18.0.10;lr>\r\n",
	     "Route: \"unterminated <sip:198.18.0.10;lr>\r\n"},
	    /* IPv6 self */
	    {&cfg6, "Route: <sip:[2001:db8::10];lr>\r\n", ""},
	    {&cfg6, "Route: <sip:[2001:db8:0::10]:5060;lr>, <sip:[2001:db8::50];lr>\r\n",
	     "Route: <sip:[2001:db8::50];lr>\r\n"},
	    {&cfg6, "Route: <sip:198.18.0.10;lr>\r\n", "Route: <sip:198.18.0.10;lr>\r\n"},
	};
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	char in[2048], out[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(in, sizeof(in), INVITE_HEAD "%sMax-Forwards: 70\r\n" INVITE_TAIL,
		         cases[i].before);
		snprintf(out, sizeof(out),
		         "INVITE sip:bob@example.com SIP/2.0\r\n"
		         "Via:%sSIP/2.0/UDP %s:5060;branch=%%s\r\n"
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n"
		         "%sMax-Forwards: 69\r\n" INVITE_TAIL,
		         cases[i].cfg->via_space ? " " : "", cases[i].cfg->self_host,
		         cases[i].after);
		forward_expect(cases[i].cfg, in, &src, out);
	}
}

/*
 * Our Via line has an even length whatever the address and port (written "Via:" when "Via: "
 * would be odd), so the checksum sum follows the insert and the pop without a pass; the sum
 * kept is checked by assert_msg_equal in every forward test, and here for both spellings.
 */
static void test_our_via_even(void **state)
{
	static const struct {
		const char *ip;
		uint16_t port;
	} self[] = {{"198.18.0.10", 5060},  {"198.18.0.1", 5060},   {"10.0.0.1", 5060},
	            {"198.18.0.10", 15060}, {"2001:db8::10", 5060}, {"2001:db8::1", 5060}};
	static const char in[] = INVITE_HEAD "Max-Forwards: 70\r\n" INVITE_TAIL;
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	bool spelled[2] = {false, false};

	(void)state;
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++) {
		static struct pkt p;
		struct dp_sip_cfg cfg;
		struct sip_msg msg;

		cfg_make(&cfg, self[i].ip, self[i].port, secret);
		pkt_load_str(&p, in);
		parse_ok(p.b.data, p.b.len, &msg);
		assert_int_equal(dp_sip_forward_request(&cfg, &p.b, &msg, &src), DP_SIP_OK);
		assert_sum_kept(&p.b);
		parse_ok(p.b.data, p.b.len, &msg);
		uint32_t line = msg.top_via_line.len; /* name to CRLF */
		assert_int_equal(line % 2, 0);
		assert_int_equal(p.b.data[msg.top_via_line.off + 4] == ' ', cfg.via_space);
		spelled[cfg.via_space] = true;
	}
	assert_true(spelled[0] && spelled[1]);
}

/* A Route line right after the start line: our insertion and its removal meet. */
static void test_forward_route_first_line(void **state)
{
	struct dp_sip_peer src = peer("192.0.2.1", 5060);

	forward_expect(&cfg4,
	               "BYE sip:bob@192.0.2.30 SIP/2.0\r\n"
	               "Route: <sip:198.18.0.10;lr>\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye1\r\n"
	               "Max-Forwards: 70\r\nTo: <sip:bob@example.com>;tag=99\r\n"
	               "From: <sip:a@example.com>;tag=1\r\nCall-ID: bye1\r\nCSeq: 2 BYE\r\n"
	               "Content-Length: 0\r\n\r\n",
	               &src,
	               "BYE sip:bob@192.0.2.30 SIP/2.0\r\n" OUR_VIA
	               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye1\r\n"
	               "Max-Forwards: 69\r\nTo: <sip:bob@example.com>;tag=99\r\n"
	               "From: <sip:a@example.com>;tag=1\r\nCall-ID: bye1\r\nCSeq: 2 BYE\r\n"
	               "Content-Length: 0\r\n\r\n");
}

/* Every edit at once, with a comma-joined client Via line. */
static void test_forward_all_edits(void **state)
{
	struct dp_sip_peer src = peer("203.0.113.7", 40000);

	forward_expect(&cfg4,
	               "INVITE sip:bob@example.com SIP/2.0\r\n"
	               "Route: <sip:198.18.0.10;lr>, <sip:192.0.2.50;lr>\r\n"
	               "Via: SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bKall ,"
	               " SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKup\r\n"
	               "Max-Forwards: 10\r\n" INVITE_TAIL "trailing noise\r\n",
	               &src,
	               "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA
	               "Route: <sip:192.0.2.50;lr>\r\n"
	               "Via: SIP/2.0/UDP 10.0.0.5:5060;rport=40000;branch=z9hG4bKall;"
	               "received=203.0.113.7 , SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKup\r\n"
	               "Max-Forwards: 09\r\n" INVITE_TAIL);
}

/* RFC 3261 18.3: bytes after Content-Length are noise and are not relayed. */
static void test_forward_cuts_noise(void **state)
{
	struct dp_sip_peer src = peer("192.0.2.1", 5060);

	forward_expect(&cfg4,
	               INVITE_HEAD
	               "Max-Forwards: 70\r\n" INVITE_TAIL
	               "\r\nINVITE sip:joe@example.com SIP/2.0\r\nCall-ID: other\r\n\r\n",
	               &src,
	               "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA
	               "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8\r\n"
	               "Max-Forwards: 69\r\n" INVITE_TAIL);
	/* No body, Content-Length 0, then noise. */
	forward_expect(&cfg4,
	               "REGISTER sip:example.com SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKreg\r\nMax-Forwards: 8\r\n"
	               "To: <sip:a@example.com>\r\nFrom: <sip:a@example.com>;tag=5\r\n"
	               "Call-ID: reg1\r\nCSeq: 8 REGISTER\r\nContent-Length: 0\r\n\r\n\r\nnoise",
	               &src,
	               "REGISTER sip:example.com SIP/2.0\r\n" OUR_VIA
	               "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKreg\r\nMax-Forwards: 7\r\n"
	               "To: <sip:a@example.com>\r\nFrom: <sip:a@example.com>;tag=5\r\n"
	               "Call-ID: reg1\r\nCSeq: 8 REGISTER\r\nContent-Length: 0\r\n\r\n");
}

/* The start of a branch MAC's input for responses to 192.0.2.1 port 5060: family 4, the
 * address, the port big end first. */
#define DEST_192_0_2_1_5060 "\x04\xc0\x00\x02\x01\x13\xc4"

/* The branch MAC's input copied right for every Call-ID and branch length (the copies take
 * 1-7, 8-15, 16-32 and longer paths): the MAC is that of the input written out by hand. */
static void test_branch_every_length(void **state)
{
	static char msg[1024], input[512], id[97], br[97];
	char want[DP_BRANCH_LEN + 1], b[DP_BRANCH_LEN + 1];

	(void)state;
	for (size_t len = 1; len < sizeof(id); len++) {
		for (size_t i = 0; i < len; i++) {
			id[i] = (char)('a' + (i * 7 + len) % 26);
			br[i] = (char)('A' + (i * 5 + len) % 26);
		}
		id[len] = br[len] = '\0';
		snprintf(msg, sizeof(msg),
		         "INVITE sip:bob@example.com SIP/2.0\r\n"
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%s\r\n"
		         "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
		         "From: <sip:alice@example.com>;tag=%s\r\nCall-ID: %s\r\n"
		         "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
		         br, id, id);
		/* the destination first: 192.0.2.1 port 5060 */
		memcpy(input, DEST_192_0_2_1_5060, 7);
		int n = snprintf(input + 7, sizeof(input) - 7,
		                 "%s%c7%c192.0.2.1:5060%cz9hG4bK%s%c%s", id, 0, 0, 0, br, 0, id);
		snprintf(want, sizeof(want), DP_BRANCH_PREFIX "%016" PRIx64,
		         dp_siphash24(cfg4.key, input, (size_t)n + 7));
		branch_of(&cfg4, msg, b);
		assert_string_equal(b, want);
	}
}

/* RFC 3261 16.11: one branch for an INVITE, its retransmission, its CANCEL, its non-2xx ACK. */
static void test_branch_stability(void **state)
{
#define TXN(method, cseq_method, branch, to_tag)                                                   \
	method " sip:bob@example.com SIP/2.0\r\n"                                                  \
	       "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=" branch "\r\n"                             \
	       "Max-Forwards: 70\r\nTo: <sip:bob@example.com>" to_tag "\r\n"                       \
	       "From: <sip:alice@example.com>;tag=88\r\nCall-ID: stab@192.0.2.1\r\n"               \
	       "CSeq: 7 " cseq_method "\r\nContent-Length: 0\r\n\r\n"
	static const char invite[] = TXN("INVITE", "INVITE", "z9hG4bKinv7", "");
	static const char cancel[] = TXN("CANCEL", "CANCEL", "z9hG4bKinv7", "");
	static const char ack_non2xx[] = TXN("ACK", "ACK", "z9hG4bKinv7", ";tag=b1");
	static const char ack_2xx[] = TXN("ACK", "ACK", "z9hG4bKack2", ";tag=b1");
	static const char other_call[] = TXN("INVITE", "INVITE", "z9hG4bKinv8", "");
	/* RFC 2543 clients: no cookie, so sent-by and From tag stand for the transaction. */
	static const char old_invite[] = TXN("INVITE", "INVITE", "1", "");
	static const char old_ack[] = TXN("ACK", "ACK", "2", ";tag=b1");
	static const char bare_cookie[] = TXN("INVITE", "INVITE", "z9hG4bK", "");
#undef TXN
	char b_inv[DP_BRANCH_LEN + 1], b[DP_BRANCH_LEN + 1];

	branch_of(&cfg4, invite, b_inv);
	branch_of(&cfg4, invite, b);
	assert_string_equal(b, b_inv); /* retransmission */
	branch_of(&cfg4, cancel, b);
	assert_string_equal(b, b_inv);
	branch_of(&cfg4, ack_non2xx, b);
	assert_string_equal(b, b_inv);
	branch_of(&cfg4, ack_2xx, b);
	assert_string_not_equal(b, b_inv);
	branch_of(&cfg4, other_call, b);
	assert_string_not_equal(b, b_inv);
	branch_of(&cfg4_other, invite, b);
	assert_string_not_equal(b, b_inv); /* another secret */
	branch_of(&cfg4, old_invite, b_inv);
	branch_of(&cfg4, old_ack, b);
	assert_string_equal(b, b_inv);
	branch_of(&cfg4, bare_cookie, b);
	assert_string_not_equal(b, b_inv);

	/* Where the responses go is covered: another source address, or another port when the
	 * responses go to the source port (rport), is another branch; the source port alone,
	 * when they go to the sent-by port, is not. */
	{
		struct dp_sip_peer other_host = peer("192.0.2.2", 5060);
		struct dp_sip_peer other_port = peer("192.0.2.1", 5070);
		static const char rport[] =
		    "INVITE sip:bob@example.com SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKinv7\r\n"
		    "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
		    "From: <sip:alice@example.com>;tag=88\r\nCall-ID: stab@192.0.2.1\r\n"
		    "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
		char b_rport[DP_BRANCH_LEN + 1];

		branch_of(&cfg4, invite, b_inv);
		branch_from(&cfg4, invite, &other_host, b);
		assert_string_not_equal(b, b_inv);
		branch_from(&cfg4, invite, &other_port, b);
		assert_string_equal(b, b_inv);
		branch_of(&cfg4, rport, b_rport);
		branch_from(&cfg4, rport, &other_port, b);
		assert_string_not_equal(b, b_rport);
	}

	/* The documented formula, byte for byte. */
	static const char inv_input[] = DEST_192_0_2_1_5060 "stab@192.0.2.1\0"
	                                                    "7\0"
	                                                    "192.0.2.1:5060\0"
	                                                    "z9hG4bKinv7\0"
	                                                    "88";
	static const char old_input[] = DEST_192_0_2_1_5060 "stab@192.0.2.1\0"
	                                                    "7\0"
	                                                    "192.0.2.1:5060\0"
	                                                    "\0"
	                                                    "88";
	char want[DP_BRANCH_LEN + 1];
	snprintf(want, sizeof(want), DP_BRANCH_PREFIX "%016" PRIx64,
	         dp_siphash24(cfg4.key, inv_input, sizeof(inv_input) - 1));
	branch_of(&cfg4, invite, b);
	assert_string_equal(b, want);
	snprintf(want, sizeof(want), DP_BRANCH_PREFIX "%016" PRIx64,
	         dp_siphash24(cfg4.key, old_input, sizeof(old_input) - 1));
	branch_of(&cfg4, old_invite, b);
	assert_string_equal(b, want);

	/* A MAC input longer than the one-pass buffer (a 600-byte Call-ID) takes the streamed
	 * path: the same formula, byte for byte. */
	{
		static char long_msg[2048], long_input[1024];
		char long_id[601];
		memset(long_id, 'c', 600);
		long_id[600] = '\0';
		snprintf(long_msg, sizeof(long_msg),
		         "INVITE sip:bob@example.com SIP/2.0\r\n"
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKlong\r\n"
		         "Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\n"
		         "From: <sip:alice@example.com>;tag=88\r\nCall-ID: %s\r\n"
		         "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
		         long_id);
		memcpy(long_input, DEST_192_0_2_1_5060, 7);
		int n = snprintf(long_input + 7, sizeof(long_input) - 7,
		                 "%s%c7%c192.0.2.1:5060%cz9hG4bKlong%c88", long_id, 0, 0, 0, 0);
		snprintf(want, sizeof(want), DP_BRANCH_PREFIX "%016" PRIx64,
		         dp_siphash24(cfg4.key, long_input, (size_t)n + 7));
		branch_of(&cfg4, long_msg, b);
		assert_string_equal(b, want);
	}

	/* The forwarded request carries exactly that branch, for the retransmission too. */
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	static struct pkt p1, p2;
	struct sip_msg m1, m2;
	pkt_load_str(&p1, invite);
	pkt_load_str(&p2, cancel);
	parse_ok(p1.b.data, p1.b.len, &m1);
	parse_ok(p2.b.data, p2.b.len, &m2);
	assert_int_equal(dp_sip_forward_request(&cfg4, &p1.b, &m1, &src), DP_SIP_OK);
	assert_int_equal(dp_sip_forward_request(&cfg4, &p2.b, &m2, &src), DP_SIP_OK);
	parse_ok(p1.b.data, p1.b.len, &m1);
	parse_ok(p2.b.data, p2.b.len, &m2);
	assert_int_equal(m1.top_via.branch.len, DP_BRANCH_LEN);
	assert_memory_equal(p1.b.data + m1.top_via.branch.off, p2.b.data + m2.top_via.branch.off,
	                    DP_BRANCH_LEN);
}

/* ---------------------------------------------------------------------------------------------
 * NO_ROOM
 */

static void test_forward_no_room(void **state)
{
	static const char in[] = INVITE_HEAD "Max-Forwards: 70\r\n" INVITE_TAIL;
	struct dp_sip_peer src = peer("203.0.113.7", 5060);
	size_t grow = strlen(OUR_VIA) - 2 + DP_BRANCH_LEN + strlen(";received=203.0.113.7");
	static const struct {
		uint32_t headroom, tailroom;
		bool ok;
	} cases[] = {
	    {0, 0, false},  {10, 10, false}, {40, 40, false},
	    {0, 200, true}, {200, 0, true},  {40, 40 + 40, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct pkt p, snap;
		struct sip_msg msg;
		bool fits = cases[i].headroom + cases[i].tailroom >= grow;
		assert_int_equal(fits, cases[i].ok);
		pkt_load(&p, in, strlen(in), cases[i].headroom, cases[i].tailroom);
		parse_ok(p.b.data, p.b.len, &msg);
		snap = p;
		int rc = dp_sip_forward_request(&cfg4, &p.b, &msg, &src);
		if (!cases[i].ok) {
			assert_int_equal(rc, -DP_SIP_ERR_NO_ROOM);
			assert_memory_equal(p.mem, snap.mem, sizeof(p.mem));
			assert_ptr_equal(p.b.data, p.mem + cases[i].headroom);
			assert_int_equal(p.b.len, snap.b.len);
			assert_int_equal(p.b.headroom, snap.b.headroom);
			assert_int_equal(p.b.tailroom, snap.b.tailroom);
			continue;
		}
		assert_int_equal(rc, DP_SIP_OK);
		pkt_check_bounds(&p, cases[i].headroom, cases[i].tailroom, strlen(in));
		assert_int_equal(p.b.len, strlen(in) + grow);
		/* The bulk of the message (after every edit) stays put, unless the headroom is too
		 * short for what goes in front of it: then the start moves as far as it can. */
		uint32_t back = grow < cases[i].headroom ? (uint32_t)grow : cases[i].headroom;
		assert_int_equal(p.b.headroom, cases[i].headroom - back);
		parse_ok(p.b.data, p.b.len, &msg);
		assert_int_equal(msg.via_count, 2);
		assert_str(p.b.data, msg.top_via.host, "198.18.0.10");
		assert_true(msg.vias[1].len > 0);
		assert_str(p.b.data, msg.vias[1],
		           "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnashds8;received=203.0.113.7");
	}
}

/*
 * Forward in[0..in_len) (the message, then 5 bytes of noise) from src with head bytes of headroom
 * and tail of tailroom: NO_ROOM with the buffer untouched when the room (the noise counts as
 * tailroom) is below growth, else exactly expected, within the buffer's bounds.
 */
static void forward_in_room(const char *in, size_t in_len, const struct dp_sip_peer *src,
                            uint32_t head, uint32_t tail, size_t growth, const char *expected)
{
	static struct pkt p, snap;
	struct sip_msg m;

	pkt_load(&p, in, in_len, head, tail);
	snap = p;
	parse_ok(p.b.data, p.b.len, &m);
	int rc = dp_sip_forward_request(&cfg4, &p.b, &m, src);
	if (head + tail + strlen("noise") < growth) {
		assert_int_equal(rc, -DP_SIP_ERR_NO_ROOM);
		assert_memory_equal(p.mem, snap.mem, sizeof(p.mem));
		assert_memory_equal(&p.b, &snap.b, sizeof(p.b));
		return;
	}
	assert_int_equal(rc, DP_SIP_OK);
	assert_msg_equal(&p.b, expected);
	pkt_check_bounds(&p, head, tail, in_len);
}

/*
 * Every split of the room between both ends, for a request with an edit in each region: either
 * the exact result or NO_ROOM with the buffer untouched, never anything in between.
 */
static void test_forward_room_sweep(void **state)
{
	static const char in[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
	                         "Route: <sip:198.18.0.10;lr>, <sip:192.0.2.50;lr>\r\n"
	                         "Via: SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bKall\r\n"
	                         "Max-Forwards: 10\r\n" INVITE_TAIL "noise";
	static const char out_fmt[] =
	    "INVITE sip:bob@example.com SIP/2.0\r\n" OUR_VIA "Route: <sip:192.0.2.50;lr>\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5060;rport=40000;branch=z9hG4bKall;"
	    "received=203.0.113.7\r\n"
	    "Max-Forwards: 09\r\n" INVITE_TAIL;
	struct dp_sip_peer src = peer("203.0.113.7", 40000);
	char branch[DP_BRANCH_LEN + 1], expected[4096];

	branch_from(&cfg4, in, &src, branch);
	snprintf(expected, sizeof(expected), out_fmt, branch);
	size_t growth = strlen(expected) - (strlen(in) - strlen("noise"));
	for (uint32_t head = 0; head <= 2 * growth; head += 3)
		for (uint32_t tail = 0; tail <= 2 * growth; tail += 3)
			forward_in_room(in, strlen(in), &src, head, tail, growth, expected);
}

/*
 * One edit (our Via; the source matches the client's Via, so no received) and a Max-Forwards
 * decrement that keeps its width, for start lines shorter than, as long as, one byte either side
 * of, and longer than the rest of the message, with noise after it: every split of the room
 * gives the exact result (the digits where the edit moved them, the sum kept) or NO_ROOM with
 * the buffer untouched.
 */
static void test_forward_one_edit_room_sweep(void **state)
{
	static const char rest[] = "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKone\r\n"
	                           "Max-Forwards: 100\r\n"
	                           "Call-ID: one@192.0.2.1\r\nCSeq: 1 OPTIONS\r\n"
	                           "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
	                           "Content-Length: 0\r\n\r\n";
	/* the start line without the user part: "OPTIONS sip:@example.com SIP/2.0\r\n" */
	const size_t fixed = strlen("OPTIONS sip:@example.com SIP/2.0\r\n");
	const size_t users[] = {1, strlen(rest) - fixed - 1, strlen(rest) - fixed,
	                        strlen(rest) - fixed + 1, strlen(rest) - fixed + 40};
	struct dp_sip_peer src = peer("192.0.2.1", 5060);

	for (size_t u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
		char user[512], in[2048], out[2048], branch[DP_BRANCH_LEN + 1], via[256];
		assert_true(users[u] < sizeof(user));
		memset(user, 'u', users[u]);
		user[users[u]] = '\0';
		snprintf(in, sizeof(in), "OPTIONS sip:%s@example.com SIP/2.0\r\n%snoise", user,
		         rest);
		size_t in_len = strlen(in), msg_len = in_len - strlen("noise");
		in[msg_len] = '\0';
		branch_of(&cfg4, in, branch);
		in[msg_len] = 'n';
		snprintf(via, sizeof(via), OUR_VIA, branch);
		snprintf(out, sizeof(out), "OPTIONS sip:%s@example.com SIP/2.0\r\n%s%s", user, via,
		         rest);
		char *mf = strstr(out, "Max-Forwards: 100");
		assert_non_null(mf);
		memcpy(mf + strlen("Max-Forwards: "), "099", 3);
		size_t growth = strlen(out) - msg_len;

		for (uint32_t head = 0; head <= growth + 8; head++)
			for (uint32_t tail = 0; tail <= growth + 8; tail += 5)
				forward_in_room(in, in_len, &src, head, tail, growth, out);
	}
}

/* ---------------------------------------------------------------------------------------------
 * Record-Route pins, Path, requests from backends
 */

#define DIALOG_TAIL                                                                                \
	"From: Alice <sip:alice@example.com>;tag=1928301774\r\n"                                   \
	"Call-ID: dlg-1@pc33.example.com\r\n"                                                      \
	"Content-Length: 0\r\n"                                                                    \
	"\r\n"

/* Forward text with how; the result must be expected_fmt with our branch for "%1$s" and the
 * pin of `pin_id` (over text's Call-ID) for "%2$s". Returns the forwarded length. */
static void forward_how_expect(const struct dp_sip_cfg *cfg, const char *text,
                               const struct dp_sip_fwd *how, uint32_t pin_id,
                               const char *expected_fmt)
{
	static struct pkt p;
	struct sip_msg msg;
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	char branch[DP_BRANCH_LEN + 1], pin[DP_PIN_MAX + 1], expected[PKT_CAP];

	branch_of(cfg, text, branch);
	parse_ok(text, strlen(text), &msg);
	size_t n = dp_sip_pin(cfg, text, &msg, pin_id < LB_MAX_BACKENDS ? pin_id : 0,
	                      how != NULL && how->pin_name != NULL ? how->pin_name : "", pin);
	pin[n] = '\0';
	snprintf(expected, sizeof(expected), expected_fmt, branch, pin);
	pkt_load_str(&p, text);
	parse_ok(p.b.data, p.b.len, &msg);
	assert_int_equal(dp_sip_forward(cfg, &p.b, &msg, &src, how), DP_SIP_OK);
	assert_msg_equal(&p.b, expected);
	pkt_check_bounds(&p, HEADROOM, TAILROOM, strlen(text));
	parse_ok(p.b.data, p.b.len, &msg);
}

static void test_record_route(void **state)
{
	static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
	                             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrr1\r\n"
	                             "Max-Forwards: 70\r\n"
	                             "To: Bob <sip:bob@example.com>\r\n"
	                             "CSeq: 1 INVITE\r\n" DIALOG_TAIL;
	struct dp_sip_fwd how = {.record_route = true, .pin = 7, .pin_name = "be7"};

	forward_how_expect(&cfg4, invite, &how, 7,
	                   "INVITE sip:bob@example.com SIP/2.0\r\n"
	                   "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                   "Record-Route: <sip:198.18.0.10:5060;lr;sst=%2$s>\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrr1\r\n"
	                   "Max-Forwards: 69\r\n"
	                   "To: Bob <sip:bob@example.com>\r\n"
	                   "CSeq: 1 INVITE\r\n" DIALOG_TAIL);
	forward_how_expect(&cfg6, invite, &how, 7,
	                   "INVITE sip:bob@example.com SIP/2.0\r\n"
	                   "Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=%1$s\r\n"
	                   "Record-Route: <sip:[2001:db8::10]:5060;lr;sst=%2$s>\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrr1\r\n"
	                   "Max-Forwards: 69\r\n"
	                   "To: Bob <sip:bob@example.com>\r\n"
	                   "CSeq: 1 INVITE\r\n" DIALOG_TAIL);

	/* The pin: "7." and 16 lowercase hex digits; another id, name, secret or Call-ID changes
	 * it. */
	struct sip_msg msg, other;
	char a[DP_PIN_MAX], b[DP_PIN_MAX];
	static const char other_call[] =
	    "INVITE sip:bob@example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrr1\r\n"
	    "To: <sip:bob@example.com>\r\nCSeq: 1 INVITE\r\n"
	    "From: <sip:a@example.com>;tag=1\r\nCall-ID: dlg-2\r\n\r\n";
	parse_ok(invite, strlen(invite), &msg);
	parse_ok(other_call, strlen(other_call), &other);
	assert_int_equal(dp_sip_pin(&cfg4, invite, &msg, 7, "be7", a), 2 + DP_PIN_MAC_HEX);
	assert_memory_equal(a, "7.", 2);
	for (size_t i = 2; i < 2 + DP_PIN_MAC_HEX; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_int_equal(dp_sip_pin(&cfg4, invite, &msg, 4095, "be7", b), 5 + DP_PIN_MAC_HEX);
	assert_memory_equal(b, "4095.", 5);
	assert_int_equal(dp_sip_pin(&cfg4, invite, &msg, 70, "be7", b), 3 + DP_PIN_MAC_HEX);
	assert_memory_not_equal(a + 2, b + 3, DP_PIN_MAC_HEX);
	dp_sip_pin(&cfg4, invite, &msg, 7, "be8", b);
	assert_memory_equal(a, b, 2);
	assert_memory_not_equal(a, b, 2 + DP_PIN_MAC_HEX);
	dp_sip_pin(&cfg4, invite, &msg, 7, "", b);
	assert_memory_not_equal(a, b, 2 + DP_PIN_MAC_HEX);
	dp_sip_pin(&cfg4_other, invite, &msg, 7, "be7", b);
	assert_memory_not_equal(a, b, 2 + DP_PIN_MAC_HEX);
	dp_sip_pin(&cfg4, other_call, &other, 7, "be7", b);
	assert_memory_not_equal(a, b, 2 + DP_PIN_MAC_HEX);
	/* never the branch MAC of the same message */
	char branch[DP_BRANCH_LEN + 1];
	branch_of(&cfg4, invite, branch);
	assert_memory_not_equal(a + 2, branch + sizeof(DP_BRANCH_PREFIX) - 1, DP_PIN_MAC_HEX);
}

/* Identical bytes for every retransmission, whatever the buffer geometry. */
static void test_record_route_stable(void **state)
{
	static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
	                             "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKrr2\r\n"
	                             "To: Bob <sip:bob@example.com>\r\n"
	                             "CSeq: 1 INVITE\r\n" DIALOG_TAIL;
	struct dp_sip_fwd how = {.record_route = true, .pin = 12, .pin_name = "be12"};
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	static struct pkt p1, p2;
	struct sip_msg m1, m2;

	pkt_load(&p1, invite, strlen(invite), HEADROOM, TAILROOM);
	pkt_load(&p2, invite, strlen(invite), 300, 40);
	parse_ok(p1.b.data, p1.b.len, &m1);
	parse_ok(p2.b.data, p2.b.len, &m2);
	assert_int_equal(dp_sip_forward(&cfg4, &p1.b, &m1, &src, &how), DP_SIP_OK);
	assert_int_equal(dp_sip_forward(&cfg4, &p2.b, &m2, &src, &how), DP_SIP_OK);
	assert_int_equal(p1.b.len, p2.b.len);
	assert_memory_equal(p1.b.data, p2.b.data, p1.b.len);
	/* The Record-Route written parses back as a pin for backend 12 once it comes back as a
	 * Route in the dialog. */
	const char *rr = strstr(p1.b.data, "Record-Route: ");
	assert_non_null(rr);
	const char *eol = strstr(rr, "\r\n");
	char bye[1024];
	snprintf(bye, sizeof(bye),
	         "BYE sip:bob@192.0.2.30 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbye2\r\n"
	         "Route: %.*s\r\n"
	         "To: Bob <sip:bob@example.com>;tag=b1\r\n"
	         "CSeq: 2 BYE\r\n" DIALOG_TAIL,
	         (int)(eol - rr - 14), rr + 14);
	struct sip_msg m;
	uint32_t id = 0;
	parse_ok(bye, strlen(bye), &m);
	assert_int_equal(dp_sip_route_pin(&cfg4, bye, &m, &every_id, &id), 1);
	assert_int_equal(id, 12);
	assert_int_equal(dp_sip_route_pin(&cfg4, bye, &m, set_of(12, "be12"), &id), 1);
	assert_int_equal(id, 12);
	/* After a reload: id 12 held by another backend, or by nobody; no set at all. The pin is
	 * stale, never a route to another backend. */
	id = 77;
	assert_int_equal(dp_sip_route_pin(&cfg4, bye, &m, set_of(12, "be13"), &id), -1);
	assert_int_equal(dp_sip_route_pin(&cfg4, bye, &m, set_of(12, "be12x"), &id), -1);
	assert_int_equal(dp_sip_route_pin(&cfg4, bye, &m, set_of(13, "be12"), &id), -1);
	assert_int_equal(dp_sip_route_pin(&cfg4, bye, &m, NULL, &id), -1);
	assert_int_equal(id, 77);
}

/* Which requests get a Record-Route. */
static void test_record_route_which(void **state)
{
	static const struct {
		const char *method, *to_tag;
		uint32_t extra;
		bool record_route;
		uint32_t pin;
		bool want;
	} cases[] = {
	    {"INVITE", "", 0, true, 3, true},
	    {"SUBSCRIBE", "", 0, true, 3, true},
	    {"REFER", "", 0, true, 3, true},
	    {"INVITE", ";tag=x", 0, true, 3, false}, /* re-INVITE: in a dialog already */
	    {"SUBSCRIBE", ";tag=x", 0, true, 3, false},
	    {"INVITE", "", 0, false, 3, false}, /* sip.record_route off */
	    {"INVITE", "", 0, true, DP_PIN_NONE, false},
	    {"INVITE", "", 0, true, LB_MAX_BACKENDS, false},
	    {"MESSAGE", "", 0, true, 3, false},
	    {"MESSAGE", "", 1u << SIP_METHOD_MESSAGE, true, 3, true},
	    {"MESSAGE", ";tag=x", 1u << SIP_METHOD_MESSAGE, true, 3, false},
	    {"NOTIFY", "", 1u << SIP_METHOD_MESSAGE, true, 3, false},
	    {"BYE", ";tag=x", 0, true, 3, false},
	    {"OPTIONS", "", 0, true, 3, false},
	    {"REGISTER", "", 0, true, 3, false},
	    {"FOO", "", 0xffffffffu, true, 3, false}, /* unknown methods are never listed */
	};
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	static struct pkt p;
	char in[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_msg msg;
		struct dp_sip_fwd how = {.record_route = cases[i].record_route,
		                         .dialog_methods = cases[i].extra,
		                         .pin = cases[i].pin,
		                         .pin_name = "be3"};
		snprintf(in, sizeof(in),
		         "%s sip:bob@example.com SIP/2.0\r\n"
		         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKw\r\n"
		         "To: <sip:bob@example.com>%s\r\nCSeq: 1 %s\r\n" DIALOG_TAIL,
		         cases[i].method, cases[i].to_tag, cases[i].method);
		pkt_load_str(&p, in);
		parse_ok(p.b.data, p.b.len, &msg);
		assert_int_equal(dp_sip_creates_dialog(&msg, cases[i].extra),
		                 cases[i].want || !cases[i].record_route ||
		                     cases[i].pin >= LB_MAX_BACKENDS);
		assert_int_equal(dp_sip_forward(&cfg4, &p.b, &msg, &src, &how), DP_SIP_OK);
		bool has = memmem(p.b.data, p.b.len, "Record-Route:", 13) != NULL;
		if (has != cases[i].want)
			fail_msg("case %zu (%s%s): Record-Route %s", i, cases[i].method,
			         cases[i].to_tag, has ? "added" : "missing");
		parse_ok(p.b.data, p.b.len, &msg);
		assert_int_equal(msg.has_record_route, cases[i].want);
	}
	/* A pin needs the backend's name (its MAC covers it): without one, no Record-Route. */
	struct sip_msg msg;
	struct dp_sip_fwd how = {.record_route = true, .pin = 3};
	snprintf(in, sizeof(in),
	         "INVITE sip:bob@example.com SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKw\r\n"
	         "To: <sip:bob@example.com>\r\nCSeq: 1 INVITE\r\n" DIALOG_TAIL);
	pkt_load_str(&p, in);
	parse_ok(p.b.data, p.b.len, &msg);
	assert_int_equal(dp_sip_forward(&cfg4, &p.b, &msg, &src, &how), DP_SIP_OK);
	assert_null(memmem(p.b.data, p.b.len, "Record-Route:", 13));
}

static void test_path(void **state)
{
	static const char reg[] = "REGISTER sip:example.com SIP/2.0\r\n"
	                          "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1\r\n"
	                          "Max-Forwards: 70\r\n"
	                          "To: <sip:alice@example.com>\r\n"
	                          "Contact: <sip:alice@192.0.2.1>\r\n"
	                          "CSeq: 1 REGISTER\r\n" DIALOG_TAIL;
	struct dp_sip_fwd how = {
	    .add_path = true, .record_route = true, .pin = 1, .pin_name = "be1"};

	forward_how_expect(&cfg4, reg, &how, 1,
	                   "REGISTER sip:example.com SIP/2.0\r\n"
	                   "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                   "Path: <sip:198.18.0.10:5060;lr>\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1\r\n"
	                   "Max-Forwards: 69\r\n"
	                   "To: <sip:alice@example.com>\r\n"
	                   "Contact: <sip:alice@192.0.2.1>\r\n"
	                   "CSeq: 1 REGISTER\r\n" DIALOG_TAIL "%2$.0s");
	/* sip.path off, or no options at all: nothing added */
	how.add_path = false;
	forward_how_expect(&cfg4, reg, &how, 1,
	                   "REGISTER sip:example.com SIP/2.0\r\n"
	                   "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1\r\n"
	                   "Max-Forwards: 69\r\n"
	                   "To: <sip:alice@example.com>\r\n"
	                   "Contact: <sip:alice@192.0.2.1>\r\n"
	                   "CSeq: 1 REGISTER\r\n" DIALOG_TAIL "%2$.0s");
	forward_how_expect(&cfg4, reg, NULL, 1,
	                   "REGISTER sip:example.com SIP/2.0\r\n"
	                   "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKreg1\r\n"
	                   "Max-Forwards: 69\r\n"
	                   "To: <sip:alice@example.com>\r\n"
	                   "Contact: <sip:alice@192.0.2.1>\r\n"
	                   "CSeq: 1 REGISTER\r\n" DIALOG_TAIL "%2$.0s");
	/* Path only on REGISTER */
	how.add_path = true;
	how.record_route = false;
	forward_how_expect(&cfg4,
	                   "OPTIONS sip:example.com SIP/2.0\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKo1\r\n"
	                   "To: <sip:alice@example.com>\r\nCSeq: 1 OPTIONS\r\n" DIALOG_TAIL,
	                   &how, 1,
	                   "OPTIONS sip:example.com SIP/2.0\r\n"
	                   "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                   "Max-Forwards: 70\r\n"
	                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKo1\r\n"
	                   "To: <sip:alice@example.com>\r\nCSeq: 1 OPTIONS\r\n" DIALOG_TAIL
	                   "%2$.0s");
}

/* A request carrying route_text as its Route line(s), parsed; the buffer is static per slot. */
static const char *route_request(const char *route_text, const char *call_id, struct sip_msg *m)
{
	static char text[4][1024];
	static unsigned slot;
	char *t = text[slot++ % 4];

	snprintf(t, sizeof(text[0]),
	         "BYE sip:bob@192.0.2.30 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKp\r\n"
	         "%s"
	         "To: <sip:bob@example.com>;tag=b1\r\n"
	         "From: <sip:alice@example.com>;tag=a1\r\n"
	         "Call-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
	         route_text, call_id);
	parse_ok(t, strlen(t), m);
	return t;
}

static void test_pin_parse(void **state)
{
	struct sip_msg m;
	const char *t;
	char pin[DP_PIN_MAX + 1], pin0[DP_PIN_MAX + 1], route[512];
	uint32_t id;

	/* the valid pins of ids 9, 0 and 4095 for Call-ID "c1" */
	t = route_request("", "c1", &m);
	pin[dp_sip_pin(&cfg4, t, &m, 9, be_name(9), pin)] = '\0';
	pin0[dp_sip_pin(&cfg4, t, &m, 0, be_name(0), pin0)] = '\0';

	snprintf(route, sizeof(route), "Route: <sip:198.18.0.10:5060;lr;sst=%s>\r\n", pin);
	t = route_request(route, "c1", &m);
	id = 99;
	assert_int_equal(dp_sip_route_pin(&cfg4, t, &m, &every_id, &id), 1);
	assert_int_equal(id, 9);
	/* parameter order, name case, no port, user part, display name, a second Route */
	snprintf(route, sizeof(route),
	         "Route: \"lb\" <sip:x@198.18.0.10;SST=%s;lr>;foo, <sip:192.0.2.9;lr>\r\n", pin);
	t = route_request(route, "c1", &m);
	assert_int_equal(dp_sip_route_pin(&cfg4, t, &m, &every_id, &id), 1);
	assert_int_equal(id, 9);
	snprintf(route, sizeof(route), "Route: <sip:198.18.0.10;lr;sst=%s>\r\n", pin0);
	t = route_request(route, "c1", &m);
	assert_int_equal(dp_sip_route_pin(&cfg4, t, &m, &every_id, &id), 1);
	assert_int_equal(id, 0);

	/* the same pin under another Call-ID, or checked with another secret: forged */
	snprintf(route, sizeof(route), "Route: <sip:198.18.0.10:5060;lr;sst=%s>\r\n", pin);
	t = route_request(route, "c2", &m);
	assert_int_equal(dp_sip_route_pin(&cfg4, t, &m, &every_id, &id), -1);
	t = route_request(route, "c1", &m);
	assert_int_equal(dp_sip_route_pin(&cfg4_other, t, &m, &every_id, &id), -1);

	/* forged or malformed values */
	char forged[DP_PIN_MAX + 1];
	memcpy(forged, pin, sizeof(forged));
	forged[2] = forged[2] == '0' ? '1' : '0';
	char other_id[DP_PIN_MAX + 2];
	snprintf(other_id, sizeof(other_id), "8%s", pin + 1);
	char upper[DP_PIN_MAX + 1];
	memcpy(upper, pin, sizeof(upper));
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	bool has_letter = strcmp(upper, pin) != 0;
	char lead0[DP_PIN_MAX + 2];
	snprintf(lead0, sizeof(lead0), "0%s", pin);
	char short_mac[DP_PIN_MAX + 1];
	snprintf(short_mac, sizeof(short_mac), "%.*s", (int)strlen(pin) - 1, pin);
	char long_mac[DP_PIN_MAX + 2];
	snprintf(long_mac, sizeof(long_mac), "%s0", pin);
	char no_dot[DP_PIN_MAX + 1];
	snprintf(no_dot, sizeof(no_dot), "9%s", pin + 2);
	char big_id[DP_PIN_MAX + 8];
	snprintf(big_id, sizeof(big_id), "4096%s", pin + 1);
	char huge_id[DP_PIN_MAX + 16];
	snprintf(huge_id, sizeof(huge_id), "99999999999%s", pin + 1);
	const char *bad[] = {forged,
	                     other_id,
	                     lead0,
	                     short_mac,
	                     long_mac,
	                     no_dot,
	                     big_id,
	                     huge_id,
	                     "",
	                     "9",
	                     "9.",
	                     ".0123456789abcdef",
	                     "x.0123456789abcdef",
	                     "-1.0123456789abcdef"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(route, sizeof(route), "Route: <sip:198.18.0.10;lr;sst=%s>\r\n", bad[i]);
		t = route_request(route, "c1", &m);
		if (dp_sip_route_pin(&cfg4, t, &m, &every_id, &id) != -1)
			fail_msg("pin \"%s\" accepted", bad[i]);
	}
	if (has_letter) {
		snprintf(route, sizeof(route), "Route: <sip:198.18.0.10;lr;sst=%s>\r\n", upper);
		t = route_request(route, "c1", &m);
		assert_int_equal(dp_sip_route_pin(&cfg4, t, &m, &every_id, &id), -1);
	}
	/* a bare sst (no '=') is malformed too */
	t = route_request("Route: <sip:198.18.0.10;lr;sst>\r\n", "c1", &m);
	assert_int_equal(dp_sip_route_pin(&cfg4, t, &m, &every_id, &id), -1);

	/* no pin at all: no Route, no sst, a Route that is not ours, a pin in a later Route */
	const char *none[] = {
	    "",
	    "Route: <sip:198.18.0.10;lr>\r\n",
	    "Route: <sip:198.18.0.10;lr;ssx=1>\r\n",
	    "Route: <sip:198.18.0.10;lr?sst=1>\r\n",
	    "Route: <sip:192.0.2.9;lr;sst=%s>\r\n",
	    "Route: <sip:198.18.0.10:5070;lr;sst=%s>\r\n",
	    "Route: <sip:192.0.2.9;lr>, <sip:198.18.0.10;lr;sst=%s>\r\n",
	    "Route: <sip:192.0.2.9;lr>\r\nRoute: <sip:198.18.0.10;lr;sst=%s>\r\n",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		snprintf(route, sizeof(route), none[i], pin);
		t = route_request(route, "c1", &m);
		if (dp_sip_route_pin(&cfg4, t, &m, &every_id, &id) != 0)
			fail_msg("case %zu: pin found in \"%s\"", i, route);
	}
	/* dp_sip_route_is_self agrees with the forward's own Route pop */
	t = route_request("Route: <sip:198.18.0.10;lr>\r\n", "c1", &m);
	assert_true(dp_sip_route_is_self(&cfg4, t, &m));
	t = route_request("Route: <sip:198.18.0.11;lr>\r\n", "c1", &m);
	assert_false(dp_sip_route_is_self(&cfg4, t, &m));
	t = route_request("", "c1", &m);
	assert_false(dp_sip_route_is_self(&cfg4, t, &m));
}

/* Forward a backend's request: expect rc, and on success the message and next hop. */
static void outbound_expect(const char *text, int want_rc, const char *next_ip, uint16_t next_port,
                            const struct dp_sip_fwd *how, const char *expected_fmt)
{
	static struct pkt p;
	struct sip_msg msg;
	struct dp_sip_peer src = peer("10.0.0.21", 5060), next;
	char branch[DP_BRANCH_LEN + 1], pin[DP_PIN_MAX + 1], expected[PKT_CAP];

	memset(&next, 0, sizeof(next));
	pkt_load_str(&p, text);
	parse_ok(p.b.data, p.b.len, &msg);
	int rc = dp_sip_forward_outbound(&cfg4, &p.b, &msg, &src, how, &next);
	if (rc != want_rc)
		fail_msg("rc %d (%s), expected %d on:\n%s", rc, dp_sip_err_name(-rc), want_rc,
		         text);
	if (rc != DP_SIP_OK) {
		/* untouched */
		assert_int_equal(p.b.len, strlen(text));
		assert_memory_equal(p.b.data, text, p.b.len);
		assert_int_equal(p.b.headroom, HEADROOM);
		return;
	}
	struct lb_addr want = addr(next_ip, next_port);
	assert_true(lb_addr_equal(&next.addr, &want));
	branch_from(&cfg4, text, &src, branch);
	parse_ok(text, strlen(text), &msg);
	pin[dp_sip_pin(&cfg4, text, &msg, 21, "be21", pin)] = '\0';
	snprintf(expected, sizeof(expected), expected_fmt, branch, pin);
	assert_msg_equal(&p.b, expected);
	parse_ok(p.b.data, p.b.len, &msg);
}

#define OUT_TAIL                                                                                   \
	"To: <sip:alice@example.com>;tag=a1\r\n"                                                   \
	"From: <sip:bob@example.com>;tag=b1\r\n"                                                   \
	"Call-ID: out1\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n"

static void test_outbound(void **state)
{
	struct dp_sip_fwd how = {.record_route = true, .pin = 21, .pin_name = "be21"};
	char in[1024], out[1024];

	/* our Route popped, to the Request-URI */
	outbound_expect("BYE sip:alice@192.0.2.1:5062;transport=udp SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob1\r\n"
	                "Route: <sip:198.18.0.10;lr;sst=1.0123456789abcdef>\r\n"
	                "Max-Forwards: 70\r\n" OUT_TAIL,
	                DP_SIP_OK, "192.0.2.1", 5062, &how,
	                "BYE sip:alice@192.0.2.1:5062;transport=udp SIP/2.0\r\n"
	                "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob1\r\n"
	                "Max-Forwards: 69\r\n" OUT_TAIL "%2$.0s");
	/* no Route at all, no port: 5060 */
	outbound_expect("BYE sip:alice@192.0.2.1 SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob2\r\n" OUT_TAIL,
	                DP_SIP_OK, "192.0.2.1", 5060, NULL,
	                "BYE sip:alice@192.0.2.1 SIP/2.0\r\n"
	                "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                "Max-Forwards: 70\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob2\r\n" OUT_TAIL "%2$.0s");
	/* the next Route wins over the Request-URI: on the same line, or on the next one */
	outbound_expect("BYE sip:alice@alice.example.com SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob3\r\n"
	                "Route: <sip:198.18.0.10;lr>, <sip:203.0.113.5:5070;lr>\r\n" OUT_TAIL,
	                DP_SIP_OK, "203.0.113.5", 5070, NULL,
	                "BYE sip:alice@alice.example.com SIP/2.0\r\n"
	                "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                "Max-Forwards: 70\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob3\r\n"
	                "Route: <sip:203.0.113.5:5070;lr>\r\n" OUT_TAIL "%2$.0s");
	outbound_expect("BYE sip:alice@alice.example.com SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob4\r\n"
	                "Route: <sip:198.18.0.10;lr>\r\n"
	                "Max-Forwards: 10\r\n"
	                "route : \"p\" <sip:[2001:db8::5]:5071;lr>,<sip:192.0.2.7;lr>\r\n" OUT_TAIL,
	                DP_SIP_OK, "2001:db8::5", 5071, NULL,
	                "BYE sip:alice@alice.example.com SIP/2.0\r\n"
	                "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob4\r\n"
	                "Max-Forwards: 09\r\n"
	                "route : \"p\" <sip:[2001:db8::5]:5071;lr>,<sip:192.0.2.7;lr>\r\n" OUT_TAIL
	                "%2$.0s");
	/* the next Route's display name, quoted, may hold ',' and '<': not the URI */
	outbound_expect(
	    "BYE sip:alice@alice.example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob7\r\n"
	    "Route: <sip:198.18.0.10;lr>, \"x, <sip:192.0.2.66>\" <sip:192.0.2.8;lr>\r\n" OUT_TAIL,
	    DP_SIP_OK, "192.0.2.8", 5060, NULL,
	    "BYE sip:alice@alice.example.com SIP/2.0\r\n"
	    "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	    "Max-Forwards: 70\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob7\r\n"
	    "Route: \"x, <sip:192.0.2.66>\" <sip:192.0.2.8;lr>\r\n" OUT_TAIL "%2$.0s");
	/* a top Route that is not ours is the next hop itself, and stays */
	outbound_expect("BYE sip:alice@alice.example.com SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob5\r\n"
	                "Route: <sip:203.0.113.9;lr>\r\n" OUT_TAIL,
	                DP_SIP_OK, "203.0.113.9", 5060, NULL,
	                "BYE sip:alice@alice.example.com SIP/2.0\r\n"
	                "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                "Max-Forwards: 70\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob5\r\n"
	                "Route: <sip:203.0.113.9;lr>\r\n" OUT_TAIL "%2$.0s");
	/* a dialog-creating request from a backend (Path): Record-Route pinned to the sender */
	outbound_expect("INVITE sip:alice@192.0.2.1:5062 SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob6\r\n"
	                "Route: <sip:198.18.0.10:5060;lr>\r\n"
	                "To: <sip:alice@example.com>\r\n"
	                "From: <sip:bob@example.com>;tag=b1\r\n"
	                "Call-ID: out1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	                DP_SIP_OK, "192.0.2.1", 5062, &how,
	                "INVITE sip:alice@192.0.2.1:5062 SIP/2.0\r\n"
	                "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=%1$s\r\n"
	                "Max-Forwards: 70\r\n"
	                "Record-Route: <sip:198.18.0.10:5060;lr;sst=%2$s>\r\n"
	                "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKob6\r\n"
	                "To: <sip:alice@example.com>\r\n"
	                "From: <sip:bob@example.com>;tag=b1\r\n"
	                "Call-ID: out1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");

	/* refused targets, the message left as it was */
	static const struct {
		const char *ruri, *route;
		int rc;
	} bad[] = {
	    {"sip:alice@alice.example.com", "", -DP_SIP_ERR_ROUTE_HOST_NAME},
	    {"sip:alice@192.0.2.1", "Route: <sip:198.18.0.10;lr>, <sip:proxy.example;lr>\r\n",
	     -DP_SIP_ERR_ROUTE_HOST_NAME},
	    {"sip:alice@192.0.2.1", "Route: <sip:198.18.0.10;lr>\r\nRoute: <sip:p.example>\r\n",
	     -DP_SIP_ERR_ROUTE_HOST_NAME},
	    {"sips:alice@192.0.2.1", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"tel:+15551234", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@198.18.0.10", "", -DP_SIP_ERR_ROUTE_TARGET}, /* ourselves: a loop */
	    {"sip:alice@198.18.0.10:5080", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@224.0.0.1", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@255.255.255.255", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@0.0.0.0", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@[ff02::1]", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@[2001:db8::1", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@[zz::1]", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@192.0.2.1:99999", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@192.0.2.1:", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@", "", -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@192.0.2.1", "Route: <sip:198.18.0.10;lr>, sip:192.0.2.8\r\n",
	     -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@192.0.2.1", "Route: <sip:198.18.0.10;lr>, <sip:198.18.0.10;lr>\r\n",
	     -DP_SIP_ERR_ROUTE_TARGET},
	    {"sip:alice@192.0.2.1", "Route: <sip:192.0.2.300;lr>\r\n", -DP_SIP_ERR_ROUTE_HOST_NAME},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(in, sizeof(in),
		         "BYE %s SIP/2.0\r\n"
		         "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKbad\r\n%s" OUT_TAIL,
		         bad[i].ruri, bad[i].route);
		outbound_expect(in, bad[i].rc, NULL, 0, NULL, NULL);
	}

	/* too little room: refused, untouched */
	static struct pkt p;
	struct sip_msg msg;
	struct dp_sip_peer src = peer("10.0.0.21", 5060), next;
	snprintf(in, sizeof(in),
	         "BYE sip:alice@192.0.2.1 SIP/2.0\r\n"
	         "Via: SIP/2.0/UDP 10.0.0.21:5060;branch=z9hG4bKroom\r\n" OUT_TAIL);
	pkt_load(&p, in, strlen(in), 10, 10);
	parse_ok(p.b.data, p.b.len, &msg);
	assert_int_equal(dp_sip_forward_outbound(&cfg4, &p.b, &msg, &src, NULL, &next),
	                 -DP_SIP_ERR_NO_ROOM);
	assert_memory_equal(p.b.data, in, strlen(in));
	(void)out;
}

/* ---------------------------------------------------------------------------------------------
 * Response relay
 */

/*
 * What a backend answers to a forwarded request: its Via lines copied in order, From, To with a
 * tag, Call-ID and CSeq (RFC 3261 8.2.6.2). comma_join puts all Via values on one line.
 */
static size_t backend_response(const char *req, size_t req_len, int code, bool comma_join,
                               char *out, size_t cap)
{
	struct sip_msg m;
	size_t n = 0;

	parse_ok(req, req_len, &m);
	n += (size_t)snprintf(out + n, cap - n, "SIP/2.0 %d %s\r\n", code, dp_sip_reason(code));
	for (unsigned i = 0; i < m.via_count; i++) {
		if (comma_join)
			n += (size_t)snprintf(out + n, cap - n, "%s%.*s", i == 0 ? "Via: " : ", ",
			                      (int)m.vias[i].len, req + m.vias[i].off);
		else
			n += (size_t)snprintf(out + n, cap - n, "Via: %.*s\r\n", (int)m.vias[i].len,
			                      req + m.vias[i].off);
	}
	if (comma_join)
		n += (size_t)snprintf(out + n, cap - n, "\r\n");
	n += (size_t)snprintf(out + n, cap - n,
	                      "From: %.*s\r\nTo: %.*s;tag=be1\r\nCall-ID: %.*s\r\nCSeq: %.*s\r\n"
	                      "Content-Length: 0\r\n\r\n",
	                      (int)m.from.len, req + m.from.off, (int)m.to.len, req + m.to.off,
	                      (int)m.call_id.len, req + m.call_id.off, (int)m.cseq_value.len,
	                      req + m.cseq_value.off);
	assert_true(n < cap);
	return n;
}

/* Forward req from src, answer it as a backend would; the response lands in *resp. */
static void round_trip(const struct dp_sip_cfg *cfg, const char *req, const struct dp_sip_peer *src,
                       bool comma_join, struct pkt *resp)
{
	static struct pkt p;
	static char text[PKT_CAP];
	struct sip_msg m;

	pkt_load_str(&p, req);
	parse_ok(p.b.data, p.b.len, &m);
	assert_int_equal(dp_sip_forward_request(cfg, &p.b, &m, src), DP_SIP_OK);
	size_t n = backend_response(p.b.data, p.b.len, 180, comma_join, text, sizeof(text));
	pkt_load(resp, text, n, HEADROOM, TAILROOM);
}

static void relay_expect(const struct dp_sip_cfg *cfg, struct pkt *resp, const char *next_ip,
                         uint16_t next_port, const char *expected)
{
	struct sip_msg m;
	struct dp_sip_peer next, want = peer(next_ip, next_port);
	size_t orig_len = resp->b.len;

	memset(&next, 0, sizeof(next));
	parse_ok(resp->b.data, resp->b.len, &m);
	assert_int_equal(dp_sip_relay_response(cfg, &resp->b, &m, &next), DP_SIP_OK);
	assert_int_equal(next.addr.family, want.addr.family);
	assert_int_equal(next.addr.port, want.addr.port);
	if (want.addr.family == AF_INET)
		assert_memory_equal(next.addr.v4, want.addr.v4, 4);
	else
		assert_memory_equal(next.addr.v6, want.addr.v6, 16);
	assert_msg_equal(&resp->b, expected);
	pkt_check_bounds(resp, HEADROOM, TAILROOM, orig_len);
	parse_ok(resp->b.data, resp->b.len, &m);
}

#define SIMPLE_REQ(via)                                                                            \
	"INVITE sip:bob@example.com SIP/2.0\r\nVia: " via "\r\nMax-Forwards: 70\r\n"               \
	"To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=77\r\n"                    \
	"Call-ID: relay@192.0.2.1\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n"
#define SIMPLE_RESP_TAIL                                                                           \
	"From: <sip:alice@example.com>;tag=77\r\nTo: <sip:bob@example.com>;tag=be1\r\n"            \
	"Call-ID: relay@192.0.2.1\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n"

static void test_relay(void **state)
{
	static struct pkt resp;
	static const struct {
		const struct dp_sip_cfg *cfg;
		const char *req, *src_ip;
		uint16_t src_port;
		bool comma_join;
		const char *next_ip;
		uint16_t next_port;
		const char *client_via_after;
	} cases[] = {
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKr1"), "192.0.2.1", 5062,
	     false, "192.0.2.1", 5062, "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKr1"},
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKr1"), "192.0.2.1", 5062,
	     true, "192.0.2.1", 5062, "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKr1"},
	    /* no port in sent-by: 5060 */
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr1"), "192.0.2.1", 5060, false,
	     "192.0.2.1", 5060, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKr1"},
	    /* NAT with rport: back to the source address and port */
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bKr2"), "203.0.113.7",
	     40001, false, "203.0.113.7", 40001,
	     "SIP/2.0/UDP 10.0.0.5:5060;rport=40001;branch=z9hG4bKr2;received=203.0.113.7"},
	    /* NAT without rport: received, sent-by port */
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKr3"), "203.0.113.7", 40001,
	     true, "203.0.113.7", 5070,
	     "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKr3;received=203.0.113.7"},
	    /* host name sent-by: received (we added it) */
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP pc33.example.com;branch=z9hG4bKr4"), "192.0.2.33", 5060,
	     false, "192.0.2.33", 5060,
	     "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKr4;received=192.0.2.33"},
	    /* RFC 2543 client: no cookie, MAC over sent-by and From tag */
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1:5060"), "192.0.2.1", 5060, false, "192.0.2.1",
	     5060, "SIP/2.0/UDP 192.0.2.1:5060"},
	    /* the shortest and the longest dotted quads */
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 1.2.3.4:5062;branch=z9hG4bKr8"), "1.2.3.4", 5062, false,
	     "1.2.3.4", 5062, "SIP/2.0/UDP 1.2.3.4:5062;branch=z9hG4bKr8"},
	    {&cfg4, SIMPLE_REQ("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKr9"), "203.113.255.254",
	     40001, false, "203.113.255.254", 5070,
	     "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bKr9;received=203.113.255.254"},
	    /* IPv6 */
	    {&cfg6, SIMPLE_REQ("SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKr6"), "2001:db8::1",
	     5062, false, "2001:db8::1", 5062, "SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKr6"},
	    {&cfg6, SIMPLE_REQ("SIP/2.0/UDP [2001:db8::1];rport;branch=z9hG4bKr7"), "2001:db8::99",
	     6000, true, "2001:db8::99", 6000,
	     "SIP/2.0/UDP [2001:db8::1];rport=6000;branch=z9hG4bKr7;received=2001:db8::99"},
	};
	char expected[2048];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dp_sip_peer src = peer(cases[i].src_ip, cases[i].src_port);
		round_trip(cases[i].cfg, cases[i].req, &src, cases[i].comma_join, &resp);
		snprintf(expected, sizeof(expected), "SIP/2.0 180 Ringing\r\nVia: %s\r\n%s",
		         cases[i].client_via_after, SIMPLE_RESP_TAIL);
		relay_expect(cases[i].cfg, &resp, cases[i].next_ip, cases[i].next_port, expected);
	}
}

/*
 * Our Via line removed by a relay: its sum is known without reading it only when it is spelled
 * exactly as the forward wrote it (the line is taken verbatim from the forwarded request here). A
 * respelled header name of the same length is summed as it is; both at an odd and at an even
 * offset (the status line's length), for an IPv4 and an IPv6 VIP. The bytes in front move
 * forward when they are fewer than those behind (a short status line), else those behind move
 * back (a status line longer than the rest); noise after the message is cut either way.
 */
#define LONG_REASON "and ringing and ringing and ringing and ringing and ringing and ringing "
static void test_relay_sum_own_via_spellings(void **state)
{
	static struct pkt req, resp;
	static char text[PKT_CAP];
	static const char *const status[] = {
	    "SIP/2.0 180 Ringing\r\n", "SIP/2.0 180 Ring\r\n",
	    "SIP/2.0 180 Ringing " LONG_REASON LONG_REASON LONG_REASON LONG_REASON "\r\n"};
	static const char *const name[] = {NULL, "VIA:", "via:"};
	static const char *const noise[] = {"", "noise"};
	static const struct {
		const struct dp_sip_cfg *cfg;
		const char *via, *ip;
	} legs[] = {
	    {&cfg4, "SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKsp", "192.0.2.1"},
	    {&cfg6, "SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKsp", "2001:db8::1"},
	};
	char expected[1024], client[256];
	struct sip_msg m;

	(void)state;
	for (size_t g = 0; g < sizeof(legs) / sizeof(legs[0]); g++) {
		struct dp_sip_peer src = peer(legs[g].ip, 5062);
		snprintf(client, sizeof(client), "Via: %s\r\n", legs[g].via);
		pkt_load_str(&req,
		             legs[g].cfg == &cfg4
		                 ? SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKsp")
		                 : SIMPLE_REQ("SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKsp"));
		parse_ok(req.b.data, req.b.len, &m);
		assert_int_equal(dp_sip_forward_request(legs[g].cfg, &req.b, &m, &src), DP_SIP_OK);
		/* our line: the first header line of the forwarded request */
		const char *ours = strstr(req.b.data, "\r\n") + 2;
		size_t ours_len = (size_t)(strstr(ours, "\r\n") + 2 - ours);
		assert_memory_equal(ours, legs[g].cfg->via_head, 4);
		for (size_t s = 0; s < sizeof(status) / sizeof(status[0]); s++) {
			for (size_t h = 0; h < 2 * sizeof(name) / sizeof(name[0]); h++) {
				size_t n = 0, sl = strlen(status[s]);
				const char *tail = noise[h % 2];
				memcpy(text, status[s], sl);
				n += sl;
				memcpy(text + n, ours, ours_len);
				if (name[h / 2] != NULL)
					memcpy(text + n, name[h / 2], 4);
				n += ours_len;
				n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s%s", client,
				                      SIMPLE_RESP_TAIL, tail);
				pkt_load(&resp, text, n, HEADROOM, TAILROOM);
				snprintf(expected, sizeof(expected), "%s%s%s", status[s], client,
				         SIMPLE_RESP_TAIL);
				relay_expect(legs[g].cfg, &resp, legs[g].ip, 5062, expected);
			}
		}
	}
}

/* A branch MAC wrong in any one of its bytes (each compared, in both halves the comparison
 * takes) is refused; the untouched one is relayed. */
static void test_relay_branch_one_byte_off(void **state)
{
	static struct pkt signed_resp, resp;
	struct dp_sip_peer src = peer("192.0.2.1", 5062), next;
	struct sip_msg m;

	(void)state;
	round_trip(&cfg4, SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKob"), &src, false,
	           &signed_resp);
	parse_ok(signed_resp.b.data, signed_resp.b.len, &m);
	assert_int_equal(m.top_via.branch.len, DP_BRANCH_LEN);
	const uint32_t at = m.top_via.branch.off;
	for (uint32_t i = 0; i <= DP_BRANCH_LEN; i++) {
		pkt_load(&resp, signed_resp.b.data, signed_resp.b.len, HEADROOM, TAILROOM);
		if (i < DP_BRANCH_LEN) /* i == DP_BRANCH_LEN: the control, untouched */
			resp.b.data[at + i] = resp.b.data[at + i] == '0' ? '1' : '0';
		parse_ok(resp.b.data, resp.b.len, &m);
		int rc = dp_sip_relay_response(&cfg4, &resp.b, &m, &next);
		if (i < sizeof(DP_BRANCH_PREFIX) - 1)
			assert_int_equal(rc, -DP_SIP_ERR_NOT_OUR_VIA); /* no longer our prefix */
		else if (i < DP_BRANCH_LEN)
			assert_int_equal(rc, -DP_SIP_ERR_BAD_BRANCH_MAC);
		else
			assert_int_equal(rc, DP_SIP_OK);
	}
}

/* Popping our Via moves the status line forward; the rest of the response stays put. */
static void test_relay_moves_status_line_only(void **state)
{
	static struct pkt resp;
	struct dp_sip_peer src = peer("192.0.2.1", 5060), next;
	struct sip_msg m;

	round_trip(&cfg4, SIMPLE_REQ("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKmv"), &src, false, &resp);
	parse_ok(resp.b.data, resp.b.len, &m);
	const char *client_via = resp.b.data + m.top_via_line.off + m.top_via_line.len;
	uint32_t removed = m.top_via_line.len;
	assert_memory_equal(client_via, "Via: SIP/2.0/UDP 192.0.2.1;", 27);
	assert_int_equal(dp_sip_relay_response(&cfg4, &resp.b, &m, &next), DP_SIP_OK);
	assert_memory_equal(client_via, "Via: SIP/2.0/UDP 192.0.2.1;", 27);
	assert_int_equal(resp.b.headroom, HEADROOM + removed);
	assert_int_equal(resp.b.tailroom, TAILROOM);
	assert_memory_equal(resp.b.data, "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1;", 48);
}

/* Three Vias below ours on separate lines and comma-joined: only ours goes. */
static void test_relay_keeps_lower_vias(void **state)
{
	static struct pkt resp;
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	static const char req[] =
	    "INVITE sip:bob@example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1, SIP/2.0/UDP "
	    "192.0.2.2;branch=z9hG4bKp2\r\n"
	    "Via: SIP/2.0/TCP 192.0.2.3;branch=z9hG4bKp3\r\nMax-Forwards: 70\r\n"
	    "To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=77\r\n"
	    "Call-ID: relay@192.0.2.1\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n";

	round_trip(&cfg4, req, &src, true, &resp);
	relay_expect(&cfg4, &resp, "192.0.2.1", 5060,
	             "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1, "
	             "SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKp2, "
	             "SIP/2.0/TCP 192.0.2.3;branch=z9hG4bKp3\r\n" SIMPLE_RESP_TAIL);
	round_trip(&cfg4, req, &src, false, &resp);
	relay_expect(&cfg4, &resp, "192.0.2.1", 5060,
	             "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1\r\n"
	             "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKp2\r\n"
	             "Via: SIP/2.0/TCP 192.0.2.3;branch=z9hG4bKp3\r\n" SIMPLE_RESP_TAIL);
}

/*
 * A response whose top Via claims to be ours: "%s" in the text stands for a branch. With sign,
 * the branch is the MAC a real forward would have made for the Via below (so only the check
 * under test can fail); otherwise it is taken as given.
 */
static void forged_response(const struct dp_sip_cfg *cfg, const char *fmt, bool sign,
                            const char *branch, struct pkt *out)
{
	char text[4096], mac[DP_BRANCH_LEN + 1];
	struct sip_msg m;
	struct sip_via client;

	memset(mac, 'x', DP_BRANCH_LEN);
	memcpy(mac, DP_BRANCH_PREFIX, sizeof(DP_BRANCH_PREFIX) - 1);
	mac[DP_BRANCH_LEN] = '\0';
	snprintf(text, sizeof(text), fmt, sign ? mac : branch);
	if (sign) {
		parse_ok(text, strlen(text), &m);
		assert_true(m.via_count >= 2);
		assert_int_equal(sip_via_parse(text, m.vias[1], &client), 0);
		sign_for(cfg, text, &m, &client, text + m.top_via.branch.off);
	}
	pkt_load_str(out, text);
}

static void test_relay_refused(void **state)
{
#define RESP(top, second)                                                                          \
	"SIP/2.0 200 OK\r\nVia: " top "\r\n" second "From: <sip:alice@example.com>;tag=77\r\n"     \
	"To: <sip:bob@example.com>;tag=be1\r\nCall-ID: forged@192.0.2.1\r\nCSeq: 3 INVITE\r\n"     \
	"Content-Length: 0\r\n\r\n"
#define CLIENT "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKf1\r\n"
	static const struct {
		const char *fmt;
		bool sign;
		const char *branch;
		const struct dp_sip_cfg *cfg;
		int err;
	} cases[] = {
	    /* the good one, as a control */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), true, NULL, &cfg4, 0},
	    {RESP("SIP/2.0/UDP 198.18.0.10;branch=%s", CLIENT), true, NULL, &cfg4, 0},
	    /* not ours: other host, other port, host name, probe prefix, no branch */
	    {RESP("SIP/2.0/UDP 198.18.0.11:5060;branch=%s", CLIENT), true, NULL, &cfg4,
	     DP_SIP_ERR_NOT_OUR_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5070;branch=%s", CLIENT), true, NULL, &cfg4,
	     DP_SIP_ERR_NOT_OUR_VIA},
	    {RESP("SIP/2.0/UDP lb.example.com:5060;branch=%s", CLIENT), true, NULL, &cfg4,
	     DP_SIP_ERR_NOT_OUR_VIA},
	    {RESP("SIP/2.0/UDP [2001:db8::10]:5060;branch=%s", CLIENT), true, NULL, &cfg4,
	     DP_SIP_ERR_NOT_OUR_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), false,
	     DP_PROBE_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NOT_OUR_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), false, "z9hG4bKclient", &cfg4,
	     DP_SIP_ERR_NOT_OUR_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;x=%s", CLIENT), false, "1", &cfg4,
	     DP_SIP_ERR_NOT_OUR_VIA},
	    /* ours in form, but a MAC we did not make */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), false,
	     DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_BAD_BRANCH_MAC},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), false, DP_BRANCH_PREFIX "0123",
	     &cfg4, DP_SIP_ERR_BAD_BRANCH_MAC},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), false,
	     DP_BRANCH_PREFIX "0123456789abcdef0", &cfg4, DP_SIP_ERR_BAD_BRANCH_MAC},
	    /* made with another secret */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", CLIENT), true, NULL, &cfg4_other,
	     DP_SIP_ERR_BAD_BRANCH_MAC},
	    /* nothing (usable) below ours */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s", ""), false,
	     DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bKbc\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 224.0.1.75;branch=z9hG4bKmc\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=255.255.255.255;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP [ff02::1];branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP [::];branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP [::ffff:255.255.255.255];branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=nonsense;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    /* a host name below ours, and no received */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKn\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NEXT_HOP_NAME},
	    /* received not a dotted quad we send to */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=192.0.2.256;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=192.0.2.;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=192.0.2.1.5;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1.2.3.4x;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1.2.3.01;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1.2.3.1000;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1..2.3;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=.1.2.3.4;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1.2.3.4.;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1.2.3;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=1234.2.3.4;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    /* an unusable destination is refused before the MAC is looked at */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 255.255.255.255;branch=z9hG4bKbc\r\n"),
	     false, DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=239.1.2.3;branch=z9hG4bKz\r\n"),
	     false, DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=000.0.0.1;branch=z9hG4bKz\r\n"),
	     false, DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP [::ffff:224.0.0.1];branch=z9hG4bKz\r\n"),
	     false, DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    /* a quad with leading zeros: usable for the relay check, not a literal we send to
	     * (and refused as such before the MAC, which covers the next hop) */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=010.0.0.1;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 192.0.2.1;received=010.0.0.1;branch=z9hG4bKz\r\n"),
	     false, DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP 010.0.0.1;branch=z9hG4bKz\r\n"),
	     true, NULL, &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	    /* a host name with a usable received below it: a dotted quad sent to */
	    {RESP("SIP/2.0/UDP 198.18.0.10:5060;branch=%s",
	          "Via: SIP/2.0/UDP pc33.example.com;received=0.1.2.3;branch=z9hG4bKn\r\n"),
	     false, DP_BRANCH_PREFIX "0123456789abcdef", &cfg4, DP_SIP_ERR_NO_NEXT_VIA},
	};
#undef RESP
#undef CLIENT

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct pkt p, snap;
		struct sip_msg m;
		struct dp_sip_peer next = peer("192.0.2.200", 1);
		struct dp_sip_peer next_before = next;

		forged_response(cases[i].cfg, cases[i].fmt, cases[i].sign, cases[i].branch, &p);
		snap = p;
		parse_ok(p.b.data, p.b.len, &m);
		int rc = dp_sip_relay_response(&cfg4, &p.b, &m, &next);
		if (rc != -cases[i].err)
			fail_msg("case %zu: got %d (%s), want %d", i, rc, dp_sip_err_name(-rc),
			         -cases[i].err);
		if (cases[i].err == 0)
			continue;
		assert_memory_equal(p.mem, snap.mem, sizeof(p.mem));
		assert_ptr_equal(p.b.data, snap.b.data);
		assert_int_equal(p.b.len, snap.b.len);
		assert_int_equal(p.b.headroom, snap.b.headroom);
		assert_int_equal(p.b.tailroom, snap.b.tailroom);
		assert_memory_equal(&next, &next_before, sizeof(next));
	}
}

/* The 200 OK of test_relay_sent_by_altered with `below` as the client's Via under ours and
 * our branch as given, relayed: dp_sip_relay_response()'s result, *next set on success. */
static int relay_with_below(const char *below, const char *branch, struct dp_sip_peer *next)
{
	static struct pkt p;
	char text[1024];
	struct sip_msg m;

	snprintf(text, sizeof(text),
	         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.10:5060;branch=%s\r\n"
	         "Via: SIP/2.0/UDP %s;branch=z9hG4bKsb1\r\nFrom: <sip:alice@example.com>;"
	         "tag=5\r\nTo: <sip:bob@example.com>;tag=b\r\nCall-ID: sentby@192.0.2.1\r\n"
	         "CSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n",
	         branch, below);
	pkt_load_str(&p, text);
	parse_ok(p.b.data, p.b.len, &m);
	return dp_sip_relay_response(&cfg4, &p.b, &m, next);
}

/*
 * A backend that saw our branch rewrites the client's Via below ours, to have the response sent
 * to a third party: the MAC covers the client's sent-by and where the response goes (received,
 * rport), so the response is refused.
 */
static void test_relay_sent_by_altered(void **state)
{
#define RESP(client)                                                                               \
	"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.10:5060;branch=%s\r\nVia: "                   \
	"SIP/2.0/UDP " client                                                                      \
	";branch=z9hG4bKsb1\r\nFrom: <sip:alice@example.com>;tag=5\r\nTo: <sip:bob@example.com>"   \
	";tag=b\r\nCall-ID: sentby@192.0.2.1\r\nCSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n"
	static const char *const altered[] = {
	    "192.0.2.99:5060", /* another host */
	    "192.0.2.1:5099",  /* another port */
	    "192.0.2.1",       /* no port: 5060, the same as written before */
	    "[2001:db8::1]:5060", "client.example.com:5060",
	};
	char signed_text[1024], branch[DP_BRANCH_LEN + 1];
	struct sip_msg m;
	struct sip_via client;

	/* Sign for the client's own Via, as our forward did. */
	memset(branch, 'x', DP_BRANCH_LEN);
	branch[DP_BRANCH_LEN] = '\0';
	snprintf(signed_text, sizeof(signed_text), RESP("192.0.2.1:5060"), branch);
	parse_ok(signed_text, strlen(signed_text), &m);
	assert_int_equal(sip_via_parse(signed_text, m.vias[1], &client), 0);
	sign_for(&cfg4, signed_text, &m, &client, branch);
	snprintf(signed_text, sizeof(signed_text), RESP("192.0.2.1:5060"), branch);

	for (size_t i = 0; i < sizeof(altered) / sizeof(altered[0]); i++) {
		struct dp_sip_peer next = peer("192.0.2.200", 1);
		int rc = relay_with_below(altered[i], branch, &next);
		/* a host name without received: no next hop, refused before the MAC */
		int want = i == 2   ? DP_SIP_OK
		           : i == 4 ? -DP_SIP_ERR_NEXT_HOP_NAME
		                    : -DP_SIP_ERR_BAD_BRANCH_MAC;
		if (rc != want)
			fail_msg("sent-by %s: got %d (%s), want %d", altered[i], rc,
			         dp_sip_err_name(-rc), want);
	}
	/* The untouched response, and one with received and rport added below ours, pass. */
	static struct pkt ok;
	struct dp_sip_peer next;
	pkt_load_str(&ok, signed_text);
	parse_ok(ok.b.data, ok.b.len, &m);
	assert_int_equal(dp_sip_relay_response(&cfg4, &ok.b, &m, &next), DP_SIP_OK);
	/* A client that asked for rport from port 5062: the forward added received and rport and
	 * signed for 192.0.2.1:5062. Any other received or rport below ours is refused. */
	static const char *const moved[] = {
	    "192.0.2.1:5060;received=192.0.2.1;rport=5063",
	    "192.0.2.1:5060;received=192.0.2.99;rport=5062",
	    "192.0.2.1:5060;received=192.0.2.1",
	};
	memset(branch, 'x', DP_BRANCH_LEN);
	snprintf(signed_text, sizeof(signed_text),
	         RESP("192.0.2.1:5060;received=192.0.2.1;rport=5062"), branch);
	parse_ok(signed_text, strlen(signed_text), &m);
	assert_int_equal(sip_via_parse(signed_text, m.vias[1], &client), 0);
	sign_for(&cfg4, signed_text, &m, &client, branch);
	assert_int_equal(
	    relay_with_below("192.0.2.1:5060;received=192.0.2.1;rport=5062", branch, &next),
	    DP_SIP_OK);
	assert_int_equal(next.addr.port, 5062);
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		int rc = relay_with_below(moved[i], branch, &next);
		if (rc != -DP_SIP_ERR_BAD_BRANCH_MAC)
			fail_msg("Via below ours %s: got %d (%s), want bad_branch_mac", moved[i],
			         rc, dp_sip_err_name(-rc));
	}
#undef RESP
}

/* A backend that strips received from a host-name Via: the MAC still holds, the name does not. */
static void test_relay_next_hop_name(void **state)
{
	static struct pkt p;
	struct dp_sip_peer src = peer("192.0.2.33", 5060), next;
	struct sip_msg m;
	static const char req[] = SIMPLE_REQ("SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnm");
	char resp[2048];

	pkt_load_str(&p, req);
	parse_ok(p.b.data, p.b.len, &m);
	assert_int_equal(dp_sip_forward_request(&cfg4, &p.b, &m, &src), DP_SIP_OK);
	parse_ok(p.b.data, p.b.len, &m);
	snprintf(resp, sizeof(resp),
	         "SIP/2.0 200 OK\r\nVia: %.*s\r\n"
	         "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnm\r\n" SIMPLE_RESP_TAIL,
	         (int)m.vias[0].len, p.b.data + m.vias[0].off);
	pkt_load_str(&p, resp);
	parse_ok(p.b.data, p.b.len, &m);
	assert_int_equal(dp_sip_relay_response(&cfg4, &p.b, &m, &next), -DP_SIP_ERR_NEXT_HOP_NAME);
	assert_msg_equal(&p.b, resp);
}

/* ---------------------------------------------------------------------------------------------
 * Stateless replies
 */

static const char *header_value(const char *reply, const char *name, char *out, size_t cap)
{
	char key[64];
	snprintf(key, sizeof(key), "\r\n%s: ", name);
	const char *h = strstr(reply, key);
	if (h == NULL)
		return NULL;
	h += strlen(key);
	const char *e = strstr(h, "\r\n");
	snprintf(out, cap, "%.*s", (int)(e - h), h);
	return out;
}

/* Where a stateless reply goes: the source address; the source port only with rport, else the
 * sent-by port (RFC 3261 18.2.2, RFC 3581 4); a top Via that does not parse: the source. */
static void test_reply_dest(void **state)
{
	static const struct {
		const char *via;
		const char *want_ip;
		uint16_t want_port;
	} cases[] = {
	    {"SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa", "203.0.113.7", 5070},
	    {"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa", "203.0.113.7", 5060},
	    {"SIP/2.0/UDP 192.0.2.1:5070;rport;branch=z9hG4bKa", "203.0.113.7", 40000},
	    {"SIP/2.0/UDP 192.0.2.1:5070;rport=5999;branch=z9hG4bKa", "203.0.113.7", 5999},
	    {"SIP/2.0/UDP client.example.com:5080;branch=z9hG4bKa", "203.0.113.7", 5080},
	    {"SIP/2.0/UDP 192.0.2.1:5070;received=198.18.9.9;branch=z9hG4bKa", "203.0.113.7", 5070},
	    {"SIP/2.0/UDP [2001:db8::1;branch=z9hG4bKa", "203.0.113.7", 40000}, /* no parse */
	};
	char text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_msg m;
		struct dp_sip_peer src = peer("203.0.113.7", 40000), to;
		struct lb_addr want = addr(cases[i].want_ip, cases[i].want_port);

		snprintf(text, sizeof(text),
		         "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: %s\r\nMax-Forwards: 0\r\n"
		         "To: <sip:bob@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\n"
		         "Call-ID: rd%zu\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		         cases[i].via, i);
		(void)sip_parse(text, strlen(text), &m);
		dp_sip_reply_dest(text, &m, &src, &to);
		if (!lb_addr_equal(&to.addr, &want))
			fail_msg("Via %s: reply to port %u, want %u", cases[i].via, to.addr.port,
			         cases[i].want_port);
	}
}

static void test_reply_exact(void **state)
{
	static const char req[] =
	    "INVITE sip:bob@example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bKe1\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.40;branch=z9hG4bKe0, SIP/2.0/TCP "
	    "192.0.2.41;branch=z9hG4bKx\r\n"
	    "Max-Forwards: 70\r\nTo: Bob <sip:bob@example.com>\r\n"
	    "From: Alice <sip:alice@example.com>;tag=f1\r\nCall-ID: reply1@10.0.0.5\r\n"
	    "CSeq: 12 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct dp_sip_peer src = peer("203.0.113.7", 40000);
	struct sip_msg m, r;
	char out[2048], expected[2048], tag[64];

	parse_ok(req, strlen(req), &m);
	int n = dp_sip_build_reply(&cfg4, req, &m, &src, 503, out, sizeof(out));
	assert_true(n > 0);
	parse_ok(out, (size_t)n, &r);
	assert_false(r.is_request);
	assert_int_equal(r.status_code, 503);
	assert_true(r.to_tag.len == DP_REPLY_TAG_HEX);
	snprintf(tag, sizeof(tag), "%.*s", (int)r.to_tag.len, out + r.to_tag.off);
	snprintf(
	    expected, sizeof(expected),
	    "SIP/2.0 503 Service Unavailable\r\n"
	    "Via: SIP/2.0/UDP 10.0.0.5:5060;rport=40000;branch=z9hG4bKe1;received=203.0.113.7\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.40;branch=z9hG4bKe0\r\n"
	    "Via: SIP/2.0/TCP 192.0.2.41;branch=z9hG4bKx\r\n"
	    "From: Alice <sip:alice@example.com>;tag=f1\r\n"
	    "To: Bob <sip:bob@example.com>;tag=%s\r\n"
	    "Call-ID: reply1@10.0.0.5\r\nCSeq: 12 INVITE\r\nRetry-After: 30\r\n"
	    "Server: sipsteer\r\nContent-Length: 0\r\n\r\n",
	    tag);
	assert_int_equal(n, strlen(expected));
	assert_memory_equal(out, expected, (size_t)n);

	/* Stable across retransmissions; another call gets another tag. */
	char again[2048];
	assert_int_equal(dp_sip_build_reply(&cfg4, req, &m, &src, 503, again, sizeof(again)), n);
	assert_memory_equal(out, again, (size_t)n);
	static char other[sizeof(req)];
	memcpy(other, req, sizeof(req));
	memcpy(strstr(other, "reply1@"), "reply2@", 7);
	parse_ok(other, strlen(other), &m);
	n = dp_sip_build_reply(&cfg4, other, &m, &src, 400, again, sizeof(again));
	assert_true(n > 0);
	parse_ok(again, (size_t)n, &r);
	assert_int_equal(r.to_tag.len, DP_REPLY_TAG_HEX);
	assert_memory_not_equal(again + r.to_tag.off, tag, DP_REPLY_TAG_HEX);
	/* No Retry-After but for 503, nor when not configured. */
	assert_null(strstr(again, "Retry-After"));
	struct dp_sip_cfg no_retry = cfg4;
	no_retry.retry_after = 0;
	n = dp_sip_build_reply(&no_retry, other, &m, &src, 503, again, sizeof(again));
	assert_true(n > 0);
	assert_null(strstr(again, "Retry-After"));
}

static void test_reply_keeps_to_tag(void **state)
{
	static const char req[] = "BYE sip:bob@192.0.2.30 SIP/2.0\r\n"
	                          "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye2\r\n"
	                          "Max-Forwards: 0\r\nTo: <sip:bob@example.com>;tag=99\r\n"
	                          "From: <sip:a@example.com>;tag=1\r\nCall-ID: bye2\r\n"
	                          "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	struct sip_msg m, r;
	char out[1024], value[256];

	assert_int_equal(sip_parse(req, strlen(req), &m), -SIP_ERR_TOO_MANY_HOPS);
	int n = dp_sip_build_reply(&cfg4, req, &m, &src, 483, out, sizeof(out));
	assert_true(n > 0);
	out[n] = '\0';
	parse_ok(out, (size_t)n, &r);
	assert_int_equal(r.status_code, 483);
	assert_string_equal(header_value(out, "To", value, sizeof(value)),
	                    "<sip:bob@example.com>;tag=99");
	assert_string_equal(header_value(out, "Via", value, sizeof(value)),
	                    "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKbye2");
	assert_non_null(strstr(out, "SIP/2.0 483 Too Many Hops\r\n"));
}

/* Replies to broken corpus requests: whatever the parser found is echoed. */
static void test_reply_errors(void **state)
{
	static const struct {
		const char *file;
		int code;
		bool reparses; /* the reply is a complete response */
		const char *call_id;
	} cases[] = {
	    {"zeromf.dat", 483, true, "zeromf.jfasdlfnm2o2l43r5u0asdfas"},
	    {"mismatch01.dat", 400, true, "mismatch01.dj0234sxdfl3"},
	    {"clerr.dat", 400, true, "clerr.0ha0isndaksdjweiafasdk3"},
	    {"badvers.dat", 505, false, "badvers.31417@c.example.com"},
	    {"insuf.dat", 400, false, NULL},
	};
	const char *dir = getenv("SIPSTEER_CORPUS");
	struct dp_sip_peer src = peer("192.0.2.99", 5060);

	if (dir == NULL)
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[1024], req[8192], out[8192], value[512];
		struct sip_msg m, r;
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		size_t len = fread(req, 1, sizeof(req), f);
		fclose(f);
		int rc = sip_parse(req, len, &m);
		assert_true(rc < 0);
		assert_int_equal(sip_err_reply((enum sip_err) - rc), cases[i].code);
		int n =
		    dp_sip_build_reply(&cfg4, req, &m, &src, cases[i].code, out, sizeof(out) - 1);
		assert_true(n > 0);
		out[n] = '\0';
		char status[64];
		snprintf(status, sizeof(status), "SIP/2.0 %d %s\r\n", cases[i].code,
		         dp_sip_reason(cases[i].code));
		assert_true(strncmp(out, status, strlen(status)) == 0);
		assert_non_null(strstr(out, "\r\nServer: sipsteer\r\nContent-Length: 0\r\n\r\n"));
		assert_non_null(header_value(out, "Via", value, sizeof(value)));
		if (cases[i].code != 505) /* a SIP/7.0 Via is echoed as it came */
			assert_non_null(strstr(value, ";received=192.0.2.99"));
		if (cases[i].call_id != NULL)
			assert_string_equal(header_value(out, "Call-ID", value, sizeof(value)),
			                    cases[i].call_id);
		else
			assert_null(header_value(out, "Call-ID", value, sizeof(value)));
		if (cases[i].reparses) {
			parse_ok(out, (size_t)n, &r);
			assert_int_equal(r.status_code, cases[i].code);
			assert_int_equal(r.via_count, m.via_count);
			assert_int_equal(r.cseq, m.cseq);
			assert_int_equal(r.to_tag.len, DP_REPLY_TAG_HEX);
		}
	}
}

static void test_reply_refused(void **state)
{
	static const char req[] = INVITE_HEAD "Max-Forwards: 70\r\n" INVITE_TAIL;
	struct dp_sip_peer src = peer("192.0.2.1", 5060);
	struct sip_msg m;
	char out[2048];

	parse_ok(req, strlen(req), &m);
	int n = dp_sip_build_reply(&cfg4, req, &m, &src, 400, out, sizeof(out));
	assert_true(n > 0);
	/* Every capacity short of the full reply is refused, the exact one is enough. */
	for (size_t cap = 0; cap < (size_t)n; cap++)
		assert_int_equal(dp_sip_build_reply(&cfg4, req, &m, &src, 400, out, cap),
		                 -DP_SIP_ERR_REPLY_TOO_BIG);
	assert_int_equal(dp_sip_build_reply(&cfg4, req, &m, &src, 400, out, (size_t)n), n);
	assert_int_equal(dp_sip_build_reply(&cfg4, req, &m, &src, 99, out, sizeof(out)),
	                 -DP_SIP_ERR_REPLY_CODE);
	assert_int_equal(dp_sip_build_reply(&cfg4, req, &m, &src, 700, out, sizeof(out)),
	                 -DP_SIP_ERR_REPLY_CODE);
	/* Nothing to answer to without a Via. */
	static const char no_via[] =
	    "OPTIONS sip:a@example.com SIP/2.0\r\nMax-Forwards: 70\r\n"
	    "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\n"
	    "Call-ID: novia\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_parse(no_via, strlen(no_via), &m), -SIP_ERR_NO_VIA);
	assert_int_equal(dp_sip_build_reply(&cfg4, no_via, &m, &src, 400, out, sizeof(out)),
	                 -DP_SIP_ERR_REPLY_NO_VIA);
}

/* ---------------------------------------------------------------------------------------------
 * RFC 4475 corpus
 */

static size_t corpus_read(const char *dir, const char *file, char *buf, size_t cap)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	size_t len = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(len < cap);
	return len;
}

/* Every request the policy forwards goes through the proxy and parses again, our Via on top. */
static void test_corpus_forward(void **state)
{
	const char *dir = getenv("SIPSTEER_CORPUS");
	char path[1024], line[1024];
	unsigned forwarded = 0;

	if (dir == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/EXPECT.tsv", dir);
	FILE *tsv = fopen(path, "r");
	assert_non_null(tsv);
	assert_non_null(fgets(line, sizeof(line), tsv)); /* header */
	while (fgets(line, sizeof(line), tsv) != NULL) {
		char *field[7];
		char *p = line;
		for (int i = 0; i < 7; i++) {
			field[i] = p;
			p = strchr(p, i < 6 ? '\t' : '\n');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (strcmp(field[2], "request") != 0 || strcmp(field[3], "forward") != 0)
			continue;

		static struct pkt pk;
		static char raw[PKT_CAP];
		struct sip_msg m;
		struct dp_sip_peer src = peer("203.0.113.9", 5099);
		size_t len = corpus_read(dir, field[0], raw, sizeof(raw) - HEADROOM - TAILROOM);
		pkt_load(&pk, raw, len, HEADROOM, TAILROOM);
		int rc = sip_parse(pk.b.data, pk.b.len, &m);
		if (rc <= 0)
			fail_msg("%s: sip_parse %d", field[0], rc);
		unsigned vias = m.via_count;
		char branch[DP_BRANCH_LEN];
		struct lb_addr dest;
		dp_sip_response_dest(&m.top_via, &src, &dest);
		dp_sip_branch(&cfg4, pk.b.data, &m, &m.top_via, &dest, branch);
		assert_int_equal(dp_sip_forward_request(&cfg4, &pk.b, &m, &src), DP_SIP_OK);
		pkt_check_bounds(&pk, HEADROOM, TAILROOM, len);
		rc = sip_parse(pk.b.data, pk.b.len, &m);
		if (rc <= 0)
			fail_msg("%s: forwarded message does not parse: %d (%s)", field[0], rc,
			         sip_err_name(-rc));
		assert_int_equal(rc, pk.b.len); /* no noise left */
		if (!str_eq(pk.b.data, m.call_id, field[5]))
			fail_msg("%s: Call-ID \"%.*s\" != \"%s\"", field[0], (int)m.call_id.len,
			         pk.b.data + m.call_id.off, field[5]);
		assert_int_equal(m.via_count, vias + 1);
		assert_str(pk.b.data, m.top_via.host, "198.18.0.10");
		assert_int_equal(m.top_via.port, SELF_PORT);
		assert_int_equal(m.top_via.branch.len, DP_BRANCH_LEN);
		assert_memory_equal(pk.b.data + m.top_via.branch.off, branch, DP_BRANCH_LEN);
		assert_true(m.has_max_forwards);
		/* The client's Via now records where the request came from. */
		struct sip_via client;
		assert_int_equal(sip_via_parse(pk.b.data, m.vias[1], &client), 0);
		assert_true(client.has_received);
		assert_str(pk.b.data, client.received, "203.0.113.9");
		forwarded++;
	}
	fclose(tsv);
	assert_int_equal(forwarded, 23); /* the forward requests in EXPECT.tsv */
}

/* unreason and noreason with our Via prepended relay back to exactly the corpus bytes. */
static void test_corpus_relay(void **state)
{
	static const char *const files[] = {"unreason.dat", "noreason.dat"};
	const char *dir = getenv("SIPSTEER_CORPUS");

	if (dir == NULL)
		skip();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		static char raw[PKT_CAP], text[PKT_CAP];
		static struct pkt pk;
		struct sip_msg m;
		struct sip_via client;
		struct dp_sip_peer next;
		size_t len = corpus_read(dir, files[i], raw, sizeof(raw) - 1024);
		raw[len] = '\0';
		char *eol = strstr(raw, "\r\n");
		assert_non_null(eol);
		size_t start = (size_t)(eol + 2 - raw);
		static const char ours[] = "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=";
		memcpy(text, raw, start);
		memcpy(text + start, ours, strlen(ours));
		memset(text + start + strlen(ours), 'x', DP_BRANCH_LEN);
		memcpy(text + start + strlen(ours) + DP_BRANCH_LEN, "\r\n", 2);
		size_t head = strlen(ours) + DP_BRANCH_LEN + 2;
		memcpy(text + start + head, raw + start, len - start);
		parse_ok(text, len + head, &m);
		assert_int_equal(sip_via_parse(text, m.vias[1], &client), 0);
		sign_for(&cfg4, text, &m, &client, text + m.top_via.branch.off);

		pkt_load(&pk, text, len + head, HEADROOM, TAILROOM);
		parse_ok(pk.b.data, pk.b.len, &m);
		assert_int_equal(dp_sip_relay_response(&cfg4, &pk.b, &m, &next), DP_SIP_OK);
		assert_int_equal(pk.b.len, len);
		assert_memory_equal(pk.b.data, raw, len);
		assert_int_equal(next.addr.family, AF_INET);
	}
}

/* xorshift64: a fixed sequence, so every run tries the same mutations. */
static uint64_t rng_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * Mutated corpus messages (bytes replaced with SIP delimiters or noise, cuts) through whatever
 * applies: forward for requests that parse, relay for responses, replies for requests that fail.
 * Buffers are allocated to the exact size so the sanitizer build catches any stray access; the
 * results must stay within them and keep their length accounting.
 */
static void test_mutations(void **state)
{
	static const char *const files[] = {"wsinv.dat",      "dblreq.dat",  "inv2543.dat",
	                                    "transports.dat", "longreq.dat", "unreason.dat",
	                                    "badinv01.dat",   "insuf.dat",   "zeromf.dat",
	                                    "esc01.dat",      "mpart01.dat", "intmeth.dat"};
	static const char noise[] = ",;:=<>[]\"\r\n \t@0123456789z";
	const char *dir = getenv("SIPSTEER_CORPUS");
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	unsigned forwarded = 0, relayed_tries = 0, replied = 0;

	if (dir == NULL)
		skip();
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		static char raw[PKT_CAP];
		size_t len = corpus_read(dir, files[f], raw, sizeof(raw));
		for (int round = 0; round < 1000; round++) {
			uint32_t head = (uint32_t)(rng_next(&x) % 160);
			uint32_t tail = (uint32_t)(rng_next(&x) % 160);
			size_t n = len;
			char *mem = malloc(head + len + tail);
			assert_non_null(mem);
			char *msg = mem + head;
			memcpy(msg, raw, len);
			int edits = 1 + (int)(rng_next(&x) % 4);
			for (int e = 0; e < edits; e++) {
				size_t at = (size_t)(rng_next(&x) % n);
				msg[at] = noise[rng_next(&x) % (sizeof(noise) - 1)];
			}
			if (rng_next(&x) % 4 == 0)
				n = 1 + (size_t)(rng_next(&x) % len);

			struct sip_msg m;
			struct dp_sip_buf b = {.data = msg,
			                       .len = (uint32_t)n,
			                       .headroom = head,
			                       .tailroom = tail,
			                       .sum = dp_sum16(msg, n),
			                       .sum_valid = true};
			struct dp_sip_peer src = peer("203.0.113.9", 5099), next;
			int rc = sip_parse(msg, n, &m);
			if (rc > 0 && m.is_request) {
				char call_id[1024];
				snprintf(call_id, sizeof(call_id), "%.*s", (int)m.call_id.len,
				         msg + m.call_id.off);
				int fr = dp_sip_forward_request(&cfg4, &b, &m, &src);
				assert_true(fr == DP_SIP_OK || fr == -DP_SIP_ERR_NO_ROOM);
				if (fr == DP_SIP_OK) {
					/* what a request that parsed becomes parses too */
					int again = sip_parse(b.data, b.len, &m);
					if (again != -SIP_ERR_TOO_MANY_HOPS && again <= 0)
						fail_msg("%s round %d: forwarded message fails: "
						         "%s\n%.*s",
						         files[f], round, sip_err_name(-again),
						         (int)b.len, b.data);
					assert_str(b.data, m.call_id, call_id);
					assert_str(b.data, m.top_via.host, "198.18.0.10");
					assert_sum_kept(&b);
					forwarded++;
				}
			} else if (rc > 0) {
				int rr = dp_sip_relay_response(&cfg4, &b, &m, &next);
				assert_true(rr <= 0 && rr > -DP_SIP_ERR_COUNT);
				assert_sum_kept(&b);
				relayed_tries++;
			} else if (rc < 0 && m.is_request &&
			           sip_err_reply((enum sip_err) - rc) != 0) {
				char *out = malloc(2048);
				assert_non_null(out);
				int r = dp_sip_build_reply(&cfg4, msg, &m, &src,
				                           sip_err_reply((enum sip_err) - rc), out,
				                           2048);
				assert_true(r > 0 || r == -DP_SIP_ERR_REPLY_NO_VIA ||
				            r == -DP_SIP_ERR_REPLY_TOO_BIG);
				if (r > 0) {
					assert_memory_equal(out, "SIP/2.0 ", 8);
					assert_memory_equal(out + r - 4, "\r\n\r\n", 4);
					replied++;
				}
				free(out);
			}
			assert_true(b.data >= mem && b.data - b.headroom == mem);
			assert_int_equal((size_t)b.headroom + b.len + b.tailroom, head + n + tail);
			free(mem);
		}
	}
	/* The mutations reach every path. */
	assert_true(forwarded > 0);
	assert_true(relayed_tries > 0);
	assert_true(replied > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_vectors),
	    cmocka_unit_test(test_err_names),
	    cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_cfg_init),
	    cmocka_unit_test(test_forward_basic),
	    cmocka_unit_test(test_forward_ipv6_self),
	    cmocka_unit_test(test_forward_max_forwards_width),
	    cmocka_unit_test(test_forward_max_forwards_absent),
	    cmocka_unit_test(test_forward_received_rport),
	    cmocka_unit_test(test_forward_route),
	    cmocka_unit_test(test_our_via_even),
	    cmocka_unit_test(test_forward_route_first_line),
	    cmocka_unit_test(test_forward_all_edits),
	    cmocka_unit_test(test_forward_cuts_noise),
	    cmocka_unit_test(test_branch_stability),
	    cmocka_unit_test(test_branch_every_length),
	    cmocka_unit_test(test_forward_no_room),
	    cmocka_unit_test(test_forward_room_sweep),
	    cmocka_unit_test(test_forward_one_edit_room_sweep),
	    cmocka_unit_test(test_record_route),
	    cmocka_unit_test(test_record_route_stable),
	    cmocka_unit_test(test_record_route_which),
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_pin_parse),
	    cmocka_unit_test(test_outbound),
	    cmocka_unit_test(test_relay),
	    cmocka_unit_test(test_relay_sum_own_via_spellings),
	    cmocka_unit_test(test_relay_branch_one_byte_off),
	    cmocka_unit_test(test_relay_moves_status_line_only),
	    cmocka_unit_test(test_relay_keeps_lower_vias),
	    cmocka_unit_test(test_relay_refused),
	    cmocka_unit_test(test_relay_sent_by_altered),
	    cmocka_unit_test(test_relay_next_hop_name),
	    cmocka_unit_test(test_reply_exact),
	    cmocka_unit_test(test_reply_dest),
	    cmocka_unit_test(test_reply_keeps_to_tag),
	    cmocka_unit_test(test_reply_errors),
	    cmocka_unit_test(test_reply_refused),
	    cmocka_unit_test(test_corpus_forward),
	    cmocka_unit_test(test_corpus_relay),
	    cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
