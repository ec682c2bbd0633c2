/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet, ARP, IPv4, UDP and ICMP on mbufs: header checks, checksums and the headers the
 * dataplane writes. No state; safe from any thread; nothing here allocates except
 * dp_arp_request_build (from the pool it is given).
 */
#ifndef SIPSTEER_DP_NET_H
#define SIPSTEER_DP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "cksum.h"

/* Length of the headers the dataplane writes in front of a SIP message: Ethernet, IPv4, UDP. */
#define DP_UDP4_HDR_LEN                                                                            \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))

/* Default TTL of the packets the dataplane originates or forwards. */
#define DP_IPV4_TTL 64

/*
 * A 16-bit value between network and host order (either way): the compiler's byte swap, which
 * it can fold, merge and schedule, where rte_be_to_cpu_16 on a variable is an asm volatile
 * xchg that is paid again at every use.
 */
static inline uint16_t dp_be16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* A 32-bit word as it lies in memory (any alignment). */
static inline uint32_t dp_load32(const void *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Fold a sum of a few 32-bit words and 16-bit values (below 2^48) to at most 2^17: the same
 * one's complement sum, short enough to add a 16-bit sum to before dp_fold32(). */
static inline uint32_t dp_fold_part(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

/* A 32-bit sum of 16-bit values folded to the 16-bit one's complement sum. */
static inline uint16_t dp_fold32(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The length checks of dp_udp4_check; the datagram's length in *len. */
static inline bool dp_udp4_len_ok(const struct rte_udp_hdr *udp, uint32_t l4_avail, uint16_t *len)
{
	if (l4_avail < sizeof(*udp))
		return false;
	*len = dp_be16(udp->dgram_len);
	return *len >= sizeof(*udp) && *len <= l4_avail;
}

/* A checked IPv4 packet: pointers into the mbuf's first (and only) segment. */
struct dp_ipv4_pkt {
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	uint16_t ip_hdr_len; /* IHL * 4 */
	uint16_t ip_len;     /* total length */
};

/*
 * The 16-bit one's complement sum of buf[0..len) (RFC 1071), not complemented: the same value
 * rte_raw_cksum gives, a word at a time (any alignment, an odd length padded with a zero byte).
 */
uint16_t dp_raw_cksum(const void *buf, size_t len);
/* The same sum by the portable loop, whatever the CPU offers (for tests and comparison). */
uint16_t dp_raw_cksum_scalar(const void *buf, size_t len);

/*
 * Check an IPv4 header at ip with `avail` bytes behind it (version, IHL, total length within
 * avail, header checksum). Returns true when it is sound.
 */
static inline bool dp_ipv4_check(const struct rte_ipv4_hdr *ip, uint32_t avail)
{
	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return false;
	uint32_t hdr_len =
	    (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	uint32_t total = dp_be16(ip->total_length);

	if (hdr_len < sizeof(*ip) || total < hdr_len || total > avail)
		return false;
	/* A correct header sums to 0xffff, its own checksum included (RFC 791, RFC 1071). The
	 * usual header without options: its five 32-bit words in a 64-bit sum, which folds to
	 * 0xffff exactly when it is a non-zero multiple of 0xffff (one division by a constant,
	 * not four folds). */
	if (hdr_len == sizeof(*ip)) {
		const uint8_t *h = (const uint8_t *)ip;
		uint64_t sum = (uint64_t)dp_load32(h) + dp_load32(h + 4) + dp_load32(h + 8) +
		               dp_load32(h + 12) + dp_load32(h + 16);
		return sum != 0 && sum % 0xffff == 0;
	}
	return dp_sum16_small(ip, hdr_len) == 0xffff;
}

/* True when the packet is a fragment (MF set or a non-zero offset). */
static inline bool dp_ipv4_is_fragment(const struct rte_ipv4_hdr *ip)
{
	return (ip->fragment_offset & dp_be16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) !=
	       0;
}

/*
 * Check a fragment of a checked IPv4 header: it carries data, every fragment but the last
 * carries a multiple of 8 bytes, and offset plus length stays within 65535 bytes. Returns true
 * when sound.
 */
bool dp_ipv4_frag_check(const struct rte_ipv4_hdr *ip);

/*
 * Fragments an IPv4 packet of ip_len bytes with a header of hdr_len bytes needs on a link of
 * mtu bytes (IPv4 header included): 1 when it fits, 0 when the MTU leaves no room for 8 bytes of
 * data behind the header.
 */
uint32_t dp_ipv4_frag_count(uint32_t ip_len, uint32_t hdr_len, uint32_t mtu);

/*
 * Write fragment k (0-based, below dp_ipv4_frag_count) of the Ethernet frame at frame (Ethernet
 * and a sound, unfragmented IPv4 header, any alignment) to out: the Ethernet header, the IPv4
 * header with id, offset, MF, length and checksum of the fragment, then its data. Returns the
 * fragment's frame length (at most Ethernet header + mtu).
 */
uint32_t dp_ipv4_frag_write(uint8_t *out, const uint8_t *frame, uint32_t mtu, uint32_t k,
                            uint16_t id);

/*
 * Check a UDP header and its datagram: length within l4_avail bytes, checksum (0 = none, RFC 768).
 * Returns true when sound.
 */
bool dp_udp4_check(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp, uint32_t l4_avail);

/*
 * As dp_udp4_check for a received mbuf with these ol_flags: the checksum is not summed again
 * when the port reports it good (RTE_MBUF_F_RX_L4_CKSUM_GOOD). *payload_sum: dp_raw_cksum() of
 * the UDP payload when the datagram has a checksum (known either way, summed or derived from
 * the checked one), else -1; an edit keeps it up to date (struct dp_sip_buf) so that
 * dp_udp4_write_sum() need not sum the payload again.
 */
static inline bool dp_udp4_check_rx(uint64_t ol_flags, const struct rte_ipv4_hdr *ip,
                                    const struct rte_udp_hdr *udp, uint32_t l4_avail,
                                    int32_t *payload_sum)
{
	uint16_t len;

	*payload_sum = -1;
	if (!dp_udp4_len_ok(udp, l4_avail, &len))
		return false;
	if (udp->dgram_cksum == 0)
		return true; /* no checksum (RFC 768): nothing to check, no sum known */
	/* pseudo-header and UDP header, folded once */
	uint32_t head = dp_fold_part((uint64_t)dp_load32(&ip->src_addr) + dp_load32(&ip->dst_addr) +
	                             dp_be16((uint16_t)IPPROTO_UDP) + dp_be16(len) +
	                             dp_load32(udp) + dp_load32((const uint8_t *)udp + 4));
	/* The port summed it already (and a bad sum is flagged BAD, checked again below). A
	 * sound datagram sums to 0xffff, so its payload sums to the complement of the rest. */
	if ((ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
		*payload_sum = (uint16_t)~dp_fold32(head);
		return true;
	}
	uint16_t payload = dp_sum16(udp + 1, len - sizeof(*udp));
	if (dp_fold32(head + payload) != 0xffff)
		return false;
	*payload_sum = payload;
	return true;
}

/* The UDP checksum of a datagram whose length field is set, as it goes on the wire. */
uint16_t dp_udp4_cksum(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp);

/*
 * Write Ethernet, IPv4 and UDP headers in the DP_UDP4_HDR_LEN bytes at the start of m's data,
 * for a payload of payload_len bytes that follows them; set data_len and pkt_len; compute the
 * IPv4 and UDP checksums in software. Addresses in network order, ports in host order.
 */
void dp_udp4_write(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
                   const struct rte_ether_addr *dst_mac, uint32_t src_ip, uint16_t src_port,
                   uint32_t dst_ip, uint16_t dst_port, uint32_t payload_len);
/* As dp_udp4_write, with the payload's dp_raw_cksum() given (payload_sum >= 0) rather than
 * summed; -1 sums it. Inline: every forwarded message is framed by it. */
static inline void dp_udp4_write_sum(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
                                     const struct rte_ether_addr *dst_mac, uint32_t src_ip,
                                     uint16_t src_port, uint32_t dst_ip, uint16_t dst_port,
                                     uint32_t payload_len, int32_t payload_sum)
{
	/*
	 * Stored field by field straight into the frame, with byte-wise copies: after a SIP edit
	 * the frame may start at an odd address, where the DPDK header structs (2-byte aligned)
	 * must not be used. (A header built aside on the stack and copied in whole made the CPU
	 * read back 16-byte blocks of its own narrow stores, a store-forwarding stall per packet.)
	 */
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = frame + sizeof(struct rte_ether_hdr);
	uint8_t *udp = ip + sizeof(struct rte_ipv4_hdr);
	uint16_t ether_type = dp_be16(RTE_ETHER_TYPE_IPV4);
	uint16_t ip_len = dp_be16(
	    (uint16_t)(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + payload_len));
	uint16_t udp_len = dp_be16((uint16_t)(sizeof(struct rte_udp_hdr) + payload_len));
	uint16_t sport = dp_be16(src_port), dport = dp_be16(dst_port);
	/* The constant 16-bit words of the IPv4 header, in memory order: version_ihl and
	 * type_of_service; packet_id (0); fragment_offset (DF); time_to_live and next_proto_id. */
	const uint8_t w0b[2] = {RTE_IPV4_VHL_DEF, 0}, w4b[2] = {DP_IPV4_TTL, IPPROTO_UDP};
	uint16_t w0, w4, w3 = dp_be16(RTE_IPV4_HDR_DF_FLAG), zero = 0;

	RTE_BUILD_BUG_ON(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
	                     sizeof(struct rte_udp_hdr) !=
	                 DP_UDP4_HDR_LEN);
	memcpy(&w0, w0b, sizeof(w0));
	memcpy(&w4, w4b, sizeof(w4));

	/*
	 * Both sums from the values rather than from the bytes written: the 16-bit words of the
	 * header in memory order (what dp_sum16_small would read back), the addresses summed once
	 * for the IPv4 header and the UDP pseudo-header.
	 */
	uint32_t addrs = (src_ip & 0xffff) + (src_ip >> 16) + (dst_ip & 0xffff) + (dst_ip >> 16);
	uint32_t ip_sum = addrs + w0 + ip_len + w3 + w4; /* packet_id and checksum are 0 */
	uint16_t ip_cksum = (uint16_t)~dp_fold32(ip_sum);

	/* dp_raw_cksum reads the payload with unaligned loads: any start address is fine. */
	uint32_t sum =
	    addrs + dp_be16((uint16_t)IPPROTO_UDP) + udp_len + /* pseudo */
	    sport + dport + udp_len +                          /* UDP header */
	    (payload_sum >= 0 ? (uint32_t)payload_sum
	                      : dp_raw_cksum(udp + sizeof(struct rte_udp_hdr), payload_len));
	uint16_t cksum = (uint16_t)~dp_fold32(sum);
	/* RFC 768: a computed zero is sent as all ones (zero means "no checksum"). */
	cksum = cksum == 0 ? 0xffff : cksum;

	memcpy(frame, dst_mac, RTE_ETHER_ADDR_LEN);
	memcpy(frame + RTE_ETHER_ADDR_LEN, src_mac, RTE_ETHER_ADDR_LEN);
	memcpy(frame + 2 * RTE_ETHER_ADDR_LEN, &ether_type, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, version_ihl), &w0, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, total_length), &ip_len, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, packet_id), &zero, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, fragment_offset), &w3, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, time_to_live), &w4, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, hdr_checksum), &ip_cksum, 2);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, src_addr), &src_ip, 4);
	memcpy(ip + offsetof(struct rte_ipv4_hdr, dst_addr), &dst_ip, 4);
	memcpy(udp + offsetof(struct rte_udp_hdr, src_port), &sport, 2);
	memcpy(udp + offsetof(struct rte_udp_hdr, dst_port), &dport, 2);
	memcpy(udp + offsetof(struct rte_udp_hdr, dgram_len), &udp_len, 2);
	memcpy(udp + offsetof(struct rte_udp_hdr, dgram_cksum), &cksum, 2);
	m->data_len = (uint16_t)(DP_UDP4_HDR_LEN + payload_len);
	m->pkt_len = m->data_len;
	m->l2_len = sizeof(struct rte_ether_hdr);
	m->l3_len = sizeof(struct rte_ipv4_hdr);
}

