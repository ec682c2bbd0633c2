/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control loop on the main lcore: neighbours, the control API, health probes, metrics.
 *
 * Every change of the backend set goes through one path: the running state (ctl_state) changes
 * (an API command, a reload, a health event), its generation moves, and publish() builds a new
 * lb_set from it and swaps it in with RCU. Workers never see the state itself.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_ethdev.h>
#include <rte_ring_elem.h>
#include <urcu-qsbr.h>

#include "control.h"
#include "log.h"
#include "ip6.h"
#include "net.h"
#include "port.h"
#include "probe_io.h"
#include "stats.h"
#include "telemetry.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;
static volatile sig_atomic_t reload_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_stats(int sig)
{
	(void)sig;
	stats_requested = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	reload_requested = 1;
}

void dp_control_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_stats;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Send an ARP request for ip on one port, or on every port (UINT16_MAX). */
static void ask(void *arg, uint32_t ip, uint16_t port)
{
	struct dp_control *c = arg;
	struct dp_ctx *ctx = c->ctx;
	char text[16];

	for (uint16_t i = 0; i < ctx->n_ports; i++) {
		if (port != UINT16_MAX && port != i)
			continue;
		const struct dp_port *p = &ctx->ports[i];
		struct rte_mbuf *m = dp_arp_request_build(ctx->pool, &p->mac, ctx->vip4, ip);
		if (m == NULL || !dp_control_tx(ctx, i, m)) {
			c->arp_failed++;
			continue;
		}
		c->arp_sent++;
		log_debug("arp: who has %s? (port %s)", dp_ipv4_format(ip, text), p->name);
	}
}

/* Send a Neighbor Solicitation for ip on one port, or on every port (UINT16_MAX). */
static void ask6(void *arg, const uint8_t ip[16], uint16_t port)
{
	struct dp_control *c = arg;
	struct dp_ctx *ctx = c->ctx;
	char text[INET6_ADDRSTRLEN];

	for (uint16_t i = 0; ctx->has_vip6 && i < ctx->n_ports; i++) {
		if (port != UINT16_MAX && port != i)
			continue;
		const struct dp_port *p = &ctx->ports[i];
		struct rte_mbuf *m = dp_nd_ns_build(ctx->pool, &p->mac, ctx->vip6, ip);
		if (m == NULL || !dp_control_tx(ctx, i, m)) {
			c->arp_failed++;
			continue;
		}
		c->arp_sent++;
		log_debug("nd: who has %s? (port %s)", inet_ntop(AF_INET6, ip, text, sizeof(text)),
		          p->name);
	}
}

void dp_control_announce(struct dp_control *c, uint64_t now_ms)
{
	struct dp_ctx *ctx = c->ctx;

	if (c->announce_left == 0 || now_ms < c->next_announce_ms)
		return;
	c->announce_left--;
	c->next_announce_ms = now_ms + DP_CONTROL_ANNOUNCE_MS;
	for (uint16_t i = 0; i < ctx->n_ports; i++) {
		const struct dp_port *p = &ctx->ports[i];
		if (ctx->vip4 != 0) {
			struct rte_mbuf *m =
			    dp_arp_request_build(ctx->pool, &p->mac, ctx->vip4, ctx->vip4);
			if (m == NULL || !dp_control_tx(ctx, i, m))
				c->arp_failed++;
			else
				c->arp_sent++;
		}
		if (ctx->has_vip6) {
			struct rte_mbuf *m = dp_nd_una_build(ctx->pool, &p->mac, ctx->vip6);
			if (m == NULL || !dp_control_tx(ctx, i, m))
				c->arp_failed++;
			else
				c->arp_sent++;
		}
	}
	log_debug("announced the VIPs on %u port(s) (%u more to come)", ctx->n_ports,
	          c->announce_left);
}

/* Resolve the next hop of an IPv6 backend: itself when on-link, else gateway6. */
static void want_backend6(struct dp_control *c, const struct lb_addr *a)
{
	const struct dp_ctx *ctx = c->ctx;

	if (a->family != AF_INET6 || !ctx->has_vip6)
		return;
	dp_resolver_want6(&c->resolver, dp_on_link6(ctx, a->v6) ? a->v6 : ctx->gateway6);
}

/* ---- Publishing ---------------------------------------------------------------------------- */

/* Build the backend set of st and publish it. 0 or -errno with the message in err. */
static int publish(struct dp_control *c, const struct ctl_state *st, char *err, size_t cap)
{
	struct lb_config lbc;

	ctl_state_lb(st, &lbc);
	errno = 0;
	struct lb_set *set = lb_set_build(&lbc, err, cap);
	if (set == NULL)
		return errno ? -errno : -EINVAL;
	/* Said once, when the last backend stops taking new calls (and again once one does). */
	const struct lb_set *old = lb_current(&c->ctx->lb);
	if (set->n_active == 0 && (old == NULL || old->n_active != 0))
		log_warn("no backend takes new calls (every one is weight 0, draining, disabled or "
		         "down): every new call is answered 503");
	else if (set->n_active != 0 && old != NULL && old->n_active == 0)
		log_info("backends take new calls again");
	lb_publish(&c->ctx->lb, set);
	c->published_generation = st->generation;
	return 0;
}

