/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path of the parser, included by sip_parse_core.h (once per scanner build) after the
 * general parser's pieces it reuses. sip_parse() runs parse_fast() first, sip_via_parse() runs
 * via_parse_fast() first.
 *
 * Bail-out rule. The general parser (parse_general() and via_parse_general()) is the reference.
 * The fast path reads the shapes almost every message has, in one forward pass, and gives up
 * the moment it meets anything else: it returns SIP_FAST_BAIL (via_parse_fast(): false) and the
 * caller runs the general parser from a freshly zeroed struct. So for every input the result is
 * either the general parser's, byte for byte (the fast path starts from the same zeroing and
 * writes the same fields with the same values, padding untouched), or the fast path was not
 * used. It gives up on: keep-alive CRLFs before the start line; a start line other than
 * "METHOD SP sip:uri SP SIP/2.0" (Request-URI of bytes 0x21-0x7e without '?') or
 * "SIP/2.0 SP NNN [SP reason]"; a line not ending in CRLF; a folded line; a header block not
 * closed by an empty line; and any error at all (the general parser then finds it and reports
 * it in its own order).
 *
 * Lines are walked with one 32-byte load at each line start (AVX2) that gives both the line end
 * and the first ':', so the name is matched by its length and one or two word compares. A header
 * the balancer reads, spelt in full, followed by ": " and a value without LWS at either end goes
 * to its fast handler (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length), which either
 * does what the general handler does or leaves everything as it was and answers false; any
 * other "token:" line is a header the balancer skips. Whatever a fast handler or the name
 * matching does not take (compact forms, Route, Record-Route, "Name :", a repeated header,
 * quoted display names, LWS inside values, ...) goes through the general header() for that line,
 * the very call the general line loop makes, so it is read exactly as there.
 */
#ifndef SIP_PARSE_CORE_BODY
#error "sip_parse_fast.h is part of sip_parse_core.h"
#endif

/* parse_fast(): the message is not of the common shape, run the general parser. */
#define SIP_FAST_BAIL INT_MIN

