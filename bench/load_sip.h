/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP messages of sipsteer-bench load: the client's INVITE, ACK and BYE of one call, the
 * backend's responses built from a parsed request as a real UAS does (every Via, From, To,
 * Call-ID and CSeq copied; a To tag added), and the few lookups both sides need. IPv4 only.
 *
 * Builders write into a caller's buffer and return the length, or -1 when it does not fit.
 * Nothing allocates; every function is reentrant.
 */
#ifndef SIPSTEER_LOAD_SIP_H
#define SIPSTEER_LOAD_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "sip.h"

/* Who the client is: everything of its messages that does not change from call to call. */
struct load_uac_id {
	char local[32];    /* "198.18.0.1:5070": Via sent-by, From and Contact host */
	char local_ip[16]; /* "198.18.0.1": the Call-ID's host part */
	char target[32];   /* "198.18.0.10:5060": Request-URI and To host */
	uint32_t tag;      /* this run's tag, in every Call-ID, From tag and branch */
};

/* Transactions of a call, as the last letter of their Via branch. */
enum load_txn {
	LOAD_TXN_INVITE = 'i',
	LOAD_TXN_ACK = 'a',
	LOAD_TXN_BYE = 'b',
};

/* INVITE of call number `call` (CSeq 1, an SDP offer). */
int load_sip_invite(char *buf, size_t cap, const struct load_uac_id *u, uint64_t call);

/*
 * ACK (CSeq 1) or BYE (CSeq 2) of call `call` after its 200 OK: Request-URI `ruri` (the 200's
 * Contact), To `to` (the 200's To value, with the backend's tag).
 */
int load_sip_in_dialog(char *buf, size_t cap, const struct load_uac_id *u, uint64_t call,
                       enum load_txn txn, const char *ruri, size_t ruri_len, const char *to,
                       size_t to_len);

/* The Via branch the client puts on transaction txn of call `call`; its length or -1. */
int load_sip_branch(char *buf, size_t cap, uint32_t tag, uint64_t call, enum load_txn txn);

/*
 * The call number in a Call-ID written by load_sip_invite() with this tag. Returns 0 and sets
 * *call, or -1 when the Call-ID is someone else's (other tag, other shape).
 */
int load_sip_call_of(const char *call_id, size_t len, uint32_t tag, uint64_t *call);

/*
 * A response to the request `req` (parsed into *m): status line `code reason`, every Via line
 * of the request in order, From, Call-ID and CSeq copied, To copied with a tag added when it has
 * none and `to_tag` is set (RFC 3261 8.2.6.2), Contact <sip:bench@contact> when contact is not
 * NULL, an SDP answer when `sdp` is set.
 */
int load_sip_response(char *out, size_t cap, const char *req, const struct sip_msg *m, int code,
                      const char *reason, bool to_tag, const char *contact, bool sdp);

/*
 * Where a UAS sends a response to `req` (RFC 3261 18.2.2): the top Via's received address (else
 * its sent-by host, which must be an IPv4 literal), at the rport value (else the sent-by port,
 * else 5060). Returns 0, or -1 when the top Via gives no IPv4 address.
 */
int load_sip_response_dest(const char *req, const struct sip_msg *m, struct sockaddr_in *dst);

/*
 * The URI of the first Contact header of a message (inside < >, or up to ';' or the end).
 * Returns true and sets *uri, or false when the message has none.
 */
bool load_sip_contact_uri(const char *buf, const struct sip_msg *m, struct sip_str *uri);

/* Parse "a.b.c.d:port" (port required when need_port, else default_port) into *sa. 0 or -1. */
int load_parse_addr(const char *text, bool need_port, uint16_t default_port,
                    struct sockaddr_in *sa);

#endif