/*
 * A SIP policy for cfg: keyed with cfg's secret, or without one in cfg with the running policy's
 * (the random one made at start stays). NULL when out of memory.
 */
static struct dp_sip_policy *policy_build(struct dp_control *c, const struct ctl_config *cfg)
{
	const struct dp_sip_policy *cur = dp_policy_current(&c->ctx->policy);
	uint8_t secret[CTL_SECRET_LEN];

	memset(secret, 0, sizeof(secret));
	if (cfg->secret_set)
		memcpy(secret, cfg->secret, sizeof(secret));
	else if (cur != NULL)
		memcpy(secret, cur->secret, sizeof(secret));
	return dp_policy_build(cfg, secret);
}

/* Publish the running state when it changed since the last publish (health events). */
static void publish_if_changed(struct dp_control *c)
{
	char err[256];

	if (c->st->generation == c->published_generation)
		return;
	if (publish(c, c->st, err, sizeof(err)) < 0)
		log_error("backends: cannot publish generation %llu: %s",
		          (unsigned long long)c->st->generation, err);
}

/* The next hop of an IPv4 backend (network order), 0 when there is none. */
static uint32_t backend_hop(const struct dp_ctx *ctx, const struct lb_addr *a)
{
	uint32_t ip;

	if (a->family != AF_INET)
		return 0;
	memcpy(&ip, a->v4, sizeof(ip));
	return dp_on_link(ctx, ip) ? ip : ctx->gateway4;
}

/* ---- Health probes ------------------------------------------------------------------------- */

static int prober_create(struct dp_control *c)
{
	const struct ctl_config *cfg = &c->st->cfg;
	struct ctl_probe_cfg pcfg;
	/* The prober names one VIP; probes to the other family get theirs (dp_probe_rehost). */
	struct lb_addr self = cfg->vip4.addr.family == AF_INET ? cfg->vip4.addr : cfg->vip6.addr;
	char ip[INET6_ADDRSTRLEN];

	self.port = c->ctx->sip_ports[0];
	c->probe_family = self.family;
	c->probe_host4[0] = c->probe_host6[0] = '\0';
	if (cfg->vip4.addr.family == AF_INET &&
	    inet_ntop(AF_INET, cfg->vip4.addr.v4, ip, sizeof(ip)) != NULL)
		snprintf(c->probe_host4, sizeof(c->probe_host4), "%s", ip);
	if (cfg->vip6.addr.family == AF_INET6 &&
	    inet_ntop(AF_INET6, cfg->vip6.addr.v6, ip, sizeof(ip)) != NULL)
		snprintf(c->probe_host6, sizeof(c->probe_host6), "[%s]", ip);
	ctl_probe_cfg_from_config(cfg, &self, &pcfg);
	c->prober = ctl_prober_create(&pcfg);
	if (c->prober == NULL) {
		log_error("probe: cannot start the prober: %s", strerror(errno));
		return -errno;
	}
	log_info("probe: every %u ms, timeout %u ms, down after %u, up after %u",
	         cfg->probe_interval_ms, cfg->probe_timeout_ms, cfg->probe_down_after,
	         cfg->probe_up_after);
	return 0;
}

static void forget_backend(struct dp_control *c, uint32_t id)
{
	struct dp_control_backend *b = &c->backends[id];

	if (b->probed && c->prober != NULL)
		ctl_probe_remove(c->prober, id);
	if (b->pending)
		c->n_pending--;
	b->probed = false;
	b->pending = false;
}

/*
 * Bring the prober in line with the running state: a new prober when the probe section changed,
 * removed backends (or moved ids, changed addresses) forgotten, new ones queued until their next
 * hop is resolved. With probing off every health goes back to unknown (counted as up).
 */
static void sync_probes(struct dp_control *c, uint64_t now)
{
	struct ctl_state *st = c->st;
	char err[256];

	c->sync_probes = false;
	if (c->probe_reconfigure) {
		c->probe_reconfigure = false;
		for (uint32_t id = 0; id < LB_MAX_BACKENDS; id++)
			forget_backend(c, id);
		ctl_prober_free(c->prober);
		c->prober = NULL;
		if (st->cfg.probe_enabled)
			prober_create(c);
		else
			log_info("probe: off");
	}
	if (c->prober == NULL) {
		for (uint32_t i = 0; i < st->cfg.n_backends; i++)
			if (st->cfg.backends[i].health != LB_HEALTH_UNKNOWN)
				ctl_state_backend_health(st, st->cfg.backends[i].id,
				                         LB_HEALTH_UNKNOWN, err, sizeof(err));
		publish_if_changed(c);
		return;
	}
	for (uint32_t id = 0; id < LB_MAX_BACKENDS; id++) {
		struct dp_control_backend *b = &c->backends[id];
		if (!b->probed && !b->pending)
			continue;
		const struct lb_backend_config *be = ctl_state_find_id(st, id);
		if (be == NULL || !lb_addr_equal(&be->addr, &b->addr))
			forget_backend(c, id);
	}
	for (uint32_t i = 0; i < st->cfg.n_backends; i++) {
		const struct lb_backend_config *be = &st->cfg.backends[i];
		struct dp_control_backend *b = &c->backends[be->id];
		if (b->probed || b->pending)
			continue;
		b->pending = true;
		b->addr = be->addr;
		b->pending_since = now;
		c->n_pending++;
		uint32_t hop = backend_hop(c->ctx, &be->addr);
		if (hop != 0)
			dp_resolver_want(&c->resolver, hop);
		want_backend6(c, &be->addr);
	}
}

