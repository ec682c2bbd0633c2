/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench parser: ns per message and GB/s of the sipsteer parser against sofia-sip,
 * osip2 and libre, on the same messages in the same run: a typical INVITE with SDP, its 200 OK
 * and the RFC 4475 torture corpus as a whole.
 *
 * Each peer is used the way its API asks for one received datagram, and the cost of freeing what
 * it allocated is part of its time:
 *   sipsteer   sip_parse() into a struct sip_msg on the stack: no allocation, nothing to free.
 *   sofia-sip  msg_make(sip_default_mclass()) (copies the bytes into the msg, parses every
 *              header), msg_has_error() and sip_sanity_check(), msg_destroy().
 *   osip2      osip_message_init(), osip_message_parse() (copies the bytes), osip_message_free().
 *   libre      sip_msg_decode() over an mbuf holding the datagram (rewound before each call, as
 *              a receive path hands over a filled mbuf), mem_deref() of the decoded message.
 */
/* The RFC 4475 corpus of the source tree this was built from (meson passes it), whatever the
 * directory the benchmark runs in. */
#ifndef BENCH_CORPUS
#define BENCH_CORPUS "tests/rfc4475"
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osipparser2/osip_parser.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_main.h>
#include <re_mbuf.h>
#include <re_mem.h>
#include <sofia-sip/msg.h>

/* osip2 names the status code 200 SIP_OK; sip.h's enum sip_err has its own SIP_OK. */
#undef SIP_OK
#include "bench.h"
#include "sip.h"

/*
 * sofia-sip's <sofia-sip/sip_header.h> and libre's <re_sip.h> cannot share a translation unit
 * with sip.h: both use the sip_ prefix (sofia-sip declares its own sip_method_name(), libre its
 * own struct sip_msg). The few functions used here are declared with the same ABI instead:
 * sofia-sip's sip_t is its msg_pub_t, libre's message is handled through a pointer only.
 */
msg_mclass_t const *sip_default_mclass(void);
int sip_sanity_check(msg_pub_t const *sip);
struct re_sip_msg;
int sip_msg_decode(struct re_sip_msg **msgp, struct mbuf *mb);

#define CMD "sipsteer-bench parser"

/* One datagram: up to the largest UDP payload. */
#define BENCH_MAX_MSG    65535u
#define BENCH_MAX_CORPUS 4096u

/* Calibration grows the iteration count until a round takes this long (it doubles as warm-up). */
#define BENCH_CALIBRATE_NS 20000000ull
/*
 * Timed rounds per (parser, message) pair and the time each aims at: ~0.3 s per pair. Many
 * short rounds rather than a few long ones: on a shared machine, time stolen by other work
 * lands in some rounds and leaves others clean, so the median and the best round both mean
 * something (the best: the parser's own cost, undisturbed; the median: a typical round).
 */
#define BENCH_ROUNDS   21
#define BENCH_ROUND_NS 15000000ull

struct bench_msg {
	char *name;
	char *data;
	size_t len;
	struct mbuf *re_mb; /* libre: mbuf holding the same bytes */
};

struct msg_set {
	const char *name;
	struct bench_msg *msgs;
	size_t count;
	size_t bytes;
};

/* Parse one message as the parser's API requires, freeing what it allocated; 1 if rejected. */
typedef int (*parse_fn)(const struct bench_msg *m);

struct peer {
	const char *name;
	parse_fn parse;
};

struct result {
	const struct peer *peer;
	const struct msg_set *set;
	uint64_t iterations;    /* passes over the set per round */
	double ns_per_msg;      /* median round */
	double ns_per_msg_best; /* fastest round */
	double gb_per_s;
	size_t rejected;
};

/* Results flow here so that no loop can be optimised away. */
static volatile uint64_t bench_sink;

static msg_mclass_t const *sofia_mclass;

static int parse_sipsteer(const struct bench_msg *m)
{
	struct sip_msg msg;

	return sip_parse(m->data, m->len, &msg) < 0;
}

static int parse_sofia(const struct bench_msg *m)
{
	msg_t *msg = msg_make(sofia_mclass, 0, m->data, (ssize_t)m->len);
	int rejected;

	if (!msg)
		return 1;
	rejected = msg_has_error(msg) || sip_sanity_check(msg_object(msg)) < 0;
	msg_destroy(msg);
	return rejected;
}

