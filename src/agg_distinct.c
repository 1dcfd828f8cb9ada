/*
 * agg_distinct.c -- count(distinct x), median(x) and quantile(x, p): a
 * second aggregation, count(*) by the keys and then x, whose groups come
 * out sorted by the keys and then x; each group of the result owns a run
 * of them (the same rows, the same filter, the same key order).  The run's
 * groups of a non-null x are its distinct count; their values, each with
 * its row count, are its values in order, from which a quantile is picked.
 * One second aggregation serves every such aggregate of one x.  It is
 * exact, and out of core as any group-by is: past the memory limit its
 * groups go to temporary files.  And approx_count_distinct's estimate from
 * its HyperLogLog registers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "agg.h"

static int cs_same_cell(const colstore_cell *x, const colstore_cell *y)
{
	if (x->is_null || y->is_null)
		return x->is_null == y->is_null;
	if (x->type == COLSTORE_TYPE_STRING)
		return x->len == y->len && (!x->len || memcmp(x->s, y->s, x->len) == 0);
	if (x->type == COLSTORE_TYPE_FLOAT32 || x->type == COLSTORE_TYPE_FLOAT64)
		return memcmp(&x->d, &y->d, sizeof(x->d)) == 0;
	return x->i == y->i;
}

/* do group g of a and group j of d have the same keys? */
static int cs_same_keys(const colstore_agg *a, uint64_t g, const colstore_agg *d, uint64_t j)
{
	for (uint32_t k = 0; k < a->ngb; k++) {
		colstore_cell x, y;
		colstore_agg_cell(a, g, k, &x);
		colstore_agg_cell(d, j, k, &y);
		if (!cs_same_cell(&x, &y))
			return 0;
	}
	return 1;
}

int64_t cs_hll_estimate(const cs_ahll *h)
{
	double sum = 0;
	uint32_t zeros = 0;
	for (uint32_t j = 0; j < CS_HLL_M; j++) {
		sum += ldexp(1.0, -(int)h->r[j]);
		zeros += h->r[j] == 0;
	}
	const double m = CS_HLL_M, alpha = 0.7213 / (1 + 1.079 / m);
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros) /* few values: linear counting of empty registers */
		e = m * log(m / zeros);
	return (int64_t)llround(e);
}

/* a cell's number as a double */
static double cs_cell_num(const colstore_cell *c)
{
	return c->type == COLSTORE_TYPE_FLOAT32 || c->type == COLSTORE_TYPE_FLOAT64 ? c->d : (double)c->i;
}

/* the second aggregation of x = slot col: count(*) by the keys and x */
static int cs_by_keys_and(colstore_agg *a, uint32_t col, const char *what, colstore_agg **out,
                          colstore_error *err)
{
	/* the keys, then x, as a list of names (names.c's rule) and
	 * expressions as written */
	size_t cap = 4;
	for (uint32_t i = 0; i <= a->ngb; i++)
		cap += 2 * strlen(cs_slot_text(a, i < a->ngb ? a->gb[i] : col)) + 4;
	char *gb = malloc(cap);
	if (!gb)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	size_t o = 0;
	for (uint32_t i = 0; i <= a->ngb; i++) {
		uint32_t c = i < a->ngb ? a->gb[i] : col;
		if (c < a->r->num_columns)
			o += cs_name_text(a->r->columns[c].name, gb + o, cap - o);
		else
			o += (size_t)snprintf(gb + o, cap - o, "%s", cs_slot_text(a, c));
		if (i < a->ngb)
			gb[o++] = ',';
	}
	gb[o] = '\0';
	colstore_agg *d;
	int rc = colstore_agg_create(a->r, "count(*)", gb, a->filter, &d, err);
	free(gb);
	if (rc)
		return rc;
	d->threads = a->threads;
	d->mem_limit = a->mem_limit;
	if ((rc = colstore_agg_run(d, err))) {
		colstore_agg_free(d);
		return rc;
	}
	(void)what;
	*out = d;
	return COLSTORE_OK;
}

