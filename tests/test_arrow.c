/*
 * test_arrow.c -- colstore_reader_export_stream() and colstore_export():
 * every type's Arrow layout read back value by value against the table's
 * generator, zero copy from the mapping for uncompressed blocks, filters,
 * dictionary index widths, the reference count that keeps the mapping
 * alive after colstore_reader_close(), UTF-8 checks and errors.  The
 * independent readers (DuckDB, Arrow JS, Polars) are in tests/interop.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

enum { C_I8, C_I16, C_I32, C_I64, C_F32, C_F64, C_B, C_D, C_TS, C_SD, C_SW, C_SP, C_SA, NCOL };



static const struct {
	const char *name;
	colstore_type type;
	uint32_t flags;
	const char *format; /* expected Arrow format */
} acols[NCOL] = {
	{ "i8", COLSTORE_TYPE_INT8, 0, "c" },
	{ "i16", COLSTORE_TYPE_INT16, 0, "s" },
	{ "i32", COLSTORE_TYPE_INT32, 0, "i" },
	{ "i64", COLSTORE_TYPE_INT64, 0, "l" },
	{ "f32", COLSTORE_TYPE_FLOAT32, 0, "f" },
	{ "f64", COLSTORE_TYPE_FLOAT64, 0, "g" },
	{ "b", COLSTORE_TYPE_BOOL, 0, "b" },
	{ "d", COLSTORE_TYPE_DATE, 0, "tdD" },
	{ "ts", COLSTORE_TYPE_TIMESTAMP, 0, "tsu:" },
	{ "sd", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, "C" },   /* 20 values */
	{ "sw", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, "S" },   /* 700: widths 1 then 2 */
	{ "sp", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, "u" },
	{ "sa", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_AUTO, "u" },   /* DICT, then PLAIN */
};

/* the table's rows and row-group size (test_long_row_group changes them) */
static uint32_t a_rows = 1000, a_rg = 256;
#define AROWS a_rows
#define ARG a_rg

static int a_null(int c, uint64_t row)
{
	static const unsigned every[NCOL] = { 7, 0, 11, 5, 0, 13, 5, 0, 9, 6, 0, 8, 10 };
	return every[c] && row % every[c] == every[c] - 1;
}

static int64_t a_int(int c, uint64_t row)
{
	uint64_t k = row * 2654435761u + (uint64_t)c * 977;
	switch (c) {
	case C_I8: return row % 50 == 3 ? INT8_MIN : (int8_t)k;
	case C_I16: return row % 50 == 4 ? INT16_MAX : (int16_t)k;
	case C_I32: return (int32_t)k;
	case C_I64: return row % 50 == 5 ? INT64_MIN : (int64_t)(k * 0x9E3779B97F4A7C15ull);
	case C_B: return (int64_t)((k >> 7) & 1);
	case C_D: return (int64_t)(k % 40000) - 10000;
	default: return (int64_t)(k % 4000000000000000ull) - 1000000000000000;
	}
}

static double a_dbl(int c, uint64_t row)
{
	double v = (double)(int64_t)(row * 7919 % 100003) / 64.0 - 500.0;
	if (row % 37 == 1)
		v = -0.0;
	if (row % 37 == 2)
		v = NAN;
	return c == C_F32 ? (double)(float)v : v;
}

/* UTF-8 strings: ASCII, two-, three- and four-byte sequences, the empty string */
static size_t a_str(int c, uint64_t row, char *buf)
{
	static const char *const pieces[] = { "", "north", "s\xc3\xbc" "d", "\xe6\x9d\xb1",
		                              "\xf0\x9f\x90\x98 big", "quote\" comma,\nline" };
	uint64_t k = c == C_SD ? row % 20 : c == C_SW ? row % 700 : row;
	if (k < 6)
		return (size_t)snprintf(buf, 64, "%s", pieces[k]);
	return (size_t)snprintf(buf, 64, "%s-%" PRIu64, pieces[k % 6], k);
}

