/*
 * checksum.c -- XXH3-64, seed 0 (format-spec.md §2, §11).
 */
#include <xxhash.h>

#include "internal.h"

uint64_t cs_xxh3(const void *p, size_t n)
{
	return (uint64_t)XXH3_64bits(p, n);
}
