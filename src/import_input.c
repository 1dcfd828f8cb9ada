/*
 * import_input.c -- the inputs of a CSV import: each one mapped (and
 * decompressed, and converted to UTF-8), its dialect found, and its columns
 * matched by name to the table's (README.md, "Several inputs").
 */
#include <stdio.h>
#include <stdlib.h>

#include "import.h"

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
	if (im->conv)
		cs_unmap(im->conv, im->conv_size);
	if (im->unpacked)
		cs_unmap(im->unpacked, im->unpacked_size);
	if (im->map)
		cs_unmap(im->map, im->map_size);
	im->conv = im->unpacked = im->map = NULL;
	im->data = NULL; /* (im->size stays: the text's size, for the result) */
}

int cs_input_map(cs_import *im, const char *file, colstore_error *err)
{
	static const uint8_t cs_no_bytes[1];
	int rc = cs_map_input(file, &im->map, &im->map_size, err);
	if (rc)
		return rc;
	/* compressed input: decompressed first (then, if need be, converted) */
	const void *raw = im->map;
	size_t raw_size = im->map_size;
	if ((rc = cs_decompress(im->map, im->map_size, &im->unpacked, &im->unpacked_size,
	                        &im->compression, err)))
		return rc;
	if (im->compression) {
		raw = im->unpacked;
		raw_size = im->unpacked_size;
		cs_unmap(im->map, im->map_size); /* read once: the text is all in the temporary file */
		im->map = NULL;
	}
	if ((rc = cs_transcode(raw, raw_size, im->o->encoding, &im->conv, &im->conv_size,
	                       &im->encoding, err)))
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
static int cs_table_add(cs_shared *sh, const char *name, colstore_error *err)
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
	for (uint32_t i = 0; i < im->ncols; i++) {
		const char *name = im->cols[i].name;
		uint32_t at; /* the names' codes are the table's column indexes */
		if (cs_dict_intern(&sh->names, name, (uint32_t)strlen(name), &at))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (at == sh->ncols) {
			if (!first && !im->o->union_columns)
				return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
				              "%s: column '%s' is not in %s, the first input (--union "
				              "takes every input's columns, null where an input lacks one)",
				              im->path, name, sh->paths[sh->first]);
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
		              "%s has no column '%s', which %s, the first input, has (--union reads "
		              "it as null there)", im->path, sh->cols[j].name, sh->paths[sh->first]);
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
