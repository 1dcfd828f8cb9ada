/*
 * colstore.h -- the public API of libcolstore.
 *
 * If it is not in this header, it is not API.
 *
 * @mainpage libcolstore
 *
 * libcolstore writes and reads colstore files: typed, column-oriented tables
 * cut into row groups, laid out so that an uncompressed column block can be
 * used in place, straight from a read-only memory mapping.  The byte layout is
 * specified in format-spec.md; this header cites its sections as (spec §N).
 *
 * Model.
 *   A writer (colstore_writer) streams rows or column batches into a
 *   temporary file beside the target, holding at most one row group per
 *   column in memory plus the string dictionaries, and renames it over the
 *   target only after the footer is written and the data is fsync'd.
 *   A reader (colstore_reader) maps a file read-only, checks the header,
 *   trailer and footer (checksums and every offset) on open, and hands out
 *   column blocks: a pointer into the mapping when the block is stored
 *   uncompressed, or decompressed into a caller buffer when it is LZ4.
 *   Every block handed out has had its checksum and content rules checked.
 *
 * Errors.
 *   Every fallible call returns an int: COLSTORE_OK (0) or one of the
 *   COLSTORE_E* codes, whose values are pinned forever.  The last argument is
 *   an optional, caller-owned colstore_error that receives the code, a
 *   message and, where there is one, the byte offset in the file or the line
 *   and column of a text input.  NULL is always accepted there.  The library
 *   never prints, never exits and never aborts.
 *
 * Ownership.
 *   Pointers returned by a reader (names, blocks, dictionary strings,
 *   statistics) point into the reader's mapping or its own memory.  They are
 *   valid until colstore_reader_close() and must not be written through.
 *   colstore_*_close(NULL) and colstore_writer_abort(NULL) are no-ops.
 *
 * Threads.
 *   A writer must be used by one thread at a time.  A reader is not modified
 *   by the read calls in this header except for an internal cache of
 *   "block already verified" flags, updated with atomic stores, so one reader
 *   may be shared by threads that only read from it, each with its own
 *   colstore_buffers; close it once, after they are all done.  A filter may
 *   be evaluated by several threads at once, and several aggregations may
 *   run on one reader at once.  (tests/test_threads.c does all of this from
 *   four threads on a fresh reader and compares with one thread alone.)
 *
 * Environment.
 *   COLSTORE_SIMD, read once, when bit-packed values are first decoded,
 *   chooses its kernels: "scalar" (plain C), "avx2", or "avx512" (also unset
 *   or any other value: the best the CPU runs).  Results are the same bytes
 *   whatever it says.
 *   TMPDIR: where an aggregation keeps groups that do not fit (see
 *   colstore_agg_run).
 */
#ifndef COLSTORE_H
#define COLSTORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define COLSTORE_API __attribute__((visibility("default")))
#else
#define COLSTORE_API
#endif

#if defined(COLSTORE_DEBUG_UNUSED) && defined(__GNUC__)
#define COLSTORE_NODISCARD __attribute__((warn_unused_result))
#else
#define COLSTORE_NODISCARD
#endif

/* ---- Versions ---------------------------------------------------------- */

#define COLSTORE_VERSION_MAJOR 0 /* incompatible API changes */
#define COLSTORE_VERSION_MINOR 1 /* new API, backward compatible */
#define COLSTORE_VERSION_PATCH 0 /* fixes only */
#define COLSTORE_VERSION_NUMBER \
	(COLSTORE_VERSION_MAJOR * 10000 + COLSTORE_VERSION_MINOR * 100 + \
	 COLSTORE_VERSION_PATCH)

/* The on-disk format version this library reads (1.0 and 2.0) and writes
 * (spec §1, §7): a new file is 1.0, and appending to it makes it 2.0.  It
 * moves independently of the library version. */
#define COLSTORE_FORMAT_MAJOR 2
#define COLSTORE_FORMAT_MINOR 0

/** @return COLSTORE_VERSION_NUMBER of the library actually linked. */
COLSTORE_API unsigned colstore_version_number(void);
/** @return "MAJOR.MINOR.PATCH" of the linked library; static storage. */
COLSTORE_API const char *colstore_version_string(void);

/* ---- Errors ------------------------------------------------------------ */

/* Values are pinned: never renumbered, new codes only added at the end. */
enum {
	COLSTORE_OK = 0,
	COLSTORE_EIO = 1,        /* a system call failed (errno text in message) */
	COLSTORE_ENOMEM = 2,     /* out of memory */
	COLSTORE_EINVAL = 3,     /* bad argument or call out of order */
	COLSTORE_ECORRUPT = 4,   /* the file breaks a rule of format-spec.md */
	COLSTORE_ECHECKSUM = 5,  /* a region's XXH3-64 does not match */
	COLSTORE_ETRUNCATED = 6, /* the file is shorter than it claims / incomplete */
	COLSTORE_EVERSION = 7,   /* unsupported format major version or flag */
	COLSTORE_EPARSE = 8,     /* text input (CSV, expression) is malformed */
	COLSTORE_ENOTFOUND = 9,  /* no such column / file */
	COLSTORE_ERANGE = 10,    /* value or index out of range; buffer too small */
	COLSTORE_ELIMIT = 11,    /* a documented limit of format-spec.md §12 */
	COLSTORE_ENOTCOLSTORE = 12 /* not a colstore file at all (no magic); the
	                            * message says what it looks like */
};

#define COLSTORE_NO_OFFSET UINT64_MAX

/** Optional, caller-owned error details.  Filled on failure only. */
typedef struct colstore_error {
	int code;          /* the COLSTORE_E* code also returned */
	uint64_t offset;   /* byte offset in the colstore file, or COLSTORE_NO_OFFSET */
	uint64_t line;     /* 1-based line of a text input, or 0 */
	uint64_t column;   /* 1-based column (field) of a text input, or 0 */
	char message[512]; /* NUL-terminated, one line, no trailing newline */
} colstore_error;

/** @return static text for a COLSTORE_E* code ("unknown error" otherwise). */
COLSTORE_API const char *colstore_strerror(int code);

/* ---- Types ------------------------------------------------------------- */

/* Column types; the values are the on-disk type tags (spec §5.3). */
typedef enum colstore_type {
	COLSTORE_TYPE_INT8 = 1,
	COLSTORE_TYPE_INT16 = 2,
	COLSTORE_TYPE_INT32 = 3,
	COLSTORE_TYPE_INT64 = 4,
	COLSTORE_TYPE_FLOAT32 = 5,
	COLSTORE_TYPE_FLOAT64 = 6,
	COLSTORE_TYPE_BOOL = 7,
	COLSTORE_TYPE_STRING = 8,
	COLSTORE_TYPE_DATE = 9,      /* int32 days since 1970-01-01 */
	COLSTORE_TYPE_TIMESTAMP = 10 /* int64 microseconds since 1970-01-01T00:00:00Z */
} colstore_type;

/* Chunk encodings (spec §5.4). */
typedef enum colstore_encoding {
	COLSTORE_ENCODING_PLAIN = 0,
	COLSTORE_ENCODING_DICT = 1
} colstore_encoding;

/* Block codecs, as stored in a block descriptor (spec §10). */
enum {
	COLSTORE_COMPRESSION_NONE = 0,
	COLSTORE_COMPRESSION_LZ4 = 1,
	COLSTORE_COMPRESSION_BITPACK = 2, /* frame of reference + bit-packing */
	COLSTORE_COMPRESSION_DECIMAL = 3  /* float64 as scaled integers */
};

/* Codecs a writer may use: colstore_writer_options.compression is 0 or a set
 * of these.  A block is stored with the smallest allowed codec that beats
 * its raw size.  COLSTORE_WRITE_LZ4 equals COLSTORE_COMPRESSION_LZ4. */
