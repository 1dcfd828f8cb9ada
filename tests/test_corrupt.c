/*
 * test_corrupt.c -- damaged and hostile files: every single-byte flip and
 * every truncation of a multi-row-group file with every type must give an
 * error (verify always notices; a read that succeeds returns the original
 * values), and hand-made hostile files with valid checksums give a specific
 * code and message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include <sys/resource.h>
#include <sys/wait.h>

#include "internal.h"
#include "testutil.h"

static const tu_col cols[] = {
	{ "i8", COLSTORE_TYPE_INT8, 0, 4, 0 },
	{ "i64", COLSTORE_TYPE_INT64, 0, 0, 0 },
	{ "f32", COLSTORE_TYPE_FLOAT32, 0, 5, 0 },
	{ "flag", COLSTORE_TYPE_BOOL, 0, 3, 0 },
	{ "s", COLSTORE_TYPE_STRING, 0, 6, 5 },
	{ "p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 7, 0 },
	{ "day", COLSTORE_TYPE_DATE, 0, 0, 300 },
	{ "price", COLSTORE_TYPE_FLOAT64, 0, 3, 10000 },
};
#define NCOLS 8

static unsigned char *make_file(uint32_t compression, size_t *size, char **dump)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 16;
	o.compression = compression;
	const char *path = tu_path("sweep.colstore");
	if (tu_write(path, cols, NCOLS, 40, &o, 0, NULL))
		return NULL;
	unsigned char *p = tu_read_file(path, size);
	int rc;
	*dump = tu_lib_dump_file(path, &rc, NULL);
	unlink(path);
	return p;
}

/* open + full read + verify of a damaged copy */
static void check_damaged(const unsigned char *p, size_t n, const char *orig, int *undetected,
                          int *wrong)
{
	colstore_reader *r;
	if (colstore_reader_open_memory(p, n, NULL, &r, NULL) != COLSTORE_OK)
		return; /* rejected on open */
	int rc;
	char *d = tu_lib_dump(r, &rc, NULL);
	if (d && strcmp(d, orig) != 0)
		(*wrong)++; /* values returned as success, but different */
	if (colstore_reader_verify(r, NULL) == COLSTORE_OK)
		(*undetected)++;
	free(d);
	colstore_reader_close(r);
}

static void sweep(uint32_t compression)
{
	size_t n;
	char *orig;
	unsigned char *good = make_file(compression, &n, &orig);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
	unsigned char *p = malloc(n);
	int undetected = 0, wrong = 0, flips = 0;
	const uint8_t masks[] = { 0x01, 0x80, 0xff };
	for (size_t i = 0; i < n; i++)
		for (unsigned m = 0; m < sizeof(masks); m++) {
			memcpy(p, good, n);
			p[i] ^= masks[m];
			check_damaged(p, n, orig, &undetected, &wrong);
			flips++;
		}
	CU_ASSERT_EQUAL(undetected, 0);
	CU_ASSERT_EQUAL(wrong, 0);
	if (undetected || wrong)
		fprintf(stderr, "\n  %d of %d flips undetected by verify, %d read wrong values\n",
		        undetected, flips, wrong);
	/* truncation at every length: always refused on open */
	int accepted = 0;
	for (size_t len = 0; len < n; len++) {
		colstore_reader *r;
		memcpy(p, good, len);
		if (colstore_reader_open_memory(p, len, NULL, &r, NULL) == COLSTORE_OK) {
			accepted++;
			colstore_reader_close(r);
		}
	}
	CU_ASSERT_EQUAL(accepted, 0);
	free(p);
	free(good);
	free(orig);
}

/* A 2.0 file: 25 rows, then 15 appended.  A flip in the bytes the file's
 * earlier version left (its dictionaries and footer) may go unnoticed, but
 * never changes a value; a flip in the header, the live footer or the
 * trailer is refused.  A cut at every length is refused, but at the end of
 * the earlier version, where its trailer is whole: that reads as it was
 * (format-spec.md R14.3, §14). */