/* The 8 bytes at p as a word (in memory order on little-endian machines). */
static inline SIP_TARGET uint64_t word_at(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/*
 * First byte of buf[p..end) outside cls, or end, for the short runs inside one header line:
 * with AVX2, 32-byte loads from p while they stay inside buf[0..limit) (limit >= end), and no
 * tail handling; otherwise sip_skip_cls().
 */
static inline __attribute__((always_inline)) SIP_TARGET size_t
fast_skip_cls(const char *buf, size_t p, size_t end, size_t limit, const struct sip_class *cls)
{
#if defined(SIP_VARIANT_AVX2)
	for (; p + 32 <= limit && p < end; p += 32) {
		uint32_t stop = ~sip_class_mask32(buf + p, cls->lo);
		if (stop) {
			size_t r = p + (size_t)__builtin_ctz(stop);
			return r < end ? r : end;
		}
	}
	if (p >= end)
		return end;
#else
	(void)limit;
#endif
	return sip_skip_cls(buf, p, end, cls);
}

/* First byte of buf[p..end) inside cls, or end; as fast_skip_cls(). */
static inline __attribute__((always_inline)) SIP_TARGET size_t
fast_find_cls(const char *buf, size_t p, size_t end, size_t limit, const struct sip_class *cls)
{
#if defined(SIP_VARIANT_AVX2)
	for (; p + 32 <= limit && p < end; p += 32) {
		uint32_t hit = sip_class_mask32(buf + p, cls->lo);
		if (hit) {
			size_t r = p + (size_t)__builtin_ctz(hit);
			return r < end ? r : end;
		}
	}
	if (p >= end)
		return end;
#else
	(void)limit;
#endif
	return sip_find_cls(buf, p, end, cls);
}

/* First c in buf[p..end), or end; as fast_skip_cls(). */
static inline __attribute__((always_inline)) SIP_TARGET size_t fast_find_byte(const char *buf,
                                                                              size_t p, size_t end,
                                                                              size_t limit, char c)
{
#if defined(SIP_VARIANT_AVX2)
	for (; p + 32 <= limit && p < end; p += 32) {
		uint32_t hit = sip_byte_mask32(buf + p, c);
		if (hit) {
			size_t r = p + (size_t)__builtin_ctz(hit);
			return r < end ? r : end;
		}
	}
	if (p >= end)
		return end;
#else
	(void)limit;
#endif
	return sip_find_byte(buf, p, end, c);
}

/*
 * The run of decimal digits at buf[p..], up to 8 of them, from one 8-byte word (8 bytes must be
 * readable at p): returns the run's length n (8: the run may go on) and its value in *value
 * (n 0: 0). Little-endian only: the callers fall back to a loop elsewhere.
 *
 * Each byte minus '0' is a digit's value when it is at most 9; a byte below '0' borrows from
 * the next one up and a byte from 0x8a up carries into it, but both are past the first
 * non-digit, so the run and its digits are exact. The digits, moved to the word's top (the
 * last digit in the top byte), are folded in pairs, fours and eights by multiplications.
 */
static inline __attribute__((always_inline)) SIP_TARGET size_t dec_run8(const char *buf, size_t p,
                                                                        uint32_t *value)
{
	uint64_t w, x, bad;
	size_t n;

	memcpy(&w, buf + p, 8);
	x = w - 0x3030303030303030ull;
	bad = (x | (x + 0x7676767676767676ull)) & 0x8080808080808080ull;
	n = bad ? (size_t)__builtin_ctzll(bad) >> 3 : 8;
	if (n == 0) {
		*value = 0;
		return 0;
	}
	x <<= 8 * (8 - n);
	x = (x * (1 + (10 << 8)) >> 8) & 0x00ff00ff00ff00ffull;
	x = (x * (1 + (100 << 16)) >> 16) & 0x0000ffff0000ffffull;
	*value = (uint32_t)((x * (1 + (10000ull << 32))) >> 32);
	return n;
}

/*
 * buf[s..e) is 1 to 9 decimal digits (so the value fits in 32 bits): *value, true. buf[e] and
 * buf[e + 1] are readable (the line's CRLF), so the first three bytes are read before the
 * length decides how many of them count: the usual 1 to 3 digits without a loop.
 */
static inline SIP_TARGET bool digits_fast(const char *buf, size_t s, size_t e, uint32_t *value)
{
	size_t n = e - s;
	unsigned d0, d1, d2;
	uint32_t v;

	if (n - 1 > 8)
		return false;
	d0 = (unsigned char)buf[s] - (unsigned)'0';
	d1 = (unsigned char)buf[s + 1] - (unsigned)'0';
	d2 = (unsigned char)buf[s + 2] - (unsigned)'0';
	if (d0 > 9)
		return false;
	v = d0;
	if (n >= 2) {
		if (d1 > 9)
			return false;
		v = v * 10 + d1;
		if (n >= 3) {
			if (d2 > 9)
				return false;
			v = v * 10 + d2;
			for (size_t i = s + 3; i < e; i++) {
				unsigned d = (unsigned char)buf[i] - (unsigned)'0';
				if (d > 9)
					return false;
				v = v * 10 + d;
			}
		}
	}
	*value = v;
	return true;
}

/*
 * ipv4_run() for a host at buf[p..] with 16 bytes readable (a dotted quad and the byte after
 * it), without the bounds checks: the same answer where that is at or before end (the caller
 * checks), except that it looks at the byte after the quad even at end, where ipv4_run() does
 * not, and at every byte of the 16 (so it may give up where ipv4_run() would not: the general
 * path then decides).
 */
static inline __attribute__((always_inline)) SIP_TARGET size_t ipv4_run16(const char *buf, size_t p)
{
#if defined(SIP_VARIANT_AVX2) || defined(SIP_VARIANT_SSE42)
	/*
	 * One 16-byte load: bit masks of the digits and the dots. The quad is the run of digits
	 * and dots at p (length n, ended by some other byte within the 16), and it is one exactly
	 * when: it starts and ends with a digit, holds three dots, no two of them side by side,
	 * and no four digits in a row (so each part has 1 to 3 digits). A part of three digits
	 * (starts3: a digit followed by two more) is above 255 when its first digit is above 2,
	 * or is 2 and the second is above 5, or is 25 and the third is above 5.
	 */
	static const char marks[6][16] __attribute__((aligned(16))) = {
	    {SIP_SPLAT16('0')}, {SIP_SPLAT16(9)},   {SIP_SPLAT16('.')},
	    {SIP_SPLAT16('2')}, {SIP_SPLAT16('5')}, {SIP_SPLAT16('1')}};
#if defined(SIP_VARIANT_AVX2)
	/*
	 * QUAD_OP(f, insn, x, row): f(x, marks[row]), with marks[row] read as the memory operand
	 * of one VEX instruction (inline assembly, as line_scan() does): the compiler would
	 * otherwise build each constant in three instructions, or, with the table's address
	 * hidden from it, keep that address in a register, which the top Via's parse has none
	 * spare for (it spills).
	 */
#define QUAD_OP(f, insn, x, row)                                                                   \
	({                                                                                         \
		__m128i r_;                                                                        \
		__asm__(insn " %1, %2, %0" : "=x"(r_) : "m"(marks[row]), "x"(x));                  \
		r_;                                                                                \
	})
#else
	const char(*k)[16] = marks;
	/* opaque to the compiler, which would otherwise build each constant in three
	 * instructions rather than read it as an operand */
	__asm__("" : "+r"(k));
#define QUAD_OP(f, insn, x, row) f(x, _mm_load_si128((const __m128i *)(const void *)k[row]))
#endif
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(buf + p));
	/* a digit is a byte whose distance from '0' is at most 9 */
	__m128i off = QUAD_OP(_mm_sub_epi8, "vpsubb", v, 0);
	uint32_t digit = (uint32_t)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(QUAD_OP(_mm_min_epu8, "vpminub", off, 1), off));
	uint32_t dot = (uint32_t)_mm_movemask_epi8(QUAD_OP(_mm_cmpeq_epi8, "vpcmpeqb", v, 2));
	uint32_t n = (uint32_t)__builtin_ctz(~(digit | dot));
	if (n >= 16 || !(digit & 1))
		return 0;
	uint32_t in = (1u << n) - 1, d = digit & in, t = dot & in, t2 = t & (t - 1);
	t2 &= t2 - 1;
	if (!(d >> (n - 1) & 1) || t2 == 0 || (t2 & (t2 - 1)) != 0 || (t & t >> 1) != 0 ||
	    (d & d >> 1 & d >> 2 & d >> 3) != 0)
		return 0;
	uint32_t starts3 = d & d >> 1 & d >> 2;
	/*
	 * A three-digit part that starts with 0 or 1 is at most 199: one compare (digits above
	 * '1'; signed compares: only digits are looked at) settles the usual quads (10.x, 172.x,
	 * 192.x) before the four that judge a part starting with 2 or more.
	 */
	if (starts3 & (uint32_t)_mm_movemask_epi8(QUAD_OP(_mm_cmpgt_epi8, "vpcmpgtb", v, 5))) {
		uint32_t above2 =
		    (uint32_t)_mm_movemask_epi8(QUAD_OP(_mm_cmpgt_epi8, "vpcmpgtb", v, 3));
		uint32_t is2 =
		    (uint32_t)_mm_movemask_epi8(QUAD_OP(_mm_cmpeq_epi8, "vpcmpeqb", v, 3));
		uint32_t above5 =
		    (uint32_t)_mm_movemask_epi8(QUAD_OP(_mm_cmpgt_epi8, "vpcmpgtb", v, 4));
		uint32_t is5 =
		    (uint32_t)_mm_movemask_epi8(QUAD_OP(_mm_cmpeq_epi8, "vpcmpeqb", v, 4));
		if (starts3 & (above2 | (is2 & (above5 >> 1 | (is5 >> 1 & above5 >> 2)))))
			return 0;
	}
