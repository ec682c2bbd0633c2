/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health probing: the OPTIONS probe parses and carries a signed branch, replies are matched and
 * forged ones refused, and the health state machine makes every transition on the clock the
 * test drives (timeouts, late and stale replies, alive-code sets, backends added and removed,
 * the RTT histogram).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "config.h"
#include "probe.h"
#include "sip.h"
#include "sip_proxy.h"

#define MS(x) ((uint64_t)(x)*1000000u)
/* An arbitrary start: the clock is whatever the caller says. */
#define T0 MS(5000)

static void set_code(uint64_t alive[10], unsigned code)
{
	alive[(code - 100) / 64] |= UINT64_C(1) << ((code - 100) % 64);
}

static void default_cfg(struct ctl_probe_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval_ns = MS(1000);
	cfg->timeout_ns = MS(500);
	cfg->down_after = 3;
	cfg->up_after = 2;
	for (unsigned c = 200; c <= 699; c++)
		set_code(cfg->alive, c);
	assert_int_equal(lb_addr_parse("198.18.0.10:5060", 5060, &cfg->self), 0);
	cfg->key[0] = UINT64_C(0x0706050403020100);
	cfg->key[1] = UINT64_C(0x0f0e0d0c0b0a0908);
	cfg->nonce = UINT64_C(0x1122334455667788);
}

static struct ctl_prober *make(const struct ctl_probe_cfg *cfg)
{
	struct ctl_prober *p = ctl_prober_create(cfg);
	assert_non_null(p);
	return p;
}

static struct ctl_prober *make_default(void)
{
	struct ctl_probe_cfg cfg;
	default_cfg(&cfg);
	return make(&cfg);
}

static void add(struct ctl_prober *p, uint32_t id, const char *addr, uint64_t now)
{
	struct lb_addr a;
	assert_int_equal(lb_addr_parse(addr, 5060, &a), 0);
	assert_int_equal(ctl_probe_add(p, id, &a, now), 0);
}

/* Tick at now and expect exactly one probe, for id; returns its sequence. */
static uint64_t tick_one(struct ctl_prober *p, uint64_t now, uint32_t id)
{
	struct ctl_probe_send s[4];
	assert_int_equal(ctl_probe_tick(p, now, s, 4), 1);
	assert_int_equal(s[0].id, id);
	return s[0].seq;
}

static void tick_none(struct ctl_prober *p, uint64_t now)
{
	struct ctl_probe_send s[4];
	assert_int_equal(ctl_probe_tick(p, now, s, 4), 0);
}

static size_t drain(struct ctl_prober *p, struct ctl_probe_event *ev, size_t cap)
{
	return ctl_probe_events(p, ev, cap);
}

static void expect_no_event(struct ctl_prober *p)
{
	struct ctl_probe_event ev;
	assert_int_equal(drain(p, &ev, 1), 0);
}

static void expect_event(struct ctl_prober *p, uint32_t id, enum lb_health from, enum lb_health to,
                         enum ctl_probe_cause cause)
{
	struct ctl_probe_event ev[2];
	assert_int_equal(drain(p, ev, 2), 1);
	assert_int_equal(ev[0].id, id);
	assert_int_equal(ev[0].from, from);
	assert_int_equal(ev[0].to, to);
	assert_int_equal(ev[0].cause, cause);
}

/* One full probe round at now: tick sends, the backend answers code after rtt. */
static enum ctl_probe_reply_result round_reply(struct ctl_prober *p, uint32_t id, uint64_t now,
                                               unsigned code, uint64_t rtt)
{
	uint64_t seq = tick_one(p, now, id);
	return ctl_probe_reply(p, id, seq, code, now + rtt);
}

/* One probe round at now that nobody answers: its timeout expires on a later tick. */
static void round_timeout(struct ctl_prober *p, uint32_t id, uint64_t now, uint64_t timeout)
{
	tick_one(p, now, id);
	tick_none(p, now + timeout);
}

/* ---- The probe itself ---------------------------------------------------------------------- */

static int build(struct ctl_prober *p, uint32_t id, uint64_t seq, const char *dst, char *out,
                 size_t cap)
{
	struct ctl_probe_send s = {.id = id, .seq = seq};
	assert_int_equal(lb_addr_parse(dst, 5060, &s.dst), 0);
	return ctl_probe_build(p, &s, out, cap);
}

static struct sip_str header(const char *buf, const char *name)
{
	const char *h = strstr(buf, name);
	struct sip_str s = {0, 0};
	assert_non_null(h);
	h += strlen(name);
	s.off = (uint32_t)(h - buf);
	s.len = (uint32_t)(strstr(h, "\r\n") - h);
	return s;
}

static bool view_is(const char *buf, struct sip_str v, const char *want)
{
	return v.len == strlen(want) && memcmp(buf + v.off, want, v.len) == 0;
}

