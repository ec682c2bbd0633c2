/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Line scanners: offset of the first CR or LF in buf[p..end), or end when there is none.
 * Three builds of the same function: SWAR scalar, SSE4.2 (PCMPESTRI over the set {CR, LF}) and
 * AVX2 (two byte compares per 32 bytes). None reads outside buf[p..end): the vector loops stop
 * when a full vector no longer fits and the tail goes through the scalar loop, so a message
 * placed against a guard page is safe.
 */
#ifndef SIPSTEER_SIP_SCAN_H
#define SIPSTEER_SIP_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SIP_SCAN_X86 1
#endif

static inline __attribute__((always_inline)) size_t sip_scan_eol_scalar(const char *buf, size_t p,
                                                                        size_t end)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	while (p + 8 <= end) {
		uint64_t w;
		memcpy(&w, buf + p, 8);
		uint64_t cr = w ^ (ones * '\r'), lf = w ^ (ones * '\n');
		/* Exact zero-byte test (no false positives): high bit of each byte that was 0. */
		uint64_t zcr = ~(((cr & ~highs) + ~highs) | cr | ~highs);
		uint64_t zlf = ~(((lf & ~highs) + ~highs) | lf | ~highs);
		uint64_t hit = zcr | zlf;
		if (hit)
			return p + (size_t)(__builtin_ctzll(hit) >> 3);
		p += 8;
	}
	while (p < end && buf[p] != '\r' && buf[p] != '\n')
		p++;
	return p;
}

#ifdef SIP_SCAN_X86
static inline __attribute__((always_inline, target("sse4.2"))) size_t
sip_scan_eol_sse42(const char *buf, size_t p, size_t end)
{
	const __m128i set = _mm_setr_epi8('\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	while (p + 16 <= end) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
		int i = _mm_cmpestri(
		    set, 2, v, 16, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_LEAST_SIGNIFICANT);
		if (i != 16)
			return p + (size_t)i;
		p += 16;
	}
	return sip_scan_eol_scalar(buf, p, end);
}

static inline __attribute__((always_inline, target("avx2"))) size_t
sip_scan_eol_avx2(const char *buf, size_t p, size_t end)
{
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	while (p + 32 <= end) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(buf + p));
		__m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf));
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(hit);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
		p += 32;
	}
	if (p + 16 <= end) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
		                           _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
		uint32_t mask = (uint32_t)_mm_movemask_epi8(hit);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
		p += 16;
	}
	return sip_scan_eol_scalar(buf, p, end);
}
#endif

#endif