#undef QUAD_OP
	p += n;
#else
	const unsigned char *u = (const unsigned char *)buf;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (u[p] != '.')
				return 0;
			p++;
		}
		unsigned v = u[p] - (unsigned)'0', d;
		if (v > 9)
			return 0;
		p++;
		if ((d = u[p] - (unsigned)'0') <= 9) {
			v = v * 10 + d;
			p++;
			if ((d = u[p] - (unsigned)'0') <= 9) {
				v = v * 10 + d;
				p++;
			}
		}
		if (v > 255)
			return 0;
	}
#endif
	return sip_cc_is(buf[p], SIP_CC_HOST) ? 0 : p;
}

/*
 * c is SP, HTAB or another byte up to SP. In the fast path's checks it stands for LWS: a byte
 * that sip_cc_is(c, SIP_CC_LWS) would let through but this catches (a control byte) only sends
 * the value the general way, and one compare does where the class table takes two.
 */
static inline SIP_TARGET bool sp_or_ctl(char c)
{
	return (unsigned char)c <= ' ';
}

/*
 * The common Via value: "SIP/2.0/UDP" SP host [ ":" port ] *( ";" name [ "=" value ] ), host
 * an IPv4 literal or a name that starts with a letter, no LWS anywhere but the one SP, no quoted
 * value. Fills *via as via_parse_general() does and returns true, or returns false (*via then
 * holds anything: the general parser zeroes it again). Reads buf[value.off..limit) only, limit
 * at or after the value's end.
 * With AVX2 inlined into both callers: there a call from the line loop costs more than the
 * copy (in the other builds it does not pay). zeroed: *via is all zero already (the top Via as
 * parse_init() left it), so no memset.
 */
#if defined(SIP_VARIANT_AVX2)
static inline __attribute__((always_inline)) SIP_TARGET bool
#else
SIP_FN bool
#endif
via_parse_fast(const char *buf, struct sip_str value, size_t limit, struct sip_via *via,
               bool zeroed)
{
	size_t s = value.off, end = (size_t)value.off + value.len, p;

	if (end - s <= 12 || !SIP_IEQ(buf + s, "sip/2.0/udp "))
		return false;
	if (!zeroed)
		memset(via, 0, sizeof(*via));
	via->value = value;
	via->protocol = view(s, s + 11);
	via->transport_name = view(s + 8, s + 11);
	via->transport = SIP_TRANSPORT_UDP;

	/* sent-by host: what host_parse() returns first for these shapes */
	p = s + 12;
	size_t host_end = p + 16 <= limit ? ipv4_run16(buf, p) : ipv4_run(buf, p, end);
	if (host_end > end)
		return false;
	if (host_end != 0) {
		via->host_kind = SIP_HOST_IPV4;
	} else {
		unsigned char c = (unsigned char)(buf[p] | 0x20);
		if (c < 'a' || c > 'z')
			return false;
		host_end = fast_skip_cls(buf, p, end, limit, &sip_class_host);
		via->host_kind = SIP_HOST_NAME;
	}
	via->host = view(p, host_end);
	p = host_end;
	if (p < end && buf[p] == ':') {
		uint32_t port = 0;
		unsigned d;
		size_t start = ++p;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		size_t n;
		if (p + 8 <= limit && (n = dec_run8(buf, p, &port)) < 8) {
			/* at most 7 digits: the loop below would stop at the same byte, or give up
			 * past 65535 */
			p += n;
			if (p > end || port > 65535)
				return false;
		} else
#endif
			while (p < end && (d = (unsigned char)buf[p] - (unsigned)'0') <= 9) {
				port = port * 10 + d;
				if (port > 65535)
					return false;
				p++;
			}
		if (p == start || port == 0)
			return false;
		via->port = (uint16_t)port;
	}

	/* *( SEMI via-params ), each name a token run, each value a pvalue run */
	if (p < end)
		via->params = view(p, end);
	while (p < end) {
		if (buf[p] != ';')
			return false;
		if (end - p > 8 && SIP_IEQ(buf + p, ";branch=") && buf[p + 8] != '"' &&
		    !sp_or_ctl(buf[p + 8])) {
			/* the usual ";branch=value": via_param() for it, without the name scan */
			size_t val = p + 8;
			p = fast_skip_cls(buf, val, end, limit, &sip_class_pvalue);
			if (p < end && buf[p] != ';')
				return false;
			if (!via->has_branch) {
				via->has_branch = true;
				via->branch = view(val, p);
			}
			continue;
		}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		if (end - p > 7 && p + 15 <= limit && SIP_IEQ(buf + p, ";rport=")) {
			/* the ";rport=N" sipsteer's own Via brings back on every response: 1 to 5
			 * digits up to 65535 and not 0, ended by ';' or the value's end, are the
			 * whole pvalue run and what port_parse() takes in via_param(); anything
			 * else goes the general way below */
			uint32_t rport;
			size_t n = dec_run8(buf, p + 7, &rport), q = p + 7 + n;
			if (n - 1 < 5 && rport - 1 < 65535 &&
			    (q == end || (q < end && buf[q] == ';'))) {
				if (!via->has_rport) {
					via->has_rport = true;
					via->rport = (uint16_t)rport;
				}
				p = q;
				continue;
			}
		}
#endif
		size_t name = p + 1,
		       name_end = fast_skip_cls(buf, name, end, limit, &sip_class_token);
		size_t val = name_end, val_end = name_end;
		bool has_value = false;
		if (name_end == name)
			return false;
		p = name_end;
		if (p < end && buf[p] == '=') {
			has_value = true;
			val = p + 1;
			if (val < end && (buf[val] == '"' || sip_cc_is(buf[val], SIP_CC_LWS)))
				return false;
			p = val_end = fast_skip_cls(buf, val, end, limit, &sip_class_pvalue);
		}
		if (p < end && buf[p] != ';')
			return false;
		if (!via_param(buf, via, name, name_end - name, has_value, val, val_end))
			return false;
	}
	return true;
}

