/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals shared by the lb/ files: the reclamation record of a set and the Maglev filler.
 * Not part of the contract; include lb.h from outside lb/.
 */
#ifndef SIPSTEER_LB_PRIVATE_H
#define SIPSTEER_LB_PRIVATE_H

#include <urcu-qsbr.h>

#include "lb.h"

/* Lives in the same allocation as its set; freed with it. */
struct lb_set_private {
	struct rcu_head rcu;  /* call_rcu() record of lb_publish() */
	struct lb_set *set;   /* the set this record belongs to */
	struct lb_slot *slot; /* where lb_publish() put it (a ThreadSanitizer sync address) */
};

/*
 * Fill set->table (table_size entries) with weighted Maglev and set every backend's `slots`
 * and set->n_active. set->backends, n_backends, table_size and seed must be set. Returns 0 or
 * -ENOMEM. Control thread.
 */
int lb_maglev_fill(struct lb_set *set);

/* Whether a backend owns slots: enabled, health up or unknown, weight > 0. */
static inline int lb_backend_active(const struct lb_backend_config *b)
{
	return b->admin == LB_ADMIN_ENABLED && b->health != LB_HEALTH_DOWN && b->weight > 0;
}

#endif
