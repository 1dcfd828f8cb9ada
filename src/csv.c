/*
 * csv.c -- a CSV tokenizer: RFC 4180 and the real world.
 *
 * Records end at LF, CRLF or a lone CR (mixed freely).  A field is either
 * unquoted (no quote, delimiter, CR, LF or NUL inside) or quoted: it starts
 * with the quote byte, may hold delimiters, line breaks and doubled quotes,
 * and must be followed by a delimiter, a line break or the end of input.
 * The delimiter is 1-4 bytes; an escape byte, when the dialect has one,
 * makes the byte after it literal, inside quotes or out.  NUL bytes are
 * refused anywhere.  A UTF-8 byte-order mark at the start is skipped; other
 * bytes are kept verbatim (no UTF-8 validation).
 *
 * Lenient mode reads what strict mode refuses without ever moving a value
 * into another field: a quote inside an unquoted field is a literal byte;
 * a quoted field that is never closed, or whose closing quote is followed
 * by text, is read again as an unquoted field from its opening quote; a
 * NUL byte marks the record bad (the import rejects it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "csv.h"

enum { CL_PLAIN = 0, CL_STOP = 1 };

void cs_dialect_delim(cs_dialect *d, const char *delim, size_t len)
{
	if (len > 4)
		len = 4;
	memcpy(d->delim, delim, len);
	d->dlen = (uint8_t)len;
}

int cs_csv_init(cs_csv *c, const void *data, size_t size, const cs_dialect *d)
{
	memset(c, 0, sizeof(*c));
	c->start = c->pos = data;
	c->end = c->start + size;
	c->d = *d;
	if (c->d.esc == c->d.quote)
		c->d.esc = -1; /* an escape that is the quote: doubled quotes, as always */
	c->line = 1;
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c->pos += 3;
	/* the bytes that stop an unquoted field (LF stands in for what the
	 * dialect lacks): a set for the 64-byte scan, a class for the rest */
	c->stop[0] = '\n';
	c->stop[1] = '\r';
	c->stop[2] = 0;
	c->stop[3] = c->d.dlen ? c->d.delim[0] : '\n';
	c->stop[4] = c->d.quote >= 0 ? (uint8_t)c->d.quote : '\n';
	c->stop[5] = c->d.esc >= 0 ? (uint8_t)c->d.esc : '\n';
	for (int k = 0; k < 6; k++)
		c->cls[c->stop[k]] = CL_STOP;
	c->stops = cs_simd()->stops;
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

static __attribute__((noinline)) int cs_csv_grow(cs_csv *c, colstore_error *err)
{
	if (c->cap >= CS_MAX_COLUMNS)
		return cs_csv_err(c, err, COLSTORE_ELIMIT, c->rec_line,
		                  "more than 65535 fields in a record");
	uint32_t cap = c->cap * 2 > CS_MAX_COLUMNS ? CS_MAX_COLUMNS : c->cap * 2;
	cs_csv_field *f = realloc(c->fields, cap * sizeof(*f));
	if (!f)
		return cs_csv_err(c, err, COLSTORE_ENOMEM, c->rec_line, "out of memory");
	c->fields = f;
	c->cap = cap;
	return COLSTORE_OK;
}

static inline __attribute__((always_inline)) int cs_csv_push(cs_csv *c, const uint8_t *p, size_t len,
                                                             uint32_t flags, colstore_error *err)
{
	int rc;
	if (c->nfields == c->cap && (rc = cs_csv_grow(c, err)))
		return rc;
	if (len > CS_MAX_STRING_BYTES)
		return cs_csv_err(c, err, COLSTORE_ELIMIT, c->line, "field longer than 2 GiB");
	cs_csv_field *f = &c->fields[c->nfields++];
	f->p = (const char *)p;
	f->len = (uint32_t)len;
	f->flags = flags;
	return COLSTORE_OK;
}

static inline int cs_at_delim(const cs_csv *c, const uint8_t *p)
{
	return p < c->end && *p == c->d.delim[0] &&
	       (c->d.dlen == 1 ||
	        ((size_t)(c->end - p) >= c->d.dlen && memcmp(p, c->d.delim, c->d.dlen) == 0));
}

/* a line break at s (LF, CRLF counted at its LF, or a lone CR) */
static inline int cs_breaks(const uint8_t *s, const uint8_t *end)
{
	return *s == '\n' || (*s == '\r' && (s + 1 >= end || s[1] != '\n'));
}

/* the rest of an unquoted field from s, past a byte that stopped the scan
 * and is not a line break (in lenient mode quotes in it are literal) */