static int a_write(const char *path, uint32_t compression, colstore_error *e)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = ARG;
	o.compression = compression;
	o.dict_budget = 3000; /* column sa: over it within the first row groups */
	colstore_writer *w;
	int rc = colstore_writer_create(path, &o, &w, e);
	for (int c = 0; !rc && c < NCOL; c++)
		rc = colstore_writer_add_column(w, acols[c].name, acols[c].type, acols[c].flags, e);
	char s[64];
	for (uint64_t row = 0; !rc && row < AROWS; row++) {
		for (int c = 0; !rc && c < NCOL; c++) {
			if (a_null(c, row))
				rc = colstore_writer_put_null(w, (uint32_t)c, e);
			else if (acols[c].type == COLSTORE_TYPE_STRING)
				rc = colstore_writer_put_string(w, (uint32_t)c, s, a_str(c, row, s), e);
			else if (acols[c].type == COLSTORE_TYPE_FLOAT32 ||
			         acols[c].type == COLSTORE_TYPE_FLOAT64)
				rc = colstore_writer_put_double(w, (uint32_t)c, a_dbl(c, row), e);
			else
				rc = colstore_writer_put_int(w, (uint32_t)c, a_int(c, row), e);
		}
		if (!rc)
			rc = colstore_writer_end_row(w, e);
	}
	if (rc) {
		colstore_writer_abort(w);
		return rc;
	}
	return colstore_writer_finish(w, e);
}

