/*
 * test_engine.c -- the parts of the query engine that make results exact
 * and independent of threads: exact float sums (fsum.c), the string sort
 * (strsort.c), aggregation with 1..4 threads giving identical cells, the
 * dense integer group path, and dictionaries checked on first use.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

/* ---- fsum ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void test_fsum_exact(void)
{
	/* 1e16 + 1 - 1e16 ... : naive left-to-right loses every 1 */
	cs_fsum f;
	memset(&f, 0, sizeof(f));
	double naive = 0;
	for (int i = 0; i < 1000; i++) {
		double x = i % 3 == 0 ? 1e16 : i % 3 == 1 ? 1.0 : -1e16;
		cs_fsum_add_double(&f, x);
		naive += x;
	}
	/* 334 x 1e16, 333 x 1, 333 x -1e16: exactly 1e16 + 333 */
	CU_ASSERT_EQUAL(cs_fsum_value(&f), 1e16 + 333);
	CU_ASSERT_NOT_EQUAL(naive, 1e16 + 333);
	CU_ASSERT_FALSE(f.inexact);

	/* ten DECIMAL 0.1s (mantissa 1, scale 1) are exactly 1 */
	memset(&f, 0, sizeof(f));
	double d = 0;
	for (int i = 0; i < 10; i++) {
		cs_fsum_add_decimal(&f, 1, 1);
		d += 0.1;
	}
	CU_ASSERT_EQUAL(cs_fsum_value(&f), 1.0);
	CU_ASSERT_NOT_EQUAL(d, 1.0);
	/* mixed scales: 1.5 (15e-1) + 0.25 (25e-2) + 2 (2e0) = 3.75 */
	memset(&f, 0, sizeof(f));
	cs_fsum_add_decimal(&f, 15, 1);
	cs_fsum_add_decimal(&f, 25, 2);
	cs_fsum_add_decimal(&f, 2, 0);
	CU_ASSERT_EQUAL(cs_fsum_value(&f), 3.75);
}

