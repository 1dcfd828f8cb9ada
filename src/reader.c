/*
 * reader.c -- colstore_reader: map a file, validate header, trailer, footer
 * and dictionaries on open (format-spec.md §12 steps 1-5), hand out blocks
 * after checking them (step 6).
 */
#define _GNU_SOURCE /* preadv2 */
#ifdef HAVE_CONFIG_H
#include "config.h" /* HAVE_PREADV2 */
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

static const char *const cs_kind_names[3] = { "validity", "data", "extra" };

const char *cs_block_kind_name(int kind)
{
	return kind >= 0 && kind < 3 ? cs_kind_names[kind] : "?";
}

void cs_reader_ref(colstore_reader *r)
{
	__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
}

void colstore_reader_close(colstore_reader *r)
{
	if (!r || __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (r->columns)
		for (uint32_t i = 0; i < r->num_columns; i++)
			free(r->columns[i].name);
	free(r->columns);
	free(r->chunks);
	free(r->verified);
	if (r->mapped)
		cs_unmap(r->data, r->size);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* ---- footer ------------------------------------------------------------ */

static int cs_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cs_parse_columns(colstore_reader *r, const uint8_t *f, uint64_t fsize,
                            uint64_t *pos, colstore_error *err)
{
	uint64_t fo = r->trailer.footer_offset;
	/* allocate for the columns only if the footer can hold their entries */
	if ((uint64_t)r->num_columns * CS_COLUMN_ENTRY_FIXED > fsize - CS_FOOTER_FIXED)
		return cs_err(err, COLSTORE_ECORRUPT, fo + 8,
		              "num_columns %u needs more than the %llu-byte footer (R5.2.1)",
		              r->num_columns, (unsigned long long)fsize);
	r->columns = calloc(r->num_columns, sizeof(cs_column));
	if (!r->columns)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t i = 0; i < r->num_columns; i++) {
		cs_column *c = &r->columns[i];
		const uint8_t *e = f + *pos;
		uint64_t at = fo + *pos;
		c->entry_offset = at;
		if (!cs_in_range(*pos, CS_COLUMN_ENTRY_FIXED, fsize))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "column entry %u runs past the end of the footer", i);
		uint32_t nlen = cs_le16(e + CS_CE_NAME_LEN);
		uint64_t esize = cs_column_entry_size(nlen);
		if (nlen == 0 || !cs_in_range(*pos, esize, fsize))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "column entry %u: name length %u out of range", i, nlen);
		c->type = e[CS_CE_TYPE];
		if (!colstore_type_name(c->type))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "column %u: unknown type tag %u (R5.3.1)", i, c->type);
		if (e[CS_CE_RESERVED] != 0 && r->header.minor <= COLSTORE_FORMAT_MINOR)
			return cs_err(err, COLSTORE_ECORRUPT, at + CS_CE_RESERVED,
			              "column %u: reserved byte not zero", i);
		if (memchr(e + CS_COLUMN_ENTRY_FIXED, 0, nlen))
			return cs_err(err, COLSTORE_ECORRUPT, at + CS_COLUMN_ENTRY_FIXED,
			              "column %u: name contains a NUL byte (R5.3.4)", i);
		for (uint64_t k = CS_COLUMN_ENTRY_FIXED + nlen; k < esize; k++)
			if (e[k])
				return cs_err(err, COLSTORE_ECORRUPT, at + k,
				              "column %u: entry padding not zero", i);
		c->name = malloc(nlen + 1u);
		if (!c->name)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		memcpy(c->name, e + CS_COLUMN_ENTRY_FIXED, nlen);
		c->name[nlen] = '\0';
		c->dict_count = cs_le32(e + CS_CE_DICT_COUNT);
		char where[64];
		snprintf(where, sizeof(where), "column %u dictionary", i);
		int strict = r->header.minor <= COLSTORE_FORMAT_MINOR;
		int rc = cs_block_decode(e + CS_CE_DICT_OFFSETS, at + CS_CE_DICT_OFFSETS, fo, strict,
		                         &c->dict_offsets, where, err);
		if (!rc)
			rc = cs_block_decode(e + CS_CE_DICT_BYTES, at + CS_CE_DICT_BYTES, fo, strict,
			                     &c->dict_bytes, where, err);
		if (rc)
			return rc;
		int has = c->dict_offsets.present || c->dict_bytes.present;
		if (c->type != COLSTORE_TYPE_STRING && (c->dict_count || has))
			return cs_err(err, COLSTORE_ECORRUPT, at + CS_CE_DICT_COUNT,
			              "column %u (%s) has a dictionary (R5.3.2)", i,
			              colstore_type_name(c->type));
		if (c->type == COLSTORE_TYPE_STRING &&
		    (c->dict_count ? !(c->dict_offsets.present && c->dict_bytes.present) : has))
			return cs_err(err, COLSTORE_ECORRUPT, at + CS_CE_DICT_COUNT,
			              "column %u: dictionary blocks do not match dict_count %u "
			              "(R5.3.3)",
			              i, c->dict_count);
		if (c->dict_count &&
		    (c->dict_offsets.compression || c->dict_bytes.compression ||
		     c->dict_offsets.raw_size != ((uint64_t)c->dict_count + 1) * 4 ||
		     c->dict_bytes.raw_size > CS_MAX_STRING_BYTES))
			return cs_err(err, COLSTORE_ECORRUPT, at + CS_CE_DICT_OFFSETS,
			              "column %u: dictionary blocks have wrong sizes or are "
			              "compressed (R5.3.3, R9.6.1)",
			              i);
		*pos += esize;
	}
	/* R5.3.4: unique names */
	char **names = malloc(r->num_columns * sizeof(*names));
	if (!names)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t i = 0; i < r->num_columns; i++)
		names[i] = r->columns[i].name;
	qsort(names, r->num_columns, sizeof(*names), cs_name_cmp);
	for (uint32_t i = 1; i < r->num_columns; i++)
		if (strcmp(names[i - 1], names[i]) == 0) {
			int rc = cs_err(err, COLSTORE_ECORRUPT, fo + CS_FOOTER_FIXED,
			                "duplicate column name '%s' (R5.3.4)", names[i]);
			free(names);
			return rc;
		}
	free(names);
	return COLSTORE_OK;
}

/* the raw size a block of this kind must have, or UINT64_MAX when it can only
 * be known from another block (PLAIN string bytes) */
static uint64_t cs_expected_raw(uint8_t type, const cs_chunk *ch, int kind)
{
	uint64_t n = ch->row_count;
	if (kind == COLSTORE_BLOCK_VALIDITY)
		return cs_bitmap_bytes(n);
	if (kind == COLSTORE_BLOCK_EXTRA)
		return UINT64_MAX;
	if (type == COLSTORE_TYPE_BOOL)
		return cs_bitmap_bytes(n);
	if (type == COLSTORE_TYPE_STRING)
		return ch->encoding == COLSTORE_ENCODING_DICT ? n * ch->code_width : (n + 1) * 4;
	return n * colstore_type_width(type);
}

static int cs_parse_chunk(colstore_reader *r, const uint8_t *d, uint64_t at, uint32_t g,
                          uint32_t ci, cs_chunk *ch, colstore_error *err)
{
	const cs_column *col = &r->columns[ci];
	uint64_t fo = r->trailer.footer_offset;
	int strict = r->header.minor <= COLSTORE_FORMAT_MINOR;
	ch->row_count = cs_le32(d + CS_CD_ROW_COUNT);
	ch->null_count = cs_le32(d + CS_CD_NULL_COUNT);
	ch->encoding = d[CS_CD_ENCODING];
	ch->code_width = d[CS_CD_CODE_WIDTH];
	ch->stats_flags = d[CS_CD_STATS_FLAGS];
	ch->min = cs_le64(d + CS_CD_MIN);
	ch->max = cs_le64(d + CS_CD_MAX);
	uint64_t expect = (g + 1u < r->num_row_groups)
	                          ? r->row_group_size
	                          : r->num_rows - (uint64_t)g * r->row_group_size;
	if (ch->row_count != expect)
		return cs_err(err, COLSTORE_ECORRUPT, at,
		              "row group %u column %u: row_count %u, expected %llu (R5.4.1)", g,
		              ci, ch->row_count, (unsigned long long)expect);
	if (ch->null_count > ch->row_count)
		return cs_err(err, COLSTORE_ECORRUPT, at + CS_CD_NULL_COUNT,
		              "row group %u column %u: null_count %u > row_count %u", g, ci,
		              ch->null_count, ch->row_count);
	int is_str = col->type == COLSTORE_TYPE_STRING;
	int is_float = col->type == COLSTORE_TYPE_FLOAT32 || col->type == COLSTORE_TYPE_FLOAT64;
	if (ch->encoding > COLSTORE_ENCODING_DICT || (ch->encoding && !is_str) ||
	    (ch->encoding == COLSTORE_ENCODING_DICT
	             ? !(ch->code_width == 1 || ch->code_width == 2 || ch->code_width == 4)
	             : ch->code_width != 0))
		return cs_err(err, COLSTORE_ECORRUPT, at + CS_CD_ENCODING,
		              "row group %u column %u: bad encoding %u / code width %u "
		              "(R5.4.2)",
		              g, ci, ch->encoding, ch->code_width);
	if (ch->encoding == COLSTORE_ENCODING_DICT && col->dict_count == 0 &&
	    ch->null_count != ch->row_count)
		return cs_err(err, COLSTORE_ECORRUPT, at + CS_CD_ENCODING,
		              "row group %u column %u: DICT chunk but the column has no "
		              "dictionary (R9.4.2)",
		              g, ci);
	if (!strict)
		ch->stats_flags &= CS_STATS_MINMAX | CS_STATS_NAN; /* R7.5 */
	if ((ch->stats_flags & ~(CS_STATS_MINMAX | CS_STATS_NAN)) ||
	    ((ch->stats_flags & CS_STATS_NAN) && !is_float) ||
	    (!(ch->stats_flags & CS_STATS_MINMAX) && (ch->min || ch->max)))
		return cs_err(err, COLSTORE_ECORRUPT, at + CS_CD_STATS_FLAGS,
		              "row group %u column %u: bad statistics flags 0x%02x (§5.6)", g, ci,
		              ch->stats_flags);
	if (strict)
		for (unsigned k = CS_CD_RESERVED; k < CS_CD_MIN; k++)
			if (d[k])
				return cs_err(err, COLSTORE_ECORRUPT, at + k,
				              "row group %u column %u: reserved bytes not zero", g, ci);
	if ((ch->stats_flags & CS_STATS_MINMAX) && is_str) {
		uint64_t refs[2] = { ch->min, ch->max };
		for (int k = 0; k < 2; k++)
			if (!cs_in_range(refs[k] & 0xffffffffu, refs[k] >> 32, r->heap_size))
				return cs_err(err, COLSTORE_ECORRUPT, at + CS_CD_MIN + 8u * (unsigned)k,
				              "row group %u column %u: statistics string outside the "
				              "heap (R5.6.1)",
				              g, ci);
	}
	for (int k = 0; k < 3; k++) {
		uint64_t bat = at + CS_CD_BLOCK(k);
		/* the message's place is written only for a failure (a million
		 * snprintf calls were a visible part of opening a large file) */
		int rc = cs_block_decode(d + CS_CD_BLOCK(k), bat, fo, strict, &ch->blocks[k], "", NULL);
		if (rc) {
			char where[64];
			snprintf(where, sizeof(where), "row group %u column %u %s block", g, ci,
			         cs_kind_names[k]);
			return cs_block_decode(d + CS_CD_BLOCK(k), bat, fo, strict, &ch->blocks[k], where,
			                       err);
		}
		int want = k == COLSTORE_BLOCK_VALIDITY ? ch->null_count > 0
		           : k == COLSTORE_BLOCK_DATA
		                   ? 1
		                   : is_str && ch->encoding == COLSTORE_ENCODING_PLAIN;
		if (ch->blocks[k].present != want)
			return cs_err(err, COLSTORE_ECORRUPT, bat,
			              "row group %u column %u %s block: must be %s (R5.4, R9.1.1)", g, ci,
			              cs_kind_names[k], want ? "present" : "absent");
		uint64_t raw = cs_expected_raw(col->type, ch, k);
		if (want && raw != UINT64_MAX && ch->blocks[k].raw_size != raw)
			return cs_err(err, COLSTORE_ECORRUPT, bat,
			              "row group %u column %u %s block: raw size %llu, expected %llu "
			              "(R5.5.4)",
			              g, ci, cs_kind_names[k], (unsigned long long)ch->blocks[k].raw_size,
			              (unsigned long long)raw);
		uint8_t codec = ch->blocks[k].compression;
		int packable = k == COLSTORE_BLOCK_DATA &&
		               (ch->encoding == COLSTORE_ENCODING_DICT ||
		                (col->type != COLSTORE_TYPE_STRING && col->type != COLSTORE_TYPE_BOOL &&
		                 col->type != COLSTORE_TYPE_FLOAT32 && col->type != COLSTORE_TYPE_FLOAT64));
		if ((codec == COLSTORE_COMPRESSION_BITPACK && !packable) ||
		    (codec == COLSTORE_COMPRESSION_DECIMAL &&
		     !(k == COLSTORE_BLOCK_DATA && col->type == COLSTORE_TYPE_FLOAT64)))
			return cs_err(err, COLSTORE_ECORRUPT, bat + 32,
			              "row group %u column %u %s block: codec %u is not allowed for this "
			              "block (R10.0)",
			              g, ci, cs_kind_names[k], codec);
		if (want && raw == UINT64_MAX && ch->blocks[k].raw_size > CS_MAX_STRING_BYTES)
			return cs_err(err, COLSTORE_ECORRUPT, bat,
			              "row group %u column %u %s block: string bytes over 2^31 - 1 (R9.5.1)",
			              g, ci, cs_kind_names[k]);
	}
	return COLSTORE_OK;
}

static int cs_parse_footer(colstore_reader *r, colstore_error *err)
{
	uint64_t fo = r->trailer.footer_offset, fsize = r->trailer.footer_size;
	const uint8_t *f = r->data + fo;
	if (cs_xxh3(f, fsize) != r->trailer.footer_checksum)
		return cs_err(err, COLSTORE_ECHECKSUM, fo,
		              "footer checksum mismatch (bytes [%llu, %llu))",
		              (unsigned long long)fo, (unsigned long long)(fo + fsize));
	r->num_rows = cs_le64(f + CS_FT_NUM_ROWS);
	r->num_columns = cs_le32(f + CS_FT_NUM_COLUMNS);
	r->num_row_groups = cs_le32(f + CS_FT_NUM_ROW_GROUPS);
	r->row_group_size = cs_le32(f + CS_FT_ROW_GROUP_SIZE);
	r->heap_size = cs_le64(f + CS_FT_HEAP_SIZE);
	if (r->num_columns == 0 || r->num_columns > CS_MAX_COLUMNS)
		return cs_err(err, COLSTORE_ECORRUPT, fo + CS_FT_NUM_COLUMNS,
		              "num_columns %u outside 1..%u (§5.2)", r->num_columns, CS_MAX_COLUMNS);
	if (r->row_group_size == 0 || r->row_group_size > COLSTORE_MAX_ROW_GROUP_SIZE)
		return cs_err(err, COLSTORE_ECORRUPT, fo + CS_FT_ROW_GROUP_SIZE,
		              "row_group_size %u outside 1..2^24 (§5.2)", r->row_group_size);
	uint64_t groups = r->num_rows ? (r->num_rows - 1) / r->row_group_size + 1 : 0;
	if (groups != r->num_row_groups)
		return cs_err(err, COLSTORE_ECORRUPT, fo + CS_FT_NUM_ROW_GROUPS,
		              "num_row_groups %u, but %llu rows in groups of %u need %llu "
		              "(§5.2)",
		              r->num_row_groups, (unsigned long long)r->num_rows,
		              r->row_group_size, (unsigned long long)groups);
	if (cs_le32(f + CS_FT_RESERVED) && r->header.minor <= COLSTORE_FORMAT_MINOR)
		return cs_err(err, COLSTORE_ECORRUPT, fo + CS_FT_RESERVED,
		              "footer reserved field not zero");
	uint64_t pos = CS_FOOTER_FIXED;
	int rc = cs_parse_columns(r, f, fsize, &pos, err);
	if (rc)
		return rc;
	/* R5.2.1: what is left is exactly the descriptors and the heap */
	uint64_t nchunks = (uint64_t)r->num_row_groups * r->num_columns;
	uint64_t left = fsize - pos;
	if (r->heap_size > left || (left - r->heap_size) / CS_CHUNK_DESC_SIZE != nchunks ||
	    (left - r->heap_size) % CS_CHUNK_DESC_SIZE != 0)
		return cs_err(err, COLSTORE_ECORRUPT, fo + pos,
		              "footer size does not match %llu chunk descriptors and a "
		              "%llu-byte heap (R5.2.1)",
		              (unsigned long long)nchunks, (unsigned long long)r->heap_size);
	r->chunks_at = fo + pos;
	r->heap = f + pos + nchunks * CS_CHUNK_DESC_SIZE;
	r->chunks = cs_calloc_populated(nchunks ? nchunks : 1, sizeof(cs_chunk)); /* all written now */
	r->verified = calloc(nchunks ? nchunks * 3 : 1, 1);
	if (!r->chunks || !r->verified)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t g = 0; g < r->num_row_groups; g++)
		for (uint32_t c = 0; c < r->num_columns; c++) {
			uint64_t rel = pos + ((uint64_t)g * r->num_columns + c) * CS_CHUNK_DESC_SIZE;
			rc = cs_parse_chunk(r, f + rel, fo + rel, g, c,
			                    &r->chunks[(size_t)g * r->num_columns + c], err);
			if (rc)
				return rc;
		}
	return COLSTORE_OK;
}

/* ---- dictionaries (§12 step 5) ----------------------------------------- */

int cs_check_offsets(const uint8_t *p, uint64_t count, uint64_t last)
{
	/* count + 1 u32 offsets: first 0, nondecreasing, last == last */
	uint32_t prev = cs_le32(p);
	if (prev != 0)
		return 0;
	for (uint64_t i = 1; i <= count; i++) {
		uint32_t v = cs_le32(p + i * 4);
		if (v < prev)
			return 0;
		prev = v;
	}
	return prev == last;
}

/* A dictionary is checked when first used, not on open: a query that never
 * touches a million-entry dictionary should not fault it in.  The flag is
 * set with an atomic store; two threads checking at once both pass or both
 * fail, which is harmless. */
int cs_dict_ready(const colstore_reader *r, uint32_t col, colstore_error *err)
{
	cs_column *c = (cs_column *)&r->columns[col];
	if (!c->dict_count || __atomic_load_n(&c->dict_ok, __ATOMIC_ACQUIRE))
		return COLSTORE_OK;
	const cs_block_desc *o = &c->dict_offsets, *b = &c->dict_bytes;
	if (cs_xxh3(r->data + o->offset, o->stored_size) != o->checksum)
		return cs_err(err, COLSTORE_ECHECKSUM, o->offset,
		              "column '%s' dictionary offsets: checksum mismatch (bytes "
		              "[%llu, %llu))",
		              c->name, (unsigned long long)o->offset,
		              (unsigned long long)(o->offset + o->stored_size));
	if (cs_xxh3(r->data + b->offset, b->stored_size) != b->checksum)
		return cs_err(err, COLSTORE_ECHECKSUM, b->offset,
		              "column '%s' dictionary bytes: checksum mismatch (bytes "
		              "[%llu, %llu))",
		              c->name, (unsigned long long)b->offset,
		              (unsigned long long)(b->offset + b->stored_size));
	if (!cs_check_offsets(r->data + o->offset, c->dict_count, b->raw_size))
		return cs_err(err, COLSTORE_ECORRUPT, o->offset,
		              "column '%s' dictionary offsets are not 0, nondecreasing, "
		              "ending at %llu (R9.6.1)",
		              c->name, (unsigned long long)b->raw_size);
	__atomic_store_n(&c->dict_ok, 1, __ATOMIC_RELEASE);
	return COLSTORE_OK;
}

static void cs_locate_dicts(colstore_reader *r)
{
	for (uint32_t i = 0; i < r->num_columns; i++) {
		cs_column *c = &r->columns[i];
		if (!c->dict_count)
			continue;
		c->dict_off_p = r->data + c->dict_offsets.offset;
		c->dict_bytes_p = r->data + c->dict_bytes.offset;
	}
}

/* ---- open --------------------------------------------------------------- */

static int cs_open(colstore_reader *r, const colstore_reader_options *opts,
                   colstore_error *err)
{
	static uint64_t serials;
	r->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	if (opts) {
		if (opts->reserved32)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "reader options: reserved fields must be zero");
		for (size_t i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
			if (opts->reserved[i])
				return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
				              "reader options: reserved fields must be zero");
		if (opts->flags & ~COLSTORE_OPEN_NO_BLOCK_CHECKSUMS)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "reader options: unknown flags 0x%x", opts->flags);
		r->flags = opts->flags;
	}
	if (cs_magic_check(r->data, r->size, err))
		return COLSTORE_ENOTCOLSTORE;
	if (r->size < CS_MIN_FILE_SIZE)
		return cs_err(err, COLSTORE_ETRUNCATED, r->size,
		              "file is %zu bytes, shorter than the smallest colstore file (%u "
		              "bytes)",
		              r->size, CS_MIN_FILE_SIZE);
	int rc = cs_header_decode(r->data, r->size, &r->header, err);
	r->end = r->size;
	if (rc)
		return rc; /* (R14.3 waives no rule of the header) */
	rc = cs_trailer_decode(r->data, r->size, &r->trailer, err);
	/* R14.3: an append that did not finish left bytes after the file as it
	 * was; its header says where that ended */
	if (rc && r->header.major >= 2 && r->header.committed >= CS_MIN_FILE_SIZE &&
	    r->header.committed < r->size &&
	    cs_trailer_decode(r->data, r->header.committed, &r->trailer, NULL) == COLSTORE_OK) {
		r->end = r->header.committed;
		rc = COLSTORE_OK;
	}
	if (!rc)
		rc = cs_parse_footer(r, err);
	if (!rc)
		cs_locate_dicts(r);
	return rc;
}

int colstore_reader_open_memory(const void *data, size_t size,
                                const colstore_reader_options *opts,
                                colstore_reader **out, colstore_error *err)
{
	if (!out || (!data && size))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "data and out are required");
	*out = NULL;
	colstore_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	r->data = data;
	r->size = size;
	r->fd = -1;
	r->refs = 1;
	int rc = cs_open(r, opts, err);
	if (rc) {
		colstore_reader_close(r);
		return rc;
	}
	*out = r;
	return COLSTORE_OK;
}

static int cs_open_path(const char *path, const colstore_reader_options *opts,
                        colstore_reader **out, colstore_error *err);

int colstore_reader_open(const char *path, const colstore_reader_options *opts,
                         colstore_reader **out, colstore_error *err)
{
	if (!out || !path)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "path and out are required");
	struct stat before, after;
	int sized = stat(path, &before) == 0;
	int rc = cs_open_path(path, opts, out, err);
	/* an append that ended while the file was being opened (its header
	 * read after the append reset it, its end before the new trailer):
	 * once more, as the file is now */
	if ((rc == COLSTORE_ETRUNCATED || rc == COLSTORE_ECHECKSUM || rc == COLSTORE_ECORRUPT) &&
	    sized && stat(path, &after) == 0 && after.st_size != before.st_size)
		rc = cs_open_path(path, opts, out, err);
	return rc;
}

static int cs_open_path(const char *path, const colstore_reader_options *opts,
                        colstore_reader **out, colstore_error *err)
{
	*out = NULL;
	colstore_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	r->fd = -1;
	r->refs = 1;
	const void *data;
	size_t size;
	int rc = cs_map_file(path, &data, &size, err);
	if (rc) {
		free(r);
		return rc;
	}
	r->data = data;
	r->size = size;
	r->mapped = 1;
	r->fd = open(path, O_RDONLY | O_CLOEXEC); /* optional: see cs_block_check */
	rc = cs_open(r, opts, err);
	if (rc) {
		colstore_reader_close(r);
		return rc;
	}
	*out = r;
	return COLSTORE_OK;
}

/* ---- accessors ----------------------------------------------------------- */

uint64_t colstore_reader_num_rows(const colstore_reader *r) { return r ? r->num_rows : 0; }
uint32_t colstore_reader_num_columns(const colstore_reader *r)
{
	return r ? r->num_columns : 0;
}
uint32_t colstore_reader_num_row_groups(const colstore_reader *r)
{
	return r ? r->num_row_groups : 0;
}
uint32_t colstore_reader_row_group_size(const colstore_reader *r)
{
	return r ? r->row_group_size : 0;
}
uint64_t colstore_reader_file_size(const colstore_reader *r) { return r ? r->size : 0; }

void colstore_reader_format_version(const colstore_reader *r, unsigned *major,
                                    unsigned *minor)
{
	if (major)
		*major = r ? r->header.major : 0;
	if (minor)
		*minor = r ? r->header.minor : 0;
}

int colstore_reader_column_info(const colstore_reader *r, uint32_t col,
                                colstore_column_info *out, colstore_error *err)
{
	if (!r || !out || col >= r->num_columns)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no column %u", col);
	const cs_column *c = &r->columns[col];
	memset(out, 0, sizeof(*out));
	out->name = c->name;
	out->type = (colstore_type)c->type;
	out->dict_count = c->dict_count;
	if (c->dict_count)
		out->dict_bytes = c->dict_offsets.stored_size + c->dict_bytes.stored_size;
	for (uint32_t g = 0; g < r->num_row_groups; g++) {
		const cs_chunk *ch = cs_chunk_at(r, g, col);
		out->null_count += ch->null_count;
		for (int k = 0; k < 3; k++) {
			out->stored_bytes += ch->blocks[k].stored_size;
			out->raw_bytes += ch->blocks[k].raw_size;
		}
		if (ch->encoding == COLSTORE_ENCODING_DICT)
			out->dict_chunks++;
		else
			out->plain_chunks++;
	}
	return COLSTORE_OK;
}

int cs_column_all_dict(const colstore_reader *r, uint32_t col)
{
	if (r->columns[col].type != COLSTORE_TYPE_STRING)
		return 0;
	for (uint32_t g = 0; g < r->num_row_groups; g++)
		if (cs_chunk_at(r, g, col)->encoding != COLSTORE_ENCODING_DICT)
			return 0;
	return 1;
}

int colstore_reader_find_column(const colstore_reader *r, const char *name, uint32_t *col,
                                colstore_error *err)
{
	for (uint32_t i = 0; r && name && i < r->num_columns; i++)
		if (strcmp(r->columns[i].name, name) == 0) {
			if (col)
				*col = i;
			return COLSTORE_OK;
		}
	if (!err) /* a probe: no message to write */
		return COLSTORE_ENOTFOUND;
	char cols[400];
	cs_columns_text(r, cols, sizeof(cols));
	return cs_err(err, COLSTORE_ENOTFOUND, COLSTORE_NO_OFFSET, "no column named '%s' (columns: %s)",
	              name ? name : "(null)", cols);
}

int colstore_reader_chunk_info(const colstore_reader *r, uint32_t rg, uint32_t col,
                               colstore_chunk_info *out, colstore_error *err)
{
	if (!r || !out || rg >= r->num_row_groups || col >= r->num_columns)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no chunk (%u, %u)", rg, col);
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	uint8_t type = r->columns[col].type;
	memset(out, 0, sizeof(*out));
	out->first_row = (uint64_t)rg * r->row_group_size;
	out->row_count = ch->row_count;
	out->null_count = ch->null_count;
	out->encoding = (colstore_encoding)ch->encoding;
	out->code_width = ch->code_width;
	out->has_minmax = (ch->stats_flags & CS_STATS_MINMAX) != 0;
	out->has_nan = (ch->stats_flags & CS_STATS_NAN) != 0;
	if (out->has_minmax) {
		if (type == COLSTORE_TYPE_FLOAT32 || type == COLSTORE_TYPE_FLOAT64) {
			memcpy(&out->min_double, &ch->min, 8);
			memcpy(&out->max_double, &ch->max, 8);
		} else if (type == COLSTORE_TYPE_STRING) {
			out->min_str = (const char *)r->heap + (ch->min & 0xffffffffu);
			out->min_str_len = (uint32_t)(ch->min >> 32);
			out->max_str = (const char *)r->heap + (ch->max & 0xffffffffu);
			out->max_str_len = (uint32_t)(ch->max >> 32);
		} else {
			out->min_int = (int64_t)ch->min;
			out->max_int = (int64_t)ch->max;
		}
	}
	for (int k = 0; k < 3; k++) {
		const cs_block_desc *b = &ch->blocks[k];
		out->blocks[k].present = b->present;
		out->blocks[k].compression = b->compression;
		out->blocks[k].offset = b->offset;
		out->blocks[k].stored_size = b->stored_size;
		out->blocks[k].raw_size = b->raw_size;
	}
	return COLSTORE_OK;
}

void colstore_reader_dict_prefetch(const colstore_reader *r, uint32_t col, uint32_t code)
{
	if (r && col < r->num_columns && code < r->columns[col].dict_count)
		__builtin_prefetch(r->columns[col].dict_off_p + (size_t)code * 4);
}

int colstore_reader_dict_lookup(const colstore_reader *r, uint32_t col, uint32_t code,
                                const char **s, uint32_t *len, colstore_error *err)
{
	if (s) /* an empty string whatever fails: callers may ignore the code */
		*s = "";
	if (len)
		*len = 0;
	if (!r || col >= r->num_columns)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no column %u", col);
	const cs_column *c = &r->columns[col];
	if (code >= c->dict_count)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET,
		              "column '%s': code %u outside the dictionary (%u entries)", c->name,
		              code, c->dict_count);
	int rc = cs_dict_ready(r, col, err);
	if (rc)
		return rc;
	/* the offsets were checked in range and nondecreasing, but they are read
	 * again from the mapping: a file changed in place since would have them
	 * point anywhere, so the pair is checked again (two compares) */
	uint32_t a = cs_le32(c->dict_off_p + (size_t)code * 4);
	uint32_t b = cs_le32(c->dict_off_p + (size_t)code * 4 + 4);
	if (a > b || b > c->dict_bytes.raw_size)
		return cs_err(err, COLSTORE_ECORRUPT, c->dict_offsets.offset + (uint64_t)code * 4,
		              "column '%s': dictionary offsets changed since they were checked (the "
		              "file changed while being read)", c->name);
	if (s)
		*s = (const char *)c->dict_bytes_p + a;
	if (len)
		*len = b - a;
	return COLSTORE_OK;
}

/* ---- blocks (§12 step 6) ---------------------------------------------------- */

int cs_check_codes(const cs_column *c, const uint8_t *p, unsigned w, uint64_t n, const char *where,
                   uint64_t at, colstore_error *err)
{
	/* R9.4.2: codes < dict_count (0 with an empty dictionary) */
	uint32_t maxc = 0;
	if (w == 1) { /* one loop per width: each vectorizes */
		uint8_t mx = 0;
		for (uint64_t i = 0; i < n; i++)
			mx = p[i] > mx ? p[i] : mx;
		maxc = mx;
	} else if (w == 2) {
		uint16_t mx = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint16_t v = cs_le16(p + i * 2);
			mx = v > mx ? v : mx;
		}
		maxc = mx;
	} else {
		for (uint64_t i = 0; i < n; i++) {
			uint32_t v = cs_le32(p + i * 4);
			maxc = v > maxc ? v : maxc;
		}
	}
	if (c->dict_count ? maxc >= c->dict_count : maxc != 0)
		return cs_err(err, COLSTORE_ECORRUPT, at,
		              "%s: code %u outside the dictionary of %u entries (R9.4.2)", where, maxc,
		              c->dict_count);
	return COLSTORE_OK;
}

static int cs_check_content(const colstore_reader *r, uint32_t rg, uint32_t col, int kind,
                            const uint8_t *p, const char *where, uint64_t at,
                            colstore_error *err)
{
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	const cs_column *c = &r->columns[col];
	uint64_t n = ch->row_count;
	if (kind == COLSTORE_BLOCK_VALIDITY) {
		if (!cs_bitmap_tail_clear(p, n))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: bits past row %llu are set (R9.1.2)", where,
			              (unsigned long long)n);
		if (n - cs_bitmap_popcount(p, n) != ch->null_count)
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: bitmap holds %llu nulls, descriptor says %u (R9.1.1)",
			              where, (unsigned long long)(n - cs_bitmap_popcount(p, n)),
			              ch->null_count);
	} else if (kind == COLSTORE_BLOCK_DATA && c->type == COLSTORE_TYPE_BOOL) {
		if (!cs_bitmap_tail_clear(p, n))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: bits past row %llu are set (R9.3.1)", where,
			              (unsigned long long)n);
	} else if (kind == COLSTORE_BLOCK_DATA && c->type == COLSTORE_TYPE_STRING) {
		if (ch->encoding == COLSTORE_ENCODING_DICT) {
			int rc = cs_check_codes(c, p, ch->code_width, n, where, at, err);
			if (rc)
				return rc;
		} else if (!cs_check_offsets(p, n, ch->blocks[COLSTORE_BLOCK_EXTRA].raw_size)) {
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: string offsets are not 0, nondecreasing, ending at %llu "
			              "(R9.5.1)",
			              where,
			              (unsigned long long)ch->blocks[COLSTORE_BLOCK_EXTRA].raw_size);
		}
	}
	return COLSTORE_OK;
}

const char *cs_block_where(const colstore_reader *r, uint32_t rg, uint32_t col, int kind,
                                  char *buf, size_t size)
{
	snprintf(buf, size, "row group %u column '%s' %s block", rg, r->columns[col].name,
	         cs_kind_names[kind]);
	return buf;
}

void cs_block_mark_checked(colstore_reader *r, uint32_t rg, uint32_t col, int kind)
{
	__atomic_store_n(&r->verified[((size_t)rg * r->num_columns + col) * 3 + (size_t)kind],
	                 CS_CHECKED_SUM | CS_CHECKED_CONTENT, __ATOMIC_RELEASE);
}

/* Row groups are read in file order, a few at a time by the workers: as a
 * column's data block is read, the kernel is asked to read that column's
 * chunk CS_AHEAD_RG row groups on (posix_fadvise WILLNEED starts the reads
 * and returns; the first row group asks for the next CS_AHEAD_RG), so that
 * a file not in the page cache, or partly evicted, is read while the row
 * groups before it are worked on rather than a block at a time on demand.
 * Measured on the benchmark VM, whose host pages out file pages left idle
 * for seconds: a 5-aggregate group-by over 3 columns (13M rows, 2 threads)
 * went from 90 to 35 ms on an evicted file.
 *
 * A file all in the page cache needs none of it, and each request is a
 * system call that looks its pages up (594 of them for the filtered sum of
 * the 1 GB bench file).  So a block read with pread is first asked of the
 * page cache alone (preadv2 RWF_NOWAIT); only when that comes back short
 * are the row groups from this one to CS_AHEAD_WINDOW on read ahead, the
 * missing block asking for all of the next CS_AHEAD_RG (as the first row
 * group does), so that on a cold file the window's end costs one block
 * read on demand a column, not CS_AHEAD_RG of them.  Blocks read through
 * the mapping (uncompressed ones) always ask, as every block does where
 * the page cache cannot be read alone. */
#define CS_AHEAD_RG 4u
#define CS_AHEAD_WINDOW 64u

/* a miss at row group rg: read ahead up to rg + CS_AHEAD_WINDOW */
static void cs_ahead_open(colstore_reader *r, uint32_t rg)
{
	uint32_t want = rg < UINT32_MAX - CS_AHEAD_WINDOW ? rg + CS_AHEAD_WINDOW : UINT32_MAX;
	uint32_t was = __atomic_load_n(&r->ahead_until, __ATOMIC_RELAXED);
	while (was < want &&
	       !__atomic_compare_exchange_n(&r->ahead_until, &was, want, 1, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED))
		;
}

int cs_test_cache; /* (internal.h) */

/* reads [off, off + n) into p from the page cache alone, as far as it holds
 * them: the bytes read; 0 when it held none of them, or when this system
 * cannot read that way (then r->nowait_off is set and the reader stops
 * asking) */
static size_t cs_pread_cached(colstore_reader *r, uint8_t *p, size_t n, uint64_t off)
{
	if (cs_test_cache == CS_TEST_CACHE_MISS)
		return 0;
	if (cs_test_cache == CS_TEST_CACHE_FIRST_MISS) {
		cs_test_cache = CS_TEST_CACHE_HIT;
		return 0;
	}
	if (cs_test_cache) { /* HIT or PARTIAL: a blocking read stands in */
		ssize_t k = pread(r->fd, p, cs_test_cache == CS_TEST_CACHE_PARTIAL ? n / 2 : n, (off_t)off);
		return k > 0 ? (size_t)k : 0;
	}
#if defined(HAVE_PREADV2) && defined(RWF_NOWAIT)
	struct iovec v = { p, n };
	ssize_t k = preadv2(r->fd, &v, 1, (off_t)off, RWF_NOWAIT);
	if (k > 0)
		return (size_t)k;
	if (k < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS))
		__atomic_store_n(&r->nowait_off, 1, __ATOMIC_RELAXED);
	/* (else EAGAIN, or an error the blocking read meets in turn) */
#else
	(void)p;
	(void)n;
	(void)off;
	__atomic_store_n(&r->nowait_off, 1, __ATOMIC_RELAXED);
#endif
	return 0;
}

/* [*lo, *hi) widened to take in the stored bytes of chunk (rg, col) */
static void cs_chunk_span(const colstore_reader *r, uint32_t rg, uint32_t col, uint64_t *lo,
                          uint64_t *hi)
{
	for (int k = 0; k < 3; k++) {
		const cs_block_desc *d = &cs_chunk_at(r, rg, col)->blocks[k];
		if (!d->present || !d->stored_size)
			continue;
		if (d->offset < *lo)
			*lo = d->offset;
		if (d->offset + d->stored_size > *hi)
			*hi = d->offset + d->stored_size;
	}
}

/* asks for column col's chunk CS_AHEAD_RG row groups on, or (fill, and from
 * the first row group) for all of the next CS_AHEAD_RG */
static void cs_read_ahead(colstore_reader *r, uint32_t rg, uint32_t col, int fill)
{
	if (r->fd < 0)
		return;
	__atomic_fetch_add(&r->ahead_calls, 1, __ATOMIC_RELAXED);
	uint32_t from = rg && !fill ? rg + CS_AHEAD_RG : rg + 1, to = rg + CS_AHEAD_RG;
	for (uint32_t g = from; g <= to && g < r->num_row_groups; g++) {
		uint64_t lo = UINT64_MAX, hi = 0;
		cs_chunk_span(r, g, col, &lo, &hi);
		if (lo < hi) /* (checked against the file's size when the footer was read) */
			(void)posix_fadvise(r->fd, (off_t)lo, (off_t)(hi - lo), POSIX_FADV_WILLNEED);
	}
}

