/*
 * writer.c -- colstore_writer: buffers one row group per column, writes each
 * full group as blocks (format-spec.md §4, §9), then dictionaries, footer and
 * trailer, into a temporary file that is renamed over the target at the end.
 * What it writes goes out through a cs_out (sink.c), in pieces of 64 KiB at
 * multiples of 64 KiB of the file.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writer.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "colstore's writer and zero-copy reader assume a little-endian host"
#endif

#define CS_DEFAULT_DICT_BUDGET (64u << 20)
#define CS_MARK_MAX 65536 /* DICT chunk stats by code up to this many entries */
#define CS_HASH_CARRY ((size_t)16 << 20) /* the columns' hash arrays (cs_wcol.hash) */
#define CS_DICT_AHEAD 16 /* values interned ahead of their slot's prefetch */
/* AUTO string columns: after the first chunk, go PLAIN for good when that
 * chunk's values were nearly all distinct (format-spec.md §9.4, §9.5). */
#define CS_AUTO_MIN_ROWS 1024u
#define CS_AUTO_UNIQUE_RATIO 0.9

/* n bytes into the file (the writer's err for a failure) */
static int cs_wout(colstore_writer *w, const void *p, size_t n, colstore_error *err)
{
	w->out.err = err;
	return cs_out_write(&w->out, p, n);
}

/* the bytes held back written out */
static int cs_wflush(colstore_writer *w, colstore_error *err)
{
	w->out.err = err;
	return cs_out_flush(&w->out);
}

int cs_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return COLSTORE_OK;
	size_t n = *cap ? *cap : 256;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * elem);
	if (!q)
		return COLSTORE_ENOMEM;
	*p = q;
	*cap = n;
	return COLSTORE_OK;
}

int cs_writer_args(const char *path, const colstore_writer_options *opts,
                   colstore_writer **out, colstore_error *err)
{
	if (out)
		*out = NULL;
	if (!path || !out)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "path and out are required");
	for (size_t i = 0; i < sizeof(opts->reserved) / sizeof(opts->reserved[0]); i++)
		if (opts->reserved[i])
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "writer options: reserved fields must be zero");
	if (opts->compression & ~(COLSTORE_WRITE_LZ4 | COLSTORE_WRITE_PACK))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "unknown compression %u", opts->compression);
	return COLSTORE_OK;
}

int colstore_writer_create(const char *path, const colstore_writer_options *opts,
                           colstore_writer **out, colstore_error *err)
{
	colstore_writer_options def = COLSTORE_WRITER_OPTIONS_INIT;
	if (!opts)
		opts = &def;
	int arc = cs_writer_args(path, opts, out, err);
	if (arc)
		return arc;
	uint32_t rgs = opts->row_group_size ? opts->row_group_size
	                                    : COLSTORE_DEFAULT_ROW_GROUP_SIZE;
	if (rgs > COLSTORE_MAX_ROW_GROUP_SIZE)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "row group size %u exceeds the limit %u", rgs,
		              COLSTORE_MAX_ROW_GROUP_SIZE);
	colstore_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	w->rgs = rgs;
	w->compression = opts->compression;
	w->dict_budget = opts->dict_budget ? opts->dict_budget : CS_DEFAULT_DICT_BUDGET;
	w->fd = -1;
	int rc = cs_tmp_create(path, &w->fd, &w->tmp, &w->path, err);
	if (rc) {
		free(w);
		return rc;
	}
	w->shown = w->tmp ? w->tmp : w->path;
	uint8_t header[CS_HEADER_SIZE];
	cs_header_encode(header, 0, 0);
	rc = cs_out_init(&w->out, w->fd, 0, w->shown, err);
	if (!rc)
		rc = cs_wout(w, header, sizeof(header), err);
	if (rc) {
		colstore_writer_abort(w);
		return rc;
	}
	*out = w;
	return COLSTORE_OK;
}

void cs_writer_budget_dict(colstore_writer *w, uint32_t col)
{
	if (w && col < w->ncols)
		w->cols[col].budgeted = 1;
}

void cs_writer_reserve_dict(colstore_writer *w, uint32_t col, uint64_t n)
{
	if (w && col < w->ncols) /* (ENOMEM: grown as it fills) */
		(void)cs_dict_reserve(&w->cols[col].dict, n, (size_t)(w->dict_budget / 2));
}

