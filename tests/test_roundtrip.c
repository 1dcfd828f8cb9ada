/*
 * test_roundtrip.c -- write with libcolstore, read back, compare every cell:
 * every type, with and without nulls, row and batch APIs, LZ4 on and off,
 * 0 / 1 / rgs / rgs + 1 rows; writer misuse; crash-safe finish and abort.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "internal.h" /* cs_test_cache, cs_test_wb, the reader's read-ahead count */
#include "testutil.h"

static const tu_col all_types[] = {
	{ "i8", COLSTORE_TYPE_INT8, 0, 0, 0 },
	{ "i16", COLSTORE_TYPE_INT16, 0, 0, 0 },
	{ "i32", COLSTORE_TYPE_INT32, 0, 0, 0 },
	{ "i64", COLSTORE_TYPE_INT64, 0, 0, 0 },
	{ "f32", COLSTORE_TYPE_FLOAT32, 0, 0, 0 },
	{ "f64", COLSTORE_TYPE_FLOAT64, 0, 0, 0 },
	{ "flag", COLSTORE_TYPE_BOOL, 0, 0, 0 },
	{ "s_lowcard", COLSTORE_TYPE_STRING, 0, 0, 16 },
	{ "s_plain", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 0, 0 },
	{ "s_dict", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, 0, 300 },
	{ "day", COLSTORE_TYPE_DATE, 0, 0, 0 },
	{ "ts", COLSTORE_TYPE_TIMESTAMP, 0, 0, 0 },
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static tu_col with_nulls[NTYPES];

/* narrow ranges and 2-decimal floats, so that BITPACK and DECIMAL apply */
static const tu_col packable[] = {
	{ "p8", COLSTORE_TYPE_INT8, 0, 0, 10 },
	{ "p16", COLSTORE_TYPE_INT16, 0, 7, 1000 },
	{ "p32", COLSTORE_TYPE_INT32, 0, 0, 100000 },
	{ "p64", COLSTORE_TYPE_INT64, 0, 5, 3 },
	{ "pday", COLSTORE_TYPE_DATE, 0, 0, 400 },
	{ "pts", COLSTORE_TYPE_TIMESTAMP, 0, 3, 1000000000 },
	{ "price", COLSTORE_TYPE_FLOAT64, 0, 4, 100000 },
	{ "disc", COLSTORE_TYPE_FLOAT64, 0, 0, 1 }, /* all zero: b = 0 */
	{ "f32", COLSTORE_TYPE_FLOAT32, 0, 0, 100 },
	{ "wide", COLSTORE_TYPE_INT64, 0, 0, 0 },  /* full range: stays plain */
	{ "anyf", COLSTORE_TYPE_FLOAT64, 0, 0, 0 }, /* NaN, -0.0: stays plain */
	{ "code", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, 2, 40 },
	{ "many", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, 0, 5000 },
	{ "secs", COLSTORE_TYPE_TIMESTAMP, 0, 0, 86400, 6 },
};
#define NPACK (sizeof(packable) / sizeof(packable[0]))

static void init_nulls(void)
{
	for (unsigned i = 0; i < NTYPES; i++) {
		with_nulls[i] = all_types[i];
		with_nulls[i].null_every = 3 + i % 5; /* different patterns per column */
	}
}

/* write, read back through the library, compare with the expected cells */
static void roundtrip(const tu_col *cols, unsigned ncols, uint64_t rows, uint32_t rgs,
                      uint32_t compression, int batch)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = rgs;
	o.compression = compression;
	const char *path = tu_path("rt.colstore");
	colstore_error e;
	int rc = tu_write(path, cols, ncols, rows, &o, batch, &e);
	CU_ASSERT_EQUAL_FATAL(rc, COLSTORE_OK);
	char *want = tu_expected(cols, ncols, rows, rgs);
	char *got = tu_lib_dump_file(path, &rc, &e);
	CU_ASSERT_EQUAL(rc, COLSTORE_OK);
	if (rc)
		fprintf(stderr, "\n  dump failed: %s\n", e.message);
	CU_ASSERT_TRUE(tu_starts_with(got, want));
	if (got && !tu_starts_with(got, want)) {
		size_t i = 0;
		while (got[i] && got[i] == want[i])
			i++;
		fprintf(stderr, "\n  first difference at byte %zu: got '%.60s' want '%.60s'\n", i,
		        got + i, want + i);
	}
	/* and the whole file verifies */
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_verify(r, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_num_rows(r), rows);
	colstore_reader_close(r);
	free(want);
	free(got);
	unlink(path);
}

static void test_all_types(void)
{
	roundtrip(all_types, NTYPES, 1000, 128, COLSTORE_COMPRESSION_NONE, 0);
}
static void test_all_types_lz4(void)
{
	roundtrip(all_types, NTYPES, 1000, 128, COLSTORE_COMPRESSION_LZ4, 0);
}
static void test_nulls(void)
{
	roundtrip(with_nulls, NTYPES, 1000, 128, COLSTORE_COMPRESSION_NONE, 0);
}
static void test_nulls_lz4(void)
{
	roundtrip(with_nulls, NTYPES, 1000, 128, COLSTORE_COMPRESSION_LZ4, 0);
}
static void test_pack(void)
{
	roundtrip(packable, NPACK, 3000, 1000, COLSTORE_WRITE_PACK, 0);
	roundtrip(packable, NPACK, 70000, 0, COLSTORE_WRITE_PACK, 1);
	roundtrip(packable, NPACK, 5000, 512, COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4, 1);
	roundtrip(with_nulls, NTYPES, 1000, 128, COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4, 0);
	/* the codecs were really used, and shrink the file */
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 4096;
	const char *a = tu_path("plain.colstore"), *b = tu_path("packed.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(a, packable, NPACK, 20000, &o, 1, NULL), COLSTORE_OK);
	o.compression = COLSTORE_WRITE_PACK;
	CU_ASSERT_EQUAL_FATAL(tu_write(b, packable, NPACK, 20000, &o, 1, NULL), COLSTORE_OK);
	colstore_reader *ra, *rb;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(a, NULL, &ra, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(b, NULL, &rb, NULL), COLSTORE_OK);
	CU_ASSERT_TRUE(colstore_reader_file_size(rb) * 3 < colstore_reader_file_size(ra) * 2);
	colstore_chunk_info ch;
	const struct { uint32_t col; uint32_t codec; } want[] = {
		{ 0, COLSTORE_COMPRESSION_BITPACK }, { 2, COLSTORE_COMPRESSION_BITPACK },
		{ 5, COLSTORE_COMPRESSION_BITPACK }, { 6, COLSTORE_COMPRESSION_DECIMAL },
		{ 7, COLSTORE_COMPRESSION_DECIMAL }, { 8, COLSTORE_COMPRESSION_NONE },
		{ 9, COLSTORE_COMPRESSION_NONE },    { 10, COLSTORE_COMPRESSION_NONE },
		{ 12, COLSTORE_COMPRESSION_BITPACK }, { 13, COLSTORE_COMPRESSION_BITPACK },
	};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		colstore_reader_chunk_info(rb, 1, want[i].col, &ch, NULL);
		CU_ASSERT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].compression, want[i].codec);
		if (ch.blocks[COLSTORE_BLOCK_DATA].compression != want[i].codec)
			fprintf(stderr, "\n  column %u: codec %u, wanted %u\n", want[i].col,
			        ch.blocks[COLSTORE_BLOCK_DATA].compression, want[i].codec);
	}
	/* 'disc' is all zeros: a 16-byte block for 4096 doubles */
	colstore_reader_chunk_info(rb, 0, 7, &ch, NULL);
	CU_ASSERT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].stored_size, 16);
	/* 'secs' are whole seconds in µs: 17 bits a value, not 64 */
	colstore_reader_chunk_info(rb, 0, 13, &ch, NULL);
	CU_ASSERT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].stored_size, 16 + (4096 * 17 + 7) / 8);
	CU_ASSERT_EQUAL(colstore_reader_verify(rb, NULL), COLSTORE_OK);
	colstore_reader_close(ra);
	colstore_reader_close(rb);
	unlink(a);
	unlink(b);
}