static int parse_osip(const struct bench_msg *m)
{
	osip_message_t *sip;
	int rc;

	if (osip_message_init(&sip) != OSIP_SUCCESS)
		return 1;
	rc = osip_message_parse(sip, m->data, m->len);
	osip_message_free(sip);
	return rc != OSIP_SUCCESS;
}

static void osip_trace_sink(const char *file, int line, osip_trace_level_t level, const char *fmt,
                            va_list ap)
{
}

static int parse_libre(const struct bench_msg *m)
{
	struct re_sip_msg *msg = NULL;
	int err;

	m->re_mb->pos = 0;
	err = sip_msg_decode(&msg, m->re_mb);
	mem_deref(msg);
	return err != 0;
}

static const struct peer peers[] = {
    {"sipsteer", parse_sipsteer},
    {"sofia-sip", parse_sofia},
    {"osip2", parse_osip},
    {"libre", parse_libre},
};
#define N_PEERS (sizeof(peers) / sizeof(peers[0]))

/* ---- messages ------------------------------------------------------------------------------- */

/* A typical INVITE from a UA (RFC 3665 style), SDP offer included; Content-Length is computed. */
static const char invite_headers[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.101>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: %zu\r\n"
    "\r\n";
static const char invite_sdp[] = "v=0\r\n"
                                 "o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
                                 "s=-\r\n"
                                 "c=IN IP4 192.0.2.101\r\n"
                                 "t=0 0\r\n"
                                 "m=audio 49172 RTP/AVP 0\r\n"
                                 "a=rtpmap:0 PCMU/8000\r\n";

/* Its 200 OK as the balancer sees it: its own Via on top of the client's, SDP answer. */
static const char ok_headers[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK.sst.4f2a91c07d;rport=5060\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.4>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: %zu\r\n"
    "\r\n";
static const char ok_sdp[] = "v=0\r\n"
                             "o=bob 2890844527 2890844527 IN IP4 192.0.2.4\r\n"
                             "s=-\r\n"
                             "c=IN IP4 192.0.2.4\r\n"
                             "t=0 0\r\n"
                             "m=audio 3456 RTP/AVP 0\r\n"
                             "a=rtpmap:0 PCMU/8000\r\n";

static int msg_set_one(struct msg_set *set, const char *name, const char *headers, const char *body)
{
	struct bench_msg *m = calloc(1, sizeof(*m));
	size_t body_len = strlen(body);
	int n;

	if (!m)
		return -ENOMEM;
	m->data = malloc(BENCH_MAX_MSG + 1);
	m->name = strdup(name);
	if (!m->data || !m->name)
		goto err;
	n = snprintf(m->data, BENCH_MAX_MSG + 1, headers, body_len);
	if (n < 0 || (size_t)n + body_len > BENCH_MAX_MSG)
		goto err;
	memcpy(m->data + n, body, body_len);
	m->len = (size_t)n + body_len;
	set->name = name;
	set->msgs = m;
	set->count = 1;
	set->bytes = m->len;
	return 0;
err:
	free(m->data);
	free(m->name);
	free(m);
	return -ENOMEM;
}

/* Read one corpus file whole. Returns 0 or -errno after printing the cause. */
static int read_file(const char *path, struct bench_msg *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		goto err_errno;
	m->data = malloc(BENCH_MAX_MSG + 1);
	if (!m->data) {
		errno = ENOMEM;
		goto err_errno;
	}
	m->len = 0;
	while (m->len <= BENCH_MAX_MSG) {
		ssize_t n = read(fd, m->data + m->len, BENCH_MAX_MSG + 1 - m->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_errno;
		if (n == 0)
			break;
		m->len += (size_t)n;
	}
	if (m->len > BENCH_MAX_MSG) {
		fprintf(stderr, CMD ": %s: larger than %u bytes, not one SIP datagram\n", path,
		        BENCH_MAX_MSG);
		rc = -EFBIG;
		goto out;
	}
	goto out;
err_errno:
	rc = -errno;
	fprintf(stderr, CMD ": %s: %s\n", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void msg_set_free(struct msg_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->msgs[i].name);
		free(set->msgs[i].data);
		mem_deref(set->msgs[i].re_mb);
	}
	free(set->msgs);
	set->msgs = NULL;
	set->count = 0;
}

/* Every *.dat file of dir, in name order, one datagram each. Returns 0 or -errno. */
static int msg_set_corpus(struct msg_set *set, const char *dir)
{
	char *names[BENCH_MAX_CORPUS];
	size_t n_names = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int rc = 0;

	set->name = "rfc4475";
	if (!d) {
		rc = -errno;
		fprintf(stderr, CMD ": corpus %s: %s\n", dir, strerror(errno));
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= 4 || strcmp(de->d_name + l - 4, ".dat"))
			continue;
		if (n_names == BENCH_MAX_CORPUS) {
			fprintf(stderr, CMD ": corpus %s: more than %u .dat files\n", dir,
			        BENCH_MAX_CORPUS);
			rc = -E2BIG;
			goto out;
		}
		names[n_names] = strdup(de->d_name);
		if (!names[n_names]) {
			rc = -ENOMEM;
			goto out;
		}
		n_names++;
	}
	if (n_names == 0) {
		fprintf(stderr, CMD ": corpus %s: no .dat files\n", dir);
		rc = -ENOENT;
		goto out;
	}
	qsort(names, n_names, sizeof(names[0]), cmp_name);
	set->msgs = calloc(n_names, sizeof(set->msgs[0]));
	if (!set->msgs) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_names; i++) {
		char path[4096];
		struct bench_msg *m = &set->msgs[set->count];

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= sizeof(path)) {
			fprintf(stderr, CMD ": corpus %s: path too long\n", dir);
			rc = -ENAMETOOLONG;
			goto out;
		}
		m->name = names[i];
		names[i] = NULL;
		set->count++;
		rc = read_file(path, m);
		if (rc < 0)
			goto out;
		set->bytes += m->len;
	}
out:
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	closedir(d);
	if (rc < 0)
		msg_set_free(set);
	return rc;
}