/* buf[s..e) holds only visible bytes (0x21-0x7e) and no '?'. */
static inline __attribute__((always_inline)) SIP_TARGET bool uri_plain(const char *buf, size_t s,
                                                                       size_t e, size_t limit)
{
#if defined(SIP_VARIANT_AVX2)
	if (e - s <= 32 && s + 32 <= limit) {
		/*
		 * SP, '~' and '?', each in 32 bytes, read as the memory operands of the compares
		 * (inline assembly, as line_scan() does): the compiler would otherwise build each
		 * constant in three instructions, or keep the table's address in a register.
		 */
		static const char marks[3][32] __attribute__((aligned(32))) = {
		    {SIP_SPLAT32(' ')}, {SIP_SPLAT32('~')}, {SIP_SPLAT32('?')}};
#define URI_OP(insn, x, row)                                                                       \
	({                                                                                         \
		__m256i r_;                                                                        \
		__asm__(insn " %1, %2, %0" : "=x"(r_) : "m"(marks[row]), "x"(x));                  \
		r_;                                                                                \
	})
		/* signed compares: bytes from 0x80 up are below SP; a byte is visible when it
		 * is above SP and not above '~' (DEL) */
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(buf + s));
		__m256i bad = _mm256_or_si256(URI_OP("vpcmpgtb", v, 1), URI_OP("vpcmpeqb", v, 2));
		uint32_t ok = (uint32_t)_mm256_movemask_epi8(
		    _mm256_andnot_si256(bad, URI_OP("vpcmpgtb", v, 0)));
#undef URI_OP
		uint32_t want = e - s == 32 ? ~0u : (1u << (e - s)) - 1;
		return (ok & want) == want;
	}
#else
	(void)limit;
#endif
	return sip_skip_cls(buf, s, e, &sip_class_visible) == e &&
	       sip_find_byte(buf, s, e, '?') == e;
}

/* The little-endian word of the first (up to 8) bytes of a literal, the rest zero. */
#define lit_word(lit) SIP_LIT_WORD(SIP_LIT_BYTE, lit, 0)

/*
 * Start line of the usual shapes: "METHOD SP sip:uri SP SIP/2.0" with a Request-URI of visible
 * bytes and no '?', or "SIP/2.0 SP 3DIGIT [SP reason]" with a code of 100-699. buf[e] is the
 * line's CR. Fills what start_line() fills and returns true, or returns false.
 */
SIP_FN bool start_line_fast(struct parse_state *st, size_t e)
{
	const char *buf = st->buf;
	struct sip_msg *msg = st->msg;

	if (e < 11)
		return false;
	if (SIP_IEQ(buf, "sip/2.0 ")) {
		unsigned d0 = (unsigned char)buf[8] - (unsigned)'0';
		unsigned d1 = (unsigned char)buf[9] - (unsigned)'0';
		unsigned d2 = (unsigned char)buf[10] - (unsigned)'0';
		if (d0 - 1 > 5 || d1 > 9 || d2 > 9 || (e > 11 && buf[11] != ' '))
			return false;
		msg->status_code = (uint16_t)(d0 * 100 + d1 * 10 + d2);
		msg->reason = e > 11 ? view(12, e) : view(e, e);
		msg->start_line = view(0, e);
		return true;
	}
	if (e < 14 || !SIP_IEQ(buf + e - 8, " sip/2.0"))
		return false;
	/* INVITE, ACK and BYE with their SP (methods are case-sensitive), each by one compare of
	 * the line's first word (little-endian): what the token scan and sip_method_match()
	 * below would find */
	size_t sp;
	enum sip_method method;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w = word_at(buf);
	if ((w & 0x00ffffffffffffffull) == lit_word("INVITE ")) {
		sp = 6;
		method = SIP_METHOD_INVITE;
	} else if ((uint32_t)w == (uint32_t)lit_word("ACK ")) {
		sp = 3;
		method = SIP_METHOD_ACK;
	} else if ((uint32_t)w == (uint32_t)lit_word("BYE ")) {
		sp = 3;
		method = SIP_METHOD_BYE;
	} else
#endif
	{
		sp = fast_skip_cls(buf, 0, e, st->len, &sip_class_token);
		/* the method and its SP (the three words above hold both) */
		if (sp == 0 || buf[sp] != ' ')
			return false;
		method = SIP_METHOD_OTHER; /* looked up below, once the line is known good */
	}
	size_t us = sp + 1, ue = e - 8;
	if (us + 4 > ue || !SIP_IEQ(buf + us, "sip:") || !uri_plain(buf, us, ue, st->len))
		return false;
	if (method == SIP_METHOD_OTHER)
		method = sip_method_match(buf, sp);
	msg->is_request = true;
	msg->method_name = view(0, sp);
	msg->method = method;
	msg->request_uri = view(us, ue);
	msg->start_line = view(0, e);
	return true;
}

