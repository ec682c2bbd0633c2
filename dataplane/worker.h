/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore: run-to-completion burst loop over every port's RX queue of this worker.
 * Helpers every per-packet path shares (drop, transmit, notify the control thread) are inline
 * here; none of them allocates, locks or makes a system call.
 */
#ifndef SIPSTEER_DP_WORKER_H
#define SIPSTEER_DP_WORKER_H

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "dp.h"
#include "ip6.h"
#include "net.h"

/*
 * Worker lcore entry (rte_eal_remote_launch): registers with urcu-qsbr, polls until ctx->stop,
 * flushes, unregisters. arg is the struct dp_worker. Returns 0.
 */
int dp_worker_main(void *arg);

/*
 * One loop turn without the RCU and idle handling: receive a burst on every port, handle it,
 * flush the TX buffers. Returns the number of packets received. The caller must be an online
 * urcu-qsbr reader (benchmarks drive the loop through this).
 */
uint32_t dp_worker_poll(struct dp_worker *w);

/* Handle one received packet (classify and act). Consumes m. */
void dp_worker_packet(struct dp_worker *w, uint16_t port, struct rte_mbuf *m);

/* Send everything buffered for every port; free and count what the ports refused. */
void dp_worker_flush(struct dp_worker *w);

/*
 * Drop m for reason. Out of line and cold: the mbuf free it does is a hundred-odd bytes of
 * mempool code that each of the many drop sites would otherwise carry inline, spread through
 * the hot paths' instruction cache lines.
 */
void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_drop reason) __attribute__((cold));

void dp_worker_flush_port(struct dp_worker *w, uint16_t port);

/* Queue m, a single-segment mbuf of ctx->pool that fits the port's MTU, on port. */
static inline void dp_tx_raw(struct dp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct dp_txbuf *b = &w->tx[port];

	b->pkts[b->n++] = m;
	if (b->n == DP_TX_BUF)
		dp_worker_flush_port(w, port);
}

/* Transmit path of frames beyond a standard Ethernet frame or in a large mbuf (frag.c). */
void dp_tx_large(struct dp_worker *w, uint16_t port, struct rte_mbuf *m);

/*
 * Queue m for transmission on port (index into ctx->ports). A frame larger than a standard
 * Ethernet frame, or in a large mbuf, takes dp_tx_large (copied, fragmented to the port MTU).
 */
static inline void dp_tx(struct dp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	if (unlikely(m->pkt_len > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN || m->pool != w->ctx->pool))
		return dp_tx_large(w, port, m);
	dp_tx_raw(w, port, m);
}

/* Tell the control thread something; counts notices_lost when its ring is full. */
static inline void dp_notice(struct dp_worker *w, enum dp_notice_kind kind, uint32_t ip,
                             const struct rte_ether_addr *mac, uint16_t port)
{
	struct dp_notice n = {.ip = ip, .port = (uint8_t)port, .kind = (uint8_t)kind};

	if (mac != NULL)
		memcpy(n.mac, mac->addr_bytes, sizeof(n.mac));
	if (rte_ring_sp_enqueue_elem(w->notices, &n, sizeof(n)) != 0)
		DP_COUNT(w->counters.notices_lost);
}

/* Tell the control thread something about an IPv6 address (DP_NOTICE_LEARN6, _RESOLVE6). */
static inline void dp_notice6(struct dp_worker *w, enum dp_notice_kind kind, const uint8_t ip[16],
                              const struct rte_ether_addr *mac, uint16_t port)
{
	struct dp_notice n = {.port = (uint8_t)port, .kind = (uint8_t)kind};

	memcpy(n.ip6, ip, sizeof(n.ip6));
	if (mac != NULL)
		memcpy(n.mac, mac->addr_bytes, sizeof(n.mac));
	if (rte_ring_sp_enqueue_elem(w->notices, &n, sizeof(n)) != 0)
		DP_COUNT(w->counters.notices_lost);
}

/* A checked UDP datagram to one of our SIP ports, over IPv4 or IPv6. */
struct dp_udp_pkt {
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip4; /* IPv4: the checked header; NULL over IPv6 */
	struct rte_ipv6_hdr *ip6; /* IPv6: the checked fixed header; NULL over IPv4 */
	struct rte_udp_hdr *udp;
	char *payload;
	uint32_t payload_len;
	int32_t payload_sum; /* dp_raw_cksum() of the payload, -1 when not known */
	uint32_t sip_port;   /* index into ctx->sip_ports / ctx->sip / ctx->sip6 */
	struct lb_addr src;  /* source address and UDP port (host order) */
};

/* Handle one SIP datagram (sip_path.c). Consumes m. */
void dp_sip_packet(struct dp_worker *w, uint16_t port, struct rte_mbuf *m, struct dp_udp_pkt *p);

#endif