/* Whether the MAC of a backend's next hop (IPv4 or IPv6) is known. */
static bool backend_hop_known(struct dp_control *c, const struct lb_addr *a)
{
	const struct dp_ctx *ctx = c->ctx;

	if (a->family == AF_INET6) {
		if (!ctx->has_vip6)
			return false;
		const uint8_t *hop = dp_on_link6(ctx, a->v6) ? a->v6 : ctx->gateway6;
		const struct dp_resolve6_entry *e = dp_resolver_find6(&c->resolver, hop);
		return e != NULL && e->known;
	}
	uint32_t hop = backend_hop(ctx, a);
	const struct dp_resolve_entry *e = hop ? dp_resolver_find(&c->resolver, hop) : NULL;
	return e != NULL && e->known;
}

/*
 * Start probing the backends whose next hop is resolved (a probe sent before would only time
 * out and mark a healthy backend down), or that waited longer than it takes to detect a dead
 * one: a backend that never answers ARP is down after all.
 */
static void start_pending(struct dp_control *c, uint64_t now)
{
	const struct ctl_config *cfg = &c->st->cfg;
	uint64_t grace =
	    ((uint64_t)cfg->probe_interval_ms * cfg->probe_down_after + cfg->probe_timeout_ms) *
	    1000000u;

	for (uint32_t id = 0; c->n_pending > 0 && id < LB_MAX_BACKENDS; id++) {
		struct dp_control_backend *b = &c->backends[id];
		if (!b->pending)
			continue;
		if (!backend_hop_known(c, &b->addr) && now - b->pending_since < grace)
			continue;
		b->pending = false;
		c->n_pending--;
		int rc = ctl_probe_add(c->prober, id, &b->addr, now);
		if (rc < 0) {
			log_error("probe: backend id %u: %s", id, strerror(-rc));
			continue;
		}
		b->probed = true;
	}
}

/*
 * Build probe s and send it in the family of its backend, from that family's VIP: the text
 * names the prober's VIP, rewritten to the other one for a backend of the other family.
 * Returns 0 or -errno (-EAFNOSUPPORT: no VIP of the backend's family).
 */
static int send_probe(struct dp_control *c, const struct ctl_probe_send *s)
{
	char text[CTL_PROBE_MAX_LEN], other[CTL_PROBE_MAX_LEN + 64];
	const char *msg = text;
	int len = ctl_probe_build(c->prober, s, text, sizeof(text));
	int fam = s->dst.family;

	if (len <= 0)
		return len < 0 ? len : -EINVAL;
	if ((fam == AF_INET && c->probe_host4[0] == '\0') ||
	    (fam == AF_INET6 && c->probe_host6[0] == '\0') || (fam != AF_INET && fam != AF_INET6))
		return -EAFNOSUPPORT;
	if (fam != c->probe_family) {
		const char *from = fam == AF_INET ? c->probe_host6 : c->probe_host4;
		const char *to = fam == AF_INET ? c->probe_host4 : c->probe_host6;
		len = dp_probe_rehost(text, len, from, to, other, sizeof(other));
		if (len < 0)
			return len;
		msg = other;
	}
	if (fam == AF_INET6)
		return dp_probe_send6(c->ctx, &c->resolver, s->dst.v6, s->dst.port, msg,
		                      (uint32_t)len);
	uint32_t ip;
	memcpy(&ip, s->dst.v4, sizeof(ip));
	return dp_probe_send(c->ctx, &c->resolver, ip, s->dst.port, msg, (uint32_t)len);
}

static void send_probes(struct dp_control *c, uint64_t now)
{
	struct ctl_probe_send due[32];
	size_t n;

	do {
		n = ctl_probe_tick(c->prober, now, due, RTE_DIM(due));
		for (size_t i = 0; i < n; i++) {
			int rc = send_probe(c, &due[i]);
			if (rc < 0) {
				/* Not sent: it times out like an unanswered one. */
				c->probe_send_failed++;
				log_debug("probe: backend id %u: not sent: %s", due[i].id,
				          strerror(-rc));
			}
		}
	} while (n == RTE_DIM(due));
}

static void receive_replies(struct dp_control *c)
{
	struct rte_mbuf *m[32];
	unsigned int n;

	while ((n = dp_probe_receive(m, RTE_DIM(m))) > 0) {
		/* Each reply's arrival: the worker's stamp, on this thread's clock. */
		uint64_t now = now_ns(), tsc = rte_rdtsc(), hz = rte_get_tsc_hz();
		for (unsigned int i = 0; i < n; i++) {
			const char *buf = rte_pktmbuf_mtod(m[i], const char *);
			struct sip_msg msg;
			uint32_t id;
			uint64_t seq;

			c->probe_replies++;
			if (c->prober != NULL && sip_parse(buf, m[i]->data_len, &msg) > 0 &&
			    ctl_probe_match(c->prober, buf, &msg, &id, &seq) == 0)
				ctl_probe_reply(
				    c->prober, id, seq, msg.status_code,
				    dp_probe_arrival_ns(now, tsc, dp_probe_stamp_read(m[i]), hz));
			else
				c->probe_unmatched++;
			rte_pktmbuf_free(m[i]);
		}
	}
}

