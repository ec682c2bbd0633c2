/* SPDX-License-Identifier: BSD-3-Clause */
/* IP fragment reassembly and fragmentation, and large mbufs for messages beyond one frame. */
#ifndef ALLOW_EXPERIMENTAL_API
#define ALLOW_EXPERIMENTAL_API /* rte_ip_frag_table_del_expired_entries */
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ip_frag.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "frag.h"
#include "ip6.h"
#include "log.h"
#include "worker.h"

/* Most fragments one outgoing packet may become (a 9216-byte message over a 1280 MTU: 8). */
#define DP_FRAG_OUT_MAX 64

struct frag_state {
	struct rte_ip_frag_tbl *tbl;
	struct rte_mempool *big;
	uint16_t ip_id;  /* IPv4 identification of the packets we fragment */
	uint32_t ip6_id; /* IPv6 Fragment header identification of the packets we fragment */
	struct rte_ip_frag_death_row dr;
};

/* This worker thread's state: only its own thread touches it. */
static __thread struct frag_state *tls_frag;
static __thread bool tls_frag_failed;
/* Large pools need distinct names across workers (and successive runs in one process). */
static uint32_t big_pool_seq;

int dp_frag_init(const struct dp_worker *w)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct frag_state *s;

	/* Called every poll: the thread-local answers before anything else is looked up. */
	if (tls_frag != NULL)
		return 0;
	if (tls_frag_failed)
		return -ENOMEM;
	int socket = (int)rte_socket_id();
	s = rte_zmalloc_socket("frag", sizeof(*s), RTE_CACHE_LINE_SIZE, socket);
	if (s == NULL)
		goto fail;
	uint64_t cycles = rte_get_tsc_hz() / 1000 * DP_FRAG_TIMEOUT_MS;
	s->tbl = rte_ip_frag_table_create(DP_FRAG_FLOWS, DP_FRAG_BUCKET_ENTRIES, DP_FRAG_FLOWS,
	                                  cycles, socket);
	snprintf(name, sizeof(name), "big%u",
	         __atomic_fetch_add(&big_pool_seq, 1, __ATOMIC_RELAXED));
	s->big = rte_pktmbuf_pool_create(name, DP_BIG_MBUFS, 0, 0,
	                                 DP_BIG_DATA + RTE_PKTMBUF_HEADROOM, socket);
	if (s->tbl == NULL || s->big == NULL) {
		rte_ip_frag_table_destroy(s->tbl);
		rte_mempool_free(s->big);
		rte_free(s);
		goto fail;
	}
	s->ip_id = (uint16_t)(w->queue * 0x1000u);
	s->ip6_id = (uint32_t)w->queue << 24 | (uint32_t)(rte_rand() & 0xffffffu);
	tls_frag = s;
	return 0;
fail:
	tls_frag_failed = true;
	log_error("worker %u: no memory for IP reassembly and large buffers: fragments and "
	          "frames beyond one mbuf are dropped",
	          w->queue);
	return -ENOMEM;
}

void dp_frag_fini(void)
{
	struct frag_state *s = tls_frag;

	if (s == NULL)
		return;
	rte_ip_frag_free_death_row(&s->dr, 0);
	rte_ip_frag_table_destroy(s->tbl);
	rte_mempool_free(s->big);
	rte_free(s);
	tls_frag = NULL;
}

/* Free what the reassembly table put on the death row since `before`, counted as reason. */
static void bury(struct dp_worker *w, struct frag_state *s, uint32_t before, enum dp_drop reason)
{
	if (s->dr.cnt == before)
		return;
	DP_COUNT_ADD(w->counters.drops[reason], s->dr.cnt - before);
	rte_ip_frag_free_death_row(&s->dr, 0);
}

void dp_frag_tick(struct dp_worker *w)
{
	struct frag_state *s = tls_frag;

	if (s == NULL)
		return;
	uint32_t before = s->dr.cnt;
	rte_ip_frag_table_del_expired_entries(s->tbl, &s->dr, rte_rdtsc());
	bury(w, s, before, DP_DROP_FRAG_TIMEOUT);
}

/* Copy m (any number of segments) into one mbuf of pool; NULL when it does not fit or the pool
 * is empty. m is left alone. */
static struct rte_mbuf *copy_flat(struct rte_mempool *pool, const struct rte_mbuf *m)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(pool);

	if (c == NULL)
		return NULL;
	if (m->pkt_len > rte_pktmbuf_tailroom(c)) {
		rte_pktmbuf_free(c);
		return NULL;
	}
	char *dst = rte_pktmbuf_mtod(c, char *);
	const void *src = rte_pktmbuf_read(m, 0, m->pkt_len, dst);
	if (src != dst)
		memcpy(dst, src, m->pkt_len);
	c->data_len = (uint16_t)m->pkt_len;
	c->pkt_len = m->pkt_len;
	c->port = m->port;
	return c;
}

struct rte_mbuf *dp_frag_linearize(struct dp_worker *w, struct rte_mbuf *m)
{
	struct frag_state *s = tls_frag;

