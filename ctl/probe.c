/* SPDX-License-Identifier: BSD-3-Clause */
/* Backend health probing: OPTIONS probes with a signed branch, and the up/down state machine. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "probe.h"
#include "sip_proxy.h"
#include "siphash.h"

const uint32_t ctl_probe_rtt_buckets_ms[CTL_PROBE_RTT_BUCKETS] = {CTL_PROBE_RTT_BUCKETS_MS};

#define PROBE_PREFIX_LEN (sizeof(DP_PROBE_BRANCH_PREFIX) - 1)
_Static_assert(CTL_PROBE_BRANCH_LEN ==
                   PROBE_PREFIX_LEN + CTL_PROBE_ID_HEX + CTL_PROBE_SEQ_HEX + CTL_PROBE_MAC_HEX,
               "CTL_PROBE_BRANCH_LEN spells out DP_PROBE_BRANCH_PREFIX");
_Static_assert(LB_MAX_BACKENDS <= 1 << (4 * CTL_PROBE_ID_HEX), "backend ids fit the branch");

/* A probe sent and not yet answered nor expired. */
struct inflight {
	uint64_t seq;
	uint64_t sent;
};

struct probe_backend {
	uint32_t id;
	struct lb_addr addr;
	enum lb_health health;
	uint64_t next_send;
	uint32_t n_inflight;
	struct inflight inflight[CTL_PROBE_WINDOW]; /* oldest first */
	struct ctl_probe_stats stats;
};

struct ctl_prober {
	struct ctl_probe_cfg cfg;
	char self_host[INET6_ADDRSTRLEN + 2]; /* "198.18.0.10" or "[2001:db8::10]" */
	char self_hostport[INET6_ADDRSTRLEN + 8];
	uint64_t next_seq;

	uint32_t n_backends;
	uint16_t order[LB_MAX_BACKENDS]; /* ids in the order they were added */
	struct probe_backend *by_id[LB_MAX_BACKENDS];

	/* Pending events: a ring that grows when full. */
	struct ctl_probe_event *events;
	size_t ev_cap, ev_head, ev_count;
	uint64_t ev_lost;
};

const char *ctl_probe_match_name(enum ctl_probe_match_err e)
{
	static const char *const names[CTL_PROBE_MATCH_COUNT] = {
	    [CTL_PROBE_MATCH_OK] = "ok",
#define CTL_PROBE_MATCH_NAME(NAME, name, text) [CTL_PROBE_MATCH_##NAME] = name,
	    CTL_PROBE_MATCH_ERRORS(CTL_PROBE_MATCH_NAME)
#undef CTL_PROBE_MATCH_NAME
	};
	if ((int)e < 0 || e >= CTL_PROBE_MATCH_COUNT)
		return "unknown";
	return names[e];
}

const char *ctl_probe_reply_name(enum ctl_probe_reply_result r)
{
	static const char *const names[CTL_PROBE_REPLY_COUNT] = {
	    [CTL_PROBE_REPLY_ALIVE] = "alive",
	    [CTL_PROBE_REPLY_FAILED] = "failed",
	    [CTL_PROBE_REPLY_PROVISIONAL] = "provisional",
	    [CTL_PROBE_REPLY_UNKNOWN_ID] = "unknown_id",
	    [CTL_PROBE_REPLY_STALE] = "stale",
	    [CTL_PROBE_REPLY_LATE] = "late",
	    [CTL_PROBE_REPLY_BAD_CODE] = "bad_code",
	};
	if ((int)r < 0 || r >= CTL_PROBE_REPLY_COUNT)
		return "unknown";
	return names[r];
}

const char *ctl_probe_cause_name(enum ctl_probe_cause c)
{
	static const char *const names[CTL_PROBE_CAUSE_COUNT] = {
	    [CTL_PROBE_CAUSE_NONE] = "none",
	    [CTL_PROBE_CAUSE_TIMEOUT] = "timeout",
	    [CTL_PROBE_CAUSE_CODE] = "code",
	};
	if ((int)c < 0 || c >= CTL_PROBE_CAUSE_COUNT)
		return "unknown";
	return names[c];
}

