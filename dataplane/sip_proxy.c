/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy edits (RFC 3261 16.11): forward a request with our Via on top, relay a response
 * by popping our Via, build a stateless reply. Every edit of a message is planned first as a
 * small list of (offset, bytes removed, bytes inserted) and then applied in one pass over the
 * buffer, moving the fewest bytes; nothing is allocated and the message is never copied whole.
 */
#include "sip_proxy.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "cksum.h"
#include "siphash.h"

#define MAGIC_COOKIE     "z9hG4bK"
#define MAGIC_COOKIE_LEN (sizeof(MAGIC_COOKIE) - 1)
#define SIP_DEFAULT_PORT 5060
#define DP_MAX_EDITS     8
/* "[" IPv6 "]" or IPv4, NUL included; enough for any IP literal we accept. */
#define IP_TEXT_MAX 48

/*
 * To tags use a key of their own (the configured key with this folded in), so a tag that a
 * reply shows can never be replayed as a branch MAC.
 */
#define TO_TAG_KEY_TWEAK UINT64_C(0x746f2d7461672d31) /* "to-tag-1" */
/* Record-Route pins too: a pin is never a branch MAC or a To tag. */
#define PIN_KEY_TWEAK UINT64_C(0x72722d70696e2d31) /* "rr-pin-1" */

/* ---------------------------------------------------------------------------------------------
 * Error names, reasons
 */

static const char *const err_names[DP_SIP_ERR_COUNT] = {
    [DP_SIP_OK] = "ok",
    [DP_SIP_ERR_NO_ROOM] = "no_room",
    [DP_SIP_ERR_NOT_OUR_VIA] = "not_our_via",
    [DP_SIP_ERR_BAD_BRANCH_MAC] = "bad_branch_mac",
    [DP_SIP_ERR_NO_NEXT_VIA] = "no_next_via",
    [DP_SIP_ERR_NEXT_HOP_NAME] = "next_hop_name",
    [DP_SIP_ERR_NEXT_HOP_FAMILY] = "next_hop_family",
    [DP_SIP_ERR_REPLY_TOO_BIG] = "reply_too_big",
    [DP_SIP_ERR_REPLY_NO_VIA] = "reply_no_via",
    [DP_SIP_ERR_REPLY_CODE] = "reply_code",
    [DP_SIP_ERR_ROUTE_HOST_NAME] = "route_host_name",
    [DP_SIP_ERR_ROUTE_TARGET] = "route_target",
};

static const char *const err_texts[DP_SIP_ERR_COUNT] = {[DP_SIP_OK] = "ok",
#define DP_SIP_ERR_TEXT(name, text) [DP_SIP_ERR_##name] = text,
                                                        DP_SIP_ERRORS(DP_SIP_ERR_TEXT)
#undef DP_SIP_ERR_TEXT
};

const char *dp_sip_err_name(enum dp_sip_err e)
{
	if ((unsigned)e >= DP_SIP_ERR_COUNT || err_names[e] == NULL)
		return "unknown";
	return err_names[e];
}

const char *dp_sip_err_text(enum dp_sip_err e)
{
	if ((unsigned)e >= DP_SIP_ERR_COUNT)
		return "unknown error";
	return err_texts[e];
}

/* RFC 3261 21, plus the codes of its companions a balancer may meet. */
static const struct {
	uint16_t code;
	const char *reason;
} reasons[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {200, "OK"},
    {202, "Accepted"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {423, "Interval Too Brief"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
};

const char *dp_sip_reason(int code)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "";
}

/* ---------------------------------------------------------------------------------------------
 * Small text helpers (no libc locale, no NUL-terminated input)
 */

/* 16 lowercase hex digits of v, most significant first. */
static void hex64(uint64_t v, char out[16])
{
#if defined(__SSE2__)
	/* The 16 nibbles side by side in one vector, each turned into its digit at once. */
	__m128i b = _mm_cvtsi64_si128((long long)__builtin_bswap64(v));
	__m128i lo_mask = _mm_set1_epi8(0x0f);
	__m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), lo_mask);
	__m128i nib = _mm_unpacklo_epi8(hi, _mm_and_si128(b, lo_mask));
	__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(nib, _mm_set1_epi8(9)), _mm_set1_epi8(39));
	__m128i text = _mm_add_epi8(_mm_add_epi8(nib, _mm_set1_epi8('0')), letter);
	_mm_storeu_si128((__m128i *)(void *)out, text);
#else
	static const char hex_digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex_digits[v & 0xf];
#endif
}

/* "00" to "99": two digits a step. */
static const char two_digits[] = "00010203040506070809101112131415161718192021222324252627282930"
                                 "31323334353637383940414243444546474849505152535455565758596061"
                                 "62636465666768697071727374757677787980818283848586878889909192"
                                 "93949596979899";

/* dec32() for v >= 10000, apart: ports and CSeq numbers are mostly shorter. */
static __attribute__((noinline)) size_t dec32_long(uint32_t v, char *out)
{
	/* The digit count by comparisons: no division for it. */
	size_t n = v < 100000       ? 5
	           : v < 1000000    ? 6
	           : v < 10000000   ? 7
	           : v < 100000000  ? 8
	           : v < 1000000000 ? 9
	                            : 10;
	char *p = out + n;

	while (v >= 100) {
		uint32_t r = v % 100;
		v /= 100;
		p -= 2;
		memcpy(p, two_digits + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(p - 2, two_digits + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return n;
}

/* Decimal of v into out (at least 10 bytes), returns the digit count. Up to four digits
 * inline, two a step. */
static inline size_t dec32(uint32_t v, char *out)
{
	if (v < 10) {
		out[0] = (char)('0' + v);
		return 1;
	}
	if (v < 100) {
		memcpy(out, two_digits + 2 * v, 2);
		return 2;
	}
	if (v >= 10000)
		return dec32_long(v, out);
	uint32_t hi = v / 100, lo = v % 100;
	if (hi < 10) {
		out[0] = (char)('0' + hi);
		memcpy(out + 1, two_digits + 2 * lo, 2);
		return 3;
	}
	memcpy(out, two_digits + 2 * hi, 2);
	memcpy(out + 2, two_digits + 2 * lo, 2);
	return 4;
}

/*
 * The text of every octet value, 4 bytes each: its 1 to 3 digits, then zero bytes, then (in
 * the fourth byte) the digit count. Written by the compiler from these macros.
 */
#define OCTET_D(v, k) ((char)('0' + (v) / (k) % 10))
#define OCTET(v)                                                                                   \
	{                                                                                          \
		(v) >= 100  ? OCTET_D(v, 100)                                                      \
		: (v) >= 10 ? OCTET_D(v, 10)                                                       \
		            : OCTET_D(v, 1),                                                       \
		    (v) >= 100  ? OCTET_D(v, 10)                                                   \
		    : (v) >= 10 ? OCTET_D(v, 1)                                                    \
		                : 0,                                                               \
		    (v) >= 100 ? OCTET_D(v, 1) : 0, (char)(1 + ((v) >= 10) + ((v) >= 100))         \
	}
#define OCTET4(v)  OCTET(v), OCTET((v) + 1), OCTET((v) + 2), OCTET((v) + 3)
#define OCTET16(v) OCTET4(v), OCTET4((v) + 4), OCTET4((v) + 8), OCTET4((v) + 12)
#define OCTET64(v) OCTET16(v), OCTET16((v) + 16), OCTET16((v) + 32), OCTET16((v) + 48)
static const char octet_text[256][4] = {OCTET64(0), OCTET64(64), OCTET64(128), OCTET64(192)};
#undef OCTET64
#undef OCTET16
#undef OCTET4
#undef OCTET
#undef OCTET_D

/*
 * a[0..len) == b[0..len) for len <= 16, inline: two overlapping loads from each side (only
 * the len bytes are read), no call to memcmp for an address or a host name.
 */
static inline bool short_equal(const char *a, const char *b, size_t len)
{
/* the first and the last sizeof(T) bytes of each side, as two words of type T */
#define OVERLAP_EQUAL(T)                                                                           \
	do {                                                                                       \
		T a0, a1, b0, b1;                                                                  \
		memcpy(&a0, a, sizeof(T));                                                         \
		memcpy(&a1, a + len - sizeof(T), sizeof(T));                                       \
		memcpy(&b0, b, sizeof(T));                                                         \
		memcpy(&b1, b + len - sizeof(T), sizeof(T));                                       \
		return ((a0 ^ b0) | (a1 ^ b1)) == 0;                                               \
	} while (0)
	if (len >= 8)
		OVERLAP_EQUAL(uint64_t);
	if (len >= 4)
		OVERLAP_EQUAL(uint32_t);
	if (len >= 2)
		OVERLAP_EQUAL(uint16_t);
#undef OVERLAP_EQUAL
	return len == 0 || a[0] == b[0];
}

/* a[0..len) == b[0..len): inline up to 16 bytes, memcmp beyond. */
static inline bool text_equal(const char *a, const char *b, size_t len)
{
	return len <= 16 ? short_equal(a, b, len) : memcmp(a, b, len) == 0;
}

/*
 * a[0..len) == b[0..len) for 16 <= len (a Via head): 16 bytes a step, the last step overlapping
 * the one before; only a[0..len) and b[0..len) are read. Not constant time.
 */
static inline __attribute__((always_inline)) bool head_equal(const char *a, const char *b,
                                                             size_t len)
{
#if defined(__SSE2__)
	uint32_t ne = 0;
	size_t i = 0;
	for (; i + 16 < len; i += 16)
		ne |= (uint32_t)_mm_movemask_epi8(
		          _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + i)),
		                         _mm_loadu_si128((const __m128i *)(const void *)(b + i)))) ^
		      0xffffu;
	ne |= (uint32_t)_mm_movemask_epi8(
	          _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + len - 16)),
	                         _mm_loadu_si128((const __m128i *)(const void *)(b + len - 16)))) ^
	      0xffffu;
	return ne == 0;
#else
	return memcmp(a, b, len) == 0;
