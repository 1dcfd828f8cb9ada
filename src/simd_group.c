/*
 * simd_group.c -- the few-group kernels behind cs_simd(): a batch's rows
 * counted per group, and an int8 column summed per group, for at most
 * CS_SIMD_GROUPS groups (a group-by of a column with a handful of values).
 *
 * The scalar kernels add each row into its group's slot, a load and a
 * store a row.  The vector ones turn it around: the rows' group ids
 * narrowed to bytes, 32 (AVX2) or 64 (AVX-512) rows at a time, and per
 * group one compare gives the rows in it: their count from the mask's
 * bits, their int8 values summed by SAD (as unsigned bytes, offset by 128,
 * the offset taken off once at the end).  Work grows with the groups, so
 * only a few take this way; the sums are integers, the same whatever the
 * kernel.  Each kernel writes its G results (nothing more).
 *
 * Measured (bench/kernels, ns per row, this project's VM): counts, scalar
 * 0.31-0.55 whatever G; AVX2 0.11 at 4 groups, 0.27 at 12, 0.39 at 17;
 * AVX-512 0.07 at 4, 0.20 at 17, 0.35 at 24, 0.37 at 32.  int8 sums,
 * scalar 0.59-0.68; AVX2 0.12 at 4, 0.47 at 17, 0.60 at 24; AVX-512 0.09
 * at 4, 0.30 at 17, 0.58 at 32.  Past the group counts below, a vector
 * kernel hands the batch to the scalar one (AVX-512 sums keep all 32).
 *
 * int64 min, max and sum by group (a DECIMAL column's mantissas under a
 * group-by): the scalar kernel keeps four lanes of partial results, so that
 * rows of one group in a row (two groups: half the rows) do not wait on the
 * store of the one before; 1.36-1.45 ns a row whatever G.  AVX-512 folds 8
 * rows per group by masked min, max and add: 0.56 at 2 groups, 0.87 at 4,
 * 1.96 at 8, so only up to CS_AVX512_DEC_MAX groups take it.
 */
#include "internal.h"

void cs_ghist_scalar(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist)
{
	for (uint32_t g = 0; g < G; g++)
		hist[g] = 0;
	for (uint32_t k = 0; k < m; k++)
		hist[gid[k]]++;
}

void cs_gsum8_scalar(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G, int64_t *sum)
{
	for (uint32_t g = 0; g < G; g++)
		sum[g] = 0;
	for (uint32_t k = 0; k < m; k++)
		sum[gid[k]] += x[k];
}

/* four lanes of partial results (row k in lane k % 4), so that rows of one
 * group in a row do not wait on each other's store; the lanes' sums are
 * then added with the same overflow check */
int cs_gdec_scalar(const uint32_t *gid, const int64_t *x, uint32_t m, uint32_t G, int64_t *mn,
                   int64_t *mx, int64_t *sm)
{
	int64_t ln[4 * CS_SIMD_GROUPS], lx[4 * CS_SIMD_GROUPS], ls[4 * CS_SIMD_GROUPS];
	int ovf = 0;
	for (uint32_t j = 0; j < 4 * G; j++) {
		ln[j] = INT64_MAX;
		lx[j] = INT64_MIN;
		ls[j] = 0;
	}
	uint32_t k = 0;
#define CS_GDEC_ROW(L)                                                   \
	do {                                                             \
		const int64_t y = x[k + (L)];                            \
		const uint32_t j = gid[k + (L)] * 4 + (L);               \
		ln[j] = y < ln[j] ? y : ln[j];                           \
		lx[j] = y > lx[j] ? y : lx[j];                           \
		ovf |= __builtin_add_overflow(ls[j], y, &ls[j]);         \
	} while (0)
	for (; k + 4 <= m; k += 4) {
		CS_GDEC_ROW(0);
		CS_GDEC_ROW(1);
		CS_GDEC_ROW(2);
		CS_GDEC_ROW(3);
	}
	for (; k < m; k++)
		CS_GDEC_ROW(0);
#undef CS_GDEC_ROW
	for (uint32_t g = 0; g < G; g++) {
		const int64_t *n = ln + 4 * g, *a = lx + 4 * g, *s = ls + 4 * g;
		int64_t lo = n[0], hi = a[0], t = s[0];
		for (unsigned l = 1; l < 4; l++) {
			lo = n[l] < lo ? n[l] : lo;
			hi = a[l] > hi ? a[l] : hi;
			ovf |= __builtin_add_overflow(t, s[l], &t);
		}
		mn[g] = lo;
		mx[g] = hi;
		sm[g] = t;
	}
	return ovf;
}