	if (s == NULL || m->pkt_len > DP_BIG_DATA) {
		dp_drop(w, m, DP_DROP_MULTI_SEG);
		return NULL;
	}
	struct rte_mbuf *c = copy_flat(s->big, m);
	if (c == NULL) {
		dp_drop(w, m, DP_DROP_NO_MBUF);
		return NULL;
	}
	rte_pktmbuf_free(m);
	return c;
}

/*
 * A reassembled datagram, its fragments chained: one copy into a large mbuf makes it contiguous
 * for the parser. Frees r; returns the copy, or NULL with the drop counted.
 */
static struct rte_mbuf *flatten(struct dp_worker *w, struct frag_state *s, struct rte_mbuf *r)
{
	if (r->pkt_len > DP_BIG_DATA) {
		dp_drop(w, r, DP_DROP_FRAG_TOO_BIG);
		return NULL;
	}
	struct rte_mbuf *c = copy_flat(s->big, r);
	if (c == NULL) {
		dp_drop(w, r, DP_DROP_NO_MBUF);
		return NULL;
	}
	rte_pktmbuf_free(r);
	return c;
}

struct rte_mbuf *dp_frag_ipv4(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	struct frag_state *s = tls_frag;

	if (s == NULL) {
		dp_drop(w, m, DP_DROP_FRAG_FAILED);
		return NULL;
	}
	if (!dp_ipv4_frag_check(ip)) {
		dp_drop(w, m, DP_DROP_FRAG_BAD);
		return NULL;
	}
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = (uint16_t)((ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER);

	uint32_t before = s->dr.cnt;
	struct rte_mbuf *r = rte_ipv4_frag_reassemble_packet(s->tbl, &s->dr, m, rte_rdtsc(), ip);
	bury(w, s, before, DP_DROP_FRAG_FAILED);
	if (r == NULL)
		return NULL;

	struct rte_mbuf *c = flatten(w, s, r);
	if (c == NULL)
		return NULL;
	/* Reassembly leaves the header checksum zero: make the header sound again. */
	struct rte_ipv4_hdr *h =
	    rte_pktmbuf_mtod_offset(c, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	h->hdr_checksum = 0;
	h->hdr_checksum = rte_ipv4_cksum(h);
	return c;
}

/* Remove the Fragment header of an atomic fragment (offset 0, no M flag, RFC 6946) in place. */
static void strip_atomic(struct rte_mbuf *m, struct rte_ipv6_hdr *ip,
                         const struct rte_ipv6_fragment_ext *f)
{
	const uint32_t move = sizeof(struct rte_ether_hdr) + sizeof(*ip);

	ip->proto = f->next_header;
	ip->payload_len =
	    rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->payload_len) - sizeof(*f)));
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(frame + sizeof(*f), frame, move);
	rte_pktmbuf_adj(m, sizeof(*f));
}

struct rte_mbuf *dp_frag_ipv6(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv6_hdr *ip)
{
	struct frag_state *s = tls_frag;
	struct rte_ipv6_fragment_ext *f = (struct rte_ipv6_fragment_ext *)(ip + 1);
	uint32_t payload_len = rte_be_to_cpu_16(ip->payload_len);

	if (payload_len < sizeof(*f) || !dp_ipv6_frag_check(f, payload_len - sizeof(*f))) {
		dp_drop(w, m, DP_DROP_FRAG_BAD);
		return NULL;
	}
	if (dp_ipv6_frag_offset(f) == 0 && !dp_ipv6_frag_more(f)) {
		strip_atomic(m, ip, f);
		return m;
	}
	if (s == NULL) {
		dp_drop(w, m, DP_DROP_FRAG_FAILED);
		return NULL;
	}
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(*ip) + sizeof(*f); /* the library removes the Fragment header */

