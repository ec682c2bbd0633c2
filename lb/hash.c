/* SPDX-License-Identifier: BSD-3-Clause */
/* lb_hash: a seeded 64-bit multiply-fold hash of key bytes, and the request key it is fed. */
#include <string.h>

#include "lb.h"

/* Odd 64-bit constants with well-spread bits (golden ratio and three large primes). */
#define K0 0x9e3779b97f4a7c15ull
#define K1 0xc2b2ae3d27d4eb4full
#define K2 0x165667b19e3779f9ull
#define K3 0xd6e8feb86659fd93ull

/* Explicit little-endian loads: the same hash on every machine. */
static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint64_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* Full 64x64->128 product folded to 64 bits: every input bit reaches the middle output bits. */
static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t lb_hash(const void *key, size_t len, uint64_t seed)
{
	const uint8_t *p = key;
	size_t n = len;
	uint64_t h = fold_mul(seed ^ K0, (uint64_t)len ^ K1);
	uint64_t a, b;

	while (n > 16) {
		/*
		 * The state is xored back after the multiply so that a block that happens to
		 * cancel a constant (product 0) cannot erase what came before it.
		 */
		h ^= fold_mul(load64(p) ^ K2, load64(p + 8) ^ h ^ K3);
		p += 16;
		n -= 16;
	}
	/* 0..16 bytes left: overlapping loads cover them without a byte loop. */
	if (n > 8) {
		a = load64(p);
		b = load64(p + n - 8);
	} else if (n >= 4) {
		a = load32(p);
		b = load32(p + n - 4);
	} else if (n > 0) {
		a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n / 2] << 8) | p[n - 1];
		b = 0;
	} else {
		a = 0;
		b = 0;
	}
	h ^= fold_mul(a ^ K2, b ^ h ^ K3);
	return fold_mul(h ^ K1, (uint64_t)len ^ K0);
}

/* The URI of a From/To value: inside < > (skipping a quoted display name), else up to ';'. */
static struct sip_str header_uri(const char *buf, struct sip_str v)
{
	const char *s = buf + v.off;
	uint32_t i = 0, start, end;
	bool quoted = false;

	while (i < v.len) {
		if (s[i] == '"') {
			quoted = true;
			/* RFC 3261 25.1 quoted-string: a backslash escapes the next byte. */
			for (i++; i < v.len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (s[i] == '<') {
			start = ++i;
			while (i < v.len && s[i] != '>')
				i++;
			return (struct sip_str){v.off + start, i - start};
		}
		i++;
	}
	/* A display name without <URI>, or an unterminated quote: no URI to hash. */
	if (quoted)
		return (struct sip_str){v.off, 0};
	/* addr-spec form: header parameters start at the first ';' (RFC 3261 20.20). */
	for (start = 0; start < v.len && (s[start] == ' ' || s[start] == '\t'); start++)
		;
	for (end = start; end < v.len && s[end] != ';'; end++)
		;
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	return (struct sip_str){v.off + start, end - start};
}

uint64_t lb_key_hash(const struct lb_set *set, const char *buf, const struct sip_msg *msg)
{
	enum lb_key key = LB_KEY_CALL_ID;
	struct sip_str v = msg->call_id;

	if ((unsigned)msg->method < SIP_METHOD_COUNT)
		key = set->key_by_method[msg->method];
	if (key == LB_KEY_TO_URI && !sip_str_empty(msg->to_uri))
		v = msg->to_uri;
	else if (key == LB_KEY_FROM_URI && !sip_str_empty(msg->from)) {
		struct sip_str uri = header_uri(buf, msg->from);

		if (!sip_str_empty(uri))
			v = uri;
	}
	return lb_hash(buf + v.off, v.len, set->seed);
}