/* libre decodes from an mbuf it keeps a reference to: give each message its own. */
static int msg_set_mbufs(struct msg_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		struct bench_msg *m = &set->msgs[i];

		m->re_mb = mbuf_alloc(m->len ? m->len : 1);
		if (!m->re_mb || mbuf_write_mem(m->re_mb, (const uint8_t *)m->data, m->len))
			return -ENOMEM;
	}
	return 0;
}

/* ---- timing --------------------------------------------------------------------------------- */

/* Time `iterations` passes over the set; returns nanoseconds. */
static uint64_t time_round(parse_fn parse, const struct msg_set *set, uint64_t iterations)
{
	uint64_t rejected = 0;
	uint64_t t0 = bench_now_ns();

	for (uint64_t i = 0; i < iterations; i++)
		for (size_t j = 0; j < set->count; j++)
			rejected += (uint64_t)parse(&set->msgs[j]);
	bench_sink += rejected;
	return bench_now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Check what the pair rejects (it is timed all the same) and fix its iterations per round;
 * iterations 0: calibrate to ~BENCH_ROUND_NS per round. */
static void prepare(struct result *r, uint64_t iterations)
{
	parse_fn parse = r->peer->parse;

	r->rejected = 0;
	for (size_t j = 0; j < r->set->count; j++)
		r->rejected += (size_t)parse(&r->set->msgs[j]);

	if (iterations == 0) {
		/* Doubling until a round is long enough to time also warms caches and allocators.
		 */
		uint64_t ns;

		iterations = 1;
		while ((ns = time_round(parse, r->set, iterations)) < BENCH_CALIBRATE_NS &&
		       iterations < (1ull << 40))
			iterations *= 2;
		iterations =
		    (uint64_t)((double)iterations * BENCH_ROUND_NS / (double)(ns ? ns : 1));
		if (iterations == 0)
			iterations = 1;
	}
	r->iterations = iterations;
}

/*
 * The timed rounds, interleaved: round i of every pair, then round i + 1 of every pair, so that
 * the parsers share the machine's quiet and busy moments and their ratios compare like with
 * like. Each pair is warmed up again just before its round.
 */
static int measure_all(struct result *res, size_t n)
{
	uint64_t(*rounds)[BENCH_ROUNDS] = calloc(n, sizeof(*rounds));

	if (rounds == NULL)
		return -ENOMEM;
	for (int i = 0; i < BENCH_ROUNDS; i++)
		for (size_t k = 0; k < n; k++) {
			struct result *r = &res[k];
			(void)time_round(r->peer->parse, r->set, 1); /* warm-up */
			rounds[k][i] = time_round(r->peer->parse, r->set, r->iterations);
		}
	for (size_t k = 0; k < n; k++) {
		struct result *r = &res[k];
		double msgs = (double)r->iterations * (double)r->set->count;

		qsort(rounds[k], BENCH_ROUNDS, sizeof(rounds[k][0]), cmp_u64);
		r->ns_per_msg = (double)rounds[k][BENCH_ROUNDS / 2] / msgs;
		r->ns_per_msg_best = (double)rounds[k][0] / msgs;
		/* bytes per nanosecond is GB/s */
		r->gb_per_s = (double)r->iterations * (double)r->set->bytes /
		              (double)rounds[k][BENCH_ROUNDS / 2];
	}
	free(rounds);
	return 0;
}

/* ---- output --------------------------------------------------------------------------------- */

static const struct result *find(const struct result *res, size_t n, const char *peer,
                                 const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(res[i].peer->name, peer) && !strcmp(res[i].set->name, set))
			return &res[i];
	return NULL;
}

