/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer stateless proxy edits (RFC 3261 16.11), on a message in a byte buffer.
 *
 * Pure C: no DPDK header. The dataplane hands in the packet's SIP payload with the headroom in
 * front of it and the tailroom behind it; every edit happens in place. Headers the proxy adds go
 * right after the start line, so opening the gap moves only the start line (and whatever lies
 * before the edited byte) back into the headroom: the rest of the message never moves.
 *
 * Every function here is a pure function of its inputs (message bytes, configuration, secret):
 * any worker and any instance sharing the configuration decides the same.
 */
#ifndef SIPSTEER_DP_SIP_PROXY_H
#define SIPSTEER_DP_SIP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb.h"
#include "sip.h"

/* Our branch: magic cookie, our marker, 16 hex digits of MAC. */
#define DP_BRANCH_PREFIX       "z9hG4bK-sst-"
#define DP_PROBE_BRANCH_PREFIX "z9hG4bK-ssp-"
#define DP_BRANCH_MAC_HEX      16
/* Length of our whole branch value, "z9hG4bK-sst-" + 16 hex digits. */
#define DP_BRANCH_LEN (sizeof(DP_BRANCH_PREFIX) - 1 + DP_BRANCH_MAC_HEX)
/* Length of the To tag a stateless reply adds (hex digits). */
#define DP_REPLY_TAG_HEX 16

/*
 * Why the proxy refused to forward or relay a message, or to build a reply. X(name, text)
 * NEXT_HOP_FAMILY is the caller's: dp_sip_relay_response() returns IPv4 and IPv6 next hops alike
 * and the dataplane refuses those of a family it has no address in.
 */
#define DP_SIP_ERRORS(X)                                                                           \
	X(NO_ROOM, "not enough headroom or tailroom for the edit")                                 \
	X(NOT_OUR_VIA, "response top Via is not ours")                                             \
	X(BAD_BRANCH_MAC, "response top Via branch was not made with our secret")                  \
	X(NO_NEXT_VIA, "response has no usable Via below ours")                                    \
	X(NEXT_HOP_NAME, "next Via names a host, not an IP literal, and has no received")          \
	X(NEXT_HOP_FAMILY, "next hop address family is not served")                                \
	X(REPLY_TOO_BIG, "stateless reply does not fit the buffer")                                \
	X(REPLY_NO_VIA, "request has no Via to answer to")                                         \
	X(REPLY_CODE, "reply status code outside 100-699")                                         \
	X(ROUTE_HOST_NAME, "backend's request: next Route or Request-URI names a host, not an IP") \
	X(ROUTE_TARGET, "backend's request: next Route or Request-URI unusable (no sip: IP URI)")

enum dp_sip_err {
	DP_SIP_OK = 0,
#define DP_SIP_ERR_ENUM(name, text) DP_SIP_ERR_##name,
	DP_SIP_ERRORS(DP_SIP_ERR_ENUM)
#undef DP_SIP_ERR_ENUM
	    DP_SIP_ERR_COUNT
};

const char *dp_sip_err_name(enum dp_sip_err e); /* "not_our_via" */
const char *dp_sip_err_text(enum dp_sip_err e);

/* What the proxy edits need to know; built by the control thread, read-only afterwards. */
/* sip.aliases: host names that name this balancer in a Route URI (RFC 3261 16.4), lowercase,
 * without a trailing dot. */
#define DP_SIP_MAX_ALIASES 8
#define DP_SIP_ALIAS_MAX   253
struct dp_sip_aliases {
	uint32_t n;
	uint8_t len[DP_SIP_MAX_ALIASES];
	char name[DP_SIP_MAX_ALIASES][DP_SIP_ALIAS_MAX + 1];
};

struct dp_sip_cfg {
	struct lb_addr self; /* the virtual IP and SIP port our Via names */
	char self_host[48];  /* the same as text: "198.18.0.10" or "[2001:db8::10]" */
	uint8_t self_host_len;
	/* Our Via line starts "Via: " when that makes its length even, else "Via:" (no space, as
	 * RFC 3261 HCOLON allows): an even line shifts the bytes after it by whole 16-bit words, so
	 * the UDP checksum follows the insert (and the pop on the response) without a pass over
	 * the message. */
	bool via_space;
	/* Our Via line up to its branch value, as via_space spells it:
	 * "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=" (dp_sip_cfg_init writes it). */
	char via_head[sizeof("Via: SIP/2.0/UDP :65535;branch=") - 1 + 48]; /* 48: self_host */
	uint8_t via_head_len;
	/* The 16-bit one's complement sum (cksum.h) of via_head and DP_BRANCH_PREFIX after it,
	 * at an even offset: the bytes of our Via that are the same on every request. */
	uint16_t via_fixed_sum;
	uint64_t key[2];       /* SipHash-2-4 key from the configured secret */
	uint32_t retry_after;  /* seconds for 503; 0 = no Retry-After */
	uint32_t max_forwards; /* added when a request has no Max-Forwards (70) */
	/* Host names a Route may name us by besides the VIP (NULL: none); dp_sip_cfg_init
	 * leaves it NULL, the policy sets it to its own copy. */
	const struct dp_sip_aliases *aliases;
	/* The VIP of the other family (family 0 when there is none; dp_sip_cfg_init leaves it so):
	 * a Route naming it names us too. Last, with aliases: read only for a Route that is not
	 * this leg's VIP, off the fields every message uses. */
	struct lb_addr other_vip;
};

