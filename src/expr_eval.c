/*
 * expr_eval.c -- --where filters at work: zone-map skipping from chunk
 * statistics, and column-at-a-time evaluation into selection bitmaps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "expr_node.h"

/* ---- zone maps ------------------------------------------------------------------ */

static int cs_int_set(int op, int lit_int, int64_t L, double D, int64_t *lo, int64_t *hi);

static int cs_node_may(const colstore_filter *f, int k, uint32_t rg)
{
	const cs_node *d = &f->nodes[k];
	if (d->kind == N_AND)
		return cs_node_may(f, d->l, rg) && cs_node_may(f, d->r, rg);
	if (d->kind == N_OR)
		return cs_node_may(f, d->l, rg) || cs_node_may(f, d->r, rg);
	if (d->kind == N_XNULL)
		return 1;
	if (d->kind == N_XCMP) { /* an integer expression's range against a literal */
		int64_t lo, hi, v;
		if (d->neg || d->op >= OP_LIKE || d->xr < 0 || !cs_calc_int_literal(f->calcs[d->xr], &v) ||
		    !cs_calc_range_rg(f->calcs[d->xl], rg, &lo, &hi))
			return 1;
		switch (d->op) {
		case OP_EQ: return lo <= v && v <= hi;
		case OP_NE: return !(lo == v && hi == v);
		case OP_LT: return lo < v;
		case OP_LE: return lo <= v;
		case OP_GT: return hi > v;
		default: return hi >= v;
		}
	}
	const cs_chunk *ch = cs_chunk_at(f->r, rg, d->col);
	if (d->kind == N_NULL)
		return d->op ? ch->null_count < ch->row_count : ch->null_count > 0;
	if (ch->null_count == ch->row_count)
		return 0; /* nulls never compare true */
	if (d->op == OP_LIKE && !d->neg && d->type == COLSTORE_TYPE_STRING &&
	    (ch->stats_flags & CS_STATS_MINMAX)) {
		/* like 'prefix%': the strings from prefix up to (not) its successor */
		uint32_t pl = 0;
		while (pl < d->slen && d->sval[pl] != '%' && d->sval[pl] != '_')
			pl++;
		if (pl == 0)
			return 1;
		const char *h = (const char *)f->r->heap;
		const char *mx = h + (ch->max & 0xffffffffu), *mn = h + (ch->min & 0xffffffffu);
		uint32_t mxl = (uint32_t)(ch->max >> 32), mnl = (uint32_t)(ch->min >> 32);
		if (cs_bytes_cmp(mx, mxl < pl ? mxl : pl, d->sval, pl) < 0)
			return 0; /* every string sorts before the prefix */
		return cs_bytes_cmp(mn, mnl < pl ? mnl : pl, d->sval, pl) <= 0; /* or after all it starts */
	}
	if (d->neg || d->op >= OP_LIKE)
		return 1; /* judged on the values alone */
	if (!(ch->stats_flags & CS_STATS_MINMAX))
		return 1;
	if (ch->stats_flags & CS_STATS_NAN && d->op == OP_NE)
		return 1;
	int cmin, cmax; /* sign of (min - literal), (max - literal) */
	if (d->type == COLSTORE_TYPE_STRING) {
		const char *h = (const char *)f->r->heap;
		cmin = cs_bytes_cmp(h + (ch->min & 0xffffffffu), (uint32_t)(ch->min >> 32), d->sval, d->slen);
		cmax = cs_bytes_cmp(h + (ch->max & 0xffffffffu), (uint32_t)(ch->max >> 32), d->sval, d->slen);
	} else if (d->type != COLSTORE_TYPE_FLOAT32 && d->type != COLSTORE_TYPE_FLOAT64 && !d->lit_int) {
		/* an integer column against a fraction or a number past int64:
		 * judged on the integer set the rows are tested against, never on
		 * min and max rounded to doubles (above 2^53 they land on the
		 * literal) */
		int64_t lo, hi, mn = (int64_t)ch->min, mx = (int64_t)ch->max;
		switch (cs_int_set(d->op, 0, 0, d->dval, &lo, &hi)) {
		case R_NONE: return 0;
		case R_IN: return mx >= lo && mn <= hi;
		case R_OUT: return mn < lo || mx > hi;
		default: return 1;
		}
	} else if (d->type == COLSTORE_TYPE_FLOAT32 || d->type == COLSTORE_TYPE_FLOAT64) {
		double lo, hi;
		memcpy(&lo, &ch->min, 8);
		memcpy(&hi, &ch->max, 8);
		if (isnan(d->dval))
			return 1;
		cmin = (lo > d->dval) - (lo < d->dval);
		cmax = (hi > d->dval) - (hi < d->dval);
	} else {
		int64_t lo = (int64_t)ch->min, hi = (int64_t)ch->max;
		cmin = (lo > d->ival) - (lo < d->ival);
		cmax = (hi > d->ival) - (hi < d->ival);
	}
	switch (d->op) {
	case OP_EQ: return cmin <= 0 && cmax >= 0;
	case OP_NE: return !(cmin == 0 && cmax == 0);
	case OP_LT: return cmin < 0;
	case OP_LE: return cmin <= 0;
	case OP_GT: return cmax > 0;
	default: return cmax >= 0;
	}
}

