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

/* The 0..7 bytes at p as the low bytes of a little-endian word, the rest zero. */
static inline uint64_t load_tail(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void sip_round(uint64_t *v0, uint64_t *v1, uint64_t *v2, uint64_t *v3)
{
	*v0 += *v1;
	*v1 = rotl64(*v1, 13);
	*v1 ^= *v0;
	*v0 = rotl64(*v0, 32);
	*v2 += *v3;
	*v3 = rotl64(*v3, 16);
	*v3 ^= *v2;
	*v0 += *v3;
	*v3 = rotl64(*v3, 21);
	*v3 ^= *v0;
	*v2 += *v1;
	*v1 = rotl64(*v1, 17);
	*v1 ^= *v2;
	*v2 = rotl64(*v2, 32);
}

static inline void compress(struct dp_siphash *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(&s->v0, &s->v1, &s->v2, &s->v3);
	sip_round(&s->v0, &s->v1, &s->v2, &s->v3);
	s->v0 ^= m;
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

void dp_siphash_update(struct dp_siphash *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->total += len;
	/* Complete a word started by an earlier update. */
	if (s->ntail != 0) {
		size_t take = 8 - s->ntail < len ? 8 - s->ntail : len;
		s->tail |= load_tail(p, take) << (8 * s->ntail);
		s->ntail += (unsigned)take;
		p += take;
		len -= take;
		if (s->ntail < 8)
			return;
		compress(s, s->tail);
		s->tail = 0;
		s->ntail = 0;
	}
	for (; len >= 8; p += 8, len -= 8)
		compress(s, load_le64(p));
	if (len != 0) {
		s->tail = load_tail(p, len);
		s->ntail = (unsigned)len;
	}
}

uint64_t dp_siphash_final(const struct dp_siphash *s)
{
	struct dp_siphash f = *s;
	/* Last word: the remaining bytes, and the input length mod 256 in the top byte. */
	uint64_t m = f.tail | (f.total & 0xff) << 56;

	compress(&f, m);
	f.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&f.v0, &f.v1, &f.v2, &f.v3);
	return f.v0 ^ f.v1 ^ f.v2 ^ f.v3;
}

/* One-shot form: the state stays in registers, no partial-word bookkeeping. */
uint64_t dp_siphash24(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = key[0] ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = key[1] ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = key[0] ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = key[1] ^ UINT64_C(0x7465646279746573);
	uint64_t m;
	size_t left = len;

	for (; left >= 8; p += 8, left -= 8) {
		m = load_le64(p);
		v3 ^= m;
		sip_round(&v0, &v1, &v2, &v3);
		sip_round(&v0, &v1, &v2, &v3);
		v0 ^= m;
	}
	/* Last word: the remaining bytes, and the input length mod 256 in the top byte. */
	m = load_tail(p, left) | (uint64_t)(len & 0xff) << 56;
	v3 ^= m;
	sip_round(&v0, &v1, &v2, &v3);
	sip_round(&v0, &v1, &v2, &v3);
	v0 ^= m;
	v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&v0, &v1, &v2, &v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
