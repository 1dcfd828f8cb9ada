/*
 * import_input.c -- the inputs of a CSV import: each one mapped (and
 * decompressed, and converted to UTF-8), its dialect found, and its columns
 * matched by name to the table's (README.md, "Several inputs").
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "import.h"

/* text that is not UTF-8 in the first 64 KiB: where (said by
 * cs_tell_utf8, from the importing thread) */
static void cs_check_utf8(cs_import *im)
{
	size_t n = im->size < (1u << 16) ? im->size : (1u << 16);
	size_t ok = cs_utf8_prefix(im->data, n);
	if (ok == n || (n < im->size && n - ok < 4))
		return; /* all well-formed, or a character cut by the sample's end */
	im->not_utf8 = ok + 1;
}

/* said, with the way out (the bytes are kept as they are) */
static void cs_tell_utf8(cs_import *im)
{
	if (!im->not_utf8)
		return;
	size_t ok = im->not_utf8 - 1;
	uint64_t line = 1;
	for (size_t i = 0; i < ok; i++)
		line += im->data[i] == '\n';
	cs_imp_warn(im->o, "%s:%llu: not UTF-8 text (byte 0x%02x at offset %zu): the bytes are kept "
	            "as they are (--encoding latin1 or cp1252 converts them)", im->path,
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

void cs_input_unmap(cs_import *im)
{
	cs_dz_cancel(im->dz); /* (before the compressed input it reads goes) */
	im->dz = NULL;
	if (im->conv)
		cs_unmap(im->conv, im->conv_size);
	if (im->unpacked)
		cs_unmap(im->unpacked, im->unpacked_size);
	if (im->map)
		cs_unmap(im->map, im->map_size);
	im->conv = im->unpacked = im->map = NULL;
	im->data = NULL; /* (im->size stays: the text's size, for the result) */
}

/* a large compressed input, the only one, read as it is decompressed:
 * started, and waited for until its first cs_stream.head bytes are written.
 * *streamed: 1 when it goes on (im->data and im->size the text so far); 0
 * when it was not started, or was done already (then im->unpacked holds
 * the whole text) */
cs_stream_sizes cs_stream = { 1 << 20, 4 << 20, 16 << 20, 1 << 20, (size_t)1 << 40 };

static int cs_input_stream(cs_import *im, int *streamed, colstore_error *err)
{
	*streamed = 0;
	const char *what = cs_compressed(im->map, im->map_size);
	/* (--skip N and --header-lines N read lines that may lie past the text
	 * so far before pass 1: those inputs are decompressed whole first) */
	const colstore_import_options *o = im->o;
	if (!what || im->map_size < cs_stream.min || im->sh->ninputs != 1 || o->lenient ||
	    o->encoding || o->skip > 0 || o->header_lines > 1)
		return COLSTORE_OK;
	cs_dz *z = cs_dz_start(im->map, im->map_size, what, im->threads, err);
	if (!z)
		return COLSTORE_OK; /* (decompressed whole, in place) */
	/* the dialect is found in the first cs_sniff_bytes, and text told from
	 * binary data by the first CS_SNIFF_LOOK: all of them there (text with
	 * a NUL past its first bytes is named binary, as when not streamed) */
	uint64_t avail, head = cs_stream.head > cs_sniff_bytes ? cs_stream.head : cs_sniff_bytes + 1;
	if (head <= CS_SNIFF_LOOK)
		head = CS_SNIFF_LOOK + 1;
	int done;
	while (!(done = cs_dz_wait(z, head, 1000, &avail)) && avail < head)
		;
	const uint8_t *p = cs_dz_view(z);
	im->dz = z;
	im->compression = what;
	im->data = p;
	im->size = avail;
	im->size_est = cs_dz_estimate(z, im->map, im->map_size, what);
	if (im->size_est < avail)
		im->size_est = avail;
	/* small, or UTF-16 (converted whole): decompressed whole first */
	if (done || (avail >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff))))
		return cs_input_whole(im, err);
	*streamed = 1;
	return COLSTORE_OK;
}

