/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The parser's fast path (parser/sip_parse_fast.h) against the general parser it stands in
 * front of: for every input, sip_parse() must give exactly what the general parser alone gives
 * (return value and the whole struct sip_msg, byte for byte), and sip_via_parse() what the
 * general Via parser gives, in every build the CPU runs. Inputs: common message shapes (what
 * the fast path is for), each of their prefixes, thousands of mutations of them (bytes
 * changed, inserted, deleted, case flipped: what makes it give up half way), and the RFC 4475
 * corpus.
 */
#include <setjmp.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip.h"
#include "sip_internal.h"

typedef int (*parse_fn)(const char *, size_t, struct sip_msg *);
typedef int (*via_fn)(const char *, struct sip_str, struct sip_via *);

static const parse_fn fast[SIP_SCANNER_COUNT] = {sip_parse_scalar, sip_parse_sse42, sip_parse_avx2};
static const parse_fn general[SIP_SCANNER_COUNT] = {
    sip_parse_general_scalar, sip_parse_general_sse42, sip_parse_general_avx2};
static const via_fn via_fast[SIP_SCANNER_COUNT] = {sip_via_parse_scalar, sip_via_parse_sse42,
                                                   sip_via_parse_avx2};
static const via_fn via_general[SIP_SCANNER_COUNT] = {
    sip_via_parse_general_scalar, sip_via_parse_general_sse42, sip_via_parse_general_avx2};

#define SDP                                                                                        \
	"v=0\r\no=alice 2890844526 2890844526 IN IP4 198.18.0.1\r\ns=-\r\n"                        \
	"c=IN IP4 198.18.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"