/*
 * Record-Route pin: the parameter sst=ID.MAC in our Record-Route URI names the backend (its
 * configuration id, decimal, no leading zero) that a dialog was sent to; MAC is 16 lowercase hex
 * digits of SipHash-2-4(pin key, Call-ID || 0x00 || ID || 0x00 || backend name), the pin key
 * derived from the secret (so a pin is never a valid branch or To tag, and the reverse). The
 * name makes a pin stale, not misdirected, when its id is given to another backend: it then
 * fails the check and the table decides.
 */
#define DP_PIN_PARAM   "sst"
#define DP_PIN_MAC_HEX 16
#define DP_PIN_MAX     (4 + 1 + DP_PIN_MAC_HEX) /* "4095.0123456789abcdef" */
#define DP_PIN_NONE    UINT32_MAX               /* no backend to pin: no Record-Route */

/* Methods that always create a dialog when sent without a To tag (RFC 3261, 6665, 3515). */
#define DP_DIALOG_METHODS                                                                          \
	((1u << SIP_METHOD_INVITE) | (1u << SIP_METHOD_SUBSCRIBE) | (1u << SIP_METHOD_REFER))

/* Per-request choices of a forward beyond RFC 3261 16.11 (sip.record_route, sip.path, ...). */
struct dp_sip_fwd {
	bool record_route;       /* Record-Route on dialog-creating requests, pinned to `pin` */
	bool add_path;           /* Path on REGISTER (RFC 3327) */
	uint32_t dialog_methods; /* more dialog-creating methods: bits 1u << enum sip_method */
	uint32_t pin;            /* backend id the Record-Route names; DP_PIN_NONE: none added */
	const char *pin_name;    /* that backend's name (NUL-terminated); NULL: none added */
};

/* A message in a buffer that may grow at both ends. */
struct dp_sip_buf {
	char *data;        /* first byte of the message; moves back when bytes are inserted */
	uint32_t len;      /* message length */
	uint32_t headroom; /* writable bytes before data */
	uint32_t tailroom; /* writable bytes after data + len */
	/*
	 * When sum_valid: dp_sum16() of data[0..len), kept up to date by every edit (RFC 1624
	 * style, only the bytes that change or change word half are summed), so the UDP checksum
	 * of the result needs no pass over the message. Leave sum_valid false to have none.
	 */
	uint16_t sum;
	bool sum_valid;
};

/* Where a packet came from or goes to. */
struct dp_sip_peer {
	struct lb_addr addr;
};

/* Fill cfg from its parts (formats self_host, derives the SipHash key from secret). */
void dp_sip_cfg_init(struct dp_sip_cfg *cfg, const struct lb_addr *self, const uint8_t secret[16],
                     uint32_t retry_after, uint32_t max_forwards);

/*
 * Where the responses to a request from src go (RFC 3261 18.2.2, RFC 3581 4), once its top Via
 * `via` carries the received and rport that forwarding adds: src's address; src's port when the
 * Via has a bare rport, the rport's value when the client gave one, else the sent-by port (5060
 * when absent). It is what dp_sip_relay_response() reads back from that Via.
 */
void dp_sip_response_dest(const struct sip_via *via, const struct dp_sip_peer *src,
                          struct lb_addr *dest);

/*
 * Our Via branch for a request: DP_BRANCH_PREFIX + 16 lowercase hex digits of
 * SipHash-2-4(cfg->key, D || Call-ID || 0x00 || CSeq number in decimal || 0x00 || sent-by ||
 * 0x00 || X || 0x00 || From tag), where D is dest, where the responses go
 * (dp_sip_response_dest(): 4 and the IPv4 address, or 6 and the IPv6 address, then the port,
 * big end first), sent-by is client_via's host as written (IPv6 without brackets) ":" port in
 * decimal (5060 when absent), and X is client_via's branch when it starts with "z9hG4bK" (the
 * bare cookie included), else empty. So a response whose Via below ours names another sent-by
 * than the request's, or another destination (its received or rport changed on the way back),
 * fails the check and is not relayed. RFC 3261 16.11: identical for retransmissions, for the
 * CANCEL of an INVITE and for the ACK of a non-2xx response (sent from the same address and
 * port), and recomputable from any response to the request (which echoes all of it).
 * client_via is the request's top Via, or for a response the Via below ours. Writes
 * DP_BRANCH_LEN bytes to out (no NUL) and returns DP_BRANCH_LEN. Any thread; no allocation.
 */