/* cs_out starts the writeback of every 4 MiB it has written: of a file of
 * 13 MiB just written, not fsynced, no more than its last 4 MiB and a piece
 * are still dirty (all of it is, without).  Asked of the page cache by
 * cachestat (Linux 6.5 and later); skipped without it, on tmpfs (which
 * writes nothing back), or where the file's pages are not all in the cache
 * it answers for (an overlay, memory pressure). */
#ifdef __NR_cachestat
#define CS_NR_CACHESTAT __NR_cachestat
#elif defined(__x86_64__) || defined(__aarch64__)
#define CS_NR_CACHESTAT 451
#endif
static void test_write_behind(void)
{
#ifdef CS_NR_CACHESTAT
	const char *path = tu_path("behind.bin");
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	struct statfs fs;
	struct { uint64_t off, len; } range = { 0, 0 }; /* (the whole file) */
	struct { uint64_t cache, dirty, writeback, evicted, recently_evicted; } st;
	const char *skip = NULL;
	if (fstatfs(fd, &fs) != 0 || fs.f_type == 0x01021994 /* TMPFS_MAGIC */ ||
	    syscall(CS_NR_CACHESTAT, fd, &range, &st, 0) != 0)
		skip = "no cachestat, or a tmpfs";
	static uint8_t chunk[100003];
	memset(chunk, 0xa5, sizeof(chunk));
	cs_out o;
	uint64_t size = 0;
	if (!skip) {
		int rc = cs_out_init(&o, fd, 0, path, NULL);
		while (!rc && o.pos < (13u << 20))
			rc = cs_out_write(&o, chunk, sizeof(chunk));
		if (!rc)
			rc = cs_out_flush(&o);
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		size = o.pos;
		cs_out_free(&o);
		if (rc || syscall(CS_NR_CACHESTAT, fd, &range, &st, 0) != 0)
			skip = "cachestat failed";
	}
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (!skip && st.cache * page < size)
		skip = "the file is not all in the page cache cachestat sees";
	if (skip) {
		fprintf(stderr, "\n  (skipped: %s)", skip);
	} else {
		CU_ASSERT_TRUE(st.dirty * page <= (4u << 20) + (64u << 10) + page);
		if (st.dirty * page > (4u << 20) + (64u << 10) + page)
			fprintf(stderr, "\n  %llu of %llu pages dirty", (unsigned long long)st.dirty,
			        (unsigned long long)st.cache);
	}
	close(fd);
	unlink(path);
#else
	fprintf(stderr, "\n  (skipped: no cachestat here)");
#endif
}

/* the writer's file goes out in pieces that end at multiples of 64 KiB (a
 * test's size here): pieces of any size give the same bytes, blocks larger
 * than a piece, pads and footers across their ends; and an append */
static void test_write_pieces(void)
{
	static const size_t pieces[] = { 1, 7, 64, 4096, 30000, 0 };
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 3000;
	o.compression = COLSTORE_WRITE_PACK | COLSTORE_WRITE_LZ4;
	const char *ref = tu_path("pieces-ref.colstore"), *path = tu_path("pieces.colstore");
	cs_test_wb = 1; /* a write of each byte: the reference */
	int rc = tu_write(ref, packable, NPACK, 70000, &o, 1, NULL);
	cs_test_wb = 0;
	CU_ASSERT_EQUAL_FATAL(rc, COLSTORE_OK);
	size_t nref, n;
	unsigned char *want = tu_read_file(ref, &nref);
	CU_ASSERT_FATAL(want != NULL);
	CU_ASSERT_TRUE(nref > (1u << 20)); /* many pieces of the default */
	for (unsigned i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		/* (0: the default, 64 KiB) */
		cs_test_wb = pieces[i];
		cs_test_wb_odd = 0;
		rc = tu_write(path, packable, NPACK, 70000, &o, i & 1, NULL);
		cs_test_wb = 0;
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_TRUE(cs_test_wb_odd <= 1); /* every write but the last ends at a piece's end */
		unsigned char *got = tu_read_file(path, &n);
		CU_ASSERT_TRUE(got && n == nref && memcmp(got, want, n) == 0);
		if (!got || n != nref || memcmp(got, want, n) != 0)
			fprintf(stderr, "\n  pieces of %zu bytes: a different file\n", pieces[i]);
		free(got);
	}
	/* an append, from the old file's end (no multiple of a piece), in
	 * pieces of 64 bytes and 64 KiB: the same file each way, read back whole */
	unsigned char *appended[2] = { NULL, NULL };
	size_t alen[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL_FATAL(tu_write(path, packable, NPACK, 1001, &o, 0, NULL), COLSTORE_OK);
		struct stat st;
		CU_ASSERT_TRUE(stat(path, &st) == 0 && st.st_size % 64 != 0); /* the append's start */
		cs_test_wb = k ? 0 : 64;
		cs_test_wb_odd = 0;
		colstore_writer *w;
		rc = colstore_writer_open_append(path, NULL, &w, NULL);
		if (rc == COLSTORE_OK) {
			CU_ASSERT_EQUAL(tu_put_rows(w, packable, NPACK, 1001, 40000, NULL), COLSTORE_OK);
			CU_ASSERT_EQUAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
		}
		cs_test_wb = 0;
		CU_ASSERT_EQUAL_FATAL(rc, COLSTORE_OK);
		CU_ASSERT_TRUE(cs_test_wb_odd <= 2); /* the trailer before the commit, and the
		                                      * footer before the blocks' fdatasync */
		appended[k] = tu_read_file(path, &alen[k]);
		colstore_reader *r;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL(colstore_reader_num_rows(r), 40000);
		CU_ASSERT_EQUAL(colstore_reader_verify(r, NULL), COLSTORE_OK);
		colstore_reader_close(r);
	}
	CU_ASSERT_TRUE(appended[0] && appended[1] && alen[0] == alen[1] &&
	               memcmp(appended[0], appended[1], alen[0]) == 0);
	free(appended[0]);
	free(appended[1]);
	free(want);
	unlink(ref);
	unlink(path);
}