/* The shapes proxies and phones send every second. */
static const char *const shapes[] = {
    "INVITE sip:bob@198.18.0.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bK776asdhds;rport\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@example.com>\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@198.18.0.1:5061>\r\n"
    "User-Agent: softphone/1.0\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 136\r\n\r\n" SDP,
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-sst-0123456789abcdef\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bK776asdhds;rport=5061;received=198.18.0.1\r\n"
    "To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@198.18.0.21>\r\n"
    "Content-Length: 0\r\n\r\n",
    "ACK sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKnashds9\r\n"
    "Route: <sip:198.18.0.10;lr;sst=1.0123456789abcdef>\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@example.com>;tag=a6c85cf\r\n"
    "From: <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 ACK\r\n"
    "Content-Length: 0\r\n\r\n",
    "BYE sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8::1]:5061;branch=z9hG4bKbye1\r\n"
    "Max-Forwards: 9\r\n"
    "From: \"Alice A.\" <sip:alice@example.com>;tag=1928301774\r\n"
    "To: sip:bob@example.com;tag=a6c85cf\r\n"
    "Call-ID: 2@[2001:db8::1]\r\n"
    "CSeq: 314160 BYE\r\n\r\n",
    "REGISTER sip:example.com SIP/2.0\r\n"
    "v: SIP/2.0/UDP host.example.com:5060;branch=z9hG4bKreg1\r\n"
    "f: <sip:carol@example.com>;tag=77\r\n"
    "t: <sip:carol@example.com>\r\n"
    "i: reg-1@host.example.com\r\n"
    "CSeq: 1 REGISTER\r\n"
    "m: <sip:carol@198.18.0.5>;expires=3600\r\n"
    "l: 0\r\n\r\n",
    "OPTIONS sip:198.18.0.21:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-ssp-00070000000000000001\r\n"
    "Via: SIP/2.0/UDP 198.18.0.2, SIP/2.0/UDP 198.18.0.3;received=198.18.0.4\r\n"
    "From: <sip:probe@198.18.0.10>;tag=p1\r\n"
    "To: <sip:198.18.0.21:5060>\r\n"
    "Call-ID: probe-1@198.18.0.10\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Max-Forwards: 1\r\n"
    "Content-Length: 0\r\n\r\n",
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10;branch=z9hG4bK-sst-fedcba9876543210\r\n"
    "Via: SIP/2.0/TCP client.example.com:5070;branch=z9hG4bK74bf9;received=192.0.2.101\r\n"
    "Record-Route: <sip:198.18.0.10;lr>\r\n"
    "From: Alice <sip:alice@example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@client.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n",
    /* our own Via as sipsteer writes it when that makes the line even: no SP after ':' */
    "SIP/2.0 200 OK\r\n"
    "Via:SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-sst-0123456789abcdef\r\n"
    "vIA:SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bK776asdhds;rport=5061\r\n"
    "To: Bob <sip:bob@example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n\r\n",
    "MESSAGE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bKmsg\r\n"
    "Max-Forwards: 070\r\n"
    "From: <sip:alice@example.com>;tag=m1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: msg-1\r\n"
    "CSeq: 0000012 MESSAGE\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n\r\nhello",
    /* Contact and Content-Type, which the fast path skips after one compare, in other
     * spellings, and their neighbours */
    "NOTIFY sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKn1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=n1\r\n"
    "To: <sip:bob@example.com>;tag=n2\r\n"
    "Call-ID: notify-1@198.18.0.1\r\n"
    "CSeq: 7 NOTIFY\r\n"
    "contact:<sip:alice@198.18.0.1>\r\n"
    "CONTACT : <sip:alice@198.18.0.1>\r\n"
    "Contacts: x\r\n"
    "Content-typE:text/plain\r\n"
    "Content-Types: x\r\n"
    "Content-Type :text/plain\r\n"
    "Content-Length: 5\r\n\r\nhello",
    /* methods near the three the fast path knows by one word compare: other case, longer */
    "invite sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKi1\r\n"
    "From: <sip:alice@example.com>;tag=i1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: lower-1@198.18.0.1\r\n"
    "CSeq: 1 invite\r\n\r\n",
    "ACKS sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKa1\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: acks-1@198.18.0.1\r\n"
    "CSeq: 1 ACKS\r\n\r\n",
    "Bye sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKb1\r\n"
    "From: <sip:alice@example.com>;tag=b1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: bye-1@198.18.0.1\r\n"
    "CSeq: 2 Bye\r\n\r\n",
    /* CSeq near the single digit and SP cseq_fast() reads by two byte compares */
    "INVITE sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKc1\r\n"
    "From: <sip:alice@example.com>;tag=c1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: cseq-1@198.18.0.1\r\n"
    "CSeq: 1\tINVITE\r\n\r\n",
    "INVITE sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKc2\r\n"
    "From: <sip:alice@example.com>;tag=c2\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: cseq-2@198.18.0.1\r\n"
    "CSeq: 1  INVITE\r\n\r\n",
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKc3\r\n"
    "From: <sip:alice@example.com>;tag=c3\r\n"
    "To: <sip:bob@example.com>;tag=c3b\r\n"
    "Call-ID: cseq-3@198.18.0.1\r\n"
    "CSeq: 42 INVITE\r\n\r\n",
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKc4\r\n"
    "From: <sip:alice@example.com>;tag=c4\r\n"
    "To: <sip:bob@example.com>;tag=c4b\r\n"
    "Call-ID: cseq-4@198.18.0.1\r\n"
    "CSeq: 0 BYE\r\n\r\n",
    /* response CSeq methods near INVITE, which cseq_fast() knows by one word compare */
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKc5\r\n"
    "From: <sip:alice@example.com>;tag=c5\r\n"
    "To: <sip:bob@example.com>;tag=c5b\r\n"
    "Call-ID: cseq-5@198.18.0.1\r\n"
    "CSeq: 5 INVITEX\r\n\r\n",
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKc6\r\n"
    "From: <sip:alice@example.com>;tag=c6\r\n"
    "To: <sip:bob@example.com>;tag=c6b\r\n"
    "Call-ID: cseq-6@198.18.0.1\r\n"
    "CSeq: 6 Invite\r\n\r\n",
    /* the fast path reads a line before it looks at the byte after its CRLF: folds after the
     * headers it reads (the top Via, a second Via, From, To, CSeq) */
    "INVITE sip:bob@198.18.0.21 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061\r\n ;branch=z9hG4bKf1\r\n"
    "From: <sip:alice@example.com>\r\n ;tag=f1\r\n"
    "To: <sip:bob@example.com>\r\n\t;tag=f1b\r\n"
    "Call-ID: fold-1@198.18.0.1\r\n"
    "CSeq: 1\r\n INVITE\r\n\r\n",
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-sst-f2\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKf2\r\n\t;rport=5061\r\n"
    "From: <sip:alice@example.com>;tag=f2\r\n"
    "To: <sip:bob@example.com>;tag=f2b\r\n"
    "Call-ID: fold-2@198.18.0.1\r\n"
    "CSeq: 2 INVITE\r\n\r\n",
};

