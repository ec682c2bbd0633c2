/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer metrics: a Prometheus text exposition (format 0.0.4) of a snapshot, and the HTTP
 * endpoint that serves the latest one (libmicrohttpd, its own thread).
 *
 * Nothing here reads worker memory. The control thread fills a struct ctl_metrics_snapshot
 * (reading worker counters with DP_READ, the probe state with ctl_probe_stats), renders it with
 * ctl_metrics_render(), and hands the text to ctl_metrics_publish(); the server thread only ever
 * copies the last published text, under a mutex. Metric names and labels: docs/monitoring.md.
 */
#ifndef SIPSTEER_CTL_METRICS_H
#define SIPSTEER_CTL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb.h"
#include "probe.h"

#define CTL_METRICS_DEFAULT_PORT 9760

/* One worker's counters (label worker="<lcore>"). */
struct ctl_metrics_worker {
	uint32_t lcore;
	uint64_t rx, tx, forwarded, relayed;
	uint64_t arp_replied, icmp_replied, notices_lost;
	uint64_t probe_replies;  /* health probe replies handed to the control thread */
	const uint64_t *replied; /* n_reply_codes entries, in the order of reply_codes */
	const uint64_t *drops;   /* n_drop_reasons entries, in the order of drop_reasons */
};

/* One backend (label backend="<name>"). */
struct ctl_metrics_backend {
	const char *name;
	struct lb_addr addr;
	uint64_t requests; /* forwarded to it, summed over the workers */
	uint32_t weight;
	enum lb_admin admin;
	enum lb_health health;
	bool probed;                  /* false: no probe_* metrics for it (probing off) */
	struct ctl_probe_stats probe; /* ctl_probe_stats() of it, when probed */
};

/*
 * Everything one scrape shows (every pointer non-NULL where its count is not 0, every name a
 * NUL-terminated string). The renderer reads it only; the caller owns every array and
 * string (they need to live only for the ctl_metrics_render call).
 */
struct ctl_metrics_snapshot {
	double uptime_s;
	uint32_t n_reply_codes;
	const char *const *reply_codes; /* label code="400", ..., "other" (dp_reply_name) */
	uint32_t n_drop_reasons;
	const char *const *drop_reasons; /* label reason="neigh_miss", ... (dp_drop_name) */
	uint32_t n_workers;
	const struct ctl_metrics_worker *workers;
	uint32_t n_backends;
	const struct ctl_metrics_backend *backends;
	uint64_t lb_generation; /* generation of the published backend set, 0: none */
};

/*
 * Write the exposition of s into out[0..cap) and NUL-terminate it. Returns the length of the text
 * (without its NUL), or -ENOSPC when cap bytes are too few (out then holds a truncated,
 * NUL-terminated text). out NULL with cap 0 returns the length needed. Label values are escaped
 * (backslash, double quote, newline). Pure; any thread; no allocation.
 */
int ctl_metrics_render(const struct ctl_metrics_snapshot *s, char *out, size_t cap);

/*
 * Parse the metrics address of the configuration: "IPv4[:port]", "[IPv6][:port]" (port 0..65535,
 * CTL_METRICS_DEFAULT_PORT when absent, 0 picks a free port). Returns 0, 1 for "" (metrics off),
 * or -EINVAL with a message naming the text in err. Any thread.
 */
int ctl_metrics_parse_addr(const char *text, struct lb_addr *out, char *err, size_t cap);

struct ctl_metrics_server;

/*
 * Start serving on addr (ctl_metrics_parse_addr syntax): GET or HEAD /metrics answers 200 with
 * Content-Type "text/plain; version=0.0.4; charset=utf-8" and the last published text (503 until
 * the first ctl_metrics_publish), any other path or method 404. Returns 0 with *out set (*out
 * NULL when addr is "": metrics off), or -EINVAL (malformed address), -EADDRINUSE,
 * -EADDRNOTAVAIL (no such local address), another -errno of socket/bind/listen, or -EIO when
 * libmicrohttpd does not start; err then says which address and why
 * ("metrics 127.0.0.1:9760: Address already in use"). Control thread; the server runs its own
 * thread until ctl_metrics_stop.
 */
int ctl_metrics_start(const char *addr, struct ctl_metrics_server **out, char *err, size_t cap);

/* The port the server listens on (useful after port 0). */
uint16_t ctl_metrics_port(const struct ctl_metrics_server *srv);

/*
 * Replace the text served with a copy of text[0..len). Returns 0, or -ENOMEM (the previous text
 * stays). srv NULL (metrics off) does nothing and returns 0. Control thread.
 */
int ctl_metrics_publish(struct ctl_metrics_server *srv, const char *text, size_t len);

/* Stop the server thread, close its socket, free it. NULL is fine. Control thread. */
void ctl_metrics_stop(struct ctl_metrics_server *srv);

#endif