static void test_build_parses(void **state)
{
	struct ctl_prober *p = make_default();
	char buf[CTL_PROBE_MAX_LEN];
	struct sip_msg msg;
	int len = build(p, 7, 42, "198.18.0.21:5070", buf, sizeof(buf));

	assert_true(len > 0);
	assert_int_equal(sip_parse(buf, (size_t)len, &msg), len);
	assert_true(msg.is_request);
	assert_int_equal(msg.method, SIP_METHOD_OPTIONS);
	assert_true(view_is(buf, msg.request_uri, "sip:198.18.0.21:5070"));
	assert_true(msg.has_max_forwards);
	assert_int_equal(msg.max_forwards, 70);
	assert_int_equal(msg.via_count, 1);
	assert_int_equal(msg.top_via.transport, SIP_TRANSPORT_UDP);
	assert_true(view_is(buf, msg.top_via.host, "198.18.0.10"));
	assert_int_equal(msg.top_via.port, 5060);
	assert_true(msg.top_via.has_branch);
	assert_int_equal(msg.top_via.branch.len, CTL_PROBE_BRANCH_LEN);
	assert_memory_equal(buf + msg.top_via.branch.off, DP_PROBE_BRANCH_PREFIX,
	                    strlen(DP_PROBE_BRANCH_PREFIX));
	/* id 7 and sequence 42 in hex right after the prefix */
	assert_memory_equal(buf + msg.top_via.branch.off + strlen(DP_PROBE_BRANCH_PREFIX),
	                    "0007000000000000002a", 20);
	assert_false(sip_str_empty(msg.from_tag));
	assert_true(view_is(buf, msg.to_uri, "sip:198.18.0.21:5070"));
	assert_int_equal(msg.cseq_method, SIP_METHOD_OPTIONS);
	assert_true(msg.has_content_length);
	assert_int_equal(msg.content_length, 0);
	assert_true(view_is(buf, header(buf, "\r\nUser-Agent: "), "sipsteer"));
	assert_int_equal(msg.call_id.len,
	                 strlen("ssp-1122334455667788-0007-000000000000002a@198.18.0.10"));
	assert_true(
	    view_is(buf, msg.call_id, "ssp-1122334455667788-0007-000000000000002a@198.18.0.10"));

	/* Call-ID and branch differ from one probe to the next. */
	char other[CTL_PROBE_MAX_LEN];
	struct sip_msg m2;
	int len2 = build(p, 7, 43, "198.18.0.21:5070", other, sizeof(other));
	assert_int_equal(sip_parse(other, (size_t)len2, &m2), len2);
	assert_false(
	    view_is(other, m2.call_id, "ssp-1122334455667788-0007-000000000000002a@198.18.0.10"));
	assert_memory_not_equal(other + m2.top_via.branch.off, buf + msg.top_via.branch.off,
	                        CTL_PROBE_BRANCH_LEN);
	ctl_prober_free(p);
}

static void test_build_ipv6(void **state)
{
	struct ctl_probe_cfg cfg;
	char buf[CTL_PROBE_MAX_LEN];
	struct sip_msg msg;

	default_cfg(&cfg);
	assert_int_equal(lb_addr_parse("[2001:db8::10]:5062", 5060, &cfg.self), 0);
	struct ctl_prober *p = make(&cfg);
	int len = build(p, 4095, UINT64_MAX, "[2001:db8::21]:5060", buf, sizeof(buf));
	assert_true(len > 0 && len <= CTL_PROBE_MAX_LEN);
	assert_int_equal(sip_parse(buf, (size_t)len, &msg), len);
	assert_true(view_is(buf, msg.request_uri, "sip:[2001:db8::21]:5060"));
	assert_int_equal(msg.top_via.host_kind, SIP_HOST_IPV6);
	assert_true(view_is(buf, msg.top_via.host, "2001:db8::10"));
	assert_int_equal(msg.top_via.port, 5062);
	assert_non_null(strstr(buf, "From: <sip:sipsteer@[2001:db8::10]>;tag="));
	assert_non_null(strstr(buf, "@[2001:db8::10]\r\n"));
	ctl_prober_free(p);
}

static void test_build_no_room(void **state)
{
	struct ctl_prober *p = make_default();
	char buf[CTL_PROBE_MAX_LEN];
	int len = build(p, 1, 1, "198.18.0.21", buf, sizeof(buf));

	assert_true(len > 0);
	/* Every capacity short of the message and its NUL is refused; the exact one is not. */
	for (size_t cap = 0; cap <= (size_t)len; cap++)
		assert_int_equal(build(p, 1, 1, "198.18.0.21", buf, cap), -ENOSPC);
	assert_int_equal(build(p, 1, 1, "198.18.0.21", buf, (size_t)len + 1), len);
	ctl_prober_free(p);
}

/*
 * Turn a probe into the response a backend sends: status line, the probe's Via, From, To (with a
 * tag), Call-ID and CSeq (RFC 3261 8.2.6.2).
 */
static int respond(const char *probe, unsigned code, char *out, size_t cap)
{
	struct sip_msg m;
	int len = sip_parse(probe, strlen(probe), &m);
	assert_true(len > 0);
	return snprintf(out, cap,
	                "SIP/2.0 %u Whatever\r\nVia: %.*s\r\nFrom: %.*s\r\nTo: %.*s;tag=be\r\n"
	                "Call-ID: %.*s\r\nCSeq: %.*s\r\nContent-Length: 0\r\n\r\n",
	                code, (int)m.vias[0].len, probe + m.vias[0].off, (int)m.from.len,
	                probe + m.from.off, (int)m.to.len, probe + m.to.off, (int)m.call_id.len,
	                probe + m.call_id.off, (int)m.cseq_value.len, probe + m.cseq_value.off);
}

static int match_text(struct ctl_prober *p, const char *resp, uint32_t *id, uint64_t *seq)
{
	struct sip_msg m;
	int len = sip_parse(resp, strlen(resp), &m);
	assert_true(len > 0);
	return ctl_probe_match(p, resp, &m, id, seq);
}

static void test_match(void **state)
{
	struct ctl_prober *p = make_default();
	char probe[CTL_PROBE_MAX_LEN], resp[2048];
	uint32_t id = 0;
	uint64_t seq = 0;

	build(p, 12, 0x123456789aULL, "198.18.0.22:5060", probe, sizeof(probe));
	respond(probe, 200, resp, sizeof(resp));
	assert_int_equal(match_text(p, resp, &id, &seq), 0);
	assert_int_equal(id, 12);
	assert_int_equal(seq, 0x123456789aULL);

	/* Any final or provisional code matches: the state machine judges the code. */
	respond(probe, 180, resp, sizeof(resp));
	assert_int_equal(match_text(p, resp, &id, &seq), 0);
	ctl_prober_free(p);
}