/* Bytes a mutation puts in: the ones the parsers decide on. */
static const char noise[] = " \t\r\n:;,<>\"=@[]/.0123456789aZ\x80\xff";

static uint32_t rng(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static unsigned long compared, vias_compared;

/* Both parsers of variant s on buf[0..len): same return, same struct, same Vias. */
static void same(int s, const char *buf, size_t len)
{
	static struct sip_msg a, b;

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0xa5, sizeof(b));
	int ra = fast[s](buf, len, &a);
	int rb = general[s](buf, len, &b);
	if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("scanner %d: fast path %d, general %d, structs %s, on:\n%.*s", s, ra, rb,
		         memcmp(&a, &b, sizeof(a)) ? "differ" : "equal", (int)len, buf);
	compared++;
	if (rb <= 0)
		return;
	for (unsigned i = 0; i < b.via_count && i < SIP_MAX_VIAS; i++) {
		struct sip_via va, vb;
		memset(&va, 0x5a, sizeof(va));
		memset(&vb, 0x5a, sizeof(vb));
		int xa = via_fast[s](buf, b.vias[i], &va);
		int xb = via_general[s](buf, b.vias[i], &vb);
		if (xa != xb || memcmp(&va, &vb, sizeof(va)) != 0)
			fail_msg("scanner %d: Via %u: fast %d, general %d on \"%.*s\"", s, i, xa,
			         xb, (int)b.vias[i].len, buf + b.vias[i].off);
		vias_compared++;
	}
}

/* Every variant this CPU runs, on buf[0..len) copied to the end of a heap block (so a read
 * past the end is caught by the sanitizer builds). */
static void same_everywhere(const char *buf, size_t len)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, buf, len);
	for (int s = 0; s < SIP_SCANNER_COUNT; s++)
		if (sip_cpu_has((enum sip_scanner)s))
			same(s, copy, len);
	free(copy);
}

/*
 * A message snprintf() wrote into buf (n its return): fast path against general parser on it
 * and on every cut in its last 40 bytes, then sip_parse()'s answer for the whole of it.
 */
static int parse_built(const char *buf, int n, size_t cap, struct sip_msg *m)
{
	assert_true(n > 40 && (size_t)n < cap);
	for (size_t len = (size_t)n - 40; len <= (size_t)n; len++)
		same_everywhere(buf, len);
	return sip_parse(buf, (size_t)n, m);
}

static void test_shapes_and_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		size_t len = strlen(shapes[i]);
		struct sip_msg m;
		/* the shapes are sound messages: they parse */
		int rc = sip_parse(shapes[i], len, &m);
		if (rc <= 0)
			fail_msg("shape %zu does not parse: %s", i, sip_err_name(-rc));
		for (size_t n = 0; n <= len; n++)
			same_everywhere(shapes[i], n);
	}
}

static void test_mutations(void **state)
{
	static char buf[4096];
	uint32_t x = 2463534242u;

	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		size_t base = strlen(shapes[i]);
		for (int round = 0; round < 5000; round++) {
			size_t len = base;
			memcpy(buf, shapes[i], len);
			int edits = 1 + (int)(rng(&x) % 3);
			for (int e = 0; e < edits; e++) {
				size_t at = rng(&x) % (len + 1);
				switch (rng(&x) % 4) {
				case 0: /* change a byte */
					if (at < len)
						buf[at] = noise[rng(&x) % (sizeof(noise) - 1)];
					break;
				case 1: /* insert a byte */
					if (len + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at, len - at);
						buf[at] = noise[rng(&x) % (sizeof(noise) - 1)];
						len++;
					}
					break;
				case 2: /* delete a byte */
					if (at < len) {
						memmove(buf + at, buf + at + 1, len - at - 1);
						len--;
					}
					break;
				default: /* flip the case of a letter */
					if (at < len &&
					    ((buf[at] | 0x20) >= 'a' && (buf[at] | 0x20) <= 'z'))
						buf[at] ^= 0x20;
					break;
				}
			}
			same_everywhere(buf, len);
		}
	}
}

