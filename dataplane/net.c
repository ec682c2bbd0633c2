/* SPDX-License-Identifier: BSD-3-Clause */
/* Header checks, checksums and header building for Ethernet, ARP, IPv4, UDP and ICMP. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "net.h"

#include "cksum.h"

bool dp_ipv4_frag_check(const struct rte_ipv4_hdr *ip)
{
	uint32_t hdr_len =
	    (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	uint32_t data = rte_be_to_cpu_16(ip->total_length) - hdr_len;
	uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t offset = (uint32_t)(fo & RTE_IPV4_HDR_OFFSET_MASK) * RTE_IPV4_HDR_OFFSET_UNITS;

	if (data == 0 || offset + data + hdr_len > UINT16_MAX)
		return false;
	return (fo & RTE_IPV4_HDR_MF_FLAG) == 0 || data % RTE_IPV4_HDR_OFFSET_UNITS == 0;
}

uint32_t dp_ipv4_frag_count(uint32_t ip_len, uint32_t hdr_len, uint32_t mtu)
{
	if (ip_len <= mtu)
		return 1;
	if (mtu < hdr_len + RTE_IPV4_HDR_OFFSET_UNITS)
		return 0;
	uint32_t step = (mtu - hdr_len) & ~(uint32_t)(RTE_IPV4_HDR_OFFSET_UNITS - 1);
	return (ip_len - hdr_len + step - 1) / step;
}

uint32_t dp_ipv4_frag_write(uint8_t *out, const uint8_t *frame, uint32_t mtu, uint32_t k,
                            uint16_t id)
{
	struct rte_ipv4_hdr ip;
	const uint32_t eth = sizeof(struct rte_ether_hdr);

	memcpy(&ip, frame + eth, sizeof(ip));
	uint32_t hdr_len =
	    (uint32_t)(ip.version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	uint32_t data = rte_be_to_cpu_16(ip.total_length) - hdr_len;
	uint32_t step = (mtu - hdr_len) & ~(uint32_t)(RTE_IPV4_HDR_OFFSET_UNITS - 1);
	uint32_t off = k * step;
	uint32_t chunk = data - off < step ? data - off : step;
	bool last = off + chunk >= data;

	/* Ethernet header and the whole IPv4 header (options too), then the fixed part redone. */
	memcpy(out, frame, eth + hdr_len);
	ip.total_length = rte_cpu_to_be_16((uint16_t)(hdr_len + chunk));
	ip.packet_id = rte_cpu_to_be_16(id);
	ip.fragment_offset = rte_cpu_to_be_16(
	    (uint16_t)((off / RTE_IPV4_HDR_OFFSET_UNITS) | (last ? 0 : RTE_IPV4_HDR_MF_FLAG)));
	ip.hdr_checksum = 0;
	memcpy(out + eth, &ip, sizeof(ip));
	uint16_t cksum = (uint16_t)~rte_raw_cksum(out + eth, hdr_len);
	memcpy(out + eth + offsetof(struct rte_ipv4_hdr, hdr_checksum), &cksum, sizeof(cksum));
	memcpy(out + eth + hdr_len, frame + eth + hdr_len + off, chunk);
	return eth + hdr_len + chunk;
}

uint16_t dp_raw_cksum_scalar(const void *buf, size_t len)
{
	return dp_sum16_scalar(buf, len);
}

uint16_t dp_raw_cksum(const void *buf, size_t len)
{
	return dp_sum16(buf, len);
}

/* The UDP pseudo-header's sum (RFC 768), the addresses as 32-bit words, folded once. */
static inline uint32_t udp4_pseudo_sum(const struct rte_ipv4_hdr *ip, uint16_t udp_len)
{
	return dp_fold_part((uint64_t)dp_load32(&ip->src_addr) + dp_load32(&ip->dst_addr) +
	                    rte_cpu_to_be_16((uint16_t)IPPROTO_UDP) + rte_cpu_to_be_16(udp_len));
}

bool dp_udp4_check(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp, uint32_t l4_avail)
{
	uint16_t len;

	if (!dp_udp4_len_ok(udp, l4_avail, &len))
		return false;
	if (udp->dgram_cksum == 0)
		return true;
	uint32_t sum = udp4_pseudo_sum(ip, len) + dp_raw_cksum(udp, len);
	return dp_fold32(sum) == 0xffff;
}

uint16_t dp_udp4_cksum(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp)
{
	uint16_t len = rte_be_to_cpu_16(udp->dgram_len);
	uint16_t cksum = (uint16_t)~dp_fold32(udp4_pseudo_sum(ip, len) + dp_raw_cksum(udp, len));

	/* RFC 768: a computed zero is sent as all ones (zero means "no checksum"). */
	return cksum == 0 ? 0xffff : cksum;
}

void dp_udp4_write(struct rte_mbuf *m, const struct rte_ether_addr *src_mac,
                   const struct rte_ether_addr *dst_mac, uint32_t src_ip, uint16_t src_port,
                   uint32_t dst_ip, uint16_t dst_port, uint32_t payload_len)
{
	dp_udp4_write_sum(m, src_mac, dst_mac, src_ip, src_port, dst_ip, dst_port, payload_len, -1);
}

bool dp_icmp_echo_reply(struct dp_ipv4_pkt *p, const struct rte_ether_addr *our_mac)
{
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)p->ip + p->ip_hdr_len);
	uint32_t icmp_len = (uint32_t)p->ip_len - p->ip_hdr_len;

	if (icmp_len < sizeof(*icmp) || rte_raw_cksum(icmp, icmp_len) != 0xffff)
		return false;

	rte_ether_addr_copy(&p->eth->src_addr, &p->eth->dst_addr);
	rte_ether_addr_copy(our_mac, &p->eth->src_addr);

	uint32_t src = p->ip->src_addr;
	p->ip->src_addr = p->ip->dst_addr;
	p->ip->dst_addr = src;
	p->ip->time_to_live = DP_IPV4_TTL;
	p->ip->hdr_checksum = 0;
	p->ip->hdr_checksum = rte_ipv4_cksum(p->ip);

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, icmp_len);
	return true;
}

bool dp_arp_check(const struct rte_arp_hdr *arp, uint32_t avail)
{
	if (avail < sizeof(*arp))
		return false;
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(uint32_t))
		return false;
	return arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
	       arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
}

void dp_arp_make_reply(struct rte_mbuf *m, struct rte_ether_hdr *eth,
                       const struct rte_ether_addr *our_mac, uint32_t ip)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(our_mac, &eth->src_addr);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	rte_ether_addr_copy(our_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = ip;
	/* Anything after the ARP body (Ethernet padding) goes too; the port pads again. */
	m->data_len = sizeof(*eth) + sizeof(*arp);
	m->pkt_len = m->data_len;
}

struct rte_mbuf *dp_arp_request_build(struct rte_mempool *pool,
                                      const struct rte_ether_addr *our_mac, uint32_t our_ip,
                                      uint32_t target)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (m == NULL)
		return NULL;
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	rte_ether_addr_copy(our_mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(our_mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = our_ip;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = target;
	m->data_len = sizeof(*eth) + sizeof(*arp);
	m->pkt_len = m->data_len;
	return m;
}

char *dp_ipv4_format(uint32_t ip, char *out)
{
	const uint8_t *b = (const uint8_t *)&ip;

	snprintf(out, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return out;
}
