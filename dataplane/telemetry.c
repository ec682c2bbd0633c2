/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry commands over the workers' counters and the control thread's backend view. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "log.h"
#include "stats.h"
#include "telemetry.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct dp_ctx *tel_ctx;                 /* NULL: not serving; under lock */
static struct dp_telemetry_backend *tel_backs; /* under lock */
static uint32_t tel_n_backs;                   /* under lock */

/* Telemetry dict keys allow only [A-Za-z0-9_/]. */
static void key_of(char *out, size_t cap, const char *prefix, const char *name)
{
	size_t n = (size_t)snprintf(out, cap, "%s%s", prefix, name);

	for (size_t i = 0; i < n && i < cap; i++)
		if (!(out[i] == '_' || out[i] == '/' || (out[i] >= 'a' && out[i] <= 'z') ||
		      (out[i] >= 'A' && out[i] <= 'Z') || (out[i] >= '0' && out[i] <= '9')))
			out[i] = '_';
}

static void sum_dict(struct rte_tel_data *d, const struct dp_stats_sum *s)
{
	char key[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_add_dict_u64(d, "rx", s->rx);
	rte_tel_data_add_dict_u64(d, "tx", s->tx);
	rte_tel_data_add_dict_u64(d, "forwarded", s->forwarded);
	rte_tel_data_add_dict_u64(d, "relayed", s->relayed);
	rte_tel_data_add_dict_u64(d, "arp_replied", s->arp_replied);
	rte_tel_data_add_dict_u64(d, "icmp_replied", s->icmp_replied);
	rte_tel_data_add_dict_u64(d, "notices_lost", s->notices_lost);
	rte_tel_data_add_dict_u64(d, "probe_replies", s->probe_replies);
	for (int r = 0; r < DP_REPLY_COUNT; r++) {
		key_of(key, sizeof(key), "replied_", dp_reply_name((enum dp_reply)r));
		rte_tel_data_add_dict_u64(d, key, s->replied[r]);
	}
	for (int k = 0; k < DP_DROP_COUNT; k++) {
		key_of(key, sizeof(key), "drop_", dp_drop_name((enum dp_drop)k));
		rte_tel_data_add_dict_u64(d, key, s->drops[k]);
	}
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_stats_sum total, s;
	int rc = 0;

	(void)cmd;
	memset(&total, 0, sizeof(total));
	pthread_mutex_lock(&lock);
	if (tel_ctx == NULL) {
		rc = -ENODEV;
		goto out;
	}
	if (params != NULL && params[0] != '\0') {
		char *end;
		unsigned long lcore = strtoul(params, &end, 10);
		uint32_t w = 0;
		while (w < tel_ctx->n_workers && tel_ctx->workers[w].lcore != lcore)
			w++;
		if (*end != '\0' || w == tel_ctx->n_workers) {
			rc = -EINVAL;
			goto out;
		}
		dp_stats_read(&tel_ctx->workers[w].counters, &total);
	} else {
		for (uint32_t w = 0; w < tel_ctx->n_workers; w++) {
			dp_stats_read(&tel_ctx->workers[w].counters, &s);
			dp_stats_add(&total, &s);
		}
	}
	rte_tel_data_start_dict(d);
	sum_dict(d, &total);
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

static int cmd_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = 0;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&lock);
	if (tel_ctx == NULL) {
		rc = -ENODEV;
	} else {
		rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
		for (uint32_t w = 0; w < tel_ctx->n_workers; w++)
			rte_tel_data_add_array_int(d, (int)tel_ctx->workers[w].lcore);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static int cmd_backends(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int rc = 0;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&lock);
	if (tel_ctx == NULL) {
		rc = -ENODEV;
	} else {
		rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
		for (uint32_t b = 0; b < tel_n_backs; b++)
			rte_tel_data_add_array_string(d, tel_backs[b].name);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static int cmd_backend(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char text[32];
	int rc = -ENOENT;

	(void)cmd;
	if (params == NULL)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	for (uint32_t i = 0; tel_ctx != NULL && i < tel_n_backs; i++) {
		const struct dp_telemetry_backend *b = &tel_backs[i];
		if (strcmp(b->name, params) != 0)
			continue;
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "id", b->id);
		rte_tel_data_add_dict_string(d, "name", b->name);
		rte_tel_data_add_dict_string(d, "address", b->address);
		rte_tel_data_add_dict_u64(d, "weight", b->weight);
		rte_tel_data_add_dict_string(d, "state", lb_admin_name(b->admin));
		rte_tel_data_add_dict_string(d, "health", lb_health_name(b->health));
		rte_tel_data_add_dict_u64(d, "requests", dp_stats_backend_requests(tel_ctx, b->id));
		snprintf(text, sizeof(text), "%.1f", b->rate);
		rte_tel_data_add_dict_string(d, "rate", text);
		rte_tel_data_add_dict_u64(d, "probe_last_rtt_us", b->last_rtt_ns / 1000);
		rte_tel_data_add_dict_u64(d, "probes_sent", b->probes_sent);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

int dp_telemetry_init(struct dp_ctx *ctx)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
	    {"/sipsteer/stats", cmd_stats,
	     "sipsteer counters summed over the workers, or of one worker. Parameters: int lcore"},
	    {"/sipsteer/workers", cmd_workers,
	     "The lcores of sipsteer's workers. Takes no parameters"},
	    {"/sipsteer/backends", cmd_backends, "The names of sipsteer's backends. No parameters"},
	    {"/sipsteer/backend", cmd_backend,
	     "One sipsteer backend: state, health, requests, probes. Parameters: string name"},
	};

	pthread_mutex_lock(&lock);
	tel_ctx = ctx;
	pthread_mutex_unlock(&lock);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		/* -EINVAL for a name registered already: a second init in the same process. */
		if (rc < 0 && rc != -EINVAL) {
			log_error("telemetry %s: %s", cmds[i].cmd, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void dp_telemetry_update(const struct dp_telemetry_backend *b, uint32_t n)
{
	struct dp_telemetry_backend *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	if (n && copy == NULL)
		return; /* keep the previous view */
	if (n)
		memcpy(copy, b, n * sizeof(*copy));
	pthread_mutex_lock(&lock);
	struct dp_telemetry_backend *old = tel_backs;
	tel_backs = copy;
	tel_n_backs = n;
	pthread_mutex_unlock(&lock);
	free(old);
}

void dp_telemetry_fini(void)
{
	pthread_mutex_lock(&lock);
	tel_ctx = NULL;
	free(tel_backs);
	tel_backs = NULL;
	tel_n_backs = 0;
	pthread_mutex_unlock(&lock);
}
