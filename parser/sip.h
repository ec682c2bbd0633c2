/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer zero-copy SIP parser.
 *
 * sip_parse() reads one SIP message held in a caller's buffer (one UDP datagram) and fills a
 * struct sip_msg of views into that buffer. It allocates nothing, copies nothing, keeps no state
 * between calls and never reads outside [buf, buf + len). Every view is an offset from buf plus a
 * length, so a caller that moves the bytes (the dataplane opens a gap for a new header) can keep
 * using the views after adjusting them.
 *
 * Pure C11 and libc: no DPDK header is included here, so the parser can be tested, fuzzed and
 * benchmarked alone.
 */
#ifndef SIPSTEER_SIP_H
#define SIPSTEER_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A view into the message buffer: bytes [off, off + len) of the buffer given to sip_parse(). */
struct sip_str {
	uint32_t off;
	uint32_t len;
};

static inline const char *sip_str_ptr(const char *buf, struct sip_str s)
{
	return buf + s.off;
}

static inline bool sip_str_empty(struct sip_str s)
{
	return s.len == 0;
}

/* Methods the parser recognises; anything else is SIP_METHOD_OTHER with its token in `method`. */
#define SIP_METHODS(X)                                                                             \
	X(INVITE)                                                                                  \
	X(ACK)                                                                                     \
	X(BYE)                                                                                     \
	X(CANCEL)                                                                                  \
	X(OPTIONS)                                                                                 \
	X(REGISTER)                                                                                \
	X(PRACK)                                                                                   \
	X(SUBSCRIBE)                                                                               \
	X(NOTIFY)                                                                                  \
	X(PUBLISH)                                                                                 \
	X(INFO)                                                                                    \
	X(REFER)                                                                                   \
	X(MESSAGE)                                                                                 \
	X(UPDATE)

enum sip_method {
	SIP_METHOD_OTHER = 0,
#define SIP_METHOD_ENUM(name) SIP_METHOD_##name,
	SIP_METHODS(SIP_METHOD_ENUM)
#undef SIP_METHOD_ENUM
	    SIP_METHOD_COUNT
};

/* Name of a method ("INVITE"), "" for SIP_METHOD_OTHER. */
const char *sip_method_name(enum sip_method m);

/*
 * Errors, each with the stateless reply a load balancer sends for a request that has it
 * (0: drop silently). Responses are never answered: any error on a response is a drop.
 * X(name, reply, text)
 */
#define SIP_ERRORS(X)                                                                              \
	X(INCOMPLETE, 0, "message is truncated (a line without its CRLF)")                         \
	X(EMPTY, 0, "empty datagram")                                                              \
	X(START_LINE, 400, "malformed start line")                                                 \
	X(METHOD, 400, "malformed method token")                                                   \
	X(REQUEST_URI, 400, "malformed Request-URI")                                               \
	X(VERSION, 505, "unsupported SIP version")                                                 \
	X(STATUS_CODE, 0, "status code out of range 100-699")                                      \
	X(HEADER_LINE, 400, "malformed header line")                                               \
	X(NO_CALL_ID, 400, "no Call-ID header")                                                    \
	X(DUP_CALL_ID, 400, "more than one Call-ID")                                               \
	X(BAD_CALL_ID, 400, "empty or malformed Call-ID")                                          \
	X(NO_FROM, 400, "no From header")                                                          \
	X(DUP_FROM, 400, "more than one From header")                                              \
	X(NO_TO, 400, "no To header")                                                              \
	X(DUP_TO, 400, "more than one To header")                                                  \
	X(NO_CSEQ, 400, "no CSeq header")                                                          \
	X(DUP_CSEQ, 400, "more than one CSeq header")                                              \
	X(BAD_CSEQ, 400, "malformed CSeq")                                                         \
	X(CSEQ_RANGE, 400, "CSeq number above 2^32-1")                                             \
	X(CSEQ_METHOD, 400, "CSeq method does not match the request method")                       \
	X(NO_VIA, 400, "no Via header")                                                            \
	X(BAD_VIA, 400, "malformed top Via")                                                       \
	X(BAD_MAX_FORWARDS, 400, "malformed Max-Forwards")                                         \
	X(DUP_MAX_FORWARDS, 400, "more than one Max-Forwards")                                     \
	X(TOO_MANY_HOPS, 483, "Max-Forwards is 0")                                                 \
	X(BAD_CONTENT_LENGTH, 400, "malformed Content-Length")                                     \
	X(DUP_CONTENT_LENGTH, 400, "conflicting Content-Length headers")                           \
	X(CONTENT_LENGTH_BEYOND, 400, "Content-Length beyond the end of the datagram")             \
	X(RELAY_TARGET, 0, "response has no usable next Via to relay to")                          \
	X(BAD_FROM, 400, "empty or malformed From")                                                \
	X(BAD_TO, 400, "empty or malformed To")                                                    \
	X(TOO_LONG, 0, "datagram longer than INT_MAX bytes")

