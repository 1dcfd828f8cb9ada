/*
 * simd.c -- the decode kernels behind cs_simd(): bit-unpacking with the
 * frame of reference (format-spec.md §10.2, §10.3), sums of packed values,
 * and dictionary codes (§9.4) widened to uint32 (the few-group kernels of
 * the tables: simd_group.c); scalar everywhere, AVX2
 * (and AVX-512) on x86-64 CPUs that have it, chosen once at run time.
 *
 * The rest of the library builds for the baseline of its target: only the
 * functions here marked with a target attribute use the wider
 * instructions, and they run only after __builtin_cpu_supports() said so.
 * COLSTORE_SIMD=scalar (or avx2, avx512) in the environment forces a table.
 *
 * No kernel reads a byte that its scalar twin may not read: the
 * groups handed over plus the 16 bytes past them (pack.c, cs_batch()).
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

void cs_widen_scalar(const void *codes, unsigned w, size_t n, uint32_t *out)
{
	const uint8_t *p = codes;
	if (w == 1) { /* one loop per width, each vectorizes */
		for (size_t i = 0; i < n; i++)
			out[i] = p[i];
	} else if (w == 2) {
		for (size_t i = 0; i < n; i++) {
			uint16_t v;
			memcpy(&v, p + 2 * i, 2);
			out[i] = v;
		}
	} else if (n) {
		memcpy(out, p, n * 4);
	}
}

static const cs_simd_ops cs_ops_scalar = { "scalar",           cs_decode_scalar,
	                                   cs_psum_scalar,     cs_widen_scalar,
	                                   cs_popcount_scalar, cs_rows_scalar,
	                                   cs_ghist_scalar,    cs_gsum8_scalar,
	                                   cs_gdec_scalar,     cs_bounds_scalar,
	                                   cs_stops_scalar,    cs_xxh3_plain };

#if defined(__x86_64__) && defined(__GNUC__)
#define CS_X86 1
#include <immintrin.h>

#define CS_AVX2 __attribute__((target("avx2")))
#define CS_AVX2_INLINE static inline __attribute__((always_inline, target("avx2")))

/* ---- AVX2 ---------------------------------------------------------------------
 * A group of 8 b-bit values is b bytes (§10.2 packs LSB-first).  For b <= 25
 * every value with its shift (< 8) fits 32 bits: values 0-3 lie in the 16
 * bytes from the group's start, values 4-7 in the 16 from byte b/2, so two
 * 16-byte loads, one byte shuffle per 128-bit lane, a shift per lane and a
 * mask give 8 uint32.  For b <= 57 (value plus shift fits 64 bits), values
 * 2j and 2j+1 lie in the 16 bytes from byte 2jb/8: four loads give 8 uint64.
 * Wider values (58..64 bits) take the scalar kernel.  The last load starts
 * at most b bytes into the group, so no read passes 16 bytes beyond it. */

typedef struct cs_avx2_tab {
	uint8_t shuf32[32];     /* b <= 25: bytes of values 0-3 | 4-7, 4 each */
	uint32_t shift32[8];
	uint8_t shuf64[2][32];  /* b <= 57: values 0-1 | 2-3, then 4-5 | 6-7 */
	uint64_t shift64[8];
	unsigned base64[4];     /* byte offsets of the four loads */
} cs_avx2_tab;

#define CS_AVX2_MAXB 57u
static cs_avx2_tab cs_tabs[65]; /* 1..57 written once, by cs_simd_init */

static void cs_avx2_tables(void)
{
	for (unsigned b = 1; b <= CS_AVX2_MAXB; b++) {
		cs_avx2_tab *t = &cs_tabs[b];
		for (unsigned j = 0; j < 8; j++) {
			unsigned bit = j * b, lane = j / 4, base = lane ? 4 * b / 8 : 0;
			t->shift32[j] = bit % 8;
			t->shift64[j] = bit % 8;
			for (unsigned k = 0; k < 4; k++)
				t->shuf32[16 * lane + 4 * (j % 4) + k] =
					b <= 25 ? (uint8_t)(bit / 8 - base + k) : 0x80;
		}
		for (unsigned q = 0; q < 4; q++) /* load q: values 2q, 2q + 1 */
			t->base64[q] = 2 * q * b / 8;
		for (unsigned j = 0; j < 8; j++) {
			unsigned q = j / 2, off = j * b / 8 - t->base64[q];
			for (unsigned k = 0; k < 8; k++)
				t->shuf64[q / 2][16 * (q % 2) + 8 * (j % 2) + k] = (uint8_t)(off + k);
		}
	}
}

