/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend selection: hash, addresses, set validation, weighted Maglev evenness, disruption and
 * determinism. Every key comes from a fixed-seed PRNG: the runs are deterministic.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lb.h"

#define N_KEYS      1000000
#define CALL_ID_LEN 40

/* splitmix64: a fixed, portable PRNG for keys. */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A Call-ID shaped key: 31 random alphanumerics, "@", 8 of a host name. */
static void make_call_id(uint64_t *s, char out[CALL_ID_LEN])
{
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

	for (int i = 0; i < 31; i++)
		out[i] = alnum[prng_next(s) % (sizeof(alnum) - 1)];
	memcpy(out + 31, "@pbx.test", 9);
}

/* n backends be0..be(n-1), ids 0..n-1, 198.18.x.(20+i):5060, weight 1, enabled, unknown. */
static struct lb_backend_config *make_backends(uint32_t n)
{
	struct lb_backend_config *bs = calloc(n ? n : 1, sizeof(*bs));

	assert_non_null(bs);
	for (uint32_t i = 0; i < n; i++) {
		bs[i].id = i;
		snprintf(bs[i].name, sizeof(bs[i].name), "be%u", i);
		bs[i].addr.family = AF_INET;
		bs[i].addr.port = 5060;
		bs[i].addr.v4[0] = 198;
		bs[i].addr.v4[1] = 18;
		bs[i].addr.v4[2] = (uint8_t)((20 + i) >> 8);
		bs[i].addr.v4[3] = (uint8_t)(20 + i);
		bs[i].weight = 1;
	}
	return bs;
}

static struct lb_config make_config(const struct lb_backend_config *bs, uint32_t n)
{
	return (struct lb_config){.n_backends = n, .backends = bs, .seed = 0x5eed};
}

static struct lb_set *build_ok(const struct lb_config *cfg)
{
	char err[256] = "";
	struct lb_set *set = lb_set_build(cfg, err, sizeof(err));

	if (!set)
		fail_msg("lb_set_build: %s", err);
	return set;
}

/* ---- names ---------------------------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(lb_admin_name(LB_ADMIN_ENABLED), "enabled");
	assert_string_equal(lb_admin_name(LB_ADMIN_DRAINING), "draining");
	assert_string_equal(lb_admin_name(LB_ADMIN_DISABLED), "disabled");
	assert_string_equal(lb_admin_name(LB_ADMIN_COUNT), "?");
	assert_string_equal(lb_health_name(LB_HEALTH_UNKNOWN), "unknown");
	assert_string_equal(lb_health_name(LB_HEALTH_UP), "up");
	assert_string_equal(lb_health_name(LB_HEALTH_DOWN), "down");
	assert_string_equal(lb_health_name((enum lb_health) - 1), "?");
	assert_string_equal(lb_key_name(LB_KEY_CALL_ID), "call-id");
	assert_string_equal(lb_key_name(LB_KEY_TO_URI), "to-uri");
	assert_string_equal(lb_key_name(LB_KEY_FROM_URI), "from-uri");
	assert_string_equal(lb_key_name(LB_KEY_COUNT), "?");
}

/* ---- addresses ------------------------------------------------------------------------ */

struct addr_case {
	const char *in;
	int rc;
	const char *formatted; /* with default port 5060 */
};

static const struct addr_case addr_cases[] = {
    {"198.18.0.21", 0, "198.18.0.21:5060"},
    {"198.18.0.21:5080", 0, "198.18.0.21:5080"},
    {"0.0.0.0:1", 0, "0.0.0.0:1"},
    {"255.255.255.255:65535", 0, "255.255.255.255:65535"},
    {"[2001:db8::21]:5062", 0, "[2001:db8::21]:5062"},
    {"[2001:db8::21]", 0, "[2001:db8::21]:5060"},
    {"2001:db8::21", 0, "[2001:db8::21]:5060"},
    {"::1", 0, "[::1]:5060"},
    {"[::ffff:198.18.0.1]:7", 0, "[::ffff:198.18.0.1]:7"},
    {"", -EINVAL, NULL},
    {"198.18.0", -EINVAL, NULL},
    {"198.18.0.256", -EINVAL, NULL},
    {"198.18.0.21:", -EINVAL, NULL},
    {"198.18.0.21:0", -EINVAL, NULL},
    {"198.18.0.21:65536", -EINVAL, NULL},
    {"198.18.0.21:123456", -EINVAL, NULL},
    {"198.18.0.21:50a0", -EINVAL, NULL},
    {"198.18.0.21:-1", -EINVAL, NULL},
    {"198.18.0.21:+5", -EINVAL, NULL},
    {" 198.18.0.21", -EINVAL, NULL},
    {"pbx.example.com:5060", -EINVAL, NULL},
    {"[2001:db8::21", -EINVAL, NULL},
    {"[2001:db8::21]5060", -EINVAL, NULL},
    {"[2001:db8::21]:", -EINVAL, NULL},
    {"[198.18.0.21]:5060", -EINVAL, NULL},
    {"[]:5060", -EINVAL, NULL},
    {"2001:db8:::21", -EINVAL, NULL},
    {"[2001:db8::21]:5060:1", -EINVAL, NULL},
    {"[0000000000000000000000000000000000000000000000000000::1]", -EINVAL, NULL},
    {"0000000000000000000000000000000000000000000000000000.1", -EINVAL, NULL},
};

