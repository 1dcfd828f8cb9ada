/*
 * test_simd.c -- the decode kernels (src/simd.c): every table this CPU runs
 * (scalar, avx2, avx512) gives the same bytes as the scalar one, and the
 * scalar one the values a bit-by-bit reading of format-spec.md §10.2 and
 * §10.3 gives: every bit width 0..64, every value width, references of
 * both signs, every scale, random lengths and ranges that start at
 * multiples of 64 rows.  Blocks and outputs are allocated to their exact
 * size, so that ASan sees any read or write past them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"
#include "toktrace.h"

static uint64_t ts_rng = 0x2545f4914f6cdd1dull;

static uint64_t ts_next(void)
{
	ts_rng ^= ts_rng << 13;
	ts_rng ^= ts_rng >> 7;
	ts_rng ^= ts_rng << 17;
	return ts_rng;
}

/* the tables to compare with the scalar one (those this CPU runs) */
static int ts_tables(const cs_simd_ops **t)
{
	static const char *const names[] = { "avx2", "avx512" };
	int k = 0;
	for (int i = 0; i < 2; i++)
		if ((t[k] = cs_simd_get(names[i])))
			k++;
	return k;
}

/* a packed block of n random b-bit values (§10.2, §10.3), in exactly
 * stored bytes of malloc'd memory */
static uint8_t *ts_block(unsigned w, unsigned b, unsigned e, uint64_t ref, size_t n, size_t *stored)
{
	size_t bytes = (size_t)(((unsigned __int128)n * b + 7) / 8);
	*stored = CS_PACK_HEADER + bytes;
	uint8_t *p = calloc(1, *stored);
	p[0] = (uint8_t)w;
	p[1] = (uint8_t)b;
	p[2] = (uint8_t)e;
	cs_st64(p + 8, ref);
	/* a run of equal values now and then, and all-ones values */
	for (size_t i = 0; i < bytes; i++)
		p[CS_PACK_HEADER + i] = ts_next() % 8 == 0 ? 0xff : (uint8_t)ts_next();
	if ((n * b) % 8)
		p[*stored - 1] &= (uint8_t)((1u << ((n * b) % 8)) - 1);
	return p;
}

/* value i of the block, bit by bit (LSB first) */
static uint64_t ts_bits(const uint8_t *packed, size_t i, unsigned b)
{
	uint64_t v = 0;
	for (unsigned k = 0; k < b; k++) {
		uint64_t bit = (uint64_t)i * b + k;
		v |= (uint64_t)((packed[bit / 8] >> (bit % 8)) & 1) << k;
	}
	return v;
}

/* rows [first, first + count) as §10.2 / §10.3 define them */
static void ts_expect(const uint8_t *blk, unsigned w, int decimal, int as_double, size_t first,
                      size_t count, uint8_t *out)
{
	unsigned b = blk[1], e = blk[2];
	uint64_t ref = cs_le64(blk + 8), unit = 1;
	for (unsigned k = 0; !decimal && k < e; k++)
		unit *= 10;
	for (size_t i = 0; i < count; i++) {
		uint64_t v = ref + ts_bits(blk + CS_PACK_HEADER, first + i, b) * unit;
		if (as_double) {
			double d = (double)(int64_t)v / cs_pow10[e];
			memcpy(out + i * 8, &d, 8);
		} else {
			for (unsigned k = 0; k < w; k++)
				out[i * w + k] = (uint8_t)(v >> (8 * k));
		}
	}
}

static uint64_t ts_ref(unsigned w, int sgn)
{
	uint64_t r = ts_next();
	switch (ts_next() % 4) {
	case 0: r = 0; break;
	case 1: r &= w == 8 ? ~0ull : (1ull << (8 * w)) - 1; break;
	case 2: r = sgn ? (uint64_t)INT64_MIN + (r & 0xffff) : ~0ull - (r & 0xffff); break;
	default: r = sgn ? 0 - (r & 0xfffffff) : r & 0xfffffff; break;
	}
	return r;
}

static int ts_bad;

static void ts_report(const char *what, const char *table, unsigned w, unsigned b, unsigned e,
                      size_t first, size_t count)
{
	if (ts_bad++ < 8)
		fprintf(stderr, "\n  %s: %s differs at w %u b %u e %u rows [%zu, +%zu)", what, table, w, b,
		        e, first, count);
}

