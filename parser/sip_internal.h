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

#include "sip.h"

/* Character classes (RFC 3261 25.1), one bit each in sip_cc[]. */
#define SIP_CC_TOKEN                                                                               \
	0x01               /* alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" \
	                    */
#define SIP_CC_WORD   0x02 /* Call-ID: word = token plus ( ) < > : \ DQUOTE / [ ] ? { }, and "@" */
#define SIP_CC_LWS    0x04 /* SP, HTAB, CR, LF: inside a value, CR and LF only appear in folds */
#define SIP_CC_DIGIT  0x08
#define SIP_CC_HEX    0x10
#define SIP_CC_HOST   0x20 /* alphanum / "-" / "." / "_": a host name or an IPv4 literal */
#define SIP_CC_PVALUE 0x40 /* generic-param value without quotes: token / host incl. IPv6 */

extern const uint8_t sip_cc[256];

static inline bool sip_cc_is(char c, uint8_t cls)
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

/* Skip a run of characters of class cls in buf[p..end). */
static inline size_t sip_skip_class(const char *buf, size_t p, size_t end, uint8_t cls)
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

/* Method enum of a token (case-sensitive, RFC 3261 7.1), SIP_METHOD_OTHER if unknown. */
enum sip_method sip_method_lookup(const char *s, size_t n);

/* Parse an IPv4 dotted quad filling the whole of s[0..n). */
bool sip_ipv4_parse(const char *s, size_t n, uint32_t *addr);
/* Parse an IPv6 address (RFC 4291 2.2 text forms, no brackets) filling the whole of s[0..n). */
bool sip_ipv6_parse(const char *s, size_t n, uint8_t addr[16]);

/*
 * The three builds of sip_parse(), one per line scanner. Same contract as sip_parse(); the
 * SIMD ones may only be called when sip_cpu_has() says the CPU runs them.
 */
enum sip_scanner { SIP_SCANNER_SCALAR = 0, SIP_SCANNER_SSE42, SIP_SCANNER_AVX2, SIP_SCANNER_COUNT };

int sip_parse_scalar(const char *buf, size_t len, struct sip_msg *msg);
int sip_parse_sse42(const char *buf, size_t len, struct sip_msg *msg);
int sip_parse_avx2(const char *buf, size_t len, struct sip_msg *msg);

/* Whether this CPU (and this build) can run scanner s. */
bool sip_cpu_has(enum sip_scanner s);

#endif
