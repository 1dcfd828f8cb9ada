/*
 * oracle.c -- a randomized differential test of import, filters, scans and
 * aggregation, with SQLite as the oracle.
 *
 * Each table is generated from (seed, table number): columns of every type
 * the import infers (and float32 through a schema), nulls at 0, ~5, ~50 and
 * 100 %, sorted and unsorted values, integers of every width up to the
 * int64 limits, dictionaries that grow past 256 and 65,536 entries (so that
 * early row groups hold 1-byte codes and later ones 2 or 4), dates and
 * timestamps in every accepted spelling.  The table is written as a CSV and
 * imported with colstore_import_csv() (random row-group size, compression,
 * dictionary budget and import threads); the same values go into an
 * in-memory SQLite table with typed binds (dates as days and timestamps as
 * microseconds, bools as 0/1, as colstore compares them).  The import is
 * checked first: each column's type against the README's inference rules
 * and every value read back.  Then random queries run on both:
 *   - colstore_agg_* (count(*), count, sum, min, max, avg; 0-3 group-by
 *     columns; 1-4 threads; sometimes a small memory limit), compared
 *     group by group in colstore's order (keys sorted, nulls last);
 *   - the filter alone (colstore_filter_may_match + colstore_filter_eval),
 *     compared row by row with SQLite's matching rowids;
 *   - scans: some columns of the matching rows, up to a limit, read through
 *     colstore_reader_values(), and now and then through the command line
 *     (`colstore scan -f csv`).
 * A query that colstore rejects must be one the generator made to be
 * rejected (sum of a string, a date literal that is no date, ...), and vice
 * versa.  Semantics that differ on purpose are bridged here, not hidden:
 * integer sums are exact (the overflow check is on the final sum: the
 * SQLite side uses an exact 128-bit sum, isum), float sums and averages are
 * compared within a bound scaled by the sum of |x| (colstore rounds an
 * exact sum once, SQLite adds in order), everything else exactly.
 *
 * A mismatch prints the seed, the table, the query as command lines and
 * both answers, then shrinks the query and the table (columns, rows) while
 * the mismatch remains and prints the smallest case, its CSV kept on disk.
 *
 *   oracle [--seed N] [--tables N] [--queries N] [--table K] [--cli PATH]
 *          [--seconds S] [--no-float17] [--keep] [--verbose]
 * --queries is the total, shared out among the tables (the tables of the
 * regressions list run first, with as many); --seconds starts no new table
 * after S seconds; --table K runs table K of the seed alone; ORACLE_DEBUG=1
 * in the environment prints each aggregation's SQL and binds.
 * The last line is "N passed, M failed" (queries that agreed, and queries
 * and imports that did not); exit status 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "internal.h" /* cs_agg_worker_bytes: workers even on small files */

/* 16- and 17-digit shortest round-trip floats (0.30000000000000004) in the
 * tables: the import infers them as float64 (it used to keep them as
 * strings; both are accepted, see expect_type); 0 or --no-float17 leaves
 * every float at 15 digits */
#define ORACLE_FLOAT17 1

/* tables that found bugs, run first in every run (but --table K's).  A
 * table is a function of (seed, number) and of this file's generator:
 * when the generator changes, check that each entry still shows its bug on
 * the library before the fix, or find the new (seed, table) that does. */
static const struct { uint64_t seed; int table; } regressions[] = {
	/* = 'k01825' on a sorted dictionary of 3,875 entries, row groups of
	 * 197: 1-byte code chunks tested against a range of wider codes
	 * (fixed in src/expr.c, 88a9b39) */
	{ 20261201, 3 },
	/* sum(float64) over values 2^70 apart: the spill to plain double
	 * addition added a shifted mantissa with its unshifted exponent
	 * (src/fsum.c cs_fsum_add_bin) */
	{ 1, 27 },
	/* int64 x != 3030187452485507382.5: statistics compared as doubles
	 * ruled out the row group of x = 3030187452485507382
	 * (src/expr.c cs_node_may) */
	{ 4, 2 },
};

/* ---- utilities ------------------------------------------------------------- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xcalloc(size_t n, size_t k)
{
	void *p = calloc(n ? n : 1, k ? k : 1);
	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			fprintf(stderr, "oracle: out of memory\n");
			exit(2);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		sb_put(b, tmp, (size_t)n);
		return;
	}
	char *big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_put(b, big, (size_t)n);
	free(big);
}

static void sb_clear(sbuf *b)
{
	b->n = 0;
	if (b->p)
		b->p[0] = '\0';
}

static const char *sb_cstr(const sbuf *b) { return b->p ? b->p : ""; }

/* a byte string for messages: printable ASCII kept, the rest escaped */
static void sb_bytes(sbuf *b, const char *s, size_t n)
{
	sb_str(b, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			sb_put(b, s + i, 1);
		else
			sb_printf(b, "\\x%02x", c);
	}
	sb_str(b, "\"");
}

/* 'text' for a shell command line */
static void sb_shq(sbuf *b, const char *s)
{
	sb_str(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			sb_str(b, "'\\''");
		else
			sb_put(b, s, 1);
	}
	sb_str(b, "'");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- random numbers (xoshiro256**, seeded by splitmix64) ----------------------- */

static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static uint64_t rn(uint64_t n) { return n ? rnd() % n : 0; }
static int chance(int pct) { return (int)rn(100) < pct; }

static int64_t rrange(int64_t lo, int64_t hi) /* inclusive */
{
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	if (span == UINT64_MAX)
		return (int64_t)rnd();
	return (int64_t)((uint64_t)lo + rn(span + 1));
}

static double runit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* ---- dates ---------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;
	const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *yy, int *mm, int *dd)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const int64_t mp = (5 * doy + 2) / 153;
	const int64_t d = doy - (153 * mp + 2) / 5 + 1;
	const int64_t m = mp < 10 ? mp + 3 : mp - 9;
	*yy = (int)(yoe + era * 400 + (m <= 2));
	*mm = (int)m;
	*dd = (int)d;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

#define US_DAY INT64_C(86400000000)

static void fmt_date(char *buf, size_t n, int64_t days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

/* a date in another spelling the import infers (README "Dates in other
 * spellings"): 0 ISO, 1 2000/01/31, 2 Jan 31 2000, 3 31 January 2000 */
static void fmt_date_spelled(char *buf, size_t n, int64_t days, int spelling)
{
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const char *const month[12] = { "January", "february", "MARCH", "April", "May", "June",
		                               "July", "August", "September", "October", "November", "December" };
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	if (spelling == 1)
		snprintf(buf, n, "%04d/%02d/%02d", y, m, d);
	else if (spelling == 2)
		snprintf(buf, n, "%s %d %04d", mon[m - 1], d, y);
	else if (spelling == 3)
		snprintf(buf, n, "%d %s %04d", d, month[m - 1], y);
	else
		fmt_date(buf, n, days);
}

/* a timestamp in one of the accepted spellings: 'T' or ' ', seconds and
 * fractions only when needed (or not), a zone Z, +HH:MM or -HHMM (the
 * fields then in that zone's local time), or a bare date at midnight */
static void fmt_ts(char *buf, size_t n, int64_t us, int style)
{
	int off_min = 0, zone = style & 3;
	if (zone >= 2)
		off_min = (int)((style >> 4) % 1500) - 720; /* -12:00 .. +12:59 */
	int64_t local = us + (int64_t)off_min * 60 * 1000000;
	int64_t days = floordiv(local, US_DAY), rem = local - days * US_DAY;
	int64_t frac = rem % 1000000, secs = rem / 1000000;
	int hh = (int)(secs / 3600), mi = (int)(secs / 60 % 60), ss = (int)(secs % 60);
	char date[16];
	fmt_date(date, sizeof(date), days);
	if (zone == 0 && rem == 0 && (style & 4)) {
		snprintf(buf, n, "%s", date);
		return;
	}
	char tbuf[40];
	int o = snprintf(tbuf, sizeof(tbuf), "%s%c%02d:%02d", date, (style & 8) ? ' ' : 'T', hh, mi);
	if (ss || frac || (style & 4)) {
		o += snprintf(tbuf + o, sizeof(tbuf) - (size_t)o, ":%02d", ss);
		if (frac) {
			char f[8];
			snprintf(f, sizeof(f), "%06d", (int)frac);
			int fl = 6;
			while (fl > 1 && f[fl - 1] == '0' && !(style & 0x80))
				fl--;
			o += snprintf(tbuf + o, sizeof(tbuf) - (size_t)o, ".%.*s", fl, f);
		}
	}
	if (zone == 1) {
		snprintf(buf, n, "%sZ", tbuf);
	} else if (zone >= 2) {
		int a = off_min < 0 ? -off_min : off_min;
		if (style & 0x40)
			snprintf(buf, n, "%s%c%02d%02d", tbuf, off_min < 0 ? '-' : '+', a / 60, a % 60);
		else
			snprintf(buf, n, "%s%c%02d:%02d", tbuf, off_min < 0 ? '-' : '+', a / 60, a % 60);
	} else {
		snprintf(buf, n, "%s", tbuf);
	}
}

static int num2(const char *p, int k, int *v)
{
	int acc = 0;
	for (int i = 0; i < k; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		acc = acc * 10 + (p[i] - '0');
	}
	*v = acc;
	return 1;
}

/* the date and timestamp forms of the README; used for the CLI's output */
static int parse_date(const char *p, size_t n, int64_t *days)
{
	int y, m, d;
	static const int md[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (n != 10 || p[4] != '-' || p[7] != '-' || !num2(p, 4, &y) || !num2(p + 5, 2, &m) ||
	    !num2(p + 8, 2, &d) || m < 1 || m > 12 || d < 1 || d > md[m])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 1;
}

static int parse_ts(const char *p, size_t n, int64_t *us)
{
	int64_t days;
	int hh = 0, mi = 0, ss = 0, oh, om;
	int64_t frac = 0;
	if (n < 10 || !parse_date(p, 10, &days))
		return 0;
	size_t i = 10;
	if (n > 10) {
		if (n < 16 || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' || !num2(p + 11, 2, &hh) ||
		    !num2(p + 14, 2, &mi) || hh > 23 || mi > 59)
			return 0;
		i = 16;
		if (i < n && p[i] == ':') {
			if (n < 19 || !num2(p + 17, 2, &ss) || ss > 59)
				return 0;
			i = 19;
			if (i < n && p[i] == '.') {
				int fd = 0;
				for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, fd++) {
					if (fd >= 6)
						return 0;
					frac = frac * 10 + (p[i] - '0');
				}
				if (!fd)
					return 0;
				for (; fd < 6; fd++)
					frac *= 10;
			}
		}
	}
	int64_t t = days * 86400 + hh * 3600 + mi * 60 + ss;
	if (i < n && p[i] == 'Z') {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int sign = p[i] == '-' ? -1 : 1;
		if (n - i == 6 && p[i + 3] == ':' && num2(p + i + 1, 2, &oh) && num2(p + i + 4, 2, &om))
			i += 6;
		else if (n - i == 5 && num2(p + i + 1, 2, &oh) && num2(p + i + 3, 2, &om))
			i += 5;
		else
			return 0;
		t -= sign * (oh * 3600 + om * 60);
	}
	if (i != n)
		return 0;
	*us = t * 1000000 + frac;
	return 1;
}

/* `-?(0|[1-9][0-9]*)` within int64: the import's integer syntax */
static int int_syntax(const char *s, size_t n, int64_t *v)
{
	size_t i = s[0] == '-';
	if (n == i || n - i > 19)
		return 0;
	if (s[i] == '0' && n - i > 1)
		return 0;
	if (s[0] == '-' && n == 2 && s[1] == '0')
		return 0;
	for (size_t k = i; k < n; k++)
		if (s[k] < '0' || s[k] > '9')
			return 0;
	char buf[24];
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	long long x = strtoll(buf, NULL, 10);
	if (errno)
		return 0;
	*v = x;
	return 1;
}

/* a --where number literal as the filter language reads it: an integer
 * (strtoll, a leading sign allowed) when it is one, else a double */
static int lit_is_int(const char *s, int64_t *v)
{
	char *end;
	if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+'))
		return 0;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end)
		return 0;
	*v = x;
	return 1;
}

/* ---- values ------------------------------------------------------------------ */

/* one value as SQLite holds it: SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT
 * or SQLITE_TEXT (s not NUL-terminated) */
typedef struct sqlv {
	int t;
	int64_t i;
	double d;
	const char *s;
	uint32_t len;
} sqlv;

static int sqlv_eq(const sqlv *a, const sqlv *b)
{
	if (a->t != b->t)
		return 0;
	switch (a->t) {
	case SQLITE_NULL: return 1;
	case SQLITE_INTEGER: return a->i == b->i;
	case SQLITE_FLOAT: return a->d == b->d || (isnan(a->d) && isnan(b->d));
	default: return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	}
}

static void sb_sqlv(sbuf *b, const sqlv *v)
{
	switch (v->t) {
	case SQLITE_NULL: sb_str(b, "null"); break;
	case SQLITE_INTEGER: sb_printf(b, "%" PRId64, v->i); break;
	case SQLITE_FLOAT: sb_printf(b, "%.17g", v->d); break;
	default: sb_bytes(b, v->s, v->len); break;
	}
}

static sqlv sqlv_col(sqlite3_stmt *st, int k)
{
	sqlv v = { sqlite3_column_type(st, k), 0, 0, NULL, 0 };
	if (v.t == SQLITE_INTEGER)
		v.i = sqlite3_column_int64(st, k);
	else if (v.t == SQLITE_FLOAT)
		v.d = sqlite3_column_double(st, k);
	else if (v.t == SQLITE_TEXT || v.t == SQLITE_BLOB) {
		v.t = SQLITE_TEXT;
		v.s = (const char *)sqlite3_column_blob(st, k);
		v.len = (uint32_t)sqlite3_column_bytes(st, k);
		if (!v.s)
			v.s = "";
	}
	return v;
}

static int is_int_type(colstore_type t)
{
	return t == COLSTORE_TYPE_INT8 || t == COLSTORE_TYPE_INT16 || t == COLSTORE_TYPE_INT32 ||
	       t == COLSTORE_TYPE_INT64;
}

static int is_float_type(colstore_type t)
{
	return t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64;
}

/* ---- tables -------------------------------------------------------------------- */

enum { K_INT, K_FLOAT, K_FLOAT32, K_BOOL, K_DATE, K_TS, K_STR, NKIND };
static const char *const kind_names[NKIND] = { "int", "float", "float32", "bool", "date", "ts", "str" };

enum { I_SMALL, I_W8, I_W16, I_W32, I_W64, I_LIMITS, I_SORTED, I_BIG, I_SWING, NIMODE };
enum { F_PRICE, F_WIDE, F_MIXED, F_SORTED, F_DIGITS17, F_FAR, NFMODE };
enum { S_SMALL, S_GROW, S_SORTED, S_UNIQUE, S_FEW, NSMODE };

typedef struct gcol {
	char name[32];
	int kind, mode, null_pct, sorted;
	colstore_type schema; /* forced at import, 0: inferred */
	uint8_t *nul;
	int64_t *iv;  /* ints, bool 0/1, date days, timestamp µs */
	double *dv;   /* floats */
	char **tx;    /* each valid cell's text as written (unquoted) */
	uint32_t *tl;
	uint8_t *longd; /* float text with 16 or 17 significant digits */
} gcol;

typedef struct gtable {
	uint64_t seed;
	int number;
	uint32_t nrows;
	int ncols;
	gcol *c;
	uint32_t rg_size, compression, threads;
	uint64_t dict_budget;
	int header_auto;
	int null_marker; /* nulls written as \N, with --null '\N' (always so for one column:
	                  * an empty line is skipped, not a null) */
	int dialect;     /* how the CSV is written (D_*), given to the import as options */
} gtable;

/* the CSV dialects tables are written in: RFC 4180; '; ' with ' quotes after a
 * two-line preamble; '||' with backslash escapes inside " quotes; tab without
 * quotes, everything escaped with a backslash (a table with an empty string
 * cannot be written so: it falls back to '||'); and RFC 4180 imported in
 * lenient mode with rows of extra fields (rejected) and rows with an empty
 * trailing field (trimmed) mixed in */
enum { D_RFC, D_SEMI, D_PIPES, D_TAB, D_LENIENT, D_COUNT };
static const char *const dialect_names[] = { "rfc4180", "'; ' delimiter, ' quotes, 2 preamble lines",
	                                     "'||' delimiter, \\ escapes", "tab, no quotes, \\ escapes",
	                                     "lenient, junk rows" };

static int g_float17 = ORACLE_FLOAT17;

static const char *const vocab[] = {
	"north", "south", "east", "west", "", "a,b", "say \"hi\"", "line\nbreak", "cr\r\nlf",
	" lead", "trail ", "\xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "de", "\xe6\x97\xa5\xe6\x9c\xac", "zzz", "A", "a",
	"ab", "abc", "007", "1e5", "-0", "NULL", "true1", "it's", "semi;colon", "tab\there", "~",
};
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

/* a date column's spelling, from its name and the row, not drawn from the
 * generator (the tables' values stay as they were): half the columns ISO,
 * the others one of the other spellings, now and then mixed */