/* write the table at a fresh path and open it; NULL after a failed assert */
static colstore_reader *a_open(const char *name, uint32_t compression)
{
	colstore_error e;
	colstore_reader *r = NULL;
	const char *path = tu_path(name);
	CU_ASSERT_EQUAL(a_write(path, compression, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_OK);
	return r;
}

/* the expected cell as text */
static void a_expect(int c, uint64_t row, char *out, size_t n)
{
	char s[64];
	if (a_null(c, row)) {
		snprintf(out, n, "null");
		return;
	}
	switch (acols[c].type) {
	case COLSTORE_TYPE_FLOAT32: {
		float f = (float)a_dbl(c, row);
		uint32_t bits;
		memcpy(&bits, &f, 4);
		snprintf(out, n, "f%08x", bits);
		return;
	}
	case COLSTORE_TYPE_FLOAT64: {
		double d = a_dbl(c, row);
		uint64_t bits;
		memcpy(&bits, &d, 8);
		snprintf(out, n, "d%016" PRIx64, bits);
		return;
	}
	case COLSTORE_TYPE_STRING: {
		size_t len = a_str(c, row, s);
		snprintf(out, n, "'%.*s'", (int)len, s);
		return;
	}
	default: snprintf(out, n, "%" PRId64, a_int(c, row));
	}
}

/* cell i of exported child a (format fmt) as text */
static void a_cell(const struct ArrowArray *a, const char *fmt, int64_t i, char *out, size_t n)
{
	const uint8_t *valid = a->buffers[0];
	if (valid && !((valid[i >> 3] >> (i & 7)) & 1)) {
		snprintf(out, n, "null");
		return;
	}
	const void *d = a->buffers[1];
	switch (fmt[0]) {
	case 'c': snprintf(out, n, "%d", ((const int8_t *)d)[i]); return;
	case 's': snprintf(out, n, "%d", ((const int16_t *)d)[i]); return;
	case 'i': snprintf(out, n, "%d", ((const int32_t *)d)[i]); return;
	case 'l': snprintf(out, n, "%" PRId64, ((const int64_t *)d)[i]); return;
	case 'f': snprintf(out, n, "f%08x", ((const uint32_t *)d)[i]); return;
	case 'g': snprintf(out, n, "d%016" PRIx64, ((const uint64_t *)d)[i]); return;
	case 'b': snprintf(out, n, "%d", (((const uint8_t *)d)[i >> 3] >> (i & 7)) & 1); return;
	case 't':
		if (fmt[1] == 'd')
			snprintf(out, n, "%d", ((const int32_t *)d)[i]);
		else
			snprintf(out, n, "%" PRId64, ((const int64_t *)d)[i]);
		return;
	case 'u': {
		const int32_t *off = d;
		snprintf(out, n, "'%.*s'", (int)(off[i + 1] - off[i]),
		         (const char *)a->buffers[2] + off[i]);
		return;
	}
	default: { /* dictionary indices C / S / I */
		uint32_t k = fmt[0] == 'C' ? ((const uint8_t *)d)[i]
		           : fmt[0] == 'S' ? ((const uint16_t *)d)[i] : ((const uint32_t *)d)[i];
		const struct ArrowArray *dict = a->dictionary;
		if ((int64_t)k >= dict->length) {
			snprintf(out, n, "index %u out of %" PRId64, k, dict->length);
			return;
		}
		a_cell(dict, "u", k, out, n);
	}
	}
}

static int a_in(const colstore_reader *r, const void *p)
{
	return p && (const uint8_t *)p >= r->data && (const uint8_t *)p < r->data + r->size;
}

typedef struct a_stats {
	uint64_t rows, batches, cells_bad, in_map, copied;
} a_stats;

/* read a whole stream and compare every cell with rows that keep(row) */
static int a_drain(colstore_reader *r, struct ArrowArrayStream *st, const int *cols, int ncols,
                   int (*keep)(uint64_t), a_stats *sx)
{
	struct ArrowSchema sc;
	memset(sx, 0, sizeof(*sx));
	CU_ASSERT_EQUAL_FATAL(st->get_schema(st, &sc), 0);
	CU_ASSERT_STRING_EQUAL(sc.format, "+s");
	CU_ASSERT_EQUAL_FATAL(sc.n_children, ncols);
	for (int k = 0; k < ncols; k++) {
		int c = cols[k];
		CU_ASSERT_STRING_EQUAL(sc.children[k]->name, acols[c].name);
		CU_ASSERT_STRING_EQUAL(sc.children[k]->format, acols[c].format);
		if (strcmp(sc.children[k]->format, acols[c].format) != 0)
			fprintf(stderr, "\n  column %s: format %s, want %s", acols[c].name,
			        sc.children[k]->format, acols[c].format);
		CU_ASSERT_EQUAL(sc.children[k]->flags, ARROW_FLAG_NULLABLE);
		int isdict = strchr("CSI", acols[c].format[0]) != NULL;
		CU_ASSERT_EQUAL(sc.children[k]->dictionary != NULL, isdict);
		if (isdict)
			CU_ASSERT_STRING_EQUAL(sc.children[k]->dictionary->format, "u");
	}
	uint64_t row = 0;
	for (;;) {
		struct ArrowArray a;
		int rc = st->get_next(st, &a);
		CU_ASSERT_EQUAL(rc, 0);
		if (rc || !a.release)
			break;
		sx->batches++;
		CU_ASSERT_EQUAL(a.n_children, ncols);
		CU_ASSERT_EQUAL(a.offset, 0);
		/* the rows this batch should hold: the next ones that keep() */
		uint64_t first = row;
		for (int64_t i = 0; i < a.length; i++) {
			while (row < AROWS && !keep(row))
				row++;
			for (int k = 0; k < ncols; k++) {
				char got[160], want[160];
				a_cell(a.children[k], sc.children[k]->format, i, got, sizeof(got));
				a_expect(cols[k], row, want, sizeof(want));
				if (strcmp(got, want) != 0) {
					if (sx->cells_bad++ < 5)
						fprintf(stderr, "\n  column %s row %" PRIu64 ": got %s want %s",
						        acols[cols[k]].name, row, got, want);
				}
			}
			row++;
		}
		(void)first;
		for (int k = 0; k < ncols; k++) {
			struct ArrowArray *ch = a.children[k];
			int64_t nulls = 0;
			const uint8_t *valid = ch->buffers[0];
			for (int64_t i = 0; valid && i < ch->length; i++)
				nulls += !((valid[i >> 3] >> (i & 7)) & 1);
			CU_ASSERT_EQUAL(ch->null_count, nulls);
			CU_ASSERT_EQUAL(ch->length, a.length);
			for (int64_t b = 0; b < ch->n_buffers; b++) {
				if (!ch->buffers[b])
					continue;
				if (a_in(r, ch->buffers[b]))
					sx->in_map++;
				else
					sx->copied++;
			}
		}
		sx->rows += (uint64_t)a.length;
		a.release(&a);
		CU_ASSERT_PTR_NULL(a.release);
	}
	while (row < AROWS && !keep(row))
		row++;
	CU_ASSERT_EQUAL(row, AROWS); /* no kept row was missed at the end */
	sc.release(&sc);
	CU_ASSERT_PTR_NULL(sc.release);
	return 0;
}

static int keep_all(uint64_t row)
{
	(void)row;
	return 1;
}

static const int all_cols[NCOL] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

static void test_every_type_zero_copy(void)
{
	colstore_error e;
	colstore_reader *r = a_open("arrow-plain.colstore", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct ArrowArrayStream st;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, NULL, NULL, &st, &e), COLSTORE_OK);
	a_stats sx;
	a_drain(r, &st, all_cols, NCOL, keep_all, &sx);
	CU_ASSERT_EQUAL(sx.rows, AROWS);
	CU_ASSERT_EQUAL(sx.batches, (AROWS + ARG - 1) / ARG);
	CU_ASSERT_EQUAL(sx.cells_bad, 0);
	CU_ASSERT(sx.in_map > 0);
	CU_ASSERT_PTR_NULL(st.get_last_error(&st));
	st.release(&st);
	CU_ASSERT_PTR_NULL(st.release);

	/* the columns stored in place: every buffer of every batch is a pointer
	 * into the mapping (sw's first row group has 1-byte codes, later ones 2;
	 * sa mixes DICT and PLAIN chunks: both are copied where they differ),
	 * but for sp's string offsets, which bound every read of its bytes and
	 * are handed out as a checked copy, one a batch */
	static const int inplace[] = { C_I8, C_I16, C_I32, C_I64, C_F32, C_F64, C_B, C_D, C_TS,
		                       C_SD, C_SP };
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "i8,i16,i32,i64,f32,f64,b,d,ts,sd,sp",
	                                                    NULL, &st, &e), COLSTORE_OK);
	a_drain(r, &st, inplace, (int)(sizeof(inplace) / sizeof(inplace[0])), keep_all, &sx);
	CU_ASSERT_EQUAL(sx.cells_bad, 0);
	CU_ASSERT_EQUAL(sx.copied, sx.batches);
	CU_ASSERT(sx.in_map >= 11 * sx.batches);
	st.release(&st);

	/* the dictionary child too is the column's dictionary in the mapping */
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "sw", NULL, &st, &e), COLSTORE_OK);
	struct ArrowArray a;
	CU_ASSERT_EQUAL_FATAL(st.get_next(&st, &a), 0);
	CU_ASSERT_EQUAL(a.children[0]->dictionary->length, 700);
	CU_ASSERT(a_in(r, a.children[0]->dictionary->buffers[1]));
	CU_ASSERT(a_in(r, a.children[0]->dictionary->buffers[2]));
	CU_ASSERT(!a_in(r, a.children[0]->buffers[1])); /* 1-byte codes widened to 2 */
	a.release(&a);
	CU_ASSERT_EQUAL_FATAL(st.get_next(&st, &a), 0);
	CU_ASSERT(a_in(r, a.children[0]->buffers[1])); /* 2-byte codes as stored */
	a.release(&a);
	st.release(&st);
	tu_flt_clear();
	colstore_reader_close(r);
}

