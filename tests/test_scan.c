/*
 * test_scan.c -- colstore_scan_*: the cursor and the worker pool deliver
 * every matching row exactly once, with its values, in batches of at most
 * 65,536 rows; in-order callbacks come in file order; row groups ruled out
 * by statistics are skipped unread; a callback's error stops the scan; bad
 * arguments are refused.  Every row-group size (short, exactly a batch,
 * longer than a batch) and both compression modes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "testutil.h"

#define SROWS 300000u

/* the table: id = row (sorted: statistics skip row groups), g = row % 7
 * (null every 5th row), s = one of 13 strings (dictionary) */
static int s_null(uint64_t row) { return row % 5 == 4; }
static int64_t s_g(uint64_t row) { return (int64_t)(row % 7); }
static size_t s_s(uint64_t row, char *buf) { return (size_t)sprintf(buf, "k%u", (unsigned)(row * 7919 % 13)); }

/* the filter the tests use, written out: id >= 100000 and g < 3 */
static int s_match(uint64_t row) { return row >= 100000 && !s_null(row) && s_g(row) < 3; }
static const char *s_where = "id >= 100000 and g < 3";

static colstore_reader *s_open(uint32_t rgs, uint32_t comp)
{
	char name[64];
	snprintf(name, sizeof(name), "scan-%u-%u.colstore", rgs, comp);
	const char *path = tu_path(name);
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = rgs;
	o.compression = comp;
	colstore_writer *w;
	colstore_error e;
	if (colstore_writer_create(path, &o, &w, &e) ||
	    colstore_writer_add_column(w, "id", COLSTORE_TYPE_INT64, 0, &e) ||
	    colstore_writer_add_column(w, "g", COLSTORE_TYPE_INT32, 0, &e) ||
	    colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, &e))
		return NULL;
	char buf[32];
	for (uint64_t row = 0; row < SROWS; row++) {
		int rc = colstore_writer_put_int(w, 0, (int64_t)row, &e);
		rc = rc ? rc : s_null(row) ? colstore_writer_put_null(w, 1, &e)
		                           : colstore_writer_put_int(w, 1, s_g(row), &e);
		size_t n = s_s(row, buf);
		rc = rc ? rc : colstore_writer_put_string(w, 2, buf, n, &e);
		rc = rc ? rc : colstore_writer_end_row(w, &e);
		if (rc) {
			colstore_writer_abort(w);
			return NULL;
		}
	}
	colstore_reader *r;
	if (colstore_writer_finish(w, &e) || colstore_reader_open(path, NULL, &r, &e))
		return NULL;
	return r;
}

/* what a scan saw */
typedef struct s_seen {
	colstore_reader *r;
	uint8_t *hit;        /* per row: times delivered */
	uint64_t rows, bad, batches, big;
	uint64_t last_first; /* in order: the last batch's first row + 1 */
	uint64_t out_of_order;
	uint64_t stop_after; /* a callback error after this many batches (0: never) */
	pthread_mutex_t mu;
} s_seen;

/* check one batch: every selected row matches and has its values */
static int s_check(s_seen *x, const colstore_batch *b)
{
	uint64_t bad = 0;
	if (b->rows > 65536 || b->first % 64 || b->selected == 0 || b->selected > b->rows ||
	    b->ncols != 3)
		bad++;
	for (uint32_t k = 0; k < b->selected; k++) {
		uint32_t i = b->sel ? b->sel[k] : k;
		uint64_t row = b->first_row + i;
		if (i >= b->rows || row >= SROWS || !s_match(row)) {
			bad++;
			continue;
		}
		const colstore_values *v = b->values;
		if (((const int64_t *)v[0].data)[i] != (int64_t)row)
			bad++;
		if (v[1].validity && !((v[1].validity[i >> 3] >> (i & 7)) & 1))
			bad++;
		if (((const int32_t *)v[1].data)[i] != s_g(row))
			bad++;
		char want[32];
		size_t wn = s_s(row, want);
		uint32_t code = v[2].code_width == 1   ? ((const uint8_t *)v[2].data)[i]
		                : v[2].code_width == 2 ? ((const uint16_t *)v[2].data)[i]
		                                       : ((const uint32_t *)v[2].data)[i];
		const char *s;
		uint32_t len;
		if (v[2].encoding != COLSTORE_ENCODING_DICT ||
		    colstore_reader_dict_lookup(x->r, 2, code, &s, &len, NULL) || len != wn ||
		    memcmp(s, want, wn))
			bad++;
		__atomic_fetch_add(&x->hit[row], 1, __ATOMIC_RELAXED);
	}
	/* the rows left out do not match */
	for (uint32_t i = 0, k = 0; b->sel && i < b->rows; i++) {
		if (k < b->selected && b->sel[k] == i) {
			k++;
			continue;
		}
		bad += s_match(b->first_row + i);
	}
	__atomic_fetch_add(&x->bad, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&x->rows, b->selected, __ATOMIC_RELAXED);
	__atomic_fetch_add(&x->big, b->rows > 65536, __ATOMIC_RELAXED);
	return COLSTORE_OK;
}

