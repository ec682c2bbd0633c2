/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev table population.
 *
 * Classic Maglev (Eisenbud et al., NSDI 2016): each backend walks its own permutation of the
 * table, (offset + j * skip) mod M with M prime, and backends take turns claiming the next free
 * slot of their permutation until the table is full. Weights change only whose turn it is: turns
 * are handed out by stride scheduling, backend i taking its k-th turn (k = 0, 1, ...) at virtual
 * time (k + 1/2) / w_i, earliest first. Every backend then owns within about one slot of
 * M * w_i / W at the end, and removing a backend only deletes its own turns from the sequence:
 * the others keep their relative order, which is what keeps Maglev's disruption low.
 *
 * Backends of equal weight have their turns at the same times, so they are scheduled as one
 * class: a heap orders the classes, and a class's turn is one turn of each member in name order.
 * Times are compared exactly, (2k_a + 1) * w_b against (2k_b + 1) * w_a (< 2^41), with equal
 * times going to the heavier class: no rounding, no floating point, and nothing that depends on
 * config order, so the same backends give the same slot owners everywhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_private.h"

struct turn {
	const char *name;
	uint16_t index; /* into set->backends */
	uint32_t weight;
	uint32_t pos; /* next slot of the permutation to try */
	uint32_t skip;
	uint32_t skip_inverse; /* skip^-1 mod M, for the tail */
};

/*
 * The last few free slots. Walking a permutation costs about M / free probes, so once fewer than
 * sqrt(M / 2) slots are free it is cheaper to look at each free slot f and count how many steps
 * the backend still needs to reach it, ((f - pos) * skip^-1) mod M, and take the nearest: the
 * slot the walk would have found, with far fewer memory probes.
 */
struct tail {
	uint32_t *free_slots; /* any order */
	uint32_t n_free;
	uint32_t cap;     /* switch to the tail when this many slots are left */
	uint64_t barrett; /* floor(2^64 / M) */
};

/* Backends of one weight: members [first, first + count) of the turn array, in name order. */
struct class
{
	uint32_t weight;
	uint32_t taken; /* turns each member has taken (k) */
	uint32_t first;
	uint32_t count;
};

