/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics: the exposition of a fixed snapshot (exact lines, label escaping, sizes),
 * the metrics address syntax, and the HTTP endpoint on a loopback port (200 on GET /metrics with
 * the published text, 404 elsewhere, address in use and malformed addresses refused).
 *
 * Run with --render or --expect it prints the fixed snapshot's exposition, or the samples it must
 * contain as JSON: tests/metrics/check_exposition.py parses the first with the Prometheus Python
 * client's own parser and compares it with the second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "metrics.h"
#include "probe.h"

#define MS(x) ((uint64_t)(x)*1000000u)

/* ---- The fixed snapshot -------------------------------------------------------------------- */

static const char *const reply_codes[] = {"400", "503", "other"};
static const char *const drop_reasons[] = {"bad_ip", "neigh_miss", "sip_no_call_id"};
static const uint64_t w0_replied[] = {4, 0, 1};
static const uint64_t w0_drops[] = {7, 0, 2};
static const uint64_t w1_replied[] = {0, 12345678901234ULL, 0};
static const uint64_t w1_drops[] = {0, 3, 0};

/* A name with every character the exposition format must escape. */
#define WEIRD         "we\"ird\\name\nx"
#define WEIRD_ESCAPED "we\\\"ird\\\\name\\nx"

static const char *const le_text[CTL_PROBE_RTT_BUCKETS] = {
    "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5",
};

static void fixed_snapshot(struct ctl_metrics_snapshot *s)
{
	static struct ctl_metrics_worker workers[2];
	static struct ctl_metrics_backend backends[3];

	memset(workers, 0, sizeof(workers));
	workers[0] = (struct ctl_metrics_worker){
	    .lcore = 1,
	    .rx = 10,
	    .tx = 9,
	    .forwarded = 5,
	    .relayed = 3,
	    .arp_replied = 1,
	    .icmp_replied = 0,
	    .notices_lost = 0,
	    .probe_replies = 7,
	    .replied = w0_replied,
	    .drops = w0_drops,
	};
	workers[1] = (struct ctl_metrics_worker){
	    .lcore = 3,
	    .rx = UINT64_C(18446744073709551615),
	    .tx = 1,
	    .forwarded = 2,
	    .relayed = 4,
	    .arp_replied = 0,
	    .icmp_replied = 6,
	    .notices_lost = 8,
	    .probe_replies = UINT64_C(4294967296),
	    .replied = w1_replied,
	    .drops = w1_drops,
	};

	memset(backends, 0, sizeof(backends));
	backends[0].name = "be1";
	assert_int_equal(lb_addr_parse("198.18.0.21:5060", 5060, &backends[0].addr), 0);
	backends[0].requests = 1000;
	backends[0].weight = 100;
	backends[0].admin = LB_ADMIN_ENABLED;
	backends[0].health = LB_HEALTH_UP;
	backends[0].probed = true;
	backends[0].probe = (struct ctl_probe_stats){
	    .health = LB_HEALTH_UP,
	    .sent = 20,
	    .alive = 17,
	    .timeouts = 2,
	    .bad_code = 1,
	    .ignored = 3,
	    .last_rtt_ns = MS(3) + 250000,
	    .rtt = {.bucket = {1, 4, 15, 16, 16, 17, 17, 17, 17, 17, 17, 17},
	            .count = 17,
	            .sum_ns = MS(31)},
	};
	backends[1].name = WEIRD;
	assert_int_equal(lb_addr_parse("[2001:db8::22]:5062", 5060, &backends[1].addr), 0);
	backends[1].requests = 0;
	backends[1].weight = 5;
	backends[1].admin = LB_ADMIN_ENABLED;
	backends[1].health = LB_HEALTH_DOWN;
	backends[1].probed = true;
	backends[1].probe = (struct ctl_probe_stats){
	    .health = LB_HEALTH_DOWN,
	    .sent = 4,
	    .timeouts = 4,
	    .rtt = {.count = 1, .sum_ns = MS(9000)},
	};
	backends[2].name = "be3";
	assert_int_equal(lb_addr_parse("198.18.0.23:5060", 5060, &backends[2].addr), 0);
	backends[2].requests = 7;
	backends[2].weight = 0;
	backends[2].admin = LB_ADMIN_DRAINING;
	backends[2].health = LB_HEALTH_UNKNOWN;
	backends[2].probed = false;

	memset(s, 0, sizeof(*s));
	s->uptime_s = 12.5;
	s->n_reply_codes = 3;
	s->reply_codes = reply_codes;
	s->n_drop_reasons = 3;
	s->drop_reasons = drop_reasons;
	s->n_workers = 2;
	s->workers = workers;
	s->n_backends = 3;
	s->backends = backends;
	s->lb_generation = 4;
}

