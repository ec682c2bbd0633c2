/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 on mbufs: header checks, the ICMPv6 checksum over the pseudo-header (RFC 8200 8.1), and
 * the two ICMPv6 messages the dataplane answers for the IPv6 VIP: Neighbor Solicitation (with a
 * Neighbor Advertisement, RFC 4861 7.2.4) and echo request (RFC 4443 4.2). No state; safe from
 * any thread; nothing here allocates.
 */
#ifndef SIPSTEER_DP_IP6_H
#define SIPSTEER_DP_IP6_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#define DP_ICMP6_ECHO_REQUEST 128
#define DP_ICMP6_ECHO_REPLY   129
#define DP_ND_NS              135
#define DP_ND_NA              136
#define DP_ND_OPT_SRC_LLADDR  1
#define DP_ND_OPT_TGT_LLADDR  2
#define DP_ND_HOP_LIMIT       255 /* ND messages from anywhere else are forged (RFC 4861 7.1.1) */
#define DP_IPV6_HOP_LIMIT     64

/* A checked IPv6 packet: pointers into the mbuf's only segment (2-byte aligned frame). */
struct dp_ipv6_pkt {
	struct rte_ether_hdr *eth;
	struct rte_ipv6_hdr *ip;
	uint8_t *l4;     /* right behind the fixed header */
	uint32_t l4_len; /* payload length */
};

/* Check an IPv6 header with `avail` bytes behind it: version 6, payload within avail. */
bool dp_ipv6_check(const struct rte_ipv6_hdr *ip, uint32_t avail);

/* The solicited-node multicast group of addr (ff02::1:ffXX:XXXX, RFC 4291 2.7.1). */
void dp_ipv6_solicited_node(const uint8_t addr[16], uint8_t group[16]);

/* The Ethernet address of an IPv6 multicast group (33:33 + its last 32 bits, RFC 2464 7). */
void dp_ipv6_mcast_mac(const uint8_t group[16], struct rte_ether_addr *mac);

/*
 * The one's complement sum of an upper-layer message of len bytes at l4 with the IPv6
 * pseudo-header of ip and next header proto, folded to 16 bits: 0xffff when the checksum in the
 * message is right. Any alignment of l4.
 */
uint16_t dp_ipv6_l4_sum(const struct rte_ipv6_hdr *ip, uint8_t proto, const void *l4, uint32_t len);

/*
 * The target of a sound Neighbor Solicitation in p (ICMPv6, hop limit 255, code 0, 24 bytes or
 * more, right checksum, options of non-zero length): copied to target, with the sender's
 * link-layer address option (if any) to sender_mac. Returns true when sound.
 */
bool dp_nd_ns_parse(const struct dp_ipv6_pkt *p, uint8_t target[16], bool *has_sender_mac,
                    struct rte_ether_addr *sender_mac);

/*
 * Turn the Neighbor Solicitation in m (checked, p) into our Neighbor Advertisement for target
 * in place: solicited and override flags, our MAC as target link-layer address, to the
 * solicitation's source (all-nodes when that is unspecified), hop limit 255, fresh checksum.
 */
void dp_nd_make_na(struct rte_mbuf *m, struct dp_ipv6_pkt *p, const struct rte_ether_addr *our_mac,
                   const uint8_t target[16]);

/*
 * Turn an ICMPv6 echo request (checked, p) into its echo reply in place. Returns false when the
 * message is not a sound echo request (too short, code not 0, wrong checksum): m unchanged.
 */
bool dp_icmp6_echo_reply(struct dp_ipv6_pkt *p, const struct rte_ether_addr *our_mac);

#endif
