/* SPDX-License-Identifier: BSD-3-Clause */
/* Backend sets: validate a configuration, build the immutable snapshot, look backends up. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lb_private.h"

_Static_assert(LB_MAX_BACKENDS < LB_NONE, "backend indexes must stay below LB_NONE");
_Static_assert(LB_MAX_TABLE <= UINT32_MAX / 2, "table offsets fit 32 bits");

const char *const lb_admin_names[LB_ADMIN_COUNT] = {
    [LB_ADMIN_ENABLED] = "enabled",
    [LB_ADMIN_DRAINING] = "draining",
    [LB_ADMIN_DISABLED] = "disabled",
};

static const char *const health_names[LB_HEALTH_COUNT] = {
    [LB_HEALTH_UNKNOWN] = "unknown",
    [LB_HEALTH_UP] = "up",
    [LB_HEALTH_DOWN] = "down",
};

/* Spelled here from the parser's X-macro so that lb links without the parser library. */
static const char *const method_names[SIP_METHOD_COUNT] = {[SIP_METHOD_OTHER] = "other",
#define METHOD_NAME(name) [SIP_METHOD_##name] = #name,
                                                           SIP_METHODS(METHOD_NAME)
#undef METHOD_NAME
};

const char *const lb_key_names[LB_KEY_COUNT] = {
    [LB_KEY_CALL_ID] = "call-id",
    [LB_KEY_TO_URI] = "to-uri",
    [LB_KEY_FROM_URI] = "from-uri",
};

const char *lb_admin_name(enum lb_admin a)
{
	return (unsigned)a < LB_ADMIN_COUNT ? lb_admin_names[a] : "?";
}

const char *lb_health_name(enum lb_health h)
{
	return (unsigned)h < LB_HEALTH_COUNT ? health_names[h] : "?";
}

const char *lb_key_name(enum lb_key k)
{
	return (unsigned)k < LB_KEY_COUNT ? lb_key_names[k] : "?";
}