/*
 * Turn an ICMP echo request (checked IPv4 packet, ip_len bytes) into its echo reply in place:
 * swap addresses, type 0, fresh checksums. Returns false when the ICMP message is malformed or
 * its checksum is wrong (m unchanged).
 */
bool dp_icmp_echo_reply(struct dp_ipv4_pkt *p, const struct rte_ether_addr *our_mac);

/* True when the ICMP message in p is an echo request. p must hold at least the ICMP header. */
static inline bool dp_icmp_is_echo_request(const struct dp_ipv4_pkt *p)
{
	const struct rte_icmp_hdr *icmp =
	    (const struct rte_icmp_hdr *)((const uint8_t *)p->ip + p->ip_hdr_len);
	return p->ip_len >= p->ip_hdr_len + sizeof(*icmp) &&
	       icmp->icmp_type == RTE_IP_ICMP_ECHO_REQUEST && icmp->icmp_code == 0;
}

/*
 * Check an ARP packet of `avail` bytes: Ethernet hardware, IPv4 protocol, lengths 6/4, opcode
 * request or reply. Returns true when sound.
 */
bool dp_arp_check(const struct rte_arp_hdr *arp, uint32_t avail);

/* Turn an ARP request for ip (network order) into our reply in place (mbuf m, frame eth). */
void dp_arp_make_reply(struct rte_mbuf *m, struct rte_ether_hdr *eth,
                       const struct rte_ether_addr *our_mac, uint32_t ip);

/*
 * Build a broadcast ARP request asking who has target (network order), from our mac and ip.
 * Returns the mbuf (caller sends or frees it), or NULL when the pool is empty.
 */
struct rte_mbuf *dp_arp_request_build(struct rte_mempool *pool,
                                      const struct rte_ether_addr *our_mac, uint32_t our_ip,
                                      uint32_t target);

/* Format an IPv4 address (network order) into out (at least 16 bytes); returns out. */
char *dp_ipv4_format(uint32_t ip, char *out);

#endif
