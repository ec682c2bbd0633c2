/* SPDX-License-Identifier: BSD-3-Clause */
/* Stats JSON: sums the workers' counters and writes the file atomically. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "stats.h"

void dp_stats_read(const struct dp_counters *c, struct dp_stats_sum *s)
{
	s->rx = DP_READ(c->rx);
	s->tx = DP_READ(c->tx);
	s->forwarded = DP_READ(c->forwarded);
	s->relayed = DP_READ(c->relayed);
	s->arp_replied = DP_READ(c->arp_replied);
	s->icmp_replied = DP_READ(c->icmp_replied);
	s->notices_lost = DP_READ(c->notices_lost);
	s->probe_replies = DP_READ(c->probe_replies);
	for (int r = 0; r < DP_REPLY_COUNT; r++)
		s->replied[r] = DP_READ(c->replied[r]);
	for (int d = 0; d < DP_DROP_COUNT; d++)
		s->drops[d] = DP_READ(c->drops[d]);
}

void dp_stats_add(struct dp_stats_sum *total, const struct dp_stats_sum *s)
{
	total->rx += s->rx;
	total->tx += s->tx;
	total->forwarded += s->forwarded;
	total->relayed += s->relayed;
	total->arp_replied += s->arp_replied;
	total->icmp_replied += s->icmp_replied;
	total->notices_lost += s->notices_lost;
	total->probe_replies += s->probe_replies;
	for (int r = 0; r < DP_REPLY_COUNT; r++)
		total->replied[r] += s->replied[r];
	for (int d = 0; d < DP_DROP_COUNT; d++)
		total->drops[d] += s->drops[d];
}

static json_t *sum_json(const struct dp_stats_sum *s)
{
	json_t *o = json_object();
	json_t *replied = json_object();
	json_t *drops = json_object();

	json_object_set_new(o, "rx", json_integer((json_int_t)s->rx));
	json_object_set_new(o, "tx", json_integer((json_int_t)s->tx));
	json_object_set_new(o, "forwarded", json_integer((json_int_t)s->forwarded));
	json_object_set_new(o, "relayed", json_integer((json_int_t)s->relayed));
	json_object_set_new(o, "arp_replied", json_integer((json_int_t)s->arp_replied));
	json_object_set_new(o, "icmp_replied", json_integer((json_int_t)s->icmp_replied));
	json_object_set_new(o, "notices_lost", json_integer((json_int_t)s->notices_lost));
	json_object_set_new(o, "probe_replies", json_integer((json_int_t)s->probe_replies));
	for (int r = 0; r < DP_REPLY_COUNT; r++)
		json_object_set_new(replied, dp_reply_name((enum dp_reply)r),
		                    json_integer((json_int_t)s->replied[r]));
	json_object_set_new(o, "replied", replied);
	for (int d = 0; d < DP_DROP_COUNT; d++)
		json_object_set_new(drops, dp_drop_name((enum dp_drop)d),
		                    json_integer((json_int_t)s->drops[d]));
	json_object_set_new(o, "drops", drops);
	return o;
}

static uint64_t raw_requests(const struct dp_ctx *ctx, uint32_t id)
{
	uint64_t n = 0;

	for (uint32_t w = 0; w < ctx->n_workers && id < LB_MAX_BACKENDS; w++)
		n += DP_READ(ctx->workers[w].counters.requests[id]);
	return n;
}

uint64_t dp_stats_backend_requests(const struct dp_ctx *ctx, uint32_t id)
{
	if (id >= LB_MAX_BACKENDS)
		return 0;
	uint64_t n = raw_requests(ctx, id);
	return n >= ctx->requests_base[id] ? n - ctx->requests_base[id] : n;
}

void dp_stats_backend_rebase(struct dp_ctx *ctx, uint32_t id)
{
	if (id < LB_MAX_BACKENDS)
		ctx->requests_base[id] = raw_requests(ctx, id);
}

static json_t *backends_json(struct dp_ctx *ctx)
{
	json_t *list = json_array();
	const struct lb_set *set = lb_current(&ctx->lb);
	uint64_t total = 0;

	if (set == NULL)
		return list;
	uint64_t *requests = calloc(set->n_backends + 1u, sizeof(*requests));
	if (requests == NULL)
		return list;
	for (uint32_t b = 0; b < set->n_backends; b++) {
		requests[b] = dp_stats_backend_requests(ctx, set->backends[b].cfg.id);
		total += requests[b];
	}
	for (uint32_t b = 0; b < set->n_backends; b++) {
		const struct lb_backend_config *cfg = &set->backends[b].cfg;
		char addr[64];
		json_t *o = json_object();
		double share = total ? (double)requests[b] / (double)total : 0.0;

		json_object_set_new(o, "name", json_string(cfg->name));
		json_object_set_new(o, "address",
		                    json_string(lb_addr_format(&cfg->addr, addr, sizeof(addr))));
		json_object_set_new(o, "weight", json_integer(cfg->weight));
		json_object_set_new(o, "state", json_string(lb_admin_name(cfg->admin)));
		json_object_set_new(o, "requests", json_integer((json_int_t)requests[b]));
		json_object_set_new(o, "share", json_real(round(share * 10000.0) / 10000.0));
		json_array_append_new(list, o);
	}
	free(requests);
	return list;
}

json_t *dp_stats_object(struct dp_ctx *ctx, double uptime_s)
{
	json_t *root = json_object();
	json_t *workers = json_array();
	struct dp_stats_sum total, s;

	memset(&total, 0, sizeof(total));
	json_object_set_new(root, "uptime_s", json_real(round(uptime_s * 1000.0) / 1000.0));
	for (uint32_t w = 0; w < ctx->n_workers; w++) {
		dp_stats_read(&ctx->workers[w].counters, &s);
		dp_stats_add(&total, &s);
		json_t *o = sum_json(&s);
		/* "lcore" first for people reading the file. */
		json_t *wo = json_object();
		json_object_set_new(wo, "lcore", json_integer(ctx->workers[w].lcore));
		json_object_update(wo, o);
		json_decref(o);
		json_array_append_new(workers, wo);
	}
	json_object_set_new(root, "workers", workers);
	json_object_set_new(root, "total", sum_json(&total));
	json_object_set_new(root, "backends", backends_json(ctx));
	return root;
}

char *dp_stats_json(struct dp_ctx *ctx, double uptime_s)
{
	json_t *root = dp_stats_object(ctx, uptime_s);
	char *text =
	    root != NULL ? json_dumps(root, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
	json_decref(root);
	return text;
}

int dp_stats_write(struct dp_ctx *ctx, const char *path, double uptime_s)
{
	char tmp[4096];
	char *text = dp_stats_json(ctx, uptime_s);
	int rc = 0;

	if (text == NULL) {
		log_error("stats %s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		rc = -errno;
		log_error("stats %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) != 0) {
		rc = -errno;
		log_error("stats %s: write: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0) {
		rc = -errno;
		log_error("stats %s: close: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		log_error("stats %s: rename: %s", path, strerror(errno));
		unlink(tmp);
	}
out:
	free(text);
	return rc;
}
