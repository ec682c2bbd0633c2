/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text exposition of a metrics snapshot, and the HTTP endpoint that serves it. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "metrics.h"

#ifndef SIPSTEER_VERSION
#define SIPSTEER_VERSION "unknown"
#endif

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- Rendering ----------------------------------------------------------------------------- */

/* Output that counts what it could not store, so one pass gives the length needed. */
struct text {
	char *buf;
	size_t cap;
	size_t len;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->len < t->cap) {
		size_t room = t->cap - t->len;
		memcpy(t->buf + t->len, s, n < room ? n : room);
	}
	t->len += n;
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(struct text *t, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	/* Only numbers and label names go through here (names and text use puts_): they fit. */
	if (n > 0)
		put(t, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A label value: backslash, double quote and newline escaped (exposition format 0.0.4). */
static void put_label_value(struct text *t, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			puts_(t, "\\\\");
		else if (*v == '"')
			puts_(t, "\\\"");
		else if (*v == '\n')
			puts_(t, "\\n");
		else
			put(t, v, 1);
	}
}

/* HELP texts here hold no backslash or newline: nothing to escape. */
static void family(struct text *t, const char *name, const char *type, const char *help)
{
	puts_(t, "# HELP ");
	puts_(t, name);
	puts_(t, " ");
	puts_(t, help);
	puts_(t, "\n# TYPE ");
	puts_(t, name);
	puts_(t, " ");
	puts_(t, type);
	puts_(t, "\n");
}

/* name{k1="v1",k2="v2"} with up to two labels (k2 NULL for one, k1 NULL for none). */
static void sample_start(struct text *t, const char *name, const char *k1, const char *v1,
                         const char *k2, const char *v2)
{
	puts_(t, name);
	if (k1 == NULL)
		return;
	putf(t, "{%s=\"", k1);
	put_label_value(t, v1);
	if (k2 != NULL) {
		putf(t, "\",%s=\"", k2);
		put_label_value(t, v2);
	}
	puts_(t, "\"}");
}

static void sample_u64(struct text *t, const char *name, const char *k1, const char *v1,
                       const char *k2, const char *v2, uint64_t value)
{
	sample_start(t, name, k1, v1, k2, v2);
	putf(t, " %" PRIu64 "\n", value);
}

static void sample_i64(struct text *t, const char *name, const char *k1, const char *v1,
                       int64_t value)
{
	sample_start(t, name, k1, v1, NULL, NULL);
	putf(t, " %" PRId64 "\n", value);
}

/* Seconds from nanoseconds, exactly: integer part and nine decimals. */
static void put_seconds_ns(struct text *t, uint64_t ns)
{
	putf(t, " %" PRIu64 ".%09" PRIu64 "\n", ns / 1000000000u, ns % 1000000000u);
}

/* The per-worker counters with no label but the worker's. */
struct worker_counter {
	const char *name, *help;
	size_t offset;
};

static const struct worker_counter worker_counters[] = {
    {"sipsteer_rx_packets_total", "Packets received.", offsetof(struct ctl_metrics_worker, rx)},
    {"sipsteer_tx_packets_total", "Packets sent.", offsetof(struct ctl_metrics_worker, tx)},
    {"sipsteer_forwarded_requests_total", "SIP requests forwarded to a backend.",
     offsetof(struct ctl_metrics_worker, forwarded)},
    {"sipsteer_relayed_responses_total", "SIP responses relayed to the next Via.",
     offsetof(struct ctl_metrics_worker, relayed)},
    {"sipsteer_arp_replies_total", "ARP requests for the VIP answered.",
     offsetof(struct ctl_metrics_worker, arp_replied)},
    {"sipsteer_icmp_replies_total", "ICMP echo requests answered.",
     offsetof(struct ctl_metrics_worker, icmp_replied)},
    {"sipsteer_notices_lost_total", "Notices to the control thread lost to a full ring.",
     offsetof(struct ctl_metrics_worker, notices_lost)},
    {"sipsteer_probe_replies_total", "Health probe replies handed to the control thread.",
     offsetof(struct ctl_metrics_worker, probe_replies)},
};

static void worker_label(const struct ctl_metrics_worker *w, char *out, size_t cap)
{
	snprintf(out, cap, "%" PRIu32, w->lcore);
}

static void render_workers(struct text *t, const struct ctl_metrics_snapshot *s)
{
	char lcore[16];

	for (size_t c = 0; c < sizeof(worker_counters) / sizeof(worker_counters[0]); c++) {
		family(t, worker_counters[c].name, "counter", worker_counters[c].help);
		for (uint32_t w = 0; w < s->n_workers; w++) {
			const uint64_t *v = (const uint64_t *)((const char *)&s->workers[w] +
			                                       worker_counters[c].offset);
			worker_label(&s->workers[w], lcore, sizeof(lcore));
			sample_u64(t, worker_counters[c].name, "worker", lcore, NULL, NULL, *v);
		}
	}
	family(t, "sipsteer_stateless_replies_total", "counter",
	       "Stateless SIP replies sent, by status code.");
	for (uint32_t w = 0; w < s->n_workers; w++) {
		worker_label(&s->workers[w], lcore, sizeof(lcore));
		for (uint32_t r = 0; r < s->n_reply_codes; r++)
			sample_u64(t, "sipsteer_stateless_replies_total", "worker", lcore, "code",
			           s->reply_codes[r], s->workers[w].replied[r]);
	}
	family(t, "sipsteer_drops_total", "counter", "Packets dropped, by reason.");
	for (uint32_t w = 0; w < s->n_workers; w++) {
		worker_label(&s->workers[w], lcore, sizeof(lcore));
		for (uint32_t d = 0; d < s->n_drop_reasons; d++)
			sample_u64(t, "sipsteer_drops_total", "worker", lcore, "reason",
			           s->drop_reasons[d], s->workers[w].drops[d]);
	}
}

static int64_t health_value(enum lb_health h)
{
	return h == LB_HEALTH_UP ? 1 : h == LB_HEALTH_DOWN ? 0 : -1;
}

static void render_backends(struct text *t, const struct ctl_metrics_snapshot *s)
{
	char addr[64];

	family(t, "sipsteer_backend_info", "gauge", "Backend address, always 1.");
	for (uint32_t b = 0; b < s->n_backends; b++)
		sample_u64(t, "sipsteer_backend_info", "backend", s->backends[b].name, "address",
		           lb_addr_format(&s->backends[b].addr, addr, sizeof(addr)), 1);
	family(t, "sipsteer_backend_requests_total", "counter",
	       "SIP requests forwarded to the backend.");
	for (uint32_t b = 0; b < s->n_backends; b++)
		sample_u64(t, "sipsteer_backend_requests_total", "backend", s->backends[b].name,
		           NULL, NULL, s->backends[b].requests);
	family(t, "sipsteer_backend_weight", "gauge", "Configured Maglev weight.");
	for (uint32_t b = 0; b < s->n_backends; b++)
		sample_u64(t, "sipsteer_backend_weight", "backend", s->backends[b].name, NULL, NULL,
		           s->backends[b].weight);
	family(t, "sipsteer_backend_health", "gauge",
	       "Probed health: 1 up, 0 down, -1 unknown (not probed yet or probing off).");
	for (uint32_t b = 0; b < s->n_backends; b++)
		sample_i64(t, "sipsteer_backend_health", "backend", s->backends[b].name,
		           health_value(s->backends[b].health));
	family(t, "sipsteer_backend_admin_state", "gauge",
	       "Administrative state: 1 for the current state, 0 for the others.");
	for (uint32_t b = 0; b < s->n_backends; b++)
		for (int a = 0; a < LB_ADMIN_COUNT; a++)
			sample_u64(t, "sipsteer_backend_admin_state", "backend",
			           s->backends[b].name, "state", lb_admin_name((enum lb_admin)a),
			           s->backends[b].admin == (enum lb_admin)a);
}

static void render_probes(struct text *t, const struct ctl_metrics_snapshot *s)
{
	static const char *const results[] = {"alive", "timeout", "bad_code", "ignored"};

	family(t, "sipsteer_backend_probes_sent_total", "counter", "Health probes sent.");
	for (uint32_t b = 0; b < s->n_backends; b++)
		if (s->backends[b].probed)
			sample_u64(t, "sipsteer_backend_probes_sent_total", "backend",
			           s->backends[b].name, NULL, NULL, s->backends[b].probe.sent);
	family(t, "sipsteer_backend_probe_results_total", "counter",
	       "Health probe outcomes: alive, timeout, bad_code (final code not alive), ignored "
	       "(late, stale or provisional replies).");
	for (uint32_t b = 0; b < s->n_backends; b++) {
		const struct ctl_probe_stats *p = &s->backends[b].probe;
		const uint64_t v[] = {p->alive, p->timeouts, p->bad_code, p->ignored};

		if (!s->backends[b].probed)
			continue;
		for (size_t r = 0; r < sizeof(results) / sizeof(results[0]); r++)
			sample_u64(t, "sipsteer_backend_probe_results_total", "backend",
			           s->backends[b].name, "result", results[r], v[r]);
	}
	family(t, "sipsteer_backend_probe_last_rtt_seconds", "gauge",
	       "Round-trip time of the last alive probe reply (0 before the first).");
	for (uint32_t b = 0; b < s->n_backends; b++) {
		if (!s->backends[b].probed)
			continue;
		sample_start(t, "sipsteer_backend_probe_last_rtt_seconds", "backend",
		             s->backends[b].name, NULL, NULL);
		put_seconds_ns(t, s->backends[b].probe.last_rtt_ns);
	}
	family(t, "sipsteer_backend_probe_rtt_seconds", "histogram",
	       "Round-trip time of alive probe replies.");
	for (uint32_t b = 0; b < s->n_backends; b++) {
		const struct ctl_probe_rtt *h = &s->backends[b].probe.rtt;
		const char *name = s->backends[b].name;
		char le[32];

		if (!s->backends[b].probed)
			continue;
		for (unsigned i = 0; i < CTL_PROBE_RTT_BUCKETS; i++) {
			snprintf(le, sizeof(le), "%g", ctl_probe_rtt_buckets_ms[i] / 1000.0);
			sample_u64(t, "sipsteer_backend_probe_rtt_seconds_bucket", "backend", name,
			           "le", le, h->bucket[i]);
		}
		sample_u64(t, "sipsteer_backend_probe_rtt_seconds_bucket", "backend", name, "le",
		           "+Inf", h->count);
		sample_start(t, "sipsteer_backend_probe_rtt_seconds_sum", "backend", name, NULL,
		             NULL);
		put_seconds_ns(t, h->sum_ns);
		sample_u64(t, "sipsteer_backend_probe_rtt_seconds_count", "backend", name, NULL,
		           NULL, h->count);
	}
}

int ctl_metrics_render(const struct ctl_metrics_snapshot *s, char *out, size_t cap)
{
	struct text t = {.buf = out, .cap = out ? cap : 0, .len = 0};

	family(&t, "sipsteer_build_info", "gauge", "Version of the running sipsteer, always 1.");
	sample_u64(&t, "sipsteer_build_info", "version", SIPSTEER_VERSION, NULL, NULL, 1);
	family(&t, "sipsteer_uptime_seconds", "gauge", "Seconds since the daemon started.");
	/* %.3f stays short below 1e15 s; anything else (negative, NaN, huge) is not an uptime. */
	putf(&t, "sipsteer_uptime_seconds %.3f\n",
	     s->uptime_s >= 0 && s->uptime_s < 1e15 ? s->uptime_s : 0.0);
	family(&t, "sipsteer_workers", "gauge", "Worker lcores.");
	sample_u64(&t, "sipsteer_workers", NULL, NULL, NULL, NULL, s->n_workers);
	family(&t, "sipsteer_backend_set_generation", "gauge",
	       "Generation of the published backend set (each health or config change adds one).");
	sample_u64(&t, "sipsteer_backend_set_generation", NULL, NULL, NULL, NULL, s->lb_generation);
	render_workers(&t, s);
	render_backends(&t, s);
	render_probes(&t, s);

	if (t.len > INT32_MAX)
		return -E2BIG;
	if (out == NULL || cap == 0)
		return out == NULL && cap == 0 ? (int)t.len : -ENOSPC;
	if (t.len >= cap) {
		out[cap - 1] = 0;
		return -ENOSPC;
	}
	out[t.len] = 0;
	return (int)t.len;
}

/* ---- Address ------------------------------------------------------------------------------- */

/* Decimal 0..65535, nothing else. */
static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -EINVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (i == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int ctl_metrics_parse_addr(const char *text, struct lb_addr *out, char *err, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL, *colon;
	struct lb_addr a;
	size_t len;

	memset(&a, 0, sizeof(a));
	if (text[0] == 0)
		return 1;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || (close[1] != 0 && close[1] != ':'))
			goto bad;
		len = (size_t)(close - text - 1);
		if (len >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, len);
		host[len] = 0;
		if (inet_pton(AF_INET6, host, a.v6) != 1)
			goto bad;
		a.family = AF_INET6;
		if (close[1] == ':')
			port = close + 2;
	} else {
		colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			goto bad; /* an IPv6 address needs its brackets here */
		len = colon ? (size_t)(colon - text) : strlen(text);
		if (len >= sizeof(host))
			goto bad;
		memcpy(host, text, len);
		host[len] = 0;
		if (inet_pton(AF_INET, host, a.v4) != 1)
			goto bad;
		a.family = AF_INET;
		if (colon != NULL)
			port = colon + 1;
	}
	a.port = CTL_METRICS_DEFAULT_PORT;
	if (port != NULL && parse_port(port, &a.port) < 0)
		goto bad;
	*out = a;
	return 0;
bad:
	snprintf(err, cap,
	         "metrics address '%s': expected IPv4[:port] or [IPv6][:port], port 0..65535",
	         text);
	return -EINVAL;
}

