/*
 * strsort.c -- sorting many strings by their bytes: a radix sort on the
 * first 8 bytes (big-endian, zero-padded; most significant differing byte
 * first, then the rest of each bucket least significant first), then a
 * comparison sort inside each run of equal prefixes.  A million dictionary
 * entries sort in milliseconds instead of the seconds qsort with memcmp
 * takes.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cs_item_cmp(const void *pa, const void *pb)
{
	const cs_sort_item *a = pa, *b = pb;
	int c = cs_bytes_cmp(a->s, a->len, b->s, b->len);
	return c ? c : (a->id > b->id) - (a->id < b->id);
}

/* a run this short is sorted by comparisons */
#define CS_SORT_SMALL 64
/* fewer items than this are sorted on the calling thread alone */
#define CS_SORT_PAR_MIN 65536u

/* one counting pass, stable, on the key byte at shift: src's n items into
 * dst, bucket b at dst[start[b], start[b + 1]); 0 and nothing moved when
 * every key has the same byte there */
static int cs_sort_pass(const cs_sort_item *src, cs_sort_item *dst, size_t n, unsigned shift,
                        size_t start[257])
{
	size_t count[257] = { 0 };
	for (size_t i = 0; i < n; i++)
		count[((src[i].key >> shift) & 0xff) + 1]++;
	if (count[((src[0].key >> shift) & 0xff) + 1] == n)
		return 0;
	for (int b = 0; b < 256; b++)
		count[b + 1] += count[b];
	memcpy(start, count, sizeof(count));
	for (size_t i = 0; i < n; i++)
		dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
	return 1;
}

/* n items ordered by the low `bytes` bytes of their keys (least significant
 * first, a byte every item shares skipped), tmp as scratch; stable */
static void cs_sort_lsd(cs_sort_item *it, cs_sort_item *tmp, size_t n, unsigned bytes)
{
	cs_sort_item *src = it, *dst = tmp;
	size_t start[257];
	for (unsigned shift = 0; shift < 8 * bytes; shift += 8) {
		if (!cs_sort_pass(src, dst, n, shift, start))
			continue; /* every key has this byte: nothing to do */
		cs_sort_item *t = src;
		src = dst;
		dst = t;
	}
	if (src != it)
		memcpy(it, src, n * sizeof(*it));
}

/* the runs of equal keys in it[lo, hi), each ordered by the whole strings */
static void cs_sort_runs(cs_sort_item *it, size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi;) {
		size_t j = i + 1;
		while (j < hi && it[j].key == it[i].key)
			j++;
		if (j - i > 1)
			qsort(it + i, j - i, sizeof(*it), cs_item_cmp);
		i = j;
	}
}

/* the buckets of the first pass, sorted on several threads */
typedef struct cs_sort_par {
	cs_sort_item *it, *tmp;
	const size_t *start; /* bucket b is tmp[start[b], start[b + 1]) */
	size_t n;
	unsigned hb;
} cs_sort_par;

/* thread t's buckets: those that start in its share of the items; each
 * sorted on the bytes below hb in tmp (it as scratch), copied back into
 * it, then its runs of equal keys (a run lies in one bucket) */
static void cs_sort_part(void *ctx, uint32_t t, uint32_t nt)
{
	const cs_sort_par *p = ctx;
	for (int b = 0; b < 256; b++) {
		const size_t lo = p->start[b], m = p->start[b + 1] - lo;
		if (!m || (uint32_t)((unsigned __int128)lo * nt / p->n) != t)
			continue;
		if (m > CS_SORT_SMALL)
			cs_sort_lsd(p->tmp + lo, p->it + lo, m, p->hb);
		else if (m > 1)
			qsort(p->tmp + lo, m, sizeof(*p->tmp), cs_item_cmp);
		memcpy(p->it + lo, p->tmp + lo, m * sizeof(*p->it));
		cs_sort_runs(p->it, lo, lo + m);
	}
}

int cs_sort_strings(cs_sort_item *it, size_t n, uint32_t nt)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t k = 0;
		uint32_t m = it[i].len < 8 ? it[i].len : 8;
		for (uint32_t j = 0; j < m; j++)
			k |= (uint64_t)(uint8_t)it[i].s[j] << (56 - 8 * j);
		it[i].key = k;
	}
	if (n <= CS_SORT_SMALL) { /* few: one sort by the whole strings */
		qsort(it, n, sizeof(*it), cs_item_cmp);
		return 0;
	}
	uint64_t diff = 0; /* the bits where keys differ */
	for (size_t i = 1; i < n; i++)
		diff |= it[i].key ^ it[0].key;
	if (!diff) { /* one key: order by the whole strings */
		cs_sort_runs(it, 0, n);
		return 0;
	}
	/* most significant byte first, on the highest byte where keys differ:
	 * 256 buckets, each then sorted on the bytes below while it is in the
	 * cache (a million dictionary entries: a pass over memory and buckets
	 * of a few thousand, where six passes over memory took a third longer),
	 * the buckets shared among nt threads when there are many items */
	cs_sort_item *tmp = cs_malloc_big(n * sizeof(*tmp));
	if (!tmp)
		return -1;
	const unsigned hb = (unsigned)(63 - __builtin_clzll(diff)) / 8;
	size_t start[257];
	cs_sort_pass(it, tmp, n, 8 * hb, start); /* keys differ at hb: it moves them */
	cs_sort_par p = { it, tmp, start, n, hb };
	if (nt > 1 && n >= CS_SORT_PAR_MIN)
		cs_par(nt, cs_sort_part, &p);
	else
		cs_sort_part(&p, 0, 1);
	free(tmp);
	return 0;
}
