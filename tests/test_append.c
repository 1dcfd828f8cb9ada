/*
 * test_append.c -- colstore_writer_open_append(): the cells of a file built
 * by appends are the cells of the same rows written at once; the
 * independent spec reader agrees; readers that had the file open keep their
 * view; an abort, a failure or a process that dies at any point leaves the
 * file as it was (format-spec.md §14).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <xxhash.h>

#include "internal.h" /* cs_test_wb */
#include "spec_reader.h"
#include "testutil.h"

static const tu_col cols[] = {
	{ "id", COLSTORE_TYPE_INT64, 0, 0, 0 },
	{ "small", COLSTORE_TYPE_INT8, 0, 7, 100 },
	{ "name", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, 5, 40 },
	{ "word", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 0, 0 },
	{ "flag", COLSTORE_TYPE_BOOL, 0, 3, 0 },
	{ "price", COLSTORE_TYPE_FLOAT64, 0, 6, 100000 },
	{ "day", COLSTORE_TYPE_DATE, 0, 0, 1000 },
	{ "f", COLSTORE_TYPE_FLOAT32, 0, 4, 0 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/* the dump of path through the spec reader; NULL (and a message) if it
 * refuses the file */
static char *spec_text(const char *path)
{
	size_t n;
	unsigned char *p = tu_read_file(path, &n);
	char *text = NULL, errbuf[256] = "";
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	int rc = p ? spec_dump(p, n, f, errbuf, sizeof(errbuf)) : -1;
	fclose(f);
	free(p);
	if (rc) {
		fprintf(stderr, "\n  spec_dump %s: %s\n", path, errbuf);
		free(text);
		return NULL;
	}
	return text;
}

/* the file holds rows [0, rows) of the table: verify passes, the library
 * and the spec reader give the same dump, and it starts with the rows */
static void expect_rows(const char *path, uint64_t rows, uint32_t rgs)
{
	colstore_reader *r;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_verify(r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_num_rows(r), rows);
	colstore_reader_close(r);
	int rc;
	char *lib = tu_lib_dump_file(path, &rc, NULL);
	char *spec = spec_text(path);
	char *want = tu_expected(cols, NCOLS, rows, rgs);
	CU_ASSERT_TRUE(tu_starts_with(lib, want));
	CU_ASSERT_TRUE(lib && spec && strcmp(lib, spec) == 0);
	if (!tu_starts_with(lib, want) && lib) {
		size_t i = 0;
		while (lib[i] && lib[i] == want[i])
			i++;
		fprintf(stderr, "\n  rows differ at %zu: got '%.60s' wanted '%.60s'\n", i, lib + i,
		        want + i);
	}
	free(lib);
	free(spec);
	free(want);
}

/* written in pieces: a new file of the first rows, then appends */
static void append_pieces(uint32_t rgs, uint32_t compression, const uint64_t *cuts, int ncuts)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = rgs;
	o.compression = compression;
	const char *path = tu_path("append.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, cuts[0], &o, 0, NULL), COLSTORE_OK);
	expect_rows(path, cuts[0], rgs);
	o.row_group_size = 0; /* the file's */
	for (int k = 1; k < ncuts; k++) {
		colstore_error e;
		int rc = tu_append(path, cols, NCOLS, cuts[k - 1], cuts[k], &o, &e);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		if (rc)
			fprintf(stderr, "\n  append: %s\n", e.message);
		expect_rows(path, cuts[k], rgs);
	}
	unlink(path);
}

static void test_append_cells(void)
{
	/* a short last row group, a full one, an empty file, an empty append */
	static const uint64_t a[] = { 100, 130, 1000, 1000, 3000 };
	append_pieces(64, 0, a, 5);
	static const uint64_t b[] = { 0, 5, 64, 200 };
	append_pieces(64, COLSTORE_WRITE_PACK, b, 4);
	static const uint64_t c[] = { 1500, 2500, 2501 };
	append_pieces(1000, COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4, c, 3);
}

/* a reader that opened the file before an append reads it as it was */
static void test_append_view(void)
{
	const char *path = tu_path("view.colstore");
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 50;
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, 120, &o, 0, NULL), COLSTORE_OK);
	colstore_reader *old;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &old, NULL), COLSTORE_OK);
	int rc;
	char *before = tu_lib_dump(old, &rc, NULL);
	CU_ASSERT_EQUAL(tu_append(path, cols, NCOLS, 120, 400, NULL, NULL), COLSTORE_OK);
	char *after = tu_lib_dump(old, &rc, NULL);
	CU_ASSERT_TRUE(before && after && strcmp(before, after) == 0);
	CU_ASSERT_EQUAL(colstore_reader_verify(old, NULL), COLSTORE_OK);
	colstore_reader_close(old);
	expect_rows(path, 400, 50);
	free(before);
	free(after);
	unlink(path);
}

