/*
 * compress.c -- the LZ4 *block* format (format-spec.md §10).
 */
#include <lz4.h>

#include "internal.h"

size_t cs_lz4_bound(size_t raw)
{
	if (raw > (size_t)LZ4_MAX_INPUT_SIZE)
		return 0;
	return (size_t)LZ4_compressBound((int)raw);
}

size_t cs_lz4_compress(const void *src, size_t n, void *dst, size_t cap)
{
	if (n == 0 || n > (size_t)LZ4_MAX_INPUT_SIZE || cap > INT32_MAX)
		return 0;
	int got = LZ4_compress_default(src, dst, (int)n, (int)cap);
	if (got <= 0 || (size_t)got >= n)
		return 0; /* R10.1.3: only when smaller */
	return (size_t)got;
}

int cs_lz4_decompress(const void *src, size_t n, void *dst, size_t raw)
{
	if (n > INT32_MAX || raw > INT32_MAX)
		return -1;
	/* R10.1.1: a bounds-checked decoder, exactly raw bytes */
	int got = LZ4_decompress_safe(src, dst, (int)n, (int)raw);
	return (got >= 0 && (size_t)got == raw) ? 0 : -1;
}
