/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench lb: weighted Maglev against the modulo peer (hash % n), in the same run.
 *
 *   pick_ns       ns per backend choice, hashing a 40-byte Call-ID included
 *   build_ms      ms to validate and fill a default-size (65537) table for 10, 100, 1000 backends
 *   imbalance_pct worst |slots - ideal| / ideal over 100 equal backends, in percent
 *   disruption    % of all keys whose backend changes when one of n backends is removed or
 *                 one added, next to the ideal (the keys that had to move)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"
#include "lb.h"

#define CALL_ID_LEN 40
#define N_CALL_IDS  4096 /* a power of two: the key loop masks */
#define SEED        0x5eedull

struct lb_disruption {
	uint32_t n;
	int added; /* 0: one removed, 1: one added */
	double moved_pct;
	double ideal_pct;
	double modulo_pct;
};

struct lb_results {
	double pick_ns, modulo_pick_ns, hash_ns;
	double build_ms[3];
	double imbalance_pct, imbalance_keys_pp;
	struct lb_disruption disruption[6];
	uint64_t sink;
};

static const uint32_t build_sizes[3] = {10, 100, 1000};
static volatile uint64_t bench_lb_sink;

static void usage(FILE *out)
{
	fprintf(out, "usage: sipsteer-bench lb [--json] [--picks N]\n\n"
	             "  --json      one JSON object on stdout\n"
	             "  --picks N   backend choices timed for pick_ns (default 20000000, at least "
	             "1000)\n"
	             "  --help      this text\n");
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static struct lb_backend_config *make_backends(uint32_t n)
{
	struct lb_backend_config *bs = calloc(n, sizeof(*bs));

	if (!bs)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		bs[i].id = i;
		snprintf(bs[i].name, sizeof(bs[i].name), "be%u", i);
		bs[i].addr.family = AF_INET;
		bs[i].addr.port = 5060;
		bs[i].addr.v4[0] = 198;
		bs[i].addr.v4[1] = 18;
		bs[i].addr.v4[2] = (uint8_t)(i >> 8);
		bs[i].addr.v4[3] = (uint8_t)i;
		bs[i].weight = 1;
	}
	return bs;
}

static struct lb_set *build(struct lb_backend_config *bs, uint32_t n)
{
	struct lb_config cfg = {.seed = SEED, .n_backends = n, .backends = bs};
	char err[256];
	struct lb_set *set = lb_set_build(&cfg, err, sizeof(err));

	if (!set)
		fprintf(stderr, "sipsteer-bench lb: %s\n", err);
	return set;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int measure_pick(struct lb_results *r, uint64_t picks)
{
	static char ids[N_CALL_IDS][CALL_ID_LEN];
	struct lb_backend_config *bs = make_backends(100);
	struct lb_set *set = bs ? build(bs, 100) : NULL;
	uint64_t s = 1, sink = 0, t0;

	if (!set) {
		free(bs);
		return -1;
	}
	for (int i = 0; i < N_CALL_IDS; i++) {
		for (int j = 0; j < CALL_ID_LEN; j++)
			ids[i][j] = (char)('a' + splitmix(&s) % 26);
		memcpy(ids[i] + CALL_ID_LEN - 9, "@pbx.test", 9);
	}
	/* Hash only, Maglev pick, modulo pick: each over the same keys. */
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < picks; i++)
		sink += lb_hash(ids[i & (N_CALL_IDS - 1)], CALL_ID_LEN, SEED + i);
	r->hash_ns = (double)(bench_now_ns() - t0) / (double)picks;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < picks; i++)
		sink += lb_pick(set, lb_hash(ids[i & (N_CALL_IDS - 1)], CALL_ID_LEN, set->seed));
	r->pick_ns = (double)(bench_now_ns() - t0) / (double)picks;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < picks; i++)
		sink +=
		    lb_hash(ids[i & (N_CALL_IDS - 1)], CALL_ID_LEN, set->seed) % set->n_backends;
	r->modulo_pick_ns = (double)(bench_now_ns() - t0) / (double)picks;
	r->sink += sink;
	lb_set_free(set);
	free(bs);
	return 0;
}