static void test_addr_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct lb_addr a, b;
		char out[64];
		int rc = lb_addr_parse(c->in, 5060, &a);

		if (rc != c->rc)
			fail_msg("'%s': rc %d, want %d", c->in, rc, c->rc);
		if (rc)
			continue;
		assert_string_equal(lb_addr_format(&a, out, sizeof(out)), c->formatted);
		/* Formatting then parsing gives the same address back. */
		assert_int_equal(lb_addr_parse(out, 1, &b), 0);
		assert_true(lb_addr_equal(&a, &b));
	}
	assert_int_equal(lb_addr_parse(NULL, 5060, &(struct lb_addr){0}), -EINVAL);
}

static void test_addr_equal_format(void **state)
{
	struct lb_addr a, b;
	char small[8];

	(void)state;
	assert_int_equal(lb_addr_parse("198.18.0.21:5060", 5060, &a), 0);
	assert_int_equal(lb_addr_parse("198.18.0.21:5061", 5060, &b), 0);
	assert_false(lb_addr_equal(&a, &b));
	assert_int_equal(lb_addr_parse("198.18.0.22:5060", 5060, &b), 0);
	assert_false(lb_addr_equal(&a, &b));
	assert_int_equal(lb_addr_parse("[::ffff:198.18.0.21]:5060", 5060, &b), 0);
	assert_false(lb_addr_equal(&a, &b)); /* v4-mapped is a different family */
	assert_int_equal(lb_addr_parse("198.18.0.21", 5060, &b), 0);
	assert_true(lb_addr_equal(&a, &b));
	/* Truncated output stays NUL-terminated. */
	assert_string_equal(lb_addr_format(&a, small, sizeof(small)), "198.18.");
	a.family = 0;
	assert_string_equal(lb_addr_format(&a, (char[32]){0}, 32), "(family 0)");
}

/* ---- hash ----------------------------------------------------------------------------- */

