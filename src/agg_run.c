/*
 * agg_run.c -- colstore_agg's workers: row groups handed out to threads,
 * each read (a slice at a time when long), its rows given their groups
 * (dense ids, or hashed keys) and every aggregate applied; the pages behind
 * the workers dropped; K_HASH groups written out as runs when they outgrow
 * a worker's share; one pass of all of it, with the workers' groups merged.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"

#define CS_SLICE 4096 /* K_HASH: rows between two looks at a worker's memory */

/* ---- workers ------------------------------------------------------------------------ */

typedef struct cs_run cs_run;

typedef struct cs_worker {
	cs_run *run;
	cs_state st;
	colstore_buffers *b, *bm; /* values; DECIMAL mantissas */
	colstore_values *vals, *mvals;
	int *scale;
	__int128 *psum; /* per column: its sum taken from the packed bits, */
	uint8_t *psum_ok; /* when this is 1 for the row group in hand */
	uint8_t *sel;
	uint32_t *idx, *gid;
	uint8_t *key;    /* K_HASH: the keys of a slice of rows, */
	size_t keycap;
	uint64_t *koff;  /* each one's offset in key, */
	uint32_t *khash; /* and its hash */
	uint64_t *order; /* K_HASH: writing a run */
	size_t ordercap;
	uint8_t *tmp;
	size_t tmpcap;
	uint32_t rg_read, rg_skipped;
	uint32_t cur;  /* row group in hand, or UINT32_MAX */
	int rc;
	colstore_error err;
	pthread_t th;
} cs_worker;

struct cs_run {
	colstore_agg *a;
	uint32_t next;   /* atomic: the next row group to hand out */
	int stop;        /* atomic: a worker failed */
	uint32_t nw;
	cs_worker *w;
	/* dropping pages behind the workers */
	pthread_mutex_t mu;
	uint64_t *rg_lo; /* first byte of each row group (nondecreasing), + end */
	uint64_t released;
	uint64_t map_reads; /* the reader's count at the last release */
	/* K_HASH: runs of groups written out by workers */
	pthread_mutex_t smu;
	cs_spill sp;
	int sp_open;
	cs_hrun *runs;
	size_t nruns, runs_cap;
};

static size_t cs_key_part(const colstore_agg *a, uint32_t k, const colstore_values *v, uint32_t i,
                          uint8_t *out)
{
	if (!cs_is_valid(v, i)) {
		out[0] = 1; /* null */
		return 1;
	}
	out[0] = 0;
	uint8_t t = v->type;
	if (a->kcode[k]) {
		uint32_t code = cs_code(v, i);
		memcpy(out + 1, &code, 4);
		return 5;
	}
	if (t == COLSTORE_TYPE_STRING) {
		const char *s;
		uint32_t len;
		cs_sval(a->r, a->gb[k], v, i, &s, &len);
		memcpy(out + 1, &len, 4);
		memcpy(out + 5, s, len);
		return 5 + len;
	}
	if (cs_is_float(t)) {
		double d = cs_dval(v, i);
		if (d == 0)
			d = 0; /* -0.0 groups with 0.0 */
		if (isnan(d))
			d = NAN;
		memcpy(out + 1, &d, 8);
	} else {
		int64_t x = cs_ival(v, i);
		memcpy(out + 1, &x, 8);
	}
	return 9;
}

/* K_INT: a key outside the range the statistics gave (the dense array's
 * size): the file's statistics are false; the chunk is named */
static int cs_key_outside(cs_worker *w, uint32_t g)
{
	const colstore_agg *a = w->run->a;
	const cs_chunk *ch = cs_chunk_at(a->r, g, a->gb[0]);
	return cs_err(&w->err, COLSTORE_ECORRUPT, ch->blocks[COLSTORE_BLOCK_DATA].offset,
	              "row group %u column '%s': a value lies outside the range [%lld, %lld] "
	              "that the file's statistics give (false statistics: colstore verify "
	              "names them)",
	              g, a->r->columns[a->gb[0]].name, (long long)a->key_min,
	              (long long)((uint64_t)a->key_min + a->key_slots - 2));
}

/* a pass over part of the key positions: keeps the rows whose key falls in
 * it (their row numbers compacted into w->idx), each with its record */