enum sip_err {
	SIP_OK = 0,
#define SIP_ERR_ENUM(name, reply, text) SIP_ERR_##name,
	SIP_ERRORS(SIP_ERR_ENUM)
#undef SIP_ERR_ENUM
	    SIP_ERR_COUNT
};

/* Short stable identifier ("no_call_id") for counters and JSON; "ok" for SIP_OK. */
const char *sip_err_name(enum sip_err e);
/* One-line human description. */
const char *sip_err_text(enum sip_err e);
/* Stateless reply status code for a request failing with e (400, 483, 505, ...), 0 = drop. */
int sip_err_reply(enum sip_err e);

enum sip_transport {
	SIP_TRANSPORT_OTHER = 0,
	SIP_TRANSPORT_UDP,
	SIP_TRANSPORT_TCP,
	SIP_TRANSPORT_TLS,
	SIP_TRANSPORT_SCTP,
	SIP_TRANSPORT_WS,
	SIP_TRANSPORT_WSS,
	SIP_TRANSPORT_COUNT
};

enum sip_host_kind {
	SIP_HOST_NAME = 0,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6, /* `host` excludes the brackets */
};

/* One parsed Via value (what sip_via_parse() fills; the top Via of every message). */
struct sip_via {
	struct sip_str value;    /* the whole via-parm, "SIP/2.0/UDP host:port;branch=..." */
	struct sip_str protocol; /* "SIP/2.0/UDP" */
	enum sip_transport transport;
	struct sip_str transport_name; /* "UDP", as written */
	struct sip_str host;           /* sent-by host, IPv6 without brackets */
	enum sip_host_kind host_kind;
	uint16_t port; /* 0 when sent-by has no port */
	bool has_branch;
	struct sip_str branch; /* value of branch=, may be empty */
	bool has_received;
	struct sip_str received;
	bool has_rport;        /* rport present, with or without a value */
	uint16_t rport;        /* 0 when rport has no value */
	struct sip_str params; /* everything from the first ';' to the end of the value */
};

/*
 * The Via values sip_parse() records, in order; more are counted in via_count (which saturates
 * at UINT16_MAX) but not stored. Entries at and after min(via_count, SIP_MAX_VIAS) are not
 * written by sip_parse(): read only the stored ones. Empty list elements ("a,,b") are skipped.
 */
#define SIP_MAX_VIAS 64

/* What sip_parse() fills. Views are offsets into the buffer given to sip_parse(). */
struct sip_msg {
	bool is_request;

	/* Request line */
	enum sip_method method;
	struct sip_str method_name; /* the token, for every method */
	struct sip_str request_uri;

	/* Status line */
	uint16_t status_code;
	struct sip_str reason; /* may be empty */

	struct sip_str start_line; /* without its CRLF */

	struct sip_str call_id; /* value, trimmed */

	/* Every Via value in order (a comma-joined line gives several). */
	uint16_t via_count;
	struct sip_str vias[SIP_MAX_VIAS];
	struct sip_via top_via;
	/* The whole header line (name to CRLF included) holding the top Via, for removal. */
	struct sip_str top_via_line;

