/*
 * cli_export.c -- colstore export: its options and usage, progress on
 * stderr, and the summary after the library's colstore_export (Parquet,
 * Arrow IPC).
 */
#include <getopt.h>
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

int cmd_export(int argc, char **argv)
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