static __attribute__((noinline)) int cs_unquoted_slow(cs_csv *c, const uint8_t **pp,
                                                      const uint8_t *s, colstore_error *err)
{
	const uint8_t *p = *pp, *end = c->end;
	uint32_t flags = 0;
	for (;;) {
		while (s < end && c->cls[*s] == CL_PLAIN)
			s++;
		if (s >= end || *s == '\n' || *s == '\r')
			break;
		if (*s == c->d.delim[0] && c->d.dlen) {
			if (cs_at_delim(c, s))
				break;
			s++; /* the first byte of a longer delimiter only */
			continue;
		}
		if (c->d.esc >= 0 && *s == (uint8_t)c->d.esc) {
			flags |= CS_CSV_ESCAPED;
			if (s + 1 < end) {
				if (cs_breaks(s + 1, end))
					c->line++;
				if (s[1] == 0) {
					if (!c->d.lenient)
						return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
						                  "NUL byte in the input");
					c->bad = "a NUL byte";
				}
			}
			s += s + 1 < end ? 2 : 1;
			continue;
		}
		if (*s == 0) {
			if (!c->d.lenient)
				return cs_csv_err(c, err, COLSTORE_EPARSE, c->line, "NUL byte in the input");
			c->bad = "a NUL byte";
			s++;
			continue;
		}
		/* the quote */
		if (!c->d.lenient)
			return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
			                  "quote inside an unquoted field (quote the whole "
			                  "field and double the quote)");
		s++;
	}
	*pp = s;
	return cs_csv_push(c, p, (size_t)(s - p), flags, err);
}

/* the first stop byte from s, or the end: the last 63 bytes byte by byte */
static __attribute__((noinline)) const uint8_t *cs_stop_tail(const cs_csv *c, const uint8_t *s)
{
	while (s < c->end && c->cls[*s] == CL_PLAIN)
		s++;
	return s;
}

/* the first stop byte from s, or the end: from the mask of the 64 bytes
 * that hold s, made when s passes the last one */
static inline __attribute__((always_inline)) const uint8_t *cs_stop(cs_csv *c, const uint8_t *s)
{
	for (;;) {
		uintptr_t d = (uintptr_t)s - (uintptr_t)c->mbase;
		if (d < 64) {
			uint64_t m = c->mbits >> d;
			if (m)
				return s + __builtin_ctzll(m);
			s = c->mbase + 64;
		}
		if (c->end - s < 64 || !c->stops) /* (no stops: tests' byte-by-byte scan) */
			return cs_stop_tail(c, s);
		c->mbase = s;
		c->mbits = c->stops(s, c->stop);
	}
}

/* an unquoted field from *pp; *pp is left at the delimiter, the line break
 * or the end.  The common case (a one-byte delimiter, a line break or the
 * end stops it) stays here */
static inline __attribute__((always_inline)) int cs_unquoted(cs_csv *c, const uint8_t **pp,
                                                             colstore_error *err)
{
	const uint8_t *p = *pp, *s = cs_stop(c, p), *end = c->end;
	if (s < end && *s != '\n' && *s != '\r' && !(*s == c->d.delim[0] && c->d.dlen == 1))
		return cs_unquoted_slow(c, pp, s, err);
	*pp = s;
	return cs_csv_push(c, p, (size_t)(s - p), 0, err);
}

/* Unquoted fields ended by a one-byte delimiter, taken from the 64-byte
 * stop masks bit by bit: the next field's end is the next set bit, not a
 * scan from its start, so one field does not wait on the last.  Returns
 * where the general loop goes on: the start of a field this does not take
 * (a quote, an escape, CR, NUL, or an end past the mask), or a line break
 * after the record's last field (*brk set).  *rc: a push failed. */
