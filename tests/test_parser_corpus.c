/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4475 torture corpus against the parser, driven by tests/rfc4475/EXPECT.tsv (directory from
 * SIPSTEER_CORPUS): every verdict in the table, through every scanner this CPU runs, then every
 * prefix of every message placed against a PROT_NONE page (a read past the end would fault).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "sip.h"
#include "sip_msg_views.h"
#include "sip_internal.h"

#define MAX_ROWS 64
#define MAX_MSG  8192

struct row {
	char file[64];
	char kind[16];
	char action[16];
	char reply[16];
	char call_id[256];
	char *data;
	size_t len;
};

static struct row rows[MAX_ROWS];
static size_t n_rows;

typedef int (*parse_fn)(const char *, size_t, struct sip_msg *);
static const parse_fn parsers[SIP_SCANNER_COUNT] = {
    [SIP_SCANNER_SCALAR] = sip_parse_scalar,
    [SIP_SCANNER_SSE42] = sip_parse_sse42,
    [SIP_SCANNER_AVX2] = sip_parse_avx2,
};

static const char *corpus_dir(void)
{
	const char *dir = getenv("SIPSTEER_CORPUS");
	return dir ? dir : "tests/rfc4475";
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *data = malloc(MAX_MSG);
	*len = fread(data, 1, MAX_MSG, f);
	fclose(f);
	return data;
}

/* Copy TAB-separated field i of line into out (cap bytes). */
static void field(const char *line, int i, char *out, size_t cap)
{
	const char *p = line;
	for (int k = 0; k < i && p; k++) {
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	assert_non_null(p);
	size_t n = strcspn(p, "\t\n");
	assert_true(n < cap);
	memcpy(out, p, n);
	out[n] = '\0';
}

static int load_rows(void **state)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/EXPECT.tsv", corpus_dir());
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s (set SIPSTEER_CORPUS)\n", path);
		return -1;
	}
	char line[2048];
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		if (header) {
			header = false;
			continue;
		}
		if (line[0] == '\n' || n_rows == MAX_ROWS)
			continue;
		struct row *r = &rows[n_rows++];
		field(line, 0, r->file, sizeof(r->file));
		field(line, 2, r->kind, sizeof(r->kind));
		field(line, 3, r->action, sizeof(r->action));
		field(line, 4, r->reply, sizeof(r->reply));
		field(line, 5, r->call_id, sizeof(r->call_id));
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), r->file);
		r->data = read_file(path, &r->len);
		if (r->data == NULL) {
			fprintf(stderr, "cannot read %s\n", path);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return n_rows == 49 ? 0 : -1;
}

static int free_rows(void **state)
{
	for (size_t i = 0; i < n_rows; i++)
		free(rows[i].data);
	return 0;
}

static void assert_view(struct sip_str s, size_t len)
{
	assert_true((uint64_t)s.off + s.len <= len);
}

/* Every view the parser filled lies inside the buffer. */
static void assert_views(const struct sip_msg *m, size_t len)
{
	struct sip_str views[SIP_MSG_VIEWS_MAX];
	size_t n = sip_msg_views(m, views);

	for (size_t i = 0; i < n; i++)
		assert_view(views[i], len);
	assert_true(m->headers_end <= len);
}

static bool view_is(const char *buf, struct sip_str s, const char *text)
{
	return s.len == strlen(text) && memcmp(buf + s.off, text, s.len) == 0;
}

/* Parse with every scanner this CPU runs; all must agree byte for byte. */
static int parse_all(const char *buf, size_t len, struct sip_msg *msg)
{
	int rc = sip_parse(buf, len, msg);
	assert_views(msg, len);
	for (int s = 0; s < SIP_SCANNER_COUNT; s++) {
		if (!sip_cpu_has((enum sip_scanner)s))
			continue;
		struct sip_msg other;
		int rc2 = parsers[s](buf, len, &other);
		assert_int_equal(rc, rc2);
		assert_int_equal(msg->via_count, other.via_count);
		size_t vias = offsetof(struct sip_msg, vias);
		assert_memory_equal(msg, &other, vias);
		assert_memory_equal(&msg->top_via, &other.top_via,
		                    sizeof(*msg) - offsetof(struct sip_msg, top_via));
		for (size_t i = 0; i < msg->via_count && i < SIP_MAX_VIAS; i++)
			assert_memory_equal(&msg->vias[i], &other.vias[i], sizeof(struct sip_str));
	}
	return rc;
}