#endif
}

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool eq_nocase(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/*
 * Compare n bytes in constant time (MACs): 8 bytes a step, the last step overlapping the one
 * before (n >= 8); no branch depends on the bytes.
 */
static bool ct_equal(const char *a, const char *b, size_t n)
{
	uint64_t diff = 0, x, y;

	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			diff |= (unsigned char)(a[i] ^ b[i]);
		return diff == 0;
	}
#if defined(__SSE2__)
	if (n >= 16 && n <= 32) {
		/* two 16-byte halves, overlapping when n < 32 (a branch: 28 bytes) */
		__m128i d = _mm_or_si128(
		    _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)a),
		                  _mm_loadu_si128((const __m128i *)(const void *)b)),
		    _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(a + n - 16)),
		                  _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16))));
		return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xffff;
	}
#endif
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return (diff | (x ^ y)) == 0;
}

static inline bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Skip LWS (SP, HTAB, and a CRLF followed by SP or HTAB: folding) in p[i..end). */
static uint32_t skip_lws(const char *p, uint32_t i, uint32_t end)
{
	for (;;) {
		if (i < end && is_wsp(p[i])) {
			i++;
		} else if (i + 2 < end && p[i] == '\r' && p[i + 1] == '\n' && is_wsp(p[i + 2])) {
			i += 3;
		} else if (i + 1 < end && p[i] == '\n' && is_wsp(p[i + 1])) {
			i += 2;
		} else {
			return i;
		}
	}
}

/* memmove of 0..16 bytes (len must not be more), inline: every byte loaded before any is stored. */
static inline void move_small(char *dst, const char *src, size_t len)
{
	if (len >= 8) {
		/* two overlapping words each way */
		uint64_t lo, hi;
		memcpy(&lo, src, 8);
		memcpy(&hi, src + len - 8, 8);
		memcpy(dst, &lo, 8);
		memcpy(dst + len - 8, &hi, 8);
	} else if (len >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, src, 4);
		memcpy(&hi, src + len - 4, 4);
		memcpy(dst, &lo, 4);
		memcpy(dst + len - 4, &hi, 4);
	} else if (len != 0) {
		/* first, middle and last (the same byte for short lengths) */
		char f = src[0], m = src[len / 2], l = src[len - 1];
		dst[0] = f;
		dst[len / 2] = m;
		dst[len - 1] = l;
	}
}

/*
 * Copy len bytes from src to dst, inline: 16 bytes a step, the last step overlapping the one
 * before (up to 16 bytes: move_small()), so only src[0..len) is read and dst[0..len) written.
 * A header value is a few dozen bytes: cheaper than a call to memcpy.
 */
static inline void copy_short(uint8_t *dst, const char *src, size_t len)
{
#if defined(__SSE2__)
	if (len >= 16 && len <= 32) {
		/* two overlapping steps, no loop: a Call-ID, a branch */
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)src);
		__m128i z = _mm_loadu_si128((const __m128i *)(const void *)(src + len - 16));
		_mm_storeu_si128((__m128i *)(void *)dst, a);
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 16), z);
		return;
	}
	if (len >= 16) {
		__m128i v;
		for (size_t i = 0; i + 16 < len; i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
			_mm_storeu_si128((__m128i *)(void *)(dst + i), v);
			/* an opaque step: the compiler must not turn the loop back into memcpy */
			__asm__("" : "+r"(i));
		}
		v = _mm_loadu_si128((const __m128i *)(const void *)(src + len - 16));
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 16), v);
		return;
	}
#endif
	if (len <= 16) {
		move_small((char *)dst, src, len);
		return;
	}
	/* without SSE2: 8 bytes a step, the last one overlapping the one before */
	uint64_t w;
	for (size_t i = 0; i + 8 < len; i += 8) {
		memcpy(&w, src + i, 8);
		memcpy(dst + i, &w, 8);
		__asm__("" : "+r"(i));
	}
	memcpy(&w, src + len - 8, 8);
	memcpy(dst + len - 8, &w, 8);
}

/*
 * Dotted-quad IPv4 (RFC 3986 dec-octet: no leading zeros, as inet_pton) into v4. Hand-written
 * because it runs for every message: inet_pton costs several times more. The text is copied
 * first, with a NUL after it: no end checks between the digits.
 */
static bool ipv4_parse(const char *s, size_t len, uint8_t v4[4])
{
	uint8_t t[16];
	unsigned i = 0;

	if (len < 7 || len > 15)
		return false;
	copy_short(t, s, len);
	t[len] = '\0';
	for (int octet = 0;; octet++) {
		unsigned v = (unsigned)t[i++] - '0', d;
		if (v > 9)
			return false;
		/* a second and third digit; a leading zero takes none */
		if ((d = (unsigned)t[i] - '0') <= 9) {
			if (v == 0)
				return false;
			v = v * 10 + d;
			i++;
			if ((d = (unsigned)t[i] - '0') <= 9) {
				v = v * 10 + d;
				i++;
				if (v > 255)
					return false;
			}
		}
		v4[octet] = (uint8_t)v;
		if (octet == 3)
			return i == len;
		if (t[i] != '.')
			return false;
		i++;
	}
}

/* The IPv6 part of ip_parse(), apart: inet_pton needs a NUL-terminated copy. */
static __attribute__((noinline)) bool ip6_parse(const char *s, size_t len, struct lb_addr *addr)
{
	char text[IP_TEXT_MAX];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	addr->family = AF_INET6;
	return inet_pton(AF_INET6, text, addr->v6) == 1;
}

/*
 * Parse an IP literal (IPv4, IPv6, or [IPv6]) of len bytes into addr (port untouched).
 * Returns false when it is not one.
 */
static bool ip_parse(const char *s, size_t len, struct lb_addr *addr)
{
	if (ipv4_parse(s, len, addr->v4)) {
		addr->family = AF_INET;
		return true;
	}
	return ip6_parse(s, len, addr);
}

static bool ip_equal(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return memcmp(a->v4, b->v4, 4) == 0;
	return memcmp(a->v6, b->v6, 16) == 0;
}

/* The address as text without brackets ("192.0.2.1", "2001:db8::1"); returns its length. */
static inline __attribute__((always_inline)) size_t ip_format(const struct lb_addr *a,
                                                              char out[IP_TEXT_MAX])
{
	size_t n = 0;

	if (a->family == AF_INET6) {
		if (inet_ntop(AF_INET6, a->v6, out, IP_TEXT_MAX) == NULL)
			return 0;
		return strlen(out);
	}
	/* IPv4 by hand: inet_ntop costs more than the rest of a forward. Each octet's 4 table
	 * bytes are stored whole (out has room to spare), the next octet's dot or the NUL
	 * overwrites what follows its digits. */
	uint8_t v[4];
	memcpy(v, a->v4, 4); /* read once: the stores below are char stores */
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++) {
		uint32_t t;
		memcpy(&t, octet_text[v[i]], 4);
		size_t len = (size_t)octet_text[v[i]][3];
		memcpy(out + n, &t, 4);
		n += len;
		out[n++] = '.';
	}
	out[n - 1] = '\0';
	return n - 1;
}

/*
 * Does the IP literal s[0..len) name addr (ip_parse() and ip_equal())? text[0..text_len) is
 * ip_format(addr). An IPv4 literal has one spelling (no leading zeros, which ipv4_parse()
 * refuses), so for IPv4 the texts are compared instead: no parse.
 */
static inline __attribute__((always_inline)) bool
ip_text_is(const char *s, size_t len, const struct lb_addr *addr, const char *text, size_t text_len)
{
	struct lb_addr parsed;

	if (addr->family == AF_INET)
		return len == text_len && short_equal(s, text, len);
	return ip_parse(s, len, &parsed) && ip_equal(&parsed, addr);
}

static bool ipv4_unusable(const uint8_t v4[4])
{
	/* 0.0.0.0/8 (this network), 224.0.0.0/4 (multicast), 255.255.255.255 (broadcast) */
	return v4[0] == 0 || (v4[0] & 0xf0) == 0xe0 ||
	       (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255);
}

/*
 * A target a stateless element must never send to (RFC 4475 3.3.10): broadcast, multicast,
 * unspecified; for IPv6 also the IPv4-mapped forms of those. The rule of
 * sip_response_next_hop(), checked again on the address the packet will actually go to.
 */
static inline __attribute__((always_inline)) bool ip_unusable(const struct lb_addr *a)
{
	static const uint8_t zero16[16];
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (a->family == AF_INET)
		return ipv4_unusable(a->v4);
	if (memcmp(a->v6, mapped, sizeof(mapped)) == 0)
		return ipv4_unusable(a->v6 + 12);
	return a->v6[0] == 0xff || memcmp(a->v6, zero16, 16) == 0;
}

/* The sent-by host of a Via as an address, when it is an IP literal. */
static bool via_host_ip(const char *buf, const struct sip_via *via, struct lb_addr *addr)
{
	if (via->host_kind == SIP_HOST_NAME)
		return false;
	return ip_parse(sip_str_ptr(buf, via->host), via->host.len, addr);
}

/* Where a parameter of a Via sits: name end, and its value (after '=' and LWS) when present. */
struct via_param {
	uint32_t name_end;
	bool has_eq;
	uint32_t value_off;
	uint32_t value_len;
};

/* Find parameter `name` (case-insensitive) in the Via's params; false when absent. */
static bool via_find_param(const char *buf, const struct sip_via *via, const char *name,
                           struct via_param *out)
{
	uint32_t i = via->params.off;
	uint32_t end = via->params.off + via->params.len;

