/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Large messages on a worker: IP fragment reassembly (librte_ip_frag), linearizing a chain or a
 * multi-segment frame into one large mbuf for the parser, and fragmenting on the way out what
 * exceeds the port's MTU.
 *
 * Each worker thread keeps its own state (reassembly table, death row, a small pool of large
 * mbufs): created by dp_frag_init on the worker's thread, freed by dp_frag_fini on the same
 * thread. Large mbufs never leave the worker: what goes to a port is always a single-segment
 * mbuf of the daemon's pool (ctx->pool), so transmit offloads that need one pool still hold.
 */
#ifndef SIPSTEER_DP_FRAG_H
#define SIPSTEER_DP_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dp.h"

#define DP_FRAG_FLOWS          256  /* datagrams in reassembly at once, per worker */
#define DP_FRAG_BUCKET_ENTRIES 4    /* reassembly table associativity */
#define DP_FRAG_TIMEOUT_MS     2000 /* a datagram not complete by then is given up */
/* Data room of a large mbuf: the largest message the parser sees in one piece. */
#define DP_BIG_DATA  9216
#define DP_BIG_MBUFS 63 /* large mbufs per worker: each lives only while a packet is handled */
/* Fragments held at most per worker (reassembly may keep that many of the daemon's mbufs). */
#define DP_FRAG_HELD (DP_FRAG_FLOWS * RTE_LIBRTE_IP_FRAG_MAX_FRAG)

/*
 * Create this thread's state for worker w (idempotent). Returns 0, or -ENOMEM (logged once):
 * then fragments and large frames are dropped, everything else works.
 */
int dp_frag_init(const struct dp_worker *w);

/* Free this thread's state (fragments still held go back to their pool). */
void dp_frag_fini(void);

/* Once per loop turn: give up datagrams past the timeout (counted frag_timeout). */
void dp_frag_tick(struct dp_worker *w);

/*
 * An IPv4 fragment for us (checked header ip, ip_len bytes, padding trimmed) in m. Returns the
 * whole datagram, linearized in one large mbuf with a valid header checksum, once its last
 * fragment is in; NULL when m is held or dropped (counted). Consumes m either way.
 */
struct rte_mbuf *dp_frag_ipv4(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

/*
 * An IPv6 fragment for us in m: ip is its checked fixed header, followed by a Fragment header
 * (padding trimmed). Returns the whole datagram once its last fragment is in, linearized in one
 * large mbuf, the Fragment header removed (next header and payload length rewritten); an atomic
 * fragment (offset 0, no M flag) comes back at once in m, its Fragment header removed. NULL when
 * m is held or dropped (counted frag_bad, frag_failed, frag_too_big, no_mbuf). Consumes m.
 */
struct rte_mbuf *dp_frag_ipv6(struct dp_worker *w, struct rte_mbuf *m, struct rte_ipv6_hdr *ip);

/*
 * Copy a multi-segment frame into one large mbuf. Returns it, or NULL when m is larger than a
 * large mbuf (counted multi_seg) or none is free (no_mbuf). Consumes m either way.
 */
struct rte_mbuf *dp_frag_linearize(struct dp_worker *w, struct rte_mbuf *m);

/*
 * Transmit path for a frame larger than a standard Ethernet frame or held in a large mbuf: sent
 * as it is when it fits the port's MTU and is an ordinary mbuf, else copied into ordinary mbufs,
 * fragmented when its IP packet exceeds the MTU (IPv4 fragments, or IPv6 fragments with a
 * Fragment header). Consumes m.
 */
void dp_tx_large(struct dp_worker *w, uint16_t port, struct rte_mbuf *m);

#endif