static int date_spelling(const gcol *c, uint32_t i)
{
	uint32_t h = 2166136261u;
	for (const char *p = c->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	int s = (int)(h % 6);
	if (s == 5)
		return (int)((i * 2654435761u) >> 30); /* mixed: any of the four */
	return s >= 3 ? 0 : s + 1;
}

static void set_text(gcol *c, uint32_t i, const char *s, size_t n)
{
	c->tx[i] = xstrndup(s, n);
	c->tl[i] = (uint32_t)n;
}

/* the shortest of %.15g, %.16g, %.17g that reads back as d (15 unless 17-digit
 * floats are on) */
static void float_text(gcol *c, uint32_t i, double d, int allow17)
{
	char buf[40];
	int prec = 15;
	for (;; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (!allow17 || strtod(buf, NULL) == d || prec == 17)
			break;
	}
	set_text(c, i, buf, strlen(buf));
	c->dv[i] = strtod(buf, NULL);
	c->longd[i] = prec > 15;
}

static void gen_column(gcol *c, uint32_t n, int big)
{
	c->nul = xcalloc(n, 1);
	c->iv = xcalloc(n, sizeof(int64_t));
	c->dv = xcalloc(n, sizeof(double));
	c->tx = xcalloc(n, sizeof(char *));
	c->tl = xcalloc(n, sizeof(uint32_t));
	c->longd = xcalloc(n, 1);
	int64_t acc = 0, base = 0;
	double facc = runit() * 100 - 50;
	uint32_t ndistinct = 0, pool_n = 0;
	int64_t pool[32];
	double fpool[32];
	int desc = chance(30);
	int first_text = 1;
	switch (c->kind) {
	case K_INT:
		if (c->mode == I_SORTED)
			acc = chance(20) ? (desc ? INT64_MIN + 3 * (int64_t)n + 10 : INT64_MAX - 3 * (int64_t)n - 10)
			                 : rrange(-1000000, 1000000);
		break;
	case K_DATE: acc = rrange(-10000, 30000); break;
	case K_TS: acc = rrange(-1000000000, 3000000000) * 1000000 + rrange(0, 999999); break;
	default: break;
	}
	if (c->kind == K_DATE || c->kind == K_TS || c->kind == K_INT)
		base = acc;
	int ts_mid = chance(30); /* many timestamps at midnight */
	for (uint32_t i = 0; i < n; i++) {
		if (c->null_pct == 100 || (c->null_pct && (int)rn(100) < c->null_pct)) {
			c->nul[i] = 1;
			continue;
		}
		char buf[96];
		int64_t v = 0;
		switch (c->kind) {
		case K_INT:
			switch (c->mode) {
			case I_SMALL: v = rrange(-5, 20); break;
			case I_W8: v = chance(5) ? (chance(50) ? INT8_MIN : INT8_MAX) : rrange(INT8_MIN, INT8_MAX); break;
			case I_W16: v = chance(5) ? (chance(50) ? INT16_MIN : INT16_MAX) : rrange(INT16_MIN, INT16_MAX); break;
			case I_W32: v = chance(5) ? (chance(50) ? INT32_MIN : INT32_MAX) : rrange(INT32_MIN, INT32_MAX); break;
			case I_W64: {
				int bits = (int)rn(63);
				v = rrange(-(INT64_C(1) << bits), (INT64_C(1) << bits) - 1);
				break;
			}
			case I_LIMITS: {
				static const int64_t lim[] = { INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX,
				                               (int64_t)INT32_MAX + 1, (int64_t)INT32_MIN - 1, INT16_MIN - 1,
				                               INT16_MAX + 1, 128, -129 };
				v = chance(70) ? lim[rn(sizeof(lim) / sizeof(lim[0]))] : (int64_t)rnd();
				break;
			}
			case I_SORTED:
				acc = desc ? acc - (int64_t)rn(3) : acc + (int64_t)rn(3);
				v = acc;
				break;
			case I_BIG: v = rrange(INT64_C(1) << 61, INT64_C(1) << 62); break;
			default: /* I_SWING: large values of both signs; sums overflow on the way, not at the end */
				v = (i / 3) % 2 ? -rrange(INT64_C(1) << 62, (INT64_C(1) << 62) + 1000)
				                : rrange(INT64_C(1) << 62, (INT64_C(1) << 62) + 1000);
				break;
			}
			c->iv[i] = v;
			snprintf(buf, sizeof(buf), "%" PRId64, v);
			set_text(c, i, buf, strlen(buf));
			break;
		case K_FLOAT: {
			double d;
			if (pool_n && chance(20)) {
				d = fpool[rn(pool_n)];
			} else {
				switch (c->mode) {
				case F_PRICE: d = (double)rrange(-100000, 100000) / 100.0; break;
				case F_WIDE: d = (runit() * 9 + 1) * pow(10, (double)rrange(-30, 30)) * (chance(50) ? 1 : -1); break;
				case F_MIXED: d = (double)rrange(-1000, 1000) + (chance(50) ? 0.5 : 0); break;
				case F_SORTED: facc += desc ? -runit() * 10 : runit() * 10; d = facc; break;
				case F_DIGITS17:
					if (g_float17) {
						d = ldexp((double)(rnd() >> 11), -(int)rrange(40, 60)) * (chance(50) ? 1 : -1);
						break;
					}
					d = (runit() * 9 + 1) * pow(10, (double)rrange(-5, 5));
					break;
				default: d = chance(50) ? (runit() + 1) * 1e200 : (runit() + 1) * 1e-200; break;
				}
				if (d == 0)
					d = 0; /* never -0 */
				if (pool_n < 32)
					fpool[pool_n++] = d;
			}
			float_text(c, i, d, c->mode == F_DIGITS17 && g_float17);
			break;
		}
		case K_FLOAT32: {
			double d = (double)rrange(-(1 << 23), 1 << 23) / 8.0;
			if (pool_n && chance(30))
				d = fpool[rn(pool_n)];
			else if (pool_n < 32)
				fpool[pool_n++] = d;
			float_text(c, i, d, 0);
			break;
		}
		case K_BOOL: {
			static const char *const tf[2][3] = { { "false", "FALSE", "False" }, { "true", "TRUE", "tRuE" } };
			v = chance(c->mode ? 80 : 40);
			c->iv[i] = v;
			const char *s = tf[v][chance(80) ? 0 : rn(3)];
			set_text(c, i, s, strlen(s));
			break;
		}
		case K_DATE:
			switch (c->mode) {
			case 0: v = rrange(-7305, 29220); break; /* 1950 .. 2050 */
			case 1: v = rrange(days_from_civil(1000, 1, 1), days_from_civil(9999, 12, 31)); break;
			case 2: acc += desc ? -(int64_t)rn(3) : (int64_t)rn(3); v = acc; break;
			default: v = base + (int64_t)rn(10); break;
			}
			c->iv[i] = v;
			fmt_date_spelled(buf, sizeof(buf), v, date_spelling(c, i));
			set_text(c, i, buf, strlen(buf));
			break;
		case K_TS:
			switch (c->mode) {
			case 0: v = rrange(0, INT64_C(2145916800) * 1000000); break;
			case 1: acc += (int64_t)rn(5000000000); v = acc; break;
			case 2: v = base + (int64_t)rn(8) * 3600000000; break;
			default: v = rrange(days_from_civil(1000, 1, 1) * US_DAY, days_from_civil(9998, 12, 31) * US_DAY); break;
			}
			if (ts_mid && chance(50))
				v = floordiv(v, US_DAY) * US_DAY;
			else if (chance(30))
				v = floordiv(v, 1000000) * 1000000;
			c->iv[i] = v;
			fmt_ts(buf, sizeof(buf), v, (int)rn(256));
			set_text(c, i, buf, strlen(buf));
			break;
		default: { /* K_STR */
			const char *s = buf;
			size_t len;
			switch (c->mode) {
			case S_SMALL:
				s = first_text ? "north" : vocab[rn(NVOCAB)];
				len = strlen(s);
				break;
			case S_GROW:
				if (first_text || ndistinct < 3 || chance(big ? 68 : 40)) {
					len = (size_t)snprintf(buf, sizeof(buf), "v%08" PRIx64 "x%u%s", rnd() >> 32, ndistinct++,
					                       big ? "-a-longer-entry" : "");
					if (pool_n < 32)
						pool[pool_n++] = i;
					else
						pool[rn(32)] = i;
				} else {
					/* an earlier value: one of the pool, or any earlier row */
					uint32_t j = chance(50) ? (uint32_t)pool[rn(pool_n)] : (uint32_t)rn(i);
					while (j > 0 && c->nul[j])
						j--;
					if (c->nul[j])
						j = (uint32_t)pool[0];
					s = c->tx[j];
					len = c->tl[j];
				}
				break;
			case S_SORTED:
				acc += chance(big ? 68 : 50);
				len = (size_t)snprintf(buf, sizeof(buf), "k%05" PRId64 "%s", acc, big ? "/a-longer-entry" : "");
				break;
			case S_UNIQUE: {
				len = 16 + rn(24);
				for (size_t k = 0; k < len; k++)
					buf[k] = (char)('a' + rn(26));
				len += (size_t)snprintf(buf + len, 16, "%u", i);
				break;
			}
			default:
				len = (size_t)snprintf(buf, sizeof(buf), "g%02d", first_text ? 0 : (int)rn(30));
				break;
			}
			set_text(c, i, s, len);
			first_text = 0;
			break;
		}
		}
	}
}

static void pick_kind(gcol *c, int big)
{
	int k = (int)rn(100);
	c->kind = k < 22 ? K_INT : k < 37 ? K_FLOAT : k < 42 ? K_FLOAT32 : k < 50 ? K_BOOL : k < 60 ? K_DATE
	          : k < 70 ? K_TS : K_STR;
	if (big)
		c->kind = chance(60) ? K_STR : chance(50) ? K_INT : K_FLOAT;
	switch (c->kind) {
	case K_INT: c->mode = (int)rn(NIMODE); break;
	case K_FLOAT: c->mode = chance(30) ? F_PRICE : (int)rn(NFMODE); break; /* prices: DECIMAL chunks */
	case K_BOOL: c->mode = (int)rn(2); break;
	case K_DATE:
	case K_TS: c->mode = (int)rn(4); break;
	case K_STR: c->mode = big ? (chance(50) ? S_GROW : S_SORTED) : (int)rn(NSMODE); break;
	default: c->mode = 0; break;
	}
	if (c->kind == K_INT && c->mode == I_SMALL && big)
		c->mode = I_W16;
	c->sorted = (c->kind == K_INT && c->mode == I_SORTED) || (c->kind == K_FLOAT && c->mode == F_SORTED) ||
	            (c->kind == K_STR && c->mode == S_SORTED) || (c->kind == K_DATE && c->mode == 2) ||
	            (c->kind == K_TS && c->mode == 1);
	int np = (int)rn(100);
	c->null_pct = np < 35 ? 0 : np < 70 ? 5 : np < 90 ? 50 : 100;
	if (c->kind == K_FLOAT && c->mode == F_PRICE && chance(50))
		c->null_pct = 0; /* batches without nulls take other kernels */
	if (big && c->null_pct > 5)
		c->null_pct = 5;
}

static colstore_type int_width(int64_t lo, int64_t hi)
{
	if (lo >= INT8_MIN && hi <= INT8_MAX)
		return COLSTORE_TYPE_INT8;
	if (lo >= INT16_MIN && hi <= INT16_MAX)
		return COLSTORE_TYPE_INT16;
	if (lo >= INT32_MIN && hi <= INT32_MAX)
		return COLSTORE_TYPE_INT32;
	return COLSTORE_TYPE_INT64;
}

static void gen_table(gtable *t, uint64_t seed, int number)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
	t->number = number;
	rng_seed(seed, (uint64_t)number + 1);
	/* every 20th table (the second first) is long, with growing dictionaries */
	int big = number % 20 == 1;
	int r = (int)rn(100);
	t->nrows = big ? 100000 + (uint32_t)rn(5000)
	           : r < 8 ? (uint32_t)rn(10) : r < 60 ? 10 + (uint32_t)rn(990) : r < 92 ? 1000 + (uint32_t)rn(4000)
	                                                                          : 5000 + (uint32_t)rn(10000);
	t->ncols = big ? 2 + (int)rn(3) : 1 + (int)rn(8);
	t->c = xcalloc((size_t)t->ncols, sizeof(gcol));
	static const uint32_t rgs[] = { 1, 7, 100, 400, 1000, 4096, 0, 0 };
	static const uint32_t big_rgs[] = { 100, 250, 1000, 4096, 0 }; /* 1-byte codes early, or not */
	do {
		t->rg_size = chance(70) ? rgs[rn(sizeof(rgs) / sizeof(rgs[0]))] : 1 + (uint32_t)rn(5000);
	} while (t->rg_size && t->nrows / t->rg_size > 3000);
	if (big)
		t->rg_size = big_rgs[rn(sizeof(big_rgs) / sizeof(big_rgs[0]))];
	/* a quarter of the long tables in row groups longer than the engine's
	 * 65,536-row slices (chosen from the seed without drawing from the
	 * generator, so that every other table stays as it was) */
	if (big && (((seed * 0x9E3779B97F4A7C15ull) ^ (uint64_t)number * 0xBF58476D1CE4E5B9ull) >> 62) == 0)
		t->rg_size = 70000;
	static const uint32_t comps[] = { 0, COLSTORE_WRITE_LZ4, COLSTORE_WRITE_PACK, COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK };
	t->compression = comps[rn(4)];
	t->threads = 1 + (uint32_t)rn(4);
	t->dict_budget = chance(15) && !big ? 256 + rn(20000) : 0;
	t->header_auto = chance(30);
	t->null_marker = t->ncols == 1 || chance(20);
	/* the dialect, from the seed without drawing from the generator (every
	 * table keeps its data): half the tables RFC 4180, the rest the others */
	{
		uint64_t h = (seed ^ 0xD1A1EC7ull) * 0x9E3779B97F4A7C15ull ^ (uint64_t)number * 0x94D049BB133111EBull;
		h ^= h >> 31;
		unsigned d = (unsigned)(h % 8);
		t->dialect = d < 4 ? D_RFC : (int)(d - 3);
	}
	for (int k = 0; k < t->ncols; k++) {
		gcol *c = &t->c[k];
		pick_kind(c, big);
		if (big && k == 0) {
			c->kind = K_STR;
			c->mode = chance(50) ? S_GROW : S_SORTED;
			c->sorted = c->mode == S_SORTED;
		}
		snprintf(c->name, sizeof(c->name), "c%d_%s", k, kind_names[c->kind]);
		gen_column(c, t->nrows, big);
		if (c->kind == K_FLOAT32)
			c->schema = COLSTORE_TYPE_FLOAT32;
		if (c->kind == K_INT && chance(20)) { /* a wider type than the values need */
			int64_t lo = INT64_MAX, hi = INT64_MIN;
			for (uint32_t i = 0; i < t->nrows; i++)
				if (!c->nul[i]) {
					lo = c->iv[i] < lo ? c->iv[i] : lo;
					hi = c->iv[i] > hi ? c->iv[i] : hi;
				}
			colstore_type w = lo <= hi ? int_width(lo, hi) : COLSTORE_TYPE_INT8;
			c->schema = (colstore_type)(w + (int)rn((uint64_t)(COLSTORE_TYPE_INT64 - w + 1)));
		}
	}
}

static void free_table(gtable *t)
{
	for (int k = 0; k < t->ncols; k++) {
		gcol *c = &t->c[k];
		for (uint32_t i = 0; i < t->nrows; i++)
			free(c->tx[i]);
		free(c->nul);
		free(c->iv);
		free(c->dv);
		free(c->tx);
		free(c->tl);
		free(c->longd);
	}
	free(t->c);
}

static const char *comp_name(uint32_t c)
{
	return c == 0 ? "none" : c == COLSTORE_WRITE_LZ4 ? "lz4" : c == COLSTORE_WRITE_PACK ? "pack" : "all";
}

/* ---- an imported view of a table: some rows, some columns ------------------------ */

typedef struct view {
	uint32_t *rows;
	uint32_t nr;
	int *cols; /* table columns, in file order */
	int nc;
	int dialect;       /* as written (D_TAB falls back to D_PIPES) */
	uint32_t junk, trailing; /* D_LENIENT: rows rejected, rows trimmed */
	colstore_type force[64]; /* by table column: a schema type for the import, or 0 */
} view;

typedef struct inst {
	const gtable *t;
	const view *v;
	char csv[512], path[512];
	colstore_type type[64];   /* by table column, as imported */
	int present[64];          /* table column is in the file */
	colstore_reader *r;
	sqlite3 *db;
	uint32_t nrg;
	uint64_t *rg_first;       /* first row of each row group */
	uint32_t *rg_rows;
} inst;

static char g_dir[400];
static const char *g_cli;
static int g_verbose;

static int has_any(const char *s, uint32_t n, const char *set)
{
	for (uint32_t i = 0; i < n; i++)
		if (s[i] && strchr(set, s[i]))
			return 1;
	return 0;
}

/* the dialect a view is written in: D_TAB cannot write an empty string */
static int view_dialect(const gtable *t, view *v)
{
	if (t->dialect != D_TAB)
		return t->dialect;
	for (int k = 0; k < v->nc; k++) {
		const gcol *c = &t->c[v->cols[k]];
		for (uint32_t j = 0; j < v->nr; j++)
			if (!c->nul[v->rows[j]] && c->tl[v->rows[j]] == 0)
				return D_PIPES;
	}
	return D_TAB;
}

static const char *delim_of(int d)
{
	return d == D_SEMI ? "; " : d == D_PIPES ? "||" : d == D_TAB ? "\t" : ",";
}

/* one value as the dialect writes it */
static void put_value(FILE *f, int d, const char *s, uint32_t n, int force_quote)
{
	if (d == D_TAB) { /* no quotes: tab, line breaks and backslash escaped */
		for (uint32_t q = 0; q < n; q++) {
			if (s[q] == '\t' || s[q] == '\n' || s[q] == '\r' || s[q] == '\\')
				fputc('\\', f);
			fputc(s[q], f);
		}
		return;
	}
	char quote = d == D_SEMI ? '\'' : '"';
	const char *special = d == D_SEMI ? ";'\n\r" : d == D_PIPES ? "|\"\\\n\r" : ",\"\n\r";
	if (!n || force_quote || has_any(s, n, special)) {
		fputc(quote, f);
		for (uint32_t q = 0; q < n; q++) {
			if (s[q] == quote || (d == D_PIPES && s[q] == '\\'))
				fputc(d == D_PIPES ? '\\' : quote, f);
			fputc(s[q], f);
		}
		fputc(quote, f);
	} else {
		fwrite(s, 1, n, f);
	}
}

/* the preamble (D_SEMI) and header line of the view's CSV */
static void write_head(const gtable *t, const view *v, FILE *f)
{
	const char *delim = delim_of(v->dialect);
	if (v->dialect == D_SEMI)
		fputs("exported by the oracle; do not edit\n\n", f);
	for (int k = 0; k < v->nc; k++)
		fprintf(f, "%s%s", k ? delim : "", t->c[v->cols[k]].name);
	fputc('\n', f);
}

/* rows [from, to) of the view */
static void write_rows(const gtable *t, view *v, FILE *f, uint32_t from, uint32_t to)
{
	int d = v->dialect;
	const char *delim = delim_of(d);
	for (uint32_t j = from; j < to; j++) {
		uint32_t i = v->rows[j];
		if (d == D_LENIENT && (j * 2654435761u) % 97 == 5) {
			/* a row of one field too many, none empty: rejected */
			for (int k = 0; k <= v->nc; k++)
				fprintf(f, "%sjunk", k ? "," : "");
			fputc('\n', f);
			v->junk++;
		}
		for (int k = 0; k < v->nc; k++) {
			const gcol *c = &t->c[v->cols[k]];
			if (k)
				fputs(delim, f);
			if (c->nul[i]) {
				if (t->null_marker && (v->nc == 1 || (i & 1)))
					fputs("\\N", f);
				continue;
			}
			/* strings quoted when they must be, and now and then when not */
			put_value(f, d, c->tx[i], c->tl[i],
			          c->kind == K_STR && ((i * 2654435761u) >> 28) < 5);
		}
		if (d == D_LENIENT && (j * 40503u) % 13 == 7) {
			fputc(',', f); /* an empty trailing field: trimmed */
			v->trailing++;
		}
		/* LF, and CRLF now and then */
		if ((j * 40503u) % 11 == 3)
			fputc('\r', f);
		fputc('\n', f);
	}
}

static int write_csv(const gtable *t, view *v, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	v->dialect = view_dialect(t, v);
	v->junk = v->trailing = 0;
	write_head(t, v, f);
	write_rows(t, v, f, 0, v->nr);
	return fclose(f) ? -1 : 0;
}

/* the view's CSV as n files (base.1 ...), each with the preamble and the
 * header, cut at random rows; their names into paths */
static int write_parts(const gtable *t, view *v, const char *base, int n, char paths[][600],
                       uint64_t seed)
{
	uint32_t junk = v->junk, trailing = v->trailing, from = 0;
	v->junk = v->trailing = 0;
	for (int k = 0; k < n; k++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t to = k + 1 == n ? v->nr : from + (uint32_t)((seed >> 33) % (v->nr - from + 1));
		snprintf(paths[k], 600, "%s.%d", base, k + 1);
		FILE *f = fopen(paths[k], "wb");
		if (!f)
			return -1;
		write_head(t, v, f);
		write_rows(t, v, f, from, to);
		if (fclose(f))
			return -1;
		from = to;
	}
	int same = v->junk == junk && v->trailing == trailing;
	v->junk = junk;
	v->trailing = trailing;
	return same ? 0 : -1;
}

/* the import options of a dialect */
static void dialect_options(int d, colstore_import_options *o)
{
	o->delimiter = 0;
	o->delimiter_string = delim_of(d);
	o->quote = d == D_SEMI ? '\'' : d == D_TAB ? COLSTORE_NONE : '"';
	o->escape = d == D_PIPES || d == D_TAB ? '\\' : COLSTORE_NONE;
	o->skip = d == D_SEMI ? 2 : COLSTORE_NONE;
	o->lenient = d == D_LENIENT;
}

/* the types the README's inference gives a column of these rows (a second
 * one accepted too, or 0) */
static void expect_type(const gcol *c, const view *v, colstore_type *t1, colstore_type *t2)
{
	*t2 = (colstore_type)0;
	if (c->schema) {
		*t1 = c->schema;
		return;
	}
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	uint32_t valid = 0;
	int all_int = 1, any_long = 0, all_date = 1;
	for (uint32_t j = 0; j < v->nr; j++) {
		uint32_t i = v->rows[j];
		if (c->nul[i])
			continue;
		valid++;
		int64_t x = c->iv[i];
		if (c->kind == K_FLOAT && !int_syntax(c->tx[i], c->tl[i], &x))
			all_int = 0;
		if (c->longd[i])
			any_long = 1;
		if (c->kind == K_TS && c->tl[i] != 10)
			all_date = 0;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	if (!valid) {
		*t1 = COLSTORE_TYPE_STRING;
		return;
	}
	switch (c->kind) {
	case K_INT: *t1 = int_width(lo, hi); break;
	case K_FLOAT:
		if (any_long) {
			*t1 = COLSTORE_TYPE_STRING;
			*t2 = COLSTORE_TYPE_FLOAT64;
		} else {
			*t1 = all_int ? int_width(lo, hi) : COLSTORE_TYPE_FLOAT64;
		}
		break;
	case K_BOOL: *t1 = COLSTORE_TYPE_BOOL; break;
	case K_DATE: *t1 = COLSTORE_TYPE_DATE; break;
	case K_TS: *t1 = all_date ? COLSTORE_TYPE_DATE : COLSTORE_TYPE_TIMESTAMP; break;
	default: *t1 = COLSTORE_TYPE_STRING; break;
	}
}

/* cell (table column tc, row i) as the imported type holds it */
static sqlv cell_value(const inst *in, int tc, uint32_t i)
{
	const gcol *c = &in->t->c[tc];
	sqlv v = { SQLITE_NULL, 0, 0, NULL, 0 };
	if (c->nul[i])
		return v;
	colstore_type ty = in->type[tc];
	if (ty == COLSTORE_TYPE_STRING) {
		v.t = SQLITE_TEXT;
		v.s = c->tx[i];
		v.len = c->tl[i];
	} else if (is_float_type(ty)) {
		v.t = SQLITE_FLOAT;
		v.d = c->dv[i];
	} else if (ty == COLSTORE_TYPE_DATE && c->kind == K_TS) {
		v.t = SQLITE_INTEGER;
		v.i = floordiv(c->iv[i], US_DAY);
	} else {
		v.t = SQLITE_INTEGER;
		v.i = c->iv[i];
		if (c->kind == K_FLOAT)
			int_syntax(c->tx[i], c->tl[i], &v.i);
	}
	return v;
}

/* row i of decoded column values as a sqlv */
static sqlv cs_value(const colstore_reader *r, uint32_t col, const colstore_values *x, uint32_t i)
{
	sqlv v = { SQLITE_NULL, 0, 0, NULL, 0 };
	if (x->validity && !(x->validity[i / 8] >> (i % 8) & 1))
		return v;
	switch (x->type) {
	case COLSTORE_TYPE_INT8: v.t = SQLITE_INTEGER; v.i = ((const int8_t *)x->data)[i]; break;
	case COLSTORE_TYPE_INT16: v.t = SQLITE_INTEGER; v.i = ((const int16_t *)x->data)[i]; break;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: v.t = SQLITE_INTEGER; v.i = ((const int32_t *)x->data)[i]; break;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: v.t = SQLITE_INTEGER; v.i = ((const int64_t *)x->data)[i]; break;
	case COLSTORE_TYPE_FLOAT32: v.t = SQLITE_FLOAT; v.d = ((const float *)x->data)[i]; break;
	case COLSTORE_TYPE_FLOAT64: v.t = SQLITE_FLOAT; v.d = ((const double *)x->data)[i]; break;
	case COLSTORE_TYPE_BOOL: v.t = SQLITE_INTEGER; v.i = ((const uint8_t *)x->data)[i / 8] >> (i % 8) & 1; break;
	default:
		v.t = SQLITE_TEXT;
		if (x->encoding == COLSTORE_ENCODING_DICT) {
			uint32_t code = x->code_width == 1   ? ((const uint8_t *)x->data)[i]
			                : x->code_width == 2 ? ((const uint16_t *)x->data)[i]
			                                     : ((const uint32_t *)x->data)[i];
			if (colstore_reader_dict_lookup(r, col, code, &v.s, &v.len, NULL)) {
				v.s = "<bad code>";
				v.len = 10;
			}
		} else {
			const uint32_t *o = x->data;
			v.s = x->bytes + o[i];
			v.len = o[i + 1] - o[i];
		}
		break;
	}
	return v;
}

/* integer sum, exact: an error only when the final sum does not fit int64
 * (colstore's rule; SQLite's sum() stops at the first overflow on the way) */
typedef struct isum_acc { /* SQLite's aggregate context is only 8-byte aligned */
	unsigned char s[sizeof(__int128)];
	int64_t n;
} isum_acc;

static void isum_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	isum_acc *a = sqlite3_aggregate_context(cx, sizeof(*a));
	if (!a || sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	__int128 v;
	memcpy(&v, a->s, sizeof(v));
	v += sqlite3_value_int64(argv[0]);
	memcpy(a->s, &v, sizeof(v));
	a->n++;
}

static void isum_final(sqlite3_context *cx)
{
	isum_acc *a = sqlite3_aggregate_context(cx, 0);
	__int128 v = 0;
	if (a)
		memcpy(&v, a->s, sizeof(v));
	if (!a || !a->n)
		sqlite3_result_null(cx);
	else if (v > INT64_MAX || v < INT64_MIN)
		sqlite3_result_error(cx, "integer overflow", -1);
	else
		sqlite3_result_int64(cx, (int64_t)v);
}

/* var, var_pop, stddev, stddev_pop for SQLite (which has none): every
 * value kept, then two passes in long double (the mean, then the squared
 * distances from it); user data 0..3 picks which; NULL as SQL's var_samp
 * of fewer than two values */
typedef struct ovar_acc {
	long double *x;
	size_t n, cap;
	int is_int;
} ovar_acc;

static void ovar_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	ovar_acc *a = sqlite3_aggregate_context(cx, sizeof(*a));
	int t = sqlite3_value_type(argv[0]);
	if (!a || t == SQLITE_NULL)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		long double *x = realloc(a->x, a->cap * sizeof(*a->x));
		if (!x) {
			sqlite3_result_error_nomem(cx);
			return;
		}
		a->x = x;
	}
	a->is_int = t == SQLITE_INTEGER;
	a->x[a->n++] = t == SQLITE_INTEGER ? (long double)sqlite3_value_int64(argv[0])
	                                   : (long double)sqlite3_value_double(argv[0]);
}