static int cs_group_ids_part(cs_worker *w, uint32_t g, uint32_t *mp, const uint32_t **idxp)
{
	const colstore_agg *a = w->run->a;
	const colstore_values *v0 = &w->vals[a->gb[0]];
	const uint8_t *vb = v0->validity;
	const uint32_t *idx = *idxp;
	const uint64_t lo = a->part_lo, n = a->part_n, nul = a->positions - 1;
	uint32_t kept = 0;
	int outside = 0;
	for (uint32_t k = 0; k < *mp; k++) {
		uint32_t i = idx ? idx[k] : k; /* read before w->idx[kept <= k] is written */
		uint64_t pos;
		if (vb && !cs_bit_get(vb, i)) {
			pos = nul;
		} else if (a->key == K_DICT) {
			pos = a->rank[cs_code(v0, i)];
		} else {
			pos = (uint64_t)cs_ival(v0, i) - (uint64_t)a->key_min;
			outside |= pos >= nul;
		}
		if (pos - lo < n) {
			w->idx[kept] = i;
			w->gid[kept++] = (uint32_t)(pos - lo);
		}
	}
	*mp = kept;
	*idxp = w->idx;
	return outside ? cs_key_outside(w, g) : COLSTORE_OK;
}

/* the record of each taken row (in a partial pass, of the rows it keeps) */
static int cs_group_ids(cs_worker *w, uint32_t g, uint32_t *mp, const uint32_t **idxp)
{
	colstore_agg *a = w->run->a;
	uint32_t *gid = w->gid;
	const colstore_values *v0 = &w->vals[a->gb[0]];
	const uint8_t *vb = v0->validity;
	const uint32_t m = *mp, *idx = *idxp;
	if (a->parts > 1)
		return cs_group_ids_part(w, g, mp, idxp);
	if (a->key == K_DICT) {
		const uint32_t nul = a->r->columns[a->gb[0]].dict_count;
		if (!idx) { /* every row: the codes widened in one pass, then the nulls */
			cs_simd()->widen(v0->data, v0->code_width, m, gid);
			for (uint32_t k = 0; vb && k < m; k++)
				if (!cs_bit_get(vb, k))
					gid[k] = nul;
			return COLSTORE_OK;
		}
		for (uint32_t k = 0; k < m; k++) {
			uint32_t i = idx[k];
			gid[k] = vb && !cs_bit_get(vb, i) ? nul : cs_code(v0, i);
		}
		return COLSTORE_OK;
	}
	if (a->key == K_INT) {
		const uint32_t nul = (uint32_t)(w->st.nrec - 1);
		const uint64_t lo = (uint64_t)a->key_min;
		int outside = 0;
		for (uint32_t k = 0; k < m; k++) {
			uint32_t i = idx ? idx[k] : k;
			uint64_t off = (uint64_t)cs_ival(v0, i) - lo;
			int valid = !vb || cs_bit_get(vb, i);
			outside |= valid && off >= nul;
			gid[k] = valid ? (uint32_t)off : nul;
		}
		if (outside) /* nothing was counted yet */
			return cs_key_outside(w, g);
	}
	return COLSTORE_OK;
}

/* K_HASH: the group of each of m rows idx[k], into w->gid.  First every
 * row's key and hash, with its slot fetched ahead; then the lookups, each
 * fetching the key bytes of a row a few places ahead. */
static int cs_hash_ids(cs_worker *w, const uint32_t *idx, uint32_t m)
{
	colstore_agg *a = w->run->a;
	cs_state *st = &w->st;
	size_t len = 0;
	for (uint32_t k = 0; k < m; k++) {
		uint32_t i = idx[k];
		w->koff[k] = len;
		for (uint32_t j = 0; j < a->ngb; j++) {
			const colstore_values *v = &w->vals[a->gb[j]];
			size_t most = 9;
			if (v->type == COLSTORE_TYPE_STRING && !a->kcode[j]) {
				const char *s;
				uint32_t sl = 0;
				if (cs_is_valid(v, i))
					cs_sval(a->r, a->gb[j], v, i, &s, &sl);
				most = 5 + (size_t)sl;
			}
			if (cs_grow_bytes((void **)&w->key, &w->keycap, len + most))
				return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			len += cs_key_part(a, j, v, i, w->key + len);
		}
		w->khash[k] = cs_key_hash(w->key + w->koff[k], len - w->koff[k]);
		if (st->nslots)
			__builtin_prefetch(&st->slots[w->khash[k] & (st->nslots - 1)]);
	}
	w->koff[m] = len;
	enum { AHEAD = 8 };
	for (uint32_t k = 0; k < m; k++) {
		if (k + AHEAD < m && st->nslots) {
			const cs_slot *sl = &st->slots[w->khash[k + AHEAD] & (st->nslots - 1)];
			if (sl->g1)
				__builtin_prefetch(st->keys + (sl->kpos >> 24));
		}
		int64_t g = cs_group(a, st, w->key + w->koff[k], w->koff[k + 1] - w->koff[k],
		                     w->khash[k]);
		if (g < 0)
			return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET,
			              "out of memory for %llu groups", (unsigned long long)st->nrec);
		w->gid[k] = (uint32_t)g;
		__builtin_prefetch(cs_rec(a, st, (uint64_t)g));
	}
	return COLSTORE_OK;
}