int colstore_writer_add_column(colstore_writer *w, const char *name, colstore_type type,
                               uint32_t flags, colstore_error *err)
{
	if (!w || !name)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "writer and name are required");
	if (w->started || w->append)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              w->append ? "column '%s': an append adds rows, not columns"
		                        : "column '%s' added after the first value",
		              name);
	size_t len = strlen(name);
	if (len == 0 || len > CS_MAX_NAME_LEN)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column name must be 1..%u bytes", CS_MAX_NAME_LEN);
	if (!colstore_type_name(type))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column '%s': unknown type %d", name, (int)type);
	if (flags > COLSTORE_COLUMN_PLAIN || (flags && type != COLSTORE_TYPE_STRING))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column '%s': bad flags 0x%x", name, flags);
	if (w->ncols >= CS_MAX_COLUMNS)
		return cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
		              "more than %u columns", CS_MAX_COLUMNS);
	uint32_t before = w->names.count, code;
	if (cs_dict_intern(&w->names, name, (uint32_t)len, &code))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (w->names.count == before) /* a hash set: linear in the columns */
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "duplicate column name '%s'", name);
	size_t cap = w->cols_cap;
	if (cs_grow((void **)&w->cols, &cap, (size_t)w->ncols + 1, sizeof(cs_wcol)))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	w->cols_cap = (uint32_t)cap;
	cs_wcol *c = &w->cols[w->ncols];
	memset(c, 0, sizeof(*c));
	c->type = (uint8_t)type;
	c->flags = flags;
	c->width = colstore_type_width(type);
	cs_dict_init(&c->dict);
	size_t vbytes;
	if (type == COLSTORE_TYPE_BOOL)
		vbytes = cs_bitmap_bytes(w->rgs);
	else if (type == COLSTORE_TYPE_STRING)
		vbytes = ((size_t)w->rgs + 1) * 4;
	else
		vbytes = (size_t)w->rgs * c->width;
	c->name = strdup(name);
	c->values = calloc(1, vbytes);
	c->validity = malloc(cs_bitmap_bytes(w->rgs));
	if (type == COLSTORE_TYPE_STRING) {
		c->sbytes_cap = 4096;
		c->sbytes = malloc(c->sbytes_cap);
	}
	if (!c->name || !c->values || !c->validity ||
	    (type == COLSTORE_TYPE_STRING && !c->sbytes)) {
		free(c->sbytes);
		free(c->name);
		free(c->values);
		free(c->validity);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	memset(c->validity, 0xff, cs_bitmap_bytes(w->rgs));
	/* a string column that may intern carries its strings' hashes, made
	 * where they are put (the import: on its converting threads), while
	 * the columns' arrays stay within CS_HASH_CARRY (without: hashed at
	 * the flush) */
	size_t hb = (size_t)w->rgs * sizeof(uint64_t);
	if (type == COLSTORE_TYPE_STRING && flags != COLSTORE_COLUMN_PLAIN &&
	    hb <= CS_HASH_CARRY - w->hash_bytes && (c->hash = malloc(hb)))
		w->hash_bytes += hb;
	w->ncols++;
	return COLSTORE_OK;
}

uint64_t colstore_writer_num_rows(const colstore_writer *w)
{
	return w ? w->rows : 0;
}

/* ---- blocks ------------------------------------------------------------ */

static int cs_pad(colstore_writer *w, colstore_error *err)
{
	size_t pad = (size_t)(cs_align_up(w->out.pos) - w->out.pos);
	if (pad) {
		w->out.err = err;
		int rc = cs_out_zeros(&w->out, pad);
		if (rc)
			return rc;
	}
	return COLSTORE_OK;
}

/* Write one block at the next multiple of 64 (R4.2), compressed when asked
 * and smaller (R10.1.3). */
/* pack: 0 never; else the value width of an integer block (negative: signed),
 * or CS_PACK_FLOAT64 for a float64 block */
