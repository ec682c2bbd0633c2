/* SPDX-License-Identifier: BSD-3-Clause */
/* The control loop on the main lcore. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_ring_elem.h>
#include <urcu-qsbr.h>

#include "control.h"
#include "log.h"
#include "net.h"
#include "stats.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_stats(int sig)
{
	(void)sig;
	stats_requested = 1;
}

void dp_control_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_stats;
	sigaction(SIGUSR1, &sa, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Send an ARP request for ip on one port, or on every port (UINT16_MAX). */
static void ask(void *arg, uint32_t ip, uint16_t port)
{
	struct dp_control *c = arg;
	struct dp_ctx *ctx = c->ctx;
	char text[16];

	for (uint16_t i = 0; i < ctx->n_ports; i++) {
		if (port != UINT16_MAX && port != i)
			continue;
		const struct dp_port *p = &ctx->ports[i];
		struct rte_mbuf *m = dp_arp_request_build(ctx->pool, &p->mac, ctx->vip4, ip);
		bool sent;
		if (m == NULL)
			sent = false;
		else if (p->ctl_txq != DP_CTL_TXQ_NONE)
			sent = rte_eth_tx_burst(p->port_id, p->ctl_txq, &m, 1) == 1;
		else
			sent = (m->port = i, rte_ring_sp_enqueue(ctx->ctl_tx, m) == 0);
		if (!sent) {
			rte_pktmbuf_free(m);
			c->arp_failed++;
			continue;
		}
		c->arp_sent++;
		log_debug("arp: who has %s? (port %s)", dp_ipv4_format(ip, text), p->name);
	}
}

int dp_control_init(struct dp_control *c, struct dp_ctx *ctx, const char *stats_path)
{
	const struct ctl_config *cfg = ctx->cfg;
	struct lb_config lbc;
	char err[256];
	int rc;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	c->stats_path = stats_path;
	c->start_ns = now_ns();

	ctl_config_lb(cfg, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, sizeof(err));
	if (set == NULL) {
		rc = errno ? -errno : -EINVAL;
		log_error("backends: %s", err);
		return rc;
	}
	lb_publish(&ctx->lb, set);

	rc = dp_resolver_init(&c->resolver, ask, c);
	if (rc < 0) {
		log_error("neighbours: %s", strerror(-rc));
		return rc;
	}
	if (ctx->gateway4 != 0)
		dp_resolver_want(&c->resolver, ctx->gateway4);
	for (uint32_t i = 0; i < cfg->n_backends; i++) {
		const struct lb_addr *a = &cfg->backends[i].addr;
		uint32_t ip;
		if (a->family != AF_INET)
			continue;
		memcpy(&ip, a->v4, sizeof(ip));
		if (dp_on_link(ctx, ip))
			dp_resolver_want(&c->resolver, ip);
	}
	return 0;
}

void dp_control_free(struct dp_control *c)
{
	dp_resolver_free(&c->resolver);
}

double dp_control_uptime(const struct dp_control *c)
{
	return (double)(now_ns() - c->start_ns) / 1e9;
}

void dp_control_write_stats(struct dp_control *c)
{
	if (c->stats_path == NULL)
		return;
	if (dp_stats_write(c->ctx, c->stats_path, dp_control_uptime(c)) == 0)
		log_debug("stats written to %s", c->stats_path);
}

static void handle_notice(struct dp_control *c, const struct dp_notice *n, uint64_t now_ms)
{
	const struct dp_ctx *ctx = c->ctx;
	char text[16];

	/* Workers only send on-link addresses; check again, the table is ours to keep clean. */
	if (n->ip == 0 || n->ip == ctx->vip4 || !dp_on_link(ctx, n->ip) || n->port >= ctx->n_ports)
		return;
	switch (n->kind) {
	case DP_NOTICE_LEARN: {
		const struct dp_resolve_entry *e = dp_resolver_find(&c->resolver, n->ip);
		bool changed = e == NULL || !e->known || memcmp(e->mac, n->mac, 6) != 0;
		if (dp_resolver_learn(&c->resolver, n->ip, n->mac, n->port, now_ms) == 0 && changed)
			log_debug("neighbour %s is at %02x:%02x:%02x:%02x:%02x:%02x",
			          dp_ipv4_format(n->ip, text), n->mac[0], n->mac[1], n->mac[2],
			          n->mac[3], n->mac[4], n->mac[5]);
		break;
	}
	case DP_NOTICE_RESOLVE:
		dp_resolver_want(&c->resolver, n->ip);
		break;
	default:
		break;
	}
}

unsigned int dp_control_drain(struct dp_control *c, unsigned int max, uint64_t now_ms)
{
	struct dp_ctx *ctx = c->ctx;
	struct dp_notice batch[64];
	unsigned int total = 0;

	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		unsigned int n;
		do {
			n = rte_ring_sc_dequeue_burst_elem(ctx->workers[w].notices, batch,
			                                   sizeof(batch[0]), RTE_DIM(batch), NULL);
			for (unsigned int i = 0; i < n; i++)
				handle_notice(c, &batch[i], now_ms);
			total += n;
		} while (n == RTE_DIM(batch) && total < max);
	}
	return total;
}

void dp_control_step(struct dp_control *c, uint64_t now_ms)
{
	dp_control_drain(c, 4096, now_ms);
	dp_resolver_tick(&c->resolver, now_ms);
	struct dp_neigh_table *t = dp_resolver_snapshot(&c->resolver);
	if (t != NULL)
		dp_neigh_publish(&c->ctx->neigh, t);
}

void dp_control_run(struct dp_control *c)
{
	while (!stop_requested) {
		/* ms since start, never 0: 0 means "never" in the resolver. */
		uint64_t now_ms = (now_ns() - c->start_ns) / 1000000u + 1;

		dp_control_step(c, now_ms);
		if (stats_requested) {
			stats_requested = 0;
			dp_control_write_stats(c);
		}
		rcu_thread_offline();
		usleep(DP_CONTROL_POLL_US);
		rcu_thread_online();
	}
}
