/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour snapshots: immutable IPv4 -> (port, MAC) and IPv6 -> (port, MAC) tables the workers
 * read as urcu-qsbr readers. The control thread builds a new one whenever an entry changes,
 * publishes it with rcu_xchg_pointer and frees the old one with call_rcu (the same life cycle as lb
 * sets).
 *
 * The table is open-addressed (linear probing) with a power-of-two capacity at most half full,
 * so a lookup touches one or two cache lines and never loops forever.
 */
#ifndef SIPSTEER_DP_NEIGH_H
#define SIPSTEER_DP_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Most entries a snapshot (and the control thread's resolver) holds. */
#define DP_NEIGH_MAX 16384

struct dp_neigh {
	uint32_t ip; /* network order; 0 marks an empty slot */
	uint8_t mac[6];
	uint16_t port; /* index into the daemon's ports */
};

struct dp_neigh_table {
	uint32_t mask; /* capacity - 1 */
	uint32_t count;
	struct dp_neigh_table_private *priv; /* RCU reclamation */
	struct dp_neigh slots[];
};

/* Where the published table lives. Zero-initialise; one writer (the control thread). */
struct dp_neigh_slot {
	struct dp_neigh_table
	    *table; /* dp: rcu_dereference only; ctl: rw through dp_neigh_publish */
};

/*
 * Slot index an address hashes to (before probing): the high half of a 64-bit product, where
 * every byte of the address counts. (The low bits of a 32-bit product, as before, left out the
 * last octets, the top bytes of the network-order word: all hosts of a /16 took one slot of a
 * table below 512 entries, and a lookup probed through all of them.)
 */
static inline uint32_t dp_neigh_hash(uint32_t ip, uint32_t mask)
{
	return (uint32_t)(((uint64_t)ip * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & mask;
}

/* The entry for ip (network order, not 0), or NULL. Any thread; t must stay valid meanwhile. */
static inline const struct dp_neigh *dp_neigh_lookup(const struct dp_neigh_table *t, uint32_t ip)
{
	for (uint32_t i = dp_neigh_hash(ip, t->mask);; i = (i + 1) & t->mask) {
		const struct dp_neigh *n = &t->slots[i];
		if (n->ip == ip)
			return n;
		if (n->ip == 0)
			return NULL;
	}
}

/*
 * Build a table from n entries (n <= DP_NEIGH_MAX, no ip 0; a repeated ip keeps the last one).
 * Returns the table (caller owns it until dp_neigh_publish or dp_neigh_table_free) or NULL when
 * out of memory. Control thread.
 */
struct dp_neigh_table *dp_neigh_table_build(const struct dp_neigh *entries, uint32_t n);

/* Free a table that was never published. */
void dp_neigh_table_free(struct dp_neigh_table *t);

/*
 * Publish next (may be NULL) and free the previous table after a grace period. The calling
 * thread must be registered with urcu-qsbr. Control thread only.
 */
void dp_neigh_publish(struct dp_neigh_slot *slot, struct dp_neigh_table *next);

/* The current table, or NULL: the caller must be an online urcu-qsbr reader. Inline, as
 * rcu_dereference (a dependent load), without a call for every message. */
static inline const struct dp_neigh_table *dp_neigh_current(struct dp_neigh_slot *slot)
{
	return __atomic_load_n(&slot->table, __ATOMIC_CONSUME);
}

/* ---- IPv6 --------------------------------------------------------------------------------- */

struct dp_neigh6 {
	uint8_t ip[16]; /* all zero marks an empty slot */
	uint8_t mac[6];
	uint16_t port; /* index into the daemon's ports */
};

struct dp_neigh6_table {
	uint32_t mask; /* capacity - 1 */
	uint32_t count;
	struct dp_neigh_table_private *priv; /* RCU reclamation */
	struct dp_neigh6 slots[];
};

/* Where the published IPv6 table lives. Zero-initialise; one writer (the control thread). */
struct dp_neigh6_slot {
	struct dp_neigh6_table
	    *table; /* dp: rcu_dereference only; ctl: rw through dp_neigh6_publish */
};

/* True for the all-zero address (empty slot, unspecified address). */
static inline bool dp_ip6_is_zero(const uint8_t ip[16])
{
	uint64_t a, b;

	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	return (a | b) == 0;
}

/* Slot index an IPv6 address hashes to (before probing): its interface identifier mostly. */
static inline uint32_t dp_neigh6_hash(const uint8_t ip[16], uint32_t mask)
{
	uint32_t w[4];

	memcpy(w, ip, sizeof(w));
	return dp_neigh_hash(w[0] ^ w[1] ^ w[2] ^ (w[3] * 0x85ebca6bu) ^ (w[3] >> 13) ^ 1u, mask);
}

/* The entry for ip (not all zero), or NULL. Any thread; t must stay valid meanwhile. */
static inline const struct dp_neigh6 *dp_neigh6_lookup(const struct dp_neigh6_table *t,
                                                       const uint8_t ip[16])
{
	for (uint32_t i = dp_neigh6_hash(ip, t->mask);; i = (i + 1) & t->mask) {
		const struct dp_neigh6 *n = &t->slots[i];
		if (memcmp(n->ip, ip, 16) == 0)
			return n;
		if (dp_ip6_is_zero(n->ip))
			return NULL;
	}
}

/* As dp_neigh_table_build, for IPv6 entries (none all zero). */
struct dp_neigh6_table *dp_neigh6_table_build(const struct dp_neigh6 *entries, uint32_t n);

/* Free an IPv6 table that was never published (or that no reader can see any more). */
void dp_neigh6_table_free(struct dp_neigh6_table *t);

/* As dp_neigh_publish, for the IPv6 table. Control thread only. */
void dp_neigh6_publish(struct dp_neigh6_slot *slot, struct dp_neigh6_table *next);

/* The current IPv6 table, or NULL: the caller must be an online urcu-qsbr reader. Inline, as
 * dp_neigh_current. */
static inline const struct dp_neigh6_table *dp_neigh6_current(struct dp_neigh6_slot *slot)
{
	return __atomic_load_n(&slot->table, __ATOMIC_CONSUME);
}

#endif
