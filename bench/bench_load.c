/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench load: a SIP call generator (--uac) and a backend reflector (--uas) in one
 * single-threaded tool over UDP sockets with recvmmsg/sendmmsg, or over a DPDK port (--dpdk: the
 * tool then plays the link behind the port, load_dpdk.h).
 *
 * A call is INVITE, 100, 180, 200, ACK, BYE, 200 under one Call-ID of its own. The client sends
 * INVITEs at a fixed rate to a target (a load balancer, or a backend directly), answers each 200
 * with an ACK and a BYE at once, and checks every response: the right call, the right
 * transaction (its own Via branch, and nothing above it), no duplicate. A backend answers INVITE
 * with 100, 180 and 200 (To tag, Contact, SDP), BYE and OPTIONS with 200, other methods with
 * 501, ACK with nothing; responses go where the top Via says (RFC 3261 18.2.2). With both roles
 * in one process, each of the 7 messages of a call is checked off when it arrives, so message
 * loss is exact. Lost messages are counted, never retransmitted.
 *
 * Latency is INVITE sent to 200 received. A progress line goes to stderr every second; the
 * result to stdout (--json: one JSON object). See docs/performance.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "bench.h"
#include "load_dpdk.h"
#include "load_hist.h"
#include "load_main.h"
#include "load_sip.h"
#include "sip.h"

#define BATCH        64   /* datagrams per recvmmsg / sendmmsg */
#define MSG_MAX      2048 /* largest datagram we build or accept */
#define MAX_UAS      16
#define MAX_CALLS    (1u << 24)
#define RX_ROUNDS    4 /* recvmmsg calls per socket per loop turn: keeps the sender paced */
#define SOCK_BUF     (8 << 20)
#define NS_PER_S     1000000000ull
#define IDLE_WAIT_NS 50000000ull /* longest sleep when idle: progress lines stay on time */
#define DPDK_IDLE_NS 50000ull    /* --dpdk: longest nap when idle (nothing to wake us) */
#define DPDK_PORT    5070        /* --dpdk: the client's port when --local gives none */
#define ARP_WAIT_MS  10000

/* The 7 messages of a call, as bits of call.seen. */
enum call_bit {
	BIT_INVITE = 1 << 0, /* seen by the backend */
	BIT_100 = 1 << 1,
	BIT_180 = 1 << 2,
	BIT_200 = 1 << 3,
	BIT_ACK = 1 << 4, /* seen by the backend */
	BIT_BYE = 1 << 5, /* seen by the backend */
	BIT_BYE_200 = 1 << 6,
};
#define UAC_BITS (BIT_100 | BIT_180 | BIT_200 | BIT_BYE_200)
#define UAS_BITS (BIT_INVITE | BIT_ACK | BIT_BYE)

struct call {
	uint64_t t_invite; /* ns, when its INVITE went out */
	uint8_t seen;      /* enum call_bit */
	bool failed;       /* an error response came back */
};

/* Datagrams waiting for one sendmmsg on one socket. */
struct txq {
	unsigned n;
	struct mmsghdr hdr[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in dst[BATCH];
	char buf[BATCH][MSG_MAX];
};

struct sock {
	int fd; /* -1 with --dpdk */
	bool uas;
	struct sockaddr_in addr;
	char name[32]; /* "ip:port", a backend's Contact host */
	struct txq *tx;
};

struct counters {
	uint64_t calls_started, calls_completed, calls_failed;
	uint64_t sent, received; /* datagrams, every role */
	uint64_t delivered;      /* messages of our calls checked off (first arrival) */
	uint64_t uac_sent, uac_received, uac_invites, uac_byes;
	uint64_t uas_requests, uas_responses;
	uint64_t send_errors;     /* datagrams the kernel refused */
	uint64_t malformed;       /* did not parse */
	uint64_t unexpected;      /* not one of our calls, wrong branch, Via not popped, ... */
	uint64_t duplicates;      /* a message of a call seen twice */
	uint64_t error_responses; /* a final response other than 200 to our INVITE or BYE */
	uint64_t no_route;        /* backend: no IPv4 address in the top Via to answer to */
	uint64_t latency_count;
};

struct options {
	const char *target_text, *local_text;
	const char *uas_text[MAX_UAS];
	unsigned n_uas;
	uint64_t rate;     /* calls/s */
	uint64_t duration; /* s; 0: no limit */
	uint64_t calls;    /* 0: no limit */
	uint64_t drain_ms;
	bool json, quiet, duration_set;
	const char *dpdk;   /* --dpdk DEVICE, or NULL: UDP sockets */
	uint64_t rx_queues; /* --rx-queues */
	int eal_argc;       /* after "--" */
	char *const *eal_argv;
	bool rx_queues_set;
	uint64_t steps;   /* --steps: runs of --duration, the rate times factor after each */
	double factor;    /* --factor */
	double stop_loss; /* --stop-loss; negative: never stop early */
	uint64_t cpu_of;  /* --cpu-of PID; 0: none */
};

struct load {
	struct options opt;
	struct sock socks[MAX_UAS + 1];
	unsigned n_socks;
	int uac; /* index of the client socket, -1: none */
	struct sockaddr_in target;
	struct load_uac_id id;
	struct call *calls;
	uint64_t max_calls;
	struct counters c;
	struct load_hist lat, lat_second;
	struct load_dpdk *dpdk;           /* --dpdk: the port every socket's datagrams go through */
	struct load_dpdk_stats link_base; /* the link's counters when this step began */
	unsigned step;
	double peer_user_s, peer_system_s; /* --cpu-of: the process's CPU during the step */
	struct load_dgram dgram[BATCH];
	uint64_t start, send_end, last_rx;
	/* receive side, shared by every socket */
	struct mmsghdr rxh[BATCH];
	struct iovec rxiov[BATCH];
	struct sockaddr_in rxsrc[BATCH];
	char rxbuf[BATCH][MSG_MAX];
};

static volatile sig_atomic_t stop_requested;

/* The first signal stops sending (then the last answers are awaited), the second stops all. */
static void on_signal(int sig)
{
	(void)sig;
	stop_requested = stop_requested ? 2 : 1;
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: sipsteer-bench load [--uac IP:PORT [--local IP[:PORT][@NETNS]]]\n"
	    "                           [--uas IP:PORT[@NETNS]]... [--rate N] [--duration S]\n"
	    "                           [--calls N] [--drain-ms N] [--json] [--quiet]\n"
	    "                           [--steps N [--factor F] [--stop-loss L]] [--cpu-of PID]\n"
	    "                           [--dpdk DEVICE [--rx-queues N] [-- EAL ARGS...]]\n\n"
	    "  --uac IP:PORT     be the client: send calls to IP:PORT (a balancer or a backend)\n"
	    "  --local ADDR      the client's address (default: the kernel's source address\n"
	    "                    for the target, any port); @NETNS opens it in that netns\n"
	    "  --uas IP:PORT     be a backend on IP:PORT (repeat for several, up to %d);\n"
	    "                    @NETNS opens the socket in /run/netns/NETNS\n"
	    "  --rate N          calls per second (default 100)\n"
	    "  --duration S      seconds of sending (default 10; a backend alone runs until\n"
	    "                    SIGINT/SIGTERM unless given)\n"
	    "  --calls N         stop sending after N calls\n"
	    "  --drain-ms N      wait for the last answers after sending stops (default 1000)\n"
	    "  --json            one JSON object on stdout\n"
	    "  --quiet           no progress line on stderr\n"
	    "  --steps N         with --uac: N runs of --duration in one process, the rate\n"
	    "                    multiplied by --factor (default 1.3) after each; one result\n"
	    "                    per step\n"
	    "  --stop-loss L     end the steps after one whose message loss exceeds L (a\n"
	    "                    fraction, 0.001 = 0.1 %%) or that sent under 97 %% of its rate\n"
	    "  --cpu-of PID      add PID's CPU time (user, system) during each run\n"
	    "  --dpdk DEVICE     send through a DPDK port instead of UDP sockets: a vdev\n"
	    "                    (net_memif0,role=client,socket=PATH) or a PCI address; the\n"
	    "                    tool answers ARP for its addresses and resolves the target.\n"
	    "                    Needs --local IP[:PORT] with --uac (port default %d); no @NETNS\n"
	    "  --rx-queues N     --dpdk: RX queues to poll, one per TX queue of the peer\n"
	    "                    (sipsteer: workers + 1; default 2)\n"
	    "  -- EAL ARGS       --dpdk: more EAL arguments (--file-prefix, --lcores, ...)\n\n"
	    "A call is INVITE, 100, 180, 200, ACK, BYE, 200; lost messages are counted, not\n"
	    "retransmitted. Exit status: 0 run done, 1 setup failed, 2 bad arguments.\n",
	    MAX_UAS, DPDK_PORT);
}