int colstore_filter_may_match(const colstore_filter *f, uint32_t rg)
{
	if (!f || rg >= f->r->num_row_groups)
		return 0;
	return cs_node_may(f, f->root, rg);
}

/* ---- evaluation ---------------------------------------------------------------- */

/* 8 rows make a byte of sel: built without branches, then masked by the
 * validity (a null never matches a comparison).  EXPR sees x_ and is 0/1. */
/* sel bit i = EXPR for value x_ = row i.  Two steps per 256 rows, each
 * of which vectorizes: one 0/1 byte per row, then 8 bytes to a bitmap
 * byte by one multiply (bit k of the product's top byte is byte k). */
#define CS_SCAN(T, EXPR)                                                         \
	do {                                                                     \
		const T *a_ = v.data;                                            \
		uint8_t t_[256 + 8];                                             \
		for (uint32_t i0_ = 0; i0_ < n; i0_ += 256) {                    \
			uint32_t c_ = n - i0_ < 256 ? n - i0_ : 256;             \
			const T *p_ = a_ + i0_;                                  \
			for (uint32_t k_ = 0; k_ < c_; k_++) {                   \
				T x_ = p_[k_];                                   \
				t_[k_] = (uint8_t)(EXPR);                        \
			}                                                        \
			memset(t_ + c_, 0, 8);                                   \
			uint8_t *s_ = sel + i0_ / 8;                             \
			for (uint32_t k_ = 0; k_ < (c_ + 7) / 8; k_++) {         \
				uint64_t w_;                                     \
				memcpy(&w_, t_ + k_ * 8, 8);                     \
				s_[k_] = (uint8_t)((w_ * 0x0102040810204080ull) >> 56); \
			}                                                        \
		}                                                                \
	} while (0)

/* X op Y, or its negation (ng) */
#define CS_SCAN_OPS(T, X, Y, ng)                                                    \
	do {                                                                        \
		switch (op) {                                                       \
		case OP_EQ: CS_SCAN(T, ((X) == (Y)) ^ (ng)); break;                 \
		case OP_NE: CS_SCAN(T, ((X) != (Y)) ^ (ng)); break;                 \
		case OP_LT: CS_SCAN(T, ((X) < (Y)) ^ (ng)); break;                  \
		case OP_LE: CS_SCAN(T, ((X) <= (Y)) ^ (ng)); break;                 \
		case OP_GT: CS_SCAN(T, ((X) > (Y)) ^ (ng)); break;                  \
		default: CS_SCAN(T, ((X) >= (Y)) ^ (ng)); break;                    \
		}                                                                   \
	} while (0)

/* {x : x op literal} for an integer column, as a range [lo, hi] or its
 * complement; the literal may be a fraction or out of the int64 range */

