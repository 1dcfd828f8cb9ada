/*
 * pack.c -- the BITPACK and DECIMAL block codecs (format-spec.md §10.2,
 * §10.3): frame of reference plus bit-packing of fixed-width integers, and
 * float64 decimals stored as scaled integers.
 */
#include <math.h>
#include <pthread.h>

#include "internal.h"

const double cs_pow10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static inline uint64_t cs_load(const uint8_t *p, unsigned w, int is_signed)
{
	switch (w) {
	case 1: return is_signed ? (uint64_t)(int64_t)(int8_t)p[0] : p[0];
	case 2: return is_signed ? (uint64_t)(int64_t)(int16_t)cs_le16(p) : cs_le16(p);
	case 4: return is_signed ? (uint64_t)(int64_t)(int32_t)cs_le32(p) : cs_le32(p);
	default: return cs_le64(p);
	}
}

static unsigned cs_bits_for(uint64_t range)
{
	return range ? 64u - (unsigned)__builtin_clzll(range) : 0;
}

/* appends b-bit values LSB-first (§10.2 "packed"), 64 bits at a time, into
 * a zeroed output of ceil(n * b / 8) bytes */
typedef struct cs_bitwriter {
	uint8_t *o;
	uint64_t acc;
	unsigned have, b;
} cs_bitwriter;

static inline void cs_bw_put(cs_bitwriter *bw, uint64_t v)
{
	bw->acc |= v << bw->have;
	if (bw->have + bw->b >= 64) {
		cs_st64(bw->o, bw->acc);
		bw->o += 8;
		bw->acc = bw->have ? v >> (64 - bw->have) : 0;
		bw->have = bw->have + bw->b - 64;
	} else {
		bw->have += bw->b;
	}
}

static inline void cs_bw_flush(cs_bitwriter *bw)
{
	for (unsigned k = 0; k < bw->have; k += 8, bw->acc >>= 8)
		*bw->o++ = (uint8_t)bw->acc;
}

/* llround(s) for |s| <= 2^53, inline: s - trunc(s) is exact there */
static inline int64_t cs_round(double s)
{
	int64_t m = (int64_t)s;
	double fr = s - (double)m;
	return m + (fr >= 0.5) - (fr <= -0.5);
}

/* 5^k's inverse modulo 2^64 and floor((2^64 - 1) / 5^k), k = 0..19: x is a
 * multiple of the odd 5^k exactly when x * inv <= lim, and then x * inv is
 * x / 5^k (division by an odd number that leaves no remainder, as a
 * multiply) */
static uint64_t cs_inv5[20], cs_lim5[20];

static void cs_inv5_init(void)
{
	uint64_t d = 1;
	for (unsigned k = 0; k < 20; k++, d *= 5) {
		uint64_t x = d; /* Newton's iteration: each step doubles the good bits */
		for (int i = 0; i < 6; i++)
			x *= 2 - d * x;
		cs_inv5[k] = x;
		cs_lim5[k] = UINT64_MAX / d;
	}
}

/* does 10^k divide a? (k <= 19) */
static inline int cs_div10(uint64_t a, unsigned k)
{
	return (unsigned)__builtin_ctzll(a | (1ull << 63)) >= k && (a >> k) * cs_inv5[k] <= cs_lim5[k];
}

/* min and max of n > 0 values of type T (CS_MINMAX, compared in T: as
 * 64-bit values the loop did not vectorize, a dependent compare and move a
 * value, 4.7% of an import's time), extended as cs_load extends them */
#define CS_BP_RANGE(T)                                                      \
	do {                                                                \
		T a_, b_;                                                   \
		CS_MINMAX(T, p, n, a_, b_);                                 \
		lo = sg ? (uint64_t)(int64_t)a_ : (uint64_t)a_;             \
		hi = sg ? (uint64_t)(int64_t)b_ : (uint64_t)b_;             \
	} while (0)

/* One encoder per value width and signedness (w and sg are constants in
 * each copy, so the loads and compares are a single instruction): the
 * range, the largest power of ten dividing every delta (§10.2 scale), then
 * the deltas divided by it and packed LSB-first 64 bits at a time. */
static inline __attribute__((always_inline)) size_t
cs_bp_encode(const uint8_t *p, size_t n, unsigned w, int sg, uint8_t *dst, size_t cap)
{
	uint64_t lo, hi;
	switch (w * 2 + !!sg) {
	case 2: CS_BP_RANGE(uint8_t); break;
	case 3: CS_BP_RANGE(int8_t); break;
	case 4: CS_BP_RANGE(uint16_t); break;
	case 5: CS_BP_RANGE(int16_t); break;
	case 8: CS_BP_RANGE(uint32_t); break;
	case 9: CS_BP_RANGE(int32_t); break;
	case 16: CS_BP_RANGE(uint64_t); break;
	default: CS_BP_RANGE(int64_t); break;
	}
	unsigned sc = hi == lo ? 0 : 19; /* (every power of ten divides a delta of 0) */
	for (size_t i = 0; i < n && sc; i++) {
		uint64_t a = cs_load(p + i * w, w, sg) - lo;
		while (sc && !cs_div10(a, sc))
			sc--;
	}
	uint64_t inv = cs_inv5[sc];
	unsigned b = cs_bits_for(((hi - lo) >> sc) * inv);
	size_t need = CS_PACK_HEADER + (size_t)(((unsigned __int128)n * b + 7) / 8);
	if (need >= n * w || need > cap)
		return 0; /* not smaller */
	memset(dst, 0, need);
	dst[0] = (uint8_t)w;
	dst[1] = (uint8_t)b;
	dst[2] = (uint8_t)sc;
	cs_st64(dst + 8, lo);
	if (!b)
		return need;
	cs_bitwriter bw = { dst + CS_PACK_HEADER, 0, 0, b };
	for (size_t i = 0; i < n; i++)
		cs_bw_put(&bw, ((cs_load(p + i * w, w, sg) - lo) >> sc) * inv);
	cs_bw_flush(&bw);
	return need;
}

size_t cs_bitpack_encode(const void *raw, size_t n, unsigned w, int is_signed, uint8_t *dst,
                         size_t cap)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *p = raw;
	if (n == 0)
		return 0;
	pthread_once(&once, cs_inv5_init);
	switch (w * 2 + !!is_signed) {
	case 2: return cs_bp_encode(p, n, 1, 0, dst, cap);
	case 3: return cs_bp_encode(p, n, 1, 1, dst, cap);
	case 4: return cs_bp_encode(p, n, 2, 0, dst, cap);
	case 5: return cs_bp_encode(p, n, 2, 1, dst, cap);
	case 8: return cs_bp_encode(p, n, 4, 0, dst, cap);
	case 9: return cs_bp_encode(p, n, 4, 1, dst, cap);
	case 16: return cs_bp_encode(p, n, 8, 0, dst, cap);
	default: return cs_bp_encode(p, n, 8, 1, dst, cap);
	}
}

size_t cs_decimal_encode(const double *raw, size_t n, uint8_t *dst, size_t cap)
{
	if (n == 0)
		return 0;
	/* find the smallest scale e at which the first values round-trip, then
	 * check every value at that scale (R10.3.2) */
	for (unsigned e = 0; e <= 10; e++) {
		int64_t lo = 0, hi = 0;
		size_t i;
		for (i = 0; i < n; i++) {
			double v = raw[i];
			double s = v * cs_pow10[e];
			if (!(fabs(s) <= 9007199254740992.0)) /* also refuses NaN */
				break;
			int64_t m = cs_round(s);
			double back = (double)m / cs_pow10[e];
			if (memcmp(&back, &v, 8) != 0)
				break; /* not exact at this scale (or -0.0) */
			if (i == 0 || m < lo)
				lo = m;
			if (i == 0 || m > hi)
				hi = m;
		}
		if (i < n)
			continue;
		unsigned b = cs_bits_for((uint64_t)hi - (uint64_t)lo);
		size_t need = CS_PACK_HEADER + (size_t)(((unsigned __int128)n * b + 7) / 8);
		if (need >= n * 8 || need > cap)
			return 0;
		memset(dst, 0, need);
		dst[0] = 8;
		dst[1] = (uint8_t)b;
		dst[2] = (uint8_t)e;
		cs_st64(dst + 8, (uint64_t)lo);
		cs_bitwriter bw = { dst + CS_PACK_HEADER, 0, 0, b };
		for (size_t j = 0; j < n && b; j++)
			cs_bw_put(&bw, (uint64_t)cs_round(raw[j] * cs_pow10[e]) - (uint64_t)lo);
		cs_bw_flush(&bw);
		return need;
	}
	return 0;
}

