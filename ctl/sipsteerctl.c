/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteerctl: the operator's command line for a running sipsteer, over the control API socket.
 * docs/cli.md is its manual. Arguments are checked here before anything is sent (exit 2); the
 * daemon's refusals and an unreachable daemon exit 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sipsteerctl.h"

#ifndef SIPSTEER_VERSION
#define SIPSTEER_VERSION "unknown"
#endif

/* The daemon's default (control.api_socket); ctl/api.h names the same path. */
#define DEFAULT_SOCKET "/run/sipsteer/sipsteer.sock"
#define NAME_CHARS     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define ERR_MAX        1024
/* For call(): what shows whether a change that got no reply was done. */
#define CHECK_BACKENDS "'sipsteerctl backends'"

struct opts {
	const char *socket;
	bool json;
	int timeout_ms;
};

struct command {
	const char *name; /* "backend add" */
	const char *args; /* usage after the name */
	const char *help; /* what it does, shown by --help */
	int (*run)(const struct opts *o, const struct command *cmd, int argc, char **argv);
	int min_args, max_args; /* positional arguments after the name */
};

/* --- messages --- */

__attribute__((format(printf, 2, 3))) static int usage_error(const struct command *cmd,
                                                             const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sipsteerctl: %s%s", cmd ? cmd->name : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd != NULL)
		fprintf(
		    stderr,
		    "\nUsage: sipsteerctl [--socket PATH] [--json] [--timeout SECONDS] %s%s%s\n",
		    cmd->name, cmd->args[0] ? " " : "", cmd->args);
	else
		fprintf(stderr, "\nRun 'sipsteerctl --help' for the commands.\n");
	return CLI_USAGE;
}

static void print_json(const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (text != NULL) {
		puts(text);
		free(text);
	}
}

/*
 * Connect, send, report. Returns CLI_OK with *result, or CLI_FAILED after saying why. check:
 * for a request that changes something, the sipsteerctl command (or log) that shows whether it
 * was done; NULL for a read-only one. A request that got no reply in time, or whose connection
 * closed before the reply, was sent whole (both happen only while waiting for the reply), so
 * the daemon may have carried it out or still do.
 */
static int call(const struct opts *o, const char *cmd, json_t *args, json_t **result,
                const char *check)
{
	struct cli_conn c;
	char err[ERR_MAX];

	if (cli_connect(&c, o->socket, o->timeout_ms, err, sizeof(err)) != 0) {
		json_decref(args);
		fprintf(stderr, "sipsteerctl: %s\n", err);
		return CLI_FAILED;
	}
	int rc = cli_call(&c, cmd, args, result, err, sizeof(err));
	cli_close(&c);
	if (rc == 1)
		fprintf(stderr, "sipsteerctl: daemon at %s: %s\n", o->socket, err);
	else if ((rc == -ETIMEDOUT || rc == -ECONNRESET) && check != NULL)
		fprintf(stderr,
		        "sipsteerctl: %s; the request was sent and may still be carried out: check "
		        "with %s before repeating it\n",
		        err, check);
	else if (rc < 0)
		fprintf(stderr, "sipsteerctl: %s\n", err);
	return rc == 0 ? CLI_OK : CLI_FAILED;
}

/* --- argument checks (the daemon checks again) --- */

static const char *check_name(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 63 || strspn(s, NAME_CHARS) != len)
		return "use 1 to 63 of A-Z a-z 0-9 . _ -";
	return NULL;
}

static const char *check_port(const char *p)
{
	size_t len = strlen(p);
	if (len == 0 || len > 5 || strspn(p, "0123456789") != len || atol(p) < 1 || atol(p) > 65535)
		return "PORT must be a number from 1 to 65535";
	return NULL;
}

