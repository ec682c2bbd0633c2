/* SPDX-License-Identifier: BSD-3-Clause */
/* Constant tables of the parser: character classes, method names, error names and replies. */
#include <string.h>

#include "sip.h"
#include "sip_internal.h"

#define VIS   SIP_CC_VISIBLE
#define TOK   (SIP_CC_TOKEN | SIP_CC_WORD | SIP_CC_PVALUE | VIS)
#define ALPHA (TOK | SIP_CC_HOST)

const uint16_t sip_cc[256] = {
    ['a' ... 'f'] = ALPHA | SIP_CC_HEX,
    ['g' ... 'z'] = ALPHA,
    ['A' ... 'F'] = ALPHA | SIP_CC_HEX,
    ['G' ... 'Z'] = ALPHA,
    ['0' ... '9'] = ALPHA | SIP_CC_HEX | SIP_CC_DIGIT,
    ['-'] = ALPHA,
    ['.'] = ALPHA,
    ['_'] = ALPHA,
    ['!'] = TOK,
    ['%'] = TOK,
    ['*'] = TOK,
    ['+'] = TOK,
    ['`'] = TOK,
    ['\''] = TOK,
    ['~'] = TOK,
    ['('] = SIP_CC_WORD | VIS,
    [')'] = SIP_CC_WORD | VIS,
    ['<'] = SIP_CC_WORD | VIS | SIP_CC_VIA_SEP | SIP_CC_NAME_SEP,
    ['>'] = SIP_CC_WORD | VIS,
    ['\\'] = SIP_CC_WORD | VIS,
    ['"'] = SIP_CC_WORD | VIS | SIP_CC_VIA_SEP | SIP_CC_NAME_SEP,
    ['/'] = SIP_CC_WORD | VIS,
    ['?'] = SIP_CC_WORD | VIS,
    ['{'] = SIP_CC_WORD | VIS,
    ['}'] = SIP_CC_WORD | VIS,
    ['@'] = SIP_CC_WORD | VIS,
    [':'] = SIP_CC_WORD | SIP_CC_PVALUE | VIS,
    ['['] = SIP_CC_WORD | SIP_CC_PVALUE | VIS,
    [']'] = SIP_CC_WORD | SIP_CC_PVALUE | VIS,
    [','] = VIS | SIP_CC_VIA_SEP,
    [';'] = VIS | SIP_CC_NAME_SEP,
    ['#'] = VIS,
    ['$'] = VIS,
    ['&'] = VIS,
    ['='] = VIS,
    ['^'] = VIS,
    ['|'] = VIS,
    [' '] = SIP_CC_LWS,
    ['\t'] = SIP_CC_LWS,
    ['\r'] = SIP_CC_LWS,
    ['\n'] = SIP_CC_LWS,
};

static const char *const method_names[SIP_METHOD_COUNT] = {[SIP_METHOD_OTHER] = "",
#define SIP_METHOD_NAME(name) [SIP_METHOD_##name] = #name,
                                                           SIP_METHODS(SIP_METHOD_NAME)
#undef SIP_METHOD_NAME
};

const char *sip_method_name(enum sip_method m)
{
	if ((unsigned)m >= SIP_METHOD_COUNT)
		return "";
	return method_names[m];
}

enum sip_method sip_method_lookup(const char *s, size_t n)
{
	return sip_method_match(s, n);
}

static const char *const err_names[SIP_ERR_COUNT] = {
    [SIP_OK] = "ok",
    [SIP_ERR_INCOMPLETE] = "incomplete",
    [SIP_ERR_EMPTY] = "empty",
    [SIP_ERR_START_LINE] = "start_line",
    [SIP_ERR_METHOD] = "method",
    [SIP_ERR_REQUEST_URI] = "request_uri",
    [SIP_ERR_VERSION] = "version",
    [SIP_ERR_STATUS_CODE] = "status_code",
    [SIP_ERR_HEADER_LINE] = "header_line",
    [SIP_ERR_NO_CALL_ID] = "no_call_id",
    [SIP_ERR_DUP_CALL_ID] = "dup_call_id",
    [SIP_ERR_BAD_CALL_ID] = "bad_call_id",
    [SIP_ERR_NO_FROM] = "no_from",
    [SIP_ERR_DUP_FROM] = "dup_from",
    [SIP_ERR_NO_TO] = "no_to",
    [SIP_ERR_DUP_TO] = "dup_to",
    [SIP_ERR_NO_CSEQ] = "no_cseq",
    [SIP_ERR_DUP_CSEQ] = "dup_cseq",
    [SIP_ERR_BAD_CSEQ] = "bad_cseq",
    [SIP_ERR_CSEQ_RANGE] = "cseq_range",
    [SIP_ERR_CSEQ_METHOD] = "cseq_method",
    [SIP_ERR_NO_VIA] = "no_via",
    [SIP_ERR_BAD_VIA] = "bad_via",
    [SIP_ERR_BAD_MAX_FORWARDS] = "bad_max_forwards",
    [SIP_ERR_DUP_MAX_FORWARDS] = "dup_max_forwards",
    [SIP_ERR_TOO_MANY_HOPS] = "too_many_hops",
    [SIP_ERR_BAD_CONTENT_LENGTH] = "bad_content_length",
    [SIP_ERR_DUP_CONTENT_LENGTH] = "dup_content_length",
    [SIP_ERR_CONTENT_LENGTH_BEYOND] = "content_length_beyond",
    [SIP_ERR_RELAY_TARGET] = "relay_target",
    [SIP_ERR_BAD_FROM] = "bad_from",
    [SIP_ERR_BAD_TO] = "bad_to",
    [SIP_ERR_TOO_LONG] = "too_long",
};

static const char *const err_texts[SIP_ERR_COUNT] = {[SIP_OK] = "no error",
#define SIP_ERR_TEXT(name, reply, text) [SIP_ERR_##name] = text,
                                                     SIP_ERRORS(SIP_ERR_TEXT)
#undef SIP_ERR_TEXT
};

static const short err_replies[SIP_ERR_COUNT] = {[SIP_OK] = 0,
#define SIP_ERR_REPLY(name, reply, text) [SIP_ERR_##name] = reply,
                                                 SIP_ERRORS(SIP_ERR_REPLY)
#undef SIP_ERR_REPLY
};

const char *sip_err_name(enum sip_err e)
{
	if ((unsigned)e >= SIP_ERR_COUNT)
		return "unknown";
	return err_names[e];
}

const char *sip_err_text(enum sip_err e)
{
	if ((unsigned)e >= SIP_ERR_COUNT)
		return "unknown error";
	return err_texts[e];
}

int sip_err_reply(enum sip_err e)
{
	if ((unsigned)e >= SIP_ERR_COUNT)
		return 0;
	return err_replies[e];
}
