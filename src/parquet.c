/*
 * parquet.c -- the Parquet writer behind colstore_export(): an Arrow C
 * stream (export.h) in, an Apache Parquet file out.  References:
 * parquet-format's src/main/thrift/parquet.thrift (field ids below),
 * Encodings.md (PLAIN, the RLE/bit-packed hybrid, RLE_DICTIONARY) and
 * Compression.md (LZ4_RAW).
 *
 * The subset written:
 *   "PAR1" | row group 0 | row group 1 | ... | FileMetaData | u32 LE len | "PAR1"
 *   - one row group per non-empty batch, one column chunk per column;
 *   - a flat schema: the root "schema", then one leaf per column, OPTIONAL
 *     when the Arrow field is nullable, else REQUIRED;
 *   - per chunk one v1 DATA_PAGE, preceded by a DICTIONARY_PAGE when a
 *     dictionary-encoded string column uses few entries in the batch;
 *   - definition levels (OPTIONAL only): u32 LE length + RLE/bit-packed
 *     hybrid at bit width 1 -- one RLE run of 1s, or the validity bitmap as
 *     one bit-packed run (both are LSB-first);
 *   - values PLAIN, non-null rows only; dictionary indices as one byte of
 *     bit width + one bit-packed run;
 *   - codec UNCOMPRESSED, or LZ4_RAW (each page body an LZ4 block);
 *   - chunk statistics: null_count, min_value/max_value (TYPE_ORDER, listed
 *     in column_orders), nan_count for FLOAT/DOUBLE.
 *
 *   Arrow      Parquet      LogicalType                   ConvertedType
 *   c          INT32        INTEGER(8, signed)            INT_8
 *   s          INT32        INTEGER(16, signed)           INT_16
 *   i / l      INT32/INT64  -                             -
 *   f / g      FLOAT/DOUBLE -                             -
 *   b          BOOLEAN      -                             -
 *   u, dict(u) BYTE_ARRAY   STRING                        UTF8
 *   tdD        INT32        DATE                          DATE
 *   tsu:       INT64        TIMESTAMP(false, MICROS)      -
 */
#include <errno.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>

#include "export.h"
#include "thrift.h"

/* parquet.thrift enums */
enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_FLOAT = 4, PQ_DOUBLE = 5,
       PQ_BYTE_ARRAY = 6 };
enum { PQ_PLAIN = 0, PQ_RLE = 3, PQ_RLE_DICTIONARY = 8 };
enum { PQ_DATA_PAGE = 0, PQ_DICTIONARY_PAGE = 2 };
enum { PQ_UNCOMPRESSED = 0, PQ_LZ4_RAW = 7 };
enum { PQ_CT_UTF8 = 0, PQ_CT_DATE = 6, PQ_CT_INT_8 = 15, PQ_CT_INT_16 = 16 };
enum { PQ_OPTIONAL = 1, PQ_REQUIRED = 0 };

#define CS_PQ_STAT_MAX 1024u /* longer string min/max are left out */

/* ---- the writer's state ----------------------------------------------- */

enum { CS_PQ_INT, CS_PQ_FLOAT, CS_PQ_DOUBLE, CS_PQ_BOOL, CS_PQ_STR, CS_PQ_DICT };
enum { CS_LT_NONE, CS_LT_INT8, CS_LT_INT16, CS_LT_STRING, CS_LT_DATE, CS_LT_TS };

static const struct {
	const char *format;
	uint8_t kind, width, ptype, logical;
} cs_pq_formats[] = {
	{ "c", CS_PQ_INT, 1, PQ_INT32, CS_LT_INT8 },
	{ "s", CS_PQ_INT, 2, PQ_INT32, CS_LT_INT16 },
	{ "i", CS_PQ_INT, 4, PQ_INT32, CS_LT_NONE },
	{ "l", CS_PQ_INT, 8, PQ_INT64, CS_LT_NONE },
	{ "f", CS_PQ_FLOAT, 4, PQ_FLOAT, CS_LT_NONE },
	{ "g", CS_PQ_DOUBLE, 8, PQ_DOUBLE, CS_LT_NONE },
	{ "b", CS_PQ_BOOL, 0, PQ_BOOLEAN, CS_LT_NONE },
	{ "u", CS_PQ_STR, 0, PQ_BYTE_ARRAY, CS_LT_STRING },
	{ "tdD", CS_PQ_INT, 4, PQ_INT32, CS_LT_DATE },
	{ "tsu:", CS_PQ_INT, 8, PQ_INT64, CS_LT_TS },
};

typedef struct cs_pq_col {
	const char *name; /* in the schema, kept until the end */
	uint8_t kind, width, ptype, logical, optional;
	/* CS_PQ_DICT, per dictionary entry: stamp[code] == the batch's stamp
	 * when the batch uses it, map[code] its index in this row group's
	 * dictionary page, used[] the codes in first-use order */
	uint32_t *stamp, *map, *used;
	int64_t dict_cap;
	const void *dict_checked; /* offsets buffer already validated */
	int64_t dict_checked_len;
} cs_pq_col;

