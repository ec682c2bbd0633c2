/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer-parse: run the sipsteer parser on SIP messages held in files (one datagram per file)
 * and print what it extracted, one JSON object per line, or the error and the stateless reply a
 * load balancer would send. Responses also get their relay target (RFC 3261 16.11, 18.2.2).
 *
 * Exit status: 0 when every message parsed, 1 when any was rejected, 2 on usage or I/O errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sip.h"

#define PROG "sipsteer-parse"

/* The largest UDP payload: a file holding more cannot be one datagram. */
#define SIPSTEER_PARSE_MAX_MSG 65535u

enum exit_code {
	EXIT_PARSED = 0,
	EXIT_REJECTED = 1,
	EXIT_USAGE = 2,
};

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: " PROG " [--help] [--] FILE...\n"
	    "\n"
	    "Parse each FILE as one SIP message (one UDP datagram, at most %u bytes; '-' reads\n"
	    "standard input) with the sipsteer parser and print one JSON object per line:\n"
	    "  {\"file\":..., \"ok\":true, \"kind\":\"request\"|\"response\", ...every extracted "
	    "field...}\n"
	    "  {\"file\":..., \"ok\":false, \"error\":NAME, \"message\":TEXT, "
	    "\"reply\":CODE|\"drop\"}\n"
	    "A response is also checked for a relay target (the second Via); without one it is\n"
	    "rejected with error \"relay_target\". Strings are JSON-escaped; control bytes and "
	    "bytes\n"
	    "that are not valid UTF-8 appear as \\u00XX.\n"
	    "\n"
	    "exit status: 0 all parsed, 1 at least one rejected, 2 usage or I/O error\n",
	    SIPSTEER_PARSE_MAX_MSG);
}

/* ---- JSON output ---------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 table), 0 when it is not one. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* The second byte's range excludes overlong forms, UTF-16 surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Write bytes as a JSON string: always valid JSON and valid UTF-8, whatever the bytes are. */
static void json_bytes(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	fputc('"', out);
	while (i < n) {
		unsigned char c = p[i];
		size_t seq;

		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			fputc(c, out);
			i++;
		} else if (c >= 0x80 && (seq = utf8_seq_len(p + i, n - i)) != 0) {
			fwrite(p + i, 1, seq, out);
			i += seq;
		} else {
			/* Control bytes, DEL and stray bytes: the byte as the code point U+00XX. */
			fprintf(out, "\\u%04x", c);
			i++;
		}
	}
	fputc('"', out);
}

static void json_cstr(FILE *out, const char *s)
{
	json_bytes(out, s, strlen(s));
}

/* Write `,"key":` (the comma is left out for the first member of an object). */
static void json_key(FILE *out, bool *first, const char *key)
{
	if (!*first)
		fputc(',', out);
	*first = false;
	json_cstr(out, key);
	fputc(':', out);
}

static void json_view(FILE *out, const char *buf, struct sip_str s)
{
	json_bytes(out, sip_str_ptr(buf, s), s.len);
}

/* A view that is empty when the item is absent: null then. */
static void json_view_or_null(FILE *out, const char *buf, struct sip_str s)
{
	if (sip_str_empty(s))
		fputs("null", out);
	else
		json_view(out, buf, s);
}

static void json_span(FILE *out, struct sip_str s)
{
	fprintf(out, "{\"offset\":%" PRIu32 ",\"length\":%" PRIu32 "}", s.off, s.len);
}

static const char *host_kind_name(enum sip_host_kind k)
{
	switch (k) {
	case SIP_HOST_IPV4:
		return "ipv4";
	case SIP_HOST_IPV6:
		return "ipv6";
	case SIP_HOST_NAME:
		break;
	}
	return "name";
}

