/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parser internals shared by the parser's own files and its tests: character classes and the
 * per-scanner entry points (sip_parse() picks one of them at run time).
 */
#ifndef SIPSTEER_SIP_INTERNAL_H
#define SIPSTEER_SIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip.h"

/* Character classes (RFC 3261 25.1), one bit each in sip_cc[]; sip_scan.h has the same sets as
 * PSHUFB nibble tables for the SIMD scanners (tests/test_parser.c checks they agree). */
#define SIP_CC_TOKEN                                                                               \
	0x001 /* alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
#define SIP_CC_WORD     0x002 /* Call-ID: word = token plus ( ) < > : \ DQUOTE / [ ] ? { }, and "@" */
#define SIP_CC_LWS      0x004 /* SP, HTAB, CR, LF: inside a value, CR and LF only appear in folds */
#define SIP_CC_DIGIT    0x008
#define SIP_CC_HEX      0x010
#define SIP_CC_HOST     0x020 /* alphanum / "-" / "." / "_": a host name or an IPv4 literal */
#define SIP_CC_PVALUE   0x040 /* generic-param value without quotes: token / host incl. IPv6 */
#define SIP_CC_VISIBLE  0x080 /* 0x21-0x7e: what a Request-URI may hold */
#define SIP_CC_VIA_SEP  0x100 /* , DQUOTE <: where a Via list element may end or get complex */
#define SIP_CC_NAME_SEP 0x200 /* DQUOTE < ; : landmarks of a From/To value */

extern const uint16_t sip_cc[256] __attribute__((visibility("hidden")));

static inline bool sip_cc_is(char c, uint16_t cls)
{
	return (sip_cc[(unsigned char)c] & cls) != 0;
}

/* Skip LWS (SP, HTAB and the CRLF of folded lines) in buf[p..end). */
static inline size_t sip_skip_lws(const char *buf, size_t p, size_t end)
{
	while (p < end && sip_cc_is(buf[p], SIP_CC_LWS))
		p++;
	return p;
}

/* Skip a run of characters of class cls in buf[p..end) (scalar; sip_scan.h has SIMD ones). */
static inline size_t sip_skip_class(const char *buf, size_t p, size_t end, uint16_t cls)
{
	while (p < end && sip_cc_is(buf[p], cls))
		p++;
	return p;
}

/* ASCII case-insensitive comparison of s[0..n) with a lowercase literal; n bytes readable. */
static inline bool sip_ieq(const char *s, const char *lower, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (c != (unsigned char)lower[i])
			return false;
	}
	return true;
}

/*
 * SIP_IEQ(s, "lit"): sip_ieq() against a string literal of at most 16 bytes, as one or two
 * 8-byte compares. The literal's bytes and a mask of 0x20 where it holds a lowercase letter are
 * folded at compile time; (word | mask) == literal is exact, as only 'X' and 'x' OR to 'x'.
 * Reads exactly s[0..sizeof(lit) - 1).
 */
#define SIP_LIT_BYTE(lit, i)                                                                       \
	((size_t)(i) < sizeof(lit) - 1                                                             \
	     ? (uint64_t)(unsigned char)(lit)[(size_t)(i) < sizeof(lit) - 1 ? (size_t)(i) : 0]     \
	     : 0)
#define SIP_LIT_CASE(lit, i)                                                                       \
	(SIP_LIT_BYTE(lit, i) >= 'a' && SIP_LIT_BYTE(lit, i) <= 'z' ? (uint64_t)0x20 : 0)
#define SIP_LIT_WORD(F, lit, o)                                                                    \
	(F(lit, (o)) | F(lit, (o) + 1) << 8 | F(lit, (o) + 2) << 16 | F(lit, (o) + 3) << 24 |      \
	 F(lit, (o) + 4) << 32 | F(lit, (o) + 5) << 40 | F(lit, (o) + 6) << 48 |                   \
	 F(lit, (o) + 7) << 56)
#define SIP_LIT_TAIL(lit) (sizeof(lit) - 1 > 8 ? sizeof(lit) - 1 - 8 : 0)
#define SIP_IEQ(s, lit)                                                                            \
	sip_ieq_words((s), sizeof(lit) - 1, SIP_LIT_WORD(SIP_LIT_BYTE, lit, 0),                    \
	              SIP_LIT_WORD(SIP_LIT_CASE, lit, 0),                                          \
	              SIP_LIT_WORD(SIP_LIT_BYTE, lit, SIP_LIT_TAIL(lit)),                          \
	              SIP_LIT_WORD(SIP_LIT_CASE, lit, SIP_LIT_TAIL(lit)), lit)

