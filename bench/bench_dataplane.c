/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench dataplane: the real worker loop (dp_worker_main from the daemon's library) on
 * a DPDK port, fed in-process by a generator on the main lcore, against a plain forwarder on
 * the same port in the same run. The port is one end of a net_memif pair whose other end the
 * generator drives (the default: every packet is copied into and out of the shared-memory
 * rings, as a NIC's DMA would move it), or a net_ring port whose rings the generator fills and
 * empties directly (no copy at all: the highest ceiling this machine can show).
 *
 *   msgs_per_s              SIP messages the workers forwarded or relayed per second
 *   raw_ceiling_msgs_per_s  packets per second through the same generator and port when the
 *                           worker is replaced by rx_burst -> tx_burst of the same mbufs
 *   ratio                   msgs_per_s / raw_ceiling_msgs_per_s
 *
 * The two sides run in alternated rounds (sipsteer, forwarder, sipsteer, ...), so that what
 * else the machine does falls on both alike; each rate is its median round's, the ratio the
 * median of the rounds' ratios (sipsteer's round i over the forwarder's round i).
 *
 * Traffic: whole calls, INVITE (with SDP), 100, 180, 200 (with SDP), ACK, BYE, 200, over 100000
 * distinct Call-IDs; requests come from a client, responses from a backend and carry our Via
 * with a valid branch MAC, so each is relayed. Every packet has IPv4 and UDP checksums, which
 * the worker checks; it writes new ones on output. A message the worker drops is counted and
 * reported (there should be none).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sched.h>
#include <sys/socket.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <urcu-qsbr.h>

#include "bench.h"
#include "config.h"
#include "ctx.h"
#include "dp.h"
#include "eal_args.h"
#include "log.h"
#include "net.h"
#include "sip.h"
#include "sip_proxy.h"
#include "worker.h"

#define N_CALLS     100000
#define RING_SIZE   4096
#define GEN_BURST   32
#define MAX_WORKERS 8
/* Rounds of each side, alternated: sipsteer, plain forwarder, sipsteer, ... */
#define ROUNDS_DEFAULT 5
#define MAX_ROUNDS     50
#define CALL_MARK      "CCCCCCCC" /* 8 hex digits of the call number */
#define MAC_MARK       "MMMMMMMMMMMMMMMM"
#define CLIENT_IP      "198.18.0.1"
#define CLIENT_PORT    5061
#define BACKEND_PORT   5060

static const struct rte_ether_addr client_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
static const struct rte_ether_addr backend_mac = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x21}};

static const char sdp[] = "v=0\r\n"
                          "o=user1 53655765 2353687637 IN IP4 198.18.0.1\r\n"
                          "s=-\r\n"
                          "c=IN IP4 198.18.0.1\r\n"
                          "t=0 0\r\n"
                          "m=audio 6000 RTP/AVP 0 8 101\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:8 PCMA/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\n"
                          "a=fmtp:101 0-15\r\n"
                          "a=ptime:20\r\n"
                          "a=sendrecv\r\n";

enum txn {
	TXN_NONE = 0, /* a request */
	TXN_INVITE,   /* a response to the INVITE */
	TXN_BYE,      /* a response to the BYE */
};

/* One message of a call, with the places where the call's own bytes go. */
struct template
{
	char text[1500];
	uint32_t len;
	uint32_t n_call;
	uint32_t call_pos[8];
	int32_t mac_pos; /* -1: none */
	enum txn txn;
	bool from_backend;
};

#define N_TEMPLATES 7

enum port_kind {
	PORT_MEMIF,    /* the worker's port is a memif server, the generator its client */
	PORT_MEMIF_ZC, /* the worker's port is a zero-copy memif client, the generator its server */
	PORT_RING,     /* the worker's port is a ring port, the generator owns its rings */
	PORT_LOOP,     /* PORT_RING with the generator and the worker on one lcore, taking turns */
};

struct bench {
	enum port_kind kind;
	uint16_t gen_port; /* a memif pair: the generator's end */
	char memif_sock[108];
	struct template t[N_TEMPLATES];
	char (*mac)[2][DP_BRANCH_MAC_HEX]; /* per call: our branch MAC for INVITE and BYE */
	struct ctl_config cfg;
	struct dp_ctx ctx;
	struct rte_ring *rx[MAX_WORKERS];     /* generator -> worker */
	struct rte_ring *tx[MAX_WORKERS + 1]; /* worker -> generator (+1: control queue) */
	uint32_t client_ip, backend_ip;
	uint64_t next; /* message sequence number: call = next / 7, message = next % 7 */
};

/* A port whose rings the generator fills and empties itself (ring and loop). */
static inline bool on_rings(const struct bench *b)
{
	return b->kind == PORT_RING || b->kind == PORT_LOOP;
}

/* One side's rounds and what they add up to. */
struct result {
	uint64_t drop_by[DP_DROP_COUNT];
	double cpu_ns_per_msg; /* worker thread CPU time per message: robust on a shared machine */
	double msgs_per_s;     /* the median round's */
	double per_worker[MAX_WORKERS]; /* over all rounds */
	double round_rate[MAX_ROUNDS];  /* messages per second, round by round */
	uint32_t rounds;
	/* sums over the rounds */
	double elapsed;
	double worker_out[MAX_WORKERS];
	uint64_t out, drops, cpu_ns, handled;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: sipsteer-bench dataplane [--json] [--seconds N] [--rounds N]\n"
	        "                                [--workers N] [--port KIND]\n\n"
	        "  --json         one JSON object on stdout\n"
	        "  --seconds N    measuring time of each side, sipsteer and the plain\n"
	        "                 forwarder (default 5)\n"
	        "  --rounds N     split each side's time into N rounds, 1..%d (default %d),\n"
	        "                 the sides' rounds alternated; rates are the median round's\n"
	        "  --workers N    worker lcores, 1..%d (default 1); the generator is lcore 0\n"
	        "  --port memif   the workers' port is a net_memif server, the generator its\n"
	        "                 client in the same process: packets are copied through\n"
	        "                 shared-memory rings both ways (default)\n"
	        "  --port memif-zc\n"
	        "                 the memif pair with the workers' end a zero-copy client:\n"
	        "                 the generator's end copies into the workers' own mbufs\n"
	        "  --port ring    a net_ring port whose rings the generator fills and empties:\n"
	        "                 no copy, the highest ceiling\n"
	        "  --port loop    the ring port with the generator and one worker taking turns\n"
	        "                 on one core: the worker's own time per message (TSC), its\n"
	        "                 input in cache and no other core in the way; no ceiling,\n"
	        "                 and --seconds is the whole measuring time. The steadiest\n"
	        "                 figure for comparing two builds\n"
	        "  --help         this text\n",
	        MAX_ROUNDS, ROUNDS_DEFAULT, MAX_WORKERS);
}

