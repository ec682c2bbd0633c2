/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet/IPv4/UDP and ARP frames of sipsteer-bench load (see load_frame.h). */
#include <stdbool.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "load_frame.h"

static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* The UDP checksum over the pseudo-header, header and data, as sent (RFC 768). */
static uint16_t udp_cksum(const struct rte_ipv4_hdr *ip, const struct rte_udp_hdr *udp,
                          size_t udp_len)
{
	uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);

	sum += rte_raw_cksum(udp, udp_len);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static enum load_frame_kind parse_arp(const uint8_t *l3, size_t len, struct load_frame *f)
{
	const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)l3;

	if (len < sizeof(*a) || a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != 6 ||
	    a->arp_plen != 4)
		return LOAD_FRAME_BAD;
	f->arp_op = rte_be_to_cpu_16(a->arp_opcode);
	if (f->arp_op != LOAD_FRAME_ARP_REQUEST && f->arp_op != LOAD_FRAME_ARP_REPLY)
		return LOAD_FRAME_BAD;
	memcpy(f->sender_mac, &a->arp_data.arp_sha, 6);
	memcpy(&f->sender_ip, &a->arp_data.arp_sip, 4);
	memcpy(&f->target_ip, &a->arp_data.arp_tip, 4);
	return LOAD_FRAME_ARP;
}

static enum load_frame_kind parse_udp(const uint8_t *l3, size_t len, struct load_frame *f)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return LOAD_FRAME_BAD;
	size_t ihl = (size_t)(ip->version_ihl & 0xf) * 4;
	size_t total = rte_be_to_cpu_16(ip->total_length);

	if (ihl < sizeof(*ip) || total < ihl + sizeof(struct rte_udp_hdr) || total > len ||
	    rte_raw_cksum(ip, ihl) != 0xffff)
		return LOAD_FRAME_BAD;
	/* a fragment (more to come, or not the first): the tool does not reassemble */
	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return LOAD_FRAME_BAD;
	if (ip->next_proto_id != IPPROTO_UDP)
		return LOAD_FRAME_BAD;
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(l3 + ihl);
	size_t udp_len = rte_be_to_cpu_16(udp->dgram_len);

	/* (UDP length shorter than the IP payload is legal but never sent by sipsteer: refused,
	 * so the pseudo-header's length, taken from the IP header, is the UDP length) */
	if (udp_len < sizeof(*udp) || udp_len != total - ihl)
		return LOAD_FRAME_BAD;
	if (udp->dgram_cksum != 0 && udp_cksum(ip, udp, udp_len) != 0xffff)
		return LOAD_FRAME_BAD;
	memset(&f->src, 0, sizeof(f->src));
	memset(&f->dst, 0, sizeof(f->dst));
	f->src.sin_family = f->dst.sin_family = AF_INET;
	f->src.sin_addr.s_addr = ip->src_addr;
	f->dst.sin_addr.s_addr = ip->dst_addr;
	f->src.sin_port = udp->src_port;
	f->dst.sin_port = udp->dst_port;
	f->payload = (const char *)udp + sizeof(*udp);
	f->payload_len = udp_len - sizeof(*udp);
	return LOAD_FRAME_UDP;
}

enum load_frame_kind load_frame_parse(const uint8_t *frame, size_t len, struct load_frame *f)
{
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)frame;

	if (len < sizeof(*eth))
		return LOAD_FRAME_BAD;
	memcpy(f->dst_mac, &eth->dst_addr, 6);
	memcpy(f->src_mac, &eth->src_addr, 6);
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		return parse_arp(frame + sizeof(*eth), len - sizeof(*eth), f);
	case RTE_ETHER_TYPE_IPV4:
		return parse_udp(frame + sizeof(*eth), len - sizeof(*eth), f);
	default:
		return LOAD_FRAME_OTHER;
	}
}

static size_t pad(uint8_t *out, size_t len)
{
	if (len < LOAD_FRAME_MIN) {
		memset(out + len, 0, LOAD_FRAME_MIN - len);
		len = LOAD_FRAME_MIN;
	}
	return len;
}

size_t load_frame_udp(uint8_t *out, size_t cap, const uint8_t src_mac[6], const uint8_t dst_mac[6],
                      const struct sockaddr_in *src, const struct sockaddr_in *dst,
                      const void *payload, size_t len, uint16_t ip_id)
{
	if (len > LOAD_FRAME_MAX_PAYLOAD || cap < LOAD_FRAME_MIN || LOAD_FRAME_HDR + len > cap)
		return 0;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)out;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	memcpy(&eth->dst_addr, dst_mac, 6);
	memcpy(&eth->src_addr, src_mac, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	*ip = (struct rte_ipv4_hdr){
	    .version_ihl = RTE_IPV4_VHL_DEF,
	    .total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*udp) + len)),
	    .packet_id = rte_cpu_to_be_16(ip_id),
	    .time_to_live = 64,
	    .next_proto_id = IPPROTO_UDP,
	    .src_addr = src->sin_addr.s_addr,
	    .dst_addr = dst->sin_addr.s_addr,
	};
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = src->sin_port;
	udp->dst_port = dst->sin_port;
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, len);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return pad(out, LOAD_FRAME_HDR + len);
}

size_t load_frame_arp(uint8_t *out, size_t cap, uint16_t op, const uint8_t src_mac[6],
                      uint32_t sender_ip, const uint8_t target_mac[6], uint32_t target_ip)
{
	if (cap < LOAD_FRAME_MIN)
		return 0;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)out;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eth + 1);
	bool request = op == LOAD_FRAME_ARP_REQUEST;

	memcpy(&eth->dst_addr, request ? broadcast : target_mac, 6);
	memcpy(&eth->src_addr, src_mac, 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&a->arp_data.arp_sha, src_mac, 6);
	memcpy(&a->arp_data.arp_sip, &sender_ip, 4);
	if (request)
		memset(&a->arp_data.arp_tha, 0, 6);
	else
		memcpy(&a->arp_data.arp_tha, target_mac, 6);
	memcpy(&a->arp_data.arp_tip, &target_ip, 4);
	return pad(out, sizeof(*eth) + sizeof(*a));
}