/* RFC 4475 README: a balancer Via goes on top of unreason and noreason before relaying. */
static size_t with_balancer_via(const struct row *r, char *out)
{
	static const char via[] = "Via: SIP/2.0/UDP 198.18.0.10;branch=z9hG4bKlb\r\n";
	const char *crlf = memchr(r->data, '\n', r->len);
	assert_non_null(crlf);
	size_t head = (size_t)(crlf - r->data) + 1;
	memcpy(out, r->data, head);
	memcpy(out + head, via, sizeof(via) - 1);
	memcpy(out + head + sizeof(via) - 1, r->data + head, r->len - head);
	return r->len + sizeof(via) - 1;
}

static bool reply_allowed(const char *spec, int reply)
{
	char code[8];
	snprintf(code, sizeof(code), "%d", reply);
	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, "|");
		if (n == strlen(code) && memcmp(p, code, n) == 0)
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

static void check_row(const struct row *r)
{
	static char buf[MAX_MSG + 128];
	struct sip_msg msg;
	size_t len = r->len;
	bool response = strcmp(r->kind, "response") == 0;

	memcpy(buf, r->data, len);
	if (response && strcmp(r->action, "forward") == 0)
		len = with_balancer_via(r, buf);
	int rc = parse_all(buf, len, &msg);
	enum sip_err err = rc < 0 ? (enum sip_err) - rc : SIP_OK;
	if (rc > 0)
		assert_int_equal(msg.is_request, !response);
	if (rc > 0 && response) {
		struct sip_via next;
		err = (enum sip_err) - sip_response_next_hop(buf, &msg, &next);
		assert_view(next.host, len);
	}
	print_message("%-14s %-8s rc=%d %s\n", r->file, r->action, rc, sip_err_name(err));

	if (strcmp(r->action, "forward") == 0) {
		assert_int_equal(err, SIP_OK);
		assert_true(rc > 0);
		assert_true(view_is(buf, msg.call_id, r->call_id));
	} else if (strcmp(r->action, "reject") == 0) {
		assert_int_not_equal(err, SIP_OK);
		if (strcmp(r->reply, "drop") == 0)
			assert_true(sip_err_reply(err) == 0 || response ||
			            err == SIP_ERR_RELAY_TARGET);
		else
			assert_true(reply_allowed(r->reply, sip_err_reply(err)));
		/* The stateless reply echoes the Call-ID: it must be the right one. */
		if (strcmp(r->call_id, "-") != 0)
			assert_true(view_is(buf, msg.call_id, r->call_id));
	} else {
		assert_string_equal(r->action, "either");
		if (err == SIP_OK)
			assert_true(view_is(buf, msg.call_id, r->call_id));
	}
}

static void test_expect_table(void **state)
{
	assert_int_equal(n_rows, 49);
	for (size_t i = 0; i < n_rows; i++)
		check_row(&rows[i]);
}

static const struct row *find_row(const char *file)
{
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(rows[i].file, file) == 0)
			return &rows[i];
	fail_msg("%s not in EXPECT.tsv", file);
	return NULL;
}

static void test_dblreq_noise(void **state)
{
	const struct row *r = find_row("dblreq.dat");
	struct sip_msg msg;
	/* The REGISTER ends with its blank line at byte 300; the INVITE-like tail is noise. */
	assert_int_equal(parse_all(r->data, r->len, &msg), 300);
	assert_int_equal(msg.method, SIP_METHOD_REGISTER);
	assert_int_equal(msg.body.off, 300);
	assert_int_equal(msg.body.len, 0);
	assert_int_equal(msg.content_length, 0);
}

static void test_inv2543_no_length(void **state)
{
	const struct row *r = find_row("inv2543.dat");
	struct sip_msg msg;
	assert_int_equal(parse_all(r->data, r->len, &msg), (int)r->len);
	assert_false(msg.has_max_forwards);
	assert_false(msg.has_content_length);
	assert_int_equal(msg.body.len, 105);
	assert_int_equal(msg.body.off + msg.body.len, r->len);
	assert_false(msg.top_via.has_branch);
	assert_true(msg.has_record_route);
}

