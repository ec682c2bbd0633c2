/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source token buckets (dataplane/ratelimit.c), driven by a clock of the test's own: the
 * tick is a nanosecond, so every expectation is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ratelimit.h"

#define NS 1000000000ull

static struct dp_ratelimit rl;

static struct lb_addr v4(uint32_t host_order)
{
	struct lb_addr a;
	uint32_t be = htonl(host_order);

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	memcpy(a.v4, &be, 4);
	return a;
}

static int setup(void **state)
{
	(void)state;
	dp_rl_init(&rl, 0x0123456789abcdefull, 0xfedcba9876543210ull);
	return 0;
}

/* Count how many of n requests at time now pass. */
static unsigned passes(const struct lb_addr *src, uint64_t now, unsigned n,
                       const struct dp_rl_params *p)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += dp_rl_allow(&rl, src, now, p);
	return ok;
}

/* A burst passes whole, then the rate refills exactly: 10/s is one token per 100 ms. */
static void test_bucket(void **state)
{
	struct dp_rl_params p = {.rate = 10, .burst = 5, .hz = NS};
	struct lb_addr a = v4(0xc0000201);
	uint64_t t = 1000 * NS;

	assert_int_equal(passes(&a, t, 20, &p), 5);
	assert_int_equal(passes(&a, t + 99999999, 1, &p), 0); /* 0.99999999 token */
	assert_int_equal(passes(&a, t + 100000000, 2, &p), 1);
	assert_int_equal(passes(&a, t + 350000000, 5, &p), 2); /* 2.5 tokens: 2, 0.5 kept */
	assert_int_equal(passes(&a, t + 400000000, 5, &p), 1); /* 0.5 + 0.5 */
	/* a long quiet spell refills to the burst, never beyond */
	assert_int_equal(passes(&a, t + 3600 * NS, 100, &p), 5);
	/* a clock that goes back refills nothing and breaks nothing */
	assert_int_equal(passes(&a, t, 3, &p), 0);
	assert_int_equal(passes(&a, t + 3600 * NS + 100000000, 3, &p), 1);
}

/* Over a long run, the passed count is burst + rate * time, whatever the request pattern. */
static void test_long_run_rate(void **state)
{
	struct dp_rl_params p = {.rate = 1000, .burst = 50, .hz = NS};
	struct lb_addr a = v4(0xc0000202);
	uint64_t t0 = 5 * NS, ok = 0;

	/* 3000 requests per second for 10 s, one every 333333 ns */
	for (uint64_t i = 0; i < 30000; i++)
		ok += dp_rl_allow(&rl, &a, t0 + i * 333333, &p);
	/* burst, then 1000/s over 9.9999999 s */
	assert_true(ok >= 50 + 9999 && ok <= 50 + 10000);
}

/* Sources are independent; IPv4 and IPv6 keys never mix; the port does not matter. */
static void test_sources(void **state)
{
	struct dp_rl_params p = {.rate = 1, .burst = 2, .hz = NS};
	struct lb_addr a = v4(0x0a000001), b = v4(0x0a000002), a6, a_port = a;
	uint64_t t = 7 * NS;

	memset(&a6, 0, sizeof(a6));
	a6.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", a6.v6);
	a_port.port = 5099;
	assert_int_equal(passes(&a, t, 5, &p), 2);
	assert_int_equal(passes(&a_port, t, 5, &p), 0);
	assert_int_equal(passes(&b, t, 5, &p), 2);
	assert_int_equal(passes(&a6, t, 5, &p), 2);
	assert_int_equal(passes(&a, t + NS, 5, &p), 1);
}

/* Many more sources than the table holds: every one still gets its first burst, and a source
 * that keeps sending keeps its bucket (least recently seen entries are the ones replaced). */
static void test_overflow_lru(void **state)
{
	struct dp_rl_params p = {.rate = 1, .burst = 3, .hz = NS};
	struct lb_addr busy = v4(0xc6336401);
	uint64_t t = 100 * NS;

	assert_int_equal(passes(&busy, t, 3, &p), 3);
	for (uint32_t i = 0; i < 4 * DP_RL_SOURCES; i++) {
		struct lb_addr s = v4(0x0b000000 + i);
		/* the busy source, seen between every newcomer, is never the oldest of its set */
		assert_false(dp_rl_allow(&rl, &busy, t + i, &p));
		assert_true(dp_rl_allow(&rl, &s, t + i, &p));
	}
	/* a forgotten source starts again with a full bucket */
	struct lb_addr first = v4(0x0b000000);
	assert_int_equal(passes(&first, t + 4 * DP_RL_SOURCES, 5, &p), 3);
}

/* Extremes of the accepted range: no overflow with a 10 GHz clock, rate and burst 10^6. */
static void test_extremes(void **state)
{
	struct dp_rl_params p = {.rate = DP_RL_MAX, .burst = DP_RL_MAX, .hz = 10000000000ull};
	struct lb_addr a = v4(0x0c000001);
	uint64_t t = UINT64_MAX / 4;

	assert_int_equal(passes(&a, t, DP_RL_MAX + 10, &p), DP_RL_MAX);
	/* one second later: exactly rate tokens again, after a year as after a second */
	assert_int_equal(passes(&a, t + 10000000000ull, DP_RL_MAX + 10, &p), DP_RL_MAX);
	assert_int_equal(passes(&a, t + 10000000000ull * 86400 * 365, DP_RL_MAX + 10, &p),
	                 DP_RL_MAX);
	/* rate 1, burst 1: one request a second */
	struct dp_rl_params slow = {.rate = 1, .burst = 1, .hz = 1};
	struct lb_addr b = v4(0x0c000002);
	assert_int_equal(passes(&b, 10, 3, &slow), 1);
	assert_int_equal(passes(&b, 11, 3, &slow), 1);
	assert_int_equal(passes(&b, 11, 3, &slow), 0);
}

static void test_worker_tables(void **state)
{
	assert_non_null(dp_rl_worker_table(0));
	assert_non_null(dp_rl_worker_table(DP_RL_WORKERS - 1));
	assert_ptr_not_equal(dp_rl_worker_table(0), dp_rl_worker_table(1));
	assert_null(dp_rl_worker_table(DP_RL_WORKERS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_bucket, setup),
	    cmocka_unit_test_setup(test_long_run_rate, setup),
	    cmocka_unit_test_setup(test_sources, setup),
	    cmocka_unit_test_setup(test_overflow_lru, setup),
	    cmocka_unit_test_setup(test_extremes, setup),
	    cmocka_unit_test(test_worker_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
