/*
 * test_pack.c -- the BITPACK and DECIMAL codecs (format-spec.md §10.2,
 * §10.3): every bit width and value width, and the DECIMAL exactness rule.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

static void test_bitpack_widths(void)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };
	uint8_t raw[8 * 1000], back[8 * 1000], enc[8 * 1000 + 64];
	int bad = 0, packed = 0;
	for (unsigned wi = 0; wi < 4; wi++) {
		unsigned w = widths[wi];
		for (unsigned b = 0; b <= 8 * w; b++) {
			for (int sgn = 0; sgn < 2; sgn++) {
				size_t n = 1000 - b; /* odd lengths, so the last byte is partial */
				uint64_t x = 0x9e3779b97f4a7c15ull * (b + 1) * (w + 3);
				for (size_t i = 0; i < n; i++) {
					x ^= x << 13;
					x ^= x >> 7;
					x ^= x << 17;
					uint64_t v = b == 64 ? x : (x & ((1ull << b) - 1));
					if (sgn) /* shift into the signed range around zero */
						v -= b == 64 ? 0 : (1ull << b) / 2;
					if (i == 0)
						v = sgn && b < 64 ? 0 - (b ? (1ull << b) / 2 : 0) : 0;
					for (unsigned k = 0; k < w; k++)
						raw[i * w + k] = (uint8_t)(v >> (8 * k));
				}
				size_t got = cs_bitpack_encode(raw, n, w, sgn, enc, sizeof(enc));
				if (!got)
					continue; /* not smaller: stays plain */
				packed++;
				const char *why = "";
				if (cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, w, back, n * w, NULL, &why) ||
				    memcmp(raw, back, n * w) != 0) {
					bad++;
					if (bad < 5)
						fprintf(stderr, "\n  w %u b %u signed %d: %s\n", w, b, sgn, why);
				}
				/* a truncated or lengthened block is refused */
				if (cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got - 1, w, back, n * w, NULL, &why) == 0)
					bad++;
			}
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_TRUE(packed > 100);
}

/* a packed block as §10.2 lays it out, the slow way: the header (value
 * width, bits b of the largest delta, scale, reference), then each delta's
 * b bits appended one at a time, LSB first; its size */
static size_t ref_block(uint8_t *dst, unsigned w, unsigned scale, uint64_t lo,
                        const uint64_t *delta, size_t n)
{
	uint64_t r = 0;
	for (size_t i = 0; i < n; i++)
		r = delta[i] > r ? delta[i] : r;
	unsigned b = r ? 64 - (unsigned)__builtin_clzll(r) : 0;
	size_t need = 16 + (n * b + 7) / 8;
	memset(dst, 0, need);
	dst[0] = (uint8_t)w, dst[1] = (uint8_t)b, dst[2] = (uint8_t)scale;
	for (unsigned k = 0; k < 8; k++)
		dst[8 + k] = (uint8_t)(lo >> (8 * k));
	for (size_t i = 0, bit = 0; i < n; i++)
		for (unsigned k = 0; k < b; k++, bit++)
			if (delta[i] >> k & 1)
				dst[16 + bit / 8] |= (uint8_t)(1u << (bit % 8));
	return need;
}

/* BITPACK as format-spec.md §10.2 words it, the slow way: the range, the
 * greatest common divisor of the deltas and the largest power of ten (at
 * most 10^19) dividing it, then each delta divided and its bits appended
 * one at a time, LSB first */
