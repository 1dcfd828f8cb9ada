/*
 * colstore_cli.c -- the command-line tool: main, each command's options,
 * usage texts and exit status, and scan's row groups over threads.  With
 * output.c (values as text; the table, CSV and JSON lines writers), the only
 * place that prints or exits.
 *
 * Exit status: 0 success, 1 bad input / corrupt file / I/O error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "colstore/colstore.h"
#include "output.h"

#define EXIT_USAGE 2

const char *const prog = "colstore";

static void usage_main(FILE *f)
{
	fprintf(f,
	        "Usage: colstore COMMAND [OPTIONS] FILE\n"
	        "\n"
	        "colstore turns CSV into typed, column-oriented files read through mmap,\n"
	        "and filters and aggregates them in bounded memory.\n"
	        "\n"
	        "Commands:\n"
	        "  import CSV    turn a CSV file into a colstore file (types inferred)\n"
	        "  scan FILE     print rows (chosen columns, filtered with --where)\n"
	        "  agg FILE      count, sum, min, max, avg, grouped and filtered\n"
	        "  info FILE     schema, row groups and, per column: type, encoding,\n"
	        "                bytes on disk, min/max and null count\n"
	        "  verify FILE   check every checksum, offset and padding byte;\n"
	        "                exit 0 if intact, 1 if damaged (naming the block)\n"
	        "  export FILE   write rows as an Arrow IPC or a Parquet file, for\n"
	        "                DuckDB, Polars, pyarrow, Spark and the rest\n"
	        "\n"
	        "Options:\n"
	        "  -h, --help      show this help (COMMAND --help for a command's)\n"
	        "  -V, --version   show the program and file format versions\n"
	        "\n"
	        "Exit status: 0 success, 1 bad or corrupt input or I/O error, 2 usage error.\n");
}

static void usage_info(FILE *f)
{
	fprintf(f, "Usage: colstore info FILE\n"
	           "\n"
	           "Print the schema, row count, row groups and, for each column: type,\n"
	           "encoding (plain, dict or mixed), null count, bytes on disk, raw bytes,\n"
	           "dictionary size and the minimum and maximum value.\n"
	           "\n"
	           "Options:\n"
	           "  -h, --help  show this help\n");
}

static void usage_import(FILE *f)
{
	fprintf(f,
	        "Usage: colstore import CSV... [OPTIONS]\n"
	        "\n"
	        "Turn CSV into a colstore file: column types are inferred from every row,\n"
	        "strings are interned, memory stays bounded whatever the input size, and\n"
	        "nothing is left at the output path unless the import succeeds.\n"
	        "CSV '-' reads standard input (then -o is required).  gzip, zstd and LZ4\n"
	        "input is read as it is (known by its first bytes, whatever its name).\n"
	        "Several inputs, or a quoted pattern such as 'logs/*.csv.gz' (expanded\n"
	        "here, in name order), go into one file (-o is required): their columns\n"
	        "are matched by header name, and types are inferred over all of them.\n"
	        "\n"
	        "Options:\n"
	        "  -o, --output OUT        output file (default: CSV with its extension\n"
	        "                          replaced by .colstore)\n"
	        "  -d, --delimiter D       field delimiter: 1 to 4 bytes (', '), or 'tab'\n"
	        "                          (default: detected among , ; tab |, with the\n"
	        "                          space after it when every one has one)\n"
	        "      --quote C|none      the quote character (default: \" unless ' is the\n"
	        "                          one that wraps fields)\n"
	        "      --escape C|none     a character that makes the next one literal, as\n"
	        "                          in \"12\\\" ruler\" (default: a backslash when the\n"
	        "                          text escapes quotes with one, else none)\n"
	        "      --comment C         skip lines that start with C\n"
	        "      --skip N            skip N lines before the header (default: lines\n"
	        "                          of a preamble are detected; 0: none)\n"
	        "      --header-lines N    the header is N rows; names joined by a space\n"
	        "      --encoding E        the input's encoding: latin1, cp1252, utf-16le,\n"
	        "                          utf-16be or any iconv name (default: UTF-8, or\n"
	        "                          UTF-16 by its byte-order mark)\n"
	        "      --header            the first row is a header\n"
	        "      --no-header         the first row is data; columns are column_1..N\n"
	        "                          (default: a header unless a field of the first\n"
	        "                          row is a number, a date or a timestamp)\n"
	        "      --schema NAME:TYPE,...  force the type of some or all columns; TYPE\n"
	        "                          is int8 int16 int32 int64 float32 float64 bool\n"
	        "                          string date timestamp; date:FORMAT or\n"
	        "                          timestamp:FORMAT gives the column its spelling\n"
	        "      --date-format FMT   dates are also written FMT, e.g. '%%d/%%m/%%Y' or\n"
	        "                          '%%b %%d %%Y': %%Y %%m %%d %%b (Jan) %%B (January), a\n"
	        "                          space matches spaces (default: ISO 8601, and\n"
	        "                          2000/01/31, Jan 31 2000, 31 Jan 2000; never\n"
	        "                          01/02/2000, which reads day- or month-first)\n"
	        "      --timestamp-format FMT  timestamps are also written FMT, e.g.\n"
	        "                          '%%Y/%%m/%%d %%H:%%M:%%S': also %%H %%M %%S %%f (digits\n"
	        "                          of a second) %%z (Z, +01:00) %%I %%p (1-12, AM/PM)\n"
	        "      --no-infer          every column not in --schema is a string\n"
	        "      --null STR          unquoted fields equal to STR are null too (an\n"
	        "                          empty unquoted field is always null; a quoted\n"
	        "                          empty field \"\" is an empty string); repeat it\n"
	        "                          for more markers (--null NA --null -)\n"
	        "      --ragged pad|error  rows with too few fields: fill with nulls, or\n"
	        "                          fail (default: error)\n"
	        "      --lenient           load through malformed rows instead of failing:\n"
	        "                          a short row gets nulls, empty extra trailing\n"
	        "                          fields are dropped, stray quotes are text, and\n"
	        "                          a row whose fields cannot be matched to columns\n"
	        "                          (extra fields, quoted differently, a NUL byte)\n"
	        "                          is rejected: not stored, counted, named\n"
	        "      --rejects FILE      write rejected rows to FILE as CSV: file, line,\n"
	        "                          reason, text (implies --lenient)\n"
	        "      --max-rejects N     fail if more than N rows are rejected (implies\n"
	        "                          --lenient; default: no limit)\n"	        "      --union             several inputs: take every input's columns, null\n"
	        "                          where an input lacks one (default: the inputs'\n"
	        "                          columns must be the same, in any order)\n"
	        "      --append            add the rows to the colstore file OUT without\n"
	        "                          rewriting it (created if missing): columns by\n"
	        "                          name, the file's types; on any error, or a crash\n"
	        "                          at any moment, the file is left as it was\n"
	        "      --compression MODE  none: every block usable in place; pack:\n"
	        "                          bit-packed integers and scaled decimals (fast to\n"
	        "                          read); lz4; all: the smallest of pack and lz4\n"
	        "                          per block (default: pack)\n"
	        "      --row-group-size N  rows per row group (default: 65536, or fewer so\n"
	        "                          that a row group holds at most 64 MiB of values:\n"
	        "                          many columns or long strings)\n"
	        "      --threads N         worker threads (default: the number of cores)\n"
	        "      --max-field-size SIZE  the longest field, e.g. 256M (default: 64M);\n"
	        "                          memory stays within a few times it\n"
	        "  -q, --quiet             no progress bar and no summary\n"
	        "  -h, --help              show this help\n"
	        "\n"
	        "Errors in the input are reported as FILE:LINE:FIELD: message, and exit 1;\n"
	        "the default is strict: one malformed row stops the import.  The summary\n"
	        "prints the dialect used as options, to pin it.\n"
	        "Exit status: 0 success, 1 bad input or I/O error, 2 usage error.\n"
	        "\n"
	        "Examples:\n"
	        "  colstore import messy.csv --lenient --rejects bad-rows.csv\n"
	        "  colstore import 'logs/*.csv.gz' extra.csv -o events.colstore --union\n"
	        "  colstore import --append day3.csv.gz -o events.colstore\n"
	        "  colstore import f.csv --delimiter ', ' --quote \"'\" --escape '\\' --skip 2\n");
}

static void usage_scan(FILE *f)
{
	fprintf(f,
	        "Usage: colstore scan FILE [OPTIONS]\n"
	        "\n"
	        "Print the rows of FILE, or of some columns, that match a filter.  Row\n"
	        "groups whose statistics rule the filter out are skipped unread.\n"
	        "\n"
	        "Options:\n"
	        "  -c, --columns A,B,...  columns or values to print, in this order (default:\n"
	        "                         all columns), each optionally 'as NAME', e.g.\n"
	        "                         \"id, price * qty as total, upper(region)\"; a\n"
	        "                         name with spaces, commas or quotes in \"double\n"
	        "                         quotes\", as in every option (\"\" for a quote)\n"
	        "  -w, --where EXPR       keep rows where EXPR holds:\n"
	        "                         x OP y (OP: = != < <= > >=),\n"
	        "                         x [not] in (y, ...),\n"
	        "                         x [not] between y and z,\n"
	        "                         x [not] like|ilike 'pattern' (strings; %% any\n"
	        "                         run, _ one character; ilike: ASCII case ignored),\n"
	        "                         x is [not] null; joined by and / or, negated by\n"
	        "                         not, with parentheses; strings and dates in 'quotes'\n"
	        "                         e.g. \"region in ('north', 'west') and not (qty > 50)\"\n"
	        "                         x, y, z: values (see VALUES below)\n"
	        "  -o, --order-by LIST    print the rows ordered by values, each an output\n"
	        "                         column's name or any column or value, then asc\n"
	        "                         (default) or desc, e.g. \"total desc, id\"; nulls\n"
	        "                         last; equal rows in file order\n"
	        "  -n, --limit N          print at most N rows (with --order-by: the first N,\n"
	        "                         holding about 2N rows a thread)\n"
	        "  -m, --memory-limit SIZE  memory --order-by without --limit sorts in (default:\n"
	        "                         half of RAM or of the memory cgroup's limit); past\n"
	        "                         it, sorted runs go to an unlinked temporary file in\n"
	        "                         $TMPDIR (else /tmp) and are merged\n"
	        "  -f, --format F         table (default on a terminal), csv (default\n"
	        "                         otherwise; RFC 4180, header row, null = empty\n"
	        "                         field, empty string = \"\"), jsonl (one object\n"
	        "                         per row; null, numbers, true/false, strings)\n"
	        "  -t, --threads N        worker threads for csv and jsonl without --limit,\n"
	        "                         and for --order-by (default: the number of cores);\n"
	        "                         rows come out in the same order for any N\n"
	        "  -h, --help             show this help\n"
	        "\n"
	        "\n"
	        "VALUES: a column, a literal (number, 'string', true/false), or an\n"
	        "expression: + - * / and unary -, with parentheses, over numbers (integers\n"
	        "widen to int64; an int64 overflow is an error, exit 1; / gives a float,\n"
	        "null on division by zero), and functions: year(t) quarter(t) month(t)\n"
	        "day(t) hour(t) minute(t) weekday(t) (0 = Sunday) of a date or timestamp;\n"
	        "date_trunc('year'|'quarter'|'month'|'week'|'day'|'hour'|'minute', t);\n"
	        "bucket(x, width) (x rounded down to a multiple); abs(x); round(x, digits)\n"
	        "(half away from zero); lower(s) upper(s) (ASCII); length(s) (characters);\n"
	        "coalesce(a, b, ...).  e.g. \"price * qty > 1000\", \"origin = destination\",\n"
	        "\"month(ts) in (1, 2) and lower(name) like '%%smith%%'\".\n"
	        "A repeated -c adds columns; a repeated -w keeps rows where each holds (and).\n"
	        "Exit status: 0 success, 1 bad or corrupt file or overflow, 2 usage error (a\n"
	        "bad --where names the token or column).\n");
}

static void usage_agg(FILE *f)
{
	fprintf(f,
	        "Usage: colstore agg FILE --agg LIST [OPTIONS]\n"
	        "       colstore agg FILE --group-by A,B,.. [OPTIONS]   (count(*) by A,B,..)\n"
	        "\n"
	        "Aggregate the rows of FILE, by groups or as one row.\n"
	        "\n"
	        "Options:\n"
	        "  -a, --agg LIST         count(*), count(x), sum(x), min(x), max(x), avg(x),\n"
	        "                         var(x), var_pop(x), stddev(x), stddev_pop(x),\n"
	        "                         count(distinct x), approx_count_distinct(x),\n"
	        "                         median(x), quantile(x, p), of a column or a value\n"
	        "                         (colstore scan --help: VALUES), e.g.\n"
	        "                         \"sum(price * qty) as revenue\"; comma separated;\n"
	        "                         output columns are named by 'as NAME', else as\n"
	        "                         written (default with --group-by: count(*))\n"
	        "  -g, --group-by A,B,..  one output row per distinct combination, sorted,\n"
	        "                         nulls last (default: one row); columns or values,\n"
	        "                         each optionally 'as NAME', e.g. \"month(ts) as m,\n"
	        "                         region\"; names with spaces, commas or quotes in\n"
	        "                         \"double quotes\", here and in aggregates:\n"
	        "                         sum(\"Unit Price\")\n"
	        "  -w, --where EXPR       only rows where EXPR holds (see colstore scan --help)\n"
	        "  -o, --order-by LIST    order rows by output columns, each named as in the\n"
	        "                         header, then asc (default) or desc, e.g.\n"
	        "                         \"sum(qty) desc, region\"; nulls last; ties keep the\n"
	        "                         group order\n"
	        "  -n, --limit N          print the first N rows (with --order-by: the top N,\n"
	        "                         holding only N groups)\n"
	        "  -f, --format F         table (default on a terminal), csv, jsonl\n"
	        "  -t, --threads N        worker threads at most (default: the number of\n"
	        "                         cores; one per 4 MiB read at most); the result is\n"
	        "                         the same for any N\n"
	        "  -m, --memory-limit SIZE  memory to plan for, e.g. 512M or 2G (default: half\n"
	        "                         of RAM or of the memory cgroup's limit, if lower)\n"
	        "  -h, --help             show this help\n"
	        "\n"
	        "Groups that do not fit the memory limit go to an unlinked temporary file in\n"
	        "$TMPDIR (else /tmp): by one dictionary string or one small-range integer,\n"
	        "in several passes over FILE, each over a range of keys; otherwise as sorted\n"
	        "runs that are merged at the end.\n"
	        "sum of integers is exact (an int64 overflow is an error, exit 1); floats\n"
	        "are summed exactly (DECIMAL-stored columns as the decimals themselves),\n"
	        "rounded once to double, and avg divides that sum by the count; var and\n"
	        "stddev (sample: over n - 1, null for one value; _pop: over n) come from\n"
	        "exact sums of the values and their squares; min and max work on every type;\n"
	        "nulls are skipped; count(x) counts non-null values; count(distinct x)\n"
	        "counts distinct non-null values exactly, by a second pass grouped by the\n"
	        "keys and x (out of core as any group-by); median(x) and quantile(x, p)\n"
	        "(p from 0 to 1) are exact, linear between the two closest ranks (an even\n"
	        "count's median is the mean of the middle two), from the values gathered in\n"
	        "memory under one dictionary or small-range key when they fit, else from\n"
	        "the same second pass; approx_count_distinct(x) is a HyperLogLog estimate\n"
	        "(4 KiB a group, 1.6%% standard error) in one pass.\n"
	        "A repeated -a or -g adds to its list; a repeated -w keeps rows where each\n"
	        "holds (and).\n"
	        "Exit status: 0 success, 1 bad or corrupt file or overflow, 2 usage error.\n");
}

static void usage_export(FILE *f)
{
	fprintf(f,
	        "Usage: colstore export FILE --format arrow|parquet [OPTIONS]\n"
	        "\n"
	        "Write the rows of FILE, or of some columns, that match a filter, as an\n"
	        "Arrow IPC file (Feather v2: one record batch per row group, or per\n"
	        "65,536 rows of a longer one; string columns dictionary-encoded as they\n"
	        "are stored) or a Parquet file (one row group per such batch, with\n"
	        "min/max/null-count statistics).  The\n"
	        "file appears only when complete (a temporary file is renamed over it).\n"
	        "Strings must be valid UTF-8.  docs/interop.md shows how DuckDB, Polars\n"
	        "and others read the result.\n"
	        "\n"
	        "Options:\n"
	        "  -f, --format F         arrow or parquet (required)\n"
	        "  -o, --output OUT       the file to write, - for standard output\n"
	        "                         (default: FILE with .arrow or .parquet for its\n"
	        "                         extension)\n"
	        "  -c, --columns A,B,...  columns to write, in this order (default: all)\n"
	        "  -w, --where EXPR       keep rows where EXPR holds (as in scan)\n"
	        "  -z, --compress C       none (default) or lz4: Arrow LZ4_FRAME buffers,\n"
	        "                         Parquet LZ4_RAW pages\n"
	        "  -q, --quiet            no progress and no summary on stderr\n"
	        "  -h, --help             show this help\n"
	        "\n"
	        "A repeated -c adds columns; a repeated -w keeps rows where each holds (and).\n"
	        "Exit status: 0 success, 1 bad or corrupt file, invalid UTF-8 or I/O\n"
	        "error, 2 usage error.\n");
}

static void usage_verify(FILE *f)
{
	fprintf(f, "Usage: colstore verify FILE\n"
	           "\n"
	           "Check the header, trailer and footer, every block's XXH3 checksum and\n"
	           "content (null counts, dictionary codes, string offsets), and that every\n"
	           "padding byte is zero.  Exit 0 when the file is intact, 1 when it is\n"
	           "damaged or unreadable; the message names the damaged block and offset.\n"
	           "\n"
	           "Options:\n"
	           "  -h, --help  show this help\n");
}

static int fail(const char *file, const colstore_error *e)
{
	size_t fl = strlen(file);
	if (strncmp(e->message, file, fl) == 0 && strncmp(e->message + fl, ": ", 2) == 0)
		fprintf(stderr, "%s: %s\n", prog, e->message); /* it names the file already */
	else if (e->code == COLSTORE_ENOTCOLSTORE || e->code == COLSTORE_EIO) /* it says it all */
		fprintf(stderr, "%s: %s: %s\n", prog, file, e->message);
	else if (e->offset != COLSTORE_NO_OFFSET)
		fprintf(stderr, "%s: %s: %s (%s, at byte %" PRIu64 ")\n", prog, file, e->message,
		        colstore_strerror(e->code), e->offset);
	else
		fprintf(stderr, "%s: %s: %s (%s)\n", prog, file, e->message,
		        colstore_strerror(e->code));
	return 1;
}