static int bad_arg(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "sipsteer-bench load: %s '%s': %s\n", opt, val, want);
	return 2;
}

/* "IP:PORT[@NETNS]" (port required or not): 0 or -1; *netns points into text or is NULL. */
static int split_addr(const char *text, bool need_port, struct sockaddr_in *sa, char *netns,
                      size_t netns_cap)
{
	char addr[64];
	const char *at = strchr(text, '@');
	size_t n = at ? (size_t)(at - text) : strlen(text);

	netns[0] = '\0';
	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (at) {
		size_t len = strlen(at + 1);

		if (len == 0 || len >= netns_cap || strchr(at + 1, '/'))
			return -1;
		memcpy(netns, at + 1, len + 1);
	}
	if (load_parse_addr(addr, need_port, 0, sa) < 0)
		return -1;
	if (need_port && sa->sin_port == 0)
		return -1;
	return 0;
}

/* What --steps needs: a client, runs bounded by time, the last step's calls within bounds. */
static int check_step_options(const struct options *o)
{
	double top = (double)o->rate;

	if (o->steps == 1)
		return 0;
	if (!o->target_text || o->duration == 0) {
		fprintf(stderr, "sipsteer-bench load: --steps needs --uac and --duration S\n");
		return -1;
	}
	for (uint64_t k = 1; k < o->steps; k++)
		top *= o->factor;
	if (top * (double)o->duration > MAX_CALLS) {
		fprintf(stderr,
		        "sipsteer-bench load: the last of %" PRIu64
		        " steps offers %.0f calls/s: more than %u calls in %" PRIu64
		        " s; fewer steps, a lower --rate or --factor\n",
		        o->steps, top, MAX_CALLS, o->duration);
		return -1;
	}
	return 0;
}