static void json_via(FILE *out, const char *buf, const struct sip_via *via)
{
	bool first = true;

	fputc('{', out);
	json_key(out, &first, "value");
	json_view(out, buf, via->value);
	json_key(out, &first, "protocol");
	json_view(out, buf, via->protocol);
	json_key(out, &first, "transport");
	json_view(out, buf, via->transport_name);
	json_key(out, &first, "host");
	json_view(out, buf, via->host);
	json_key(out, &first, "host_kind");
	json_cstr(out, host_kind_name(via->host_kind));
	json_key(out, &first, "port");
	if (via->port)
		fprintf(out, "%u", via->port);
	else
		fputs("null", out);
	json_key(out, &first, "branch");
	if (via->has_branch)
		json_view(out, buf, via->branch);
	else
		fputs("null", out);
	json_key(out, &first, "received");
	if (via->has_received)
		json_view(out, buf, via->received);
	else
		fputs("null", out);
	/* rport: null when absent, true when present without a value (RFC 3581), else the port. */
	json_key(out, &first, "rport");
	if (!via->has_rport)
		fputs("null", out);
	else if (via->rport)
		fprintf(out, "%u", via->rport);
	else
		fputs("true", out);
	json_key(out, &first, "params");
	json_view(out, buf, via->params);
	fputc('}', out);
}

/* ---- one message ---------------------------------------------------------------------------- */

static void print_fields(FILE *out, bool *first, const char *buf, size_t len,
                         const struct sip_msg *msg, int consumed)
{
	json_key(out, first, "start_line");
	json_view(out, buf, msg->start_line);
	if (msg->is_request) {
		json_key(out, first, "method");
		json_view(out, buf, msg->method_name);
		json_key(out, first, "request_uri");
		json_view(out, buf, msg->request_uri);
	} else {
		json_key(out, first, "status");
		fprintf(out, "%u", msg->status_code);
		json_key(out, first, "reason");
		json_view(out, buf, msg->reason);
	}
	json_key(out, first, "call_id");
	json_view(out, buf, msg->call_id);

	json_key(out, first, "via_count");
	fprintf(out, "%u", msg->via_count);
	json_key(out, first, "vias");
	fputc('[', out);
	for (unsigned i = 0; i < msg->via_count && i < SIP_MAX_VIAS; i++) {
		if (i)
			fputc(',', out);
		json_view(out, buf, msg->vias[i]);
	}
	fputc(']', out);
	json_key(out, first, "top_via");
	json_via(out, buf, &msg->top_via);
	json_key(out, first, "top_via_line");
	json_span(out, msg->top_via_line);

	json_key(out, first, "max_forwards");
	if (msg->has_max_forwards)
		fprintf(out, "%" PRIu32, msg->max_forwards);
	else
		fputs("null", out);
	json_key(out, first, "max_forwards_value");
	if (msg->has_max_forwards)
		json_view(out, buf, msg->max_forwards_value);
	else
		fputs("null", out);

	json_key(out, first, "cseq");
	fprintf(out, "{\"number\":%" PRIu32 ",\"method\":", msg->cseq);
	json_view(out, buf, msg->cseq_method_name);
	fputs(",\"value\":", out);
	json_view(out, buf, msg->cseq_value);
	fputc('}', out);

	json_key(out, first, "from");
	json_view(out, buf, msg->from);
	json_key(out, first, "from_tag");
	json_view_or_null(out, buf, msg->from_tag);
	json_key(out, first, "to");
	json_view(out, buf, msg->to);
	json_key(out, first, "to_tag");
	json_view_or_null(out, buf, msg->to_tag);
	json_key(out, first, "to_uri");
	json_view(out, buf, msg->to_uri);

	json_key(out, first, "route");
	if (msg->has_route)
		json_view(out, buf, msg->route);
	else
		fputs("null", out);
	json_key(out, first, "route_line");
	if (msg->has_route)
		json_span(out, msg->route_line);
	else
		fputs("null", out);
	json_key(out, first, "record_route");
	fputs(msg->has_record_route ? "true" : "false", out);

	json_key(out, first, "content_length");
	if (msg->has_content_length)
		fprintf(out, "%" PRIu32, msg->content_length);
	else
		fputs("null", out);
	json_key(out, first, "headers_end");
	fprintf(out, "%" PRIu32, msg->headers_end);
	json_key(out, first, "body");
	json_span(out, msg->body);
	/* Bytes past `consumed` are datagram noise that is not relayed (RFC 4475 3.1.1.8). */
	json_key(out, first, "consumed");
	fprintf(out, "%d", consumed);
	json_key(out, first, "trailing");
	fprintf(out, "%zu", len - (size_t)consumed);
}