void ctl_probe_cfg_from_config(const struct ctl_config *cfg, const struct lb_addr *self,
                               struct ctl_probe_cfg *out)
{
	memset(out, 0, sizeof(*out));
	out->interval_ns = (uint64_t)cfg->probe_interval_ms * 1000000u;
	out->timeout_ns = (uint64_t)cfg->probe_timeout_ms * 1000000u;
	out->down_after = cfg->probe_down_after;
	out->up_after = cfg->probe_up_after;
	memcpy(out->alive, cfg->probe_alive, sizeof(out->alive));
	out->self = *self;
	dp_siphash_key(out->key, cfg->secret);
}

static bool addr_usable(const struct lb_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

struct ctl_prober *ctl_prober_create(const struct ctl_probe_cfg *cfg)
{
	struct ctl_prober *p;
	char ip[INET6_ADDRSTRLEN];

	if (cfg->interval_ns == 0 || cfg->timeout_ns == 0 || cfg->down_after == 0 ||
	    cfg->up_after == 0 || !addr_usable(&cfg->self)) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->cfg = *cfg;
	while (p->cfg.nonce == 0) {
		if (getrandom(&p->cfg.nonce, sizeof(p->cfg.nonce), 0) != sizeof(p->cfg.nonce)) {
			int e = errno ? errno : EIO;
			free(p);
			errno = e;
			return NULL;
		}
	}
	inet_ntop(cfg->self.family, cfg->self.family == AF_INET ? cfg->self.v4 : cfg->self.v6, ip,
	          sizeof(ip));
	if (cfg->self.family == AF_INET)
		snprintf(p->self_host, sizeof(p->self_host), "%s", ip);
	else
		snprintf(p->self_host, sizeof(p->self_host), "[%s]", ip);
	lb_addr_format(&cfg->self, p->self_hostport, sizeof(p->self_hostport));
	p->next_seq = 1;
	return p;
}

void ctl_prober_free(struct ctl_prober *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->n_backends; i++)
		free(p->by_id[p->order[i]]);
	free(p->events);
	free(p);
}

int ctl_probe_add(struct ctl_prober *p, uint32_t id, const struct lb_addr *addr, uint64_t now)
{
	struct probe_backend *b;

	if (id >= LB_MAX_BACKENDS || !addr_usable(addr))
		return -EINVAL;
	if (p->by_id[id] != NULL)
		return -EEXIST;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->id = id;
	b->addr = *addr;
	b->health = LB_HEALTH_UNKNOWN;
	b->stats.health = LB_HEALTH_UNKNOWN;
	b->next_send = now;
	p->by_id[id] = b;
	p->order[p->n_backends++] = (uint16_t)id;
	return 0;
}

int ctl_probe_remove(struct ctl_prober *p, uint32_t id)
{
	if (id >= LB_MAX_BACKENDS || p->by_id[id] == NULL)
		return -ENOENT;
	free(p->by_id[id]);
	p->by_id[id] = NULL;
	for (uint32_t i = 0; i < p->n_backends; i++) {
		if (p->order[i] == id) {
			memmove(&p->order[i], &p->order[i + 1],
			        (p->n_backends - i - 1) * sizeof(p->order[0]));
			p->n_backends--;
			break;
		}
	}
	return 0;
}

static void event_push(struct ctl_prober *p, const struct ctl_probe_event *ev)
{
	if (p->ev_count == p->ev_cap) {
		size_t cap = p->ev_cap ? p->ev_cap * 2 : 64;
		struct ctl_probe_event *grown = malloc(cap * sizeof(*grown));

		if (grown == NULL) {
			p->ev_lost++;
			return;
		}
		/* Unwrap the ring into the new array, oldest first. */
		for (size_t i = 0; i < p->ev_count; i++)
			grown[i] = p->events[(p->ev_head + i) % p->ev_cap];
		free(p->events);
		p->events = grown;
		p->ev_cap = cap;
		p->ev_head = 0;
	}
	p->events[(p->ev_head + p->ev_count) % p->ev_cap] = *ev;
	p->ev_count++;
}

size_t ctl_probe_events(struct ctl_prober *p, struct ctl_probe_event *out, size_t cap)
{
	size_t n = 0;

	while (n < cap && p->ev_count > 0) {
		out[n++] = p->events[p->ev_head];
		p->ev_head = (p->ev_head + 1) % p->ev_cap;
		p->ev_count--;
	}
	return n;
}

uint64_t ctl_probe_events_lost(const struct ctl_prober *p)
{
	return p->ev_lost;
}