/* The peer's time over ours on the INVITE: median rounds, or best rounds. */
static double speedup(const struct result *res, size_t n, const char *peer, bool best)
{
	const struct result *ours = find(res, n, "sipsteer", "invite");
	const struct result *theirs = find(res, n, peer, "invite");

	if (!ours || !theirs || ours->ns_per_msg <= 0 || ours->ns_per_msg_best <= 0)
		return 0;
	return best ? theirs->ns_per_msg_best / ours->ns_per_msg_best
	            : theirs->ns_per_msg / ours->ns_per_msg;
}

static void print_json(const struct result *res, size_t n)
{
	printf("{\"bench\":\"parser\",\"impl\":\"%s\",\"rounds\":%d,\"results\":[",
	       sip_parser_impl(), BENCH_ROUNDS);
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];

		printf("%s{\"parser\":\"%s\",\"message\":\"%s\",\"messages\":%zu,\"bytes\":%zu,"
		       "\"iterations\":%" PRIu64 ",\"ns_per_msg\":%.1f,\"ns_per_msg_best\":%.1f,"
		       "\"gb_per_s\":%.3f,\"rejected\":%zu}",
		       i ? "," : "", r->peer->name, r->set->name, r->set->count, r->set->bytes,
		       r->iterations, r->ns_per_msg, r->ns_per_msg_best, r->gb_per_s, r->rejected);
	}
	printf("]");
	for (int best = 0; best <= 1; best++) {
		printf(",\"speedup_vs%s\":{", best ? "_best" : "");
		for (size_t p = 1; p < N_PEERS; p++)
			printf("%s\"%s\":%.2f", p > 1 ? "," : "", peers[p].name,
			       speedup(res, n, peers[p].name, best));
		printf("}");
	}
	printf("}\n");
}

