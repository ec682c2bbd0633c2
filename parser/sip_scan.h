/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIMD scanners of the parser. Included by the three builds of sip_parse_core.h, each with one
 * of SIP_VARIANT_SCALAR, SIP_VARIANT_SSE42 or SIP_VARIANT_AVX2 defined, and by tests (tables
 * only).
 *
 * - sip_scan_eol(): first CR or LF (SWAR 8 bytes, SSE4.2 PCMPESTRI 16, AVX2 two compares 32).
 * - sip_skip_class() / sip_find_class(): first byte outside / inside a character class. Each
 *   class is a 16-byte table indexed by the low nibble whose bit h says "h<<4 | low is in the
 *   class" (ASCII only), so membership of 16 or 32 bytes is two PSHUFB, an AND and a compare.
 *
 * None reads outside buf[p..end): vector loops stop when a full vector no longer fits and the
 * tail goes through the scalar loop, so a message placed against a guard page is safe.
 */
#ifndef SIPSTEER_SIP_SCAN_H
#define SIPSTEER_SIP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip_internal.h"

struct sip_class {
	uint16_t bit;   /* the same set in sip_cc[] */
	uint8_t lo[16]; /* nibble table, see above */
};

/* Generated from the sets in sip_names.c; tests/test_parser.c checks all 256 bytes. */
static const struct sip_class sip_class_token = {SIP_CC_TOKEN,
                                                 {0xe8, 0xfc, 0xf8, 0xf8, 0xf8, 0xfc, 0xf8, 0xfc,
                                                  0xf8, 0xf8, 0xf4, 0x54, 0x50, 0x54, 0xd4, 0x70}};
static const struct sip_class sip_class_word = {SIP_CC_WORD,
                                                {0xf8, 0xfc, 0xfc, 0xf8, 0xf8, 0xfc, 0xf8, 0xfc,
                                                 0xfc, 0xfc, 0xfc, 0xf4, 0x78, 0xf4, 0xdc, 0x7c}};
static const struct sip_class sip_class_host = {SIP_CC_HOST,
                                                {0xa8, 0xf8, 0xf8, 0xf8, 0xf8, 0xf8, 0xf8, 0xf8,
                                                 0xf8, 0xf8, 0xf0, 0x50, 0x50, 0x54, 0x54, 0x70}};
static const struct sip_class sip_class_pvalue = {SIP_CC_PVALUE,
                                                  {0xe8, 0xfc, 0xf8, 0xf8, 0xf8, 0xfc, 0xf8, 0xfc,
                                                   0xf8, 0xf8, 0xfc, 0x74, 0x50, 0x74, 0xd4, 0x70}};
static const struct sip_class sip_class_visible = {SIP_CC_VISIBLE,
                                                   {0xf8, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc,
                                                    0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc, 0xfc,
                                                    0x7c}};
static const struct sip_class sip_class_via_sep = {
    SIP_CC_VIA_SEP, {0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0, 0}};
static const struct sip_class sip_class_name_sep = {
    SIP_CC_NAME_SEP, {0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0, 0}};

/* Whether byte c is in class cls by the nibble tables (what the SIMD scanners compute). */
static inline bool sip_class_has(const struct sip_class *cls, unsigned char c)
{
	return c < 0x80 && (cls->lo[c & 0x0f] & (1u << (c >> 4))) != 0;
}

#if defined(SIP_VARIANT_SSE42) || defined(SIP_VARIANT_AVX2)
#include <immintrin.h>
#endif

#if defined(SIP_VARIANT_SCALAR) || defined(SIP_VARIANT_SSE42) || defined(SIP_VARIANT_AVX2)

#define SIP_INLINE static inline __attribute__((always_inline)) SIP_TARGET

SIP_INLINE size_t sip_scan_eol_swar(const char *buf, size_t p, size_t end)
{
	const uint64_t ones = 0x0101010101010101ull, lows = 0x7f7f7f7f7f7f7f7full;
	while (p + 8 <= end) {
		uint64_t w;
		memcpy(&w, buf + p, 8);
		uint64_t cr = w ^ (ones * '\r'), lf = w ^ (ones * '\n');
		/* Exact zero-byte test (no false positives): high bit of each byte that was 0. */
		uint64_t hit =
		    ~(((cr & lows) + lows) | cr | lows) | ~(((lf & lows) + lows) | lf | lows);
		if (hit)
			return p + (size_t)(__builtin_ctzll(hit) >> 3);
		p += 8;
	}
	while (p < end && buf[p] != '\r' && buf[p] != '\n')
		p++;
	return p;
}

SIP_INLINE size_t sip_scan_eol(const char *buf, size_t p, size_t end)
{
#if defined(SIP_VARIANT_AVX2)
	const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
	while (p + 32 <= end) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(buf + p));
		__m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf));
		uint32_t mask = (uint32_t)_mm256_movemask_epi8(hit);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
		p += 32;
	}
#elif defined(SIP_VARIANT_SSE42)
	const __m128i set = _mm_setr_epi8('\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	while (p + 16 <= end) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
		int i = _mm_cmpestri(
		    set, 2, v, 16, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_LEAST_SIGNIFICANT);
		if (i != 16)
			return p + (size_t)i;
		p += 16;
	}
#endif
	return sip_scan_eol_swar(buf, p, end);
}

/* First byte in buf[p..end) whose membership in cls equals stop_on_member, or end. */
SIP_INLINE size_t sip_class_run(const char *buf, size_t p, size_t end, const struct sip_class *cls,
                                bool stop_on_member)
{
#if defined(SIP_VARIANT_AVX2)
	if (p + 32 <= end) {
		const __m256i lo = _mm256_broadcastsi128_si256(
		    _mm_loadu_si128((const __m128i *)(const void *)cls->lo));
		const __m256i hi =
		    _mm256_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4,
		                     8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
		const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
		do {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(buf + p));
			__m256i m = _mm256_and_si256(
			    _mm256_shuffle_epi8(lo, _mm256_and_si256(v, nib)),
			    _mm256_shuffle_epi8(hi,
			                        _mm256_and_si256(_mm256_srli_epi16(v, 4), nib)));
			uint32_t outside =
			    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, zero));
			uint32_t stop = stop_on_member ? ~outside : outside;
			if (stop)
				return p + (size_t)__builtin_ctz(stop);
			p += 32;
		} while (p + 32 <= end);
	}
#endif
#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
	if (p + 16 <= end) {
		const __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)cls->lo);
		const __m128i hi =
		    _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
		const __m128i nib = _mm_set1_epi8(0x0f), zero = _mm_setzero_si128();
		do {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
			__m128i m = _mm_and_si128(
			    _mm_shuffle_epi8(lo, _mm_and_si128(v, nib)),
			    _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(v, 4), nib)));
			uint32_t outside = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(m, zero));
			uint32_t stop = (stop_on_member ? ~outside : outside) & 0xffff;
			if (stop)
				return p + (size_t)__builtin_ctz(stop);
			p += 16;
		} while (p + 16 <= end);
	}
#endif
	while (p < end && sip_cc_is(buf[p], cls->bit) != stop_on_member)
		p++;
	return p;
}

/* First byte in buf[p..end) outside cls, or end. */
SIP_INLINE size_t sip_skip_cls(const char *buf, size_t p, size_t end, const struct sip_class *cls)
{
	return sip_class_run(buf, p, end, cls, false);
}

/* First byte in buf[p..end) inside cls, or end. */
SIP_INLINE size_t sip_find_cls(const char *buf, size_t p, size_t end, const struct sip_class *cls)
{
	return sip_class_run(buf, p, end, cls, true);
}

#endif

#endif