static inline __attribute__((always_inline)) uint64_t cs_mask(unsigned b)
{
	return b >= 64 ? ~0ull : (1ull << b) - 1;
}

CS_AVX2_INLINE __m256i cs_load2x16(const uint8_t *lo, const uint8_t *hi)
{
	return _mm256_inserti128_si256(
		_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)lo)),
		_mm_loadu_si128((const __m128i *)(const void *)hi), 1);
}

/* the group at in as 8 uint32 (b <= 25) */
CS_AVX2_INLINE __m256i cs_avx2_u32(const uint8_t *in, unsigned half, __m256i shuf, __m256i shift,
                                   __m256i mask)
{
	__m256i x = _mm256_shuffle_epi8(cs_load2x16(in, in + half), shuf);
	return _mm256_and_si256(_mm256_srlv_epi32(x, shift), mask);
}

/* the group at in as 8 uint64, values 0-3 in *a, 4-7 in *c (b <= 57) */
CS_AVX2_INLINE void cs_avx2_u64(const uint8_t *in, const cs_avx2_tab *t, __m256i shuf0,
                                __m256i shuf1, __m256i sh0, __m256i sh1, __m256i mask,
                                __m256i *a, __m256i *c)
{
	__m256i x = _mm256_shuffle_epi8(cs_load2x16(in + t->base64[0], in + t->base64[1]), shuf0);
	__m256i y = _mm256_shuffle_epi8(cs_load2x16(in + t->base64[2], in + t->base64[3]), shuf1);
	*a = _mm256_and_si256(_mm256_srlv_epi64(x, sh0), mask);
	*c = _mm256_and_si256(_mm256_srlv_epi64(y, sh1), mask);
}

/* the low halves of 8 uint64 (a: 0-3, c: 4-7), in order */
CS_AVX2_INLINE __m256i cs_avx2_low32(__m256i a, __m256i c)
{
	__m256 s = _mm256_shuffle_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(c), 0x88);
	return _mm256_permute4x64_epi64(_mm256_castps_si256(s), 0xd8);
}

/* 8 uint32, each cut to w (1, 2 or 4) bytes, stored at o */
CS_AVX2_INLINE void cs_avx2_store_narrow(uint8_t *o, __m256i y, unsigned w)
{
	if (w == 4) {
		_mm256_storeu_si256((__m256i *)(void *)o, y);
	} else if (w == 2) {
		const __m256i pick = _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1,
		                                      -1, 0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1,
		                                      -1, -1);
		y = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(y, pick), 0x08);
		_mm_storeu_si128((__m128i *)(void *)o, _mm256_castsi256_si128(y));
	} else {
		const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
		                                      -1, -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
		                                      -1, -1, -1, -1);
		y = _mm256_shuffle_epi8(y, pick);
		__m128i r = _mm_unpacklo_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
		_mm_storel_epi64((__m128i *)(void *)o, r);
	}
}

/* v * unit mod 2^64, unit's halves in ulo and uhi */
CS_AVX2_INLINE __m256i cs_avx2_mul64(__m256i v, __m256i ulo, __m256i uhi)
{
	__m256i lo = _mm256_mul_epu32(v, ulo);
	__m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(v, 32), ulo),
	                                 _mm256_mul_epu32(v, uhi));
	return _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
}

/* 4 int64 (as the bits of x) to double, divided by p10, stored at o: the
 * same rounding as the scalar (double)x / p10.  |x| < 2^51 converts
 * exactly by the 1.5 * 2^52 trick; other vectors lane by lane. */
CS_AVX2_INLINE void cs_avx2_store_double(uint8_t *o, __m256i x, __m256d p10)
{
	const __m256i magic = _mm256_set1_epi64x(0x4338000000000000ll);
	__m256i t = _mm256_add_epi64(x, _mm256_set1_epi64x(1ll << 51));
	__m256d d;
	if (_mm256_testz_si256(t, _mm256_set1_epi64x(~((1ll << 52) - 1)))) {
		d = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_add_epi64(x, magic)),
		                  _mm256_castsi256_pd(magic));
	} else {
		int64_t l[4];
		_mm256_storeu_si256((__m256i *)(void *)l, x);
		d = _mm256_setr_pd((double)l[0], (double)l[1], (double)l[2], (double)l[3]);
	}
	_mm256_storeu_pd((double *)(void *)o, _mm256_div_pd(d, p10));
}