#define COLSTORE_WRITE_LZ4 1u  /* LZ4 on any block but dictionaries */
#define COLSTORE_WRITE_PACK 2u /* BITPACK / DECIMAL on integer and float64 data */

/* The three block slots of a column chunk (spec §5.4). */
enum {
	COLSTORE_BLOCK_VALIDITY = 0, /* null bitmap, 1 = valid, LSB first */
	COLSTORE_BLOCK_DATA = 1,     /* values, bits, codes or string offsets */
	COLSTORE_BLOCK_EXTRA = 2     /* string bytes of a PLAIN string chunk */
};

/** @return "int8", "float64", ... or NULL for an unknown tag; static. */
COLSTORE_API const char *colstore_type_name(int type);
/** Parse a type name (as colstore_type_name returns) into *out.
 *  @return COLSTORE_OK or COLSTORE_ENOTFOUND. */
COLSTORE_API int colstore_type_from_name(const char *name, colstore_type *out);
/** @return bytes per value of a fixed-width type, 0 for bool and string. */
COLSTORE_API unsigned colstore_type_width(int type);

/* ---- Writer ------------------------------------------------------------ */

typedef struct colstore_writer colstore_writer;

#define COLSTORE_DEFAULT_ROW_GROUP_SIZE 65536u
#define COLSTORE_MAX_ROW_GROUP_SIZE (1u << 24)

typedef struct colstore_writer_options {
	uint32_t row_group_size; /* rows per row group; 0 = 65536 */
	uint32_t compression;    /* 0 (every block usable in place) or a set of
	                          * COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK */
	uint64_t dict_budget;    /* bytes a string column's dictionary may use
	                          * before AUTO columns switch to PLAIN; 0 = 64 MiB */
	uint64_t reserved[6];    /* must be zero */
} colstore_writer_options;

#define COLSTORE_WRITER_OPTIONS_INIT { 0, COLSTORE_COMPRESSION_NONE, 0, { 0 } }

/* String column flags for colstore_writer_add_column(). */
#define COLSTORE_COLUMN_AUTO 0u  /* dictionary, until it stops paying off */
#define COLSTORE_COLUMN_DICT 1u  /* always dictionary-encode */
#define COLSTORE_COLUMN_PLAIN 2u /* always offsets + bytes */

/**
 * Start a new colstore file.  Nothing appears at @p path until
 * colstore_writer_finish() succeeds; the data goes to a temporary file in the
 * same directory.
 * @param[in]  path  target path; replaced atomically on finish
 * @param[in]  opts  options or NULL for defaults
 * @param[out] out   the new writer, or NULL on failure
 * @return COLSTORE_OK, COLSTORE_EINVAL (bad options), COLSTORE_EIO, COLSTORE_ENOMEM
 */
COLSTORE_API int colstore_writer_create(const char *path,
                                        const colstore_writer_options *opts,
                                        colstore_writer **out,
                                        colstore_error *err);

/**
 * Declare the next column.  Only before the first value is appended.
 * @param[in] name   UTF-8, 1..65535 bytes, no NUL; names must be unique
 * @param[in] type   a colstore_type
 * @param[in] flags  COLSTORE_COLUMN_AUTO/DICT/PLAIN for strings, else 0
 * @return COLSTORE_OK, COLSTORE_EINVAL, COLSTORE_ELIMIT (too many columns), COLSTORE_ENOMEM
 */
COLSTORE_API int colstore_writer_add_column(colstore_writer *w, const char *name,
                                            colstore_type type, uint32_t flags,
                                            colstore_error *err);

/* Row-at-a-time appends: put exactly one value (or null) into every column,
 * in any order, then call colstore_writer_end_row().  A put that fails with
 * COLSTORE_ERANGE or COLSTORE_EINVAL stores nothing and may be retried. */

/** Integer types, date (days), timestamp (µs) and bool (0/1).
 *  @return COLSTORE_ERANGE if the value does not fit the column type. */
COLSTORE_API int colstore_writer_put_int(colstore_writer *w, uint32_t col,
                                         int64_t v, colstore_error *err);
/** float32 and float64 columns (a float32 column stores (float)v). */
COLSTORE_API int colstore_writer_put_double(colstore_writer *w, uint32_t col,
                                            double v, colstore_error *err);
/** String columns; the bytes are copied. */
COLSTORE_API int colstore_writer_put_string(colstore_writer *w, uint32_t col,
                                            const char *s, size_t len,
                                            colstore_error *err);
COLSTORE_API int colstore_writer_put_null(colstore_writer *w, uint32_t col,
                                          colstore_error *err);
/** Close the current row; every column must have received one value.
 *  May write a row group.  @return COLSTORE_OK, EINVAL, EIO, ENOMEM, ELIMIT */
COLSTORE_API int colstore_writer_end_row(colstore_writer *w, colstore_error *err);

/** One column's worth of values for colstore_writer_append_batch(). */
typedef struct colstore_array {
	/* int8..int64, float32/64, date, timestamp: an array of nrows values
	 *   of the C type (int8_t .. int64_t, float, double, int32_t, int64_t),
	 *   a slot for every row, null or not;
	 * bool: uint8_t, one byte per value, 0 or 1;
	 * string: the bytes that offsets index. */
	const void *values;
	/* string only: nrows + 1 offsets into values, nondecreasing */
	const uint64_t *offsets;
	/* optional validity bitmap, bit i (LSB first) = 1 when row i is
	 * valid; NULL means every row is valid */
	const uint8_t *validity;
} colstore_array;

/**
 * Append @p nrows rows given column by column; cols[i] is column i.
 * Only between rows (not after a partial put).  The data is copied.  The
 * value slots of null rows are ignored; values may be NULL for a column
 * whose every row is null.
 * @return COLSTORE_OK, COLSTORE_EINVAL, COLSTORE_ERANGE (a bool not 0/1),
 *         COLSTORE_EIO, COLSTORE_ENOMEM, COLSTORE_ELIMIT
 */
COLSTORE_API int colstore_writer_append_batch(colstore_writer *w,
                                              const colstore_array *cols,
                                              size_t nrows,
                                              colstore_error *err);

/** @return rows completed so far. */
COLSTORE_API uint64_t colstore_writer_num_rows(const colstore_writer *w);

/**
 * Write the last row group, dictionaries, footer and trailer, fsync, and
 * rename over the target.  The writer is freed whatever the result; on
 * failure the temporary file is removed and the target is untouched.
 * @return COLSTORE_OK, COLSTORE_EINVAL (partial row), COLSTORE_EIO, ENOMEM, ELIMIT
 */
COLSTORE_API int colstore_writer_finish(colstore_writer *w, colstore_error *err);

/** Discard everything: remove the temporary file, free the writer.
 *  The target path is untouched.  NULL is a no-op.  Cannot fail. */
COLSTORE_API void colstore_writer_abort(colstore_writer *w);

/**
 * Open the existing colstore file @p path to add rows to it without
 * rewriting it (format-spec.md §14): the cost is the new rows, the last row
 * group when it is not full (written again with them), the dictionaries and
 * the footer.  The writer has the file's columns, in order (no column can
 * be added); put rows as with colstore_writer_create().  Until
 * colstore_writer_finish() returns, the file reads as it was, for readers
 * that open it meanwhile, after a crash or a kill at any moment, and after
 * colstore_writer_abort(); readers that had it open keep reading what they
 * read.  The file becomes format 2.0.  Another append to the same file at
 * the same time fails with COLSTORE_EIO.  @p opts: compression and
 * dict_budget apply to the new rows; row_group_size must be 0 or the file's.
 * @return COLSTORE_OK, COLSTORE_EINVAL, COLSTORE_EIO, COLSTORE_ENOMEM, or
 *         an error opening the file as colstore_reader_open() gives
 */