	while (i < end) {
		if (buf[i] != ';') {
			/* Skip a value: token, host, or quoted string. */
			if (buf[i] == '"') {
				for (i++; i < end && buf[i] != '"'; i++)
					if (buf[i] == '\\' && i + 1 < end)
						i++;
			}
			i++;
			continue;
		}
		uint32_t n = skip_lws(buf, i + 1, end);
		uint32_t name_off = n;
		while (n < end && buf[n] != '=' && buf[n] != ';' && !is_wsp(buf[n]) &&
		       buf[n] != '\r' && buf[n] != '\n')
			n++;
		uint32_t after = skip_lws(buf, n, end);
		bool has_eq = after < end && buf[after] == '=';
		i = has_eq ? skip_lws(buf, after + 1, end) : n;
		if (!eq_nocase(buf + name_off, n - name_off, name))
			continue;
		out->name_end = n;
		out->has_eq = has_eq;
		out->value_off = i;
		uint32_t v = i;
		while (v < end && buf[v] != ';' && !is_wsp(buf[v]) && buf[v] != '\r' &&
		       buf[v] != '\n')
			v++;
		out->value_len = v - i;
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------------------------------------
 * Edit list: plan, then apply in one pass
 */

struct dp_edit {
	uint32_t off; /* in the message as parsed */
	uint32_t del; /* bytes removed at off */
	uint32_t ins_len;
	const char *ins; /* bytes inserted at off; never points into the message */
};

struct dp_edits {
	struct dp_edit e[DP_MAX_EDITS];
	unsigned n;
	bool overflow;
};

/* An empty list: only the count and the flag are set, the entries are written as they are
 * added (zeroing all DP_MAX_EDITS of them would cost every message a few dozen stores). */
static inline void edits_init(struct dp_edits *l)
{
	l->n = 0;
	l->overflow = false;
}

/* Add an edit, keeping the list sorted by offset; equal offsets keep the order of addition. */
static inline __attribute__((always_inline)) void
edit_add(struct dp_edits *l, uint32_t off, uint32_t del, const char *ins, uint32_t ins_len)
{
	if (l->n == DP_MAX_EDITS) {
		l->overflow = true;
		return;
	}
	unsigned i = l->n++;
	while (i > 0 && l->e[i - 1].off > off) {
		l->e[i] = l->e[i - 1];
		i--;
	}
	l->e[i] = (struct dp_edit){.off = off, .del = del, .ins_len = ins_len, .ins = ins};
}

/*
 * memmove for the short moves and copies of an edit (a start line, an inserted header, a
 * Max-Forwards digit): up to 128 bytes inline, every byte loaded before any is stored, so the
 * ranges may overlap. Longer moves call memmove.
 */
static inline __attribute__((always_inline)) void move_short(char *dst, const char *src, size_t len)
{
#if defined(__SSE2__)
	if (len >= 16 && len <= 128) {
		const __m128i *s = (const __m128i *)(const void *)src;
		const __m128i *e = (const __m128i *)(const void *)(src + len - 16);
		__m128i a = _mm_loadu_si128(s), z = _mm_loadu_si128(e);
		if (len <= 32) {
			_mm_storeu_si128((__m128i *)(void *)dst, a);
			_mm_storeu_si128((__m128i *)(void *)(dst + len - 16), z);
			return;
		}
		__m128i b = _mm_loadu_si128(s + 1);
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(src + len - 32));
		if (len <= 64) {
			_mm_storeu_si128((__m128i *)(void *)dst, a);
			_mm_storeu_si128((__m128i *)(void *)(dst + 16), b);
			_mm_storeu_si128((__m128i *)(void *)(dst + len - 32), y);
			_mm_storeu_si128((__m128i *)(void *)(dst + len - 16), z);
			return;
		}
		__m128i c = _mm_loadu_si128(s + 2), d = _mm_loadu_si128(s + 3);
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(src + len - 48));
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)(src + len - 64));
		_mm_storeu_si128((__m128i *)(void *)dst, a);
		_mm_storeu_si128((__m128i *)(void *)(dst + 16), b);
		_mm_storeu_si128((__m128i *)(void *)(dst + 32), c);
		_mm_storeu_si128((__m128i *)(void *)(dst + 48), d);
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 64), w);
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 48), x);
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 32), y);
		_mm_storeu_si128((__m128i *)(void *)(dst + len - 16), z);
		return;
	}
#endif
	if (len <= 16)
		return move_small(dst, src, len);
	memmove(dst, src, len);
}

static inline int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/*
 * Apply the edits to b, keeping only the first msg_len bytes of the message (the rest is
 * datagram noise and becomes tailroom). The message splits into n + 1 segments around the n
 * edits; segment k must end up shifted by delta[k] - back, where delta[k] is the net growth of
 * the edits before it and `back` how far the message start moves into the headroom. `back` is
 * chosen to move the fewest bytes (a weighted median of the deltas) within what the headroom and
 * tailroom allow: of the candidates delta[c] (clamped to that range), the first with the least
 * cost. Returns DP_SIP_OK, or -DP_SIP_ERR_NO_ROOM with b untouched.
 *
 * b->sum follows (RFC 1624 style): minus the deleted bytes and the noise after msg_len, plus the
 * inserted ones at their new offsets, and for each segment shifted by an odd number of bytes,
 * its sum swapped for the byte-swapped one (every byte of it changes word half). Segment k ends
 * up at seg_off[k] + delta[k] from the new start, wherever the start moves, so only the edits'
 * own growth decides. It is worked out in the same pass that lays out the segments.
 */
static inline __attribute__((always_inline)) int edits_apply(struct dp_sip_buf *b, uint32_t msg_len,
                                                             const struct dp_edits *l)
{
	uint32_t seg_off[DP_MAX_EDITS + 1], seg_len[DP_MAX_EDITS + 1];
	int64_t delta[DP_MAX_EDITS + 1];
	const unsigned n = l->n, nseg = n + 1;
	const bool keep_sum = b->sum_valid;
	uint16_t sum = b->sum;
	uint32_t pos = 0;
	int64_t d = 0;
	uint64_t kept = 0; /* the bytes of all segments */
	unsigned big = 0;  /* the longest segment (the first of equal ones) */

	if (l->overflow || msg_len > b->len)
		return -DP_SIP_ERR_NO_ROOM;
	for (unsigned k = 0; k < nseg; k++) {
		uint32_t end = k < n ? l->e[k].off : msg_len;
		/* Overlapping edits or one past the end cannot come from sip_parse views. */
		if (end < pos || end > msg_len)
			return -DP_SIP_ERR_NO_ROOM;
		uint32_t len = end - pos;
		seg_off[k] = pos;
		seg_len[k] = len;
		delta[k] = d;
		kept += len;
		if (len > seg_len[big])
			big = k;
		if (keep_sum && (d & 1) != 0 && len != 0) {
			uint16_t seg = dp_sum16_at(b->data + pos, len, pos & 1);
			sum = dp_sum16_add(dp_sum16_sub(sum, seg), dp_sum16_swap(seg));
		}
		if (k == n)
			break;
		const struct dp_edit *e = &l->e[k];
		if (keep_sum && e->del != 0)
			sum = dp_sum16_sub(sum, dp_sum16_at(b->data + end, e->del, end & 1));
		if (keep_sum && e->ins_len != 0)
			sum = dp_sum16_add(
			    sum, dp_sum16_at(e->ins, e->ins_len, (uint32_t)(end + d) & 1));
		pos = end + e->del;
		d += (int64_t)e->ins_len - e->del;
	}
	int64_t growth = d;
	int64_t tailroom = (int64_t)b->tailroom + (b->len - msg_len);
	int64_t lo = growth - tailroom;    /* back must be >= lo: the end stays in the buffer */
	int64_t hi = (int64_t)b->headroom; /* back must be <= hi: the start stays in the buffer */
	if (lo > hi || (int64_t)msg_len + growth > UINT32_MAX)
		return -DP_SIP_ERR_NO_ROOM;

	int64_t back = 0;
	if (2 * (uint64_t)seg_len[big] > kept) {
		/*
		 * One segment longer than all the others together (the usual case: the bulk of
		 * the message, after the edits near its top): the cost falls strictly up to its
		 * delta and rises strictly after it, so the one candidate of least cost is that
		 * delta, clamped. No need to weigh them all.
		 */
		back = delta[big] < lo ? lo : delta[big] > hi ? hi : delta[big];
	} else {
		int64_t best_cost = INT64_MAX;
		for (unsigned c = 0; c < nseg; c++) {
			/* The same delta as the candidate before: the same cost, never strictly
			 * less. */
			if (c > 0 && delta[c] == delta[c - 1])
				continue;
			int64_t cand = delta[c] < lo ? lo : delta[c] > hi ? hi : delta[c];
			int64_t cost = 0;
			for (unsigned k = 0; k < nseg; k++)
				cost += abs64(delta[k] - cand) * seg_len[k];
			if (cost < best_cost) {
				best_cost = cost;
				back = cand;
			}
		}
	}

	if (keep_sum) {
		if (b->len > msg_len)
			sum = dp_sum16_sub(
			    sum, dp_sum16_at(b->data + msg_len, b->len - msg_len, msg_len & 1));
		b->sum = sum;
	}

	/*
	 * Segments moving towards the start go first, front to back; then those moving towards the
	 * end, back to front. Final places keep the segments' order, so neither pass overwrites a
	 * segment that has not moved yet.
	 */
	char *data = b->data;
	for (unsigned k = 0; k < nseg; k++) {
		int64_t shift = delta[k] - back;
		if (shift < 0 && seg_len[k] != 0)
			move_short(data + seg_off[k] + shift, data + seg_off[k], seg_len[k]);
	}
	for (unsigned k = nseg; k-- > 0;) {
		int64_t shift = delta[k] - back;
		if (shift > 0 && seg_len[k] != 0)
			move_short(data + seg_off[k] + shift, data + seg_off[k], seg_len[k]);
	}
	for (unsigned k = 0; k < n; k++)
		if (l->e[k].ins_len != 0)
			move_short(data + l->e[k].off + delta[k] - back, l->e[k].ins,
			           l->e[k].ins_len);
	b->data = data - back;
	b->headroom = (uint32_t)(b->headroom - back);
	b->len = (uint32_t)(msg_len + growth);
	b->tailroom = (uint32_t)(tailroom + back - growth);
	return DP_SIP_OK;
}

/* The lower end clamped to lo, the upper to hi (lo <= hi). */
static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * edits_apply() of a list of one edit (del bytes at off replaced by ins[0..ins_len)), worked
 * out directly: two segments around it, no loops. The same result as edits_apply() in every
 * case, the tie of two equally long segments included. A relay's deletion, a forward's Via.
 */