/* groups whole groups: the template every AVX2 decode kernel instantiates
 * with constant wide (b > 25), w, dbl (DECIMAL to float64) and unit1 */
CS_AVX2_INLINE void cs_avx2_groups(const uint8_t *in, size_t groups, const cs_frame *f,
                                   uint8_t *o, const int wide, const unsigned w, const int dbl,
                                   const int unit1)
{
	const unsigned b = f->b;
	const cs_avx2_tab *t = &cs_tabs[b];
	const __m256i mask32 = _mm256_set1_epi32((int)(uint32_t)cs_mask(b));
	const __m256i mask64 = _mm256_set1_epi64x((long long)cs_mask(b));
	const __m256i shuf32 = _mm256_loadu_si256((const __m256i *)(const void *)t->shuf32);
	const __m256i shift32 = _mm256_loadu_si256((const __m256i *)(const void *)t->shift32);
	const __m256i shuf0 = _mm256_loadu_si256((const __m256i *)(const void *)t->shuf64[0]);
	const __m256i shuf1 = _mm256_loadu_si256((const __m256i *)(const void *)t->shuf64[1]);
	const __m256i sh0 = _mm256_loadu_si256((const __m256i *)(const void *)t->shift64);
	const __m256i sh1 = _mm256_loadu_si256((const __m256i *)(const void *)(t->shift64 + 4));
	const __m256i ref64 = _mm256_set1_epi64x((long long)f->ref);
	const __m256i ref32 = _mm256_set1_epi32((int)(uint32_t)f->ref);
	const __m256i unit32 = _mm256_set1_epi32((int)(uint32_t)f->unit);
	const __m256i ulo = _mm256_set1_epi64x((long long)(uint32_t)f->unit);
	const __m256i uhi = _mm256_set1_epi64x((long long)(f->unit >> 32));
	const __m256d p10 = _mm256_set1_pd(f->p10);
	const unsigned half = 4 * b / 8;
	for (size_t g = 0; g < groups; g++, in += b, o += 8 * w) {
		__m256i a, c;
		if (!wide && w <= 4) {
			__m256i y = cs_avx2_u32(in, half, shuf32, shift32, mask32);
			if (!unit1)
				y = _mm256_mullo_epi32(y, unit32);
			cs_avx2_store_narrow(o, _mm256_add_epi32(y, ref32), w);
			continue;
		}
		if (!wide) {
			__m256i y = cs_avx2_u32(in, half, shuf32, shift32, mask32);
			a = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(y));
			c = _mm256_cvtepu32_epi64(_mm256_extracti128_si256(y, 1));
		} else {
			cs_avx2_u64(in, t, shuf0, shuf1, sh0, sh1, mask64, &a, &c);
			if (w <= 4) {
				__m256i y = cs_avx2_low32(a, c);
				if (!unit1)
					y = _mm256_mullo_epi32(y, unit32);
				cs_avx2_store_narrow(o, _mm256_add_epi32(y, ref32), w);
				continue;
			}
		}
		if (!unit1) {
			a = cs_avx2_mul64(a, ulo, uhi);
			c = cs_avx2_mul64(c, ulo, uhi);
		}
		a = _mm256_add_epi64(a, ref64);
		c = _mm256_add_epi64(c, ref64);
		if (dbl) {
			cs_avx2_store_double(o, a, p10);
			cs_avx2_store_double(o + 32, c, p10);
		} else {
			_mm256_storeu_si256((__m256i *)(void *)o, a);
			_mm256_storeu_si256((__m256i *)(void *)(o + 32), c);
		}
	}
}

/* m values: the whole groups in place, a last partial group through a
 * buffer of 8 values (its input is a whole group, as the caller allows) */
CS_AVX2_INLINE void cs_avx2_run(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o,
                                const int wide, const unsigned w, const int dbl, const int unit1)
{
	size_t full = m / 8;
	cs_avx2_groups(in, full, f, o, wide, w, dbl, unit1);
	if (m % 8) {
		uint8_t last[64];
		cs_avx2_groups(in + full * f->b, 1, f, last, wide, w, dbl, unit1);
		memcpy(o + full * 8 * w, last, (m % 8) * w);
	}
}