static void test_compressed(void)
{
	colstore_error e;
	colstore_reader *r = a_open("arrow-packed.colstore", COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct ArrowArrayStream st;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, NULL, NULL, &st, &e), COLSTORE_OK);
	a_stats sx;
	a_drain(r, &st, all_cols, NCOL, keep_all, &sx);
	CU_ASSERT_EQUAL(sx.rows, AROWS);
	CU_ASSERT_EQUAL(sx.cells_bad, 0);
	CU_ASSERT(sx.copied > 0); /* decoded blocks live in the batch */
	st.release(&st);
	tu_flt_clear();
	colstore_reader_close(r);
}

static int keep_where(uint64_t row)
{
	return !a_null(C_I32, row) && a_int(C_I32, row) > 0 && !a_null(C_B, row) &&
	       a_int(C_B, row) == 1;
}

static int keep_none(uint64_t row)
{
	(void)row;
	return 0;
}

static void test_where(void)
{
	for (int z = 0; z < 2; z++) {
		colstore_error e;
		colstore_reader *r = a_open(z ? "arrow-where-z.colstore" : "arrow-where.colstore",
		                            z ? COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK : 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		struct ArrowArrayStream st;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, NULL, tu_flt(r, "i32 > 0 and b = true"),
		                                                    &st, &e), COLSTORE_OK);
		a_stats sx;
		a_drain(r, &st, all_cols, NCOL, keep_where, &sx);
		uint64_t want = 0;
		for (uint64_t row = 0; row < AROWS; row++)
			want += (uint64_t)keep_where(row);
		CU_ASSERT(want > 50 && want < AROWS / 2);
		CU_ASSERT_EQUAL(sx.rows, want);
		CU_ASSERT_EQUAL(sx.cells_bad, 0);
		st.release(&st);

		/* nothing matches: no batch at all, the schema still there */
		CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "sd,i64", tu_flt(r, "i8 > 1000"), &st, &e),
		                      COLSTORE_OK);
		static const int two[] = { C_SD, C_I64 };
		a_drain(r, &st, two, 2, keep_none, &sx);
		CU_ASSERT_EQUAL(sx.batches, 0);
		st.release(&st);
		tu_flt_clear();
		colstore_reader_close(r);
	}
}

