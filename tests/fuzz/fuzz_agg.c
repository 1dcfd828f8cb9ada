/*
 * fuzz_agg.c -- libFuzzer target: aggregations and filters over files whose
 * checksums are all valid, so that mutations reach past the checksum wall.
 * Byte 0 of the input picks the mode:
 *   even  the rest is a colstore file; when it does not open, its header,
 *         footer and trailer checksums are rewritten (as fuzz_open does);
 *   odd   the rest is a list of edits, 11 bytes each (what: u8, index: u16,
 *         value: u64, little-endian), to a valid file the target writes once
 *         (5 row groups; int8, int32, int64, float64, bool, date, a
 *         dictionary string whose dictionary passes 256 entries, a plain
 *         string; nulls): a chunk descriptor's row or null count, encoding,
 *         code width, statistics flags, min or max; a byte of a data or
 *         validity block; a dictionary offset or byte; a statistics-heap
 *         byte; a block descriptor's sizes or codec.  Then every block,
 *         dictionary, footer and trailer checksum is computed again.
 * Every image that opens is verified, then aggregated: by a dense integer
 * key, by a dictionary string, by hashed keys (several columns), with
 * filters, on one thread and on two, and under a small memory limit (several
 * passes, spilled runs).  Nothing may crash, read or write out of bounds or
 * leak, whatever the statistics, counts and codes say.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "colstore/colstore.h"
#include "internal.h"

static volatile uint64_t sink;

/* ---- the base file and its layout ------------------------------------------- */

typedef struct base {
	uint8_t *p;
	size_t n;
	uint32_t nrg, ncols;
	uint64_t fo, fsize, heap_at, heap_size;
	uint64_t *chunk_at; /* nrg * ncols descriptors */
	uint64_t *entry_at; /* ncols column entries */
} base;

static base B;