static int measure_build(struct lb_results *r)
{
	enum { REPS = 9 };

	for (int k = 0; k < 3; k++) {
		struct lb_backend_config *bs = make_backends(build_sizes[k]);
		double ms[REPS];

		if (!bs)
			return -1;
		for (int rep = 0; rep < REPS; rep++) {
			uint64_t t0 = bench_now_ns();
			struct lb_set *set = build(bs, build_sizes[k]);

			ms[rep] = (double)(bench_now_ns() - t0) / 1e6;
			if (!set) {
				free(bs);
				return -1;
			}
			r->sink += set->table[0];
			lb_set_free(set);
		}
		qsort(ms, REPS, sizeof(ms[0]), cmp_double);
		r->build_ms[k] = ms[REPS / 2]; /* median */
		free(bs);
	}
	return 0;
}

static int measure_imbalance(struct lb_results *r)
{
	struct lb_backend_config *bs = make_backends(100);
	struct lb_set *set = bs ? build(bs, 100) : NULL;
	uint32_t hits[100] = {0};
	uint64_t s = 2;

	if (!set) {
		free(bs);
		return -1;
	}
	for (uint32_t i = 0; i < 100; i++) {
		double ideal = set->table_size / 100.0;
		double dev = set->backends[i].slots - ideal;

		dev = dev < 0 ? -dev : dev;
		if (100 * dev / ideal > r->imbalance_pct)
			r->imbalance_pct = 100 * dev / ideal;
	}
	for (int k = 0; k < 1000000; k++) {
		uint64_t key[5] = {splitmix(&s), splitmix(&s), splitmix(&s), splitmix(&s), k};

		hits[lb_pick(set, lb_hash(key, CALL_ID_LEN, set->seed))]++;
	}
	for (int i = 0; i < 100; i++) {
		double dev = hits[i] / 1e4 - 1.0; /* percent of 1M keys against 1% */

		dev = dev < 0 ? -dev : dev;
		if (dev > r->imbalance_keys_pp)
			r->imbalance_keys_pp = dev;
	}
	lb_set_free(set);
	free(bs);
	return 0;
}

/* Percent of all slots whose backend id differs between a and b. */
static double moved(const struct lb_set *a, const struct lb_set *b)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < a->table_size; i++)
		n += a->backends[a->table[i]].cfg.id != b->backends[b->table[i]].cfg.id;
	return 100.0 * n / a->table_size;
}

/* The same for the modulo peer, over the table's slots as the key space. */
static double moved_modulo(uint32_t n_before, uint32_t n_after, int added, uint32_t m)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < m; i++) {
		uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull;
		uint32_t before = (uint32_t)(h % n_before), after = (uint32_t)(h % n_after);

		/* Removal takes out the last backend: ids above it do not shift. */
		n += added ? before != after : before != after || before == n_before - 1;
	}
	return 100.0 * n / m;
}

static int measure_disruption(struct lb_results *r)
{
	static const uint32_t ns[3] = {3, 10, 100};

	for (int k = 0; k < 3; k++) {
		uint32_t n = ns[k];
		struct lb_backend_config *bs = make_backends(n + 1);
		struct lb_set *full, *less, *more;

		if (!bs)
			return -1;
		full = build(bs, n);
		less = build(bs + 1, n - 1); /* be0 removed */
		more = build(bs, n + 1);     /* be<n> added */
		if (full && less && more) {
			r->disruption[2 * k] = (struct lb_disruption){
			    n, 0, moved(full, less),
			    100.0 * full->backends[0].slots / full->table_size,
			    moved_modulo(n, n - 1, 0, full->table_size)};
			r->disruption[2 * k + 1] =
			    (struct lb_disruption){n, 1, moved(full, more), 100.0 / (n + 1),
			                           moved_modulo(n, n + 1, 1, full->table_size)};
		}
		lb_set_free(full);
		lb_set_free(less);
		lb_set_free(more);
		free(bs);
		if (!full || !less || !more)
			return -1;
	}
	return 0;
}

