/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration loader: the built-in default and the documented example load, every default
 * is right, write/load round-trips, and every class of bad input is refused with its line and
 * field path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

/* Five lines every case can build on: its own text starts at line 6. */
#define PORTS  "ports:\n  - name: lan0\n    device: net_tap0\n"
#define LISTEN "listen:\n  ipv4: 198.18.0.10/24\n"
#define HEAD   PORTS LISTEN
#define BASE   HEAD "backends: []\n" /* 6 lines: appended text starts at line 7 */

static int parse(const char *text, struct ctl_config *cfg, char *err, size_t cap)
{
	return ctl_config_parse("t", text, strlen(text), cfg, err, cap);
}

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static bool is_addr(const struct lb_addr *a, int family, const char *ip, uint16_t port)
{
	uint8_t bytes[16];
	if (a->family != family || a->port != port || inet_pton(family, ip, bytes) != 1)
		return false;
	return !memcmp(family == AF_INET ? a->v4 : a->v6, bytes, family == AF_INET ? 4 : 16);
}

/* --- good configurations --- */

static void test_embedded(void **state)
{
	struct ctl_config cfg;
	char err[512];
	static const uint8_t secret[16] = {0x5f, 0x1e, 0x0c, 0x7b, 0x2a, 0x9d, 0x48, 0xe6,
	                                   0xb3, 0xc4, 0xd5, 0xe6, 0xf7, 0xa8, 0xb9, 0xc0};

	int rc = ctl_config_parse("builtin", ctl_config_embedded, strlen(ctl_config_embedded), &cfg,
	                          err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(cfg.ports[0].name, "lan0");
	assert_string_equal(cfg.ports[0].device, "net_tap0,iface=sst0");
	assert_int_equal(cfg.workers, 1);
	assert_int_equal(cfg.idle_sleep_us, 100);
	assert_true(is_addr(&cfg.vip4.addr, AF_INET, "198.18.0.10", 0));
	assert_int_equal(cfg.vip4.len, 24);
	assert_int_equal(cfg.vip6.addr.family, 0);
	assert_int_equal(cfg.n_sip_ports, 1);
	assert_int_equal(cfg.sip_ports[0], 5060);
	assert_int_equal(cfg.n_backends, 3);
	static const char *const names[] = {"be1", "be2", "be3"};
	static const char *const ips[] = {"198.18.0.21", "198.18.0.22", "198.18.0.23"};
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(cfg.backends[i].id, i);
		assert_string_equal(cfg.backends[i].name, names[i]);
		assert_true(is_addr(&cfg.backends[i].addr, AF_INET, ips[i], 5060));
		assert_int_equal(cfg.backends[i].weight, 1);
		assert_int_equal(cfg.backends[i].admin, LB_ADMIN_ENABLED);
		assert_int_equal(cfg.backends[i].health, LB_HEALTH_UNKNOWN);
	}
	assert_true(cfg.probe_enabled);
	assert_int_equal(cfg.probe_interval_ms, 1000);
	assert_true(cfg.secret_set);
	assert_memory_equal(cfg.secret, secret, 16);
	assert_string_equal(cfg.api_socket, "/run/sipsteer/sipsteer.sock");
	assert_string_equal(cfg.metrics, "127.0.0.1:9760");
	assert_string_equal(cfg.path, "builtin");
	ctl_config_free(&cfg);
	assert_true(all_zero(&cfg, sizeof(cfg)));
}

static void example_path(char *out, size_t cap)
{
	const char *tests = getenv("SIPSTEER_TESTS");
	snprintf(out, cap, "%s/../docs/examples/sipsteer.yaml", tests ? tests : "tests");
}

static void test_docs_example(void **state)
{
	struct ctl_config cfg;
	char path[PATH_MAX], err[512];

	example_path(path, sizeof(path));
	int rc = ctl_config_load(path, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_eal_args, 1);
	assert_string_equal(cfg.eal_args[0], "--log-level=lib.eal:notice");
	assert_int_equal(cfg.ports[0].mtu, 1500);
	assert_true(is_addr(&cfg.vip6.addr, AF_INET6, "2001:db8::10", 0));
	assert_int_equal(cfg.vip6.len, 64);
	assert_true(is_addr(&cfg.gateway4, AF_INET, "198.18.0.1", 0));
	assert_true(is_addr(&cfg.gateway6, AF_INET6, "2001:db8::1", 0));
	assert_int_equal(cfg.n_backends, 3);
	assert_true(is_addr(&cfg.backends[1].addr, AF_INET, "198.18.0.22", 5060));
	assert_int_equal(cfg.backends[1].weight, 2);
	assert_true(is_addr(&cfg.backends[2].addr, AF_INET6, "2001:db8::23", 5070));
	assert_int_equal(cfg.backends[2].admin, LB_ADMIN_DRAINING);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_REGISTER], LB_KEY_TO_URI);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_INVITE], LB_KEY_CALL_ID);
	assert_true(ctl_config_probe_alive(&cfg, 200));
	assert_true(ctl_config_probe_alive(&cfg, 404));
	assert_false(ctl_config_probe_alive(&cfg, 300));
	assert_false(ctl_config_probe_alive(&cfg, 100));
	assert_true(ctl_config_probe_alive(&cfg, 699));
	assert_string_equal(cfg.path, path);
	ctl_config_free(&cfg);
}

static void test_defaults(void **state)
{
	struct ctl_config cfg, def;
	char err[512];

	ctl_config_defaults(&def);
	assert_int_equal(parse(BASE, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_eal_args, 0);
	assert_int_equal(cfg.ports[0].mtu, 0);
	assert_int_equal(cfg.workers, 1);
	assert_int_equal(cfg.idle_sleep_us, 100);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.n_sip_ports, 1);
	assert_int_equal(cfg.sip_ports[0], 5060);
	assert_int_equal(cfg.gateway4.family, 0);
	assert_int_equal(cfg.gateway6.family, 0);
	assert_int_equal(cfg.n_backends, 0);
	assert_null(cfg.backends);
	assert_int_equal(cfg.table_size, LB_DEFAULT_TABLE);
	assert_int_equal(cfg.seed, 0);
	for (int m = 0; m < SIP_METHOD_COUNT; m++)
		assert_int_equal(cfg.key_by_method[m], LB_KEY_CALL_ID);
	assert_int_equal(cfg.retry_after, 5);
	assert_int_equal(cfg.max_forwards, 70);
	assert_false(cfg.record_route);
	assert_false(cfg.add_path);
	assert_int_equal(cfg.dialog_methods, 0);
	assert_int_equal(cfg.rate_limit, 0);
	assert_int_equal(cfg.rate_limit_burst, 0);
	assert_false(cfg.secret_set);
	assert_true(all_zero(cfg.secret, sizeof(cfg.secret)));
	assert_string_equal(cfg.secret_file, "");
	assert_true(cfg.probe_enabled);
	assert_int_equal(cfg.probe_interval_ms, 1000);
	assert_int_equal(cfg.probe_timeout_ms, 1000);
	assert_int_equal(cfg.probe_down_after, 3);
	assert_int_equal(cfg.probe_up_after, 2);
	for (unsigned code = 100; code <= 699; code++)
		assert_int_equal(ctl_config_probe_alive(&cfg, code), code >= 200);
	assert_false(ctl_config_probe_alive(&cfg, 99));
	assert_false(ctl_config_probe_alive(&cfg, 700));
	assert_string_equal(cfg.api_socket, "/run/sipsteer/sipsteer.sock");
	assert_string_equal(cfg.metrics, "127.0.0.1:9760");
	assert_string_equal(cfg.log, "stderr");
	assert_string_equal(cfg.log_level, "info");
	/* ctl_config_defaults and a minimal file agree on everything the file does not say */
	def.n_ports = cfg.n_ports;
	memcpy(def.ports, cfg.ports, sizeof(def.ports));
	def.vip4 = cfg.vip4;
	assert_true(ctl_config_equal(&cfg, &def));
	ctl_config_free(&cfg);
}

