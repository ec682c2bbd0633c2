/* SPDX-License-Identifier: BSD-3-Clause */
/* Log-linear latency histogram (see load_hist.h). */
#include <math.h>
#include <string.h>

#include "load_hist.h"

void load_hist_init(struct load_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint32_t load_hist_index(uint64_t v)
{
	if (v < 2 * LOAD_HIST_SUB)
		return (uint32_t)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v); /* >= LOAD_HIST_SUB_BITS + 1 */
	unsigned shift = msb - LOAD_HIST_SUB_BITS;
	uint64_t mant = v >> shift; /* in [LOAD_HIST_SUB, 2 * LOAD_HIST_SUB) */

	return 2 * LOAD_HIST_SUB + (msb - LOAD_HIST_SUB_BITS - 1) * LOAD_HIST_SUB +
	       (uint32_t)(mant - LOAD_HIST_SUB);
}

uint64_t load_hist_lower(uint32_t index)
{
	if (index < 2 * LOAD_HIST_SUB)
		return index;
	uint32_t i = index - 2 * LOAD_HIST_SUB;
	unsigned msb = LOAD_HIST_SUB_BITS + 1 + i / LOAD_HIST_SUB;
	uint64_t mant = LOAD_HIST_SUB + i % LOAD_HIST_SUB;

	return mant << (msb - LOAD_HIST_SUB_BITS);
}

void load_hist_add(struct load_hist *h, uint64_t v)
{
	h->bucket[load_hist_index(v)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t load_hist_percentile(const struct load_hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (p > 100.0)
		p = 100.0;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	uint64_t seen = 0;

	if (rank == 0)
		rank = 1;
	for (uint32_t i = 0; i < LOAD_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen < rank)
			continue;
		uint64_t lo = load_hist_lower(i);
		uint64_t hi = i + 1 < LOAD_HIST_BUCKETS ? load_hist_lower(i + 1) - 1 : UINT64_MAX;
		uint64_t mid = lo + (hi - lo) / 2;

		if (mid < h->min)
			mid = h->min;
		if (mid > h->max)
			mid = h->max;
		return mid;
	}
	return h->max;
}
