/*
 * scan.c -- the row-group cursor and the worker pool that every reader of
 * rows in the library runs on: aggregation, the Arrow stream and the
 * tool's scan.
 *
 * A scan walks the row groups in file order.  A row group whose statistics
 * rule the filter out is skipped unread (format-spec.md R5.6.4); otherwise
 * the filter is evaluated over the whole row group into a selection bitmap
 * (the filter reads its own columns, batched), and the row group is handed
 * out in batches of at most s->batch rows (CS_BATCH_ROWS, or fewer when the
 * caller asks: cs_scan_set_batch): a batch is a range of rows
 * with at least one match, the matching rows' indexes when not all match,
 * and the scanned columns' values over the range (cs_values_range: a packed
 * block is decoded over those rows only, so memory follows the batch).
 *
 * colstore_scan_next() is the cursor on the caller's thread.
 * colstore_scan_run() shares the row groups out among workers, one claim
 * at a time in file order; a worker owns its row group until every batch
 * of it is delivered.  With an in-order callback, each batch's in-order
 * call waits until every earlier row group is finished: a worker does its
 * parallel part, then its ordered part (the tool formats text in parallel
 * and writes it in order).  Pages of the mapping behind the slowest worker
 * are given back as the run goes, so the resident set stays flat however
 * large the file.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

uint32_t cs_scan_rows(const colstore_reader *r, uint32_t rg)
{
	return cs_chunk_at(r, rg, 0)->row_count;
}

uint32_t cs_scan_max_rows(const colstore_reader *r)
{
	uint32_t n = 1;
	for (uint32_t g = 0; g < r->num_row_groups; g++)
		if (cs_scan_rows(r, g) > n)
			n = cs_scan_rows(r, g);
	return n;
}

static uint32_t cs_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (uint32_t)(n < 256 ? n : 256) : 1;
}

int colstore_scan_create(colstore_reader *r, const uint32_t *cols, uint32_t ncols,
                         const colstore_filter *where, const colstore_scan_options *opts,
                         colstore_scan **out, colstore_error *err)
{
	*out = NULL;
	if (!r || (ncols && !cols))
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "scan: no reader or no columns");
	if (opts) {
		int bad = opts->reserved0 != 0;
		for (size_t k = 0; k < sizeof(opts->reserved) / sizeof(opts->reserved[0]); k++)
			bad |= opts->reserved[k] != 0;
		if (bad)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "scan options: reserved fields must be zero");
	}
	if (where && cs_filter_reader(where) != r)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "scan: the filter was compiled for another reader");
	for (uint32_t k = 0; k < ncols; k++)
		if (cols[k] >= r->num_columns)
			return cs_err(err, COLSTORE_ENOTFOUND, COLSTORE_NO_OFFSET,
			              "scan: no column %u (the file has %u)", cols[k], r->num_columns);
	colstore_scan *s = calloc(1, sizeof(*s));
	if (!s)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	s->r = r;
	s->f = where;
	s->ncols = ncols;
	s->max_rows = cs_scan_max_rows(r);
	s->batch = CS_BATCH_ROWS;
	uint32_t t = opts && opts->threads ? opts->threads : cs_cores();
	if (t > 256)
		t = 256;
	s->threads = t < r->num_row_groups ? t : (r->num_row_groups ? r->num_row_groups : 1);
	s->cols = malloc((ncols ? ncols : 1) * sizeof(uint32_t));
	s->rg_lo = malloc(((size_t)r->num_row_groups + 1) * sizeof(uint64_t));
	if (!s->cols || !s->rg_lo) {
		colstore_scan_free(s);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	if (ncols)
		memcpy(s->cols, cols, ncols * sizeof(uint32_t));
	/* where each row group begins, made nondecreasing from the end */
	uint64_t end = 0, lo, hi;
	for (uint32_t g = 0; g < r->num_row_groups; g++) {
		cs_row_group_span(r, g, &lo, &hi);
		s->rg_lo[g] = lo;
		if (lo < hi && hi > end)
			end = hi;
	}
	s->rg_lo[r->num_row_groups] = end;
	for (uint32_t g = r->num_row_groups; g-- > 0;)
		if (s->rg_lo[g] > s->rg_lo[g + 1])
			s->rg_lo[g] = s->rg_lo[g + 1];
	*out = s;
	return COLSTORE_OK;
}

