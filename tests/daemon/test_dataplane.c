/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dataplane pieces that need no port and no EAL: IPv4/UDP/ICMP/ARP and IPv6/UDP/ICMPv6/ND checks
 * and header building, IPv4 and IPv6 fragment writers, neighbour snapshots (with RCU publishing),
 * the control thread's resolver, the EAL argument vector, drop reason names, and the command-line
 * parser.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <urcu-qsbr.h>

#include <rte_ip.h>

#include "cli.h"
#include "dp.h"
#include "counters.h"
#include "eal_args.h"
#include "ip6.h"
#include "neigh.h"
#include "cksum.h"
#include "net.h"
#include "probe.h"
#include "probe_io.h"
#include "resolve.h"

/* An mbuf over a static buffer, enough for the header helpers (no pool, no EAL). */
struct fake_mbuf {
	struct rte_mbuf m;
	uint8_t buf[2048 + RTE_PKTMBUF_HEADROOM];
};

static void fake_init(struct fake_mbuf *f)
{
	memset(f, 0, sizeof(*f));
	f->m.buf_addr = f->buf;
	f->m.buf_len = sizeof(f->buf);
	f->m.data_off = RTE_PKTMBUF_HEADROOM;
	f->m.nb_segs = 1;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static const struct rte_ether_addr mac_a = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct rte_ether_addr mac_b = {{0x02, 0, 0, 0, 0, 0x0b}};

/* A UDP packet with payload, written by dp_udp4_write. Returns the IPv4 header. */
static struct rte_ipv4_hdr *build_udp(struct fake_mbuf *f, const char *payload)
{
	size_t len = strlen(payload);

	fake_init(f);
	memcpy(rte_pktmbuf_mtod(&f->m, char *) + DP_UDP4_HDR_LEN, payload, len);
	dp_udp4_write(&f->m, &mac_a, &mac_b, ip4("198.18.0.10"), 5060, ip4("198.18.0.21"), 5080,
	              (uint32_t)len);
	return (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(&f->m, struct rte_ether_hdr *) + 1);
}

static void test_udp4_write_checks(void **state)
{
	struct fake_mbuf f;
	struct rte_ipv4_hdr *ip = build_udp(&f, "OPTIONS sip:x SIP/2.0\r\n\r\n");
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(&f.m, struct rte_ether_hdr *);

	(void)state;
	assert_int_equal(f.m.data_len, DP_UDP4_HDR_LEN + 25);
	assert_int_equal(f.m.pkt_len, f.m.data_len);
	assert_memory_equal(&eth->src_addr, &mac_a, 6);
	assert_memory_equal(&eth->dst_addr, &mac_b, 6);
	assert_int_equal(rte_be_to_cpu_16(eth->ether_type), RTE_ETHER_TYPE_IPV4);
	assert_true(dp_ipv4_check(ip, f.m.data_len - 14));
	assert_false(dp_ipv4_is_fragment(ip));
	assert_int_equal(rte_be_to_cpu_16(udp->src_port), 5060);
	assert_int_equal(rte_be_to_cpu_16(udp->dst_port), 5080);
	assert_int_equal(rte_be_to_cpu_16(udp->dgram_len), 8 + 25);
	assert_true(dp_udp4_check(ip, udp, 8 + 25));
	assert_int_not_equal(udp->dgram_cksum, 0);
	/* The checksum DPDK computes agrees. */
	uint16_t ours = udp->dgram_cksum;
	udp->dgram_cksum = 0;
	assert_int_equal(rte_ipv4_udptcp_cksum(ip, udp), ours);
	udp->dgram_cksum = ours;
}

/* After a SIP edit the frame may start at an odd address: the headers are still right. */
static void test_udp4_write_unaligned(void **state)
{
	struct fake_mbuf f;
	static const char payload[] = "SIP/2.0 200 OK\r\n\r\n";
	uint8_t copy[256] __attribute__((aligned(8)));

	(void)state;
	fake_init(&f);
	f.m.data_off = RTE_PKTMBUF_HEADROOM - 41; /* odd */
	memcpy(rte_pktmbuf_mtod(&f.m, char *) + DP_UDP4_HDR_LEN, payload, sizeof(payload) - 1);
	dp_udp4_write(&f.m, &mac_a, &mac_b, ip4("198.18.0.10"), 5060, ip4("198.18.0.1"), 5061,
	              sizeof(payload) - 1);
	memcpy(copy, rte_pktmbuf_mtod(&f.m, uint8_t *), f.m.data_len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(copy + 14);
	assert_true(dp_ipv4_check(ip, f.m.data_len - 14u));
	assert_true(dp_udp4_check(ip, (struct rte_udp_hdr *)(ip + 1), f.m.data_len - 34u));
	assert_int_equal(ip->dst_addr, ip4("198.18.0.1"));
}

static void test_ipv4_check_bad(void **state)
{
	struct fake_mbuf f;
	struct rte_ipv4_hdr *ip = build_udp(&f, "x");
	uint32_t avail = f.m.data_len - 14u;

	(void)state;
	assert_true(dp_ipv4_check(ip, avail));
	assert_false(dp_ipv4_check(ip, 19));        /* shorter than a header */
	assert_false(dp_ipv4_check(ip, avail - 1)); /* total length beyond the frame */

	ip->version_ihl = 0x65; /* version 6 */
	assert_false(dp_ipv4_check(ip, avail));
	ip->version_ihl = 0x44; /* IHL 4 */
	assert_false(dp_ipv4_check(ip, avail));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	assert_true(dp_ipv4_check(ip, avail));

	ip->hdr_checksum ^= 0x0100; /* checksum wrong */
	assert_false(dp_ipv4_check(ip, avail));
	ip->hdr_checksum ^= 0x0100;

	uint16_t total = ip->total_length;
	ip->total_length = rte_cpu_to_be_16(10); /* below the header length (checksum fixed) */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	assert_false(dp_ipv4_check(ip, avail));
	ip->total_length = total;

	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	assert_true(dp_ipv4_is_fragment(ip));
	ip->fragment_offset = rte_cpu_to_be_16(8);
	assert_true(dp_ipv4_is_fragment(ip));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	assert_false(dp_ipv4_is_fragment(ip));
}

static void test_udp_check_bad(void **state)
{
	struct fake_mbuf f;
	struct rte_ipv4_hdr *ip = build_udp(&f, "INVITE");
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	(void)state;
	assert_true(dp_udp4_check(ip, udp, 14));
	assert_false(dp_udp4_check(ip, udp, 7));  /* no room for the header */
	assert_false(dp_udp4_check(ip, udp, 13)); /* length beyond the packet */

	uint8_t *payload = (uint8_t *)(udp + 1);
	payload[0] ^= 0x20; /* corrupted on the way */
	assert_false(dp_udp4_check(ip, udp, 14));
	uint16_t cksum = udp->dgram_cksum;
	udp->dgram_cksum = 0; /* RFC 768: no checksum */
	assert_true(dp_udp4_check(ip, udp, 14));
	udp->dgram_cksum = cksum;
	payload[0] ^= 0x20;

	udp->dgram_len = rte_cpu_to_be_16(7); /* below the header */
	assert_false(dp_udp4_check(ip, udp, 14));
}

/* A 3000-byte message cut to a 1500-byte MTU: three fragments whose data put back together is
 * the original datagram, each with a sound header; then the fragment checks. */
static void test_ipv4_fragment(void **state)
{
	static uint8_t frame[14 + 20 + 8 + 3000];
	static uint8_t out[1600 + 1];
	static uint8_t whole[sizeof(frame)];
	uint8_t hdr[60] __attribute__((aligned(8)));
	struct {
		struct rte_mbuf m;
		uint8_t buf[4096 + RTE_PKTMBUF_HEADROOM];
	} f;
	const uint32_t ip_len = 20 + 8 + 3000;

	(void)state;
	memset(&f, 0, sizeof(f));
	f.m.buf_addr = f.buf;
	f.m.buf_len = sizeof(f.buf);
	f.m.data_off = RTE_PKTMBUF_HEADROOM;
	f.m.nb_segs = 1;
	uint8_t *p = rte_pktmbuf_mtod(&f.m, uint8_t *) + DP_UDP4_HDR_LEN;
	for (uint32_t i = 0; i < 3000; i++)
		p[i] = (uint8_t)('a' + i % 26);
	dp_udp4_write(&f.m, &mac_a, &mac_b, ip4("198.18.0.10"), 5060, ip4("198.18.0.21"), 5080,
	              3000);
	memcpy(frame, rte_pktmbuf_mtod(&f.m, uint8_t *), sizeof(frame));

	assert_int_equal(dp_ipv4_frag_count(ip_len, 20, 1500), 3);
	assert_int_equal(dp_ipv4_frag_count(ip_len, 20, ip_len), 1);
	assert_int_equal(dp_ipv4_frag_count(ip_len, 20, 27), 0); /* no room for 8 bytes */
	assert_int_equal(dp_ipv4_frag_count(ip_len, 20, 28), 376);

	memcpy(whole, frame, 14 + 20);
	uint32_t got = 0;
	for (uint32_t k = 0; k < 3; k++) {
		/* Written at an odd address, read back through an aligned copy. */
		uint32_t len = dp_ipv4_frag_write(out + 1, frame, 1500, k, 0x1234);
		assert_true(len <= 14 + 1500);
		assert_memory_equal(out + 1, frame, 14); /* Ethernet header kept */
		memcpy(hdr, out + 1 + 14, 20);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)hdr;
		assert_true(dp_ipv4_check(ip, len - 14));
		assert_true(dp_ipv4_is_fragment(ip));
		assert_true(dp_ipv4_frag_check(ip));
		assert_int_equal(rte_be_to_cpu_16(ip->packet_id), 0x1234);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		assert_int_equal((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u, got);
		assert_int_equal((fo & RTE_IPV4_HDR_MF_FLAG) != 0, k < 2);
		assert_int_equal(fo & RTE_IPV4_HDR_DF_FLAG, 0);
		uint32_t data = len - 14 - 20;
		memcpy(whole + 14 + 20 + got, out + 1 + 14 + 20, data);
		got += data;
	}
	assert_int_equal(got, ip_len - 20);
	assert_memory_equal(whole + 34, frame + 34, got);

	/* The fragment checks: empty, a non-last one not a multiple of 8, beyond 64 KiB. */
	memcpy(hdr, frame + 14, 20);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)hdr;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	ip->total_length = rte_cpu_to_be_16(20 + 16);
	assert_true(dp_ipv4_frag_check(ip));
	ip->total_length = rte_cpu_to_be_16(20 + 15);
	assert_false(dp_ipv4_frag_check(ip));
	ip->fragment_offset = rte_cpu_to_be_16(100); /* last: any length */
	assert_true(dp_ipv4_frag_check(ip));
	ip->total_length = rte_cpu_to_be_16(20);
	assert_false(dp_ipv4_frag_check(ip));
	ip->total_length = rte_cpu_to_be_16(20 + 16);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK); /* 65528 + 16 */
	assert_false(dp_ipv4_frag_check(ip));
}

