/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker burst loop and L2-L4 classification (ARP, ICMP echo, Neighbor Discovery, IPv4 and
 * IPv6 fragments, UDP to a SIP port over IPv4 or IPv6). */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_prefetch.h>
/* The loop announces a quiescent state every turn: liburcu's inline versions, no library call. */
#define _LGPL_SOURCE
#include <urcu-qsbr.h>

#include "frag.h"
#include "ip6.h"
#include "port.h"
#include "worker.h"

/*
 * How many packets ahead of the one being handled are prefetched, and how much of each: the
 * whole datagram up to DP_PREFETCH_BYTES (the checksum and the parser read all of it, and a
 * packet written by another core or a NIC is not in this core's cache).
 */
#define DP_PREFETCH_AHEAD 3
#define DP_PREFETCH_BYTES 2048u

/* Every cache line of m's first segment, up to DP_PREFETCH_BYTES. */
static inline void prefetch_packet(const struct rte_mbuf *m)
{
	const char *d = rte_pktmbuf_mtod(m, const char *);
	uint32_t len = RTE_MIN((uint32_t)rte_pktmbuf_data_len(m), DP_PREFETCH_BYTES);

	for (uint32_t o = 0; o < len; o += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(d + o);
}

void dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_drop reason)
{
	DP_COUNT(w->counters.drops[reason]);
	rte_pktmbuf_free(m);
}

void dp_worker_flush_port(struct dp_worker *w, uint16_t port)
{
	struct dp_txbuf *b = &w->tx[port];
	const struct dp_port *p = &w->ctx->ports[port];

	if (b->n == 0)
		return;
	if (unlikely(w->ports_down & (1u << port))) {
		/* The peer is gone: nothing to send to, and the driver may hold no rings. */
		for (uint16_t i = 0; i < b->n; i++)
			dp_drop(w, b->pkts[i], DP_DROP_LINK_DOWN);
		b->n = 0;
		return;
	}
	uint16_t sent = rte_eth_tx_burst(p->port_id, w->queue, b->pkts, b->n);

	DP_COUNT_ADD(w->counters.tx, sent);
	for (uint16_t i = sent; i < b->n; i++)
		dp_drop(w, b->pkts[i], DP_DROP_TX_FULL);
	b->n = 0;
}

void dp_worker_flush(struct dp_worker *w)
{
	for (uint16_t port = 0; port < w->ctx->n_ports; port++)
		dp_worker_flush_port(w, port);
}

static void handle_arp(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                       struct rte_ether_hdr *eth)
{
	const struct dp_ctx *ctx = w->ctx;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	if (!dp_arp_check(arp, m->data_len - (uint32_t)sizeof(*eth)))
		return dp_drop(w, m, DP_DROP_BAD_ARP);
	/* Requests and replies both say where their sender is: the control thread learns it. */
	/* (Without an IPv4 VIP, vip4 is 0: nothing IPv4 is ours, nobody is on our link.) */
	uint32_t sender = arp->arp_data.arp_sip;
	if (sender != 0 && ctx->vip4 != 0 && sender != ctx->vip4 && dp_on_link(ctx, sender))
		dp_notice(w, DP_NOTICE_LEARN, sender, &arp->arp_data.arp_sha, port);

	if (arp->arp_opcode == dp_be16(RTE_ARP_OP_REQUEST) && ctx->vip4 != 0 &&
	    arp->arp_data.arp_tip == ctx->vip4) {
		dp_arp_make_reply(m, eth, &ctx->ports[port].mac, ctx->vip4);
		DP_COUNT(w->counters.arp_replied);
		return dp_tx(w, port, m);
	}
	if (arp->arp_opcode == dp_be16(RTE_ARP_OP_REQUEST))
		return dp_drop(w, m, DP_DROP_ARP_NOT_FOR_US);
	/* A reply: consumed by the notice above, nothing to send. */
	rte_pktmbuf_free(m);
}

static void handle_icmp(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                        struct dp_ipv4_pkt *p)
{
	if (p->ip_len < p->ip_hdr_len + sizeof(struct rte_icmp_hdr))
		return dp_drop(w, m, DP_DROP_BAD_ICMP);
	if (!dp_icmp_is_echo_request(p))
		return dp_drop(w, m, DP_DROP_ICMP_OTHER);
	if (!dp_icmp_echo_reply(p, &w->ctx->ports[port].mac))
		return dp_drop(w, m, DP_DROP_BAD_ICMP);
	DP_COUNT(w->counters.icmp_replied);
	dp_tx(w, port, m);
}