static void test_hash_pinned(void **state)
{
	/* Pinned outputs: any change to lb_hash reshuffles every deployed table. */
	static const struct {
		const char *key;
		uint64_t seed;
		uint64_t want;
	} pins[] = {
	    {"", 0, 0x3bc0e0f3378fabbeull},
	    {"a", 0, 0x53db936ffe56c27cull},
	    {"abc", 1, 0x0f49a4777426696cull},
	    {"a84b4c76e66710@pc33.atlanta.com", 0, 0xe84fd18f5a5252b9ull},
	    {"f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com", 0x5eed, 0xcc72ae190b831efaull},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		uint64_t h = lb_hash(pins[i].key, strlen(pins[i].key), pins[i].seed);

		if (h != pins[i].want)
			fail_msg("lb_hash('%s', %#llx) = %#llx, want %#llx", pins[i].key,
			         (unsigned long long)pins[i].seed, (unsigned long long)h,
			         (unsigned long long)pins[i].want);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_hash_lengths_seeds_alignment(void **state)
{
	uint8_t buf[80], shifted[96];
	uint64_t h[65 * 2];

	(void)state;
	memset(buf, 0, sizeof(buf));
	/* Every length 0..64 of all-zero bytes, under two seeds: all distinct. */
	for (int len = 0; len <= 64; len++) {
		h[len] = lb_hash(buf, (size_t)len, 0);
		h[65 + len] = lb_hash(buf, (size_t)len, 1);
	}
	qsort(h, 130, sizeof(h[0]), cmp_u64);
	for (int i = 1; i < 130; i++)
		assert_true(h[i] != h[i - 1]);
	/* Unaligned input hashes like aligned input. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t off = 1; off < 16; off++) {
		memcpy(shifted + off, buf, sizeof(buf));
		for (size_t len = 0; len <= sizeof(buf); len += 7)
			assert_true(lb_hash(shifted + off, len, 42) == lb_hash(buf, len, 42));
	}
	/* The hash reads only len bytes: a byte past the end changes nothing. */
	buf[10] = 1;
	uint64_t before = lb_hash(buf, 10, 3);
	buf[10] = 2;
	assert_true(lb_hash(buf, 10, 3) == before);
}

/* Flipping any input bit of a 40-byte key flips each output bit about half the time. */
static void test_hash_avalanche(void **state)
{
	enum { TRIALS = 400, BITS = CALL_ID_LEN * 8 };
	static uint16_t flips[BITS][64];
	uint64_t s = 7;
	double worst = 0;

	(void)state;
	memset(flips, 0, sizeof(flips));
	for (int t = 0; t < TRIALS; t++) {
		char key[CALL_ID_LEN];

		make_call_id(&s, key);
		for (int i = 0; i < 8; i++) /* random bytes, not only alphanumerics */
			key[i] = (char)prng_next(&s);
		uint64_t h0 = lb_hash(key, sizeof(key), 99);
		for (int bit = 0; bit < BITS; bit++) {
			key[bit / 8] ^= (char)(1 << (bit % 8));
			uint64_t d = lb_hash(key, sizeof(key), 99) ^ h0;
			key[bit / 8] ^= (char)(1 << (bit % 8));
			for (int o = 0; o < 64; o++)
				flips[bit][o] += (d >> o) & 1;
		}
	}
	for (int bit = 0; bit < BITS; bit++)
		for (int o = 0; o < 64; o++) {
			double p = (double)flips[bit][o] / TRIALS;
			double dev = p > 0.5 ? p - 0.5 : 0.5 - p;

			if (dev > worst)
				worst = dev;
		}
	print_message("avalanche: worst flip probability 0.5 +- %.3f over %d trials\n", worst,
	              TRIALS);
	/* 400 trials: sd 0.025; 20480 cells put the expected worst near 0.11. */
	assert_true(worst < 0.15);
}

/* ---- request key ---------------------------------------------------------------------- */

/* A message buffer and the views a parser would fill, set by hand. */
static struct sip_str view(const char *buf, const char *part)
{
	const char *p = strstr(buf, part);

	assert_non_null(p);
	return (struct sip_str){(uint32_t)(p - buf), (uint32_t)strlen(part)};
}

static void test_key_hash(void **state)
{
	static const char buf[] = "REGISTER sip:registrar.test SIP/2.0\r\n"
	                          "Call-ID: 843817637684230@998sdasdh09\r\n"
	                          "From: \"Bob <b>\" <sip:bob@biloxi.test>;tag=456248\r\n"
	                          "To: Bob <sip:bob@biloxi.test>\r\n"
	                          "X: sip:alice@atlanta.test ; tag=1 \r\n";
	struct lb_backend_config *bs = make_backends(2);
	struct lb_config cfg = make_config(bs, 2);
	struct sip_msg msg;
	struct lb_set *set;
	uint64_t seed = cfg.seed;

	(void)state;
	memset(&msg, 0, sizeof(msg));
	msg.is_request = true;
	msg.method = SIP_METHOD_REGISTER;
	msg.call_id = view(buf, "843817637684230@998sdasdh09");
	msg.from = view(buf, "\"Bob <b>\" <sip:bob@biloxi.test>;tag=456248");
	msg.to = view(buf, "Bob <sip:bob@biloxi.test>");
	msg.to_uri = view(buf, "sip:bob@biloxi.test>");
	msg.to_uri.len--; /* without the '>' */

	const uint64_t h_call = lb_hash("843817637684230@998sdasdh09", 27, seed);
	const uint64_t h_bob = lb_hash("sip:bob@biloxi.test", 19, seed);

	/* Default: Call-ID for every method. */
	set = build_ok(&cfg);
	assert_true(lb_key_hash(set, buf, &msg) == h_call);
	lb_set_free(set);

	cfg.key_by_method[SIP_METHOD_REGISTER] = LB_KEY_TO_URI;
	cfg.key_by_method[SIP_METHOD_INVITE] = LB_KEY_FROM_URI;
	set = build_ok(&cfg);
	assert_int_equal(set->key_by_method[SIP_METHOD_REGISTER], LB_KEY_TO_URI);
	assert_true(lb_key_hash(set, buf, &msg) == h_bob);
	/* Empty To URI: back to the Call-ID. */
	msg.to_uri.len = 0;
	assert_true(lb_key_hash(set, buf, &msg) == h_call);

	/* From URI: inside < >, a quoted display name with '<' in it skipped. */
	msg.method = SIP_METHOD_INVITE;
	assert_true(lb_key_hash(set, buf, &msg) == h_bob);
	/* addr-spec form: up to ';', blanks trimmed. */
	msg.from = view(buf, "sip:alice@atlanta.test ; tag=1 ");
	assert_true(lb_key_hash(set, buf, &msg) == lb_hash("sip:alice@atlanta.test", 22, seed));
	/* A From with only parameters or blanks has no URI: back to the Call-ID. */
	msg.from = view(buf, " ; tag=1 ");
	assert_true(lb_key_hash(set, buf, &msg) == h_call);
	msg.from = (struct sip_str){0, 0};
	assert_true(lb_key_hash(set, buf, &msg) == h_call);
	/* Unterminated quote and unterminated '<' stay inside the value. */
	msg.from = view(buf, "\"Bob <b>");
	msg.from.len = 3; /* "Bo */
	assert_true(lb_key_hash(set, buf, &msg) == h_call);
	msg.from = view(buf, "<sip:bob@biloxi.test>;tag=456248");
	msg.from.len = 8; /* <sip:bob */
	assert_true(lb_key_hash(set, buf, &msg) == lb_hash("sip:bob", 7, seed));

	/* Methods the set has no key for (out of range): Call-ID. */
	msg.method = (enum sip_method)SIP_METHOD_COUNT;
	assert_true(lb_key_hash(set, buf, &msg) == h_call);
	msg.method = SIP_METHOD_BYE;
	assert_true(lb_key_hash(set, buf, &msg) == h_call);
	lb_set_free(set);
	free(bs);
}

/* ---- validation ----------------------------------------------------------------------- */

struct err_case {
	const char *what;
	uint32_t n; /* backends made by make_backends */
	void (*edit)(struct lb_config *cfg, struct lb_backend_config *bs);
	int err_no;
	const char *msg; /* substring of the message */
};

static void e_weight(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[1].weight = 65536;
}
static void e_dup_name(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	strcpy(bs[2].name, "be0");
}
static void e_dup_id(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[2].id = 1;
}
static void e_dup_addr(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[2].addr = bs[1].addr;
}
static void e_dup_addr6(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	assert_int_equal(lb_addr_parse("[2001:db8::5]:5070", 0, &bs[0].addr), 0);
	assert_int_equal(lb_addr_parse("[2001:db8::5]:5070", 0, &bs[2].addr), 0);
}
static void e_id_range(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[2].id = LB_MAX_BACKENDS;
}
static void e_none(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	(void)bs;
}
static void e_not_prime(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)bs;
	c->table_size = 65536;
}
static void e_too_small(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)bs;
	c->table_size = 97;
}
static void e_too_large(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)bs;
	c->table_size = 16777259;
}
static void e_small_for_n(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)bs;
	c->table_size = 101;
}
static void e_empty_name(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[1].name[0] = 0;
}
static void e_long_name(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	memset(bs[1].name, 'x', sizeof(bs[1].name));
}
static void e_admin(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[1].admin = (enum lb_admin)7;
}
static void e_health(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[1].health = (enum lb_health)9;
}
static void e_family(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[1].addr.family = 0;
}
static void e_port(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)c;
	bs[1].addr.port = 0;
}
static void e_key(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)bs;
	c->key_by_method[SIP_METHOD_REGISTER] = (enum lb_key)5;
}
static void e_no_array(struct lb_config *c, struct lb_backend_config *bs)
{
	(void)bs;
	c->backends = NULL;
}