static void test_batch(void)
{
	roundtrip(with_nulls, NTYPES, 9000, 1024, COLSTORE_COMPRESSION_NONE, 1);
	roundtrip(all_types, NTYPES, 9000, 1000, COLSTORE_COMPRESSION_LZ4, 1);
}
static void test_edges(void)
{
	/* 0 rows, 1 row, exactly one row group, one more than a row group */
	uint64_t sizes[] = { 0, 1, 7, 8, 9, 64, 65 };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip(with_nulls, NTYPES, sizes[i], 8, COLSTORE_COMPRESSION_NONE, 0);
		roundtrip(all_types, NTYPES, sizes[i], 64, COLSTORE_COMPRESSION_LZ4, 1);
	}
	/* default row group size, exactly and one past */
	static const tu_col two[] = { { "a", COLSTORE_TYPE_INT32, 0, 0, 0 },
		                      { "b", COLSTORE_TYPE_STRING, 0, 5, 10 } };
	roundtrip(two, 2, COLSTORE_DEFAULT_ROW_GROUP_SIZE, 0 /* default */, 0, 1);
	roundtrip(two, 2, COLSTORE_DEFAULT_ROW_GROUP_SIZE + 1, 0, 0, 1);
}

static void test_all_null(void)
{
	static const tu_col cols[] = {
		{ "n_i", COLSTORE_TYPE_INT64, 0, 1, 0 },
		{ "n_f", COLSTORE_TYPE_FLOAT64, 0, 1, 0 },
		{ "n_b", COLSTORE_TYPE_BOOL, 0, 1, 0 },
		{ "n_s", COLSTORE_TYPE_STRING, 0, 1, 4 },
		{ "n_p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 1, 0 },
	};
	roundtrip(cols, 5, 100, 32, COLSTORE_COMPRESSION_NONE, 0);
	const char *path = tu_path("allnull.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, 5, 100, NULL, 0, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_chunk_info ch;
	colstore_column_info ci;
	for (uint32_t c = 0; c < 5; c++) {
		CU_ASSERT_EQUAL(colstore_reader_chunk_info(r, 0, c, &ch, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL(ch.null_count, 100);
		CU_ASSERT_FALSE(ch.has_minmax); /* §5.6: no valid value */
		CU_ASSERT_TRUE(ch.blocks[COLSTORE_BLOCK_VALIDITY].present);
	}
	CU_ASSERT_EQUAL(colstore_reader_column_info(r, 3, &ci, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(ci.dict_count, 0); /* nothing interned */
	CU_ASSERT_EQUAL(ci.null_count, 100);
	colstore_reader_close(r);
	unlink(path);
}

static void test_string_encodings(void)
{
	static const tu_col cols[] = {
		{ "few", COLSTORE_TYPE_STRING, 0, 0, 16 },
		{ "k1000", COLSTORE_TYPE_STRING, 0, 0, 1000 },
		{ "unique", COLSTORE_TYPE_STRING, 0, 0, 0 },
		{ "big", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, 0, 0 },
	};
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 4096;
	const char *path = tu_path("enc.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, 4, 70000, &o, 1, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_chunk_info ch;
	colstore_column_info ci;
	/* a 16-value column costs one byte a row */
	colstore_reader_chunk_info(r, 0, 0, &ch, NULL);
	CU_ASSERT_EQUAL(ch.encoding, COLSTORE_ENCODING_DICT);
	CU_ASSERT_EQUAL(ch.code_width, 1);
	CU_ASSERT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].raw_size, 4096);
	colstore_reader_column_info(r, 0, &ci, NULL);
	CU_ASSERT_EQUAL(ci.dict_count, 16);
	CU_ASSERT_EQUAL(ci.raw_bytes, 70000);
	/* 1000 values: two-byte codes */
	colstore_reader_chunk_info(r, 3, 1, &ch, NULL);
	CU_ASSERT_EQUAL(ch.code_width, 2);
	colstore_reader_column_info(r, 1, &ci, NULL);
	CU_ASSERT_EQUAL(ci.dict_count, 1000);
	/* AUTO, all distinct: first chunk DICT, the rest PLAIN */
	colstore_reader_column_info(r, 2, &ci, NULL);
	CU_ASSERT_EQUAL(ci.dict_chunks, 1);
	CU_ASSERT_EQUAL(ci.plain_chunks, colstore_reader_num_row_groups(r) - 1);
	CU_ASSERT_EQUAL(ci.dict_count, 4096);
	colstore_reader_chunk_info(r, 5, 2, &ch, NULL);
	CU_ASSERT_EQUAL(ch.encoding, COLSTORE_ENCODING_PLAIN);
	CU_ASSERT_TRUE(ch.blocks[COLSTORE_BLOCK_EXTRA].present);
	/* forced DICT of 70000 distinct values: 4-byte codes at the end */
	colstore_reader_chunk_info(r, colstore_reader_num_row_groups(r) - 1, 3, &ch, NULL);
	CU_ASSERT_EQUAL(ch.code_width, 4);
	colstore_reader_chunk_info(r, 0, 3, &ch, NULL);
	CU_ASSERT_EQUAL(ch.code_width, 2); /* 4096 entries so far */
	/* dictionary look-ups */
	const char *s;
	uint32_t len;
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 0, 15, &s, &len, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 0, 16, &s, &len, NULL), COLSTORE_ERANGE);
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 9, 0, &s, &len, NULL), COLSTORE_ERANGE);
	/* the prefetch hint: out of range ignored (NULL reader, column, code:
	 * ASan sees any read), and a look-up after it the same */
	const char *s2;
	uint32_t len2;
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 0, 15, &s, &len, NULL), COLSTORE_OK);
	colstore_reader_dict_prefetch(NULL, 0, 0);
	colstore_reader_dict_prefetch(r, 9, 0);
	colstore_reader_dict_prefetch(r, 0, 16);
	colstore_reader_dict_prefetch(r, 0, UINT32_MAX);
	colstore_reader_dict_prefetch(r, 0, 15);
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 0, 15, &s2, &len2, NULL), COLSTORE_OK);
	CU_ASSERT_TRUE(s2 == s && len2 == len);
	colstore_reader_close(r);
	/* and every value is right */
	roundtrip(cols, 4, 9000, 2048, COLSTORE_COMPRESSION_NONE, 1);
	unlink(path);
}

