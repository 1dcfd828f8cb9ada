/*
 * calc_eval.c -- value expressions evaluated a batch at a time, one vector
 * per node.  Integers widen to int64 and overflow is an error; / gives a
 * float64, and null on division by zero.  Also a result's values as a
 * column's (cs_calc_values) and the comparison of computed values.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "calc_node.h"

/* ---- evaluation -------------------------------------------------------------------- */

typedef struct cs_nbuf {
	uint8_t *ok;
	int64_t *i;
	double *d;
	cs_str *s;
	char *arena; /* strings made in this batch (lower, upper of PLAIN chunks) */
	size_t arena_cap;
	uint32_t *idx; /* coalesce: the rows an argument is worked out on */
	double *ftmp;  /* integer operands as doubles */
	int64_t *m;    /* a decimal form of a float64 (cs_cvec.m), when mscale >= 0 */
	int mscale;
} cs_nbuf;

struct cs_calc_run {
	const cs_calc *c;
	cs_nbuf *nb;
	/* cs_calc_values */
	uint8_t *vbits, *vdata;
	uint32_t *voff;
	char *vbytes;
	size_t vbytes_cap;
};

cs_calc_run *cs_calc_run_new(const cs_calc *c)
{
	cs_calc_run *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return NULL;
	cr->c = c;
	cr->nb = calloc((size_t)c->n, sizeof(cs_nbuf));
	if (!cr->nb) {
		free(cr);
		return NULL;
	}
	for (int k = 0; k < c->n; k++)
		cr->nb[k].mscale = -1;
	for (int k = 0; k < c->n; k++) {
		const cs_cnode *d = &c->nodes[k];
		cs_nbuf *b = &cr->nb[k];
		if (d->op == C_LIT)
			continue; /* constants are read from the node */
		b->ok = malloc(CS_BATCH_ROWS);
		if (d->type == COLSTORE_TYPE_FLOAT64)
			b->d = malloc(CS_BATCH_ROWS * sizeof(double));
		else if (d->type == COLSTORE_TYPE_STRING)
			b->s = malloc(CS_BATCH_ROWS * sizeof(cs_str));
		else
			b->i = malloc(CS_BATCH_ROWS * sizeof(int64_t));
		if (!b->ok || !(b->d || b->s || b->i)) {
			cs_calc_run_free(cr);
			return NULL;
		}
	}
	return cr;
}

void cs_calc_run_free(cs_calc_run *cr)
{
	if (!cr)
		return;
	for (int k = 0; k < cr->c->n; k++) {
		free(cr->nb[k].ok);
		free(cr->nb[k].i);
		free(cr->nb[k].d);
		free(cr->nb[k].s);
		free(cr->nb[k].arena);
		free(cr->nb[k].idx);
		free(cr->nb[k].ftmp);
		free(cr->nb[k].m);
	}
	free(cr->nb);
	free(cr->vbits);
	free(cr->vdata);
	free(cr->voff);
	free(cr->vbytes);
	free(cr);
}

typedef struct cs_ev {
	cs_calc_run *cr;
	cs_colget get;
	cs_colget_m getm; /* or NULL */
	int dec_only;     /* doubles of decimal columns not wanted */
	void *ctx;
	uint32_t n, m;
	const uint32_t *idx;
	colstore_error *err;
} cs_ev;

/* the body for each row i of the batch's rows (idx, or all: a plain loop
 * that the compiler can vectorize) */
#define CS_ROWS(ev, ...)                                                    \
	do {                                                                \
		const uint32_t *idx_ = (ev)->idx;                           \
		const uint32_t m_ = (ev)->m;                                \
		if (idx_) {                                                 \
			for (uint32_t k_ = 0; k_ < m_; k_++) {              \
				const uint32_t i = idx_[k_];                \
				__VA_ARGS__;                                \
			}                                                   \
		} else {                                                    \
			for (uint32_t i = 0; i < m_; i++) {                 \
				__VA_ARGS__;                                \
			}                                                   \
		}                                                           \
	} while (0)

static void cs_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t cs_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return q - ((a % b != 0) && ((a < 0) != (b < 0)));
}

#define US_DAY INT64_C(86400000000)

