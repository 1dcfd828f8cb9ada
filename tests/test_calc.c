/*
 * test_calc.c -- value expressions (calc.c): in filters, as aggregate
 * arguments and as group-by keys.  Expected values are computed here, row
 * by row, from the generator's values (dates through gmtime_r, not through
 * the library's calendar); constants are checked as filters that hold on
 * every row or on none.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "testutil.h"

static const tu_col cols[] = {
	{ "i8", COLSTORE_TYPE_INT8, 0, 4, 0, 0 },
	{ "i32", COLSTORE_TYPE_INT32, 0, 0, 1000, 0 },
	{ "f", COLSTORE_TYPE_FLOAT64, 0, 5, 100000, 0 },
	{ "s", COLSTORE_TYPE_STRING, 0, 6, 40, 0 },
	{ "p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 7, 40, 0 },
	{ "d", COLSTORE_TYPE_DATE, 0, 0, 40000, 0 },
	{ "t", COLSTORE_TYPE_TIMESTAMP, 0, 9, 2000000000, 5 },
	{ "tx", COLSTORE_TYPE_TIMESTAMP, 0, 0, 0, 0 }, /* INT64_MIN and _MAX now and then */
};
enum { I8, I32, F, S, P, D, T, TX, NCOLS };
#define ROWS 6000

static colstore_reader *open_table(uint32_t compression)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 1000;
	o.compression = compression;
	const char *path = tu_path("calc.colstore");
	colstore_reader *r;
	if (tu_write(path, cols, NCOLS, ROWS, &o, 1, NULL) ||
	    colstore_reader_open(path, NULL, &r, NULL))
		return NULL;
	return r;
}

/* rows matching where through the library, or -1 with *rc the error */
static int64_t lib_count(colstore_reader *r, const char *where, int *rc, colstore_error *e)
{
	colstore_filter *f;
	*rc = colstore_filter_parse(r, where, &f, e);
	if (*rc) {
		fprintf(stderr, "\n  parse '%s': %s\n", where, e->message);
		return -1;
	}
	colstore_buffers *b = colstore_buffers_create();
	uint8_t *sel = malloc(1000 / 8 + 1);
	int64_t total = 0;
	for (uint32_t g = 0; g < colstore_reader_num_row_groups(r) && !*rc; g++) {
		uint64_t m = 0;
		if (colstore_filter_may_match(f, g) && !(*rc = colstore_filter_eval(f, g, b, sel, &m, e)))
			total += (int64_t)m;
	}
	free(sel);
	colstore_buffers_free(b);
	colstore_filter_free(f);
	return *rc ? -1 : total;
}

/* ---- the expected side: the generator's values, and libc's calendar ---- */

static int nul(int c, uint64_t i) { return tu_is_null(&cols[c], i); }
static int64_t iv(int c, uint64_t i) { return tu_int(&cols[c], i); }
static double dv(int c, uint64_t i) { return tu_dbl(&cols[c], i); }

static size_t sv(int c, uint64_t i, char *buf) { return tu_str(&cols[c], i, buf); }

static size_t chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t j = 0; j < n; j++)
		k += ((unsigned char)s[j] & 0xc0) != 0x80;
	return k;
}

/* the calendar of a date (days) or timestamp (µs), by gmtime_r */
static struct tm cal(int c, uint64_t i, int64_t *usec)
{
	int64_t v = iv(c, i), secs = v;
	*usec = 0;
	if (c == T) {
		secs = v / 1000000 - (v % 1000000 < 0);
		*usec = v - secs * 1000000;
	} else {
		secs = v * 86400;
	}
	time_t tt = (time_t)secs;
	struct tm tm;
	gmtime_r(&tt, &tm);
	return tm;
}

typedef int (*rowpred)(uint64_t i);