static void test_stats(void)
{
	const char *path = tu_path("stats.colstore");
	colstore_writer *w;
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 4;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "i", COLSTORE_TYPE_INT16, 0, NULL);
	colstore_writer_add_column(w, "f", COLSTORE_TYPE_FLOAT64, 0, NULL);
	colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, 0, NULL);
	colstore_writer_add_column(w, "b", COLSTORE_TYPE_BOOL, 0, NULL);
	int16_t iv[8] = { 5, -7, 3, 0, 100, 100, 100, 100 };
	double fv[8] = { 1.5, NAN, -2.25, 0, NAN, NAN, NAN, NAN };
	const char *sv[8] = { "pear", "apple", "zebra", "", "x", "x", "x", "x" };
	for (int i = 0; i < 8; i++) {
		colstore_writer_put_int(w, 0, iv[i], NULL);
		colstore_writer_put_double(w, 1, fv[i], NULL);
		if (i == 3)
			colstore_writer_put_null(w, 2, NULL);
		else
			colstore_writer_put_string(w, 2, sv[i], strlen(sv[i]), NULL);
		colstore_writer_put_int(w, 3, i == 1, NULL);
		CU_ASSERT_EQUAL(colstore_writer_end_row(w, NULL), COLSTORE_OK);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	colstore_chunk_info ch;
	colstore_reader_chunk_info(r, 0, 0, &ch, NULL);
	CU_ASSERT_TRUE(ch.has_minmax);
	CU_ASSERT_EQUAL(ch.min_int, -7);
	CU_ASSERT_EQUAL(ch.max_int, 5);
	colstore_reader_chunk_info(r, 0, 1, &ch, NULL);
	CU_ASSERT_TRUE(ch.has_minmax && ch.has_nan);
	CU_ASSERT_DOUBLE_EQUAL(ch.min_double, -2.25, 0);
	CU_ASSERT_DOUBLE_EQUAL(ch.max_double, 1.5, 0);
	colstore_reader_chunk_info(r, 1, 1, &ch, NULL);
	CU_ASSERT_FALSE(ch.has_minmax); /* only NaN */
	CU_ASSERT_TRUE(ch.has_nan);
	colstore_reader_chunk_info(r, 0, 2, &ch, NULL);
	CU_ASSERT_TRUE(ch.has_minmax);
	CU_ASSERT_EQUAL(ch.null_count, 1);
	CU_ASSERT_TRUE(ch.min_str_len == 5 && memcmp(ch.min_str, "apple", 5) == 0);
	CU_ASSERT_TRUE(ch.max_str_len == 5 && memcmp(ch.max_str, "zebra", 5) == 0);
	colstore_reader_chunk_info(r, 0, 3, &ch, NULL);
	CU_ASSERT_TRUE(ch.min_int == 0 && ch.max_int == 1);
	colstore_reader_chunk_info(r, 1, 3, &ch, NULL);
	CU_ASSERT_TRUE(ch.min_int == 0 && ch.max_int == 0);
	colstore_reader_close(r);
	unlink(path);
}