/* Replace the first occurrence of `from` in text by `to` (same length). */
static void patch(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);
	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
}

static void test_match_refuses(void **state)
{
	struct ctl_prober *p = make_default();
	char probe[CTL_PROBE_MAX_LEN], resp[2048], branch[CTL_PROBE_BRANCH_LEN + 1];
	uint32_t id = 99;
	uint64_t seq = 99;
	struct sip_msg m;

	build(p, 3, 5, "198.18.0.22:5060", probe, sizeof(probe));
	assert_int_equal(sip_parse(probe, strlen(probe), &m), (int)strlen(probe));
	memcpy(branch, probe + m.top_via.branch.off, CTL_PROBE_BRANCH_LEN);
	branch[CTL_PROBE_BRANCH_LEN] = 0;

	/* The request itself is not a reply. */
	assert_int_equal(ctl_probe_match(p, probe, &m, &id, &seq), -CTL_PROBE_MATCH_NOT_RESPONSE);

	/* A forwarded call's branch, or none: not a probe (the dataplane relays those). */
	respond(probe, 200, resp, sizeof(resp));
	patch(resp, "z9hG4bK-ssp-", "z9hG4bK-sst-");
	assert_int_equal(match_text(p, resp, &id, &seq), -CTL_PROBE_MATCH_NOT_PROBE);
	respond(probe, 200, resp, sizeof(resp));
	patch(resp, ";branch=", ";xranch=");
	assert_int_equal(match_text(p, resp, &id, &seq), -CTL_PROBE_MATCH_NOT_PROBE);

	/* Forgeries: any one MAC digit changed, the id or sequence changed under the same MAC. */
	for (size_t i = strlen(DP_PROBE_BRANCH_PREFIX); i < CTL_PROBE_BRANCH_LEN; i++) {
		char forged[CTL_PROBE_BRANCH_LEN + 1];
		memcpy(forged, branch, sizeof(forged));
		forged[i] = forged[i] == '0' ? '1' : '0';
		respond(probe, 200, resp, sizeof(resp));
		patch(resp, branch, forged);
		int rc = match_text(p, resp, &id, &seq);
		/* changing an id digit can make the id >= LB_MAX_BACKENDS: refused as malformed */
		if (rc != -CTL_PROBE_MATCH_BAD_BRANCH)
			assert_int_equal(rc, -CTL_PROBE_MATCH_BAD_MAC);
	}
	char id_digits[CTL_PROBE_ID_HEX + 1];
	memcpy(id_digits, branch + strlen(DP_PROBE_BRANCH_PREFIX), CTL_PROBE_ID_HEX);
	id_digits[CTL_PROBE_ID_HEX] = 0;
	respond(probe, 200, resp, sizeof(resp));
	patch(resp, id_digits, "0fff");
	assert_int_equal(match_text(p, resp, &id, &seq), -CTL_PROBE_MATCH_BAD_MAC);

	/* Another secret, or another run (nonce), makes other MACs. */
	struct ctl_probe_cfg cfg;
	default_cfg(&cfg);
	cfg.key[0] ^= 1;
	struct ctl_prober *other_key = make(&cfg);
	default_cfg(&cfg);
	cfg.nonce++;
	struct ctl_prober *other_run = make(&cfg);
	respond(probe, 200, resp, sizeof(resp));
	assert_int_equal(match_text(other_key, resp, &id, &seq), -CTL_PROBE_MATCH_BAD_MAC);
	assert_int_equal(match_text(other_run, resp, &id, &seq), -CTL_PROBE_MATCH_BAD_MAC);
	ctl_prober_free(other_key);
	ctl_prober_free(other_run);

	/* Malformed branches: short, long, upper-case hex, a non-hex digit, id out of range. */
	static const char *const bad[] = {
	    "z9hG4bK-ssp-0003",
	    "z9hG4bK-ssp-00030000000000000005aaaaaaaaaaaaaaaaa",
	    "z9hG4bK-ssp-00030000000000000005AAAAAAAAAAAAAAAA",
	    "z9hG4bK-ssp-0003000000000000000gaaaaaaaaaaaaaaaa",
	    "z9hG4bK-ssp-10000000000000000005aaaaaaaaaaaaaaaa",
	    "z9hG4bK-ssp-",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[2048];
		snprintf(text, sizeof(text),
		         "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.10:5060;branch=%s\r\n"
		         "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
		         "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		         bad[i]);
		assert_int_equal(match_text(p, text, &id, &seq), -CTL_PROBE_MATCH_BAD_BRANCH);
	}

	/* A valid branch on a response to something else than OPTIONS. */
	respond(probe, 200, resp, sizeof(resp));
	patch(resp, "CSeq: 1 OPTIONS", "CSeq: 1 INVITE ");
	assert_int_equal(match_text(p, resp, &id, &seq), -CTL_PROBE_MATCH_NOT_OPTIONS);

	/* Nothing was written on any refusal. */
	assert_int_equal(id, 99);
	assert_int_equal(seq, 99);

	assert_string_equal(ctl_probe_match_name(CTL_PROBE_MATCH_BAD_MAC), "bad_mac");
	assert_string_equal(ctl_probe_match_name(CTL_PROBE_MATCH_OK), "ok");
	assert_string_equal(ctl_probe_match_name(CTL_PROBE_MATCH_COUNT), "unknown");
	ctl_prober_free(p);
}

/* ---- Health state machine ------------------------------------------------------------------ */

static void test_first_result_decides(void **state)
{
	struct ctl_prober *p = make_default();

	add(p, 1, "198.18.0.21", T0);
	add(p, 2, "198.18.0.22", T0);
	assert_int_equal(ctl_probe_health(p, 1), LB_HEALTH_UNKNOWN);
	assert_int_equal(ctl_probe_health(p, 2), LB_HEALTH_UNKNOWN);

	struct ctl_probe_send s[4];
	assert_int_equal(ctl_probe_tick(p, T0, s, 4), 2);
	assert_int_equal(s[0].id, 1);
	assert_int_equal(s[1].id, 2);
	assert_true(s[1].seq > s[0].seq);
	char addr[64];
	assert_string_equal(lb_addr_format(&s[1].dst, addr, sizeof(addr)), "198.18.0.22:5060");

	/* Backend 1 answers: up at once. Backend 2 does not: down at once when it times out. */
	assert_int_equal(ctl_probe_reply(p, 1, s[0].seq, 200, T0 + MS(3)), CTL_PROBE_REPLY_ALIVE);
	expect_event(p, 1, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);
	assert_int_equal(ctl_probe_tick(p, T0 + MS(499), s, 4), 0);
	expect_no_event(p);
	assert_int_equal(ctl_probe_tick(p, T0 + MS(500), s, 4), 0);
	expect_event(p, 2, LB_HEALTH_UNKNOWN, LB_HEALTH_DOWN, CTL_PROBE_CAUSE_TIMEOUT);
	assert_int_equal(ctl_probe_health(p, 1), LB_HEALTH_UP);
	assert_int_equal(ctl_probe_health(p, 2), LB_HEALTH_DOWN);
	ctl_prober_free(p);
}

static void test_up_to_down_to_up(void **state)
{
	struct ctl_prober *p = make_default();
	struct ctl_probe_event ev;
	uint64_t t = T0;

	add(p, 5, "198.18.0.25", t);
	assert_int_equal(round_reply(p, 5, t, 200, MS(1)), CTL_PROBE_REPLY_ALIVE);
	expect_event(p, 5, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);

	/* Two misses, a success (streak reset), then three misses: down on the third only. */
	for (int i = 0; i < 2; i++) {
		t += MS(1000);
		round_timeout(p, 5, t, MS(500));
	}
	t += MS(1000);
	assert_int_equal(round_reply(p, 5, t, 200, MS(1)), CTL_PROBE_REPLY_ALIVE);
	for (int i = 0; i < 2; i++) {
		t += MS(1000);
		round_timeout(p, 5, t, MS(500));
		expect_no_event(p);
		assert_int_equal(ctl_probe_health(p, 5), LB_HEALTH_UP);
	}
	t += MS(1000);
	round_timeout(p, 5, t, MS(500));
	assert_int_equal(drain(p, &ev, 1), 1);
	assert_int_equal(ev.from, LB_HEALTH_UP);
	assert_int_equal(ev.to, LB_HEALTH_DOWN);
	assert_int_equal(ev.cause, CTL_PROBE_CAUSE_TIMEOUT);
	assert_int_equal(ev.streak, 3);
	assert_int_equal(ev.at, t + MS(500));
	assert_int_equal(ev.code, 0);

	/* More misses: no new event (each change is reported once). */
	t += MS(1000);
	round_timeout(p, 5, t, MS(500));
	expect_no_event(p);

	/* up_after = 2: one success, a failure (reset), then two successes. */
	t += MS(1000);
	assert_int_equal(round_reply(p, 5, t, 200, MS(2)), CTL_PROBE_REPLY_ALIVE);
	expect_no_event(p);
	t += MS(1000);
	round_timeout(p, 5, t, MS(500));
	t += MS(1000);
	assert_int_equal(round_reply(p, 5, t, 200, MS(2)), CTL_PROBE_REPLY_ALIVE);
	expect_no_event(p);
	assert_int_equal(ctl_probe_health(p, 5), LB_HEALTH_DOWN);
	t += MS(1000);
	assert_int_equal(round_reply(p, 5, t, 200, MS(4)), CTL_PROBE_REPLY_ALIVE);
	assert_int_equal(drain(p, &ev, 1), 1);
	assert_int_equal(ev.from, LB_HEALTH_DOWN);
	assert_int_equal(ev.to, LB_HEALTH_UP);
	assert_int_equal(ev.cause, CTL_PROBE_CAUSE_NONE);
	assert_int_equal(ev.streak, 2);
	assert_int_equal(ev.code, 200);
	assert_int_equal(ev.rtt_ns, MS(4));
	assert_int_equal(ev.at, t + MS(4));

	struct ctl_probe_stats st;
	assert_int_equal(ctl_probe_stats(p, 5, &st), 0);
	assert_int_equal(st.health, LB_HEALTH_UP);
	assert_int_equal(st.sent, 12);
	assert_int_equal(st.alive, 5);
	assert_int_equal(st.timeouts, 7);
	assert_int_equal(st.bad_code, 0);
	assert_int_equal(st.successes, 2);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.last_rtt_ns, MS(4));
	assert_int_equal(st.last_code, 200);
	ctl_prober_free(p);
}

