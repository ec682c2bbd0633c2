/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-message SIP decisions on a worker: parse, then forward a request to the backend Maglev
 * picks, relay a response to the Via below ours, or answer statelessly (400, 483, 503, ...).
 *
 * Zero copy: the message is edited in its own mbuf (dp_sip_forward_request and
 * dp_sip_relay_response move only the bytes in front of the edit), then fresh Ethernet, IPv4 or
 * IPv6, and UDP headers are written right in front of it. Only stateless replies take a new mbuf.
 *
 * IPv4 and IPv6: each leg has its own family. Our Via on a request names the virtual IP of the
 * family of the leg it is sent on (the backend must reach us at it), so a response is checked
 * against the VIP of the family it arrives on and may leave in the other one.
 */
#include <string.h>

#include <sys/socket.h>

#include "probe_io.h"
#include "ratelimit.h"
#include "worker.h"

_Static_assert(DP_RL_WORKERS >= CTL_MAX_WORKERS, "a rate limit table per worker");

/* The buffer dp_sip_* may edit: the datagram's payload, with the headroom that remains once our
 * own L2-L4 headers are put back in front of it, and the mbuf's tailroom behind it. */
/* Room kept in front of an edited message for the headers it leaves with: IPv6 ones may be
 * needed as soon as there is an IPv6 VIP (a response's next hop is known only after the edit). */
static uint32_t out_hdr_room(const struct dp_ctx *ctx)
{
	return ctx->has_vip6 ? (uint32_t)DP_UDP6_HDR_LEN : (uint32_t)DP_UDP4_HDR_LEN;
}

static uint32_t hdr_len_of(const struct lb_addr *dst)
{
	return dst->family == AF_INET6 ? (uint32_t)DP_UDP6_HDR_LEN : (uint32_t)DP_UDP4_HDR_LEN;
}

static struct dp_sip_buf payload_buf(const struct dp_ctx *ctx, struct rte_mbuf *m,
                                     const struct dp_udp_pkt *p)
{
	char *start = (char *)m->buf_addr;
	char *end = start + m->buf_len;

	return (struct dp_sip_buf){
	    .data = p->payload,
	    .len = p->payload_len,
	    .headroom = (uint32_t)(p->payload - start) - out_hdr_room(ctx),
	    .tailroom = (uint32_t)(end - (p->payload + p->payload_len)),
	    .sum = (uint16_t)(p->payload_sum >= 0 ? p->payload_sum : 0),
	    .sum_valid = p->payload_sum >= 0,
	};
}

/* Point m's data at the edited message with room for hdr_len bytes of headers in front. */
static void frame_around(struct rte_mbuf *m, const struct dp_sip_buf *b, uint32_t hdr_len)
{
	m->data_off = (uint16_t)(b->data - (char *)m->buf_addr - hdr_len);
	m->data_len = (uint16_t)(hdr_len + b->len);
	m->pkt_len = m->data_len;
}

static struct dp_sip_peer peer_of(const struct lb_addr *addr, uint16_t port)
{
	struct dp_sip_peer peer = {.addr = *addr};

	peer.addr.port = port;
	return peer;
}

/* The proxy configuration of SIP port k on a leg of family (its Via names that family's VIP),
 * from the worker's current policy; NULL when the daemon has no VIP of that family. */
static const struct dp_sip_cfg *leg_cfg(const struct dp_worker *w, uint8_t family, uint32_t k)
{
	const struct dp_sip_policy *pol = w->policy;

	if (pol == NULL)
		return NULL;
	if (family == AF_INET6)
		return w->ctx->has_vip6 ? &pol->sip6[k] : NULL;
	return family == AF_INET && w->ctx->vip4 != 0 ? &pol->sip[k] : NULL;
}

/* As next_hop, for an IPv6 destination: on-link in the VIP's prefix, else gateway6. */
static int next_hop6(struct dp_worker *w, const uint8_t dst[16], uint16_t *port,
                     struct rte_ether_addr *mac)
{
	const struct dp_ctx *ctx = w->ctx;
	const uint8_t *hop = dp_on_link6(ctx, dst) ? dst : ctx->gateway6;

	if (dp_ip6_is_zero(hop))
		return DP_DROP_NO_ROUTE6;
	const struct dp_neigh6_table *t = dp_neigh6_current((struct dp_neigh6_slot *)&ctx->neigh6);
	const struct dp_neigh6 *n = t != NULL ? dp_neigh6_lookup(t, hop) : NULL;
	if (n == NULL) {
		dp_notice6(w, DP_NOTICE_RESOLVE6, hop, NULL, 0);
		return DP_DROP_NEIGH_MISS;
	}
	*port = n->port;
	memcpy(mac->addr_bytes, n->mac, sizeof(n->mac));
	return 0;
}