#define CS_PACK_FLOAT64 100
static int cs_write_block(colstore_writer *w, const void *p, size_t n, int compress,
                          int pack, cs_block_desc *b, colstore_error *err)
{
	int rc = cs_pad(w, err);
	if (rc)
		return rc;
	b->present = 1;
	b->offset = w->out.pos;
	b->raw_size = n;
	b->compression = COLSTORE_COMPRESSION_NONE;
	const void *out = p;
	size_t outn = n;
	size_t bound = cs_lz4_bound(n) + n + CS_PACK_HEADER;
	if (compress && w->compression && n > 0 &&
	    cs_grow((void **)&w->scratch, &w->scratch_cap, 2 * bound, 1) == 0) {
		/* two halves: the best so far, and the next attempt */
		uint8_t *best = w->scratch, *next = w->scratch + bound;
		if (pack && (w->compression & COLSTORE_WRITE_PACK)) {
			size_t got = pack == CS_PACK_FLOAT64
			                     ? cs_decimal_encode(p, n / 8, best, bound)
			                     : cs_bitpack_encode(p, n / (size_t)abs(pack),
			                                         (unsigned)abs(pack), pack < 0, best, bound);
			if (got && got < outn) {
				out = best;
				outn = got;
				b->compression = pack == CS_PACK_FLOAT64 ? COLSTORE_COMPRESSION_DECIMAL
				                                          : COLSTORE_COMPRESSION_BITPACK;
			}
		}
		if (w->compression & COLSTORE_WRITE_LZ4) {
			size_t got = cs_lz4_compress(p, n, next, bound);
			if (got && got < outn) {
				out = next;
				outn = got;
				b->compression = COLSTORE_COMPRESSION_LZ4;
			}
		}
	}
	b->stored_size = outn;
	b->checksum = cs_xxh3(out, outn);
	return cs_wout(w, out, outn, err);
}

/* ---- statistics (§5.6) ------------------------------------------------- */

typedef struct cs_stats {
	uint8_t flags;
	uint64_t min, max;
} cs_stats;

static int64_t cs_load_int(const uint8_t *p, uint8_t type)
{
	switch (type) {
	case COLSTORE_TYPE_INT8: return (int8_t)p[0];
	case COLSTORE_TYPE_INT16: return (int16_t)cs_le16(p);
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: return (int32_t)cs_le32(p);
	default: return (int64_t)cs_le64(p);
	}
}

#define CS_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* min and max of n > 0 integers of one width with no nulls among them */
#define CS_INT_RANGE(name, T)                                                   \
	static void name(const uint8_t *p, uint32_t n, int64_t *lo, int64_t *hi) \
	{                                                                       \
		T a, b;                                                         \
		CS_MINMAX(T, p, n, a, b);                                       \
		*lo = a;                                                        \
		*hi = b;                                                        \
	}
CS_INT_RANGE(cs_range_i8, int8_t)
CS_INT_RANGE(cs_range_i16, int16_t)
CS_INT_RANGE(cs_range_i32, int32_t)
CS_INT_RANGE(cs_range_i64, int64_t)

static void cs_stats_fixed(const cs_wcol *c, uint32_t n, cs_stats *s)
{
	int any = 0;
	if (CS_LITTLE_ENDIAN && !c->nulls && n && c->type != COLSTORE_TYPE_FLOAT32 &&
	    c->type != COLSTORE_TYPE_FLOAT64 && c->type != COLSTORE_TYPE_BOOL) {
		int64_t lo, hi;
		switch (c->width) {
		case 1: cs_range_i8(c->values, n, &lo, &hi); break;
		case 2: cs_range_i16(c->values, n, &lo, &hi); break;
		case 4: cs_range_i32(c->values, n, &lo, &hi); break;
		default: cs_range_i64(c->values, n, &lo, &hi); break;
		}
		s->min = (uint64_t)lo;
		s->max = (uint64_t)hi;
		s->flags |= CS_STATS_MINMAX;
		return;
	}
	if (c->type == COLSTORE_TYPE_FLOAT32 || c->type == COLSTORE_TYPE_FLOAT64) {
		double lo = 0, hi = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (c->nulls && !cs_bit_get(c->validity, i))
				continue;
			double v;
			if (c->type == COLSTORE_TYPE_FLOAT32) {
				float f;
				memcpy(&f, c->values + (size_t)i * 4, 4);
				v = f;
			} else {
				memcpy(&v, c->values + (size_t)i * 8, 8);
			}
			if (isnan(v)) {
				s->flags |= CS_STATS_NAN;
				continue;
			}
			if (!any || v < lo)
				lo = v;
			if (!any || v > hi)
				hi = v;
			any = 1;
		}
		if (any) {
			memcpy(&s->min, &lo, 8);
			memcpy(&s->max, &hi, 8);
		}
	} else if (c->type == COLSTORE_TYPE_BOOL) {
		int seen[2] = { 0, 0 };
		for (uint32_t i = 0; i < n; i++)
			if (!c->nulls || cs_bit_get(c->validity, i))
				seen[cs_bit_get(c->values, i)] = 1;
		any = seen[0] || seen[1];
		if (any) {
			s->min = seen[0] ? 0 : 1;
			s->max = seen[1] ? 1 : 0;
		}
	} else {
		int64_t lo = 0, hi = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (c->nulls && !cs_bit_get(c->validity, i))
				continue;
			int64_t v = cs_load_int(c->values + (size_t)i * c->width, c->type);
			if (!any || v < lo)
				lo = v;
			if (!any || v > hi)
				hi = v;
			any = 1;
		}
		if (any) {
			s->min = (uint64_t)lo;
			s->max = (uint64_t)hi;
		}
	}
	if (any)
		s->flags |= CS_STATS_MINMAX;
}