static inline __attribute__((always_inline)) int
edit_apply_one(struct dp_sip_buf *b, uint32_t msg_len, uint32_t off, uint32_t del, const char *ins,
               uint32_t ins_len, int32_t ins_sum, int32_t del_sum)
{
	if (msg_len > b->len || off > msg_len || del > msg_len - off)
		return -DP_SIP_ERR_NO_ROOM;
	const uint32_t pos = off + del;
	const uint32_t len0 = off, len1 = msg_len - pos;
	const int64_t growth = (int64_t)ins_len - del; /* delta of the second segment */
	int64_t tailroom = (int64_t)b->tailroom + (b->len - msg_len);
	int64_t lo = growth - tailroom;
	int64_t hi = (int64_t)b->headroom;
	if (lo > hi || (int64_t)msg_len + growth > UINT32_MAX)
		return -DP_SIP_ERR_NO_ROOM;

	int64_t back;
	if (len1 > len0) {
		back = clamp64(growth, lo, hi);
	} else if (len0 > len1) {
		back = clamp64(0, lo, hi);
	} else {
		/* equally long: the first candidate of least cost, as edits_apply() weighs them */
		int64_t c0 = clamp64(0, lo, hi);
		int64_t cost0 = abs64(-c0) * len0 + abs64(growth - c0) * len1;
		back = c0;
		if (growth != 0) {
			int64_t c1 = clamp64(growth, lo, hi);
			if (abs64(-c1) * len0 + abs64(growth - c1) * len1 < cost0)
				back = c1;
		}
	}

	char *data = b->data;
	if (b->sum_valid) {
		uint16_t sum = b->sum;
		if (del != 0 && del_sum >= 0) /* summed by the caller, at an even offset */
			sum = dp_sum16_sub(sum, (off & 1) ? dp_sum16_swap((uint16_t)del_sum)
			                                  : (uint16_t)del_sum);
		else if (del != 0)
			sum = dp_sum16_sub(sum, dp_sum16_at(data + off, del, off & 1));
		if (ins_len != 0 && ins_sum >= 0) /* summed by the caller, at an even offset */
			sum = dp_sum16_add(sum, (off & 1) ? dp_sum16_swap((uint16_t)ins_sum)
			                                  : (uint16_t)ins_sum);
		else if (ins_len != 0)
			sum = dp_sum16_add(sum, dp_sum16_at(ins, ins_len, off & 1));
		if ((growth & 1) != 0 && len1 != 0) {
			uint16_t seg = dp_sum16_at(data + pos, len1, pos & 1);
			sum = dp_sum16_add(dp_sum16_sub(sum, seg), dp_sum16_swap(seg));
		}
		if (b->len > msg_len)
			sum = dp_sum16_sub(
			    sum, dp_sum16_at(data + msg_len, b->len - msg_len, msg_len & 1));
		b->sum = sum;
	}

	/* as edits_apply(): moves towards the start front to back, then the others back to front */
	const int64_t shift0 = -back, shift1 = growth - back;
	if (shift0 < 0 && len0 != 0)
		move_short(data + shift0, data, len0);
	if (shift1 < 0 && len1 != 0)
		move_short(data + pos + shift1, data + pos, len1);
	if (shift1 > 0 && len1 != 0)
		move_short(data + pos + shift1, data + pos, len1);
	if (shift0 > 0 && len0 != 0)
		move_short(data + shift0, data, len0);
	if (ins_len != 0)
		move_short(data + off - back, ins, ins_len);
	b->data = data - back;
	b->headroom = (uint32_t)(b->headroom - back);
	b->len = (uint32_t)(msg_len + growth);
	b->tailroom = (uint32_t)(tailroom + back - growth);
	return DP_SIP_OK;
}

/*
 * edit_apply_one() of a deletion in its commonest case, without its weighing: del (even, not 0)
 * bytes at off removed from a message that ends the buffer (no bytes after it to drop), with
 * more bytes behind the deletion than in front of it. edit_apply_one() then moves the off bytes
 * in front forward by del (all in the headroom's favour, the tailroom unchanged); so does this.
 * del_sum: the deleted bytes' sum at an even offset, needed when the buffer keeps a sum. false,
 * with b untouched, in any other case.
 */
static inline __attribute__((always_inline)) bool delete_before_rest(struct dp_sip_buf *b,
                                                                     uint32_t msg_len, uint32_t off,
                                                                     uint32_t del, int32_t del_sum)
{
	if (msg_len != b->len || off > msg_len || del > msg_len - off || del == 0 ||
	    (del & 1) != 0 || msg_len - off - del <= off || (b->sum_valid && del_sum < 0))
		return false;
	char *data = b->data;
	if (b->sum_valid)
		b->sum = dp_sum16_sub(b->sum, (off & 1) ? dp_sum16_swap((uint16_t)del_sum)
		                                        : (uint16_t)del_sum);
	if (off != 0)
		move_short(data + del, data, off);
	b->data = data + del;
	b->headroom += del;
	b->len = msg_len - del;
	return true;
}

/*
 * edit_apply_one() of an insertion in its commonest case, without its weighing: ins_len (even,
 * not 0, no more than the headroom) bytes inserted at off in a message that ends the buffer, with
 * more bytes behind off than in front of it. edit_apply_one() then moves the off bytes in front
 * back by ins_len into the headroom (the tailroom unchanged); so does this. ins_sum: the inserted
 * bytes' sum at an even offset, or -1 (they are summed here). false, with b untouched, in any
 * other case.
 */
static inline __attribute__((always_inline)) bool
insert_before_rest(struct dp_sip_buf *b, uint32_t msg_len, uint32_t off, const char *ins,
                   uint32_t ins_len, int32_t ins_sum)
{
	if (msg_len != b->len || off > msg_len || ins_len == 0 || (ins_len & 1) != 0 ||
	    ins_len > b->headroom || msg_len - off <= off)
		return false;
	char *data = b->data;
	if (b->sum_valid) {
		uint16_t s = ins_sum >= 0 ? ((off & 1) ? dp_sum16_swap((uint16_t)ins_sum)
		                                       : (uint16_t)ins_sum)
		                          : dp_sum16_at(ins, ins_len, off & 1);
		b->sum = dp_sum16_add(b->sum, s);
	}
	if (off != 0)
		move_short(data - ins_len, data, off);
	move_short(data + off - ins_len, ins, ins_len);
	b->data = data - ins_len;
	b->headroom -= ins_len;
	b->len = msg_len + ins_len;
	return true;
}

/* ---------------------------------------------------------------------------------------------
 * Message geometry
 */

/* Offset of the first header line: just after the start line's line end. */
static uint32_t after_start_line(const char *buf, uint32_t len, const struct sip_msg *msg)
{
	uint32_t i = msg->start_line.off + msg->start_line.len;

	if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
		return i + 2;
	if (i < len && buf[i] == '\n')
		return i + 1;
	return i < len ? i : len;
}

/* Where the message sip_parse() read ends: blank line and body included, noise excluded. */
static inline __attribute__((always_inline)) uint32_t message_end(const char *buf, uint32_t len,
                                                                  const struct sip_msg *msg)
{
	uint32_t end = msg->headers_end;

	if (end + 1 < len && buf[end] == '\r' && buf[end + 1] == '\n')
		end += 2;
	else if (end < len && buf[end] == '\n')
		end += 1;
	if (msg->body.len != 0 && msg->body.off + msg->body.len > end)
		end = msg->body.off + msg->body.len;
	return end > len ? len : end;
}

/* ---------------------------------------------------------------------------------------------
 * MACs
 */

static void mac_str(struct dp_siphash *h, const char *buf, struct sip_str s)
{
	static const uint8_t sep;

	dp_siphash_update(h, buf + s.off, s.len);
	dp_siphash_update(h, &sep, 1);
}

/* Input of the branch MAC assembled in one buffer for a one-shot SipHash; longer inputs (the
 * Call-ID alone may be long) are streamed instead. Both give the same MAC. */
#define BRANCH_MAC_INLINE 512

/* Append s's bytes and a 0x00 separator at in[n]; the caller checked the room. */
static size_t put_str(uint8_t *in, size_t n, const char *buf, struct sip_str s)
{
	copy_short(in + n, buf + s.off, s.len);
	n += s.len;
	in[n++] = '\0';
	return n;
}

void dp_sip_response_dest(const struct sip_via *via, const struct dp_sip_peer *src,
                          struct lb_addr *dest)
{
	*dest = src->addr;
	dest->port = via->has_rport ? (via->rport ? via->rport : src->addr.port)
	                            : (via->port ? via->port : SIP_DEFAULT_PORT);
}

/* The response destination as the MAC covers it: family (4 or 6), address, port (big end
 * first); 7 or 19 bytes, its length given by its first byte. */
#define DEST_MAX 19
static inline size_t put_dest(uint8_t *in, const struct lb_addr *d)
{
	size_t n = 0;

	if (d->family == AF_INET6) {
		in[n++] = 6;
		memcpy(in + n, d->v6, 16);
		n += 16;
	} else {
		in[n++] = 4;
		memcpy(in + n, d->v4, 4);
		n += 4;
	}
	in[n++] = (uint8_t)(d->port >> 8);
	in[n++] = (uint8_t)d->port;
	return n;
}

/* dp_sip_branch(), inline in the forward and relay paths. */
static inline __attribute__((always_inline)) size_t
branch_mac(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
           const struct sip_via *client_via, const struct lb_addr *dest, char *out)
{
	/* RFC 3261 17.2.3: the client's branch names its transaction; without the cookie
	 * (RFC 3261 16.11) sent-by and From tag stand for it. */
	bool has_x = client_via->has_branch && client_via->branch.len >= MAGIC_COOKIE_LEN &&
	             memcmp(buf + client_via->branch.off, MAGIC_COOKIE, MAGIC_COOKIE_LEN) == 0;
	struct sip_str x = has_x ? client_via->branch : (struct sip_str){0, 0};
	/* The destination, Call-ID, CSeq number, ':' port, four separators: DEST_MAX + 10 + 6 + 4
	 * bytes at most besides. */
	size_t need = (size_t)req->call_id.len + client_via->host.len + x.len + req->from_tag.len +
	              DEST_MAX + 24;
	uint8_t in[BRANCH_MAC_INLINE];
	uint64_t mac;

	if (need <= sizeof(in)) {
		size_t n = put_dest(in, dest);
		n = put_str(in, n, buf, req->call_id);
		n += dec32(req->cseq, (char *)in + n);
		in[n++] = '\0';
		/* The client's sent-by: a backend that rewrites the Via below ours (to have the
		 * response sent to a third party) no longer matches the MAC. */
		copy_short(in + n, buf + client_via->host.off, client_via->host.len);
		n += client_via->host.len;
		in[n++] = ':';
		n += dec32(client_via->port ? client_via->port : SIP_DEFAULT_PORT, (char *)in + n);
		in[n++] = '\0';
		n = put_str(in, n, buf, x); /* an empty X: its separator alone */
		copy_short(in + n, buf + req->from_tag.off, req->from_tag.len);
		n += req->from_tag.len;
		mac = dp_siphash24(cfg->key, in, n);
	} else {
		struct dp_siphash h;
		char num[12];
		size_t n;

		dp_siphash_init(&h, cfg->key);
		uint8_t d[DEST_MAX];
		dp_siphash_update(&h, d, put_dest(d, dest));
		mac_str(&h, buf, req->call_id);
		n = dec32(req->cseq, num);
		num[n++] = '\0';
		dp_siphash_update(&h, num, n);
		dp_siphash_update(&h, buf + client_via->host.off, client_via->host.len);
		num[0] = ':';
		n = 1 + dec32(client_via->port ? client_via->port : SIP_DEFAULT_PORT, num + 1);
		num[n++] = '\0';
		dp_siphash_update(&h, num, n);
		mac_str(&h, buf, x);
		dp_siphash_update(&h, buf + req->from_tag.off, req->from_tag.len);
		mac = dp_siphash_final(&h);
	}
	memcpy(out, DP_BRANCH_PREFIX, sizeof(DP_BRANCH_PREFIX) - 1);
	hex64(mac, out + sizeof(DP_BRANCH_PREFIX) - 1);
	return DP_BRANCH_LEN;
}

