/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' guard against a net_memif peer that goes away: see unmap_guard.c. A program
 * that calls dp_unmap_guard_arm() links the guard in, and must export munmap from its
 * executable (the daemon links with -Wl,--export-dynamic-symbol=munmap).
 */
#ifndef SIPSTEER_UNMAP_GUARD_H
#define SIPSTEER_UNMAP_GUARD_H

#include <stdbool.h>

/* Arm the guard once the workers run, disarm it once they have stopped. */
void dp_unmap_guard_arm(bool on);

#endif