/* two lanes, so that each compare does not wait on the one before */
void cs_bounds_scalar(const int64_t *x, uint32_t m, int64_t *lo, int64_t *hi)
{
	int64_t l0 = x[0], l1 = x[0], h0 = x[0], h1 = x[0];
	uint32_t k = 1;
	for (; k + 2 <= m; k += 2) {
		l0 = x[k] < l0 ? x[k] : l0;
		h0 = x[k] > h0 ? x[k] : h0;
		l1 = x[k + 1] < l1 ? x[k + 1] : l1;
		h1 = x[k + 1] > h1 ? x[k + 1] : h1;
	}
	if (k < m) {
		l0 = x[k] < l0 ? x[k] : l0;
		h0 = x[k] > h0 ? x[k] : h0;
	}
	*lo = l1 < l0 ? l1 : l0;
	*hi = h1 > h0 ? h1 : h0;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define CS_AVX2 __attribute__((target("avx2,popcnt")))
#define CS_AVX2_HIST_MAX 12u
#define CS_AVX2_SUM8_MAX 20u
#define CS_AVX512_HIST_MAX 24u
#define CS_AVX512 __attribute__((target("avx2,popcnt,avx512f,avx512bw")))
#define CS_AVX512_DEC_MAX 5u

/* 32 group ids (each < 256) as bytes, in row order */
static inline __attribute__((always_inline, target("avx2"))) __m256i
cs_avx2_ids8(const uint32_t *gid)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)gid);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(gid + 8));
	__m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(gid + 16));
	__m256i d = _mm256_loadu_si256((const __m256i *)(const void *)(gid + 24));
	/* packs work within 128-bit lanes: ids 0-3 8-11 16-19 24-27 | 4-7
	 * 12-15 20-23 28-31 (4 bytes a piece), then one permutation of the
	 * 32-bit pieces puts them in row order */
	__m256i ab = _mm256_packus_epi32(a, b), cd = _mm256_packus_epi32(c, d);
	__m256i v = _mm256_packus_epi16(ab, cd);
	return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

CS_AVX2 void cs_ghist_avx2(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist)
{
	if (G > CS_AVX2_HIST_MAX)
		return cs_ghist_scalar(gid, m, G, hist);
	uint32_t cnt[CS_SIMD_GROUPS] = { 0 };
	uint32_t k = 0;
	for (; k + 32 <= m; k += 32) {
		const __m256i ids = cs_avx2_ids8(gid + k);
		for (uint32_t g = 0; g < G; g++) {
			__m256i eq = _mm256_cmpeq_epi8(ids, _mm256_set1_epi8((char)g));
			cnt[g] += (uint32_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(eq));
		}
	}
	for (; k < m; k++)
		cnt[gid[k]]++;
	for (uint32_t g = 0; g < G; g++)
		hist[g] = cnt[g];
}

CS_AVX2 void cs_gsum8_avx2(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G,
                           int64_t *sum)
{
	if (G > CS_AVX2_SUM8_MAX)
		return cs_gsum8_scalar(gid, x, m, G, sum);
	__m256i acc[CS_SIMD_GROUPS];
	uint64_t cnt[CS_SIMD_GROUPS] = { 0 };
	for (uint32_t g = 0; g < G; g++)
		acc[g] = _mm256_setzero_si256();
	const __m256i bias = _mm256_set1_epi8((char)0x80), zero = _mm256_setzero_si256();
	uint32_t k = 0;
	for (; k + 32 <= m; k += 32) {
		const __m256i ids = cs_avx2_ids8(gid + k);
		/* x + 128 as unsigned bytes */
		const __m256i xv = _mm256_xor_si256(
			_mm256_loadu_si256((const __m256i *)(const void *)(x + k)), bias);
		for (uint32_t g = 0; g < G; g++) {
			__m256i eq = _mm256_cmpeq_epi8(ids, _mm256_set1_epi8((char)g));
			cnt[g] += (uint64_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(eq));
			acc[g] = _mm256_add_epi64(acc[g], _mm256_sad_epu8(_mm256_and_si256(eq, xv), zero));
		}
	}
	for (uint32_t g = 0; g < G; g++) {
		uint64_t lane[4];
		_mm256_storeu_si256((__m256i *)(void *)lane, acc[g]);
		sum[g] = (int64_t)(lane[0] + lane[1] + lane[2] + lane[3]) - 128 * (int64_t)cnt[g];
	}
	for (; k < m; k++)
		sum[gid[k]] += x[k];
}