int64_t cs_time_fn(int fn, int unit, uint8_t t, int64_t v, int *ovf)
{
	int64_t days = t == COLSTORE_TYPE_DATE ? v : cs_floordiv(v, US_DAY);
	/* in [0, US_DAY): wraps on the way near INT64_MIN, not at the end */
	int64_t us = t == COLSTORE_TYPE_DATE ? 0 : (int64_t)((uint64_t)v - (uint64_t)days * (uint64_t)US_DAY);
	int64_t y;
	unsigned m, d;
	switch (fn) {
	case F_HOUR: return us / INT64_C(3600000000);
	case F_MINUTE: return us / 60000000 % 60;
	case F_WEEKDAY: return ((days % 7) + 11) % 7; /* 1970-01-01 was a Thursday; Sunday 0 */
	case F_DATE_TRUNC: {
		int64_t r;
		if (unit == U_HOUR || unit == U_MINUTE) {
			int64_t q = unit == U_HOUR ? INT64_C(3600000000) : 60000000;
			*ovf |= t != COLSTORE_TYPE_DATE && __builtin_sub_overflow(v, us % q, &r);
			return t == COLSTORE_TYPE_DATE ? v : r;
		}
		if (unit == U_DAY) {
			r = days;
		} else if (unit == U_WEEK) { /* from the Monday */
			r = days - (((days % 7) + 10) % 7);
		} else {
			cs_civil(days, &y, &m, &d);
			if (unit == U_YEAR)
				m = 1;
			else if (unit == U_QUARTER)
				m = (m - 1) / 3 * 3 + 1;
			r = cs_days_from_civil(y, m, 1);
		}
		if (t == COLSTORE_TYPE_DATE)
			return r;
		*ovf |= __builtin_mul_overflow(r, US_DAY, &r);
		return r;
	}
	default:
		cs_civil(days, &y, &m, &d);
		return fn == F_YEAR ? y : fn == F_QUARTER ? (m - 1) / 3 + 1 : fn == F_MONTH ? m : d;
	}
}

/* round half away from zero at `digits` decimals, of the shortest decimal
 * that reads back as x (what was written: 2.675 rounds to 2.68) */
