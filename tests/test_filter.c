/*
 * test_filter.c -- --where filters: parse errors name the token or column;
 * evaluation equals a row-by-row computation from the generator's values
 * (not from the engine); row groups are skipped by their statistics.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "testutil.h"

static const tu_col cols[] = {
	{ "i8", COLSTORE_TYPE_INT8, 0, 4, 0 },
	{ "i64", COLSTORE_TYPE_INT64, 0, 0, 1000 },
	{ "f", COLSTORE_TYPE_FLOAT64, 0, 5, 100 },
	{ "b", COLSTORE_TYPE_BOOL, 0, 3, 0 },
	{ "s", COLSTORE_TYPE_STRING, 0, 6, 5 },
	{ "p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 7, 40 },
	{ "d", COLSTORE_TYPE_DATE, 0, 0, 400 },
};
#define NCOLS 7
#define ROWS 5000

static colstore_reader *open_table(uint32_t compression, const char **path)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 700;
	o.compression = compression;
	*path = tu_path("filter.colstore");
	if (tu_write(*path, cols, NCOLS, ROWS, &o, 1, NULL))
		return NULL;
	colstore_reader *r;
	return colstore_reader_open(*path, NULL, &r, NULL) ? NULL : r;
}

/* count matches by evaluating the filter through the library */
static uint64_t lib_count(colstore_reader *r, const char *where, int *rc)
{
	colstore_filter *f;
	colstore_error e;
	*rc = colstore_filter_parse(r, where, &f, &e);
	if (*rc) {
		fprintf(stderr, "\n  parse '%s': %s\n", where, e.message);
		return 0;
	}
	colstore_buffers *b = colstore_buffers_create();
	uint8_t *sel = malloc(colstore_reader_row_group_size(r) / 8 + 1);
	uint64_t total = 0;
	for (uint32_t g = 0; g < colstore_reader_num_row_groups(r); g++) {
		uint64_t m = 0;
		if (!colstore_filter_may_match(f, g))
			continue;
		if ((*rc = colstore_filter_eval(f, g, b, sel, &m, &e)))
			break;
		total += m;
	}
	colstore_buffers_free(b);
	colstore_filter_free(f);
	free(sel);
	return total;
}

typedef int (*rowpred)(uint64_t row);
static const tu_col *C(const char *name)
{
	for (int i = 0; i < NCOLS; i++)
		if (!strcmp(cols[i].name, name))
			return &cols[i];
	return NULL;
}
static int p1(uint64_t r) { return !tu_is_null(C("i8"), r) && tu_int(C("i8"), r) > 10; }
static int p2(uint64_t r) { return !tu_is_null(C("i64"), r) && tu_int(C("i64"), r) == 7; }
static int p3(uint64_t r) { return !tu_is_null(C("f"), r) && tu_dbl(C("f"), r) <= 0.25; }
static int p4(uint64_t r) { return !tu_is_null(C("b"), r) && tu_int(C("b"), r) == 1; }
static int p5(uint64_t r)
{
	char s[64];
	size_t n = tu_str(C("s"), r, s);
	return !tu_is_null(C("s"), r) && n == 7 && !memcmp(s, "value-4", 7);
}
static int p6(uint64_t r)
{
	char s[64];
	size_t n = tu_str(C("p"), r, s);
	return !tu_is_null(C("p"), r) && memcmp(s, "value-3", n < 7 ? n : 7) >= 0 && (n >= 7 ? 1 : memcmp(s, "value-3", n) > 0);
}
static int p7(uint64_t r) { return tu_is_null(C("s"), r); }
static int p8(uint64_t r) { return p1(r) && (p4(r) || !tu_is_null(C("f"), r)); }
static int p9(uint64_t r) { return !tu_is_null(C("d"), r) && tu_int(C("d"), r) >= 100; }
static int p10(uint64_t r) { return !tu_is_null(C("i8"), r) && tu_int(C("i8"), r) != 3; }
/* literals outside int8: the range is cut to the type's values */
static int p11(uint64_t r) { return !tu_is_null(C("i8"), r); } /* i8 < 200, i8 >= -128 */
static int p12(uint64_t r) { (void)r; return 0; }                /* i8 > 200 */
static int p13(uint64_t r) { return !tu_is_null(C("i8"), r) && tu_int(C("i8"), r) == 127; }
static int p14(uint64_t r) { return !tu_is_null(C("i8"), r) && tu_int(C("i8"), r) < -127; }
/* dictionary strings under each operator: codes as a range, its complement,
 * or a lookup per code */