/* a row group longer than a batch (65,536 rows): handed out in batches of
 * at most that many rows, every cell right, in place or packed and LZ4,
 * with and without a filter */
static void test_long_row_group(void)
{
	a_rows = 140000;
	a_rg = 140000;
	for (int z = 0; z < 2; z++) {
		colstore_error e;
		colstore_reader *r = a_open("arrow-long.colstore", z ? COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK : 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		struct ArrowArrayStream st;
		a_stats sx;
		/* every column but sa, which one long chunk keeps DICT (it turns PLAIN
		 * in the short row groups the other tests write) */
		static const int cols[] = { C_I8, C_I16, C_I32, C_I64, C_F32, C_F64, C_B, C_D, C_TS,
		                            C_SD, C_SW, C_SP };
		const char *names = "i8,i16,i32,i64,f32,f64,b,d,ts,sd,sw,sp";
		const int nc = (int)(sizeof(cols) / sizeof(cols[0]));
		CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, names, NULL, &st, &e), COLSTORE_OK);
		a_drain(r, &st, cols, nc, keep_all, &sx);
		CU_ASSERT_EQUAL(sx.rows, 140000);
		CU_ASSERT_EQUAL(sx.batches, 3); /* 65,536 + 65,536 + 8,928 */
		CU_ASSERT_EQUAL(sx.cells_bad, 0);
		st.release(&st);
		CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, names, tu_flt(r, "i32 > 0 and b = true"),
		                                                    &st, &e), COLSTORE_OK);
		a_drain(r, &st, cols, nc, keep_where, &sx);
		uint64_t want = 0;
		for (uint64_t row = 0; row < AROWS; row++)
			want += (uint64_t)keep_where(row);
		CU_ASSERT_EQUAL(sx.rows, want);
		CU_ASSERT_EQUAL(sx.cells_bad, 0);
		st.release(&st);
		tu_flt_clear();
		colstore_reader_close(r);
	}
	a_rows = 1000;
	a_rg = 256;
}