static char *render_alloc(const struct ctl_metrics_snapshot *s)
{
	int len = ctl_metrics_render(s, NULL, 0);
	char *text;

	assert_true(len > 0);
	text = malloc((size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(ctl_metrics_render(s, text, (size_t)len + 1), len);
	assert_int_equal(strlen(text), (size_t)len);
	return text;
}

/* ---- What the exposition must hold, from the snapshot's fields ------------------------------ */

static void expect(json_t *list, const char *name, double value, ...)
{
	json_t *labels = json_object();
	va_list ap;
	const char *k;

	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL)
		json_object_set_new(labels, k, json_string(va_arg(ap, const char *)));
	va_end(ap);
	json_array_append_new(
	    list, json_pack("{s:s, s:o, s:f}", "name", name, "labels", labels, "value", value));
}

static json_t *expected_samples(const struct ctl_metrics_snapshot *s)
{
	json_t *list = json_array();
	char addr[64], lcore[16];

	expect(list, "sipsteer_build_info", 1, "version", SIPSTEER_VERSION, NULL);
	expect(list, "sipsteer_uptime_seconds", s->uptime_s, NULL);
	expect(list, "sipsteer_workers", s->n_workers, NULL);
	expect(list, "sipsteer_backend_set_generation", (double)s->lb_generation, NULL);
	for (uint32_t i = 0; i < s->n_workers; i++) {
		const struct ctl_metrics_worker *w = &s->workers[i];
		snprintf(lcore, sizeof(lcore), "%u", w->lcore);
		expect(list, "sipsteer_rx_packets_total", (double)w->rx, "worker", lcore, NULL);
		expect(list, "sipsteer_tx_packets_total", (double)w->tx, "worker", lcore, NULL);
		expect(list, "sipsteer_forwarded_requests_total", (double)w->forwarded, "worker",
		       lcore, NULL);
		expect(list, "sipsteer_relayed_responses_total", (double)w->relayed, "worker",
		       lcore, NULL);
		expect(list, "sipsteer_arp_replies_total", (double)w->arp_replied, "worker", lcore,
		       NULL);
		expect(list, "sipsteer_icmp_replies_total", (double)w->icmp_replied, "worker",
		       lcore, NULL);
		expect(list, "sipsteer_notices_lost_total", (double)w->notices_lost, "worker",
		       lcore, NULL);
		expect(list, "sipsteer_probe_replies_total", (double)w->probe_replies, "worker",
		       lcore, NULL);
		for (uint32_t r = 0; r < s->n_reply_codes; r++)
			expect(list, "sipsteer_stateless_replies_total", (double)w->replied[r],
			       "worker", lcore, "code", s->reply_codes[r], NULL);
		for (uint32_t d = 0; d < s->n_drop_reasons; d++)
			expect(list, "sipsteer_drops_total", (double)w->drops[d], "worker", lcore,
			       "reason", s->drop_reasons[d], NULL);
	}
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct ctl_metrics_backend *b = &s->backends[i];
		static const char *const admin[] = {"enabled", "draining", "disabled"};
		double health = b->health == LB_HEALTH_UP     ? 1
		                : b->health == LB_HEALTH_DOWN ? 0
		                                              : -1;

		expect(list, "sipsteer_backend_info", 1, "backend", b->name, "address",
		       lb_addr_format(&b->addr, addr, sizeof(addr)), NULL);
		expect(list, "sipsteer_backend_requests_total", (double)b->requests, "backend",
		       b->name, NULL);
		expect(list, "sipsteer_backend_weight", b->weight, "backend", b->name, NULL);
		expect(list, "sipsteer_backend_health", health, "backend", b->name, NULL);
		for (int a = 0; a < 3; a++)
			expect(list, "sipsteer_backend_admin_state", b->admin == (enum lb_admin)a,
			       "backend", b->name, "state", admin[a], NULL);
		if (!b->probed)
			continue;
		expect(list, "sipsteer_backend_probes_sent_total", (double)b->probe.sent, "backend",
		       b->name, NULL);
		expect(list, "sipsteer_backend_probe_results_total", (double)b->probe.alive,
		       "backend", b->name, "result", "alive", NULL);
		expect(list, "sipsteer_backend_probe_results_total", (double)b->probe.timeouts,
		       "backend", b->name, "result", "timeout", NULL);
		expect(list, "sipsteer_backend_probe_results_total", (double)b->probe.bad_code,
		       "backend", b->name, "result", "bad_code", NULL);
		expect(list, "sipsteer_backend_probe_results_total", (double)b->probe.ignored,
		       "backend", b->name, "result", "ignored", NULL);
		expect(list, "sipsteer_backend_probe_last_rtt_seconds", b->probe.last_rtt_ns / 1e9,
		       "backend", b->name, NULL);
		for (int k = 0; k < CTL_PROBE_RTT_BUCKETS; k++)
			expect(list, "sipsteer_backend_probe_rtt_seconds_bucket",
			       (double)b->probe.rtt.bucket[k], "backend", b->name, "le", le_text[k],
			       NULL);
		expect(list, "sipsteer_backend_probe_rtt_seconds_bucket",
		       (double)b->probe.rtt.count, "backend", b->name, "le", "+Inf", NULL);
		expect(list, "sipsteer_backend_probe_rtt_seconds_sum", b->probe.rtt.sum_ns / 1e9,
		       "backend", b->name, NULL);
		expect(list, "sipsteer_backend_probe_rtt_seconds_count", (double)b->probe.rtt.count,
		       "backend", b->name, NULL);
	}
	return list;
}

