/*
 * csv_sniff.c -- the CSV dialect from the start of the text: delimiter,
 * quote, escape and a preamble before the table.  Every guess is made only
 * when the sample leaves no doubt; otherwise the RFC 4180 default stands.
 */
#include <stdlib.h>

#include "csv.h"

size_t cs_sniff_bytes = 1u << 16;
#define CS_SNIFF_LINES 64

static const uint8_t *cs_sample(const void *data, size_t size, const uint8_t **end)
{
	const uint8_t *p = data;
	*end = p + (size > cs_sniff_bytes ? cs_sniff_bytes : size);
	if (*end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	return p;
}

static int cs_is_cand(uint8_t b)
{
	return b == ',' || b == ';' || b == '\t' || b == '|';
}

/* " unless ' wraps fields (opens one after a delimiter or at a line's
 * start, and closes one before a delimiter or a line's end) and " never does */
static int cs_detect_quote(const uint8_t *p, const uint8_t *end)
{
	unsigned opens[2] = { 0, 0 }, closes[2] = { 0, 0 };
	static const uint8_t q[2] = { '"', '\'' };
	for (const uint8_t *s = p; s < end; s++)
		for (int k = 0; k < 2; k++)
			if (*s == q[k]) {
				uint8_t before = s > p ? s[-1] : '\n', after = s + 1 < end ? s[1] : '\n';
				if (before == '\n' || before == '\r' || cs_is_cand(before) ||
				    (before == ' ' && s - 1 > p && cs_is_cand(s[-2])))
					opens[k]++;
				if (after == '\n' || after == '\r' || cs_is_cand(after))
					closes[k]++;
			}
	if ((opens[0] && closes[0]) || !(opens[1] && closes[1]))
		return '"';
	return '\'';
}

/* the delimiter among , ; TAB | that appears the same nonzero number of
 * times (outside quotes) on the most of the first 32 lines, preferring the
 * most frequent */
static uint8_t cs_detect_delim(const uint8_t *p, const uint8_t *end, int quote)
{
	static const uint8_t cands[4] = { ',', ';', '\t', '|' };
	enum { LINES = 32 };
	unsigned counts[4][LINES];
	memset(counts, 0, sizeof(counts));
	int line = 0, inq = 0;
	for (; p < end && line < LINES; p++) {
		if (quote >= 0 && *p == (uint8_t)quote)
			inq = !inq;
		else if (!inq && *p == '\n')
			line++;
		else if (!inq)
			for (int k = 0; k < 4; k++)
				if (*p == cands[k])
					counts[k][line]++;
	}
	int lines = line > 0 ? line : 1; /* complete lines only, unless just one */
	int best = 0;
	long best_score = -1;
	for (int k = 0; k < 4; k++) {
		/* the count most lines agree on (a title line above the table, with
		 * none, does not decide) */
		for (int l = 0; l < lines; l++) {
			unsigned c = counts[k][l];
			if (c == 0)
				continue;
			int same = 0;
			for (int j = 0; j < lines; j++)
				same += counts[k][j] == c;
			long score = (long)same * 1000 + (long)c;
			if (score > best_score) {
				best_score = score;
				best = k;
			}
		}
	}
	return cands[best];
}

/* is every delimiter outside quotes followed by a space, on at least two
 * lines of the sample?  Then the space belongs to the delimiter */
static int cs_space_after(const uint8_t *p, const uint8_t *end, uint8_t delim, int quote)
{
	unsigned with = 0, without = 0, lines = 0;
	int inq = 0, seen = 0;
	for (const uint8_t *s = p; s < end; s++) {
		if (quote >= 0 && *s == (uint8_t)quote)
			inq = !inq;
		else if (!inq && *s == '\n') {
			lines += seen;
			seen = 0;
		} else if (!inq && *s == delim) {
			if (s + 1 >= end)
				break;
			if (s[1] == ' ')
				with++;
			else
				without++;
			seen = 1;
		}
	}
	return without == 0 && with > 0 && lines >= 2;
}

/* a backslash escape: \" followed by what a closing quote may not be */
static int cs_detect_escape(const uint8_t *p, const uint8_t *end, const cs_dialect *d)
{
	if (d->quote < 0)
		return -1;
	for (const uint8_t *s = p; s + 2 < end; s++)
		if (s[0] == '\\' && s[1] == (uint8_t)d->quote && s[2] != d->delim[0] &&
		    s[2] != '\n' && s[2] != '\r' && s[2] != (uint8_t)d->quote && s > p &&
		    s[-1] != d->delim[0])
			return '\\';
	return -1;
}

/* the fields of each raw line of the sample: hi counts them all, lo stops at
 * the last non-empty one (a trailing delimiter, or a null in the last
 * column, makes them differ); a blank line has hi 0.  Returns the number of
 * complete lines */
static int cs_line_widths(const uint8_t *p, const uint8_t *end, const cs_dialect *d,
                          unsigned *lo, unsigned *hi)
{
	int n = 0, inq = 0;
	unsigned fields = 1, upto = 0; /* upto: fields up to the last non-empty one */
	int empty = 1, blank = 1;      /* the current field, and line, are empty so far */
	for (const uint8_t *s = p; s < end && n < CS_SNIFF_LINES; s++) {
		if (d->quote >= 0 && *s == (uint8_t)d->quote) {
			inq = !inq;
			empty = blank = 0;
		} else if (!inq && (*s == '\n' || *s == '\r')) {
			if (!empty)
				upto = fields;
			lo[n] = upto;
			hi[n++] = blank ? 0 : fields;
			fields = 1;
			upto = 0;
			empty = blank = 1;
			if (*s == '\r' && s + 1 < end && s[1] == '\n')
				s++;
		} else if (!inq && (size_t)(end - s) >= d->dlen &&
		           memcmp(s, d->delim, d->dlen) == 0) {
			if (!empty)
				upto = fields;
			fields++;
			empty = blank = 0;
			s += d->dlen - 1;
		} else if (*s != ' ') {
			empty = blank = 0;
		}
	}
	return n;
}

/* the lines before the table: a preamble is lines narrower than the rows
 * below it, which agree with each other (their field counts, trailing
 * empty fields aside, overlap the last line's) */
static int64_t cs_detect_preamble(const uint8_t *p, const uint8_t *end, const cs_dialect *d)
{
	unsigned lo[CS_SNIFF_LINES], hi[CS_SNIFF_LINES];
	int n = cs_line_widths(p, end, d, lo, hi);
	if (n < 4)
		return 0;
	unsigned klo = lo[n - 1], khi = hi[n - 1];
#define CS_AGREES(i) (hi[i] && lo[i] <= khi && klo <= hi[i])
	if (khi < 2 || !CS_AGREES(n - 2))
		return 0;
	int h = 0;
	while (h < n && !CS_AGREES(h)) {
		if (hi[h] >= klo)
			return 0; /* a line as wide as the table: not a preamble */
		h++;
	}
	/* the table from h on: every non-blank line agrees (a short row is a
	 * matter for --lenient, not a reason to drop lines) */
	int rows = 0;
	for (int i = h; i < n; i++) {
		if (hi[i] && !CS_AGREES(i))
			return 0;
		rows += hi[i] != 0;
	}
#undef CS_AGREES
	if (h == 0 || rows < 3)
		return 0;
	/* a preamble has a line of text: all-blank lines are no preamble */
	for (int i = 0; i < h; i++)
		if (hi[i])
			return h;
	return 0;
}

void cs_csv_detect(const void *data, size_t size, cs_dialect *d, int64_t *skip)
{
	const uint8_t *end, *p = cs_sample(data, size, &end);
	if (d->quote == 0)
		d->quote = cs_detect_quote(p, end);
	if (!d->dlen) {
		uint8_t b = cs_detect_delim(p, end, d->quote);
		d->delim[0] = b;
		d->dlen = 1;
		if (cs_space_after(p, end, b, d->quote)) {
			d->delim[1] = ' ';
			d->dlen = 2;
		}
	}
	if (d->esc == 0)
		d->esc = cs_detect_escape(p, end, d);
	if (*skip < 0)
		*skip = cs_detect_preamble(p, end, d);
}

size_t cs_csv_skip_lines(const void *data, size_t size, uint64_t n)
{
	const uint8_t *s = data, *end = s + size, *p = s;
	if (size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	for (; n > 0 && p < end; n--) {
		const uint8_t *nl = p;
		while (nl < end && *nl != '\n' && *nl != '\r')
			nl++;
		if (nl < end && *nl == '\r' && nl + 1 < end && nl[1] == '\n')
			nl++;
		p = nl < end ? nl + 1 : end;
	}
	return (size_t)(p - s);
}