static int cs_int_set(int op, int lit_int, int64_t L, double D, int64_t *lo, int64_t *hi)
{
	if (!lit_int) {
		if (isnan(D))
			return op == OP_NE ? R_ALL : R_NONE;
		double fl = floor(D), cl = ceil(D);
		if (fl == D && D >= -9223372036854775808.0 && D < 9223372036854775808.0) {
			L = (int64_t)D; /* an integer after all */
		} else {
			switch (op) {
			case OP_EQ: return R_NONE;
			case OP_NE: return R_ALL;
			case OP_LT:
			case OP_LE:
				if (fl < -9223372036854775808.0)
					return R_NONE;
				if (fl >= 9223372036854775808.0)
					return R_ALL;
				*lo = INT64_MIN;
				*hi = (int64_t)fl;
				return R_IN;
			default:
				if (cl >= 9223372036854775808.0)
					return R_NONE;
				if (cl < -9223372036854775808.0)
					return R_ALL;
				*lo = (int64_t)cl;
				*hi = INT64_MAX;
				return R_IN;
			}
		}
	}
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	switch (op) {
	case OP_EQ: *lo = *hi = L; return R_IN;
	case OP_NE: *lo = *hi = L; return R_OUT;
	case OP_LT:
		if (L == INT64_MIN)
			return R_NONE;
		*hi = L - 1;
		return R_IN;
	case OP_LE: *hi = L; return R_IN;
	case OP_GT:
		if (L == INT64_MAX)
			return R_NONE;
		*lo = L + 1;
		return R_IN;
	default: *lo = L; return R_IN;
	}
}

/* a leaf made ready for one row group: the set of values it keeps (its
 * column's values are read a batch at a time) */
typedef struct cs_leaf {
	int set;
	int64_t lo, hi;
} cs_leaf;

static void cs_leaf_prep(const colstore_filter *f, const cs_node *d, uint32_t rg, cs_leaf *lf)
{
	int64_t lo = 0, hi = 0;
	int set = R_IN;
	if (d->kind == N_CMP && d->type != COLSTORE_TYPE_STRING && !cs_is_float_type(d->type)) {
		set = cs_int_set(d->op, d->lit_int, d->ival, d->dval, &lo, &hi);
	} else if (d->kind == N_CMP && d->dict_match &&
	           cs_chunk_at(f->r, rg, d->col)->encoding == COLSTORE_ENCODING_DICT) {
		set = d->dict_set;
		lo = d->dict_lo;
		hi = d->dict_hi;
	}
	lf->set = set;
	lf->lo = lo;
	lf->hi = hi;
}

/* the leaf over rows [i0, i0 + n) of row group rg (i0 a multiple of the
 * batch), into sel (n bits): its column's values for those rows alone */