static void ip6(const char *s, uint8_t out[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* An ICMPv6 message of len bytes (checksum filled) from src to dst in f; returns the packet. */
static struct dp_ipv6_pkt build_icmp6(struct fake_mbuf *f, const char *src, const char *dst,
                                      uint8_t hops, const uint8_t *msg, uint32_t len)
{
	fake_init(f);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(&f->m, struct rte_ether_hdr *);
	struct dp_ipv6_pkt p = {.eth = eth, .ip = (struct rte_ipv6_hdr *)(eth + 1)};

	rte_ether_addr_copy(&mac_a, &eth->src_addr);
	rte_ether_addr_copy(&mac_b, &eth->dst_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	p.ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	p.ip->payload_len = rte_cpu_to_be_16((uint16_t)len);
	p.ip->proto = IPPROTO_ICMPV6;
	p.ip->hop_limits = hops;
	ip6(src, p.ip->src_addr);
	ip6(dst, p.ip->dst_addr);
	p.l4 = (uint8_t *)(p.ip + 1);
	p.l4_len = len;
	memcpy(p.l4, msg, len);
	p.l4[2] = p.l4[3] = 0;
	uint16_t ck = (uint16_t)~dp_ipv6_l4_sum(p.ip, IPPROTO_ICMPV6, p.l4, len);
	memcpy(p.l4 + 2, &ck, 2);
	f->m.data_len = (uint16_t)(14 + 40 + len);
	f->m.pkt_len = f->m.data_len;
	return p;
}

/* Neighbor Solicitation -> Advertisement, echo request -> reply, and what is refused. */
static void test_ipv6_nd_echo(void **state)
{
	struct fake_mbuf f;
	uint8_t vip[16], group[16], want[16], target[16];
	bool has_mac;
	struct rte_ether_addr sender, mc;
	/* NS for 2001:db8::10 with a source link-layer address option (mac_a). */
	uint8_t ns[32] = {DP_ND_NS, 0};
	ip6("2001:db8::10", vip);
	memcpy(ns + 8, vip, 16);
	ns[24] = DP_ND_OPT_SRC_LLADDR;
	ns[25] = 1;
	memcpy(ns + 26, mac_a.addr_bytes, 6);

	(void)state;
	dp_ipv6_solicited_node(vip, group);
	ip6("ff02::1:ff00:10", want);
	assert_memory_equal(group, want, 16);
	dp_ipv6_mcast_mac(group, &mc);
	static const struct rte_ether_addr want_mc = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x10}};
	assert_memory_equal(&mc, &want_mc, 6);

	struct dp_ipv6_pkt p = build_icmp6(&f, "2001:db8::1", "ff02::1:ff00:10", 255, ns, 32);
	assert_true(dp_ipv6_check(p.ip, f.m.data_len - 14u));
	assert_false(dp_ipv6_check(p.ip, 40 + 31)); /* payload beyond the frame */
	assert_true(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	assert_memory_equal(target, vip, 16);
	assert_true(has_mac);
	assert_memory_equal(&sender, &mac_a, 6);
	dp_nd_make_na(&f.m, &p, &mac_b, vip);
	assert_int_equal(f.m.data_len, 14 + 40 + 32);
	assert_int_equal(p.l4[0], DP_ND_NA);
	assert_int_equal(p.l4[4], 0x60); /* solicited, override */
	assert_memory_equal(p.ip->src_addr, vip, 16);
	ip6("2001:db8::1", want);
	assert_memory_equal(p.ip->dst_addr, want, 16);
	assert_memory_equal(&p.eth->dst_addr, &mac_a, 6);
	assert_memory_equal(p.l4 + 26, mac_b.addr_bytes, 6);
	assert_int_equal(p.ip->hop_limits, 255);
	assert_int_equal(dp_ipv6_l4_sum(p.ip, IPPROTO_ICMPV6, p.l4, p.l4_len), 0xffff);

	/* From the unspecified address (DAD): to all-nodes, not solicited. */
	p = build_icmp6(&f, "::", "ff02::1:ff00:10", 255, ns, 24);
	assert_true(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	assert_false(has_mac);
	dp_nd_make_na(&f.m, &p, &mac_b, vip);
	ip6("ff02::1", want);
	assert_memory_equal(p.ip->dst_addr, want, 16);
	assert_int_equal(p.l4[4], 0x20);

	/* Refused (RFC 4861 7.1.1): from the unspecified address with a source link-layer
	 * address option, or to another group than the target's solicited-node one; a
	 * multicast target. */
	p = build_icmp6(&f, "::", "ff02::1:ff00:10", 255, ns, 32);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	p = build_icmp6(&f, "::", "ff02::1", 255, ns, 24);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	ns[8] = 0xff;
	p = build_icmp6(&f, "2001:db8::1", "ff02::1:ff00:10", 255, ns, 32);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	ns[8] = vip[0];

	/* Refused: hop limit not 255 (forged), bad checksum, short, zero-length option. */
	p = build_icmp6(&f, "2001:db8::1", "ff02::1:ff00:10", 64, ns, 32);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	p = build_icmp6(&f, "2001:db8::1", "ff02::1:ff00:10", 255, ns, 32);
	p.l4[10] ^= 1;
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	p = build_icmp6(&f, "2001:db8::1", "ff02::1:ff00:10", 255, ns, 20);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));
	ns[25] = 0;
	p = build_icmp6(&f, "2001:db8::1", "ff02::1:ff00:10", 255, ns, 32);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &sender));

	/* Echo: reply with addresses swapped; a wrong checksum or a non-request is refused. */
	uint8_t echo[12] = {DP_ICMP6_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	p = build_icmp6(&f, "2001:db8::1", "2001:db8::10", 64, echo, 12);
	assert_true(dp_icmp6_echo_reply(&p, &mac_b));
	assert_int_equal(p.l4[0], DP_ICMP6_ECHO_REPLY);
	assert_memory_equal(p.ip->src_addr, vip, 16);
	assert_int_equal(dp_ipv6_l4_sum(p.ip, IPPROTO_ICMPV6, p.l4, p.l4_len), 0xffff);
	p = build_icmp6(&f, "2001:db8::1", "2001:db8::10", 64, echo, 12);
	p.l4[9] ^= 1;
	assert_false(dp_icmp6_echo_reply(&p, &mac_b));
	echo[0] = DP_ICMP6_ECHO_REPLY;
	p = build_icmp6(&f, "2001:db8::1", "2001:db8::10", 64, echo, 12);
	assert_false(dp_icmp6_echo_reply(&p, &mac_b));

	/* Not IPv6. */
	p.ip->vtc_flow = rte_cpu_to_be_32(4u << 28);
	assert_false(dp_ipv6_check(p.ip, 100));
	assert_false(dp_ipv6_check(p.ip, 39));
}

