/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats file: one JSON object with uptime, per-worker and total counters and per-backend
 * request counts (format in docs/sipsteer.md). Control thread only.
 */
#ifndef SIPSTEER_DP_STATS_H
#define SIPSTEER_DP_STATS_H

#include "dp.h"

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