/* ---- Renderer ------------------------------------------------------------------------------ */

static void test_render_lines(void **state)
{
	struct ctl_metrics_snapshot s;
	fixed_snapshot(&s);
	char *text = render_alloc(&s);
	static const char *const lines[] = {
	    "# HELP sipsteer_rx_packets_total Packets received.\n"
	    "# TYPE sipsteer_rx_packets_total counter\n"
	    "sipsteer_rx_packets_total{worker=\"1\"} 10\n"
	    "sipsteer_rx_packets_total{worker=\"3\"} 18446744073709551615\n",
	    "\nsipsteer_uptime_seconds 12.500\n",
	    "\nsipsteer_build_info{version=\"" SIPSTEER_VERSION "\"} 1\n",
	    "\nsipsteer_stateless_replies_total{worker=\"3\",code=\"503\"} 12345678901234\n",
	    "\nsipsteer_drops_total{worker=\"1\",reason=\"sip_no_call_id\"} 2\n",
	    "\nsipsteer_backend_info{backend=\"be1\",address=\"198.18.0.21:5060\"} 1\n",
	    "\nsipsteer_backend_info{backend=\"" WEIRD_ESCAPED
	    "\",address=\"[2001:db8::22]:5062\"} 1\n",
	    "\nsipsteer_backend_weight{backend=\"" WEIRD_ESCAPED "\"} 5\n",
	    "\nsipsteer_backend_health{backend=\"be1\"} 1\n",
	    "\nsipsteer_backend_health{backend=\"" WEIRD_ESCAPED "\"} 0\n",
	    "\nsipsteer_backend_health{backend=\"be3\"} -1\n",
	    "\nsipsteer_backend_admin_state{backend=\"be3\",state=\"enabled\"} 0\n"
	    "sipsteer_backend_admin_state{backend=\"be3\",state=\"draining\"} 1\n"
	    "sipsteer_backend_admin_state{backend=\"be3\",state=\"disabled\"} 0\n",
	    "\nsipsteer_backend_probe_last_rtt_seconds{backend=\"be1\"} 0.003250000\n",
	    "# TYPE sipsteer_backend_probe_rtt_seconds histogram\n"
	    "sipsteer_backend_probe_rtt_seconds_bucket{backend=\"be1\",le=\"0.001\"} 1\n"
	    "sipsteer_backend_probe_rtt_seconds_bucket{backend=\"be1\",le=\"0.002\"} 4\n",
	    "\nsipsteer_backend_probe_rtt_seconds_bucket{backend=\"be1\",le=\"2.5\"} 17\n"
	    "sipsteer_backend_probe_rtt_seconds_bucket{backend=\"be1\",le=\"5\"} 17\n"
	    "sipsteer_backend_probe_rtt_seconds_bucket{backend=\"be1\",le=\"+Inf\"} 17\n"
	    "sipsteer_backend_probe_rtt_seconds_sum{backend=\"be1\"} 0.031000000\n"
	    "sipsteer_backend_probe_rtt_seconds_count{backend=\"be1\"} 17\n",
	    "\nsipsteer_backend_probe_rtt_seconds_sum{backend=\"" WEIRD_ESCAPED "\"} 9.000000000\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (strstr(text, lines[i]) == NULL)
			fail_msg("missing:\n%s\nin:\n%s", lines[i], text);
	}
	/* Probe metrics only for probed backends; the raw name never appears unescaped. */
	assert_null(strstr(text, "sipsteer_backend_probes_sent_total{backend=\"be3\"}"));
	assert_null(strstr(text, WEIRD));
	/* Every line is a comment or a sample, and the text ends with a newline. */
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (char *line = text; *line; line = strchr(line, '\n') + 1)
		assert_true(line[0] == '#' || strncmp(line, "sipsteer_", 9) == 0);
	free(text);
}

