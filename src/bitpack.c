/*
 * bitpack.c -- LSB-first bitmaps: validity (format-spec.md §9.1) and bool
 * values (§9.3).
 */
#include "internal.h"

uint64_t cs_popcount_scalar(const uint8_t *bm, uint64_t n)
{
	uint64_t count = 0;
	for (uint64_t i0 = 0; i0 < n; i0 += 64)
		count += (uint64_t)__builtin_popcountll(cs_bitmap_word(bm, n, i0));
	return count;
}

uint64_t cs_bitmap_popcount(const uint8_t *bm, uint64_t n)
{
	return cs_simd()->popcount(bm, n);
}

int cs_bitmap_tail_clear(const uint8_t *bm, uint64_t n)
{
	if (n % 8 == 0)
		return 1;
	uint8_t last = bm[n / 8];
	return (last >> (n % 8)) == 0;
}

uint32_t cs_rows_scalar(const uint8_t *bm, uint32_t n, uint32_t *idx)
{
	uint32_t k = 0;
	for (uint32_t i0 = 0; i0 < n; i0 += 64) {
		uint64_t word = cs_bitmap_word(bm, n, i0);
		while (word) {
			idx[k++] = i0 + (uint32_t)__builtin_ctzll(word);
			word &= word - 1;
		}
	}
	return k;
}

uint32_t cs_bitmap_rows(const uint8_t *bm, uint32_t n, uint32_t *idx)
{
	return cs_simd()->rows(bm, n, idx);
}
