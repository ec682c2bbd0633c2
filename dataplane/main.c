/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer: command line, configuration, EAL start, ports and workers, the control loop, and an
 * orderly shutdown on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>
#include <rte_version.h>
#include <urcu-qsbr.h>

#include "cli.h"
#include "control.h"
#include "ctx.h"
#include "dp.h"
#include "eal_args.h"
#include "log.h"
#include "net.h"
#include "port.h"
#include "state.h"
#include "telemetry.h"
#include "unmap_guard.h"
#include "worker.h"

#define EXIT_CONFIG 1

static struct dp_ctx ctx;

static int load_config(const struct dp_cli *cli, struct ctl_config *cfg)
{
	char err[512];
	int rc;

	if (cli->config != NULL)
		rc = ctl_config_load(cli->config, cfg, err, sizeof(err));
	else
		rc = ctl_config_parse("<embedded>", ctl_config_embedded,
		                      strlen(ctl_config_embedded), cfg, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	return rc;
}

/* What the daemon needs beyond what ctl_config_load validates. Prints "FILE: FIELD: message". */
static int check_config(const struct ctl_config *cfg)
{
	const char *file = cfg->path[0] ? cfg->path : "<embedded>";
	struct lb_config lbc;
	char err[256];

	if (cfg->n_ports == 0) {
		fprintf(stderr, "%s: ports: at least one port is needed\n", file);
		return -EINVAL;
	}
	if (cfg->n_sip_ports == 0) {
		fprintf(stderr, "%s: listen: at least one SIP port is needed\n", file);
		return -EINVAL;
	}
	if (cfg->workers == 0 || cfg->workers > CTL_MAX_WORKERS) {
		fprintf(stderr, "%s: workers: %u is not in 1..%u\n", file, cfg->workers,
		        CTL_MAX_WORKERS);
		return -EINVAL;
	}
	if (cfg->burst == 0 || cfg->burst > DP_MAX_BURST) {
		fprintf(stderr, "%s: burst: %u is not in 1..%u\n", file, cfg->burst, DP_MAX_BURST);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i].device[0] == '\0') {
			fprintf(stderr, "%s: ports[%u].device: empty\n", file, i);
			return -EINVAL;
		}
	}
	ctl_config_lb(cfg, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, sizeof(err));
	if (set == NULL) {
		fprintf(stderr, "%s: backends: %s\n", file, err);
		return -EINVAL;
	}
	lb_set_free(set);
	return 0;
}

static int cpus_allowed(int *cpus, int cap)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && n < cap; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	if (n == 0)
		cpus[n++] = 0;
	return n;
}

/* Remove dir, the EAL's runtime directory, when it is the one sipsteer named (sipsteer-PID). */
static void remove_own_runtime_dir(const char *dir)
{
	char own[64];

	snprintf(own, sizeof(own), "sipsteer-%d", (int)getpid());
	dp_eal_remove_runtime_dir(dir, own);
}

/*
 * --stats-file: its directory must take the temporary file the stats are written to, checked
 * at start rather than found out at the first SIGUSR1 or at exit.
 */
static int check_stats_file(const char *path)
{
	char tmp[4096];

	if (path == NULL)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fprintf(stderr, "--stats-file: path too long\n");
		return -ENAMETOOLONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "--stats-file %s: cannot write %s: %s\n", path, tmp, strerror(e));
		return -e;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

static int eal_start(const struct dp_cli *cli, const struct ctl_config *cfg)
{
	struct dp_eal_args args;
	int cpus[CPU_SETSIZE];
	int n_cpus = cpus_allowed(cpus, CPU_SETSIZE);
	if (cfg->workers + 1 > (uint32_t)n_cpus)
		log_warn("%u workers and the control thread share %d CPU%s: busy-polling workers "
		         "take turns on them (idle_sleep_us %u lets an idle one yield)",
		         cfg->workers, n_cpus, n_cpus == 1 ? "" : "s", cfg->idle_sleep_us);
	int rc = dp_eal_args_build(cfg, cli->eal_argc, cli->eal_argv, (int)getpid(), cpus, n_cpus,
	                           &args);
	if (rc < 0) {
		log_error("EAL arguments: %s", strerror(-rc));
		return rc;
	}
	char line[2048];
	size_t n = 0;
	for (int i = 0; i < args.argc && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "",
		                      args.argv[i]);
	log_info("starting EAL: %s", line);

	/* rte_eal_init may permute argv: give it a copy, keep ours to free. */
	char *argv[DP_EAL_MAX_ARGS + 1];
	memcpy(argv, args.argv, sizeof(argv));
	/* The EAL answers a bad argument with its whole option list on stdout, which buries the
	 * one line on stderr that names the argument: stdout is set aside during the start,
	 * unless the EAL's help is what was asked for. */
	bool eal_help = false;
	for (int i = 0; i < args.argc; i++)
		eal_help |= strcmp(args.argv[i], "--help") == 0 || strcmp(args.argv[i], "-h") == 0;
	int saved_stdout = -1;
	if (!eal_help) {
		fflush(stdout);
		int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null_fd >= 0) {
			saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0);
			if (saved_stdout >= 0)
				dup2(null_fd, STDOUT_FILENO);
			close(null_fd);
		}
	}
	rc = rte_eal_init(args.argc, argv);
	if (saved_stdout >= 0) {
		fflush(stdout);
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	dp_eal_args_free(&args);
	if (rc < 0) {
		int e = rte_errno;
		if (e == EINVAL)
			log_error(
			    "EAL start failed: %s: an argument of the 'starting EAL' line above "
			    "was refused (from the configuration's eal: list or after '--'; the "
			    "EAL's reason is in the lines above, -- --help lists its options)",
			    rte_strerror(e));
		else
			log_error("EAL start failed: %s (the EAL's reason is in the lines above)",
			          rte_strerror(e));
		remove_own_runtime_dir(rte_eal_get_runtime_dir());
		return -e;
	}
	/* DPDK's own log lines join ours on stderr. */
	rte_openlog_stream(stderr);
	return 0;
}

