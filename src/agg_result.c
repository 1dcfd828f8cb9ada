/*
 * agg_result.c -- colstore_agg's results: the group-by values of a group
 * (decoded from a K_HASH key, or from a dense position), the order of
 * groups, the groups sorted into it, and the cells handed out.
 */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"

/* ---- results --------------------------------------------------------------------- */

/* decodes group-by value k at *p, in a K_HASH key (cs_key_part), and
 * steps past it */
static void cs_key_next(const colstore_agg *a, uint32_t k, const uint8_t **pp, colstore_cell *c)
{
	const uint8_t *p = *pp;
	memset(c, 0, sizeof(*c));
	c->type = (colstore_type)cs_slot_type(a, a->gb[k]);
	c->is_null = p[0];
	if (c->is_null) {
		*pp = p + 1;
		return;
	}
	if (a->kcode[k]) { /* codes were checked against the dictionary when read */
		uint32_t code;
		memcpy(&code, p + 1, 4);
		colstore_reader_dict_lookup(a->r, a->gb[k], code, &c->s, &c->len, NULL);
		*pp = p + 5;
		return;
	}
	if (c->type == COLSTORE_TYPE_STRING) {
		memcpy(&c->len, p + 1, 4);
		c->s = (const char *)p + 5;
		*pp = p + 5 + c->len;
		return;
	}
	if (cs_is_float(c->type))
		memcpy(&c->d, p + 1, 8);
	else
		memcpy(&c->i, p + 1, 8);
	*pp = p + 9;
}

/* group-by value k of a K_HASH key */
static void cs_key_at(const colstore_agg *a, const uint8_t *p, uint32_t k, colstore_cell *c)
{
	for (uint32_t j = 0; j < k; j++)
		cs_key_next(a, j, &p, c);
	cs_key_next(a, k, &p, c);
}

/* decode group-by value k of group g */
static void cs_key_cell(const colstore_agg *a, uint64_t g, uint32_t k, colstore_cell *c)
{
	memset(c, 0, sizeof(*c));
	c->type = (colstore_type)cs_slot_type(a, a->gb[k]);
	if (a->key == K_DICT) {
		c->is_null = g == a->r->columns[a->gb[0]].dict_count;
		if (!c->is_null)
			colstore_reader_dict_lookup(a->r, a->gb[0], (uint32_t)g, &c->s, &c->len, NULL);
		return;
	}
	if (a->key == K_INT) {
		c->is_null = g == a->key_slots - 1;
		c->i = (int64_t)((uint64_t)a->key_min + g);
		return;
	}
	cs_key_at(a, a->st.keys + a->st.key_off[g], k, c);
}

int cs_cell_cmp(const colstore_cell *x, const colstore_cell *y)
{
	if (x->is_null || y->is_null)
		return x->is_null - y->is_null; /* nulls last */
	if (x->type == COLSTORE_TYPE_STRING)
		return cs_bytes_cmp(x->s, x->len, y->s, y->len);
	if (cs_is_float(x->type)) {
		if (isnan(x->d) || isnan(y->d))
			return isnan(x->d) - isnan(y->d);
		return (x->d > y->d) - (x->d < y->d);
	}
	return (x->i > y->i) - (x->i < y->i);
}

/* two K_HASH keys in result order */
int cs_keys_cmp(const colstore_agg *a, const uint8_t *p, const uint8_t *q)
{
	for (uint32_t k = 0; k < a->ngb; k++) {
		colstore_cell x, y;
		cs_key_next(a, k, &p, &x);
		cs_key_next(a, k, &q, &y);
		int c = cs_cell_cmp(&x, &y);
		if (c)
			return c;
	}
	return 0;
}

/* group-by value k of a K_HASH key at *pp as 64 bits whose unsigned order
 * is that of cs_cell_cmp: exactly (*exact) for a string held by its code
 * (its rank in the sorted dictionary), a number or a date; a plain string
 * by its first 8 bytes (ties to be settled by the keys) */
