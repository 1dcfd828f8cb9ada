/*
 * bitpack.c -- LSB-first bitmaps: validity (format-spec.md §9.1) and bool
 * values (§9.3).
 */
#include "internal.h"

uint64_t cs_popcount_scalar(const uint8_t *bm, uint64_t n)
{
	uint64_t full = n / 64, count = 0;
	for (uint64_t i = 0; i < full; i++) {
		uint64_t w;
		memcpy(&w, bm + i * 8, 8); /* popcount is byte-order independent */
		count += (uint64_t)__builtin_popcountll(w);
	}
	for (uint64_t i = full * 64; i < n; i++)
		count += (uint64_t)cs_bit_get(bm, i);
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
	size_t nbytes = cs_bitmap_bytes(n);
	for (uint32_t i0 = 0; i0 < n; i0 += 64) {
		uint64_t word = 0;
		size_t left = nbytes - i0 / 8;
		memcpy(&word, bm + i0 / 8, left < 8 ? left : 8);
		if (n - i0 < 64)
			word &= ((uint64_t)1 << (n - i0)) - 1;
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