/* Heavier first, then by name: classes come out contiguous, members in name order. */
static int by_weight_name(const void *a, const void *b)
{
	const struct turn *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Whether class a's next turn comes before class b's (a, b index the class array). */
static inline bool earlier(const struct class *c, uint32_t a, uint32_t b)
{
	uint64_t ta = (2 * (uint64_t)c[a].taken + 1) * c[b].weight;
	uint64_t tb = (2 * (uint64_t)c[b].taken + 1) * c[a].weight;

	return ta < tb || (ta == tb && a < b);
}

static void sift_down(const struct class *c, uint32_t *heap, uint32_t n, uint32_t i)
{
	uint32_t top = heap[i];

	for (;;) {
		uint32_t ch = 2 * i + 1;

		if (ch >= n)
			break;
		if (ch + 1 < n && earlier(c, heap[ch + 1], heap[ch]))
			ch++;
		if (!earlier(c, heap[ch], top))
			break;
		heap[i] = heap[ch];
		i = ch;
	}
	heap[i] = top;
}

/*
 * One turn of t: claim the next free slot of its permutation. `used` mirrors the table as one
 * bit per slot (8 KiB for 65537 slots) so that the walk stays in L1.
 */
static inline void take_turn(struct lb_set *set, uint64_t *used, struct turn *t)
{
	const uint32_t m = set->table_size;
	uint32_t pos = t->pos;

	/* m is prime and 0 < skip < m: the walk visits every slot, so it meets a free one. */
	while (used[pos >> 6] & (1ull << (pos & 63))) {
		pos += t->skip;
		pos -= pos >= m ? m : 0;
	}
	used[pos >> 6] |= 1ull << (pos & 63);
	set->table[pos] = t->index;
	set->backends[t->index].slots++;
	pos += t->skip;
	t->pos = pos >= m ? pos - m : pos;
}

/* a^-1 mod m for a prime m and 0 < a < m (extended Euclid). */
static uint32_t mod_inverse(uint32_t a, uint32_t m)
{
	int64_t t0 = 0, t1 = 1, r0 = m, r1 = a;

	while (r1) {
		int64_t q = r0 / r1, t2 = t0 - q * t1, r2 = r0 - q * r1;

		t0 = t1;
		t1 = t2;
		r0 = r1;
		r1 = r2;
	}
	return (uint32_t)(t0 < 0 ? t0 + m : t0);
}

/* (a * b) mod m for a, b < m < 2^24, by Barrett reduction (no division). */
static inline uint32_t mul_mod(uint32_t a, uint32_t b, uint32_t m, uint64_t barrett)
{
	uint64_t x = (uint64_t)a * b;
	uint64_t q = (uint64_t)(((__uint128_t)x * barrett) >> 64);
	uint64_t r = x - q * m; /* q is floor(x / m) or one less */

	return (uint32_t)(r >= m ? r - m : r);
}

/* Collect the free slots and every backend's inverse step. */
static void tail_start(struct tail *tl, const uint64_t *used, struct turn *t, uint32_t n,
                       uint32_t m)
{
	for (uint32_t i = 0; i < n; i++)
		t[i].skip_inverse = mod_inverse(t[i].skip, m);
	for (uint32_t w = 0; w <= (m - 1) / 64; w++)
		for (uint64_t bits = ~used[w]; bits; bits &= bits - 1) {
			uint32_t f = w * 64 + (uint32_t)__builtin_ctzll(bits);

			if (f < m)
				tl->free_slots[tl->n_free++] = f;
		}
}

/* One turn of t in the tail: the free slot fewest steps ahead on its permutation. */
static void take_turn_tail(struct lb_set *set, struct tail *tl, struct turn *t)
{
	const uint32_t m = set->table_size;
	uint32_t best = UINT32_MAX, at = 0, f;

	for (uint32_t k = 0; k < tl->n_free; k++) {
		uint32_t d = tl->free_slots[k] >= t->pos ? tl->free_slots[k] - t->pos
		                                         : tl->free_slots[k] + m - t->pos;

		d = mul_mod(d, t->skip_inverse, m, tl->barrett);
		if (d < best) {
			best = d;
			at = k;
		}
	}
	f = tl->free_slots[at];
	tl->free_slots[at] = tl->free_slots[--tl->n_free];
	set->table[f] = t->index;
	set->backends[t->index].slots++;
	f += t->skip;
	t->pos = f >= m ? f - m : f;
}

int lb_maglev_fill(struct lb_set *set)
{
	const uint32_t m = set->table_size;
	const uint32_t cap = set->n_backends ? set->n_backends : 1;
	struct turn *t = calloc(cap, sizeof(*t));
	struct class *c = calloc(cap, sizeof(*c));
	uint32_t *heap = calloc(cap, sizeof(*heap));
	uint64_t *used = calloc(m / 64 + 1, sizeof(*used));
	struct tail tl = {.barrett = UINT64_MAX / m};
	uint32_t n = 0, n_classes = 0, filled = 0;
	int rc = 0;

	while ((tl.cap + 1) * (tl.cap + 1) <= m / 2)
		tl.cap++;
	tl.free_slots = calloc(tl.cap + 1, sizeof(*tl.free_slots));

	memset(set->table, 0xff, (size_t)m * sizeof(set->table[0])); /* LB_NONE everywhere */
	set->n_active = 0;
	if (!t || !c || !heap || !used || !tl.free_slots) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < set->n_backends; i++) {
		const struct lb_backend_config *b = &set->backends[i].cfg;
		uint64_t h;

		set->backends[i].slots = 0;
		if (!lb_backend_active(b))
			continue;
		/* The permutation depends on the name and the seed only, never on config order. */
		h = lb_hash(b->name, strlen(b->name), set->seed);
		t[n++] = (struct turn){
		    .name = b->name,
		    .index = (uint16_t)i,
		    .weight = b->weight,
		    .pos = (uint32_t)(h % m),
		    .skip = (uint32_t)((h >> 32) % (m - 1)) + 1,
		};
	}
	qsort(t, n, sizeof(*t), by_weight_name);
	for (uint32_t i = 0; i < n; i++) {
		if (!n_classes || c[n_classes - 1].weight != t[i].weight)
			c[n_classes++] = (struct class){.weight = t[i].weight, .first = i};
		c[n_classes - 1].count++;
	}
	/* All taken = 0: class order is weight order, already a valid heap. */
	for (uint32_t i = 0; i < n_classes; i++)
		heap[i] = i;

	while (n_classes && filled < m) {
		struct class *cur = &c[heap[0]];

		for (uint32_t j = 0; j < cur->count && filled < m; j++, filled++) {
			if (m - filled > tl.cap) {
				take_turn(set, used, &t[cur->first + j]);
				continue;
			}
			if (m - filled == tl.cap)
				tail_start(&tl, used, t, n, m);
			take_turn_tail(set, &tl, &t[cur->first + j]);
		}
		cur->taken++;
		sift_down(c, heap, n_classes, 0);
	}
	set->n_active = 0;
	for (uint32_t i = 0; i < n; i++)
		set->n_active += set->backends[t[i].index].slots > 0;
out:
	free(t);
	free(c);
	free(heap);
	free(used);
	free(tl.free_slots);
	return rc;
}