/* K_HASH: a worker's groups, sorted, appended to the run file as a run;
 * then it starts afresh */
static int cs_flush_groups(cs_worker *w)
{
	colstore_agg *a = w->run->a;
	cs_run *run = w->run;
	cs_state *st = &w->st;
	if (!st->nrec)
		return COLSTORE_OK;
	if (cs_grow_bytes((void **)&w->order, &w->ordercap, st->nrec * sizeof(uint64_t)))
		return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (cs_sort_hashed(a, st, w->order))
		return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	pthread_mutex_lock(&run->smu);
	int rc = COLSTORE_OK;
	if (!run->sp_open && !(rc = cs_spill_open(&run->sp, &w->err)))
		run->sp_open = 1;
	if (!rc && cs_grow_bytes((void **)&run->runs, &run->runs_cap,
	                         (run->nruns + 1) * sizeof(cs_hrun)))
		rc = cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!rc) {
		cs_hrun *h = &run->runs[run->nruns++];
		memset(h, 0, sizeof(*h));
		h->at = cs_spill_pos(&run->sp);
		for (uint64_t j = 0; j < st->nrec && !rc; j++) {
			uint64_t g = w->order[j];
			rc = cs_put_entry(a, &run->sp, cs_rec(a, st, g), st->keys + st->key_off[g],
			                  st->key_len[g], st->strs, &w->tmp, &w->tmpcap, &w->err);
		}
		h->end = cs_spill_pos(&run->sp);
	}
	pthread_mutex_unlock(&run->smu);
	cs_state_reset(st);
	return rc;
}

static int cs_apply(cs_worker *w, uint32_t m, const uint32_t *idx, const uint32_t *gid);
static int cs_hash_rows(cs_worker *w, uint32_t m, const uint32_t *idx);

static int cs_do_slice(cs_worker *w, uint32_t g, uint32_t s0, uint32_t n, uint32_t m,
                       const uint32_t *idx);

static int cs_do_rg(cs_worker *w, uint32_t g)
{
	colstore_agg *a = w->run->a;
	colstore_reader *r = a->r;
	if (a->filter && !colstore_filter_may_match(a->filter, g)) {
		w->rg_skipped += a->pass == 0;
		return COLSTORE_OK;
	}
	w->rg_read += a->pass == 0;
	uint32_t n = cs_chunk_at(r, g, 0)->row_count;
	uint64_t matches = n;
	const uint32_t *idx = NULL;
	int rc;
	if (a->filter) {
		if ((rc = colstore_filter_eval(a->filter, g, w->b, w->sel, &matches, &w->err)))
			return rc;
		if (matches == 0)
			return COLSTORE_OK;
		if (matches < n && n <= CS_BATCH_ROWS) { /* the matching rows, in order */
			cs_bitmap_rows(w->sel, n, w->idx);
			idx = w->idx;
		}
	}
	uint32_t m = (uint32_t)matches;
	if (m == 0)
		return COLSTORE_OK;
	if (a->key == K_NONE && a->count_only) { /* count(*): nothing to read */
		*(int64_t *)(void *)w->st.recs += m;
		return COLSTORE_OK;
	}
	if (n <= CS_BATCH_ROWS)
		return cs_do_slice(w, g, 0, n, m, idx);
	/* a long row group, a slice at a time: memory for the values of one
	 * slice, whatever its blocks claim to expand to */
	for (uint32_t s0 = 0; s0 < n; s0 += CS_BATCH_ROWS) {
		uint32_t c = n - s0 < CS_BATCH_ROWS ? n - s0 : CS_BATCH_ROWS;
		uint32_t ms = c;
		const uint32_t *sidx = NULL;
		if (a->filter && matches < n) {
			ms = (uint32_t)cs_bitmap_popcount(w->sel + s0 / 8, c);
			if (ms == 0)
				continue;
			if (ms < c) {
				cs_bitmap_rows(w->sel + s0 / 8, c, w->idx);
				sidx = w->idx;
			}
		}
		if ((rc = cs_do_slice(w, g, s0, c, ms, sidx)))
			return rc;
	}
	return COLSTORE_OK;
}