/* The detection bound of probe.h: down by t + interval x down_after + timeout. */
static void test_detection_bound(void **state)
{
	struct ctl_prober *p = make_default();
	uint64_t t = T0, stop;

	add(p, 1, "198.18.0.21", t);
	assert_int_equal(round_reply(p, 1, t, 200, MS(1)), CTL_PROBE_REPLY_ALIVE);
	expect_event(p, 1, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);
	/* It stops answering right after the first probe was answered. */
	stop = t + MS(1) + 1;
	/* Tick whenever the prober asks to, as the control loop does. */
	for (;;) {
		struct ctl_probe_send s[4];
		uint64_t next = ctl_probe_next_deadline(p);
		assert_true(next != UINT64_MAX);
		ctl_probe_tick(p, next, s, 4);
		if (ctl_probe_health(p, 1) == LB_HEALTH_DOWN) {
			assert_true(next <= stop + MS(1000) * 3 + MS(500));
			break;
		}
		assert_true(next <= stop + MS(1000) * 3 + MS(500));
	}
	ctl_prober_free(p);
}

static void test_alive_codes(void **state)
{
	struct ctl_probe_cfg cfg;
	uint64_t t = T0;

	/* Default set: any final response means the backend is there, 503 included. */
	struct ctl_prober *p = make_default();
	add(p, 1, "198.18.0.21", t);
	assert_int_equal(round_reply(p, 1, t, 503, MS(1)), CTL_PROBE_REPLY_ALIVE);
	t += MS(1000);
	assert_int_equal(round_reply(p, 1, t, 699, MS(1)), CTL_PROBE_REPLY_ALIVE);
	ctl_prober_free(p);

	/* Only 200 and 404 alive: 503 and 486 are failures with cause "code". */
	default_cfg(&cfg);
	memset(cfg.alive, 0, sizeof(cfg.alive));
	set_code(cfg.alive, 200);
	set_code(cfg.alive, 404);
	p = make(&cfg);
	t = T0;
	add(p, 1, "198.18.0.21", t);
	assert_int_equal(round_reply(p, 1, t, 404, MS(1)), CTL_PROBE_REPLY_ALIVE);
	expect_event(p, 1, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);
	t += MS(1000);
	assert_int_equal(round_reply(p, 1, t, 503, MS(1)), CTL_PROBE_REPLY_FAILED);
	t += MS(1000);
	assert_int_equal(round_reply(p, 1, t, 486, MS(1)), CTL_PROBE_REPLY_FAILED);
	expect_no_event(p);
	t += MS(1000);
	assert_int_equal(round_reply(p, 1, t, 503, MS(1)), CTL_PROBE_REPLY_FAILED);
	struct ctl_probe_event ev;
	assert_int_equal(drain(p, &ev, 1), 1);
	assert_int_equal(ev.to, LB_HEALTH_DOWN);
	assert_int_equal(ev.cause, CTL_PROBE_CAUSE_CODE);
	assert_int_equal(ev.code, 503);

	/* Provisional replies are ignored: the probe stays in flight and its final reply counts. */
	t += MS(1000);
	uint64_t seq = tick_one(p, t, 1);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 100, t + MS(1)), CTL_PROBE_REPLY_PROVISIONAL);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 183, t + MS(2)), CTL_PROBE_REPLY_PROVISIONAL);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(3)), CTL_PROBE_REPLY_ALIVE);
	struct ctl_probe_stats st;
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.last_rtt_ns, MS(3));
	assert_int_equal(st.bad_code, 3);
	assert_int_equal(st.ignored, 2);
	/* A provisional reply does not hold off the timeout either. */
	t += MS(1000);
	seq = tick_one(p, t, 1);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 100, t + MS(1)), CTL_PROBE_REPLY_PROVISIONAL);
	tick_none(p, t + MS(500));
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.timeouts, 1);

	/* Codes outside 100..699 are ignored. */
	t += MS(1000);
	seq = tick_one(p, t, 1);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 99, t + MS(1)), CTL_PROBE_REPLY_BAD_CODE);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 700, t + MS(1)), CTL_PROBE_REPLY_BAD_CODE);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 0, t + MS(1)), CTL_PROBE_REPLY_BAD_CODE);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(1)), CTL_PROBE_REPLY_ALIVE);
	ctl_prober_free(p);
}