static void print_table(const struct result *res, size_t n)
{
	printf("parser benchmark: sipsteer (%s scanner) against sofia-sip, osip2 and libre\n"
	       "median and best of %d rounds; peers' times include allocating and freeing their "
	       "message\n\n",
	       sip_parser_impl(), BENCH_ROUNDS);
	printf("%-10s %-8s %5s %7s %9s %10s %10s %7s\n", "parser", "message", "msgs", "bytes",
	       "rejected", "ns/msg", "best", "GB/s");
	for (size_t i = 0; i < n; i++) {
		const struct result *r = &res[i];

		printf("%-10s %-8s %5zu %7zu %9zu %10.1f %10.1f %7.3f\n", r->peer->name,
		       r->set->name, r->set->count, r->set->bytes, r->rejected, r->ns_per_msg,
		       r->ns_per_msg_best, r->gb_per_s);
	}
	printf("\nsipsteer speedup on the INVITE (median rounds):");
	for (size_t p = 1; p < N_PEERS; p++)
		printf(" %s x%.2f", peers[p].name, speedup(res, n, peers[p].name, false));
	printf("\nsipsteer speedup on the INVITE (best rounds):  ");
	for (size_t p = 1; p < N_PEERS; p++)
		printf(" %s x%.2f", peers[p].name, speedup(res, n, peers[p].name, true));
	printf("\n");
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: " CMD " [--json] [--corpus DIR] [--iterations N]\n"
	        "\n"
	        "Time sipsteer's sip_parse() against sofia-sip (msg_make), osip2\n"
	        "(osip_message_parse) and libre (sip_msg_decode) on an %s-style INVITE with SDP,\n"
	        "its 200 OK and every DIR/*.dat file (default: the source tree's tests/rfc4475)\n"
	        "as one set.\n"
	        "Each (parser, message) pair is calibrated and warmed up, then timed over %d\n"
	        "rounds, the pairs' rounds interleaved (round 1 of every pair, then round 2, ...)\n"
	        "so that all see the same moments of a shared machine. The median round is\n"
	        "reported as ns per message and GB/s, the fastest round as the best ns per\n"
	        "message (the parser's cost with no other work on the core). Peers' times\n"
	        "include freeing their parsed message.\n"
	        "\n"
	        "  --json          one JSON object on stdout instead of a table\n"
	        "  --corpus DIR    directory of .dat messages (default " BENCH_CORPUS ")\n"
	        "  --iterations N  passes over each message set per round (default: calibrated\n"
	        "                  to ~%llu ms per round)\n"
	        "  --help          this text\n",
	        "RFC 3665", BENCH_ROUNDS, BENCH_ROUND_NS / 1000000ull);
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > (1ull << 40))
		return -EINVAL;
	*out = v;
	return 0;
}

int bench_parser_main(int argc, char **argv)
{
	const char *corpus = BENCH_CORPUS;
	uint64_t iterations = 0;
	bool json = false;
	struct msg_set sets[3] = {{0}};
	struct result res[N_PEERS * 3];
	size_t n_res = 0;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--corpus") || !strcmp(argv[i], "--iterations")) {
			const char *opt = argv[i];

			if (i + 1 >= argc) {
				fprintf(stderr, CMD ": %s needs a value\n", opt);
				usage(stderr);
				return 2;
			}
			i++;
			if (!strcmp(opt, "--corpus")) {
				corpus = argv[i];
			} else if (parse_count(argv[i], &iterations) < 0) {
				fprintf(stderr,
				        CMD ": --iterations: '%s' is not a count from 1 to 2^40\n",
				        argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, CMD ": unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}

	if (msg_set_one(&sets[0], "invite", invite_headers, invite_sdp) < 0 ||
	    msg_set_one(&sets[1], "200ok", ok_headers, ok_sdp) < 0) {
		fprintf(stderr, CMD ": %s\n", strerror(ENOMEM));
		goto out;
	}
	if (msg_set_corpus(&sets[2], corpus) < 0)
		goto out;

	if (libre_init() != 0) {
		fprintf(stderr, CMD ": libre_init failed\n");
		goto out;
	}
	if (parser_init() != OSIP_SUCCESS) {
		fprintf(stderr, CMD ": osip2 parser_init failed\n");
		goto out_re;
	}
	/*
	 * osip2 as packaged prints every parse error on stdout: that would mix with the results
	 * and be timed too. A sink with every level off silences it.
	 */
	osip_trace_initialize_func(TRACE_LEVEL0, osip_trace_sink);
	for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++)
		osip_trace_disable_level((osip_trace_level_t)level);
	sofia_mclass = sip_default_mclass();
	for (size_t s = 0; s < 3; s++)
		if (msg_set_mbufs(&sets[s]) < 0) {
			fprintf(stderr, CMD ": %s\n", strerror(ENOMEM));
			goto out_re;
		}

	for (size_t s = 0; s < 3; s++)
		for (size_t p = 0; p < N_PEERS; p++) {
			struct result *r = &res[n_res++];

			r->peer = &peers[p];
			r->set = &sets[s];
			prepare(r, iterations);
		}
	if (measure_all(res, n_res) < 0) {
		fprintf(stderr, CMD ": %s\n", strerror(ENOMEM));
		goto out_re;
	}

	if (json)
		print_json(res, n_res);
	else
		print_table(res, n_res);
	rc = fflush(stdout) ? 2 : 0;
out_re:
	for (size_t s = 0; s < 3; s++)
		msg_set_free(&sets[s]);
	libre_close();
	return rc;
out:
	for (size_t s = 0; s < 3; s++)
		msg_set_free(&sets[s]);
	return rc;
}