static int s_on_batch(void *ctx, const colstore_batch *b, colstore_error *err)
{
	s_seen *x = ctx;
	uint64_t n = __atomic_add_fetch(&x->batches, 1, __ATOMIC_RELAXED);
	if (x->stop_after && n > x->stop_after) {
		snprintf(err->message, sizeof(err->message), "enough at row %llu",
		         (unsigned long long)b->first_row);
		return COLSTORE_EINVAL;
	}
	return s_check(x, b);
}

static int s_in_order(void *ctx, const colstore_batch *b, colstore_error *err)
{
	s_seen *x = ctx;
	(void)err;
	/* one at a time: no lock needed, but the mutex checks that */
	if (pthread_mutex_trylock(&x->mu)) {
		x->out_of_order++;
		return COLSTORE_OK;
	}
	if (b->first_row + 1 <= x->last_first)
		x->out_of_order++;
	x->last_first = b->first_row + 1;
	pthread_mutex_unlock(&x->mu);
	return COLSTORE_OK;
}

static uint64_t s_want(void)
{
	uint64_t n = 0;
	for (uint64_t row = 0; row < SROWS; row++)
		n += (uint64_t)s_match(row);
	return n;
}

static void s_reset(s_seen *x, colstore_reader *r)
{
	memset(x->hit, 0, SROWS);
	x->r = r;
	x->rows = x->bad = x->batches = x->big = x->last_first = x->out_of_order = 0;
	x->stop_after = 0;
}

static uint64_t s_twice(const s_seen *x)
{
	uint64_t n = 0;
	for (uint64_t row = 0; row < SROWS; row++)
		n += x->hit[row] > 1;
	return n;
}