static const struct err_case err_cases[] = {
    {"weight", 3, e_weight, EINVAL, "backend 'be1': weight 65536 is above 65535"},
    {"dup name", 3, e_dup_name, EEXIST, "backend #2: name 'be0' duplicates backend #0"},
    {"dup id", 3, e_dup_id, EEXIST, "backend 'be2': id 1 duplicates backend 'be1'"},
    {"dup addr", 3, e_dup_addr, EEXIST,
     "backend 'be2': address 198.18.0.21:5060 duplicates backend 'be1'"},
    {"dup addr6", 3, e_dup_addr6, EEXIST,
     "backend 'be2': address [2001:db8::5]:5070 duplicates backend 'be0'"},
    {"id range", 3, e_id_range, EINVAL, "backend 'be2': id 4096 is out of range 0..4095"},
    {"too many", LB_MAX_BACKENDS + 1, e_none, E2BIG, "4097 backends: at most 4096"},
    {"not prime", 3, e_not_prime, EINVAL, "table size 65536 is not prime"},
    {"too small", 3, e_too_small, EINVAL, "table size 97 is too small (minimum 101)"},
    {"too large", 3, e_too_large, EINVAL, "table size 16777259 is too large"},
    {"small for n", 101, e_small_for_n, EINVAL, "table size 101 is too small for 101 backends"},
    {"empty name", 3, e_empty_name, EINVAL, "backend #1: name is empty"},
    {"long name", 3, e_long_name, EINVAL, "backend #1: name is longer than 63 bytes"},
    {"admin", 3, e_admin, EINVAL, "backend 'be1': admin state 7 is not one of"},
    {"health", 3, e_health, EINVAL, "backend 'be1': health 9 is not one of"},
    {"family", 3, e_family, EINVAL, "backend 'be1': address family 0 is neither"},
    {"port", 3, e_port, EINVAL, "backend 'be1': address 198.18.0.21:0 has port 0"},
    {"key", 3, e_key, EINVAL, "key for method REGISTER: 5 is not a key"},
    {"no array", 3, e_no_array, EINVAL, "3 backends but no backend array"},
};

static void test_build_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct lb_backend_config *bs = make_backends(c->n);
		struct lb_config cfg = make_config(bs, c->n);
		char err[256] = "";
		struct lb_set *set;

		c->edit(&cfg, bs);
		errno = 0;
		set = lb_set_build(&cfg, err, sizeof(err));
		if (set || errno != c->err_no || !strstr(err, c->msg))
			fail_msg("%s: set %p errno %d (want %d) message '%s' (want '%s')", c->what,
			         (void *)set, errno, c->err_no, err, c->msg);
		/* No message buffer: still fails the same way. */
		errno = 0;
		assert_null(lb_set_build(&cfg, NULL, 0));
		assert_int_equal(errno, c->err_no);
		free(bs);
	}
}

static void test_build_limits_accepted(void **state)
{
	struct lb_backend_config *bs = make_backends(3);
	struct lb_config cfg = make_config(bs, 3);
	struct lb_set *set;

	(void)state;
	/* Same IP, other port: two backends. Highest weight and id, smallest table. */
	bs[1].addr = bs[0].addr;
	bs[1].addr.port = 5080;
	bs[2].weight = LB_MAX_WEIGHT;
	bs[2].id = LB_MAX_BACKENDS - 1;
	cfg.table_size = LB_MIN_TABLE;
	set = build_ok(&cfg);
	assert_int_equal(set->table_size, LB_MIN_TABLE);
	assert_non_null(lb_by_id(set, LB_MAX_BACKENDS - 1));
	assert_null(lb_by_id(set, 2));
	assert_null(lb_by_id(set, LB_MAX_BACKENDS));
	assert_null(lb_by_id(set, UINT32_MAX));
	/* Weight 65535 against 1 and 1: all but a couple of slots. */
	assert_true(set->backends[2].slots >= LB_MIN_TABLE - 2);
	assert_int_equal(set->backends[0].slots + set->backends[1].slots + set->backends[2].slots,
	                 LB_MIN_TABLE);
	lb_set_free(set);

	errno = 0;
	assert_null(lb_set_build(NULL, (char[64]){0}, 64));
	assert_int_equal(errno, EINVAL);

	cfg.table_size = 0; /* default */
	set = build_ok(&cfg);
	assert_int_equal(set->table_size, LB_DEFAULT_TABLE);
	lb_set_free(set);
	lb_set_free(NULL);
	free(bs);
}