/*
 * The value handlers of the fast path. Each gets a value buf[vs..ve) with no LWS at either end
 * (ve is the line's CR) and either does what the general handler of that header does, with the
 * same result, and returns true, or returns false with st as it was, for header() to do. A
 * repeated header always goes to header(), as does any value it would find fault with.
 */

/* The top Via, through via_parse_fast(). */
SIP_FN bool top_via_fast(struct parse_state *st, size_t line, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;

	/* via_parse_fast() took every byte as protocol, host, port or param: no separator. The
	 * top Via is still as parse_init() left it (it is written with the first via_count only,
	 * and zeroed again below when the fast path gives up). */
	if (!via_parse_fast(st->buf, view(vs, ve), st->len, &msg->top_via, true)) {
		memset(&msg->top_via, 0, sizeof(msg->top_via));
		return false;
	}
	/*
	 * A line folded on the next one: parse_fast() gives up once it sees the fold, after this
	 * line, and the general parser may then stop before it reads the Via (a message cut off
	 * in the fold), so nothing may be written to msg->vias[], which parse_init() does not
	 * zero again (every other field it does). buf[ve + 2] is readable: parse_fast() checked.
	 */
	if (is_wsp(st->buf[ve + 2]))
		return true;
	msg->top_via_line = view(line, ve + 2);
	msg->vias[0] = view(vs, ve);
	msg->via_count = 1;
	return true;
}

/* Via: the top one through top_via_fast(), the others need only hold no list separator. */
static inline __attribute__((always_inline)) SIP_TARGET bool
via_fast(struct parse_state *st, size_t line, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;
	uint16_t i = msg->via_count;

	if (i == 0)
		return top_via_fast(st, line, vs, ve);
	if (i >= SIP_MAX_VIAS || fast_find_cls(st->buf, vs, ve, st->len, &sip_class_via_sep) != ve)
		return false;
	if (is_wsp(st->buf[ve + 2]))
		return true; /* a fold: see top_via_fast() */
	msg->vias[i] = view(vs, ve);
	msg->via_count = (uint16_t)(i + 1);
	return true;
}

/*
 * name_addr() for "[display-name] <uri>[;params]" without quotes and "uri[;params]", no LWS
 * next to '<', '>' or the first ';'; returns false for name_addr() to do.
 */
static inline __attribute__((always_inline)) SIP_TARGET bool
name_addr_fast(const char *buf, size_t vs, size_t ve, size_t limit, struct sip_str *uri,
               struct sip_str *tag)
{
	size_t p = fast_find_cls(buf, vs, ve, limit, &sip_class_name_sep), params;

	if (p == ve) {
		*uri = view(vs, ve);
		*tag = view(ve, ve);
		return true;
	}
	if (buf[p] == '<') {
		size_t gt = fast_find_byte(buf, p + 1, ve, limit, '>');
		if (gt == ve || sp_or_ctl(buf[p + 1]) || sp_or_ctl(buf[gt - 1]))
			return false;
		*uri = view(p + 1, gt);
		params = gt + 1;
	} else if (buf[p] == ';' && !sp_or_ctl(buf[p - 1])) {
		*uri = view(vs, p);
		params = p;
	} else {
		return false;
	}
	/* find_tag(), its first step for the usual ";tag=value" done here */
	if (params == ve)
		*tag = view(ve, ve);
	else if (ve - params > 5 && SIP_IEQ(buf + params, ";tag=") && !sp_or_ctl(buf[params + 5]) &&
	         buf[params + 5] != '"')
		*tag =
		    view(params + 5, fast_skip_cls(buf, params + 5, ve, limit, &sip_class_pvalue));
	else
		*tag = find_tag(buf, params, ve);
	return true;
}

/*
 * From or To, once per message: the value in *value, its tag in *tag, its URI in *uri when
 * wanted (To only). Inlined: as a call it cost about 150 instructions per message in spills.
 */
static inline __attribute__((always_inline)) SIP_TARGET bool
from_to_fast(struct parse_state *st, size_t vs, size_t ve, bool *seen, struct sip_str *value,
             struct sip_str *uri, struct sip_str *tag)
{
	struct sip_str u, t;

	if (*seen || !name_addr_fast(st->buf, vs, ve, st->len, &u, &t))
		return false;
	*seen = true;
	*value = view(vs, ve);
	if (uri != NULL)
		*uri = u;
	*tag = t;
	return true;
}

SIP_FN bool call_id_fast(struct parse_state *st, size_t vs, size_t ve)
{
	if (st->has_call_id || fast_skip_cls(st->buf, vs, ve, st->len, &sip_class_word) != ve)
		return false;
	st->has_call_id = true;
	st->msg->call_id = view(vs, ve);
	return true;
}

