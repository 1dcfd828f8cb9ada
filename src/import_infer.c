/*
 * import_infer.c -- pass 1 of colstore_import_csv(): every field of every
 * record checked against the limits and counted into its column's
 * inference (the candidate types, their formats, the lengths and a sketch
 * of distinct strings), over the whole input; then each column's type and
 * encoding decided, and explained with --explain.
 */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "import.h"

/* ---- passes ------------------------------------------------------------------ */

/* every field of the record within --max-field-size */
int cs_imp_field_sizes(const cs_import *im, const cs_csv *c, colstore_error *err)
{
	/* most records are looked at no further */
	if (!cs_imp_span_fits(im, c))
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
		if (cs_parse_int_in(p, n, im->data, &v)) {
			if (v < col->imin)
				col->imin = v;
			if (v > col->imax)
				col->imax = v;
			col->cand = cand & (CAND_INT | CAND_FLOAT);
			/* an integer of at most 15 characters is a float64 too */
			if (n > 15 && !cs_parse_double(p, n, NULL))
				col->cand &= ~(unsigned)CAND_FLOAT; /* > 15 digits */
			return;
		}
		cand &= ~(unsigned)CAND_INT;
	}
	if ((cand & CAND_FLOAT) && !cs_parse_double_in(p, n, im->data, NULL))
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
	uint64_t h = cs_str_hash(p, (uint32_t)n);
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

/* the estimate of a string column's distinct values, at most its count
 * (col->hll set, col->counted > 0) */
static double cs_distinct(const cs_icol *col)
{
	double n = (double)col->counted, d = cs_hll_estimate(col->hll);
	return d < n ? d : n;
}

uint64_t cs_imp_distinct(const cs_icol *col)
{
	return col->hll && col->counted ? (uint64_t)cs_distinct(col) : 0;
}

/* DICT when codes plus the dictionary are smaller than offsets plus bytes
 * and the dictionary fits the writer's memory budget (README.md) */
static uint32_t cs_choose_encoding(const colstore_import_options *o, const cs_icol *col)
{
	if (!col->hll || col->counted == 0)
		return COLSTORE_COLUMN_DICT;
	double n = (double)col->counted, d = cs_distinct(col);
	double avg = (double)col->bytes / n;
	double width = d <= 256 ? 1 : d <= 65536 ? 2 : 4;
	double dict = n * width + d * (avg + 4), plain = n * (avg + 4);
	uint64_t budget = o->writer.dict_budget ? o->writer.dict_budget : CS_DICT_BUDGET;
	if (dict < plain && d * (avg + 36) <= (double)budget)
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

/* a column down to one type (integers: int and float64) whose value is
 * one of it, checked and counted with no more asked; most fields are.
 * 0: the general path decides (it gives the same answer for such a value) */
static inline int cs_settled(const cs_import *im, cs_icol *col, const cs_csv_field *f)
{
	int64_t v;
	switch (col->cand) {
	case CAND_INT | CAND_FLOAT:
		if (f->len > 15 || !cs_parse_int_in(f->p, f->len, im->data, &v))
			return 0;
		col->imin = v < col->imin ? v : col->imin;
		col->imax = v > col->imax ? v : col->imax;
		return 1;
	case CAND_FLOAT: return cs_parse_double_in(f->p, f->len, im->data, NULL);
	case CAND_TS: return cs_parse_timestamp_m(f->p, f->len, NULL, &col->memo);
	case CAND_DATE: return cs_parse_date_m(f->p, f->len, NULL, &col->memo);
	case CAND_BOOL: return cs_parse_bool(f->p, f->len, NULL);
	default: return 0;
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
		if (!col->dmy && !(f->flags & CS_CSV_ESCAPED) && cs_settled(im, col, f))
			continue;
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
	if (im->header && !cols[0].hdr_line && cs_imp_is_header(im, c))
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
		uint64_t urows = 0, ustart = 0, populated = 0;
		while (more == 1) {
			/* pass 2's work units, as the parallel pass 1 finds them */
			uint64_t at = (uint64_t)(c->rec_start - c->start);
			cs_populate_ahead(im->data, &populated, at, im->size);
			if (cs_imp_unit_full(im, im->nunits, urows, at - ustart)) {
				urows = 0;
				ustart = at;
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
			urows++;
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
void cs_imp_take_types(cs_import *im)
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
		cs_imp_take_types(im);
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
		cs_imp_set_format(sh->o, &sh->cols[i]);
	}
	return COLSTORE_OK;
}

/* pass 1 over every input, into the table's inference; then the types */
int cs_imp_infer_all(cs_import *ims, uint32_t n, colstore_error *err)
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