int cs_heap_add(colstore_writer *w, const char *s, uint32_t len, uint64_t *ref)
{
	if (w->heap_len + len > UINT32_MAX)
		return 0; /* leave the statistics out rather than fail */
	if (cs_grow((void **)&w->heap, &w->heap_cap, w->heap_len + len, 1))
		return 0;
	if (len)
		memcpy(w->heap + w->heap_len, s, len);
	*ref = (uint64_t)w->heap_len | ((uint64_t)len << 32);
	w->heap_len += len;
	return 1;
}

static void cs_stats_string(colstore_writer *w, const cs_wcol *c, uint32_t n, cs_stats *s)
{
	const uint32_t *off = (const uint32_t *)c->values;
	int64_t lo = -1, hi = -1;
	uint64_t klo = 0, khi = 0; /* their order keys: most values lose on those */
	for (uint32_t i = 0; i < n; i++) {
		if (c->nulls && !cs_bit_get(c->validity, i))
			continue;
		const char *v = c->sbytes + off[i];
		uint32_t vl = off[i + 1] - off[i];
		uint64_t k = cs_str_order_key(v, vl);
		if (lo < 0) {
			lo = hi = i;
			klo = khi = k;
			continue;
		}
		if (k < klo || (k == klo && cs_bytes_cmp(v, vl, c->sbytes + off[lo],
		                                         off[lo + 1] - off[lo]) < 0)) {
			lo = i;
			klo = k;
		}
		if (k > khi || (k == khi && cs_bytes_cmp(v, vl, c->sbytes + off[hi],
		                                         off[hi + 1] - off[hi]) > 0)) {
			hi = i;
			khi = k;
		}
	}
	if (lo < 0)
		return;
	uint32_t ll = off[lo + 1] - off[lo], hl = off[hi + 1] - off[hi];
	if (ll > CS_STAT_STR_MAX || hl > CS_STAT_STR_MAX)
		return; /* R5.6.1 */
	size_t mark = w->heap_len;
	if (cs_heap_add(w, c->sbytes + off[lo], ll, &s->min) &&
	    cs_heap_add(w, c->sbytes + off[hi], hl, &s->max)) {
		s->flags |= CS_STATS_MINMAX;
	} else {
		w->heap_len = mark;
		s->min = s->max = 0;
	}
}

/* ---- flushing a row group ---------------------------------------------- */

static unsigned cs_code_width(uint32_t count)
{
	return count <= 256 ? 1 : count <= 65536 ? 2 : 4;
}

/* min/max of a DICT chunk: compare each distinct code once, not each row,
 * while the per-code marks stay in cache; past that, the chunk's own text
 * read in order costs less than the dictionary's read at random */
static void cs_stats_codes(colstore_writer *w, cs_wcol *c, const uint32_t *codes, uint32_t n,
                           cs_stats *s)
{
	cs_dict *d = &c->dict;
	if (d->count > CS_MARK_MAX) {
		cs_stats_string(w, c, n, s);
		return;
	}
	uint32_t stamp = (uint32_t)c->chunks_written + 1;
	if (d->mark_cap < d->count) {
		size_t cap = d->mark_cap ? d->mark_cap : 1024;
		while (cap < d->count)
			cap *= 2;
		uint32_t *m = realloc(d->mark, cap * sizeof(*m));
		if (!m)
			return; /* statistics are optional */
		memset(m + d->mark_cap, 0, (cap - d->mark_cap) * sizeof(*m));
		d->mark = m;
		d->mark_cap = cap;
	}
	int64_t lo = -1, hi = -1;
	for (uint32_t i = 0; i < n; i++) {
		if (c->nulls && !cs_bit_get(c->validity, i))
			continue;
		uint32_t k = codes[i];
		if (d->mark[k] == stamp)
			continue;
		d->mark[k] = stamp;
		const char *v = d->bytes + d->offsets[k];
		uint32_t vl = d->offsets[k + 1] - d->offsets[k];
		if (lo < 0 || cs_bytes_cmp(v, vl, d->bytes + d->offsets[lo],
		                        d->offsets[lo + 1] - d->offsets[lo]) < 0)
			lo = k;
		if (hi < 0 || cs_bytes_cmp(v, vl, d->bytes + d->offsets[hi],
		                        d->offsets[hi + 1] - d->offsets[hi]) > 0)
			hi = k;
	}
	if (lo < 0)
		return;
	uint32_t ll = d->offsets[lo + 1] - d->offsets[lo], hl = d->offsets[hi + 1] - d->offsets[hi];
	if (ll > CS_STAT_STR_MAX || hl > CS_STAT_STR_MAX)
		return; /* R5.6.1 */
	size_t mark = w->heap_len;
	if (cs_heap_add(w, d->bytes + d->offsets[lo], ll, &s->min) &&
	    cs_heap_add(w, d->bytes + d->offsets[hi], hl, &s->max)) {
		s->flags |= CS_STATS_MINMAX;
	} else {
		w->heap_len = mark;
		s->min = s->max = 0;
	}
}