static void test_wsinv_fields(void **state)
{
	const struct row *r = find_row("wsinv.dat");
	const char *b = r->data;
	struct sip_msg m;
	assert_true(parse_all(b, r->len, &m) > 0);
	assert_int_equal(m.max_forwards, 68);
	assert_true(view_is(b, m.max_forwards_value, "0068"));
	assert_int_equal(m.cseq, 9);
	assert_int_equal(m.cseq_method, SIP_METHOD_INVITE);
	assert_int_equal(m.via_count, 3);
	assert_int_equal(m.top_via.transport, SIP_TRANSPORT_UDP);
	assert_true(view_is(b, m.top_via.host, "192.0.2.2"));
	assert_true(view_is(b, m.top_via.branch, "390skdjuw"));
	assert_true(view_is(b, m.to_tag, "1918181833n"));
	assert_true(view_is(b, m.from_tag, "98asjd8"));
	assert_true(view_is(b, m.to_uri, "sip:vivekg@chair-dnrc.example.com"));
	assert_true(m.has_route);
	assert_true(view_is(b, m.route,
	                    "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"));
	assert_true(view_is(b, m.route_line,
	                    "Route:\r\n <sip:services.example.com;lr;unknownwith=value;"
	                    "unknown-no-value>\r\n"));
	assert_true(view_is(b, m.top_via_line,
	                    "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n"));
	struct sip_via v;
	assert_int_equal(sip_via_parse(b, m.vias[1], &v), 0);
	assert_int_equal(v.transport, SIP_TRANSPORT_TCP);
	assert_true(view_is(b, v.host, "spindle.example.com"));
	assert_true(view_is(b, v.branch, "z9hG4bK9ikj8"));
	assert_int_equal(sip_via_parse(b, m.vias[2], &v), 0);
	assert_true(view_is(b, v.host, "192.168.255.111"));
	assert_true(view_is(b, v.branch, "z9hG4bK30239"));
	assert_int_equal(m.body.len, 150);
}

static void test_longreq_vias(void **state)
{
	const struct row *r = find_row("longreq.dat");
	struct sip_msg m;
	assert_true(parse_all(r->data, r->len, &m) > 0);
	assert_int_equal(m.via_count, 34);
	assert_true(view_is(r->data, m.top_via.host, "sip33.example.com"));
	assert_int_equal(m.top_via.transport, SIP_TRANSPORT_TCP);
	assert_false(m.top_via.has_branch);
	struct sip_via v;
	assert_int_equal(sip_via_parse(r->data, m.vias[33], &v), 0);
	assert_true(v.has_received);
	assert_true(view_is(r->data, v.received, "192.0.2.5"));
}

static void test_badinv01_top_via(void **state)
{
	const struct row *r = find_row("badinv01.dat");
	struct sip_msg m;
	assert_int_equal(parse_all(r->data, r->len, &m), -SIP_ERR_BAD_VIA);
	/* What was read before the defect still addresses the 400. */
	assert_true(view_is(r->data, m.top_via.host, "192.0.2.15"));
	assert_int_equal(m.top_via.transport, SIP_TRANSPORT_UDP);
	assert_true(m.has_max_forwards);
	assert_int_equal(m.cseq, 8);
}

/*
 * Every prefix of every message (and the whole message), its last byte the last readable byte
 * before a PROT_NONE page: an error, or a success that consumed no more than it was given.
 */
static void test_prefixes_guard_page(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t span = ((MAX_MSG + (size_t)page - 1) / (size_t)page) * (size_t)page;
	char *map = mmap(NULL, span + (size_t)page, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(map != MAP_FAILED);
	assert_int_equal(mprotect(map + span, (size_t)page, PROT_NONE), 0);
	char *end = map + span;
	size_t parses = 0;

	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		for (size_t n = 0; n <= r->len; n++) {
			char *buf = end - n;
			memcpy(buf, r->data, n);
			struct sip_msg m;
			int rc = parse_all(buf, n, &m);
			assert_true(rc < 0 || (size_t)rc <= n);
			if (rc < 0)
				assert_true(-rc > SIP_OK && -rc < SIP_ERR_COUNT);
			if (rc > 0 && !m.is_request) {
				struct sip_via next;
				sip_response_next_hop(buf, &m, &next);
			}
			for (size_t v = 0; v < m.via_count && v < SIP_MAX_VIAS; v++) {
				struct sip_via via;
				sip_via_parse(buf, m.vias[v], &via);
			}
			parses++;
		}
	}
	print_message("%zu prefixes parsed against a guard page\n", parses);
	munmap(map, span + (size_t)page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expect_table),        cmocka_unit_test(test_dblreq_noise),
	    cmocka_unit_test(test_inv2543_no_length),   cmocka_unit_test(test_wsinv_fields),
	    cmocka_unit_test(test_longreq_vias),        cmocka_unit_test(test_badinv01_top_via),
	    cmocka_unit_test(test_prefixes_guard_page),
	};
	return cmocka_run_group_tests(tests, load_rows, free_rows);
}
