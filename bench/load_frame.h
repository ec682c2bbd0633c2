/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames of sipsteer-bench load on a DPDK port: Ethernet + IPv4 + UDP around a SIP message, and
 * ARP requests and replies, built and parsed without the kernel. IPv4 only, no fragments, no
 * VLAN, no IP options on output.
 *
 * Builders write into a caller's buffer and return the frame length, or 0 when it does not fit.
 * The parser reads a frame in place: payload points into it. Nothing allocates; everything is
 * reentrant and needs no EAL.
 */
#ifndef SIPSTEER_LOAD_FRAME_H
#define SIPSTEER_LOAD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#define LOAD_FRAME_HDR         42   /* Ethernet 14 + IPv4 20 + UDP 8 */
#define LOAD_FRAME_MIN         60   /* shortest Ethernet frame without its FCS */
#define LOAD_FRAME_MTU         1500 /* IP datagrams up to this size; larger are not sent */
#define LOAD_FRAME_MAX_PAYLOAD (LOAD_FRAME_MTU - 28)
#define LOAD_FRAME_ARP_REQUEST 1
#define LOAD_FRAME_ARP_REPLY   2

enum load_frame_kind {
	LOAD_FRAME_UDP = 1, /* a whole IPv4/UDP datagram, checksums right */
	LOAD_FRAME_ARP,     /* an Ethernet/IPv4 ARP request or reply */
	LOAD_FRAME_OTHER,   /* neither IPv4 nor ARP (IPv6, LLDP, ...): ignored */
	LOAD_FRAME_BAD,     /* IPv4 or ARP but malformed, a fragment, not UDP, bad checksum */
};

/* What a frame holds; addresses and ports in network byte order. */
struct load_frame {
	uint8_t src_mac[6], dst_mac[6];
	/* LOAD_FRAME_UDP */
	struct sockaddr_in src, dst;
	const char *payload;
	size_t payload_len;
	/* LOAD_FRAME_ARP */
	uint16_t arp_op; /* LOAD_FRAME_ARP_REQUEST or LOAD_FRAME_ARP_REPLY (host order) */
	uint8_t sender_mac[6];
	uint32_t sender_ip, target_ip;
};

/*
 * Parse the frame (len bytes) into *f. Returns its enum load_frame_kind. For a UDP datagram the
 * IPv4 header checksum is checked, and the UDP checksum unless it is 0 (RFC 768: none sent);
 * trailing Ethernet padding is ignored.
 */
enum load_frame_kind load_frame_parse(const uint8_t *frame, size_t len, struct load_frame *f);

/*
 * An Ethernet/IPv4/UDP frame from src to dst carrying payload, with IPv4 identification ip_id,
 * TTL 64, DF clear, both checksums computed; padded to LOAD_FRAME_MIN. Returns its length, or 0
 * when the payload is longer than LOAD_FRAME_MAX_PAYLOAD or the frame longer than cap.
 */
size_t load_frame_udp(uint8_t *out, size_t cap, const uint8_t src_mac[6], const uint8_t dst_mac[6],
                      const struct sockaddr_in *src, const struct sockaddr_in *dst,
                      const void *payload, size_t len, uint16_t ip_id);

/*
 * An ARP frame (RFC 826), padded to LOAD_FRAME_MIN: a request (op LOAD_FRAME_ARP_REQUEST,
 * broadcast, target_mac ignored) or a reply (op LOAD_FRAME_ARP_REPLY, sent to target_mac).
 * Addresses in network order. Returns the length, or 0 when cap is below LOAD_FRAME_MIN.
 */
size_t load_frame_arp(uint8_t *out, size_t cap, uint16_t op, const uint8_t src_mac[6],
                      uint32_t sender_ip, const uint8_t target_mac[6], uint32_t target_ip);

#endif