static void test_fsum_order(void)
{
	/* the same values in 20 orders, split at random and merged: one result */
	enum { N = 2000 };
	double v[N];
	for (int i = 0; i < N; i++) {
		double mag = ldexp(1.0, (int)(rng() % 60) - 30);
		v[i] = ((double)(rng() >> 11) / 9007199254740992.0 - 0.5) * mag;
	}
	double first = 0;
	for (int round = 0; round < 20; round++) {
		for (int i = N - 1; i > 0; i--) { /* shuffle */
			int j = (int)(rng() % (uint64_t)(i + 1));
			double t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
		int cut = (int)(rng() % N);
		cs_fsum a, b;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		for (int i = 0; i < N; i++)
			cs_fsum_add_double(i < cut ? &a : &b, v[i]);
		cs_fsum_merge(&a, &b);
		CU_ASSERT_FALSE(a.inexact);
		double got = cs_fsum_value(&a);
		if (round == 0)
			first = got;
		CU_ASSERT_EQUAL(memcmp(&got, &first, 8), 0);
	}
	/* and it is the correctly rounded sum: compare with long double pairs */
	long double ref = 0;
	for (int i = 0; i < N; i++)
		ref += v[i]; /* 64-bit mantissa: close, not exact */
	CU_ASSERT_DOUBLE_EQUAL(first, (double)ref, fabs((double)ref) * 1e-15 + 1e-12);
}

static void test_fsum_special(void)
{
	cs_fsum f;
	memset(&f, 0, sizeof(f));
	cs_fsum_add_double(&f, 1.0);
	cs_fsum_add_double(&f, INFINITY);
	CU_ASSERT_TRUE(isinf(cs_fsum_value(&f)) && cs_fsum_value(&f) > 0);
	cs_fsum_add_double(&f, -INFINITY);
	CU_ASSERT_TRUE(isnan(cs_fsum_value(&f)));
	memset(&f, 0, sizeof(f));
	cs_fsum_add_double(&f, NAN);
	CU_ASSERT_TRUE(isnan(cs_fsum_value(&f)));
	/* values 2^1000 apart do not fit 127 bits: spilled, flagged, still close */
	memset(&f, 0, sizeof(f));
	cs_fsum_add_double(&f, 1e300);
	cs_fsum_add_double(&f, 1e-300);
	CU_ASSERT_TRUE(f.inexact);
	CU_ASSERT_EQUAL(cs_fsum_value(&f), 1e300);
	/* subnormals are exact too */
	memset(&f, 0, sizeof(f));
	cs_fsum_add_double(&f, 5e-324);
	cs_fsum_add_double(&f, 5e-324);
	CU_ASSERT_EQUAL(cs_fsum_value(&f), 1e-323);
	CU_ASSERT_FALSE(f.inexact);
}

/* ---- strsort ------------------------------------------------------------------ */

static int ref_cmp(const void *pa, const void *pb)
{
	const cs_sort_item *a = pa, *b = pb;
	int c = cs_bytes_cmp(a->s, a->len, b->s, b->len);
	return c ? c : (a->id > b->id) - (a->id < b->id);
}

static void test_strsort(void)
{
	enum { N = 5000 };
	static char pool[N][24];
	static cs_sort_item a[N], b[N];
	for (int i = 0; i < N; i++) {
		uint32_t len = (uint32_t)(rng() % 20);
		for (uint32_t k = 0; k < len; k++) /* few letters, NULs and 0xff: many ties and prefixes */
			pool[i][k] = "ab\0\xff"[rng() % 4];
		if (i % 7 == 0 && i) { /* exact duplicates, told apart by id */
			memcpy(pool[i], pool[i - 1], sizeof(pool[i]));
			len = a[i - 1].len;
		}
		a[i] = (cs_sort_item){ 0, pool[i], len, (uint32_t)i };
		b[i] = a[i];
	}
	CU_ASSERT_EQUAL_FATAL(cs_sort_strings(a, N, 1), 0);
	qsort(b, N, sizeof(b[0]), ref_cmp);
	int same = 1;
	for (int i = 0; i < N; i++)
		same &= a[i].id == b[i].id;
	CU_ASSERT_TRUE(same);

	/* many keys as a dictionary has them: a shared head, digits in the
	 * bytes below it (buckets from a few to thousands of items at every
	 * level), some longer than the 8 bytes the radix sorts on, some equal */
	enum { M = 200000 };
	char *big = malloc((size_t)M * 16);
	cs_sort_item *c = malloc(M * sizeof(*c)), *d = malloc(M * sizeof(*d));
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	for (int i = 0; i < M; i++) {
		char *p = big + (size_t)i * 16;
		int len = snprintf(p, 16, "C%u%05u", (unsigned)(rng() % 3), (unsigned)(rng() % 90000));
		if (rng() % 5 == 0) /* past the radix's 8 bytes */
			len += snprintf(p + len, (size_t)(16 - len), "%c%c", "az"[rng() % 2], "az"[rng() % 2]);
		c[i] = (cs_sort_item){ 0, p, (uint32_t)len, (uint32_t)i };
		d[i] = c[i];
	}
	qsort(d, M, sizeof(d[0]), ref_cmp);
	for (uint32_t nt = 1; nt <= 3; nt++) { /* the same order on 1, 2 and 3 threads */
		cs_sort_item *e = malloc(M * sizeof(*e));
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		memcpy(e, c, M * sizeof(*e));
		CU_ASSERT_EQUAL_FATAL(cs_sort_strings(e, M, nt), 0);
		same = 1;
		for (int i = 0; i < M; i++)
			same &= e[i].id == d[i].id;
		CU_ASSERT_TRUE(same);
		free(e);
	}
	free(big);
	free(c);
	free(d);
}

/* ---- sums from packed bits -------------------------------------------------- */

/* cs_pack_sum against the sum of the values the test generated: every bit
 * width 0..63 through BITPACK (int64, with and without a power-of-ten
 * scale), int8 near its top (may wrap: decode instead), DECIMAL, all rows
 * and a row list, and a damaged header */
static void test_packed_sum(void)
{
	enum { N = 3001 };
	int64_t *v = malloc(N * 8);
	uint8_t *dst = malloc(N * 8 + 64);
	uint32_t *idx = malloc(N * 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dst);
	CU_ASSERT_PTR_NOT_NULL_FATAL(idx);
	uint32_t m = 0;
	for (uint32_t i = 0; i < N; i++)
		if (rng() % 3 == 0)
			idx[m++] = i;
	const char *why;
	__int128 got;
	int scale;
	for (unsigned b = 0; b < 64; b++) {
		for (int scaled = 0; scaled < 2; scaled++) {
			__int128 all = 0, some = 0;
			int64_t base = -(int64_t)(rng() >> 2);
			for (uint32_t i = 0; i < N; i++) {
				uint64_t off = b ? rng() >> (64 - b) : 0;
				if (scaled)
					off = (off >> 8) * 1000;
				v[i] = (int64_t)((uint64_t)base + off);
				all += v[i];
			}
			for (uint32_t k = 0; k < m; k++)
				some += v[idx[k]];
			size_t st = cs_bitpack_encode(v, N, 8, 1, dst, N * 8 + 64);
			if (!st)
				continue; /* stored plain: nothing packed to sum */
			int rc = cs_pack_sum(COLSTORE_COMPRESSION_BITPACK, dst, st, 8, N * 8, NULL, 0,
			                     &got, &scale, &why);
			if (rc == 1)
				continue; /* may wrap: the caller decodes */
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_TRUE(got == all);
			CU_ASSERT_EQUAL(scale, -1);
			rc = cs_pack_sum(COLSTORE_COMPRESSION_BITPACK, dst, st, 8, N * 8, idx, m, &got,
			                 &scale, &why);
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_TRUE(got == some);
			if (got != some || rc)
				fprintf(stderr, "\n  bit width %u scaled %d: row-list sum differs\n", b,
				        scaled);
		}
	}
	/* int8 values 118..127: 4 bits from reference 118 could reach 133 */
	int8_t s8[N];
	__int128 all8 = 0;
	for (uint32_t i = 0; i < N; i++) {
		s8[i] = (int8_t)(118 + (int)(rng() % 10));
		all8 += s8[i];
	}
	size_t st8 = cs_bitpack_encode(s8, N, 1, 1, dst, N * 8 + 64);
	CU_ASSERT_TRUE_FATAL(st8 > 0);
	CU_ASSERT_EQUAL(cs_pack_sum(COLSTORE_COMPRESSION_BITPACK, dst, st8, 1, N, NULL, 0, &got,
	                            &scale, &why),
	                1);
	/* int8 values -100..-91 cannot wrap: summed */
	all8 = 0;
	for (uint32_t i = 0; i < N; i++) {
		s8[i] = (int8_t)(-100 + (int)(rng() % 10));
		all8 += s8[i];
	}
	st8 = cs_bitpack_encode(s8, N, 1, 1, dst, N * 8 + 64);
	CU_ASSERT_EQUAL(cs_pack_sum(COLSTORE_COMPRESSION_BITPACK, dst, st8, 1, N, NULL, 0, &got,
	                            &scale, &why),
	                0);
	CU_ASSERT_TRUE(got == all8);
	/* DECIMAL: prices with two decimals, mantissas summed at scale 2 */
	double *d = (double *)(void *)v;
	__int128 cents = 0;
	for (uint32_t i = 0; i < N; i++) {
		int64_t c = (int64_t)(rng() % 100000) - 20000;
		d[i] = (double)c / 100;
		cents += c;
	}
	size_t std = cs_decimal_encode(d, N, dst, N * 8 + 64);
	CU_ASSERT_TRUE_FATAL(std > 0);
	CU_ASSERT_EQUAL(cs_pack_sum(COLSTORE_COMPRESSION_DECIMAL, dst, std, 8, N * 8, NULL, 0, &got,
	                            &scale, &why),
	                0);
	CU_ASSERT_EQUAL(scale, 2);
	CU_ASSERT_TRUE(got == cents);
	/* a damaged header is refused, not summed */
	dst[1] = 65;
	CU_ASSERT_EQUAL(cs_pack_sum(COLSTORE_COMPRESSION_DECIMAL, dst, std, 8, N * 8, NULL, 0, &got,
	                            &scale, &why),
	                -1);
	free(v);
	free(dst);
	free(idx);
}

/* ---- aggregation across thread counts ---------------------------------------------- */

static const tu_col tcols[] = {
	{ "g", COLSTORE_TYPE_STRING, 0, 9, 6 },    /* dictionary key, nulls */
	{ "k", COLSTORE_TYPE_INT16, 0, 11, 5 },    /* small-range key, nulls */
	{ "q", COLSTORE_TYPE_INT64, 0, 4, 1000000, 6 }, /* wide ints, packed with a scale */
	{ "x", COLSTORE_TYPE_FLOAT64, 0, 5, 0 },   /* plain doubles, -0, 1e300, NaN */
	{ "p", COLSTORE_TYPE_FLOAT64, 0, 0, 100000 }, /* two-decimal prices */
	{ "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 3, 50 },
	{ "b", COLSTORE_TYPE_BOOL, 0, 6, 0 },
	{ "f", COLSTORE_TYPE_FLOAT32, 0, 8, 0 },
};
#define TNCOLS 8
#define TROWS 20000

static const char *TAGGS = "count(*),count(x),sum(q),avg(q),sum(x),avg(x),min(x),max(x),sum(p),"
                           "min(p),max(p),min(s),max(s),min(b),max(b),sum(f),min(f)";

static char *agg_text(colstore_reader *r, const char *gb, const char *where, uint32_t threads)
{
	return tu_agg_text(r, TAGGS, gb, where, threads, 0, NULL, NULL);
}

/* threads_used after one run of aggs over path with at most t threads */
static uint32_t threads_for(const char *path, const char *aggs, const char *where, uint32_t t)
{
	colstore_reader *r;
	colstore_agg *a;
	uint32_t used = 0;
	if (colstore_reader_open(path, NULL, &r, NULL))
		return 0;
	colstore_filter *f = NULL;
	if ((!where || colstore_filter_parse(r, where, &f, NULL) == 0) &&
	    colstore_agg_create(r, aggs, NULL, f, &a, NULL) == 0) {
		colstore_agg_set_threads(a, t);
		if (colstore_agg_run(a, NULL) == 0)
			used = colstore_agg_threads_used(a);
		colstore_agg_free(a);
	}
	colstore_filter_free(f);
	colstore_reader_close(r);
	return used;
}

static void test_worker_bytes(void)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 700;
	const char *path = tu_path("workers.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, tcols, TNCOLS, TROWS, &o, 1, NULL), 0);
	const uint64_t saved = cs_agg_worker_bytes;
	cs_agg_worker_bytes = (uint64_t)4 << 20; /* the library's own setting */
	CU_ASSERT_EQUAL(threads_for(path, "sum(q)", NULL, 4), 1); /* a small file */
	/* q's blocks: TROWS int64s uncompressed (160,000 bytes) and validity
	 * bitmaps (2,520 bytes): 4 workers of 40,000 bytes, 16 of 10,000, but
	 * never more than the 29 row groups or the threads asked for */
	cs_agg_worker_bytes = 40000;
	CU_ASSERT_EQUAL(threads_for(path, "sum(q)", NULL, 8), 4);
	CU_ASSERT_EQUAL(threads_for(path, "sum(q)", NULL, 2), 2);
	cs_agg_worker_bytes = 10000;
	CU_ASSERT_EQUAL(threads_for(path, "sum(q)", NULL, 64), 16);
	cs_agg_worker_bytes = 1000;
	CU_ASSERT_EQUAL(threads_for(path, "sum(q)", NULL, 64), 29);
	/* row groups the filter's statistics rule out are not counted */
	CU_ASSERT_EQUAL(threads_for(path, "sum(q)", "q > 1e18", 4), 1);
	cs_agg_worker_bytes = saved;
	unlink(path);
}

static void test_threads_identical(void)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 700; /* 29 row groups for up to 4 workers */
	o.compression = COLSTORE_WRITE_PACK;
	const char *path = tu_path("threads.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, tcols, TNCOLS, TROWS, &o, 1, NULL), 0);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	static const char *const gbs[] = { NULL, "g", "k", "g,k", "s", "x" };
	/* x < 1e299 keeps the plain doubles that are not NaN or huge, so that
	 * sum(x) is a real sum of 20-digit values that naive adding would round
	 * differently for each split */
	static const char *const wheres[] = { NULL, "q > 0 and (g = 'v3' or k is null)",
		                              "x < 1e299" };
	for (size_t gi = 0; gi < sizeof(gbs) / sizeof(gbs[0]); gi++)
		for (size_t wi = 0; wi < 3; wi++) {
			char *one = agg_text(r, gbs[gi], wheres[wi], 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(one);
			CU_ASSERT_TRUE(strlen(one) > 0);
			for (uint32_t t = 2; t <= 4; t++) {
				char *many = agg_text(r, gbs[gi], wheres[wi], t);
				CU_ASSERT_PTR_NOT_NULL_FATAL(many);
				if (strcmp(one, many) != 0)
					fprintf(stderr, "\ngroup by %s where %s: %u threads differ\n",
					        gbs[gi] ? gbs[gi] : "-", wheres[wi] ? wheres[wi] : "-", t);
				CU_ASSERT_STRING_EQUAL(one, many);
				free(many);
			}
			free(one);
		}
	/* the float sums are the exact ones: recompute p's sum from its decimals */
	{
		colstore_agg *a;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(p),min(x),max(x)", NULL, NULL, &a, NULL),
		                      COLSTORE_OK);
		colstore_agg_set_threads(a, 3);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL(colstore_agg_threads_used(a), 3); /* the suite sets no minimum work */
		int64_t cents = 0;
		double mn = INFINITY, mx = -INFINITY;
		for (uint64_t row = 0; row < TROWS; row++) {
			cents += (int64_t)llround(tu_dbl(&tcols[4], row) * 100);
			if (!tu_is_null(&tcols[3], row) && !isnan(tu_dbl(&tcols[3], row))) {
				mn = fmin(mn, tu_dbl(&tcols[3], row));
				mx = fmax(mx, tu_dbl(&tcols[3], row));
			}
		}
		colstore_cell c;
		colstore_agg_cell(a, 0, 0, &c);
		CU_ASSERT_EQUAL(c.d, (double)cents / 100.0);
		colstore_agg_cell(a, 0, 1, &c);
		CU_ASSERT_EQUAL(c.d, mn);
		colstore_agg_cell(a, 0, 2, &c);
		CU_ASSERT_EQUAL(c.d, mx);
		colstore_agg_free(a);
	}
	colstore_reader_close(r);
	unlink(path);
}

/* groups that do not fit the memory limit: several passes, each over a range
 * of keys, give the same cells as one pass in memory, for a dictionary key
 * (2,500 strings) and an integer key (10,000 values), with nulls,
 * a filter and 1-3 threads; string min/max stays in memory (one pass) */
/* what an aggregation must do under a 256 KiB memory limit */
enum { LIM_PASSES, LIM_SPILL, LIM_FITS };

/* the aggregation, in memory, then under 256 KiB at 1-3 threads: the same
 * cells; dense keys take several passes (LIM_PASSES), hashed keys one pass
 * that writes runs (LIM_SPILL) or, with few groups, none (LIM_FITS) */
static void limited_equals_memory(colstore_reader *r, const char *aggs, const char *gb,
                                  const char *where, int expect)
{
	uint32_t passes = 0;
	uint64_t spill = 0;
	char *mem = tu_agg_text(r, aggs, gb, where, 2, 0, &passes, &spill);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	CU_ASSERT_EQUAL(passes, 1);
	if (expect == LIM_PASSES) {
		CU_ASSERT_TRUE(strlen(mem) > 10000); /* thousands of groups */
	} else {
		CU_ASSERT_EQUAL(spill, 0);
	}
	for (uint32_t t = 1; t <= 3; t++) {
		char *disk = tu_agg_text(r, aggs, gb, where, t, 256 << 10, &passes, &spill);
		CU_ASSERT_PTR_NOT_NULL_FATAL(disk);
		if (expect == LIM_PASSES) {
			CU_ASSERT_TRUE(passes > 1);
		} else {
			CU_ASSERT_EQUAL(passes, 1);
			if (expect == LIM_SPILL) {
				CU_ASSERT_TRUE(spill > 0);
			}
		}
		if (strcmp(mem, disk))
			fprintf(stderr, "\n  group by %s, %u threads, %u passes: cells differ\n", gb, t,
			        passes);
		CU_ASSERT_STRING_EQUAL(mem, disk);
		free(disk);
	}
	free(mem);
}

static void test_memory_limit_passes(void)
{
	static const tu_col mcols[] = {
		{ "u", COLSTORE_TYPE_STRING, 0, 13, 2500 },  /* 2,500 strings, nulls */
		{ "k", COLSTORE_TYPE_INT32, 0, 17, 10000 },  /* 10,000 values, nulls */
		{ "q", COLSTORE_TYPE_INT64, 0, 4, 1000000, 6 },
		{ "p", COLSTORE_TYPE_FLOAT64, 0, 0, 100000 },
		{ "x", COLSTORE_TYPE_FLOAT64, 0, 5, 0 },
		{ "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 3, 50 },
	};
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 3000;
	o.compression = COLSTORE_WRITE_PACK;
	const char *path = tu_path("passes.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, mcols, 6, 20000, &o, 1, NULL), 0);

	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	static const char *aggs = "count(*),count(x),sum(q),avg(q),sum(p),min(x),max(x),min(k)";
	uint64_t spill = 0;
	colstore_column_info ci;
	CU_ASSERT_EQUAL(colstore_reader_column_info(r, 0, &ci, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(ci.plain_chunks, 0); /* a dictionary key in every chunk */
	static const char *const gbs[] = { "u", "k" };
	static const char *const wheres[] = { NULL, "q > 0 or p < 50" };
	for (int gi = 0; gi < 2; gi++)
		for (int wi = 0; wi < 2; wi++)
			limited_equals_memory(r, aggs, gbs[gi], wheres[wi], LIM_PASSES);
	/* string min/max under a dense key: held in memory, one pass, same cells */
	uint32_t passes = 0;
	char *mem = tu_agg_text(r, "count(*),min(s),max(s)", "u", NULL, 2, 0, NULL, NULL);
	char *lim = tu_agg_text(r, "count(*),min(s),max(s)", "u", NULL, 2, 256 << 10, &passes, &spill);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lim);
	CU_ASSERT_EQUAL(passes, 1);
	CU_ASSERT_STRING_EQUAL(mem, lim);
	free(mem);
	free(lim);
	/* hashed keys (several columns, a float, a plain string), string
	 * min/max included: sorted runs written by each worker, merged */
	static const char *const hgbs[] = { "u,k", "p", "s,x", "k,u,s" };
	static const char *haggs = "count(*),sum(q),avg(p),min(s),max(u),min(x)";
	for (int gi = 0; gi < 4; gi++) /* s,x: 50 strings x 5 % nulls of x: few groups */
		for (int wi = 0; wi < 2; wi++)
			limited_equals_memory(r, haggs, hgbs[gi], wheres[wi], gi == 2 ? LIM_FITS : LIM_SPILL);
	colstore_reader_close(r);
	unlink(path);
}

/* group by a small-range integer (the dense path), with nulls, against counts
 * and sums computed here */
static void test_dense_int_key(void)
{
	const char *path = tu_path("dense.colstore");
	colstore_writer *w;
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 1000;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "k", COLSTORE_TYPE_INT32, 0, NULL);
	colstore_writer_add_column(w, "v", COLSTORE_TYPE_INT8, 0, NULL);
	enum { N = 10000, K = 50 };
	int64_t cnt[K + 1] = { 0 }, sum[K + 1] = { 0 };
	for (int i = 0; i < N; i++) {
		int null = i % 13 == 0;
		int key = -1000000 + (int)(rng() % K) * 3; /* negative, spaced */
		int v = (int)(rng() % 200) - 100;
		if (null)
			colstore_writer_put_null(w, 0, NULL);
		else
			colstore_writer_put_int(w, 0, key, NULL);
		colstore_writer_put_int(w, 1, v, NULL);
		colstore_writer_end_row(w, NULL);
		int slot = null ? K : (key + 1000000) / 3;
		cnt[slot]++;
		sum[slot] += v;
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*),sum(v)", "k", NULL, &a, NULL), COLSTORE_OK);
	colstore_agg_set_threads(a, 2);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, NULL), COLSTORE_OK);
	uint64_t g = 0;
	for (int s = 0; s <= K; s++) {
		if (!cnt[s])
			continue;
		colstore_cell c;
		colstore_agg_cell(a, g, 0, &c);
		CU_ASSERT_EQUAL(c.is_null, s == K);
		CU_ASSERT_EQUAL(c.type, COLSTORE_TYPE_INT32);
		if (s < K)
			CU_ASSERT_EQUAL(c.i, -1000000 + s * 3);
		colstore_agg_cell(a, g, 1, &c);
		CU_ASSERT_EQUAL(c.i, cnt[s]);
		colstore_agg_cell(a, g, 2, &c);
		CU_ASSERT_EQUAL(c.i, sum[s]);
		g++;
	}
	CU_ASSERT_EQUAL(colstore_agg_num_groups(a), g);
	colstore_agg_free(a);
	colstore_reader_close(r);
	unlink(path);
}

/* a damaged dictionary: the file opens, the column fails with the checksum
 * error when used, the other columns read, verify names it */
static void test_dict_on_first_use(void)
{
	const tu_col c2[] = {
		{ "g", COLSTORE_TYPE_STRING, 0, 0, 40 },
		{ "v", COLSTORE_TYPE_INT32, 0, 0, 0 },
	};
	const char *path = tu_path("lazydict.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, c2, 2, 500, NULL, 0, NULL), 0);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	uint64_t at = r->columns[0].dict_bytes.offset + 3;
	colstore_reader_close(r);
	size_t size;
	unsigned char *img = tu_read_file(path, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	img[at] ^= 0x20;
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, img, size), 0);
	free(img);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_buffers *b = colstore_buffers_create();
	colstore_values v;
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_reader_values(r, 0, 1, b, &v, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_values(r, 0, 0, b, &v, &e), COLSTORE_ECHECKSUM);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "column 'g' dictionary bytes: checksum mismatch"));
	colstore_filter *f;
	CU_ASSERT_EQUAL(colstore_filter_parse(r, "g = 'x'", &f, &e), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "checksum mismatch"));
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*)", "g", NULL, &a, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_ECHECKSUM);
	colstore_agg_free(a);
	CU_ASSERT_EQUAL(colstore_reader_verify(r, &e), COLSTORE_ECHECKSUM);
	colstore_buffers_free(b);
	colstore_reader_close(r);
	unlink(path);
}

void register_engine_tests(void)
{
	CU_pSuite s = CU_add_suite("engine", NULL, NULL);
	CU_add_test(s, "exact float sums: cancellation, decimals, scales", test_fsum_exact);
	CU_add_test(s, "float sums do not depend on order or split", test_fsum_order);
	CU_add_test(s, "float sums: NaN, infinities, spill, subnormals", test_fsum_special);
	CU_add_test(s, "string sort equals a comparison sort", test_strsort);
	CU_add_test(s, "sums read from packed bits equal the values' sums", test_packed_sum);
	CU_add_test(s, "1 to 4 threads give identical cells", test_threads_identical);
	CU_add_test(s, "no more workers than 4 MiB read each", test_worker_bytes);
	CU_add_test(s, "group by a small-range integer (dense)", test_dense_int_key);
	CU_add_test(s, "groups over the memory limit: passes, same cells", test_memory_limit_passes);
	CU_add_test(s, "a dictionary is checked on first use", test_dict_on_first_use);
}