/*
 * Where a packet to dst goes next: port and MAC of dst itself when it is on-link, else of the
 * gateway. Returns 0, or the drop reason (a miss asks the control thread to resolve).
 */
static inline __attribute__((always_inline)) int
next_hop(struct dp_worker *w, const struct lb_addr *to, uint16_t *port, struct rte_ether_addr *mac)
{
	const struct dp_ctx *ctx = w->ctx;

	if (to->family == AF_INET6)
		return next_hop6(w, to->v6, port, mac);
	uint32_t dst;
	memcpy(&dst, to->v4, sizeof(dst));
	uint32_t hop = dp_on_link(ctx, dst) ? dst : ctx->gateway4;

	if (hop == 0)
		return DP_DROP_NO_ROUTE;
	const struct dp_neigh_table *t = dp_neigh_current((struct dp_neigh_slot *)&ctx->neigh);
	const struct dp_neigh *n = t != NULL ? dp_neigh_lookup(t, hop) : NULL;
	if (n == NULL) {
		dp_notice(w, DP_NOTICE_RESOLVE, hop, NULL, 0);
		return DP_DROP_NEIGH_MISS;
	}
	*port = n->port;
	memcpy(mac->addr_bytes, n->mac, sizeof(n->mac));
	return 0;
}

/* Write the headers of the family of dst in front of the len-byte message in m (framed for
 * them), from the VIP of that family and SIP port k. */
static inline __attribute__((always_inline)) void write_udp(const struct dp_ctx *ctx,
                                                            struct rte_mbuf *m, uint16_t out_port,
                                                            const struct rte_ether_addr *mac,
                                                            uint32_t k, const struct lb_addr *dst,
                                                            uint32_t len, int32_t payload_sum)
{
	const struct rte_ether_addr *our_mac = &ctx->ports[out_port].mac;

	if (dst->family == AF_INET6)
		return dp_udp6_write(m, our_mac, mac, ctx->vip6, ctx->sip_ports[k], dst->v6,
		                     dst->port, len);
	uint32_t ip;
	memcpy(&ip, dst->v4, sizeof(ip));
	dp_udp4_write_sum(m, our_mac, mac, ctx->vip4, ctx->sip_ports[k], ip, dst->port, len,
	                  payload_sum);
}

/* Frame the edited message b in m and write its headers, the UDP checksum from the sum the
 * edits kept when there is one. */
static inline __attribute__((always_inline)) void
write_edited(const struct dp_ctx *ctx, struct rte_mbuf *m, const struct dp_sip_buf *b,
             uint16_t out_port, const struct rte_ether_addr *mac, uint32_t k,
             const struct lb_addr *dst)
{
	frame_around(m, b, hdr_len_of(dst));
	write_udp(ctx, m, out_port, mac, k, dst, b->len, b->sum_valid ? b->sum : -1);
}

/* The source of a request is on-link and unknown (or moved): let the control thread learn it,
 * so that the responses to it can be sent. Only a miss costs a notice. */
static void learn_source(struct dp_worker *w, uint16_t port, const struct dp_udp_pkt *p)
{
	const struct dp_ctx *ctx = w->ctx;

	if (p->src.family == AF_INET6) {
		if (!dp_on_link6(ctx, p->src.v6))
			return;
		const struct dp_neigh6_table *t6 =
		    dp_neigh6_current((struct dp_neigh6_slot *)&ctx->neigh6);
		const struct dp_neigh6 *n6 = t6 != NULL ? dp_neigh6_lookup(t6, p->src.v6) : NULL;
		if (n6 == NULL || n6->port != port ||
		    memcmp(n6->mac, p->eth->src_addr.addr_bytes, sizeof(n6->mac)) != 0)
			dp_notice6(w, DP_NOTICE_LEARN6, p->src.v6, &p->eth->src_addr, port);
		return;
	}
	uint32_t src;
	memcpy(&src, p->src.v4, sizeof(src));
	if (src == 0 || src == ctx->vip4 || !dp_on_link(ctx, src))
		return;
	const struct dp_neigh_table *t = dp_neigh_current((struct dp_neigh_slot *)&ctx->neigh);
	const struct dp_neigh *n = t != NULL ? dp_neigh_lookup(t, src) : NULL;
	if (n == NULL || n->port != port ||
	    memcmp(n->mac, p->eth->src_addr.addr_bytes, sizeof(n->mac)) != 0)
		dp_notice(w, DP_NOTICE_LEARN, src, &p->eth->src_addr, port);
}

