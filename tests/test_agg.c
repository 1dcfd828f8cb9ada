/*
 * test_agg.c -- aggregation results against values computed here, row by
 * row from the generator (not by the engine): every aggregate, grouped by
 * a dictionary string and by an integer, with nulls, filters, empty input
 * and int64 overflow.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include <sys/stat.h>

#include "internal.h"
#include "testutil.h"



static const tu_col cols[] = {
	{ "g", COLSTORE_TYPE_STRING, 0, 9, 6 },   /* group key, some nulls */
	{ "k", COLSTORE_TYPE_INT16, 0, 0, 5 },    /* small-range group key */
	{ "q", COLSTORE_TYPE_INT32, 0, 4, 1000 },
	{ "x", COLSTORE_TYPE_FLOAT64, 0, 5, 10000 },
	{ "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 3, 50 },
	{ "d", COLSTORE_TYPE_DATE, 0, 7, 3000 },
};
#define NCOLS 6
#define ROWS 7000

typedef struct exp_group {
	int64_t count, count_q, sum_q, min_q, max_q, count_x, count_s;
	double sum_x;
	char min_s[64], max_s[64];
	size_t min_sl, max_sl;
	int64_t max_d, count_d;
} exp_group;

static void feed(exp_group *e, uint64_t r)
{
	e->count++;
	if (!tu_is_null(&cols[2], r)) {
		int64_t v = tu_int(&cols[2], r);
		if (!e->count_q || v < e->min_q)
			e->min_q = v;
		if (!e->count_q || v > e->max_q)
			e->max_q = v;
		e->count_q++;
		e->sum_q += v;
	}
	if (!tu_is_null(&cols[3], r)) {
		e->count_x++;
		e->sum_x += tu_dbl(&cols[3], r);
	}
	if (!tu_is_null(&cols[4], r)) {
		char s[64];
		size_t n = tu_str(&cols[4], r, s);
		int first = e->count_s == 0;
		int cmin = first ? -1 : memcmp(s, e->min_s, n < e->min_sl ? n : e->min_sl);
		if (!first && cmin == 0)
			cmin = (n > e->min_sl) - (n < e->min_sl);
		int cmax = first ? 1 : memcmp(s, e->max_s, n < e->max_sl ? n : e->max_sl);
		if (!first && cmax == 0)
			cmax = (n > e->max_sl) - (n < e->max_sl);
		if (cmin < 0) {
			memcpy(e->min_s, s, n);
			e->min_sl = n;
		}
		if (cmax > 0) {
			memcpy(e->max_s, s, n);
			e->max_sl = n;
		}
		e->count_s++;
	}
	if (!tu_is_null(&cols[5], r)) {
		int64_t d = tu_int(&cols[5], r);
		if (!e->count_d || d > e->max_d)
			e->max_d = d;
		e->count_d++;
	}
}

static const char *AGGS = "count(*),count(q),sum(q),min(q),max(q),avg(x),sum(x),min(s),max(s),max(d)";

static void check_group(colstore_agg *a, uint64_t g, uint32_t off, const exp_group *e)
{
	colstore_cell c;
	colstore_agg_cell(a, g, off + 0, &c);
	CU_ASSERT_EQUAL(c.i, e->count);
	colstore_agg_cell(a, g, off + 1, &c);
	CU_ASSERT_EQUAL(c.i, e->count_q);
	colstore_agg_cell(a, g, off + 2, &c);
	CU_ASSERT_EQUAL(c.is_null, e->count_q == 0);
	CU_ASSERT_EQUAL(c.i, e->sum_q);
	colstore_agg_cell(a, g, off + 3, &c);
	CU_ASSERT_EQUAL(c.i, e->min_q);
	colstore_agg_cell(a, g, off + 4, &c);
	CU_ASSERT_EQUAL(c.i, e->max_q);
	colstore_agg_cell(a, g, off + 5, &c);
	CU_ASSERT_DOUBLE_EQUAL(c.d, e->count_x ? e->sum_x / (double)e->count_x : 0, 1e-9);
	colstore_agg_cell(a, g, off + 6, &c);
	CU_ASSERT_DOUBLE_EQUAL(c.d, e->sum_x, 1e-6);
	colstore_agg_cell(a, g, off + 7, &c);
	CU_ASSERT_TRUE(c.len == e->min_sl && memcmp(c.s, e->min_s, c.len) == 0);
	colstore_agg_cell(a, g, off + 8, &c);
	CU_ASSERT_TRUE(c.len == e->max_sl && memcmp(c.s, e->max_s, c.len) == 0);
	colstore_agg_cell(a, g, off + 9, &c);
	CU_ASSERT_EQUAL(c.type, COLSTORE_TYPE_DATE);
	CU_ASSERT_EQUAL(c.i, e->max_d);
}

static colstore_reader *open_table(const char **path, uint32_t compression)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 1000;
	o.compression = compression;
	*path = tu_path("agg.colstore");
	if (tu_write(*path, cols, NCOLS, ROWS, &o, 1, NULL))
		return NULL;
	colstore_reader *r;
	return colstore_reader_open(*path, NULL, &r, NULL) ? NULL : r;
}

static void test_no_group(void)
{
	const char *path;
	colstore_reader *r = open_table(&path, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	exp_group e;
	memset(&e, 0, sizeof(e));
	for (uint64_t row = 0; row < ROWS; row++)
		feed(&e, row);
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, AGGS, NULL, NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_num_groups(a), 1);
	CU_ASSERT_EQUAL(colstore_agg_num_columns(a), 10);
	CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 2), "sum(q)");
	check_group(a, 0, 0, &e);
	colstore_agg_free(a);
	tu_flt_clear();
	colstore_reader_close(r);
	unlink(path);
}

static void test_group_by_string(void)
{
	const char *path;
	colstore_reader *r = open_table(&path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	/* expected: groups of g's distinct values (6 + null), sorted, null last */
	char keys[8][64];
	size_t klen[8];
	int nk = 0, null_seen = 0;
	exp_group eg[8], enull;
	memset(eg, 0, sizeof(eg));
	memset(&enull, 0, sizeof(enull));
	for (uint64_t row = 0; row < ROWS; row++) {
		if (tu_is_null(&cols[0], row)) {
			feed(&enull, row);
			null_seen = 1;
			continue;
		}
		char s[64];
		size_t n = tu_str(&cols[0], row, s);
		int k;
		for (k = 0; k < nk; k++)
			if (klen[k] == n && !memcmp(keys[k], s, n))
				break;
		if (k == nk) {
			memcpy(keys[nk], s, n);
			klen[nk++] = n;
		}
		feed(&eg[k], row);
	}
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, AGGS, "g", NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), (uint64_t)(nk + null_seen));
	colstore_cell prev, c;
	for (uint64_t g = 0; g < colstore_agg_num_groups(a); g++) {
		colstore_agg_cell(a, g, 0, &c);
		if (c.is_null) {
			CU_ASSERT_EQUAL(g, colstore_agg_num_groups(a) - 1); /* nulls last */
			check_group(a, g, 1, &enull);
			continue;
		}
		if (g) { /* sorted */
			int cmp = memcmp(prev.s, c.s, prev.len < c.len ? prev.len : c.len);
			CU_ASSERT_TRUE(cmp < 0 || (cmp == 0 && prev.len < c.len));
		}
		prev = c;
		int k;
		for (k = 0; k < nk; k++)
			if (klen[k] == c.len && !memcmp(keys[k], c.s, c.len))
				break;
		CU_ASSERT_TRUE_FATAL(k < nk);
		check_group(a, g, 1, &eg[k]);
	}
	colstore_agg_free(a);
	tu_flt_clear();
	colstore_reader_close(r);
	unlink(path);
}

static void test_group_by_int_where(void)
{
	const char *path;
	colstore_reader *r = open_table(&path, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	exp_group eg[5];
	memset(eg, 0, sizeof(eg));
	for (uint64_t row = 0; row < ROWS; row++) {
		if (tu_is_null(&cols[2], row) || tu_int(&cols[2], row) <= 100)
			continue; /* where q > 100 */
		int64_t k = tu_int(&cols[1], row); /* -1 .. 3 */
		feed(&eg[k + 1], row);
	}
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, AGGS, "k", tu_flt(r, "q > 100"), &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), 5);
	for (uint64_t g = 0; g < 5; g++) {
		colstore_cell c;
		colstore_agg_cell(a, g, 0, &c);
		CU_ASSERT_EQUAL(c.i, (int64_t)g - 1);
		check_group(a, g, 1, &eg[g]);
	}
	colstore_agg_free(a);
	tu_flt_clear();
	colstore_reader_close(r);
	unlink(path);
}

