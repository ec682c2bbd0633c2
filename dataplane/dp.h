/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's shared runtime state: ports, workers, published snapshots, and the notices
 * workers send to the control thread.
 *
 * Built by the control thread at startup before any worker runs; after that the workers only
 * read it, except for their own struct dp_worker. Owner notes on each field.
 */
#ifndef SIPSTEER_DP_H
#define SIPSTEER_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "config.h"
#include "counters.h"
#include "lb.h"
#include "neigh.h"
#include "policy.h"
#include "sip_proxy.h"

#define DP_MAX_PORTS    CTL_MAX_PORTS
#define DP_MAX_BURST    256
#define DP_TX_BUF       64   /* packets buffered per port before a tx burst */
#define DP_NOTICE_RING  1024 /* notices per worker ring */
#define DP_IDLE_POLLS   32   /* empty polls before an idle worker starts sleeping */
#define DP_CTL_TX_RING  256  /* packets the control thread may queue for worker 0 */
#define DP_CTL_TXQ_NONE UINT16_MAX

_Static_assert(DP_MAX_PORTS <= 32, "struct dp_worker's ports_down holds one bit per port");

/* Turns of worker 0's loop between two reads of the link state of ports that raise no link
 * state change interrupt (rte_eth_link_get_nowait). */
#define DP_LINK_POLL_TURNS 4096
/* ... or after this much idle sleep, whichever comes first (an idle loop turns slowly). */
#define DP_LINK_POLL_SLEEP_US 10000
/* Turns of a worker's loop between two sweeps of its reassembly table for expired datagrams. */
#define DP_FRAG_TICK_TURNS 64

/*
 * A port's link state, on a cache line of its own: written when it changes, read by every
 * worker once per loop turn. Workers neither receive nor send on a port whose link is down.
 */
struct dp_port_link {
	/* false (up) until read otherwise: a port no one started through dp_ports_start (tools
	 * that drive the loop themselves) is taken as up. */
	bool down;        // intr (LSC callback), ctl, dp worker 0 (fallback poll): atomic store;
	                  // dp: atomic load once per loop turn
	bool lsc;         // ctl: rw at start, dp: ro; the device raises RTE_ETH_EVENT_INTR_LSC
	uint64_t changes; // intr, dp worker 0: atomic add; ctl: ro; down and up transitions seen
} __attribute__((aligned(64)));

struct dp_port {
	struct dp_port_link link;
	uint16_t port_id;          // ctl: rw at start, dp: ro
	struct rte_ether_addr mac; // ctl: rw at start, dp: ro
	uint16_t ctl_txq;          // ctl: rw at start, dp: ro; the control thread's TX queue,
	                           // DP_CTL_TXQ_NONE: it sends through worker 0 (ctl_tx ring)
	char name[LB_NAME_MAX];    // ctl: rw at start, dp: ro
	char device[CTL_DEVICE_MAX];
};

enum dp_notice_kind {
	DP_NOTICE_LEARN = 0, /* ip is at mac behind port (ARP, or the source of a request) */
	DP_NOTICE_RESOLVE,   /* a worker needs ip's MAC and has none */
	DP_NOTICE_LEARN6,    /* ip6 is at mac behind port (NA, NS, or the source of a request) */
	DP_NOTICE_RESOLVE6,  /* a worker needs ip6's MAC and has none */
	DP_NOTICE_KIND_COUNT
};

/* What a worker tells the control thread (rte_ring element, 28 bytes). */
struct dp_notice {
	uint32_t ip; /* network order; IPv4 kinds */
	uint8_t mac[6];
	uint8_t port;
	uint8_t kind;    /* enum dp_notice_kind */
	uint8_t ip6[16]; /* IPv6 kinds */
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_TX_BUF];
};

struct dp_ctx;