static void test_flip_sweep_appended(void)
{
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 16;
	o.compression = COLSTORE_WRITE_PACK;
	char path[512];
	snprintf(path, sizeof(path), "%s", tu_path("sweep2.colstore"));
	CU_ASSERT_EQUAL_FATAL(tu_write(path, cols, NCOLS, 25, &o, 0, NULL), COLSTORE_OK);
	size_t n0, n;
	unsigned char *v1 = tu_read_file(path, &n0);
	int rc;
	char *old = tu_lib_dump_file(path, &rc, NULL);
	CU_ASSERT_EQUAL_FATAL(tu_append(path, cols, NCOLS, 25, 40, NULL, NULL), COLSTORE_OK);
	unsigned char *good = tu_read_file(path, &n);
	char *orig = tu_lib_dump_file(path, &rc, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
	uint64_t fsize = 0;
	for (int k = 0; k < 8; k++)
		fsize |= (uint64_t)good[n - 24 + k] << (8 * k);
	unsigned char *p = malloc(n);
	int undetected = 0, wrong = 0, live = 0;
	const uint8_t masks[] = { 0x01, 0x80, 0xff };
	for (size_t i = 0; i < n; i++)
		for (unsigned m = 0; m < sizeof(masks); m++) {
			memcpy(p, good, n);
			p[i] ^= masks[m];
			int before = undetected;
			check_damaged(p, n, orig, &undetected, &wrong);
			if (undetected > before && (i < 64 || i >= n - 40 - fsize))
				live++;
		}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(live, 0);
	CU_ASSERT_TRUE(undetected > 0); /* the earlier version's bytes are there */
	if (wrong || live)
		fprintf(stderr, "\n  %d flips read wrong values, %d in live bytes undetected\n", wrong,
		        live);
	int accepted = 0, as_old = 0;
	for (size_t len = 0; len < n; len++) {
		colstore_reader *r;
		memcpy(p, good, len);
		if (colstore_reader_open_memory(p, len, NULL, &r, NULL) == COLSTORE_OK) {
			accepted++;
			char *d = tu_lib_dump(r, &rc, NULL);
			as_old += len == n0 && d && old && strcmp(d, old) == 0;
			free(d);
			colstore_reader_close(r);
		}
	}
	CU_ASSERT_EQUAL(accepted, 1);
	CU_ASSERT_EQUAL(as_old, 1);
	free(p);
	free(good);
	free(v1);
	free(old);
	free(orig);
	unlink(path);
}

static void test_flip_sweep(void) { sweep(COLSTORE_COMPRESSION_NONE); }
static void test_flip_sweep_lz4(void) { sweep(COLSTORE_COMPRESSION_LZ4); }
static void test_flip_sweep_pack(void) { sweep(COLSTORE_WRITE_PACK); }

/* ---- hostile files with valid checksums ------------------------------------ */

typedef struct hfile {
	unsigned char *p;
	size_t n;
	uint64_t fo, fsize; /* footer */
} hfile;

static void hopen(hfile *h)
{
	char *dump;
	h->p = make_file(COLSTORE_COMPRESSION_NONE, &h->n, &dump);
	free(dump);
	h->fo = cs_le64(h->p + h->n - 32);
	h->fsize = cs_le64(h->p + h->n - 24);
}

/* recompute the footer checksum and the trailer after an edit */
static void hseal(hfile *h)
{
	cs_trailer_encode(h->p + h->n - 40, h->fo, h->fsize, cs_xxh3(h->p + h->fo, h->fsize));
}

/* file offset of chunk descriptor (g, c): after the fixed part and columns */
static uint64_t hchunk(const hfile *h, uint32_t g, uint32_t c)
{
	uint64_t pos = h->fo + CS_FOOTER_FIXED;
	for (unsigned i = 0; i < NCOLS; i++)
		pos += cs_column_entry_size(cs_le16(h->p + pos + 2));
	return pos + ((uint64_t)g * NCOLS + c) * CS_CHUNK_DESC_SIZE;
}

static int hresult(hfile *h, colstore_error *e, int verify)
{
	colstore_reader *r;
	int rc = colstore_reader_open_memory(h->p, h->n, NULL, &r, e);
	if (rc == COLSTORE_OK && verify) {
		rc = colstore_reader_verify(r, e);
		colstore_reader_close(r);
	} else if (rc == COLSTORE_OK) {
		colstore_reader_close(r);
	}
	return rc;
}

static void test_hostile_footer(void)
{
	hfile h;
	colstore_error e;
	hopen(&h);
	CU_ASSERT_EQUAL_FATAL(hresult(&h, &e, 1), COLSTORE_OK);
	unsigned char *orig = malloc(h.n);
	memcpy(orig, h.p, h.n);

	/* a huge column count */
	cs_st32(h.p + h.fo + 8, 65536);
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "num_columns 65536 outside 1..65535 (§5.2)");
	CU_ASSERT_EQUAL(e.offset, h.fo + 8);
	memcpy(h.p, orig, h.n);

	/* rows that the row groups cannot hold */
	cs_st64(h.p + h.fo, 1ull << 40);
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "num_row_groups 3, but 1099511627776 rows in groups "
	                                  "of 16 need 68719476736 (§5.2)");
	memcpy(h.p, orig, h.n);

	/* a block that claims to run to the end of the address space */
	uint64_t d = hchunk(&h, 1, 1) + 72; /* data block of (1, i64) */
	cs_st64(h.p + d, UINT64_MAX - 63);
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "row group 1 column 1 data block: block"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "runs past the footer"));
	CU_ASSERT_EQUAL(e.offset, d);
	memcpy(h.p, orig, h.n);

	/* a reserved byte of a block descriptor, each of the seven: the offset
	 * names that byte */
	for (unsigned k = 33; k < CS_BLOCK_DESC_SIZE; k++) {
		h.p[d + k] = (unsigned char)(1u << (k % 8));
		hseal(&h);
		CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
		CU_ASSERT_STRING_EQUAL(e.message, "row group 1 column 1 data block: reserved bytes "
		                                  "of block descriptor not zero");
		CU_ASSERT_EQUAL(e.offset, d + k);
		memcpy(h.p, orig, h.n);
	}
	/* two of them: the offset names the first */
	h.p[d + 35] = 1;
	h.p[d + 38] = 1;
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_EQUAL(e.offset, d + 35);
	memcpy(h.p, orig, h.n);
	/* an absent block (the validity bitmap of a column without nulls) made
	 * present by any one of its 40 bytes, the compression byte and the
	 * reserved ones among them */
	uint64_t v = hchunk(&h, 1, 1) + 32;
	for (unsigned k = 0; k < CS_BLOCK_DESC_SIZE; k++) {
		CU_ASSERT_EQUAL(h.p[v + k], 0);
		h.p[v + k] = 0x40;
		hseal(&h);
		CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "row group 1 column 1 validity block"));
		memcpy(h.p, orig, h.n);
	}

	/* a wrong raw size for the type */
	cs_st64(h.p + d + 8, 8 * 16 + 8);
	cs_st64(h.p + d + 16, 8 * 16 + 8);
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "row group 1 column 1 data block: raw size 136, "
	                                  "expected 128 (R5.5.4)");
	memcpy(h.p, orig, h.n);

	/* null_count says nulls but no validity bitmap */
	cs_st32(h.p + hchunk(&h, 0, 1) + 4, 3);
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message,
	                       "row group 0 column 1 validity block: must be present (R5.4, R9.1.1)");
	memcpy(h.p, orig, h.n);

	/* a column name with a NUL byte */
	h.p[h.fo + CS_FOOTER_FIXED + CS_COLUMN_ENTRY_FIXED] = 0;
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "column 0: name contains a NUL byte (R5.3.4)");
	memcpy(h.p, orig, h.n);

	/* an unknown type tag */
	h.p[h.fo + CS_FOOTER_FIXED] = 11;
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "column 0: unknown type tag 11 (R5.3.1)");
	free(orig);
	free(h.p);
}