/* What --dpdk needs and what only it allows. 0, or -1 with the cause printed. */
static int check_dpdk_options(const struct options *o)
{
	struct sockaddr_in sa;
	char ns[64];

	if (!o->dpdk) {
		if (o->rx_queues_set || o->eal_argc)
			fprintf(stderr, "sipsteer-bench load: %s without --dpdk\n",
			        o->rx_queues_set ? "--rx-queues" : "EAL arguments after --");
		return o->rx_queues_set || o->eal_argc ? -1 : 0;
	}
	for (unsigned i = 0; i < o->n_uas; i++)
		if (strchr(o->uas_text[i], '@')) {
			fprintf(
			    stderr,
			    "sipsteer-bench load: --uas '%s': no network namespace with --dpdk\n",
			    o->uas_text[i]);
			return -1;
		}
	if (!o->target_text)
		return 0;
	if (!o->local_text) {
		fprintf(stderr, "sipsteer-bench load: --dpdk with --uac needs --local IP[:PORT] "
		                "(no kernel to pick the client's address)\n");
		return -1;
	}
	split_addr(o->local_text, false, &sa, ns, sizeof(ns));
	if (ns[0] || sa.sin_addr.s_addr == htonl(INADDR_ANY)) {
		fprintf(stderr,
		        "sipsteer-bench load: --local '%s': with --dpdk, want a real IPV4[:PORT], "
		        "no network namespace\n",
		        o->local_text);
		return -1;
	}
	return 0;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->rate = 100;
	o->duration = 10;
	o->drain_ms = 1000;
	o->rx_queues = 2;
	o->steps = 1;
	o->factor = 1.3;
	o->stop_loss = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		struct sockaddr_in sa;
		char ns[64];

		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			o->quiet = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--")) {
			o->eal_argc = argc - i - 1;
			o->eal_argv = argv + i + 1;
			break;
		}
		if (strcmp(a, "--uac") && strcmp(a, "--local") && strcmp(a, "--uas") &&
		    strcmp(a, "--rate") && strcmp(a, "--duration") && strcmp(a, "--calls") &&
		    strcmp(a, "--drain-ms") && strcmp(a, "--dpdk") && strcmp(a, "--rx-queues") &&
		    strcmp(a, "--steps") && strcmp(a, "--factor") && strcmp(a, "--stop-loss") &&
		    strcmp(a, "--cpu-of")) {
			fprintf(stderr, "sipsteer-bench load: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "sipsteer-bench load: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--uac")) {
			if (o->target_text)
				return bad_arg(a, v, "given twice");
			if (strchr(v, '@') || split_addr(v, true, &sa, ns, sizeof(ns)) < 0)
				return bad_arg(a, v, "want IPV4:PORT, port 1-65535");
			o->target_text = v;
		} else if (!strcmp(a, "--local")) {
			if (o->local_text)
				return bad_arg(a, v, "given twice");
			if (split_addr(v, false, &sa, ns, sizeof(ns)) < 0)
				return bad_arg(a, v, "want IPV4[:PORT][@NETNS]");
			o->local_text = v;
		} else if (!strcmp(a, "--uas")) {
			if (o->n_uas == MAX_UAS)
				return bad_arg(a, v, "too many backends (at most 16)");
			if (split_addr(v, true, &sa, ns, sizeof(ns)) < 0)
				return bad_arg(a, v, "want IPV4:PORT[@NETNS], port 1-65535");
			o->uas_text[o->n_uas++] = v;
		} else if (!strcmp(a, "--rate")) {
			if (bench_parse_u64(v, 1, 10000000, &o->rate) < 0)
				return bad_arg(a, v, "want calls per second, 1 to 10000000");
		} else if (!strcmp(a, "--duration")) {
			if (bench_parse_u64(v, 0, 86400, &o->duration) < 0)
				return bad_arg(a, v, "want seconds, 0 to 86400 (0: no limit)");
			o->duration_set = true;
		} else if (!strcmp(a, "--calls")) {
			if (bench_parse_u64(v, 1, MAX_CALLS, &o->calls) < 0)
				return bad_arg(a, v, "want a number of calls, 1 to 16777216");
		} else if (!strcmp(a, "--dpdk")) {
			if (o->dpdk)
				return bad_arg(a, v, "given twice");
			if (!v[0] || v[0] == ',' || v[0] == '-' || strlen(v) > 1024 ||
			    strpbrk(v, " \t\r\n\"\\"))
				return bad_arg(
				    a, v, "want a DPDK device (net_memif0,... or a PCI address)");
			o->dpdk = v;
		} else if (!strcmp(a, "--steps")) {
			if (bench_parse_u64(v, 1, 100, &o->steps) < 0)
				return bad_arg(a, v, "want a number of steps, 1 to 100");
		} else if (!strcmp(a, "--factor")) {
			if (bench_parse_decimal(v, &o->factor) < 0 || o->factor <= 1 ||
			    o->factor > 10)
				return bad_arg(a, v, "want a factor above 1, at most 10");
		} else if (!strcmp(a, "--stop-loss")) {
			if (bench_parse_decimal(v, &o->stop_loss) < 0 || o->stop_loss > 1)
				return bad_arg(a, v, "want a fraction of messages, 0 to 1");
		} else if (!strcmp(a, "--cpu-of")) {
			if (bench_parse_u64(v, 1, 4194304, &o->cpu_of) < 0)
				return bad_arg(a, v, "want a process id");
		} else if (!strcmp(a, "--rx-queues")) {
			if (bench_parse_u64(v, 1, 16, &o->rx_queues) < 0)
				return bad_arg(a, v, "want a number of RX queues, 1 to 16");
			o->rx_queues_set = true;
		} else if (bench_parse_u64(v, 0, 600000, &o->drain_ms) < 0) {
			return bad_arg(a, v, "want milliseconds, 0 to 600000");
		}
	}
	if (!o->target_text && o->n_uas == 0) {
		fprintf(stderr, "sipsteer-bench load: nothing to do: give --uac, --uas or both\n");
		usage(stderr);
		return 2;
	}
	if (o->local_text && !o->target_text) {
		fprintf(stderr, "sipsteer-bench load: --local without --uac\n");
		return 2;
	}
	if (check_dpdk_options(o) < 0)
		return 2;
	if (!o->target_text && !o->duration_set)
		o->duration = 0; /* a backend alone runs until stopped */
	if (o->target_text && o->calls && !o->duration_set)
		o->duration = 0; /* --calls alone bounds the run */
	if (check_step_options(o) < 0)
		return 2;
	if (o->target_text && o->duration == 0 && o->calls == 0) {
		fprintf(stderr, "sipsteer-bench load: --duration 0 needs --calls N\n");
		return 2;
	}
	if (o->target_text && o->duration && o->calls == 0 && o->rate * o->duration > MAX_CALLS) {
		fprintf(stderr,
		        "sipsteer-bench load: --rate %" PRIu64 " for %" PRIu64
		        " s is more than %u calls: lower one, or give --calls\n",
		        o->rate, o->duration, MAX_CALLS);
		return 2;
	}
	return 0;
}

/*
 * A UDP socket bound to bind_to, opened in network namespace `netns` (empty: the current one);
 * the thread returns to its own namespace. Returns the descriptor or -1 (cause printed).
 */
static int open_socket_in(const char *netns, const struct sockaddr_in *bind_to)
{
	int self = -1, target = -1, fd = -1, buf = SOCK_BUF;

	if (netns[0]) {
		char path[128];

		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
			fprintf(stderr, "sipsteer-bench load: netns %s: %s\n", netns,
			        strerror(errno));
			goto out;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "sipsteer-bench load: socket: %s\n", strerror(errno));
		goto out;
	}
	/* Deep buffers: the tool must not be where messages are lost. FORCE needs root. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0) {
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &bind_to->sin_addr, ip, sizeof(ip));
		fprintf(stderr, "sipsteer-bench load: bind %s:%u%s%s: %s\n", ip,
		        ntohs(bind_to->sin_port), netns[0] ? " in netns " : "", netns,
		        strerror(errno));
		close(fd);
		fd = -1;
	}
out:
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0) {
			fprintf(stderr, "sipsteer-bench load: back to own netns: %s\n",
			        strerror(errno));
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		close(self);
	}
	if (target >= 0)
		close(target);
	return fd;
}

static int add_socket(struct load *l, const char *text, bool uas)
{
	struct sock *s = &l->socks[l->n_socks];
	struct sockaddr_in sa;
	socklen_t len = sizeof(s->addr);
	char ns[64], ip[INET_ADDRSTRLEN];

	split_addr(text, uas, &sa, ns, sizeof(ns)); /* checked by parse_options */
	if (!uas && !strchr(text, '@') && sa.sin_addr.s_addr == htonl(INADDR_ANY)) {
		fprintf(stderr, "sipsteer-bench load: --local %s: give a real address\n", text);
		return -1;
	}
	if (l->opt.dpdk) {
		/* no socket: the address is ours on the DPDK link */
		s->fd = -1;
		if (sa.sin_port == 0)
			sa.sin_port = htons(DPDK_PORT);
		s->addr = sa;
	} else {
		s->fd = open_socket_in(ns, &sa);
		if (s->fd < 0)
			return -1;
		getsockname(s->fd, (struct sockaddr *)&s->addr, &len);
	}
	inet_ntop(AF_INET, &s->addr.sin_addr, ip, sizeof(ip));
	snprintf(s->name, sizeof(s->name), "%s:%u", ip, ntohs(s->addr.sin_port));
	s->uas = uas;
	s->tx = calloc(1, sizeof(*s->tx));
	if (!s->tx) {
		if (s->fd >= 0)
			close(s->fd);
		return -1;
	}
	l->n_socks++;
	return 0;
}