static inline __attribute__((always_inline)) bool sip_ieq_words(const char *s, size_t n,
                                                                uint64_t head, uint64_t head_case,
                                                                uint64_t tail, uint64_t tail_case,
                                                                const char *lower)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n > 4 && n < 8) {
		/* two 4-byte loads that overlap, rather than a copy of n bytes into a zeroed word
		 * (which the compiler does through memory) */
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		return ((lo | (uint64_t)hi << (8 * (n - 4))) | head_case) == head;
	}
	if (n <= 8) {
		uint64_t w = 0;
		memcpy(&w, s, n);
		return (w | head_case) == head;
	}
	if (n <= 16) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		return ((a | head_case) == head) & ((b | tail_case) == tail);
	}
#endif
	return sip_ieq(s, lower, n);
}

/* Method enum of a token (case-sensitive, RFC 3261 7.1), SIP_METHOD_OTHER if unknown. */
enum sip_method sip_method_lookup(const char *s, size_t n);

/* sip_method_lookup() inline, for the parser's fast path (a call there would make the compiler
 * save and restore the vector registers it keeps across the header lines). */
static inline enum sip_method sip_method_match(const char *s, size_t n)
{
	/* The length and the first byte pick the one candidate; memcmp of a constant size is
	 * compiled to a few word compares. */
#define SIP_METHOD_IS(name)                                                                        \
	(memcmp(s, #name, sizeof(#name) - 1) == 0 ? SIP_METHOD_##name : SIP_METHOD_OTHER)
	switch (n) {
	case 3:
		return s[0] == 'A' ? SIP_METHOD_IS(ACK) : SIP_METHOD_IS(BYE);
	case 4:
		return SIP_METHOD_IS(INFO);
	case 5:
		return s[0] == 'P' ? SIP_METHOD_IS(PRACK) : SIP_METHOD_IS(REFER);
	case 6:
		switch (s[0]) {
		case 'I':
			return SIP_METHOD_IS(INVITE);
		case 'C':
			return SIP_METHOD_IS(CANCEL);
		case 'N':
			return SIP_METHOD_IS(NOTIFY);
		default:
			return SIP_METHOD_IS(UPDATE);
		}
	case 7:
		switch (s[0]) {
		case 'O':
			return SIP_METHOD_IS(OPTIONS);
		case 'P':
			return SIP_METHOD_IS(PUBLISH);
		default:
			return SIP_METHOD_IS(MESSAGE);
		}
	case 8:
		return SIP_METHOD_IS(REGISTER);
	case 9:
		return SIP_METHOD_IS(SUBSCRIBE);
	default:
		return SIP_METHOD_OTHER;
	}
#undef SIP_METHOD_IS
}

/* Parse an IPv4 dotted quad filling the whole of s[0..n). */
bool sip_ipv4_parse(const char *s, size_t n, uint32_t *addr);
/* Parse an IPv6 address (RFC 4291 2.2 text forms, no brackets) filling the whole of s[0..n). */
bool sip_ipv6_parse(const char *s, size_t n, uint8_t addr[16]);

/*
 * The three builds of the parser (sip_parse_core.h compiled once per scanner). Same contracts as
 * sip_parse() and sip_via_parse(); the SIMD ones may only be called when sip_cpu_has() says the
 * CPU runs them.
 */
enum sip_scanner { SIP_SCANNER_SCALAR = 0, SIP_SCANNER_SSE42, SIP_SCANNER_AVX2, SIP_SCANNER_COUNT };

int sip_parse_scalar(const char *buf, size_t len, struct sip_msg *msg);
int sip_parse_sse42(const char *buf, size_t len, struct sip_msg *msg);
int sip_parse_avx2(const char *buf, size_t len, struct sip_msg *msg);
int sip_via_parse_scalar(const char *buf, struct sip_str value, struct sip_via *via);
int sip_via_parse_sse42(const char *buf, struct sip_str value, struct sip_via *via);
int sip_via_parse_avx2(const char *buf, struct sip_str value, struct sip_via *via);

/*
 * The same builds without the fast path (sip_parse_fast.h): the general parser alone, which the
 * fast path must match byte for byte whenever it does not give up. For tests.
 */
int sip_parse_general_scalar(const char *buf, size_t len, struct sip_msg *msg);
int sip_parse_general_sse42(const char *buf, size_t len, struct sip_msg *msg);
int sip_parse_general_avx2(const char *buf, size_t len, struct sip_msg *msg);
int sip_via_parse_general_scalar(const char *buf, struct sip_str value, struct sip_via *via);
int sip_via_parse_general_sse42(const char *buf, struct sip_str value, struct sip_via *via);
int sip_via_parse_general_avx2(const char *buf, struct sip_str value, struct sip_via *via);

/* Whether this CPU (and this build) can run scanner s. */
bool sip_cpu_has(enum sip_scanner s);

#endif
