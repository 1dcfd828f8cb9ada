/*
 * import.c -- colstore_import_csv(): map the CSV, infer every column's type
 * over the whole input (pass 1), then parse again and stream the values into
 * a colstore_writer (pass 2).  The rules are in README.md, "Importing CSV".
 *
 * Two passes rather than re-encoding on widening: the input is mapped, so
 * the second pass reads from the page cache, and the file never holds a
 * row group written with a type that later proves too narrow.
 */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "import.h"

static void cs_warn(cs_import *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cs_warn(cs_import *im, const char *fmt, ...)
{
	if (!im->o->on_warning)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	im->o->on_warning(im->o->ctx, msg);
}

int cs_imp_at(colstore_error *err, int code, uint64_t line, uint64_t col, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		err->offset = COLSTORE_NO_OFFSET;
		err->line = line;
		err->column = col;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

int cs_imp_is_null(const cs_import *im, const cs_csv_field *f)
{
	if (f->flags & CS_CSV_QUOTED)
		return 0; /* "" is an empty string */
	if (f->len == 0)
		return 1;
	for (uint32_t k = 0; k < im->n_nulls; k++)
		if (f->len == im->null_lens[k] && memcmp(f->p, im->nulls[k], f->len) == 0)
			return 1;
	return 0;
}

/* the field's text, unescaped if it holds doubled quotes */
int cs_imp_text(cs_scratch *sc, const cs_csv_field *f, const char **p, uint32_t *len)
{
	if (!(f->flags & CS_CSV_ESCAPED)) {
		*p = f->p;
		*len = f->len;
		return COLSTORE_OK;
	}
	if (f->len > sc->cap) {
		size_t cap = sc->cap ? sc->cap : 256;
		while (cap < f->len)
			cap *= 2;
		char *s = realloc(sc->p, cap);
		if (!s)
			return COLSTORE_ENOMEM;
		sc->p = s;
		sc->cap = cap;
	}
	*len = cs_csv_unescape(sc->d, f, sc->p);
	*p = sc->p;
	return COLSTORE_OK;
}

/* ---- header ------------------------------------------------------------------ */

static int cs_looks_typed(const cs_csv_field *f)
{
	return f->len && (cs_parse_double(f->p, f->len, NULL) || cs_parse_int(f->p, f->len, NULL) ||
	                  cs_parse_timestamp(f->p, f->len, NULL));
}

/* is name new to the set (then added)?  -1: out of memory.  A hash set,
 * so that 65,535 columns are named in linear time */
static int cs_name_new(cs_dict *set, const char *name)
{
	uint32_t before = set->count, code;
	if (cs_dict_intern(set, name, (uint32_t)strlen(name), &code))
		return -1;
	return set->count > before;
}

/* Names from the header row: an empty name becomes column_N (N = 1-based
 * position); a repeated name gets _2, _3, ... (the first keeps it); a name
 * with a NUL byte cannot occur (the tokenizer refuses NUL). */
static int cs_set_names(cs_import *im, const cs_csv_field *fields, uint32_t nfields,
                        int from_header, colstore_error *err)
{
	const cs_csv *c = &im->csv;
	im->ncols = nfields;
	im->cols = calloc(im->ncols, sizeof(cs_icol));
	if (!im->cols)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_dict names;
	cs_dict_init(&names);
	for (uint32_t i = 0; i < im->ncols; i++) {
		cs_icol *col = &im->cols[i];
		col->type = COLSTORE_TYPE_STRING;
		const char *p = NULL;
		uint32_t len = 0;
		if (from_header && cs_imp_text(&im->scratch, &fields[i], &p, &len)) {
			cs_dict_free(&names);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		if (len > 1000)
			len = 1000;
		char base[1024];
		if (from_header && len > 0) {
			memcpy(base, p, len);
			base[len] = '\0';
		} else {
			snprintf(base, sizeof(base), "column_%u", i + 1);
			if (from_header)
				cs_warn(im, "%s:%llu: column %u has an empty name; calling it '%s'",
				        im->path, (unsigned long long)c->rec_line, i + 1, base);
		}
		char name[1100];
		snprintf(name, sizeof(name), "%s", base);
		int fresh;
		for (unsigned k = 2; (fresh = cs_name_new(&names, name)) == 0; k++)
			snprintf(name, sizeof(name), "%s_%u", base, k);
		if (fresh < 0) {
			cs_dict_free(&names);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		if (strcmp(name, base) != 0)
			cs_warn(im, "%s:%llu: column %u repeats the name '%s'; calling it '%s'", im->path,
			        (unsigned long long)c->rec_line, i + 1, base, name);
		col->name = strdup(name);
		if (!col->name) {
			cs_dict_free(&names);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
	}
	cs_dict_free(&names);
	return COLSTORE_OK;
}

/* a date or timestamp column's formats: its own, or the import's */
static void cs_set_format(const cs_import *im, cs_icol *col)
{
	if (col->type == COLSTORE_TYPE_DATE && !col->fmt)
		col->fmt = im->o->date_format;
	if (col->type == COLSTORE_TYPE_TIMESTAMP) {
		if (!col->fmt)
			col->fmt = im->o->timestamp_format;
		col->fmt2 = im->o->date_format;
	}
}

static int cs_apply_schema(cs_import *im, colstore_error *err)
{
	const colstore_import_options *o = im->o;
	for (uint32_t i = 0; i < im->ncols; i++)
		if (o->no_infer) {
			im->cols[i].forced = 1;
			im->cols[i].type = COLSTORE_TYPE_STRING;
		}
	for (uint32_t s = 0; s < o->n_schema; s++) {
		uint32_t i;
		for (i = 0; i < im->ncols; i++)
			if (strcmp(im->cols[i].name, o->schema_names[s]) == 0)
				break;
		if (i == im->ncols)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the schema names column '%s', which %s does not have",
			              o->schema_names[s], im->path);
		if (!colstore_type_name(o->schema_types[s]))
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the schema gives column '%s' an unknown type", o->schema_names[s]);
		im->cols[i].forced = 1;
		im->cols[i].type = o->schema_types[s];
		const char *fmt = o->schema_formats ? o->schema_formats[s] : NULL, *why;
		if (fmt && o->schema_types[s] != COLSTORE_TYPE_DATE &&
		    o->schema_types[s] != COLSTORE_TYPE_TIMESTAMP)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the schema gives column '%s' a format, which only a date or a "
			              "timestamp takes", o->schema_names[s]);
		if (fmt && !cs_datefmt_check(fmt, o->schema_types[s] == COLSTORE_TYPE_TIMESTAMP, &why))
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the format '%s' of column '%s': %s", fmt, o->schema_names[s], why);
		im->cols[i].fmt = fmt;
	}
	for (uint32_t i = 0; i < im->ncols; i++)
		cs_set_format(im, &im->cols[i]);
	return COLSTORE_OK;
}

/* ---- passes ------------------------------------------------------------------ */

/* every field of the record within --max-field-size */
static int cs_field_sizes(const cs_import *im, const cs_csv *c, colstore_error *err)
{
	/* no field is longer than the record's span: most records are looked
	 * at no further */
	const cs_csv_field *last = c->nfields ? &c->fields[c->nfields - 1] : NULL;
	if (last && (size_t)(last->p + last->len - c->fields[0].p) > im->max_field)
		for (uint32_t i = 0; i < c->nfields; i++)
			if (c->fields[i].len > im->max_field)
				return cs_imp_at(err, COLSTORE_EPARSE, c->rec_line, i + 1,
				                 "a field of %zu bytes, over the limit of %llu bytes (a "
				                 "larger limit: --max-field-size)",
				                 (size_t)c->fields[i].len, (unsigned long long)im->max_field);
	return COLSTORE_OK;
}

int cs_imp_check_width(const cs_import *im, const cs_csv *c, colstore_error *err)
{
	int rc = cs_field_sizes(im, c, err);
	if (rc)
		return rc;
	if (c->nfields == im->ncols)
		return COLSTORE_OK;
	if (c->nfields < im->ncols && im->o->ragged_pad)
		return COLSTORE_OK;
	return cs_imp_at(err, COLSTORE_EPARSE, c->rec_line, c->nfields < im->ncols ? c->nfields : im->ncols + 1,
	             "row has %u fields, expected %u%s", c->nfields, im->ncols,
	             c->nfields < im->ncols ? " (--ragged pad fills missing fields with nulls)" : "");
}

static void cs_infer(const cs_import *im, cs_icol *col, const cs_csv_field *f)
{
	unsigned cand = col->cand;
	const char *p = f->p;
	size_t n = f->len;
	col->seen = 1;
	if (f->flags & CS_CSV_ESCAPED) {
		col->cand = 0; /* holds a quote: only a string */
		return;
	}
	if (cand & CAND_INT) {
		int64_t v;
		if (cs_parse_int(p, n, &v)) {
			if (v < col->imin)
				col->imin = v;
			if (v > col->imax)
				col->imax = v;
			col->cand = cand & (CAND_INT | CAND_FLOAT);
			if (!cs_parse_double(p, n, NULL))
				col->cand &= ~(unsigned)CAND_FLOAT; /* > 15 digits */
			return;
		}
		cand &= ~(unsigned)CAND_INT;
	}
	if ((cand & CAND_FLOAT) && !cs_parse_double(p, n, NULL))
		cand &= ~(unsigned)CAND_FLOAT;
	if ((cand & CAND_BOOL) && !cs_parse_bool(p, n, NULL))
		cand &= ~(unsigned)CAND_BOOL;
	int64_t v;
	if ((cand & CAND_DATE) && !cs_parse_date_any(p, n, NULL) &&
	    !(im->o->date_format && cs_parse_datefmt(im->o->date_format, p, n, 0, &v)))
		cand &= ~(unsigned)CAND_DATE;
	if ((cand & CAND_TS) && !cs_parse_timestamp_any(p, n, NULL) &&
	    !(im->o->timestamp_format && cs_parse_datefmt(im->o->timestamp_format, p, n, 1, &v)) &&
	    !(im->o->date_format && cs_parse_datefmt(im->o->date_format, p, n, 0, &v)))
		cand &= ~(unsigned)CAND_TS;
	col->cand = cand;
}

static void cs_hll_add(cs_icol *col, const char *p, size_t n)
{
	uint64_t h = XXH3_64bits(p, n);
	uint32_t idx = (uint32_t)(h >> (64 - CS_HLL_BITS));
	uint64_t w = (h << CS_HLL_BITS) | (1ull << (CS_HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
	if (rank > col->hll[idx])
		col->hll[idx] = rank;
	col->counted++;
	col->bytes += n;
}

static double cs_hll_estimate(const uint8_t *reg)
{
	double sum = 0;
	unsigned zeros = 0;
	for (unsigned i = 0; i < CS_HLL_M; i++) {
		sum += ldexp(1.0, -reg[i]);
		zeros += reg[i] == 0;
	}
	double m = CS_HLL_M, e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros); /* linear counting for small sets */
	return e;
}

/* DICT when codes plus the dictionary are smaller than offsets plus bytes
 * and the dictionary fits the writer's memory budget (README.md) */
static uint32_t cs_choose_encoding(const cs_import *im, const cs_icol *col)
{
	if (!col->hll || col->counted == 0)
		return COLSTORE_COLUMN_DICT;
	double n = (double)col->counted, d = cs_hll_estimate(col->hll);
	if (d > n)
		d = n;
	double avg = (double)col->bytes / n;
	double width = d <= 256 ? 1 : d <= 65536 ? 2 : 4;
	double dict = n * width + d * (avg + 4), plain = n * (avg + 4);
	uint64_t budget = im->o->writer.dict_budget ? im->o->writer.dict_budget : CS_DICT_BUDGET;
	if (dict < plain && d * (avg + 24) <= (double)budget)
		return COLSTORE_COLUMN_DICT;
	return COLSTORE_COLUMN_PLAIN;
}

int cs_imp_progress(cs_import *im, uint64_t done, int pass, int passes, uint64_t rows,
                    colstore_error *err)
{
	if (!im->o->on_progress)
		return COLSTORE_OK;
	colstore_import_progress p = { pass, passes, done, im->size, rows };
	if (im->o->on_progress(im->o->ctx, &p))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "import cancelled");
	return COLSTORE_OK;
}

/* the line and the first bytes of field f, once */
static void cs_keep_value(uint64_t *line, char *buf, uint32_t *len, uint64_t at,
                          const cs_csv_field *f)
{
	if (*line)
		return;
	*line = at;
	*len = f->len < 40 ? (uint32_t)f->len : 40;
	memcpy(buf, f->p, *len);
}

/* does every value read as D/M/Y or M/D/Y?  (said when the column ends a string) */
static void cs_note_dmy(cs_icol *col, const cs_csv_field *f)
{
	col->dmy = !(f->flags & CS_CSV_ESCAPED) && cs_looks_dmy(f->p, f->len);
	if (col->dmy && !col->dmy_ex[0]) {
		size_t k = f->len < sizeof(col->dmy_ex) - 1 ? f->len : sizeof(col->dmy_ex) - 1;
		memcpy(col->dmy_ex, f->p, k);
	}
}

int cs_imp_infer_record(const cs_import *im, cs_icol *cols, const cs_csv *c, colstore_error *err)
{
	cs_reject r;
	int kind = cs_imp_classify(im, c, &r, err);
	if (kind < 0)
		return -kind;
	if (kind == CS_ROW_REJECT)
		return COLSTORE_OK; /* not stored: it says nothing of the types */
	uint32_t n = c->nfields < im->ncols ? c->nfields : im->ncols;
	for (uint32_t i = 0; i < n; i++) {
		cs_icol *col = &cols[i];
		const cs_csv_field *f = &c->fields[i];
		if (col->hll) {
			/* a string: only its distinct values matter now */
			if (!cs_imp_is_null(im, f)) {
				col->nonnull++;
				cs_hll_add(col, f->p, f->len);
				if (col->dmy)
					cs_note_dmy(col, f);
			}
			continue;
		}
		if (col->forced || !col->cand || cs_imp_is_null(im, f))
			continue;
		col->nonnull++;
		int had = col->seen;
		unsigned before = col->cand;
		cs_infer(im, col, f);
		if (col->dmy)
			cs_note_dmy(col, f);
		for (unsigned k = 0, gone = before & ~col->cand; gone && gone >> k; k++)
			if ((gone >> k & 1) && !col->drop_line[k]) {
				col->drop_line[k] = c->rec_line;
				col->drop_at[k] = (uint64_t)((const uint8_t *)f->p - im->data);
				col->drop_len[k] = (uint32_t)f->len;
			}
		if (!col->cand && had)
			cs_keep_value(&col->why_line, col->why, &col->why_len, c->rec_line, f);
		if (!col->cand) {
			if (!(col->hll = calloc(1, CS_HLL_M)))
				return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			cs_hll_add(col, f->p, f->len); /* the value that made it a string */
		}
	}
	/* the header row again (files joined with cat) */
	if (im->header && !cols[0].hdr_line && cs_imp_is_header_row(im, c))
		cols[0].hdr_line = c->rec_line;
	return COLSTORE_OK;
}

/* say why a column is a string, or that a record repeats the header */
static void cs_explain(cs_import *im)
{
	if (im->cols[0].hdr_line)
		cs_warn(im, "%s:%llu: this row repeats the header row (files joined with cat?); "
		        "it is read as data", im->path, (unsigned long long)im->cols[0].hdr_line);
	static const char *const nulls[] = { "NA", "N/A", "n/a", "null", "NULL", "None", "-", "?",
	                                     "nan", "NaN", "#N/A", "." };
	uint32_t said = 0, more = 0;
	for (uint32_t i = 0; i < im->ncols; i++) {
		const cs_icol *col = &im->cols[i];
		if (col->forced || col->cand || !col->seen || !col->why_line)
			continue; /* typed, or text from its first value on: nothing to explain */
		if (said == 10) {
			more++;
			continue;
		}
		said++;
		const char *hint = "";
		for (size_t k = 0; k < sizeof(nulls) / sizeof(nulls[0]); k++)
			if (col->why_len == strlen(nulls[k]) && !memcmp(col->why, nulls[k], col->why_len))
				hint = " (--null to read it as null)";
		unsigned digits = 0;
		for (uint32_t k = 0; k < col->why_len; k++)
			digits += col->why[k] >= '0' && col->why[k] <= '9';
		double d;
		if (!hint[0] && digits >= 16 && cs_parse_double_lenient(col->why, col->why_len, &d))
			hint = " (more digits than a float64 keeps; --schema NAME:float64 rounds it)";
		const char *w0 = col->why + (col->why_len && col->why[0] == '-');
		size_t wl = col->why_len - (size_t)(w0 - col->why);
		if (!hint[0] && wl >= 2 && w0[0] == '0' && w0[1] >= '0' && w0[1] <= '9' &&
		    digits == wl)
			hint = " (a leading zero: kept as text, as written; --schema NAME:int64 reads "
			       "numbers)";
		cs_warn(im, "%s:%llu: column '%s' is a string from this value on: '%.*s'%s%s",
		        im->path, (unsigned long long)col->why_line, col->name, (int)col->why_len,
		        col->why, col->why_len == sizeof(col->why) ? "..." : "", hint);
	}
	if (more)
		cs_warn(im, "%s: %u more columns became strings the same way", im->path, more);
	for (uint32_t i = 0; i < im->ncols; i++) {
		const cs_icol *col = &im->cols[i];
		if (!col->forced && !col->cand && col->seen && col->dmy)
			cs_warn(im, "%s: column '%s' holds dates such as '%s' that read day-first or "
			        "month-first alike: kept as strings (--date-format %%d/%%m/%%Y or "
			        "%%m/%%d/%%Y reads them, with the separator they use)",
			        im->path, col->name, col->dmy_ex);
	}
}

/* the first record: header or data (COLSTORE_HEADER_AUTO) */
static int cs_start(cs_import *im, colstore_error *err)
{
	int rc = cs_csv_init(&im->csv, im->data, im->size, &im->dialect);
	if (rc)
		return cs_err(err, rc, COLSTORE_NO_OFFSET, "out of memory");
	im->csv.pos = im->csv.start + im->data_start;
	im->csv.line = 1 + im->skipped;
	im->csv.expect = im->ncols;
	rc = cs_csv_next(&im->csv, err);
	for (uint32_t k = 0; rc == 1 && k < im->hdr_extra; k++)
		rc = cs_csv_next(&im->csv, err); /* the header's other lines (read once) */
	if (rc < 0 || rc > 1)
		return rc;
	return rc == 0 ? -1 : COLSTORE_OK; /* -1: empty input */
}

/* --header-lines N: the names of N header records, joined by a space, as
 * fields in *out (strings in *buf); the csv is left after the last one */
static int cs_join_header(cs_import *im, uint32_t n, cs_csv_field **out, uint32_t *nout,
                          char ***bufs, colstore_error *err)
{
	cs_csv *c = &im->csv;
	uint32_t cap = 0;
	char **names = NULL;
	int rc = COLSTORE_OK;
	for (uint32_t k = 0; k < n && !rc; k++) {
		if (k && (rc = cs_csv_next(c, err)) != 1) {
			rc = rc == 0 ? cs_imp_at(err, COLSTORE_EPARSE, c->line, 0,
			                         "the input ends inside its %u header lines", n)
			             : rc;
			break;
		}
		rc = COLSTORE_OK;
		if (c->bad) {
			rc = cs_imp_at(err, COLSTORE_EPARSE, c->rec_line, 0, "header line %u holds %s",
			               k + 1, c->bad);
			break;
		}
		if (c->nfields > cap) {
			char **g = realloc(names, c->nfields * sizeof(char *));
			if (!g) {
				rc = COLSTORE_ENOMEM;
				break;
			}
			memset(g + cap, 0, (c->nfields - cap) * sizeof(char *));
			names = g;
			cap = c->nfields;
		}
		for (uint32_t i = 0; i < c->nfields && !rc; i++) {
			const char *p;
			uint32_t len;
			if (cs_imp_text(&im->scratch, &c->fields[i], &p, &len)) {
				rc = COLSTORE_ENOMEM;
				break;
			}
			if (!len)
				continue;
			size_t old = names[i] ? strlen(names[i]) : 0;
			char *g = realloc(names[i], old + len + 2);
			if (!g) {
				rc = COLSTORE_ENOMEM;
				break;
			}
			if (old)
				g[old++] = ' ';
			memcpy(g + old, p, len);
			g[old + len] = '\0';
			names[i] = g;
		}
	}
	cs_csv_field *f = rc ? NULL : calloc(cap ? cap : 1, sizeof(*f));
	for (uint32_t i = 0; f && i < cap; i++) {
		f[i].p = names[i] ? names[i] : "";
		f[i].len = names[i] ? (uint32_t)strlen(names[i]) : 0;
	}
	*out = f;
	*nout = cap;
	*bufs = names;
	if (!rc && !f)
		rc = COLSTORE_ENOMEM;
	if (rc == COLSTORE_ENOMEM)
		cs_err(err, rc, COLSTORE_NO_OFFSET, "out of memory");
	return rc;
}

/* the inference state of every column as before pass 1 */
static int cs_pass1_init(cs_import *im, colstore_error *err)
{
	for (uint32_t i = 0; i < im->ncols; i++) {
		cs_icol *col = &im->cols[i];
		cs_icol keep = *col;
		free(col->hll);
		memset(col, 0, sizeof(*col));
		col->name = keep.name;
		col->forced = keep.forced;
		col->type = keep.type;
		col->fmt = keep.fmt;
		col->fmt2 = keep.fmt2;
		col->cand = CAND_ALL;
		col->dmy = 1;
		col->imin = INT64_MAX;
		col->imax = INT64_MIN;
		if (col->forced && col->type == COLSTORE_TYPE_STRING &&
		    !(col->hll = calloc(1, CS_HLL_M)))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	return COLSTORE_OK;
}

/* A string column that had typed values first has only the values from
 * there on in its sketch (and, on several threads, from where each part saw
 * it turn): its sketch is made again from all its values, so that the
 * DICT/PLAIN choice is the same whatever the thread count. */
static int cs_rehash(cs_import *im, uint64_t start, uint64_t line, colstore_error *err)
{
	uint32_t need = 0;
	uint8_t *redo = calloc(im->ncols, 1); /* the columns made again */
	if (!redo)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t i = 0; i < im->ncols; i++) {
		cs_icol *col = &im->cols[i];
		if (col->type == COLSTORE_TYPE_STRING && col->nonnull &&
		    (!col->hll || col->counted != col->nonnull)) {
			redo[i] = 1;
			/* (no sketch at all: on several threads, no part saw it turn) */
			if (!col->hll && !(col->hll = calloc(1, CS_HLL_M))) {
				free(redo);
				return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			}
			memset(col->hll, 0, CS_HLL_M);
			col->counted = col->bytes = 0;
			need++;
		}
	}
	cs_csv c;
	if (!need || cs_csv_init(&c, im->data, im->size, &im->dialect)) {
		free(redo);
		return need ? cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory")
		            : COLSTORE_OK;
	}
	c.pos = c.start + start;
	c.line = line;
	c.expect = im->ncols;
	uint64_t released = start;
	int more, rc = COLSTORE_OK;
	while ((more = cs_csv_next(&c, err)) == 1) {
		cs_reject r;
		int kind = cs_imp_classify(im, &c, &r, err);
		if (kind < 0) {
			rc = -kind;
			break;
		}
		if (kind == CS_ROW_REJECT)
			continue;
		uint32_t n = c.nfields < im->ncols ? c.nfields : im->ncols;
		for (uint32_t i = 0; i < n; i++) {
			cs_icol *col = &im->cols[i];
			const cs_csv_field *f = &c.fields[i];
			if (redo[i] && !cs_imp_is_null(im, f))
				cs_hll_add(col, f->p, f->len);
		}
		cs_release_behind(im->data, &released, (uint64_t)(c.pos - c.start));
	}
	if (more < 0 || more > 1)
		rc = more;
	cs_map_release(im->data, start, (uint64_t)(c.pos - c.start));
	cs_csv_free(&c);
	free(redo);
	return rc;
}

static int cs_pass1(cs_import *im, colstore_error *err)
{
	cs_csv *c = &im->csv;
	uint64_t rows = 0;
	int rc = cs_pass1_init(im, err);
	if (rc)
		return rc;
	/* data starts after the header, or at the top (after a BOM and the
	 * lines skipped) */
	uint64_t start = im->header ? (uint64_t)(c->pos - c->start) : im->data_start;
	uint64_t line = im->header ? c->line : 1 + im->skipped;
	if (im->threads >= 2) {
		if ((rc = cs_imp_pass1_mt(im, start, line, err)))
			return rc;
		if (im->table_end && !im->table_end_known) {
			/* a part found a second table: infer again without its rows */
			im->table_end_known = 1;
			free(im->units);
			im->units = NULL;
			im->nunits = 0;
			if ((rc = cs_pass1_init(im, err)) || (rc = cs_imp_pass1_mt(im, start, line, err)))
				return rc;
		}
	} else {
		cs_csv peek;
		if (cs_csv_init(&peek, im->data, im->size, &im->dialect))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		peek.expect = im->ncols;
		int more = im->header ? cs_csv_next(c, err) : 1;
		while (more == 1) {
			if (!im->table_end && im->tables_ok &&
			    cs_imp_second_table(im, c, &peek, &im->table_end, &im->table2_line))
				im->table_end_known = 1;
			if ((rc = cs_imp_infer_record(im, im->cols, c, err))) {
				cs_csv_free(&peek);
				return rc;
			}
			if ((++rows & 0xffff) == 0) {
				cs_release_behind(im->data, &im->released, (uint64_t)(c->pos - c->start));
				if ((rc = cs_imp_progress(im, (uint64_t)(c->pos - c->start), 1, 2, rows, err)))
					return rc;
			}
			more = cs_csv_next(c, err);
		}
		cs_csv_free(&peek);
		if (more < 0 || more > 1)
			return more;
	}
	cs_explain(im);
	/* decide */
	for (uint32_t i = 0; i < im->ncols; i++) {
		cs_icol *col = &im->cols[i];
		if (col->forced)
			continue;
		if (!col->seen || !col->cand)
			col->type = COLSTORE_TYPE_STRING; /* all null: string */
		else if (col->cand & CAND_INT)
			col->type = col->imin >= INT8_MIN && col->imax <= INT8_MAX     ? COLSTORE_TYPE_INT8
			            : col->imin >= INT16_MIN && col->imax <= INT16_MAX ? COLSTORE_TYPE_INT16
			            : col->imin >= INT32_MIN && col->imax <= INT32_MAX ? COLSTORE_TYPE_INT32
			                                                               : COLSTORE_TYPE_INT64;
		else if (col->cand & CAND_FLOAT)
			col->type = COLSTORE_TYPE_FLOAT64;
		else if (col->cand & CAND_BOOL)
			col->type = COLSTORE_TYPE_BOOL;
		else if (col->cand & CAND_DATE)
			col->type = COLSTORE_TYPE_DATE;
		else if (col->cand & CAND_TS)
			col->type = COLSTORE_TYPE_TIMESTAMP;
		else
			col->type = COLSTORE_TYPE_STRING;
	}
	if ((rc = cs_rehash(im, start, line, err)))
		return rc;
	for (uint32_t i = 0; i < im->ncols; i++) {
		if (im->cols[i].type == COLSTORE_TYPE_STRING)
			im->cols[i].flags = cs_choose_encoding(im, &im->cols[i]);
		cs_set_format(im, &im->cols[i]);
	}
	return COLSTORE_OK;
}

int cs_imp_parse_value(const cs_icol *col, const char *p, uint32_t n, int64_t *iv, double *dv)
{
	int bv;
	switch (col->type) {
	case COLSTORE_TYPE_FLOAT32:
	case COLSTORE_TYPE_FLOAT64:
		return col->forced ? cs_parse_double_lenient(p, n, dv) : cs_parse_double(p, n, dv);
	case COLSTORE_TYPE_BOOL:
		if (!cs_parse_bool(p, n, &bv))
			return 0;
		*iv = bv;
		return 1;
	case COLSTORE_TYPE_DATE:
		return (cs_parse_date_any(p, n, iv) || (col->fmt && cs_parse_datefmt(col->fmt, p, n, 0, iv))) &&
		       cs_int_fits(col->type, *iv);
	case COLSTORE_TYPE_TIMESTAMP:
		if (cs_parse_timestamp_any(p, n, iv) || (col->fmt && cs_parse_datefmt(col->fmt, p, n, 1, iv)))
			return 1;
		if (col->fmt2 && cs_parse_datefmt(col->fmt2, p, n, 0, iv)) {
			*iv *= 86400 * (int64_t)1000000; /* a date: midnight */
			return 1;
		}
		return 0;
	default:
		return (col->forced ? cs_parse_int_lenient(p, n, iv) : cs_parse_int(p, n, iv)) &&
		       cs_int_fits(col->type, *iv);
	}
}

int cs_imp_bad_value(colstore_error *err, uint64_t line, uint32_t i, const cs_icol *col,
                     const char *p, uint32_t n)
{
	char shown[64];
	size_t k = n < 40 ? n : 40;
	memcpy(shown, p, k);
	shown[k] = '\0';
	return cs_imp_at(err, COLSTORE_EPARSE, line, i + 1, "'%s%s' is not a valid %s (column '%s')",
	                 shown, n > 40 ? "..." : "", colstore_type_name(col->type), col->name);
}

static int cs_put_field(cs_import *im, colstore_writer *w, uint32_t i, const cs_csv_field *f,
                        colstore_error *err)
{
	const cs_icol *col = &im->cols[i];
	if (cs_imp_is_null(im, f))
		return colstore_writer_put_null(w, i, err);
	const char *p;
	uint32_t n;
	if (cs_imp_text(&im->scratch, f, &p, &n))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (col->type == COLSTORE_TYPE_STRING)
		return colstore_writer_put_string(w, i, p, n, err);
	int64_t iv = 0;
	double dv = 0;
	if (!cs_imp_parse_value(col, p, n, &iv, &dv))
		return cs_imp_bad_value(err, im->csv.rec_line, i, col, p, n);
	return col->type == COLSTORE_TYPE_FLOAT32 || col->type == COLSTORE_TYPE_FLOAT64
	               ? colstore_writer_put_double(w, i, dv, err)
	               : colstore_writer_put_int(w, i, iv, err);
}

static int cs_pass2_rows(cs_import *im, colstore_writer *w, int passes, uint64_t *rows_out,
                         cs_tally *t, colstore_error *err)
{
	cs_csv *c = &im->csv;
	uint64_t rows = 0;
	int rc;
	int more = im->header ? cs_csv_next(c, err) : 1;
	while (more == 1) {
		cs_reject r;
		int kind = cs_imp_classify(im, c, &r, err);
		if (kind < 0)
			return -kind;
		if (kind == CS_ROW_OK && im->o->lenient && im->any_forced &&
		    cs_imp_bad_forced(im, c, &im->scratch, &r))
			kind = CS_ROW_REJECT;
		if (kind != CS_ROW_OK && im->o->lenient) {
			if (cs_tally_add(t, kind, c->rec_line, &r))
				return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			if ((rc = cs_imp_tally_merge(im, t, err)))
				return rc;
			if (kind == CS_ROW_REJECT) {
				more = cs_csv_next(c, err);
				continue;
			}
		}
		uint32_t i = 0, n = c->nfields < im->ncols ? c->nfields : im->ncols;
		for (; i < n; i++)
			if ((rc = cs_put_field(im, w, i, &c->fields[i], err))) {
				if (err && err->line == 0) { /* a writer error: say where */
					err->line = c->rec_line;
					err->column = i + 1;
				}
				return rc;
			}
		for (; i < im->ncols; i++) /* --ragged pad, --lenient */
			if ((rc = colstore_writer_put_null(w, i, err)))
				return rc;
		if ((rc = colstore_writer_end_row(w, err))) {
			if (err && err->line == 0)
				err->line = c->rec_line;
			return rc;
		}
		if ((++rows & 0xffff) == 0) {
			cs_release_behind(im->data, &im->released, (uint64_t)(c->pos - c->start));
			if ((rc = cs_imp_progress(im, (uint64_t)(c->pos - c->start), passes, passes,
			                          rows, err)))
				return rc;
		}
		more = cs_csv_next(c, err);
	}
	if (more < 0 || more > 1)
		return more;
	*rows_out = rows;
	return COLSTORE_OK;
}

static int cs_pass2(cs_import *im, colstore_writer *w, int passes, uint64_t *rows_out,
                    colstore_error *err)
{
	cs_tally t;
	memset(&t, 0, sizeof(t));
	int rc = cs_pass2_rows(im, w, passes, rows_out, &t, err);
	free(t.rej);
	return rc;
}

/* text that is not UTF-8 in the first 64 KiB: said, with the way out (the
 * bytes are kept as they are) */
static void cs_check_utf8(cs_import *im)
{
	size_t n = im->size < (1u << 16) ? im->size : (1u << 16);
	size_t ok = cs_utf8_prefix(im->data, n);
	if (ok == n || (n < im->size && n - ok < 4))
		return; /* all well-formed, or a character cut by the sample's end */
	uint64_t line = 1;
	for (size_t i = 0; i < ok; i++)
		line += im->data[i] == '\n';
	cs_warn(im, "%s:%llu: not UTF-8 text (byte 0x%02x at offset %zu): the bytes are kept as "
	        "they are (--encoding latin1 or cp1252 converts them)", im->path,
	        (unsigned long long)line, im->data[ok], ok);
}

/* the dialect from the options, with what they leave open detected */
static int cs_dialect_setup(cs_import *im, colstore_error *err)
{
	const colstore_import_options *o = im->o;
	cs_dialect *d = &im->dialect;
	memset(d, 0, sizeof(*d));
	if (o->delimiter_string) {
		size_t n = strlen(o->delimiter_string);
		if (n < 1 || n > 4)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the delimiter must be 1 to 4 bytes, not %zu", n);
		cs_dialect_delim(d, o->delimiter_string, n);
	} else if (o->delimiter) {
		cs_dialect_delim(d, &o->delimiter, 1);
	}
	d->quote = o->quote;
	d->esc = o->escape;
	d->comment = o->comment ? o->comment : -1;
	d->lenient = o->lenient;
	if ((d->quote < -1 || d->quote > 255) || (d->esc < -1 || d->esc > 255) ||
	    o->comment < 0 || o->comment > 255)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "the quote, escape and comment are single bytes");
	int64_t skip = o->skip == COLSTORE_NONE ? 0 : o->skip ? o->skip : -1;
	if (o->skip < COLSTORE_NONE)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "bad number of lines to skip");
	cs_csv_detect(im->data, im->size, d, &skip);
	for (int k = 0; k < d->dlen; k++)
		if (d->delim[k] == '\n' || d->delim[k] == '\r' || (int)d->delim[k] == d->quote ||
		    (int)d->delim[k] == d->esc)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the delimiter cannot hold a line break, the quote or the escape");
	if (d->quote == '\n' || d->quote == '\r' || d->esc == '\n' || d->esc == '\r' ||
	    (d->comment >= 0 && (d->comment == d->quote || d->comment == d->delim[0])))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "the quote, escape and comment must differ from each other, the "
		              "delimiter and a line break");
	im->skipped = (uint64_t)skip;
	im->data_start = cs_csv_skip_lines(im->data, im->size, im->skipped);
	return COLSTORE_OK;
}