static void test_hostile_blocks(void)
{
	hfile h;
	colstore_error e;
	hopen(&h);
	/* a dictionary code beyond the dictionary, with a valid block checksum */
	uint64_t d = hchunk(&h, 0, 4) + 72;
	uint64_t off = cs_le64(h.p + d), len = cs_le64(h.p + d + 8);
	CU_ASSERT_EQUAL(h.p[d + 32], COLSTORE_COMPRESSION_NONE);
	h.p[off + 2] = 200; /* 1-byte codes, 5-entry dictionary */
	cs_st64(h.p + d + 24, cs_xxh3(h.p + off, len));
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_OK); /* the footer is fine */
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "row group 0 column 's' data block: code 200 outside "
	                                  "the dictionary of 5 entries (R9.4.2)");
	CU_ASSERT_EQUAL(e.offset, off);
	free(h.p);

	/* PLAIN string offsets that go backwards */
	hopen(&h);
	d = hchunk(&h, 0, 5) + 72;
	off = cs_le64(h.p + d);
	len = cs_le64(h.p + d + 8);
	cs_st32(h.p + off + 8, 0xffffff);
	cs_st64(h.p + d + 24, cs_xxh3(h.p + off, len));
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "string offsets are not 0, nondecreasing"));
	free(h.p);

	/* a validity bitmap whose nulls disagree with null_count */
	hopen(&h);
	d = hchunk(&h, 0, 0) + 32;
	off = cs_le64(h.p + d);
	h.p[off] ^= 0x01;
	cs_st64(h.p + d + 24, cs_xxh3(h.p + off, 2));
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "nulls, descriptor says 4 (R9.1.1)"));
	free(h.p);

	/* a plain data flip: checksum names the block */
	hopen(&h);
	d = hchunk(&h, 2, 1) + 72;
	off = cs_le64(h.p + d);
	h.p[off + 3] ^= 0x10;
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECHECKSUM);
	char want[160];
	snprintf(want, sizeof(want),
	         "row group 2 column 'i64' data block: checksum mismatch (bytes [%llu, %llu))",
	         (unsigned long long)off, (unsigned long long)(off + 8 * 8));
	CU_ASSERT_STRING_EQUAL(e.message, want);
	free(h.p);

	/* a nonzero padding byte: only verify can see it */
	hopen(&h);
	uint64_t blk = cs_le64(h.p + hchunk(&h, 0, 1) + 72); /* 16 x i64 = 128 bytes */
	h.p[blk + 128 + 5] = 1;
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_OK);
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "is not zero (R4.2)"));
	CU_ASSERT_EQUAL(e.offset, blk + 128 + 5);
	free(h.p);
}