/* IPv4[:PORT], [IPv6][:PORT] or a bare IPv6 address. */
static const char *check_addr(const char *s)
{
	unsigned char bytes[16];
	char host[64];
	const char *port = NULL, *colon = strchr(s, ':');
	size_t len;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return "missing ']' after the IPv6 address";
		len = (size_t)(close - s - 1);
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "expected ':PORT' after ']'";
		if (len >= sizeof(host))
			return "not an IPv6 address inside [ ]";
		memcpy(host, s + 1, len);
		host[len] = '\0';
		if (inet_pton(AF_INET6, host, bytes) != 1)
			return "not an IPv6 address inside [ ]";
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		if (inet_pton(AF_INET6, s, bytes) != 1)
			return "not an IPv4 or IPv6 address (an IPv6 address with a port needs "
			       "[brackets])";
	} else {
		len = colon ? (size_t)(colon - s) : strlen(s);
		if (len >= sizeof(host))
			return "not an IPv4 address";
		memcpy(host, s, len);
		host[len] = '\0';
		if (inet_pton(AF_INET, host, bytes) != 1)
			return "not an IPv4 address (host names are not resolved)";
		if (colon != NULL)
			port = colon + 1;
	}
	return port != NULL ? check_port(port) : NULL;
}

/* 0..65535, digits only. -1 when s is not one. */
static long parse_weight(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > 5 || strspn(s, "0123456789") != len || atol(s) > 65535)
		return -1;
	return atol(s);
}

static int need_name(const struct command *cmd, const char *name)
{
	const char *why = check_name(name);
	if (why != NULL)
		return usage_error(cmd, "'%s' is not a valid NAME: %s", name, why);
	return 0;
}

/* --- backends --- */

static int run_backends(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	static const char *const head[] = {"ID",     "NAME",  "ADDRESS", "WEIGHT", "STATE",
	                                   "HEALTH", "SHARE", "MSG/S",   "RTT"};
	static const bool right[] = {true, false, false, true, false, false, true, true, true};
	struct cli_table t;
	json_t *list, *be;
	size_t i;
	int rc = call(o, "backends", NULL, &list, NULL);

	if (rc != CLI_OK)
		return rc;
	if (o->json) {
		print_json(list);
		json_decref(list);
		return CLI_OK;
	}
	cli_table_init(&t, 9, head, right);
	json_array_foreach(list, i, be)
	{
		char id[24], w[24], share[24], rate[24], rtt[24];
		const char *rtt_text =
		    cli_num(json_object_get(be, "rtt_ms"), "%.2f", 1, rtt, sizeof(rtt));
		char rtt_ms[32];
		if (strcmp(rtt_text, "-"))
			snprintf(rtt_ms, sizeof(rtt_ms), "%s ms", rtt_text);
		else
			snprintf(rtt_ms, sizeof(rtt_ms), "-");
		const char *share_text =
		    cli_num(json_object_get(be, "table_share"), "%.1f", 100, share, sizeof(share));
		char share_pct[32];
		snprintf(share_pct, sizeof(share_pct), "%s%s", share_text,
		         strcmp(share_text, "-") ? "%" : "");
		cli_table_row(
		    &t, cli_num(json_object_get(be, "id"), "%.0f", 1, id, sizeof(id)),
		    cli_str(json_object_get(be, "name")), cli_str(json_object_get(be, "address")),
		    cli_num(json_object_get(be, "weight"), "%.0f", 1, w, sizeof(w)),
		    cli_str(json_object_get(be, "state")), cli_str(json_object_get(be, "health")),
		    share_pct, cli_num(json_object_get(be, "rate"), "%.1f", 1, rate, sizeof(rate)),
		    rtt_ms);
	}
	if (json_array_size(list) == 0)
		printf("no backends: every request is answered 503\n");
	else
		cli_table_print(&t, stdout);
	json_decref(list);
	return CLI_OK;
}

/* Print a changed backend, or the --json result. */
static int backend_done(const struct opts *o, json_t *be, const char *what)
{
	char addr_note[128] = "";

	if (o->json) {
		print_json(be);
	} else {
		if (!strcmp(what, "added"))
			snprintf(addr_note, sizeof(addr_note), ": id %lld, %s, weight %lld",
			         (long long)json_integer_value(json_object_get(be, "id")),
			         cli_str(json_object_get(be, "address")),
			         (long long)json_integer_value(json_object_get(be, "weight")));
		else if (!strcmp(what, "weight"))
			snprintf(addr_note, sizeof(addr_note), " %lld",
			         (long long)json_integer_value(json_object_get(be, "weight")));
		printf("backend '%s' %s%s\n", cli_str(json_object_get(be, "name")), what,
		       addr_note);
	}
	json_decref(be);
	return CLI_OK;
}