static void mark_positions(struct template *t)
{
	t->n_call = 0;
	t->mac_pos = -1;
	for (char *p = t->text; (p = strstr(p, CALL_MARK)) != NULL; p += 8)
		if (t->n_call < 8)
			t->call_pos[t->n_call++] = (uint32_t)(p - t->text);
	char *m = strstr(t->text, MAC_MARK);
	if (m != NULL)
		t->mac_pos = (int32_t)(m - t->text);
}

static const char hex[] = "0123456789abcdef";

static inline void put_hex8(char *out, uint32_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
}

/* The requests, as the client sends them. */
static void build_requests(struct bench *b)
{
	const char *common = "From: sipp <sip:sipp@" CLIENT_IP ":5061>;tag=" CALL_MARK "\r\n"
	                     "To: service <sip:service@198.18.0.10:5060>%s\r\n"
	                     "Call-ID: " CALL_MARK "-bench@" CLIENT_IP "\r\n";
	char from_to[512];

	snprintf(from_to, sizeof(from_to), common, "");
	struct template *t = &b->t[0];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
	                            "Via: SIP/2.0/UDP " CLIENT_IP ":5061;branch=z9hG4bK-" CALL_MARK
	                            "-1\r\n"
	                            "%s"
	                            "CSeq: 1 INVITE\r\n"
	                            "Contact: sip:sipp@" CLIENT_IP ":5061\r\n"
	                            "Max-Forwards: 70\r\n"
	                            "Subject: Performance Test\r\n"
	                            "User-Agent: sipsteer-bench\r\n"
	                            "Content-Type: application/sdp\r\n"
	                            "Content-Length: %zu\r\n\r\n%s",
	                            from_to, strlen(sdp), sdp);

	snprintf(from_to, sizeof(from_to), common, ";tag=b" CALL_MARK);
	t = &b->t[4];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "ACK sip:service@198.18.0.21:5060 SIP/2.0\r\n"
	                            "Via: SIP/2.0/UDP " CLIENT_IP ":5061;branch=z9hG4bK-" CALL_MARK
	                            "-3\r\n"
	                            "%s"
	                            "CSeq: 1 ACK\r\n"
	                            "Contact: sip:sipp@" CLIENT_IP ":5061\r\n"
	                            "Max-Forwards: 70\r\n"
	                            "Subject: Performance Test\r\n"
	                            "Content-Length: 0\r\n\r\n",
	                            from_to);
	t = &b->t[5];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "BYE sip:service@198.18.0.21:5060 SIP/2.0\r\n"
	                            "Via: SIP/2.0/UDP " CLIENT_IP ":5061;branch=z9hG4bK-" CALL_MARK
	                            "-2\r\n"
	                            "%s"
	                            "CSeq: 2 BYE\r\n"
	                            "Contact: sip:sipp@" CLIENT_IP ":5061\r\n"
	                            "Max-Forwards: 70\r\n"
	                            "Subject: Performance Test\r\n"
	                            "Content-Length: 0\r\n\r\n",
	                            from_to);
}

/* The Via lines the proxy puts on a forwarded request: ours (MAC replaced by the mark) and the
 * client's as edited. Written into out; returns 0 or -1. */
static int forwarded_vias(struct bench *b, const struct template *req, char *out, size_t cap)
{
	static char buf[4096];
	struct sip_msg msg;
	struct dp_sip_peer src = {.addr = {.family = AF_INET, .port = CLIENT_PORT}};

	memcpy(src.addr.v4, &b->client_ip, 4);
	memcpy(buf + 512, req->text, req->len);
	if (sip_parse(buf + 512, req->len, &msg) < 0)
		return -1;
	struct dp_sip_buf sb = {.data = buf + 512,
	                        .len = req->len,
	                        .headroom = 512,
	                        .tailroom = (uint32_t)(sizeof(buf) - 512 - req->len)};
	if (dp_sip_forward_request(&b->ctx.sip[0], &sb, &msg, &src) != DP_SIP_OK)
		return -1;
	sb.data[sb.len] = '\0';

	size_t n = 0;
	for (char *line = sb.data; line != NULL && *line != '\0';) {
		char *end = strstr(line, "\r\n");
		if (end == NULL || end == line)
			break;
		end += 2;
		if (strncmp(line, "Via:", 4) == 0 || strncmp(line, "v:", 2) == 0) {
			if ((size_t)(end - line) >= cap - n)
				return -1;
			memcpy(out + n, line, (size_t)(end - line));
			n += (size_t)(end - line);
		}
		line = end;
	}
	out[n] = '\0';
	char *mac = strstr(out, DP_BRANCH_PREFIX);
	if (mac == NULL)
		return -1;
	memcpy(mac + sizeof(DP_BRANCH_PREFIX) - 1, MAC_MARK, DP_BRANCH_MAC_HEX);
	return 0;
}

