/* bw.c -- the yardsticks of bench/run's floors.
 *
 *   bw                  GB/s of a plain C loop summing a 1 GiB int64 array
 *                       (best of three passes): memory bandwidth
 *   bw FILE THREADS     GB/s at which THREADS threads get FILE's bytes out
 *                       of the page cache, each a contiguous share: by
 *                       pread in 128 KiB pieces into one buffer (the way
 *                       colstore reads blocks) and by a mapping made with
 *                       MAP_POPULATE, a byte read per 64; best of three
 *                       passes after one that warms the cache.  Prints
 *                       "PREAD MMAP".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int memory(void)
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

#define PIECE (128 * 1024)

typedef struct share {
	int fd, how; /* 0 pread, 1 mmap */
	off_t off;
	size_t len;
	uint64_t sum;
	int failed;
} share;

static void *read_share(void *arg)
{
	share *s = arg;
	uint64_t sum = 0;
	if (s->how == 0) {
		static __thread unsigned char buf[PIECE];
		for (size_t o = 0; o < s->len; o += PIECE) {
			size_t n = s->len - o < PIECE ? s->len - o : PIECE;
			if (pread(s->fd, buf, n, s->off + (off_t)o) != (ssize_t)n) {
				s->failed = 1;
				return NULL;
			}
			for (size_t i = 0; i < n; i += 64)
				sum += buf[i];
		}
	} else if (s->len) {
		off_t a = s->off & ~(off_t)4095;
		size_t skip = (size_t)(s->off - a);
		unsigned char *p = mmap(NULL, s->len + skip, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		                        s->fd, a);
		if (p == MAP_FAILED) {
			s->failed = 1;
			return NULL;
		}
		for (size_t i = 0; i < s->len; i += 64)
			sum += p[skip + i];
		munmap(p, s->len + skip);
	}
	s->sum = sum;
	return NULL;
}

/* one pass of how over the file by nt threads: seconds, or -1 */
static double pass(int fd, size_t size, int how, int nt)
{
	share s[64];
	pthread_t th[64];
	size_t per = (size_t)(size / (size_t)nt) & ~(size_t)4095;
	double t = now();
	for (int k = 0; k < nt; k++) {
		s[k] = (share){ .fd = fd, .how = how, .off = (off_t)(per * (size_t)k),
		                .len = k == nt - 1 ? size - per * (size_t)k : per };
		if (pthread_create(&th[k], NULL, read_share, &s[k]))
			return -1;
	}
	int failed = 0;
	for (int k = 0; k < nt; k++) {
		pthread_join(th[k], NULL);
		failed |= s[k].failed;
	}
	return failed ? -1 : now() - t;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return memory();
	int nt = argc > 2 ? atoi(argv[2]) : 1;
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (nt < 1 || nt > 64 || fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		fprintf(stderr, "bw: cannot read %s with %d threads\n", argv[1], nt);
		return 1;
	}
	size_t size = (size_t)st.st_size;
	double best[2] = { 0, 0 };
	for (int how = 0; how < 2; how++)
		for (int r = 0; r < 4; r++) {
			double t = pass(fd, size, how, nt);
			if (t <= 0)
				return 1;
			if (r > 0 && (double)size / t / 1e9 > best[how])
				best[how] = (double)size / t / 1e9;
		}
	printf("%.2f %.2f\n", best[0], best[1]);
	close(fd);
	return 0;
}