/* group g's quantile q from its run [j0, j1) of d's groups (x ascending,
 * nulls last, each with its row count): the value at position (n - 1) q
 * of its n values, interpolated linearly between the two closest */
static void cs_quantile(const colstore_agg *a, const colstore_agg *d, uint64_t j0, uint64_t j1,
                        double q, double *out, uint8_t *is_null)
{
	uint64_t n = 0;
	for (uint64_t j = j0; j < j1; j++) {
		colstore_cell x, c;
		colstore_agg_cell(d, j, a->ngb, &x);
		colstore_agg_cell(d, j, a->ngb + 1, &c);
		if (!x.is_null)
			n += (uint64_t)c.i;
	}
	*is_null = n == 0;
	*out = 0;
	if (!n)
		return;
	const double h = (double)(n - 1) * q, fl = floor(h);
	const uint64_t lo = (uint64_t)fl, hi = (uint64_t)ceil(h);
	double vlo = 0, vhi = 0;
	uint64_t at = 0; /* values before group j */
	for (uint64_t j = j0; j < j1; j++) {
		colstore_cell x, c;
		colstore_agg_cell(d, j, a->ngb, &x);
		colstore_agg_cell(d, j, a->ngb + 1, &c);
		if (x.is_null)
			continue;
		uint64_t next = at + (uint64_t)c.i;
		if (lo >= at && lo < next)
			vlo = cs_cell_num(&x);
		if (hi >= at && hi < next) {
			vhi = cs_cell_num(&x);
			break;
		}
		at = next;
	}
	*out = hi == lo ? vlo : vlo + (vhi - vlo) * (h - fl);
}

/* ---- quantiles of a few dense groups, in memory -------------------------------------
 * Under no key or one dense key (K_DICT, K_INT, one pass), of a column:
 * every kept row's x is gathered into its group's stretch of one array
 * (each group's rows are known from the run), as 64-bit keys that sort as
 * the values do (nulls left out, -0 as 0, NaN above every number); a
 * quantile is then two order statistics, found by selection.  The same
 * values at the same positions as the second aggregation's (cs_quantile),
 * so the same result; used only when the array fits half the memory
 * limit. */

static uint64_t cs_qkey_double(double d)
{
	uint64_t b;
	if (d == 0)
		d = 0;
	if (isnan(d))
		d = NAN;
	memcpy(&b, &d, 8);
	return b >> 63 ? ~b : b | (UINT64_C(1) << 63);
}

static double cs_qval(uint64_t k, int is_float)
{
	if (!is_float)
		return (double)(int64_t)(k ^ (UINT64_C(1) << 63));
	uint64_t b = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
	double d;
	memcpy(&d, &b, 8);
	return d;
}