static int build_responses(struct bench *b)
{
	char invite_vias[512], bye_vias[512];
	const char *dialog = "From: sipp <sip:sipp@" CLIENT_IP ":5061>;tag=" CALL_MARK "\r\n"
	                     "To: service <sip:service@198.18.0.10:5060>;tag=b" CALL_MARK "\r\n"
	                     "Call-ID: " CALL_MARK "-bench@" CLIENT_IP "\r\n";

	if (forwarded_vias(b, &b->t[0], invite_vias, sizeof(invite_vias)) < 0 ||
	    forwarded_vias(b, &b->t[5], bye_vias, sizeof(bye_vias)) < 0)
		return -1;
	struct template *t = &b->t[1];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "SIP/2.0 100 Trying\r\n%s"
	                            "From: sipp <sip:sipp@" CLIENT_IP ":5061>;tag=" CALL_MARK "\r\n"
	                            "To: service <sip:service@198.18.0.10:5060>\r\n"
	                            "Call-ID: " CALL_MARK "-bench@" CLIENT_IP "\r\n"
	                            "CSeq: 1 INVITE\r\n"
	                            "Content-Length: 0\r\n\r\n",
	                            invite_vias);
	t = &b->t[2];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "SIP/2.0 180 Ringing\r\n%s%s"
	                            "CSeq: 1 INVITE\r\n"
	                            "Contact: <sip:service@198.18.0.21:5060;transport=UDP>\r\n"
	                            "Content-Length: 0\r\n\r\n",
	                            invite_vias, dialog);
	t = &b->t[3];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "SIP/2.0 200 OK\r\n%s%s"
	                            "CSeq: 1 INVITE\r\n"
	                            "Contact: <sip:service@198.18.0.21:5060;transport=UDP>\r\n"
	                            "Content-Type: application/sdp\r\n"
	                            "Content-Length: %zu\r\n\r\n%s",
	                            invite_vias, dialog, strlen(sdp), sdp);
	t = &b->t[6];
	t->len = (uint32_t)snprintf(t->text, sizeof(t->text),
	                            "SIP/2.0 200 OK\r\n%s%s"
	                            "CSeq: 2 BYE\r\n"
	                            "Contact: <sip:service@198.18.0.21:5060;transport=UDP>\r\n"
	                            "Content-Length: 0\r\n\r\n",
	                            bye_vias, dialog);
	b->t[1].txn = b->t[2].txn = b->t[3].txn = TXN_INVITE;
	b->t[6].txn = TXN_BYE;
	for (int i = 1; i <= 6; i++)
		b->t[i].from_backend = i != 4 && i != 5;
	return 0;
}

/* Fill buf with message k of call c; returns its length. */
static uint32_t fill(const struct bench *b, int k, uint32_t c, char *buf)
{
	const struct template *t = &b->t[k];

	memcpy(buf, t->text, t->len);
	for (uint32_t i = 0; i < t->n_call; i++)
		put_hex8(buf + t->call_pos[i], c);
	if (t->mac_pos >= 0)
		memcpy(buf + t->mac_pos, b->mac[c][t->txn == TXN_BYE], DP_BRANCH_MAC_HEX);
	return t->len;
}

/* Our branch MACs for every call's INVITE and BYE, as the proxy computes them. */
static int compute_macs(struct bench *b)
{
	char buf[1500], branch[64];
	struct sip_msg msg;
	const int req[2] = {0, 5};
	struct dp_sip_peer src = {.addr = {.family = AF_INET, .port = CLIENT_PORT}};
	struct lb_addr dest;

	memcpy(src.addr.v4, &b->client_ip, 4);

	b->mac = calloc(N_CALLS, sizeof(*b->mac));
	if (b->mac == NULL)
		return -1;
	for (uint32_t c = 0; c < N_CALLS; c++) {
		for (int r = 0; r < 2; r++) {
			uint32_t len = fill(b, req[r], c, buf);
			if (sip_parse(buf, len, &msg) < 0)
				return -1;
			dp_sip_response_dest(&msg.top_via, &src, &dest);
			size_t n =
			    dp_sip_branch(&b->ctx.sip[0], buf, &msg, &msg.top_via, &dest, branch);
			memcpy(b->mac[c][r], branch + n - DP_BRANCH_MAC_HEX, DP_BRANCH_MAC_HEX);
		}
	}
	return 0;
}

/* Send one burst of the next messages to worker w: into its RX ring, or through the memif. */
static void generate(struct bench *b, uint32_t w)
{
	struct rte_mbuf *pkts[GEN_BURST];

	if (on_rings(b) && rte_ring_free_count(b->rx[w]) < GEN_BURST)
		return;
	if (rte_pktmbuf_alloc_bulk(b->ctx.pool, pkts, GEN_BURST) != 0)
		return;
	for (int i = 0; i < GEN_BURST; i++) {
		uint64_t seq = b->next++;
		int k = (int)(seq % N_TEMPLATES);
		uint32_t c = (uint32_t)((seq / N_TEMPLATES) % N_CALLS);
		const struct template *t = &b->t[k];
		char *payload = rte_pktmbuf_mtod(pkts[i], char *) + DP_UDP4_HDR_LEN;
		uint32_t len = fill(b, k, c, payload);

		if (t->from_backend)
			dp_udp4_write(pkts[i], &backend_mac, &b->ctx.ports[0].mac, b->backend_ip,
			              BACKEND_PORT, b->ctx.vip4, b->ctx.sip_ports[0], len);
		else
			dp_udp4_write(pkts[i], &client_mac, &b->ctx.ports[0].mac, b->client_ip,
			              CLIENT_PORT, b->ctx.vip4, b->ctx.sip_ports[0], len);
	}
	unsigned int n = on_rings(b)
	                     ? rte_ring_sp_enqueue_burst(b->rx[w], (void **)pkts, GEN_BURST, NULL)
	                     : rte_eth_tx_burst(b->gen_port, (uint16_t)w, pkts, GEN_BURST);
	if (n < GEN_BURST)
		rte_pktmbuf_free_bulk(pkts + n, GEN_BURST - n);
}

