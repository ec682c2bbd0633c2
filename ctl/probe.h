/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer backend health probing: SIP OPTIONS probes, their signed Via branch, and the health
 * state machine of every backend. Pure C (no DPDK header), no thread of its own, no clock of its
 * own: the control thread passes the time in (monotonic nanoseconds), so tests drive the clock.
 *
 * One struct ctl_prober per daemon, owned by the control thread. Its loop does:
 *
 *   n = ctl_probe_tick(p, now, due, cap);          timeouts expire, due probes are listed
 *   for each due[i]: len = ctl_probe_build(p, &due[i], buf, sizeof(buf)); send buf to due[i].dst
 *   for each reply received (a SIP response whose top Via branch starts with
 *   DP_PROBE_BRANCH_PREFIX): sip_parse() it, then
 *       if (ctl_probe_match(p, buf, &msg, &id, &seq) == 0)
 *           ctl_probe_reply(p, id, seq, msg.status_code, now);
 *   while ((n = ctl_probe_events(p, ev, cap)) > 0): log each event on one line; when any event
 *       was drained, copy the health into the backend configs (ctl_probe_health) and publish a
 *       new lb set
 *   sleep until ctl_probe_next_deadline(p) (or the next packet)
 *
 * Health per backend: LB_HEALTH_UNKNOWN at start (lb counts it as up); the first probe result
 * decides (a success makes it up, a failure down); after that down_after consecutive failures
 * make an up backend down and up_after consecutive successes make a down backend up. A failure
 * is a probe not answered within timeout, or answered with a final status code outside the alive
 * set; provisional (1xx) replies are ignored (the probe stays in flight). Replies arriving after
 * the timeout, for a sequence not in flight, or for a removed backend are ignored.
 *
 * Detection latency: a probe leaves every interval, so the first probe a backend that stops
 * answering at time t misses leaves by t + interval, and its down_after-th miss expires by
 * t + interval x down_after + timeout: the backend is down by then (sooner when its health was
 * still unknown: one failure decides). Recovery likewise: up by t + interval x up_after + RTT.
 * Both assume ticks at least as often as ctl_probe_next_deadline() asks.
 */
#ifndef SIPSTEER_CTL_PROBE_H
#define SIPSTEER_CTL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lb.h"
#include "sip.h"

/*
 * Probes of one backend that may be in flight at once. With timeout > interval several are
 * outstanding; when a probe is due and all CTL_PROBE_WINDOW are still unanswered, the oldest is
 * counted as timed out first, so the effective timeout is min(timeout, CTL_PROBE_WINDOW x
 * interval).
 */
#define CTL_PROBE_WINDOW 16

/* RTT histogram bucket upper bounds, in milliseconds (the +Inf bucket is implicit). */
#define CTL_PROBE_RTT_BUCKETS_MS 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000
#define CTL_PROBE_RTT_BUCKETS    12
extern const uint32_t ctl_probe_rtt_buckets_ms[CTL_PROBE_RTT_BUCKETS];

/* Our branch: DP_PROBE_BRANCH_PREFIX, 4 hex digits of backend id, 16 of sequence, 16 of MAC. */
#define CTL_PROBE_ID_HEX  4
#define CTL_PROBE_SEQ_HEX 16
#define CTL_PROBE_MAC_HEX 16
#define CTL_PROBE_BRANCH_LEN                                                                       \
	(sizeof("z9hG4bK-ssp-") - 1 + CTL_PROBE_ID_HEX + CTL_PROBE_SEQ_HEX + CTL_PROBE_MAC_HEX)
/* Room enough for any probe ctl_probe_build() writes. */
#define CTL_PROBE_MAX_LEN 1024

/* What the prober needs; copied by ctl_prober_create(). */
struct ctl_probe_cfg {
	uint64_t interval_ns; /* > 0: one probe per backend every interval */
	uint64_t timeout_ns;  /* > 0 */
	uint32_t down_after;  /* >= 1 */
	uint32_t up_after;    /* >= 1 */
	uint64_t alive[10];   /* status codes counted as alive, bitmap over 100..699 as in config */
	struct lb_addr self;  /* VIP and SIP port our Via names; the backend replies there */
	uint64_t key[2];      /* SipHash-2-4 key (dp_siphash_key of the configured secret) */
	uint64_t nonce;       /* per-run value in every Call-ID and MAC; 0: drawn by getrandom */
};

/*
 * Fill out from the configuration's probe section (interval, timeout, down_after, up_after,
 * alive codes), self, and the SipHash key of cfg->secret. nonce is set to 0 (drawn at create).
 * Any thread.
 */