#define CS_AVX2_DECODE(NAME, WIDE, W, DBL, UNIT1)                                         \
	static CS_AVX2 void NAME(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o)  \
	{                                                                                     \
		cs_avx2_run(in, m, f, o, WIDE, W, DBL, UNIT1);                                \
	}
CS_AVX2_DECODE(cs_avx2_n1, 0, 1, 0, 0) CS_AVX2_DECODE(cs_avx2_n1u, 0, 1, 0, 1)
CS_AVX2_DECODE(cs_avx2_n2, 0, 2, 0, 0) CS_AVX2_DECODE(cs_avx2_n2u, 0, 2, 0, 1)
CS_AVX2_DECODE(cs_avx2_n4, 0, 4, 0, 0) CS_AVX2_DECODE(cs_avx2_n4u, 0, 4, 0, 1)
CS_AVX2_DECODE(cs_avx2_n8, 0, 8, 0, 0) CS_AVX2_DECODE(cs_avx2_n8u, 0, 8, 0, 1)
CS_AVX2_DECODE(cs_avx2_nd, 0, 8, 1, 1)
CS_AVX2_DECODE(cs_avx2_w1, 1, 1, 0, 0) CS_AVX2_DECODE(cs_avx2_w1u, 1, 1, 0, 1)
CS_AVX2_DECODE(cs_avx2_w2, 1, 2, 0, 0) CS_AVX2_DECODE(cs_avx2_w2u, 1, 2, 0, 1)
CS_AVX2_DECODE(cs_avx2_w4, 1, 4, 0, 0) CS_AVX2_DECODE(cs_avx2_w4u, 1, 4, 0, 1)
CS_AVX2_DECODE(cs_avx2_w8, 1, 8, 0, 0) CS_AVX2_DECODE(cs_avx2_w8u, 1, 8, 0, 1)
CS_AVX2_DECODE(cs_avx2_wd, 1, 8, 1, 1)

typedef void (*cs_decode_fn)(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o);

/* [wide][log2 w][unit == 1]; DECIMAL to float64 apart */
static const cs_decode_fn cs_avx2_decoders[2][4][2] = {
	{ { cs_avx2_n1, cs_avx2_n1u }, { cs_avx2_n2, cs_avx2_n2u }, { cs_avx2_n4, cs_avx2_n4u },
	  { cs_avx2_n8, cs_avx2_n8u } },
	{ { cs_avx2_w1, cs_avx2_w1u }, { cs_avx2_w2, cs_avx2_w2u }, { cs_avx2_w4, cs_avx2_w4u },
	  { cs_avx2_w8, cs_avx2_w8u } },
};

static void cs_avx2_decode(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o)
{
	const unsigned b = f->b;
	if (b == 0 || b > CS_AVX2_MAXB) {
		cs_decode_scalar(in, m, f, o);
		return;
	}
	const int wide = b > 25;
	if (f->as_double)
		(wide ? cs_avx2_wd : cs_avx2_nd)(in, m, f, o);
	else
		cs_avx2_decoders[wide][f->w == 1 ? 0 : f->w == 2 ? 1 : f->w == 4 ? 2 : 3]
		                [f->unit == 1](in, m, f, o);
}