static void test_timeout_follows_interval(void **state)
{
	struct ctl_config cfg;
	char err[512];

	assert_int_equal(parse(BASE "probe:\n  interval_ms: 2500\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.probe_timeout_ms, 2500);
	ctl_config_free(&cfg);
	assert_int_equal(
	    parse(BASE "probe:\n  timeout_ms: 300\n  interval_ms: 2500\n", &cfg, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.probe_timeout_ms, 300);
	ctl_config_free(&cfg);
}

static void test_null_sections(void **state)
{
	struct ctl_config cfg;
	char err[512];

	/* a key with nothing after it reads as an empty section / list */
	int rc = parse(BASE "eal:\nhashing:\nsip:\nprobe:\ncontrol:\n", &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_eal_args, 0);
	assert_int_equal(cfg.table_size, LB_DEFAULT_TABLE);
	ctl_config_free(&cfg);
	rc = parse(HEAD "backends:\n", &cfg, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(cfg.n_backends, 0);
	ctl_config_free(&cfg);
}

static void test_ack_cancel_follow_invite(void **state)
{
	struct ctl_config cfg;
	char err[512];

	assert_int_equal(
	    parse(BASE "hashing:\n  keys:\n    INVITE: from-uri\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_INVITE], LB_KEY_FROM_URI);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_CANCEL], LB_KEY_FROM_URI);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_ACK], LB_KEY_FROM_URI);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_BYE], LB_KEY_CALL_ID);
	ctl_config_free(&cfg);
	assert_int_equal(parse(BASE "hashing:\n  keys: {INVITE: to-uri, CANCEL: to-uri}\n", &cfg,
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.key_by_method[SIP_METHOD_CANCEL], LB_KEY_TO_URI);
	ctl_config_free(&cfg);
}

/* memif devices in copy mode pass; only the zero-copy mode is refused (see test_bad). */
static void test_memif_copy_mode(void **state)
{
	static const char *const devices[] = {
	    "net_memif0",
	    "net_memif0,role=client,zero-copy=no,id=1",
	    "net_memif1,socket=/run/zero-copy=yes.sock",
	    "net_tap0,iface=zero-copy=yes",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		struct ctl_config cfg;
		char text[256], err[512];
		snprintf(text, sizeof(text),
		         "ports:\n  - name: lan0\n    device: '%s'\n" LISTEN "backends: []\n",
		         devices[i]);
		if (parse(text, &cfg, err, sizeof(err)) != 0)
			fail_msg("%s: %s", devices[i], err);
		assert_string_equal(cfg.ports[0].device, devices[i]);
		ctl_config_free(&cfg);
	}
}

static void test_addresses(void **state)
{
	struct ctl_config cfg;
	char err[512];
	const char *text =
	    PORTS "listen:\n  ipv4: 198.18.0.10/24\n  ipv6: 2001:db8::10/64\n"
	          "  sip_ports: [5060, 5080]\n"
	          "backends:\n"
	          "  - {name: a, address: 198.18.0.21}\n"
	          "  - {name: b, address: '198.18.0.21:5061'}\n"
	          "  - {name: c, address: '[2001:db8::21]'}\n"
	          "  - {name: d, address: '[2001:db8::21]:6000'}\n"
	          "  - {name: e, address: '2001:db8::22'}\n"
	          "  - {name: f.g_h-1, address: 198.18.0.99:65535, weight: 0, state: "
	          "disabled}\n";
	int rc = parse(text, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_sip_ports, 2);
	assert_int_equal(cfg.sip_ports[1], 5080);
	assert_true(is_addr(&cfg.backends[0].addr, AF_INET, "198.18.0.21", 5060));
	assert_true(is_addr(&cfg.backends[1].addr, AF_INET, "198.18.0.21", 5061));
	assert_true(is_addr(&cfg.backends[2].addr, AF_INET6, "2001:db8::21", 5060));
	assert_true(is_addr(&cfg.backends[3].addr, AF_INET6, "2001:db8::21", 6000));
	assert_true(is_addr(&cfg.backends[4].addr, AF_INET6, "2001:db8::22", 5060));
	assert_true(is_addr(&cfg.backends[5].addr, AF_INET, "198.18.0.99", 65535));
	assert_int_equal(cfg.backends[5].weight, 0);
	assert_int_equal(cfg.backends[5].admin, LB_ADMIN_DISABLED);
	assert_int_equal(cfg.backends[5].id, 5);
	ctl_config_free(&cfg);
}

/* The net_tap limits (see test_bad) leave these alone. */
static void test_port_limits(void **state)
{
	static const char *const texts[] = {
	    /* net_tap with 4 workers: 4 queue pairs, 8 descriptors */
	    "ports:\n  - {name: lan0, device: 'net_tap0,iface=sst0'}\nworkers: 4\n",
	    /* two net_tap ports with their own names and interfaces (15 characters at most) */
	    "ports:\n  - {name: lan0, device: 'net_tap0,iface=sst0'}\n"
	    "  - {name: lan1, device: 'net_tap1,iface=abcdefghijklmno'}\nworkers: 4\n",
	    /* net_tap without iface: the driver names them */
	    "ports:\n  - {name: lan0, device: net_tap0}\n  - {name: lan1, device: net_tap1}\n",
	    /* no net_tap port: 8 workers and more */
	    "ports:\n  - {name: lan0, device: 'net_af_packet0,iface=eth0'}\nworkers: 8\n",
	    "ports:\n  - {name: lan0, device: 'net_memif0,role=server'}\n"
	    "  - {name: lan1, device: '0000:3b:00.0'}\n  - {name: lan2, device: '0000:3b:00.1'}\n"
	    "workers: 64\n",
	    /* a tap and an af_packet port may share an iface name: one creates it, one binds */
	    "ports:\n  - {name: lan0, device: 'net_tap0,iface=eth0'}\n"
	    "  - {name: lan1, device: 'net_af_packet0,iface=eth0'}\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ctl_config cfg;
		char text[512], err[512];
		snprintf(text, sizeof(text), "%s" LISTEN "backends: []\n", texts[i]);
		if (parse(text, &cfg, err, sizeof(err)) != 0)
			fail_msg("case %zu: %s\n%s", i, err, text);
		ctl_config_free(&cfg);
	}
}

static void test_lb_view(void **state)
{
	struct ctl_config cfg;
	struct lb_config lb;
	char err[512];

	assert_int_equal(parse(HEAD "backends:\n  - {name: a, address: 198.18.0.21}\n"
	                            "  - {name: b, address: 198.18.0.22}\n"
	                            "hashing:\n  table_size: 1021\n  seed: 18446744073709551615\n"
	                            "  keys: {REGISTER: to-uri}\n",
	                       &cfg, err, sizeof(err)),
	                 0);
	ctl_config_lb(&cfg, &lb);
	assert_int_equal(lb.table_size, 1021);
	assert_true(lb.seed == UINT64_MAX);
	assert_int_equal(lb.n_backends, 2);
	assert_ptr_equal(lb.backends, cfg.backends);
	assert_int_equal(lb.key_by_method[SIP_METHOD_REGISTER], LB_KEY_TO_URI);
	assert_int_equal(lb.key_by_method[SIP_METHOD_INVITE], LB_KEY_CALL_ID);
	ctl_config_free(&cfg);
}

/* A scratch directory for secret files and config files, removed by the test. */
struct scratch {
	char dir[64];
	char paths[4][128];
	int n;
};

static const char *scratch_file(struct scratch *s, const char *name, const char *content)
{
	if (s->dir[0] == '\0') {
		snprintf(s->dir, sizeof(s->dir), "/tmp/sipsteer-config-XXXXXX");
		assert_non_null(mkdtemp(s->dir));
	}
	assert_true(s->n < 4);
	char *path = s->paths[s->n++], full[sizeof(s->paths[0])];
	snprintf(full, sizeof(full), "%s/%s", s->dir, name);
	memcpy(path, full, sizeof(full));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

static void scratch_remove(struct scratch *s)
{
	for (int i = 0; i < s->n; i++)
		unlink(s->paths[i]);
	if (s->dir[0] != '\0')
		rmdir(s->dir);
}

static void test_secret_file(void **state)
{
	struct scratch s = {0};
	struct ctl_config cfg;
	char text[1024], err[512];
	static const uint8_t want[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

	const char *path = scratch_file(&s, "secret", "00112233445566778899AABBCCDDEEFF\n");
	snprintf(text, sizeof(text), BASE "sip:\n  secret_file: %s\n", path);
	int rc = parse(text, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_true(cfg.secret_set);
	assert_memory_equal(cfg.secret, want, 16);
	assert_string_equal(cfg.secret_file, path);
	ctl_config_free(&cfg);

	const char *bad = scratch_file(&s, "short", "0011223344\n");
	snprintf(text, sizeof(text), BASE "sip:\n  secret_file: %s\n", bad);
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:8: sip.secret_file: "));
	assert_non_null(strstr(err, bad));
	assert_non_null(strstr(err, "32 hex digits"));
	assert_true(all_zero(&cfg, sizeof(cfg)));

	snprintf(text, sizeof(text), BASE "sip:\n  secret_file: %s\n", s.dir);
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:8: sip.secret_file: cannot read"));
	assert_non_null(strstr(err, "not a regular file"));
	scratch_remove(&s);
}

/* --- round trip --- */

static void round_trip(const char *name, const char *text)
{
	struct ctl_config a, b;
	char err[512];
	static char out[64 * 1024], again[64 * 1024];

	int rc = ctl_config_parse(name, text, strlen(text), &a, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	int len = ctl_config_write(&a, out, sizeof(out));
	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(out));
	assert_int_equal(ctl_config_write(&a, NULL, 0), len);
	rc = ctl_config_parse("written", out, (size_t)len, &b, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s\n%s", err, out);
	if (!ctl_config_equal(&a, &b))
		fail_msg("%s: round trip changed the configuration:\n%s", name, out);
	assert_string_equal(b.path, "written");
	/* and the writer is stable: writing the reloaded config gives the same text */
	assert_int_equal(ctl_config_write(&b, again, sizeof(again)), len);
	assert_string_equal(out, again);
	/* a buffer one byte short is refused, and stays a NUL-terminated string */
	assert_int_equal(ctl_config_write(&a, again, (size_t)len), -ENOSPC);
	assert_int_equal(strlen(again), (size_t)len - 1);
	ctl_config_free(&a);
	ctl_config_free(&b);
}

/* Rate limit and dialog methods: values as given, burst following rate. */
static void test_rate_limit_dialog_methods(void **state)
{
	struct ctl_config cfg;
	char err[512];

	assert_int_equal(parse(BASE "rate_limit:\n  rate: 200\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.rate_limit, 200);
	assert_int_equal(cfg.rate_limit_burst, 200);
	ctl_config_free(&cfg);
	assert_int_equal(
	    parse(BASE "rate_limit:\n  rate: 5\n  burst: 40\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.rate_limit, 5);
	assert_int_equal(cfg.rate_limit_burst, 40);
	ctl_config_free(&cfg);
	assert_int_equal(parse(BASE "rate_limit:\n  rate: 0\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.rate_limit, 0);
	ctl_config_free(&cfg);
	assert_int_equal(parse(BASE "rate_limit:\n", &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.rate_limit, 0);
	ctl_config_free(&cfg);
	assert_int_equal(parse(BASE "sip:\n  dialog_methods: [MESSAGE, OPTIONS, UPDATE]\n", &cfg,
	                       err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.dialog_methods, (1u << SIP_METHOD_MESSAGE) |
	                                         (1u << SIP_METHOD_OPTIONS) |
	                                         (1u << SIP_METHOD_UPDATE));
	assert_int_equal(cfg.n_aliases, 0);
	ctl_config_free(&cfg);
	/* aliases: lowercase, the trailing dot dropped, in file order */
	assert_int_equal(parse(BASE "sip:\n  aliases: [LB.Example.com., sip-1.example.net, x]\n",
	                       &cfg, err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.n_aliases, 3);
	assert_string_equal(cfg.aliases[0], "lb.example.com");
	assert_string_equal(cfg.aliases[1], "sip-1.example.net");
	assert_string_equal(cfg.aliases[2], "x");
	ctl_config_free(&cfg);
}

static void test_round_trip(void **state)
{
	struct scratch s = {0};
	char path[PATH_MAX], text[4096];
	FILE *f;

	round_trip("builtin", ctl_config_embedded);
	round_trip("minimal", BASE);

	example_path(path, sizeof(path));
	f = fopen(path, "r");
	assert_non_null(f);
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	round_trip("example", text);

	const char *secret = scratch_file(&s, "secret", "ffeeddccbbaa99887766554433221100");
	snprintf(text, sizeof(text),
	         "eal: [\"-l\", \"0-1\", \"--vdev=net_memif0,role=server\", \"a \\\"quoted\\\" "
	         "\\\\ arg\"]\n"
	         "ports:\n"
	         "  - {name: lan0, device: 'net_af_packet0,iface=eth1', mtu: 9000}\n"
	         "  - {name: wan.1, device: '0000:3b:00.1', mtu: 576}\n"
	         "workers: 64\nidle_sleep_us: 0\nburst: 256\n"
	         "listen:\n"
	         "  ipv4: 10.1.2.3/8\n  ipv6: fd00::1/64\n  sip_ports: [5060, 5061, 65535]\n"
	         "  gateway4: 10.0.0.1\n  gateway6: fd00::1:2\n"
	         "backends:\n"
	         "  - {name: be-1, address: 10.9.9.9:1, weight: 65535, state: draining}\n"
	         "  - {name: be_2, address: '[fd00::99]:5062', weight: 0, state: disabled}\n"
	         "hashing:\n  table_size: 16777213\n  seed: 12345678901234567890\n"
	         "  keys: {REGISTER: to-uri, MESSAGE: from-uri, INVITE: to-uri}\n"
	         "sip:\n  retry_after: 0\n  max_forwards: 255\n  record_route: true\n"
	         "  path: true\n  secret_file: %s\n  dialog_methods: [MESSAGE, NOTIFY]\n"
	         "  aliases: [lb.example.com, lb2]\n"
	         "rate_limit:\n  rate: 1000000\n  burst: 1\n"
	         "probe:\n  enabled: false\n  interval_ms: 60000\n  timeout_ms: 10\n"
	         "  down_after: 100\n  up_after: 1\n"
	         "  alive_codes: [100, '180-183', 200, 404, 600-699]\n"
	         "control:\n  api_socket: /tmp/x.sock\n  metrics: ''\n  log: syslog\n"
	         "  log_level: debug\n",
	         secret);
	round_trip("everything", text);
	round_trip("rate_limit", BASE "rate_limit:\n  rate: 50\n");
	round_trip("dialog_methods", BASE "sip:\n  dialog_methods: []\n");
	round_trip("aliases", BASE "sip:\n  aliases: [lb.example.com, Sip.Example.NET.]\n");
	round_trip("metrics6",
	           BASE "control:\n  metrics: '[::1]:9760'\nprobe:\n  alive_codes: [699]\n");
	scratch_remove(&s);
}

/* --- bad input: one case per error class --- */

struct bad_case {
	const char *what;
	const char *text;
	int line;
	const char *field; /* "" when the message has no field part */
	const char *says;  /* a piece of the message */
};

#define B7(x) BASE x /* text at line 7 */

static const struct bad_case bad_cases[] = {
    /* the document itself */
    {"empty file", "", 1, "", "empty"},
    {"only comments", "# nothing\n\n# here\n", 1, "", "empty"},
    {"only a document start", "---\n", 1, "", "empty"},
    {"YAML syntax: unclosed flow list", HEAD "backends: [\n", 7, "", "YAML syntax error"},
    {"YAML syntax: bad indentation", B7("hashing:\n  seed: 1\n   table_size: 1021\n"), 9, "",
     "YAML syntax error"},
    {"YAML syntax: tab indentation", B7("hashing:\n\tseed: 1\n"), 8, "", "YAML syntax error"},
    {"invalid UTF-8", B7("workers: \xff\n"), 7, "", "YAML syntax error"},
    {"a list at the top level", "- ports\n- listen\n", 1, "", "expected a map of sections"},
    {"a scalar at the top level", "sipsteer\n", 1, "", "expected a map of sections"},
    {"two documents", B7("---\nworkers: 1\n"), 8, "", "only one YAML document"},

    /* keys */
    {"unknown top-level key", B7("wrokers: 2\n"), 7, "wrokers", "did you mean 'workers'?"},
    {"unknown key, no near match", B7("colour: blue\n"), 7, "colour",
     "unknown key 'colour' (expected one of: eal ports"},
    {"unknown backend key",
     HEAD "backends:\n  - name: be1\n    address: 198.18.0.21\n"
          "    wieght: 2\n",
     9, "backends[0].wieght", "unknown key 'wieght'; did you mean 'weight'?"},
    {"unknown listen key",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n  ipv44: 10.0.0.1/8\n"
           "backends: []\n",
     6, "listen.ipv44", "did you mean 'ipv4'?"},
    {"duplicate key", B7("workers: 1\nworkers: 2\n"), 8, "workers", "duplicate key"},
    {"duplicate nested key", B7("sip:\n  retry_after: 1\n  retry_after: 2\n"), 9, "sip.retry_after",
     "first given at line 8"},
    {"key that is a list", B7("[a]: 1\n"), 7, "", "a key must be a name"},

    /* types */
    {"list where a number is expected", B7("workers: [1]\n"), 7, "workers",
     "expected an integer (1..64), got a list"},
    {"quoted number", B7("workers: \"2\"\n"), 7, "workers", "quoted string"},
    {"word where a number is expected", B7("burst: lots\n"), 7, "burst", "got 'lots'"},
    {"float where an integer is expected", B7("burst: 3.5\n"), 7, "burst", "got '3.5'"},
    {"null where a number is expected", B7("workers:\n"), 7, "workers", "got nothing"},
    {"list where a map is expected", PORTS "listen:\n  - ipv4: 198.18.0.10/24\nbackends: []\n", 4,
     "listen", "expected a map, got a list"},
    {"map where a list is expected", HEAD "backends: {name: be1}\n", 6, "backends",
     "expected a list, got a map"},
    {"scalar where a section is expected", B7("probe: on\n"), 7, "probe",
     "expected a map, got 'on'"},
    {"bool that is not true/false", B7("sip:\n  record_route: yes\n"), 8, "sip.record_route",
     "expected true or false, got 'yes'"},
    {"quoted bool", B7("probe:\n  enabled: 'true'\n"), 8, "probe.enabled",
     "expected true or false"},
    {"map where a string is expected", B7("control:\n  log: {to: stderr}\n"), 8, "control.log",
     "expected a name, got a map"},
    {"empty string name", HEAD "backends:\n  - name: ''\n    address: 198.18.0.21\n", 7,
     "backends[0].name", "not a valid name"},
    {"null string", HEAD "backends:\n  - name:\n    address: 198.18.0.21\n", 7, "backends[0].name",
     "got nothing"},

    /* ranges */
    {"workers 0", B7("workers: 0\n"), 7, "workers", "0 is out of range 1..64"},
    {"workers 65", B7("workers: 65\n"), 7, "workers", "65 is out of range 1..64"},
    {"workers -1", B7("workers: -1\n"), 7, "workers", "-1 is out of range 1..64"},
    {"workers +2", B7("workers: +2\n"), 7, "workers", "expected an integer (1..64), got '+2'"},
    {"idle_sleep_us -0", B7("idle_sleep_us: -0\n"), 7, "idle_sleep_us", "-0 is out of range"},
    {"idle_sleep_us above", B7("idle_sleep_us: 100001\n"), 7, "idle_sleep_us",
     "out of range 0..100000"},
    {"burst 0", B7("burst: 0\n"), 7, "burst", "out of range 1..256"},
    {"burst 257", B7("burst: 257\n"), 7, "burst", "out of range 1..256"},
    {"mtu below",
     "ports:\n  - name: lan0\n    device: net_tap0\n    mtu: 575\n" LISTEN "backends: []\n", 4,
     "ports[0].mtu", "575 is out of range 576..9000"},
    {"mtu above",
     "ports:\n  - name: lan0\n    device: net_tap0\n    mtu: 9001\n" LISTEN "backends: []\n", 4,
     "ports[0].mtu", "out of range 576..9000"},
    {"sip port 0",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n  sip_ports: [5060, 0]\n"
           "backends: []\n",
     6, "listen.sip_ports[1]", "out of range 1..65535"},
    {"sip port 65536",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n  sip_ports:\n    - 65536\n"
           "backends: []\n",
     7, "listen.sip_ports[0]", "65536 is out of range 1..65535"},
    {"weight above",
     HEAD "backends:\n  - name: be1\n    address: 198.18.0.21\n"
          "    weight: 65536\n",
     9, "backends[0].weight", "65536 is out of range 0..65535"},
    {"table_size below", B7("hashing:\n  table_size: 1019\n"), 8, "hashing.table_size",
     "out of range 1021..16777213"},
    {"table_size above", B7("hashing:\n  table_size: 16777259\n"), 8, "hashing.table_size",
     "out of range 1021..16777213"},
    {"seed above 2^64-1", B7("hashing:\n  seed: 18446744073709551616\n"), 8, "hashing.seed",
     "out of range 0..18446744073709551615"},
    {"retry_after above", B7("sip:\n  retry_after: 86401\n"), 8, "sip.retry_after",
     "out of range 0..86400"},
    {"max_forwards 0", B7("sip:\n  max_forwards: 0\n"), 8, "sip.max_forwards",
     "out of range 1..255"},
    {"max_forwards 256", B7("sip:\n  max_forwards: 256\n"), 8, "sip.max_forwards",
     "out of range 1..255"},
    {"interval_ms below", B7("probe:\n  interval_ms: 99\n"), 8, "probe.interval_ms",
     "out of range 100..60000"},
    {"interval_ms above", B7("probe:\n  interval_ms: 60001\n"), 8, "probe.interval_ms",
     "out of range 100..60000"},
    {"timeout_ms below", B7("probe:\n  timeout_ms: 9\n"), 8, "probe.timeout_ms",
     "out of range 10..60000"},
    {"down_after 0", B7("probe:\n  down_after: 0\n"), 8, "probe.down_after", "out of range 1..100"},
    {"up_after 101", B7("probe:\n  up_after: 101\n"), 8, "probe.up_after", "out of range 1..100"},
    {"alive code 700", B7("probe:\n  alive_codes: [200, 700]\n"), 8, "probe.alive_codes[1]",
     "700 is out of range 100..699"},
    {"alive range below", B7("probe:\n  alive_codes: ['099-200']\n"), 8, "probe.alive_codes[0]",
     "out of range 100..699"},
    {"alive range reversed", B7("probe:\n  alive_codes:\n    - \"299-200\"\n"), 9,
     "probe.alive_codes[0]", "reversed"},
    {"alive code junk", B7("probe:\n  alive_codes: [2xx]\n"), 8, "probe.alive_codes[0]",
     "expected a status code or a range"},
    {"alive codes empty", B7("probe:\n  alive_codes: []\n"), 8, "probe.alive_codes",
     "cannot be empty"},

    /* ports */
    {"missing ports", LISTEN "backends: []\n", 1, "ports", "required section is missing"},
    {"empty ports", "ports: []\n" LISTEN "backends: []\n", 1, "ports", "cannot be empty"},
    {"port without name", "ports:\n  - device: net_tap0\n" LISTEN "backends: []\n", 2,
     "ports[0].name", "required key is missing"},
    {"port without device", "ports:\n  - name: lan0\n" LISTEN "backends: []\n", 2,
     "ports[0].device", "required key is missing"},
    {"port with empty device", "ports:\n  - name: lan0\n    device: ''\n" LISTEN "backends: []\n",
     3, "ports[0].device", "cannot be empty"},
    {"port that is not a map", "ports:\n  - net_tap0\n" LISTEN "backends: []\n", 2, "ports[0]",
     "expected a map"},
    {"bad port name", "ports:\n  - name: lan 0\n    device: net_tap0\n" LISTEN "backends: []\n", 2,
     "ports[0].name", "'lan 0' is not a valid name"},
    {"duplicate port name", PORTS "  - name: lan0\n    device: net_tap1\n" LISTEN "backends: []\n",
     4, "ports[1].name", "duplicate name 'lan0'"},
    {"duplicate port device",
     PORTS "  - name: lan1\n    device: net_tap0\n" LISTEN "backends: []\n", 5, "ports[1].device",
     "device name net_tap0 is also ports[0]'s"},
    {"duplicate PCI address",
     "ports:\n  - {name: lan0, device: '0000:3b:00.1'}\n"
     "  - {name: lan1, device: '0000:3b:00.1'}\n" LISTEN "backends: []\n",
     3, "ports[1].device", "duplicate device 0000:3b:00.1 (also ports[0], '0000:3b:00.1')"},
    {"duplicate PCI address, domain left out and upper case",
     "ports:\n  - {name: lan0, device: '0000:3b:00.1'}\n"
     "  - {name: lan1, device: '3B:00.1'}\n" LISTEN "backends: []\n",
     3, "ports[1].device", "duplicate device 0000:3b:00.1 (also ports[0], '0000:3b:00.1')"},
    {"two af_packet ports on one interface",
     "ports:\n  - {name: lan0, device: 'net_af_packet0,iface=eth0'}\n"
     "  - {name: lan1, device: 'net_af_packet1,iface=eth0'}\n" LISTEN "backends: []\n",
     3, "ports[1].device",
     "iface eth0 is also ports[0]'s (two af_packet ports on one interface would each receive "
     "every frame)"},
    {"duplicate vdev name, other devargs",
     "ports:\n  - {name: lan0, device: 'net_tap0,iface=sst0'}\n"
     "  - {name: lan1, device: 'net_tap0,iface=sst1'}\n" LISTEN "backends: []\n",
     3, "ports[1].device",
     "device name net_tap0 is also ports[0]'s; each port needs its own name (net_tap0, net_tap1, "
     "...)"},
    {"duplicate memif name",
     "ports:\n  - {name: lan0, device: 'net_memif0,role=server'}\n"
     "  - {name: lan1, device: 'net_memif0,role=client'}\n" LISTEN "backends: []\n",
     3, "ports[1].device",
     "device name net_memif0 is also ports[0]'s; each port needs its own "
     "name (net_memif0, net_memif1, ...)"},
    {"duplicate net_tap iface",
     "ports:\n  - {name: lan0, device: 'net_tap0,iface=sst0'}\n"
     "  - {name: lan1, device: 'net_tap1,iface=sst0'}\n" LISTEN "backends: []\n",
     3, "ports[1].device", "iface sst0 is also ports[0]'s"},
    {"empty net_tap iface",
     "ports:\n  - name: lan0\n    device: 'net_tap0,iface='\n" LISTEN "backends: []\n", 3,
     "ports[0].device", "iface '' is not a valid interface name (1 to 15 characters)"},
    {"net_tap iface of 16 characters",
     "ports:\n  - name: lan0\n    device: 'net_tap0,iface=abcdefghijklmnop'\n" LISTEN
     "backends: []\n",
     3, "ports[0].device",
     "iface 'abcdefghijklmnop' is not a valid interface name (1 to 15 characters)"},
    {"net_tap with 5 workers", B7("workers: 5\n"), 7, "workers",
     "5 workers need 5 queue pairs on net_tap port lan0, which supports at most 4 (DPDK's "
     "tap driver passes at most 8 queue file descriptors); use 4 workers or fewer, or a "
     "net_af_packet/net_memif/PCI port"},
    {"net_tun with 5 workers",
     "ports:\n  - {name: tun, device: 'net_tun0,iface=stun0'}\nworkers: 5\n" LISTEN
     "backends: []\n",
     3, "workers", "5 workers need 5 queue pairs on net_tun port tun, which supports at most 4"},
    {"net_tap second port with 64 workers",
     "ports:\n  - {name: lan0, device: '0000:3b:00.1'}\n  - {name: tap, device: net_tap0}\n"
     "workers: 64\n" LISTEN "backends: []\n",
     4, "workers", "64 workers need 64 queue pairs on net_tap port tap,"},
    {"memif zero-copy",
     "ports:\n  - name: lan0\n    device: net_memif0,role=client,zero-copy=yes,id=1\n" LISTEN
     "backends: []\n",
     3, "ports[0].device", "net_memif in zero-copy mode is not supported"},

    /* listen */
    {"missing listen", PORTS "backends: []\n", 1, "listen", "required section is missing"},
    {"listen without an address", PORTS "listen:\n  sip_ports: [5060]\nbackends: []\n", 4, "listen",
     "needs ipv4, ipv6 or both"},
    {"empty listen", PORTS "listen:\nbackends: []\n", 4, "listen", "needs ipv4, ipv6 or both"},
    {"ipv4 without prefix", PORTS "listen:\n  ipv4: 198.18.0.10\nbackends: []\n", 5, "listen.ipv4",
     "no prefix length"},
    {"ipv4 prefix 33", PORTS "listen:\n  ipv4: 198.18.0.10/33\nbackends: []\n", 5, "listen.ipv4",
     "prefix length 33 is out of range 1..32"},
    {"ipv4 prefix 0", PORTS "listen:\n  ipv4: 198.18.0.10/0\nbackends: []\n", 5, "listen.ipv4",
     "out of range 1..32"},
    {"ipv4 prefix junk", PORTS "listen:\n  ipv4: 198.18.0.10/2x\nbackends: []\n", 5, "listen.ipv4",
     "prefix length must be a number"},
    {"ipv4 bad address", PORTS "listen:\n  ipv4: 198.18.0.300/24\nbackends: []\n", 5, "listen.ipv4",
     "not a valid IPv4 address"},
    {"ipv4 given an IPv6 address", PORTS "listen:\n  ipv4: 2001:db8::1/64\nbackends: []\n", 5,
     "listen.ipv4", "is an IPv6 address, expected IPv4"},
    {"ipv4 multicast", PORTS "listen:\n  ipv4: 239.1.1.1/24\nbackends: []\n", 5, "listen.ipv4",
     "multicast"},
    {"ipv6 prefix 129", PORTS "listen:\n  ipv6: 2001:db8::10/129\nbackends: []\n", 5, "listen.ipv6",
     "out of range 1..128"},
    {"ipv6 unspecified", PORTS "listen:\n  ipv6: ::/64\nbackends: []\n", 5, "listen.ipv6",
     "unspecified"},
    {"duplicate sip port",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n  sip_ports: [5060, 5060]\n"
           "backends: []\n",
     6, "listen.sip_ports[1]", "duplicate port 5060"},
    {"empty sip ports",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n  sip_ports: []\n"
           "backends: []\n",
     6, "listen.sip_ports", "cannot be empty"},
    {"gateway outside the prefix",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n"
           "  gateway4: 198.18.1.1\nbackends: []\n",
     6, "listen.gateway4", "outside the listen.ipv4 prefix"},
    {"gateway4 without ipv4",
     PORTS "listen:\n  ipv6: 2001:db8::10/64\n"
           "  gateway4: 198.18.0.1\nbackends: []\n",
     6, "listen.gateway4", "needs listen.ipv4"},
    {"gateway with a port",
     PORTS "listen:\n  ipv4: 198.18.0.10/24\n"
           "  gateway4: 198.18.0.1:53\nbackends: []\n",
     6, "listen.gateway4", "not a valid IPv4 address"},
    {"gateway6 of the wrong family",
     PORTS "listen:\n  ipv6: 2001:db8::10/64\n"
           "  gateway6: 198.18.0.1\nbackends: []\n",
     6, "listen.gateway6", "expected IPv6"},
    {"gateway is the VIP",
     PORTS "listen:\n  ipv6: 2001:db8::10/64\n"
           "  gateway6: 2001:db8::10\nbackends: []\n",
     6, "listen.gateway6", "the virtual address itself"},

    /* backends */
    {"missing backends", HEAD, 1, "backends", "backends: []"},
    {"backend without name", HEAD "backends:\n  - address: 198.18.0.21\n", 7, "backends[0].name",
     "required key is missing"},
    {"backend without address", HEAD "backends:\n  - name: be1\n", 7, "backends[0].address",
     "required key is missing"},
    {"backend that is not a map", HEAD "backends:\n  - be1\n", 7, "backends[0]", "expected a map"},
    {"backend name with a space", HEAD "backends:\n  - {name: 'be 1', address: 198.18.0.21}\n", 7,
     "backends[0].name", "not a valid name"},
    {"backend name too long",
     HEAD "backends:\n  - name: "
          "a123456789012345678901234567890123456789012345678901234567890"
          "123\n    address: 198.18.0.21\n",
     7, "backends[0].name", "at most 63"},
    {"bad backend address", HEAD "backends:\n  - {name: be1, address: 198.18.0.300}\n", 7,
     "backends[0].address", "'198.18.0.300' is not a valid address"},
    {"hostname backend", HEAD "backends:\n  - {name: be1, address: 'sip.example.com:5060'}\n", 7,
     "backends[0].address", "not a valid address"},
    {"backend port 0", HEAD "backends:\n  - {name: be1, address: '198.18.0.21:0'}\n", 7,
     "backends[0].address", "port must be a number from 1 to 65535"},
    {"backend port 70000", HEAD "backends:\n  - {name: be1, address: '198.18.0.21:70000'}\n", 7,
     "backends[0].address", "port must be a number from 1 to 65535"},
    {"backend IPv6 without brackets and port",
     PORTS "listen:\n  ipv6: 2001:db8::10/64\nbackends:\n  - {name: be1, address: "
           "'[2001:db8::21:5060'}\n",
     7, "backends[0].address", "missing ']'"},
    {"backend IPv4 in brackets", HEAD "backends:\n  - {name: be1, address: '[198.18.0.21]'}\n", 7,
     "backends[0].address", "not an IPv6 address inside"},
    {"backend multicast", HEAD "backends:\n  - {name: be1, address: 224.0.0.1}\n", 7,
     "backends[0].address", "multicast"},
    {"backend loopback", HEAD "backends:\n  - {name: be1, address: 127.0.0.1}\n", 7,
     "backends[0].address", "'127.0.0.1' is a loopback address"},
    {"backend IPv6 loopback",
     PORTS "listen:\n  ipv6: 2001:db8::10/64\nbackends:\n  - {name: be1, address: '[::1]'}\n", 7,
     "backends[0].address", "is a loopback address"},
    {"backend the VIP", HEAD "backends:\n  - {name: be1, address: '198.18.0.10:5070'}\n", 7,
     "backends[0].address", "'198.18.0.10:5070' is the VIP itself (listen.ipv4)"},
    {"backend the network address", HEAD "backends:\n  - {name: be1, address: 198.18.0.0}\n", 7,
     "backends[0].address", "is the network address of listen.ipv4's prefix (/24)"},
    {"backend the link's broadcast", HEAD "backends:\n  - {name: be1, address: 198.18.0.255}\n", 7,
     "backends[0].address", "is the broadcast address of listen.ipv4's prefix (/24)"},
    {"backend off-link without gateway", HEAD "backends:\n  - {name: be1, address: 10.1.1.1}\n", 7,
     "backends[0].address",
     "'10.1.1.1' is off listen.ipv4's link (/24) and no listen.gateway4 is set to reach it"},
    {"IPv6 backend off-link without gateway",
     PORTS "listen:\n  ipv6: 2001:db8::10/64\nbackends:\n  - {name: be1, address: "
           "'[2001:db8:1::1]'}\n",
     7, "backends[0].address", "is off listen.ipv6's link (/64) and no listen.gateway6"},
    {"IPv6 backend without an IPv6 VIP",
     HEAD "backends:\n  - {name: be1, address: '[2001:db8::21]'}\n", 7, "backends[0].address",
     "needs listen.ipv6"},
    {"duplicate backend name",
     HEAD "backends:\n  - {name: be1, address: 198.18.0.21}\n"
          "  - {name: be2, address: 198.18.0.22}\n"
          "  - {name: be1, address: 198.18.0.23}\n",
     9, "backends[2].name", "duplicate name 'be1' (also backends[0])"},
    {"duplicate backend address",
     HEAD "backends:\n  - {name: be1, address: 198.18.0.21}\n"
          "  - name: be2\n    address: 198.18.0.21:5060\n",
     9, "backends[1].address", "duplicate address"},
    {"unknown backend state",
     HEAD "backends:\n  - {name: be1, address: 198.18.0.21, "
          "state: drainig}\n",
     7, "backends[0].state", "unknown value 'drainig'; did you mean 'draining'?"},

    /* hashing */
    {"table_size not prime", B7("hashing:\n  table_size: 65536\n"), 8, "hashing.table_size",
     "65536 is not prime"},
    {"table_size not prime (odd)", B7("hashing:\n  table_size: 65535\n"), 8, "hashing.table_size",
     "not prime"},
    {"unknown method", B7("hashing:\n  keys:\n    REGSTER: to-uri\n"), 9, "hashing.keys.REGSTER",
     "unknown SIP method 'REGSTER'; did you mean 'REGISTER'?"},
    {"lower-case method", B7("hashing:\n  keys:\n    register: to-uri\n"), 9,
     "hashing.keys.register", "did you mean 'REGISTER'?"},
    {"unknown key kind", B7("hashing:\n  keys:\n    REGISTER: to_uri\n"), 9,
     "hashing.keys.REGISTER", "unknown value 'to_uri'; did you mean 'to-uri'?"},
    {"unknown key kind, far", B7("hashing:\n  keys:\n    INVITE: via\n"), 9, "hashing.keys.INVITE",
     "expected one of: call-id to-uri from-uri"},
    {"keys as a list", B7("hashing:\n  keys: [REGISTER]\n"), 8, "hashing.keys", "expected a map"},
    {"duplicate method", B7("hashing:\n  keys:\n    BYE: to-uri\n    BYE: call-id\n"), 10,
     "hashing.keys.BYE", "duplicate key"},
    {"CANCEL hashed unlike INVITE", B7("hashing:\n  keys:\n    CANCEL: to-uri\n"), 9,
     "hashing.keys.CANCEL", "must hash like INVITE"},

    /* sip */
    {"secret too short", B7("sip:\n  secret: \"0011223344\"\n"), 8, "sip.secret", "32 hex digits"},
    {"secret not hex", B7("sip:\n  secret: \"0011223344556677889900112233445g\"\n"), 8,
     "sip.secret", "non-hex"},
    {"secret not a string", B7("sip:\n  secret: [1, 2]\n"), 8, "sip.secret", "expected a string"},
    {"missing secret file", B7("sip:\n  secret_file: /nonexistent/sipsteer/secret\n"), 8,
     "sip.secret_file", "cannot read '/nonexistent/sipsteer/secret': No such file or directory"},
    {"both secret and secret_file",
     B7("sip:\n  secret: \"00112233445566778899aabbccddeeff\"\n"
        "  secret_file: /etc/sipsteer/secret\n"),
     9, "sip.secret_file", "not both"},
    {"empty secret_file", B7("sip:\n  secret_file: ''\n"), 8, "sip.secret_file", "cannot be empty"},
    {"dialog_methods not a list", B7("sip:\n  dialog_methods: MESSAGE\n"), 8, "sip.dialog_methods",
     "expected a list"},
    {"dialog_methods unknown", B7("sip:\n  dialog_methods: [MESAGE]\n"), 8, "sip.dialog_methods[0]",
     "unknown SIP method 'MESAGE'; did you mean 'MESSAGE'?"},
    {"dialog_methods lowercase", B7("sip:\n  dialog_methods: [NOTIFY, message]\n"), 8,
     "sip.dialog_methods[1]", "unknown SIP method 'message'"},
    {"dialog_methods BYE", B7("sip:\n  dialog_methods:\n    - BYE\n"), 9, "sip.dialog_methods[0]",
     "BYE never creates a dialog"},
    {"dialog_methods REGISTER", B7("sip:\n  dialog_methods: [REGISTER]\n"), 8,
     "sip.dialog_methods[0]", "REGISTER never creates a dialog"},
    {"dialog_methods twice", B7("sip:\n  dialog_methods: [MESSAGE, MESSAGE]\n"), 8,
     "sip.dialog_methods[1]", "MESSAGE is listed twice"},
    {"dialog_methods nested", B7("sip:\n  dialog_methods: [[MESSAGE]]\n"), 8,
     "sip.dialog_methods[0]", "expected a SIP method"},
    {"aliases not a list", B7("sip:\n  aliases: lb.example.com\n"), 8, "sip.aliases",
     "expected a list"},
    {"aliases too many", B7("sip:\n  aliases: [a.b, b.c, c.d, d.e, e.f, f.g, g.h, h.i, i.j]\n"), 8,
     "sip.aliases", "has 9 host names, at most 8 are allowed"},
    {"aliases an address", B7("sip:\n  aliases: [lb.example.com, 198.18.0.10]\n"), 8,
     "sip.aliases[1]", "'198.18.0.10' is not a host name: its last label must start with a letter"},
    {"aliases IPv6", B7("sip:\n  aliases: ['[2001:db8::10]']\n"), 8, "sip.aliases[0]",
     "only letters, digits, '-' and '.' may appear"},
    {"aliases with a port", B7("sip:\n  aliases: ['lb.example.com:5060']\n"), 8, "sip.aliases[0]",
     "only letters, digits, '-' and '.' may appear"},
    {"aliases empty label", B7("sip:\n  aliases: [lb..example.com]\n"), 8, "sip.aliases[0]",
     "it has an empty label"},
    {"aliases dash", B7("sip:\n  aliases: [lb-.example.com]\n"), 8, "sip.aliases[0]",
     "a label starts or ends with '-'"},
    {"aliases empty", B7("sip:\n  aliases: ['']\n"), 8, "sip.aliases[0]", "1 to 253 characters"},
    {"aliases null item", B7("sip:\n  aliases:\n    -\n"), 9, "sip.aliases[0]",
     "expected a host name"},
    {"aliases twice", B7("sip:\n  aliases: [lb.example.com, LB.Example.COM.]\n"), 8,
     "sip.aliases[1]", "'LB.Example.COM.' is listed twice"},
    {"aliases long label",
     B7("sip:\n  aliases: "
        "[a1234567890123456789012345678901234567890123456789012345678901234.com]\n"),
     8, "sip.aliases[0]", "a label is longer than 63 characters"},

    /* rate_limit */
    {"rate_limit not a map", B7("rate_limit: 100\n"), 7, "rate_limit", "expected a map"},
    {"rate_limit unknown key", B7("rate_limit:\n  rates: 100\n"), 8, "rate_limit.rates",
     "did you mean 'rate'?"},
    {"rate above", B7("rate_limit:\n  rate: 1000001\n"), 8, "rate_limit.rate", "out of range"},
    {"rate negative", B7("rate_limit:\n  rate: -1\n"), 8, "rate_limit.rate", ""},
    {"burst 0", B7("rate_limit:\n  rate: 10\n  burst: 0\n"), 9, "rate_limit.burst", "out of range"},
    {"burst above", B7("rate_limit:\n  rate: 10\n  burst: 1000001\n"), 9, "rate_limit.burst",
     "out of range"},
    {"burst without rate", B7("rate_limit:\n  burst: 10\n"), 8, "rate_limit.burst",
     "needs rate_limit.rate above 0"},

    /* control */
    {"unknown log", B7("control:\n  log: file\n"), 8, "control.log",
     "expected one of: stderr syslog"},
    {"unknown log level", B7("control:\n  log_level: warn\n"), 8, "control.log_level",
     "did you mean 'warning'?"},
    {"metrics without port", B7("control:\n  metrics: 127.0.0.1\n"), 8, "control.metrics",
     "a port is required"},
    {"metrics hostname", B7("control:\n  metrics: localhost:9760\n"), 8, "control.metrics",
     "not a valid address"},
    {"empty api socket", B7("control:\n  api_socket: ''\n"), 8, "control.api_socket",
     "1 to 107 characters"},
    {"api socket too long",
     B7("control:\n  api_socket: /run/sipsteer/"
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234"
        "56789.sock\n"),
     8, "control.api_socket", "1 to 107 characters"},

    /* eal */
    {"eal not a list", B7("eal: --no-huge\n"), 7, "eal", "expected a list"},
    {"eal empty argument", B7("eal: ['-l', '']\n"), 7, "eal[1]", "cannot be empty"},
    {"eal argument not a string", B7("eal:\n  - [a]\n"), 8, "eal[0]", "expected a string"},
};

static void test_bad(void **state)
{
	struct ctl_config cfg;
	char err[512], want[256];
	int failures = 0;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		memset(&cfg, 0xa5, sizeof(cfg)); /* garbage in: parse must not trust it */
		memset(err, 0, sizeof(err));
		int rc = parse(c->text, &cfg, err, sizeof(err));
		snprintf(want, sizeof(want), "t:%d: %s%s", c->line, c->field,
		         c->field[0] ? ": " : "");
		bool ok = rc == -EINVAL && strncmp(err, want, strlen(want)) == 0 &&
		          strstr(err, c->says) != NULL && all_zero(&cfg, sizeof(cfg)) &&
		          strchr(err, '\n') == NULL;
		if (!ok) {
			print_error("case '%s': rc %d, message \"%s\"; expected \"%s...%s\"%s\n",
			            c->what, rc, err, want, c->says,
			            all_zero(&cfg, sizeof(cfg)) ? "" : " (cfg not zeroed)");
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* Limits on list lengths, with texts built here. */
static void test_counts(void **state)
{
	struct ctl_config cfg;
	char err[512];
	static char text[600 * 1024];
	size_t cap = sizeof(text), n;

	/* 9 ports */
	n = (size_t)snprintf(text, cap, "ports:\n");
	for (int i = 0; i < 9; i++)
		n += (size_t)snprintf(text + n, cap - n, "  - {name: p%d, device: net_tap%d}\n", i,
		                      i);
	snprintf(text + n, cap - n, LISTEN "backends: []\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:1: ports: has 9 ports, at most 8"));

	/* 9 SIP ports */
	snprintf(text, cap,
	         PORTS "listen:\n  ipv4: 198.18.0.10/24\n  sip_ports: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
	               "backends: []\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:6: listen.sip_ports: has 9 ports, at most 8"));

	/* 33 EAL arguments */
	n = (size_t)snprintf(text, cap, BASE "eal: [");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s'-a%d'", i ? ", " : "", i);
	snprintf(text + n, cap - n, "]\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:7: eal: has 33 arguments, at most 32"));

	/* a table must be larger than the backend count */
	n = (size_t)snprintf(text, cap, PORTS "listen:\n  ipv4: 10.0.0.1/8\nbackends:\n");
	for (int i = 0; i < 1021; i++)
		n += (size_t)snprintf(text + n, cap - n, "  - {name: b%d, address: 10.1.%d.%d}\n",
		                      i, i / 256, i % 256);
	snprintf(text + n, cap - n, "hashing:\n  table_size: 1021\n");
	assert_int_equal(parse(text, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:1029: hashing.table_size: 1021 slots are too few for 1021 "
	                            "backends"));

	/* LB_MAX_BACKENDS backends load; one more does not */
	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)snprintf(text, cap, PORTS "listen:\n  ipv4: 10.0.0.1/8\nbackends:\n");
		for (int i = 0; i < LB_MAX_BACKENDS + extra; i++)
			n += (size_t)snprintf(text + n, cap - n,
			                      "  - {name: b%d, address: 10.1.%d.%d}\n", i, i / 256,
			                      i % 256);
		assert_true(n < cap);
		int rc = parse(text, &cfg, err, sizeof(err));
		if (extra == 0) {
			if (rc != 0)
				fail_msg("%s", err);
			assert_int_equal(cfg.n_backends, LB_MAX_BACKENDS);
			assert_int_equal(cfg.backends[LB_MAX_BACKENDS - 1].id, LB_MAX_BACKENDS - 1);
			ctl_config_free(&cfg);
		} else {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(
			    strstr(err, "t:6: backends: has 4097 backends, at most 4096"));
		}
	}
}

static void test_load_errors(void **state)
{
	struct ctl_config cfg;
	char err[512], path[PATH_MAX];
	const char *tests = getenv("SIPSTEER_TESTS");

	assert_int_equal(ctl_config_load("/nonexistent/sipsteer.yaml", &cfg, err, sizeof(err)),
	                 -ENOENT);
	assert_string_equal(err,
	                    "/nonexistent/sipsteer.yaml: cannot read: No such file or directory");
	assert_true(all_zero(&cfg, sizeof(cfg)));

	assert_int_equal(ctl_config_load("/", &cfg, err, sizeof(err)), -EISDIR);
	assert_true(all_zero(&cfg, sizeof(cfg)));

	/* fixture files: the message names the file as given */
	snprintf(path, sizeof(path), "%s/config/bad-weight.yaml", tests ? tests : "tests");
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	char want[PATH_MAX + 64];
	snprintf(want, sizeof(want), "%s:18: backends[1].weight: 70000 is out of range 0..65535",
	         path);
	assert_string_equal(err, want);
	assert_true(all_zero(&cfg, sizeof(cfg)));

	snprintf(path, sizeof(path), "%s/config/bad-syntax.yaml", tests ? tests : "tests");
	assert_int_equal(ctl_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:9: YAML syntax error: ", path);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got \"%s\", expected \"%s...\"", err, want);

	snprintf(path, sizeof(path), "%s/config/good-two-ports.yaml", tests ? tests : "tests");
	int rc = ctl_config_load(path, &cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(cfg.n_ports, 2);
	assert_int_equal(cfg.workers, 2);
	ctl_config_free(&cfg);
}

/*
 * Only regular files are read: a FIFO is refused at once (a blocking open would wait for a
 * writer forever, and the daemon reloads on its main thread), a device too (/dev/zero read as
 * an empty configuration), also behind a symlink.
 */
static void test_load_not_regular(void **state)
{
	struct ctl_config cfg;
	char dir[64], fifo[128], link[128], err[512], want[256];
	struct timespec t0, t1;

	snprintf(dir, sizeof(dir), "/tmp/sipsteer-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo.yaml", dir);
	snprintf(link, sizeof(link), "%s/zero.yaml", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(symlink("/dev/zero", link), 0);

	alarm(10); /* a regression hangs in open(): fail instead */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = ctl_config_load(fifo, &cfg, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);
	assert_int_equal(rc, -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file (a FIFO)", fifo);
	assert_string_equal(err, want);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	assert_true(all_zero(&cfg, sizeof(cfg)));

	assert_int_equal(ctl_config_load(link, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot read: not a regular file (a character device)",
	         link);
	assert_string_equal(err, want);
	assert_true(all_zero(&cfg, sizeof(cfg)));

	assert_int_equal(ctl_config_load("/dev/null", &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "/dev/null: cannot read: not a regular file (a character device)");

	/* the directory case keeps its message */
	assert_int_equal(ctl_config_load("/", &cfg, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/: cannot read: Is a directory");

	unlink(link);
	unlink(fifo);
	rmdir(dir);
}

/*
 * Every ```yaml block of docs/config.md loads: whole files as they are, section snippets with the
 * required sections they lack added after them.
 */
static void test_docs_reference_blocks(void **state)
{
	const char *tests = getenv("SIPSTEER_TESTS");
	char path[PATH_MAX], err[512];
	static char doc[128 * 1024], text[16 * 1024];
	struct ctl_config cfg;
	int blocks = 0;

	struct scratch s = {0};
	const char *secret = scratch_file(&s, "secret", "00112233445566778899aabbccddeeff\n");

	snprintf(path, sizeof(path), "%s/../docs/config.md", tests ? tests : "tests");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t len = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[len] = '\0';
	for (char *p = strstr(doc, "```yaml\n"); p != NULL; p = strstr(p, "```yaml\n")) {
		p += strlen("```yaml\n");
		char *end = strstr(p, "```");
		assert_non_null(end);
		size_t n = (size_t)(end - p);
		assert_true(n < sizeof(text) / 2);
		memcpy(text, p, n);
		text[n] = '\0';
		/* the documented secret file lives in a scratch directory here */
		char *secret_at = strstr(text, "/etc/sipsteer/secret\n");
		if (secret_at != NULL) {
			char rest[sizeof(text)];
			snprintf(rest, sizeof(rest), "%s",
			         secret_at + strlen("/etc/sipsteer/secret"));
			snprintf(secret_at, sizeof(text) - (size_t)(secret_at - text), "%s%s",
			         secret, rest);
		}
		bool whole = strncmp(text, "ports:", 6) == 0;
		if (strncmp(text, "ports:", 6) != 0 && strstr(text, "\nports:") == NULL)
			strcat(text, PORTS);
		if (strncmp(text, "listen:", 7) != 0 && strstr(text, "\nlisten:") == NULL)
			strcat(text, strstr(text, "[2001:") ? LISTEN "  ipv6: 2001:db8::10/64\n"
			                                    : LISTEN);
		if (strncmp(text, "backends:", 9) != 0 && strstr(text, "\nbackends:") == NULL)
			strcat(text, "backends: []\n");
		int rc = ctl_config_parse("config.md", text, strlen(text), &cfg, err, sizeof(err));
		if (rc != 0)
			fail_msg("docs/config.md block %d (%s): %s\n%s", blocks,
			         whole ? "file" : "snippet", err, text);
		if (whole && strstr(text, "be3") != NULL) {
			/* the built-in configuration, as documented, is the built-in one */
			struct ctl_config builtin;
			assert_int_equal(ctl_config_parse("builtin", ctl_config_embedded,
			                                  strlen(ctl_config_embedded), &builtin,
			                                  err, sizeof(err)),
			                 0);
			assert_true(ctl_config_equal(&cfg, &builtin));
			ctl_config_free(&builtin);
		}
		ctl_config_free(&cfg);
		blocks++;
		p = end + 3;
	}
	assert_true(blocks >= 9);
	scratch_remove(&s);
}

/* A message never overflows the caller's buffer, and err may be NULL. */
static void test_small_error_buffer(void **state)
{
	struct ctl_config cfg;
	char err[12];

	memset(err, 'x', sizeof(err));
	assert_int_equal(parse(B7("workers: 0\n"), &cfg, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'x');
	assert_int_equal(parse(B7("workers: 0\n"), &cfg, NULL, 0), -EINVAL);
	assert_int_equal(parse("a: [", &cfg, NULL, 0), -EINVAL);
	assert_true(all_zero(&cfg, sizeof(cfg)));
	/* text need not be NUL-terminated: only len bytes are read */
	const char text[] = BASE "workers: 2\n";
	assert_int_equal(ctl_config_parse("t", text, strlen(BASE), &cfg, NULL, 0), 0);
	assert_int_equal(cfg.workers, 1);
	ctl_config_free(&cfg);
	ctl_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_embedded),
	    cmocka_unit_test(test_docs_example),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_timeout_follows_interval),
	    cmocka_unit_test(test_null_sections),
	    cmocka_unit_test(test_ack_cancel_follow_invite),
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_memif_copy_mode),
	    cmocka_unit_test(test_port_limits),
	    cmocka_unit_test(test_lb_view),
	    cmocka_unit_test(test_secret_file),
	    cmocka_unit_test(test_rate_limit_dialog_methods),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_load_not_regular),
	    cmocka_unit_test(test_docs_reference_blocks),
	    cmocka_unit_test(test_small_error_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
