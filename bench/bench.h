/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench subcommands. Each prints a human summary, or with --json one JSON object on
 * stdout, and compares against a peer measured in the same run. Returns a process exit code.
 */
#ifndef SIPSTEER_BENCH_H
#define SIPSTEER_BENCH_H

#include <stdint.h>

int bench_parser_main(int argc, char **argv);
int bench_lb_main(int argc, char **argv);
int bench_dataplane_main(int argc, char **argv);

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

#endif
