/* SPDX-License-Identifier: BSD-3-Clause */
/* Building struct dp_ctx from a configuration: addresses, SIP proxy settings, workers. */
#ifndef SIPSTEER_DP_CTX_H
#define SIPSTEER_DP_CTX_H

#include "dp.h"

/*
 * Zero ctx and fill it from cfg (kept by pointer: it must outlive ctx): VIP, prefix, gateway,
 * SIP ports, burst, idle sleep, worker count, and the first SIP policy published in ctx->policy
 * (a random secret, with a warning, when the config has none; the control thread replaces the
 * policy on reloads). Startup, before any worker runs. Returns 0, or -ENOMEM (logged; the
 * workers then drop every SIP message as not for us).
 */
int dp_ctx_init(struct dp_ctx *ctx, const struct ctl_config *cfg);

/*
 * Allocate ctx->n_workers workers on the EAL's worker lcores (in order), each with its notice
 * ring; worker i uses queue i on every port. Needs the EAL. Returns 0 or -errno (logged).
 */
int dp_workers_init(struct dp_ctx *ctx);

/* Free the workers and their rings (after they stopped). */
void dp_workers_free(struct dp_ctx *ctx);

#endif
