/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing backend sets through liburcu QSBR: one writer publishes 10,000 sets while two readers
 * look up without pause. Readers check that generations only increase, that every set they see
 * is whole (its marker fields agree with each other and its table with its slot counts), and that
 * they end on the last generation. ASan catches a set freed too early; TSan a missing ordering.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <urcu-qsbr.h>

#include "lb.h"

/*
 * liburcu 0.13 is not built with ThreadSanitizer, which so cannot see that a quiescent state
 * ends a reader's use of a set. lb/publish.c acquires the slot's address before it frees a set;
 * readers release it before each quiescent state. Nothing in other builds.
 */
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#ifdef TEST_TSAN
#include <sanitizer/tsan_interface.h>
#define quiescent_state(slot)                                                                      \
	do {                                                                                       \
		__tsan_release(slot);                                                              \
		rcu_quiescent_state();                                                             \
	} while (0)
#else
#define quiescent_state(slot) rcu_quiescent_state()
#endif

#define N_SETS     10000
#define N_READERS  2
#define TABLE_SIZE 211
#define MAX_BE     8

static struct lb_slot slot;
/* 0 while publishing, then WRITER_OK or WRITER_FAILED. writer: __atomic store; readers: load */
static int writer_done;
#define WRITER_OK     1
#define WRITER_FAILED 2

/* How many backends set number `seq` has, and its backends' fields: all derived from seq. */
static uint32_t n_for(uint64_t seq)
{
	return 1 + (uint32_t)(seq % MAX_BE);
}

static void fill_backend(struct lb_backend_config *b, uint64_t seq, uint32_t j)
{
	memset(b, 0, sizeof(*b));
	b->id = (uint32_t)((seq + j) % LB_MAX_BACKENDS);
	snprintf(b->name, sizeof(b->name), "g%llu-b%u", (unsigned long long)seq, j);
	b->addr.family = AF_INET;
	b->addr.port = (uint16_t)(5060 + j);
	b->addr.v4[0] = 198;
	b->addr.v4[1] = 18;
	b->weight = 1 + (uint32_t)((seq * 31 + j) % 5);
	/* Every fourth set drains its first backend. */
	b->admin = (j == 0 && seq % 4 == 3) ? LB_ADMIN_DRAINING : LB_ADMIN_ENABLED;
}

static struct lb_set *build_seq(uint64_t seq)
{
	struct lb_backend_config bs[MAX_BE];
	struct lb_config cfg = {.table_size = TABLE_SIZE, .seed = seq};
	char err[256];
	struct lb_set *set;

	cfg.n_backends = n_for(seq);
	cfg.backends = bs;
	for (uint32_t j = 0; j < cfg.n_backends; j++)
		fill_backend(&bs[j], seq, j);
	set = lb_set_build(&cfg, err, sizeof(err));
	if (!set)
		fprintf(stderr, "lb_set_build(%llu): %s\n", (unsigned long long)seq, err);
	return set;
}

/*
 * Whether set is a whole set as the writer built it: the marker (seed = sequence number,
 * generation = sequence + 1) agrees with every backend's name, id and weight, and the table
 * agrees with the slot counts. Returns an error string or NULL.
 */
static const char *verify(const struct lb_set *set)
{
	uint32_t counted[MAX_BE] = {0}, total = 0;
	uint64_t seq = set->seed;
	char name[LB_NAME_MAX];

	if (set->generation != seq + 1)
		return "generation does not match the seed marker";
	if (set->n_backends != n_for(seq) || set->table_size != TABLE_SIZE)
		return "backend count or table size does not match the marker";
	for (uint32_t j = 0; j < set->n_backends; j++) {
		struct lb_backend_config want;

		fill_backend(&want, seq, j);
		snprintf(name, sizeof(name), "g%llu-b%u", (unsigned long long)seq, j);
		if (strcmp(set->backends[j].cfg.name, name) || set->backends[j].cfg.id != want.id ||
		    set->backends[j].cfg.weight != want.weight ||
		    set->backends[j].cfg.admin != want.admin)
			return "backend fields do not match the marker";
		if (lb_by_id(set, want.id) != &set->backends[j])
			return "by_id does not point at the backend";
		total += set->backends[j].slots;
	}
	for (uint32_t i = 0; i < set->table_size; i++) {
		if (set->table[i] >= set->n_backends)
			return "table entry out of range";
		counted[set->table[i]]++;
	}
	for (uint32_t j = 0; j < set->n_backends; j++)
		if (counted[j] != set->backends[j].slots)
			return "table does not match the slot counts";
	if (total != set->table_size)
		return "slot counts do not add up to the table size";
	return NULL;
}

struct reader {
	pthread_t thread;
	uint64_t last_generation;
	uint64_t sets_seen; /* distinct generations observed */
	uint64_t lookups;   /* loop turns */
	const char *error;  /* first problem found, or NULL */
	uint64_t error_gen;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t h = 0x1234;