/* one block: decoded whole and over a range, by every table */
static void ts_case(int codec, unsigned w, unsigned b, unsigned e, uint64_t ref, size_t n,
                    const cs_simd_ops *const *tabs, int ntabs)
{
	const int decimal = codec == COLSTORE_COMPRESSION_DECIMAL;
	size_t stored;
	uint8_t *blk = ts_block(w, b, e, ref, n, &stored);
	size_t first = (size_t)(ts_next() % (n / 64 + 1)) * 64;
	size_t count = (size_t)(ts_next() % (n - first + 1));
	if (ts_next() % 4 == 0)
		count = n - first; /* to the end of the block: the zero-padded copy */
	for (int as_double = 0; as_double <= decimal; as_double++) {
		uint8_t *want = malloc(count * w + !count), *got = malloc(count * w + !count);
		int mscale = -1, *ms = decimal && !as_double ? &mscale : NULL;
		const char *why = "";
		ts_expect(blk, w, decimal, as_double, first, count, want);
		cs_simd_set(cs_simd_get("scalar"));
		if (cs_pack_decode_range(codec, blk, stored, w, got, n * w, ms, first, count, &why) ||
		    memcmp(got, want, count * w) != 0)
			ts_report("§10.2 reading", "scalar", w, b, e, first, count);
		for (int t = 0; t < ntabs; t++) {
			cs_simd_set(tabs[t]);
			memset(got, 0xa5, count * w);
			if (cs_pack_decode_range(codec, blk, stored, w, got, n * w, ms, first, count, &why) ||
			    memcmp(got, want, count * w) != 0)
				ts_report("range", tabs[t]->name, w, b, e, first, count);
		}
		free(want);
		free(got);
		/* the whole block, against the scalar table's bytes */
		want = malloc(n * w);
		got = malloc(n * w);
		cs_simd_set(cs_simd_get("scalar"));
		CU_ASSERT_EQUAL(cs_pack_decode(codec, blk, stored, w, want, n * w, ms, &why), 0);
		for (int t = 0; t < ntabs; t++) {
			cs_simd_set(tabs[t]);
			if (cs_pack_decode(codec, blk, stored, w, got, n * w, ms, &why) ||
			    memcmp(got, want, n * w) != 0)
				ts_report("whole block", tabs[t]->name, w, b, e, 0, n);
		}
		free(want);
		free(got);
	}
	/* the sum from the packed bits, where the values do not wrap */
	__int128 s0 = 0, s1 = 0;
	int sc0 = 0, sc1 = 0;
	const char *why = "";
	cs_simd_set(cs_simd_get("scalar"));
	int k0 = cs_pack_sum(codec, blk, stored, w, n * w, NULL, 0, &s0, &sc0, &why);
	for (int t = 0; t < ntabs; t++) {
		cs_simd_set(tabs[t]);
		int k1 = cs_pack_sum(codec, blk, stored, w, n * w, NULL, 0, &s1, &sc1, &why);
		if (k1 != k0 || (k0 == 0 && (s1 != s0 || sc1 != sc0)))
			ts_report("packed sum", tabs[t]->name, w, b, e, 0, n);
	}
	free(blk);
}

static void test_decode_tables(void)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };
	const cs_simd_ops *was = cs_simd();
	const cs_simd_ops *tabs[2];
	int ntabs = ts_tables(tabs);
	if (!ntabs)
		fprintf(stderr, "\n  (no vector table on this CPU: the scalar one against §10.2 only) ");
	ts_bad = 0;
	for (unsigned wi = 0; wi < 4; wi++)
		for (unsigned b = 0; b <= 64; b++)
			for (int sgn = 0; sgn < 2; sgn++)
				for (int rep = 0; rep < 3; rep++) {
					unsigned w = widths[wi];
					size_t n = 1 + (size_t)(ts_next() % (rep == 2 ? 3000 : 700));
					/* every scale 0..19 comes up at every width */
					unsigned e = rep == 0 ? 0 : (unsigned)((b + rep * 7 + sgn) % 20);
					ts_case(COLSTORE_COMPRESSION_BITPACK, w, b, e, ts_ref(w, sgn), n, tabs,
					        ntabs);
				}
	/* DECIMAL: mantissas and float64, every exponent, small references
	 * (the exact conversion) and huge ones (past 2^51) */
	for (unsigned b = 0; b <= 64; b++)
		for (int rep = 0; rep < 4; rep++) {
			size_t n = 1 + (size_t)(ts_next() % (rep == 3 ? 3000 : 700));
			uint64_t ref = rep == 0 ? 0 - (ts_next() & 0xffffff) : ts_ref(8, rep & 1);
			ts_case(COLSTORE_COMPRESSION_DECIMAL, 8, b, (unsigned)(ts_next() % 23), ref, n,
			        tabs, ntabs);
		}
	cs_simd_set(was);
	CU_ASSERT_EQUAL(ts_bad, 0);
}