/* an abort, and an append that fails, leave every byte as it was; a
 * second append at the same time is refused */
static void test_append_abort(void)
{
	char path[512]; /* (tu_path's buffer is reused below) */
	snprintf(path, sizeof(path), "%s", tu_path("abort.colstore"));
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 32;
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, 70, &o, 0, NULL), COLSTORE_OK);
	size_t n0, n1;
	unsigned char *p0 = tu_read_file(path, &n0);
	colstore_writer *w, *w2;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_open_append(path, NULL, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_open_append(path, NULL, &w2, &e), COLSTORE_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "another append to this file is running"));
	CU_ASSERT_EQUAL(tu_put_rows(w, cols, NCOLS, 70, 300, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "more", COLSTORE_TYPE_INT8, 0, &e),
	                COLSTORE_EINVAL);
	colstore_writer_abort(w);
	unsigned char *p1 = tu_read_file(path, &n1);
	CU_ASSERT_TRUE(n0 == n1 && memcmp(p0, p1, n0) == 0);
	free(p1);
	/* a finish that fails (in the middle of a row): the file kept */
	CU_ASSERT_EQUAL_FATAL(colstore_writer_open_append(path, NULL, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(tu_put_rows(w, cols, NCOLS, 70, 100, NULL), COLSTORE_OK);
	CU_ASSERT_NOT_EQUAL(colstore_writer_put_int(w, 4, 7, &e), COLSTORE_OK); /* a bool of 7 */
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 0, 7, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_finish(w, &e), COLSTORE_EINVAL);
	p1 = tu_read_file(path, &n1);
	CU_ASSERT_TRUE(n0 == n1 && memcmp(p0, p1, n0) == 0);
	free(p1);
	/* not a colstore file: refused, untouched */
	const char *txt = tu_path("not.colstore");
	tu_write_file(txt, "a,b\n1,2\n", 8);
	CU_ASSERT_EQUAL(colstore_writer_open_append(txt, NULL, &w, &e), COLSTORE_ENOTCOLSTORE);
	p1 = tu_read_file(txt, &n1);
	CU_ASSERT_TRUE(n1 == 8 && memcmp(p1, "a,b\n1,2\n", 8) == 0);
	free(p1);
	free(p0);
	unlink(txt);
	unlink(path);
}

/* a process that dies in the middle of an append (after some of its row
 * groups are written) leaves the file readable as it was; the next append
 * writes over what it left */
static void test_append_crash(void)
{
	const char *path = tu_path("crash.colstore");
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 40;
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, 90, &o, 0, NULL), COLSTORE_OK);
	size_t n0, n1;
	unsigned char *p0 = tu_read_file(path, &n0);
	int rc;
	char *before = tu_lib_dump_file(path, &rc, NULL);
	/* the writer holds its output back to the next 64 KiB of the file: in
	 * pieces of 64 bytes, the row groups reach the file before the child dies */
	cs_test_wb = 64;
	for (int stage = 0; stage < 3; stage++) {
		pid_t pid = fork();
		if (pid == 0) {
			colstore_writer *w;
			if (colstore_writer_open_append(path, NULL, &w, NULL) ||
			    tu_put_rows(w, cols, NCOLS, 90, 90 + 100 * (stage + 1), NULL))
				_exit(1);
			_exit(0); /* dies with row groups written past the end, no trailer */
		}
		int st;
		waitpid(pid, &st, 0);
		CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		if (stage == 2)
			cs_test_wb = 0; /* (before a fatal assertion can skip it) */
		unsigned char *p1 = tu_read_file(path, &n1);
		CU_ASSERT_TRUE(n1 > n0); /* bytes were written after the end */
		free(p1);
		char *now = tu_lib_dump_file(path, &rc, NULL);
		CU_ASSERT_TRUE(before && now && strcmp(before, now) == 0);
		free(now);
		char *spec = spec_text(path);
		CU_ASSERT_TRUE(spec && before && strcmp(before, spec) == 0);
		free(spec);
		colstore_reader *r;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL(colstore_reader_verify(r, NULL), COLSTORE_OK);
		colstore_reader_close(r);
	}
	cs_test_wb = 0;
	/* the next append writes over what the dead ones left */
	CU_ASSERT_EQUAL(tu_append(path, cols, NCOLS, 90, 500, NULL, NULL), COLSTORE_OK);
	expect_rows(path, 500, 40);
	/* killed after its trailer, before the header forgets the old end: the
	 * trailer at the end is the file (R14.3), the new rows */
	unsigned char *p2 = tu_read_file(path, &n1);
	CU_ASSERT_EQUAL_FATAL(p2[8], 2);
	uint8_t h[64];
	memcpy(h, p2, 64);
	uint64_t at = n0; /* the size before the appends, whose trailer is still there */
	for (int k = 0; k < 8; k++)
		h[28 + k] = (uint8_t)(at >> (8 * k));
	uint64_t sum = XXH3_64bits(h, 56);
	for (int k = 0; k < 8; k++)
		h[56 + k] = (uint8_t)(sum >> (8 * k));
	int fd = open(path, O_WRONLY);
	CU_ASSERT_EQUAL(pwrite(fd, h, 64, 0), 64);
	close(fd);
	expect_rows(path, 500, 40);
	/* the fallback waives no rule of the header: with an unknown required
	 * flag, refused even though an earlier trailer is whole (R7.3) */
	h[16] = 1;
	sum = XXH3_64bits(h, 56);
	for (int k = 0; k < 8; k++)
		h[56 + k] = (uint8_t)(sum >> (8 * k));
	memcpy(p2, h, 64);
	colstore_reader *bad;
	colstore_error e;
	unsigned char *p3 = malloc(n1 + 8);
	memcpy(p3, p2, n1);
	memcpy(p3 + n1, "leftover", 8);
	CU_ASSERT_EQUAL(colstore_reader_open_memory(p3, n1 + 8, NULL, &bad, &e), COLSTORE_EVERSION);
	free(p3);
	free(p2);
	free(before);
	free(p0);
	unlink(path);
}