static void test_scan_rows(void)
{
	static const uint32_t rgss[] = { 1000, 65536, 140000, SROWS };
	const uint64_t want = s_want();
	const uint32_t cols[] = { 0, 1, 2 };
	s_seen x;
	x.hit = malloc(SROWS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.hit);
	pthread_mutex_init(&x.mu, NULL);
	for (unsigned k = 0; k < 4; k++) {
		for (uint32_t comp = 0; comp <= (COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK); comp += 3) {
			colstore_reader *r = s_open(rgss[k], comp);
			CU_ASSERT_PTR_NOT_NULL_FATAL(r);
			colstore_filter *f;
			colstore_error e;
			CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, s_where, &f, &e), COLSTORE_OK);
			const uint32_t nrg = colstore_reader_num_row_groups(r);
			/* the statistics rule out the row groups before id 100000 */
			const uint32_t skip = 100000 / rgss[k];

			/* the cursor */
			colstore_scan *s;
			CU_ASSERT_EQUAL_FATAL(colstore_scan_create(r, cols, 3, f, NULL, &s, &e), COLSTORE_OK);
			colstore_buffers *b = colstore_buffers_create();
			s_reset(&x, r);
			colstore_batch bt;
			uint64_t prev = 0;
			int order_ok = 1;
			while (colstore_scan_next(s, b, &bt, &e) == COLSTORE_OK && bt.rows) {
				order_ok &= x.batches == 0 || bt.first_row > prev;
				prev = bt.first_row;
				x.batches++;
				s_check(&x, &bt);
			}
			CU_ASSERT_EQUAL(bt.rows, 0);
			CU_ASSERT(order_ok);
			CU_ASSERT_EQUAL(x.rows, want);
			CU_ASSERT_EQUAL(x.bad, 0);
			CU_ASSERT_EQUAL(s_twice(&x), 0);
			uint32_t read, skipped;
			colstore_scan_row_groups(s, &read, &skipped);
			CU_ASSERT_EQUAL(skipped, skip);
			CU_ASSERT_EQUAL(read + skipped, nrg);
			/* again from the start */
			colstore_scan_rewind(s);
			uint64_t again = 0;
			while (colstore_scan_next(s, b, &bt, &e) == COLSTORE_OK && bt.rows)
				again += bt.selected;
			CU_ASSERT_EQUAL(again, want);
			colstore_scan_free(s);

			/* the pool: 1, 2 and 4 workers, with and without in-order calls */
			for (uint32_t t = 1; t <= 4; t *= 2) {
				for (int ord = 0; ord < 2; ord++) {
					colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
					o.threads = t;
					CU_ASSERT_EQUAL_FATAL(colstore_scan_create(r, cols, 3, f, &o, &s, &e),
					                      COLSTORE_OK);
					CU_ASSERT_EQUAL(colstore_scan_workers(s), t < nrg ? t : nrg);
					s_reset(&x, r);
					int rc = colstore_scan_run(s, s_on_batch, ord ? s_in_order : NULL, &x, &e);
					CU_ASSERT_EQUAL(rc, COLSTORE_OK);
					CU_ASSERT_EQUAL(x.rows, want);
					CU_ASSERT_EQUAL(x.bad, 0);
					CU_ASSERT_EQUAL(x.big, 0);
					CU_ASSERT_EQUAL(s_twice(&x), 0);
					CU_ASSERT_EQUAL(x.out_of_order, 0);
					if (ord)
						CU_ASSERT(x.last_first > 0);
					colstore_scan_row_groups(s, &read, &skipped);
					CU_ASSERT_EQUAL(skipped, skip);
					CU_ASSERT_EQUAL(read + skipped, nrg);
					CU_ASSERT(colstore_scan_threads_used(s) >= 1);
					CU_ASSERT(colstore_scan_threads_used(s) <= colstore_scan_workers(s));

					/* a callback's error stops the run and is returned */
					s_reset(&x, r);
					x.stop_after = 2;
					rc = colstore_scan_run(s, s_on_batch, ord ? s_in_order : NULL, &x, &e);
					CU_ASSERT_EQUAL(rc, COLSTORE_EINVAL);
					CU_ASSERT_EQUAL(e.code, COLSTORE_EINVAL); /* the callback set none */
					CU_ASSERT(strncmp(e.message, "enough at row", 13) == 0);
					CU_ASSERT(x.rows < want);
					colstore_scan_free(s);
				}
			}

			/* no columns: rows are selected and counted, nothing decoded */
			CU_ASSERT_EQUAL_FATAL(colstore_scan_create(r, NULL, 0, f, NULL, &s, &e), COLSTORE_OK);
			uint64_t counted = 0;
			while (colstore_scan_next(s, b, &bt, &e) == COLSTORE_OK && bt.rows)
				counted += bt.selected;
			CU_ASSERT_EQUAL(counted, want);
			colstore_scan_free(s);
			/* no filter: every row, in batches of at most 65,536 */
			CU_ASSERT_EQUAL_FATAL(colstore_scan_create(r, cols, 1, NULL, NULL, &s, &e),
			                      COLSTORE_OK);
			uint64_t all = 0, sum = 0, nsel = 0;
			while (colstore_scan_next(s, b, &bt, &e) == COLSTORE_OK && bt.rows) {
				all += bt.rows;
				nsel += bt.sel != NULL;
				for (uint32_t i = 0; i < bt.rows; i++)
					sum += (uint64_t)((const int64_t *)bt.values[0].data)[i];
			}
			CU_ASSERT_EQUAL(all, SROWS);
			CU_ASSERT_EQUAL(nsel, 0);
			CU_ASSERT_EQUAL(sum, (uint64_t)SROWS * (SROWS - 1) / 2);
			colstore_scan_free(s);
			colstore_buffers_free(b);
			colstore_filter_free(f);
			colstore_reader_close(r);
		}
	}
	pthread_mutex_destroy(&x.mu);
	free(x.hit);
}