/* the sums straight from groups of packed bits, longer than a batch */
static void test_psum_tables(void)
{
	const cs_simd_ops *tabs[2];
	int ntabs = ts_tables(tabs);
	const cs_simd_ops *sc = cs_simd_get("scalar");
	int bad = 0;
	for (unsigned b = 1; b <= 32; b++) {
		size_t groups = 1 + (size_t)(ts_next() % 300), bytes = groups * b + 16;
		uint8_t *p = malloc(bytes);
		for (size_t i = 0; i < bytes; i++)
			p[i] = b % 3 == 0 ? 0xff : (uint8_t)ts_next();
		uint64_t want = 0;
		for (size_t i = 0; i < groups * 8; i++)
			want += ts_bits(p, i, b);
		bad += sc->psum(p, b, groups) != want;
		for (int t = 0; t < ntabs; t++)
			bad += tabs[t]->psum(p, b, groups) != want;
		free(p);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

/* dictionary codes of 1, 2 and 4 bytes, at odd addresses, as uint32 */
static void test_widen_tables(void)
{
	const cs_simd_ops *tabs[3];
	int ntabs = ts_tables(tabs);
	tabs[ntabs++] = cs_simd_get("scalar");
	int bad = 0;
	for (unsigned w = 1; w <= 4; w *= 2)
		for (int rep = 0; rep < 20; rep++) {
			size_t n = (size_t)(ts_next() % 200);
			uint8_t *p = malloc(n * w + 1);
			uint32_t *got = malloc(n * 4 + !n);
			for (size_t i = 0; i < n * w + 1; i++)
				p[i] = (uint8_t)ts_next();
			for (int t = 0; t < ntabs; t++) {
				tabs[t]->widen(p + 1, w, n, got);
				for (size_t i = 0; i < n; i++)
					bad += got[i] != cs_code_at(p + 1, w, i);
			}
			free(p);
			free(got);
		}
	CU_ASSERT_EQUAL(bad, 0);
}

/* a filter's bitmap as row indexes and as a count: every table as the bits
 * say, at densities from none to all, lengths not a multiple of 8 or 64
 * (the bits past n set, to be ignored), nothing written past the last
 * index (the bitmap is exactly ceil(n / 8) bytes, for ASan) */
static void test_bitmap_tables(void)
{
	const cs_simd_ops *tabs[3];
	int ntabs = ts_tables(tabs);
	tabs[ntabs++] = cs_simd_get("scalar");
	static const unsigned pct[] = { 0, 1, 3, 30, 50, 97, 100 };
	int bad = 0, cases = 0;
	for (size_t d = 0; d < sizeof(pct) / sizeof(pct[0]); d++)
		for (int rep = 0; rep < 24; rep++) {
			uint32_t n = rep == 0 ? 65536 : rep == 1 ? 64 : rep == 2 ? 0 :
			             (uint32_t)(ts_next() % 1000);
			size_t nb = (n + 7) / 8;
			uint8_t *bm = malloc(nb + !nb);
			uint32_t *want = malloc(((size_t)n + 1) * 4), *got = malloc(((size_t)n + 16) * 4);
			uint32_t nwant = 0;
			memset(bm, 0, nb);
			for (uint32_t i = 0; i < n; i++)
				if (ts_next() % 100 < pct[d]) {
					bm[i / 8] |= (uint8_t)(1u << (i % 8));
					want[nwant++] = i;
				}
			if (n % 8) /* bits past n: not rows */
				bm[nb - 1] |= (uint8_t)(0xffu << (n % 8));
			for (int t = 0; t < ntabs; t++) {
				for (uint32_t i = 0; i < n + 16; i++)
					got[i] = 0xdeadbeefu;
				uint32_t k = tabs[t]->rows(bm, n, got);
				bad += k != nwant || memcmp(got, want, (size_t)nwant * 4) != 0;
				for (uint32_t i = k; i < n + 16; i++)
					bad += got[i] != 0xdeadbeefu;
				bad += tabs[t]->popcount(bm, n) != nwant;
				cases++;
			}
			free(bm);
			free(want);
			free(got);
		}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cases, 7 * 24 * ntabs);
}

/* the few-group kernels: every table against a plain count and sums, for
 * every group count 1..CS_SIMD_GROUPS, lengths around the 32- and 64-row
 * steps, int8 values at both ends of their range; inputs of their exact
 * size (ASan sees a read past them) */
static void test_group_tables(void)
{
	const cs_simd_ops *tabs[3];
	int ntabs = 0;
	tabs[ntabs++] = cs_simd_get("scalar");
	ntabs += ts_tables(tabs + ntabs);
	static const uint32_t lens[] = { 0, 1, 31, 32, 33, 63, 64, 65, 127, 1000, 4099, 65536 };
	int same = 1, checked = 0;
	for (uint32_t G = 1; G <= CS_SIMD_GROUPS; G++)
		for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
			const uint32_t m = lens[li];
			uint32_t *gid = malloc((m ? m : 1) * sizeof(*gid));
			int8_t *x = malloc(m ? m : 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(gid);
			CU_ASSERT_PTR_NOT_NULL_FATAL(x);
			uint32_t want_h[CS_SIMD_GROUPS] = { 0 };
			int64_t want_s[CS_SIMD_GROUPS] = { 0 };
			for (uint32_t k = 0; k < m; k++) {
				uint64_t r = ts_next();
				/* runs of one group now and then, and the extremes */
				gid[k] = k && r % 5 == 0 ? gid[k - 1] : (uint32_t)(r >> 8) % G;
				x[k] = r % 7 == 0 ? (int8_t)(r % 2 ? 127 : -128) : (int8_t)(r >> 20);
				want_h[gid[k]]++;
				want_s[gid[k]] += x[k];
			}
			for (int t = 0; t < ntabs; t++) {
				uint32_t h[CS_SIMD_GROUPS + 1];
				int64_t sum[CS_SIMD_GROUPS + 1];
				h[G] = 0xdeadbeef; /* nothing past G is written */
				sum[G] = 12345;
				tabs[t]->ghist(gid, m, G, h);
				tabs[t]->gsum8(gid, x, m, G, sum);
				same &= memcmp(h, want_h, G * sizeof(*h)) == 0 && h[G] == 0xdeadbeef;
				same &= memcmp(sum, want_s, G * sizeof(*sum)) == 0 && sum[G] == 12345;
				checked++;
			}
			/* int64 min, max and sum by group: small values (no sum can
			 * pass int64, so none may be said to), then values up to the
			 * extremes: a sum that passes int64 must be said to, and one
			 * said not to must be exact */
			int64_t *y = malloc((m ? m : 1) * sizeof(*y));
			CU_ASSERT_PTR_NOT_NULL_FATAL(y);
			for (int big = 0; big < 2; big++) {
				int64_t wmn[CS_SIMD_GROUPS], wmx[CS_SIMD_GROUPS];
				__int128 wsm[CS_SIMD_GROUPS];
				for (uint32_t g = 0; g < G; g++) {
					wmn[g] = INT64_MAX;
					wmx[g] = INT64_MIN;
					wsm[g] = 0;
				}
				for (uint32_t k = 0; k < m; k++) {
					uint64_t r = ts_next();
					y[k] = !big ? (int64_t)(r % 2000001) - 1000000
					       : r % 5 == 0 ? (r & 8 ? INT64_MAX : INT64_MIN)
					       : r % 5 == 1 ? (int64_t)(r >> 4) % 1000
					                    : (int64_t)r >> (r % 48);
					uint32_t g = gid[k];
					wmn[g] = y[k] < wmn[g] ? y[k] : wmn[g];
					wmx[g] = y[k] > wmx[g] ? y[k] : wmx[g];
					wsm[g] += y[k];
				}
				int over = 0;
				for (uint32_t g = 0; g < G; g++)
					over |= wsm[g] > INT64_MAX || wsm[g] < INT64_MIN;
				for (int t = 0; t < ntabs; t++) {
					int64_t mn[CS_SIMD_GROUPS + 1], mx[CS_SIMD_GROUPS + 1],
						sm[CS_SIMD_GROUPS + 1];
					mn[G] = mx[G] = sm[G] = 777;
					int said = tabs[t]->gdec(gid, y, m, G, mn, mx, sm);
					same &= memcmp(mn, wmn, G * sizeof(*mn)) == 0 && mn[G] == 777;
					same &= memcmp(mx, wmx, G * sizeof(*mx)) == 0 && mx[G] == 777;
					same &= sm[G] == 777 && (said || !over) && (big || !said);
					for (uint32_t g = 0; !said && g < G; g++)
						same &= sm[g] == (int64_t)wsm[g];
					checked++;
				}
			}
			free(y);
			free(gid);
			free(x);
		}
	CU_ASSERT_TRUE(same);
	CU_ASSERT_EQUAL(checked,
	                (int)(CS_SIMD_GROUPS * (sizeof(lens) / sizeof(lens[0]))) * ntabs * 3);
}

/* the least and greatest of int64 values: every table against a loop here,
 * every length to 70 and some longer (the vector kernels' tails), values
 * small, at the extremes, and the least or greatest placed at the first,
 * the last or a random row; inputs of their exact size (ASan) */
static void test_bounds_tables(void)
{
	const cs_simd_ops *tabs[3];
	int ntabs = 0;
	tabs[ntabs++] = cs_simd_get("scalar");
	ntabs += ts_tables(tabs + ntabs);
	int same = 1, checked = 0;
	for (uint32_t m = 1; m <= 2200; m = m < 70 ? m + 1 : m * 2 + 3)
		for (int kind = 0; kind < 4; kind++) {
			int64_t *x = malloc(m * sizeof(*x));
			CU_ASSERT_PTR_NOT_NULL_FATAL(x);
			for (uint32_t k = 0; k < m; k++) {
				uint64_t r = ts_next();
				x[k] = kind == 0   ? (int64_t)(r % 2001) - 1000
				       : kind == 1 ? (r % 3 == 0 ? (r & 8 ? INT64_MAX : INT64_MIN) : (int64_t)r)
				                   : (int64_t)(r >> 12) - ((int64_t)1 << 51);
			}
			if (kind >= 2) { /* the extremes at one end or at a random row */
				uint32_t a = kind == 2 ? 0 : (uint32_t)(ts_next() % m);
				uint32_t b = kind == 2 ? m - 1 : (uint32_t)(ts_next() % m);
				x[a] = -((int64_t)1 << 60);
				x[b] = (int64_t)1 << 60;
			}
			int64_t lo = x[0], hi = x[0];
			for (uint32_t k = 1; k < m; k++) {
				lo = x[k] < lo ? x[k] : lo;
				hi = x[k] > hi ? x[k] : hi;
			}
			for (int t = 0; t < ntabs; t++) {
				int64_t l = 1, h = -1;
				tabs[t]->bounds(x, m, &l, &h);
				same &= l == lo && h == hi;
				checked++;
			}
			free(x);
		}
	CU_ASSERT_TRUE(same);
	CU_ASSERT(checked >= 4 * 70 * ntabs);
}

/* ---- XXH3 (checksum.c) ---- */

/* every table's hash is XXH3-64 with seed 0: the library's plain code on
 * lengths across the 240-byte, 1 KiB and stripe (1 KiB) and block
 * boundaries to 300 KiB, at every alignment mod 64, and cs_xxh3() the same
 * under each table; the empty input gives XXH3's published value */
static void test_hash_tables(void)
{
	const cs_simd_ops *tabs[3], *was = cs_simd();
	int ntabs = 0;
	tabs[ntabs++] = cs_simd_get("scalar");
	ntabs += ts_tables(tabs + ntabs);
	CU_ASSERT_EQUAL(cs_xxh3_plain("", 0), 0x2D06800538D394C2ull);
	size_t cap = (300u << 10) + 64;
	uint8_t *buf = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (size_t i = 0; i < cap; i++)
		buf[i] = (uint8_t)ts_next();
	int same = 1, checked = 0;
	uint64_t prev = 0;
	int distinct = 1;
	for (size_t n = 0; n + 64 <= cap; n = n < 300 ? n + 1 : n < 5000 ? n + 61 : n * 3 / 2 + 7) {
		size_t at = (size_t)(ts_next() % 64);
		uint64_t want = cs_xxh3_plain(buf + at, n);
		distinct &= n == 0 || want != prev;
		prev = want;
		for (int t = 0; t < ntabs; t++) {
			same &= tabs[t]->hash(buf + at, n) == want;
			cs_simd_set(tabs[t]);
			same &= cs_xxh3(buf + at, n) == want;
			checked++;
		}
	}
	cs_simd_set(was);
	free(buf);
	CU_ASSERT_TRUE(same);
	CU_ASSERT_TRUE(distinct);
	CU_ASSERT(checked >= 300 * ntabs);
}

/* ---- the tokenizer's stop masks (simd_csv.c) ---- */

static uint64_t naive_stops(const uint8_t *p, const uint8_t *set)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < 64; i++)
		for (unsigned k = 0; k < 6; k++)
			if (p[i] == set[k])
				m |= 1ull << i;
	return m;
}