static int run_backend_add(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	const char *why;
	long weight = 1;
	json_t *be;
	int rc;

	if ((rc = need_name(cmd, argv[0])) != 0)
		return rc;
	if ((why = check_addr(argv[1])) != NULL)
		return usage_error(cmd, "'%s' is not a valid ADDR[:PORT]: %s", argv[1], why);
	if (argc == 3 && !strcmp(argv[2], "weight"))
		return usage_error(cmd, "'%s' needs a value: weight W", argv[2]);
	if (argc == 3)
		return usage_error(cmd, "unexpected '%s' (expected 'weight W')", argv[2]);
	if (argc == 4) {
		if (strcmp(argv[2], "weight"))
			return usage_error(cmd, "unexpected '%s' (expected 'weight W')", argv[2]);
		if ((weight = parse_weight(argv[3])) < 0)
			return usage_error(cmd, "'%s' is not a valid weight: use 0 to 65535",
			                   argv[3]);
	}
	json_t *args = json_pack("{s:s,s:s}", "name", argv[0], "address", argv[1]);
	if (argc == 4)
		json_object_set_new(args, "weight", json_integer(weight));
	if ((rc = call(o, "backend.add", args, &be, CHECK_BACKENDS)) != CLI_OK)
		return rc;
	return backend_done(o, be, "added");
}

static int run_backend_weight(const struct opts *o, const struct command *cmd, int argc,
                              char **argv)
{
	long weight;
	json_t *be;
	int rc;

	if ((rc = need_name(cmd, argv[0])) != 0)
		return rc;
	if ((weight = parse_weight(argv[1])) < 0)
		return usage_error(cmd, "'%s' is not a valid weight: use 0 to 65535", argv[1]);
	rc = call(o, "backend.weight",
	          json_pack("{s:s,s:I}", "name", argv[0], "weight", (json_int_t)weight), &be,
	          CHECK_BACKENDS);
	if (rc != CLI_OK)
		return rc;
	return backend_done(o, be, "weight");
}

/* remove, drain, enable, disable: NAME only. */
static int run_backend_name(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	static const char *const verbs[][3] = {
	    {"backend remove", "backend.remove", "removed"},
	    {"backend drain", "backend.drain", "draining"},
	    {"backend enable", "backend.enable", "enabled"},
	    {"backend disable", "backend.disable", "disabled"},
	};
	json_t *be;
	int rc;

	if ((rc = need_name(cmd, argv[0])) != 0)
		return rc;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i][0], cmd->name))
			continue;
		if ((rc = call(o, verbs[i][1], json_pack("{s:s}", "name", argv[0]), &be,
		               CHECK_BACKENDS)) != 0)
			return rc;
		return backend_done(o, be, verbs[i][2]);
	}
	return CLI_USAGE;
}

/* --- stats --- */

static double sum_values(const json_t *obj)
{
	const char *key;
	json_t *v;
	double sum = 0;

	if (!json_is_object(obj))
		return NAN;
	json_object_foreach((json_t *)obj, key, v)
	{
		if (json_is_number(v))
			sum += json_number_value(v);
	}
	return sum;
}

static const char *count_text(double v, char *buf, size_t cap)
{
	if (isnan(v))
		return "-";
	snprintf(buf, cap, "%.0f", v);
	return buf;
}

