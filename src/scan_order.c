/*
 * scan_order.c -- ordered scans (colstore_scan_set_order): the matching
 * rows delivered sorted by a list of values, with a limit or without.
 * With a limit of at most 65,536 rows the scan first reads the order's
 * columns alone and keeps the rows that come first, then reads those rows'
 * other values (a 64-row range around each).
 *
 * The scan runs on its workers as any scan does; each matching row becomes
 * an entry: a key that sorts as the order does under memcmp (per item a
 * null flag, nulls last either way, then the value in an order-preserving
 * byte form, inverted for desc; then the row's number, so that equal keys
 * keep file order and the result does not depend on the threads), and the
 * delivered items' values.  With a limit a worker keeps its best `limit`
 * entries (sorting and cutting each time it holds twice as many).
 * Without one, a worker whose entries outgrow its share of the memory
 * limit sorts them and writes them out as a run to an unlinked temporary
 * file; at the end the runs are merged as they are delivered (or, when
 * nothing was written out, the entries are sorted in memory).  Delivered
 * batches hold the rows decoded from the entries (strings PLAIN).
 */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_order.h"

static int cs_ent_cmp(const uint8_t *a, const uint8_t *b)
{
	uint32_t ka = cs_u32(a + 4), kb = cs_u32(b + 4);
	int c = memcmp(a + 8, b + 8, ka < kb ? ka : kb);
	return c ? c : (ka > kb) - (ka < kb);
}

static int cs_off_cmp(const void *x, const void *y, void *ctx)
{
	const uint8_t *arena = ctx;
	return cs_ent_cmp(arena + *(const uint64_t *)x, arena + *(const uint64_t *)y);
}

static void cs_ents_sort(cs_ents *e)
{
	if (e->n > 1) /* (none: offs may be NULL, which qsort_r must not see) */
		qsort_r(e->offs, e->n, sizeof(uint64_t), cs_off_cmp, e->arena);
}

/* the first keep entries of e (sorted), packed at the start of its arena */
static int cs_ents_cut(cs_ents *e, uint64_t keep)
{
	cs_ents_sort(e);
	if (keep >= e->n)
		return 0;
	uint8_t *na = malloc(e->cap);
	if (!na)
		return -1;
	size_t len = 0;
	for (size_t k = 0; k < keep; k++) {
		const uint8_t *p = e->arena + e->offs[k];
		uint32_t sz = cs_u32(p);
		memcpy(na + len, p, sz);
		e->offs[k] = len;
		len += sz;
	}
	free(e->arena);
	e->arena = na;
	e->len = len;
	e->n = keep;
	return 0;
}

static int cs_ents_add(cs_ents *e, const uint8_t *ent, uint32_t sz)
{
	if (cs_grow_bytes((void **)&e->arena, &e->cap, e->len + sz) ||
	    cs_grow_bytes((void **)&e->offs, &e->ncap, (e->n + 1) * sizeof(uint64_t)))
		return -1;
	memcpy(e->arena + e->len, ent, sz);
	e->offs[e->n++] = e->len;
	e->len += sz;
	return 0;
}

/* ---- entries ---------------------------------------------------------------------- */

/* row i of v's string */
static void cs_vstr(const colstore_scan *s, uint32_t item, const colstore_values *v, uint32_t i,
                    const char **p, uint32_t *len)
{
	if (v->encoding == COLSTORE_ENCODING_DICT) { /* a column's: expressions are PLAIN */
		int64_t col = s->isrc[item] >= 0 ? (int64_t)s->cols[s->isrc[item]] : -1;
		if (col < 0 || colstore_reader_dict_lookup(s->r, (uint32_t)col, cs_code_at(v->data, v->code_width, i), p,
		                                           len, NULL)) {
			*p = "";
			*len = 0;
		}
		return;
	}
	const uint32_t *o = v->data;
	*p = v->bytes + o[i];
	*len = o[i + 1] - o[i];
}

