/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' SIP policy: everything they read of the sip and rate_limit sections, as one
 * immutable snapshot published through RCU (liburcu QSBR), so that a reload applies it live.
 *
 * The control thread builds one at start and on every change of those sections
 * (dp_policy_build), publishes it (dp_policy_publish: rcu_xchg_pointer, the old one freed with
 * call_rcu after a grace period). A worker reads the current one once per poll
 * (dp_policy_current) into struct dp_worker and uses that pointer until its next quiescent
 * state. Never modified after it is published.
 */
#ifndef SIPSTEER_DP_POLICY_H
#define SIPSTEER_DP_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <urcu-qsbr.h>

#include "config.h"
#include "sip_proxy.h"

struct dp_sip_policy {
	/* One proxy configuration per SIP port and leg: our Via on an IPv4 leg names the IPv4
	 * VIP, on an IPv6 leg the IPv6 one. Both from the same secret (a branch made on one leg
	 * checks on the other); sip6 is zero when the daemon has no IPv6 VIP. */
	struct dp_sip_cfg sip[CTL_MAX_SIP_PORTS];
	struct dp_sip_cfg sip6[CTL_MAX_SIP_PORTS];
	bool record_route;             /* sip.record_route */
	bool add_path;                 /* sip.path */
	uint32_t dialog_methods;       /* sip.dialog_methods: bits 1u << enum sip_method */
	struct dp_sip_aliases aliases; /* sip.aliases, which every sip[] and sip6[] points at */
	uint32_t rate_limit; /* rate_limit.rate: requests per second per source; 0 = off */
	uint32_t rate_limit_burst;
	/* The secret the keys come from: a reload without sip.secret keeps it (a random one
	 * made at start stays the same). The control thread's; workers read the keys only. */
	uint8_t secret[CTL_SECRET_LEN];
	uint64_t generation; /* set by dp_policy_publish: 1, 2, ... */
	struct rcu_head rcu; /* private: reclamation */
};

/* Where the published policy lives. Zero-initialise; one writer (the control thread). */
struct dp_policy_slot {
	struct dp_sip_policy *policy; // dp: rcu_dereference only; ctl: rw through dp_policy_publish
	uint64_t generation;          // ctl: rw
};

/*
 * A new policy from cfg's sip and rate_limit sections, for the addresses and SIP ports of cfg's
 * listen section, keyed with secret (CTL_SECRET_LEN bytes: cfg->secret when set, else the
 * caller's own). Returns it (caller owns it until dp_policy_publish or free()), or NULL when out
 * of memory. Any thread; no RCU.
 */
struct dp_sip_policy *dp_policy_build(const struct ctl_config *cfg, const uint8_t *secret);

/*
 * Publish next in slot and free the previous policy after a grace period (call_rcu). Sets
 * next->generation. next may be NULL to retire the current one (shutdown: then rcu_barrier()
 * before exit). Control thread only; it must be a registered QSBR thread.
 */
void dp_policy_publish(struct dp_policy_slot *slot, struct dp_sip_policy *next);

/*
 * Retire and free the current policy at once: only when no reader can hold it (the workers have
 * stopped, or never started). Control thread.
 */
void dp_policy_free_now(struct dp_policy_slot *slot);

/* The current policy, valid until the caller's next quiescent state; NULL before the first
 * publish. Workers, once per poll. */
static inline const struct dp_sip_policy *dp_policy_current(struct dp_policy_slot *slot)
{
	return rcu_dereference(slot->policy);
}

#endif
