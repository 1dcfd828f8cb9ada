/*
 * testutil.h -- shared helpers of the CUnit suite: a deterministic test
 * table, its expected text, and a dump of a file through the public API in
 * the same text form as spec_reader.c.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "colstore/colstore.h"

typedef struct tu_col {
	const char *name;
	colstore_type type;
	uint32_t flags;    /* COLSTORE_COLUMN_* for strings */
	unsigned null_every; /* 0: no nulls; k: rows with row % k == k - 1 are null */
	unsigned card;     /* strings: number of distinct values (0: all distinct);
	                    * numbers: nonzero narrows them to card values */
	unsigned pow10;    /* integers: multiply the narrowed values by 10^pow10 */
} tu_col;

/* a fresh path in the test's scratch directory */
const char *tu_path(const char *name);
/* the scratch directory (created once) */
const char *tu_dir(void);

int tu_is_null(const tu_col *c, uint64_t row);
int64_t tu_int(const tu_col *c, uint64_t row);
double tu_dbl(const tu_col *c, uint64_t row);
/* writes the string of (c, row) into buf (>= 64 bytes), returns its length */
size_t tu_str(const tu_col *c, uint64_t row, char *buf);

/* write the table; use_batch selects colstore_writer_append_batch */
/* a writer of path with rgs rows a row group (0: the default) and the
 * compression set given; NULL when it cannot be created */
colstore_writer *tu_writer(const char *path, uint32_t rgs, uint32_t compression);
int tu_write(const char *path, const tu_col *cols, unsigned ncols, uint64_t rows,
             const colstore_writer_options *opts, int use_batch, colstore_error *err);
/* rows [from, to) of the table into w */
int tu_put_rows(colstore_writer *w, const tu_col *cols, unsigned ncols, uint64_t from,
                uint64_t to, colstore_error *err);
/* rows [from, to) of the table appended to the file at path */
int tu_append(const char *path, const tu_col *cols, unsigned ncols, uint64_t from, uint64_t to,
              const colstore_writer_options *opts, colstore_error *err);
/* the text every dump must start with (header, column and row lines) */
char *tu_expected(const tu_col *cols, unsigned ncols, uint64_t rows, uint32_t rgs);
/* full dump (with chunk lines) through libcolstore; NULL and *rc set on error */
char *tu_lib_dump(colstore_reader *r, int *rc, colstore_error *err);
char *tu_lib_dump_file(const char *path, int *rc, colstore_error *err);

/* every cell of an aggregation (threads and memory limit as given) as text
 * that keeps each double's bits; NULL, the error printed, when it fails.
 * passes, spill (may be NULL): colstore_agg_passes, colstore_agg_spill_bytes */
char *tu_agg_text(colstore_reader *r, const char *aggs, const char *gb, const char *where,
                  uint32_t threads, uint64_t mem, uint32_t *passes, uint64_t *spill);

/* a filter compiled for r (the test fails if it does not parse), kept until
 * tu_flt_clear(), which a test calls once the scans, aggregations and
 * streams that use its filters are done */
const colstore_filter *tu_flt(colstore_reader *r, const char *where);
void tu_flt_clear(void);

/* read a whole file into malloc'd memory */
unsigned char *tu_read_file(const char *path, size_t *size);
int tu_write_file(const char *path, const void *data, size_t size);
/* does text start with prefix? */
int tu_starts_with(const char *text, const char *prefix);
/* number of entries in a directory (excluding . and ..) */
int tu_dir_entries(const char *dir);

/* string output helpers shared with the dumpers */
typedef struct tu_buf {
	char *p;
	size_t len, cap;
} tu_buf;
void tu_printf(tu_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tu_quote(tu_buf *b, const char *s, size_t len);

/* suites */
void register_format_tests(void);
void register_bitpack_tests(void);
void register_dict_tests(void);
void register_roundtrip_tests(void);
void register_corrupt_tests(void);
void register_spec_tests(void);
void register_append_tests(void);
void register_golden_tests(void);
void register_import_tests(void);
void register_pack_tests(void);
void register_simd_tests(void);
void register_filter_tests(void);
void register_calc_tests(void);
void register_agg_tests(void);
void register_engine_tests(void);
void register_fuzzreg_tests(void);
void register_thread_tests(void);
void register_scan_tests(void);
void register_arrow_tests(void);

/* the next value of a xorshift64 generator of state *s (not zero) */
static inline uint64_t tu_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#endif