void cs_scanw_free(const colstore_scan *s, cs_scanw *w)
{
	free(w->sel);
	free(w->idx);
	free(w->vals);
	free(w->ivals);
	for (uint32_t k = 0; w->xr && k < s->nx; k++)
		cs_calc_run_free(w->xr[k]);
	free(w->xr);
	memset(w, 0, sizeof(*w));
}

void colstore_scan_free(colstore_scan *s)
{
	if (!s)
		return;
	cs_scanw_free(s, &s->cw);
	free(s->cols);
	free(s->rg_lo);
	colstore_buffers_free(s->fb);
	for (uint32_t k = 0; k < s->nitems; k++)
		free(s->inames[k]);
	free(s->inames);
	free(s->isrc);
	free(s->itypes);
	for (uint32_t k = 0; k < s->nx; k++)
		cs_calc_free(s->xs[k]);
	free(s->xs);
	free(s->colpos);
	cs_order_free(s);
	free(s);
}

int colstore_scan_create_list(colstore_reader *r, const char *list, const colstore_filter *where,
                              const colstore_scan_options *opts, colstore_scan **out,
                              colstore_error *err)
{
	*out = NULL;
	if (!r || !list)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "scan: no reader or no list");
	size_t cap = 1;
	for (const char *p = list; *p; p++)
		cap += *p == ',';
	char *copy = strdup(list), *save = copy;
	int64_t *isrc = calloc(cap, sizeof(*isrc));
	char **inames = calloc(cap, sizeof(*inames));
	uint8_t *itypes = calloc(cap, 1);
	cs_calc **xs = calloc(cap, sizeof(*xs));
	uint32_t *cols = malloc(((size_t)r->num_columns + 1) * sizeof(uint32_t));
	uint32_t *colpos = malloc(((size_t)r->num_columns + 1) * sizeof(uint32_t));
	uint8_t *mark = calloc((size_t)r->num_columns + 1, 1);
	uint32_t n = 0, nx = 0, ncols = 0;
	int rc = copy && isrc && inames && itypes && xs && cols && colpos && mark
	                 ? COLSTORE_OK
	                 : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t *icol = rc ? NULL : malloc(cap * sizeof(uint32_t));
	if (!rc && !icol)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	char *alias, *it;
	while (!rc && (it = cs_item_next(&save, &alias, &rc, err))) {
		cs_calc *c = NULL;
		if ((rc = cs_item_parse(r, it, "", &icol[n], &c, err))) {
			free(alias);
			break;
		}
		if (c) {
			xs[nx] = c;
			isrc[n] = -1 - (int64_t)nx++;
			cs_calc_columns(c, mark);
			itypes[n] = cs_calc_type(c);
		} else {
			isrc[n] = 0;
			mark[icol[n]] = 1;
			itypes[n] = r->columns[icol[n]].type;
		}
		inames[n] = alias ? alias : strdup(c ? cs_calc_text(c) : r->columns[icol[n]].name);
		if (!inames[n++])
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	if (!rc && n == 0)
		rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "scan: an empty list");
	/* the columns to decode: each once, in file order */
	for (uint32_t c = 0; !rc && c < r->num_columns; c++)
		if (mark[c]) {
			colpos[c] = ncols;
			cols[ncols++] = c;
		}
	for (uint32_t k = 0; !rc && k < n; k++)
		if (isrc[k] >= 0)
			isrc[k] = colpos[icol[k]];
	colstore_scan *s = NULL;
	if (!rc)
		rc = colstore_scan_create(r, cols, ncols, where, opts, &s, err);
	if (!rc) {
		s->nitems = s->nvisible = n;
		s->nx = nx;
		s->isrc = isrc;
		s->inames = inames;
		s->itypes = itypes;
		s->xs = xs;
		s->colpos = colpos;
		isrc = NULL;
		inames = NULL;
		itypes = NULL;
		xs = NULL;
		colpos = NULL;
		*out = s;
	}
	for (uint32_t k = 0; inames && k < n; k++)
		free(inames[k]);
	for (uint32_t k = 0; xs && k < nx; k++)
		cs_calc_free(xs[k]);
	free(inames);
	free(xs);
	free(isrc);
	free(itypes);
	free(colpos);
	free(cols);
	free(mark);
	free(icol);
	free(copy);
	return rc;
}