static int str_cmp(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

/* String min/max per chunk, DICT and PLAIN, while the dictionary grows past
 * the size where the writer stops comparing by code: values that share their
 * first 8 bytes, that differ only by a trailing NUL or by length, long ones,
 * nulls; each chunk's recorded min/max against a plain loop's. */
static void test_string_stats(void)
{
	enum { ROWS = 300000, RGS = 4096 };
	const char *path = tu_path("strstats.colstore");
	colstore_writer *w;
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = RGS;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "d", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	colstore_writer_add_column(w, "p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, NULL);
	char (*val)[48] = malloc((size_t)ROWS * 48);
	uint32_t *len = malloc((size_t)ROWS * sizeof(*len));
	uint64_t x = 88172645463325252ull;
	for (uint32_t i = 0; i < ROWS; i++) {
		tu_next(&x);
		uint32_t r = (uint32_t)(x >> 20), n = 0;
		switch (r % 5) {
		case 0: /* the same 8 bytes, then a number */
			n = (uint32_t)snprintf(val[i], 48, "samepfx!%u", r % 100000);
			break;
		case 1: /* 1-7 bytes over 'a', 'b' and NUL */
			n = 1 + r / 5 % 7;
			for (uint32_t b = 0; b < n; b++)
				val[i][b] = "a\0b"[(r >> (8 + 2 * b)) % 3];
			break;
		case 2: /* "samepfx" with or without a NUL after it */
			memcpy(val[i], "samepfx\0", 8);
			n = 7 + r / 5 % 2;
			break;
		case 3: /* 20-40 letters */
			n = 20 + r / 5 % 21;
			for (uint32_t b = 0; b < n; b++) {
				tu_next(&x);
				val[i][b] = (char)('a' + x % 26);
			}
			break;
		default:
			n = UINT32_MAX; /* null */
		}
		len[i] = n;
		for (uint32_t c = 0; c < 2; c++)
			if (n == UINT32_MAX)
				colstore_writer_put_null(w, c, NULL);
			else
				colstore_writer_put_string(w, c, val[i], n, NULL);
		if (colstore_writer_end_row(w, NULL) != COLSTORE_OK)
			break;
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *rd;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &rd, NULL), COLSTORE_OK);
	uint32_t wrong = 0, groups = (ROWS + RGS - 1) / RGS;
	for (uint32_t g = 0; g < groups; g++) {
		int64_t lo = -1, hi = -1;
		for (uint32_t i = g * RGS; i < ROWS && i < (g + 1) * RGS; i++) {
			if (len[i] == UINT32_MAX)
				continue;
			if (lo < 0 || str_cmp(val[i], len[i], val[lo], len[lo]) < 0)
				lo = i;
			if (hi < 0 || str_cmp(val[i], len[i], val[hi], len[hi]) > 0)
				hi = i;
		}
		for (uint32_t c = 0; c < 2; c++) {
			colstore_chunk_info ch;
			if (colstore_reader_chunk_info(rd, g, c, &ch, NULL) != COLSTORE_OK || !ch.has_minmax ||
			    str_cmp(ch.min_str, ch.min_str_len, val[lo], len[lo]) != 0 ||
			    str_cmp(ch.max_str, ch.max_str_len, val[hi], len[hi]) != 0)
				wrong++;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* the dictionary did pass the size where comparing by code stops */
	colstore_column_info ci;
	CU_ASSERT_TRUE(colstore_reader_column_info(rd, 0, &ci, NULL) == COLSTORE_OK &&
	               ci.dict_count > 65536);
	colstore_reader_close(rd);
	free(val);
	free(len);
	unlink(path);
}

/* lists of names, the one rule: commas between, spaces around a name not
 * part of it, "double quotes" around a name with commas, quotes or spaces
 * at its ends ("" a quote); the file's columns listed back by that rule */
static void test_name_lists(void)
{
	static const char *const names[] = { "id", "Origin State", "a,b", "q\"x", " pad " };
	const char *path = tu_path("names.colstore");
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, NULL), COLSTORE_OK);
	for (int k = 0; k < 5; k++)
		CU_ASSERT_EQUAL_FATAL(colstore_writer_add_column(w, names[k], COLSTORE_TYPE_INT32, 0, NULL),
		                      COLSTORE_OK);
	for (int k = 0; k < 5; k++)
		colstore_writer_put_int(w, (uint32_t)k, k, NULL);
	CU_ASSERT_EQUAL_FATAL(colstore_writer_end_row(w, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	static const struct { const char *list; int rc; uint32_t n, c[5]; const char *msg; } t[] = {
		{ "id", COLSTORE_OK, 1, { 0 }, NULL },
		{ " \"Origin State\" ,id, \"a,b\",\"q\"\"x\"", COLSTORE_OK, 4, { 1, 0, 2, 3 }, NULL },
		{ "\" pad \",\" pad \"", COLSTORE_OK, 2, { 4, 4 }, NULL },
		{ "Origin State", COLSTORE_OK, 1, { 1 }, NULL }, /* inner spaces are the name's */
		{ "pad", COLSTORE_ENOTFOUND, 0, { 0 },
		  "no column named 'pad' (columns: id, \"Origin State\", \"a,b\", \"q\"\"x\", \" pad \")" },
		{ "a,b", COLSTORE_ENOTFOUND, 0, { 0 }, "no column named 'a'" },
		{ "id,,id", COLSTORE_EPARSE, 0, { 0 }, "an empty name in the list" },
		{ "id,", COLSTORE_EPARSE, 0, { 0 }, "an empty name at the end of the list" },
		{ "\"id", COLSTORE_EPARSE, 0, { 0 }, "unclosed quote in the name list" },
		{ "\"id\"x", COLSTORE_EPARSE, 0, { 0 }, "text after a quoted name" },
		{ "", COLSTORE_EPARSE, 0, { 0 }, "no names in the list" },
	};
	for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		uint32_t *cols = NULL, n = 0;
		colstore_error e;
		memset(&e, 0, sizeof(e));
		int rc = colstore_reader_find_columns(r, t[k].list, &cols, &n, &e);
		CU_ASSERT_EQUAL(rc, t[k].rc);
		if (rc != t[k].rc)
			fprintf(stderr, "\n  '%s': %d %s\n", t[k].list, rc, e.message);
		if (!rc) {
			CU_ASSERT_EQUAL(n, t[k].n);
			for (uint32_t i = 0; i < n && i < t[k].n; i++)
				CU_ASSERT_EQUAL(cols[i], t[k].c[i]);
		} else {
			CU_ASSERT_PTR_NULL(cols);
			CU_ASSERT_PTR_NOT_NULL(strstr(e.message, t[k].msg));
		}
		free(cols);
	}
	colstore_reader_close(r);
	unlink(path);
}

static void test_zero_copy(void)
{
	static const tu_col cols[] = { { "v", COLSTORE_TYPE_INT64, 0, 0, 0 },
		                       { "s", COLSTORE_TYPE_STRING, 0, 0, 4 } };
	const char *plain = tu_path("zc.colstore"), *lz = tu_path("zc-lz4.colstore");
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 5000;
	CU_ASSERT_EQUAL_FATAL(tu_write(plain, cols, 2, 20000, &o, 1, NULL), COLSTORE_OK);
	o.compression = COLSTORE_COMPRESSION_LZ4;
	CU_ASSERT_EQUAL_FATAL(tu_write(lz, cols, 2, 20000, &o, 1, NULL), COLSTORE_OK);
	colstore_reader *r, *rz;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(plain, NULL, &r, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(lz, NULL, &rz, NULL), COLSTORE_OK);
	colstore_block b;
	colstore_chunk_info ch;
	/* uncompressed: a 64-byte aligned pointer into the mapping, no buffer */
	CU_ASSERT_EQUAL(colstore_reader_block(r, 2, 0, COLSTORE_BLOCK_DATA, NULL, 0, &b, NULL),
	                COLSTORE_OK);
	CU_ASSERT_TRUE(b.zero_copy);
	CU_ASSERT_EQUAL((uintptr_t)b.data % 64, 0);
	CU_ASSERT_EQUAL(b.size, 5000 * 8);
	int64_t first;
	memcpy(&first, b.data, 8);
	tu_col c0 = cols[0];
	CU_ASSERT_EQUAL(first, tu_int(&c0, 10000));
	/* absent validity: NULL data, OK */
	CU_ASSERT_EQUAL(colstore_reader_block(r, 0, 0, COLSTORE_BLOCK_VALIDITY, NULL, 0, &b, NULL),
	                COLSTORE_OK);
	CU_ASSERT_PTR_NULL(b.data);
	/* compressed: the caller's buffer, sized by raw_size */
	colstore_reader_chunk_info(rz, 1, 1, &ch, NULL);
	CU_ASSERT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].compression, COLSTORE_COMPRESSION_LZ4);
	CU_ASSERT_TRUE(ch.blocks[COLSTORE_BLOCK_DATA].stored_size <
	               ch.blocks[COLSTORE_BLOCK_DATA].raw_size);
	size_t need = (size_t)ch.blocks[COLSTORE_BLOCK_DATA].raw_size;
	char *buf = malloc(need);
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_reader_block(rz, 1, 1, COLSTORE_BLOCK_DATA, buf, need - 1, &b, &e),
	                COLSTORE_ERANGE);
	CU_ASSERT_EQUAL(colstore_reader_block(rz, 1, 1, COLSTORE_BLOCK_DATA, buf, need, &b, &e),
	                COLSTORE_OK);
	CU_ASSERT_FALSE(b.zero_copy);
	CU_ASSERT_PTR_EQUAL(b.data, buf);
	/* the LZ4 file is smaller, and holds the same codes */
	CU_ASSERT_TRUE(colstore_reader_file_size(rz) < colstore_reader_file_size(r));
	colstore_block b2;
	colstore_reader_block(r, 1, 1, COLSTORE_BLOCK_DATA, NULL, 0, &b2, NULL);
	CU_ASSERT_EQUAL(memcmp(b.data, b2.data, need), 0);
	/* bad indexes */
	CU_ASSERT_EQUAL(colstore_reader_block(r, 4, 0, 1, NULL, 0, &b, NULL), COLSTORE_ERANGE);
	CU_ASSERT_EQUAL(colstore_reader_block(r, 0, 2, 1, NULL, 0, &b, NULL), COLSTORE_ERANGE);
	CU_ASSERT_EQUAL(colstore_reader_block(r, 0, 0, 3, NULL, 0, &b, NULL), COLSTORE_ERANGE);
	uint32_t col;
	CU_ASSERT_EQUAL(colstore_reader_find_column(r, "s", &col, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(col, 1);
	CU_ASSERT_EQUAL(colstore_reader_find_column(r, "nope", &col, &e), COLSTORE_ENOTFOUND);
	CU_ASSERT_STRING_EQUAL(e.message, "no column named 'nope' (columns: v, s)");
	free(buf);
	colstore_reader_close(r);
	colstore_reader_close(rz);
	colstore_reader_close(NULL); /* no-op */
	unlink(plain);
	unlink(lz);
}

/* ranges of a row group read batch by batch: a packed data block of 16 KiB
 * or more is read once per row group and column (pread) and kept for the
 * next ranges of it: every value against the one written, for two files of
 * the same shape read range by range through one buffers, one file's two
 * columns in turn, then the same column of both files in turn */
static void test_ranges_staged(void)
{
	const uint32_t n = 70000; /* one row group, ranges of 8,192 and a last of 4,464 */
	const char *path[2] = { tu_path("ranges-a.colstore"), tu_path("ranges-b.colstore") };
	int64_t *v[2];
	double *x[2];
	colstore_reader *r[2];
	for (int f = 0; f < 2; f++) {
		v[f] = malloc(n * sizeof(int64_t));
		x[f] = malloc(n * sizeof(double));
		CU_ASSERT_PTR_NOT_NULL_FATAL(v[f]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(x[f]);
		colstore_writer *w = tu_writer(path[f], n, COLSTORE_WRITE_PACK);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		colstore_writer_add_column(w, "v", COLSTORE_TYPE_INT64, 0, NULL);
		colstore_writer_add_column(w, "x", COLSTORE_TYPE_FLOAT64, 0, NULL);
		uint64_t rng = 0x243f6a8885a308d3ull + (uint64_t)f;
		int bad = 0;
		for (uint32_t i = 0; i < n; i++) {
			tu_next(&rng);
			v[f][i] = (int64_t)(rng >> 24) - ((int64_t)1 << 39);
			x[f][i] = (double)((int64_t)(rng % 10000000) - 5000000) / 100;
			bad |= colstore_writer_put_int(w, 0, v[f][i], NULL);
			bad |= colstore_writer_put_double(w, 1, x[f][i], NULL);
			bad |= colstore_writer_end_row(w, NULL);
		}
		CU_ASSERT_EQUAL_FATAL(bad, 0);
		CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path[f], NULL, &r[f], NULL), COLSTORE_OK);
		colstore_chunk_info ch;
		for (uint32_t c = 0; c < 2; c++) {
			CU_ASSERT_EQUAL(colstore_reader_chunk_info(r[f], 0, c, &ch, NULL), COLSTORE_OK);
			CU_ASSERT_NOT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].compression, COLSTORE_COMPRESSION_NONE);
			CU_ASSERT_TRUE(ch.blocks[COLSTORE_BLOCK_DATA].stored_size >= 16384);
		}
	}
	colstore_buffers *b = colstore_buffers_create();
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	uint32_t wrong = 0, calls = 0;
	for (int pass = 0; pass < 2; pass++) /* the second pass: ranges from the end */
		for (uint32_t k = 0; k * 8192 < n; k++) {
			uint32_t s0 = (pass ? (n - 1) / 8192 - k : k) * 8192;
			uint32_t m = n - s0 < 8192 ? n - s0 : 8192;
			/* a's v then x (one file, two columns), then b's x then v
			 * (the same column of two files) */
			for (int step = 0; step < 4; step++) {
				const int f = step / 2;
				const uint32_t c = (uint32_t)(step == 1 || step == 2);
				colstore_values val;
				calls++;
				if (colstore_reader_values_range(r[f], 0, c, b, s0, m, &val, NULL) != COLSTORE_OK ||
				    val.rows != m) {
					wrong++;
					continue;
				}
				for (uint32_t i = 0; i < m; i++)
					wrong += c == 0 ? ((const int64_t *)val.data)[i] != v[f][s0 + i]
					                : ((const double *)val.data)[i] != x[f][s0 + i];
			}
		}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(calls, 2 * 9 * 4);
	colstore_buffers_free(b);
	for (int f = 0; f < 2; f++) {
		colstore_reader_close(r[f]);
		unlink(path[f]);
		free(v[f]);
		free(x[f]);
	}
}

