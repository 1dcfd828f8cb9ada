/*
 * output.c -- the command-line tool's output: values as text (dates,
 * timestamps, doubles, strings, sizes; info's minimum and maximum), and the
 * aligned table, CSV and JSON lines writers of scan and agg.
 */
#define _GNU_SOURCE /* fputs_unlocked */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore/colstore.h"
#include "output.h"

/* Every stream here is written by one thread at a time (scan's workers each
 * format into their own, and write stdout in turn), so the per-character
 * calls skip stdio's lock, which a process with threads takes on each call
 * otherwise (a quarter of a two-thread scan's time). */
#define fputc fputc_unlocked
#define fputs fputs_unlocked
#define fwrite fwrite_unlocked

/* ---- value formatting ----------------------------------------------------- */

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	/* Howard Hinnant's days_from_civil inverse */
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

/* ---- numbers without printf ------------------------------------------------ */

/* the decimal digits of u at the end of end[-20 .. -1]; returns the first */
static char *put_u64(char *end, uint64_t u)
{
	do {
		*--end = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	return end;
}

/* v as "%" PRId64 prints it, NUL-terminated, into buf (>= 21 bytes); its
 * length */
static size_t fmt_int(char *buf, int64_t v)
{
	char tmp[24], *e = tmp + sizeof(tmp), *p;
	p = put_u64(e, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
	return (size_t)(e - p);
}

/* n digits of u, zero-padded, at p */
static void put_fixed(char *p, unsigned u, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + u % 10);
		u /= 10;
	}
}

static void fmt_date(char *buf, size_t n, int64_t days)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999 && n >= 11) { /* as below, without printf */
		put_fixed(buf, (unsigned)y, 4);
		buf[4] = '-';
		put_fixed(buf + 5, m, 2);
		buf[7] = '-';
		put_fixed(buf + 8, d, 2);
		buf[10] = '\0';
		return;
	}
	snprintf(buf, n, "%04" PRId64 "-%02u-%02u", y, m, d);
}

static void fmt_timestamp(char *buf, size_t n, int64_t us)
{
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	int64_t days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	/* the date (fmt_date), then the time of day by digit loops, written
	 * whole and cut to n as snprintf would */
	char t[64];
	fmt_date(t, 32, days);
	char *p = t + strlen(t);
	*p++ = 'T';
	put_fixed(p, (unsigned)(sod / 3600), 2);
	p[2] = ':';
	put_fixed(p + 3, (unsigned)(sod / 60 % 60), 2);
	p[5] = ':';
	put_fixed(p + 6, (unsigned)(sod % 60), 2);
	p += 8;
	if (frac) {
		int digits = 6;
		while (frac % 10 == 0) { /* the shortest fraction: .5, not .500000 */
			frac /= 10;
			digits--;
		}
		*p++ = '.';
		put_fixed(p, (unsigned)frac, digits);
		p += digits;
	}
	size_t len = (size_t)(p - t);
	if (n) {
		if (len > n - 1)
			len = n - 1;
		memcpy(buf, t, len);
		buf[len] = '\0';
	}
}

