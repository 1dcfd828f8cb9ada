/*
 * csv.h -- the CSV tokenizer (internal).  Works on a whole buffer (a mapped
 * file); fields point into it, never copied.
 */
#ifndef CS_CSV_H
#define CS_CSV_H

#include "internal.h"

#define CS_CSV_QUOTED 1u  /* the field was quoted */
#define CS_CSV_ESCAPED 2u /* ... or holds doubled quotes or escapes: unescape before use */

typedef struct cs_csv_field {
	const char *p; /* raw bytes (inside the quotes when quoted) */
	uint32_t len;
	uint32_t flags;
} cs_csv_field;

/* how the text is written: the delimiter (1-4 bytes), the quote, escape and
 * comment bytes (-1: none); lenient: malformed quoting is read as literal
 * text and a NUL byte marks the record bad instead of failing */
typedef struct cs_dialect {
	uint8_t delim[4];
	uint8_t dlen;
	int quote, esc, comment;
	int lenient;
} cs_dialect;

typedef struct cs_csv {
	const uint8_t *start, *pos, *end;
	cs_dialect d;
	uint64_t line;     /* 1-based line of pos */
	uint64_t rec_line; /* line where the current record starts */
	const uint8_t *rec_start, *rec_end; /* the record's text, without its line break */
	const char *bad;   /* lenient: why the record cannot be stored (NULL: it can) */
	uint32_t expect;   /* lenient: the table's width, when known (0: not yet) */
	cs_csv_field *fields;
	uint32_t nfields, cap;
	uint8_t cls[256];  /* byte classes for the unquoted scan */
	/* the unquoted scan, 64 bytes at a time: the stop bytes' mask of
	 * [mbase, mbase + 64) (simd_csv.c), made by stops() over the set stop */
	const uint8_t *mbase;
	uint64_t mbits;
	uint64_t (*stops)(const uint8_t *p, const uint8_t *set);
	uint8_t stop[8];
} cs_csv;

/* skips a UTF-8 byte-order mark */
CS_HIDDEN int cs_csv_init(cs_csv *c, const void *data, size_t size, const cs_dialect *d);
CS_HIDDEN void cs_csv_free(cs_csv *c);
/* next record into c->fields/c->nfields: 1 record, 0 end of input, or a
 * COLSTORE_EPARSE / ELIMIT / ENOMEM code with err->line/column set.
 * Blank lines and comment lines are skipped.  In lenient mode, a record
 * that does not fit c->expect fields and holds a quoted field spanning lines
 * is read again as one line with that quote as literal text, and taken so
 * if that fits (a stray quote must not swallow the rows after it). */
CS_HIDDEN int cs_csv_next(cs_csv *c, colstore_error *err);
/* skip blank and comment lines at the current position (cs_csv_next does
 * this too): afterwards pos is where the next record starts */
CS_HIDDEN void cs_csv_skip_blank(cs_csv *c);
/* copy an escaped field's content with "" (or the escapes) undone (dst >=
 * f->len bytes); returns the new length */
CS_HIDDEN uint32_t cs_csv_unescape(const cs_dialect *d, const cs_csv_field *f, char *dst);

/* a dialect's delimiter from one byte */
CS_HIDDEN void cs_dialect_delim(cs_dialect *d, const char *delim, size_t len);

/* Detection (csv_sniff.c).  Fills what is unknown in *d from the start of
 * the data: the delimiter (dlen 0: among , ; TAB |, and a space after it
 * when every one is followed by a space), the quote (quote 0: " or '),
 * the escape (esc 0: a backslash when the text escapes quotes with one);
 * and, when *skip is -1, the lines of a preamble before the table. */
/* the dialect is found in this many bytes at most (64 KiB; tests make it
 * smaller) */
CS_HIDDEN extern size_t cs_sniff_bytes;
CS_HIDDEN void cs_csv_detect(const void *data, size_t size, cs_dialect *d, int64_t *skip);
/* the offset after n lines (raw line breaks) from the start, after a BOM */
CS_HIDDEN size_t cs_csv_skip_lines(const void *data, size_t size, uint64_t n);

#endif