static void test_empty_and_skip(void)
{
	const char *path;
	colstore_reader *r = open_table(&path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	colstore_agg *a;
	/* nothing matches: one row, count 0, sum null; every group skipped */
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*),sum(q),min(s)", NULL, tu_flt(r, "q > 100000"), &a, NULL),
	                      COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	colstore_cell c;
	CU_ASSERT_EQUAL(colstore_agg_num_groups(a), 1);
	colstore_agg_cell(a, 0, 0, &c);
	CU_ASSERT_TRUE(!c.is_null && c.i == 0);
	colstore_agg_cell(a, 0, 1, &c);
	CU_ASSERT_TRUE(c.is_null);
	colstore_agg_cell(a, 0, 2, &c);
	CU_ASSERT_TRUE(c.is_null);
	uint32_t read, skipped;
	colstore_agg_row_groups(a, &read, &skipped);
	CU_ASSERT_EQUAL(read, 0);
	CU_ASSERT_EQUAL(skipped, 7);
	colstore_agg_free(a);
	/* grouped and empty: no rows */
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*)", "g", tu_flt(r, "q > 100000"), &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_num_groups(a), 0);
	colstore_agg_free(a);
	/* bad plans */
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_agg_create(r, "sum(g)", NULL, NULL, &a, &e), COLSTORE_EPARSE);
	CU_ASSERT_STRING_EQUAL(e.message, "sum(g): column 'g' is string; sum, avg, var, stddev, median and quantile need a number column");
	CU_ASSERT_EQUAL(colstore_agg_create(r, "mode(q)", NULL, NULL, &a, &e), COLSTORE_EPARSE);
	CU_ASSERT_EQUAL(colstore_agg_create(r, "count(*)", "zz", NULL, &a, &e), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "--group-by: no column named 'zz' (columns: g, k, q, x, s, d)"));
	/* a filter compiled for another reader of the same file */
	colstore_reader *r2;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r2, NULL), COLSTORE_OK);
	a = NULL;
	CU_ASSERT_EQUAL(colstore_agg_create(r2, "count(*)", NULL, tu_flt(r, "q > 1"), &a, &e),
	                COLSTORE_EINVAL);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "another reader"));
	colstore_reader_close(r2);
	tu_flt_clear();
	colstore_reader_close(r);
	unlink(path);
}

/* float min/max by a few groups, batch by batch: NaN only when every value
 * of the group is NaN, -0 below +0, whatever the row group boundaries, with
 * and without nulls in the column (two code paths) and with a filter */
static void test_group_minmax_nan(void)
{
	static const struct {
		const char *k;
		double x;
	} rows[] = {
		{ "a", NAN }, { "b", 0.0 }, { "c", -0.0 }, { "b", NAN },  { "a", NAN },
		{ "b", -0.0 }, { "c", 0.0 }, { "b", 5.0 }, { "d", 2.0 }, { "d", NAN },
		{ "d", -1.0 }, { "b", NAN },
	};
	const size_t n = sizeof(rows) / sizeof(rows[0]);
	for (int nulls = 0; nulls < 2; nulls++) {
		for (uint32_t rgs = 1; rgs <= 16; rgs *= 4) {
			const char *path = tu_path("agg-nan.colstore");
			colstore_writer *w = tu_writer(path, rgs, 0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(w);
			colstore_writer_add_column(w, "k", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
			colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL);
			colstore_writer_add_column(w, "i", COLSTORE_TYPE_INT32, 0, NULL);
			for (size_t r = 0; r < n + (size_t)nulls; r++) {
				colstore_writer_put_string(w, 0, r < n ? rows[r].k : "e", 1, NULL);
				if (r < n)
					colstore_writer_put_double(w, 1, rows[r].x, NULL);
				else
					colstore_writer_put_null(w, 1, NULL); /* a group "e" of a null */
				colstore_writer_put_int(w, 2, (int64_t)r, NULL);
				CU_ASSERT_EQUAL_FATAL(colstore_writer_end_row(w, NULL), COLSTORE_OK);
			}
			CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
			colstore_reader *r;
			CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
			for (int f = 0; f < 2; f++) {
				colstore_agg *a;
				const colstore_filter *flt = f ? tu_flt(r, "i >= 0") : NULL;
				CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "min(x),max(x),count(x)", "k", flt, &a,
				                                          NULL),
				                      COLSTORE_OK);
				CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
				CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), 4u + (unsigned)nulls);
				colstore_cell mn, mx, ct;
				/* a: only NaN */
				colstore_agg_cell(a, 0, 1, &mn);
				colstore_agg_cell(a, 0, 2, &mx);
				CU_ASSERT(isnan(mn.d) && isnan(mx.d) && !mn.is_null);
				/* b: 0, NaN, -0, 5, NaN */
				colstore_agg_cell(a, 1, 1, &mn);
				colstore_agg_cell(a, 1, 2, &mx);
				colstore_agg_cell(a, 1, 3, &ct);
				CU_ASSERT(mn.d == 0 && signbit(mn.d));
				CU_ASSERT_EQUAL(mx.d, 5.0);
				CU_ASSERT_EQUAL(ct.i, 5);
				/* c: -0, +0 */
				colstore_agg_cell(a, 2, 1, &mn);
				colstore_agg_cell(a, 2, 2, &mx);
				CU_ASSERT(mn.d == 0 && signbit(mn.d));
				CU_ASSERT(mx.d == 0 && !signbit(mx.d));
				/* d: 2, NaN, -1 */
				colstore_agg_cell(a, 3, 1, &mn);
				colstore_agg_cell(a, 3, 2, &mx);
				CU_ASSERT_EQUAL(mn.d, -1.0);
				CU_ASSERT_EQUAL(mx.d, 2.0);
				if (nulls) { /* e: no value at all */
					colstore_agg_cell(a, 4, 1, &mn);
					CU_ASSERT(mn.is_null);
				}
				colstore_agg_free(a);
			}
			tu_flt_clear();
			colstore_reader_close(r);
			unlink(path);
		}
	}
}

/* the file of the DECIMAL tests below finished (bad: an end_row failed)
 * and opened, its column 1 checked to be DECIMAL; NULL on failure */
