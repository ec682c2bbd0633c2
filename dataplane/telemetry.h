/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer's statistics as DPDK telemetry commands, for dpdk-telemetry.py on the socket under the
 * EAL runtime directory of the daemon's --file-prefix:
 *
 *   /sipsteer/stats            counters summed over the workers (flat dict)
 *   /sipsteer/stats,<lcore>    one worker's counters
 *   /sipsteer/workers          the workers' lcores
 *   /sipsteer/backends         the backends' names, in id order
 *   /sipsteer/backend,<name>   one backend: id, address, weight, state, health, requests, ...
 *
 * The callbacks run on DPDK's telemetry thread: worker counters are read with DP_READ, the
 * backend view is a copy the control thread refreshes (dp_telemetry_update) under a mutex.
 */
#ifndef SIPSTEER_DP_TELEMETRY_H
#define SIPSTEER_DP_TELEMETRY_H

#include <stdint.h>

#include "dp.h"

/* What the telemetry thread shows of one backend. */
struct dp_telemetry_backend {
	uint32_t id;
	char name[LB_NAME_MAX];
	char address[64];
	uint32_t weight;
	enum lb_admin admin;
	enum lb_health health;
	double rate;          /* requests per second, last refresh period */
	uint64_t last_rtt_ns; /* last probe RTT, 0: none */
	uint64_t probes_sent;
};

/* Register the commands (once, after rte_eal_init). ctx must stay valid until
 * dp_telemetry_fini. Returns 0 or -errno (logged). Control thread. */
int dp_telemetry_init(struct dp_ctx *ctx);

/* Replace the backend view with a copy of b[0..n). Control thread. */
void dp_telemetry_update(const struct dp_telemetry_backend *b, uint32_t n);

/* From now on the commands answer an error (before the workers are freed). Control thread. */
void dp_telemetry_fini(void);

#endif