/* A packed block read with pread is first asked of the page cache alone,
 * and the kernel is asked to read the chunks ahead (posix_fadvise) only
 * from a block that came back short, for the next 64 row groups: none when
 * every read is a hit, one a data block when every read misses or comes
 * back with half its bytes, and 64 when only the first misses.  The values
 * are the same in every case. */
static void test_read_ahead_on_miss(void)
{
	const uint32_t rgs = 4096, groups = 80, n = rgs * groups;
	const char *path = tu_path("ahead.colstore");
	int64_t *v = malloc(n * sizeof(int64_t));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	colstore_writer *w = tu_writer(path, rgs, COLSTORE_WRITE_PACK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	colstore_writer_add_column(w, "v", COLSTORE_TYPE_INT64, 0, NULL);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	int bad = 0;
	for (uint32_t i = 0; i < n; i++) {
		tu_next(&rng);
		v[i] = (int64_t)(rng >> 24) - ((int64_t)1 << 39); /* 40 bits: 20 KiB a block */
		bad |= colstore_writer_put_int(w, 0, v[i], NULL);
		bad |= colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(bad, 0);
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	static const struct {
		int mode;
		uint64_t calls;
	} cases[] = { { CS_TEST_CACHE_HIT, 0 },
		      { CS_TEST_CACHE_MISS, 80 },
		      { CS_TEST_CACHE_FIRST_MISS, 64 },
		      { CS_TEST_CACHE_PARTIAL, 80 }, /* half a block is a miss too */
		      { 0, UINT64_MAX } }; /* as the system answers: values only */
	for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		colstore_reader *r;
		CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
		colstore_buffers *b = colstore_buffers_create();
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		colstore_chunk_info ch;
		CU_ASSERT_EQUAL(colstore_reader_chunk_info(r, 0, 0, &ch, NULL), COLSTORE_OK);
		CU_ASSERT_EQUAL(ch.blocks[COLSTORE_BLOCK_DATA].compression, COLSTORE_COMPRESSION_BITPACK);
		CU_ASSERT_TRUE(ch.blocks[COLSTORE_BLOCK_DATA].stored_size >= 16384);
		cs_test_cache = cases[t].mode;
		uint32_t wrong = 0;
		for (uint32_t g = 0; g < groups; g++) {
			colstore_values val;
			if (colstore_reader_values(r, g, 0, b, &val, NULL) != COLSTORE_OK ||
			    val.rows != rgs) {
				wrong++;
				continue;
			}
			for (uint32_t i = 0; i < rgs; i++)
				wrong += ((const int64_t *)val.data)[i] != v[(size_t)g * rgs + i];
		}
		cs_test_cache = 0;
		CU_ASSERT_EQUAL(wrong, 0);
		if (cases[t].calls != UINT64_MAX)
			CU_ASSERT_EQUAL(r->ahead_calls, cases[t].calls);
		colstore_buffers_free(b);
		colstore_reader_close(r);
	}
	unlink(path);
	free(v);
}

static void test_writer_misuse(void)
{
	const char *path = tu_path("misuse.colstore");
	colstore_writer *w;
	colstore_error e;
	colstore_writer_options bad = COLSTORE_WRITER_OPTIONS_INIT;
	bad.reserved[2] = 1;
	CU_ASSERT_EQUAL(colstore_writer_create(path, &bad, &w, &e), COLSTORE_EINVAL);
	CU_ASSERT_PTR_NULL(w);
	bad = (colstore_writer_options)COLSTORE_WRITER_OPTIONS_INIT;
	bad.row_group_size = COLSTORE_MAX_ROW_GROUP_SIZE + 1;
	CU_ASSERT_EQUAL(colstore_writer_create(path, &bad, &w, &e), COLSTORE_EINVAL);
	/* a failed put stores nothing: columns may still be added after it */
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "a", COLSTORE_TYPE_INT8, 0, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 0, 1000, &e), COLSTORE_ERANGE);
	CU_ASSERT_EQUAL(colstore_writer_put_double(w, 0, 1.0, &e), COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "b", COLSTORE_TYPE_INT8, 0, &e), COLSTORE_OK);
	colstore_writer_abort(w);
	CU_ASSERT_EQUAL(colstore_writer_create("/nonexistent-dir/x.colstore", NULL, &w, &e),
	                COLSTORE_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "cannot create temporary file"));

	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "a", COLSTORE_TYPE_INT8, 0, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "a", COLSTORE_TYPE_INT8, 0, &e), COLSTORE_EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "duplicate column name 'a'");
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "", COLSTORE_TYPE_INT8, 0, &e), COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "t", (colstore_type)42, 0, &e), COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "x", COLSTORE_TYPE_INT8, COLSTORE_COLUMN_DICT, &e),
	                COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, 0, &e), COLSTORE_OK);
	/* out of range for int8: ERANGE, nothing stored, retry works */
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 0, 300, &e), COLSTORE_ERANGE);
	CU_ASSERT_STRING_EQUAL(e.message, "value 300 does not fit column 'a' (int8)");
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 0, -128, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 0, 1, &e), COLSTORE_EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "column 'a' already has a value in this row");
	CU_ASSERT_EQUAL(colstore_writer_put_double(w, 0, 1.0, &e), COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 1, 1, &e), COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 7, 1, &e), COLSTORE_ERANGE);
	/* a row with a column missing */
	CU_ASSERT_EQUAL(colstore_writer_end_row(w, &e), COLSTORE_EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "row 0: column 's' has no value");
	CU_ASSERT_EQUAL(colstore_writer_add_column(w, "late", COLSTORE_TYPE_INT8, 0, &e),
	                COLSTORE_EINVAL);
	CU_ASSERT_EQUAL(colstore_writer_put_string(w, 1, "x", 1, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_end_row(w, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_num_rows(w), 1);
	/* batch: bool bytes must be 0 or 1 */
	CU_ASSERT_EQUAL(colstore_writer_put_int(w, 0, 1, &e), COLSTORE_OK);
	/* finish mid-row fails and leaves nothing behind */
	CU_ASSERT_EQUAL(colstore_writer_finish(w, &e), COLSTORE_EINVAL);
	CU_ASSERT_STRING_EQUAL(e.message, "finish in the middle of a row");
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), 0);
	colstore_writer_abort(NULL); /* no-op */
}