/* the k-th smallest of v[0 .. n) moved to v[k] (and smaller ones before it) */
static void cs_select(uint64_t *v, uint64_t n, uint64_t k)
{
	uint64_t lo = 0, hi = n - 1;
	while (hi > lo) {
		uint64_t mid = lo + (hi - lo) / 2;
		/* the median of three as the pivot */
		uint64_t a = v[lo], b = v[mid], c = v[hi];
		uint64_t pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		uint64_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				uint64_t t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/* a row the first pass did not have: the file changed under the reader */
static int cs_changed(colstore_error *err)
{
	return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "the second pass over the file found "
	              "rows the first did not (was the file changed while read?)");
}

static uint64_t cs_positions(const colstore_agg *a);

typedef struct cs_qgather {
	const colstore_agg *a;
	uint64_t *vals, *fill, *off;
	uint32_t *pos2g; /* a position's result group */
	int is_float;
} cs_qgather;

static int cs_qbatch(void *ctx, const colstore_batch *b, colstore_error *err)
{
	cs_qgather *q = ctx;
	const colstore_agg *a = q->a;
	const colstore_values *x = &b->values[0], *kv = b->ncols > 1 ? &b->values[1] : NULL;
	const uint8_t *xb = x->validity, *kb = kv ? kv->validity : NULL;
	(void)err;
	for (uint32_t j = 0; j < b->selected; j++) {
		const uint32_t i = b->sel ? b->sel[j] : j;
		if (xb && !cs_bit_get(xb, i))
			continue;
		uint64_t g = 0;
		if (kv) {
			uint64_t pos;
			if (kb && !cs_bit_get(kb, i))
				pos = a->key == K_DICT ? a->r->columns[a->gb[0]].dict_count : a->key_slots - 1;
			else if (a->key == K_DICT)
				pos = cs_code(kv, i);
			else
				pos = (uint64_t)cs_ival(kv, i) - (uint64_t)a->key_min;
			if (pos >= cs_positions(a) || (g = q->pos2g[pos]) >= a->ngroups)
				return cs_changed(err);
		}
		uint64_t at = q->off[g] + q->fill[g]++;
		if (at >= q->off[g + 1])
			return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "the second pass over the "
			              "file found more rows than the first (was the file changed while read?)");
		q->vals[at] = q->is_float ? cs_qkey_double(cs_dval(x, i))
		                          : (uint64_t)cs_ival(x, i) ^ (UINT64_C(1) << 63);
	}
	return COLSTORE_OK;
}

/* the rows each group keeps (the run's row counts) */
static uint64_t cs_group_rows(const colstore_agg *a, uint64_t g)
{
	return (uint64_t)*(const int64_t *)(const void *)(a->key == K_NONE ? a->st.recs
	                                                                     : a->srecs + g * a->rec_size);
}

/* the number of key positions of a dense key (K_NONE: one) */
static uint64_t cs_positions(const colstore_agg *a)
{
	return a->key == K_NONE ? 1
	       : a->key == K_DICT ? (uint64_t)a->r->columns[a->gb[0]].dict_count + 1
	                          : a->key_slots;
}

/* x's values as bit positions 0 .. *n - 1: a string column's dictionary
 * codes (every chunk dictionary-encoded: a code is a distinct string), or
 * an integer column's values less the least its statistics give */
static int cs_bit_domain(const colstore_agg *a, uint32_t col, uint64_t *n, int64_t *lo)
{
	const colstore_reader *r = a->r;
	const uint8_t t = r->columns[col].type;
	if (t == COLSTORE_TYPE_STRING) {
		*lo = 0;
		*n = r->columns[col].dict_count;
		return *n && cs_column_all_dict(r, col);
	}
	if (cs_is_float(t))
		return 0;
	int64_t mn = INT64_MAX, mx = INT64_MIN;
	for (uint32_t g = 0; g < r->num_row_groups; g++) {
		const cs_chunk *ch = cs_chunk_at(r, g, col);
		if (ch->null_count == ch->row_count)
			continue;
		if (!(ch->stats_flags & CS_STATS_MINMAX))
			return 0;
		mn = (int64_t)ch->min < mn ? (int64_t)ch->min : mn;
		mx = (int64_t)ch->max > mx ? (int64_t)ch->max : mx;
	}
	if (mn > mx)
		mn = mx = 0;
	*lo = mn;
	*n = (uint64_t)mx - (uint64_t)mn + 1;
	return *n != 0 && *n <= ((uint64_t)1 << 40);
}

/* can every count(distinct), median and quantile of x = spec k's column be
 * worked out here, under a dense key, within half the memory limit? */