static void test_icmp_echo(void **state)
{
	struct fake_mbuf f;
	uint8_t *p;

	(void)state;
	fake_init(&f);
	p = rte_pktmbuf_mtod(&f.m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)(ip + 1);
	const uint16_t icmp_len = sizeof(*icmp) + 8;

	rte_ether_addr_copy(&mac_b, &eth->src_addr);
	rte_ether_addr_copy(&mac_a, &eth->dst_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + icmp_len));
	ip->time_to_live = 5;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = ip4("198.18.0.1");
	ip->dst_addr = ip4("198.18.0.10");
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = rte_cpu_to_be_16(7);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(1);
	memcpy(icmp + 1, "pingpong", 8);
	icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, icmp_len);
	f.m.data_len = (uint16_t)(14 + sizeof(*ip) + icmp_len);

	struct dp_ipv4_pkt pkt = {
	    .eth = eth, .ip = ip, .ip_hdr_len = 20, .ip_len = (uint16_t)(sizeof(*ip) + icmp_len)};
	assert_true(dp_icmp_is_echo_request(&pkt));

	icmp->icmp_cksum ^= 1; /* wrong checksum: refused, untouched */
	assert_false(dp_icmp_echo_reply(&pkt, &mac_a));
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REQUEST);
	icmp->icmp_cksum ^= 1;

	assert_true(dp_icmp_echo_reply(&pkt, &mac_a));
	assert_int_equal(icmp->icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
	assert_int_equal(ip->dst_addr, ip4("198.18.0.1"));
	assert_memory_equal(&eth->dst_addr, &mac_b, 6);
	assert_memory_equal(&eth->src_addr, &mac_a, 6);
	assert_true(dp_ipv4_check(ip, f.m.data_len - 14u));
	assert_int_equal(rte_raw_cksum(icmp, icmp_len), 0xffff);
	assert_memory_equal(icmp + 1, "pingpong", 8);
	assert_false(dp_icmp_is_echo_request(&pkt));

	pkt.ip_len = 20 + 4; /* too short for an ICMP header */
	assert_false(dp_icmp_echo_reply(&pkt, &mac_a));
}

