/*
 * import.h -- private to import.c and import_mt.c (the CSV import).
 */
#ifndef CS_IMPORT_H
#define CS_IMPORT_H

#include <stdio.h>

#include "csv.h"

/* HyperLogLog with 2^12 one-byte registers: ~1.6 % error on the number of
 * distinct values of a string column, in 4 KiB */
#define CS_HLL_BITS 12
#define CS_HLL_M (1u << CS_HLL_BITS)

/* the writer's default dictionary budget (colstore_writer_options) */
#define CS_DICT_BUDGET (64u << 20)

/* input pages already parsed are dropped from memory in steps of this */
#define CS_RELEASE_STEP (16u << 20)

/* drop the input pages in [*released, done) once they amount to a step */
static inline void cs_release_behind(const uint8_t *data, uint64_t *released, uint64_t done)
{
	if (done - *released >= CS_RELEASE_STEP) {
		cs_map_release(data, *released, done);
		*released = done;
	}
}

/* the input's pages ahead of a reader at byte at (of lim), mapped a step at a
 * time in one call: on the benchmark VM a page fault costs 5-10 us, and
 * madvise(MADV_POPULATE_READ) 4 MiB at a time mapped a cached 100 MB file
 * in 23-29 ms where reading it page by page took 39-42 ms in faults
 * (*populated: mapped up to there) */
#define CS_POPULATE_STEP (4u << 20)
static inline void cs_populate_ahead(const uint8_t *data, uint64_t *populated, uint64_t at,
                                     uint64_t lim)
{
	if (at + CS_POPULATE_STEP / 2 <= *populated || *populated >= lim)
		return;
	uint64_t from = *populated > at ? *populated : at;
	uint64_t to = at + CS_POPULATE_STEP < lim ? at + CS_POPULATE_STEP : lim;
	cs_map_populate(data, from, to);
	*populated = to;
}

/* a growable buffer for unescaped quoted fields, one per thread */
typedef struct cs_scratch {
	char *p;
	size_t cap;
	const cs_dialect *d; /* how the fields are escaped */
} cs_scratch;

/* what lenient mode does with a record (cs_imp_classify) */
enum { CS_ROW_OK, CS_ROW_PAD, CS_ROW_TRIM, CS_ROW_REJECT };

/* a rejected record: its line, its text in the input, and why */
typedef struct cs_reject {
	uint64_t line, at, len;
	uint64_t vat;     /* a value reject: the value's place and length */
	uint32_t vlen;
	uint32_t nfields; /* the record's (a width reject) */
	int32_t col;      /* a value reject: its column (else -1) */
	const char *why;  /* a static string, or NULL: said from nfields/col */
} cs_reject;

/* the lenient tallies of a stretch of rows, merged in input order */
typedef struct cs_tally {
	uint64_t padded, trimmed, rejected;
	uint64_t padded_lines[COLSTORE_REJECT_LINES], trimmed_lines[COLSTORE_REJECT_LINES];
	cs_reject *rej; /* the rejected records, in order */
	size_t nrej, caprej;
} cs_tally;

/* memory of the import whatever the table's width: the values a work unit
 * of the parallel passes holds (at most CS_UNIT_ROWS rows: a unit's
 * buffers then stay in the cache between the thread that fills them and
 * the one that appends them: converting a unit of flights-3m took 1,045 us
 * a 16,384 rows on one thread, and 1,170-1,300 us in units of 16,384 rows
 * at 2 threads against 1,145 in units of 4,096), and (by default) a row
 * group's */
#define CS_UNIT_BYTES (16u << 20)
#define CS_UNIT_ROWS 4096
/* ... and a unit ends once it holds CS_UNIT_TEXT bytes of text, so that the
 * strings of long fields do not make a unit's buffers big: a slot of pass 2
 * holds them all (1 MiB: a unit of CS_UNIT_ROWS rows of the bench's sales
 * table is 330 KB) */
#define CS_UNIT_TEXT (1u << 20)
#define CS_ROW_GROUP_BYTES (64u << 20)

