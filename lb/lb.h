/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer backend selection: weighted Maglev over a 64-bit key hash, published through RCU.
 *
 * A struct lb_set is an immutable snapshot of every backend plus the Maglev lookup table built
 * from them. The control thread builds a new set off the data path (lb_set_build), publishes it
 * (lb_publish: rcu_xchg_pointer, old one freed with call_rcu after a grace period), and workers
 * read the current one (lb_current) as liburcu QSBR readers. Nothing here takes a lock.
 *
 * Pure C11 + liburcu: no DPDK header.
 */
#ifndef SIPSTEER_LB_H
#define SIPSTEER_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip.h"

#define LB_NAME_MAX      64       /* including the NUL */
#define LB_MAX_BACKENDS  4096     /* ids are < LB_MAX_BACKENDS */
#define LB_DEFAULT_TABLE 65537    /* prime */
#define LB_MIN_TABLE     101      /* smallest table size lb_set_build accepts (prime) */
#define LB_MAX_TABLE     16777213 /* largest prime below 2^24 */
#define LB_NONE          UINT16_MAX
#define LB_MAX_WEIGHT    65535

enum lb_admin {
	LB_ADMIN_ENABLED = 0,
	LB_ADMIN_DRAINING, /* owns no slots; still reached by messages that name it */
	LB_ADMIN_DISABLED, /* owns no slots; never reached */
	LB_ADMIN_COUNT
};

enum lb_health {
	LB_HEALTH_UNKNOWN = 0, /* not probed yet, or probing off: treated as up */
	LB_HEALTH_UP,
	LB_HEALTH_DOWN,
	LB_HEALTH_COUNT
};

const char *lb_admin_name(enum lb_admin a); /* "enabled", "draining", "disabled" */
/* The same names as a table, for parsers that map a word back to its enum. */
extern const char *const lb_admin_names[LB_ADMIN_COUNT];
const char *lb_health_name(enum lb_health h); /* "unknown", "up", "down" */

/* An IPv4 or IPv6 address and UDP port, in network byte order for addr, host order for port. */
struct lb_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint16_t port;
	union {
		uint8_t v4[4];
		uint8_t v6[16];
	};
};

/* Format "198.18.0.21:5060" or "[2001:db8::21]:5060" into out; returns out. */
char *lb_addr_format(const struct lb_addr *a, char *out, size_t cap);
/*
 * Parse "IPv4[:port]", "[IPv6][:port]" or a bare IPv6 literal; port defaults to default_port.
 * Returns 0 or -EINVAL.
 */
int lb_addr_parse(const char *s, uint16_t default_port, struct lb_addr *out);
bool lb_addr_equal(const struct lb_addr *a, const struct lb_addr *b);

/* Which bytes of a request are hashed to pick its backend. */
enum lb_key {
	LB_KEY_CALL_ID = 0, /* default */
	LB_KEY_TO_URI,      /* address of record: REGISTER to one registrar per user */
	LB_KEY_FROM_URI,
	LB_KEY_COUNT
};

const char *lb_key_name(enum lb_key k); /* "call-id", "to-uri", "from-uri" */
extern const char *const lb_key_names[LB_KEY_COUNT];

/* One backend as configured. */
struct lb_backend_config {
	uint32_t id; /* stable across sets, < LB_MAX_BACKENDS, unique; counters are indexed by it */
	char name[LB_NAME_MAX];
	struct lb_addr addr;
	uint32_t weight; /* 0..LB_MAX_WEIGHT; 0 owns no slots */
	enum lb_admin admin;
	enum lb_health health;
};

/* What lb_set_build() needs. The caller keeps ownership of `backends`. */
struct lb_config {
	uint32_t table_size; /* prime; 0 means LB_DEFAULT_TABLE */
	uint64_t seed;
	enum lb_key key_by_method[SIP_METHOD_COUNT]; /* zero-initialised = Call-ID for all */
	uint32_t n_backends;
	const struct lb_backend_config *backends;
};

/* A backend inside a published set (immutable). */
struct lb_backend {
	struct lb_backend_config cfg;
	uint32_t slots; /* how many table slots it owns */
};

/* An immutable published snapshot. Never modified after lb_publish(). */
struct lb_set {
	uint64_t generation; /* set by lb_publish(), increasing */
	uint64_t seed;
	uint32_t table_size;
	uint32_t n_backends;
	uint32_t n_active; /* backends owning at least one slot */
	enum lb_key key_by_method[SIP_METHOD_COUNT];
	struct lb_backend *backends;     /* n_backends entries, config order */
	uint16_t *table;                 /* table_size entries: index into backends, or LB_NONE */
	uint16_t by_id[LB_MAX_BACKENDS]; /* id -> index into backends, LB_NONE when absent */
	/* private: RCU reclamation */
	struct lb_set_private *priv;
};