static CS_AVX2 uint64_t cs_avx2_psum(const uint8_t *in, unsigned b, size_t groups)
{
	const cs_avx2_tab *t = &cs_tabs[b];
	__m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
	if (b <= 25) {
		const __m256i shuf = _mm256_loadu_si256((const __m256i *)(const void *)t->shuf32);
		const __m256i shift = _mm256_loadu_si256((const __m256i *)(const void *)t->shift32);
		const __m256i mask = _mm256_set1_epi32((int)(uint32_t)cs_mask(b));
		const __m256i even = _mm256_set1_epi64x(0xffffffffll);
		const unsigned half = 4 * b / 8;
		for (size_t g = 0; g < groups; g++, in += b) {
			__m256i y = cs_avx2_u32(in, half, shuf, shift, mask);
			s0 = _mm256_add_epi64(s0, _mm256_and_si256(y, even));
			s1 = _mm256_add_epi64(s1, _mm256_srli_epi64(y, 32));
		}
	} else {
		const __m256i shuf0 = _mm256_loadu_si256((const __m256i *)(const void *)t->shuf64[0]);
		const __m256i shuf1 = _mm256_loadu_si256((const __m256i *)(const void *)t->shuf64[1]);
		const __m256i sh0 = _mm256_loadu_si256((const __m256i *)(const void *)t->shift64);
		const __m256i sh1 = _mm256_loadu_si256((const __m256i *)(const void *)(t->shift64 + 4));
		const __m256i mask = _mm256_set1_epi64x((long long)cs_mask(b));
		for (size_t g = 0; g < groups; g++, in += b) {
			__m256i a, c;
			cs_avx2_u64(in, t, shuf0, shuf1, sh0, sh1, mask, &a, &c);
			s0 = _mm256_add_epi64(s0, a);
			s1 = _mm256_add_epi64(s1, c);
		}
	}
	uint64_t l[4];
	_mm256_storeu_si256((__m256i *)(void *)l, _mm256_add_epi64(s0, s1));
	return l[0] + l[1] + l[2] + l[3];
}

/* widening has no AVX2 kernel: the scalar loops, one per width, vectorize
 * (SSE2) and already run at the speed of the stores (bench/kernels) */
/* ---- bitmaps (AVX2 tables) ----------------------------------------------------
 * The scalar loops with the popcnt instruction; the set bits of a byte as
 * eight indexes from a table (cs_rowtab, built with the AVX2 tables), stored
 * masked to the byte's count, so nothing past the last index is written. */

static uint64_t cs_rowtab[256]; /* byte b: the positions of its set bits, a byte each */

static void cs_rowtab_init(void)
{
	for (unsigned b = 0; b < 256; b++) {
		uint64_t t = 0;
		unsigned k = 0;
		for (unsigned j = 0; j < 8; j++)
			if (b >> j & 1)
				t |= (uint64_t)j << (8 * k++);
		cs_rowtab[b] = t;
	}
}

#define CS_POPCNT __attribute__((target("popcnt")))

static CS_POPCNT uint64_t cs_popcnt_popcount(const uint8_t *bm, uint64_t n)
{
	uint64_t count = 0;
	for (uint64_t i0 = 0; i0 < n; i0 += 64)
		count += (uint64_t)__builtin_popcountll(cs_bitmap_word(bm, n, i0));
	return count;
}

static __attribute__((target("avx2,popcnt"))) uint32_t cs_avx2_rows(const uint8_t *bm, uint32_t n,
                                                                    uint32_t *idx)
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	uint32_t k = 0;
	for (uint32_t i0 = 0; i0 < n; i0 += 64) {
		uint64_t word = cs_bitmap_word(bm, n, i0);
		if (__builtin_popcountll(word) <= 8) { /* sparse: one index a bit */
			for (; word; word &= word - 1)
				idx[k++] = i0 + (uint32_t)__builtin_ctzll(word);
			continue;
		}
		for (uint32_t j = 0; j < 64; j += 8) {
			const unsigned byte = (unsigned)(word >> j) & 0xff;
			const int cnt = __builtin_popcount(byte);
			__m256i x = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)cs_rowtab[byte]));
			x = _mm256_add_epi32(x, _mm256_set1_epi32((int)(i0 + j)));
			_mm256_maskstore_epi32((int *)(idx + k),
			                       _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), lane), x);
			k += (uint32_t)cnt;
		}
	}
	return k;
}

static const cs_simd_ops cs_ops_avx2 = { "avx2",        cs_avx2_decode,     cs_avx2_psum,
	                                 cs_widen_scalar, cs_popcnt_popcount, cs_avx2_rows,
	                                 cs_ghist_avx2,   cs_gsum8_avx2,
	                                 cs_gdec_scalar,  cs_bounds_avx2,
	                                 cs_stops_avx2,   cs_xxh3_vector };

/* ---- AVX-512 (F, BW, DQ, VL and VBMI) ---------------------------------------
 * For b <= 25, two groups at a time as 16 uint32: one load of the at most
 * 2b + 4 bytes their values span (masked: not a byte more is read), one
 * byte permutation (VBMI) that gives each value its 4 bytes in a lane, a
 * shift and a mask per lane, and the narrowing stores are one instruction
 * each.  An odd last group goes the same way as 8 uint64 (at most b + 8
 * bytes).  Measured against AVX2 (bench/kernels): 5-25 % faster there,
 * no faster at b > 25, and 7 % slower for DECIMAL to float64 (the loop
 * waits on the divider, and the core runs 512-bit code at a lower clock):
 * those take the AVX2 kernels. */
