/* SPDX-License-Identifier: BSD-3-Clause */
/* The Internet checksum's 16-bit one's complement sum (RFC 1071), with AVX2 where the CPU has it.
 */
#include <stdbool.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cksum.h"

/* Fold a 64-bit sum of 32-bit words to the 16-bit one's complement sum. */
static inline uint16_t fold64(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The bytes after the whole 16-byte steps: 32-bit words, then 0..3 bytes. */
static inline uint64_t sum_tail(const uint8_t *p, size_t len, uint64_t sum)
{
	for (; len >= 4; p += 4, len -= 4) {
		uint32_t w;
		memcpy(&w, p, sizeof(w));
		sum += w;
	}
	/* 0..3 bytes left: 16-bit words in memory order, a last odd byte as its low-address half
	 * (as rte_raw_cksum reads it). */
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, sizeof(h));
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len != 0) {
		uint16_t h = 0;
		memcpy(&h, p, 1);
		sum += h;
	}
	return sum;
}

/*
 * 32-bit words into a 64-bit sum: carries wait in the top half until the fold (RFC 1071 2(C), a
 * sum over wider words folds to the same 16-bit one's complement sum).
 */
uint16_t dp_sum16_scalar(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t sum = 0;

	for (; len >= 16; p += 16, len -= 16) {
		uint32_t w[4];
		memcpy(w, p, sizeof(w));
		sum += (uint64_t)w[0] + w[1] + w[2] + w[3];
	}
	return fold64(sum_tail(p, len, sum));
}

#if defined(__x86_64__)
/*
 * The same sum 64 bytes a step: each 32-bit word widened into a 64-bit lane (unpack with zero)
 * and added there, so no lane can overflow; the lanes are added up at the end. About four
 * times fewer instructions than the scalar loop on a 500-byte message.
 */
__attribute__((target("avx2"))) static uint16_t raw_cksum_avx2(const uint8_t *p, size_t len)
{
	const __m256i zero = _mm256_setzero_si256();
	__m256i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
	uint64_t sum = 0;

	for (; len >= 64; p += 64, len -= 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
		a0 = _mm256_add_epi64(a0, _mm256_unpacklo_epi32(v0, zero));
		a1 = _mm256_add_epi64(a1, _mm256_unpackhi_epi32(v0, zero));
		a2 = _mm256_add_epi64(a2, _mm256_unpacklo_epi32(v1, zero));
		a3 = _mm256_add_epi64(a3, _mm256_unpackhi_epi32(v1, zero));
	}
	if (len >= 32) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
		a0 = _mm256_add_epi64(a0, _mm256_unpacklo_epi32(v0, zero));
		a1 = _mm256_add_epi64(a1, _mm256_unpackhi_epi32(v0, zero));
		p += 32;
		len -= 32;
	}
	if (len >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m256i w = _mm256_cvtepu32_epi64(v);
		a2 = _mm256_add_epi64(a2, w);
		p += 16;
		len -= 16;
	}
	__m256i a = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
	__m128i h = _mm_add_epi64(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
	sum = (uint64_t)_mm_cvtsi128_si64(h) + (uint64_t)_mm_extract_epi64(h, 1);
	return fold64(sum_tail(p, len, sum));
}

static bool have_avx2;

__attribute__((constructor)) static void raw_cksum_pick(void)
{
	__builtin_cpu_init();
	have_avx2 = __builtin_cpu_supports("avx2");
}
#endif

uint16_t dp_sum16(const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (have_avx2)
		return raw_cksum_avx2(buf, len);
#endif
	return dp_sum16_scalar(buf, len);
}