static void test_arp(void **state)
{
	struct fake_mbuf f;

	(void)state;
	fake_init(&f);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(&f.m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	memset(&eth->dst_addr, 0xff, 6);
	rte_ether_addr_copy(&mac_b, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = 6;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&mac_b, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = ip4("198.18.0.1");
	arp->arp_data.arp_tip = ip4("198.18.0.10");
	f.m.data_len = 60; /* padded to the Ethernet minimum */

	assert_true(dp_arp_check(arp, 46));
	assert_false(dp_arp_check(arp, sizeof(*arp) - 1));
	arp->arp_hlen = 8;
	assert_false(dp_arp_check(arp, 46));
	arp->arp_hlen = 6;
	arp->arp_opcode = rte_cpu_to_be_16(3); /* RARP */
	assert_false(dp_arp_check(arp, 46));
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	assert_false(dp_arp_check(arp, 46));
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	dp_arp_make_reply(&f.m, eth, &mac_a, ip4("198.18.0.10"));
	assert_int_equal(rte_be_to_cpu_16(arp->arp_opcode), RTE_ARP_OP_REPLY);
	assert_memory_equal(&eth->dst_addr, &mac_b, 6);
	assert_memory_equal(&eth->src_addr, &mac_a, 6);
	assert_memory_equal(&arp->arp_data.arp_sha, &mac_a, 6);
	assert_memory_equal(&arp->arp_data.arp_tha, &mac_b, 6);
	assert_int_equal(arp->arp_data.arp_sip, ip4("198.18.0.10"));
	assert_int_equal(arp->arp_data.arp_tip, ip4("198.18.0.1"));
	assert_int_equal(f.m.data_len, 14 + sizeof(*arp));
	assert_true(dp_arp_check(arp, sizeof(*arp)));
}

static void test_neigh_table(void **state)
{
	struct dp_neigh entries[3] = {
	    {.ip = 0, .mac = {2, 0, 0, 0, 0, 1}, .port = 0},
	    {.ip = 0, .mac = {2, 0, 0, 0, 0, 2}, .port = 1},
	    {.ip = 0, .mac = {2, 0, 0, 0, 0, 3}, .port = 0},
	};

	(void)state;
	entries[0].ip = ip4("198.18.0.21");
	entries[1].ip = ip4("198.18.0.22");
	entries[2].ip = ip4("198.18.0.21"); /* the later one wins */
	struct dp_neigh_table *t = dp_neigh_table_build(entries, 3);
	assert_non_null(t);
	assert_int_equal(t->count, 2);
	const struct dp_neigh *n = dp_neigh_lookup(t, ip4("198.18.0.21"));
	assert_non_null(n);
	assert_int_equal(n->mac[5], 3);
	n = dp_neigh_lookup(t, ip4("198.18.0.22"));
	assert_non_null(n);
	assert_int_equal(n->port, 1);
	assert_null(dp_neigh_lookup(t, ip4("198.18.0.23")));
	dp_neigh_table_free(t);

	/* Empty table: every lookup misses. */
	t = dp_neigh_table_build(NULL, 0);
	assert_non_null(t);
	assert_null(dp_neigh_lookup(t, ip4("10.0.0.1")));
	dp_neigh_table_free(t);

	/* Full: every entry found, absent ones not, no endless probing. */
	struct dp_neigh *many = calloc(DP_NEIGH_MAX, sizeof(*many));
	assert_non_null(many);
	for (uint32_t i = 0; i < DP_NEIGH_MAX; i++) {
		many[i].ip = htonl(0x0a000001u + i);
		many[i].mac[5] = (uint8_t)i;
	}
	t = dp_neigh_table_build(many, DP_NEIGH_MAX);
	assert_non_null(t);
	assert_int_equal(t->count, DP_NEIGH_MAX);
	for (uint32_t i = 0; i < DP_NEIGH_MAX; i++) {
		n = dp_neigh_lookup(t, many[i].ip);
		assert_non_null(n);
		assert_int_equal(n->mac[5], (uint8_t)i);
	}
	for (uint32_t i = 0; i < 1000; i++)
		assert_null(dp_neigh_lookup(t, htonl(0x0b000001u + i)));
	dp_neigh_table_free(t);
	assert_null(dp_neigh_table_build(many, DP_NEIGH_MAX + 1));
	free(many);
}

static void test_neigh_publish(void **state)
{
	struct dp_neigh_slot slot = {0};
	struct dp_neigh e = {.ip = 0, .mac = {2, 0, 0, 0, 0, 9}};

	(void)state;
	e.ip = ip4("198.18.0.1");
	rcu_register_thread();
	assert_null(dp_neigh_current(&slot));
	dp_neigh_publish(&slot, dp_neigh_table_build(&e, 1));
	const struct dp_neigh_table *t = dp_neigh_current(&slot);
	assert_non_null(t);
	assert_non_null(dp_neigh_lookup(t, e.ip));
	e.mac[5] = 10;
	dp_neigh_publish(&slot,
	                 dp_neigh_table_build(&e, 1)); /* the old one goes after a grace period */
	assert_int_equal(dp_neigh_lookup(dp_neigh_current(&slot), e.ip)->mac[5], 10);
	dp_neigh_publish(&slot, NULL);
	assert_null(dp_neigh_current(&slot));
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
	rcu_unregister_thread();
}

/* Resolver: records every ARP request it is asked to send. */
struct asked {
	int n;
	uint32_t ip[16];
	uint16_t port[16];
};

static void record_ask(void *arg, uint32_t ip, uint16_t port)
{
	struct asked *a = arg;

	if (a->n < 16) {
		a->ip[a->n] = ip;
		a->port[a->n] = port;
	}
	a->n++;
}

static void test_resolver(void **state)
{
	struct dp_resolver r;
	struct asked asked = {0};
	const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1}, mac2[6] = {2, 0, 0, 0, 0, 2};
	uint32_t be = ip4("198.18.0.21"), client = ip4("198.18.0.1");

	(void)state;
	assert_int_equal(dp_resolver_init(&r, record_ask, &asked), 0);
	assert_int_equal(dp_resolver_want(&r, be), 0);
	assert_int_equal(dp_resolver_want(&r, be), 0); /* idempotent */
	assert_int_equal(dp_resolver_want(&r, 0), -ENOSPC);

	/* Asked at once on every port, then after 100, 200, 400, 800 ms and once a second. */
	static const uint64_t retry_at[] = {101, 301, 701, 1501, 2501, 3501};
	dp_resolver_tick(&r, 1);
	assert_int_equal(asked.n, 1);
	assert_int_equal(asked.ip[0], be);
	assert_int_equal(asked.port[0], UINT16_MAX);
	for (int i = 0; i < 6; i++) {
		dp_resolver_tick(&r, retry_at[i] - 1);
		assert_int_equal(asked.n, i + 1);
		dp_resolver_tick(&r, retry_at[i]);
		assert_int_equal(asked.n, i + 2);
		assert_int_equal(asked.port[i + 1], UINT16_MAX);
	}
	assert_null(dp_resolver_snapshot(&r)); /* nothing known yet */

	/* A link comes up: asked at the next tick, and the back-off starts over. */
	dp_resolver_relink(&r);
	dp_resolver_tick(&r, 3502);
	assert_int_equal(asked.n, 8);
	dp_resolver_tick(&r, 3502 + DP_RESOLVE_FIRST_RETRY_MS - 1);
	assert_int_equal(asked.n, 8);
	dp_resolver_tick(&r, 3502 + DP_RESOLVE_FIRST_RETRY_MS);
	assert_int_equal(asked.n, 9);
	/* Traffic for it (a worker's miss) hurries a backed-off request, not one just sent. */
	dp_resolver_tick(&r, 3602 + 150); /* not due yet: the next retry is 200 ms after 3602 */
	assert_int_equal(asked.n, 9);
	assert_int_equal(dp_resolver_miss(&r, be, 3602 + 150), 0);
	dp_resolver_tick(&r, 3602 + 150);
	assert_int_equal(asked.n, 10);
	assert_int_equal(dp_resolver_miss(&r, be, 3602 + 160), 0); /* asked 10 ms ago */
	dp_resolver_tick(&r, 3602 + 160);
	assert_int_equal(asked.n, 10);
	assert_int_equal(dp_resolver_miss(&r, 0, 3602 + 160), -ENOSPC);
	asked.n = 7; /* as before the link came up: the counts below are from there */

	/* Answered: published, then only refreshed, on its own port, once a second. */
	assert_int_equal(dp_resolver_learn(&r, be, mac1, 0, 4000), 0);
	struct dp_neigh_table *t = dp_resolver_snapshot(&r);
	assert_non_null(t);
	assert_memory_equal(dp_neigh_lookup(t, be)->mac, mac1, 6);
	dp_neigh_table_free(t);
	assert_null(dp_resolver_snapshot(&r)); /* unchanged since */
	dp_resolver_tick(&r, 5000);
	assert_int_equal(asked.n, 7);
	dp_resolver_tick(&r, 4000 + DP_RESOLVE_REFRESH_MS);
	assert_int_equal(asked.n, 8);
	assert_int_equal(asked.port[7], 0);
	dp_resolver_tick(&r, 4000 + DP_RESOLVE_REFRESH_MS + DP_RESOLVE_FIRST_RETRY_MS);
	assert_int_equal(asked.n, 8); /* a refresh is not retried quickly */
	dp_resolver_tick(&r, 4000 + DP_RESOLVE_REFRESH_MS + DP_RESOLVE_RETRY_MS);
	assert_int_equal(asked.n, 9);

	/* The same answer again changes nothing; a new MAC is published. */
	assert_int_equal(dp_resolver_learn(&r, be, mac1, 0, 70000), 0);
	assert_null(dp_resolver_snapshot(&r));
	assert_int_equal(dp_resolver_learn(&r, be, mac2, 0, 70001), 0);
	t = dp_resolver_snapshot(&r);
	assert_non_null(t);
	assert_memory_equal(dp_neigh_lookup(t, be)->mac, mac2, 6);
	dp_neigh_table_free(t);

	/* A learned client is known but not asked for. */
	assert_int_equal(dp_resolver_learn(&r, client, mac1, 0, 70002), 0);
	assert_true(dp_resolver_find(&r, client)->known);
	assert_false(dp_resolver_find(&r, client)->wanted);
	int before = asked.n;
	dp_resolver_tick(&r, 10 * DP_RESOLVE_REFRESH_MS);
	assert_int_equal(asked.n, before + 1); /* only the backend */
	assert_null(dp_resolver_find(&r, ip4("198.18.0.99")));

	/* Full: further addresses are refused and counted. */
	for (uint32_t i = 0; i < DP_NEIGH_MAX; i++)
		dp_resolver_learn(&r, htonl(0x0a000001u + i), mac1, 0, 1);
	assert_int_equal(r.count, DP_NEIGH_MAX);
	assert_int_equal(dp_resolver_learn(&r, ip4("11.0.0.1"), mac1, 0, 1), -ENOSPC);
	assert_int_equal(dp_resolver_want(&r, ip4("11.0.0.2")), -ENOSPC);
	assert_true(r.full >= 2);
	assert_true(dp_resolver_find(&r, be)->known);
	dp_resolver_free(&r);
}

/* UDP over IPv6: headers written at an aligned and an odd address check out; bad ones do not. */
static void test_udp6_write_checks(void **state)
{
	static const char payload[] = "OPTIONS sip:x SIP/2.0\r\n\r\n!"; /* odd length */
	uint8_t src[16], dst[16];
	uint8_t hdr[DP_UDP6_HDR_LEN] __attribute__((aligned(8)));

	(void)state;
	ip6("2001:db8::10", src);
	ip6("2001:db8::21", dst);
	for (int shift = 0; shift < 2; shift++) {
		struct fake_mbuf f;
		fake_init(&f);
		f.m.data_off = (uint16_t)(RTE_PKTMBUF_HEADROOM + shift);
		memcpy(rte_pktmbuf_mtod(&f.m, char *) + DP_UDP6_HDR_LEN, payload,
		       sizeof(payload) - 1);
		dp_udp6_write(&f.m, &mac_a, &mac_b, src, 5060, dst, 5080, sizeof(payload) - 1);
		assert_int_equal(f.m.data_len, DP_UDP6_HDR_LEN + sizeof(payload) - 1);
		/* Checked through an aligned copy of the whole packet. */
		uint8_t pkt[DP_UDP6_HDR_LEN + sizeof(payload)] __attribute__((aligned(8)));
		memcpy(pkt, rte_pktmbuf_mtod(&f.m, uint8_t *), f.m.data_len);
		memcpy(hdr, pkt, sizeof(hdr));
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)pkt;
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
		uint32_t l4 = f.m.data_len - 14u - 40u;
		assert_int_equal(eth->ether_type, rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6));
		assert_true(dp_ipv6_check(ip, f.m.data_len - 14u));
		assert_int_equal(ip->proto, IPPROTO_UDP);
		assert_memory_equal(ip->src_addr, src, 16);
		assert_memory_equal(ip->dst_addr, dst, 16);
		assert_int_equal(rte_be_to_cpu_16(udp->src_port), 5060);
		assert_int_equal(rte_be_to_cpu_16(udp->dst_port), 5080);
		assert_true(dp_udp6_check(ip, udp, l4));
		assert_memory_equal((char *)(udp + 1), payload, sizeof(payload) - 1);

		/* Refused: wrong checksum, no checksum (mandatory over IPv6), length beyond the
		 * packet or below a header, fewer bytes than a header. */
		pkt[DP_UDP6_HDR_LEN + 3] ^= 0x20;
		assert_false(dp_udp6_check(ip, udp, l4));
		pkt[DP_UDP6_HDR_LEN + 3] ^= 0x20;
		uint16_t ck = udp->dgram_cksum;
		udp->dgram_cksum = 0;
		assert_false(dp_udp6_check(ip, udp, l4));
		udp->dgram_cksum = ck;
		assert_false(dp_udp6_check(ip, udp, l4 - 1));
		udp->dgram_len = rte_cpu_to_be_16(7);
		assert_false(dp_udp6_check(ip, udp, l4));
		assert_false(dp_udp6_check(ip, udp, 7));
	}
}