/* inference candidates of a column (pass 1) */
enum {
	CAND_INT = 1,
	CAND_FLOAT = 2,
	CAND_BOOL = 4,
	CAND_DATE = 8,
	CAND_TS = 16,
	CAND_ALL = 31
};

typedef struct cs_icol {
	char *name;
	int forced;         /* type given by the schema (or --no-infer) */
	colstore_type type;
	unsigned cand;
	int seen;           /* a non-null value was seen */
	int64_t imin, imax; /* over the integer values */
	uint8_t *hll;       /* distinct-value sketch, once the column is a string */
	uint64_t counted;   /* values added to the sketch */
	uint64_t bytes;     /* and their total length */
	uint32_t flags;     /* COLSTORE_COLUMN_DICT or _PLAIN for the writer */
	const char *fmt;    /* a date or timestamp column's format, after ISO (or NULL) */
	const char *fmt2;   /* a timestamp column's: the date format too (midnight) */
	int dmy;            /* every value so far reads as D/M/Y or M/D/Y */
	uint64_t nonnull;   /* values that are not null (a sketch that misses some is
	                     * made again: cs_rehash) */
	char dmy_ex[24];    /* the first such value, for the summary */
	/* why a column that had typed values became a string: the record's
	 * line (0: none) and the start of the value; per candidate type, the
	 * line and place in the input of the value that ruled it out (a part
	 * of the parallel pass 1 may hold the culprit of types ruled out by
	 * the parts before it); and, in column 0 only, the first record that
	 * repeats the header row */
	uint64_t why_line, hdr_line;
	uint32_t why_len;
	char why[40];
	uint64_t drop_line[5], drop_at[5];
	uint32_t drop_len[5];
	uint32_t why_in; /* the table's columns: the input why_line is in */
	cs_date_memo memo; /* pass 1: the last date seen valid */
} cs_icol;

/* what the inputs of one import share: the table they go into, lenient
 * mode's tallies and rejects file, and progress over all of them */
typedef struct cs_shared {
	const colstore_import_options *o;
	cs_icol *cols; /* the table's columns: the first input's, then (--union)
	                * the ones later inputs add */
	uint32_t ncols, cap;
	cs_dict names;     /* the table's column names; a name's code is its index */
	const char *const *paths; /* every input's name, for messages */
	uint32_t ninputs;
	uint32_t first;    /* the first input that is not empty: it names the columns */
	int header;        /* it has a header row (the others then have one too) */
	const char *into;  /* --append: the file appended to, whose columns the table has */
	uint64_t base, total; /* progress: bytes of the inputs before this one, of all */
	uint64_t rows_base;   /* rows of the inputs before this one in this pass */
	uint32_t threads;     /* the import's */
	cs_tally tally;
	uint64_t rej_first[COLSTORE_REJECT_LINES];
	char first_reject[160];
	FILE *rej;
	char *rej_tmp, *rej_target;
} cs_shared;