static int cs_leaf_scan(const colstore_filter *f, const cs_node *d, const cs_leaf *lf,
                        uint32_t rg, colstore_buffers *b, uint32_t i0, uint32_t n, uint8_t *sel,
                        colstore_error *err)
{
	size_t nbytes = cs_bitmap_bytes(n);
	int op = d->op;
	int64_t lo = lf->lo, hi = lf->hi;
	int set = lf->set;
	if (set == R_NONE) { /* no value can match: nothing to read */
		memset(sel, 0, nbytes);
		return COLSTORE_OK;
	}
	colstore_values v;
	int rc = cs_values_range(f->r, rg, d->col, b, i0, n, &v, NULL, err);
	if (rc)
		return rc;
	const uint8_t *vb = v.validity;
	if (d->kind == N_NULL) {
		for (size_t j = 0; j < nbytes; j++)
			sel[j] = vb ? (uint8_t)(d->op ? vb[j] : ~vb[j]) : (uint8_t)(d->op ? 0xff : 0);
	} else if (set == R_ALL) { /* every value: the non-null rows */
		if (vb)
			memcpy(sel, vb, nbytes);
		else
			memset(sel, 0xff, nbytes);
	} else {
/* [lo, hi] cut to T's values, then tested in T's width (so that it vectorizes);
 * dictionary codes too: a chunk with narrower codes than the range's bounds
 * holds only the codes its width can hold */
#define CS_RANGE(T, UT, TMIN, TMAX)                                                    \
	do {                                                                           \
		const int64_t l_ = lo < (int64_t)(TMIN) ? (int64_t)(TMIN) : lo;        \
		const int64_t h_ = hi > (int64_t)(TMAX) ? (int64_t)(TMAX) : hi;        \
		if (l_ > h_)                                                           \
			memset(sel, out ? 0xff : 0, nbytes);                           \
		else                                                                   \
			CS_SCAN(T, ((UT)((UT)x_ - (UT)l_) <= (UT)(h_ - l_)) ^ out);       \
	} while (0)
		const double D = d->dval;
		const uint64_t span = (uint64_t)hi - (uint64_t)lo;
		const int out = set == R_OUT;
		switch (d->type) {
		case COLSTORE_TYPE_STRING:
			if (v.encoding == COLSTORE_ENCODING_DICT) {
				const uint8_t *m = d->dict_match;
				if (set == R_TABLE) {
					if (v.code_width == 1)
						CS_SCAN(uint8_t, m[x_]);
					else if (v.code_width == 2)
						CS_SCAN(uint16_t, m[x_]);
					else
						CS_SCAN(uint32_t, m[x_]);
				} else if (v.code_width == 1) { /* codes in a range */
					CS_RANGE(uint8_t, uint8_t, 0, UINT8_MAX);
				} else if (v.code_width == 2) {
					CS_RANGE(uint16_t, uint16_t, 0, UINT16_MAX);
				} else {
					CS_RANGE(uint32_t, uint32_t, 0, UINT32_MAX);
				}
			} else {
				const uint32_t *o = v.data;
				memset(sel, 0, nbytes);
				for (uint32_t i = 0; i < n; i++)
					if (cs_str_ok(d, v.bytes + o[i], o[i + 1] - o[i]))
						sel[i >> 3] |= (uint8_t)(1u << (i & 7));
			}
			break;
		case COLSTORE_TYPE_BOOL: /* values are bits already */
			for (size_t j = 0; j < nbytes; j++) {
				uint8_t x = ((const uint8_t *)v.data)[j];
				uint8_t in1 = lo <= 1 && hi >= 1, in0 = lo <= 0 && hi >= 0;
				uint8_t r = (uint8_t)((in1 ? x : 0) | (in0 ? (uint8_t)~x : 0));
				sel[j] = out ? (uint8_t)~r : r;
			}
			break;
		/* IEEE: a NaN meets only != */
		case COLSTORE_TYPE_FLOAT32: CS_SCAN_OPS(float, (double)x_, D, d->neg); break;
		case COLSTORE_TYPE_FLOAT64: CS_SCAN_OPS(double, x_, D, d->neg); break;
		case COLSTORE_TYPE_INT8: CS_RANGE(int8_t, uint8_t, INT8_MIN, INT8_MAX); break;
		case COLSTORE_TYPE_INT16: CS_RANGE(int16_t, uint16_t, INT16_MIN, INT16_MAX); break;
		case COLSTORE_TYPE_INT32:
		case COLSTORE_TYPE_DATE: CS_RANGE(int32_t, uint32_t, INT32_MIN, INT32_MAX); break;
		default: CS_SCAN(int64_t, ((uint64_t)x_ - (uint64_t)lo <= span) ^ out); break;
#undef CS_RANGE
		}
		if (vb)
			for (size_t j = 0; j < nbytes; j++)
				sel[j] &= vb[j];
	}
	if (n % 8) /* no bits past the last row */
		sel[nbytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
	return COLSTORE_OK;
}

/* ---- comparisons of value expressions ---------------------------------------------- */

/* a worker's state for a filter's value expressions, kept in its buffers */
typedef struct cs_fx {
	int n;
	cs_calc_run **runs; /* one per f->calcs */
	uint32_t *idx;      /* a batch's rows to evaluate */
} cs_fx;

static void cs_fx_free(void *p)
{
	cs_fx *fx = p;
	if (!fx)
		return;
	for (int k = 0; k < fx->n; k++)
		cs_calc_run_free(fx->runs[k]);
	free(fx->runs);
	free(fx->idx);
	free(fx);
}

static cs_fx *cs_fx_get(const colstore_filter *f, colstore_buffers *b)
{
	cs_fx *fx = cs_buffers_aux(b, f->serial);
	if (fx)
		return fx;
	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return NULL;
	fx->runs = calloc((size_t)f->ncalc + 1, sizeof(*fx->runs));
	fx->idx = malloc(CS_BATCH_ROWS * sizeof(uint32_t));
	fx->n = f->ncalc;
	if (!fx->runs || !fx->idx) {
		cs_fx_free(fx);
		return NULL;
	}
	cs_buffers_set_aux(b, f->serial, fx, cs_fx_free);
	return fx;
}

typedef struct cs_fget {
	colstore_reader *r;
	colstore_buffers *b;
	uint32_t rg, i0, n;
} cs_fget;

static int cs_filter_get(void *ctx, uint32_t col, colstore_values *v, colstore_error *err)
{
	cs_fget *g = ctx;
	return cs_values_range(g->r, g->rg, col, g->b, g->i0, g->n, v, NULL, err);
}

/* calc j over the batch's rows idx[0..m) */
static int cs_x_eval(const colstore_filter *f, cs_fx *fx, int j, cs_fget *g, const uint32_t *idx,
                     uint32_t m, cs_cvec *out, colstore_error *err)
{
	if (!fx->runs[j] && !(fx->runs[j] = cs_calc_run_new(f->calcs[j])))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	return cs_calc_eval(fx->runs[j], cs_filter_get, g, g->n, idx, m, out, err);
}

/* an N_XCMP or N_XNULL leaf on row i of its sides' values */
static int cs_xdecide(const cs_node *d, const cs_cvec *lv, const cs_cvec *rv, uint32_t i)
{
	if (d->kind == N_XNULL)
		return lv->ok[i] == d->op; /* op 1: is not null */
	if (!lv->ok[i] || (d->xr >= 0 && !rv->ok[i]))
		return 0; /* a null matches neither a comparison nor its negation */
	if (d->op >= OP_LIKE)
		return cs_like(lv->s[i].p, lv->s[i].len, d->sval, d->slen, d->op == OP_ILIKE) ^ d->neg;
	int c = cs_cvec_cmp(lv, i, rv, i);
	return (c == 2 ? d->op == OP_NE : cs_op_ok(d->op, c)) ^ d->neg;
}

typedef struct cs_dget {
	const colstore_values *v;
} cs_dget;

static int cs_dict_get(void *ctx, uint32_t col, colstore_values *v, colstore_error *err)
{
	(void)col;
	(void)err;
	*v = *((cs_dget *)ctx)->v;
	return COLSTORE_OK;
}

/* node d's result for each dictionary entry of the one column its left
 * side reads, when that is a dictionary string column and its right side
 * a literal: the entries in batches as PLAIN strings, then a null */
void cs_xdict(colstore_filter *f, cs_node *d)
{
	colstore_reader *r = f->r;
	const cs_calc *c = f->calcs[d->xl];
	uint8_t *mark = calloc((size_t)r->num_columns + 1, 1);
	if (!mark)
		return;
	cs_calc_columns(c, mark);
	uint32_t col = 0, ncol = 0;
	for (uint32_t k = 0; k < r->num_columns; k++)
		if (mark[k]) {
			col = k;
			ncol++;
		}
	free(mark);
	int tok;
	const char *t1, *t2;
	size_t l1, l2;
	if (ncol != 1 || r->columns[col].type != COLSTORE_TYPE_STRING || !r->columns[col].dict_count ||
	    (d->xr >= 0 && !cs_calc_is_literal(f->calcs[d->xr], &tok, &t1, &l1, &t2, &l2)) ||
	    cs_dict_ready(r, col, NULL))
		return;
	enum { B = 4096 };
	const uint32_t n = r->columns[col].dict_count;
	uint8_t *match = malloc(n);
	uint32_t *off = malloc((B + 1) * sizeof(uint32_t));
	uint8_t vbits[B / 8];
	char *bytes = NULL;
	size_t cap = 0;
	cs_calc_run *lr = cs_calc_run_new(c), *rr = d->xr >= 0 ? cs_calc_run_new(f->calcs[d->xr]) : NULL;
	int ok = match && off && lr && (d->xr < 0 || rr);
	for (uint64_t base = 0; ok && base <= n; base += B) {
		const uint32_t cnt = (uint32_t)(n + 1 - base < B ? n + 1 - base : B);
		size_t len = 0;
		for (uint32_t j = 0; j < cnt; j++) { /* the bytes of this batch's entries */
			const char *s = "";
			uint32_t sl = 0;
			if (base + j < n)
				colstore_reader_dict_lookup(r, col, (uint32_t)(base + j), &s, &sl, NULL);
			len += sl;
		}
		if (len + 1 > cap) {
			char *nb = realloc(bytes, len + 1);
			if (!nb) {
				ok = 0;
				break;
			}
			bytes = nb;
			cap = len + 1;
		}
		len = 0;
		memset(vbits, 0xff, sizeof(vbits));
		for (uint32_t j = 0; j < cnt; j++) {
			const char *s = "";
			uint32_t sl = 0;
			off[j] = (uint32_t)len;
			if (base + j < n) {
				colstore_reader_dict_lookup(r, col, (uint32_t)(base + j), &s, &sl, NULL);
				memcpy(bytes + len, s, sl);
				len += sl;
			} else {
				vbits[j >> 3] &= (uint8_t)~(1u << (j & 7)); /* the null */
			}
		}
		off[cnt] = (uint32_t)len;
		colstore_values v = { COLSTORE_TYPE_STRING, cnt, vbits, off, bytes, COLSTORE_ENCODING_PLAIN, 0 };
		cs_dget g = { &v };
		cs_cvec lv, rv;
		colstore_error e;
		if (cs_calc_eval(lr, cs_dict_get, &g, cnt, NULL, cnt, &lv, &e) ||
		    (rr && cs_calc_eval(rr, cs_dict_get, &g, cnt, NULL, cnt, &rv, &e))) {
			ok = 0; /* (an overflow on some entry: row by row instead) */
			break;
		}
		for (uint32_t j = 0; j < cnt; j++) {
			uint8_t m = (uint8_t)cs_xdecide(d, &lv, &rv, j);
			if (base + j < n)
				match[base + j] = m;
			else
				d->xd_null = m;
		}
	}
	cs_calc_run_free(lr);
	cs_calc_run_free(rr);
	free(off);
	free(bytes);
	if (!ok) {
		free(match);
		return;
	}
	d->xd_match = match;
	d->xd_col = col;
}

/* an N_XCMP or N_XNULL leaf over the rows of mask (all when NULL): the
 * other rows' bits are left 0 (the and or or above does not read them) */
static int cs_xleaf_scan(const colstore_filter *f, const cs_node *d, uint32_t rg,
                         colstore_buffers *b, uint32_t i0, uint32_t n, const uint8_t *mask,
                         uint8_t *sel, colstore_error *err)
{
	memset(sel, 0, cs_bitmap_bytes(n));
	cs_fx *fx = cs_fx_get(f, b);
	if (!fx)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t m = n;
	const uint32_t *idx = NULL;
	if (mask) {
		m = cs_simd()->rows(mask, n, fx->idx);
		idx = fx->idx;
		if (!m)
			return COLSTORE_OK;
	}
	if (d->xd_match && cs_chunk_at(f->r, rg, d->xd_col)->encoding == COLSTORE_ENCODING_DICT) {
		/* a dictionary chunk: each row's entry looked up */
		colstore_values v;
		int rc = cs_values_range(f->r, rg, d->xd_col, b, i0, n, &v, NULL, err);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < m; k++) {
			const uint32_t i = idx ? idx[k] : k;
			uint8_t ok = v.validity && !cs_bit_get(v.validity, i)
			                     ? d->xd_null
			                     : d->xd_match[cs_code_at(v.data, v.code_width, i)];
			sel[i >> 3] |= (uint8_t)(ok << (i & 7));
		}
		return COLSTORE_OK;
	}
	cs_fget g = { f->r, b, rg, i0, n };
	cs_cvec lv, rv;
	int rc = cs_x_eval(f, fx, d->xl, &g, idx, m, &lv, err);
	if (rc)
		return rc;
	if (d->xr >= 0 && (rc = cs_x_eval(f, fx, d->xr, &g, idx, m, &rv, err)))
		return rc;
	for (uint32_t k = 0; k < m; k++) {
		const uint32_t i = idx ? idx[k] : k;
		sel[i >> 3] |= (uint8_t)(cs_xdecide(d, &lv, &rv, i) << (i & 7));
	}
	return COLSTORE_OK;
}