COLSTORE_API int colstore_writer_open_append(const char *path,
                                             const colstore_writer_options *opts,
                                             colstore_writer **out, colstore_error *err);

/* ---- Reader ------------------------------------------------------------ */

typedef struct colstore_reader colstore_reader;

/* Reader flags. */
#define COLSTORE_OPEN_NO_BLOCK_CHECKSUMS 1u /* skip XXH3 of blocks on access;
                                             * content rules are still checked */

typedef struct colstore_reader_options {
	uint32_t flags;       /* COLSTORE_OPEN_* */
	uint32_t reserved32;  /* must be zero */
	uint64_t reserved[7]; /* must be zero */
} colstore_reader_options;

#define COLSTORE_READER_OPTIONS_INIT { 0, 0, { 0 } }

/**
 * Open and map a colstore file; check header, trailer, footer and
 * dictionaries (spec §12 steps 1-5).
 * @return COLSTORE_OK, COLSTORE_ENOTFOUND, COLSTORE_EIO (also for a path
 *   that is a directory or not a regular file), COLSTORE_ENOTCOLSTORE (the
 *   file does not start with the magic: a CSV, Parquet, gzip ... file, named
 *   in the message), COLSTORE_ETRUNCATED, COLSTORE_ECORRUPT,
 *   COLSTORE_ECHECKSUM, COLSTORE_EVERSION, COLSTORE_ELIMIT, COLSTORE_ENOMEM;
 *   COLSTORE_EINVAL for NULL arguments or bad options.  err->offset names
 *   the damaged byte range's start.
 */
COLSTORE_API int colstore_reader_open(const char *path,
                                      const colstore_reader_options *opts,
                                      colstore_reader **out, colstore_error *err);

/**
 * As colstore_reader_open() over bytes in memory.  The caller keeps
 * [data, data + size) valid and unchanged until colstore_reader_close().
 */
COLSTORE_API int colstore_reader_open_memory(const void *data, size_t size,
                                             const colstore_reader_options *opts,
                                             colstore_reader **out,
                                             colstore_error *err);

/** Unmap and free.  NULL is a no-op.  Invalidates every pointer handed out,
 *  except the Arrow streams and arrays of colstore_reader_export_stream(),
 *  which keep the mapping until the last of them is released. */
COLSTORE_API void colstore_reader_close(colstore_reader *r);

COLSTORE_API uint64_t colstore_reader_num_rows(const colstore_reader *r);
COLSTORE_API uint32_t colstore_reader_num_columns(const colstore_reader *r);
COLSTORE_API uint32_t colstore_reader_num_row_groups(const colstore_reader *r);
COLSTORE_API uint32_t colstore_reader_row_group_size(const colstore_reader *r);
COLSTORE_API uint64_t colstore_reader_file_size(const colstore_reader *r);
/** The format version stored in the file's header. */
COLSTORE_API void colstore_reader_format_version(const colstore_reader *r,
                                                 unsigned *major,
                                                 unsigned *minor);

typedef struct colstore_column_info {
	const char *name;      /* NUL-terminated; valid until close */
	colstore_type type;
	uint32_t dict_count;   /* dictionary entries (strings), else 0 */
	uint64_t dict_bytes;   /* stored bytes of the dictionary blocks */
	uint64_t stored_bytes; /* all the column's chunk blocks as stored */
	uint64_t raw_bytes;    /* the same, uncompressed */
	uint64_t null_count;   /* over all row groups */
	uint32_t dict_chunks;  /* chunks encoded DICT */
	uint32_t plain_chunks; /* chunks encoded PLAIN */
} colstore_column_info;

/** @return COLSTORE_OK or COLSTORE_ERANGE (no column @p col). */
COLSTORE_API int colstore_reader_column_info(const colstore_reader *r,
                                             uint32_t col,
                                             colstore_column_info *out,
                                             colstore_error *err);
/** Find a column by exact name.  @return COLSTORE_OK or COLSTORE_ENOTFOUND. */
COLSTORE_API int colstore_reader_find_column(const colstore_reader *r,
                                             const char *name, uint32_t *col,
                                             colstore_error *err);
/**
 * The columns of a list of names, by the one rule of every list of names
 * (the tool's -c, -g, --order-by, and the names in aggregates): names
 * separated by commas, spaces around a name not part of it, and a name with
 * commas, quotes or spaces at its ends written in "double quotes" ("" for a
 * quote inside).  *out is malloc'd (free() it).
 * @return COLSTORE_OK, COLSTORE_EPARSE (an empty name, an unclosed quote),
 *         COLSTORE_ENOTFOUND (the message lists the file's columns, each
 *         written by this rule)
 */
COLSTORE_API int colstore_reader_find_columns(const colstore_reader *r, const char *list,
                                              uint32_t **out, uint32_t *n, colstore_error *err);

typedef struct colstore_block_info {
	int present;          /* 0: the slot is absent (spec §5.5) */
	uint32_t compression; /* COLSTORE_COMPRESSION_* */
	uint64_t offset;      /* file offset of the stored bytes */
	uint64_t stored_size; /* bytes in the file */
	uint64_t raw_size;    /* bytes once decompressed: the buffer a
	                       * compressed block needs */
} colstore_block_info;

typedef struct colstore_chunk_info {
	uint64_t first_row;   /* row number of the chunk's first row */
	uint32_t row_count;
	uint32_t null_count;
	colstore_encoding encoding;
	uint32_t code_width;  /* DICT: bytes per code (1, 2 or 4); else 0 */
	int has_minmax;       /* 0 when every value is null (or NaN) */
	int has_nan;          /* float columns: some valid value is NaN */
	/* statistics, by column type (spec §5.6); meaningful if has_minmax */
	int64_t min_int, max_int;       /* integers, date, timestamp, bool */
	double min_double, max_double;  /* float32, float64 */
	const char *min_str, *max_str;  /* string: not NUL-terminated; valid until close */
	uint32_t min_str_len, max_str_len;
	colstore_block_info blocks[3];  /* indexed by COLSTORE_BLOCK_* */
} colstore_chunk_info;

/** Describe chunk (@p rg, @p col) from the footer; touches no data.
 *  @return COLSTORE_OK or COLSTORE_ERANGE. */
COLSTORE_API int colstore_reader_chunk_info(const colstore_reader *r, uint32_t rg,
                                            uint32_t col,
                                            colstore_chunk_info *out,
                                            colstore_error *err);

/** A block as handed out by colstore_reader_block(). */
typedef struct colstore_block {
	const void *data; /* NULL for an absent block */
	uint64_t size;    /* raw (uncompressed) size */
	int zero_copy;    /* 1: data points into the mapping; 0: into buf */
} colstore_block;

/**
 * Get one block of chunk (@p rg, @p col).  The block's checksum (unless
 * COLSTORE_OPEN_NO_BLOCK_CHECKSUMS) and its content rules (spec §9: bitmap
 * padding and popcount, code range, offset monotonicity) are checked before
 * it is handed out.  An absent block gives data == NULL and COLSTORE_OK.
 * @param[in] buf   for a compressed block (LZ4, BITPACK, DECIMAL): receives
 *                  the raw bytes, laid out exactly as uncompressed; at least
 *                  blocks[kind].raw_size bytes.  Unused (may be NULL) when
 *                  the block is stored uncompressed.
 * @param[out] out  data valid until close (zero copy) or while buf lives
 * @return COLSTORE_OK, COLSTORE_ERANGE (bad index, buf too small),
 *         COLSTORE_ECHECKSUM, COLSTORE_ECORRUPT
 */
COLSTORE_API int colstore_reader_block(colstore_reader *r, uint32_t rg,
                                       uint32_t col, int kind, void *buf,
                                       size_t buf_size, colstore_block *out,
                                       colstore_error *err);

