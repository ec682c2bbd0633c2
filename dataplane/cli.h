/* SPDX-License-Identifier: BSD-3-Clause */
/* sipsteer's command line: options before "--", EAL arguments after it. */
#ifndef SIPSTEER_DP_CLI_H
#define SIPSTEER_DP_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct dp_cli {
	const char *config;     /* --config FILE, NULL = embedded default */
	const char *stats_file; /* --stats-file PATH, NULL = none */
	const char *log_level;  /* --log-level L, NULL = from config */
	bool check;             /* --check */
	bool help;              /* --help */
	bool version;           /* --version */
	bool list_drops;        /* --list-drops */
	int eal_argc;           /* arguments after "--" */
	char **eal_argv;
};

/* Exit status of a command-line error. */
#define DP_CLI_USAGE_EXIT 2

/*
 * Parse argv into cli (pointers into argv). Returns 0, or -1 after printing the error and a
 * usage hint on stderr (the caller exits with DP_CLI_USAGE_EXIT).
 */
int dp_cli_parse(int argc, char **argv, struct dp_cli *cli);

/* The --help text. */
void dp_cli_usage(FILE *out);

#endif
