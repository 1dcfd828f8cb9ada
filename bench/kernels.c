/*
 * kernels.c -- the decode kernels of src/simd.c, each table this CPU runs
 * against the scalar one in the same run: ns per value of a BITPACK block
 * of 65,536 values (a row group) decoded whole at several bit widths and
 * value widths, a DECIMAL block to float64, the sum straight from the
 * packed bits, dictionary codes widened to uint32, the few-group kernels
 * (counts, int8 sums, int64 min/max/sum), and a filter's bitmap
 * turned into row indexes (at 3%, 50% and 97% of the rows selected).  Best of 7 passes of
 * about 20 ms each, the tables taking turns; a markdown table on stdout.
 *
 *   build/bench/kernels [--quick]     (--quick: one short pass, for smoke runs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

enum { N = 65536 };

/* this thread's CPU time: time spent descheduled (a busy machine) is not
 * counted */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

typedef struct job {
	int kind; /* 0 decode, 1 DECIMAL to float64, 2 packed sum, 3 widen,
	           * 4 bitmap to indexes (b: percent of rows selected), 5 rows
	           * counted by group, 6 int8 summed by group, 7 int64 min, max
	           * and sum by group (b: groups; blk: N group ids, then N
	           * values), 8 int64 least and greatest (the same values) */
	unsigned b, w;
	uint8_t *blk;
	size_t stored;
	void *out;
} job;

static int quick;

static void run(const job *j)
{
	const char *why;
	__int128 s;
	int sc;
	switch (j->kind) {
	case 0:
	case 1:
		cs_pack_decode(j->kind ? COLSTORE_COMPRESSION_DECIMAL : COLSTORE_COMPRESSION_BITPACK,
		               j->blk, j->stored, j->w, j->out, (size_t)N * j->w, NULL, &why);
		break;
	case 2:
		cs_pack_sum(COLSTORE_COMPRESSION_BITPACK, j->blk, j->stored, j->w, (size_t)N * j->w, NULL,
		            0, &s, &sc, &why);
		break;
	case 3:
		cs_simd()->widen(j->blk, j->w, N, j->out);
		break;
	case 5:
		cs_simd()->ghist((const uint32_t *)(const void *)j->blk, N, j->b, j->out);
		break;
	case 6:
		cs_simd()->gsum8((const uint32_t *)(const void *)j->blk,
		                 (const int8_t *)(j->blk + (size_t)N * 4), N, j->b, j->out);
		break;
	case 7: {
		int64_t *o = j->out;
		cs_simd()->gdec((const uint32_t *)(const void *)j->blk,
		                (const int64_t *)(const void *)(j->blk + (size_t)N * 4), N, j->b, o,
		                o + CS_SIMD_GROUPS, o + 2 * CS_SIMD_GROUPS);
		break;
	}
	case 8: {
		int64_t *o = j->out;
		cs_simd()->bounds((const int64_t *)(const void *)(j->blk + (size_t)N * 4), N, o, o + 1);
		break;
	}
	default: { /* 16 bitmaps in turn, so that no branch learns one */
		static unsigned turn;
		cs_simd()->rows(j->blk + (size_t)(turn++ % 16) * (N / 8), N, j->out);
		break;
	}
	}
}

/* ns per value of j under each of the nt tables: passes of about 20 ms,
 * the tables taking turns, the best pass of each kept */
static void ns_per_value(const job *j, const cs_simd_ops *const *tabs, int nt, double *best)
{
	int reps = 1;
	for (double t0 = now(); now() - t0 < 0.005;) {
		run(j);
		reps++;
	}
	reps *= quick ? 1 : 4;
	for (int k = 0; k < nt; k++)
		best[k] = 1e30;
	for (int pass = 0; pass < (quick ? 1 : 7); pass++)
		for (int k = 0; k < nt; k++) {
			cs_simd_set(tabs[k]);
			double t = now();
			for (int r = 0; r < reps; r++)
				run(j);
			t = (now() - t) / reps / N * 1e9;
			best[k] = t < best[k] ? t : best[k];
		}
}