static int p_arith(uint64_t i) { return !nul(I8, i) && iv(I8, i) * 3 + iv(I32, i) > 100; }
static int p_div(uint64_t i)
{
	return !nul(I8, i) && !nul(F, i) && iv(I8, i) != 0 && dv(F, i) / (double)iv(I8, i) > 2;
}
static int p_len_s(uint64_t i)
{
	char b[64];
	return !nul(S, i) && chars(b, sv(S, i, b)) == 7;
}
static int p_len_p(uint64_t i)
{
	char b[64];
	return !nul(P, i) && chars(b, sv(P, i, b)) > 10;
}
static int p_upper_s(uint64_t i)
{
	char b[64];
	size_t n = sv(S, i, b);
	return !nul(S, i) && n == 7 && !memcmp(b, "value-7", 7);
}
static int p_lower_p(uint64_t i)
{
	char b[65];
	size_t n = sv(P, i, b);
	b[n] = '\0';
	return !nul(P, i) && strstr(b, "longer") != NULL && strlen(b) == n;
}
static int p_coalesce(uint64_t i) { return nul(I8, i); }
static int p_not(uint64_t i) { return !nul(I8, i) && !(iv(I8, i) + 1 > 2); }
static int p_year_month(uint64_t i)
{
	int64_t us;
	struct tm a = cal(D, i, &us);
	if (a.tm_year + 1900 == 2000)
		return 1;
	if (nul(T, i))
		return 0;
	struct tm b = cal(T, i, &us);
	return b.tm_mon + 1 == 3;
}
static int p_weekday(uint64_t i)
{
	int64_t us;
	struct tm a = cal(D, i, &us);
	return a.tm_wday == 0 && a.tm_mon / 3 + 1 == 2;
}
static int p_trunc_month(uint64_t i)
{
	int64_t us;
	struct tm a = cal(D, i, &us);
	return a.tm_year + 1900 == 2001 && a.tm_mon == 1;
}
static int p_hour(uint64_t i)
{
	int64_t us;
	if (nul(T, i))
		return 0;
	struct tm a = cal(T, i, &us);
	return a.tm_hour == 13 && a.tm_min > 30;
}
static int p_trunc_hour(uint64_t i)
{
	int64_t us;
	if (nul(T, i))
		return 0;
	struct tm a = cal(T, i, &us);
	return a.tm_min == 0 && a.tm_sec == 0 && us == 0;
}
static int p_trunc_week(uint64_t i)
{ /* date_trunc('week', d) = d: d is a Monday */
	int64_t us;
	struct tm a = cal(D, i, &us);
	return a.tm_wday == 1;
}
static int p_bucket(uint64_t i) { return iv(I32, i) >= 200 && iv(I32, i) < 300; }
static int p_round(uint64_t i)
{ /* f = k / 100: round(f, 1) = 5.5 when 5.45 <= f < 5.55 */
	if (nul(F, i))
		return 0;
	long long k = llround(dv(F, i) * 100);
	return k >= 545 && k <= 554;
}
static int p_abs(uint64_t i) { return llabs(iv(I32, i)) < 10; }
static int p_null(uint64_t i) { return nul(I8, i); }
static int p_colcol(uint64_t i) { return !nul(I8, i) && iv(I8, i) == iv(I32, i); }
static int p_mixed(uint64_t i) { return !nul(F, i) && dv(F, i) > (double)iv(I32, i); }
static int p_in(uint64_t i)
{
	int64_t us;
	struct tm a = cal(D, i, &us);
	return a.tm_mon + 1 == 1 || a.tm_mon + 1 == 12;
}
static int p_between(uint64_t i)
{
	if (nul(I8, i))
		return 0;
	int64_t x = iv(I8, i) * 2;
	return x >= -10 && x <= 10;
}
static int p_like(uint64_t i)
{
	char b[65];
	if (nul(S, i))
		return 0;
	size_t n = sv(S, i, b);
	return n >= 7 && !memcmp(b, "value-1", 7);
}