int cs_input_whole(cs_import *im, colstore_error *err)
{
	if (!im->dz)
		return COLSTORE_OK;
	uint64_t size;
	int rc = cs_dz_finish(im->dz, &im->unpacked, &im->unpacked_size, &size, err);
	im->dz = NULL;
	cs_unmap(im->map, im->map_size); /* read once: the text is all in the temporary file */
	im->map = NULL;
	if (rc) {
		im->data = NULL;
		im->size = 0;
		return rc;
	}
	if (im->est_counted)
		im->sh->total = im->sh->total - im->size_est + size;
	im->est_counted = 0;
	im->size = (size_t)size;
	im->data = im->unpacked;
	return COLSTORE_OK;
}

int cs_input_map(cs_import *im, const char *file, colstore_error *err)
{
	static const uint8_t cs_no_bytes[1];
	int rc = cs_map_input(file, &im->map, &im->map_size, err);
	if (rc)
		return rc;
	int streamed;
	if ((rc = cs_input_stream(im, &streamed, err)))
		return rc;
	/* compressed input: decompressed first (then, if need be, converted) */
	const void *raw = im->map;
	size_t raw_size = im->map_size;
	if (im->compression) { /* (by cs_input_stream) */
		raw = im->data;
		raw_size = im->size;
	} else if ((rc = cs_decompress(im->map, im->map_size, &im->unpacked, &im->unpacked_size,
	                               &im->compression, err))) {
		return rc;
	} else if (im->compression) {
		raw = im->unpacked;
		raw_size = im->unpacked_size;
		cs_unmap(im->map, im->map_size); /* read once: the text is all in the temporary file */
		im->map = NULL;
	}
	/* (streamed text is neither UTF-16 nor to be converted: cs_input_stream) */
	if (!streamed && (rc = cs_transcode(raw, raw_size, im->o->encoding, &im->conv,
	                                    &im->conv_size, &im->encoding, err)))
		return rc;
	if (im->encoding) { /* the converted text is all in its own temporary file */
		if (im->unpacked)
			cs_unmap(im->unpacked, im->unpacked_size);
		else
			cs_unmap(im->map, im->map_size);
		im->unpacked = im->map = NULL;
	}
	const void *text = im->encoding ? im->conv : raw;
	im->size = im->encoding ? im->conv_size : raw_size;
	im->data = text ? text : cs_no_bytes; /* an empty file maps to nothing */
	if (text)
		cs_map_advise_sequential(text, im->size); /* read front to back, twice */
	const char *what = cs_sniff(im->data, im->size);
	if (im->size && what && strncmp(what, "text", 4) != 0)
		return cs_imp_at(err, COLSTORE_EPARSE, 1, 0, "this is %s, not CSV text%s", what,
		                 what[0] == 'a' ? ""
		                 : strstr(what, "compressed") ? " (gzip, zstd and LZ4 are read as they "
		                                                "are; decompress this one first)"
		                                              : " (decompress it first, into a file or "
		                                                "'-')");
	if ((rc = cs_dialect_setup(im, err)))
		return rc;
	if (!im->encoding)
		cs_check_utf8(im);
	return COLSTORE_OK;
}

/* the next column of the table, named name: inference as before pass 1 */
int cs_table_add(cs_shared *sh, const char *name, colstore_error *err)
{
	if (sh->ncols == sh->cap) {
		uint32_t cap = sh->cap ? sh->cap * 2 : 16;
		cs_icol *g = realloc(sh->cols, cap * sizeof(cs_icol));
		if (!g)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		sh->cols = g;
		sh->cap = cap;
	}
	cs_icol *col = &sh->cols[sh->ncols];
	memset(col, 0, sizeof(*col));
	col->type = COLSTORE_TYPE_STRING;
	if (!(col->name = strdup(name)))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	sh->ncols++;
	return COLSTORE_OK;
}