static size_t ref_bitpack(const uint8_t *p, size_t n, unsigned w, int sg, uint8_t *dst)
{
	uint64_t v[1000] = { 0 };
	for (size_t i = 0; i < n; i++) {
		uint64_t x = 0;
		for (unsigned k = 0; k < w; k++)
			x |= (uint64_t)p[i * w + k] << (8 * k);
		if (sg && w < 8 && (x >> (8 * w - 1) & 1))
			x |= ~0ull << (8 * w);
		v[i] = x;
	}
	uint64_t lo = v[0], hi = v[0], g = 0;
	for (size_t i = 1; i < n; i++) {
		if (sg ? (int64_t)v[i] < (int64_t)lo : v[i] < lo)
			lo = v[i];
		if (sg ? (int64_t)v[i] > (int64_t)hi : v[i] > hi)
			hi = v[i];
	}
	for (size_t i = 0; i < n; i++)
		for (uint64_t a = v[i] - lo, t; a; t = g % a, g = a, a = t)
			;
	unsigned sc = 0;
	uint64_t unit = 1;
	while (g && sc < 19 && g % (unit * 10) == 0)
		unit *= 10, sc++;
	for (size_t i = 0; i < n; i++)
		v[i] = (v[i] - lo) / unit;
	return ref_block(dst, w, sc, lo, v, n);
}

/* The encoder's blocks, byte for byte, against the slow way: every value
 * width and signedness, deltas that are multiples of 10^k for k = 0..19
 * (the scale), ranges of every bit width, and lengths around multiples of
 * 8 and 64 values */
static void test_bitpack_reference(void)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };
	static const size_t lens[] = { 1, 2, 7, 8, 9, 63, 64, 65, 999, 1000 };
	uint8_t raw[8 * 1000], want[8 * 1000 + 64], got[8 * 1000 + 64];
	uint64_t x = 0x2545f4914f6cdd1dull;
	int bad = 0, cases = 0, scaled = 0;
	for (unsigned wi = 0; wi < 4; wi++)
		for (int sg = 0; sg < 2; sg++)
			for (unsigned sc = 0; sc <= 19; sc++)
				for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
					unsigned w = widths[wi];
					size_t n = lens[li];
					uint64_t unit = 1;
					for (unsigned k = 0; k < sc; k++)
						unit *= 10;
					for (size_t i = 0; i < n; i++) {
						tu_next(&x);
						/* a multiple of unit, often small, that fits w bytes */
						uint64_t span = li % 3 ? 50 : 1u << 20;
						if (span - 1 > UINT64_MAX / unit) /* no wrap-around */
							span = UINT64_MAX / unit + 1;
						uint64_t v = (x % span) * unit;
						if (w < 8)
							v &= (1ull << (8 * w)) - 1;
						if (li == 4 && i % 2) /* the widest range */
							v = ~0ull >> (64 - 8 * w);
						for (unsigned k = 0; k < w; k++)
							raw[i * w + k] = (uint8_t)(v >> (8 * k));
					}
					size_t wn = ref_bitpack(raw, n, w, sg, want);
					size_t gn = cs_bitpack_encode(raw, n, w, sg, got, sizeof(got));
					if (wn >= n * w) { /* not smaller: refused */
						bad += gn != 0;
					} else {
						bad += gn != wn || memcmp(got, want, wn) != 0;
						scaled += want[2] > 0;
					}
					cases++;
				}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cases, 4 * 2 * 20 * 10);
	CU_ASSERT_TRUE(scaled > 100);
}

/* DECIMAL as §10.3 words it, with libm's llround: the smallest scale e
 * <= 10 at which every value is m / 10^e exactly, then m - min packed */
static size_t ref_decimal(const double *v, size_t n, uint8_t *dst)
{
	for (unsigned e = 0; e <= 10; e++) {
		double p10 = 1;
		for (unsigned k = 0; k < e; k++)
			p10 *= 10;
		int64_t m[1000], lo = 0, hi = 0;
		size_t i;
		for (i = 0; i < n; i++) {
			double sv = v[i] * p10;
			if (!(fabs(sv) <= 9007199254740992.0))
				break;
			m[i] = (int64_t)llround(sv);
			double back = (double)m[i] / p10;
			if (memcmp(&back, &v[i], 8) != 0)
				break;
			lo = i == 0 || m[i] < lo ? m[i] : lo;
			hi = i == 0 || m[i] > hi ? m[i] : hi;
		}
		if (i < n)
			continue;
		uint64_t delta[1000];
		for (size_t j = 0; j < n; j++)
			delta[j] = (uint64_t)m[j] - (uint64_t)lo;
		size_t need = ref_block(dst, 8, e, (uint64_t)lo, delta, n);
		return need < n * 8 ? need : 0;
	}
	return 0;
}

