/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread (main lcore): owns the running configuration (ctl_state) and every publish
 * of the backend set; serves the control API (ctl/api), probes the backends' health (ctl/probe,
 * packets through probe_io), refreshes the Prometheus text (ctl/metrics) and the DPDK telemetry
 * view, resolves neighbours, drains the workers' notices, answers signals (SIGHUP: reload;
 * SIGUSR1: stats file; SIGINT/SIGTERM: stop). It is the only writer of published state. It
 * wakes about every millisecond, or at once when a client talks to the API, and sleeps in
 * between: it never burns a core.
 */
#ifndef SIPSTEER_DP_CONTROL_H
#define SIPSTEER_DP_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>

#include <jansson.h>

#include "api.h"
#include "dp.h"
#include "metrics.h"
#include "probe.h"
#include "resolve.h"
#include "state.h"

#define DP_CONTROL_POLL_US     1000
#define DP_CONTROL_REFRESH_MS  1000 /* metrics text, telemetry view and rates */
#define DP_CONTROL_ANNOUNCE    3    /* gratuitous ARPs / unsolicited NAs for the VIPs at start */
#define DP_CONTROL_ANNOUNCE_MS 1000 /* between two of them */

/* What the control thread keeps per backend id. */
struct dp_control_backend {
	bool probed;            /* in the prober */
	bool pending;           /* waits for its next hop's MAC before its first probe */
	struct lb_addr addr;    /* the address probed (or to probe) */
	uint64_t pending_since; /* ns */
	uint64_t last_requests; /* requests at the last refresh */
	double rate;            /* requests per second over the last refresh period */
};

struct dp_control {
	struct dp_ctx *ctx;
	struct dp_resolver resolver;
	const char *stats_path; /* NULL: no stats file */
	uint64_t start_ns;      /* CLOCK_MONOTONIC at start */
	uint64_t arp_sent;
	uint64_t arp_failed;
	uint32_t announce_left;    /* VIP announcements still to send */
	uint64_t next_announce_ms; /* when the next one is due (ms since start, as now_ms) */
	uint32_t ports_down;       /* dp_ports_down() as last seen: a bit cleared is a link up */

	struct ctl_state *st;               /* the running configuration (the caller's) */
	struct ctl_api *api;                /* the control socket */
	struct ctl_metrics_server *metrics; /* NULL: metrics off */
	struct ctl_prober *prober;          /* NULL: probing off */
	uint64_t published_generation;      /* st->generation of the last set published */
	bool sync_probes;                   /* the backends or probe section changed */
	bool probe_reconfigure;             /* the probe section changed: new prober */
	uint32_t n_pending;
	uint64_t probe_send_failed;             /* probes not sent (no MAC, no mbuf, queue full) */
	uint64_t probe_replies;                 /* replies received from the workers */
	uint64_t probe_unmatched;               /* replies that were not ours (ctl_probe_match) */
	int probe_family;                       /* family of the VIP the prober's messages name */
	char probe_host4[INET6_ADDRSTRLEN + 2]; /* "198.18.0.10", "" without an IPv4 VIP */
	char probe_host6[INET6_ADDRSTRLEN + 2]; /* "[2001:db8::10]", "" without an IPv6 VIP */
	uint64_t next_refresh_ns;
	uint64_t last_refresh_ns;
	json_t *stats_baseline;              /* raw stats at the last `stats --reset`, NULL: none */
	struct dp_control_backend *backends; /* LB_MAX_BACKENDS entries, by id */
};

/* Install the SIGHUP, SIGUSR1, SIGINT and SIGTERM handlers (they only set flags). */
void dp_control_signals_install(void);

/*
 * Before the EAL starts: take the running state st (it must outlive c), open the control socket
 * (control.api_socket; a second daemon on it is refused here) and the metrics endpoint
 * (control.metrics). Returns 0 or -errno (logged); dp_control_free undoes it.
 */
int dp_control_open(struct dp_control *c, struct ctl_state *st);

/*
 * Build and publish the backend set from the running state, mark backends and the gateway for
 * resolution, create the prober (probe.enabled) and register the telemetry commands. The calling
 * thread must be registered with urcu-qsbr. Returns 0 or -errno (logged).
 */
int dp_control_init(struct dp_control *c, struct dp_ctx *ctx, const char *stats_path);

/* Run until SIGINT or SIGTERM. Online urcu-qsbr reader except while it sleeps. */
void dp_control_run(struct dp_control *c);

/* Seconds since dp_control_open. */
double dp_control_uptime(const struct dp_control *c);

/* Write the stats file when one is configured. */
void dp_control_write_stats(struct dp_control *c);

/* Free what dp_control_open and dp_control_init allocated (the workers must have stopped). */
void dp_control_free(struct dp_control *c);

/* Drain up to max notices from every worker's ring into the resolver. Returns how many. */
unsigned int dp_control_drain(struct dp_control *c, unsigned int max, uint64_t now_ms);

/* A port whose link came up since the last call: the VIPs are announced again and unresolved
 * neighbours asked at once (dp_resolver_relink). Control thread; dp_control_run calls it. */
void dp_control_link_watch(struct dp_control *c);

/*
 * Announce the VIPs on every port: a gratuitous ARP request for the IPv4 VIP and an unsolicited
 * Neighbor Advertisement for the IPv6 VIP, so that neighbours holding the MAC of a previous
 * instance take ours at once. dp_control_init arms DP_CONTROL_ANNOUNCE of them, the first due at
 * once, then DP_CONTROL_ANNOUNCE_MS apart; this sends the one due at now_ms, if any.
 */
void dp_control_announce(struct dp_control *c, uint64_t now_ms);

/* One control step: drain notices, send due ARP requests, publish a changed neighbour table. */
void dp_control_step(struct dp_control *c, uint64_t now_ms);

#endif
