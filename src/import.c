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

void cs_imp_warn(const colstore_import_options *o, const char *fmt, ...)
{
	if (!o->on_warning)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->on_warning(o->ctx, msg);
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

/* a date or timestamp column's formats: its own, or the import's */
static void cs_set_format(const colstore_import_options *o, cs_icol *col)
{
	if (col->type == COLSTORE_TYPE_DATE && !col->fmt)
		col->fmt = o->date_format;
	if (col->type == COLSTORE_TYPE_TIMESTAMP) {
		if (!col->fmt)
			col->fmt = o->timestamp_format;
		col->fmt2 = o->date_format;
	}
}

/* the schema's types on the table's columns (and --no-infer's) */
static int cs_apply_schema(cs_shared *sh, colstore_error *err)
{
	const colstore_import_options *o = sh->o;
	for (uint32_t i = 0; i < sh->ncols; i++)
		if (o->no_infer) {
			sh->cols[i].forced = 1;
			sh->cols[i].type = COLSTORE_TYPE_STRING;
		}
	for (uint32_t s = 0; s < o->n_schema; s++) {
		uint32_t i;
		for (i = 0; i < sh->ncols; i++)
			if (strcmp(sh->cols[i].name, o->schema_names[s]) == 0)
				break;
		if (i == sh->ncols)
			return sh->ninputs == 1
			               ? cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			                        "the schema names column '%s', which %s does not have",
			                        o->schema_names[s], sh->paths[0])
			               : cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			                        "the schema names column '%s', which no input has",
			                        o->schema_names[s]);
		if (!colstore_type_name(o->schema_types[s]))
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the schema gives column '%s' an unknown type", o->schema_names[s]);
		sh->cols[i].forced = 1;
		sh->cols[i].type = o->schema_types[s];
		const char *fmt = o->schema_formats ? o->schema_formats[s] : NULL, *why;
		if (fmt && o->schema_types[s] != COLSTORE_TYPE_DATE &&
		    o->schema_types[s] != COLSTORE_TYPE_TIMESTAMP)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the schema gives column '%s' a format, which only a date or a "
			              "timestamp takes", o->schema_names[s]);
		if (fmt && !cs_datefmt_check(fmt, o->schema_types[s] == COLSTORE_TYPE_TIMESTAMP, &why))
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the format '%s' of column '%s': %s", fmt, o->schema_names[s], why);
		sh->cols[i].fmt = fmt;
	}
	for (uint32_t i = 0; i < sh->ncols; i++)
		cs_set_format(o, &sh->cols[i]);
	return COLSTORE_OK;
}

/* ---- passes ------------------------------------------------------------------ */

/* every field of the record within --max-field-size */
int cs_imp_field_sizes(const cs_import *im, const cs_csv *c, colstore_error *err)
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
	int rc = cs_imp_field_sizes(im, c, err);
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
static uint32_t cs_choose_encoding(const colstore_import_options *o, const cs_icol *col)
{
	if (!col->hll || col->counted == 0)
		return COLSTORE_COLUMN_DICT;
	double n = (double)col->counted, d = cs_hll_estimate(col->hll);
	if (d > n)
		d = n;
	double avg = (double)col->bytes / n;
	double width = d <= 256 ? 1 : d <= 65536 ? 2 : 4;
	double dict = n * width + d * (avg + 4), plain = n * (avg + 4);
	uint64_t budget = o->writer.dict_budget ? o->writer.dict_budget : CS_DICT_BUDGET;
	if (dict < plain && d * (avg + 24) <= (double)budget)
		return COLSTORE_COLUMN_DICT;
	return COLSTORE_COLUMN_PLAIN;
}