static void ovar_final(sqlite3_context *cx)
{
	ovar_acc *a = sqlite3_aggregate_context(cx, 0);
	const int which = (int)(intptr_t)sqlite3_user_data(cx), sample = which == 0 || which == 2;
	if (!a || a->n < (sample ? 2u : 1u)) {
		sqlite3_result_null(cx);
		if (a)
			free(a->x);
		return;
	}
	long double mean = 0, m2 = 0;
	for (size_t i = 0; i < a->n; i++)
		mean += a->x[i];
	mean /= (long double)a->n;
	for (size_t i = 0; i < a->n; i++)
		m2 += (a->x[i] - mean) * (a->x[i] - mean);
	long double v = m2 / (long double)(sample ? a->n - 1 : a->n);
	free(a->x);
	sqlite3_result_double(cx, (double)(which >= 2 ? sqrtl(v) : v));
}

/* quantile (and median): the values sorted, the one at (n - 1) p, or
 * linearly between the two around it */
typedef struct oquant_acc {
	double *x, p;
	size_t n, cap;
} oquant_acc;

static void oquant_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	(void)argc;
	oquant_acc *a = sqlite3_aggregate_context(cx, sizeof(*a));
	if (!a)
		return;
	a->p = sqlite3_value_double(argv[1]);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		double *x = realloc(a->x, a->cap * sizeof(*a->x));
		if (!x) {
			sqlite3_result_error_nomem(cx);
			return;
		}
		a->x = x;
	}
	a->x[a->n++] = sqlite3_value_double(argv[0]);
}

static int dcmp(const void *p, const void *q)
{
	double a = *(const double *)p, b = *(const double *)q;
	return (a > b) - (a < b);
}

static void oquant_final(sqlite3_context *cx)
{
	oquant_acc *a = sqlite3_aggregate_context(cx, 0);
	if (!a || !a->n) {
		sqlite3_result_null(cx);
		if (a)
			free(a->x);
		return;
	}
	qsort(a->x, a->n, sizeof(double), dcmp);
	double h = (double)(a->n - 1) * a->p, f = floor(h);
	size_t lo = (size_t)f, hi = (size_t)ceil(h);
	double r = lo == hi ? a->x[lo] : a->x[lo] + (a->x[hi] - a->x[lo]) * (h - f);
	free(a->x);
	sqlite3_result_double(cx, r);
}

static void inst_close(inst *in)
{
	colstore_reader_close(in->r);
	in->r = NULL;
	if (in->db)
		sqlite3_close(in->db);
	in->db = NULL;
	free(in->rg_first);
	free(in->rg_rows);
	in->rg_first = NULL;
	in->rg_rows = NULL;
	if (in->csv[0] && !getenv("ORACLE_KEEP_CSV"))
		unlink(in->csv);
	if (in->path[0])
		unlink(in->path);
}

static int g_tag;

/* write, import, check the import (types, every value) and load SQLite.
 * @return 0, or 1 with the import's failure described in @p why */
static void x_register(sqlite3 *db);

/* is the whole file's import read back from the same table cut into
 * files?  One table in three is also written as 2 to 4 files, each with the
 * header, and imported with colstore_import_files(): the file must be the
 * same, byte for byte (types are inferred over all the inputs). */
static int same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int same = fa && fb;
	while (same) {
		int x = getc(fa), y = getc(fb);
		same = x == y;
		if (x == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static unsigned g_parts; /* tables checked so */

static int same_from_parts(const inst *in, const gtable *t, view *v,
                           const colstore_import_options *o, const colstore_import_result *whole,
                           sbuf *why)
{
	if (g_tag % 3 != 0)
		return 0;
	int n = 2 + g_tag / 3 % 3;
	char paths[4][600], out[600];
	const char *ps[4];
	snprintf(out, sizeof(out), "%s.parts", in->path);
	if (write_parts(t, v, in->csv, n, paths, (uint64_t)g_tag * 7919u)) {
		sb_printf(why, "cannot write the parts of %s", in->csv);
		return 1;
	}
	for (int k = 0; k < n; k++)
		ps[k] = paths[k];
	colstore_error e;
	colstore_import_result res;
	int rc = colstore_import_files(ps, (size_t)n, out, o, &res, &e), bad = 0;
	if (rc) {
		sb_printf(why, "import of %s in %d files failed: %s", in->csv, n, e.message);
		bad = 1;
	} else if (res.rows != whole->rows || res.rejected != whole->rejected ||
	           res.trimmed != whole->trimmed) {
		sb_printf(why, "%s in %d files: %" PRIu64 " rows, %" PRIu64 " rejected, %" PRIu64
		          " trimmed; as one file %" PRIu64 ", %" PRIu64 ", %" PRIu64, in->csv, n,
		          res.rows, res.rejected, res.trimmed, whole->rows, whole->rejected,
		          whole->trimmed);
		bad = 1;
	} else if (!same_bytes(out, in->path)) {
		sb_printf(why, "%s imported from %d files differs from its import as one file", in->csv,
		          n);
		bad = 1;
	}
	g_parts += !bad;
	if (!getenv("ORACLE_KEEP_CSV"))
		for (int k = 0; k < n; k++)
			unlink(paths[k]);
	unlink(out);
	return bad;
}

/* One table in three (another third than same_from_parts) is queried from
 * a file built by appends: the first of 2 to 4 parts imported with the
 * types the whole file's import gave, the others appended with
 * colstore_import_csv's append option.  The file replaces the whole one:
 * every check and query of the table then runs on it. */
static unsigned g_appended; /* tables checked so */

static int from_appends(const inst *in, const gtable *t, view *v,
                        const colstore_import_options *o, const colstore_import_result *whole,
                        sbuf *why)
{
	if (g_tag % 3 != 1)
		return 0;
	int n = 2 + g_tag / 3 % 3;
	char paths[4][600], out[600];
	snprintf(out, sizeof(out), "%s.appended", in->path);
	unlink(out);
	if (write_parts(t, v, in->csv, n, paths, (uint64_t)g_tag * 104729u)) {
		sb_printf(why, "cannot write the parts of %s", in->csv);
		return 1;
	}
	colstore_reader *r;
	colstore_error e;
	if (colstore_reader_open(in->path, NULL, &r, &e)) {
		sb_printf(why, "open failed: %s", e.message);
		return 1;
	}
	uint32_t nc = colstore_reader_num_columns(r);
	const char **names = xcalloc(nc, sizeof(char *));
	colstore_type *types = xcalloc(nc, sizeof(colstore_type));
	for (uint32_t c = 0; c < nc; c++) {
		colstore_column_info ci;
		colstore_reader_column_info(r, c, &ci, NULL);
		names[c] = xstrndup(ci.name, strlen(ci.name));
		types[c] = ci.type;
	}
	colstore_reader_close(r);
	uint64_t rows = 0, rejected = 0, trimmed = 0;
	int bad = 0;
	for (int k = 0; k < n && !bad; k++) {
		colstore_import_options ok = *o;
		ok.n_schema = nc; /* the whole file's types, for the first part too */
		ok.schema_names = names;
		ok.schema_types = types;
		ok.append = k > 0;
		colstore_import_result res;
		if (colstore_import_csv(paths[k], out, &ok, &res, &e)) {
			sb_printf(why, "%s of part %d of %s failed: %s (line %" PRIu64 ")",
			          k ? "append" : "import", k + 1, in->csv, e.message, e.line);
			bad = 1;
			break;
		}
		rows += res.rows;
		rejected += res.rejected;
		trimmed += res.trimmed;
	}
	if (!bad && (rows != whole->rows || rejected != whole->rejected ||
	             trimmed != whole->trimmed)) {
		sb_printf(why, "%s appended from %d parts: %" PRIu64 " rows, %" PRIu64
		          " rejected, %" PRIu64 " trimmed; as one file %" PRIu64 ", %" PRIu64
		          ", %" PRIu64, in->csv, n, rows, rejected, trimmed, whole->rows,
		          whole->rejected, whole->trimmed);
		bad = 1;
	}
	if (!bad && rename(out, in->path) != 0) {
		sb_printf(why, "cannot rename %s: %s", out, strerror(errno));
		bad = 1;
	}
	g_appended += !bad;
	if (!getenv("ORACLE_KEEP_CSV"))
		for (int k = 0; k < n; k++)
			unlink(paths[k]);
	unlink(out);
	for (uint32_t c = 0; c < nc; c++)
		free((char *)names[c]);
	free(names);
	free(types);
	return bad;
}

static int inst_open(inst *in, const gtable *t, view *v, sbuf *why)
{
	memset(in, 0, sizeof(*in));
	in->t = t;
	in->v = v;
	g_tag++;
	snprintf(in->csv, sizeof(in->csv), "%s/t%d-%d.csv", g_dir, t->number, g_tag);
	snprintf(in->path, sizeof(in->path), "%s/t%d-%d.colstore", g_dir, t->number, g_tag);
	if (write_csv(t, v, in->csv)) {
		sb_printf(why, "cannot write %s: %s", in->csv, strerror(errno));
		return 1;
	}
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	dialect_options(v->dialect, &o);
	o.header = t->header_auto ? COLSTORE_HEADER_AUTO : COLSTORE_HEADER_YES;
	o.null_marker = t->null_marker ? "\\N" : NULL;
	o.threads = t->threads;
	o.writer.row_group_size = t->rg_size;
	o.writer.compression = t->compression;
	o.writer.dict_budget = t->dict_budget;
	const char *names[64];
	colstore_type types[64];
	uint32_t ns = 0;
	for (int k = 0; k < v->nc; k++) {
		const gcol *c = &t->c[v->cols[k]];
		colstore_type f = v->force[v->cols[k]] ? v->force[v->cols[k]] : c->schema;
		if (f) {
			names[ns] = c->name;
			types[ns++] = f;
		}
	}
	o.n_schema = ns;
	o.schema_names = names;
	o.schema_types = types;
	colstore_error e;
	colstore_import_result res;
	int rc = colstore_import_csv(in->csv, in->path, &o, &res, &e);
	if (rc) {
		sb_printf(why, "import failed: %s (%s, line %" PRIu64 ")", colstore_strerror(rc),
		          e.message, e.line);
		return 1;
	}
	if (res.rejected != (v->dialect == D_LENIENT ? v->junk : 0) ||
	    res.trimmed != (v->dialect == D_LENIENT ? v->trailing : 0) || res.padded) {
		sb_printf(why, "import rejected %" PRIu64 " rows and trimmed %" PRIu64 " (padded %" PRIu64
		          "); expected %u and %u", res.rejected, res.trimmed, res.padded,
		          v->dialect == D_LENIENT ? v->junk : 0, v->dialect == D_LENIENT ? v->trailing : 0);
		return 1;
	}
	if (same_from_parts(in, t, v, &o, &res, why) || from_appends(in, t, v, &o, &res, why))
		return 1;
	if ((rc = colstore_reader_open(in->path, NULL, &in->r, &e))) {
		sb_printf(why, "open failed: %s", e.message);
		return 1;
	}
	if (colstore_reader_num_rows(in->r) != v->nr || colstore_reader_num_columns(in->r) != (uint32_t)v->nc) {
		sb_printf(why, "import gave %" PRIu64 " rows and %u columns, expected %u and %d",
		          colstore_reader_num_rows(in->r), colstore_reader_num_columns(in->r), v->nr, v->nc);
		return 1;
	}
	in->nrg = colstore_reader_num_row_groups(in->r);
	in->rg_first = xcalloc(in->nrg, sizeof(uint64_t));
	in->rg_rows = xcalloc(in->nrg, sizeof(uint32_t));
	for (uint32_t g = 0; g < in->nrg; g++) {
		colstore_chunk_info ci;
		colstore_reader_chunk_info(in->r, g, 0, &ci, NULL);
		in->rg_first[g] = ci.first_row;
		in->rg_rows[g] = ci.row_count;
	}
	int bad = 0;
	colstore_buffers *b = colstore_buffers_create();
	for (int k = 0; k < v->nc && !bad; k++) {
		int tc = v->cols[k];
		const gcol *c = &t->c[tc];
		colstore_column_info info;
		colstore_reader_column_info(in->r, (uint32_t)k, &info, NULL);
		in->type[tc] = info.type;
		in->present[tc] = 1;
		colstore_type t1, t2;
		if (v->force[tc]) {
			t1 = v->force[tc];
			t2 = (colstore_type)0;
		} else {
			expect_type(c, v, &t1, &t2);
		}
		if (strcmp(info.name, c->name) != 0 || (info.type != t1 && info.type != t2)) {
			sb_printf(why, "column %d is %s %s, expected %s %s%s%s", k, info.name,
			          colstore_type_name(info.type), c->name, colstore_type_name(t1), t2 ? " or " : "",
			          t2 ? colstore_type_name(t2) : "");
			bad = 1;
			break;
		}
		/* every value back */
		for (uint32_t g = 0; g < in->nrg && !bad; g++) {
			colstore_values x;
			if ((rc = colstore_reader_values(in->r, g, (uint32_t)k, b, &x, &e))) {
				sb_printf(why, "reading column %s row group %u: %s", c->name, g, e.message);
				bad = 1;
				break;
			}
			for (uint32_t i = 0; i < x.rows; i++) {
				uint64_t row = in->rg_first[g] + i;
				sqlv want = cell_value(in, tc, v->rows[row]);
				sqlv got = cs_value(in->r, (uint32_t)k, &x, i);
				if (!sqlv_eq(&want, &got)) {
					sb_printf(why, "column %s row %" PRIu64 " (line %" PRIu64 " of the CSV) reads back as ",
					          c->name, row, row + 2);
					sb_sqlv(why, &got);
					sb_str(why, ", written ");
					sb_sqlv(why, &want);
					bad = 1;
					break;
				}
			}
		}
	}
	colstore_buffers_free(b);
	if (bad)
		return 1;
	/* the same values into SQLite */
	if (sqlite3_open(":memory:", &in->db) != SQLITE_OK) {
		sb_str(why, "sqlite3_open failed");
		return 1;
	}
	sqlite3_create_function(in->db, "isum", 1, SQLITE_UTF8, NULL, NULL, isum_step, isum_final);
	x_register(in->db);
	sqlite3_create_function(in->db, "oquant", 2, SQLITE_UTF8, NULL, NULL, oquant_step, oquant_final);
	static const char *const ovars[] = { "ovar", "ovar_pop", "ostddev", "ostddev_pop" };
	for (intptr_t k = 0; k < 4; k++)
		sqlite3_create_function(in->db, ovars[k], 1, SQLITE_UTF8, (void *)k, NULL, ovar_step,
		                        ovar_final);
	/* like: byte for byte (SQLite folds ASCII case unless told); ilike is
	 * lower() on both sides, which folds ASCII only, as colstore does */
	sqlite3_exec(in->db, "PRAGMA case_sensitive_like = ON", NULL, NULL, NULL);
	sbuf q = { 0 };
	sb_str(&q, "CREATE TABLE t(");
	for (int k = 0; k < v->nc; k++)
		sb_printf(&q, "%s\"%s\"", k ? ", " : "", t->c[v->cols[k]].name);
	sb_str(&q, ")");
	sqlite3_exec(in->db, sb_cstr(&q), NULL, NULL, NULL);
	sqlite3_exec(in->db, "BEGIN", NULL, NULL, NULL);
	sb_clear(&q);
	sb_str(&q, "INSERT INTO t VALUES(");
	for (int k = 0; k < v->nc; k++)
		sb_str(&q, k ? ",?" : "?");
	sb_str(&q, ")");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(in->db, sb_cstr(&q), -1, &st, NULL) != SQLITE_OK) {
		sb_printf(why, "sqlite: %s", sqlite3_errmsg(in->db));
		free(q.p);
		return 1;
	}
	for (uint32_t j = 0; j < v->nr; j++) {
		for (int k = 0; k < v->nc; k++) {
			sqlv x = cell_value(in, v->cols[k], v->rows[j]);
			switch (x.t) {
			case SQLITE_NULL: sqlite3_bind_null(st, k + 1); break;
			case SQLITE_INTEGER: sqlite3_bind_int64(st, k + 1, x.i); break;
			case SQLITE_FLOAT: sqlite3_bind_double(st, k + 1, x.d); break;
			default: sqlite3_bind_text(st, k + 1, x.s, (int)x.len, SQLITE_STATIC); break;
			}
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			sb_printf(why, "sqlite insert: %s", sqlite3_errmsg(in->db));
			sqlite3_finalize(st);
			free(q.p);
			return 1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(in->db, "COMMIT", NULL, NULL, NULL);
	free(q.p);
	return 0;
}

/* ---- queries ------------------------------------------------------------------ */

/* W_NOT: not l; W_IN: col [not] in (l, l->l, ...), literals in a chain;
 * W_BETWEEN: col [not] between l and r; W_LIKE: col [not] like|ilike lit
 * (op: bit 0 not, bit 1 ilike; W_IN and W_BETWEEN: op 1 = not) */
enum { W_AND, W_OR, W_CMP, W_NULL, W_NOT, W_IN, W_BETWEEN, W_LIKE, W_XCMP, W_XNULL };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };
static const char *const op_sql[] = { "=", "!=", "<", "<=", ">", ">=" };
static const char *const op_alt[] = { "==", "<>", "<", "<=", ">", ">=" };

typedef struct wnode {
	int kind, op; /* W_NULL: op 1 = is not null */
	int col;      /* table column */
	char *lit;    /* the literal as written in --where */
	sqlv bind;    /* its value on the SQLite side */
	char *raw;    /* a string literal's bytes (bind.s) */
	int bad;      /* a literal of the wrong kind: the parse must fail */
	int spell;    /* bit 0 upper-case keywords, 1 "quoted" name, 2 op alias, 3 extra () */
	struct wnode *l, *r;
	struct xexpr *xl, *xr; /* W_XCMP: xl op xr; W_XNULL: xl is [not] null (op 1) */
} wnode;

enum { A_COUNT_STAR, A_COUNT, A_SUM, A_MIN, A_MAX, A_AVG, A_VAR, A_VAR_POP, A_STD, A_STD_POP,
       A_COUNT_DISTINCT, A_MEDIAN, A_QUANTILE, A_APPROX };
static const char *const fn_names[] = { "count", "count", "sum", "min", "max", "avg",
	                                "var", "var_pop", "stddev", "stddev_pop", "count",
	                                "median", "quantile", "approx_count_distinct" };
/* aggregates of numbers only */
#define FN_NUM(fn) ((fn) == A_SUM || FN_FLOAT(fn) || (fn) == A_MEDIAN || (fn) == A_QUANTILE)
#define FN_FLOAT(fn) ((fn) >= A_AVG && (fn) <= A_STD_POP)

typedef struct query {
	wnode *where;
	int nagg;
	/* x: an expression in place of the column; alias: written "as aN" */
	struct { int fn, col, upper, alias; struct xexpr *x; double q; } agg[6];
	int ngb, gb[3];
	struct xexpr *gbx[3]; /* an expression key in place of the column */
	int gal[3];           /* the key written "as kN" */
	uint32_t threads;
	uint64_t memlimit, worker_bytes;
	int scan; /* 0: no scan, 1: through the library, 2: through the command line */
	int nsc, sc[4];
	int64_t limit; /* -1: none */
	uint32_t cli_threads;
	/* the aggregation's order (result columns: keys, then aggregates;
	 * spell: bit 0 "DESC", bit 1 "asc" written out) and limit (-1: none) */
	int nord;
	struct { int k, desc, spell; } ord[3];
	int64_t alimit;
	/* an ordered library scan (osc): the scan's columns, an expression item
	 * ("as s0", when sx), ordered by keys each an item (item >= 0) or a
	 * column or expression of the file; olimit (-1: none), omem (0: the
	 * default) */
	int osc;
	struct xexpr *sx;
	int onk;
	struct { int item, col, desc; struct xexpr *x; } okey[3];
	int64_t olimit;
	uint64_t omem;
} query;

static void wfree(wnode *w)
{
	if (!w)
		return;
	wfree(w->l);
	wfree(w->r);
	free(w->lit);
	free(w->raw);
	free(w);
}

static wnode *wcopy(const wnode *w)
{
	if (!w)
		return NULL;
	wnode *c = xmalloc(sizeof(*c));
	*c = *w;
	c->lit = w->lit ? xstrndup(w->lit, strlen(w->lit)) : NULL;
	c->raw = w->raw ? xstrndup(w->raw, w->bind.len) : NULL;
	if (c->bind.t == SQLITE_TEXT)
		c->bind.s = c->raw;
	c->l = wcopy(w->l);
	c->r = wcopy(w->r);
	return c;
}

static int wbad(const wnode *w)
{
	if (!w)
		return 0;
	return w->bad || wbad(w->l) || wbad(w->r);
}

/* 'text' with quotes doubled; the bind is the bytes themselves */
static void set_str_lit(wnode *w, const char *s, uint32_t n)
{
	sbuf b = { 0 };
	sb_str(&b, "'");
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			sb_str(&b, "''");
		else
			sb_put(&b, s + i, 1);
	}
	sb_str(&b, "'");
	w->lit = b.p;
	w->raw = xstrndup(s, n);
	w->bind.t = SQLITE_TEXT;
	w->bind.s = w->raw;
	w->bind.len = n;
}

static void set_num_lit(wnode *w, const char *text, int as_float_col)
{
	w->lit = xstrndup(text, strlen(text));
	int64_t iv;
	if (!as_float_col && lit_is_int(text, &iv)) {
		w->bind.t = SQLITE_INTEGER;
		w->bind.i = iv;
	} else {
		w->bind.t = SQLITE_FLOAT;
		w->bind.d = strtod(text, NULL);
	}
}

/* a random valid row of column tc in the instance, or -1 */
static int64_t some_row(const inst *in, int tc)
{
	const gcol *c = &in->t->c[tc];
	for (int tries = 0; tries < 20 && in->v->nr; tries++) {
		uint32_t i = in->v->rows[rn(in->v->nr)];
		if (!c->nul[i])
			return i;
	}
	return -1;
}

static void gen_literal(const inst *in, wnode *w)
{
	int tc = w->col;
	colstore_type ty = in->type[tc];
	int64_t row = some_row(in, tc);
	sqlv pv = row >= 0 ? cell_value(in, tc, (uint32_t)row) : (sqlv){ SQLITE_NULL, 0, 0, NULL, 0 };
	char buf[128];
	if (chance(3)) { /* the wrong kind of literal: must be refused */
		w->bad = 1;
		const char *s;
		switch (ty) {
		case COLSTORE_TYPE_STRING: s = chance(50) ? "5" : "true"; break;
		case COLSTORE_TYPE_BOOL: s = chance(50) ? "1" : "'true'"; break;
		case COLSTORE_TYPE_DATE: s = chance(50) ? "'2025-02-30'" : chance(50) ? "'2025-01-01T00:00'" : "20250101"; break;
		case COLSTORE_TYPE_TIMESTAMP: s = chance(50) ? "'2025-01-01 24:00'" : "'2025-01-01T10:00:00.1234567'"; break;
		default: s = chance(50) ? "'5'" : chance(50) ? "true" : "x5"; break;
		}
		if (!strcmp(s, "x5"))
			s = "'x'";
		w->lit = xstrndup(s, strlen(s));
		return;
	}
	if (ty == COLSTORE_TYPE_STRING) {
		static const char *const odd[] = { "", " ", "~~~", "\x01", "A", "a", "k", "k003", "k0030", "k00300",
		                                   "v8", "g15", "zzzz", "\xc3\xbf", "\xef\xbf\xbf", "north", "it's", "0" };
		int r = (int)rn(10);
		if (pv.t == SQLITE_TEXT && r < 5) {
			set_str_lit(w, pv.s, pv.len);
		} else if (pv.t == SQLITE_TEXT && r < 8) { /* between entries: a prefix, or a longer string */
			sbuf b = { 0 };
			uint32_t n = r == 5 && pv.len ? (uint32_t)rn(pv.len) : pv.len;
			sb_put(&b, pv.s, n);
			if (r != 5)
				sb_str(&b, r == 6 ? "0" : "~");
			set_str_lit(w, b.p ? b.p : "", (uint32_t)b.n);
			free(b.p);
		} else {
			const char *s = odd[rn(sizeof(odd) / sizeof(odd[0]))];
			set_str_lit(w, s, (uint32_t)strlen(s));
		}
		return;
	}
	if (ty == COLSTORE_TYPE_BOOL) {
		static const char *const tf[] = { "true", "false", "TRUE", "False" };
		const char *s = tf[rn(4)];
		w->lit = xstrndup(s, strlen(s));
		w->bind.t = SQLITE_INTEGER;
		w->bind.i = (s[0] | 0x20) == 't';
		return;
	}
	if (ty == COLSTORE_TYPE_DATE || ty == COLSTORE_TYPE_TIMESTAMP) {
		int64_t x = pv.t == SQLITE_INTEGER ? pv.i : 0;
		int r = (int)rn(10);
		int is_ts = ty == COLSTORE_TYPE_TIMESTAMP;
		int64_t unit = is_ts && chance(50) ? 1000000 : 1;
		if (pv.t != SQLITE_INTEGER || r == 7)
			x = is_ts ? rrange(-US_DAY * 365 * 50, US_DAY * 365 * 80) : rrange(-20000, 40000);
		else if (r == 5)
			x += unit;
		else if (r == 6)
			x -= unit;
		else if (r == 8)
			x = is_ts ? (chance(50) ? days_from_civil(0, 1, 1) * US_DAY : days_from_civil(9999, 12, 31) * US_DAY)
			          : (chance(50) ? days_from_civil(0, 1, 1) : days_from_civil(9999, 12, 31));
		if (is_ts && r == 9)
			x = floordiv(x, US_DAY) * US_DAY; /* a bare date */
		if (is_ts)
			fmt_ts(buf + 1, sizeof(buf) - 2, x, r == 9 ? 4 : r == 8 ? (int)rn(256) & ~3 : (int)rn(256));
		else
			fmt_date(buf + 1, sizeof(buf) - 2, x);
		buf[0] = '\'';
		strcat(buf, "'");
		w->lit = xstrndup(buf, strlen(buf));
		w->bind.t = SQLITE_INTEGER;
		w->bind.i = x;
		return;
	}
	int isf = is_float_type(ty);
	int r = (int)rn(14);
	if (isf) {
		double d = pv.t == SQLITE_FLOAT ? pv.d : 1.5;
		static const char *const odd[] = { "0", "-0", "1e308", "-1e308", "1e-320", "0.1", "-2.5e-3", "3" };
		if (pv.t == SQLITE_FLOAT && r < 6)
			snprintf(buf, sizeof(buf), "%.17g", d);
		else if (pv.t == SQLITE_FLOAT && r < 8)
			snprintf(buf, sizeof(buf), "%.*g", (int)rrange(3, 15), d);
		else if (r < 10 && fabs(d) < 9e18)
			snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)d);
		else if (r < 12)
			snprintf(buf, sizeof(buf), "%.15g", (runit() - 0.5) * pow(10, (double)rrange(-10, 10)));
		else
			snprintf(buf, sizeof(buf), "%s", odd[rn(sizeof(odd) / sizeof(odd[0]))]);
		set_num_lit(w, buf, 1);
		return;
	}
	int64_t x = pv.t == SQLITE_INTEGER ? pv.i : 7;
	static const char *const odd[] = { "9223372036854775807", "-9223372036854775808", "9223372036854775808",
	                                   "-9223372036854775809", "18446744073709551616", "127", "128", "-128",
	                                   "-129", "32767", "32768", "-32769", "2147483647", "2147483648",
	                                   "-2147483649", "1e3", "-2.5e2", "9.2233720368547758e18", "+5", "-0",
	                                   "0.0", "1e19", "-1e19", "0.5", "-0.5" };
	if (r < 6)
		snprintf(buf, sizeof(buf), "%" PRId64, x);
	else if (r < 8)
		snprintf(buf, sizeof(buf), "%" PRId64, r == 6 ? (x == INT64_MAX ? x : x + 1) : (x == INT64_MIN ? x : x - 1));
	else if (r == 8)
		snprintf(buf, sizeof(buf), "%" PRId64 ".5", x);
	else if (r == 9) /* the value as a double: near the limits it is not the value */
		snprintf(buf, sizeof(buf), "%.17g", (double)x);
	else if (r == 10)
		snprintf(buf, sizeof(buf), "%.*g", (int)rrange(1, 16), (double)x);
	else
		snprintf(buf, sizeof(buf), "%s", odd[rn(sizeof(odd) / sizeof(odd[0]))]);
	set_num_lit(w, buf, 0);
}