/* a usage error of command cmd: "colstore CMD: message", then the command's
 * usage, on stderr; returns EXIT_USAGE */
static int usage_fail(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int usage_fail(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s %s: ", prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

/* ---- files changed while read ------------------------------------------------ */

/* A mapped file cut short (truncated, or copied over) while it is read raises
 * SIGBUS on the first page past its new end.  The handler says so, removes
 * the temporary files of an import or export under way, and exits 1. */
static char bus_msg[4200];
static size_t bus_len;

static void on_sigbus(int sig)
{
	(void)sig;
	ssize_t w = write(STDERR_FILENO, bus_msg, bus_len);
	(void)w;
	colstore_remove_temporaries();
	_exit(1);
}

/* from now on, a SIGBUS is FILE changed while being read; then says
 * what became of the command's output */
static void watch_file(const char *file, const char *then)
{
	int n = snprintf(bus_msg, sizeof(bus_msg),
	                 "\n%s: %s changed while being read (truncated or replaced by another "
	                 "program): stopped; %s\n",
	                 prog, file, then);
	bus_len = n < 0 ? 0 : (size_t)n < sizeof(bus_msg) ? (size_t)n : sizeof(bus_msg) - 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* ---- info ------------------------------------------------------------------ */

static int cmd_info(const char *file)
{
	colstore_error e;
	colstore_reader *r;
	watch_file(file, "the listing above is incomplete");
	if (colstore_reader_open(file, NULL, &r, &e))
		return fail(file, &e);
	unsigned maj, min;
	colstore_reader_format_version(r, &maj, &min);
	uint64_t rows = colstore_reader_num_rows(r);
	uint32_t ncols = colstore_reader_num_columns(r), ngroups = colstore_reader_num_row_groups(r);
	char fsz[32];
	fmt_bytes(fsz, sizeof(fsz), colstore_reader_file_size(r));
	printf("file:        %s\n", file);
	printf("format:      colstore %u.%u, %s (%" PRIu64 " bytes)\n", maj, min, fsz,
	       colstore_reader_file_size(r));
	printf("rows:        %" PRIu64 "\n", rows);
	printf("columns:     %u\n", ncols);
	printf("row groups:  %u of up to %u rows\n\n", ngroups, colstore_reader_row_group_size(r));
	printf("%3s  %-16s %-9s %-8s %10s %11s %11s %11s  %-26s %-26s\n", "#", "column", "type",
	       "encoding", "nulls", "on disk", "raw", "dictionary", "min", "max");
	uint64_t tot_stored = 0, tot_raw = 0;
	int rc = 0;
	for (uint32_t c = 0; c < ncols; c++) {
		colstore_column_info ci;
		if (colstore_reader_column_info(r, c, &ci, &e)) {
			rc = fail(file, &e);
			break;
		}
		colstat s;
		memset(&s, 0, sizeof(s));
		for (uint32_t g = 0; g < ngroups; g++) {
			colstore_chunk_info ch;
			if (colstore_reader_chunk_info(r, g, c, &ch, &e) == 0)
				merge_stats(&s, ci.type, &ch);
		}
		const char *enc = ci.dict_chunks && ci.plain_chunks ? "mixed"
		                  : ci.dict_chunks                  ? "dict"
		                                                    : "plain";
		char st[32], raw[32], dict[32], mn[64], mx[64];
		fmt_bytes(st, sizeof(st), ci.stored_bytes);
		fmt_bytes(raw, sizeof(raw), ci.raw_bytes);
		if (ci.type == COLSTORE_TYPE_STRING && ci.dict_count)
			snprintf(dict, sizeof(dict), "%u values", ci.dict_count);
		else
			snprintf(dict, sizeof(dict), "-");
		fmt_stat(mn, sizeof(mn), ci.type, &s, 0);
		fmt_stat(mx, sizeof(mx), ci.type, &s, 1);
		printf("%3u  %-16s %-9s %-8s %10" PRIu64 " %11s %11s %11s  %-26s %-26s\n", c,
		       ci.name, colstore_type_name(ci.type), enc, ci.null_count, st, raw, dict, mn,
		       mx);
		tot_stored += ci.stored_bytes + ci.dict_bytes;
		tot_raw += ci.raw_bytes + ci.dict_bytes;
	}
	if (!rc) {
		char st[32], raw[32];
		fmt_bytes(st, sizeof(st), tot_stored);
		fmt_bytes(raw, sizeof(raw), tot_raw);
		printf("\ndata + dictionaries: %s on disk, %s raw; the rest of the file is "
		       "header, footer and padding\n",
		       st, raw);
	}
	colstore_reader_close(r);
	return rc;
}

static int cmd_verify(const char *file)
{
	colstore_error e;
	colstore_reader *r;
	watch_file(file, "it could not be verified");
	if (colstore_reader_open(file, NULL, &r, &e))
		return fail(file, &e);
	int rc = colstore_reader_verify(r, &e);
	if (rc) {
		fail(file, &e);
	} else {
		printf("%s: ok (%" PRIu64 " rows, %u columns, %u row groups, %" PRIu64
		       " bytes)\n",
		       file, colstore_reader_num_rows(r), colstore_reader_num_columns(r),
		       colstore_reader_num_row_groups(r), colstore_reader_file_size(r));
	}
	colstore_reader_close(r);
	return rc ? 1 : 0;
}

/* ---- import ------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* SIGINT, SIGTERM, SIGHUP set `interrupted`; without SA_RESTART, so that a
 * call blocked on them (opening a FIFO no one reads) returns and the
 * command stops, removing what it was writing */
static void catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

typedef struct progress_state {
	int show;
	const char *name;
	const char *path; /* what the library reads: the spool of standard input */
	struct timespec start, last;
	int passes;
	double pass2_at; /* seconds from start when pass 2 began, or 0 */
} progress_state;

static double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static int on_progress(void *ctx, const colstore_import_progress *p)
{
	progress_state *ps = ctx;
	if (interrupted)
		return 1;
	ps->passes = p->passes;
	if (p->pass == 2 && ps->pass2_at == 0)
		ps->pass2_at = since(&ps->start);
	if (!ps->show || since(&ps->last) < 0.2)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ps->last);
	double el = since(&ps->start);
	double total = (double)p->bytes_total * p->passes;
	double done = (double)p->bytes_total * (p->pass - 1) + (double)p->bytes_done;
	double frac = total > 0 ? done / total : 0;
	double eta = frac > 0 ? el * (1 - frac) / frac : 0;
	char in[32], all[32];
	fmt_bytes(in, sizeof(in), p->bytes_done);
	fmt_bytes(all, sizeof(all), p->bytes_total);
	fprintf(stderr, "\r%s: pass %d/%d %3.0f%%  %s of %s  %" PRIu64 " rows  %.0f MB/s  ETA %.0fs   ",
	        ps->name, p->pass, p->passes, frac * 100, in, all, p->rows,
	        el > 0 ? done / el / 1e6 : 0, eta);
	return 0;
}

static void on_warning(void *ctx, const char *msg)
{
	const progress_state *ps = ctx;
	size_t n = ps->path ? strlen(ps->path) : 0;
	if (n && strncmp(msg, ps->path, n) == 0) /* <stdin>, not its spool */
		fprintf(stderr, "%s: warning: %s%s\n", prog, ps->name, msg + n);
	else
		fprintf(stderr, "%s: warning: %s\n", prog, msg);
}

static int parse_schema(char *spec, const char ***names, colstore_type **types,
                        const char ***formats, uint32_t *n)
{
	uint32_t cap = 1;
	for (char *c = spec; *c; c++)
		cap += *c == ',';
	*names = calloc(cap, sizeof(**names));
	*types = calloc(cap, sizeof(**types));
	*formats = calloc(cap, sizeof(**formats));
	*n = 0;
	for (char *item = strtok(spec, ","); item; item = strtok(NULL, ",")) {
		/* NAME:date:FORMAT or NAME:timestamp:FORMAT (a format holds colons) */
		char *fd = strstr(item, ":date:"), *ft = strstr(item, ":timestamp:");
		char *at = fd && (!ft || fd < ft) ? fd : ft;
		if (at && at > item) {
			*at = '\0';
			(*types)[*n] = at == fd ? COLSTORE_TYPE_DATE : COLSTORE_TYPE_TIMESTAMP;
			(*formats)[*n] = at + (at == fd ? 6 : 11);
			(*names)[(*n)++] = item;
			continue;
		}
		char *colon = strrchr(item, ':');
		if (!colon || colon == item) {
			fprintf(stderr, "%s import: --schema item '%s' is not NAME:TYPE\n", prog, item);
			return -1;
		}
		*colon = '\0';
		if (colstore_type_from_name(colon + 1, &(*types)[*n]) != COLSTORE_OK) {
			fprintf(stderr, "%s import: --schema: unknown type '%s' for column '%s' (types: "
			        "int8 int16 int32 int64 float32 float64 bool string date timestamp)\n",
			        prog, colon + 1, item);
			return -1;
		}
		(*names)[(*n)++] = item;
	}
	return 0;
}

/* copy standard input to a temporary file: the import reads its input twice */
static int spool_fd = -1; /* the spooled copy, when already unlinked */

static char *spool_stdin(void)
{
	const char *dir = getenv("TMPDIR");
	size_t cap = strlen(dir && *dir ? dir : "/tmp") + 32;
	char *path = malloc(cap);
	snprintf(path, cap, "%s/colstore-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create a temporary file for standard input: %s\n", prog,
		        strerror(errno));
		free(path);
		return NULL;
	}
	/* unlinked at once and read through /proc, so that an import killed
	 * at any moment, even while spooling, leaves no copy of its input */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int gone = access(proc, R_OK) == 0 && unlink(path) == 0;
	static char buf[1 << 16];
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR && !interrupted)
			continue;
		if (n < 0 || interrupted || write(fd, buf, (size_t)n) != n) {
			fprintf(stderr, "%s: cannot spool standard input to %s: %s\n", prog, path,
			        interrupted ? "interrupted" : strerror(errno));
			close(fd);
			if (!gone)
				unlink(path);
			free(path);
			return NULL;
		}
	}
	if (gone) {
		spool_fd = fd;
		free(path);
		return strdup(proc);
	}
	close(fd);
	return path;
}