/**
 * Look up dictionary entry @p code of string column @p col.
 * @param[out] s    the bytes, not NUL-terminated, valid until close
 * @param[out] len  their length
 * @return COLSTORE_OK or COLSTORE_ERANGE
 */
COLSTORE_API int colstore_reader_dict_lookup(const colstore_reader *r,
                                             uint32_t col, uint32_t code,
                                             const char **s, uint32_t *len,
                                             colstore_error *err);

/**
 * A hint: fetch where dictionary entry @p code of column @p col lies into
 * the cache, so that a colstore_reader_dict_lookup() of it some rows later
 * does not wait on memory (a large dictionary read in row order misses on
 * nearly every row).  Reads nothing and checks nothing; an out-of-range
 * @p col or @p code is ignored.
 */
COLSTORE_API void colstore_reader_dict_prefetch(const colstore_reader *r,
                                                uint32_t col, uint32_t code);

/**
 * Walk the whole file: every block's checksum and content, every padding
 * byte zero, no two regions overlapping (spec §12 step 6).
 * @return COLSTORE_OK or the first problem found, with err->offset at the
 *         damaged region and its name (row group, column, block) in message.
 */
COLSTORE_API int colstore_reader_verify(colstore_reader *r, colstore_error *err);

/* ---- CSV import ---------------------------------------------------------- */

/* Header handling for colstore_import_csv(). */
#define COLSTORE_HEADER_AUTO 0 /* first row is a header unless one of its
                                * fields is a number, date or timestamp */
#define COLSTORE_HEADER_YES 1
#define COLSTORE_HEADER_NO 2

typedef struct colstore_import_progress {
	int pass;             /* 1: inferring types, 2: writing */
	int passes;           /* 2, or 1 when every type is known up front */
	uint64_t bytes_done;  /* of this pass */
	uint64_t bytes_total; /* the input's size */
	uint64_t rows;        /* rows done in this pass */
} colstore_import_progress;

typedef struct colstore_import_options {
	char delimiter;          /* 0: detect among , ; TAB | */
	int header;              /* COLSTORE_HEADER_* */
	int no_infer;            /* every column not in the schema is a string */
	int ragged_pad;          /* rows with too few fields get nulls */
	const char *null_marker; /* unquoted fields equal to this are null (as
	                          * are empty unquoted fields); NULL: none */
	uint32_t threads;        /* 0: one per core, at most one per 8 MiB of input */
	uint32_t n_schema;       /* forced types: names[i] gets types[i] */
	const char *const *schema_names;
	const colstore_type *schema_types;
	colstore_writer_options writer;
	/* optional callbacks, called from the importing thread; ctx is theirs */
	void (*on_warning)(void *ctx, const char *message);
	/* return nonzero to cancel (colstore_import_csv then fails with EINVAL) */
	int (*on_progress)(void *ctx, const colstore_import_progress *p);
	void *ctx;
	/* more null markers, beside null_marker: n_null_markers strings, at
	 * most COLSTORE_MAX_NULL_MARKERS in all */
	const char *const *null_markers;
	uint64_t n_null_markers;
	/* the longest field, in bytes: 0 is COLSTORE_MAX_FIELD_DEFAULT.  Memory
	 * is bounded by a few times it (a value is held by the row group, the
	 * dictionary and a compressor); a longer field fails with EPARSE */
	uint64_t max_field;
	/* The dialect (README.md, "Messy CSV").  A 0 field is detected from
	 * the start of the input. */
	const char *delimiter_string; /* 1-4 bytes; overrides delimiter */
	int quote;                    /* the quote byte; COLSTORE_NONE: no quoting */
	int escape;                   /* a byte that makes the next one literal; COLSTORE_NONE */
	int comment;                  /* lines starting with this byte are skipped (0: none) */
	int64_t skip;                 /* lines before the header; COLSTORE_NONE: none */
	uint32_t header_lines;        /* header rows, their names joined by a space (0: 1) */
	const char *encoding;         /* the input's encoding, converted to UTF-8 through
	                               * iconv; NULL: UTF-8, or UTF-16 by its BOM */
	/* lenient: rows that strict mode refuses are padded, trimmed or, when
	 * their fields cannot be matched to columns, rejected: not stored,
	 * counted in the result and written to rejects_path when given (CSV:
	 * file,line,reason,text).  max_rejects: fail past this many (0: any) */
	int lenient;
	const char *rejects_path;
	uint64_t max_rejects;
	/* the input's name in warnings and in the rejects file (NULL: csv_path;
	 * "<stdin>" for a copy of standard input, say) */
	const char *input_name;
	/* dates and timestamps written in another spelling (README.md, "Dates
	 * in other spellings"): strptime-like formats tried after ISO 8601 when
	 * inferring and reading; schema_formats (NULL, or one per schema entry,
	 * NULL entries allowed) gives a date or timestamp column its own */
	const char *date_format;
	const char *timestamp_format;
	const char *const *schema_formats;
	/* several inputs (colstore_import_files): every input's columns, null
	 * where an input lacks one, instead of an error when their columns
	 * differ; and their names in messages (NULL: the paths) */
	int union_columns;
	const char *const *input_names;
	/* add the rows to the colstore file at the output path instead of
	 * replacing it (colstore_writer_open_append(); a missing file is
	 * created): the inputs' columns are matched to the file's by name, and
	 * take the file's types; a value that does not fit them fails the
	 * import, and the file is left as it was */
	int append;
	uint64_t reserved[1]; /* must be zero */
} colstore_import_options;

#define COLSTORE_NONE (-1)

#define COLSTORE_MAX_FIELD_DEFAULT (64u << 20)

#define COLSTORE_MAX_NULL_MARKERS 16

#define COLSTORE_IMPORT_OPTIONS_INIT \
	{ 0, COLSTORE_HEADER_AUTO, 0, 0, NULL, 0, 0, NULL, NULL, \
	  COLSTORE_WRITER_OPTIONS_INIT, NULL, NULL, NULL, NULL, 0, 0, \
	  NULL, 0, 0, 0, 0, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, 0, { 0 } }

#define COLSTORE_REJECT_LINES 5

typedef struct colstore_import_result {
	uint64_t rows;
	uint32_t columns;
	char delimiter;    /* the delimiter used */
	int had_header;    /* 1 if the first row was taken as the header */
	uint64_t bytes_in;
	uint64_t bytes_out;
	/* the dialect used: the delimiter's bytes (NUL-terminated), the quote
	 * and escape (COLSTORE_NONE: none), the lines skipped before the header */
	char delimiter_string[5];
	int quote, escape;
	uint64_t skipped_lines;
	const char *encoding; /* the input's encoding converted (NULL: none) */
	const char *compression; /* "gzip", "zstd" or "lz4": the input was decompressed */
	uint64_t bytes_text;     /* the CSV text read: bytes_in decompressed and converted */
	/* lenient mode: rows padded with nulls, trimmed of empty trailing
	 * fields, and rejected; the lines of the first few of each (0: none) */
	uint64_t padded, trimmed, rejected;
	uint64_t padded_lines[COLSTORE_REJECT_LINES], trimmed_lines[COLSTORE_REJECT_LINES],
	    rejected_lines[COLSTORE_REJECT_LINES];
	char first_reject[160]; /* the first rejected row's reason */
} colstore_import_result;

/**
 * Import a CSV file into a new colstore file (format-spec.md; the parsing
 * and inference rules are in README.md "Importing CSV").  The input is
 * mapped and read twice: once to infer the column types over every row,
 * once to write.  Memory stays bounded by the writer's row-group buffers and
 * the dictionaries, whatever the input size.  On any failure nothing is left
 * at @p out_path (an existing file there is untouched).
 * @param[in]  csv_path  a regular file
 * @param[out] res       optional summary
 * @return COLSTORE_OK; COLSTORE_EPARSE with err->line and err->column
 *   (1-based field number) for malformed input or a value that does not fit
 *   a schema type; COLSTORE_EINVAL for bad options (a schema name the CSV
 *   lacks) or a cancel; COLSTORE_ELIMIT; COLSTORE_EIO; COLSTORE_ENOMEM.
 */
