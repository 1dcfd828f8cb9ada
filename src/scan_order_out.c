/*
 * scan_order_out.c -- an ordered scan's set-up (colstore_scan_set_order:
 * the order's items, and the columns they read) and the delivery of its
 * rows: batches decoded from the sorted entries, in memory or merged from
 * the runs written out (scan_order.c collects them).
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_order.h"

/* ---- delivering ------------------------------------------------------------------ */

static int cs_order_batch(colstore_scan *s, colstore_buffers *b, colstore_batch *out,
                          colstore_error *err)
{
	cs_order *o = s->ord;
	memset(out, 0, sizeof(*out));
	if (!o->collected) {
		int rc = cs_order_collect(s, err);
		if (rc)
			return rc;
	}
	if (!o->batch && !(o->batch = malloc(CS_BATCH_ROWS * sizeof(*o->batch))))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!o->vals && !(o->vals = calloc(s->nvisible ? s->nvisible : 1, sizeof(*o->vals))))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (o->merging && !o->boffs && !(o->boffs = malloc(CS_BATCH_ROWS * sizeof(uint64_t))))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t n = 0;
	size_t used = 0;
	for (; n < CS_BATCH_ROWS; n++) {
		const uint8_t *p;
		uint64_t off = 0;
		int rc = cs_order_take(o, &p, &off, &used, err);
		if (rc)
			return rc;
		if (!p)
			break;
		o->batch[n] = p;
		if (o->merging)
			o->boffs[n] = off;
	}
	for (uint32_t r = 0; o->merging && r < n; r++) /* the arena has stopped moving */
		o->batch[r] = o->barena + o->boffs[r];
	if (!n)
		return COLSTORE_OK;
	/* each item's arrays: validity, then values or offsets, then bytes */
	const size_t vbytes = (cs_bitmap_bytes(n) + 7) & ~(size_t)7;
	size_t total = 0;
	size_t *sbytes = calloc(s->nvisible ? s->nvisible : 1, sizeof(size_t));
	if (!sbytes)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint32_t r = 0; r < n; r++) { /* the strings' bytes */
		const uint8_t *p = o->batch[r];
		const uint8_t *q = p + 8 + cs_u32(p + 4);
		for (uint32_t k = 0; k < s->nvisible; k++) {
			const uint8_t t = s->itypes[k];
			if (*q++)
				continue;
			if (t == COLSTORE_TYPE_STRING) {
				uint32_t l = cs_u32(q);
				sbytes[k] += l;
				q += 4 + l;
			} else {
				q += cs_width(t);
			}
		}
	}
	for (uint32_t k = 0; k < s->nvisible; k++) {
		const uint8_t t = s->itypes[k];
		size_t d = t == COLSTORE_TYPE_STRING ? ((size_t)n + 1) * 4 + sbytes[k]
		           : t == COLSTORE_TYPE_BOOL ? cs_bitmap_bytes(n) : (size_t)n * cs_width(t);
		total += vbytes + ((d + 7) & ~(size_t)7);
	}
	uint8_t *mem = cs_buffers_scratch(b, total + 8);
	if (!mem) {
		free(sbytes);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	memset(mem, 0, total + 8);
	size_t at = 0;
	uint8_t **data = malloc((s->nvisible ? s->nvisible : 1) * sizeof(*data));
	char **bytes = malloc((s->nvisible ? s->nvisible : 1) * sizeof(*bytes));
	if (!data || !bytes) {
		free(sbytes);
		free(data);
		free(bytes);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t k = 0; k < s->nvisible; k++) {
		const uint8_t t = s->itypes[k];
		colstore_values *v = &o->vals[k];
		memset(v, 0, sizeof(*v));
		v->type = (colstore_type)t;
		v->rows = n;
		v->encoding = COLSTORE_ENCODING_PLAIN;
		v->validity = mem + at;
		at += vbytes;
		data[k] = mem + at;
		v->data = data[k];
		size_t d = t == COLSTORE_TYPE_STRING ? ((size_t)n + 1) * 4 + sbytes[k]
		           : t == COLSTORE_TYPE_BOOL ? cs_bitmap_bytes(n) : (size_t)n * cs_width(t);
		if (t == COLSTORE_TYPE_STRING) {
			bytes[k] = (char *)data[k] + ((size_t)n + 1) * 4;
			v->bytes = bytes[k];
		}
		at += (d + 7) & ~(size_t)7;
		sbytes[k] = 0; /* now: string bytes written */
	}
	for (uint32_t r = 0; r < n; r++) {
		const uint8_t *p = o->batch[r];
		const uint8_t *q = p + 8 + cs_u32(p + 4);
		for (uint32_t k = 0; k < s->nvisible; k++) {
			const uint8_t t = s->itypes[k];
			uint8_t *vb = (uint8_t *)(uintptr_t)o->vals[k].validity;
			const int null = *q++;
			if (!null)
				vb[r >> 3] |= (uint8_t)(1u << (r & 7));
			if (t == COLSTORE_TYPE_STRING) {
				uint32_t *off = (uint32_t *)(void *)data[k];
				off[r] = (uint32_t)sbytes[k];
				if (!null) {
					uint32_t l = cs_u32(q);
					memcpy(bytes[k] + sbytes[k], q + 4, l);
					sbytes[k] += l;
					q += 4 + l;
				}
				off[r + 1] = (uint32_t)sbytes[k];
			} else if (t == COLSTORE_TYPE_BOOL) {
				if (!null && *q)
					data[k][r >> 3] |= (uint8_t)(1u << (r & 7));
				q += null ? 0 : 1;
			} else if (!null) {
				size_t w = cs_width(t);
				memcpy(data[k] + (size_t)r * w, q, w);
				q += w;
			}
		}
	}
	/* a column with no null row has no validity */
	for (uint32_t k = 0; k < s->nvisible; k++) {
		const uint8_t *vb = o->vals[k].validity;
		int all = 1;
		for (uint32_t r = 0; r < n && all; r++)
			all = cs_bit_get(vb, r);
		if (all)
			o->vals[k].validity = NULL;
	}
	free(sbytes);
	free(data);
	free(bytes);
	out->rows = out->selected = n;
	out->values = o->vals;
	out->ncols = s->nvisible;
	out->first_row = o->delivered - n; /* the rank of its first row */
	return COLSTORE_OK;
}