static int cs_dense_able(const colstore_agg *a, uint32_t k)
{
	const cs_aggspec *s = &a->aggs[k];
	const colstore_reader *r = a->r;
	if (s->col >= r->num_columns || a->parts > 1 || a->hidx || a->spill ||
	    !(a->key == K_NONE || ((a->key == K_DICT || a->key == K_INT) && a->srecs &&
	                           a->gb[0] < r->num_columns))) /* a key of a column */
		return 0;
	int has_d = 0, has_q = 0;
	for (uint32_t j = k; j < a->nagg; j++)
		if (a->aggs[j].col == s->col) {
			has_d |= a->aggs[j].kind == AK_DISTINCT;
			has_q |= a->aggs[j].kind == AK_QUANT;
		}
	const uint64_t ng = a->ngroups, positions = cs_positions(a);
	if (positions > UINT32_MAX)
		return 0;
	uint64_t need = (ng + 1) * 16 + positions * 4;
	if (has_q) {
		uint64_t rows = 0;
		for (uint64_t g = 0; g < ng; g++)
			rows += cs_group_rows(a, g);
		need += rows * 8;
	}
	if (has_d) {
		uint64_t n;
		int64_t lo;
		if (!cs_bit_domain(a, s->col, &n, &lo) || (ng ? ng : 1) > UINT64_MAX / 8 / n)
			return 0;
		need += (ng ? ng : 1) * ((n + 63) / 64) * 8;
	}
	return need <= cs_agg_limit(a) / 2;
}

/* a dense key's position of row i of key values kv (K_NONE: kv NULL) */
static uint64_t cs_dense_pos(const colstore_agg *a, const colstore_values *kv, uint32_t i)
{
	if (!kv)
		return 0;
	if (kv->validity && !cs_bit_get(kv->validity, i))
		return a->key == K_DICT ? a->r->columns[a->gb[0]].dict_count : a->key_slots - 1;
	return a->key == K_DICT ? cs_code(kv, i) : (uint64_t)cs_ival(kv, i) - (uint64_t)a->key_min;
}

/* count(distinct x) of every group: a bitmap of x's domain per group */
typedef struct cs_dgather {
	const colstore_agg *a;
	uint64_t *bits, words, n;
	int64_t lo;
	uint32_t *pos2g;
	uint32_t col;
} cs_dgather;


static int cs_dbatch(void *ctx, const colstore_batch *b, colstore_error *err)
{
	cs_dgather *q = ctx;
	const colstore_values *x = &b->values[0], *kv = b->ncols > 1 ? &b->values[1] : NULL;
	const int is_str = x->type == COLSTORE_TYPE_STRING;
	for (uint32_t j = 0; j < b->selected; j++) {
		const uint32_t i = b->sel ? b->sel[j] : j;
		if (x->validity && !cs_bit_get(x->validity, i))
			continue;
		uint64_t v = is_str ? cs_code(x, i) : (uint64_t)cs_ival(x, i) - (uint64_t)q->lo;
		if (v >= q->n) /* false statistics */
			return cs_err(err, COLSTORE_ECORRUPT, COLSTORE_NO_OFFSET, "row group %u column '%s': "
			              "a value lies outside the range its statistics give (false statistics: "
			              "colstore verify names them)", b->row_group, q->a->r->columns[q->col].name);
		uint64_t pos = cs_dense_pos(q->a, kv, i), g;
		if (pos >= cs_positions(q->a) || (g = q->pos2g[pos]) >= (q->a->ngroups ? q->a->ngroups : 1))
			return cs_changed(err);
		q->bits[g * q->words + v / 64] |= (uint64_t)1 << (v % 64);
	}
	return COLSTORE_OK;
}