static double field(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void stats_row(struct cli_table *t, const char *who, const char *lcore, const json_t *w)
{
	char rx[32], fwd[32], rel[32], probes[32], rep[32], drop[32];

	cli_table_row(t, who, lcore, count_text(field(w, "rx"), rx, sizeof(rx)),
	              count_text(field(w, "forwarded"), fwd, sizeof(fwd)),
	              count_text(field(w, "relayed"), rel, sizeof(rel)),
	              count_text(field(w, "probe_replies"), probes, sizeof(probes)),
	              count_text(sum_values(json_object_get(w, "replied")), rep, sizeof(rep)),
	              count_text(sum_values(json_object_get(w, "drops")), drop, sizeof(drop)));
}

/* Drop reasons with a count anywhere, one column per worker and the total. */
static void print_drops(const json_t *stats)
{
	const json_t *workers = json_object_get(stats, "workers");
	const json_t *total = json_object_get(json_object_get(stats, "total"), "drops");
	size_t nw = json_array_size(workers), n_cols = nw + 2;
	const char **head = calloc(n_cols, sizeof(*head));
	bool *right = calloc(n_cols, sizeof(*right));
	char(*names)[24] = calloc(nw + 1, sizeof(*names));
	const char **row = calloc(n_cols, sizeof(*row));
	char(*cells)[32] = calloc(n_cols, sizeof(*cells));
	struct cli_table t;
	const char *reason;
	json_t *v;
	size_t shown = 0;

	if (!json_is_object(total)) {
		printf("\nno drop counters in the reply\n");
		goto out;
	}
	if (!head || !right || !names || !row || !cells)
		goto out;
	head[0] = "DROP REASON";
	for (size_t w = 0; w < nw; w++) {
		snprintf(names[w], sizeof(names[w]), "W%zu", w);
		head[w + 1] = names[w];
		right[w + 1] = true;
	}
	head[nw + 1] = "TOTAL";
	right[nw + 1] = true;
	cli_table_init(&t, n_cols, head, right);
	json_object_foreach((json_t *)total, reason, v)
	{
		if (!json_is_number(v) || json_number_value(v) == 0)
			continue;
		row[0] = reason;
		for (size_t w = 0; w < nw; w++)
			row[w + 1] = count_text(
			    field(json_object_get(json_array_get(workers, w), "drops"), reason),
			    cells[w + 1], sizeof(cells[0]));
		row[nw + 1] = count_text(json_number_value(v), cells[nw + 1], sizeof(cells[0]));
		cli_table_add(&t, row);
		shown++;
	}
	printf("\n");
	if (shown == 0)
		printf("no drops\n");
	else
		cli_table_print(&t, stdout);
out:
	free(head);
	free(right);
	free(names);
	free(row);
	free(cells);
}

static int run_stats(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	static const char *const head[] = {"WORKER",  "LCORE",  "RECEIVED", "FORWARDED",
	                                   "RELAYED", "PROBES", "REPLIED",  "DROPPED"};
	static const bool right[] = {false, true, true, true, true, true, true, true};
	bool reset = false;
	json_t *stats, *w;
	size_t i;
	int rc;

	for (int a = 0; a < argc; a++) {
		if (strcmp(argv[a], "--reset"))
			return usage_error(cmd, "unexpected '%s'", argv[a]);
		reset = true;
	}
	rc = call(o, "stats", reset ? json_pack("{s:b}", "reset", 1) : NULL, &stats,
	          reset ? "'sipsteerctl stats'" : NULL);
	if (rc != CLI_OK)
		return rc;
	if (o->json) {
		print_json(stats);
		json_decref(stats);
		return CLI_OK;
	}
	struct cli_table t;
	cli_table_init(&t, 8, head, right);
	json_array_foreach(json_object_get(stats, "workers"), i, w)
	{
		char who[24], lcore[24];
		snprintf(who, sizeof(who), "W%zu", i);
		stats_row(&t, who,
		          cli_num(json_object_get(w, "lcore"), "%.0f", 1, lcore, sizeof(lcore)), w);
	}
	stats_row(&t, "total", "", json_object_get(stats, "total"));
	char up[32];
	if (json_is_number(json_object_get(stats, "uptime_s"))) {
		printf("uptime %s s",
		       cli_num(json_object_get(stats, "uptime_s"), "%.1f", 1, up, sizeof(up)));
		/* After a reset the counters cover only the time since it. */
		if (json_is_number(json_object_get(stats, "since_reset_s")))
			printf(", counters since a reset %s s ago",
			       cli_num(json_object_get(stats, "since_reset_s"), "%.1f", 1, up,
			               sizeof(up)));
		printf("\n");
	}
	cli_table_print(&t, stdout);
	print_drops(stats);
	if (reset)
		printf("\ncounters reset: the next stats count from now\n");
	json_decref(stats);
	return CLI_OK;
}

/* --- top --- */

static volatile sig_atomic_t top_stop;

static void on_top_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* (cur - prev) / dt of a field, NaN when either is missing. */
static double rate(double cur, double prev, double dt)
{
	if (isnan(cur) || isnan(prev) || dt <= 0)
		return NAN;
	return cur >= prev ? (cur - prev) / dt : cur / dt; /* a reset restarts counting */
}

static const char *rate_text(double r, char *buf, size_t cap)
{
	if (isnan(r))
		return "-";
	snprintf(buf, cap, "%.1f", r);
	return buf;
}

static void top_row(struct cli_table *t, const char *who, const char *lcore, const json_t *cur,
                    const json_t *prev, double dt)
{
	char a[32], b[32], c[32], d[32], e[32];

	cli_table_row(t, who, lcore,
	              rate_text(rate(field(cur, "rx"), field(prev, "rx"), dt), a, 32),
	              rate_text(rate(field(cur, "forwarded"), field(prev, "forwarded"), dt), b, 32),
	              rate_text(rate(field(cur, "relayed"), field(prev, "relayed"), dt), c, 32),
	              rate_text(rate(sum_values(json_object_get(cur, "replied")),
	                             sum_values(json_object_get(prev, "replied")), dt),
	                        d, 32),
	              rate_text(rate(sum_values(json_object_get(cur, "drops")),
	                             sum_values(json_object_get(prev, "drops")), dt),
	                        e, 32));
}

static const json_t *backend_named(const json_t *list, const char *name)
{
	size_t i;
	json_t *b;

	json_array_foreach(list, i, b)
	{
		if (name != NULL && !strcmp(cli_str(json_object_get(b, "name")), name))
			return b;
	}
	return NULL;
}

static void top_frame(const json_t *cur, const json_t *prev, double dt, double interval)
{
	static const char *const head[] = {"WORKER",  "LCORE",   "RX/S",  "FWD/S",
	                                   "RELAY/S", "REPLY/S", "DROP/S"};
	static const bool right[] = {false, true, true, true, true, true, true};
	static const char *const bhead[] = {"BACKEND", "REQ/S", "SHARE"};
	static const bool bright[] = {false, true, true};
	struct cli_table t;
	json_t *w, *b;
	size_t i;
	char up[32];

	printf("sipsteer top: every %.1f s, uptime %s s (Ctrl-C quits)\n\n", interval,
	       cli_num(json_object_get(cur, "uptime_s"), "%.1f", 1, up, sizeof(up)));
	cli_table_init(&t, 7, head, right);
	json_array_foreach(json_object_get(cur, "workers"), i, w)
	{
		char who[24], lcore[24];
		snprintf(who, sizeof(who), "W%zu", i);
		top_row(&t, who,
		        cli_num(json_object_get(w, "lcore"), "%.0f", 1, lcore, sizeof(lcore)), w,
		        json_array_get(json_object_get(prev, "workers"), i), dt);
	}
	top_row(&t, "total", "", json_object_get(cur, "total"), json_object_get(prev, "total"), dt);
	cli_table_print(&t, stdout);

	const json_t *blist = json_object_get(cur, "backends");
	if (json_array_size(blist) == 0)
		return;
	double total = 0;
	json_array_foreach(blist, i, b)
	{
		const char *name = cli_str(json_object_get(b, "name"));
		double r = rate(
		    field(b, "requests"),
		    field(backend_named(json_object_get(prev, "backends"), name), "requests"), dt);
		if (!isnan(r))
			total += r;
	}
	cli_table_init(&t, 3, bhead, bright);
	json_array_foreach(blist, i, b)
	{
		char r_text[32], s_text[32];
		const char *name = cli_str(json_object_get(b, "name"));
		double r = rate(
		    field(b, "requests"),
		    field(backend_named(json_object_get(prev, "backends"), name), "requests"), dt);
		if (!isnan(r) && total > 0)
			snprintf(s_text, sizeof(s_text), "%.1f%%", 100 * r / total);
		else
			snprintf(s_text, sizeof(s_text), "-");
		cli_table_row(&t, name, rate_text(r, r_text, sizeof(r_text)), s_text);
	}
	printf("\n");
	cli_table_print(&t, stdout);
}

/* Sleep up to seconds; false when a signal asked to stop. */
static bool top_sleep(double seconds)
{
	struct timespec ts = {.tv_sec = (time_t)seconds,
	                      .tv_nsec = (long)((seconds - floor(seconds)) * 1e9)};
	while (!top_stop && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return !top_stop;
}

static int run_top(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	long count = -1;
	double interval = 1.0;
	struct cli_conn c;
	char err[ERR_MAX];
	json_t *prev = NULL, *cur = NULL;
	int rc = CLI_OK;

	for (int a = 0; a < argc; a++) {
		char *end;
		if (!strcmp(argv[a], "--count") || !strcmp(argv[a], "--interval")) {
			if (a + 1 == argc)
				return usage_error(cmd, "%s needs a value", argv[a]);
			errno = 0;
			if (argv[a][2] == 'c') {
				count = strtol(argv[a + 1], &end, 10);
				if (errno || *end || end == argv[a + 1] || count < 1 ||
				    count > 1000000)
					return usage_error(cmd,
					                   "--count '%s' is not a number from 1 to "
					                   "1000000",
					                   argv[a + 1]);
			} else {
				interval = strtod(argv[a + 1], &end);
				if (errno || *end || end == argv[a + 1] || !(interval >= 0.1) ||
				    interval > 3600)
					return usage_error(
					    cmd,
					    "--interval '%s' is not a number of seconds "
					    "from 0.1 to 3600",
					    argv[a + 1]);
			}
			a++;
			continue;
		}
		return usage_error(cmd, "unexpected '%s'", argv[a]);
	}

	if (cli_connect(&c, o->socket, o->timeout_ms, err, sizeof(err)) != 0) {
		fprintf(stderr, "sipsteerctl: %s\n", err);
		return CLI_FAILED;
	}
	struct sigaction sa = {.sa_handler = on_top_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	bool tty = !o->json && isatty(STDOUT_FILENO);
	if (tty)
		fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */

	int got = cli_call(&c, "stats", NULL, &prev, err, sizeof(err));
	double t_prev = mono_s();
	for (long frame = 0; got == 0 && (count < 0 || frame < count); frame++) {
		if (!top_sleep(interval))
			break;
		got = cli_call(&c, "stats", NULL, &cur, err, sizeof(err));
		if (got != 0)
			break;
		double t_cur = mono_s();
		/* The daemon's clock when it sends one: rates then do not depend on our delays. */
		double dt = field(cur, "uptime_s") - field(prev, "uptime_s");
		if (isnan(dt) || dt <= 0)
			dt = t_cur - t_prev;
		if (o->json) {
			print_json(cur);
		} else {
			if (tty)
				fputs("\033[H\033[J", stdout);
			else if (frame > 0)
				fputs("\n", stdout);
			top_frame(cur, prev, dt, interval);
		}
		fflush(stdout);
		json_decref(prev);
		prev = cur;
		cur = NULL;
		t_prev = t_cur;
	}
	if (tty)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (got == 1) {
		fprintf(stderr, "sipsteerctl: daemon at %s: %s\n", o->socket, err);
		rc = CLI_FAILED;
	} else if (got < 0) {
		fprintf(stderr, "sipsteerctl: %s\n", err);
		rc = CLI_FAILED;
	}
	json_decref(prev);
	cli_close(&c);
	return rc;
}

/* --- reload, config show, version --- */

static int run_reload(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	json_t *r, *line;
	size_t i;
	int rc = call(o, "reload", NULL, &r, "'sipsteerctl config show' or the daemon's log");

	if (rc != CLI_OK)
		return rc;
	if (o->json) {
		print_json(r);
		json_decref(r);
		return CLI_OK;
	}
	const json_t *changed = json_object_get(r, "changed");
	const json_t *warnings = json_object_get(r, "warnings");
	if (json_array_size(changed) == 0)
		printf("reloaded: nothing changed\n");
	else
		printf("reloaded: %zu change%s\n", json_array_size(changed),
		       json_array_size(changed) == 1 ? "" : "s");
	json_array_foreach(changed, i, line) printf("  %s\n", cli_str(line));
	json_array_foreach(warnings, i, line) printf("warning: %s\n", cli_str(line));
	json_decref(r);
	return CLI_OK;
}

static int run_config_show(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	json_t *r;
	int rc = call(o, "config.show", NULL, &r, NULL);

	if (rc != CLI_OK)
		return rc;
	if (o->json)
		print_json(r);
	else
		fputs(cli_str(json_object_get(r, "yaml")), stdout);
	json_decref(r);
	return CLI_OK;
}

static int run_version(const struct opts *o, const struct command *cmd, int argc, char **argv)
{
	json_t *r;

	if (!o->json)
		printf("sipsteerctl %s\n", SIPSTEER_VERSION);
	fflush(stdout);
	int rc = call(o, "version", NULL, &r, NULL);
	if (rc != CLI_OK)
		return rc;
	if (o->json) {
		print_json(r);
	} else {
		char api[24];
		printf("%s %s (control API %s)\n", cli_str(json_object_get(r, "name")),
		       cli_str(json_object_get(r, "version")),
		       cli_num(json_object_get(r, "api"), "%.0f", 1, api, sizeof(api)));
	}
	json_decref(r);
	return CLI_OK;
}

/* --- the command table --- */

static const struct command commands[] = {
    {"backends", "",
     "List every backend: id, name, address, weight, admin state, health, share "
     "of the table, requests per second forwarded to it (MSG/S) and last probe RTT ('-' "
     "where the daemon sends none).",
     run_backends, 0, 0},
    {"backend add", "NAME ADDR[:PORT] [weight W]",
     "Add a backend. NAME: 1 to 63 of A-Z a-z 0-9 . _ -. ADDR: IPv4 or [IPv6], PORT 1-65535 "
     "(default 5060). W: 0-65535 (default 1). It takes the lowest unused id.",
     run_backend_add, 2, 4},
    {"backend remove", "NAME",
     "Remove a backend. Its calls pinned by Record-Route lose their backend: drain it first.",
     run_backend_name, 1, 1},
    {"backend weight", "NAME W", "Set a backend's weight, 0-65535 (0: no new calls).",
     run_backend_weight, 2, 2},
    {"backend drain", "NAME",
     "No new calls to NAME; requests that name it (in-dialog, responses) still reach it.",
     run_backend_name, 1, 1},
    {"backend enable", "NAME", "Give NAME new calls again.", run_backend_name, 1, 1},
    {"backend disable", "NAME", "Send nothing at all to NAME.", run_backend_name, 1, 1},
    {"stats", "[--reset]",
     "Counters per worker and in total: received, forwarded, relayed, probe replies handed to "
     "the control thread, replied, dropped, and "
     "drops by reason. --reset: show them, then count from zero.",
     run_stats, 0, 1},
    {"top", "[--count N] [--interval SECONDS]",
     "Live rates per worker and per backend, refreshed every second (or SECONDS, 0.1 to "
     "3600) until Ctrl-C, or N times.",
     run_top, 0, 4},
    {"reload", "",
     "Re-read the configuration file: backends, hashing, sip, rate_limit and probe apply now; "
     "changes to eal, ports, workers, idle_sleep_us, burst, listen and control are reported "
     "and wait for a restart.",
     run_reload, 0, 0},
    {"config show", "",
     "Print the running configuration as YAML, run-time changes included; it loads back with "
     "--config.",
     run_config_show, 0, 0},
    {"version", "", "Print this program's version and the daemon's.", run_version, 0, 0},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void global_help(FILE *out)
{
	fprintf(out,
	        "Usage: sipsteerctl [--socket PATH] [--json] [--timeout SECONDS] COMMAND ...\n"
	        "\n"
	        "Control a running sipsteer through its API socket.\n"
	        "\n"
	        "Options:\n"
	        "  --socket PATH      the daemon's socket (default $SIPSTEER_SOCKET, else %s)\n"
	        "  --json             print the daemon's JSON result instead of a table\n"
	        "  --timeout SECONDS  wait this long for each reply (default 10)\n"
	        "  -h, --help         this help; COMMAND --help: that command's\n"
	        "  -V, --version      print this program's version and exit (the\n"
	        "                     'version' command asks the daemon too)\n"
	        "\n"
	        "Commands:\n",
	        DEFAULT_SOCKET);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %s%s%s\n", commands[i].name, commands[i].args[0] ? " " : "",
		        commands[i].args);
	fprintf(out, "\nExit status: 0 done, 1 the daemon said no or cannot be reached, 2 bad "
	             "command line.\nSee docs/cli.md for more.\n");
}

static void command_help(const struct command *cmd)
{
	printf("Usage: sipsteerctl [--socket PATH] [--json] [--timeout SECONDS] %s%s%s\n\n%s\n",
	       cmd->name, cmd->args[0] ? " " : "", cmd->args, cmd->help);
}

/* The command named by argv[0] (and argv[1] for two-word ones); *words gets 1 or 2. */
static const struct command *find_command(int argc, char **argv, int *words)
{
	char two[64];

	if (argc >= 2) {
		snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]);
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (!strcmp(commands[i].name, two)) {
				*words = 2;
				return &commands[i];
			}
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, argv[0])) {
			*words = 1;
			return &commands[i];
		}
	return NULL;
}