/* Answer a request statelessly with code, to the packet's source address and, unless the top
 * Via asks for rport, its sent-by port (RFC 3261 18.2.2, RFC 3581 4). Consumes m. */
static void reply(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                  const struct dp_udp_pkt *p, const struct sip_msg *msg, int code)
{
	const struct dp_ctx *ctx = w->ctx;
	struct dp_sip_peer src = peer_of(&p->src, p->src.port), to;
	const struct dp_sip_cfg *sc = leg_cfg(w, p->src.family, p->sip_port);
	uint32_t hdr_len = hdr_len_of(&p->src);
	struct rte_mbuf *r = rte_pktmbuf_alloc(ctx->pool);

	if (r == NULL)
		return dp_drop(w, m, DP_DROP_NO_MBUF);
	char *out = rte_pktmbuf_mtod(r, char *) + hdr_len;
	int cap = (int)rte_pktmbuf_tailroom(r) - (int)hdr_len;
	int len = dp_sip_build_reply(sc, p->payload, msg, &src, code, out, (size_t)cap);
	if (len < 0) {
		rte_pktmbuf_free(r);
		return dp_drop(w, m, dp_drop_proxy((enum dp_sip_err) - len));
	}
	dp_sip_reply_dest(p->payload, msg, &src, &to);
	write_udp(ctx, r, port, &p->eth->src_addr, p->sip_port, &to.addr, (uint32_t)len, -1);
	rte_pktmbuf_free(m);
	DP_COUNT(w->counters.replied[dp_reply_slot(code)]);
	dp_tx(w, port, r);
}

/* Record-Route, Path and dialog methods of the current policy; be: the backend to pin. */
static struct dp_sip_fwd fwd_opts(const struct dp_worker *w, const struct lb_backend *be)
{
	const struct dp_sip_policy *pol = w->policy;

	if (pol == NULL)
		return (struct dp_sip_fwd){.pin = DP_PIN_NONE};
	return (struct dp_sip_fwd){.record_route = pol->record_route,
	                           .add_path = pol->add_path,
	                           .dialog_methods = pol->dialog_methods,
	                           .pin = be->cfg.id,
	                           .pin_name = be->cfg.name};
}

/* The backend a checked pin names, while it may keep its dialogs: still in the set, neither
 * disabled nor down (a draining one keeps them). LB_NONE: the table decides. */
static uint16_t pinned_backend(const struct lb_set *set, uint32_t id)
{
	uint16_t idx = id < LB_MAX_BACKENDS ? set->by_id[id] : LB_NONE;

	if (idx == LB_NONE)
		return LB_NONE;
	const struct lb_backend *be = &set->backends[idx];
	if (be->cfg.admin == LB_ADMIN_DISABLED || be->cfg.health == LB_HEALTH_DOWN)
		return LB_NONE;
	return idx;
}

/*
 * The backend a request routed through us comes from: the source IP is a backend's (any
 * state; the port is not compared, a backend may send from another one). The pinned backend
 * is tried first, the others only when it does not match. LB_NONE for a user agent.
 */
static bool same_ip(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->v6, b->v6, a->family == AF_INET6 ? 16 : 4) == 0;
}

static uint16_t backend_sender(const struct lb_set *set, const struct lb_addr *src, uint32_t pin_id)
{
	uint16_t idx = pin_id < LB_MAX_BACKENDS ? set->by_id[pin_id] : LB_NONE;

	if (idx != LB_NONE && same_ip(&set->backends[idx].cfg.addr, src))
		return idx;
	for (uint32_t i = 0; i < set->n_backends; i++)
		if (same_ip(&set->backends[i].cfg.addr, src))
			return (uint16_t)i;
	return LB_NONE;
}

/* false when the request's source has used up its rate_limit (off when rate is 0). After a
 * reload that changes rate or burst, the buckets stay and fill at the new rate up to the new
 * burst. */