/* IPv6 fragments: count, headers and data of each, reassembled by hand; the fragment checks. */
static void test_ipv6_fragment(void **state)
{
	static uint8_t frame[14 + 40 + 8 + 3000];
	static uint8_t out[1600 + 1];
	static uint8_t whole[sizeof(frame)];
	uint8_t hdr[48] __attribute__((aligned(8)));
	uint8_t src[16], dst[16];
	struct {
		struct rte_mbuf m;
		uint8_t buf[4096 + RTE_PKTMBUF_HEADROOM];
	} f;
	const uint32_t payload_len = 8 + 3000;

	(void)state;
	ip6("2001:db8::10", src);
	ip6("2001:db8::21", dst);
	memset(&f, 0, sizeof(f));
	f.m.buf_addr = f.buf;
	f.m.buf_len = sizeof(f.buf);
	f.m.data_off = RTE_PKTMBUF_HEADROOM;
	f.m.nb_segs = 1;
	uint8_t *p = rte_pktmbuf_mtod(&f.m, uint8_t *) + DP_UDP6_HDR_LEN;
	for (uint32_t i = 0; i < 3000; i++)
		p[i] = (uint8_t)('a' + i % 26);
	dp_udp6_write(&f.m, &mac_a, &mac_b, src, 5060, dst, 5080, 3000);
	memcpy(frame, rte_pktmbuf_mtod(&f.m, uint8_t *), sizeof(frame));

	/* 1500: 1448 data bytes per fragment (1500 - 40 - 8, a multiple of 8). */
	assert_int_equal(dp_ipv6_frag_count(payload_len, 1500), 3);
	assert_int_equal(dp_ipv6_frag_count(payload_len, DP_IPV6_MIN_MTU), 3);
	assert_int_equal(dp_ipv6_frag_count(payload_len, 40 + payload_len), 1);
	assert_int_equal(dp_ipv6_frag_count(payload_len, 55), 0); /* no room for 8 bytes */
	assert_int_equal(dp_ipv6_frag_count(payload_len, 56), 376);

	memcpy(whole, frame, 14 + 40);
	uint32_t got = 0;
	for (uint32_t k = 0; k < 3; k++) {
		uint32_t len = dp_ipv6_frag_write(out + 1, frame, 1500, k, 0x01020304);
		assert_true(len <= 14 + 1500);
		assert_memory_equal(out + 1, frame, 14);
		memcpy(hdr, out + 1 + 14, sizeof(hdr));
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)hdr;
		struct rte_ipv6_fragment_ext *fh = (struct rte_ipv6_fragment_ext *)(ip + 1);
		assert_true(dp_ipv6_check(ip, len - 14));
		assert_int_equal(ip->proto, IPPROTO_FRAGMENT);
		assert_memory_equal(ip->src_addr, src, 16);
		assert_int_equal(fh->next_header, IPPROTO_UDP);
		assert_int_equal(rte_be_to_cpu_32(fh->id), 0x01020304);
		assert_int_equal(dp_ipv6_frag_offset(fh), got);
		assert_int_equal(dp_ipv6_frag_more(fh), k < 2);
		uint32_t data = len - 14 - 40 - 8;
		assert_int_equal(rte_be_to_cpu_16(ip->payload_len), 8 + data);
		assert_true(dp_ipv6_frag_check(fh, data));
		memcpy(whole + 14 + 40 + got, out + 1 + 14 + 48, data);
		got += data;
	}
	assert_int_equal(got, payload_len);
	assert_memory_equal(whole + 54, frame + 54, got);

	/* The checks: empty, a non-last one not a multiple of 8, beyond 64 KiB. */
	struct rte_ipv6_fragment_ext fh = {.next_header = IPPROTO_UDP};
	fh.frag_data = rte_cpu_to_be_16(1); /* offset 0, M */
	assert_true(dp_ipv6_frag_check(&fh, 16));
	assert_false(dp_ipv6_frag_check(&fh, 15));
	assert_false(dp_ipv6_frag_check(&fh, 0));
	fh.frag_data = rte_cpu_to_be_16(800); /* last, offset 800: any length */
	assert_true(dp_ipv6_frag_check(&fh, 15));
	fh.frag_data = rte_cpu_to_be_16(0xfff8); /* offset 65528 */
	assert_true(dp_ipv6_frag_check(&fh, 7));
	assert_false(dp_ipv6_frag_check(&fh, 8));
}

/* Our Neighbor Solicitation, and the Advertisements we learn from. */
static void test_nd_ns_na(void **state)
{
	struct fake_mbuf f;
	uint8_t vip[16], be[16], group[16], target[16];
	uint8_t frame[DP_ND_NS_LEN + 1];
	bool has_mac;
	struct rte_ether_addr mac;

	(void)state;
	ip6("2001:db8::10", vip);
	ip6("2001:db8::21", be);
	/* Written at an odd address, checked as a received one. */
	assert_int_equal(dp_nd_ns_write(frame + 1, &mac_b, vip, be), DP_ND_NS_LEN);
	fake_init(&f);
	memcpy(rte_pktmbuf_mtod(&f.m, uint8_t *), frame + 1, DP_ND_NS_LEN);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(&f.m, struct rte_ether_hdr *);
	struct dp_ipv6_pkt p = {.eth = eth, .ip = (struct rte_ipv6_hdr *)(eth + 1)};
	p.l4 = (uint8_t *)(p.ip + 1);
	p.l4_len = rte_be_to_cpu_16(p.ip->payload_len);
	assert_true(dp_ipv6_check(p.ip, DP_ND_NS_LEN - 14));
	dp_ipv6_solicited_node(be, group);
	assert_memory_equal(p.ip->dst_addr, group, 16);
	static const struct rte_ether_addr want_mc = {{0x33, 0x33, 0xff, 0x00, 0x00, 0x21}};
	assert_memory_equal(&eth->dst_addr, &want_mc, 6);
	assert_memory_equal(&eth->src_addr, &mac_b, 6);
	assert_memory_equal(p.ip->src_addr, vip, 16);
	assert_true(dp_nd_ns_parse(&p, target, &has_mac, &mac));
	assert_memory_equal(target, be, 16);
	assert_true(has_mac);
	assert_memory_equal(&mac, &mac_b, 6);
	assert_false(dp_nd_na_parse(&p, target, &has_mac, &mac)); /* a solicitation */

	/* Our unsolicited NA for the VIP (at an odd address): all-nodes, override only. */
	assert_int_equal(dp_nd_una_write(frame + 1, &mac_b, vip), DP_ND_UNA_LEN);
	fake_init(&f);
	memcpy(rte_pktmbuf_mtod(&f.m, uint8_t *), frame + 1, DP_ND_UNA_LEN);
	eth = rte_pktmbuf_mtod(&f.m, struct rte_ether_hdr *);
	p = (struct dp_ipv6_pkt){.eth = eth, .ip = (struct rte_ipv6_hdr *)(eth + 1)};
	p.l4 = (uint8_t *)(p.ip + 1);
	p.l4_len = rte_be_to_cpu_16(p.ip->payload_len);
	assert_true(dp_ipv6_check(p.ip, DP_ND_UNA_LEN - 14));
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	static const struct rte_ether_addr all_nodes_mac = {{0x33, 0x33, 0, 0, 0, 1}};
	assert_memory_equal(p.ip->dst_addr, all_nodes, 16);
	assert_memory_equal(&eth->dst_addr, &all_nodes_mac, 6);
	assert_memory_equal(p.ip->src_addr, vip, 16);
	assert_int_equal(p.ip->hop_limits, 255);
	assert_int_equal(p.l4[4], 0x20); /* override, neither solicited nor router */
	assert_true(dp_nd_na_parse(&p, target, &has_mac, &mac));
	assert_memory_equal(target, vip, 16);
	assert_true(has_mac);
	assert_memory_equal(&mac, &mac_b, 6);
	assert_false(dp_nd_ns_parse(&p, target, &has_mac, &mac)); /* an advertisement */

	/* NA for 2001:db8::21 at mac_a (solicited, override, target link-layer option). */
	uint8_t na[32] = {DP_ND_NA, 0, 0, 0, 0x60};
	memcpy(na + 8, be, 16);
	na[24] = DP_ND_OPT_TGT_LLADDR;
	na[25] = 1;
	memcpy(na + 26, mac_a.addr_bytes, 6);
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 255, na, 32);
	assert_true(dp_nd_na_parse(&p, target, &has_mac, &mac));
	assert_memory_equal(target, be, 16);
	assert_true(has_mac);
	assert_memory_equal(&mac, &mac_a, 6);
	/* Without the option: sound, no MAC. */
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 255, na, 24);
	assert_true(dp_nd_na_parse(&p, target, &has_mac, &mac));
	assert_false(has_mac);
	/* Refused: forwarded (hop limit), bad checksum, short, code, zero-length option. */
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 254, na, 32);
	assert_false(dp_nd_na_parse(&p, target, &has_mac, &mac));
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 255, na, 32);
	p.l4[12] ^= 1;
	assert_false(dp_nd_na_parse(&p, target, &has_mac, &mac));
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 255, na, 23);
	assert_false(dp_nd_na_parse(&p, target, &has_mac, &mac));
	na[1] = 1;
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 255, na, 32);
	assert_false(dp_nd_na_parse(&p, target, &has_mac, &mac));
	na[1] = 0;
	na[25] = 0;
	p = build_icmp6(&f, "2001:db8::21", "2001:db8::10", 255, na, 32);
	assert_false(dp_nd_na_parse(&p, target, &has_mac, &mac));
}