typedef struct cs_pq {
	cs_out *out;
	colstore_error *err;
	int lz4;
	struct ArrowSchema schema;
	int64_t ncol;
	cs_pq_col *cols;
	uint32_t stamp;    /* of the current batch, for cs_pq_col.stamp */
	uint64_t num_rows, num_groups;
	/* shared by the columns, grown as needed, freed at the end */
	cs_buf body;  /* a page body being built */
	cs_buf dpage; /* a dictionary page body */
	cs_buf z;     /* LZ4 output */
	cs_buf hdr;   /* a PageHeader */
	cs_buf rgs;   /* the RowGroup structs written so far */
	cs_tw rg;     /* encoder appending to rgs */
} cs_pq;

/* one column chunk's statistics */
typedef struct cs_pq_stats {
	uint64_t nulls, nans;
	int has; /* min/max known */
	const void *min, *max;
	size_t min_len, max_len;
	uint8_t minb[8], maxb[8];
} cs_pq_stats;

static int cs_pq_nomem(cs_pq *w)
{
	return cs_err(w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
}

/* ---- schema ------------------------------------------------------------ */

static int cs_pq_schema(cs_pq *w)
{
	const struct ArrowSchema *sc = &w->schema;
	if (!sc->format || strcmp(sc->format, "+s") != 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow stream: the schema is not a struct (\"+s\")");
	if (sc->n_children <= 0 || !sc->children)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow stream: no columns to write");
	w->ncol = sc->n_children;
	w->cols = calloc((size_t)w->ncol, sizeof(*w->cols));
	if (!w->cols)
		return cs_pq_nomem(w);
	for (int64_t i = 0; i < w->ncol; i++) {
		const struct ArrowSchema *ch = sc->children[i];
		cs_pq_col *c = &w->cols[i];
		if (!ch || !ch->format)
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "arrow stream: column %lld has no format", (long long)i);
		c->name = ch->name ? ch->name : "";
		c->optional = (ch->flags & ARROW_FLAG_NULLABLE) != 0;
		const char *f = ch->format;
		if (ch->dictionary) {
			const char *df = ch->dictionary->format;
			c->width = !strcmp(f, "C") ? 1 : !strcmp(f, "S") ? 2 : !strcmp(f, "I") ? 4 : 0;
			if (!c->width || !df || strcmp(df, "u") != 0)
				return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
				              "column %s: unsupported dictionary type %s of %s", c->name,
				              f, df ? df : "(null)");
			c->kind = CS_PQ_DICT;
			c->ptype = PQ_BYTE_ARRAY;
			c->logical = CS_LT_STRING;
			continue;
		}
		size_t k = 0, nf = sizeof(cs_pq_formats) / sizeof(cs_pq_formats[0]);
		while (k < nf && strcmp(cs_pq_formats[k].format, f) != 0)
			k++;
		if (k == nf || ch->n_children != 0)
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "column %s: unsupported Arrow format \"%s\"", c->name, f);
		c->kind = cs_pq_formats[k].kind;
		c->width = cs_pq_formats[k].width;
		c->ptype = cs_pq_formats[k].ptype;
		c->logical = cs_pq_formats[k].logical;
	}
	return COLSTORE_OK;
}

/* ---- page bodies ------------------------------------------------------- */

static int64_t cs_pq_int_at(const void *v, unsigned width, int64_t i)
{
	switch (width) {
	case 1: return ((const int8_t *)v)[i];
	case 2: return ((const int16_t *)v)[i];
	case 4: return ((const int32_t *)v)[i];
	default: return ((const int64_t *)v)[i];
	}
}

/* the size of the definition levels cs_pq_levels writes */
static uint64_t cs_pq_levels_size(uint64_t rows, uint64_t nulls)
{
	if (!nulls)
		return 4 + cs_uleb_len(rows << 1) + 1;
	uint64_t nb = (rows + 7) / 8;
	return 4 + cs_uleb_len(nb << 1 | 1) + nb;
}

/* definition levels at bit width 1 with their u32 length (Encodings.md,
 * RLE/bit-packed hybrid): all valid is one RLE run of 1s; otherwise the
 * validity bitmap, already LSB-first, is one bit-packed run of
 * ceil(rows / 8) groups of 8, its tail bits cleared */
static void cs_pq_levels(cs_buf *b, const uint8_t *valid, uint64_t rows, uint64_t nulls)
{
	uint8_t *start = b->p + b->len, *d = start + 4;
	if (!nulls) {
		d += cs_uleb(d, rows << 1);
		*d++ = 1;
	} else {
		size_t nb = cs_bitmap_bytes(rows);
		d += cs_uleb(d, (uint64_t)nb << 1 | 1);
		memcpy(d, valid, nb);
		if (rows & 7)
			d[nb - 1] &= (uint8_t)((1u << (rows & 7)) - 1);
		d += nb;
	}
	cs_st32(start, (uint32_t)(d - start - 4));
	b->len = (size_t)(d - b->p);
}

