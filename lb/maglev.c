/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev table population.
 *
 * Classic Maglev (Eisenbud et al., NSDI 2016): each backend walks its own permutation of the
 * table, (offset + j * skip) mod M with M prime, and backends take turns claiming the next free
 * slot of their permutation until the table is full. Weights change only whose turn it is: turns
 * are handed out by stride scheduling, backend i taking its k-th turn (k = 0, 1, ...) at virtual
 * time (k + 1/2) / w_i, earliest first, ties broken by name. Every backend then owns within one
 * slot of M * w_i / W at the end, and removing a backend only deletes its own turns from the
 * sequence: the others keep their relative order, which is what keeps Maglev's disruption low.
 *
 * The times are compared exactly, (2k_a + 1) * w_b against (2k_b + 1) * w_a (< 2^41), so there
 * is no rounding and no floating point: the same backends give the same table everywhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb_private.h"

struct turn {
	const char *name;
	uint16_t index; /* into set->backends */
	uint32_t weight;
	uint32_t taken; /* turns taken so far (k) */
	uint32_t pos;   /* next slot of the permutation to try */
	uint32_t skip;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct turn *)a)->name, ((const struct turn *)b)->name);
}

/* Whether a's next turn comes before b's; a and b are ranks (positions in name order). */
static inline int earlier(const struct turn *t, uint32_t a, uint32_t b)
{
	uint64_t ta = (2 * (uint64_t)t[a].taken + 1) * t[b].weight;
	uint64_t tb = (2 * (uint64_t)t[b].taken + 1) * t[a].weight;

	return ta < tb || (ta == tb && a < b);
}

static void sift_down(const struct turn *t, uint32_t *heap, uint32_t n, uint32_t i)
{
	uint32_t top = heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && earlier(t, heap[c + 1], heap[c]))
			c++;
		if (!earlier(t, heap[c], top))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = top;
}

int lb_maglev_fill(struct lb_set *set)
{
	const uint32_t m = set->table_size;
	struct turn *t;
	uint32_t *heap;
	uint32_t n = 0;

	memset(set->table, 0xff, (size_t)m * sizeof(set->table[0])); /* LB_NONE everywhere */
	for (uint32_t i = 0; i < set->n_backends; i++)
		set->backends[i].slots = 0;
	set->n_active = 0;

	t = calloc(set->n_backends ? set->n_backends : 1, sizeof(*t));
	heap = calloc(set->n_backends ? set->n_backends : 1, sizeof(*heap));
	if (!t || !heap) {
		free(t);
		free(heap);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < set->n_backends; i++) {
		const struct lb_backend_config *b = &set->backends[i].cfg;
		uint64_t h;

		if (!lb_backend_active(b))
			continue;
		/* The permutation depends on the name and the seed only, never on config order. */
		h = lb_hash(b->name, strlen(b->name), set->seed);
		t[n] = (struct turn){
		    .name = b->name,
		    .index = (uint16_t)i,
		    .weight = b->weight,
		    .pos = (uint32_t)h % m,
		    .skip = (uint32_t)(h >> 32) % (m - 1) + 1,
		};
		n++;
	}
	qsort(t, n, sizeof(*t), by_name);
	/* All taken = 0: the earliest turn belongs to the heaviest; build the heap bottom-up. */
	for (uint32_t i = 0; i < n; i++)
		heap[i] = i;
	for (uint32_t i = n / 2; i-- > 0;)
		sift_down(t, heap, n, i);

	for (uint32_t filled = 0; n && filled < m; filled++) {
		struct turn *cur = &t[heap[0]];
		uint32_t pos = cur->pos;

		/* m is prime and 0 < skip < m: the walk visits every slot, so it meets a free one.
		 */
		while (set->table[pos] != LB_NONE) {
			pos += cur->skip;
			if (pos >= m)
				pos -= m;
		}
		set->table[pos] = cur->index;
		set->backends[cur->index].slots++;
		pos += cur->skip;
		cur->pos = pos >= m ? pos - m : pos;
		cur->taken++;
		sift_down(t, heap, n, 0);
	}
	for (uint32_t i = 0; i < n; i++)
		set->n_active += t[i].taken > 0;
	free(t);
	free(heap);
	return 0;
}