static void test_filters(void)
{
	static const struct { const char *where; rowpred p; } c[] = {
		{ "i8 * 3 + i32 > 100", p_arith },
		{ "f / i8 > 2", p_div },
		{ "length(s) = 7", p_len_s },
		{ "length(p) > 10", p_len_p },
		{ "upper(s) = 'VALUE-7'", p_upper_s },
		{ "lower(p) like '%longer%'", p_lower_p },
		{ "coalesce(i8, -1000) = -1000", p_coalesce },
		{ "not (i8 + 1 > 2)", p_not },
		{ "year(d) = 2000 or month(t) = 3", p_year_month },
		{ "weekday(d) = 0 and quarter(d) = 2", p_weekday },
		{ "date_trunc('month', d) = '2001-02-01'", p_trunc_month },
		{ "hour(t) = 13 and minute(t) > 30", p_hour },
		{ "date_trunc('hour', t) = t", p_trunc_hour },
		{ "date_trunc('week', d) = d", p_trunc_week },
		{ "bucket(i32, 100) = 200", p_bucket },
		{ "round(f, 1) = 5.5", p_round },
		{ "abs(i32) < 10", p_abs },
		{ "i8 + i32 is null", p_null },
		{ "i32 = i8", p_colcol },
		{ "f > i32", p_mixed },
		{ "month(d) in (1, 12)", p_in },
		{ "i8 * 2 between -10 and 10", p_between },
		{ "upper(s) ilike 'VALUE-1%'", p_like },
	};
	for (uint32_t comp = 0; comp < 2; comp++) {
		colstore_reader *r = open_table(comp ? COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4 : 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			int64_t want = 0;
			for (uint64_t i = 0; i < ROWS; i++)
				want += c[k].p(i);
			int rc;
			colstore_error e;
			int64_t got = lib_count(r, c[k].where, &rc, &e);
			CU_ASSERT_EQUAL(rc, COLSTORE_OK);
			CU_ASSERT_EQUAL(got, want);
			if (got != want)
				fprintf(stderr, "\n  '%s': %lld rows, expected %lld\n", c[k].where,
				        (long long)got, (long long)want);
			CU_ASSERT(want > 0 || k == 9 || k == 12); /* the count means something */
		}
		colstore_reader_close(r);
	}
}

/* constant truths hold on every row, falsehoods on none */
static void test_constants(void)
{
	static const char *const truths[] = {
		"round(2.675, 2) = 2.68", "round(-2.5, 0) = -3", "round(0.49999999999999994, 0) = 0",
		"round(1234.5678, 3) = 1234.568", "round(5, 2) = 5", "round(1e300, 2) = 1e300",
		"bucket(-7, 5) = -10", "bucket(7.5, 2.5) = 7.5", "bucket(-0.1, 1) = -1",
		"abs(-3) = 3", "-(-3) = 3", "7 / 2 = 3.5", "coalesce(1 / 0, 4) = 4", "1 / 0 is null",
		"length('h\xc3\xa9llo') = 5", "upper('abc') = 'ABC'", "lower('\xc3\x80" "B') = '\xc3\x80" "b'",
		"9223372036854775807 + 0 = 9223372036854775807", "-9223372036854775808 < 0",
		"3 = 3.0", "9007199254740993 > 9007199254740992.0", "2 * 3 + 4 = 10", "2 * (3 + 4) = 14",
		"10 - 2 - 3 = 5", "8 / 2 / 2 = 2", "-2 * -3 = 6", "+5 = 5",
		"coalesce(i8, i32, 0) is not null", "year(d) - year(d) = 0",
		"-000000000000000000000000000000000000000000000000000000000000001 = -1",
		/* timestamps at the ends of the range: parts and comparisons with
		 * dates, no overflow on the way */
		"hour(tx) between 0 and 23", "weekday(tx) between 0 and 6", "minute(tx) < 60",
		"tx > d or tx <= d",
	};
	static const char *const lies[] = { "1 / 0 = 1", "round(2.5, 0) = 2", "1 = 2", "'a' > 'b'",
		                            "coalesce(1 / 0, 2 / 0) is not null" };
	colstore_reader *r = open_table(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (unsigned k = 0; k < sizeof(truths) / sizeof(truths[0]) + sizeof(lies) / sizeof(lies[0]); k++) {
		int truth = k < sizeof(truths) / sizeof(truths[0]);
		const char *w = truth ? truths[k] : lies[k - sizeof(truths) / sizeof(truths[0])];
		int rc;
		colstore_error e;
		int64_t got = lib_count(r, w, &rc, &e);
		CU_ASSERT_EQUAL(got, truth ? ROWS : 0);
		if (got != (truth ? ROWS : 0))
			fprintf(stderr, "\n  '%s': %lld rows (rc %d %s)\n", w, (long long)got, rc,
			        rc ? e.message : "");
	}
	colstore_reader_close(r);
}

/* an int64 overflow is an error, but only on rows the expression is
 * worked out for */
static void test_overflow(void)
{
	colstore_reader *r = open_table(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	int rc;
	colstore_error e;
	/* the first timestamp's day began before it: not a timestamp */
	CU_ASSERT_EQUAL(lib_count(r, "date_trunc('day', tx) <= tx", &rc, &e), -1);
	CU_ASSERT_EQUAL(rc, COLSTORE_ERANGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "date_trunc('day', tx)"));
	/* a comparison of columns with literals goes first, whichever side it
	 * is written on: the expression only where it holds */
	int64_t zeros = 0;
	for (uint64_t i = 0; i < ROWS; i++)
		zeros += !nul(I8, i) && iv(I8, i) == 0;
	CU_ASSERT_EQUAL(lib_count(r, "i8 * 9223372036854775807 = 0 and i8 = 0", &rc, &e), zeros);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_EQUAL(lib_count(r, "i8 * 9223372036854775807 > 0", &rc, &e), -1);
	CU_ASSERT_EQUAL(rc, COLSTORE_ERANGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "integer overflow in i8 * 9223372036854775807"));
	/* the right side of an and only where the left holds */
	int64_t want = 0;
	for (uint64_t i = 0; i < ROWS; i++)
		want += !nul(I8, i) && iv(I8, i) == 0;
	CU_ASSERT_EQUAL(lib_count(r, "i8 = 0 and i8 * 9223372036854775807 = 0", &rc, &e), want);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_EQUAL(lib_count(r, "i8 != 0 or i8 * 9223372036854775807 = 0", &rc, &e),
	                (int64_t)ROWS - (ROWS / 4)); /* every non-null i8 */
	/* an aggregate: an error where its rows overflow, a sum where they do not */
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(i8 * 9223372036854775807)", NULL, NULL, &a, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_ERANGE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "integer overflow"));
	colstore_agg_free(a);
	colstore_filter *f;
	CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, "i8 = 0", &f, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(i8 * 9223372036854775807) as big, count(*)", NULL,
	                                          f, &a, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_OK);
	colstore_cell big, n;
	CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 0), "big");
	CU_ASSERT_EQUAL(colstore_agg_cell(a, 0, 0, &big), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_agg_cell(a, 0, 1, &n), COLSTORE_OK);
	CU_ASSERT(want > 0);
	CU_ASSERT_EQUAL(n.i, want);
	CU_ASSERT(!big.is_null && big.i == 0);
	colstore_agg_free(a);
	colstore_filter_free(f);
	colstore_reader_close(r);
}

