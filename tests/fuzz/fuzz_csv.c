/*
 * fuzz_csv.c -- libFuzzer target: the input is a CSV file.
 *
 * Writes it into a temporary directory (on /dev/shm when there
 * is one, so the writer's fsync is cheap), imports it with the default
 * options (one thread for a small input) and again with threads = 2 and
 * LZ4 + PACK compression, and opens, reads and verifies each result.  The
 * two imports must agree on success, rows, columns, delimiter and header.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colstore/colstore.h"

static char dir[256];
static char in_path[300], out_path[300];
static volatile uint64_t sink;

static void rm_dir(void)
{
	if (!dir[0])
		return;
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[600];
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	rmdir(dir);
	dir[0] = '\0';
}

/* a fresh directory for every input, removed afterwards: libFuzzer's
 * -fork jobs and -max_total_time end without running atexit handlers */
static int setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/colstore-fuzz-csv-XXXXXX", base);
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		return -1;
	}
	snprintf(in_path, sizeof(in_path), "%s/in.csv", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.colstore", dir);
	return 0;
}

static void on_warning(void *ctx, const char *message)
{
	(void)ctx;
	sink += strlen(message);
}

static int check_output(const char *path, const colstore_import_result *res)
{
	colstore_reader *r = NULL;
	colstore_error err;
	if (colstore_reader_open(path, NULL, &r, &err) != COLSTORE_OK)
		abort(); /* the importer wrote a file the reader refuses */
	if (colstore_reader_num_rows(r) != res->rows ||
	    colstore_reader_num_columns(r) != res->columns)
		abort();
	colstore_buffers *b = colstore_buffers_create();
	uint32_t nrg = colstore_reader_num_row_groups(r);
	uint32_t nc = colstore_reader_num_columns(r);
	for (uint32_t g = 0; b && g < nrg; g++)
		for (uint32_t c = 0; c < nc; c++) {
			colstore_values v;
			if (colstore_reader_values(r, g, c, b, &v, &err) != COLSTORE_OK)
				abort();
			sink += v.rows;
		}
	colstore_buffers_free(b);
	if (colstore_reader_verify(r, &err) != COLSTORE_OK)
		abort(); /* the importer wrote a file that does not verify */
	colstore_reader_close(r);
	return 0;
}

static int import(int variant, colstore_import_result *res, colstore_error *err)
{
	colstore_import_options o = COLSTORE_IMPORT_OPTIONS_INIT;
	o.on_warning = on_warning;
	if (variant == 1) {
		o.threads = 2;
		o.writer.compression = COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK;
	}
	memset(res, 0, sizeof(*res));
	int rc = colstore_import_csv(in_path, out_path, &o, res, err);
	if (rc == COLSTORE_OK) {
		check_output(out_path, res);
		unlink(out_path);
	} else if (access(out_path, F_OK) == 0) {
		abort(); /* "on any failure nothing is left at out_path" */
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	if (setup() != 0)
		return 0;
	FILE *f = fopen(in_path, "wb");
	if (!f) {
		rm_dir();
		return 0;
	}
	if (size && fwrite(data, 1, size, f) != size) {
		fclose(f);
		rm_dir();
		return 0;
	}
	fclose(f);

	colstore_import_result r0, r1;
	colstore_error e0, e1;
	int rc0 = import(0, &r0, &e0);
	int rc1 = import(1, &r1, &e1);
	rm_dir();

	/* the threaded import must not change the result */
	if ((rc0 == COLSTORE_OK) != (rc1 == COLSTORE_OK)) {
		fprintf(stderr, "import differs: 1 thread rc=%d (%s), 2 threads rc=%d (%s)\n",
		        rc0, rc0 ? e0.message : "ok", rc1, rc1 ? e1.message : "ok");
		abort();
	}
	if (rc0 == COLSTORE_OK &&
	    (r0.rows != r1.rows || r0.columns != r1.columns ||
	     r0.delimiter != r1.delimiter || r0.had_header != r1.had_header)) {
		fprintf(stderr,
		        "import differs: 1 thread %llu rows %u cols delim %d hdr %d; "
		        "2 threads %llu rows %u cols delim %d hdr %d\n",
		        (unsigned long long)r0.rows, r0.columns, r0.delimiter, r0.had_header,
		        (unsigned long long)r1.rows, r1.columns, r1.delimiter, r1.had_header);
		abort();
	}
	return 0;
}