static colstore_reader *dec_finish_open(colstore_writer *w, const char *path, int bad)
{
	colstore_reader *r = NULL;
	colstore_chunk_info ci;
	CU_ASSERT_EQUAL(bad, COLSTORE_OK);
	if (colstore_writer_finish(w, NULL) != COLSTORE_OK ||
	    colstore_reader_open(path, NULL, &r, NULL) != COLSTORE_OK)
		return NULL;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_chunk_info(r, 0, 1, &ci, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(ci.blocks[COLSTORE_BLOCK_DATA].compression, COLSTORE_COMPRESSION_DECIMAL);
	return r;
}

/* min, max, sum and avg of a DECIMAL column under a few groups take one
 * pass together (cs_kernel_dec_local), with int64 sums that fall back to
 * 128 bits when one passes int64: each group's values from here, exactly,
 * batch by batch (a row group of 70,000 rows is two batches), with and
 * without a filter's selection; then prices whose sums pass int64 against
 * sum(x) alone (the 128-bit kernel) and the sums computed here */
static void test_group_decimal_pass(void)
{
	const uint32_t n = 70000;
	static const char *const keys[] = { "a", "b", "c" };
	for (int big = 0; big < 2; big++)
		for (uint32_t rgs = 1000; rgs <= 70000; rgs *= 70) {
			const char *path = tu_path("agg-dec.colstore");
			colstore_writer *w = tu_writer(path, rgs, COLSTORE_WRITE_PACK);
			CU_ASSERT_PTR_NOT_NULL_FATAL(w);
			colstore_writer_add_column(w, "k", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
			colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL);
			colstore_writer_add_column(w, "e", COLSTORE_TYPE_INT8, 0, NULL);
			/* per group: every row's, and the even cents' (e = 1) */
			__int128 sum[3] = { 0, 0, 0 }, sel[3] = { 0, 0, 0 };
			int64_t mn[3] = { INT64_MAX, INT64_MAX, INT64_MAX }, mx[3] = { INT64_MIN, INT64_MIN, INT64_MIN };
			int64_t smx[3] = { INT64_MIN, INT64_MIN, INT64_MIN };
			int64_t cnt[3] = { 0, 0, 0 };
			uint64_t rng = 0x9e3779b97f4a7c15ull;
			int bad = 0;
			for (uint32_t r = 0; r < n; r++) {
				tu_next(&rng);
				const int g = (int)(rng % 3);
				/* cents: up to 9,999.99, or near 2^53 / 100 (sums pass int64) */
				const int64_t m = big ? ((int64_t)1 << 53) - 1 - (int64_t)(rng >> 40)
				                      : (int64_t)(rng >> 20) % 1000000 - 1000;
				colstore_writer_put_string(w, 0, keys[g], 1, NULL);
				colstore_writer_put_double(w, 1, (double)m / 100, NULL);
				colstore_writer_put_int(w, 2, m % 2 == 0, NULL);
				bad |= colstore_writer_end_row(w, NULL);
				sum[g] += m;
				cnt[g]++;
				mn[g] = m < mn[g] ? m : mn[g];
				mx[g] = m > mx[g] ? m : mx[g];
				if (m % 2 == 0) {
					sel[g] += m;
					smx[g] = m > smx[g] ? m : smx[g];
				}
			}
			colstore_reader *r = dec_finish_open(w, path, bad);
			CU_ASSERT_PTR_NOT_NULL_FATAL(r);
			/* every group: sum, avg, min, max; and sum(x) alone (not in the pass) */
			colstore_agg *a, *one;
			CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "min(x),max(x),sum(x),avg(x)", "k", NULL,
			                                          &a, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(x)", "k", NULL, &one, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_run(one, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), 3u);
			for (uint64_t g = 0; g < 3; g++) {
				colstore_cell c, c1;
				colstore_agg_cell(a, g, 1, &c);
				CU_ASSERT_EQUAL(c.d, (double)mn[g] / 100);
				colstore_agg_cell(a, g, 2, &c);
				CU_ASSERT_EQUAL(c.d, (double)mx[g] / 100);
				colstore_agg_cell(a, g, 3, &c);
				colstore_agg_cell(one, g, 1, &c1);
				CU_ASSERT_EQUAL(c.d, c1.d); /* bit for bit */
				if (!big) /* an exact integer under 2^53, one rounding */
					CU_ASSERT_EQUAL(c.d, (double)(int64_t)sum[g] / 100);
				CU_ASSERT_DOUBLE_EQUAL(c.d, (double)sum[g] / 100, fabs((double)sum[g]) * 1e-17);
				CU_ASSERT(big == (sum[g] > INT64_MAX || sum[g] < INT64_MIN));
				colstore_agg_cell(a, g, 4, &c);
				CU_ASSERT_DOUBLE_EQUAL(c.d, (double)sum[g] / 100 / (double)cnt[g],
				                       fabs((double)sum[g] / 100 / (double)cnt[g]) * 1e-15);
			}
			colstore_agg_free(a);
			colstore_agg_free(one);
			/* a selection: the rows whose cents are even */
			CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(x),max(x)", "k", tu_flt(r, "e = 1"),
			                                          &a, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), 3u);
			for (uint64_t g = 0; g < 3; g++) {
				colstore_cell c;
				colstore_agg_cell(a, g, 1, &c);
				if (!big)
					CU_ASSERT_EQUAL(c.d, (double)(int64_t)sel[g] / 100);
				CU_ASSERT_DOUBLE_EQUAL(c.d, (double)sel[g] / 100, fabs((double)sel[g]) * 1e-17);
				colstore_agg_cell(a, g, 2, &c);
				CU_ASSERT_EQUAL(c.d, (double)smx[g] / 100);
			}
			colstore_agg_free(a);
			tu_flt_clear();
			colstore_reader_close(r);
			unlink(path);
		}
}

/* a DECIMAL column's min and max under a few groups are not worked out
 * for a slice of a batch (or a batch) whose values cannot change them
 * (cs_dec_slices, cs_dec_settled): prices of a few hundred cents settle
 * every group soon; then a new least value in one group, a new greatest at
 * the last row and ties at the bounds, planted late, must still be found,
 * with 3, 16 and 32 groups (slices), 40 (whole batches) and a selection
 * (whole batches, gathered), row groups of 7,000 and 65,536 rows.  With
 * big prices, every group's extremes come first and the rest lie near
 * them, so that late slices take the sums alone and those sums pass int64:
 * the 128-bit redo must be asked for (sums checked against 128-bit ones
 * computed here, and against sum(x) alone) */
static void test_group_decimal_settled(void)
{
	const uint32_t n = 200000;
	static const uint32_t groups[] = { 3, 16, 32, 40 };
	int checked = 0;
	for (int big = 0; big < 2; big++)
		for (size_t gi = 0; gi < sizeof(groups) / sizeof(groups[0]); gi++)
			for (uint32_t rgs = 7000; rgs <= 65536; rgs = rgs == 7000 ? 65536 : 70000) {
				const uint32_t G = groups[gi];
				const char *path = tu_path("agg-settled.colstore");
				colstore_writer *w = tu_writer(path, rgs, COLSTORE_WRITE_PACK);
				CU_ASSERT_PTR_NOT_NULL_FATAL(w);
				colstore_writer_add_column(w, "k", COLSTORE_TYPE_STRING,
				                           COLSTORE_COLUMN_DICT, NULL);
				colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL);
				colstore_writer_add_column(w, "e", COLSTORE_TYPE_INT8, 0, NULL);
				__int128 sum[40] = { 0 }, ssum[40] = { 0 };
				int64_t mn[40], mx[40], smn[40], smx[40];
				for (uint32_t g = 0; g < 40; g++)
					mn[g] = smn[g] = INT64_MAX, mx[g] = smx[g] = INT64_MIN;
				/* big: 2^52 .. 2^53 - 1 cents, so that 4,096 of them pass int64
				 * (a sum that does not cancel, checked to 1e-15 of itself) */
				const int64_t top = ((int64_t)1 << 53) - 1, low = (int64_t)1 << 52;
				uint64_t rng = 0x243f6a8885a308d3ull + G;
				int bad = 0;
				for (uint32_t r = 0; r < n; r++) {
					tu_next(&rng);
					uint32_t g = (uint32_t)(rng % G);
					int64_t m;
					/* each group's least and greatest first, then values
					 * inside them */
					if (big)
						m = r < 2 * G ? (r % 2 ? top : low)
						              : (rng >> 40) % 2 ? top - (int64_t)(rng >> 50)
						                                : low + (int64_t)(rng >> 50);
					else if (r < 2 * G) /* 100 and 899, but 101 and 898 */
						m = r % 2 ? (r / 2 == 0 ? 898 : 899) : (r / 2 == G - 1 ? 101 : 100);
					else
						m = 102 + (int64_t)((rng >> 20) % 796);
					if (r < 2 * G)
						g = r / 2;
					/* in the first batch, whose records are empty (a slice is
					 * settled by the batch's own mins and maxes): one below
					 * the last group's least, one above the first's greatest */
					if (!big && r == 3001)
						m = 100, g = G - 1;
					if (!big && r == 5002)
						m = 899, g = 0;
					/* later, settled by the records: one below every group's
					 * least, in one group; a new least; a tie; a new greatest
					 * at the last row */
					if (!big && r == 120001)
						m = 99, g = 1;
					if (!big && r == 150001)
						m = 37, g = G / 2;
					if (!big && r == 150002)
						m = 100, g = 0;
					if (!big && r == n - 1)
						m = 1000, g = G - 1;
					char key[16];
					snprintf(key, sizeof(key), "g%02u", g);
					colstore_writer_put_string(w, 0, key, strlen(key), NULL);
					colstore_writer_put_double(w, 1, (double)m / 100, NULL);
					colstore_writer_put_int(w, 2, r % 3 != 0, NULL);
					bad |= colstore_writer_end_row(w, NULL);
					sum[g] += m;
					mn[g] = m < mn[g] ? m : mn[g];
					mx[g] = m > mx[g] ? m : mx[g];
					if (r % 3 != 0) {
						ssum[g] += m;
						smn[g] = m < smn[g] ? m : smn[g];
						smx[g] = m > smx[g] ? m : smx[g];
					}
				}
				colstore_reader *r = dec_finish_open(w, path, bad);
				CU_ASSERT_PTR_NOT_NULL_FATAL(r);
				for (int f = 0; f < 2; f++) {
					colstore_agg *a, *one;
					/* rows 3001, 5002, 120001, 150001 and the last are in it */
					const colstore_filter *flt = f ? tu_flt(r, "e = 1") : NULL;
					CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "min(x),max(x),sum(x)", "k", flt,
					                                          &a, NULL), COLSTORE_OK);
					CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
					CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(x)", "k", flt, &one, NULL),
					                      COLSTORE_OK);
					CU_ASSERT_EQUAL_FATAL(colstore_agg_run(one, NULL), COLSTORE_OK);
					CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), G);
					for (uint64_t g = 0; g < G; g++) {
						const int64_t wmn = f ? smn[g] : mn[g], wmx = f ? smx[g] : mx[g];
						const __int128 ws = f ? ssum[g] : sum[g];
						colstore_cell c, c1;
						colstore_agg_cell(a, g, 1, &c);
						CU_ASSERT_EQUAL(c.d, (double)wmn / 100);
						colstore_agg_cell(a, g, 2, &c);
						CU_ASSERT_EQUAL(c.d, (double)wmx / 100);
						colstore_agg_cell(a, g, 3, &c);
						colstore_agg_cell(one, g, 1, &c1);
						CU_ASSERT_EQUAL(c.d, c1.d);
						CU_ASSERT_DOUBLE_EQUAL(c.d, (double)ws / 100,
						                       fabs((double)ws / 100) * 1e-15 + 1e-9);
						CU_ASSERT(big == (ws > INT64_MAX || ws < INT64_MIN));
					}
					colstore_agg_free(a);
					colstore_agg_free(one);
					checked++;
				}
				tu_flt_clear();
				colstore_reader_close(r);
				unlink(path);
			}
	CU_ASSERT_EQUAL(checked, 2 * 4 * 2 * 2);
}