/* The IPv6 VIP's prefix: on-link or not, at byte and bit boundaries; never the VIP itself. */
static void test_on_link6(void **state)
{
	struct dp_ctx *ctx = calloc(1, sizeof(*ctx));
	uint8_t a[16];

	(void)state;
	assert_non_null(ctx);
	ip6("2001:db8::1", a);
	assert_false(dp_on_link6(ctx, a)); /* no IPv6 VIP */
	ctx->has_vip6 = true;
	ip6("2001:db8::10", ctx->vip6);
	ctx->vip6_len = 64;
	assert_true(dp_on_link6(ctx, a));
	assert_false(dp_on_link6(ctx, ctx->vip6));
	ip6("2001:db8:0:1::1", a);
	assert_false(dp_on_link6(ctx, a));
	ctx->vip6_len = 63; /* 2001:db8:0:0/63 holds 2001:db8:0:1::/64 */
	assert_true(dp_on_link6(ctx, a));
	ip6("2001:db8:0:2::1", a);
	assert_false(dp_on_link6(ctx, a));
	ctx->vip6_len = 128;
	ip6("2001:db8::11", a);
	assert_false(dp_on_link6(ctx, a));
	free(ctx);
}

/* IPv6 snapshots and the resolver's IPv6 table: asked, learned, published, refused. */
struct asked6 {
	int n;
	uint8_t ip[16][16];
	uint16_t port[16];
	void *arg;
};

static void record_ask6(void *arg, const uint8_t ip[16], uint16_t port)
{
	struct asked6 *a = arg;

	if (a->n < 16) {
		memcpy(a->ip[a->n], ip, 16);
		a->port[a->n] = port;
	}
	a->n++;
}

static void ignore_ask(void *arg, uint32_t ip, uint16_t port)
{
	(void)arg;
	(void)ip;
	(void)port;
}

static void test_resolver6(void **state)
{
	struct dp_resolver r;
	struct asked6 asked = {0};
	const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1}, mac2[6] = {2, 0, 0, 0, 0, 2};
	uint8_t be[16], client[16], zero[16] = {0}, other[16];

	(void)state;
	ip6("2001:db8::21", be);
	ip6("2001:db8::1", client);
	ip6("2001:db8::99", other);
	assert_int_equal(dp_resolver_init(&r, ignore_ask, &asked), 0);
	assert_int_equal(dp_resolver_want6(&r, be), 0);
	dp_resolver_tick(&r, 1); /* no ask6 set yet: nothing asked */
	assert_int_equal(asked.n, 0);
	dp_resolver_set_ask6(&r, record_ask6);
	assert_int_equal(dp_resolver_want6(&r, be), 0); /* idempotent */
	assert_int_equal(dp_resolver_want6(&r, zero), -ENOSPC);
	dp_resolver_tick(&r, 2);
	assert_int_equal(asked.n, 1);
	assert_memory_equal(asked.ip[0], be, 16);
	assert_int_equal(asked.port[0], UINT16_MAX);
	dp_resolver_tick(&r, 2 + DP_RESOLVE_FIRST_RETRY_MS - 1);
	assert_int_equal(asked.n, 1);
	dp_resolver_tick(&r, 2 + DP_RESOLVE_FIRST_RETRY_MS); /* retried quickly */
	assert_int_equal(asked.n, 2);
	dp_resolver_tick(&r, 2 + 3 * DP_RESOLVE_FIRST_RETRY_MS - 1);
	assert_int_equal(asked.n, 2);
	dp_resolver_tick(&r, 2 + 3 * DP_RESOLVE_FIRST_RETRY_MS); /* then after twice as long */
	assert_int_equal(asked.n, 3);
	assert_null(dp_resolver_snapshot6(&r));
	assert_null(dp_resolver_snapshot(&r)); /* the IPv4 table is apart */

	assert_int_equal(dp_resolver_learn6(&r, be, mac1, 0, 2000), 0);
	assert_int_equal(dp_resolver_learn6(&r, client, mac2, 0, 2000), 0);
	assert_int_equal(dp_resolver_learn6(&r, zero, mac2, 0, 2000), -ENOSPC);
	assert_true(dp_resolver_find6(&r, client)->known);
	assert_false(dp_resolver_find6(&r, client)->wanted);
	assert_null(dp_resolver_find6(&r, other));
	assert_null(dp_resolver_find6(&r, zero));
	struct dp_neigh6_table *t = dp_resolver_snapshot6(&r);
	assert_non_null(t);
	assert_int_equal(t->count, 2);
	assert_memory_equal(dp_neigh6_lookup(t, be)->mac, mac1, 6);
	assert_memory_equal(dp_neigh6_lookup(t, client)->mac, mac2, 6);
	assert_null(dp_neigh6_lookup(t, other));
	assert_null(dp_resolver_snapshot6(&r)); /* unchanged since */

	/* Published through RCU, replaced, taken down. */
	struct dp_neigh6_slot slot = {0};
	rcu_register_thread();
	dp_neigh6_publish(&slot, t);
	assert_ptr_equal(dp_neigh6_current(&slot), t);
	dp_resolver_tick(&r, 2000 + DP_RESOLVE_REFRESH_MS); /* refresh where it lives */
	assert_int_equal(asked.n, 4);
	assert_int_equal(asked.port[3], 0);
	assert_int_equal(dp_resolver_learn6(&r, be, mac2, 1, 70000), 0);
	dp_neigh6_publish(&slot, dp_resolver_snapshot6(&r));
	const struct dp_neigh6 *n = dp_neigh6_lookup(dp_neigh6_current(&slot), be);
	assert_memory_equal(n->mac, mac2, 6);
	assert_int_equal(n->port, 1);
	dp_neigh6_publish(&slot, NULL);
	rcu_thread_offline();
	rcu_barrier();
	rcu_thread_online();
	rcu_unregister_thread();

	/* Full: refused and counted; entries that differ only in their upper bytes stay apart. */
	uint8_t a[16];
	ip6("2001:db8::", a);
	for (uint32_t i = 0; i < DP_NEIGH_MAX; i++) {
		a[12] = (uint8_t)(i >> 8);
		a[13] = (uint8_t)i;
		a[15] = 1;
		dp_resolver_learn6(&r, a, mac1, 0, 1);
	}
	assert_int_equal(r.v6.count, DP_NEIGH_MAX);
	assert_int_equal(dp_resolver_learn6(&r, other, mac1, 0, 1), -ENOSPC);
	assert_int_equal(dp_resolver_want6(&r, other), -ENOSPC);
	assert_true(r.v6.full >= 2);
	assert_true(dp_resolver_find6(&r, be)->known);
	t = dp_resolver_snapshot6(&r);
	assert_non_null(t);
	assert_int_equal(t->count, DP_NEIGH_MAX);
	dp_neigh6_table_free(t);
	dp_resolver_free(&r);
}