static int make_base(void)
{
	char path[] = "/tmp/colstore-fuzz-agg-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	colstore_writer_options o = COLSTORE_WRITER_OPTIONS_INIT;
	o.row_group_size = 700;
	colstore_writer *w;
	if (colstore_writer_create(path, &o, &w, NULL)) {
		unlink(path);
		return -1;
	}
	colstore_writer_add_column(w, "k8", COLSTORE_TYPE_INT8, 0, NULL);
	colstore_writer_add_column(w, "k32", COLSTORE_TYPE_INT32, 0, NULL);
	colstore_writer_add_column(w, "i64", COLSTORE_TYPE_INT64, 0, NULL);
	colstore_writer_add_column(w, "f", COLSTORE_TYPE_FLOAT64, 0, NULL);
	colstore_writer_add_column(w, "b", COLSTORE_TYPE_BOOL, 0, NULL);
	colstore_writer_add_column(w, "d", COLSTORE_TYPE_DATE, 0, NULL);
	colstore_writer_add_column(w, "s", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_DICT, NULL);
	colstore_writer_add_column(w, "p", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_PLAIN, NULL);
	for (int i = 0; i < 3000; i++) {
		char t[32];
		colstore_writer_put_int(w, 0, i % 50 - 10, NULL);
		colstore_writer_put_int(w, 1, (int64_t)i * 7919 % 100000, NULL);
		if (i % 11 == 3)
			colstore_writer_put_null(w, 2, NULL);
		else
			colstore_writer_put_int(w, 2, (int64_t)i * 1000003 - 77, NULL);
		if (i % 13 == 5)
			colstore_writer_put_null(w, 3, NULL);
		else
			colstore_writer_put_double(w, 3, i / 7.0 - 100, NULL);
		colstore_writer_put_int(w, 4, i % 3 == 0, NULL);
		colstore_writer_put_int(w, 5, 19000 + i % 400, NULL);
		int n = snprintf(t, sizeof(t), "v%d", i / 2 % 300);
		if (i % 17 == 1)
			colstore_writer_put_null(w, 6, NULL);
		else
			colstore_writer_put_string(w, 6, t, (size_t)n, NULL);
		n = snprintf(t, sizeof(t), "p%d", i * 31 % 1000);
		colstore_writer_put_string(w, 7, t, (size_t)n, NULL);
		colstore_writer_end_row(w, NULL);
	}
	int rc = colstore_writer_finish(w, NULL);
	FILE *f = rc ? NULL : fopen(path, "rb");
	unlink(path);
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	B.n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	B.p = malloc(B.n);
	if (!B.p || fread(B.p, 1, B.n, f) != B.n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	colstore_reader *r;
	if (colstore_reader_open_memory(B.p, B.n, NULL, &r, NULL))
		return -1;
	B.nrg = r->num_row_groups;
	B.ncols = r->num_columns;
	B.fo = r->trailer.footer_offset;
	B.fsize = r->trailer.footer_size;
	B.heap_at = (uint64_t)(r->heap - r->data);
	B.heap_size = r->heap_size;
	B.chunk_at = malloc((size_t)B.nrg * B.ncols * sizeof(uint64_t));
	B.entry_at = malloc(B.ncols * sizeof(uint64_t));
	for (uint32_t g = 0; g < B.nrg; g++)
		for (uint32_t c = 0; c < B.ncols; c++)
			B.chunk_at[(size_t)g * B.ncols + c] = cs_chunk_desc_offset(r, g, c);
	for (uint32_t c = 0; c < B.ncols; c++)
		B.entry_at[c] = r->columns[c].entry_offset;
	colstore_reader_close(r);
	return 0;
}

/* the checksum of the block whose descriptor is at d, when it lies in the file */
static void seal_block(uint8_t *p, size_t n, uint64_t d)
{
	uint64_t off = cs_le64(p + d), stored = cs_le64(p + d + 8);
	int present = 0;
	for (int i = 0; i < 40; i++)
		present |= p[d + i];
	if (present && stored <= n && off <= n - stored)
		cs_st64(p + d + 24, XXH3_64bits(p + off, stored));
}

static void seal(uint8_t *p, size_t n)
{
	for (size_t k = 0; k < (size_t)B.nrg * B.ncols; k++)
		for (int b = 0; b < 3; b++)
			seal_block(p, n, B.chunk_at[k] + 32 + 40 * (uint64_t)b);
	for (uint32_t c = 0; c < B.ncols; c++) {
		seal_block(p, n, B.entry_at[c] + 8);
		seal_block(p, n, B.entry_at[c] + 48);
	}
	cs_trailer_encode(p + n - CS_TRAILER_SIZE, B.fo, B.fsize, XXH3_64bits(p + B.fo, B.fsize));
}

static void edit(uint8_t *p, size_t n, const uint8_t *e)
{
	unsigned what = e[0];
	uint32_t idx = (uint32_t)e[1] | (uint32_t)e[2] << 8;
	uint64_t val = cs_le64(e + 3);
	size_t nchunks = (size_t)B.nrg * B.ncols;
	uint64_t ch = B.chunk_at[idx % nchunks];
	switch (what % 8) {
	case 0: { /* a chunk descriptor field */
		static const uint8_t at[] = { 0, 4, 8, 9, 10, 16, 24 }, size[] = { 4, 4, 1, 1, 1, 8, 8 };
		unsigned k = (unsigned)(val >> 56) % 7;
		for (unsigned i = 0; i < size[k]; i++)
			p[ch + at[k] + i] = (uint8_t)(val >> (8 * i));
		break;
	}
	case 1:
	case 2:
	case 3: { /* a byte of the data (1, 2) or validity (3) block */
		uint64_t d = ch + 32 + (what % 8 == 3 ? 0 : 40);
		uint64_t off = cs_le64(p + d), stored = cs_le64(p + d + 8);
		if (stored && stored <= n && off <= n - stored)
			p[off + val % stored] = (uint8_t)(val >> 40);
		break;
	}
	case 4:
	case 5: { /* a dictionary offset (4) or byte (5) */
		uint64_t d = B.entry_at[idx % B.ncols] + (what % 8 == 4 ? 8 : 48);
		uint64_t off = cs_le64(p + d), stored = cs_le64(p + d + 8);
		if (what % 8 == 4 && stored >= 4 && stored <= n && off <= n - stored)
			cs_st32(p + off + (val >> 32) % (stored / 4) * 4, (uint32_t)val);
		else if (stored && stored <= n && off <= n - stored)
			p[off + val % stored] = (uint8_t)(val >> 40);
		break;
	}
	case 6: /* a statistics-heap byte */
		if (B.heap_size)
			p[B.heap_at + val % B.heap_size] = (uint8_t)(val >> 40);
		break;
	default: { /* a block descriptor's stored or raw size, or codec */
		uint64_t d = ch + 32 + 40 * ((val >> 62) % 3);
		unsigned k = (unsigned)(val >> 60) & 3;
		if (k == 3)
			p[d + 32] = (uint8_t)val & 3;
		else
			cs_st64(p + d + 8 + 8 * (k & 1), val & 0xffffffffu);
		break;
	}
	}
}

/* ---- the workload ------------------------------------------------------------ */

static void agg(colstore_reader *r, const char *aggs, const char *gb, const char *where,
                uint32_t threads, uint64_t mem)
{
	colstore_agg *a;
	colstore_filter *f = NULL;
	if ((where && *where && colstore_filter_parse(r, where, &f, NULL) != COLSTORE_OK) ||
	    colstore_agg_create(r, aggs, gb, f, &a, NULL) != COLSTORE_OK) {
		colstore_filter_free(f);
		return;
	}
	colstore_agg_set_threads(a, threads);
	colstore_agg_set_memory_limit(a, mem);
	if (colstore_agg_run(a, NULL) == COLSTORE_OK) {
		uint64_t groups = colstore_agg_num_groups(a);
		for (uint64_t g = 0; g < groups && g < 100000; g++)
			for (uint32_t k = 0; k < colstore_agg_num_columns(a); k++) {
				colstore_cell c;
				if (colstore_agg_cell(a, g, k, &c) == COLSTORE_OK) {
					sink += (uint64_t)c.i + (uint64_t)c.is_null + c.len;
					if (c.s && c.len)
						sink += (uint8_t)c.s[c.len - 1];
				}
			}
	}
	colstore_agg_free(a);
	colstore_filter_free(f);
}

static void workload(const uint8_t *img, size_t n)
{
	colstore_reader *r;
	if (colstore_reader_open_memory(img, n, NULL, &r, NULL) != COLSTORE_OK)
		return;
	colstore_reader_verify(r, NULL);
	static const char *const gbs[] = { "k8", "k32", "s", "b", "d", "k8,s", "f", "p,b", "i64" };
	static const char *const wheres[] = { NULL, "k8 > 3", "s >= 'v200' and k32 < 50000",
		                              "f is null or b = true", "p = 'p7' or d > '2022-01-01'" };
	const char *aggs = "count(*),count(f),sum(i64),min(s),max(p),avg(f),min(d),max(k32)";
	uint32_t ncols = colstore_reader_num_columns(r);
	for (size_t i = 0; i < sizeof(gbs) / sizeof(gbs[0]); i++) {
		const char *w = wheres[i % (sizeof(wheres) / sizeof(wheres[0]))];
		agg(r, aggs, gbs[i], w, 1, 0);
		agg(r, aggs, gbs[i], w, 2, 1u << 20); /* several passes or spilled runs */
	}
	agg(r, aggs, NULL, "k8 = 5 or i64 > 100000", 2, 0);
	/* a filter evaluated on its own, every row group */
	colstore_filter *flt;
	if (ncols && colstore_filter_parse(r, "s != 'v3' and (k8 < 0 or f >= 1.5)", &flt, NULL) ==
	                 COLSTORE_OK) {
		colstore_buffers *b = colstore_buffers_create();
		uint8_t *sel = malloc(colstore_reader_row_group_size(r) / 8 + 1);
		for (uint32_t g = 0; b && sel && g < colstore_reader_num_row_groups(r); g++) {
			uint64_t m = 0;
			if (colstore_filter_may_match(flt, g) &&
			    colstore_filter_eval(flt, g, b, sel, &m, NULL) == COLSTORE_OK)
				sink += m;
		}
		free(sel);
		colstore_buffers_free(b);
		colstore_filter_free(flt);
	}
	colstore_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!(data[0] & 1)) { /* a file as given, or resealed */
		uint8_t *img = malloc(size - 1 ? size - 1 : 1);
		if (!img)
			return 0;
		memcpy(img, data + 1, size - 1);
		size_t n = size - 1;
		colstore_reader *r;
		if (colstore_reader_open_memory(img, n, NULL, &r, NULL) == COLSTORE_OK) {
			colstore_reader_close(r);
		} else if (n >= CS_MIN_FILE_SIZE) {
			cs_st64(img + 56, XXH3_64bits(img, 56));
			uint64_t fo = cs_le64(img + n - 32), fs = cs_le64(img + n - 24);
			if (fs <= n && fo <= n - fs)
				cs_trailer_encode(img + n - CS_TRAILER_SIZE, fo, fs, XXH3_64bits(img + fo, fs));
		}
		workload(img, n);
		free(img);
		return 0;
	}
	if (!B.p && make_base())
		abort(); /* the base file must be writable and readable */
	uint8_t *img = malloc(B.n);
	if (!img)
		return 0;
	memcpy(img, B.p, B.n);
	for (size_t i = 1; i + 11 <= size && i < 1 + 11 * 16; i += 11)
		edit(img, B.n, data + i);
	seal(img, B.n);
	workload(img, B.n);
	free(img);
	return 0;
}
