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

int colstore_reader_verify(colstore_reader *r, colstore_error *err)
{
	if (!r)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader is NULL");
	size_t nchunks = (size_t)r->num_row_groups * r->num_columns;
	size_t cap = nchunks * 3 + (size_t)r->num_columns * 2 + 2, nreg = 0;
	cs_region *reg = malloc(cap * sizeof(*reg));
	if (!reg)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	/* one reusable buffer for compressed blocks, sized to the largest */
	uint64_t bufsize = 0;
	for (size_t i = 0; i < nchunks; i++)
		for (int k = 0; k < 3; k++)
			if (r->chunks[i].blocks[k].compression &&
			    r->chunks[i].blocks[k].raw_size > bufsize)
				bufsize = r->chunks[i].blocks[k].raw_size;
	void *buf = bufsize ? malloc(bufsize) : NULL;
	int rc = COLSTORE_OK;
	if (bufsize && !buf) {
		free(reg);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	reg[nreg++] = (cs_region){ 0, CS_HEADER_SIZE, 0, 0, 5 };
	reg[nreg++] = (cs_region){ r->trailer.footer_offset, r->size, 0, 0, 6 };
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
	for (uint32_t g = 0; g < r->num_row_groups && !rc; g++) {
		for (uint32_t c = 0; c < r->num_columns && !rc; c++)
			for (int k = 0; k < 3 && !rc; k++) {
				const cs_block_desc *b = &cs_chunk_at(r, g, c)->blocks[k];
				if (!b->present)
					continue;
				colstore_block out;
				rc = cs_block_check(r, g, c, k, 1, buf, (size_t)bufsize, &out, NULL, NULL, err);
				if (b->stored_size) /* R4.3: an empty block overlaps nothing */
					reg[nreg++] = (cs_region){ b->offset, b->offset + b->stored_size, g, c,
						                   k };
			}
		uint64_t lo, hi;
		cs_row_group_span(r, g, &lo, &hi);
		if (r->mapped && lo < hi)
			cs_map_release(r->data, lo, hi);
	}
	free(buf);
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
		for (uint64_t p = pos; p < reg[i].start; p++)
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
