/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK port of sipsteer-bench load (--dpdk): the tool owns the other end of a balancer's
 * port (a net_memif client, a net_ring, a NIC) and plays the whole link behind it: it answers
 * ARP requests for its own addresses (the client's and the backends'), resolves the target by
 * ARP, learns the MAC of whoever sends it datagrams, and turns SIP messages into
 * Ethernet/IPv4/UDP frames and back (load_frame.h).
 *
 * One port, one TX queue, rx_queues RX queues polled in turn; one EAL per process. Every
 * function must be called from the thread that called load_dpdk_open() (the EAL main lcore).
 */
#ifndef SIPSTEER_LOAD_DPDK_H
#define SIPSTEER_LOAD_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define LOAD_DPDK_MAX_LOCAL 17 /* the client and 16 backends */

struct load_dpdk;

struct load_dpdk_options {
	const char *device; /* "net_memif0,role=client,socket=/run/x.sock", or a PCI address */
	unsigned rx_queues; /* the peer's TX queues (sipsteer: workers + 1) */
	int eal_argc;       /* the operator's EAL arguments, after the built ones */
	char *const *eal_argv;
	uint32_t local_ips[LOAD_DPDK_MAX_LOCAL]; /* network order: addresses we answer ARP for */
	unsigned n_local;
};

/* What the link did; datagrams are SIP messages, frames include ARP. */
struct load_dpdk_stats {
	uint64_t rx_frames, tx_frames;
	uint64_t rx_datagrams, tx_datagrams;
	uint64_t arp_replied;   /* ARP replies sent for our addresses */
	uint64_t arp_requested; /* ARP requests sent: for the target, gratuitous for ours */
	uint64_t ignored;       /* neither IPv4 nor ARP; ARP or UDP for another address */
	uint64_t bad;           /* malformed, IP fragment, not UDP, bad checksum, multi-segment */
	uint64_t no_neigh;      /* datagrams not sent: no MAC known for their destination */
	uint64_t too_big;       /* datagrams not sent: longer than one 1500-byte IP packet */
	uint64_t tx_dropped;    /* frames the port did not take (its ring full) or no mbuf */
};

/* A datagram received for one of our addresses; data points into a held mbuf. */
struct load_dgram {
	struct sockaddr_in src, dst;
	const char *data;
	size_t len;
};

/*
 * Start the EAL (arguments built from o, then the operator's), the mbuf pool and the port, and
 * wait up to 10 s for its link (a memif client: until the server accepts it), then announce
 * each local address by gratuitous ARP. Returns 0, or -1
 * with the cause on stderr. *out is owned by the caller until load_dpdk_close().
 */
int load_dpdk_open(const struct load_dpdk_options *o, struct load_dpdk **out);

/*
 * Ask for ip's MAC by ARP (from our first address) every 200 ms until a reply or any frame
 * from ip gives it, for at most timeout_ms; answers ARP for us meanwhile. 0 or -1.
 */
int load_dpdk_resolve(struct load_dpdk *d, uint32_t ip, unsigned timeout_ms);

/*
 * Poll the RX queues once each: ARP is handled, senders are learned, up to max datagrams for
 * our addresses go to out. Their data stays valid until the next call or load_dpdk_close().
 * Returns the number of datagrams.
 */
unsigned load_dpdk_rx(struct load_dpdk *d, struct load_dgram *out, unsigned max);

/*
 * Queue the datagram src -> dst (payload of len bytes) as a frame; the queue goes out when full
 * or at load_dpdk_flush(). False (and counted) when the destination's MAC is unknown, the
 * datagram does not fit one frame, or no mbuf is free.
 */
bool load_dpdk_send(struct load_dpdk *d, const struct sockaddr_in *src,
                    const struct sockaddr_in *dst, const char *payload, size_t len);

/* Hand the queued frames to the port, retrying for up to 1 ms while its ring is full. */
void load_dpdk_flush(struct load_dpdk *d);

/* The counters so far. */
const struct load_dpdk_stats *load_dpdk_stats(const struct load_dpdk *d);

/* The port's MAC as "xx:xx:xx:xx:xx:xx" (18 bytes with the NUL). */
void load_dpdk_mac(const struct load_dpdk *d, char out[18]);

/* Stop and close the port, release the EAL and its runtime files; d is freed. */
void load_dpdk_close(struct load_dpdk *d);

#endif