/* "backend" or "config" without a (valid) subcommand. */
static int group_error(int argc, char **argv)
{
	char subs[256] = "";

	for (size_t i = 0; i < N_COMMANDS; i++) {
		size_t len = strlen(argv[0]);
		if (!strncmp(commands[i].name, argv[0], len) && commands[i].name[len] == ' ')
			snprintf(subs + strlen(subs), sizeof(subs) - strlen(subs), "%s%s",
			         subs[0] ? ", " : "", commands[i].name + len + 1);
	}
	if (!subs[0])
		return usage_error(NULL, "unknown command '%s'", argv[0]);
	if (argc == 1 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc > 1) {
			size_t len = strlen(argv[0]);
			for (size_t i = 0; i < N_COMMANDS; i++) {
				if (strncmp(commands[i].name, argv[0], len) ||
				    commands[i].name[len] != ' ')
					continue;
				command_help(&commands[i]);
				printf("\n");
			}
			return CLI_OK;
		}
		return usage_error(NULL, "%s: missing subcommand (%s)", argv[0], subs);
	}
	return usage_error(NULL, "%s: unknown subcommand '%s' (%s)", argv[0], argv[1], subs);
}

/* "missing ADDR[:PORT]": the first usage word not given. */
static int missing(const struct command *cmd, int given)
{
	char words[128];
	char *save = NULL, *w = NULL;

	snprintf(words, sizeof(words), "%s", cmd->args);
	w = strtok_r(words, " ", &save);
	for (int i = 0; w != NULL && i < given; i++)
		w = strtok_r(NULL, " ", &save);
	return usage_error(cmd, "missing %s", w != NULL ? w : "an argument");
}