/* ---- edge cases ----------------------------------------------------------------------- */

static void assert_table_empty(const struct lb_set *set)
{
	uint64_t s = 1;

	assert_int_equal(set->n_active, 0);
	for (uint32_t i = 0; i < set->table_size; i++)
		assert_int_equal(set->table[i], LB_NONE);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(lb_pick(set, prng_next(&s)), LB_NONE);
}

static void test_zero_backends(void **state)
{
	struct lb_config cfg = make_config(NULL, 0);
	struct lb_set *set = build_ok(&cfg);

	(void)state;
	assert_int_equal(set->n_backends, 0);
	assert_table_empty(set);
	assert_null(lb_by_id(set, 0));
	assert_null(lb_by_name(set, "be0"));
	lb_set_free(set);
}

static void test_one_backend(void **state)
{
	struct lb_backend_config *bs = make_backends(1);
	struct lb_config cfg = make_config(bs, 1);
	struct lb_set *set;
	uint64_t s = 2;

	(void)state;
	bs[0].id = 17;
	cfg.table_size = 1009;
	set = build_ok(&cfg);
	assert_int_equal(set->n_active, 1);
	assert_int_equal(set->backends[0].slots, 1009);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(lb_pick(set, prng_next(&s)), 0);
	assert_ptr_equal(lb_by_id(set, 17), &set->backends[0]);
	assert_ptr_equal(lb_by_name(set, "be0"), &set->backends[0]);
	assert_null(lb_by_name(set, "be"));
	assert_null(lb_by_name(set, NULL));
	lb_set_free(set);
	free(bs);
}

static void test_no_slot_states(void **state)
{
	struct lb_backend_config *bs = make_backends(6);
	struct lb_config cfg = make_config(bs, 6);
	struct lb_set *set;

	(void)state;
	/* All draining: nobody owns a slot, but every backend stays reachable by id and name. */
	for (int i = 0; i < 6; i++)
		bs[i].admin = LB_ADMIN_DRAINING;
	set = build_ok(&cfg);
	assert_table_empty(set);
	for (uint32_t i = 0; i < 6; i++) {
		char name[16];

		snprintf(name, sizeof(name), "be%u", i);
		assert_ptr_equal(lb_by_id(set, i), &set->backends[i]);
		assert_ptr_equal(lb_by_name(set, name), &set->backends[i]);
		assert_int_equal(lb_by_id(set, i)->cfg.admin, LB_ADMIN_DRAINING);
	}
	lb_set_free(set);

	/* One of each state: only 'unknown' and 'up' enabled backends with weight > 0 own slots. */
	bs[0].admin = LB_ADMIN_ENABLED; /* health unknown: counts as up */
	bs[1].admin = LB_ADMIN_ENABLED;
	bs[1].health = LB_HEALTH_UP;
	bs[2].admin = LB_ADMIN_ENABLED;
	bs[2].health = LB_HEALTH_DOWN;
	bs[3].admin = LB_ADMIN_DISABLED;
	bs[4].admin = LB_ADMIN_ENABLED;
	bs[4].weight = 0;
	bs[5].admin = LB_ADMIN_DRAINING;
	set = build_ok(&cfg);
	assert_int_equal(set->n_active, 2);
	assert_true(set->backends[0].slots > 0);
	assert_true(set->backends[1].slots > 0);
	for (int i = 2; i < 6; i++)
		assert_int_equal(set->backends[i].slots, 0);
	assert_int_equal(set->backends[0].slots + set->backends[1].slots, set->table_size);
	for (uint32_t i = 0; i < set->table_size; i++)
		assert_true(set->table[i] <= 1);
	lb_set_free(set);

	/* Weight 0 everywhere: an empty table. */
	for (int i = 0; i < 6; i++) {
		bs[i].admin = LB_ADMIN_ENABLED;
		bs[i].health = LB_HEALTH_UP;
		bs[i].weight = 0;
	}
	set = build_ok(&cfg);
	assert_table_empty(set);
	lb_set_free(set);
	free(bs);
}

/* ---- evenness ------------------------------------------------------------------------- */

struct evenness {
	double slot_dev_rel;   /* worst |slots - ideal| / ideal */
	double slot_dev_slots; /* worst |slots - ideal| in slots */
	double slot_dev_bound; /* worst |slots - ideal| / max(1% of ideal, 1 slot) */
	double share_dev_pp;   /* worst |share - ideal share|, percentage points of all keys */
};

