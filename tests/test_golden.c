/*
 * test_golden.c -- tests/golden/tiny-v1.colstore is the worked example of
 * format-spec.md §13.  The writer must reproduce it byte for byte (the format
 * and the writer's choices are pinned), and every reader must decode it to
 * the values below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "spec_reader.h"
#include "testutil.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/golden"
#endif

/* the §13 table: 3 rows, an int16 with a null and a dictionary string */
static int write_tiny(const char *path)
{
	colstore_writer *w;
	if (colstore_writer_create(path, NULL, &w, NULL))
		return -1;
	int rc = colstore_writer_add_column(w, "n", COLSTORE_TYPE_INT16, 0, NULL);
	rc |= colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, 0, NULL);
	rc |= colstore_writer_put_int(w, 0, 7, NULL);
	rc |= colstore_writer_put_string(w, 1, "ab", 2, NULL);
	rc |= colstore_writer_end_row(w, NULL);
	rc |= colstore_writer_put_null(w, 0, NULL);
	rc |= colstore_writer_put_string(w, 1, "c", 1, NULL);
	rc |= colstore_writer_end_row(w, NULL);
	rc |= colstore_writer_put_int(w, 0, -2, NULL);
	rc |= colstore_writer_put_string(w, 1, "ab", 2, NULL);
	rc |= colstore_writer_end_row(w, NULL);
	if (rc) {
		colstore_writer_abort(w);
		return -1;
	}
	return colstore_writer_finish(w, NULL);
}

static const char tiny_dump[] =
        "rows 3 columns 2 row_groups 1 row_group_size 65536\n"
        "column 0 n int16\n"
        "column 1 s string\n"
        "r0 c0 7\n"
        "r0 c1 \"ab\"\n"
        "r1 c0 null\n"
        "r1 c1 \"c\"\n"
        "r2 c0 -2\n"
        "r2 c1 \"ab\"\n"
        "chunk g0 c0 rows 3 nulls 1 enc plain min -2 max 7\n"
        "chunk g0 c1 rows 3 nulls 0 enc dict min \"ab\" max \"c\"\n";

static void test_golden_reproduced(void)
{
	const char *path = tu_path("tiny.colstore");
	CU_ASSERT_EQUAL_FATAL(write_tiny(path), 0);
	size_t n, gn;
	unsigned char *p = tu_read_file(path, &n);
	unsigned char *g = tu_read_file(GOLDEN_DIR "/tiny-v1.colstore", &gn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(n, gn);
	CU_ASSERT_TRUE(n == gn && memcmp(p, g, n) == 0);
	if (getenv("COLSTORE_REGEN_GOLDEN"))
		tu_write_file(GOLDEN_DIR "/tiny-v1.colstore", p, n);
	free(p);
	free(g);
	unlink(path);
}

static void test_golden_decodes(void)
{
	size_t n;
	unsigned char *g = tu_read_file(GOLDEN_DIR "/tiny-v1.colstore", &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	colstore_reader *r;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(g, n, NULL, &r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_verify(r, &e), COLSTORE_OK);
	int rc;
	char *lib = tu_lib_dump(r, &rc, &e);
	CU_ASSERT_PTR_NOT_NULL(lib);
	CU_ASSERT_STRING_EQUAL(lib ? lib : "", tiny_dump);
	colstore_reader_close(r);
	char *text = NULL, errbuf[256] = "";
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	CU_ASSERT_EQUAL(spec_dump(g, n, f, errbuf, sizeof(errbuf)), 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(text ? text : "", tiny_dump);
	free(text);
	free(lib);
	free(g);
}

void register_golden_tests(void)
{
	CU_pSuite s = CU_add_suite("golden", NULL, NULL);
	CU_add_test(s, "the writer reproduces tiny-v1.colstore byte for byte", test_golden_reproduced);
	CU_add_test(s, "tiny-v1.colstore decodes to its values (library, spec reader)",
	            test_golden_decodes);
}
