/*
 * bitpack.c -- LSB-first bitmaps: validity (format-spec.md §9.1) and bool
 * values (§9.3).
 */
#include "internal.h"

uint64_t cs_bitmap_popcount(const uint8_t *bm, uint64_t n)
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

int cs_bitmap_tail_clear(const uint8_t *bm, uint64_t n)
{
	if (n % 8 == 0)
		return 1;
	uint8_t last = bm[n / 8];
	return (last >> (n % 8)) == 0;
}