static int scmp(uint64_t r, const char *lit)
{
	char s[64];
	size_t n = tu_str(C("s"), r, s), l = strlen(lit);
	int c = memcmp(s, lit, n < l ? n : l);
	return c ? c : (n > l) - (n < l);
}
static int p15(uint64_t r) { return !tu_is_null(C("s"), r) && scmp(r, "value-4") != 0; }
static int p16(uint64_t r) { return !tu_is_null(C("s"), r) && scmp(r, "value-3") < 0; }
static int p17(uint64_t r) { return !tu_is_null(C("s"), r) && scmp(r, "value-3") >= 0; }
static int p18(uint64_t r) { return !tu_is_null(C("s"), r) && scmp(r, "") >= 0; }
/* in, between, not, like: from the generator's values, each by hand */
static int64_t iv(const char *c, uint64_t r) { return tu_int(C(c), r); }
static int nn(const char *c, uint64_t r) { return !tu_is_null(C(c), r); }
static int p19(uint64_t r) { return nn("i8", r) && (iv("i8", r) == 3 || iv("i8", r) == 10 || iv("i8", r) == 11); }
static int p20(uint64_t r) { return nn("i8", r) && iv("i8", r) != 3 && iv("i8", r) != 10; }
static int p21(uint64_t r) { return nn("s", r) && (scmp(r, "value-4") == 0 || scmp(r, "value-1") == 0); }
static int p22(uint64_t r) { return nn("s", r) && scmp(r, "value-4") != 0; }
static int p23(uint64_t r) { return nn("i64", r) && iv("i64", r) >= 5 && iv("i64", r) <= 20; }
static int p24(uint64_t r) { return nn("i64", r) && (iv("i64", r) < 5 || iv("i64", r) > 20); }
static int p25(uint64_t r) { return nn("f", r) && !(tu_dbl(C("f"), r) >= 0.1 && tu_dbl(C("f"), r) <= 0.5); }
static int p26(uint64_t r) { return nn("i8", r) && iv("i8", r) <= 10; }
static int p27(uint64_t r) { return p26(r) && nn("s", r); }
static int p28(uint64_t r) { return nn("f", r) && !(tu_dbl(C("f"), r) <= 0.25); }
static int p29(uint64_t r) { return nn("d", r) && iv("d", r) >= 4 && iv("d", r) <= 100; }
/* a string column's value in buf (NUL-terminated), 0 for null */
static int sv(const char *c, uint64_t r, char *buf)
{
	if (!nn(c, r))
		return 0;
	buf[tu_str(C(c), r, buf)] = '\0';
	return 1;
}
static int p30(uint64_t r) { char b[64]; return sv("s", r, b) && !strncmp(b, "value-", 6); }
static int p31(uint64_t r)
{
	char b[64];
	return sv("s", r, b) && strlen(b) && b[strlen(b) - 1] == '4';
}
static int p32(uint64_t r) /* 'v_lue-3%' */
{
	char b[64];
	return sv("p", r, b) && strlen(b) >= 7 && b[0] == 'v' && !strncmp(b + 2, "lue-3", 5);
}
static int p33(uint64_t r) { char b[64]; return sv("s", r, b) && !strcmp(b, "value-4"); }
static int p34(uint64_t r) { char b[64]; return sv("p", r, b) && !strchr(b, '3'); }
static int p35(uint64_t r) /* not ilike '%-1' */
{
	char b[64];
	size_t n;
	return sv("s", r, b) && !((n = strlen(b)) >= 2 && !strcmp(b + n - 2, "-1"));
}

