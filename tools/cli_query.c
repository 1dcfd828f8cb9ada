/*
 * cli_query.c -- colstore scan and colstore agg: their options and usage,
 * and their rows written through output.c.  scan --threads formats each
 * worker's batches in its own memory, on the library's scan loop
 * (colstore_scan_run), and writes them in file order; agg's large results
 * are formatted on the workers the same way.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colstore/colstore.h"
#include "cli.h"
#include "output.h"

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

int cmd_scan(int argc, char **argv)
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

int cmd_agg(int argc, char **argv)
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