int cs_input_match(cs_import *im, colstore_error *err)
{
	cs_shared *sh = im->sh;
	if (!(im->wcol = malloc((im->ncols ? im->ncols : 1) * sizeof(uint32_t))))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int first = sh->ncols == 0;
	const char *from = sh->into ? sh->into : sh->paths[sh->first];
	const char *what = sh->into ? "the file appended to" : "the first input";
	for (uint32_t i = 0; i < im->ncols; i++) {
		const char *name = im->cols[i].name;
		uint32_t at; /* the names' codes are the table's column indexes */
		if (cs_dict_intern(&sh->names, name, (uint32_t)strlen(name), &at))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (at == sh->ncols) {
			if (sh->into)
				return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				              "%s: column '%s' is not in %s, the file appended to (an append "
				              "adds rows, not columns)", im->path, name, sh->into);
			if (!first && !im->o->union_columns)
				return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				              "%s: column '%s' is not in %s, the first input (--union "
				              "takes every input's columns, null where an input lacks one)",
				              im->path, name, from);
			int rc = cs_table_add(sh, name, err);
			if (rc)
				return rc;
		}
		im->wcol[i] = at;
	}
	if (!first && !im->o->union_columns && im->ncols < sh->ncols) {
		uint8_t *has = calloc(sh->ncols, 1);
		if (!has)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		for (uint32_t i = 0; i < im->ncols; i++)
			has[im->wcol[i]] = 1;
		uint32_t j = 0;
		while (has[j])
			j++;
		free(has);
		return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
		              "%s has no column '%s', which %s, %s, has (--union reads it as null "
		              "there)", im->path, sh->cols[j].name, from, what);
	}
	return COLSTORE_OK;
}

int cs_input_absent(cs_import *im, colstore_error *err)
{
	cs_shared *sh = im->sh;
	free(im->absent);
	im->absent = NULL;
	im->nabsent = 0;
	if (im->ncols == sh->ncols)
		return COLSTORE_OK; /* names are unique: every column is there */
	uint8_t *has = calloc(sh->ncols, 1);
	im->absent = malloc(sh->ncols * sizeof(uint32_t));
	if (!has || !im->absent) {
		free(has);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t i = 0; i < im->ncols; i++)
		has[im->wcol[i]] = 1;
	for (uint32_t j = 0; j < sh->ncols; j++)
		if (!has[j])
			im->absent[im->nabsent++] = j;
	free(has);
	return COLSTORE_OK;
}