static void log_ready(const struct dp_ctx *c)
{
	const struct ctl_config *cfg = c->cfg;
	char line[4096], addr[64], mac[RTE_ETHER_ADDR_FMT_SIZE];
	size_t n = 0;

#define APPEND(...)                                                                                \
	do {                                                                                       \
		if (n < sizeof(line))                                                              \
			n += (size_t)snprintf(line + n, sizeof(line) - n, __VA_ARGS__);            \
	} while (0)
	APPEND("sipsteer: ready:");
	for (uint16_t i = 0; i < c->n_ports; i++) {
		rte_ether_format_addr(mac, sizeof(mac), &c->ports[i].mac);
		APPEND(" port %s mac %s;", c->ports[i].name, mac);
	}
	/* Each VIP with the SIP ports it serves: "vip 198.18.0.10:5060,5070
	 * [2001:db8::10]:5060,5070". */
	APPEND(" vip");
	const struct ctl_prefix *vips[] = {&cfg->vip4, &cfg->vip6};
	for (size_t f = 0; f < RTE_DIM(vips); f++) {
		if (vips[f]->addr.family == 0)
			continue;
		struct lb_addr vip = vips[f]->addr;
		vip.port = c->sip_ports[0];
		APPEND(" %s", lb_addr_format(&vip, addr, sizeof(addr)));
		for (uint32_t k = 1; k < c->n_sip_ports; k++)
			APPEND(",%u", c->sip_ports[k]);
	}
	APPEND("; workers %u; backends %u:", c->n_workers, cfg->n_backends);
	for (uint32_t b = 0; b < cfg->n_backends; b++)
		APPEND(" %s=%s", cfg->backends[b].name,
		       lb_addr_format(&cfg->backends[b].addr, addr, sizeof(addr)));
#undef APPEND
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t wr = write(STDERR_FILENO, line, n);
	(void)wr;
}

static void list_drops(void)
{
	dp_drop_names_init();
	for (int d = 0; d < DP_DROP_COUNT; d++)
		printf("%-28s %s\n", dp_drop_name((enum dp_drop)d), dp_drop_text((enum dp_drop)d));
}

/* Stop workers, write the stats, release everything. Called once, from the control thread. */
static void shutdown_all(struct dp_control *control, bool control_up, bool workers_up)
{
	/* The telemetry thread reads worker counters: stop it answering first. */
	if (control_up)
		dp_telemetry_fini();
	if (workers_up) {
		__atomic_store_n(&ctx.stop, true, __ATOMIC_RELEASE);
		rte_eal_mp_wait_lcore();
	}
	/* No worker is left inside a burst: the ports close without the guard's grace periods. */
	dp_unmap_guard_arm(false);
	if (control_up)
		dp_control_write_stats(control);
	/* No reader is left: take the snapshots down and let call_rcu free them. */
	lb_publish(&ctx.lb, NULL);
	dp_neigh_publish(&ctx.neigh, NULL);
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
}