/* Take back (and free) what the port sent on TX queue q; returns how many. */
static uint64_t collect(struct bench *b, uint32_t q)
{
	struct rte_mbuf *pkts[256];
	uint64_t total = 0;
	unsigned int n;

	do {
		n = on_rings(b)
		        ? rte_ring_sc_dequeue_burst(b->tx[q], (void **)pkts, RTE_DIM(pkts), NULL)
		        : rte_eth_rx_burst(b->gen_port, (uint16_t)q, pkts, RTE_DIM(pkts));
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	} while (n == RTE_DIM(pkts));
	return total;
}

/* Packets still queued towards the workers (ring port only; a memif keeps its own). */
static void drain_input(struct bench *b, uint32_t w)
{
	struct rte_mbuf *pkts[256];
	unsigned int n;

	if (!on_rings(b))
		return;
	do {
		n = rte_ring_sc_dequeue_burst(b->rx[w], (void **)pkts, RTE_DIM(pkts), NULL);
		rte_pktmbuf_free_bulk(pkts, n);
	} while (n == RTE_DIM(pkts));
}

/* CPU time each worker thread used in its last run. */
static uint64_t worker_cpu_ns[MAX_WORKERS];

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* dp_worker_main, with the thread's CPU time recorded. */
static int timed_worker(void *arg)
{
	struct dp_worker *w = arg;
	uint64_t start = thread_cpu_ns();
	int rc = dp_worker_main(arg);

	worker_cpu_ns[w->queue] = thread_cpu_ns() - start;
	return rc;
}

/* The peer: the same port and queues, every packet sent back untouched. */
static int raw_forwarder(void *arg)
{
	struct dp_worker *w = arg;
	struct rte_mbuf *pkts[DP_MAX_BURST];
	uint16_t port = w->ctx->ports[0].port_id;

	while (!__atomic_load_n(&w->ctx->stop, __ATOMIC_RELAXED)) {
		uint16_t n = rte_eth_rx_burst(port, w->queue, pkts, (uint16_t)w->ctx->burst);
		uint16_t sent = rte_eth_tx_burst(port, w->queue, pkts, n);
		if (sent < n)
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return 0;
}

static uint64_t worker_output(const struct dp_worker *w)
{
	return DP_READ(w->counters.forwarded) + DP_READ(w->counters.relayed);
}

static uint64_t worker_drops(const struct dp_worker *w)
{
	uint64_t d = 0;

	for (int i = 0; i < DP_DROP_COUNT; i++)
		d += DP_READ(w->counters.drops[i]);
	return d;
}

/*
 * One timed round: launch fn on every worker, generate for warm-up + seconds, stop; the
 * round's figures are added to r.
 */
static void run_round(struct bench *b, lcore_function_t *fn, uint64_t warmup_ns, double seconds,
                      struct result *r)
{
	struct dp_ctx *ctx = &b->ctx;
	uint64_t before[MAX_WORKERS], out = 0;
	uint64_t measure_ns = (uint64_t)(seconds * 1e9);

	__atomic_store_n(&ctx->stop, false, __ATOMIC_RELEASE);
	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		memset(&ctx->workers[w].counters, 0, sizeof(ctx->workers[w].counters));
		rte_eal_remote_launch(fn, &ctx->workers[w], ctx->workers[w].lcore);
	}
	rcu_thread_offline();
	uint64_t start = bench_now_ns(), t0 = 0, now;
	bool measuring = false;
	while ((now = bench_now_ns()) - start < warmup_ns + measure_ns) {
		if (!measuring && now - start >= warmup_ns) {
			measuring = true;
			t0 = now;
			out = 0;
			for (uint32_t w = 0; w < ctx->n_workers; w++)
				before[w] = worker_output(&ctx->workers[w]);
		}
		for (uint32_t w = 0; w < ctx->n_workers; w++) {
			out += collect(b, w);
			generate(b, w);
		}
	}
	double elapsed = (double)(bench_now_ns() - t0) / 1e9;
	__atomic_store_n(&ctx->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	rcu_thread_online();
	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		r->worker_out[w] += (double)(worker_output(&ctx->workers[w]) - before[w]);
		r->drops += worker_drops(&ctx->workers[w]);
		for (int d = 0; d < DP_DROP_COUNT; d++)
			r->drop_by[d] += DP_READ(ctx->workers[w].counters.drops[d]);
		r->cpu_ns += worker_cpu_ns[w];
		worker_cpu_ns[w] = 0;
		r->handled += worker_output(&ctx->workers[w]) + worker_drops(&ctx->workers[w]);
	}
	r->out += out;
	r->elapsed += elapsed;
	r->round_rate[r->rounds++] = (double)out / elapsed;
	/* Drain what is left so the next round starts empty. */
	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		collect(b, w);
		drain_input(b, w);
	}
	collect(b, ctx->n_workers);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, uint32_t n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* A side's totals once its rounds are in. */
static void result_finish(const struct bench *b, struct result *r)
{
	r->msgs_per_s = median(r->round_rate, r->rounds);
	for (uint32_t w = 0; w < b->ctx.n_workers; w++)
		r->per_worker[w] = r->elapsed > 0 ? r->worker_out[w] / r->elapsed : 0;
	r->cpu_ns_per_msg = r->handled ? (double)r->cpu_ns / (double)r->handled : 0;
}

/*
 * Both sides in alternating rounds, so that whatever else the machine does falls on both
 * alike: sipsteer's round 1, the forwarder's round 1, sipsteer's round 2, ... The first round
 * of each side warms up for 0.5 s, the others for 0.2 s. ratio[i] = sipsteer's round i over the
 * forwarder's round i.
 */
