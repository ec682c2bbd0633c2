/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK ports: one RX and one TX queue per worker (RSS when there are several workers and the
 * port offers it), plus one TX queue for the control thread. Startup and shutdown only.
 */
#ifndef SIPSTEER_DP_PORT_H
#define SIPSTEER_DP_PORT_H

#include "dp.h"

/* Descriptors per queue. */
#define DP_RX_DESC 1024
#define DP_TX_DESC 1024

/*
 * Find the DPDK port of every configured port, configure and start it (MTU from config,
 * promiscuous off) and record its MAC in ctx->ports. Needs ctx->cfg, ctx->n_workers and
 * ctx->pool. Returns 0 or -errno with a message in err naming the port.
 */
int dp_ports_start(struct dp_ctx *ctx, char *err, size_t cap);

/*
 * Read the link state of every port that raises no link state change interrupt and publish it
 * in its struct dp_port_link (ports with interrupts are kept current by a callback that
 * dp_ports_start registers). Worker 0 calls it every DP_LINK_POLL_TURNS loop turns; any thread
 * may.
 */
void dp_ports_link_poll(struct dp_ctx *ctx);

/* True while p's link is up, as last published. Any thread. */
static inline bool dp_port_link_up(const struct dp_port *p)
{
	return !__atomic_load_n(&p->link.down, __ATOMIC_ACQUIRE);
}

/* Bit i set: port i's link is down. Workers read it once per loop turn. */
static inline uint32_t dp_ports_down(const struct dp_ctx *ctx)
{
	uint32_t mask = 0;

	for (uint16_t i = 0; i < ctx->n_ports; i++)
		if (!dp_port_link_up(&ctx->ports[i]))
			mask |= 1u << i;
	return mask;
}

/* Stop and close every port started by dp_ports_start. */
void dp_ports_stop(struct dp_ctx *ctx);

/* Number of mbufs the pool needs for ctx's ports and workers. */
unsigned int dp_pool_size(const struct ctl_config *cfg);

/* Data room per mbuf for an MTU (0 = 1500): one segment holds a whole frame, plus headroom. */
uint16_t dp_pool_data_room(const struct ctl_config *cfg);

#endif
