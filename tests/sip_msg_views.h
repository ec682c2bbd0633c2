/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every view a parsed struct sip_msg holds, so that tests and the fuzzer check the same list
 * against the buffer (a field added to struct sip_msg is added here once).
 */
#ifndef SIPSTEER_TESTS_SIP_MSG_VIEWS_H
#define SIPSTEER_TESTS_SIP_MSG_VIEWS_H

#include <stddef.h>

#include "sip.h"

#define SIP_MSG_VIEWS_MAX (32 + SIP_MAX_VIAS)

/* Fill out (SIP_MSG_VIEWS_MAX entries) with m's views; returns how many. */
static inline size_t sip_msg_views(const struct sip_msg *m, struct sip_str *out)
{
	const struct sip_str fixed[] = {
	    m->method_name,
	    m->request_uri,
	    m->reason,
	    m->start_line,
	    m->call_id,
	    m->top_via.value,
	    m->top_via.protocol,
	    m->top_via.transport_name,
	    m->top_via.host,
	    m->top_via.branch,
	    m->top_via.received,
	    m->top_via.params,
	    m->top_via_line,
	    m->max_forwards_value,
	    m->cseq_method_name,
	    m->cseq_value,
	    m->from,
	    m->from_tag,
	    m->to,
	    m->to_tag,
	    m->to_uri,
	    m->route,
	    m->route_line,
	    m->body,
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		out[n++] = fixed[i];
	for (size_t i = 0; i < m->via_count && i < SIP_MAX_VIAS; i++)
		out[n++] = m->vias[i];
	return n;
}

#endif