static void fmt_string(char *buf, size_t n, const char *s, uint32_t len)
{
	size_t o = 0, max = 24;
	buf[o++] = '"';
	for (uint32_t i = 0; i < len && o + 6 < n; i++) {
		if (i == max) {
			o += (size_t)snprintf(buf + o, n - o, "...");
			break;
		}
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, n - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (o + 2 <= n) {
		buf[o++] = '"';
		buf[o] = '\0';
	} else {
		buf[n - 1] = '\0';
	}
}

void fmt_bytes(char *buf, size_t n, uint64_t b)
{
	if (b < 10000)
		snprintf(buf, n, "%" PRIu64 " B", b);
	else if (b < 10000ull * 1024)
		snprintf(buf, n, "%.1f KiB", b / 1024.0);
	else if (b < 10000ull * 1024 * 1024)
		snprintf(buf, n, "%.1f MiB", b / 1048576.0);
	else
		snprintf(buf, n, "%.2f GiB", b / 1073741824.0);
}

/* ---- info's column statistics ------------------------------------------------ */

static int scmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

void merge_stats(colstat *s, colstore_type t, const colstore_chunk_info *ci)
{
	if (!ci->has_minmax) {
		if (ci->null_count < ci->row_count && !ci->has_nan)
			s->unknown = 1;
		return;
	}
	int first = !s->have;
	s->have = 1;
	if (t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64) {
		if (first || ci->min_double < s->fmin)
			s->fmin = ci->min_double;
		if (first || ci->max_double > s->fmax)
			s->fmax = ci->max_double;
	} else if (t == COLSTORE_TYPE_STRING) {
		if (first || scmp(ci->min_str, ci->min_str_len, s->smin, s->sminl) < 0) {
			s->smin = ci->min_str;
			s->sminl = ci->min_str_len;
		}
		if (first || scmp(ci->max_str, ci->max_str_len, s->smax, s->smaxl) > 0) {
			s->smax = ci->max_str;
			s->smaxl = ci->max_str_len;
		}
	} else {
		if (first || ci->min_int < s->imin)
			s->imin = ci->min_int;
		if (first || ci->max_int > s->imax)
			s->imax = ci->max_int;
	}
}

void fmt_stat(char *buf, size_t n, colstore_type t, const colstat *s, int max)
{
	if (!s->have || s->unknown) {
		snprintf(buf, n, "-");
		return;
	}
	switch (t) {
	case COLSTORE_TYPE_FLOAT32:
	case COLSTORE_TYPE_FLOAT64:
		snprintf(buf, n, "%.10g", max ? s->fmax : s->fmin);
		break;
	case COLSTORE_TYPE_STRING:
		fmt_string(buf, n, max ? s->smax : s->smin, max ? s->smaxl : s->sminl);
		break;
	case COLSTORE_TYPE_BOOL:
		snprintf(buf, n, "%s", (max ? s->imax : s->imin) ? "true" : "false");
		break;
	case COLSTORE_TYPE_DATE:
		fmt_date(buf, n, max ? s->imax : s->imin);
		break;
	case COLSTORE_TYPE_TIMESTAMP:
		fmt_timestamp(buf, n, max ? s->imax : s->imin);
		break;
	default:
		snprintf(buf, n, "%" PRId64, max ? s->imax : s->imin);
		break;
	}
}

/* ---- cells as text (scan, agg) ------------------------------------------------ */

static void sb_put(strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}


static const double pow10_tab[] = { 1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
	                              1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	                              1e18, 1e19 };

/* v as "%.15g" prints it, when 1e-4 <= |v| < 1e15 and v is the double
 * nearest m / 10^k for an integer |m| < 10^15 (most decimal data: prices,
 * measures): then that decimal D = m / 10^k is within half an ulp of v,
 * which is less than half a unit in the 15th significant digit, so
 * rounding v to 15 significant digits gives D; and %g writes such a v in
 * fixed notation without trailing zeros.  0 when v is not of that kind.
 * The check is exact: 10^k is a double, and the division rounds correctly. */
static int fmt_decimal(char *buf, double v)
{
	double a = v < 0 ? -v : v;
	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (int k = 0; k <= 19; k++) {
		double x = a * pow10_tab[k];
		if (x >= 1e15)
			return 0;
		double r = (double)(int64_t)(x + 0.5);
		if (r / pow10_tab[k] != a) {
			r = (double)(int64_t)x; /* x rounded the other way */
			if (r / pow10_tab[k] != a)
				continue;
		}
		uint64_t m = (uint64_t)r, ip = m, fp = 0;
		for (int j = 0; j < k; j++)
			ip /= 10;
		fp = m - ip * (uint64_t)pow10_tab[k];
		char tmp[48], *e = tmp + 24, *p = put_u64(e, ip);
		if (v < 0)
			*--p = '-';
		size_t n = (size_t)(e - p);
		memcpy(buf, p, n);
		if (fp) {
			int d = k;
			while (fp % 10 == 0) { /* no trailing zeros */
				fp /= 10;
				d--;
			}
			buf[n++] = '.';
			for (int j = d - 1; j >= 0; j--) {
				buf[n + (size_t)j] = (char)('0' + fp % 10);
				fp /= 10;
			}
			n += (size_t)d;
		}
		buf[n] = '\0';
		return 1;
	}
	return 0;
}

/* the shortest of %.15g, %.16g, %.17g that reads back as the same double */
static void fmt_double(char *buf, size_t n, double v)
{
	if (n >= 48 && fmt_decimal(buf, v))
		return;
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v || v != v)
			return;
	}
}

/* one cell as text; *is_null, *is_str, *quoted (json_quoted) tell the
 * writers how to quote */
/* the dictionary code of row i of a DICT chunk's values */
static inline uint32_t dict_code(const colstore_values *v, uint32_t i)
{
	const uint8_t *d = v->data;
	return v->code_width == 1   ? d[i]
	       : v->code_width == 2 ? ((const uint16_t *)v->data)[i]
	                            : ((const uint32_t *)v->data)[i];
}