/* ---- an input's header and columns ------------------------------------------ */

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
int cs_imp_set_names(cs_import *im, const cs_csv_field *fields, uint32_t nfields,
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
				cs_imp_warn(im->o, "%s:%llu: column %u has an empty name; calling it '%s'",
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
			cs_imp_warn(im->o, "%s:%llu: column %u repeats the name '%s'; calling it '%s'", im->path,
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

/* the first record: header or data (COLSTORE_HEADER_AUTO) */
int cs_imp_start(cs_import *im, colstore_error *err)
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

/* an input's first record: header or data.  The first input that is not
 * empty decides (COLSTORE_HEADER_AUTO) for every input: its columns are
 * named from its header, or column_1 ... */
static int cs_input_head(cs_import *im, colstore_error *err);

/* an input's header: its dialect's first record read, its names set */
int cs_input_open(cs_import *im, colstore_error *err)
{
	int rc = cs_input_head(im, err);
	if (rc && im->dz) {
		/* damaged data further on is the error, as it is unstreamed */
		colstore_error e;
		int zr = cs_input_whole(im, &e);
		if (zr) {
			if (err)
				*err = e;
			return zr;
		}
	}
	return rc;
}

static int cs_input_head(cs_import *im, colstore_error *err)
{
	const colstore_import_options *o = im->o;
	cs_shared *sh = im->sh;
	cs_tell_utf8(im);
	int rc = cs_imp_start(im, err);
	if (im->dz && (rc || im->csv.pos >= im->csv.end)) {
		/* streamed, and the first record may go on past the text written
		 * so far: read once the whole text is */
		cs_csv_free(&im->csv);
		if ((rc = cs_input_whole(im, err)))
			return rc;
		im->data_start = cs_csv_skip_lines(im->data, im->size, im->skipped);
		rc = cs_imp_start(im, err);
	}
	im->empty = rc == -1;
	if (im->empty)
		return COLSTORE_OK;
	if (rc)
		return rc;
	if (im->csv.bad) {
		/* lenient mode reads a NUL byte as a row to reject: the first row
		 * is the header, or gives the table its width */
		return cs_imp_at(err, COLSTORE_EPARSE, im->csv.rec_line, 0,
		                 "the first row holds %s: it cannot be the header, nor give the "
		                 "table its columns", im->csv.bad);
	}
	/* the first record's fields too are held to the limit (a header name is
	 * unescaped whole before it is cut) */
	if ((rc = cs_imp_field_sizes(im, &im->csv, err)))
		return rc;
	im->header = o->header == COLSTORE_HEADER_YES || o->header_lines > 1;
	if (sh->header >= 0) {
		im->header = sh->header;
	} else if (o->header == COLSTORE_HEADER_AUTO && o->header_lines <= 1) {
		im->header = 1;
		uint32_t typed = 0;
		for (uint32_t i = im->csv.nfields; i-- > 0;)
			if (!(im->csv.fields[i].flags & CS_CSV_QUOTED) && cs_looks_typed(&im->csv.fields[i])) {
				im->header = 0;
				typed = i + 1;
			}
		if (!im->header) {
			const cs_csv_field *f = &im->csv.fields[typed - 1];
			int n = f->len < 40 ? (int)f->len : 40;
			cs_imp_warn(o, "%s:%llu: no header row: field %u ('%.*s%s') is a number or a "
			            "date, so this row is data and the columns are column_1 ... "
			            "column_%u (--header reads it as names)",
			            im->path, (unsigned long long)im->csv.rec_line, typed, n, f->p,
			            (size_t)n < f->len ? "..." : "", im->csv.nfields);
		}
	}
	if (sh->header < 0) {
		sh->header = im->header;
		sh->first = im->idx;
	}
	if (im->header && o->header_lines > 1) {
		cs_csv_field *hf = NULL;
		char **bufs = NULL;
		uint32_t nh = 0;
		rc = cs_join_header(im, o->header_lines, &hf, &nh, &bufs, err);
		if (!rc)
			rc = cs_imp_set_names(im, hf, nh, 1, err);
		for (uint32_t i = 0; bufs && i < nh; i++)
			free(bufs[i]);
		free(bufs);
		free(hf);
		im->hdr_extra = o->header_lines - 1;
	} else {
		rc = cs_imp_set_names(im, im->csv.fields, im->csv.nfields, im->header, err);
	}
	/* data starts after the header, or at the top (after a BOM and the
	 * lines skipped) */
	im->body = im->header ? (uint64_t)(im->csv.pos - im->csv.start) : im->data_start;
	im->body_line = im->header ? im->csv.line : 1 + im->skipped;
	return rc;
}

/* the settings of an input once the table is known */
void cs_input_ready(cs_import *im)
{
	for (uint32_t i = 0; i < im->ncols; i++) {
		const cs_icol *t = &im->sh->cols[im->wcol[i]];
		im->cols[i].forced = t->forced;
		im->cols[i].type = t->type;
		im->cols[i].fmt = t->fmt;
		im->cols[i].fmt2 = t->fmt2;
		im->any_forced |= t->forced && t->type != COLSTORE_TYPE_STRING;
	}
	im->csv.expect = im->ncols;
	if (im->o->lenient)
		im->tables_ok = cs_imp_tables_ok(im, (uint64_t)(im->csv.pos - im->csv.start), im->csv.line);
	/* a work unit of the parallel passes holds at most CS_UNIT_BYTES of
	 * values (at 16 bytes a field): CS_UNIT_ROWS rows, fewer for a wide
	 * table */
	uint32_t width = im->ncols ? im->ncols : 1;
	im->unit_rows = (uint32_t)(CS_UNIT_BYTES / 16 / width) / 64 * 64;
	im->unit_rows = im->unit_rows < 64            ? 64
	                : im->unit_rows > CS_UNIT_ROWS ? CS_UNIT_ROWS
	                                               : im->unit_rows;
}

/* an error in one of several inputs names it (err->line and column are
 * that input's) */
int cs_input_error(const cs_import *im, int rc, colstore_error *err)
{
	if (!rc || !err || im->sh->ninputs < 2 || strstr(err->message, im->path))
		return rc;
	char pre[300];
	if (err->line && err->column)
		snprintf(pre, sizeof(pre), "%.200s:%llu:%llu: ", im->path, (unsigned long long)err->line,
		         (unsigned long long)err->column);
	else if (err->line)
		snprintf(pre, sizeof(pre), "%.200s:%llu: ", im->path, (unsigned long long)err->line);
	else
		snprintf(pre, sizeof(pre), "%.200s: ", im->path);
	size_t k = strlen(pre), m = strlen(err->message);
	if (k + m >= sizeof(err->message))
		m = sizeof(err->message) - 1 - k;
	memmove(err->message + k, err->message, m);
	memcpy(err->message, pre, k);
	err->message[k + m] = '\0';
	return rc;
}

int cs_imp_check_options(const colstore_import_options *opts, colstore_error *err)
{
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
	if (opts->n_null_markers + (opts->null_marker != NULL) > COLSTORE_MAX_NULL_MARKERS)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "at most %d null markers",
		              COLSTORE_MAX_NULL_MARKERS);
	for (uint64_t k = 0; k < opts->n_null_markers; k++)
		if (!opts->null_markers[k])
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "null marker %llu is NULL",
			              (unsigned long long)k);
	return COLSTORE_OK;
}

/* an input's settings from the options */
void cs_input_init(cs_import *im, cs_shared *sh, uint32_t k)
{
	const colstore_import_options *o = sh->o;
	im->o = o;
	im->sh = sh;
	im->idx = k;
	im->path = sh->paths[k];
	im->scratch.d = &im->dialect;
	if (o->null_marker)
		im->nulls[im->n_nulls++] = o->null_marker;
	for (uint64_t j = 0; j < o->n_null_markers; j++)
		im->nulls[im->n_nulls++] = o->null_markers[j];
	for (uint32_t j = 0; j < im->n_nulls; j++)
		im->null_lens[j] = strlen(im->nulls[j]);
	im->max_field = o->max_field ? o->max_field : COLSTORE_MAX_FIELD_DEFAULT;
	im->threads = o->threads ? o->threads : (uint32_t)sysconf(_SC_NPROCESSORS_ONLN);
	if (im->threads < 1)
		im->threads = 1;
	if (im->threads > 64)
		im->threads = 64;
}

void cs_input_free(cs_import *im)
{
	cs_csv_free(&im->csv);
	for (uint32_t i = 0; im->cols && i < im->ncols; i++) {
		free(im->cols[i].name);
		free(im->cols[i].hll);
	}
	free(im->cols);
	free(im->scratch.p);
	free(im->units);
	free(im->wcol);
	free(im->absent);
	cs_input_unmap(im);
}

/* --append: the table is the file's columns, with their types */
int cs_table_from_file(cs_shared *sh, const char *path, colstore_type **types,
                              colstore_error *err)
{
	colstore_reader *r;
	int rc = colstore_reader_open(path, NULL, &r, err);
	if (rc)
		return rc;
	uint32_t n = colstore_reader_num_columns(r);
	*types = malloc(n * sizeof(colstore_type));
	if (!*types)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t c = 0; c < n && !rc; c++) {
		colstore_column_info ci;
		uint32_t code;
		if ((rc = colstore_reader_column_info(r, c, &ci, err)))
			break;
		if (cs_dict_intern(&sh->names, ci.name, (uint32_t)strlen(ci.name), &code) ||
		    code != sh->ncols) {
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			break;
		}
		if ((rc = cs_table_add(sh, ci.name, err)))
			break;
		sh->cols[c].forced = 1;
		sh->cols[c].type = ci.type;
		(*types)[c] = ci.type;
	}
	colstore_reader_close(r);
	sh->into = path;
	return rc;
}