static void log_event(struct dp_control *c, const struct ctl_probe_event *ev)
{
	const struct lb_backend_config *be = ctl_state_find_id(c->st, ev->id);
	char addr[64], why[128];

	if (be == NULL)
		return;
	lb_addr_format(&be->addr, addr, sizeof(addr));
	if (ev->cause == CTL_PROBE_CAUSE_TIMEOUT)
		snprintf(why, sizeof(why), "%u probe%s timed out", ev->streak,
		         ev->streak == 1 ? "" : "s");
	else if (ev->cause == CTL_PROBE_CAUSE_CODE)
		snprintf(why, sizeof(why), "%u probe%s answered %u", ev->streak,
		         ev->streak == 1 ? "" : "s", ev->code);
	else
		snprintf(why, sizeof(why), "%u probe%s answered (last %u in %.2f ms)", ev->streak,
		         ev->streak == 1 ? "" : "s", ev->code, (double)ev->rtt_ns / 1e6);
	if (ev->to == LB_HEALTH_DOWN)
		log_warn("backend %s (%s) down: %s", be->name, addr, why);
	else
		log_info("backend %s (%s) %s: %s", be->name, addr, lb_health_name(ev->to), why);
}

/* Health events: log each, copy it into the running state, publish once for all of them. */
static void apply_events(struct dp_control *c)
{
	struct ctl_probe_event ev[16];
	char err[256];
	size_t n;

	while ((n = ctl_probe_events(c->prober, ev, RTE_DIM(ev))) > 0) {
		for (size_t i = 0; i < n; i++) {
			if (ctl_state_find_id(c->st, ev[i].id) == NULL)
				continue;
			log_event(c, &ev[i]);
			ctl_state_backend_health(c->st, ev[i].id, ev[i].to, err, sizeof(err));
		}
	}
	publish_if_changed(c);
}

static void probe_step(struct dp_control *c, uint64_t now)
{
	receive_replies(c);
	if (c->prober == NULL)
		return;
	if (c->n_pending > 0)
		start_pending(c, now);
	/* A probe's send time is read right before it goes: its RTT starts there. */
	send_probes(c, now_ns());
	apply_events(c);
}

/* ---- Metrics, telemetry, rates ------------------------------------------------------------- */

static void refresh_metrics(struct dp_control *c, double uptime)
{
	struct dp_ctx *ctx = c->ctx;
	const struct ctl_config *cfg = &c->st->cfg;
	const char *reply_codes[DP_REPLY_COUNT], *drop_reasons[DP_DROP_COUNT];
	struct dp_stats_sum *sums = calloc(ctx->n_workers, sizeof(*sums));
	struct ctl_metrics_worker *workers = calloc(ctx->n_workers, sizeof(*workers));
	struct ctl_metrics_backend *backs = calloc(cfg->n_backends + 1u, sizeof(*backs));
	char *text = NULL;

	if (sums == NULL || workers == NULL || backs == NULL)
		goto out;
	for (int r = 0; r < DP_REPLY_COUNT; r++)
		reply_codes[r] = dp_reply_name((enum dp_reply)r);
	for (int d = 0; d < DP_DROP_COUNT; d++)
		drop_reasons[d] = dp_drop_name((enum dp_drop)d);
	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		dp_stats_read(&ctx->workers[w].counters, &sums[w]);
		workers[w] = (struct ctl_metrics_worker){
		    .lcore = ctx->workers[w].lcore,
		    .rx = sums[w].rx,
		    .tx = sums[w].tx,
		    .forwarded = sums[w].forwarded,
		    .relayed = sums[w].relayed,
		    .arp_replied = sums[w].arp_replied,
		    .icmp_replied = sums[w].icmp_replied,
		    .notices_lost = sums[w].notices_lost,
		    .probe_replies = sums[w].probe_replies,
		    .replied = sums[w].replied,
		    .drops = sums[w].drops,
		};
	}
	for (uint32_t i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_config *be = &cfg->backends[i];
		struct ctl_metrics_backend *m = &backs[i];
		m->name = be->name;
		m->addr = be->addr;
		m->requests = dp_stats_backend_requests(ctx, be->id);
		m->weight = be->weight;
		m->admin = be->admin;
		m->health = be->health;
		m->probed = c->prober != NULL && c->backends[be->id].probed &&
		            ctl_probe_stats(c->prober, be->id, &m->probe) == 0;
	}
	const struct lb_set *set = lb_current(&ctx->lb);
	struct ctl_metrics_snapshot s = {
	    .uptime_s = uptime,
	    .n_reply_codes = DP_REPLY_COUNT,
	    .reply_codes = reply_codes,
	    .n_drop_reasons = DP_DROP_COUNT,
	    .drop_reasons = drop_reasons,
	    .n_workers = ctx->n_workers,
	    .workers = workers,
	    .n_backends = cfg->n_backends,
	    .backends = backs,
	    .lb_generation = set != NULL ? set->generation : 0,
	};
	int len = ctl_metrics_render(&s, NULL, 0);
	if (len < 0 || (text = malloc((size_t)len + 1)) == NULL)
		goto out;
	if (ctl_metrics_render(&s, text, (size_t)len + 1) == len)
		ctl_metrics_publish(c->metrics, text, (size_t)len);