/* row i of v (column col of r) as text: a view of buf (64 bytes) for a
 * number, date, timestamp or bool, of the file's own bytes for a string
 * (never copied), for ow_cell; *quoted: as a JSON string */
static strbuf cell_view(colstore_reader *r, uint32_t col, const colstore_values *v, uint32_t i,
                        char *buf, int *is_null, int *is_str, int *quoted)
{
	strbuf t = { buf, 0, 0 };
	double f = 0; /* a float's value, for json_quoted */
	buf[0] = '\0';
	*is_null = v->validity && !((v->validity[i >> 3] >> (i & 7)) & 1);
	*is_str = 0;
	*quoted = 0;
	if (*is_null)
		return t;
	switch (v->type) {
	case COLSTORE_TYPE_INT8: t.len = fmt_int(buf, ((const int8_t *)v->data)[i]); return t;
	case COLSTORE_TYPE_INT16: t.len = fmt_int(buf, ((const int16_t *)v->data)[i]); return t;
	case COLSTORE_TYPE_INT32: t.len = fmt_int(buf, ((const int32_t *)v->data)[i]); return t;
	case COLSTORE_TYPE_INT64: t.len = fmt_int(buf, ((const int64_t *)v->data)[i]); return t;
	case COLSTORE_TYPE_FLOAT32:
		f = ((const float *)v->data)[i];
		fmt_double(buf, 64, f);
		break;
	case COLSTORE_TYPE_FLOAT64:
		f = ((const double *)v->data)[i];
		fmt_double(buf, 64, f);
		break;
	case COLSTORE_TYPE_BOOL:
		if ((((const uint8_t *)v->data)[i >> 3] >> (i & 7)) & 1) {
			memcpy(buf, "true", 5);
			t.len = 4;
		} else {
			memcpy(buf, "false", 6);
			t.len = 5;
		}
		return t;
	case COLSTORE_TYPE_DATE: fmt_date(buf, 64, ((const int32_t *)v->data)[i]); break;
	case COLSTORE_TYPE_TIMESTAMP: fmt_timestamp(buf, 64, ((const int64_t *)v->data)[i]); break;
	default: {
		*is_str = 1;
		*quoted = json_quoted(v->type, 1, 0);
		if (v->encoding == COLSTORE_ENCODING_DICT) {
			const char *str;
			uint32_t len;
			if (colstore_reader_dict_lookup(r, col, dict_code(v, i), &str, &len, NULL) == 0) {
				t.p = (char *)(uintptr_t)str; /* read only: the writers do not change it */
				t.len = len;
			}
		} else {
			const uint32_t *o = v->data;
			t.p = (char *)(uintptr_t)(v->bytes + o[i]);
			t.len = o[i + 1] - o[i];
		}
		return t;
	}
	}
	*quoted = json_quoted(v->type, 0, f);
	t.len = strlen(buf);
	return t;
}

/* an aggregation's result cell as text, a view of buf (64 bytes) or of the
 * cell's own string, never copied (a million groups' strings); *is_str
 * tells the writers how to quote */
strbuf agg_cell_view(const colstore_cell *c, char *buf, int *is_str)
{
	strbuf v = { buf, 0, 0 };
	buf[0] = '\0';
	*is_str = 0;
	if (c->is_null)
		return v;
	switch (c->type) {
	case COLSTORE_TYPE_FLOAT32:
	case COLSTORE_TYPE_FLOAT64: fmt_double(buf, 64, c->d); break;
	case COLSTORE_TYPE_BOOL: snprintf(buf, 64, "%s", c->i ? "true" : "false"); break;
	case COLSTORE_TYPE_DATE: fmt_date(buf, 64, c->i); break;
	case COLSTORE_TYPE_TIMESTAMP: fmt_timestamp(buf, 64, c->i); break;
	case COLSTORE_TYPE_STRING:
		*is_str = 1;
		if (c->s)
			v.p = (char *)(uintptr_t)c->s; /* read only: the writers do not change it */
		v.len = c->len;
		return v;
	default: v.len = fmt_int(buf, c->i); return v;
	}
	v.len = strlen(buf);
	return v;
}

/* ---- the table, CSV and JSON lines writers ---------------------------------- */

/* does a CSV field of t need quotes: "" is an empty string (nothing is a
 * null), and a delimiter, quote or line break must be inside them */
static int csv_quote(const strbuf *t, int is_str)
{
	if (!is_str) /* numbers, dates, timestamps, bools, NaN and infinities */
		return 0;
	int quote = t->len == 0;
	for (size_t i = 0; !quote && i < t->len; i++)
		quote = t->p[i] == ',' || t->p[i] == '"' || t->p[i] == '\n' || t->p[i] == '\r';
	return quote;
}