static void test_late_and_stale(void **state)
{
	struct ctl_prober *p = make_default();
	struct ctl_probe_stats st;
	uint64_t t = T0, seq;

	add(p, 1, "198.18.0.21", t);
	assert_int_equal(round_reply(p, 1, t, 200, MS(1)), CTL_PROBE_REPLY_ALIVE);
	expect_event(p, 1, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);

	/* Answered after the timeout but before any tick noticed: late, counted as the timeout. */
	t += MS(1000);
	seq = tick_one(p, t, 1);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(500)), CTL_PROBE_REPLY_LATE);
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.alive, 1);
	/* The same reply again, or after the tick expired it: stale. */
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(501)), CTL_PROBE_REPLY_STALE);
	t += MS(1000);
	seq = tick_one(p, t, 1);
	tick_none(p, t + MS(600));
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(601)), CTL_PROBE_REPLY_STALE);
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.failures, 2);

	/* An arrival time a hair before the send (clocks of two cores): RTT 0, nothing expired. */
	t += MS(1000);
	seq = tick_one(p, t, 1);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t - 1), CTL_PROBE_REPLY_ALIVE);
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.last_rtt_ns, 0);
	assert_int_equal(st.timeouts, 2);

	/* Duplicate of an answered probe, a sequence never sent, another backend's sequence. */
	t += MS(1000);
	seq = tick_one(p, t, 1);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(1)), CTL_PROBE_REPLY_ALIVE);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(2)), CTL_PROBE_REPLY_STALE);
	assert_int_equal(ctl_probe_reply(p, 1, seq + 1000, 200, t + MS(2)), CTL_PROBE_REPLY_STALE);
	add(p, 2, "198.18.0.22", t);
	uint64_t seq2 = tick_one(p, t, 2);
	assert_int_equal(ctl_probe_reply(p, 1, seq2, 200, t + MS(2)), CTL_PROBE_REPLY_STALE);
	assert_int_equal(ctl_probe_reply(p, 2, seq2, 200, t + MS(2)), CTL_PROBE_REPLY_ALIVE);
	/* Unknown backends. */
	assert_int_equal(ctl_probe_reply(p, 3, seq2, 200, t + MS(2)), CTL_PROBE_REPLY_UNKNOWN_ID);
	assert_int_equal(ctl_probe_reply(p, LB_MAX_BACKENDS, 1, 200, t),
	                 CTL_PROBE_REPLY_UNKNOWN_ID);
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	/* late, 2 stale, duplicate, never sent, another backend's (unknown ids count nowhere) */
	assert_int_equal(st.ignored, 6);
	assert_int_equal(ctl_probe_health(p, 1), LB_HEALTH_UP);

	assert_string_equal(ctl_probe_reply_name(CTL_PROBE_REPLY_LATE), "late");
	assert_string_equal(ctl_probe_reply_name(CTL_PROBE_REPLY_COUNT), "unknown");
	assert_string_equal(ctl_probe_cause_name(CTL_PROBE_CAUSE_TIMEOUT), "timeout");
	assert_string_equal(ctl_probe_cause_name(CTL_PROBE_CAUSE_COUNT), "unknown");
	ctl_prober_free(p);
}