static int cs_flush_strings(colstore_writer *w, cs_wcol *c, uint32_t n, uint8_t *enc,
                            uint8_t *cw, cs_block_desc *data, cs_block_desc *extra,
                            cs_stats *st, colstore_error *err)
{
	const uint32_t *off = (const uint32_t *)c->values;
	int plain = c->flags == COLSTORE_COLUMN_PLAIN || c->plain_only;
	/* AUTO falls back to PLAIN when the dictionary outgrows its budget, or
	 * could outgrow the 2 GiB limit with this chunk (whose bytes fit it) */
	if (!plain && (c->flags == COLSTORE_COLUMN_AUTO || c->budgeted) &&
	    (cs_dict_memory(&c->dict) > w->dict_budget ||
	     c->sbytes_len > (size_t)CS_MAX_STRING_BYTES - cs_dict_bytes_len(&c->dict)))
		plain = c->plain_only = 1;
	if (plain) {
		cs_stats_string(w, c, n, st);
		*enc = COLSTORE_ENCODING_PLAIN;
		int rc = cs_write_block(w, off, ((size_t)n + 1) * 4, 1, 0, data, err);
		return rc ? rc : cs_write_block(w, c->sbytes, off[n], 1, 0, extra, err);
	}
	/* DICT: intern the chunk's values, then write codes at the narrowest
	 * width that holds every code (§9.4) */
	if (cs_grow((void **)&w->codes, &w->codes_cap, (size_t)n * 4 + 4, 1))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!c->hash && cs_grow((void **)&w->hashes, &w->hashes_cap, (size_t)n * 8, 1))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t *codes = (uint32_t *)w->codes;
	const uint64_t *hs = c->hash;
	uint32_t before = c->dict.count, valid = 0;
	/* every value hashed first (unless it was as it was put), then
	 * interned with the slot of the value CS_DICT_AHEAD on fetched ahead:
	 * a large dictionary's misses overlap */
	if (!hs) {
		for (uint32_t i = 0; i < n; i++)
			w->hashes[i] = cs_dict_hash(c->sbytes + off[i], off[i + 1] - off[i]);
		hs = w->hashes;
	}
	for (uint32_t i = 0; i < n; i++) {
		codes[i] = 0; /* R9.4.1 */
		if (i + CS_DICT_AHEAD < n)
			cs_dict_prefetch(&c->dict, hs[i + CS_DICT_AHEAD]);
		if (c->nulls && !cs_bit_get(c->validity, i))
			continue;
		valid++;
		int rc = cs_dict_intern_h(&c->dict, c->sbytes + off[i], off[i + 1] - off[i], hs[i],
		                          &codes[i]);
		if (rc)
			return cs_err(err, rc, COLSTORE_NO_OFFSET,
			              "column '%s': dictionary %s", c->name,
			              rc == COLSTORE_ELIMIT ? "exceeds 2 GiB" : "out of memory");
	}
	if (c->flags == COLSTORE_COLUMN_AUTO && c->chunks_written == 0 &&
	    valid >= CS_AUTO_MIN_ROWS &&
	    (double)(c->dict.count - before) > CS_AUTO_UNIQUE_RATIO * valid)
		c->plain_only = 1; /* nearly all distinct: PLAIN from now on */
	cs_stats_codes(w, c, codes, n, st);
	unsigned width = cs_code_width(c->dict.count);
	*enc = COLSTORE_ENCODING_DICT;
	*cw = (uint8_t)width;
	/* narrow in place: each code moves to a lower or equal address */
	uint8_t *b = w->codes;
	if (width == 1)
		for (uint32_t i = 0; i < n; i++)
			b[i] = (uint8_t)codes[i];
	else if (width == 2)
		for (uint32_t i = 0; i < n; i++) {
			uint16_t v = (uint16_t)codes[i];
			memcpy(b + (size_t)i * 2, &v, 2);
		}
	return cs_write_block(w, b, (size_t)n * width, 1, (int)width, data, err);
}

