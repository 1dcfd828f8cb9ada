/*
 * values.c -- colstore_reader_values(): a column chunk's blocks, checked and
 * decoded into plain arrays (zero-copy where they are stored uncompressed).
 */
#include <stdlib.h>

#include "internal.h"

typedef struct cs_buf {
	void *p;
	size_t cap;
	/* a whole LZ4 block decoded here: which (reader, row group), so that
	 * the batches of one row group decode it once */
	uint64_t owner; /* the reader's serial; 0: nothing cached */
	uint32_t rg;
} cs_buf;

struct colstore_buffers {
	cs_buf *bufs; /* 3 per column: validity, data, extra */
	size_t n;
	cs_buf scratch; /* filter evaluation's bitmaps */
	cs_buf stage;   /* compressed bytes read with pread */
	cs_buf *stg;    /* per column: a packed data block's bytes read with pread,
	                   kept for the next batches of its row group */
	size_t nstg;
	/* a filter's per-worker state (expr.c), for the filter of that serial */
	void *aux;
	uint64_t aux_key;
	void (*aux_free)(void *);
};

colstore_buffers *colstore_buffers_create(void)
{
	return calloc(1, sizeof(colstore_buffers));
}

void colstore_buffers_free(colstore_buffers *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->bufs[i].p);
	free(b->bufs);
	free(b->scratch.p);
	free(b->stage.p);
	for (size_t i = 0; i < b->nstg; i++)
		free(b->stg[i].p);
	free(b->stg);
	if (b->aux_free)
		b->aux_free(b->aux);
	free(b);
}

void *cs_buffers_aux(colstore_buffers *b, uint64_t key)
{
	return b->aux_key == key ? b->aux : NULL;
}

void cs_buffers_set_aux(colstore_buffers *b, uint64_t key, void *aux, void (*fr)(void *))
{
	if (b->aux_free)
		b->aux_free(b->aux);
	b->aux = aux;
	b->aux_key = key;
	b->aux_free = fr;
}

void *cs_buffers_scratch(colstore_buffers *b, size_t n)
{
	if (n > b->scratch.cap) {
		void *p = realloc(b->scratch.p, n);
		if (!p)
			return NULL;
		b->scratch.p = p;
		b->scratch.cap = n;
	}
	return b->scratch.p;
}

void *cs_buffers_stage(colstore_buffers *b, uint32_t slot, size_t n)
{
	/* slot: CS_STAGE_ANY, or a column whose buffer cs_range_bytes holds */
	cs_buf *st = slot == CS_STAGE_ANY ? &b->stage : &b->stg[slot];
	if (n > st->cap) {
		void *p = cs_realloc_populated(st->p, n); /* pread fills it */
		if (!p)
			return NULL;
		st->p = p;
		st->cap = n;
	}
	return st->p;
}

/* *arr, of *n buffers, made to have a buffer idx (the new ones empty); -1
 * when out of memory */
static int cs_bufs_hold(cs_buf **arr, size_t *n, size_t idx)
{
	if (idx < *n)
		return 0;
	size_t k = *n ? *n : 8;
	while (k <= idx)
		k *= 2;
	cs_buf *nb = realloc(*arr, k * sizeof(*nb));
	if (!nb)
		return -1;
	memset(nb + *n, 0, (k - *n) * sizeof(*nb));
	*arr = nb;
	*n = k;
	return 0;
}

static cs_buf *cs_slot(colstore_buffers *b, uint32_t col, int kind, size_t need)
{
	size_t idx = (size_t)col * 3 + (size_t)kind;
	if (cs_bufs_hold(&b->bufs, &b->n, idx))
		return NULL;
	cs_buf *s = &b->bufs[idx];
	s->owner = 0; /* about to be written */
	if (need > s->cap) {
		void *p = cs_realloc_populated(s->p, need);
		if (!p)
			return NULL;
		s->p = p;
		s->cap = need;
	}
	return s;
}

int colstore_reader_values(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
                           colstore_values *out, colstore_error *err)
{
	return cs_values(r, rg, col, b, out, NULL, err);
}