uint32_t colstore_scan_num_columns(const colstore_scan *s)
{
	return s ? (s->nitems ? s->nvisible : s->ncols) : 0;
}

const char *colstore_scan_column_name(const colstore_scan *s, uint32_t k)
{
	if (!s || k >= colstore_scan_num_columns(s))
		return NULL;
	return s->nitems ? s->inames[k] : s->r->columns[s->cols[k]].name;
}

colstore_type colstore_scan_column_type(const colstore_scan *s, uint32_t k)
{
	if (!s || k >= colstore_scan_num_columns(s))
		return COLSTORE_TYPE_INT64;
	return (colstore_type)(s->nitems ? s->itypes[k] : s->r->columns[s->cols[k]].type);
}

int64_t colstore_scan_column_index(const colstore_scan *s, uint32_t k)
{
	if (!s || k >= colstore_scan_num_columns(s))
		return -1;
	if (!s->nitems)
		return s->cols[k];
	return s->isrc[k] >= 0 ? (int64_t)s->cols[s->isrc[k]] : -1;
}

uint32_t colstore_scan_workers(const colstore_scan *s)
{
	return s->threads;
}

void colstore_scan_row_groups(const colstore_scan *s, uint32_t *read, uint32_t *skipped)
{
	if (read)
		*read = s->rg_read;
	if (skipped)
		*skipped = s->rg_skipped;
}

/* Give back the mapped pages of [released, rg_lo[low]) in whole 2 MiB
 * units, so that huge mappings stay whole.  Nothing when no block was read
 * through the mapping since the last release (all read with pread, or
 * none): there is nothing to drop, and on a VM each madvise is dear. */
static int cs_scan_behind(colstore_scan *s, uint32_t low, uint64_t *from, uint64_t *to)
{
	colstore_reader *r = s->r;
	if (!r->mapped)
		return 0;
	if (low > r->num_row_groups)
		low = r->num_row_groups;
	uint64_t upto = s->rg_lo[low] & ~(uint64_t)((2u << 20) - 1);
	int drop = 0;
	if (upto > s->released) {
		uint64_t reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED);
		drop = reads != s->map_reads;
		*from = s->released;
		*to = upto;
		s->map_reads = reads;
		s->released = upto;
	}
	return drop;
}

void cs_scan_set_batch(colstore_scan *s, uint32_t rows)
{
	if (s->cw.sel)
		return; /* the cursor has started: its buffers hold s->batch rows */
	rows &= ~63u; /* cs_values_range's ranges start at multiples of 64 */
	s->batch = rows < 64 ? 64 : rows > CS_BATCH_ROWS ? CS_BATCH_ROWS : rows;
}

static void cs_scan_release(colstore_scan *s, uint32_t low)
{
	uint64_t from, to;
	if (cs_scan_behind(s, low, &from, &to))
		cs_map_release(s->r->data, from, to);
}

int cs_scanw_init(const colstore_scan *s, cs_scanw *w)
{
	uint32_t slice = s->max_rows < s->batch ? s->max_rows : s->batch;
	w->sel = malloc(cs_bitmap_bytes(s->max_rows) + 8);
	w->idx = malloc((size_t)slice * sizeof(uint32_t));
	w->vals = calloc(s->ncols ? s->ncols : 1, sizeof(colstore_values));
	if (!w->sel || !w->idx || !w->vals)
		return -1;
	if (s->nitems && !(w->ivals = calloc(s->nitems, sizeof(colstore_values))))
		return -1;
	if (s->nx && !(w->xr = calloc(s->nx, sizeof(*w->xr))))
		return -1;
	for (uint32_t k = 0; k < s->nx; k++)
		if (!(w->xr[k] = cs_calc_run_new(s->xs[k])))
			return -1;
	return 0;
}

typedef struct cs_sget {
	const colstore_scan *s;
	const colstore_values *vals;
} cs_sget;

static int cs_scan_get(void *ctx, uint32_t col, colstore_values *v, colstore_error *err)
{
	const cs_sget *g = ctx;
	(void)err;
	*v = g->vals[g->s->colpos[col]];
	return COLSTORE_OK;
}

/* a list scan's batch: each item's values, an expression's worked out on
 * the batch's matching rows */