size_t dp_sip_branch(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                     const struct sip_via *client_via, const struct lb_addr *dest, char *out);

/*
 * Forward a parsed request (sip_parse() returned > 0 for it) to a backend, in place:
 *  - cut the datagram to the message (bytes after Content-Length are noise, RFC 3261 18.3);
 *  - pop the top Route when it names us (loose routing, RFC 3261 16.4);
 *  - decrement Max-Forwards keeping its width ("70" -> "69", "10" -> "09"), or add
 *    "Max-Forwards: <cfg->max_forwards>" when absent (RFC 3261 16.6 step 3);
 *  - add received= (when the sent-by differs from src, or the client wrote a received of its
 *    own, which is replaced) and rport=<src port> (when the client asked with a bare rport) to
 *    the client's top Via (RFC 3261 18.2.1, RFC 3581);
 *  - insert "Via: SIP/2.0/UDP <self>;branch=<dp_sip_branch>" on top (RFC 3261 16.6 step 8).
 * Every other byte is left alone. Returns DP_SIP_OK or -DP_SIP_ERR_NO_ROOM (b unchanged then).
 * msg is stale afterwards. The inserted lines go right after the start line, so the bytes moved
 * are the start line (into the headroom) plus, for the in-place Via and Route edits, the fewer of
 * the bytes before or after each of them. Any thread; no allocation.
 */
int dp_sip_forward_request(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b,
                           const struct sip_msg *msg, const struct dp_sip_peer *src);

/*
 * dp_sip_forward_request() plus, after our Via (and Max-Forwards) on top, as directed by how
 * (NULL: nothing more):
 *  - "Record-Route: <sip:<self>;lr;sst=<dp_sip_pin(how->pin, how->pin_name)>>" when
 *    how->record_route, how->pin is not DP_PIN_NONE, how->pin_name is set and
 *    dp_sip_creates_dialog(msg, how->dialog_methods);
 *  - "Path: <sip:<self>;lr>" (RFC 3327 4) on a REGISTER when how->add_path.
 * Both depend only on the configuration, the backend and the Call-ID: a retransmission gets the
 * same bytes. Same returns and geometry as dp_sip_forward_request(). Any thread; no allocation.
 */
int dp_sip_forward(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b, const struct sip_msg *msg,
                   const struct dp_sip_peer *src, const struct dp_sip_fwd *how);

/*
 * Forward a request that a backend sent to a user agent through us (an in-dialog request from
 * the callee's side, a request to a user registered with our Path): pop the top Route when it
 * names us, then send it to the next Route's URI or, when there is none, to the Request-URI.
 * The edits are those of dp_sip_forward() (our Via on top, so the response comes back through
 * us and is relayed to the backend; how->pin names the sending backend in a Record-Route).
 * The target must be a sip: URI with an IP literal host (port 5060 when absent) other than our
 * own address and usable (not broadcast, multicast or unspecified); maddr and transport are not
 * looked at, and a next Route without lr is used like one with it. Sets *next on success.
 * Returns DP_SIP_OK, -DP_SIP_ERR_ROUTE_HOST_NAME (host name: no resolver on the data path),
 * -DP_SIP_ERR_ROUTE_TARGET (any other unusable target), -DP_SIP_ERR_NO_ROOM; b is unchanged on
 * failure. Any thread; no allocation.
 */
int dp_sip_forward_outbound(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b,
                            const struct sip_msg *msg, const struct dp_sip_peer *src,
                            const struct dp_sip_fwd *how, struct dp_sip_peer *next);

/*
 * true when req creates a dialog: it has no To tag and its method is INVITE, SUBSCRIBE, REFER
 * or one of extra_methods (bits 1u << enum sip_method). Any thread.
 */
bool dp_sip_creates_dialog(const struct sip_msg *req, uint32_t extra_methods);

/*
 * The pin value for backend_id (named backend_name, NUL-terminated, below LB_NAME_MAX) and req's
 * Call-ID, "ID.MAC" (see DP_PIN_PARAM): writes at most DP_PIN_MAX bytes to out (no NUL) and
 * returns their count. backend_id must be below LB_MAX_BACKENDS. Any thread; no allocation.
 */
size_t dp_sip_pin(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                  uint32_t backend_id, const char *backend_name, char *out);