int main(int argc, char **argv)
{
	struct opts o = {.socket = getenv("SIPSTEER_SOCKET"), .json = false, .timeout_ms = 10000};
	int i, words;

	if (o.socket == NULL || o.socket[0] == '\0')
		o.socket = DEFAULT_SOCKET;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json")) {
			o.json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			global_help(stdout);
			return CLI_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("sipsteerctl %s\n", SIPSTEER_VERSION);
			return CLI_OK;
		} else if (!strcmp(a, "--socket") || !strncmp(a, "--socket=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (v == NULL || v[0] == '\0')
				return usage_error(NULL, "--socket needs a PATH");
			o.socket = v;
		} else if (!strcmp(a, "--timeout") || !strncmp(a, "--timeout=", 10)) {
			const char *v = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
			char *end;
			double s = v ? strtod(v, &end) : 0;
			if (v == NULL || end == v || *end || !(s >= 0.1) || s > 3600)
				return usage_error(
				    NULL,
				    "--timeout '%s' is not a number of seconds from 0.1 "
				    "to 3600",
				    v ? v : "");
			o.timeout_ms = (int)(s * 1000);
		} else {
			return usage_error(NULL, "unknown option '%s'", a);
		}
	}
	if (i == argc) {
		global_help(stderr);
		return CLI_USAGE;
	}
	const struct command *cmd = find_command(argc - i, argv + i, &words);
	if (cmd == NULL)
		return group_error(argc - i, argv + i);
	/* --json is global but also accepted after the command ("sipsteerctl backends --json"). */
	int n = 0;
	char **args = argv + i + words;
	for (int a = 0; a < argc - i - words; a++) {
		if (!strcmp(args[a], "--json"))
			o.json = true;
		else
			args[n++] = args[a];
	}
	for (int a = 0; a < n; a++)
		if (!strcmp(args[a], "--help") || !strcmp(args[a], "-h")) {
			command_help(cmd);
			return CLI_OK;
		}
	if (n < cmd->min_args)
		return missing(cmd, n);
	if (n > cmd->max_args)
		return usage_error(cmd, "unexpected '%s'", args[cmd->max_args]);
	return cmd->run(&o, cmd, n, args);
}