static void check_all(uint32_t compression)
{
	const char *path;
	colstore_reader *r = open_table(compression, &path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	static const struct { const char *where; rowpred pred; } cases[] = {
		{ "i8 > 10", p1 },
		{ "i64 = 7", p2 },
		{ "f <= 0.25", p3 },
		{ "b = true", p4 },
		{ "s = 'value-4'", p5 },
		{ "p >= 'value-3'", p6 },
		{ "s is null", p7 },
		{ "i8 > 10 and (b = TRUE or f is not null)", p8 },
		{ "d >= '1970-04-11'", p9 },
		{ "i8 != 3", p10 },
		{ "i8 < 200", p11 },
		{ "i8 >= -128", p11 },
		{ "i8 != 300", p11 },
		{ "i8 != 2.5", p11 },
		{ "i8 > 200", p12 },
		{ "s > 'zzz'", p12 },
		{ "i8 >= 127", p13 },
		{ "i8 <= -128", p14 },
		{ "s != 'value-4'", p15 },
		{ "s < 'value-3'", p16 },
		{ "s >= 'value-3'", p17 },
		{ "s >= ''", p18 },
		{ "i8 in (3, 10, 11)", p19 },
		{ "i8 IN (3,10,11.0)", p19 },
		{ "i8 not in (3, 10)", p20 },
		{ "not i8 in (3, 10)", p20 },
		{ "s in ('value-4', 'value-1', 'nope')", p21 },
		{ "s not in ('value-4')", p22 },
		{ "i64 between 5 and 20", p23 },
		{ "i64 between 5 and 20 and i64 >= 5", p23 },
		{ "i64 not between 5 and 20", p24 },
		{ "not (i64 >= 5 and i64 <= 20)", p24 },
		{ "f not between 0.1 and 0.5", p25 },
		{ "not (i8 > 10)", p26 },
		{ "not not not i8 > 10", p26 },
		{ "not (i8 > 10 or s is null)", p27 },
		{ "not f <= 0.25", p28 },
		{ "d between '1970-01-05' and '1970-04-11'", p29 },
		{ "s like 'value-%'", p30 },
		{ "s like '%4'", p31 },
		{ "s like '%%4'", p31 },
		{ "p like 'v_lue-3%'", p32 },
		{ "s ilike 'VALUE-4'", p33 },
		{ "s ILIKE 'v%E-_' and s like '%4'", p33 },
		{ "p not like '%3%'", p34 },
		{ "s not ilike '%-1'", p35 },
		{ "not s ilike '%-1'", p35 },
	};
	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint64_t want = 0;
		for (uint64_t row = 0; row < ROWS; row++)
			want += (uint64_t)cases[k].pred(row);
		int rc;
		uint64_t got = lib_count(r, cases[k].where, &rc);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_EQUAL(got, want);
		if (got != want)
			fprintf(stderr, "\n  '%s': %llu matches, expected %llu\n", cases[k].where,
			        (unsigned long long)got, (unsigned long long)want);
		CU_ASSERT_TRUE(want > 0 || k == 1 || cases[k].pred == p12);
		CU_ASSERT_TRUE(want < ROWS);
	}
	colstore_reader_close(r);
	unlink(path);
}

static void test_eval(void) { check_all(0); }
static void test_eval_packed(void) { check_all(COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4); }