COLSTORE_API int colstore_import_csv(const char *csv_path, const char *out_path,
                                     const colstore_import_options *opts,
                                     colstore_import_result *res,
                                     colstore_error *err);

/**
 * Import several CSV inputs into one new colstore file (README.md, "Several
 * inputs"): their rows in the order given.  Each input may be compressed
 * and has its own dialect (what the options leave open is detected per
 * input).  The first input that is not empty decides whether there is a
 * header row; the others' columns are matched to its columns by name (by
 * position without a header), in any order, and a column one input has and
 * another lacks is an error unless opts->union_columns.  Types are inferred
 * over every input together.  On failure nothing is left at @p out_path;
 * with several inputs err->message starts with the input's name (and
 * err->line and err->column are that input's).
 * @return as colstore_import_csv()
 */
COLSTORE_API int colstore_import_files(const char *const *paths, size_t n,
                                       const char *out_path,
                                       const colstore_import_options *opts,
                                       colstore_import_result *res, colstore_error *err);

/**
 * Remove every temporary file that a writer, an import or an export of this
 * process is writing (their targets stay as they were).  Async-signal-safe:
 * for a handler of SIGBUS, which a mapped file that is truncated while read
 * raises, or of another fatal signal, before the process exits.  Writers
 * and exports running at the time must not be used afterwards.
 */
COLSTORE_API void colstore_remove_temporaries(void);

/* ---- Decoded column chunks ----------------------------------------------- */

/** Per-thread buffers for decoding compressed blocks; reused across calls. */
typedef struct colstore_buffers colstore_buffers;

/** @return new buffers, or NULL when out of memory. */
COLSTORE_API colstore_buffers *colstore_buffers_create(void);
/** NULL is a no-op. */
COLSTORE_API void colstore_buffers_free(colstore_buffers *b);

/** One column of one row group, ready to read. */
typedef struct colstore_values {
	colstore_type type;
	uint32_t rows;
	const uint8_t *validity;  /* LSB-first, 1 = valid; NULL when no row is null */
	/* fixed-width types: an array of the C type (int8_t .. double; date
	 * int32_t days, timestamp int64_t µs); bool: an LSB-first bitmap;
	 * DICT strings: codes of code_width bytes; PLAIN strings: rows + 1
	 * uint32_t offsets into bytes */
	const void *data;
	const char *bytes;        /* PLAIN strings */
	colstore_encoding encoding;
	uint32_t code_width;
} colstore_values;

/**
 * Get column @p col of row group @p rg, checked (as colstore_reader_block)
 * and decoded.  Data is zero-copy where the blocks are stored uncompressed
 * (but for a PLAIN string chunk's offsets: a copy, checked again);
 * otherwise it lives in @p b, valid until the next call with @p b for the
 * same column, or colstore_buffers_free().  Dictionary codes are resolved
 * with colstore_reader_dict_lookup().
 * @return COLSTORE_OK, COLSTORE_ERANGE, COLSTORE_ENOMEM, COLSTORE_ECHECKSUM,
 *         COLSTORE_ECORRUPT
 */
COLSTORE_API int colstore_reader_values(colstore_reader *r, uint32_t rg, uint32_t col,
                                        colstore_buffers *b, colstore_values *out,
                                        colstore_error *err);

/**
 * Rows [@p first, @p first + @p count) of column @p col of row group @p rg,
 * as colstore_reader_values gives them all: out->rows = count, and row i of
 * out is row first + i of the chunk.  @p first must be a multiple of 64.
 * A bit-packed block is decoded over these rows only, so memory follows
 * count, not what the block expands to (a 16-byte block may stand for
 * 2^24 values); an LZ4 block (at most 255 times its stored size) is decoded
 * whole, once per row group for the same @p b.  A bit-packed block stored in
 * 16 KiB to 1 MiB, asked for 1,024 rows or more, is read once per row group
 * into @p b (a buffer per column) and kept for the next ranges of that row
 * group.
 * @return as colstore_reader_values; COLSTORE_ERANGE for rows outside the
 *         chunk or a first that is not a multiple of 64
 */
COLSTORE_API int colstore_reader_values_range(colstore_reader *r, uint32_t rg, uint32_t col,
                                              colstore_buffers *b, uint32_t first,
                                              uint32_t count, colstore_values *out,
                                              colstore_error *err);

/* ---- Filters (--where) ---------------------------------------------------- */

typedef struct colstore_filter colstore_filter;

/**
 * Compile a filter over @p r's columns:
 *   expr := term { "or" term } ; term := factor { "and" factor } ;
 *   factor := "not" factor | "(" expr ")" | value OP value
 *           | value ["not"] "in" "(" value { "," value } ")"
 *           | value ["not"] "between" value "and" value
 *           | value ["not"] ("like" | "ilike") 'pattern'
 *           | value "is" ["not"] "null"
 *   OP := = | != | < | <= | > | >=
 *   value := sum ; sum := prod { ("+" | "-") prod } ;
 *   prod := unary { ("*" | "/") unary } ; unary := ("-" | "+") unary | primary
 *   primary := NAME | literal | FUNCTION "(" value { "," value } ")" | "(" value ")"
 * in is an or of =, between an and of >= and <=.  like and ilike take a
 * string: % matches any run of characters, _ one UTF-8 character,
 * anything else itself (ilike: ASCII letters in either case); there is no
 * escape character.  not binds tighter than and.  A null matches neither a
 * comparison nor its negation; a float NaN matches only != and the
 * negations of the other comparisons (IEEE).
 * Literals: numbers, 'strings' ('' is a quote), true/false; date and
 * timestamp values take ISO strings ('2025-01-31', '2025-01-31T10:00:00').
 * Names may be "double quoted".  Keywords are case-insensitive.  Nulls never
 * compare true (SQL).  String comparisons are byte-wise; on dictionary
 * chunks a column compared with a literal is compared with each dictionary
 * entry once, here.
 * Values: integers widen to int64 and an int64 overflow is an error
 * (COLSTORE_ERANGE from the evaluation); / gives a float64, null when
 * dividing by zero; a number compares with a number exactly, a date with
 * a timestamp as its midnight.  Functions: year, quarter, month, day, hour,
 * minute, weekday (0 = Sunday) of a date or timestamp; date_trunc('year' |
 * 'quarter' | 'month' | 'week' (from Monday) | 'day' | 'hour' | 'minute', x),
 * of x's type; bucket(x, width): x rounded down to a multiple of width (a
 * number above 0); abs(x); round(x [, digits 0..15]): half away from zero,
 * of the shortest decimal that reads back as x (round(2.675, 2) is 2.68);
 * lower(s), upper(s) (ASCII letters); length(s) (UTF-8 characters);
 * coalesce(a, b, ...): the first that is not null (each argument worked
 * out only where the ones before it are null).  Each takes and gives null
 * for null.  lower, upper and length of a dictionary string column are
 * worked out once per dictionary entry.  An and's right side is evaluated
 * only on the rows where its left side holds, an or's where it does not;
 * comparisons of columns with literals go first, so an expression is
 * worked out only on the rows they leave undecided (an overflow on a row
 * they exclude is no error).
 * @return COLSTORE_OK or COLSTORE_EPARSE with err->column = the 1-based
 *         character position and a message naming the token or column.
 */
COLSTORE_API int colstore_filter_parse(const colstore_reader *r, const char *expr,
                                       colstore_filter **out, colstore_error *err);
/** NULL is a no-op.  Free a filter once every scan, aggregation and stream
 *  that uses it is done (it does not touch the reader, so this may come
 *  after colstore_reader_close()); use it only while its reader is open or
 *  kept open by a stream. */