size_t dp_sip_branch(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                     const struct sip_via *client_via, const struct lb_addr *dest, char *out)
{
	return branch_mac(cfg, buf, req, client_via, dest, out);
}

/* The To tag of our stateless replies: stable for a Call-ID and From tag (RFC 3261 8.2.6.2). */
static void reply_to_tag(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                         char out[DP_REPLY_TAG_HEX])
{
	struct dp_siphash h;
	uint64_t key[2] = {cfg->key[0] ^ TO_TAG_KEY_TWEAK, cfg->key[1]};

	dp_siphash_init(&h, key);
	mac_str(&h, buf, req->call_id);
	dp_siphash_update(&h, buf + req->from_tag.off, req->from_tag.len);
	hex64(dp_siphash_final(&h), out);
}

/* 64-bit MAC of a pin: Call-ID, the backend id as written in the pin, the backend's name. */
static uint64_t pin_mac(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                        const char *id, size_t id_len, const char *name)
{
	static const uint8_t sep;
	struct dp_siphash h;
	uint64_t key[2] = {cfg->key[0] ^ PIN_KEY_TWEAK, cfg->key[1]};

	dp_siphash_init(&h, key);
	mac_str(&h, buf, req->call_id);
	dp_siphash_update(&h, id, id_len);
	dp_siphash_update(&h, &sep, 1);
	dp_siphash_update(&h, name, strnlen(name, LB_NAME_MAX));
	return dp_siphash_final(&h);
}

size_t dp_sip_pin(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                  uint32_t backend_id, const char *backend_name, char *out)
{
	size_t n = dec32(backend_id, out);
	uint64_t mac = pin_mac(cfg, buf, req, out, n, backend_name);

	out[n++] = '.';
	hex64(mac, out + n);
	return n + DP_PIN_MAC_HEX;
}

/* ---------------------------------------------------------------------------------------------
 * Configuration
 */

void dp_sip_cfg_init(struct dp_sip_cfg *cfg, const struct lb_addr *self, const uint8_t secret[16],
                     uint32_t retry_after, uint32_t max_forwards)
{
	char ip[IP_TEXT_MAX];
	size_t n = ip_format(self, ip);

	memset(cfg, 0, sizeof(*cfg));
	cfg->self = *self;
	if (self->family == AF_INET6) {
		cfg->self_host[0] = '[';
		memcpy(cfg->self_host + 1, ip, n);
		cfg->self_host[n + 1] = ']';
		n += 2;
	} else {
		memcpy(cfg->self_host, ip, n);
	}
	cfg->self_host[n] = '\0';
	cfg->self_host_len = (uint8_t)n;
	char port[12];
	size_t via_line = sizeof("Via: SIP/2.0/UDP :;branch=\r\n") - 1 + n +
	                  dec32(self->port, port) + DP_BRANCH_LEN;
	cfg->via_space = via_line % 2 == 0;
	size_t h = cfg->via_space ? 17 : 16;
	memcpy(cfg->via_head, "Via: SIP/2.0/UDP ", 4);
	memcpy(cfg->via_head + 4, " SIP/2.0/UDP " + !cfg->via_space, h - 4);
	memcpy(cfg->via_head + h, cfg->self_host, n);
	h += n;
	cfg->via_head[h++] = ':';
	h += dec32(self->port, cfg->via_head + h);
	memcpy(cfg->via_head + h, ";branch=", 8);
	cfg->via_head_len = (uint8_t)(h + 8);
	char fixed[sizeof(cfg->via_head) + sizeof(DP_BRANCH_PREFIX)];
	memcpy(fixed, cfg->via_head, cfg->via_head_len);
	memcpy(fixed + cfg->via_head_len, DP_BRANCH_PREFIX, sizeof(DP_BRANCH_PREFIX) - 1);
	cfg->via_fixed_sum = dp_sum16(fixed, cfg->via_head_len + sizeof(DP_BRANCH_PREFIX) - 1);
	dp_siphash_key(cfg->key, secret);
	cfg->retry_after = retry_after;
	cfg->max_forwards = max_forwards;
}

/* ---------------------------------------------------------------------------------------------
 * Client Via: received and rport (RFC 3261 18.2.1, RFC 3581 4)
 */

struct via_fix {
	/* rport value to fill in at rport_off ("=5060", or "5060" after an existing '=') */
	bool fill_rport;
	uint32_t rport_off;
	char rport_text[8];
	uint32_t rport_len;
	/* received: replace received_del bytes at received_off with received_text */
	bool set_received;
	uint32_t received_off;
	uint32_t received_del;
	char received_text[sizeof(";received=") + IP_TEXT_MAX];
	uint32_t received_len;
};

static inline __attribute__((always_inline)) void via_fix_plan(const char *buf,
                                                               const struct sip_via *via,
                                                               const struct dp_sip_peer *src,
                                                               struct via_fix *fx)
{
	struct via_param rport;
	char ip[IP_TEXT_MAX];
	size_t n;

	/* The other fields are read only when their flag is set. */
	fx->fill_rport = false;
	fx->set_received = false;
	if (via->has_rport && via_find_param(buf, via, "rport", &rport) && rport.value_len == 0) {
		fx->fill_rport = true;
		n = 0;
		if (rport.has_eq) {
			fx->rport_off = rport.value_off;
		} else {
			fx->rport_off = rport.name_end;
			fx->rport_text[n++] = '=';
		}
		n += dec32(src->addr.port, fx->rport_text + n);
		fx->rport_len = (uint32_t)n;
	}

	n = ip_format(&src->addr, ip);
	bool same_host = via->host_kind != SIP_HOST_NAME &&
	                 ip_text_is(sip_str_ptr(buf, via->host), via->host.len, &src->addr, ip, n);
	/* A received the client wrote itself is replaced all the same: responses go to it. */
	if (same_host && !via->has_rport && !via->has_received)
		return;
	if (via->has_received) {
		if (ip_text_is(sip_str_ptr(buf, via->received), via->received.len, &src->addr, ip,
		               n))
			return;
		fx->received_off = via->received.off;
		fx->received_del = via->received.len;
		memcpy(fx->received_text, ip, n);
		fx->received_len = (uint32_t)n;
	} else {
		fx->received_off = via->value.off + via->value.len;
		fx->received_del = 0;
		memcpy(fx->received_text, ";received=", sizeof(";received=") - 1);
		memcpy(fx->received_text + sizeof(";received=") - 1, ip, n);
		fx->received_len = (uint32_t)(sizeof(";received=") - 1 + n);
	}
	fx->set_received = true;
}

/* Add the planned Via edits to l; rport first, as it may sit right where received goes. */
static inline __attribute__((always_inline)) void via_fix_edits(const struct via_fix *fx,
                                                                struct dp_edits *l)
{
	if (fx->fill_rport)
		edit_add(l, fx->rport_off, 0, fx->rport_text, fx->rport_len);
	if (fx->set_received)
		edit_add(l, fx->received_off, fx->received_del, fx->received_text,
		         fx->received_len);
}

/* ---------------------------------------------------------------------------------------------
 * Request forwarding
 */

/* Where the parts of a sip: URI lie, as offsets into the text given to uri_parse(). */
struct uri_parts {
	uint32_t host, host_end; /* host as written, IPv6 brackets included */
	uint32_t port;           /* 5060 when absent */
	uint32_t params;         /* first byte after host[:port]: ';', '?', '>' or the end */
};

/*
 * Parse "sip:[userinfo@]host[:port]" at the start of p[0..len) (scheme case-insensitive). The
 * host part must end at ';', '?', '>' or, when bare (a Request-URI), at the end of the text.
 * false when the text is not that (another scheme, an empty or bad port, an open bracket).
 */
static bool uri_parse(const char *p, uint32_t len, bool bare, struct uri_parts *u)
{
	uint32_t i = 4, port = 0;

	if (len < 4 || !eq_nocase(p, 4, "sip:"))
		return false;
	/* userinfo ends at the first '@' before the host part's delimiters */
	for (uint32_t j = i; j < len && p[j] != ';' && p[j] != '?' && p[j] != '>'; j++) {
		if (p[j] == '@') {
			i = j + 1;
			break;
		}
	}
	u->host = i;
	if (i < len && p[i] == '[') {
		while (i < len && p[i] != ']')
			i++;
		if (i == len)
			return false;
		i++;
	} else {
		while (i < len && p[i] != ':' && p[i] != ';' && p[i] != '?' && p[i] != '>')
			i++;
	}
	u->host_end = i;
	if (i < len && p[i] == ':') {
		uint32_t digits = 0;
		for (i++; i < len && p[i] >= '0' && p[i] <= '9' && port <= 65535; i++, digits++)
			port = port * 10 + (uint32_t)(p[i] - '0');
		if (digits == 0 || port > 65535)
			return false;
	} else {
		port = SIP_DEFAULT_PORT;
	}
	if (i >= len ? !bare : (p[i] != ';' && p[i] != '?' && p[i] != '>'))
		return false;
	u->port = port;
	u->params = i;
	return true;
}

/* p[i] opens a quoted-string: the offset after its closing quote (escapes skipped), or end. */
static uint32_t skip_quoted(const char *p, uint32_t i, uint32_t end)
{
	for (i++; i < end; i++) {
		if (p[i] == '\\')
			i++;
		else if (p[i] == '"')
			return i + 1;
	}
	return end;
}

/* The '<' that opens the URI of a name-addr p[0..len), past a quoted display name (which may
 * hold '<' itself, RFC 3261 25.1); len when there is none. */