/* the reader closed first, a child moved out and outliving its parent */
static void test_lifetime(void)
{
	colstore_error e;
	colstore_reader *r = a_open("arrow-life.colstore", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct ArrowArrayStream st;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "sd,i64", NULL, &st, &e),
	                      COLSTORE_OK);
	tu_flt_clear();
	colstore_reader_close(r); /* the stream keeps the mapping */
	struct ArrowSchema sc;
	CU_ASSERT_EQUAL_FATAL(st.get_schema(&st, &sc), 0);
	struct ArrowArray a, b;
	CU_ASSERT_EQUAL_FATAL(st.get_next(&st, &a), 0);
	CU_ASSERT_EQUAL_FATAL(st.get_next(&st, &b), 0);
	st.release(&st); /* the arrays keep it now */
	struct ArrowArray moved = *a.children[0];
	a.children[0]->release = NULL;
	a.release(&a);
	b.release(&b);
	char got[160], want[160];
	int bad = 0;
	for (int64_t i = 0; i < moved.length; i++) {
		a_cell(&moved, sc.children[0]->format, i, got, sizeof(got));
		a_expect(C_SD, (uint64_t)i, want, sizeof(want));
		bad += strcmp(got, want) != 0;
	}
	CU_ASSERT_EQUAL(moved.length, ARG);
	CU_ASSERT_EQUAL(bad, 0);
	moved.release(&moved); /* the last reference: unmaps (ASan/valgrind watch) */
	CU_ASSERT_PTR_NULL(moved.release);
	sc.release(&sc);
}