int main(int argc, char **argv)
{
	struct dp_cli cli;
	struct ctl_config cfg;
	struct ctl_state state;
	struct dp_control control;
	char err[512];
	enum log_level level;
	int rc;

	if (dp_cli_parse(argc, argv, &cli) < 0)
		return DP_CLI_USAGE_EXIT;
	if (cli.help) {
		dp_cli_usage(stdout);
		return 0;
	}
	if (cli.version) {
		printf("sipsteer %s (%s, parser %s)\n", SIPSTEER_VERSION, rte_version(),
		       sip_parser_impl());
		return 0;
	}
	if (cli.list_drops) {
		list_drops();
		return 0;
	}
	memset(&cfg, 0, sizeof(cfg));
	if (load_config(&cli, &cfg) < 0)
		return EXIT_CONFIG;
	if (check_config(&cfg) < 0) {
		ctl_config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (cli.check) {
		printf("%s: ok\n", cli.config != NULL ? cli.config : "<embedded>");
		ctl_config_free(&cfg);
		return 0;
	}
	if (check_stats_file(cli.stats_file) < 0) {
		ctl_config_free(&cfg);
		return EXIT_CONFIG;
	}
	/* Until the handlers are in place a signal waits: a stop or a reload asked for during
	 * the start is served once the daemon can do it cleanly. The EAL's threads, started in
	 * between, keep them blocked: the control thread takes them. */
	sigset_t startup;
	sigemptyset(&startup);
	sigaddset(&startup, SIGINT);
	sigaddset(&startup, SIGTERM);
	sigaddset(&startup, SIGHUP);
	sigaddset(&startup, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &startup, NULL);
	if (log_level_parse(cli.log_level ? cli.log_level : cfg.log_level, &level) == 0)
		log_set_level(level);
	log_set_syslog(strcmp(cfg.log, "syslog") == 0);
	dp_drop_names_init();

	/* From here the running state owns the configuration. */
	if (ctl_state_init(&state, &cfg, err, sizeof(err)) < 0) {
		log_error("%s", err);
		ctl_config_free(&cfg);
		return EXIT_CONFIG;
	}
	/* The control socket first: a second daemon on it stops here, before it takes ports. */
	rc = dp_control_open(&control, &state);
	if (rc < 0) {
		dp_control_free(&control);
		ctl_state_free(&state);
		return EXIT_CONFIG;
	}
	rc = eal_start(&cli, &state.cfg);
	if (rc < 0) {
		dp_control_free(&control);
		ctl_state_free(&state);
		return EXIT_CONFIG;
	}
	dp_control_signals_install();
	pthread_sigmask(SIG_UNBLOCK, &startup, NULL);
	rcu_register_thread();
	dp_ctx_init(&ctx, &state.cfg);

	bool control_up = false, workers_up = false;
	rc = dp_workers_init(&ctx);
	if (rc < 0)
		goto out;
	ctx.pool = rte_pktmbuf_pool_create("mbufs", dp_pool_size(&state.cfg), 256, 0,
	                                   dp_pool_data_room(&state.cfg), (int)rte_socket_id());
	if (ctx.pool == NULL) {
		log_error("mbuf pool (%u mbufs of %u bytes for %u workers): %s; give the EAL more "
		          "memory (-- -m MB, default 512) or hugepages (-- --huge)",
		          dp_pool_size(&state.cfg), dp_pool_data_room(&state.cfg),
		          state.cfg.workers, rte_strerror(rte_errno));
		rc = -rte_errno;
		goto out;
	}
	rc = dp_ports_start(&ctx, err, sizeof(err));
	if (rc < 0) {
		log_error("%s", err);
		goto out;
	}
	ctx.ctl_tx = rte_ring_create("ctl_tx", DP_CTL_TX_RING, (int)rte_socket_id(),
	                             RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ctx.ctl_tx == NULL) {
		log_error("ring ctl_tx: %s", rte_strerror(rte_errno));
		rc = -rte_errno;
		goto out;
	}
	rc = dp_control_init(&control, &ctx, cli.stats_file);
	if (rc < 0)
		goto out;
	control_up = true;

	/* A net_memif peer that disconnects waits for the workers to leave their bursts. */
	dp_unmap_guard_arm(true);
	for (uint32_t w = 0; w < ctx.n_workers; w++) {
		rc = rte_eal_remote_launch(dp_worker_main, &ctx.workers[w], ctx.workers[w].lcore);
		if (rc < 0) {
			log_error("worker on lcore %u: launch: %s", ctx.workers[w].lcore,
			          strerror(-rc));
			workers_up = w > 0;
			goto out;
		}
	}
	workers_up = true;
	log_ready(&ctx);
	dp_control_run(&control);
	log_info("stopping");
	rc = 0;
out:
	shutdown_all(&control, control_up, workers_up);
	dp_control_free(&control);
	dp_ports_stop(&ctx);
	dp_workers_free(&ctx);
	if (ctx.ctl_tx != NULL) {
		void *m = NULL;
		while (rte_ring_sc_dequeue(ctx.ctl_tx, &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(ctx.ctl_tx);
	}
	rte_mempool_free(ctx.pool);
	rcu_unregister_thread();
	/* The directory's name, kept before rte_eal_cleanup() releases what holds it. */
	char runtime_dir[PATH_MAX];
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	remove_own_runtime_dir(runtime_dir);
	ctl_state_free(&state);
	if (rc == 0)
		log_info("stopped");
	return rc == 0 ? 0 : EXIT_CONFIG;
}