/* node k over one batch of n rows from i0 into sel, judged on the rows of
 * mask (all when NULL: an and's right side is judged where its left side
 * holds, an or's where it does not, so that a value expression is worked
 * out, and can fail, only where it decides the result); its left side may
 * use all of tmp, then its right side's result and mask go to tmp and the
 * rest of tmp is the right side's own (f->depth pairs of batches of
 * scratch in all) */
static int cs_eval_node(const colstore_filter *f, int k, const cs_leaf *lv, uint32_t rg,
                        colstore_buffers *b, uint32_t i0, uint32_t n, const uint8_t *mask,
                        uint8_t *sel, uint8_t *tmp, colstore_error *err)
{
	const cs_node *d = &f->nodes[k];
	if (d->kind == N_XCMP || d->kind == N_XNULL)
		return cs_xleaf_scan(f, d, rg, b, i0, n, mask, sel, err);
	if (d->kind != N_AND && d->kind != N_OR)
		return cs_leaf_scan(f, d, &lv[k], rg, b, i0, n, sel, err);
	size_t nbytes = cs_bitmap_bytes(n);
	int rc = cs_eval_node(f, d->l, lv, rg, b, i0, n, mask, sel, tmp, err);
	if (rc)
		return rc;
	/* the right side cannot change an all-0 AND or an all-1 OR */
	int decided = 1;
	for (size_t i = 0; i < nbytes && decided; i++) {
		uint8_t full = i + 1 < nbytes || n % 8 == 0 ? 0xff : (uint8_t)((1u << (n % 8)) - 1);
		uint8_t in = mask ? mask[i] : full; /* only the rows judged count */
		decided = (sel[i] & in) == (d->kind == N_AND ? 0 : in);
	}
	if (decided)
		return COLSTORE_OK;
	uint8_t *rmask = tmp + CS_BATCH_ROWS / 8;
	for (size_t i = 0; i < nbytes; i++)
		rmask[i] = (uint8_t)((mask ? mask[i] : 0xff) & (d->kind == N_AND ? sel[i] : ~sel[i]));
	if (n % 8)
		rmask[nbytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
	if ((rc = cs_eval_node(f, d->r, lv, rg, b, i0, n, rmask, tmp, tmp + CS_BATCH_ROWS / 4, err)))
		return rc;
	for (size_t i = 0; i < nbytes; i++)
		sel[i] = d->kind == N_AND ? (uint8_t)(sel[i] & tmp[i]) : (uint8_t)(sel[i] | tmp[i]);
	return COLSTORE_OK;
}

int colstore_filter_eval(const colstore_filter *f, uint32_t rg, colstore_buffers *b,
                         uint8_t *sel, uint64_t *matches, colstore_error *err)
{
	if (!f || !b || !sel || rg >= f->r->num_row_groups)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no row group %u", rg);
	uint32_t n = cs_chunk_at(f->r, rg, 0)->row_count;
	if (!cs_node_may(f, f->root, rg)) { /* ruled out by statistics, as a scan skips it */
		memset(sel, 0, cs_bitmap_bytes(n));
		if (matches)
			*matches = 0;
		return COLSTORE_OK;
	}
	/* scratch: the leaves, made ready, then f->depth pairs of batches of
	 * bits: a fixed size whatever the row group's size */
	size_t lbytes = (size_t)f->n * sizeof(cs_leaf);
	uint8_t *scratch = cs_buffers_scratch(b, lbytes + (size_t)f->depth * (CS_BATCH_ROWS / 4) + 1);
	if (!scratch)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_leaf *lv = (cs_leaf *)(void *)scratch;
	uint8_t *tmp = scratch + lbytes;
	for (int k = 0; k < f->n; k++) {
		const cs_node *d = &f->nodes[k];
		if (d->kind == N_CMP || d->kind == N_NULL)
			cs_leaf_prep(f, d, rg, &lv[k]);
	}
	for (uint32_t i0 = 0; i0 < n; i0 += CS_BATCH_ROWS) {
		uint32_t c = n - i0 < CS_BATCH_ROWS ? n - i0 : CS_BATCH_ROWS;
		int rc = cs_eval_node(f, f->root, lv, rg, b, i0, c, NULL, sel + i0 / 8, tmp, err);
		if (rc)
			return rc;
	}
	if (matches)
		*matches = cs_bitmap_popcount(sel, n);
	return COLSTORE_OK;
}