static void test_utf8_and_errors(void)
{
	const char *path = tu_path("arrow-bad.colstore");
	colstore_error e;
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "p", COLSTORE_TYPE_STRING,
	                                           COLSTORE_COLUMN_PLAIN, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "q", COLSTORE_TYPE_STRING,
	                                           COLSTORE_COLUMN_DICT, &e), COLSTORE_OK);
	static const char *const pv[] = { "ok", "\xc3\xa9t\xc3\xa9", "cut \xe6\x9d", "x" };
	static const char *const qv[] = { "a", "b", "\xed\xa0\x80", "c" }; /* a surrogate */
	/* a two-byte sequence cut between rows 2 and 3: valid UTF-8 as a whole */
	static const char *const cv[] = { "ok", "", "cut \xc3", "\xa9 rest" };
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "c", COLSTORE_TYPE_STRING,
	                                           COLSTORE_COLUMN_PLAIN, &e), COLSTORE_OK);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(colstore_writer_put_string(w, 0, pv[i], strlen(pv[i]), &e), 0);
		CU_ASSERT_EQUAL(colstore_writer_put_string(w, 1, qv[i], strlen(qv[i]), &e), 0);
		CU_ASSERT_EQUAL(colstore_writer_put_string(w, 2, cv[i], strlen(cv[i]), &e), 0);
		CU_ASSERT_EQUAL(colstore_writer_end_row(w, &e), 0);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, &e), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_OK);

	struct ArrowArrayStream st;
	CU_ASSERT_EQUAL(colstore_reader_export_stream(r, "q", NULL, &st, &e), COLSTORE_EINVAL);
	CU_ASSERT_PTR_NULL(st.release);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "dictionary entry 2 is not valid UTF-8"));

	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "p", NULL, &st, &e), COLSTORE_OK);
	struct ArrowArray a;
	CU_ASSERT_EQUAL(st.get_next(&st, &a), EINVAL);
	CU_ASSERT_PTR_NULL(a.release);
	const char *msg = st.get_last_error(&st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "column 'p', row 2: not valid UTF-8"));
	st.release(&st);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "c", NULL, &st, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(st.get_next(&st, &a), EINVAL);
	msg = st.get_last_error(&st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "column 'c', row 2: not valid UTF-8"));
	st.release(&st);
	/* rows 0, 1 and 3 alone are fine (copied, then checked) */
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, "p", tu_flt(r, "p != 'cut \xe6\x9d'"), &st, &e),
	                      COLSTORE_OK);
	CU_ASSERT_EQUAL(st.get_next(&st, &a), 0);
	CU_ASSERT_EQUAL(a.length, 3);
	if (a.release)
		a.release(&a);
	st.release(&st);

	/* a failed export leaves the old file at the path and nothing else */
	const char *out = tu_path("arrow-bad-out.parquet");
	CU_ASSERT_EQUAL(tu_write_file(out, "old", 3), 0);
	colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
	o.format = COLSTORE_EXPORT_PARQUET;
	o.columns = "p";
	int before = tu_dir_entries(tu_dir());
	CU_ASSERT_EQUAL(colstore_export(r, out, &o, NULL, &e), COLSTORE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "not valid UTF-8"));
	size_t n;
	unsigned char *old = tu_read_file(out, &n);
	CU_ASSERT(old && n == 3 && memcmp(old, "old", 3) == 0);
	free(old);
	CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), before);

	/* argument errors */
	CU_ASSERT_EQUAL(colstore_reader_export_stream(r, "p,nope", NULL, &st, &e), COLSTORE_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "nope"));
	CU_ASSERT_EQUAL(colstore_reader_export_stream(r, "p,p", NULL, &st, &e), COLSTORE_EINVAL);
	colstore_filter *bad = NULL;
	CU_ASSERT_EQUAL(colstore_filter_parse(r, "p >", &bad, &e), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NULL(bad);
	/* a filter compiled for another reader */
	colstore_reader *r2 = a_open("arrow-other.colstore", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
	CU_ASSERT_EQUAL(colstore_reader_export_stream(r2, NULL, tu_flt(r, "p = 'x'"), &st, &e),
	                COLSTORE_EINVAL);
	CU_ASSERT_PTR_NULL(st.release);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "another reader"));
	colstore_reader_close(r2);
	CU_ASSERT_EQUAL(colstore_reader_export_stream(NULL, NULL, NULL, &st, &e), COLSTORE_EINVAL);
	o.format = 7;
	CU_ASSERT_EQUAL(colstore_export(r, out, &o, NULL, &e), COLSTORE_EINVAL);
	tu_flt_clear();
	colstore_reader_close(r);
}

/* colstore_export: the files carry their formats' magic at both ends and
 * the result counts rows and batches; written in smaller pieces they are
 * the same */