COLSTORE_API void colstore_filter_free(colstore_filter *f);

/** By statistics alone: 0 when no row of row group @p rg can match (the
 *  group may be skipped without reading its data), 1 otherwise. */
COLSTORE_API int colstore_filter_may_match(const colstore_filter *f, uint32_t rg);

/**
 * Evaluate on row group @p rg: bit i of @p sel (ceil(rows / 8) bytes,
 * LSB first) is set when row i matches.  A row group that
 * colstore_filter_may_match rules out has no match, unread (as every scan
 * skips it), so a value expression there is never worked out.  Reads only the columns the filter
 * names.  A filter may be evaluated by several threads at once, each with
 * its own @p b.
 * @param[out] matches  number of matching rows (may be NULL)
 */
COLSTORE_API int colstore_filter_eval(const colstore_filter *f, uint32_t rg,
                                      colstore_buffers *b, uint8_t *sel,
                                      uint64_t *matches, colstore_error *err);

/* ---- Scans ------------------------------------------------------------------ */

/*
 * A scan reads the matching rows of some columns, in batches: the loop that
 * colstore_agg_run(), colstore_reader_export_stream() and the tool's scan
 * all run on.  Row groups that the filter's statistics rule out are not
 * read; the filter runs over each other row group, then the row group is
 * cut into batches of at most 65,536 rows (a multiple of 64), and a batch
 * with no matching row is not delivered.  Values are decoded over a batch's
 * rows only, so memory follows the batch size, not the row group's.
 */
typedef struct colstore_scan colstore_scan;

typedef struct colstore_scan_options {
	uint32_t threads;     /* workers of colstore_scan_run: 0 = one per core;
	                       * never more than the file has row groups */
	uint32_t reserved0;   /* must be zero */
	uint64_t reserved[4]; /* must be zero */
} colstore_scan_options;

#define COLSTORE_SCAN_OPTIONS_INIT { 0, 0, { 0 } }

typedef struct colstore_batch {
	uint32_t row_group;
	uint32_t first;       /* row of the row group that is the batch's row 0 */
	uint64_t first_row;   /* the same row's number in the file */
	uint32_t rows;        /* rows in the batch: every values[k] has as many */
	uint32_t selected;    /* rows that match the filter, at least 1 */
	const uint32_t *sel;  /* the matching rows, ascending, as indexes into
	                       * the batch; NULL when every row matches */
	const colstore_values *values; /* one per scanned column, in order */
	uint32_t ncols;
	uint32_t worker;      /* colstore_scan_run: the worker (0 .. workers-1) */
} colstore_batch;

/**
 * Prepare a scan of columns @p cols[0 .. @p ncols) (indexes; ncols may be
 * 0 to count or select rows only) of the rows of @p r that match @p where.
 * @param where  a filter compiled for @p r, or NULL for every row; it must
 *               outlive the scan
 * @param opts   NULL for the defaults (COLSTORE_SCAN_OPTIONS_INIT)
 * @param[out] out  the scan; free it with colstore_scan_free() before the
 *               reader is closed
 * @return COLSTORE_OK, COLSTORE_EINVAL (reserved fields set, a filter of
 *         another reader), COLSTORE_ENOTFOUND (no such column), COLSTORE_ENOMEM
 */
COLSTORE_API int colstore_scan_create(colstore_reader *r, const uint32_t *cols, uint32_t ncols,
                                      const colstore_filter *where,
                                      const colstore_scan_options *opts,
                                      colstore_scan **out, colstore_error *err);
/**
 * A scan of a list of values: @p list holds items separated by commas, each
 * a column or a value (colstore_filter_parse's: "price * qty",
 * "upper(region)") optionally followed by "as NAME" (names as everywhere:
 * "Unit Price" in double quotes).  The batches' values[k] are item k's: a
 * column's as colstore_scan_create gives them; an expression's worked out
 * on the batch's matching rows alone (int64, float64, bool, date,
 * timestamp, or PLAIN strings; the other rows null).  An int64 overflow at
 * a matching row stops the scan with COLSTORE_ERANGE.
 * @return as colstore_scan_create, or COLSTORE_EPARSE naming the bad item
 */
COLSTORE_API int colstore_scan_create_list(colstore_reader *r, const char *list,
                                           const colstore_filter *where,
                                           const colstore_scan_options *opts,
                                           colstore_scan **out, colstore_error *err);
/** A scan's output columns (colstore_scan_create: its columns; a list: its
 *  items): their number, names (the column's, the NAME given, or the item
 *  as written), types, and the column each one is (-1: an expression, whose
 *  strings are PLAIN, never dictionary codes). */
COLSTORE_API uint32_t colstore_scan_num_columns(const colstore_scan *s);
COLSTORE_API const char *colstore_scan_column_name(const colstore_scan *s, uint32_t k);
COLSTORE_API colstore_type colstore_scan_column_type(const colstore_scan *s, uint32_t k);
COLSTORE_API int64_t colstore_scan_column_index(const colstore_scan *s, uint32_t k);
/**
 * Deliver the scan's matching rows ordered by @p order_by, "item [asc|desc],
 * ...": each item one of the scan's columns by name (as
 * colstore_scan_column_name gives it; spaces and ASCII case aside, or in
 * "double quotes") or else any column or value of the file; ascending by
 * default, nulls last either way, float NaN above every number, rows equal
 * on every item in file order.  Only the first @p limit rows are delivered
 * (UINT64_MAX: all); with a limit the scan holds about twice that many rows
 * per worker.  Without one, rows past @p memory_limit bytes (0: half of
 * what the process may use) are sorted in runs written to an unlinked
 * temporary file ($TMPDIR, else /tmp) and merged as they are delivered.
 * The scan runs on its workers at the first colstore_scan_next or
 * colstore_scan_run; batches then come in order on the caller's thread, of
 * at most 65,536 rows, all selected, strings PLAIN, with first_row the
 * rank of their first row (row_group and first are 0).  Call once, before
 * the scan starts.
 * @return COLSTORE_OK, COLSTORE_EPARSE naming the item, COLSTORE_EINVAL
 *         (called twice or late), COLSTORE_ENOMEM
 */
COLSTORE_API int colstore_scan_set_order(colstore_scan *s, const char *order_by, uint64_t limit,
                                         uint64_t memory_limit, colstore_error *err);
/** NULL is a no-op. */
COLSTORE_API void colstore_scan_free(colstore_scan *s);

/**
 * The next batch, in file order, on the caller's thread.  @p out->values
 * live in @p b (or in the reader's mapping) until the next call with @p b,
 * or colstore_buffers_free(b); @p out->sel until the next call.  Use a new
 * @p b per batch to keep several batches' values.
 * @return COLSTORE_OK with out->rows = 0 at the end, or a read error (the
 *         file's damage named, as colstore_reader_values)
 */
COLSTORE_API int colstore_scan_next(colstore_scan *s, colstore_buffers *b, colstore_batch *out,
                                    colstore_error *err);
/** Start colstore_scan_next() again at the first row group. */
COLSTORE_API void colstore_scan_rewind(colstore_scan *s);

/**
 * A batch callback: return COLSTORE_OK to go on, or an error code (with
 * @p err filled in) to stop the scan, which then returns that code and
 * error.  @p b and everything it points to are valid during the call only.
 */
typedef int (*colstore_scan_fn)(void *ctx, const colstore_batch *b, colstore_error *err);

/**
 * Scan every batch on a pool of workers (colstore_scan_options.threads;
 * the calling thread is one of them).  Row groups are handed out in file
 * order, one at a time; a worker delivers every batch of its row group.
 * For each batch, @p on_batch (may be NULL) is called on the worker, in
 * parallel with the other workers; then, when @p in_order is given, it is
 * called for the same batch on the same worker once every earlier row
 * group is finished: in_order calls come one at a time, in file order.
 * So a caller can do the heavy part of each batch in parallel and write
 * results in order (b->worker indexes per-worker state).
 * The pages of the file's mapping behind the slowest worker are given back
 * as the scan goes.  May be called again for another pass.
 * @return COLSTORE_OK, the first error of a worker (in worker order) or of
 *         a callback, COLSTORE_ENOMEM
 */