/* buf[a..a+n) equals buf[b..b+n): one masked word compare for up to 8 bytes when 8 are readable
 * at both. */
static inline SIP_TARGET bool same_bytes(const char *buf, size_t a, size_t b, size_t n,
                                         size_t limit)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (n <= 8 && a + 8 <= limit && b + 8 <= limit) {
		uint64_t x, y, mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
		memcpy(&x, buf + a, 8);
		memcpy(&y, buf + b, 8);
		return ((x ^ y) & mask) == 0;
	}
#else
	(void)limit;
#endif
	return memcmp(buf + a, buf + b, n) == 0;
}

/*
 * CSeq "N METHOD", one SP: in a request the method must be the request's own (the same bytes),
 * in a response one sip_method_lookup() knows (so a token).
 */
SIP_FN bool cseq_fast(struct parse_state *st, size_t vs, size_t ve)
{
	const char *buf = st->buf;
	struct sip_msg *msg = st->msg;
	size_t de = vs, ms;
	uint32_t number = 0;
	unsigned d;
	enum sip_method method;

	/* the usual single digit and its SP by two byte compares (buf[vs + 1] is readable: at
	 * worst the CR), else 1 to 9 digits: the number fits in 32 bits */
	if ((d = (unsigned char)buf[vs] - (unsigned)'0') <= 9 && buf[vs + 1] == ' ') {
		number = d;
		de = vs + 1;
	} else {
		while (de < ve && (d = (unsigned char)buf[de] - (unsigned)'0') <= 9 &&
		       de - vs < 9) {
			number = number * 10 + d;
			de++;
		}
	}
	ms = de + 1;
	if (st->has_cseq || de == vs || de == ve || buf[de] != ' ' || ms == ve)
		return false;
	if (msg->is_request) {
		struct sip_str m = msg->method_name;
		if (ve - ms != m.len || !same_bytes(buf, ms, m.off, m.len, st->len))
			return false;
		method = msg->method;
	} else {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* INVITE, the method of most responses, by one word compare (8 bytes are readable
		 * at ms: its CRLF follows): what sip_method_match() finds */
		if (ve - ms == 6 &&
		    (word_at(buf + ms) & 0x0000ffffffffffffull) == lit_word("INVITE"))
			method = SIP_METHOD_INVITE;
		else
#endif
			method = sip_method_match(buf + ms, ve - ms);
		if (method == SIP_METHOD_OTHER)
			return false;
	}
	st->has_cseq = true;
	msg->cseq_value = view(vs, ve);
	msg->cseq_method_name = view(ms, ve);
	msg->cseq_method = method;
	msg->cseq = number;
	return true;
}

SIP_FN bool max_forwards_fast(struct parse_state *st, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;
	uint32_t v;

	if (msg->has_max_forwards || !digits_fast(st->buf, vs, ve, &v))
		return false;
	msg->has_max_forwards = true;
	msg->max_forwards_value = view(vs, ve);
	msg->max_forwards = v;
	return true;
}

SIP_FN bool content_length_fast(struct parse_state *st, size_t vs, size_t ve)
{
	struct sip_msg *msg = st->msg;
	uint32_t v;

	if (msg->has_content_length || !digits_fast(st->buf, vs, ve, &v))
		return false;
	msg->has_content_length = true;
	msg->content_length = v;
	return true;
}

/* buf[s..s+n) are all token bytes; 0 < n < 32 and 32 bytes readable at s. */
static inline __attribute__((always_inline)) SIP_TARGET bool token_run(const char *buf, size_t s,
                                                                       size_t n)
{
#if defined(SIP_VARIANT_AVX2)
	uint32_t want = (1u << n) - 1;
	return (sip_class_mask32(buf + s, sip_class_token.lo) & want) == want;
#else
	return sip_skip_cls(buf, s, s + n, &sip_class_token) == s + n;
#endif
}

/*
 * The value of a header line starts at vs, right after ": ", and neither it nor the line's last
 * byte (before the CR at eol) is LWS or another byte up to SP: header() would take the same
 * value without skipping or trimming anything. buf[eol] is CR, so an empty value fails.
 */
static inline SIP_TARGET bool value_plain(const char *buf, size_t vs, size_t eol)
{
	return buf[vs - 1] == ' ' && (unsigned char)buf[vs] > ' ' &&
	       (unsigned char)buf[eol - 1] > ' ';
}

/* value_plain() where buf[vs - 1] is already known to be SP. */
static inline SIP_TARGET bool value_sp_plain(const char *buf, size_t vs, size_t eol)
{
	return (unsigned char)buf[vs] > ' ' && (unsigned char)buf[eol - 1] > ' ';
}

/*
 * One header line, buf[line..eol) with its CRLF at eol; colon is where line_scan() found the
 * line's first ':' (32 or more: not in the first 32 bytes), or SIZE_MAX when it did not look. A
 * full name the balancer reads followed by ": " and a value without LWS at either end goes to
 * its fast handler; any other token followed by ':' is a header the balancer does not read, done
 * once header_kind() agrees. Returns false, with st as it was, for header() to do.
 */
SIP_FN bool header_fast(struct parse_state *st, size_t line, size_t eol, size_t colon)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const char *buf = st->buf;
	size_t n = colon;

	/*
	 * The name's two words, read where a case compares them: 16 bytes are readable at line
	 * once n is a length from 1 to 31 (line_scan() read 32 there, or the default case checks).
	 */