void ctl_probe_cfg_from_config(const struct ctl_config *cfg, const struct lb_addr *self,
                               struct ctl_probe_cfg *out);

struct ctl_prober;

/*
 * Create a prober with no backends. Returns NULL with errno EINVAL (an interval, timeout,
 * down_after or up_after of 0, a self address that is neither IPv4 nor IPv6), or ENOMEM, or the
 * errno of getrandom when nonce is 0 and it fails. Control thread; the caller frees it with
 * ctl_prober_free().
 */
struct ctl_prober *ctl_prober_create(const struct ctl_probe_cfg *cfg);
void ctl_prober_free(struct ctl_prober *p); /* NULL is fine */

/*
 * Start probing backend id at addr; its health starts LB_HEALTH_UNKNOWN and its first probe is
 * due at once. Returns 0, -EINVAL (id >= LB_MAX_BACKENDS, addr neither IPv4 nor IPv6), -EEXIST
 * (id already probed), -ENOMEM. Control thread.
 */
int ctl_probe_add(struct ctl_prober *p, uint32_t id, const struct lb_addr *addr, uint64_t now);

/*
 * Stop probing id and forget its state (replies still in flight are then ignored; an id added
 * again starts afresh, and its old probes' replies do not count since sequences never repeat).
 * Returns 0 or -ENOENT. Control thread.
 */
int ctl_probe_remove(struct ctl_prober *p, uint32_t id);

/* A probe to send now. */
struct ctl_probe_send {
	uint32_t id;        /* backend id */
	uint64_t seq;       /* unique within the prober, increasing */
	struct lb_addr dst; /* where to send it (the backend's address) */
};

/*
 * Advance to now: count every probe whose timeout has passed as a failure, then list up to cap
 * probes that are due (each is in flight from now on: build and send it). Returns how many were
 * written to out; when it returns cap, more may be due: call again. A tick that comes late sends
 * one probe, not one per missed interval. now must not go backwards. Control thread.
 */
size_t ctl_probe_tick(struct ctl_prober *p, uint64_t now, struct ctl_probe_send *out, size_t cap);

/*
 * Write the OPTIONS request for probe s into out[0..cap):
 *   OPTIONS sip:<backend addr> SIP/2.0
 *   Via: SIP/2.0/UDP <self>;branch=<CTL_PROBE_BRANCH_LEN bytes>
 *   Max-Forwards: 70, From: <sip:sipsteer@<self host>>;tag=..., To: <sip:<backend addr>>,
 *   Call-ID: <unique per probe>@<self host>, CSeq: 1 OPTIONS, User-Agent: sipsteer,
 *   Content-Length: 0
 * Returns the length (no NUL written), or -ENOSPC when it does not fit (CTL_PROBE_MAX_LEN
 * always does). Pure; any thread.
 */
int ctl_probe_build(const struct ctl_prober *p, const struct ctl_probe_send *s, char *out,
                    size_t cap);

/* Why a message is not a reply to one of our probes. X(NAME, name, text) */
#define CTL_PROBE_MATCH_ERRORS(X)                                                                  \
	X(NOT_RESPONSE, "not_response", "message is a request")                                    \
	X(NOT_PROBE, "not_probe", "top Via branch does not start with the probe prefix")           \
	X(BAD_BRANCH, "bad_branch", "probe branch has a wrong length, digit or backend id")        \
	X(BAD_MAC, "bad_mac", "probe branch was not made with our secret")                         \
	X(NOT_OPTIONS, "not_options", "CSeq method is not OPTIONS")

enum ctl_probe_match_err {
	CTL_PROBE_MATCH_OK = 0,
#define CTL_PROBE_MATCH_ENUM(NAME, name, text) CTL_PROBE_MATCH_##NAME,
	CTL_PROBE_MATCH_ERRORS(CTL_PROBE_MATCH_ENUM)
#undef CTL_PROBE_MATCH_ENUM
	    CTL_PROBE_MATCH_COUNT
};

const char *ctl_probe_match_name(enum ctl_probe_match_err e); /* "bad_mac" */

/*
 * Is msg (sip_parse() of buf returned > 0) a response to one of our probes? Checks the top Via
 * branch (prefix, length, hex digits, then the MAC in constant time) and the CSeq method. Returns
 * 0 and sets *id and *seq, or -enum ctl_probe_match_err. Reads only the prober's key and nonce,
 * which never change: any thread may call it once the prober exists.
 */
int ctl_probe_match(const struct ctl_prober *p, const char *buf, const struct sip_msg *msg,
                    uint32_t *id, uint64_t *seq);

