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
#include "scan.h"

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
	cs_calc_run **xr; /* per expression (a->xs) */
	int64_t *lsum;  /* a few dense groups: per-batch sums (cs_kargs), */
	uint32_t *lcnt; /* counts of values, */
	uint32_t *lhist; /* and rows, a group */
	colstore_error err;
} cs_worker;

struct cs_run {
	colstore_agg *a;
	uint32_t nw;
	cs_worker *w;
	uint32_t *scols, nscols; /* the columns the scan decodes */
	uint32_t batch;          /* rows a batch holds at most */
	uint8_t *scanned;        /* per column: the scan decodes it */
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
	if (a->gb[0] >= a->r->num_columns) /* an expression: its columns' statistics */
		return cs_err(&w->err, COLSTORE_ECORRUPT, COLSTORE_NO_OFFSET,
		              "row group %u: %s takes a value outside the range [%lld, %lld] that the "
		              "file's statistics of its columns give (false statistics: colstore "
		              "verify names them)",
		              g, cs_slot_text(a, a->gb[0]), (long long)a->key_min,
		              (long long)((uint64_t)a->key_min + a->key_slots - 2));
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
		/* each width in a loop of its own (no test of the type a row) */
#define CS_KINT(T)                                                                         \
	do {                                                                               \
		const T *x_ = v0->data;                                                    \
		if (!idx && !vb) {                                                         \
			uint64_t bad_ = 0;                                                 \
			for (uint32_t k = 0; k < m; k++) {                                 \
				uint64_t off = (uint64_t)(int64_t)x_[k] - lo;              \
				bad_ |= off >= nul;                                        \
				gid[k] = (uint32_t)off;                                    \
			}                                                                  \
			outside = bad_ != 0;                                               \
		} else {                                                                   \
			for (uint32_t k = 0; k < m; k++) {                                 \
				uint32_t i = idx ? idx[k] : k;                             \
				uint64_t off = (uint64_t)(int64_t)x_[i] - lo;              \
				int valid = !vb || cs_bit_get(vb, i);                      \
				outside |= valid && off >= nul;                            \
				gid[k] = valid ? (uint32_t)off : nul;                      \
			}                                                                  \
		}                                                                          \
	} while (0)
		switch (v0->type) {
		case COLSTORE_TYPE_INT8: CS_KINT(int8_t); break;
		case COLSTORE_TYPE_INT16: CS_KINT(int16_t); break;
		case COLSTORE_TYPE_INT32:
		case COLSTORE_TYPE_DATE: CS_KINT(int32_t); break;
		case COLSTORE_TYPE_BOOL:
			for (uint32_t k = 0; k < m; k++) {
				uint32_t i = idx ? idx[k] : k;
				uint64_t off = (uint64_t)cs_ival(v0, i) - lo;
				int valid = !vb || cs_bit_get(vb, i);
				outside |= valid && off >= nul;
				gid[k] = valid ? (uint32_t)off : nul;
			}
			break;
		default: CS_KINT(int64_t); break;
		}
#undef CS_KINT
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

static int cs_apply(cs_worker *w, uint32_t m, const uint32_t *idx, const uint32_t *gid,
                    int rows);
static int cs_hash_rows(cs_worker *w, uint32_t m, const uint32_t *idx);

static int cs_do_slice(cs_worker *w, uint32_t g, uint32_t s0, uint32_t n, uint32_t m,
                       const uint32_t *idx);

/* an expression's column: read for the slice already (its values are
 * needed, cs_plan) */
static int cs_worker_get(void *ctx, uint32_t col, colstore_values *v, colstore_error *err)
{
	const cs_worker *w = ctx;
	(void)err;
	*v = w->vals[col];
	return COLSTORE_OK;
}

/* an expression's float64 column as DECIMAL mantissas where its chunk is
 * (read for the slice already: cs_plan set need & 2) */
static int cs_worker_get_m(void *ctx, uint32_t col, colstore_values *v, int *scale,
                           colstore_error *err)
{
	const cs_worker *w = ctx;
	(void)err;
	*v = w->mvals[col];
	*scale = w->scale[col];
	return COLSTORE_OK;
}

/* is column c's only aggregate a sum over all rows (no group key)?  Its
 * total may then come from a chunk's packed bits, or as DECIMAL mantissas,
 * and the scan does not decode it (cs_do_slice, cs_run_pass) */
static int cs_packed_total(const colstore_agg *a, uint32_t c)
{
	return a->sum_only[c] && a->key == K_NONE;
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
		if (cs_packed_total(a, c) && whole) {
			/* one total: taken from the packed bits when it can be */
			int done;
			if ((rc = cs_chunk_sum(r, g, c, w->b, idx, m, &w->psum[c], &w->scale[c], &done,
			                       &w->err)))
				return rc;
			if ((w->psum_ok[c] = (uint8_t)done))
				continue;
		}
		if ((a->need[c] & 1) && !w->run->scanned[c] &&
		    (rc = cs_values_range(r, g, c, w->b, s0, n, &w->vals[c], NULL, &w->err)))
			return rc;
		if ((a->need[c] & 2) &&
		    (rc = cs_values_range(r, g, c, w->bm, s0, n, &w->mvals[c], &w->scale[c], &w->err)))
			return rc;
	}
	/* the expressions, on the rows taken alone (an overflow elsewhere is
	 * no error) */
	for (uint32_t e = 0; e < a->nx; e++) {
		const uint32_t slot = r->num_columns + e;
		cs_cvec cv;
		if (!a->need[slot])
			continue;
		if ((rc = a->xdec[e] ? cs_calc_eval_m(w->xr[e], cs_worker_get, cs_worker_get_m, w, n, idx,
		                                      m, a->xdec[e] == 2, &cv, &w->err)
		                     : cs_calc_eval(w->xr[e], cs_worker_get, w, n, idx, m, &cv, &w->err)))
			return rc;
		if (cs_calc_values(w->xr[e], &cv, n, &w->vals[slot]))
			return cs_err(&w->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (a->need[slot] & 2) { /* its decimal form, for sums */
			w->mvals[slot] = w->vals[slot];
			w->scale[slot] = cv.mscale;
			if (cv.mscale >= 0)
				w->mvals[slot].data = cv.m;
		}
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
		if (w->lhist && w->st.nrec <= CS_LOCAL_GROUPS) {
			/* a few groups: the batch's rows in each, counted once for the
			 * row counts and every aggregate over a column without nulls */
			uint32_t *h = w->lhist;
			if (w->st.nrec <= CS_SIMD_GROUPS) {
				cs_simd()->ghist(gid, m, (uint32_t)w->st.nrec, h);
			} else {
				memset(h, 0, w->st.nrec * sizeof(*h));
				for (uint32_t k = 0; k < m; k++)
					h[gid[k]]++;
			}
			for (uint64_t p = 0; p < w->st.nrec; p++)
				*(int64_t *)(void *)cs_rec(a, &w->st, p) += h[p];
		} else if (w->st.nrec * a->rec_size > CS_PF_BYTES) {
			return cs_apply(w, m, idx, gid, 1); /* counted there */
		} else {
			for (uint32_t k = 0; k < m; k++)
				(*(int64_t *)(void *)cs_rec(a, &w->st, gid[k]))++;
		}
	} else {
		*(int64_t *)(void *)w->st.recs += m;
	}
	return cs_apply(w, m, idx, gid, 0);
}


/* can spec s join cs_kernel_dec_local's pass over this batch? */
static int cs_dec_fusable(const cs_worker *w, const cs_aggspec *s)
{
	const colstore_agg *a = w->run->a;
	return (s->kind == AK_FSUM || (s->kind == AK_FMM && s->col < a->r->num_columns)) &&
	       (a->need[s->col] & 2) &&
	       !w->psum_ok[s->col] && w->scale[s->col] >= 0 && !w->mvals[s->col].validity;
}

/* can spec s count the rows into the records in its pass (cs_kargs.rows)? */
static int cs_rows_fusable(const cs_worker *w, const cs_aggspec *s)
{
	return s->kind == AK_ISUM && !w->psum_ok[s->col] && !w->vals[s->col].validity;
}

/* every aggregate over m rows idx[k] (or k), each into record gid[k] (or 0);
 * rows: the rows are still to be counted into their records (many groups:
 * by the first int sum without nulls as it passes, else here) */
static int cs_apply(cs_worker *w, uint32_t m, const uint32_t *idx, const uint32_t *gid,
                    int rows)
{
	colstore_agg *a = w->run->a;
	int rc;
	cs_kargs ka = { w->st.recs, a->rec_size, idx, gid, m, NULL, NULL, NULL, 0, 0 };
	if (gid && w->lsum && w->st.nrec <= CS_LOCAL_GROUPS) {
		ka.lsum = w->lsum;
		ka.lcnt = w->lcnt;
		ka.hist = w->lhist;
		ka.nrec = (uint32_t)w->st.nrec;
	}
	uint32_t counter = a->nagg; /* the spec that counts the rows */
	for (uint32_t k = 0; rows && !ka.lsum && k < a->nagg && counter == a->nagg; k++)
		if (cs_rows_fusable(w, &a->aggs[k]))
			counter = k;
	if (rows && counter == a->nagg)
		for (uint32_t k = 0; k < m; k++) {
			if (k + CS_PF_ROWS < m)
				__builtin_prefetch(cs_rec(a, &w->st, gid[k + CS_PF_ROWS]), 1);
			(*(int64_t *)(void *)cs_rec(a, &w->st, gid[k]))++;
		}
	/* a few groups: min, max and sum/avg of a DECIMAL column without nulls
	 * in one pass, one spec or several (specs taken so are marked in
	 * `fused`; the first 64 specs) */
	uint64_t fused = 0;
	for (uint32_t k = 0; ka.lsum && k < a->nagg && k < 64; k++) {
		const cs_aggspec *sp[64];
		uint32_t n = 0, c = a->aggs[k].col;
		if (fused >> k & 1 || !cs_dec_fusable(w, &a->aggs[k]))
			continue;
		for (uint32_t j = k; j < a->nagg && j < 64; j++)
			if (a->aggs[j].col == c && cs_dec_fusable(w, &a->aggs[j])) {
				sp[n++] = &a->aggs[j];
				fused |= (uint64_t)1 << j;
			}
		cs_kernel_dec_local(sp, n, &w->mvals[c], w->scale[c], &ka);
	}
	for (uint32_t k = 0; k < a->nagg; k++) {
		const cs_aggspec *s = &a->aggs[k];
		if (s->kind == AK_ROWS || s->kind == AK_DISTINCT || s->kind == AK_QUANT ||
		    (k < 64 && fused >> k & 1))
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
		/* an expression's decimal form serves sums alone (min and max keep
		 * its doubles) */
		const int mant = (a->need[s->col] & 2) && (s->col < a->r->num_columns || s->kind == AK_FSUM);
		ka.rows = k == counter;
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
		if ((rc = cs_apply(w, n, idx + s0, w->gid, 0)))
			return rc;
		if (a->budget && cs_state_bytes(a, &w->st) > a->budget && (rc = cs_flush_groups(w)))
			return rc;
	}
	return COLSTORE_OK;
}

/* one batch of the scan (scan.c): the scanned columns' values are in it;
 * the rest are read here (sums from packed bits, DECIMAL mantissas) */
static int cs_batch(void *ctx, const colstore_batch *b, colstore_error *err)
{
	cs_run *run = ctx;
	cs_worker *w = &run->w[b->worker];
	colstore_agg *a = run->a;
	int rc;
	if (a->key == K_NONE && a->count_only) { /* count(*): nothing to read */
		*(int64_t *)(void *)w->st.recs += b->selected;
		return COLSTORE_OK;
	}
	for (uint32_t k = 0; k < run->nscols; k++)
		w->vals[run->scols[k]] = b->values[k];
	if ((rc = cs_do_slice(w, b->row_group, b->first, b->rows, b->selected, b->sel)) && err)
		*err = w->err;
	return rc;
}

static int cs_worker_init(cs_worker *w, cs_run *run)
{
	colstore_agg *a = run->a;
	uint32_t nc = a->nslot ? a->nslot : 1;
	const uint32_t rgs = cs_scan_max_rows(a->r);
	memset(w, 0, sizeof(*w));
	w->run = run;
	w->b = colstore_buffers_create();
	w->bm = colstore_buffers_create();
	w->vals = calloc(nc, sizeof(*w->vals));
	w->mvals = calloc(nc, sizeof(*w->mvals));
	w->scale = calloc(nc, sizeof(*w->scale));
	w->psum = calloc(nc, sizeof(*w->psum));
	w->psum_ok = calloc(nc, 1);
	if (a->nx && !(w->xr = calloc(a->nx, sizeof(*w->xr))))
		return -1;
	for (uint32_t e = 0; e < a->nx; e++)
		if (!(w->xr[e] = cs_calc_run_new(a->xs[e])))
			return -1;
	uint32_t slice = rgs < run->batch ? rgs : run->batch; /* a batch's rows, at most */
	w->idx = malloc((size_t)slice * sizeof(uint32_t));
	w->gid = cs_calloc_populated(slice, sizeof(uint32_t)); /* written whole a batch */
	w->keycap = 256;
	w->key = malloc(w->keycap);
	if (a->key == K_DICT || a->key == K_INT) {
		w->lsum = malloc(CS_LOCAL_GROUPS * 2 * sizeof(__int128)); /* see cs_kargs */
		w->lcnt = malloc(CS_LOCAL_GROUPS * sizeof(*w->lcnt));
		w->lhist = malloc(CS_LOCAL_GROUPS * sizeof(*w->lhist));
		if (!w->lsum || !w->lcnt || !w->lhist)
			return -1;
	}
	if (a->key == K_HASH) {
		w->koff = malloc((CS_SLICE + 1) * sizeof(*w->koff));
		w->khash = malloc(CS_SLICE * sizeof(*w->khash));
		if (!w->koff || !w->khash)
			return -1;
	}
	if (!w->b || !w->bm || !w->vals || !w->mvals || !w->scale || !w->psum || !w->psum_ok || !w->idx || !w->gid ||
	    !w->key || cs_state_init(a, &w->st))
		return -1;
	return 0;
}

static void cs_worker_free(cs_worker *w)
{
	for (uint32_t e = 0; w->xr && e < w->run->a->nx; e++)
		cs_calc_run_free(w->xr[e]);
	free(w->xr);
	colstore_buffers_free(w->b);
	colstore_buffers_free(w->bm);
	free(w->vals);
	free(w->mvals);
	free(w->scale);
	free(w->psum);
	free(w->psum_ok);
	free(w->idx);
	free(w->gid);
	free(w->key);
	free(w->lsum);
	free(w->lcnt);
	free(w->lhist);
	free(w->koff);
	free(w->khash);
	free(w->order);
	free(w->tmp);
	cs_state_free(&w->st);
}

/* one pass of nw workers over every row group (a scan, scan.c); their
 * groups merged into a->st */
int cs_run_pass(colstore_agg *a, uint32_t nw, colstore_error *err)
{
	colstore_reader *r = a->r;
	int rc = COLSTORE_OK;
	cs_run run = { .a = a, .nw = nw };
	run.w = calloc(nw, sizeof(cs_worker));
	run.scols = malloc(r->num_columns * sizeof(uint32_t));
	run.scanned = calloc(r->num_columns, 1);
	if (!run.w || !run.scols || !run.scanned) {
		free(run.w);
		free(run.scols);
		free(run.scanned);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	/* the scan decodes the values the kernels read, in batches of
	 * CS_AGG_BATCH_ROWS (agg.h); a column's total that may come from the
	 * packed bits is left to cs_do_slice, which reads it from whole row
	 * groups */
	run.batch = CS_AGG_BATCH_ROWS;
	for (uint32_t c = 0; c < r->num_columns && !(a->key == K_NONE && a->count_only); c++) {
		if (cs_packed_total(a, c)) {
			run.batch = CS_BATCH_ROWS;
		} else if (a->need[c] & 1) {
			run.scanned[c] = 1;
			run.scols[run.nscols++] = c;
		}
	}
	pthread_mutex_init(&run.smu, NULL);
	for (uint32_t k = 0; k < nw && !rc; k++) {
		if (cs_worker_init(&run.w[k], &run))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	colstore_scan *scan = NULL;
	colstore_scan_options so = COLSTORE_SCAN_OPTIONS_INIT;
	so.threads = nw;
	if (!rc)
		rc = colstore_scan_create(r, run.scols, run.nscols, a->filter, &so, &scan, err);
	if (!rc) {
		cs_scan_set_batch(scan, run.batch);
		rc = colstore_scan_run(scan, cs_batch, NULL, &run, err);
	}
	if (scan) {
		a->threads_used = colstore_scan_threads_used(scan);
		if (a->pass == 0) {
			uint32_t read, skipped;
			colstore_scan_row_groups(scan, &read, &skipped);
			a->rg_read += read;
			a->rg_skipped += skipped;
		}
		colstore_scan_free(scan);
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
	/* merge into worker 0's groups, which become the result */
	for (uint32_t k = 1; k < nw && !rc && !a->hspilled; k++)
		if (cs_merge_state(a, &run.w[0].st, &run.w[k].st, nw))
			rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (!rc && !a->hspilled) { /* spilled: the groups are in the runs */
		a->st = run.w[0].st;
		memset(&run.w[0].st, 0, sizeof(run.w[0].st));
	}
	for (uint32_t k = 0; k < nw; k++)
		cs_worker_free(&run.w[k]);
	pthread_mutex_destroy(&run.smu);
	free(run.w);
	free(run.scols);
	free(run.scanned);
	return rc;
}
