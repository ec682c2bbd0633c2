/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIMD scanners of the parser. Included by the three builds of sip_parse_core.h, each with one
 * of SIP_VARIANT_SCALAR, SIP_VARIANT_SSE42 or SIP_VARIANT_AVX2 defined, and by tests (tables
 * only).
 *
 * - sip_scan_eol(): first CR or LF (SWAR 8 bytes, SSE 16 or AVX2 32 with two compares).
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

/* An initializer of 16 or 32 copies of c: a row of a table of compare constants. */
#define SIP_SPLAT4(c)  c, c, c, c
#define SIP_SPLAT16(c) SIP_SPLAT4(c), SIP_SPLAT4(c), SIP_SPLAT4(c), SIP_SPLAT4(c)
#define SIP_SPLAT32(c) SIP_SPLAT16(c), SIP_SPLAT16(c)

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

#if defined(SIP_VARIANT_AVX2)
/* Bit i set where at[i] is CR or LF, 32 bytes. */
SIP_INLINE uint32_t sip_eol_mask32(const char *at)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)at);
	__m256i hit = _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r')),
	                              _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n')));
	return (uint32_t)_mm256_movemask_epi8(hit);
}

/* Bit i set where at[i] is in the class of the nibble table lo, 32 bytes. */
SIP_INLINE uint32_t sip_class_mask32(const char *at, const uint8_t lo_table[16])
{
	/* hi: bit (c >> 4) for each high nibble up to 7; nib: the nibble mask */
	static const int8_t consts[2][32]
	    __attribute__((aligned(32))) = {{1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0,
	                                     1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0},
	                                    {SIP_SPLAT32(0x0f)}};
	__m256i lo, hi, v = _mm256_loadu_si256((const __m256i *)(const void *)at), m;
	/*
	 * The class table and the nibble mask are read by inline assembly, each in one
	 * instruction from its address: in C the compiler builds the nibble mask in registers
	 * (three instructions) at every use and the broadcast in two, or, with the address
	 * hidden from it, spends one more on loading that address. hi it reads as an operand.
	 */
	__asm__("vbroadcasti128 %1, %0" : "=x"(lo) : "m"(*(const __m128i *)(const void *)lo_table));
	hi = _mm256_load_si256((const __m256i *)(const void *)consts[0]);
	__asm__("vpand %1, %2, %0" : "=x"(m) : "m"(consts[1]), "x"(_mm256_srli_epi16(v, 4)));
	/* the low nibble needs no mask: a byte from 0x80 up gives 0 (it is in no class) */
	m = _mm256_and_si256(_mm256_shuffle_epi8(lo, v), _mm256_shuffle_epi8(hi, m));
	return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
}
#endif

#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
/* Bit i set where at[i] is CR or LF, 16 bytes. */
SIP_INLINE uint32_t sip_eol_mask16(const char *at)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)at);
	__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
	                           _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
	return (uint32_t)_mm_movemask_epi8(hit);
}

/* Bit i set where at[i] is in the class of the nibble table lo, 16 bytes. */
SIP_INLINE uint32_t sip_class_mask16(const char *at, const uint8_t lo_table[16])
{
	const __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)lo_table);
	const __m128i hi = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)at);
	__m128i m = _mm_and_si128(_mm_shuffle_epi8(lo, _mm_and_si128(v, nib)),
	                          _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(v, 4), nib)));
	return ~(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(m, _mm_setzero_si128())) & 0xffff;
}
#endif

/*
 * The vector scanners: whole vectors from p while one fits before end; then, when fewer bytes
 * than a vector are left, one vector that ends at end (it starts before p, still inside the
 * buffer when end >= the vector size) with the bits below p shifted out. Only a run shorter
 * than a vector at the very start of a buffer goes through the scalar loop.
 */
SIP_INLINE size_t sip_scan_eol(const char *buf, size_t p, size_t end)
{
#if defined(SIP_VARIANT_AVX2)
	for (; p + 32 <= end; p += 32) {
		uint32_t mask = sip_eol_mask32(buf + p);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
	}
	if (p < end && end >= 32) {
		uint32_t mask = sip_eol_mask32(buf + end - 32) >> (32 - (end - p));
		return mask ? p + (size_t)__builtin_ctz(mask) : end;
	}
#endif
#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
	for (; p + 16 <= end; p += 16) {
		uint32_t mask = sip_eol_mask16(buf + p);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
	}
	if (p < end && end >= 16) {
		uint32_t mask = sip_eol_mask16(buf + end - 16) >> (16 - (end - p));
		return mask ? p + (size_t)__builtin_ctz(mask) : end;
	}
#endif
	return sip_scan_eol_swar(buf, p, end);
}

