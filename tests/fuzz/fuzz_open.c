/*
 * fuzz_open.c -- libFuzzer target: the input is a colstore file.
 *
 * Opens it from memory (as given, and when that fails, again with its
 * header, footer and trailer checksums rewritten so that mutations reach
 * the footer parser), then walks every chunk: chunk info, decoded values
 * (reading every value, every dictionary entry a code names, every string
 * offset), the whole-file verify, a filter on the first column, and, for
 * half the inputs (bit 1 of the size; exporting is slow next to the rest),
 * an export of every column through the Arrow C stream into the Arrow IPC
 * and Parquet writers (to /dev/null; LZ4 when the size is odd).
 * Nothing here may crash, read out of bounds or leak, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include "colstore/colstore.h"
#include "export.h"

static uint64_t le64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void st64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* keep the compiler from dropping reads */
static volatile uint64_t sink;

static void touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 31 + b[i];
	sink += h;
}

static int valid_row(const colstore_values *v, uint32_t i)
{
	return !v->validity || ((v->validity[i >> 3] >> (i & 7)) & 1);
}

/* A block handed out must hold what the chunk's row count says it holds:
 * zero-copy blocks point into the input, where ASan cannot see a read that
 * runs into the next block, so check the sizes explicitly. */
static void need(const colstore_chunk_info *chi, int k, uint64_t n)
{
	if (chi->blocks[k].present && chi->blocks[k].raw_size < n)
		abort();
}

static void read_values(colstore_reader *r, uint32_t col, const colstore_chunk_info *chi,
                        const colstore_values *v)
{
	uint32_t rows = v->rows;
	if (rows != chi->row_count)
		abort();
	if (v->validity) {
		need(chi, COLSTORE_BLOCK_VALIDITY, ((uint64_t)rows + 7) / 8);
		touch(v->validity, ((size_t)rows + 7) / 8);
	}
	if (!v->data)
		return;
	if (v->type == COLSTORE_TYPE_BOOL) {
		need(chi, COLSTORE_BLOCK_DATA, ((uint64_t)rows + 7) / 8);
		touch(v->data, ((size_t)rows + 7) / 8);
		return;
	}
	if (v->type != COLSTORE_TYPE_STRING) {
		unsigned w = colstore_type_width(v->type);
		need(chi, COLSTORE_BLOCK_DATA, (uint64_t)rows * w);
		touch(v->data, (size_t)rows * w);
		return;
	}
	if (v->encoding == COLSTORE_ENCODING_DICT)
		need(chi, COLSTORE_BLOCK_DATA, (uint64_t)rows * v->code_width);
	else
		need(chi, COLSTORE_BLOCK_DATA, ((uint64_t)rows + 1) * 4);
	if (v->encoding == COLSTORE_ENCODING_DICT) {
		for (uint32_t i = 0; i < rows; i++) {
			uint32_t code;
			if (v->code_width == 1)
				code = ((const uint8_t *)v->data)[i];
			else if (v->code_width == 2)
				code = ((const uint16_t *)v->data)[i];
			else
				code = ((const uint32_t *)v->data)[i];
			const char *s = NULL;
			uint32_t len = 0;
			int rc = colstore_reader_dict_lookup(r, col, code, &s, &len, NULL);
			/* a checked block's codes are in range: a valid row's lookup
			 * must succeed (null rows may hold any code) */
			if (rc == COLSTORE_OK)
				touch(s, len);
			else if (valid_row(v, i))
				abort();
		}
	} else {
		const uint32_t *off = v->data;
		touch(off, ((size_t)rows + 1) * sizeof(uint32_t));
		for (uint32_t i = 0; i < rows; i++) {
			if (off[i + 1] < off[i])
				abort(); /* monotonicity is a checked content rule */
			touch(v->bytes + off[i], off[i + 1] - off[i]);
		}
		if (rows && off[rows] > (chi->blocks[COLSTORE_BLOCK_EXTRA].present
		                             ? chi->blocks[COLSTORE_BLOCK_EXTRA].raw_size
		                             : 0))
			abort(); /* string bytes past the extra block */
	}
}

/* both file writers over the reader's stream, into /dev/null */
static void export_all(colstore_reader *r, uint32_t compression)
{
	static int devnull = -2;
	if (devnull == -2)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0)
		return;
	for (int f = 0; f < 2; f++) {
		struct ArrowArrayStream s;
		colstore_error e;
		if (colstore_reader_export_stream(r, NULL, NULL, &s, &e) != COLSTORE_OK)
			return;
		cs_out o;
		if (cs_out_init(&o, devnull, 0, "/dev/null", &e) == COLSTORE_OK) {
			cs_export_args a = { compression, NULL, NULL, 0, 0 };
			int rc = f ? cs_parquet_write(&s, &o, &a, &e) : cs_ipc_write(&s, &o, &a, &e);
			if (rc == COLSTORE_OK)
				cs_out_flush(&o);
			sink += a.rows + o.pos;
			cs_out_free(&o);
		}
		s.release(&s);
	}
}