int cs_block_bytes(colstore_reader *r, uint32_t rg, uint32_t col, int kind, int force_checksum,
                   colstore_buffers *stage, uint32_t slot, const uint8_t **bytes, int *checked,
                   colstore_error *err)
{
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	const cs_block_desc *b = &ch->blocks[kind];
	uint8_t *vflag = &r->verified[((size_t)rg * r->num_columns + col) * 3 + (size_t)kind];
	uint8_t flags = __atomic_load_n(vflag, __ATOMIC_ACQUIRE);
	int done = flags == (CS_CHECKED_SUM | CS_CHECKED_CONTENT) && !force_checksum;
	int summed = (flags & CS_CHECKED_SUM) && !force_checksum;
	const uint8_t *stored = r->data + b->offset;
	if (stage && r->fd >= 0 && b->compression != COLSTORE_COMPRESSION_NONE &&
	    b->stored_size >= 16384) {
		/* A compressed block is decoded into a buffer anyway, so its bytes
		 * need not be mapped: pread copies them from the page cache into
		 * a reused staging area.  Measured on the benchmark VM, touching
		 * freshly mapped 4 KiB pages ran at 1.5-2.5 GB/s (a fault and a
		 * page-table update each), pread at 4-7 GB/s.  On any failure the
		 * mapping is used. */
		uint8_t *sp = cs_buffers_stage(stage, slot, (size_t)b->stored_size);
		size_t got = 0;
		const int nowait = !__atomic_load_n(&r->nowait_off, __ATOMIC_RELAXED);
		if (sp && nowait)
			got = cs_pread_cached(r, sp, (size_t)b->stored_size, b->offset);
		if (kind != COLSTORE_BLOCK_DATA) {
			/* (read ahead as data blocks are read) */
		} else if (!sp || !nowait) {
			cs_read_ahead(r, rg, col, 0); /* as every block did */
		} else if (got < b->stored_size) {
			cs_ahead_open(r, rg); /* not all in the page cache */
			cs_read_ahead(r, rg, col, 1);
		} else if (rg < __atomic_load_n(&r->ahead_until, __ATOMIC_RELAXED)) {
			cs_read_ahead(r, rg, col, 0);
		}
		while (sp && got < b->stored_size) {
			ssize_t k = pread(r->fd, sp + got, (size_t)b->stored_size - got,
			                  (off_t)(b->offset + got));
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		if (sp && got == b->stored_size)
			stored = sp;
	} else if (kind == COLSTORE_BLOCK_DATA) {
		cs_read_ahead(r, rg, col, 0);
	}
	if (stored == r->data + b->offset && b->stored_size)
		__atomic_fetch_add(&r->map_reads, 1, __ATOMIC_RELAXED);
	if (!summed && (force_checksum || !(r->flags & COLSTORE_OPEN_NO_BLOCK_CHECKSUMS))) {
		if (cs_xxh3(stored, b->stored_size) != b->checksum) {
			char where[96];
			return cs_err(err, COLSTORE_ECHECKSUM, b->offset,
			              "%s: checksum mismatch (bytes [%llu, %llu))",
			              cs_block_where(r, rg, col, kind, where, sizeof(where)),
			              (unsigned long long)b->offset,
			              (unsigned long long)(b->offset + b->stored_size));
		}
		__atomic_fetch_or(vflag, CS_CHECKED_SUM, __ATOMIC_RELEASE);
	}
	*bytes = stored;
	*checked = done;
	return COLSTORE_OK;
}

int cs_block_check(colstore_reader *r, uint32_t rg, uint32_t col, int kind,
                   int force_checksum, void *buf, size_t buf_size, colstore_block *out,
                   int *mantissa_scale, colstore_buffers *stage, colstore_error *err)
{
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	const cs_block_desc *b = &ch->blocks[kind];
	out->data = NULL;
	out->size = 0;
	out->zero_copy = 0;
	if (!b->present)
		return COLSTORE_OK;
	const uint8_t *stored;
	int done;
	int rc = cs_block_bytes(r, rg, col, kind, force_checksum, stage, CS_STAGE_ANY, &stored, &done,
	                        err);
	if (rc)
		return rc;
	char wb[96];
	const uint8_t *p = stored;
	if (b->compression != COLSTORE_COMPRESSION_NONE) {
		if (!buf || buf_size < b->raw_size)
			return cs_err(err, COLSTORE_ERANGE, b->offset,
			              "%s: compressed; needs a buffer of %llu bytes",
			              cs_block_where(r, rg, col, kind, wb, sizeof(wb)),
			              (unsigned long long)b->raw_size);
		if (b->compression == COLSTORE_COMPRESSION_LZ4) {
			if (cs_lz4_decompress(stored, b->stored_size, buf, b->raw_size))
				return cs_err(err, COLSTORE_ECORRUPT, b->offset,
				              "%s: LZ4 data does not decode to %llu bytes (R10.1.1)",
				              cs_block_where(r, rg, col, kind, wb, sizeof(wb)),
				              (unsigned long long)b->raw_size);
		} else {
			const cs_column *c = &r->columns[col];
			unsigned w = ch->encoding == COLSTORE_ENCODING_DICT ? ch->code_width
			                                                    : colstore_type_width(c->type);
			const char *why = "";
			if (cs_pack_decode(b->compression, stored, b->stored_size, w, buf, b->raw_size,
			                   mantissa_scale, &why))
				return cs_err(err, COLSTORE_ECORRUPT, b->offset, "%s: %s block: %s (§10)",
				              cs_block_where(r, rg, col, kind, wb, sizeof(wb)),
				              b->compression == COLSTORE_COMPRESSION_BITPACK ? "BITPACK"
				                                                              : "DECIMAL",
				              why);
		}
		p = buf;
	} else {
		out->zero_copy = 1;
	}
	if (!done) {
		rc = cs_check_content(r, rg, col, kind, p,
		                      cs_block_where(r, rg, col, kind, wb, sizeof(wb)), b->offset, err);
		if (rc)
			return rc;
		cs_block_mark_checked(r, rg, col, kind);
	}
	out->data = p;
	out->size = b->raw_size;
	return COLSTORE_OK;
}

void cs_row_group_span(const colstore_reader *r, uint32_t rg, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (uint32_t c = 0; c < r->num_columns; c++)
		cs_chunk_span(r, rg, c, lo, hi);
}

int colstore_reader_block(colstore_reader *r, uint32_t rg, uint32_t col, int kind,
                          void *buf, size_t buf_size, colstore_block *out,
                          colstore_error *err)
{
	if (!r || !out || rg >= r->num_row_groups || col >= r->num_columns || kind < 0 ||
	    kind > 2)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET,
		              "no block (row group %u, column %u, kind %d)", rg, col, kind);
	return cs_block_check(r, rg, col, kind, 0, buf, buf_size, out, NULL, NULL, err);
}