int cs_scan_items(const colstore_scan *s, cs_scanw *w, colstore_batch *out, colstore_error *err)
{
	cs_sget g = { s, w->vals };
	for (uint32_t k = 0; k < s->nitems; k++) {
		if (s->skip_item && s->skip_item[k])
			continue;
		if (s->isrc[k] >= 0) {
			w->ivals[k] = w->vals[s->isrc[k]];
			continue;
		}
		const uint32_t e = (uint32_t)(-1 - s->isrc[k]);
		cs_cvec cv;
		int rc = cs_calc_eval(w->xr[e], cs_scan_get, &g, out->rows, out->sel, out->selected, &cv,
		                      err);
		if (rc)
			return rc;
		if (cs_calc_values(w->xr[e], &cv, out->rows, &w->ivals[k]))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	out->values = w->ivals;
	out->ncols = s->nitems;
	return COLSTORE_OK;
}

/* Row group g's filter: 0 and *m = 0 when no row matches (the group is
 * skipped, counted as skipped when its statistics rule it out) */
static int cs_scan_filter(colstore_scan *s, uint32_t g, colstore_buffers *b, uint8_t *sel,
                          uint64_t *m, uint32_t *read, uint32_t *skipped, colstore_error *err)
{
	*m = cs_scan_rows(s->r, g);
	if (!s->f) {
		(*read)++;
		return COLSTORE_OK;
	}
	if (!colstore_filter_may_match(s->f, g)) {
		(*skipped)++;
		*m = 0;
		return COLSTORE_OK;
	}
	(*read)++;
	return colstore_filter_eval(s->f, g, b, sel, m, err);
}

/* The batch of rows [s0, s0 + s->batch) of row group g (filtered
 * with `matches` of its rows matching): 0 with out->selected = 0 when none
 * of them match, else the batch with its values in b */
static int cs_scan_batch(colstore_scan *s, uint32_t g, uint32_t s0, uint64_t matches,
                         cs_scanw *w, colstore_buffers *b, colstore_batch *out,
                         colstore_error *err)
{
	const uint8_t *sel = w->sel;
	uint32_t *idx = w->idx;
	colstore_values *vals = w->vals;
	colstore_reader *r = s->r;
	uint32_t n = cs_scan_rows(r, g);
	uint32_t c = n - s0 < s->batch ? n - s0 : s->batch;
	uint32_t m = c;
	memset(out, 0, sizeof(*out));
	if (s->f && matches < n) {
		m = (uint32_t)cs_bitmap_popcount(sel + s0 / 8, c);
		if (m == 0)
			return COLSTORE_OK;
		if (m < c)
			cs_bitmap_rows(sel + s0 / 8, c, idx);
	}
	int rc;
	for (uint32_t k = 0; k < s->ncols; k++)
		if ((!s->skip_col || !s->skip_col[k]) &&
		    (rc = cs_values_range(r, g, s->cols[k], b, s0, c, &vals[k], NULL, err)))
			return rc;
	out->row_group = g;
	out->first = s0;
	out->first_row = (uint64_t)g * r->row_group_size + s0;
	out->rows = c;
	out->selected = m;
	out->sel = m < c ? idx : NULL;
	out->values = vals;
	out->ncols = s->ncols;
	return s->nitems ? cs_scan_items(s, w, out, err) : COLSTORE_OK;
}

int colstore_scan_next(colstore_scan *s, colstore_buffers *b, colstore_batch *out,
                       colstore_error *err)
{
	colstore_reader *r = s->r;
	memset(out, 0, sizeof(*out));
	if (!b)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "scan: no buffers");
	if (s->ord)
		return cs_order_next(s, b, out, err);
	if (!s->cw.sel) {
		if (cs_scanw_init(s, &s->cw) || (s->f && !(s->fb = colstore_buffers_create()))) {
			cs_scanw_free(s, &s->cw);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		s->released = 0;
		s->map_reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED) - 1;
	}
	while (s->rg < r->num_row_groups) {
		uint32_t g = s->rg;
		int rc;
		if (!s->rg_open) {
			cs_scan_release(s, g);
			if ((rc = cs_scan_filter(s, g, s->fb, s->cw.sel, &s->rg_matches, &s->rg_read,
			                         &s->rg_skipped, err)))
				return rc;
			s->rg_open = 1;
			s->s0 = 0;
		}
		if (s->rg_matches == 0 || s->s0 >= cs_scan_rows(r, g)) {
			s->rg++;
			s->rg_open = 0;
			continue;
		}
		/* on an error the cursor stays at this batch: a later call reads it
		 * again (and fails again), never skips its rows */
		if ((rc = cs_scan_batch(s, g, s->s0, s->rg_matches, &s->cw, b, out, err)))
			return rc;
		s->s0 += s->batch;
		if (out->selected)
			return COLSTORE_OK;
	}
	return COLSTORE_OK; /* the end: out->rows = 0 */
}

