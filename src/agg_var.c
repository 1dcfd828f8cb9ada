/*
 * agg_var.c -- var, var_pop, stddev and stddev_pop: exact sums of the
 * values and of their squares, merged in any order to the same bits, and
 * the variance from them.
 *
 * Integers: n * sum(x^2) - sum(x)^2 computed exactly in 256 bits, then
 * divided by n^2 or n (n - 1) (one rounding to long double, one to double).
 * Floats: each square as its double plus its rounding error (fma), each
 * summed exactly apart, as are the values (exact while each sum's terms
 * lie within about 2^70 of each other, as for sum()); the sums are read as double-doubles
 * (the rounded sum and the rounded rest), and sum(x^2) - sum(x)^2 / n is
 * worked out in double-double, so that a large mean over a small spread
 * (1e9 +- 1) keeps its digits: the result is within about 1e-31 of the
 * values' squares of the exact variance; a group of one repeated value has
 * exactly 0 (its least and greatest value are kept).  A square past the
 * double range (|x| above about 1e154) makes the result infinite or NaN,
 * and squares of values all below about 1e-154 underflow (to 0 at worst).
 */
#include <math.h>

#include "agg.h"

void cs_var_add_int(cs_avar *v, int64_t x)
{
	cs_i128_add(&v->s1, x);
	const unsigned __int128 sq = (unsigned __int128)((__int128)x * x);
	const uint64_t lo = (uint64_t)sq, hi = (uint64_t)(sq >> 64);
	const uint64_t t = v->s2[0] + lo;
	const unsigned __int128 u = (unsigned __int128)v->s2[1] + hi + (t < lo);
	v->s2[0] = t;
	v->s2[1] = (uint64_t)u;
	v->s2[2] += (uint64_t)(u >> 64);
}

/* v->n counts x already (the kernel adds it first) */
void cs_var_add_double(cs_avar *v, double x)
{
	if (v->n == 1 || x < v->lo)
		v->lo = x;
	if (v->n == 1 || x > v->hi)
		v->hi = x;
	cs_fsum_add_double(&v->f1, x);
	const double p = x * x;
	cs_fsum_add_double(&v->f2, p);
	if (isfinite(p)) { /* apart: in one sum they would span too many bits */
		const double e = fma(x, x, -p); /* x * x - p, exactly */
		if (e != 0)
			cs_fsum_add_double(&v->f2e, e);
	}
}

void cs_var_merge(cs_avar *v, const cs_avar *w)
{
	if (w->n && (!v->n || w->lo < v->lo))
		v->lo = w->lo;
	if (w->n && (!v->n || w->hi > v->hi))
		v->hi = w->hi;
	v->n += w->n;
	cs_i128_add128(&v->s1, &w->s1);
	const uint64_t t = v->s2[0] + w->s2[0];
	const unsigned __int128 u = (unsigned __int128)v->s2[1] + w->s2[1] + (t < w->s2[0]);
	v->s2[0] = t;
	v->s2[1] = (uint64_t)u;
	v->s2[2] += w->s2[2] + (uint64_t)(u >> 64);
	cs_fsum_merge(&v->f1, &w->f1);
	cs_fsum_merge(&v->f2, &w->f2);
	cs_fsum_merge(&v->f2e, &w->f2e);
}

/* 256-bit unsigned numbers, four 64-bit limbs from the lowest */
typedef struct { uint64_t w[4]; } cs_u256;

static cs_u256 cs_mul_limbs(const uint64_t *a, int na, const uint64_t *b, int nb)
{
	cs_u256 r = { { 0, 0, 0, 0 } };
	for (int i = 0; i < na; i++) {
		uint64_t carry = 0;
		for (int j = 0; j < nb && i + j < 4; j++) {
			unsigned __int128 t = (unsigned __int128)a[i] * b[j] + r.w[i + j] + carry;
			r.w[i + j] = (uint64_t)t;
			carry = (uint64_t)(t >> 64);
		}
		if (i + nb < 4)
			r.w[i + nb] += carry;
	}
	return r;
}

static long double cs_u256_ld(const cs_u256 *x)
{
	long double r = 0;
	for (int i = 3; i >= 0; i--)
		r = r * 18446744073709551616.0L + (long double)x->w[i];
	return r;
}

/* x as the sum of two doubles: the sum rounded, then the rest rounded */
static void cs_dd(const cs_fsum *f, double *hi, double *lo)
{
	*hi = cs_fsum_value(f);
	*lo = 0;
	if (isfinite(*hi) && *hi != 0) {
		cs_fsum rest = *f;
		cs_fsum_add_double(&rest, -*hi);
		*lo = cs_fsum_value(&rest);
	}
}

double cs_var_value(const cs_avar *v, int is_float, int sample)
{
	const uint64_t n = (uint64_t)v->n;
	const double div = sample ? (double)(n - 1) : (double)n;
	if (!is_float) {
		/* n * s2 - s1^2, exactly: both are at most 2^207 */
		__int128 s1 = cs_i128_get(&v->s1);
		const unsigned __int128 m = s1 < 0 ? -(unsigned __int128)s1 : (unsigned __int128)s1;
		const uint64_t ml[2] = { (uint64_t)m, (uint64_t)(m >> 64) };
		const cs_u256 sq = cs_mul_limbs(ml, 2, ml, 2), ns2 = cs_mul_limbs(v->s2, 3, &n, 1);
		cs_u256 d;
		uint64_t borrow = 0;
		for (int i = 0; i < 4; i++) {
			const uint64_t a = ns2.w[i], b = sq.w[i];
			d.w[i] = a - b - borrow;
			borrow = (a < b) || (a - b < borrow);
		}
		if (borrow) /* cannot happen (Cauchy-Schwarz); a broken state, not a crash */
			return NAN;
		return (double)(cs_u256_ld(&d) / ((long double)n * (long double)div));
	}
	if (v->lo == v->hi && isfinite(v->lo))
		return 0; /* one value: exactly, not the rounding left of sum(x^2) - sum(x)^2 / n */
	double h1, l1, h2, l2;
	cs_dd(&v->f1, &h1, &l1);
	cs_dd(&v->f2, &h2, &l2);
	l2 += cs_fsum_value(&v->f2e);
	if (!isfinite(h1) || !isfinite(h2))
		return isnan(h1) || isnan(h2) ? NAN : h2 - h1 * h1 / (double)n;
	/* q = (h1 + l1)^2 / n in double-double */
	const double p = h1 * h1, pe = fma(h1, h1, -p) + 2 * h1 * l1;
	const double qh = p / (double)n, ql = (fma(-qh, (double)n, p) + pe) / (double)n;
	/* m2 = (h2 + l2) - (qh + ql) */
	const double s = h2 - qh, bv = s - h2;
	const double e = (h2 - (s - bv)) + (-qh - bv);
	const double m2 = s + (e + l2 - ql);
	return m2 > 0 ? m2 / div : 0;
}