/* The source address the kernel would use towards the target. */
static int default_local(const struct sockaddr_in *target, char *out, size_t cap)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)target, sizeof(*target)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
	    inet_ntop(AF_INET, &me.sin_addr, out, (socklen_t)cap))
		rc = 0;
	else
		fprintf(stderr, "sipsteer-bench load: no route to the target: %s\n",
		        strerror(errno));
	close(fd);
	return rc;
}

/* --dpdk: the port, answering ARP for every address of ours, and the target resolved. */
static int setup_dpdk(struct load *l)
{
	struct load_dpdk_options d = {.device = l->opt.dpdk,
	                              .rx_queues = (unsigned)l->opt.rx_queues,
	                              .eal_argc = l->opt.eal_argc,
	                              .eal_argv = l->opt.eal_argv};

	/* the client's address first: ARP requests for the target come from it */
	for (int i = (int)l->n_socks - 1; i >= 0; i--) {
		uint32_t ip = l->socks[i].addr.sin_addr.s_addr;
		unsigned k = 0;

		while (k < d.n_local && d.local_ips[k] != ip)
			k++;
		if (k == d.n_local)
			d.local_ips[d.n_local++] = ip;
	}
	/* short naps when idle (wait_for_work): no 50 us of timer slack on top */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	if (load_dpdk_open(&d, &l->dpdk) < 0)
		return -1;
	if (l->uac >= 0 && load_dpdk_resolve(l->dpdk, l->target.sin_addr.s_addr, ARP_WAIT_MS) < 0)
		return -1;
	return 0;
}

static int setup(struct load *l)
{
	struct options *o = &l->opt;

	l->uac = -1;
	for (unsigned i = 0; i < o->n_uas; i++)
		if (add_socket(l, o->uas_text[i], true) < 0)
			return -1;
	if (!o->target_text)
		return o->dpdk ? setup_dpdk(l) : 0;
	load_parse_addr(o->target_text, true, 0, &l->target);
	if (o->local_text) {
		if (add_socket(l, o->local_text, false) < 0)
			return -1;
	} else {
		char ip[INET_ADDRSTRLEN];

		if (default_local(&l->target, ip, sizeof(ip)) < 0 || add_socket(l, ip, false) < 0)
			return -1;
	}
	l->uac = (int)l->n_socks - 1;
	struct sock *u = &l->socks[l->uac];

	snprintf(l->id.local, sizeof(l->id.local), "%s", u->name);
	inet_ntop(AF_INET, &u->addr.sin_addr, l->id.local_ip, sizeof(l->id.local_ip));
	snprintf(l->id.target, sizeof(l->id.target), "%s", o->target_text);
	/* a tag of this run: Call-IDs differ from run to run */
	l->id.tag = (uint32_t)(bench_now_ns() ^ ((uint64_t)getpid() << 16)) | 1u;
	l->max_calls = o->calls ? o->calls : o->rate * o->duration;
	if (o->calls && o->duration && o->rate * o->duration < o->calls)
		l->max_calls = o->rate * o->duration;
	l->calls = calloc(l->max_calls, sizeof(*l->calls));
	if (!l->calls) {
		fprintf(stderr, "sipsteer-bench load: no memory for %" PRIu64 " calls\n",
		        l->max_calls);
		return -1;
	}
	return o->dpdk ? setup_dpdk(l) : 0;
}

/* --dpdk: datagrams sent are those the port took; the others are send errors. */
static void sync_dpdk_counters(struct load *l)
{
	const struct load_dpdk_stats *st = load_dpdk_stats(l->dpdk);

	const struct load_dpdk_stats *b = &l->link_base;

	l->c.sent = st->tx_datagrams - b->tx_datagrams;
	l->c.send_errors = st->no_neigh + st->too_big + st->tx_dropped -
	                   (b->no_neigh + b->too_big + b->tx_dropped);
}

/* Send what the socket holds; waits a little when the kernel pushes back. */
/* --dpdk: the queue's datagrams become frames on the port (sent, or counted refused). */
static void flush_dpdk(struct load *l, struct sock *s)
{
	struct txq *q = s->tx;

	for (unsigned i = 0; i < q->n; i++)
		load_dpdk_send(l->dpdk, &s->addr, &q->dst[i], q->buf[i], q->iov[i].iov_len);
	q->n = 0;
	load_dpdk_flush(l->dpdk);
	sync_dpdk_counters(l);
}

static void flush(struct load *l, struct sock *s)
{
	struct txq *q = s->tx;
	unsigned done = 0, waits = 0;

	if (l->dpdk) {
		flush_dpdk(l, s);
		return;
	}

	while (done < q->n) {
		int n = sendmmsg(s->fd, q->hdr + done, q->n - done, 0);

		if (n > 0) {
			done += (unsigned)n;
			l->c.sent += (unsigned)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS) && waits++ < 10) {
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};

			poll(&p, 1, 1);
			continue;
		}
		/* the first datagram is refused for good (no route, unreachable): skip it */
		l->c.send_errors++;
		done++;
		waits = 0;
	}
	q->n = 0;
}

/* A free slot of the socket's queue (sending the queue first when it is full). */
static char *tx_slot(struct load *l, struct sock *s)
{
	if (s->tx->n == BATCH)
		flush(l, s);
	return s->tx->buf[s->tx->n];
}

static void tx_commit(struct sock *s, int len, const struct sockaddr_in *dst)
{
	struct txq *q = s->tx;
	unsigned i = q->n++;

	q->dst[i] = *dst;
	q->iov[i] = (struct iovec){q->buf[i], (size_t)len};
	q->hdr[i].msg_hdr = (struct msghdr){.msg_name = &q->dst[i],
	                                    .msg_namelen = sizeof(q->dst[i]),
	                                    .msg_iov = &q->iov[i],
	                                    .msg_iovlen = 1};
}

