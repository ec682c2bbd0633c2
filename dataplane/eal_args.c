/* SPDX-License-Identifier: BSD-3-Clause */
/* Build the EAL argument vector from the configuration and the operator's arguments. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eal_args.h"

static int push(struct dp_eal_args *a, const char *s)
{
	if (a->argc >= DP_EAL_MAX_ARGS)
		return -E2BIG;
	a->argv[a->argc] = strdup(s);
	if (a->argv[a->argc] == NULL)
		return -ENOMEM;
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

/* Does the operator (config eal: list or arguments after "--") give this option? Matches
 * "--opt", "--opt=value" and, for short options, "-x" and "-xVALUE". */
struct given {
	int n;
	char *const *args[2];
	int counts[2];
};

static bool given(const struct given *g, const char *opt)
{
	size_t len = strlen(opt);
	bool is_short = opt[0] == '-' && opt[1] != '-';

	for (int k = 0; k < g->n; k++) {
		for (int i = 0; i < g->counts[k]; i++) {
			const char *s = g->args[k][i];
			if (strncmp(s, opt, len) != 0)
				continue;
			if (s[len] == '\0' || s[len] == '=' || is_short)
				return true;
		}
	}
	return false;
}

int dp_eal_args_build(const struct ctl_config *cfg, int user_argc, char *const *user_argv, int pid,
                      const int *cpus, int n_cpus, struct dp_eal_args *out)
{
	struct given g = {.n = 2,
	                  .args = {cfg->eal_args, user_argv},
	                  .counts = {(int)cfg->n_eal_args, user_argc}};
	char buf[4096];
	int rc = 0;
	bool all_vdev = true;

	memset(out, 0, sizeof(*out));
#define PUSH(s)                                                                                    \
	do {                                                                                       \
		if ((rc = push(out, (s))) != 0)                                                    \
			goto err;                                                                  \
	} while (0)

	PUSH("sipsteer");
	/* First, so that an operator's --log-level overrides it. */
	PUSH("--log-level=lib.eal:notice");
	if (!given(&g, "--file-prefix")) {
		snprintf(buf, sizeof(buf), "--file-prefix=sipsteer-%d", pid);
		PUSH(buf);
	}
	/* The EAL refuses --no-huge beside an option that only hugepages have. */
	if (!given(&g, "--huge") && !given(&g, "--no-huge") && !given(&g, "--socket-mem") &&
	    !given(&g, "--socket-limit") && !given(&g, "--huge-dir"))
		PUSH("--no-huge");
	if (!given(&g, "--huge") && !given(&g, "-m") && !given(&g, "--socket-mem")) {
		PUSH("-m");
		PUSH(DP_EAL_MEMORY_MB);
	}
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		const char *dev = cfg->ports[i].device;
		if (ctl_device_is_pci(dev)) {
			all_vdev = false;
			PUSH("-a");
		} else {
			PUSH("--vdev");
		}
		PUSH(dev);
	}
	if (all_vdev && !given(&g, "-a") && !given(&g, "--allow") && !given(&g, "--no-pci"))
		PUSH("--no-pci");
	if (!given(&g, "-l") && !given(&g, "-c") && !given(&g, "--lcores")) {
		size_t n = (size_t)snprintf(buf, sizeof(buf), "--lcores=0@%d", cpus[0]);
		for (uint32_t w = 1; w <= cfg->workers && n < sizeof(buf); w++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",%u@%d", w,
			                      cpus[w % (uint32_t)n_cpus]);
		if (n >= sizeof(buf)) {
			rc = -E2BIG;
			goto err;
		}
		PUSH(buf);
	}
	for (int k = 0; k < g.n; k++)
		for (int i = 0; i < g.counts[k]; i++)
			if (strcmp(g.args[k][i], "--huge") != 0)
				PUSH(g.args[k][i]);
#undef PUSH
	return 0;
err:
	dp_eal_args_free(out);
	return rc;
}

void dp_eal_args_free(struct dp_eal_args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	memset(a, 0, sizeof(*a));
}

void dp_eal_remove_runtime_dir(const char *dir, const char *prefix)
{
	const char *base = strrchr(dir, '/');

	if (base == NULL || strcmp(base + 1, prefix) != 0)
		return;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	rmdir(dir);
}
