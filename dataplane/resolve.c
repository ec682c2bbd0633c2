/* SPDX-License-Identifier: BSD-3-Clause */
/* The control thread's neighbour table: wanted addresses, ARP retries, learning, snapshots. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "resolve.h"

/* Twice DP_NEIGH_MAX: the open-addressed table stays at most half full. */
#define DP_RESOLVE_CAP (2 * DP_NEIGH_MAX)

int dp_resolver_init(struct dp_resolver *r, dp_resolve_ask_fn ask, void *ask_arg)
{
	memset(r, 0, sizeof(*r));
	r->slots = calloc(DP_RESOLVE_CAP, sizeof(r->slots[0]));
	r->wanted = calloc(DP_NEIGH_MAX, sizeof(r->wanted[0]));
	r->v6.slots = calloc(DP_RESOLVE_CAP, sizeof(r->v6.slots[0]));
	r->v6.wanted = calloc(DP_NEIGH_MAX, sizeof(r->v6.wanted[0]));
	if (r->slots == NULL || r->wanted == NULL || r->v6.slots == NULL || r->v6.wanted == NULL) {
		dp_resolver_free(r);
		return -ENOMEM;
	}
	r->mask = DP_RESOLVE_CAP - 1;
	r->v6.mask = DP_RESOLVE_CAP - 1;
	r->ask = ask;
	r->ask_arg = ask_arg;
	return 0;
}

void dp_resolver_free(struct dp_resolver *r)
{
	free(r->slots);
	free(r->wanted);
	free(r->v6.slots);
	free(r->v6.wanted);
	r->slots = NULL;
	r->wanted = NULL;
	r->v6.slots = NULL;
	r->v6.wanted = NULL;
}

void dp_resolver_set_ask6(struct dp_resolver *r, dp_resolve_ask6_fn ask6)
{
	r->v6.ask = ask6;
}

/* The slot of ip, or the empty slot where it goes; NULL when ip is absent and the table full. */
static struct dp_resolve_entry *slot_of(struct dp_resolver *r, uint32_t ip)
{
	for (uint32_t i = dp_neigh_hash(ip, r->mask);; i = (i + 1) & r->mask) {
		struct dp_resolve_entry *e = &r->slots[i];
		if (e->ip == ip)
			return e;
		if (e->ip == 0)
			return r->count < DP_NEIGH_MAX ? e : NULL;
	}
}

const struct dp_resolve_entry *dp_resolver_find(const struct dp_resolver *r, uint32_t ip)
{
	struct dp_resolve_entry *e = slot_of((struct dp_resolver *)r, ip);

	return e != NULL && e->ip == ip ? e : NULL;
}

static struct dp_resolve_entry *get(struct dp_resolver *r, uint32_t ip)
{
	struct dp_resolve_entry *e;

	if (ip == 0)
		return NULL;
	e = slot_of(r, ip);
	if (e == NULL) {
		r->full++;
		return NULL;
	}
	if (e->ip == 0) {
		e->ip = ip;
		r->count++;
	}
	return e;
}

int dp_resolver_want(struct dp_resolver *r, uint32_t ip)
{
	struct dp_resolve_entry *e = get(r, ip);

	if (e == NULL)
		return -ENOSPC;
	if (!e->wanted)
		r->wanted[r->n_wanted++] = (uint32_t)(e - r->slots);
	e->wanted = true;
	return 0;
}

/* Traffic waits for an unknown entry: ask at the next tick unless asked a moment ago. */
static void hurry(uint64_t *asked_ms, uint32_t *retry_ms, bool known, uint64_t now_ms)
{
	if (!known && *asked_ms != 0 && now_ms - *asked_ms >= DP_RESOLVE_FIRST_RETRY_MS) {
		*asked_ms = 0;
		*retry_ms = 0;
	}
}

