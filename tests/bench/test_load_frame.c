/* SPDX-License-Identifier: BSD-3-Clause */
/* Frames of sipsteer-bench load --dpdk: built and parsed back, and every bad frame refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "load_frame.h"

static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x10};
static const char sip[] = "OPTIONS sip:b@198.18.0.10 SIP/2.0\r\nContent-Length: 0\r\n\r\n";

static struct sockaddr_in addr(const char *ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

static size_t udp_frame(uint8_t *buf, size_t cap, const char *payload, size_t len)
{
	struct sockaddr_in src = addr("198.18.0.1", 5070), dst = addr("198.18.0.10", 5060);

	return load_frame_udp(buf, cap, mac_a, mac_b, &src, &dst, payload, len, 7);
}

/* The IPv4 header checksum, recomputed after an edit. */
static void fix_ip_cksum(uint8_t *f)
{
	uint32_t sum = 0;

	f[24] = f[25] = 0;
	for (int i = 14; i < 34; i += 2)
		sum += (uint32_t)(f[i] << 8 | f[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	f[24] = (uint8_t)(~sum >> 8);
	f[25] = (uint8_t)~sum;
}

static void test_udp_roundtrip(void **state)
{
	uint8_t buf[2048];
	struct load_frame f;
	size_t len = udp_frame(buf, sizeof(buf), sip, strlen(sip));

	(void)state;
	assert_int_equal(len, LOAD_FRAME_HDR + strlen(sip));
	assert_int_equal(load_frame_parse(buf, len, &f), LOAD_FRAME_UDP);
	assert_memory_equal(f.src_mac, mac_a, 6);
	assert_memory_equal(f.dst_mac, mac_b, 6);
	assert_int_equal(ntohs(f.src.sin_port), 5070);
	assert_int_equal(ntohs(f.dst.sin_port), 5060);
	assert_int_equal(f.src.sin_addr.s_addr, addr("198.18.0.1", 0).sin_addr.s_addr);
	assert_int_equal(f.dst.sin_addr.s_addr, addr("198.18.0.10", 0).sin_addr.s_addr);
	assert_int_equal(f.payload_len, strlen(sip));
	assert_memory_equal(f.payload, sip, strlen(sip));
	assert_ptr_equal(f.payload, (const char *)buf + LOAD_FRAME_HDR);
	/* Ethernet padding after the datagram is not payload */
	memset(buf + len, 0xee, 20);
	assert_int_equal(load_frame_parse(buf, len + 20, &f), LOAD_FRAME_UDP);
	assert_int_equal(f.payload_len, strlen(sip));
}

static void test_udp_short_payload_padded(void **state)
{
	uint8_t buf[128];
	struct load_frame f;
	size_t len = udp_frame(buf, sizeof(buf), "x", 1);

	(void)state;
	assert_int_equal(len, LOAD_FRAME_MIN);
	assert_int_equal(load_frame_parse(buf, len, &f), LOAD_FRAME_UDP);
	assert_int_equal(f.payload_len, 1);
}

static void test_udp_too_big(void **state)
{
	static char big[LOAD_FRAME_MAX_PAYLOAD + 1];
	static uint8_t buf[4096];

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(udp_frame(buf, sizeof(buf), big, sizeof(big)), 0);
	assert_int_equal(udp_frame(buf, sizeof(buf), big, sizeof(big) - 1),
	                 LOAD_FRAME_HDR + LOAD_FRAME_MAX_PAYLOAD);
	/* the caller's buffer too small */
	assert_int_equal(udp_frame(buf, LOAD_FRAME_HDR + 10, big, 11), 0);
	assert_int_equal(udp_frame(buf, LOAD_FRAME_MIN - 1, "x", 1), 0);
}

/* Each edit of a good frame that must make it BAD (offset, new byte, fix the IP checksum). */
static void test_udp_bad_frames(void **state)
{
	static const struct {
		const char *what;
		size_t off;
		uint8_t value;
		int fix_ip;
	} cases[] = {
	    {"IP checksum", 24, 0x00, 0},
	    {"UDP checksum", 40, 0x00, 1},
	    {"payload byte (UDP checksum)", 50, 'Z', 0},
	    {"IP version 6 in an IPv4 frame", 14, 0x65, 1},
	    {"IHL below 5", 14, 0x44, 1},
	    {"more fragments", 20, 0x20, 1},
	    {"fragment offset", 21, 0x10, 1},
	    {"TCP", 23, 6, 1},
	    {"total length beyond the frame", 16, 0x40, 1},
	    {"UDP length beyond the datagram", 38, 0x40, 0},
	    {"UDP length below its header", 38, 0x00, 0},
	};
	uint8_t good[2048], buf[2048];
	struct load_frame f;
	size_t len = udp_frame(good, sizeof(good), sip, strlen(sip));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, good, len);
		buf[cases[i].off] = cases[i].value;
		if (cases[i].off == 38)
			buf[39] = 4; /* UDP length 4 or 0x4004 */
		if (cases[i].fix_ip)
			fix_ip_cksum(buf);
		if (load_frame_parse(buf, len, &f) != LOAD_FRAME_BAD)
			fail_msg("%s: not refused", cases[i].what);
	}
	/* no UDP checksum (0) is allowed (RFC 768) */
	memcpy(buf, good, len);
	buf[40] = buf[41] = 0;
	assert_int_equal(load_frame_parse(buf, len, &f), LOAD_FRAME_UDP);
	/* every truncation of the frame is refused, never read beyond */
	for (size_t n = 0; n < len; n++)
		if (load_frame_parse(good, n, &f) != LOAD_FRAME_BAD)
			fail_msg("frame cut at %zu bytes: not refused", n);
}