/* append_batch and the put calls write the same bytes: int16, float64,
 * bool and string columns with nulls whose value slots hold garbage and
 * whose string offsets span bytes (both ignored), an all-null int64 column
 * with values NULL, batches that cross row groups; and again with every
 * null string empty (the strings back to back, copied at once) */
static void test_batch_same_bytes(void)
{
	enum { N = 3000, RGS = 700 };
	static char put_path[512], b1_path[512]; /* tu_path() reuses its buffer */
	snprintf(put_path, sizeof(put_path), "%s", tu_path("put.colstore"));
	snprintf(b1_path, sizeof(b1_path), "%s", tu_path("batch1.colstore"));
	const char *paths[3] = { put_path, b1_path, tu_path("batch2.colstore") };
	static int16_t iv[N];
	static double fv[N];
	static uint8_t bv[N], valid[(N + 7) / 8], none[(N + 7) / 8];
	static uint64_t off[N + 1], off2[N + 1];
	static char bytes[N * 12], bytes2[N * 12];
	uint64_t x = 0x2545f4914f6cdd1dull, at = 0;
	for (uint32_t i = 0; i < N; i++) {
		tu_next(&x);
		int isnull = x % 5 == 0;
		/* a null just past the bytes where row groups start inside a
		 * batch (rows 700 and 2100, not on a byte boundary), after a byte
		 * with no null */
		if ((i >= 696 && i <= 703) || (i >= 2096 && i <= 2103))
			isnull = 0;
		if (i == 705 || i == 2105)
			isnull = 1;
		if (!isnull)
			valid[i / 8] |= (uint8_t)(1u << (i % 8));
		iv[i] = (int16_t)(x >> 20); /* a null's slot: garbage */
		fv[i] = (double)(x >> 40) / 8;
		bv[i] = isnull ? (uint8_t)(x >> 8) : (uint8_t)(x >> 9 & 1);
		off[i] = at;
		uint32_t len = (uint32_t)(x >> 30) % 12; /* a null's bytes too */
		for (uint32_t k = 0; k < len; k++)
			bytes[at++] = (char)('a' + (x >> (k * 4)) % 7);
	}
	off[N] = at;
	/* the same strings with each null's bytes left out */
	at = 0;
	for (uint32_t i = 0; i < N; i++) {
		off2[i] = at;
		if (valid[i / 8] >> (i % 8) & 1) {
			memcpy(bytes2 + at, bytes + off[i], off[i + 1] - off[i]);
			at += off[i + 1] - off[i];
		}
	}
	off2[N] = at;
	for (int way = 0; way < 3; way++) {
		colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
		o.row_group_size = RGS;
		colstore_writer *w;
		CU_ASSERT_EQUAL_FATAL(colstore_writer_create(paths[way], &o, &w, NULL), COLSTORE_OK);
		colstore_writer_add_column(w, "i", COLSTORE_TYPE_INT16, 0, NULL);
		colstore_writer_add_column(w, "f", COLSTORE_TYPE_FLOAT64, 0, NULL);
		colstore_writer_add_column(w, "b", COLSTORE_TYPE_BOOL, 0, NULL);
		colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, 0, NULL);
		colstore_writer_add_column(w, "n", COLSTORE_TYPE_INT64, 0, NULL);
		int rc = 0;
		if (way == 0) {
			for (uint32_t i = 0; i < N && !rc; i++) {
				int ok = valid[i / 8] >> (i % 8) & 1;
				rc |= ok ? colstore_writer_put_int(w, 0, iv[i], NULL)
				         : colstore_writer_put_null(w, 0, NULL);
				rc |= ok ? colstore_writer_put_double(w, 1, fv[i], NULL)
				         : colstore_writer_put_null(w, 1, NULL);
				rc |= ok ? colstore_writer_put_int(w, 2, bv[i], NULL)
				         : colstore_writer_put_null(w, 2, NULL);
				rc |= ok ? colstore_writer_put_string(w, 3, bytes + off[i], off[i + 1] - off[i],
				                                      NULL)
				         : colstore_writer_put_null(w, 3, NULL);
				rc |= colstore_writer_put_null(w, 4, NULL);
				rc |= colstore_writer_end_row(w, NULL);
			}
		} else {
			/* in batches of 1,000 rows and a last short one */
			for (uint32_t from = 0; from < N && !rc; from += 1000) {
				uint32_t k = N - from < 1000 ? N - from : 1000;
				/* validity bitmaps start at row 0 of a batch: copy the bits */
				static uint8_t vb[(1000 + 7) / 8];
				memset(vb, 0, sizeof(vb));
				for (uint32_t j = 0; j < k; j++)
					if (valid[(from + j) / 8] >> ((from + j) % 8) & 1)
						vb[j / 8] |= (uint8_t)(1u << (j % 8));
				colstore_array a[5] = { { iv + from, NULL, vb },
					                { fv + from, NULL, vb },
					                { bv + from, NULL, vb },
					                { way == 1 ? bytes : bytes2,
					                  (way == 1 ? off : off2) + from, vb },
					                { NULL, NULL, none } };
				rc = colstore_writer_append_batch(w, a, k, NULL);
			}
		}
		CU_ASSERT_EQUAL(rc, COLSTORE_OK);
		CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	}
	for (int way = 1; way < 3; way++) {
		size_t na, nb;
		unsigned char *a = tu_read_file(paths[0], &na), *b = tu_read_file(paths[way], &nb);
		CU_ASSERT_TRUE(a && b && na == nb && memcmp(a, b, na) == 0);
		free(a);
		free(b);
		unlink(paths[way]);
	}
	unlink(paths[0]);
}