static uint64_t cs_key_rank(const colstore_agg *a, uint32_t k, const uint8_t **pp, int *exact)
{
	const uint8_t *p = *pp;
	*exact = 1;
	if (a->kcode[k] && a->kranks && a->kranks[k]) {
		*pp = p + (p[0] ? 1 : 5);
		if (p[0])
			return UINT64_MAX; /* nulls last */
		uint32_t code;
		memcpy(&code, p + 1, 4);
		return a->kranks[k][code];
	}
	colstore_cell c;
	cs_key_next(a, k, pp, &c);
	if (c.is_null)
		return UINT64_MAX;
	if (c.type == COLSTORE_TYPE_STRING) {
		uint8_t b[8] = { 0 };
		memcpy(b, c.s, c.len < 8 ? c.len : 8);
		uint64_t v = 0;
		for (int i = 0; i < 8; i++)
			v = v << 8 | b[i];
		*exact = 0;
		return v;
	}
	uint64_t v;
	if (cs_is_float(c.type)) { /* NaN (made positive) above +inf */
		memcpy(&v, &c.d, 8);
		v = v >> 63 ? ~v : v | (uint64_t)1 << 63;
	} else {
		v = (uint64_t)c.i ^ (uint64_t)1 << 63;
	}
	*exact = v != UINT64_MAX; /* INT64_MAX or a NaN: the same as a null, to be settled */
	return v;
}

typedef struct {
	uint64_t p0, p1, g;
} cs_pgroup;

typedef struct {
	const colstore_agg *a;
	const cs_state *st;
	int exact; /* p0 and p1 order the keys wholly */
} cs_sortctx;

static int cs_pgroup_cmp(const void *pa, const void *pb, void *ctx)
{
	const cs_pgroup *x = pa, *y = pb;
	const cs_sortctx *c = ctx;
	if (x->p0 != y->p0)
		return x->p0 < y->p0 ? -1 : 1;
	if (c->exact) { /* equal ranks: equal first keys; then the second's */
		if (x->p1 != y->p1)
			return x->p1 < y->p1 ? -1 : 1;
		return (x->g > y->g) - (x->g < y->g);
	}
	const cs_state *st = c->st;
	return cs_keys_cmp(c->a, st->keys + st->key_off[x->g], st->keys + st->key_off[y->g]);
}

/* a K_HASH state's groups in result order, into order: sorted by the
 * first two keys as 64-bit ranks held beside each group (a dictionary
 * string's rank, not its text), so that most comparisons, and with one or
 * two such keys all of them, do not go to the keys; -1 when out of memory */
int cs_sort_hashed(const colstore_agg *a, const cs_state *st, uint64_t *order)
{
	cs_pgroup *p = cs_malloc_big((st->nrec ? st->nrec : 1) * sizeof(*p));
	if (!p)
		return -1;
	int exact = a->ngb <= 2;
	for (uint64_t g = 0; g < st->nrec; g++) {
		const uint8_t *key = st->keys + st->key_off[g];
		int e0, e1 = 1;
		p[g].p0 = cs_key_rank(a, 0, &key, &e0);
		p[g].p1 = a->ngb > 1 ? cs_key_rank(a, 1, &key, &e1) : 0;
		p[g].g = g;
		exact &= e0 & e1;
	}
	if (st->nrec > 1)
		qsort_r(p, st->nrec, sizeof(*p), cs_pgroup_cmp, &(cs_sortctx){ a, st, exact });
	for (uint64_t g = 0; g < st->nrec; g++)
		order[g] = p[g].g;
	free(p);
	return 0;
}

/* ---- a dense key's result on several threads ------------------------------- */

/* the threads that prepare a result of n groups: the scan's, for a
 * million groups (a few thousand are done before threads would start) */
#define CS_RESULT_PAR_MIN 65536u
static uint32_t cs_result_threads(const colstore_agg *a, uint64_t n)
{
	uint32_t nt = a->threads_used ? a->threads_used : 1;
	return n >= CS_RESULT_PAR_MIN ? (nt < CS_PAR_MAX ? nt : CS_PAR_MAX) : 1;
}

typedef struct cs_keys_par {
	const colstore_agg *a;
	const cs_state *st;
	cs_sort_item *it;
	size_t *cnt;
	uint32_t col, nul;
} cs_keys_par;