out:
	free(text);
	free(backs);
	free(workers);
	free(sums);
}

/* Once a second: per-backend rates, the telemetry view, the metrics text. */
static void refresh(struct dp_control *c, uint64_t now)
{
	const struct ctl_config *cfg = &c->st->cfg;
	double dt = (double)(now - c->last_refresh_ns) / 1e9;
	struct dp_telemetry_backend *tb = calloc(cfg->n_backends + 1u, sizeof(*tb));

	for (uint32_t i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_config *be = &cfg->backends[i];
		struct dp_control_backend *b = &c->backends[be->id];
		uint64_t req = dp_stats_backend_requests(c->ctx, be->id);
		b->rate =
		    dt > 0 && req >= b->last_requests ? (double)(req - b->last_requests) / dt : 0.0;
		b->last_requests = req;
		if (tb == NULL)
			continue;
		struct ctl_probe_stats ps;
		memset(&ps, 0, sizeof(ps));
		if (c->prober != NULL && b->probed)
			ctl_probe_stats(c->prober, be->id, &ps);
		tb[i].id = be->id;
		snprintf(tb[i].name, sizeof(tb[i].name), "%s", be->name);
		lb_addr_format(&be->addr, tb[i].address, sizeof(tb[i].address));
		tb[i].weight = be->weight;
		tb[i].admin = be->admin;
		tb[i].health = be->health;
		tb[i].rate = b->rate;
		tb[i].last_rtt_ns = ps.last_rtt_ns;
		tb[i].probes_sent = ps.sent;
	}
	if (tb != NULL)
		dp_telemetry_update(tb, cfg->n_backends);
	free(tb);
	c->last_refresh_ns = now;
	c->next_refresh_ns = now + (uint64_t)DP_CONTROL_REFRESH_MS * 1000000u;
	if (c->metrics != NULL)
		refresh_metrics(c, dp_control_uptime(c));
}

/* ---- The control API's daemon operations --------------------------------------------------- */

/* One log line per backend that a change adds, removes or alters. */
static void log_changes(const struct ctl_state *cur, const struct ctl_state *next)
{
	char a[64], b[64];

	for (uint32_t i = 0; i < next->cfg.n_backends; i++) {
		const struct lb_backend_config *n = &next->cfg.backends[i];
		const struct lb_backend_config *o = ctl_state_find(cur, n->name);
		if (o == NULL) {
			log_info("backend %s added (%s, weight %u, %s)", n->name,
			         lb_addr_format(&n->addr, a, sizeof(a)), n->weight,
			         lb_admin_name(n->admin));
			continue;
		}
		if (!lb_addr_equal(&o->addr, &n->addr))
			log_info("backend %s address %s -> %s", n->name,
			         lb_addr_format(&o->addr, a, sizeof(a)),
			         lb_addr_format(&n->addr, b, sizeof(b)));
		if (o->weight != n->weight)
			log_info("backend %s weight %u -> %u", n->name, o->weight, n->weight);
		if (o->admin != n->admin)
			log_info("backend %s %s -> %s", n->name, lb_admin_name(o->admin),
			         lb_admin_name(n->admin));
	}
	for (uint32_t i = 0; i < cur->cfg.n_backends; i++)
		if (ctl_state_find(next, cur->cfg.backends[i].name) == NULL)
			log_info("backend %s removed", cur->cfg.backends[i].name);
}

/* A backend in next whose id no backend of the same name held in cur counts from 0: its id may
 * be a removed backend's, whose requests the workers' counters still hold. */
static void rebase_new_ids(struct dp_control *c, const struct ctl_state *cur,
                           const struct ctl_state *next)
{
	for (uint32_t i = 0; i < next->cfg.n_backends; i++) {
		const struct lb_backend_config *b = &next->cfg.backends[i];
		bool held = false;
		for (uint32_t j = 0; j < cur->cfg.n_backends && !held; j++)
			held = cur->cfg.backends[j].id == b->id &&
			       !strcmp(cur->cfg.backends[j].name, b->name);
		if (!held)
			dp_stats_backend_rebase(c->ctx, b->id);
	}
}