static void test_batch_rules(void)
{
	const char *path = tu_path("batch.colstore");
	colstore_writer *w;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, &e), COLSTORE_OK);
	colstore_writer_add_column(w, "b", COLSTORE_TYPE_BOOL, 0, NULL);
	colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, 0, NULL);
	uint8_t bv[3] = { 1, 2, 0 };
	uint64_t off[4] = { 0, 1, 2, 3 };
	colstore_array a[2] = { { bv, NULL, NULL }, { "xyz", off, NULL } };
	CU_ASSERT_EQUAL(colstore_writer_append_batch(w, a, 3, &e), COLSTORE_ERANGE);
	CU_ASSERT_STRING_EQUAL(e.message, "column 'b' row 1: bool byte 2 is not 0 or 1");
	bv[1] = 1;
	off[2] = 0; /* decreasing */
	CU_ASSERT_EQUAL(colstore_writer_append_batch(w, a, 3, &e), COLSTORE_EINVAL);
	off[2] = 2;
	CU_ASSERT_EQUAL(colstore_writer_append_batch(w, a, 3, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_num_rows(w), 3);
	/* the value slots of null rows are ignored, even out of range */
	uint8_t garbage[3] = { 1, 0xaa, 0 }, valid = 0x05, none = 0;
	colstore_array g[2] = { { garbage, NULL, &valid }, { NULL, NULL, &none } };
	uint64_t zoff[4] = { 0, 0, 0, 0 };
	g[1].offsets = zoff;
	CU_ASSERT_EQUAL(colstore_writer_append_batch(w, g, 3, &e), COLSTORE_OK);
	/* values may be NULL when every row is null */
	colstore_array nul[2] = { { NULL, NULL, &none }, { NULL, zoff, &none } };
	CU_ASSERT_EQUAL(colstore_writer_append_batch(w, nul, 3, &e), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_writer_finish(w, &e), COLSTORE_OK);
	int rc;
	char *t = tu_lib_dump_file(path, &rc, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "r0 c0 true\nr0 c1 \"x\"\nr1 c0 true\nr1 c1 \"y\"\n"
	                                 "r2 c0 false\nr2 c1 \"z\"\n"
	                                 "r3 c0 true\nr3 c1 null\nr4 c0 null\nr4 c1 null\n"
	                                 "r5 c0 false\nr5 c1 null\nr6 c0 null\n"));
	free(t);
	unlink(path);
}

/* crash safety: nothing at the target until finish; abort keeps the old file */
static void test_atomic_replace(void)
{
	static const tu_col cols[] = { { "v", COLSTORE_TYPE_INT32, 0, 0, 0 } };
	const char *path = tu_path("atomic.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, 1, 10, NULL, 0, NULL), COLSTORE_OK);
	size_t before_size;
	unsigned char *before = tu_read_file(path, &before_size);
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, NULL, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "v", COLSTORE_TYPE_INT32, 0, NULL);
	for (int i = 0; i < 100000; i++) {
		colstore_writer_put_int(w, 0, i, NULL);
		colstore_writer_end_row(w, NULL);
	}
	/* mid-write: the old file is intact, a temporary file sits beside it */
	size_t mid_size;
	unsigned char *mid = tu_read_file(path, &mid_size);
	CU_ASSERT_TRUE(mid_size == before_size && memcmp(mid, before, before_size) == 0);
	CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), 2);
	colstore_writer_abort(w);
	CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), 1);
	free(mid);
	mid = tu_read_file(path, &mid_size);
	CU_ASSERT_TRUE(mid_size == before_size && memcmp(mid, before, before_size) == 0);
	/* a finished writer replaces it */
	CU_ASSERT_EQUAL(tu_write(path, cols, 1, 1000, NULL, 0, NULL), COLSTORE_OK);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open(path, NULL, &r, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_num_rows(r), 1000);
	colstore_reader_close(r);
	CU_ASSERT_EQUAL(tu_dir_entries(tu_dir()), 1);
	struct stat st;
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	mode_t mask = umask(022);
	umask(mask);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0666 & ~mask); /* as open(2) would create it */
	free(mid);
	free(before);
	unlink(path);
}

static void test_reader_misuse(void)
{
	colstore_reader *r = (colstore_reader *)1;
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_reader_open(tu_path("missing.colstore"), NULL, &r, &e),
	                COLSTORE_ENOTFOUND);
	CU_ASSERT_PTR_NULL(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "No such file or directory"));
	colstore_reader_options o = COLSTORE_READER_OPTIONS_INIT;
	o.flags = 0x100;
	static const tu_col cols[] = { { "v", COLSTORE_TYPE_INT32, 0, 0, 0 } };
	const char *path = tu_path("ropt.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, 1, 10, NULL, 0, NULL), COLSTORE_OK);
	CU_ASSERT_EQUAL(colstore_reader_open(path, &o, &r, &e), COLSTORE_EINVAL);
	o.flags = COLSTORE_OPEN_NO_BLOCK_CHECKSUMS;
	CU_ASSERT_EQUAL(colstore_reader_open(path, &o, &r, &e), COLSTORE_OK);
	colstore_reader_close(r);
	CU_ASSERT_EQUAL(colstore_reader_open(tu_dir(), NULL, &r, &e), COLSTORE_EIO);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "is a directory, not a file"));
	unlink(path);
}

void register_roundtrip_tests(void)
{
	init_nulls();
	CU_pSuite s = CU_add_suite("roundtrip", NULL, NULL);
	CU_add_test(s, "every type", test_all_types);
	CU_add_test(s, "every type, LZ4", test_all_types_lz4);
	CU_add_test(s, "every type with nulls", test_nulls);
	CU_add_test(s, "every type with nulls, LZ4", test_nulls_lz4);
	CU_add_test(s, "batch appends across row groups", test_batch);
	CU_add_test(s, "BITPACK and DECIMAL codecs", test_pack);
	CU_add_test(s, "the file written in pieces of any size: the same bytes", test_write_pieces);
	CU_add_test(s, "the writeback of what is written started every 4 MiB", test_write_behind);
	CU_add_test(s, "0, 1, rgs, rgs+1 rows", test_edges);
	CU_add_test(s, "all-null columns", test_all_null);
	CU_add_test(s, "string encodings and code widths", test_string_encodings);
	CU_add_test(s, "statistics", test_stats);
	CU_add_test(s, "string min/max per chunk, small and large dictionaries", test_string_stats);
	CU_add_test(s, "append_batch and the put calls write the same bytes", test_batch_same_bytes);
	CU_add_test(s, "packed ranges of two files read in turn through one buffers", test_ranges_staged);
	CU_add_test(s, "chunks read ahead only after a block the page cache did not hold",
	            test_read_ahead_on_miss);
	CU_add_test(s, "zero-copy and compressed blocks", test_zero_copy);
	CU_add_test(s, "lists of names: quotes, spaces, errors that list the columns", test_name_lists);
	CU_add_test(s, "writer misuse", test_writer_misuse);
	CU_add_test(s, "batch validation", test_batch_rules);
	CU_add_test(s, "atomic replace and abort", test_atomic_replace);
	CU_add_test(s, "reader misuse", test_reader_misuse);
}
