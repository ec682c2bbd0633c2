/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench subcommands. Each prints a human summary, or with --json one JSON object on
 * one line of stdout (`all --json`: one such line per benchmark), and compares against a peer
 * measured in the same run. Returns a process exit code.
 */
#ifndef SIPSTEER_BENCH_H
#define SIPSTEER_BENCH_H

#include <stdint.h>

int bench_parser_main(int argc, char **argv);
int bench_lb_main(int argc, char **argv);
int bench_dataplane_main(int argc, char **argv);

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

/* A decimal number, digits only, in [min, max]: 0, or -1 for anything else. */
int bench_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v);

/* A plain decimal number >= 0, digits and one point ("0.001", "1.3"; no sign, exponent, nan,
 * inf or hex): 0, or -1 for anything else. */
int bench_parse_decimal(const char *s, double *v);

#endif