static int api_apply(void *arg, const struct ctl_state *cur, const struct ctl_state *next,
                     unsigned changes, char *err, size_t cap)
{
	struct dp_control *c = arg;
	struct dp_sip_policy *policy = NULL;
	int rc;

	/* Built first: once the backends are published nothing may fail. */
	if (changes & CTL_CHANGE_SIP) {
		policy = policy_build(c, &next->cfg);
		if (policy == NULL) {
			snprintf(err, cap, "sip: out of memory");
			log_error("sip: change refused: out of memory");
			return -ENOMEM;
		}
	}
	if (changes & (CTL_CHANGE_BACKENDS | CTL_CHANGE_HASHING)) {
		rebase_new_ids(c, cur, next);
		rc = publish(c, next, err, cap);
		if (rc < 0) {
			log_error("backends: change refused: %s", err);
			free(policy);
			return rc;
		}
	}
	log_changes(cur, next);
	if (changes & CTL_CHANGE_HASHING)
		log_info("hashing: table_size %u, seed %llu", next->cfg.table_size,
		         (unsigned long long)next->cfg.seed);
	if (policy != NULL) {
		dp_policy_publish(&c->ctx->policy, policy);
		log_info("sip: policy %llu in effect (record_route %s, path %s, retry_after %u, "
		         "max_forwards %u, rate_limit %u/s burst %u)",
		         (unsigned long long)policy->generation,
		         policy->record_route ? "on" : "off", policy->add_path ? "on" : "off",
		         next->cfg.retry_after, next->cfg.max_forwards, policy->rate_limit,
		         policy->rate_limit_burst);
	}
	if (changes & CTL_CHANGE_PROBE)
		c->probe_reconfigure = true;
	/* next is swapped into c->st after we return: the prober follows it then. */
	c->sync_probes = true;
	c->published_generation = next->generation;
	return 0;
}

static json_t *api_stats(void *arg, bool reset, char *err, size_t cap)
{
	struct dp_control *c = arg;
	json_t *raw = dp_stats_object(c->ctx, dp_control_uptime(c));

	if (raw == NULL) {
		snprintf(err, cap, "stats: out of memory");
		return NULL;
	}
	json_t *shown = ctl_api_stats_delta(raw, c->stats_baseline);
	/* Shares over the counted period, not since the start. */
	json_t *backs = shown != NULL ? json_object_get(shown, "backends") : NULL;
	json_int_t total = 0;
	size_t i;
	json_t *b;
	json_array_foreach(backs, i, b) total += json_integer_value(json_object_get(b, "requests"));
	json_array_foreach(backs, i, b)
	{
		double share = total ? (double)json_integer_value(json_object_get(b, "requests")) /
		                           (double)total
		                     : 0.0;
		json_object_set_new(b, "share", json_real(round(share * 10000.0) / 10000.0));
	}
	if (reset) {
		json_decref(c->stats_baseline);
		c->stats_baseline = raw;
		log_info("stats: counters reset (baseline taken)");
	} else {
		json_decref(raw);
	}
	if (shown == NULL)
		snprintf(err, cap, "stats: out of memory");
	return shown;
}

static json_t *api_backend_stats(void *arg, const struct ctl_state *st)
{
	struct dp_control *c = arg;
	const struct lb_set *set = lb_current(&c->ctx->lb);
	uint32_t *slots = NULL;
	json_t *out = json_object();

	if (out == NULL)
		return NULL;
	if (set != NULL && set->n_backends > 0 && (slots = calloc(set->n_backends, 4)) != NULL)
		for (uint32_t s = 0; s < set->table_size; s++)
			if (set->table[s] != LB_NONE && set->table[s] < set->n_backends)
				slots[set->table[s]]++;
	for (uint32_t i = 0; i < st->cfg.n_backends; i++) {
		const struct lb_backend_config *be = &st->cfg.backends[i];
		const struct dp_control_backend *b = &c->backends[be->id];
		struct ctl_probe_stats ps;
		json_t *o = json_object();

		json_object_set_new(o, "rate", json_real(round(b->rate * 10.0) / 10.0));
		json_object_set_new(
		    o, "requests",
		    json_integer((json_int_t)dp_stats_backend_requests(c->ctx, be->id)));
		if (slots != NULL && be->id < LB_MAX_BACKENDS && set->by_id[be->id] != LB_NONE)
			json_object_set_new(
			    o, "table_share",
			    json_real((double)slots[set->by_id[be->id]] / (double)set->table_size));
		if (c->prober != NULL && b->probed &&
		    ctl_probe_stats(c->prober, be->id, &ps) == 0) {
			if (ps.last_rtt_ns != 0)
				json_object_set_new(
				    o, "rtt_ms",
				    json_real(round((double)ps.last_rtt_ns / 1e3) / 1e3));
			json_object_set_new(o, "probes_sent", json_integer((json_int_t)ps.sent));
			json_object_set_new(o, "probes_alive", json_integer((json_int_t)ps.alive));
			json_object_set_new(o, "probes_timeout",
			                    json_integer((json_int_t)ps.timeouts));
		}
		json_object_set_new(out, be->name, o);
	}
	free(slots);
	return out;
}

/* A daemon started on its built-in configuration reloads that again. */
static int api_load(void *arg, struct ctl_config *cfg, char *err, size_t cap)
{
	struct dp_control *c = arg;

	if (c->st->cfg.path[0] != '\0' && strcmp(c->st->cfg.path, "<embedded>") != 0)
		return ctl_config_load(c->st->cfg.path, cfg, err, cap);
	return ctl_config_parse("<embedded>", ctl_config_embedded, strlen(ctl_config_embedded), cfg,
	                        err, cap);
}

/* Every reload's outcome in the log, from sipsteerctl or SIGHUP alike. */
static void api_reloaded(void *ctx, const char *error, const json_t *result)
{
	struct dp_control *c = ctx;
	size_t i;
	json_t *line;

	if (error != NULL) {
		log_error("reload refused: %s", error);
		return;
	}
	json_array_foreach(json_object_get(result, "warnings"), i, line)
	    log_warn("reload: %s", json_string_value(line));
	log_info("reload of %s: %zu change(s)", c->st->cfg.path[0] ? c->st->cfg.path : "<embedded>",
	         json_array_size(json_object_get(result, "changed")));
}