static int cs_put(uint8_t **buf, size_t *cap, size_t *len, const void *p, size_t n)
{
	if (cs_grow_bytes((void **)buf, cap, *len + n + 8))
		return -1;
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

/* a number's key bytes as one big-endian u64 (before desc inverts it) */
static uint64_t cs_num_u(const colstore_values *v, uint32_t i)
{
	uint64_t u;
	if (v->type == COLSTORE_TYPE_FLOAT32 || v->type == COLSTORE_TYPE_FLOAT64) {
		double d = v->type == COLSTORE_TYPE_FLOAT32 ? (double)((const float *)v->data)[i]
		                                            : ((const double *)v->data)[i];
		if (d == 0)
			d = 0; /* -0 as 0 */
		if (isnan(d))
			d = NAN; /* above every number */
		memcpy(&u, &d, 8);
		return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
	}
	int64_t x;
	switch (v->type) {
	case COLSTORE_TYPE_INT8: x = ((const int8_t *)v->data)[i]; break;
	case COLSTORE_TYPE_INT16: x = ((const int16_t *)v->data)[i]; break;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: x = ((const int32_t *)v->data)[i]; break;
	case COLSTORE_TYPE_BOOL: x = cs_bit_get(v->data, i); break;
	default: x = ((const int64_t *)v->data)[i]; break;
	}
	return (uint64_t)x ^ (UINT64_C(1) << 63);
}

/* row i of item k's value, in key form: a null flag (nulls last), then
 * bytes that compare as the values do, inverted when desc */
static int cs_key_put(const colstore_scan *s, uint32_t item, int desc, const colstore_values *v,
                      uint32_t i, uint8_t **buf, size_t *cap, size_t *len)
{
	const int null = v->validity && !cs_bit_get(v->validity, i);
	uint8_t flag = (uint8_t)null;
	if (cs_put(buf, cap, len, &flag, 1))
		return -1;
	if (null)
		return 0;
	const size_t from = *len;
	uint8_t b[8];
	if (v->type == COLSTORE_TYPE_STRING) {
		const char *p;
		uint32_t n;
		cs_vstr(s, item, v, i, &p, &n);
		/* 0 as 0 1, the end as 0 0: a proper prefix first */
		for (uint32_t j = 0; j < n; j++) {
			uint8_t c[2] = { (uint8_t)p[j], 1 };
			if (cs_put(buf, cap, len, c, p[j] ? 1 : 2))
				return -1;
		}
		uint8_t end[2] = { 0, 0 };
		if (cs_put(buf, cap, len, end, 2))
			return -1;
	} else {
		uint64_t u = cs_num_u(v, i);
		for (int j = 0; j < 8; j++)
			b[j] = (uint8_t)(u >> (56 - 8 * j));
		if (cs_put(buf, cap, len, b, 8))
			return -1;
	}
	if (desc)
		for (size_t j = from; j < *len; j++)
			(*buf)[j] = (uint8_t)~(*buf)[j];
	return 0;
}

/* row i of item k's value as delivered: a null flag, then the value in its
 * type's width, or a string's length and bytes */
static int cs_row_put(const colstore_scan *s, uint32_t item, const colstore_values *v, uint32_t i,
                      uint8_t **buf, size_t *cap, size_t *len)
{
	const int null = v->validity && !cs_bit_get(v->validity, i);
	uint8_t flag = (uint8_t)null;
	if (cs_put(buf, cap, len, &flag, 1))
		return -1;
	if (null)
		return 0;
	if (v->type == COLSTORE_TYPE_STRING) {
		const char *p;
		uint32_t n;
		cs_vstr(s, item, v, i, &p, &n);
		return cs_put(buf, cap, len, &n, 4) || cs_put(buf, cap, len, p, n) ? -1 : 0;
	}
	if (v->type == COLSTORE_TYPE_BOOL) {
		uint8_t x = (uint8_t)cs_bit_get(v->data, i);
		return cs_put(buf, cap, len, &x, 1);
	}
	size_t w = cs_width(v->type);
	return cs_put(buf, cap, len, (const uint8_t *)v->data + (size_t)i * w, w);
}

/* ---- collecting -------------------------------------------------------------------- */

/* a worker's entries written out, sorted, as a run; then it starts afresh */
static int cs_flush_run(cs_order *o, cs_ordw *w)
{
	if (!w->e.n)
		return COLSTORE_OK;
	cs_ents_sort(&w->e);
	pthread_mutex_lock(&o->mu);
	int rc = COLSTORE_OK;
	if (!o->sp_open && !(rc = cs_spill_open(&o->sp, &w->err)))
		o->sp_open = 1;
	if (!rc && cs_grow_bytes((void **)&o->runs, &o->runs_cap, (o->nruns + 1) * sizeof(*o->runs)))
		rc = cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!rc) {
		uint64_t at = cs_spill_pos(&o->sp);
		for (size_t k = 0; k < w->e.n && !rc; k++) {
			const uint8_t *p = w->e.arena + w->e.offs[k];
			rc = cs_spill_put(&o->sp, p, cs_u32(p), &w->err);
		}
		o->runs[o->nruns][0] = at;
		o->runs[o->nruns++][1] = cs_spill_pos(&o->sp);
	}
	pthread_mutex_unlock(&o->mu);
	w->e.len = 0;
	w->e.n = 0;
	return rc;
}