static void test_export_files(void)
{
	colstore_error e;
	colstore_reader *r = a_open("arrow-exp.colstore", COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int f = 0; f < 2; f++) {
		for (uint32_t z = 0; z < 2; z++) {
			colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
			o.format = f ? COLSTORE_EXPORT_PARQUET : COLSTORE_EXPORT_ARROW;
			o.compression = z ? COLSTORE_EXPORT_LZ4 : 0;
			o.where = tu_flt(r, "i16 >= 0");
			char name[64];
			snprintf(name, sizeof(name), "exp-%d-%u.%s", f, z, f ? "parquet" : "arrow");
			const char *out = tu_path(name);
			colstore_export_result res;
			cs_test_wb_odd = 0;
			int rc = colstore_export(r, out, &o, &res, &e);
			CU_ASSERT_EQUAL(rc, COLSTORE_OK);
			if (rc)
				fprintf(stderr, "\n  export: %s", e.message);
			CU_ASSERT_TRUE(cs_test_wb_odd <= 1); /* pieces ending at 64 KiB multiples */
			uint64_t want = 0;
			for (uint64_t row = 0; row < AROWS; row++)
				want += !a_null(C_I16, row) && a_int(C_I16, row) >= 0;
			CU_ASSERT_EQUAL(res.rows, want);
			CU_ASSERT_EQUAL(res.batches, (AROWS + ARG - 1) / ARG);
			size_t n;
			unsigned char *p = tu_read_file(out, &n);
			CU_ASSERT_PTR_NOT_NULL_FATAL(p);
			CU_ASSERT_EQUAL(n, res.bytes_out);
			const char *magic = f ? "PAR1" : "ARROW1";
			size_t ml = strlen(magic);
			CU_ASSERT(n > 2 * ml && memcmp(p, magic, ml) == 0 &&
			          memcmp(p + n - ml, magic, ml) == 0);
			/* written in pieces of 7 and 4,096 bytes: the same file, every
			 * write but the last ending at a piece's end */
			for (size_t k = 7; k <= 4096; k += 4089) {
				const char *again = tu_path("exp-pieces");
				cs_test_wb = k;
				cs_test_wb_odd = 0;
				rc = colstore_export(r, again, &o, NULL, &e);
				cs_test_wb = 0;
				CU_ASSERT_EQUAL(rc, COLSTORE_OK);
				if (rc)
					fprintf(stderr, "\n  export in pieces of %zu: %s", k, e.message);
				CU_ASSERT_TRUE(cs_test_wb_odd <= 1);
				size_t m;
				unsigned char *q = tu_read_file(again, &m);
				CU_ASSERT_TRUE(q && m == n && memcmp(p, q, n) == 0);
				free(q);
				unlink(again);
			}
			free(p);
		}
	}
	tu_flt_clear();
	colstore_reader_close(r);
}

/* a reader over memory that is not 8-byte aligned: every buffer handed out
 * is (copied where it has to be), and the values are the same */
static void test_unaligned_memory(void)
{
	const char *path = tu_path("arrow-mem.colstore");
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(a_write(path, 0, &e), COLSTORE_OK);
	size_t n;
	unsigned char *file = tu_read_file(path, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	unsigned char *mem = malloc(n + 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	memcpy(mem + 4, file, n);
	free(file);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(mem + 4, n, NULL, &r, &e), COLSTORE_OK);
	struct ArrowArrayStream st;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, NULL, NULL, &st, &e), COLSTORE_OK);
	struct ArrowArray a;
	uint64_t misaligned = 0;
	while (st.get_next(&st, &a) == 0 && a.release) {
		for (int64_t k = 0; k < a.n_children; k++)
			for (int64_t b = 0; b < a.children[k]->n_buffers; b++)
				misaligned += ((uintptr_t)a.children[k]->buffers[b] & 7) != 0;
		a.release(&a);
	}
	CU_ASSERT_EQUAL(misaligned, 0);
	st.release(&st);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_export_stream(r, NULL, NULL, &st, &e), COLSTORE_OK);
	a_stats sx;
	a_drain(r, &st, all_cols, NCOL, keep_all, &sx);
	CU_ASSERT_EQUAL(sx.rows, AROWS);
	CU_ASSERT_EQUAL(sx.cells_bad, 0);
	st.release(&st);
	tu_flt_clear();
	colstore_reader_close(r);
	free(mem);
}

void register_arrow_tests(void)
{
	CU_pSuite s = CU_add_suite("arrow export", NULL, NULL);
	CU_add_test(s, "a row group longer than a batch: batches of 65,536 rows", test_long_row_group);
	CU_add_test(s, "every type, value by value; uncompressed blocks in place", test_every_type_zero_copy);
	CU_add_test(s, "LZ4 and packed blocks decoded into the batch", test_compressed);
	CU_add_test(s, "where: the rows that match, and none", test_where);
	CU_add_test(s, "reader closed early, a child outliving its parent", test_lifetime);
	CU_add_test(s, "UTF-8 checks and argument errors; a failed export writes nothing",
	            test_utf8_and_errors);
	CU_add_test(s, "colstore_export: Arrow and Parquet files, plain and LZ4", test_export_files);
	CU_add_test(s, "a reader over unaligned memory hands out aligned buffers", test_unaligned_memory);
}
