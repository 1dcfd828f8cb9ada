/*
 * test_import.c -- CSV import: every parsing and inference rule, checked on
 * the exact cell values read back from the file; errors with line and field
 * and nothing left behind.
 */
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "import.h" /* (internal.h, and cs_stream) */
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include "testutil.h"

static int nwarnings;
static char lastwarning[512];
static char allwarnings[4096]; /* every warning, one a line */

static void count_warning(void *ctx, const char *msg)
{
	(void)ctx;
	nwarnings++;
	snprintf(lastwarning, sizeof(lastwarning), "%s", msg);
	size_t l = strlen(allwarnings);
	snprintf(allwarnings + l, sizeof(allwarnings) - l, "%s\n", msg);
}

/* when not 0: the file size limit of the import itself (test_units_rowwise) */
static rlim_t imp_fsize;

/* import csv text; return the library dump (NULL on failure, *rc set) */
static colstore_import_result last_res; /* of the last import that succeeded */
static char *last_rejects;             /* and its rejects file, when asked for */

static char *imp(const char *csv, size_t len, colstore_import_options *o, int *rc,
                 colstore_error *e)
{
	colstore_import_options def = COLSTORE_IMPORT_OPTIONS_INIT;
	if (!o)
		o = &def;
	o->on_warning = count_warning;
	nwarnings = 0;
	allwarnings[0] = '\0';
	const char *in = tu_path("in.csv"), *out = tu_path("out.colstore");
	tu_write_file(in, csv, len);
	unlink(out);
	colstore_import_result res;
	struct rlimit was, lim;
	if (imp_fsize) {
		CU_ASSERT_EQUAL(getrlimit(RLIMIT_FSIZE, &was), 0);
		lim = was;
		if (was.rlim_max == RLIM_INFINITY || imp_fsize < was.rlim_max)
			lim.rlim_cur = imp_fsize;
		CU_ASSERT_EQUAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	}
	*rc = colstore_import_csv(in, out, o, &res, e);
	if (imp_fsize)
		CU_ASSERT_EQUAL(setrlimit(RLIMIT_FSIZE, &was), 0);
	char *d = NULL;
	free(last_rejects);
	last_rejects = NULL;
	if (o->rejects_path && *rc == COLSTORE_OK) {
		size_t n;
		unsigned char *t = tu_read_file(o->rejects_path, &n);
		CU_ASSERT_PTR_NOT_NULL(t);
		if (t) {
			last_rejects = malloc(n + 1);
			memcpy(last_rejects, t, n);
			last_rejects[n] = '\0';
			free(t);
		}
		unlink(o->rejects_path);
	}
	if (*rc == COLSTORE_OK) {
		last_res = res;
		int r2;
		d = tu_lib_dump_file(out, &r2, e);
		colstore_reader *r;
		if (colstore_reader_open(out, NULL, &r, NULL) == COLSTORE_OK) {
			CU_ASSERT_EQUAL(colstore_reader_verify(r, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL(colstore_reader_num_rows(r), res.rows);
			colstore_reader_close(r);
		}
	} else {
		/* R: nothing is left behind on failure */
		CU_ASSERT_EQUAL(access(out, F_OK), -1);
		CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), 1); /* just in.csv */
	}
	unlink(in);
	unlink(out);
	return d;
}

/* does d hold every line of want, as whole lines, in order? */
static int has_lines(const char *d, const char *want)
{
	const char *line = d; /* the start of the next line of d to look at */
	while (*want) {
		const char *nl = strchr(want, '\n');
		size_t n = nl ? (size_t)(nl - want) + 1 : strlen(want);
		while (*line && strncmp(line, want, n) != 0) {
			const char *next = strchr(line, '\n');
			line = next ? next + 1 : line + strlen(line);
		}
		if (!*line)
			return 0;
		line += n;
		want += n;
	}
	return 1;
}

