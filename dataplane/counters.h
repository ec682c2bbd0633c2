/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-lcore dataplane counters: every packet a worker receives ends up either sent (forwarded,
 * relayed, answered), handed to the control thread (health probe replies: probe_replies) or dropped
 * for one named reason of enum dp_drop.
 *
 * Each worker owns one struct dp_counters and is its only writer; the control thread reads it
 * (stats file) without a lock. Writes and reads are relaxed atomics of naturally aligned 64-bit
 * words: a reader sees every counter as some value it really had, never a torn one.
 */
#ifndef SIPSTEER_DP_COUNTERS_H
#define SIPSTEER_DP_COUNTERS_H

#include <stdint.h>

#include "lb.h"
#include "sip.h"
#include "sip_proxy.h"

/*
 * Drop reasons of the dataplane itself. X(name, text). The SIP parser's errors (enum sip_err)
 * and the proxy's (enum dp_sip_err) follow them in enum dp_drop, one reason each.
 */
#define DP_DROPS(X)                                                                                \
	X(NOT_IPV4, "neither IPv4, IPv6 nor ARP (LLDP, ...)")                                      \
	X(BAD_ETHER, "frame shorter than an Ethernet header")                                      \
	X(BAD_ARP, "malformed ARP packet or not Ethernet/IPv4 ARP")                                \
	X(ARP_NOT_FOR_US, "ARP request for an address other than the VIP")                         \
	X(BAD_IP, "malformed IPv4 header or wrong header checksum")                                \
	X(FRAG_BAD, "malformed fragment (empty, not a multiple of 8 bytes, beyond 64 KiB)")        \
	X(FRAG_FAILED, "fragment given up: reassembly table full, overlap or too many fragments")  \
	X(FRAG_TIMEOUT, "fragment of a datagram not completed within the reassembly timeout")      \
	X(FRAG_TOO_BIG, "reassembled datagram larger than a large buffer")                         \
	X(NOT_FOR_US, "IPv4 destination is not the VIP")                                           \
	X(PROTO_OTHER, "IPv4 protocol other than UDP and ICMP")                                    \
	X(BAD_ICMP, "malformed ICMP message or wrong checksum; a Neighbor Solicitation RFC 4861 "  \
	            "7.1.1 calls invalid")                                                         \
	X(ICMP_OTHER, "ICMP message other than an echo request")                                   \
	X(BAD_UDP, "malformed UDP header or wrong UDP checksum")                                   \
	X(UDP_PORT, "UDP to a port that is not a SIP port")                                        \
	X(MULTI_SEG, "frame in several mbuf segments and larger than a large buffer (jumbo)")      \
	X(NO_BACKEND_FAMILY, "backend address of a family without a VIP (listen.ipv4/ipv6)")       \
	X(NO_BACKEND, "ACK while no backend takes it (an ACK gets no 503)")                        \
	X(NO_ROUTE, "next hop outside the VIP prefix and no gateway4")                             \
	X(NEIGH_MISS, "next hop MAC not resolved yet (resolution requested)")                      \
	X(NO_MBUF, "mbuf pool empty: stateless reply, fragment or large copy not made")            \
	X(NO_VIP6, "IPv6 packet while listen.ipv6 is not configured")                              \
	X(BAD_IP6, "malformed IPv6 header")                                                        \
	X(NOT_FOR_US6, "IPv6 destination is neither the VIP nor its solicited-node group")         \
	X(PROTO_OTHER6, "IPv6 next header other than UDP, ICMPv6, Fragment (extension headers)")   \
	X(ND_NOT_FOR_US, "Neighbor Solicitation for an address other than the IPv6 VIP")           \
	X(BAD_UDP6, "malformed UDP header over IPv6, zero or wrong UDP checksum")                  \
	X(NO_ROUTE6, "IPv6 next hop outside the VIP prefix and no gateway6")                       \
	X(BAD_ND, "malformed Neighbor Advertisement (hop limit, length, checksum, options)")       \
	X(TX_FULL, "transmit queue full: packet refused by the port")                              \
	X(RATE_LIMITED, "request over its source address's rate_limit (token bucket empty)")       \
	X(LINK_DOWN, "port link down (peer gone): packet buffered for it freed, not sent")