/* strings as PLAIN BYTE_ARRAY: u32 LE length, bytes */
static uint8_t *cs_pq_put_str(uint8_t *d, const uint8_t *s, uint32_t n)
{
	cs_st32(d, n);
	if (n)
		memcpy(d + 4, s, n);
	return d + 4 + n;
}

/* the min/max of one more string */
static void cs_pq_str_stat(cs_pq_stats *st, const uint8_t *s, uint32_t n)
{
	if (!st->has || cs_bytes_cmp((const char *)s, n, st->min, (uint32_t)st->min_len) < 0) {
		st->min = s;
		st->min_len = n;
	}
	if (!st->has || cs_bytes_cmp((const char *)s, n, st->max, (uint32_t)st->max_len) > 0) {
		st->max = s;
		st->max_len = n;
	}
	st->has = 1;
}

/* PLAIN values of the non-null rows of a numeric column into d (room for
 * them is reserved): int8, int16 widened to INT32; floats as their bits;
 * min/max over the values, NaN left out (parquet.thrift ColumnOrder) */
static uint8_t *cs_pq_numbers(const cs_pq_col *c, const void *vals, const uint8_t *valid,
                              int64_t rows, uint8_t *d, cs_pq_stats *st)
{
	unsigned ow = c->ptype == PQ_INT64 || c->ptype == PQ_DOUBLE ? 8 : 4;
	int64_t ilo = INT64_MAX, ihi = INT64_MIN;
	double flo = 0, fhi = 0;
	for (int64_t i = 0; i < rows; i++) {
		if (valid && !cs_bit_get(valid, (uint64_t)i))
			continue;
		uint64_t bits;
		if (c->kind == CS_PQ_INT) {
			int64_t v = cs_pq_int_at(vals, c->width, i);
			bits = (uint64_t)v;
			ilo = v < ilo ? v : ilo;
			ihi = v > ihi ? v : ihi;
			st->has = 1;
		} else {
			double v;
			if (c->kind == CS_PQ_FLOAT) {
				float f;
				uint32_t b;
				memcpy(&f, (const uint8_t *)vals + 4 * i, 4);
				memcpy(&b, &f, 4);
				bits = b;
				v = f;
			} else {
				memcpy(&v, (const uint8_t *)vals + 8 * i, 8);
				memcpy(&bits, &v, 8);
			}
			if (v != v) {
				st->nans++;
			} else {
				flo = !st->has || v < flo ? v : flo;
				fhi = !st->has || v > fhi ? v : fhi;
				st->has = 1;
			}
		}
		if (ow == 8)
			cs_st64(d, bits);
		else
			cs_st32(d, (uint32_t)bits);
		d += ow;
	}
	/* a chunk with a NaN gets no float min/max: readers that order NaN
	 * above every number (DuckDB) would otherwise skip it for "x > max"
	 * (nan_count says it is there, but not every reader looks) */
	if (st->nans)
		st->has = 0;
	if (!st->has)
		return d;
	uint64_t lo = (uint64_t)ilo, hi = (uint64_t)ihi;
	if (c->kind != CS_PQ_INT) {
		/* a zero min is written -0, a zero max +0 (parquet.thrift) */
		flo = flo == 0 ? -0.0 : flo;
		fhi = fhi == 0 ? 0.0 : fhi;
		if (c->kind == CS_PQ_FLOAT) { /* exact: both came from floats */
			float fl = (float)flo, fh = (float)fhi;
			uint32_t bl, bh;
			memcpy(&bl, &fl, 4);
			memcpy(&bh, &fh, 4);
			lo = bl;
			hi = bh;
		} else {
			memcpy(&lo, &flo, 8);
			memcpy(&hi, &fhi, 8);
		}
	}
	if (ow == 8) {
		cs_st64(st->minb, lo);
		cs_st64(st->maxb, hi);
	} else {
		cs_st32(st->minb, (uint32_t)lo);
		cs_st32(st->maxb, (uint32_t)hi);
	}
	st->min = st->minb;
	st->max = st->maxb;
	st->min_len = st->max_len = ow;
	return d;
}

/* PLAIN booleans: bit-packed LSB-first, like Arrow's, non-null rows only */
static uint8_t *cs_pq_bools(const uint8_t *vals, const uint8_t *valid, int64_t rows,
                            uint8_t *d, cs_pq_stats *st)
{
	uint64_t k = 0;
	int any_false = 0, any_true = 0;
	for (int64_t i = 0; i < rows; i++) {
		if (valid && !cs_bit_get(valid, (uint64_t)i))
			continue;
		if (!(k & 7))
			d[k >> 3] = 0;
		if (cs_bit_get(vals, (uint64_t)i)) {
			d[k >> 3] |= (uint8_t)(1u << (k & 7));
			any_true = 1;
		} else {
			any_false = 1;
		}
		k++;
	}
	if ((st->has = k > 0) != 0) {
		st->minb[0] = !any_false;
		st->maxb[0] = (uint8_t)any_true;
		st->min = st->minb;
		st->max = st->maxb;
		st->min_len = st->max_len = 1;
	}
	return d + cs_bitmap_bytes(k);
}