static int cs_flush_group(colstore_writer *w, colstore_error *err)
{
	uint32_t n = w->group_rows;
	if (w->groups == UINT32_MAX)
		return cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET, "too many row groups");
	if (cs_grow((void **)&w->desc, &w->desc_cap,
	            w->desc_len + (size_t)w->ncols * CS_CHUNK_DESC_SIZE, 1))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t ci = 0; ci < w->ncols; ci++) {
		cs_wcol *c = &w->cols[ci];
		cs_block_desc blk[3];
		memset(blk, 0, sizeof(blk));
		cs_stats st = { 0, 0, 0 };
		uint8_t enc = COLSTORE_ENCODING_PLAIN, cw = 0;
		int rc = COLSTORE_OK;
		if (c->nulls) {
			/* R9.1.2: clear the bits past n in the last byte */
			if (n % 8)
				c->validity[n / 8] &= (uint8_t)((1u << (n % 8)) - 1);
			rc = cs_write_block(w, c->validity, cs_bitmap_bytes(n), 1, 0, &blk[0], err);
		}
		if (!rc && c->type == COLSTORE_TYPE_STRING) {
			rc = cs_flush_strings(w, c, n, &enc, &cw, &blk[1], &blk[2], &st, err);
		} else if (!rc) {
			cs_stats_fixed(c, n, &st);
			size_t bytes = c->type == COLSTORE_TYPE_BOOL ? cs_bitmap_bytes(n)
			                                             : (size_t)n * c->width;
			int pack = c->type == COLSTORE_TYPE_FLOAT64   ? CS_PACK_FLOAT64
			           : c->type == COLSTORE_TYPE_FLOAT32 ? 0
			           : c->type == COLSTORE_TYPE_BOOL    ? 0
			                                              : -(int)c->width;
			rc = cs_write_block(w, c->values, bytes, 1, pack, &blk[1], err);
		}
		if (rc)
			return rc;
		cs_chunk_desc_encode(w->desc + w->desc_len, n, c->nulls, enc, cw, st.flags, st.min,
		                     st.max, blk);
		w->desc_len += CS_CHUNK_DESC_SIZE;
		/* reset the buffers for the next group */
		if (c->nulls)
			memset(c->validity, 0xff, cs_bitmap_bytes(w->rgs));
		if (c->type == COLSTORE_TYPE_BOOL)
			memset(c->values, 0, cs_bitmap_bytes(w->rgs));
		c->nulls = 0;
		c->n = 0;
		c->sbytes_len = 0;
		c->chunks_written++;
	}
	w->groups++;
	w->group_rows = 0;
	return COLSTORE_OK;
}

/* ---- appending values -------------------------------------------------- */

static int cs_put_check(colstore_writer *w, uint32_t col, colstore_error *err)
{
	if (!w)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "writer is NULL");
	if (w->failed)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "writer failed earlier; abort it");
	if (col >= w->ncols)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no column %u (of %u)",
		              col, w->ncols);
	if (w->cols[col].n != w->group_rows)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column '%s' already has a value in this row", w->cols[col].name);
	return COLSTORE_OK;
}

static void cs_store_int(cs_wcol *c, uint32_t i, int64_t v)
{
	uint8_t *p = c->values + (size_t)i * c->width;
	switch (c->width) {
	case 1: p[0] = (uint8_t)v; break;
	case 2: cs_st16(p, (uint16_t)v); break;
	case 4: cs_st32(p, (uint32_t)v); break;
	default: cs_st64(p, (uint64_t)v); break;
	}
}

int colstore_writer_put_int(colstore_writer *w, uint32_t col, int64_t v, colstore_error *err)
{
	int rc = cs_put_check(w, col, err);
	if (rc)
		return rc;
	cs_wcol *c = &w->cols[col];
	if (c->type == COLSTORE_TYPE_STRING || c->type == COLSTORE_TYPE_FLOAT32 ||
	    c->type == COLSTORE_TYPE_FLOAT64)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column '%s' is %s, not an integer type", c->name,
		              colstore_type_name(c->type));
	if (!cs_int_fits(c->type, v))
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET,
		              "value %lld does not fit column '%s' (%s)", (long long)v, c->name,
		              colstore_type_name(c->type));
	if (c->type == COLSTORE_TYPE_BOOL) {
		if (v)
			cs_bit_set(c->values, c->n);
	} else {
		cs_store_int(c, c->n, v);
	}
	c->n++;
	w->puts++;
	w->started = 1;
	return COLSTORE_OK;
}