/* codes [nul t / nt, nul (t+1) / nt): those with rows, and their strings,
 * at it[nul t / nt ...]; their count in cnt[t] */
static void cs_keys_part(void *ctx, uint32_t t, uint32_t nt)
{
	const cs_keys_par *p = ctx;
	const uint32_t lo = (uint32_t)((uint64_t)p->nul * t / nt);
	const uint32_t hi = (uint32_t)((uint64_t)p->nul * (t + 1) / nt);
	cs_sort_item *it = p->it + lo;
	size_t k = 0;
	for (uint32_t c = lo; c < hi; c++)
		if (*(const int64_t *)(const void *)cs_rec(p->a, p->st, c)) {
			colstore_reader_dict_lookup(p->a->r, p->col, c, &it[k].s, &it[k].len, NULL);
			it[k++].id = c;
		}
	p->cnt[t] = k;
}

/* the records of groups [ngroups t / nt, ngroups (t+1) / nt) copied into
 * result order, each fetched CS_PF_ROWS ahead */
static void cs_gather_part(void *ctx, uint32_t t, uint32_t nt)
{
	colstore_agg *a = ctx;
	const cs_state *st = &a->st;
	const uint64_t n = a->ngroups, lo = n * t / nt, hi = n * (t + 1) / nt;
	for (uint64_t j = lo; j < hi; j++) {
		if (j + CS_PF_ROWS < hi)
			__builtin_prefetch(cs_rec(a, st, a->order[j + CS_PF_ROWS]));
		memcpy(a->srecs + j * a->rec_size, cs_rec(a, st, a->order[j]), a->rec_size);
	}
}

