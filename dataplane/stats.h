/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats file: one JSON object with uptime, per-worker and total counters and per-backend
 * request counts (format in docs/sipsteer.md). Control thread only.
 */
#ifndef SIPSTEER_DP_STATS_H
#define SIPSTEER_DP_STATS_H

#include <jansson.h>

#include "dp.h"

/* One worker's counters, or the sum over the workers. */
struct dp_stats_sum {
	uint64_t rx, tx, forwarded, relayed, arp_replied, icmp_replied, notices_lost, probe_replies;
	uint64_t replied[DP_REPLY_COUNT];
	uint64_t drops[DP_DROP_COUNT];
};

/* Read one worker's counters (DP_READ: any thread). */
void dp_stats_read(const struct dp_counters *c, struct dp_stats_sum *s);

/* Add s to total. */
void dp_stats_add(struct dp_stats_sum *total, const struct dp_stats_sum *s);

/* Requests forwarded to backend id since the id was given to its backend, summed over the
 * workers (any thread). */
uint64_t dp_stats_backend_requests(const struct dp_ctx *ctx, uint32_t id);

/* Count id's requests from 0 again: called by the control thread when it gives id to a backend
 * that did not hold it, before the set with that backend is published. */
void dp_stats_backend_rebase(struct dp_ctx *ctx, uint32_t id);

/*
 * The stats as a JSON object (new reference), or NULL when out of memory. Same thread rules as
 * dp_stats_json.
 */
json_t *dp_stats_object(struct dp_ctx *ctx, double uptime_s);

/*
 * The stats JSON as a NUL-terminated string (caller frees), or NULL when out of memory.
 * The caller must be an online urcu-qsbr reader (it reads the current lb set).
 */
char *dp_stats_json(struct dp_ctx *ctx, double uptime_s);

/*
 * Write the stats JSON to path atomically (path.tmp, then rename). Returns 0 or -errno; logs the
 * cause on failure. Same thread rules as dp_stats_json.
 */
int dp_stats_write(struct dp_ctx *ctx, const char *path, double uptime_s);

#endif