static int cs_collect(void *ctx, const colstore_batch *b, colstore_error *err)
{
	colstore_scan *s = ctx;
	cs_order *o = s->ord;
	cs_ordw *w = &o->w[b->worker];
	const colstore_values *v0 = &b->values[o->kitem[0]];
	const int num0 = v0->type != COLSTORE_TYPE_STRING;
	const uint32_t *rows = b->sel;
	uint32_t nrows = b->selected;
	if (w->thrlen >= 9 && num0 && !w->thr[0] &&
	    (v0->type == COLSTORE_TYPE_FLOAT64 || v0->type == COLSTORE_TYPE_INT64 ||
	     v0->type == COLSTORE_TYPE_INT32 || v0->type == COLSTORE_TYPE_TIMESTAMP)) {
		/* the rows whose first item is not past the worst kept, in one
		 * tight loop (a null comes after every value: out) */
		if (!w->cand && !(w->cand = malloc(CS_BATCH_ROWS * sizeof(uint32_t))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		uint64_t t = 0;
		for (int q = 1; q <= 8; q++)
			t = t << 8 | w->thr[q];
		const uint64_t flip = o->desc[0] ? ~(uint64_t)0 : 0, top = UINT64_C(1) << 63;
		const uint8_t *vb = v0->validity;
		uint32_t nc = 0;
#define CS_CAND(EXPR)                                                                     \
	do {                                                                              \
		for (uint32_t j = 0; j < b->selected; j++) {                              \
			const uint32_t i = b->sel ? b->sel[j] : j;                        \
			uint64_t u = (EXPR) ^ flip;                                       \
			w->cand[nc] = i;                                                  \
			nc += (u <= t) & (!vb || cs_bit_get(vb, i));                      \
		}                                                                         \
	} while (0)
		if (v0->type == COLSTORE_TYPE_FLOAT64) {
			const double *x = v0->data;
			CS_CAND(({
				double d_ = x[i];
				uint64_t b_;
				d_ = d_ == 0 ? 0 : d_;
				d_ = d_ != d_ ? NAN : d_;
				memcpy(&b_, &d_, 8);
				b_ >> 63 ? ~b_ : b_ | top;
			}));
		} else if (v0->type == COLSTORE_TYPE_INT32) {
			const int32_t *x = v0->data;
			CS_CAND((uint64_t)(int64_t)x[i] ^ top);
		} else {
			const int64_t *x = v0->data;
			CS_CAND((uint64_t)x[i] ^ top);
		}
#undef CS_CAND
		rows = w->cand;
		nrows = nc;
	}
	for (uint32_t j = 0; j < nrows; j++) {
		const uint32_t i = rows ? rows[j] : j;
		if (w->thrlen >= 9 && num0) { /* the first item alone may rule the row out */
			const uint8_t flag = (uint8_t)(v0->validity && !cs_bit_get(v0->validity, i));
			if (flag > w->thr[0])
				continue;
			if (!flag && !w->thr[0]) {
				uint64_t u = cs_num_u(v0, i), t = 0;
				if (o->desc[0])
					u = ~u;
				for (int q = 1; q <= 8; q++)
					t = t << 8 | w->thr[q];
				if (u > t)
					continue;
			}
		}
		size_t len = 8;
		int bad = cs_grow_bytes((void **)&w->tmp, &w->tmpcap, 64);
		for (uint32_t k = 0; k < o->nkeys && !bad; k++)
			bad = cs_key_put(s, o->kitem[k], o->desc[k], &b->values[o->kitem[k]], i, &w->tmp,
			                 &w->tmpcap, &len);
		uint64_t row = b->first_row + i; /* equal keys: file order */
		uint8_t rb[8];
		for (int q = 0; q < 8; q++)
			rb[q] = (uint8_t)(row >> (56 - 8 * q));
		bad = bad || cs_put(&w->tmp, &w->tmpcap, &len, rb, 8);
		uint32_t klen = (uint32_t)(len - 8);
		if (!bad && w->thrlen) { /* not among the first: skip it */
			int c = memcmp(w->tmp + 8, w->thr, klen < w->thrlen ? klen : w->thrlen);
			if (c > 0 || (c == 0 && klen > w->thrlen))
				continue;
		}
		if (o->keys_only)
			goto add;
		for (uint32_t k = 0; k < s->nvisible && !bad; k++)
			bad = cs_row_put(s, k, &b->values[k], i, &w->tmp, &w->tmpcap, &len);
	add:;
		size_t sz = (len + 7) & ~(size_t)7;
		if (bad || sz > UINT32_MAX || cs_grow_bytes((void **)&w->tmp, &w->tmpcap, sz))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		memset(w->tmp + len, 0, sz - len);
		uint32_t sz32 = (uint32_t)sz;
		memcpy(w->tmp, &sz32, 4);
		memcpy(w->tmp + 4, &klen, 4);
		if (cs_ents_add(&w->e, w->tmp, sz32))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (o->limit != UINT64_MAX) {
			if (w->e.n >= 2 * o->limit + 1024) {
				if (cs_ents_cut(&w->e, o->limit))
					return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
				if (o->limit) { /* the new worst kept */
					const uint8_t *p = w->e.arena + w->e.offs[w->e.n - 1];
					uint32_t kl = cs_u32(p + 4);
					if (cs_grow_bytes((void **)&w->thr, &w->thrcap, kl + 1))
						return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
					memcpy(w->thr, p + 8, kl);
					w->thrlen = kl;
				}
			}
		} else if (w->e.len + (w->e.n + 1) * 16 > o->budget / o->nw / 4) {
			/* what it holds (and its offsets, and the sort's copy of them)
			 * against a quarter of its share: the buffers grow by
			 * doubling, to at most half; the scan's batches and the
			 * merge's buffers take the rest */
			int rc = cs_flush_run(o, w);
			if (rc) {
				*err = w->err;
				return rc;
			}
		}
	}
	return COLSTORE_OK;
}

/* the entry at r->cur, read in when it is not in the buffer */
static int cs_rrun_load(cs_order *o, cs_rrun *r, colstore_error *err)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t have = r->cur >= r->boff && r->cur <= r->boff + r->len ? r->boff + r->len - r->cur : 0;
		size_t need = 8;
		if (have >= 8)
			need = cs_u32(r->buf + (r->cur - r->boff));
		if (have >= need && need >= 8) {
			r->head = r->buf + (r->cur - r->boff);
			return COLSTORE_OK;
		}
		if (need > r->cap) {
			uint8_t *nb = realloc(r->buf, need);
			if (!nb)
				return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			r->buf = nb;
			r->cap = need;
		}
		size_t want = r->end - r->cur < r->cap ? (size_t)(r->end - r->cur) : r->cap;
		size_t got = 0;
		while (got < want) {
			ssize_t k = pread(o->sp.fd, r->buf + got, want - got, (off_t)(r->cur + got));
			if (k <= 0)
				return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
				              "reading back sorted rows from %s: %s", o->sp.path,
				              k < 0 ? strerror(errno) : "short read");
			got += (size_t)k;
		}
		r->boff = r->cur;
		r->len = got;
	}
	return cs_err(err, COLSTORE_ECORRUPT, COLSTORE_NO_OFFSET, "a damaged run in %s", o->sp.path);
}