/* rows [s0, s0 + n) of row group g, m of them taken (idx[k], relative to
 * s0, or all when idx is NULL) */
static int cs_do_slice(cs_worker *w, uint32_t g, uint32_t s0, uint32_t n, uint32_t m,
                       const uint32_t *idx)
{
	colstore_agg *a = w->run->a;
	colstore_reader *r = a->r;
	const int whole = s0 == 0 && n == cs_chunk_at(r, g, 0)->row_count;
	int rc;
	for (uint32_t c = 0; c < r->num_columns; c++) {
		w->psum_ok[c] = 0;
		if (a->sum_only[c] && a->key == K_NONE && whole) {
			/* one total: taken from the packed bits when it can be */
			int done;
			if ((rc = cs_chunk_sum(r, g, c, w->b, idx, m, &w->psum[c], &w->scale[c], &done,
			                       &w->err)))
				return rc;
			if ((w->psum_ok[c] = (uint8_t)done))
				continue;
		}
		if ((a->need[c] & 1) &&
		    (rc = cs_values_range(r, g, c, w->b, s0, n, &w->vals[c], NULL, &w->err)))
			return rc;
		if ((a->need[c] & 2) &&
		    (rc = cs_values_range(r, g, c, w->bm, s0, n, &w->mvals[c], &w->scale[c], &w->err)))
			return rc;
	}
	if (a->key == K_HASH)
		return cs_hash_rows(w, m, idx);
	const uint32_t *gid = NULL;
	if (a->key != K_NONE) {
		if ((rc = cs_group_ids(w, g, &m, &idx)))
			return rc;
		if (m == 0)
			return COLSTORE_OK;
		gid = w->gid;
		for (uint32_t k = 0; k < m; k++)
			(*(int64_t *)(void *)cs_rec(a, &w->st, gid[k]))++;
	} else {
		*(int64_t *)(void *)w->st.recs += m;
	}
	return cs_apply(w, m, idx, gid);
}

/* every aggregate over m rows idx[k] (or k), each into record gid[k] (or 0) */
static int cs_apply(cs_worker *w, uint32_t m, const uint32_t *idx, const uint32_t *gid)
{
	colstore_agg *a = w->run->a;
	int rc;
	cs_kargs ka = { w->st.recs, a->rec_size, idx, gid, m };
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind == AK_ROWS)
			continue;
		if (w->psum_ok[s->col]) {
			uint8_t *rec = w->st.recs + s->off;
			if (s->kind == AK_ISUM) {
				cs_aisum *acc = (cs_aisum *)(void *)rec;
				cs_i128 t;
				cs_i128_set(&t, w->psum[s->col]);
				acc->n += m;
				cs_i128_add128(&acc->s, &t);
			} else {
				cs_afsum *acc = (cs_afsum *)(void *)rec;
				acc->n += m; /* a float column's packed sum is of DECIMAL mantissas */
				cs_fsum_add_decimal(&acc->f, w->psum[s->col], w->scale[s->col]);
			}
			continue;
		}
		const int mant = a->need[s->col] & 2;
		rc = cs_kernel(a, &w->st, s, &w->vals[s->col], mant ? &w->mvals[s->col] : NULL,
		               mant ? w->scale[s->col] : -1, &ka, &w->err);
		if (rc)
			return rc;
	}
	return COLSTORE_OK;
}

/* K_HASH: the rows in slices, so that a worker whose groups outgrow
 * a->budget writes them out between two slices */
static int cs_hash_rows(cs_worker *w, uint32_t m, const uint32_t *idx)
{
	colstore_agg *a = w->run->a;
	int rc;
	if (!idx) {
		for (uint32_t k = 0; k < m; k++)
			w->idx[k] = k;
		idx = w->idx;
	}
	for (uint32_t s0 = 0; s0 < m; s0 += CS_SLICE) {
		uint32_t n = m - s0 < CS_SLICE ? m - s0 : CS_SLICE;
		if ((rc = cs_hash_ids(w, idx + s0, n)))
			return rc;
		for (uint32_t k = 0; k < n; k++)
			(*(int64_t *)(void *)cs_rec(a, &w->st, w->gid[k]))++;
		if ((rc = cs_apply(w, n, idx + s0, w->gid)))
			return rc;
		if (a->budget && cs_state_bytes(a, &w->st) > a->budget && (rc = cs_flush_groups(w)))
			return rc;
	}
	return COLSTORE_OK;
}