/*
 * Build a new set from cfg. Returns the set (caller owns it until lb_publish or lb_set_free), or
 * NULL with errno set and a message in err (cap bytes, may be NULL) naming the offending backend
 * and field ("backend 'be2': address 198.18.0.21:5060 duplicates backend 'be1'"):
 * EINVAL for a table size that is not prime, below LB_MIN_TABLE, above LB_MAX_TABLE or not larger
 * than the number of backends; an empty or unterminated name, a weight above LB_MAX_WEIGHT, an id
 * >= LB_MAX_BACKENDS, an address that is not IPv4/IPv6 with a port, an admin or health value out
 * of range; E2BIG for more than LB_MAX_BACKENDS backends (ids are unique and below it, which also
 * keeps every index below LB_NONE); EEXIST for a duplicate name, id or address; ENOMEM.
 *
 * The table is weighted Maglev: only enabled backends with health up/unknown and weight > 0 own
 * slots, each in proportion to its weight (equal weights: within one slot of table_size / n;
 * mixed: within a slot or two of table_size * weight / total, see lb/maglev.c). Each
 * backend's permutation (offset, skip) comes from lb_hash of its *name* with cfg->seed, and the
 * order in which backends take turns is fixed by their weights and names alone, so the backend
 * owning each slot does not depend on the order of cfg->backends; table bytes (indexes into
 * `backends`, which keeps config order) are identical for the same config in any process.
 * Control thread only; allocates one block.
 */
struct lb_set *lb_set_build(const struct lb_config *cfg, char *err, size_t cap);

/* Free a set that was never published (NULL is a no-op). Control thread. */
void lb_set_free(struct lb_set *set);

/* Where a published set lives. Zero-initialise; one writer (the control thread). */
struct lb_slot {
	struct lb_set *set; /* dp: rcu_dereference only; ctl: rw through lb_publish */
	uint64_t generation;
};

/*
 * Publish next in slot (rcu_xchg_pointer) and free the previous set after a grace period
 * (call_rcu, liburcu QSBR flavour). Sets next->generation to the slot's next generation (1, 2,
 * ...) before it becomes visible. next may be NULL to retire the current set (shutdown). The slot
 * owns next from then on. The calling thread must be a registered urcu-qsbr thread that reports
 * quiescent states or goes offline like any reader, else no grace period ends; before exit call
 * rcu_barrier() so that every retired set is freed. Control thread only (one writer per slot).
 */
void lb_publish(struct lb_slot *slot, struct lb_set *next);

/*
 * The current set: reader must be an online urcu-qsbr reader, and may use the set until its next
 * quiescent state. May be NULL before a publish. Any thread; no lock, no store.
 */
const struct lb_set *lb_current(struct lb_slot *slot);

/*
 * 64-bit hash of key bytes with a seed: same value on every machine (little-endian reads). A
 * multiply-fold mixer over 16-byte blocks. Any thread.
 */
uint64_t lb_hash(const void *key, size_t len, uint64_t seed);

/*
 * The hash that picks a request's backend: lb_hash(bytes, set->seed) of what
 * set->key_by_method[msg->method] names: the Call-ID (default), the To URI (msg->to_uri) or the
 * From URI (taken from msg->from: inside < >, else up to the first ';'), falling back to the
 * Call-ID when that part is empty. Bytes are hashed as written (no case folding). Any thread.
 */
uint64_t lb_key_hash(const struct lb_set *set, const char *buf, const struct sip_msg *msg);

/* Index into set->backends for a hash, or LB_NONE when no backend owns a slot. */
static inline uint16_t lb_pick(const struct lb_set *set, uint64_t hash)
{
	/* Lemire's multiply-shift reduction of a 32-bit fold: uniform, no division. */
	uint32_t h32 = (uint32_t)(hash ^ (hash >> 32));
	uint32_t slot = (uint32_t)(((uint64_t)h32 * set->table_size) >> 32);
	return set->table[slot];
}

/* The backend with this id in set, or NULL. */
static inline const struct lb_backend *lb_by_id(const struct lb_set *set, uint32_t id)
{
	if (id >= LB_MAX_BACKENDS || set->by_id[id] == LB_NONE)
		return NULL;
	return &set->backends[set->by_id[id]];
}

/* Backend by name, or NULL. Any thread that holds the set. */
const struct lb_backend *lb_by_name(const struct lb_set *set, const char *name);

#endif