/* aggregates over expressions and keys that are expressions */
static void test_agg(void)
{
	for (int threads = 1; threads <= 3; threads += 2) {
		colstore_reader *r = open_table(threads == 3 ? COLSTORE_WRITE_PACK : 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		colstore_agg *a;
		colstore_error e;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "sum(i8 * i32) as prod, count(length(p)), "
		                                              "max(upper(s)), min(f / 4), count(distinct i32 / 100)",
		                                          "month(d) as m", NULL, &a, &e), COLSTORE_OK);
		colstore_agg_set_threads(a, (uint32_t)threads);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, &e), COLSTORE_OK);
		CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 0), "m");
		CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 1), "prod");
		CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 3), "max(upper(s))");
		CU_ASSERT_EQUAL(colstore_agg_num_groups(a), 12);
		for (uint64_t g = 0; g < colstore_agg_num_groups(a); g++) {
			colstore_cell c[6];
			for (uint32_t k = 0; k < 6; k++)
				colstore_agg_cell(a, g, k, &c[k]);
			CU_ASSERT_EQUAL(c[0].type, COLSTORE_TYPE_INT64);
			CU_ASSERT_EQUAL(c[0].i, (int64_t)g + 1); /* months in order */
			int64_t sum = 0, cnt = 0;
			char best[64] = "";
			size_t bestn = 0;
			int have = 0;
			double fmin = INFINITY;
			uint8_t seen[1000] = { 0 };
			int64_t distinct = 0;
			for (uint64_t i = 0; i < ROWS; i++) {
				int64_t us;
				struct tm tm = cal(D, i, &us);
				if (tm.tm_mon != (int)g)
					continue;
				if (!nul(I8, i))
					sum += iv(I8, i) * iv(I32, i);
				cnt += !nul(P, i);
				if (!nul(S, i)) {
					char b[64];
					size_t n = sv(S, i, b);
					for (size_t j = 0; j < n; j++)
						if (b[j] >= 'a' && b[j] <= 'z')
							b[j] = (char)(b[j] - 32);
					int cmp = memcmp(b, best, n < bestn ? n : bestn);
					if (!have || cmp > 0 || (cmp == 0 && n > bestn)) {
						memcpy(best, b, n);
						bestn = n;
						have = 1;
					}
				}
				if (!nul(F, i) && dv(F, i) / 4 < fmin)
					fmin = dv(F, i) / 4;
				/* i32 / 100 is a float: distinct values of i32 */
				if (!seen[iv(I32, i) + 333]) {
					seen[iv(I32, i) + 333] = 1;
					distinct++;
				}
			}
			CU_ASSERT_EQUAL(c[1].i, sum);
			CU_ASSERT_EQUAL(c[2].i, cnt);
			CU_ASSERT_EQUAL(c[3].len, bestn);
			CU_ASSERT(c[3].len == bestn && !memcmp(c[3].s, best, bestn));
			CU_ASSERT_EQUAL(c[4].type, COLSTORE_TYPE_FLOAT64);
			CU_ASSERT_DOUBLE_EQUAL(c[4].d, fmin, 0);
			CU_ASSERT_EQUAL(c[5].i, distinct);
		}
		colstore_agg_free(a);
		colstore_reader_close(r);
	}
}

