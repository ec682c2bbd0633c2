/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running state: every operation, every error (with its message), failures that leave the
 * state untouched, reloads and their report, and the written configuration loading back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "state.h"

#define HEAD                                                                                       \
	"ports:\n  - name: lan0\n    device: net_tap0\n"                                           \
	"listen:\n  ipv4: 198.18.0.10/24\n"
#define THREE                                                                                      \
	"backends:\n"                                                                              \
	"  - name: be1\n    address: 198.18.0.21\n"                                                \
	"  - name: be2\n    address: 198.18.0.22:5070\n    weight: 2\n"                            \
	"  - name: be3\n    address: 198.18.0.23\n    state: disabled\n"

static void load(const char *text, struct ctl_config *cfg)
{
	char err[512];
	int rc = ctl_config_parse("t.yaml", text, strlen(text), cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("config does not load: %s", err);
}

static void state_from(const char *text, struct ctl_state *st)
{
	struct ctl_config cfg;
	char err[256];

	load(text, &cfg);
	assert_int_equal(ctl_state_init(st, &cfg, err, sizeof(err)), 0);
	assert_null(cfg.backends); /* taken over */
}

/* Deep equality of two states, including the file states and the generation. */
static void assert_same_state(const struct ctl_state *a, const struct ctl_state *b)
{
	assert_true(ctl_config_equal(&a->cfg, &b->cfg));
	assert_int_equal(a->generation, b->generation);
	if (a->cfg.n_backends > 0)
		assert_memory_equal(a->file_admin, b->file_admin,
		                    a->cfg.n_backends * sizeof(a->file_admin[0]));
}

static bool report_has(char **lines, size_t n, const char *part)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], part) != NULL)
			return true;
	return false;
}

/* --- init, copy, lookups --- */

static void test_init(void **unused)
{
	struct ctl_state st;

	state_from(HEAD THREE, &st);
	assert_int_equal(st.cfg.n_backends, 3);
	assert_int_equal(st.generation, 1);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(st.cfg.backends[i].id, i);
	assert_int_equal(st.file_admin[2], LB_ADMIN_DISABLED);
	assert_string_equal(ctl_state_find(&st, "be2")->name, "be2");
	assert_int_equal(ctl_state_find(&st, "be2")->addr.port, 5070);
	assert_null(ctl_state_find(&st, "be4"));
	assert_string_equal(ctl_state_find_id(&st, 2)->name, "be3");
	assert_null(ctl_state_find_id(&st, 3));
	ctl_state_free(&st);
	ctl_state_free(NULL);
}

static void test_copy_swap(void **unused)
{
	struct ctl_state st, copy, other;

	state_from(HEAD "eal: [\"--no-huge\", \"-m64\"]\n" THREE, &st);
	assert_int_equal(ctl_state_copy(&copy, &st), 0);
	assert_same_state(&st, &copy);
	assert_ptr_not_equal(copy.cfg.backends, st.cfg.backends);
	assert_ptr_not_equal(copy.cfg.eal_args[0], st.cfg.eal_args[0]);
	assert_int_equal(ctl_state_backend_weight(&copy, "be1", 9, NULL, 0), 0);
	assert_int_equal(st.cfg.backends[0].weight, 1);

	state_from(HEAD "backends: []\n", &other);
	ctl_state_free(&copy);
	ctl_state_swap(&st, &other);
	assert_int_equal(st.cfg.n_backends, 0);
	assert_int_equal(other.cfg.n_backends, 3);
	ctl_state_free(&st);
	ctl_state_free(&other);
}

/* --- add --- */

static void test_add(void **unused)
{
	struct ctl_state st;
	char err[256];
	uint32_t id = 99;

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_backend_add(&st, "be4", "198.18.0.24", CTL_DEFAULT_WEIGHT, &id,
	                                       err, sizeof(err)),
	                 0);
	assert_int_equal(id, 3);
	assert_int_equal(st.generation, 2);
	const struct lb_backend_config *be = ctl_state_find(&st, "be4");
	assert_non_null(be);
	assert_int_equal(be->addr.port, 5060);
	assert_int_equal(be->weight, 1);
	assert_int_equal(be->admin, LB_ADMIN_ENABLED);
	assert_int_equal(be->health, LB_HEALTH_UNKNOWN);

	/* A removed id is reused: the lowest unused one, kept in id order. */
	assert_int_equal(ctl_state_backend_remove(&st, "be2", err, sizeof(err)), 0);
	assert_int_equal(ctl_state_backend_remove(&st, "be1", err, sizeof(err)), 0);
	assert_int_equal(
	    ctl_state_backend_add(&st, "be5", "198.18.0.25:5080", 0, &id, err, sizeof(err)), 0);
	assert_int_equal(id, 0);
	assert_int_equal(
	    ctl_state_backend_add(&st, "be6", "198.18.0.22:5070", 65535, &id, err, sizeof(err)), 0);
	assert_int_equal(id, 1);
	assert_int_equal(
	    ctl_state_backend_add(&st, "be7", "198.18.0.27", 3, NULL, err, sizeof(err)), 0);
	assert_int_equal(ctl_state_find(&st, "be7")->id, 4);
	for (uint32_t i = 0; i < st.cfg.n_backends; i++)
		assert_int_equal(st.cfg.backends[i].id, i);
	assert_int_equal(st.cfg.backends[0].weight, 0);
	ctl_state_free(&st);
}

