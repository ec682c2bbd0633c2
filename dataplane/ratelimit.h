/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source request rate limit: a token bucket per source address in a fixed-size table.
 *
 * Each worker owns one struct dp_ratelimit and is its only user: no lock, no atomic, no
 * allocation after start. The table is set-associative (DP_RL_WAYS entries per set, set chosen
 * by a keyed hash of the address); a new source takes a free entry of its set or the one seen
 * least recently, and starts with a full bucket. Pure C, no DPDK header: time comes in as
 * ticks and ticks per second, so tests drive it with a clock of their own.
 */
#ifndef SIPSTEER_DP_RATELIMIT_H
#define SIPSTEER_DP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "lb.h"

#define DP_RL_WAYS    4
#define DP_RL_SETS    2048 /* power of two */
#define DP_RL_SOURCES (DP_RL_WAYS * DP_RL_SETS)
#define DP_RL_MAX     1000000 /* largest rate and burst accepted */
#define DP_RL_WORKERS 64      /* tables dp_rl_worker_table() holds (CTL_MAX_WORKERS) */

/* One source: its address (IPv4 as ::ffff:a.b.c.d; all zero = free entry) and its bucket. */
struct dp_rl_entry {
	uint8_t key[16];
	uint64_t credit; /* tokens times ticks per second */
	uint64_t last;   /* ticks at the last request */
};

struct dp_ratelimit {
	uint64_t seed[2]; /* hash key: a source cannot choose its set */
	struct dp_rl_entry sets[DP_RL_SETS][DP_RL_WAYS];
};

/* What the bucket allows: rate tokens per second, burst tokens at most, hz ticks per second. */
struct dp_rl_params {
	uint32_t rate;  /* 1..DP_RL_MAX */
	uint32_t burst; /* 1..DP_RL_MAX */
	uint64_t hz;    /* 1..10^10 (a 10 GHz TSC) */
};

/* Empty every bucket and set the hash key (from a random source at start). */
void dp_rl_init(struct dp_ratelimit *rl, uint64_t seed0, uint64_t seed1);

/*
 * Take one token from src's bucket at time now (ticks, non-decreasing per source; a clock that
 * goes back refills nothing). Returns true when the request may pass, false when the bucket is
 * empty. src's port is ignored. Owner thread only; no allocation.
 */
bool dp_rl_allow(struct dp_ratelimit *rl, const struct lb_addr *src, uint64_t now,
                 const struct dp_rl_params *p);

/*
 * The table of worker `index` (< DP_RL_WORKERS; NULL beyond): static storage, zeroed (and so
 * untouched by the OS) until that worker first uses it; the worker calls dp_rl_init on it once.
 */
struct dp_ratelimit *dp_rl_worker_table(unsigned index);

#endif