static void test_parse_errors(void)
{
	const char *path;
	colstore_reader *r = open_table(0, &path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	static const struct { const char *where; uint64_t col; const char *msg; } bad[] = {
		{ "nope = 1", 1, "no column named 'nope' (columns: i8, i64, f, b, s, p, d)" },
		{ "i8 = 'x'", 6, "column 'i8' is int8: compare it with a number, not ''x''" },
		{ "s = 5", 5, "column 's' is a string: compare it with a 'quoted' literal, not '5'" },
		{ "d > '2025-13-01'", 5, "column 'd' is date: compare it with an ISO date" },
		{ "i8 > 1 and", 11, "a function), found the end of the expression" },
		{ "(i8 > 1", 1, "unclosed parenthesis" },
		{ "i8 > 1 i64 = 2", 8, "unexpected 'i64' (expected 'and', 'or' or the end)" },
		{ "s = 'open", 5, "unterminated string literal starting here" },
		{ "i8 is 5", 7, "expected 'null' after 'is'" },
		{ "b = 1", 5, "column 'b' is bool: compare it with true or false, not '1'" },
		{ "", 1, "empty expression" },
		{ "i8 ~ 3", 4, "unexpected character '~'" },
		{ "s like 5", 8, "expected a 'quoted' pattern after 'like', not '5'" },
		{ "i8 ilike 'x'", 4, "'ilike' needs a string column: column 'i8' is int8" },
		{ "i8 in 3", 7, "expected '(' after 'in', found '3'" },
		{ "i8 in (3 4)", 10, "expected ',' or ')' in the list after 'in', found '4'" },
		{ "i8 in (3,", 10, "a function), found the end of the expression" },
		{ "i8 between 1 or 2", 14, "expected 'and' after the first value of 'between', found 'or'" },
		{ "i8 not = 3", 8, "expected 'in', 'between', 'like' or 'ilike' after 'not', found '='" },
		{ "not", 4, "a function), found the end of the expression" },
		{ "i8 = 1 and not or", 16, "a function), found 'or'" },
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
	colstore_reader_close(r);
	unlink(path);
}

static void test_zone_maps(void)
{
	/* ids 0..9999 in order, 100 rows a group: id < 250 touches 3 groups */
	const char *path = tu_path("zone.colstore");
	colstore_writer *w = tu_writer(path, 100, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "id", COLSTORE_TYPE_INT32, 0, NULL);
	colstore_writer_add_column(w, "tag", COLSTORE_TYPE_STRING, 0, NULL);
	for (int i = 0; i < 10000; i++) {
		char t[16];
		int n = snprintf(t, sizeof(t), "g%02d", i / 1000);
		colstore_writer_put_int(w, 0, i, NULL);
		colstore_writer_put_string(w, 1, t, (size_t)n, NULL);
		colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	static const struct { const char *where; unsigned groups; uint64_t rows; } z[] = {
		{ "id < 250", 3, 250 },
		{ "id >= 9950", 1, 50 },
		{ "id = 5000", 1, 1 },
		{ "tag = 'g03'", 10, 1000 },
		{ "tag > 'g08'", 10, 1000 },
		{ "id < 100 or id >= 9900", 2, 200 },
		{ "id < 100 and tag = 'g09'", 0, 0 },
		{ "id is null", 0, 0 },
		{ "id != -1", 100, 10000 },
		{ "id between 150 and 349", 3, 200 },
		{ "id in (5, 9999)", 2, 2 },
		{ "not (id >= 100)", 1, 100 },
		{ "id not between 100 and 9899", 2, 200 },
		{ "tag in ('g01', 'g02')", 20, 2000 },
		{ "tag like 'g0%'", 100, 10000 },
		{ "tag not like 'g0%'", 100, 0 },
		/* a prefix, and integer expressions of the statistics' range */
		{ "tag like 'g03%'", 10, 1000 },
		{ "tag like 'g1%'", 0, 0 },
		{ "bucket(id, 1000) = 2000", 10, 1000 },
		{ "id * 2 < 500", 3, 250 },
		{ "id + 1 > 9950", 1, 50 },
		{ "abs(id - 5000) < 10", 2, 19 },
		{ "-id > -100", 1, 100 },
		{ "id * 2 between 300 and 500", 2, 101 },
	};
	for (unsigned k = 0; k < sizeof(z) / sizeof(z[0]); k++) {
		colstore_filter *f;
		CU_ASSERT_EQUAL_FATAL(colstore_filter_parse(r, z[k].where, &f, NULL), COLSTORE_OK);
		unsigned may = 0;
		for (uint32_t g = 0; g < 100; g++)
			may += (unsigned)colstore_filter_may_match(f, g);
		CU_ASSERT_EQUAL(may, z[k].groups);
		if (may != z[k].groups)
			fprintf(stderr, "\n  '%s': %u groups may match, expected %u\n", z[k].where, may, z[k].groups);
		colstore_filter_free(f);
		int rc;
		CU_ASSERT_EQUAL(lib_count(r, z[k].where, &rc), z[k].rows);
	}
	colstore_reader_close(r);
	unlink(path);
}

/* not of a float comparison: true where the comparison is false on a
 * value, NaN included (IEEE: NaN compares false, but for !=), never on a
 * null; and zone maps keep a row group whose only match is NaN */
static void test_not_nan(void)
{
	const char *path = tu_path("not-nan.colstore");
	colstore_writer *w = tu_writer(path, 2, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "f", COLSTORE_TYPE_FLOAT64, 0, NULL);
	const double v[] = { 1.0, NAN, 0, 3.0, NAN, 1.0 }; /* row 2: null */
	for (int i = 0; i < 6; i++) {
		if (i == 2)
			colstore_writer_put_null(w, 0, NULL);
		else
			colstore_writer_put_double(w, 0, v[i], NULL);
		CU_ASSERT_EQUAL_FATAL(colstore_writer_end_row(w, NULL), COLSTORE_OK);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	static const struct { const char *where; uint64_t rows; } c[] = {
		{ "f < 2", 2 },             /* 1, 1 */
		{ "not f < 2", 3 },         /* NaN, 3, NaN */
		{ "f >= 2", 1 },            /* 3 */
		{ "not (f >= 2)", 4 },      /* 1, NaN, NaN, 1 */
		{ "f not between 0 and 2", 3 },
		{ "f not in (1)", 3 },      /* NaN != 1 */
		{ "f in (1, 3)", 3 },
		{ "not f is null", 5 },
		{ "not (f < 2 or f > 2)", 2 },
	};
	for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		int rc;
		uint64_t got = lib_count(r, c[k].where, &rc);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_EQUAL(got, c[k].rows);
		if (got != c[k].rows)
			fprintf(stderr, "\n  '%s': %llu rows, expected %llu\n", c[k].where,
			        (unsigned long long)got, (unsigned long long)c[k].rows);
	}
	colstore_reader_close(r);
	unlink(path);
}

/* A dictionary that grows through the file: early row groups store 1-byte
 * codes, later ones 2 and then 4 bytes.  A code range compiled from the
 * whole dictionary (codes 299..299 for 'k300') must not be cut to a
 * narrow chunk's width (it matched code 43 = 299 - 256).  Each value comes
 * 4 times in a row; sorted puts the dictionary in order (ranges of codes),
 * unsorted scatters it (a table of codes). */
#define GROW_KEYS 66000u
static unsigned grow_key(unsigned i, int sorted)
{
	unsigned k = i / 4;
	return sorted ? k : (unsigned)(((uint64_t)k * 40499u) % GROW_KEYS);
}
static int grow_cmp_op(const char *op, int c)
{
	if (!strcmp(op, "="))
		return c == 0;
	if (!strcmp(op, "!="))
		return c != 0;
	if (!strcmp(op, "<"))
		return c < 0;
	if (!strcmp(op, "<="))
		return c <= 0;
	if (!strcmp(op, ">"))
		return c > 0;
	return c >= 0;
}

static void test_growing_dictionary(void)
{
	static const char *ops[] = { "=", "!=", "<", "<=", ">", ">=" };
	static const char *lits[] = { "k000044", "k000255", "k000256", "k000299", "k000300",
	                              "k065535", "k065536", "k065600", "k065999", "k0003",
	                              "a", "z", "k000299x" };
	const unsigned rows = 4 * GROW_KEYS;
	for (int sorted = 0; sorted <= 1; sorted++) {
		const char *path = tu_path("grow.colstore");
		colstore_writer *w = tu_writer(path, 400, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		colstore_writer_add_column(w, "name", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
		for (unsigned i = 0; i < rows; i++) {
			char t[16];
			int n = snprintf(t, sizeof(t), "k%06u", grow_key(i, sorted));
			colstore_writer_put_string(w, 0, t, (size_t)n, NULL);
			colstore_writer_end_row(w, NULL);
		}
		CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
		colstore_reader *r;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
		/* the file has chunks of every code width */
		unsigned widths = 0;
		for (uint32_t g = 0; g < colstore_reader_num_row_groups(r); g++) {
			colstore_chunk_info ci;
			CU_ASSERT_EQUAL_FATAL(colstore_reader_chunk_info(r, g, 0, &ci, NULL), COLSTORE_OK);
			widths |= ci.code_width;
		}
		CU_ASSERT_EQUAL(widths, 1u | 2u | 4u);
		for (unsigned l = 0; l < sizeof(lits) / sizeof(lits[0]); l++)
			for (unsigned k = 0; k < 6; k++) {
				uint64_t want = 0;
				for (unsigned i = 0; i < rows; i++) {
					char t[16];
					snprintf(t, sizeof(t), "k%06u", grow_key(i, sorted));
					want += (uint64_t)grow_cmp_op(ops[k], strcmp(t, lits[l]));
				}
				char where[64];
				snprintf(where, sizeof(where), "name %s '%s'", ops[k], lits[l]);
				int rc;
				uint64_t got = lib_count(r, where, &rc);
				CU_ASSERT_EQUAL(rc, COLSTORE_OK);
				CU_ASSERT_EQUAL(got, want);
				if (got != want)
					fprintf(stderr, "\n  %s, %s: filter counts %llu, want %llu\n",
					        sorted ? "sorted" : "unsorted", where,
					        (unsigned long long)got, (unsigned long long)want);
				char *cell = tu_agg_text(r, "count(*)", NULL, where, 2, 0, NULL, NULL);
				char wtext[32];
				snprintf(wtext, sizeof(wtext), "0:%llu:", (unsigned long long)want);
				CU_ASSERT_PTR_NOT_NULL(cell);
				if (cell && !tu_starts_with(cell, wtext)) {
					CU_FAIL("agg count(*) differs");
					fprintf(stderr, "\n  %s: agg gives %s, want %s\n", where, cell, wtext);
				}
				free(cell);
			}
		colstore_reader_close(r);
		unlink(path);
	}
}

/* long and/or chains and deep nesting over a row group larger than the
 * filter's batch (65536 rows): counts equal the rows' own */
static void test_long_chains(void)
{
	const char *path = tu_path("chain.colstore");
	colstore_writer *w = tu_writer(path, 150001, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "x", COLSTORE_TYPE_INT32, 0, NULL);
	colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	for (int i = 0; i < 150001; i++) {
		char t[16];
		int n = snprintf(t, sizeof(t), "v%d", i % 300);
		colstore_writer_put_int(w, 0, i % 1000, NULL);
		colstore_writer_put_string(w, 1, t, (size_t)n, NULL);
		colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	size_t cap = 64 * 1024;
	char *q = malloc(cap);
	for (int form = 0; form < 4; form++) {
		size_t len = 0;
		q[0] = 0;
		for (int k = 0; k < 500; k++) {
			const char *join = k == 0 ? "" : form == 1 || form == 3 ? " or " : " and ";
			if (form < 2)
				len += (size_t)snprintf(q + len, cap - len, "%sx %s %d", join, form ? "=" : "!=", k);
			else
				len += (size_t)snprintf(q + len, cap - len, "%ss %s 'v%d'", join, form == 3 ? "=" : "!=", k % 300);
		}
		uint64_t want = 0;
		for (int i = 0; i < 150001; i++) {
			int x = i % 1000, sv = i % 300;
			want += form == 0 ? x >= 500 : form == 1 ? x < 500 : form == 2 ? 0 : sv < 300;
		}
		int rc;
		uint64_t got = lib_count(r, q, &rc);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_EQUAL(got, want);
		if (got != want)
			fprintf(stderr, "\n  form %d: %llu, want %llu\n", form, (unsigned long long)got,
			        (unsigned long long)want);
	}
	/* 150 levels of parentheses, alternating and/or */
	size_t len = 0;
	for (int k = 0; k < 150; k++)
		len += (size_t)snprintf(q + len, cap - len, "(x != %d %s ", k, k % 2 ? "or" : "and");
	len += (size_t)snprintf(q + len, cap - len, "x >= 0");
	for (int k = 0; k < 150; k++)
		len += (size_t)snprintf(q + len, cap - len, ")");
	int rc;
	uint64_t want = 0;
	for (int i = 0; i < 150001; i++) {
		int x = i % 1000, v = 1;
		for (int k = 149; k >= 0; k--)
			v = k % 2 ? (x != k || v) : (x != k && v);
		want += (uint64_t)v;
	}
	CU_ASSERT_EQUAL(lib_count(r, q, &rc), want);
	free(q);
	colstore_reader_close(r);
	unlink(path);
}

void register_filter_tests(void)
{
	CU_pSuite s = CU_add_suite("filter", NULL, NULL);
	CU_add_test(s, "every predicate form equals a row-by-row count", test_eval);
	CU_add_test(s, "the same on packed and LZ4 blocks", test_eval_packed);
	CU_add_test(s, "parse errors name the token or column, with position", test_parse_errors);
	CU_add_test(s, "zone maps skip row groups", test_zone_maps);
	CU_add_test(s, "not of float comparisons: NaN matches, null never", test_not_nan);
	CU_add_test(s, "a dictionary outgrowing 1- and 2-byte codes", test_growing_dictionary);
	CU_add_test(s, "500-term and/or chains, 150 nested levels, past one batch", test_long_chains);
}