static void test_add_ipv6(void **unused)
{
	struct ctl_state st;
	char err[256];

	state_from(HEAD "  ipv6: 2001:db8::10/64\nbackends: []\n", &st);
	assert_int_equal(
	    ctl_state_backend_add(&st, "v6a", "[2001:db8::21]:5062", 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(ctl_state_find(&st, "v6a")->addr.port, 5062);
	assert_int_equal(
	    ctl_state_backend_add(&st, "v6b", "2001:db8::22", 1, NULL, err, sizeof(err)), 0);
	assert_int_equal(ctl_state_find(&st, "v6b")->addr.port, 5060);
	assert_int_equal(
	    ctl_state_backend_add(&st, "v6c", "[2001:db8::22]", 1, NULL, err, sizeof(err)),
	    -EEXIST);
	assert_string_equal(err, "address [2001:db8::22]:5060 already used by backend 'v6b'");
	ctl_state_free(&st);
}

struct add_case {
	const char *name, *address;
	int64_t weight;
	int rc;
	const char *msg;
};

static const struct add_case add_cases[] = {
    {"", "198.18.0.30", 1, -EINVAL, "name is empty: use 1 to 63 of A-Z a-z 0-9 . _ -"},
    {NULL, "198.18.0.30", 1, -EINVAL, "name is empty"},
    {"be 9", "198.18.0.30", 1, -EINVAL,
     "name 'be 9' is not valid: use 1 to 63 of A-Z a-z 0-9 . _ -"},
    {"be/9", "198.18.0.30", 1, -EINVAL, "name 'be/9' is not valid"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "198.18.0.30", 1, -EINVAL,
     "is longer than 63 characters"},
    {"be1", "198.18.0.30", 1, -EEXIST, "backend 'be1' already exists"},
    {"be9", "", 1, -EINVAL, "address is empty"},
    {"be9", NULL, 1, -EINVAL, "address is empty"},
    {"be9", "host.example", 1, -EINVAL,
     "address 'host.example' is not valid: use IPv4[:PORT], [IPv6][:PORT] or an IPv6 address"},
    {"be9", "198.18.0.300", 1, -EINVAL, "address '198.18.0.300' is not valid"},
    {"be9", "198.18.0.30:", 1, -EINVAL,
     "address '198.18.0.30:': port '' is not a number from 1 to 65535"},
    {"be9", "198.18.0.30:50x", 1, -EINVAL, "port '50x' is not a number from 1 to 65535"},
    {"be9", "198.18.0.30:0", 1, -EINVAL, "address '198.18.0.30:0': port 0 is out of range"},
    {"be9", "198.18.0.30:70000", 1, -EINVAL, "port 70000 is out of range 1..65535"},
    {"be9", "198.18.0.30:123456", 1, -EINVAL, "port '123456' is not a number"},
    {"be9", "[2001:db8::30]:0", 1, -EINVAL, "port 0 is out of range"},
    {"be9", "[2001:db8::30", 1, -EINVAL, "address '[2001:db8::30' is not valid"},
    {"be9", "0.0.0.0", 1, -EINVAL, "address '0.0.0.0' is the unspecified address"},
    {"be9", "255.255.255.255", 1, -EINVAL, "is the broadcast address"},
    {"be9", "224.0.0.1:5060", 1, -EINVAL, "address '224.0.0.1:5060' is a multicast address"},
    {"be9", "[ff02::1]", 1, -EINVAL, "is a multicast address"},
    {"be9", "127.0.0.1", 1, -EINVAL, "address '127.0.0.1' is a loopback address"},
    {"be9", "198.18.0.10:5060", 1, -EINVAL, "is the VIP itself (listen.ipv4)"},
    {"be9", "198.18.0.0", 1, -EINVAL, "is the network address of listen.ipv4's prefix (/24)"},
    {"be9", "198.18.0.255", 1, -EINVAL, "is the broadcast address of listen.ipv4's prefix"},
    {"be9", "10.1.1.1", 1, -EINVAL,
     "address '10.1.1.1' is off listen.ipv4's link (/24) and no listen.gateway4 is set to "
     "reach it"},
    {"be9", "::", 1, -EINVAL, "address '::' is the unspecified address"},
    {"be9", "2001:db8::30", 1, -EINVAL,
     "address [2001:db8::30]:5060 is IPv6 but the daemon has no listen.ipv6 address to send "
     "from"},
    {"be9", "198.18.0.21:5060", 1, -EEXIST,
     "address 198.18.0.21:5060 already used by backend 'be1'"},
    {"be9", "198.18.0.22:5070", 1, -EEXIST, "already used by backend 'be2'"},
    {"be9", "198.18.0.30", -1, -EINVAL, "weight -1 is below 0"},
    {"be9", "198.18.0.30", 70000, -EINVAL, "weight 70000 is above 65535"},
    {"be9", "198.18.0.30", INT64_MAX, -EINVAL, "weight 9223372036854775807 is above 65535"},
};

static void test_add_errors(void **unused)
{
	struct ctl_state st, before;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	for (size_t i = 0; i < sizeof(add_cases) / sizeof(add_cases[0]); i++) {
		const struct add_case *c = &add_cases[i];
		uint32_t id = 1234;
		err[0] = '\0';
		int rc = ctl_state_backend_add(&st, c->name, c->address, c->weight, &id, err,
		                               sizeof(err));
		if (rc != c->rc || strstr(err, c->msg) == NULL)
			fail_msg("case %zu (%s, %s): rc %d '%s', expected %d '%s'", i,
			         c->name ? c->name : "NULL", c->address ? c->address : "NULL", rc,
			         err, c->rc, c->msg);
		assert_int_equal(id, 1234);
		assert_same_state(&st, &before);
	}
	/* No message buffer: the code alone. */
	assert_int_equal(ctl_state_backend_add(&st, "be1", "198.18.0.30", 1, NULL, NULL, 0),
	                 -EEXIST);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

/* The table must stay larger than the number of backends. */
static void test_add_table_full(void **unused)
{
	struct ctl_state st, before;
	char err[256], name[16], addr[32];
	uint32_t n;

	/* off-link backends, through the gateway */
	state_from(HEAD "  gateway4: 198.18.0.1\n  ipv6: 2001:db8::10/64\nbackends: []\nhashing:\n"
	                "  table_size: 1021\n",
	           &st);
	for (n = 0; n < 1020; n++) {
		snprintf(name, sizeof(name), "b%u", n);
		snprintf(addr, sizeof(addr), "10.0.%u.%u", n / 250, n % 250 + 1);
		assert_int_equal(ctl_state_backend_add(&st, name, addr, 1, NULL, err, sizeof(err)),
		                 0);
	}
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	assert_int_equal(
	    ctl_state_backend_add(&st, "one-more", "[2001:db8::99]", 1, NULL, err, sizeof(err)),
	    -E2BIG);
	assert_string_equal(err, "backend 'one-more': 1021 backends would not fit "
	                         "hashing.table_size 1021 (it must be larger than the number of "
	                         "backends; reload with a larger one)");
	assert_same_state(&st, &before);

	/* The set the state describes builds. */
	struct lb_config lbc;
	ctl_state_lb(&st, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(set->n_backends, 1020);
	lb_set_free(set);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

/* --- remove, weight, admin, health --- */

static void test_remove(void **unused)
{
	struct ctl_state st, before;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	assert_int_equal(ctl_state_backend_remove(&st, "be9", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "backend 'be9' does not exist");
	assert_int_equal(ctl_state_backend_remove(&st, NULL, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "backend '' does not exist");
	assert_same_state(&st, &before);

	assert_int_equal(ctl_state_backend_remove(&st, "be2", err, sizeof(err)), 0);
	assert_int_equal(st.cfg.n_backends, 2);
	assert_int_equal(st.generation, 2);
	assert_string_equal(st.cfg.backends[1].name, "be3");
	assert_int_equal(st.cfg.backends[1].id, 2); /* ids stay */
	assert_int_equal(st.file_admin[1], LB_ADMIN_DISABLED);
	assert_int_equal(ctl_state_backend_remove(&st, "be1", err, sizeof(err)), 0);
	assert_int_equal(ctl_state_backend_remove(&st, "be3", err, sizeof(err)), 0);
	assert_int_equal(st.cfg.n_backends, 0);
	assert_null(st.cfg.backends);
	assert_int_equal(ctl_state_backend_remove(&st, "be3", err, sizeof(err)), -ENOENT);
	/* An empty state still builds (every request gets a 503). */
	struct lb_config lbc;
	ctl_state_lb(&st, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(set->n_active, 0);
	lb_set_free(set);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

static void test_weight(void **unused)
{
	struct ctl_state st, before;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	assert_int_equal(ctl_state_backend_weight(&st, "be9", 5, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "backend 'be9' does not exist");
	assert_int_equal(ctl_state_backend_weight(&st, "be1", 70000, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "weight 70000 is above 65535");
	assert_int_equal(ctl_state_backend_weight(&st, "be1", -5, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "weight -5 is below 0");
	assert_same_state(&st, &before);
	assert_int_equal(ctl_state_backend_weight(&st, "be1", 1, err, sizeof(err)), 0);
	assert_int_equal(st.generation, 1); /* same weight: nothing changed */
	assert_int_equal(ctl_state_backend_weight(&st, "be1", 0, err, sizeof(err)), 0);
	assert_int_equal(st.cfg.backends[0].weight, 0);
	assert_int_equal(st.generation, 2);
	assert_int_equal(ctl_state_backend_weight(&st, "be1", 65535, err, sizeof(err)), 0);
	assert_int_equal(st.cfg.backends[0].weight, 65535);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

static void test_admin(void **unused)
{
	struct ctl_state st, before;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	assert_int_equal(ctl_state_backend_admin(&st, "nope", LB_ADMIN_DRAINING, err, sizeof(err)),
	                 -ENOENT);
	assert_string_equal(err, "backend 'nope' does not exist");
	assert_int_equal(ctl_state_backend_admin(&st, "be1", LB_ADMIN_COUNT, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "backend 'be1': admin state 3 is not one of enabled, draining, "
	                         "disabled");
	assert_int_equal(ctl_state_backend_admin(&st, "be1", (enum lb_admin) - 1, err, sizeof(err)),
	                 -EINVAL);
	assert_same_state(&st, &before);

	assert_int_equal(ctl_state_backend_admin(&st, "be1", LB_ADMIN_DRAINING, err, sizeof(err)),
	                 0);
	assert_int_equal(st.cfg.backends[0].admin, LB_ADMIN_DRAINING);
	assert_int_equal(st.file_admin[0], LB_ADMIN_ENABLED); /* the file's stays */
	assert_int_equal(st.generation, 2);
	assert_int_equal(ctl_state_backend_admin(&st, "be1", LB_ADMIN_DRAINING, err, sizeof(err)),
	                 0);
	assert_int_equal(st.generation, 2);
	assert_int_equal(ctl_state_backend_admin(&st, "be3", LB_ADMIN_ENABLED, err, sizeof(err)),
	                 0);
	assert_int_equal(ctl_state_backend_admin(&st, "be2", LB_ADMIN_DISABLED, err, sizeof(err)),
	                 0);
	assert_int_equal(st.cfg.backends[1].admin, LB_ADMIN_DISABLED);
	assert_int_equal(st.cfg.backends[2].admin, LB_ADMIN_ENABLED);
	assert_int_equal(st.generation, 4);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

static void test_health(void **unused)
{
	struct ctl_state st, before;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	assert_int_equal(ctl_state_backend_health(&st, 7, LB_HEALTH_UP, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "backend id 7 does not exist");
	assert_int_equal(ctl_state_backend_health(&st, 1, LB_HEALTH_COUNT, err, sizeof(err)),
	                 -EINVAL);
	assert_string_equal(err, "backend 'be2': health 3 is not one of unknown, up, down");
	assert_same_state(&st, &before);
	assert_int_equal(ctl_state_backend_health(&st, 1, LB_HEALTH_DOWN, err, sizeof(err)), 0);
	assert_int_equal(st.cfg.backends[1].health, LB_HEALTH_DOWN);
	assert_int_equal(st.generation, 2);
	assert_int_equal(ctl_state_backend_health(&st, 1, LB_HEALTH_DOWN, err, sizeof(err)), 0);
	assert_int_equal(st.generation, 2);
	assert_int_equal(ctl_state_changes(&before, &st), CTL_CHANGE_BACKENDS);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

static void test_share(void **unused)
{
	struct ctl_state st;

	state_from(HEAD THREE, &st);
	/* be1 weight 1, be2 weight 2, be3 disabled. */
	assert_float_equal(ctl_state_table_share(&st, &st.cfg.backends[0]), 1.0 / 3, 1e-9);
	assert_float_equal(ctl_state_table_share(&st, &st.cfg.backends[1]), 2.0 / 3, 1e-9);
	assert_float_equal(ctl_state_table_share(&st, &st.cfg.backends[2]), 0.0, 0);
	assert_int_equal(ctl_state_backend_health(&st, 1, LB_HEALTH_DOWN, NULL, 0), 0);
	assert_float_equal(ctl_state_table_share(&st, &st.cfg.backends[0]), 1.0, 1e-9);
	assert_int_equal(ctl_state_backend_weight(&st, "be1", 0, NULL, 0), 0);
	assert_float_equal(ctl_state_table_share(&st, &st.cfg.backends[0]), 0.0, 0);
	ctl_state_free(&st);
}

static void test_changes(void **unused)
{
	struct ctl_state a, b;

	state_from(HEAD THREE, &a);
	assert_int_equal(ctl_state_copy(&b, &a), 0);
	assert_int_equal(ctl_state_changes(&a, &b), 0);
	b.cfg.seed = 7;
	assert_int_equal(ctl_state_changes(&a, &b), CTL_CHANGE_HASHING);
	b.cfg.retry_after = 9;
	b.cfg.probe_up_after = 9;
	assert_int_equal(ctl_state_changes(&a, &b),
	                 CTL_CHANGE_HASHING | CTL_CHANGE_SIP | CTL_CHANGE_PROBE);
	assert_int_equal(ctl_state_backend_remove(&b, "be3", NULL, 0), 0);
	assert_int_equal(ctl_state_changes(&a, &b), CTL_CHANGE_HASHING | CTL_CHANGE_SIP |
	                                                CTL_CHANGE_PROBE | CTL_CHANGE_BACKENDS);
	ctl_state_free(&a);
	ctl_state_free(&b);
}

/* --- reload --- */

static int reload_text(struct ctl_state *st, const char *text, struct ctl_reload_report *rep,
                       char *err, size_t cap)
{
	struct ctl_config next;

	load(text, &next);
	int rc = ctl_state_reload(st, &next, rep, err, cap);
	if (rc != 0)
		ctl_config_free(&next);
	else
		assert_null(next.backends);
	return rc;
}

static void test_reload_backends(void **unused)
{
	struct ctl_state st;
	struct ctl_reload_report rep;
	char err[256];

	state_from(HEAD THREE, &st);
	/* Run-time changes: be1 drained and down, be2 up, be4 added. */
	assert_int_equal(ctl_state_backend_admin(&st, "be1", LB_ADMIN_DRAINING, NULL, 0), 0);
	assert_int_equal(ctl_state_backend_health(&st, 0, LB_HEALTH_DOWN, NULL, 0), 0);
	assert_int_equal(ctl_state_backend_health(&st, 1, LB_HEALTH_UP, NULL, 0), 0);
	assert_int_equal(ctl_state_backend_add(&st, "be4", "198.18.0.24", 1, NULL, NULL, 0), 0);
	uint64_t gen = st.generation;

	/* The file: be1 unchanged, be2 moved to another port, be3 now enabled by the file,
	 * be4 absent, be5 new. */
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be1\n    address: 198.18.0.21\n"
	                                  "  - name: be2\n    address: 198.18.0.22:5080\n"
	                                  "    weight: 3\n"
	                                  "  - name: be3\n    address: 198.18.0.23\n"
	                                  "  - name: be5\n    address: 198.18.0.25\n",
	                             &rep, err, sizeof(err)),
	                 0);
	assert_true(st.generation > gen);
	assert_int_equal(rep.changes, CTL_CHANGE_BACKENDS);
	assert_int_equal(st.cfg.n_backends, 4);
	const struct lb_backend_config *be1 = ctl_state_find(&st, "be1");
	assert_int_equal(be1->admin, LB_ADMIN_DRAINING); /* the run-time drain stays */
	assert_int_equal(be1->health, LB_HEALTH_DOWN);   /* so does its health */
	const struct lb_backend_config *be2 = ctl_state_find(&st, "be2");
	assert_int_equal(be2->health, LB_HEALTH_UNKNOWN); /* new address: probed again */
	assert_int_equal(be2->weight, 3);
	assert_int_equal(ctl_state_find(&st, "be3")->admin, LB_ADMIN_ENABLED); /* file wins */
	assert_null(ctl_state_find(&st, "be4"));
	assert_int_equal(ctl_state_find(&st, "be5")->id, 4); /* not be4's id 3, freed now */
	assert_int_equal(st.file_admin[0], LB_ADMIN_ENABLED);

	assert_true(report_has(rep.changed, rep.n_changed,
	                       "backend 'be2' address 198.18.0.22:5070 -> 198.18.0.22:5080 "
	                       "(health unknown again)"));
	assert_true(report_has(rep.changed, rep.n_changed, "backend 'be2' weight 2 -> 3"));
	assert_true(report_has(rep.changed, rep.n_changed, "backend 'be3' disabled -> enabled"));
	assert_true(report_has(rep.changed, rep.n_changed,
	                       "backend 'be5' added (198.18.0.25:5060, weight 1, enabled)"));
	assert_true(
	    report_has(rep.changed, rep.n_changed, "backend 'be4' removed (was 198.18.0.24:5060)"));
	assert_false(report_has(rep.changed, rep.n_changed, "be1"));
	assert_int_equal(rep.n_warnings, 0);
	ctl_reload_report_free(&rep);
	assert_null(rep.changed);

	/* The same file again: nothing changes. */
	gen = st.generation;
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be1\n    address: 198.18.0.21\n"
	                                  "  - name: be2\n    address: 198.18.0.22:5080\n"
	                                  "    weight: 3\n"
	                                  "  - name: be3\n    address: 198.18.0.23\n"
	                                  "  - name: be5\n    address: 198.18.0.25\n",
	                             &rep, err, sizeof(err)),
	                 0);
	assert_int_equal(rep.changes, 0);
	assert_int_equal(rep.n_changed, 0);
	assert_int_equal(st.generation, gen);
	ctl_reload_report_free(&rep);

	/* The file now drains be1 itself, then enables it: the file's change wins both times. */
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be1\n    address: 198.18.0.21\n"
	                                  "    state: disabled\n",
	                             NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(st.cfg.backends[0].admin, LB_ADMIN_DISABLED);
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n  - name: be1\n    address: 198.18.0.21\n",
	                             NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(st.cfg.backends[0].admin, LB_ADMIN_ENABLED);
	ctl_state_free(&st);
}

static uint32_t id_of(const struct ctl_state *st, const char *name)
{
	const struct lb_backend_config *be = ctl_state_find(st, name);

	assert_non_null(be);
	return be->id;
}

/* The backends are sorted by id, each id once. */
static void assert_sorted_ids(const struct ctl_state *st)
{
	for (uint32_t i = 1; i < st->cfg.n_backends; i++)
		assert_true(st->cfg.backends[i - 1].id < st->cfg.backends[i].id);
}

static void test_reload_ids(void **unused)
{
	struct ctl_state st;
	struct ctl_reload_report rep;
	char err[256];

	state_from(HEAD THREE, &st);
	/* be1 deleted from the top of the file: be2 and be3 keep their ids (pins, counters). */
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be2\n    address: 198.18.0.22:5070\n"
	                                  "    weight: 2\n"
	                                  "  - name: be3\n    address: 198.18.0.23\n"
	                                  "    state: disabled\n",
	                             &rep, err, sizeof(err)),
	                 0);
	assert_int_equal(id_of(&st, "be2"), 1);
	assert_int_equal(id_of(&st, "be3"), 2);
	assert_int_equal(rep.n_changed, 1);
	assert_true(
	    report_has(rep.changed, rep.n_changed, "backend 'be1' removed (was 198.18.0.21:5060)"));
	assert_int_equal(rep.n_warnings, 0);
	ctl_reload_report_free(&rep);

	/* be2 removed, be5 and be4 new (in that order in the file): be5 takes free id 0, be4 id 3
	 * (id 1, freed by this reload, is not handed out again at once). */
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be5\n    address: 198.18.0.25\n"
	                                  "  - name: be3\n    address: 198.18.0.23\n"
	                                  "    state: disabled\n"
	                                  "  - name: be4\n    address: 198.18.0.24\n",
	                             &rep, err, sizeof(err)),
	                 0);
	assert_int_equal(id_of(&st, "be5"), 0);
	assert_int_equal(id_of(&st, "be3"), 2);
	assert_int_equal(id_of(&st, "be4"), 3);
	assert_null(ctl_state_find(&st, "be2"));
	assert_sorted_ids(&st);
	ctl_reload_report_free(&rep);

	/* The file's order does not matter: the same backends listed backwards change nothing. A
	 * new one now gets id 1, free since the last reload. */
	uint64_t gen = st.generation;
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be4\n    address: 198.18.0.24\n"
	                                  "  - name: be3\n    address: 198.18.0.23\n"
	                                  "    state: disabled\n"
	                                  "  - name: be5\n    address: 198.18.0.25\n",
	                             &rep, err, sizeof(err)),
	                 0);
	assert_int_equal(rep.changes, 0);
	assert_int_equal(rep.n_changed, 0);
	assert_int_equal(st.generation, gen);
	ctl_reload_report_free(&rep);
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: be6\n    address: 198.18.0.26\n"
	                                  "  - name: be4\n    address: 198.18.0.24\n"
	                                  "  - name: be3\n    address: 198.18.0.23\n"
	                                  "    state: disabled\n"
	                                  "  - name: be5\n    address: 198.18.0.25\n",
	                             NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(id_of(&st, "be6"), 1);
	assert_int_equal(id_of(&st, "be5"), 0);
	assert_sorted_ids(&st);

	/* A backend added at run time keeps its id through a reload that lists it. */
	uint32_t id = 99;
	assert_int_equal(ctl_state_backend_add(&st, "rt", "198.18.0.40", 1, &id, err, sizeof(err)),
	                 0);
	assert_int_equal(id, 4);
	assert_int_equal(reload_text(&st,
	                             HEAD "backends:\n"
	                                  "  - name: rt\n    address: 198.18.0.40\n"
	                                  "  - name: be7\n    address: 198.18.0.27\n",
	                             NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(id_of(&st, "rt"), 4);
	/* every other id (0..3) was freed by this reload: be7 takes the next one never used */
	assert_int_equal(id_of(&st, "be7"), 5);
	ctl_state_free(&st);
}

/* With every id held, a new backend takes an id the same reload freed (the lowest). */
static void test_reload_ids_full(void **unused)
{
	size_t cap = 128u * (LB_MAX_BACKENDS + 1) + 256;
	char *text = malloc(cap), *next = malloc(cap);
	struct ctl_state st;
	char err[256];
	size_t n = 0, m = 0;

	assert_non_null(text);
	assert_non_null(next);
	/* off-link backends, through the gateway */
	n += (size_t)snprintf(text + n, cap - n, HEAD "  gateway4: 198.18.0.1\nbackends:\n");
	m += (size_t)snprintf(next + m, cap - m, HEAD "  gateway4: 198.18.0.1\nbackends:\n");
	for (uint32_t i = 0; i < LB_MAX_BACKENDS; i++) {
		n += (size_t)snprintf(text + n, cap - n, "  - name: b%u\n    address: 10.%u.%u.1\n",
		                      i, i >> 8, i & 0xff);
		/* b7 and b9 removed, two new ones at the end of the list */
		if (i == 7 || i == 9)
			continue;
		m += (size_t)snprintf(next + m, cap - m, "  - name: b%u\n    address: 10.%u.%u.1\n",
		                      i, i >> 8, i & 0xff);
	}
	m += (size_t)snprintf(next + m, cap - m,
	                      "  - name: new1\n    address: 10.200.0.1\n"
	                      "  - name: new2\n    address: 10.200.0.2\n");
	assert_true(n < cap && m < cap);
	state_from(text, &st);
	assert_int_equal(reload_text(&st, next, NULL, err, sizeof(err)), 0);
	assert_int_equal(st.cfg.n_backends, LB_MAX_BACKENDS);
	assert_int_equal(id_of(&st, "new1"), 7);
	assert_int_equal(id_of(&st, "new2"), 9);
	assert_int_equal(id_of(&st, "b4095"), 4095);
	assert_sorted_ids(&st);
	ctl_state_free(&st);
	free(text);
	free(next);
}

static void test_reload_sections(void **unused)
{
	struct ctl_state st;
	struct ctl_reload_report rep;
	char err[256];

	state_from(HEAD "eal: [\"--no-huge\"]\n" THREE "sip:\n  secret: "
	                "\"00112233445566778899aabbccddeeff\"\n",
	           &st);
	assert_int_equal(
	    reload_text(&st,
	                "ports:\n  - name: lan1\n    device: net_tap1\n"
	                "listen:\n  ipv4: 198.18.0.11/24\n  sip_ports: [5062]\n"
	                "eal: [\"-m64\"]\nworkers: 4\nburst: 64\nidle_sleep_us: 5\n" THREE
	                "hashing:\n  table_size: 1021\n  seed: 9\n  keys:\n    REGISTER: to-uri\n"
	                "sip:\n  retry_after: 0\n  max_forwards: 20\n  record_route: true\n"
	                "  path: true\n  secret: \"ffeeddccbbaa99887766554433221100\"\n"
	                "  aliases: [lb.example.com, Sip.Example.NET]\n"
	                "probe:\n  enabled: false\n  interval_ms: 500\n  timeout_ms: 400\n"
	                "  down_after: 5\n  up_after: 4\n  alive_codes: [200]\n"
	                "control:\n  api_socket: /tmp/x.sock\n  metrics: \"\"\n  log: syslog\n"
	                "  log_level: debug\n",
	                &rep, err, sizeof(err)),
	    0);
	assert_int_equal(rep.changes, CTL_CHANGE_HASHING | CTL_CHANGE_SIP | CTL_CHANGE_PROBE);
	/* Applied: */
	assert_int_equal(st.cfg.table_size, 1021);
	assert_int_equal(st.cfg.seed, 9);
	assert_int_equal(st.cfg.max_forwards, 20);
	assert_int_equal(st.cfg.n_aliases, 2);
	assert_false(st.cfg.probe_enabled);
	/* Kept, with a warning each: */
	assert_int_equal(st.cfg.workers, 1);
	assert_int_equal(st.cfg.burst, 32);
	assert_int_equal(st.cfg.idle_sleep_us, 100);
	assert_string_equal(st.cfg.ports[0].name, "lan0");
	assert_int_equal(st.cfg.n_sip_ports, 1);
	assert_int_equal(st.cfg.sip_ports[0], 5060);
	assert_int_equal(st.cfg.vip4.addr.v4[3], 10);
	assert_int_equal(st.cfg.n_eal_args, 1);
	assert_string_equal(st.cfg.eal_args[0], "--no-huge");
	assert_string_equal(st.cfg.api_socket, "/run/sipsteer/sipsteer.sock");
	assert_string_equal(st.cfg.log, "stderr");

	static const char *const changed[] = {
	    "hashing.table_size 65537 -> 1021",
	    "hashing.seed 0 -> 9",
	    "hashing.keys.REGISTER call-id -> to-uri",
	    "sip.retry_after 5 -> 0",
	    "sip.max_forwards 70 -> 20",
	    "sip.record_route false -> true",
	    "sip.path false -> true",
	    "sip.aliases [] -> [lb.example.com, sip.example.net]",
	    "sip.secret changed",
	    "probe.enabled true -> false",
	    "probe.interval_ms 1000 -> 500",
	    "probe.timeout_ms 1000 -> 400",
	    "probe.down_after 3 -> 5",
	    "probe.up_after 2 -> 4",
	    "probe.alive_codes changed",
	};
	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++)
		if (!report_has(rep.changed, rep.n_changed, changed[i]))
			fail_msg("no change line '%s'", changed[i]);
	assert_false(report_has(rep.changed, rep.n_changed, "ffeedd")); /* never the key */
	static const char *const warnings[] = {
	    "eal changed in the file: needs a restart, keeping the running arguments",
	    "ports changed in the file: needs a restart, keeping the running ports",
	    "workers: 4 in the file, 1 running: needs a restart, keeping 1",
	    "idle_sleep_us: 5 in the file, 100 running: needs a restart, keeping 100",
	    "burst: 64 in the file, 32 running: needs a restart, keeping 32",
	    "listen changed in the file: needs a restart",
	    "control.api_socket: '/tmp/x.sock' in the file, '/run/sipsteer/sipsteer.sock' running",
	    "control.metrics: '' in the file, '127.0.0.1:9760' running: needs a restart, keeping "
	    "'127.0.0.1:9760'",
	    "control.log: 'syslog' in the file",
	    "control.log_level: 'debug' in the file, 'info' running",
	};
	for (size_t i = 0; i < sizeof(warnings) / sizeof(warnings[0]); i++)
		if (!report_has(rep.warnings, rep.n_warnings, warnings[i]))
			fail_msg("no warning '%s'", warnings[i]);
	assert_int_equal(rep.n_warnings, sizeof(warnings) / sizeof(warnings[0]));
	ctl_reload_report_free(&rep);
	ctl_reload_report_free(NULL);
	ctl_state_free(&st);
}

/* A file without a secret keeps the running key: no change reported, the state (and so
 * `config show`) still holds it; the same key given again is no change either. */
static void test_reload_keeps_secret(void **unused)
{
	static const char key[] = "00112233445566778899aabbccddeeff";
	struct ctl_state st;
	struct ctl_reload_report rep;
	char err[256];

	state_from(HEAD THREE "sip:\n  secret: \"00112233445566778899aabbccddeeff\"\n", &st);
	assert_int_equal(reload_text(&st, HEAD THREE, &rep, err, sizeof(err)), 0);
	assert_false(report_has(rep.changed, rep.n_changed, "sip.secret"));
	assert_true(st.cfg.secret_set);
	assert_int_equal(st.cfg.secret[0], 0x00);
	assert_int_equal(st.cfg.secret[15], 0xff);
	ctl_reload_report_free(&rep);
	char *text = ctl_state_write_alloc(&st);
	assert_non_null(text);
	assert_non_null(strstr(text, key));
	free(text);
	assert_int_equal(
	    reload_text(&st, HEAD THREE "sip:\n  secret: \"00112233445566778899aabbccddeeff\"\n",
	                &rep, err, sizeof(err)),
	    0);
	assert_false(report_has(rep.changed, rep.n_changed, "sip.secret"));
	ctl_reload_report_free(&rep);
	ctl_state_free(&st);
}

/* Turning the rate limit on or off reports the rate; a burst only between two rates. */
static void test_reload_rate_limit(void **unused)
{
	struct ctl_state st;
	struct ctl_reload_report rep;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(
	    reload_text(&st, HEAD THREE "rate_limit:\n  rate: 10\n", &rep, err, sizeof(err)), 0);
	assert_true(report_has(rep.changed, rep.n_changed, "rate_limit.rate 0 -> 10"));
	assert_false(report_has(rep.changed, rep.n_changed, "rate_limit.burst"));
	ctl_reload_report_free(&rep);
	assert_int_equal(reload_text(&st, HEAD THREE "rate_limit:\n  rate: 10\n  burst: 30\n", &rep,
	                             err, sizeof(err)),
	                 0);
	assert_true(report_has(rep.changed, rep.n_changed, "rate_limit.burst 10 -> 30"));
	ctl_reload_report_free(&rep);
	ctl_state_free(&st);
}

/* A reload that could not run changes nothing. */
static void test_reload_refused(void **unused)
{
	struct ctl_state st, before;
	struct ctl_reload_report rep = {0};
	struct ctl_config next;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_backend_admin(&st, "be1", LB_ADMIN_DRAINING, NULL, 0), 0);
	assert_int_equal(ctl_state_copy(&before, &st), 0);
	/* The file adds listen.ipv6 and an IPv6 backend: listen needs a restart. */
	load(HEAD "  ipv6: 2001:db8::10/64\n" THREE "  - name: v6\n    address: 2001:db8::21\n",
	     &next);
	struct ctl_config next_before;
	memcpy(&next_before, &next, sizeof(next));
	struct lb_backend_config saved[4];
	memcpy(saved, next.backends, sizeof(saved));
	assert_int_equal(ctl_state_reload(&st, &next, &rep, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "backend 'v6': address [2001:db8::21]:5060 is IPv6 but the daemon "
	                         "has no listen.ipv6 address to send from (listen changes only on "
	                         "restart)");
	assert_same_state(&st, &before);
	assert_null(rep.changed);
	assert_memory_equal(&next, &next_before, sizeof(next));
	assert_memory_equal(next.backends, saved, sizeof(saved));
	ctl_config_free(&next);
	ctl_state_free(&before);
	ctl_state_free(&st);
}

/* --- writing --- */

static void test_write_round_trip(void **unused)
{
	struct ctl_state st;
	struct ctl_config back;
	char err[256];

	state_from(HEAD THREE "sip:\n  secret: \"00112233445566778899aabbccddeeff\"\n", &st);
	assert_int_equal(ctl_state_backend_admin(&st, "be2", LB_ADMIN_DRAINING, NULL, 0), 0);
	assert_int_equal(ctl_state_backend_weight(&st, "be1", 7, NULL, 0), 0);
	assert_int_equal(ctl_state_backend_add(&st, "be4", "198.18.0.24:5090", 4, NULL, NULL, 0),
	                 0);
	assert_int_equal(ctl_state_backend_health(&st, 3, LB_HEALTH_UP, NULL, 0), 0);

	char *text = ctl_state_write_alloc(&st);
	assert_non_null(text);
	assert_int_equal((int)strlen(text), ctl_state_write(&st, NULL, 0));
	assert_null(strstr(text, "gaps"));
	assert_non_null(strstr(text, "state: draining"));
	assert_int_equal(ctl_config_parse("saved", text, strlen(text), &back, err, sizeof(err)), 0);
	/* Health is not written: it is what probes find. */
	st.cfg.backends[3].health = LB_HEALTH_UNKNOWN;
	assert_true(ctl_config_equal(&back, &st.cfg));
	ctl_config_free(&back);

	/* Too small a buffer. */
	char small[32];
	assert_int_equal(ctl_state_write(&st, small, sizeof(small)), -ENOSPC);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	free(text);
	ctl_state_free(&st);
}

static void test_write_sparse(void **unused)
{
	struct ctl_state st;
	struct ctl_config back;
	char err[256];

	state_from(HEAD THREE, &st);
	assert_int_equal(ctl_state_backend_remove(&st, "be2", NULL, 0), 0);
	char *text = ctl_state_write_alloc(&st);
	assert_non_null(text);
	assert_true(strncmp(text, "# Backend ids have gaps", 23) == 0);
	/* every section written out, the rate limit's when it is off too (burst needs a rate) */
	assert_non_null(strstr(text, "\nrate_limit:\n  rate: 0\n"));
	assert_null(strstr(text, "burst: 0"));
	assert_int_equal(ctl_config_parse("saved", text, strlen(text), &back, err, sizeof(err)), 0);
	assert_int_equal(back.n_backends, 2);
	assert_string_equal(back.backends[1].name, "be3");
	assert_int_equal(back.backends[1].id, 1); /* renumbered, as the note says */
	ctl_config_free(&back);

	int len = (int)strlen(text);
	char *buf = malloc((size_t)len + 1);
	assert_int_equal(ctl_state_write(&st, buf, (size_t)len + 1), len);
	assert_string_equal(buf, text);
	assert_int_equal(ctl_state_write(&st, buf, (size_t)len), -ENOSPC);
	assert_int_equal(ctl_state_write(&st, buf, 10), -ENOSPC);
	assert_int_equal(strlen(buf), 9);
	assert_int_equal(ctl_state_write(&st, buf, 0), -ENOSPC);
	free(buf);
	free(text);
	ctl_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_copy_swap),
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_add_ipv6),
	    cmocka_unit_test(test_add_errors),
	    cmocka_unit_test(test_add_table_full),
	    cmocka_unit_test(test_remove),
	    cmocka_unit_test(test_weight),
	    cmocka_unit_test(test_admin),
	    cmocka_unit_test(test_health),
	    cmocka_unit_test(test_share),
	    cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_reload_backends),
	    cmocka_unit_test(test_reload_ids),
	    cmocka_unit_test(test_reload_ids_full),
	    cmocka_unit_test(test_reload_sections),
	    cmocka_unit_test(test_reload_keeps_secret),
	    cmocka_unit_test(test_reload_rate_limit),
	    cmocka_unit_test(test_reload_refused),
	    cmocka_unit_test(test_write_round_trip),
	    cmocka_unit_test(test_write_sparse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