static inline __attribute__((always_inline)) const uint8_t *cs_fast_fields(cs_csv *c,
                                                                          const uint8_t *p,
                                                                          int *brk, int *rc,
                                                                          colstore_error *err)
{
	const uint8_t delim = c->d.delim[0];
	for (;;) {
		uintptr_t d = (uintptr_t)p - (uintptr_t)c->mbase;
		if (d >= 64) {
			if (c->end - p < 64)
				return p;
			c->mbase = p;
			c->mbits = c->stops(p, c->stop);
			d = 0;
		}
		const uint8_t *base = c->mbase;
		uint64_t m = c->mbits >> d << d; /* the stops from p on */
		for (; m; m &= m - 1) {
			const uint8_t *s = base + __builtin_ctzll(m);
			uint8_t ch = *s;
			if ((int)ch == c->d.quote && s == p) {
				/* a quoted field whose next stops are its closing quote and,
				 * right after it, the delimiter or a line break: nothing
				 * inside it to undo, count or refuse (a doubled quote, CR,
				 * NUL, escape, line break or delimiter inside, or the field
				 * past the mask, go to the general loop) */
				uint64_t m2 = m & (m - 1), m3 = m2 & (m2 - 1);
				if (!m3)
					return p;
				const uint8_t *e = base + __builtin_ctzll(m2), *a = base + __builtin_ctzll(m3);
				if (*e != ch || a != e + 1 || (*a != delim && *a != '\n'))
					return p;
				if ((*rc = cs_csv_push(c, s + 1, (size_t)(e - s - 1), CS_CSV_QUOTED, err)))
					return p;
				if (*a == '\n') {
					*brk = 1;
					return a;
				}
				p = a + 1;
				m = m3; /* (the loop takes a off) */
				continue;
			}
			if (ch != delim && ch != '\n')
				return p;
			if ((*rc = cs_csv_push(c, p, (size_t)(s - p), 0, err)))
				return p;
			if (ch == '\n') {
				*brk = 1;
				return s;
			}
			p = s + 1;
		}
		if (p < base + 64)
			return p; /* the field goes on past the mask */
	}
}

/* bytes of x equal to b: the lowest flagged byte is exact (bytes above a
 * match may be flagged wrongly) */
static inline uint64_t cs_swar_eq(uint64_t x, uint8_t b)
{
	uint64_t v = x ^ (0x0101010101010101ull * b);
	return (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
}

/* a quoted field's next quote from q, when no line break, CR or NUL comes
 * before it within 64 bytes: 8 bytes at a time (the loop below then has
 * nothing to count); NULL sends the field to that loop */
static inline const uint8_t *cs_quote_fast(const uint8_t *q, const uint8_t *end, uint8_t quote)
{
	for (int k = 0; k < 8 && end - q >= 8; k++, q += 8) {
		uint64_t x;
		memcpy(&x, q, 8);
		uint64_t qm = cs_swar_eq(x, quote);
		uint64_t bad = cs_swar_eq(x, '\n') | cs_swar_eq(x, '\r') | cs_swar_eq(x, 0);
		if (qm | bad) {
			/* the first of them: a quote, or one the loop must see */
			unsigned qi = qm ? (unsigned)__builtin_ctzll(qm) : 64;
			unsigned bi = bad ? (unsigned)__builtin_ctzll(bad) : 64;
			return qi < bi ? q + qi / 8 : NULL;
		}
	}
	return NULL;
}

/* a quoted field at *pp (the opening quote).  Returns 1 when it is not a
 * well-formed quoted field and lenient mode reads it as unquoted; flat:
 * a line break inside is such a case */
static int cs_quoted(cs_csv *c, const uint8_t **pp, int flat, int *multiline,
                     colstore_error *err)
{
	const uint8_t *p = *pp, *end = c->end, *q = p + 1, *content = q;
	const uint8_t quote = (uint8_t)c->d.quote;
	const int esc = c->d.esc;
	uint32_t flags = CS_CSV_QUOTED;
	uint64_t qline = c->line;
	const char *bad = c->bad; /* what a NUL past the field would wrongly add */
	for (;;) {
		/* most fields: the closing quote, with nothing before it to count
		 * or refuse */
		const uint8_t *nq = esc < 0 ? cs_quote_fast(q, end, quote) : NULL;
		const int clean = nq != NULL;
		if (!nq && esc < 0) {
			nq = memchr(q, quote, (size_t)(end - q));
		} else if (!nq) {
			nq = q;
			while (nq < end && *nq != quote && *nq != (uint8_t)esc)
				nq++;
			if (nq == end)
				nq = NULL;
		}
		const uint8_t *stop = clean ? q : nq ? nq : end;
		for (const uint8_t *s = q; s < stop; s++) {
			if (cs_breaks(s, end)) {
				if (flat)
					goto literal;
				c->line++;
				*multiline = 1;
			} else if (*s == 0) {
				if (!c->d.lenient) {
					c->pos = s;
					return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
					                  "NUL byte in a quoted field");
				}
				c->bad = "a NUL byte";
			}
		}
		if (!nq) {
			if (c->d.lenient)
				goto literal;
			return cs_csv_err(c, err, COLSTORE_EPARSE, qline,
			                  "unterminated quoted field (the quote opened "
			                  "here is never closed)");
		}
		if (esc >= 0 && *nq == (uint8_t)esc) {
			flags |= CS_CSV_ESCAPED;
			if (nq + 1 < end) {
				if (cs_breaks(nq + 1, end)) {
					if (flat)
						goto literal;
					c->line++;
					*multiline = 1;
				} else if (nq[1] == 0) {
					if (!c->d.lenient)
						return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
						                  "NUL byte in a quoted field");
					c->bad = "a NUL byte";
				}
			}
			q = nq + 2 <= end ? nq + 2 : end;
			continue;
		}
		if (nq + 1 < end && nq[1] == quote) {
			flags |= CS_CSV_ESCAPED;
			q = nq + 2;
			continue;
		}
		p = nq + 1;
		if (p < end && !cs_at_delim(c, p) && *p != '\n' && *p != '\r') {
			if (c->d.lenient)
				goto literal;
			return cs_csv_err(c, err, COLSTORE_EPARSE, c->line,
			                  *p ? "unexpected character after a closing quote "
			                       "(a quote inside a quoted field must be doubled)"
			                     : "NUL byte after a closing quote");
		}
		int rc = cs_csv_push(c, content, (size_t)(nq - content), flags, err);
		if (rc)
			return rc;
		*pp = p;
		return 0;
	}
