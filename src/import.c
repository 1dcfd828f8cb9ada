/*
 * import.c -- colstore_import_csv(): map the CSV, infer every column's type
 * over the whole input (pass 1, import_infer.c), then parse again and
 * stream the values into a colstore_writer (pass 2).  The rules are in
 * README.md, "Importing CSV".
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

int cs_imp_is_marker(const cs_import *im, const cs_csv_field *f)
{
	for (uint32_t k = 0; k < im->n_nulls; k++)
		if (f->len == im->null_lens[k] && memcmp(f->p, im->nulls[k], f->len) == 0)
			return 1;
	return 0;
}

int cs_imp_unescape(cs_scratch *sc, const cs_csv_field *f, const char **p, uint32_t *len)
{
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
void cs_imp_set_format(const colstore_import_options *o, cs_icol *col)
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
		cs_imp_set_format(o, &sh->cols[i]);
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

int cs_imp_rowwise;

/* one input's rows one at a time into w; its size then added to the bytes
 * before the next input (sh->base), as cs_imp_pass2_mt() does for each
 * input it finishes: the pass that reads an input moves progress past it */
static int cs_pass2(cs_import *im, colstore_writer *w, int passes, uint64_t *rows_out,
                    colstore_error *err)
{
	cs_tally t;
	memset(&t, 0, sizeof(t));
	int rc = cs_pass2_rows(im, w, passes, rows_out, &t, err);
	free(t.rej);
	if (!rc)
		im->sh->base += im->size;
	return rc;
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
	if (passes == 2 && (rc = cs_imp_infer_all(ims, (uint32_t)n, err)))
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
		if (sh.cols[i].flags == COLSTORE_COLUMN_DICT) {
			cs_writer_budget_dict(w, i);
			cs_writer_reserve_dict(w, i, cs_imp_distinct(&sh.cols[i]));
		}
	}
	/* pass 2: the inputs in turn into the writer; on several threads as
	 * one pipeline, with no pause between inputs */
	sh.base = sh.rows_base = 0;
	int pipeline = 1;
	for (uint32_t k = 0; k < n; k++) {
		cs_import *im = &ims[k];
		if (im->empty)
			continue;
		cs_imp_take_types(im);
		if (passes == 2 && (rc = cs_input_error(im, cs_imp_start(im, err), err)))
			goto out;
		pipeline &= sh.threads >= 2 && im->units && !cs_imp_rowwise;
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
		rc = im->units && !cs_imp_rowwise
		             ? cs_imp_pass2_mt(im, 1, w, passes, &got, &failed, err)
		             : cs_pass2(im, w, passes, &got, err);
		if ((rc = cs_input_error(im, rc, err)))
			goto out;
		rows += got; /* (sh.base: moved past im by the pass) */
		sh.rows_base += got;
		cs_input_unmap(im); /* its temporary files go as soon as it is read */
	}
	if (rc)
		goto out;
	/* the rejects file's text written out, then the file, then the rejects
	 * file made (renamed into place): a failed finish leaves neither */
	if ((rc = cs_imp_rejects_flush(&ims[0], err)))
		goto out;
	rc = colstore_writer_finish(w, err);
	w = NULL;
	if (!rc)
		rc = cs_imp_rejects_close(&ims[0], 1, err);
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
