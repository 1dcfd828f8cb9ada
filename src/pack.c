/*
 * pack.c -- the BITPACK and DECIMAL block codecs (format-spec.md §10.2,
 * §10.3): frame of reference plus bit-packing of fixed-width integers, and
 * float64 decimals stored as scaled integers.
 */
#include <math.h>

#include "internal.h"

static const double cs_p10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static uint64_t cs_load(const uint8_t *p, unsigned w, int is_signed)
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

/* appends b-bit values LSB-first (§10.2 "packed") */
typedef struct cs_bitwriter {
	uint8_t *out;
	size_t o;
	unsigned __int128 acc;
	unsigned have;
} cs_bitwriter;

static inline void cs_bw_put(cs_bitwriter *bw, uint64_t v, unsigned b)
{
	bw->acc |= (unsigned __int128)v << bw->have;
	bw->have += b;
	while (bw->have >= 8) {
		bw->out[bw->o++] = (uint8_t)bw->acc;
		bw->acc >>= 8;
		bw->have -= 8;
	}
}

static inline void cs_bw_flush(cs_bitwriter *bw)
{
	if (bw->have)
		bw->out[bw->o++] = (uint8_t)bw->acc;
}


size_t cs_bitpack_encode(const void *raw, size_t n, unsigned w, int is_signed, uint8_t *dst,
                         size_t cap)
{
	const uint8_t *p = raw;
	if (n == 0)
		return 0;
	/* pass 1: the range */
	uint64_t lo = cs_load(p, w, is_signed), hi = lo;
	for (size_t i = 1; i < n; i++) {
		uint64_t v = cs_load(p + i * w, w, is_signed);
		if (is_signed ? (int64_t)v < (int64_t)lo : v < lo)
			lo = v;
		if (is_signed ? (int64_t)v > (int64_t)hi : v > hi)
			hi = v;
	}
	/* the largest power of ten dividing every delta (§10.2 scale) */
	uint64_t g = 0;
	for (size_t i = 0; i < n && g != 1; i++) {
		uint64_t a = cs_load(p + i * w, w, is_signed) - lo, t;
		while (a) { /* Euclid */
			t = g % a;
			g = a;
			a = t;
		}
	}
	unsigned sc = 0;
	uint64_t unit = 1;
	while (g && sc < 19 && g % (unit * 10) == 0) {
		unit *= 10;
		sc++;
	}
	unsigned b = cs_bits_for((hi - lo) / unit);
	size_t need = CS_PACK_HEADER + (size_t)(((unsigned __int128)n * b + 7) / 8);
	if (need >= n * w || need > cap)
		return 0; /* not smaller */
	memset(dst, 0, need);
	dst[0] = (uint8_t)w;
	dst[1] = (uint8_t)b;
	dst[2] = (uint8_t)sc;
	cs_st64(dst + 8, lo);
	/* pass 2: pack */
	cs_bitwriter bw = { dst + CS_PACK_HEADER, 0, 0, 0 };
	for (size_t i = 0; i < n && b; i++)
		cs_bw_put(&bw, (cs_load(p + i * w, w, is_signed) - lo) / unit, b);
	cs_bw_flush(&bw);
	return need;
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
			double s = v * cs_p10[e];
			if (!(fabs(s) <= 9007199254740992.0)) /* also refuses NaN */
				break;
			int64_t m = (int64_t)llround(s);
			double back = (double)m / cs_p10[e];
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
		cs_bitwriter bw = { dst + CS_PACK_HEADER, 0, 0, 0 };
		for (size_t j = 0; j < n && b; j++)
			cs_bw_put(&bw, (uint64_t)llround(raw[j] * cs_p10[e]) - (uint64_t)lo, b);
		cs_bw_flush(&bw);
		return need;
	}
	return 0;
}

int cs_pack_decode(int codec, const uint8_t *src, size_t stored, unsigned w, void *dst,
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
	uint64_t ref = cs_le64(src + 8);
	uint64_t unit = 1;
	if (codec == COLSTORE_COMPRESSION_BITPACK)
		for (unsigned k = 0; k < e; k++)
			unit *= 10;
	const uint8_t *in = src + CS_PACK_HEADER;
	uint8_t *out = dst;
	uint64_t mask = b == 64 ? ~0ull : ((1ull << b) - 1);
	size_t inbytes = stored - CS_PACK_HEADER;
	uint64_t bitpos = 0;
	for (size_t i = 0; i < n; i++, bitpos += b) {
		uint64_t v = 0;
		if (b) {
			size_t byte = (size_t)(bitpos >> 3);
			unsigned shift = (unsigned)(bitpos & 7);
			unsigned __int128 word = 0;
			if (inbytes - byte >= 16) {
				memcpy(&word, in + byte, 16); /* little-endian host */
			} else {
				for (size_t k = 0; k < inbytes - byte; k++)
					word |= (unsigned __int128)in[byte + k] << (8 * k);
			}
			v = (uint64_t)(word >> shift) & mask;
		}
		if (codec == COLSTORE_COMPRESSION_DECIMAL) {
			v += ref;
			double d = (double)(int64_t)v / cs_p10[e];
			memcpy(out + i * 8, &d, 8);
		} else {
			v = ref + v * unit; /* mod 2^64 */
			switch (w) {
			case 1: out[i] = (uint8_t)v; break;
			case 2: cs_st16(out + i * 2, (uint16_t)v); break;
			case 4: cs_st32(out + i * 4, (uint32_t)v); break;
			default: cs_st64(out + i * 8, v); break;
			}
		}
	}
	return 0;
}