/* A probe built naming the IPv4 VIP, rewritten for an IPv6 backend: Via, From, Call-ID only. */
static void test_probe_rehost(void **state)
{
	struct ctl_probe_cfg pcfg = {
	    .interval_ns = 1000000000u, .timeout_ns = 200000000u, .down_after = 3, .up_after = 2};
	struct lb_addr be;
	struct ctl_probe_send due[4];
	char text[CTL_PROBE_MAX_LEN + 1], out[CTL_PROBE_MAX_LEN + 64];

	(void)state;
	assert_int_equal(lb_addr_parse("198.18.0.10:5060", 5060, &pcfg.self), 0);
	struct ctl_prober *p = ctl_prober_create(&pcfg);
	assert_non_null(p);
	assert_int_equal(lb_addr_parse("[2001:db8::21]:5060", 5060, &be), 0);
	assert_int_equal(ctl_probe_add(p, 1, &be, 1), 0);
	assert_int_equal(ctl_probe_tick(p, 1, due, 4), 1);
	int len = ctl_probe_build(p, &due[0], text, sizeof(text) - 1);
	assert_true(len > 0);
	text[len] = '\0';
	int n = dp_probe_rehost(text, len, "198.18.0.10", "[2001:db8::10]", out, sizeof(out) - 1);
	assert_int_equal(n, len + 3 * (int)(strlen("[2001:db8::10]") - strlen("198.18.0.10")));
	out[n] = '\0';
	assert_true(strncmp(out, "OPTIONS sip:[2001:db8::21]:5060 SIP/2.0\r\n", 41) == 0);
	assert_non_null(
	    strstr(out, "\r\nVia: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bK-ssp-"));
	assert_non_null(strstr(out, "\r\nFrom: <sip:sipsteer@[2001:db8::10]>;tag="));
	assert_non_null(strstr(out, "@[2001:db8::10]\r\nCSeq: 1 OPTIONS\r\n"));
	assert_non_null(strstr(out, "\r\nTo: <sip:[2001:db8::21]:5060>\r\n"));
	assert_null(strstr(out, "198.18.0.10"));
	/* The signed branch is kept as it was. */
	const char *branch = strstr(text, "branch=");
	assert_non_null(branch);
	size_t blen = strcspn(branch, "\r;");
	char want[128];
	assert_true(blen < sizeof(want));
	memcpy(want, branch, blen);
	want[blen] = '\0';
	assert_non_null(strstr(out, want));
	/* Too small for the result: refused, never cut. */
	assert_int_equal(
	    dp_probe_rehost(text, len, "198.18.0.10", "[2001:db8::10]", out, (size_t)n - 1),
	    -ENOSPC);
	assert_int_equal(
	    dp_probe_rehost(text, len, "198.18.0.10", "[2001:db8::10]", out, (size_t)n), n);
	/* Nothing to replace: a copy. */
	assert_int_equal(
	    dp_probe_rehost(text, len, "203.0.113.1", "[2001:db8::10]", out, sizeof(out)), len);
	assert_memory_equal(out, text, (size_t)len);
	ctl_prober_free(p);
}

static bool has_arg(const struct dp_eal_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return true;
	return false;
}

static int arg_index(const struct dp_eal_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return i;
	return -1;
}

static void eal_cfg(struct ctl_config *cfg, uint32_t workers)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = workers;
	cfg->n_ports = 1;
	snprintf(cfg->ports[0].name, sizeof(cfg->ports[0].name), "lan0");
	snprintf(cfg->ports[0].device, sizeof(cfg->ports[0].device), "net_tap0,iface=sst0");
}

static void test_eal_args_defaults(void **state)
{
	struct ctl_config cfg;
	struct dp_eal_args a;
	const int cpus[] = {0, 1};

	(void)state;
	eal_cfg(&cfg, 3);
	assert_int_equal(dp_eal_args_build(&cfg, 0, NULL, 4242, cpus, 2, &a), 0);
	assert_string_equal(a.argv[0], "sipsteer");
	assert_null(a.argv[a.argc]);
	assert_true(has_arg(&a, "--file-prefix=sipsteer-4242"));
	assert_true(has_arg(&a, "--no-huge"));
	int m = arg_index(&a, "-m");
	assert_true(m > 0);
	assert_string_equal(a.argv[m + 1], "512");
	int vdev = arg_index(&a, "--vdev");
	assert_true(vdev > 0);
	assert_string_equal(a.argv[vdev + 1], "net_tap0,iface=sst0");
	assert_true(has_arg(&a, "--no-pci"));
	/* Four lcores on two CPUs: wrap around. */
	assert_true(has_arg(&a, "--lcores=0@0,1@1,2@0,3@1"));
	assert_true(has_arg(&a, "--log-level=lib.eal:notice"));
	dp_eal_args_free(&a);

	/* One CPU: everything on it. */
	const int one[] = {3};
	eal_cfg(&cfg, 1);
	assert_int_equal(dp_eal_args_build(&cfg, 0, NULL, 1, one, 1, &a), 0);
	assert_true(has_arg(&a, "--lcores=0@3,1@3"));
	dp_eal_args_free(&a);
}

static void test_eal_args_overrides(void **state)
{
	struct ctl_config cfg;
	struct dp_eal_args a;
	const int cpus[] = {0, 1};
	char *user[] = {"--huge", "--file-prefix=mine", "-l", "0-1", "--log-level=lib.eal:debug"};
	char *cfg_args[] = {"--socket-mem=256"};

	(void)state;
	eal_cfg(&cfg, 1);
	cfg.n_eal_args = 1;
	cfg.eal_args[0] = cfg_args[0];
	assert_int_equal(dp_eal_args_build(&cfg, 5, user, 7, cpus, 2, &a), 0);
	assert_false(has_arg(&a, "--huge")); /* ours, not the EAL's */
	assert_false(has_arg(&a, "--no-huge"));
	assert_false(has_arg(&a, "-m"));
	assert_false(has_arg(&a, "--file-prefix=sipsteer-7"));
	assert_true(has_arg(&a, "--file-prefix=mine"));
	assert_false(has_arg(&a, "--lcores=0@0,1@1"));
	/* Config arguments come before the operator's, which come last. */
	assert_true(arg_index(&a, "--socket-mem=256") < arg_index(&a, "-l"));
	assert_string_equal(a.argv[a.argc - 1], "--log-level=lib.eal:debug");
	assert_true(arg_index(&a, "--log-level=lib.eal:notice") <
	            arg_index(&a, "--log-level=lib.eal:debug"));
	dp_eal_args_free(&a);

	/* Each memory default decided alone: hugepage-only options drop --no-huge (the EAL
	 * refuses the pair), an amount of memory drops -m 512. */
	struct {
		char *arg;
		bool no_huge, m512;
	} mem[] = {
	    {"--socket-mem=256", false, false},
	    {"--socket-limit=512", false, true},
	    {"--huge-dir=/mnt/huge", false, true},
	    {"-m", true, false},
	    {"-m1024", true, false},
	    {"--no-huge", true, true},
	};
	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		eal_cfg(&cfg, 1);
		assert_int_equal(dp_eal_args_build(&cfg, 1, &mem[i].arg, 7, cpus, 2, &a), 0);
		int no_huge = 0;
		for (int k = 0; k < a.argc; k++)
			no_huge += strcmp(a.argv[k], "--no-huge") == 0;
		assert_int_equal(no_huge, mem[i].no_huge ? 1 : 0);
		int m = arg_index(&a, "-m");
		bool ours = m > 0 && m + 1 < a.argc && strcmp(a.argv[m + 1], "512") == 0;
		assert_int_equal(ours, mem[i].m512);
		dp_eal_args_free(&a);
	}

	/* A PCI port: -a, and no --no-pci. */
	eal_cfg(&cfg, 1);
	snprintf(cfg.ports[0].device, sizeof(cfg.ports[0].device), "0000:01:00.0");
	assert_int_equal(dp_eal_args_build(&cfg, 0, NULL, 7, cpus, 2, &a), 0);
	int allow = arg_index(&a, "-a");
	assert_true(allow > 0);
	assert_string_equal(a.argv[allow + 1], "0000:01:00.0");
	assert_false(has_arg(&a, "--no-pci"));
	assert_false(has_arg(&a, "--vdev"));
	dp_eal_args_free(&a);

	/* Too many arguments. */
	char *lots[DP_EAL_MAX_ARGS];
	for (int i = 0; i < DP_EAL_MAX_ARGS; i++)
		lots[i] = "--no-telemetry";
	assert_int_equal(dp_eal_args_build(&cfg, DP_EAL_MAX_ARGS, lots, 7, cpus, 2, &a), -E2BIG);
}