COLSTORE_API int colstore_scan_run(colstore_scan *s, colstore_scan_fn on_batch,
                                   colstore_scan_fn in_order, void *ctx, colstore_error *err);
/** Workers colstore_scan_run() will use at most (b->worker < this). */
COLSTORE_API uint32_t colstore_scan_workers(const colstore_scan *s);
/** Threads the last run used (after colstore_scan_run). */
COLSTORE_API uint32_t colstore_scan_threads_used(const colstore_scan *s);
/** Row groups read and skipped by their statistics: in the last run, or by
 *  colstore_scan_next() so far. */
COLSTORE_API void colstore_scan_row_groups(const colstore_scan *s, uint32_t *read,
                                           uint32_t *skipped);

/* ---- Aggregation ---------------------------------------------------------- */

typedef struct colstore_agg colstore_agg;

/**
 * Plan an aggregation over @p r:
 * @param aggs      "count(*),count(x),sum(x),min(x),max(x),avg(x),var(x),
 *                  var_pop(x),stddev(x),stddev_pop(x),count(distinct x),
 *                  approx_count_distinct(x),median(x),quantile(x, p)", comma
 *                  separated, each optionally followed by "as NAME"; x is a
 *                  column or a value expression (colstore_filter_parse's
 *                  value: "sum(price * qty)", "avg(length(note))"); result
 *                  columns are named by NAME, else exactly as written;
 *                  NULL or "" is count(*)
 * @param group_by  "a,b" or NULL (one result row): columns or value
 *                  expressions ("month(ts), region"), each optionally "as
 *                  NAME"; a key's result column is named by NAME, else as
 *                  written.  An expression is worked out only on the rows
 *                  the filter keeps (an int64 overflow there is
 *                  COLSTORE_ERANGE from the run)
 * @param where     a filter compiled for @p r (colstore_filter_parse) or
 *                  NULL; it must outlive the aggregation's run
 * sum of integers is exact in int64 (overflow is COLSTORE_ERANGE, not a
 * wrap); sum of floats is an exact sum (of the decimals themselves where
 * the file stores them as DECIMAL) rounded once to double, and avg that sum
 * divided by the count (scaled, so that a sum past the double range still
 * gives a finite mean); var and stddev (sample, over n - 1, null for one
 * value) and var_pop and stddev_pop (over n) come from exact sums of the
 * values and their squares (integers in 256-bit arithmetic; floats read back
 * as double-doubles: within about 1e-31 of the squares' magnitude; squares
 * past the double range give inf or NaN, or 0 when every |x| < 1e-154);
 * min and max work on every type (floats: NaN only when every value is NaN,
 * -0 below +0);
 * nulls are skipped; count(x) counts non-nulls; count(distinct x) counts
 * distinct non-null values exactly, by a second pass grouped by the keys
 * and x (its own memory limit and spill, as any group-by; one more pass
 * over the file for each x); median(x) and quantile(x, p), 0 <= p <= 1, are
 * exact float64s: the value at rank (n - 1) p of the n values, linear
 * between the two closest ranks (DuckDB's quantile_cont), from the same
 * second pass, or, under no key or one dense key, from the values gathered
 * in memory when they fit half the memory limit (the same bits either
 * way); approx_count_distinct(x) is a HyperLogLog estimate (4096 one-byte
 * registers per group, 1.6% standard error).  Groups come out sorted by
 * their keys, nulls last.
 * @return COLSTORE_OK, COLSTORE_EPARSE naming the bad item or column, or
 *         COLSTORE_EINVAL (a filter of another reader)
 */
COLSTORE_API int colstore_agg_create(colstore_reader *r, const char *aggs,
                                     const char *group_by, const colstore_filter *where,
                                     colstore_agg **out, colstore_error *err);
/**
 * Worker threads for colstore_agg_run, at most: 0 (the default) is one per
 * core.  The run uses fewer when it has less than 4 MiB of blocks to read
 * per thread (starting a thread can cost more than it saves).  Row groups
 * are shared out among them; the result does not depend on the number
 * (every aggregate, float sums included, merges exactly).
 */
COLSTORE_API void colstore_agg_set_threads(colstore_agg *a, uint32_t threads);
/** Threads the run used (after colstore_agg_run). */
COLSTORE_API uint32_t colstore_agg_threads_used(const colstore_agg *a);

#define COLSTORE_AGG_NO_LIMIT UINT64_MAX

/**
 * Order the result by @p order_by, "item [asc|desc], ...", and keep its
 * first @p limit groups (COLSTORE_AGG_NO_LIMIT: all; @p order_by NULL: key
 * order).  An item names a result column as colstore_agg_column_name()
 * gives it: a group-by column or an aggregate as written ("sum(qty) desc";
 * spaces and ASCII case are not significant, a "quoted" name is taken as
 * is).  Ascending by default; nulls come last either way, float NaN above
 * every number; groups equal on every item keep their key order.  With a
 * limit, only the groups kept are held (a heap of @p limit entries);
 * without one every group is, which must fit the memory limit.  Call
 * before colstore_agg_run.
 * @return COLSTORE_OK, COLSTORE_EPARSE naming the item and listing the
 *         result columns, COLSTORE_EINVAL (after the run), COLSTORE_ENOMEM
 */
COLSTORE_API int colstore_agg_set_order(colstore_agg *a, const char *order_by, uint64_t limit,
                                        colstore_error *err);
/**
 * Memory the run may plan for, in bytes: 0 (the default) is half of what
 * the process may use (the smaller of RAM and its memory cgroup's limit).
 * Groups that do not fit go to unlinked temporary files ($TMPDIR, else
 * /tmp) that the result is mapped from: it is then read from the page
 * cache, which the kernel can reclaim.
 * - A group-by on one dictionary string or one small-range integer keeps
 *   a dense array of groups per worker; when those do not fit, fewer
 *   workers run, and when one does not fit either, the run makes several
 *   passes over the file, each over a range of keys.  String min/max
 *   under such a key is held in memory.
 * - Other group-bys (several columns, floats, wide integer ranges) keep a
 *   hash table per worker; a worker whose groups outgrow its share writes
 *   them out, sorted by key, as a run, and starts afresh; the runs are
 *   merged at the end: one pass over the file, and the temporary file
 *   holds the runs (given back after the merge) and the merged groups.
 */
COLSTORE_API void colstore_agg_set_memory_limit(colstore_agg *a, uint64_t bytes);
/** Passes over the file the run made (after colstore_agg_run; 1 unless
 *  dense groups did not fit the memory limit). */
COLSTORE_API uint32_t colstore_agg_passes(const colstore_agg *a);
/** Bytes the run wrote to temporary files (after colstore_agg_run; 0
 *  when its groups fitted in memory). */
COLSTORE_API uint64_t colstore_agg_spill_bytes(const colstore_agg *a);
/** Run it (once).  @return COLSTORE_OK, COLSTORE_ERANGE (int64 overflow),
 *  COLSTORE_ENOMEM, or a read error. */
COLSTORE_API int colstore_agg_run(colstore_agg *a, colstore_error *err);
COLSTORE_API uint64_t colstore_agg_num_groups(const colstore_agg *a);
/** Result columns: the group-by columns, then the aggregates. */
COLSTORE_API uint32_t colstore_agg_num_columns(const colstore_agg *a);
COLSTORE_API const char *colstore_agg_column_name(const colstore_agg *a, uint32_t k);
/** Row groups read and skipped by their statistics during the run. */
COLSTORE_API void colstore_agg_row_groups(const colstore_agg *a, uint32_t *read,
                                          uint32_t *skipped);