/* utf8 offsets must start at >= 0 and never decrease (we read through them) */
static int cs_pq_offsets_ok(const int32_t *off, int64_t n)
{
	if (n > 0 && off[0] < 0)
		return 0;
	for (int64_t i = 0; i < n; i++)
		if (off[i + 1] < off[i])
			return 0;
	return 1;
}

/* ---- pages and column chunks ------------------------------------------- */

/* page header + body (compressed when the file is); adds to *unc, *comp */
static int cs_pq_page(cs_pq *w, const cs_pq_col *c, int type, const cs_buf *body,
                      int64_t num_values, int encoding, uint64_t *unc, uint64_t *comp)
{
	const uint8_t *p = body->p;
	size_t n = body->len, stored = n;
	if (n > (size_t)INT32_MAX || num_values > INT32_MAX)
		return cs_err(w->err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
		              "column %s: a page of %zu bytes and %lld values exceeds the "
		              "Parquet page limit (2 GiB, 2^31 - 1 values)",
		              c->name, n, (long long)num_values);
	if (w->lz4) {
		if (n > (size_t)LZ4_MAX_INPUT_SIZE)
			return cs_err(w->err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
			              "column %s: a page of %zu bytes exceeds the LZ4 input limit "
			              "(%d bytes)", c->name, n, LZ4_MAX_INPUT_SIZE);
		int bound = LZ4_compressBound((int)n);
		w->z.len = 0;
		if (cs_buf_reserve(&w->z, (size_t)bound))
			return cs_pq_nomem(w);
		int got = LZ4_compress_default((const char *)p, (char *)w->z.p, (int)n, bound);
		if (got <= 0)
			return cs_err(w->err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
			              "column %s: LZ4 compression of a %zu-byte page failed", c->name, n);
		p = w->z.p;
		stored = (size_t)got;
	}
	cs_tw t;
	w->hdr.len = 0;
	cs_tw_init(&t, &w->hdr);
	cs_tw_push(&t); /* PageHeader */
	cs_tw_i32(&t, 1, type);
	cs_tw_i32(&t, 2, (int32_t)n);
	cs_tw_i32(&t, 3, (int32_t)stored);
	if (type == PQ_DATA_PAGE) {
		cs_tw_struct(&t, 5); /* DataPageHeader */
		cs_tw_i32(&t, 1, (int32_t)num_values);
		cs_tw_i32(&t, 2, encoding);
		cs_tw_i32(&t, 3, PQ_RLE);
		cs_tw_i32(&t, 4, PQ_RLE);
	} else {
		cs_tw_struct(&t, 7); /* DictionaryPageHeader */
		cs_tw_i32(&t, 1, (int32_t)num_values);
		cs_tw_i32(&t, 2, PQ_PLAIN);
	}
	cs_tw_end(&t);
	cs_tw_end(&t);
	if (t.oom)
		return cs_pq_nomem(w);
	int rc = cs_out_write(w->out, w->hdr.p, w->hdr.len);
	if (!rc)
		rc = cs_out_write(w->out, p, stored);
	*unc += w->hdr.len + n;
	*comp += w->hdr.len + stored;
	return rc;
}

static int cs_pq_too_big(cs_pq *w, const cs_pq_col *c, uint64_t size)
{
	return cs_err(w->err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
	              "column %s: a page of %llu bytes exceeds the Parquet page limit (2 GiB)",
	              c->name, (unsigned long long)size);
}

/* reserve the body of a page of size bytes */
static int cs_pq_body(cs_pq *w, const cs_pq_col *c, cs_buf *b, uint64_t size)
{
	b->len = 0;
	if (size > (uint64_t)INT32_MAX)
		return cs_pq_too_big(w, c, size);
	return cs_buf_reserve(b, (size_t)size) ? cs_pq_nomem(w) : COLSTORE_OK;
}

/* A dictionary-encoded column: the entries this batch uses, then either a
 * dictionary page of them (*ndict entries) + RLE_DICTIONARY indices, or
 * PLAIN strings (*ndict = 0).  The definition levels are in w->body. */
