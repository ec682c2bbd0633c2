/* SPDX-License-Identifier: BSD-3-Clause */
/* The workers' SIP policy: built from the configuration, published through RCU. */
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "policy.h"

struct dp_sip_policy *dp_policy_build(const struct ctl_config *cfg, const uint8_t *secret)
{
	struct dp_sip_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	memcpy(p->secret, secret, sizeof(p->secret));
	_Static_assert(DP_SIP_MAX_ALIASES >= CTL_MAX_ALIASES && DP_SIP_ALIAS_MAX >= CTL_ALIAS_MAX,
	               "sip.aliases fit the workers' copy");
	for (uint32_t a = 0; a < cfg->n_aliases && a < CTL_MAX_ALIASES; a++) {
		size_t n = strlen(cfg->aliases[a]);
		memcpy(p->aliases.name[a], cfg->aliases[a], n + 1);
		p->aliases.len[a] = (uint8_t)n;
		p->aliases.n++;
	}
	const struct dp_sip_aliases *aliases = p->aliases.n ? &p->aliases : NULL;
	for (uint32_t k = 0; k < cfg->n_sip_ports && k < CTL_MAX_SIP_PORTS; k++) {
		struct lb_addr self = cfg->vip4.addr;
		self.port = cfg->sip_ports[k];
		if (self.family == AF_INET) {
			dp_sip_cfg_init(&p->sip[k], &self, secret, cfg->retry_after,
			                cfg->max_forwards);
			p->sip[k].aliases = aliases;
			if (cfg->vip6.addr.family == AF_INET6)
				p->sip[k].other_vip = cfg->vip6.addr;
		}
		self = cfg->vip6.addr;
		self.port = cfg->sip_ports[k];
		if (self.family == AF_INET6) {
			dp_sip_cfg_init(&p->sip6[k], &self, secret, cfg->retry_after,
			                cfg->max_forwards);
			p->sip6[k].aliases = aliases;
			if (cfg->vip4.addr.family == AF_INET)
				p->sip6[k].other_vip = cfg->vip4.addr;
		}
	}
	p->record_route = cfg->record_route;
	p->add_path = cfg->add_path;
	p->dialog_methods = cfg->dialog_methods;
	p->rate_limit = cfg->rate_limit;
	p->rate_limit_burst = cfg->rate_limit_burst;
	return p;
}

static void free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct dp_sip_policy, rcu));
}

void dp_policy_publish(struct dp_policy_slot *slot, struct dp_sip_policy *next)
{
	if (next != NULL)
		next->generation = ++slot->generation;
	struct dp_sip_policy *old = rcu_xchg_pointer(&slot->policy, next);
	if (old != NULL)
		call_rcu(&old->rcu, free_rcu);
}

void dp_policy_free_now(struct dp_policy_slot *slot)
{
	struct dp_sip_policy *old = rcu_xchg_pointer(&slot->policy, NULL);

	free(old);
}