/* Index of dst_port among the SIP ports, or n_sip_ports. */
static uint32_t sip_port_index(const struct dp_ctx *ctx, uint16_t dst_port)
{
	uint32_t k = 0;

	while (k < ctx->n_sip_ports && ctx->sip_ports[k] != dst_port)
		k++;
	return k;
}

static void handle_udp(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                       struct dp_ipv4_pkt *l3)
{
	const struct dp_ctx *ctx = w->ctx;
	struct dp_udp_pkt p = {.eth = l3->eth, .ip4 = l3->ip};
	uint32_t l4_avail = (uint32_t)l3->ip_len - l3->ip_hdr_len;

	p.udp = (struct rte_udp_hdr *)((uint8_t *)l3->ip + l3->ip_hdr_len);
	if (!dp_udp4_check_rx(m->ol_flags, l3->ip, p.udp, l4_avail, &p.payload_sum))
		return dp_drop(w, m, DP_DROP_BAD_UDP);

	uint32_t k = sip_port_index(ctx, dp_be16(p.udp->dst_port));
	if (k == ctx->n_sip_ports)
		return dp_drop(w, m, DP_DROP_UDP_PORT);

	p.sip_port = k;
	p.payload = (char *)(p.udp + 1);
	p.payload_len = dp_be16(p.udp->dgram_len) - (uint32_t)sizeof(*p.udp);
	p.src.family = AF_INET;
	p.src.port = dp_be16(p.udp->src_port);
	memcpy(p.src.v4, &l3->ip->src_addr, 4);
	dp_sip_packet(w, port, m, &p);
}

