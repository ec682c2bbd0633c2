/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteerctl internals: the API client (sipsteerctl_client.c) and aligned text tables
 * (sipsteerctl_table.c). The command line itself is sipsteerctl.c; docs/cli.md is the manual.
 */
#ifndef SIPSTEER_CTL_SIPSTEERCTL_H
#define SIPSTEER_CTL_SIPSTEERCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes. */
#define CLI_OK     0
#define CLI_FAILED 1 /* the daemon said no, or could not be reached */
#define CLI_USAGE  2 /* bad command line: nothing was sent */

/* One connection to the daemon's API socket. */
struct cli_conn {
	int fd;
	const char *path;
	int timeout_ms; /* for each reply */
	char *buf;      /* bytes received after the last reply line */
	size_t len, cap;
};

/*
 * Connect to path. Returns 0, or -errno with a message naming the path and what to check
 * ("cannot reach the daemon at /run/sipsteer/sipsteer.sock: No such file or directory (is
 * sipsteer running? --socket PATH names another socket)").
 */
int cli_connect(struct cli_conn *c, const char *path, int timeout_ms, char *err, size_t cap);

/*
 * Send {"cmd": cmd, "args": args} (args is stolen; NULL sends no args) and wait for the reply.
 * Returns 0 with *result (new reference) when the daemon said ok; 1 with the daemon's error in
 * err when it said no; -errno with a message naming the path when the connection failed, timed
 * out or the reply was not a reply.
 */
int cli_call(struct cli_conn *c, const char *cmd, json_t *args, json_t **result, char *err,
             size_t cap);

void cli_close(struct cli_conn *c);

/* A text table: left-aligned text columns, right-aligned number columns. */
struct cli_table {
	size_t n_cols;
	const char *const *head;
	const bool *right; /* per column: align right */
	size_t n_rows, cap_rows;
	char **cells; /* n_rows * n_cols, malloc'd */
};

void cli_table_init(struct cli_table *t, size_t n_cols, const char *const *head, const bool *right);
#define CLI_TABLE_MAX_COLS 16 /* for cli_table_row; cli_table_add takes any number */

/* Add a row of n_cols cells (copied; NULL shows as "-"). */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* The same with the n_cols cells as const char * varargs (n_cols <= CLI_TABLE_MAX_COLS). */
void cli_table_row(struct cli_table *t, ...);
/* Print it with two spaces between columns, then free it. */
void cli_table_print(struct cli_table *t, FILE *out);

/* Format a JSON number (integer or real) with fmt ("%.1f"), or "-" when v is not a number. */
const char *cli_num(const json_t *v, const char *fmt, double scale, char *buf, size_t cap);
/* A JSON string's value, or "-". */
const char *cli_str(const json_t *v);

#endif