static void print_reject(FILE *out, bool *first, const char *buf, const struct sip_msg *msg,
                         enum sip_err err)
{
	int reply = msg->is_request ? sip_err_reply(err) : 0;

	json_key(out, first, "error");
	json_cstr(out, sip_err_name(err));
	json_key(out, first, "message");
	json_cstr(out, sip_err_text(err));
	json_key(out, first, "reply");
	if (reply)
		fprintf(out, "%d", reply);
	else
		fputs("\"drop\"", out);
	/* What a stateless error reply has to echo, where the parser found it before failing. */
	if (!sip_str_empty(msg->call_id)) {
		json_key(out, first, "call_id");
		json_view(out, buf, msg->call_id);
	}
}

/*
 * Parse one message and print its line. Returns EXIT_PARSED or EXIT_REJECTED.
 * buf holds len bytes of the file; name is what the user wrote.
 */
static int report_message(FILE *out, const char *name, const char *buf, size_t len)
{
	struct sip_msg msg;
	struct sip_via next;
	bool first = true;
	enum sip_err err = SIP_OK;
	int rc;

	memset(&msg, 0, sizeof(msg));
	rc = sip_parse(buf, len, &msg);
	if (rc < 0)
		err = (enum sip_err) - rc;
	else if (!msg.is_request && sip_response_next_hop(buf, &msg, &next) < 0)
		err = SIP_ERR_RELAY_TARGET;

	fputc('{', out);
	json_key(out, &first, "file");
	json_cstr(out, name);
	json_key(out, &first, "ok");
	fputs(err == SIP_OK ? "true" : "false", out);
	/* A message rejected before its start line was read is neither: no "kind" then. */
	if (err == SIP_OK || msg.is_request || !sip_str_empty(msg.start_line)) {
		json_key(out, &first, "kind");
		json_cstr(out, msg.is_request ? "request" : "response");
	}
	if (err != SIP_OK) {
		print_reject(out, &first, buf, &msg, err);
	} else {
		print_fields(out, &first, buf, len, &msg, rc);
		if (!msg.is_request) {
			json_key(out, &first, "next_hop");
			json_via(out, buf, &next);
		}
	}
	fputs("}\n", out);
	return err == SIP_OK ? EXIT_PARSED : EXIT_REJECTED;
}

/* ---- input ---------------------------------------------------------------------------------- */

/* One byte more than a datagram can hold, so that a larger file is seen as such. */
static char msg_buf[SIPSTEER_PARSE_MAX_MSG + 1];

/*
 * Read the whole file (or standard input for "-") into msg_buf. Returns the length, or -1 after
 * printing why on stderr.
 */
static ssize_t read_message(const char *name)
{
	bool is_stdin = !strcmp(name, "-");
	int fd = is_stdin ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
		return -1;
	}
	while (len < sizeof(msg_buf)) {
		ssize_t n = read(fd, msg_buf + len, sizeof(msg_buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SIPSTEER_PARSE_MAX_MSG) {
		fprintf(stderr, PROG ": %s: larger than %u bytes, not one SIP datagram\n", name,
		        SIPSTEER_PARSE_MAX_MSG);
		goto err;
	}
	if (!is_stdin)
		close(fd);
	return (ssize_t)len;
err:
	if (!is_stdin)
		close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	int first_file = 1;
	int status = EXIT_PARSED;

	for (; first_file < argc; first_file++) {
		const char *arg = argv[first_file];

		if (!strcmp(arg, "--")) {
			first_file++;
			break;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			return fflush(stdout) ? EXIT_USAGE : EXIT_PARSED;
		}
		if (arg[0] != '-' || !strcmp(arg, "-"))
			break;
		fprintf(stderr, PROG ": unknown option '%s'\n", arg);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (first_file >= argc) {
		fprintf(stderr, PROG ": no FILE given\n");
		usage(stderr);
		return EXIT_USAGE;
	}

	for (int i = first_file; i < argc; i++) {
		ssize_t len = read_message(argv[i]);

		if (len < 0) {
			status = EXIT_USAGE;
			continue;
		}
		if (report_message(stdout, argv[i], msg_buf, (size_t)len) == EXIT_REJECTED &&
		    status == EXIT_PARSED)
			status = EXIT_REJECTED;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": standard output: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	return status;
}