/* one float column whose chunks are DECIMAL (whole numbers or cents: two
 * scales) and plain (NaN, -0.0, +0.0, +-inf), under 4 groups.  The first
 * chunk (plain) leaves a and b holding -inf and +inf, c NaN alone and d
 * -0.0 alone.  The second (DECIMAL) gives c its only numbers: its slice is
 * settled for a and b by their records and must not be for c (a NaN
 * record).  The third is all zeros, d's only ones: settled for a, b and
 * d's min, not for d's max (+0 above -0).  Then a and b alone.  min and
 * max by group, with and without a selection, at 1 and 2 threads, against
 * a fold here in the engine's order (NaN only when nothing else, -0 below
 * +0), bit for bit */
static int mix_better(double x, double cur, int want_min)
{
	if (isnan(x))
		return 0;
	if (isnan(cur))
		return 1;
	if (x == cur)
		return want_min ? signbit(x) && !signbit(cur) : !signbit(x) && signbit(cur);
	return want_min ? x < cur : x > cur;
}

static void test_group_decimal_mixed_chunks(void)
{
	const uint32_t n = 24000, rgs = 1000;
	static const char *const keys[] = { "a", "b", "c", "d" };
	const char *path = tu_path("agg-mixed.colstore");
	colstore_writer *w = tu_writer(path, rgs, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "k", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL);
	colstore_writer_add_column(w, "e", COLSTORE_TYPE_INT8, 0, NULL);
	double mn[2][4], mx[2][4];
	int seen[2][4] = { { 0 } };
	uint64_t rng = 0x13198a2e03707344ull;
	int bad = 0;
	for (uint32_t r = 0; r < n; r++) {
		tu_next(&rng);
		const uint32_t rg = r / rgs;
		uint32_t g;
		double x;
		if (rg == 0) { /* plain: a -inf +inf, b -inf +inf, c NaN, d -0.0 */
			static const double first[] = { -INFINITY, INFINITY, -INFINITY, INFINITY, NAN, -0.0 };
			g = (r % 6) / 2 + (r % 6 == 5);
			x = first[r % 6];
		} else if (rg == 1) { /* DECIMAL: whole numbers, c's only numbers */
			g = (uint32_t)(rng % 3);
			x = (double)((rng >> 24) % 501);
		} else if (rg == 2) { /* DECIMAL: zeros, d's only ones */
			g = r % 3 == 2 ? 3 : r % 3;
			x = 0.0;
		} else {
			g = (uint32_t)(rng % 2);
			if (rg % 6 == 0) { /* plain again */
				static const double sp[] = { NAN, -0.0, 0.0, 0.5, 7.25 };
				x = sp[(rng >> 20) % 5];
			} else if (rg % 2) {
				x = (double)((rng >> 24) % 501);
			} else {
				x = (double)(100 + (int64_t)((rng >> 24) % 800)) / 100;
			}
		}
		colstore_writer_put_string(w, 0, keys[g], 1, NULL);
		colstore_writer_put_double(w, 1, x, NULL);
		colstore_writer_put_int(w, 2, r % 4 != 1 || rg < 3, NULL);
		bad |= colstore_writer_end_row(w, NULL);
		for (int f = 0; f < 2; f++) {
			if (f && r % 4 == 1 && rg >= 3)
				continue;
			if (!seen[f][g]++ || mix_better(x, mn[f][g], 1))
				mn[f][g] = x;
			if (seen[f][g] == 1 || mix_better(x, mx[f][g], 0))
				mx[f][g] = x;
		}
	}
	CU_ASSERT_EQUAL_FATAL(bad, COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	int dec = 0, other = 0;
	for (uint32_t rg = 0; rg < n / rgs; rg++) {
		colstore_chunk_info ci;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_chunk_info(r, rg, 1, &ci, NULL), COLSTORE_OK);
		const int d = ci.blocks[COLSTORE_BLOCK_DATA].compression == COLSTORE_COMPRESSION_DECIMAL;
		dec += d;
		other += !d;
		if (rg <= 2)
			CU_ASSERT_EQUAL(d, rg != 0);
	}
	CU_ASSERT(dec >= 16 && other >= 4); /* both kinds of chunk in the column */
	for (int f = 0; f < 2; f++)
		for (uint32_t th = 1; th <= 2; th++) {
			colstore_agg *a;
			CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "min(x),max(x)", "k",
			                                          f ? tu_flt(r, "e = 1") : NULL, &a, NULL),
			                      COLSTORE_OK);
			colstore_agg_set_threads(a, th);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), 4u);
			for (uint64_t g = 0; g < 4; g++) {
				colstore_cell c;
				colstore_agg_cell(a, g, 1, &c);
				CU_ASSERT(memcmp(&c.d, &mn[f][g], 8) == 0);
				colstore_agg_cell(a, g, 2, &c);
				CU_ASSERT(memcmp(&c.d, &mx[f][g], 8) == 0);
			}
			colstore_agg_free(a);
		}
	/* what the plan meant to cover */
	CU_ASSERT(mn[0][0] == -INFINITY && mx[0][1] == INFINITY);
	CU_ASSERT(mn[0][2] >= 0 && mx[0][2] <= 500 && mx[0][2] > mn[0][2]);
	CU_ASSERT(mn[0][3] == 0 && signbit(mn[0][3]) && mx[0][3] == 0 && !signbit(mx[0][3]));
	tu_flt_clear();
	colstore_reader_close(r);
	unlink(path);
}

/* min and max of a DECIMAL column as one record take the best mantissa of
 * each batch, then one division: the lowest and the highest value placed at
 * the first and last row of a row group and of a 65,536-row batch, found
 * with every row, under a filter's selection, and among nulls */
static void test_decimal_minmax_one(void)
{
	const uint32_t n = 70000;
	static const uint32_t at[] = { 0, 999, 1000, 65535, 65536, 69999 };
	for (uint32_t rgs = 1000; rgs <= 70000; rgs *= 70)
		for (size_t pi = 0; pi < sizeof(at) / sizeof(at[0]); pi++) {
			const uint32_t p = at[pi];
			const char *path = tu_path("agg-decmm.colstore");
			colstore_writer *w = tu_writer(path, rgs, COLSTORE_WRITE_PACK);
			CU_ASSERT_PTR_NOT_NULL_FATAL(w);
			colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL); /* lowest at p */
			colstore_writer_add_column(w, "y", COLSTORE_TYPE_FLOAT64, 0, NULL); /* highest at p */
			colstore_writer_add_column(w, "z", COLSTORE_TYPE_FLOAT64, 0, NULL); /* y, odd rows null */
			colstore_writer_add_column(w, "e", COLSTORE_TYPE_INT8, 0, NULL);
			uint64_t rng = 0x2545f4914f6cdd1dull ^ p;
			int bad = 0;
			for (uint32_t r = 0; r < n; r++) {
				tu_next(&rng);
				const int64_t c = 10000 + (int64_t)(rng % 90000); /* 100.00 .. 999.99 */
				colstore_writer_put_double(w, 0, r == p ? -12.34 : (double)c / 100, NULL);
				colstore_writer_put_double(w, 1, r == p ? 12345.67 : (double)c / 100, NULL);
				if (r % 2 && r != p)
					colstore_writer_put_null(w, 2, NULL);
				else
					colstore_writer_put_double(w, 2, r == p ? 12345.67 : (double)c / 100, NULL);
				colstore_writer_put_int(w, 3, r == p || rng % 3 == 0, NULL);
				bad |= colstore_writer_end_row(w, NULL);
			}
			CU_ASSERT_EQUAL_FATAL(bad, COLSTORE_OK);
			CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
			colstore_reader *r;
			CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
			colstore_chunk_info ci;
			CU_ASSERT_EQUAL_FATAL(colstore_reader_chunk_info(r, 0, 0, &ci, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL(ci.blocks[COLSTORE_BLOCK_DATA].compression,
			                COLSTORE_COMPRESSION_DECIMAL);
			for (int f = 0; f < 2; f++) {
				colstore_agg *a;
				CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "min(x),max(y),max(z),count(z)", NULL,
				                                          f ? tu_flt(r, "e = 1") : NULL, &a, NULL),
				                      COLSTORE_OK);
				CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
				colstore_cell c;
				colstore_agg_cell(a, 0, 0, &c);
				CU_ASSERT_EQUAL(c.d, -12.34);
				colstore_agg_cell(a, 0, 1, &c);
				CU_ASSERT_EQUAL(c.d, 12345.67);
				colstore_agg_cell(a, 0, 2, &c);
				CU_ASSERT_EQUAL(c.d, 12345.67);
				colstore_agg_cell(a, 0, 3, &c);
				if (!f)
					CU_ASSERT_EQUAL(c.i, n / 2 + (p % 2));
				colstore_agg_free(a);
				tu_flt_clear();
			}
			colstore_reader_close(r);
			unlink(path);
		}
}

