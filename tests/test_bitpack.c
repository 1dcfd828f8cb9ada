/*
 * test_bitpack.c -- LSB-first bitmaps (format-spec.md §9.1, §9.3).
 */
#include <CUnit/CUnit.h>

#include "internal.h"
#include "testutil.h"

static void test_bit_order(void)
{
	/* the spec's §9.1 example: rows 0..9 valid 1101111010 */
	uint8_t bm[2] = { 0, 0 };
	int valid[10] = { 1, 1, 0, 1, 1, 1, 1, 0, 1, 0 };
	for (int i = 0; i < 10; i++)
		if (valid[i])
			cs_bit_set(bm, (uint64_t)i);
	CU_ASSERT_EQUAL(bm[0], 0x7B);
	CU_ASSERT_EQUAL(bm[1], 0x01);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(cs_bit_get(bm, (uint64_t)i), valid[i]);
	CU_ASSERT_EQUAL(cs_bitmap_popcount(bm, 10), 7);
	CU_ASSERT_TRUE(cs_bitmap_tail_clear(bm, 10));
	bm[1] |= 0x04; /* bit 10: past the end */
	CU_ASSERT_FALSE(cs_bitmap_tail_clear(bm, 10));
	CU_ASSERT_TRUE(cs_bitmap_tail_clear(bm, 16));
}

static void test_popcount_long(void)
{
	uint8_t bm[300];
	for (int i = 0; i < 300; i++)
		bm[i] = (uint8_t)(i * 37);
	for (uint64_t n = 0; n <= 2400; n += 13) {
		uint64_t want = 0;
		for (uint64_t i = 0; i < n; i++)
			want += (uint64_t)cs_bit_get(bm, i);
		CU_ASSERT_EQUAL(cs_bitmap_popcount(bm, n), want);
	}
	CU_ASSERT_EQUAL(cs_bitmap_bytes(0), 0);
	CU_ASSERT_EQUAL(cs_bitmap_bytes(1), 1);
	CU_ASSERT_EQUAL(cs_bitmap_bytes(8), 1);
	CU_ASSERT_EQUAL(cs_bitmap_bytes(9), 2);
}

void register_bitpack_tests(void)
{
	CU_pSuite s = CU_add_suite("bitpack", NULL, NULL);
	CU_add_test(s, "bit order matches the spec example", test_bit_order);
	CU_add_test(s, "popcount over long bitmaps", test_popcount_long);
}