/* A reply that arrives before the tick still counts older expired probes first. */
static void test_reply_orders_timeouts(void **state)
{
	struct ctl_probe_cfg cfg;
	default_cfg(&cfg);
	cfg.timeout_ns = MS(2500); /* up to three probes in flight */
	cfg.down_after = 2;
	struct ctl_prober *p = make(&cfg);
	uint64_t t = T0;

	add(p, 1, "198.18.0.21", t);
	assert_int_equal(round_reply(p, 1, t, 200, MS(1)), CTL_PROBE_REPLY_ALIVE);
	expect_event(p, 1, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);
	uint64_t a = tick_one(p, t + MS(1000), 1);
	uint64_t b = tick_one(p, t + MS(2000), 1);
	uint64_t c = tick_one(p, t + MS(3000), 1);
	assert_true(a < b && b < c);
	/* c answered at 3600: a (deadline 3500) has expired, b has not. */
	assert_int_equal(ctl_probe_reply(p, 1, c, 200, t + MS(3600)), CTL_PROBE_REPLY_ALIVE);
	assert_int_equal(ctl_probe_reply(p, 1, a, 200, t + MS(3601)), CTL_PROBE_REPLY_STALE);
	assert_int_equal(ctl_probe_reply(p, 1, b, 200, t + MS(3700)), CTL_PROBE_REPLY_ALIVE);
	expect_no_event(p);
	struct ctl_probe_stats st;
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.alive, 3);
	assert_int_equal(st.last_rtt_ns, MS(1700));
	ctl_prober_free(p);
}

static void test_window_full(void **state)
{
	struct ctl_probe_cfg cfg;
	default_cfg(&cfg);
	cfg.timeout_ns = MS(60000);
	struct ctl_prober *p = make(&cfg);
	struct ctl_probe_stats st;
	uint64_t t = T0, first = 0, seq = 0;

	add(p, 1, "198.18.0.21", t);
	for (int i = 0; i < CTL_PROBE_WINDOW; i++) {
		seq = tick_one(p, t + MS(1000) * (uint64_t)i, 1);
		if (i == 0)
			first = seq;
	}
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.timeouts, 0);
	/* The next probe pushes out the oldest as a timeout; its reply is stale from then on. */
	tick_one(p, t + MS(1000) * CTL_PROBE_WINDOW, 1);
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.health, LB_HEALTH_DOWN);
	expect_event(p, 1, LB_HEALTH_UNKNOWN, LB_HEALTH_DOWN, CTL_PROBE_CAUSE_TIMEOUT);
	assert_int_equal(ctl_probe_reply(p, 1, first, 200, t + MS(1000) * CTL_PROBE_WINDOW),
	                 CTL_PROBE_REPLY_STALE);
	assert_int_equal(ctl_probe_reply(p, 1, seq, 200, t + MS(1000) * CTL_PROBE_WINDOW),
	                 CTL_PROBE_REPLY_ALIVE);
	ctl_prober_free(p);
}

static void test_schedule(void **state)
{
	struct ctl_prober *p = make_default();
	struct ctl_probe_send s[4];
	uint64_t t = T0;

	assert_int_equal(ctl_probe_next_deadline(p), UINT64_MAX);
	assert_int_equal(ctl_probe_tick(p, t, s, 4), 0);
	add(p, 1, "198.18.0.21", t);
	add(p, 2, "198.18.0.22", t + MS(300));
	add(p, 3, "198.18.0.23", t + MS(300));
	assert_int_equal(ctl_probe_next_deadline(p), t);

	/* cap 1: one at a time, the rest stay due. */
	assert_int_equal(ctl_probe_tick(p, t + MS(300), s, 1), 1);
	assert_int_equal(s[0].id, 1);
	assert_int_equal(ctl_probe_tick(p, t + MS(300), s, 1), 1);
	assert_int_equal(s[0].id, 2);
	assert_int_equal(ctl_probe_tick(p, t + MS(300), s, 1), 1);
	assert_int_equal(s[0].id, 3);
	assert_int_equal(ctl_probe_tick(p, t + MS(300), s, 4), 0);
	/* Backend 1's probe went at 300 though due at 0: its phase stays at 0 mod interval, and
	 * its timeout (300 + 500) comes before its next probe (1000). */
	assert_int_equal(ctl_probe_next_deadline(p), t + MS(800));
	tick_none(p, t + MS(800));
	assert_int_equal(ctl_probe_next_deadline(p), t + MS(1000));
	assert_int_equal(ctl_probe_tick(p, t + MS(999), s, 4), 0);
	assert_int_equal(ctl_probe_tick(p, t + MS(1000), s, 4), 1);
	assert_int_equal(s[0].id, 1);

	/* A tick 10 intervals late sends one probe per backend, not ten. */
	assert_int_equal(ctl_probe_tick(p, t + MS(11000), s, 4), 3);
	assert_int_equal(ctl_probe_tick(p, t + MS(11000), s, 4), 0);
	assert_int_equal(ctl_probe_next_deadline(p), t + MS(11500));
	tick_none(p, t + MS(11500));
	assert_int_equal(ctl_probe_next_deadline(p), t + MS(12000));
	ctl_prober_free(p);
}

