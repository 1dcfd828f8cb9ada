/*
 * csv.c -- a CSV tokenizer: RFC 4180 and the real world.
 *
 * Records end at LF, CRLF or a lone CR (mixed freely).  A field is either
 * unquoted (no quote, delimiter, CR, LF or NUL inside) or quoted: it starts
 * with a double quote, may hold delimiters, line breaks and doubled quotes,
 * and must be followed by a delimiter, a line break or the end of input.
 * NUL bytes are refused anywhere.  A UTF-8 byte-order mark at the start is
 * skipped; other bytes are kept verbatim (no UTF-8 validation).
 */
#include <stdio.h>
#include <stdlib.h>

#include "csv.h"

enum { CL_PLAIN = 0, CL_STOP = 1 };

int cs_csv_init(cs_csv *c, const void *data, size_t size, char delim)
{
	memset(c, 0, sizeof(*c));
	c->start = c->pos = data;
	c->end = c->start + size;
	c->delim = (uint8_t)delim;
	c->line = 1;
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c->pos += 3;
	c->cls[(uint8_t)delim] = CL_STOP;
	c->cls['"'] = CL_STOP;
	c->cls['\n'] = CL_STOP;
	c->cls['\r'] = CL_STOP;
	c->cls[0] = CL_STOP;
	c->cap = 64;
	c->fields = malloc(c->cap * sizeof(*c->fields));
	return c->fields ? COLSTORE_OK : COLSTORE_ENOMEM;
}

void cs_csv_free(cs_csv *c)
{
	free(c->fields);
	c->fields = NULL;
}

static int cs_csv_err(cs_csv *c, colstore_error *err, int code, uint64_t line, const char *msg)
{
	cs_err(err, code, COLSTORE_NO_OFFSET, "%s", msg);
	if (err) {
		err->line = line;
		err->column = (uint64_t)c->nfields + 1;
	}
	return code;
}

static int cs_csv_push(cs_csv *c, const uint8_t *p, size_t len, uint32_t flags,
                       colstore_error *err)
{
	if (c->nfields == c->cap) {
		if (c->cap >= CS_MAX_COLUMNS)
			return cs_csv_err(c, err, COLSTORE_ELIMIT, c->rec_line,
			                  "more than 65535 fields in a record");
		uint32_t cap = c->cap * 2 > CS_MAX_COLUMNS ? CS_MAX_COLUMNS : c->cap * 2;
		cs_csv_field *f = realloc(c->fields, cap * sizeof(*f));
		if (!f)
			return cs_csv_err(c, err, COLSTORE_ENOMEM, c->rec_line, "out of memory");
		c->fields = f;
		c->cap = cap;
	}
	if (len > CS_MAX_STRING_BYTES)
		return cs_csv_err(c, err, COLSTORE_ELIMIT, c->line, "field longer than 2 GiB");
	cs_csv_field *f = &c->fields[c->nfields++];
	f->p = (const char *)p;
	f->len = (uint32_t)len;
	f->flags = flags;
	return COLSTORE_OK;
}

int cs_csv_next(cs_csv *c, colstore_error *err)
{
	const uint8_t *p = c->pos, *end = c->end;
	c->nfields = 0;
	/* skip blank lines */
	while (p < end && (*p == '\n' || *p == '\r')) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		p++;
		c->line++;
	}
	if (p >= end) {
		c->pos = p;
		return 0;
	}
	c->rec_line = c->line;
	for (;;) {
		int rc;
		if (p < end && *p == '"') {
			/* quoted field: find the closing quote, skipping doubled ones */
			const uint8_t *q = p + 1, *content = q;
			uint32_t flags = CS_CSV_QUOTED;
			uint64_t qline = c->line;
			for (;;) {
				const uint8_t *nq = memchr(q, '"', (size_t)(end - q));
				const uint8_t *stop = nq ? nq : end;
				for (const uint8_t *s = q; s < stop; s++) {
					if (*s == '\n' || (*s == '\r' && (s + 1 >= stop || s[1] != '\n')))
						c->line++;
					else if (*s == 0) {
						c->pos = s;
						return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
						                  "NUL byte in a quoted field");
					}
				}
				if (!nq)
					return cs_csv_err(c, err, COLSTORE_EPARSE, qline,
					                  "unterminated quoted field (the quote opened "
					                  "here is never closed)");
				if (nq + 1 < end && nq[1] == '"') {
					flags |= CS_CSV_ESCAPED;
					q = nq + 2;
					continue;
				}
				rc = cs_csv_push(c, content, (size_t)(nq - content), flags, err);
				if (rc)
					return rc;
				p = nq + 1;
				break;
			}
			if (p < end && *p != c->delim && *p != '\n' && *p != '\r') {
				c->nfields--;
				return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
				                  *p ? "unexpected character after a closing quote "
				                       "(a quote inside a quoted field must be doubled)"
				                     : "NUL byte after a closing quote");
			}
		} else {
			const uint8_t *s = p;
			while (s < end && c->cls[*s] == CL_PLAIN)
				s++;
			if (s < end && *s == '"')
				return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
				                  "quote inside an unquoted field (quote the whole "
				                  "field and double the quote)");
			if (s < end && *s == 0 && c->delim != 0)
				return cs_csv_err(c, err, COLSTORE_EPARSE, c->line, "NUL byte in the input");
			rc = cs_csv_push(c, p, (size_t)(s - p), 0, err);
			if (rc)
				return rc;
			p = s;
		}
		/* p is at a delimiter, a line break or the end */
		if (p < end && *p == c->delim) {
			p++;
			continue;
		}
		if (p < end) { /* line break */
			if (*p == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			p++;
			c->line++;
		}
		c->pos = p;
		return 1;
	}
}

void cs_csv_skip_blank(cs_csv *c)
{
	const uint8_t *p = c->pos, *end = c->end;
	while (p < end && (*p == '\n' || *p == '\r')) {
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		p++;
		c->line++;
	}
	c->pos = p;
}

uint32_t cs_csv_unescape(const cs_csv_field *f, char *dst)
{
	uint32_t o = 0;
	for (uint32_t i = 0; i < f->len; i++) {
		dst[o++] = f->p[i];
		if (f->p[i] == '"')
			i++; /* skip the second quote of a pair */
	}
	return o;
}

char cs_csv_sniff(const void *data, size_t size)
{
	static const char cands[4] = { ',', ';', '\t', '|' };
	const uint8_t *p = data, *end = p + (size > (1u << 16) ? (1u << 16) : size);
	if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	/* count each candidate per line (outside quotes) over the first lines;
	 * choose the one that appears the same nonzero number of times on the
	 * most lines, preferring the most frequent */
	enum { LINES = 32 };
	unsigned counts[4][LINES];
	memset(counts, 0, sizeof(counts));
	int line = 0, inq = 0;
	for (; p < end && line < LINES; p++) {
		if (*p == '"')
			inq = !inq;
		else if (!inq && *p == '\n')
			line++;
		else if (!inq)
			for (int k = 0; k < 4; k++)
				if (*p == (uint8_t)cands[k])
					counts[k][line]++;
	}
	int lines = line > 0 ? line : 1; /* complete lines only, unless just one */
	int best = 0;
	long best_score = -1;
	for (int k = 0; k < 4; k++) {
		unsigned first = counts[k][0];
		if (first == 0)
			continue;
		int same = 0;
		for (int l = 0; l < lines; l++)
			same += counts[k][l] == first;
		long score = (long)same * 1000 + (long)first;
		if (score > best_score) {
			best_score = score;
			best = k;
		}
	}
	return cands[best];
}
