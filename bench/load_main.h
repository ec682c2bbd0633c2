/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-bench load: SIP call generator and backend reflector over UDP (bench_load.c).
 * Declared here rather than in bench.h, which other benchmarks share.
 */
#ifndef SIPSTEER_LOAD_MAIN_H
#define SIPSTEER_LOAD_MAIN_H

/* Entry point of `sipsteer-bench load`; returns 0 done, 1 setup failed, 2 bad arguments. */
int bench_load_main(int argc, char **argv);

#endif