/* drop the pages of row groups every worker is past: the resident set stays
 * flat however large the file (they fault back in from the page cache if
 * read again); whole 2 MiB units, so that huge mappings stay whole */
static void cs_release_behind(cs_run *run)
{
	colstore_reader *r = run->a->r;
	if (!r->mapped)
		return;
	pthread_mutex_lock(&run->mu);
	uint32_t low = __atomic_load_n(&run->next, __ATOMIC_ACQUIRE);
	for (uint32_t k = 0; k < run->nw; k++) {
		uint32_t c = __atomic_load_n(&run->w[k].cur, __ATOMIC_ACQUIRE);
		if (c < low)
			low = c;
	}
	if (low > r->num_row_groups)
		low = r->num_row_groups;
	uint64_t upto = run->rg_lo[low] & ~(uint64_t)((2u << 20) - 1);
	if (upto > run->released) {
		/* no block read through the mapping since the last release (all
		 * read with pread, or none read): nothing there to drop, and on
		 * a VM each madvise is dear.  A worker counts its reads before it
		 * lets go of its row group, so none is missed below `low`. */
		uint64_t reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED);
		if (reads != run->map_reads)
			cs_map_release(r->data, run->released, upto);
		run->map_reads = reads;
		run->released = upto;
	}
	pthread_mutex_unlock(&run->mu);
}

static void *cs_worker_main(void *arg)
{
	cs_worker *w = arg;
	cs_run *run = w->run;
	uint32_t nrg = run->a->r->num_row_groups;
	for (;;) {
		if (__atomic_load_n(&run->stop, __ATOMIC_ACQUIRE))
			break;
		/* claim and publish under the lock, so that the release step never
		 * sees a row group claimed but not yet in hand */
		pthread_mutex_lock(&run->mu);
		uint32_t g = run->next < nrg ? run->next++ : nrg;
		__atomic_store_n(&w->cur, g < nrg ? g : UINT32_MAX, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&run->mu);
		if (g >= nrg)
			break;
		w->rc = cs_do_rg(w, g);
		__atomic_store_n(&w->cur, UINT32_MAX, __ATOMIC_RELEASE);
		if (w->rc) {
			__atomic_store_n(&run->stop, 1, __ATOMIC_RELEASE);
			break;
		}
		cs_release_behind(run);
	}
	return NULL;
}

static int cs_worker_init(cs_worker *w, cs_run *run)
{
	colstore_agg *a = run->a;
	uint32_t nc = a->r->num_columns ? a->r->num_columns : 1;
	uint32_t rgs = a->r->row_group_size ? a->r->row_group_size : 1;
	for (uint32_t g = 0; g < a->r->num_row_groups; g++) /* the largest actual group */
		if (cs_chunk_at(a->r, g, 0)->row_count > rgs)
			rgs = cs_chunk_at(a->r, g, 0)->row_count;
	memset(w, 0, sizeof(*w));
	w->run = run;
	w->cur = UINT32_MAX;
	w->b = colstore_buffers_create();
	w->bm = colstore_buffers_create();
	w->vals = calloc(nc, sizeof(*w->vals));
	w->mvals = calloc(nc, sizeof(*w->mvals));
	w->scale = calloc(nc, sizeof(*w->scale));
	w->psum = calloc(nc, sizeof(*w->psum));
	w->psum_ok = calloc(nc, 1);
	w->sel = malloc(cs_bitmap_bytes(rgs) + 8);
	uint32_t slice = rgs < CS_BATCH_ROWS ? rgs : CS_BATCH_ROWS; /* rows cs_do_slice takes */
	w->idx = malloc((size_t)slice * sizeof(uint32_t));
	w->gid = malloc((size_t)slice * sizeof(uint32_t));
	w->keycap = 256;
	w->key = malloc(w->keycap);
	if (a->key == K_HASH) {
		w->koff = malloc((CS_SLICE + 1) * sizeof(*w->koff));
		w->khash = malloc(CS_SLICE * sizeof(*w->khash));
		if (!w->koff || !w->khash)
			return -1;
	}
	if (!w->b || !w->bm || !w->vals || !w->mvals || !w->scale || !w->psum || !w->psum_ok || !w->sel || !w->idx || !w->gid ||
	    !w->key || cs_state_init(a, &w->st))
		return -1;
	return 0;
}

