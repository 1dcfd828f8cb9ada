/* bw.c -- the memory-bandwidth yardstick of bench/run: GB/s of a plain C
 * loop summing a 1 GiB int64 array (best of three passes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void)
{
	size_t n = (size_t)1 << 27;
	int64_t *a = malloc(n * sizeof(*a));
	if (!a)
		return 1;
	for (size_t i = 0; i < n; i++)
		a[i] = (int64_t)i;
	double best = 0;
	volatile int64_t sink = 0;
	for (int r = 0; r < 3; r++) {
		double t = now();
		int64_t s = 0;
		for (size_t i = 0; i < n; i++)
			s += a[i];
		double gbs = (double)(n * sizeof(*a)) / (now() - t) / 1e9;
		sink += s;
		if (gbs > best)
			best = gbs;
	}
	printf("%.1f\n", best);
	free(a);
	return (int)(sink & 0);
}