/* ---- decoding ---------------------------------------------------------------- */

/* Unpacking, fast: 8 values of b bits are exactly b bytes, so a group of 8
 * starts on a byte and every shift inside it is a constant.  One function
 * per bit width, each reading with 8-byte loads (16 for b > 56); the caller
 * guarantees 16 readable bytes past the groups it hands over. */
typedef void (*cs_unpack_fn)(const uint8_t *in, uint64_t *out, size_t groups);

static inline uint64_t cs_ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8); /* little-endian host */
	return v;
}

/* value j (0..7) of the group of 8 b-bit values at in; b and j are
 * constants where it is inlined, so every shift and branch folds away */
static inline __attribute__((always_inline)) uint64_t cs_group_value(const uint8_t *in,
                                                                       unsigned b, unsigned j)
{
	const uint64_t mask = b == 64 ? ~0ull : (1ull << (b & 63)) - 1;
	const unsigned bit = j * b;
	if (b + (bit & 7) <= 64)
		return (cs_ld64(in + bit / 8) >> (bit & 7)) & mask;
	unsigned __int128 w;
	memcpy(&w, in + bit / 8, 16);
	return (uint64_t)(w >> (bit & 7)) & mask;
}

#define CS_UNPACK_DEF(B)                                                             \
	static void cs_unpack_##B(const uint8_t *in, uint64_t *out, size_t groups)   \
	{                                                                            \
		for (size_t g = 0; g < groups; g++, in += (B), out += 8)             \
			_Pragma("GCC unroll 8")                                      \
			for (unsigned j = 0; j < 8; j++)                             \
				out[j] = cs_group_value(in, (B), j);                 \
	}
CS_UNPACK_DEF(1) CS_UNPACK_DEF(2) CS_UNPACK_DEF(3) CS_UNPACK_DEF(4) CS_UNPACK_DEF(5)
CS_UNPACK_DEF(6) CS_UNPACK_DEF(7) CS_UNPACK_DEF(8) CS_UNPACK_DEF(9) CS_UNPACK_DEF(10)
CS_UNPACK_DEF(11) CS_UNPACK_DEF(12) CS_UNPACK_DEF(13) CS_UNPACK_DEF(14) CS_UNPACK_DEF(15)
CS_UNPACK_DEF(16) CS_UNPACK_DEF(17) CS_UNPACK_DEF(18) CS_UNPACK_DEF(19) CS_UNPACK_DEF(20)
CS_UNPACK_DEF(21) CS_UNPACK_DEF(22) CS_UNPACK_DEF(23) CS_UNPACK_DEF(24) CS_UNPACK_DEF(25)
CS_UNPACK_DEF(26) CS_UNPACK_DEF(27) CS_UNPACK_DEF(28) CS_UNPACK_DEF(29) CS_UNPACK_DEF(30)
CS_UNPACK_DEF(31) CS_UNPACK_DEF(32) CS_UNPACK_DEF(33) CS_UNPACK_DEF(34) CS_UNPACK_DEF(35)
CS_UNPACK_DEF(36) CS_UNPACK_DEF(37) CS_UNPACK_DEF(38) CS_UNPACK_DEF(39) CS_UNPACK_DEF(40)
CS_UNPACK_DEF(41) CS_UNPACK_DEF(42) CS_UNPACK_DEF(43) CS_UNPACK_DEF(44) CS_UNPACK_DEF(45)
CS_UNPACK_DEF(46) CS_UNPACK_DEF(47) CS_UNPACK_DEF(48) CS_UNPACK_DEF(49) CS_UNPACK_DEF(50)
CS_UNPACK_DEF(51) CS_UNPACK_DEF(52) CS_UNPACK_DEF(53) CS_UNPACK_DEF(54) CS_UNPACK_DEF(55)
CS_UNPACK_DEF(56) CS_UNPACK_DEF(57) CS_UNPACK_DEF(58) CS_UNPACK_DEF(59) CS_UNPACK_DEF(60)
CS_UNPACK_DEF(61) CS_UNPACK_DEF(62) CS_UNPACK_DEF(63) CS_UNPACK_DEF(64)

static const cs_unpack_fn cs_unpackers[65] = {
	NULL,          cs_unpack_1,  cs_unpack_2,  cs_unpack_3,  cs_unpack_4,  cs_unpack_5,
	cs_unpack_6,   cs_unpack_7,  cs_unpack_8,  cs_unpack_9,  cs_unpack_10, cs_unpack_11,
	cs_unpack_12,  cs_unpack_13, cs_unpack_14, cs_unpack_15, cs_unpack_16, cs_unpack_17,
	cs_unpack_18,  cs_unpack_19, cs_unpack_20, cs_unpack_21, cs_unpack_22, cs_unpack_23,
	cs_unpack_24,  cs_unpack_25, cs_unpack_26, cs_unpack_27, cs_unpack_28, cs_unpack_29,
	cs_unpack_30,  cs_unpack_31, cs_unpack_32, cs_unpack_33, cs_unpack_34, cs_unpack_35,
	cs_unpack_36,  cs_unpack_37, cs_unpack_38, cs_unpack_39, cs_unpack_40, cs_unpack_41,
	cs_unpack_42,  cs_unpack_43, cs_unpack_44, cs_unpack_45, cs_unpack_46, cs_unpack_47,
	cs_unpack_48,  cs_unpack_49, cs_unpack_50, cs_unpack_51, cs_unpack_52, cs_unpack_53,
	cs_unpack_54,  cs_unpack_55, cs_unpack_56, cs_unpack_57, cs_unpack_58, cs_unpack_59,
	cs_unpack_60,  cs_unpack_61, cs_unpack_62, cs_unpack_63, cs_unpack_64,
};

enum { CS_BATCH = CS_DECODE_MAX }; /* values per unpack: 4 KiB, stays in L1 */
#define CS_TAIL (CS_BATCH / 8 * 64 + 16)

/* the packed bytes of values [i, i + c) (i a multiple of 8, so they start
 * on a byte) in *groups groups of 8: in place, or near the end of the
 * block a zero-padded copy in tail, so that the unpackers' 16-byte reads
 * past the last group stay inside */
static const uint8_t *cs_batch(const uint8_t *in, size_t inbytes, size_t i, size_t c,
                               unsigned b, uint8_t *tail, size_t *groups)
{
	size_t at = i / 8 * b, len;
	*groups = (c + 7) / 8;
	len = *groups * b;
	if (at + len + 16 <= inbytes)
		return in + at;
	size_t have = inbytes - at;
	memcpy(tail, in + at, have);
	memset(tail + have, 0, CS_TAIL - have);
	return tail;
}

/* checks a packed block's header and sizes (§10.2, §10.3) */
static int cs_pack_header(int codec, const uint8_t *src, size_t stored, unsigned w,
                          size_t raw_size, const char **why)
{
	if (stored < CS_PACK_HEADER) {
		*why = "shorter than its 16-byte header";
		return -1;
	}
	unsigned vw = src[0], b = src[1], e = src[2];
	if (vw != w || (codec == COLSTORE_COMPRESSION_DECIMAL && w != 8)) {
		*why = "value_width does not match the column";
		return -1;
	}
	if (b > 64 || (codec == COLSTORE_COMPRESSION_DECIMAL ? e > 22 : e > 19)) {
		*why = "bit_width, exponent or scale out of range";
		return -1;
	}
	for (int i = 3; i < 8; i++)
		if (src[i]) {
			*why = "reserved bytes not zero";
			return -1;
		}
	if (raw_size % w) {
		*why = "raw size is not a multiple of the value width";
		return -1;
	}
	size_t n = raw_size / w;
	unsigned __int128 bits = (unsigned __int128)n * b;
	if ((bits + 7) / 8 != stored - CS_PACK_HEADER) {
		*why = "stored size does not match n and bit_width (R10.2.1)";
		return -1;
	}
	if (bits % 8 && (src[stored - 1] >> (unsigned)(bits % 8))) {
		*why = "padding bits past the last value not zero";
		return -1;
	}
	return 0;
}

int cs_pack_decode(int codec, const uint8_t *src, size_t stored, unsigned w, void *dst,
                   size_t raw_size, int *mantissa_scale, const char **why)
{
	return cs_pack_decode_range(codec, src, stored, w, dst, raw_size, mantissa_scale, 0,
	                            raw_size / (w ? w : 1), why);
}