static void print_json(const struct lb_results *r)
{
	printf("{\"bench\":\"lb\",\"pick_ns\":%.2f,\"build_ms\":{", r->pick_ns);
	for (int k = 0; k < 3; k++)
		printf("%s\"%u\":%.3f", k ? "," : "", build_sizes[k], r->build_ms[k]);
	printf("},\"imbalance_pct\":%.4f,\"imbalance_keys_pp\":%.4f,\"disruption\":[",
	       r->imbalance_pct, r->imbalance_keys_pp);
	for (int k = 0; k < 6; k++) {
		const struct lb_disruption *d = &r->disruption[k];

		printf("%s{\"n\":%u,\"%s\":1,\"moved_pct\":%.3f,\"ideal_pct\":%.3f}", k ? "," : "",
		       d->n, d->added ? "added" : "removed", d->moved_pct, d->ideal_pct);
	}
	printf("],\"hash_ns\":%.2f,\"peer\":{\"name\":\"modulo\",\"pick_ns\":%.2f,\"disruption\":[",
	       r->hash_ns, r->modulo_pick_ns);
	for (int k = 0; k < 6; k++)
		printf("%s{\"n\":%u,\"%s\":1,\"moved_pct\":%.3f}", k ? "," : "", r->disruption[k].n,
		       r->disruption[k].added ? "added" : "removed", r->disruption[k].modulo_pct);
	printf("]}}\n");
}

static void print_table(const struct lb_results *r)
{
	printf("sipsteer-bench lb: weighted Maglev, table %u, against modulo (hash %% n)\n\n",
	       LB_DEFAULT_TABLE);
	printf("  pick, 40-byte Call-ID hashed   %8.2f ns   (modulo %.2f ns, hash alone %.2f ns)\n",
	       r->pick_ns, r->modulo_pick_ns, r->hash_ns);
	for (int k = 0; k < 3; k++)
		printf("  build, %4u backends           %8.3f ms\n", build_sizes[k],
		       r->build_ms[k]);
	printf("  imbalance, 100 equal backends  %8.4f %% of ideal slots, keys off by %.4f "
	       "points\n\n",
	       r->imbalance_pct, r->imbalance_keys_pp);
	printf("  %-14s %10s %10s %10s\n", "disruption", "moved %", "ideal %", "modulo %");
	for (int k = 0; k < 6; k++) {
		const struct lb_disruption *d = &r->disruption[k];
		char what[32];

		snprintf(what, sizeof(what), "n=%u %s 1", d->n, d->added ? "add" : "remove");
		printf("  %-14s %10.3f %10.3f %10.3f\n", what, d->moved_pct, d->ideal_pct,
		       d->modulo_pct);
	}
}

int bench_lb_main(int argc, char **argv)
{
	struct lb_results r;
	uint64_t picks = 20000000;
	int json = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--picks")) {
			char *end;

			if (i + 1 == argc) {
				fprintf(stderr, "sipsteer-bench lb: --picks needs a number\n");
				return 2;
			}
			errno = 0;
			picks = strtoull(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || argv[i][0] == '-' || picks < 1000) {
				fprintf(stderr,
				        "sipsteer-bench lb: --picks '%s': want a number "
				        "of at least 1000\n",
				        argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "sipsteer-bench lb: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	memset(&r, 0, sizeof(r));
	if (measure_pick(&r, picks) < 0 || measure_build(&r) < 0 || measure_imbalance(&r) < 0 ||
	    measure_disruption(&r) < 0)
		return 1;
	if (json)
		print_json(&r);
	else
		print_table(&r);
	bench_lb_sink = r.sink; /* keeps the measured loops from being optimised away */
	return 0;
}