enum dp_drop {
#define DP_DROP_ENUM(name, text) DP_DROP_##name,
	DP_DROPS(DP_DROP_ENUM)
#undef DP_DROP_ENUM
	    DP_DROP_SIP_BASE, /* + enum sip_err - 1: parse errors */
	DP_DROP_PROXY_BASE = DP_DROP_SIP_BASE + SIP_ERR_COUNT - 1, /* + enum dp_sip_err - 1 */
	DP_DROP_COUNT = DP_DROP_PROXY_BASE + DP_SIP_ERR_COUNT - 1
};

/* Reason for a parse error; a value outside enum sip_err counts as a malformed start line. */
static inline enum dp_drop dp_drop_sip(enum sip_err e)
{
	if ((int)e <= 0 || e >= SIP_ERR_COUNT)
		e = SIP_ERR_START_LINE;
	return (enum dp_drop)(DP_DROP_SIP_BASE + (int)e - 1);
}

/* Reason for a proxy error; a value outside enum dp_sip_err counts as no_room. */
static inline enum dp_drop dp_drop_proxy(enum dp_sip_err e)
{
	if ((int)e <= 0 || e >= DP_SIP_ERR_COUNT)
		e = DP_SIP_ERR_NO_ROOM;
	return (enum dp_drop)(DP_DROP_PROXY_BASE + (int)e - 1);
}

/*
 * Stable identifier of a reason for counters and JSON: "neigh_miss", "sip_no_call_id",
 * "proxy_not_our_via". Thread-safe after dp_drop_names_init().
 */
const char *dp_drop_name(enum dp_drop d);
/* One-line description. */
const char *dp_drop_text(enum dp_drop d);
/* Fill the name table (lowercases the X-macro names). Call once at startup, before workers. */
void dp_drop_names_init(void);

/* Status codes of the stateless replies the dataplane sends, counted one each. */
#define DP_REPLY_CODES(X) X(400) X(420) X(483) X(501) X(503) X(505)

enum dp_reply {
#define DP_REPLY_ENUM(code) DP_REPLY_##code,
	DP_REPLY_CODES(DP_REPLY_ENUM)
#undef DP_REPLY_ENUM
	    DP_REPLY_OTHER,
	DP_REPLY_COUNT
};

/* Counter slot of a status code; DP_REPLY_OTHER for codes not listed. */
enum dp_reply dp_reply_slot(int code);
/* Status code of a slot as text ("400"), "other" for DP_REPLY_OTHER. */
const char *dp_reply_name(enum dp_reply r);

/* One worker's counters. Cache-aligned so no two workers share a line. */
struct dp_counters {
	uint64_t rx;                        // dp: rw, ctl: ro
	uint64_t tx;                        // dp: rw, ctl: ro
	uint64_t forwarded;                 // dp: rw, ctl: ro; requests sent to a backend
	uint64_t relayed;                   // dp: rw, ctl: ro; responses sent to the next Via
	uint64_t arp_replied;               // dp: rw, ctl: ro
	uint64_t icmp_replied;              // dp: rw, ctl: ro
	uint64_t notices_lost;              // dp: rw, ctl: ro; learn ring full
	uint64_t probe_replies;             // dp: rw, ctl: ro; handed to the control thread
	uint64_t replied[DP_REPLY_COUNT];   // dp: rw, ctl: ro
	uint64_t drops[DP_DROP_COUNT];      // dp: rw, ctl: ro
	uint64_t requests[LB_MAX_BACKENDS]; // dp: rw, ctl: ro; requests forwarded per backend id
} __attribute__((aligned(64)));

/* Add n to a counter: only the owning worker calls this. */
#define DP_COUNT_ADD(field, n)                                                                     \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n),              \
	                 __ATOMIC_RELAXED)
#define DP_COUNT(field) DP_COUNT_ADD(field, 1)
/* Read a counter from any thread. */
#define DP_READ(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif
