/*
 * verify.c -- colstore_reader_verify(): every block's checksum and content,
 * and every byte not in a region zero (format-spec.md §11, §12 step 6).
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"


typedef struct cs_region {
	uint64_t start, end;
	uint32_t rg, col; /* for messages */
	int kind;         /* 0..2 chunk block, 3 dict offsets, 4 dict bytes, 5 header, 6 footer */
} cs_region;

static int cs_region_cmp(const void *a, const void *b)
{
	const cs_region *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static void cs_region_name(const colstore_reader *r, const cs_region *g, char *buf,
                           size_t n)
{
	if (g->kind <= 2)
		snprintf(buf, n, "row group %u column '%s' %s block", g->rg,
		         r->columns[g->col].name, cs_block_kind_name(g->kind));
	else if (g->kind <= 4)
		snprintf(buf, n, "column '%s' dictionary %s", r->columns[g->col].name,
		         g->kind == 3 ? "offsets" : "bytes");
	else
		snprintf(buf, n, "%s", g->kind == 5 ? "header" : "footer");
}

/* the least and greatest valid value of a chunk, gathered a slice at a
 * time (strings point into the dictionary or the chunk's bytes, which stay
 * put while the chunk is read) */
typedef struct cs_span {
	int has, nan;
	int64_t imn, imx;
	double dmn, dmx;
	const char *smn, *smx;
	uint32_t smnl, smxl;
} cs_span;

/* the least and greatest of the valid values of an integer-like array of T */
#define CS_SPAN_INTS(T)                                                              \
	do {                                                                         \
		const T *a_ = v->data;                                               \
		for (uint32_t i = 0; i < v->rows; i++) {                             \
			if (v->validity && !cs_bit_get(v->validity, i))              \
				continue;                                            \
			int64_t x = a_[i];                                           \
			if (!sp->has || x < sp->imn)                                 \
				sp->imn = x;                                         \
			if (!sp->has || x > sp->imx)                                 \
				sp->imx = x;                                         \
			sp->has = 1;                                                 \
		}                                                                    \
	} while (0)

/* a string into the span */
static void cs_span_str(cs_span *sp, const char *s, uint32_t l)
{
	if (!sp->has || cs_bytes_cmp(s, l, sp->smn, sp->smnl) < 0) {
		sp->smn = s;
		sp->smnl = l;
	}
	if (!sp->has || cs_bytes_cmp(s, l, sp->smx, sp->smxl) > 0) {
		sp->smx = s;
		sp->smxl = l;
	}
	sp->has = 1;
}

static void cs_span_add(colstore_reader *r, uint32_t c, const colstore_values *v, cs_span *sp)
{
	uint8_t t = r->columns[c].type;
	switch (t) {
	case COLSTORE_TYPE_INT8: CS_SPAN_INTS(int8_t); return;
	case COLSTORE_TYPE_INT16: CS_SPAN_INTS(int16_t); return;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: CS_SPAN_INTS(int32_t); return;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: CS_SPAN_INTS(int64_t); return;
	default: break;
	}
	for (uint32_t i = 0; i < v->rows; i++) {
		if (v->validity && !cs_bit_get(v->validity, i))
			continue;
		if (t == COLSTORE_TYPE_STRING) {
			const char *s;
			uint32_t l;
			if (v->encoding == COLSTORE_ENCODING_DICT) {
				/* codes were checked when the block was read */
				colstore_reader_dict_lookup(r, c, cs_code_at(v->data, v->code_width, i), &s, &l,
				                            NULL);
			} else {
				const uint32_t *o = v->data;
				s = v->bytes + o[i];
				l = o[i + 1] - o[i];
			}
			cs_span_str(sp, s, l);
		} else if (t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64) {
			double d = t == COLSTORE_TYPE_FLOAT32 ? (double)((const float *)v->data)[i]
			                                      : ((const double *)v->data)[i];
			if (d != d) {
				sp->nan = 1;
				continue;
			}
			if (!sp->has || d < sp->dmn)
				sp->dmn = d;
			if (!sp->has || d > sp->dmx)
				sp->dmx = d;
		} else { /* bool */
			int64_t x = cs_bit_get(v->data, i);
			if (!sp->has || x < sp->imn)
				sp->imn = x;
			if (!sp->has || x > sp->imx)
				sp->imx = x;
		}
		sp->has = 1;
	}
}

/* §5.6: the statistics of chunk (g, c) are true: HAS_MINMAX, min and max
 * exactly the least and greatest valid value (strings: when given), HAS_NAN
 * exactly when a valid float is NaN.  The values are read a slice at a
 * time, so that a packed block is never expanded whole. */
static int cs_check_stats(colstore_reader *r, uint32_t g, uint32_t c, colstore_buffers *vb,
                          colstore_error *err)
{
	const cs_chunk *ch = cs_chunk_at(r, g, c);
	uint8_t t = r->columns[c].type;
	cs_span sp;
	memset(&sp, 0, sizeof(sp));
	/* a DICT chunk: the codes it uses, then each used entry compared once
	 * (a 16-value column compares 16 strings, not one a row) */
	uint32_t dn = r->columns[c].dict_count;
	uint64_t *used = NULL;
	if (t == COLSTORE_TYPE_STRING && ch->encoding == COLSTORE_ENCODING_DICT && dn &&
	    (ch->stats_flags & CS_STATS_MINMAX) &&
	    !(used = calloc(((size_t)dn + 63) / 64, sizeof(uint64_t))))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t s0 = 0; s0 < ch->row_count; s0 += CS_BATCH_ROWS) {
		uint32_t n = ch->row_count - s0 < CS_BATCH_ROWS ? ch->row_count - s0 : CS_BATCH_ROWS;
		colstore_values v;
		int rc = cs_values_range(r, g, c, vb, s0, n, &v, NULL, err);
		if (rc) {
			free(used);
			return rc;
		}
		if (!used) {
			cs_span_add(r, c, &v, &sp);
			continue;
		}
		for (uint32_t i = 0; i < n; i++) /* codes were checked < dn when read */
			if (!v.validity || cs_bit_get(v.validity, i)) {
				uint32_t code = cs_code_at(v.data, v.code_width, i);
				used[code / 64] |= 1ull << (code % 64);
			}
	}
	for (size_t wdx = 0; used && wdx < ((size_t)dn + 63) / 64; wdx++)
		for (uint64_t bits = used[wdx]; bits; bits &= bits - 1) {
			uint32_t code = (uint32_t)(wdx * 64 + (size_t)__builtin_ctzll(bits));
			const char *s;
			uint32_t l;
			colstore_reader_dict_lookup(r, c, code, &s, &l, NULL);
			cs_span_str(&sp, s, l);
		}
	free(used);
	uint64_t at = cs_chunk_desc_offset(r, g, c);
	char where[160];
	snprintf(where, sizeof(where), "row group %u column '%s': statistics", g, r->columns[c].name);
	if (t == COLSTORE_TYPE_STRING) {
		if (!(ch->stats_flags & CS_STATS_MINMAX))
			return COLSTORE_OK; /* strings MAY go without (R5.6.1) */
		const char *h = (const char *)r->heap;
		if (!sp.has ||
		    cs_bytes_cmp(h + (ch->min & 0xffffffffu), (uint32_t)(ch->min >> 32), sp.smn, sp.smnl) ||
		    cs_bytes_cmp(h + (ch->max & 0xffffffffu), (uint32_t)(ch->max >> 32), sp.smx, sp.smxl))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: min and max are not the least and greatest string of the "
			              "chunk (§5.6)", where);
		return COLSTORE_OK;
	}
	if (t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64) {
		double smn, smx;
		memcpy(&smn, &ch->min, 8);
		memcpy(&smx, &ch->max, 8);
		if (sp.nan != !!(ch->stats_flags & CS_STATS_NAN))
			return cs_err(err, COLSTORE_ECORRUPT, at, "%s: the NaN flag is %s, but %s value is NaN (§5.6)",
			              where, sp.nan ? "clear" : "set", sp.nan ? "a" : "no");
		if (sp.has != !!(ch->stats_flags & CS_STATS_MINMAX) ||
		    (sp.has && (smn != sp.dmn || smx != sp.dmx)))
			return cs_err(err, COLSTORE_ECORRUPT, at,
			              "%s: min and max say [%.17g, %.17g], the values span [%.17g, %.17g] (§5.6)",
			              where, smn, smx, sp.dmn, sp.dmx);
		return COLSTORE_OK;
	}
	if (sp.has != !!(ch->stats_flags & CS_STATS_MINMAX) ||
	    (sp.has && ((int64_t)ch->min != sp.imn || (int64_t)ch->max != sp.imx)))
		return cs_err(err, COLSTORE_ECORRUPT, at,
		              "%s: min and max say [%lld, %lld], the values span [%lld, %lld] (§5.6)",
		              where, (long long)(int64_t)ch->min, (long long)(int64_t)ch->max,
		              (long long)sp.imn, (long long)sp.imx);
	return COLSTORE_OK;
}