static void check_evenness(const char *label, const struct lb_set *set, struct evenness *e)
{
	uint32_t *hits = calloc(set->n_backends, sizeof(*hits));
	uint64_t total_w = 0;
	uint64_t s = 0xca11;

	assert_non_null(hits);
	memset(e, 0, sizeof(*e));
	for (uint32_t i = 0; i < set->n_backends; i++)
		total_w += set->backends[i].cfg.weight;
	for (uint32_t k = 0; k < N_KEYS; k++) {
		char key[CALL_ID_LEN];
		uint16_t b;

		make_call_id(&s, key);
		b = lb_pick(set, lb_hash(key, sizeof(key), set->seed));
		assert_true(b < set->n_backends);
		hits[b]++;
	}
	for (uint32_t i = 0; i < set->n_backends; i++) {
		const struct lb_backend *b = &set->backends[i];
		double ideal = (double)set->table_size * b->cfg.weight / (double)total_w;
		double dev = b->slots > ideal ? b->slots - ideal : ideal - b->slots;
		double share = 100.0 * hits[i] / N_KEYS;
		double ideal_share = 100.0 * b->cfg.weight / (double)total_w;
		double share_dev = share > ideal_share ? share - ideal_share : ideal_share - share;
		double bound = ideal / 100 > 1 ? ideal / 100 : 1;

		if (dev > bound)
			fail_msg("%s: %s owns %u slots, ideal %.2f (bound %.2f)", label,
			         b->cfg.name, b->slots, ideal, bound);
		if (share_dev > 1.0)
			fail_msg("%s: %s gets %.3f%% of keys, ideal %.3f%%", label, b->cfg.name,
			         share, ideal_share);
		if (dev / ideal > e->slot_dev_rel)
			e->slot_dev_rel = dev / ideal;
		if (dev > e->slot_dev_slots)
			e->slot_dev_slots = dev;
		if (dev / bound > e->slot_dev_bound)
			e->slot_dev_bound = dev / bound;
		if (share_dev > e->share_dev_pp)
			e->share_dev_pp = share_dev;
	}
	print_message("%s: table %u: slots off ideal by at most %.2f (%.3f%% of ideal, %.2f of "
	              "the bound); key shares off ideal by at most %.4f points over %d Call-IDs\n",
	              label, set->table_size, e->slot_dev_slots, 100 * e->slot_dev_rel,
	              e->slot_dev_bound, e->share_dev_pp, N_KEYS);
	free(hits);
}

static void test_evenness_equal(void **state)
{
	struct lb_backend_config *bs = make_backends(100);
	struct lb_config cfg = make_config(bs, 100);
	struct lb_set *set = build_ok(&cfg);
	struct evenness e;

	(void)state;
	assert_int_equal(set->n_active, 100);
	check_evenness("100 equal", set, &e);
	/* Equal weights: stride turns are round robin, so slot counts differ by one at most. */
	assert_true(e.slot_dev_slots <= 1.0);
	lb_set_free(set);
	free(bs);
}

static void test_evenness_weighted(void **state)
{
	struct lb_backend_config *bs = make_backends(100);
	struct lb_config cfg = make_config(bs, 100);
	struct lb_set *set;
	struct evenness e;

	(void)state;
	for (uint32_t i = 0; i < 100; i++)
		bs[i].weight = i + 1;
	set = build_ok(&cfg);
	check_evenness("weights 1..100", set, &e);
	/* Weight 2 owns twice the slots of weight 1, within the one-slot rounding. */
	assert_true(set->backends[1].slots + 2 >= 2 * set->backends[0].slots);
	assert_true(set->backends[1].slots <= 2 * set->backends[0].slots + 2);
	lb_set_free(set);

	/* A few heavy, a few light, one at the weight limit. */
	for (uint32_t i = 0; i < 100; i++)
		bs[i].weight = (i % 10 == 0) ? 1000 : (i % 3) + 1;
	bs[99].weight = LB_MAX_WEIGHT;
	set = build_ok(&cfg);
	check_evenness("weights mixed 1..65535", set, &e);
	lb_set_free(set);
	free(bs);
}

/* ---- disruption ----------------------------------------------------------------------- */

/* Share of slots (of those whose owner stays) whose owner id differs between a and b. */
static double moved_pct(const struct lb_set *a, const struct lb_set *b, double *gone_pct)
{
	uint32_t moved = 0, kept = 0, gone = 0;

	assert_int_equal(a->table_size, b->table_size);
	for (uint32_t i = 0; i < a->table_size; i++) {
		uint32_t id_a = a->backends[a->table[i]].cfg.id;
		const struct lb_backend *still = lb_by_id(b, id_a);

		if (!still || !still->slots) {
			gone++;
			continue;
		}
		kept++;
		moved += b->backends[b->table[i]].cfg.id != id_a;
	}
	if (gone_pct)
		*gone_pct = 100.0 * gone / a->table_size;
	return kept ? 100.0 * moved / kept : 0;
}

static void check_remove(uint32_t n, uint32_t k, uint32_t table_size)
{
	struct lb_backend_config *bs = make_backends(n);
	struct lb_config cfg = make_config(bs, n);
	struct lb_set *before, *after;
	double gone, moved;

	cfg.table_size = table_size;
	before = build_ok(&cfg);

	/* Remove k backends spread over the config (every n/k-th). */
	for (uint32_t r = 0, w = 0, i = 0; i < n; i++) {
		if (r < k && i == r * (n / k)) {
			r++;
			continue;
		}
		bs[w++] = bs[i];
	}
	cfg.n_backends = n - k;
	after = build_ok(&cfg);
	moved = moved_pct(before, after, &gone);
	print_message("remove %u of %u, table %u: %.3f%% of slots were on them, %.3f%% of the "
	              "rest moved\n",
	              k, n, before->table_size, gone, moved);
	assert_true(moved <= 1.0);
	lb_set_free(before);
	lb_set_free(after);
	free(bs);
}