/* Mark message `bit` of call n as arrived; false when it already had. */
static bool check_off(struct load *l, uint64_t n, uint8_t bit)
{
	struct call *c = &l->calls[n];
	uint8_t want = l->opt.n_uas ? UAC_BITS | UAS_BITS : UAC_BITS;

	if (c->seen & bit) {
		l->c.duplicates++;
		return false;
	}
	c->seen |= bit;
	l->c.delivered++;
	if ((c->seen & want) == want && !c->failed)
		l->c.calls_completed++;
	return true;
}

static void send_invite(struct load *l, uint64_t now)
{
	struct sock *u = &l->socks[l->uac];
	uint64_t n = l->c.calls_started++;
	int len = load_sip_invite(tx_slot(l, u), MSG_MAX, &l->id, n);

	l->calls[n].t_invite = now;
	tx_commit(u, len, &l->target);
	l->c.uac_sent++;
	l->c.uac_invites++;
}

/* ACK and BYE of call n after its 200 OK (msg, in buf). */
static void send_ack_bye(struct load *l, uint64_t n, const char *buf, const struct sip_msg *m)
{
	struct sock *u = &l->socks[l->uac];
	struct sip_str ruri;
	const char *r = buf + m->to.off;
	size_t rlen = 0;

	if (load_sip_contact_uri(buf, m, &ruri)) {
		r = buf + ruri.off;
		rlen = ruri.len;
	}
	char fallback[48];

	if (rlen == 0) {
		rlen = (size_t)snprintf(fallback, sizeof(fallback), "sip:bench@%s", l->id.target);
		r = fallback;
	}
	for (int t = 0; t < 2; t++) {
		enum load_txn txn = t ? LOAD_TXN_BYE : LOAD_TXN_ACK;
		int len = load_sip_in_dialog(tx_slot(l, u), MSG_MAX, &l->id, n, txn, r, rlen,
		                             buf + m->to.off, m->to.len);

		if (len < 0) {
			l->c.unexpected++;
			continue;
		}
		tx_commit(u, len, &l->target);
		l->c.uac_sent++;
		if (txn == LOAD_TXN_BYE)
			l->c.uac_byes++;
	}
}

/* Whether the response's only Via is the client's own for this transaction. */
static bool our_via(const struct load *l, const char *buf, const struct sip_msg *m, uint64_t n,
                    enum load_txn txn)
{
	char branch[64];
	int len = load_sip_branch(branch, sizeof(branch), l->id.tag, n, txn);

	return m->via_count == 1 && m->top_via.has_branch && (int)m->top_via.branch.len == len &&
	       !memcmp(buf + m->top_via.branch.off, branch, (size_t)len);
}

static void uac_response(struct load *l, const char *buf, const struct sip_msg *m, uint64_t now)
{
	uint64_t n;
	bool invite = m->cseq_method == SIP_METHOD_INVITE;

	if (m->is_request ||
	    load_sip_call_of(buf + m->call_id.off, m->call_id.len, l->id.tag, &n) < 0 ||
	    n >= l->c.calls_started || (!invite && m->cseq_method != SIP_METHOD_BYE) ||
	    !our_via(l, buf, m, n, invite ? LOAD_TXN_INVITE : LOAD_TXN_BYE)) {
		l->c.unexpected++;
		return;
	}
	l->c.uac_received++;
	if (m->status_code >= 300 || (!invite && m->status_code < 200)) {
		if (m->status_code >= 300) {
			l->c.error_responses++;
			l->calls[n].failed = true;
		}
		return;
	}
	if (!invite) {
		check_off(l, n, BIT_BYE_200);
		return;
	}
	if (m->status_code == 100) {
		check_off(l, n, BIT_100);
	} else if (m->status_code == 180) {
		check_off(l, n, BIT_180);
	} else if (m->status_code >= 200) {
		if (!check_off(l, n, BIT_200))
			return; /* a retransmitted 200 was already acknowledged */
		uint64_t lat = now - l->calls[n].t_invite;

		load_hist_add(&l->lat, lat);
		load_hist_add(&l->lat_second, lat);
		send_ack_bye(l, n, buf, m);
	}
}

/* One answer from the backend socket s to request `req`. */
static void uas_reply(struct load *l, struct sock *s, const char *req, const struct sip_msg *m,
                      const struct sockaddr_in *dst, int code, const char *reason, bool tag,
                      bool contact, bool sdp)
{
	int len = load_sip_response(tx_slot(l, s), MSG_MAX, req, m, code, reason, tag,
	                            contact ? s->name : NULL, sdp);

	if (len < 0) {
		l->c.malformed++; /* a request too large to answer within MSG_MAX */
		return;
	}
	tx_commit(s, len, dst);
	l->c.uas_responses++;
}

static void uas_request(struct load *l, struct sock *s, const char *buf, const struct sip_msg *m)
{
	struct sockaddr_in dst;
	uint64_t n;

	if (!m->is_request) {
		l->c.unexpected++;
		return;
	}
	l->c.uas_requests++;
	/* our own client's call: check the message off */
	if (l->uac >= 0 &&
	    load_sip_call_of(buf + m->call_id.off, m->call_id.len, l->id.tag, &n) == 0 &&
	    n < l->c.calls_started) {
		uint8_t bit = m->method == SIP_METHOD_INVITE ? BIT_INVITE
		              : m->method == SIP_METHOD_ACK  ? BIT_ACK
		              : m->method == SIP_METHOD_BYE  ? BIT_BYE
		                                             : 0;

		if (bit && !check_off(l, n, bit))
			return; /* a duplicate: answered already */
	}
	if (m->method == SIP_METHOD_ACK)
		return;
	if (load_sip_response_dest(buf, m, &dst) < 0) {
		l->c.no_route++;
		return;
	}
	switch (m->method) {
	case SIP_METHOD_INVITE:
		uas_reply(l, s, buf, m, &dst, 100, "Trying", false, false, false);
		uas_reply(l, s, buf, m, &dst, 180, "Ringing", true, true, false);
		uas_reply(l, s, buf, m, &dst, 200, "OK", true, true, true);
		break;
	case SIP_METHOD_BYE:
	case SIP_METHOD_OPTIONS:
		uas_reply(l, s, buf, m, &dst, 200, "OK", true, false, false);
		break;
	default:
		uas_reply(l, s, buf, m, &dst, 501, "Not Implemented", true, false, false);
		break;
	}
}

