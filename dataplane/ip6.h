/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv6 on mbufs: header checks, the ICMPv6 and UDP checksums over the pseudo-header (RFC 8200
 * 8.1), the ICMPv6 messages the dataplane answers for the IPv6 VIP (Neighbor Solicitation with a
 * Neighbor Advertisement, RFC 4861 7.2.4; echo request, RFC 4443 4.2), the Neighbor Advertisements
 * it learns from and the solicitations it sends, the UDP headers it writes in front of a SIP
 * message, and the Fragment header (RFC 8200 4.5) of what it reassembles and fragments. No state;
 * safe from any thread; nothing here allocates except dp_nd_ns_build (from the pool it is given).
 */
#ifndef SIPSTEER_DP_IP6_H
#define SIPSTEER_DP_IP6_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define DP_ICMP6_ECHO_REQUEST 128
#define DP_ICMP6_ECHO_REPLY   129
#define DP_ND_NS              135
#define DP_ND_NA              136
#define DP_ND_OPT_SRC_LLADDR  1
#define DP_ND_OPT_TGT_LLADDR  2
#define DP_ND_HOP_LIMIT       255 /* ND messages from anywhere else are forged (RFC 4861 7.1.1) */
#define DP_IPV6_HOP_LIMIT     64
#define DP_IPV6_MIN_MTU       1280 /* RFC 8200 5: every link carries this much */

/* Length of the headers the dataplane writes in front of a SIP message: Ethernet, IPv6, UDP. */
#define DP_UDP6_HDR_LEN                                                                            \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr))

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

/*
 * The target of a sound Neighbor Advertisement in p (ICMPv6, hop limit 255, code 0, 24 bytes or
 * more, right checksum, options of non-zero length) to target, and its target link-layer address
 * option (if any) to target_mac. Returns true when sound.
 */
bool dp_nd_na_parse(const struct dp_ipv6_pkt *p, uint8_t target[16], bool *has_target_mac,
                    struct rte_ether_addr *target_mac);

/* Length of the Neighbor Solicitation frame the dataplane sends (with one option). */
#define DP_ND_NS_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv6_hdr) + 24 + 8)

/*
 * Write a Neighbor Solicitation for target from our mac and our_ip to frame (DP_ND_NS_LEN bytes,
 * any alignment): to target's solicited-node group and its multicast MAC, hop limit 255, our
 * source link-layer address option (RFC 4861 7.2.2), checksum. Returns DP_ND_NS_LEN.
 */
uint32_t dp_nd_ns_write(uint8_t *frame, const struct rte_ether_addr *our_mac,
                        const uint8_t our_ip[16], const uint8_t target[16]);

/*
 * The same frame (dp_nd_ns_write) in a new mbuf of pool. Returns the mbuf (caller sends or
 * frees it), or NULL when the pool is empty.
 */
struct rte_mbuf *dp_nd_ns_build(struct rte_mempool *pool, const struct rte_ether_addr *our_mac,
                                const uint8_t our_ip[16], const uint8_t target[16]);

/* Length of the unsolicited Neighbor Advertisement frame (with one option): as a solicitation. */
#define DP_ND_UNA_LEN DP_ND_NS_LEN

/*
 * Write an unsolicited Neighbor Advertisement for our_ip to frame (DP_ND_UNA_LEN bytes, any
 * alignment): from our_ip to all-nodes (ff02::1, 33:33:00:00:00:01), hop limit 255, override flag
 * (not solicited, not router), our target link-layer address option, checksum (RFC 4861 7.2.6:
 * neighbours that hold another MAC for our_ip take ours at once). Returns DP_ND_UNA_LEN.
 */
uint32_t dp_nd_una_write(uint8_t *frame, const struct rte_ether_addr *our_mac,
                         const uint8_t our_ip[16]);

/* The same frame (dp_nd_una_write) in a new mbuf of pool, or NULL when the pool is empty. */
struct rte_mbuf *dp_nd_una_build(struct rte_mempool *pool, const struct rte_ether_addr *our_mac,
                                 const uint8_t our_ip[16]);

/*
 * Check a UDP header and its datagram over IPv6: length at least 8 and within l4_avail bytes,
 * a checksum that is present (zero is invalid over IPv6, RFC 8200 8.1) and right. Any alignment
 * of udp. Returns true when sound.
 */
bool dp_udp6_check(const struct rte_ipv6_hdr *ip, const struct rte_udp_hdr *udp, uint32_t l4_avail);

/*
 * Write Ethernet, IPv6 and UDP headers in the DP_UDP6_HDR_LEN bytes at the start of m's data
 * (any alignment), for a payload of payload_len bytes that follows them; set data_len and
 * pkt_len; compute the UDP checksum over the IPv6 pseudo-header. Ports in host order.
 */
void dp_udp6_write(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
                   const struct rte_ether_addr *dst_mac, const uint8_t src_ip[16],
                   uint16_t src_port, const uint8_t dst_ip[16], uint16_t dst_port,
                   uint32_t payload_len);

/* Fragment header fields (host order): offset in bytes, more-fragments flag. */
static inline uint32_t dp_ipv6_frag_offset(const struct rte_ipv6_fragment_ext *f)
{
	return (uint32_t)(rte_be_to_cpu_16(f->frag_data) & ~7u);
}

static inline bool dp_ipv6_frag_more(const struct rte_ipv6_fragment_ext *f)
{
	return (rte_be_to_cpu_16(f->frag_data) & 1u) != 0;
}

/*
 * Check the fragment behind a Fragment header that carries data_len bytes of fragment data: it
 * carries data, every fragment but the last a multiple of 8 bytes, and offset plus length stays
 * within 65535 bytes (RFC 8200 4.5). Returns true when sound.
 */
bool dp_ipv6_frag_check(const struct rte_ipv6_fragment_ext *f, uint32_t data_len);

/*
 * Fragments an IPv6 packet with payload_len bytes behind its fixed header (no extension header)
 * needs on a link of mtu bytes (IPv6 header included): 1 when it fits, 0 when the MTU leaves no
 * room for 8 bytes of data behind the fixed and Fragment headers.
 */
uint32_t dp_ipv6_frag_count(uint32_t payload_len, uint32_t mtu);

/*
 * Write fragment k (0-based, below dp_ipv6_frag_count) of the Ethernet frame at frame (Ethernet
 * and an IPv6 header without extension headers, any alignment) to out: the Ethernet header, the
 * IPv6 header with next header 44 and the fragment's payload length, the Fragment header (the
 * original next header, offset, M flag, id), then its data. Returns the fragment's frame length
 * (at most Ethernet header + mtu).
 */
uint32_t dp_ipv6_frag_write(uint8_t *out, const uint8_t *frame, uint32_t mtu, uint32_t k,
                            uint32_t id);

#endif