int cs_order_next(colstore_scan *s, colstore_buffers *b, colstore_batch *out, colstore_error *err)
{
	return cs_order_batch(s, b, out, err);
}

int cs_order_run(colstore_scan *s, colstore_scan_fn on_batch, colstore_scan_fn in_order, void *ctx,
                 colstore_error *err)
{
	colstore_buffers *b = colstore_buffers_create();
	if (!b)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int rc;
	colstore_batch bt;
	while (!(rc = cs_order_batch(s, b, &bt, err)) && bt.rows) {
		if (on_batch && (rc = on_batch(ctx, &bt, err)))
			break;
		if (in_order && (rc = in_order(ctx, &bt, err)))
			break;
	}
	colstore_buffers_free(b);
	return rc;
}

void cs_order_rewind(colstore_scan *s)
{
	cs_order *o = s->ord;
	if (!o->collected)
		return;
	o->pos = 0;
	o->delivered = 0;
	if (o->merging) /* the runs from their starts (an error there shows at the next read) */
		cs_order_start_merge(o, NULL);
}

void cs_order_free(colstore_scan *s)
{
	cs_order *o = s->ord;
	if (!o)
		return;
	free(o->kitem);
	free(o->desc);
	for (uint32_t k = 0; o->w && k < o->nw; k++) {
		cs_ents_free(&o->w[k].e);
		free(o->w[k].tmp);
		free(o->w[k].thr);
		free(o->w[k].cand);
	}
	free(o->w);
	if (o->sp_open)
		cs_spill_close(&o->sp);
	free(o->runs);
	cs_ents_free(&o->mem);
	for (size_t k = 0; o->rr && k < o->nruns; k++)
		free(o->rr[k].buf);
	free(o->rr);
	free(o->barena);
	free(o->boffs);
	free(o->heap);
	free(o->vals);
	free(o->batch);
	pthread_mutex_destroy(&o->mu);
	free(o);
	s->ord = NULL;
}

/* ---- the order ----------------------------------------------------------------------- */

/* a plain scan's columns as items, so that an order can add its own */
static int cs_as_list(colstore_scan *s)
{
	if (s->nitems)
		return 0;
	colstore_reader *r = s->r;
	s->isrc = malloc((s->ncols + 1) * sizeof(*s->isrc));
	s->inames = calloc(s->ncols + 1, sizeof(*s->inames));
	s->itypes = malloc(s->ncols + 1);
	s->colpos = malloc(((size_t)r->num_columns + 1) * sizeof(*s->colpos));
	if (!s->isrc || !s->inames || !s->itypes || !s->colpos)
		return -1;
	for (uint32_t k = 0; k < s->ncols; k++) {
		s->isrc[k] = k;
		s->itypes[k] = r->columns[s->cols[k]].type;
		if (!(s->inames[k] = strdup(r->columns[s->cols[k]].name)))
			return -1;
		s->colpos[s->cols[k]] = k;
	}
	s->nitems = s->nvisible = s->ncols;
	return 0;
}