static __attribute__((noinline)) bool rate_check(struct dp_worker *w, const struct dp_udp_pkt *p)
{
	const struct dp_sip_policy *pol = w->policy;
	struct dp_ratelimit *rl = dp_rl_worker_table((unsigned)(w - w->ctx->workers));
	if (rl == NULL)
		return true;
	if (rl->seed[1] == 0) /* first use by this worker: a key no source can predict */
		dp_rl_init(rl, rte_rand(), rte_rand());
	struct dp_sip_peer src = peer_of(&p->src, 0);
	struct dp_rl_params params = {
	    .rate = pol->rate_limit, .burst = pol->rate_limit_burst, .hz = rte_get_tsc_hz()};
	return dp_rl_allow(rl, &src.addr, rte_rdtsc(), &params);
}

/* rate_check() when a limit is set: the common case, no limit, costs no call. */
static inline bool rate_allows(struct dp_worker *w, const struct dp_udp_pkt *p)
{
	const struct dp_sip_policy *pol = w->policy;

	return pol == NULL || pol->rate_limit == 0 || rate_check(w, p);
}

/*
 * A backend's request to a user agent (architecture.md, "Stateless, but signed"): on to the
 * next Route or the Request-URI, with our Via on top so that the response comes back to us
 * and is relayed to the backend. Counted as forwarded, not against a backend.
 */
static void forward_outbound(struct dp_worker *w, struct rte_mbuf *m, const struct dp_udp_pkt *p,
                             const struct sip_msg *msg, const struct lb_backend *sender)
{
	struct dp_ctx *ctx = w->ctx;
	struct dp_sip_peer src = peer_of(&p->src, p->src.port);
	struct dp_sip_peer next;
	struct dp_sip_fwd how = fwd_opts(w, sender);
	struct dp_sip_buf b = payload_buf(ctx, m, p);

	/* Our Route and Via name the VIP of the family the request came in: it must leave in the
	 * same one (a dialog across families would need two Record-Routes, RFC 5658). */
	int rc = dp_sip_forward_outbound(leg_cfg(w, p->src.family, p->sip_port), &b, msg, &src,
	                                 &how, &next);
	if (rc < 0)
		return dp_drop(w, m, dp_drop_proxy((enum dp_sip_err) - rc));
	if (next.addr.family != p->src.family)
		return dp_drop(w, m, dp_drop_proxy(DP_SIP_ERR_NEXT_HOP_FAMILY));
	uint16_t out_port;
	struct rte_ether_addr mac;
	int drop = next_hop(w, &next.addr, &out_port, &mac);
	if (drop != 0)
		return dp_drop(w, m, (enum dp_drop)drop);

	write_edited(ctx, m, &b, out_port, &mac, p->sip_port, &next.addr);
	DP_COUNT(w->counters.forwarded);
	dp_tx(w, out_port, m);
}

/* sc: the proxy configuration of the leg the request came in on (leg_cfg, not NULL). */
static void forward_request(struct dp_worker *w, uint16_t port, struct rte_mbuf *m,
                            const struct dp_udp_pkt *p, const struct sip_msg *msg,
                            const struct dp_sip_cfg *sc)
{
	struct dp_ctx *ctx = w->ctx;
	const struct lb_set *set = lb_current(&ctx->lb);
	uint16_t idx = LB_NONE;

	/* A Route naming us: a backend's request towards a user agent, or a user agent's
	 * in-dialog request whose pin names the backend that has the dialog. */
	if (set != NULL && msg->has_route && dp_sip_route_is_self(sc, p->payload, msg)) {
		uint32_t pin_id = DP_PIN_NONE;
		if (dp_sip_route_pin(sc, p->payload, msg, set, &pin_id) != 1)
			pin_id = DP_PIN_NONE;
		uint16_t sender = backend_sender(set, &p->src, pin_id);
		if (sender != LB_NONE)
			return forward_outbound(w, m, p, msg, &set->backends[sender]);
		if (pin_id != DP_PIN_NONE)
			idx = pinned_backend(set, pin_id);
	}
	if (!rate_allows(w, p))
		return dp_drop(w, m, DP_DROP_RATE_LIMITED);
	if (idx == LB_NONE && set != NULL)
		idx = lb_pick(set, lb_key_hash(set, p->payload, msg));
	if (idx == LB_NONE)
		/* RFC 3261 17: an ACK is never answered */
		return msg->method == SIP_METHOD_ACK ? dp_drop(w, m, DP_DROP_NO_BACKEND)
		                                     : reply(w, port, m, p, msg, 503);

	const struct lb_backend *be = &set->backends[idx];
	/* Our Via names the VIP of the backend's family: the backend answers to it (mostly the
	 * family of the leg the request came in on, whose configuration is sc). */
	const struct dp_sip_cfg *out_cfg = be->cfg.addr.family == p->src.family
	                                       ? sc
	                                       : leg_cfg(w, be->cfg.addr.family, p->sip_port);
	if (out_cfg == NULL)
		return dp_drop(w, m, DP_DROP_NO_BACKEND_FAMILY);

	uint16_t out_port;
	struct rte_ether_addr mac;
	int drop = next_hop(w, &be->cfg.addr, &out_port, &mac);
	if (drop != 0)
		return dp_drop(w, m, (enum dp_drop)drop);

	struct dp_sip_peer src = peer_of(&p->src, p->src.port);
	struct dp_sip_buf b = payload_buf(ctx, m, p);
	struct dp_sip_fwd how = fwd_opts(w, be);
	int rc = dp_sip_forward(out_cfg, &b, msg, &src, &how);
	if (rc < 0)
		return dp_drop(w, m, dp_drop_proxy((enum dp_sip_err) - rc));

	write_edited(ctx, m, &b, out_port, &mac, p->sip_port, &be->cfg.addr);
	DP_COUNT(w->counters.forwarded);
	DP_COUNT(w->counters.requests[be->cfg.id]);
	dp_tx(w, out_port, m);
}