/* a dictionary group-by of 100,000 groups (its result prepared on the
 * scan's threads: the keys looked up, sorted and the records gathered in
 * shares): the same groups, in byte order of the key, with the counts and
 * sums made here, at 1, 2 and 3 threads; a null key last */
/* colstore_agg_parts: what make did per worker, and the writes' order */
typedef struct parts_ctx {
	const colstore_agg *a;
	uint64_t first[64], end[64], rows[64]; /* per worker: its part, its count(*) */
	uint64_t next;   /* the group the next write must start at */
	uint64_t rows_written, parts, fail_make_at, fail_write_after;
	uint32_t workers;
	uint64_t seen; /* the workers that made a part */
	int ok;
} parts_ctx;

static int parts_make(void *ctx, uint64_t first, uint64_t end, uint32_t worker,
                      colstore_error *err)
{
	parts_ctx *p = ctx;
	if (worker >= p->workers || first >= end)
		p->ok = 0;
	if (first == p->fail_make_at) {
		err->code = COLSTORE_ENOMEM;
		snprintf(err->message, sizeof(err->message), "part at %llu", (unsigned long long)first);
		return COLSTORE_ENOMEM;
	}
	p->first[worker] = first;
	p->end[worker] = end;
	__atomic_fetch_or(&p->seen, 1ull << (worker & 63), __ATOMIC_RELAXED);
	p->rows[worker] = 0;
	for (uint64_t g = first; g < end; g++) {
		colstore_cell c;
		colstore_agg_cell(p->a, g, 1, &c);
		p->rows[worker] += (uint64_t)c.i;
	}
	return COLSTORE_OK;
}

static int parts_write(void *ctx, uint32_t worker, colstore_error *err)
{
	parts_ctx *p = ctx;
	if (p->first[worker] != p->next)
		p->ok = 0;
	p->next = p->end[worker];
	p->rows_written += p->rows[worker];
	if (++p->parts == p->fail_write_after) {
		err->code = COLSTORE_EIO;
		snprintf(err->message, sizeof(err->message), "write %llu", (unsigned long long)p->parts);
		return COLSTORE_EIO;
	}
	return COLSTORE_OK;
}

/* a result's parts on the run's threads: every group once, written in
 * order, on workers below threads_used; a failing make or write stops it
 * with its error and nothing written after */
static void check_parts(const colstore_agg *a, uint64_t rows)
{
	const uint64_t ng = colstore_agg_num_groups(a);
	uint32_t used = colstore_agg_threads_used(a);
	for (int mode = 0; mode < 3; mode++) {
		parts_ctx p;
		memset(&p, 0, sizeof(p));
		p.a = a;
		p.workers = used ? used : 1;
		p.ok = 1;
		p.fail_make_at = mode == 1 ? 5000 : UINT64_MAX;
		p.fail_write_after = mode == 2 ? 3 : UINT64_MAX;
		colstore_error e;
		memset(&e, 0, sizeof(e));
		int rc = colstore_agg_parts(a, 1000, parts_make, parts_write, &p, &e);
		CU_ASSERT_TRUE(p.ok);
		if (mode == 0) {
			CU_ASSERT_EQUAL(rc, COLSTORE_OK);
			CU_ASSERT_EQUAL(p.next, ng);
			CU_ASSERT_EQUAL(p.parts, (ng + 999) / 1000);
			CU_ASSERT_EQUAL(p.rows_written, rows);
			/* on as many workers as the run had threads */
			CU_ASSERT_EQUAL((uint32_t)__builtin_popcountll(p.seen), used ? used : 1);
		} else if (mode == 1) {
			CU_ASSERT_EQUAL(rc, COLSTORE_ENOMEM);
			CU_ASSERT_STRING_EQUAL(e.message, "part at 5000");
			CU_ASSERT_EQUAL(p.next, 5000); /* the parts before it, and no more */
		} else {
			CU_ASSERT_EQUAL(rc, COLSTORE_EIO);
			CU_ASSERT_STRING_EQUAL(e.message, "write 3");
			CU_ASSERT_EQUAL(p.parts, 3);
		}
	}
	/* one part of everything, however large the part asked (no wrap) */
	parts_ctx one;
	memset(&one, 0, sizeof(one));
	one.a = a;
	one.workers = 1;
	one.ok = 1;
	one.fail_make_at = one.fail_write_after = UINT64_MAX;
	CU_ASSERT_EQUAL(colstore_agg_parts(a, UINT64_MAX, parts_make, parts_write, &one, NULL),
	                COLSTORE_OK);
	CU_ASSERT_TRUE(one.ok);
	CU_ASSERT_EQUAL(one.parts, 1);
	CU_ASSERT_EQUAL(one.next, ng);
	CU_ASSERT_EQUAL(one.rows_written, rows);
	CU_ASSERT_EQUAL(colstore_agg_parts(a, 0, NULL, parts_write, NULL, NULL), COLSTORE_EINVAL);
}

static void test_many_dict_groups(void)
{
	/* 300,000 groups: the result's arrays (order, sort items and scratch)
	 * pass 2 MiB, where they come from huge-page memory */
	enum { G = 300000, N = 700000 };
	const char *path = tu_path("agg-many.colstore");
	colstore_writer *w = tu_writer(path, 65536, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "k", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	colstore_writer_add_column(w, "v", COLSTORE_TYPE_INT32, 0, NULL);
	int64_t *cnt = calloc(G, sizeof(*cnt)), *sum = calloc(G, sizeof(*sum)), nulls = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(cnt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	int bad = 0;
	for (uint32_t r = 0; r < N; r++) {
		tu_next(&rng);
		/* keys first seen in random order; every key at least once */
		const uint32_t g = r < G ? (uint32_t)((r * 7919ull) % G) : (uint32_t)(rng % G);
		const int32_t v = (int32_t)(rng >> 40) % 1000;
		if (r % 997 == 5) {
			colstore_writer_put_null(w, 0, NULL);
			nulls++;
		} else {
			char key[16];
			int len = snprintf(key, sizeof(key), "K%u", g); /* lengths 2..6: prefixes */
			colstore_writer_put_string(w, 0, key, (uint32_t)len, NULL);
			cnt[g]++;
			sum[g] += v;
		}
		colstore_writer_put_int(w, 1, v, NULL);
		bad |= colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(bad, COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	uint32_t present = 0;
	for (uint32_t g = 0; g < G; g++)
		present += cnt[g] > 0;
	for (uint32_t t = 1; t <= 3; t++) {
		colstore_agg *a;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*),sum(v)", "k", NULL, &a, NULL),
		                      COLSTORE_OK);
		colstore_agg_set_threads(a, t);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), (uint64_t)present + (nulls > 0));
		int ok = 1;
		char prev[16] = "";
		size_t prevlen = 0;
		for (uint64_t i = 0; i < present; i++) {
			colstore_cell key, c, sm;
			colstore_agg_cell(a, i, 0, &key);
			colstore_agg_cell(a, i, 1, &c);
			colstore_agg_cell(a, i, 2, &sm);
			uint32_t g = (uint32_t)strtoul(key.s + 1, NULL, 10);
			ok &= !key.is_null && key.len < sizeof(prev) && g < G && c.i == cnt[g] && sm.i == sum[g];
			/* byte order: each key above the one before it */
			int cmp = memcmp(prev, key.s, prevlen < key.len ? prevlen : key.len);
			ok &= i == 0 || cmp < 0 || (cmp == 0 && prevlen < key.len);
			memcpy(prev, key.s, key.len < sizeof(prev) ? key.len : sizeof(prev) - 1);
			prevlen = key.len;
		}
		colstore_cell key, c;
		colstore_agg_cell(a, present, 0, &key);
		colstore_agg_cell(a, present, 1, &c);
		ok &= key.is_null && c.i == nulls;
		CU_ASSERT_TRUE(ok);
		check_parts(a, N);
		colstore_agg_free(a);
	}
	colstore_reader_close(r);
	unlink(path);
	free(cnt);
	free(sum);
}