/* column c decoded by the scan (its place in s->cols) */
static int cs_need_col(colstore_scan *s, uint32_t c, uint32_t *pos)
{
	for (uint32_t k = 0; k < s->ncols; k++)
		if (s->cols[k] == c) {
			*pos = k;
			return 0;
		}
	uint32_t *nc = realloc(s->cols, (s->ncols + 1) * sizeof(*nc));
	if (!nc)
		return -1;
	s->cols = nc;
	s->cols[s->ncols] = c;
	s->colpos[c] = s->ncols;
	*pos = s->ncols++;
	return 0;
}

/* a hidden item: a value to order by that is not delivered */
static int cs_add_item(colstore_scan *s, uint32_t col, cs_calc *c, const char *name, uint32_t *item)
{
	uint32_t n = s->nitems;
	int64_t *isrc = realloc(s->isrc, (n + 1) * sizeof(*isrc));
	if (isrc)
		s->isrc = isrc;
	char **names = realloc(s->inames, (n + 1) * sizeof(*names));
	if (names)
		s->inames = names;
	uint8_t *types = realloc(s->itypes, n + 1);
	if (types)
		s->itypes = types;
	if (!isrc || !names || !types)
		return -1;
	if (c) {
		cs_calc **xs = realloc(s->xs, (s->nx + 1) * sizeof(*xs));
		if (!xs)
			return -1;
		s->xs = xs;
		uint8_t *mark = calloc((size_t)s->r->num_columns + 1, 1);
		if (!mark)
			return -1;
		cs_calc_columns(c, mark);
		uint32_t pos;
		for (uint32_t k = 0; k < s->r->num_columns; k++)
			if (mark[k] && cs_need_col(s, k, &pos)) {
				free(mark);
				return -1;
			}
		free(mark);
		s->xs[s->nx] = c;
		s->isrc[n] = -1 - (int64_t)s->nx++;
		s->itypes[n] = cs_calc_type(c);
	} else {
		uint32_t pos;
		if (cs_need_col(s, col, &pos))
			return -1;
		s->isrc[n] = pos;
		s->itypes[n] = s->r->columns[col].type;
	}
	if (!(s->inames[n] = strdup(name)))
		return -1;
	s->nitems = n + 1;
	*item = n;
	return 0;
}

int colstore_scan_set_order(colstore_scan *s, const char *order_by, uint64_t limit,
                            uint64_t memory_limit, colstore_error *err)
{
	if (!s || !order_by)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "scan: no scan or no order");
	if (s->ord || s->cw.sel)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "set a scan's order once, before it starts");
	if (cs_as_list(s))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_order *o = calloc(1, sizeof(*o));
	size_t len = strlen(order_by);
	char *copy = strdup(order_by), *rest = copy, *name = malloc(len + 1);
	if (!o || !copy || !name) {
		free(o);
		free(copy);
		free(name);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	pthread_mutex_init(&o->mu, NULL);
	o->kitem = malloc((len / 2 + 2) * sizeof(*o->kitem));
	o->desc = malloc(len / 2 + 2);
	o->limit = limit;
	o->budget = memory_limit ? memory_limit : cs_memory_available() / 2;
	s->ord = o;
	int rc = o->kitem && o->desc ? COLSTORE_OK
	                             : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (char *it; !rc && (it = cs_list_cut(&rest));) {
		size_t n;
		int desc;
		if (cs_order_item(&it, name, len + 1, &n, &desc, err) < 0) {
			rc = COLSTORE_EPARSE;
			break;
		}
		if (!n) {
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "--order-by: an empty item in '%s'",
			            order_by);
			break;
		}
		uint32_t item = UINT32_MAX;
		for (uint32_t k = 0; k < s->nvisible && item == UINT32_MAX; k++)
			if (cs_name_is(s->inames[k], it, n))
				item = k;
		if (item == UINT32_MAX) { /* a column or a value of the file */
			uint32_t col;
			cs_calc *c;
			if ((rc = cs_item_parse(s->r, it, "--order-by: ", &col, &c, err)))
				break;
			if (cs_add_item(s, col, c, it, &item)) {
				cs_calc_free(c);
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
				break;
			}
		}
		o->kitem[o->nkeys] = item;
		o->desc[o->nkeys++] = (uint8_t)desc;
	}
	free(copy);
	free(name);
	if (rc)
		cs_order_free(s);
	return rc;
}