/* Set errno, write the message, return -err_no: the one way lb_set_build fails. */
__attribute__((format(printf, 4, 5))) static int fail(int err_no, char *err, size_t cap,
                                                      const char *fmt, ...)
{
	va_list ap;

	if (err && cap) {
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	errno = err_no;
	return -err_no;
}

static bool is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint32_t d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/*
 * Open-addressing set of backend indexes, to find duplicate names and addresses in O(n).
 * Slots hold index + 1; 0 is empty.
 */
struct seen {
	uint32_t *slot;
	uint32_t mask;
};

typedef bool (*same_fn)(const struct lb_backend_config *a, const struct lb_backend_config *b);

/* Insert i; return the index of an earlier equal backend, or -1. */
static int64_t seen_insert(struct seen *s, const struct lb_backend_config *bs, uint32_t i,
                           uint64_t hash, same_fn same)
{
	for (uint32_t p = (uint32_t)hash & s->mask;; p = (p + 1) & s->mask) {
		if (!s->slot[p]) {
			s->slot[p] = i + 1;
			return -1;
		}
		if (same(&bs[s->slot[p] - 1], &bs[i]))
			return s->slot[p] - 1;
	}
}

static bool same_name(const struct lb_backend_config *a, const struct lb_backend_config *b)
{
	return !strcmp(a->name, b->name);
}

static bool same_addr(const struct lb_backend_config *a, const struct lb_backend_config *b)
{
	return lb_addr_equal(&a->addr, &b->addr);
}

static uint64_t addr_hash(const struct lb_addr *a)
{
	uint8_t key[19] = {a->family, (uint8_t)(a->port >> 8), (uint8_t)a->port};

	memcpy(key + 3, a->family == AF_INET ? a->v4 : a->v6, a->family == AF_INET ? 4 : 16);
	return lb_hash(key, sizeof(key), 0);
}

/* Every check on one backend alone. Returns 0 or -errno (message in err). */
static int check_backend(const struct lb_backend_config *b, uint32_t i, char *err, size_t cap)
{
	char addr[64];

	if (!memchr(b->name, 0, sizeof(b->name)))
		return fail(EINVAL, err, cap, "backend #%" PRIu32 ": name is longer than %d bytes",
		            i, LB_NAME_MAX - 1);
	if (!b->name[0])
		return fail(EINVAL, err, cap, "backend #%" PRIu32 ": name is empty", i);
	if (b->id >= LB_MAX_BACKENDS)
		return fail(EINVAL, err, cap, "backend '%s': id %" PRIu32 " is out of range 0..%d",
		            b->name, b->id, LB_MAX_BACKENDS - 1);
	if (b->weight > LB_MAX_WEIGHT)
		return fail(EINVAL, err, cap, "backend '%s': weight %" PRIu32 " is above %d",
		            b->name, b->weight, LB_MAX_WEIGHT);
	if ((unsigned)b->admin >= LB_ADMIN_COUNT)
		return fail(EINVAL, err, cap,
		            "backend '%s': admin state %u is not one of %s, %s, %s", b->name,
		            (unsigned)b->admin, lb_admin_names[0], lb_admin_names[1],
		            lb_admin_names[2]);
	if ((unsigned)b->health >= LB_HEALTH_COUNT)
		return fail(EINVAL, err, cap, "backend '%s': health %u is not one of %s, %s, %s",
		            b->name, (unsigned)b->health, health_names[0], health_names[1],
		            health_names[2]);
	if (b->addr.family != AF_INET && b->addr.family != AF_INET6)
		return fail(EINVAL, err, cap,
		            "backend '%s': address family %u is neither IPv4 nor IPv6", b->name,
		            (unsigned)b->addr.family);
	if (!b->addr.port)
		return fail(EINVAL, err, cap, "backend '%s': address %s has port 0", b->name,
		            lb_addr_format(&b->addr, addr, sizeof(addr)));
	return 0;
}

/* Global checks, then each backend, then duplicates. Returns 0 or -errno (message in err). */
static int check_config(const struct lb_config *cfg, uint32_t m, char *err, size_t cap)
{
	const struct lb_backend_config *bs = cfg->backends;
	uint16_t by_id[LB_MAX_BACKENDS]; /* index + 1; 0: id unused */
	struct seen names = {0}, addrs = {0};
	uint32_t n = cfg->n_backends, size = 16;
	int rc = 0;

	if (n > LB_MAX_BACKENDS)
		return fail(E2BIG, err, cap, "%" PRIu32 " backends: at most %d", n,
		            LB_MAX_BACKENDS);
	if (n && !bs)
		return fail(EINVAL, err, cap, "%" PRIu32 " backends but no backend array", n);
	if (m < LB_MIN_TABLE)
		return fail(EINVAL, err, cap, "table size %" PRIu32 " is too small (minimum %d)", m,
		            LB_MIN_TABLE);
	if (m > LB_MAX_TABLE)
		return fail(EINVAL, err, cap, "table size %" PRIu32 " is too large (maximum %d)", m,
		            LB_MAX_TABLE);
	if (!is_prime(m))
		return fail(EINVAL, err, cap, "table size %" PRIu32 " is not prime", m);
	if (m <= n)
		return fail(EINVAL, err, cap,
		            "table size %" PRIu32 " is too small for %" PRIu32 " backends", m, n);
	for (int k = 0; k < SIP_METHOD_COUNT; k++)
		if ((unsigned)cfg->key_by_method[k] >= LB_KEY_COUNT)
			return fail(EINVAL, err, cap, "key for method %s: %u is not a key",
			            method_names[k], (unsigned)cfg->key_by_method[k]);

	for (uint32_t i = 0; i < n; i++)
		if ((rc = check_backend(&bs[i], i, err, cap)) < 0)
			return rc;

	while (size < 2 * n)
		size *= 2;
	names.slot = calloc(size, sizeof(uint32_t));
	addrs.slot = calloc(size, sizeof(uint32_t));
	if (!names.slot || !addrs.slot) {
		rc = fail(ENOMEM, err, cap, "out of memory checking %" PRIu32 " backends", n);
		goto out;
	}
	names.mask = addrs.mask = size - 1;
	memset(by_id, 0, sizeof(by_id));
	for (uint32_t i = 0; i < n && !rc; i++) {
		const struct lb_backend_config *b = &bs[i];
		char addr[64];
		int64_t j;

		if (by_id[b->id]) {
			rc = fail(EEXIST, err, cap,
			          "backend '%s': id %" PRIu32 " duplicates backend '%s'", b->name,
			          b->id, bs[by_id[b->id] - 1].name);
			break;
		}
		by_id[b->id] = (uint16_t)(i + 1);
		j = seen_insert(&names, bs, i, lb_hash(b->name, strlen(b->name), 0), same_name);
		if (j >= 0) {
			rc = fail(EEXIST, err, cap,
			          "backend #%" PRIu32 ": name '%s' duplicates backend #%" PRId64, i,
			          b->name, j);
			break;
		}
		j = seen_insert(&addrs, bs, i, addr_hash(&b->addr), same_addr);
		if (j >= 0) {
			rc = fail(EEXIST, err, cap,
			          "backend '%s': address %s duplicates backend '%s'", b->name,
			          lb_addr_format(&b->addr, addr, sizeof(addr)), bs[j].name);
		}
	}
out:
	free(names.slot);
	free(addrs.slot);
	if (rc)
		errno = -rc;
	return rc;
}

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

struct lb_set *lb_set_build(const struct lb_config *cfg, char *err, size_t cap)
{
	size_t off_priv, off_backends, off_table, total;
	struct lb_set *set;
	uint32_t m;

	if (!cfg) {
		fail(EINVAL, err, cap, "no configuration");
		return NULL;
	}
	m = cfg->table_size ? cfg->table_size : LB_DEFAULT_TABLE;
	if (check_config(cfg, m, err, cap) < 0)
		return NULL;

	/* One block: set, reclamation record, backends, table (cache-line aligned). */
	off_priv = align64(sizeof(*set));
	off_backends = align64(off_priv + sizeof(struct lb_set_private));
	off_table = align64(off_backends + (size_t)cfg->n_backends * sizeof(struct lb_backend));
	total = align64(off_table + (size_t)m * sizeof(uint16_t));
	set = aligned_alloc(64, total);
	if (!set) {
		fail(ENOMEM, err, cap, "out of memory for a table of %" PRIu32 " slots", m);
		return NULL;
	}
	memset(set, 0, off_table);
	set->priv = (struct lb_set_private *)((char *)set + off_priv);
	set->priv->set = set;
	set->backends = (struct lb_backend *)((char *)set + off_backends);
	set->table = (uint16_t *)((char *)set + off_table);
	set->seed = cfg->seed;
	set->table_size = m;
	set->n_backends = cfg->n_backends;
	memcpy(set->key_by_method, cfg->key_by_method, sizeof(set->key_by_method));
	memset(set->by_id, 0xff, sizeof(set->by_id));
	for (uint32_t i = 0; i < cfg->n_backends; i++) {
		struct lb_backend_config *b = &set->backends[i].cfg;

		/* Field by field: no stray bytes of the caller's padding or name tail. */
		b->id = cfg->backends[i].id;
		strcpy(b->name, cfg->backends[i].name);
		b->addr.family = cfg->backends[i].addr.family;
		b->addr.port = cfg->backends[i].addr.port;
		if (b->addr.family == AF_INET)
			memcpy(b->addr.v4, cfg->backends[i].addr.v4, sizeof(b->addr.v4));
		else
			memcpy(b->addr.v6, cfg->backends[i].addr.v6, sizeof(b->addr.v6));
		b->weight = cfg->backends[i].weight;
		b->admin = cfg->backends[i].admin;
		b->health = cfg->backends[i].health;
		set->by_id[b->id] = (uint16_t)i;
	}
	if (lb_maglev_fill(set) < 0) {
		free(set);
		fail(ENOMEM, err, cap, "out of memory filling a table of %" PRIu32 " slots", m);
		return NULL;
	}
	return set;
}

void lb_set_free(struct lb_set *set)
{
	free(set);
}

const struct lb_backend *lb_by_name(const struct lb_set *set, const char *name)
{
	if (!set || !name)
		return NULL;
	for (uint32_t i = 0; i < set->n_backends; i++)
		if (!strcmp(set->backends[i].cfg.name, name))
			return &set->backends[i];
	return NULL;
}
