/*
 * csv.h -- the CSV tokenizer (internal).  Works on a whole buffer (a mapped
 * file); fields point into it, never copied.
 */
#ifndef CS_CSV_H
#define CS_CSV_H

#include "internal.h"

#define CS_CSV_QUOTED 1u  /* the field was in double quotes */
#define CS_CSV_ESCAPED 2u /* ... and holds doubled quotes: unescape before use */

typedef struct cs_csv_field {
	const char *p; /* raw bytes (inside the quotes when quoted) */
	uint32_t len;
	uint32_t flags;
} cs_csv_field;

typedef struct cs_csv {
	const uint8_t *start, *pos, *end;
	uint8_t delim;
	uint64_t line;     /* 1-based line of pos */
	uint64_t rec_line; /* line where the current record starts */
	cs_csv_field *fields;
	uint32_t nfields, cap;
	uint8_t cls[256];  /* byte classes for the unquoted scan */
} cs_csv;

/* skips a UTF-8 byte-order mark; delim must be set (see cs_csv_sniff) */
CS_HIDDEN int cs_csv_init(cs_csv *c, const void *data, size_t size, char delim);
CS_HIDDEN void cs_csv_free(cs_csv *c);
/* next record into c->fields/c->nfields: 1 record, 0 end of input, or a
 * COLSTORE_EPARSE / ELIMIT / ENOMEM code with err->line/column set.
 * Blank lines are skipped. */
CS_HIDDEN int cs_csv_next(cs_csv *c, colstore_error *err);
/* skip blank lines at the current position (cs_csv_next does this too):
 * afterwards pos is where the next record starts */
CS_HIDDEN void cs_csv_skip_blank(cs_csv *c);
/* guess the delimiter among , ; TAB | from the start of the data */
CS_HIDDEN char cs_csv_sniff(const void *data, size_t size);
/* copy a quoted field's content with "" turned into " (dst >= f->len bytes);
 * returns the new length */
CS_HIDDEN uint32_t cs_csv_unescape(const cs_csv_field *f, char *dst);

#endif