/* every byte value at every position of a block, and random blocks over
 * the set and its neighbours, with sets that repeat a byte: every table's
 * mask is the naive one; blocks of exactly 64 bytes (ASan) */
static void test_stops_tables(void)
{
	const cs_simd_ops *tabs[3];
	int ntabs = ts_tables(tabs);
	tabs[ntabs++] = cs_simd_get("scalar");
	static const uint8_t sets[][6] = { { '\n', '\r', 0, ',', '"', '\n' },
		                           { '\n', '\r', 0, ';', '\'', '\\' },
		                           { '\n', '\r', 0, '\t', '\n', '\n' },
		                           { '\n', '\r', 0, 0xff, 0x80, 0x7f } };
	uint8_t *blk = malloc(64);
	int bad = 0, cases = 0;
	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		for (unsigned b = 0; b < 256; b++)
			for (unsigned j = 0; j < 64; j++) {
				memset(blk, 'x', 64);
				blk[j] = (uint8_t)b;
				uint64_t want = naive_stops(blk, sets[k]);
				for (int t = 0; t < ntabs; t++)
					bad += tabs[t]->stops(blk, sets[k]) != want;
				cases++;
			}
		for (int rep = 0; rep < 2000; rep++) {
			for (unsigned j = 0; j < 64; j++) {
				uint64_t r = ts_next();
				blk[j] = r % 3 ? (uint8_t)(sets[k][r / 3 % 6] + (int)(r / 18 % 3) - 1)
				               : (uint8_t)(r >> 8);
			}
			uint64_t want = naive_stops(blk, sets[k]);
			for (int t = 0; t < ntabs; t++)
				bad += tabs[t]->stops(blk, sets[k]) != want;
			cases++;
		}
	}
	free(blk);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cases, 4 * (256 * 64 + 2000));
}