static void put_csv(FILE *o, const strbuf *t, int is_null, int is_str)
{
	if (is_null)
		return;
	if (!csv_quote(t, is_str)) {
		fwrite(t->p, 1, t->len, o);
		return;
	}
	fputc('"', o);
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] == '"')
			fputc('"', o);
		fputc(t->p[i], o);
	}
	fputc('"', o);
}

/* CSV cells are held back in w->ob and written OW_HOLD bytes at a time,
 * not by a stdio call per cell and separator (2-3% of a CSV scan) */
#define OW_HOLD 65536

void ow_flush(out_writer *w)
{
	if (w->olen)
		fwrite(w->ob, 1, w->olen, w->o);
	w->olen = 0;
}

static inline void ob_put(out_writer *w, const char *p, size_t n)
{
	if (w->olen + n > OW_HOLD) {
		ow_flush(w);
		if (n > OW_HOLD) {
			fwrite(p, 1, n, w->o);
			return;
		}
	}
	if (n)
		memcpy(w->ob + w->olen, p, n);
	w->olen += n;
}

static inline void ob_putc(out_writer *w, char c)
{
	if (w->olen == OW_HOLD)
		ow_flush(w);
	w->ob[w->olen++] = c;
}

/* put_csv into w's held text */
static void put_csv_held(out_writer *w, const strbuf *t, int is_null, int is_str)
{
	if (is_null)
		return;
	if (!csv_quote(t, is_str)) {
		ob_put(w, t->p, t->len);
		return;
	}
	ob_putc(w, '"');
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] == '"')
			ob_putc(w, '"');
		ob_putc(w, t->p[i]);
	}
	ob_putc(w, '"');
}

static void put_csv_header(FILE *o, char **names, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		strbuf t = { 0 };
		sb_str(&t, names[k]);
		if (k)
			fputc(',', o);
		put_csv(o, &t, 0, 1); /* quoted only when it must be */
		free(t.p);
	}
	fputc('\n', o);
}

static void put_json_str(FILE *o, const char *s, size_t n)
{
	fputc('"', o);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", o);
		else if (c == '\r')
			fputs("\\r", o);
		else if (c == '\t')
			fputs("\\t", o);
		else if (c < 0x20)
			fprintf(o, "\\u%04x", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

#define TABLE_SAMPLE 1000

static void table_emit(FILE *o, table_state *ts, char *row)
{
	/* row: ncols NUL-separated cells */
	char *c = row;
	for (uint32_t k = 0; k < ts->ncols; k++) {
		size_t l = strlen(c);
		fprintf(o, "%s%-*s", k ? "  " : "", k + 1 < ts->ncols ? (int)ts->width[k] : 0, c);
		c += l + 1;
	}
	fputc('\n', o);
}

static void table_flush(FILE *o, table_state *ts, char **names)
{
	if (ts->flushed)
		return;
	ts->flushed = 1;
	for (uint32_t k = 0; k < ts->ncols; k++)
		fprintf(o, "%s%-*s", k ? "  " : "", k + 1 < ts->ncols ? (int)ts->width[k] : 0, names[k]);
	fputc('\n', o);
	for (uint32_t k = 0; k < ts->ncols; k++) {
		fputs(k ? "  " : "", o);
		for (size_t i = 0; i < ts->width[k]; i++)
			fputc('-', o);
	}
	fputc('\n', o);
	for (size_t i = 0; i < ts->npending; i++) {
		table_emit(o, ts, ts->pending[i]);
		free(ts->pending[i]);
	}
	ts->npending = 0;
}

void ow_init(out_writer *w, FILE *o, int fmt, char **names, uint32_t n)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->fmt = fmt;
	w->names = names;
	w->n = n;
	w->ts.ncols = n;
	w->ts.width = calloc(n + 1, sizeof(size_t));
	for (uint32_t k = 0; k < n; k++)
		w->ts.width[k] = strlen(names[k]);
	if (fmt == FMT_CSV && !(w->ob = malloc(OW_HOLD))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
}

/* the CSV header row (other formats name their columns as they go) */
void ow_header(out_writer *w)
{
	ow_flush(w);
	if (w->fmt == FMT_CSV)
		put_csv_header(w->o, w->names, w->n);
}

void ow_cell(out_writer *w, const strbuf *text, int is_null, int is_str, int quoted)
{
	FILE *o = w->o;
	uint32_t k = w->k++;
	if (w->fmt == FMT_CSV) {
		if (k)
			ob_putc(w, ',');
		put_csv_held(w, text, is_null, is_str);
	} else if (w->fmt == FMT_JSONL) {
		fputc(k ? ',' : '{', o);
		put_json_str(o, w->names[k], strlen(w->names[k]));
		fputc(':', o);
		if (is_null)
			fputs("null", o);
		else if (quoted)
			put_json_str(o, text->p, text->len);
		else
			fwrite(text->p, 1, text->len, o);
	} else {
		/* table: control characters shown escaped, null as NULL */
		size_t start = w->row.len;
		if (is_null)
			sb_str(&w->row, "NULL");
		for (size_t q = 0; q < text->len;) {
			size_t e = q; /* a run of characters shown as they are */
			while (e < text->len && (unsigned char)text->p[e] >= 0x20)
				e++;
			sb_put(&w->row, text->p + q, e - q);
			if (e < text->len) {
				char esc[8];
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)text->p[e++]);
				sb_str(&w->row, esc);
			}
			q = e;
		}
		size_t len = w->row.len - start;
		if (!w->ts.flushed && len > w->ts.width[k])
			w->ts.width[k] = len;
		sb_put(&w->row, "", 1); /* the separating NUL */
	}
}