static void test_device_is_pci(void **state)
{
	static const struct {
		const char *device;
		bool pci;
	} cases[] = {
	    {"0000:01:00.0", true},
	    {"01:00.1", true},
	    {"0000:af:1f.7", true},
	    {"net_tap0", false},
	    {"net_tap0,iface=sst0", false},
	    {"net_memif0", false},
	    {"0000:01:00", false},
	    {"", false},
	    {"eth0", false},
	    {"0000:01:00.0,x=1", true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (ctl_device_is_pci(cases[i].device) != cases[i].pci)
			fail_msg("'%s': expected %s", cases[i].device,
			         cases[i].pci ? "PCI" : "vdev");
	}
}

static void test_drop_names(void **state)
{
	(void)state;
	dp_drop_names_init();
	assert_string_equal(dp_drop_name(DP_DROP_NOT_IPV4), "not_ipv4");
	assert_string_equal(dp_drop_name(DP_DROP_NEIGH_MISS), "neigh_miss");
	assert_string_equal(dp_drop_name(DP_DROP_TX_FULL), "tx_full");
	assert_string_equal(dp_drop_name(dp_drop_sip(SIP_ERR_NO_CALL_ID)), "sip_no_call_id");
	assert_string_equal(dp_drop_name(dp_drop_sip(SIP_ERR_INCOMPLETE)), "sip_incomplete");
	assert_string_equal(dp_drop_name(dp_drop_proxy(DP_SIP_ERR_NOT_OUR_VIA)),
	                    "proxy_not_our_via");
	assert_string_equal(dp_drop_name(DP_DROP_COUNT), "unknown");
	/* Out-of-range errors map to a real reason, never past the array. */
	assert_int_equal(dp_drop_sip((enum sip_err)SIP_ERR_COUNT), dp_drop_sip(SIP_ERR_START_LINE));
	assert_int_equal(dp_drop_proxy((enum dp_sip_err)0), dp_drop_proxy(DP_SIP_ERR_NO_ROOM));

	/* Every name is non-empty, lowercase and unique; every reason has a text. */
	for (int d = 0; d < DP_DROP_COUNT; d++) {
		const char *name = dp_drop_name((enum dp_drop)d);
		assert_true(name[0] != '\0');
		for (const char *c = name; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
			            *c == '_');
		assert_true(dp_drop_text((enum dp_drop)d)[0] != '\0');
		/* Probe replies are handed to the control thread (probe_replies), not dropped. */
		assert_string_not_equal(name, "probe_reply");
		for (int e = 0; e < d; e++)
			if (strcmp(name, dp_drop_name((enum dp_drop)e)) == 0)
				fail_msg("drop reason '%s' twice", name);
	}
}

static void test_reply_slots(void **state)
{
	(void)state;
	assert_string_equal(dp_reply_name(dp_reply_slot(400)), "400");
	assert_string_equal(dp_reply_name(dp_reply_slot(483)), "483");
	assert_string_equal(dp_reply_name(dp_reply_slot(503)), "503");
	assert_string_equal(dp_reply_name(dp_reply_slot(505)), "505");
	assert_int_equal(dp_reply_slot(486), DP_REPLY_OTHER);
	assert_string_equal(dp_reply_name(DP_REPLY_OTHER), "other");
}

static void test_cli(void **state)
{
	struct dp_cli cli;
	char *ok[] = {"sipsteer", "--config",    "a.yaml",   "--stats-file", "/tmp/s.json",
	              "--check",  "--log-level", "debug",    "--",           "-l",
	              "0-1",      "--vdev",      "net_null0"};
	char *no_eal[] = {"sipsteer", "-c", "b.yaml"};
	char *stray[] = {"sipsteer", "b.yaml"};
	char *bad_level[] = {"sipsteer", "--log-level", "chatty"};

	(void)state;
	assert_int_equal(dp_cli_parse(13, ok, &cli), 0);
	assert_string_equal(cli.config, "a.yaml");
	assert_string_equal(cli.stats_file, "/tmp/s.json");
	assert_string_equal(cli.log_level, "debug");
	assert_true(cli.check);
	assert_int_equal(cli.eal_argc, 4);
	assert_string_equal(cli.eal_argv[0], "-l");
	assert_string_equal(cli.eal_argv[3], "net_null0");

	assert_int_equal(dp_cli_parse(3, no_eal, &cli), 0);
	assert_string_equal(cli.config, "b.yaml");
	assert_int_equal(cli.eal_argc, 0);
	assert_false(cli.check);

	assert_int_equal(dp_cli_parse(2, stray, &cli), -1);
	assert_int_equal(dp_cli_parse(3, bad_level, &cli), -1);
}

/* dp_raw_cksum is the worker's checksum sum (AVX2 where the CPU has it, else the portable loop):
 * the same value as DPDK's rte_raw_cksum for every length and start alignment. */
static void test_raw_cksum_matches_dpdk(void **state)
{
	(void)state;
	static uint8_t buf[2048 + 16];
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 2048; len++) {
			uint16_t want = rte_raw_cksum(buf + off, len);
			/* the vector loop where the CPU has one, and the portable one */
			assert_int_equal(dp_raw_cksum(buf + off, len), want);
			assert_int_equal(dp_raw_cksum_scalar(buf + off, len), want);
		}
	/* The inline sum for headers and addresses, on the lengths it gets and more. */
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 80; len++)
			assert_int_equal(dp_sum16_small(buf + off, len),
			                 rte_raw_cksum(buf + off, len));
	/* All ones: the end-around carry must fold back. */
	memset(buf, 0xff, sizeof(buf));
	for (size_t len = 0; len <= 2048; len++) {
		assert_int_equal(dp_raw_cksum(buf + 1, len), rte_raw_cksum(buf + 1, len));
		assert_int_equal(dp_raw_cksum_scalar(buf + 1, len), rte_raw_cksum(buf + 1, len));
	}
}

/* A probe reply's arrival stamp: in the 8 bytes before the message, read back on the control
 * thread's clock. */
static void test_probe_stamp(void **state)
{
	struct fake_mbuf f;

	(void)state;
	fake_init(&f);
	char *payload = rte_pktmbuf_mtod(&f.m, char *) + DP_UDP4_HDR_LEN;
	memcpy(payload, "SIP/2.0 200 OK\r\n", 16);
	dp_probe_stamp_write(payload, 0x0123456789abcdefull);
	assert_memory_equal(payload, "SIP/2.0 200 OK\r\n", 16); /* the message untouched */
	f.m.data_off = (uint16_t)(payload - (char *)f.m.buf_addr);
	assert_true(dp_probe_stamp_read(&f.m) == 0x0123456789abcdefull);

	/* 2 GHz: 3,000,000 ticks are 1.5 ms before now. */
	const uint64_t hz = 2000000000u, now = 50000000000ull, tsc = 900000000000ull;
	assert_true(dp_probe_arrival_ns(now, tsc, tsc - 3000000u, hz) == now - 1500000u);
	assert_true(dp_probe_arrival_ns(now, tsc, tsc - 1u, hz) == now);      /* 0.5 ns */
	assert_true(dp_probe_arrival_ns(now, tsc, tsc - 3u, hz) == now - 1u); /* 1.5 ns */
	/* Many seconds of ticks (no overflow in the product), at a frequency not a power of ten. */
	assert_true(dp_probe_arrival_ns(now, tsc, tsc - 10u * 2994373000ull, 2994373000ull) ==
	            now - 10000000000ull);
	/* A stamp at or after now (another core's TSC ahead), no frequency, an age beyond the
	 * clock: never a time after now, never below 0. */
	assert_true(dp_probe_arrival_ns(now, tsc, tsc, hz) == now);
	assert_true(dp_probe_arrival_ns(now, tsc, tsc + 5u, hz) == now);
	assert_true(dp_probe_arrival_ns(now, tsc, tsc - 5u, 0) == now);
	assert_true(dp_probe_arrival_ns(1000u, tsc, 0, hz) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_stamp),
	    cmocka_unit_test(test_raw_cksum_matches_dpdk),
	    cmocka_unit_test(test_udp4_write_checks),
	    cmocka_unit_test(test_udp4_write_unaligned),
	    cmocka_unit_test(test_ipv4_check_bad),
	    cmocka_unit_test(test_udp_check_bad),
	    cmocka_unit_test(test_ipv4_fragment),
	    cmocka_unit_test(test_ipv6_nd_echo),
	    cmocka_unit_test(test_udp6_write_checks),
	    cmocka_unit_test(test_ipv6_fragment),
	    cmocka_unit_test(test_nd_ns_na),
	    cmocka_unit_test(test_on_link6),
	    cmocka_unit_test(test_resolver6),
	    cmocka_unit_test(test_probe_rehost),
	    cmocka_unit_test(test_icmp_echo),
	    cmocka_unit_test(test_arp),
	    cmocka_unit_test(test_neigh_table),
	    cmocka_unit_test(test_neigh_publish),
	    cmocka_unit_test(test_resolver),
	    cmocka_unit_test(test_eal_args_defaults),
	    cmocka_unit_test(test_eal_args_overrides),
	    cmocka_unit_test(test_device_is_pci),
	    cmocka_unit_test(test_drop_names),
	    cmocka_unit_test(test_reply_slots),
	    cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