void colstore_scan_rewind(colstore_scan *s)
{
	if (s->ord) {
		cs_order_rewind(s);
		return;
	}
	s->rg = s->s0 = 0;
	s->rg_open = 0;
	s->rg_read = s->rg_skipped = 0;
	/* pages are given back from the start again */
	s->released = 0;
	s->map_reads = __atomic_load_n(&s->r->map_reads, __ATOMIC_RELAXED) - 1;
}

/* ---- the worker pool ----------------------------------------------------------- */

typedef struct cs_pool cs_pool;

typedef struct cs_pworker {
	cs_pool *p;
	uint32_t id;
	uint32_t cur; /* the row group in hand (atomic); UINT32_MAX: none */
	uint32_t rg_read, rg_skipped;
	cs_scanw w;
	pthread_t th;
	int rc;
	colstore_error err;
} cs_pworker;

struct cs_pool {
	colstore_scan *s;
	colstore_scan_fn on_batch, in_order;
	void *ctx;
	uint32_t nw;
	cs_pworker *w;
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* turn moved on, or stop */
	uint32_t next;         /* the next row group to claim */
	uint32_t turn;         /* row groups before it are finished */
	uint8_t *done;         /* per row group, when in order: finished */
	int stop;              /* atomic */
};

/* drop the pages of row groups every worker is past */
static void cs_pool_release(cs_pool *p)
{
	pthread_mutex_lock(&p->mu);
	uint32_t low = p->next;
	for (uint32_t k = 0; k < p->nw; k++) {
		uint32_t c = __atomic_load_n(&p->w[k].cur, __ATOMIC_ACQUIRE);
		if (c < low)
			low = c;
	}
	uint64_t from, to;
	int drop = cs_scan_behind(p->s, low, &from, &to);
	pthread_mutex_unlock(&p->mu);
	if (drop) /* outside the lock: the other workers claim and finish meanwhile */
		cs_map_release(p->s->r->data, from, to);
}