/* DECIMAL blocks byte for byte against the slow way: values with 0-10
 * decimals of both signs, halves (where rounding modes differ), values
 * near 2^53, and some that fit no scale */
static void test_decimal_reference(void)
{
	static const size_t lens[] = { 1, 7, 8, 63, 64, 65, 1000 };
	double v[1000];
	uint8_t want[8 * 1000 + 64], got[8 * 1000 + 64];
	uint64_t x = 88172645463325252ull;
	int bad = 0, cases = 0, packed = 0;
	for (unsigned e = 0; e <= 11; e++)
		for (int kind = 0; kind < 4; kind++)
			for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
				size_t n = lens[li];
				double p10 = 1;
				for (unsigned k = 0; k < e; k++)
					p10 *= 10;
				for (size_t i = 0; i < n; i++) {
					tu_next(&x);
					int64_t m = (int64_t)(x % 2000001) - 1000000;
					if (kind == 1) /* halves at this scale */
						m = m * 10 + 5;
					else if (kind == 2) /* near 2^53 */
						m = (int64_t)(9007199254740992.0 / p10) * (m % 2 ? 1 : -1) - m % 7;
					v[i] = (double)m / p10;
					if (kind == 3 && i == n / 2) /* no scale fits */
						v[i] = 1.0 / 3;
				}
				size_t wn = ref_decimal(v, n, want);
				size_t gn = cs_decimal_encode(v, n, got, sizeof(got));
				bad += gn != wn || memcmp(got, want, wn) != 0;
				packed += wn != 0;
				cases++;
			}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cases, 12 * 4 * 7);
	CU_ASSERT_TRUE(packed > 100);
}

static void test_bitpack_layout(void)
{
	/* §10.2 by hand: int16 values 5, 6, 7, 12 -> reference 5, b = 3,
	 * deltas 0, 1, 2, 7 at bits 0, 3, 6, 9: 0b00 111 010 001 000 */
	int16_t v[32] = { 5, 6, 7, 12 }; /* then 28 zeros: reset to 5 below */
	for (int i = 4; i < 32; i++)
		v[i] = 5;
	uint8_t enc[128];
	size_t got = cs_bitpack_encode(v, 32, 2, 1, enc, sizeof(enc));
	CU_ASSERT_EQUAL(got, 16 + 12); /* 32 values x 3 bits */
	CU_ASSERT_EQUAL(enc[0], 2);
	CU_ASSERT_EQUAL(enc[1], 3);
	CU_ASSERT_EQUAL(cs_le64(enc + 8), 5);
	CU_ASSERT_EQUAL(enc[16], 0x88); /* 0b10 001 000 */
	CU_ASSERT_EQUAL(enc[17], 0x0e); /* 0b0000 111 0 */
	const char *why;
	int16_t back[32];
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 2, back, 64, NULL, &why), 0);
	CU_ASSERT_EQUAL(memcmp(back, v, 64), 0);
	/* 31 values: 93 bits, the last byte has 3 padding bits */
	got = cs_bitpack_encode(v, 31, 2, 1, enc, sizeof(enc));
	CU_ASSERT_EQUAL(got, 16 + 12);
	enc[got - 1] |= 0x80;
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 2, back, 62, NULL, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "padding bits past the last value not zero");
	enc[got - 1] &= 0x7f;
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 4, back, 62, NULL, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "value_width does not match the column");
	enc[1] = 65;
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 2, back, 62, NULL, &why), -1);
}