/* First byte in buf[p..end) whose membership in cls equals stop_on_member, or end. */
SIP_INLINE size_t sip_class_run(const char *buf, size_t p, size_t end, const struct sip_class *cls,
                                bool stop_on_member)
{
#if defined(SIP_VARIANT_AVX2)
	const uint32_t flip32 = stop_on_member ? 0 : ~0u;
	for (; p + 32 <= end; p += 32) {
		uint32_t stop = sip_class_mask32(buf + p, cls->lo) ^ flip32;
		if (stop)
			return p + (size_t)__builtin_ctz(stop);
	}
	if (p < end && end >= 32) {
		uint32_t stop =
		    (sip_class_mask32(buf + end - 32, cls->lo) ^ flip32) >> (32 - (end - p));
		return stop ? p + (size_t)__builtin_ctz(stop) : end;
	}
#endif
#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
	const uint32_t flip16 = stop_on_member ? 0 : 0xffff;
	for (; p + 16 <= end; p += 16) {
		uint32_t stop = sip_class_mask16(buf + p, cls->lo) ^ flip16;
		if (stop)
			return p + (size_t)__builtin_ctz(stop);
	}
	if (p < end && end >= 16) {
		uint32_t stop =
		    (sip_class_mask16(buf + end - 16, cls->lo) ^ flip16) >> (16 - (end - p));
		return stop ? p + (size_t)__builtin_ctz(stop) : end;
	}
#endif
	while (p < end && sip_cc_is(buf[p], cls->bit) != stop_on_member)
		p++;
	return p;
}

#if defined(SIP_VARIANT_AVX2)
/* Bit i set where at[i] == c, 32 bytes. */
SIP_INLINE uint32_t sip_byte_mask32(const char *at, char c)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)at);
	return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(c)));
}
#endif

#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
/* Bit i set where at[i] == c, 16 bytes. */
SIP_INLINE uint32_t sip_byte_mask16(const char *at, char c)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)at);
	return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}
#endif

/* First c in buf[p..end), or end (memchr without the call, for the short runs of a header). */
SIP_INLINE size_t sip_find_byte(const char *buf, size_t p, size_t end, char c)
{
#if defined(SIP_VARIANT_AVX2)
	for (; p + 32 <= end; p += 32) {
		uint32_t mask = sip_byte_mask32(buf + p, c);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
	}
	if (p < end && end >= 32) {
		uint32_t mask = sip_byte_mask32(buf + end - 32, c) >> (32 - (end - p));
		return mask ? p + (size_t)__builtin_ctz(mask) : end;
	}
#endif
#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
	for (; p + 16 <= end; p += 16) {
		uint32_t mask = sip_byte_mask16(buf + p, c);
		if (mask)
			return p + (size_t)__builtin_ctz(mask);
	}
	if (p < end && end >= 16) {
		uint32_t mask = sip_byte_mask16(buf + end - 16, c) >> (16 - (end - p));
		return mask ? p + (size_t)__builtin_ctz(mask) : end;
	}
	while (p < end && buf[p] != c)
		p++;
	return p;
#else
	const char *hit = p < end ? memchr(buf + p, c, end - p) : NULL;
	return hit ? (size_t)(hit - buf) : end;
#endif
}

/*
 * Last c in buf[s..e), or SIZE_MAX when there is none (memrchr). Vectors end at e and move
 * down; the last one starts at or after s, or, when fewer than a vector's bytes are left, starts
 * below s with those bits cleared (still inside the buffer when e >= the vector size).
 */
SIP_INLINE size_t sip_rfind_byte(const char *buf, size_t s, size_t e, char c)
{
#if defined(SIP_VARIANT_AVX2)
	for (; e >= s + 32; e -= 32) {
		uint32_t mask = sip_byte_mask32(buf + e - 32, c);
		if (mask)
			return e - 1 - (size_t)__builtin_clz(mask);
	}
	if (s < e && e >= 32) {
		uint32_t mask = sip_byte_mask32(buf + e - 32, c) & (~0u << (32 - (e - s)));
		return mask ? e - 1 - (size_t)__builtin_clz(mask) : SIZE_MAX;
	}
#endif
#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
	for (; e >= s + 16; e -= 16) {
		uint32_t mask = sip_byte_mask16(buf + e - 16, c) << 16;
		if (mask)
			return e - 1 - (size_t)__builtin_clz(mask);
	}
	if (s < e && e >= 16) {
		uint32_t mask = (sip_byte_mask16(buf + e - 16, c) << 16) & (~0u << (32 - (e - s)));
		return mask ? e - 1 - (size_t)__builtin_clz(mask) : SIZE_MAX;
	}
#endif
	while (e > s)
		if (buf[--e] == c)
			return e;
	return SIZE_MAX;
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