static void test_add_remove(void **state)
{
	struct ctl_prober *p = make_default();
	struct lb_addr a, bad;
	struct ctl_probe_stats st;
	uint64_t t = T0;

	assert_int_equal(lb_addr_parse("198.18.0.21", 5060, &a), 0);
	memset(&bad, 0, sizeof(bad));
	assert_int_equal(ctl_probe_add(p, LB_MAX_BACKENDS, &a, t), -EINVAL);
	assert_int_equal(ctl_probe_add(p, 0, &bad, t), -EINVAL);
	assert_int_equal(ctl_probe_add(p, 0, &a, t), 0);
	assert_int_equal(ctl_probe_add(p, 0, &a, t), -EEXIST);
	assert_int_equal(ctl_probe_add(p, LB_MAX_BACKENDS - 1, &a, t), 0);
	assert_int_equal(ctl_probe_remove(p, 1), -ENOENT);
	assert_int_equal(ctl_probe_remove(p, LB_MAX_BACKENDS), -ENOENT);
	assert_int_equal(ctl_probe_stats(p, 1, &st), -ENOENT);
	assert_int_equal(ctl_probe_stats(p, LB_MAX_BACKENDS, &st), -ENOENT);
	assert_int_equal(ctl_probe_health(p, LB_MAX_BACKENDS), LB_HEALTH_UNKNOWN);

	struct ctl_probe_send s[4];
	assert_int_equal(ctl_probe_tick(p, t, s, 4), 2);
	assert_int_equal(ctl_probe_reply(p, 0, s[0].seq, 200, t + 1), CTL_PROBE_REPLY_ALIVE);
	assert_int_equal(ctl_probe_health(p, 0), LB_HEALTH_UP);

	/* Removed: its replies are ignored, its probe's timeout never fires, its id is free. */
	assert_int_equal(ctl_probe_remove(p, LB_MAX_BACKENDS - 1), 0);
	assert_int_equal(ctl_probe_reply(p, LB_MAX_BACKENDS - 1, s[1].seq, 200, t + 1),
	                 CTL_PROBE_REPLY_UNKNOWN_ID);
	assert_int_equal(ctl_probe_next_deadline(p), t + MS(1000));
	tick_none(p, t + MS(600));
	expect_event(p, 0, LB_HEALTH_UNKNOWN, LB_HEALTH_UP, CTL_PROBE_CAUSE_NONE);

	/* Removed and added again: fresh state, and replies to its old probes do not count. */
	uint64_t old = tick_one(p, t + MS(1000), 0);
	assert_int_equal(ctl_probe_remove(p, 0), 0);
	assert_int_equal(ctl_probe_add(p, 0, &a, t + MS(1100)), 0);
	assert_int_equal(ctl_probe_health(p, 0), LB_HEALTH_UNKNOWN);
	assert_int_equal(ctl_probe_stats(p, 0, &st), 0);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.rtt.count, 0);
	assert_int_equal(ctl_probe_reply(p, 0, old, 200, t + MS(1101)), CTL_PROBE_REPLY_STALE);
	uint64_t fresh = tick_one(p, t + MS(1100), 0);
	assert_true(fresh > old);
	ctl_prober_free(p);
}

static void test_rtt_histogram(void **state)
{
	struct ctl_probe_cfg cfg;
	default_cfg(&cfg);
	cfg.interval_ns = MS(10000);
	cfg.timeout_ns = MS(9000);
	struct ctl_prober *p = make(&cfg);
	struct ctl_probe_stats st;
	/* RTTs and the first bucket each falls in (le is inclusive). */
	static const struct {
		uint64_t rtt_ns;
		unsigned first_bucket;
	} obs[] = {
	    {1, 0},                            /* 1 ns */
	    {MS(1), 0},                        /* exactly 1 ms: le="1" */
	    {MS(1) + 1, 1},                    /* just above */
	    {MS(30), 5},                       /* <= 50 */
	    {MS(5000), 11},                    /* exactly the top bound */
	    {MS(7000), CTL_PROBE_RTT_BUCKETS}, /* only +Inf */
	};
	uint64_t t = T0, sum = 0;

	add(p, 1, "198.18.0.21", t);
	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++, t += MS(10000)) {
		assert_int_equal(round_reply(p, 1, t, 200, obs[i].rtt_ns), CTL_PROBE_REPLY_ALIVE);
		sum += obs[i].rtt_ns;
	}
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.rtt.count, 6);
	assert_int_equal(st.rtt.sum_ns, sum);
	assert_int_equal(st.last_rtt_ns, MS(7000));
	for (unsigned b = 0; b < CTL_PROBE_RTT_BUCKETS; b++) {
		uint64_t want = 0;
		for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
			want += obs[i].first_bucket <= b;
		assert_int_equal(st.rtt.bucket[b], want);
	}
	/* Buckets are increasing and cumulative. */
	for (unsigned b = 1; b < CTL_PROBE_RTT_BUCKETS; b++) {
		assert_true(ctl_probe_rtt_buckets_ms[b] > ctl_probe_rtt_buckets_ms[b - 1]);
		assert_true(st.rtt.bucket[b] >= st.rtt.bucket[b - 1]);
	}
	/* Failures do not enter the histogram. */
	round_timeout(p, 1, t, MS(9000));
	assert_int_equal(ctl_probe_stats(p, 1, &st), 0);
	assert_int_equal(st.rtt.count, 6);
	ctl_prober_free(p);
}

