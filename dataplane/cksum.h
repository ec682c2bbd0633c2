/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 16-bit one's complement sum of the Internet checksum (RFC 1071, RFC 1624), not
 * complemented, and the arithmetic to update one incrementally. Pure C: no DPDK headers.
 */
#ifndef SIPSTEER_CKSUM_H
#define SIPSTEER_CKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The sum of buf[0..len) as 16-bit words in memory order (little-endian loads, the value
 * rte_raw_cksum gives), an odd last byte padded with a zero byte. AVX2 where the CPU has it.
 */
uint16_t dp_sum16(const void *buf, size_t len);
/* The same by the portable loop, whatever the CPU offers (tests compare the two). */
uint16_t dp_sum16_scalar(const void *buf, size_t len);

/*
 * dp_sum16 for a few bytes (a header, an address): 32-bit words into a 64-bit sum, inline, so
 * that a length known at compile time unrolls into a handful of adds.
 */
static inline uint16_t dp_sum16_small(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = 0;

	for (; len >= 4; p += 4, len -= 4) {
		uint32_t w;
		memcpy(&w, p, sizeof(w));
		s += w;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, sizeof(h));
		s += h;
		p += 2;
		len -= 2;
	}
	if (len != 0)
		s += *p;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* a + b in one's complement. */
static inline uint16_t dp_sum16_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;
	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* a - b in one's complement: a plus the complement of b. */
static inline uint16_t dp_sum16_sub(uint16_t a, uint16_t b)
{
	return dp_sum16_add(a, (uint16_t)~b);
}

/*
 * The sum of bytes that sit one byte further (or nearer): every byte changes half of its word,
 * so the sum is the byte-swapped one (RFC 1071 2(B)).
 */
static inline uint16_t dp_sum16_swap(uint16_t s)
{
	return (uint16_t)((s << 8) | (s >> 8));
}

/* The sum of len bytes at buf that sit at an odd (odd != 0) or even offset of the datagram. */
static inline uint16_t dp_sum16_at(const void *buf, size_t len, uint32_t odd)
{
	/* a few bytes (a Max-Forwards digit, an rport) are summed inline, no call */
	uint16_t s = len <= 16 ? dp_sum16_small(buf, len) : dp_sum16(buf, len);
	return odd ? dp_sum16_swap(s) : s;
}

#endif