static void test_corpus(void **state)
{
	const char *dir = getenv("SIPSTEER_CORPUS");
	char path[4096];
	static char buf[65536];
	int files = 0;

	(void)state;
	if (dir == NULL)
		skip();
	DIR *d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 4, ".dat") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		size_t len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		same_everywhere(buf, len);
		files++;
	}
	closedir(d);
	assert_true(files >= 49);
}

/*
 * The top Via's port, which the fast path reads from one 8-byte word: every length of digit run
 * (leading zeros, past 65535, past 8 digits), at the value's end, before a parameter, before a
 * second Via of the list, and with the message cut right after it (fewer than 8 bytes left).
 */
/* Port numbers and near misses, for the sent-by port and for rport=. */
static const char *const ports[] = {
    "",      "0",         "1",          "9",      "50",      "5060",     "05060",
    "65535", "65536",     "99999",      "100000", "0000005", "00000005", "0000000000005060",
    "5060a", "123456789", "4294967301", ":5060",  "5 060"};

/* ports[i] is a port number a Via may carry (1 to 65535, digits only): *want */
static bool port_good(size_t i, unsigned long *want)
{
	char *end;

	*want = strtoul(ports[i], &end, 10);
	return *ports[i] >= '0' && *ports[i] <= '9' && *end == '\0' && *want >= 1 && *want <= 65535;
}

static void test_via_ports(void **state)
{
	static const char *const after[] = {";branch=z9hG4bKp1", "", ", SIP/2.0/UDP 198.18.0.2",
	                                    ";rport;branch=z9hG4bKp2"};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (size_t j = 0; j < sizeof(after) / sizeof(after[0]); j++) {
			int n = snprintf(buf, sizeof(buf),
			                 "OPTIONS sip:198.18.0.10 SIP/2.0\r\n"
			                 "Call-ID: port-%zu-%zu\r\n"
			                 "CSeq: 1 OPTIONS\r\n"
			                 "From: <sip:a@example.com>;tag=1\r\n"
			                 "To: <sip:b@example.com>\r\n"
			                 "Via: SIP/2.0/UDP 198.18.0.1:%s%s\r\n\r\n",
			                 i, j, ports[i], after[j]);
			struct sip_msg m;
			int rc = parse_built(buf, n, sizeof(buf), &m);
			unsigned long want;
			if (port_good(i, &want)) {
				assert_int_equal(rc, n);
				assert_int_equal(m.top_via.port, want);
			} else if (rc > 0) {
				/* the parse may hold, but never with a port it could not read */
				assert_true(m.top_via.port == 0 || m.top_via.port == want);
			}
		}
	}
}

/* ";rport=N" (read by via_parse_fast() without the general param scan) and what follows it. */
static void test_via_rports(void **state)
{
	static const char *const after[] = {
	    "",  ";received=198.18.0.3",   ";rport=7", ";rport", " ;x",
	    "x", ",SIP/2.0/UDP 198.18.0.2"};
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (size_t j = 0; j < sizeof(after) / sizeof(after[0]); j++) {
			int n = snprintf(
			    buf, sizeof(buf),
			    "SIP/2.0 200 OK\r\n"
			    "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKr;RPort=%s%s\r\n"
			    "Via: SIP/2.0/UDP 192.0.2.1:5060;rport=%s%s\r\n"
			    "Call-ID: rport-%zu-%zu\r\n"
			    "CSeq: 1 OPTIONS\r\n"
			    "From: <sip:a@example.com>;tag=1\r\n"
			    "To: <sip:b@example.com>;tag=2\r\n\r\n",
			    ports[i], after[j], ports[i], after[j], i, j);
			struct sip_msg m;
			int rc = parse_built(buf, n, sizeof(buf), &m);
			unsigned long want;
			if (port_good(i, &want) && (j < 4 || j == 6)) {
				assert_int_equal(rc, n);
				assert_true(m.top_via.has_rport);
				assert_int_equal(m.top_via.rport, want);
			}
		}
	}
}

