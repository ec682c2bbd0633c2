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

/* The 0..15 bytes after the whole 16-byte steps, without a loop: 8, 4, 2 and 1 bytes. */
static inline uint64_t sum_tail(const uint8_t *p, size_t len, uint64_t sum)
{
	if (len >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof(w));
		sum += (w & 0xffffffff) + (w >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;
		memcpy(&w, p, sizeof(w));
		sum += w;
		p += 4;
		len -= 4;
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
	if (len != 0)
		sum += *p;
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
/* 32 bytes of zeros, then 32 of ones: 32 bytes from tail_keep + k keep the last k of 32. */
static const uint8_t tail_keep[64] = {[32 ... 63] = 0xff};

/*
 * The same sum 128 bytes a step. Each 16-bit word is biased by -0x8000 (its top bit flipped)
 * so that vpmaddwd, which reads words as signed, adds neighbours exactly into 32-bit lanes:
 * a lane gains at most 2 * 0x8000 in size a step, so it cannot overflow for any datagram (it
 * would take 32,768 steps of 32 bytes). The bias is added back once at the end: 0x8000 for
 * every word summed. Three instructions per 32 bytes besides the load.
 */
__attribute__((target("avx2"))) static uint16_t raw_cksum_avx2(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	if (len >= 32) {
		const __m256i flip = _mm256_set1_epi16((short)0x8000);
		const __m256i one = _mm256_set1_epi16(1);
		__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
		/* the words of the whole 32-byte steps, and of the one for the tail below */
		size_t words = (len / 32) * 16 + 16;

#define SUM32V(acc, v)                                                                             \
	acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_xor_si256(v, flip), one))
#define SUM32(acc, at) SUM32V(acc, _mm256_loadu_si256((const __m256i *)(const void *)(at)))
		for (; len >= 128; p += 128, len -= 128) {
			SUM32(a0, p);
			SUM32(a1, p + 32);
			SUM32(a2, p + 64);
			SUM32(a3, p + 96);
		}
		for (; len >= 32; p += 32, len -= 32)
			SUM32(a0, p);
		/*
		 * The 0..31 bytes left, without a loop: their whole words from one load of the 32
		 * bytes that end with them, the bytes in front (summed already, and inside the
		 * buffer: at least 32 bytes were) masked to zero words, which add nothing once the
		 * bias is back. An odd last byte is added apart, as its word's low-address half.
		 */
		size_t even = len & ~(size_t)1;
		__m256i keep =
		    _mm256_loadu_si256((const __m256i *)(const void *)(tail_keep + even));
		__m256i last = _mm256_loadu_si256((const __m256i *)(const void *)(p + even - 32));
		SUM32V(a1, _mm256_and_si256(last, keep));
#undef SUM32
#undef SUM32V
		__m256i a = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
		__m128i h =
		    _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
		__m128i q =
		    _mm_add_epi64(_mm_cvtepi32_epi64(h), _mm_cvtepi32_epi64(_mm_srli_si128(h, 8)));
		int64_t lanes = _mm_cvtsi128_si64(q) + _mm_extract_epi64(q, 1);
		sum = (uint64_t)(lanes + (int64_t)words * 0x8000);
		if (len & 1)
			sum += p[even];
		return fold64(sum);
	}
	if (len >= 16) {
		uint64_t w[2];
		memcpy(w, p, sizeof(w));
		sum += (w[0] & 0xffffffff) + (w[0] >> 32) + (w[1] & 0xffffffff) + (w[1] >> 32);
		p += 16;
		len -= 16;
	}
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