static void test_bitpack_scale(void)
{
	/* timestamps in whole seconds: scale 6, and 1-second steps need few bits */
	int64_t ts[500], back[500];
	uint8_t enc[8 * 500];
	for (int i = 0; i < 500; i++)
		ts[i] = 1735689600000000ll + (int64_t)(i * 37 % 500) * 1000000;
	size_t got = cs_bitpack_encode(ts, 500, 8, 1, enc, sizeof(enc));
	CU_ASSERT_EQUAL(enc[2], 6);
	CU_ASSERT_EQUAL(enc[1], 9); /* 0..499 */
	CU_ASSERT_EQUAL(got, 16 + (500 * 9 + 7) / 8);
	const char *why;
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 8, back, sizeof(back), NULL, &why), 0);
	CU_ASSERT_EQUAL(memcmp(ts, back, sizeof(ts)), 0);
	/* one value off the grid: scale drops to what still divides */
	ts[7] += 1000;
	got = cs_bitpack_encode(ts, 500, 8, 1, enc, sizeof(enc));
	CU_ASSERT_EQUAL(enc[2], 3);
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 8, back, sizeof(back), NULL, &why), 0);
	CU_ASSERT_EQUAL(memcmp(ts, back, sizeof(ts)), 0);
	enc[2] = 20;
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_BITPACK, enc, got, 8, back, sizeof(back), NULL, &why), -1);
}

static void test_decimal(void)
{
	double v[1000], back[1000];
	uint8_t enc[8 * 1000 + 64];
	const char *why;
	for (int i = 0; i < 1000; i++)
		v[i] = (double)(i * 7919 % 100000) / 100.0; /* prices */
	size_t got = cs_decimal_encode(v, 1000, enc, sizeof(enc));
	CU_ASSERT_TRUE(got > 0 && got < 1000 * 3);
	CU_ASSERT_EQUAL(enc[2], 2); /* exponent */
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_DECIMAL, enc, got, 8, back, sizeof(back), NULL, &why), 0);
	CU_ASSERT_EQUAL(memcmp(v, back, sizeof(v)), 0);
	/* integers: exponent 0; negative values */
	for (int i = 0; i < 1000; i++)
		v[i] = (double)(i - 500) * 1e6;
	got = cs_decimal_encode(v, 1000, enc, sizeof(enc));
	CU_ASSERT_TRUE(got > 0);
	CU_ASSERT_EQUAL(enc[2], 0);
	CU_ASSERT_EQUAL(cs_pack_decode(COLSTORE_COMPRESSION_DECIMAL, enc, got, 8, back, sizeof(back), NULL, &why), 0);
	CU_ASSERT_EQUAL(memcmp(v, back, sizeof(v)), 0);
	/* R10.3.2: NaN, -0.0, 1/3 or huge values never use it */
	double nope[4][4] = { { 1, 2, NAN, 3 }, { 1, -0.0, 2, 3 }, { 1, 1.0 / 3, 2, 3 }, { 1, 1e300, 2, 3 } };
	for (int k = 0; k < 4; k++)
		CU_ASSERT_EQUAL(cs_decimal_encode(nope[k], 4, enc, sizeof(enc)), 0);
}

void register_pack_tests(void)
{
	CU_pSuite s = CU_add_suite("pack", NULL, NULL);
	CU_add_test(s, "BITPACK round trip, every bit width and value width", test_bitpack_widths);
	CU_add_test(s, "BITPACK layout by hand (§10.2)", test_bitpack_layout);
	CU_add_test(s, "BITPACK blocks byte for byte against the slow way", test_bitpack_reference);
	CU_add_test(s, "BITPACK power-of-ten scale (§10.2)", test_bitpack_scale);
	CU_add_test(s, "DECIMAL round trip and refusals (§10.3)", test_decimal);
	CU_add_test(s, "DECIMAL blocks byte for byte against the slow way", test_decimal_reference);
}