/* sc: as for forward_request(), the leg the response came in on. */
static void relay_response(struct dp_worker *w, struct rte_mbuf *m, const struct dp_udp_pkt *p,
                           const struct sip_msg *msg, const struct dp_sip_cfg *sc)
{
	struct dp_ctx *ctx = w->ctx;
	const char *payload = p->payload;

	/* Health probe answers belong to the control thread (probe_io.h): not relayed. */
	if (msg->top_via.has_branch &&
	    msg->top_via.branch.len >= sizeof(DP_PROBE_BRANCH_PREFIX) - 1 &&
	    memcmp(sip_str_ptr(payload, msg->top_via.branch), DP_PROBE_BRANCH_PREFIX,
	           sizeof(DP_PROBE_BRANCH_PREFIX) - 1) == 0)
		return dp_probe_handoff(w, m, p->payload, p->payload_len);

	/* Our Via on the request named the VIP of the family the response comes back in. */
	struct dp_sip_buf b = payload_buf(ctx, m, p);
	struct dp_sip_peer next;
	int rc = dp_sip_relay_response(sc, &b, msg, &next);
	if (rc < 0)
		return dp_drop(w, m, dp_drop_proxy((enum dp_sip_err) - rc));
	/* sc is the configuration of the family the response came in on */
	if (next.addr.family != p->src.family && leg_cfg(w, next.addr.family, p->sip_port) == NULL)
		return dp_drop(w, m, dp_drop_proxy(DP_SIP_ERR_NEXT_HOP_FAMILY));

	uint16_t out_port;
	struct rte_ether_addr mac;
	int drop = next_hop(w, &next.addr, &out_port, &mac);
	if (drop != 0)
		return dp_drop(w, m, (enum dp_drop)drop);

	write_edited(ctx, m, &b, out_port, &mac, p->sip_port, &next.addr);
	DP_COUNT(w->counters.relayed);
	dp_tx(w, out_port, m);
}

void dp_sip_packet(struct dp_worker *w, uint16_t port, struct rte_mbuf *m, struct dp_udp_pkt *p)
{
	struct sip_msg msg;

	/* To an address of a family the daemon has no VIP in (0.0.0.0 on an IPv6-only config). */
	const struct dp_sip_cfg *sc = leg_cfg(w, p->src.family, p->sip_port);
	if (sc == NULL)
		return dp_drop(
		    w, m, p->src.family == AF_INET6 ? DP_DROP_NOT_FOR_US6 : DP_DROP_NOT_FOR_US);
	int r = sip_parse(p->payload, p->payload_len, &msg);

	if (r < 0) {
		enum sip_err e = (enum sip_err) - r;
		/* RFC 3261 17: an ACK is never answered; it is dropped, counted by its fault */
		int code = msg.is_request && msg.method != SIP_METHOD_ACK ? sip_err_reply(e) : 0;
		if (code == 0)
			return dp_drop(w, m, dp_drop_sip(e));
		/* a flood of bad requests gets no flood of replies */
		if (!rate_allows(w, p))
			return dp_drop(w, m, DP_DROP_RATE_LIMITED);
		return reply(w, port, m, p, &msg, code);
	}
	if (msg.is_request) {
		learn_source(w, port, p);
		return forward_request(w, port, m, p, &msg, sc);
	}
	relay_response(w, m, p, &msg, sc);
}