/* in's path with its extension replaced by ext (".colstore") */
static char *default_output(const char *in, const char *ext)
{
	const char *slash = strrchr(in, '/');
	const char *base = slash ? slash + 1 : in;
	const char *dot = strrchr(base, '.');
	size_t keep = dot && dot != base ? (size_t)(dot - in) : strlen(in);
	char *out = malloc(keep + strlen(ext) + 1);
	if (!out) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	memcpy(out, in, keep);
	strcpy(out + keep, ext);
	return out;
}


/* A repeated list option (-a, -g, -c, --schema) adds to its list, in order;
 * a repeated --where narrows the rows: "(first) and (second)".  The joined
 * text stays reachable (from opt_strs) until the process exits. */
static char *opt_strs[64];
static unsigned n_opt_strs;
/* do the parentheses of a --where close within it (outside 'strings' and
 * "names")?  Each --where must stand alone before they are joined. */
static int where_balanced(const char *w)
{
	int depth = 0;
	for (const char *p = w; *p; p++) {
		if (*p == '\'' || *p == '"') { /* a doubled quote inside is two quotes */
			char q = *p;
			for (p++; *p && *p != q; p++)
				;
			if (!*p)
				return 1; /* unterminated: the parser says so */
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth < 0) {
			return 0;
		}
	}
	return depth == 0;
}