static void run_sides(struct bench *b, double seconds, uint32_t rounds, struct result *sip,
                      struct result *raw, double *ratio)
{
	memset(sip, 0, sizeof(*sip));
	memset(raw, 0, sizeof(*raw));
	for (uint32_t i = 0; i < rounds; i++) {
		uint64_t warmup_ns = i == 0 ? 500000000ull : 200000000ull;
		run_round(b, timed_worker, warmup_ns, seconds / rounds, sip);
		run_round(b, raw_forwarder, warmup_ns, seconds / rounds, raw);
		ratio[i] = raw->round_rate[i] > 0 ? sip->round_rate[i] / raw->round_rate[i] : 0;
	}
	result_finish(b, sip);
	result_finish(b, raw);
}

static int setup_ring_port(struct bench *b)
{
	struct dp_ctx *ctx = &b->ctx;
	char name[RTE_RING_NAMESIZE];
	struct rte_eth_conf conf;

	for (uint32_t q = 0; q <= ctx->n_workers; q++) {
		snprintf(name, sizeof(name), "bench_tx%u", q);
		b->tx[q] = rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (q < ctx->n_workers) {
			snprintf(name, sizeof(name), "bench_rx%u", q);
			b->rx[q] =
			    rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		}
		if (b->tx[q] == NULL || (q < ctx->n_workers && b->rx[q] == NULL))
			return -1;
	}
	int port =
	    rte_eth_from_rings("bench0", b->rx, ctx->n_workers, b->tx, ctx->n_workers + 1, 0);
	if (port < 0)
		return -1;
	memset(&conf, 0, sizeof(conf));
	struct dp_port *p = &ctx->ports[0];
	p->port_id = (uint16_t)port;
	p->ctl_txq = (uint16_t)ctx->n_workers;
	snprintf(p->name, sizeof(p->name), "bench0");
	if (rte_eth_dev_configure(p->port_id, (uint16_t)ctx->n_workers,
	                          (uint16_t)(ctx->n_workers + 1), &conf) < 0)
		return -1;
	for (uint16_t q = 0; q < ctx->n_workers; q++)
		if (rte_eth_rx_queue_setup(p->port_id, q, RING_SIZE, 0, NULL, ctx->pool) < 0)
			return -1;
	for (uint16_t q = 0; q <= ctx->n_workers; q++)
		if (rte_eth_tx_queue_setup(p->port_id, q, RING_SIZE, 0, NULL) < 0)
			return -1;
	if (rte_eth_dev_start(p->port_id) < 0 || rte_eth_macaddr_get(p->port_id, &p->mac) < 0)
		return -1;
	ctx->n_ports = 1;
	return 0;
}

/* Configure and start one port with these queue counts, RX mbufs from the context's pool. */
static int start_port(struct bench *b, uint16_t port, uint16_t n_rx, uint16_t n_tx)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, n_rx, n_tx, &conf) < 0)
		return -1;
	for (uint16_t q = 0; q < n_rx; q++)
		if (rte_eth_rx_queue_setup(port, q, RING_SIZE, 0, NULL, b->ctx.pool) < 0)
			return -1;
	for (uint16_t q = 0; q < n_tx; q++)
		if (rte_eth_tx_queue_setup(port, q, RING_SIZE, 0, NULL) < 0)
			return -1;
	return rte_eth_dev_start(port);
}

/*
 * The memif pair given to EAL as net_memif0 (server: the workers' port) and net_memif1 (its
 * client: the generator's). The client's rings mirror the server's: one to each worker's RX
 * queue, one from each worker TX queue and from the control queue.
 */
static int setup_memif_port(struct bench *b)
{
	struct dp_ctx *ctx = &b->ctx;
	struct dp_port *p = &ctx->ports[0];
	uint16_t wport, gport;
	struct rte_eth_link link;

	if (rte_eth_dev_get_port_by_name("net_memif0", &wport) != 0 ||
	    rte_eth_dev_get_port_by_name("net_memif1", &gport) != 0)
		return -1;
	p->port_id = wport;
	p->ctl_txq = (uint16_t)ctx->n_workers;
	snprintf(p->name, sizeof(p->name), "net_memif0");
	b->gen_port = gport;
	/* The server end is started first: a client started before it may never connect. */
	bool gen_first = b->kind == PORT_MEMIF_ZC;
	if ((gen_first &&
	     start_port(b, gport, (uint16_t)(ctx->n_workers + 1), (uint16_t)ctx->n_workers) < 0) ||
	    start_port(b, wport, (uint16_t)ctx->n_workers, (uint16_t)(ctx->n_workers + 1)) < 0 ||
	    (!gen_first &&
	     start_port(b, gport, (uint16_t)(ctx->n_workers + 1), (uint16_t)ctx->n_workers) < 0) ||
	    rte_eth_macaddr_get(wport, &p->mac) < 0)
		return -1;
	ctx->n_ports = 1;
	/* The two ends connect over the control socket in EAL's interrupt thread. */
	for (int i = 0; i < 500; i++) {
		bool up = true;
		if (rte_eth_link_get_nowait(wport, &link) < 0 || !link.link_status)
			up = false;
		if (rte_eth_link_get_nowait(gport, &link) < 0 || !link.link_status)
			up = false;
		if (up)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "sipsteer-bench dataplane: the memif pair did not connect in 5 s\n");
	return -1;
}

static int setup_port(struct bench *b)
{
	return on_rings(b) ? setup_ring_port(b) : setup_memif_port(b);
}

/* The backends of the embedded config, the client, all on-link: one neighbour snapshot. */
static int publish_neighbours(struct bench *b)
{
	struct dp_neigh n[1 + 3];
	uint32_t count = 0;

	n[count].ip = b->client_ip;
	memcpy(n[count].mac, client_mac.addr_bytes, 6);
	n[count++].port = 0;
	for (uint32_t i = 0; i < b->cfg.n_backends && count < RTE_DIM(n); i++) {
		memcpy(&n[count].ip, b->cfg.backends[i].addr.v4, 4);
		memcpy(n[count].mac, backend_mac.addr_bytes, 6);
		n[count++].port = 0;
	}
	struct dp_neigh_table *t = dp_neigh_table_build(n, count);
	if (t == NULL)
		return -1;
	dp_neigh_publish(&b->ctx.neigh, t);
	return 0;
}