/* the order's runs merged: the heap of runs by their next entry */
static int cs_run_less(const cs_order *o, uint32_t a, uint32_t b)
{
	return cs_ent_cmp(o->rr[a].head, o->rr[b].head) < 0;
}

static void cs_heap_down(cs_order *o, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < o->nheap && cs_run_less(o, o->heap[l], o->heap[m]))
			m = l;
		if (l + 1 < o->nheap && cs_run_less(o, o->heap[l + 1], o->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		uint32_t t = o->heap[i];
		o->heap[i] = o->heap[m];
		o->heap[m] = t;
		i = m;
	}
}

/* With a limit: the first rows found by their keys alone (the other
 * columns not decoded), then those rows' values read, a 64-row range
 * around each, and their entries made as a one-pass scan would */
static int cs_order_two_pass(colstore_scan *s, colstore_error *err)
{
	cs_order *o = s->ord;
	colstore_reader *r = s->r;
	uint8_t *skip_col = malloc(s->ncols + 1), *skip_item = malloc(s->nitems + 1);
	uint8_t *mark = calloc((size_t)r->num_columns + 1, 1);
	if (!skip_col || !skip_item || !mark) {
		free(skip_col);
		free(skip_item);
		free(mark);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	memset(skip_item, 1, s->nitems);
	for (uint32_t k = 0; k < o->nkeys; k++) { /* the key items and their columns */
		const uint32_t it = o->kitem[k];
		skip_item[it] = 0;
		if (s->isrc[it] >= 0)
			mark[s->cols[s->isrc[it]]] = 1;
		else
			cs_calc_columns(s->xs[-1 - s->isrc[it]], mark);
	}
	for (uint32_t k = 0; k < s->ncols; k++)
		skip_col[k] = !mark[s->cols[k]];
	s->skip_col = skip_col;
	s->skip_item = skip_item;
	o->keys_only = 1;
	int rc = cs_scan_run_base(s, cs_collect, NULL, s, err);
	s->skip_col = s->skip_item = NULL;
	o->keys_only = 0;
	free(skip_col);
	free(skip_item);
	free(mark);
	/* the first rows, by their numbers (the last 8 bytes of a key) */
	cs_ents win = { 0 };
	for (uint32_t k = 0; k < o->nw && !rc; k++) {
		cs_ents *e = &o->w[k].e;
		for (size_t j = 0; j < e->n && !rc; j++) {
			const uint8_t *p = e->arena + e->offs[j];
			if (cs_ents_add(&win, p, cs_u32(p)))
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		cs_ents_free(e);
		o->w[k].thrlen = 0;
	}
	if (!rc && cs_ents_cut(&win, o->limit))
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint64_t *rows = rc ? NULL : malloc((win.n + 1) * sizeof(uint64_t));
	if (!rc && !rows)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (size_t j = 0; !rc && j < win.n; j++) {
		const uint8_t *p = win.arena + win.offs[j];
		const uint8_t *rn = p + 8 + cs_u32(p + 4) - 8;
		uint64_t v = 0;
		for (int q = 0; q < 8; q++)
			v = v << 8 | rn[q];
		rows[j] = v;
	}
	const size_t n = rows ? win.n : 0;
	cs_ents_free(&win);
	/* each row's values, in file order, as a batch of the one row */
	cs_scanw w = { 0 };
	colstore_buffers *b = colstore_buffers_create();
	if (!rc && (!b || cs_scanw_init(s, &w)))
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (size_t j = 0; !rc && j < n; j++) {
		const uint64_t row = rows[j];
		const uint32_t rgs = r->row_group_size ? r->row_group_size : 1;
		const uint32_t g = (uint32_t)(row / rgs), i = (uint32_t)(row % rgs);
		if (g >= r->num_row_groups || i >= cs_scan_rows(r, g)) {
			rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "scan: row %llu is gone (was the "
			            "file changed while read?)", (unsigned long long)row);
			break;
		}
		const uint32_t s0 = i & ~(uint32_t)63, c = cs_scan_rows(r, g) - s0 < 64 ? cs_scan_rows(r, g) - s0 : 64;
		for (uint32_t k = 0; k < s->ncols && !rc; k++)
			rc = cs_values_range(r, g, s->cols[k], b, s0, c, &w.vals[k], NULL, err);
		colstore_batch bt;
		memset(&bt, 0, sizeof(bt));
		uint32_t one = i - s0;
		bt.row_group = g;
		bt.first = s0;
		bt.first_row = (uint64_t)g * rgs + s0;
		bt.rows = c;
		bt.selected = 1;
		bt.sel = &one;
		bt.values = w.vals;
		bt.ncols = s->ncols;
		if (!rc && s->nitems)
			rc = cs_scan_items(s, &w, &bt, err);
		if (!rc)
			rc = cs_collect(s, &bt, err);
	}
	cs_scanw_free(s, &w);
	colstore_buffers_free(b);
	free(rows);
	return rc;
}

/* every run's reader at its first entry, the heap of them made */
int cs_order_start_merge(cs_order *o, colstore_error *err)
{
	o->nheap = 0;
	for (size_t k = 0; k < o->nruns; k++) {
		cs_rrun *r = &o->rr[k];
		r->cur = o->runs[k][0];
		r->end = o->runs[k][1];
		r->len = 0;
		r->boff = 0;
		if (r->cur >= r->end)
			continue;
		int rc = cs_rrun_load(o, r, err);
		if (rc)
			return rc;
		o->heap[o->nheap++] = (uint32_t)k;
	}
	for (uint32_t k = o->nheap / 2; k-- > 0;)
		cs_heap_down(o, k);
	return COLSTORE_OK;
}

int cs_order_collect(colstore_scan *s, colstore_error *err)
{
	cs_order *o = s->ord;
	o->nw = s->threads ? s->threads : 1;
	o->w = calloc(o->nw, sizeof(cs_ordw));
	if (!o->w)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int rc;
	if (o->limit <= 65536)
		rc = cs_order_two_pass(s, err);
	else
		rc = cs_scan_run_base(s, cs_collect, NULL, s, err);
	/* what the workers still hold: all in memory, or as runs too */
	for (uint32_t k = 0; k < o->nw && !rc && o->sp_open; k++)
		if ((rc = cs_flush_run(o, &o->w[k])) && err)
			*err = o->w[k].err;
	if (!rc && !o->sp_open) {
		for (uint32_t k = 0; k < o->nw && !rc; k++) {
			cs_ents *e = &o->w[k].e;
			for (size_t j = 0; j < e->n && !rc; j++) {
				const uint8_t *p = e->arena + e->offs[j];
				if (cs_ents_add(&o->mem, p, cs_u32(p)))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			}
			cs_ents_free(e);
		}
		if (!rc && cs_ents_cut(&o->mem, o->limit))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	if (!rc && o->sp_open && !(rc = cs_spill_flush(&o->sp, err))) {
		/* a reader per run, its buffer a share of the memory limit */
		o->merging = 1;
		o->rr = calloc(o->nruns + 1, sizeof(*o->rr));
		o->heap = malloc((o->nruns + 1) * sizeof(uint32_t));
		if (!o->rr || !o->heap)
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		uint64_t share = o->budget / (o->nruns + 1);
		size_t cap = share < (64u << 10) ? 64u << 10 : share > (8u << 20) ? 8u << 20 : (size_t)share;
		for (size_t k = 0; !rc && k < o->nruns; k++)
			if (!(o->rr[k].buf = malloc(cap)))
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			else
				o->rr[k].cap = cap;
		if (!rc)
			rc = cs_order_start_merge(o, err);
	}
	for (uint32_t k = 0; k < o->nw; k++) {
		cs_ents_free(&o->w[k].e);
		free(o->w[k].tmp);
		free(o->w[k].thr);
		free(o->w[k].cand);
	}
	free(o->w);
	o->w = NULL;
	o->collected = 1;
	return rc;
}

/* the next entry in order (NULL at the end): in memory, a pointer into
 * the sorted entries; merging, copied into the batch's arena (*off) */
int cs_order_take(cs_order *o, const uint8_t **p, uint64_t *off, size_t *used,
                         colstore_error *err)
{
	*p = NULL;
	if (o->delivered >= o->limit)
		return COLSTORE_OK;
	if (!o->merging) {
		if (o->pos >= o->mem.n)
			return COLSTORE_OK;
		o->delivered++;
		*p = o->mem.arena + o->mem.offs[o->pos++];
		return COLSTORE_OK;
	}
	if (!o->nheap)
		return COLSTORE_OK;
	cs_rrun *r = &o->rr[o->heap[0]];
	const uint32_t sz = cs_u32(r->head);
	if (*used + sz > o->bcap) {
		size_t c = o->bcap ? o->bcap : 1u << 20;
		while (c < *used + sz)
			c *= 2;
		uint8_t *nb = realloc(o->barena, c);
		if (!nb)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		o->barena = nb;
		o->bcap = c;
	}
	memcpy(o->barena + *used, r->head, sz);
	*off = *used;
	*used += sz;
	*p = o->barena; /* (not yet final: the arena may move; see cs_order_batch) */
	r->cur += sz;
	if (r->cur >= r->end) {
		o->heap[0] = o->heap[--o->nheap];
	} else {
		int rc = cs_rrun_load(o, r, err);
		if (rc)
			return rc;
	}
	cs_heap_down(o, 0);
	o->delivered++;
	return COLSTORE_OK;
}