static void check_add(uint32_t n)
{
	struct lb_backend_config *bs = make_backends(n + 1);
	struct lb_config cfg = make_config(bs, n);
	struct lb_set *before = build_ok(&cfg), *after;
	double moved, ideal = 100.0 / (n + 1);

	cfg.n_backends = n + 1;
	after = build_ok(&cfg);
	moved = moved_pct(before, after, NULL);
	print_message("add 1 to %u: %.3f%% of slots moved, ideal %.3f%%\n", n, moved, ideal);
	assert_true(moved <= ideal + 1.0);
	lb_set_free(before);
	lb_set_free(after);
	free(bs);
}

static void test_disruption(void **state)
{
	(void)state;
	check_remove(3, 1, 0);
	check_remove(3, 2, 0);
	check_remove(10, 1, 0);
	check_remove(10, 3, 0);
	check_remove(100, 1, 0);
	check_remove(100, 5, 0);
	/*
	 * Maglev's extra movement grows with the share removed and shrinks with table_size / N:
	 * removing 10 of 100 moves about 1.1% of the rest at 65537 slots, 0.35% at 655373.
	 */
	check_remove(100, 10, 655373);
	check_add(3);
	check_add(10);
	check_add(100);
}

/* Marking a backend down moves the same keys as removing it. */
static void test_disruption_health(void **state)
{
	struct lb_backend_config *bs = make_backends(10);
	struct lb_config cfg = make_config(bs, 10);
	struct lb_set *up = build_ok(&cfg), *down;
	double gone;

	(void)state;
	bs[4].health = LB_HEALTH_DOWN;
	down = build_ok(&cfg);
	assert_true(moved_pct(up, down, &gone) <= 1.0);
	assert_int_equal(down->backends[4].slots, 0);
	assert_true(gone > 5.0 && gone < 15.0);
	lb_set_free(up);
	lb_set_free(down);
	free(bs);
}

/* ---- determinism ---------------------------------------------------------------------- */

static uint64_t table_digest(const struct lb_set *set)
{
	return lb_hash(set->table, set->table_size * sizeof(set->table[0]), 0);
}

static struct lb_backend_config *weighted_backends(uint32_t n)
{
	struct lb_backend_config *bs = make_backends(n);

	for (uint32_t i = 0; i < n; i++)
		bs[i].weight = 1 + (i * 7) % 13;
	bs[3].admin = LB_ADMIN_DRAINING;
	return bs;
}

static void test_determinism_fork(void **state)
{
	struct lb_backend_config *bs = weighted_backends(50);
	struct lb_config cfg = make_config(bs, 50);
	uint64_t mine, theirs = 0;
	int fds[2], status;
	struct lb_set *set;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Another process, another heap layout: the same bytes. */
		void *pad = malloc(12345);
		uint64_t d;

		set = lb_set_build(&cfg, NULL, 0);
		d = set ? table_digest(set) : 0;
		_exit(write(fds[1], &d, sizeof(d)) == sizeof(d) && pad ? 0 : 1);
	}
	close(fds[1]);
	set = build_ok(&cfg);
	mine = table_digest(set);
	assert_int_equal(read(fds[0], &theirs, sizeof(theirs)), sizeof(theirs));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(mine == theirs);
	lb_set_free(set);
	free(bs);
}

static void test_determinism_order(void **state)
{
	struct lb_backend_config *bs = weighted_backends(50);
	struct lb_backend_config *rev = calloc(50, sizeof(*rev));
	struct lb_config cfg = make_config(bs, 50), cfg_rev;
	struct lb_set *a, *b, *c;
	uint64_t s = 5;

	(void)state;
	assert_non_null(rev);
	/* Reversed, then shuffled: the same backend owns every slot. */
	for (uint32_t i = 0; i < 50; i++)
		rev[i] = bs[49 - i];
	for (uint32_t i = 49; i > 0; i--) {
		uint32_t j = (uint32_t)(prng_next(&s) % (i + 1));
		struct lb_backend_config t = rev[i];

		rev[i] = rev[j];
		rev[j] = t;
	}
	cfg_rev = make_config(rev, 50);
	a = build_ok(&cfg);
	b = build_ok(&cfg_rev);
	for (uint32_t i = 0; i < a->table_size; i++)
		assert_int_equal(a->backends[a->table[i]].cfg.id, b->backends[b->table[i]].cfg.id);
	for (uint32_t i = 0; i < 50; i++)
		assert_int_equal(a->backends[i].slots, lb_by_id(b, a->backends[i].cfg.id)->slots);
	/* The same config twice: byte-identical. */
	c = build_ok(&cfg);
	assert_memory_equal(a->table, c->table, a->table_size * sizeof(a->table[0]));
	lb_set_free(c);
	/* Another seed: another table. */
	cfg.seed++;
	c = build_ok(&cfg);
	assert_true(table_digest(a) != table_digest(c));
	lb_set_free(a);
	lb_set_free(b);
	lb_set_free(c);
	free(bs);
	free(rev);
}

