/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread (main lcore): publishes the backend set, resolves neighbours, drains the
 * workers' notices, answers signals (SIGUSR1: stats file; SIGINT/SIGTERM: stop). It is the only
 * writer of published state. It polls about every millisecond and sleeps in between: it never
 * burns a core.
 */
#ifndef SIPSTEER_DP_CONTROL_H
#define SIPSTEER_DP_CONTROL_H

#include <stdint.h>

#include "dp.h"
#include "resolve.h"

#define DP_CONTROL_POLL_US 1000

struct dp_control {
	struct dp_ctx *ctx;
	struct dp_resolver resolver;
	const char *stats_path; /* NULL: no stats file */
	uint64_t start_ns;      /* CLOCK_MONOTONIC at start */
	uint64_t arp_sent;
	uint64_t arp_failed;
};

/* Install the SIGUSR1, SIGINT and SIGTERM handlers (they only set flags). */
void dp_control_signals_install(void);

/*
 * Build and publish the backend set from ctx->cfg and mark backends and the gateway for
 * resolution. The calling thread must be registered with urcu-qsbr. Returns 0 or -errno (logged).
 */
int dp_control_init(struct dp_control *c, struct dp_ctx *ctx, const char *stats_path);

/* Run until SIGINT or SIGTERM. Online urcu-qsbr reader except while it sleeps. */
void dp_control_run(struct dp_control *c);

/* Seconds since dp_control_init. */
double dp_control_uptime(const struct dp_control *c);

/* Write the stats file when one is configured. */
void dp_control_write_stats(struct dp_control *c);

/* Free what dp_control_init allocated. */
void dp_control_free(struct dp_control *c);

/* Drain up to max notices from every worker's ring into the resolver. Returns how many. */
unsigned int dp_control_drain(struct dp_control *c, unsigned int max, uint64_t now_ms);

/* One control step: drain notices, send due ARP requests, publish a changed neighbour table. */
void dp_control_step(struct dp_control *c, uint64_t now_ms);

#endif