static uint32_t uri_open(const char *p, uint32_t len)
{
	for (uint32_t i = 0; i < len;) {
		if (p[i] == '"')
			i = skip_quoted(p, i, len);
		else if (p[i] == '<')
			return i;
		else
			i++;
	}
	return len;
}

/* The URI inside a name-addr value ("Name" <uri>;params): offset and length of uri in buf. */
static bool name_addr_uri(const char *buf, struct sip_str value, uint32_t *off, uint32_t *len)
{
	const char *p = buf + value.off;
	uint32_t i = uri_open(p, value.len), end;

	for (end = i; end < value.len && p[end] != '>'; end++)
		;
	if (end >= value.len)
		return false;
	*off = value.off + i + 1;
	*len = end - i - 1;
	return true;
}

/* Is host (as written in a URI, one trailing dot allowed) one of the configured aliases? */
static bool alias_match(const struct dp_sip_aliases *a, const char *host, uint32_t len)
{
	if (a == NULL)
		return false;
	if (len > 0 && host[len - 1] == '.')
		len--;
	for (uint32_t k = 0; k < a->n; k++) {
		if (a->len[k] != len)
			continue;
		uint32_t i = 0;
		while (i < len && lower(host[i]) == a->name[k][i])
			i++;
		if (i == len)
			return true;
	}
	return false;
}

/* Is addr one of our VIPs (this leg's or the other family's)? */
static inline bool ip_is_vip(const struct dp_sip_cfg *cfg, const struct lb_addr *addr)
{
	return ip_equal(addr, &cfg->self) ||
	       (cfg->other_vip.family != 0 && ip_equal(addr, &cfg->other_vip));
}

/*
 * Does a Route value name us: <sip:[user@]host[:port]...> with host one of our VIPs, of either
 * family (no port meaning 5060), or one of sip.aliases (no port meaning any of ours: DNS SRV
 * may name any port), and a port written the one the request came to?
 */
static bool route_is_self(const struct dp_sip_cfg *cfg, const char *buf, struct sip_str route)
{
	const char *p = buf + route.off;
	uint32_t len = route.len, i = uri_open(p, len);
	struct uri_parts u;
	struct lb_addr addr;

	if (i == len || !uri_parse(p + i + 1, len - i - 1, false, &u))
		return false;
	const char *uri = p + i + 1;
	if (ip_parse(uri + u.host, u.host_end - u.host, &addr))
		return ip_is_vip(cfg, &addr) && u.port == cfg->self.port;
	return alias_match(cfg->aliases, uri + u.host, u.host_end - u.host) &&
	       (uri[u.host_end] != ':' || u.port == cfg->self.port);
}

bool dp_sip_route_is_self(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req)
{
	return req->has_route && route_is_self(cfg, buf, req->route);
}

/* The value of URI parameter `name` in p[params..end) (";name=value;..."); false when absent. */
static bool uri_param(const char *p, uint32_t params, uint32_t end, const char *name,
                      uint32_t *value, uint32_t *value_len)
{
	for (uint32_t i = params; i < end && p[i] == ';';) {
		uint32_t n = i + 1, v;
		while (n < end && p[n] != '=' && p[n] != ';' && p[n] != '?' && p[n] != '>')
			n++;
		v = n < end && p[n] == '=' ? n + 1 : n;
		uint32_t v_end = v;
		while (v_end < end && p[v_end] != ';' && p[v_end] != '?' && p[v_end] != '>')
			v_end++;
		if (eq_nocase(p + i + 1, n - i - 1, name)) {
			*value = v;
			*value_len = v_end - v;
			return true;
		}
		i = v_end;
	}
	return false;
}

int dp_sip_route_pin(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                     const struct lb_set *set, uint32_t *backend_id)
{
	uint32_t off, len, v, vlen, id = 0, digits = 0;
	struct uri_parts u;
	char mac[DP_PIN_MAC_HEX];

	if (!dp_sip_route_is_self(cfg, buf, req) || !name_addr_uri(buf, req->route, &off, &len) ||
	    !uri_parse(buf + off, len, true, &u) ||
	    !uri_param(buf + off, u.params, len, DP_PIN_PARAM, &v, &vlen))
		return 0;
	const char *pin = buf + off + v;
	while (digits < vlen && pin[digits] >= '0' && pin[digits] <= '9' && digits < 5)
		id = id * 10 + (uint32_t)(pin[digits++] - '0');
	if (digits == 0 || (digits > 1 && pin[0] == '0') || id >= LB_MAX_BACKENDS ||
	    vlen != digits + 1 + DP_PIN_MAC_HEX || pin[digits] != '.')
		return -1;
	/* The id alone is not enough: after a reload another backend may hold it. */
	uint16_t idx = set != NULL ? set->by_id[id] : LB_NONE;
	if (idx == LB_NONE || idx >= set->n_backends)
		return -1;
	hex64(pin_mac(cfg, buf, req, pin, digits, set->backends[idx].cfg.name), mac);
	if (!ct_equal(pin + digits + 1, mac, DP_PIN_MAC_HEX))
		return -1;
	*backend_id = id;
	return 1;
}

bool dp_sip_creates_dialog(const struct sip_msg *req, uint32_t extra_methods)
{
	uint32_t bit = (uint32_t)req->method < 32 ? 1u << req->method : 0;

	return req->is_request && req->method != SIP_METHOD_OTHER && req->to_tag.len == 0 &&
	       ((DP_DIALOG_METHODS | extra_methods) & bit) != 0;
}

/*
 * Plan removing the first Route value: just it and the comma (and empty elements) after it when
 * more values follow on its line, else the whole line.
 */
static void plan_route_pop(const char *buf, const struct sip_msg *msg, struct dp_edits *l)
{
	uint32_t line_end = msg->route_line.off + msg->route_line.len;
	uint32_t i = skip_lws(buf, msg->route.off + msg->route.len, line_end);

	while (i < line_end && buf[i] == ',')
		i = skip_lws(buf, i + 1, line_end);
	if (i < line_end && i > msg->route.off + msg->route.len && buf[i] != '\r' && buf[i] != '\n')
		edit_add(l, msg->route.off, i - msg->route.off, NULL, 0);
	else
		edit_add(l, msg->route_line.off, msg->route_line.len, NULL, 0);
}

/*
 * The Max-Forwards decrement in place, keeping the width: only the last non-zero digit and the
 * zeros after it change ("70" -> "69", "100" -> "099"). Not an edit: the bytes keep their
 * number, so they are written where the edits moved them, once those are applied.
 */
struct mf_fix {
	uint32_t off; /* of the last non-zero digit, in the message as parsed */
	uint32_t n;   /* it and the zeros after it; 0: nothing to change */
};

static inline __attribute__((always_inline)) void
plan_max_forwards(const char *buf, const struct sip_msg *msg, struct mf_fix *mf)
{
	const char *v = buf + msg->max_forwards_value.off;
	uint32_t len = msg->max_forwards_value.len;
	uint32_t i = len;

	mf->off = 0;
	mf->n = 0;
	if (!msg->has_max_forwards || msg->max_forwards == 0)
		return; /* 0: sip_parse refuses it (483); nothing to decrement */
	while (i > 0 && v[i - 1] == '0')
		i--;
	if (i == 0 || len - i >= 15)
		return;
	mf->off = msg->max_forwards_value.off + i - 1;
	mf->n = 1 + len - i;
}

/*
 * Where the Max-Forwards bytes end up once the edits l are applied: their offset plus the
 * growth of the edits in front of them. false when an edit overlaps them (edits_apply() would
 * refuse the two as overlapping; sip_parse views never do).
 */
static inline __attribute__((always_inline)) bool mf_place(const struct mf_fix *mf,
                                                           const struct dp_edits *l, uint32_t *at)
{
	int64_t d = 0;

	for (unsigned k = 0; k < l->n; k++) {
		const struct dp_edit *e = &l->e[k];
		if ((uint64_t)e->off + e->del <= mf->off)
			d += (int64_t)e->ins_len - e->del;
		else if (e->off < mf->off + mf->n)
			return false;
	}
	*at = (uint32_t)(mf->off + d);
	return true;
}

/*
 * Decrement the digits at their place in the edited message: the first one less by one, the
 * zeros after it nines. The sum follows without summing them: the first byte is 1 less, each
 * other one 9 more, as a byte counts once at an even offset and 256 times at an odd one.
 */
static inline __attribute__((always_inline)) void mf_write(const struct mf_fix *mf,
                                                           struct dp_sip_buf *b, uint32_t at)
{
	char *p = b->data + at;
	const uint32_t k = mf->n - 1, odd = at & 1;

	if (b->sum_valid) {
		/* of the offsets at + 1 .. at + k, the odd ones: those at an odd distance when at
		 * is even, at an even one when it is odd */
		uint32_t k_odd = odd ? k / 2 : (k + 1) / 2;
		uint16_t gain = (uint16_t)(9 * ((k - k_odd) + 256 * k_odd)); /* k <= 14 */
		b->sum = dp_sum16_sub(dp_sum16_add(b->sum, gain), odd ? 256 : 1);
	}
	p[0] = (char)(p[0] - 1);
	if (k == 1) { /* 70, the RFC 3261 default: one zero */
		p[1] = '9';
		return;
	}
	for (uint32_t j = 1; j <= k; j++)
		p[j] = '9';
}

/* "<sip:" self ":" port ";lr" into out (room for sizeof(cfg->self_host) + 16); its length. */
static size_t self_uri(const struct dp_sip_cfg *cfg, char *out)
{
	size_t n = 5;

	memcpy(out, "<sip:", 5);
	memcpy(out + n, cfg->self_host, cfg->self_host_len);
	n += cfg->self_host_len;
	out[n++] = ':';
	n += dec32(cfg->self.port, out + n);
	memcpy(out + n, ";lr", 3);
	return n + 3;
}

