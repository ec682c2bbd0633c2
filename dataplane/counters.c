/* SPDX-License-Identifier: BSD-3-Clause */
/* Names and descriptions of drop reasons and reply codes. */
#include <ctype.h>
#include <stdio.h>

#include "counters.h"

static const char *const local_names[] = {
#define DP_DROP_NAME(name, text) #name,
    DP_DROPS(DP_DROP_NAME)
#undef DP_DROP_NAME
};

static const char *const local_texts[] = {
#define DP_DROP_TEXT(name, text) text,
    DP_DROPS(DP_DROP_TEXT)
#undef DP_DROP_TEXT
};

static const char *const proxy_names[] = {
#define DP_PROXY_NAME(name, text) #name,
    DP_SIP_ERRORS(DP_PROXY_NAME)
#undef DP_PROXY_NAME
};

static const char *const proxy_texts[] = {
#define DP_PROXY_TEXT(name, text) text,
    DP_SIP_ERRORS(DP_PROXY_TEXT)
#undef DP_PROXY_TEXT
};

static const char *const sip_names[] = {
#define DP_SIP_NAME(name, reply, text) #name,
    SIP_ERRORS(DP_SIP_NAME)
#undef DP_SIP_NAME
};

static const char *const sip_texts[] = {
#define DP_SIP_TEXT(name, reply, text) text,
    SIP_ERRORS(DP_SIP_TEXT)
#undef DP_SIP_TEXT
};

#define DP_DROP_NAME_MAX 48

static char names[DP_DROP_COUNT][DP_DROP_NAME_MAX];

static void set_name(enum dp_drop d, const char *prefix, const char *upper)
{
	char *out = names[d];
	size_t i = 0;

	for (; *prefix && i + 1 < DP_DROP_NAME_MAX; prefix++)
		out[i++] = *prefix;
	for (; *upper && i + 1 < DP_DROP_NAME_MAX; upper++)
		out[i++] = (char)tolower((unsigned char)*upper);
	out[i] = '\0';
}

void dp_drop_names_init(void)
{
	for (int d = 0; d < DP_DROP_SIP_BASE; d++)
		set_name((enum dp_drop)d, "", local_names[d]);
	for (int e = 1; e < SIP_ERR_COUNT; e++)
		set_name(dp_drop_sip((enum sip_err)e), "sip_", sip_names[e - 1]);
	for (int e = 1; e < DP_SIP_ERR_COUNT; e++)
		set_name(dp_drop_proxy((enum dp_sip_err)e), "proxy_", proxy_names[e - 1]);
}

const char *dp_drop_name(enum dp_drop d)
{
	if ((int)d < 0 || d >= DP_DROP_COUNT)
		return "unknown";
	if (names[d][0] == '\0')
		dp_drop_names_init();
	return names[d];
}

const char *dp_drop_text(enum dp_drop d)
{
	if ((int)d < 0 || d >= DP_DROP_COUNT)
		return "unknown reason";
	if (d < DP_DROP_SIP_BASE)
		return local_texts[d];
	if (d < DP_DROP_PROXY_BASE)
		return sip_texts[d - DP_DROP_SIP_BASE];
	return proxy_texts[d - DP_DROP_PROXY_BASE];
}

static const int reply_codes[] = {
#define DP_REPLY_VALUE(code) code,
    DP_REPLY_CODES(DP_REPLY_VALUE)
#undef DP_REPLY_VALUE
};

static const char *const reply_names[] = {
#define DP_REPLY_TEXT(code) #code,
    DP_REPLY_CODES(DP_REPLY_TEXT)
#undef DP_REPLY_TEXT
        "other",
};

enum dp_reply dp_reply_slot(int code)
{
	for (int r = 0; r < DP_REPLY_OTHER; r++)
		if (reply_codes[r] == code)
			return (enum dp_reply)r;
	return DP_REPLY_OTHER;
}

const char *dp_reply_name(enum dp_reply r)
{
	if ((int)r < 0 || r >= DP_REPLY_COUNT)
		return "other";
	return reply_names[r];
}