/* the dictionary strings of row i of vals fetched into the cache, some rows
 * before their cells are made (where: only where they lie, a few rows
 * earlier still): a dictionary of a million entries read in row order
 * misses twice on nearly every row, and the misses then overlap */
void ow_prefetch(const out_writer *w, colstore_reader *r, const uint32_t *cols,
                 const colstore_values *vals, uint32_t i, int where)
{
	for (uint32_t k = 0; k < w->n; k++) {
		const colstore_values *v = &vals[k];
		if (v->type != COLSTORE_TYPE_STRING || v->encoding != COLSTORE_ENCODING_DICT)
			continue;
		const uint32_t code = dict_code(v, i);
		const char *str;
		uint32_t len;
		if (where)
			colstore_reader_dict_prefetch(r, cols[k], code);
		else if (colstore_reader_dict_lookup(r, cols[k], code, &str, &len, NULL) == 0)
			__builtin_prefetch(str);
	}
}

/* row i of vals, the values of columns cols of r, as the row's cells (one per
 * column of w) */
void ow_values(out_writer *w, colstore_reader *r, const uint32_t *cols,
               const colstore_values *vals, uint32_t i)
{
	const uint32_t n = w->n;
	for (uint32_t k = 0; k < n; k++) {
		int is_null, is_str, quoted;
		char buf[64];
		strbuf t = cell_view(r, cols[k], &vals[k], i, buf, &is_null, &is_str, &quoted);
		ow_cell(w, &t, is_null, is_str, quoted);
	}
}

void ow_end_row(out_writer *w)
{
	w->k = 0;
	w->rows++;
	if (w->fmt == FMT_JSONL) {
		fputs(w->n ? "}\n" : "{}\n", w->o);
	} else if (w->fmt == FMT_CSV) {
		ob_putc(w, '\n');
	} else if (!w->ts.flushed) {
		table_state *ts = &w->ts;
		if (ts->npending == ts->cap) {
			ts->cap = ts->cap ? ts->cap * 2 : 64;
			ts->pending = realloc(ts->pending, ts->cap * sizeof(char *));
			if (!ts->pending) {
				fprintf(stderr, "%s: out of memory\n", prog);
				exit(1);
			}
		}
		ts->pending[ts->npending++] = w->row.p;
		w->row = (strbuf){ 0 };
		if (ts->npending >= TABLE_SAMPLE)
			table_flush(w->o, ts, w->names);
	} else {
		table_emit(w->o, &w->ts, w->row.p);
		w->row.len = 0;
	}
}

/* flush, free; returns 1 after a message if the output could not be written */
int ow_finish(out_writer *w, const char *cmd, int failed)
{
	if (!failed && w->fmt == FMT_TABLE) {
		table_flush(w->o, &w->ts, w->names);
		fprintf(w->o, "(%" PRIu64 " row%s)\n", w->rows, w->rows == 1 ? "" : "s");
	}
	ow_flush(w);
	fflush(w->o);
	int rc = 0;
	if (ferror(w->o) && !failed) {
		fprintf(stderr, "%s %s: cannot write the output: %s\n", prog, cmd, strerror(errno));
		rc = 1;
	}
	for (size_t i = 0; i < w->ts.npending; i++)
		free(w->ts.pending[i]);
	free(w->ts.pending);
	free(w->ts.width);
	free(w->row.p);
	free(w->ob);
	return rc;
}
