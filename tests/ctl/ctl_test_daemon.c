/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-in daemon for sipsteerctl's end-to-end test: the real running state and the real API
 * server, with daemon operations that build (but do not publish) backend sets and make up
 * counters that grow by a fixed step per stats call. No DPDK.
 *
 * Usage: ctl_test_daemon CONFIG SOCKET. Prints "ready" once serving; stops on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct fake {
	long stats_calls;
	json_t *baseline; /* raw counters at the last reset */
};

static int apply(void *ctx, const struct ctl_state *cur, const struct ctl_state *next,
                 unsigned changes, char *err, size_t cap)
{
	struct lb_config lbc;

	ctl_state_lb(next, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, cap);
	if (set == NULL)
		return errno ? -errno : -EINVAL;
	lb_set_free(set);
	return 0;
}

static json_t *worker(int lcore, long n)
{
	return json_pack("{s:i,s:I,s:I,s:I,s:{s:I},s:{s:I,s:I}}", "lcore", lcore, "rx",
	                 (json_int_t)(100 * n), "forwarded", (json_int_t)(70 * n), "relayed",
	                 (json_int_t)(20 * n), "replied", "503", (json_int_t)n, "drops",
	                 "neigh_miss", (json_int_t)(9 * n), "bad_udp", (json_int_t)0);
}

static json_t *stats(void *ctx, bool reset, char *err, size_t cap)
{
	struct fake *f = ctx;
	long n = ++f->stats_calls;
	json_t *raw = json_pack("{s:f,s:[o],s:o,s:[{s:s,s:I}]}", "uptime_s", (double)n, "workers",
	                        worker(1, n), "total", worker(1, n), "backends", "name", "be1",
	                        "requests", (json_int_t)(70 * n));
	if (raw == NULL) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	json_object_del(json_object_get(raw, "total"), "lcore");
	json_t *shown = ctl_api_stats_delta(raw, f->baseline);
	if (reset) {
		json_decref(f->baseline);
		f->baseline = raw;
	} else {
		json_decref(raw);
	}
	return shown;
}

static json_t *backend_stats(void *ctx, const struct ctl_state *st)
{
	return json_pack("{s:{s:f,s:f}}", "be1", "rate", 12.5, "rtt_ms", 0.5);
}

int main(int argc, char **argv)
{
	static const struct ctl_api_ops ops = {
	    .apply = apply, .stats = stats, .backend_stats = backend_stats};
	struct ctl_config cfg;
	struct ctl_state st;
	struct ctl_api *api;
	struct fake fake = {0};
	char err[512];

	if (argc != 3) {
		fprintf(stderr, "usage: ctl_test_daemon CONFIG SOCKET\n");
		return 2;
	}
	if (ctl_config_load(argv[1], &cfg, err, sizeof(err)) != 0 ||
	    ctl_state_init(&st, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "ctl_test_daemon: %s\n", err);
		return 1;
	}
	if (ctl_api_open(&api, argv[2], &st, &ops, &fake, err, sizeof(err)) != 0) {
		fprintf(stderr, "ctl_test_daemon: %s\n", err);
		ctl_state_free(&st);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		if (ctl_api_poll(api, 100) < 0)
			break;
	ctl_api_close(api);
	ctl_state_free(&st);
	json_decref(fake.baseline);
	return 0;
}