typedef struct cs_import {
	const colstore_import_options *o;
	cs_shared *sh;
	uint32_t idx;   /* this input's place in the list */
	uint32_t *wcol; /* column i of this input is the table's column wcol[i] */
	uint32_t *absent; /* the table's columns this input lacks (--union: null) */
	uint32_t nabsent;
	int empty;      /* no header and no rows */
	int quiet;      /* pass 1 on a worker thread: no progress callbacks */
	size_t not_utf8; /* 1 + where the first 64 KiB stop being UTF-8 (0: they are) */
	/* the input as mapped, and the temporary files decompression and
	 * conversion wrote (unmapped when the import ends) */
	const void *map, *unpacked, *conv;
	size_t map_size, unpacked_size, conv_size;
	const char *encoding, *compression;
	/* a large compressed input still being decompressed on its own thread
	 * (then size is the bytes written so far, and size_est the expected
	 * total), until pass 1 has read it all (cs_input_whole) */
	struct cs_dz *dz;
	uint64_t size_est;
	int est_counted; /* size_est is in the shared total (sh->total) */
	uint64_t body, body_line; /* where the rows start (after the header), their line */
	const char *file; /* the input's path */
	const char *path; /* its name in messages */
	const uint8_t *data;
	size_t size;
	cs_csv csv;
	cs_icol *cols;
	uint32_t ncols;
	int header;
	uint64_t released; /* input bytes before this were dropped from memory */
	cs_scratch scratch; /* unescaped quoted fields (the main thread's) */
	uint32_t n_nulls; /* null markers (null_marker and null_markers) */
	const char *nulls[COLSTORE_MAX_NULL_MARKERS];
	size_t null_lens[COLSTORE_MAX_NULL_MARKERS];
	uint32_t threads;
	uint64_t max_field; /* bytes */
	uint32_t unit_rows; /* rows a work unit of the parallel passes holds: CS_UNIT_ROWS,
	                     * fewer for a wide table (CS_UNIT_BYTES) */
	/* pass 2 work units, found by the parallel pass 1: record-aligned byte
	 * ranges of the input, in order */
	struct cs_unit *units;
	size_t nunits;
	cs_dialect dialect;
	uint32_t hdr_extra;  /* header lines after the first (--header-lines) */
	uint64_t skipped;    /* lines skipped before the header */
	int any_forced;      /* a column's type is forced (lenient: values may not parse) */
	uint64_t data_start; /* where the header (or the first record) starts */
	uint64_t table_end;  /* lenient: records from here on are another table's */
	uint64_t table2_line;
	int tables_ok;       /* lenient: the row after the header is as wide as it */
	int table_end_known; /* pass 1 has seen where the table ends */
} cs_import;

typedef struct cs_unit {
	uint64_t start, end; /* byte offsets: [start, end) holds whole records */
	uint64_t line;       /* line number at start */
} cs_unit;


