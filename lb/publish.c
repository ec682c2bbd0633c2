/* SPDX-License-Identifier: BSD-3-Clause */
/* Publishing backend sets to QSBR readers: pointer swap in, call_rcu out. */
#include <stdlib.h>

#include "lb_private.h"

/*
 * liburcu 0.13 orders the swap and the grace period with inline assembly and library code that
 * ThreadSanitizer does not see. Under TSan the same ordering is stated on the slot's address:
 * the writer releases before the swap and readers acquire after rcu_dereference; a reader that
 * wants its accesses ordered before the reclamation releases on the slot before each quiescent
 * state (tests/test_lb_rcu.c does), and the reclamation acquires it before free(). Other builds
 * compile these away.
 */
#if defined(__SANITIZE_THREAD__)
#define LB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LB_TSAN 1
#endif
#endif
#ifdef LB_TSAN
#include <sanitizer/tsan_interface.h>
#define tsan_release(p) __tsan_release(p)
#define tsan_acquire(p) __tsan_acquire(p)
#else
#define tsan_release(p) ((void)(p))
#define tsan_acquire(p) ((void)(p))
#endif

/* call_rcu callback: a grace period has passed since the set was unpublished. */
static void set_reclaim(struct rcu_head *head)
{
	struct lb_set_private *priv = caa_container_of(head, struct lb_set_private, rcu);

	tsan_acquire(priv);       /* the writer's hand-over through call_rcu */
	tsan_acquire(priv->slot); /* the readers' quiescent states */
	lb_set_free(priv->set);
}

void lb_publish(struct lb_slot *slot, struct lb_set *next)
{
	struct lb_set *old;

	/* Only the writer touches slot->generation; readers see it through next->generation. */
	slot->generation++;
	if (next) {
		next->generation = slot->generation;
		next->priv->slot = slot;
	}
	/* rcu_xchg_pointer orders every store into next before the pointer becomes visible. */
	tsan_release(&slot->set);
	old = rcu_xchg_pointer(&slot->set, next);
	if (old) {
		tsan_release(old->priv);
		call_rcu(&old->priv->rcu, set_reclaim);
	}
}

const struct lb_set *lb_current(struct lb_slot *slot)
{
	struct lb_set *set = rcu_dereference(slot->set);

	tsan_acquire(&slot->set);
	return set;
}