int dp_sip_forward(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b, const struct sip_msg *msg,
                   const struct dp_sip_peer *src, const struct dp_sip_fwd *how)
{
	const char *buf = b->data;
	/* "Via: SIP/2.0/UDP host:port;branch=...\r\nMax-Forwards: N\r\n", then Record-Route or
	 * Path: "Record-Route: <sip:host:port;lr;sst=ID.MAC>\r\n" */
	char top[sizeof("Via: SIP/2.0/UDP :65535;branch=\r\nMax-Forwards: 4294967295\r\n") +
	         sizeof(cfg->self_host) + DP_BRANCH_LEN +
	         sizeof("Record-Route: <sip::65535;lr;" DP_PIN_PARAM "=>\r\n") +
	         sizeof(cfg->self_host) + DP_PIN_MAX];
	struct mf_fix mf;
	struct via_fix fx;
	struct dp_edits l;
	uint32_t msg_len = message_end(buf, b->len, msg);
	uint32_t at = after_start_line(buf, msg_len, msg);
	size_t n = 0;

	edits_init(&l);

	/* RFC 3261 16.6 step 8: our Via on top, on its own line above the client's. Its head is
	 * the same for every request: copied whole (a fixed size), then the branch. */
	struct lb_addr dest;
	dp_sip_response_dest(&msg->top_via, src, &dest);
	memcpy(top, cfg->via_head, sizeof(cfg->via_head));
	n = cfg->via_head_len;
	n += branch_mac(cfg, buf, msg, &msg->top_via, &dest, top + n);
	top[n++] = '\r';
	top[n++] = '\n';
	if (!msg->has_max_forwards) {
		/* RFC 3261 16.6 step 3 */
		memcpy(top + n, "Max-Forwards: ", 14);
		n += 14;
		n += dec32(cfg->max_forwards, top + n);
		top[n++] = '\r';
		top[n++] = '\n';
	}
	if (how != NULL && how->record_route && how->pin < LB_MAX_BACKENDS &&
	    how->pin_name != NULL && dp_sip_creates_dialog(msg, how->dialog_methods)) {
		/* RFC 3261 16.6 step 4: in-dialog requests come back to us, and the pin says where
		 * they go from here. */
		memcpy(top + n, "Record-Route: ", 14);
		n += 14;
		n += self_uri(cfg, top + n);
		memcpy(top + n, ";" DP_PIN_PARAM "=", sizeof(DP_PIN_PARAM) + 1);
		n += sizeof(DP_PIN_PARAM) + 1;
		n += dp_sip_pin(cfg, buf, msg, how->pin, how->pin_name, top + n);
		memcpy(top + n, ">\r\n", 3);
		n += 3;
	} else if (how != NULL && how->add_path && msg->method == SIP_METHOD_REGISTER) {
		/* RFC 3327 4: requests for the registered contact come back through us. */
		memcpy(top + n, "Path: ", 6);
		n += 6;
		n += self_uri(cfg, top + n);
		memcpy(top + n, ">\r\n", 3);
		n += 3;
	}
	edit_add(&l, at, 0, top, (uint32_t)n);

	/* RFC 3261 16.4: a Route naming us was for us; loose routing pops it. */
	if (msg->has_route && route_is_self(cfg, buf, msg->route))
		plan_route_pop(buf, msg, &l);
	plan_max_forwards(buf, msg, &mf);

	via_fix_plan(buf, &msg->top_via, src, &fx);
	via_fix_edits(&fx, &l);

	/* RFC 3261 18.3: bytes after the message are not relayed. */
	uint32_t mf_at = 0;
	int rc;
	if (l.n == 1) {
		if (mf.n != 0 && !mf_place(&mf, &l, &mf_at))
			return -DP_SIP_ERR_NO_ROOM;
		/* the insert is our top lines: the sum of their constant head is kept in cfg, only
		 * the MAC's hex digits and what follows them are summed here */
		int32_t top_sum = -1;
		const uint32_t hex_at = cfg->via_head_len + (uint32_t)sizeof(DP_BRANCH_PREFIX) - 1;
		if (b->sum_valid && l.e[0].ins == top && n <= hex_at + 32) {
			/* our Via line alone (the commonest): a length known here, summed unrolled
			 */
			const uint32_t via_rest = DP_BRANCH_MAC_HEX + 2;
			uint16_t rest = n - hex_at == via_rest
			                    ? dp_sum16_small(top + hex_at, via_rest)
			                    : dp_sum16_small(top + hex_at, n - hex_at);
			top_sum = dp_sum16_add(cfg->via_fixed_sum,
			                       (hex_at & 1) ? dp_sum16_swap(rest) : rest);
		}
		if (l.e[0].del != 0 || !insert_before_rest(b, msg_len, l.e[0].off, l.e[0].ins,
		                                           l.e[0].ins_len, top_sum))
			rc = edit_apply_one(b, msg_len, l.e[0].off, l.e[0].del, l.e[0].ins,
			                    l.e[0].ins_len, top_sum, -1);
		else
			rc = DP_SIP_OK;
	} else {
		if (mf.n != 0 && !mf_place(&mf, &l, &mf_at))
			return -DP_SIP_ERR_NO_ROOM;
		rc = edits_apply(b, msg_len, &l);
	}
	if (rc == DP_SIP_OK && mf.n != 0)
		mf_write(&mf, b, mf_at);
	return rc;
}