static char *opt_add(const char *prev, char *arg, int is_where)
{
	if (!prev)
		return arg; /* alone, the parser judges it (and points at the error) */
	if (is_where && (!where_balanced(prev) || !where_balanced(arg))) {
		fprintf(stderr, "%s: --where '%s': its parentheses do not match (each --where "
		        "must stand alone)\n", prog, where_balanced(prev) ? arg : prev);
		exit(EXIT_USAGE);
	}
	size_t n = strlen(prev) + strlen(arg) + 16;
	char *s = n_opt_strs < sizeof(opt_strs) / sizeof(opt_strs[0]) ? malloc(n) : NULL;
	if (!s) {
		fprintf(stderr, "%s: too many repeated options\n", prog);
		exit(EXIT_USAGE);
	}
	opt_strs[n_opt_strs++] = s;
	snprintf(s, n, is_where ? "(%s) and (%s)" : "%s,%s", prev, arg);
	return s;
}

/* --threads N: 1..max, else a message naming the command and -1 */
static int parse_threads(const char *cmd, const char *arg, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	if (end == arg || *end || v == 0 || v > max) {
		fprintf(stderr, "%s %s: --threads takes 1..%u\n", prog, cmd, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}
/* --limit N: a count of rows (0 and up) */
static int parse_limit(const char *cmd, const char *arg, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (end == arg || *end || arg[0] == '-' || errno) {
		fprintf(stderr, "%s %s: --limit takes a count, not '%s'\n", prog, cmd, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* the import summary's second line: each column's name and type (read
 * back from a regular file only: a FIFO or device cannot be) */
static void print_types(const char *path)
{
	struct stat st;
	colstore_reader *r;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || colstore_reader_open(path, NULL, &r, NULL))
		return;
	uint32_t n = colstore_reader_num_columns(r), shown = n > 40 ? 40 : n;
	fprintf(stderr, "%s: types:", prog);
	for (uint32_t i = 0; i < shown; i++) {
		colstore_column_info ci;
		if (colstore_reader_column_info(r, i, &ci, NULL) == COLSTORE_OK)
			fprintf(stderr, "%s %s %s", i ? "," : "", ci.name, colstore_type_name(ci.type));
	}
	if (shown < n)
		fprintf(stderr, ", and %u more (colstore info lists them)", n - shown);
	fputc('\n', stderr);
	colstore_reader_close(r);
}

static int parse_size(const char *s, uint64_t *out);

/* a byte as an option's argument, quoted for a shell */
static void shell_byte(char *out, size_t n, int b)
{
	if (b == COLSTORE_NONE)
		snprintf(out, n, "none");
	else if (b == '\t')
		snprintf(out, n, "tab");
	else if (b == '\'')
		snprintf(out, n, "\"'\"");
	else
		snprintf(out, n, "'%c'", b);
}

/* the dialect the import used, as the options that pin it */
static void print_dialect(const colstore_import_result *res)
{
	char d[32], q[16], e[16];
	if (strcmp(res->delimiter_string, "\t") == 0)
		snprintf(d, sizeof(d), "tab");
	else if (strchr(res->delimiter_string, '\''))
		snprintf(d, sizeof(d), "\"%s\"", res->delimiter_string);
	else
		snprintf(d, sizeof(d), "'%s'", res->delimiter_string);
	shell_byte(q, sizeof(q), res->quote);
	shell_byte(e, sizeof(e), res->escape);
	if (res->compression) {
		char t[32];
		fmt_bytes(t, sizeof(t), res->bytes_text);
		fprintf(stderr, "  input: %s-compressed, %s of CSV text\n", res->compression, t);
	}
	fprintf(stderr, "  dialect: --delimiter %s --quote %s --escape %s --skip %" PRIu64 "%s%s\n",
	        d, q, e, res->skipped_lines, res->encoding ? " --encoding " : "",
	        res->encoding ? res->encoding : "");
}

static void print_lines(const char *what, uint64_t n, const uint64_t *lines)
{
	fprintf(stderr, "  %" PRIu64 " row%s %s (line%s", n, n == 1 ? "" : "s", what,
	        n == 1 ? "" : "s");
	for (uint64_t k = 0; k < n && k < COLSTORE_REJECT_LINES; k++)
		fprintf(stderr, "%s%" PRIu64, k ? ", " : " ", lines[k]);
	fprintf(stderr, "%s)\n", n > COLSTORE_REJECT_LINES ? ", ..." : "");
}

/* lenient mode's tallies, the rejected rows even with --quiet */
static void print_lenient(const colstore_import_result *res, const char *rejects, int quiet)
{
	if (res->padded && !quiet)
		print_lines("padded with nulls", res->padded, res->padded_lines);
	if (res->trimmed && !quiet)
		print_lines("trimmed of empty trailing fields", res->trimmed, res->trimmed_lines);
	if (res->rejected) {
		print_lines("rejected", res->rejected, res->rejected_lines);
		fprintf(stderr, "    the first: %s\n    %s%s\n", res->first_reject,
		        rejects ? "all of them are in " : "not stored; --rejects FILE keeps them",
		        rejects ? rejects : "");
	}
}

/* the inputs of an import: the arguments, a pattern (with * ? or [) that
 * names no file itself expanded here, so that thousands of files need
 * no shell; '-' (standard input) at most once */
typedef struct input_list {
	char **paths;       /* what the library opens (owned by g or argv) */
	const char **shown; /* their names in messages */
	size_t n, cap;
	long stdin_at;      /* the index of '-', or -1 */
	glob_t *globs;
	size_t nglobs;
} input_list;

static void inputs_free(input_list *in)
{
	for (size_t k = 0; k < in->nglobs; k++)
		globfree(&in->globs[k]);
	free(in->globs);
	free(in->paths);
	free(in->shown);
}

static int inputs_add(input_list *in, char *path)
{
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		char **p = realloc(in->paths, cap * sizeof(char *));
		if (p)
			in->paths = p;
		const char **s = realloc(in->shown, cap * sizeof(char *));
		if (s)
			in->shown = s;
		if (!p || !s)
			return -1;
		in->cap = cap;
	}
	in->shown[in->n] = strcmp(path, "-") == 0 ? "<stdin>" : path;
	in->paths[in->n++] = path;
	return 0;
}

static int list_inputs(int argc, char **argv, input_list *in)
{
	memset(in, 0, sizeof(*in));
	in->stdin_at = -1;
	in->globs = calloc((size_t)argc, sizeof(glob_t));
	if (!in->globs) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	for (int i = 0; i < argc; i++) {
		struct stat st;
		char *a = argv[i];
		int rc = 0;
		if (strcmp(a, "-") == 0) {
			if (in->stdin_at >= 0) {
				fprintf(stderr, "%s import: standard input ('-') can be read once\n", prog);
				inputs_free(in);
				return EXIT_USAGE;
			}
			in->stdin_at = (long)in->n;
			rc = inputs_add(in, a);
		} else if (strpbrk(a, "*?[") && stat(a, &st) != 0) {
			glob_t *g = &in->globs[in->nglobs];
			int gr = glob(a, 0, NULL, g);
			if (gr == GLOB_NOMATCH) {
				fprintf(stderr, "%s import: no file matches '%s'\n", prog, a);
				inputs_free(in);
				return 1;
			}
			in->nglobs++;
			if (gr != 0) {
				fprintf(stderr, "%s import: cannot list the files matching '%s'\n", prog, a);
				inputs_free(in);
				return 1;
			}
			for (size_t k = 0; k < g->gl_pathc && !rc; k++) /* sorted by name */
				rc = inputs_add(in, g->gl_pathv[k]);
		} else {
			rc = inputs_add(in, a);
		}
		if (rc) {
			fprintf(stderr, "%s: out of memory\n", prog);
			inputs_free(in);
			return 1;
		}
	}
	return 0;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "header", no_argument, NULL, 'H' },
		{ "no-header", no_argument, NULL, 'N' },
		{ "schema", required_argument, NULL, 's' },
		{ "no-infer", no_argument, NULL, 'I' },
		{ "null", required_argument, NULL, 'n' },
		{ "ragged", required_argument, NULL, 'r' },
		{ "compression", required_argument, NULL, 'z' },
		{ "row-group-size", required_argument, NULL, 'g' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-field-size", required_argument, NULL, 'F' },
		{ "quote", required_argument, NULL, 'Q' },
		{ "escape", required_argument, NULL, 'E' },
		{ "comment", required_argument, NULL, 'C' },
		{ "skip", required_argument, NULL, 'S' },
		{ "header-lines", required_argument, NULL, 'L' },
		{ "encoding", required_argument, NULL, 'e' },
		{ "lenient", no_argument, NULL, 'l' },
		{ "rejects", required_argument, NULL, 'R' },
		{ "max-rejects", required_argument, NULL, 'M' },
		{ "date-format", required_argument, NULL, 'D' },
		{ "timestamp-format", required_argument, NULL, 'T' },
		{ "union", no_argument, NULL, 'U' },
		{ "append", no_argument, NULL, 'A' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.writer.compression = COLSTORE_WRITE_PACK;
	const char *out = NULL;
	int quiet = 0, c;
	char *schema = NULL;
	const char *nulls[COLSTORE_MAX_NULL_MARKERS];
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:d:qh", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'o': out = optarg; break;
		case 'd':
			if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
				o.delimiter = '\t';
			else if (strlen(optarg) >= 1 && strlen(optarg) <= 4 && !strpbrk(optarg, "\r\n"))
				o.delimiter_string = optarg;
			else {
				fprintf(stderr, "%s import: --delimiter takes 1 to 4 bytes (no line break) "
				        "or 'tab', not '%s'\n", prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'Q':
		case 'E':
		case 'C': {
			int v = strcmp(optarg, "none") == 0 && c != 'C' ? COLSTORE_NONE
			        : strlen(optarg) == 1 && optarg[0] != '\n' && optarg[0] != '\r'
			                ? (uint8_t)optarg[0]
			                : -2;
			if (v == -2) {
				fprintf(stderr, "%s import: --%s takes one character%s, not '%s'\n", prog,
				        c == 'Q' ? "quote" : c == 'E' ? "escape" : "comment",
				        c == 'C' ? "" : " or 'none'", optarg);
				return EXIT_USAGE;
			}
			*(c == 'Q' ? &o.quote : c == 'E' ? &o.escape : &o.comment) = v;
			break;
		}
		case 'S':
		case 'L': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v > 1000000 || (c == 'L' && v == 0)) {
				fprintf(stderr, "%s import: --%s takes a number of lines%s, not '%s'\n", prog,
				        c == 'S' ? "skip" : "header-lines", c == 'S' ? "" : " (1 or more)",
				        optarg);
				return EXIT_USAGE;
			}
			if (c == 'S')
				o.skip = v ? (int64_t)v : COLSTORE_NONE;
			else
				o.header_lines = (uint32_t)v;
			break;
		}
		case 'e': o.encoding = optarg; break;
		case 'D': o.date_format = optarg; break;
		case 'T': o.timestamp_format = optarg; break;
		case 'l': o.lenient = 1; break;
		case 'U': o.union_columns = 1; break;
		case 'A': o.append = 1; break;
		case 'R': o.rejects_path = optarg; o.lenient = 1; break;
		case 'M':
			o.max_rejects = strtoull(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "%s import: --max-rejects takes a number, not '%s'\n", prog,
				        optarg);
				return EXIT_USAGE;
			}
			o.lenient = 1;
			break;
		case 'H': o.header = COLSTORE_HEADER_YES; break;
		case 'N': o.header = COLSTORE_HEADER_NO; break;
		case 's': schema = opt_add(schema, optarg, 0); break;
		case 'I': o.no_infer = 1; break;
		case 'n':
			if (o.n_null_markers == COLSTORE_MAX_NULL_MARKERS) {
				fprintf(stderr, "%s import: at most %d --null markers\n", prog,
				        COLSTORE_MAX_NULL_MARKERS);
				return EXIT_USAGE;
			}
			nulls[o.n_null_markers++] = optarg;
			o.null_markers = nulls;
			break;
		case 'r':
			if (strcmp(optarg, "pad") == 0)
				o.ragged_pad = 1;
			else if (strcmp(optarg, "error") != 0) {
				fprintf(stderr, "%s import: --ragged takes 'pad' or 'error'\n", prog);
				return EXIT_USAGE;
			}
			break;
		case 'z':
			if (strcmp(optarg, "none") == 0)
				o.writer.compression = 0;
			else if (strcmp(optarg, "pack") == 0)
				o.writer.compression = COLSTORE_WRITE_PACK;
			else if (strcmp(optarg, "lz4") == 0)
				o.writer.compression = COLSTORE_WRITE_LZ4;
			else if (strcmp(optarg, "all") == 0)
				o.writer.compression = COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4;
			else {
				fprintf(stderr, "%s import: --compression takes none, pack, lz4 or all\n",
				        prog);
				return EXIT_USAGE;
			}
			break;
		case 'g':
			o.writer.row_group_size = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || o.writer.row_group_size == 0 ||
			    o.writer.row_group_size > COLSTORE_MAX_ROW_GROUP_SIZE) {
				fprintf(stderr, "%s import: --row-group-size takes 1..%u\n", prog,
				        COLSTORE_MAX_ROW_GROUP_SIZE);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_threads("import", optarg, 1024, &o.threads))
				return EXIT_USAGE;
			break;
		case 'F':
			if (parse_size(optarg, &o.max_field) || o.max_field == 0 ||
			    o.max_field > ((uint64_t)1 << 31) - 1) {
				fprintf(stderr, "%s import: --max-field-size takes a size from 1 to 2G-1, "
				        "such as 256M, not '%s'\n", prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage_import(stdout); return 0;
		default:
			return usage_fail("import", usage_import, "unknown or incomplete option '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_fail("import", usage_import, "missing CSV");
	input_list in;
	int lrc = list_inputs(argc - optind, argv + optind, &in);
	if (lrc)
		return lrc;
	const char *csv = in.paths[0];
	int from_stdin = in.stdin_at >= 0;
	if (from_stdin && !out) {
		fprintf(stderr, "%s import: reading standard input needs -o OUT\n", prog);
		inputs_free(&in);
		return EXIT_USAGE;
	}
	if (in.n > 1 && !out) {
		fprintf(stderr, "%s import: several inputs need -o OUT\n", prog);
		inputs_free(&in);
		return EXIT_USAGE;
	}
	const char **names = NULL, **formats = NULL;
	colstore_type *types = NULL;
	if (schema && parse_schema(schema, &names, &types, &formats, &o.n_schema)) {
		free(names);
		free(types);
		free(formats);
		inputs_free(&in);
		return EXIT_USAGE;
	}
	o.schema_names = names;
	o.schema_types = types;
	o.schema_formats = formats;
	char *def_out = out ? NULL : default_output(csv, ".colstore");
	if (!out)
		out = def_out;
	catch_interrupts();
	char *spooled = from_stdin ? spool_stdin() : NULL;
	if (spooled)
		in.paths[in.stdin_at] = spooled;
	char several[64];
	snprintf(several, sizeof(several), "%zu inputs", in.n);
	const char *shown = in.n > 1 ? several : in.shown[0];
	int rc = 1;
	if (!from_stdin || spooled) {
		progress_state ps;
		memset(&ps, 0, sizeof(ps));
		ps.show = !quiet && isatty(2);
		ps.name = shown;
		ps.path = spooled;
		clock_gettime(CLOCK_MONOTONIC, &ps.start);
		o.on_progress = on_progress;
		o.on_warning = on_warning;
		o.ctx = &ps;
		o.input_names = in.shown;
		colstore_import_result res;
		colstore_error e;
		watch_file(in.n > 1 ? "an input" : shown, "nothing was written");
		int r = colstore_import_files((const char *const *)in.paths, in.n, out, &o, &res, &e);
		if (ps.show)
			fprintf(stderr, "\r%*s\r", 100, "");
		if (r == COLSTORE_OK) {
			rc = 0;
			if (!quiet) {
				char inb[32], outb[32];
				fmt_bytes(inb, sizeof(inb), res.bytes_in);
				fmt_bytes(outb, sizeof(outb), res.bytes_out);
				double el = since(&ps.start);
				char passes[64] = "";
				if (ps.pass2_at > 0)
					snprintf(passes, sizeof(passes), "; types %.2f s, writing %.2f s",
					         ps.pass2_at, el - ps.pass2_at);
				fprintf(stderr,
				        "%s: %s %s -> %s: %" PRIu64 " rows, %u columns, %s in, %s out, "
				        "%.2f s (%.0f MB/s%s)\n",
				        prog, o.append ? "appended" : "imported", shown, out, res.rows,
				        res.columns, inb, outb, el,
				        el > 0 ? (double)res.bytes_text / el / 1e6 : 0, passes);
				print_dialect(&res);
				print_types(out);
			}
			print_lenient(&res, o.rejects_path, quiet);
		} else if (interrupted) {
			fprintf(stderr, "%s: import of %s interrupted; nothing written\n", prog, shown);
			rc = 130;
		} else {
			if (in.n > 1) /* the message names the input */
				fprintf(stderr, "%s: %s\n", prog, e.message);
			else if (e.line && e.column)
				fprintf(stderr, "%s: %s:%" PRIu64 ":%" PRIu64 ": %s\n", prog, shown, e.line,
				        e.column, e.message);
			else if (e.line)
				fprintf(stderr, "%s: %s:%" PRIu64 ": %s\n", prog, shown, e.line, e.message);
			else
				fprintf(stderr, "%s: %s: %s\n", prog, shown, e.message);
			rc = r == COLSTORE_EINVAL ? EXIT_USAGE : 1;
		}
	}
	if (spooled) {
		if (spool_fd >= 0)
			close(spool_fd);
		else
			unlink(spooled);
		free(spooled);
		in.paths[in.stdin_at] = NULL;
	}
	inputs_free(&in);
	free(def_out);
	free(names);
	free(types);
	free(formats);
	return rc;
}

/* ---- scan ------------------------------------------------------------------ */

/* --format: FMT_* or -1 after a message */
static int parse_format(const char *cmd, const char *arg)
{
	if (strcmp(arg, "table") == 0)
		return FMT_TABLE;
	if (strcmp(arg, "csv") == 0)
		return FMT_CSV;
	if (strcmp(arg, "jsonl") == 0)
		return FMT_JSONL;
	fprintf(stderr, "%s %s: --format takes table, csv or jsonl\n", prog, cmd);
	return -1;
}

static void where_error(const char *cmd, const char *where, const colstore_error *e)
{
	fprintf(stderr, "%s %s: --where: %s (at character %" PRIu64 ")\n  %s\n  %*s^\n", prog, cmd,
	        e->message, e->column, where, (int)(e->column ? e->column - 1 : 0), "");
}

/* rows whose dictionary strings are fetched ahead of the one printed (and
 * twice as many: where they lie) */
#define SCAN_AHEAD 8

/* the matching rows of a batch of the scan into ow, up to limit in all */
static void scan_rows(out_writer *ow, colstore_reader *r, const uint32_t *cols,
                      const colstore_batch *b, uint64_t *printed, uint64_t limit)
{
	for (uint32_t k = 0; k < b->selected && *printed < limit; k++) {
		(*printed)++;
		if (k + 2 * SCAN_AHEAD < b->selected) {
			const uint32_t j = k + 2 * SCAN_AHEAD;
			ow_prefetch(ow, r, cols, b->values, b->sel ? b->sel[j] : j, 1);
		}
		if (k + SCAN_AHEAD < b->selected) {
			const uint32_t j = k + SCAN_AHEAD;
			ow_prefetch(ow, r, cols, b->values, b->sel ? b->sel[j] : j, 0);
		}
		ow_values(ow, r, cols, b->values, b->sel ? b->sel[k] : k);
		ow_end_row(ow);
	}
}

/* scan --threads, on the library's scan: each worker formats its batches
 * into its own memory (in parallel), then writes them to stdout when their
 * turn comes (colstore_scan_run's in-order call) */
typedef struct scan_out {
	FILE *m; /* a memory stream over text */
	char *text;
	size_t len;
	out_writer ow;
} __attribute__((aligned(128))) scan_out; /* each worker's on lines of its own: the
                                             * writers' fields change every cell */

typedef struct scan_job {
	colstore_reader *r;
	const uint32_t *cols;
	scan_out *w; /* per worker */
} scan_job;

/* nw writers of fmt, each into its own memory */
static scan_out *outs_open(uint32_t nw, int fmt, char **names, uint32_t n)
{
	scan_out *w = aligned_alloc(_Alignof(scan_out), nw * sizeof(scan_out));
	if (!w) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	memset(w, 0, nw * sizeof(scan_out));
	for (uint32_t k = 0; k < nw; k++) {
		if (!(w[k].m = open_memstream(&w[k].text, &w[k].len))) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		ow_init(&w[k].ow, w[k].m, fmt, names, n);
	}
	fflush(stdout);
	return w;
}

static void outs_close(scan_out *w, uint32_t nw, const char *cmd)
{
	for (uint32_t k = 0; k < nw; k++) {
		ow_finish(&w[k].ow, cmd, 1); /* frees; stdout is checked at the end */
		fclose(w[k].m);
		free(w[k].text);
	}
	free(w);
}

/* a worker's text made: all of it in its memory, or ENOMEM (what: of what) */
static int out_made(scan_out *o, const char *what, colstore_error *err)
{
	ow_flush(&o->ow);
	/* a memory stream's flush does not report a failed grow: its error flag does */
	if (fflush(o->m) == 0 && !ferror(o->m))
		return COLSTORE_OK;
	err->code = COLSTORE_ENOMEM;
	err->offset = COLSTORE_NO_OFFSET;
	snprintf(err->message, sizeof(err->message), "out of memory for the text of %s", what);
	return COLSTORE_ENOMEM;
}

/* a worker's text to stdout, and its memory emptied for the next */
static int out_write(scan_out *o)
{
	/* a failed write shows in stdout's error flag, reported at the end */
	fwrite(o->text, 1, o->len, stdout);
	fseeko(o->m, 0, SEEK_SET);
	clearerr(o->m);
	return COLSTORE_OK;
}

static int scan_format(void *ctx, const colstore_batch *b, colstore_error *err)
{
	scan_job *j = ctx;
	scan_out *o = &j->w[b->worker];
	uint64_t printed = 0;
	scan_rows(&o->ow, j->r, j->cols, b, &printed, UINT64_MAX);
	return out_made(o, "a batch", err);
}

static int scan_write(void *ctx, const colstore_batch *b, colstore_error *err)
{
	(void)err;
	return out_write(&((scan_job *)ctx)->w[b->worker]);
}

static int scan_parallel(colstore_scan *s, scan_job *j, int fmt, char **names, uint32_t n,
                         colstore_error *e)
{
	uint32_t nw = colstore_scan_workers(s);
	j->w = outs_open(nw, fmt, names, n);
	int rc = colstore_scan_run(s, scan_format, scan_write, j, e);
	outs_close(j->w, nw, "scan");
	return rc;
}

static int cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "columns", required_argument, NULL, 'c' }, { "where", required_argument, NULL, 'w' },
		{ "limit", required_argument, NULL, 'n' },   { "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },          { "threads", required_argument, NULL, 't' },
		{ "order-by", required_argument, NULL, 'o' }, { "memory-limit", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cols_arg = NULL, *where = NULL, *order = NULL;
	uint64_t limit = UINT64_MAX, mem = 0;
	int fmt = isatty(1) ? FMT_TABLE : FMT_CSV, c;
	uint32_t threads = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:w:n:f:t:o:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': order = opt_add(order, optarg, 0); break;
		case 'm':
			if (parse_size(optarg, &mem) || mem < ((uint64_t)1 << 20)) {
				fprintf(stderr,
				        "%s scan: --memory-limit takes a size of at least 1M, such as "
				        "512M or 2G, not '%s'\n", prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_threads("scan", optarg, 256, &threads))
				return EXIT_USAGE;
			break;
		case 'c': cols_arg = opt_add(cols_arg, optarg, 0); break;
		case 'w': where = opt_add(where, optarg, 1); break;
		case 'n':
			if (parse_limit("scan", optarg, &limit))
				return EXIT_USAGE;
			break;
		case 'f':
			if ((fmt = parse_format("scan", optarg)) < 0)
				return EXIT_USAGE;
			break;
		case 'h': usage_scan(stdout); return 0;
		default:
			return usage_fail("scan", usage_scan, "unknown or incomplete option '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_fail("scan", usage_scan, "%s",
		                  optind >= argc ? "missing FILE" : "only one FILE");
	const char *file = argv[optind];
	colstore_error e;
	colstore_reader *r;
	watch_file(file, "the rows above are incomplete");
	if (colstore_reader_open(file, NULL, &r, &e))
		return fail(file, &e);
	colstore_filter *flt = NULL;
	int rc = 0;
	if (where && colstore_filter_parse(r, where, &flt, &e)) {
		where_error("scan", where, &e);
		rc = EXIT_USAGE;
	}
	/* table output samples its widths in order, and --limit wants the first
	 * rows: both stay on one thread; an order sorts on every thread, then
	 * prints on this one */
	const int par = threads != 1 && fmt != FMT_TABLE && limit == UINT64_MAX && !order;
	colstore_scan_options so = COLSTORE_SCAN_OPTIONS_INIT;
	so.threads = par || order ? threads : 1;
	colstore_scan *s = NULL;
	if (!rc && cols_arg) { /* columns and values, "as" names */
		if (colstore_scan_create_list(r, cols_arg, flt, &so, &s, &e)) {
			fprintf(stderr, "%s scan: %s: %s%s\n", prog, file, e.code == COLSTORE_EPARSE ? "--columns: " : "",
			        e.message);
			rc = e.code == COLSTORE_EPARSE || e.code == COLSTORE_ENOTFOUND ? EXIT_USAGE : 1;
		}
	} else if (!rc) {
		uint32_t na = colstore_reader_num_columns(r);
		uint32_t *all = malloc((na + 1) * sizeof(*all));
		if (!all) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		for (uint32_t k = 0; k < na; k++)
			all[k] = k;
		if (colstore_scan_create(r, all, na, flt, &so, &s, &e))
			rc = fail(file, &e);
		free(all);
	}
	if (!rc && order && colstore_scan_set_order(s, order, limit, mem, &e)) {
		fprintf(stderr, "%s scan: %s: %s%s\n", prog, file,
		        strncmp(e.message, "--order-by", 10) ? "--order-by: " : "", e.message);
		rc = e.code == COLSTORE_EPARSE ? EXIT_USAGE : 1;
	}
	uint32_t n = s ? colstore_scan_num_columns(s) : 0;
	uint32_t *cols = calloc(n + 1, sizeof(*cols));
	char **names = calloc(n + 1, sizeof(*names));
	if (!cols || !names) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	for (uint32_t k = 0; k < n; k++) { /* an expression's strings are never codes */
		int64_t ci = colstore_scan_column_index(s, k);
		cols[k] = ci >= 0 ? (uint32_t)ci : 0;
		names[k] = (char *)colstore_scan_column_name(s, k);
	}
	out_writer ow;
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	ow_init(&ow, stdout, fmt, names, n);
	if (!rc)
		ow_header(&ow);
	if (!rc && par) {
		scan_job j = { .r = r, .cols = cols };
		if (scan_parallel(s, &j, fmt, names, n, &e))
			rc = fail(file, &e);
	} else if (!rc) { /* the scan's batches in order, on this thread */
		colstore_buffers *bufs = colstore_buffers_create();
		colstore_batch b;
		uint64_t printed = 0;
		if (!bufs) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		while (printed < limit && !(rc = colstore_scan_next(s, bufs, &b, &e)) && b.rows)
			scan_rows(&ow, r, cols, &b, &printed, limit);
		if (rc)
			rc = fail(file, &e);
		colstore_buffers_free(bufs);
	}
	if (ow_finish(&ow, "scan", rc != 0))
		rc = 1;
	colstore_scan_free(s);
	colstore_filter_free(flt);
	free(cols);
	free(names);
	colstore_reader_close(r);
	return rc;
}

/* ---- agg ------------------------------------------------------------------- */

/* "123", "64K", "512M", "2G", "1T" (powers of 1024) */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* groups [first, end) of a's result, nc cells each, as rows of ow */
static void agg_rows(out_writer *ow, const colstore_agg *a, uint64_t first, uint64_t end,
                     uint32_t nc)
{
	for (uint64_t g = first; g < end; g++) {
		for (uint32_t k = 0; k < nc; k++) {
			colstore_cell cl;
			int is_str;
			char buf[64];
			colstore_agg_cell(a, g, k, &cl);
			strbuf text = agg_cell_view(&cl, buf, &is_str);
			ow_cell(ow, &text, cl.is_null, is_str, json_quoted(cl.type, is_str, cl.d));
		}
		ow_end_row(ow);
	}
}

/* a large CSV or JSON lines result formatted on the library's threads
 * (colstore_agg_parts), each worker into its own memory, written in order
 * by this thread: as scan's workers do (scan_out) */
typedef struct agg_job {
	const colstore_agg *a;
	uint32_t nc;
	int fmt;
	char **names;
	scan_out *w; /* per worker */
	uint32_t nw;
} agg_job;

static int agg_make(void *ctx, uint64_t first, uint64_t end, uint32_t worker,
                    colstore_error *err)
{
	agg_job *j = ctx;
	agg_rows(&j->w[worker].ow, j->a, first, end, j->nc);
	return out_made(&j->w[worker], "the result", err);
}

static int agg_write(void *ctx, uint32_t worker, colstore_error *err)
{
	(void)err;
	return out_write(&((agg_job *)ctx)->w[worker]);
}

static int agg_parallel(agg_job *j, uint32_t used, colstore_error *e)
{
	j->nw = used > 64 ? 64 : used; /* colstore_agg_parts' workers, at most */
	j->w = outs_open(j->nw, j->fmt, j->names, j->nc);
	int rc = colstore_agg_parts(j->a, 0, agg_make, agg_write, j, e);
	outs_close(j->w, j->nw, "agg");
	return rc;
}

static int cmd_agg(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "agg", required_argument, NULL, 'a' },    { "group-by", required_argument, NULL, 'g' },
		{ "where", required_argument, NULL, 'w' },  { "format", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
		{ "memory-limit", required_argument, NULL, 'm' }, { "order-by", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'n' },  { NULL, 0, NULL, 0 },
	};
	const char *aggs = NULL, *gb = NULL, *where = NULL, *order = NULL;
	uint64_t limit = COLSTORE_AGG_NO_LIMIT;
	int fmt = isatty(1) ? FMT_TABLE : FMT_CSV, c;
	uint32_t threads = 0;
	uint64_t mem = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "a:g:w:f:t:m:o:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': order = opt_add(order, optarg, 0); break;
		case 'n':
			if (parse_limit("agg", optarg, &limit))
				return EXIT_USAGE;
			break;
		case 'm':
			if (parse_size(optarg, &mem) || mem < ((uint64_t)1 << 20)) {
				fprintf(stderr,
				        "%s agg: --memory-limit takes a size of at least 1M, such as "
				        "512M or 2G, not '%s'\n",
				        prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_threads("agg", optarg, 256, &threads))
				return EXIT_USAGE;
			break;
		case 'a': aggs = opt_add(aggs, optarg, 0); break;
		case 'g': gb = opt_add(gb, optarg, 0); break;
		case 'w': where = opt_add(where, optarg, 1); break;
		case 'f':
			if ((fmt = parse_format("agg", optarg)) < 0)
				return EXIT_USAGE;
			break;
		case 'h': usage_agg(stdout); return 0;
		default:
			return usage_fail("agg", usage_agg, "unknown or incomplete option '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind != argc - 1 || (!aggs && !gb))
		return usage_fail("agg", usage_agg, "%s",
		                  !aggs && !gb ? "--agg or --group-by is required"
		                  : optind >= argc ? "missing FILE" : "only one FILE");
	const char *file = argv[optind];
	colstore_error e;
	colstore_reader *r;
	watch_file(file, "no result");
	if (colstore_reader_open(file, NULL, &r, &e))
		return fail(file, &e);
	colstore_agg *a = NULL;
	colstore_filter *flt = NULL;
	int rc = 0;
	if (where && colstore_filter_parse(r, where, &flt, &e)) {
		where_error("agg", where, &e);
		rc = EXIT_USAGE;
	} else if (colstore_agg_create(r, aggs, gb, flt, &a, &e) ||
	           colstore_agg_set_order(a, order, limit, &e)) {
		fprintf(stderr, "%s agg: %s\n", prog, e.message);
		rc = EXIT_USAGE;
	} else {
		colstore_agg_set_threads(a, threads);
		colstore_agg_set_memory_limit(a, mem);
		if (colstore_agg_run(a, &e))
			rc = fail(file, &e);
	}
	if (!rc) {
		uint32_t nc = colstore_agg_num_columns(a);
		uint64_t ng = colstore_agg_num_groups(a);
		char **names = calloc(nc, sizeof(char *));
		for (uint32_t k = 0; k < nc; k++)
			names[k] = (char *)colstore_agg_column_name(a, k);
		out_writer ow;
		/* agg's result is written by this thread alone: stdio's lock
		 * around every fputc and fwrite is not needed (scan's writers
		 * keep it: a worker may exit while another writes) */
		__fsetlocking(stdout, FSETLOCKING_BYCALLER);
		ow_init(&ow, stdout, fmt, names, nc);
		ow_header(&ow);
		/* on one thread, or as a table (whose widths need every row
		 * first), straight into ow; else on the run's threads */
		uint32_t used = colstore_agg_threads_used(a);
		if (fmt != FMT_TABLE && used > 1) {
			agg_job j = { a, nc, fmt, names, NULL, 0 };
			ow_flush(&ow);
			if (agg_parallel(&j, used, &e))
				rc = fail(file, &e);
		} else {
			agg_rows(&ow, a, 0, ng, nc);
		}
		int frc = ow_finish(&ow, "agg", rc != 0);
		if (!rc)
			rc = frc;
		free(names);
	}
	colstore_agg_free(a);
	colstore_filter_free(flt);
	colstore_reader_close(r);
	return rc;
}

/* ---- export ------------------------------------------------------------------- */

typedef struct export_state {
	int show;
	struct timespec start, last;
} export_state;

static int on_export_progress(void *ctx, uint64_t done, uint64_t total)
{
	export_state *es = ctx;
	if (interrupted)
		return 1;
	if (!es->show || since(&es->last) < 0.2)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &es->last);
	fprintf(stderr, "\r%s export: %" PRIu64 " of %" PRIu64 " rows (%3.0f%%)   ", prog, done,
	        total, total ? 100.0 * (double)done / (double)total : 100.0);
	return 0;
}

static int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },  { "output", required_argument, NULL, 'o' },
		{ "columns", required_argument, NULL, 'c' }, { "where", required_argument, NULL, 'w' },
		{ "compress", required_argument, NULL, 'z' }, { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	colstore_export_options o = COLSTORE_EXPORT_OPTIONS_INIT;
	const char *out = NULL, *where = NULL;
	int format = 0, quiet = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:o:c:w:z:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "arrow") == 0 || strcmp(optarg, "feather") == 0 ||
			    strcmp(optarg, "ipc") == 0)
				format = COLSTORE_EXPORT_ARROW;
			else if (strcmp(optarg, "parquet") == 0)
				format = COLSTORE_EXPORT_PARQUET;
			else {
				fprintf(stderr, "%s export: --format takes arrow or parquet, not '%s'\n",
				        prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o': out = optarg; break;
		case 'c': o.columns = opt_add(o.columns, optarg, 0); break;
		case 'w': where = opt_add(where, optarg, 1); break;
		case 'z':
			if (strcmp(optarg, "lz4") == 0)
				o.compression = COLSTORE_EXPORT_LZ4;
			else if (strcmp(optarg, "none") == 0)
				o.compression = 0;
			else {
				fprintf(stderr, "%s export: --compress takes none or lz4, not '%s'\n",
				        prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': usage_export(stdout); return 0;
		default:
			return usage_fail("export", usage_export, "unknown or incomplete option '%s'",
			                  argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_fail("export", usage_export, "%s",
		                  optind >= argc ? "missing FILE" : "only one FILE");
	if (!format) {
		fprintf(stderr, "%s export: --format arrow or --format parquet is required\n", prog);
		return EXIT_USAGE;
	}
	o.format = format;
	const char *file = argv[optind];
	char *def_out = out ? NULL
	                    : default_output(file, format == COLSTORE_EXPORT_ARROW ? ".arrow" : ".parquet");
	if (!out)
		out = def_out;
	if (strcmp(out, "-") == 0 && isatty(1)) {
		fprintf(stderr, "%s export: will not write binary data to a terminal\n", prog);
		free(def_out);
		return EXIT_USAGE;
	}
	colstore_error e;
	colstore_reader *r;
	struct stat ost;
	int into_file = strcmp(out, "-") != 0 && (stat(out, &ost) != 0 || S_ISREG(ost.st_mode));
	watch_file(file, into_file ? "nothing was written" : "the output so far is incomplete");
	if (colstore_reader_open(file, NULL, &r, &e)) {
		free(def_out);
		return fail(file, &e);
	}
	colstore_filter *flt = NULL;
	if (where && colstore_filter_parse(r, where, &flt, &e)) {
		where_error("export", where, &e);
		colstore_reader_close(r);
		free(def_out);
		return EXIT_USAGE;
	}
	o.where = flt;
	export_state es;
	memset(&es, 0, sizeof(es));
	es.show = !quiet && isatty(2);
	clock_gettime(CLOCK_MONOTONIC, &es.start);
	o.on_progress = on_export_progress;
	o.ctx = &es;
	catch_interrupts();
	fflush(stdout);
	colstore_export_result res;
	int rc = colstore_export(r, out, &o, &res, &e);
	if (es.show)
		fprintf(stderr, "\r%*s\r", 70, "");
	if (rc == COLSTORE_OK) {
		if (!quiet) {
			char outb[32];
			fmt_bytes(outb, sizeof(outb), res.bytes_out);
			double el = since(&es.start);
			fprintf(stderr, "%s: exported %s -> %s: %" PRIu64 " rows, %" PRIu64 " %s, %s, %.2f s\n",
			        prog, file, strcmp(out, "-") ? out : "<stdout>", res.rows, res.batches,
			        format == COLSTORE_EXPORT_ARROW ? "record batches" : "row groups", outb, el);
		}
	} else if (interrupted) {
		fprintf(stderr, "%s: export of %s interrupted; nothing written\n", prog, file);
		rc = 130;
	} else if (rc == COLSTORE_ENOTFOUND ||
	           (rc == COLSTORE_EINVAL && strncmp(e.message, "the output ", 11) == 0)) {
		fprintf(stderr, "%s export: %s: %s\n", prog, file, e.message);
		rc = EXIT_USAGE;
	} else
		rc = fail(file, &e);
	colstore_filter_free(flt);
	colstore_reader_close(r);
	free(def_out);
	return rc;
}

/* ---- main -------------------------------------------------------------------- */

static int is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

typedef struct command {
	const char *name;
	int (*run)(const char *file);
	void (*usage)(FILE *f);
} command;

static const command commands[] = {
	{ "info", cmd_info, usage_info },
	{ "verify", cmd_verify, usage_verify },
};

int main(int argc, char **argv)
{
	static char outbuf[1 << 18];
	if (!isatty(1)) /* large writes for piped and redirected output */
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1])) {
		usage_main(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("colstore %s (file format %d.%d: writes 1.0, and 2.0 once appended to)\n",
		       colstore_version_string(),
		       COLSTORE_FORMAT_MAJOR, COLSTORE_FORMAT_MINOR);
		return 0;
	}
	if (strcmp(argv[1], "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(argv[1], "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	if (strcmp(argv[1], "agg") == 0)
		return cmd_agg(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const command *c = &commands[i];
		if (strcmp(argv[1], c->name) != 0)
			continue;
		const char *file = NULL;
		for (int a = 2; a < argc; a++) {
			if (is_help(argv[a])) {
				c->usage(stdout);
				return 0;
			}
			if (argv[a][0] == '-' && argv[a][1] != '\0')
				return usage_fail(c->name, c->usage, "unknown option '%s'", argv[a]);
			if (file) {
				fprintf(stderr, "%s %s: only one FILE, got '%s' and '%s'\n", prog,
				        c->name, file, argv[a]);
				return EXIT_USAGE;
			}
			file = argv[a];
		}
		if (!file)
			return usage_fail(c->name, c->usage, "missing FILE");
		return c->run(file);
	}
	fprintf(stderr, "%s: unknown command '%s' (try 'colstore --help')\n", prog, argv[1]);
	return EXIT_USAGE;
}
