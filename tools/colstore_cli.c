/*
 * colstore_cli.c -- the command-line tool's main: the commands by name, the
 * top-level usage, --version, and what the commands share (cli.h): error
 * and usage messages, interrupts, files changed while read, common
 * options; and the two small commands, info and verify.  The others are in
 * cli_import.c, cli_query.c (scan, agg) and cli_export.c; output.c prints
 * rows and values.  This file and those are the only ones that print or
 * exit.
 *
 * Exit status: 0 success, 1 bad input / corrupt file / I/O error, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "colstore/colstore.h"
#include "cli.h"
#include "output.h"

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

int fail(const char *file, const colstore_error *e)
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

int usage_fail(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
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

void watch_file(const char *file, const char *then)
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

/* ---- interrupts ----------------------------------------------------------------- */

volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

void catch_interrupts(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

double since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* ---- options ---------------------------------------------------------------------- */

char *default_output(const char *in, const char *ext)
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

char *opt_add(const char *prev, char *arg, int is_where)
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
int parse_threads(const char *cmd, const char *arg, uint32_t max, uint32_t *out)
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

void where_error(const char *cmd, const char *where, const colstore_error *e)
{
	fprintf(stderr, "%s %s: --where: %s (at character %" PRIu64 ")\n  %s\n  %*s^\n", prog, cmd,
	        e->message, e->column, where, (int)(e->column ? e->column - 1 : 0), "");
}

int parse_size(const char *s, uint64_t *out)
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