static int cs_pq_dict_chunk(cs_pq *w, cs_pq_col *c, const struct ArrowArray *x,
                            const uint8_t *valid, uint64_t nn, cs_pq_stats *st,
                            uint32_t *ndict)
{
	const struct ArrowArray *dict = x->dictionary;
	if (!dict || dict->offset != 0 || dict->length < 0 || dict->n_buffers < 3 ||
	    !dict->buffers || (dict->length > 0 && !dict->buffers[1]))
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column %s: bad dictionary array", c->name);
	int64_t dlen = dict->length;
	const int32_t *doff = dict->buffers[1];
	const uint8_t *dbytes = dict->buffers[2];
	if (c->dict_checked != doff || c->dict_checked_len != dlen) {
		if (dlen > 0 && (!cs_pq_offsets_ok(doff, dlen) || (!dbytes && doff[dlen] != 0)))
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "column %s: bad dictionary offsets", c->name);
		c->dict_checked = doff;
		c->dict_checked_len = dlen;
	}
	if (!dbytes) /* every entry is "" (offsets all 0) */
		dbytes = (const uint8_t *)"";
	if (dlen > c->dict_cap) { /* once: the dictionary is the same every batch */
		if ((uint64_t)dlen > SIZE_MAX / sizeof(uint32_t))
			return cs_pq_nomem(w);
		size_t sz = (size_t)dlen * sizeof(uint32_t);
		uint32_t *p;
		if (!(p = realloc(c->stamp, sz)))
			return cs_pq_nomem(w);
		c->stamp = p;
		memset(c->stamp + c->dict_cap, 0, (size_t)(dlen - c->dict_cap) * sizeof(uint32_t));
		if (!(p = realloc(c->map, sz)))
			return cs_pq_nomem(w);
		c->map = p;
		if (!(p = realloc(c->used, sz)))
			return cs_pq_nomem(w);
		c->used = p;
		c->dict_cap = dlen;
	}

	/* pass 1: the entries used, in first-use order, and the PLAIN size */
	const void *idx = x->buffers[1];
	int64_t rows = x->length;
	uint32_t nd = 0;
	uint64_t plain = 0;
	for (int64_t i = 0; i < rows; i++) {
		if (valid && !cs_bit_get(valid, (uint64_t)i))
			continue;
		uint32_t code = cs_code_at(idx, c->width, (size_t)i);
		if (code >= (uint64_t)dlen)
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "column %s: row %lld: index %u is outside the dictionary of %lld",
			              c->name, (long long)i, code, (long long)dlen);
		if (c->stamp[code] != w->stamp) {
			c->stamp[code] = w->stamp;
			c->map[code] = nd;
			c->used[nd++] = code;
		}
		plain += 4 + (uint32_t)(doff[code + 1] - doff[code]);
	}
	uint64_t dbytes_len = 0;
	for (uint32_t k = 0; k < nd; k++) {
		uint32_t code = c->used[k];
		uint32_t n = (uint32_t)(doff[code + 1] - doff[code]);
		cs_pq_str_stat(st, dbytes + doff[code], n);
		dbytes_len += 4 + n;
	}
	*ndict = nd > 0 && (uint64_t)nd * 2 <= nn ? nd : 0;
	size_t levels = w->body.len;
	if (!*ndict) {
		if (levels + plain > (uint64_t)INT32_MAX)
			return cs_pq_too_big(w, c, levels + plain);
		if (cs_buf_reserve(&w->body, (size_t)plain))
			return cs_pq_nomem(w);
		uint8_t *d = w->body.p + levels;
		for (int64_t i = 0; i < rows; i++) {
			if (valid && !cs_bit_get(valid, (uint64_t)i))
				continue;
			uint32_t code = cs_code_at(idx, c->width, (size_t)i);
			d = cs_pq_put_str(d, dbytes + doff[code], (uint32_t)(doff[code + 1] - doff[code]));
		}
		w->body.len = (size_t)(d - w->body.p);
		return COLSTORE_OK;
	}

	/* the dictionary page: PLAIN BYTE_ARRAY of the entries used */
	int rc = cs_pq_body(w, c, &w->dpage, dbytes_len);
	if (rc)
		return rc;
	uint8_t *d = w->dpage.p;
	for (uint32_t k = 0; k < nd; k++) {
		uint32_t code = c->used[k];
		d = cs_pq_put_str(d, dbytes + doff[code], (uint32_t)(doff[code + 1] - doff[code]));
	}
	w->dpage.len = (size_t)(d - w->dpage.p);

	/* the indices: bit width, then one bit-packed run of ceil(nn / 8) groups
	 * of 8 values, LSB-first, the last group padded with zeros */
	unsigned bw = 1;
	while (bw < 32 && ((uint64_t)1 << bw) < nd)
		bw++;
	uint64_t groups = (nn + 7) / 8;
	uint64_t size = levels + 1 + cs_uleb_len(groups << 1 | 1) + groups * bw;
	if (size > (uint64_t)INT32_MAX)
		return cs_pq_too_big(w, c, size);
	if (cs_buf_reserve(&w->body, (size_t)(size - levels)))
		return cs_pq_nomem(w);
	d = w->body.p + levels;
	*d++ = (uint8_t)bw;
	d += cs_uleb(d, groups << 1 | 1);
	uint8_t *end = d + groups * bw;
	uint64_t acc = 0;
	unsigned nbits = 0;
	for (int64_t i = 0; i < rows; i++) {
		if (valid && !cs_bit_get(valid, (uint64_t)i))
			continue;
		acc |= (uint64_t)c->map[cs_code_at(idx, c->width, (size_t)i)] << nbits;
		for (nbits += bw; nbits >= 8; nbits -= 8) {
			*d++ = (uint8_t)acc;
			acc >>= 8;
		}
	}
	if (nbits)
		*d++ = (uint8_t)acc;
	memset(d, 0, (size_t)(end - d));
	w->body.len = (size_t)(end - w->body.p);
	return COLSTORE_OK;
}

