/*
 * fuzz_where.c -- libFuzzer target: the input is a --where expression.
 *
 * Once per process, writes two small colstore files with the same rows (one
 * stored plain, one with LZ4 + PACK), columns of most types, nulls, several
 * row groups and both string encodings; loads them into memory and removes
 * them.  Each input is parsed with colstore_filter_parse on both; when it
 * parses it is evaluated on every row group, and the match counts must agree
 * between the two files, with colstore_filter_may_match, and with
 * count(*) of colstore_agg_create(..., where).  An int64 overflow in a
 * value expression (COLSTORE_ERANGE, documented) must come from both files
 * and from the aggregation alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colstore/colstore.h"

#define NROWS 200
#define NFILES 2

static colstore_reader *readers[NFILES];
static void *images[NFILES];
static volatile uint64_t sink;

static void cleanup(void)
{
	for (int k = 0; k < NFILES; k++) {
		colstore_reader_close(readers[k]);
		free(images[k]);
	}
}

static void *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = n > 0 ? malloc((size_t)n) : NULL;
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return p;
}

#define CHECK(x) \
	do { \
		if ((x) != COLSTORE_OK) { \
			fprintf(stderr, "fuzz_where setup: %s failed: %s\n", #x, err.message); \
			abort(); \
		} \
	} while (0)

static void build(int k, const char *path)
{
	static const char *words[] = { "apple", "banana", "cherry", "", "it's", "Zebra",
	                               "a\"b", "longer string value" };
	colstore_error err;
	colstore_writer_options wo = COLSTORE_WRITER_OPTIONS_INIT;
	wo.row_group_size = 64;
	wo.compression = k ? (COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK) : 0;
	colstore_writer *w = NULL;
	CHECK(colstore_writer_create(path, &wo, &w, &err));
	CHECK(colstore_writer_add_column(w, "id", COLSTORE_TYPE_INT64, 0, &err));
	CHECK(colstore_writer_add_column(w, "i8", COLSTORE_TYPE_INT8, 0, &err));
	CHECK(colstore_writer_add_column(w, "i16", COLSTORE_TYPE_INT16, 0, &err));
	CHECK(colstore_writer_add_column(w, "x", COLSTORE_TYPE_INT32, 0, &err));
	CHECK(colstore_writer_add_column(w, "f", COLSTORE_TYPE_FLOAT64, 0, &err));
	CHECK(colstore_writer_add_column(w, "g", COLSTORE_TYPE_FLOAT32, 0, &err));
	CHECK(colstore_writer_add_column(w, "b", COLSTORE_TYPE_BOOL, 0, &err));
	CHECK(colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, &err));
	CHECK(colstore_writer_add_column(w, "p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, &err));
	CHECK(colstore_writer_add_column(w, "d", COLSTORE_TYPE_DATE, 0, &err));
	CHECK(colstore_writer_add_column(w, "t", COLSTORE_TYPE_TIMESTAMP, 0, &err));
	CHECK(colstore_writer_add_column(w, "weird name", COLSTORE_TYPE_INT32, 0, &err));
	CHECK(colstore_writer_add_column(w, "n", COLSTORE_TYPE_INT32, 0, &err)); /* all null */
	for (int i = 0; i < NROWS; i++) {
		CHECK(colstore_writer_put_int(w, 0, i, &err));
		if (i % 7 == 3)
			CHECK(colstore_writer_put_null(w, 1, &err));
		else
			CHECK(colstore_writer_put_int(w, 1, (i * 37) % 256 - 128, &err));
		CHECK(colstore_writer_put_int(w, 2, (i - 100) * 300, &err));
		CHECK(colstore_writer_put_int(w, 3, i < 64 ? 5 : i * 1000 - 7, &err));
		if (i % 11 == 0)
			CHECK(colstore_writer_put_null(w, 4, &err));
		else if (i % 50 == 1)
			CHECK(colstore_writer_put_double(w, 4, 0.0 / 0.0, &err));
		else
			CHECK(colstore_writer_put_double(w, 4, i * 0.25 - 10.0, &err));
		CHECK(colstore_writer_put_double(w, 5, i % 3 ? i * 1.5 : -0.0, &err));
		if (i % 5 == 4)
			CHECK(colstore_writer_put_null(w, 6, &err));
		else
			CHECK(colstore_writer_put_int(w, 6, i & 1, &err));
		const char *s = words[i % 8];
		if (i % 13 == 5)
			CHECK(colstore_writer_put_null(w, 7, &err));
		else
			CHECK(colstore_writer_put_string(w, 7, s, strlen(s), &err));
		s = words[(i * 3) % 8];
		if (i % 17 == 2)
			CHECK(colstore_writer_put_null(w, 8, &err));
		else
			CHECK(colstore_writer_put_string(w, 8, s, strlen(s), &err));
		CHECK(colstore_writer_put_int(w, 9, 19000 + i * 3, &err));
		CHECK(colstore_writer_put_int(w, 10, 1700000000000000LL + (int64_t)i * 3600000000LL,
		                              &err));
		CHECK(colstore_writer_put_int(w, 11, -i, &err));
		CHECK(colstore_writer_put_null(w, 12, &err));
		CHECK(colstore_writer_end_row(w, &err));
	}
	CHECK(colstore_writer_finish(w, &err));
}

