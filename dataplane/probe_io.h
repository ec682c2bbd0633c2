/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health probes through the dataplane: the control thread sends each probe (an OPTIONS built by
 * ctl/probe) from the VIP through the same port and neighbour table as forwarded requests, and
 * workers hand the replies (responses whose top Via branch starts with DP_PROBE_BRANCH_PREFIX)
 * back to it over one ring instead of relaying them.
 *
 * The ring carries mbufs whose data is trimmed to the SIP message. Workers enqueue (multi
 * producer), the control thread dequeues (single consumer) and frees.
 *
 * Each reply carries when the worker took it in: its TSC, in the 8 bytes just before the
 * message (what was the UDP header). The control thread reads the ring once a loop turn (up to
 * DP_CONTROL_POLL_US later), so the RTT it measures runs from the probe's send to that stamp,
 * not to the read, which would add up to a loop period of waiting to every RTT.
 */
#ifndef SIPSTEER_DP_PROBE_IO_H
#define SIPSTEER_DP_PROBE_IO_H

#include <stdint.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "worker.h"

#define DP_PROBE_RING 1024 /* probe replies in flight from the workers to the control thread */

/* The hand-off ring; NULL when probing is off. ctl: rw at start (before workers), dp: ro. */
extern struct rte_ring *dp_probe_replies;

/* Store tsc in the 8 bytes before payload (inside the frame: at least the UDP header is there). */
static inline void dp_probe_stamp_write(char *payload, uint64_t tsc)
{
	memcpy(payload - sizeof(tsc), &tsc, sizeof(tsc));
}

/* The stamp of a reply taken off the ring (its data starts at the message). */
static inline uint64_t dp_probe_stamp_read(const struct rte_mbuf *m)
{
	uint64_t tsc;

	memcpy(&tsc, rte_pktmbuf_mtod(m, const char *) - sizeof(tsc), sizeof(tsc));
	return tsc;
}

/*
 * When a reply stamped `stamp` arrived, on the clock that read now_ns at TSC now_tsc: now_ns
 * less the ticks since the stamp. A stamp at or after now_tsc (another core's TSC a hair
 * ahead), or no TSC frequency, gives now_ns.
 */
static inline uint64_t dp_probe_arrival_ns(uint64_t now_ns, uint64_t now_tsc, uint64_t stamp,
                                           uint64_t tsc_hz)
{
	if (stamp >= now_tsc || tsc_hz == 0)
		return now_ns;
	uint64_t ticks = now_tsc - stamp;
	uint64_t age = ticks / tsc_hz * 1000000000u + ticks % tsc_hz * 1000000000u / tsc_hz;
	return age < now_ns ? now_ns - age : 0;
}

/*
 * A worker hands a probe reply (payload[0..len) inside m) to the control thread. Counted in
 * probe_replies either way (it is not relayed, and not a drop); freed when the ring is full or
 * absent. Consumes m.
 */
static inline void dp_probe_handoff(struct dp_worker *w, struct rte_mbuf *m, char *payload,
                                    uint32_t len)
{
	struct rte_ring *r = dp_probe_replies;

	DP_COUNT(w->counters.probe_replies);
	if (r == NULL || len > UINT16_MAX) {
		rte_pktmbuf_free(m);
		return;
	}
	dp_probe_stamp_write(payload, rte_rdtsc());
	m->data_off = (uint16_t)(payload - (char *)m->buf_addr);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (rte_ring_mp_enqueue(r, m) != 0)
		rte_pktmbuf_free(m);
}

/* Create the ring (before any worker runs). Returns 0 or -errno (logged). */
int dp_probe_ring_create(void);

/* Free the ring and the replies left in it (after the workers stopped). */
void dp_probe_ring_free(void);

struct dp_ctx;
struct dp_resolver;

/*
 * Build the probe text[0..len) into an mbuf addressed to dst_ip:dst_port from the VIP and the
 * first SIP port, and send it on the port and to the MAC the resolver knows for the next hop
 * (dst itself on-link, else the gateway). Returns 0, -EHOSTUNREACH (no next hop, or its MAC is
 * not known yet: resolution is requested), -ENOMEM (no mbuf) or -ENOBUFS (queue full).
 * Control thread.
 */
int dp_probe_send(struct dp_ctx *ctx, struct dp_resolver *res, uint32_t dst_ip, uint16_t dst_port,
                  const char *text, uint32_t len);

/*
 * As dp_probe_send, over IPv6 from the IPv6 VIP to dst_ip (on-link, else gateway6), with the
 * next hop's MAC from the resolver's IPv6 table. -EHOSTUNREACH also when there is no IPv6 VIP.
 * Control thread.
 */
int dp_probe_send6(struct dp_ctx *ctx, struct dp_resolver *res, const uint8_t dst_ip[16],
                   uint16_t dst_port, const char *text, uint32_t len);

/*
 * Rewrite the probe text[0..len) (ctl_probe_build, naming the VIP host `from`: "198.18.0.10")
 * to name the VIP host `to` ("[2001:db8::10]") instead in its Via, From and Call-ID header
 * fields; the request line and To (the backend) are kept. Writes out[0..cap). Returns the new
 * length, or -ENOSPC when it does not fit.
 */
int dp_probe_rehost(const char *text, int len, const char *from, const char *to, char *out,
                    size_t cap);

/* Dequeue up to cap replies into out. Returns how many; the caller frees each. Control thread. */
unsigned int dp_probe_receive(struct rte_mbuf **out, unsigned int cap);

/* Send an mbuf from the control thread on port index `port` (its own TX queue, or worker 0's
 * ring). Returns true when queued; m is freed otherwise. */
bool dp_control_tx(struct dp_ctx *ctx, uint16_t port, struct rte_mbuf *m);

#endif
