/* SPDX-License-Identifier: BSD-3-Clause */
/* sipsteer-bench: dispatch to the benchmark named by the first argument. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#ifdef SIPSTEER_BENCH_LOAD
#include "load_main.h"
#endif

struct bench_cmd {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *what;
	bool in_all; /* run by `all` (a tool that needs peers and arguments is not) */
};

static const struct bench_cmd cmds[] = {
#ifdef SIPSTEER_BENCH_PARSER
    {"parser", bench_parser_main, "parser ns/message and GB/s against sofia-sip, osip2, libre",
     true},
#endif
#ifdef SIPSTEER_BENCH_LB
    {"lb", bench_lb_main, "Maglev pick and build times, imbalance and disruption", true},
#endif
#ifdef SIPSTEER_BENCH_DATAPLANE
    {"dataplane", bench_dataplane_main, "worker loop messages/s on a memif/ring port pair", true},
#endif
#ifdef SIPSTEER_BENCH_LOAD
    {"load", bench_load_main, "SIP call generator and backend over UDP (not part of all)", false},
#endif
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*v = n;
	return 0;
}

int bench_parse_decimal(const char *s, double *v)
{
	char *end;

	if (s[0] < '0' || s[0] > '9' || strpbrk(s, "eEnNxXpP"))
		return -1;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || *end)
		return -1;
	*v = d;
	return 0;
}

static void all_usage(FILE *out)
{
	fprintf(out,
	        "usage: sipsteer-bench all [--json]\n\n"
	        "Run every benchmark but load, one after the other, each with its defaults:\n");
	for (const struct bench_cmd *c = cmds; c < cmds + N_CMDS; c++)
		if (c->in_all)
			fprintf(out, "  %-10s %s\n", c->name, c->what);
	fprintf(out, "\n  --json   each benchmark's JSON object on a line of its own (JSON Lines)\n"
	             "\nTheir own options are for running them one by one: sipsteer-bench COMMAND "
	             "--help.\nExit status: 0, or the first failing benchmark's.\n");
}

/* Run every benchmark in turn (only --json is passed on); the first failure's code is returned. */
static int run_all(int argc, char **argv)
{
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			all_usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--json")) {
			fprintf(stderr,
			        "sipsteer-bench all: '%s': all takes only --json; run a benchmark "
			        "alone for its options (sipsteer-bench COMMAND --help)\n",
			        argv[i]);
			return 2;
		}
	}

	for (const struct bench_cmd *c = cmds; c < cmds + N_CMDS; c++) {
		char *sub_argv[argc + 1];

		if (!c->in_all)
			continue;
		sub_argv[0] = (char *)c->name;
		for (int i = 1; i < argc; i++)
			sub_argv[i] = argv[i];
		sub_argv[argc] = NULL;
		fflush(stdout);
		int r = c->main(argc, sub_argv);
		fflush(stdout);
		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: sipsteer-bench COMMAND [--json] [options]\n"
	             "       sipsteer-bench COMMAND --help\n\n"
	             "commands:\n");
	for (const struct bench_cmd *c = cmds; c < cmds + N_CMDS; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->what);
	fprintf(out, "  %-10s %s\n", "all", "every benchmark above but load, one after the other");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "all"))
		return run_all(argc - 1, argv + 1);
	for (const struct bench_cmd *c = cmds; c < cmds + N_CMDS; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	fprintf(stderr, "sipsteer-bench: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
