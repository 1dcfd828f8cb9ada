/*
 * format.c -- encode and decode the fixed structures of format-spec.md §5:
 * header, trailer and block descriptors.  Bytes only, no I/O.
 */
#include "internal.h"

void cs_header_encode(uint8_t out[CS_HEADER_SIZE], uint64_t committed, uint32_t appends)
{
	memset(out, 0, CS_HEADER_SIZE); /* R3.1: reserved bytes zero */
	memcpy(out, CS_MAGIC, CS_MAGIC_LEN);
	cs_st16(out + 8, appends ? 2 : 1); /* R14.1: a file is 1.0 until appended to */
	cs_st16(out + 10, 0);
	if (appends) {
		cs_st64(out + 28, committed);
		cs_st32(out + 36, appends);
	}
	cs_st32(out + 12, CS_HEADER_SIZE);
	cs_st32(out + 16, 0); /* required_flags */
	cs_st32(out + 20, 0); /* optional_flags */
	cs_st32(out + 24, CS_ALIGN);
	cs_st64(out + 56, cs_xxh3(out, 56));
}

/* R7.5: reserved bytes must be zero unless the file is of a newer minor */
static int cs_reserved_ok(const uint8_t *p, size_t n, const cs_header *h)
{
	if (h->minor > COLSTORE_FORMAT_MINOR)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* what a file that is not a colstore file looks like, from its first bytes
 * (n of them): a phrase for a message, or NULL when nothing is recognised */
const char *cs_sniff(const uint8_t *p, size_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} known[] = {
		{ CS_MAGIC, CS_MAGIC_LEN, "a colstore file" },
		{ "\x1f\x8b", 2, "gzip-compressed data" },
		{ "\x28\xb5\x2f\xfd", 4, "zstd-compressed data" },
		{ "BZh", 3, "bzip2-compressed data" },
		{ "\xfd" "7zXZ\0", 6, "xz-compressed data" },
		{ "PK\x03\x04", 4, "a zip archive" },
		{ "PAR1", 4, "a Parquet file" },
		{ "ARROW1", 6, "an Arrow IPC file" },
		{ "\xff\xff\xff\xff", 4, "an Arrow IPC stream" },
		{ "SQLite format 3", 16, "an SQLite database" },
	};
	if (n == 0)
		return "an empty file";
	/* text: no byte below space but tab and line breaks, no DEL (bytes of
	 * 0x80 and up are UTF-8, or another encoding, and count as text) */
	size_t look = n < CS_SNIFF_LOOK ? n : CS_SNIFF_LOOK, text = 0;
	for (size_t i = 0; i < look; i++)
		text += p[i] == '\t' || p[i] == '\n' || p[i] == '\r' || (p[i] >= 0x20 && p[i] != 0x7f);
	int is_text = text == look;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		/* a magic that is itself text (PAR1, BZh) names binary data only:
		 * a CSV may start with PAR1, */
		int printable = 1;
		for (size_t k = 0; k < known[i].len; k++)
			printable &= known[i].magic[k] >= 0x20 && known[i].magic[k] < 0x7f;
		if (n >= known[i].len && memcmp(p, known[i].magic, known[i].len) == 0 &&
		    !(printable && is_text))
			return known[i].what;
	}
	if (n < CS_MAGIC_LEN && memcmp(p, CS_MAGIC, n) == 0)
		return "the start of a colstore file, cut short";
	return is_text ? "text (a CSV file? colstore import makes a colstore file of one)" : NULL;
}

/* COLSTORE_ENOTCOLSTORE, saying what the bytes look like, unless they
 * start with the magic */
int cs_magic_check(const uint8_t *p, size_t n, colstore_error *err)
{
	if (n >= CS_MAGIC_LEN && memcmp(p, CS_MAGIC, CS_MAGIC_LEN) == 0)
		return COLSTORE_OK;
	const char *what = cs_sniff(p, n);
	return cs_err(err, COLSTORE_ENOTCOLSTORE, COLSTORE_NO_OFFSET, "not a colstore file: %s%s",
	              what ? "it is " : "it does not start with the colstore magic bytes",
	              what ? what : "");
}

/* §12 step 2 */
int cs_header_decode(const uint8_t *p, size_t size, cs_header *h, colstore_error *err)
{
	if (size < CS_HEADER_SIZE)
		return cs_err(err, COLSTORE_ETRUNCATED, 0, "file is shorter than the header");
	if (memcmp(p, CS_MAGIC, CS_MAGIC_LEN) != 0)
		return cs_err(err, COLSTORE_ECORRUPT, 0,
		              "not a colstore file (bad magic at offset 0)");
	if (cs_le64(p + 56) != cs_xxh3(p, 56))
		return cs_err(err, COLSTORE_ECHECKSUM, 0,
		              "header checksum mismatch (bytes [0, 56))");
	h->major = cs_le16(p + 8);
	h->minor = cs_le16(p + 10);
	if (h->major < 1 || h->major > COLSTORE_FORMAT_MAJOR)
		return cs_err(err, COLSTORE_EVERSION, 8,
		              "format version %u.%u is not supported (this reader reads 1.x and "
		              "2.x)",
		              h->major, h->minor);
	h->committed = h->major >= 2 ? cs_le64(p + 28) : 0;
	h->appends = h->major >= 2 ? cs_le32(p + 36) : 0;
	h->required_flags = cs_le32(p + 16);
	h->optional_flags = cs_le32(p + 20);
	if (h->required_flags != 0)
		return cs_err(err, COLSTORE_EVERSION, 16,
		              "header requires unknown features (required_flags 0x%08x)",
		              h->required_flags);
	if (cs_le32(p + 12) != CS_HEADER_SIZE || cs_le32(p + 24) != CS_ALIGN)
		return cs_err(err, COLSTORE_ECORRUPT, 12,
		              "header_size %u / alignment %u, expected 64 / 64",
		              cs_le32(p + 12), cs_le32(p + 24));
	if (h->major == 1 && !cs_reserved_ok(p + 28, 28, h))
		return cs_err(err, COLSTORE_ECORRUPT, 28, "header reserved bytes [28, 56) not zero");
	if (h->major == 2 && !cs_reserved_ok(p + 40, 16, h))
		return cs_err(err, COLSTORE_ECORRUPT, 40, "header reserved bytes [40, 56) not zero");
	if (h->major == 2 && h->appends == 0)
		return cs_err(err, COLSTORE_ECORRUPT, 36,
		              "a 2.0 header with no append (appends is 0) (R14.1)");
	return COLSTORE_OK;
}

void cs_trailer_encode(uint8_t out[CS_TRAILER_SIZE], uint64_t footer_offset,
                       uint64_t footer_size, uint64_t footer_checksum)
{
	memcpy(out, CS_MAGIC, CS_MAGIC_LEN);
	cs_st64(out + 8, footer_offset);
	cs_st64(out + 16, footer_size);
	cs_st64(out + 24, footer_checksum);
	cs_st64(out + 32, cs_xxh3(out, 32));
}

/* §12 step 3 */
int cs_trailer_decode(const uint8_t *file, size_t size, cs_trailer *t, colstore_error *err)
{
	if (size < CS_MIN_FILE_SIZE)
		return cs_err(err, COLSTORE_ETRUNCATED, size, "file is truncated (%zu bytes)", size);
	uint64_t at = size - CS_TRAILER_SIZE;
	const uint8_t *p = file + at;
	if (memcmp(p, CS_MAGIC, CS_MAGIC_LEN) != 0)
		return cs_err(err, COLSTORE_ETRUNCATED, at,
		              "file is incomplete or truncated: no trailer at offset %llu "
		              "(R4.4)",
		              (unsigned long long)at);
	if (cs_le64(p + 32) != cs_xxh3(p, 32))
		return cs_err(err, COLSTORE_ECHECKSUM, at,
		              "trailer checksum mismatch (bytes [%llu, %llu))",
		              (unsigned long long)at, (unsigned long long)(at + 32));
	t->footer_offset = cs_le64(p + 8);
	t->footer_size = cs_le64(p + 16);
	t->footer_checksum = cs_le64(p + 24);
	if (t->footer_offset % CS_ALIGN != 0 || t->footer_offset < CS_HEADER_SIZE ||
	    t->footer_size < CS_FOOTER_FIXED || t->footer_offset > at ||
	    t->footer_size != at - t->footer_offset)
		return cs_err(err, COLSTORE_ECORRUPT, at + 8,
		              "trailer names footer [%llu, +%llu), which does not end at the "
		              "trailer (offset %llu) (R4.1)",
		              (unsigned long long)t->footer_offset,
		              (unsigned long long)t->footer_size, (unsigned long long)at);
	return COLSTORE_OK;
}

void cs_block_encode(uint8_t out[CS_BLOCK_DESC_SIZE], const cs_block_desc *b)
{
	memset(out, 0, CS_BLOCK_DESC_SIZE);
	if (!b->present)
		return; /* R5.5.1: absent = 40 zero bytes */
	cs_st64(out, b->offset);
	cs_st64(out + 8, b->stored_size);
	cs_st64(out + 16, b->raw_size);
	cs_st64(out + 24, b->checksum);
	out[32] = b->compression;
}

int cs_block_decode(const uint8_t *p, uint64_t at, uint64_t footer_offset, int strict,
                    cs_block_desc *b, const char *where, colstore_error *err)
{
	/* five words, not forty bytes: a large file's footer holds hundreds of
	 * thousands of descriptors, all decoded when it is opened */
	uint64_t tail = cs_le64(p + 32); /* the compression byte, then 7 reserved */
	b->offset = cs_le64(p);
	b->stored_size = cs_le64(p + 8);
	b->raw_size = cs_le64(p + 16);
	b->checksum = cs_le64(p + 24);
	b->compression = (uint8_t)tail;
	b->present = (b->offset | b->stored_size | b->raw_size | b->checksum | tail) != 0;
	if (!b->present)
		return COLSTORE_OK;
	if (strict && tail >> 8) {
		unsigned i = 33;
		while (!p[i])
			i++;
		return cs_err(err, COLSTORE_ECORRUPT, at + i,
		              "%s: reserved bytes of block descriptor not zero", where);
	}
	if (b->offset % CS_ALIGN != 0 || b->offset < CS_HEADER_SIZE)
		return cs_err(err, COLSTORE_ECORRUPT, at,
		              "%s: block offset %llu is not a multiple of 64 after the header "
		              "(R5.5.2)",
		              where, (unsigned long long)b->offset);
	if (!(b->stored_size <= footer_offset && b->offset <= footer_offset - b->stored_size))
		return cs_err(err, COLSTORE_ECORRUPT, at,
		              "%s: block [%llu, +%llu) runs past the footer at %llu (R5.5.2)",
		              where, (unsigned long long)b->offset,
		              (unsigned long long)b->stored_size,
		              (unsigned long long)footer_offset);
	if (b->compression == COLSTORE_COMPRESSION_NONE) {
		if (b->stored_size != b->raw_size)
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: uncompressed block with stored size %llu != raw size "
			              "%llu (R5.5.3)",
			              where, (unsigned long long)b->stored_size,
			              (unsigned long long)b->raw_size);
	} else if (b->compression == COLSTORE_COMPRESSION_LZ4) {
		if (b->stored_size < 1 || b->raw_size < 1 || b->raw_size > INT32_MAX ||
		    (b->raw_size + CS_LZ4_MAX_RATIO - 1) / CS_LZ4_MAX_RATIO > b->stored_size)
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: LZ4 block sizes stored %llu raw %llu out of bounds "
			              "(R5.5.3)",
			              where, (unsigned long long)b->stored_size,
			              (unsigned long long)b->raw_size);
	} else if (b->compression == COLSTORE_COMPRESSION_BITPACK ||
	           b->compression == COLSTORE_COMPRESSION_DECIMAL) {
		if (b->stored_size < CS_PACK_HEADER)
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: packed block of %llu bytes is shorter than its header "
			              "(R5.5.3)",
			              where, (unsigned long long)b->stored_size);
	} else {
		return cs_err(err, COLSTORE_ECORRUPT, at + 32,
		              "%s: unknown compression code %u", where, b->compression);
	}
	return COLSTORE_OK;
}

size_t cs_column_entry_size(size_t name_len)
{
	return (CS_COLUMN_ENTRY_FIXED + name_len + 7) & ~(size_t)7;
}

void cs_footer_fixed_encode(uint8_t out[CS_FOOTER_FIXED], uint64_t num_rows, uint32_t num_columns,
                            uint32_t num_row_groups, uint32_t row_group_size, uint64_t heap_size)
{
	memset(out, 0, CS_FOOTER_FIXED);
	cs_st64(out + CS_FT_NUM_ROWS, num_rows);
	cs_st32(out + CS_FT_NUM_COLUMNS, num_columns);
	cs_st32(out + CS_FT_NUM_ROW_GROUPS, num_row_groups);
	cs_st32(out + CS_FT_ROW_GROUP_SIZE, row_group_size);
	cs_st64(out + CS_FT_HEAP_SIZE, heap_size);
}

void cs_column_entry_encode(uint8_t *out, uint8_t type, const char *name, size_t len,
                            uint32_t dict_count, const cs_block_desc *dict_offsets,
                            const cs_block_desc *dict_bytes)
{
	memset(out, 0, cs_column_entry_size(len));
	out[CS_CE_TYPE] = type;
	cs_st16(out + CS_CE_NAME_LEN, (uint16_t)len);
	cs_st32(out + CS_CE_DICT_COUNT, dict_count);
	cs_block_encode(out + CS_CE_DICT_OFFSETS, dict_offsets);
	cs_block_encode(out + CS_CE_DICT_BYTES, dict_bytes);
	memcpy(out + CS_COLUMN_ENTRY_FIXED, name, len);
}

void cs_chunk_desc_encode(uint8_t out[CS_CHUNK_DESC_SIZE], uint32_t row_count, uint32_t null_count,
                          uint8_t encoding, uint8_t code_width, uint8_t stats_flags, uint64_t min,
                          uint64_t max, const cs_block_desc blocks[3])
{
	memset(out, 0, CS_CHUNK_DESC_SIZE);
	cs_st32(out + CS_CD_ROW_COUNT, row_count);
	cs_st32(out + CS_CD_NULL_COUNT, null_count);
	out[CS_CD_ENCODING] = encoding;
	out[CS_CD_CODE_WIDTH] = code_width;
	out[CS_CD_STATS_FLAGS] = stats_flags;
	cs_st64(out + CS_CD_MIN, min);
	cs_st64(out + CS_CD_MAX, max);
	for (int k = 0; k < 3; k++)
		cs_block_encode(out + CS_CD_BLOCK(k), &blocks[k]);
}