static int pick_col(const inst *in)
{
	return in->v->cols[rn((uint64_t)in->v->nc)];
}

/* a like pattern for w->col: from a value of the column (whole, a prefix,
 * a suffix or a middle between %, a character as _, ASCII case changed),
 * or an odd one; on a column that is not a string, a refusal */
static void gen_pattern(const inst *in, wnode *w)
{
	if (in->type[w->col] != COLSTORE_TYPE_STRING || chance(2)) {
		/* like on another type, or a pattern that is not a 'string' */
		const char *bad = in->type[w->col] == COLSTORE_TYPE_STRING || chance(50) ? "5" : "'5%'";
		w->bad = 1;
		w->lit = xstrndup(bad, strlen(bad));
		return;
	}
	int64_t row = some_row(in, w->col);
	sqlv pv = row >= 0 ? cell_value(in, w->col, (uint32_t)row) : (sqlv){ SQLITE_NULL, 0, 0, NULL, 0 };
	static const char *const odd[] = { "%", "_", "", "%%", "%_%", "k%", "%0", "_%_", "%~%", "N%",
		                           "%\xc3\xbf", "%''%", "a_c", "%K00%" };
	sbuf b = { 0 };
	int r = (int)rn(8);
	if (pv.t != SQLITE_TEXT || r == 7) {
		const char *o = odd[rn(sizeof(odd) / sizeof(odd[0]))];
		sb_str(&b, o);
	} else {
		uint32_t n = pv.len, a = n ? (uint32_t)rn(n + 1) : 0, z = a + (n > a ? (uint32_t)rn(n - a + 1) : 0);
		/* cuts between UTF-8 characters (SQLite reads a pattern by characters) */
		while (a > 0 && a < n && ((unsigned char)pv.s[a] & 0xc0) == 0x80)
			a--;
		while (z > a && z < n && ((unsigned char)pv.s[z] & 0xc0) == 0x80)
			z--;
		switch (r) {
		case 0: sb_put(&b, pv.s, n); break;
		case 1: sb_put(&b, pv.s, a); sb_str(&b, "%"); break;
		case 2: sb_str(&b, "%"); sb_put(&b, pv.s + a, n - a); break;
		case 3: sb_str(&b, "%"); sb_put(&b, pv.s + a, z - a); sb_str(&b, "%"); break;
		case 4: /* one character as _ (the bytes of a UTF-8 character: one _) */
			for (uint32_t i = 0; i < n;) {
				uint32_t l = 1;
				while (i + l < n && ((unsigned char)pv.s[i + l] & 0xc0) == 0x80)
					l++;
				if (i == a || (i < a && i + l > a))
					sb_str(&b, "_");
				else
					sb_put(&b, pv.s + i, l);
				i += l;
			}
			break;
		default: /* ASCII case flipped, whole or as a prefix */
			for (uint32_t i = 0; i < (r == 5 ? n : a); i++) {
				char c = pv.s[i];
				c = c >= 'a' && c <= 'z' ? (char)(c - 32) : c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
				sb_put(&b, &c, 1);
			}
			if (r == 6)
				sb_str(&b, "%");
			break;
		}
	}
	set_str_lit(w, b.p ? b.p : "", (uint32_t)b.n);
	free(b.p);
}

/* ---- value expressions ------------------------------------------------------------- */

/* An expression as colstore reads it (cs) and the same in SQLite (sql),
 * through the x* functions below: a reference written here, from the
 * documented rules, not from colstore's code.  Expressions are never
 * freed one by one (queries copied for shrinking share them); all are
 * freed at the end. */
enum { XC_NUM, XC_STR, XC_TIME };
typedef struct xexpr {
	char *cs, *sql;
	int cls;
	colstore_type type; /* INT64, FLOAT64, STRING, DATE, TIMESTAMP */
	int bits;           /* integers: |value| < 2^bits */
	int inf;            /* a float that may be infinite */
	int lit;            /* a literal */
	uint64_t cols;      /* table columns read (bit per column) */
} xexpr;

static xexpr **g_xs;
static size_t g_nxs, g_xcap;

static xexpr *xnew(sbuf *cs, sbuf *sql, colstore_type t, int bits, int inf, uint64_t cols)
{
	xexpr *x = xcalloc(1, sizeof(*x));
	x->cs = cs->p ? cs->p : xstrndup("", 0);
	x->sql = sql->p ? sql->p : xstrndup("", 0);
	x->type = t;
	x->cls = t == COLSTORE_TYPE_STRING ? XC_STR
	         : t == COLSTORE_TYPE_DATE || t == COLSTORE_TYPE_TIMESTAMP ? XC_TIME : XC_NUM;
	x->bits = bits > 64 ? 64 : bits;
	x->inf = inf;
	x->cols = cols;
	if (g_nxs == g_xcap) {
		g_xcap = g_xcap ? 2 * g_xcap : 256;
		g_xs = realloc(g_xs, g_xcap * sizeof(*g_xs));
		if (!g_xs)
			abort();
	}
	g_xs[g_nxs++] = x;
	return x;
}

static void xfree_all(void)
{
	for (size_t k = 0; k < g_nxs; k++) {
		free(g_xs[k]->cs);
		free(g_xs[k]->sql);
		free(g_xs[k]);
	}
	free(g_xs);
	g_xs = NULL;
	g_nxs = g_xcap = 0;
}

static int type_bits(colstore_type t)
{
	switch (t) {
	case COLSTORE_TYPE_INT8: return 8;
	case COLSTORE_TYPE_INT16: return 16;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: return 32;
	default: return 64;
	}
}

static int col_cls(colstore_type t)
{
	if (t == COLSTORE_TYPE_STRING)
		return XC_STR;
	if (t == COLSTORE_TYPE_DATE || t == COLSTORE_TYPE_TIMESTAMP)
		return XC_TIME;
	if (is_int_type(t) || is_float_type(t))
		return XC_NUM;
	return -1;
}

/* a column of class cls, or -1 */
static int pick_cls(const inst *in, int cls)
{
	for (int tries = 0; tries < 12; tries++) {
		int tc = pick_col(in);
		if (col_cls(in->type[tc]) == cls)
			return tc;
	}
	return -1;
}

static xexpr *x_col(const inst *in, int tc)
{
	sbuf cs = { 0 }, sql = { 0 };
	colstore_type t = in->type[tc];
	sb_str(&cs, in->t->c[tc].name);
	sb_printf(&sql, "\"%s\"", in->t->c[tc].name);
	colstore_type xt = is_int_type(t) ? COLSTORE_TYPE_INT64 : is_float_type(t) ? COLSTORE_TYPE_FLOAT64 : t;
	return xnew(&cs, &sql, xt, type_bits(t), 0, (uint64_t)1 << tc);
}

static xexpr *x_num_lit(void)
{
	sbuf cs = { 0 }, sql = { 0 };
	if (chance(65)) {
		int64_t v = rrange(-100, 100);
		sb_printf(&cs, "%" PRId64, v);
		sb_printf(&sql, "(%" PRId64 ")", v);
		xexpr *x = xnew(&cs, &sql, COLSTORE_TYPE_INT64, 7, 0, 0);
		x->lit = 1;
		return x;
	}
	static const char *const f[] = { "0.5", "2.5", "-1.25", "100.0", "0.1", "3e2", "-0.75" };
	const char *s = f[rn(sizeof(f) / sizeof(f[0]))];
	sb_str(&cs, s);
	sb_printf(&sql, "(%s)", s);
	xexpr *x = xnew(&cs, &sql, COLSTORE_TYPE_FLOAT64, 0, 0, 0);
	x->lit = 1;
	return x;
}

static xexpr *gen_x(const inst *in, int cls, int depth, int where);

/* a binary operation of two numbers, or NULL when none fits the limits */
static xexpr *x_binop(const inst *in, int depth, int where)
{
	xexpr *a = gen_x(in, XC_NUM, depth + 1, where);
	xexpr *b = chance(40) ? x_num_lit() : gen_x(in, XC_NUM, depth + 1, where);
	if (!a || !b)
		return a ? a : b;
	static const char ops[] = "+-*/";
	static const char *const fns[] = { "xadd", "xsub", "xmul", "xdiv" };
	int op = (int)rn(4);
	int both_int = a->type == COLSTORE_TYPE_INT64 && b->type == COLSTORE_TYPE_INT64;
	int fl = a->type == COLSTORE_TYPE_FLOAT64 || b->type == COLSTORE_TYPE_FLOAT64;
	/* NaN cannot be held by SQLite: no inf - inf, no inf * 0 */
	if ((op == 2 || op == 3) && (a->inf || b->inf))
		op = a->inf && b->inf ? -1 : (int)rn(2);
	if (op < 2 && a->inf && b->inf)
		op = -1;
	if (op < 0)
		return a;
	int bits = op == 2 ? a->bits + b->bits : (a->bits > b->bits ? a->bits : b->bits) + 1;
	if (where && both_int && op != 3 && bits > 62) /* no overflow in a filter */
		return a;
	int inf = a->inf || b->inf || (fl && (op == 2 || op == 3) && !a->lit && !b->lit) ||
	          (op == 3 && !b->lit);
	sbuf cs = { 0 }, sql = { 0 };
	sb_printf(&cs, depth ? "(%s %c %s)" : "%s %c %s", a->cs, ops[op], b->cs);
	sb_printf(&sql, "%s(%s, %s)", fns[op], a->sql, b->sql);
	return xnew(&cs, &sql, both_int && op != 3 ? COLSTORE_TYPE_INT64 : COLSTORE_TYPE_FLOAT64, bits,
	            inf, a->cols | b->cols);
}

static xexpr *gen_x(const inst *in, int cls, int depth, int where)
{
	sbuf cs = { 0 }, sql = { 0 };
	int r = (int)rn(100);
	if (cls == XC_STR || cls == XC_TIME) {
		int tc = pick_cls(in, cls);
		if (tc < 0)
			return NULL;
		xexpr *c = x_col(in, tc);
		if (depth >= 2 || r < 45)
			return c;
		if (cls == XC_TIME) {
			static const char *const units[] = { "year", "quarter", "month", "week", "day", "hour", "minute" };
			const char *u = units[rn(7)];
			sb_printf(&cs, "date_trunc('%s', %s)", u, c->cs);
			sb_printf(&sql, "xtrunc('%s', %s, %d)", u, c->sql, c->type == COLSTORE_TYPE_TIMESTAMP);
			return xnew(&cs, &sql, c->type, 64, 0, c->cols);
		}
		if (r < 80) {
			const char *f = chance(50) ? "lower" : "upper";
			sb_printf(&cs, "%s(%s)", chance(20) ? (f[0] == 'l' ? "LOWER" : "UPPER") : f, c->cs);
			sb_printf(&sql, "%s(%s)", f, c->sql);
		} else {
			sb_printf(&cs, "coalesce(%s, 'zz''z')", c->cs);
			sb_printf(&sql, "coalesce(%s, 'zz''z')", c->sql);
		}
		return xnew(&cs, &sql, COLSTORE_TYPE_STRING, 0, 0, c->cols);
	}
	if (depth >= 2 || r < 30) {
		int tc = chance(80) ? pick_cls(in, XC_NUM) : -1;
		return tc >= 0 ? x_col(in, tc) : x_num_lit();
	}
	if (r < 50)
		return x_binop(in, depth, where);
	if (r < 82) { /* one number in, one out */
		xexpr *a = gen_x(in, XC_NUM, depth + 1, where);
		int f = (int)rn(4);
		colstore_type t = a->type;
		int bits = a->bits;
		if (where && t == COLSTORE_TYPE_INT64 && bits > 62 && f != 2)
			return a; /* -x, abs(x), bucket(x): no overflow in a filter */
		if (f == 0) {
			sb_printf(&cs, a->cs[0] == '-' || strchr(a->cs, ' ') ? "-(%s)" : "-%s", a->cs);
			sb_printf(&sql, "xneg(%s)", a->sql);
		} else if (f == 1) {
			sb_printf(&cs, "abs(%s)", a->cs);
			sb_printf(&sql, "abs(%s)", a->sql);
		} else if (f == 2) {
			int d = (int)rn(4);
			sb_printf(&cs, "round(%s, %d)", a->cs, d);
			sb_printf(&sql, "xround(%s, %d)", a->sql, d);
		} else {
			static const char *const w[] = { "1", "2", "5", "10", "0.5", "2.5" };
			const char *ws = w[rn(6)];
			if (a->inf)
				ws = "10";
			if (strchr(ws, '.'))
				t = COLSTORE_TYPE_FLOAT64;
			bits++;
			if (where && t == COLSTORE_TYPE_INT64 && bits > 62)
				return a;
			sb_printf(&cs, "bucket(%s, %s)", a->cs, ws);
			sb_printf(&sql, "xbucket(%s, %s)", a->sql, ws);
		}
		return xnew(&cs, &sql, t, bits, a->inf, a->cols);
	}
	if (r < 88) {
		xexpr *s = gen_x(in, XC_STR, depth + 1, where);
		if (!s)
			return x_num_lit();
		sb_printf(&cs, "length(%s)", s->cs);
		sb_printf(&sql, "length(%s)", s->sql);
		return xnew(&cs, &sql, COLSTORE_TYPE_INT64, 32, 0, s->cols);
	}
	if (r < 96) {
		xexpr *t = gen_x(in, XC_TIME, depth + 1, where);
		if (!t)
			return x_num_lit();
		static const char *const parts[] = { "year", "quarter", "month", "day", "hour", "minute", "weekday" };
		const char *p = parts[rn(7)];
		sb_printf(&cs, "%s(%s)", p, t->cs);
		sb_printf(&sql, "xpart('%s', %s, %d)", p, t->sql, t->type == COLSTORE_TYPE_TIMESTAMP);
		return xnew(&cs, &sql, COLSTORE_TYPE_INT64, 32, 0, t->cols);
	}
	xexpr *a = gen_x(in, XC_NUM, depth + 1, where), *b = chance(60) ? x_num_lit() : gen_x(in, XC_NUM, depth + 1, where);
	int fl = a->type == COLSTORE_TYPE_FLOAT64 || b->type == COLSTORE_TYPE_FLOAT64;
	sb_printf(&cs, "coalesce(%s, %s)", a->cs, b->cs);
	sb_printf(&sql, fl ? "CAST(coalesce(%s, %s) AS REAL)" : "coalesce(%s, %s)", a->sql, b->sql);
	return xnew(&cs, &sql, fl ? COLSTORE_TYPE_FLOAT64 : COLSTORE_TYPE_INT64,
	            a->bits > b->bits ? a->bits : b->bits, a->inf || b->inf, a->cols | b->cols);
}