/* ---- Server -------------------------------------------------------------------------------- */

struct ctl_metrics_server {
	struct MHD_Daemon *daemon;
	uint16_t port;
	pthread_mutex_t lock;
	char *text; // ctl: rw under lock, http thread: ro under lock
	size_t len;
	bool published;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *body,
                              size_t len, bool copy)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        status == MHD_HTTP_OK ? CONTENT_TYPE : "text/plain; charset=utf-8");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Runs on libmicrohttpd's thread: touches only the published copy, under the lock. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	static const char not_found[] = "not found: the metrics are at GET /metrics\n";
	static const char not_yet[] = "no metrics published yet\n";
	struct ctl_metrics_server *srv = cls;
	enum MHD_Result rc;

	if (strcmp(url, "/metrics") != 0 ||
	    (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0))
		return answer(conn, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1, false);
	pthread_mutex_lock(&srv->lock);
	if (srv->published)
		rc = answer(conn, MHD_HTTP_OK, srv->text ? srv->text : "", srv->len, true);
	else
		rc =
		    answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, not_yet, sizeof(not_yet) - 1, false);
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

/* A bound, listening socket for a, or -errno. */
static int listen_on(const struct lb_addr *a, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, e;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->v4, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->v6, 16);
		sl = sizeof(*sin6);
	}
	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Restart right away after a stop (TIME_WAIT); two live listeners still conflict. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto err;
	if (a->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto err;
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0)
		goto err;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto err;
	*port = ntohs(a->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
err:
	e = errno;
	close(fd);
	return -e;
}