/* one column chunk: its pages to the file, its ColumnChunk to w->rg */
static int cs_pq_chunk(cs_pq *w, cs_pq_col *c, const struct ArrowArray *x, int64_t rows,
                       uint64_t *rg_unc, uint64_t *rg_comp)
{
	int nbuf = c->kind == CS_PQ_STR ? 3 : 2;
	if (!x || x->offset != 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column %s: arrays with a nonzero offset are not supported", c->name);
	if (x->length != rows || x->n_buffers < nbuf || !x->buffers || !x->buffers[1])
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column %s: bad array (%lld rows in a batch of %lld, %lld buffers)",
		              c->name, (long long)x->length, (long long)rows,
		              (long long)x->n_buffers);
	const uint8_t *valid = x->buffers[0];
	cs_pq_stats st;
	memset(&st, 0, sizeof(st));
	if (valid)
		st.nulls = (uint64_t)rows - cs_bitmap_popcount(valid, (uint64_t)rows);
	else if (x->null_count > 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column %s: %lld nulls but no validity bitmap", c->name,
		              (long long)x->null_count);
	if (!st.nulls)
		valid = NULL;
	if (st.nulls && !c->optional)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "column %s is not nullable but has %llu nulls", c->name,
		              (unsigned long long)st.nulls);
	uint64_t nn = (uint64_t)rows - st.nulls;

	/* the exact size of the data page body, when it is known up front */
	uint64_t levels = c->optional ? cs_pq_levels_size((uint64_t)rows, st.nulls) : 0;
	uint64_t size = levels;
	const int32_t *off = NULL;
	const uint8_t *bytes = NULL;
	switch (c->kind) {
	case CS_PQ_INT: size += nn * (c->ptype == PQ_INT64 ? 8 : 4); break;
	case CS_PQ_FLOAT: size += nn * 4; break;
	case CS_PQ_DOUBLE: size += nn * 8; break;
	case CS_PQ_BOOL: size += (nn + 7) / 8; break;
	case CS_PQ_STR:
		off = x->buffers[1];
		bytes = x->buffers[2];
		if (!cs_pq_offsets_ok(off, rows) || (!bytes && off[rows] != 0))
			return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "column %s: bad utf8 offsets", c->name);
		if (!bytes) /* only empty strings (offsets all 0) */
			bytes = (const uint8_t *)"";
		if (!valid) {
			size += 4 * nn + (uint64_t)(off[rows] - off[0]);
		} else {
			for (int64_t i = 0; i < rows; i++)
				if (cs_bit_get(valid, (uint64_t)i))
					size += 4 + (uint64_t)(off[i + 1] - off[i]);
		}
		break;
	default: break; /* CS_PQ_DICT: sized in cs_pq_dict_chunk */
	}
	int rc = cs_pq_body(w, c, &w->body, size);
	if (rc)
		return rc;
	if (c->optional)
		cs_pq_levels(&w->body, valid, (uint64_t)rows, st.nulls);

	uint32_t use_dict = 0; /* entries in the dictionary page, if any */
	if (c->kind == CS_PQ_DICT) {
		if ((rc = cs_pq_dict_chunk(w, c, x, valid, nn, &st, &use_dict)) != 0)
			return rc;
	} else if (c->kind == CS_PQ_STR) {
		uint8_t *d = w->body.p + w->body.len;
		for (int64_t i = 0; i < rows; i++) {
			if (valid && !cs_bit_get(valid, (uint64_t)i))
				continue;
			uint32_t n = (uint32_t)(off[i + 1] - off[i]);
			d = cs_pq_put_str(d, bytes + off[i], n);
			cs_pq_str_stat(&st, bytes + off[i], n);
		}
		w->body.len = (size_t)(d - w->body.p);
	} else {
		uint8_t *d = w->body.p + w->body.len;
		d = c->kind == CS_PQ_BOOL ? cs_pq_bools(x->buffers[1], valid, rows, d, &st)
		                          : cs_pq_numbers(c, x->buffers[1], valid, rows, d, &st);
		w->body.len = (size_t)(d - w->body.p);
	}
	if (st.has && (st.min_len > CS_PQ_STAT_MAX || st.max_len > CS_PQ_STAT_MAX))
		st.has = 0;

	/* the pages */
	uint64_t unc = 0, comp = 0, dict_off = w->out->pos;
	if (use_dict &&
	    (rc = cs_pq_page(w, c, PQ_DICTIONARY_PAGE, &w->dpage, use_dict, PQ_PLAIN, &unc, &comp)))
		return rc;
	uint64_t data_off = w->out->pos;
	rc = cs_pq_page(w, c, PQ_DATA_PAGE, &w->body, rows,
	                use_dict ? PQ_RLE_DICTIONARY : PQ_PLAIN, &unc, &comp);
	if (rc)
		return rc;
	*rg_unc += unc;
	*rg_comp += comp;

	/* its ColumnChunk, an element of RowGroup.columns */
	cs_tw *t = &w->rg;
	cs_tw_push(t);
	cs_tw_i64(t, 2, 0); /* file_offset: no ColumnMetaData outside the footer */
	cs_tw_struct(t, 3); /* ColumnMetaData */
	cs_tw_i32(t, 1, c->ptype);
	cs_tw_list(t, 2, TC_I32, use_dict ? 3 : 2);
	cs_tw_varint(t, cs_zigzag(PQ_PLAIN));
	cs_tw_varint(t, cs_zigzag(PQ_RLE));
	if (use_dict)
		cs_tw_varint(t, cs_zigzag(PQ_RLE_DICTIONARY));
	cs_tw_list(t, 3, TC_BINARY, 1);
	cs_tw_varint(t, strlen(c->name));
	cs_tw_raw(t, c->name, strlen(c->name));
	cs_tw_i32(t, 4, w->lz4 ? PQ_LZ4_RAW : PQ_UNCOMPRESSED);
	cs_tw_i64(t, 5, rows);
	cs_tw_i64(t, 6, (int64_t)unc);
	cs_tw_i64(t, 7, (int64_t)comp);
	cs_tw_i64(t, 9, (int64_t)data_off);
	if (use_dict)
		cs_tw_i64(t, 11, (int64_t)dict_off);
	cs_tw_struct(t, 12); /* Statistics */
	cs_tw_i64(t, 3, (int64_t)st.nulls);
	if (st.has) {
		cs_tw_bin(t, 5, st.max, st.max_len);
		cs_tw_bin(t, 6, st.min, st.min_len);
	}
	if (c->kind == CS_PQ_FLOAT || c->kind == CS_PQ_DOUBLE)
		cs_tw_i64(t, 9, (int64_t)st.nans);
	cs_tw_end(t);
	cs_tw_end(t);
	cs_tw_end(t);
	return t->oom ? cs_pq_nomem(w) : COLSTORE_OK;
}