/* an expression that is not a plain column (a plain one is tested already) */
static xexpr *gen_x_top(const inst *in, int cls, int where)
{
	for (int tries = 0; tries < 8; tries++) {
		xexpr *x = gen_x(in, cls, 0, where);
		if (x && (strchr(x->cs, '(') || strchr(x->cs, ' ')))
			return x;
	}
	return NULL;
}

/* a literal of class cls to compare x with (dates and timestamps: ISO
 * text, their SQLite days or microseconds) */
static xexpr *x_lit_for(const inst *in, const xexpr *x)
{
	sbuf cs = { 0 }, sql = { 0 };
	if (x->cls == XC_NUM)
		return x_num_lit();
	if (x->cls == XC_STR) {
		static const char *const s[] = { "a", "", "N", "zz'z", "k00", "\xc3\xbf" };
		const char *v = s[rn(6)];
		sb_str(&cs, "'");
		sb_str(&sql, "'");
		for (const char *p = v; *p; p++) {
			sb_put(&cs, p, 1);
			sb_put(&sql, p, 1);
			if (*p == '\'') {
				sb_str(&cs, "'");
				sb_str(&sql, "'");
			}
		}
		sb_str(&cs, "'");
		sb_str(&sql, "'");
		xexpr *l = xnew(&cs, &sql, COLSTORE_TYPE_STRING, 0, 0, 0);
		l->lit = 1;
		return l;
	}
	(void)in;
	int64_t days = rrange(-3000, 25000);
	char buf[64];
	if (x->type == COLSTORE_TYPE_DATE) {
		fmt_date(buf, sizeof(buf), days);
		sb_printf(&cs, "'%s'", buf);
		sb_printf(&sql, "(%" PRId64 ")", days);
	} else {
		int64_t us = days * US_DAY + (chance(50) ? 0 : rrange(0, 86399) * 1000000);
		fmt_ts(buf, sizeof(buf), us, 0);
		sb_printf(&cs, "'%s'", buf);
		sb_printf(&sql, "(%" PRId64 ")", us);
	}
	xexpr *l = xnew(&cs, &sql, x->type, 64, 0, 0);
	l->lit = 1;
	return l;
}

/* SQLite's side of a comparison's operand: a date compared with a
 * timestamp as its midnight's microseconds */
static void x_sql_side(sbuf *o, const xexpr *x, const xexpr *other)
{
	if (x->type == COLSTORE_TYPE_DATE && other->type == COLSTORE_TYPE_TIMESTAMP)
		sb_printf(o, "(%s) * 86400000000", x->sql);
	else
		sb_printf(o, "(%s)", x->sql);
}

/* ---- the reference functions in SQLite ---- */

static int xnull2(sqlite3_context *cx, sqlite3_value **v)
{
	if (sqlite3_value_type(v[0]) == SQLITE_NULL || sqlite3_value_type(v[1]) == SQLITE_NULL) {
		sqlite3_result_null(cx);
		return 1;
	}
	return 0;
}

static void xarith(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	intptr_t op = (intptr_t)sqlite3_user_data(cx);
	if (xnull2(cx, v))
		return;
	if (op < 3 && sqlite3_value_type(v[0]) == SQLITE_INTEGER && sqlite3_value_type(v[1]) == SQLITE_INTEGER) {
		int64_t a = sqlite3_value_int64(v[0]), b = sqlite3_value_int64(v[1]), r;
		int o = op == 0 ? __builtin_add_overflow(a, b, &r) : op == 1 ? __builtin_sub_overflow(a, b, &r)
		                                                             : __builtin_mul_overflow(a, b, &r);
		if (o)
			sqlite3_result_error(cx, "integer overflow", -1);
		else
			sqlite3_result_int64(cx, r);
		return;
	}
	double a = sqlite3_value_double(v[0]), b = sqlite3_value_double(v[1]);
	if (op == 3 && b == 0) {
		sqlite3_result_null(cx);
		return;
	}
	sqlite3_result_double(cx, op == 0 ? a + b : op == 1 ? a - b : op == 2 ? a * b : a / b);
}

static void xneg(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	switch (sqlite3_value_type(v[0])) {
	case SQLITE_NULL: sqlite3_result_null(cx); return;
	case SQLITE_INTEGER: {
		int64_t a = sqlite3_value_int64(v[0]);
		if (a == INT64_MIN)
			sqlite3_result_error(cx, "integer overflow", -1);
		else
			sqlite3_result_int64(cx, -a);
		return;
	}
	default: sqlite3_result_double(cx, -sqlite3_value_double(v[0]));
	}
}

/* round half away from zero, on the shortest decimal that reads back as
 * the double: its digits as an integer, cut with integer arithmetic */
static double ref_round(double x, int d)
{
	if (!isfinite(x))
		return x;
	char buf[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	int neg = buf[0] == '-';
	unsigned __int128 m = 0;
	int nd = 0;
	char *e = strchr(buf, 'e');
	for (char *p = buf + neg; p < e; p++)
		if (*p != '.') {
			m = m * 10 + (unsigned)(*p - '0');
			nd++;
		}
	int exp10 = atoi(e + 1) - (nd - 1); /* x = m * 10^exp10 */
	if (exp10 >= -d)
		return x;
	int cut = -d - exp10; /* digits to drop */
	if (cut > 30)
		return neg ? -0.0 : 0.0;
	unsigned __int128 p10 = 1;
	for (int k = 0; k < cut; k++)
		p10 *= 10;
	unsigned __int128 q = m / p10, rem = m % p10;
	if (rem * 2 >= p10)
		q++;
	snprintf(buf, sizeof(buf), "%s%llue-%d", neg ? "-" : "", (unsigned long long)q, d);
	return strtod(buf, NULL);
}

static void xround(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	if (xnull2(cx, v))
		return;
	if (sqlite3_value_type(v[0]) == SQLITE_INTEGER)
		sqlite3_result_int64(cx, sqlite3_value_int64(v[0]));
	else
		sqlite3_result_double(cx, ref_round(sqlite3_value_double(v[0]), sqlite3_value_int(v[1])));
}

static void xbucket(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	if (xnull2(cx, v))
		return;
	if (sqlite3_value_type(v[0]) == SQLITE_INTEGER && sqlite3_value_type(v[1]) == SQLITE_INTEGER) {
		int64_t a = sqlite3_value_int64(v[0]), w = sqlite3_value_int64(v[1]), r;
		if (__builtin_mul_overflow(floordiv(a, w), w, &r))
			sqlite3_result_error(cx, "integer overflow", -1);
		else
			sqlite3_result_int64(cx, r);
		return;
	}
	double w = sqlite3_value_double(v[1]);
	sqlite3_result_double(cx, floor(sqlite3_value_double(v[0]) / w) * w);
}

/* xpart(name, v, is_ts) and xtrunc(unit, v, is_ts): v is days or µs */
static void xtime(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	const int trunc = (int)(intptr_t)sqlite3_user_data(cx);
	if (sqlite3_value_type(v[1]) == SQLITE_NULL) {
		sqlite3_result_null(cx);
		return;
	}
	const char *name = (const char *)sqlite3_value_text(v[0]);
	int64_t x = sqlite3_value_int64(v[1]);
	const int is_ts = sqlite3_value_int(v[2]);
	int64_t days = is_ts ? floordiv(x, US_DAY) : x, us = is_ts ? x - days * US_DAY : 0;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	int64_t wd = ((days % 7) + 7 + 4) % 7; /* 1970-01-01: a Thursday; Sunday 0 */
	if (!trunc) {
		int64_t r = !strcmp(name, "year") ? y : !strcmp(name, "quarter") ? (m - 1) / 3 + 1
		            : !strcmp(name, "month") ? m : !strcmp(name, "day") ? d
		            : !strcmp(name, "hour") ? us / 3600000000LL : !strcmp(name, "minute") ? us / 60000000 % 60
		            : wd;
		sqlite3_result_int64(cx, r);
		return;
	}
	int64_t r;
	if (!strcmp(name, "hour") || !strcmp(name, "minute")) {
		int64_t q = name[0] == 'h' ? 3600000000LL : 60000000LL;
		r = is_ts ? days * US_DAY + us - us % q : x;
		sqlite3_result_int64(cx, r);
		return;
	}
	if (!strcmp(name, "year"))
		r = days_from_civil(y, 1, 1);
	else if (!strcmp(name, "quarter"))
		r = days_from_civil(y, (unsigned)((m - 1) / 3 * 3 + 1), 1);
	else if (!strcmp(name, "month"))
		r = days_from_civil(y, (unsigned)m, 1);
	else if (!strcmp(name, "week"))
		r = days - (wd + 6) % 7; /* back to the Monday */
	else
		r = days;
	sqlite3_result_int64(cx, is_ts ? r * US_DAY : r);
}

static void x_register(sqlite3 *db)
{
	static const char *const ar[] = { "xadd", "xsub", "xmul", "xdiv" };
	for (intptr_t k = 0; k < 4; k++)
		sqlite3_create_function(db, ar[k], 2, SQLITE_UTF8, (void *)k, xarith, NULL, NULL);
	sqlite3_create_function(db, "xneg", 1, SQLITE_UTF8, NULL, xneg, NULL, NULL);
	sqlite3_create_function(db, "xround", 2, SQLITE_UTF8, NULL, xround, NULL, NULL);
	sqlite3_create_function(db, "xbucket", 2, SQLITE_UTF8, NULL, xbucket, NULL, NULL);
	sqlite3_create_function(db, "xpart", 3, SQLITE_UTF8, (void *)0, xtime, NULL, NULL);
	sqlite3_create_function(db, "xtrunc", 3, SQLITE_UTF8, (void *)1, xtime, NULL, NULL);
}

static wnode *gen_where(const inst *in, int depth)
{
	wnode *w = xcalloc(1, sizeof(*w));
	w->spell = (int)rn(16) & (chance(20) ? 15 : 8);
	if (depth < 3 && chance(depth == 0 ? 45 : 30)) {
		w->kind = chance(55) ? W_AND : W_OR;
		w->l = gen_where(in, depth + 1);
		w->r = gen_where(in, depth + 1);
		return w;
	}
	if (depth < 3 && chance(8)) {
		w->kind = W_NOT;
		w->l = gen_where(in, depth + 1);
		return w;
	}
	if (chance(12)) { /* value expressions compared, or tested for null */
		int cls = (int)rn(3);
		xexpr *x = gen_x_top(in, cls, 1);
		if (x) {
			w->xl = x;
			if (chance(12)) {
				w->kind = W_XNULL;
				w->op = chance(50);
				return w;
			}
			w->kind = W_XCMP;
			w->op = (int)rn(6);
			xexpr *y = chance(50) ? x_lit_for(in, x) : gen_x(in, x->cls, 1, 1);
			w->xr = y ? y : x_lit_for(in, x);
			if (chance(30)) { /* the other way round */
				xexpr *t = w->xl;
				w->xl = w->xr;
				w->xr = t;
			}
			return w;
		}
	}
	w->col = pick_col(in);
	if (chance(15)) {
		w->kind = W_NULL;
		w->op = chance(50);
		return w;
	}
	int r = (int)rn(100);
	if (r < 10) { /* in (1 to 4 literals), or not in */
		w->kind = W_IN;
		w->op = chance(30);
		wnode **at = &w->l;
		for (int k = 1 + (int)rn(4); k > 0; k--, at = &(*at)->l) {
			*at = xcalloc(1, sizeof(wnode));
			(*at)->kind = W_CMP;
			(*at)->col = w->col;
			gen_literal(in, *at);
		}
		return w;
	}
	if (r < 18) {
		w->kind = W_BETWEEN;
		w->op = chance(30);
		w->l = xcalloc(1, sizeof(wnode));
		w->r = xcalloc(1, sizeof(wnode));
		w->l->kind = w->r->kind = W_CMP;
		w->l->col = w->r->col = w->col;
		gen_literal(in, w->l);
		gen_literal(in, w->r);
		return w;
	}
	if (r < 30) {
		for (int tries = 0; tries < 5 && in->type[w->col] != COLSTORE_TYPE_STRING; tries++)
			w->col = pick_col(in);
		w->kind = W_LIKE;
		w->op = (int)rn(4);
		gen_pattern(in, w);
		return w;
	}
	w->kind = W_CMP;
	w->op = (int)rn(6);
	gen_literal(in, w);
	return w;
}

static void where_text(const wnode *w, const gtable *t, int parent, sbuf *o)
{
	int up = w->spell & 1;
	if (w->kind == W_AND || w->kind == W_OR) {
		int par = (parent == W_AND && w->kind == W_OR) || parent == W_NOT || (w->spell & 8);
		if (par)
			sb_str(o, "(");
		where_text(w->l, t, w->kind, o);
		sb_str(o, w->kind == W_AND ? (up ? " AND " : " and ") : (up ? " OR " : " or "));
		where_text(w->r, t, w->kind, o);
		if (par)
			sb_str(o, ")");
		return;
	}
	if (w->kind == W_NOT) { /* not binds tighter than and: a leaf needs no () */
		sb_str(o, up ? "NOT " : "not ");
		where_text(w->l, t, W_NOT, o);
		return;
	}
	if (w->kind == W_XCMP || w->kind == W_XNULL) {
		if (w->spell & 8)
			sb_str(o, "(");
		sb_str(o, w->xl->cs);
		if (w->kind == W_XNULL)
			sb_str(o, w->op ? (up ? " IS NOT NULL" : " is not null") : (up ? " IS NULL" : " is null"));
		else
			sb_printf(o, " %s %s", (w->spell & 4) ? op_alt[w->op] : op_sql[w->op], w->xr->cs);
		if (w->spell & 8)
			sb_str(o, ")");
		return;
	}
	if (w->spell & 8)
		sb_str(o, "(");
	if (w->spell & 2)
		sb_printf(o, "\"%s\"", t->c[w->col].name);
	else
		sb_str(o, t->c[w->col].name);
	const char *no = w->op & 1 ? (up ? " NOT" : " not") : "";
	if (w->kind == W_NULL) {
		sb_str(o, w->op ? (up ? " IS NOT NULL" : " is not null") : (up ? " IS NULL" : " is null"));
	} else if (w->kind == W_IN) {
		sb_printf(o, "%s %s (", no, up ? "IN" : "in");
		for (const wnode *x = w->l; x; x = x->l)
			sb_printf(o, "%s%s", x == w->l ? "" : (w->spell & 4) ? "," : ", ", x->lit);
		sb_str(o, ")");
	} else if (w->kind == W_BETWEEN) {
		sb_printf(o, "%s %s %s %s %s", no, up ? "BETWEEN" : "between", w->l->lit, up ? "AND" : "and",
		          w->r->lit);
	} else if (w->kind == W_LIKE) {
		sb_printf(o, "%s %s %s", no, w->op & 2 ? (up ? "ILIKE" : "ilike") : (up ? "LIKE" : "like"),
		          w->lit);
	} else {
		sb_printf(o, " %s %s", (w->spell & 4) ? op_alt[w->op] : op_sql[w->op], w->lit);
	}
	if (w->spell & 8)
		sb_str(o, ")");
}

static void where_sql(const wnode *w, const gtable *t, sbuf *o, sqlv *binds, int *nb)
{
	if (w->kind == W_AND || w->kind == W_OR) {
		sb_str(o, "(");
		where_sql(w->l, t, o, binds, nb);
		sb_str(o, w->kind == W_AND ? ") AND (" : ") OR (");
		where_sql(w->r, t, o, binds, nb);
		sb_str(o, ")");
		return;
	}
	if (w->kind == W_NOT) {
		sb_str(o, "NOT (");
		where_sql(w->l, t, o, binds, nb);
		sb_str(o, ")");
		return;
	}
	if (w->kind == W_NULL) {
		sb_printf(o, "\"%s\" IS %sNULL", t->c[w->col].name, w->op ? "NOT " : "");
		return;
	}
	if (w->kind == W_XNULL) {
		sb_printf(o, "(%s) IS %sNULL", w->xl->sql, w->op ? "NOT " : "");
		return;
	}
	if (w->kind == W_XCMP) {
		x_sql_side(o, w->xl, w->xr);
		sb_printf(o, " %s ", op_sql[w->op]);
		x_sql_side(o, w->xr, w->xl);
		return;
	}
	/* in, between and like written out in SQLite's own terms: the meaning
	 * colstore documents (an or of =, >= and <=; not as a NOT around it) */
	const char *name = t->c[w->col].name;
	if (w->kind == W_IN) {
		sb_str(o, w->op ? "NOT (" : "(");
		for (const wnode *x = w->l; x; x = x->l) {
			sb_printf(o, "%s\"%s\" = ?", x == w->l ? "" : " OR ", name);
			binds[(*nb)++] = x->bind;
		}
		sb_str(o, ")");
	} else if (w->kind == W_BETWEEN) {
		sb_printf(o, "%s(\"%s\" >= ? AND \"%s\" <= ?)", w->op ? "NOT " : "", name, name);
		binds[(*nb)++] = w->l->bind;
		binds[(*nb)++] = w->r->bind;
	} else if (w->kind == W_LIKE) {
		if (w->op & 2)
			sb_printf(o, "%slower(\"%s\") LIKE lower(?)", w->op & 1 ? "NOT " : "", name);
		else
			sb_printf(o, "%s\"%s\" LIKE ?", w->op & 1 ? "NOT " : "", name);
		binds[(*nb)++] = w->bind;
	} else {
		sb_printf(o, "\"%s\" %s ?", name, op_sql[w->op]);
		binds[(*nb)++] = w->bind;
	}
}

static colstore_type arg_type(const inst *in, const query *q, int a);

static void gen_query(const inst *in, query *q)
{
	memset(q, 0, sizeof(*q));
	q->where = chance(80) ? gen_where(in, 0) : NULL;
	q->nagg = 1 + (int)rn(4);
	int want_bad = chance(3);
	for (int a = 0; a < q->nagg; a++) {
		/* often a column of the one before: min, max, sum and avg of one
		 * column go through one pass together (cs_kernel_dec_local) */
		int fn = chance(8) ? A_COUNT_DISTINCT : chance(12) ? A_VAR + (int)rn(4)
		         : chance(10) ? A_MEDIAN + (int)rn(3) : (int)rn(6);
		int col = a > 0 && chance(30) ? q->agg[a - 1].col : pick_col(in), tries = 0;
		/* sum, avg, var, stddev, median, quantile of numbers, but for the one query in 30 that must be refused */
		while (FN_NUM(fn) && !(is_int_type(in->type[col]) || is_float_type(in->type[col])) &&
		       !(want_bad && a == 0) && tries++ < 10)
			col = pick_col(in);
		if (FN_NUM(fn) && !(is_int_type(in->type[col]) || is_float_type(in->type[col])) &&
		    !(want_bad && a == 0))
			fn = A_MIN;
		static const double qs[] = { 0, 0.1, 0.25, 0.5, 0.9, 1, 0.333 };
		q->agg[a].q = fn == A_MEDIAN ? 0.5 : qs[rn(7)];
		q->agg[a].fn = fn;
		q->agg[a].col = col;
		q->agg[a].upper = chance(5);
		q->agg[a].alias = chance(15);
		if (fn != A_COUNT_STAR && chance(20)) { /* over an expression */
			int num = FN_NUM(fn);
			xexpr *x = gen_x_top(in, num ? XC_NUM : (int)rn(3), 0);
			if (x && num && x->inf) /* a sum of inf and -inf would be NaN */
				q->agg[a].fn = A_MAX;
			q->agg[a].x = x;
		}
	}
	q->ngb = chance(35) ? 0 : 1 + (int)rn(3);
	if (q->ngb > in->v->nc)
		q->ngb = in->v->nc;
	for (int g = 0; g < q->ngb; g++) {
		q->gb[g] = pick_col(in);
		q->gbx[g] = chance(15) ? gen_x_top(in, (int)rn(3), 0) : NULL;
		q->gal[g] = chance(15);
	}
	if (chance(10)) { /* min, max, sum and avg of one float64 column by one key */
		int c = pick_col(in);
		for (int tries = 0; tries < 10 && in->type[c] != COLSTORE_TYPE_FLOAT64; tries++)
			c = pick_col(in);
		if (in->type[c] == COLSTORE_TYPE_FLOAT64) {
			static const int fns[] = { A_MIN, A_MAX, A_SUM, A_AVG };
			q->nagg = 2 + (int)rn(3);
			for (int a = 0; a < q->nagg; a++) {
				q->agg[a].fn = fns[rn(4)];
				q->agg[a].col = c;
				q->agg[a].x = NULL;
			}
			q->ngb = 1;
		}
	}
	/* an order by result columns whose values compare exactly on both
	 * sides (keys, counts, integer sums, min and max; not float sums or
	 * averages, which SQLite rounds on its own), ties in key order */
	if (chance(30)) {
		int tries = 0;
		while (q->nord < 1 + (int)rn(3) && tries++ < 12) {
			int k = (int)rn((uint64_t)(q->ngb + q->nagg)), a = k - q->ngb;
			if (a >= 0 && (FN_FLOAT(q->agg[a].fn) || q->agg[a].fn == A_APPROX ||
			               (q->agg[a].fn == A_SUM && !is_int_type(arg_type(in, q, a)))))
				continue;
			q->ord[q->nord].k = k;
			q->ord[q->nord].desc = chance(50);
			q->ord[q->nord++].spell = (int)rn(4);
		}
	}
	q->alimit = chance(25) ? (int64_t)rn(12) : -1;
	q->threads = 1 + (uint32_t)rn(4);
	int m = (int)rn(10);
	q->memlimit = m < 6 ? 0 : m < 8 ? 256 << 10 : m < 9 ? 64 << 10 : 1 << 20;
	q->worker_bytes = chance(85) ? 0 : (uint64_t)4 << 20;
	int s = (int)rn(100);
	q->scan = s < 30 ? 1 : s < 34 ? 2 : 0;
	q->nsc = chance(20) ? 0 : 1 + (int)rn(3);
	for (int k = 0; k < q->nsc; k++)
		q->sc[k] = pick_col(in);
	q->limit = chance(50) ? -1 : (int64_t)rn(50);
	q->cli_threads = 1 + (uint32_t)rn(4);
	q->osc = chance(25) && q->nsc;
	if (q->osc) {
		q->sx = chance(40) ? gen_x_top(in, (int)rn(3), 1) : NULL;
		if (q->sx && q->sx->inf)
			q->sx = NULL;
		q->onk = 1 + (int)rn(3);
		for (int k = 0; k < q->onk; k++) {
			int r = (int)rn(10), nitems = q->nsc + (q->sx ? 1 : 0);
			q->okey[k].item = r < 6 ? (int)rn((uint64_t)nitems) : -1;
			q->okey[k].col = pick_col(in);
			q->okey[k].x = r >= 8 ? gen_x_top(in, (int)rn(3), 1) : NULL;
			if (q->okey[k].x && q->okey[k].x->inf)
				q->okey[k].x = NULL;
			q->okey[k].desc = chance(50);
		}
		q->olimit = chance(50) ? (int64_t)rn(30) : -1;
		q->omem = chance(30) ? 4096 : 0; /* runs written out and merged */
	}
}

static void free_query(query *q)
{
	wfree(q->where);
	q->where = NULL;
}

static void copy_query(query *dst, const query *src)
{
	*dst = *src;
	dst->where = wcopy(src->where);
}

/* the type of aggregate a's argument: its column's, or its expression's */
static colstore_type arg_type(const inst *in, const query *q, int a)
{
	return q->agg[a].x ? q->agg[a].x->type : in->type[q->agg[a].col];
}

/* aggregate a's argument, or key g's value, in SQLite */
static void arg_sql(const gtable *t, const query *q, int a, sbuf *o)
{
	if (q->agg[a].x)
		sb_printf(o, "(%s)", q->agg[a].x->sql);
	else
		sb_printf(o, "\"%s\"", t->c[q->agg[a].col].name);
}

static void key_sql(const gtable *t, const query *q, int g, sbuf *o)
{
	if (q->gbx[g])
		sb_printf(o, "(%s)", q->gbx[g]->sql);
	else
		sb_printf(o, "\"%s\"", t->c[q->gb[g]].name);
}

static int agg_ok(const inst *in, const query *q, int a)
{
	int fn = q->agg[a].fn;
	colstore_type t = arg_type(in, q, a);
	return !FN_NUM(fn) || is_int_type(t) || is_float_type(t);
}

static void agg_text(const gtable *t, const query *q, sbuf *o)
{
	for (int a = 0; a < q->nagg; a++) {
		const char *fn = fn_names[q->agg[a].fn];
		if (a)
			sb_str(o, ",");
		if (q->agg[a].upper)
			sb_printf(o, "%c%c%c%s", fn[0] & ~0x20, fn[1] & ~0x20, fn[2] & ~0x20, fn + 3);
		else
			sb_str(o, fn);
		const char *arg = q->agg[a].x ? q->agg[a].x->cs : t->c[q->agg[a].col].name;
		if (q->agg[a].fn == A_COUNT_STAR)
			sb_str(o, "(*)");
		else if (q->agg[a].fn == A_COUNT_DISTINCT)
			sb_printf(o, "(%s %s)", q->agg[a].upper ? "DISTINCT" : "distinct", arg);
		else if (q->agg[a].fn == A_QUANTILE)
			sb_printf(o, "(%s, %g)", arg, q->agg[a].q);
		else
			sb_printf(o, "(%s)", arg);
		if (q->agg[a].alias)
			sb_printf(o, " %s a%d", q->agg[a].upper ? "AS" : "as", a);
	}
}

static void gb_text(const gtable *t, const query *q, sbuf *o)
{
	for (int g = 0; g < q->ngb; g++) {
		sb_printf(o, "%s%s", g ? "," : "", q->gbx[g] ? q->gbx[g]->cs : t->c[q->gb[g]].name);
		if (q->gal[g])
			sb_printf(o, " as k%d", g);
	}
}

static void cols_text(const gtable *t, const query *q, sbuf *o)
{
	for (int k = 0; k < q->nsc; k++)
		sb_printf(o, "%s%s", k ? "," : "", t->c[q->sc[k]].name);
}

/* " -w 'WHERE'" of the query, if it has one (x: scratch) */
static void where_opt(const gtable *t, const query *q, sbuf *x, sbuf *o)
{
	if (!q->where)
		return;
	sb_clear(x);
	where_text(q->where, t, -1, x);
	sb_str(o, " -w ");
	sb_shq(o, sb_cstr(x));
}

/* the query as command lines */
static void query_cli(const gtable *t, const query *q, const char *file, sbuf *o)
{
	sbuf x = { 0 };
	sb_str(o, "colstore agg ");
	sb_str(o, file);
	agg_text(t, q, &x);
	sb_str(o, " -a ");
	sb_shq(o, sb_cstr(&x));
	if (q->ngb) {
		sb_clear(&x);
		gb_text(t, q, &x);
		sb_str(o, " -g ");
		sb_shq(o, sb_cstr(&x));
	}
	where_opt(t, q, &x, o);
	sb_printf(o, " -t %u", q->threads);
	if (q->memlimit)
		sb_printf(o, " -m 1M    # library: memory limit %" PRIu64 " bytes", q->memlimit);
	if (q->worker_bytes == 0)
		sb_str(o, q->memlimit ? ", a worker per row group" : "    # library: a worker per row group");
	if (q->scan) {
		sb_str(o, "\n  colstore scan ");
		sb_str(o, file);
		if (q->nsc) {
			sb_clear(&x);
			cols_text(t, q, &x);
			sb_str(o, " -c ");
			sb_shq(o, sb_cstr(&x));
		}
		where_opt(t, q, &x, o);
		if (q->limit >= 0)
			sb_printf(o, " -n %" PRId64, q->limit);
		sb_printf(o, " -f csv -t %u%s", q->cli_threads, q->scan == 1 ? "    # (run through the library)" : "");
	}
	free(x.p);
}

/* ---- running a query on both sides ---------------------------------------------- */

typedef struct stats {
	uint64_t agg, filters, lib_scans, cli_scans, refused, errors_agreed, with_x, ordered;
} stats;
static stats g_st;

static int prepare(sqlite3 *db, const char *sql, const sqlv *binds, int nb, sqlite3_stmt **st, sbuf *why)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		sb_printf(why, "sqlite cannot prepare %s: %s", sql, sqlite3_errmsg(db));
		return 1;
	}
	for (int k = 0; k < nb; k++) {
		const sqlv *b = &binds[k];
		switch (b->t) {
		case SQLITE_INTEGER: sqlite3_bind_int64(*st, k + 1, b->i); break;
		case SQLITE_FLOAT: sqlite3_bind_double(*st, k + 1, b->d); break;
		case SQLITE_TEXT: sqlite3_bind_text(*st, k + 1, b->s, (int)b->len, SQLITE_STATIC); break;
		default: sqlite3_bind_null(*st, k + 1); break;
		}
	}
	return 0;
}