int dp_sip_forward_request(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b,
                           const struct sip_msg *msg, const struct dp_sip_peer *src)
{
	return dp_sip_forward(cfg, b, msg, src, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * Requests from a backend towards a user agent
 */

/* End of a header value starting at i: the CRLF not followed by SP/HTAB (folding), or end. */
static uint32_t value_end(const char *buf, uint32_t i, uint32_t end)
{
	while (i < end) {
		if (buf[i] == '\n' && !(i + 1 < end && is_wsp(buf[i + 1])))
			return i > 0 && buf[i - 1] == '\r' ? i - 1 : i;
		i++;
	}
	return end;
}

/* One name-addr value of a Route list starting at i (LWS skipped): up to the ',' after its '>'. */
static struct sip_str route_value_at(const char *buf, uint32_t i, uint32_t end)
{
	uint32_t j = i;
	bool in_uri = false;

	/* up to the ',' that ends the value: not one in a quoted display name or in the <URI> */
	while (j < end && (in_uri || buf[j] != ',')) {
		if (buf[j] == '"' && !in_uri) {
			j = skip_quoted(buf, j, end);
			continue;
		}
		if (buf[j] == '<')
			in_uri = true;
		else if (buf[j] == '>')
			in_uri = false;
		j++;
	}
	return (struct sip_str){.off = i, .len = j - i};
}

/*
 * The Route value after the first one: the next element on the first Route's line, else the
 * first value of the next Route header line. false when there is none.
 */
static bool second_route(const char *buf, const struct sip_msg *msg, struct sip_str *out)
{
	uint32_t line_end = msg->route_line.off + msg->route_line.len;
	uint32_t i = skip_lws(buf, msg->route.off + msg->route.len, line_end);
	uint32_t vend = value_end(buf, i, line_end);

	while (i < vend && buf[i] == ',')
		i = skip_lws(buf, i + 1, vend);
	if (i < vend && i > msg->route.off + msg->route.len) {
		*out = route_value_at(buf, i, vend);
		return true;
	}
	/* Later header lines: "Route" HCOLON value (Route has no compact form). */
	for (i = line_end; i < msg->headers_end;) {
		uint32_t eol = value_end(buf, i, msg->headers_end);
		uint32_t name_end = i;
		while (name_end < eol && buf[name_end] != ':' && !is_wsp(buf[name_end]))
			name_end++;
		uint32_t colon = skip_lws(buf, name_end, eol);
		if (colon < eol && buf[colon] == ':' && eq_nocase(buf + i, name_end - i, "route")) {
			uint32_t v = skip_lws(buf, colon + 1, eol);
			while (v < eol && buf[v] == ',')
				v = skip_lws(buf, v + 1, eol);
			if (v < eol) {
				*out = route_value_at(buf, v, eol);
				return true;
			}
		}
		i = eol;
		while (i < msg->headers_end && (buf[i] == '\r' || buf[i] == '\n'))
			i++;
	}
	return false;
}

/* The destination a sip: URI names: its IP literal host and port (RFC 3263 is not done here). */
static int uri_target(const struct dp_sip_cfg *cfg, const char *p, uint32_t len,
                      struct lb_addr *addr)
{
	struct uri_parts u;

	if (!uri_parse(p, len, true, &u) || u.host_end == u.host)
		return -DP_SIP_ERR_ROUTE_TARGET;
	if (!ip_parse(p + u.host, u.host_end - u.host, addr)) {
		/* no resolver on the data path: a host name is refused, counted apart */
		return p[u.host] == '[' ? -DP_SIP_ERR_ROUTE_TARGET : -DP_SIP_ERR_ROUTE_HOST_NAME;
	}
	addr->port = (uint16_t)u.port;
	/* never to ourselves (a loop) nor to where no stateless element may send */
	if (ip_unusable(addr) || ip_is_vip(cfg, addr))
		return -DP_SIP_ERR_ROUTE_TARGET;
	return DP_SIP_OK;
}

int dp_sip_forward_outbound(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b,
                            const struct sip_msg *msg, const struct dp_sip_peer *src,
                            const struct dp_sip_fwd *how, struct dp_sip_peer *next)
{
	const char *buf = b->data;
	struct lb_addr addr;
	struct sip_str route;
	uint32_t off, len;
	int rc;

	memset(&addr, 0, sizeof(addr));
	if (dp_sip_route_is_self(cfg, buf, msg) ? second_route(buf, msg, &route)
	                                        : (route = msg->route, msg->has_route)) {
		/* RFC 3261 16.12: the next Route is the next hop */
		if (!name_addr_uri(buf, route, &off, &len))
			return -DP_SIP_ERR_ROUTE_TARGET;
		rc = uri_target(cfg, buf + off, len, &addr);
	} else {
		rc = uri_target(cfg, buf + msg->request_uri.off, msg->request_uri.len, &addr);
	}
	if (rc != DP_SIP_OK)
		return rc;
	rc = dp_sip_forward(cfg, b, msg, src, how);
	if (rc != DP_SIP_OK)
		return rc;
	next->addr = addr;
	return DP_SIP_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Response relay
 */

static inline __attribute__((always_inline)) bool
via_is_self(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_via *via)
{
	struct lb_addr host;
	const size_t plen = sizeof(DP_BRANCH_PREFIX) - 1;

	/* Our own Via names the host as cfg->self_host spells it: compare the text, and parse only
	 * when it differs (a backend may have respelled it, e.g. an IPv6 form). */
	if (via->host.len != cfg->self_host_len ||
	    !text_equal(buf + via->host.off, cfg->self_host, cfg->self_host_len)) {
		if (!via_host_ip(buf, via, &host) || !ip_equal(&host, &cfg->self))
			return false;
	}
	if ((via->port ? via->port : SIP_DEFAULT_PORT) != cfg->self.port)
		return false;
	return via->has_branch && via->branch.len >= plen &&
	       memcmp(buf + via->branch.off, DP_BRANCH_PREFIX, plen) == 0;
}

/*
 * The sum (at an even offset) of the top Via line when it is spelled as dp_sip_forward() wrote
 * it: cfg->via_head, the branch (its MAC checked already), CRLF. The constant part's sum is kept
 * in cfg (via_fixed_sum), only the MAC's hex digits and the CRLF are summed here. -1 when the
 * line is spelled otherwise (the deletion then sums the bytes it removes).
 */
static inline __attribute__((always_inline)) int32_t our_via_line_sum(const struct dp_sip_cfg *cfg,
                                                                      const char *buf,
                                                                      struct sip_str line,
                                                                      struct sip_str branch)
{
	const uint32_t head = cfg->via_head_len;
	const uint32_t hex_at = head + (uint32_t)sizeof(DP_BRANCH_PREFIX) - 1;
	const uint32_t rest = DP_BRANCH_LEN - ((uint32_t)sizeof(DP_BRANCH_PREFIX) - 1) + 2;
	const char *p = buf + line.off;

	if (line.len != head + DP_BRANCH_LEN + 2 || branch.off != line.off + head ||
	    branch.len != DP_BRANCH_LEN || p[line.len - 2] != '\r' || p[line.len - 1] != '\n' ||
	    !head_equal(p, cfg->via_head, head))
		return -1;
	uint16_t s = dp_sum16_small(p + hex_at, rest);
	return dp_sum16_add(cfg->via_fixed_sum, (hex_at & 1) ? dp_sum16_swap(s) : s);
}

/*
 * The next hop of a response from the Via below ours (RFC 3261 18.2.2, RFC 3581 4). quad: its
 * destination (received, else sent-by) already parsed when that is a dotted quad, else NULL;
 * the caller has refused it already when it is unusable.
 */
static int next_hop(const char *buf, const struct sip_via *via, const uint8_t *quad,
                    struct dp_sip_peer *next)
{
	struct lb_addr addr;

	memset(&addr, 0, sizeof(addr));
	if (quad != NULL && (via->has_received || via->host_kind != SIP_HOST_NAME)) {
		/* what ip_parse() makes of it, checked usable by the caller */
		addr.family = AF_INET;
		memcpy(addr.v4, quad, 4);
	} else {
		if (via->has_received) {
			if (!ip_parse(sip_str_ptr(buf, via->received), via->received.len, &addr))
				return -DP_SIP_ERR_NO_NEXT_VIA;
		} else if (via->host_kind == SIP_HOST_NAME) {
			return -DP_SIP_ERR_NEXT_HOP_NAME;
		} else if (!via_host_ip(buf, via, &addr)) {
			return -DP_SIP_ERR_NO_NEXT_VIA;
		}
		if (ip_unusable(&addr))
			return -DP_SIP_ERR_NO_NEXT_VIA;
	}
	addr.port = via->rport ? via->rport : via->port ? via->port : SIP_DEFAULT_PORT;
	next->addr = addr;
	return DP_SIP_OK;
}

int dp_sip_via_next_hop(const char *buf, const struct sip_via *via, struct lb_addr *dest)
{
	struct dp_sip_peer next;
	int rc = next_hop(buf, via, NULL, &next);

	if (rc == DP_SIP_OK)
		*dest = next.addr;
	return rc;
}

int dp_sip_relay_response(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b,
                          const struct sip_msg *msg, struct dp_sip_peer *next)
{
	const char *buf = b->data;
	struct sip_via hop;
	struct dp_sip_peer target;
	char mac[DP_BRANCH_LEN];
	int rc;

	if (msg->via_count == 0 || !via_is_self(cfg, buf, &msg->top_via))
		return -DP_SIP_ERR_NOT_OUR_VIA;
	/*
	 * The Via below ours: the client's, parsed once for the MAC and the next hop. What
	 * sip_response_next_hop() checks, with the destination parsed once: a dotted quad here,
	 * anything else (IPv6, a name) by sip_response_next_hop() itself.
	 */
	if (msg->via_count < 2 || sip_via_parse(buf, msg->vias[1], &hop) != 0)
		return -DP_SIP_ERR_NO_NEXT_VIA;
	struct sip_str dest = hop.has_received ? hop.received : hop.host;
	uint8_t v4[4];
	bool quad = ipv4_parse(sip_str_ptr(buf, dest), dest.len, v4);
	if (quad ? ipv4_unusable(v4) : sip_response_next_hop(buf, msg, &hop) != 0)
		return -DP_SIP_ERR_NO_NEXT_VIA;
	rc = next_hop(buf, &hop, quad ? v4 : NULL, &target);
	if (rc != DP_SIP_OK)
		return rc;
	/* The MAC covers where the response goes: a received or rport changed on the way back
	 * no longer matches it. */
	branch_mac(cfg, buf, msg, &hop, &target.addr, mac);
	if (msg->top_via.branch.len != DP_BRANCH_LEN ||
	    !ct_equal(buf + msg->top_via.branch.off, mac, DP_BRANCH_LEN))
		return -DP_SIP_ERR_BAD_BRANCH_MAC;

	uint32_t line_end = msg->top_via_line.off + msg->top_via_line.len;
	if (msg->vias[1].off < line_end && msg->vias[1].off > msg->vias[0].off)
		/* "Via: ours, client": drop our value and its comma */
		rc = edit_apply_one(b, message_end(buf, b->len, msg), msg->vias[0].off,
		                    msg->vias[1].off - msg->vias[0].off, NULL, 0, -1, -1);
	else {
		uint32_t end = message_end(buf, b->len, msg);
		int32_t line_sum =
		    our_via_line_sum(cfg, buf, msg->top_via_line, msg->top_via.branch);
		if (!delete_before_rest(b, end, msg->top_via_line.off, msg->top_via_line.len,
		                        line_sum))
			rc = edit_apply_one(b, end, msg->top_via_line.off, msg->top_via_line.len,
			                    NULL, 0, -1, line_sum);
	}
	if (rc != DP_SIP_OK)
		return rc;
	*next = target;
	return DP_SIP_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Stateless replies
 */

struct out {
	char *p;
	size_t cap;
	size_t len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void put_cstr(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_u32(struct out *o, uint32_t v)
{
	char num[10];

	put(o, num, dec32(v, num));
}

static void put_header(struct out *o, const char *name, const char *buf, struct sip_str value)
{
	put_cstr(o, name);
	put(o, buf + value.off, value.len);
	put(o, "\r\n", 2);
}

/* The top Via value with received/rport added, as forwarding would write it. */
static void put_top_via(struct out *o, const char *buf, struct sip_str value,
                        const struct dp_sip_peer *src)
{
	struct sip_via via;
	struct via_fix fx;
	struct dp_edits l;
	uint32_t at = value.off;

	edits_init(&l);
	put_cstr(o, "Via: ");
	if (sip_via_parse(buf, value, &via) == 0) {
		via_fix_plan(buf, &via, src, &fx);
		via_fix_edits(&fx, &l);
	}
	for (unsigned k = 0; k < l.n; k++) {
		put(o, buf + at, l.e[k].off - at);
		put(o, l.e[k].ins, l.e[k].ins_len);
		at = l.e[k].off + l.e[k].del;
	}
	put(o, buf + at, value.off + value.len - at);
	put(o, "\r\n", 2);
}

void dp_sip_reply_dest(const char *req_buf, const struct sip_msg *req,
                       const struct dp_sip_peer *src, struct dp_sip_peer *dest)
{
	struct sip_via via;

	*dest = *src;
	if (req->via_count != 0 && req->vias[0].len != 0 &&
	    sip_via_parse(req_buf, req->vias[0], &via) == 0)
		dp_sip_response_dest(&via, src, &dest->addr);
}

int dp_sip_build_reply(const struct dp_sip_cfg *cfg, const char *req_buf, const struct sip_msg *req,
                       const struct dp_sip_peer *src, int code, char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap, .len = 0, .full = false};
	unsigned nvias = req->via_count < SIP_MAX_VIAS ? req->via_count : SIP_MAX_VIAS;

	if (code < 100 || code > 699)
		return -DP_SIP_ERR_REPLY_CODE;
	if (nvias == 0 || req->vias[0].len == 0)
		return -DP_SIP_ERR_REPLY_NO_VIA;

	put_cstr(&o, "SIP/2.0 ");
	put_u32(&o, (uint32_t)code);
	put(&o, " ", 1);
	put_cstr(&o, dp_sip_reason(code));
	put(&o, "\r\n", 2);
	/* RFC 3261 8.2.6.2: every Via, in order; 18.2.1 / RFC 3581: received and rport on top. */
	put_top_via(&o, req_buf, req->vias[0], src);
	for (unsigned i = 1; i < nvias; i++)
		if (req->vias[i].len != 0)
			put_header(&o, "Via: ", req_buf, req->vias[i]);
	if (req->from.len != 0)
		put_header(&o, "From: ", req_buf, req->from);
	if (req->to.len != 0) {
		put_cstr(&o, "To: ");
		put(&o, req_buf + req->to.off, req->to.len);
		if (req->to_tag.len == 0) {
			/* RFC 3261 8.2.6.2: a To tag of our own, the same for every retransmission
			 */
			char tag[DP_REPLY_TAG_HEX];
			reply_to_tag(cfg, req_buf, req, tag);
			put_cstr(&o, ";tag=");
			put(&o, tag, sizeof(tag));
		}
		put(&o, "\r\n", 2);
	}
	if (req->call_id.len != 0)
		put_header(&o, "Call-ID: ", req_buf, req->call_id);
	if (req->cseq_value.len != 0)
		put_header(&o, "CSeq: ", req_buf, req->cseq_value);
	if (code == 503 && cfg->retry_after != 0) {
		put_cstr(&o, "Retry-After: ");
		put_u32(&o, cfg->retry_after);
		put(&o, "\r\n", 2);
	}
	put_cstr(&o, "Server: sipsteer\r\nContent-Length: 0\r\n\r\n");
	if (o.full || o.len > INT32_MAX)
		return -DP_SIP_ERR_REPLY_TOO_BIG;
	return (int)o.len;
}