int ctl_metrics_start(const char *addr, struct ctl_metrics_server **out, char *err, size_t cap)
{
	struct ctl_metrics_server *srv;
	struct lb_addr a;
	char where[64];
	int rc, fd;

	*out = NULL;
	rc = ctl_metrics_parse_addr(addr, &a, err, cap);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	lb_addr_format(&a, where, sizeof(where));
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		snprintf(err, cap, "metrics %s: out of memory", where);
		return -ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	fd = listen_on(&a, &srv->port);
	if (fd < 0) {
		rc = fd;
		snprintf(err, cap, "metrics %s: %s", where, strerror(-rc));
		goto err;
	}
	srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	                                   (a.family == AF_INET6 ? MHD_USE_IPv6 : 0),
	                               0, NULL, NULL, handle, srv, MHD_OPTION_LISTEN_SOCKET,
	                               (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (srv->daemon == NULL) {
		close(fd);
		rc = -EIO;
		snprintf(err, cap, "metrics %s: the HTTP server (libmicrohttpd) did not start",
		         where);
		goto err;
	}
	*out = srv;
	return 0;
err:
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return rc;
}

uint16_t ctl_metrics_port(const struct ctl_metrics_server *srv)
{
	return srv ? srv->port : 0;
}

int ctl_metrics_publish(struct ctl_metrics_server *srv, const char *text, size_t len)
{
	char *copy, *old;

	if (srv == NULL)
		return 0;
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	pthread_mutex_lock(&srv->lock);
	old = srv->text;
	srv->text = copy;
	srv->len = len;
	srv->published = true;
	pthread_mutex_unlock(&srv->lock);
	free(old);
	return 0;
}

void ctl_metrics_stop(struct ctl_metrics_server *srv)
{
	if (srv == NULL)
		return;
	/* Joins the server thread and closes the listening socket. */
	MHD_stop_daemon(srv->daemon);
	pthread_mutex_destroy(&srv->lock);
	free(srv->text);
	free(srv);
}
