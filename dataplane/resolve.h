/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour resolution on the control thread: the mutable table behind the published
 * neighbour snapshots. Backends, the gateways and any address a worker missed are resolved by
 * ARP for IPv4 and by Neighbor Solicitations for IPv6 (the first request at once, retries after
 * 100 ms doubling up to a second until answered, then a refresh now and then); senders of ARP
 * packets, of Neighbor Discovery messages and of SIP requests are learned from the workers'
 * notices. IPv4 and IPv6 entries live in two tables with the same state machine.
 *
 * Control thread only. Pure logic: sending ARP requests and publishing go through callbacks, so
 * the state machine can be tested without ports.
 */
#ifndef SIPSTEER_DP_RESOLVE_H
#define SIPSTEER_DP_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "neigh.h"

#define DP_RESOLVE_FIRST_RETRY_MS 100   /* first retry of an unanswered request; then doubled */
#define DP_RESOLVE_RETRY_MS       1000  /* longest interval between requests until answered */
#define DP_RESOLVE_REFRESH_MS     60000 /* re-ask a wanted entry this long after its last answer */

struct dp_resolve_entry {
	uint32_t ip; /* network order; 0 = empty slot */
	uint8_t mac[6];
	uint16_t port;
	bool known;            /* mac and port are valid */
	bool wanted;           /* resolved actively (backend, gateway, or a worker's miss) */
	uint64_t asked_ms;     /* last ARP request sent, 0 = never */
	uint64_t confirmed_ms; /* last time its MAC was seen */
	uint32_t retry_ms;     /* wait before the next request while unknown, 0 = not asked yet */
};

/* Send an ARP request for ip (network order); port = UINT16_MAX: on every port. */
typedef void (*dp_resolve_ask_fn)(void *arg, uint32_t ip, uint16_t port);

struct dp_resolve6_entry {
	uint8_t ip[16]; /* all zero = empty slot */
	uint8_t mac[6];
	uint16_t port;
	bool known;
	bool wanted;
	uint64_t asked_ms;
	uint64_t confirmed_ms;
	uint32_t retry_ms;
};

/* Send a Neighbor Solicitation for ip; port = UINT16_MAX: on every port. */
typedef void (*dp_resolve_ask6_fn)(void *arg, const uint8_t ip[16], uint16_t port);

/* The IPv6 half of a resolver (fields as in struct dp_resolver). */
struct dp_resolver6 {
	uint32_t mask;
	uint32_t count;
	bool dirty;
	uint64_t full;
	struct dp_resolve6_entry *slots;
	uint32_t n_wanted;
	uint32_t *wanted;
	dp_resolve_ask6_fn ask; /* NULL: IPv6 entries are never asked for */
};

struct dp_resolver {
	uint32_t mask; /* capacity - 1 */
	uint32_t count;
	bool dirty;    /* changed since the last snapshot */
	uint64_t full; /* entries refused because the table was full */
	struct dp_resolve_entry *slots;
	uint32_t n_wanted;
	uint32_t *wanted; /* slot indices of wanted entries: what tick walks */
	dp_resolve_ask_fn ask;
	void *ask_arg; /* for ask and v6.ask */
	struct dp_resolver6 v6;
};

/* Allocate an empty resolver (both tables). Returns 0 or -ENOMEM. */
int dp_resolver_init(struct dp_resolver *r, dp_resolve_ask_fn ask, void *ask_arg);

/* Set the callback that sends Neighbor Solicitations (called with ask_arg). */
void dp_resolver_set_ask6(struct dp_resolver *r, dp_resolve_ask6_fn ask6);
void dp_resolver_free(struct dp_resolver *r);

/* Resolve ip actively from now on (idempotent). Returns 0 or -ENOSPC. */
int dp_resolver_want(struct dp_resolver *r, uint32_t ip);
/*
 * A worker had traffic for ip and no MAC: as dp_resolver_want, and when ip is still unknown and
 * was last asked DP_RESOLVE_FIRST_RETRY_MS or more before now_ms, it is asked at the next tick
 * and its back-off starts over (traffic is waiting; a once-a-second retry would hold it).
 */
int dp_resolver_miss(struct dp_resolver *r, uint32_t ip, uint64_t now_ms);

/* ip is at mac behind port, seen at now_ms. Returns 0 or -ENOSPC. */
int dp_resolver_learn(struct dp_resolver *r, uint32_t ip, const uint8_t mac[6], uint16_t port,
                      uint64_t now_ms);

/*
 * A link came up: every wanted address still unknown is asked again at the next tick, as if
 * never asked (the requests sent while the link was down went nowhere, and their back-off
 * would delay the first answer by up to DP_RESOLVE_RETRY_MS).
 */
void dp_resolver_relink(struct dp_resolver *r);

/*
 * Send the ARP requests and Neighbor Solicitations that are due at now_ms: a new wanted entry at
 * once, an unanswered one again after DP_RESOLVE_FIRST_RETRY_MS, doubling up to
 * DP_RESOLVE_RETRY_MS; a known one every DP_RESOLVE_RETRY_MS once DP_RESOLVE_REFRESH_MS passed
 * since its last answer.
 */
void dp_resolver_tick(struct dp_resolver *r, uint64_t now_ms);

/* The entry for ip or NULL. */
const struct dp_resolve_entry *dp_resolver_find(const struct dp_resolver *r, uint32_t ip);

/*
 * A snapshot of every known entry when anything changed since the last one (clears dirty), else
 * NULL. Caller owns the table (publish it). NULL also when out of memory (dirty stays set).
 */
struct dp_neigh_table *dp_resolver_snapshot(struct dp_resolver *r);

/* IPv6: as dp_resolver_want, dp_resolver_learn, dp_resolver_find (ip not all zero). */
int dp_resolver_want6(struct dp_resolver *r, const uint8_t ip[16]);
int dp_resolver_miss6(struct dp_resolver *r, const uint8_t ip[16], uint64_t now_ms);
int dp_resolver_learn6(struct dp_resolver *r, const uint8_t ip[16], const uint8_t mac[6],
                       uint16_t port, uint64_t now_ms);
const struct dp_resolve6_entry *dp_resolver_find6(const struct dp_resolver *r,
                                                  const uint8_t ip[16]);

/* As dp_resolver_snapshot, for the IPv6 entries. */
struct dp_neigh6_table *dp_resolver_snapshot6(struct dp_resolver *r);

#endif