#define W0 word_at(buf + line)
#define W1 word_at(buf + line + 8)
	/*
	 * Where the value starts after "name: ", a constant offset from line in each case
	 * (computed once before the switch, it was one more value kept and spilled across it).
	 */
#define VALUE(n) (line + (n) + 2)
	/* each compare takes the name's bytes and its ':', so VALUE(n) - 1 is on the line */
	/* the names but Call-ID are compared with the SP after their ':' (value_sp_plain()); the
	 * name alone, without that SP, is left to header() */
again:
	switch (n) {
	case 2:
		if (SIP_WEQ(W0, "to: "))
			return value_sp_plain(buf, VALUE(2), eol) &&
			       from_to_fast(st, VALUE(2), eol, &st->has_to, &st->msg->to,
			                    &st->msg->to_uri, &st->msg->to_tag);
		if (SIP_WEQ(W0, "to:"))
			return false;
		break;
	case 3:
		if (SIP_WEQ(W0, "via: "))
			return value_sp_plain(buf, VALUE(3), eol) &&
			       via_fast(st, line, VALUE(3), eol);
		/* "Via:" and the value at once: sipsteer writes its own Via so when that makes
		 * the line's length even, and every response it relays brings it back */
		if (SIP_WEQ(W0, "via:"))
			return value_sp_plain(buf, VALUE(3) - 1, eol) &&
			       via_fast(st, line, VALUE(3) - 1, eol);
		break;
	case 4:
		if (SIP_WEQ(W0, "from: "))
			return value_sp_plain(buf, VALUE(4), eol) &&
			       from_to_fast(st, VALUE(4), eol, &st->has_from, &st->msg->from, NULL,
			                    &st->msg->from_tag);
		if (SIP_WEQ(W0, "cseq: "))
			return value_sp_plain(buf, VALUE(4), eol) && cseq_fast(st, VALUE(4), eol);
		if (SIP_WEQ(W0, "from:") || SIP_WEQ(W0, "cseq:"))
			return false;
		break;
	case 7:
		if (SIP_WEQ(W0, "call-id:"))
			return value_plain(buf, VALUE(7), eol) && call_id_fast(st, VALUE(7), eol);
		/* Contact, skipped, in most INVITEs and 2xx: its name needs no token_run() */
		if (SIP_WEQ(W0, "contact:"))
			return true;
		break;
	case 12:
		if (SIP_WEQ(W0, "max-forw")) {
			if (SIP_WEQ(W1, "ards: "))
				return value_sp_plain(buf, VALUE(12), eol) &&
				       max_forwards_fast(st, VALUE(12), eol);
			if (SIP_WEQ(W1, "ards:"))
				return false;
		}
		/* Content-Type, skipped, as Contact */
		if (SIP_WEQ(W0, "content-") && SIP_WEQ(W1, "type:"))
			return true;
		break;
	case 14:
		if (SIP_WEQ(W0, "content-")) {
			if (SIP_WEQ(W1, "length: "))
				return value_sp_plain(buf, VALUE(14), eol) &&
				       content_length_fast(st, VALUE(14), eol);
			if (SIP_WEQ(W1, "length:"))
				return false;
		}
		break;
	default:
		/* line_scan() found no ':' in the 32 bytes it read (n 64), or one at the line's
		 * start (0), or did not look (SIZE_MAX): the name's length then comes from here */
		if (n - 1 >= 31) {
			if (n != SIZE_MAX)
				return false;
			n = fast_skip_cls(buf, line, eol, st->len, &sip_class_token) - line;
			if (buf[line + n] != ':' || st->len - line < 16 || n - 1 >= 31)
				return false;
			goto again;
		}
		break;
	}
	/* here the name is only known to end at the first ':'; of the names header_kind() knows,
	 * the compact forms, Route and Record-Route are left (header() reads them) */
	if (colon != SIZE_MAX && !token_run(buf, line, n))
		return false;
	switch (n) {
	case 1:
		return false;
	case 5:
		return !SIP_WEQ(W0, "route:");
	case 12:
		return !(SIP_WEQ(W0, "record-r") && SIP_WEQ(W1, "oute:"));
	default:
		return true;
	}
#undef W0
#undef W1
#undef VALUE
#else
	(void)st;
	(void)line;
	(void)eol;
	(void)colon;
	return false; /* the names are matched as little-endian words */
#endif
}

#if defined(SIP_VARIANT_AVX2)
/*
 * What line_scan() compares with: CR, LF and ':' in 32 bytes each. Each compare takes its
 * constant as a RIP-relative memory operand, written as inline assembly: in C the compiler
 * either builds the constant in registers (saved and restored around every call the line loop
 * makes, and copied between registers for every line) or, hidden behind a pointer, keeps that
 * pointer in a register, spills it and reloads it and the constants for every line.
 */
static const char line_marks[3][32]
    __attribute__((aligned(32))) = {{SIP_SPLAT32('\r')}, {SIP_SPLAT32('\n')}, {SIP_SPLAT32(':')}};

/* _mm256_cmpeq_epi8(v, line_marks[i]) with line_marks[i] as the memory operand */
#define LINE_MARK_EQ(v, i)                                                                         \
	({                                                                                         \
		__m256i eq_;                                                                       \
		__asm__("vpcmpeqb %1, %2, %0" : "=x"(eq_) : "m"(line_marks[i]), "x"(v));           \
		eq_;                                                                               \
	})
#endif

