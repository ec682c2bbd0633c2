/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv6 header checks, ICMPv6 checksums, Neighbor Discovery answers and echo replies. */
#include <string.h>

#include "ip6.h"

/* ICMPv6 header plus the 4 bytes behind it (reserved or flags; identifier and sequence). */
struct icmp6_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t cksum;
	uint8_t word[4];
} __attribute__((packed));

/* A Neighbor Solicitation or Advertisement up to its target. */
struct nd_msg {
	struct icmp6_hdr h;
	uint8_t target[16];
} __attribute__((packed));

#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE  0x20

static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};

bool dp_ipv6_check(const struct rte_ipv6_hdr *ip, uint32_t avail)
{
	if (avail < sizeof(*ip) || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6)
		return false;
	return rte_be_to_cpu_16(ip->payload_len) <= avail - sizeof(*ip);
}

void dp_ipv6_solicited_node(const uint8_t addr[16], uint8_t group[16])
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};

	memcpy(group, prefix, sizeof(prefix));
	memcpy(group + 13, addr + 13, 3);
}

void dp_ipv6_mcast_mac(const uint8_t group[16], struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], group + 12, 4);
}

static uint16_t fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t dp_ipv6_l4_sum(const struct rte_ipv6_hdr *ip, uint8_t proto, const void *l4, uint32_t len)
{
	uint32_t sum = rte_raw_cksum(ip->src_addr, sizeof(ip->src_addr)) +
	               rte_raw_cksum(ip->dst_addr, sizeof(ip->dst_addr));
	uint32_t len_be = rte_cpu_to_be_32(len);
	uint32_t proto_be = rte_cpu_to_be_32(proto);

	sum += rte_raw_cksum(&len_be, sizeof(len_be)) + rte_raw_cksum(&proto_be, sizeof(proto_be));
	sum += rte_raw_cksum(l4, len);
	return fold(sum);
}

bool dp_nd_ns_parse(const struct dp_ipv6_pkt *p, uint8_t target[16], bool *has_sender_mac,
                    struct rte_ether_addr *sender_mac)
{
	const struct nd_msg *ns = (const struct nd_msg *)p->l4;

	*has_sender_mac = false;
	if (p->l4_len < sizeof(*ns) || ns->h.type != DP_ND_NS || ns->h.code != 0 ||
	    p->ip->hop_limits != DP_ND_HOP_LIMIT ||
	    dp_ipv6_l4_sum(p->ip, IPPROTO_ICMPV6, p->l4, p->l4_len) != 0xffff)
		return false;
	/* Options: type, length in units of 8 bytes (0 is invalid, RFC 4861 4.6). */
	for (uint32_t off = sizeof(*ns); off < p->l4_len;) {
		const uint8_t *opt = p->l4 + off;
		if (p->l4_len - off < 2 || opt[1] == 0 || p->l4_len - off < opt[1] * 8u)
			return false;
		if (opt[0] == DP_ND_OPT_SRC_LLADDR && opt[1] == 1) {
			memcpy(sender_mac->addr_bytes, opt + 2, RTE_ETHER_ADDR_LEN);
			*has_sender_mac = true;
		}
		off += opt[1] * 8u;
	}
	/* RFC 4861 7.1.1: the target is never multicast; a solicitation from the unspecified
	 * address (duplicate address detection) goes to a solicited-node group and carries no
	 * source link-layer address. */
	if (ns->target[0] == 0xff)
		return false;
	static const uint8_t unspecified[16];
	if (memcmp(p->ip->src_addr, unspecified, 16) == 0) {
		uint8_t group[16];
		dp_ipv6_solicited_node(ns->target, group);
		if (*has_sender_mac || memcmp(p->ip->dst_addr, group, 16) != 0)
			return false;
	}
	memcpy(target, ns->target, 16);
	return true;
}