/* no column added to an append writer; float32 NaN payloads kept through
 * the short row group written again; a heap that does not grow with the
 * appends */
static void test_append_details(void)
{
	char path[512];
	snprintf(path, sizeof(path), "%s", tu_path("details.colstore"));
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 4;
	colstore_writer *w;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "f", COLSTORE_TYPE_FLOAT32, 0, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, 0, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_finish(w, &e), COLSTORE_OK);
	/* an empty file: nothing started, still no column */
	CU_ASSERT_EQUAL_FATAL(colstore_writer_open_append(path, NULL, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "more", COLSTORE_TYPE_INT8, 0, &e),
	                COLSTORE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "an append adds rows, not columns"));
	uint32_t snan = 0x7fa00001u; /* a signalling NaN with a payload */
	uint32_t fbits[3] = { snan, snan, snan };
	static const char sb[] = "value-0value-1value-2";
	static const uint64_t soff[4] = { 0, 7, 14, 21 };
	colstore_array arr[2] = { { fbits, NULL, NULL }, { sb, soff, NULL } };
	CU_ASSERT_EQUAL(colstore_writer_append_batch(w, arr, 3, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_finish(w, &e), COLSTORE_OK);
	uint64_t heap_at_10 = 0;
	for (int a = 0; a < 60; a++) { /* one row an append: the short group again each time */
		CU_ASSERT_EQUAL_FATAL(colstore_writer_open_append(path, NULL, &w, &e), COLSTORE_OK);
		float one = 1.5f;
		CU_ASSERT_EQUAL(colstore_writer_put_double(w, 0, one, &e), COLSTORE_OK);
		CU_ASSERT_EQUAL(colstore_writer_put_string(w, 1, "x", 1, &e), COLSTORE_OK);
		CU_ASSERT_EQUAL(colstore_writer_end_row(w, &e), COLSTORE_OK);
		CU_ASSERT_EQUAL(colstore_writer_finish(w, &e), COLSTORE_OK);
		if (a == 10 || a == 59) {
			size_t n;
			unsigned char *p = tu_read_file(path, &n);
			uint64_t fo = 0, heap = 0;
			for (int k = 0; k < 8; k++)
				fo |= (uint64_t)p[n - 32 + k] << (8 * k);
			for (int k = 0; k < 8; k++)
				heap |= (uint64_t)p[fo + 24 + k] << (8 * k);
			free(p);
			if (a == 10)
				heap_at_10 = heap;
			else /* two bytes of statistics per full row group, not a copy each time */
				CU_ASSERT_TRUE(heap <= heap_at_10 + 2 * 50 / 4 * 2 + 16);
		}
	}
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_verify(r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_num_rows(r), 63);
	colstore_buffers *b = colstore_buffers_create();
	colstore_values v;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_values(r, 0, 0, b, &v, &e), COLSTORE_OK);
	uint32_t bits[3];
	memcpy(bits, v.data, sizeof(bits));
	CU_ASSERT_EQUAL(bits[0], snan);
	CU_ASSERT_EQUAL(bits[2], snan);
	colstore_buffers_free(b);
	colstore_reader_close(r);
	unlink(path);
}

void register_append_tests(void)
{
	CU_pSuite s = CU_add_suite("append", NULL, NULL);
	CU_add_test(s, "appended pieces give the cells written at once; spec reader agrees",
	            test_append_cells);
	CU_add_test(s, "a reader open before an append keeps its view", test_append_view);
	CU_add_test(s, "abort, a failed put, a second appender: the file as it was",
	            test_append_abort);
	CU_add_test(s, "a process dead mid-append leaves the file as it was", test_append_crash);
	CU_add_test(s, "no column added; float32 NaN bits kept; a heap that does not grow",
	            test_append_details);
}