int cs_pack_decode_range(int codec, const uint8_t *src, size_t stored, unsigned w, void *dst,
                         size_t raw_size, int *mantissa_scale, size_t first, size_t count,
                         const char **why)
{
	if (cs_pack_header(codec, src, stored, w, raw_size, why))
		return -1;
	unsigned b = src[1], e = src[2];
	size_t n = raw_size / w;
	if (first % 8 || first > n || count > n - first) {
		*why = "rows asked for outside the block";
		return -1;
	}
	uint64_t unit = 1;
	if (codec == COLSTORE_COMPRESSION_BITPACK)
		for (unsigned k = 0; k < e; k++)
			unit *= 10;
	const int dec = codec == COLSTORE_COMPRESSION_DECIMAL;
	if (dec && mantissa_scale)
		*mantissa_scale = (int)e;
	/* DECIMAL as mantissas is BITPACK at w = 8 with unit 1 */
	const cs_frame f = { cs_le64(src + 8), unit, cs_pow10[e], b, w, dec && !mantissa_scale };
	const cs_simd_ops *ops = cs_simd();
	const uint8_t *in = src + CS_PACK_HEADER;
	size_t inbytes = stored - CS_PACK_HEADER;
	uint8_t tail[CS_TAIL];
	for (size_t i = first; i < first + count; i += CS_BATCH) {
		size_t m = first + count - i < CS_BATCH ? first + count - i : CS_BATCH, groups;
		const uint8_t *p = b ? cs_batch(in, inbytes, i, m, b, tail, &groups) : NULL;
		ops->decode(p, m, &f, (uint8_t *)dst + (i - first) * w);
	}
	return 0;
}

/* the scalar decode kernel (cs_simd_ops.decode): unpack, then add the
 * reference and cut to the width, mod 2^64 */
void cs_decode_scalar(const uint8_t *in, size_t m, const cs_frame *f, uint8_t *o)
{
	uint64_t v[CS_BATCH];
	const uint64_t ref = f->ref, unit = f->unit;
	if (f->b == 0)
		memset(v, 0, m * sizeof(v[0]));
	else
		cs_unpackers[f->b](in, v, (m + 7) / 8);
	if (f->as_double) {
		double *od = (double *)(void *)o;
		for (size_t k = 0; k < m; k++)
			od[k] = (double)(int64_t)(v[k] + ref) / f->p10;
		return;
	}
	switch (f->w) {
	case 1:
		for (size_t k = 0; k < m; k++)
			o[k] = (uint8_t)(ref + v[k] * unit);
		break;
	case 2:
		for (size_t k = 0; k < m; k++)
			((uint16_t *)(void *)o)[k] = (uint16_t)(ref + v[k] * unit);
		break;
	case 4:
		for (size_t k = 0; k < m; k++)
			((uint32_t *)(void *)o)[k] = (uint32_t)(ref + v[k] * unit);
		break;
	default:
		for (size_t k = 0; k < m; k++)
			((uint64_t *)(void *)o)[k] = ref + v[k] * unit;
		break;
	}
}

/* ---- sums straight from the packed bits ------------------------------------------- */

/* Sum of every b-bit value in `groups` groups of 8: like the unpackers, but
 * the values are added instead of stored (no array written and read back).
 * Only for b <= 32, where 2^31 values cannot overflow the 64-bit total. */
#define CS_PSUM_DEF(B)                                                                \
	static uint64_t cs_psum_##B(const uint8_t *in, size_t groups)                 \
	{                                                                             \
		uint64_t acc = 0;                                                     \
		for (size_t g = 0; g < groups; g++, in += (B))                        \
			_Pragma("GCC unroll 8")                                       \
			for (unsigned j = 0; j < 8; j++)                              \
				acc += cs_group_value(in, (B), j);                    \
		return acc;                                                           \
	}
CS_PSUM_DEF(1) CS_PSUM_DEF(2) CS_PSUM_DEF(3) CS_PSUM_DEF(4) CS_PSUM_DEF(5)
CS_PSUM_DEF(6) CS_PSUM_DEF(7) CS_PSUM_DEF(8) CS_PSUM_DEF(9) CS_PSUM_DEF(10)
CS_PSUM_DEF(11) CS_PSUM_DEF(12) CS_PSUM_DEF(13) CS_PSUM_DEF(14) CS_PSUM_DEF(15)
CS_PSUM_DEF(16) CS_PSUM_DEF(17) CS_PSUM_DEF(18) CS_PSUM_DEF(19) CS_PSUM_DEF(20)
CS_PSUM_DEF(21) CS_PSUM_DEF(22) CS_PSUM_DEF(23) CS_PSUM_DEF(24) CS_PSUM_DEF(25)
CS_PSUM_DEF(26) CS_PSUM_DEF(27) CS_PSUM_DEF(28) CS_PSUM_DEF(29) CS_PSUM_DEF(30)
CS_PSUM_DEF(31) CS_PSUM_DEF(32)