int colstore_reader_values_range(colstore_reader *r, uint32_t rg, uint32_t col,
                                 colstore_buffers *b, uint32_t first, uint32_t count,
                                 colstore_values *out, colstore_error *err)
{
	return cs_values_range(r, rg, col, b, first, count, out, NULL, err);
}

int cs_values(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
              colstore_values *out, int *mantissa_scale, colstore_error *err)
{
	if (!r || !b || !out || rg >= r->num_row_groups || col >= r->num_columns)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no chunk (%u, %u)", rg, col);
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	if (ch->encoding == COLSTORE_ENCODING_DICT) {
		int rc = cs_dict_ready(r, col, err); /* its codes will be looked up */
		if (rc)
			return rc;
	}
	colstore_block blk[3];
	if (mantissa_scale)
		*mantissa_scale = -1;
	for (int k = 0; k < 3; k++) {
		const cs_block_desc *d = &ch->blocks[k];
		void *buf = NULL;
		size_t cap = 0;
		cs_buf *s = NULL;
		if (d->present && d->compression != COLSTORE_COMPRESSION_NONE) {
			size_t idx = (size_t)col * 3 + (size_t)k;
			if (d->compression == COLSTORE_COMPRESSION_LZ4 && idx < b->n &&
			    b->bufs[idx].owner == r->serial && b->bufs[idx].rg == rg) {
				/* decoded and checked for an earlier batch of this row group */
				blk[k].data = b->bufs[idx].p;
				blk[k].size = d->raw_size;
				blk[k].zero_copy = 0;
				continue;
			}
			s = cs_slot(b, col, k, (size_t)d->raw_size ? (size_t)d->raw_size : 1);
			if (!s)
				return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			buf = s->p;
			cap = s->cap;
		}
		int rc = cs_block_check(r, rg, col, k, 0, buf, cap, &blk[k],
		                        k == COLSTORE_BLOCK_DATA ? mantissa_scale : NULL, b, err);
		if (rc)
			return rc;
		if (s && d->compression == COLSTORE_COMPRESSION_LZ4) {
			s->owner = r->serial;
			s->rg = rg;
		}
	}
	if (r->columns[col].type == COLSTORE_TYPE_STRING &&
	    ch->encoding == COLSTORE_ENCODING_PLAIN && blk[COLSTORE_BLOCK_DATA].zero_copy &&
	    blk[COLSTORE_BLOCK_DATA].data) {
		/* the offsets bound every string read: kept in a copy that is
		 * checked again, since the mapping could change under the reader
		 * (a file written into in place) after the block was checked */
		size_t sz = ((size_t)ch->row_count + 1) * 4;
		cs_buf *s = cs_slot(b, col, COLSTORE_BLOCK_DATA, sz);
		if (!s)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		memcpy(s->p, blk[COLSTORE_BLOCK_DATA].data, sz);
		if (!cs_check_offsets(s->p, ch->row_count, ch->blocks[COLSTORE_BLOCK_EXTRA].raw_size))
			return cs_err(err, COLSTORE_ECORRUPT, ch->blocks[COLSTORE_BLOCK_DATA].offset,
			              "row group %u column '%s': string offsets changed since they were "
			              "checked (the file changed while being read)",
			              rg, r->columns[col].name);
		blk[COLSTORE_BLOCK_DATA].data = s->p;
		blk[COLSTORE_BLOCK_DATA].zero_copy = 0;
	}
	out->type = (colstore_type)r->columns[col].type;
	out->rows = ch->row_count;
	out->validity = blk[COLSTORE_BLOCK_VALIDITY].data;
	out->data = blk[COLSTORE_BLOCK_DATA].data;
	out->bytes = blk[COLSTORE_BLOCK_EXTRA].data;
	out->encoding = (colstore_encoding)ch->encoding;
	out->code_width = ch->code_width;
	if (!out->bytes)
		out->bytes = "";
	return COLSTORE_OK;
}

