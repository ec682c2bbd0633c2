/* SPDX-License-Identifier: BSD-3-Clause */
/* sipsteer-bench load: latency histogram and SIP messages (client requests, backend answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "load_hist.h"
#include "load_sip.h"
#include "sip.h"

static const struct load_uac_id uac = {
    .local = "198.18.0.1:5070",
    .local_ip = "198.18.0.1",
    .target = "198.18.0.10:5060",
    .tag = 0x1234abcd,
};

static void test_hist_index_roundtrip(void **state)
{
	(void)state;
	uint64_t values[] = {0,         1, 63, 64, 65, 100, 1000, 123456, 1u << 30, UINT64_MAX / 3,
	                     UINT64_MAX};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint32_t idx = load_hist_index(values[i]);

		assert_true(idx < LOAD_HIST_BUCKETS);
		assert_true(load_hist_lower(idx) <= values[i]);
		if (idx + 1 < LOAD_HIST_BUCKETS)
			assert_true(load_hist_lower(idx + 1) > values[i]);
	}
	/* buckets are contiguous and increasing */
	for (uint32_t i = 1; i < LOAD_HIST_BUCKETS; i++)
		assert_true(load_hist_lower(i) > load_hist_lower(i - 1));
}

static void test_hist_percentiles(void **state)
{
	(void)state;
	static struct load_hist h;

	load_hist_init(&h);
	assert_int_equal(load_hist_percentile(&h, 50), 0);
	for (uint64_t v = 1; v <= 100000; v++)
		load_hist_add(&h, v * 1000);
	assert_int_equal(h.count, 100000);
	assert_int_equal(h.min, 1000);
	assert_int_equal(h.max, 100000000);
	/* within the bucket width (1/32) of the exact value */
	struct {
		double p;
		double exact;
	} cases[] = {{50, 50e6}, {99, 99e6}, {99.9, 99.9e6}, {100, 100e6}, {0.001, 1000}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = (double)load_hist_percentile(&h, cases[i].p);

		assert_true(got >= cases[i].exact * (1 - 1.0 / 32));
		assert_true(got <= cases[i].exact * (1 + 1.0 / 32));
	}
	/* clamped to what was seen */
	load_hist_init(&h);
	load_hist_add(&h, 777777);
	assert_int_equal(load_hist_percentile(&h, 50), 777777);
	assert_int_equal(load_hist_percentile(&h, 150), 777777);
}

static int parse(const char *buf, int len, struct sip_msg *m)
{
	assert_true(len > 0);
	return sip_parse(buf, (size_t)len, m);
}

static void test_invite_parses(void **state)
{
	(void)state;
	char buf[2048], branch[64];
	struct sip_msg m;
	uint64_t call;
	int len = load_sip_invite(buf, sizeof(buf), &uac, 0x2a);

	assert_true(parse(buf, len, &m) == len);
	assert_true(m.is_request);
	assert_int_equal(m.method, SIP_METHOD_INVITE);
	assert_int_equal(m.cseq, 1);
	assert_int_equal(load_sip_call_of(buf + m.call_id.off, m.call_id.len, uac.tag, &call), 0);
	assert_int_equal(call, 0x2a);
	int blen = load_sip_branch(branch, sizeof(branch), uac.tag, 0x2a, LOAD_TXN_INVITE);

	assert_int_equal(m.top_via.branch.len, blen);
	assert_memory_equal(buf + m.top_via.branch.off, branch, (size_t)blen);
	assert_true(m.body.len > 0);
	/* no room: -1, never a partial message */
	assert_int_equal(load_sip_invite(buf, 100, &uac, 1), -1);
}