/* random CSV: plain fields of 0-100 bytes (so fields and records cross the
 * 64-byte blocks and the last 63 bytes), quoted ones with doubled quotes and
 * line breaks, LF, CRLF and lone CR, and now and then what strict mode
 * refuses (a NUL, a stray quote, text after a closing quote) */
static size_t random_csv(uint8_t *t, size_t cap, const cs_dialect *d)
{
	size_t n = 0;
	uint64_t r = ts_next();
	int junk = r % 4 == 0;
	while (n + 220 < cap) {
		r = ts_next();
		unsigned kind = r % 10;
		if (kind < 5 || d->quote < 0) { /* plain */
			unsigned len = (unsigned)(r >> 8) % (kind == 0 ? 101 : 9);
			for (unsigned i = 0; i < len; i++)
				t[n++] = "abc xyz019"[(r >> (12 + i % 40)) % 10];
		} else if (kind < 8) { /* quoted */
			t[n++] = (uint8_t)d->quote;
			unsigned len = (unsigned)(r >> 8) % 80;
			for (unsigned i = 0; i < len; i++) {
				unsigned c = (unsigned)(ts_next() % 24);
				if (c == 0) {
					t[n++] = (uint8_t)d->quote;
					t[n++] = (uint8_t)d->quote;
				} else if (c == 1) {
					t[n++] = '\n';
				} else if (c == 2) {
					memcpy(t + n, d->delim, d->dlen);
					n += d->dlen;
				} else {
					t[n++] = (uint8_t)('a' + c);
				}
			}
			t[n++] = (uint8_t)d->quote;
		}
		if (junk && ts_next() % 40 == 0) {
			static const uint8_t bytes[] = { 0, '"', '\'', '\\', 'q' };
			t[n++] = bytes[ts_next() % 5];
		}
		r = ts_next();
		if (r % 5) {
			memcpy(t + n, d->delim, d->dlen);
			n += d->dlen;
		} else if (r % 5 == 0) {
			static const char *const brk[] = { "\n", "\r\n", "\r", "\n\n" };
			const char *b = brk[(r >> 8) % 4];
			memcpy(t + n, b, strlen(b));
			n += strlen(b);
		}
	}
	return n;
}