/*
 * The documented algorithm, written the slow and obvious way: at each step the active backend
 * whose next turn time (2k + 1) / (2w) is earliest (ties: heavier, then smaller name) walks its
 * permutation to the next free slot. lb_set_build must give the same table.
 */
static void reference_fill(const struct lb_set *set, uint16_t *table)
{
	uint32_t m = set->table_size, n = set->n_backends;
	uint32_t *pos = calloc(n, sizeof(*pos)), *skip = calloc(n, sizeof(*skip));
	uint32_t *taken = calloc(n, sizeof(*taken));

	assert_true(pos && skip && taken);
	for (uint32_t i = 0; i < n; i++) {
		const char *name = set->backends[i].cfg.name;
		uint64_t h = lb_hash(name, strlen(name), set->seed);

		pos[i] = (uint32_t)(h % m);
		skip[i] = (uint32_t)((h >> 32) % (m - 1)) + 1;
	}
	memset(table, 0xff, m * sizeof(*table));
	for (uint32_t filled = 0; filled < m; filled++) {
		int64_t best = -1;

		for (uint32_t i = 0; i < n; i++) {
			const struct lb_backend_config *b = &set->backends[i].cfg;
			const struct lb_backend_config *o;
			uint64_t ti, to;

			if (b->admin != LB_ADMIN_ENABLED || b->health == LB_HEALTH_DOWN ||
			    !b->weight)
				continue;
			if (best < 0) {
				best = i;
				continue;
			}
			o = &set->backends[best].cfg;
			ti = (2 * (uint64_t)taken[i] + 1) * o->weight;
			to = (2 * (uint64_t)taken[best] + 1) * b->weight;
			if (ti < to ||
			    (ti == to && (b->weight > o->weight || (b->weight == o->weight &&
			                                            strcmp(b->name, o->name) < 0))))
				best = i;
		}
		if (best < 0)
			break;
		while (table[pos[best]] != LB_NONE)
			pos[best] = (pos[best] + skip[best]) % m;
		table[pos[best]] = (uint16_t)best;
		pos[best] = (pos[best] + skip[best]) % m;
		taken[best]++;
	}
	free(pos);
	free(skip);
	free(taken);
}

static void test_matches_reference(void **state)
{
	static const struct {
		uint32_t n, table_size;
		int weights; /* 0: all 1, 1: 1..5, 2: up to 65535 */
	} cases[] = {
	    {1, 101, 0},   {2, 101, 1},    {7, 1009, 0},   {7, 1009, 1},  {30, 1009, 2},
	    {50, 4099, 1}, {20, 65537, 0}, {20, 65537, 1}, {9, 65537, 2},
	};
	uint64_t s = 11;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct lb_backend_config *bs = make_backends(cases[c].n);
		struct lb_config cfg = make_config(bs, cases[c].n);
		uint16_t *want = calloc(cases[c].table_size, sizeof(*want));
		struct lb_set *set;

		assert_non_null(want);
		cfg.table_size = cases[c].table_size;
		cfg.seed = c;
		for (uint32_t i = 0; i < cases[c].n; i++) {
			uint64_t r = prng_next(&s);

			bs[i].weight = cases[c].weights == 0   ? 1
			               : cases[c].weights == 1 ? 1 + (uint32_t)(r % 5)
			                                       : 1 + (uint32_t)(r % LB_MAX_WEIGHT);
			if (i % 6 == 5)
				bs[i].admin = LB_ADMIN_DRAINING;
		}
		set = build_ok(&cfg);
		reference_fill(set, want);
		assert_memory_equal(set->table, want, cases[c].table_size * sizeof(*want));
		lb_set_free(set);
		free(want);
		free(bs);
	}
}

/* The whole table pinned for one small configuration: a change in layout shows up here. */
static void test_table_pinned(void **state)
{
	struct lb_backend_config *bs = weighted_backends(5);
	struct lb_config cfg = make_config(bs, 5);
	struct lb_set *set;

	(void)state;
	cfg.table_size = 65537;
	set = build_ok(&cfg);
	print_message("pinned table digest %#llx\n", (unsigned long long)table_digest(set));
	assert_true(table_digest(set) == 0x26adbf4560811ffcull);
	lb_set_free(set);
	free(bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_addr_equal_format),
	    cmocka_unit_test(test_hash_pinned),
	    cmocka_unit_test(test_hash_lengths_seeds_alignment),
	    cmocka_unit_test(test_hash_avalanche),
	    cmocka_unit_test(test_key_hash),
	    cmocka_unit_test(test_build_errors),
	    cmocka_unit_test(test_build_limits_accepted),
	    cmocka_unit_test(test_zero_backends),
	    cmocka_unit_test(test_one_backend),
	    cmocka_unit_test(test_no_slot_states),
	    cmocka_unit_test(test_evenness_equal),
	    cmocka_unit_test(test_evenness_weighted),
	    cmocka_unit_test(test_disruption),
	    cmocka_unit_test(test_disruption_health),
	    cmocka_unit_test(test_determinism_fork),
	    cmocka_unit_test(test_determinism_order),
	    cmocka_unit_test(test_matches_reference),
	    cmocka_unit_test(test_table_pinned),
	};

	return cmocka_run_group_tests_name("lb", tests, NULL, NULL);
}