static void test_other_ethertypes(void **state)
{
	uint8_t buf[128];
	struct load_frame f;

	(void)state;
	udp_frame(buf, sizeof(buf), "x", 1);
	buf[12] = 0x86; /* IPv6 */
	buf[13] = 0xdd;
	assert_int_equal(load_frame_parse(buf, LOAD_FRAME_MIN, &f), LOAD_FRAME_OTHER);
	buf[12] = 0x88; /* LLDP */
	buf[13] = 0xcc;
	assert_int_equal(load_frame_parse(buf, LOAD_FRAME_MIN, &f), LOAD_FRAME_OTHER);
}

static void test_arp_roundtrip(void **state)
{
	uint8_t buf[128];
	struct load_frame f;
	uint32_t me = addr("198.18.0.21", 0).sin_addr.s_addr;
	uint32_t vip = addr("198.18.0.10", 0).sin_addr.s_addr;
	size_t len = load_frame_arp(buf, sizeof(buf), LOAD_FRAME_ARP_REQUEST, mac_a, me, NULL, vip);

	(void)state;
	assert_int_equal(len, LOAD_FRAME_MIN);
	assert_int_equal(load_frame_parse(buf, len, &f), LOAD_FRAME_ARP);
	assert_int_equal(f.arp_op, LOAD_FRAME_ARP_REQUEST);
	assert_memory_equal(f.dst_mac, "\xff\xff\xff\xff\xff\xff", 6);
	assert_memory_equal(f.sender_mac, mac_a, 6);
	assert_int_equal(f.sender_ip, me);
	assert_int_equal(f.target_ip, vip);

	len = load_frame_arp(buf, sizeof(buf), LOAD_FRAME_ARP_REPLY, mac_a, me, mac_b, vip);
	assert_int_equal(load_frame_parse(buf, len, &f), LOAD_FRAME_ARP);
	assert_int_equal(f.arp_op, LOAD_FRAME_ARP_REPLY);
	assert_memory_equal(f.dst_mac, mac_b, 6);
	assert_memory_equal(buf + 32, mac_b, 6); /* target hardware address */
	assert_int_equal(
	    load_frame_arp(buf, LOAD_FRAME_MIN - 1, LOAD_FRAME_ARP_REPLY, mac_a, me, mac_b, vip),
	    0);
}

static void test_arp_bad(void **state)
{
	static const struct {
		const char *what;
		size_t off;
		uint8_t value;
	} cases[] = {
	    {"hardware type", 15, 6},    {"protocol type", 16, 0x86}, {"hardware length", 18, 8},
	    {"protocol length", 19, 16}, {"opcode 3", 21, 3},         {"opcode 0", 21, 0},
	};
	uint8_t good[128], buf[128];
	struct load_frame f;
	size_t len = load_frame_arp(good, sizeof(good), LOAD_FRAME_ARP_REQUEST, mac_a, 1, NULL, 2);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, good, len);
		buf[cases[i].off] = cases[i].value;
		if (load_frame_parse(buf, len, &f) != LOAD_FRAME_BAD)
			fail_msg("ARP %s: not refused", cases[i].what);
	}
	for (size_t n = 0; n < 14 + 28; n++)
		if (load_frame_parse(good, n, &f) != LOAD_FRAME_BAD)
			fail_msg("ARP cut at %zu bytes: not refused", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp_roundtrip),
	    cmocka_unit_test(test_udp_short_payload_padded),
	    cmocka_unit_test(test_udp_too_big),
	    cmocka_unit_test(test_udp_bad_frames),
	    cmocka_unit_test(test_other_ethertypes),
	    cmocka_unit_test(test_arp_roundtrip),
	    cmocka_unit_test(test_arp_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