static void test_scan_args(void)
{
	colstore_reader *r = s_open(65536, 0), *r2 = s_open(1000, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r2);
	colstore_filter *f;
	colstore_error e;
	colstore_scan *s = (colstore_scan *)&e;
	CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, s_where, &f, &e), COLSTORE_OK);
	const uint32_t cols[] = { 0, 3 };
	CU_ASSERT_EQUAL(colstore_scan_create(r, cols, 2, NULL, NULL, &s, &e), COLSTORE_ENOTFOUND);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "no column 3"));
	CU_ASSERT_EQUAL(colstore_scan_create(r2, cols, 1, f, NULL, &s, &e), COLSTORE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "another reader"));
	colstore_scan_options o = COLSTORE_SCAN_OPTIONS_INIT;
	o.reserved[2] = 1;
	CU_ASSERT_EQUAL(colstore_scan_create(r, cols, 1, NULL, &o, &s, &e), COLSTORE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "reserved"));
	CU_ASSERT_EQUAL(colstore_scan_create(r, NULL, 1, NULL, NULL, &s, &e), COLSTORE_EINVAL);
	/* the cursor needs buffers for the values */
	CU_ASSERT_EQUAL_FATAL(colstore_scan_create(r, cols, 1, f, NULL, &s, &e), COLSTORE_OK);
	colstore_batch bt;
	CU_ASSERT_EQUAL(colstore_scan_next(s, NULL, &bt, &e), COLSTORE_EINVAL);
	colstore_scan_free(s);
	colstore_scan_free(NULL);
	colstore_filter_free(f);
	colstore_reader_close(r);
	colstore_reader_close(r2);
}

/* a damaged block: the cursor reports it and stays there (calling it again
 * fails again), never skipping to the rows after it; the pool stops */
static void test_scan_damage(void)
{
	colstore_reader *r0 = s_open(140000, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r0);
	colstore_chunk_info ci;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_chunk_info(r0, 0, 0, &ci, NULL), COLSTORE_OK);
	uint64_t at = ci.blocks[COLSTORE_BLOCK_DATA].offset + 70000 * 8; /* row 70,000 of id */
	colstore_reader_close(r0);
	size_t n;
	unsigned char *img = tu_read_file(tu_path("scan-140000-0.colstore"), &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	img[at] ^= 0x40;
	colstore_reader *r;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(img, n, NULL, &r, &e), COLSTORE_OK);
	const uint32_t col = 0;
	colstore_scan *s;
	CU_ASSERT_EQUAL_FATAL(colstore_scan_create(r, &col, 1, NULL, NULL, &s, &e), COLSTORE_OK);
	colstore_buffers *b = colstore_buffers_create();
	colstore_batch bt;
	for (int k = 0; k < 5; k++) {
		CU_ASSERT_EQUAL(colstore_scan_next(s, b, &bt, &e), COLSTORE_ECHECKSUM);
		CU_ASSERT_EQUAL(e.code, COLSTORE_ECHECKSUM);
		CU_ASSERT_EQUAL(bt.rows, 0);
	}
	s_seen x = { 0 };
	x.hit = calloc(SROWS, 1);
	x.r = r;
	pthread_mutex_init(&x.mu, NULL);
	CU_ASSERT_EQUAL(colstore_scan_run(s, NULL, s_in_order, &x, &e), COLSTORE_ECHECKSUM);
	CU_ASSERT_EQUAL(x.last_first, 0); /* nothing of row group 0 or later in order */
	pthread_mutex_destroy(&x.mu);
	free(x.hit);
	colstore_buffers_free(b);
	colstore_scan_free(s);
	colstore_reader_close(r);
	free(img);
}

void register_scan_tests(void)
{
	CU_pSuite s = CU_add_suite("scan", NULL, NULL);
	CU_add_test(s, "every matching row once, in batches, by cursor and pool", test_scan_rows);
	CU_add_test(s, "bad arguments are refused", test_scan_args);
	CU_add_test(s, "a damaged block stops the cursor where it is, and the pool", test_scan_damage);
}