/* true when req's top Route names us (<sip:[user@]self-ip[:self-port]...>, 5060 when no port). */
bool dp_sip_route_is_self(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req);

/*
 * The backend pinned by req's top Route: 1 with *backend_id set when that Route names us and
 * carries sst=ID.MAC, set holds a backend with id ID, and MAC matches ID, that backend's name and
 * req's Call-ID (compared in constant time); 0 when there is no pin (no Route, a Route that does
 * not name us, no sst parameter); -1 for a pin that is malformed, forged (a MAC made with another
 * secret or for another Call-ID) or stale (set has no backend ID, or the one holding ID now has
 * another name than the pin was made for; set NULL: every pin is stale). Any thread; no
 * allocation.
 */
int dp_sip_route_pin(const struct dp_sip_cfg *cfg, const char *buf, const struct sip_msg *req,
                     const struct lb_set *set, uint32_t *backend_id);

/*
 * The next hop a response goes to from the Via below ours (RFC 3261 18.2.2, RFC 3581 4): its
 * received, else its sent-by IP literal; its rport, else its port, else 5060. Returns DP_SIP_OK,
 * -DP_SIP_ERR_NO_NEXT_VIA (no usable IP literal) or -DP_SIP_ERR_NEXT_HOP_NAME (a host name and
 * no received). As dp_sip_relay_response() finds it; any thread.
 */
int dp_sip_via_next_hop(const char *buf, const struct sip_via *via, struct lb_addr *dest);

/*
 * Relay a parsed response: check that its top Via is ours (self host and port, our branch
 * prefix, and a MAC that matches the one recomputed from the response), remove that Via value
 * (the whole line when it is alone on it), and set *next to the next Via's received (else its
 * sent-by IP literal) and rport (else its port, else 5060). Returns DP_SIP_OK or
 * -DP_SIP_ERR_NOT_OUR_VIA, -DP_SIP_ERR_BAD_BRANCH_MAC, -DP_SIP_ERR_NO_NEXT_VIA,
 * -DP_SIP_ERR_NEXT_HOP_NAME; b is unchanged on failure. msg is stale afterwards.
 * Checked in this order: NOT_OUR_VIA (top Via not our IP and port, or branch without our
 * prefix); NO_NEXT_VIA when sip_response_next_hop() refuses the Via below (absent, malformed,
 * broadcast, multicast or unspecified target); NO_NEXT_VIA for a received that is no IP
 * literal, NEXT_HOP_NAME for a host name without it; then BAD_BRANCH_MAC (compared in constant
 * time; the MAC covers the next hop found).
 * Bytes after the message (RFC 3261 18.3) are cut as for requests. Any thread; no allocation.
 */
int dp_sip_relay_response(const struct dp_sip_cfg *cfg, struct dp_sip_buf *b,
                          const struct sip_msg *msg, struct dp_sip_peer *next);

/*
 * Build the stateless reply `code` (400, 483, 503, 505, ...) to request req (parsed, possibly
 * with an error: the Via, From, To, Call-ID and CSeq it found are echoed) into out[0..cap):
 * status line, every Via of the request (the top one with received/rport as above), From, To
 * (with a To tag derived from the request when it has none), Call-ID, CSeq, Retry-After for
 * 503 when configured, Server, Content-Length: 0. Fields the request lacks are left out. The To
 * tag is DP_REPLY_TAG_HEX hex digits of a MAC over Call-ID and From tag, so retransmissions get
 * the same one. Returns the length written, or -DP_SIP_ERR_REPLY_TOO_BIG, -DP_SIP_ERR_REPLY_NO_VIA
 * (nowhere to send it), -DP_SIP_ERR_REPLY_CODE (code outside 100-699). At most SIP_MAX_VIAS Via
 * values are echoed (those sip_parse() stores). The caller sends it to dp_sip_reply_dest().
 * Any thread; no allocation.
 */
int dp_sip_build_reply(const struct dp_sip_cfg *cfg, const char *req_buf, const struct sip_msg *req,
                       const struct dp_sip_peer *src, int code, char *out, size_t cap);

/*
 * Where a stateless reply to req, received from src, goes (RFC 3261 18.2.2, RFC 3581 4): src's
 * address (the received the reply's top Via carries); src's port when the top Via has rport,
 * else its sent-by port (5060 when absent), as dp_sip_response_dest(). A top Via that does not
 * parse: src as it is. An ACK gets no reply at all (RFC 3261 17): the caller drops it.
 */
void dp_sip_reply_dest(const char *req_buf, const struct sip_msg *req,
                       const struct dp_sip_peer *src, struct dp_sip_peer *dest);

/* Standard reason phrase for a status code ("Bad Request"), "" when unknown. */
const char *dp_sip_reason(int code);

#endif