	uint32_t before = s->dr.cnt;
	struct rte_mbuf *r = rte_ipv6_frag_reassemble_packet(s->tbl, &s->dr, m, rte_rdtsc(), ip, f);
	bury(w, s, before, DP_DROP_FRAG_FAILED);
	if (r == NULL)
		return NULL;
	struct rte_mbuf *c = flatten(w, s, r);
	if (c == NULL)
		return NULL;
	/* What the library rebuilt must describe the frame exactly, or it is not handled. */
	struct rte_ipv6_hdr *h =
	    rte_pktmbuf_mtod_offset(c, struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
	if (c->data_len < sizeof(struct rte_ether_hdr) + sizeof(*h) ||
	    rte_be_to_cpu_16(h->payload_len) + sizeof(*h) + sizeof(struct rte_ether_hdr) !=
	        c->data_len ||
	    h->proto == IPPROTO_FRAGMENT) {
		dp_drop(w, c, DP_DROP_FRAG_FAILED);
		return NULL;
	}
	return c;
}

static uint32_t port_mtu(const struct dp_ctx *ctx, uint16_t port)
{
	uint32_t mtu = ctx->cfg != NULL ? ctx->cfg->ports[port].mtu : 0;

	return mtu != 0 ? mtu : RTE_ETHER_MTU;
}

/* Fragment the IPv4 frame in m (one segment) into ordinary mbufs and queue them. */
static void tx_ipv4_fragments(struct dp_worker *w, uint16_t port, struct rte_mbuf *m, uint32_t mtu)
{
	struct frag_state *s = tls_frag;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint32_t eth = sizeof(struct rte_ether_hdr);
	struct rte_ipv4_hdr ip;
	struct rte_mbuf *out[DP_FRAG_OUT_MAX];

	if (m->nb_segs != 1 || m->data_len < eth + sizeof(ip))
		return dp_drop(w, m, DP_DROP_MULTI_SEG);
	memcpy(&ip, frame + eth, sizeof(ip));
	uint32_t hdr_len =
	    (uint32_t)(ip.version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	uint32_t ip_len = rte_be_to_cpu_16(ip.total_length);
	uint32_t n = dp_ipv4_frag_count(ip_len, hdr_len, mtu);
	if (ip_len + eth > m->data_len || n == 0 || n > DP_FRAG_OUT_MAX)
		return dp_drop(w, m, DP_DROP_FRAG_TOO_BIG);
	if (rte_pktmbuf_alloc_bulk(w->ctx->pool, out, n) != 0)
		return dp_drop(w, m, DP_DROP_NO_MBUF);
	uint16_t id = s != NULL ? ++s->ip_id : (uint16_t)rte_rdtsc();
	for (uint32_t k = 0; k < n; k++) {
		uint32_t len =
		    dp_ipv4_frag_write(rte_pktmbuf_mtod(out[k], uint8_t *), frame, mtu, k, id);
		out[k]->data_len = (uint16_t)len;
		out[k]->pkt_len = len;
	}
	rte_pktmbuf_free(m);
	for (uint32_t k = 0; k < n; k++)
		dp_tx_raw(w, port, out[k]);
}

/* Fragment the IPv6 frame in m (one segment, no extension header) into ordinary mbufs and
 * queue them, each with a Fragment header (RFC 8200 4.5: only the source fragments). */
static void tx_ipv6_fragments(struct dp_worker *w, uint16_t port, struct rte_mbuf *m, uint32_t mtu)
{
	struct frag_state *s = tls_frag;
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint32_t eth = sizeof(struct rte_ether_hdr);
	struct rte_ipv6_hdr ip;
	struct rte_mbuf *out[DP_FRAG_OUT_MAX];

	if (m->nb_segs != 1 || m->data_len < eth + sizeof(ip))
		return dp_drop(w, m, DP_DROP_MULTI_SEG);
	memcpy(&ip, frame + eth, sizeof(ip));
	uint32_t payload_len = rte_be_to_cpu_16(ip.payload_len);
	uint32_t n = dp_ipv6_frag_count(payload_len, mtu);
	if (eth + sizeof(ip) + payload_len > m->data_len || n == 0 || n > DP_FRAG_OUT_MAX ||
	    ip.proto == IPPROTO_FRAGMENT)
		return dp_drop(w, m, DP_DROP_FRAG_TOO_BIG);
	if (rte_pktmbuf_alloc_bulk(w->ctx->pool, out, n) != 0)
		return dp_drop(w, m, DP_DROP_NO_MBUF);
	uint32_t id = s != NULL ? ++s->ip6_id : (uint32_t)rte_rdtsc();
	for (uint32_t k = 0; k < n; k++) {
		uint32_t len =
		    dp_ipv6_frag_write(rte_pktmbuf_mtod(out[k], uint8_t *), frame, mtu, k, id);
		out[k]->data_len = (uint16_t)len;
		out[k]->pkt_len = len;
	}
	rte_pktmbuf_free(m);
	for (uint32_t k = 0; k < n; k++)
		dp_tx_raw(w, port, out[k]);
}

void dp_tx_large(struct dp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	const struct dp_ctx *ctx = w->ctx;
	uint32_t mtu = port_mtu(ctx, port);
	const uint32_t eth = sizeof(struct rte_ether_hdr);

	if (m->pkt_len <= eth + mtu) {
		if (m->pool == ctx->pool)
			return dp_tx_raw(w, port, m);
		struct rte_mbuf *c = copy_flat(ctx->pool, m);
		if (c == NULL)
			return dp_drop(w, m, DP_DROP_NO_MBUF);
		rte_pktmbuf_free(m);
		return dp_tx_raw(w, port, c);
	}
	/* The frame may start at an odd address after a SIP edit: no direct header access. */
	uint16_t type = 0;
	if (m->data_len >= eth)
		memcpy(&type, rte_pktmbuf_mtod_offset(m, uint8_t *, 2 * RTE_ETHER_ADDR_LEN),
		       sizeof(type));
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return tx_ipv4_fragments(w, port, m, mtu);
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return tx_ipv6_fragments(w, port, m, mtu);
	dp_drop(w, m, DP_DROP_FRAG_TOO_BIG);
}