static int cs_distinct_dense(colstore_agg *a, uint32_t k0, uint32_t *pos2g, colstore_error *err)
{
	const cs_aggspec *s = &a->aggs[k0];
	cs_dgather q = { a, NULL, 0, 0, 0, pos2g, s->col };
	cs_bit_domain(a, s->col, &q.n, &q.lo);
	q.words = (q.n + 63) / 64;
	const uint64_t ng = a->ngroups ? a->ngroups : 1;
	if (!(q.bits = calloc(ng * q.words, 8)))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t cols[2] = { s->col, a->key == K_NONE ? 0 : a->gb[0] };
	colstore_scan *sc = NULL;
	colstore_scan_options so = COLSTORE_SCAN_OPTIONS_INIT;
	so.threads = 1;
	int rc = colstore_scan_create(a->r, cols, a->key == K_NONE ? 1 : 2, a->filter, &so, &sc, err);
	if (!rc)
		rc = colstore_scan_run(sc, cs_dbatch, NULL, &q, err);
	colstore_scan_free(sc);
	for (uint64_t g = 0; g < a->ngroups && !rc; g++) {
		uint64_t c = 0;
		const uint64_t *w = q.bits + g * q.words;
		for (uint64_t j = 0; j < q.words; j++)
			c += (uint64_t)__builtin_popcountll(w[j]);
		for (uint32_t j = k0; j < a->nagg; j++)
			if (a->aggs[j].kind == AK_DISTINCT && a->aggs[j].col == s->col)
				a->distinct[j][g] = c;
	}
	free(q.bits);
	return rc;
}

/* the quantiles of x = spec k0's column (cs_dense_able said they fit) */
static int cs_quant_dense(colstore_agg *a, uint32_t k0, const uint32_t *pos2g, colstore_error *err)
{
	const cs_aggspec *s = &a->aggs[k0];
	const uint64_t ng = a->ngroups;
	uint64_t rows = 0;
	for (uint64_t g = 0; g < ng; g++)
		rows += cs_group_rows(a, g);
	cs_qgather q = { a, cs_malloc_big(rows ? rows * 8 : 8), calloc(ng + 1, 8), malloc((ng + 1) * 8),
		         (uint32_t *)(uintptr_t)pos2g, cs_is_float(s->type) };
	int rc = COLSTORE_OK;
	if (!q.vals || !q.fill || !q.off)
		rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (uint64_t g = 0; g < ng && !rc; g++)
		q.off[g + 1] = (g ? q.off[g] : 0) + cs_group_rows(a, g);
	if (!rc)
		q.off[0] = 0;
	uint32_t cols[2] = { s->col, a->key == K_NONE ? 0 : a->gb[0] };
	colstore_scan *sc = NULL;
	colstore_scan_options so = COLSTORE_SCAN_OPTIONS_INIT;
	so.threads = 1;
	if (!rc)
		rc = colstore_scan_create(a->r, cols, a->key == K_NONE ? 1 : 2, a->filter, &so, &sc, err);
	if (!rc)
		rc = colstore_scan_run(sc, cs_qbatch, NULL, &q, err);
	colstore_scan_free(sc);
	for (uint64_t g = 0; g < ng && !rc; g++) { /* the quantiles of each group */
		uint64_t *v = q.vals + q.off[g], n = q.fill[g];
		for (uint32_t k = k0; k < a->nagg; k++) {
			const cs_aggspec *t = &a->aggs[k];
			if (t->kind != AK_QUANT || t->col != s->col)
				continue;
			a->qnull[k][g] = n == 0;
			if (!n)
				continue;
			const double h = (double)(n - 1) * t->q, fl = floor(h);
			const uint64_t lo = (uint64_t)fl, hi = (uint64_t)ceil(h);
			cs_select(v, n, lo);
			uint64_t klo = v[lo], khi = klo;
			if (hi != lo) { /* the least above position lo */
				khi = v[hi];
				for (uint64_t i = lo + 1; i < n; i++)
					khi = v[i] < khi ? v[i] : khi;
			}
			double vlo = cs_qval(klo, q.is_float), vhi = cs_qval(khi, q.is_float);
			a->quant[k][g] = hi == lo ? vlo : vlo + (vhi - vlo) * (h - fl);
		}
	}
	free(q.vals);
	free(q.fill);
	free(q.off);
	return rc;
}