int cs_sort_groups(colstore_agg *a, colstore_error *err)
{
	cs_state *st = &a->st;
	a->order = cs_malloc_big((st->nrec ? st->nrec : 1) * sizeof(uint64_t));
	if (!a->order)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint64_t n = 0;
	if (a->key == K_NONE) {
		a->order[n++] = 0; /* one row, even for no input (as SQL) */
	} else if (a->key == K_INT) {
		for (uint64_t g = 0; g < st->nrec; g++) /* value order; the null slot is last */
			if (*(int64_t *)(void *)cs_rec(a, st, g))
				a->order[n++] = g;
	} else if (a->key == K_DICT) {
		uint32_t col = a->gb[0], nul = a->r->columns[col].dict_count;
		cs_sort_item *it = cs_malloc_big((st->nrec ? st->nrec : 1) * sizeof(*it));
		if (!it)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		/* the groups with rows and their strings, in code order: each
		 * thread's share of the codes at its start in it, then moved
		 * together */
		const uint32_t nt = cs_result_threads(a, nul);
		size_t cnt[CS_PAR_MAX];
		cs_keys_par kp = { a, st, it, cnt, col, nul };
		if (nt > 1)
			cs_par(nt, cs_keys_part, &kp);
		else
			cs_keys_part(&kp, 0, 1);
		size_t k = cnt[0];
		for (uint32_t t = 1; t < nt; t++) {
			memmove(it + k, it + (uint64_t)nul * t / nt, cnt[t] * sizeof(*it));
			k += cnt[t];
		}
		if (cs_sort_strings(it, k, nt)) {
			free(it);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		/* each group's key string, in result order: read once here, where
		 * the sort has just read them, not again a row at a time */
		a->kstr = cs_malloc_big((k ? k : 1) * sizeof(*a->kstr));
		if (!a->kstr) {
			free(it);
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		}
		for (size_t j = 0; j < k; j++) {
			a->order[n++] = it[j].id;
			a->kstr[j].s = it[j].s;
			a->kstr[j].len = it[j].len;
		}
		free(it);
		if (*(int64_t *)(void *)cs_rec(a, st, nul))
			a->order[n++] = nul;
	} else {
		if (cs_sort_hashed(a, st, a->order))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		n = st->nrec;
	}
	a->ngroups = n;
	if (a->key == K_DICT || a->key == K_INT) {
		/* the records copied into result order, so that reading the result
		 * goes through memory once in order: in a tight loop that fetches
		 * ahead, instead of a cache miss a group in the caller's loop */
		a->srecs = cs_malloc_big((n ? n : 1) * a->rec_size);
		if (!a->srecs)
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		const uint32_t nt = cs_result_threads(a, n);
		if (nt > 1)
			cs_par(nt, cs_gather_part, a);
		else
			cs_gather_part(a, 0, 1);
		/* the copy replaces the dense array (of every position, empty ones
		 * too): memory stays within what cs_mem_plan planned for */
		if (st->recs_mapped)
			cs_unmap(st->recs, st->recs_mapped);
		else
			free(st->recs);
		st->recs = NULL;
		st->recs_mapped = 0;
	}
	return COLSTORE_OK;
}

uint64_t colstore_agg_num_groups(const colstore_agg *a)
{
	return a && a->ready ? a->ngroups : 0;
}

uint32_t colstore_agg_num_columns(const colstore_agg *a)
{
	return a ? a->ngb + a->nagg : 0;
}

const char *colstore_agg_column_name(const colstore_agg *a, uint32_t k)
{
	if (!a || k >= a->ngb + a->nagg)
		return NULL;
	return k < a->ngb ? a->gname[k] : a->aggs[k - a->ngb].name;
}

void colstore_agg_row_groups(const colstore_agg *a, uint32_t *read, uint32_t *skipped)
{
	if (read)
		*read = a ? a->rg_read : 0;
	if (skipped)
		*skipped = a ? a->rg_skipped : 0;
}

/* ---- a large result on several threads (colstore_agg_parts) ------------------ */

typedef struct cs_parts {
	colstore_agg_part_fn make;
	void *ctx;
	uint64_t first, part, end; /* this round's first group, the part size, the last + 1 */
	int rc[CS_PAR_MAX];
	colstore_error err[CS_PAR_MAX];
} cs_parts;

static void cs_part_make(void *ctx, uint32_t t, uint32_t nt)
{
	(void)nt;
	cs_parts *p = ctx;
	uint64_t f = p->first + t * p->part, e = f + p->part < p->end ? f + p->part : p->end;
	p->rc[t] = f < e ? p->make(p->ctx, f, e, t, &p->err[t]) : COLSTORE_OK;
}

int colstore_agg_parts(const colstore_agg *a, uint64_t part_groups, colstore_agg_part_fn make,
                       colstore_agg_write_fn write, void *ctx, colstore_error *err)
{
	if (!a || !(a->ready || a->ranking) || !make || !write)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "colstore_agg_parts: a run aggregation and both functions are required");
	cs_parts *p = calloc(1, sizeof(*p));
	if (!p)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	p->make = make;
	p->ctx = ctx;
	p->end = a->ngroups;
	p->part = part_groups ? part_groups : 65536;
	if (p->part > p->end) /* (one part; no sum below can wrap) */
		p->part = p->end ? p->end : 1;
	uint32_t nt = cs_result_threads(a, a->ngroups);
	int rc = COLSTORE_OK;
	/* rounds of nt parts: made at once, then written in order */
	for (p->first = 0; !rc && p->first < p->end;) {
		uint64_t left = (p->end - p->first + p->part - 1) / p->part;
		uint32_t n = left < nt ? (uint32_t)left : nt;
		if (n > 1)
			cs_par(n, cs_part_make, p);
		else
			cs_part_make(p, 0, 1);
		for (uint32_t t = 0; t < n && !rc; t++) {
			colstore_error we;
			memset(&we, 0, sizeof(we));
			if ((rc = p->rc[t]) || (rc = write(ctx, t, &we)))
				if (err)
					*err = p->rc[t] ? p->err[t] : we;
		}
		p->first = p->first + (uint64_t)n * p->part < p->end ? p->first + (uint64_t)n * p->part
		                                                     : p->end;
	}
	free(p);
	return rc;
}