static void rtt_observe(struct ctl_probe_rtt *h, uint64_t rtt_ns)
{
	for (unsigned i = 0; i < CTL_PROBE_RTT_BUCKETS; i++)
		if (rtt_ns <= (uint64_t)ctl_probe_rtt_buckets_ms[i] * 1000000u)
			h->bucket[i]++;
	h->count++;
	h->sum_ns += rtt_ns;
}

/*
 * One probe result. The first result decides an unknown health; afterwards down_after failures
 * in a row take an up backend down and up_after successes in a row bring a down one up.
 */
static void record(struct ctl_prober *p, struct probe_backend *b, enum ctl_probe_cause cause,
                   unsigned code, uint64_t rtt_ns, uint64_t now)
{
	struct ctl_probe_stats *st = &b->stats;
	bool ok = cause == CTL_PROBE_CAUSE_NONE;
	enum lb_health next = b->health;

	if (ok) {
		st->successes++;
		st->failures = 0;
		st->alive++;
		st->last_rtt_ns = rtt_ns;
		rtt_observe(&st->rtt, rtt_ns);
	} else {
		st->failures++;
		st->successes = 0;
		if (cause == CTL_PROBE_CAUSE_TIMEOUT)
			st->timeouts++;
		else
			st->bad_code++;
	}
	if (code)
		st->last_code = code;

	if (b->health == LB_HEALTH_UNKNOWN)
		next = ok ? LB_HEALTH_UP : LB_HEALTH_DOWN;
	else if (b->health == LB_HEALTH_UP && !ok && st->failures >= p->cfg.down_after)
		next = LB_HEALTH_DOWN;
	else if (b->health == LB_HEALTH_DOWN && ok && st->successes >= p->cfg.up_after)
		next = LB_HEALTH_UP;
	if (next == b->health)
		return;

	struct ctl_probe_event ev = {
	    .id = b->id,
	    .from = b->health,
	    .to = next,
	    .at = now,
	    .cause = cause,
	    .code = code,
	    .streak = ok ? st->successes : st->failures,
	    .rtt_ns = ok ? rtt_ns : 0,
	};
	b->health = next;
	st->health = next;
	event_push(p, &ev);
}

static void inflight_drop(struct probe_backend *b, uint32_t i)
{
	memmove(&b->inflight[i], &b->inflight[i + 1],
	        (b->n_inflight - i - 1) * sizeof(b->inflight[0]));
	b->n_inflight--;
}

/* Count every probe of b whose timeout has passed at now as a failure, oldest first. */
static void expire(struct ctl_prober *p, struct probe_backend *b, uint64_t now)
{
	while (b->n_inflight > 0 && now >= b->inflight[0].sent + p->cfg.timeout_ns) {
		inflight_drop(b, 0);
		record(p, b, CTL_PROBE_CAUSE_TIMEOUT, 0, 0, now);
	}
}

size_t ctl_probe_tick(struct ctl_prober *p, uint64_t now, struct ctl_probe_send *out, size_t cap)
{
	size_t n = 0;

	for (uint32_t i = 0; i < p->n_backends; i++)
		expire(p, p->by_id[p->order[i]], now);
	for (uint32_t i = 0; i < p->n_backends && n < cap; i++) {
		struct probe_backend *b = p->by_id[p->order[i]];

		if (now < b->next_send)
			continue;
		if (b->n_inflight == CTL_PROBE_WINDOW) {
			/* No room to track another: the oldest has waited WINDOW intervals. */
			inflight_drop(b, 0);
			record(p, b, CTL_PROBE_CAUSE_TIMEOUT, 0, 0, now);
		}
		b->inflight[b->n_inflight++] = (struct inflight){.seq = p->next_seq, .sent = now};
		b->stats.sent++;
		out[n++] = (struct ctl_probe_send){.id = b->id, .seq = p->next_seq, .dst = b->addr};
		p->next_seq++;
		/* Keep the phase; a late tick sends one probe, not the missed ones. */
		b->next_send += p->cfg.interval_ns;
		if (b->next_send <= now)
			b->next_send = now + p->cfg.interval_ns;
	}
	return n;
}

uint64_t ctl_probe_next_deadline(const struct ctl_prober *p)
{
	uint64_t next = UINT64_MAX;

	for (uint32_t i = 0; i < p->n_backends; i++) {
		const struct probe_backend *b = p->by_id[p->order[i]];

		if (b->next_send < next)
			next = b->next_send;
		if (b->n_inflight > 0 && b->inflight[0].sent + p->cfg.timeout_ns < next)
			next = b->inflight[0].sent + p->cfg.timeout_ns;
	}
	return next;
}

