/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL argument vector sipsteer starts DPDK with: built-in defaults (file prefix, no
 * hugepages, vdev/PCI per port, lcore map, quiet EAL log), then the config's eal: list, then
 * the operator's arguments after "--". Pure function of its inputs, so it can be tested.
 */
#ifndef SIPSTEER_DP_EAL_ARGS_H
#define SIPSTEER_DP_EAL_ARGS_H

#include "config.h"

#define DP_EAL_MAX_ARGS  256
#define DP_EAL_MEMORY_MB "512"

struct dp_eal_args {
	int argc;
	char *argv[DP_EAL_MAX_ARGS + 1]; /* NULL-terminated; each string malloc'd */
};

/*
 * Build the EAL argv for cfg and the operator's extra arguments. cpus: the CPUs this process may
 * run on (n_cpus >= 1). Returns 0, or -E2BIG / -ENOMEM. Free with dp_eal_args_free.
 */
int dp_eal_args_build(const struct ctl_config *cfg, int user_argc, char *const *user_argv, int pid,
                      const int *cpus, int n_cpus, struct dp_eal_args *out);

void dp_eal_args_free(struct dp_eal_args *a);

/*
 * The EAL leaves its runtime directory (/var/run/dpdk/PREFIX) behind. Remove dir (its files,
 * then itself) when its last component is prefix, i.e. a prefix made up for this process that
 * nothing else uses. Take the path (rte_eal_get_runtime_dir) before rte_eal_cleanup.
 */
void dp_eal_remove_runtime_dir(const char *dir, const char *prefix);

#endif
