/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour snapshots: build, publish through RCU, free after a grace period. */
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "neigh.h"

struct dp_neigh_table_private {
	struct rcu_head rcu;
	void *table; /* struct dp_neigh_table or struct dp_neigh6_table */
};

/*
 * Allocate a zeroed table of header bytes plus room for 2 x n slots (a power of two, at least
 * 16) and its reclamation record. Both tables share the header layout (mask, count, priv).
 */
static void *table_alloc(size_t header, size_t slot, uint32_t n, uint32_t *mask,
                         struct dp_neigh_table_private **priv)
{
	uint32_t cap = 16;

	if (n > DP_NEIGH_MAX)
		return NULL;
	while (cap < 2 * n)
		cap *= 2;
	void *t = calloc(1, header + (size_t)cap * slot);
	struct dp_neigh_table_private *p = calloc(1, sizeof(*p));
	if (t == NULL || p == NULL) {
		free(t);
		free(p);
		return NULL;
	}
	p->table = t;
	*priv = p;
	*mask = cap - 1;
	return t;
}

struct dp_neigh_table *dp_neigh_table_build(const struct dp_neigh *entries, uint32_t n)
{
	uint32_t mask;
	struct dp_neigh_table_private *priv;
	struct dp_neigh_table *t = table_alloc(sizeof(*t), sizeof(t->slots[0]), n, &mask, &priv);
	if (t == NULL)
		return NULL;
	t->priv = priv;
	t->mask = mask;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = dp_neigh_hash(entries[k].ip, t->mask);
		while (t->slots[i].ip != 0 && t->slots[i].ip != entries[k].ip)
			i = (i + 1) & t->mask;
		if (t->slots[i].ip == 0)
			t->count++;
		t->slots[i] = entries[k];
	}
	return t;
}

void dp_neigh_table_free(struct dp_neigh_table *t)
{
	if (t == NULL)
		return;
	free(t->priv);
	free(t);
}

static void free_rcu(struct rcu_head *head)
{
	struct dp_neigh_table_private *priv =
	    caa_container_of(head, struct dp_neigh_table_private, rcu);

	free(priv->table);
	free(priv);
}

void dp_neigh_publish(struct dp_neigh_slot *slot, struct dp_neigh_table *next)
{
	struct dp_neigh_table *old = rcu_xchg_pointer(&slot->table, next);

	if (old != NULL)
		call_rcu(&old->priv->rcu, free_rcu);
}

struct dp_neigh6_table *dp_neigh6_table_build(const struct dp_neigh6 *entries, uint32_t n)
{
	uint32_t mask;
	struct dp_neigh_table_private *priv;
	struct dp_neigh6_table *t = table_alloc(sizeof(*t), sizeof(t->slots[0]), n, &mask, &priv);
	if (t == NULL)
		return NULL;
	t->priv = priv;
	t->mask = mask;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = dp_neigh6_hash(entries[k].ip, t->mask);
		while (!dp_ip6_is_zero(t->slots[i].ip) &&
		       memcmp(t->slots[i].ip, entries[k].ip, 16) != 0)
			i = (i + 1) & t->mask;
		if (dp_ip6_is_zero(t->slots[i].ip))
			t->count++;
		t->slots[i] = entries[k];
	}
	return t;
}

void dp_neigh6_table_free(struct dp_neigh6_table *t)
{
	if (t == NULL)
		return;
	free(t->priv);
	free(t);
}

void dp_neigh6_publish(struct dp_neigh6_slot *slot, struct dp_neigh6_table *next)
{
	struct dp_neigh6_table *old = rcu_xchg_pointer(&slot->table, next);

	if (old != NULL)
		call_rcu(&old->priv->rcu, free_rcu);
}