/* open and walk one image; @return 0 if it opened */
static int walk(const uint8_t *copy, size_t size, uint32_t flags)
{
	colstore_reader *r = NULL;
	colstore_error err;
	{
		colstore_reader_options ro = COLSTORE_READER_OPTIONS_INIT;
		ro.flags = flags;
		if (colstore_reader_open_memory(copy, size, &ro, &r, &err) != COLSTORE_OK)
			return -1;

		uint32_t ncols = colstore_reader_num_columns(r);
		uint32_t nrg = colstore_reader_num_row_groups(r);
		sink += colstore_reader_num_rows(r) + colstore_reader_row_group_size(r) +
		        colstore_reader_file_size(r);

		for (uint32_t c = 0; c < ncols; c++) {
			colstore_column_info ci;
			if (colstore_reader_column_info(r, c, &ci, &err) != COLSTORE_OK)
				continue;
			touch(ci.name, strlen(ci.name));
			uint32_t found;
			colstore_reader_find_column(r, ci.name, &found, NULL);
			for (uint32_t k = 0; k < ci.dict_count; k++) {
				const char *s;
				uint32_t len;
				if (colstore_reader_dict_lookup(r, c, k, &s, &len, NULL) ==
				    COLSTORE_OK)
					touch(s, len);
			}
		}

		colstore_buffers *b = colstore_buffers_create();
		if (b) {
			for (uint32_t g = 0; g < nrg; g++) {
				for (uint32_t c = 0; c < ncols; c++) {
					colstore_chunk_info chi;
					if (colstore_reader_chunk_info(r, g, c, &chi, &err) !=
					    COLSTORE_OK)
						continue;
					if (chi.has_minmax && chi.min_str)
						touch(chi.min_str, chi.min_str_len);
					if (chi.has_minmax && chi.max_str)
						touch(chi.max_str, chi.max_str_len);
					colstore_values v;
					if (colstore_reader_values(r, g, c, b, &v, &err) ==
					    COLSTORE_OK)
						read_values(r, c, &chi, &v);
					/* the raw block API too, into a heap buffer of the
					 * advertised size (capped) */
					for (int k = 0; k < 3; k++) {
						const colstore_block_info *bi = &chi.blocks[k];
						if (!bi->present || bi->raw_size > (1u << 24))
							continue;
						size_t n = (size_t)bi->raw_size;
						void *buf = malloc(n ? n : 1);
						if (!buf)
							continue;
						colstore_block blk;
						if (colstore_reader_block(r, g, c, k, buf, n, &blk,
						                          NULL) == COLSTORE_OK &&
						    blk.data)
							touch(blk.data, (size_t)blk.size);
						free(buf);
					}
				}
			}
		}

		colstore_reader_verify(r, &err);
		if (size & 2)
			export_all(r, size & 1 ? COLSTORE_EXPORT_LZ4 : 0);

		if (ncols > 0 && b) {
			colstore_column_info ci;
			if (colstore_reader_column_info(r, 0, &ci, NULL) == COLSTORE_OK) {
				/* a fixed expression on the first column; the literal
				 * depends on the type so that it parses */
				const char *lit;
				switch (ci.type) {
				case COLSTORE_TYPE_STRING: lit = "'b'"; break;
				case COLSTORE_TYPE_DATE: lit = "'2024-01-01'"; break;
				case COLSTORE_TYPE_TIMESTAMP: lit = "'2024-01-01T00:00:00'"; break;
				case COLSTORE_TYPE_BOOL: lit = "true"; break;
				default: lit = "1"; break;
				}
				size_t nl = strlen(ci.name);
				size_t cap = nl * 2 + 96;
				char *expr = malloc(cap);
				if (expr) {
					/* "NAME" with embedded quotes doubled -- names may
					 * contain anything */
					size_t p = 0;
					expr[p++] = '"';
					for (size_t i = 0; i < nl; i++) {
						if (ci.name[i] == '"')
							expr[p++] = '"';
						expr[p++] = ci.name[i];
					}
					expr[p] = '\0';
					strcat(expr, "\" >= ");
					strcat(expr, lit);
					strcat(expr, " or x is null");
					colstore_filter *f = NULL;
					if (colstore_filter_parse(r, expr, &f, &err) == COLSTORE_OK ||
					    (expr[strlen(expr) - 13] = '\0',
					     colstore_filter_parse(r, expr, &f, &err) == COLSTORE_OK)) {
						for (uint32_t g = 0; g < nrg; g++) {
							colstore_chunk_info chi;
							if (colstore_reader_chunk_info(r, g, 0, &chi,
							                               NULL) != COLSTORE_OK)
								continue;
							sink += (uint64_t)colstore_filter_may_match(f, g);
							size_t n = ((size_t)chi.row_count + 7) / 8;
							uint8_t *sel = malloc(n ? n : 1);
							if (!sel)
								continue;
							uint64_t m = 0;
							if (colstore_filter_eval(f, g, b, sel, &m, &err) ==
							    COLSTORE_OK)
								touch(sel, n);
							free(sel);
						}
						colstore_filter_free(f);
					}
					free(expr);
				}
			}
		}
		colstore_buffers_free(b);
		colstore_reader_close(r);
	}
	return 0;
}

/* Rewrite the header, footer and trailer checksums (spec §5.1, §5.7) so
 * that mutations get past them to the footer parser and the blocks (the
 * block checksums are skipped with COLSTORE_OPEN_NO_BLOCK_CHECKSUMS). */
static int fix_checksums(uint8_t *p, size_t size)
{
	if (size < 64 + 40)
		return -1;
	st64(p + 56, XXH3_64bits(p, 56));
	uint8_t *t = p + size - 40;
	uint64_t fo = le64(t + 8), fs = le64(t + 16);
	if (fo <= size && fs <= size - fo)
		st64(t + 24, XXH3_64bits(p + fo, (size_t)fs));
	st64(t + 32, XXH3_64bits(t, 32));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy, so that reads past the end hit a redzone */
	uint8_t *copy = calloc(1, size ? size : 1);
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	/* as given: every checksum checked, then block checksums skipped */
	if (walk(copy, size, 0) == 0)
		walk(copy, size, COLSTORE_OPEN_NO_BLOCK_CHECKSUMS);
	/* checksums made right, then block checksums skipped */
	else if (fix_checksums(copy, size) == 0)
		walk(copy, size, COLSTORE_OPEN_NO_BLOCK_CHECKSUMS);
	free(copy);
	return 0;
}