#define CS_AVX512_TARGET "avx512f,avx512bw,avx512dq,avx512vl,avx512vbmi"
#define CS_AVX512 __attribute__((target(CS_AVX512_TARGET)))
#define CS_AVX512_INLINE static inline __attribute__((always_inline, target(CS_AVX512_TARGET)))
#define CS_AVX512_MAXB 25u

typedef struct cs_avx512_tab {
	uint8_t perm32[64];  /* two groups: value j's 4 bytes into 32-bit lane j */
	uint32_t shift32[16];
	uint64_t load32;     /* the bytes they span, as a load mask */
	uint8_t perm64[64];  /* one group: value j's 8 bytes into 64-bit lane j */
	uint64_t shift64[8];
	uint64_t load64;
} cs_avx512_tab;

static cs_avx512_tab cs_tabs512[65]; /* 1..25 written once, by cs_simd_init */

static uint64_t cs_load_mask(unsigned bytes)
{
	return bytes >= 64 ? ~0ull : (1ull << bytes) - 1;
}

static void cs_avx512_tables(void)
{
	for (unsigned b = 1; b <= CS_AVX512_MAXB; b++) {
		cs_avx512_tab *t = &cs_tabs512[b];
		for (unsigned j = 0; j < 16; j++) {
			t->shift32[j] = j * b % 8;
			for (unsigned k = 0; k < 4; k++)
				t->perm32[4 * j + k] = (uint8_t)(j * b / 8 + k);
		}
		t->load32 = cs_load_mask(15 * b / 8 + 4);
		for (unsigned j = 0; j < 8; j++) {
			t->shift64[j] = j * b % 8;
			for (unsigned k = 0; k < 8; k++)
				t->perm64[8 * j + k] = (uint8_t)(j * b / 8 + k);
		}
		t->load64 = cs_load_mask(7 * b / 8 + 8);
	}
}

/* ref + x * unit on 8 uint64, stored at the width */
CS_AVX512_INLINE void cs_avx512_put64(uint8_t *o, __m512i x, __m512i unit, __m512i ref,
                                      const unsigned w, const int unit1)
{
	if (!unit1)
		x = _mm512_mullo_epi64(x, unit);
	x = _mm512_add_epi64(x, ref);
	if (w == 8) { /* in halves: a 64-byte store into a buffer aligned to 16
	               * bytes spans two cache lines, and costs more */
		_mm256_storeu_si256((__m256i *)(void *)o, _mm512_castsi512_si256(x));
		_mm256_storeu_si256((__m256i *)(void *)(o + 32), _mm512_extracti64x4_epi64(x, 1));
	} else if (w == 4) {
		_mm256_storeu_si256((__m256i *)(void *)o, _mm512_cvtepi64_epi32(x));
	} else if (w == 2) {
		_mm_storeu_si128((__m128i *)(void *)o, _mm512_cvtepi64_epi16(x));
	} else {
		_mm_storel_epi64((__m128i *)(void *)o, _mm512_cvtepi64_epi8(x));
	}
}