/*
 * Control bytes and HTAB where the fast path checks for LWS by one compare with SP (next to
 * '<', '>' and ';' in From and To, at the start of a tag or a branch): the same result as the
 * general parser, whichever way it goes.
 */
static void test_bytes_below_sp(void **state)
{
	static const char *const forms[] = {
	    "From: <%csip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n",
	    "From: <sip:a@example.com%c>;tag=1\r\nTo: <sip:b@example.com>\r\n",
	    "From: <sip:a@example.com>;tag=%c1\r\nTo: <sip:b@example.com>\r\n",
	    "From: sip:a@example.com%c;tag=1\r\nTo: <sip:b@example.com>\r\n",
	    "From: A <sip:a@example.com>;tag=1\r\nTo: B <%csip:b@example.com>;tag=2\r\n",
	    "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=%c\r\n"};
	static const char below[] = {'\t', '\x01', '\x1f', ' '};
	char head[256], buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		for (size_t j = 0; j < sizeof(below); j++) {
			snprintf(head, sizeof(head), forms[i], below[j]);
			int n = snprintf(buf, sizeof(buf),
			                 "INVITE sip:b@198.18.0.10 SIP/2.0\r\n"
			                 "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=%cz9hG4bK%zu\r\n"
			                 "%sCall-ID: below-%zu-%zu\r\nCSeq: 1 INVITE\r\n\r\n",
			                 below[j], i, head, i, j);
			assert_true(n > 0 && (size_t)n < sizeof(buf));
			same_everywhere(buf, (size_t)n);
		}
	}
}

/*
 * The byte that starts the next line, which the fast path looks at only after it has read the
 * line before (a Via, a second Via, From, To, Call-ID, CSeq, a header it skips): a fold (SP,
 * HTAB), another control byte, a CR without its LF, DEL, each after every line, the message
 * whole and cut at every length.
 */
static void test_next_line_starts(void **state)
{
	static const char *const lines[] = {
	    "SIP/2.0 200 OK\r\n",
	    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-sst-n1;rport=5060\r\n",
	    "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKn1\r\n",
	    "From: <sip:alice@example.com>;tag=n1\r\n",
	    "To: <sip:bob@example.com>;tag=n1b\r\n",
	    "Call-ID: next-1@198.18.0.1\r\n",
	    "CSeq: 1 INVITE\r\n",
	    "Contact: <sip:bob@198.18.0.4>\r\n",
	    "Content-Length: 0\r\n"};
	static const char *const starts[] = {" ", "\t", "\x01", "\x1f", "\rX", "\x7f", "\r"};
	char buf[512];

	(void)state;
	for (size_t at = 1; at <= sizeof(lines) / sizeof(lines[0]); at++) {
		for (size_t j = 0; j < sizeof(starts) / sizeof(starts[0]); j++) {
			size_t n = 0;
			for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
				if (i == at) {
					memcpy(buf + n, starts[j], strlen(starts[j]));
					n += strlen(starts[j]);
				}
				memcpy(buf + n, lines[i], strlen(lines[i]));
				n += strlen(lines[i]);
			}
			if (at == sizeof(lines) / sizeof(lines[0])) {
				memcpy(buf + n, starts[j], strlen(starts[j]));
				n += strlen(starts[j]);
			}
			memcpy(buf + n, "\r\n", 2);
			n += 2;
			for (size_t len = 0; len <= n; len++)
				same_everywhere(buf, len);
		}
	}
}

/*
 * IPv4 sent-by hosts, which the fast path judges from one 16-byte load (a three-digit part that
 * starts with 0 or 1 by one compare, one that starts with 2 or more by four): each part value
 * and near miss in each of the four places, in the top Via and in the next one, before a port,
 * a parameter and the value's end.
 */