/* Receive and handle up to RX_ROUNDS batches on one socket. Returns datagrams handled. */
static unsigned receive(struct load *l, struct sock *s)
{
	unsigned total = 0;

	for (int round = 0; round < RX_ROUNDS; round++) {
		for (unsigned i = 0; i < BATCH; i++) {
			l->rxiov[i] = (struct iovec){l->rxbuf[i], MSG_MAX};
			l->rxh[i].msg_hdr = (struct msghdr){.msg_name = &l->rxsrc[i],
			                                    .msg_namelen = sizeof(l->rxsrc[i]),
			                                    .msg_iov = &l->rxiov[i],
			                                    .msg_iovlen = 1};
		}
		int n = recvmmsg(s->fd, l->rxh, BATCH, MSG_DONTWAIT, NULL);

		if (n <= 0)
			break;
		uint64_t now = bench_now_ns();

		l->last_rx = now;
		for (int i = 0; i < n; i++) {
			struct sip_msg m;
			const char *buf = l->rxbuf[i];
			size_t len = l->rxh[i].msg_len;

			l->c.received++;
			if ((l->rxh[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    sip_parse(buf, len, &m) < 0) {
				l->c.malformed++;
				continue;
			}
			if (s->uas)
				uas_request(l, s, buf, &m);
			else
				uac_response(l, buf, &m, now);
		}
		total += (unsigned)n;
		if (n < BATCH)
			break;
	}
	return total;
}

/* The socket bound to dst, or NULL. */
static struct sock *sock_of(struct load *l, const struct sockaddr_in *dst)
{
	for (unsigned i = 0; i < l->n_socks; i++)
		if (l->socks[i].addr.sin_addr.s_addr == dst->sin_addr.s_addr &&
		    l->socks[i].addr.sin_port == dst->sin_port)
			return &l->socks[i];
	return NULL;
}

/*
 * --dpdk: up to RX_ROUNDS polls of the port; each datagram goes to the role of the address it
 * was sent to (one no socket has is unexpected, as the kernel would have refused it). Returns
 * datagrams handled.
 */
static unsigned receive_dpdk(struct load *l)
{
	unsigned total = 0;

	for (int round = 0; round < RX_ROUNDS; round++) {
		unsigned n = load_dpdk_rx(l->dpdk, l->dgram, BATCH);

		if (n == 0)
			break;
		uint64_t now = bench_now_ns();

		l->last_rx = now;
		for (unsigned i = 0; i < n; i++) {
			const struct load_dgram *d = &l->dgram[i];
			struct sock *s = sock_of(l, &d->dst);
			struct sip_msg m;

			l->c.received++;
			if (!s) {
				l->c.unexpected++;
				continue;
			}
			if (d->len > MSG_MAX || sip_parse(d->data, d->len, &m) < 0) {
				l->c.malformed++;
				continue;
			}
			if (s->uas)
				uas_request(l, s, d->data, &m);
			else
				uac_response(l, d->data, &m, now);
		}
		total += n;
		/* this batch's answers go out before the next poll, as with the sockets */
		for (unsigned i = 0; i < l->n_socks; i++)
			if (l->socks[i].tx->n)
				flush(l, &l->socks[i]);
		if (n < BATCH)
			break;
	}
	return total;
}

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0.0;
}

static void progress(struct load *l, uint64_t now, struct counters *prev, uint64_t *prev_t)
{
	uint64_t dt = now - *prev_t;
	struct counters *c = &l->c;

	if (l->opt.quiet) {
		*prev_t = now;
		return;
	}
	if (l->uac >= 0)
		fprintf(stderr,
		        "load: %5.1fs calls/s %.0f (offered %" PRIu64
		        ") msgs/s %.0f completed %" PRIu64 " in flight %" PRIu64 " errors %" PRIu64
		        " latency p50 %.3f p99 %.3f ms\n",
		        (double)(now - l->start) / 1e9,
		        per_s(c->calls_started - prev->calls_started, dt), l->opt.rate,
		        per_s(c->received - prev->received, dt), c->calls_completed,
		        c->calls_started - c->calls_completed,
		        c->error_responses + c->unexpected + c->malformed + c->send_errors,
		        (double)load_hist_percentile(&l->lat_second, 50) / 1e6,
		        (double)load_hist_percentile(&l->lat_second, 99) / 1e6);
	else
		fprintf(
		    stderr,
		    "load: %5.1fs backend requests/s %.0f responses/s %.0f malformed %" PRIu64
		    " no route %" PRIu64 "\n",
		    (double)(now - l->start) / 1e9, per_s(c->uas_requests - prev->uas_requests, dt),
		    per_s(c->uas_responses - prev->uas_responses, dt), c->malformed, c->no_route);
	load_hist_init(&l->lat_second);
	*prev = *c;
	*prev_t = now;
}

/* Calls due by now at the offered rate (the first one at once). */
static uint64_t calls_due(const struct load *l, uint64_t now)
{
	uint64_t due = (uint64_t)((double)(now - l->start) * (double)l->opt.rate / 1e9) + 1;

	return due < l->max_calls ? due : l->max_calls;
}

static void wait_for_work(struct load *l, uint64_t timeout_ns)
{
	struct pollfd p[MAX_UAS + 1];
	struct timespec ts = {(time_t)(timeout_ns / NS_PER_S), (long)(timeout_ns % NS_PER_S)};

	if (l->dpdk) {
		/* a polled port wakes nobody: nap briefly, then look again */
		ts = (struct timespec){
		    0, (long)(timeout_ns < DPDK_IDLE_NS ? timeout_ns : DPDK_IDLE_NS)};
		nanosleep(&ts, NULL);
		return;
	}

	for (unsigned i = 0; i < l->n_socks; i++)
		p[i] = (struct pollfd){.fd = l->socks[i].fd, .events = POLLIN};
	ppoll(p, l->n_socks, &ts, NULL);
}

static void run(struct load *l)
{
	struct counters prev = {0};
	uint64_t prev_t, duration_ns = l->opt.duration * NS_PER_S;
	uint64_t drain_ns = l->opt.drain_ms * 1000000ull;
	bool sending = l->uac >= 0;

	l->start = prev_t = bench_now_ns();
	l->send_end = l->start;
	for (;;) {
		uint64_t now = bench_now_ns();
		unsigned work = 0;

		if (sending) {
			uint64_t due = calls_due(l, now);

			for (unsigned k = 0; k < BATCH && l->c.calls_started < due; k++, work++)
				send_invite(l, now);
			if (l->c.calls_started == l->max_calls || stop_requested ||
			    (duration_ns && now - l->start >= duration_ns)) {
				sending = false;
				l->send_end = now;
			}
		}
		if (l->dpdk)
			work += receive_dpdk(l);
		else
			for (unsigned i = 0; i < l->n_socks; i++)
				work += receive(l, &l->socks[i]);
		for (unsigned i = 0; i < l->n_socks; i++)
			if (l->socks[i].tx->n)
				flush(l, &l->socks[i]);
		now = bench_now_ns();
		if (now - prev_t >= NS_PER_S)
			progress(l, now, &prev, &prev_t);
		if (!sending) {
			if (l->uac < 0) {
				if (stop_requested ||
				    (duration_ns && now - l->start >= duration_ns)) {
					l->send_end = now;
					break;
				}
			} else if (l->c.calls_completed == l->c.calls_started ||
			           now - l->send_end >= drain_ns || stop_requested > 1) {
				break;
			}
		}
		if (work)
			continue;
		uint64_t wait = IDLE_WAIT_NS;

		if (sending) {
			uint64_t next = l->start + (uint64_t)((double)l->c.calls_started * 1e9 /
			                                      (double)l->opt.rate);

			wait = next > now ? next - now : 0;
		}
		if (wait > IDLE_WAIT_NS)
			wait = IDLE_WAIT_NS;
		if (wait >= 20000) /* shorter than the kernel's wake-up: spin instead */
			wait_for_work(l, wait);
	}
}

/*
 * Message loss of the run so far: exact with both roles here (every message sent was one of a
 * call); the client alone: responses received against the 3 per INVITE and 1 per BYE a backend
 * sends. False when there is no figure (a backend alone, nothing sent).
 */
static bool loss_of(const struct load *l, double *loss)
{
	const struct counters *c = &l->c;

	if (l->uac >= 0 && l->opt.n_uas > 0 && c->sent)
		*loss = 1.0 - (double)c->delivered / (double)c->sent;
	else if (l->uac >= 0 && c->uac_invites)
		*loss = 1.0 - (double)c->uac_received / (double)(3 * c->uac_invites + c->uac_byes);
	else
		return false;
	if (*loss < 0)
		*loss = 0;
	return true;
}

/* utime and stime of process pid in seconds (every thread); false when it is gone. */
static bool cpu_of(uint64_t pid, double *user_s, double *system_s)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);

	fclose(f);
	buf[n] = '\0';
	/* after "(comm) ": state is field 1, utime 12, stime 13 */
	const char *p = strrchr(buf, ')');

	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return false;
	long hz = sysconf(_SC_CLK_TCK);

	*user_s = (double)ut / (double)hz;
	*system_s = (double)st / (double)hz;
	return true;
}