int colstore_reader_verify(colstore_reader *r, colstore_error *err)
{
	if (!r)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader is NULL");
	size_t nchunks = (size_t)r->num_row_groups * r->num_columns;
	size_t cap = nchunks * 3 + (size_t)r->num_columns * 2 + 2, nreg = 0;
	cs_region *reg = malloc(cap * sizeof(*reg));
	if (!reg)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int rc = COLSTORE_OK;
	reg[nreg++] = (cs_region){ 0, CS_HEADER_SIZE, 0, 0, 5 };
	reg[nreg++] = (cs_region){ r->trailer.footer_offset, r->end, 0, 0, 6 };
	for (uint32_t c = 0; c < r->num_columns; c++) {
		const cs_column *col = &r->columns[c];
		if (!col->dict_count)
			continue;
		if ((rc = cs_dict_ready(r, c, err)))
			break;
		reg[nreg++] = (cs_region){ col->dict_offsets.offset,
			                   col->dict_offsets.offset + col->dict_offsets.stored_size,
			                   0, c, 3 };
		if (col->dict_bytes.stored_size)
			reg[nreg++] = (cs_region){ col->dict_bytes.offset,
				                   col->dict_bytes.offset + col->dict_bytes.stored_size,
				                   0, c, 4 };
	}
	/* stream through the file: read-ahead, and drop each row group's pages
	 * once checked, so that verifying a file larger than memory keeps a
	 * small resident set */
	if (r->mapped)
		cs_map_advise_sequential(r->data, r->size);
	colstore_buffers *vb = colstore_buffers_create();
	if (!vb)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t g = 0; g < r->num_row_groups && !rc; g++) {
		for (uint32_t c = 0; c < r->num_columns && !rc; c++)
			for (int k = 0; k < 3 && !rc; k++) {
				const cs_block_desc *b = &cs_chunk_at(r, g, c)->blocks[k];
				if (!b->present)
					continue;
				/* every checksum first; the blocks are decoded and their
				 * content checked once, by the statistics pass below (a
				 * packed block a slice at a time, never expanded whole) */
				const uint8_t *bytes;
				int checked;
				rc = cs_block_bytes(r, g, c, k, 1, NULL, 0, &bytes, &checked, err);
				if (b->stored_size) /* R4.3: an empty block overlaps nothing */
					reg[nreg++] = (cs_region){ b->offset, b->offset + b->stored_size, g, c,
						                   k };
			}
		/* each block's content rules, then the statistics over its values */
		for (uint32_t c = 0; c < r->num_columns && !rc; c++)
			rc = cs_check_stats(r, g, c, vb, err);
		uint64_t lo, hi;
		cs_row_group_span(r, g, &lo, &hi);
		if (r->mapped && lo < hi)
			cs_map_release(r->data, lo, hi);
	}
	colstore_buffers_free(vb);
	if (rc) {
		free(reg);
		return rc;
	}
	/* R4.2, R4.3: no overlaps, zero padding between regions */
	qsort(reg, nreg, sizeof(*reg), cs_region_cmp);
	uint64_t pos = 0;
	char name[128], prev[128] = "start of file";
	for (size_t i = 0; i < nreg && !rc; i++) {
		cs_region_name(r, &reg[i], name, sizeof(name));
		if (reg[i].start < pos) {
			rc = cs_err(err, COLSTORE_ECORRUPT, reg[i].start,
			            "%s [%llu, %llu) overlaps %s (R4.3)", name,
			            (unsigned long long)reg[i].start, (unsigned long long)reg[i].end,
			            prev);
			break;
		}
		/* (R14.4: an appended file keeps its earlier versions' dictionaries
		 * and footers between its regions) */
		for (uint64_t p = pos; !r->header.appends && p < reg[i].start; p++)
			if (r->data[p]) {
				rc = cs_err(err, COLSTORE_ECORRUPT, p,
				            "padding byte at offset %llu (between %s and %s) is not "
				            "zero (R4.2)",
				            (unsigned long long)p, prev, name);
				break;
			}
		if (reg[i].end > pos)
			pos = reg[i].end;
		memcpy(prev, name, sizeof(prev));
	}
	free(reg);
	return rc;
}