/* What ctl_probe_reply() did with a reply. */
enum ctl_probe_reply_result {
	CTL_PROBE_REPLY_ALIVE = 0,   /* counted as a success */
	CTL_PROBE_REPLY_FAILED,      /* final code outside the alive set: counted as a failure */
	CTL_PROBE_REPLY_PROVISIONAL, /* 1xx: ignored, the probe stays in flight */
	CTL_PROBE_REPLY_UNKNOWN_ID,  /* no such backend (removed?): ignored */
	CTL_PROBE_REPLY_STALE,    /* sequence not in flight (answered, timed out, or never sent) */
	CTL_PROBE_REPLY_LATE,     /* arrived after its timeout: counted as that timeout */
	CTL_PROBE_REPLY_BAD_CODE, /* code outside 100..699: ignored */
	CTL_PROBE_REPLY_COUNT
};

const char *ctl_probe_reply_name(enum ctl_probe_reply_result r); /* "stale" */

/*
 * A reply with status code `code` to probe (id, seq), received at now. Returns what was done with
 * it (above). The RTT (now - sent) of an alive reply is the backend's last RTT and enters its
 * histogram. Control thread.
 */
enum ctl_probe_reply_result ctl_probe_reply(struct ctl_prober *p, uint32_t id, uint64_t seq,
                                            unsigned code, uint64_t now);

/* Why the last result was a failure. */
enum ctl_probe_cause {
	CTL_PROBE_CAUSE_NONE = 0, /* success */
	CTL_PROBE_CAUSE_TIMEOUT,
	CTL_PROBE_CAUSE_CODE, /* final response outside the alive set */
	CTL_PROBE_CAUSE_COUNT
};

const char *ctl_probe_cause_name(enum ctl_probe_cause c); /* "none", "timeout", "code" */

/* One health change, reported exactly once. */
struct ctl_probe_event {
	uint32_t id;
	enum lb_health from, to;
	uint64_t at;                /* the `now` at which it changed */
	enum ctl_probe_cause cause; /* of the result that made the change */
	unsigned code;              /* status code of that result, 0 for a timeout */
	uint32_t streak;            /* consecutive results that made the change */
	uint64_t rtt_ns;            /* RTT of that result when it was a success */
};

/*
 * Move up to cap pending health changes, oldest first, to out. Returns how many. Events of a
 * removed backend stay in the queue. Control thread.
 */
size_t ctl_probe_events(struct ctl_prober *p, struct ctl_probe_event *out, size_t cap);

/* Events that could not be queued (out of memory) since the prober was created. */
uint64_t ctl_probe_events_lost(const struct ctl_prober *p);

/* RTT histogram, Prometheus-style: bucket[i] counts RTTs <= ctl_probe_rtt_buckets_ms[i]. */
struct ctl_probe_rtt {
	uint64_t bucket[CTL_PROBE_RTT_BUCKETS]; /* cumulative */
	uint64_t count;                         /* every observation: the +Inf bucket */
	uint64_t sum_ns;
};

/* One backend's probing state, for metrics and the CLI. */
struct ctl_probe_stats {
	enum lb_health health;
	uint64_t sent;        /* probes sent */
	uint64_t alive;       /* replies counted as success */
	uint64_t timeouts;    /* probes counted as failed for lack of a timely reply */
	uint64_t bad_code;    /* replies counted as failure for their code */
	uint64_t ignored;     /* replies ignored: stale, provisional or out-of-range code */
	uint32_t successes;   /* current streak of successes */
	uint32_t failures;    /* current streak of failures */
	uint64_t last_rtt_ns; /* RTT of the last alive reply, 0 before the first */
	unsigned last_code;   /* code of the last counted reply, 0 before the first */
	struct ctl_probe_rtt rtt;
};

/* Copy id's state to *out. Returns 0 or -ENOENT. Control thread. */
int ctl_probe_stats(const struct ctl_prober *p, uint32_t id, struct ctl_probe_stats *out);

/* id's health, LB_HEALTH_UNKNOWN when id is not probed. Control thread. */
enum lb_health ctl_probe_health(const struct ctl_prober *p, uint32_t id);

/*
 * Copy the probed health into backends[0..n) (by id; backends not probed are left alone), for
 * the next lb_set_build. Returns true when any value changed. Control thread.
 */
bool ctl_probe_apply(const struct ctl_prober *p, struct lb_backend_config *backends, uint32_t n);

/*
 * The earliest time (ns) at which ctl_probe_tick() has something to do: a probe due or a timeout
 * to expire. UINT64_MAX with no backends. Control thread.
 */
uint64_t ctl_probe_next_deadline(const struct ctl_prober *p);

#endif