static void handle_ipv4(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                        struct rte_ether_hdr *eth)
{
	const struct dp_ctx *ctx = w->ctx;
	struct dp_ipv4_pkt p = {.eth = eth, .ip = (struct rte_ipv4_hdr *)(eth + 1)};
	uint32_t avail = m->data_len - (uint32_t)sizeof(*eth);

	if (!dp_ipv4_check(p.ip, avail))
		return dp_drop(w, m, DP_DROP_BAD_IP);
	/* 0.0.0.0 is never ours: it is vip4 when there is no IPv4 VIP */
	if (p.ip->dst_addr != ctx->vip4 || p.ip->dst_addr == 0)
		return dp_drop(w, m, DP_DROP_NOT_FOR_US);

	p.ip_hdr_len =
	    (uint16_t)((p.ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER);
	p.ip_len = dp_be16(p.ip->total_length);
	/* Ethernet padding after the IP packet is not ours to relay. */
	if (avail > p.ip_len)
		rte_pktmbuf_trim(m, (uint16_t)(avail - p.ip_len));
	if (unlikely(dp_ipv4_is_fragment(p.ip))) {
		/* Held until the datagram is whole, then handled as if it came in one piece. */
		m = dp_frag_ipv4(w, m, p.ip);
		if (m != NULL)
			handle_ipv4(w, port, m, rte_pktmbuf_mtod(m, struct rte_ether_hdr *));
		return;
	}

	switch (p.ip->next_proto_id) {
	case IPPROTO_UDP:
		return handle_udp(w, port, m, &p);
	case IPPROTO_ICMP:
		return handle_icmp(w, port, m, &p);
	default:
		return dp_drop(w, m, DP_DROP_PROTO_OTHER);
	}
}

/* A Neighbor Advertisement: its target is at the MAC it names (RFC 4861 7.2.5), learned by the
 * control thread. Nothing is sent back. */
static void handle_na(struct dp_worker *w, uint16_t port, struct rte_mbuf *m, struct dp_ipv6_pkt *p)
{
	uint8_t target[16];
	bool has_mac;
	struct rte_ether_addr mac;

	if (!dp_nd_na_parse(p, target, &has_mac, &mac))
		return dp_drop(w, m, DP_DROP_BAD_ND);
	if (!has_mac) /* RFC 4861 4.4: then the link-layer source is the target's */
		rte_ether_addr_copy(&p->eth->src_addr, &mac);
	if (dp_on_link6(w->ctx, target) && rte_is_unicast_ether_addr(&mac))
		dp_notice6(w, DP_NOTICE_LEARN6, target, &mac, port);
	rte_pktmbuf_free(m);
}

static void handle_icmp6(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                         struct dp_ipv6_pkt *p, const uint8_t vip6[16])
{
	const struct rte_ether_addr *our_mac = &w->ctx->ports[port].mac;

	if (p->l4_len < 4)
		return dp_drop(w, m, DP_DROP_BAD_ICMP);
	if (p->l4[0] == DP_ND_NS) {
		uint8_t target[16];
		bool has_mac;
		struct rte_ether_addr sender;
		if (!dp_nd_ns_parse(p, target, &has_mac, &sender))
			return dp_drop(w, m, DP_DROP_BAD_ICMP);
		/* The solicitation says where its sender is (RFC 4861 7.2.3), like an ARP request.
		 */
		if (has_mac && dp_on_link6(w->ctx, p->ip->src_addr) &&
		    rte_is_unicast_ether_addr(&sender))
			dp_notice6(w, DP_NOTICE_LEARN6, p->ip->src_addr, &sender, port);
		if (memcmp(target, vip6, 16) != 0)
			return dp_drop(w, m, DP_DROP_ND_NOT_FOR_US);
		dp_nd_make_na(m, p, our_mac, vip6);
		DP_COUNT(w->counters.arp_replied);
		return dp_tx(w, port, m);
	}
	if (p->l4[0] == DP_ND_NA && memcmp(p->ip->dst_addr, vip6, 16) == 0)
		return handle_na(w, port, m, p);
	if (p->l4[0] != DP_ICMP6_ECHO_REQUEST || memcmp(p->ip->dst_addr, vip6, 16) != 0)
		return dp_drop(w, m, DP_DROP_ICMP_OTHER);
	if (!dp_icmp6_echo_reply(p, our_mac))
		return dp_drop(w, m, DP_DROP_BAD_ICMP);
	DP_COUNT(w->counters.icmp_replied);
	dp_tx(w, port, m);
}

static void handle_udp6(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                        struct dp_ipv6_pkt *l3)
{
	const struct dp_ctx *ctx = w->ctx;
	struct dp_udp_pkt p = {.eth = l3->eth, .ip6 = l3->ip, .payload_sum = -1};

	p.udp = (struct rte_udp_hdr *)l3->l4;
	if (!dp_udp6_check(l3->ip, p.udp, l3->l4_len))
		return dp_drop(w, m, DP_DROP_BAD_UDP6);
	uint32_t k = sip_port_index(ctx, dp_be16(p.udp->dst_port));
	if (k == ctx->n_sip_ports)
		return dp_drop(w, m, DP_DROP_UDP_PORT);

	p.sip_port = k;
	p.payload = (char *)(p.udp + 1);
	p.payload_len = dp_be16(p.udp->dgram_len) - (uint32_t)sizeof(*p.udp);
	p.src.family = AF_INET6;
	p.src.port = dp_be16(p.udp->src_port);
	memcpy(p.src.v6, l3->ip->src_addr, 16);
	dp_sip_packet(w, port, m, &p);
}

static void handle_ipv6(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                        struct rte_ether_hdr *eth)
{
	const struct dp_ctx *ctx = w->ctx;
	struct dp_ipv6_pkt p = {.eth = eth, .ip = (struct rte_ipv6_hdr *)(eth + 1)};
	uint32_t avail = m->data_len - (uint32_t)sizeof(*eth);
	uint8_t group[16];

	if (!ctx->has_vip6)
		return dp_drop(w, m, DP_DROP_NO_VIP6);
	const uint8_t *vip6 = ctx->vip6;
	if (!dp_ipv6_check(p.ip, avail))
		return dp_drop(w, m, DP_DROP_BAD_IP6);
	dp_ipv6_solicited_node(vip6, group);
	bool to_vip = memcmp(p.ip->dst_addr, vip6, 16) == 0;
	if (!to_vip && memcmp(p.ip->dst_addr, group, 16) != 0)
		return dp_drop(w, m, DP_DROP_NOT_FOR_US6);
	p.l4 = (uint8_t *)(p.ip + 1);
	p.l4_len = dp_be16(p.ip->payload_len);
	/* Ethernet padding after the IPv6 packet is not ours to relay. */
	if (avail > sizeof(*p.ip) + p.l4_len)
		rte_pktmbuf_trim(m, (uint16_t)(avail - sizeof(*p.ip) - p.l4_len));

	switch (p.ip->proto) {
	case IPPROTO_ICMPV6:
		return handle_icmp6(w, port, m, &p, vip6);
	case IPPROTO_UDP:
		if (!to_vip)
			return dp_drop(w, m, DP_DROP_NOT_FOR_US6);
		return handle_udp6(w, port, m, &p);
	case IPPROTO_FRAGMENT:
		if (!to_vip)
			return dp_drop(w, m, DP_DROP_NOT_FOR_US6);
		/* Held until the datagram is whole, then handled as if it came in one piece. */
		m = dp_frag_ipv6(w, m, p.ip);
		if (m != NULL)
			handle_ipv6(w, port, m, rte_pktmbuf_mtod(m, struct rte_ether_hdr *));
		return;
	default:
		return dp_drop(w, m, DP_DROP_PROTO_OTHER6);
	}
}

void dp_worker_packet(struct dp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	if (unlikely(m->nb_segs != 1)) {
		/* A frame beyond one mbuf (jumbo): the parser needs it in one piece. */
		m = dp_frag_linearize(w, m);
		if (m == NULL)
			return;
	}
	if (m->data_len < sizeof(struct rte_ether_hdr))
		return dp_drop(w, m, DP_DROP_BAD_ETHER);

	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	switch (eth->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		return handle_ipv4(w, port, m, eth);
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		return handle_arp(w, port, m, eth);
	case RTE_BE16(RTE_ETHER_TYPE_IPV6):
		return handle_ipv6(w, port, m, eth);
	default:
		return dp_drop(w, m, DP_DROP_NOT_IPV4);
	}
}

uint32_t dp_worker_poll(struct dp_worker *w)
{
	const struct dp_ctx *ctx = w->ctx;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	uint32_t total = 0;

	dp_frag_init(w);
	/* Expired reassemblies swept every DP_FRAG_TICK_TURNS turns: a sweep reads the TSC and
	 * the table, which costs as much as an empty poll; timeouts are milliseconds anyway. */
	if (unlikely(++w->frag_turns >= DP_FRAG_TICK_TURNS)) {
		w->frag_turns = 0;
		dp_frag_tick(w);
	}
	/* One look at the SIP policy per poll: valid until this loop turn's quiescent state. */
	w->policy = dp_policy_current(&w->ctx->policy);
	/* Link states once per turn; worker 0 reads those of ports without change interrupts. */
	if (w->queue == 0 && unlikely(++w->link_turns >= DP_LINK_POLL_TURNS)) {
		w->link_turns = 0;
		w->link_sleep_us = 0;
		dp_ports_link_poll(w->ctx);
	}
	w->ports_down = dp_ports_down(ctx);
	for (uint16_t port = 0; port < ctx->n_ports; port++) {
		if (unlikely(w->ports_down & (1u << port)))
			continue;
		uint16_t n = rte_eth_rx_burst(ctx->ports[port].port_id, w->queue, pkts,
		                              (uint16_t)ctx->burst);
		if (n == 0)
			continue;
		total += n;
		DP_COUNT_ADD(w->counters.rx, n);
		for (uint16_t i = 0; i < n && i < DP_PREFETCH_AHEAD; i++)
			prefetch_packet(pkts[i]);
		for (uint16_t i = 0; i < n; i++) {
			if (i + DP_PREFETCH_AHEAD < n)
				prefetch_packet(pkts[i + DP_PREFETCH_AHEAD]);
			dp_worker_packet(w, port, pkts[i]);
		}
	}
	if (w->queue == 0 && ctx->ctl_tx != NULL) {
		unsigned int n =
		    rte_ring_sc_dequeue_burst(ctx->ctl_tx, (void **)pkts, DP_MAX_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			dp_tx(w, pkts[i]->port, pkts[i]);
	}
	dp_worker_flush(w);
	return total;
}

/*
 * Idle back-off (as grout does): after DP_IDLE_POLLS empty polls in a row, sleep, doubling the
 * sleep up to idle_sleep_us; traffic resets it. Offline while asleep so grace periods go on.
 */
static void idle(struct dp_worker *w)
{
	uint32_t max_us = w->ctx->idle_sleep_us;

	if (max_us == 0 || ++w->empty_polls < DP_IDLE_POLLS)
		return;
	w->sleep_us = w->sleep_us == 0 ? 1 : w->sleep_us * 2;
	if (w->sleep_us > max_us)
		w->sleep_us = max_us;
	rcu_thread_offline();
	usleep((useconds_t)w->sleep_us);
	rcu_thread_online();
	/* 4096 sleeping turns can last 0.4 s: link states are read after 10 ms of sleep too. */
	if (w->queue == 0) {
		w->link_sleep_us += (uint32_t)w->sleep_us;
		if (w->link_sleep_us >= DP_LINK_POLL_SLEEP_US)
			w->link_turns = DP_LINK_POLL_TURNS; /* read at the next turn */
	}
}

int dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;

	rcu_register_thread();
	dp_frag_init(w);
	while (!__atomic_load_n(&w->ctx->stop, __ATOMIC_RELAXED)) {
		if (dp_worker_poll(w) == 0) {
			idle(w);
		} else {
			w->empty_polls = 0;
			w->sleep_us = 0;
		}
		rcu_quiescent_state();
	}
	dp_worker_flush(w);
	dp_frag_fini();
	rcu_unregister_thread();
	return 0;
}