static int cmp_dbl(const void *p, const void *q)
{
	double a = *(const double *)p, b = *(const double *)q;
	return (a > b) - (a < b);
}

/* the quantile of v[0 .. n) sorted: at (n - 1) q, linear between ranks */
static double quantile_of(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(double), cmp_dbl);
	double h = (double)(n - 1) * q, f = floor(h);
	size_t lo = (size_t)f, hi = (size_t)ceil(h);
	return lo == hi ? v[lo] : v[lo] + (v[hi] - v[lo]) * (h - f);
}

/* median and quantile by a dense key, in memory and (a small memory
 * limit) by the second aggregation: the same bits, the values worked out
 * here; approx_count_distinct within 4 standard errors of the count */
static void test_quantiles(void)
{
	colstore_reader *r = open_table(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	const char *aggs = "median(i32), quantile(f, 0.9) as q9, quantile(i8, 0), quantile(i8 * 2, 1), "
	                   "approx_count_distinct(i32), approx_count_distinct(p)";
	char *want_text = NULL;
	for (int way = 0; way < 3; way++) {
		colstore_agg *a;
		colstore_error e;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, aggs, "s", NULL, &a, &e), COLSTORE_OK);
		colstore_agg_set_threads(a, way == 1 ? 3 : 1);
		if (way == 2)
			colstore_agg_set_memory_limit(a, 64 << 10); /* the second aggregation, spilled */
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, &e), COLSTORE_OK);
		CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 2), "q9");
		tu_buf text = { 0 };
		for (uint64_t g = 0; g < colstore_agg_num_groups(a); g++) {
			colstore_cell key, c[6];
			colstore_agg_cell(a, g, 0, &key);
			for (uint32_t k = 0; k < 6; k++)
				colstore_agg_cell(a, g, k + 1, &c[k]);
			double *v[4];
			size_t n[4] = { 0 };
			for (int j = 0; j < 4; j++)
				v[j] = malloc(ROWS * sizeof(double));
			uint8_t seen[1000] = { 0 };
			int64_t distinct_i32 = 0;
			char seenp[64][64];
			int np = 0;
			for (uint64_t i = 0; i < ROWS; i++) {
				char b[64];
				size_t bn = sv(S, i, b);
				if (key.is_null ? !nul(S, i) : nul(S, i) || bn != key.len || memcmp(b, key.s, bn))
					continue;
				v[0][n[0]++] = (double)iv(I32, i);
				if (!nul(F, i))
					v[1][n[1]++] = dv(F, i);
				if (!nul(I8, i)) {
					v[2][n[2]++] = (double)iv(I8, i);
					v[3][n[3]++] = (double)(iv(I8, i) * 2);
				}
				distinct_i32 += !seen[iv(I32, i) + 333];
				seen[iv(I32, i) + 333] = 1;
				if (!nul(P, i)) {
					char pb[64];
					size_t pn = sv(P, i, pb);
					pb[pn < 63 ? pn : 63] = '\0';
					int found = 0;
					for (int j = 0; j < np && !found; j++)
						found = !strcmp(seenp[j], pb);
					if (!found && np < 64)
						strcpy(seenp[np++], pb);
				}
			}
			const double qs[4] = { 0.5, 0.9, 0, 1 };
			for (int j = 0; j < 4; j++) {
				CU_ASSERT_EQUAL(c[j].is_null, n[j] == 0);
				if (n[j]) {
					double want = quantile_of(v[j], n[j], qs[j]);
					CU_ASSERT_EQUAL(c[j].type, COLSTORE_TYPE_FLOAT64);
					CU_ASSERT(c[j].d == want);
					if (c[j].d != want)
						fprintf(stderr, "\n  way %d group %llu quantile %d: %.17g, expected %.17g\n", way,
						        (unsigned long long)g, j, c[j].d, want);
				}
				free(v[j]);
			}
			/* 4096 registers: 1.6% standard error, and these counts are small */
			CU_ASSERT(llabs(c[4].i - distinct_i32) <= distinct_i32 / 16 + 1);
			CU_ASSERT(llabs(c[5].i - np) <= np / 16 + 1);
			for (int k = 0; k < 6; k++)
				tu_printf(&text, "%a %lld %d|", c[k].d, (long long)c[k].i, c[k].is_null);
		}
		if (!want_text)
			want_text = text.p;
		else {
			CU_ASSERT_STRING_EQUAL(text.p, want_text); /* the same bits every way */
			free(text.p);
		}
		colstore_agg_free(a);
	}
	free(want_text);
	colstore_reader_close(r);
}