/* Every sample's family has its HELP and TYPE before it, once. */
static void test_render_families(void **state)
{
	struct ctl_metrics_snapshot s;
	fixed_snapshot(&s);
	char *text = render_alloc(&s);
	char seen[64][96];
	size_t n_seen = 0;

	for (char *line = text; *line; line = strchr(line, '\n') + 1) {
		char name[96];
		size_t len = strcspn(line, "{ \n");
		if (strncmp(line, "# HELP ", 7) == 0) {
			len = strcspn(line + 7, " ");
			assert_true(len < sizeof(name));
			memcpy(name, line + 7, len);
			name[len] = 0;
			for (size_t i = 0; i < n_seen; i++)
				assert_string_not_equal(seen[i], name);
			assert_true(n_seen < 64);
			strcpy(seen[n_seen++], name);
			/* the TYPE line follows */
			char *next = strchr(line, '\n') + 1;
			assert_int_equal(strncmp(next, "# TYPE ", 7), 0);
			assert_int_equal(strncmp(next + 7, name, strlen(name)), 0);
			continue;
		}
		if (line[0] == '#')
			continue;
		assert_true(len < sizeof(name));
		memcpy(name, line, len);
		name[len] = 0;
		/* the sample belongs to the last family announced */
		assert_true(n_seen > 0);
		const char *fam = seen[n_seen - 1];
		assert_int_equal(strncmp(name, fam, strlen(fam)), 0);
		const char *suffix = name + strlen(fam);
		assert_true(!*suffix || !strcmp(suffix, "_bucket") || !strcmp(suffix, "_sum") ||
		            !strcmp(suffix, "_count"));
	}
	free(text);
}

static void test_render_sizes(void **state)
{
	struct ctl_metrics_snapshot s;
	fixed_snapshot(&s);
	char *full = render_alloc(&s);
	size_t len = strlen(full);
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	/* Too small: -ENOSPC with the text's first cap-1 bytes, NUL-terminated. */
	for (size_t cap = 1; cap <= len; cap += cap < 64 ? 1 : 97) {
		memset(buf, 'Z', len + 1);
		assert_int_equal(ctl_metrics_render(&s, buf, cap), -ENOSPC);
		assert_int_equal(buf[cap - 1], 0);
		assert_memory_equal(buf, full, cap - 1);
	}
	assert_int_equal(ctl_metrics_render(&s, buf, len), -ENOSPC);
	assert_int_equal(ctl_metrics_render(&s, buf, 0), -ENOSPC);
	assert_int_equal(ctl_metrics_render(&s, buf, len + 1), (int)len);
	assert_string_equal(buf, full);
	free(buf);
	free(full);
}

static void test_render_empty(void **state)
{
	struct ctl_metrics_snapshot s;
	memset(&s, 0, sizeof(s));
	char *text = render_alloc(&s);
	assert_non_null(strstr(text, "\nsipsteer_workers 0\n"));
	assert_non_null(strstr(text, "\nsipsteer_backend_set_generation 0\n"));
	assert_non_null(strstr(text, "# TYPE sipsteer_drops_total counter\n"));
	assert_null(strstr(text, "sipsteer_drops_total{"));
	assert_null(strstr(text, "sipsteer_backend_health{"));
	free(text);
}

/* ---- Address ------------------------------------------------------------------------------- */