typedef uint64_t (*cs_psum_fn)(const uint8_t *in, size_t groups);
static const cs_psum_fn cs_psums[33] = {
	NULL,        cs_psum_1,  cs_psum_2,  cs_psum_3,  cs_psum_4,  cs_psum_5,  cs_psum_6,
	cs_psum_7,   cs_psum_8,  cs_psum_9,  cs_psum_10, cs_psum_11, cs_psum_12, cs_psum_13,
	cs_psum_14,  cs_psum_15, cs_psum_16, cs_psum_17, cs_psum_18, cs_psum_19, cs_psum_20,
	cs_psum_21,  cs_psum_22, cs_psum_23, cs_psum_24, cs_psum_25, cs_psum_26, cs_psum_27,
	cs_psum_28,  cs_psum_29, cs_psum_30, cs_psum_31, cs_psum_32,
};

uint64_t cs_psum_scalar(const uint8_t *in, unsigned b, size_t groups)
{
	return cs_psums[b](in, groups);
}

/* value i's b bits (b <= 64), reading no byte at or past in + len */
static inline uint64_t cs_bits_at(const uint8_t *in, size_t len, uint64_t i, unsigned b)
{
	uint64_t bit = i * b;
	size_t at = (size_t)(bit / 8);
	unsigned sh = (unsigned)(bit & 7);
	const uint64_t mask = b == 64 ? ~0ull : (1ull << b) - 1;
	if (b + sh <= 64 && at + 8 <= len)
		return (cs_ld64(in + at) >> sh) & mask;
	unsigned __int128 x = 0;
	for (unsigned k = 0; k < 16 && at + k < len; k++)
		x |= (unsigned __int128)in[at + k] << (8 * k);
	return (uint64_t)(x >> sh) & mask;
}

int cs_pack_sum(int codec, const uint8_t *src, size_t stored, unsigned w, size_t raw_size,
                const uint32_t *idx, size_t m, __int128 *sum, int *scale, const char **why)
{
	if (cs_pack_header(codec, src, stored, w, raw_size, why))
		return -1;
	unsigned b = src[1], e = src[2];
	size_t n = raw_size / w;
	const int dec = codec == COLSTORE_COMPRESSION_DECIMAL;
	/* the sum is m * reference + unit * (sum of packed values) only when no
	 * value wraps around its width; otherwise the caller decodes */
	if (b >= 64)
		return 1;
	__int128 ref = (int64_t)cs_le64(src + 8), unit = 1;
	if (!dec)
		for (unsigned k = 0; k < e; k++)
			unit *= 10;
	const __int128 lo = -((__int128)1 << (8 * w - 1)), hi = ((__int128)1 << (8 * w - 1)) - 1;
	if (ref < lo || ref + (__int128)((1ull << b) - 1) * unit > hi)
		return 1;
	if (!idx)
		m = n;
	const uint8_t *in = src + CS_PACK_HEADER;
	size_t inbytes = stored - CS_PACK_HEADER;
	unsigned __int128 packed = 0;
	if (b == 0) {
		/* every packed value is 0 */
	} else if (idx) {
		for (size_t k = 0; k < m; k++)
			packed += cs_bits_at(in, inbytes, idx[k], b);
	} else {
		uint64_t v[CS_BATCH];
		uint8_t tail[CS_TAIL];
		const cs_simd_ops *ops = cs_simd();
		for (size_t i = 0; i < n; i += CS_BATCH) {
			size_t c = n - i < CS_BATCH ? n - i : CS_BATCH;
			size_t groups;
			const uint8_t *p = cs_batch(in, inbytes, i, c, b, tail, &groups);
			if (b <= 32) {
				packed += ops->psum(p, b, groups);
			} else {
				cs_unpackers[b](p, v, groups);
				for (size_t k = 0; k < c; k++)
					packed += v[k];
			}
		}
	}
	*sum = (__int128)m * ref + (__int128)packed * unit;
	*scale = dec ? (int)e : -1;
	return 0;
}