literal:
	c->line = qline;
	c->bad = bad;
	return 1;
}

/* the fields of one record from p; flat: no field spans lines */
static int cs_record(cs_csv *c, const uint8_t *p, int flat, int *multiline, colstore_error *err)
{
	const uint8_t *end = c->end;
	c->nfields = 0;
	const int fast = c->d.dlen == 1 && c->stops;
	for (;;) {
		int rc = 0, brk = 0;
		if (fast) {
			p = cs_fast_fields(c, p, &brk, &rc, err);
			if (rc)
				return rc;
		}
		if (brk) {
			/* the record's last field is taken; p is at its line break */
		} else if (c->d.quote >= 0 && p < end && *p == (uint8_t)c->d.quote) {
			rc = cs_quoted(c, &p, flat, multiline, err);
			if (rc == 1)
				rc = cs_unquoted(c, &p, err);
		} else {
			rc = cs_unquoted(c, &p, err);
		}
		if (rc)
			return rc;
		/* p is at a delimiter, a line break or the end */
		if (p < end && *p != '\n' && *p != '\r') {
			p += c->d.dlen;
			continue;
		}
		c->rec_end = p;
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

/* the record has the table's width, or more with only empty fields past it */
static int cs_fits(const cs_csv *c)
{
	if (c->nfields < c->expect)
		return 0;
	for (uint32_t i = c->expect; i < c->nfields; i++)
		if (c->fields[i].len || (c->fields[i].flags & CS_CSV_QUOTED))
			return 0;
	return 1;
}

int cs_csv_next(cs_csv *c, colstore_error *err)
{
	cs_csv_skip_blank(c);
	c->nfields = 0;
	if (c->pos >= c->end)
		return 0;
	c->rec_line = c->line;
	c->rec_start = c->pos;
	c->bad = NULL;
	int multiline = 0;
	int rc = cs_record(c, c->pos, 0, &multiline, err);
	if (rc == 1 && multiline && c->d.lenient && c->expect && !cs_fits(c)) {
		/* the first line alone, if it fits the table (else as it was) */
		c->line = c->rec_line;
		c->bad = NULL;
		rc = cs_record(c, c->rec_start, 1, &multiline, err);
		if (rc == 1 && !cs_fits(c)) {
			c->line = c->rec_line;
			c->bad = NULL;
			rc = cs_record(c, c->rec_start, 0, &multiline, err);
		}
	}
	return rc;
}

void cs_csv_skip_blank(cs_csv *c)
{
	const uint8_t *p = c->pos, *end = c->end;
	while (p < end) {
		if (*p == '\n' || *p == '\r') {
			if (*p == '\r' && p + 1 < end && p[1] == '\n')
				p++;
			p++;
			c->line++;
		} else if (c->d.comment >= 0 && *p == (uint8_t)c->d.comment) {
			while (p < end && *p != '\n' && *p != '\r')
				p++;
		} else {
			break;
		}
	}
	c->pos = p;
}

uint32_t cs_csv_unescape(const cs_dialect *d, const cs_csv_field *f, char *dst)
{
	uint32_t o = 0;
	int pairs = (f->flags & CS_CSV_QUOTED) != 0;
	int esc = d->esc == d->quote ? -1 : d->esc;
	for (uint32_t i = 0; i < f->len; i++) {
		char ch = f->p[i];
		if (esc >= 0 && (uint8_t)ch == (uint8_t)esc && i + 1 < f->len)
			ch = f->p[++i];
		else if (pairs && (uint8_t)ch == (uint8_t)d->quote && i + 1 < f->len &&
		         f->p[i + 1] == ch)
			i++; /* the second quote of a pair */
		dst[o++] = ch;
	}
	return o;
}