/* the values of rows [first, first + n) of out's chunk, in place */
static void cs_values_slice(colstore_values *v, uint32_t first, uint32_t n)
{
	if (v->validity)
		v->validity += first / 8;
	if (v->type == COLSTORE_TYPE_BOOL)
		v->data = (const uint8_t *)v->data + first / 8;
	else if (v->type == COLSTORE_TYPE_STRING)
		v->data = (const uint8_t *)v->data +
		          (size_t)first * (v->encoding == COLSTORE_ENCODING_DICT ? v->code_width : 4);
	else
		v->data = (const uint8_t *)v->data + (size_t)first * colstore_type_width(v->type);
	v->rows = n;
}

/* the stored bytes of a packed data block whose rows are read range by
 * range (n rows now): read with pread into b's buffer for the column (when
 * cs_block_bytes would: 16 KiB or more) and kept there for the row group's
 * next ranges, so that its pages are neither mapped nor copied again per
 * batch.  The mapping instead past CS_RANGE_STAGE_MAX (row groups longer
 * than the default's), so that memory follows the batch, and for a range
 * of fewer than CS_RANGE_STAGE_ROWS (the rows an ordered scan fetches one
 * at a time: a block read whole for 64 rows would cost more than it saves) */
#define CS_RANGE_STAGE_MAX ((uint64_t)1 << 20)
#define CS_RANGE_STAGE_ROWS 1024u
static int cs_range_bytes(colstore_reader *r, uint32_t rg, uint32_t col, uint32_t n,
                          colstore_buffers *b, const uint8_t **stored, colstore_error *err)
{
	int checked;
	const cs_block_desc *d = &cs_chunk_at(r, rg, col)->blocks[COLSTORE_BLOCK_DATA];
	if (d->stored_size > CS_RANGE_STAGE_MAX || n < CS_RANGE_STAGE_ROWS)
		return cs_block_bytes(r, rg, col, COLSTORE_BLOCK_DATA, 0, NULL, 0, stored, &checked, err);
	if (cs_bufs_hold(&b->stg, &b->nstg, col))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_buf *st = &b->stg[col];
	if (st->owner == r->serial && st->rg == rg) {
		*stored = st->p; /* read for an earlier range (the block's checksum was
		                    checked when it was first read, staged or mapped) */
		return COLSTORE_OK;
	}
	int rc = cs_block_bytes(r, rg, col, COLSTORE_BLOCK_DATA, 0, b, col, stored, &checked, err);
	st->owner = !rc && *stored == st->p ? r->serial : 0;
	st->rg = rg;
	return rc;
}