static const struct ctl_api_ops api_ops = {
    .apply = api_apply,
    .stats = api_stats,
    .backend_stats = api_backend_stats,
    .load = api_load,
    .reloaded = api_reloaded,
};

/* SIGHUP: the same reload as the API's (api_reloaded() logs its outcome). */
static void reload(struct dp_control *c)
{
	static const char request[] = "{\"cmd\":\"reload\"}";
	json_t *r = ctl_api_handle(c->api, request, sizeof(request) - 1);

	if (r == NULL)
		log_error("reload: out of memory");
	json_decref(r);
}

/* ---- Life cycle ---------------------------------------------------------------------------- */

int dp_control_open(struct dp_control *c, struct ctl_state *st)
{
	char err[512];
	int rc;

	memset(c, 0, sizeof(*c));
	c->st = st;
	c->start_ns = now_ns();
	c->backends = calloc(LB_MAX_BACKENDS, sizeof(*c->backends));
	if (c->backends == NULL) {
		log_error("control: out of memory");
		return -ENOMEM;
	}
	rc = ctl_api_open(&c->api, st->cfg.api_socket, st, &api_ops, c, err, sizeof(err));
	if (rc < 0) {
		log_error("%s", err);
		return rc;
	}
	log_info("control socket %s", ctl_api_path(c->api));
	rc = ctl_metrics_start(st->cfg.metrics, &c->metrics, err, sizeof(err));
	if (rc < 0) {
		log_error("%s", err);
		return rc;
	}
	if (c->metrics != NULL)
		log_info("metrics on http://%s/metrics", st->cfg.metrics);
	return 0;
}

int dp_control_init(struct dp_control *c, struct dp_ctx *ctx, const char *stats_path)
{
	const struct ctl_config *cfg = &c->st->cfg;
	char err[256];
	int rc;

	c->ctx = ctx;
	c->stats_path = stats_path;
	rc = publish(c, c->st, err, sizeof(err));
	if (rc < 0) {
		log_error("backends: %s", err);
		return rc;
	}
	rc = dp_resolver_init(&c->resolver, ask, c);
	if (rc < 0) {
		log_error("neighbours: %s", strerror(-rc));
		return rc;
	}
	dp_resolver_set_ask6(&c->resolver, ask6);
	c->announce_left = DP_CONTROL_ANNOUNCE;
	c->next_announce_ms = 0;
	c->ports_down = dp_ports_down(ctx);
	if (ctx->gateway4 != 0)
		dp_resolver_want(&c->resolver, ctx->gateway4);
	if (ctx->has_vip6)
		dp_resolver_want6(&c->resolver, ctx->gateway6); /* refused when none (all zero) */
	for (uint32_t i = 0; i < cfg->n_backends; i++) {
		uint32_t hop = backend_hop(ctx, &cfg->backends[i].addr);
		if (hop != 0)
			dp_resolver_want(&c->resolver, hop);
		want_backend6(c, &cfg->backends[i].addr);
	}
	/* The ring exists even with probing off: a reload may turn it on. */
	rc = dp_probe_ring_create();
	if (rc < 0)
		return rc;
	if (cfg->probe_enabled) {
		rc = prober_create(c);
		if (rc < 0)
			return rc;
	} else {
		log_info("probe: off (probe.enabled: false)");
	}
	c->sync_probes = true;
	rc = dp_telemetry_init(ctx);
	if (rc < 0)
		return rc;
	c->last_refresh_ns = now_ns();
	return 0;
}

void dp_control_free(struct dp_control *c)
{
	dp_telemetry_fini();
	ctl_metrics_stop(c->metrics);
	c->metrics = NULL;
	ctl_api_close(c->api);
	c->api = NULL;
	ctl_prober_free(c->prober);
	c->prober = NULL;
	dp_probe_ring_free();
	json_decref(c->stats_baseline);
	c->stats_baseline = NULL;
	free(c->backends);
	c->backends = NULL;
	/* Workers have stopped (or never ran): no reader is left. */
	if (c->ctx != NULL)
		dp_policy_free_now(&c->ctx->policy);
	if (c->ctx != NULL) {
		dp_resolver_free(&c->resolver);
		/* The workers have stopped: no reader is left to wait for. */
		dp_neigh6_table_free(rcu_xchg_pointer(&c->ctx->neigh6.table, NULL));
	}
}

double dp_control_uptime(const struct dp_control *c)
{
	return (double)(now_ns() - c->start_ns) / 1e9;
}

void dp_control_write_stats(struct dp_control *c)
{
	if (c->stats_path == NULL)
		return;
	if (dp_stats_write(c->ctx, c->stats_path, dp_control_uptime(c)) == 0)
		log_debug("stats written to %s", c->stats_path);
}