	/* Max-Forwards: absent is distinct from 0. */
	bool has_max_forwards;
	uint32_t max_forwards;
	struct sip_str max_forwards_value; /* the digits as written, "0068" */

	uint32_t cseq;
	enum sip_method cseq_method;
	struct sip_str cseq_method_name;
	struct sip_str cseq_value; /* whole value, "9 INVITE" */

	struct sip_str from;     /* whole From value */
	struct sip_str from_tag; /* empty when absent */
	struct sip_str to;       /* whole To value */
	struct sip_str to_tag;   /* empty when absent */
	struct sip_str to_uri;   /* the URI inside To (between < >, or up to ';') */

	/* First Route value and its whole header line (name to CRLF included). */
	bool has_route;
	struct sip_str route;
	struct sip_str route_line;
	bool has_record_route;

	bool has_content_length;
	uint32_t content_length;

	/* Where the header block ends: offset of the blank line's CRLF (or len when absent). */
	uint32_t headers_end;
	struct sip_str body;
};

/*
 * Parse one SIP message (one UDP datagram) from buf[0..len).
 *
 * Returns the number of bytes the message occupies (start line, headers, blank line and body;
 * bytes after that are noise the caller should not relay), or -enum sip_err on failure.
 * On failure, the fields found before the error are still filled (is_request, top Via, Call-ID,
 * From, To, CSeq) so that a stateless error reply can be built where they are present.
 *
 * Datagram rules (RFC 3261 18.3): without Content-Length the body is the rest of the datagram;
 * a Content-Length beyond the datagram is an error; a header block that ends at the end of the
 * datagram without its blank line is accepted; a last line without CRLF is SIP_ERR_INCOMPLETE.
 * Requests with Max-Forwards 0 fail with SIP_ERR_TOO_MANY_HOPS (fields all filled).
 *
 * Errors: a truncated message is SIP_ERR_INCOMPLETE whatever else is wrong with it; a bare CR or
 * LF stops the scan (SIP_ERR_START_LINE / SIP_ERR_HEADER_LINE); otherwise the scan goes on to
 * the end of the header block and the first defect in message order is returned, then missing
 * headers (Via, Call-ID, From, To, CSeq), then framing (Content-Length), then Max-Forwards 0.
 * So on most errors every header the message has is filled. The top Via is parsed in place;
 * when it is malformed, top_via holds what was read before the defect (protocol, host, port).
 * Leading CRLFs (RFC 3261 7.5 keep-alives) are skipped; a datagram of nothing else is
 * SIP_ERR_EMPTY. len must be at most INT_MAX (SIP_ERR_TOO_LONG).
 *
 * Thread-safe; reentrant; never allocates; never reads outside buf[0..len).
 */
int sip_parse(const char *buf, size_t len, struct sip_msg *msg);

/*
 * Parse one Via value (a view from msg->vias) into *via. Returns 0 or -SIP_ERR_BAD_VIA.
 * Never allocates; reads only the value's bytes.
 */
int sip_via_parse(const char *buf, struct sip_str value, struct sip_via *via);

/*
 * Where a stateless element relays a response: the Via below the top one (RFC 3261 16.11,
 * 18.2.2). Fills *next with that Via. Returns 0, or -SIP_ERR_RELAY_TARGET when there is no second
 * Via, it does not parse, or its destination (received, else sent-by) is an IPv4 broadcast,
 * multicast or unspecified address (255.255.255.255, 224.0.0.0/4, 0.0.0.0/8) or an IPv6
 * multicast or unspecified one (ff00::/8, ::, and IPv4-mapped forms of the IPv4 ones).
 * A host name is not judged here: resolving it is the caller's business.
 */
int sip_response_next_hop(const char *buf, const struct sip_msg *msg, struct sip_via *next);

/*
 * Which SIMD scanner the parser uses ("avx2", "sse4.2" or "scalar"): the best one this CPU runs,
 * found with __builtin_cpu_supports (sip_parse() checks once, at its first call), unless the
 * build forced one (meson -Dsimd=).
 */
const char *sip_parser_impl(void);

#endif