int dp_resolver_miss(struct dp_resolver *r, uint32_t ip, uint64_t now_ms)
{
	int rc = dp_resolver_want(r, ip);

	if (rc == 0) {
		struct dp_resolve_entry *e = slot_of(r, ip);
		hurry(&e->asked_ms, &e->retry_ms, e->known, now_ms);
	}
	return rc;
}

int dp_resolver_learn(struct dp_resolver *r, uint32_t ip, const uint8_t mac[6], uint16_t port,
                      uint64_t now_ms)
{
	struct dp_resolve_entry *e = get(r, ip);

	if (e == NULL)
		return -ENOSPC;
	if (!e->known || e->port != port || memcmp(e->mac, mac, sizeof(e->mac)) != 0) {
		memcpy(e->mac, mac, sizeof(e->mac));
		e->port = port;
		e->known = true;
		r->dirty = true;
	}
	e->confirmed_ms = now_ms;
	e->retry_ms = 0;
	return 0;
}

/*
 * Whether an entry (known, asked_ms, confirmed_ms, *retry_ms) is due for a request at now_ms;
 * when it is, take the request into account (asked_ms, the next retry interval).
 */
static bool ask_due(bool known, uint64_t *asked_ms, uint64_t confirmed_ms, uint32_t *retry_ms,
                    uint64_t now_ms)
{
	if (known && now_ms - confirmed_ms < DP_RESOLVE_REFRESH_MS)
		return false;
	uint32_t wait = known ? DP_RESOLVE_RETRY_MS : *retry_ms;
	if (*asked_ms != 0 && now_ms - *asked_ms < wait)
		return false;
	*asked_ms = now_ms;
	if (!known)
		*retry_ms = *retry_ms == 0 ? DP_RESOLVE_FIRST_RETRY_MS
		                           : RTE_MIN(2 * *retry_ms, (uint32_t)DP_RESOLVE_RETRY_MS);
	return true;
}

void dp_resolver_relink(struct dp_resolver *r)
{
	for (uint32_t i = 0; i < r->n_wanted; i++) {
		struct dp_resolve_entry *e = &r->slots[r->wanted[i]];
		if (!e->known) {
			e->asked_ms = 0;
			e->retry_ms = 0;
		}
	}
	struct dp_resolver6 *r6 = &r->v6;
	for (uint32_t i = 0; i < r6->n_wanted; i++) {
		struct dp_resolve6_entry *e = &r6->slots[r6->wanted[i]];
		if (!e->known) {
			e->asked_ms = 0;
			e->retry_ms = 0;
		}
	}
}

void dp_resolver_tick(struct dp_resolver *r, uint64_t now_ms)
{
	for (uint32_t i = 0; i < r->n_wanted; i++) {
		struct dp_resolve_entry *e = &r->slots[r->wanted[i]];
		if (!ask_due(e->known, &e->asked_ms, e->confirmed_ms, &e->retry_ms, now_ms))
			continue;
		/* A known entry is refreshed where it lives; an unknown one is asked everywhere. */
		r->ask(r->ask_arg, e->ip, e->known ? e->port : UINT16_MAX);
	}
	struct dp_resolver6 *r6 = &r->v6;
	for (uint32_t i = 0; r6->ask != NULL && i < r6->n_wanted; i++) {
		struct dp_resolve6_entry *e = &r6->slots[r6->wanted[i]];
		if (!ask_due(e->known, &e->asked_ms, e->confirmed_ms, &e->retry_ms, now_ms))
			continue;
		r6->ask(r->ask_arg, e->ip, e->known ? e->port : UINT16_MAX);
	}
}

struct dp_neigh_table *dp_resolver_snapshot(struct dp_resolver *r)
{
	if (!r->dirty)
		return NULL;
	struct dp_neigh *list = malloc((r->count + 1) * sizeof(*list));
	if (list == NULL)
		return NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; i <= r->mask; i++) {
		const struct dp_resolve_entry *e = &r->slots[i];
		if (e->ip == 0 || !e->known)
			continue;
		list[n].ip = e->ip;
		memcpy(list[n].mac, e->mac, sizeof(list[n].mac));
		list[n].port = e->port;
		n++;
	}
	struct dp_neigh_table *t = dp_neigh_table_build(list, n);
	free(list);
	if (t != NULL)
		r->dirty = false;
	return t;
}