/* One worker lcore. Allocated cache-aligned; only its own worker writes it after start. */
struct dp_worker {
	struct dp_counters counters;      // dp: rw, ctl: ro
	struct dp_txbuf tx[DP_MAX_PORTS]; // dp: rw
	struct dp_ctx *ctx;               // ctl: rw at start, dp: ro
	/* dp: rw; ctx->policy's current one, read once per poll, valid until quiescent */
	const struct dp_sip_policy *policy;
	struct rte_ring *notices; // dp: enqueue (single producer), ctl: dequeue (single consumer)
	unsigned int lcore;       // ctl: rw at start, dp: ro
	uint16_t queue;           // ctl: rw at start, dp: ro; RX and TX queue on every port
	uint64_t sleep_us;        // dp: rw; current idle back-off
	uint32_t empty_polls;     // dp: rw
	uint32_t link_turns;      // dp: rw; worker 0's turns since it last read link states
	uint32_t frag_turns;      // dp: rw; turns since the reassembly table was last swept
	uint32_t link_sleep_us;   // dp: rw; worker 0's sleep since it last read link states
	uint32_t ports_down;      // dp: rw; bit i: port i's link down, read once per loop turn
} __attribute__((aligned(64)));

struct dp_ctx {
	const struct ctl_config *cfg; // ctl: rw at start, dp: ro

	uint32_t vip4;      // ctl: rw at start, dp: ro; network order
	uint32_t vip4_mask; // ctl: rw at start, dp: ro; network order
	uint32_t gateway4;  // ctl: rw at start, dp: ro; network order, 0 = none
	uint32_t n_sip_ports;
	/* sip, sip6: the first policy's proxy configurations, kept for in-process tools (the
	 * dataplane benchmark builds its messages with them); workers read policy instead. */
	uint16_t sip_ports[CTL_MAX_SIP_PORTS];    // host order
	struct dp_sip_cfg sip[CTL_MAX_SIP_PORTS]; // ctl: rw at start; see policy
	/* IPv6 (listen.ipv6): has_vip6 false when absent. Our Via on an IPv6 leg names vip6. */
	bool has_vip6;                             // ctl: rw at start, dp: ro
	uint8_t vip6[16];                          // ctl: rw at start, dp: ro
	uint8_t vip6_len;                          // ctl: rw at start, dp: ro; prefix length
	uint8_t gateway6[16];                      // ctl: rw at start, dp: ro; all zero = none
	struct dp_sip_cfg sip6[CTL_MAX_SIP_PORTS]; // ctl: rw at start; as sip, for IPv6
	uint32_t burst;
	uint32_t idle_sleep_us;

	struct lb_slot lb;            // dp: rcu_dereference, ctl: publish
	struct dp_neigh_slot neigh;   // dp: rcu_dereference, ctl: publish
	struct dp_neigh6_slot neigh6; // dp: rcu_dereference, ctl: publish
	struct dp_policy_slot policy; // dp: rcu_dereference, ctl: publish; sip and rate_limit

	struct rte_mempool *pool;
	uint16_t n_ports;
	struct dp_port ports[DP_MAX_PORTS];
	uint32_t n_workers;
	struct dp_worker *workers; // n_workers entries
	/* Packets the control thread sends on ports without a TX queue of its own; worker 0
	 * transmits them (mbuf->port = index into ports). */
	struct rte_ring *ctl_tx; // ctl: enqueue (single producer), dp: worker 0 dequeues

	bool stop; // ctl: rw, dp: ro (atomic); workers leave their loop when set

	/* The workers' requests[id] sum when id was last given to a backend: a backend that takes
	 * over a removed one's id starts from 0 (dp_stats_backend_rebase). */
	uint64_t requests_base[LB_MAX_BACKENDS]; // ctl: rw, dp: never
};

/* True when ip (network order) is inside the VIP's prefix, i.e. on-link. */
static inline bool dp_on_link(const struct dp_ctx *ctx, uint32_t ip)
{
	return ((ip ^ ctx->vip4) & ctx->vip4_mask) == 0;
}

/* True when ip is an address inside the IPv6 VIP's prefix (on-link), other than the VIP. */
static inline bool dp_on_link6(const struct dp_ctx *ctx, const uint8_t ip[16])
{
	if (!ctx->has_vip6 || memcmp(ip, ctx->vip6, 16) == 0)
		return false;
	uint32_t full = ctx->vip6_len / 8u, rest = ctx->vip6_len % 8u;
	if (memcmp(ip, ctx->vip6, full) != 0)
		return false;
	return rest == 0 || ((ip[full] ^ ctx->vip6[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

#endif