CS_AVX512_INLINE void cs_avx512_groups(const uint8_t *in, size_t groups, const cs_frame *f,
                                       uint8_t *o, const unsigned w, const int unit1)
{
	const unsigned b = f->b;
	const cs_avx512_tab *t = &cs_tabs512[b];
	const __m512i ref = _mm512_set1_epi64((long long)f->ref);
	const __m512i unit = _mm512_set1_epi64((long long)f->unit);
	const __mmask64 load32 = t->load32;
	const __m512i perm32 = _mm512_loadu_si512(t->perm32);
	const __m512i shift32 = _mm512_loadu_si512(t->shift32);
	const __m512i mask32 = _mm512_set1_epi32((int)(uint32_t)cs_mask(b));
	const __m512i ref32 = _mm512_set1_epi32((int)(uint32_t)f->ref);
	const __m512i unit32 = _mm512_set1_epi32((int)(uint32_t)f->unit);
	size_t g = 0;
	for (; g + 2 <= groups; g += 2, in += 2 * b, o += 16 * w) {
		__m512i x = _mm512_permutexvar_epi8(perm32, _mm512_maskz_loadu_epi8(load32, in));
		x = _mm512_and_si512(_mm512_srlv_epi32(x, shift32), mask32);
		if (w == 8) {
			cs_avx512_put64(o, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(x)), unit, ref,
			                w, unit1);
			cs_avx512_put64(o + 64, _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(x, 1)),
			                unit, ref, w, unit1);
			continue;
		}
		if (!unit1)
			x = _mm512_mullo_epi32(x, unit32);
		x = _mm512_add_epi32(x, ref32);
		if (w == 4)
			_mm512_storeu_si512(o, x);
		else if (w == 2)
			_mm256_storeu_si256((__m256i *)(void *)o, _mm512_cvtepi32_epi16(x));
		else
			_mm_storeu_si128((__m128i *)(void *)o, _mm512_cvtepi32_epi8(x));
	}
	if (g < groups) {
		__m512i x = _mm512_permutexvar_epi8(_mm512_loadu_si512(t->perm64),
		                                    _mm512_maskz_loadu_epi8(t->load64, in));
		x = _mm512_srlv_epi64(x, _mm512_loadu_si512(t->shift64));
		x = _mm512_and_si512(x, _mm512_set1_epi64((long long)cs_mask(b)));
		cs_avx512_put64(o, x, unit, ref, w, unit1);
	}
}

CS_AVX512_INLINE void cs_avx512_run(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o,
                                    const unsigned w, const int unit1)
{
	size_t full = m / 8;
	cs_avx512_groups(in, full, f, o, w, unit1);
	if (m % 8) {
		uint8_t last[64];
		cs_avx512_groups(in + full * f->b, 1, f, last, w, unit1);
		memcpy(o + full * 8 * w, last, (m % 8) * w);
	}
}

#define CS_AVX512_DECODE(NAME, W, UNIT1)                                                     \
	static CS_AVX512 void NAME(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o)  \
	{                                                                                       \
		cs_avx512_run(in, m, f, o, W, UNIT1);                                           \
	}
CS_AVX512_DECODE(cs_avx512_1, 1, 0) CS_AVX512_DECODE(cs_avx512_1u, 1, 1)
CS_AVX512_DECODE(cs_avx512_2, 2, 0) CS_AVX512_DECODE(cs_avx512_2u, 2, 1)
CS_AVX512_DECODE(cs_avx512_4, 4, 0) CS_AVX512_DECODE(cs_avx512_4u, 4, 1)
CS_AVX512_DECODE(cs_avx512_8, 8, 0) CS_AVX512_DECODE(cs_avx512_8u, 8, 1)

/* [log2 w][unit == 1] */
static const cs_decode_fn cs_avx512_decoders[4][2] = {
	{ cs_avx512_1, cs_avx512_1u }, { cs_avx512_2, cs_avx512_2u },
	{ cs_avx512_4, cs_avx512_4u }, { cs_avx512_8, cs_avx512_8u },
};

static void cs_avx512_decode(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o)
{
	if (f->b == 0 || f->b > CS_AVX512_MAXB || f->as_double)
		cs_avx2_decode(in, m, f, o);
	else
		cs_avx512_decoders[f->w == 1 ? 0 : f->w == 2 ? 1 : f->w == 4 ? 2 : 3][f->unit == 1](
			in, m, f, o);
}

/* b <= 25 here (two groups a register); wider sums take the AVX2 kernel */
static CS_AVX512 uint64_t cs_avx512_psum_narrow(const uint8_t *in, unsigned b, size_t groups)
{
	const cs_avx512_tab *t = &cs_tabs512[b];
	const __mmask64 load = t->load32;
	const __m512i perm = _mm512_loadu_si512(t->perm32);
	const __m512i shift = _mm512_loadu_si512(t->shift32);
	const __m512i mask = _mm512_set1_epi32((int)(uint32_t)cs_mask(b));
	const __m512i even = _mm512_set1_epi64(0xffffffffll);
	__m512i s = _mm512_setzero_si512();
	size_t g = 0;
	for (; g + 2 <= groups; g += 2, in += 2 * b) {
		__m512i x = _mm512_permutexvar_epi8(perm, _mm512_maskz_loadu_epi8(load, in));
		x = _mm512_and_si512(_mm512_srlv_epi32(x, shift), mask);
		s = _mm512_add_epi64(s, _mm512_add_epi64(_mm512_and_si512(x, even),
		                                         _mm512_srli_epi64(x, 32)));
	}
	uint64_t sum = (uint64_t)_mm512_reduce_add_epi64(s);
	return g < groups ? sum + cs_avx2_psum(in, b, 1) : sum;
}