/* The tokenizer gives the same records, fields, verdicts and errors with
 * every table's stop masks as with a byte-by-byte scan, over random text in
 * four dialects, strict and lenient; each text allocated to its exact size
 * (ASan sees a read past it). */
static void test_stops_tokenizer(void)
{
	const cs_simd_ops *tabs[3];
	int ntabs = ts_tables(tabs);
	tabs[ntabs++] = cs_simd_get("scalar");
	cs_dialect ds[4];
	tok_dialects(ds);
	uint8_t *buf = malloc(4096);
	int bad = 0, cases = 0, errors = 0;
	for (int rep = 0; rep < 300; rep++)
		for (int k = 0; k < 4; k++)
			for (int lenient = 0; lenient < 2; lenient++) {
				cs_dialect d = ds[k];
				d.lenient = lenient;
				size_t len = random_csv(buf, 200 + ts_next() % 3800, &d);
				uint8_t *text = malloc(len + !len);
				memcpy(text, buf, len);
				char *want = tok_trace(text, len, &d, NULL); /* byte by byte */
				errors += want && strstr(want, "end 0 ") == NULL;
				for (int t = 0; t < ntabs; t++) {
					char *got = tok_trace(text, len, &d, tabs[t]->stops);
					bad += !want || !got || strcmp(want, got) != 0;
					free(got);
				}
				free(want);
				free(text);
				cases++;
			}
	free(buf);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(cases, 300 * 8);
	CU_ASSERT_TRUE(errors > 20); /* strict mode met its errors */
}