CS_HIDDEN void cs_imp_warn(const colstore_import_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
CS_HIDDEN int cs_imp_at(colstore_error *err, int code, uint64_t line, uint64_t col,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
CS_HIDDEN int cs_imp_is_marker(const cs_import *im, const cs_csv_field *f);
CS_HIDDEN int cs_imp_unescape(cs_scratch *s, const cs_csv_field *f, const char **p,
                              uint32_t *len);

/* is the field null: empty and unquoted ("" is an empty string), or one of
 * the null markers (inline: every field of both passes asks) */
static inline int cs_imp_is_null(const cs_import *im, const cs_csv_field *f)
{
	if (f->flags & CS_CSV_QUOTED)
		return 0;
	if (f->len == 0)
		return 1;
	return im->n_nulls && cs_imp_is_marker(im, f);
}

/* a new work unit starts at the next record: the first, or the last one
 * holds unit_rows records or CS_UNIT_TEXT bytes of text (text: since it
 * started) */
static inline int cs_imp_unit_full(const cs_import *im, size_t nunits, uint64_t rows,
                                   uint64_t text)
{
	return nunits == 0 || rows >= im->unit_rows || text >= CS_UNIT_TEXT;
}

/* the field's text, unescaped into s when it holds doubled quotes or escapes */
static inline int cs_imp_text(cs_scratch *s, const cs_csv_field *f, const char **p,
                              uint32_t *len)
{
	if (f->flags & CS_CSV_ESCAPED)
		return cs_imp_unescape(s, f, p, len);
	*p = f->p;
	*len = f->len;
	return COLSTORE_OK;
}
CS_HIDDEN int cs_imp_check_width(const cs_import *im, const cs_csv *c, colstore_error *err);
/* a string column's distinct values as pass 1 estimated them (0: unknown) */
CS_HIDDEN uint64_t cs_imp_distinct(const cs_icol *col);
/* every field of the record equal to its column's name (the header row
 * again, as files joined with cat make) */
CS_HIDDEN int cs_imp_is_header_row(const cs_import *im, const cs_csv *c);
/* the same, with most data rows told apart here, inline, by their width
 * or their first byte */
static inline int cs_imp_is_header(const cs_import *im, const cs_csv *c)
{
	return c->nfields == im->ncols && c->nfields && c->fields[0].len &&
	       c->fields[0].p[0] == im->cols[0].name[0] && cs_imp_is_header_row(im, c);
}
/* no field of the record can be over --max-field-size: none is longer
 * than the record's span (0: look at each, cs_imp_field_sizes) */
static inline int cs_imp_span_fits(const cs_import *im, const cs_csv *c)
{
	if (!c->nfields)
		return 0;
	const cs_csv_field *last = &c->fields[c->nfields - 1];
	return (size_t)(last->p + last->len - c->fields[0].p) <= im->max_field;
}
/* lenient mode: CS_ROW_* for the record (*r filled for a reject); strict
 * mode: CS_ROW_OK or CS_ROW_PAD, or an error code (negative: -code) */
CS_HIDDEN int cs_imp_classify_any(const cs_import *im, const cs_csv *c, cs_reject *r,
                                  colstore_error *err);
/* the same, with strict mode's usual record decided here, inline: the
 * table's width, and no field over the limit, since none is longer than
 * the record's span (three calls a record before) */
static inline int cs_imp_classify(const cs_import *im, const cs_csv *c, cs_reject *r,
                                  colstore_error *err)
{
	if (!im->o->lenient && c->nfields == im->ncols && cs_imp_span_fits(im, c))
		return CS_ROW_OK;
	return cs_imp_classify_any(im, c, r, err);
}
/* lenient: a forced column's value that does not parse: fills *r, returns 1 */
CS_HIDDEN int cs_imp_bad_forced(const cs_import *im, const cs_csv *c, cs_scratch *sc,
                                cs_reject *r);
/* lenient: is the record after the header (at from) as wide as the table?
 * Only then can a second table follow it */
CS_HIDDEN int cs_imp_tables_ok(const cs_import *im, uint64_t from, uint64_t line);
/* lenient: does c's record start a second table (a blank line before it, and
 * it and the record after it, read with peek, as wide as each other but not
 * as the table)?  Then *at and *line say where */
CS_HIDDEN int cs_imp_second_table(const cs_import *im, const cs_csv *c, cs_csv *peek,
                                  uint64_t *at, uint64_t *line);
/* the rejects file: open (when asked for), its text written out (EIO when
 * that fails), and commit or remove */
CS_HIDDEN int cs_imp_rejects_open(cs_import *im, colstore_error *err);
CS_HIDDEN int cs_imp_rejects_flush(cs_import *im, colstore_error *err);
CS_HIDDEN int cs_imp_rejects_close(cs_import *im, int ok, colstore_error *err);
/* "gzip", "zstd" or "lz4" when p starts with that format's magic bytes
 * (decompress.c), else NULL */
CS_HIDDEN const char *cs_compressed(const uint8_t *p, size_t n);
/* compressed input decompressed into an unlinked temporary file mapped at
 * *out (*what names the format); not compressed: *what and *out NULL */
CS_HIDDEN int cs_decompress(const void *data, size_t size, const void **out, size_t *out_size,
                            const char **what, colstore_error *err);
/* a large compressed input decompressed on a thread of its own while the
 * import reads what is written so far (decompress.c): started (NULL when it
 * cannot be: then cs_decompress), waited for until want bytes are written
 * or it is done (returns done; *avail: the bytes readable at cs_dz_view; at
 * most ms milliseconds), finished (joined; the text mapped at *out, *out_len
 * bytes of mapping, *size of text; z freed) or cancelled (joined, freed) */
typedef struct cs_dz cs_dz;
/* when an input is streamed, and how its pass 1 goes (import_input.c;
 * tests make them small): compressed inputs of min bytes and more, once
 * head bytes of text are written, in rounds of round bytes a thread; the
 * text is written out bytes at a time (streamed or not); it is mapped in a
 * span of address space this large (no memory: a shared mapping of a file
 * reserves none), and mapped again, whole, if it outgrows it */
typedef struct cs_stream_sizes {
	size_t min, head, round, out, span;
} cs_stream_sizes;
CS_HIDDEN extern cs_stream_sizes cs_stream;
/* import_mt.c: the least bytes of a part of pass 1 when a thread gets
 * more than one */
CS_HIDDEN extern uint64_t cs_p1_part_min;
CS_HIDDEN cs_dz *cs_dz_start(const void *data, size_t size, const char *what, uint32_t threads,
                             colstore_error *err);
CS_HIDDEN const uint8_t *cs_dz_view(const cs_dz *z);
CS_HIDDEN int cs_dz_wait(cs_dz *z, uint64_t want, int ms, uint64_t *avail);
CS_HIDDEN int cs_dz_finish(cs_dz *z, const void **out, size_t *out_len, uint64_t *size,
                           colstore_error *err);
CS_HIDDEN void cs_dz_cancel(cs_dz *z);
/* a streamed input's whole text (import_input.c): the thread joined, its
 * error returned, im->data and im->size the whole text */
CS_HIDDEN int cs_input_whole(struct cs_import *im, colstore_error *err);
/* the decompressed size as the compressed input's first or last bytes
 * give it, or a guess */
CS_HIDDEN uint64_t cs_dz_estimate(const cs_dz *z, const void *data, size_t size, const char *what);
/* the input in another encoding as UTF-8, in an unlinked temporary file
 * mapped at *out (transcode.c); enc NULL: UTF-16 when a BOM says so, else
 * nothing to do (*out NULL) */
CS_HIDDEN int cs_transcode(const void *data, size_t size, const char *enc,
                           const void **out, size_t *out_size, const char **used,
                           colstore_error *err);
/* count a padded/trimmed/rejected row into t; ENOMEM */
/* tests: pass 2 puts rows one at a time (cs_pass2) even where pass 1 found
 * work units, as a reference for the unit path's errors and files */
CS_HIDDEN extern int cs_imp_rowwise;
CS_HIDDEN int cs_tally_add(cs_tally *t, int kind, uint64_t line, const cs_reject *r);
/* t's rows (in order after the ones before) into the import: the rejects
 * file, the result's lines, --max-rejects */
CS_HIDDEN int cs_imp_tally_merge(cs_import *im, cs_tally *t, colstore_error *err);
/* the same for t's rejects on lines before `before` (the rest stay in t) */
CS_HIDDEN int cs_imp_tally_merge_before(cs_import *im, cs_tally *t, uint64_t before,
                                        colstore_error *err);
/* pass 1 work on one record: infer each column into cols */
CS_HIDDEN int cs_imp_infer_record(const cs_import *im, cs_icol *cols, const cs_csv *c,
                                  colstore_error *err);
/* a field's text as a value of col's type: *iv (integers, bool, date,
 * timestamp) or *dv (floats); 0 when it is not valid or does not fit */
CS_HIDDEN int cs_imp_parse_value(const cs_icol *col, const char *p, uint32_t n, int64_t *iv,
                                 double *dv);
/* the EPARSE error for a value that does not parse or fit */
CS_HIDDEN int cs_imp_bad_value(colstore_error *err, uint64_t line, uint32_t i, const cs_icol *col,
                               const char *p, uint32_t n);
CS_HIDDEN int cs_imp_progress(cs_import *im, uint64_t done, int pass, int passes,
                              uint64_t rows, colstore_error *err);
/* b's inference (lines relative to its part: off + 1 is its first) into
 * a's: column i of b into column map[i] of a (map NULL: i), from input in;
 * data is b's input, where its drops point; sketch: the distinct-value
 * sketches too (cs_imp_merge_sketch) */
CS_HIDDEN void cs_imp_merge(cs_icol *into, const cs_icol *from, uint32_t ncols, uint64_t off,
                            const uint8_t *data, const uint32_t *map, uint32_t in, int sketch);
CS_HIDDEN void cs_imp_merge_sketch(cs_icol *a, const cs_icol *b);
/* an input (import_input.c): mapped at im->data (decompressed, converted to
 * UTF-8) with its dialect found (on any thread: it calls no callback); unmapped */
CS_HIDDEN int cs_input_map(cs_import *im, const char *file, colstore_error *err);
CS_HIDDEN void cs_input_unmap(cs_import *im);
/* its columns matched by name to the table's (im->wcol), the table given
 * the ones it lacks under --union, or an error naming the column */
CS_HIDDEN int cs_input_match(cs_import *im, colstore_error *err);
/* the next column of the table (its name's code in sh->names is its index,
 * when the name is interned first) */
CS_HIDDEN int cs_table_add(cs_shared *sh, const char *name, colstore_error *err);
/* im->absent: the table's columns the input lacks, once every input is matched */
CS_HIDDEN int cs_input_absent(cs_import *im, colstore_error *err);
/* pass 1 of one input: its columns' inference, and pass 2's work units */
CS_HIDDEN int cs_imp_pass1(cs_import *im, colstore_error *err);
/* pass 1 over every input into the table's inference, then its types,
 * encodings and formats (import_infer.c) */
CS_HIDDEN int cs_imp_infer_all(cs_import *ims, uint32_t n, colstore_error *err);
/* an input's columns take the table's types, encodings and formats */
CS_HIDDEN void cs_imp_take_types(cs_import *im);
/* a date or timestamp column's formats: its own, or the import's */
CS_HIDDEN void cs_imp_set_format(const colstore_import_options *o, cs_icol *col);
/* the inputs ims[todo[0..ntodo)], each on one thread, on `threads` at once
 * (import_mt.c): pass 0, cs_input_map() of each; pass 1, cs_imp_pass1() of
 * each, with progress; *failed: the first input that failed */
CS_HIDDEN int cs_imp_each(cs_import *ims, const uint32_t *todo, uint32_t ntodo, uint32_t threads,
                          int pass, uint32_t *failed, colstore_error *err);
/* every field of the record within --max-field-size */
CS_HIDDEN int cs_imp_field_sizes(const cs_import *im, const cs_csv *c, colstore_error *err);
/* the input's first record: header or data (-1: the input is empty) */
CS_HIDDEN int cs_imp_start(cs_import *im, colstore_error *err);
/* the columns' names from the header row's fields (or column_N) */
CS_HIDDEN int cs_imp_set_names(cs_import *im, const cs_csv_field *fields, uint32_t nfields,
                               int from_header, colstore_error *err);
CS_HIDDEN int cs_imp_check_options(const colstore_import_options *opts, colstore_error *err);
/* an input's settings from the options; opened: mapped, its header read and
 * its columns named; ready: its columns take the table's settings; freed */
CS_HIDDEN void cs_input_init(cs_import *im, cs_shared *sh, uint32_t k);
CS_HIDDEN int cs_input_open(cs_import *im, colstore_error *err);
CS_HIDDEN void cs_input_ready(cs_import *im);
CS_HIDDEN void cs_input_free(cs_import *im);
/* with several inputs, the error rc in im names it; returns rc */
CS_HIDDEN int cs_input_error(const cs_import *im, int rc, colstore_error *err);
/* --append: the table is the file's columns, with their types (*types) */
CS_HIDDEN int cs_table_from_file(cs_shared *sh, const char *path, colstore_type **types,
                                 colstore_error *err);
/* the parallel passes (import_mt.c); threads >= 2 */
/* pass 1 of a streamed input (im->dz), as its text comes; it ends with
 * the input whole (cs_input_whole) */
CS_HIDDEN int cs_imp_pass1_stream(cs_import *im, uint64_t data_start, uint64_t first_line,
                                  colstore_error *err);
CS_HIDDEN int cs_imp_pass1_mt(cs_import *im, uint64_t data_start, uint64_t first_line,
                              colstore_error *err);
/* pass 2 of every input (each with its units from pass 1) as one pipeline:
 * no pause between inputs; *failed: the input an error is in */
CS_HIDDEN int cs_imp_pass2_mt(cs_import *ims, uint32_t n, colstore_writer *w, int passes,
                              uint64_t *rows_out, uint32_t *failed, colstore_error *err);

#endif
