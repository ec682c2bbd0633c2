/* SPDX-License-Identifier: BSD-3-Clause */
/* SipHash-2-4: two compression rounds per 8-byte word, four finalisation rounds. */
#include "siphash.h"

#include <string.h>

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, p, sizeof(v)); /* one unaligned load */
	return v;
#else
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	       (uint64_t)p[7] << 56;
#endif
}

/*
 * The 0..7 bytes at p as the low bytes of a little-endian word, the rest zero. Reads only
 * p[0..len): two overlapping loads rather than a byte loop (the bytes both read are the same).
 */
static inline uint64_t load_tail(const uint8_t *p, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, p, sizeof(lo));
		memcpy(&hi, p + len - 4, sizeof(hi));
		return (uint64_t)lo | (uint64_t)hi << (8 * (len - 4));
	}
	if (len >= 2) {
		uint16_t lo, hi;
		memcpy(&lo, p, sizeof(lo));
		memcpy(&hi, p + len - 2, sizeof(hi));
		return (uint64_t)lo | (uint64_t)hi << (8 * (len - 2));
	}
	return len != 0 ? p[0] : 0;
#else
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
#endif
}

#define SIPROUND(v0, v1, v2, v3)                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl64(v1, 13);                                                               \
		v1 ^= v0;                                                                          \
		v0 = rotl64(v0, 32);                                                               \
		v2 += v3;                                                                          \
		v3 = rotl64(v3, 16);                                                               \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl64(v3, 21);                                                               \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl64(v1, 17);                                                               \
		v1 ^= v2;                                                                          \
		v2 = rotl64(v2, 32);                                                               \
	} while (0)

/* One input word m: two compression rounds. */
#define COMPRESS(v0, v1, v2, v3, m)                                                                \
	do {                                                                                       \
		v3 ^= (m);                                                                         \
		SIPROUND(v0, v1, v2, v3);                                                          \
		SIPROUND(v0, v1, v2, v3);                                                          \
		v0 ^= (m);                                                                         \
	} while (0)

/* The last word (the 0..7 bytes left, the input length mod 256 in the top byte) and the four
 * finalisation rounds. */
static inline __attribute__((always_inline)) uint64_t
finish(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3, uint64_t tail, uint64_t total)
{
	uint64_t m = tail | (total & 0xff) << 56;

	COMPRESS(v0, v1, v2, v3, m);
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

void dp_siphash_key(uint64_t key[2], const uint8_t bytes[16])
{
	key[0] = load_le64(bytes);
	key[1] = load_le64(bytes + 8);
}

void dp_siphash_init(struct dp_siphash *s, const uint64_t key[2])
{
	/* "somepseudorandomlygeneratedbytes" */
	s->v0 = key[0] ^ UINT64_C(0x736f6d6570736575);
	s->v1 = key[1] ^ UINT64_C(0x646f72616e646f6d);
	s->v2 = key[0] ^ UINT64_C(0x6c7967656e657261);
	s->v3 = key[1] ^ UINT64_C(0x7465646279746573);
	s->tail = 0;
	s->total = 0;
	s->ntail = 0;
}

/*
 * Words are taken straight from data: when earlier input left `ntail` bytes pending, each 8
 * bytes read complete the pending word and leave as many pending, so no byte is handled alone.
 */
void dp_siphash_update(struct dp_siphash *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3, tail = s->tail;
	unsigned shift = 8 * s->ntail; /* 0..56; tail holds ntail bytes, the rest zero */

	s->total += len;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w = load_le64(p), m = tail | w << shift;
		COMPRESS(v0, v1, v2, v3, m);
		tail = shift != 0 ? w >> (64 - shift) : 0;
	}
	uint64_t w = load_tail(p, len);
	tail |= w << shift;
	shift += 8 * (unsigned)len;
	if (shift >= 64) {
		COMPRESS(v0, v1, v2, v3, tail);
		shift -= 64;
		tail = w >> (8 * len - shift); /* the bytes of w past the completed word */
	}
	s->v0 = v0;
	s->v1 = v1;
	s->v2 = v2;
	s->v3 = v3;
	s->tail = tail;
	s->ntail = shift / 8;
}

uint64_t dp_siphash_final(const struct dp_siphash *s)
{
	return finish(s->v0, s->v1, s->v2, s->v3, s->tail, s->total);
}

/* One-shot form: the state stays in registers, no partial-word bookkeeping. */
uint64_t dp_siphash24(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = key[0] ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = key[1] ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = key[0] ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = key[1] ^ UINT64_C(0x7465646279746573);
	size_t left = len;

	for (; left >= 8; p += 8, left -= 8) {
		uint64_t m = load_le64(p);
		COMPRESS(v0, v1, v2, v3, m);
	}
	return finish(v0, v1, v2, v3, load_tail(p, left), len);
}