int cs_imp_progress(cs_import *im, uint64_t done, int pass, int passes, uint64_t rows,
                    colstore_error *err)
{
	if (!im->o->on_progress || im->quiet)
		return COLSTORE_OK;
	const cs_shared *sh = im->sh;
	colstore_import_progress p = { pass, passes, sh->base + done, sh->total, sh->rows_base + rows };
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
/* the header row again, in one input (files joined with cat) */
static void cs_explain_header(cs_import *im)
{
	if (im->cols[0].hdr_line)
		cs_imp_warn(im->o, "%s:%llu: this row repeats the header row (files joined with cat?); "
		            "it is read as data", im->path, (unsigned long long)im->cols[0].hdr_line);
}

/* why the table's columns that had typed values are strings */
static void cs_explain(const cs_shared *sh)
{
	static const char *const nulls[] = { "NA", "N/A", "n/a", "null", "NULL", "None", "-", "?",
	                                     "nan", "NaN", "#N/A", "." };
	const colstore_import_options *o = sh->o;
	uint32_t said = 0, more = 0;
	for (uint32_t i = 0; i < sh->ncols; i++) {
		const cs_icol *col = &sh->cols[i];
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
		cs_imp_warn(o, "%s:%llu: column '%s' is a string from this value on: '%.*s'%s%s",
		            sh->paths[col->why_in], (unsigned long long)col->why_line, col->name,
		            (int)col->why_len, col->why, col->why_len == sizeof(col->why) ? "..." : "",
		            hint);
	}
	const char *all = sh->ninputs == 1 ? sh->paths[0] : "the inputs";
	if (more)
		cs_imp_warn(o, "%s: %u more columns became strings the same way", all, more);
	for (uint32_t i = 0; i < sh->ncols; i++) {
		const cs_icol *col = &sh->cols[i];
		if (!col->forced && !col->cand && col->seen && col->dmy)
			cs_imp_warn(o, "%s: column '%s' holds dates such as '%s' that read day-first or "
			            "month-first alike: kept as strings (--date-format %%d/%%m/%%Y or "
			            "%%m/%%d/%%Y reads them, with the separator they use)",
			            all, col->name, col->dmy_ex);
	}
}

/* the inference state of the columns as before pass 1 (sketch: forced
 * string columns get theirs from the start) */
static int cs_pass1_init(cs_icol *cols, uint32_t ncols, int sketch, colstore_error *err)
{
	for (uint32_t i = 0; i < ncols; i++) {
		cs_icol *col = &cols[i];
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
		if (sketch && col->forced && col->type == COLSTORE_TYPE_STRING &&
		    !(col->hll = calloc(1, CS_HLL_M)))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	return COLSTORE_OK;
}

/* A string column that had typed values first has only the values from
 * there on in its sketch (and, on several threads, from where each part saw
 * it turn): its sketch is made again from all its values, so that the
 * DICT/PLAIN choice is the same whatever the thread count. */
static int cs_rehash(cs_import *im, colstore_error *err)
{
	uint64_t start = im->body, line = im->body_line;
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

/* pass 1 on one input: its columns' inference */
int cs_imp_pass1(cs_import *im, colstore_error *err)
{
	cs_csv *c = &im->csv;
	uint64_t rows = 0;
	int rc = cs_pass1_init(im->cols, im->ncols, 1, err);
	if (rc)
		return rc;
	uint64_t start = im->body, line = im->body_line;
	if (im->dz)
		return cs_imp_pass1_stream(im, start, line, err);
	if (im->threads >= 2) {
		if ((rc = cs_imp_pass1_mt(im, start, line, err)))
			return rc;
		if (im->table_end && !im->table_end_known) {
			/* a part found a second table: infer again without its rows */
			im->table_end_known = 1;
			free(im->units);
			im->units = NULL;
			im->nunits = 0;
			if ((rc = cs_pass1_init(im->cols, im->ncols, 1, err)) ||
			    (rc = cs_imp_pass1_mt(im, start, line, err)))
				return rc;
		}
	} else {
		cs_csv peek;
		if (cs_csv_init(&peek, im->data, im->size, &im->dialect))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		peek.expect = im->ncols;
		int more = im->header ? cs_csv_next(c, err) : 1;
		size_t cap = 0;
		while (more == 1) {
			/* pass 2's work units, as the parallel pass 1 finds them */
			if (rows % im->unit_rows == 0) {
				if (im->nunits == cap) {
					cap = cap ? cap * 2 : 16;
					cs_unit *u = realloc(im->units, cap * sizeof(cs_unit));
					if (!u) {
						cs_csv_free(&peek);
						return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
						              "out of memory");
					}
					im->units = u;
				}
				uint64_t at = (uint64_t)(c->rec_start - c->start);
				if (im->nunits)
					im->units[im->nunits - 1].end = at;
				im->units[im->nunits++] = (cs_unit){ at, 0, c->rec_line };
			}
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
		if (im->nunits)
			im->units[im->nunits - 1].end = (uint64_t)(c->pos - c->start);
		else if (!(im->units = calloc(1, sizeof(cs_unit)))) /* no rows: no unit */
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	return COLSTORE_OK;
}

/* every column's type from the inference of all the inputs */
static void cs_decide(cs_shared *sh)
{
	for (uint32_t i = 0; i < sh->ncols; i++) {
		cs_icol *col = &sh->cols[i];
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
}

/* an input's columns take the table's types, encodings and formats */
static void cs_take_types(cs_import *im)
{
	for (uint32_t i = 0; i < im->ncols; i++) {
		const cs_icol *t = &im->sh->cols[im->wcol[i]];
		im->cols[i].type = t->type;
		im->cols[i].flags = t->flags;
		im->cols[i].fmt = t->fmt;
		im->cols[i].fmt2 = t->fmt2;
	}
}

/* the string columns' sketches, whole over every input (cs_rehash), into
 * the table's; then its encodings and formats */
static int cs_sketch(cs_import *ims, uint32_t n, colstore_error *err)
{
	cs_shared *sh = ims[0].sh;
	for (uint32_t k = 0; k < n; k++) {
		cs_import *im = &ims[k];
		if (im->empty)
			continue;
		cs_take_types(im);
		int rc = cs_rehash(im, err);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < im->ncols; i++) {
			cs_icol *t = &sh->cols[im->wcol[i]];
			if (t->type == COLSTORE_TYPE_STRING)
				cs_imp_merge_sketch(t, &im->cols[i]);
			free(im->cols[i].hll);
			im->cols[i].hll = NULL;
		}
	}
	for (uint32_t i = 0; i < sh->ncols; i++) {
		if (sh->cols[i].type == COLSTORE_TYPE_STRING)
			sh->cols[i].flags = cs_choose_encoding(sh->o, &sh->cols[i]);
		cs_set_format(sh->o, &sh->cols[i]);
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

/* field i of the record into the table's column wcol[i] */
static int cs_put_field(cs_import *im, colstore_writer *w, uint32_t i, const cs_csv_field *f,
                        colstore_error *err)
{
	const cs_icol *col = &im->cols[i];
	uint32_t to = im->wcol[i];
	if (cs_imp_is_null(im, f))
		return colstore_writer_put_null(w, to, err);
	const char *p;
	uint32_t n;
	if (cs_imp_text(&im->scratch, f, &p, &n))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (col->type == COLSTORE_TYPE_STRING)
		return colstore_writer_put_string(w, to, p, n, err);
	int64_t iv = 0;
	double dv = 0;
	if (!cs_imp_parse_value(col, p, n, &iv, &dv))
		return cs_imp_bad_value(err, im->csv.rec_line, i, col, p, n);
	return col->type == COLSTORE_TYPE_FLOAT32 || col->type == COLSTORE_TYPE_FLOAT64
	               ? colstore_writer_put_double(w, to, dv, err)
	               : colstore_writer_put_int(w, to, iv, err);
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
			if ((rc = colstore_writer_put_null(w, im->wcol[i], err)))
				return rc;
		for (uint32_t k = 0; k < im->nabsent; k++) /* --union */
			if ((rc = colstore_writer_put_null(w, im->absent[k], err)))
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

/* pass 1 over every input, into the table's inference; then the types */
static int cs_infer_all(cs_import *ims, uint32_t n, colstore_error *err)
{
	cs_shared *sh = ims[0].sh;
	int rc = cs_pass1_init(sh->cols, sh->ncols, 0, err);
	/* inputs smaller than 8 MiB a thread: one thread each, several at once */
	uint32_t *small = rc ? NULL : malloc(n * sizeof(uint32_t)), nsmall = 0, failed = 0;
	if (!rc && !small)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t k = 0; !rc && sh->threads >= 2 && k < n; k++)
		if (!ims[k].empty && ims[k].size < (uint64_t)sh->threads * (8u << 20))
			small[nsmall++] = k;
	if (nsmall < 2)
		nsmall = 0;
	for (uint32_t j = 0; j < nsmall; j++) {
		ims[small[j]].threads = 1;
		ims[small[j]].quiet = 1; /* (progress from the calling thread only) */
	}
	if (nsmall && (rc = cs_imp_each(ims, small, nsmall, sh->threads, 1, &failed, err)))
		rc = cs_input_error(&ims[failed], rc, err);
	for (uint32_t k = 0; k < n && !rc; k++) {
		cs_import *im = &ims[k];
		if (im->empty)
			continue;
		if (!im->quiet && (rc = cs_input_error(im, cs_imp_pass1(im, err), err)))
			break;
		im->quiet = 0;
		cs_explain_header(im);
		cs_imp_merge(sh->cols, im->cols, im->ncols, 0, im->data, im->wcol, k, 0);
		cs_csv_free(&im->csv);
		cs_map_release(im->data, 0, im->size); /* pass 2 reads from the start again */
		im->released = 0;
		sh->base += im->size;
		sh->rows_base = 0;
	}
	free(small);
	if (rc)
		return rc;
	cs_decide(sh);
	cs_explain(sh);
	return cs_sketch(ims, n, err);
}

/* row groups of the size asked for; by default 65536 rows, or as many as
 * keep a row group's values under CS_ROW_GROUP_BYTES (a table of thousands
 * of columns gets short row groups, not gigabytes of buffers) */
static uint32_t cs_row_group_size(const cs_shared *sh)
{
	uint64_t row = 1;
	for (uint32_t i = 0; i < sh->ncols; i++) {
		const cs_icol *col = &sh->cols[i];
		if (col->type != COLSTORE_TYPE_STRING)
			row += col->type == COLSTORE_TYPE_BOOL ? 1 : colstore_type_width(col->type);
		else
			row += 4 + (col->counted ? col->bytes / col->counted : 16);
	}
	uint64_t rgs = CS_ROW_GROUP_BYTES / row;
	return rgs >= COLSTORE_DEFAULT_ROW_GROUP_SIZE ? COLSTORE_DEFAULT_ROW_GROUP_SIZE
	       : rgs < 64                            ? 64
	                                             : (uint32_t)rgs;
}

static void cs_result(const cs_import *ims, uint32_t n, uint64_t rows, const char *out_path,
                      colstore_import_result *res)
{
	const cs_shared *sh = ims[0].sh;
	const cs_import *im = &ims[sh->first];
	memset(res, 0, sizeof(*res));
	res->rows = rows;
	res->columns = sh->ncols;
	res->delimiter = (char)im->dialect.delim[0];
	memcpy(res->delimiter_string, im->dialect.delim, im->dialect.dlen);
	res->quote = im->dialect.quote;
	res->escape = im->dialect.esc == im->dialect.quote ? COLSTORE_NONE : im->dialect.esc;
	res->skipped_lines = im->skipped;
	res->had_header = im->header;
	for (uint32_t k = 0; k < n; k++) {
		if (!res->encoding)
			res->encoding = ims[k].encoding;
		if (!res->compression)
			res->compression = ims[k].compression;
		res->bytes_text += ims[k].size;
		res->bytes_in += ims[k].map_size;
	}
	res->padded = sh->tally.padded;
	res->trimmed = sh->tally.trimmed;
	res->rejected = sh->tally.rejected;
	memcpy(res->padded_lines, sh->tally.padded_lines, sizeof(res->padded_lines));
	memcpy(res->trimmed_lines, sh->tally.trimmed_lines, sizeof(res->trimmed_lines));
	memcpy(res->rejected_lines, sh->rej_first, sizeof(res->rejected_lines));
	memcpy(res->first_reject, sh->first_reject, sizeof(res->first_reject));
	struct stat st;
	res->bytes_out = stat(out_path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

int colstore_import_files(const char *const *paths, size_t n, const char *out_path,
                          const colstore_import_options *opts, colstore_import_result *res,
                          colstore_error *err)
{
	colstore_import_options def = COLSTORE_IMPORT_OPTIONS_INIT;
	if (!paths || !n || n > UINT32_MAX || !out_path)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "input and output paths are required");
	for (size_t k = 0; k < n; k++)
		if (!paths[k] || (opts && opts->input_names && !opts->input_names[k]))
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "input %zu is NULL", k);
	if (!opts)
		opts = &def;
	int rc = cs_imp_check_options(opts, err);
	if (rc)
		return rc;
	/* the output may be none of the inputs */
	for (size_t k = 0; k < n; k++) {
		struct stat in_st;
		if ((rc = stat(paths[k], &in_st) == 0 ? cs_check_output(out_path, &in_st, err)
		                                      : cs_check_output(out_path, NULL, err)))
			return rc;
	}
	cs_shared sh;
	memset(&sh, 0, sizeof(sh));
	sh.o = opts;
	sh.header = -1;
	sh.ninputs = (uint32_t)n;
	cs_dict_init(&sh.names);
	const char **shown = malloc(n * sizeof(char *));
	cs_import *ims = calloc(n, sizeof(cs_import));
	colstore_writer *w = NULL;
	colstore_type *file_types = NULL; /* --append: the file's column types */
	uint64_t rows = 0;
	if (!shown || !ims) {
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		shown[k] = opts->input_names ? opts->input_names[k]
		           : n == 1 && opts->input_name ? opts->input_name
		                                        : paths[k];
	sh.paths = shown;
	if (opts->append && access(out_path, F_OK) == 0 &&
	    (rc = cs_table_from_file(&sh, out_path, &file_types, err)))
		goto out;
	/* every input mapped (decompressed, converted), several at once; then
	 * in order, its header read and its columns matched */
	uint32_t *all = malloc(n * sizeof(uint32_t)), failed = 0;
	if (!all) {
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		goto out;
	}
	for (uint32_t k = 0; k < n; k++) {
		cs_input_init(&ims[k], &sh, k);
		ims[k].file = paths[k];
		all[k] = k;
	}
	rc = cs_imp_each(ims, all, (uint32_t)n, ims[0].threads, 0, &failed, err);
	free(all);
	if (rc) {
		rc = cs_input_error(&ims[failed], rc, err);
		goto out;
	}
	for (uint32_t k = 0; k < n; k++) {
		cs_import *im = &ims[k];
		if ((rc = cs_input_error(im, cs_input_open(im, err), err)))
			goto out;
		if (!im->empty && (rc = cs_input_error(im, cs_input_match(im, err), err)))
			goto out;
		sh.total += im->dz ? im->size_est : im->size;
		im->est_counted = im->dz != NULL;
	}
	/* a thread per 8 MiB of all the inputs at most: each input is read on
	 * that many (each of thousands of small inputs on one would be slow) */
	for (uint32_t k = 0; k < n && !opts->threads; k++)
		if (sh.total / (8u << 20) + 1 < ims[k].threads)
			ims[k].threads = (uint32_t)(sh.total / (8u << 20) + 1);
	sh.threads = ims[0].threads;
	if (!sh.ncols) {
		/* no header and no rows anywhere: a file has at least one column
		 * (format-spec.md), so one string column, column_1, with no rows */
		cs_imp_warn(opts, "%s: the input is empty: no header and no rows (the table gets one "
		            "string column, column_1, and no rows)", n == 1 ? shown[0] : "every input");
		ims[0].csv.nfields = 1;
		if ((rc = cs_imp_set_names(&ims[0], ims[0].csv.fields, 1, 0, err)) ||
		    (rc = cs_input_match(&ims[0], err)))
			goto out;
	}
	if ((rc = cs_apply_schema(&sh, err)))
		goto out;
	for (uint32_t i = 0; sh.into && i < sh.ncols; i++)
		if (sh.cols[i].type != file_types[i]) {
			rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			            "column '%s' is %s in %s, the file appended to, not %s",
			            sh.cols[i].name, colstore_type_name(file_types[i]), sh.into,
			            colstore_type_name(sh.cols[i].type));
			goto out;
		}
	for (uint32_t k = 0; k < n; k++)
		if (!ims[k].empty && (rc = cs_input_absent(&ims[k], err)))
			goto out;
	for (uint32_t k = 0; k < n; k++)
		if (!ims[k].empty)
			cs_input_ready(&ims[k]);
	/* pass 1 also sizes the string dictionaries, so it runs unless every
	 * column's type is forced and none is a string */
	int passes = sh.into ? 2 : 1; /* (an append: pass 1 finds the work units) */
	for (uint32_t i = 0; i < sh.ncols; i++)
		if (!sh.cols[i].forced || sh.cols[i].type == COLSTORE_TYPE_STRING)
			passes = 2;
	if (passes == 2 && (rc = cs_infer_all(ims, (uint32_t)n, err)))
		goto out;
	for (uint32_t k = 0; k < n; k++) /* (pass 1 reads a streamed input whole) */
		if ((rc = cs_input_error(&ims[k], cs_input_whole(&ims[k], err), err)))
			goto out;
	colstore_writer_options wo = opts->writer;
	if (!wo.row_group_size)
		wo.row_group_size = cs_row_group_size(&sh);
	if ((rc = cs_imp_rejects_open(&ims[0], err)))
		goto out;
	if (sh.into) {
		wo.row_group_size = opts->writer.row_group_size; /* the file's, unless given */
		if ((rc = colstore_writer_open_append(out_path, &wo, &w, err)))
			goto out;
	} else if ((rc = colstore_writer_create(out_path, &wo, &w, err))) {
		goto out;
	}
	for (uint32_t i = 0; !sh.into && i < sh.ncols; i++) {
		if ((rc = colstore_writer_add_column(w, sh.cols[i].name, sh.cols[i].type,
		                                     sh.cols[i].flags, err)))
			goto out;
		if (sh.cols[i].flags == COLSTORE_COLUMN_DICT)
			cs_writer_budget_dict(w, i);
	}
	/* pass 2: the inputs in turn into the writer; on several threads as
	 * one pipeline, with no pause between inputs */
	sh.base = sh.rows_base = 0;
	int pipeline = 1;
	for (uint32_t k = 0; k < n; k++) {
		cs_import *im = &ims[k];
		if (im->empty)
			continue;
		cs_take_types(im);
		if (passes == 2 && (rc = cs_input_error(im, cs_imp_start(im, err), err)))
			goto out;
		pipeline &= sh.threads >= 2 && im->units;
	}
	if (pipeline) {
		if ((rc = cs_imp_pass2_mt(ims, (uint32_t)n, w, passes, &rows, &failed, err)))
			rc = cs_input_error(&ims[failed], rc, err);
	}
	for (uint32_t k = 0; !pipeline && k < n; k++) {
		cs_import *im = &ims[k];
		if (im->empty)
			continue;
		uint64_t got = 0;
		rc = im->threads >= 2 && im->units
		             ? cs_imp_pass2_mt(im, 1, w, passes, &got, &failed, err)
		             : cs_pass2(im, w, passes, &got, err);
		if ((rc = cs_input_error(im, rc, err)))
			goto out;
		rows += got;
		sh.base += im->size;
		sh.rows_base += got;
		cs_input_unmap(im); /* its temporary files go as soon as it is read */
	}
	if (rc)
		goto out;
	if ((rc = cs_imp_rejects_close(&ims[0], 1, err)))
		goto out;
	rc = colstore_writer_finish(w, err);
	w = NULL;
	if (!rc && res)
		cs_result(ims, (uint32_t)n, rows, out_path, res);
out:
	colstore_writer_abort(w);
	if (ims)
		cs_imp_rejects_close(&ims[0], 0, NULL);
	for (uint32_t k = 0; ims && k < n; k++)
		cs_input_free(&ims[k]);
	for (uint32_t i = 0; i < sh.ncols; i++) {
		free(sh.cols[i].name);
		free(sh.cols[i].hll);
	}
	free(sh.cols);
	free(sh.tally.rej);
	free(file_types);
	cs_dict_free(&sh.names);
	free(ims);
	free(shown);
	return rc;
}

int colstore_import_csv(const char *csv_path, const char *out_path,
                        const colstore_import_options *opts, colstore_import_result *res,
                        colstore_error *err)
{
	return colstore_import_files(&csv_path, 1, out_path, opts, res, err);
}