static int eal_init(struct bench *b, uint32_t workers)
{
	char lcores[256], prefix[64], server[192], client[192], *argv[16];
	int argc = 0;
	cpu_set_t set;
	int cpus[64], n_cpus = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && n_cpus < 64; c++)
			if (CPU_ISSET(c, &set))
				cpus[n_cpus++] = c;
	if (n_cpus == 0)
		cpus[n_cpus++] = 0;
	size_t n = (size_t)snprintf(lcores, sizeof(lcores), "--lcores=0@%d", cpus[0]);
	for (uint32_t w = 1; w <= workers; w++)
		n += (size_t)snprintf(lcores + n, sizeof(lcores) - n, ",%u@%d", w,
		                      cpus[w % (uint32_t)n_cpus]);
	snprintf(prefix, sizeof(prefix), "--file-prefix=sipsteer-bench-%d", (int)getpid());
	argv[argc++] = "sipsteer-bench";
	argv[argc++] = prefix;
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "512";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=lib.eal:error";
	/* the fragment table's creation note, once per worker and round */
	argv[argc++] = "--log-level=user1:warning";
	argv[argc++] = lcores;
	if (!on_rings(b)) {
		/*
		 * The pair's control socket: the server creates it, the client connects to it, so
		 * the server end comes first. net_memif0 is the workers' end: the server, or with
		 * zero-copy (which DPDK allows on a client only, its memory in one file per segment
		 * list) the client.
		 */
		bool zc = b->kind == PORT_MEMIF_ZC;
		snprintf(b->memif_sock, sizeof(b->memif_sock), "/tmp/sipsteer-bench-%d.sock",
		         (int)getpid());
		snprintf(server, sizeof(server), "--vdev=net_memif%d,role=server,id=0,socket=%s",
		         zc ? 1 : 0, b->memif_sock);
		snprintf(client, sizeof(client), "--vdev=net_memif%d,role=client,id=0,socket=%s%s",
		         zc ? 0 : 1, b->memif_sock, zc ? ",zero-copy=yes" : "");
		if (zc)
			argv[argc++] = "--single-file-segments";
		argv[argc++] = server;
		argv[argc++] = client;
	}
	argv[argc] = NULL;
	return rte_eal_init(argc, argv);
}