/* R4.3: an empty block overlaps nothing, even placed inside another block */
/* Statistics that lie, behind a valid footer checksum: verify names the
 * chunk; a dense group-by sized from them fails naming the chunk instead
 * of writing past its array (one pass) or dropping groups (several). */
static void test_lying_statistics(void)
{
	hfile h;
	colstore_error e;
	hopen(&h);
	uint32_t groups = 3; /* 40 rows of 16 */
	for (uint32_t g = 0; g < groups; g++) {
		uint64_t d = hchunk(&h, g, 0); /* i8: values across all of int8 */
		CU_ASSERT_EQUAL(h.p[d + 10] & CS_STATS_MINMAX, CS_STATS_MINMAX);
		cs_st64(h.p + d + 16, 0);
		cs_st64(h.p + d + 24, 1);
	}
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 0), COLSTORE_OK); /* the footer is well formed */
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "row group 0 column 'i8': statistics: min and max "
	                                         "say [0, 1], the values span ["));
	CU_ASSERT_EQUAL(e.offset, hchunk(&h, 0, 0));
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(h.p, h.n, NULL, &r, &e), COLSTORE_OK);
	for (int multipass = 0; multipass <= 1; multipass++) {
		colstore_agg *a;
		CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*)", "i8", NULL, &a, &e), COLSTORE_OK);
		colstore_agg_set_threads(a, multipass ? 2 : 1);
		CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_ECORRUPT);
		CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "column 'i8': a value lies outside the range "
		                                         "[0, 1] that the file's statistics give"));
		colstore_agg_free(a);
	}
	colstore_reader_close(r);
	/* keys spread over a million values: under a small memory limit the
	 * dense group-by makes several passes, each over a range of keys */
	const char *path = tu_path("wide.colstore");
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 1000;
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, NULL), COLSTORE_OK);
	colstore_writer_add_column(w, "k", COLSTORE_TYPE_INT32, 0, NULL);
	for (int i = 0; i < 4000; i++) {
		colstore_writer_put_int(w, 0, (int64_t)(i * 7919 % 4000) * 250, NULL);
		colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	size_t n;
	unsigned char *p = tu_read_file(path, &n);
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(p, n, NULL, &r, &e), COLSTORE_OK);
	uint64_t at[4];
	for (uint32_t g = 0; g < 4; g++)
		at[g] = cs_chunk_desc_offset(r, g, 0);
	colstore_reader_close(r);
	uint64_t fo = cs_le64(p + n - 32), fsize = cs_le64(p + n - 24);
	for (uint32_t g = 0; g < 4; g++)
		cs_st64(p + at[g] + 24, 500000); /* values go up to 999,750 */
	cs_trailer_encode(p + n - 40, fo, fsize, cs_xxh3(p + fo, fsize));
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(p, n, NULL, &r, &e), COLSTORE_OK);
	colstore_agg *a;
	CU_ASSERT_EQUAL_FATAL(colstore_agg_create(r, "count(*)", "k", NULL, &a, &e), COLSTORE_OK);
	colstore_agg_set_memory_limit(a, 256u << 10);
	CU_ASSERT_EQUAL(colstore_agg_run(a, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "column 'k': a value lies outside the range "
	                                         "[0, 500000] that the file's statistics give"));
	CU_ASSERT(colstore_agg_passes(a) > 1);
	colstore_agg_free(a);
	colstore_reader_close(r);
	free(p);
	unlink(path);
	/* the float statistics and the NaN flag likewise */
	free(h.p);
	hopen(&h);
	uint64_t d = hchunk(&h, 1, 7); /* price */
	h.p[d + 10] |= CS_STATS_NAN;
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "row group 1 column 'price': statistics: the NaN flag is "
	                                  "set, but no value is NaN (§5.6)");
	/* a string maximum that is not the greatest string */
	free(h.p);
	hopen(&h);
	d = hchunk(&h, 0, 4);
	cs_st64(h.p + d + 24, cs_le64(h.p + d + 16)); /* max := min */
	hseal(&h);
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_ECORRUPT);
	CU_ASSERT_STRING_EQUAL(e.message, "row group 0 column 's': statistics: min and max are not "
	                                  "the least and greatest string of the chunk (§5.6)");
	free(h.p);
}

