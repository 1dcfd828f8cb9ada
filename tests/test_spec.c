/*
 * test_spec.c -- files written by libcolstore, read by spec_reader.c: an
 * independent parser written from format-spec.md alone.  Its dump must
 * equal the library's dump and the expected cell values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "spec_reader.h"
#include "testutil.h"

static const tu_col cols[] = {
	{ "i8", COLSTORE_TYPE_INT8, 0, 4, 0 },
	{ "i16", COLSTORE_TYPE_INT16, 0, 0, 0 },
	{ "i32", COLSTORE_TYPE_INT32, 0, 9, 0 },
	{ "i64", COLSTORE_TYPE_INT64, 0, 0, 0 },
	{ "f32", COLSTORE_TYPE_FLOAT32, 0, 5, 0 },
	{ "f64", COLSTORE_TYPE_FLOAT64, 0, 0, 0 },
	{ "flag", COLSTORE_TYPE_BOOL, 0, 3, 0 },
	{ "s_auto", COLSTORE_TYPE_STRING, 0, 6, 0 },
	{ "s_dict", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, 0, 300 },
	{ "s_plain", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 2, 0 },
	{ "day", COLSTORE_TYPE_DATE, 0, 0, 0 },
	{ "ts", COLSTORE_TYPE_TIMESTAMP, 0, 11, 0 },
	{ "p16", COLSTORE_TYPE_INT16, 0, 0, 1000 },
	{ "pts", COLSTORE_TYPE_TIMESTAMP, 0, 4, 1000000 },
	{ "price", COLSTORE_TYPE_FLOAT64, 0, 6, 100000 },
	{ "zero", COLSTORE_TYPE_FLOAT64, 0, 0, 1 },
	{ "secs", COLSTORE_TYPE_TIMESTAMP, 0, 5, 100000, 6 }, /* BITPACK scale 6 */
	{ "k", COLSTORE_TYPE_INT32, 0, 0, 1000, 3 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static void spec_check(uint64_t rows, uint32_t rgs, uint32_t compression)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = rgs;
	o.compression = compression;
	const char *path = tu_path("spec.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, rows, &o, 1, NULL), COLSTORE_OK);
	size_t n;
	unsigned char *p = tu_read_file(path, &n);
	char *text = NULL, errbuf[256] = "";
	size_t tlen = 0;
	FILE *f = open_memstream(&text, &tlen);
	int rc = spec_dump(p, n, f, errbuf, sizeof(errbuf));
	fclose(f);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		fprintf(stderr, "\n  spec_dump: %s\n", errbuf);
	int lrc;
	char *lib = tu_lib_dump_file(path, &lrc, NULL);
	char *want = tu_expected(cols, NCOLS, rows, rgs);
	CU_ASSERT_TRUE(tu_starts_with(text, want));
	CU_ASSERT_PTR_NOT_NULL(lib);
	CU_ASSERT_TRUE(lib && text && strcmp(lib, text) == 0);
	if (lib && text && strcmp(lib, text) != 0) {
		size_t i = 0;
		while (lib[i] && lib[i] == text[i])
			i++;
		fprintf(stderr, "\n  library and spec reader differ at %zu: lib '%.80s' spec '%.80s'\n",
		        i, lib + i, text + i);
	}
	free(lib);
	free(want);
	free(text);
	free(p);
	unlink(path);
}

static void test_spec_plain(void) { spec_check(5000, 1024, COLSTORE_COMPRESSION_NONE); }
static void test_spec_lz4(void) { spec_check(5000, 1000, COLSTORE_COMPRESSION_LZ4); }
static void test_spec_pack(void)
{
	spec_check(5000, 1024, COLSTORE_WRITE_PACK);
	spec_check(3000, 700, COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4);
}
static void test_spec_edges(void)
{
	spec_check(0, 16, COLSTORE_COMPRESSION_NONE);
	spec_check(1, 16, COLSTORE_COMPRESSION_NONE);
	spec_check(17, 16, COLSTORE_COMPRESSION_LZ4);
}

static void test_spec_rejects(void)
{
	/* the independent reader also refuses damage (checksums) */
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 64;
	const char *path = tu_path("specbad.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, 200, &o, 0, NULL), COLSTORE_OK);
	size_t n;
	unsigned char *p = tu_read_file(path, &n);
	char errbuf[256];
	FILE *devnull = fopen("/dev/null", "w");
	int refused = 0, tries = 0;
	for (size_t i = 0; i < n; i += 7) {
		p[i] ^= 0x20;
		if (spec_dump(p, n, devnull, errbuf, sizeof(errbuf)) != 0)
			refused++;
		tries++;
		p[i] ^= 0x20;
	}
	CU_ASSERT_EQUAL(refused, tries);
	CU_ASSERT_EQUAL(spec_dump(p, n - 1, devnull, errbuf, sizeof(errbuf)), -1);
	fclose(devnull);
	free(p);
	unlink(path);
}

void register_spec_tests(void)
{
	CU_pSuite s = CU_add_suite("spec_reader", NULL, NULL);
	CU_add_test(s, "independent reader agrees, uncompressed", test_spec_plain);
	CU_add_test(s, "independent reader agrees, LZ4", test_spec_lz4);
	CU_add_test(s, "independent reader agrees, BITPACK and DECIMAL", test_spec_pack);
	CU_add_test(s, "independent reader agrees, 0/1/17 rows", test_spec_edges);
	CU_add_test(s, "independent reader refuses damaged files", test_spec_rejects);
}