/* 64 group ids (each < 256) as bytes, in row order */
static inline __attribute__((always_inline, target("avx2,avx512f,avx512bw"))) __m512i
cs_avx512_ids8(const uint32_t *gid)
{
	__m128i a = _mm512_cvtepi32_epi8(_mm512_loadu_si512(gid));
	__m128i b = _mm512_cvtepi32_epi8(_mm512_loadu_si512(gid + 16));
	__m128i c = _mm512_cvtepi32_epi8(_mm512_loadu_si512(gid + 32));
	__m128i d = _mm512_cvtepi32_epi8(_mm512_loadu_si512(gid + 48));
	__m256i lo = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
	__m256i hi = _mm256_inserti128_si256(_mm256_castsi128_si256(c), d, 1);
	return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

CS_AVX512 void cs_ghist_avx512(const uint32_t *gid, uint32_t m, uint32_t G, uint32_t *hist)
{
	if (G > CS_AVX512_HIST_MAX)
		return cs_ghist_scalar(gid, m, G, hist);
	uint32_t cnt[CS_SIMD_GROUPS] = { 0 };
	uint32_t k = 0;
	for (; k + 64 <= m; k += 64) {
		const __m512i ids = cs_avx512_ids8(gid + k);
		for (uint32_t g = 0; g < G; g++)
			cnt[g] += (uint32_t)__builtin_popcountll(
				_mm512_cmpeq_epi8_mask(ids, _mm512_set1_epi8((char)g)));
	}
	for (; k < m; k++)
		cnt[gid[k]]++;
	for (uint32_t g = 0; g < G; g++)
		hist[g] = cnt[g];
}

CS_AVX512 void cs_gsum8_avx512(const uint32_t *gid, const int8_t *x, uint32_t m, uint32_t G,
                               int64_t *sum)
{
	__m512i acc[CS_SIMD_GROUPS];
	uint64_t cnt[CS_SIMD_GROUPS] = { 0 };
	for (uint32_t g = 0; g < G; g++)
		acc[g] = _mm512_setzero_si512();
	const __m512i bias = _mm512_set1_epi8((char)0x80), zero = _mm512_setzero_si512();
	uint32_t k = 0;
	for (; k + 64 <= m; k += 64) {
		const __m512i ids = cs_avx512_ids8(gid + k);
		const __m512i xv = _mm512_xor_si512(_mm512_loadu_si512(x + k), bias);
		for (uint32_t g = 0; g < G; g++) {
			__mmask64 eq = _mm512_cmpeq_epi8_mask(ids, _mm512_set1_epi8((char)g));
			cnt[g] += (uint64_t)__builtin_popcountll(eq);
			acc[g] = _mm512_add_epi64(acc[g], _mm512_sad_epu8(_mm512_maskz_mov_epi8(eq, xv), zero));
		}
	}
	for (uint32_t g = 0; g < G; g++)
		sum[g] = _mm512_reduce_add_epi64(acc[g]) - 128 * (int64_t)cnt[g];
	for (; k < m; k++)
		sum[gid[k]] += x[k];
}
/* 8 rows at a time: per group, one compare of the rows' ids gives the rows
 * in it, and masked min, max and add fold their values into the group's
 * vectors.  A sum is not checked row by row: the lanes' sums cannot pass
 * int64 when m times the largest magnitude seen does not, and otherwise the
 * caller is told to sum again in 128 bits (as the scalar kernel's exact
 * check may also say). */
__attribute__((target("avx2,avx512f,avx512vl"))) int
cs_gdec_avx512(const uint32_t *gid, const int64_t *x, uint32_t m, uint32_t G, int64_t *mn,
               int64_t *mx, int64_t *sm)
{
	if (G > CS_AVX512_DEC_MAX)
		return cs_gdec_scalar(gid, x, m, G, mn, mx, sm);
	__m512i vn[CS_AVX512_DEC_MAX], vx[CS_AVX512_DEC_MAX], vs[CS_AVX512_DEC_MAX];
	for (uint32_t g = 0; g < G; g++) {
		vn[g] = _mm512_set1_epi64(INT64_MAX);
		vx[g] = _mm512_set1_epi64(INT64_MIN);
		vs[g] = _mm512_setzero_si512();
	}
	uint32_t k = 0;
	for (; k + 8 <= m; k += 8) {
		const __m512i ids =
			_mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(const void *)(gid + k)));
		const __m512i y = _mm512_loadu_si512(x + k);
		for (uint32_t g = 0; g < G; g++) {
			const __mmask8 e = _mm512_cmpeq_epi64_mask(ids, _mm512_set1_epi64((long long)g));
			vn[g] = _mm512_mask_min_epi64(vn[g], e, vn[g], y);
			vx[g] = _mm512_mask_max_epi64(vx[g], e, vx[g], y);
			vs[g] = _mm512_mask_add_epi64(vs[g], e, vs[g], y);
		}
	}
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (uint32_t g = 0; g < G; g++) {
		mn[g] = _mm512_reduce_min_epi64(vn[g]);
		mx[g] = _mm512_reduce_max_epi64(vx[g]);
		/* the lanes added as unsigned (they may wrap; checked below) */
		uint64_t lane[8], t = 0;
		_mm512_storeu_si512(lane, vs[g]);
		for (unsigned l = 0; l < 8; l++)
			t += lane[l];
		sm[g] = (int64_t)t;
	}
	for (; k < m; k++) {
		const int64_t y = x[k];
		const uint32_t g = gid[k];
		mn[g] = y < mn[g] ? y : mn[g];
		mx[g] = y > mx[g] ? y : mx[g];
		sm[g] = (int64_t)((uint64_t)sm[g] + (uint64_t)y);
	}
	for (uint32_t g = 0; g < G; g++) {
		lo = mn[g] < lo ? mn[g] : lo;
		hi = mx[g] > hi ? mx[g] : hi;
	}
	if (!m)
		return 0;
	const uint64_t mag_lo = lo < 0 ? (uint64_t)0 - (uint64_t)lo : (uint64_t)lo;
	const uint64_t mag_hi = hi < 0 ? (uint64_t)0 - (uint64_t)hi : (uint64_t)hi;
	const uint64_t mag = mag_lo > mag_hi ? mag_lo : mag_hi;
	return mag > (uint64_t)INT64_MAX / m;
}