static bool code_alive(const struct ctl_prober *p, unsigned code)
{
	return p->cfg.alive[(code - 100) / 64] & (UINT64_C(1) << ((code - 100) % 64));
}

enum ctl_probe_reply_result ctl_probe_reply(struct ctl_prober *p, uint32_t id, uint64_t seq,
                                            unsigned code, uint64_t now)
{
	struct probe_backend *b;
	uint32_t i;

	if (id >= LB_MAX_BACKENDS || (b = p->by_id[id]) == NULL)
		return CTL_PROBE_REPLY_UNKNOWN_ID;
	if (code < 100 || code > 699) {
		b->stats.ignored++;
		return CTL_PROBE_REPLY_BAD_CODE;
	}
	for (i = 0; i < b->n_inflight; i++)
		if (b->inflight[i].seq == seq)
			break;
	if (i == b->n_inflight) {
		b->stats.ignored++;
		return CTL_PROBE_REPLY_STALE;
	}
	/* Timeouts that passed before this reply count first, this probe's own included. */
	bool late = now >= b->inflight[i].sent + p->cfg.timeout_ns;
	expire(p, b, now);
	if (late) {
		b->stats.ignored++;
		return CTL_PROBE_REPLY_LATE;
	}
	for (i = 0; i < b->n_inflight; i++)
		if (b->inflight[i].seq == seq)
			break;
	if (code < 200) {
		b->stats.ignored++;
		return CTL_PROBE_REPLY_PROVISIONAL;
	}
	/* now is when the reply arrived (stamped by the worker that took it in), which a clock
	 * read on another core may put a hair before the send: never a negative time. */
	uint64_t rtt = now > b->inflight[i].sent ? now - b->inflight[i].sent : 0;
	inflight_drop(b, i);
	if (code_alive(p, code)) {
		record(p, b, CTL_PROBE_CAUSE_NONE, code, rtt, now);
		return CTL_PROBE_REPLY_ALIVE;
	}
	record(p, b, CTL_PROBE_CAUSE_CODE, code, 0, now);
	return CTL_PROBE_REPLY_FAILED;
}

int ctl_probe_stats(const struct ctl_prober *p, uint32_t id, struct ctl_probe_stats *out)
{
	if (id >= LB_MAX_BACKENDS || p->by_id[id] == NULL)
		return -ENOENT;
	*out = p->by_id[id]->stats;
	return 0;
}

enum lb_health ctl_probe_health(const struct ctl_prober *p, uint32_t id)
{
	if (id >= LB_MAX_BACKENDS || p->by_id[id] == NULL)
		return LB_HEALTH_UNKNOWN;
	return p->by_id[id]->health;
}

bool ctl_probe_apply(const struct ctl_prober *p, struct lb_backend_config *backends, uint32_t n)
{
	bool changed = false;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = backends[i].id;

		if (id >= LB_MAX_BACKENDS || p->by_id[id] == NULL)
			continue;
		if (backends[i].health != p->by_id[id]->health) {
			backends[i].health = p->by_id[id]->health;
			changed = true;
		}
	}
	return changed;
}

/* MAC over what the branch carries plus the run's nonce: (nonce, id, seq), little-endian. */
static uint64_t probe_mac(const struct ctl_prober *p, uint32_t id, uint64_t seq)
{
	uint8_t in[20];

	for (int i = 0; i < 8; i++)
		in[i] = (uint8_t)(p->cfg.nonce >> (8 * i));
	for (int i = 0; i < 4; i++)
		in[8 + i] = (uint8_t)(id >> (8 * i));
	for (int i = 0; i < 8; i++)
		in[12 + i] = (uint8_t)(seq >> (8 * i));
	return dp_siphash24(p->cfg.key, in, sizeof(in));
}

static void put_hex(char *out, uint64_t v, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < digits; i++)
		out[i] = hex[(v >> (4 * (digits - 1 - i))) & 0xf];
}

/* Read `digits` lowercase hex digits; false on any other byte. */
static bool get_hex(const char *in, unsigned digits, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < digits; i++) {
		char c = in[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return false;
		r = r << 4 | d;
	}
	*v = r;
	return true;
}

