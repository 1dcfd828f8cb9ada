/*
 * strsort.c -- sorting many strings by their bytes: a radix sort on the
 * first 8 bytes (big-endian, zero-padded), then a comparison sort inside
 * each run of equal prefixes.  A million dictionary entries sort in tens
 * of milliseconds instead of the seconds qsort with memcmp takes.
 */
#include <stdlib.h>

#include "internal.h"

static int cs_item_cmp(const void *pa, const void *pb)
{
	const cs_sort_item *a = pa, *b = pb;
	int c = cs_bytes_cmp(a->s, a->len, b->s, b->len);
	return c ? c : (a->id > b->id) - (a->id < b->id);
}

int cs_sort_strings(cs_sort_item *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k = 0;
		uint32_t m = it[i].len < 8 ? it[i].len : 8;
		for (uint32_t j = 0; j < m; j++)
			k |= (uint64_t)(uint8_t)it[i].s[j] << (56 - 8 * j);
		it[i].key = k;
	}
	if (n > 64) {
		cs_sort_item *tmp = malloc(n * sizeof(*tmp));
		if (!tmp)
			return -1;
		cs_sort_item *src = it, *dst = tmp;
		for (unsigned shift = 0; shift < 64; shift += 8) {
			size_t count[257] = { 0 };
			for (size_t i = 0; i < n; i++)
				count[((src[i].key >> shift) & 0xff) + 1]++;
			if (count[((src[0].key >> shift) & 0xff) + 1] == n)
				continue; /* every key has this byte: nothing to do */
			for (int b = 0; b < 256; b++)
				count[b + 1] += count[b];
			for (size_t i = 0; i < n; i++)
				dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
			cs_sort_item *t = src;
			src = dst;
			dst = t;
		}
		if (src != it)
			memcpy(it, src, n * sizeof(*it));
		free(tmp);
	} else {
		/* few: the runs below sort them all */
		qsort(it, n, sizeof(*it), cs_item_cmp);
		return 0;
	}
	/* equal prefixes: order by the whole string */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && it[j].key == it[i].key)
			j++;
		if (j - i > 1)
			qsort(it + i, j - i, sizeof(*it), cs_item_cmp);
		i = j;
	}
	return 0;
}