static int setup(struct bench *b, uint32_t workers)
{
	char err[256];
	struct lb_config lbc;

	if (ctl_config_parse("<embedded>", ctl_config_embedded, strlen(ctl_config_embedded),
	                     &b->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "sipsteer-bench: embedded config: %s\n", err);
		return -1;
	}
	b->cfg.workers = workers;
	b->cfg.idle_sleep_us = 0; /* busy-poll: the generator never pauses */
	dp_ctx_init(&b->ctx, &b->cfg);
	memcpy(&b->client_ip, (uint8_t[]){198, 18, 0, 1}, 4);
	memcpy(&b->backend_ip, b->cfg.backends[0].addr.v4, 4);
	if (dp_workers_init(&b->ctx) < 0)
		return -1;
	b->ctx.pool =
	    rte_pktmbuf_pool_create("bench_mbufs", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (b->ctx.pool == NULL || setup_port(b) < 0) {
		fprintf(stderr, "sipsteer-bench: %s port: %s\n", on_rings(b) ? "ring" : "memif",
		        rte_strerror(rte_errno));
		return -1;
	}
	ctl_config_lb(&b->cfg, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, sizeof(err));
	if (set == NULL) {
		fprintf(stderr, "sipsteer-bench: backends: %s\n", err);
		return -1;
	}
	lb_publish(&b->ctx.lb, set);
	if (publish_neighbours(b) < 0)
		return -1;
	build_requests(b);
	if (build_responses(b) < 0) {
		fprintf(stderr,
		        "sipsteer-bench: cannot build the responses (proxy refused a request)\n");
		return -1;
	}
	for (int k = 0; k < N_TEMPLATES; k++)
		mark_positions(&b->t[k]);
	if (compute_macs(b) < 0) {
		fprintf(stderr, "sipsteer-bench: a generated request does not parse\n");
		return -1;
	}
	return 0;
}

/* "message_bytes":[...],"drop_reasons":{...} of a JSON result (no comma around). */
static void print_json_sizes_drops(const struct bench *b, const uint64_t *drop_by)
{
	bool first = true;

	printf("\"message_bytes\":[");
	for (int k = 0; k < N_TEMPLATES; k++)
		printf("%s%u", k ? "," : "", b->t[k].len);
	printf("],\"drop_reasons\":{");
	for (int d = 0; d < DP_DROP_COUNT; d++) {
		if (drop_by[d] == 0)
			continue;
		printf("%s\"%s\":%" PRIu64, first ? "" : ",", dp_drop_name((enum dp_drop)d),
		       drop_by[d]);
		first = false;
	}
	printf("}");
}

/* One line per drop reason that counted any. */
static void print_text_drops(const uint64_t *drop_by)
{
	for (int d = 0; d < DP_DROP_COUNT; d++)
		if (drop_by[d] != 0)
			printf("    dropped %-22s %" PRIu64 "\n", dp_drop_name((enum dp_drop)d),
			       drop_by[d]);
}

/*
 * --port loop: the generator and the worker take turns on the main lcore over the ring port
 * (a burst in, one dp_worker_poll() timed by the TSC, the output taken back and freed). With
 * no second core there is none of the cache-line traffic between cores, nor its noise: what is
 * left is the worker's own time per message with its input in cache. That is not a rate the
 * worker reaches on a real port, where each packet comes from another core's or a NIC's
 * writes, but it is the steadiest figure this machine gives for comparing two builds or two
 * versions of the code. A warm-up round of 0.5 s comes first, uncounted.
 */
struct loop_result {
	double round_ns[MAX_ROUNDS]; /* the worker's ns per message, round by round */
	uint32_t rounds;
	uint64_t msgs, drops;
	uint64_t drop_by[DP_DROP_COUNT];
};

static void run_loop(struct bench *b, double seconds, uint32_t rounds, struct loop_result *r)
{
	struct dp_worker *w = &b->ctx.workers[0];
	double ns_per_cycle = 1e9 / (double)rte_get_tsc_hz();
	uint64_t round_ns = (uint64_t)(seconds / rounds * 1e9);

	memset(r, 0, sizeof(*r));
	memset(&w->counters, 0, sizeof(w->counters));
	for (uint32_t i = 0; i <= rounds; i++) {
		uint64_t cycles = 0, before = worker_output(w), start = bench_now_ns();
		uint64_t length = i == 0 ? 500000000u : round_ns;

		while (bench_now_ns() - start < length) {
			for (int k = 0; k < 16; k++) {
				generate(b, 0);
				uint64_t t0 = rte_rdtsc();
				dp_worker_poll(w);
				cycles += rte_rdtsc() - t0;
				collect(b, 0);
			}
			rcu_quiescent_state();
		}
		uint64_t out = worker_output(w) - before;
		if (i == 0)
			continue;
		r->round_ns[r->rounds++] = out ? (double)cycles * ns_per_cycle / (double)out : 0;
		r->msgs += out;
	}
	r->drops = worker_drops(w);
	for (int d = 0; d < DP_DROP_COUNT; d++)
		r->drop_by[d] = DP_READ(w->counters.drops[d]);
	drain_input(b, 0);
	collect(b, 0);
}

static void print_loop(const struct bench *b, const struct loop_result *r, double seconds,
                       bool json)
{
	double med = median(r->round_ns, r->rounds), best = r->round_ns[0];

	for (uint32_t i = 1; i < r->rounds; i++)
		if (r->round_ns[i] < best)
			best = r->round_ns[i];
	if (json) {
		printf("{\"bench\":\"dataplane\",\"port\":\"loop\",\"workers\":1,"
		       "\"ns_per_msg\":%.1f,\"ns_per_msg_best\":%.1f,\"one_core_msgs_per_s\":%.0f,"
		       "\"rounds\":%u,\"round_ns_per_msg\":[",
		       med, best, med > 0 ? 1e9 / med : 0, r->rounds);
		for (uint32_t i = 0; i < r->rounds; i++)
			printf("%s%.1f", i ? "," : "", r->round_ns[i]);
		printf("],\"messages\":%" PRIu64 ",\"drops\":%" PRIu64
		       ",\"seconds\":%.1f,\"calls\":%d,",
		       r->msgs, r->drops, seconds, N_CALLS);
		print_json_sizes_drops(b, r->drop_by);
		printf(",\"parser\":\"%s\"}\n", sip_parser_impl());
		return;
	}
	printf("dataplane, loop: generator and one worker taking turns on one core, %.1f s in %u "
	       "rounds, %d calls\n",
	       seconds, r->rounds, N_CALLS);
	printf("  worker           %12.1f ns/msg  (median round; best %.1f; rounds:", med, best);
	for (uint32_t i = 0; i < r->rounds; i++)
		printf(" %.1f", r->round_ns[i]);
	printf(")\n  one core         %12.0f msgs/s  (its input in cache; no port ceiling)\n",
	       med > 0 ? 1e9 / med : 0);
	printf("  messages         %12" PRIu64 "  (drops %" PRIu64 ")\n", r->msgs, r->drops);
	print_text_drops(r->drop_by);
}

static const char *port_name(const struct bench *b)
{
	return b->kind == PORT_RING    ? "net_ring"
	       : b->kind == PORT_MEMIF ? "net_memif"
	                               : "net_memif-zc";
}

static void print(const struct bench *b, const struct result *sip, const struct result *raw,
                  const double *ratios, double seconds, bool json)
{
	double ratio = median(ratios, sip->rounds);

	if (json) {
		printf("{\"bench\":\"dataplane\",\"workers\":%u,\"msgs_per_s\":%.0f,"
		       "\"raw_ceiling_msgs_per_s\":%.0f,\"ratio\":%.3f,\"per_worker_msgs_per_s\":[",
		       b->ctx.n_workers, sip->msgs_per_s, raw->msgs_per_s, ratio);
		for (uint32_t w = 0; w < b->ctx.n_workers; w++)
			printf("%s%.0f", w ? "," : "", sip->per_worker[w]);
		printf("],\"rounds\":%u,\"round_ratios\":[", sip->rounds);
		for (uint32_t i = 0; i < sip->rounds; i++)
			printf("%s%.3f", i ? "," : "", ratios[i]);
		printf("],\"round_msgs_per_s\":[");
		for (uint32_t i = 0; i < sip->rounds; i++)
			printf("%s%.0f", i ? "," : "", sip->round_rate[i]);
		printf("],\"round_raw_ceiling_msgs_per_s\":[");
		for (uint32_t i = 0; i < raw->rounds; i++)
			printf("%s%.0f", i ? "," : "", raw->round_rate[i]);
		printf("],\"worker_cpu_ns_per_msg\":%.0f,\"drops\":%" PRIu64
		       ",\"seconds\":%.1f,\"calls\":%d,",
		       sip->cpu_ns_per_msg, sip->drops, seconds, N_CALLS);
		print_json_sizes_drops(b, sip->drop_by);
		printf(",\"port\":\"%s\",\"parser\":\"%s\"}\n", port_name(b), sip_parser_impl());
		return;
	}
	printf("dataplane: %u worker(s), %.1f s each side in %u alternated rounds, %d calls, "
	       "messages of",
	       b->ctx.n_workers, seconds, sip->rounds, N_CALLS);
	for (int k = 0; k < N_TEMPLATES; k++)
		printf(" %u", b->t[k].len);
	printf(" bytes\n");
	printf("  sipsteer worker  %12.0f msgs/s  (drops %" PRIu64 ")\n", sip->msgs_per_s,
	       sip->drops);
	print_text_drops(sip->drop_by);
	for (uint32_t w = 0; w < b->ctx.n_workers; w++)
		printf("    worker %u      %12.0f msgs/s\n", w, sip->per_worker[w]);
	printf("  worker CPU       %12.0f ns/msg (warm-up included)\n", sip->cpu_ns_per_msg);
	char label[32];
	snprintf(label, sizeof(label), "raw %s ceiling", port_name(b) + strlen("net_"));
	printf("  %-17s%12.0f pkts/s\n", label, raw->msgs_per_s);
	printf("  ratio            %12.3f  (median round; rounds:", ratio);
	for (uint32_t i = 0; i < sip->rounds; i++)
		printf(" %.3f", ratios[i]);
	printf(")\n");
}

int bench_dataplane_main(int argc, char **argv)
{
	static struct bench b;
	bool json = false;
	double seconds = 5;
	uint32_t workers = 1;
	static struct result sip, raw;
	double ratios[MAX_ROUNDS];
	uint32_t rounds = ROUNDS_DEFAULT;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--seconds") || !strcmp(argv[i], "--rounds") ||
		           !strcmp(argv[i], "--workers")) {
			const char *opt = argv[i], *v = i + 1 < argc ? argv[++i] : NULL;
			uint64_t n = 0;
			bool ok;
			if (v == NULL) {
				fprintf(stderr, "sipsteer-bench dataplane: %s needs a value\n",
				        opt);
				return 2;
			}
			if (!strcmp(opt, "--seconds")) {
				ok = bench_parse_decimal(v, &seconds) == 0 && seconds > 0 &&
				     seconds <= 3600;
			} else if (!strcmp(opt, "--rounds")) {
				ok = bench_parse_u64(v, 1, MAX_ROUNDS, &n) == 0;
				rounds = (uint32_t)n;
			} else {
				ok = bench_parse_u64(v, 1, MAX_WORKERS, &n) == 0;
				workers = (uint32_t)n;
			}
			if (!ok && !strcmp(opt, "--seconds")) {
				fprintf(
				    stderr,
				    "sipsteer-bench dataplane: --seconds '%s': want a number of "
				    "seconds, 0 < N <= 3600\n",
				    v);
				return 2;
			}
			if (!ok) {
				fprintf(stderr,
				        "sipsteer-bench dataplane: %s '%s': want a number from 1 "
				        "to %d\n",
				        opt, v,
				        !strcmp(opt, "--rounds") ? MAX_ROUNDS : MAX_WORKERS);
				return 2;
			}
		} else if (!strcmp(argv[i], "--port")) {
			if (++i == argc) {
				fprintf(stderr, "sipsteer-bench dataplane: --port needs a value\n");
				return 2;
			}
			if (!strcmp(argv[i], "memif")) {
				b.kind = PORT_MEMIF;
			} else if (!strcmp(argv[i], "memif-zc")) {
				b.kind = PORT_MEMIF_ZC;
			} else if (!strcmp(argv[i], "ring")) {
				b.kind = PORT_RING;
			} else if (!strcmp(argv[i], "loop")) {
				b.kind = PORT_LOOP;
			} else {
				fprintf(stderr,
				        "sipsteer-bench dataplane: --port: memif, memif-zc, ring "
				        "or loop, "
				        "not '%s'\n",
				        argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "sipsteer-bench dataplane: unknown argument '%s'\n",
			        argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (b.kind == PORT_LOOP && workers != 1) {
		fprintf(stderr, "sipsteer-bench dataplane: --port loop runs one worker, not %u\n",
		        workers);
		return 2;
	}
	log_set_level(LOG_LEVEL_ERROR);
	dp_drop_names_init();
	if (eal_init(&b, workers) < 0) {
		fprintf(stderr, "sipsteer-bench dataplane: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rcu_register_thread();
	int rc = setup(&b, workers);
	if (rc == 0 && b.kind == PORT_LOOP) {
		static struct loop_result lr;
		run_loop(&b, seconds, rounds, &lr);
		print_loop(&b, &lr, seconds, json);
	} else if (rc == 0) {
		run_sides(&b, seconds, rounds, &sip, &raw, ratios);
		print(&b, &sip, &raw, ratios, seconds, json);
	}
	/* the results are out before the teardown below */
	fflush(stdout);
	lb_publish(&b.ctx.lb, NULL);
	dp_neigh_publish(&b.ctx.neigh, NULL);
	rcu_thread_offline();
	rcu_barrier();
	rcu_unregister_thread();
	char runtime_dir[PATH_MAX], own[64];
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	snprintf(own, sizeof(own), "sipsteer-bench-%d", (int)getpid());
	/*
	 * A memif pair is neither stopped nor closed, nor EAL cleaned up (which closes it): with
	 * both ends in this process, DPDK 22.11's memif handles one end's disconnect in EAL's
	 * interrupt thread while this thread stops or closes the other, and that race can crash
	 * the process (seen once in about 25 runs, in the interrupt thread, after the results).
	 * The process ends here, which frees what the pair holds; its control socket is in the
	 * abstract namespace, with no file to remove.
	 */
	if (on_rings(&b)) {
		if (b.ctx.n_ports)
			rte_eth_dev_stop(b.ctx.ports[0].port_id);
		rte_eal_cleanup();
	}
	dp_eal_remove_runtime_dir(runtime_dir, own);
	free(b.mac);
	return rc == 0 ? 0 : 1;
}