static int setup(void)
{
	if (readers[0])
		return 0;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char dir[256], path[300];
	snprintf(dir, sizeof(dir), "%s/colstore-fuzz-where-XXXXXX", base);
	if (!mkdtemp(dir))
		abort();
	for (int k = 0; k < NFILES; k++) {
		snprintf(path, sizeof(path), "%s/t%d.colstore", dir, k);
		build(k, path);
		size_t n = 0;
		images[k] = slurp(path, &n);
		unlink(path);
		colstore_error err;
		if (!images[k])
			abort();
		CHECK(colstore_reader_open_memory(images[k], n, NULL, &readers[k], &err));
	}
	rmdir(dir);
	atexit(cleanup);
	return 0;
}

/* total matches over every row group, or -1 if the filter does not parse */
static int64_t run(colstore_reader *r, const char *expr, int *prc)
{
	colstore_filter *f = NULL;
	colstore_error err;
	*prc = colstore_filter_parse(r, expr, &f, &err);
	if (*prc != COLSTORE_OK) {
		if (f)
			abort(); /* no filter handed out on failure */
		sink += strlen(err.message);
		return -1;
	}
	colstore_buffers *b = colstore_buffers_create();
	if (!b)
		abort();
	int64_t total = 0;
	uint32_t nrg = colstore_reader_num_row_groups(r);
	for (uint32_t g = 0; g < nrg; g++) {
		colstore_chunk_info ci;
		if (colstore_reader_chunk_info(r, g, 0, &ci, NULL) != COLSTORE_OK)
			abort();
		size_t n = ((size_t)ci.row_count + 7) / 8;
		uint8_t *sel = malloc(n);
		memset(sel, 0xa5, n);
		uint64_t m = 0;
		int erc = colstore_filter_eval(f, g, b, sel, &m, &err);
		if (erc == COLSTORE_ERANGE) { /* integer overflow: documented error */
			free(sel);
			colstore_buffers_free(b);
			colstore_filter_free(f);
			return -2;
		}
		if (erc != COLSTORE_OK) {
			fprintf(stderr, "eval failed on a valid file: %s\n", err.message);
			abort();
		}
		uint64_t pop = 0;
		for (uint32_t i = 0; i < ci.row_count; i++)
			pop += (sel[i >> 3] >> (i & 7)) & 1;
		if (pop != m) {
			fprintf(stderr, "rg %u: matches %llu but %llu bits set\n", g,
			        (unsigned long long)m, (unsigned long long)pop);
			abort();
		}
		if (m && !colstore_filter_may_match(f, g)) {
			fprintf(stderr, "rg %u: %llu matches but may_match says 0\n", g,
			        (unsigned long long)m);
			abort();
		}
		free(sel);
		total += (int64_t)m;
	}
	colstore_buffers_free(b);
	colstore_filter_free(f);
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	setup();
	char *expr = malloc(size + 1);
	memcpy(expr, data, size);
	expr[size] = '\0';

	int rc[NFILES];
	int64_t m[NFILES];
	for (int k = 0; k < NFILES; k++)
		m[k] = run(readers[k], expr, &rc[k]);
	if (rc[0] != rc[1] || m[0] != m[1]) {
		fprintf(stderr, "plain file: rc %d, %lld matches; compressed file: rc %d, %lld\n",
		        rc[0], (long long)m[0], rc[1], (long long)m[1]);
		abort();
	}
	if (m[0] == -2) {
		colstore_agg *a = NULL;
		colstore_filter *f = NULL;
		colstore_error err;
		if (colstore_filter_parse(readers[0], expr, &f, &err) == COLSTORE_OK &&
		    colstore_agg_create(readers[0], "count(*)", NULL, f, &a, &err) == COLSTORE_OK) {
			int arc = colstore_agg_run(a, &err);
			if (arc != COLSTORE_ERANGE) {
				fprintf(stderr, "OVF-MISMATCH: eval overflowed but agg_run rc %d\n", arc);
				abort();
			}
			colstore_agg_free(a);
		} else {
			fprintf(stderr, "agg_create refused a filter that parses: %s\n", err.message);
			abort();
		}
		colstore_filter_free(f);
	}
	if (m[0] >= 0) {
		colstore_agg *a = NULL;
		colstore_filter *f = NULL;
		colstore_error err;
		if (colstore_filter_parse(readers[0], expr, &f, &err) == COLSTORE_OK &&
		    colstore_agg_create(readers[0], "count(*)", NULL, f, &a, &err) == COLSTORE_OK) {
			if (colstore_agg_run(a, &err) == COLSTORE_OK) {
				colstore_cell cell;
				if (colstore_agg_num_groups(a) != 1 ||
				    colstore_agg_cell(a, 0, 0, &cell) != COLSTORE_OK ||
				    cell.is_null || cell.i != m[0]) {
					fprintf(stderr, "count(*) where ... = %lld, eval says %lld\n",
					        (long long)cell.i, (long long)m[0]);
					abort();
				}
			}
			colstore_agg_free(a);
		} else {
			fprintf(stderr, "agg_create refused a filter that parses: %s\n", err.message);
			abort();
		}
		colstore_filter_free(f);
	}
	free(expr);
	return 0;
}