static void test_via_ipv4_parts(void **state)
{
	static const char *const parts[] = {"0",    "1",   "9",   "10",  "99",  "100", "101",
	                                    "199",  "200", "209", "249", "250", "255", "256",
	                                    "259",  "260", "299", "300", "310", "999", "0255",
	                                    "1000", "01",  "001", "2a5", ""};
	static const char *const after[] = {":5060;branch=z9hG4bKq", ";branch=z9hG4bKq", ""};
	char host[64], buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		for (int place = 0; place < 4; place++) {
			snprintf(host, sizeof(host), "%s.%s.%s.%s", place == 0 ? parts[i] : "192",
			         place == 1 ? parts[i] : "168", place == 2 ? parts[i] : "2",
			         place == 3 ? parts[i] : "101");
			for (size_t j = 0; j < sizeof(after) / sizeof(after[0]); j++) {
				int n = snprintf(buf, sizeof(buf),
				                 "SIP/2.0 200 OK\r\n"
				                 "Via: SIP/2.0/UDP %s%s\r\n"
				                 "Via: SIP/2.0/UDP %s%s\r\n"
				                 "Call-ID: quad-%zu-%d-%zu\r\n"
				                 "CSeq: 1 OPTIONS\r\n"
				                 "From: <sip:a@example.com>;tag=1\r\n"
				                 "To: <sip:b@example.com>;tag=2\r\n\r\n",
				                 host, after[j], host, after[j], i, place, j);
				assert_true(n > 0 && (size_t)n < sizeof(buf));
				same_everywhere(buf, (size_t)n);
				struct sip_msg m;
				struct sip_via next;
				uint32_t a4;
				bool quad = sip_ipv4_parse(host, strlen(host), &a4);
				if (sip_parse(buf, (size_t)n, &m) == n) {
					assert_int_equal(m.top_via.host_kind == SIP_HOST_IPV4,
					                 quad);
					assert_int_equal(sip_via_parse(buf, m.vias[1], &next), 0);
					assert_int_equal(next.host_kind == SIP_HOST_IPV4, quad);
				}
			}
		}
	}
}

/*
 * Every byte value in the Request-URI, which the fast path checks for visible bytes other than
 * '?' with 32-byte compares: near its start, its middle and the last of the 32 bytes, in URIs
 * shorter than 32 bytes, of 32 and longer.
 */
static void test_request_uri_bytes(void **state)
{
	static const char *const uris[] = {"sip:bob@198.18.0.10", "sip:bob@biloxi.example.com:5060",
	                                   "sip:bob-and-alice@biloxi.example.com:5060"};
	char uri[64], buf[512];

	(void)state;
	for (size_t u = 0; u < sizeof(uris) / sizeof(uris[0]); u++) {
		size_t ulen = strlen(uris[u]);
		size_t at[] = {5, ulen / 2, ulen < 32 ? ulen - 1 : 31};
		for (size_t a = 0; a < sizeof(at) / sizeof(at[0]); a++) {
			for (unsigned c = 1; c < 256; c++) {
				memcpy(uri, uris[u], ulen + 1);
				uri[at[a]] = (char)c;
				int n =
				    snprintf(buf, sizeof(buf),
				             "INVITE %s SIP/2.0\r\n"
				             "Via: SIP/2.0/UDP 198.18.0.1:5061;branch=z9hG4bKu\r\n"
				             "Call-ID: uri-%zu-%zu-%u\r\n"
				             "CSeq: 1 INVITE\r\n"
				             "From: <sip:a@example.com>;tag=1\r\n"
				             "To: <sip:b@example.com>\r\n"
				             "Max-Forwards: 70\r\n\r\n",
				             uri, u, a, c);
				assert_true(n > 0 && (size_t)n < sizeof(buf));
				same_everywhere(buf, (size_t)n);
			}
		}
	}
}

static void test_counts(void **state)
{
	(void)state;
	/* every comparison above ran (at least the scalar build's), Vias included */
	assert_true(compared >= 40000);
	assert_true(vias_compared > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shapes_and_prefixes),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_via_ports),
	    cmocka_unit_test(test_via_rports),
	    cmocka_unit_test(test_bytes_below_sp),
	    cmocka_unit_test(test_next_line_starts),
	    cmocka_unit_test(test_via_ipv4_parts),
	    cmocka_unit_test(test_request_uri_bytes),
	    cmocka_unit_test(test_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