/* A file overwritten in place while it is read: the dictionary offsets were
 * checked when first used, then change under the reader; a lookup says so
 * instead of handing out a string that runs anywhere. */
static void test_dictionary_changed_while_read(void)
{
	hfile h;
	colstore_error e;
	hopen(&h);
	colstore_reader *r;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(h.p, h.n, NULL, &r, &e), COLSTORE_OK);
	const char *s;
	uint32_t len;
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 4, 1, &s, &len, &e), COLSTORE_OK);
	CU_ASSERT(len > 0);
	colstore_column_info ci;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_column_info(r, 4, &ci, NULL), COLSTORE_OK);
	/* the offsets block: the column entry's dict_offsets descriptor */
	uint64_t entry = h.fo + CS_FOOTER_FIXED;
	for (unsigned i = 0; i < 4; i++)
		entry += cs_column_entry_size(cs_le16(h.p + entry + 2));
	uint64_t offs = cs_le64(h.p + entry + 8);
	cs_st32(h.p + offs + 8, 0xfffffff0u); /* entry 1 now "ends" 4 GB on */
	CU_ASSERT_EQUAL(colstore_reader_dict_lookup(r, 4, 1, &s, &len, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "column 's': dictionary offsets changed since they "
	                                         "were checked"));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_STRING_EQUAL(s, "");
	/* the library's own users of the dictionary stay in bounds too */
	char *cell = tu_agg_text(r, "count(*),min(s),max(s)", "s", NULL, 1, 0, NULL, NULL);
	free(cell);
	/* a plain string column's offsets, checked once, then changed in place:
	 * handed out as a copy checked again, never as a bound to read past */
	colstore_buffers *b = colstore_buffers_create();
	colstore_values v;
	CU_ASSERT_EQUAL(colstore_reader_values(r, 0, 5, b, &v, &e), COLSTORE_OK);
	uint64_t pd = hchunk(&h, 0, 5) + 72;
	CU_ASSERT_EQUAL(h.p[pd + 32], COLSTORE_COMPRESSION_NONE);
	cs_st32(h.p + cs_le64(h.p + pd) + 8, 0x7ffffff0u); /* row 2 starts 2 GB on */
	CU_ASSERT_EQUAL(colstore_reader_values(r, 0, 5, b, &v, &e), COLSTORE_ECORRUPT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "row group 0 column 'p': string offsets changed since "
	                                         "they were checked"));
	colstore_buffers_free(b);
	colstore_reader_close(r);
	free(h.p);
}