static sqlv cell_sqlv(const colstore_cell *c)
{
	sqlv v = { SQLITE_NULL, 0, 0, NULL, 0 };
	if (c->is_null)
		return v;
	if (c->type == COLSTORE_TYPE_STRING) {
		v.t = SQLITE_TEXT;
		v.s = c->s ? c->s : "";
		v.len = c->len;
	} else if (is_float_type(c->type)) {
		v.t = SQLITE_FLOAT;
		v.d = c->d;
	} else {
		v.t = SQLITE_INTEGER;
		v.i = c->i;
	}
	return v;
}

static int query_has_x(const query *q, const wnode *w)
{
	if (w)
		return w->kind == W_XCMP || w->kind == W_XNULL || (w->l && query_has_x(q, w->l)) ||
		       (w->r && query_has_x(q, w->r));
	for (int a = 0; a < q->nagg; a++)
		if (q->agg[a].x)
			return 1;
	for (int g = 0; g < q->ngb; g++)
		if (q->gbx[g])
			return 1;
	return q->where && query_has_x(q, q->where);
}

/* the aggregation on both sides: 0 agree, 1 differ (why says how) */
static int check_agg(inst *in, const query *q, sbuf *why)
{
	const gtable *t = in->t;
	sbuf aggs = { 0 }, gb = { 0 }, wh = { 0 }, sql = { 0 };
	agg_text(t, q, &aggs);
	gb_text(t, q, &gb);
	if (q->where)
		where_text(q->where, t, -1, &wh);
	int expect_refusal = wbad(q->where);
	for (int a = 0; a < q->nagg; a++)
		expect_refusal |= !agg_ok(in, q, a);
	colstore_agg *ag = NULL;
	colstore_error e;
	memset(&e, 0, sizeof(e));
	colstore_filter *flt = NULL;
	int rc = q->where ? colstore_filter_parse(in->r, sb_cstr(&wh), &flt, &e) : COLSTORE_OK;
	if (!rc)
		rc = colstore_agg_create(in->r, sb_cstr(&aggs), q->ngb ? sb_cstr(&gb) : NULL, flt, &ag,
		                         &e);
	int fail = 0;
	if (expect_refusal || rc) {
		if (expect_refusal && rc == COLSTORE_EPARSE) {
			g_st.refused++;
		} else if (expect_refusal) {
			sb_printf(why, "colstore accepted a query it must refuse (%s)",
			          rc ? colstore_strerror(rc) : "no error");
			fail = 1;
		} else {
			sb_printf(why, "colstore refused the query: %s: %s", colstore_strerror(rc), e.message);
			fail = 1;
		}
		colstore_agg_free(ag);
		colstore_filter_free(flt);
		free(aggs.p);
		free(gb.p);
		free(wh.p);
		return fail;
	}
	sbuf ord = { 0 };
	for (int k = 0; k < q->nord; k++) {
		const int kk = q->ord[k].k, a = kk - q->ngb, sp = q->ord[k].spell;
		const char *name = colstore_agg_column_name(ag, (uint32_t)kk);
		if (k)
			sb_str(&ord, sp & 2 ? " ," : ", ");
		if (a >= 0 && sp == 3) { /* spaced and in capitals: the same column */
			for (const char *c = name; *c; c++)
				sb_printf(&ord, *c == '(' ? "( " : *c == ')' ? " )" : "%c",
				          *c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		} else {
			sb_str(&ord, name);
		}
		sb_str(&ord, q->ord[k].desc ? (sp & 1 ? " DESC" : " desc") : (sp & 2 ? " asc" : ""));
	}
	if ((q->nord || q->alimit >= 0) &&
	    colstore_agg_set_order(ag, q->nord ? sb_cstr(&ord) : NULL,
	                           q->alimit >= 0 ? (uint64_t)q->alimit : COLSTORE_AGG_NO_LIMIT, &e)) {
		sb_printf(why, "colstore refused the order '%s': %s", sb_cstr(&ord), e.message);
		free(ord.p);
		colstore_agg_free(ag);
		colstore_filter_free(flt);
		free(aggs.p);
		free(gb.p);
		free(wh.p);
		return 1;
	}
	free(ord.p);
	cs_agg_worker_bytes = q->worker_bytes;
	colstore_agg_set_threads(ag, q->threads);
	if (q->memlimit)
		colstore_agg_set_memory_limit(ag, q->memlimit);
	int run_rc = colstore_agg_run(ag, &e);

	/* SQLite: keys, aggregates, then per float sum/avg: sum(|x|) and count(x) */
	sqlv binds[64];
	int nb = 0;
	sb_str(&sql, "SELECT ");
	int ncol = 0;
	for (int g = 0; g < q->ngb; g++, ncol++) {
		if (ncol)
			sb_str(&sql, ", ");
		key_sql(t, q, g, &sql);
	}
	for (int a = 0; a < q->nagg; a++, ncol++) {
		sbuf arg = { 0 };
		arg_sql(t, q, a, &arg);
		const char *name = sb_cstr(&arg);
		int fn = q->agg[a].fn;
		if (ncol)
			sb_str(&sql, ", ");
		if (fn == A_COUNT_STAR)
			sb_str(&sql, "count(*)");
		else if (fn == A_SUM && is_int_type(arg_type(in, q, a)))
			sb_printf(&sql, "isum(%s)", name);
		else if (fn == A_COUNT_DISTINCT || fn == A_APPROX)
			sb_printf(&sql, "count(DISTINCT %s)", name);
		else if (fn == A_MEDIAN || fn == A_QUANTILE)
			sb_printf(&sql, "oquant(%s, %.17g)", name, q->agg[a].q);
		else if (fn >= A_VAR)
			sb_printf(&sql, "o%s(%s)", fn_names[fn], name);
		else
			sb_printf(&sql, "%s(%s)", fn_names[fn], name);
		free(arg.p);
	}
	for (int a = 0; a < q->nagg; a++)
		if (q->agg[a].fn == A_SUM || FN_FLOAT(q->agg[a].fn)) {
			sbuf arg = { 0 };
			arg_sql(t, q, a, &arg);
			sb_printf(&sql, ", %s(abs(CAST(%s AS REAL))), count(%s)",
			          q->agg[a].fn >= A_VAR ? "max" : "total", sb_cstr(&arg), sb_cstr(&arg));
			free(arg.p);
		}
	sb_str(&sql, " FROM t");
	if (q->where) {
		sb_str(&sql, " WHERE ");
		where_sql(q->where, t, &sql, binds, &nb);
	}
	if (q->ngb) {
		sb_str(&sql, " GROUP BY ");
		for (int g = 0; g < q->ngb; g++) {
			if (g)
				sb_str(&sql, ", ");
			key_sql(t, q, g, &sql);
		}
		sb_str(&sql, " ORDER BY ");
		for (int k = 0; k < q->nord; k++) /* result columns by position */
			sb_printf(&sql, "%d%s NULLS LAST, ", q->ord[k].k + 1, q->ord[k].desc ? " DESC" : "");
		for (int g = 0; g < q->ngb; g++) {
			if (g)
				sb_str(&sql, ", ");
			key_sql(t, q, g, &sql);
			sb_str(&sql, " IS NULL, ");
			key_sql(t, q, g, &sql);
		}
	}
	size_t unlimited = sql.n; /* the query up to its LIMIT */
	if (q->alimit >= 0)
		sb_printf(&sql, " LIMIT %" PRId64, q->alimit);
	sqlite3_stmt *st = NULL;
	if (prepare(in->db, sb_cstr(&sql), binds, nb, &st, why)) {
		fail = 1;
		goto out;
	}
	if (getenv("ORACLE_DEBUG")) {
		sbuf d = { 0 };
		for (int k = 0; k < nb; k++) {
			sb_sqlv(&d, &binds[k]);
			sb_str(&d, " ");
		}
		fprintf(stderr, "SQL %s -- %s\n", sb_cstr(&sql), sb_cstr(&d));
		free(d.p);
	}
	uint64_t ng = run_rc ? 0 : colstore_agg_num_groups(ag);
	uint64_t row = 0;
	int src;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (run_rc)
			continue; /* read to the end: the error may come later */
		if (row >= ng) {
			sb_printf(why, "colstore has %" PRIu64 " groups, SQLite more", ng);
			fail = 1;
			break;
		}
		int extra = ncol; /* the next sum/avg's sum(|x|), count(x) */
		for (int k = 0; k < ncol && !fail; k++) {
			colstore_cell c;
			colstore_agg_cell(ag, row, (uint32_t)k, &c);
			sqlv got = cell_sqlv(&c), want = sqlv_col(st, k);
			int ok;
			int a = k - q->ngb;
			if (a >= 0 && (q->agg[a].fn == A_SUM || q->agg[a].fn == A_AVG) && want.t != SQLITE_NULL &&
			    (q->agg[a].fn == A_AVG || is_float_type(arg_type(in, q, a)))) {
				double abs_sum = sqlite3_column_double(st, extra);
				double n = (double)sqlite3_column_int64(st, extra + 1);
				double tol = ((n + 2) * 2.3e-16 + 1e-15) * abs_sum + 1e-300;
				if (q->agg[a].fn == A_AVG)
					tol = tol / (n > 0 ? n : 1) + fabs(want.d) * 4.5e-16;
				ok = got.t == SQLITE_FLOAT && want.t == SQLITE_FLOAT && fabs(got.d - want.d) <= tol;
				if (!ok && got.t == SQLITE_FLOAT && want.t == SQLITE_FLOAT)
					sb_printf(why, "(tolerance %.3g) ", tol);
			} else if (a >= 0 && FN_FLOAT(q->agg[a].fn) && q->agg[a].fn >= A_VAR && want.t != SQLITE_NULL) {
				/* the reference's long double two passes against colstore's
				 * exact sums: both near correctly rounded; squares past the
				 * double range (|x| over 1.3e154) make colstore's infinite
				 * or NaN, and squares below it (every |x| under 1.5e-154)
				 * underflow, as documented */
				double max_abs = sqlite3_column_double(st, extra);
				const int sd = q->agg[a].fn >= A_STD;
				double tol = fabs(want.d) * 1e-12 + (sd ? max_abs * 1e-14 : max_abs * max_abs * 1e-28) + 1e-300;
				ok = got.t == SQLITE_FLOAT && want.t == SQLITE_FLOAT &&
				     (fabs(got.d - want.d) <= tol || (max_abs > 1.3e154 && !isfinite(got.d)) ||
				      max_abs < 1.5e-154);
				if (!ok && got.t == SQLITE_FLOAT && want.t == SQLITE_FLOAT)
					sb_printf(why, "(tolerance %.3g) ", tol);
			} else if (a >= 0 && q->agg[a].fn == A_APPROX) {
				/* HyperLogLog, 4096 registers: 1.6% standard error; on
				 * these small counts mostly linear counting, closer */
				ok = got.t == SQLITE_INTEGER && want.t == SQLITE_INTEGER &&
				     llabs(got.i - want.i) <= want.i / 16 + 2;
			} else {
				ok = sqlv_eq(&got, &want);
			}
			if (a >= 0 && (q->agg[a].fn == A_SUM || FN_FLOAT(q->agg[a].fn)))
				extra += 2;
			if (!ok) {
				sb_printf(why, "group %" PRIu64 " column %d (%s): colstore ", row, k,
				          colstore_agg_column_name(ag, (uint32_t)k));
				sb_sqlv(why, &got);
				sb_str(why, ", SQLite ");
				sb_sqlv(why, &want);
				/* the keys of the row, for the reader */
				sb_str(why, "; keys (");
				for (int g = 0; g < q->ngb; g++) {
					sqlv kv = sqlv_col(st, g);
					if (g)
						sb_str(why, ", ");
					sb_sqlv(why, &kv);
				}
				sb_str(why, ")");
				fail = 1;
			}
		}
		row++;
		if (fail)
			break;
	}
	if (!fail) {
		int sql_err = src != SQLITE_DONE && src != SQLITE_ROW;
		int sql_overflow = sql_err && strstr(sqlite3_errmsg(in->db), "integer overflow");
		if (run_rc == COLSTORE_ERANGE && !sql_err && q->alimit >= 0) {
			/* SQLite stops at the LIMIT in key order, before the groups
			 * past it; colstore sums every group: the same query without
			 * the LIMIT must overflow in SQLite */
			sqlite3_stmt *all = NULL;
			sql.p[unlimited] = '\0';
			sql.n = unlimited;
			int s2 = SQLITE_ROW;
			if (!prepare(in->db, sb_cstr(&sql), binds, nb, &all, why))
				while ((s2 = sqlite3_step(all)) == SQLITE_ROW)
					;
			sql_overflow = s2 != SQLITE_DONE && strstr(sqlite3_errmsg(in->db), "integer overflow");
			sqlite3_finalize(all);
		}
		if (run_rc == COLSTORE_ERANGE && sql_overflow) {
			g_st.errors_agreed++;
		} else if (run_rc || sql_err) {
			sb_printf(why, "colstore: %s%s%s; SQLite: %s", run_rc ? colstore_strerror(run_rc) : "ok",
			          run_rc ? ": " : "", run_rc ? e.message : "", sql_err ? sqlite3_errmsg(in->db) : "ok");
			fail = 1;
		} else if (row != ng) {
			sb_printf(why, "colstore has %" PRIu64 " groups, SQLite %" PRIu64, ng, row);
			fail = 1;
		}
	}
	g_st.agg++;
	g_st.with_x += query_has_x(q, q->where);
out:
	sqlite3_finalize(st);
	colstore_agg_free(ag);
	colstore_filter_free(flt);
	free(aggs.p);
	free(gb.p);
	free(wh.p);
	free(sql.p);
	return fail;
}