/* the large-array allocator: contents kept as realloc() keeps them when
 * an array grows across 2 MiB and within it, big blocks 2 MiB-aligned, a
 * hashed key's arrays grown that way by a group-by of 600,000 pairs
 * (counted against a table kept here) */
static void test_big_arrays(void)
{
	size_t sizes[] = { 1000, (size_t)1 << 20, (size_t)3 << 20, (size_t)9 << 20, (size_t)9 << 20 };
	uint8_t *p = NULL;
	size_t old = 0;
	int kept = 1;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		p = cs_realloc_big(p, old, sizes[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		for (size_t i = 0; i < old && i < sizes[k]; i += 4093)
			kept &= p[i] == (uint8_t)(i * 7 + 1);
		if (sizes[k] >= CS_BIG_BYTES)
			CU_ASSERT_EQUAL((uintptr_t)p % ((uintptr_t)2 << 20), 0);
		for (size_t i = 0; i < sizes[k]; i += 4093)
			p[i] = (uint8_t)(i * 7 + 1);
		old = sizes[k];
	}
	CU_ASSERT_TRUE(kept);
	free(p);
	/* the populated ones: zeroed and kept like calloc and realloc, below
	 * and above CS_POPULATE_BYTES, and NULL when n * size overflows */
	uint8_t *z = cs_calloc_populated(3, (size_t)100 << 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	int zero = 1;
	for (size_t i = 0; i < ((size_t)300 << 10); i += 511)
		zero &= z[i] == 0;
	CU_ASSERT_TRUE(zero);
	CU_ASSERT_PTR_NULL(cs_calloc_populated(SIZE_MAX / 2, 3));
	old = 0;
	kept = 1;
	const size_t grow[] = { 100, CS_POPULATE_BYTES - 1, (size_t)700 << 10, (size_t)5 << 20 };
	for (size_t k = 0; k < sizeof(grow) / sizeof(grow[0]); k++) {
		z = cs_realloc_populated(z, grow[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(z);
		for (size_t i = 0; i < old; i += 509)
			kept &= z[i] == (uint8_t)(i * 5 + 3);
		for (size_t i = 0; i < grow[k]; i += 509)
			z[i] = (uint8_t)(i * 5 + 3);
		old = grow[k];
	}
	CU_ASSERT_TRUE(kept);
	free(z);
	/* two int keys, 600,000 pairs: key_off (8 bytes a group) passes 2 MiB */
	enum { A = 1000, B = 600, N = 900000 };
	const char *path = tu_path("agg-big.colstore");
	colstore_writer *w = tu_writer(path, 65536, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "a", COLSTORE_TYPE_INT32, 0, NULL);
	colstore_writer_add_column(w, "b", COLSTORE_TYPE_INT32, 0, NULL);
	uint32_t *cnt = calloc((size_t)A * B, sizeof(*cnt));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cnt);
	uint64_t rng = 0x243f6a8885a308d3ull;
	int bad = 0;
	for (uint32_t r = 0; r < N; r++) {
		tu_next(&rng);
		uint32_t pair = r < A * B ? (uint32_t)((r * 104729ull) % (A * B)) : (uint32_t)(rng % (A * B));
		colstore_writer_put_int(w, 0, pair / B, NULL);
		colstore_writer_put_int(w, 1, pair % B, NULL);
		cnt[pair]++;
		bad |= colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(bad, COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*)", "a, b", NULL, &a, NULL), COLSTORE_OK);
	colstore_agg_set_threads(a, 2);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a), (uint64_t)A * B);
	int ok = 1;
	for (uint64_t i = 0; i < (uint64_t)A * B; i++) {
		colstore_cell ka, kb, c;
		colstore_agg_cell(a, i, 0, &ka);
		colstore_agg_cell(a, i, 1, &kb);
		colstore_agg_cell(a, i, 2, &c);
		/* groups in key order: (a, b) ascending */
		ok &= ka.i == (int64_t)(i / B) && kb.i == (int64_t)(i % B) && c.i == cnt[i];
	}
	CU_ASSERT_TRUE(ok);
	colstore_agg_free(a);
	colstore_reader_close(r);
	unlink(path);
	free(cnt);
}

/* order and limit: the key-ordered result, sorted here by (max(q) desc,
 * nulls last; then key order), against the ordered run, for every limit
 * from 0 past the group count (a heap below it, a full sort at or above);
 * count(*) when no aggregate is named; refusals */
typedef struct ord_row { int64_t max_q; int null_q; uint64_t key_pos; } ord_row;
static int ord_cmp(const void *pa, const void *pb)
{
	const ord_row *x = pa, *y = pb;
	if (x->null_q != y->null_q)
		return x->null_q - y->null_q;
	if (x->max_q != y->max_q)
		return x->max_q < y->max_q ? 1 : -1;
	return (x->key_pos > y->key_pos) - (x->key_pos < y->key_pos);
}

static void test_order_limit(void)
{
	const char *path;
	colstore_reader *r = open_table(&path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	colstore_agg *a;
	colstore_error e;
	/* by q and k: max(q) is null for the groups of a null q, ties across k */
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "max(q),count(*)", "q,k", NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	const uint64_t n = colstore_agg_num_groups(a);
	CU_ASSERT_FATAL(n > 20);
	ord_row *want = calloc(n, sizeof(*want));
	int nulls = 0;
	for (uint64_t g = 0; g < n; g++) {
		colstore_cell c;
		colstore_agg_cell(a, g, 2, &c);
		want[g].max_q = c.i;
		want[g].null_q = c.is_null;
		want[g].key_pos = g;
		nulls += c.is_null;
	}
	colstore_agg_free(a);
	qsort(want, n, sizeof(*want), ord_cmp);
	CU_ASSERT(nulls > 0);
	int bad = 0;
	const uint64_t lims[] = { 0, 1, 2, 3, 5, 8, 13, 50, 500, n - 1, n, n + 1 };
	for (size_t li = 0; li < sizeof(lims) / sizeof(lims[0]); li++) {
		const uint64_t lim = lims[li];
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "max(q),count(*)", "q,k", NULL, &a, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_set_order(a, " MAX(q)  DESC ", lim, &e), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
		uint64_t m = lim < n ? lim : n;
		bad += colstore_agg_num_groups(a) != m;
		colstore_agg *k;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "max(q),count(*)", "q,k", NULL, &k, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(k, NULL), COLSTORE_OK);
		for (uint64_t i = 0; i < m && i < colstore_agg_num_groups(a); i++)
			for (uint32_t col = 0; col < 4; col++) { /* the row at want[i].key_pos, every column */
				colstore_cell x, y;
				colstore_agg_cell(a, i, col, &x);
				colstore_agg_cell(k, want[i].key_pos, col, &y);
				bad += x.is_null != y.is_null || x.i != y.i || x.len != y.len ||
				       (x.len && memcmp(x.s, y.s, x.len) != 0);
			}
		colstore_agg_free(k);
		colstore_agg_free(a);
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(want);
	/* count(*) alone; a limit alone keeps key order; refusals */
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, NULL, "k", NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 1), "count(*)");
	CU_ASSERT_EQUAL(colstore_agg_set_order(a, "nope", 3, &e), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "no result column 'nope' to order by (result columns: k, \"count(*)\")"));
	CU_ASSERT_EQUAL(colstore_agg_set_order(a, "k,", 3, &e), COLSTORE_EPARSE);
	CU_ASSERT_EQUAL(colstore_agg_set_order(a, "\"k\" desc, count(*)", COLSTORE_AGG_NO_LIMIT, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_set_order(a, NULL, 2, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_set_order(a, NULL, 1, &e), COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_agg_num_groups(a), 2);
	colstore_cell c0, c1;
	colstore_agg_cell(a, 0, 0, &c0);
	colstore_agg_cell(a, 1, 0, &c1);
	CU_ASSERT(!c0.is_null && !c1.is_null && c0.i < c1.i);
	colstore_agg_free(a);
	colstore_reader_close(r);
	unlink(path);
}

/* var, var_pop, stddev, stddev_pop by k: against sums computed here (the
 * integers exactly, the floats by two passes in long double), the same
 * bits at 1 and 4 threads; and the small cases by hand: one value (var
 * null, var_pop 0), one repeated value (exactly 0), no value (null) */
static void test_variance(void)
{
	const char *path;
	colstore_reader *r = open_table(&path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const char *aggs = "var(q),var_pop(q),stddev(x),stddev_pop(x),var(x)";
	colstore_agg *a[2];
	for (int t = 0; t < 2; t++) {
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, aggs, "k", NULL, &a[t], NULL), COLSTORE_OK);
		colstore_agg_set_threads(a[t], t ? 4 : 1);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a[t], NULL), COLSTORE_OK);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_agg_num_groups(a[0]), colstore_agg_num_groups(a[1]));
	int bad = 0;
	for (uint64_t g = 0; g < colstore_agg_num_groups(a[0]); g++) {
		colstore_cell key;
		colstore_agg_cell(a[0], g, 0, &key);
		__int128 s1 = 0, s2 = 0;
		int64_t n = 0, nx = 0;
		long double mean = 0, m2 = 0;
		for (uint64_t row = 0; row < ROWS; row++) {
			if (tu_is_null(&cols[1], row) || tu_int(&cols[1], row) != key.i)
				continue;
			if (!tu_is_null(&cols[2], row)) {
				int64_t v = tu_int(&cols[2], row);
				s1 += v;
				s2 += (__int128)v * v;
				n++;
			}
			if (!tu_is_null(&cols[3], row)) {
				mean += tu_dbl(&cols[3], row);
				nx++;
			}
		}
		mean /= (long double)nx;
		for (uint64_t row = 0; row < ROWS; row++)
			if (!tu_is_null(&cols[1], row) && tu_int(&cols[1], row) == key.i && !tu_is_null(&cols[3], row))
				m2 += (tu_dbl(&cols[3], row) - mean) * (tu_dbl(&cols[3], row) - mean);
		const long double d = (long double)(n * s2 - s1 * s1);
		const double want[5] = { (double)(d / ((long double)n * (n - 1))), (double)(d / ((long double)n * n)),
			                 (double)sqrtl(m2 / (nx - 1)), (double)sqrtl(m2 / nx), (double)(m2 / (nx - 1)) };
		for (uint32_t k = 0; k < 5; k++) {
			colstore_cell c, c4;
			colstore_agg_cell(a[0], g, 1 + k, &c);
			colstore_agg_cell(a[1], g, 1 + k, &c4);
			bad += c.is_null || memcmp(&c.d, &c4.d, 8) != 0; /* the same bits */
			bad += !(fabs(c.d - want[k]) <= fabs(want[k]) * (k < 2 ? 1e-15 : 1e-13));
			if (!(fabs(c.d - want[k]) <= fabs(want[k]) * (k < 2 ? 1e-15 : 1e-13)))
				fprintf(stderr, "\n  group %lld %s: %.17g, expected %.17g\n", (long long)key.i,
				        colstore_agg_column_name(a[0], 1 + k), c.d, want[k]);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	colstore_agg_free(a[0]);
	colstore_agg_free(a[1]);
	colstore_reader_close(r);
	unlink(path);
	/* by hand: g "a" one value, "b" a value three times, "c" none */
	const char *hp = tu_path("agg-var.colstore");
	colstore_writer *w = tu_writer(hp, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "g", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL);
	colstore_writer_add_column(w, "i", COLSTORE_TYPE_INT64, 0, NULL);
	static const struct { const char *g; double x; int64_t i; int null; } rows[] = {
		{ "a", 2.5, 7, 0 }, { "b", -226.02745724621244, INT64_MIN, 0 },
		{ "b", -226.02745724621244, INT64_MIN, 0 }, { "b", -226.02745724621244, INT64_MIN, 0 },
		{ "c", 0, 0, 1 },
	};
	for (int k = 0; k < 5; k++) {
		colstore_writer_put_string(w, 0, rows[k].g, 1, NULL);
		if (rows[k].null) {
			colstore_writer_put_null(w, 1, NULL);
			colstore_writer_put_null(w, 2, NULL);
		} else {
			colstore_writer_put_double(w, 1, rows[k].x, NULL);
			colstore_writer_put_int(w, 2, rows[k].i, NULL);
		}
		CU_ASSERT_EQUAL_FATAL(colstore_writer_end_row(w, NULL), COLSTORE_OK);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(hp, NULL, &r, NULL), COLSTORE_OK);
	colstore_agg *h;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "var(x),var_pop(x),stddev(i),stddev_pop(i)", "g", NULL, &h,
	                                          NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(h, NULL), COLSTORE_OK);
	colstore_cell c[3][4];
	for (uint64_t g = 0; g < 3; g++)
		for (uint32_t k = 0; k < 4; k++)
			colstore_agg_cell(h, g, 1 + k, &c[g][k]);
	CU_ASSERT(c[0][0].is_null && !c[0][1].is_null && c[0][1].d == 0 && c[0][2].is_null && c[0][3].d == 0);
	CU_ASSERT(!c[1][0].is_null && c[1][0].d == 0 && c[1][1].d == 0 && c[1][2].d == 0 && c[1][3].d == 0);
	for (uint32_t k = 0; k < 4; k++)
		CU_ASSERT(c[2][k].is_null);
	colstore_agg_free(h);
	CU_ASSERT_EQUAL(colstore_agg_create(r, "var(g)", NULL, NULL, &h, NULL), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NULL(h);
	colstore_reader_close(r);
	unlink(hp);
}

/* count(distinct x) by k: the distinct non-null values of each group,
 * counted here by sorting them, for an integer and a string; with a sum of
 * the same column beside it (its packed sum and the second pass side by
 * side), at 1 and 3 threads and under a 64 KiB memory limit (the second
 * aggregation's groups spilled); and an ordering by it */
static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

typedef struct sbytes { char s[64]; size_t l; } sbytes;
static int cmp_sbytes(const void *x, const void *y)
{
	const sbytes *a = x, *b = y;
	int c = memcmp(a->s, b->s, a->l < b->l ? a->l : b->l);
	return c ? c : (a->l > b->l) - (a->l < b->l);
}

static void test_count_distinct(void)
{
	sbytes *strs = malloc(ROWS * sizeof(*strs));
	const char *path;
	colstore_reader *r = open_table(&path, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int64_t *vals = malloc(ROWS * sizeof(*vals));
	int bad = 0;
	for (int run = 0; run < 3; run++) {
		colstore_agg *a;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(distinct q),sum(q),COUNT(DISTINCT \"g\")", "k",
		                                          NULL, &a, NULL), COLSTORE_OK);
		colstore_agg_set_threads(a, run == 1 ? 3 : 1);
		if (run == 2)
			colstore_agg_set_memory_limit(a, 64 << 10);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
		for (uint64_t g = 0; g < colstore_agg_num_groups(a); g++) {
			colstore_cell key, dq, dg;
			colstore_agg_cell(a, g, 0, &key);
			colstore_agg_cell(a, g, 1, &dq);
			colstore_agg_cell(a, g, 3, &dg);
			size_t n = 0, ng = 0;
			for (uint64_t row = 0; row < ROWS; row++)
				if (tu_int(&cols[1], row) == key.i && !tu_is_null(&cols[2], row))
					vals[n++] = tu_int(&cols[2], row);
			qsort(vals, n, sizeof(*vals), cmp_i64);
			int64_t want = 0;
			for (size_t i = 0; i < n; i++)
				want += i == 0 || vals[i] != vals[i - 1];
			bad += dq.is_null || dq.i != want;
			for (uint64_t row = 0; row < ROWS; row++)
				if (tu_int(&cols[1], row) == key.i && !tu_is_null(&cols[0], row)) {
					strs[ng].l = tu_str(&cols[0], row, strs[ng].s);
					ng++;
				}
			qsort(strs, ng, sizeof(*strs), cmp_sbytes);
			want = 0;
			for (size_t i = 0; i < ng; i++)
				want += i == 0 || cmp_sbytes(&strs[i], &strs[i - 1]) != 0;
			bad += dg.i != want;
		}
		colstore_agg_free(a);
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(vals);
	free(strs);
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(distinct q)", "k", NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_set_order(a, "count(distinct q) desc", 1, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_num_groups(a), 1);
	colstore_agg_free(a);
	CU_ASSERT_EQUAL(colstore_agg_create(r, "count(distinct)", NULL, NULL, &a, NULL), COLSTORE_EPARSE);
	colstore_reader_close(r);
	unlink(path);
}

static void test_overflow(void)
{
	const char *path = tu_path("ovf.colstore");
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "v", COLSTORE_TYPE_INT64, 0, NULL);
	for (int i = 0; i < 3; i++) {
		colstore_writer_put_int(w, 0, INT64_MAX / 2, NULL);
		colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_agg *a;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(v),avg(v)", NULL, NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_ERANGE);
	CU_ASSERT_STRING_EQUAL(e.message, "sum(v) overflows int64");
	colstore_agg_free(a);
	/* avg is a double: no overflow */
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "avg(v)", NULL, NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_OK);
	colstore_cell c;
	colstore_agg_cell(a, 0, 0, &c);
	CU_ASSERT_DOUBLE_EQUAL(c.d, (double)(INT64_MAX / 2), 1e3);
	colstore_agg_free(a);
	tu_flt_clear();
	colstore_reader_close(r);
	unlink(path);
}

/* the memory limit is the lowest of the process's cgroup and its parents',
 * v1 and v2 (a cap on a parent slice or container binds as much) */
static void put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	CU_ASSERT_EQUAL(tu_write_file(p, text, strlen(text)), 0);
}

