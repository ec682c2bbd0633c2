/* SPDX-License-Identifier: BSD-3-Clause */
/* The parser built for SSE4.2 (16-byte scans); sip_parse() calls it only when the CPU has it. */
#if defined(__x86_64__) || defined(__i386__)
#define SIP_VARIANT_SSE42 1
#define SIP_VARIANT_NAME  sse42
#define SIP_TARGET        __attribute__((target("sse4.2")))
#include "sip_parse_core.h"
#else
#include "sip_internal.h"

/* Not an x86 CPU: sip_cpu_has() says no, and these only forward to the scalar build. */
int sip_parse_sse42(const char *buf, size_t len, struct sip_msg *msg)
{
	return sip_parse_scalar(buf, len, msg);
}

int sip_via_parse_sse42(const char *buf, struct sip_str value, struct sip_via *via)
{
	return sip_via_parse_scalar(buf, value, via);
}

int sip_parse_general_sse42(const char *buf, size_t len, struct sip_msg *msg)
{
	return sip_parse_general_scalar(buf, len, msg);
}

int sip_via_parse_general_sse42(const char *buf, struct sip_str value, struct sip_via *via)
{
	return sip_via_parse_general_scalar(buf, value, via);
}
#endif