	rcu_register_thread();
	for (;;) {
		const struct lb_set *set = lb_current(&slot);
		int done = __atomic_load_n(&writer_done, __ATOMIC_ACQUIRE);

		if (set) {
			if (set->generation < r->last_generation) {
				r->error = "generation went backwards";
				r->error_gen = set->generation;
				break;
			}
			if (set->generation > r->last_generation) {
				const char *e = verify(set);

				if (e) {
					r->error = e;
					r->error_gen = set->generation;
					break;
				}
				r->last_generation = set->generation;
				r->sets_seen++;
			}
			/* A lookup as a worker does one. */
			h = h * 6364136223846793005ull + 1442695040888963407ull;
			if (lb_pick(set, h) >= set->n_backends &&
			    !(set->n_active == 0 && lb_pick(set, h) == LB_NONE)) {
				r->error = "lb_pick out of range";
				break;
			}
		}
		r->lookups++;
		/* The set may be freed after this: no pointer into it survives the turn. */
		quiescent_state(&slot);
		/* Stop once the writer is done and its last set has been seen. */
		if ((done == WRITER_OK && r->last_generation == N_SETS) || done == WRITER_FAILED)
			break;
	}
	rcu_unregister_thread();
	return NULL;
}

struct writer {
	pthread_t thread;
	uint64_t published;
	int build_errno;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	rcu_register_thread();
	for (uint64_t seq = 0; seq < N_SETS; seq++) {
		struct lb_set *set = build_seq(seq);

		if (!set) {
			w->build_errno = errno;
			break;
		}
		lb_publish(&slot, set);
		w->published++;
		/* The writer is a QSBR thread too: without this no grace period ends. */
		rcu_quiescent_state();
	}
	__atomic_store_n(&writer_done, w->build_errno ? WRITER_FAILED : WRITER_OK,
	                 __ATOMIC_RELEASE);
	rcu_unregister_thread();
	return NULL;
}

static void test_publish_stress(void **state)
{
	struct reader readers[N_READERS];
	struct writer writer = {0};

	(void)state;
	memset(readers, 0, sizeof(readers));
	memset(&slot, 0, sizeof(slot));
	writer_done = 0;
	for (int i = 0; i < N_READERS; i++)
		assert_int_equal(pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]),
		                 0);
	assert_int_equal(pthread_create(&writer.thread, NULL, writer_main, &writer), 0);
	assert_int_equal(pthread_join(writer.thread, NULL), 0);
	for (int i = 0; i < N_READERS; i++)
		assert_int_equal(pthread_join(readers[i].thread, NULL), 0);

	assert_int_equal(writer.build_errno, 0);
	assert_int_equal(writer.published, N_SETS);
	assert_int_equal(slot.generation, N_SETS);
	for (int i = 0; i < N_READERS; i++) {
		if (readers[i].error)
			fail_msg("reader %d: %s (generation %llu)", i, readers[i].error,
			         (unsigned long long)readers[i].error_gen);
		assert_int_equal(readers[i].last_generation, N_SETS);
		assert_true(readers[i].sets_seen >= 1);
		print_message("reader %d: %llu lookups, %llu distinct sets seen, last generation "
		              "%llu\n",
		              i, (unsigned long long)readers[i].lookups,
		              (unsigned long long)readers[i].sets_seen,
		              (unsigned long long)readers[i].last_generation);
	}

	/* Retire the last set and wait for every reclamation: nothing may leak. */
	rcu_register_thread();
	lb_publish(&slot, NULL);
	assert_null(lb_current(&slot));
	assert_int_equal(slot.generation, N_SETS + 1);
	rcu_unregister_thread();
	rcu_barrier();
}

/* One thread: generations count up from 1, lb_current follows, NULL retires. */
static void test_publish_sequence(void **state)
{
	struct lb_slot s = {0};
	struct lb_set *a, *b;

	(void)state;
	rcu_register_thread();
	assert_null(lb_current(&s));
	a = build_seq(5);
	b = build_seq(6);
	assert_non_null(a);
	assert_non_null(b);
	lb_publish(&s, a);
	assert_ptr_equal(lb_current(&s), a);
	assert_int_equal(a->generation, 1);
	lb_publish(&s, b);
	assert_ptr_equal(lb_current(&s), b);
	assert_int_equal(b->generation, 2);
	assert_int_equal(s.generation, 2);
	rcu_quiescent_state(); /* a may go from here on */
	lb_publish(&s, NULL);
	assert_null(lb_current(&s));
	lb_publish(&s, NULL); /* nothing to retire: only the generation moves */
	assert_int_equal(s.generation, 4);
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
	rcu_unregister_thread();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish_sequence),
	    cmocka_unit_test(test_publish_stress),
	};

	return cmocka_run_group_tests_name("lb_rcu", tests, NULL, NULL);
}