static void test_cgroup_limits(void)
{
	char root[256];
	snprintf(root, sizeof(root), "%s/cg", tu_dir());
	mkdir(root, 0755);
	put(root, "sys/memory/memory.limit_in_bytes", "9223372036854771712\n");
	put(root, "sys/memory/slice/memory.limit_in_bytes", "268435456\n");
	put(root, "sys/memory/slice/job/memory.limit_in_bytes", "9223372036854771712\n");
	put(root, "v1", "5:cpu:/\n4:memory:/slice/job\n0::/\n");
	char proc[300], sys[300];
	snprintf(proc, sizeof(proc), "%s/v1", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	CU_ASSERT_EQUAL(cs_cgroup_limit_from(proc, sys), 268435456u);
	/* v2: "max" below, a number two levels up; the unified mount too */
	put(root, "sys/user.slice/memory.max", "1073741824\n");
	put(root, "sys/user.slice/u/memory.max", "max\n");
	put(root, "sys/user.slice/u/s/memory.max", "max\n");
	put(root, "v2", "0::/user.slice/u/s\n");
	snprintf(proc, sizeof(proc), "%s/v2", root);
	CU_ASSERT_EQUAL(cs_cgroup_limit_from(proc, sys), 1073741824u);
	put(root, "sys/unified/user.slice/u/memory.max", "536870912\n");
	CU_ASSERT_EQUAL(cs_cgroup_limit_from(proc, sys), 536870912u);
	/* none anywhere */
	put(root, "v0", "0::/nowhere\n");
	snprintf(proc, sizeof(proc), "%s/v0", root);
	snprintf(sys, sizeof(sys), "%s/empty", root);
	CU_ASSERT_EQUAL(cs_cgroup_limit_from(proc, sys), 0u);
	CU_ASSERT(cs_memory_available() > 0);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

/* A row group longer than an aggregation slice (65,536 rows) is read a
 * slice at a time, packed blocks decoded only over each slice: the cells
 * equal those of the same rows in short row groups, for every kind of key,
 * with and without filters, packed, LZ4 and plain, 1 and 2 threads, and
 * under a memory limit small enough for several passes. */
static void test_long_row_groups(void)
{
	const uint64_t rows = 200000;
	static const struct { const char *gb, *where; } q[] = {
		{ NULL, NULL }, { NULL, "q > 100" }, { "k", NULL }, { "k", "x < 20 or s = 's7'" },
		{ "g", NULL }, { "g", "d >= '1975-01-01'" }, { "g,k", "q is not null" }, { "s,d", NULL },
	};
	const char *aggs = "count(*),count(q),sum(q),min(q),max(q),sum(x),avg(x),min(s),max(g),min(d)";
	static const uint32_t comp[] = { COLSTORE_WRITE_PACK, COLSTORE_WRITE_LZ4, 0 };
	for (int k = 0; k < 3; k++) {
		/* the same rows and codecs (a DECIMAL sum is the decimals' own) in
		 * short row groups, then in a long one and a short tail */
		colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
		o.compression = comp[k];
		o.row_group_size = 50000;
		const char *refp = tu_path("short-rg.colstore");
		CU_ASSERT_EQUAL_FATAL(tu_write(refp, cols, NCOLS, rows, &o, 1, NULL), COLSTORE_OK);
		colstore_reader *ref;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(refp, NULL, &ref, NULL), COLSTORE_OK);
		o.row_group_size = 150000;
		const char *p = tu_path("long-rg.colstore");
		CU_ASSERT_EQUAL_FATAL(tu_write(p, cols, NCOLS, rows, &o, 1, NULL), COLSTORE_OK);
		colstore_reader *r;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(p, NULL, &r, NULL), COLSTORE_OK);
		for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
			for (uint32_t t = 1; t <= 2; t++) {
				uint64_t mem = i % 2 ? 256u << 10 : 0;
				char *want = tu_agg_text(ref, aggs, q[i].gb, q[i].where, 1, 0, NULL, NULL);
				char *got = tu_agg_text(r, aggs, q[i].gb, q[i].where, t, mem, NULL, NULL);
				CU_ASSERT_PTR_NOT_NULL(want);
				CU_ASSERT_PTR_NOT_NULL(got);
				if (want && got && strcmp(want, got)) {
					CU_FAIL("cells differ");
					fprintf(stderr, "\n  compression %u, by %s where %s, %u threads: differ\n",
					        comp[k], q[i].gb ? q[i].gb : "-", q[i].where ? q[i].where : "-", t);
					const char *a1 = want, *b1 = got;
					while (*a1 && *a1 == *b1) a1++, b1++;
					while (a1 > want && a1[-1] != '\n') a1--, b1--;
					fprintf(stderr, "  want %.300s\n  got  %.300s\n", a1, b1);
				}
				free(want);
				free(got);
			}
		tu_flt_clear();
		colstore_reader_close(r);
		unlink(p);
		colstore_reader_close(ref);
		unlink(refp);
	}
}

