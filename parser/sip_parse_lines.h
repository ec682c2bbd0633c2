/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The line loop of sip_parse(), included by sip_parse.c once per scanner with SIP_PARSE_FN (the
 * function's name), SIP_PARSE_TARGET (its target attribute) and SIP_SCAN_EOL (the scanner)
 * defined. No include guard on purpose.
 *
 * Contract (see sip.h): lines end in CRLF; a line whose CRLF is cut off by the end of the
 * datagram is SIP_ERR_INCOMPLETE; a bare CR or LF stops the scan; lines that start with SP or
 * HTAB continue the previous header (RFC 3261 7.3.1); an empty line ends the header block, and
 * so does the end of the datagram right after a CRLF. Reads only buf[0..len).
 */
SIP_PARSE_TARGET int SIP_PARSE_FN(const char *buf, size_t len, struct sip_msg *msg)
{
	struct parse_state st;
	size_t p = 0, eol;

	parse_init(&st, buf, len, msg);
	if (len > INT_MAX)
		return -SIP_ERR_TOO_LONG;
	/* RFC 3261 7.5: CRLFs before the start line are ignored (keep-alives are only that). */
	while (p + 1 < len && buf[p] == '\r' && buf[p + 1] == '\n')
		p += 2;
	if (p == len)
		return -SIP_ERR_EMPTY;

	eol = SIP_SCAN_EOL(buf, p, len);
	if (eol == len || (buf[eol] == '\r' && eol + 1 == len))
		return -SIP_ERR_INCOMPLETE;
	if (buf[eol] != '\r' || buf[eol + 1] != '\n')
		return -SIP_ERR_START_LINE;
	start_line(&st, p, eol);
	p = eol + 2;

	for (;;) {
		if (p == len)
			return finish(&st, len, len);
		if (buf[p] == '\r') {
			if (p + 1 == len)
				return -SIP_ERR_INCOMPLETE;
			if (buf[p + 1] != '\n')
				return stop(&st, SIP_ERR_HEADER_LINE);
			return finish(&st, p, p + 2);
		}
		size_t line = p;
		for (;;) {
			eol = SIP_SCAN_EOL(buf, p, len);
			if (eol == len || (buf[eol] == '\r' && eol + 1 == len))
				return -SIP_ERR_INCOMPLETE;
			if (buf[eol] != '\r' || buf[eol + 1] != '\n')
				return stop(&st, SIP_ERR_HEADER_LINE);
			p = eol + 2;
			if (p == len || (buf[p] != ' ' && buf[p] != '\t'))
				break;
		}
		header(&st, line, eol);
	}
}

#undef SIP_PARSE_FN
#undef SIP_PARSE_TARGET
#undef SIP_SCAN_EOL