static void cs_worker_free(cs_worker *w)
{
	colstore_buffers_free(w->b);
	colstore_buffers_free(w->bm);
	free(w->vals);
	free(w->mvals);
	free(w->scale);
	free(w->psum);
	free(w->psum_ok);
	free(w->sel);
	free(w->idx);
	free(w->gid);
	free(w->key);
	free(w->koff);
	free(w->khash);
	free(w->order);
	free(w->tmp);
	cs_state_free(&w->st);
}

/* one pass of nw workers over every row group; their groups merged into a->st */
int cs_run_pass(colstore_agg *a, uint32_t nw, colstore_error *err)
{
	colstore_reader *r = a->r;
	int rc = COLSTORE_OK;
	cs_run run = { .a = a, .nw = nw };
	run.w = calloc(nw, sizeof(cs_worker));
	run.rg_lo = malloc(((size_t)r->num_row_groups + 1) * sizeof(uint64_t));
	if (!run.w || !run.rg_lo) {
		free(run.w);
		free(run.rg_lo);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	/* where each row group begins, made nondecreasing from the end */
	uint64_t end = 0, lo, hi;
	for (uint32_t g = 0; g < r->num_row_groups; g++) {
		cs_row_group_span(r, g, &lo, &hi);
		run.rg_lo[g] = lo;
		if (lo < hi && hi > end)
			end = hi;
	}
	run.rg_lo[r->num_row_groups] = end;
	for (uint32_t g = r->num_row_groups; g-- > 0;)
		if (run.rg_lo[g] > run.rg_lo[g + 1])
			run.rg_lo[g] = run.rg_lo[g + 1];
	/* unlike the reader's count: the first release drops what earlier
	 * queries on this reader may have left mapped */
	run.map_reads = __atomic_load_n(&r->map_reads, __ATOMIC_RELAXED) - 1;
	pthread_mutex_init(&run.mu, NULL);
	pthread_mutex_init(&run.smu, NULL);
	uint32_t started = 0;
	for (uint32_t k = 0; k < nw && !rc; k++) {
		if (cs_worker_init(&run.w[k], &run))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	if (!rc && r->mapped)
		cs_map_advise_sequential(r->data, r->size);
	/* worker 0 runs on this thread */
	for (uint32_t k = 1; k < nw && !rc; k++) {
		if (pthread_create(&run.w[k].th, NULL, cs_worker_main, &run.w[k]))
			break; /* fewer threads: the others share the work */
		started = k;
	}
	if (!rc)
		cs_worker_main(&run.w[0]);
	for (uint32_t k = 1; k <= started; k++)
		pthread_join(run.w[k].th, NULL);
	a->threads_used = started + 1;
	for (uint32_t k = 0; k < nw && !rc; k++)
		if (run.w[k].rc) { /* the first failure in worker order */
			if (err)
				*err = run.w[k].err;
			rc = run.w[k].rc;
		}
	/* K_HASH: once a worker wrote a run, every worker's groups go to runs */
	for (uint32_t k = 0; k < nw && !rc && run.sp_open; k++)
		if ((rc = cs_flush_groups(&run.w[k])) && err)
			*err = run.w[k].err;
	if (run.sp_open) {
		a->spill_bytes += cs_spill_pos(&run.sp);
		if (!rc) {
			a->hsp = run.sp;
			a->hrun = run.runs;
			a->nhrun = run.nruns;
			a->hspilled = 1;
		} else {
			cs_spill_close(&run.sp);
			free(run.runs);
		}
		run.sp_open = 0;
	}
	for (uint32_t k = 0; k < nw; k++) {
		a->rg_read += run.w[k].rg_read;
		a->rg_skipped += run.w[k].rg_skipped;
	}
	/* merge into worker 0's groups, which become the result */
	for (uint32_t k = 1; k < nw && !rc && !a->hspilled; k++)
		if (cs_merge_state(a, &run.w[0].st, &run.w[k].st))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!rc && !a->hspilled) { /* spilled: the groups are in the runs */
		a->st = run.w[0].st;
		memset(&run.w[0].st, 0, sizeof(run.w[0].st));
	}
	for (uint32_t k = 0; k < nw; k++)
		cs_worker_free(&run.w[k]);
	pthread_mutex_destroy(&run.mu);
	pthread_mutex_destroy(&run.smu);
	free(run.w);
	free(run.rg_lo);
	return rc;
}
