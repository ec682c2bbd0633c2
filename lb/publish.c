/* SPDX-License-Identifier: BSD-3-Clause */
/* Publishing backend sets to QSBR readers: pointer swap in, call_rcu out. */
#include <stdlib.h>

#include "lb_private.h"

/* call_rcu callback: a grace period has passed since the set was unpublished. */
static void set_reclaim(struct rcu_head *head)
{
	struct lb_set_private *priv = caa_container_of(head, struct lb_set_private, rcu);

	lb_set_free(priv->set);
}

void lb_publish(struct lb_slot *slot, struct lb_set *next)
{
	struct lb_set *old;

	/* Only the writer touches slot->generation; readers see it through next->generation. */
	slot->generation++;
	if (next)
		next->generation = slot->generation;
	/* rcu_xchg_pointer orders every store into next before the pointer becomes visible. */
	old = rcu_xchg_pointer(&slot->set, next);
	if (old)
		call_rcu(&old->priv->rcu, set_reclaim);
}

const struct lb_set *lb_current(struct lb_slot *slot)
{
	return rcu_dereference(slot->set);
}
