/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for the SIP parser: sip_parse() on the input, then sip_via_parse() on every
 * stored Via and sip_response_next_hop() on responses. Asserts that every view lies inside the
 * input, that a success consumed no more than the input, and that every scanner this CPU runs
 * (scalar, SSE4.2, AVX2) returns the same result and the same fields.
 * Build and run: tests/fuzz/run.sh SECONDS.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip.h"
#include "sip_msg_views.h"
#include "sip_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__,        \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_view(struct sip_str s, size_t len)
{
	CHECK((uint64_t)s.off + s.len <= len);
}

static void check_via(const struct sip_via *v, size_t len)
{
	const struct sip_str views[] = {v->value,  v->protocol, v->transport_name, v->host,
	                                v->branch, v->received, v->params};
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		check_view(views[i], len);
	CHECK((unsigned)v->transport < SIP_TRANSPORT_COUNT);
}

static void check_msg(const struct sip_msg *m, size_t len)
{
	struct sip_str views[SIP_MSG_VIEWS_MAX];
	size_t n = sip_msg_views(m, views);

	for (size_t i = 0; i < n; i++)
		check_view(views[i], len);
	check_via(&m->top_via, len);
	CHECK(m->headers_end <= len);
	CHECK((unsigned)m->method < SIP_METHOD_COUNT);
	CHECK((unsigned)m->cseq_method < SIP_METHOD_COUNT);
}

static int (*const parsers[SIP_SCANNER_COUNT])(const char *, size_t, struct sip_msg *) = {
    [SIP_SCANNER_SCALAR] = sip_parse_scalar,
    [SIP_SCANNER_SSE42] = sip_parse_sse42,
    [SIP_SCANNER_AVX2] = sip_parse_avx2,
};

/* The general parser alone: what the fast path in front of it must give whenever it does not
 * give up. */
static int (*const general[SIP_SCANNER_COUNT])(const char *, size_t, struct sip_msg *) = {
    [SIP_SCANNER_SCALAR] = sip_parse_general_scalar,
    [SIP_SCANNER_SSE42] = sip_parse_general_sse42,
    [SIP_SCANNER_AVX2] = sip_parse_general_avx2,
};
static int (*const via_parsers[SIP_SCANNER_COUNT])(const char *, struct sip_str,
                                                   struct sip_via *) = {
    [SIP_SCANNER_SCALAR] = sip_via_parse_scalar,
    [SIP_SCANNER_SSE42] = sip_via_parse_sse42,
    [SIP_SCANNER_AVX2] = sip_via_parse_avx2,
};
static int (*const via_general[SIP_SCANNER_COUNT])(const char *, struct sip_str,
                                                   struct sip_via *) = {
    [SIP_SCANNER_SCALAR] = sip_via_parse_general_scalar,
    [SIP_SCANNER_SSE42] = sip_via_parse_general_sse42,
    [SIP_SCANNER_AVX2] = sip_via_parse_general_avx2,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sip_msg m;

	int rc = sip_parse(buf, size, &m);
	CHECK(rc != 0);
	CHECK(rc < 0 ? -rc < SIP_ERR_COUNT : (size_t)rc <= size);
	if (rc < 0 && -rc == SIP_ERR_TOO_LONG)
		return 0;
	check_msg(&m, size);
	if (rc > 0) {
		CHECK(m.body.off + m.body.len == (uint32_t)rc);
		CHECK(m.via_count > 0 && !sip_str_empty(m.call_id));
	}

	for (int s = 0; s < SIP_SCANNER_COUNT; s++) {
		if (!sip_cpu_has((enum sip_scanner)s))
			continue;
		struct sip_msg other;
		CHECK(parsers[s](buf, size, &other) == rc);
		CHECK(memcmp(&m, &other, offsetof(struct sip_msg, vias)) == 0);
		CHECK(memcmp(&m.top_via, &other.top_via,
		             sizeof(m) - offsetof(struct sip_msg, top_via)) == 0);
		CHECK(m.via_count == other.via_count);
		for (size_t i = 0; i < m.via_count && i < SIP_MAX_VIAS; i++)
			CHECK(memcmp(&m.vias[i], &other.vias[i], sizeof(m.vias[i])) == 0);
		/* fast path or not, byte for byte the general parser's result */
		struct sip_msg a, b;
		memset(&a, 0xa5, sizeof(a));
		memset(&b, 0xa5, sizeof(b));
		CHECK(parsers[s](buf, size, &a) == general[s](buf, size, &b));
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
		for (size_t i = 0; rc > 0 && i < m.via_count && i < SIP_MAX_VIAS; i++) {
			struct sip_via va, vb;
			memset(&va, 0x5a, sizeof(va));
			memset(&vb, 0x5a, sizeof(vb));
			CHECK(via_parsers[s](buf, m.vias[i], &va) ==
			      via_general[s](buf, m.vias[i], &vb));
			CHECK(memcmp(&va, &vb, sizeof(va)) == 0);
		}
	}

	for (size_t i = 0; i < m.via_count && i < SIP_MAX_VIAS; i++) {
		struct sip_via v;
		int vrc = sip_via_parse(buf, m.vias[i], &v);
		CHECK(vrc == 0 || vrc == -SIP_ERR_BAD_VIA);
		check_via(&v, size);
	}
	if (!m.is_request && m.via_count > 0) {
		struct sip_via next;
		int nrc = sip_response_next_hop(buf, &m, &next);
		CHECK(nrc == 0 || nrc == -SIP_ERR_RELAY_TARGET);
		check_via(&next, size);
	}
	return 0;
}