/* approx_count_distinct of many values: within 4 standard errors */
static void test_hll(void)
{
	const char *path = tu_path("hll.colstore");
	static const tu_col big[] = { { "x", COLSTORE_TYPE_INT64, 0, 0, 0, 0 } };
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	CU_ASSERT_EQUAL_FATAL(tu_write(path, big, 1, 300000, &o, 1, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	const char *cases[] = { NULL, "bucket(x, 4)", "x < 0" };
	for (int k = 0; k < 3; k++) {
		char aggs[128];
		snprintf(aggs, sizeof(aggs), "approx_count_distinct(%s), count(distinct %s)", k == 1 ? cases[1] : "x",
		         k == 1 ? cases[1] : "x");
		colstore_filter *f = NULL;
		colstore_error e;
		if (k == 2)
			CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, cases[2], &f, &e), COLSTORE_OK);
		colstore_agg *a;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, aggs, NULL, f, &a, &e), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, &e), COLSTORE_OK);
		colstore_cell est, exact;
		colstore_agg_cell(a, 0, 0, &est);
		colstore_agg_cell(a, 0, 1, &exact);
		double rel = fabs((double)est.i - (double)exact.i) / (double)exact.i;
		CU_ASSERT(exact.i > 1000);
		CU_ASSERT(rel < 4 * 1.04 / 64); /* 4 standard errors */
		if (!(rel < 4 * 1.04 / 64))
			fprintf(stderr, "\n  case %d: %lld estimated, %lld exactly\n", k, (long long)est.i,
			        (long long)exact.i);
		colstore_agg_free(a);
		colstore_filter_free(f);
	}
	colstore_reader_close(r);
}