/* A decompression bomb that verifies: 16 bit-packed int64 columns of one
 * row group of 2^24 rows, each block 16 bytes (bit width 0) that expands to
 * 128 MiB: 2 GiB in all if decoded whole.  verify, a filter, an
 * aggregation and reading the first rows must stay within a bounded memory
 * (measured in a child process) and give the right answers. */
static void test_packed_bomb(void)
{
	enum { NC = 16 };
	const uint32_t big = 1u << 24;
	const char *path = tu_path("bomb.colstore");
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 64;
	o.compression = COLSTORE_WRITE_PACK;
	colstore_writer *w;
	CU_ASSERT_EQUAL_FATAL(colstore_writer_create(path, &o, &w, NULL), COLSTORE_OK);
	for (int c = 0; c < NC; c++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", c);
		colstore_writer_add_column(w, name, COLSTORE_TYPE_INT64, 0, NULL);
	}
	for (int i = 0; i < 64; i++) {
		for (int c = 0; c < NC; c++)
			colstore_writer_put_int(w, (uint32_t)c, 0, NULL);
		colstore_writer_end_row(w, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(colstore_writer_finish(w, NULL), COLSTORE_OK);
	size_t n;
	unsigned char *p = tu_read_file(path, &n);
	unlink(path);
	colstore_reader *r;
	colstore_error e;
	CU_ASSERT_EQUAL_FATAL(colstore_reader_open_memory(p, n, NULL, &r, &e), COLSTORE_OK);
	uint64_t at[NC];
	for (uint32_t c = 0; c < NC; c++) {
		at[c] = cs_chunk_desc_offset(r, 0, c);
		CU_ASSERT_EQUAL(p[at[c] + 72 + 32], COLSTORE_COMPRESSION_BITPACK);
	}
	colstore_reader_close(r);
	uint64_t fo = cs_le64(p + n - 32), fsize = cs_le64(p + n - 24);
	cs_st64(p + fo, big);      /* num_rows */
	cs_st32(p + fo + 16, big); /* row_group_size */
	for (uint32_t c = 0; c < NC; c++) {
		cs_st32(p + at[c], big);                       /* row_count */
		cs_st64(p + at[c] + 72 + 16, (uint64_t)big * 8); /* raw_size */
	}
	cs_trailer_encode(p + n - 40, fo, fsize, cs_xxh3(p + fo, fsize));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		colstore_reader *cr;
		if (colstore_reader_open_memory(p, n, NULL, &cr, NULL) || colstore_reader_verify(cr, NULL))
			_exit(2);
		char *cell = tu_agg_text(cr, "count(*),sum(c0),max(c15)", "c1", "c2 = 0 and c3 < 5", 2, 0,
		                         NULL, NULL);
		bad |= !cell || !tu_starts_with(cell, "0:0:0000000000000000:\"\"|0:16777216:");
		free(cell);
		colstore_buffers *b = colstore_buffers_create();
		for (uint32_t c = 0; c < NC && b; c++) {
			colstore_values v;
			bad |= colstore_reader_values_range(cr, 0, c, b, 0, 64, &v, NULL) != COLSTORE_OK ||
			        v.rows != 64 || ((const int64_t *)v.data)[63] != 0;
		}
		colstore_buffers_free(b);
		colstore_reader_close(cr);
		_exit(bad ? 3 : 0);
	}
	int status = 0;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "\n  the bomb's child: status %d\n", status);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	CU_ASSERT(ru.ru_maxrss < 600 * 1024); /* KiB: far below the 2 GiB the blocks claim */
	if (ru.ru_maxrss >= 600 * 1024 || getenv("CS_VERBOSE"))
		fprintf(stderr, "\n  the bomb's child peaked at %ld KiB\n", ru.ru_maxrss);
	free(p);
}