int cs_count_distinct(colstore_agg *a, colstore_error *err)
{
	uint8_t *done = calloc(a->nagg ? a->nagg : 1, 1);
	if (!done)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int rc = COLSTORE_OK;
	for (uint32_t k = 0; k < a->nagg && !rc; k++) {
		const cs_aggspec *s = &a->aggs[k];
		if ((s->kind != AK_DISTINCT && s->kind != AK_QUANT) || done[k])
			continue;
		const uint64_t ng = a->ngroups ? a->ngroups : 1;
		/* the arrays of every spec of this x */
		for (uint32_t j = k; j < a->nagg && !rc; j++) {
			const cs_aggspec *t = &a->aggs[j];
			if ((t->kind != AK_DISTINCT && t->kind != AK_QUANT) || t->col != s->col)
				continue;
			done[j] = 1;
			if (t->kind == AK_DISTINCT) {
				if (!a->distinct && !(a->distinct = calloc(a->nagg, sizeof(*a->distinct))))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
				else if (!(a->distinct[j] = calloc(ng, sizeof(uint64_t))))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
			} else {
				if (!a->quant && (!(a->quant = calloc(a->nagg, sizeof(*a->quant))) ||
				                  !(a->qnull = calloc(a->nagg, sizeof(*a->qnull)))))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
				else if (!(a->quant[j] = calloc(ng, sizeof(double))) ||
				         !(a->qnull[j] = malloc(ng)))
					rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
				else
					memset(a->qnull[j], 1, ng);
			}
		}
		if (rc)
			break;
		/* under a dense key, when they fit: distinct counts from a bitmap per
		 * group, quantiles from the values gathered per group */
		if (cs_dense_able(a, k)) {
			uint32_t *pos2g = malloc((cs_positions(a) + 1) * sizeof(uint32_t));
			if (!pos2g) {
				rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
				break;
			}
			memset(pos2g, 0xff, (cs_positions(a) + 1) * sizeof(uint32_t)); /* no group */
			for (uint64_t g = 0; a->key != K_NONE && g < a->ngroups; g++)
				pos2g[a->order[g]] = (uint32_t)g;
			if (a->key == K_NONE)
				pos2g[0] = 0;
			int has_d = 0, has_q = 0;
			for (uint32_t j = k; j < a->nagg; j++)
				if (a->aggs[j].col == s->col) {
					has_d |= a->aggs[j].kind == AK_DISTINCT;
					has_q |= a->aggs[j].kind == AK_QUANT;
				}
			if (has_d)
				rc = cs_distinct_dense(a, k, pos2g, err);
			if (!rc && has_q)
				rc = cs_quant_dense(a, k, pos2g, err);
			free(pos2g);
			continue;
		}
		/* one second aggregation for every spec of this x */
		colstore_agg *d = NULL;
		if ((rc = cs_by_keys_and(a, s->col, s->name, &d, err)))
			break;
		/* each group of a owns a run of d's groups (the same keys, in the
		 * same order) */
		const uint64_t dn = colstore_agg_num_groups(d);
		uint64_t g = 0;
		for (uint64_t j0 = 0; j0 < dn && !rc;) {
			while (g < a->ngroups && !cs_same_keys(a, g, d, j0))
				g++;
			if (g == a->ngroups) { /* the two runs read different rows: the file changed */
				rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
				            "%s: the second pass over the file found groups the first did "
				            "not (was the file changed while read?)", s->name);
				break;
			}
			uint64_t j1 = j0 + 1;
			while (j1 < dn && cs_same_keys(a, g, d, j1))
				j1++;
			for (uint32_t j = k; j < a->nagg; j++) {
				const cs_aggspec *t = &a->aggs[j];
				if (t->col != s->col)
					continue;
				if (t->kind == AK_DISTINCT) {
					uint64_t c = 0;
					for (uint64_t i = j0; i < j1; i++) {
						colstore_cell x;
						colstore_agg_cell(d, i, a->ngb, &x);
						c += !x.is_null;
					}
					a->distinct[j][g] = c;
				} else if (t->kind == AK_QUANT) {
					cs_quantile(a, d, j0, j1, t->q, &a->quant[j][g], &a->qnull[j][g]);
				}
			}
			j0 = j1;
		}
		colstore_agg_free(d);
	}
	free(done);
	return rc;
}
