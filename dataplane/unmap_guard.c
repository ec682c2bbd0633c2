/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A net_memif peer that goes away, and the workers inside a burst (DPDK 22.11). The driver
 * handles the disconnect in EAL's interrupt thread: it clears the port's connected flag, then
 * unmaps the shared memory regions at once, while a worker may still be inside
 * rte_eth_rx_burst() or rte_eth_tx_burst() on them, and dies there with SIGSEGV.
 *
 * This file defines munmap() for the whole process (the daemon's executable exports it, so the
 * driver, a plugin, binds its call here). From the interrupt thread, once armed, it first waits
 * for an RCU grace period: the workers announce a quiescent state after every turn of their
 * loop, outside any burst, so when synchronize_rcu() returns every burst begun before the flag
 * was cleared has ended, and a later one reads the cleared flag (the grace period orders it)
 * and returns at once, touching nothing. Any other thread, or a call before arming or after
 * disarming, goes straight to the system call. Not on the hot path: a disconnect unmaps a few
 * regions; the grace period lasts about one turn of the slowest worker (a sleeping worker is
 * offline and not waited for).
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_interrupts.h>
#include <urcu-qsbr.h>

#include "unmap_guard.h"

static bool armed;

void dp_unmap_guard_arm(bool on)
{
	__atomic_store_n(&armed, on, __ATOMIC_RELEASE);
}

int munmap(void *addr, size_t len)
{
	if (__atomic_load_n(&armed, __ATOMIC_ACQUIRE) && rte_thread_is_intr())
		synchronize_rcu();
	return (int)syscall(SYS_munmap, addr, len);
}
