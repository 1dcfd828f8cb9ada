/*
 * tokenize.c -- the CSV tokenizer alone (src/csv.c): a file split into
 * records and fields, nothing parsed or stored, with each kernel table
 * this CPU runs (simd_csv.c) against the scalar one in the same run.
 * Best of 3 passes each, the tables taking turns; MB/s of text per core
 * and the fields found (the same for every table, or it says so).
 *
 *   build/bench/tokenize FILE.csv [--delimiter C]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* one pass: the fields, or -1 on a tokenizer error */
static long long pass(const uint8_t *data, size_t size, const cs_dialect *d)
{
	cs_csv c;
	colstore_error err;
	if (cs_csv_init(&c, data, size, d))
		return -1;
	long long fields = 0;
	int rc;
	while ((rc = cs_csv_next(&c, &err)) == 1)
		fields += c.nfields;
	cs_csv_free(&c);
	if (rc != 0) {
		fprintf(stderr, "tokenize: line %llu: %s\n", (unsigned long long)err.line, err.message);
		return -1;
	}
	return fields;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tokenize FILE.csv [--delimiter C]\n");
		return 2;
	}
	cs_dialect d = { .quote = '"', .esc = -1, .comment = -1 };
	cs_dialect_delim(&d, argc > 3 && strcmp(argv[2], "--delimiter") == 0 ? argv[3] : ",", 1);
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		perror(argv[1]);
		return 1;
	}
	const uint8_t *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	madvise((void *)data, (size_t)st.st_size, MADV_SEQUENTIAL);
	static const char *const names[] = { "scalar", "avx2", "avx512" };
	double best[3] = { 1e30, 1e30, 1e30 };
	long long fields[3] = { -1, -1, -1 };
	for (int rep = 0; rep < 3; rep++)
		for (int k = 0; k < 3; k++) {
			const cs_simd_ops *ops = cs_simd_get(names[k]);
			if (!ops)
				continue;
			cs_simd_set(ops);
			double t0 = now();
			fields[k] = pass(data, (size_t)st.st_size, &d);
			double t = now() - t0;
			if (fields[k] < 0)
				return 1;
			if (t < best[k])
				best[k] = t;
		}
	printf("| table | MB/s per core | ns per field | fields |\n|---|---:|---:|---:|\n");
	int same = 1;
	for (int k = 0; k < 3; k++) {
		if (fields[k] < 0)
			continue;
		printf("| %s | %.0f | %.2f | %lld |\n", names[k], (double)st.st_size / best[k] / 1e6,
		       best[k] * 1e9 / (double)fields[k], fields[k]);
		same &= fields[k] == fields[0];
	}
	if (!same) {
		printf("the tables found different fields\n");
		return 1;
	}
	return 0;
}