/* COLSTORE_SIMD names a table; the tests run whole under each (tools/test.sh) */
static void test_simd_choice(void)
{
	const char *env = getenv("COLSTORE_SIMD");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cs_simd_get("scalar"));
	CU_ASSERT_PTR_NULL(cs_simd_get("sse9"));
	if (env && strcmp(env, "scalar") == 0)
		CU_ASSERT_STRING_EQUAL(cs_simd()->name, "scalar");
	if (env && strcmp(env, "avx2") == 0)
		CU_ASSERT_STRING_EQUAL(cs_simd()->name, cs_simd_get("avx2") ? "avx2" : "scalar");
#if !defined(__x86_64__)
	CU_ASSERT_STRING_EQUAL(cs_simd()->name, "scalar");
#endif
}

void register_simd_tests(void)
{
	CU_pSuite s = CU_add_suite("simd", NULL, NULL);
	CU_add_test(s, "COLSTORE_SIMD chooses the table", test_simd_choice);
	CU_add_test(s, "decode: every table, every bit and value width, as §10.2 reads",
	            test_decode_tables);
	CU_add_test(s, "sums of packed values: every table, b 1..32", test_psum_tables);
	CU_add_test(s, "dictionary codes widened: every table and code width", test_widen_tables);
	CU_add_test(s, "rows counted, int8 summed, int64 min/max/sum by group: every table, 1..32 groups",
	            test_group_tables);
	CU_add_test(s, "int64 least and greatest: every table, every length to 70",
	            test_bounds_tables);
	CU_add_test(s, "bitmaps to row indexes and counts: every table and density",
	            test_bitmap_tables);
	CU_add_test(s, "XXH3-64: every table, lengths 0 to 300 KiB at every alignment",
	            test_hash_tables);
	CU_add_test(s, "CSV stop masks: every table, every byte at every position",
	            test_stops_tables);
	CU_add_test(s, "the tokenizer with every table's masks, four dialects, strict and lenient",
	            test_stops_tokenizer);
}
