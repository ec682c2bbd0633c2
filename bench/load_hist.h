/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram of sipsteer-bench load: log-linear buckets (32 per power of two) over
 * nanoseconds, so a percentile is within 1/32 (about 3%) of the true value, in a fixed 15 KB
 * whatever the number of samples. Single-threaded; the caller owns the struct.
 */
#ifndef SIPSTEER_LOAD_HIST_H
#define SIPSTEER_LOAD_HIST_H

#include <stdint.h>

#define LOAD_HIST_SUB_BITS 5
#define LOAD_HIST_SUB      (1u << LOAD_HIST_SUB_BITS)
/* Values below 2 * LOAD_HIST_SUB have a bucket each; then LOAD_HIST_SUB per power of two. */
#define LOAD_HIST_BUCKETS (2 * LOAD_HIST_SUB + (64 - LOAD_HIST_SUB_BITS - 1) * LOAD_HIST_SUB)

struct load_hist {
	uint64_t count;
	uint64_t min, max; /* exact; min is UINT64_MAX while count is 0 */
	uint64_t bucket[LOAD_HIST_BUCKETS];
};

/* Empty the histogram. */
void load_hist_init(struct load_hist *h);

/* Record one value (nanoseconds). */
void load_hist_add(struct load_hist *h, uint64_t v);

/*
 * The value at percentile p (0 < p <= 100): the middle of the bucket holding the sample of rank
 * ceil(p / 100 * count), clamped to [min, max]. 0 when the histogram is empty.
 */
uint64_t load_hist_percentile(const struct load_hist *h, double p);

/* Bucket index of a value, and the first value of a bucket (exposed for the unit test). */
uint32_t load_hist_index(uint64_t v);
uint64_t load_hist_lower(uint32_t index);

#endif