/*
 * The end of the line at p (first CR or LF, or len) and, with AVX2 and 32 bytes readable, where
 * its first ':' is from the same 32 bytes (*colon: 64 when none is there; SIZE_MAX when not
 * looked at).
 */
static inline __attribute__((always_inline)) SIP_TARGET size_t line_scan(const char *buf, size_t p,
                                                                         size_t len, size_t *colon)
{
#if defined(SIP_VARIANT_AVX2)
	if (p + 32 <= len) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(buf + p));
		uint32_t ends = (uint32_t)_mm256_movemask_epi8(
		    _mm256_or_si256(LINE_MARK_EQ(v, 0), LINE_MARK_EQ(v, 1)));
		/* 64 for no ':' in the 32 bytes: tzcnt (BMI, which the AVX2 build targets) of the
		 * zero-extended mask */
		*colon = (size_t)_tzcnt_u64((uint32_t)_mm256_movemask_epi8(LINE_MARK_EQ(v, 2)));
		for (;;) {
			if (__builtin_expect(ends != 0, 1))
				return p + (size_t)__builtin_ctz(ends);
			p += 32;
			if (p + 32 > len)
				return sip_scan_eol(buf, p, len);
			v = _mm256_loadu_si256((const __m256i *)(const void *)(buf + p));
			ends = (uint32_t)_mm256_movemask_epi8(
			    _mm256_or_si256(LINE_MARK_EQ(v, 0), LINE_MARK_EQ(v, 1)));
		}
	}
#endif
	*colon = SIZE_MAX;
	return sip_scan_eol(buf, p, len);
}

/*
 * header() for a line header_fast() did not take, with its CRLF at eol, unless the line is
 * folded on the next one (see top_via_fast(): header() writes msg->vias[] too). Not inlined,
 * as header() is not: the check stays out of the line loop.
 */
static __attribute__((noinline)) SIP_TARGET void header_unfolded(struct parse_state *st,
                                                                 size_t line, size_t eol)
{
	if (!is_wsp(st->buf[eol + 2]))
		header(st, line, eol);
}

/*
 * finish() for the usual end: no defect found, every required header seen, a Content-Length
 * that fits, Max-Forwards not 0 on a request. Anything else goes to finish() itself.
 */
static inline __attribute__((always_inline)) SIP_TARGET int
finish_fast(struct parse_state *st, size_t headers_end, size_t body_off)
{
	struct sip_msg *msg = st->msg;
	size_t avail = st->len - body_off, body_len = avail;
	uint32_t seen;

	/* has_call_id, has_from, has_to and has_cseq, side by side */
	memcpy(&seen, &st->has_call_id, sizeof(seen));
	if (st->err != SIP_OK || seen != 0x01010101u || msg->via_count == 0 ||
	    (msg->has_content_length && msg->content_length > avail) ||
	    (msg->is_request && msg->has_max_forwards && msg->max_forwards == 0))
		return finish(st, headers_end, body_off);
	if (msg->has_content_length)
		body_len = msg->content_length;
	msg->headers_end = (uint32_t)headers_end;
	msg->body = view(body_off, body_off + body_len);
	return (int)(body_off + body_len);
}

/*
 * The whole message on the fast path (see the bail-out rule above): st as parse_init() left
 * it. Returns what the general parser would, or SIP_FAST_BAIL.
 */
SIP_FN int parse_fast(struct parse_state *st)
{
	const char *buf = st->buf;
	size_t len = st->len, p, eol;
	uint16_t crlf;

	if (len < 2 || buf[0] == '\r' || buf[0] == '\n')
		return SIP_FAST_BAIL;
	/* the start line's end as every header line's (its ':' is not looked at) */
	eol = line_scan(buf, 0, len, &p);
	if (eol + 2 > len || buf[eol] != '\r' || buf[eol + 1] != '\n' || !start_line_fast(st, eol))
		return SIP_FAST_BAIL;
	p = eol + 2;
	/* the first header line: the checks below run for the line before each one */
	if (p + 2 > len || (unsigned char)buf[p] <= ' ')
		return SIP_FAST_BAIL;
	/*
	 * Each line is read before the byte after its CRLF is looked at: that byte decides
	 * whether the line was whole (a byte above SP starts the next header, a CR the empty
	 * line, SP or HTAB a fold, anything else is an error), but a line read too early does no
	 * harm, as anything but the empty line gives up and the general parser starts again
	 * from a zeroed struct. So the loop tests that byte once, at its end.
	 */
	for (;;) {
		size_t colon;
		eol = line_scan(buf, p, len, &colon);
		/* CRLF and one byte after it (a header block cut off by the end of the datagram
		 * gives up here, as does a line without its CRLF) */
		/* eol + 3 > len, as one compare with len - 3 (no wrap: the start line and the
		 * first header's two bytes are there, so len is at least 15) */
		if (eol > len - 3)
			return SIP_FAST_BAIL;
		memcpy(&crlf, buf + eol, 2);
		if (crlf != ('\r' | '\n' << 8))
			return SIP_FAST_BAIL;
		if (!header_fast(st, p, eol, colon))
			header_unfolded(st, p, eol);
		p = eol + 2;
		if ((unsigned char)buf[p] <= ' ')
			break;
	}
	/* the empty line (CRLF) ends the header block; a fold or a control byte gives up */
	if (buf[p] != '\r' || p + 2 > len || buf[p + 1] != '\n')
		return SIP_FAST_BAIL;
	int rc = finish_fast(st, p, p + 2);
	return rc < 0 ? SIP_FAST_BAIL : rc;
}