int cs_writer_put_f32(colstore_writer *w, uint32_t col, const void *bits, colstore_error *err)
{
	int rc = cs_put_check(w, col, err);
	if (rc)
		return rc;
	cs_wcol *c = &w->cols[col];
	if (c->type != COLSTORE_TYPE_FLOAT32)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "column '%s' is not float32",
		              c->name);
	memcpy(c->values + (size_t)c->n * 4, bits, 4);
	c->n++;
	w->puts++;
	w->started = 1;
	return COLSTORE_OK;
}

int colstore_writer_put_double(colstore_writer *w, uint32_t col, double v,
                               colstore_error *err)
{
	int rc = cs_put_check(w, col, err);
	if (rc)
		return rc;
	cs_wcol *c = &w->cols[col];
	if (c->type == COLSTORE_TYPE_FLOAT64) {
		memcpy(c->values + (size_t)c->n * 8, &v, 8);
	} else if (c->type == COLSTORE_TYPE_FLOAT32) {
		float f = (float)v;
		memcpy(c->values + (size_t)c->n * 4, &f, 4);
	} else {
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column '%s' is %s, not a float type", c->name,
		              colstore_type_name(c->type));
	}
	c->n++;
	w->puts++;
	w->started = 1;
	return COLSTORE_OK;
}

static int cs_append_str(cs_wcol *c, const char *s, size_t len, colstore_error *err)
{
	uint32_t *off = (uint32_t *)c->values;
	if (c->n == 0)
		off[0] = 0;
	if (len > CS_MAX_STRING_BYTES - c->sbytes_len)
		return cs_err(err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
		              "column '%s': the strings of one row group exceed 2 GiB "
		              "(use a smaller row group size)",
		              c->name);
	if (cs_grow((void **)&c->sbytes, &c->sbytes_cap, c->sbytes_len + len, 1))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (len)
		memcpy(c->sbytes + c->sbytes_len, s, len);
	if (cs_wants_hash(c))
		c->hash[c->n] = cs_dict_hash(s, (uint32_t)len);
	c->sbytes_len += len;
	off[c->n + 1] = (uint32_t)c->sbytes_len;
	c->n++;
	return COLSTORE_OK;
}

int colstore_writer_put_string(colstore_writer *w, uint32_t col, const char *s,
                               size_t len, colstore_error *err)
{
	int rc = cs_put_check(w, col, err);
	if (rc)
		return rc;
	cs_wcol *c = &w->cols[col];
	if (c->type != COLSTORE_TYPE_STRING)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column '%s' is %s, not string", c->name,
		              colstore_type_name(c->type));
	if (!s && len)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "NULL string pointer");
	rc = cs_append_str(c, s, len, err);
	if (!rc) {
		w->puts++;
		w->started = 1;
	}
	return rc;
}

void cs_put_null_raw(cs_wcol *c)
{
	/* R9.2.1, R9.3.1, R9.5.2: the slot is zero */
	cs_mark_null(c, c->n);
	if (c->type == COLSTORE_TYPE_STRING) {
		uint32_t *off = (uint32_t *)c->values;
		if (c->n == 0)
			off[0] = 0;
		off[c->n + 1] = off[c->n];
		if (cs_wants_hash(c))
			c->hash[c->n] = 0; /* (not interned) */
	} else if (c->type != COLSTORE_TYPE_BOOL) {
		memset(c->values + (size_t)c->n * c->width, 0, c->width);
	}
	c->n++;
}

int colstore_writer_put_null(colstore_writer *w, uint32_t col, colstore_error *err)
{
	int rc = cs_put_check(w, col, err);
	if (rc)
		return rc;
	cs_put_null_raw(&w->cols[col]);
	w->puts++;
	w->started = 1;
	return COLSTORE_OK;
}

int cs_row_done(colstore_writer *w, uint32_t k, colstore_error *err)
{
	w->group_rows += k;
	w->rows += k;
	if (w->group_rows == w->rgs) {
		int rc = cs_flush_group(w, err);
		if (rc) {
			w->failed = 1;
			return rc;
		}
	}
	return COLSTORE_OK;
}

int colstore_writer_end_row(colstore_writer *w, colstore_error *err)
{
	if (!w)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "writer is NULL");
	if (w->failed)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "writer failed earlier; abort it");
	if (w->ncols == 0)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "no columns declared");
	if (w->puts != w->ncols) {
		for (uint32_t i = 0; i < w->ncols; i++)
			if (w->cols[i].n == w->group_rows)
				return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
				              "row %llu: column '%s' has no value",
				              (unsigned long long)w->rows, w->cols[i].name);
	}
	w->puts = 0;
	w->started = 1;
	return cs_row_done(w, 1, err);
}

