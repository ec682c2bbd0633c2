/* SPDX-License-Identifier: BSD-3-Clause */
/* Filling the runtime context from the configuration, and the workers' state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/random.h>
#include <sys/socket.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring_elem.h>

#include "ctx.h"
#include "log.h"

/* The first SIP policy, published before any worker runs; its proxy configurations are also
 * copied into ctx->sip / ctx->sip6 for in-process tools. */
static int init_sip(struct dp_ctx *c, const struct ctl_config *cfg)
{
	uint8_t secret[CTL_SECRET_LEN];

	memcpy(secret, cfg->secret, sizeof(secret));
	if (!cfg->secret_set) {
		if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret))
			for (size_t i = 0; i < sizeof(secret); i++)
				secret[i] = (uint8_t)rte_rand();
		log_warn("sip.secret not set: using a random one; responses to requests forwarded "
		         "before a restart, or by another instance, will not be relayed");
	}
	/* The same secret on both legs: a branch made on one checks on the other. */
	struct dp_sip_policy *p = dp_policy_build(cfg, secret);
	if (p == NULL) {
		log_error("sip: out of memory");
		return -ENOMEM;
	}
	memcpy(c->sip, p->sip, sizeof(c->sip));
	memcpy(c->sip6, p->sip6, sizeof(c->sip6));
	dp_policy_publish(&c->policy, p);
	return 0;
}

int dp_ctx_init(struct dp_ctx *c, const struct ctl_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	memcpy(&c->vip4, cfg->vip4.addr.v4, sizeof(c->vip4));
	c->vip4_mask = cfg->vip4.len == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - cfg->vip4.len));
	if (cfg->gateway4.family == AF_INET)
		memcpy(&c->gateway4, cfg->gateway4.v4, sizeof(c->gateway4));
	if (cfg->vip6.addr.family == AF_INET6) {
		c->has_vip6 = true;
		memcpy(c->vip6, cfg->vip6.addr.v6, sizeof(c->vip6));
		c->vip6_len = cfg->vip6.len;
	}
	if (cfg->gateway6.family == AF_INET6)
		memcpy(c->gateway6, cfg->gateway6.v6, sizeof(c->gateway6));
	c->n_sip_ports = cfg->n_sip_ports;
	memcpy(c->sip_ports, cfg->sip_ports, sizeof(c->sip_ports));
	c->burst = cfg->burst;
	c->idle_sleep_us = cfg->idle_sleep_us;
	c->n_workers = cfg->workers;
	return init_sip(c, cfg);
}

int dp_workers_init(struct dp_ctx *c)
{
	char name[RTE_RING_NAMESIZE];
	unsigned int lcore;
	uint32_t w = 0;

	if (rte_lcore_count() < c->n_workers + 1) {
		log_error("workers: %u workers need %u lcores, the EAL has %u (check -l/--lcores)",
		          c->n_workers, c->n_workers + 1, rte_lcore_count());
		return -EINVAL;
	}
	c->workers = rte_zmalloc("workers", c->n_workers * sizeof(*c->workers), 64);
	if (c->workers == NULL) {
		log_error("workers: out of memory");
		return -ENOMEM;
	}
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (w == c->n_workers)
			break;
		struct dp_worker *wk = &c->workers[w];
		wk->ctx = c;
		wk->lcore = lcore;
		wk->queue = (uint16_t)w;
		snprintf(name, sizeof(name), "notices%u", w);
		wk->notices = rte_ring_create_elem(name, sizeof(struct dp_notice), DP_NOTICE_RING,
		                                   (int)rte_lcore_to_socket_id(lcore),
		                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (wk->notices == NULL) {
			log_error("workers: ring %s: %s", name, rte_strerror(rte_errno));
			return -rte_errno;
		}
		w++;
	}
	return 0;
}

void dp_workers_free(struct dp_ctx *c)
{
	if (c->workers == NULL)
		return;
	for (uint32_t w = 0; w < c->n_workers; w++)
		rte_ring_free(c->workers[w].notices);
	rte_free(c->workers);
	c->workers = NULL;
}
