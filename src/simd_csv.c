/*
 * simd_csv.c -- the tokenizer's kernel behind cs_simd(): which of 64 bytes
 * are among a set of up to six "stop" bytes (the delimiter's first byte,
 * the quote, the escape, LF, CR and NUL), as a bit mask, bit i for byte i.
 *
 * csv.c keeps the mask of the 64 bytes from where an unquoted field began
 * and finds each field's end with one count of trailing zeros, so the
 * bytes of a record are classified once, 64 at a time, and a field costs a
 * shift and a count instead of a loop with a branch a byte.  Every table
 * gives the same mask (bytes that equal a member of the set), so the
 * tokens, the errors and the files are the same whichever runs.
 */
#include "internal.h"

/* plain C, eight bytes a word: a byte of t = w ^ (v in every byte) is zero
 * exactly where w's byte is v, and z gets that byte's top bit then (the
 * sum of t's low seven bits and 0x7f carries into it otherwise); the eight
 * top bits are then gathered into one byte by a multiply */
uint64_t cs_stops_scalar(const uint8_t *p, const uint8_t *set)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full, ones = 0x0101010101010101ull;
	uint64_t m = 0;
	for (unsigned j = 0; j < 8; j++) {
		uint64_t w = cs_le64(p + 8 * j), acc = 0;
		for (unsigned k = 0; k < 6; k++) {
			uint64_t t = w ^ (set[k] * ones);
			acc |= ~(((t & lo7) + lo7) | t | lo7);
		}
		m |= (((acc >> 7) * 0x0102040810204080ull) >> 56) << (8 * j);
	}
	return m;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) uint64_t cs_stops_avx2(const uint8_t *p, const uint8_t *set)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i ma = _mm256_setzero_si256(), mb = ma;
	for (int k = 0; k < 6; k++) {
		__m256i s = _mm256_set1_epi8((char)set[k]);
		ma = _mm256_or_si256(ma, _mm256_cmpeq_epi8(a, s));
		mb = _mm256_or_si256(mb, _mm256_cmpeq_epi8(b, s));
	}
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(ma) |
	       ((uint64_t)(uint32_t)_mm256_movemask_epi8(mb) << 32);
}

__attribute__((target("avx512f,avx512bw"))) uint64_t cs_stops_avx512(const uint8_t *p,
                                                                     const uint8_t *set)
{
	__m512i v = _mm512_loadu_si512((const void *)p);
	uint64_t m = 0;
	for (int k = 0; k < 6; k++)
		m |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)set[k]));
	return m;
}
#endif