/*
 * The next of --steps: the rate times the factor, a new tag (late messages of the last step
 * are not this one's), counters, histograms and the link's baseline from zero. 0 or -1.
 */
static int next_step(struct load *l)
{
	l->step++;
	l->opt.rate = (uint64_t)((double)l->opt.rate * l->opt.factor);
	l->id.tag = (l->id.tag + 0x9e3779b9u) | 1u;
	memset(&l->c, 0, sizeof(l->c));
	load_hist_init(&l->lat);
	load_hist_init(&l->lat_second);
	l->last_rx = 0;
	l->max_calls = l->opt.rate * l->opt.duration;
	free(l->calls);
	l->calls = calloc(l->max_calls, sizeof(*l->calls));
	if (!l->calls) {
		fprintf(stderr, "sipsteer-bench load: no memory for %" PRIu64 " calls\n",
		        l->max_calls);
		return -1;
	}
	if (l->dpdk)
		l->link_base = *load_dpdk_stats(l->dpdk);
	return 0;
}

/* Whether the steps end after this one: too much loss, or the offered rate not kept. */
static bool step_stops(const struct load *l)
{
	double loss;
	double achieved = per_s(l->c.calls_started, l->send_end - l->start);

	if (l->opt.stop_loss < 0)
		return false;
	return (loss_of(l, &loss) && loss > l->opt.stop_loss) ||
	       achieved < 0.97 * (double)l->opt.rate;
}