/* SQLite's matching rows (0-based, in order) with the values of the scan's
 * columns; returns the number of rows or -1 */
static int64_t sqlite_rows(inst *in, const query *q, const int *cols, int ncols, int64_t limit, sqlv **vals,
                           uint32_t **rowids, sbuf *why)
{
	const gtable *t = in->t;
	sbuf sql = { 0 };
	sqlv binds[64];
	int nb = 0;
	sb_str(&sql, "SELECT rowid");
	for (int k = 0; k < ncols; k++)
		sb_printf(&sql, ", \"%s\"", t->c[cols[k]].name);
	sb_str(&sql, " FROM t");
	if (q->where) {
		sb_str(&sql, " WHERE ");
		where_sql(q->where, t, &sql, binds, &nb);
	}
	sb_str(&sql, " ORDER BY rowid");
	if (limit >= 0)
		sb_printf(&sql, " LIMIT %" PRId64, limit);
	sqlite3_stmt *st;
	if (prepare(in->db, sb_cstr(&sql), binds, nb, &st, why)) {
		free(sql.p);
		return -1;
	}
	size_t cap = 1024, n = 0;
	*rowids = xmalloc(cap * sizeof(uint32_t));
	*vals = ncols ? xmalloc(cap * (size_t)ncols * sizeof(sqlv)) : NULL;
	int src;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap *= 2;
			*rowids = realloc(*rowids, cap * sizeof(uint32_t));
			if (ncols)
				*vals = realloc(*vals, cap * (size_t)ncols * sizeof(sqlv));
			if (!*rowids || (ncols && !*vals)) {
				fprintf(stderr, "oracle: out of memory\n");
				exit(2);
			}
		}
		(*rowids)[n] = (uint32_t)(sqlite3_column_int64(st, 0) - 1);
		for (int k = 0; k < ncols; k++) {
			/* the values are the instance's own (SQLite's pointers die) */
			sqlv v = cell_value(in, cols[k], in->v->rows[(*rowids)[n]]);
			sqlv s = sqlv_col(st, k + 1);
			if (!sqlv_eq(&v, &s)) {
				sb_str(why, "SQLite holds ");
				sb_sqlv(why, &s);
				sb_str(why, " for ");
				sb_sqlv(why, &v);
				sqlite3_finalize(st);
				free(sql.p);
				return -1;
			}
			(*vals)[n * (size_t)ncols + (size_t)k] = v;
		}
		n++;
	}
	if (src != SQLITE_DONE) {
		sb_printf(why, "sqlite: %s", sqlite3_errmsg(in->db));
		n = (size_t)-1;
	}
	sqlite3_finalize(st);
	free(sql.p);
	return (int64_t)n;
}

/* the filter alone, row by row, and the library scan of q's columns */
static int check_filter(inst *in, const query *q, sbuf *why)
{
	if (!q->where || wbad(q->where))
		return 0;
	sbuf wh = { 0 };
	where_text(q->where, in->t, -1, &wh);
	colstore_filter *f;
	colstore_error e;
	int rc = colstore_filter_parse(in->r, sb_cstr(&wh), &f, &e);
	free(wh.p);
	if (rc) {
		sb_printf(why, "the filter does not parse: %s", e.message);
		return 1;
	}
	int scan = q->scan == 1;
	int cols[4] = { 0 }, ncols = 0;
	if (scan) {
		if (q->nsc)
			for (int k = 0; k < q->nsc; k++)
				cols[ncols++] = q->sc[k];
		else
			for (int k = 0; k < in->v->nc && ncols < 4; k++)
				cols[ncols++] = in->v->cols[k];
	}
	sqlv *want = NULL;
	uint32_t *rowids = NULL;
	int64_t n = sqlite_rows(in, q, cols, ncols, -1, &want, &rowids, why);
	int fail = n < 0;
	colstore_buffers *b = colstore_buffers_create(), *vb[4];
	for (int k = 0; k < ncols; k++)
		vb[k] = colstore_buffers_create();
	uint8_t *sel = NULL;
	uint64_t at = 0, limit = scan && q->limit >= 0 ? (uint64_t)q->limit : UINT64_MAX;
	for (uint32_t g = 0; g < in->nrg && !fail; g++) {
		uint32_t rows = in->rg_rows[g];
		free(sel);
		sel = xcalloc((rows + 7) / 8, 1);
		int may = colstore_filter_may_match(f, g);
		uint64_t m = 0;
		if ((rc = colstore_filter_eval(f, g, b, sel, &m, &e))) {
			sb_printf(why, "filter eval of row group %u: %s", g, e.message);
			fail = 1;
			break;
		}
		uint64_t cnt = 0;
		for (uint32_t i = 0; i < rows; i++)
			cnt += sel[i / 8] >> (i % 8) & 1;
		if (cnt != m) {
			sb_printf(why, "row group %u: %" PRIu64 " bits set, %" PRIu64 " matches counted", g, cnt, m);
			fail = 1;
			break;
		}
		colstore_values x[4];
		for (int k = 0; k < ncols && m; k++) {
			uint32_t col;
			colstore_reader_find_column(in->r, in->t->c[cols[k]].name, &col, NULL);
			if ((rc = colstore_reader_values(in->r, g, col, vb[k], &x[k], &e))) {
				sb_printf(why, "reading %s: %s", in->t->c[cols[k]].name, e.message);
				fail = 1;
			}
		}
		for (uint32_t i = 0; i < rows && !fail; i++) {
			if (!(sel[i / 8] >> (i % 8) & 1))
				continue;
			uint64_t row = in->rg_first[g] + i;
			if (at >= (uint64_t)n || rowids[at] != row) {
				sb_printf(why, "colstore matches row %" PRIu64 ", SQLite's next match is ", row);
				if (at < (uint64_t)n)
					sb_printf(why, "row %u", rowids[at]);
				else
					sb_str(why, "none");
				fail = 1;
				break;
			}
			if (!may) {
				sb_printf(why, "row group %u is ruled out by its statistics (colstore_filter_may_match), "
				          "but its row %" PRIu64 " matches", g, row);
				fail = 1;
				break;
			}
			for (int k = 0; k < ncols && at < limit; k++) {
				uint32_t col;
				colstore_reader_find_column(in->r, in->t->c[cols[k]].name, &col, NULL);
				sqlv got = cs_value(in->r, col, &x[k], i);
				if (!sqlv_eq(&got, &want[at * (size_t)ncols + (size_t)k])) {
					sb_printf(why, "scan row %" PRIu64 " column %s: colstore ", row, in->t->c[cols[k]].name);
					sb_sqlv(why, &got);
					sb_str(why, ", SQLite ");
					sb_sqlv(why, &want[at * (size_t)ncols + (size_t)k]);
					fail = 1;
				}
			}
			at++;
		}
	}
	if (!fail && at != (uint64_t)n) {
		sb_printf(why, "colstore matches %" PRIu64 " rows, SQLite %" PRId64 " (first missed: row %u)", at, n,
		          rowids[at]);
		fail = 1;
	}
	g_st.filters++;
	if (scan)
		g_st.lib_scans++;
	free(sel);
	free(want);
	free(rowids);
	colstore_buffers_free(b);
	for (int k = 0; k < ncols; k++)
		colstore_buffers_free(vb[k]);
	colstore_filter_free(f);
	return fail;
}

/* the ordered library scan (colstore_scan_set_order) against SQLite's
 * ORDER BY ... NULLS LAST, rowid */
static int check_scan_order(inst *in, const query *q, sbuf *why)
{
	if (!q->osc || (q->where && wbad(q->where)))
		return 0;
	const gtable *t = in->t;
	sbuf list = { 0 }, ord = { 0 }, sql = { 0 }, wh = { 0 };
	sqlv binds[64];
	int nb = 0, nitems = q->nsc + (q->sx ? 1 : 0);
	sb_str(&sql, "SELECT ");
	for (int k = 0; k < q->nsc; k++) {
		sb_printf(&list, "%s%s", k ? ", " : "", t->c[q->sc[k]].name);
		sb_printf(&sql, "%s\"%s\"", k ? ", " : "", t->c[q->sc[k]].name);
	}
	if (q->sx) {
		sb_printf(&list, ", %s as s0", q->sx->cs);
		sb_printf(&sql, ", (%s)", q->sx->sql);
	}
	sb_str(&sql, " FROM t");
	if (q->where) {
		where_text(q->where, t, -1, &wh);
		sb_str(&sql, " WHERE ");
		where_sql(q->where, t, &sql, binds, &nb);
	}
	sb_str(&sql, " ORDER BY ");
	for (int k = 0; k < q->onk; k++) {
		const int it = q->okey[k].item;
		if (k)
			sb_str(&ord, ", ");
		if (it >= 0) { /* an item by its name */
			sb_str(&ord, it < q->nsc ? t->c[q->sc[it]].name : "s0");
			if (it < q->nsc)
				sb_printf(&sql, "\"%s\"", t->c[q->sc[it]].name);
			else
				sb_printf(&sql, "(%s)", q->sx->sql);
		} else if (q->okey[k].x) {
			sb_str(&ord, q->okey[k].x->cs);
			sb_printf(&sql, "(%s)", q->okey[k].x->sql);
		} else {
			sb_printf(&ord, "\"%s\"", t->c[q->okey[k].col].name);
			sb_printf(&sql, "\"%s\"", t->c[q->okey[k].col].name);
		}
		sb_str(&ord, q->okey[k].desc ? " desc" : "");
		sb_str(&sql, q->okey[k].desc ? " DESC NULLS LAST, " : " NULLS LAST, ");
	}
	sb_str(&sql, "rowid");
	if (q->olimit >= 0)
		sb_printf(&sql, " LIMIT %" PRId64, q->olimit);
	int fail = 0;
	colstore_error e;
	colstore_filter *f = NULL;
	colstore_scan *sc = NULL;
	colstore_scan_options so = COLSTORE_SCAN_OPTIONS_INIT;
	so.threads = q->cli_threads;
	int rc = q->where ? colstore_filter_parse(in->r, sb_cstr(&wh), &f, &e) : 0;
	if (!rc)
		rc = colstore_scan_create_list(in->r, sb_cstr(&list), f, &so, &sc, &e);
	if (!rc)
		rc = colstore_scan_set_order(sc, sb_cstr(&ord), q->olimit >= 0 ? (uint64_t)q->olimit : UINT64_MAX,
		                             q->omem, &e);
	sqlite3_stmt *st = NULL;
	if (rc) {
		sb_printf(why, "ordered scan -c '%s' --order-by '%s': %s", sb_cstr(&list), sb_cstr(&ord), e.message);
		fail = 1;
	} else if (prepare(in->db, sb_cstr(&sql), binds, nb, &st, why)) {
		fail = 1;
	}
	colstore_buffers *b = colstore_buffers_create();
	colstore_batch bt;
	uint64_t row = 0;
	int src = SQLITE_ROW;
	while (!fail && !(rc = colstore_scan_next(sc, b, &bt, &e)) && bt.rows) {
		for (uint32_t i = 0; i < bt.rows && !fail; i++, row++) {
			if ((src = sqlite3_step(st)) != SQLITE_ROW) {
				sb_printf(why, "ordered scan: colstore has a row %" PRIu64 ", SQLite not", row);
				fail = 1;
				break;
			}
			for (int k = 0; k < nitems && !fail; k++) {
				sqlv got = cs_value(in->r, 0, &bt.values[k], i), want = sqlv_col(st, k);
				if (!sqlv_eq(&got, &want)) {
					sb_printf(why, "ordered scan -c '%s' --order-by '%s', row %" PRIu64 " item %d: colstore ",
					          sb_cstr(&list), sb_cstr(&ord), row, k);
					sb_sqlv(why, &got);
					sb_str(why, ", SQLite ");
					sb_sqlv(why, &want);
					fail = 1;
				}
			}
		}
	}
	if (!fail && rc) {
		sb_printf(why, "ordered scan -c '%s' --order-by '%s': %s", sb_cstr(&list), sb_cstr(&ord), e.message);
		fail = 1;
	}
	if (!fail && (src = sqlite3_step(st)) == SQLITE_ROW) {
		sb_printf(why, "ordered scan: %" PRIu64 " rows from colstore, SQLite more", row);
		fail = 1;
	}
	sqlite3_finalize(st);
	colstore_buffers_free(b);
	colstore_scan_free(sc);
	colstore_filter_free(f);
	free(list.p);
	free(ord.p);
	free(sql.p);
	free(wh.p);
	g_st.ordered += !fail;
	return fail;
}

/* run argv, stdout into out; @return the exit status or -1 */
static int run_cmd(char *const argv[], sbuf *out, sbuf *err_out)
{
	int po[2], pe[2];
	if (pipe(po) || pipe(pe))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* stderr is small; read stdout to the end, then stderr */
	char buf[65536];
	ssize_t k;
	while ((k = read(po[0], buf, sizeof(buf))) > 0)
		sb_put(out, buf, (size_t)k);
	while ((k = read(pe[0], buf, sizeof(buf))) > 0)
		sb_put(err_out, buf, (size_t)k);
	close(po[0]);
	close(pe[0]);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* one CSV field of the command line's output: quoted or not */
typedef struct field {
	char *s;
	uint32_t len;
	int quoted;
} field;

/* parse RFC 4180 text into records of fields; @return records or -1 */
static long parse_csv_out(const char *p, size_t n, field **fields, int **nf_out)
{
	size_t cap = 64, nrec = 0, fcap = 256, nfld = 0;
	field *fs = xmalloc(fcap * sizeof(field));
	int *nf = xmalloc(cap * sizeof(int));
	size_t i = 0;
	while (i < n) {
		int count = 0;
		for (;;) {
			sbuf v = { 0 };
			int q = 0;
			if (i < n && p[i] == '"') {
				q = 1;
				i++;
				for (;;) {
					if (i >= n) {
						free(v.p);
						free(fs);
						free(nf);
						return -1;
					}
					if (p[i] == '"') {
						if (i + 1 < n && p[i + 1] == '"') {
							sb_put(&v, "\"", 1);
							i += 2;
							continue;
						}
						i++;
						break;
					}
					sb_put(&v, p + i, 1);
					i++;
				}
			} else {
				while (i < n && p[i] != ',' && p[i] != '\n' && p[i] != '\r')
					sb_put(&v, p + i++, 1);
			}
			if (nfld == fcap) {
				fcap *= 2;
				fs = realloc(fs, fcap * sizeof(field));
				if (!fs)
					exit(2);
			}
			fs[nfld].s = v.p ? v.p : xstrndup("", 0);
			fs[nfld].len = (uint32_t)v.n;
			fs[nfld++].quoted = q;
			count++;
			if (i < n && p[i] == ',') {
				i++;
				continue;
			}
			if (i < n && p[i] == '\r')
				i++;
			if (i < n && p[i] == '\n')
				i++;
			break;
		}
		if (nrec == cap) {
			cap *= 2;
			nf = realloc(nf, cap * sizeof(int));
			if (!nf)
				exit(2);
		}
		nf[nrec++] = count;
	}
	*fields = fs;
	*nf_out = nf;
	return (long)nrec;
}

/* a CSV field of the command line's output as a value of type ty */
static int field_value(const field *f, colstore_type ty, sqlv *v)
{
	memset(v, 0, sizeof(*v));
	v->t = SQLITE_NULL;
	if (!f->quoted && f->len == 0)
		return 1;
	if (ty == COLSTORE_TYPE_STRING) {
		v->t = SQLITE_TEXT;
		v->s = f->s;
		v->len = f->len;
		return 1;
	}
	char *end;
	if (is_float_type(ty)) {
		v->t = SQLITE_FLOAT;
		v->d = strtod(f->s, &end);
		return *end == '\0';
	}
	v->t = SQLITE_INTEGER;
	if (ty == COLSTORE_TYPE_BOOL) {
		v->i = !strcmp(f->s, "true");
		return v->i || !strcmp(f->s, "false");
	}
	if (ty == COLSTORE_TYPE_DATE)
		return parse_date(f->s, f->len, &v->i);
	if (ty == COLSTORE_TYPE_TIMESTAMP)
		return parse_ts(f->s, f->len, &v->i);
	errno = 0;
	v->i = strtoll(f->s, &end, 10);
	return !errno && *end == '\0';
}

static int check_cli_scan(inst *in, const query *q, sbuf *why)
{
	if (!g_cli || wbad(q->where))
		return 0;
	const gtable *t = in->t;
	int cols[64], ncols = 0;
	if (q->nsc)
		for (int k = 0; k < q->nsc; k++)
			cols[ncols++] = q->sc[k];
	else
		for (int k = 0; k < in->v->nc; k++)
			cols[ncols++] = in->v->cols[k];
	sbuf cl = { 0 }, wh = { 0 }, lim = { 0 }, th = { 0 }, out = { 0 }, err = { 0 };
	char *argv[20];
	int a = 0;
	argv[a++] = (char *)g_cli;
	argv[a++] = "scan";
	argv[a++] = in->path;
	if (q->nsc) {
		cols_text(t, q, &cl);
		argv[a++] = "-c";
		argv[a++] = cl.p;
	}
	if (q->where) {
		where_text(q->where, t, -1, &wh);
		argv[a++] = "-w";
		argv[a++] = wh.p;
	}
	if (q->limit >= 0) {
		sb_printf(&lim, "%" PRId64, q->limit);
		argv[a++] = "-n";
		argv[a++] = lim.p;
	}
	sb_printf(&th, "%u", q->cli_threads);
	argv[a++] = "-t";
	argv[a++] = th.p;
	argv[a++] = "-f";
	argv[a++] = "csv";
	argv[a] = NULL;
	int status = run_cmd(argv, &out, &err);
	int fail = 0;
	sqlv *want = NULL;
	uint32_t *rowids = NULL;
	field *fs = NULL;
	int *nf = NULL;
	long nrec = -1;
	int64_t n = -1;
	if (status != 0) {
		sb_printf(why, "colstore scan exited %d: %s", status, sb_cstr(&err));
		fail = 1;
		goto out;
	}
	n = sqlite_rows(in, q, cols, ncols, q->limit, &want, &rowids, why);
	if (n < 0) {
		fail = 1;
		goto out;
	}
	nrec = parse_csv_out(out.p ? out.p : "", out.n, &fs, &nf);
	if (nrec < 1) {
		sb_str(why, "colstore scan printed no header");
		fail = 1;
		goto out;
	}
	if (nrec - 1 != n) {
		sb_printf(why, "colstore scan printed %ld rows, SQLite has %" PRId64, nrec - 1, n);
		fail = 1;
		goto out;
	}
	size_t fi = (size_t)nf[0];
	for (long r = 1; r < nrec && !fail; r++) {
		if (nf[r] != ncols) {
			sb_printf(why, "colstore scan row %ld has %d fields, expected %d", r, nf[r], ncols);
			fail = 1;
			break;
		}
		for (int k = 0; k < ncols; k++) {
			sqlv got;
			const sqlv *w = &want[(size_t)(r - 1) * (size_t)ncols + (size_t)k];
			if (!field_value(&fs[fi + (size_t)k], in->type[cols[k]], &got) || !sqlv_eq(&got, w)) {
				sb_printf(why, "colstore scan row %ld (file row %u) column %s: printed ", r, rowids[r - 1],
				          t->c[cols[k]].name);
				sb_bytes(why, fs[fi + (size_t)k].s, fs[fi + (size_t)k].len);
				sb_str(why, ", SQLite ");
				sb_sqlv(why, w);
				fail = 1;
				break;
			}
		}
		fi += (size_t)nf[r];
	}
	g_st.cli_scans++;
out:
	if (fs) {
		size_t tot = 0;
		for (long r = 0; r < nrec; r++)
			tot += (size_t)nf[r];
		for (size_t k = 0; k < tot; k++)
			free(fs[k].s);
	}
	free(fs);
	free(nf);
	free(want);
	free(rowids);
	free(cl.p);
	free(wh.p);
	free(lim.p);
	free(th.p);
	free(out.p);
	free(err.p);
	return fail;
}

/* the kind of a failure, so that shrinking keeps to it: an inexact float
 * sum, a refusal (or an acceptance) of the query, an error of the run, or
 * a wrong answer (rows, groups or values, from any check) */
static char g_class[32];

static void set_class(const char *why)
{
	static const struct { const char *prefix, *name; } kinds[] = {
		{ "(tolerance", "float sum" }, { "colstore accepted", "parse" }, { "colstore refused", "parse" },
		{ "colstore:", "error" }, { "colstore scan exited", "error" },
	};
	const char *k = "wrong answer";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(why, kinds[i].prefix, strlen(kinds[i].prefix))) {
			k = kinds[i].name;
			break;
		}
	snprintf(g_class, sizeof(g_class), "%s", k);
}

/* every check of one query: 0 agree, 1 differ (g_class says how) */
static int check_query(inst *in, const query *q, sbuf *why)
{
	g_class[0] = '\0';
	if (check_agg(in, q, why)) {
		set_class(sb_cstr(why));
		return 1;
	}
	if (check_filter(in, q, why)) {
		set_class(sb_cstr(why));
		return 1;
	}
	if (check_scan_order(in, q, why)) {
		set_class(sb_cstr(why));
		return 1;
	}
	if (q->scan == 2 && check_cli_scan(in, q, why)) {
		set_class(sb_cstr(why));
		return 1;
	}
	return 0;
}