typedef struct colstore_cell {
	int is_null;
	colstore_type type; /* int64 for counts and integer sums, float64 for
	                     * avg and float sums, the column's type otherwise */
	int64_t i;          /* integers, bool, date, timestamp */
	double d;           /* floats */
	const char *s;      /* strings: not NUL-terminated; valid until free */
	uint32_t len;
} colstore_cell;

/** Result cell (@p group, @p k).  @return COLSTORE_OK or COLSTORE_ERANGE.
 *  Safe to call from several threads at once (colstore_agg_parts). */
COLSTORE_API int colstore_agg_cell(const colstore_agg *a, uint64_t group, uint32_t k,
                                   colstore_cell *out);
/** colstore_agg_parts: make the part of groups [@p first, @p end) on
 *  worker @p worker; write the part worker @p worker made.  Nonzero (a
 *  COLSTORE_* code, with @p err filled) stops the parts. */
typedef int (*colstore_agg_part_fn)(void *ctx, uint64_t first, uint64_t end, uint32_t worker,
                                    colstore_error *err);
typedef int (*colstore_agg_write_fn)(void *ctx, uint32_t worker, colstore_error *err);
/**
 * A large result produced on several threads: the groups of a run
 * aggregation, in parts of @p part_groups consecutive groups (0: 65,536),
 * go to @p make on up to the run's threads at once (a worker number below
 * colstore_agg_threads_used(), or 0; one part at a time each: per-worker
 * buffers need no lock), and each part, once made, to @p write on the
 * calling thread, in group order.  A result of fewer than 65,536 groups, or a run on one
 * thread, is one worker on the calling thread.  @return COLSTORE_OK, or the
 * first nonzero return of make or write (in group order; no part after it
 * is written).
 */
COLSTORE_API int colstore_agg_parts(const colstore_agg *a, uint64_t part_groups,
                                    colstore_agg_part_fn make, colstore_agg_write_fn write,
                                    void *ctx, colstore_error *err);
/** NULL is a no-op. */
COLSTORE_API void colstore_agg_free(colstore_agg *a);

/* ---- Arrow export ---------------------------------------------------------- */

/*
 * The Arrow C Data Interface and C Stream Interface ABI, exactly as the Arrow
 * specification gives them (arrow.apache.org/docs/format/CDataInterface.html
 * and CStreamInterface.html), guarded by the macros it names, so that this
 * header and Arrow's own (or nanoarrow's) can be included together.
 */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
	const char *format;
	const char *name;
	const char *metadata;
	int64_t flags;
	int64_t n_children;
	struct ArrowSchema **children;
	struct ArrowSchema *dictionary;
	void (*release)(struct ArrowSchema *);
	void *private_data;
};

struct ArrowArray {
	int64_t length;
	int64_t null_count;
	int64_t offset;
	int64_t n_buffers;
	int64_t n_children;
	const void **buffers;
	struct ArrowArray **children;
	struct ArrowArray *dictionary;
	void (*release)(struct ArrowArray *);
	void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
	int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
	int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
	const char *(*get_last_error)(struct ArrowArrayStream *);
	void (*release)(struct ArrowArrayStream *);
	void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/**
 * Export rows of @p r as an Arrow C stream (docs/interop.md).
 *
 * The schema is a struct ("+s") with one child per column, every child
 * nullable: int8..int64 "c" "s" "i" "l", float32 "f", float64 "g", bool "b",
 * date "tdD", timestamp "tsu:" (µs since the epoch, UTC, no zone named);
 * a string column whose chunks are all DICT is dictionary-encoded (indices
 * "C", "S" or "I": the narrowest unsigned width that holds every code of
 * the column's dictionary; values "u" in the dictionary child, shared by
 * every batch), any other string column is "u".  Strings must be UTF-8,
 * as Arrow's utf8 requires: a dictionary entry that is not makes this call
 * fail (naming the column and entry), a string of a PLAIN chunk that is
 * not makes get_next fail (get_last_error names the column and row).
 *
 * get_next yields one struct array per batch of a scan (colstore_scan_next:
 * a row group, or 65,536 rows of a longer one, with a matching row; row
 * groups that @p where rules out by their statistics are not read),
 * then an array with release == NULL.  Offsets are 0.  Without @p where,
 * or when every row of a row group matches, a block stored uncompressed
 * is handed out in place: the buffer points into the reader's mapping.
 * Compressed blocks are decoded into memory the array owns, and the rows
 * of a partly matching row group are copied.
 *
 * Lifetime: the stream and every array it exported keep the reader open
 * (a reference count), so colstore_reader_close() may be called at any
 * time; the file is unmapped when the last of them is released.  One
 * thread at a time may call the stream; arrays may be read and released
 * from any thread.  Callbacks return 0 or an errno value (EINVAL, ENOMEM,
 * EIO).
 *
 * @param columns  "a,b" (in that order) or NULL for every column
 * @param where    a filter compiled for @p r (colstore_filter_parse) or
 *                 NULL; it must outlive the stream (until its release)
 * @param out      receives the stream; out->release is NULL on failure
 * @return COLSTORE_OK, COLSTORE_ENOTFOUND (no such column), COLSTORE_EINVAL
 *         (a filter of another reader), COLSTORE_ENOMEM, or an error of
 *         the column's dictionary
 */
COLSTORE_API int colstore_reader_export_stream(colstore_reader *r, const char *columns,
                                               const colstore_filter *where,
                                               struct ArrowArrayStream *out,
                                               colstore_error *err);

/* File formats for colstore_export(). */
#define COLSTORE_EXPORT_ARROW 1   /* Arrow IPC file format (Feather v2) */
#define COLSTORE_EXPORT_PARQUET 2 /* Apache Parquet */

/* colstore_export_options.compression */
#define COLSTORE_EXPORT_LZ4 1u /* Arrow: LZ4_FRAME body buffers; Parquet: LZ4_RAW pages */

typedef struct colstore_export_options {
	int format;           /* COLSTORE_EXPORT_ARROW or COLSTORE_EXPORT_PARQUET */
	uint32_t compression; /* 0 or COLSTORE_EXPORT_LZ4 */
	const char *columns;  /* as colstore_reader_export_stream(); NULL: all */
	const colstore_filter *where; /* compiled for the reader; NULL: every row */
	/* optional; called after each row group written; nonzero cancels */
	int (*on_progress)(void *ctx, uint64_t rows_done, uint64_t rows_total);
	void *ctx;
	uint64_t reserved[4]; /* must be zero */
} colstore_export_options;

#define COLSTORE_EXPORT_OPTIONS_INIT { COLSTORE_EXPORT_ARROW, 0, NULL, NULL, NULL, NULL, { 0 } }

typedef struct colstore_export_result {
	uint64_t rows;       /* rows written */
	uint64_t batches;    /* record batches (Arrow) or row groups (Parquet) */
	uint64_t bytes_out;  /* size of the file written */
} colstore_export_result;

/**
 * Write rows of @p r to @p path as an Arrow IPC file or a Parquet file,
 * by consuming colstore_reader_export_stream().  As with import, nothing
 * appears at @p path until the file is complete and fsync'd (a temporary
 * file beside it is renamed over it); on failure an existing file there is
 * untouched.  @p path "-" writes to standard output instead.
 * @return COLSTORE_OK, COLSTORE_EINVAL (bad options, a cancel), EIO,
 *         ENOMEM, ELIMIT, or an error of the stream
 */
COLSTORE_API int colstore_export(colstore_reader *r, const char *path,
                                 const colstore_export_options *opts,
                                 colstore_export_result *res, colstore_error *err);

#ifdef __cplusplus
}
#endif
#endif /* COLSTORE_H */