/* ---- IPv6: the same state machine over 16-byte keys ---------------------------------------- */

static struct dp_resolve6_entry *slot6_of(struct dp_resolver6 *r, const uint8_t ip[16])
{
	for (uint32_t i = dp_neigh6_hash(ip, r->mask);; i = (i + 1) & r->mask) {
		struct dp_resolve6_entry *e = &r->slots[i];
		if (memcmp(e->ip, ip, 16) == 0)
			return e;
		if (dp_ip6_is_zero(e->ip))
			return r->count < DP_NEIGH_MAX ? e : NULL;
	}
}

int dp_resolver_miss6(struct dp_resolver *r, const uint8_t ip[16], uint64_t now_ms)
{
	int rc = dp_resolver_want6(r, ip);

	if (rc == 0) {
		struct dp_resolve6_entry *e = slot6_of(&r->v6, ip);
		hurry(&e->asked_ms, &e->retry_ms, e->known, now_ms);
	}
	return rc;
}

const struct dp_resolve6_entry *dp_resolver_find6(const struct dp_resolver *r, const uint8_t ip[16])
{
	if (dp_ip6_is_zero(ip))
		return NULL;
	struct dp_resolve6_entry *e = slot6_of((struct dp_resolver6 *)&r->v6, ip);

	return e != NULL && memcmp(e->ip, ip, 16) == 0 ? e : NULL;
}

static struct dp_resolve6_entry *get6(struct dp_resolver6 *r, const uint8_t ip[16])
{
	if (dp_ip6_is_zero(ip))
		return NULL;
	struct dp_resolve6_entry *e = slot6_of(r, ip);
	if (e == NULL) {
		r->full++;
		return NULL;
	}
	if (dp_ip6_is_zero(e->ip)) {
		memcpy(e->ip, ip, 16);
		r->count++;
	}
	return e;
}

int dp_resolver_want6(struct dp_resolver *r, const uint8_t ip[16])
{
	struct dp_resolve6_entry *e = get6(&r->v6, ip);

	if (e == NULL)
		return -ENOSPC;
	if (!e->wanted)
		r->v6.wanted[r->v6.n_wanted++] = (uint32_t)(e - r->v6.slots);
	e->wanted = true;
	return 0;
}

int dp_resolver_learn6(struct dp_resolver *r, const uint8_t ip[16], const uint8_t mac[6],
                       uint16_t port, uint64_t now_ms)
{
	struct dp_resolve6_entry *e = get6(&r->v6, ip);

	if (e == NULL)
		return -ENOSPC;
	if (!e->known || e->port != port || memcmp(e->mac, mac, sizeof(e->mac)) != 0) {
		memcpy(e->mac, mac, sizeof(e->mac));
		e->port = port;
		e->known = true;
		r->v6.dirty = true;
	}
	e->confirmed_ms = now_ms;
	e->retry_ms = 0;
	return 0;
}

struct dp_neigh6_table *dp_resolver_snapshot6(struct dp_resolver *r)
{
	struct dp_resolver6 *r6 = &r->v6;

	if (!r6->dirty)
		return NULL;
	struct dp_neigh6 *list = malloc((r6->count + 1) * sizeof(*list));
	if (list == NULL)
		return NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; i <= r6->mask; i++) {
		const struct dp_resolve6_entry *e = &r6->slots[i];
		if (dp_ip6_is_zero(e->ip) || !e->known)
			continue;
		memcpy(list[n].ip, e->ip, 16);
		memcpy(list[n].mac, e->mac, sizeof(list[n].mac));
		list[n].port = e->port;
		n++;
	}
	struct dp_neigh6_table *t = dp_neigh6_table_build(list, n);
	free(list);
	if (t != NULL)
		r6->dirty = false;
	return t;
}