static void handle_notice6(struct dp_control *c, const struct dp_notice *n, uint64_t now_ms)
{
	const struct dp_ctx *ctx = c->ctx;
	char text[INET6_ADDRSTRLEN];

	if (n->port >= ctx->n_ports)
		return;
	if (n->kind == DP_NOTICE_RESOLVE6) {
		/* the gateway6 or an on-link next hop: nothing else is asked for */
		if (dp_on_link6(ctx, n->ip6) || memcmp(n->ip6, ctx->gateway6, 16) == 0)
			dp_resolver_miss6(&c->resolver, n->ip6, now_ms);
		return;
	}
	if (!dp_on_link6(ctx, n->ip6))
		return;
	const struct dp_resolve6_entry *e = dp_resolver_find6(&c->resolver, n->ip6);
	bool changed = e == NULL || !e->known || memcmp(e->mac, n->mac, 6) != 0;
	if (dp_resolver_learn6(&c->resolver, n->ip6, n->mac, n->port, now_ms) == 0 && changed)
		log_debug("neighbour %s is at %02x:%02x:%02x:%02x:%02x:%02x",
		          inet_ntop(AF_INET6, n->ip6, text, sizeof(text)), n->mac[0], n->mac[1],
		          n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
}

static void handle_notice(struct dp_control *c, const struct dp_notice *n, uint64_t now_ms)
{
	const struct dp_ctx *ctx = c->ctx;
	char text[16];

	if (n->kind == DP_NOTICE_LEARN6 || n->kind == DP_NOTICE_RESOLVE6)
		return handle_notice6(c, n, now_ms);
	/* Workers only send on-link addresses; check again, the table is ours to keep clean. */
	if (n->ip == 0 || n->ip == ctx->vip4 || !dp_on_link(ctx, n->ip) || n->port >= ctx->n_ports)
		return;
	switch (n->kind) {
	case DP_NOTICE_LEARN: {
		const struct dp_resolve_entry *e = dp_resolver_find(&c->resolver, n->ip);
		bool changed = e == NULL || !e->known || memcmp(e->mac, n->mac, 6) != 0;
		if (dp_resolver_learn(&c->resolver, n->ip, n->mac, n->port, now_ms) == 0 && changed)
			log_debug("neighbour %s is at %02x:%02x:%02x:%02x:%02x:%02x",
			          dp_ipv4_format(n->ip, text), n->mac[0], n->mac[1], n->mac[2],
			          n->mac[3], n->mac[4], n->mac[5]);
		break;
	}
	case DP_NOTICE_RESOLVE:
		dp_resolver_miss(&c->resolver, n->ip, now_ms);
		break;
	default:
		break;
	}
}

unsigned int dp_control_drain(struct dp_control *c, unsigned int max, uint64_t now_ms)
{
	struct dp_ctx *ctx = c->ctx;
	struct dp_notice batch[64];
	unsigned int total = 0;

	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		unsigned int n;
		do {
			n = rte_ring_sc_dequeue_burst_elem(ctx->workers[w].notices, batch,
			                                   sizeof(batch[0]), RTE_DIM(batch), NULL);
			for (unsigned int i = 0; i < n; i++)
				handle_notice(c, &batch[i], now_ms);
			total += n;
		} while (n == RTE_DIM(batch) && total < max);
	}
	return total;
}

void dp_control_step(struct dp_control *c, uint64_t now_ms)
{
	dp_control_drain(c, 4096, now_ms);
	dp_resolver_tick(&c->resolver, now_ms);
	struct dp_neigh_table *t = dp_resolver_snapshot(&c->resolver);
	if (t != NULL)
		dp_neigh_publish(&c->ctx->neigh, t);
	struct dp_neigh6_table *t6 = dp_resolver_snapshot6(&c->resolver);
	if (t6 != NULL)
		dp_neigh6_publish(&c->ctx->neigh6, t6);
}

void dp_control_link_watch(struct dp_control *c)
{
	uint32_t down = dp_ports_down(c->ctx);
	uint32_t up = c->ports_down & ~down;

	c->ports_down = down;
	if (up == 0)
		return;
	/* What was sent while the link was down went nowhere: announce the VIPs again and ask
	 * for every neighbour still unknown now, not after its back-off. */
	dp_resolver_relink(&c->resolver);
	c->announce_left = DP_CONTROL_ANNOUNCE;
	c->next_announce_ms = 0;
	log_debug("link up (ports 0x%x): announcing the VIPs and resolving the neighbours again",
	          up);
}

void dp_control_run(struct dp_control *c)
{
	while (!stop_requested) {
		uint64_t now = now_ns();
		/* ms since start, never 0: 0 means "never" in the resolver. */
		uint64_t now_ms = (now - c->start_ns) / 1000000u + 1;

		dp_control_link_watch(c);
		dp_control_announce(c, now_ms);
		if (c->sync_probes)
			sync_probes(c, now);
		dp_control_step(c, now_ms);
		probe_step(c, now);
		if (reload_requested) {
			reload_requested = 0;
			reload(c);
			continue;
		}
		if (now >= c->next_refresh_ns)
			refresh(c, now);
		if (stats_requested) {
			stats_requested = 0;
			dp_control_write_stats(c);
		}
		/* Asleep until the next poll or a client's request; commands run online. */
		rcu_thread_offline();
		int ready = ctl_api_wait(c->api, DP_CONTROL_POLL_US / 1000);
		rcu_thread_online();
		if (ready > 0)
			ctl_api_poll(c->api, 0);
	}
}
