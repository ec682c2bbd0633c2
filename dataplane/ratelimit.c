/* SPDX-License-Identifier: BSD-3-Clause */
/* Token buckets per source address in a set-associative table (see ratelimit.h). */
#include "ratelimit.h"

#include <string.h>
#include <sys/socket.h>

static struct dp_ratelimit worker_tables[DP_RL_WORKERS];

struct dp_ratelimit *dp_rl_worker_table(unsigned index)
{
	return index < DP_RL_WORKERS ? &worker_tables[index] : NULL;
}

void dp_rl_init(struct dp_ratelimit *rl, uint64_t seed0, uint64_t seed1)
{
	memset(rl->sets, 0, sizeof(rl->sets));
	rl->seed[0] = seed0;
	rl->seed[1] = seed1 | 1;
}

static void key_of(const struct lb_addr *a, uint8_t key[16])
{
	if (a->family == AF_INET) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		memcpy(key, mapped, sizeof(mapped));
		memcpy(key + 12, a->v4, 4);
	} else {
		memcpy(key, a->v6, 16);
	}
}

/* A keyed mix of the two key words (multiply-xorshift); enough to spread sets, cheap. */
static uint32_t set_of(const struct dp_ratelimit *rl, const uint8_t key[16])
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	uint64_t h = (a ^ rl->seed[0]) * UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 29;
	h = (h ^ b) * rl->seed[1];
	h ^= h >> 32;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 31;
	return (uint32_t)h & (DP_RL_SETS - 1);
}

bool dp_rl_allow(struct dp_ratelimit *rl, const struct lb_addr *src, uint64_t now,
                 const struct dp_rl_params *p)
{
	static const uint8_t free_key[16];
	uint8_t key[16];
	uint64_t cost = p->hz;
	uint64_t cap = (uint64_t)p->burst * p->hz;

	key_of(src, key);
	struct dp_rl_entry *set = rl->sets[set_of(rl, key)], *e = NULL, *victim = &set[0];
	for (unsigned i = 0; i < DP_RL_WAYS; i++) {
		if (memcmp(set[i].key, key, 16) == 0) {
			e = &set[i];
			break;
		}
		if (memcmp(victim->key, free_key, 16) != 0 &&
		    (memcmp(set[i].key, free_key, 16) == 0 || set[i].last < victim->last))
			victim = &set[i];
	}
	if (e == NULL) {
		/* a new (or forgotten) source: a full bucket, less this request */
		memcpy(victim->key, key, 16);
		victim->credit = cap - cost;
		victim->last = now;
		return true;
	}
	if (now > e->last) {
		uint64_t elapsed = now - e->last;
		/* Refill; past the time a full refill takes, the bucket is simply full (and the
		 * product below cannot overflow: elapsed * rate < cap <= 10^6 * 10^10). */
		if (elapsed >= cap / p->rate)
			e->credit = cap;
		else if (e->credit + elapsed * p->rate > cap)
			e->credit = cap;
		else
			e->credit += elapsed * p->rate;
		e->last = now;
	}
	if (e->credit < cost)
		return false;
	e->credit -= cost;
	return true;
}