static uint64_t cs_avx512_psum(const uint8_t *in, unsigned b, size_t groups)
{
	return b <= CS_AVX512_MAXB ? cs_avx512_psum_narrow(in, b, groups)
	                           : cs_avx2_psum(in, b, groups);
}

/* 16 rows at a time: their indexes compressed to the set bits' lanes; no
 * branch on the bits (at a few percent selected, any branch on them
 * mispredicts often).  Bound by the compresses: counting each store's
 * place from the word's bits (no chain through k) measured slower. */
static __attribute__((target(CS_AVX512_TARGET ",popcnt"))) uint32_t
cs_avx512_rows(const uint8_t *bm, uint32_t n, uint32_t *idx)
{
	const __m512i sixteen = _mm512_set1_epi32(16);
	__m512i x = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
	uint32_t k = 0;
	for (uint32_t i0 = 0; i0 < n; i0 += 64) {
		const uint64_t word = cs_bitmap_word(bm, n, i0);
		for (unsigned j = 0; j < 64; j += 16) {
			const __mmask16 m = (__mmask16)(word >> j);
			const unsigned cnt = (unsigned)__builtin_popcount(m);
			_mm512_mask_storeu_epi32(idx + k, (__mmask16)((1u << cnt) - 1),
			                         _mm512_maskz_compress_epi32(m, x));
			x = _mm512_add_epi32(x, sixteen);
			k += cnt;
		}
	}
	return k;
}

static const cs_simd_ops cs_ops_avx512 = { "avx512",          cs_avx512_decode,
	                                   cs_avx512_psum,    cs_widen_scalar,
	                                   cs_popcnt_popcount, cs_avx512_rows,
	                                   cs_ghist_avx512,   cs_gsum8_avx512,
	                                   cs_gdec_avx512,    cs_bounds_avx512,
	                                   cs_stops_avx512,   cs_xxh3_vector };
#endif /* x86-64 */

/* ---- the choice ------------------------------------------------------------------ */

static const cs_simd_ops *cs_ops_best[3]; /* by level: scalar, avx2, avx512 */
static const cs_simd_ops *cs_ops_active;
static pthread_once_t cs_ops_once = PTHREAD_ONCE_INIT;

static void cs_simd_init(void)
{
	cs_ops_best[0] = &cs_ops_scalar;
#ifdef CS_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) {
		cs_avx2_tables();
		cs_rowtab_init();
		cs_ops_best[1] = &cs_ops_avx2;
	}
	/* the avx512 table leaves some cases to the AVX2 kernels */
	if (cs_ops_best[1] && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512vbmi")) {
		cs_avx512_tables();
		cs_ops_best[2] = &cs_ops_avx512;
	}
#endif
	int level = 2;
	const char *env = getenv("COLSTORE_SIMD");
	if (env && strcmp(env, "scalar") == 0)
		level = 0;
	else if (env && strcmp(env, "avx2") == 0)
		level = 1;
	while (!cs_ops_best[level])
		level--;
	__atomic_store_n(&cs_ops_active, cs_ops_best[level], __ATOMIC_RELEASE);
}

const cs_simd_ops *cs_simd(void)
{
	pthread_once(&cs_ops_once, cs_simd_init);
	return __atomic_load_n(&cs_ops_active, __ATOMIC_ACQUIRE);
}

const cs_simd_ops *cs_simd_get(const char *name)
{
	pthread_once(&cs_ops_once, cs_simd_init);
	for (int k = 0; k < 3; k++)
		if (cs_ops_best[k] && strcmp(cs_ops_best[k]->name, name) == 0)
			return cs_ops_best[k];
	return NULL;
}

void cs_simd_set(const cs_simd_ops *ops)
{
	pthread_once(&cs_ops_once, cs_simd_init);
	__atomic_store_n(&cs_ops_active, ops, __ATOMIC_RELEASE);
}
