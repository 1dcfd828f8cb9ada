/*
 * fsum.c -- exact sums of floating-point values, so that a sum does not
 * depend on the order it was added in (and so on the thread count).
 *
 * A sum has two exact parts and a last resort:
 *   - decimal: an integer count of 10^-e, fed by DECIMAL blocks, whose
 *     values are mantissa / 10^e (format-spec.md §10.3): the sum of what
 *     the CSV said, digit for digit;
 *   - binary: an integer count of 2^be, fed by plain doubles, each of which
 *     is exactly an integer times a power of two;
 *   - spill: an ordinary double, used only when a part would leave 127
 *     bits (values over 2^70 apart in magnitude, or an astronomic count);
 *     then, and only then, the result may depend on the order.  The spill
 *     takes the smaller side (the new value, or the sum so far when the new
 *     value is the larger), so that it holds values far below the exact
 *     part and cannot overflow while the true sum is finite.
 * NaN and infinities are counted apart and decide the result as IEEE does.
 */
#include <math.h>

#include "internal.h"

/* v * 10^k, or -1 when it leaves 127 bits */
static int cs_scale10(__int128 *v, int k)
{
	for (; k > 0; k--)
		if (__builtin_mul_overflow(*v, 10, v))
			return -1;
	return 0;
}

void cs_fsum_add_decimal(cs_fsum *f, __int128 m, int e)
{
	if (m == 0)
		return;
	__int128 acc = cs_i128_get(&f->dec);
	if (!f->has_dec) {
		cs_i128_set(&f->dec, m);
		f->dec_scale = (int8_t)e;
		f->has_dec = 1;
		return;
	}
	int de = f->dec_scale;
	if (e > de) { /* rescale the sum to the finer unit */
		__int128 a = acc;
		if (cs_scale10(&a, e - de) == 0) {
			acc = a;
			de = e;
		}
	}
	if (e < de) {
		__int128 t = m;
		if (cs_scale10(&t, de - e)) {
			f->spill += (double)m / cs_pow10[e];
			f->inexact = 1;
			return;
		}
		m = t;
		e = de;
	}
	if (e != de || __builtin_add_overflow(acc, m, &acc)) {
		f->spill += (double)m / cs_pow10[e];
		f->inexact = 1;
		return;
	}
	cs_i128_set(&f->dec, acc);
	f->dec_scale = (int8_t)de;
}

/* add m * 2^e (|m| < 2^64) to the binary part */
static void cs_fsum_add_bin(cs_fsum *f, __int128 m, int e)
{
	if (m == 0)
		return;
	if (!f->has_bin) {
		cs_i128_set(&f->bin, m);
		f->bin_exp = (int16_t)e;
		f->has_bin = 1;
		return;
	}
	__int128 acc = cs_i128_get(&f->bin);
	const __int128 m0 = m; /* m * 2^e, whatever m becomes in the sum's unit */
	int be = f->bin_exp;
	if (e < be) { /* the sum moves to the finer unit */
		int sh = be - e;
		__int128 lim = (__int128)1 << (126 - (sh > 126 ? 126 : sh));
		if (sh > 126 || acc >= lim || acc <= -lim)
			goto spill;
		acc *= (__int128)1 << sh;
		be = e;
	} else if (e > be) {
		int sh = e - be;
		__int128 lim = (__int128)1 << (126 - (sh > 126 ? 126 : sh));
		if (sh > 126 || m >= lim || m <= -lim) {
			/* the new value is at least as large as the whole sum so far:
			 * the sum so far goes to the spill and the exact part starts
			 * again at the new value's unit, so that the exact part keeps
			 * the large values (1e308 + 1e308 - 1e308 - 1e308 + 1e-300 in
			 * any order is 1e-300, never inf) and the spill only small ones */
			f->spill += ldexp((double)acc, be);
			f->inexact = 1;
			cs_i128_set(&f->bin, m0);
			f->bin_exp = (int16_t)e;
			return;
		}
		m *= (__int128)1 << sh;
	}
	if (__builtin_add_overflow(acc, m, &acc))
		goto spill;
	cs_i128_set(&f->bin, acc);
	f->bin_exp = (int16_t)be;
	return;
spill:
	f->spill += ldexp((double)m0, e); /* m may be scaled to the unit 2^be by now */
	f->inexact = 1;
}

void cs_fsum_add_double(cs_fsum *f, double x)
{
	uint64_t bits;
	memcpy(&bits, &x, 8);
	int ex = (int)((bits >> 52) & 0x7ff);
	uint64_t frac = bits & ((1ull << 52) - 1);
	if (ex == 0x7ff) { /* inf or NaN */
		if (frac)
			f->nan = 1;
		else if (bits >> 63)
			f->ninf = 1;
		else
			f->pinf = 1;
		return;
	}
	if (ex == 0) {
		if (!frac)
			return; /* zeros add nothing (the sign of an all-zero sum: +0) */
		ex = 1;  /* subnormal */
	} else {
		frac |= 1ull << 52;
	}
	/* x = frac * 2^(ex - 1075); drop trailing zero bits so the unit stays
	 * as coarse as the data allows */
	int tz = __builtin_ctzll(frac);
	frac >>= tz;
	int e = ex - 1075 + tz;
	cs_fsum_add_bin(f, (bits >> 63) ? -(__int128)frac : (__int128)frac, e);
}

void cs_fsum_merge(cs_fsum *f, const cs_fsum *g)
{
	if (g->has_dec)
		cs_fsum_add_decimal(f, cs_i128_get(&g->dec), g->dec_scale);
	if (g->has_bin) {
		/* split g's 127-bit integer into 64-bit pieces, each exact */
		__int128 v = cs_i128_get(&g->bin);
		int e = g->bin_exp;
		int neg = v < 0;
		unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
		for (int k = 0; u; k++, u >>= 48) {
			__int128 piece = (__int128)(u & ((1ull << 48) - 1));
			cs_fsum_add_bin(f, neg ? -piece : piece, e + 48 * k);
		}
	}
	f->spill += g->spill;
	f->inexact |= g->inexact;
	f->nan |= g->nan;
	f->pinf |= g->pinf;
	f->ninf |= g->ninf;
}

double cs_fsum_value(const cs_fsum *f)
{
	if (f->nan || (f->pinf && f->ninf))
		return NAN;
	if (f->pinf)
		return INFINITY;
	if (f->ninf)
		return -INFINITY;
	double b = f->has_bin ? ldexp((double)cs_i128_get(&f->bin), f->bin_exp) : 0.0;
	double d = f->has_dec ? (double)cs_i128_get(&f->dec) / cs_pow10[f->dec_scale] : 0.0;
	if (!f->has_bin)
		return d + f->spill;
	if (!f->has_dec)
		return b + f->spill;
	return (b + d) + f->spill;
}

/* the mean of n values summed into f: from the sum scaled down by 2^64
 * when the sum itself is past the double range (two values of 1.797e308
 * sum to infinity, yet their mean is finite) */
double cs_fsum_mean(const cs_fsum *f, uint64_t n)
{
	double v = cs_fsum_value(f);
	if (!n)
		return 0;
	if (!isinf(v) || f->pinf || f->ninf)
		return v / (double)n;
	double b = f->has_bin ? ldexp((double)cs_i128_get(&f->bin), f->bin_exp - 64) : 0.0;
	double d = f->has_dec ? ldexp((double)cs_i128_get(&f->dec) / cs_pow10[f->dec_scale], -64)
	                      : 0.0;
	return ldexp((b + d + ldexp(f->spill, -64)) / (double)n, 64);
}