static void probe_branch(const struct ctl_prober *p, uint32_t id, uint64_t seq, char *out)
{
	memcpy(out, DP_PROBE_BRANCH_PREFIX, PROBE_PREFIX_LEN);
	out += PROBE_PREFIX_LEN;
	put_hex(out, id, CTL_PROBE_ID_HEX);
	put_hex(out + CTL_PROBE_ID_HEX, seq, CTL_PROBE_SEQ_HEX);
	put_hex(out + CTL_PROBE_ID_HEX + CTL_PROBE_SEQ_HEX, probe_mac(p, id, seq),
	        CTL_PROBE_MAC_HEX);
}

int ctl_probe_build(const struct ctl_prober *p, const struct ctl_probe_send *s, char *out,
                    size_t cap)
{
	char branch[CTL_PROBE_BRANCH_LEN + 1];
	char target[INET6_ADDRSTRLEN + 8];
	int len;

	probe_branch(p, s->id, s->seq, branch);
	branch[CTL_PROBE_BRANCH_LEN] = 0;
	lb_addr_format(&s->dst, target, sizeof(target));
	/* The From tag only needs to be unique; the MAC's high half is, without more state. */
	len = snprintf(out, cap,
	               "OPTIONS sip:%s SIP/2.0\r\n"
	               "Via: SIP/2.0/UDP %s;branch=%s\r\n"
	               "Max-Forwards: 70\r\n"
	               "From: <sip:sipsteer@%s>;tag=%08x\r\n"
	               "To: <sip:%s>\r\n"
	               "Call-ID: ssp-%016llx-%04x-%016llx@%s\r\n"
	               "CSeq: 1 OPTIONS\r\n"
	               "User-Agent: sipsteer\r\n"
	               "Content-Length: 0\r\n"
	               "\r\n",
	               target, p->self_hostport, branch, p->self_host,
	               (unsigned)(probe_mac(p, s->id, s->seq) >> 32), target,
	               (unsigned long long)p->cfg.nonce, (unsigned)s->id,
	               (unsigned long long)s->seq, p->self_host);
	if (len < 0 || (size_t)len >= cap)
		return -ENOSPC;
	return len;
}

int ctl_probe_match(const struct ctl_prober *p, const char *buf, const struct sip_msg *msg,
                    uint32_t *id, uint64_t *seq)
{
	const struct sip_via *via = &msg->top_via;
	const char *branch;
	char expect[CTL_PROBE_BRANCH_LEN];
	uint64_t v_id, v_seq, v_mac;
	unsigned diff = 0;

	if (msg->is_request)
		return -CTL_PROBE_MATCH_NOT_RESPONSE;
	branch = sip_str_ptr(buf, via->branch);
	if (!via->has_branch || via->branch.len < PROBE_PREFIX_LEN ||
	    memcmp(branch, DP_PROBE_BRANCH_PREFIX, PROBE_PREFIX_LEN) != 0)
		return -CTL_PROBE_MATCH_NOT_PROBE;
	if (via->branch.len != CTL_PROBE_BRANCH_LEN ||
	    !get_hex(branch + PROBE_PREFIX_LEN, CTL_PROBE_ID_HEX, &v_id) ||
	    !get_hex(branch + PROBE_PREFIX_LEN + CTL_PROBE_ID_HEX, CTL_PROBE_SEQ_HEX, &v_seq) ||
	    !get_hex(branch + PROBE_PREFIX_LEN + CTL_PROBE_ID_HEX + CTL_PROBE_SEQ_HEX,
	             CTL_PROBE_MAC_HEX, &v_mac) ||
	    v_id >= LB_MAX_BACKENDS)
		return -CTL_PROBE_MATCH_BAD_BRANCH;
	probe_branch(p, (uint32_t)v_id, v_seq, expect);
	/* Constant time over the MAC digits: no timing hint about how much of a forgery matched. */
	for (size_t i = PROBE_PREFIX_LEN; i < CTL_PROBE_BRANCH_LEN; i++)
		diff |= (unsigned)(expect[i] ^ branch[i]);
	if (diff != 0)
		return -CTL_PROBE_MATCH_BAD_MAC;
	if (msg->cseq_method != SIP_METHOD_OPTIONS)
		return -CTL_PROBE_MATCH_NOT_OPTIONS;
	*id = (uint32_t)v_id;
	*seq = v_seq;
	return 0;
}