/* 8 values (AVX2: two registers of 4) at a time; the tail as scalar */
__attribute__((target("avx2"))) void cs_bounds_avx2(const int64_t *x, uint32_t m, int64_t *lo,
                                                    int64_t *hi)
{
	if (m < 8) {
		cs_bounds_scalar(x, m, lo, hi);
		return;
	}
	__m256i l0 = _mm256_loadu_si256((const __m256i *)(const void *)x), h0 = l0;
	__m256i l1 = _mm256_loadu_si256((const __m256i *)(const void *)(x + 4)), h1 = l1;
	uint32_t k = 8;
	for (; k + 8 <= m; k += 8) {
		const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(x + k));
		const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(x + k + 4));
		l0 = _mm256_blendv_epi8(l0, a, _mm256_cmpgt_epi64(l0, a));
		h0 = _mm256_blendv_epi8(h0, a, _mm256_cmpgt_epi64(a, h0));
		l1 = _mm256_blendv_epi8(l1, b, _mm256_cmpgt_epi64(l1, b));
		h1 = _mm256_blendv_epi8(h1, b, _mm256_cmpgt_epi64(b, h1));
	}
	l0 = _mm256_blendv_epi8(l0, l1, _mm256_cmpgt_epi64(l0, l1));
	h0 = _mm256_blendv_epi8(h0, h1, _mm256_cmpgt_epi64(h1, h0));
	int64_t a[4], b[4];
	_mm256_storeu_si256((__m256i *)(void *)a, l0);
	_mm256_storeu_si256((__m256i *)(void *)b, h0);
	int64_t l = a[0], h = b[0];
	for (unsigned j = 1; j < 4; j++) {
		l = a[j] < l ? a[j] : l;
		h = b[j] > h ? b[j] : h;
	}
	for (; k < m; k++) {
		l = x[k] < l ? x[k] : l;
		h = x[k] > h ? x[k] : h;
	}
	*lo = l;
	*hi = h;
}

__attribute__((target("avx2,avx512f"))) void cs_bounds_avx512(const int64_t *x, uint32_t m,
                                                              int64_t *lo, int64_t *hi)
{
	if (m < 16) {
		cs_bounds_scalar(x, m, lo, hi);
		return;
	}
	__m512i l0 = _mm512_loadu_si512(x), h0 = l0;
	__m512i l1 = _mm512_loadu_si512(x + 8), h1 = l1;
	uint32_t k = 16;
	for (; k + 16 <= m; k += 16) {
		const __m512i a = _mm512_loadu_si512(x + k), b = _mm512_loadu_si512(x + k + 8);
		l0 = _mm512_min_epi64(l0, a);
		h0 = _mm512_max_epi64(h0, a);
		l1 = _mm512_min_epi64(l1, b);
		h1 = _mm512_max_epi64(h1, b);
	}
	int64_t l = _mm512_reduce_min_epi64(_mm512_min_epi64(l0, l1));
	int64_t h = _mm512_reduce_max_epi64(_mm512_max_epi64(h0, h1));
	for (; k < m; k++) {
		l = x[k] < l ? x[k] : l;
		h = x[k] > h ? x[k] : h;
	}
	*lo = l;
	*hi = h;
}
#endif /* x86-64 */