static double cs_round(double x, int digits)
{
	if (!isfinite(x) || x == 0)
		return x;
	/* most values: x * 10^digits well away from a half, where the
	 * shortest decimal and x itself round alike; r / 10^digits (both
	 * exact) is then the double nearest the rounded decimal */
	const double p10 = cs_pow10[digits], y = fabs(x) * p10;
	if (y < 4503599627370496.0) { /* 2^52 */
		double fl = floor(y), frac = y - fl;
		double ulp = nextafter(y, INFINITY) - y;
		if (fabs(frac - 0.5) > 8 * ulp) {
			double r = (fl + (frac > 0.5)) / p10;
			return x < 0 ? -r : r;
		}
	}
	char buf[64];
	int prec = 15;
	for (; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	/* buf: [-]D.DDDDe[+-]XX: the digits, and the exponent of the first */
	const int neg = buf[0] == '-';
	const char *p = buf + neg;
	char dig[24];
	int nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			dig[nd++] = *p;
	int e10 = atoi(p + 1);
	/* digit j stands for 10^(e10 - j); keep those of 10^-digits and up */
	int keep = e10 + digits + 1;
	if (keep >= nd)
		return x; /* no digit to round away */
	if (keep < 0)
		return neg ? -0.0 : 0.0;
	int up = dig[keep] >= '5';
	char out[64];
	int o = 0;
	if (neg)
		out[o++] = '-';
	out[o++] = '0'; /* room for a carry */
	memcpy(out + o, dig, (size_t)keep);
	int last = o + keep - 1;
	o += keep;
	for (int j = last; up && j >= (neg ? 1 : 0); j--) {
		if (out[j] == '9') {
			out[j] = '0';
		} else {
			out[j]++;
			up = 0;
		}
	}
	snprintf(out + o, sizeof(out) - (size_t)o, "e%d", e10 - keep + 1);
	return strtod(out, NULL);
}

static int cs_overflow(cs_ev *ev, const cs_cnode *d)
{
	const char *src = ev->cr->c->text;
	size_t at = d->at - ev->cr->c->nodes[ev->cr->c->root].at;
	return cs_err(ev->err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "integer overflow in %.*s",
	              (int)d->len, src + at);
}

static int cs_node_eval(cs_ev *ev, int k);

static int v_is_f64(const cs_calc *c, uint32_t col)
{
	return c->r->columns[col].type == COLSTORE_TYPE_FLOAT64;
}

/* node k's column values (col) read into its vector */
/* a column's validity as the node's ok flags */
static void cs_col_ok(cs_ev *ev, cs_nbuf *b, const uint8_t *vb)
{
	if (!vb && !ev->idx)
		memset(b->ok, 1, ev->m);
	else
		CS_ROWS(ev, b->ok[i] = !vb || cs_bit_get(vb, i));
}

static int cs_eval_col(cs_ev *ev, int k)
{
	const cs_calc *c = ev->cr->c;
	const cs_cnode *d = &c->nodes[k];
	cs_nbuf *b = &ev->cr->nb[k];
	colstore_values v;
	int rc;
	b->mscale = -1;
	if (ev->getm && v_is_f64(c, d->col)) { /* mantissas where the chunk is DECIMAL */
		int scale;
		if ((rc = ev->getm(ev->ctx, d->col, &v, &scale, ev->err)))
			return rc;
		cs_col_ok(ev, b, v.validity);
		if (scale < 0) {
			CS_ROWS(ev, b->d[i] = ((const double *)v.data)[i]);
			return COLSTORE_OK;
		}
		if (!b->m && !(b->m = malloc(CS_BATCH_ROWS * sizeof(int64_t))))
			return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		const int64_t *mv = v.data;
		const double p = cs_pow10[scale];
		if (ev->dec_only)
			CS_ROWS(ev, b->m[i] = mv[i]);
		else
			CS_ROWS(ev, {
				b->m[i] = mv[i];
				b->d[i] = (double)mv[i] / p; /* as DECIMAL decodes it */
			});
		b->mscale = scale;
		return COLSTORE_OK;
	}
	if ((rc = ev->get(ev->ctx, d->col, &v, ev->err)))
		return rc;
	cs_col_ok(ev, b, v.validity);
	switch (v.type) {
	case COLSTORE_TYPE_INT8: CS_ROWS(ev, b->i[i] = ((const int8_t *)v.data)[i]); break;
	case COLSTORE_TYPE_INT16: CS_ROWS(ev, b->i[i] = ((const int16_t *)v.data)[i]); break;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: CS_ROWS(ev, b->i[i] = ((const int32_t *)v.data)[i]); break;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: CS_ROWS(ev, b->i[i] = ((const int64_t *)v.data)[i]); break;
	case COLSTORE_TYPE_BOOL: CS_ROWS(ev, b->i[i] = cs_bit_get(v.data, i)); break;
	case COLSTORE_TYPE_FLOAT32: CS_ROWS(ev, b->d[i] = ((const float *)v.data)[i]); break;
	case COLSTORE_TYPE_FLOAT64: CS_ROWS(ev, b->d[i] = ((const double *)v.data)[i]); break;
	default:
		if (v.encoding == COLSTORE_ENCODING_DICT) {
			CS_ROWS(ev, {
				uint32_t code = cs_code_at(v.data, v.code_width, i);
				if (!b->ok[i] || colstore_reader_dict_lookup(c->r, d->col, code, &b->s[i].p,
				                                               &b->s[i].len, NULL)) {
					b->s[i].p = "";
					b->s[i].len = 0;
				}
			});
		} else {
			const uint32_t *o = v.data;
			CS_ROWS(ev, {
				b->s[i].p = v.bytes + o[i];
				b->s[i].len = o[i + 1] - o[i];
			});
		}
		break;
	}
	return COLSTORE_OK;
}

/* lower, upper, length of a string: per dictionary entry where the chunk
 * is dictionary-encoded, else per row */
static int cs_eval_str_fn(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	const cs_cnode *a = &cr->c->nodes[d->arg[0]];
	cs_nbuf *b = &cr->nb[k];
	int rc;
	if (a->op == C_COL && (d->dint || d->dstr)) {
		colstore_values v;
		if ((rc = ev->get(ev->ctx, a->col, &v, ev->err)))
			return rc;
		if (v.encoding == COLSTORE_ENCODING_DICT) {
			const uint8_t *vb = v.validity;
			CS_ROWS(ev, {
				uint32_t code = cs_code_at(v.data, v.code_width, i);
				b->ok[i] = !vb || cs_bit_get(vb, i);
				if (d->dint)
					b->i[i] = b->ok[i] ? d->dint[code] : 0;
				else
					b->s[i] = b->ok[i] ? d->dstr[code] : (cs_str){ "", 0 };
			});
			return COLSTORE_OK;
		}
	}
	if ((rc = cs_node_eval(ev, d->arg[0])))
		return rc;
	/* the argument's strings: a literal's, or its vector's */
	const cs_cnode *an = &cr->c->nodes[d->arg[0]];
	const cs_nbuf *xb = &cr->nb[d->arg[0]];
	const int lit = an->op == C_LIT;
#define CS_XOK(i) (lit || xb->ok[i])
#define CS_XS(i) (lit ? (cs_str){ an->s, an->slen } : xb->s[i])
	if (d->fn == F_LENGTH) {
		CS_ROWS(ev, {
			int64_t chars = 0;
			b->ok[i] = (uint8_t)CS_XOK(i);
			const cs_str xs = CS_XS(i);
			for (uint32_t j = 0; b->ok[i] && j < xs.len; j++)
				chars += ((unsigned char)xs.p[j] & 0xc0) != 0x80;
			b->i[i] = chars;
		});
		return COLSTORE_OK;
	}
	size_t need = 0;
	CS_ROWS(ev, need += CS_XOK(i) ? CS_XS(i).len : 0);
	size_t used = 0;
	if (need + 1 > b->arena_cap) {
		char *p = realloc(b->arena, need + 1);
		if (!p)
			return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		b->arena = p;
		b->arena_cap = need + 1;
	}
	CS_ROWS(ev, {
		const cs_str xs = CS_XS(i);
		b->ok[i] = (uint8_t)CS_XOK(i);
		b->s[i].p = b->arena + used;
		b->s[i].len = b->ok[i] ? xs.len : 0;
		for (uint32_t j = 0; j < b->s[i].len; j++) {
			char ch = xs.p[j];
			if (d->fn == F_LOWER && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch + 32);
			else if (d->fn == F_UPPER && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			b->arena[used + j] = ch;
		}
		used += b->s[i].len;
	});
	return COLSTORE_OK;
}
#undef CS_XOK
#undef CS_XS

/* operand j of node d as float64 / int64 at row i */
static inline double cs_fget(const cs_calc_run *cr, int a, uint32_t i)
{
	const cs_cnode *n = &cr->c->nodes[a];
	if (n->op == C_LIT)
		return n->type == COLSTORE_TYPE_FLOAT64 ? n->d : (double)n->i;
	return n->type == COLSTORE_TYPE_FLOAT64 ? cr->nb[a].d[i] : (double)cr->nb[a].i[i];
}

static inline int64_t cs_iget(const cs_calc_run *cr, int a, uint32_t i)
{
	const cs_cnode *n = &cr->c->nodes[a];
	return n->op == C_LIT ? n->i : cr->nb[a].i[i];
}

static inline int cs_okget(const cs_calc_run *cr, int a, uint32_t i)
{
	return cr->c->nodes[a].op == C_LIT || cr->nb[a].ok[i];
}

/* coalesce: each argument worked out only on the rows where the ones
 * before it are null (as SQL's coalesce, so that an overflow in an
 * argument not needed is no error) */
static int cs_eval_coalesce(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	cs_nbuf *b = &cr->nb[k];
	int rc;
	if (!b->idx && !(b->idx = malloc(CS_BATCH_ROWS * sizeof(uint32_t))))
		return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_ev sub = *ev;
	for (int j = 0; j < d->nargs && sub.m; j++) {
		if ((rc = cs_node_eval(&sub, d->arg[j])))
			return rc;
		/* the rows still null go on to the next argument */
		uint32_t m = 0;
		CS_ROWS(&sub, if (!cs_okget(cr, d->arg[j], i)) b->idx[m++] = i);
		sub.idx = b->idx;
		sub.m = m;
	}
	int bad = 0;
	CS_ROWS(ev, {
		int j = 0;
		while (j < d->nargs - 1 && !cs_okget(cr, d->arg[j], i))
			j++;
		const int aj = d->arg[j];
		const uint8_t tj = cr->c->nodes[aj].type;
		b->ok[i] = (uint8_t)cs_okget(cr, aj, i);
		if (d->type == COLSTORE_TYPE_FLOAT64)
			b->d[i] = cs_fget(cr, aj, i);
		else if (d->type == COLSTORE_TYPE_STRING)
			b->s[i] = cr->c->nodes[aj].op == C_LIT ? (cs_str){ cr->c->nodes[aj].s, cr->c->nodes[aj].slen }
			                                       : cr->nb[aj].s[i];
		else if (d->type == COLSTORE_TYPE_TIMESTAMP && tj == COLSTORE_TYPE_DATE)
			bad |= __builtin_mul_overflow(cs_iget(cr, aj, i), US_DAY, &b->i[i]) & b->ok[i];
		else
			b->i[i] = cs_iget(cr, aj, i);
	});
	return bad ? cs_overflow(ev, d) : COLSTORE_OK;
}

/* node k's decimal form, when it has one in this batch: the sum,
 * difference or product of operands with decimal forms of one scale, or
 * with integers (a product); an overflow leaves the doubles alone */
static int cs_dec_form(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	cs_nbuf *b = &cr->nb[k];
	b->mscale = -1;
	if (d->type != COLSTORE_TYPE_FLOAT64 || !ev->getm)
		return COLSTORE_OK;
	const int a0 = d->arg[0], a1 = d->nargs > 1 ? d->arg[1] : -1;
	const cs_cnode *n0 = &cr->c->nodes[a0], *n1 = a1 >= 0 ? &cr->c->nodes[a1] : NULL;
	/* each operand: a decimal vector (scale), an integer vector, an integer literal */
	int s0 = n0->op == C_LIT ? -1 : n0->type == COLSTORE_TYPE_FLOAT64 ? cr->nb[a0].mscale : -2;
	int s1 = !n1 ? -3 : n1->op == C_LIT ? -1 : n1->type == COLSTORE_TYPE_FLOAT64 ? cr->nb[a1].mscale : -2;
	int lit0 = n0->op == C_LIT && n0->type == COLSTORE_TYPE_INT64;
	int lit1 = n1 && n1->op == C_LIT && n1->type == COLSTORE_TYPE_INT64;
	if (!b->m && !(b->m = malloc(CS_BATCH_ROWS * sizeof(int64_t))))
		return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int bad = 0, scale = -1;
	const int64_t *m0 = s0 >= 0 ? cr->nb[a0].m : NULL, *m1 = s1 >= 0 ? cr->nb[a1].m : NULL;
	const int64_t *i0 = s0 == -2 ? cr->nb[a0].i : NULL, *i1 = s1 == -2 ? cr->nb[a1].i : NULL;
	const int64_t l0 = lit0 ? n0->i : 0, l1 = lit1 ? n1->i : 0;
	switch (d->op) {
	case C_NEG:
		if (!m0)
			return COLSTORE_OK;
		CS_ROWS(ev, bad |= __builtin_sub_overflow((int64_t)0, m0[i], &b->m[i]) & b->ok[i]);
		scale = s0;
		break;
	case C_MUL:
		if (m0 && (i1 || lit1)) {
			CS_ROWS(ev, bad |= __builtin_mul_overflow(m0[i], i1 ? i1[i] : l1, &b->m[i]) & b->ok[i]);
			scale = s0;
		} else if (m1 && (i0 || lit0)) {
			CS_ROWS(ev, bad |= __builtin_mul_overflow(i0 ? i0[i] : l0, m1[i], &b->m[i]) & b->ok[i]);
			scale = s1;
		}
		break;
	case C_ADD:
	case C_SUB:
		if (m0 && m1 && s0 == s1) {
			if (d->op == C_ADD)
				CS_ROWS(ev, bad |= __builtin_add_overflow(m0[i], m1[i], &b->m[i]) & b->ok[i]);
			else
				CS_ROWS(ev, bad |= __builtin_sub_overflow(m0[i], m1[i], &b->m[i]) & b->ok[i]);
			scale = s0;
		}
		break;
	default: break;
	}
	b->mscale = bad ? -1 : scale;
	return COLSTORE_OK;
}

/* operand a of node k as doubles at the batch's rows: its vector, its
 * integers converted into the node's scratch j, or (*x NULL) a constant */
static int cs_fops(cs_ev *ev, int k, int a, int j, const double **x, double *lit)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *n = &cr->c->nodes[a];
	*x = NULL;
	if (n->op == C_LIT) {
		*lit = n->type == COLSTORE_TYPE_FLOAT64 ? n->d : (double)n->i;
		return COLSTORE_OK;
	}
	if (n->type == COLSTORE_TYPE_FLOAT64) {
		*x = cr->nb[a].d;
		return COLSTORE_OK;
	}
	cs_nbuf *b = &cr->nb[k];
	if (!b->ftmp && !(b->ftmp = malloc(2 * (size_t)CS_BATCH_ROWS * sizeof(double))))
		return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	double *t = b->ftmp + (size_t)j * CS_BATCH_ROWS;
	const int64_t *v = cr->nb[a].i;
	CS_ROWS(ev, t[i] = (double)v[i]);
	*x = t;
	return COLSTORE_OK;
}

static int cs_node_eval(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	cs_nbuf *b = &cr->nb[k];
	int rc;
	if (d->op == C_LIT)
		return COLSTORE_OK;
	if (d->op == C_COL)
		return cs_eval_col(ev, k);
	if (d->op == C_FN && (d->fn == F_LOWER || d->fn == F_UPPER || d->fn == F_LENGTH))
		return cs_eval_str_fn(ev, k);
	if (d->op == C_FN && d->fn == F_COALESCE)
		return cs_eval_coalesce(ev, k);
	for (int j = 0; j < d->nargs; j++)
		if ((rc = cs_node_eval(ev, d->arg[j])))
			return rc;
	const int a0 = d->arg[0], a1 = d->arg[1];
	const uint8_t t0 = cr->c->nodes[a0].type;
	int bad = 0;
	{ /* not null where no argument is (a literal never is) */
		const uint8_t *o0 = cr->c->nodes[a0].op == C_LIT ? NULL : cr->nb[a0].ok;
		const uint8_t *o1 = d->nargs < 2 || cr->c->nodes[a1].op == C_LIT ? NULL : cr->nb[a1].ok;
		if (o0 && o1)
			CS_ROWS(ev, b->ok[i] = o0[i] & o1[i]);
		else if (o0 || o1)
			CS_ROWS(ev, b->ok[i] = (o0 ? o0 : o1)[i]);
		else
			CS_ROWS(ev, b->ok[i] = 1);
	}
	switch (d->op) {
	case C_NEG:
		if (d->type == COLSTORE_TYPE_FLOAT64 && ev->dec_only)
			break; /* the decimal form alone (cs_dec_form) */
		if (d->type == COLSTORE_TYPE_FLOAT64)
			CS_ROWS(ev, b->d[i] = -cs_fget(cr, a0, i));
		else
			CS_ROWS(ev, {
				int64_t v = cs_iget(cr, a0, i);
				bad |= b->ok[i] && v == INT64_MIN;
				b->i[i] = (int64_t)(0 - (uint64_t)v);
			});
		break;
	case C_ADD:
	case C_SUB:
	case C_MUL:
		if (d->type == COLSTORE_TYPE_FLOAT64 && ev->dec_only) {
			/* the decimal form alone (cs_dec_form) */
		} else if (d->type == COLSTORE_TYPE_FLOAT64) {
			/* the operands as doubles, each a vector or a constant */
			double l0, l1;
			const double *x, *y;
			if ((rc = cs_fops(ev, k, a0, 0, &x, &l0)) || (rc = cs_fops(ev, k, a1, 1, &y, &l1)))
				return rc;
#define CS_FLOOP(OP)                                                                  \
	do {                                                                          \
		if (x && y)                                                           \
			CS_ROWS(ev, b->d[i] = x[i] OP y[i]);                          \
		else if (x)                                                           \
			CS_ROWS(ev, b->d[i] = x[i] OP l1);                            \
		else if (y)                                                           \
			CS_ROWS(ev, b->d[i] = l0 OP y[i]);                            \
		else                                                                  \
			CS_ROWS(ev, b->d[i] = l0 OP l1);                              \
	} while (0)
			if (d->op == C_ADD)
				CS_FLOOP(+);
			else if (d->op == C_SUB)
				CS_FLOOP(-);
			else
				CS_FLOOP(*);
#undef CS_FLOOP
		} else if (d->op == C_ADD) {
			CS_ROWS(ev, bad |= __builtin_add_overflow(cs_iget(cr, a0, i), cs_iget(cr, a1, i), &b->i[i]) & b->ok[i]);
		} else if (d->op == C_SUB) {
			CS_ROWS(ev, bad |= __builtin_sub_overflow(cs_iget(cr, a0, i), cs_iget(cr, a1, i), &b->i[i]) & b->ok[i]);
		} else {
			CS_ROWS(ev, bad |= __builtin_mul_overflow(cs_iget(cr, a0, i), cs_iget(cr, a1, i), &b->i[i]) & b->ok[i]);
		}
		break;
	case C_DIV:
		CS_ROWS(ev, {
			double den = cs_fget(cr, a1, i);
			b->ok[i] &= den != 0;
			b->d[i] = den != 0 ? cs_fget(cr, a0, i) / den : 0;
		});
		break;
	default:
		switch (d->fn) {
		case F_ABS:
			if (d->type == COLSTORE_TYPE_FLOAT64)
				CS_ROWS(ev, b->d[i] = fabs(cs_fget(cr, a0, i)));
			else
				CS_ROWS(ev, {
					int64_t v = cs_iget(cr, a0, i);
					bad |= b->ok[i] && v == INT64_MIN;
					b->i[i] = v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
				});
			break;
		case F_ROUND:
			if (d->type == COLSTORE_TYPE_FLOAT64)
				CS_ROWS(ev, b->d[i] = b->ok[i] ? cs_round(cs_fget(cr, a0, i), (int)d->i) : 0);
			else
				CS_ROWS(ev, b->i[i] = cs_iget(cr, a0, i));
			break;
		case F_BUCKET:
			if (d->type == COLSTORE_TYPE_FLOAT64) {
				CS_ROWS(ev, b->d[i] = floor(cs_fget(cr, a0, i) / d->d) * d->d);
			} else {
				CS_ROWS(ev, {
					int64_t q = cs_floordiv(cs_iget(cr, a0, i), d->i);
					bad |= __builtin_mul_overflow(q, d->i, &b->i[i]) & b->ok[i];
				});
			}
			break;
		default: /* parts of dates and timestamps, date_trunc */
			if (d->fn == F_YEAR || d->fn == F_QUARTER || d->fn == F_MONTH || d->fn == F_DAY) {
				/* a day's part once for its rows (sorted data: runs of rows) */
				int64_t last = INT64_MIN, part = 0;
				CS_ROWS(ev, {
					if (b->ok[i]) {
						int64_t v = cs_iget(cr, a0, i);
						int64_t day = t0 == COLSTORE_TYPE_DATE ? v : cs_floordiv(v, US_DAY);
						if (day != last) {
							int ovf = 0;
							part = cs_time_fn(d->fn, 0, COLSTORE_TYPE_DATE, day, &ovf);
							last = day;
						}
						b->i[i] = part;
					}
				});
				break;
			}
			CS_ROWS(ev, {
				int ovf = 0;
				b->i[i] = b->ok[i] ? cs_time_fn(d->fn, (int)d->i, t0, cs_iget(cr, a0, i), &ovf) : 0;
				bad |= ovf;
			});
			break;
		}
	}
	if (bad)
		return cs_overflow(ev, d);
	return cs_dec_form(ev, k);
}

int cs_calc_eval(cs_calc_run *cr, cs_colget get, void *ctx, uint32_t n, const uint32_t *idx,
                 uint32_t m, cs_cvec *out, colstore_error *err)
{
	return cs_calc_eval_m(cr, get, NULL, ctx, n, idx, m, 0, out, err);
}

int cs_calc_maybe_decimal(const cs_calc *c)
{
	int fcol = 0;
	for (int k = 0; k < c->n; k++) {
		const cs_cnode *d = &c->nodes[k];
		if (d->op == C_COL)
			fcol |= d->type == COLSTORE_TYPE_FLOAT64 && c->r->columns[d->col].type == COLSTORE_TYPE_FLOAT64;
		else if (d->op == C_LIT ? d->type != COLSTORE_TYPE_INT64
		                        : d->op != C_NEG && d->op != C_ADD && d->op != C_SUB && d->op != C_MUL)
			return 0;
	}
	return fcol && c->nodes[c->root].type == COLSTORE_TYPE_FLOAT64;
}

int cs_calc_eval_m(cs_calc_run *cr, cs_colget get, cs_colget_m getm, void *ctx, uint32_t n,
                   const uint32_t *idx, uint32_t m, int dec_only, cs_cvec *out, colstore_error *err)
{
	cs_ev ev = { cr, get, getm, getm && dec_only, ctx, n, idx ? m : n, idx, err };
	const cs_calc *c = cr->c;
	const int k = c->root;
	const cs_cnode *d = &c->nodes[k];
	out->type = d->type;
	if (d->op == C_LIT) { /* a constant: written out */
		cs_nbuf *b = &cr->nb[k];
		if (!b->ok && !(b->ok = malloc(CS_BATCH_ROWS)))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (d->type == COLSTORE_TYPE_FLOAT64 && !b->d && !(b->d = malloc(CS_BATCH_ROWS * sizeof(double))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (d->type == COLSTORE_TYPE_STRING && !b->s && !(b->s = malloc(CS_BATCH_ROWS * sizeof(cs_str))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (d->type != COLSTORE_TYPE_FLOAT64 && d->type != COLSTORE_TYPE_STRING && !b->i &&
		    !(b->i = malloc(CS_BATCH_ROWS * sizeof(int64_t))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		CS_ROWS(&ev, {
			b->ok[i] = 1;
			if (b->d)
				b->d[i] = d->d;
			else if (b->s)
				b->s[i] = (cs_str){ d->s, d->slen };
			else
				b->i[i] = d->i;
		});
	} else {
		int rc = cs_node_eval(&ev, k);
		if (!rc && ev.dec_only && cr->nb[k].mscale < 0) { /* no decimal form: the doubles */
			ev.dec_only = 0;
			rc = cs_node_eval(&ev, k);
		}
		if (rc)
			return rc;
	}
	if (idx) { /* the other rows: null */
		/* mark taken rows first, then clear the rest */
		uint8_t *ok = cr->nb[k].ok;
		uint32_t j = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (j < m && idx[j] == i) {
				j++;
				continue;
			}
			ok[i] = 0;
		}
	}
	out->ok = cr->nb[k].ok;
	out->i = cr->nb[k].i;
	out->d = cr->nb[k].d;
	out->s = cr->nb[k].s;
	out->m = cr->nb[k].m;
	out->mscale = d->op == C_LIT ? -1 : cr->nb[k].mscale;
	return COLSTORE_OK;
}

int cs_calc_values(cs_calc_run *cr, const cs_cvec *v, uint32_t n, colstore_values *out)
{
	memset(out, 0, sizeof(*out));
	out->type = (colstore_type)v->type;
	out->rows = n;
	out->encoding = COLSTORE_ENCODING_PLAIN;
	if (!cr->vbits && !(cr->vbits = malloc(CS_BATCH_ROWS / 8 + 8)))
		return -1;
	if (!n || !memchr(v->ok, 0, n)) { /* no null: no bitmap, as a column's */
		out->validity = NULL;
	} else {
		memset(cr->vbits, 0, cs_bitmap_bytes(n));
		for (uint32_t i = 0; i < n; i++)
			cr->vbits[i >> 3] |= (uint8_t)(v->ok[i] << (i & 7));
		out->validity = cr->vbits;
	}
	switch (v->type) {
	case COLSTORE_TYPE_FLOAT64: out->data = v->d; return 0;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: out->data = v->i; return 0;
	default: break;
	}
	if (!cr->vdata && !(cr->vdata = malloc(CS_BATCH_ROWS * 4 + 8)))
		return -1;
	if (v->type == COLSTORE_TYPE_DATE) {
		int32_t *p = (int32_t *)(void *)cr->vdata;
		for (uint32_t i = 0; i < n; i++)
			p[i] = v->ok[i] ? (int32_t)v->i[i] : 0;
		out->data = p;
		return 0;
	}
	if (v->type == COLSTORE_TYPE_BOOL) {
		memset(cr->vdata, 0, cs_bitmap_bytes(n));
		for (uint32_t i = 0; i < n; i++)
			cr->vdata[i >> 3] |= (uint8_t)((v->ok[i] && v->i[i]) << (i & 7));
		out->data = cr->vdata;
		return 0;
	}
	/* strings: PLAIN offsets and bytes */
	if (!cr->voff && !(cr->voff = malloc((CS_BATCH_ROWS + 1) * sizeof(uint32_t))))
		return -1;
	size_t need = 0;
	for (uint32_t i = 0; i < n; i++)
		need += v->ok[i] ? v->s[i].len : 0;
	if (need >= UINT32_MAX)
		return -1;
	if (need + 1 > cr->vbytes_cap) {
		char *p = realloc(cr->vbytes, need + 1);
		if (!p)
			return -1;
		cr->vbytes = p;
		cr->vbytes_cap = need + 1;
	}
	uint32_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		cr->voff[i] = o;
		if (v->ok[i]) {
			memcpy(cr->vbytes + o, v->s[i].p, v->s[i].len);
			o += v->s[i].len;
		}
	}
	cr->voff[n] = o;
	out->data = cr->voff;
	out->bytes = cr->vbytes;
	return 0;
}

int cs_cvec_cmp(const cs_cvec *v, uint32_t i, const cs_cvec *w, uint32_t j)
{
	uint8_t s = v->type, t = w->type;
	if (s == COLSTORE_TYPE_STRING)
		return cs_bytes_cmp(v->s[i].p, v->s[i].len, w->s[j].p, w->s[j].len);
	if (s == COLSTORE_TYPE_FLOAT64 || t == COLSTORE_TYPE_FLOAT64) {
		/* exact: an int64 is exact in a long double (x86-64: 64 bits of
		 * mantissa) */
		long double a = s == COLSTORE_TYPE_FLOAT64 ? (long double)v->d[i] : (long double)v->i[i];
		long double b = t == COLSTORE_TYPE_FLOAT64 ? (long double)w->d[j] : (long double)w->i[j];
		if (a != a || b != b)
			return 2; /* unordered */
		return (a > b) - (a < b);
	}
	int64_t a = v->i[i], b = w->i[j];
	if (s != t) { /* a date against a timestamp: the date's midnight */
		int64_t ts = s == COLSTORE_TYPE_DATE ? b : a, days = s == COLSTORE_TYPE_DATE ? a : b;
		int64_t td = cs_floordiv(ts, US_DAY);
		/* past midnight: ts - td * US_DAY, in [0, US_DAY), wrapping on the way */
		int c = td != days ? (td > days) - (td < days)
		                   : (uint64_t)ts - (uint64_t)td * (uint64_t)US_DAY != 0;
		return s == COLSTORE_TYPE_DATE ? -c : c;
	}
	return (a > b) - (a < b);
}