int colstore_import_csv(const char *csv_path, const char *out_path,
                        const colstore_import_options *opts, colstore_import_result *res,
                        colstore_error *err)
{
	colstore_import_options def = COLSTORE_IMPORT_OPTIONS_INIT;
	if (!csv_path || !out_path)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "input and output paths are required");
	if (!opts)
		opts = &def;
	for (int i = 0; i < 1; i++)
		if (opts->reserved[i])
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "import options: reserved fields must be zero");
	if (opts->header < COLSTORE_HEADER_AUTO || opts->header > COLSTORE_HEADER_NO ||
	    (opts->n_schema && (!opts->schema_names || !opts->schema_types)) ||
	    (opts->n_null_markers && !opts->null_markers) ||
	    (opts->header_lines > 1 && opts->header == COLSTORE_HEADER_NO))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "bad import options");
	if (opts->delimiter == '"' || opts->delimiter == '\n' || opts->delimiter == '\r')
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "the delimiter cannot be a quote or a line break");
	const char *why;
	if (opts->date_format && !cs_datefmt_check(opts->date_format, 0, &why))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "the date format '%s': %s",
		              opts->date_format, why);
	if (opts->timestamp_format && !cs_datefmt_check(opts->timestamp_format, 1, &why))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "the timestamp format '%s': %s",
		              opts->timestamp_format, why);
	cs_import im;
	memset(&im, 0, sizeof(im));
	im.o = opts;
	im.path = opts->input_name ? opts->input_name : csv_path;
	im.scratch.d = &im.dialect;
	if (opts->null_marker)
		im.nulls[im.n_nulls++] = opts->null_marker;
	for (uint64_t k = 0; k < opts->n_null_markers; k++) {
		if (!opts->null_markers[k])
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "null marker %llu is NULL",
			              (unsigned long long)k);
		if (im.n_nulls == COLSTORE_MAX_NULL_MARKERS)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "at most %d null markers", COLSTORE_MAX_NULL_MARKERS);
		im.nulls[im.n_nulls++] = opts->null_markers[k];
	}
	for (uint32_t k = 0; k < im.n_nulls; k++)
		im.null_lens[k] = strlen(im.nulls[k]);
	im.max_field = opts->max_field ? opts->max_field : COLSTORE_MAX_FIELD_DEFAULT;
	im.threads = opts->threads ? opts->threads : (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (im.threads < 1)
		im.threads = 1;
	if (im.threads > 64)
		im.threads = 64;
	const void *data, *conv = NULL, *unpacked = NULL;
	size_t size, conv_size = 0, unpacked_size = 0;
	const char *encoding = NULL, *compression = NULL;
	colstore_writer *w = NULL;
	uint64_t rows = 0;
	struct stat in_st;
	int rc = stat(csv_path, &in_st) == 0 ? cs_check_output(out_path, &in_st, err)
	                                      : cs_check_output(out_path, NULL, err);
	if (rc)
		return rc;
	rc = cs_map_input(csv_path, &data, &size, err);
	if (rc)
		return rc;
	/* compressed input: decompressed first (then, if need be, converted) */
	const void *raw = data;
	size_t raw_size = size;
	if ((rc = cs_decompress(data, size, &unpacked, &unpacked_size, &compression, err))) {
		cs_unmap(data, size);
		return rc;
	}
	if (compression) {
		raw = unpacked;
		raw_size = unpacked_size;
		cs_unmap(data, size); /* read once: the text is all in the temporary file */
		data = NULL;
	}
	if ((rc = cs_transcode(raw, raw_size, opts->encoding, &conv, &conv_size, &encoding, err))) {
		if (unpacked)
			cs_unmap(unpacked, unpacked_size);
		cs_unmap(data, size);
		return rc;
	}
	if (encoding) { /* the converted text is all in its own temporary file */
		if (unpacked)
			cs_unmap(unpacked, unpacked_size);
		else
			cs_unmap(data, size);
		unpacked = data = NULL;
	}
	static const uint8_t cs_no_bytes[1];
	const void *text = encoding ? conv : raw;
	size_t text_size = encoding ? conv_size : raw_size;
	im.data = text ? text : cs_no_bytes; /* an empty file maps to nothing */
	im.size = text_size;
	if (text)
		cs_map_advise_sequential(text, text_size); /* read front to back, twice */
	const char *what = cs_sniff(im.data, im.size);
	if (im.size && what && strncmp(what, "text", 4) != 0) {
		rc = cs_imp_at(err, COLSTORE_EPARSE, 1, 0, "this is %s, not CSV text%s", what,
		               what[0] == 'a' ? ""
		               : strstr(what, "compressed") ? " (gzip, zstd and LZ4 are read as they "
		                                              "are; decompress this one first)"
		                                            : " (decompress it first, into a file or '-')");
		goto out;
	}
	if ((rc = cs_dialect_setup(&im, err)))
		goto out;
	if (!encoding)
		cs_check_utf8(&im);
	if (!opts->threads && im.size / (8u << 20) + 1 < im.threads)
		im.threads = (uint32_t)(im.size / (8u << 20) + 1); /* a thread per 8 MiB at most */
	rc = cs_start(&im, err);
	int empty = rc == -1;
	if (rc && !empty)
		goto out;
	if (!empty && im.csv.bad) {
		/* lenient mode reads a NUL byte as a row to reject: the first row
		 * is the header, or gives the table its width */
		rc = cs_imp_at(err, COLSTORE_EPARSE, im.csv.rec_line, 0,
		               "the first row holds %s: it cannot be the header, nor give the "
		               "table its columns", im.csv.bad);
		goto out;
	}
	/* the first record's fields too are held to the limit (a header name is
	 * unescaped whole before it is cut) */
	if (!empty && (rc = cs_field_sizes(&im, &im.csv, err)))
		goto out;
	/* header */
	im.header = opts->header == COLSTORE_HEADER_YES || opts->header_lines > 1;
	if (!empty && opts->header == COLSTORE_HEADER_AUTO && opts->header_lines <= 1) {
		im.header = 1;
		uint32_t typed = 0;
		for (uint32_t i = im.csv.nfields; i-- > 0;)
			if (!(im.csv.fields[i].flags & CS_CSV_QUOTED) && cs_looks_typed(&im.csv.fields[i])) {
				im.header = 0;
				typed = i + 1;
			}
		if (!im.header) {
			const cs_csv_field *f = &im.csv.fields[typed - 1];
			int n = f->len < 40 ? (int)f->len : 40;
			cs_warn(&im, "%s:%llu: no header row: field %u ('%.*s%s') is a number or a date, "
			        "so this row is data and the columns are column_1 ... column_%u "
			        "(--header reads it as names)",
			        im.path, (unsigned long long)im.csv.rec_line, typed, n, f->p,
			        (size_t)n < f->len ? "..." : "", im.csv.nfields);
		}
	}
	if (empty) {
		/* no header and no rows: a file has at least one column
		 * (format-spec.md), so one string column, column_1, with no rows */
		im.header = 0;
		im.csv.nfields = 1;
		cs_warn(&im, "%s: the input is empty: no header and no rows (the table gets one "
		        "string column, column_1, and no rows)", im.path);
	}
	if (im.header && opts->header_lines > 1) {
		cs_csv_field *hf = NULL;
		char **bufs = NULL;
		uint32_t nh = 0;
		rc = cs_join_header(&im, opts->header_lines, &hf, &nh, &bufs, err);
		if (!rc)
			rc = cs_set_names(&im, hf, nh, 1, err);
		for (uint32_t i = 0; bufs && i < nh; i++)
			free(bufs[i]);
		free(bufs);
		free(hf);
		im.hdr_extra = opts->header_lines - 1;
	} else {
		rc = cs_set_names(&im, im.csv.fields, im.csv.nfields, im.header, err);
	}
	if (rc || (rc = cs_apply_schema(&im, err)))
		goto out;
	for (uint32_t i = 0; i < im.ncols; i++)
		im.any_forced |= im.cols[i].forced && im.cols[i].type != COLSTORE_TYPE_STRING;
	im.csv.expect = im.ncols;
	if (opts->lenient && !empty)
		im.tables_ok = cs_imp_tables_ok(&im, (uint64_t)(im.csv.pos - im.csv.start), im.csv.line);
	/* a work unit of the parallel passes holds at most CS_UNIT_BYTES of
	 * values (at 16 bytes a field): 65536 rows, fewer for a wide table */
	uint32_t width = im.ncols ? im.ncols : 1;
	im.unit_rows = (uint32_t)(CS_UNIT_BYTES / 16 / width) / 64 * 64;
	im.unit_rows = im.unit_rows < 64 ? 64 : im.unit_rows > 65536 ? 65536 : im.unit_rows;
	/* each pass starts on the first record: the header (skipped) or data */
	/* pass 1 also sizes the string dictionaries, so it runs unless every
	 * column's type is forced and none is a string */
	int passes = 1;
	for (uint32_t i = 0; i < im.ncols; i++)
		if (!im.cols[i].forced || im.cols[i].type == COLSTORE_TYPE_STRING)
			passes = 2;
	if (passes == 2 && !empty) {
		if ((rc = cs_pass1(&im, err)))
			goto out;
		cs_csv_free(&im.csv);
		cs_map_release(im.data, 0, im.size); /* pass 2 reads from the start again */
		im.released = 0;
		if ((rc = cs_start(&im, err)))
			goto out;
	}
	/* pass 2: row groups of the size asked for; by default 65536 rows, or as
	 * many as keep a row group's values under CS_ROW_GROUP_BYTES (a table of
	 * thousands of columns gets short row groups, not gigabytes of buffers) */
	colstore_writer_options wo = opts->writer;
	if (!wo.row_group_size) {
		uint64_t row = 1;
		for (uint32_t i = 0; i < im.ncols; i++) {
			const cs_icol *col = &im.cols[i];
			if (col->type != COLSTORE_TYPE_STRING)
				row += col->type == COLSTORE_TYPE_BOOL ? 1 : colstore_type_width(col->type);
			else
				row += 4 + (col->counted ? col->bytes / col->counted : 16);
		}
		uint64_t rgs = CS_ROW_GROUP_BYTES / row;
		wo.row_group_size = rgs >= COLSTORE_DEFAULT_ROW_GROUP_SIZE ? COLSTORE_DEFAULT_ROW_GROUP_SIZE
		                    : rgs < 64 ? 64 : (uint32_t)rgs;
	}
	if ((rc = cs_imp_rejects_open(&im, err)))
		goto out;
	if ((rc = colstore_writer_create(out_path, &wo, &w, err)))
		goto out;
	for (uint32_t i = 0; i < im.ncols; i++) {
		if ((rc = colstore_writer_add_column(w, im.cols[i].name, im.cols[i].type,
		                                     im.cols[i].flags, err)))
			goto out;
		if (im.cols[i].flags == COLSTORE_COLUMN_DICT)
			cs_writer_budget_dict(w, i);
	}
	if (!empty &&
	    (rc = im.threads >= 2 && im.units ? cs_imp_pass2_mt(&im, w, passes, &rows, err)
	                                      : cs_pass2(&im, w, passes, &rows, err)))
		goto out;
	if ((rc = cs_imp_rejects_close(&im, 1, err)))
		goto out;
	rc = colstore_writer_finish(w, err);
	w = NULL;
	if (!rc && res) {
		memset(res, 0, sizeof(*res));
		res->rows = rows;
		res->columns = im.ncols;
		res->delimiter = (char)im.dialect.delim[0];
		memcpy(res->delimiter_string, im.dialect.delim, im.dialect.dlen);
		res->quote = im.dialect.quote;
		res->escape = im.dialect.esc == im.dialect.quote ? COLSTORE_NONE : im.dialect.esc;
		res->skipped_lines = im.skipped;
		res->encoding = encoding;
		res->compression = compression;
		res->bytes_text = text_size;
		res->had_header = im.header;
		res->bytes_in = size;
		res->padded = im.tally.padded;
		res->trimmed = im.tally.trimmed;
		res->rejected = im.tally.rejected;
		memcpy(res->padded_lines, im.tally.padded_lines, sizeof(res->padded_lines));
		memcpy(res->trimmed_lines, im.tally.trimmed_lines, sizeof(res->trimmed_lines));
		memcpy(res->rejected_lines, im.rej_first, sizeof(res->rejected_lines));
		memcpy(res->first_reject, im.first_reject, sizeof(res->first_reject));
		struct stat st;
		res->bytes_out = stat(out_path, &st) == 0 ? (uint64_t)st.st_size : 0;
	}
out:
	colstore_writer_abort(w);
	cs_imp_rejects_close(&im, 0, NULL);
	cs_csv_free(&im.csv);
	for (uint32_t i = 0; im.cols && i < im.ncols; i++) {
		free(im.cols[i].name);
		free(im.cols[i].hll);
	}
	free(im.cols);
	free(im.scratch.p);
	free(im.units);
	free(im.tally.rej);
	if (conv)
		cs_unmap(conv, conv_size);
	if (unpacked)
		cs_unmap(unpacked, unpacked_size);
	if (data)
		cs_unmap(data, size);
	return rc;
}
