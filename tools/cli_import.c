/*
 * cli_import.c -- colstore import: its options and usage, standard input
 * spooled to a temporary file, progress and warnings on stderr, and the
 * summary (types, dialect, rows set aside) after the library's
 * colstore_import.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "colstore/colstore.h"
#include "cli.h"
#include "output.h"

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
	        "                          --lenient; default: no limit)\n"
	        "      --union             several inputs: take every input's columns, null\n"
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

typedef struct progress_state {
	int show;
	const char *name;
	const char *path; /* what the library reads: the spool of standard input */
	struct timespec start, last;
	int passes;
	double pass2_at; /* seconds from start when pass 2 began, or 0 */
} progress_state;

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

int cmd_import(int argc, char **argv)
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