/* ---- row groups, footer, driver ------------------------------------------ */

/* one non-empty batch as one row group; its RowGroup goes to w->rgs */
static int cs_pq_batch(cs_pq *w, const struct ArrowArray *arr)
{
	int64_t rows = arr->length;
	if (arr->offset != 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow stream: arrays with a nonzero offset are not supported");
	if (arr->n_children != w->ncol || !arr->children)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow stream: a batch of %lld columns, the schema has %lld",
		              (long long)arr->n_children, (long long)w->ncol);
	if (arr->null_count > 0)
		return cs_err(w->err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "arrow stream: null rows of the struct are not supported");
	if (rows > INT32_MAX)
		return cs_err(w->err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
		              "arrow stream: a batch of %lld rows exceeds the Parquet page limit "
		              "(2^31 - 1 values)", (long long)rows);
	if (++w->stamp == 0) { /* 2^32 batches: start the stamps over */
		for (int64_t i = 0; i < w->ncol; i++)
			if (w->cols[i].stamp)
				memset(w->cols[i].stamp, 0,
				       (size_t)w->cols[i].dict_cap * sizeof(uint32_t));
		w->stamp = 1;
	}
	uint64_t unc = 0, comp = 0, first = w->out->pos;
	cs_tw *t = &w->rg;
	cs_tw_push(t); /* RowGroup */
	cs_tw_list(t, 1, TC_STRUCT, (uint64_t)w->ncol);
	for (int64_t i = 0; i < w->ncol; i++) {
		int rc = cs_pq_chunk(w, &w->cols[i], arr->children[i], rows, &unc, &comp);
		if (rc)
			return rc;
	}
	cs_tw_i64(t, 2, (int64_t)unc);
	cs_tw_i64(t, 3, rows);
	cs_tw_i64(t, 5, (int64_t)first);
	cs_tw_i64(t, 6, (int64_t)comp);
	if (w->num_groups <= INT16_MAX) { /* ordinal is an i16 */
		cs_tw_field(t, 7, TC_I16);
		cs_tw_varint(t, cs_zigzag((int64_t)w->num_groups));
	}
	cs_tw_end(t);
	if (t->oom)
		return cs_pq_nomem(w);
	w->num_rows += (uint64_t)rows;
	w->num_groups++;
	return COLSTORE_OK;
}

/* SchemaElement.logicalType and converted_type of a leaf */
static void cs_pq_logical(cs_tw *t, int logical)
{
	static const int converted[] = { -1, PQ_CT_INT_8, PQ_CT_INT_16, PQ_CT_UTF8, PQ_CT_DATE, -1 };
	if (logical == CS_LT_NONE)
		return;
	if (converted[logical] >= 0)
		cs_tw_i32(t, 6, converted[logical]);
	cs_tw_struct(t, 10); /* LogicalType union */
	switch (logical) {
	case CS_LT_INT8:
	case CS_LT_INT16:
		cs_tw_struct(t, 10); /* IntType */
		cs_tw_field(t, 1, TC_BYTE);
		cs_tw_byte(t, logical == CS_LT_INT8 ? 8 : 16);
		cs_tw_bool(t, 2, 1);
		cs_tw_end(t);
		break;
	case CS_LT_STRING: cs_tw_empty(t, 1); break;
	case CS_LT_DATE: cs_tw_empty(t, 6); break;
	default:                 /* CS_LT_TS */
		cs_tw_struct(t, 8); /* TimestampType */
		cs_tw_bool(t, 1, 0); /* isAdjustedToUTC: no zone in the Arrow type */
		cs_tw_struct(t, 2); /* TimeUnit union */
		cs_tw_empty(t, 2);  /* MICROS */
		cs_tw_end(t);
		cs_tw_end(t);
		break;
	}
	cs_tw_end(t);
}