static job make(int kind, unsigned b, unsigned w)
{
	job j = { kind, b, w, NULL, 0, malloc((size_t)N * 8) };
	if (kind == 4) {
		j.blk = calloc(16, N / 8);
		for (size_t i = 0; i < (size_t)16 * N; i++)
			if (next() % 100 < b)
				cs_bit_set(j.blk, i);
		return j;
	}
	if (kind >= 5) { /* random groups, random values (prices in cents) */
		j.blk = malloc((size_t)N * 12);
		uint32_t *gid = (uint32_t *)(void *)j.blk;
		for (size_t i = 0; i < N; i++) {
			gid[i] = (uint32_t)(next() % b);
			j.blk[(size_t)N * 4 + i] = (uint8_t)next();
			if (kind >= 7)
				cs_st64(j.blk + (size_t)N * 4 + i * 8, next() % 100000);
		}
		return j;
	}
	if (kind == 3) {
		j.blk = malloc((size_t)N * w);
		for (size_t i = 0; i < (size_t)N * w; i++)
			j.blk[i] = (uint8_t)next();
		return j;
	}
	size_t bytes = (size_t)N * b / 8;
	j.stored = CS_PACK_HEADER + bytes;
	j.blk = calloc(1, j.stored);
	j.blk[0] = (uint8_t)w;
	j.blk[1] = (uint8_t)b;
	j.blk[2] = kind == 1 ? 2 : 0; /* prices in cents */
	cs_st64(j.blk + 8, kind == 1 ? 100 : 5);
	for (size_t i = 0; i < bytes; i++)
		j.blk[CS_PACK_HEADER + i] = (uint8_t)next();
	return j;
}

int main(int argc, char **argv)
{
	quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	static const char *const names[] = { "scalar", "avx2", "avx512" };
	const cs_simd_ops *tabs[3];
	int nt = 0;
	for (int k = 0; k < 3; k++)
		if ((tabs[nt] = cs_simd_get(names[k])))
			nt++;
	static const struct {
		int kind;
		unsigned b, w;
	} cases[] = {
		{ 0, 1, 1 },  { 0, 4, 1 },  { 0, 4, 4 },  { 0, 8, 8 },  { 0, 12, 2 }, { 0, 12, 8 },
		{ 0, 17, 4 }, { 0, 17, 8 }, { 0, 24, 4 }, { 0, 32, 8 }, { 0, 48, 8 }, { 0, 60, 8 },
		{ 1, 17, 8 }, { 1, 30, 8 }, { 2, 4, 1 },  { 2, 17, 8 }, { 2, 30, 8 }, { 3, 0, 1 },
		{ 3, 0, 2 },  { 4, 3, 4 },  { 4, 50, 4 }, { 4, 97, 4 }, { 5, 4, 0 },  { 5, 8, 0 },
		{ 5, 12, 0 }, { 5, 17, 0 }, { 5, 24, 0 }, { 5, 32, 0 }, { 6, 4, 0 },  { 6, 8, 0 },
		{ 6, 12, 0 }, { 6, 17, 0 }, { 6, 24, 0 }, { 6, 32, 0 }, { 7, 2, 0 },  { 7, 4, 0 },
		{ 7, 8, 0 },  { 7, 16, 0 }, { 7, 32, 0 }, { 8, 1, 0 },
	};
	static const char *const kinds[] = { "unpack + reference", "DECIMAL to float64",
		                             "sum of packed values", "codes to uint32",
		                             "bitmap to row indexes", "rows counted by group",
		                             "int8 summed by group",
		                             "int64 min, max and sum by group",
		                             "int64 least and greatest" };
	printf("| kernel | bits | bytes out |");
	for (int k = 0; k < nt; k++)
		printf(" %s ns/value |", tabs[k]->name);
	if (nt > 1)
		printf(" scalar / %s |", tabs[nt - 1]->name);
	printf("\n|---|---:|---:|");
	for (int k = 0; k < nt; k++)
		printf("---:|");
	printf(nt > 1 ? "---:|\n" : "\n");
	const cs_simd_ops *was = cs_simd();
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		job j = make(cases[c].kind, cases[c].b, cases[c].w);
		double t[3];
		ns_per_value(&j, tabs, nt, t);
		if (j.kind == 3)
			printf("| %s | - | %u -> 4 |", kinds[j.kind], j.w);
		else if (j.kind == 4)
			printf("| %s, %u%% set | - | 4 |", kinds[j.kind], j.b);
		else if (j.kind == 8)
			printf("| %s | - | - |", kinds[j.kind]);
		else if (j.kind >= 5)
			printf("| %s, %u groups | - | - |", kinds[j.kind], j.b);
		else
			printf(j.kind == 2 ? "| %s | %u | - |" : "| %s | %u | %u |", kinds[j.kind], j.b, j.w);
		for (int k = 0; k < nt; k++)
			printf(" %.3f |", t[k]);
		if (nt > 1)
			printf(" %.1fx |", t[0] / t[nt - 1]);
		printf("\n");
		free(j.blk);
		free(j.out);
	}
	cs_simd_set(was);
	return 0;
}