/* in order: row group g is finished; the turn moves past every finished one */
static void cs_pool_finish(cs_pool *p, uint32_t g)
{
	if (!p->in_order)
		return;
	pthread_mutex_lock(&p->mu);
	p->done[g] = 1;
	while (p->turn < p->s->r->num_row_groups && p->done[p->turn])
		p->turn++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* in order: wait until every row group before g is finished; 0, or -1 when
 * the run stops */
static int cs_pool_wait(cs_pool *p, uint32_t g)
{
	pthread_mutex_lock(&p->mu);
	while (p->turn < g && !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
		pthread_cond_wait(&p->cv, &p->mu);
	int stopped = p->turn < g;
	pthread_mutex_unlock(&p->mu);
	return stopped ? -1 : 0;
}

static int cs_pool_rg(cs_pworker *pw, uint32_t g)
{
	cs_pool *p = pw->p;
	colstore_scan *s = p->s;
	uint64_t matches;
	int rc = cs_scan_filter(s, g, pw->w.b, pw->w.sel, &matches, &pw->rg_read, &pw->rg_skipped,
	                        &pw->err);
	uint32_t n = cs_scan_rows(s->r, g);
	for (uint32_t s0 = 0; !rc && matches && s0 < n; s0 += s->batch) {
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return -1;
		colstore_batch bt;
		pw->err.message[0] = 0;
		if ((rc = cs_scan_batch(s, g, s0, matches, &pw->w, pw->w.b, &bt, &pw->err)) ||
		    !bt.selected)
			continue;
		bt.worker = pw->id;
		if (p->on_batch && (rc = p->on_batch(p->ctx, &bt, &pw->err)))
			break;
		if (p->in_order) {
			if (cs_pool_wait(p, g))
				return -1;
			rc = p->in_order(p->ctx, &bt, &pw->err);
		}
	}
	if (rc < 0 || (rc > 0 && !pw->err.message[0])) { /* a callback's code, unexplained */
		rc = cs_err(&pw->err, rc > 0 ? rc : COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		            "scan: a batch callback stopped the scan (%d)", rc);
	} else if (rc > 0 && pw->err.code != rc) { /* a message, but not the code */
		pw->err.code = rc;
		pw->err.offset = COLSTORE_NO_OFFSET;
	}
	return rc;
}

static void *cs_pool_main(void *arg)
{
	cs_pworker *pw = arg;
	cs_pool *p = pw->p;
	uint32_t nrg = p->s->r->num_row_groups;
	for (;;) {
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			break;
		/* claim and publish under the lock, so that the release step never
		 * sees a row group claimed but not yet in hand */
		pthread_mutex_lock(&p->mu);
		uint32_t g = p->next < nrg ? p->next++ : nrg;
		__atomic_store_n(&pw->cur, g < nrg ? g : UINT32_MAX, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&p->mu);
		if (g >= nrg)
			break;
		int rc = cs_pool_rg(pw, g);
		__atomic_store_n(&pw->cur, UINT32_MAX, __ATOMIC_RELEASE);
		if (rc) {
			if (rc > 0) /* -1: stopped by another worker */
				pw->rc = rc;
			pthread_mutex_lock(&p->mu);
			__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			break;
		}
		cs_pool_finish(p, g);
		cs_pool_release(p);
	}
	return NULL;
}

int cs_scan_run_base(colstore_scan *s, colstore_scan_fn on_batch, colstore_scan_fn in_order,
                     void *ctx, colstore_error *err)
{
	colstore_reader *r = s->r;
	cs_pool p = { .s = s, .on_batch = on_batch, .in_order = in_order, .ctx = ctx,
		      .nw = s->threads };
	int rc = COLSTORE_OK;
	p.w = calloc(p.nw, sizeof(cs_pworker));
	p.done = in_order ? calloc(r->num_row_groups + 1, 1) : NULL;
	if (!p.w || (in_order && !p.done)) {
		free(p.w);
		free(p.done);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	for (uint32_t k = 0; k < p.nw && !rc; k++) {
		cs_pworker *pw = &p.w[k];
		pw->p = &p;
		pw->id = k;
		pw->cur = UINT32_MAX;
		if (cs_scanw_init(s, &pw->w) || !(pw->w.b = colstore_buffers_create()))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	/* unlike the cursor's count: the first release drops what earlier
	 * queries on this reader may have left mapped */
	s->released = 0;
	s->map_reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED) - 1;
	s->rg_read = s->rg_skipped = 0;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if (!rc && r->mapped)
		cs_map_advise_sequential(r->data, r->size);
	uint32_t started = 0; /* worker 0 runs on this thread */
	for (uint32_t k = 1; k < p.nw && !rc; k++) {
		if (cs_thread_start(&p.w[k].th, cs_pool_main, &p.w[k]))
			break; /* fewer threads: the others share the work */
		started = k;
	}
	if (!rc)
		cs_pool_main(&p.w[0]);
	for (uint32_t k = 1; k <= started; k++)
		pthread_join(p.w[k].th, NULL);
	s->used = started + 1;
	for (uint32_t k = 0; k < p.nw && !rc; k++)
		if (p.w[k].rc) { /* the first failure in worker order */
			if (err)
				*err = p.w[k].err;
			rc = p.w[k].rc;
		}
	for (uint32_t k = 0; k < p.nw; k++) {
		s->rg_read += p.w[k].rg_read;
		s->rg_skipped += p.w[k].rg_skipped;
		colstore_buffers_free(p.w[k].w.b);
		cs_scanw_free(s, &p.w[k].w);
	}
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	free(p.w);
	free(p.done);
	return rc;
}

int colstore_scan_run(colstore_scan *s, colstore_scan_fn on_batch, colstore_scan_fn in_order,
                      void *ctx, colstore_error *err)
{
	if (s->ord)
		return cs_order_run(s, on_batch, in_order, ctx, err);
	return cs_scan_run_base(s, on_batch, in_order, ctx, err);
}

uint32_t colstore_scan_threads_used(const colstore_scan *s)
{
	return s->used;
}