/* ---- finishing ---------------------------------------------------------- */

static int cs_write_footer(colstore_writer *w, colstore_error *err)
{
	size_t size = CS_FOOTER_FIXED;
	for (uint32_t i = 0; i < w->ncols; i++)
		size += cs_column_entry_size(strlen(w->cols[i].name));
	size += w->desc_len + w->heap_len;
	uint8_t *f = calloc(1, size);
	if (!f)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_footer_fixed_encode(f, w->rows, w->ncols, w->groups, w->rgs, w->heap_len);
	size_t at = CS_FOOTER_FIXED;
	for (uint32_t i = 0; i < w->ncols; i++) {
		cs_wcol *c = &w->cols[i];
		size_t len = strlen(c->name);
		cs_column_entry_encode(f + at, c->type, c->name, len, c->dict.count, &c->dict_off,
		                       &c->dict_bytes);
		at += cs_column_entry_size(len);
	}
	if (w->desc_len)
		memcpy(f + at, w->desc, w->desc_len);
	at += w->desc_len;
	if (w->heap_len)
		memcpy(f + at, w->heap, w->heap_len);
	int rc = cs_pad(w, err);
	uint64_t footer_offset = w->out.pos;
	if (!rc)
		rc = cs_wout(w, f, size, err);
	/* R14.2: an append's blocks and footer are durable before its trailer,
	 * which makes them the file */
	if (!rc && w->append && (rc = cs_wflush(w, err)) == COLSTORE_OK && fdatasync(w->fd) != 0)
		rc = cs_err_errno(err, errno, "cannot fsync", w->shown);
	if (!rc) {
		uint8_t t[CS_TRAILER_SIZE];
		cs_trailer_encode(t, footer_offset, size, cs_xxh3(f, size));
		rc = cs_wout(w, t, sizeof(t), err);
	}
	if (!rc)
		rc = cs_wflush(w, err); /* all of it written before it is committed */
	free(f);
	return rc;
}

int colstore_writer_finish(colstore_writer *w, colstore_error *err)
{
	if (!w)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "writer is NULL");
	int rc = COLSTORE_OK;
	if (w->failed)
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		            "writer failed earlier; nothing written");
	else if (w->ncols == 0)
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "no columns declared");
	else if (w->puts)
		rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		            "finish in the middle of a row");
	if (!rc && w->group_rows)
		rc = cs_flush_group(w, err);
	/* dictionaries, in column order (R4.3); never compressed (R10.1.3) */
	for (uint32_t i = 0; !rc && i < w->ncols; i++) {
		cs_wcol *c = &w->cols[i];
		if (c->dict.count == 0)
			continue;
		rc = cs_write_block(w, c->dict.offsets, ((size_t)c->dict.count + 1) * 4, 0, 0,
		                    &c->dict_off, err);
		if (!rc)
			rc = cs_write_block(w, c->dict.bytes, cs_dict_bytes_len(&c->dict), 0, 0,
			                    &c->dict_bytes, err);
	}
	if (!rc)
		rc = cs_write_footer(w, err);
	if (!rc && w->append) {
		rc = cs_append_commit(w, err);
	} else if (!rc) {
		int fd = w->fd;
		w->fd = -1;
		rc = cs_tmp_commit(fd, w->tmp, w->path, err);
		if (!rc) {
			cs_tmp_forget(w->tmp);
			free(w->tmp);
			w->tmp = NULL; /* committed: abort must not unlink */
		}
	}
	colstore_writer_abort(w);
	return rc;
}

void colstore_writer_abort(colstore_writer *w)
{
	if (!w)
		return;
	if (w->append && w->fd >= 0)
		cs_append_undo(w); /* the file back as it was */
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp) {
		unlink(w->tmp);
		cs_tmp_forget(w->tmp);
		free(w->tmp);
	}
	for (uint32_t i = 0; i < w->ncols; i++) {
		cs_wcol *c = &w->cols[i];
		free(c->name);
		free(c->values);
		free(c->validity);
		free(c->sbytes);
		free(c->hash);
		cs_dict_free(&c->dict);
	}
	free(w->cols);
	cs_dict_free(&w->names);
	free(w->desc);
	free(w->heap);
	free(w->scratch);
	free(w->codes);
	free(w->hashes);
	free(w->spans);
	cs_out_free(&w->out);
	free(w->path);
	free(w);
}