/* a date key of date_trunc keeps the date type; string keys of upper() */
static void test_keys(void)
{
	colstore_reader *r = open_table(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	colstore_agg *a;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, NULL, "date_trunc('year', d), upper(p)", NULL, &a, &e),
	                      COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_agg_run(a, &e), COLSTORE_OK);
	CU_ASSERT_STRING_EQUAL(colstore_agg_column_name(a, 0), "date_trunc('year', d)");
	uint64_t total = 0;
	int64_t prev = INT64_MIN;
	for (uint64_t g = 0; g < colstore_agg_num_groups(a); g++) {
		colstore_cell y, p, n;
		colstore_agg_cell(a, g, 0, &y);
		colstore_agg_cell(a, g, 1, &p);
		colstore_agg_cell(a, g, 2, &n);
		CU_ASSERT_EQUAL(y.type, COLSTORE_TYPE_DATE);
		CU_ASSERT(y.i >= prev);
		prev = y.i;
		time_t tt = (time_t)(y.i * 86400);
		struct tm tm;
		gmtime_r(&tt, &tm);
		CU_ASSERT(tm.tm_mon == 0 && tm.tm_mday == 1);
		CU_ASSERT_EQUAL(p.type, COLSTORE_TYPE_STRING);
		int lower = 0;
		for (uint32_t j = 0; !p.is_null && j < p.len; j++)
			lower |= p.s[j] >= 'a' && p.s[j] <= 'z';
		CU_ASSERT(!lower);
		total += (uint64_t)n.i;
	}
	CU_ASSERT_EQUAL(total, ROWS);
	colstore_agg_free(a);
	colstore_reader_close(r);
}

static void test_errors(void)
{
	colstore_reader *r = open_table(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	static const struct { const char *where; uint64_t col; const char *msg; } bad[] = {
		{ "i8 + s > 1", 4, "'+' needs numbers: s is a string" },
		{ "year(i8) = 1", 6, "year needs a date or timestamp, not an integer" },
		{ "date_trunc('fortnight', d) = d", 12, "unknown unit 'fortnight'" },
		{ "round(f, 16) = 1", 10, "the digits must be an integer from 0 to 15" },
		{ "bucket(i8, 0) = 1", 12, "the width must be above 0" },
		{ "nofn(i8) = 1", 1, "unknown function 'nofn'" },
		{ "s = i8", 3, "cannot compare a string (s) with an integer (i8)" },
		{ "lower(i8) = 'x'", 7, "lower needs a string, not an integer" },
		{ "abs(i8, 2) = 1", 1, "abs takes 1 argument" },
		{ "coalesce(i8, 'x') = 1", 1, "cannot compare an integer (i8) with a string ('x')" },
		{ "(i8 + 1 > 2", 1, "unclosed parenthesis" },
		{ "i8 + 1", 7, "expected an operator" },
		{ "length(s) like 'x'", 11, "'like' needs a string: length(s) is int64" },
	};
	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		colstore_filter *f = NULL;
		colstore_error e;
		memset(&e, 0, sizeof(e));
		CU_ASSERT_EQUAL(colstore_filter_parse(r, bad[k].where, &f, &e), COLSTORE_EPARSE);
		CU_ASSERT_PTR_NULL(f);
		CU_ASSERT_EQUAL(e.column, bad[k].col);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.message, bad[k].msg));
		if (e.column != bad[k].col || !strstr(e.message, bad[k].msg))
			fprintf(stderr, "\n  '%s': at %llu '%s'\n", bad[k].where, (unsigned long long)e.column,
			        e.message);
	}
	colstore_agg *a;
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_agg_create(r, "sum(upper(s))", NULL, NULL, &a, &e), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "upper(s) is string; sum, avg, var, stddev, median and quantile need a number"));
	CU_ASSERT_EQUAL(colstore_agg_create(r, "count(*)", "i8 +", NULL, &a, &e), COLSTORE_EPARSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "--group-by: "));
	colstore_reader_close(r);
}

void register_calc_tests(void)
{
	CU_pSuite s = CU_add_suite("value expressions", NULL, NULL);
	CU_add_test(s, "filters of expressions equal a row-by-row count", test_filters);
	CU_add_test(s, "constants: truths on every row, falsehoods on none", test_constants);
	CU_add_test(s, "int64 overflow: an error on the rows worked out only", test_overflow);
	CU_add_test(s, "aggregates of expressions by an expression key", test_agg);
	CU_add_test(s, "keys keep their types: date_trunc a date, upper a string", test_keys);
	CU_add_test(s, "median and quantile: in memory, spilled, threads: the same bits", test_quantiles);
	CU_add_test(s, "approx_count_distinct within 4 standard errors", test_hll);
	CU_add_test(s, "errors name the function, the types and the place", test_errors);
}