/* FileMetaData, its length, "PAR1" */
static int cs_pq_footer(cs_pq *w)
{
	cs_buf *b = &w->body; /* free for reuse now */
	cs_tw t;
	b->len = 0;
	cs_tw_init(&t, b);
	cs_tw_push(&t); /* FileMetaData */
	cs_tw_i32(&t, 1, 1);
	cs_tw_list(&t, 2, TC_STRUCT, (uint64_t)w->ncol + 1);
	cs_tw_push(&t); /* the root SchemaElement */
	cs_tw_bin(&t, 4, "schema", 6);
	cs_tw_i32(&t, 5, (int32_t)w->ncol);
	cs_tw_end(&t);
	for (int64_t i = 0; i < w->ncol; i++) {
		const cs_pq_col *c = &w->cols[i];
		cs_tw_push(&t);
		cs_tw_i32(&t, 1, c->ptype);
		cs_tw_i32(&t, 3, c->optional ? PQ_OPTIONAL : PQ_REQUIRED);
		cs_tw_bin(&t, 4, c->name, strlen(c->name));
		cs_pq_logical(&t, c->logical);
		cs_tw_end(&t);
	}
	cs_tw_i64(&t, 3, (int64_t)w->num_rows);
	cs_tw_list(&t, 4, TC_STRUCT, w->num_groups);
	cs_tw_raw(&t, w->rgs.p, w->rgs.len);
	char by[64];
	int n = snprintf(by, sizeof(by), "colstore version %s", colstore_version_string());
	cs_tw_bin(&t, 6, by, n > 0 && (size_t)n < sizeof(by) ? (size_t)n : strlen(by));
	cs_tw_list(&t, 7, TC_STRUCT, (uint64_t)w->ncol);
	for (int64_t i = 0; i < w->ncol; i++) {
		cs_tw_push(&t);   /* ColumnOrder union */
		cs_tw_empty(&t, 1); /* TYPE_ORDER */
		cs_tw_end(&t);
	}
	cs_tw_end(&t);
	if (t.oom)
		return cs_pq_nomem(w);
	if (b->len > INT32_MAX)
		return cs_err(w->err, COLSTORE_ELIMIT, COLSTORE_NO_OFFSET,
		              "the Parquet footer of %zu bytes exceeds 2 GiB", b->len);
	uint8_t tail[8];
	cs_st32(tail, (uint32_t)b->len);
	memcpy(tail + 4, "PAR1", 4);
	int rc = cs_out_write(w->out, b->p, b->len);
	return rc ? rc : cs_out_write(w->out, tail, sizeof(tail));
}

static void cs_pq_free(cs_pq *w)
{
	for (int64_t i = 0; w->cols && i < w->ncol; i++) {
		free(w->cols[i].stamp);
		free(w->cols[i].map);
		free(w->cols[i].used);
	}
	free(w->cols);
	free(w->body.p);
	free(w->dpage.p);
	free(w->z.p);
	free(w->hdr.p);
	free(w->rgs.p);
	if (w->schema.release)
		w->schema.release(&w->schema);
}

int cs_parquet_write(struct ArrowArrayStream *s, cs_out *out, cs_export_args *a,
                     colstore_error *err)
{
	cs_pq w;
	memset(&w, 0, sizeof(w));
	w.out = out;
	w.err = err;
	w.lz4 = a->compression == COLSTORE_EXPORT_LZ4;
	cs_tw_init(&w.rg, &w.rgs);
	int rc = s->get_schema(s, &w.schema);
	if (rc) {
		w.schema.release = NULL; /* not ours to release */
		return cs_stream_error(s, rc, "get_schema", err);
	}
	rc = cs_pq_schema(&w);
	if (!rc)
		rc = cs_out_write(out, "PAR1", 4);
	while (!rc) {
		struct ArrowArray arr;
		memset(&arr, 0, sizeof(arr));
		int e = s->get_next(s, &arr);
		if (e) {
			rc = cs_stream_error(s, e, "get_next", err);
			break;
		}
		if (!arr.release)
			break; /* end of stream */
		int64_t rows = arr.length;
		if (rows > 0)
			rc = cs_pq_batch(&w, &arr);
		arr.release(&arr);
		if (rc || rows <= 0)
			continue;
		a->rows += (uint64_t)rows;
		a->batches++;
		if (a->on_batch && a->on_batch(a->ctx, (uint64_t)rows) != 0)
			rc = cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "export cancelled");
	}
	if (!rc)
		rc = cs_pq_footer(&w);
	cs_pq_free(&w);
	return rc;
}