/* ---- reports and shrinking ------------------------------------------------------- */

static void describe_table(const gtable *t, const view *v, const inst *in, sbuf *o)
{
	sb_printf(o, "table %d of seed %" PRIu64 ": %u rows, %d columns, row groups of %u, compression %s, "
	          "%u import threads, header %s", t->number, t->seed, v->nr, v->nc,
	          t->rg_size ? t->rg_size : COLSTORE_DEFAULT_ROW_GROUP_SIZE, comp_name(t->compression), t->threads,
	          t->header_auto ? "auto" : "yes");
	if (t->null_marker)
		sb_str(o, ", nulls written \\N");
	sb_printf(o, ", dialect %s", dialect_names[v->dialect]);
	if (t->dict_budget)
		sb_printf(o, ", dictionary budget %" PRIu64 " bytes (library only)", t->dict_budget);
	for (int k = 0; k < v->nc; k++) {
		const gcol *c = &t->c[v->cols[k]];
		sb_printf(o, "\n    %s: %s mode %d, %d%% nulls%s%s%s -> %s", c->name, kind_names[c->kind], c->mode,
		          c->null_pct, c->sorted ? ", sorted" : "", c->schema ? ", schema " : "",
		          c->schema ? colstore_type_name(c->schema) : "",
		          in && in->present[v->cols[k]] ? colstore_type_name(in->type[v->cols[k]]) : "?");
	}
}

static void import_cli(const gtable *t, const view *v, const char *csv, const char *out, sbuf *o)
{
	static const char *const opts[] = {
		"-d , --quote '\"' --escape none --skip 0",
		"-d '; ' --quote \"'\" --escape none --skip 2",
		"-d '||' --quote '\"' --escape '\\' --skip 0",
		"-d tab --quote none --escape '\\' --skip 0",
		"-d , --quote '\"' --escape none --skip 0 --lenient",
	};
	sb_printf(o, "colstore import %s -o %s %s --row-group-size %u --compression %s --threads %u%s", csv, out,
	          opts[v->dialect], t->rg_size ? t->rg_size : COLSTORE_DEFAULT_ROW_GROUP_SIZE,
	          comp_name(t->compression), t->threads, t->header_auto ? "" : " --header");
	if (t->null_marker)
		sb_str(o, " --null '\\N'");
	int first = 1;
	for (int k = 0; k < v->nc; k++) {
		const gcol *c = &t->c[v->cols[k]];
		colstore_type f = v->force[v->cols[k]] ? v->force[v->cols[k]] : c->schema;
		if (f) {
			sb_printf(o, "%s%s:%s", first ? " --schema " : ",", c->name, colstore_type_name(f));
			first = 0;
		}
	}
}

static int g_budget_runs; /* imports left for shrinking one failure */
static char g_want_class[32]; /* the failure being shrunk */

/* does the view (re-imported) still fail q? */
static double g_shrink_deadline; /* and a time limit for it */

static int still_fails(const gtable *t, view *v, const query *q, int import_only)
{
	if (g_budget_runs-- <= 0 || now_s() > g_shrink_deadline) {
		g_budget_runs = 0;
		return 0;
	}
	inst in;
	sbuf why = { 0 };
	int r = inst_open(&in, t, v, &why);
	if (import_only) {
		inst_close(&in);
		free(why.p);
		return r;
	}
	if (r == 0) {
		stats saved = g_st;
		r = check_query(&in, q, &why) && !strcmp(g_class, g_want_class);
		g_st = saved;
	} else {
		r = 0; /* a different failure */
	}
	inst_close(&in);
	free(why.p);
	return r;
}

static int query_fails(inst *in, const query *q)
{
	sbuf why = { 0 };
	stats saved = g_st;
	int r = check_query(in, q, &why) && !strcmp(g_class, g_want_class);
	g_st = saved;
	free(why.p);
	return r;
}

/* result column k (keys, then aggregates) taken out of q: the order terms
 * on it go, those on the columns after it move down one (or a shrunk query
 * would order by a column it no longer has) */
static void drop_result_column(query *q, int k)
{
	int n = 0;
	for (int j = 0; j < q->nord; j++) {
		if (q->ord[j].k == k)
			continue;
		q->ord[n] = q->ord[j];
		if (q->ord[n].k > k)
			q->ord[n].k--;
		n++;
	}
	q->nord = n;
}

/* replace where nodes by a child, drop aggregates, keys, scan, threads */
static void shrink_query(inst *in, query *q)
{
	int progress = 1;
	while (progress) {
		progress = 0;
		/* where: try each compound node replaced by one side */
		for (int side = 0; side < 2 && q->where; side++) {
			wnode **stack[64];
			int sp = 0;
			stack[sp++] = &q->where;
			while (sp) {
				wnode **pp = stack[--sp];
				wnode *w = *pp;
				if (w->kind == W_AND || w->kind == W_OR || (w->kind == W_NOT && !side)) {
					wnode *keep = side ? w->r : w->l, *drop = side ? w->l : w->r;
					*pp = keep;
					if (query_fails(in, q)) {
						w->l = w->r = NULL;
						wfree(w);
						wfree(drop);
						progress = 1;
						break;
					}
					*pp = w;
					if (sp < 62) {
						stack[sp++] = &w->l;
						stack[sp++] = &w->r;
					}
				}
			}
		}
		if (q->where && !wbad(q->where)) {
			wnode *w = q->where;
			q->where = NULL;
			if (query_fails(in, q)) {
				wfree(w);
				progress = 1;
			} else {
				q->where = w;
			}
		}
		for (int a = 0; a < q->nagg && q->nagg > 1; a++) {
			query t = *q;
			memmove(&t.agg[a], &t.agg[a + 1], (size_t)(t.nagg - a - 1) * sizeof(t.agg[0]));
			t.nagg--;
			drop_result_column(&t, t.ngb + a);
			if (query_fails(in, &t)) {
				*q = t;
				progress = 1;
				a--;
			}
		}
		for (int g = 0; g < q->ngb; g++) {
			query t = *q;
			memmove(&t.gb[g], &t.gb[g + 1], (size_t)(t.ngb - g - 1) * sizeof(int));
			memmove(&t.gbx[g], &t.gbx[g + 1], (size_t)(t.ngb - g - 1) * sizeof(t.gbx[0]));
			memmove(&t.gal[g], &t.gal[g + 1], (size_t)(t.ngb - g - 1) * sizeof(int));
			t.ngb--;
			drop_result_column(&t, g);
			if (query_fails(in, &t)) {
				*q = t;
				progress = 1;
				g--;
			}
		}
		query t = *q;
		if (t.scan) {
			t.scan = 0;
			if (query_fails(in, &t)) {
				*q = t;
				progress = 1;
			}
		}
		t = *q;
		if (t.threads > 1 || t.memlimit || t.worker_bytes == 0) {
			t.threads = 1;
			t.memlimit = 0;
			t.worker_bytes = (uint64_t)4 << 20;
			if (query_fails(in, &t)) {
				*q = t;
				progress = 1;
			}
		}
	}
}

static int query_uses(const query *q, const wnode *w, int tc)
{
	if (!w) {
		for (int a = 0; a < q->nagg; a++)
			if (q->agg[a].fn != A_COUNT_STAR &&
			    (q->agg[a].x ? (q->agg[a].x->cols >> tc & 1) : q->agg[a].col == tc))
				return 1;
		for (int g = 0; g < q->ngb; g++)
			if (q->gbx[g] ? (q->gbx[g]->cols >> tc & 1) : q->gb[g] == tc)
				return 1;
		for (int k = 0; k < q->nsc && (q->scan || q->osc); k++)
			if (q->sc[k] == tc)
				return 1;
		if (q->osc && q->sx && (q->sx->cols >> tc & 1))
			return 1;
		for (int k = 0; q->osc && k < q->onk; k++)
			if (q->okey[k].item < 0 &&
			    (q->okey[k].x ? (q->okey[k].x->cols >> tc & 1) : q->okey[k].col == tc))
				return 1;
		return 0;
	}
	if (w->kind == W_AND || w->kind == W_OR)
		return query_uses(q, w->l, tc) || query_uses(q, w->r, tc);
	if (w->kind == W_NOT)
		return query_uses(q, w->l, tc);
	if (w->kind == W_XCMP || w->kind == W_XNULL)
		return ((w->xl->cols | (w->xr ? w->xr->cols : 0)) >> tc & 1) != 0;
	return w->col == tc;
}

/* ddmin over rows, then columns the query does not name */
static void shrink_view(const gtable *t, view *v, const query *q, int import_only)
{
	/* columns first: those the query does not name (or all but the
	 * failing one for an import failure, done by the caller) */
	if (q) {
		for (int k = 0; k < v->nc && v->nc > 1; k++) {
			int tc = v->cols[k];
			if (query_uses(q, q->where, tc) || query_uses(q, NULL, tc) || (q->scan && !q->nsc))
				continue;
			view w = *v;
			int cols[64];
			memcpy(cols, v->cols, (size_t)v->nc * sizeof(int));
			memmove(&cols[k], &cols[k + 1], (size_t)(v->nc - k - 1) * sizeof(int));
			w.cols = cols;
			w.nc = v->nc - 1;
			if (still_fails(t, &w, q, import_only)) {
				memcpy(v->cols, cols, (size_t)w.nc * sizeof(int));
				v->nc = w.nc;
				k--;
			}
		}
	}
	uint32_t chunk = v->nr / 2;
	uint32_t *rows = xmalloc((size_t)(v->nr ? v->nr : 1) * sizeof(uint32_t));
	while (chunk >= 1 && g_budget_runs > 0) {
		int removed = 0;
		for (uint32_t start = 0; start < v->nr && g_budget_runs > 0;) {
			uint32_t end = start + chunk < v->nr ? start + chunk : v->nr;
			uint32_t n = 0;
			for (uint32_t j = 0; j < v->nr; j++)
				if (j < start || j >= end)
					rows[n++] = v->rows[j];
			view w = *v;
			w.rows = rows;
			w.nr = n;
			if (n < v->nr && still_fails(t, &w, q, import_only)) {
				memcpy(v->rows, rows, (size_t)n * sizeof(uint32_t));
				v->nr = n;
				removed = 1;
			} else {
				start = end;
			}
		}
		if (!removed)
			chunk /= 2;
	}
	free(rows);
}

static void print_csv_inline(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f) && n < 40) {
		printf("    | %s", line);
		if (!strchr(line, '\n'))
			printf("\n");
		n++;
	}
	fclose(f);
}

static int g_keep_all;

static int g_reports; /* failures shrunk so far: 8 at most, then only reported */

static void report_failure(const gtable *t, const view *v0, inst *in, const query *q0, int qn, const char *why)
{
	sbuf o = { 0 };
	if (++g_reports > 8) {
		printf("\nMISMATCH (seed %" PRIu64 ", table %d, %s %d): %s\n", t->seed, t->number, q0 ? "query" : "import",
		       qn, why);
		if (q0) {
			query_cli(t, q0, "T.colstore", &o);
			printf("  %s\n  (not shrunk: 8 failures were)\n", sb_cstr(&o));
		}
		free(o.p);
		return;
	}
	printf("\nMISMATCH (seed %" PRIu64 ", table %d, %s %d): %s\n", t->seed, t->number, q0 ? "query" : "import", qn,
	       why);
	describe_table(t, v0, in, &o);
	printf("  %s\n", sb_cstr(&o));
	sb_clear(&o);
	if (q0) {
		query_cli(t, q0, "T.colstore", &o);
		printf("  %s\n", sb_cstr(&o));
	}
	printf("  reproduce: tests/oracle --seed %" PRIu64 " --table %d\n", t->seed, t->number);
	fflush(stdout);

	/* shrink: the query on this import, then the table (re-imported with the
	 * types this import inferred, so that the query stays well-typed) */
	view v = *v0;
	v.rows = xmalloc((size_t)(v0->nr ? v0->nr : 1) * sizeof(uint32_t));
	memcpy(v.rows, v0->rows, (size_t)v0->nr * sizeof(uint32_t));
	int cols[64];
	memcpy(cols, v0->cols, (size_t)v0->nc * sizeof(int));
	v.cols = cols;
	query q;
	memset(&q, 0, sizeof(q));
	g_budget_runs = 400;
	g_shrink_deadline = now_s() + 30;
	snprintf(g_want_class, sizeof(g_want_class), "%s", g_class);
	if (q0) {
		copy_query(&q, q0);
		if (query_fails(in, &q))
			shrink_query(in, &q);
		for (int k = 0; k < v.nc; k++)
			v.force[v.cols[k]] = in->type[v.cols[k]];
	} else {
		/* an import failure: the failing column alone if it still fails */
		for (int k = 0; k < v0->nc && v.nc > 1; k++) {
			view w = v;
			w.cols = &cols[k];
			w.nc = 1;
			if (still_fails(t, &w, NULL, 1)) {
				cols[0] = cols[k];
				v.nc = 1;
			}
		}
	}
	double t0 = now_s();
	shrink_view(t, &v, q0 ? &q : NULL, !q0);
	if (q0 && g_budget_runs > 0) { /* the query on the fewer rows, then the view again */
		inst si;
		sbuf w1 = { 0 };
		if (inst_open(&si, t, &v, &w1) == 0 && query_fails(&si, &q))
			shrink_query(&si, &q);
		inst_close(&si);
		free(w1.p);
		shrink_view(t, &v, &q, 0);
	}
	/* the shrunk case, kept on disk */
	inst mi;
	sbuf w2 = { 0 };
	int r = inst_open(&mi, t, &v, &w2);
	if (q0 && r == 0) {
		shrink_query(&mi, &q);
		sb_clear(&w2);
		stats saved = g_st;
		r = check_query(&mi, &q, &w2);
		g_st = saved;
	}
	char keep_csv[600], keep_cs[600];
	snprintf(keep_csv, sizeof(keep_csv), "%s/fail-t%d-q%d.csv", g_dir, t->number, qn);
	snprintf(keep_cs, sizeof(keep_cs), "%s/fail-t%d-q%d.colstore", g_dir, t->number, qn);
	if (rename(mi.csv, keep_csv) == 0)
		mi.csv[0] = '\0';
	printf("  minimized in %.1f s (%s): %s\n", now_s() - t0, r ? "still failing" : "NOT reproduced",
	       sb_cstr(&w2));
	sb_clear(&o);
	describe_table(t, &v, &mi, &o);
	printf("  %s\n", sb_cstr(&o));
	sb_clear(&o);
	import_cli(t, &v, keep_csv, keep_cs, &o);
	printf("  %s\n", sb_cstr(&o));
	if (q0) {
		sb_clear(&o);
		query_cli(t, &q, keep_cs, &o);
		printf("  %s\n", sb_cstr(&o));
	}
	if (v.nr <= 30)
		print_csv_inline(keep_csv);
	g_keep_all = 1;
	inst_close(&mi);
	free(w2.p);
	free(o.p);
	free(v.rows);
	free_query(&q);
	fflush(stdout);
}

/* ---- driver -------------------------------------------------------------------- */

static uint64_t g_passed, g_failed, g_tables, g_rows;
static uint64_t g_chunks[6]; /* string chunks: DICT with 1-, 2-, 4-byte codes, PLAIN; columns with both */

static void run_table(uint64_t seed, int number, int nqueries)
{
	gtable t;
	gen_table(&t, seed, number);
	view v;
	memset(&v, 0, sizeof(v));
	v.nr = t.nrows;
	v.rows = xmalloc((size_t)(t.nrows ? t.nrows : 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < t.nrows; i++)
		v.rows[i] = i;
	int cols[64];
	for (int k = 0; k < t.ncols; k++)
		cols[k] = k;
	v.cols = cols;
	v.nc = t.ncols;
	inst in;
	sbuf why = { 0 };
	double t0 = now_s();
	g_tables++;
	g_rows += t.nrows;
	if (inst_open(&in, &t, &v, &why)) {
		g_failed++;
		report_failure(&t, &v, &in, NULL, 0, sb_cstr(&why));
		inst_close(&in);
		free(why.p);
		free(v.rows);
		free_table(&t);
		return;
	}
	for (int k = 0; k < v.nc; k++) {
		int kinds = 0;
		if (in.type[v.cols[k]] != COLSTORE_TYPE_STRING)
			continue;
		for (uint32_t g = 0; g < in.nrg; g++) {
			colstore_chunk_info ci;
			colstore_reader_chunk_info(in.r, g, (uint32_t)k, &ci, NULL);
			int slot = ci.encoding == COLSTORE_ENCODING_PLAIN ? 3 : ci.code_width == 1 ? 0 : ci.code_width == 2 ? 1 : 2;
			g_chunks[slot]++;
			kinds |= 1 << slot;
		}
		g_chunks[4] += (kinds & 8) && (kinds & 7);
		g_chunks[5] += (kinds & 1) && (kinds & 6);
	}
	/* the queries draw from their own stream */
	rng_seed(seed, ((uint64_t)number + 1) << 32);
	uint64_t failed_before = g_failed;
	for (int k = 0; k < nqueries; k++) {
		query q;
		gen_query(&in, &q);
		sb_clear(&why);
		if (check_query(&in, &q, &why)) {
			g_failed++;
			if (g_failed - failed_before <= 2)
				report_failure(&t, &v, &in, &q, k, sb_cstr(&why));
		} else {
			g_passed++;
		}
		free_query(&q);
	}
	if (g_verbose)
		printf("table %d: %u rows, %d columns, %u row groups, %d queries, %.2f s\n", number, t.nrows, t.ncols,
		       in.nrg, nqueries, now_s() - t0);
	inst_close(&in);
	free(why.p);
	free(v.rows);
	free_table(&t);
}

static int rm_tree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(int argc, char **argv)
{
	uint64_t seed = (uint64_t)time(NULL);
	int seed_given = 0;
	long tables = 40, queries = 2000, only = -1;
	double seconds = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 10);
			seed_given = 1;
		} else if (!strcmp(a, "--tables") && i + 1 < argc) {
			tables = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--queries") && i + 1 < argc) {
			queries = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--table") && i + 1 < argc) {
			only = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--cli") && i + 1 < argc) {
			g_cli = argv[++i];
		} else if (!strcmp(a, "--seconds") && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
		} else if (!strcmp(a, "--float17") || !strcmp(a, "--no-float17")) {
			g_float17 = a[2] == 'f';
		} else if (!strcmp(a, "--keep")) {
			g_keep_all = 1;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			g_verbose = 1;
		} else {
			fprintf(stderr,
			        "usage: oracle [--seed N] [--tables N] [--queries N] [--table K] [--cli PATH]\n"
			        "              [--seconds S] [--no-float17] [--keep] [--verbose]\n");
			return 2;
		}
	}
	if (!g_cli) {
		const char *b = getenv("top_builddir");
		static char cli[512];
		snprintf(cli, sizeof(cli), "%s/colstore", b ? b : ".");
		if (access(cli, X_OK) == 0)
			g_cli = cli;
	}
	if (tables < 1)
		tables = 1;
	const char *tmp = getenv("TMPDIR");
	snprintf(g_dir, sizeof(g_dir), "%s/colstore-oracle-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g_dir)) {
		fprintf(stderr, "oracle: mkdtemp %s: %s\n", g_dir, strerror(errno));
		return 2;
	}
	printf("oracle: seed %" PRIu64 "%s, %ld tables, %ld queries, %s%s\n", seed, seed_given ? "" : " (from the clock)",
	       tables, queries, g_cli ? "scans through " : "no command line for scans", g_cli ? g_cli : "");
	fflush(stdout);
	double t0 = now_s();
	int per = (int)((queries + tables - 1) / tables);
	if (only >= 0) {
		run_table(seed, (int)only, per);
	} else {
		for (size_t k = 0; k < sizeof(regressions) / sizeof(regressions[0]); k++)
			run_table(regressions[k].seed, regressions[k].table, per);
		for (long k = 0; k < tables; k++) {
			if (seconds > 0 && now_s() - t0 > seconds) {
				printf("time budget of %.0f s spent: stopped after %ld of %ld tables\n", seconds, k, tables);
				break;
			}
			run_table(seed, (int)k, per);
		}
	}
	double dt = now_s() - t0;
	if (g_keep_all)
		printf("files kept in %s\n", g_dir);
	else
		rm_tree(g_dir);
	printf("tables: %" PRIu64 " (%" PRIu64 " rows); queries: %" PRIu64 " aggregations, %" PRIu64
	       " filters row by row, %" PRIu64 " library scans, %" PRIu64 " command-line scans, %" PRIu64
	       " refusals checked, %" PRIu64 " overflows agreed; %.1f s\n",
	       g_tables, g_rows, g_st.agg, g_st.filters, g_st.lib_scans, g_st.cli_scans, g_st.refused,
	       g_st.errors_agreed, dt);
	printf("string chunks: %" PRIu64 ", %" PRIu64 " and %" PRIu64 " with 1-, 2- and 4-byte codes, %" PRIu64
	       " plain; columns with dictionary and plain chunks: %" PRIu64 ", with 1-byte and wider codes: %" PRIu64 "\n",
	       g_chunks[0], g_chunks[1], g_chunks[2], g_chunks[3], g_chunks[4], g_chunks[5]);
	printf("value expressions in %" PRIu64 " of the aggregations; %" PRIu64 " ordered scans\n", g_st.with_x,
	       g_st.ordered);
	printf("imported again from 2 to 4 files, byte for byte the same: %u tables; queried from a "
	       "file built by 1 to 3 appends: %u tables\n", g_parts, g_appended);
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", g_passed, g_failed);
	xfree_all();
	return g_failed ? 1 : 0;
}