static void test_call_of_refuses_others(void **state)
{
	(void)state;
	uint64_t call = 99;
	const char *bad[] = {
	    "",                             /* empty */
	    "2a-1234abcd",                  /* no host */
	    "2a-1234abce@198.18.0.1",       /* another run's tag */
	    "-1234abcd@198.18.0.1",         /* no number */
	    "2a_1234abcd@198.18.0.1",       /* wrong separator */
	    "2a-1234abc@198.18.0.1",        /* short tag */
	    "2a-1234ABCD@198.18.0.1",       /* upper case is not ours */
	    "11112222333344445-1234abcd@x", /* more than 16 digits */
	    "a84bb2e1@sipp.example",        /* someone else's shape */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(load_sip_call_of(bad[i], strlen(bad[i]), uac.tag, &call), -1);
	assert_int_equal(call, 99);
	assert_int_equal(load_sip_call_of("ff-1234abcd@h", 13, uac.tag, &call), 0);
	assert_int_equal(call, 0xff);
}

/* A request as a balancer forwards it: its Via on top of the client's. */
static const char forwarded_invite[] =
    "INVITE sip:bench@198.18.0.10:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-lb-1\r\n"
    "v: SIP/2.0/UDP 198.18.0.1:5070;branch=z9hG4bK-1234abcd-2a-i;rport=5070;received=198.18.0.1\r\n"
    "Max-Forwards: 69\r\n"
    "From: <sip:load@198.18.0.1:5070>;tag=2a-1234abcd\r\n"
    "To: <sip:bench@198.18.0.10:5060>\r\n"
    "Call-ID: 2a-1234abcd@198.18.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

static void test_response_copies_and_tags(void **state)
{
	(void)state;
	char out[2048];
	struct sip_msg req, resp;
	struct sockaddr_in dst;

	assert_true(parse(forwarded_invite, (int)strlen(forwarded_invite), &req) > 0);
	int len = load_sip_response(out, sizeof(out), forwarded_invite, &req, 180, "Ringing", true,
	                            "198.18.0.21:5060", false);

	assert_true(parse(out, len, &resp) == len);
	assert_false(resp.is_request);
	assert_int_equal(resp.status_code, 180);
	assert_int_equal(resp.via_count, 2); /* both Vias, in order */
	assert_true(strstr(out, "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-lb-1\r\nv: ") !=
	            NULL);
	assert_true(resp.to_tag.len > 0);
	assert_int_equal(resp.cseq_method, SIP_METHOD_INVITE);
	struct sip_str contact;

	assert_true(load_sip_contact_uri(out, &resp, &contact));
	assert_int_equal(contact.len, strlen("sip:bench@198.18.0.21:5060"));
	assert_memory_equal(out + contact.off, "sip:bench@198.18.0.21:5060", contact.len);

	/* the same To tag for every response of the call */
	char out2[2048];
	struct sip_msg resp2;
	int len2 = load_sip_response(out2, sizeof(out2), forwarded_invite, &req, 200, "OK", true,
	                             NULL, true);

	assert_true(parse(out2, len2, &resp2) == len2);
	assert_int_equal(resp2.to_tag.len, resp.to_tag.len);
	assert_memory_equal(out2 + resp2.to_tag.off, out + resp.to_tag.off, resp.to_tag.len);
	assert_true(resp2.body.len > 0);
	assert_false(load_sip_contact_uri(out2, &resp2, &contact));
	/* 100 Trying: no tag added */
	len = load_sip_response(out, sizeof(out), forwarded_invite, &req, 100, "Trying", false,
	                        NULL, false);
	assert_true(parse(out, len, &resp) == len);
	assert_int_equal(resp.to_tag.len, 0);
	/* no room */
	assert_int_equal(
	    load_sip_response(out, 64, forwarded_invite, &req, 200, "OK", true, NULL, false), -1);
	/* answered to the balancer's Via (its sent-by, port 5060) */
	assert_int_equal(load_sip_response_dest(forwarded_invite, &req, &dst), 0);
	assert_int_equal(ntohs(dst.sin_port), 5060);
	assert_int_equal(ntohl(dst.sin_addr.s_addr), 0xc612000a);
}

static void test_response_dest_rules(void **state)
{
	(void)state;
	struct {
		const char *via;
		int rc;
		uint32_t ip;
		uint16_t port;
	} cases[] = {
	    {"SIP/2.0/UDP 198.18.0.1:5070", 0, 0xc6120001, 5070},
	    {"SIP/2.0/UDP 198.18.0.1", 0, 0xc6120001, 5060},
	    {"SIP/2.0/UDP 198.18.0.1:5070;received=198.18.0.9", 0, 0xc6120009, 5070},
	    {"SIP/2.0/UDP 198.18.0.1:5070;rport=6000;received=198.18.0.9", 0, 0xc6120009, 6000},
	    {"SIP/2.0/UDP 198.18.0.1:5070;rport", 0, 0xc6120001, 5070},
	    {"SIP/2.0/UDP client.example:5070", -1, 0, 0},      /* a name: not resolved */
	    {"SIP/2.0/UDP [2001:db8::1]:5070", -1, 0, 0},       /* IPv6: not supported */
	    {"SIP/2.0/UDP h.example;received=bogus", -1, 0, 0}, /* received not an address */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char req[512];
		struct sip_msg m;
		struct sockaddr_in dst;
		int len =
		    snprintf(req, sizeof(req),
		             "BYE sip:a@198.18.0.21 SIP/2.0\r\nVia: %s\r\nFrom: <sip:a@b>;tag=1\r\n"
		             "To: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 2 BYE\r\n\r\n",
		             cases[i].via);

		assert_true(parse(req, len, &m) > 0);
		assert_int_equal(load_sip_response_dest(req, &m, &dst), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(ntohl(dst.sin_addr.s_addr), cases[i].ip);
			assert_int_equal(ntohs(dst.sin_port), cases[i].port);
		}
	}
}

static void test_in_dialog_requests(void **state)
{
	(void)state;
	char buf[2048];
	struct sip_msg m;
	const char *ruri = "sip:bench@198.18.0.21:5060";
	const char *to = "<sip:bench@198.18.0.10:5060>;tag=uas1";
	int len = load_sip_in_dialog(buf, sizeof(buf), &uac, 7, LOAD_TXN_BYE, ruri, strlen(ruri),
	                             to, strlen(to));

	assert_true(parse(buf, len, &m) == len);
	assert_int_equal(m.method, SIP_METHOD_BYE);
	assert_int_equal(m.cseq, 2);
	assert_int_equal(m.to_tag.len, 4);
	len = load_sip_in_dialog(buf, sizeof(buf), &uac, 7, LOAD_TXN_ACK, ruri, strlen(ruri), to,
	                         strlen(to));
	assert_true(parse(buf, len, &m) == len);
	assert_int_equal(m.method, SIP_METHOD_ACK);
	assert_int_equal(m.cseq, 1); /* RFC 3261 13.2.2.4 */
	assert_int_equal(
	    load_sip_in_dialog(buf, 40, &uac, 7, LOAD_TXN_ACK, ruri, strlen(ruri), to, strlen(to)),
	    -1);
}

static void test_contact_forms(void **state)
{
	(void)state;
	struct {
		const char *header;
		const char *uri; /* NULL: none found */
	} cases[] = {
	    {"Contact: <sip:a@198.18.0.21:5060>;expires=60", "sip:a@198.18.0.21:5060"},
	    {"m: sip:a@198.18.0.21;transport=udp", "sip:a@198.18.0.21"},
	    {"CONTACT :  sip:b@h  ", "sip:b@h"},
	    {"Contact: <sip:unterminated", NULL},
	    {"Contact: <>", NULL},
	    {"Contacts: <sip:not@this>", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[512];
		struct sip_msg m;
		struct sip_str uri;
		int len = snprintf(msg, sizeof(msg),
		                   "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.1\r\n"
		                   "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
		                   "CSeq: 1 INVITE\r\n%s\r\n\r\n",
		                   cases[i].header);

		assert_true(parse(msg, len, &m) > 0);
		if (!cases[i].uri) {
			assert_false(load_sip_contact_uri(msg, &m, &uri));
			continue;
		}
		assert_true(load_sip_contact_uri(msg, &m, &uri));
		assert_int_equal(uri.len, strlen(cases[i].uri));
		assert_memory_equal(msg + uri.off, cases[i].uri, uri.len);
	}
}

static void test_parse_addr(void **state)
{
	(void)state;
	struct sockaddr_in sa;
	const char *bad[] = {"",
	                     ":5060",
	                     "198.18.0.1:",
	                     "198.18.0.1:x",
	                     "198.18.0.1:65536",
	                     "198.18.0.256:5060",
	                     "host:5060",
	                     "198.18.0.1:-1",
	                     "198.18.0.1:50 60",
	                     "1.2.3.4.5:1"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(load_parse_addr(bad[i], true, 0, &sa), -1);
	assert_int_equal(load_parse_addr("198.18.0.1", true, 0, &sa), -1); /* port required */
	assert_int_equal(load_parse_addr("198.18.0.1", false, 5060, &sa), 0);
	assert_int_equal(ntohs(sa.sin_port), 5060);
	assert_int_equal(load_parse_addr("198.18.0.1:0", true, 0, &sa), 0);
	assert_int_equal(load_parse_addr("198.18.0.1:65535", true, 0, &sa), 0);
	assert_int_equal(ntohs(sa.sin_port), 65535);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hist_index_roundtrip),
	    cmocka_unit_test(test_hist_percentiles),
	    cmocka_unit_test(test_invite_parses),
	    cmocka_unit_test(test_call_of_refuses_others),
	    cmocka_unit_test(test_response_copies_and_tags),
	    cmocka_unit_test(test_response_dest_rules),
	    cmocka_unit_test(test_in_dialog_requests),
	    cmocka_unit_test(test_contact_forms),
	    cmocka_unit_test(test_parse_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