int cs_values_range(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
                    uint32_t first, uint32_t n, colstore_values *out, int *mantissa_scale,
                    colstore_error *err)
{
	if (!r || !b || !out || rg >= r->num_row_groups || col >= r->num_columns)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no chunk (%u, %u)", rg, col);
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	if (first % 64 || first > ch->row_count || n > ch->row_count - first)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "rows [%u, +%u) of a chunk of %u",
		              first, n, ch->row_count);
	const cs_block_desc *d = &ch->blocks[COLSTORE_BLOCK_DATA];
	int packed = d->present && (d->compression == COLSTORE_COMPRESSION_BITPACK ||
	                            d->compression == COLSTORE_COMPRESSION_DECIMAL);
	if (!packed || (first == 0 && n == ch->row_count)) {
		/* in place or LZ4 (at most 255 times its stored size): whole */
		int rc = cs_values(r, rg, col, b, out, mantissa_scale, err);
		if (!rc)
			cs_values_slice(out, first, n);
		return rc;
	}
	/* a packed data block: only the rows asked for are decoded, whatever
	 * the block claims to expand to (a 16-byte block may claim 128 MiB) */
	if (ch->encoding == COLSTORE_ENCODING_DICT) {
		int rc = cs_dict_ready(r, col, err);
		if (rc)
			return rc;
	}
	if (mantissa_scale)
		*mantissa_scale = -1;
	colstore_block vblk;
	const cs_block_desc *vd = &ch->blocks[COLSTORE_BLOCK_VALIDITY];
	void *vbuf = NULL;
	size_t vcap = 0;
	if (vd->present && vd->compression != COLSTORE_COMPRESSION_NONE) {
		cs_buf *s = cs_slot(b, col, COLSTORE_BLOCK_VALIDITY, (size_t)vd->raw_size + 1);
		if (!s)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		vbuf = s->p;
		vcap = s->cap;
	}
	int rc = cs_block_check(r, rg, col, COLSTORE_BLOCK_VALIDITY, 0, vbuf, vcap, &vblk, NULL, NULL, err);
	if (rc)
		return rc;
	const uint8_t *stored;
	if ((rc = cs_range_bytes(r, rg, col, n, b, &stored, err)))
		return rc;
	const cs_column *c = &r->columns[col];
	unsigned w = ch->encoding == COLSTORE_ENCODING_DICT ? ch->code_width : colstore_type_width(c->type);
	cs_buf *s = cs_slot(b, col, COLSTORE_BLOCK_DATA, (size_t)n * w + 1);
	if (!s)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	const char *why = "";
	char where[96];
	cs_block_where(r, rg, col, COLSTORE_BLOCK_DATA, where, sizeof(where));
	if (cs_pack_decode_range(d->compression, stored, d->stored_size, w, s->p, d->raw_size,
	                         mantissa_scale, first, n, &why))
		return cs_err(err, COLSTORE_ECORRUPT, d->offset, "%s: %s block: %s (§10)", where,
		              d->compression == COLSTORE_COMPRESSION_BITPACK ? "BITPACK" : "DECIMAL", why);
	/* R9.4.2 over these rows */
	if (ch->encoding == COLSTORE_ENCODING_DICT &&
	    (rc = cs_check_codes(c, s->p, w, n, where, d->offset, err)))
		return rc;
	out->type = (colstore_type)c->type;
	out->rows = n;
	out->validity = vblk.data ? (const uint8_t *)vblk.data + first / 8 : NULL;
	out->data = s->p;
	out->bytes = "";
	out->encoding = (colstore_encoding)ch->encoding;
	out->code_width = ch->code_width;
	return COLSTORE_OK;
}

int cs_chunk_sum(colstore_reader *r, uint32_t rg, uint32_t col, colstore_buffers *b,
                 const uint32_t *idx, uint32_t m, __int128 *sum, int *scale, int *done,
                 colstore_error *err)
{
	*done = 0;
	const cs_chunk *ch = cs_chunk_at(r, rg, col);
	const cs_block_desc *d = &ch->blocks[COLSTORE_BLOCK_DATA];
	uint8_t t = r->columns[col].type;
	if (ch->encoding == COLSTORE_ENCODING_DICT || ch->blocks[COLSTORE_BLOCK_VALIDITY].present ||
	    !d->present)
		return COLSTORE_OK;
	int packed_int = d->compression == COLSTORE_COMPRESSION_BITPACK && t != COLSTORE_TYPE_BOOL &&
	                 t != COLSTORE_TYPE_STRING && t != COLSTORE_TYPE_FLOAT32 &&
	                 t != COLSTORE_TYPE_FLOAT64;
	int decimal = d->compression == COLSTORE_COMPRESSION_DECIMAL && t == COLSTORE_TYPE_FLOAT64;
	if (!packed_int && !decimal)
		return COLSTORE_OK;
	const uint8_t *p;
	int checked;
	int rc = cs_block_bytes(r, rg, col, COLSTORE_BLOCK_DATA, 0, b, CS_STAGE_ANY, &p, &checked, err);
	if (rc)
		return rc;
	const char *why = "";
	int k = cs_pack_sum(d->compression, p, d->stored_size, colstore_type_width(t), d->raw_size,
	                    idx, m, sum, scale, &why);
	if (k < 0)
		return cs_err(err, COLSTORE_ECORRUPT, d->offset,
		              "row group %u column '%s' data block: %s block: %s (§10)", rg,
		              r->columns[col].name, decimal ? "DECIMAL" : "BITPACK", why);
	if (k == 0) {
		/* a numeric data block has no content rule beyond its codec's */
		cs_block_mark_checked(r, rg, col, COLSTORE_BLOCK_DATA);
		*done = 1;
	}
	return COLSTORE_OK;
}
