/* SPDX-License-Identifier: BSD-3-Clause */
/* Probes out through the control TX path, replies back from the workers over a ring. */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "ip6.h"
#include "log.h"
#include "probe_io.h"
#include "resolve.h"

struct rte_ring *dp_probe_replies;

int dp_probe_ring_create(void)
{
	dp_probe_replies =
	    rte_ring_create("probe_replies", DP_PROBE_RING, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (dp_probe_replies == NULL) {
		log_error("ring probe_replies: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

void dp_probe_ring_free(void)
{
	void *m;

	if (dp_probe_replies == NULL)
		return;
	while (rte_ring_sc_dequeue(dp_probe_replies, &m) == 0)
		rte_pktmbuf_free(m);
	rte_ring_free(dp_probe_replies);
	dp_probe_replies = NULL;
}

bool dp_control_tx(struct dp_ctx *ctx, uint16_t port, struct rte_mbuf *m)
{
	const struct dp_port *p = &ctx->ports[port];
	bool sent;

	if (p->ctl_txq != DP_CTL_TXQ_NONE) {
		sent = rte_eth_tx_burst(p->port_id, p->ctl_txq, &m, 1) == 1;
	} else {
		m->port = port;
		sent = rte_ring_sp_enqueue(ctx->ctl_tx, m) == 0;
	}
	if (!sent)
		rte_pktmbuf_free(m);
	return sent;
}

int dp_probe_send(struct dp_ctx *ctx, struct dp_resolver *res, uint32_t dst_ip, uint16_t dst_port,
                  const char *text, uint32_t len)
{
	uint32_t hop = dp_on_link(ctx, dst_ip) ? dst_ip : ctx->gateway4;

	if (hop == 0)
		return -EHOSTUNREACH;
	const struct dp_resolve_entry *e = dp_resolver_find(res, hop);
	if (e == NULL || !e->known || e->port >= ctx->n_ports) {
		dp_resolver_want(res, hop);
		return -EHOSTUNREACH;
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctx->pool);
	if (m == NULL)
		return -ENOMEM;
	if (rte_pktmbuf_tailroom(m) < DP_UDP4_HDR_LEN + len) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	struct rte_ether_addr mac;
	memcpy(mac.addr_bytes, e->mac, sizeof(e->mac));
	memcpy(rte_pktmbuf_mtod(m, char *) + DP_UDP4_HDR_LEN, text, len);
	dp_udp4_write(m, &ctx->ports[e->port].mac, &mac, ctx->vip4, ctx->sip_ports[0], dst_ip,
	              dst_port, len);
	return dp_control_tx(ctx, e->port, m) ? 0 : -ENOBUFS;
}

int dp_probe_send6(struct dp_ctx *ctx, struct dp_resolver *res, const uint8_t dst_ip[16],
                   uint16_t dst_port, const char *text, uint32_t len)
{
	if (!ctx->has_vip6)
		return -EHOSTUNREACH;
	const uint8_t *hop = dp_on_link6(ctx, dst_ip) ? dst_ip : ctx->gateway6;
	if (dp_ip6_is_zero(hop))
		return -EHOSTUNREACH;
	const struct dp_resolve6_entry *e = dp_resolver_find6(res, hop);
	if (e == NULL || !e->known || e->port >= ctx->n_ports) {
		dp_resolver_want6(res, hop);
		return -EHOSTUNREACH;
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctx->pool);
	if (m == NULL)
		return -ENOMEM;
	if (rte_pktmbuf_tailroom(m) < DP_UDP6_HDR_LEN + len) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	struct rte_ether_addr mac;
	memcpy(mac.addr_bytes, e->mac, sizeof(e->mac));
	memcpy(rte_pktmbuf_mtod(m, char *) + DP_UDP6_HDR_LEN, text, len);
	dp_udp6_write(m, &ctx->ports[e->port].mac, &mac, ctx->vip6, ctx->sip_ports[0], dst_ip,
	              dst_port, len);
	return dp_control_tx(ctx, e->port, m) ? 0 : -ENOBUFS;
}

/*
 * Rewrite the probe text[0..len) (ctl_probe_build, naming the VIP host `from`) to name the VIP
 * host `to` instead in its Via, From and Call-ID header fields (the request line and To name the
 * backend). Returns the new length, or -ENOSPC when it does not fit in cap bytes.
 */
int dp_probe_rehost(const char *text, int len, const char *from, const char *to, char *out,
                    size_t cap)
{
	static const char *const fields[] = {"Via:", "From:", "Call-ID:"};
	size_t from_len = strlen(from), to_len = strlen(to), n = 0;
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;
		bool ours = false;
		for (size_t f = 0; f < RTE_DIM(fields); f++)
			ours = ours || strncmp(p, fields[f], strlen(fields[f])) == 0;
		while (p < next) {
			if (ours && from_len > 0 && (size_t)(next - p) >= from_len &&
			    memcmp(p, from, from_len) == 0) {
				if (n + to_len > cap)
					return -ENOSPC;
				memcpy(out + n, to, to_len);
				n += to_len;
				p += from_len;
				continue;
			}
			if (n + 1 > cap)
				return -ENOSPC;
			out[n++] = *p++;
		}
	}
	return (int)n;
}

unsigned int dp_probe_receive(struct rte_mbuf **out, unsigned int cap)
{
	if (dp_probe_replies == NULL)
		return 0;
	return rte_ring_sc_dequeue_burst(dp_probe_replies, (void **)out, cap, NULL);
}