static void test_many_events_and_apply(void **state)
{
	struct ctl_prober *p = make_default();
	enum { N = 300 };
	static struct ctl_probe_send s[N];
	static struct ctl_probe_event ev[N];
	static struct lb_backend_config be[N + 1];
	char addr[32];
	uint64_t t = T0;

	for (uint32_t i = 0; i < N; i++) {
		snprintf(addr, sizeof(addr), "198.18.%u.%u", i / 200, i % 200 + 1);
		add(p, i, addr, t);
		be[i].id = i;
		be[i].health = LB_HEALTH_UNKNOWN;
	}
	be[N].id = N + 7; /* not probed: left alone */
	be[N].health = LB_HEALTH_DOWN;
	assert_false(ctl_probe_apply(p, be, N + 1));

	assert_int_equal(ctl_probe_tick(p, t, s, N), N);
	/* Even ids answer, odd ones do not: N events queued (the ring grows past its first size).
	 */
	for (uint32_t i = 0; i < N; i += 2)
		assert_int_equal(ctl_probe_reply(p, s[i].id, s[i].seq, 200, t + MS(1)),
		                 CTL_PROBE_REPLY_ALIVE);
	tick_none(p, t + MS(500));
	size_t got = 0, n;
	while ((n = drain(p, ev + got, 7)) > 0)
		got += n;
	assert_int_equal(got, N);
	/* Oldest first: the replies, then the timeouts in backend order. */
	for (uint32_t i = 0; i < N / 2; i++) {
		assert_int_equal(ev[i].id, 2 * i);
		assert_int_equal(ev[i].to, LB_HEALTH_UP);
		assert_int_equal(ev[N / 2 + i].id, 2 * i + 1);
		assert_int_equal(ev[N / 2 + i].to, LB_HEALTH_DOWN);
	}
	assert_int_equal(ctl_probe_events_lost(p), 0);

	assert_true(ctl_probe_apply(p, be, N + 1));
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(be[i].health, i % 2 ? LB_HEALTH_DOWN : LB_HEALTH_UP);
	assert_int_equal(be[N].health, LB_HEALTH_DOWN);
	assert_false(ctl_probe_apply(p, be, N + 1));
	ctl_prober_free(p);
}

static void test_create_and_config(void **state)
{
	struct ctl_probe_cfg cfg, good;
	struct ctl_config conf;
	struct lb_addr self;

	default_cfg(&good);
	struct ctl_probe_cfg bad[5];
	for (int i = 0; i < 5; i++)
		bad[i] = good;
	bad[0].interval_ns = 0;
	bad[1].timeout_ns = 0;
	bad[2].down_after = 0;
	bad[3].up_after = 0;
	bad[4].self.family = 0;
	for (int i = 0; i < 5; i++) {
		errno = 0;
		assert_null(ctl_prober_create(&bad[i]));
		assert_int_equal(errno, EINVAL);
	}
	ctl_prober_free(NULL);

	/* From the configuration: its defaults, and a nonce drawn when 0. */
	ctl_config_defaults(&conf);
	memset(conf.secret, 0xab, sizeof(conf.secret));
	assert_int_equal(lb_addr_parse("198.18.0.10:5060", 5060, &self), 0);
	ctl_probe_cfg_from_config(&conf, &self, &cfg);
	assert_int_equal(cfg.interval_ns, MS(conf.probe_interval_ms));
	assert_int_equal(cfg.timeout_ns, MS(conf.probe_timeout_ms));
	assert_int_equal(cfg.down_after, conf.probe_down_after);
	assert_int_equal(cfg.up_after, conf.probe_up_after);
	assert_memory_equal(cfg.alive, conf.probe_alive, sizeof(cfg.alive));
	assert_true(lb_addr_equal(&cfg.self, &self));
	assert_true(cfg.key[0] == UINT64_C(0xabababababababab));
	assert_int_equal(cfg.nonce, 0);
	struct ctl_prober *p = make(&cfg);
	char buf[CTL_PROBE_MAX_LEN];
	assert_true(build(p, 1, 1, "198.18.0.21", buf, sizeof(buf)) > 0);
	/* The drawn nonce is in the Call-ID: not the all-zero one. */
	assert_null(strstr(buf, "ssp-0000000000000000-"));
	ctl_prober_free(p);
	ctl_config_free(&conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_parses),
	    cmocka_unit_test(test_build_ipv6),
	    cmocka_unit_test(test_build_no_room),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_match_refuses),
	    cmocka_unit_test(test_first_result_decides),
	    cmocka_unit_test(test_up_to_down_to_up),
	    cmocka_unit_test(test_detection_bound),
	    cmocka_unit_test(test_alive_codes),
	    cmocka_unit_test(test_late_and_stale),
	    cmocka_unit_test(test_reply_orders_timeouts),
	    cmocka_unit_test(test_window_full),
	    cmocka_unit_test(test_schedule),
	    cmocka_unit_test(test_add_remove),
	    cmocka_unit_test(test_rtt_histogram),
	    cmocka_unit_test(test_many_events_and_apply),
	    cmocka_unit_test(test_create_and_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
