/*
 * writer.h -- private to writer.c, writer_batch.c and writer_append.c: the
 * writer's state.
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include "internal.h"

typedef struct cs_wcol {
	char *name;
	uint8_t type;
	uint32_t flags;
	unsigned width;     /* bytes per value, 0 for bool and string */
	uint8_t *values;    /* fixed: rgs * width; bool: bitmap; string: u32 offsets */
	uint8_t *validity;  /* bitmap, 1 = valid; reset to all ones per group */
	uint32_t n;         /* values in the current group */
	uint32_t nulls;
	char *sbytes;       /* string bytes of the current group */
	size_t sbytes_len, sbytes_cap;
	cs_dict dict;
	uint64_t *hash;     /* strings to intern: each one's cs_dict_hash(), made as
	                       it is put (NULL: hashed at the flush instead) */
	int plain_only;     /* AUTO decided PLAIN for the rest of the column */
	int budgeted;       /* DICT, but PLAIN once the dictionary outgrows the budget */
	int chunks_written;
	cs_block_desc dict_off, dict_bytes;
} cs_wcol;

struct colstore_writer {
	char *path, *tmp; /* the target, and the temporary file (NULL: writing into a device) */
	const char *shown; /* the file written, for messages */
	cs_dict names;     /* the column names, to refuse a repeated one */
	int fd;
	int failed; /* an I/O error happened: only abort/finish (which fails) */
	uint32_t rgs, compression;
	uint64_t dict_budget;
	cs_wcol *cols;
	uint32_t ncols, cols_cap;
	int started;
	uint64_t rows;       /* completed rows */
	uint32_t group_rows; /* completed rows in the current group */
	uint32_t puts;       /* values put in the current row */
	uint32_t groups;
	cs_out out;          /* the file; out.pos: where the next byte goes */
	uint8_t *desc;       /* chunk descriptors written so far */
	size_t desc_len, desc_cap;
	uint8_t *heap;       /* statistics heap (§5.6) */
	size_t heap_len, heap_cap;
	uint8_t *scratch;    /* compressed blocks; reused */
	size_t scratch_cap;
	uint8_t *codes;      /* dictionary codes of one chunk; reused */
	size_t codes_cap;
	uint64_t *hashes; /* the chunk's strings hashed ahead of interning; reused */
	size_t hashes_cap;
	size_t hash_bytes; /* of the columns' hash arrays, at most CS_HASH_CARRY */
	uint64_t *spans; /* append_rows: each column's string bytes of the rows taken */
	size_t spans_cap;
	/* appending (writer_append.c): the file's size and header before the
	 * append, and its count of appends once this one is done */
	int append;
	uint64_t base_end;
	uint8_t base_header[CS_HEADER_SIZE];
	uint32_t appends;
};

/* s into the statistics heap, *ref its (offset, length) reference; 0 when
 * it does not fit (the statistics are then left out) */
CS_HIDDEN int cs_heap_add(colstore_writer *w, const char *s, uint32_t len, uint64_t *ref);
/* a float32 value from its bits (NaN payloads kept) */
CS_HIDDEN int cs_writer_put_f32(colstore_writer *w, uint32_t col, const void *bits,
                                colstore_error *err);
/* the arguments of colstore_writer_create() and _open_append() (*out NULL) */
CS_HIDDEN int cs_writer_args(const char *path, const colstore_writer_options *opts,
                             colstore_writer **out, colstore_error *err);
/* appending: the footer and trailer are written; make them the file's
 * (fsync, then the header without the append in progress) and close */
CS_HIDDEN int cs_append_commit(colstore_writer *w, colstore_error *err);
/* appending, failed: the file back as it was */
CS_HIDDEN void cs_append_undo(colstore_writer *w);
/* *p (of *cap elements of elem bytes) grown to hold need, by doubling */
CS_HIDDEN int cs_grow(void **p, size_t *cap, size_t need, size_t elem);
/* R9.1: row n's validity bit 0, counted (its slot is the caller's) */
static inline void cs_mark_null(cs_wcol *c, uint32_t n)
{
	c->validity[n / 8] &= (uint8_t) ~(1u << (n % 8));
	c->nulls++;
}
/* the strings put now are hashed as they are put (cs_wcol.hash): the column
 * carries hashes and may still intern */
static inline int cs_wants_hash(const cs_wcol *c)
{
	return c->hash && !c->plain_only;
}
/* a null as the column's next value (R9.2.1, R9.3.1, R9.5.2: its slot zero) */
CS_HIDDEN void cs_put_null_raw(cs_wcol *c);
/* k rows completed: the row group written once it is full */
CS_HIDDEN int cs_row_done(colstore_writer *w, uint32_t k, colstore_error *err);



#endif