static void test_parse_addr(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *formatted; /* lb_addr_format of the result */
	} cases[] = {
	    {"", 1, NULL},
	    {"127.0.0.1:9760", 0, "127.0.0.1:9760"},
	    {"127.0.0.1", 0, "127.0.0.1:9760"},
	    {"0.0.0.0:80", 0, "0.0.0.0:80"},
	    {"127.0.0.1:0", 0, "127.0.0.1:0"},
	    {"127.0.0.1:65535", 0, "127.0.0.1:65535"},
	    {"[::1]:9761", 0, "[::1]:9761"},
	    {"[::1]", 0, "[::1]:9760"},
	    {"[2001:db8::1]:0", 0, "[2001:db8::1]:0"},
	    {"localhost:9760", -EINVAL, NULL},
	    {"127.0.0.1:", -EINVAL, NULL},
	    {"127.0.0.1:65536", -EINVAL, NULL},
	    {"127.0.0.1:123456", -EINVAL, NULL},
	    {"127.0.0.1:-1", -EINVAL, NULL},
	    {"127.0.0.1:80x", -EINVAL, NULL},
	    {"127.0.0.1:80:81", -EINVAL, NULL},
	    {" 127.0.0.1:80", -EINVAL, NULL},
	    {"1.2.3:80", -EINVAL, NULL},
	    {"::1", -EINVAL, NULL},
	    {"::1:9760", -EINVAL, NULL},
	    {"[::1", -EINVAL, NULL},
	    {"[::1]x", -EINVAL, NULL},
	    {"[::1]:", -EINVAL, NULL},
	    {"[::1]:70000", -EINVAL, NULL},
	    {"[127.0.0.1]:80", -EINVAL, NULL},
	    {"[]:80", -EINVAL, NULL},
	    {":80", -EINVAL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lb_addr a;
		char err[256] = "", fmt[64];
		int rc = ctl_metrics_parse_addr(cases[i].text, &a, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("'%s': %d, want %d", cases[i].text, rc, cases[i].rc);
		if (rc == 0)
			assert_string_equal(lb_addr_format(&a, fmt, sizeof(fmt)),
			                    cases[i].formatted);
		if (rc < 0) {
			/* The message quotes what was given. */
			assert_non_null(strstr(err, cases[i].text));
			assert_non_null(strstr(err, "metrics address"));
		}
	}
}

/* ---- Server -------------------------------------------------------------------------------- */

struct http_reply {
	int status;
	char headers[1024];
	char *body;
	size_t body_len;
};

/* One HTTP/1.0 request to family/addr:port; the server closes after the response. */
static void http(int family, const char *ip, uint16_t port, const char *request,
                 struct http_reply *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct timeval tv = {.tv_sec = 30};
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
		sl = sizeof(*sin6);
	}
	assert_non_null(buf);
	fd = socket(family, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	/* A safety net against a hung server, not a timing assertion. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	assert_int_equal(n, 0);
	close(fd);
	buf[len] = 0;

	char *end = strstr(buf, "\r\n\r\n");
	assert_non_null(end);
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
	size_t hlen = (size_t)(end - buf);
	assert_true(hlen < sizeof(r->headers));
	memcpy(r->headers, buf, hlen);
	r->headers[hlen] = 0;
	r->body_len = len - hlen - 4;
	r->body = malloc(r->body_len + 1);
	assert_non_null(r->body);
	memcpy(r->body, end + 4, r->body_len);
	r->body[r->body_len] = 0;
	free(buf);
}

static void get(int family, const char *ip, uint16_t port, const char *method, const char *path,
                struct http_reply *r)
{
	char req[256];
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: metrics\r\n\r\n", method, path);
	http(family, ip, port, req, r);
}

static bool header_has(const struct http_reply *r, const char *line)
{
	return strcasestr(r->headers, line) != NULL;
}

static void test_server(void **state)
{
	struct ctl_metrics_server *srv, *second;
	struct ctl_metrics_snapshot s;
	struct http_reply r;
	char err[256];
	uint16_t port;

	assert_int_equal(ctl_metrics_start("127.0.0.1:0", &srv, err, sizeof(err)), 0);
	assert_non_null(srv);
	port = ctl_metrics_port(srv);
	assert_int_not_equal(port, 0);

	/* Nothing published yet. */
	get(AF_INET, "127.0.0.1", port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 503);
	free(r.body);

	fixed_snapshot(&s);
	char *text = render_alloc(&s);
	assert_int_equal(ctl_metrics_publish(srv, text, strlen(text)), 0);
	get(AF_INET, "127.0.0.1", port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_true(header_has(&r, "\r\nContent-Type: text/plain; version=0.0.4"));
	assert_int_equal(r.body_len, strlen(text));
	assert_string_equal(r.body, text);
	free(r.body);

	/* HEAD: the headers, no body. */
	get(AF_INET, "127.0.0.1", port, "HEAD", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	free(r.body);

	/* A query string is not part of the path. */
	get(AF_INET, "127.0.0.1", port, "GET", "/metrics?x=1", &r);
	assert_int_equal(r.status, 200);
	free(r.body);

	/* Anything else: 404. */
	static const char *const other[][2] = {
	    {"GET", "/"},      {"GET", "/metrics/"}, {"GET", "/metricsx"}, {"GET", "/Metrics"},
	    {"GET", "/other"}, {"POST", "/metrics"}, {"PUT", "/metrics"},  {"DELETE", "/metrics"},
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		get(AF_INET, "127.0.0.1", port, other[i][0], other[i][1], &r);
		if (r.status != 404)
			fail_msg("%s %s: %d", other[i][0], other[i][1], r.status);
		free(r.body);
	}

	/* A new publication replaces the text; the caller's buffer is not kept. */
	static const char next[] = "# TYPE x gauge\nx 1\n";
	assert_int_equal(ctl_metrics_publish(srv, next, strlen(next)), 0);
	memset(text, 'Z', strlen(text));
	free(text);
	get(AF_INET, "127.0.0.1", port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, next);
	free(r.body);

	/* The same port again: refused, and the message says where and why. */
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_equal(ctl_metrics_start(addr, &second, err, sizeof(err)), -EADDRINUSE);
	assert_null(second);
	assert_non_null(strstr(err, addr));
	assert_non_null(strstr(err, "in use"));

	ctl_metrics_stop(srv);
	/* Stopped: the port is free again and nothing answers there. */
	assert_int_equal(ctl_metrics_start(addr, &second, err, sizeof(err)), 0);
	ctl_metrics_stop(second);
}

static void test_server_refuses(void **state)
{
	struct ctl_metrics_server *srv = (void *)1;
	char err[256];

	/* "" is off: no server, and the other calls accept NULL. */
	assert_int_equal(ctl_metrics_start("", &srv, err, sizeof(err)), 0);
	assert_null(srv);
	assert_int_equal(ctl_metrics_publish(NULL, "x", 1), 0);
	assert_int_equal(ctl_metrics_port(NULL), 0);
	ctl_metrics_stop(NULL);

	srv = (void *)1;
	assert_int_equal(ctl_metrics_start("localhost:9760", &srv, err, sizeof(err)), -EINVAL);
	assert_null(srv);
	assert_non_null(strstr(err, "localhost:9760"));
	assert_int_equal(ctl_metrics_start("127.0.0.1:99999", &srv, err, sizeof(err)), -EINVAL);

	/* An address this host does not have (TEST-NET-1, RFC 5737). */
	assert_int_equal(ctl_metrics_start("192.0.2.1:0", &srv, err, sizeof(err)), -EADDRNOTAVAIL);
	assert_null(srv);
	assert_non_null(strstr(err, "metrics 192.0.2.1:0: "));
}

static void test_server_ipv6(void **state)
{
	struct ctl_metrics_server *srv;
	struct http_reply r;
	char err[256];
	int rc = ctl_metrics_start("[::1]:0", &srv, err, sizeof(err));

	if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) {
		print_message("no IPv6 loopback here (%s): skipped\n", err);
		skip();
	}
	assert_int_equal(rc, 0);
	assert_int_equal(ctl_metrics_publish(srv, "x 1\n", 4), 0);
	get(AF_INET6, "::1", ctl_metrics_port(srv), "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "x 1\n");
	free(r.body);
	get(AF_INET6, "::1", ctl_metrics_port(srv), "GET", "/", &r);
	assert_int_equal(r.status, 404);
	free(r.body);
	ctl_metrics_stop(srv);
}

/* ---- Modes for check_exposition.py ---------------------------------------------------------- */

static int print_mode(const char *mode)
{
	struct ctl_metrics_snapshot s;

	fixed_snapshot(&s);
	if (strcmp(mode, "--render") == 0) {
		char *text = render_alloc(&s);
		fputs(text, stdout);
		free(text);
		return 0;
	}
	if (strcmp(mode, "--expect") == 0) {
		json_t *list = expected_samples(&s);
		json_dumpf(list, stdout, JSON_INDENT(1));
		json_decref(list);
		return 0;
	}
	fprintf(stderr, "usage: test_metrics [--render | --expect]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_lines),   cmocka_unit_test(test_render_families),
	    cmocka_unit_test(test_render_sizes),   cmocka_unit_test(test_render_empty),
	    cmocka_unit_test(test_parse_addr),     cmocka_unit_test(test_server),
	    cmocka_unit_test(test_server_refuses), cmocka_unit_test(test_server_ipv6),
	};
	if (argc > 1)
		return print_mode(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