void register_agg_tests(void)
{
	CU_pSuite s = CU_add_suite("agg", NULL, NULL);
	CU_add_test(s, "every aggregate, one group (packed blocks)", test_no_group);
	CU_add_test(s, "group by a dictionary string, nulls last, sorted", test_group_by_string);
	CU_add_test(s, "group by an integer, with a filter", test_group_by_int_where);
	CU_add_test(s, "float min/max by group: NaN, -0, batch by batch", test_group_minmax_nan);
	CU_add_test(s, "100,000 dictionary groups: the result prepared on 1, 2 and 3 threads",
	            test_many_dict_groups);
	CU_add_test(s, "DECIMAL min/max as one record: extremes at batch and row group edges",
	            test_decimal_minmax_one);
	CU_add_test(s, "DECIMAL min/max/sum/avg by group in one pass, sums past int64",
	            test_group_decimal_pass);
	CU_add_test(s, "a few groups' DECIMAL min/max settled, slices summed alone",
	            test_group_decimal_settled);
	CU_add_test(s, "DECIMAL and plain chunks of one column: NaN, -0, inf in the records",
	            test_group_decimal_mixed_chunks);
	CU_add_test(s, "order and limit: top-k heap and full sort, nulls last, ties by key",
	            test_order_limit);
	CU_add_test(s, "var, var_pop, stddev, stddev_pop: exact sums, thread-independent",
	            test_variance);
	CU_add_test(s, "count(distinct x): by sorting here, threads, spilled, ordered",
	            test_count_distinct);
	CU_add_test(s, "empty input, skipped groups, bad plans", test_empty_and_skip);
	CU_add_test(s, "int64 overflow is an error", test_overflow);
	CU_add_test(s, "the memory limit: the lowest cgroup limit up the tree", test_cgroup_limits);
	CU_add_test(s, "row groups longer than a slice: the same cells", test_long_row_groups);
	CU_add_test(s, "large and populated arrays: kept, zeroed, 2 MiB-aligned; 600,000 int pairs grouped", test_big_arrays);
}