/* the dump must contain every line of want (in order) */
static void expect(const char *csv, colstore_import_options *o, const char *want)
{
	int rc;
	colstore_error e;
	char *d = imp(csv, strlen(csv), o, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	if (rc)
		fprintf(stderr, "\n  import failed: %s (line %llu)\n", e.message,
		        (unsigned long long)e.line);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	int ok = has_lines(d, want);
	CU_ASSERT_TRUE(ok);
	if (!ok)
		fprintf(stderr, "\n  wanted:\n%s  got:\n%s", want, d);
	free(d);
}

/* a table of no rows, with the columns of want */
static void expect_empty(const char *csv, size_t len, const char *want)
{
	int rc;
	colstore_error e;
	char *d = imp(csv, len, NULL, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_TRUE(strncmp(d, "rows 0 columns ", 15) == 0);
	CU_ASSERT_TRUE(has_lines(d, want));
	CU_ASSERT_PTR_NULL(strstr(d, "\nr0 "));
	free(d);
}

/* an import that failed (d, rc, e) failed as wanted */
static void failed_as(char *d, int rc, const colstore_error *e, int code, uint64_t line,
                      uint64_t col, const char *msg)
{
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(rc, code);
	CU_ASSERT_EQUAL(e->line, line);
	CU_ASSERT_EQUAL(e->column, col);
	CU_ASSERT_PTR_NOT_NULL(strstr(e->message, msg));
	if (rc != code || e->line != line || e->column != col || !strstr(e->message, msg))
		fprintf(stderr, "\n  got %d %llu:%llu '%s'\n", rc, (unsigned long long)e->line,
		        (unsigned long long)e->column, e->message);
	free(d);
}

static void expect_error(const char *csv, size_t len, colstore_import_options *o, int code,
                         uint64_t line, uint64_t col, const char *msg)
{
	int rc;
	colstore_error e;
	memset(&e, 0, sizeof(e));
	char *d = imp(csv, len, o, &rc, &e);
	failed_as(d, rc, &e, code, line, col, msg);
}

static void test_infer_types(void)
{
	expect("a,b,c,d,e,f,g,h,i\n"
	       "1,300,70000,5000000000,1.5,true,2024-02-29,2024-02-29T10:11:12,x\n"
	       "-128,-300,-70000,1,2,FALSE,1970-01-01,1970-01-01 00:00:00.5,y\n",
	       NULL,
	       "column 0 a int8\ncolumn 1 b int16\ncolumn 2 c int32\ncolumn 3 d int64\n"
	       "column 4 e float64\ncolumn 5 f bool\ncolumn 6 g date\ncolumn 7 h timestamp\n"
	       "column 8 i string\n"
	       "r0 c0 1\nr0 c1 300\nr0 c2 70000\nr0 c3 5000000000\nr0 c4 1.5\nr0 c5 true\n"
	       "r0 c6 19782\nr0 c7 1709201472000000\nr0 c8 \"x\"\n"
	       "r1 c0 -128\nr1 c1 -300\nr1 c2 -70000\nr1 c3 1\nr1 c4 2\nr1 c5 false\n"
	       "r1 c6 0\nr1 c7 500000\nr1 c8 \"y\"\n");
}

/* cs_parse_double's fast path for short decimals against the full parser:
 * the same verdict on every string of up to 18 bytes over digits, '-',
 * '.', 'e' and '0'-heavy mixes, and the same bits of the same double */
static void test_parse_double_paths(void)
{
	static const char alpha[] = "0123456789000-..e5";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char buf[20];
	int bad = 0, accepted = 0;
	for (int rep = 0; rep < 400000; rep++) {
		tu_next(&x);
		size_t n = 1 + x % 18;
		for (size_t i = 0; i < n; i++)
			buf[i] = alpha[(x >> (6 + 3 * (i % 19))) % (sizeof(alpha) - 1) ^ (i % 3 == 1)];
		if (rep % 3 == 0) { /* mostly digits, a dot and a sign: the fast path's own */
			for (size_t i = 0; i < n; i++)
				buf[i] = (char)('0' + (x >> (i * 3)) % 10);
			if (n > 2)
				buf[(x >> 60) % n] = '.';
			if (rep % 2)
				buf[0] = '-';
		}
		double a = 0, b = 0;
		int ra = cs_parse_double(buf, n, &a), rb = cs_parse_double_full(buf, n, &b);
		bad += ra != rb || (ra && memcmp(&a, &b, sizeof(a)) != 0);
		bad += ra != cs_parse_double(buf, n, NULL);
		accepted += ra;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(accepted > 100000);
}

static void test_infer_rules(void)
{
	/* leading zeros keep a string; beyond int64 is never wrapped (string);
	 * ints and floats mix to float64; numbers and text mix to string;
	 * -0 is not an int (its text would not come back) but is a float;
	 * 16 or 17 significant digits are a float64 when they are the shortest
	 * text of a double (what shortest-round-trip printers write), else
	 * they hold more than a float64 keeps: string */
	expect("zip,big,mix,text,negz,digits,toolong\n"
	       "00123,9223372036854775807,1,1,-0,1.234567890123456,0.30000000000000003\n"
	       "4567,9223372036854775808,2.5,abc,1,-0.30000000000000004,1.5\n",
	       NULL,
	       "column 0 zip string\ncolumn 1 big string\ncolumn 2 mix float64\n"
	       "column 3 text string\ncolumn 4 negz float64\ncolumn 5 digits float64\n"
	       "column 6 toolong string\n"
	       "r0 c0 \"00123\"\nr0 c1 \"9223372036854775807\"\nr0 c2 1\nr0 c3 \"1\"\n"
	       "r0 c4 -0\nr0 c5 1.234567890123456\nr0 c6 \"0.30000000000000003\"\n"
	       "r1 c0 \"4567\"\nr1 c1 \"9223372036854775808\"\nr1 c2 2.5\nr1 c3 \"abc\"\n"
	       "r1 c4 1\nr1 c5 -0.30000000000000004\nr1 c6 \"1.5\"\n");
	/* int64 extremes stay int64 */
	expect("v\n9223372036854775807\n-9223372036854775808\n", NULL,
	       "column 0 v int64\nr0 c0 9223372036854775807\nr1 c0 -9223372036854775808\n");
	/* dates and timestamps mix to timestamp (a date is midnight UTC) */
	expect("t\n2024-01-01\n2024-01-01T00:00:01Z\n", NULL,
	       "column 0 t timestamp\nr0 c0 1704067200000000\nr1 c0 1704067201000000\n");
	/* time zone offsets are turned into UTC */
	expect("t\n2024-01-01T02:00:00+02:00\n2024-01-01T00:00:00-0130\n", NULL,
	       "r0 c0 1704067200000000\nr1 c0 1704072600000000\n");
	/* not a date: Feb 30, or a 7-digit fraction: string */
	expect("d,t\n2023-02-29,2024-01-01T00:00:00.1234567\n", NULL,
	       "column 0 d string\ncolumn 1 t string\n");
	/* a decimal comes back exactly (0.1 is the float64 nearest to 0.1) */
	expect("p\n0.1\n1e3\n-2.5E-3\n", NULL, "r0 c0 0.10000000000000001\nr1 c0 1000\nr2 c0 -0.0025000000000000001\n");
	/* a column of nulls only is a string column */
	expect("a,b\n1,\n2,\n", NULL, "column 0 a int8\ncolumn 1 b string\nr0 c0 1\nr0 c1 null\n");
}

static void test_widening_late(void)
{
	/* the type is decided over every row: a float on the last of 200 rows
	 * makes the whole column float64, in every row group */
	char csv[4096] = "n,s\n";
	for (int i = 0; i < 199; i++)
		snprintf(csv + strlen(csv), sizeof(csv) - strlen(csv), "%d,%d\n", i, i);
	strcat(csv, "0.5,x\n");
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.writer.row_group_size = 16;
	expect(csv, &o, "column 0 n float64\ncolumn 1 s string\nr0 c0 0\nr0 c1 \"0\"\n");
	expect(csv, &o, "r198 c0 198\nr198 c1 \"198\"\nr199 c0 0.5\nr199 c1 \"x\"\n");
}

static void test_nulls(void)
{
	/* empty unquoted = null; "" = empty string */
	expect("a,b\n1,\"\"\n,x\n", NULL,
	       "column 0 a int8\ncolumn 1 b string\nr0 c0 1\nr0 c1 \"\"\nr1 c0 null\nr1 c1 \"x\"\n");
	/* --null NA: NA is null too, but a quoted "NA" is text */
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.null_marker = "NA";
	expect("a,b\nNA,\"NA\"\n5,\n", &o,
	       "column 0 a int8\ncolumn 1 b string\nr0 c0 null\nr0 c1 \"NA\"\nr1 c0 5\nr1 c1 null\n");
	/* more markers beside it (repeated --null) */
	static const char *const more[] = { "-", "n/a" };
	o.null_markers = more;
	o.n_null_markers = 2;
	expect("a,b\nNA,-\n-,n/a\nn/a,x\n5,NA\n", &o,
	       "column 0 a int8\ncolumn 1 b string\nr0 c0 null\nr0 c1 null\nr1 c0 null\n"
	       "r1 c1 null\nr2 c0 null\nr2 c1 \"x\"\nr3 c0 5\nr3 c1 null\n");
	/* at most COLSTORE_MAX_NULL_MARKERS in all */
	static const char *const many[COLSTORE_MAX_NULL_MARKERS] = { "a", "b", "c", "d", "e", "f", "g", "h",
	                                                             "i", "j", "k", "l", "m", "n", "o", "p" };
	o.null_markers = many;
	o.n_null_markers = COLSTORE_MAX_NULL_MARKERS; /* with null_marker: one too many */
	int rc;
	colstore_error e;
	char *d = imp("a\n1\n", 4, &o, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "at most 16 null markers"));
	free(d);
}

static void test_quoting(void)
{
	/* embedded delimiter, doubled quotes, newline, CRLF inside and out */
	expect("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"line1\nline2\",\"cr\r\nlf\"\n", NULL,
	       "r0 c0 \"x, y\"\nr0 c1 \"say \\\"hi\\\"\"\nr1 c0 \"line1\\nline2\"\nr1 c1 \"cr\\x0d\\nlf\"\n");
	/* a mix of line endings, a BOM, blank lines, no final newline */
	expect("\xef\xbb\xbfk,v\r\n1,a\n\n2,b\r3,c", NULL,
	       "column 0 k int8\ncolumn 1 v string\nr0 c0 1\nr0 c1 \"a\"\nr1 c0 2\nr1 c1 \"b\"\n"
	       "r2 c0 3\nr2 c1 \"c\"\n");
	/* quoted numbers are numbers */
	expect("n\n\"12\"\n\"-3\"\n", NULL, "column 0 n int8\nr0 c0 12\nr1 c0 -3\n");
	/* bytes that are not UTF-8 are kept verbatim */
	expect("s\n\xff\xfe\n", NULL, "r0 c0 \"\\xff\\xfe\"\n");
}

static void test_delimiters(void)
{
	expect("a;b\n1;x,y\n2;z\n", NULL, "column 0 a int8\ncolumn 1 b string\nr0 c1 \"x,y\"\n");
	expect("a\tb\n1\tx\n", NULL, "column 1 b string\nr0 c1 \"x\"\n");
	expect("a|b|c\n1|2|3\n", NULL, "column 2 c int8\nr0 c2 3\n");
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.delimiter = ';';
	expect("a,b;c\n1,2;3\n", &o, "column 0 a,b string\ncolumn 1 c int8\nr0 c0 \"1,2\"\n");
}

static void test_header(void)
{
	/* a numeric first row is data */
	expect("1,2\n3,4\n", NULL,
	       "column 0 column_1 int8\ncolumn 1 column_2 int8\nr0 c0 1\nr0 c1 2\nr1 c0 3\n");
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.header = COLSTORE_HEADER_NO;
	expect("a,b\nc,d\n", &o, "column 0 column_1 string\nr0 c0 \"a\"\nr1 c1 \"d\"\n");
	o.header = COLSTORE_HEADER_YES;
	expect("1,2\n3,4\n", &o, "column 0 1 int8\ncolumn 1 2 int8\nr0 c0 3\n");
	/* empty and repeated names are fixed, with a warning each */
	expect("x,,x,x_2,x\n1,2,3,4,5\n", NULL,
	       "column 0 x int8\ncolumn 1 column_2 int8\ncolumn 2 x_2 int8\ncolumn 3 x_2_2 int8\n"
	       "column 4 x_3 int8\n");
	CU_ASSERT_EQUAL(nwarnings, 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(lastwarning, "column 5 repeats the name 'x'; calling it 'x_3'"));
	/* header only: zero rows */
	expect("a,b\n", NULL, "rows 0 columns 2 row_groups 0");
	/* a header judged absent is said so, naming the field */
	expect("x,2024-01-05,z\ny,2024-01-06,w\n", NULL, "column 0 column_1 string\ncolumn 1 column_2 date\n");
	CU_ASSERT_EQUAL(nwarnings, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(lastwarning, ":1: no header row: field 2 ('2024-01-05') is a "
	                                           "number or a date"));
}

/* csv (freed here) imported at 1 .. threads threads gives the one warning want */
static void one_warning(tu_buf *csv, uint32_t threads, const char *want)
{
	for (uint32_t t = 1; t <= threads; t++) {
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = t;
		int rc;
		colstore_error e;
		free(imp(csv->p, csv->len, &o, &rc, &e));
		CU_ASSERT_EQUAL(nwarnings, 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(lastwarning, want));
		if (nwarnings != 1 || !strstr(lastwarning, want))
			fprintf(stderr, "\n  %u threads: %d warnings, the last: %s\n", t, nwarnings, lastwarning);
	}
	free(csv->p);
}

/* A column that had typed values and became a string names the line and
 * value that did it (with a hint for null markers and long decimals); a
 * row that repeats the header is named; the same at every thread count,
 * whichever part of a parallel pass 1 the value falls in. */
static void test_explain(void)
{
	enum { ROWS = 20000 };
	const unsigned r_na = 17, r_dig = 9000, r_soon = 13001, r_date = 10007, r_hdr = 15000;
	tu_buf b = { 0 };
	tu_printf(&b, "n,f,d,id,t,ok\n");
	for (unsigned i = 0; i < ROWS; i++) {
		if (i == r_hdr) {
			tu_printf(&b, "n,f,d,id,t,ok\n");
			continue;
		}
		tu_printf(&b, "%s,%s,%s,", i == r_na ? "NA" : "12", i == r_dig ? "0.30000000000000003" : "2.5",
		          i == r_soon ? "soon" : "2024-02-29");
		if (i >= r_date)
			tu_printf(&b, "2024-01-%02u,abc,true\n", 1 + i % 28);
		else
			tu_printf(&b, "%u,abc,false\n", i);
	}
	char want[1024];
	snprintf(want, sizeof(want),
	         "in.csv:%u: this row repeats the header row (files joined with cat?); it is read as data\n"
	         "in.csv:%u: column 'n' is a string from this value on: 'NA' (--null to read it as null)\n"
	         "in.csv:%u: column 'f' is a string from this value on: '0.30000000000000003' (more "
	         "digits than a float64 keeps; --schema NAME:float64 rounds it)\n"
	         "in.csv:%u: column 'd' is a string from this value on: 'soon'\n"
	         "in.csv:%u: column 'id' is a string from this value on: '2024-01-%02u'\n"
	         "in.csv:%u: column 'ok' is a string from this value on: 'ok'\n",
	         r_hdr + 2, r_na + 2, r_dig + 2, r_soon + 2, r_date + 2, 1 + r_date % 28, r_hdr + 2);
	for (uint32_t t = 1; t <= 4; t++) {
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = t;
		int rc;
		colstore_error e;
		char *d = imp(b.p, b.len, &o, &rc, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		/* each warning starts with the input's path */
		char got[4096] = "";
		for (const char *w = allwarnings; *w;) {
			const char *nl = strchr(w, '\n'), *name = strstr(w, "in.csv:");
			if (name && name < nl)
				w = name;
			size_t l = strlen(got);
			snprintf(got + l, sizeof(got) - l, "%.*s", (int)(nl - w + 1), w);
			w = nl + 1;
		}
		CU_ASSERT_STRING_EQUAL(got, want);
		if (strcmp(got, want))
			fprintf(stderr, "\n  %u threads:\n%s  want:\n%s", t, got, want);
		free(d);
	}
	free(b.p);
	/* rows of one length: two threads cut the input just before row 1001,
	 * where the dates start: the second part's first value did it */
	tu_buf c = { 0 };
	tu_printf(&c, "v\n");
	for (unsigned i = 0; i < 2000; i++)
		if (i < 1001)
			tu_printf(&c, "%u\n", 1000000000u + i);
		else
			tu_printf(&c, "2024-01-%02u\n", 1 + i % 28);
	one_warning(&c, 2, "in.csv:1003: column 'v' is a string from this value on: '2024-01-22'");
	/* a first part that rules out all but int (an integer no float64 holds),
	 * a later part of small ints then one decimal: the decimal is named at
	 * every thread count, as one pass in order names it */
	tu_buf d = { 0 };
	tu_printf(&d, "v\n1234567890123456789\n");
	for (unsigned i = 0; i < 50000; i++)
		tu_printf(&d, "1\n");
	tu_printf(&d, "1.5\n");
	one_warning(&d, 4, "in.csv:50003: column 'v' is a string from this value on: '1.5'");
}

static void test_schema(void)
{
	static const char *const names[] = { "id", "code", "f" };
	static const colstore_type types[] = { COLSTORE_TYPE_INT64, COLSTORE_TYPE_STRING,
		                               COLSTORE_TYPE_FLOAT32 };
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.n_schema = 3;
	o.schema_names = names;
	o.schema_types = types;
	expect("id,code,f,other\n1,007,0.5,2\n", &o,
	       "column 0 id int64\ncolumn 1 code string\ncolumn 2 f float32\ncolumn 3 other int8\n"
	       "r0 c0 1\nr0 c1 \"007\"\nr0 c2 0.5\nr0 c3 2\n");
	/* a value that does not fit the schema's type */
	static const colstore_type narrow[] = { COLSTORE_TYPE_INT8 };
	o.n_schema = 1;
	o.schema_types = narrow;
	const char *bad = "id\n1\n300\n";
	expect_error(bad, strlen(bad), &o, COLSTORE_EPARSE, 3, 1, "'300' is not a valid int8 (column 'id')");
	static const char *const nope[] = { "nope" };
	o.schema_names = nope;
	expect_error(bad, strlen(bad), &o, COLSTORE_EINVAL, 0, 0, "names column 'nope'");
	/* --no-infer: strings */
	colstore_import_options s = COLSTORE_IMPORT_OPTIONS_INIT;
	s.no_infer = 1;
	expect("a,b\n1,true\n", &s, "column 0 a string\ncolumn 1 b string\nr0 c0 \"1\"\nr0 c1 \"true\"\n");
}

static void test_errors(void)
{
	const char *t;
	t = "a,b\n1,\"open\n2,3\n";
	expect_error(t, strlen(t), NULL, COLSTORE_EPARSE, 2, 2, "unterminated quoted field");
	t = "a,b\n1,x\"y\n";
	expect_error(t, strlen(t), NULL, COLSTORE_EPARSE, 2, 2, "quote inside an unquoted field");
	t = "a,b\n1,\"x\"y\n";
	expect_error(t, strlen(t), NULL, COLSTORE_EPARSE, 2, 2, "unexpected character after a closing quote");
	t = "a,b\n1,2\n3,4,5\n";
	expect_error(t, strlen(t), NULL, COLSTORE_EPARSE, 3, 3, "row has 3 fields, expected 2");
	t = "a,b,c\n1,2,3\n\"multi\nline\",5\n";
	expect_error(t, strlen(t), NULL, COLSTORE_EPARSE, 3, 2,
	             "row has 2 fields, expected 3 (--ragged pad fills missing fields with nulls)");
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.ragged_pad = 1;
	expect("a,b,c\n1,2,3\n4\n", &o, "r1 c0 4\nr1 c1 null\nr1 c2 null\n");
	expect_error("a,b\n1,x\0y\n", 10, NULL, COLSTORE_EPARSE, 2, 2, "NUL byte");
	/* an empty input is an empty table: one string column, no rows; a
	 * header alone gives its columns */
	expect_empty("", 0, "column 0 column_1 string\n");
	expect_empty("\xef\xbb\xbf\r\n\n", 6, "column 0 column_1 string\n");
	expect_empty("a,b\n", 4, "column 0 a string\ncolumn 1 b string\n");
	/* line numbers count the newlines inside quoted fields */
	t = "a\n\"1\n2\n3\"\n\"4\"x\n";
	expect_error(t, strlen(t), NULL, COLSTORE_EPARSE, 5, 1, "after a closing quote");
	/* a missing input file */
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_import_csv(tu_path("none.csv"), tu_path("o.colstore"), NULL, NULL, &e),
	                COLSTORE_ENOTFOUND);
}

/* the same file for any thread count, also when a parallel pass 1 cuts
 * the input inside a quoted field that holds line breaks */
/* the dump holds exactly these rows (want: every "rN ..." line, in order) */
static void expect_rows(const char *csv, colstore_import_options *o, const char *want)
{
	int rc;
	colstore_error e;
	char *d = imp(csv, strlen(csv), o, &rc, &e);
	CU_ASSERT_EQUAL_FATAL(rc, COLSTORE_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	/* the row lines of d, concatenated */
	size_t n = 0;
	char *rows = calloc(strlen(d) + 1, 1);
	for (const char *l = d; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (l[0] == 'r' && l[1] >= '0' && l[1] <= '9') {
			memcpy(rows + n, l, len);
			n += len;
		}
		l += len;
	}
	int ok = strcmp(rows, want) == 0;
	CU_ASSERT_TRUE(ok);
	if (!ok)
		fprintf(stderr, "\n  wanted:\n%s  got:\n%s", want, rows);
	free(rows);
	free(d);
}

static const char messy[] = "id,name,qty\n"
                            "1,apple,3\n"
                            "2,\"BH-9827,4\n"      /* a stray quote: literal */
                            "3,pear,5,\n"          /* an empty trailing field: trimmed */
                            "4,plum\n"             /* short: padded */
                            "5,a,b,c\n"            /* an extra field: rejected */
                            "6,\"x\"y,7\n"         /* text after a closing quote: literal */
                            "\"7,kiwi,8\"\n"       /* quoted differently: rejected */
                            "8,f\"ig,9\n";          /* a quote inside: literal */

static void test_lenient(void)
{
	/* strict mode stops at the first malformed row, and leaves nothing */
	expect_error(messy, strlen(messy), NULL, COLSTORE_EPARSE, 7, 2,
	             "unexpected character after a closing quote");
	for (uint32_t t = 1; t <= 2; t++) {
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.lenient = 1;
		o.threads = t;
		o.rejects_path = tu_path("rejects.csv");
		expect_rows(messy, &o,
		            "r0 c0 1\nr0 c1 \"apple\"\nr0 c2 3\n"
		            "r1 c0 2\nr1 c1 \"\\\"BH-9827\"\nr1 c2 4\n"
		            "r2 c0 3\nr2 c1 \"pear\"\nr2 c2 5\n"
		            "r3 c0 4\nr3 c1 \"plum\"\nr3 c2 null\n"
		            "r4 c0 6\nr4 c1 \"\\\"x\\\"y\"\nr4 c2 7\n"
		            "r5 c0 8\nr5 c1 \"f\\\"ig\"\nr5 c2 9\n");
		CU_ASSERT_EQUAL(last_res.rows, 6);
		CU_ASSERT_EQUAL(last_res.padded, 1);
		CU_ASSERT_EQUAL(last_res.padded_lines[0], 5);
		CU_ASSERT_EQUAL(last_res.trimmed, 1);
		CU_ASSERT_EQUAL(last_res.trimmed_lines[0], 4);
		CU_ASSERT_EQUAL(last_res.rejected, 2);
		CU_ASSERT_EQUAL(last_res.rejected_lines[0], 6);
		CU_ASSERT_EQUAL(last_res.rejected_lines[1], 8);
		CU_ASSERT_STRING_EQUAL(last_res.first_reject, "4 fields, expected 3");
		CU_ASSERT_PTR_NOT_NULL_FATAL(last_rejects);
		char want[1024];
		snprintf(want, sizeof(want),
		         "file,line,reason,text\n"
		         "\"%s\",6,\"4 fields, expected 3\",\"5,a,b,c\"\n"
		         "\"%s\",8,\"fewer fields than the header, and a quoted field holds the "
		         "delimiter (the row is quoted differently)\",\"\"\"7,kiwi,8\"\"\"\n",
		         tu_path("in.csv"), tu_path("in.csv"));
		CU_ASSERT_STRING_EQUAL(last_rejects, want);
	}
	/* without a rejects file the rows are counted all the same */
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.lenient = 1;
	expect_rows("a,b\n1,2\n3,4,5\n", &o, "r0 c0 1\nr0 c1 2\n");
	CU_ASSERT_EQUAL(last_res.rejected, 1);
	CU_ASSERT_PTR_NULL(last_rejects);
	/* rejected rows say nothing of the types; a padded row still widens */
	expect("a,b\n1,2\nx,y,z\n3,4\n", &o, "column 0 a int8\ncolumn 1 b int8\n");
	expect("a,b\n1,2\nx\n3,4\n", &o, "column 0 a string\n");
	/* a NUL byte rejects its row; the rows around it load */
	{
		static const char nul[] = "a,b\n1,2\n3,\0x\n5,6\n";
		int rc;
		colstore_error e;
		char *d = imp(nul, sizeof(nul) - 1, &o, &rc, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_PTR_NOT_NULL(d);
		CU_ASSERT_EQUAL(last_res.rows, 2);
		CU_ASSERT_EQUAL(last_res.rejected, 1);
		CU_ASSERT_STRING_EQUAL(last_res.first_reject, "a NUL byte");
		free(d);
	}
	/* an unterminated quote at the end is literal text */
	expect_rows("a,b\n1,\"x\n", &o, "r0 c0 1\nr0 c1 \"\\\"x\"\n");
	/* a field over the limit rejects its row */
	o.max_field = 4;
	expect_rows("a,b\n1,22\n3,4444444\n5,6\n", &o,
	            "r0 c0 1\nr0 c1 22\nr1 c0 5\nr1 c1 6\n");
	CU_ASSERT_EQUAL(last_res.rejected, 1);
	o.max_field = 0;
	/* a value a forced type cannot hold rejects its row, on any thread count */
	static const char *const sn[] = { "b" };
	static const colstore_type st[] = { COLSTORE_TYPE_INT16 };
	o.n_schema = 1;
	o.schema_names = sn;
	o.schema_types = st;
	for (uint32_t t = 1; t <= 2; t++) {
		o.threads = t;
		expect_rows("a,b\nx,1\ny,99999\nz,3\n", &o,
		            "r0 c0 \"x\"\nr0 c1 1\nr1 c0 \"z\"\nr1 c1 3\n");
		CU_ASSERT_STRING_EQUAL(last_res.first_reject, "'99999' is not a valid int16 (column 'b')");
	}
	o.n_schema = 0;
	o.threads = 0;
	/* --max-rejects: past it the import fails and leaves nothing behind,
	 * not even the rejects file */
	o.max_rejects = 1;
	o.rejects_path = tu_path("rejects.csv");
	expect_error("a,b\n1,2\n3,4,5\n6,7,8\n", 20, &o, COLSTORE_EPARSE, 4, 0,
	             "more than 1 rows rejected (--max-rejects); this one: 3 fields, expected 2");
	o.max_rejects = 2;
	expect_rows("a,b\n1,2\n3,4,5\n6,7,8\n", &o, "r0 c0 1\nr0 c1 2\n");
	CU_ASSERT_EQUAL(last_res.rejected, 2);
}

static void test_tables(void)
{
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.lenient = 1;
	/* a second table after a blank line: loaded is the first */
	expect_rows("a,b,c\n1,2,3\n4,5,6\n\nx,y\n7,8\n9,10\n", &o,
	            "r0 c0 1\nr0 c1 2\nr0 c2 3\nr1 c0 4\nr1 c1 5\nr1 c2 6\n");
	CU_ASSERT_EQUAL(last_res.rejected, 3);
	CU_ASSERT_EQUAL(last_res.rejected_lines[0], 5);
	CU_ASSERT_STRING_EQUAL(last_res.first_reject,
	                       "after the end of the table (another table starts at line 5)");
	/* a short row after a blank line is no second table */
	expect_rows("a,b,c\n1,2,3\n\n4,5\n6,7,8\n", &o,
	            "r0 c0 1\nr0 c1 2\nr0 c2 3\nr1 c0 4\nr1 c1 5\nr1 c2 null\n"
	            "r2 c0 6\nr2 c1 7\nr2 c2 8\n");
	CU_ASSERT_EQUAL(last_res.rejected, 0);
	/* the header row again (files joined with cat): rejected, the types stay */
	expect("a,b\n1,2\na,b\n3,4\n", &o, "column 0 a int8\ncolumn 1 b int8\n");
	CU_ASSERT_EQUAL(last_res.rejected, 1);
	CU_ASSERT_STRING_EQUAL(last_res.first_reject, "repeats the header row");
	/* strict mode reads it as data, as before */
	expect("a,b\n1,2\na,b\n3,4\n", NULL, "column 0 a string\ncolumn 1 b string\n");
}

static void test_dialect(void)
{
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	/* a delimiter of several bytes, given and detected */
	o.delimiter_string = "||";
	expect_rows("a||b\n1||x|y\n", &o, "r0 c0 1\nr0 c1 \"x|y\"\n");
	CU_ASSERT_STRING_EQUAL(last_res.delimiter_string, "||");
	o.delimiter_string = NULL;
	expect_rows("a, b\n1, \"x, y\"\n2, z\n3, w\n", NULL,
	            "r0 c0 1\nr0 c1 \"x, y\"\nr1 c0 2\nr1 c1 \"z\"\nr2 c0 3\nr2 c1 \"w\"\n");
	CU_ASSERT_STRING_EQUAL(last_res.delimiter_string, ", ");
	/* a comma not always followed by a space stays the delimiter */
	expect_rows("a,b\n1, x\n2,y\n", NULL, "r0 c0 1\nr0 c1 \" x\"\nr1 c0 2\nr1 c1 \"y\"\n");
	CU_ASSERT_STRING_EQUAL(last_res.delimiter_string, ",");
	/* the quote: ' detected; none; given */
	expect_rows("a;b\n1;'x;y'\n2;'it''s'\n", NULL,
	            "r0 c0 1\nr0 c1 \"x;y\"\nr1 c0 2\nr1 c1 \"it's\"\n");
	CU_ASSERT_EQUAL(last_res.quote, '\'');
	expect_rows("a,b\n1,O'Neil\n2,'t\n", NULL,
	            "r0 c0 1\nr0 c1 \"O'Neil\"\nr1 c0 2\nr1 c1 \"'t\"\n");
	CU_ASSERT_EQUAL(last_res.quote, '"');
	o.quote = COLSTORE_NONE;
	expect_rows("a,b\n1,\"x\n2,y\"\n", &o,
	            "r0 c0 1\nr0 c1 \"\\\"x\"\nr1 c0 2\nr1 c1 \"y\\\"\"\n");
	o.quote = '|';
	expect_rows("a,b\n1,|x,y|\n", &o, "r0 c0 1\nr0 c1 \"x,y\"\n");
	o.quote = 0;
	/* backslash escapes: detected when \" is no closing quote; given */
	expect_rows("a,b\n1,\"say \\\"hi\\\" now\"\n2,\"C:\\\\\"\n", NULL,
	            "r0 c0 1\nr0 c1 \"say \\\"hi\\\" now\"\nr1 c0 2\nr1 c1 \"C:\\\\\"\n");
	CU_ASSERT_EQUAL(last_res.escape, '\\');
	expect_rows("a,b\n1,\"C:\\\"\n", NULL, "r0 c0 1\nr0 c1 \"C:\\\\\"\n");
	CU_ASSERT_EQUAL(last_res.escape, COLSTORE_NONE);
	o.escape = '\\';
	expect_rows("a,b\n1,x\\,y\n", &o, "r0 c0 1\nr0 c1 \"x,y\"\n");
	o.escape = 0;
	/* comment lines */
	o.comment = '#';
	expect_rows("# top\na,b\n1,2\n# middle\n3,4\n", &o, "r0 c0 1\nr0 c1 2\nr1 c0 3\nr1 c1 4\n");
	o.comment = 0;
	/* a preamble: detected, given, or refused (--skip 0: COLSTORE_NONE) */
	static const char pre[] = "Sales report\nMade 2026-01-01\n\nid,v\n1,2\n3,4\n5,6\n";
	expect(pre, NULL, "column 0 id int8\ncolumn 1 v int8\n");
	CU_ASSERT_EQUAL(last_res.skipped_lines, 3);
	CU_ASSERT_EQUAL(last_res.rows, 3);
	/* a title without any delimiter does not hide the table's */
	expect("My report\n\nk;v;w\n1;2;3\n4;5;6\n7;8;9\n", NULL,
	       "column 0 k int8\ncolumn 1 v int8\ncolumn 2 w int8\n");
	CU_ASSERT_STRING_EQUAL(last_res.delimiter_string, ";");
	CU_ASSERT_EQUAL(last_res.skipped_lines, 2);
	o.skip = 1;
	expect("x\nid,v\n1,2\n", &o, "column 0 id int8\ncolumn 1 v int8\n");
	o.skip = COLSTORE_NONE; /* the title is the header, and the table too wide */
	expect_error(pre, strlen(pre), &o, COLSTORE_EPARSE, 4, 2, "row has 2 fields, expected 1");
	o.skip = 0;
	/* a header that is wider than... a short data row is no preamble */
	expect_rows("id,v,w\n1,2\n3,4\n5,6\n7,8\n", &(colstore_import_options){
	                .header = COLSTORE_HEADER_AUTO, .ragged_pad = 1,
	                .writer = COLSTORE_WRITER_OPTIONS_INIT },
	            "r0 c0 1\nr0 c1 2\nr0 c2 null\nr1 c0 3\nr1 c1 4\nr1 c2 null\n"
	            "r2 c0 5\nr2 c1 6\nr2 c2 null\nr3 c0 7\nr3 c1 8\nr3 c2 null\n");
	CU_ASSERT_EQUAL(last_res.skipped_lines, 0);
	/* two header lines, names joined */
	o.header_lines = 2;
	expect("first,last,\nname,name,x\n1,2,3\n", &o,
	       "column 0 first name int8\ncolumn 1 last name int8\ncolumn 2 x int8\n");
	o.header_lines = 0;
	/* encodings: latin1 and cp1252 given; UTF-16 from its BOM */
	o.encoding = "latin1";
	expect_rows("a,b\n1,caf\xe9\n", &o, "r0 c0 1\nr0 c1 \"caf\\xc3\\xa9\"\n");
	CU_ASSERT_STRING_EQUAL(last_res.encoding, "latin1");
	/* without --encoding the bytes are kept, and said not to be UTF-8 */
	expect_rows("a,b\n1,caf\xe9\n", NULL, "r0 c0 1\nr0 c1 \"caf\\xe9\"\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(allwarnings, "in.csv:2: not UTF-8 text (byte 0xe9 at offset 9)"));
	expect_rows("a,b\n1,caf\xc3\xa9\n", NULL, "r0 c0 1\nr0 c1 \"caf\\xc3\\xa9\"\n");
	CU_ASSERT_PTR_NULL(strstr(allwarnings, "not UTF-8"));
	o.encoding = "cp1252";
	expect_rows("a,b\n1,\x80 5\n", &o, "r0 c0 1\nr0 c1 \"\\xe2\\x82\\xac 5\"\n");
	o.encoding = NULL;
	static const char u16[] = "\xff\xfe" "a\0,\0b\0\n\0" "1\0,\0\xe9\0\n\0";
	{
		int rc;
		colstore_error e;
		char *d = imp(u16, sizeof(u16) - 1, NULL, &rc, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_PTR_NOT_NULL(d);
		if (d)
			CU_ASSERT_PTR_NOT_NULL(strstr(d, "r0 c1 \"\\xc3\\xa9\"\n"));
		free(d);
	}
	o.encoding = "utf-16le";
	expect_error("a,b\n1,x\ny", 9, &o, COLSTORE_EPARSE, 1, 0,
	             "a character cut off at the end at byte 8 (not utf-16le text");
	o.encoding = "no-such-encoding";
	expect_error("a,b\n", 4, &o, COLSTORE_EINVAL, 0, 0, "unknown encoding 'no-such-encoding'");
	o.encoding = NULL;
	/* bad dialects are refused */
	o.delimiter_string = "abcde";
	expect_error("a,b\n", 4, &o, COLSTORE_EINVAL, 0, 0, "1 to 4 bytes");
	o.delimiter_string = "\"";
	expect_error("a,b\n", 4, &o, COLSTORE_EINVAL, 0, 0, "cannot hold a line break, the quote");
	o.delimiter_string = NULL;
	o.quote = '\n';
	expect_error("a,b\n", 4, &o, COLSTORE_EINVAL, 0, 0, "must differ");
}

static void test_dates(void)
{
	/* inferred without a format: the year first, or the month by name */
	expect("d\n2000/01/31\nJan 31 2000\n31 Jan 2000\n\"January 31, 2000\"\n2000-Jan-31\n"
	       "31-jan-2000\n1999-12-31\n", NULL,
	       "column 0 d date\nr0 c0 10987\nr1 c0 10987\nr2 c0 10987\nr3 c0 10987\nr4 c0 10987\n"
	       "r5 c0 10987\nr6 c0 10956\n");
	expect("t\n2000/01/31 10:30\n2000-01-31t10:30:00z\n2000/01/31 10:30:00.0\nJan 31 2000\n", NULL,
	       "column 0 t timestamp\nr0 c0 949314600000000\nr1 c0 949314600000000\n"
	       "r2 c0 949314600000000\nr3 c0 949276800000000\n");
	/* not dates: a bad day, a two-digit year, a made-up month */
	expect("d\n2000/02/30\n", NULL, "column 0 d string\n");
	expect("d\nJan 31 00\n", NULL, "column 0 d string\n");
	expect("d\nJun 31 2000\n", NULL, "column 0 d string\n");
	expect("d\nFoo 3 2000\n", NULL, "column 0 d string\n");
	/* day-first or month-first: never guessed, and said */
	expect("d\n01/02/2000\n13/02/2000\n", NULL, "column 0 d string\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(allwarnings, "column 'd' holds dates such as '01/02/2000' that "
	                                           "read day-first or month-first alike"));
	expect("d\n01/02/2000\nsoon\n", NULL, "column 0 d string\n");
	CU_ASSERT_PTR_NULL(strstr(allwarnings, "day-first"));
	/* --date-format decides, and ISO dates still read beside it */
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.date_format = "%d/%m/%Y";
	expect("d\n01/02/2000\n2000-01-02\n", &o, "column 0 d date\nr0 c0 10988\nr1 c0 10958\n");
	o.date_format = "%m/%d/%Y";
	expect("d\n01/02/2000\n", &o, "column 0 d date\nr0 c0 10958\n");
	o.date_format = "%d.%m.%Y";
	expect("d\n29.02.2024\n", &o, "column 0 d date\nr0 c0 19782\n");
	expect("d\n29.02.2023\n", &o, "column 0 d string\n");
	/* --timestamp-format: a 12-hour clock, fractions, offsets to UTC */
	o.date_format = NULL;
	o.timestamp_format = "%d/%m/%Y %I:%M:%S.%f %p %z";
	for (uint32_t t = 1; t <= 2; t++) {
		o.threads = t;
		expect("t\n31/01/2000 10:05:01.5 PM Z\n31/01/2000 10:05:01.5 pm +01:00\n"
		       "2000-01-31T00:05:00Z\n", &o,
		       "column 0 t timestamp\nr0 c0 949356301500000\nr1 c0 949352701500000\n"
		       "r2 c0 949277100000000\n");
	}
	o.threads = 0;
	o.timestamp_format = NULL;
	/* a column's own format (--schema col:date:FMT); lenient mode rejects
	 * the rows it does not read */
	static const char *const sn[] = { "d" };
	static const colstore_type st[] = { COLSTORE_TYPE_DATE };
	static const char *const sf[] = { "%Y%m%d" };
	o.n_schema = 1;
	o.schema_names = sn;
	o.schema_types = st;
	o.schema_formats = sf;
	expect("d\n20000131\n", &o, "column 0 d date\nr0 c0 10987\n");
	expect_error("d\n20000131\n20001301\n", 20, &o, COLSTORE_EPARSE, 3, 1,
	             "'20001301' is not a valid date (column 'd')");
	o.lenient = 1;
	expect("d\n20000131\n20001301\n", &o, "column 0 d date\nr0 c0 10987\n");
	CU_ASSERT_EQUAL(last_res.rejected, 1);
	o.lenient = 0;
	/* formats that cannot be used are refused */
	static const colstore_type si[] = { COLSTORE_TYPE_INT32 };
	o.schema_types = si;
	expect_error("d\n1\n", 4, &o, COLSTORE_EINVAL, 0, 0, "only a date or a timestamp takes");
	o.n_schema = 0;
	o.date_format = "%Y-%m";
	expect_error("d\n1\n", 4, &o, COLSTORE_EINVAL, 0, 0, "needs a year (%Y), a month");
	o.date_format = "%Y-%m-%d %H";
	expect_error("d\n1\n", 4, &o, COLSTORE_EINVAL, 0, 0, "a date format has no time of day");
	o.date_format = "%Y-%m-%d %Q";
	expect_error("d\n1\n", 4, &o, COLSTORE_EINVAL, 0, 0, "unknown directive");
	o.date_format = NULL;
	o.timestamp_format = "%Y-%m-%d %I:%M";
	expect_error("d\n1\n", 4, &o, COLSTORE_EINVAL, 0, 0, "%I (a 12-hour clock) goes with %p");
}

/* data compressed with the format's own library: gzip (two members),
 * zstd (two frames), an LZ4 frame */
static void test_compressed(void)
{
	static const char csv[] = "id,name\n1,apple\n2,\"pear, ripe\"\n3,\n";
	size_t n = sizeof(csv) - 1, half = 16;
	unsigned char buf[4096];
	size_t len = 0;
	/* gzip: each half its own member, as cat a.gz b.gz makes */
	for (int k = 0; k < 2; k++) {
		z_stream z;
		memset(&z, 0, sizeof(z));
		CU_ASSERT_EQUAL_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (Bytef *)csv + (k ? half : 0);
		z.avail_in = (uInt)(k ? n - half : half);
		z.next_out = buf + len;
		z.avail_out = (uInt)(sizeof(buf) - len);
		CU_ASSERT_EQUAL(deflate(&z, Z_FINISH), Z_STREAM_END);
		len = sizeof(buf) - z.avail_out;
		deflateEnd(&z);
	}
	static const char want[] = "column 0 id int8\ncolumn 1 name string\nr0 c0 1\nr0 c1 \"apple\"\n"
	                           "r1 c0 2\nr1 c1 \"pear, ripe\"\nr2 c0 3\nr2 c1 null\n";
	int rc;
	colstore_error e;
	char *d = imp((const char *)buf, len, NULL, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_TRUE(d && has_lines(d, want));
	CU_ASSERT_STRING_EQUAL(last_res.compression, "gzip");
	CU_ASSERT_EQUAL(last_res.bytes_text, n);
	free(d);
	/* cut short: an error, and nothing left */
	expect_error((const char *)buf, len - 5, NULL, COLSTORE_EPARSE, 0, 0, "the gzip data is damaged");
	/* zstd: two frames */
	len = ZSTD_compress(buf, sizeof(buf), csv, half, 3);
	CU_ASSERT_FALSE_FATAL(ZSTD_isError(len));
	size_t l2 = ZSTD_compress(buf + len, sizeof(buf) - len, csv + half, n - half, 3);
	CU_ASSERT_FALSE_FATAL(ZSTD_isError(l2));
	len += l2;
	d = imp((const char *)buf, len, NULL, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_TRUE(d && has_lines(d, want));
	CU_ASSERT_STRING_EQUAL(last_res.compression, "zstd");
	free(d);
	expect_error((const char *)buf, len - 3, NULL, COLSTORE_EPARSE, 0, 0, "the zstd data is damaged");
	/* an LZ4 frame, with a lenient import on two threads */
	len = LZ4F_compressFrame(buf, sizeof(buf), csv, n, NULL);
	CU_ASSERT_FALSE_FATAL(LZ4F_isError(len));
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.threads = 2;
	o.lenient = 1;
	d = imp((const char *)buf, len, &o, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_TRUE(d && has_lines(d, want));
	CU_ASSERT_STRING_EQUAL(last_res.compression, "lz4");
	free(d);
	expect_error((const char *)buf, len - 4, NULL, COLSTORE_EPARSE, 0, 0, "the LZ4 data is damaged");
	/* bzip2 is named, not read */
	expect_error("BZh91AY&SY\xbf\x87\x40\x7f\x00\x00\x03\x59", 18, NULL, COLSTORE_EPARSE, 1, 0,
	             "this is bzip2-compressed data, not CSV text (gzip, zstd and LZ4 are read");
}

/* ---- a compressed input read as it is decompressed --------------------- */

/* text compressed as kind ('g' gzip, 'z' zstd, 'l' LZ4 frame); malloc'd */
static unsigned char *squeeze(int kind, const char *text, size_t n, size_t *len)
{
	size_t cap = n + n / 8 + (1 << 16);
	unsigned char *b = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	if (kind == 'g') {
		z_stream z;
		memset(&z, 0, sizeof(z));
		CU_ASSERT_EQUAL_FATAL(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = (Bytef *)text;
		z.avail_in = (uInt)n;
		z.next_out = b;
		z.avail_out = (uInt)cap;
		CU_ASSERT_EQUAL(deflate(&z, Z_FINISH), Z_STREAM_END);
		*len = cap - z.avail_out;
		deflateEnd(&z);
	} else if (kind == 'z') {
		*len = ZSTD_compress(b, cap, text, n, 1);
		CU_ASSERT_FALSE_FATAL(ZSTD_isError(*len));
	} else if (kind == 'Z' || kind == 'P') { /* frames of 50,000 bytes of text, each with
		                                      * its size (P: after a skippable frame, as
		                                      * pzstd writes) */
		*len = 0;
		if (kind == 'P') {
			static const unsigned char skip[] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4 };
			memcpy(b, skip, sizeof(skip));
			*len = sizeof(skip);
		}
		for (size_t at = 0; at < n; at += 50000) {
			size_t r = ZSTD_compress(b + *len, cap - *len, text + at,
			                         n - at < 50000 ? n - at : 50000, 1);
			CU_ASSERT_FALSE_FATAL(ZSTD_isError(r));
			*len += r;
		}
	} else if (kind == 'G') { /* BGZF: members of 60,000 bytes of text, each with its size */
		*len = 0;
		for (size_t at = 0; at < n; at += 60000) {
			size_t m = n - at < 60000 ? n - at : 60000;
			unsigned char *h = b + *len;
			static const unsigned char head[] = { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff,
			                                      6, 0, 'B', 'C', 2, 0 };
			memcpy(h, head, sizeof(head));
			z_stream z;
			memset(&z, 0, sizeof(z));
			CU_ASSERT_EQUAL_FATAL(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
			z.next_in = (Bytef *)text + at;
			z.avail_in = (uInt)m;
			z.next_out = h + 18;
			z.avail_out = (uInt)(cap - *len - 26);
			CU_ASSERT_EQUAL(deflate(&z, Z_FINISH), Z_STREAM_END);
			size_t size = 18 + z.total_out + 8;
			deflateEnd(&z);
			h[16] = (unsigned char)((size - 1) & 0xff);
			h[17] = (unsigned char)((size - 1) >> 8);
			uLong crc = crc32(0, (const Bytef *)text + at, (uInt)m);
			for (int k = 0; k < 4; k++) {
				h[size - 8 + k] = (unsigned char)(crc >> (8 * k));
				h[size - 4 + k] = (unsigned char)(m >> (8 * k));
			}
			*len += size;
		}
	} else {
		*len = LZ4F_compressFrame(b, cap, text, n, NULL);
		CU_ASSERT_FALSE_FATAL(LZ4F_isError(*len));
	}
	return b;
}

/* bytes imported from in (written as data) into a colstore file: the
 * file's bytes (NULL on an error, in *e) */
static unsigned char *imp_bytes_o(const void *data, size_t n, colstore_import_options *o,
                                  size_t *len, colstore_error *e);
static unsigned char *imp_bytes(const void *data, size_t n, uint32_t threads, size_t *len,
                                colstore_error *e)
{
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.threads = threads;
	o.writer.row_group_size = 1000;
	return imp_bytes_o(data, n, &o, len, e);
}

static unsigned char *imp_bytes_o(const void *data, size_t n, colstore_import_options *o,
                                  size_t *len, colstore_error *e)
{
	char in[512], out[512]; /* (tu_path's buffer is reused) */
	snprintf(in, sizeof(in), "%s", tu_path("streamed.csv"));
	snprintf(out, sizeof(out), "%s", tu_path("streamed.colstore"));
	tu_write_file(in, data, n);
	o->on_warning = count_warning;
	memset(e, 0, sizeof(*e));
	int rc = colstore_import_csv(in, out, o, &last_res, e);
	unsigned char *b = rc ? NULL : tu_read_file(out, len);
	CU_ASSERT_TRUE(rc != COLSTORE_OK || b != NULL);
	unlink(in);
	unlink(out);
	return b;
}

/* Pass 1 reads a large compressed input in rounds while another thread
 * decompresses it (the sizes made small here, so that a few MB take
 * hundreds of rounds and quoted line breaks straddle their ends): the file
 * is the plain text's byte for byte, with gzip, zstd and LZ4, on 1 to 3
 * threads; an error in the text, or damaged data, is the error the plain
 * text or the whole decompression gives. */
static void test_streamed(void)
{
	cs_stream_sizes keep = cs_stream;
	cs_stream = (cs_stream_sizes){ 4096, 64 << 10, 96 << 10, 4096, (size_t)1 << 40 };
	tu_buf t = { 0 };
	tu_printf(&t, "id,name,v,s,when\n");
	uint32_t x = 12345;
	enum { ROWS = 40000 };
	for (uint32_t i = 0; i < ROWS; i++) {
		x = x * 1103515245u + 12345u;
		if (i % 7 == 3)
			tu_printf(&t, "%u,\"w%x\nq, %u\",", i, x, x >> 20);
		else
			tu_printf(&t, "%u,w%x,", i, x >> 8);
		if (i == ROWS - 3)
			tu_printf(&t, "2.5,");
		else
			tu_printf(&t, "%u,", x % 100003);
		if (i == ROWS / 2 + 17)
			tu_printf(&t, "x%u,", x >> 16);
		else
			tu_printf(&t, "%u,", x >> 12);
		tu_printf(&t, "20%02u-%02u-%02u\n", x % 30, 1 + (x >> 4) % 12, 1 + (x >> 9) % 28);
	}
	colstore_error e;
	size_t plain_len;
	unsigned char *plain = imp_bytes(t.p, t.len, 2, &plain_len, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
	/* (Z, G, P: frames that say their sizes, decoded in parallel) */
	static const int kinds[] = { 'g', 'z', 'l', 'Z', 'G', 'P' };
	for (int k = 0; k < 6; k++) {
		size_t zl;
		unsigned char *z = squeeze(kinds[k], t.p, t.len, &zl);
		CU_ASSERT_TRUE(zl > cs_stream.min);
		for (uint32_t th = 1; th <= 5; th++) {
			/* 4: 2 threads, and a span of 256 KiB that the text outgrows
			 * (pass 1 waits for the end, and it is mapped again); 5: 3
			 * threads whose rounds are cut into parts of 4 KiB or more,
			 * up to 8 a thread */
			cs_stream.span = th == 4 ? 256 << 10 : (size_t)1 << 40;
			const uint64_t part_min = cs_p1_part_min;
			if (th == 5)
				cs_p1_part_min = 4096;
			size_t len;
			unsigned char *b = imp_bytes(z, zl, th == 4 ? 2 : th == 5 ? 3 : th, &len, &e);
			cs_p1_part_min = part_min;
			CU_ASSERT_TRUE(b && len == plain_len && memcmp(b, plain, len) == 0);
			CU_ASSERT_EQUAL(last_res.bytes_text, t.len);
			CU_ASSERT_STRING_EQUAL(last_res.compression, strchr("gG", kinds[k]) ? "gzip"
			                                             : strchr("zZP", kinds[k]) ? "zstd"
			                                                                     : "lz4");
			free(b);
		}
		cs_stream.span = (size_t)1 << 40;
		/* cut short: the decompression's error, whatever pass 1 had read */
		size_t len;
		CU_ASSERT_PTR_NULL(imp_bytes(z, zl * 2 / 3, 2, &len, &e));
		CU_ASSERT_EQUAL(e.code, COLSTORE_EPARSE);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "data is damaged near byte"));
		if (kinds[k] == 'G') {
			/* a member whose ISIZE says one byte more than its text */
			size_t m0 = (size_t)z[16] + ((size_t)z[17] << 8) + 1, m1 = m0;
			m1 += (size_t)z[m0 + 16] + ((size_t)z[m0 + 17] << 8) + 1;
			z[m1 - 4]++;
			for (uint32_t th = 1; th <= 2; th++) {
				CU_ASSERT_PTR_NULL(imp_bytes(z, zl, th, &len, &e));
				CU_ASSERT_EQUAL(e.code, COLSTORE_EPARSE);
				CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "the gzip data is damaged near byte"));
			}
		}
		free(z);
	}
	free(plain);
	/* errors in the text, late in it: as the plain text's, line and all */
	static const char *bad[] = { "1,2,3,4,5,6\n", "7,\"never closed,1,2,2020-01-01\n",
	                             "8,a\n" };
	for (int k = 0; k < 3; k++) {
		tu_buf b = { 0 };
		size_t at = t.len * (k + 2) / 5;
		while (at < t.len && t.p[at - 1] != '\n')
			at++; /* (a line break inside a quoted name too: all the better) */
		tu_printf(&b, "%.*s%s%s", (int)at, t.p, bad[k], t.p + at);
		colstore_error pe;
		size_t len, zl;
		CU_ASSERT_PTR_NULL(imp_bytes(b.p, b.len, 2, &len, &pe));
		CU_ASSERT_NOT_EQUAL(pe.code, COLSTORE_OK);
		unsigned char *z = squeeze('g', b.p, b.len, &zl);
		for (uint32_t th = 1; th <= 2; th++) {
			CU_ASSERT_PTR_NULL(imp_bytes(z, zl, th, &len, &e));
			CU_ASSERT_EQUAL(e.code, pe.code);
			CU_ASSERT_EQUAL(e.line, pe.line);
			CU_ASSERT_STRING_EQUAL(e.message, pe.message);
		}
		free(z);
		free(b.p);
	}
	/* --skip N and --header-lines N past the first text (read whole first) */
	tu_buf h = { 0 };
	for (int i = 0; i < 200000; i++)
		tu_printf(&h, "preamble line %d of the export\n", i);
	tu_printf(&h, "a,b,c,d,e\nf,g,h,i,j\n%.*s", (int)(t.len - 17), t.p + 17);
	for (int k = 0; k < 2; k++) {
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = 2;
		o.skip = 200000;
		o.header_lines = k ? 2 : 0;
		o.header = COLSTORE_HEADER_YES;
		size_t len, zl, len2;
		unsigned char *want = imp_bytes_o(h.p, h.len, &o, &len, &e);
		CU_ASSERT_PTR_NOT_NULL(want);
		unsigned char *z = squeeze('g', h.p, h.len, &zl);
		unsigned char *got = imp_bytes_o(z, zl, &o, &len2, &e);
		CU_ASSERT_TRUE(want && got && len == len2 && memcmp(want, got, len) == 0);
		free(want);
		free(got);
		free(z);
	}
	free(h.p);
	free(t.p);
	cs_stream = keep;
}

static void test_threads(void)
{
	size_t cap = 1 << 20, len = 0;
	char *csv = malloc(cap);
	len += (size_t)snprintf(csv + len, cap - len, "id,note,v\n");
	for (int i = 0; i < 3000; i++) {
		if (i % 100 == 50) { /* a long quoted field full of line breaks */
			len += (size_t)snprintf(csv + len, cap - len, "%d,\"", i);
			for (int k = 0; k < 40; k++)
				len += (size_t)snprintf(csv + len, cap - len, "line %d\n", k);
			len += (size_t)snprintf(csv + len, cap - len, "\",%d.5\n", i);
		} else {
			len += (size_t)snprintf(csv + len, cap - len, "%d,n%d,%d\n", i, i % 7, i);
		}
	}
	char *first = NULL;
	const uint64_t part_min = cs_p1_part_min;
	/* t threads with one part each, then with up to 8 parts of 1 KiB or
	 * more each, taken in turn (about one cut in five then falls in a
	 * long field, and that part is parsed again) */
	for (uint32_t v = 0; v < 16; v++) {
		uint32_t t = v % 8 + 1;
		cs_p1_part_min = v < 8 ? part_min : 1024;
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = t;
		o.writer.row_group_size = 256;
		int rc;
		colstore_error e;
		char *d = imp(csv, len, &o, &rc, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_PTR_NOT_NULL(d);
		if (!d)
			continue;
		CU_ASSERT_TRUE(has_lines(d, "rows 3000 columns 3 row_groups 12 row_group_size 256\n"
		                            "column 2 v float64\nr50 c0 50\n"));
		if (!first)
			first = d;
		else {
			CU_ASSERT_STRING_EQUAL(d, first);
			free(d);
		}
	}
	free(first);
	/* an error in the second half names its true line, at any thread count */
	len = 0;
	len += (size_t)snprintf(csv + len, cap - len, "a,b\n");
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(csv + len, cap - len, i == 1500 ? "%d\n" : "%d,\"x\ny\"\n", i);
	for (uint32_t v = 0; v < 8; v++) {
		uint32_t t = v % 4 + 1;
		cs_p1_part_min = v < 4 ? part_min : 512;
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = t;
		/* each good row takes two lines: row i starts on line 2 + 2i */
		expect_error(csv, len, &o, COLSTORE_EPARSE, 2 + 2 * 1500, 1, "row has 1 fields, expected 2");
	}
	cs_p1_part_min = part_min;
	/* a field over --max-field-size in a row of the table's width, in
	 * rows whose span is over it with no field that is: its line and
	 * field, at any thread count */
	len = 0;
	len += (size_t)snprintf(csv + len, cap - len, "a,b\n");
	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(csv + len, cap - len, "%020d,%s\n", i,
		                        i == 1500 ? "0123456789012345678901234567890123456789" : "y");
	for (uint32_t t = 1; t <= 3; t++) {
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = t;
		o.max_field = 32;
		expect_error(csv, len, &o, COLSTORE_EPARSE, 2 + 1500, 2,
		             "a field of 40 bytes, over the limit of 32 bytes (a larger limit: "
		             "--max-field-size)");
		o.max_field = 40;
		int rc;
		colstore_error e;
		char *d = imp(csv, len, &o, &rc, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_EQUAL(last_res.rows, 2000);
		free(d);
	}
	free(csv);
}

/* a temporary file's random name in an error message as "TMP" */
static void tmp_name_out(char *msg)
{
	char *t = strstr(msg, ".tmp-");
	if (!t)
		return;
	char *end = t + 5;
	while (*end && *end != ':' && *end != ' ')
		end++;
	memmove(t + 4, end, strlen(end) + 1);
	memcpy(t, "TMP", 3);
	t[3] = ' ';
}

/* the unit path of pass 2 (rows converted a work unit at a time, then
 * appended) against rows put one at a time (cs_imp_rowwise): on random
 * messy tables, strict and lenient, with --max-rejects and a rejects file,
 * a forced int column (a bad value fails a strict import in pass 2), and
 * a file size limit (a row group's write fails), at 1 to 3 threads and
 * small row groups, the same outcome: the same error (code, line, column
 * and words), or the same file, counts and rejects */
/* an import's outcome as the reference's: the same error (code, line,
 * column, message) or, both having succeeded, the same file as text */
static int same_outcome(int rc, const colstore_error *e, const char *d, int ref_rc,
                        const colstore_error *ref_e, const char *ref_msg, const char *ref)
{
	if (rc != ref_rc)
		return 0;
	if (rc != COLSTORE_OK)
		return e->code == ref_e->code && e->line == ref_e->line &&
		       e->column == ref_e->column && strcmp(e->message, ref_msg) == 0;
	return d && ref && strcmp(d, ref) == 0;
}

static void test_units_rowwise(void)
{
	void (*was_sig)(int) = signal(SIGXFSZ, SIG_IGN); /* writes past it fail: EFBIG */
	/* the writer holds its output back to the next 64 KiB of the file: in
	 * pieces of 64 bytes, a write fails at the row group that crosses the limit */
	int wfail = 0;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	size_t cap = 1 << 18;
	char *csv = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
	cs_test_wb = 64;
	int same = 1, cases = 0, failures = 0;
	for (int round = 0; round < 150; round++) {
		size_t len = (size_t)snprintf(csv, cap, "a,b,c\n");
		/* round 0: a write that fails before a bad value in the same unit */
		const uint32_t rows = round ? 20 + (uint32_t)(tu_next(&rng) % 3000) : 2000;
		/* one row in odd is messy; none in a quarter of the tables */
		const unsigned odd = tu_next(&rng) % 4 ? 1 + (unsigned)(tu_next(&rng) % 40) : 0;
		for (uint32_t i = 0; i < rows && len + 64 < cap; i++) {
			uint64_t r = tu_next(&rng);
			const unsigned x = (unsigned)(r % 1000), y = (unsigned)(r >> 20) % 50,
			               z = (unsigned)(r >> 40) % 100;
			char *p = csv + len;
			size_t room = cap - len;
			int k = !odd || r % odd ? 7 : (int)((r >> 8) % 7);
			if (!round)
				k = i == 1500 ? 5 : 7;
			switch (k) {
			case 0: len += (size_t)snprintf(p, room, "%u,s%u\n", x, y); break; /* padded */
			case 1: len += (size_t)snprintf(p, room, "%u,s%u,%u.5,\n", x, y, z); break;
			case 2: len += (size_t)snprintf(p, room, "%u,s%u,%u,9,9\n", x, y, z); break;
			case 3: len += (size_t)snprintf(p, room, "\"%u,s%u,%u\"\n", x, y, z); break;
			case 4: len += (size_t)snprintf(p, room, "%u,\"s%u\"x,%u\n", x, y, z); break;
			case 5: len += (size_t)snprintf(p, room, "x%u,s%u,%u\n", x, y, z); break;
			case 6: len += (size_t)snprintf(p, room, "%u,\"s\n%u\",%u\n", x, y, z); break;
			default: len += (size_t)snprintf(p, room, "%u,s%u,%u.5\n", x, y, z); break;
			}
		}
		const int lenient = round && (int)(tu_next(&rng) % 3 != 0);
		const uint64_t maxrej = tu_next(&rng) % 4 == 0 ? 0 : tu_next(&rng) % 6;
		const uint32_t rgs = round ? (uint32_t[]){ 7, 64, 1000 }[tu_next(&rng) % 3] : 7;
		const int forced = !round || tu_next(&rng) % 3 == 0;
		const rlim_t fsize = !round                  ? 2048
		                     : tu_next(&rng) % 3 == 0 ? 1024 + tu_next(&rng) % 16384
		                                              : 0;
		static const char *const names[] = { "a" };
		static const colstore_type types[] = { COLSTORE_TYPE_INT32 };
		char *ref = NULL, *ref_rej = NULL, ref_msg[sizeof(((colstore_error *)0)->message)];
		int ref_rc = 0;
		colstore_error ref_e;
		colstore_import_result ref_res;
		memset(&ref_e, 0, sizeof(ref_e));
		memset(&ref_res, 0, sizeof(ref_res));
		for (uint32_t t = 0; t <= 3; t++) { /* t = 0: the reference, rows one at a time */
			colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
			o.threads = t ? t : 1;
			o.lenient = lenient;
			o.max_rejects = maxrej;
			o.rejects_path = lenient ? tu_path("rejects.csv") : NULL;
			o.writer.row_group_size = rgs;
			if (forced) {
				o.n_schema = 1;
				o.schema_names = names;
				o.schema_types = types;
			}
			int rc;
			colstore_error e;
			memset(&e, 0, sizeof(e));
			cs_imp_rowwise = t == 0;
			imp_fsize = fsize;
			char *d = imp(csv, len, &o, &rc, &e);
			imp_fsize = 0;
			tmp_name_out(e.message);
			cs_imp_rowwise = 0;
			wfail += t == 0 && rc == COLSTORE_EIO && e.line; /* a row group's write */
			if (t == 0) {
				ref = d;
				ref_rc = rc;
				ref_e = e;
				snprintf(ref_msg, sizeof(ref_msg), "%s", e.message); /* (named as below) */
				ref_rej = last_rejects ? strdup(last_rejects) : NULL;
				ref_res = last_res;
				failures += rc != COLSTORE_OK;
				continue;
			}
			int ok = same_outcome(rc, &e, d, ref_rc, &ref_e, ref_msg, ref);
			if (rc == COLSTORE_OK)
				ok &= last_res.rows == ref_res.rows &&
				      last_res.padded == ref_res.padded &&
				      last_res.trimmed == ref_res.trimmed &&
				      last_res.rejected == ref_res.rejected &&
				      (last_rejects == NULL) == (ref_rej == NULL) &&
				      (!ref_rej || strcmp(last_rejects, ref_rej) == 0);
			if (!ok)
				fprintf(stderr, "\n  round %d, %u threads: '%s' (line %llu) where rows one at a "
				        "time gave '%s' (line %llu)\n", round, t, rc ? e.message : "ok",
				        (unsigned long long)e.line, ref_rc ? ref_msg : "ok",
				        (unsigned long long)ref_e.line);
			same &= ok;
			cases++;
			free(d);
		}
		free(ref);
		free(ref_rej);
	}
	free(csv);
	signal(SIGXFSZ, was_sig);
	cs_test_wb = 0;
	CU_ASSERT_TRUE(same);
	CU_ASSERT_EQUAL(cases, 150 * 3);
	CU_ASSERT_TRUE(wfail > 2); /* some writes failed */
	/* both outcomes were tried: some tables fail, most do not */
	CU_ASSERT_TRUE(failures > 10 && failures < 140);
}

/* values that fail in several columns of one batch of records (strict mode
 * converts a batch column by column): the error is the first by row, then
 * by column, as rows one at a time give it, also with a record the
 * tokenizer refuses after it; every column forced, so there is no type
 * pass to find them first */
static void test_batch_error_order(void)
{
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t cap = 1 << 18;
	char *csv = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	static const colstore_type types[] = { COLSTORE_TYPE_INT32, COLSTORE_TYPE_INT16,
		                                COLSTORE_TYPE_STRING, COLSTORE_TYPE_INT32,
		                                COLSTORE_TYPE_INT8 };
	int same = 1, cases = 0, failures = 0, late = 0;
	for (int round = 0; round < 60; round++) {
		size_t len = (size_t)snprintf(csv, cap, "a,b,c,d,e\n");
		const uint32_t rows = 50 + (uint32_t)(tu_next(&rng) % 4000);
		/* 0 to 3 bad values, anywhere; sometimes an unclosed quote */
		uint32_t bad_row[3], bad_col[3], nbad = (uint32_t)(tu_next(&rng) % 4);
		for (uint32_t k = 0; k < nbad; k++) {
			bad_row[k] = (uint32_t)(tu_next(&rng) % rows);
			bad_col[k] = (uint32_t)(tu_next(&rng) % 5);
			if (k && tu_next(&rng) % 2) /* near the one before it, in another column */
				bad_row[k] = bad_row[k - 1] - (bad_row[k - 1] > 0 && tu_next(&rng) % 2);
		}
		const uint32_t quote_row = tu_next(&rng) % 3 ? UINT32_MAX
		                                               : (uint32_t)(tu_next(&rng) % rows);
		for (uint32_t i = 0; i < rows && len + 96 < cap; i++) {
			uint64_t r = tu_next(&rng);
			char f[5][24];
			snprintf(f[0], sizeof(f[0]), "%d", (int)(r % 100000) - 50000);
			snprintf(f[1], sizeof(f[1]), "%d", (int)(r >> 20) % 30000);
			snprintf(f[2], sizeof(f[2]), "s%u", (unsigned)(r >> 30) % 77);
			snprintf(f[3], sizeof(f[3]), "%s", r % 9 ? "12" : "");
			snprintf(f[4], sizeof(f[4]), "%d", (int)(r >> 40) % 100);
			for (uint32_t k = 0; k < nbad; k++)
				if (bad_row[k] == i && bad_col[k] != 2) /* (any text is a string) */
					snprintf(f[bad_col[k]], sizeof(f[0]), "%s",
					         bad_col[k] == 4 ? "300" : bad_col[k] == 1 ? "40000" : "x1");
			len += (size_t)snprintf(csv + len, cap - len, "%s,%s,%s%s,%s,%s\n", f[0], f[1],
			                        i == quote_row ? "\"" : "", f[2], f[3], f[4]);
		}
		char *ref = NULL, ref_msg[sizeof(((colstore_error *)0)->message)];
		int ref_rc = 0;
		colstore_error ref_e;
		memset(&ref_e, 0, sizeof(ref_e));
		for (uint32_t t = 0; t <= 3; t++) { /* t = 0: the reference, rows one at a time */
			colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
			o.threads = t ? t : 1;
			o.n_schema = 5;
			o.schema_names = names;
			o.schema_types = types;
			o.writer.row_group_size = (uint32_t[]){ 7, 1000, 65536 }[round % 3];
			int rc;
			colstore_error e;
			memset(&e, 0, sizeof(e));
			cs_imp_rowwise = t == 0;
			char *d = imp(csv, len, &o, &rc, &e);
			cs_imp_rowwise = 0;
			tmp_name_out(e.message);
			if (t == 0) {
				ref = d;
				ref_rc = rc;
				ref_e = e;
				snprintf(ref_msg, sizeof(ref_msg), "%s", e.message);
				failures += rc != COLSTORE_OK;
				late += rc != COLSTORE_OK && e.line > 1000;
				continue;
			}
			int ok = same_outcome(rc, &e, d, ref_rc, &ref_e, ref_msg, ref);
			if (!ok)
				fprintf(stderr, "\n  round %d, %u threads: '%s' (line %llu col %llu) where rows "
				        "one at a time gave '%s' (line %llu col %llu)\n", round, t,
				        rc ? e.message : "ok", (unsigned long long)e.line,
				        (unsigned long long)e.column, ref_rc ? ref_msg : "ok",
				        (unsigned long long)ref_e.line, (unsigned long long)ref_e.column);
			same &= ok;
			cases++;
			free(d);
		}
		free(ref);
	}
	free(csv);
	CU_ASSERT_TRUE(same);
	CU_ASSERT_EQUAL(cases, 60 * 3);
	/* both outcomes were tried, and errors past the first batch */
	CU_ASSERT_TRUE(failures > 10 && failures < 55);
	CU_ASSERT_TRUE(late > 3);
}

/* the encoding choice: 3000 values repeated over 60000 rows is DICT (codes
 * and dictionary beat offsets and bytes), 60000 distinct values is PLAIN */
static void test_encoding_choice(void)
{
	size_t cap = 4 << 20, len = 0;
	char *csv = malloc(cap);
	len += (size_t)snprintf(csv + len, cap - len, "mid,uniq\n");
	for (int i = 0; i < 60000; i++)
		len += (size_t)snprintf(csv + len, cap - len, "C%07d,U%07d\n", (i * 7919) % 3000, i);
	const char *in = tu_path("enc.csv"), *out = tu_path("enc.colstore");
	tu_write_file(in, csv, len);
	for (uint32_t t = 1; t <= 2; t++) {
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = t;
		CU_ASSERT_EQUAL_FATAL(colstore_import_csv(in, out, &o, NULL, NULL), COLSTORE_OK);
		colstore_reader *r;
		colstore_column_info ci;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(out, NULL, &r, NULL), COLSTORE_OK);
		colstore_reader_column_info(r, 0, &ci, NULL);
		CU_ASSERT_EQUAL(ci.plain_chunks, 0);
		CU_ASSERT_EQUAL(ci.dict_count, 3000);
		colstore_reader_column_info(r, 1, &ci, NULL);
		CU_ASSERT_EQUAL(ci.dict_chunks, 0);
		CU_ASSERT_EQUAL(ci.dict_count, 0);
		colstore_reader_close(r);
	}
	/* a dictionary that would outgrow the budget is not built: 3000 entries
	 * of ~8 bytes need ~96 KB by the estimate, more than a 64 KB budget */
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.writer.dict_budget = 64 << 10;
	CU_ASSERT_EQUAL_FATAL(colstore_import_csv(in, out, &o, NULL, NULL), COLSTORE_OK);
	colstore_reader *r;
	colstore_column_info ci;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(out, NULL, &r, NULL), COLSTORE_OK);
	colstore_reader_column_info(r, 0, &ci, NULL);
	CU_ASSERT_EQUAL(ci.dict_chunks, 0);
	colstore_reader_close(r);
	o.writer.dict_budget = 256 << 10;
	CU_ASSERT_EQUAL_FATAL(colstore_import_csv(in, out, &o, NULL, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(out, NULL, &r, NULL), COLSTORE_OK);
	colstore_reader_column_info(r, 0, &ci, NULL);
	CU_ASSERT_EQUAL(ci.plain_chunks, 0);
	colstore_reader_close(r);
	unlink(in);
	unlink(out);
	free(csv);
}

/* the ISO date and timestamp parsers against a byte-at-a-time reference
 * (the rules of README.md, "Importing CSV", written plainly): every byte
 * of several stamps changed to every value, at the full length and two
 * shorter, value and verdict; also through a memo of the last date, which
 * runs of one text hit */
static int ref_num(const char *p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		*v = *v * 10 + (p[i] - '0');
	}
	return 1;
}

static int ref_date(const char *p, size_t n, int64_t *days)
{
	int y, m, d;
	if (n != 10 || p[4] != '-' || p[7] != '-' || !ref_num(p, 4, &y) || !ref_num(p + 5, 2, &m) ||
	    !ref_num(p + 8, 2, &d) || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	static const int mdays[13] = { 0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (d > mdays[m] + (m == 2 && leap))
		return 0;
	*days = cs_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 1;
}

static int ref_timestamp(const char *p, size_t n, int64_t *us)
{
	int64_t days;
	int hh, mm, ss = 0, micros = 0;
	if (n < 10 || !ref_date(p, 10, &days))
		return 0;
	size_t i = 10;
	if (n > 10) {
		if (n < 16 || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || !ref_num(p + 11, 2, &hh) ||
		    !ref_num(p + 14, 2, &mm) || hh > 23 || mm > 59)
			return 0;
		i = 16;
		if (i < n && p[i] == ':') {
			if (n < 19 || !ref_num(p + 17, 2, &ss) || ss > 59)
				return 0;
			i = 19;
			if (i < n && p[i] == '.') {
				int fd = 0;
				for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, fd++)
					micros = micros * 10 + (p[i] - '0');
				if (fd == 0 || fd > 6)
					return 0;
				for (; fd < 6; fd++)
					micros *= 10;
			}
		}
	} else {
		hh = mm = 0;
	}
	int64_t t = days * 86400 + hh * 3600 + mm * 60 + ss;
	if (i < n && p[i] == 'Z') {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int oh, om, colon = n - i == 6;
		if ((n - i != 6 && n - i != 5) || (colon && p[i + 3] != ':') ||
		    !ref_num(p + i + 1, 2, &oh) || !ref_num(p + i + 3 + colon, 2, &om) || oh > 23 ||
		    om > 59)
			return 0;
		t -= (p[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
		i = n;
	}
	if (i != n)
		return 0;
	*us = t * 1000000 + micros;
	return 1;
}

static void test_parse_stamps(void)
{
	static const char *const base[] = { "2025-01-31T12:34:56", "2024-02-29 23:59:59.123456Z",
		                            "2000-12-31T00:00:00+01:00", "1999-09-09T09:09",
		                            "2025-01-01", "2025-01-01T10:30:00-0530",
		                            "0000-01-01T00:00:00", "2100-02-28T23:59:59.5" };
	unsigned long checked = 0, wrong = 0;
	cs_date_memo dm, tm; /* kept across every call */
	memset(&dm, 0, sizeof(dm));
	memset(&tm, 0, sizeof(tm));
	for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++) {
		size_t len = strlen(base[b]);
		for (size_t at = 0; at < len; at++)
			for (unsigned ch = 0; ch < 256; ch++) {
				char t[40];
				memcpy(t, base[b], len);
				t[at] = (char)ch;
				for (size_t n = len - 2; n <= len; n++) {
					int64_t a = 0, r = 0;
					int got = cs_parse_timestamp(t, n, &a), want = ref_timestamp(t, n, &r);
					wrong += got != want || (got && a != r) ||
					         cs_parse_timestamp(t, n, NULL) != want;
					got = cs_parse_date(t, n, &a);
					want = ref_date(t, n, &r);
					wrong += got != want || (got && a != r) || cs_parse_date(t, n, NULL) != want;
					/* with a memo of the last date, asked with and without the day */
					for (int ask = 0; ask < 2; ask++) {
						int64_t *out = ask ? &a : NULL;
						a = 0;
						got = cs_parse_date_m(t, n, out, &dm);
						wrong += got != want || (got && ask && a != r);
						want = ref_timestamp(t, n, &r);
						got = cs_parse_timestamp_m(t, n, out, &tm);
						wrong += got != want || (got && ask && a != r);
						want = ref_date(t, n, &r);
					}
					checked++;
				}
			}
	}
	CU_ASSERT_TRUE(checked > 100000);
	CU_ASSERT_EQUAL(wrong, 0);
}

/* the memo of the last timestamp: long runs of one value and values a byte
 * away from it (another day, second, separator; dates alone between them;
 * one day valid in one month and not the next), in a random order, asked
 * with and without the value, against the reference parser */
static void test_parse_stamp_runs(void)
{
	static const char *const pool[] = {
		"2001-01-31 00:00:00", "2001-02-31 00:00:00", "2001-01-31T00:00:00", "2001-01-31 00:00:01",
		"2001-02-15",          "2001-02-28 23:59:59", "2001-02-28 23:59:60", "2001-02-28 23:59:5",
		"2001-03-01 00:00:00", "2001-01-31 00:00:00Z", "2000-02-29 12:00:00", "2001-02-29 12:00:00",
		"2001-01-31 24:00:00", "2001-01-31x00:00:00", "2001-01-31 00:00:00.5", "2001-01-31 10:00:00",
	};
	const size_t np = sizeof(pool) / sizeof(pool[0]);
	cs_date_memo m;
	memset(&m, 0, sizeof(m));
	uint64_t x = 0x2545f4914f6cdd1dull;
	unsigned long wrong = 0, hits = 0;
	char last[19]; /* the last valid timestamp of 19 bytes: the memo's */
	int have = 0;
	size_t cur = 0;
	for (unsigned k = 0; k < 200000; k++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 8 == 0) /* a run of one value, then another */
			cur = (size_t)(x >> 8) % np;
		char t[32];
		size_t n = strlen(pool[cur]);
		memcpy(t, pool[cur], n);
		if (x % 16 == 1) /* a byte changed: a digit, or any byte */
			t[(x >> 16) % n] = (x >> 24) % 2 ? (char)('0' + (x >> 32) % 10) : (char)(x >> 40);
		int ask = (x >> 48) % 3 != 0;
		int64_t a = -1, r = 0;
		int want = ref_timestamp(t, n, &r);
		int got = cs_parse_timestamp_m(t, n, ask ? &a : NULL, &m);
		wrong += got != want || (got && ask && a != r);
		hits += have && n == 19 && memcmp(t, last, 19) == 0; /* answered by the memo */
		if (want && n == 19) {
			memcpy(last, t, 19);
			have = 1;
		}
	}
	CU_ASSERT_TRUE(hits > 50000);
	CU_ASSERT_EQUAL(wrong, 0);
}

/* the 8-byte readers' tests: 8 bytes of `before` (two rounds in three) or
 * of any value into buf, then n bytes of `pick`, one in 64 of any value
 * (0x3A-0x3F, 0xB0-0xB9, NUL...); returns the generator's last state */
static uint64_t tail_text(char *buf, uint64_t x, unsigned round, size_t n, const char *before,
                          const char *pick)
{
	size_t nb = strlen(before), np = strlen(pick);
	for (unsigned k = 0; k < 8; k++)
		buf[k] = round % 3 ? before[(x >> (k * 5)) % nb] : (char)(x >> (k * 7));
	uint64_t y = x;
	for (size_t k = 0; k < n; k++) {
		y = y * 6364136223846793005ull + 1442695040888963407ull;
		buf[8 + k] = (y >> 58) == 0 ? (char)(y >> 20) : pick[(y >> 33) % np];
	}
	return y;
}

/* cs_parse_int_tail reads the 8 bytes up to a value's end: it must give
 * cs_parse_int's answer and value whatever the bytes before the value
 * (digits, delimiters, line breaks, quotes, signs or any byte) and whatever
 * bytes the value holds (every byte value next to digits, signs and zeros) */
static void test_parse_int_tail(void)
{
	static const char pick[] = "0123456789-0123456789+0 .e:/";
	char buf[32];
	uint64_t x = 0x9e3779b97f4a7c15ull, checked = 0, wrong = 0, ok = 0;
	for (unsigned round = 0; round < 400000; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = (size_t)(x % 11); /* 0-10 bytes: past 8 digits too */
		/* before the value: digits (a wrong shift would take them in), or
		 * any byte, delimiters and line breaks among them (a digit check
		 * that looked at them would refuse the value) */
		tail_text(buf, x, round, n, ",\n\"-0123456789", pick);
		int64_t a = 0, b = 0;
		int ra = cs_parse_int(buf + 8, n, &a), rb = cs_parse_int_tail(buf + 8, n, &b);
		wrong += ra != rb || (ra && a != b);
		ok += ra;
		checked++;
	}
	/* every value of up to 4 digits, and each length's extremes, signed */
	static const int64_t ends[] = { 9999999, 10000000, 99999999, 100000000, 12345678 };
	for (int64_t v = -9999; v <= 9999 + 5; v++) {
		int64_t want = v <= 9999 ? v : ends[v - 10000];
		for (int sign = 0; sign < 2; sign++) {
			int64_t w = sign ? -want : want, got = 0;
			int n = snprintf(buf + 8, sizeof(buf) - 8, "%lld", (long long)w);
			memset(buf, '7', 8);
			wrong += !cs_parse_int_tail(buf + 8, (size_t)n, &got) || got != w;
			checked++;
		}
	}
	CU_ASSERT_TRUE(ok > 50000); /* the values that parse were many */
	CU_ASSERT_TRUE(checked > 400000);
	CU_ASSERT_EQUAL(wrong, 0);
}

/* cs_parse_double_tail reads the 8 bytes up to a value's end: it must give
 * cs_parse_double's answer and the same double, bit for bit, whatever the
 * bytes before the value and whatever it holds (digits, dots, signs,
 * exponents, leading zeros, any byte), and whatever its length */
static void test_parse_double_tail(void)
{
	static const char pick[] = "0123456789.0123456789.-0.e+5";
	char buf[40];
	uint64_t x = 0x243f6a8885a308d3ull, checked = 0, wrong = 0, ok = 0, frac = 0;
	for (unsigned round = 0; round < 600000; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t n = (size_t)(x % 13); /* 0-12 bytes: past 8 after a sign too */
		uint64_t y = tail_text(buf, x, round, n, ",\n\"-.0123456789", pick);
		if (round % 5 == 0 && n > 1) /* a decimal of the common form */
			for (size_t k = 0; k < n; k++)
				buf[8 + k] = k == (size_t)(y >> 40) % n ? '.' : (char)('0' + (y >> (k * 4)) % 10);
		double a = 0, b = 0;
		int ra = cs_parse_double(buf + 8, n, &a), rb = cs_parse_double_tail(buf + 8, n, &b);
		wrong += ra != rb || (ra && memcmp(&a, &b, sizeof(a)) != 0) ||
		         cs_parse_double_tail(buf + 8, n, NULL) != ra;
		ok += ra;
		frac += ra && memchr(buf + 8, '.', n) != NULL;
		checked++;
	}
	CU_ASSERT_TRUE(ok > 100000);
	CU_ASSERT_TRUE(frac > 50000);
	CU_ASSERT_EQUAL(wrong, 0);
}

/* integers and decimals at the very start of a buffer of their own size
 * (ASan sees a read before it): the 8-byte tail read only with 8 bytes
 * there; the fourth of each is no number */
static void test_tails_at_start(void)
{
	static const char *const ints[] = { "42", "-1234567", "12345678", "1234567a", "-12345678" };
	static const int64_t iwant[] = { 42, -1234567, 12345678, 0, -12345678 };
	static const char *const decs[] = { "4.2", "-1234.567", "12345.678", "1.34567a", "-0.5" };
	static const double dwant[] = { 4.2, -1234.567, 12345.678, 0, -0.5 };
	for (unsigned k = 0; k < 5; k++) {
		size_t ni = strlen(ints[k]), nd = strlen(decs[k]);
		char *ti = malloc(ni), *td = malloc(nd);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ti);
		CU_ASSERT_PTR_NOT_NULL_FATAL(td);
		memcpy(ti, ints[k], ni);
		memcpy(td, decs[k], nd);
		int64_t iv = 0;
		double dv = 0;
		int gi = cs_parse_int_in(ti, ni, ti, &iv), gd = cs_parse_double_in(td, nd, td, &dv);
		CU_ASSERT_EQUAL(gi, k != 3);
		CU_ASSERT_TRUE(!gi || iv == iwant[k]);
		CU_ASSERT_EQUAL(gd, k != 3);
		CU_ASSERT_TRUE(!gd || dv == dwant[k]);
		free(ti);
		free(td);
	}
}

static void test_parsers(void)
{
	int64_t v;
	double d;
	CU_ASSERT_TRUE(cs_parse_int("0", 1, &v) && v == 0);
	CU_ASSERT_FALSE(cs_parse_int("", 0, &v));
	CU_ASSERT_FALSE(cs_parse_int("-", 1, &v));
	CU_ASSERT_FALSE(cs_parse_int("+1", 2, &v));
	CU_ASSERT_FALSE(cs_parse_int("1 ", 2, &v));
	CU_ASSERT_FALSE(cs_parse_int("99999999999999999999", 20, &v));
	CU_ASSERT_TRUE(cs_parse_double("123456789012345", 15, &d) && d == 123456789012345.0);
	CU_ASSERT_TRUE(cs_parse_double("1234567890123456", 16, &d) && d == 1234567890123456.0);
	/* 16-17 digits: only the shortest text of a double */
	CU_ASSERT_TRUE(cs_parse_double("0.30000000000000004", 19, &d) && d == 0.1 + 0.2);
	CU_ASSERT_TRUE(cs_parse_double("23.983333333333334", 18, &d) && d == strtod("23.983333333333334", NULL));
	CU_ASSERT_TRUE(cs_parse_double("-14481538.866119424", 19, &d) && d == -14481538.866119424);
	CU_ASSERT_TRUE(cs_parse_double("1.2345678901234560", 18, &d) && d == 1.234567890123456);
	CU_ASSERT_FALSE(cs_parse_double("0.30000000000000003", 19, &d)); /* reads back ...04 */
	CU_ASSERT_FALSE(cs_parse_double("1.0000000000000001", 18, &d));  /* reads back 1 */
	CU_ASSERT_FALSE(cs_parse_double("9007199254740993", 16, &d));    /* 2^53 + 1 */
	CU_ASSERT_FALSE(cs_parse_double("1.23456789012345678", 19, &d)); /* 18 digits */
	CU_ASSERT_TRUE(cs_parse_double("0.000000000000000000000000001", 29, &d) && d == 1e-27);
	CU_ASSERT_TRUE(cs_parse_double("1e300", 5, &d) && d == 1e300);
	CU_ASSERT_FALSE(cs_parse_double("1e400", 5, &d));
	CU_ASSERT_TRUE(cs_parse_double("1.797e308", 9, &d) && d == 1.797e308);
	CU_ASSERT_FALSE(cs_parse_double("1.8e308", 7, &d)); /* past DBL_MAX */
	CU_ASSERT_FALSE(cs_parse_double_lenient("1e400", 5, &d)); /* --schema: an error, not inf */
	CU_ASSERT_TRUE(cs_parse_double_lenient("-inf", 4, &d) && isinf(d) && d < 0);
	CU_ASSERT_FALSE(cs_parse_double(".", 1, &d));
	CU_ASSERT_FALSE(cs_parse_double("1e", 2, &d));
	CU_ASSERT_FALSE(cs_parse_double("nan", 3, &d));
	CU_ASSERT_TRUE(cs_parse_double(".5", 2, &d) && d == 0.5);
	/* every 2-decimal price comes back exactly */
	int bad = 0;
	for (int c = 0; c < 100000; c++) {
		char buf[32], back[32];
		int n = snprintf(buf, sizeof(buf), "%d.%02d", c / 100, c % 100);
		if (!cs_parse_double(buf, (size_t)n, &d))
			bad++;
		snprintf(back, sizeof(back), "%.2f", d);
		bad += strcmp(buf, back) != 0 || d != strtod(buf, NULL);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(cs_parse_date("2000-02-29", 10, &v) && v == 11016);
	CU_ASSERT_FALSE(cs_parse_date("1900-02-29", 10, &v));
	CU_ASSERT_TRUE(cs_parse_date("1969-12-31", 10, &v) && v == -1);
	CU_ASSERT_TRUE(cs_parse_timestamp("1969-12-31T23:59:59.999999", 26, &v) && v == -1);
	CU_ASSERT_FALSE(cs_parse_timestamp("2024-01-01T24:00:00", 19, &v));
	int b;
	CU_ASSERT_TRUE(cs_parse_bool("TrUe", 4, &b) && b == 1);
	CU_ASSERT_FALSE(cs_parse_bool("yes", 3, &b));
	/* every 4- and 5-byte text that differs from true/false in one byte
	 * (any value, every position) against a plain case-folding compare,
	 * and the same text one byte shorter, never a bool */
	unsigned wrong = 0;
	for (unsigned w = 0; w < 2; w++) {
		const char *base = w ? "false" : "true";
		size_t n = strlen(base);
		for (size_t at = 0; at < n; at++)
			for (unsigned ch = 0; ch < 256; ch++) {
				char t[6];
				memcpy(t, base, n);
				t[at] = (char)ch;
				int want = 1;
				for (size_t k = 0; k < n; k++)
					want &= tolower((unsigned char)t[k]) == base[k];
				int got = cs_parse_bool(t, n, &b);
				wrong += got != want || (got && b != !w);
				wrong += cs_parse_bool(t, n - 1, &b); /* "fals", "tru" */
			}
	}
	CU_ASSERT_EQUAL(wrong, 0);
}

/* ---- several inputs ---------------------------------------------------- */

/* import n texts as files in1.csv ... (compressed with gzip where gz[k]);
 * the dump, or NULL with *rc and *e */
static char *imp_files(const char *const *texts, int n, const int *gz,
                       colstore_import_options *o, int *rc, colstore_error *e)
{
	colstore_import_options def = COLSTORE_IMPORT_OPTIONS_INIT;
	if (!o)
		o = &def;
	o->on_warning = count_warning;
	nwarnings = 0;
	allwarnings[0] = '\0';
	char names[8][64];
	const char *paths[8];
	for (int k = 0; k < n; k++) {
		snprintf(names[k], sizeof(names[k]), "%s", tu_path(""));
		size_t l = strlen(names[k]);
		snprintf(names[k] + l, sizeof(names[k]) - l, "in%d.csv", k + 1);
		paths[k] = names[k];
		size_t len = strlen(texts[k]);
		if (gz && gz[k]) {
			static unsigned char buf[1 << 18];
			z_stream z;
			memset(&z, 0, sizeof(z));
			CU_ASSERT_EQUAL_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
			                      Z_OK);
			z.next_in = (Bytef *)texts[k];
			z.avail_in = (uInt)len;
			z.next_out = buf;
			z.avail_out = sizeof(buf);
			CU_ASSERT_EQUAL(deflate(&z, Z_FINISH), Z_STREAM_END);
			tu_write_file(paths[k], buf, sizeof(buf) - z.avail_out);
			deflateEnd(&z);
		} else {
			tu_write_file(paths[k], texts[k], len);
		}
	}
	const char *out = tu_path("out.colstore");
	unlink(out);
	colstore_import_result res;
	*rc = colstore_import_files(paths, (size_t)n, out, o, &res, e);
	char *d = NULL;
	if (*rc == COLSTORE_OK) {
		last_res = res;
		int r2;
		d = tu_lib_dump_file(out, &r2, e);
	} else {
		CU_ASSERT_EQUAL(access(out, F_OK), -1); /* nothing left behind */
		CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), n);
	}
	for (int k = 0; k < n; k++)
		unlink(paths[k]);
	unlink(out);
	return d;
}

static void expect_files(const char *const *texts, int n, colstore_import_options *o,
                         const char *want)
{
	int rc;
	colstore_error e;
	char *d = imp_files(texts, n, NULL, o, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	if (rc)
		fprintf(stderr, "\n  import failed: %s\n", e.message);
	int ok = d && has_lines(d, want);
	CU_ASSERT_TRUE(ok);
	if (d && !ok)
		fprintf(stderr, "\n  wanted:\n%s  got:\n%s", want, d);
	free(d);
}

static void expect_files_error(const char *const *texts, int n, colstore_import_options *o,
                               int code, uint64_t line, uint64_t col, const char *msg)
{
	int rc;
	colstore_error e;
	memset(&e, 0, sizeof(e));
	char *d = imp_files(texts, n, NULL, o, &rc, &e);
	failed_as(d, rc, &e, code, line, col, msg);
}

static void test_files(void)
{
	/* columns matched by name in any order; types over every input */
	static const char *const two[] = { "id,name,price\n1,a,1\n2,b,2\n",
		                           "price,name,id\n2.5,c,300\n" };
	expect_files(two, 2, NULL,
	             "rows 3 columns 3 row_groups 1 row_group_size 65536\ncolumn 0 id int16\ncolumn 1 name string\n"
	             "column 2 price float64\nr0 c0 1\nr0 c2 1\nr2 c0 300\nr2 c1 \"c\"\nr2 c2 2.5\n");
	/* a value of another type in the second input: a string, and the
	 * warning names that input and line */
	static const char *const str[] = { "id,v\n1,2\n", "id,v\n2,3\n3,x\n" };
	expect_files(str, 2, NULL, "column 1 v string\nr2 c1 \"x\"\n");
	CU_ASSERT_PTR_NOT_NULL(strstr(allwarnings, "in2.csv:3: column 'v' is a string from this "
	                                            "value on: 'x'"));
	/* an integer column in one input and a date column in another */
	static const char *const mixed[] = { "d\n1\n", "d\n2000-01-02\n" };
	expect_files(mixed, 2, NULL, "column 0 d string\nr0 c0 \"1\"\nr1 c0 \"2000-01-02\"\n");
	/* columns that differ: an error naming the input and the column */
	static const char *const lacks[] = { "a,b\n1,2\n", "b\n3\n" };
	expect_files_error(lacks, 2, NULL, COLSTORE_EPARSE, 0, 0,
	                   "in2.csv has no column 'a', which ");
	static const char *const more[] = { "a,b\n1,2\n", "b,c,a\n3,4,5\n" };
	expect_files_error(more, 2, NULL, COLSTORE_EPARSE, 0, 0, "in2.csv: column 'c' is not in ");
	/* --union: every column, null where an input lacks it */
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.union_columns = 1;
	static const char *const un[] = { "a,b\n1,2\n", "b,c,a\n3,x,5\n", "c\ny\n" };
	expect_files(un, 3, &o,
	             "rows 3 columns 3 row_groups 1 row_group_size 65536\ncolumn 0 a int8\ncolumn 1 b int8\ncolumn 2 c string\n"
	             "r0 c0 1\nr0 c1 2\nr0 c2 null\nr1 c0 5\nr1 c1 3\nr1 c2 \"x\"\n"
	             "r2 c0 null\nr2 c1 null\nr2 c2 \"y\"\n");
	/* on two threads too, with the batches' columns in the table's order */
	o.threads = 2;
	expect_files(un, 3, &o, "r1 c0 5\nr1 c1 3\nr1 c2 \"x\"\nr2 c0 null\nr2 c2 \"y\"\n");
	/* an error in the second input: its name, line and field */
	static const char *const bad[] = { "a,b\n1,2\n", "a,b\n3,4\n5\n" };
	expect_files_error(bad, 2, NULL, COLSTORE_EPARSE, 3, 1,
	                   "in2.csv:3:1: row has 1 fields, expected 2");
	/* an empty input and a header-only one add nothing; the first that is
	 * not empty names the columns */
	static const char *const empty[] = { "", "a,b\n", "a,b\n1,2\n" };
	expect_files(empty, 3, NULL, "rows 1 columns 2 row_groups 1 row_group_size 65536\ncolumn 0 a int8\nr0 c0 1\nr0 c1 2\n");
	/* no header: the first input decides, and columns go by position */
	static const char *const nohead[] = { "1,2\n", "3,4\n" };
	expect_files(nohead, 2, NULL, "rows 2 columns 2 row_groups 1 row_group_size 65536\ncolumn 0 column_1 int8\nr1 c0 3\nr1 c1 4\n");
	/* the rejects file names each row's input */
	const char *rej = tu_path("rejects.csv");
	colstore_import_options lo = COLSTORE_IMPORT_OPTIONS_INIT;
	lo.rejects_path = rej;
	lo.lenient = 1;
	static const char *const junk[] = { "a,b\n1,2\n1,2,3\n", "a,b\n3,4\n5,6,7\n" };
	int rc;
	colstore_error e;
	char *d = imp_files(junk, 2, NULL, &lo, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	CU_ASSERT_TRUE(d && has_lines(d, "rows 2 columns 2 row_groups 1 row_group_size 65536\nr1 c0 3\n"));
	free(d);
	size_t n;
	unsigned char *t = tu_read_file(rej, &n);
	CU_ASSERT_TRUE(t && n > 40 && strstr((char *)t, "in1.csv\",3,") &&
	               strstr((char *)t, "in2.csv\",3,"));
	free(t);
	unlink(rej);
}

typedef struct {
	uint64_t total, most, reports, over, back;
} files_progress;

static int files_progress_cb(void *ctx, const colstore_import_progress *p)
{
	files_progress *f = ctx;
	if (p->pass != 2)
		return 0;
	f->total = p->bytes_total;
	f->over += p->bytes_done > p->bytes_total;
	f->back += p->bytes_done < f->most;
	f->most = p->bytes_done > f->most ? p->bytes_done : f->most;
	f->reports++;
	return 0;
}

/* the writing pass's progress over several inputs, at 1 thread (each input
 * through pass 2 in turn) and 2 (one pipeline): never past the inputs' size
 * nor back, and into the last input (the 1-thread path added each input's
 * size twice) */
static void test_files_progress(void)
{
	enum { N = 3, ROWS = 70000 }; /* past 65,536: rows one at a time report then */
	char names[N][512];
	const char *paths[N];
	uint64_t sizes[N], all = 0;
	for (int k = 0; k < N; k++) {
		snprintf(names[k], sizeof(names[k]), "%s", tu_path(""));
		size_t l = strlen(names[k]);
		snprintf(names[k] + l, sizeof(names[k]) - l, "prog%d.csv", k + 1);
		paths[k] = names[k];
		FILE *f = fopen(paths[k], "w");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fprintf(f, "id,name\n");
		for (int r = 0; r < ROWS; r++)
			fprintf(f, "%d,n%d\n", k * ROWS + r, r % 97);
		sizes[k] = (uint64_t)ftell(f);
		all += sizes[k];
		fclose(f);
	}
	const char *out = tu_path("prog.colstore");
	for (uint32_t v = 0; v < 3; v++) { /* 1 thread, 2, and rows one at a time */
		files_progress fp;
		memset(&fp, 0, sizeof(fp));
		colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
		o.threads = v == 1 ? 2 : 1;
		o.on_progress = files_progress_cb;
		o.ctx = &fp;
		colstore_import_result res;
		cs_imp_rowwise = v == 2;
		CU_ASSERT_EQUAL(colstore_import_files(paths, N, out, &o, &res, NULL), COLSTORE_OK);
		cs_imp_rowwise = 0;
		CU_ASSERT_EQUAL(res.rows, (uint64_t)N * ROWS);
		CU_ASSERT_EQUAL(fp.total, all);
		CU_ASSERT(fp.reports >= N);
		CU_ASSERT_EQUAL(fp.over, 0);
		CU_ASSERT_EQUAL(fp.back, 0);
		CU_ASSERT(fp.most > all - sizes[N - 1] && fp.most <= all);
		unlink(out);
	}
	for (int k = 0; k < N; k++)
		unlink(paths[k]);
}

/* several inputs, compressed or not, on any thread count, give the file
 * their text as one input gives */
static void test_files_same(void)
{
	enum { N = 4 };
	char *parts[N];
	size_t cap = 1 << 20;
	tu_buf whole = { 0 };
	tu_printf(&whole, "id,name,v,when\n");
	int row = 0;
	for (int k = 0; k < N; k++) {
		parts[k] = malloc(cap);
		size_t len = (size_t)snprintf(parts[k], cap, "id,name,v,when\n");
		for (int i = 0; i < 500 * (k + 1); i++, row++) {
			char line[128];
			snprintf(line, sizeof(line), "%d,\"n%d\nx\",%s,2020-01-%02d\n", row, row % 13,
			         k == 2 && i == 7 ? "1.5" : "7", 1 + row % 28);
			len += (size_t)snprintf(parts[k] + len, cap - len, "%s", line);
			tu_printf(&whole, "%s", line);
		}
	}
	const char *w1[] = { whole.p };
	int rc;
	colstore_error e;
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.writer.row_group_size = 300;
	char *one = imp_files(w1, 1, NULL, &o, &rc, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_TRUE(strncmp(one, "rows 5000 columns 4 row_groups 17 ", 34) == 0);
	CU_ASSERT_TRUE(has_lines(one, "column 2 v float64\n"));
	static const int gz[N] = { 0, 1, 0, 1 };
	for (uint32_t t = 1; t <= 3; t++) {
		o.threads = t;
		char *d = imp_files((const char *const *)parts, N, gz, &o, &rc, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_TRUE(d && strcmp(d, one) == 0);
		free(d);
	}
	free(one);
	for (int k = 0; k < N; k++)
		free(parts[k]);
	free(whole.p);
}

/* import text into the file at out (appending when o->append) */
static int imp_into(const char *text, const char *out, colstore_import_options *o,
                    colstore_error *e)
{
	const char *in = tu_path("in.csv");
	tu_write_file(in, text, strlen(text));
	o->on_warning = count_warning;
	int rc = colstore_import_csv(in, out, o, &last_res, e);
	unlink(in);
	return rc;
}

static int same_file(const char *path, const unsigned char *p, size_t n)
{
	size_t m;
	unsigned char *q = tu_read_file(path, &m);
	int same = q && m == n && memcmp(p, q, n) == 0;
	free(q);
	return same;
}

static void test_import_append(void)
{
	char out[512]; /* (tu_path's buffer is reused) */
	snprintf(out, sizeof(out), "%s", tu_path("events.colstore"));
	unlink(out);
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.append = 1; /* a missing file is created */
	o.writer.row_group_size = 2;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(imp_into("id,name,price\n1,a,1.5\n2,b,2\n3,c,7\n", out, &o, &e),
	                      COLSTORE_OK);
	/* columns by name, the file's types (int8 id, float64 price) */
	o.writer.row_group_size = 0;
	o.threads = 2;
	CU_ASSERT_EQUAL(imp_into("price,id,name\n4,4,d\n5.25,5,a\n", out, &o, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(last_res.rows, 2);
	int rc;
	char *d = tu_lib_dump_file(out, &rc, NULL);
	CU_ASSERT_TRUE(d && has_lines(d, "rows 5 columns 3 row_groups 3 row_group_size 2\n"
	                                  "column 0 id int8\ncolumn 1 name string\n"
	                                  "column 2 price float64\nr2 c0 3\nr3 c0 4\nr3 c1 \"d\"\n"
	                                  "r3 c2 4\nr4 c0 5\nr4 c1 \"a\"\nr4 c2 5.25\n"));
	free(d);
	size_t n;
	unsigned char *p = tu_read_file(out, &n);
	/* a value the file's type cannot hold: an error with its line; the
	 * file as it was */
	struct {
		const char *csv;
		int code;
		uint64_t line;
		const char *msg;
	} bad[] = {
		{ "id,name,price\n6,e,1\n300,f,2\n", COLSTORE_EPARSE, 3, "'300' is not a valid int8" },
		{ "id,name,price\n6,e,x\n", COLSTORE_EPARSE, 2, "'x' is not a valid float64" },
		{ "id,name,price,more\n6,e,1,2\n", COLSTORE_EPARSE, 0,
		  "column 'more' is not in " },
		{ "id,name\n6,e\n", COLSTORE_EPARSE, 0, "has no column 'price'" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(&e, 0, sizeof(e));
		CU_ASSERT_EQUAL(imp_into(bad[k].csv, out, &o, &e), bad[k].code);
		CU_ASSERT_EQUAL(e.line, bad[k].line);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.message, bad[k].msg));
		if (!strstr(e.message, bad[k].msg))
			fprintf(stderr, "\n  got '%s'\n", e.message);
		CU_ASSERT_TRUE(same_file(out, p, n));
	}
	static const char *const sn[] = { "id" };
	static const colstore_type st[] = { COLSTORE_TYPE_INT64 };
	o.n_schema = 1;
	o.schema_names = sn;
	o.schema_types = st;
	CU_ASSERT_EQUAL(imp_into("id,name,price\n6,e,1\n", out, &o, &e), COLSTORE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "column 'id' is int8 in "));
	CU_ASSERT_TRUE(same_file(out, p, n));
	o.n_schema = 0;
	/* --union: a column the input lacks is null; --lenient: a bad value is
	 * a rejected row */
	o.union_columns = 1;
	o.lenient = 1;
	rc = imp_into("name,id\ng,7\nh,700\n", out, &o, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	if (rc)
		fprintf(stderr, "\n  union append: %s\n", e.message);
	CU_ASSERT_EQUAL(last_res.rows, 1);
	CU_ASSERT_EQUAL(last_res.rejected, 1);
	d = tu_lib_dump_file(out, &rc, NULL);
	CU_ASSERT_TRUE(d && has_lines(d, "rows 6 columns 3 row_groups 3 row_group_size 2\n"
	                                  "r5 c0 7\nr5 c1 \"g\"\nr5 c2 null\n"));
	free(d);
	free(p);
	unlink(out);
}

void register_import_tests(void)
{
	CU_pSuite s = CU_add_suite("import", NULL, NULL);
	CU_add_test(s, "type inference: every type, narrowest ints", test_infer_types);
	CU_add_test(s, "float parsing: the short decimals' fast path against the full parser",
	            test_parse_double_paths);
	CU_add_test(s, "inference rules: leading zeros, int64 bounds, mixes, precision",
	            test_infer_rules);
	CU_add_test(s, "a late float widens the whole column", test_widening_late);
	CU_add_test(s, "nulls, empty strings, --null", test_nulls);
	CU_add_test(s, "quoting, line endings, BOM, blank lines, raw bytes", test_quoting);
	CU_add_test(s, "delimiter detection and override", test_delimiters);
	CU_add_test(s, "header detection and name fixes", test_header);
	CU_add_test(s, "what made a column a string, and repeated headers, are named", test_explain);
	CU_add_test(s, "schema, --no-infer", test_schema);
	CU_add_test(s, "errors with line and field, nothing left behind", test_errors);
	CU_add_test(s, "1 to 8 threads give the same file; cuts inside quotes", test_threads);
	CU_add_test(s, "work units against rows one at a time: the same errors, files, rejects",
	            test_units_rowwise);
	CU_add_test(s, "bad values in several columns of a batch: the first by row, then column",
	            test_batch_error_order);
	CU_add_test(s, "DICT or PLAIN from the distinct-count estimate", test_encoding_choice);
	CU_add_test(s, "value parsers", test_parsers);
	CU_add_test(s, "integers read 8 bytes at a time", test_parse_int_tail);
	CU_add_test(s, "decimals read 8 bytes at a time", test_parse_double_tail);
	CU_add_test(s, "integers and decimals at the start of their buffer", test_tails_at_start);
	CU_add_test(s, "ISO dates and timestamps against a byte-at-a-time reference",
	            test_parse_stamps);
	CU_add_test(s, "the memo of a timestamp: runs, and values a byte away", test_parse_stamp_runs);
	CU_add_test(s, "lenient: padded, trimmed and rejected rows, the rejects file", test_lenient);
	CU_add_test(s, "lenient: a second table, a repeated header", test_tables);
	CU_add_test(s, "dates in other spellings: inferred, formats, never D/M/Y guessed", test_dates);
	CU_add_test(s, "gzip, zstd and LZ4 input, by magic bytes", test_compressed);
	CU_add_test(s, "a compressed input read as it is decompressed", test_streamed);
	CU_add_test(s, "several inputs: columns by name, --union, errors naming the input",
	            test_files);
	CU_add_test(s, "several inputs give the file their text as one input gives", test_files_same);
	CU_add_test(s, "several inputs: the writing pass's progress", test_files_progress);
	CU_add_test(s, "--append: the file's columns and types, or an error and the file as it was",
	            test_import_append);
	CU_add_test(s, "dialects given and detected: delimiter, quote, escape, comment, "
	               "preamble, header lines, encoding", test_dialect);
}