void dp_nd_make_na(struct rte_mbuf *m, struct dp_ipv6_pkt *p, const struct rte_ether_addr *our_mac,
                   const uint8_t target[16])
{
	struct rte_ipv6_hdr *ip = p->ip;
	struct nd_msg *na = (struct nd_msg *)p->l4;
	uint8_t *opt = p->l4 + sizeof(*na);
	bool unspecified = true;

	for (int i = 0; i < 16; i++)
		unspecified = unspecified && ip->src_addr[i] == 0;
	/* To the soliciting node (all-nodes when it has no address yet, RFC 4861 7.2.4). */
	if (unspecified) {
		memcpy(ip->dst_addr, all_nodes, 16);
		dp_ipv6_mcast_mac(all_nodes, &p->eth->dst_addr);
	} else {
		memcpy(ip->dst_addr, ip->src_addr, 16);
		rte_ether_addr_copy(&p->eth->src_addr, &p->eth->dst_addr);
	}
	rte_ether_addr_copy(our_mac, &p->eth->src_addr);
	memcpy(ip->src_addr, target, 16);
	ip->hop_limits = DP_ND_HOP_LIMIT;
	ip->payload_len = rte_cpu_to_be_16(sizeof(*na) + 8);

	na->h.type = DP_ND_NA;
	na->h.code = 0;
	memset(na->h.word, 0, sizeof(na->h.word));
	na->h.word[0] = (uint8_t)((unspecified ? 0 : ND_NA_FLAG_SOLICITED) | ND_NA_FLAG_OVERRIDE);
	memcpy(na->target, target, 16);
	opt[0] = DP_ND_OPT_TGT_LLADDR;
	opt[1] = 1;
	memcpy(opt + 2, our_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	na->h.cksum = 0;
	na->h.cksum = (uint16_t)~dp_ipv6_l4_sum(ip, IPPROTO_ICMPV6, na, sizeof(*na) + 8);

	p->l4_len = sizeof(*na) + 8;
	m->data_len = (uint16_t)(sizeof(struct rte_ether_hdr) + sizeof(*ip) + p->l4_len);
	m->pkt_len = m->data_len;
}

bool dp_icmp6_echo_reply(struct dp_ipv6_pkt *p, const struct rte_ether_addr *our_mac)
{
	struct icmp6_hdr *icmp = (struct icmp6_hdr *)p->l4;
	struct rte_ipv6_hdr *ip = p->ip;
	uint8_t tmp[16];

	if (p->l4_len < sizeof(*icmp) || icmp->type != DP_ICMP6_ECHO_REQUEST || icmp->code != 0 ||
	    dp_ipv6_l4_sum(ip, IPPROTO_ICMPV6, p->l4, p->l4_len) != 0xffff)
		return false;
	rte_ether_addr_copy(&p->eth->src_addr, &p->eth->dst_addr);
	rte_ether_addr_copy(our_mac, &p->eth->src_addr);
	memcpy(tmp, ip->src_addr, 16);
	memcpy(ip->src_addr, ip->dst_addr, 16);
	memcpy(ip->dst_addr, tmp, 16);
	ip->hop_limits = DP_IPV6_HOP_LIMIT;
	icmp->type = DP_ICMP6_ECHO_REPLY;
	icmp->cksum = 0;
	icmp->cksum = (uint16_t)~dp_ipv6_l4_sum(ip, IPPROTO_ICMPV6, p->l4, p->l4_len);
	return true;
}

bool dp_nd_na_parse(const struct dp_ipv6_pkt *p, uint8_t target[16], bool *has_target_mac,
                    struct rte_ether_addr *target_mac)
{
	const struct nd_msg *na = (const struct nd_msg *)p->l4;

	*has_target_mac = false;
	if (p->l4_len < sizeof(*na) || na->h.type != DP_ND_NA || na->h.code != 0 ||
	    p->ip->hop_limits != DP_ND_HOP_LIMIT ||
	    dp_ipv6_l4_sum(p->ip, IPPROTO_ICMPV6, p->l4, p->l4_len) != 0xffff)
		return false;
	for (uint32_t off = sizeof(*na); off < p->l4_len;) {
		const uint8_t *opt = p->l4 + off;
		if (p->l4_len - off < 2 || opt[1] == 0 || p->l4_len - off < opt[1] * 8u)
			return false;
		if (opt[0] == DP_ND_OPT_TGT_LLADDR && opt[1] == 1) {
			memcpy(target_mac->addr_bytes, opt + 2, RTE_ETHER_ADDR_LEN);
			*has_target_mac = true;
		}
		off += opt[1] * 8u;
	}
	memcpy(target, na->target, 16);
	return true;
}

uint32_t dp_nd_ns_write(uint8_t *frame, const struct rte_ether_addr *our_mac,
                        const uint8_t our_ip[16], const uint8_t target[16])
{
	struct {
		struct rte_ether_hdr eth;
		struct rte_ipv6_hdr ip;
		struct nd_msg ns;
		uint8_t opt[8];
	} __attribute__((packed, aligned(2))) h;

	RTE_BUILD_BUG_ON(sizeof(h) != DP_ND_NS_LEN);
	memset(&h, 0, sizeof(h));
	dp_ipv6_solicited_node(target, h.ip.dst_addr);
	dp_ipv6_mcast_mac(h.ip.dst_addr, &h.eth.dst_addr);
	rte_ether_addr_copy(our_mac, &h.eth.src_addr);
	h.eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	h.ip.vtc_flow = rte_cpu_to_be_32(6u << 28);
	h.ip.payload_len = rte_cpu_to_be_16(sizeof(h.ns) + sizeof(h.opt));
	h.ip.proto = IPPROTO_ICMPV6;
	h.ip.hop_limits = DP_ND_HOP_LIMIT;
	memcpy(h.ip.src_addr, our_ip, 16);
	h.ns.h.type = DP_ND_NS;
	memcpy(h.ns.target, target, 16);
	h.opt[0] = DP_ND_OPT_SRC_LLADDR;
	h.opt[1] = 1;
	memcpy(h.opt + 2, our_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	h.ns.h.cksum =
	    (uint16_t)~dp_ipv6_l4_sum(&h.ip, IPPROTO_ICMPV6, &h.ns, sizeof(h.ns) + sizeof(h.opt));
	memcpy(frame, &h, sizeof(h));
	return sizeof(h);
}

struct rte_mbuf *dp_nd_ns_build(struct rte_mempool *pool, const struct rte_ether_addr *our_mac,
                                const uint8_t our_ip[16], const uint8_t target[16])
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(m, DP_ND_NS_LEN);
	if (frame == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	dp_nd_ns_write(frame, our_mac, our_ip, target);
	return m;
}

uint32_t dp_nd_una_write(uint8_t *frame, const struct rte_ether_addr *our_mac,
                         const uint8_t our_ip[16])
{
	struct {
		struct rte_ether_hdr eth;
		struct rte_ipv6_hdr ip;
		struct nd_msg na;
		uint8_t opt[8];
	} __attribute__((packed, aligned(2))) h;

	RTE_BUILD_BUG_ON(sizeof(h) != DP_ND_UNA_LEN);
	memset(&h, 0, sizeof(h));
	memcpy(h.ip.dst_addr, all_nodes, 16);
	dp_ipv6_mcast_mac(all_nodes, &h.eth.dst_addr);
	rte_ether_addr_copy(our_mac, &h.eth.src_addr);
	h.eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	h.ip.vtc_flow = rte_cpu_to_be_32(6u << 28);
	h.ip.payload_len = rte_cpu_to_be_16(sizeof(h.na) + sizeof(h.opt));
	h.ip.proto = IPPROTO_ICMPV6;
	h.ip.hop_limits = DP_ND_HOP_LIMIT;
	memcpy(h.ip.src_addr, our_ip, 16);
	h.na.h.type = DP_ND_NA;
	h.na.h.word[0] = ND_NA_FLAG_OVERRIDE;
	memcpy(h.na.target, our_ip, 16);
	h.opt[0] = DP_ND_OPT_TGT_LLADDR;
	h.opt[1] = 1;
	memcpy(h.opt + 2, our_mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	h.na.h.cksum =
	    (uint16_t)~dp_ipv6_l4_sum(&h.ip, IPPROTO_ICMPV6, &h.na, sizeof(h.na) + sizeof(h.opt));
	memcpy(frame, &h, sizeof(h));
	return sizeof(h);
}

struct rte_mbuf *dp_nd_una_build(struct rte_mempool *pool, const struct rte_ether_addr *our_mac,
                                 const uint8_t our_ip[16])
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	uint8_t *frame = (uint8_t *)rte_pktmbuf_append(m, DP_ND_UNA_LEN);
	if (frame == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	dp_nd_una_write(frame, our_mac, our_ip);
	return m;
}

bool dp_udp6_check(const struct rte_ipv6_hdr *ip, const struct rte_udp_hdr *udp, uint32_t l4_avail)
{
	struct rte_udp_hdr h;

	if (l4_avail < sizeof(h))
		return false;
	memcpy(&h, udp, sizeof(h));
	uint32_t len = rte_be_to_cpu_16(h.dgram_len);
	if (len < sizeof(h) || len > l4_avail || h.dgram_cksum == 0)
		return false;
	return dp_ipv6_l4_sum(ip, IPPROTO_UDP, udp, len) == 0xffff;
}

void dp_udp6_write(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
                   const struct rte_ether_addr *dst_mac, const uint8_t src_ip[16],
                   uint16_t src_port, const uint8_t dst_ip[16], uint16_t dst_port,
                   uint32_t payload_len)
{
	/* Built aside and copied in: after a SIP edit the frame may start at an odd address. */
	struct {
		struct rte_ether_hdr eth;
		struct rte_ipv6_hdr ip;
		struct rte_udp_hdr udp;
	} __attribute__((packed, aligned(2))) h;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint16_t udp_len = (uint16_t)(sizeof(h.udp) + payload_len);

	RTE_BUILD_BUG_ON(sizeof(h) != DP_UDP6_HDR_LEN);
	rte_ether_addr_copy(dst_mac, &h.eth.dst_addr);
	rte_ether_addr_copy(src_mac, &h.eth.src_addr);
	h.eth.ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	h.ip.vtc_flow = rte_cpu_to_be_32(6u << 28);
	h.ip.payload_len = rte_cpu_to_be_16(udp_len);
	h.ip.proto = IPPROTO_UDP;
	h.ip.hop_limits = DP_IPV6_HOP_LIMIT;
	memcpy(h.ip.src_addr, src_ip, 16);
	memcpy(h.ip.dst_addr, dst_ip, 16);
	h.udp.src_port = rte_cpu_to_be_16(src_port);
	h.udp.dst_port = rte_cpu_to_be_16(dst_port);
	h.udp.dgram_len = rte_cpu_to_be_16(udp_len);
	h.udp.dgram_cksum = 0;
	/* The pseudo-header and our UDP header, then the payload where it lies (rte_raw_cksum
	 * reads it with unaligned loads); the payload starts at an even offset of the datagram. */
	uint32_t sum = (uint32_t)dp_ipv6_l4_sum(&h.ip, IPPROTO_UDP, &h.udp, sizeof(h.udp)) +
	               rte_raw_cksum(frame + DP_UDP6_HDR_LEN, payload_len);
	uint32_t len_extra = rte_cpu_to_be_32(payload_len);
	/* dp_ipv6_l4_sum counted a length of 8: add the payload's share of the length field. */
	sum += rte_raw_cksum(&len_extra, sizeof(len_extra));
	uint16_t cksum = (uint16_t)~fold(sum);
	/* RFC 8200 8.1: a computed zero is sent as all ones. */
	h.udp.dgram_cksum = cksum == 0 ? 0xffff : cksum;

	memcpy(frame, &h, sizeof(h));
	m->data_len = (uint16_t)(DP_UDP6_HDR_LEN + payload_len);
	m->pkt_len = m->data_len;
	m->l2_len = sizeof(h.eth);
	m->l3_len = sizeof(h.ip);
}

bool dp_ipv6_frag_check(const struct rte_ipv6_fragment_ext *f, uint32_t data_len)
{
	uint32_t off = dp_ipv6_frag_offset(f);

	if (data_len == 0 || off + data_len > 65535)
		return false;
	return !dp_ipv6_frag_more(f) || data_len % 8 == 0;
}

/* Data bytes per fragment on a link of mtu bytes: a multiple of 8, 0 when none fits. */
static uint32_t frag6_data_max(uint32_t mtu)
{
	uint32_t hdrs = sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_ipv6_fragment_ext);

	return mtu > hdrs ? (mtu - hdrs) & ~7u : 0;
}

uint32_t dp_ipv6_frag_count(uint32_t payload_len, uint32_t mtu)
{
	if (payload_len + sizeof(struct rte_ipv6_hdr) <= mtu)
		return 1;
	uint32_t max = frag6_data_max(mtu);
	return max == 0 ? 0 : (payload_len + max - 1) / max;
}

uint32_t dp_ipv6_frag_write(uint8_t *out, const uint8_t *frame, uint32_t mtu, uint32_t k,
                            uint32_t id)
{
	const uint32_t eth = sizeof(struct rte_ether_hdr);
	struct rte_ipv6_hdr ip;
	struct rte_ipv6_fragment_ext fh;

	memcpy(&ip, frame + eth, sizeof(ip));
	uint32_t payload_len = rte_be_to_cpu_16(ip.payload_len);
	uint32_t max = frag6_data_max(mtu);
	uint32_t off = k * max;
	uint32_t len = payload_len - off < max ? payload_len - off : max;
	bool more = off + len < payload_len;

	fh.next_header = ip.proto;
	fh.reserved = 0;
	fh.frag_data = rte_cpu_to_be_16((uint16_t)(off | (more ? 1u : 0u)));
	fh.id = rte_cpu_to_be_32(id);
	ip.proto = IPPROTO_FRAGMENT;
	ip.payload_len = rte_cpu_to_be_16((uint16_t)(sizeof(fh) + len));

	memcpy(out, frame, eth);
	memcpy(out + eth, &ip, sizeof(ip));
	memcpy(out + eth + sizeof(ip), &fh, sizeof(fh));
	memcpy(out + eth + sizeof(ip) + sizeof(fh), frame + eth + sizeof(ip) + off, len);
	return eth + (uint32_t)sizeof(ip) + (uint32_t)sizeof(fh) + len;
}
