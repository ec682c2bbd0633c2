/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_parse() and sip_via_parse(): pick the build of the parser (sip_parse_core.h) that suits
 * this CPU, at each call, with __builtin_cpu_supports (a read of a word libgcc fills before
 * main). meson -Dsimd=avx2|sse42|scalar forces one build instead.
 */
#include "sip.h"
#include "sip_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define SIP_X86 1
#endif

bool sip_cpu_has(enum sip_scanner s)
{
	switch (s) {
	case SIP_SCANNER_SCALAR:
		return true;
#ifdef SIP_X86
	case SIP_SCANNER_SSE42:
		return __builtin_cpu_supports("sse4.2");
	case SIP_SCANNER_AVX2:
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi");
#endif
	default:
		return false;
	}
}

static inline enum sip_scanner scanner(void)
{
#if defined(SIPSTEER_SIMD_SCALAR) || !defined(SIP_X86)
	return SIP_SCANNER_SCALAR;
#elif defined(SIPSTEER_SIMD_SSE42)
	return SIP_SCANNER_SSE42;
#elif defined(SIPSTEER_SIMD_AVX2)
	return SIP_SCANNER_AVX2;
#else
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi"))
		return SIP_SCANNER_AVX2;
	if (__builtin_cpu_supports("sse4.2"))
		return SIP_SCANNER_SSE42;
	return SIP_SCANNER_SCALAR;
#endif
}

int sip_parse(const char *buf, size_t len, struct sip_msg *msg)
{
	switch (scanner()) {
	case SIP_SCANNER_AVX2:
		return sip_parse_avx2(buf, len, msg);
	case SIP_SCANNER_SSE42:
		return sip_parse_sse42(buf, len, msg);
	default:
		return sip_parse_scalar(buf, len, msg);
	}
}

int sip_via_parse(const char *buf, struct sip_str value, struct sip_via *via)
{
	switch (scanner()) {
	case SIP_SCANNER_AVX2:
		return sip_via_parse_avx2(buf, value, via);
	case SIP_SCANNER_SSE42:
		return sip_via_parse_sse42(buf, value, via);
	default:
		return sip_via_parse_scalar(buf, value, via);
	}
}

const char *sip_parser_impl(void)
{
	switch (scanner()) {
	case SIP_SCANNER_AVX2:
		return "avx2";
	case SIP_SCANNER_SSE42:
		return "sse4.2";
	default:
		return "scalar";
	}
}