int colstore_agg_cell(const colstore_agg *a, uint64_t group, uint32_t k, colstore_cell *out)
{
	if (!a || !(a->ready || a->ranking) || group >= a->ngroups || k >= a->ngb + a->nagg || !out)
		return COLSTORE_ERANGE;
	if (a->opos) /* ranked (agg_order.c) */
		group = a->opos[group];
	uint64_t g = 0;
	const uint8_t *rec;
	const char *strs = a->st.strs; /* of string min/max */
	if (a->hidx) { /* see cs_put_entry */
		const uint8_t *e = a->hruns + a->hidx[group];
		rec = e + 8;
		strs = (const char *)e;
		if (k < a->ngb) {
			cs_key_at(a, cs_entry_key(a, e), k, out);
			return COLSTORE_OK;
		}
	} else if (a->spill) { /* record, then its group id */
		rec = a->spill + group * ((uint64_t)a->rec_size + 8);
		memcpy(&g, rec + a->rec_size, 8);
	} else {
		g = a->order[group];
		rec = a->srecs ? a->srecs + group * a->rec_size : cs_rec(a, &a->st, g);
	}
	if (k < a->ngb && a->kstr && group < a->ngroups && g != a->r->columns[a->gb[0]].dict_count) {
		memset(out, 0, sizeof(*out)); /* K_DICT: the key string read at the sort */
		out->type = COLSTORE_TYPE_STRING;
		out->s = a->kstr[group].s;
		out->len = a->kstr[group].len;
		/* the groups' strings lie in dictionary order, not in result
		 * order: a miss each (and on a VM a page walk) unless fetched
		 * ahead for the caller that reads the groups in order */
		const uint64_t ahead = group + CS_PF_ROWS; /* (kstr has no entry for the null group) */
		if (ahead < a->ngroups && !a->opos && a->order && !a->spill && !a->hidx &&
		    a->order[ahead] != a->r->columns[a->gb[0]].dict_count)
			__builtin_prefetch(a->kstr[ahead].s);
		return COLSTORE_OK;
	}
	if (k < a->ngb) {
		cs_key_cell(a, g, k, out);
		return COLSTORE_OK;
	}
	const cs_aggspec *s = &a->aggs[k - a->ngb];
	const void *acc = rec + s->off;
	memset(out, 0, sizeof(*out));
	out->type = s->out_type;
	switch (s->kind) {
	case AK_ROWS: out->i = *(const int64_t *)(const void *)rec; break;
	case AK_DISTINCT: out->i = (int64_t)a->distinct[k - a->ngb][group]; break;
	case AK_QUANT:
		out->is_null = a->qnull[k - a->ngb][group];
		out->d = a->quant[k - a->ngb][group];
		break;
	case AK_HLL: out->i = cs_hll_estimate(acc); break;
	case AK_COUNT: out->i = ((const cs_acount *)acc)->n; break;
	case AK_ISUM: {
		const cs_aisum *u = acc;
		out->is_null = u->n == 0;
		if (s->fn == A_SUM)
			out->i = (int64_t)u->s.lo; /* checked to fit after the run */
		else
			out->d = u->n ? (double)cs_i128_get(&u->s) / (double)u->n : 0;
		break;
	}
	case AK_VAR: {
		const cs_avar *u = acc;
		const int sample = s->fn == A_VAR || s->fn == A_STD;
		out->is_null = u->n == 0 || (sample && u->n < 2); /* as SQL's var_samp */
		if (!out->is_null) {
			out->d = cs_var_value(u, cs_is_float(s->type), sample);
			if (s->fn == A_STD || s->fn == A_STD_POP)
				out->d = sqrt(out->d);
		}
		break;
	}
	case AK_FSUM: {
		const cs_afsum *u = acc;
		out->is_null = u->n == 0;
		out->d = s->fn == A_SUM ? cs_fsum_value(&u->f) : cs_fsum_mean(&u->f, u->n);
		break;
	}
	default: {
		const cs_amm *u = acc;
		out->is_null = u->n == 0;
		if (s->kind == AK_SMM) {
			out->s = strs + u->v.s.off;
			out->len = u->v.s.len;
		} else if (s->kind == AK_FMM) {
			out->d = u->v.d;
		} else {
			out->i = u->v.i;
		}
		break;
	}
	}
	return COLSTORE_OK;
}