static void print_result(const struct load *l)
{
	const struct counters *c = &l->c;
	uint64_t end = l->last_rx > l->send_end ? l->last_rx : l->send_end;
	uint64_t elapsed = end - l->start;
	bool both = l->uac >= 0 && l->opt.n_uas > 0;
	double loss = 0, call_loss = 0;
	bool has_loss = loss_of(l, &loss);
	const char *mode = both ? "uac+uas" : l->uac >= 0 ? "uac" : "uas";
	struct load_dpdk_stats st = {0};

	if (l->dpdk) { /* this step's share of the link's counters */
		const struct load_dpdk_stats *now = load_dpdk_stats(l->dpdk);
		const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)&l->link_base;
		uint64_t *d = (uint64_t *)&st;

		for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
			d[i] = a[i] - b[i];
	}
	if (l->uac >= 0 && c->calls_started)
		call_loss = 1.0 - (double)c->calls_completed / (double)c->calls_started;
	double p50 = (double)load_hist_percentile(&l->lat, 50) / 1e3;
	double p99 = (double)load_hist_percentile(&l->lat, 99) / 1e3;
	double p999 = (double)load_hist_percentile(&l->lat, 99.9) / 1e3;
	double lmax = l->lat.count ? (double)l->lat.max / 1e3 : 0;
	double send_s = (double)(l->send_end - l->start) / 1e9;

	if (!l->opt.json) {
		printf("sipsteer-bench load (%s)%s%s\n", mode, l->uac >= 0 ? ": target " : "",
		       l->uac >= 0 ? l->id.target : "");
		printf("  elapsed          %.3f s (sending %.3f s)\n", (double)elapsed / 1e9,
		       send_s);
		if (l->uac >= 0) {
			printf("  calls            %" PRIu64 " started, %" PRIu64
			       " completed, %" PRIu64 " failed\n",
			       c->calls_started, c->calls_completed,
			       c->calls_started - c->calls_completed);
			printf("  calls/s          %.0f (offered %" PRIu64 ")\n",
			       per_s(c->calls_started, l->send_end - l->start), l->opt.rate);
		}
		printf("  messages         %" PRIu64 " sent, %" PRIu64
		       " received, %.0f received/s\n",
		       c->sent, c->received, per_s(c->received, elapsed));
		if (has_loss)
			printf("  loss             %.6f%% of messages, %.6f%% of calls\n",
			       loss * 100, call_loss * 100);
		if (l->uac >= 0)
			printf(
			    "  latency (us)     p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (%" PRIu64
			    " calls, INVITE to 200)\n",
			    p50, p99, p999, lmax, l->lat.count);
		if (l->opt.cpu_of)
			printf("  CPU of pid %" PRIu64 "  %.2f s user, %.2f s system\n",
			       l->opt.cpu_of, l->peer_user_s, l->peer_system_s);
		if (l->dpdk) {
			char mac[18];

			load_dpdk_mac(l->dpdk, mac);
			printf("  link             %s (mac %s): frames %" PRIu64 " in, %" PRIu64
			       " out; ARP replied %" PRIu64 ", asked %" PRIu64 "; bad %" PRIu64
			       ", ignored %" PRIu64 ", no neighbour %" PRIu64 ", too big %" PRIu64
			       ", TX dropped %" PRIu64 "\n",
			       l->opt.dpdk, mac, st.rx_frames, st.tx_frames, st.arp_replied,
			       st.arp_requested, st.bad, st.ignored, st.no_neigh, st.too_big,
			       st.tx_dropped);
		}
		printf("  errors           send %" PRIu64 ", malformed %" PRIu64
		       ", unexpected %" PRIu64 ", duplicates %" PRIu64 ", error responses %" PRIu64
		       ", no route %" PRIu64 "\n",
		       c->send_errors, c->malformed, c->unexpected, c->duplicates,
		       c->error_responses, c->no_route);
		return;
	}
	printf("{\"step\": %u, \"mode\": \"%s\", \"target\": \"%s\", \"local\": \"%s\", "
	       "\"backends\": [",
	       l->step, mode, l->uac >= 0 ? l->id.target : "", l->uac >= 0 ? l->id.local : "");
	for (unsigned i = 0, k = 0; i < l->n_socks; i++)
		if (l->socks[i].uas)
			printf("%s\"%s\"", k++ ? ", " : "", l->socks[i].name);
	printf("],\n \"offered_calls_per_s\": %" PRIu64
	       ", \"elapsed_s\": %.6f, \"send_s\": %.6f,\n",
	       l->uac >= 0 ? l->opt.rate : 0, (double)elapsed / 1e9, send_s);
	printf(" \"calls\": {\"started\": %" PRIu64 ", \"completed\": %" PRIu64
	       ", \"failed\": %" PRIu64 "},\n",
	       c->calls_started, c->calls_completed, c->calls_started - c->calls_completed);
	printf(" \"calls_per_s\": %.1f, \"msgs_per_s\": %.1f, \"sent_per_s\": %.1f,\n",
	       per_s(c->calls_started, l->send_end - l->start), per_s(c->received, elapsed),
	       per_s(c->sent, elapsed));
	printf(" \"messages\": {\"sent\": %" PRIu64 ", \"received\": %" PRIu64
	       ", \"delivered\": %" PRIu64 "},\n",
	       c->sent, c->received, c->delivered);
	if (has_loss)
		printf(" \"loss\": %.9f, \"call_loss\": %.9f,\n", loss, call_loss);
	else
		printf(" \"loss\": null, \"call_loss\": null,\n");
	printf(" \"latency_us\": {\"count\": %" PRIu64
	       ", \"p50\": %.1f, \"p99\": %.1f, \"p999\": %.1f, "
	       "\"max\": %.1f},\n",
	       l->lat.count, p50, p99, p999, lmax);
	printf(" \"backend\": {\"requests\": %" PRIu64 ", \"responses\": %" PRIu64 "},\n",
	       c->uas_requests, c->uas_responses);
	if (l->opt.cpu_of)
		printf(" \"peer_cpu\": {\"pid\": %" PRIu64
		       ", \"user_s\": %.2f, \"system_s\": %.2f},\n",
		       l->opt.cpu_of, l->peer_user_s, l->peer_system_s);
	if (l->dpdk) {
		char mac[18];

		load_dpdk_mac(l->dpdk, mac);
		printf(" \"link\": {\"device\": \"");
		for (const char *p = l->opt.dpdk; *p; p++) /* JSON string: escape " and \\ */
			printf("%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
		printf("\", \"mac\": \"%s\", \"rx_frames\": %" PRIu64 ", \"tx_frames\": %" PRIu64
		       ", \"arp_replied\": %" PRIu64 ", \"arp_requested\": %" PRIu64
		       ", \"bad\": %" PRIu64 ", \"ignored\": %" PRIu64
		       ", \"no_neighbour\": %" PRIu64 ", \"too_big\": %" PRIu64
		       ", \"tx_dropped\": %" PRIu64 "},\n",
		       mac, st.rx_frames, st.tx_frames, st.arp_replied, st.arp_requested, st.bad,
		       st.ignored, st.no_neigh, st.too_big, st.tx_dropped);
	}
	printf(" \"errors\": {\"send\": %" PRIu64 ", \"malformed\": %" PRIu64
	       ", \"unexpected\": %" PRIu64 ", \"duplicates\": %" PRIu64
	       ", \"error_responses\": %" PRIu64 ", \"no_route\": %" PRIu64 "}}\n",
	       c->send_errors, c->malformed, c->unexpected, c->duplicates, c->error_responses,
	       c->no_route);
}

static void teardown(struct load *l)
{
	for (unsigned i = 0; i < l->n_socks; i++) {
		if (l->socks[i].fd >= 0)
			close(l->socks[i].fd);
		free(l->socks[i].tx);
	}
	load_dpdk_close(l->dpdk);
	free(l->calls);
	free(l);
}

int bench_load_main(int argc, char **argv)
{
	struct load *l = calloc(1, sizeof(*l));
	struct sigaction sa = {.sa_handler = on_signal};
	int rc;

	if (!l) {
		fprintf(stderr, "sipsteer-bench load: out of memory\n");
		return 1;
	}
	rc = parse_options(&l->opt, argc, argv);
	if (rc) {
		free(l);
		return rc == 1 ? 0 : rc;
	}
	load_hist_init(&l->lat);
	load_hist_init(&l->lat_second);
	if (setup(l) < 0) {
		teardown(l);
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (rc = 0;;) {
		double u0 = 0, s0 = 0, u1 = 0, s1 = 0;

		if (l->opt.cpu_of && !cpu_of(l->opt.cpu_of, &u0, &s0)) {
			fprintf(stderr,
			        "sipsteer-bench load: --cpu-of %" PRIu64 ": no such process\n",
			        l->opt.cpu_of);
			rc = 1;
			break;
		}
		run(l);
		if (l->opt.cpu_of && cpu_of(l->opt.cpu_of, &u1, &s1)) {
			l->peer_user_s = u1 - u0;
			l->peer_system_s = s1 - s0;
		}
		print_result(l);
		fflush(stdout);
		if (l->step + 1 >= l->opt.steps || stop_requested || step_stops(l))
			break;
		if (next_step(l) < 0) {
			rc = 1;
			break;
		}
	}
	teardown(l);
	return rc;
}