static void test_empty_block_inside(void)
{
	static const tu_col c[] = { { "e", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, 0, 1 } };
	const char *path = tu_path("empty.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write(path, c, 1, 100, NULL, 0, NULL), COLSTORE_OK); /* all "" */
	hfile h;
	h.p = tu_read_file(path, &h.n);
	h.fo = cs_le64(h.p + h.n - 32);
	h.fsize = cs_le64(h.p + h.n - 24);
	uint64_t d = h.fo + CS_FOOTER_FIXED + cs_column_entry_size(1) + 112; /* extra block */
	CU_ASSERT_EQUAL(cs_le64(h.p + d + 8), 0); /* stored_size 0 */
	cs_st64(h.p + d, 128); /* inside the 404-byte offsets block at 64 */
	hseal(&h);
	colstore_error e;
	CU_ASSERT_EQUAL(hresult(&h, &e, 1), COLSTORE_OK);
	free(h.p);
	unlink(path);
}

static void test_incomplete_file(void)
{
	/* a file cut short, on disk: rejected on open as incomplete */
	size_t n;
	char *dump;
	unsigned char *p = make_file(COLSTORE_COMPRESSION_NONE, &n, &dump);
	const char *path = tu_path("cut.colstore");
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, p, n - 1), 0);
	colstore_reader *r;
	colstore_error e;
	CU_ASSERT_EQUAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_ETRUNCATED);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "file is incomplete or truncated: no trailer"));
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, p, 100), 0);
	CU_ASSERT_EQUAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_ETRUNCATED);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "shorter than the smallest colstore file"));
	/* not a colstore file at all: said so, with what it looks like */
	static const struct {
		const char *bytes;
		size_t len;
		const char *message;
	} foreign[] = {
		{ "hello, world\n", 13, "not a colstore file: it is text (a CSV file? colstore import "
		                        "makes a colstore file of one)" },
		{ "", 0, "not a colstore file: it is an empty file" },
		{ "\x1f\x8b\x08\x00\x00", 5, "not a colstore file: it is gzip-compressed data" },
		{ "\x28\xb5\x2f\xfd\x00", 5, "not a colstore file: it is zstd-compressed data" },
		{ "PAR1\x15\x00", 6, "not a colstore file: it is a Parquet file" },
		{ "ARROW1\0\0", 8, "not a colstore file: it is an Arrow IPC file" },
		{ "\x89" "COLS\0\n", 7, "not a colstore file: it does not start with the colstore "
		                         "magic bytes" },
	};
	for (size_t k = 0; k < sizeof(foreign) / sizeof(foreign[0]); k++) {
		CU_ASSERT_EQUAL_FATAL(tu_write_file(path, foreign[k].bytes, foreign[k].len), 0);
		CU_ASSERT_EQUAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_ENOTCOLSTORE);
		CU_ASSERT_STRING_EQUAL(e.message, foreign[k].message);
		CU_ASSERT_EQUAL(colstore_reader_open_memory(foreign[k].bytes, foreign[k].len, NULL, &r, &e),
		                COLSTORE_ENOTCOLSTORE);
		CU_ASSERT_STRING_EQUAL(e.message, foreign[k].message);
	}
	CU_ASSERT_STRING_EQUAL(colstore_strerror(COLSTORE_ENOTCOLSTORE), "not a colstore file");
	memset(p, 'x', 200);
	CU_ASSERT_EQUAL_FATAL(tu_write_file(path, p, n), 0);
	CU_ASSERT_EQUAL(colstore_reader_open(path, NULL, &r, &e), COLSTORE_ENOTCOLSTORE);
	unlink(path);
	free(p);
	free(dump);
}

void register_corrupt_tests(void)
{
	CU_pSuite s = CU_add_suite("corrupt", NULL, NULL);
	CU_add_test(s, "every byte flipped (3 masks) and every truncation", test_flip_sweep);
	CU_add_test(s, "the same, LZ4 blocks", test_flip_sweep_lz4);
	CU_add_test(s, "the same, BITPACK and DECIMAL blocks", test_flip_sweep_pack);
	CU_add_test(s, "an appended file: flips in its earlier version's bytes harmless, the rest "
	               "refused; a cut only at the earlier end", test_flip_sweep_appended);
	CU_add_test(s, "hostile footers with valid checksums", test_hostile_footer);
	CU_add_test(s, "statistics that lie: verify names them, agg refuses them", test_lying_statistics);
	CU_add_test(s, "dictionary offsets changed while the file is read", test_dictionary_changed_while_read);
	CU_add_test(s, "a 16-byte block that claims 128 MiB, 16 of them: bounded memory", test_packed_bomb);
	CU_add_test(s, "hostile blocks with valid checksums", test_hostile_blocks);
	CU_add_test(s, "an empty block inside another is fine (R4.3)", test_empty_block_inside);
	CU_add_test(s, "incomplete and foreign files on disk", test_incomplete_file);
}
