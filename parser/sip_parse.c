/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sip_parse() and sip_via_parse(): pick the build of the parser (sip_parse_core.h) that suits
 * this CPU once, at the first call, with __builtin_cpu_supports, and call it through a pointer
 * from then on. meson -Dsimd=avx2|sse42|scalar forces one build instead.
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

static enum sip_scanner scanner_detect(void)
{
#if defined(SIPSTEER_SIMD_SCALAR) || !defined(SIP_X86)
	return SIP_SCANNER_SCALAR;
#elif defined(SIPSTEER_SIMD_SSE42)
	return SIP_SCANNER_SSE42;
#elif defined(SIPSTEER_SIMD_AVX2)
	return SIP_SCANNER_AVX2;
#else
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi"))
		return SIP_SCANNER_AVX2;
	if (__builtin_cpu_supports("sse4.2"))
		return SIP_SCANNER_SSE42;
	return SIP_SCANNER_SCALAR;
#endif
}

typedef int (*sip_parse_fn)(const char *buf, size_t len, struct sip_msg *msg);
typedef int (*sip_via_parse_fn)(const char *buf, struct sip_str value, struct sip_via *via);

static int parse_first(const char *buf, size_t len, struct sip_msg *msg);
static int via_parse_first(const char *buf, struct sip_str value, struct sip_via *via);

/*
 * The builds in use, chosen once: the first call of either entry point stores both pointers.
 * Threads that race there store the same values, each store a single atomic word.
 */
static sip_parse_fn parse_impl = parse_first;
static sip_via_parse_fn via_parse_impl = via_parse_first;

static void select_build(void)
{
	sip_parse_fn parse = sip_parse_scalar;
	sip_via_parse_fn via = sip_via_parse_scalar;

	switch (scanner_detect()) {
	case SIP_SCANNER_AVX2:
		parse = sip_parse_avx2;
		via = sip_via_parse_avx2;
		break;
	case SIP_SCANNER_SSE42:
		parse = sip_parse_sse42;
		via = sip_via_parse_sse42;
		break;
	default:
		break;
	}
	__atomic_store_n(&via_parse_impl, via, __ATOMIC_RELAXED);
	__atomic_store_n(&parse_impl, parse, __ATOMIC_RELAXED);
}

static int parse_first(const char *buf, size_t len, struct sip_msg *msg)
{
	select_build();
	return __atomic_load_n(&parse_impl, __ATOMIC_RELAXED)(buf, len, msg);
}

static int via_parse_first(const char *buf, struct sip_str value, struct sip_via *via)
{
	select_build();
	return __atomic_load_n(&via_parse_impl, __ATOMIC_RELAXED)(buf, value, via);
}

int sip_parse(const char *buf, size_t len, struct sip_msg *msg)
{
	return __atomic_load_n(&parse_impl, __ATOMIC_RELAXED)(buf, len, msg);
}

int sip_via_parse(const char *buf, struct sip_str value, struct sip_via *via)
{
	return __atomic_load_n(&via_parse_impl, __ATOMIC_RELAXED)(buf, value, via);
}

const char *sip_parser_impl(void)
{
	switch (scanner_detect()) {
	case SIP_SCANNER_AVX2:
		return "avx2";
	case SIP_SCANNER_SSE42:
		return "sse4.2";
	default:
		return "scalar";
	}
}
